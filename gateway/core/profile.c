/*
 * profile.c - loading, checking and looking up program profiles.
 *
 * Owns reading formats/programs/<program>.xml with libxml2 exactly as
 * layouts are read (no network, no entity expansion, a DOCTYPE refused),
 * turning it into struct profile, every load-time check (each reported as
 * FILE:LINE: message), the optional check of the layout files the
 * exchanges name, and the lookups of profile.h.  It does not decide
 * anything about money: the offset core does, from these numbers.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "offsetgw/arena.h"
#include "offsetgw/profile.h"

#define MAX_FILE_BYTES ((size_t)1 << 20) /* a profile is a few KiB */
#define MAX_PROBLEMS 100                 /* problems kept from one load */
#define MAX_FACTS 512                    /* value elements in one profile */
#define MAX_ITEMS 64        /* fees, classes, caps, cycles, overrides */
#define MAX_LIST 256        /* debt types in one list */
#define MAX_TOKEN 32        /* codes and names */
#define MAX_TEXT 1024       /* source, note, title */
#define MAX_LAYOUT_PATH 255 /* an exchange's layout path */
#define MAX_DAYS 3650       /* ten years */
#define MAX_ATTEMPTS 100
#define MAX_CENTS INT64_C(100000000000) /* one billion dollars */

/* --- problems ------------------------------------------------------------ */

struct reporter {
    const char *file;
    struct layout_problems *problems;
    size_t n_problems;
};

__attribute__((format(printf, 3, 4))) static void
report(struct reporter *r, long line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (++r->n_problems <= MAX_PROBLEMS)
        layout_problems_add(r->problems, r->file, line, msg);
}

static void report_dropped(struct reporter *r)
{
    if (r->n_problems > MAX_PROBLEMS) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%zu more problems not shown",
                 r->n_problems - MAX_PROBLEMS);
        layout_problems_add(r->problems, r->file, 0, msg);
    }
}

/* --- names ---------------------------------------------------------------- */

struct name_value {
    const char *name;
    int value;
};

static bool lookup(const struct name_value *t, const char *s, int *out)
{
    for (; t->name != NULL; t++)
        if (strcmp(t->name, s) == 0) {
            *out = t->value;
            return true;
        }
    return false;
}

static const char *name_of(const struct name_value *t, int value)
{
    for (; t->name != NULL; t++)
        if (t->value == value)
            return t->name;
    return "?";
}

/* "a, b or c" for messages */
static void list_names(const struct name_value *t, char *buf, size_t size)
{
    size_t at = 0, n = 0;
    buf[0] = '\0';
    while (t[n].name != NULL)
        n++;
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(buf + at, size - at, "%s%s",
                         i == 0       ? ""
                         : i == n - 1 ? " or "
                                      : ", ",
                         t[i].name);
        if (k < 0 || (size_t)k >= size - at)
            return;
        at += (size_t)k;
    }
}

static const struct name_value model_names[] = {
    {"clearinghouse", PROFILE_CLEARINGHOUSE}, {"setoff", PROFILE_SETOFF}, {0}};
static const struct name_value match_names[] = {
    {"tin+name-control", PROFILE_MATCH_TIN_NAME_CONTROL},
    {"tin+last-name", PROFILE_MATCH_TIN_LAST_NAME},
    {0}};
static const struct name_value joint_names[] = {
    {"debtor-share", PROFILE_JOINT_DEBTOR_SHARE},
    {"whole", PROFILE_JOINT_WHOLE},
    {"not-allowed", PROFILE_JOINT_NOT_ALLOWED},
    {0}};
static const struct name_value notice_names[] = {
    {"referral", PROFILE_NOTICE_BEFORE_REFERRAL},
    {"address-match", PROFILE_NOTICE_AFTER_MATCH},
    {0}};
static const struct name_value tie_names[] = {
    {"largest-balance", PROFILE_TIE_LARGEST_BALANCE},
    {"oldest", PROFILE_TIE_OLDEST},
    {0}};
static const struct name_value fee_kind_names[] = {
    {"add-to-debt", PROFILE_FEE_ADD_TO_DEBT},
    {"deduct-per-offset", PROFILE_FEE_DEDUCT_PER_OFFSET},
    {"withhold-percent", PROFILE_FEE_WITHHOLD_PERCENT},
    {"withhold-per-offset", PROFILE_FEE_WITHHOLD_PER_OFFSET},
    {0}};
static const struct name_value applies_names[] = {
    {"all", PROFILE_FEE_ALL},
    {"with-tin", PROFILE_FEE_WITH_TIN},
    {"without-tin", PROFILE_FEE_WITHOUT_TIN},
    {0}};
static const struct name_value billing_names[] = {
    {"netted", PROFILE_BILL_NETTED},
    {"monthly", PROFILE_BILL_MONTHLY},
    {"yearly", PROFILE_BILL_YEARLY},
    {0}};
static const struct name_value base_names[] = {
    {"payment", PROFILE_CAP_OF_PAYMENT},
    {"disposable-pay", PROFILE_CAP_OF_DISPOSABLE_PAY},
    {0}};
static const struct name_value period_names[] = {
    {"day", PROFILE_EVERY_DAY},
    {"week", PROFILE_EVERY_WEEK},
    {"half-month", PROFILE_EVERY_HALF_MONTH},
    {"month", PROFILE_EVERY_MONTH},
    {"year", PROFILE_EVERY_YEAR},
    {0}};
static const struct name_value id_names[] = {
    {"ssn", PROFILE_ID_SSN}, {"ein", PROFILE_ID_EIN}, {0}};

static const char *const exchange_names[] = {"agency-debt",
                                             "agency-ack",
                                             "agency-unprocessable",
                                             "agency-match",
                                             "agency-collection",
                                             "agency-reconciliation",
                                             "agency-reconciliation-csv",
                                             "taxboard-debt",
                                             "treasury-referral",
                                             "treasury-address-request",
                                             "partner-match",
                                             "partner-unprocessable",
                                             "partner-collection",
                                             "payer-payment",
                                             "payer-offset",
                                             "agency-remittance",
                                             NULL};

const char *profile_model_name(enum profile_model model)
{
    return name_of(model_names, (int)model);
}
const char *profile_match_rule_name(enum profile_match_rule rule)
{
    return name_of(match_names, (int)rule);
}
const char *profile_joint_rule_name(enum profile_joint_rule rule)
{
    return name_of(joint_names, (int)rule);
}
const char *profile_notice_stage_name(enum profile_notice_stage stage)
{
    return name_of(notice_names, (int)stage);
}

const char *profile_tie_break_name(enum profile_tie_break rule)
{
    return name_of(tie_names, (int)rule);
}
const char *profile_fee_kind_name(enum profile_fee_kind kind)
{
    return name_of(fee_kind_names, (int)kind);
}
const char *profile_period_name(enum profile_period period)
{
    return name_of(period_names, (int)period);
}

bool profile_exchange_known(const char *name)
{
    if (name == NULL)
        return false;
    for (const char *const *e = exchange_names; *e != NULL; e++)
        if (strcmp(*e, name) == 0)
            return true;
    return false;
}

/* --- strict value parsers ------------------------------------------------- */

/* Digits, then optionally '.' and one or two digits, into hundredths.
 * No sign, no spaces, no exponent. */
static bool parse_hundredths(const char *s, int64_t max, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int n_frac = 0;

    if (!(*s >= '0' && *s <= '9'))
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (whole > (max / 100 - (*s - '0')) / 10)
            return false;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (++n_frac > 2)
                return false;
            frac = frac * 10 + (*s - '0');
        }
        if (n_frac == 0)
            return false;
    }
    if (*s != '\0')
        return false;
    if (n_frac == 1)
        frac *= 10;
    if (whole * 100 + frac > max)
        return false;
    *out = whole * 100 + frac;
    return true;
}

static bool parse_int(const char *s, int32_t max, int32_t *out)
{
    int32_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (v > (max - (*s - '0')) / 10)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

static bool is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A code or a name: 1..MAX_TOKEN of letters, digits, '-', '_'; starting
 * with a letter or a digit. */
static bool valid_token(const char *s, size_t n)
{
    if (n == 0 || n > MAX_TOKEN || s[0] == '-' || s[0] == '_')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_token_char(s[i]))
            return false;
    return true;
}

/* A layout path relative to the layouts directory: components of
 * [A-Za-z0-9._-], none empty, "." or "..", ending in ".xml". */
static bool valid_layout_path(const char *s)
{
    size_t n = strlen(s);
    if (n < 5 || n > MAX_LAYOUT_PATH || strcmp(s + n - 4, ".xml") != 0)
        return false;
    const char *c = s;
    for (;;) {
        const char *end = strchr(c, '/');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (len == 0 || (len == 1 && c[0] == '.') ||
            (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        for (size_t i = 0; i < len; i++)
            if (!is_token_char(c[i]) && c[i] != '.')
                return false;
        if (end == NULL)
            return true;
        c = end + 1;
    }
}

/* --- the loader ---------------------------------------------------------- */

/* The elements that hold one value each. */
enum single {
    S_MINIMUM_DEBT,
    S_ID_TYPES,
    S_NOTICE_DAYS,
    S_APPEAL_DAYS,
    S_DELINQUENT_DAYS,
    S_COLLECTION_ATTEMPTS,
    S_REFERRAL_DELAY_DAYS,
    S_RULE,
    S_HOLD_DAYS,
    S_JOINT_REFUND,
    S_TIE_BREAK,
    S_PAY_IN_FULL,
    S_COUNT_
};

static const struct {
    enum single id;
    const char *section;
    const char *element;
    bool optional;
} singles[] = {
    {S_MINIMUM_DEBT, "eligibility", "minimum-debt", false},
    {S_ID_TYPES, "eligibility", "id-types", false},
    {S_NOTICE_DAYS, "eligibility", "notice-days", false},
    {S_APPEAL_DAYS, "eligibility", "appeal-days", false},
    {S_DELINQUENT_DAYS, "eligibility", "delinquent-days", false},
    {S_COLLECTION_ATTEMPTS, "eligibility", "collection-attempts", false},
    {S_REFERRAL_DELAY_DAYS, "eligibility", "referral-delay-days", false},
    {S_RULE, "matching", "rule", false},
    {S_HOLD_DAYS, "matching", "hold-days", true},
    {S_JOINT_REFUND, "matching", "joint-refund", false},
    {S_TIE_BREAK, "priority", "tie-break", false},
    {S_PAY_IN_FULL, "priority", "pay-in-full", false},
};
#define N_SINGLES (sizeof(singles) / sizeof(singles[0]))

enum section {
    SEC_ELIGIBILITY,
    SEC_MATCHING,
    SEC_FEES,
    SEC_PRIORITY,
    SEC_CAPS,
    SEC_CYCLES,
    SEC_EXCHANGES,
    SEC_COUNT_
};

static const char *const sections[SEC_COUNT_ + 1] = {
    "eligibility", "matching", "fees",      "priority",
    "caps",        "cycles",   "exchanges", NULL};

struct loader {
    struct reporter r;
    struct profile *p;
    struct arena *mem;
    bool oom;
    long single_line[S_COUNT_];    /* where each was given, 0 = not */
    long section_line[SEC_COUNT_]; /* likewise for the sections */
    size_t n_exchange_elements;    /* stored or not */
    struct profile_fact *facts;    /* MAX_FACTS */
    struct profile_fee *fees;      /* MAX_ITEMS each */
    struct profile_class *classes;
    struct profile_cap *caps;
    struct profile_cycle *cycles;
    struct profile_exchange *exchanges; /* one per known name at most */
    size_t n_facts, n_fees, n_classes, n_caps, n_cycles, n_exchanges;
};

#define PROBLEM(ld, line, ...) report(&(ld)->r, (line), __VA_ARGS__)

static long line_of(xmlNode *n)
{
    long line = xmlGetLineNo(n);
    return line > 0 ? line : 1;
}

static const char *ename(xmlNode *n)
{
    return (const char *)n->name;
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

/* Children worth looking at are elements; stray text is reported. */
static bool element_or_report(struct loader *ld, xmlNode *c)
{
    if (c->type == XML_ELEMENT_NODE)
        return true;
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
        !is_blank_text(c))
        PROBLEM(ld, line_of(c), "unexpected text in <%s>", ename(c->parent));
    else if (c->type == XML_ENTITY_REF_NODE)
        PROBLEM(ld, line_of(c), "entity references are not allowed");
    return false;
}

/* Report every child element of N: it takes none. */
static void no_children(struct loader *ld, xmlNode *n)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next)
        if (element_or_report(ld, c))
            PROBLEM(ld, line_of(c), "unknown element <%s> in <%s>", ename(c),
                    ename(n));
}

/* Report attributes of N not in the NULL-ended ALLOWED list. */
static void check_attrs(struct loader *ld, xmlNode *n,
                        const char *const *allowed)
{
    for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
        bool ok = false;
        for (const char *const *p = allowed; *p != NULL && !ok; p++)
            ok = strcmp((const char *)a->name, *p) == 0;
        if (!ok)
            PROBLEM(ld, line_of(n), "unknown attribute '%s' on <%s>",
                    (const char *)a->name, ename(n));
    }
}

/* Value of attribute NAME copied into the profile, or NULL when absent
 * (or too long: reported). */
static const char *attr(struct loader *ld, xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (v == NULL)
        return NULL;
    size_t len = strlen((const char *)v);
    const char *copy = NULL;
    if (len > MAX_TEXT)
        PROBLEM(ld, line_of(n), "<%s> %s: longer than %d characters", ename(n),
                name, MAX_TEXT);
    else if ((copy = arena_strndup(ld->mem, (const char *)v, len)) == NULL)
        ld->oom = true;
    xmlFree(v);
    return copy;
}

/* Like attr(), but a missing or empty value is reported. */
static const char *required_attr(struct loader *ld, xmlNode *n,
                                 const char *name)
{
    const char *v = attr(ld, n, name);
    if (v == NULL && xmlHasProp(n, (const xmlChar *)name) == NULL)
        PROBLEM(ld, line_of(n), "<%s> needs %s", ename(n), name);
    else if (v != NULL && *v == '\0') {
        PROBLEM(ld, line_of(n), "<%s> %s is empty", ename(n), name);
        v = NULL;
    }
    return v;
}

static bool parse_bool(struct loader *ld, xmlNode *n, const char *name,
                       const char *s, bool *out)
{
    if (strcmp(s, "true") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0)
        *out = false;
    else {
        PROBLEM(ld, line_of(n), "<%s> %s='%s': expected true or false",
                ename(n), name, s);
        return false;
    }
    return true;
}

static bool parse_enum(struct loader *ld, xmlNode *n, const char *name,
                       const char *s, const struct name_value *table, int *out)
{
    if (lookup(table, s, out))
        return true;
    char expected[256];
    list_names(table, expected, sizeof(expected));
    PROBLEM(ld, line_of(n), "<%s> %s='%s': expected %s", ename(n), name, s,
            expected);
    return false;
}

static bool parse_money_attr(struct loader *ld, xmlNode *n, const char *name,
                             const char *s, int64_t *cents)
{
    if (parse_hundredths(s, MAX_CENTS, cents))
        return true;
    PROBLEM(ld, line_of(n),
            "<%s> %s='%s': expected money like 10.00 (0.00 to "
            "1000000000.00)",
            ename(n), name, s);
    return false;
}

static bool parse_percent_attr(struct loader *ld, xmlNode *n, const char *name,
                               const char *s, int32_t *bp)
{
    int64_t v;
    if (parse_hundredths(s, PROFILE_BP_WHOLE, &v)) {
        *bp = (int32_t)v;
        return true;
    }
    PROBLEM(ld, line_of(n),
            "<%s> %s='%s': expected a percentage like 18.40 (0.00 to "
            "100.00)",
            ename(n), name, s);
    return false;
}

static bool parse_int_attr(struct loader *ld, xmlNode *n, const char *name,
                           const char *s, int32_t max, const char *what,
                           int32_t *out)
{
    if (parse_int(s, max, out))
        return true;
    PROBLEM(ld, line_of(n), "<%s> %s='%s': expected %s 0 to %ld", ename(n),
            name, s, what, (long)max);
    return false;
}

static bool parse_token_attr(struct loader *ld, xmlNode *n, const char *name,
                             const char *s)
{
    if (valid_token(s, strlen(s)))
        return true;
    PROBLEM(ld, line_of(n),
            "<%s> %s='%s': expected a code of 1 to %d letters, digits, '-' "
            "or '_'",
            ename(n), name, s, MAX_TOKEN);
    return false;
}

/* A space-separated list of codes into a NULL-free array in the profile.
 * Duplicates in the list are reported.  Returns false on any problem. */
static bool parse_list(struct loader *ld, xmlNode *n, const char *name,
                       const char *s, const char *const **out, size_t *n_out)
{
    const char *items[MAX_LIST];
    size_t n_items = 0;
    bool ok = true;

    for (const char *c = s;;) {
        while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
            c++;
        if (*c == '\0')
            break;
        const char *end = c;
        while (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n' &&
               *end != '\r')
            end++;
        size_t len = (size_t)(end - c);
        if (!valid_token(c, len)) {
            PROBLEM(ld, line_of(n),
                    "<%s> %s: '%.*s' is not a code of 1 to %d letters, "
                    "digits, '-' or '_'",
                    ename(n), name, (int)(len > 40 ? 40 : len), c, MAX_TOKEN);
            ok = false;
        } else if (n_items == MAX_LIST) {
            PROBLEM(ld, line_of(n), "<%s> %s: more than %d codes", ename(n),
                    name, MAX_LIST);
            return false;
        } else {
            char *item = arena_strndup(ld->mem, c, len);
            if (item == NULL) {
                ld->oom = true;
                return false;
            }
            for (size_t i = 0; i < n_items; i++)
                if (strcmp(items[i], item) == 0) {
                    PROBLEM(ld, line_of(n), "<%s> %s: '%s' listed twice",
                            ename(n), name, item);
                    ok = false;
                    break;
                }
            items[n_items++] = item;
        }
        c = end;
    }
    if (n_items == 0) {
        PROBLEM(ld, line_of(n), "<%s> %s lists nothing", ename(n), name);
        return false;
    }
    const char **arr = arena_alloc(ld->mem, n_items * sizeof(*arr));
    if (arr == NULL) {
        ld->oom = true;
        return false;
    }
    memcpy(arr, items, n_items * sizeof(*arr));
    *out = arr;
    *n_out = n_items;
    return ok;
}

/* A value element: its attributes are EXTRA plus source, verified, note.
 * Checks them, reads the provenance and returns the new fact (NULL only
 * when there are too many or memory ran out). */
static struct profile_fact *fact_new(struct loader *ld, xmlNode *n,
                                     const char *const *extra, const char *name)
{
    const char *allowed[16];
    size_t k = 0;
    for (; extra[k] != NULL && k < 12; k++)
        allowed[k] = extra[k];
    allowed[k++] = "source";
    allowed[k++] = "verified";
    allowed[k++] = "note";
    allowed[k] = NULL;
    check_attrs(ld, n, allowed);

    if (ld->n_facts == MAX_FACTS) {
        PROBLEM(ld, line_of(n), "more than %d values in one profile",
                MAX_FACTS);
        return NULL;
    }
    struct profile_fact *f = &ld->facts[ld->n_facts++];
    f->element = ename(n);
    f->name = name;
    f->line = line_of(n);
    f->verified = true;
    f->source = required_attr(ld, n, "source");
    if (f->source == NULL)
        f->source = "?";
    f->note = attr(ld, n, "note");
    const char *v = attr(ld, n, "verified");
    if (v != NULL)
        parse_bool(ld, n, "verified", v, &f->verified);
    f->element = arena_strndup(ld->mem, f->element, strlen(f->element));
    if (f->element == NULL)
        ld->oom = true;
    return f;
}

/* --- single values ---------------------------------------------------------
 */

static void load_single(struct loader *ld, xmlNode *n, enum single id)
{
    static const char *const value_attrs[] = {"value", NULL};
    static const char *const id_attrs[] = {"accept", "required", NULL};
    static const char *const notice_attrs[] = {"value", "after", NULL};
    struct profile *p = ld->p;

    if (ld->single_line[id] != 0) {
        PROBLEM(ld, line_of(n), "<%s> given twice (first on line %ld)",
                ename(n), ld->single_line[id]);
        return;
    }
    ld->single_line[id] = line_of(n);
    no_children(ld, n);
    if (fact_new(ld, n,
                 id == S_ID_TYPES      ? id_attrs
                 : id == S_NOTICE_DAYS ? notice_attrs
                                       : value_attrs,
                 NULL) == NULL)
        return;

    if (id == S_ID_TYPES) {
        const char *accept = required_attr(ld, n, "accept");
        const char *required = required_attr(ld, n, "required");
        const char *const *types = NULL;
        size_t n_types = 0;
        if (accept != NULL &&
            parse_list(ld, n, "accept", accept, &types, &n_types))
            for (size_t i = 0; i < n_types; i++) {
                int bit;
                if (parse_enum(ld, n, "accept", types[i], id_names, &bit))
                    p->id_types |= (unsigned)bit;
            }
        if (required != NULL)
            parse_bool(ld, n, "required", required, &p->id_required);
        return;
    }

    const char *v = required_attr(ld, n, "value");
    int e;
    if (v == NULL)
        return;
    switch (id) {
    case S_MINIMUM_DEBT:
        parse_money_attr(ld, n, "value", v, &p->min_debt_cents);
        break;
    case S_NOTICE_DAYS: {
        parse_int_attr(ld, n, "value", v, MAX_DAYS, "days", &p->notice_days);
        const char *after = attr(ld, n, "after");
        if (after != NULL &&
            parse_enum(ld, n, "after", after, notice_names, &e))
            p->notice_stage = (enum profile_notice_stage)e;
        break;
    }
    case S_APPEAL_DAYS:
        parse_int_attr(ld, n, "value", v, MAX_DAYS, "days", &p->appeal_days);
        break;
    case S_DELINQUENT_DAYS:
        parse_int_attr(ld, n, "value", v, MAX_DAYS, "days",
                       &p->delinquent_days);
        break;
    case S_COLLECTION_ATTEMPTS:
        parse_int_attr(ld, n, "value", v, MAX_ATTEMPTS, "a count",
                       &p->collection_attempts);
        break;
    case S_REFERRAL_DELAY_DAYS:
        parse_int_attr(ld, n, "value", v, MAX_DAYS, "days",
                       &p->referral_delay_days);
        break;
    case S_HOLD_DAYS:
        parse_int_attr(ld, n, "value", v, MAX_DAYS, "days", &p->hold_days);
        break;
    case S_RULE:
        if (parse_enum(ld, n, "value", v, match_names, &e))
            p->match_rule = (enum profile_match_rule)e;
        break;
    case S_JOINT_REFUND:
        if (parse_enum(ld, n, "value", v, joint_names, &e))
            p->joint_refund = (enum profile_joint_rule)e;
        break;
    case S_TIE_BREAK:
        if (parse_enum(ld, n, "value", v, tie_names, &e))
            p->tie_break = (enum profile_tie_break)e;
        break;
    case S_PAY_IN_FULL:
        parse_bool(ld, n, "value", v, &p->pay_in_full);
        break;
    case S_ID_TYPES:
    case S_COUNT_:
        break;
    }
}

/* --- lists -----------------------------------------------------------------
 */

static void load_fee(struct loader *ld, xmlNode *n)
{
    static const char *const fee_attrs[] = {"name",    "kind",    "amount",
                                            "percent", "applies", "billing",
                                            "enabled", NULL};
    const char *name = required_attr(ld, n, "name");

    no_children(ld, n);
    if (name != NULL && !parse_token_attr(ld, n, "name", name))
        name = NULL;
    if (ld->n_fees == MAX_ITEMS) {
        PROBLEM(ld, line_of(n), "more than %d fees", MAX_ITEMS);
        return;
    }
    struct profile_fee *f = &ld->fees[ld->n_fees++];
    f->name = name ? name : "?";
    f->fact = fact_new(ld, n, fee_attrs, f->name);
    for (size_t i = 0; name != NULL && i + 1 < ld->n_fees; i++)
        if (strcmp(ld->fees[i].name, name) == 0)
            PROBLEM(ld, line_of(n), "fee '%s' given twice (first on line %ld)",
                    name, ld->fees[i].fact ? ld->fees[i].fact->line : 0L);

    const char *kind = required_attr(ld, n, "kind");
    const char *amount = attr(ld, n, "amount");
    const char *percent = attr(ld, n, "percent");
    const char *applies = attr(ld, n, "applies");
    const char *billing = attr(ld, n, "billing");
    const char *enabled = required_attr(ld, n, "enabled");
    int e;

    if (kind != NULL && parse_enum(ld, n, "kind", kind, fee_kind_names, &e)) {
        f->kind = (enum profile_fee_kind)e;
        bool is_percent = f->kind == PROFILE_FEE_WITHHOLD_PERCENT;
        const char *want = is_percent ? "percent" : "amount";
        const char *given = is_percent ? percent : amount;
        const char *other = is_percent ? amount : percent;
        if (other != NULL)
            PROBLEM(ld, line_of(n),
                    "<fee> %s does not apply to kind '%s' (it takes %s)",
                    is_percent ? "amount" : "percent", kind, want);
        else if (given == NULL)
            PROBLEM(ld, line_of(n), "<fee> of kind '%s' needs %s", kind, want);
        else if (is_percent)
            parse_percent_attr(ld, n, "percent", given, &f->percent_bp);
        else
            parse_money_attr(ld, n, "amount", given, &f->amount_cents);
    }
    if (applies != NULL &&
        parse_enum(ld, n, "applies", applies, applies_names, &e))
        f->applies = (enum profile_fee_applies)e;
    if (billing != NULL &&
        parse_enum(ld, n, "billing", billing, billing_names, &e))
        f->billing = (enum profile_billing)e;
    if (enabled != NULL)
        parse_bool(ld, n, "enabled", enabled, &f->enabled);
}

/* Two enabled percentage fees on the same debts would withhold twice. */
static void check_fee_overlap(struct loader *ld)
{
    for (size_t i = 0; i < ld->n_fees; i++) {
        const struct profile_fee *b = &ld->fees[i];
        if (!b->enabled || b->kind != PROFILE_FEE_WITHHOLD_PERCENT)
            continue;
        for (size_t j = 0; j < i; j++) {
            const struct profile_fee *a = &ld->fees[j];
            if (!a->enabled || a->kind != PROFILE_FEE_WITHHOLD_PERCENT)
                continue;
            if (a->applies == b->applies || a->applies == PROFILE_FEE_ALL ||
                b->applies == PROFILE_FEE_ALL) {
                PROBLEM(ld, b->fact ? b->fact->line : 0,
                        "fee '%s' and fee '%s' (line %ld) both withhold a "
                        "percentage of the same collections: enable one",
                        b->name, a->name, a->fact ? a->fact->line : 0L);
                break;
            }
        }
    }
}

static void load_class(struct loader *ld, xmlNode *n)
{
    static const char *const class_attrs[] = {"code", "title", "debt-types",
                                              NULL};
    const char *code = required_attr(ld, n, "code");

    no_children(ld, n);
    if (code != NULL && !parse_token_attr(ld, n, "code", code))
        code = NULL;
    if (ld->n_classes == MAX_ITEMS) {
        PROBLEM(ld, line_of(n), "more than %d priority classes", MAX_ITEMS);
        return;
    }
    struct profile_class *c = &ld->classes[ld->n_classes++];
    c->code = code ? code : "?";
    c->fact = fact_new(ld, n, class_attrs, c->code);
    c->title = attr(ld, n, "title");
    for (size_t i = 0; code != NULL && i + 1 < ld->n_classes; i++)
        if (strcmp(ld->classes[i].code, code) == 0)
            PROBLEM(ld, line_of(n),
                    "priority class '%s' given twice (first on line %ld)", code,
                    ld->classes[i].fact ? ld->classes[i].fact->line : 0L);

    const char *types = required_attr(ld, n, "debt-types");
    if (types == NULL || !parse_list(ld, n, "debt-types", types, &c->debt_types,
                                     &c->n_debt_types))
        return;
    /* a debt type in two classes would have two priorities */
    for (size_t k = 0; k < c->n_debt_types; k++)
        for (size_t i = 0; i + 1 < ld->n_classes; i++) {
            const struct profile_class *o = &ld->classes[i];
            for (size_t m = 0; m < o->n_debt_types; m++)
                if (strcmp(o->debt_types[m], c->debt_types[k]) == 0)
                    PROBLEM(ld, line_of(n),
                            "debt type '%s' is in class '%s' (line %ld) and "
                            "in class '%s'",
                            c->debt_types[k], o->code,
                            o->fact ? o->fact->line : 0L, c->code);
        }
}

static void load_override(struct loader *ld, xmlNode *n,
                          const struct profile_cap *cap,
                          struct profile_cap_override *ovs, size_t *n_ovs)
{
    static const char *const override_attrs[] = {"debt-types", "percent", NULL};
    no_children(ld, n);
    if (*n_ovs == MAX_ITEMS) {
        PROBLEM(ld, line_of(n), "more than %d overrides", MAX_ITEMS);
        return;
    }
    struct profile_cap_override *o = &ovs[(*n_ovs)++];
    o->fact = fact_new(ld, n, override_attrs, cap->payment);
    const char *types = required_attr(ld, n, "debt-types");
    const char *percent = required_attr(ld, n, "percent");
    if (percent != NULL)
        parse_percent_attr(ld, n, "percent", percent, &o->percent_bp);
    if (types == NULL || !parse_list(ld, n, "debt-types", types, &o->debt_types,
                                     &o->n_debt_types))
        return;
    for (size_t k = 0; k < o->n_debt_types; k++)
        for (size_t i = 0; i + 1 < *n_ovs; i++)
            for (size_t m = 0; m < ovs[i].n_debt_types; m++)
                if (strcmp(ovs[i].debt_types[m], o->debt_types[k]) == 0)
                    PROBLEM(ld, line_of(n),
                            "debt type '%s' has two overrides on payment "
                            "'%s' (first on line %ld)",
                            o->debt_types[k], cap->payment,
                            ovs[i].fact ? ovs[i].fact->line : 0L);
}

static void load_cap(struct loader *ld, xmlNode *n, bool exempt)
{
    static const char *const cap_attrs[] = {"payment", "percent", "base", NULL};
    static const char *const exempt_attrs[] = {"payment", NULL};
    const char *payment = required_attr(ld, n, "payment");

    if (payment != NULL && !parse_token_attr(ld, n, "payment", payment))
        payment = NULL;
    if (ld->n_caps == MAX_ITEMS) {
        PROBLEM(ld, line_of(n), "more than %d payment sources", MAX_ITEMS);
        return;
    }
    struct profile_cap *c = &ld->caps[ld->n_caps++];
    c->payment = payment ? payment : "?";
    c->exempt = exempt;
    c->fact = fact_new(ld, n, exempt ? exempt_attrs : cap_attrs, c->payment);
    for (size_t i = 0; payment != NULL && i + 1 < ld->n_caps; i++)
        if (strcmp(ld->caps[i].payment, payment) == 0)
            PROBLEM(ld, line_of(n),
                    "payment source '%s' given twice (first on line %ld)",
                    payment, ld->caps[i].fact ? ld->caps[i].fact->line : 0L);
    if (exempt) {
        no_children(ld, n);
        return;
    }

    const char *percent = required_attr(ld, n, "percent");
    const char *base = attr(ld, n, "base");
    int e;
    if (percent != NULL)
        parse_percent_attr(ld, n, "percent", percent, &c->percent_bp);
    if (base != NULL && parse_enum(ld, n, "base", base, base_names, &e))
        c->base = (enum profile_cap_base)e;

    struct profile_cap_override ovs[MAX_ITEMS];
    size_t n_ovs = 0;
    memset(ovs, 0, sizeof(ovs));
    for (xmlNode *k = n->children; k != NULL; k = k->next) {
        if (!element_or_report(ld, k))
            continue;
        if (strcmp(ename(k), "override") == 0)
            load_override(ld, k, c, ovs, &n_ovs);
        else
            PROBLEM(ld, line_of(k), "unknown element <%s> in <cap>", ename(k));
    }
    if (n_ovs > 0) {
        struct profile_cap_override *arr =
            arena_alloc(ld->mem, n_ovs * sizeof(*arr));
        if (arr == NULL) {
            ld->oom = true;
            return;
        }
        memcpy(arr, ovs, n_ovs * sizeof(*arr));
        c->overrides = arr;
        c->n_overrides = n_ovs;
    }
}

static void load_cycle(struct loader *ld, xmlNode *n)
{
    static const char *const cycle_attrs[] = {"name", "every", "at-least",
                                              NULL};
    const char *name = required_attr(ld, n, "name");

    no_children(ld, n);
    if (name != NULL && !parse_token_attr(ld, n, "name", name))
        name = NULL;
    if (ld->n_cycles == MAX_ITEMS) {
        PROBLEM(ld, line_of(n), "more than %d cycles", MAX_ITEMS);
        return;
    }
    struct profile_cycle *c = &ld->cycles[ld->n_cycles++];
    c->name = name ? name : "?";
    c->fact = fact_new(ld, n, cycle_attrs, c->name);
    for (size_t i = 0; name != NULL && i + 1 < ld->n_cycles; i++)
        if (strcmp(ld->cycles[i].name, name) == 0)
            PROBLEM(ld, line_of(n),
                    "cycle '%s' given twice (first on line %ld)", name,
                    ld->cycles[i].fact ? ld->cycles[i].fact->line : 0L);
    const char *every = required_attr(ld, n, "every");
    const char *at_least = attr(ld, n, "at-least");
    int e;
    if (every != NULL && parse_enum(ld, n, "every", every, period_names, &e))
        c->every = (enum profile_period)e;
    if (at_least != NULL)
        parse_bool(ld, n, "at-least", at_least, &c->at_least);
}

static void load_exchange(struct loader *ld, xmlNode *n)
{
    static const char *const exchange_attrs[] = {"name", "layout", "note",
                                                 NULL};
    const char *name = required_attr(ld, n, "name");
    const char *layout = required_attr(ld, n, "layout");

    ld->n_exchange_elements++;
    no_children(ld, n);
    check_attrs(ld, n, exchange_attrs);
    if (name == NULL)
        return;
    if (!profile_exchange_known(name)) {
        PROBLEM(ld, line_of(n), "unknown exchange '%s'", name);
        return;
    }
    for (size_t i = 0; i < ld->n_exchanges; i++)
        if (strcmp(ld->exchanges[i].name, name) == 0) {
            PROBLEM(ld, line_of(n),
                    "exchange '%s' given twice (first on line %ld)", name,
                    ld->exchanges[i].line);
            return;
        }
    if (layout != NULL && !valid_layout_path(layout)) {
        PROBLEM(ld, line_of(n),
                "exchange '%s': layout '%s' must be a relative path like "
                "common/%s.xml (no '..', no '/' first, ending in .xml)",
                name, layout, name);
        layout = NULL;
    }
    struct profile_exchange *x = &ld->exchanges[ld->n_exchanges++];
    x->name = name;
    x->layout = layout;
    x->line = line_of(n);
}

/* --- sections ------------------------------------------------------------- */

static void load_section(struct loader *ld, xmlNode *s)
{
    const char *sname = ename(s);

    check_attrs(ld, s, (const char *const[]){NULL});
    for (xmlNode *c = s->children; c != NULL; c = c->next) {
        if (!element_or_report(ld, c))
            continue;
        const char *cname = ename(c);
        bool done = false;
        for (size_t i = 0; i < N_SINGLES && !done; i++)
            if (strcmp(singles[i].section, sname) == 0 &&
                strcmp(singles[i].element, cname) == 0) {
                load_single(ld, c, singles[i].id);
                done = true;
            }
        if (done)
            continue;
        if (strcmp(sname, "fees") == 0 && strcmp(cname, "fee") == 0)
            load_fee(ld, c);
        else if (strcmp(sname, "priority") == 0 && strcmp(cname, "class") == 0)
            load_class(ld, c);
        else if (strcmp(sname, "caps") == 0 && strcmp(cname, "cap") == 0)
            load_cap(ld, c, false);
        else if (strcmp(sname, "caps") == 0 && strcmp(cname, "exempt") == 0)
            load_cap(ld, c, true);
        else if (strcmp(sname, "cycles") == 0 && strcmp(cname, "cycle") == 0)
            load_cycle(ld, c);
        else if (strcmp(sname, "exchanges") == 0 &&
                 strcmp(cname, "exchange") == 0)
            load_exchange(ld, c);
        else
            PROBLEM(ld, line_of(c), "unknown element <%s> in <%s>", cname,
                    sname);
    }
    for (size_t i = 0; i < N_SINGLES; i++)
        if (strcmp(singles[i].section, sname) == 0 && !singles[i].optional &&
            ld->single_line[singles[i].id] == 0)
            PROBLEM(ld, line_of(s), "<%s> needs <%s>", sname,
                    singles[i].element);
}

/* Checks that need the whole file: lists that may not be empty, and, when
 * everything else is sound (so they add no follow-on problems), overrides
 * that name debt types no class knows and fees that overlap. */
static void check_whole(struct loader *ld, xmlNode *root)
{
    if (ld->section_line[SEC_PRIORITY] != 0 && ld->n_classes == 0)
        PROBLEM(ld, ld->section_line[SEC_PRIORITY],
                "<priority> needs at least one <class>");
    if (ld->section_line[SEC_CAPS] != 0 && ld->n_caps == 0)
        PROBLEM(ld, ld->section_line[SEC_CAPS],
                "<caps> needs at least one <cap> or <exempt>");
    if (ld->section_line[SEC_EXCHANGES] != 0 && ld->n_exchange_elements == 0)
        PROBLEM(ld, ld->section_line[SEC_EXCHANGES],
                "<exchanges> needs at least one <exchange>");
    if (ld->r.n_problems > 0)
        return;
    for (size_t i = 0; i < ld->n_caps; i++) {
        const struct profile_cap *c = &ld->caps[i];
        for (size_t j = 0; j < c->n_overrides; j++) {
            const struct profile_cap_override *o = &c->overrides[j];
            for (size_t k = 0; k < o->n_debt_types; k++) {
                bool known = false;
                for (size_t m = 0; m < ld->n_classes && !known; m++)
                    for (size_t t = 0;
                         t < ld->classes[m].n_debt_types && !known; t++)
                        known = strcmp(ld->classes[m].debt_types[t],
                                       o->debt_types[k]) == 0;
                if (!known)
                    PROBLEM(ld, o->fact ? o->fact->line : line_of(root),
                            "override on payment '%s': debt type '%s' is in "
                            "no priority class",
                            c->payment, o->debt_types[k]);
            }
        }
    }
    check_fee_overlap(ld);
}

static void load_root(struct loader *ld, xmlNode *root)
{
    static const char *const program_attrs[] = {"name", "title", "model",
                                                "version", NULL};
    struct profile *p = ld->p;
    int e;

    check_attrs(ld, root, program_attrs);
    const char *name = required_attr(ld, root, "name");
    const char *title = required_attr(ld, root, "title");
    const char *model = required_attr(ld, root, "model");
    p->version = attr(ld, root, "version");
    if (name != NULL && parse_token_attr(ld, root, "name", name))
        p->name = name;
    p->title = title;
    if (model != NULL && parse_enum(ld, root, "model", model, model_names, &e))
        p->model = (enum profile_model)e;

    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (!element_or_report(ld, c))
            continue;
        size_t i = 0;
        while (sections[i] != NULL && strcmp(sections[i], ename(c)) != 0)
            i++;
        if (sections[i] == NULL) {
            PROBLEM(ld, line_of(c), "unknown element <%s> in <program>",
                    ename(c));
            continue;
        }
        if (ld->section_line[i] != 0) {
            PROBLEM(ld, line_of(c), "<%s> given twice (first on line %ld)",
                    ename(c), ld->section_line[i]);
            continue;
        }
        ld->section_line[i] = line_of(c);
        load_section(ld, c);
    }
    for (size_t i = 0; sections[i] != NULL; i++)
        if (ld->section_line[i] == 0)
            PROBLEM(ld, line_of(root), "<program> needs <%s>", sections[i]);
    check_whole(ld, root);
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
    PROBLEM(ld, err->line > 0 ? err->line : 1, "malformed XML: %s", msg);
}

/* Line of "<!DOCTYPE" in XML: libxml2 keeps no line for a DTD node. */
static long doctype_line(const char *xml, size_t len)
{
    const char *hit = memmem(xml, len, "<!DOCTYPE", 9);
    long line = 1;
    if (hit == NULL)
        return 1;
    for (const char *c = xml; c < hit; c++)
        if (*c == '\n')
            line++;
    return line;
}

/* <dir>/../layouts, or <parent>/layouts when the profile sits in a
 * directory called "programs" (formats/programs/x.xml -> formats/layouts). */
static char *derive_layouts_dir(struct arena *m, const char *path)
{
    const char *slash = strrchr(path, '/');
    char buf[4096];
    int n;

    if (slash == NULL)
        n = snprintf(buf, sizeof(buf), "../layouts");
    else {
        size_t dir_len = (size_t)(slash - path);
        const char *last = path;
        for (const char *c = path; c < slash; c++)
            if (*c == '/')
                last = c + 1;
        if ((size_t)(slash - last) == 8 && memcmp(last, "programs", 8) == 0)
            n = snprintf(buf, sizeof(buf), "%.*slayouts", (int)(last - path),
                         path);
        else if (dir_len == 0)
            n = snprintf(buf, sizeof(buf), "/layouts");
        else
            n = snprintf(buf, sizeof(buf), "%.*s/../layouts", (int)dir_len,
                         path);
    }
    if (n < 0 || (size_t)n >= sizeof(buf))
        return NULL;
    return arena_strndup(m, buf, (size_t)n);
}

struct profile *profile_load_buffer(const char *name, const char *xml,
                                    size_t len,
                                    struct layout_problems *problems)
{
    struct loader ld;
    xmlDoc *doc = NULL;
    struct profile *p = NULL;

    memset(&ld, 0, sizeof(ld));
    ld.r.file = name;
    ld.r.problems = problems;
    if (len > MAX_FILE_BYTES) {
        report(&ld.r, 1, "profile larger than %zu bytes", MAX_FILE_BYTES);
        goto fail;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (ld.mem = arena_new()) == NULL)
        goto oom;
    p->mem = ld.mem;
    ld.p = p;
    ld.facts = arena_alloc(ld.mem, MAX_FACTS * sizeof(*ld.facts));
    ld.fees = arena_alloc(ld.mem, MAX_ITEMS * sizeof(*ld.fees));
    ld.classes = arena_alloc(ld.mem, MAX_ITEMS * sizeof(*ld.classes));
    ld.caps = arena_alloc(ld.mem, MAX_ITEMS * sizeof(*ld.caps));
    ld.cycles = arena_alloc(ld.mem, MAX_ITEMS * sizeof(*ld.cycles));
    ld.exchanges = arena_alloc(ld.mem, MAX_ITEMS * sizeof(*ld.exchanges));
    p->path = arena_strndup(ld.mem, name, strlen(name));
    p->layouts_dir = derive_layouts_dir(ld.mem, name);
    if (ld.facts == NULL || ld.fees == NULL || ld.classes == NULL ||
        ld.caps == NULL || ld.cycles == NULL || ld.exchanges == NULL ||
        p->path == NULL || p->layouts_dir == NULL)
        goto oom;

    xmlSetStructuredErrorFunc(&ld, structured_error);
    /* no XML_PARSE_NOENT (no entity expansion), no XML_PARSE_DTDLOAD,
     * no network */
    doc = xmlReadMemory(xml, (int)len, name, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOCDATA);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (doc == NULL) {
        if (ld.r.n_problems == 0)
            report(&ld.r, 1, "malformed XML");
        goto fail;
    }
    /* refused even when the parse complained too: say why */
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        report(&ld.r, doctype_line(xml, len),
               "a DOCTYPE is not allowed in a profile");
        goto fail;
    }
    if (ld.r.n_problems > 0)
        goto fail;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (root == NULL || strcmp(ename(root), "program") != 0) {
        report(&ld.r, root ? line_of(root) : 1,
               "the root element must be <program>");
        goto fail;
    }
    load_root(&ld, root);
    if (ld.oom)
        goto oom;
    if (ld.r.n_problems > 0)
        goto fail;

    p->facts = ld.facts;
    p->n_facts = ld.n_facts;
    p->fees = ld.fees;
    p->n_fees = ld.n_fees;
    p->classes = ld.classes;
    p->n_classes = ld.n_classes;
    p->caps = ld.caps;
    p->n_caps = ld.n_caps;
    p->cycles = ld.cycles;
    p->n_cycles = ld.n_cycles;
    p->exchanges = ld.exchanges;
    p->n_exchanges = ld.n_exchanges;
    xmlFreeDoc(doc);
    return p;

oom:
    report(&ld.r, 0, "out of memory");
fail:
    report_dropped(&ld.r);
    if (doc != NULL)
        xmlFreeDoc(doc);
    profile_free(p);
    return NULL;
}

struct profile *profile_load(const char *path, struct layout_problems *problems)
{
    struct reporter r = {.file = path, .problems = problems};
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    struct profile *p = NULL;

    if (fp == NULL) {
        report(&r, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    buf = malloc(MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        report(&r, 0, "out of memory");
        goto out;
    }
    len = fread(buf, 1, MAX_FILE_BYTES + 1, fp);
    if (ferror(fp)) {
        report(&r, 0, "cannot read: %s", strerror(errno));
        goto out;
    }
    if (len > MAX_FILE_BYTES) {
        report(&r, 0, "profile larger than %zu bytes", MAX_FILE_BYTES);
        goto out;
    }
    p = profile_load_buffer(path, buf, len, problems);
out:
    free(buf);
    fclose(fp);
    return p;
}

struct profile *profile_load_program(const char *programs_dir,
                                     const char *program,
                                     struct layout_problems *problems)
{
    char path[4096];
    struct reporter r = {.file = programs_dir, .problems = problems};

    if (program == NULL || !valid_token(program, strlen(program))) {
        report(&r, 0, "'%s' is not a program name",
               program ? program : "(null)");
        return NULL;
    }
    int n = snprintf(path, sizeof(path), "%s/%s.xml", programs_dir, program);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        report(&r, 0, "path of program '%s' too long", program);
        return NULL;
    }
    struct profile *p = profile_load(path, problems);
    if (p != NULL && strcmp(p->name, program) != 0) {
        r.file = path;
        report(&r, 1, "the profile is named '%s', not '%s'", p->name, program);
        profile_free(p);
        return NULL;
    }
    return p;
}

void profile_free(struct profile *profile)
{
    if (profile == NULL)
        return;
    arena_free(profile->mem);
    free(profile);
}

/* --- layouts of the exchanges ------------------------------------------ */

int profile_exchange_path(const struct profile *profile, const char *exchange,
                          const char *layouts_dir, char *buf, size_t size)
{
    const char *layout = profile_exchange_layout(profile, exchange);
    if (layout == NULL)
        return -ENOENT;
    if (layouts_dir == NULL)
        layouts_dir = profile->layouts_dir;
    int n = snprintf(buf, size, "%s/%s", layouts_dir, layout);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return 0;
}

/* The code fields of the files coming in whose every value the core looks
 * up in the profile: a debt type must have a priority class, a payment
 * source a cap.  Files going out carry codes the writer maps, and shared
 * layouts list every program's codes, so neither is checked. */
static const struct {
    const char *exchange;
    const char *field;
    bool payment;
} code_fields[] = {
    {"agency-debt", "debt_type", false},
    {"payer-payment", "payment_source", true},
};

/* Report each code of X's layout L that PROFILE does not know.  Returns
 * whether all are known. */
static bool check_layout_codes(const struct profile *profile,
                               const struct profile_exchange *x,
                               const struct layout *l, struct reporter *r)
{
    bool ok = true;

    for (size_t c = 0; c < sizeof(code_fields) / sizeof(code_fields[0]); c++) {
        if (strcmp(code_fields[c].exchange, x->name) != 0)
            continue;
        for (size_t i = 0; i < layout_n_records(l); i++) {
            const struct layout_record *rec = layout_record_at(l, i);
            int k = layout_field_index(rec, code_fields[c].field);
            if (k < 0 || rec->fields[k].type != FT_CODE)
                continue;
            const struct layout_field *f = &rec->fields[k];
            for (size_t n = 0; n < f->n_codes; n++) {
                char code[MAX_TOKEN + 1];
                snprintf(code, sizeof(code), "%.*s", (int)f->codes[n].value_len,
                         f->codes[n].value);
                bool known = code_fields[c].payment
                                 ? profile_cap_for(profile, code) != NULL
                                 : profile_priority_of(profile, code) >= 0;
                if (known)
                    continue;
                report(r, x->line,
                       code_fields[c].payment
                           ? "exchange '%s': payment source '%s' of layout "
                             "%s is in no <cap> or <exempt>"
                           : "exchange '%s': debt type '%s' of layout %s "
                             "is in no priority class",
                       x->name, code, x->layout);
                ok = false;
            }
        }
    }
    return ok;
}

int profile_check_layouts(const struct profile *profile,
                          const char *layouts_dir, unsigned flags,
                          struct layout_problems *problems)
{
    struct reporter r = {.file = profile->path, .problems = problems};
    int rc = 0;

    for (size_t i = 0; i < profile->n_exchanges; i++) {
        const struct profile_exchange *x = &profile->exchanges[i];
        char path[4096];
        struct stat st;

        if (profile_exchange_path(profile, x->name, layouts_dir, path,
                                  sizeof(path)) != 0) {
            report(&r, x->line, "exchange '%s': layout path too long", x->name);
            rc = -ENOENT;
            continue;
        }
        if (stat(path, &st) != 0) {
            report(&r, x->line, "exchange '%s': layout %s: %s", x->name, path,
                   strerror(errno));
            rc = -ENOENT;
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            report(&r, x->line, "exchange '%s': layout %s is not a file",
                   x->name, path);
            rc = -ENOENT;
            continue;
        }
        if (flags & PROFILE_CHECK_LOAD) {
            struct layout *l = layout_load(path, problems);
            if (l == NULL) {
                report(&r, x->line, "exchange '%s': layout %s does not load",
                       x->name, path);
                if (rc == 0)
                    rc = -EINVAL;
            } else if (!check_layout_codes(profile, x, l, &r) && rc == 0) {
                rc = -EINVAL;
            }
            layout_free(l);
        }
    }
    return rc;
}

/* --- lookups -------------------------------------------------------------- */

const char *profile_exchange_layout(const struct profile *profile,
                                    const char *exchange)
{
    if (exchange == NULL)
        return NULL;
    for (size_t i = 0; i < profile->n_exchanges; i++)
        if (strcmp(profile->exchanges[i].name, exchange) == 0)
            return profile->exchanges[i].layout;
    return NULL;
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

int profile_priority_of(const struct profile *profile, const char *debt_type)
{
    if (debt_type == NULL)
        return -1;
    for (size_t i = 0; i < profile->n_classes; i++) {
        const struct profile_class *c = &profile->classes[i];
        if (in_list(c->debt_types, c->n_debt_types, debt_type))
            return (int)i;
    }
    return -1;
}

static int cmp_balance(const struct profile_claim *a,
                       const struct profile_claim *b)
{
    /* larger first */
    return (a->balance_cents < b->balance_cents) -
           (a->balance_cents > b->balance_cents);
}

static int cmp_age(const struct profile_claim *a, const struct profile_claim *b)
{
    /* earlier delinquency first */
    return (a->delinquent_since > b->delinquent_since) -
           (a->delinquent_since < b->delinquent_since);
}

int profile_claim_cmp(const struct profile *profile,
                      const struct profile_claim *a,
                      const struct profile_claim *b)
{
    int pa = profile_priority_of(profile, a->debt_type);
    int pb = profile_priority_of(profile, b->debt_type);
    if (pa < 0)
        pa = INT_MAX;
    if (pb < 0)
        pb = INT_MAX;
    if (pa != pb)
        return pa < pb ? -1 : 1;
    int c;
    if (profile->tie_break == PROFILE_TIE_LARGEST_BALANCE) {
        if ((c = cmp_balance(a, b)) != 0)
            return c;
        return cmp_age(a, b);
    }
    if ((c = cmp_age(a, b)) != 0)
        return c;
    return cmp_balance(a, b);
}

const struct profile_cap *profile_cap_for(const struct profile *profile,
                                          const char *payment)
{
    if (payment == NULL)
        return NULL;
    for (size_t i = 0; i < profile->n_caps; i++)
        if (strcmp(profile->caps[i].payment, payment) == 0)
            return &profile->caps[i];
    return NULL;
}

int32_t profile_cap_bp(const struct profile *profile, const char *payment,
                       const char *debt_type)
{
    const struct profile_cap *c = profile_cap_for(profile, payment);
    if (c == NULL)
        return -1;
    if (c->exempt)
        return 0;
    for (size_t i = 0; debt_type != NULL && i < c->n_overrides; i++)
        if (in_list(c->overrides[i].debt_types, c->overrides[i].n_debt_types,
                    debt_type))
            return c->overrides[i].percent_bp;
    return c->percent_bp;
}

int64_t profile_apply_bp(int64_t base_cents, int32_t bp)
{
    if (base_cents <= 0 || bp <= 0)
        return 0;
    if (bp >= PROFILE_BP_WHOLE)
        return base_cents;
    /* split so that no product can overflow */
    return base_cents / PROFILE_BP_WHOLE * bp +
           base_cents % PROFILE_BP_WHOLE * bp / PROFILE_BP_WHOLE;
}

bool profile_fee_charged(const struct profile_fee *f,
                         enum profile_fee_kind kind, bool has_tin)
{
    if (!f->enabled || f->kind != kind ||
        (kind != PROFILE_FEE_ADD_TO_DEBT && f->billing != PROFILE_BILL_NETTED))
        return false;
    switch (f->applies) {
    case PROFILE_FEE_ALL:
        return true;
    case PROFILE_FEE_WITH_TIN:
        return has_tin;
    case PROFILE_FEE_WITHOUT_TIN:
        return !has_tin;
    }
    return false;
}

static int64_t fee_sum(const struct profile *profile,
                       enum profile_fee_kind kind, bool has_tin)
{
    const int64_t max = INT64_MAX / 4;
    int64_t sum = 0;
    for (size_t i = 0; i < profile->n_fees; i++)
        if (profile_fee_charged(&profile->fees[i], kind, has_tin))
            sum = profile->fees[i].amount_cents > max - sum
                      ? max
                      : sum + profile->fees[i].amount_cents;
    return sum;
}

int64_t profile_fee_added_to_debt(const struct profile *profile, bool has_tin)
{
    return fee_sum(profile, PROFILE_FEE_ADD_TO_DEBT, has_tin);
}

int64_t profile_fee_deducted_per_offset(const struct profile *profile,
                                        bool has_tin)
{
    return fee_sum(profile, PROFILE_FEE_DEDUCT_PER_OFFSET, has_tin);
}

int64_t profile_fee_withheld_per_offset(const struct profile *profile,
                                        bool has_tin)
{
    return fee_sum(profile, PROFILE_FEE_WITHHOLD_PER_OFFSET, has_tin);
}

int32_t profile_fee_withheld_bp(const struct profile *profile, bool has_tin)
{
    for (size_t i = 0; i < profile->n_fees; i++)
        if (profile_fee_charged(&profile->fees[i], PROFILE_FEE_WITHHOLD_PERCENT,
                                has_tin))
            return profile->fees[i].percent_bp;
    return 0;
}

const struct profile_fee *profile_fee(const struct profile *profile,
                                      const char *name)
{
    for (size_t i = 0; name != NULL && i < profile->n_fees; i++)
        if (strcmp(profile->fees[i].name, name) == 0)
            return &profile->fees[i];
    return NULL;
}

const struct profile_cycle *profile_cycle(const struct profile *profile,
                                          const char *name)
{
    for (size_t i = 0; name != NULL && i < profile->n_cycles; i++)
        if (strcmp(profile->cycles[i].name, name) == 0)
            return &profile->cycles[i];
    return NULL;
}

const struct profile_fact *profile_fact(const struct profile *profile,
                                        const char *element, const char *name)
{
    for (size_t i = 0; element != NULL && i < profile->n_facts; i++) {
        const struct profile_fact *f = &profile->facts[i];
        if (strcmp(f->element, element) != 0)
            continue;
        if (name == NULL ? f->name == NULL
                         : f->name != NULL && strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}
