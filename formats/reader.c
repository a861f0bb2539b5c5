/*
 * reader.c - streaming parse of batch files.
 *
 * Owns reading input in large blocks with a bounded buffer, splitting it
 * into lines (LF or CRLF), the encoding check, fixed-width slicing and CSV
 * tokenising, record identification, driving the structure tracker and
 * checking control totals, and printing errors.  Field conversion is in
 * field.c; structure rules in structure.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formatsInt.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define READ_BLOCK (1u << 20)

struct reader {
    const struct layout *l;
    const char *name;
    int fd; /* -1 when reading a memory buffer */
    /* file input: buf[start..end) holds unread bytes */
    char *buf;
    size_t cap, start, end, scanned;
    bool eof;
    bool skipping; /* discarding the rest of an over-long line */
    /* memory input */
    const char *mem;
    size_t mem_len, mem_pos;

    uint32_t line_limit; /* longest acceptable line, line end excluded */
    uint64_t line_no;
    bool header_skipped;
    enum reader_status status;
    bool fail_next; /* a file error waits until its record is handed over */

    struct record rec;
    struct field_value *values;
    char *scratch; /* padded short records, unescaped CSV values */
    size_t scratch_cap;
    const char **col_ptr; /* delimited columns: value, length, column */
    uint32_t *col_len, *col_pos;
    size_t max_cols;

    struct structure st;
    struct file_error ferr;
    struct reader_stats stats;
};

static size_t max_fields(const struct layout *l)
{
    size_t m = 1;
    for (size_t i = 0; i < l->n_records; i++)
        if (l->records[i].n_fields > m)
            m = l->records[i].n_fields;
    return m;
}

static struct reader *reader_alloc(const struct layout *l, const char *name)
{
    struct reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->l = l;
    r->name = name ? name : "-";
    r->fd = -1;
    r->status = READER_RECORD;
    r->line_limit =
        l->format == LAYOUT_FIXED ? l->record_length : l->max_record_length;
    r->max_cols = max_fields(l) + 1;
    r->values = calloc(max_fields(l), sizeof(*r->values));
    r->scratch_cap = (size_t)r->line_limit + 16;
    r->scratch = malloc(r->scratch_cap);
    r->col_ptr = calloc(r->max_cols, sizeof(*r->col_ptr));
    r->col_len = calloc(r->max_cols, sizeof(uint32_t));
    r->col_pos = calloc(r->max_cols, sizeof(uint32_t));
    if (r->values == NULL || r->scratch == NULL || r->col_ptr == NULL ||
        r->col_len == NULL || r->col_pos == NULL) {
        reader_free(r);
        return NULL;
    }
    structure_init(&r->st, l);
    return r;
}

struct reader *reader_new(const struct layout *layout, int fd,
                          const char *input_name)
{
    struct reader *r = reader_alloc(layout, input_name);
    if (r == NULL)
        return NULL;
    r->fd = fd;
    /* room for a block plus a whole line of the longest kind */
    r->cap = READ_BLOCK + (size_t)r->line_limit + 2;
    r->buf = malloc(r->cap);
    if (r->buf == NULL) {
        reader_free(r);
        return NULL;
    }
    return r;
}

struct reader *reader_new_buffer(const struct layout *layout, const char *buf,
                                 size_t len, const char *input_name)
{
    struct reader *r = reader_alloc(layout, input_name);
    if (r == NULL)
        return NULL;
    r->mem = buf;
    r->mem_len = len;
    return r;
}

void reader_free(struct reader *reader)
{
    if (reader == NULL)
        return;
    free(reader->buf);
    free(reader->values);
    free(reader->scratch);
    free(reader->col_ptr);
    free(reader->col_len);
    free(reader->col_pos);
    free(reader);
}

const struct file_error *reader_file_error(const struct reader *reader)
{
    return reader->status == READER_FAILED ? &reader->ferr : NULL;
}

const struct reader_stats *reader_stats(const struct reader *reader)
{
    return &reader->stats;
}

const char *reader_input_name(const struct reader *reader)
{
    return reader->name;
}

__attribute__((format(printf, 5, 6))) static enum reader_status
file_fail(struct reader *r, enum errcode code, uint64_t line, uint32_t column,
          const char *fmt, ...)
{
    va_list ap;
    r->ferr.code = code;
    r->ferr.line = line;
    r->ferr.column = column;
    va_start(ap, fmt);
    vsnprintf(r->ferr.detail, sizeof(r->ferr.detail), fmt, ap);
    va_end(ap);
    r->status = READER_FAILED;
    return READER_FAILED;
}

/* --- bytes ------------------------------------------------------------- */

#define ONES (~(uint64_t)0 / 255)
#define HIGHS (ONES * 0x80)

/* Index of the first byte outside 0x20..0x7e (TAB allowed when asked),
 * or -1.  Sixteen (SSE2) or eight bytes at a time on the clean path. */
static long find_bad_byte(const char *p, size_t n, bool allow_tab)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
        __m128i bad =
            _mm_or_si128(_mm_cmplt_epi8(x, space), _mm_cmpeq_epi8(x, del));
        if (_mm_movemask_epi8(bad) != 0)
            break;
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        uint64_t below = (x - ONES * 0x20) & ~x & HIGHS;
        uint64_t above = ((x + ONES * (127 - 0x7e)) | x) & HIGHS;
        if (below | above)
            break;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 || c > 0x7e) && !(allow_tab && c == '\t'))
            return (long)i;
    }
    return -1;
}

/* Next line into *LINE and *LEN (line end stripped of LF only); *NL says
 * whether a LF ended it; *LONG that it was cut at the line limit.
 * 1 = a line, 0 = end of input, -1 = read error (ferr set). */
static int next_line(struct reader *r, const char **line, size_t *len, bool *nl,
                     bool *too_long)
{
    *too_long = false;
    if (r->fd < 0) {
        if (r->mem_pos >= r->mem_len)
            return 0;
        const char *p = r->mem + r->mem_pos;
        size_t rest = r->mem_len - r->mem_pos;
        const char *e = memchr(p, '\n', rest);
        *line = p;
        *len = e ? (size_t)(e - p) : rest;
        *nl = e != NULL;
        r->mem_pos += *len + (e != NULL);
        return 1;
    }
    for (;;) {
        if (r->skipping) {
            /* discard up to the next LF, checking the bytes on the way */
            const char *p = r->buf + r->start;
            size_t avail = r->end - r->start;
            const char *e = memchr(p, '\n', avail);
            size_t upto = e ? (size_t)(e - p) : avail;
            /* a CR at the end of the chunk may stand before a LF that
             * the next block brings; the line is rejected anyway */
            size_t check = upto;
            if (check > 0 && p[check - 1] == '\r')
                check--;
            long bad =
                find_bad_byte(p, check, r->l->format == LAYOUT_DELIMITED);
            if (bad >= 0) {
                file_fail(r, E_ENCODING, r->line_no, 0,
                          "byte 0x%02x in an over-long line",
                          (unsigned char)p[bad]);
                return -1;
            }
            r->start += upto + (e != NULL);
            r->scanned = r->start;
            if (e != NULL)
                r->skipping = false;
        } else {
            const char *p = r->buf + r->start;
            const char *s = r->buf + r->scanned;
            const char *e = memchr(s, '\n', r->end - r->scanned);
            if (e != NULL) {
                *line = p;
                *len = (size_t)(e - p);
                *nl = true;
                r->start = r->scanned = (size_t)(e - r->buf) + 1;
                return 1;
            }
            r->scanned = r->end;
            /* +1: a CR may still stand before the LF */
            if (r->end - r->start > (size_t)r->line_limit + 1) {
                *line = p;
                *len = (size_t)r->line_limit + 1;
                *nl = true;
                *too_long = true;
                r->skipping = true;
                r->start = r->scanned = r->start + *len;
                return 1;
            }
            if (r->eof) {
                if (r->start == r->end)
                    return 0;
                *line = p;
                *len = r->end - r->start;
                *nl = false;
                r->start = r->scanned = r->end;
                return 1;
            }
        }
        if (r->eof) {
            if (r->skipping && r->start == r->end)
                return 0;
            continue;
        }
        /* refill: keep the partial line at the front */
        if (r->start > 0) {
            size_t keep = r->end - r->start;
            memmove(r->buf, r->buf + r->start, keep);
            r->scanned -= r->start;
            r->end = keep;
            r->start = 0;
        }
        ssize_t n;
        do
            n = read(r->fd, r->buf + r->end, r->cap - r->end);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            file_fail(r, E_IO, r->line_no, 0, "read failed: %s",
                      strerror(errno));
            return -1;
        }
        if (n == 0)
            r->eof = true;
        r->end += (size_t)n;
        r->stats.bytes += (uint64_t)n;
    }
}

/* --- records ----------------------------------------------------------- */

static void clear_values(struct reader *r, const struct layout_record *t)
{
    memset(r->values, 0, (t ? t->n_fields : 0) * sizeof(*r->values));
    for (size_t i = 0; t && i < t->n_fields; i++)
        r->values[i].state = VALUE_BAD;
}

static void unknown_record(struct reader *r, const char *line, uint32_t len)
{
    char q[64];
    field_quote_value(NULL, line, len < 20 ? len : 20, q, sizeof(q));
    record_add_error(&r->rec, E_RECORD_UNKNOWN, 1, -1,
                     "line matches no record type of layout '%s': '%s'",
                     r->l->name, q);
}

static bool parse_fixed(struct reader *r, const char *line, uint32_t len,
                        bool nl, bool too_long)
{
    const struct layout *l = r->l;
    struct record *rec = &r->rec;
    uint32_t rl = l->record_length;
    const struct layout_record *t = layout_identify_fixed(l, line, len);
    rec->type = t;
    if (t == NULL) {
        unknown_record(r, line, len);
        return false;
    }
    if (len > rl || too_long) {
        clear_values(r, t);
        if (too_long)
            record_add_error(rec, E_RECORD_LONG, rl + 1, -1,
                             "line is longer than %u bytes, record length "
                             "is %u",
                             (unsigned)rl + 1, (unsigned)rl);
        else
            record_add_error(rec, E_RECORD_LONG, rl + 1, -1,
                             "line is %u bytes, record length is %u",
                             (unsigned)len, (unsigned)rl);
        return false;
    }
    if (len < rl) {
        if (!l->pad_short) {
            clear_values(r, t);
            record_add_error(rec, E_RECORD_SHORT, len + 1, -1,
                             "line is %u bytes, record length is %u%s",
                             (unsigned)len, (unsigned)rl,
                             nl ? ""
                                : " (last line, no line end: the file may "
                                  "be truncated)");
            return false;
        }
        memcpy(r->scratch, line, len);
        memset(r->scratch + len, ' ', rl - len);
        line = r->scratch;
    }
    const struct field_default *defs = l->defaults[t->index];
    for (size_t i = 0; i < t->n_fields; i++) {
        const struct layout_field *f = &t->fields[i];
        field_parse(l, f, &defs[i], line + f->start, f->length, f->start + 1,
                    (int)i, &r->values[i], rec);
    }
    return true;
}

/* Split a delimited line into columns (RFC 4180 quoting).  false on a
 * quoting error or too many columns (the record error is added). */
static bool split_columns(struct reader *r, const char *line, uint32_t len,
                          size_t *n_cols)
{
    const char delim = r->l->delimiter, quote = r->l->quote;
    size_t n = 0, out = 0; /* out: next free byte of scratch */
    uint32_t i = 0;
    for (;;) {
        if (n == r->max_cols) {
            record_add_error(&r->rec, E_FIELD_COUNT, i + 1, -1,
                             "more than %zu fields", r->max_cols - 1);
            return false;
        }
        r->col_pos[n] = i + 1;
        if (quote && i < len && line[i] == quote) {
            uint32_t j = i + 1;
            r->col_ptr[n] = line + j;
            r->col_len[n] = 0;
            bool copied = false;
            for (;;) {
                const char *q = memchr(line + j, quote, len - j);
                if (q == NULL) {
                    record_add_error(&r->rec, E_QUOTE, i + 1, -1,
                                     "quoted field never closed");
                    return false;
                }
                uint32_t at = (uint32_t)(q - line);
                bool doubled = at + 1 < len && line[at + 1] == quote;
                if (doubled && !copied) {
                    /* from here on the value is unescaped into scratch */
                    copied = true;
                    r->col_ptr[n] = r->scratch + out;
                    memcpy(r->scratch + out, line + i + 1, at - (i + 1));
                    out += at - (i + 1);
                } else if (copied) {
                    memcpy(r->scratch + out, line + j, at - j);
                    out += at - j;
                }
                if (doubled) {
                    r->scratch[out++] = quote;
                    j = at + 2;
                    continue;
                }
                r->col_len[n] =
                    copied ? (uint32_t)(r->scratch + out - r->col_ptr[n])
                           : at - (i + 1);
                i = at + 1;
                break;
            }
            n++;
            if (i == len)
                break;
            if (line[i] != delim) {
                record_add_error(&r->rec, E_QUOTE, i + 1, -1,
                                 "'%c' after a closing quote", line[i]);
                return false;
            }
            i++;
            continue;
        }
        const char *d = memchr(line + i, delim, len - i);
        uint32_t end = d ? (uint32_t)(d - line) : len;
        if (quote && memchr(line + i, quote, end - i) != NULL) {
            record_add_error(&r->rec, E_QUOTE, i + 1, -1,
                             "quote inside an unquoted field");
            return false;
        }
        r->col_ptr[n] = line + i;
        r->col_len[n] = end - i;
        n++;
        if (d == NULL)
            break;
        i = end + 1;
    }
    *n_cols = n;
    return true;
}

static const struct layout_record *identify_delimited(struct reader *r,
                                                      size_t n_cols)
{
    const struct layout *l = r->l;
    for (size_t i = 0; i < l->n_records; i++) {
        const struct layout_record *t = &l->records[i];
        bool any = false, all = true;
        for (size_t k = 0; k < t->n_fields && all; k++) {
            const struct layout_field *f = &t->fields[k];
            if (f->literal == NULL)
                continue;
            any = true;
            size_t n = strlen(f->literal);
            all = f->start < n_cols && r->col_len[f->start] == n &&
                  memcmp(r->col_ptr[f->start], f->literal, n) == 0;
        }
        if (any && all)
            return t;
    }
    return l->fallback;
}

static bool parse_delimited(struct reader *r, const char *line, uint32_t len,
                            bool too_long)
{
    const struct layout *l = r->l;
    struct record *rec = &r->rec;
    size_t n_cols = 0;
    if (too_long) {
        rec->type = NULL;
        record_add_error(rec, E_RECORD_LONG, 1, -1,
                         "line is longer than the maximum %u bytes",
                         (unsigned)l->max_record_length);
        return false;
    }
    if (!split_columns(r, line, len, &n_cols)) {
        rec->type = NULL;
        return false;
    }
    const struct layout_record *t = identify_delimited(r, n_cols);
    rec->type = t;
    if (t == NULL) {
        unknown_record(r, line, len);
        return false;
    }
    if (n_cols != t->n_fields) {
        clear_values(r, t);
        record_add_error(rec, E_FIELD_COUNT, 1, -1,
                         "record '%s' has %zu fields, line has %zu", t->name,
                         t->n_fields, n_cols);
        return false;
    }
    const struct field_default *defs = l->defaults[t->index];
    for (size_t i = 0; i < t->n_fields; i++)
        field_parse(l, &t->fields[i], &defs[i], r->col_ptr[i], r->col_len[i],
                    r->col_pos[i], (int)i, &r->values[i], rec);
    return true;
}

/* Compare each control total the record carries with the running one. */
static enum reader_status check_totals(struct reader *r)
{
    const struct layout *l = r->l;
    const struct record *rec = &r->rec;
    for (size_t t = 0; t < l->n_totals; t++) {
        const struct total_ref *tr = &l->totals[t];
        if (tr->record != rec->type)
            continue;
        const struct layout_field *f = &tr->record->fields[tr->field];
        const struct field_value *v = &rec->values[tr->field];
        const struct total_acc *acc = &r->st.acc[t];
        if (v->state == VALUE_BAD && !v->has_num)
            return file_fail(r, E_TOTAL, rec->line, v->column,
                             "control total '%s' of record '%s' cannot be "
                             "read",
                             f->name, rec->type->name);
        if (f->total == TOTAL_COUNT) {
            if ((uint64_t)v->num != acc->count || v->num < 0)
                return file_fail(
                    r, E_TOTAL, rec->line, v->column,
                    "%s '%s' says %lld records of '%s', file has %llu",
                    rec->type->name, f->name, (long long)v->num,
                    f->total_of ? f->total_of->name : "every type",
                    (unsigned long long)acc->count);
            continue;
        }
        const struct layout_field *summed =
            &f->total_of->fields[f->total_of_field];
        if (acc->overflow)
            return file_fail(r, E_TOTAL, rec->line, v->column,
                             "sum of %s.%s overflows", f->total_of->name,
                             summed->name);
        if (v->num != acc->sum) {
            char said[32], has[32];
            struct field_value tmp = {.num = v->num, .state = VALUE_OK};
            field_value_render(summed, &tmp, said, sizeof(said));
            tmp.num = acc->sum;
            field_value_render(summed, &tmp, has, sizeof(has));
            char note[96] = "";
            if (acc->unsummed)
                snprintf(note, sizeof(note),
                         " (%llu records with an unreadable '%s' not summed)",
                         (unsigned long long)acc->unsummed, summed->name);
            return file_fail(r, E_TOTAL, rec->line, v->column,
                             "%s '%s' says %s for %s.%s, records sum to %s%s",
                             rec->type->name, f->name, said, f->total_of->name,
                             summed->name, has, note);
        }
    }
    return READER_RECORD;
}

enum reader_status reader_next(struct reader *r, const struct record **out)
{
    const struct layout *l = r->l;
    struct record *rec = &r->rec;
    const char *line;
    size_t len;
    bool nl, too_long;

    if (r->fail_next)
        r->status = READER_FAILED;
    if (r->status != READER_RECORD)
        return r->status;
    for (;;) {
        int got = next_line(r, &line, &len, &nl, &too_long);
        if (got < 0)
            return READER_FAILED;
        if (got == 0) {
            if (r->fd < 0)
                r->stats.bytes = r->mem_len;
            if (r->stats.records == 0)
                return file_fail(r, E_FILE_EMPTY, 0, 0,
                                 r->stats.lines ? "the file has no records"
                                                : "the file is empty");
            char msg[sizeof(r->ferr.detail)];
            if (structure_finish(&r->st, msg, sizeof(msg)) < 0)
                return file_fail(r, E_STRUCTURE, r->line_no, 0, "%s", msg);
            r->status = READER_END;
            return READER_END;
        }
        r->line_no++;
        r->stats.lines++;
        /* line end */
        if (len > 0 && line[len - 1] == '\r' && !too_long) {
            if (l->line_end == LINE_END_LF)
                return file_fail(r, E_LINE_END, r->line_no, (uint32_t)len,
                                 "line ends with CR%s, the layout says LF",
                                 nl ? " LF" : "");
            len--;
        } else if (nl && !too_long && l->line_end == LINE_END_CRLF) {
            return file_fail(r, E_LINE_END, r->line_no, (uint32_t)len + 1,
                             "line ends with LF alone, the layout says CR LF");
        }
        long bad = find_bad_byte(line, len, l->format == LAYOUT_DELIMITED);
        if (bad >= 0)
            return file_fail(r, E_ENCODING, r->line_no, (uint32_t)bad + 1,
                             "byte 0x%02x is not printable ASCII%s",
                             (unsigned char)line[bad],
                             line[bad] == 0 ? " (NUL)" : "");
        if (len > r->line_limit + (size_t)(l->format == LAYOUT_FIXED))
            too_long = true; /* memory input is not cut at the limit */
        if (l->header_row && !r->header_skipped) {
            r->header_skipped = true;
            continue;
        }
        break;
    }

    rec->line = r->line_no;
    rec->raw = line;
    rec->raw_len = (uint32_t)len;
    rec->n_errors = 0;
    rec->n_errors_dropped = 0;
    rec->values = r->values;
    bool fields_read = l->format == LAYOUT_FIXED
                           ? parse_fixed(r, line, (uint32_t)len, nl, too_long)
                           : parse_delimited(r, line, (uint32_t)len, too_long);

    r->stats.records++;
    if (rec->n_errors == 0)
        r->stats.accepted++;
    else
        r->stats.rejected++;

    if (rec->type != NULL) {
        char msg[sizeof(r->ferr.detail)];
        enum reader_status st = READER_RECORD;
        if (structure_accept(&r->st, rec->type, fields_read ? r->values : NULL,
                             msg, sizeof(msg)) < 0)
            st = file_fail(r, E_STRUCTURE, rec->line, 1, "%s", msg);
        else
            st = check_totals(r);
        if (st == READER_FAILED) {
            /* A record with errors of its own is handed over first, so
             * they are reported; a clean one that stops the file is not,
             * and counts as rejected. */
            if (rec->n_errors > 0) {
                r->status = READER_RECORD;
                r->fail_next = true;
                *out = rec;
                return READER_RECORD;
            }
            r->stats.accepted--;
            r->stats.rejected++;
            return READER_FAILED;
        }
    }
    *out = rec;
    return READER_RECORD;
}

/* --- printing ---------------------------------------------------------- */

void record_print_errors(FILE *out, const char *input_name,
                         const struct record *rec)
{
    for (unsigned i = 0; i < rec->n_errors; i++) {
        const struct record_error *e = &rec->errors[i];
        uint32_t col = e->column ? e->column : 1;
        if (rec->type == NULL)
            fprintf(out, "%s:%llu:%u: %s: %s\n", input_name,
                    (unsigned long long)rec->line, (unsigned)col,
                    errcode_name(e->code), e->detail);
        else if (e->field >= 0 && rec->type->fields[e->field].name)
            fprintf(out, "%s:%llu:%u: record '%s' field '%s': %s: %s\n",
                    input_name, (unsigned long long)rec->line, (unsigned)col,
                    rec->type->name, rec->type->fields[e->field].name,
                    errcode_name(e->code), e->detail);
        else
            fprintf(out, "%s:%llu:%u: record '%s': %s: %s\n", input_name,
                    (unsigned long long)rec->line, (unsigned)col,
                    rec->type->name, errcode_name(e->code), e->detail);
    }
    if (rec->n_errors_dropped)
        fprintf(out, "%s:%llu: %u more errors in this record\n", input_name,
                (unsigned long long)rec->line, rec->n_errors_dropped);
}

void file_error_print(FILE *out, const char *input_name,
                      const struct file_error *err)
{
    if (err->line)
        fprintf(out, "%s:%llu:%u: %s: %s\n", input_name,
                (unsigned long long)err->line,
                (unsigned)(err->column ? err->column : 1),
                errcode_name(err->code), err->detail);
    else
        fprintf(out, "%s: %s: %s\n", input_name, errcode_name(err->code),
                err->detail);
}
