/*
 * layout_load.c - loading and checking XML layouts.
 *
 * Owns reading a layout file with libxml2 (no network, no entity
 * expansion, no DTD), turning it into struct layout, and every load-time
 * check, each reported as FILE:LINE: message.  Also owns record
 * identification (which record type a line is) and the layout accessors.
 * It does not parse or write records.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "formatsInt.h"

/* --- problems ---------------------------------------------------------- */

struct loader {
    const char *file;
    struct layout_problems *problems;
    size_t n_problems;
    struct layout *layout;
    bool oom;
};

void layout_problems_add(struct layout_problems *ps, const char *file,
                         long line, const char *msg)
{
    if (ps == NULL)
        return;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        struct layout_problem *items = realloc(ps->items, cap * sizeof(*items));
        if (items == NULL)
            return;
        ps->items = items;
        ps->cap = cap;
    }
    struct layout_problem *p = &ps->items[ps->n];
    p->file = strdup(file);
    p->message = strdup(msg);
    p->line = line;
    if (p->file == NULL || p->message == NULL) {
        free(p->file);
        free(p->message);
        return;
    }
    ps->n++;
}

__attribute__((format(printf, 3, 4))) static void
problem(struct loader *ld, long line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* a hostile layout can have millions of problems: keep the first */
    if (++ld->n_problems <= LAYOUT_MAX_PROBLEMS)
        layout_problems_add(ld->problems, ld->file, line, msg);
}

static void report_dropped_problems(struct loader *ld)
{
    if (ld->n_problems > LAYOUT_MAX_PROBLEMS) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%zu more problems not shown",
                 ld->n_problems - LAYOUT_MAX_PROBLEMS);
        layout_problems_add(ld->problems, ld->file, 0, msg);
    }
}

void layout_problems_release(struct layout_problems *problems)
{
    if (problems == NULL)
        return;
    for (size_t i = 0; i < problems->n; i++) {
        free(problems->items[i].file);
        free(problems->items[i].message);
    }
    free(problems->items);
    problems->items = NULL;
    problems->n = problems->cap = 0;
}

/* --- small strict parsers of attribute values ------------------------- */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (v > (max - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
    bool neg = false;
    uint64_t v;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!parse_u64(s, (uint64_t)INT64_MAX, &v))
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* "10", "10.5", "-1234.56" -> cents */
static bool parse_money(const char *s, int64_t *cents)
{
    bool neg = false;
    int64_t whole = 0;
    int frac_digits = 0;
    int64_t frac = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!(*s >= '0' && *s <= '9'))
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (whole > (INT64_MAX / 100 - 9) / 10)
            return false;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (++frac_digits > 2)
                return false;
            frac = frac * 10 + (*s - '0');
        }
        if (frac_digits == 0)
            return false;
    }
    if (*s != '\0')
        return false;
    if (frac_digits == 1)
        frac *= 10;
    *cents = (whole * 100 + frac) * (neg ? -1 : 1);
    return true;
}

static bool valid_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* --- attributes -------------------------------------------------------- */

/* Value of attribute NAME copied into the arena, or NULL when absent. */
static const char *attr(struct loader *ld, xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (v == NULL)
        return NULL;
    const char *copy =
        arena_strndup(ld->layout->arena, (const char *)v, strlen((char *)v));
    xmlFree(v);
    if (copy == NULL)
        ld->oom = true;
    return copy;
}

/* Report attributes of N not in the NULL-ended ALLOWED list. */
static void check_attrs(struct loader *ld, xmlNode *n,
                        const char *const *allowed)
{
    for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
        bool ok = false;
        for (const char *const *p = allowed; *p && !ok; p++)
            ok = strcmp((const char *)a->name, *p) == 0;
        if (!ok)
            problem(ld, xmlGetLineNo(n), "unknown attribute '%s' on <%s>",
                    (const char *)a->name, (const char *)n->name);
    }
}

static bool is_blank_text(xmlNode *n)
{
    const xmlChar *s = n->content;
    if (s == NULL)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* Children worth looking at: elements; stray text is reported. */
static bool element_or_report(struct loader *ld, xmlNode *c)
{
    if (c->type == XML_ELEMENT_NODE)
        return true;
    if (c->type == XML_TEXT_NODE && !is_blank_text(c))
        problem(ld, xmlGetLineNo(c), "unexpected text in <%s>",
                (const char *)c->parent->name);
    else if (c->type == XML_ENTITY_REF_NODE)
        problem(ld, xmlGetLineNo(c), "entity references are not allowed");
    return false;
}

/* --- enumerations ------------------------------------------------------ */

struct name_value {
    const char *name;
    int value;
};

static bool lookup(const struct name_value *table, const char *s, int *out)
{
    for (; table->name; table++)
        if (strcmp(table->name, s) == 0) {
            *out = table->value;
            return true;
        }
    return false;
}

static const struct name_value type_names[] = {{"text", FT_TEXT},
                                               {"digits", FT_DIGITS},
                                               {"integer", FT_INTEGER},
                                               {"amount", FT_AMOUNT},
                                               {"date", FT_DATE},
                                               {"time", FT_TIME},
                                               {"code", FT_CODE},
                                               {"ssn", FT_SSN},
                                               {"tin", FT_TIN},
                                               {"filler", FT_FILLER},
                                               {NULL, 0}};

static const struct name_value charset_names[] = {
    {"print", CHARSET_PRINT}, {"alpha", CHARSET_ALPHA},
    {"alnum", CHARSET_ALNUM}, {"upper", CHARSET_UPPER},
    {"name", CHARSET_NAME},   {NULL, 0}};

static const struct name_value date_names[] = {
    {"YYYYMMDD", DATE_YYYYMMDD}, {"CCYYMMDD", DATE_YYYYMMDD},
    {"MMDDYYYY", DATE_MMDDYYYY}, {"MMDDCCYY", DATE_MMDDYYYY},
    {"YYYY-MM-DD", DATE_ISO},    {NULL, 0}};

static const struct name_value time_names[] = {{"HHMMSS", TIME_HHMMSS},
                                               {"HHMM", TIME_HHMM},
                                               {"HH:MM:SS", TIME_ISO},
                                               {NULL, 0}};

static const struct name_value sign_names[] = {
    {"none", SIGN_NONE},         {"leading", SIGN_LEADING},
    {"trailing", SIGN_TRAILING}, {"overpunch", SIGN_OVERPUNCH},
    {"minus", SIGN_MINUS},       {NULL, 0}};

const char *layout_type_name(enum field_type type)
{
    for (const struct name_value *t = type_names; t->name; t++)
        if (t->value == (int)type)
            return t->name;
    return "unknown";
}

static bool bool_attr(struct loader *ld, xmlNode *n, const char *name,
                      const char *s, int *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
        *out = 0;
    else {
        problem(ld, xmlGetLineNo(n), "%s='%s': expected true or false", name,
                s);
        return false;
    }
    return true;
}

/* --- fields ------------------------------------------------------------ */

/* Which types each type-specific attribute applies to. */
#define T(x) (1u << (x))
#define NUMERIC (T(FT_INTEGER) | T(FT_AMOUNT))
static const struct {
    const char *attr;
    unsigned types;
} attr_types[] = {
    {"charset", T(FT_TEXT)},
    {"min-length", T(FT_TEXT) | T(FT_DIGITS) | T(FT_CODE)},
    {"max-length", T(FT_TEXT) | T(FT_DIGITS) | T(FT_CODE)},
    {"min", NUMERIC},
    {"max", NUMERIC},
    {"decimals", T(FT_AMOUNT)},
    {"point", T(FT_AMOUNT)},
    {"sign", NUMERIC},
    {"format", T(FT_DATE) | T(FT_TIME)},
    {"check", T(FT_SSN) | T(FT_FILLER)},
    {"total", NUMERIC},
    {"of", NUMERIC},
    {"literal", T(FT_TEXT) | T(FT_DIGITS)},
    {"required", ~T(FT_FILLER)},
    {"open", T(FT_CODE)},
    {"default", ~T(FT_FILLER)},
};
#undef T

struct field_build {
    struct layout_field f;
    const char *total_kind; /* raw "total" attribute */
    const char *total_of;   /* raw "of" attribute */
    const char *start_s, *length_s;
    bool bad_position;
};

static bool type_allows(struct loader *ld, xmlNode *n, enum field_type t,
                        const char *name)
{
    for (size_t i = 0; i < sizeof(attr_types) / sizeof(attr_types[0]); i++)
        if (strcmp(attr_types[i].attr, name) == 0) {
            if (attr_types[i].types & (1u << t))
                return true;
            problem(ld, xmlGetLineNo(n),
                    "attribute '%s' does not apply to type '%s'", name,
                    layout_type_name(t));
            return false;
        }
    return true;
}

/* The words a code may "mean" to the offset core: what an action does to
 * a debt, what kind of money event a record is, and what a partner's
 * match answer says of a debtor. */
static const char *const means_words[] = {
    "add",      "change",      "increase",   "decrease", "zero",
    "offset",   "reversal",    "collection", "match",    "name-mismatch",
    "no-match", "invalid-tin", "deceased",   NULL};
#define MEANS_WORDS                                                            \
    "add, change, increase, decrease, zero, offset, reversal, collection, "    \
    "match, name-mismatch, no-match, invalid-tin, deceased"

static bool means_known(const char *w)
{
    for (const char *const *p = means_words; *p; p++)
        if (strcmp(*p, w) == 0)
            return true;
    return false;
}

const char *layout_code_for(const struct layout_field *field, const char *means)
{
    for (size_t i = 0; i < field->n_codes; i++)
        if (field->codes[i].means != NULL &&
            strcmp(field->codes[i].means, means) == 0)
            return field->codes[i].value;
    return NULL;
}

const char *layout_code_means(const struct layout_field *field,
                              const char *value, size_t len)
{
    for (size_t i = 0; i < field->n_codes; i++)
        if (field->codes[i].value_len == len &&
            memcmp(field->codes[i].value, value, len) == 0)
            return field->codes[i].means;
    return NULL;
}

static void load_codes(struct loader *ld, xmlNode *fn, struct layout_field *f)
{
    static const char *const code_attrs[] = {"value", "meaning", "means", NULL};
    size_t cap = 0, n = 0;
    struct field_code *codes = NULL;
    for (xmlNode *c = fn->children; c != NULL; c = c->next) {
        if (!element_or_report(ld, c))
            continue;
        long line = xmlGetLineNo(c);
        if (strcmp((const char *)c->name, "code") != 0) {
            problem(ld, line, "unknown element <%s> in <field>",
                    (const char *)c->name);
            continue;
        }
        if (f->type != FT_CODE) {
            problem(ld, line, "<code> given for a field of type '%s'",
                    layout_type_name(f->type));
            continue;
        }
        check_attrs(ld, c, code_attrs);
        const char *value = attr(ld, c, "value");
        const char *meaning = attr(ld, c, "meaning");
        const char *means = attr(ld, c, "means");
        if (means != NULL && !means_known(means))
            problem(ld, line, "means='%s': expected one of %s", means,
                    MEANS_WORDS);
        if (value == NULL || *value == '\0') {
            problem(ld, line, "<code> needs a non-empty value");
            continue;
        }
        if (n == LAYOUT_MAX_CODES) {
            problem(ld, line, "more than %d codes", LAYOUT_MAX_CODES);
            break;
        }
        size_t vlen = strlen(value);
        if (f->length && vlen > f->length)
            problem(ld, line, "code '%s' is longer than its field (%u)", value,
                    (unsigned)f->length);
        if (ld->layout->format == LAYOUT_FIXED &&
            value[f->justify == JUSTIFY_LEFT ? vlen - 1 : 0] == f->pad)
            problem(ld, line, "code '%s' %s with the pad: it can never match",
                    value, f->justify == JUSTIFY_LEFT ? "ends" : "starts");
        for (size_t i = 0; i < n; i++)
            if (strcmp(codes[i].value, value) == 0)
                problem(ld, line, "code '%s' listed twice", value);
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct field_code *grown = realloc(codes, cap * sizeof(*codes));
            if (grown == NULL) {
                ld->oom = true;
                break;
            }
            codes = grown;
        }
        codes[n].value = value;
        codes[n].value_len = (uint32_t)strlen(value);
        codes[n].meaning = meaning ? meaning : "";
        codes[n].means = means;
        for (size_t i = 0; means != NULL && i < n; i++)
            if (codes[i].means != NULL && strcmp(codes[i].means, means) == 0)
                problem(ld, line, "two codes mean '%s'", means);
        n++;
    }
    if (f->type == FT_CODE && n == 0)
        problem(ld, xmlGetLineNo(fn), "field '%s' of type code lists no codes",
                f->name ? f->name : "?");
    if (n > 0) {
        struct field_code *copy =
            arena_alloc(ld->layout->arena, n * sizeof(*copy));
        if (copy != NULL)
            memcpy(copy, codes, n * sizeof(*copy));
        f->codes = copy;
        f->n_codes = copy ? n : 0;
    }
    free(codes);
}

static void load_field(struct loader *ld, xmlNode *fn, struct field_build *fb,
                       uint32_t column)
{
    static const char *const field_attrs[] = {
        "name",    "type",    "start",    "length",  "literal",    "required",
        "default", "justify", "pad",      "charset", "min-length", "max-length",
        "min",     "max",     "decimals", "point",   "sign",       "format",
        "check",   "total",   "of",       "open",    NULL};
    struct layout *l = ld->layout;
    struct layout_field *f = &fb->f;
    long line = xmlGetLineNo(fn);
    const char *s;
    int v;

    memset(fb, 0, sizeof(*fb));
    f->xml_line = line;
    check_attrs(ld, fn, field_attrs);

    s = attr(ld, fn, "type");
    f->type = FT_TEXT;
    bool type_known = true;
    if (s != NULL && !lookup(type_names, s, &v)) {
        problem(ld, line, "unknown type '%s'", s);
        type_known = false;
    } else if (s != NULL) {
        f->type = (enum field_type)v;
    }

    s = attr(ld, fn, "name");
    if (s == NULL && f->type != FT_FILLER)
        problem(ld, line, "field needs a name");
    else if (s != NULL && !valid_name(s))
        problem(ld, line, "field name '%s': use letters, digits and _", s);
    f->name = s;

    /* type-specific attributes given for the wrong type */
    for (xmlAttr *a = fn->properties; a != NULL && type_known; a = a->next)
        type_allows(ld, fn, f->type, (const char *)a->name);

    /* position */
    fb->start_s = attr(ld, fn, "start");
    fb->length_s = attr(ld, fn, "length");
    if (l->format == LAYOUT_FIXED) {
        uint64_t start = 0, length = 0;
        if (fb->start_s == NULL)
            problem(ld, line, "field '%s' needs start", f->name ? f->name : "");
        else if (!parse_u64(fb->start_s, 65536, &start) || start == 0)
            problem(ld, line, "start='%s': expected a position from 1",
                    fb->start_s);
        if (fb->length_s == NULL)
            problem(ld, line, "field '%s' needs length",
                    f->name ? f->name : "");
        else if (!parse_u64(fb->length_s, 65536, &length) || length == 0)
            problem(ld, line, "length='%s': expected a length from 1",
                    fb->length_s);
        f->start = start ? (uint32_t)(start - 1) : 0;
        /* a field without a valid place takes no place: no follow-on
         * overlap or gap reports */
        f->length = start ? (uint32_t)length : 0;
        fb->bad_position = start == 0 || length == 0;
    } else {
        if (fb->start_s != NULL || fb->length_s != NULL)
            problem(ld, line,
                    "start and length do not apply to delimited fields "
                    "(their order is their column)");
        f->start = column;
        f->length = 0;
    }

    /* defaults by type */
    bool numeric = f->type == FT_INTEGER || f->type == FT_AMOUNT;
    f->justify = numeric ? JUSTIFY_RIGHT : JUSTIFY_LEFT;
    f->pad = numeric ? '0' : ' ';
    f->decimals = 2;
    f->check_filler = 1;

    if ((s = attr(ld, fn, "justify")) != NULL) {
        if (strcmp(s, "left") == 0)
            f->justify = JUSTIFY_LEFT;
        else if (strcmp(s, "right") == 0)
            f->justify = JUSTIFY_RIGHT;
        else
            problem(ld, line, "justify='%s': expected left or right", s);
    }
    if ((s = attr(ld, fn, "pad")) != NULL) {
        if (strlen(s) != 1 || *s < 0x20 || *s > 0x7e)
            problem(ld, line, "pad='%s': expected one printable character", s);
        else
            f->pad = *s;
    }
    if (numeric && f->pad != '0' && f->pad != ' ')
        problem(ld, line, "pad='%c': numbers pad with 0 or space", f->pad);
    if ((s = attr(ld, fn, "required")) != NULL)
        bool_attr(ld, fn, "required", s, &f->required);
    if ((s = attr(ld, fn, "open")) != NULL)
        bool_attr(ld, fn, "open", s, &f->open_codes);
    if ((s = attr(ld, fn, "charset")) != NULL) {
        if (lookup(charset_names, s, &v))
            f->charset = (enum text_charset)v;
        else
            problem(ld, line, "unknown charset '%s'", s);
    }
    uint64_t u;
    if ((s = attr(ld, fn, "min-length")) != NULL) {
        if (parse_u64(s, 1048576, &u))
            f->min_length = (uint32_t)u;
        else
            problem(ld, line, "min-length='%s': expected a number", s);
    }
    if ((s = attr(ld, fn, "max-length")) != NULL) {
        if (parse_u64(s, 1048576, &u) && u > 0)
            f->max_length = (uint32_t)u;
        else
            problem(ld, line, "max-length='%s': expected a number from 1", s);
    }
    if (f->max_length && f->min_length > f->max_length)
        problem(ld, line, "min-length %u is above max-length %u",
                (unsigned)f->min_length, (unsigned)f->max_length);
    if ((s = attr(ld, fn, "decimals")) != NULL) {
        if (strlen(s) == 1 && *s >= '0' && *s <= '2')
            f->decimals = *s - '0';
        else
            problem(ld, line, "decimals='%s': expected 0, 1 or 2", s);
    }
    if ((s = attr(ld, fn, "point")) != NULL) {
        if (strcmp(s, "explicit") == 0)
            f->explicit_point = 1;
        else if (strcmp(s, "implied") != 0)
            problem(ld, line, "point='%s': expected implied or explicit", s);
    }
    if ((s = attr(ld, fn, "sign")) != NULL) {
        if (lookup(sign_names, s, &v))
            f->sign = (enum amount_sign)v;
        else
            problem(ld, line, "unknown sign '%s'", s);
    }
    if (f->explicit_point && f->decimals == 0)
        problem(ld, line, "point='explicit' needs decimals 1 or 2");
    if (f->sign == SIGN_OVERPUNCH && l->format == LAYOUT_DELIMITED)
        problem(ld, line, "sign='overpunch' is for fixed-width files");
    const char *min_s = attr(ld, fn, "min"), *max_s = attr(ld, fn, "max");
    if (min_s != NULL) {
        f->has_min = f->type == FT_AMOUNT ? parse_money(min_s, &f->min)
                                          : parse_i64(min_s, &f->min);
        if (!f->has_min)
            problem(ld, line, "min='%s': expected a %s", min_s,
                    f->type == FT_AMOUNT ? "money amount like 10.00"
                                         : "whole number");
    }
    if (max_s != NULL) {
        f->has_max = f->type == FT_AMOUNT ? parse_money(max_s, &f->max)
                                          : parse_i64(max_s, &f->max);
        if (!f->has_max)
            problem(ld, line, "max='%s': expected a %s", max_s,
                    f->type == FT_AMOUNT ? "money amount like 10.00"
                                         : "whole number");
    }
    if (f->has_min && f->has_max && f->min > f->max)
        problem(ld, line, "min %s is above max %s", min_s, max_s);
    if ((s = attr(ld, fn, "format")) != NULL) {
        if (f->type == FT_DATE && lookup(date_names, s, &v))
            f->date_format = (enum date_format)v;
        else if (f->type == FT_TIME && lookup(time_names, s, &v))
            f->time_format = (enum time_format)v;
        else
            problem(ld, line, "unknown %s format '%s'",
                    f->type == FT_TIME ? "time" : "date", s);
    }
    if ((s = attr(ld, fn, "check")) != NULL) {
        if (f->type == FT_SSN && strcmp(s, "ssa") == 0)
            f->check_ssa = 1;
        else if (f->type == FT_SSN && strcmp(s, "none") == 0)
            f->check_ssa = 0;
        else if (f->type == FT_FILLER && strcmp(s, "blank") == 0)
            f->check_filler = 1;
        else if (f->type == FT_FILLER && strcmp(s, "none") == 0)
            f->check_filler = 0;
        else
            problem(ld, line, "unknown check '%s' for type '%s'", s,
                    layout_type_name(f->type));
    }
    fb->total_kind = attr(ld, fn, "total");
    fb->total_of = attr(ld, fn, "of");
    if (fb->total_kind != NULL) {
        if (strcmp(fb->total_kind, "count") == 0)
            f->total = TOTAL_COUNT;
        else if (strcmp(fb->total_kind, "sum") == 0)
            f->total = TOTAL_SUM;
        else
            problem(ld, line, "total='%s': expected count or sum",
                    fb->total_kind);
        if (fb->total_of == NULL)
            problem(ld, line, "total='%s' needs of=\"...\"", fb->total_kind);
    } else if (fb->total_of != NULL) {
        problem(ld, line, "of= given without total=");
    }

    /* type-specific widths */
    if (l->format == LAYOUT_FIXED && f->length) {
        if ((f->type == FT_SSN || f->type == FT_TIN) && f->length < 9)
            problem(ld, line, "an %s field needs 9 positions, it has %u",
                    layout_type_name(f->type), (unsigned)f->length);
        if (f->type == FT_DATE) {
            uint32_t want = f->date_format == DATE_ISO ? 10 : 8;
            if (f->length != want)
                problem(ld, line,
                        "a date in this format is %u long, field "
                        "is %u",
                        (unsigned)want, (unsigned)f->length);
        }
        if (f->type == FT_TIME) {
            uint32_t want = f->time_format == TIME_HHMM  ? 4
                            : f->time_format == TIME_ISO ? 8
                                                         : 6;
            if (f->length != want)
                problem(ld, line,
                        "a time in this format is %u long, field "
                        "is %u",
                        (unsigned)want, (unsigned)f->length);
        }
        if (numeric && f->length > 19)
            problem(ld, line, "numbers are at most 19 positions, field is %u",
                    (unsigned)f->length);
        if (f->max_length > f->length)
            problem(ld, line, "max-length %u is longer than the field (%u)",
                    (unsigned)f->max_length, (unsigned)f->length);
        if (f->min_length > f->length)
            problem(ld, line, "min-length %u is longer than the field (%u)",
                    (unsigned)f->min_length, (unsigned)f->length);
    }

    if ((s = attr(ld, fn, "literal")) != NULL) {
        if (*s == '\0')
            problem(ld, line, "literal is empty");
        else if (l->format == LAYOUT_FIXED && f->length &&
                 strlen(s) != f->length)
            problem(ld, line,
                    "literal '%s' is %zu long, field '%s' is %u: they must "
                    "be the same length",
                    s, strlen(s), f->name ? f->name : "", (unsigned)f->length);
        else if (f->type == FT_DIGITS && strspn(s, "0123456789") != strlen(s))
            problem(ld, line, "literal '%s' of a digits field is not digits",
                    s);
        f->literal = s;
    }
    f->default_value = attr(ld, fn, "default");
    load_codes(ld, fn, f);
}

/* --- records, groups, the tree ---------------------------------------- */

struct record_build {
    struct layout_record *rec;
    struct field_build *fields;
    size_t n_fields;
    const struct node *scope;
};

struct build {
    struct record_build records[LAYOUT_MAX_RECORDS];
    size_t n_records;
};

static void load_occurs(struct loader *ld, xmlNode *n, uint64_t *min,
                        uint64_t *max)
{
    const char *s;
    long line = xmlGetLineNo(n);
    *min = 1;
    *max = 1;
    if ((s = attr(ld, n, "min")) != NULL && !parse_u64(s, UINT32_MAX, min))
        problem(ld, line, "min='%s': expected a number", s);
    if ((s = attr(ld, n, "max")) != NULL) {
        if (strcmp(s, "unbounded") == 0 || strcmp(s, "*") == 0)
            *max = UINT64_MAX;
        else if (!parse_u64(s, UINT32_MAX, max) || *max == 0)
            problem(ld, line,
                    "max='%s': expected a number from 1 or "
                    "unbounded",
                    s);
    }
    if (*min > *max)
        problem(ld, line, "min %llu is above max %llu",
                (unsigned long long)*min, (unsigned long long)*max);
}

static bool name_taken(struct build *b, const char *name)
{
    for (size_t i = 0; i < b->n_records; i++)
        if (strcmp(b->records[i].rec->name, name) == 0)
            return true;
    return false;
}

/* Load a <record> into NODE; false when it could not be (NODE unused). */
static bool load_record(struct loader *ld, struct build *b, xmlNode *rn,
                        struct node *node, const struct node *parent)
{
    static const char *const record_attrs[] = {"name", "min", "max", NULL};
    struct layout *l = ld->layout;
    long line = xmlGetLineNo(rn);
    check_attrs(ld, rn, record_attrs);
    const char *name = attr(ld, rn, "name");
    if (name == NULL || !valid_name(name)) {
        problem(ld, line, "record needs a name of letters, digits and _");
        name = "?";
    }
    if (b->n_records == LAYOUT_MAX_RECORDS) {
        problem(ld, line, "more than %d record types", LAYOUT_MAX_RECORDS);
        return false;
    }
    struct layout_record *rec = arena_alloc(l->arena, sizeof(*rec));
    if (rec == NULL) {
        ld->oom = true;
        return false;
    }
    if (name_taken(b, name))
        problem(ld, line, "record name '%s' is used twice", name);
    rec->name = name;
    rec->xml_line = line;
    rec->index = (int)b->n_records;
    load_occurs(ld, rn, &rec->min_occurs, &rec->max_occurs);
    node->name = name;
    node->xml_line = line;
    node->min = rec->min_occurs;
    node->max = rec->max_occurs;
    node->record = rec;

    struct record_build *rb = &b->records[b->n_records++];
    rb->rec = rec;
    rb->scope = parent;
    size_t cap = 0;
    for (xmlNode *c = rn->children; c != NULL; c = c->next) {
        if (!element_or_report(ld, c))
            continue;
        if (strcmp((const char *)c->name, "field") != 0) {
            problem(ld, xmlGetLineNo(c), "unknown element <%s> in <record>",
                    (const char *)c->name);
            continue;
        }
        if (rb->n_fields == LAYOUT_MAX_FIELDS) {
            problem(ld, xmlGetLineNo(c), "more than %d fields",
                    LAYOUT_MAX_FIELDS);
            break;
        }
        if (rb->n_fields == cap) {
            cap = cap ? cap * 2 : 16;
            struct field_build *grown =
                realloc(rb->fields, cap * sizeof(*grown));
            if (grown == NULL) {
                ld->oom = true;
                return true;
            }
            rb->fields = grown;
        }
        struct field_build *fb = &rb->fields[rb->n_fields];
        load_field(ld, c, fb, (uint32_t)rb->n_fields);
        for (size_t i = 0; i < rb->n_fields; i++)
            if (fb->f.name && rb->fields[i].f.name &&
                strcmp(fb->f.name, rb->fields[i].f.name) == 0)
                problem(ld, fb->f.xml_line,
                        "field name '%s' is used twice in record '%s'",
                        fb->f.name, name);
        rb->n_fields++;
    }
    if (rb->n_fields == 0)
        problem(ld, line, "record '%s' has no fields", name);
    return true;
}

static void load_children(struct loader *ld, struct build *b, xmlNode *parent,
                          struct node *group, int depth, bool is_root);

static void load_group(struct loader *ld, struct build *b, xmlNode *gn,
                       struct node *node, int depth)
{
    static const char *const group_attrs[] = {"name", "min", "max", NULL};
    long line = xmlGetLineNo(gn);
    check_attrs(ld, gn, group_attrs);
    const char *name = attr(ld, gn, "name");
    if (name == NULL || !valid_name(name)) {
        problem(ld, line, "group needs a name of letters, digits and _");
        name = "?";
    }
    node->name = name;
    node->xml_line = line;
    load_occurs(ld, gn, &node->min, &node->max);
    if (depth >= LAYOUT_MAX_DEPTH - 1) {
        problem(ld, line, "groups nested more than %d deep",
                LAYOUT_MAX_DEPTH - 1);
        return;
    }
    load_children(ld, b, gn, node, depth + 1, false);
    if (node->n_children == 0)
        problem(ld, line, "group '%s' is empty", name);
}

static void load_children(struct loader *ld, struct build *b, xmlNode *parent,
                          struct node *group, int depth, bool is_root)
{
    size_t n = 0;
    for (xmlNode *c = parent->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE &&
            (strcmp((const char *)c->name, "record") == 0 ||
             strcmp((const char *)c->name, "group") == 0))
            n++;
    group->children =
        n ? arena_alloc(ld->layout->arena, n * sizeof(struct node)) : NULL;
    if (n && group->children == NULL) {
        ld->oom = true;
        return;
    }
    for (xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (!element_or_report(ld, c))
            continue;
        const char *name = (const char *)c->name;
        /* only records and groups take a slot (CHILDREN is NULL when
         * there are none: no pointer into it before then) */
        if (strcmp(name, "record") == 0) {
            struct node *child = &group->children[group->n_children];
            if (load_record(ld, b, c, child, group))
                group->n_children++;
        } else if (strcmp(name, "group") == 0) {
            struct node *child = &group->children[group->n_children];
            group->n_children++;
            load_group(ld, b, c, child, depth);
        } else if (!(is_root && strcmp(name, "file") == 0)) {
            problem(ld, xmlGetLineNo(c), "unknown element <%s> in <%s>", name,
                    (const char *)parent->name);
        }
    }
}

/* Group names must not collide with record names or each other. */
static void check_group_names(struct loader *ld, struct build *b,
                              const struct node *g, const struct node **seen,
                              size_t *n_seen)
{
    for (size_t i = 0; i < g->n_children; i++) {
        const struct node *c = &g->children[i];
        if (c->record != NULL)
            continue;
        if (name_taken(b, c->name))
            problem(ld, c->xml_line, "group name '%s' is also a record name",
                    c->name);
        for (size_t j = 0; j < *n_seen; j++)
            if (strcmp(seen[j]->name, c->name) == 0)
                problem(ld, c->xml_line, "group name '%s' is used twice",
                        c->name);
        if (*n_seen == LAYOUT_MAX_RECORDS) {
            problem(ld, c->xml_line, "more than %d groups", LAYOUT_MAX_RECORDS);
            return;
        }
        seen[(*n_seen)++] = c;
        check_group_names(ld, b, c, seen, n_seen);
    }
}

static void load_file_element(struct loader *ld, xmlNode *fe)
{
    static const char *const file_attrs[] = {
        "format", "record-length", "short-records",     "line-end", "delimiter",
        "quote",  "header-row",    "max-record-length", NULL};
    struct layout *l = ld->layout;
    long line = xmlGetLineNo(fe);
    const char *s;
    uint64_t u;

    check_attrs(ld, fe, file_attrs);
    for (xmlNode *c = fe->children; c != NULL; c = c->next)
        if (element_or_report(ld, c))
            problem(ld, xmlGetLineNo(c), "unknown element <%s> in <file>",
                    (const char *)c->name);
    s = attr(ld, fe, "format");
    if (s == NULL)
        problem(ld, line, "<file> needs format=\"fixed\" or \"delimited\"");
    else if (strcmp(s, "fixed") == 0)
        l->format = LAYOUT_FIXED;
    else if (strcmp(s, "delimited") == 0)
        l->format = LAYOUT_DELIMITED;
    else
        problem(ld, line, "format='%s': expected fixed or delimited", s);

    l->line_end = LINE_END_ANY;
    if ((s = attr(ld, fe, "line-end")) != NULL) {
        if (strcmp(s, "lf") == 0)
            l->line_end = LINE_END_LF;
        else if (strcmp(s, "crlf") == 0)
            l->line_end = LINE_END_CRLF;
        else if (strcmp(s, "any") != 0)
            problem(ld, line, "line-end='%s': expected lf, crlf or any", s);
    }
    s = attr(ld, fe, "record-length");
    if (l->format == LAYOUT_FIXED) {
        if (s == NULL)
            problem(ld, line, "a fixed-width layout needs record-length");
        else if (!parse_u64(s, 65536, &u) || u == 0)
            problem(ld, line, "record-length='%s': expected 1 to 65536", s);
        else
            l->record_length = (uint32_t)u;
    } else if (s != NULL) {
        problem(ld, line,
                "record-length is for fixed-width layouts (use "
                "max-record-length)");
    }
    if ((s = attr(ld, fe, "short-records")) != NULL) {
        if (strcmp(s, "pad") == 0)
            l->pad_short = 1;
        else if (strcmp(s, "error") != 0)
            problem(ld, line, "short-records='%s': expected error or pad", s);
        if (l->format != LAYOUT_FIXED)
            problem(ld, line, "short-records is for fixed-width layouts");
    }
    l->delimiter = ',';
    l->quote = '"';
    l->max_record_length = 65536;
    bool delimited = l->format == LAYOUT_DELIMITED;
    if ((s = attr(ld, fe, "delimiter")) != NULL) {
        if (!delimited)
            problem(ld, line, "delimiter is for delimited layouts");
        if (strcmp(s, "tab") == 0)
            l->delimiter = '\t';
        else if (strcmp(s, "pipe") == 0)
            l->delimiter = '|';
        else if (strcmp(s, "comma") == 0)
            l->delimiter = ',';
        else if (strlen(s) == 1 && *s > 0x20 && *s < 0x7f &&
                 !(*s >= '0' && *s <= '9'))
            l->delimiter = *s;
        else
            problem(ld, line,
                    "delimiter='%s': expected one character, tab, "
                    "pipe or comma",
                    s);
    }
    if ((s = attr(ld, fe, "quote")) != NULL) {
        if (!delimited)
            problem(ld, line, "quote is for delimited layouts");
        if (strcmp(s, "none") == 0)
            l->quote = 0;
        else if (strlen(s) == 1 && *s > 0x20 && *s < 0x7f)
            l->quote = *s;
        else
            problem(ld, line, "quote='%s': expected one character or none", s);
    }
    if (delimited && l->quote == l->delimiter)
        problem(ld, line, "quote and delimiter are the same character");
    if ((s = attr(ld, fe, "header-row")) != NULL) {
        if (!delimited)
            problem(ld, line, "header-row is for delimited layouts");
        if (strcmp(s, "skip") == 0)
            l->header_row = 1;
        else if (strcmp(s, "none") != 0)
            problem(ld, line, "header-row='%s': expected none or skip", s);
    }
    if ((s = attr(ld, fe, "max-record-length")) != NULL) {
        if (!delimited)
            problem(ld, line, "max-record-length is for delimited layouts");
        if (!parse_u64(s, 1048576, &u) || u == 0)
            problem(ld, line, "max-record-length='%s': expected 1 to 1048576",
                    s);
        else
            l->max_record_length = (uint32_t)u;
    }
}

/* Fixed width: every byte covered once, nothing past the record length. */
static void check_coverage(struct loader *ld, const struct record_build *rb)
{
    uint32_t len = ld->layout->record_length;
    if (len == 0)
        return;
    int16_t *owner = malloc(len * sizeof(*owner));
    if (owner == NULL) {
        ld->oom = true;
        return;
    }
    for (uint32_t i = 0; i < len; i++)
        owner[i] = -1;
    bool all_placed = true;
    for (size_t i = 0; i < rb->n_fields; i++) {
        const struct layout_field *f = &rb->fields[i].f;
        const char *fname = f->name ? f->name : "(filler)";
        if (rb->fields[i].bad_position)
            all_placed = false;
        if (f->length == 0)
            continue;
        uint32_t end = f->start + f->length;
        if ((uint64_t)f->start + f->length > len) {
            problem(ld, f->xml_line,
                    "field '%s' (%u-%u) ends past the record length %u", fname,
                    (unsigned)f->start + 1, (unsigned)(f->start + f->length),
                    (unsigned)len);
            end = len; /* the part inside the record still covers it */
        }
        bool reported = false;
        for (uint32_t p = f->start; p < end; p++) {
            if (owner[p] < 0) {
                owner[p] = (int16_t)i;
                continue;
            }
            if (reported)
                continue;
            reported = true;
            const struct layout_field *o = &rb->fields[owner[p]].f;
            problem(ld, f->xml_line,
                    "field '%s' (%u-%u) overlaps field '%s' (%u-%u) at "
                    "position %u",
                    fname, (unsigned)f->start + 1,
                    (unsigned)(f->start + f->length),
                    o->name ? o->name : "(filler)", (unsigned)o->start + 1,
                    (unsigned)(o->start + o->length), (unsigned)p + 1);
        }
    }
    for (uint32_t p = 0; p < len && all_placed; p++) {
        if (owner[p] >= 0)
            continue;
        uint32_t q = p;
        while (q + 1 < len && owner[q + 1] < 0)
            q++;
        problem(ld, rb->rec->xml_line,
                "record '%s': positions %u-%u are covered by no field (add a "
                "filler)",
                rb->rec->name, (unsigned)p + 1, (unsigned)q + 1);
        p = q;
    }
    free(owner);
}

static bool literal_key(const struct layout_field *a,
                        const struct layout_field *b)
{
    return a->start == b->start && a->length == b->length;
}

/* Two record types must differ in a literal at the same place. */
static void check_identification(struct loader *ld, struct build *b)
{
    struct layout *l = ld->layout;
    for (size_t i = 0; i < b->n_records; i++) {
        const struct record_build *x = &b->records[i];
        bool has = false;
        for (size_t k = 0; k < x->n_fields && !has; k++)
            has = x->fields[k].f.literal != NULL;
        if (!has) {
            if (l->fallback != NULL)
                problem(ld, x->rec->xml_line,
                        "records '%s' and '%s' both have no literal: they "
                        "cannot be told apart",
                        l->fallback->name, x->rec->name);
            else
                l->fallback = x->rec;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            const struct record_build *y = &b->records[j];
            bool differ = false;
            for (size_t p = 0; p < x->n_fields && !differ; p++) {
                const struct layout_field *fx = &x->fields[p].f;
                if (fx->literal == NULL)
                    continue;
                for (size_t q = 0; q < y->n_fields && !differ; q++) {
                    const struct layout_field *fy = &y->fields[q].f;
                    differ = fy->literal && literal_key(fx, fy) &&
                             strcmp(fx->literal, fy->literal) != 0;
                }
            }
            bool y_has = false;
            for (size_t q = 0; q < y->n_fields && !y_has; q++)
                y_has = y->fields[q].f.literal != NULL;
            if (y_has && !differ)
                problem(ld, x->rec->xml_line,
                        "records '%s' and '%s' cannot be told apart: give "
                        "them different literals at the same position",
                        y->rec->name, x->rec->name);
        }
    }
}

/* One-byte literals at one position in every typed record: a byte map. */
static void build_fast_identification(struct layout *l, struct build *b)
{
    memset(l->id_map, -1, sizeof(l->id_map));
    l->id_fast = 0;
    if (l->format != LAYOUT_FIXED)
        return;
    bool first = true;
    for (size_t i = 0; i < b->n_records; i++) {
        const struct record_build *x = &b->records[i];
        const struct layout_field *lit = NULL;
        size_t n_lit = 0;
        for (size_t k = 0; k < x->n_fields; k++)
            if (x->fields[k].f.literal) {
                n_lit++;
                lit = &x->fields[k].f;
            }
        if (n_lit == 0)
            continue;
        if (n_lit != 1 || lit->length != 1 ||
            (!first && lit->start != l->id_pos))
            return;
        first = false;
        l->id_pos = lit->start;
        l->id_map[(unsigned char)lit->literal[0]] = (signed char)i;
    }
    l->id_fast = !first;
}

static bool node_contains(const struct node *g, const struct layout_record *r)
{
    for (size_t i = 0; i < g->n_children; i++) {
        const struct node *c = &g->children[i];
        if (c->record == r || (c->record == NULL && node_contains(c, r)))
            return true;
    }
    return false;
}

static void resolve_totals(struct loader *ld, struct build *b)
{
    struct layout *l = ld->layout;
    for (size_t i = 0; i < b->n_records; i++) {
        struct record_build *rb = &b->records[i];
        for (size_t k = 0; k < rb->n_fields; k++) {
            struct field_build *fb = &rb->fields[k];
            struct layout_field *f = &fb->f;
            if (f->total == TOTAL_NONE || fb->total_of == NULL)
                continue;
            long line = f->xml_line;
            const char *of = fb->total_of;
            const char *dot = strchr(of, '.');
            const struct layout_record *target = NULL;
            if (strcmp(of, "*") == 0) {
                if (f->total != TOTAL_COUNT) {
                    problem(ld, line, "of=\"*\" only counts records");
                    continue;
                }
            } else {
                size_t name_len = dot ? (size_t)(dot - of) : strlen(of);
                for (size_t j = 0; j < b->n_records; j++)
                    if (strlen(b->records[j].rec->name) == name_len &&
                        strncmp(b->records[j].rec->name, of, name_len) == 0)
                        target = b->records[j].rec;
                if (target == NULL) {
                    problem(ld, line, "total of unknown record '%.*s'",
                            (int)name_len, of);
                    continue;
                }
            }
            if (f->total == TOTAL_COUNT && dot != NULL) {
                problem(ld, line,
                        "total='count' takes a record name, not a "
                        "field ('%s')",
                        of);
                continue;
            }
            int of_field = -1;
            if (f->total == TOTAL_SUM) {
                if (dot == NULL) {
                    problem(ld, line, "total='sum' needs of=\"record.field\"");
                    continue;
                }
                for (size_t j = 0; j < b->n_records; j++) {
                    if (b->records[j].rec != target)
                        continue;
                    for (size_t q = 0; q < b->records[j].n_fields; q++)
                        if (b->records[j].fields[q].f.name &&
                            strcmp(b->records[j].fields[q].f.name, dot + 1) ==
                                0)
                            of_field = (int)q;
                    if (of_field < 0) {
                        problem(ld, line,
                                "total of unknown field '%s' in "
                                "record '%s'",
                                dot + 1, target->name);
                    } else {
                        enum field_type t =
                            b->records[j].fields[of_field].f.type;
                        if (t != FT_INTEGER && t != FT_AMOUNT) {
                            problem(ld, line,
                                    "cannot sum field '%s' of type '%s' "
                                    "(integer or amount only)",
                                    of, layout_type_name(t));
                            of_field = -1;
                        }
                    }
                }
                if (of_field < 0)
                    continue;
            }
            if (f->total == TOTAL_SUM && target == rb->rec) {
                problem(ld, line, "total of '%s' sums its own record", of);
                continue;
            }
            const struct node *scope = rb->scope;
            if (target != NULL && target != rb->rec &&
                !node_contains(scope, target)) {
                problem(ld, line,
                        "total of '%s' from record '%s': '%s' is outside the "
                        "group that holds '%s'",
                        of, rb->rec->name, target->name, rb->rec->name);
                continue;
            }
            if (l->n_totals == LAYOUT_MAX_TOTALS) {
                problem(ld, line, "more than %d control totals",
                        LAYOUT_MAX_TOTALS);
                continue;
            }
            f->total_of = target;
            f->total_of_field = of_field;
            struct total_ref *t = &l->totals[l->n_totals++];
            t->record = rb->rec;
            t->field = (int)k;
            t->scope = scope;
        }
    }
}

/* Defaults are checked by parsing them like field content. */
static void resolve_defaults(struct loader *ld, struct build *b)
{
    struct layout *l = ld->layout;
    l->defaults = arena_alloc(l->arena, b->n_records * sizeof(*l->defaults));
    if (l->defaults == NULL) {
        ld->oom = true;
        return;
    }
    for (size_t i = 0; i < b->n_records; i++) {
        struct record_build *rb = &b->records[i];
        l->defaults[i] =
            arena_alloc(l->arena, (rb->n_fields + 1) * sizeof(**l->defaults));
        if (l->defaults[i] == NULL) {
            ld->oom = true;
            return;
        }
        for (size_t k = 0; k < rb->n_fields; k++) {
            const struct layout_field *f = &rb->fields[k].f;
            struct record scratch;
            struct field_value v;
            if (f->literal != NULL) {
                /* a literal the field's own rules refuse would reject
                 * every record of the type */
                memset(&scratch, 0, sizeof(scratch));
                field_parse(l, f, NULL, f->literal,
                            (uint32_t)strlen(f->literal), 1, (int)k, &v,
                            &scratch);
                if (scratch.n_errors > 0)
                    problem(ld, f->xml_line,
                            "literal '%s' breaks its "
                            "field's rules: %s",
                            f->literal, scratch.errors[0].detail);
            }
            if (f->default_value == NULL)
                continue;
            /* parse the default as a delimited value would be parsed */
            struct layout_field plain = *f;
            plain.required = 0;
            memset(&scratch, 0, sizeof(scratch));
            enum layout_format saved = l->format;
            l->format = LAYOUT_DELIMITED;
            uint32_t n = (uint32_t)strlen(f->default_value);
            field_parse(l, &plain, NULL, f->default_value, n, 1, (int)k, &v,
                        &scratch);
            l->format = saved;
            if (scratch.n_errors > 0 || v.state != VALUE_OK) {
                problem(ld, f->xml_line, "default '%s' is not a valid %s: %s",
                        f->default_value, layout_type_name(f->type),
                        scratch.n_errors ? scratch.errors[0].detail : "blank");
                continue;
            }
            if (l->format == LAYOUT_FIXED) {
                /* and it must fit the field, or no record could be written
                 * without setting it */
                char err[160] = "out of memory";
                char *out = malloc(f->length);
                int rc = out ? field_format(l, f, &v, out, f->length, err,
                                            sizeof(err))
                             : -1;
                free(out);
                if (rc < 0) {
                    problem(ld, f->xml_line,
                            "default '%s' does not fit the field: %s",
                            f->default_value, err);
                    continue;
                }
            }
            l->defaults[i][k].text =
                arena_strndup(l->arena, v.text ? v.text : "", v.text_len);
            l->defaults[i][k].text_len = v.text_len;
            l->defaults[i][k].num = v.num;
        }
    }
}

static void finish_records(struct loader *ld, struct build *b)
{
    struct layout *l = ld->layout;
    l->n_records = b->n_records;
    l->records =
        arena_alloc(l->arena, (b->n_records + 1) * sizeof(*l->records));
    if (l->records == NULL) {
        ld->oom = true;
        return;
    }
    for (size_t i = 0; i < b->n_records; i++) {
        struct record_build *rb = &b->records[i];
        struct layout_field *fields =
            arena_alloc(l->arena, (rb->n_fields + 1) * sizeof(*fields));
        if (fields == NULL) {
            ld->oom = true;
            return;
        }
        for (size_t k = 0; k < rb->n_fields; k++)
            fields[k] = rb->fields[k].f;
        /* the record in l->records replaces the one the tree points to */
        l->records[i] = *rb->rec;
        l->records[i].fields = fields;
        l->records[i].n_fields = rb->n_fields;
    }
}

/* Point the tree, totals and fallback at the final record copies. */
static void relink(struct layout *l, struct node *g, struct build *b)
{
    for (size_t i = 0; i < g->n_children; i++) {
        struct node *c = &g->children[i];
        if (c->record != NULL)
            c->record = &l->records[c->record->index];
        else
            relink(l, c, b);
    }
}

static void structured_error(void *ctx, xmlErrorPtr err)
{
    struct loader *ld = ctx;
    if (err == NULL || err->level < XML_ERR_ERROR)
        return;
    char msg[400];
    snprintf(msg, sizeof(msg), "%s", err->message ? err->message : "error");
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    problem(ld, err->line, "malformed XML: %s", msg);
}

static struct layout *load_doc(struct loader *ld, xmlDoc *doc)
{
    struct layout *l = ld->layout;
    struct build b;
    memset(&b, 0, sizeof(b));

    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlDtd *dtd = doc->intSubset ? doc->intSubset : doc->extSubset;
        problem(ld,
                xmlGetLineNo((xmlNode *)dtd) > 0 ? xmlGetLineNo((xmlNode *)dtd)
                                                 : 1,
                "a DOCTYPE is not allowed in a layout");
        goto out;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (root == NULL || strcmp((const char *)root->name, "layout") != 0) {
        problem(ld, root ? xmlGetLineNo(root) : 1,
                "the root element must be <layout>");
        goto out;
    }
    static const char *const layout_attrs[] = {"name", "version", NULL};
    check_attrs(ld, root, layout_attrs);
    l->name = attr(ld, root, "name");
    if (l->name == NULL || *l->name == '\0') {
        problem(ld, xmlGetLineNo(root), "<layout> needs a name");
        l->name = "?";
    }
    xmlNode *file = NULL;
    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE ||
            strcmp((const char *)c->name, "file") != 0)
            continue;
        if (file != NULL)
            problem(ld, xmlGetLineNo(c), "<file> given twice");
        else
            file = c;
    }
    if (file == NULL) {
        problem(ld, xmlGetLineNo(root), "<layout> needs a <file> element");
        goto out;
    }
    load_file_element(ld, file);
    l->root.name = l->name;
    l->root.xml_line = xmlGetLineNo(root);
    l->root.min = l->root.max = 1;
    load_children(ld, &b, root, &l->root, 0, true);
    if (b.n_records == 0) {
        problem(ld, xmlGetLineNo(root), "<layout> declares no record");
        goto out;
    }
    const struct node *seen[LAYOUT_MAX_RECORDS];
    size_t n_seen = 0;
    check_group_names(ld, &b, &l->root, seen, &n_seen);
    if (ld->oom)
        goto out;
    if (l->format == LAYOUT_FIXED)
        for (size_t i = 0; i < b.n_records; i++)
            check_coverage(ld, &b.records[i]);
    check_identification(ld, &b);
    if (ld->n_problems > 0 || ld->oom)
        goto out;
    resolve_totals(ld, &b);
    finish_records(ld, &b);
    if (ld->n_problems > 0 || ld->oom)
        goto out;
    relink(l, &l->root, &b);
    for (size_t t = 0; t < l->n_totals; t++) {
        struct total_ref *tr = &l->totals[t];
        tr->record = &l->records[tr->record->index];
        struct layout_field *f =
            (struct layout_field *)&tr->record->fields[tr->field];
        if (f->total_of != NULL)
            f->total_of = &l->records[f->total_of->index];
    }
    if (l->fallback != NULL)
        l->fallback = &l->records[l->fallback->index];
    build_fast_identification(l, &b);
    resolve_defaults(ld, &b);
out:
    for (size_t i = 0; i < b.n_records; i++)
        free(b.records[i].fields);
    if (ld->oom)
        problem(ld, 0, "out of memory");
    if (ld->n_problems > 0)
        return NULL;
    return l;
}

struct layout *layout_load_buffer(const char *name, const char *xml, size_t len,
                                  struct layout_problems *problems)
{
    struct loader ld = {.file = name, .problems = problems};
    struct layout *l = NULL;
    xmlDoc *doc = NULL;

    if (len > INT_MAX) {
        problem(&ld, 0, "layout file too large");
        return NULL;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL || (l->arena = arena_new()) == NULL) {
        free(l);
        problem(&ld, 0, "out of memory");
        return NULL;
    }
    ld.layout = l;
    l->source = arena_strndup(l->arena, name, strlen(name));

    xmlSetStructuredErrorFunc(&ld, structured_error);
    /* no XML_PARSE_NOENT (no entity expansion), no XML_PARSE_DTDLOAD */
    doc = xmlReadMemory(xml, (int)len, name, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOCDATA);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (doc == NULL) {
        if (ld.n_problems == 0)
            problem(&ld, 1, "malformed XML");
        report_dropped_problems(&ld);
        layout_free(l);
        return NULL;
    }
    if (ld.n_problems > 0 || load_doc(&ld, doc) == NULL) {
        report_dropped_problems(&ld);
        xmlFreeDoc(doc);
        layout_free(l);
        return NULL;
    }
    xmlFreeDoc(doc);
    return l;
}

struct layout *layout_load(const char *path, struct layout_problems *problems)
{
    struct loader ld = {.file = path, .problems = problems};
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    struct layout *l = NULL;

    if (fp == NULL) {
        problem(&ld, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= (size_t)16 << 20) {
                problem(&ld, 0, "layout file larger than 16 MiB");
                goto out;
            }
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(buf, cap);
            if (grown == NULL) {
                problem(&ld, 0, "out of memory");
                goto out;
            }
            buf = grown;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0) {
            if (ferror(fp)) {
                problem(&ld, 0, "cannot read: %s", strerror(errno));
                goto out;
            }
            break;
        }
    }
    l = layout_load_buffer(path, buf, len, problems);
out:
    free(buf);
    fclose(fp);
    return l;
}

void layout_free(struct layout *layout)
{
    if (layout == NULL)
        return;
    arena_free(layout->arena);
    free(layout);
}

/* --- identification ---------------------------------------------------- */

const struct layout_record *
layout_identify_fixed(const struct layout *l, const char *line, uint32_t len)
{
    if (l->id_fast) {
        if (l->id_pos < len) {
            int i = l->id_map[(unsigned char)line[l->id_pos]];
            if (i >= 0)
                return &l->records[i];
        }
        return l->fallback;
    }
    for (size_t i = 0; i < l->n_records; i++) {
        const struct layout_record *r = &l->records[i];
        bool any = false, all = true;
        for (size_t k = 0; k < r->n_fields && all; k++) {
            const struct layout_field *f = &r->fields[k];
            if (f->literal == NULL)
                continue;
            any = true;
            all = (uint64_t)f->start + f->length <= len &&
                  memcmp(line + f->start, f->literal, f->length) == 0;
        }
        if (any && all)
            return r;
    }
    return l->fallback;
}

/* --- accessors --------------------------------------------------------- */

const char *layout_name(const struct layout *layout)
{
    return layout->name;
}
const char *layout_source(const struct layout *layout)
{
    return layout->source;
}
enum layout_format layout_format(const struct layout *layout)
{
    return layout->format;
}
enum layout_line_end layout_line_end(const struct layout *layout)
{
    return layout->line_end;
}
uint32_t layout_record_length(const struct layout *layout)
{
    return layout->record_length;
}
char layout_delimiter(const struct layout *layout)
{
    return layout->delimiter;
}
char layout_quote(const struct layout *layout)
{
    return layout->quote;
}
int layout_header_row(const struct layout *layout)
{
    return layout->header_row;
}
int layout_pad_short(const struct layout *layout)
{
    return layout->pad_short;
}
size_t layout_n_records(const struct layout *layout)
{
    return layout->n_records;
}

const struct layout_record *layout_record_at(const struct layout *layout,
                                             size_t i)
{
    return i < layout->n_records ? &layout->records[i] : NULL;
}

const struct layout_record *layout_record_by_name(const struct layout *layout,
                                                  const char *name)
{
    for (size_t i = 0; i < layout->n_records; i++)
        if (strcmp(layout->records[i].name, name) == 0)
            return &layout->records[i];
    return NULL;
}

int layout_field_index(const struct layout_record *record, const char *name)
{
    for (size_t i = 0; i < record->n_fields; i++)
        if (record->fields[i].name && strcmp(record->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void describe(const struct node *g, char *buf, size_t size, size_t *at)
{
    for (size_t i = 0; i < g->n_children; i++) {
        const struct node *c = &g->children[i];
        char occ[64];
        if (c->min == c->max)
            snprintf(occ, sizeof(occ), "{%llu}", (unsigned long long)c->min);
        else if (c->max == UINT64_MAX)
            snprintf(occ, sizeof(occ), "{%llu..*}", (unsigned long long)c->min);
        else
            snprintf(occ, sizeof(occ), "{%llu..%llu}",
                     (unsigned long long)c->min, (unsigned long long)c->max);
        int n;
        if (c->record != NULL) {
            n = snprintf(buf + *at, size - *at, "%s%s%s", i ? " " : "", c->name,
                         occ);
            if (n > 0)
                *at = *at + (size_t)n >= size ? size - 1 : *at + (size_t)n;
        } else {
            n = snprintf(buf + *at, size - *at, "%s%s(", i ? " " : "", c->name);
            if (n > 0)
                *at = *at + (size_t)n >= size ? size - 1 : *at + (size_t)n;
            describe(c, buf, size, at);
            n = snprintf(buf + *at, size - *at, ")%s", occ);
            if (n > 0)
                *at = *at + (size_t)n >= size ? size - 1 : *at + (size_t)n;
        }
    }
}

void layout_describe_structure(const struct layout *layout, char *buf,
                               size_t size)
{
    size_t at = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    describe(&layout->root, buf, size, &at);
}
