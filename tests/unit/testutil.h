/*
 * testutil.h - helpers shared by the layout engine's unit tests.
 *
 * Header-only (every helper is static and marked unused) so that each test
 * program stays one translation unit.  Provides: loading layouts from inline
 * XML, reading an input through the reader and keeping a copy of every
 * record (the reader reuses its memory), assertions on record errors that
 * report the caller's file and line, the test-data path, a seeded PRNG and
 * a monotonic clock.
 */
#ifndef OG_TESTUTIL_H
#define OG_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "offsetgw/errcode.h"
#include "offsetgw/layout.h"
#include "offsetgw/reader.h"
#include "offsetgw/writer.h"

#define TU_UNUSED __attribute__((unused))

/* ------------------------------------------------------------------ */
/* failing with the caller's location                                  */

TU_UNUSED __attribute__((format(printf, 3, 4), noreturn)) static void
tu_fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("%s\n", msg);
    _fail(file, line);
    abort(); /* not reached: _fail() longjmps out of the test */
}

#define TU_FAIL(...) tu_fail_at(__FILE__, __LINE__, __VA_ARGS__)

TU_UNUSED static void *tu_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return p;
}

TU_UNUSED static void *tu_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return p;
}

TU_UNUSED static char *tu_xstrndup(const char *s, size_t n)
{
    char *d = tu_xmalloc(n + 1);

    if (n > 0) {
        memcpy(d, s, n);
    }
    d[n] = '\0';
    return d;
}

TU_UNUSED static char *tu_xstrdup(const char *s)
{
    return tu_xstrndup(s, strlen(s));
}

TU_UNUSED __attribute__((format(printf, 1, 2))) static char *
tu_asprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0 || s == NULL) {
        abort();
    }
    return s;
}

/* ------------------------------------------------------------------ */
/* text helpers                                                        */

/* 1-based line of the first occurrence of NEEDLE in TEXT, 0 if absent. */
TU_UNUSED static long tu_line_of(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    long line = 1;

    if (hit == NULL) {
        return 0;
    }
    for (const char *p = text; p < hit; p++) {
        if (*p == '\n') {
            line++;
        }
    }
    return line;
}

/* Does [S, S+N) contain the NUL-terminated NEEDLE? */
TU_UNUSED static bool tu_mem_contains(const char *s, size_t n,
                                      const char *needle)
{
    size_t k = strlen(needle);

    if (k == 0) {
        return true;
    }
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(s + i, needle, k) == 0) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* test data                                                           */

/* Path of REL under $OG_TEST_DATA (tests/data), into BUF. */
TU_UNUSED static const char *tu_data_path(char *buf, size_t size,
                                          const char *rel)
{
    const char *dir = getenv("OG_TEST_DATA");

    if (dir == NULL || *dir == '\0') {
        dir = "tests/data";
    }
    snprintf(buf, size, "%s/%s", dir, rel);
    return buf;
}

/* The whole file at PATH (NUL-terminated, length in *LEN); fails the test
 * when it cannot be read. */
TU_UNUSED static char *tu_read_file_at(const char *file, int line,
                                       const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        tu_fail_at(file, line, "cannot open %s: %s (is OG_TEST_DATA set?)",
                   path, strerror(errno));
    }
    for (;;) {
        size_t got;

        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = tu_xrealloc(buf, cap + 1);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    fclose(f);
    if (buf == NULL) {
        buf = tu_xmalloc(1);
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
#define tu_read_file(path, len) tu_read_file_at(__FILE__, __LINE__, path, len)

/* ------------------------------------------------------------------ */
/* layouts                                                             */

TU_UNUSED static void tu_print_problems(const struct layout_problems *p)
{
    for (size_t i = 0; p != NULL && i < p->n; i++) {
        print_message("  problem: %s:%ld: %s\n",
                      p->items[i].file ? p->items[i].file : "(null)",
                      p->items[i].line,
                      p->items[i].message ? p->items[i].message : "(null)");
    }
}

/* Load XML (named NAME) that must be a good layout. */
TU_UNUSED static struct layout *
tu_load_named_at(const char *file, int line, const char *name, const char *xml)
{
    struct layout_problems p = {0};
    struct layout *l = layout_load_buffer(name, xml, strlen(xml), &p);

    if (l == NULL || p.n != 0) {
        tu_print_problems(&p);
        layout_problems_release(&p);
        if (l != NULL) {
            layout_free(l);
        }
        tu_fail_at(file, line, "layout '%s' should load cleanly:\n%s", name,
                   xml);
    }
    layout_problems_release(&p);
    return l;
}
#define tu_load(xml) tu_load_named_at(__FILE__, __LINE__, "inline.xml", xml)

/* Load the layout file REL under tests/data. */
TU_UNUSED static struct layout *tu_load_data_at(const char *file, int line,
                                                const char *rel)
{
    char path[4096];
    struct layout_problems p = {0};
    struct layout *l;

    tu_data_path(path, sizeof path, rel);
    l = layout_load(path, &p);
    if (l == NULL || p.n != 0) {
        tu_print_problems(&p);
        layout_problems_release(&p);
        if (l != NULL) {
            layout_free(l);
        }
        tu_fail_at(file, line, "layout %s should load cleanly", path);
    }
    layout_problems_release(&p);
    return l;
}
#define tu_load_data(rel) tu_load_data_at(__FILE__, __LINE__, rel)

/* Is there a problem in P with file FILE and line LINE? */
TU_UNUSED static bool tu_has_problem_at(const struct layout_problems *p,
                                        const char *file, long line)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->items[i].file != NULL && strcmp(p->items[i].file, file) == 0 &&
            p->items[i].line == line) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* reading: a copy of everything the reader said                       */

struct tu_value {
    enum value_state state;
    int64_t num;
    char *text;
    uint32_t text_len;
    uint32_t column;
    char *raw;
    uint32_t raw_len;
};

struct tu_record {
    const struct layout_record *type;
    uint64_t line;
    char *raw;
    uint32_t raw_len;
    size_t n_values;
    struct tu_value *values;
    struct record_error errors[RECORD_MAX_ERRORS];
    unsigned n_errors;
    unsigned n_errors_dropped;
};

struct tu_parse {
    struct tu_record *recs;
    size_t n, cap;
    enum reader_status status; /* the status that ended the loop */
    bool has_ferr;
    struct file_error ferr; /* copy, when status is READER_FAILED */
    struct reader_stats stats;
    bool bad_calls; /* reader_next broke its own contract (see note) */
    char note[256];
};

/* Stop after this many records: a reader that never ends fails the test
 * instead of hanging it. */
#define TU_MAX_RECORDS 5000000u

TU_UNUSED static void tu_copy_record(struct tu_record *d,
                                     const struct record *r)
{
    memset(d, 0, sizeof *d);
    d->type = r->type;
    d->line = r->line;
    d->raw = tu_xstrndup(r->raw ? r->raw : "", r->raw ? r->raw_len : 0);
    d->raw_len = r->raw ? r->raw_len : 0;
    d->n_errors = r->n_errors;
    d->n_errors_dropped = r->n_errors_dropped;
    memcpy(d->errors, r->errors, sizeof d->errors);
    if (r->type != NULL && r->values != NULL) {
        d->n_values = r->type->n_fields;
        d->values = tu_xmalloc(d->n_values * sizeof *d->values);
        for (size_t i = 0; i < d->n_values; i++) {
            const struct field_value *v = &r->values[i];
            struct tu_value *c = &d->values[i];

            c->state = v->state;
            c->num = v->num;
            c->text =
                tu_xstrndup(v->text ? v->text : "", v->text ? v->text_len : 0);
            c->text_len = v->text ? v->text_len : 0;
            c->column = v->column;
            c->raw = tu_xstrndup(v->raw ? v->raw : "", v->raw ? v->raw_len : 0);
            c->raw_len = v->raw ? v->raw_len : 0;
        }
    }
}

TU_UNUSED static void tu_parse_free(struct tu_parse *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct tu_record *r = &p->recs[i];

        for (size_t j = 0; j < r->n_values; j++) {
            free(r->values[j].text);
            free(r->values[j].raw);
        }
        free(r->values);
        free(r->raw);
    }
    free(p->recs);
    free(p);
}

/* Run READER to its end, keeping a copy of every record. */
TU_UNUSED static struct tu_parse *tu_parse_reader(struct reader *rd)
{
    struct tu_parse *p = tu_xmalloc(sizeof *p);
    const struct record *rec = NULL;
    enum reader_status st;

    memset(p, 0, sizeof *p);
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec == NULL) {
            p->bad_calls = true;
            snprintf(p->note, sizeof p->note,
                     "READER_RECORD with a NULL record");
            break;
        }
        if (rec->n_errors > RECORD_MAX_ERRORS) {
            p->bad_calls = true;
            snprintf(p->note, sizeof p->note, "n_errors %u > %d", rec->n_errors,
                     RECORD_MAX_ERRORS);
            break;
        }
        if (rec->type != NULL && rec->values == NULL) {
            p->bad_calls = true;
            snprintf(p->note, sizeof p->note, "typed record without values");
            break;
        }
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 16;
            p->recs = tu_xrealloc(p->recs, p->cap * sizeof *p->recs);
        }
        tu_copy_record(&p->recs[p->n++], rec);
        if (p->n > TU_MAX_RECORDS) {
            p->bad_calls = true;
            snprintf(p->note, sizeof p->note, "more than %u records",
                     TU_MAX_RECORDS);
            break;
        }
    }
    p->status = st;
    if (st == READER_FAILED) {
        const struct file_error *fe = reader_file_error(rd);

        if (fe != NULL) {
            p->has_ferr = true;
            p->ferr = *fe;
        }
    }
    if (reader_stats(rd) != NULL) {
        p->stats = *reader_stats(rd);
    }
    return p;
}

TU_UNUSED static struct tu_parse *tu_parse_buf_at(const char *file, int line,
                                                  const struct layout *l,
                                                  const char *buf, size_t len)
{
    struct reader *rd = reader_new_buffer(l, buf, len, "input.txt");
    struct tu_parse *p;

    if (rd == NULL) {
        tu_fail_at(file, line, "reader_new_buffer returned NULL");
    }
    p = tu_parse_reader(rd);
    reader_free(rd);
    if (p->bad_calls) {
        char note[256];

        memcpy(note, p->note, sizeof note);
        tu_parse_free(p);
        tu_fail_at(file, line, "reader broke its contract: %s", note);
    }
    return p;
}
#define tu_parse_buf(l, buf, len)                                              \
    tu_parse_buf_at(__FILE__, __LINE__, l, buf, len)
#define tu_parse_str(l, s) tu_parse_buf_at(__FILE__, __LINE__, l, s, strlen(s))

TU_UNUSED static const char *tu_status_name(enum reader_status st)
{
    switch (st) {
    case READER_FAILED:
        return "READER_FAILED";
    case READER_END:
        return "READER_END";
    case READER_RECORD:
        return "READER_RECORD";
    }
    return "?";
}

TU_UNUSED static void tu_dump_parse(const struct tu_parse *p)
{
    for (size_t i = 0; i < p->n && i < 50; i++) {
        const struct tu_record *r = &p->recs[i];

        print_message("  record %zu: line %llu type %s errors %u\n", i,
                      (unsigned long long)r->line,
                      r->type ? r->type->name : "(none)", r->n_errors);
        for (unsigned k = 0; k < r->n_errors && k < RECORD_MAX_ERRORS; k++) {
            print_message("    %s field %d column %u: %s\n",
                          errcode_name(r->errors[k].code), r->errors[k].field,
                          r->errors[k].column, r->errors[k].detail);
        }
    }
    print_message("  status %s", tu_status_name(p->status));
    if (p->has_ferr) {
        print_message(" file error %s line %llu column %u: %s",
                      errcode_name(p->ferr.code),
                      (unsigned long long)p->ferr.line, p->ferr.column,
                      p->ferr.detail);
    }
    print_message("\n");
}

/* The parse ended cleanly (READER_END) with N records, none rejected. */
TU_UNUSED static void tu_expect_clean_at(const char *file, int line,
                                         const struct tu_parse *p, size_t n)
{
    bool ok = p->status == READER_END && p->n == n;

    for (size_t i = 0; ok && i < p->n; i++) {
        if (p->recs[i].n_errors != 0 || p->recs[i].type == NULL) {
            ok = false;
        }
    }
    if (!ok) {
        tu_dump_parse(p);
        tu_fail_at(file, line,
                   "expected READER_END with %zu clean records, got %s with "
                   "%zu records",
                   n, tu_status_name(p->status), p->n);
    }
}
#define tu_expect_clean(p, n) tu_expect_clean_at(__FILE__, __LINE__, p, n)

/* The parse stopped with file-level error CODE at LINE (LINE 0: any). */
TU_UNUSED static void tu_expect_file_error_at(const char *file, int line,
                                              const struct tu_parse *p,
                                              enum errcode code,
                                              uint64_t at_line)
{
    if (p->status != READER_FAILED || !p->has_ferr || p->ferr.code != code ||
        (at_line != 0 && p->ferr.line != at_line)) {
        tu_dump_parse(p);
        tu_fail_at(file, line,
                   "expected READER_FAILED with %s at line %llu, got %s %s "
                   "line %llu",
                   errcode_name(code), (unsigned long long)at_line,
                   tu_status_name(p->status),
                   p->has_ferr ? errcode_name(p->ferr.code) : "(no error)",
                   p->has_ferr ? (unsigned long long)p->ferr.line : 0ULL);
    }
}
#define tu_expect_file_error(p, code, at_line)                                 \
    tu_expect_file_error_at(__FILE__, __LINE__, p, code, at_line)

/* The record R has an error CODE on FIELD at COLUMN (COLUMN 0 and FIELD
 * -2 mean "any"). Returns it. */
TU_UNUSED static const struct record_error *
tu_find_error(const struct tu_record *r, enum errcode code, int field)
{
    for (unsigned i = 0; i < r->n_errors && i < RECORD_MAX_ERRORS; i++) {
        if (r->errors[i].code == code &&
            (field == -2 || r->errors[i].field == field)) {
            return &r->errors[i];
        }
    }
    return NULL;
}

TU_UNUSED static void tu_dump_record(const struct tu_record *r)
{
    print_message("  line %llu type %s raw '%.*s'\n",
                  (unsigned long long)r->line,
                  r->type ? r->type->name : "(none)", (int)r->raw_len, r->raw);
    for (unsigned k = 0; k < r->n_errors && k < RECORD_MAX_ERRORS; k++) {
        print_message("    %s field %d column %u: %s\n",
                      errcode_name(r->errors[k].code), r->errors[k].field,
                      r->errors[k].column, r->errors[k].detail);
    }
}

TU_UNUSED static void tu_expect_error_at(const char *file, int line,
                                         const struct tu_record *r,
                                         enum errcode code, int field,
                                         uint32_t column)
{
    const struct record_error *e = tu_find_error(r, code, field);

    if (e == NULL || (column != 0 && e->column != column)) {
        tu_dump_record(r);
        tu_fail_at(file, line, "expected %s on field %d at column %u",
                   errcode_name(code), field, column);
    }
}
#define tu_expect_error(r, code, field, column)                                \
    tu_expect_error_at(__FILE__, __LINE__, r, code, field, column)

TU_UNUSED static void tu_expect_no_errors_at(const char *file, int line,
                                             const struct tu_record *r)
{
    if (r->n_errors != 0 || r->n_errors_dropped != 0) {
        tu_dump_record(r);
        tu_fail_at(file, line, "expected no errors on line %llu",
                   (unsigned long long)r->line);
    }
}
#define tu_expect_no_errors(r) tu_expect_no_errors_at(__FILE__, __LINE__, r)

/* ------------------------------------------------------------------ */
/* writing into memory                                                 */

struct tu_mem {
    FILE *f;
    char *buf;
    size_t len;
};

TU_UNUSED static void tu_mem_open(struct tu_mem *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    if (m->f == NULL) {
        abort();
    }
}

/* Flush and return the bytes written so far (valid until the next write). */
TU_UNUSED static size_t tu_mem_flush(struct tu_mem *m)
{
    fflush(m->f);
    return m->len;
}

TU_UNUSED static void tu_mem_close(struct tu_mem *m)
{
    if (m->f != NULL) {
        fclose(m->f);
    }
    free(m->buf);
    m->f = NULL;
    m->buf = NULL;
    m->len = 0;
}

/* ------------------------------------------------------------------ */
/* a growing byte string                                               */

struct tu_sb {
    char *s;
    size_t n, cap;
};

TU_UNUSED static void tu_sb_add(struct tu_sb *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (b->n + n + 1 > cap) {
            cap *= 2;
        }
        b->s = tu_xrealloc(b->s, cap);
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->s + b->n, p, n);
    }
    b->n += n;
    b->s[b->n] = '\0';
}

TU_UNUSED static void tu_sb_adds(struct tu_sb *b, const char *s)
{
    tu_sb_add(b, s, strlen(s));
}

TU_UNUSED __attribute__((format(printf, 2, 3))) static void
tu_sb_addf(struct tu_sb *b, const char *fmt, ...)
{
    va_list ap;
    char small[512];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        abort();
    }
    if ((size_t)n < sizeof small) {
        tu_sb_add(b, small, (size_t)n);
    } else {
        char *big = tu_xmalloc((size_t)n + 1);

        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        tu_sb_add(b, big, (size_t)n);
        free(big);
    }
}

TU_UNUSED static void tu_sb_free(struct tu_sb *b)
{
    free(b->s);
    b->s = NULL;
    b->n = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* seeded PRNG (splitmix64) and a clock                                */

struct tu_rng {
    uint64_t s;
};

TU_UNUSED static uint64_t tu_rng_next(struct tu_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0). */
TU_UNUSED static uint64_t tu_rng_below(struct tu_rng *r, uint64_t n)
{
    return n ? tu_rng_next(r) % n : 0;
}

/* Uniform in [lo, hi]. */
TU_UNUSED static int64_t tu_rng_range(struct tu_rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;

    return (int64_t)((uint64_t)lo + tu_rng_below(r, span));
}

/* The seed for randomised tests: $OG_TEST_SEED or DEFAULT. */
TU_UNUSED static uint64_t tu_seed(uint64_t def)
{
    const char *s = getenv("OG_TEST_SEED");

    if (s != NULL && *s != '\0') {
        return strtoull(s, NULL, 0);
    }
    return def;
}

TU_UNUSED static double tu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
