/*
 * writer.c - writing batch files through a layout.
 *
 * Owns collecting a record's field values, formatting them (field.c),
 * checking every formatted field by parsing it back (so nothing the reader
 * would reject is ever written), CSV quoting, structure rules and control
 * totals on the way out (structure.c), and line ends.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/writer.h"

#include "formatsInt.h"

#define TEXT_STORE_MAX (4u << 20)

enum { SET_NO, SET_VALUE, SET_STORED };

struct writer {
    const struct layout *l;
    FILE *out;
    struct structure st;
    const struct layout_record *cur;
    struct field_value *values;
    unsigned char *set; /* per field: SET_NO, SET_VALUE, SET_STORED */
    uint32_t *stored;   /* per SET_STORED field: offset into texts */
    char *texts;        /* copies of the texts given for the current record */
    size_t texts_cap, texts_used;
    char *line;
    size_t line_cap;
    char *cell; /* one formatted delimited value */
    size_t cell_cap;
    struct record check; /* errors of the parse-back check */
    bool header_written; /* the column names, for header-row="skip" */
    char err[320];
};

__attribute__((format(printf, 2, 3))) static int werr(struct writer *w,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

struct writer *writer_new(const struct layout *layout, FILE *out)
{
    struct writer *w = calloc(1, sizeof(*w));
    size_t max = 1;
    if (w == NULL)
        return NULL;
    w->l = layout;
    w->out = out;
    for (size_t i = 0; i < layout->n_records; i++)
        if (layout->records[i].n_fields > max)
            max = layout->records[i].n_fields;
    w->values = calloc(max, sizeof(*w->values));
    w->set = calloc(max, 1);
    w->stored = calloc(max, sizeof(*w->stored));
    w->line_cap = layout->format == LAYOUT_FIXED
                      ? (size_t)layout->record_length + 2
                      : (size_t)layout->max_record_length + 2;
    w->line = malloc(w->line_cap);
    w->cell_cap = w->line_cap;
    w->cell = malloc(w->cell_cap);
    if (w->values == NULL || w->set == NULL || w->stored == NULL ||
        w->line == NULL || w->cell == NULL) {
        writer_free(w);
        return NULL;
    }
    structure_init(&w->st, layout);
    return w;
}

void writer_free(struct writer *writer)
{
    if (writer == NULL)
        return;
    free(writer->values);
    free(writer->set);
    free(writer->stored);
    free(writer->texts);
    free(writer->line);
    free(writer->cell);
    free(writer);
}

const char *writer_error(const struct writer *writer)
{
    return writer->err;
}

int writer_begin_index(struct writer *w, size_t record_index)
{
    if (record_index >= w->l->n_records)
        return werr(w, "no record type number %zu", record_index);
    w->cur = &w->l->records[record_index];
    memset(w->set, 0, w->cur->n_fields);
    w->texts_used = 0;
    w->err[0] = '\0';
    return 0;
}

int writer_begin(struct writer *w, const char *record_name)
{
    const struct layout_record *r = layout_record_by_name(w->l, record_name);
    if (r == NULL)
        return werr(w, "layout '%s' has no record '%s'", w->l->name,
                    record_name);
    return writer_begin_index(w, (size_t)r->index);
}

static int check_field(struct writer *w, int field, bool want_num)
{
    if (w->cur == NULL)
        return werr(w, "no record begun");
    if (field < 0 || (size_t)field >= w->cur->n_fields)
        return werr(w, "record '%s' has no field number %d", w->cur->name,
                    field);
    enum field_type t = w->cur->fields[field].type;
    bool is_num =
        t == FT_INTEGER || t == FT_AMOUNT || t == FT_DATE || t == FT_TIME;
    if (is_num != want_num)
        return werr(w, "field '%s' is of type %s: use writer_set_%s",
                    w->cur->fields[field].name, layout_type_name(t),
                    is_num ? "num" : "text");
    return 0;
}

int writer_set_text(struct writer *w, int field, const char *text, size_t len)
{
    int rc = check_field(w, field, false);
    if (rc < 0)
        return rc;
    if (w->cur->fields[field].type == FT_FILLER)
        return werr(w, "record '%s': filler is written as its pad",
                    w->cur->name);
    if (len > TEXT_STORE_MAX || w->texts_used + len > TEXT_STORE_MAX)
        return werr(w, "field '%s': value too long",
                    w->cur->fields[field].name);
    if (w->texts_used + len > w->texts_cap) {
        size_t cap = w->texts_cap ? w->texts_cap : 1024;
        while (cap < w->texts_used + len)
            cap *= 2;
        char *grown = realloc(w->texts, cap);
        if (grown == NULL)
            return werr(w, "out of memory");
        w->texts = grown; /* stored values are offsets: nothing to re-point */
        w->texts_cap = cap;
    }
    struct field_value *v = &w->values[field];
    memset(v, 0, sizeof(*v));
    if (len > 0)
        memcpy(w->texts + w->texts_used, text, len);
    w->stored[field] = (uint32_t)w->texts_used;
    v->text_len = (uint32_t)len;
    v->raw_len = v->text_len;
    v->state = len ? VALUE_OK : VALUE_BLANK;
    w->texts_used += len;
    w->set[field] = SET_STORED;
    return 0;
}

int writer_set_num(struct writer *w, int field, int64_t num)
{
    int rc = check_field(w, field, true);
    if (rc < 0)
        return rc;
    struct field_value *v = &w->values[field];
    memset(v, 0, sizeof(*v));
    v->num = num;
    v->state = VALUE_OK;
    w->set[field] = SET_VALUE;
    return 0;
}

static int field_by_name(struct writer *w, const char *name)
{
    if (w->cur == NULL)
        return werr(w, "no record begun");
    int i = layout_field_index(w->cur, name);
    if (i < 0) {
        werr(w, "record '%s' has no field '%s'", w->cur->name, name);
        return -ENOENT;
    }
    return i;
}

int writer_set_text_by_name(struct writer *w, const char *name,
                            const char *text)
{
    int i = field_by_name(w, name);
    return i < 0 ? i : writer_set_text(w, i, text, strlen(text));
}

int writer_set_num_by_name(struct writer *w, const char *name, int64_t num)
{
    int i = field_by_name(w, name);
    return i < 0 ? i : writer_set_num(w, i, num);
}

int writer_put_text(struct writer *w, const char *name, const char *text)
{
    int i = w->cur ? layout_field_index(w->cur, name) : -1;
    if (i < 0 || text == NULL)
        return 0;
    size_t n = strlen(text), width = w->cur->fields[i].length;
    if (width > 0 && n > width)
        n = width;
    while (n > 0 && text[n - 1] == ' ')
        n--;
    return n == 0 ? 0 : writer_set_text(w, i, text, n);
}

int writer_put_num(struct writer *w, const char *name, int64_t num)
{
    int i = w->cur ? layout_field_index(w->cur, name) : -1;
    if (i < 0 || (w->cur->fields[i].type == FT_DATE && num == 0))
        return 0;
    return writer_set_num(w, i, num);
}

/* Literals, defaults and blanks for the fields the caller did not set. */
static int complete_values(struct writer *w)
{
    const struct layout_record *t = w->cur;
    const struct field_default *defs = w->l->defaults[t->index];
    for (size_t i = 0; i < t->n_fields; i++) {
        const struct layout_field *f = &t->fields[i];
        struct field_value *v = &w->values[i];
        if (w->set[i] == SET_STORED) {
            v->text = w->texts ? w->texts + w->stored[i] : "";
            v->raw = v->text;
        }
        if (f->literal != NULL) {
            memset(v, 0, sizeof(*v));
            v->text = f->literal;
            v->text_len = (uint32_t)strlen(f->literal);
            v->state = VALUE_OK;
            continue;
        }
        if (f->total != TOTAL_NONE || f->type == FT_FILLER)
            continue;
        if (!w->set[i] || v->state == VALUE_BLANK) {
            memset(v, 0, sizeof(*v));
            if (defs[i].text != NULL) {
                v->text = defs[i].text;
                v->text_len = defs[i].text_len;
                v->num = defs[i].num;
                v->state = VALUE_OK;
            } else {
                v->state = VALUE_BLANK;
            }
        }
        if (v->state == VALUE_BLANK && f->required)
            return werr(w, "record '%s' field '%s': required field is blank",
                        t->name, f->name);
    }
    return 0;
}

/* Parse back a formatted field: anything the reader would reject is an
 * error here, bytes the reader refuses in a file included. */
static int check_back(struct writer *w, size_t i, const char *p, uint32_t n)
{
    const struct layout_field *f = &w->cur->fields[i];
    struct field_value back;
    for (uint32_t k = 0; k < n; k++)
        if ((unsigned char)p[k] < 0x20 || (unsigned char)p[k] > 0x7e)
            return werr(w,
                        "record '%s' field '%s': byte 0x%02x is not "
                        "printable ASCII",
                        w->cur->name, f->name ? f->name : "(filler)",
                        (unsigned char)p[k]);
    w->check.n_errors = 0;
    field_parse(w->l, f, NULL, p, n, 1, (int)i, &back, &w->check);
    if (w->check.n_errors > 0)
        return werr(w, "record '%s' field '%s': %s: %s", w->cur->name,
                    f->name ? f->name : "(filler)",
                    errcode_name(w->check.errors[0].code),
                    w->check.errors[0].detail);
    return 0;
}

static bool needs_quotes(const struct layout *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == l->delimiter || s[i] == l->quote || s[i] == '\r' ||
            s[i] == '\n')
            return true;
    return false;
}

static int format_fixed(struct writer *w, size_t *len)
{
    const struct layout_record *t = w->cur;
    for (size_t i = 0; i < t->n_fields; i++) {
        const struct layout_field *f = &t->fields[i];
        const struct field_value *v = &w->values[i];
        char *at = w->line + f->start;
        if (f->type == FT_FILLER && w->set[i] && v->raw_len == f->length) {
            memcpy(at, v->raw, f->length); /* filler as it was read */
        } else if (field_format(w->l, f, v, at, f->length, w->err,
                                sizeof(w->err)) < 0) {
            return -EINVAL;
        }
        if (check_back(w, i, at, f->length) < 0)
            return -EINVAL;
    }
    *len = w->l->record_length;
    return 0;
}

static int format_delimited(struct writer *w, size_t *len)
{
    const struct layout *l = w->l;
    const struct layout_record *t = w->cur;
    size_t at = 0;
    for (size_t i = 0; i < t->n_fields; i++) {
        const struct layout_field *f = &t->fields[i];
        const struct field_value *v = &w->values[i];
        int n;
        if (f->type == FT_FILLER && w->set[i] && v->raw_len <= w->cell_cap) {
            memcpy(w->cell, v->raw, v->raw_len); /* filler as it was read */
            n = (int)v->raw_len;
        } else {
            n = field_format(l, f, v, w->cell, w->cell_cap, w->err,
                             sizeof(w->err));
        }
        if (n < 0)
            return -EINVAL;
        if (check_back(w, i, w->cell, (uint32_t)n) < 0)
            return -EINVAL;
        bool quote = needs_quotes(l, w->cell, (size_t)n);
        if (quote && l->quote == 0)
            return werr(w,
                        "record '%s' field '%s': value holds the delimiter "
                        "and the layout has no quoting",
                        t->name, f->name);
        /* worst case: every byte a doubled quote, plus quotes, delimiter */
        if (at + 2 * (size_t)n + 3 > w->line_cap)
            return werr(w, "record '%s': line longer than %u bytes", t->name,
                        (unsigned)l->max_record_length);
        if (i > 0)
            w->line[at++] = l->delimiter;
        if (quote)
            w->line[at++] = l->quote;
        for (int k = 0; k < n; k++) {
            w->line[at++] = w->cell[k];
            if (quote && w->cell[k] == l->quote)
                w->line[at++] = l->quote;
        }
        if (quote)
            w->line[at++] = l->quote;
    }
    if (at > l->max_record_length)
        return werr(w, "record '%s': line longer than %u bytes", t->name,
                    (unsigned)l->max_record_length);
    *len = at;
    return 0;
}

/* The column names of the first record type: what a reader with
 * header-row="skip" skips. */
static int write_header_row(struct writer *w)
{
    const struct layout *l = w->l;
    const struct layout_record *first = &l->records[0];
    for (size_t i = 0; i < first->n_fields; i++) {
        const char *name = first->fields[i].name ? first->fields[i].name : "";
        if ((i > 0 && fputc(l->delimiter, w->out) == EOF) ||
            fputs(name, w->out) == EOF) {
            werr(w, "write failed: %s", strerror(errno));
            return -EIO;
        }
    }
    if (fputs(l->line_end == LINE_END_CRLF ? "\r\n" : "\n", w->out) == EOF) {
        werr(w, "write failed: %s", strerror(errno));
        return -EIO;
    }
    w->header_written = true;
    return 0;
}

int writer_end(struct writer *w)
{
    const struct layout *l = w->l;
    const struct layout_record *t = w->cur;
    struct structure saved;
    char msg[256];
    size_t len = 0;
    int rc;

    if (t == NULL)
        return werr(w, "no record begun");
    if ((rc = complete_values(w)) < 0)
        return rc;
    /* This record's own totals count this record (count of '*'), so they
     * come from a trial accept; the real one then sums their final
     * values (a file trailer summing batch trailers' totals). */
    saved = w->st;
    if (structure_accept(&w->st, t, w->values, msg, sizeof(msg)) < 0) {
        w->st = saved;
        return werr(w, "%s", msg);
    }
    bool has_totals = false;
    for (size_t k = 0; k < l->n_totals; k++) {
        if (l->totals[k].record != t)
            continue;
        struct field_value *v = &w->values[l->totals[k].field];
        memset(v, 0, sizeof(*v));
        v->num = structure_total_value(&w->st, k);
        v->state = VALUE_OK;
        has_totals = true;
        if (w->st.acc[k].overflow) {
            w->st = saved;
            return werr(w, "record '%s': control total overflows", t->name);
        }
    }
    if (has_totals) {
        w->st = saved;
        if (structure_accept(&w->st, t, w->values, msg, sizeof(msg)) < 0) {
            w->st = saved;
            return werr(w, "%s", msg);
        }
    }
    if (!w->header_written && l->header_row) {
        if ((rc = write_header_row(w)) < 0) {
            w->st = saved;
            return rc;
        }
    }
    rc = l->format == LAYOUT_FIXED ? format_fixed(w, &len)
                                   : format_delimited(w, &len);
    if (rc < 0) {
        w->st = saved;
        return rc;
    }
    if (l->line_end == LINE_END_CRLF)
        w->line[len++] = '\r';
    w->line[len++] = '\n';
    if (fwrite(w->line, 1, len, w->out) != len) {
        w->st = saved;
        werr(w, "write failed: %s", strerror(errno));
        return -EIO;
    }
    w->cur = NULL;
    return 0;
}

int writer_put_record(struct writer *w, const struct record *rec)
{
    if (rec->type == NULL || rec->n_errors > 0)
        return werr(w,
                    "line %llu: only records read without errors can be "
                    "written",
                    (unsigned long long)rec->line);
    int rc = writer_begin_index(w, (size_t)rec->type->index);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < rec->type->n_fields; i++) {
        w->values[i] = rec->values[i];
        w->set[i] = SET_VALUE;
    }
    return writer_end(w);
}

int writer_finish(struct writer *w)
{
    char msg[256];
    struct structure end = w->st;
    if (structure_finish(&end, msg, sizeof(msg)) < 0)
        return werr(w, "%s", msg);
    return 0;
}
