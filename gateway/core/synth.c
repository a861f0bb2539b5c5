/*
 * synth.c - synthetic agency debt files and synthetic partner replies
 * (see synth.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offsetgw/calendar.h"
#include "offsetgw/cycle.h"
#include "offsetgw/synth.h"
#include "offsetgw/vault.h"
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

static uint64_t splitmix(uint64_t *state)
{
    /* splitmix64: deterministic, good enough for test data */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t next(struct synth *s)
{
    return splitmix(&s->rng);
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
    /* where the notice follows the address match, a new debt has none
     * yet, and the bad one is dated after the file */
    bool after_match = p->notice_stage == PROFILE_NOTICE_AFTER_MATCH;
    if (kind == B_NOTICE)
        notice_back = after_match ? -1 : p->notice_days - 1;
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
    if (!after_match || kind == B_NOTICE)
        put_num(s, "notice_date",
                calendar_add_days(s->file_date, -notice_back));
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

/* --- replies to a debt file the gateway sent --------------------------- */

static const char *const code_means[SYNTH_CODES] = {
    "match", "name-mismatch", "no-match", "invalid-tin", "deceased"};

const char *synth_code_means(int k)
{
    return k >= 0 && k < SYNTH_CODES ? code_means[k] : NULL;
}

/* Where a matched debtor lives, as the partner has it. */
static const struct {
    const char *street, *city, *state, *zip;
} addresses[] = {
    {"MAIN ST", "SACRAMENTO", "CA", "95814"},
    {"ELM ST", "FRESNO", "CA", "93721"},
    {"OAK AVE", "OAKLAND", "CA", "94612"},
    {"RIVER RD", "WICHITA", "KS", "67202"},
    {"PINE CT", "OGDEN", "UT", "84401"},
    {"CEDAR LN", "SALINA", "KS", "67401"},
};

/* Name controls a name mismatch returns: never the one sent. */
static const char *const other_controls[] = {"QUIX", "ZYLO"};

#define TRACE_SEQ_MAX 60466175 /* 36^5 - 1: five base-36 characters */

struct replies {
    const struct synth_reply_options *o;
    struct synth_reply_result *res;
    const char *sent_name;
    uint64_t rng;
    int32_t file_date;
    /* the sent file's detail and the fields read from it */
    const struct layout_record *detail;
    int f_action, f_id, f_tin, f_amount, f_name_control, f_last_name;
    bool request; /* the sent file is an address request */
    struct writer *mw, *cw;
    const char *code[SYNTH_CODES]; /* the match layout's code for each */
    const char *offset_code, *reversal_code;
    char trace_prefix[6];
    int64_t trace_seq;
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static int
reply_fail(struct replies *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->err_size, fmt, ap);
    va_end(ap);
    return code;
}

static uint64_t reply_below(struct replies *r, uint64_t n)
{
    uint64_t v = splitmix(&r->rng);
    return n ? v % n : 0;
}

/* The field NAME of the record NAME of LAYOUT, or NULL. */
static const struct layout_field *field_of(const struct layout *layout,
                                           const char *record, const char *name)
{
    const struct layout_record *rec = layout_record_by_name(layout, record);
    int i = rec ? layout_field_index(rec, name) : -1;
    return i >= 0 ? &rec->fields[i] : NULL;
}

static void base36(char *out, uint64_t v, int width)
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = width - 1; i >= 0; i--) {
        out[i] = digits[v % 36];
        v /= 36;
    }
    out[width] = '\0';
}

static int check_shares(struct replies *r)
{
    const struct synth_reply_options *o = r->o;
    int32_t sum = 0;
    for (int k = SYNTH_NAME_MISMATCH; k < SYNTH_CODES; k++) {
        if (o->code_per_mille[k] < 0 || o->code_per_mille[k] > 1000)
            return reply_fail(r, -EINVAL, "share of %s: %d per mille",
                              code_means[k], (int)o->code_per_mille[k]);
        sum += o->code_per_mille[k];
    }
    if (sum > 1000)
        return reply_fail(r, -EINVAL,
                          "the shares of codes other than match add up to "
                          "%d per mille, more than all",
                          (int)sum);
    if (o->offset_per_mille < 0 || o->offset_per_mille > 1000 ||
        o->reversal_per_mille < 0 || o->reversal_per_mille > 1000)
        return reply_fail(r, -EINVAL,
                          "offset and reversal shares take 0 to 1000 per "
                          "mille");
    return 0;
}

/* What the replies need of the three layouts, found once. */
static int reply_setup(struct replies *r, bool match, bool coll)
{
    const struct synth_reply_options *o = r->o;
    int rc;
    if ((rc = check_shares(r)) < 0)
        return rc;
    if (o->sent == NULL)
        return reply_fail(r, -EINVAL, "no layout for the sent file");
    r->detail = layout_record_by_name(o->sent, "detail");
    if (r->detail != NULL) {
        r->f_action = layout_field_index(r->detail, "action");
        r->f_id = layout_field_index(r->detail, "agency_debt_id");
        r->f_tin = layout_field_index(r->detail, "tin");
        r->f_amount = layout_field_index(r->detail, "amount");
        r->f_name_control = layout_field_index(r->detail, "name_control");
        r->f_last_name = layout_field_index(r->detail, "last_name");
    }
    /* an address request: who, with no action and no money */
    r->request = r->detail != NULL && r->f_action < 0 && r->f_amount < 0 &&
                 r->f_id >= 0 && r->f_tin >= 0;
    if (r->request && coll)
        return reply_fail(r, -EINVAL,
                          "layout '%s' is an address request: it is answered "
                          "with a match file only",
                          layout_name(o->sent));
    if (!r->request &&
        (r->detail == NULL || r->f_action < 0 || r->f_id < 0 || r->f_tin < 0 ||
         r->f_amount < 0 ||
         layout_code_for(&r->detail->fields[r->f_action], "add") == NULL))
        return reply_fail(r, -EINVAL,
                          "layout '%s' is not a debt file a partner is sent: "
                          "it needs a record 'detail' with fields action (a "
                          "code meaning add), agency_debt_id, tin and amount, "
                          "or an address request's agency_debt_id and tin",
                          layout_name(o->sent));
    if (match) {
        const struct layout_field *f =
            o->match ? field_of(o->match, "detail", "match_code") : NULL;
        if (f == NULL)
            return reply_fail(r, -EINVAL,
                              "layout '%s' has no record 'detail' with a "
                              "field 'match_code'",
                              o->match ? layout_name(o->match) : "(none)");
        for (int k = 0; k < SYNTH_CODES; k++) {
            r->code[k] = layout_code_for(f, code_means[k]);
            if (r->code[k] == NULL &&
                (k == SYNTH_MATCH || o->code_per_mille[k] > 0))
                return reply_fail(r, -EINVAL,
                                  "layout '%s': field 'match_code' has no "
                                  "code that means %s",
                                  layout_name(o->match), code_means[k]);
        }
    }
    if (coll) {
        const struct layout_field *f =
            o->collection ? field_of(o->collection, "detail", "kind") : NULL;
        if (f == NULL)
            return reply_fail(
                r, -EINVAL,
                "layout '%s' has no record 'detail' with a field 'kind'",
                o->collection ? layout_name(o->collection) : "(none)");
        r->offset_code = layout_code_for(f, "offset");
        r->reversal_code = layout_code_for(f, "reversal");
        if (r->offset_code == NULL ||
            (r->reversal_code == NULL && o->reversal_per_mille > 0))
            return reply_fail(r, -EINVAL,
                              "layout '%s': field 'kind' has no code that "
                              "means %s",
                              layout_name(o->collection),
                              r->offset_code ? "reversal" : "offset");
    }
    return 0;
}

/* A header or trailer, when LAYOUT has one. */
static int frame(struct replies *r, struct writer *w, const struct layout *l,
                 const char *record)
{
    const char *code = r->o->partner_code ? r->o->partner_code : "SYNTH";
    if (layout_record_by_name(l, record) == NULL)
        return 0;
    if (writer_begin(w, record) < 0 ||
        writer_put_text(w, "partner_code", code) < 0 ||
        writer_put_num(w, "file_date", r->file_date) < 0 ||
        writer_put_num(w, "file_seq", 1) < 0 || writer_end(w) < 0)
        return reply_fail(r, -EINVAL, "%s %s: %s", layout_name(l), record,
                          writer_error(w));
    return 0;
}

/* The text of field I of REC into BUF, NUL-terminated; false when it
 * does not fit. */
static bool text_of(const struct record *rec, int i, char *buf, size_t size)
{
    const struct field_value *v = &rec->values[i];
    size_t n = v->state == VALUE_OK && v->text ? v->text_len : 0;
    if (n >= size)
        return false;
    memcpy(buf, n ? v->text : "", n);
    buf[n] = '\0';
    return true;
}

/* The name control the partner holds: the one sent, else the first four
 * letters of the last name, upper case. */
static void name_control(const struct replies *r, const struct record *rec,
                         char out[5])
{
    size_t n = 0;
    out[0] = '\0';
    for (int pass = 0; pass < 2 && n == 0; pass++) {
        int i = pass == 0 ? r->f_name_control : r->f_last_name;
        if (i < 0 || rec->values[i].state != VALUE_OK)
            continue;
        const struct field_value *v = &rec->values[i];
        for (uint32_t k = 0; k < v->text_len && n < 4; k++) {
            char c = v->text[k];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            if ((c >= 'A' && c <= 'Z') || (pass == 0 && c >= '0' && c <= '9'))
                out[n++] = c;
        }
    }
    out[n] = '\0';
}

static void next_trace(struct replies *r, char out[11])
{
    memcpy(out, r->trace_prefix, 5);
    base36(out + 5, (uint64_t)++r->trace_seq, 5);
}

static int match_record(struct replies *r, const struct record *rec,
                        const char *id, const char *tin, int code,
                        const char *control, unsigned number, size_t address)
{
    struct writer *w = r->mw;
    char street[48] = "";
    if (code == SYNTH_MATCH)
        snprintf(street, sizeof(street), "%u %s", number,
                 addresses[address].street);
    bool has_control = code == SYNTH_MATCH || code == SYNTH_NAME_MISMATCH ||
                       code == SYNTH_DECEASED;
    if (code == SYNTH_NAME_MISMATCH)
        control = strcmp(control, other_controls[0]) != 0 ? other_controls[0]
                                                          : other_controls[1];
    if (writer_begin(w, "detail") < 0 ||
        writer_put_text(w, "agency_debt_id", id) < 0 ||
        writer_put_text(w, "tin", tin) < 0 ||
        writer_put_text(w, "match_code", r->code[code]) < 0 ||
        writer_put_text(w, "returned_name_control",
                        has_control ? control : "") < 0 ||
        writer_put_text(w, "street", street) < 0 ||
        writer_put_text(w, "city",
                        code == SYNTH_MATCH ? addresses[address].city : "") <
            0 ||
        writer_put_text(w, "state",
                        code == SYNTH_MATCH ? addresses[address].state : "") <
            0 ||
        writer_put_text(
            w, "zip", code == SYNTH_MATCH ? addresses[address].zip : "") < 0 ||
        writer_end(w) < 0)
        return reply_fail(r, -EINVAL, "%s:%llu: its match record: %s",
                          r->sent_name, (unsigned long long)rec->line,
                          writer_error(w));
    return 0;
}

/* One offset (REVERSES NULL) or reversal event of the collection file. */
static int event(struct replies *r, const struct record *rec, const char *id,
                 const char *tin, const char *trace, const char *reverses,
                 int64_t cents)
{
    struct writer *w = r->cw;
    if (writer_begin(w, "detail") < 0 ||
        writer_put_text(w, "kind",
                        reverses ? r->reversal_code : r->offset_code) < 0 ||
        writer_put_text(w, "trace_id", trace) < 0 ||
        writer_put_text(w, "reversal_of", reverses ? reverses : "") < 0 ||
        writer_put_text(w, "agency_debt_id", id) < 0 ||
        writer_put_text(w, "tin", tin) < 0 ||
        writer_put_num(w, "amount", cents) < 0 ||
        writer_put_num(w, "fee", 0) < 0 ||
        writer_put_num(w, "payment_date", r->file_date) < 0 ||
        writer_put_text(w, "payment_source", "TAX") < 0 ||
        writer_put_text(w, "joint", "N") < 0 ||
        writer_put_num(w, "tax_year", r->file_date / 10000 - 1) < 0 ||
        writer_put_text(w, "injured_spouse", "N") < 0 || writer_end(w) < 0)
        return reply_fail(r, -EINVAL, "%s:%llu: its %s: %s", r->sent_name,
                          (unsigned long long)rec->line,
                          reverses ? "reversal" : "offset", writer_error(w));
    return 0;
}

/* Answer one detail whose action means add.  Every add takes the same
 * draws whatever it becomes, so one share never moves another's picks. */
static int answer(struct replies *r, const struct record *rec)
{
    const struct synth_reply_options *o = r->o;
    struct synth_reply_result *res = r->res;
    char id[256], tin[32], control[5], trace[11], offset_trace[11];
    int rc;

    if (!text_of(rec, r->f_id, id, sizeof(id)) || id[0] == '\0')
        return reply_fail(
            r, -EBADMSG, "%s:%llu: agency_debt_id blank or longer than %zu",
            r->sent_name, (unsigned long long)rec->line, sizeof(id) - 1);
    if (!text_of(rec, r->f_tin, tin, sizeof(tin)))
        return reply_fail(r, -EBADMSG, "%s:%llu: tin longer than %zu",
                          r->sent_name, (unsigned long long)rec->line,
                          sizeof(tin) - 1);
    int64_t amount =
        r->f_amount >= 0 && rec->values[r->f_amount].state == VALUE_OK
            ? rec->values[r->f_amount].num
            : 0;
    name_control(r, rec, control);

    uint64_t draw = reply_below(r, 1000), bound = 0;
    int code = SYNTH_MATCH;
    for (int k = SYNTH_NAME_MISMATCH; k < SYNTH_CODES; k++) {
        bound += (uint64_t)o->code_per_mille[k];
        if (draw < bound) {
            code = k;
            break;
        }
    }
    unsigned number = 1 + (unsigned)reply_below(r, 9999);
    size_t address =
        (size_t)reply_below(r, sizeof(addresses) / sizeof(*addresses));
    bool offset = reply_below(r, 1000) < (uint64_t)o->offset_per_mille;
    uint64_t offset_draw = splitmix(&r->rng);
    bool reversal = reply_below(r, 1000) < (uint64_t)o->reversal_per_mille;
    uint64_t reversal_draw = splitmix(&r->rng);

    res->answered++;
    res->by_code[code]++;
    if (r->mw != NULL && (rc = match_record(r, rec, id, tin, code, control,
                                            number, address)) < 0)
        return rc;
    if (code != SYNTH_MATCH || !offset || amount <= 0)
        return 0;
    if (r->trace_seq + 2 > TRACE_SEQ_MAX)
        return reply_fail(r, -EINVAL, "%s:%llu: more than %d events",
                          r->sent_name, (unsigned long long)rec->line,
                          TRACE_SEQ_MAX);
    int64_t cents = 1 + (int64_t)(offset_draw % (uint64_t)amount);
    next_trace(r, offset_trace);
    res->offsets++;
    res->offset_cents += cents;
    if (r->cw != NULL &&
        (rc = event(r, rec, id, tin, offset_trace, NULL, cents)) < 0)
        return rc;
    if (!reversal)
        return 0;
    int64_t back = 1 + (int64_t)(reversal_draw % (uint64_t)cents);
    next_trace(r, trace);
    res->reversals++;
    res->reversal_cents += back;
    if (r->cw != NULL &&
        (rc = event(r, rec, id, tin, trace, offset_trace, -back)) < 0)
        return rc;
    return 0;
}

/* A record the sent file should not have held: its first error. */
static int bad_record(struct replies *r, const struct record *rec)
{
    if (rec->n_errors == 0)
        return reply_fail(r, -EBADMSG, "%s:%llu: a record of no known type",
                          r->sent_name, (unsigned long long)rec->line);
    const struct record_error *e = &rec->errors[0];
    char what[128] = "";
    if (rec->type != NULL && e->field >= 0 && rec->type->fields[e->field].name)
        snprintf(what, sizeof(what),
                 " record '%s' field '%s':", rec->type->name,
                 rec->type->fields[e->field].name);
    else if (rec->type != NULL)
        snprintf(what, sizeof(what), " record '%s':", rec->type->name);
    return reply_fail(r, -EBADMSG, "%s:%llu:%u:%s %s: %s", r->sent_name,
                      (unsigned long long)rec->line,
                      (unsigned)(e->column ? e->column : 1), what,
                      errcode_name(e->code), e->detail);
}

int synth_replies(const struct synth_reply_options *o, int sent_fd,
                  const char *sent_name, FILE *match_out, FILE *coll_out,
                  struct synth_reply_result *res, char *err, size_t err_size)
{
    struct replies r = {.o = o,
                        .res = res,
                        .sent_name = sent_name ? sent_name : "(sent file)",
                        .rng = o->seed,
                        .err = err,
                        .err_size = err_size};
    struct reader *rd = NULL;
    const struct record *rec;
    enum reader_status st;
    int rc;

    memset(res, 0, sizeof(*res));
    if (err_size > 0)
        err[0] = '\0';
    r.file_date = o->file_date ? o->file_date : calendar_today(NULL);
    base36(r.trace_prefix, o->seed % ((uint64_t)TRACE_SEQ_MAX + 1), 5);
    if ((rc = reply_setup(&r, match_out != NULL, coll_out != NULL)) < 0)
        return rc;
    if ((rd = reader_new(o->sent, sent_fd, r.sent_name)) == NULL ||
        (match_out && (r.mw = writer_new(o->match, match_out)) == NULL) ||
        (coll_out && (r.cw = writer_new(o->collection, coll_out)) == NULL)) {
        rc = reply_fail(&r, -ENOMEM, "out of memory");
        goto out;
    }
    if ((r.mw && (rc = frame(&r, r.mw, o->match, "header")) < 0) ||
        (r.cw && (rc = frame(&r, r.cw, o->collection, "header")) < 0))
        goto out;
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->n_errors > 0 || rec->type == NULL) {
            rc = bad_record(&r, rec);
            goto out;
        }
        if (rec->type != r.detail)
            continue;
        res->details++;
        const struct field_value *action =
            r.request ? NULL : &rec->values[r.f_action];
        const char *means =
            r.request ? "add" /* every debt asked about is answered */
            : action->state == VALUE_OK
                ? layout_code_means(&r.detail->fields[r.f_action], action->text,
                                    action->text_len)
                : NULL;
        if (means != NULL && strcmp(means, "add") == 0 &&
            (rc = answer(&r, rec)) < 0)
            goto out;
    }
    if (st == READER_FAILED) {
        const struct file_error *fe = reader_file_error(rd);
        rc = reply_fail(&r, -EBADMSG, "%s:%llu:%u: %s: %s", r.sent_name,
                        (unsigned long long)fe->line,
                        (unsigned)(fe->column ? fe->column : 1),
                        errcode_name(fe->code), fe->detail);
        goto out;
    }
    if ((r.mw && (rc = frame(&r, r.mw, o->match, "trailer")) < 0) ||
        (r.cw && (rc = frame(&r, r.cw, o->collection, "trailer")) < 0))
        goto out;
    if (r.mw && (rc = writer_finish(r.mw)) < 0) {
        reply_fail(&r, rc, "%s: %s", layout_name(o->match), writer_error(r.mw));
        goto out;
    }
    if (r.cw && (rc = writer_finish(r.cw)) < 0) {
        reply_fail(&r, rc, "%s: %s", layout_name(o->collection),
                   writer_error(r.cw));
        goto out;
    }
    if ((match_out && (fflush(match_out) != 0 || ferror(match_out))) ||
        (coll_out && (fflush(coll_out) != 0 || ferror(coll_out))))
        rc = reply_fail(&r, -EIO, "write failed: %s", strerror(errno));
out:
    writer_free(r.mw);
    writer_free(r.cw);
    reader_free(rd);
    return rc;
}

static struct layout *load_layout(const struct profile *p, const char *exchange,
                                  char *err, size_t err_size)
{
    char path[1024];
    struct layout_problems probs = {0};
    struct layout *l = NULL;
    if (profile_exchange_path(p, exchange, NULL, path, sizeof(path)) < 0)
        snprintf(err, err_size, "program '%s' has no exchange %s", p->name,
                 exchange);
    else if ((l = layout_load(path, &probs)) == NULL)
        snprintf(err, err_size, "%s:%ld: %s", path,
                 probs.n ? probs.items[0].line : 0L,
                 probs.n ? probs.items[0].message : "cannot load");
    layout_problems_release(&probs);
    return l;
}

int synth_replies_files(const char *programs_dir, const char *program,
                        struct synth_reply_options *o, const char *sent_path,
                        const char *match_path, const char *coll_path,
                        struct synth_reply_result *res, char sent_exchange[64],
                        char *err, size_t err_size)
{
    static const char *const out_exchanges[2] = {"partner-match",
                                                 "partner-collection"};
    const char *outputs[2] = {match_path, coll_path};
    struct layout_problems probs = {0};
    struct layout *sent = NULL, *layouts[2] = {NULL, NULL};
    FILE *outs[2] = {NULL, NULL};
    struct vault_file *vf = NULL;
    struct vault_feed *feed = NULL;
    int rc = -EINVAL, fd = -1;
    const char *exchange = NULL;
    sent_exchange[0] = '\0';
    struct profile *p = profile_load_program(programs_dir, program, &probs);
    if (p == NULL) {
        snprintf(err, err_size, "program '%s': %s", program,
                 probs.n ? probs.items[0].message : "cannot load");
        layout_problems_release(&probs);
        return -EINVAL;
    }
    /* what the cycle sent: the exchange its name starts with, else a
     * taxboard's debt file, else a treasury's referral */
    const char *base = strrchr(sent_path, '/');
    base = base ? base + 1 : sent_path;
    for (size_t i = 0; i < p->n_exchanges && exchange == NULL; i++) {
        const char *x = p->exchanges[i].name;
        size_t n = strlen(x);
        if ((strncmp(x, "taxboard-", 9) == 0 ||
             strncmp(x, "treasury-", 9) == 0) &&
            strncmp(base, x, n) == 0 && base[n] == '.')
            exchange = x;
    }
    static const enum partner_kind kinds[] = {PARTNER_TAXBOARD,
                                              PARTNER_TREASURY};
    for (size_t i = 0; i < 2 && exchange == NULL; i++)
        if (profile_exchange_layout(p, cycle_exchange(kinds[i])) != NULL)
            exchange = cycle_exchange(kinds[i]);
    if (exchange == NULL) {
        snprintf(err, err_size,
                 "program '%s' sends no partner debts (no exchange "
                 "taxboard-debt or treasury-referral)",
                 program);
        goto out;
    }
    snprintf(sent_exchange, 64, "%s", exchange); /* P is freed below */
    if ((sent = load_layout(p, exchange, err, err_size)) == NULL)
        goto out;
    for (int k = 0; k < 2; k++)
        if (outputs[k] != NULL &&
            (layouts[k] = load_layout(p, out_exchanges[k], err, err_size)) ==
                NULL)
            goto out;
    o->sent = sent;
    o->match = layouts[0];
    o->collection = layouts[1];
    struct vault off;
    vault_init(&off, NULL);
    rc = vault_open(o->vault ? o->vault : &off, sent_path, &vf);
    if (rc == 0 && (rc = vault_feed_start(vf, false, &feed, &fd)) < 0)
        vf = NULL; /* closed by the feed */
    if (rc < 0) {
        snprintf(err, err_size, "cannot read '%s': %s%s", sent_path,
                 vault_strerror(rc),
                 rc == -ENOKEY && o->vault == NULL ? " (give --home)" : "");
        goto out;
    }
    vf = NULL; /* the feed's */
    for (int k = 0; k < 2; k++)
        if (outputs[k] != NULL && (outs[k] = fopen(outputs[k], "w")) == NULL) {
            rc = -errno;
            snprintf(err, err_size, "cannot create '%s': %s", outputs[k],
                     strerror(errno));
            goto out;
        }
    rc = synth_replies(o, fd, sent_path, outs[0], outs[1], res, err, err_size);
    int frc = vault_feed_finish(feed, NULL, NULL);
    feed = NULL;
    fd = -1;
    if (rc == 0 && frc < 0) {
        rc = frc;
        snprintf(err, err_size, "cannot read '%s': %s", sent_path,
                 vault_strerror(frc));
    }
out:
    for (int k = 0; k < 2; k++) {
        if (outs[k] != NULL && fclose(outs[k]) != 0 && rc == 0) {
            rc = -EIO;
            snprintf(err, err_size, "cannot write '%s': %s", outputs[k],
                     strerror(errno));
        }
        layout_free(layouts[k]);
    }
    /* half a reply is worse than none: a failed run leaves no files */
    for (int k = 0; k < 2 && rc < 0; k++)
        if (outs[k] != NULL)
            unlink(outputs[k]);
    if (feed != NULL)
        vault_feed_finish(feed, NULL, NULL);
    vault_close(vf);
    o->sent = o->match = o->collection = NULL;
    layout_free(sent);
    profile_free(p);
    layout_problems_release(&probs);
    return rc;
}

/* --- a payer's payments that fit a registry ---------------------------- */

enum {
    P_ID,
    P_TIN_TYPE,
    P_TIN,
    P_LAST,
    P_FIRST,
    P_SOURCE,
    P_AMOUNT,
    P_DISPOSABLE,
    P_JOINT,
    P_SPOUSE_TIN,
    P_SPOUSE_LAST,
    P_SPOUSE_FIRST,
    P_SHARE,
    P_DATE,
    P_COUNT
};

static const char *const payment_fields[P_COUNT] = {"payment_id",
                                                    "tin_type",
                                                    "tin",
                                                    "last_name",
                                                    "first_name",
                                                    "payment_source",
                                                    "amount",
                                                    "disposable_earnings",
                                                    "joint",
                                                    "spouse_tin",
                                                    "spouse_last_name",
                                                    "spouse_first_name",
                                                    "debtor_share_bp",
                                                    "payment_date"};

struct payments {
    const struct synth_payment_options *o;
    struct synth_payment_result *res;
    struct writer *w;
    int f[P_COUNT];
    uint64_t rng;
    const char *refund, *payroll, *exempt; /* payment sources */
    const char *others[32];                /* the other offset sources */
    size_t n_others;
    char id_prefix[4];
    char *err;
    size_t err_size;
};

static uint64_t pay_below(struct payments *p, uint64_t n)
{
    uint64_t v = splitmix(&p->rng);
    return n ? v % n : 0;
}

/* A random SSN, as the debt files have them. */
static void pay_ssn(struct payments *p, char *out)
{
    struct synth s = {.rng = p->rng};
    random_ssn(&s, out);
    p->rng = s.rng;
}

/* The sources by what the profile does with them, no name in an if: the
 * payroll source is capped by disposable pay, the refund source is the
 * first capped by the payment, the exempt one is exempt. */
static int payments_setup(struct payments *p)
{
    const struct synth_payment_options *o = p->o;
    const struct profile *pr = o->profile;
    const struct layout_record *d =
        o->layout ? layout_record_by_name(o->layout, "detail") : NULL;
    for (int i = 0; i < P_COUNT; i++)
        p->f[i] = d ? layout_field_index(d, payment_fields[i]) : -1;
    if (d == NULL || p->f[P_ID] < 0 || p->f[P_TIN] < 0 || p->f[P_LAST] < 0 ||
        p->f[P_SOURCE] < 0 || p->f[P_AMOUNT] < 0) {
        snprintf(p->err, p->err_size,
                 "layout '%s' is not a payer-payment layout: it needs a "
                 "record 'detail' with payment_id, tin, last_name, "
                 "payment_source and amount",
                 o->layout ? layout_name(o->layout) : "(none)");
        return -EINVAL;
    }
    const struct layout_field *src = &d->fields[p->f[P_SOURCE]];
    for (size_t k = 0; k < src->n_codes; k++) {
        const char *code = src->codes[k].value;
        const struct profile_cap *cap = profile_cap_for(pr, code);
        if (cap == NULL)
            continue;
        if (cap->exempt) {
            if (p->exempt == NULL)
                p->exempt = code;
        } else if (cap->base == PROFILE_CAP_OF_DISPOSABLE_PAY) {
            if (p->payroll == NULL)
                p->payroll = code;
        } else if (p->refund == NULL) {
            p->refund = code;
        } else if (p->n_others < sizeof(p->others) / sizeof(*p->others)) {
            p->others[p->n_others++] = code;
        }
    }
    if (p->refund == NULL) {
        snprintf(p->err, p->err_size,
                 "program %s offsets no payment source of layout '%s'",
                 pr->name, layout_name(o->layout));
        return -EINVAL;
    }
    int32_t shares[] = {o->debtor_per_mille,  o->name_mismatch_per_mille,
                        o->payroll_per_mille, o->exempt_per_mille,
                        o->joint_per_mille,   o->spouse_debtor_per_mille};
    for (size_t i = 0; i < sizeof(shares) / sizeof(*shares); i++)
        if (shares[i] < 0 || shares[i] > 1000) {
            snprintf(p->err, p->err_size, "a share of %d per mille",
                     (int)shares[i]);
            return -EINVAL;
        }
    if (o->payroll_per_mille + o->exempt_per_mille > 1000) {
        snprintf(p->err, p->err_size,
                 "the payroll and exempt shares add up to more than all");
        return -EINVAL;
    }
    base36(p->id_prefix, o->seed % (36 * 36 * 36), 3);
    return 0;
}

static void pay_text(struct payments *p, int f, const char *text)
{
    if (p->f[f] >= 0 && text != NULL)
        writer_set_text(p->w, p->f[f], text, strlen(text));
}

static void pay_num(struct payments *p, int f, int64_t num)
{
    if (p->f[f] >= 0)
        writer_set_num(p->w, p->f[f], num);
}

/* A last name from the list that is not NOT (scrubbed names compare
 * letters only: O'BRIEN is OBRIEN). */
static const char *other_last(struct payments *p, const char * not )
{
    size_t n = sizeof(last_names) / sizeof(*last_names);
    for (;;) {
        const char *name = last_names[pay_below(p, n)];
        const char *a = name, *b = not ;
        bool same = true;
        while (same && (*a || *b)) {
            while (*a && !(*a >= 'A' && *a <= 'Z'))
                a++;
            while (*b && !(*b >= 'A' && *b <= 'Z'))
                b++;
            same = *a == *b;
            if (*a)
                a++;
            if (*b)
                b++;
        }
        if (!same)
            return name;
    }
}

static int one_payment(struct payments *p, int64_t i, int32_t date)
{
    const struct synth_payment_options *o = p->o;
    struct synth_payment_result *res = p->res;
    char id[24], ssn[10], spouse[10];
    const struct synth_payee *payee = NULL, *spouse_payee = NULL;

    if (writer_begin(p->w, "detail") < 0)
        return -EINVAL;
    snprintf(id, sizeof(id), "P%s%012lld", p->id_prefix, (long long)i);
    pay_text(p, P_ID, id);
    bool to_debtor =
        o->n_payees > 0 && pay_below(p, 1000) < (uint64_t)o->debtor_per_mille;
    uint64_t kind = pay_below(p, 1000);
    const char *source = p->refund;
    if (p->payroll && kind < (uint64_t)o->payroll_per_mille)
        source = p->payroll;
    else if (p->exempt &&
             kind < (uint64_t)(o->payroll_per_mille + o->exempt_per_mille))
        source = p->exempt;
    else if (p->n_others > 0 && pay_below(p, 5) == 0)
        source = p->others[pay_below(p, p->n_others)];
    const char *last, *first = first_names[pay_below(
                          p, sizeof(first_names) / sizeof(*first_names))];
    if (to_debtor) {
        payee = &o->payees[pay_below(p, o->n_payees)];
        last = payee->last_name;
        if (pay_below(p, 1000) < (uint64_t)o->name_mismatch_per_mille) {
            last = other_last(p, payee->last_name);
            res->name_mismatches++;
        }
        char type[2] = {payee->tin_type, '\0'};
        pay_text(p, P_TIN_TYPE, type);
        pay_text(p, P_TIN, payee->tin);
        res->to_debtors++;
    } else {
        pay_ssn(p, ssn);
        last =
            last_names[pay_below(p, sizeof(last_names) / sizeof(*last_names))];
        pay_text(p, P_TIN_TYPE, "S");
        pay_text(p, P_TIN, ssn);
    }
    pay_text(p, P_LAST, last);
    pay_text(p, P_FIRST, first);
    pay_text(p, P_SOURCE, source);

    int64_t amount;
    if (source == p->payroll) {
        int64_t disposable = 50000 + (int64_t)pay_below(p, 400000);
        amount = disposable - (int64_t)pay_below(p, (uint64_t)disposable / 5);
        pay_num(p, P_DISPOSABLE, disposable);
        res->payroll++;
    } else if (source == p->refund) {
        amount = 1000 + (int64_t)pay_below(p, 300000);
    } else {
        amount = 500 + (int64_t)pay_below(p, 1000000);
    }
    res->exempt += source == p->exempt;
    pay_num(p, P_AMOUNT, amount);
    res->amount_cents += amount;

    bool joint = source == p->refund && p->payroll != source &&
                 pay_below(p, 1000) < (uint64_t)o->joint_per_mille &&
                 (payee == NULL || payee->tin_type == 'S');
    pay_text(p, P_JOINT, joint ? "Y" : "N");
    if (joint) {
        res->joint++;
        const char *spouse_last = last;
        if (o->n_payees > 0 &&
            pay_below(p, 1000) < (uint64_t)o->spouse_debtor_per_mille) {
            spouse_payee = &o->payees[pay_below(p, o->n_payees)];
            if (spouse_payee->tin_type != 'S' || spouse_payee == payee)
                spouse_payee = NULL;
        }
        if (spouse_payee != NULL) {
            memcpy(spouse, spouse_payee->tin, sizeof(spouse));
            spouse_last = spouse_payee->last_name;
            res->spouse_debtors++;
        } else {
            pay_ssn(p, spouse);
        }
        pay_text(p, P_SPOUSE_TIN, spouse);
        pay_text(p, P_SPOUSE_LAST, spouse_last);
        pay_text(p, P_SPOUSE_FIRST,
                 first_names[pay_below(p, sizeof(first_names) /
                                              sizeof(*first_names))]);
        pay_num(p, P_SHARE, (int64_t)pay_below(p, 10001));
    }
    pay_num(p, P_DATE, date);
    res->records++;
    return writer_end(p->w);
}

int synth_payments(const struct synth_payment_options *o, FILE *out,
                   struct synth_payment_result *res, char *err, size_t err_size)
{
    struct payments p = {
        .o = o, .res = res, .rng = o->seed, .err = err, .err_size = err_size};
    int32_t date = o->file_date ? o->file_date : calendar_today(NULL);
    int rc;
    memset(res, 0, sizeof(*res));
    if (err_size > 0)
        err[0] = '\0';
    if (o->profile == NULL || (o->n_payees > 0 && o->payees == NULL)) {
        snprintf(err, err_size, "no profile, or no payees given");
        return -EINVAL;
    }
    if ((rc = payments_setup(&p)) < 0)
        return rc;
    if ((p.w = writer_new(o->layout, out)) == NULL) {
        snprintf(err, err_size, "out of memory");
        return -ENOMEM;
    }
    rc = writer_begin(p.w, "header");
    if (rc == 0) {
        writer_put_text(p.w, "payer_code",
                        o->payer_code ? o->payer_code : "SYNTHPAY");
        writer_put_num(p.w, "file_date", date);
        writer_put_num(p.w, "file_seq", 1);
        rc = writer_end(p.w);
    }
    for (int64_t i = 0; rc == 0 && i < o->records; i++)
        rc = one_payment(&p, i, date);
    if (rc == 0 && (rc = writer_begin(p.w, "trailer")) == 0 &&
        (rc = writer_end(p.w)) == 0)
        rc = writer_finish(p.w);
    if (rc < 0)
        snprintf(err, err_size, "%s", writer_error(p.w));
    else if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, err_size, "write failed: %s", strerror(errno));
        rc = -EIO;
    }
    writer_free(p.w);
    return rc;
}
