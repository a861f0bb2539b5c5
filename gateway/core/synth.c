/*
 * synth.c - synthetic agency debt files (see synth.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/calendar.h"
#include "offsetgw/synth.h"
#include "offsetgw/writer.h"

/* The bad kinds, in rotation order. */
enum bad {
    B_SSN_DIGITS,    /* engine: E_DIGITS on the SSN */
    B_DATE,          /* engine: E_DATE, a 13th month */
    B_MIN_AMOUNT,    /* core: C_MIN_AMOUNT */
    B_NOTICE,        /* core: C_NOTICE */
    B_SSN_PUBLISHED, /* core: C_SSN, the Woolworth number */
    B_BANKRUPTCY,    /* core: C_BANKRUPTCY */
    B_NAME,          /* core: C_NAME, a name with no letters */
    B_ATTEMPTS,      /* core: C_ATTEMPTS */
    B_UNKNOWN_DEBT,  /* core: C_UNKNOWN_DEBT, a change of nothing */
    B_DUP_ACCOUNT,   /* core: C_DUP_ACCOUNT, an account twice */
    B_COUNT
};

static const char *const bad_names[B_COUNT] = {
    "E_DIGITS",       "E_DATE",       "C_MIN_AMOUNT", "C_NOTICE",
    "C_SSN",          "C_BANKRUPTCY", "C_NAME",       "C_ATTEMPTS",
    "C_UNKNOWN_DEBT", "C_DUP_ACCOUNT"};

const char *synth_bad_kind_name(int k)
{
    return k >= 0 && k < B_COUNT ? bad_names[k] : NULL;
}

static const char *const last_names[] = {
    "SMITH",   "JOHNSON",      "WILLIAMS", "BROWN",          "JONES",
    "GARCIA",  "MILLER",       "DAVIS",    "RODRIGUEZ",      "MARTINEZ",
    "NGUYEN",  "LEE",          "O'BRIEN",  "DE LA CRUZ",     "SMITH-JONES",
    "MCCEDAR", "VAN DER BERG", "O",        "CEDAR-HAWTHORN", "WASHINGTON"};
static const char *const first_names[] = {
    "JAMES", "MARY",    "ROBERT", "PATRICIA", "JOHN",  "JENNIFER",
    "MARIA", "DAVID",   "LINDA",  "JOSE",     "SUSAN", "WEI",
    "ANA",   "MICHAEL", "EMILY",  "DANIEL"};
static const char *const suffixes[] = {"JR", "SR", "II", "III"};
static const char *const cities[] = {"SACRAMENTO", "WICHITA", "OGDEN",
                                     "SALINA",     "FRESNO",  "PROVO"};
static const char *const streets[] = {"MAIN ST", "ELM ST", "OAK AVE",
                                      "RIVER RD", "PINE CT"};

struct synth {
    const struct synth_options *o;
    const struct layout_record *detail;
    struct writer *w;
    bool set[LAYOUT_FIELDS_MAX];
    uint64_t rng;
    const char *add_code, *change_code;
    const char *debt_types[64];
    size_t n_debt_types;
    bool applies[B_COUNT];
    int32_t file_date;
    char *err;
    size_t err_size;
};

static uint64_t next(struct synth *s)
{
    /* splitmix64: deterministic, good enough for test data */
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(struct synth *s, uint64_t n)
{
    return n ? next(s) % n : 0;
}

static const struct layout_field *field(const struct synth *s, const char *name,
                                        int *index)
{
    int i = layout_field_index(s->detail, name);
    if (index != NULL)
        *index = i;
    return i >= 0 ? &s->detail->fields[i] : NULL;
}

static void put_text(struct synth *s, const char *name, const char *text)
{
    int i;
    const struct layout_field *f = field(s, name, &i);
    if (f == NULL || text == NULL)
        return;
    size_t n = strlen(text);
    if (f->length > 0 && n > f->length)
        n = f->length;
    if (writer_set_text(s->w, i, text, n) == 0)
        s->set[i] = true;
}

static void put_num(struct synth *s, const char *name, int64_t num)
{
    int i;
    if (field(s, name, &i) != NULL && writer_set_num(s->w, i, num) == 0)
        s->set[i] = true;
}

/* Required fields nothing above set: a plausible value of their type. */
static void fill_required(struct synth *s, int64_t amount)
{
    for (size_t i = 0; i < s->detail->n_fields; i++) {
        const struct layout_field *f = &s->detail->fields[i];
        if (s->set[i] || !f->required || f->literal || f->type == FT_FILLER)
            continue;
        switch (f->type) {
        case FT_CODE:
            writer_set_text(s->w, (int)i, f->codes[0].value,
                            f->codes[0].value_len);
            break;
        case FT_DIGITS: {
            char d[32] = "1234567890123456789012345678901";
            size_t n = f->min_length ? f->min_length : 5;
            if (f->length && n > f->length)
                n = f->length;
            writer_set_text(s->w, (int)i, d, n);
            break;
        }
        case FT_INTEGER:
            writer_set_num(s->w, (int)i, f->has_min && f->min > 1 ? f->min : 1);
            break;
        case FT_AMOUNT:
            writer_set_num(s->w, (int)i, amount);
            break;
        case FT_DATE:
            writer_set_num(s->w, (int)i, calendar_add_days(s->file_date, -100));
            break;
        case FT_TIME:
            writer_set_num(s->w, (int)i, 0);
            break;
        default:
            writer_set_text(s->w, (int)i, "SYNTH", 5);
            break;
        }
    }
}

static void random_ssn(struct synth *s, char *out)
{
    for (;;) {
        unsigned area = 1 + (unsigned)below(s, 899);
        unsigned group = 1 + (unsigned)below(s, 99);
        unsigned serial = 1 + (unsigned)below(s, 9999);
        if (area == 666)
            continue;
        snprintf(out, 10, "%03u%02u%04u", area, group, serial);
        if (strcmp(out, "078051120") != 0 && strcmp(out, "219099999") != 0)
            return;
    }
}

static int setup(struct synth *s)
{
    const struct profile *p = s->o->profile;
    int i;
    s->detail = layout_record_by_name(s->o->layout, "detail");
    const struct layout_field *action =
        s->detail ? field(s, "action", &i) : NULL;
    if (action == NULL || layout_format(s->o->layout) != LAYOUT_FIXED) {
        snprintf(s->err, s->err_size,
                 "layout '%s' is not a fixed-width agency-debt layout",
                 layout_name(s->o->layout));
        return -EINVAL;
    }
    s->add_code = layout_code_for(action, "add");
    s->change_code = layout_code_for(action, "change");
    if (s->add_code == NULL) {
        snprintf(s->err, s->err_size, "no action code means add");
        return -EINVAL;
    }
    const struct layout_field *dt = field(s, "debt_type", NULL);
    for (size_t k = 0; dt && k < dt->n_codes && s->n_debt_types < 64; k++)
        if (p->n_classes == 0 ||
            profile_priority_of(p, dt->codes[k].value) >= 0)
            s->debt_types[s->n_debt_types++] = dt->codes[k].value;
    const struct layout_field *ln = field(s, "last_name", NULL);
    s->applies[B_SSN_DIGITS] = field(s, "tin", NULL) != NULL;
    s->applies[B_DATE] = field(s, "notice_date", NULL) != NULL ||
                         field(s, "delinquency_date", NULL) != NULL;
    s->applies[B_MIN_AMOUNT] = p->min_debt_cents > 1;
    s->applies[B_NOTICE] =
        p->notice_days > 0 && field(s, "notice_date", NULL) != NULL;
    s->applies[B_SSN_PUBLISHED] =
        (p->id_types & PROFILE_ID_SSN) && field(s, "tin", NULL) != NULL;
    s->applies[B_BANKRUPTCY] = field(s, "bankruptcy", NULL) != NULL;
    s->applies[B_NAME] = ln != NULL && (ln->charset == CHARSET_NAME ||
                                        ln->charset == CHARSET_PRINT);
    s->applies[B_ATTEMPTS] = p->collection_attempts > 0 &&
                             field(s, "collection_attempts", NULL) != NULL;
    s->applies[B_UNKNOWN_DEBT] = s->change_code != NULL;
    s->applies[B_DUP_ACCOUNT] = true;
    return 0;
}

/* Overwrite field NAME of the line LINE with BYTES (same length). */
static void corrupt(struct synth *s, char *line, const char *name,
                    const char *bytes)
{
    const struct layout_field *f = field(s, name, NULL);
    if (f != NULL)
        memcpy(line + f->start, bytes,
               strlen(bytes) < f->length ? strlen(bytes) : f->length);
}

/* Write detail I, bad of KIND (-1: good), into the writer. */
static int detail(struct synth *s, int64_t i, int kind, const char *prev)
{
    const struct profile *p = s->o->profile;
    char account[32], ssn[10], street[48];
    memset(s->set, 0, sizeof(s->set));
    if (writer_begin(s->w, "detail") < 0)
        return -EINVAL;
    if (kind == B_DUP_ACCOUNT && prev != NULL)
        snprintf(account, sizeof(account), "%s", prev);
    else
        snprintf(account, sizeof(account), "S%c%09lld",
                 'A' + (int)(s->o->seed % 26), (long long)i);
    random_ssn(s, ssn);
    if (kind == B_SSN_PUBLISHED)
        snprintf(ssn, sizeof(ssn), "078051120");
    int64_t amount = p->min_debt_cents + 500 + (int64_t)below(s, 500000);
    if (kind == B_MIN_AMOUNT)
        amount = p->min_debt_cents - 1;
    int32_t notice_back = p->notice_days + 15 + (int32_t)below(s, 60);
    if (kind == B_NOTICE)
        notice_back = p->notice_days - 1;
    int32_t late = p->delinquent_days > p->referral_delay_days
                       ? p->delinquent_days
                       : p->referral_delay_days;
    put_text(s, "action",
             kind == B_UNKNOWN_DEBT ? s->change_code : s->add_code);
    put_text(s, "account", account);
    put_text(s, "tin_type", "S");
    put_text(s, "tin", ssn);
    const char *last =
        last_names[below(s, sizeof(last_names) / sizeof(*last_names))];
    put_text(s, "last_name", kind == B_NAME ? "..." : last);
    put_text(s, "first_name",
             first_names[below(s, sizeof(first_names) / sizeof(*first_names))]);
    if (below(s, 20) == 0)
        put_text(s, "suffix", suffixes[below(s, 4)]);
    snprintf(street, sizeof(street), "%u %s", 1 + (unsigned)below(s, 9999),
             streets[below(s, sizeof(streets) / sizeof(*streets))]);
    put_text(s, "street", street);
    put_text(s, "city", cities[below(s, sizeof(cities) / sizeof(*cities))]);
    put_text(s, "state", "CA");
    put_text(s, "zip", "95814");
    put_num(s, "amount", amount);
    put_num(s, "original_amount", amount);
    if (s->n_debt_types > 0)
        put_text(s, "debt_type", s->debt_types[below(s, s->n_debt_types)]);
    put_num(s, "notice_date", calendar_add_days(s->file_date, -notice_back));
    put_num(s, "delinquency_date",
            calendar_add_days(s->file_date,
                              -(late + 30 + (int32_t)below(s, 1000))));
    put_num(s, "collection_attempts",
            kind == B_ATTEMPTS
                ? p->collection_attempts - 1
                : (p->collection_attempts > 3 ? p->collection_attempts : 3));
    put_text(s, "bankruptcy", kind == B_BANKRUPTCY ? "Y" : "N");
    fill_required(s, amount);
    return writer_end(s->w);
}

int synth_agency_debt(const struct synth_options *o, FILE *out,
                      struct synth_result *res, char *err, size_t err_size)
{
    struct synth s = {.o = o, .rng = o->seed, .err = err, .err_size = err_size};
    char *buf = NULL;
    size_t buf_len = 0;
    FILE *mem = NULL;
    int rc;
    memset(res, 0, sizeof(*res));
    s.file_date = o->file_date ? o->file_date : calendar_today(NULL);
    if ((rc = setup(&s)) < 0)
        return rc;
    int kinds[B_COUNT], n_kinds = 0;
    for (int k = 0; k < B_COUNT; k++)
        if (s.applies[k])
            kinds[n_kinds++] = k;
    /* each record is written to a memory line first, so a bad one can
     * have bytes the writer would never write */
    if ((mem = open_memstream(&buf, &buf_len)) == NULL ||
        (s.w = writer_new(o->layout, mem)) == NULL) {
        rc = -ENOMEM;
        snprintf(err, err_size, "out of memory");
        goto out;
    }
    const char *code = o->agency_code ? o->agency_code : "SYNTH01";
    char prev[32] = "";
    for (int64_t i = -1; i <= o->records; i++) {
        fseek(mem, 0, SEEK_SET);
        int kind = -1;
        if (i == -1) {
            rc = writer_begin(s.w, "header");
            if (rc == 0) {
                writer_set_text_by_name(s.w, "agency_code", code);
                writer_set_num_by_name(s.w, "file_date", s.file_date);
                writer_set_num_by_name(s.w, "file_seq", 1);
                rc = writer_end(s.w);
            }
        } else if (i == o->records) {
            rc = writer_begin(s.w, "trailer");
            if (rc == 0)
                rc = writer_end(s.w);
        } else {
            /* spread the bad ones evenly, kinds in rotation */
            if (n_kinds > 0 && o->bad_per_mille > 0 &&
                (i * o->bad_per_mille) / 1000 !=
                    ((i + 1) * o->bad_per_mille) / 1000)
                kind = kinds[res->bad % n_kinds];
            if (kind == B_DUP_ACCOUNT && prev[0] == '\0')
                kind = -1;
            rc = detail(&s, i, kind, prev);
            res->records++;
        }
        if (rc < 0) {
            snprintf(err, err_size, "record %lld: %s", (long long)i,
                     writer_error(s.w));
            goto out;
        }
        long len = ftell(mem);
        fflush(mem);
        if (kind == B_SSN_DIGITS)
            corrupt(&s, buf, "tin", "12345678X");
        else if (kind == B_DATE)
            corrupt(&s, buf,
                    field(&s, "notice_date", NULL) ? "notice_date"
                                                   : "delinquency_date",
                    "20261399");
        if (kind >= 0) {
            res->bad++;
            res->bad_by_kind[kind]++;
        } else if (i >= 0 && i < o->records) {
            int a = layout_field_index(s.detail, "account");
            const struct layout_field *f = &s.detail->fields[a];
            snprintf(prev, sizeof(prev), "%.*s", (int)f->length,
                     buf + f->start);
            char *end = prev + strlen(prev);
            while (end > prev && end[-1] == ' ')
                *--end = '\0';
        }
        if (fwrite(buf, 1, (size_t)len, out) != (size_t)len) {
            rc = -EIO;
            snprintf(err, err_size, "write failed");
            goto out;
        }
    }
    rc = writer_finish(s.w);
    if (rc < 0)
        snprintf(err, err_size, "%s", writer_error(s.w));
out:
    writer_free(s.w);
    if (mem != NULL)
        fclose(mem);
    free(buf);
    return rc;
}
