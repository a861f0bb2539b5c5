/*
 * test_programs.c - every eligibility value of the shipped program
 * profiles honoured by intake, program by program, each through its own
 * agency-debt layout (formats/layouts/<program>/agency-debt.xml): the
 * minimum amount to the cent, the id types (and where the layout already
 * narrows them), a debt without an id, the notice and delinquency days to
 * the day, the collection attempts, the fees added to the debt, the debt
 * types every priority class covers, and names scrubbed with their IRS
 * name control.  The thresholds are read from the loaded profiles; the
 * documented numbers are asserted once, so a silent profile edit shows.
 *
 * Not here: the registry's rules (unknown or existing debts, duplicates:
 * test_intake.c), the outbound cycles (test_cycle.c), the profile loader
 * (test_profile.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/calendar.h"
#include "offsetgw/debtcheck.h"
#include "offsetgw/intake.h"
#include "offsetgw/profile.h"

#define FILE_DATE 20261126
#define FILE_DATE_ISO "2026-11-26"
#define BLANK_DATE (-1)

enum { CALTRECS, KANSAS, UTAH, TOP, N_PROGRAMS };

struct program {
    const char *name;
    const char *code;      /* the agency's code in its file headers */
    const char *debt_type; /* a code of the program's agency-debt layout */
    struct profile *profile;
    struct layout *in;  /* agency-debt */
    struct layout *unp; /* agency-unprocessable */
    struct store_partner agency;
};

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct program prog[N_PROGRAMS];
    int file_seq;
    int n_ssn;
};

static const struct {
    const char *name, *partner, *code, *debt_type;
} programs[N_PROGRAMS] = {
    [CALTRECS] = {"caltrecs", "county", "CNTY01", "JDG"},
    [KANSAS] = {"kansas", "salina", "SALINA01", "29"},
    [UTAH] = {"utah", "uhed", "UTHED01", "HED"},
    [TOP] = {"top", "kdcf", "KSDCF01", "SNAP"},
};

static struct layout *load_exchange(const struct profile *profile,
                                    const char *exchange)
{
    struct layout_problems probs = {0};
    struct layout *l = NULL;
    char path[1024];
    if (profile_exchange_path(profile, exchange, NULL, path, sizeof path) == 0)
        l = layout_load(path, &probs);
    if (l == NULL)
        tu_print_problems(&probs);
    layout_problems_release(&probs);
    return l;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256] = "", root[128];
    const char *formats = getenv("OG_FORMATS");

    if (fx == NULL)
        return -1;
    *state = fx;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-programs-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    setenv("OFFSETGW_TODAY", FILE_DATE_ISO, 1);
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_set_spool_plain(&fx->h, err, sizeof err) < 0 || /* read by path */
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0) {
        print_error("home: %s\n", err);
        return -1;
    }
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        struct store_partner *a = &p->agency;
        struct layout_problems probs = {0};
        p->name = programs[i].name;
        p->code = programs[i].code;
        p->debt_type = programs[i].debt_type;
        a->kind = PARTNER_AGENCY;
        a->enabled = true;
        snprintf(a->name, sizeof a->name, "%s", programs[i].partner);
        snprintf(a->program, sizeof a->program, "%s", p->name);
        snprintf(a->agency_code, sizeof a->agency_code, "%s", p->code);
        if (store_partner_add(fx->s, a, &a->id) < 0 ||
            home_create_partner(&fx->h, a->name, err, sizeof err) < 0)
            return -1;
        p->profile = profile_load_program(fx->programs, p->name, &probs);
        if (p->profile == NULL) {
            tu_print_problems(&probs);
            layout_problems_release(&probs);
            return -1;
        }
        layout_problems_release(&probs);
        p->in = load_exchange(p->profile, "agency-debt");
        p->unp = load_exchange(p->profile, "agency-unprocessable");
        if (p->in == NULL || p->unp == NULL)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    int rc = 0;
    if (fx == NULL)
        return 0;
    store_close(fx->s);
    for (int i = 0; i < N_PROGRAMS; i++) {
        layout_free(fx->prog[i].in);
        layout_free(fx->prog[i].unp);
        profile_free(fx->prog[i].profile);
    }
    if (fx->dir[0] != '\0' && strstr(fx->dir, "XXXXXX") == NULL) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
        rc = system(cmd) == 0 ? 0 : -1;
    }
    free(fx);
    return rc;
}

/* --- writing an agency's file -------------------------------------------- */

/* One add.  Zero members take the program's defaults: an SSN of their
 * own, the program's debt type, delinquent 200 days and noticed 90 days
 * before the file date, the attempts the program asks for. */
struct rec {
    const char *account;
    int64_t cents;
    const char *tin_type; /* NULL: "S" */
    const char *tin;      /* NULL: a fresh valid SSN; "": blank */
    const char *last;     /* NULL: "SMITH" */
    const char *first;
    const char *debt_type;
    int32_t delinquent; /* yyyymmdd, 0 default, BLANK_DATE */
    int32_t notice;     /* yyyymmdd, 0 default, BLANK_DATE */
    int attempts;       /* 0: the profile's collection_attempts */
    char ssn[10];       /* filled when tin is NULL */
};

static bool has_field(const struct layout *layout, const char *field)
{
    return layout_field_index(layout_record_by_name(layout, "detail"), field) >=
           0;
}

static bool layout_has(const struct program *p, const char *field)
{
    return has_field(p->in, field);
}

static void set_text(struct writer *w, const char *name, const char *text)
{
    if (writer_set_text_by_name(w, name, text) < 0)
        fail_msg("set %s '%s': %s", name, text, writer_error(w));
}

static void set_num(struct writer *w, const char *name, int64_t num)
{
    if (writer_set_num_by_name(w, name, num) < 0)
        fail_msg("set %s %lld: %s", name, (long long)num, writer_error(w));
}

/* Write an agency-debt file of RECS through LAYOUT (P's, or one like
 * it) to F, dated FILE_DATE, with P's agency code in the header. */
static void write_records(struct fixture *fx, const struct program *p,
                          const struct layout *layout, FILE *f,
                          struct rec *recs, size_t n)
{
    struct writer *w = writer_new(layout, f);
    assert_non_null(w);
    assert_int_equal(writer_begin(w, "header"), 0);
    set_text(w, "agency_code", p->agency.agency_code);
    set_num(w, "file_date", FILE_DATE);
    set_num(w, "file_seq", ++fx->file_seq);
    if (writer_end(w) != 0)
        fail_msg("header: %s", writer_error(w));
    for (size_t i = 0; i < n; i++) {
        struct rec *r = &recs[i];
        assert_int_equal(writer_begin(w, "detail"), 0);
        set_text(w, "action", "A");
        set_text(w, "account", r->account);
        if (r->tin == NULL) {
            unsigned k = (unsigned)++fx->n_ssn % 9000u;
            snprintf(r->ssn, sizeof r->ssn, "%03u%02u%04u", 200 + k / 80,
                     10 + k % 80, 1000 + k);
        }
        const char *tin = r->tin ? r->tin : r->ssn;
        if (*tin != '\0') {
            set_text(w, "tin_type", r->tin_type ? r->tin_type : "S");
            set_text(w, "tin", tin);
        }
        set_text(w, "last_name", r->last ? r->last : "SMITH");
        set_text(w, "first_name", r->first ? r->first : "JANE");
        set_num(w, "amount", r->cents);
        set_text(w, "debt_type", r->debt_type ? r->debt_type : p->debt_type);
        if (r->delinquent != BLANK_DATE)
            set_num(w, "delinquency_date",
                    r->delinquent ? r->delinquent
                                  : calendar_add_days(FILE_DATE, -200));
        if (r->notice != BLANK_DATE)
            set_num(w, "notice_date",
                    r->notice ? r->notice : calendar_add_days(FILE_DATE, -90));
        int attempts =
            r->attempts ? r->attempts : (int)p->profile->collection_attempts;
        if (attempts > 0)
            set_num(w, "collection_attempts", attempts);
        set_text(w, "bankruptcy", "N");
        if (has_field(layout, "debt_class"))
            set_text(w, "debt_class", "OVP"); /* TOP: the IAI class */
        if (writer_end(w) != 0)
            fail_msg("%s detail %zu: %s", p->name, i, writer_error(w));
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
}

static void write_file(struct fixture *fx, const struct program *p,
                       const char *path, struct rec *recs, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    write_records(fx, p, p->in, f, recs, n);
    assert_int_equal(fclose(f), 0);
}

/* --- what became of each record ------------------------------------------ */

struct reject {
    char account[32];
    char code[24];
    char field[40];
};

struct outcome {
    struct intake_result res;
    struct reject rejects[32];
    size_t n_rejects;
};

static void copy_value(const struct record *rec, const char *name, char *buf,
                       size_t size)
{
    int i = layout_field_index(rec->type, name);
    buf[0] = '\0';
    if (i >= 0 && rec->values[i].state == VALUE_OK)
        snprintf(buf, size, "%.*s", (int)rec->values[i].text_len,
                 rec->values[i].text);
}

/* The agency's unprocessable file, read back through its layout. */
static void read_rejects(const struct program *p, struct outcome *o)
{
    const struct record *rec;
    enum reader_status st;
    size_t len;
    if (o->res.unprocessable_path[0] == '\0')
        return;
    char *buf = tu_read_file(o->res.unprocessable_path, &len);
    struct reader *rd = reader_new_buffer(p->unp, buf, len, "unprocessable");
    assert_non_null(rd);
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->type == NULL || rec->n_errors != 0) {
            record_print_errors(stderr, "unprocessable", rec);
            fail_msg("%s: the unprocessable file does not read back", p->name);
        }
        if (strcmp(rec->type->name, "reject") != 0)
            continue;
        assert_true(o->n_rejects < sizeof o->rejects / sizeof *o->rejects);
        struct reject *r = &o->rejects[o->n_rejects++];
        copy_value(rec, "account", r->account, sizeof r->account);
        copy_value(rec, "error_code", r->code, sizeof r->code);
        copy_value(rec, "field", r->field, sizeof r->field);
    }
    assert_int_equal(st, READER_END);
    reader_free(rd);
    free(buf);
}

/* Send RECS in as one file of P's agency; the file itself must go
 * through (its records may be rejected). */
static void ingest(struct fixture *fx, const struct program *p,
                   struct rec *recs, size_t n, struct outcome *o)
{
    char path[128], err[512] = "";
    memset(o, 0, sizeof(*o));
    snprintf(path, sizeof path, "%s/%s-%d.txt", fx->dir, p->name,
             fx->file_seq + 1);
    write_file(fx, p, path, recs, n);
    struct intake_request rq = {.home = &fx->h,
                                .store = fx->s,
                                .programs_dir = fx->programs,
                                .partner = &p->agency,
                                .path = path};
    if (intake_file(&rq, &o->res, err, sizeof err) < 0)
        fail_msg("%s: intake: %s", p->name, err);
    if (o->res.status != FILE_ACCEPTED && o->res.status != FILE_PARTIAL)
        fail_msg("%s: file %s: %s %s", p->name, file_status_name(o->res.status),
                 o->res.reason_code, o->res.reason);
    assert_int_equal(o->res.records, (int64_t)n);
    read_rejects(p, o);
}

static const struct reject *reject_of(const struct outcome *o,
                                      const char *account)
{
    for (size_t i = 0; i < o->n_rejects; i++)
        if (strcmp(o->rejects[i].account, account) == 0)
            return &o->rejects[i];
    return NULL;
}

/* ACCOUNT of P was registered; its debt into D when not NULL. */
static void expect_accepted_at(const char *file, int line, struct fixture *fx,
                               const struct program *p, const struct outcome *o,
                               const char *account, struct store_debt *d)
{
    struct store_debt tmp;
    const struct reject *r = reject_of(o, account);
    if (r != NULL)
        tu_fail_at(file, line, "%s: %s rejected with %s (field '%s')", p->name,
                   account, r->code, r->field);
    if (store_debt_get(fx->s, p->agency.id, account, d ? d : &tmp) != 0)
        tu_fail_at(file, line, "%s: %s is not registered", p->name, account);
}
#define expect_accepted(fx, p, o, account, d)                                  \
    expect_accepted_at(__FILE__, __LINE__, fx, p, o, account, d)

/* ACCOUNT of P was rejected with CODE on FIELD (NULL: any) and not
 * registered. */
static void expect_rejected_at(const char *file, int line, struct fixture *fx,
                               const struct program *p, const struct outcome *o,
                               const char *account, const char *code,
                               const char *field)
{
    struct store_debt d;
    const struct reject *r = reject_of(o, account);
    if (r == NULL && store_debt_get(fx->s, p->agency.id, account, &d) == 0)
        tu_fail_at(file, line,
                   "%s: %s was accepted (balance %lld, status %c), "
                   "expected %s",
                   p->name, account, (long long)d.balance_cents, (char)d.status,
                   code);
    if (r == NULL)
        tu_fail_at(file, line, "%s: %s was neither accepted nor rejected",
                   p->name, account);
    if (strcmp(r->code, code) != 0 ||
        (field != NULL && strcmp(r->field, field) != 0))
        tu_fail_at(file, line,
                   "%s: %s rejected with %s on '%s', expected %s "
                   "on '%s'",
                   p->name, account, r->code, r->field, code,
                   field ? field : "(any)");
    if (store_debt_get(fx->s, p->agency.id, account, &d) != -ENOENT)
        tu_fail_at(file, line, "%s: rejected %s is registered", p->name,
                   account);
}
#define expect_rejected(fx, p, o, account, code, field)                        \
    expect_rejected_at(__FILE__, __LINE__, fx, p, o, account, code, field)

static const struct layout_field *detail_field(const struct program *p,
                                               const char *name)
{
    const struct layout_record *d = layout_record_by_name(p->in, "detail");
    int i = layout_field_index(d, name);
    if (i < 0)
        fail_msg("%s agency-debt has no detail field %s", p->name, name);
    return &d->fields[i];
}

/* --- the documented numbers ---------------------------------------------- */

/* The values the tests below read from the profiles, as docs/programs.md
 * states them: a profile edit that changes one must change the docs. */
static void test_profiles_hold_the_documented_eligibility_values(void **state)
{
    struct fixture *fx = *state;
    const struct profile *cal = fx->prog[CALTRECS].profile;
    const struct profile *ks = fx->prog[KANSAS].profile;
    const struct profile *ut = fx->prog[UTAH].profile;
    const struct profile *top = fx->prog[TOP].profile;

    assert_int_equal(cal->min_debt_cents, 1000);
    assert_int_equal(ks->min_debt_cents, 2500);
    assert_int_equal(top->min_debt_cents, 2500);
    assert_int_equal(ut->min_debt_cents, 0);
    assert_int_equal(cal->notice_days, 30);
    assert_int_equal(top->notice_days, 60);
    assert_int_equal(ks->notice_days, 0);
    assert_int_equal(top->delinquent_days, 30);
    assert_int_equal(cal->delinquent_days, 0);
    assert_int_equal(ks->collection_attempts, 3);
    assert_int_equal(top->referral_delay_days, 120);
    assert_int_equal(cal->id_types, PROFILE_ID_SSN);
    assert_int_equal(top->id_types, PROFILE_ID_SSN);
    assert_int_equal(ks->id_types, PROFILE_ID_SSN | PROFILE_ID_EIN);
    assert_int_equal(ut->id_types, PROFILE_ID_SSN | PROFILE_ID_EIN);
    assert_false(cal->id_required);
    assert_false(ks->id_required);
    assert_true(ut->id_required);
    assert_true(top->id_required);
    /* $25 collection assistance + $2.25 tax board fee */
    assert_int_equal(profile_fee_added_to_debt(cal, true), 2725);
    assert_int_equal(profile_fee_added_to_debt(ks, true), 0);
    assert_int_equal(profile_fee_added_to_debt(ut, true), 0);
    assert_int_equal(profile_fee_added_to_debt(top, true), 0);
}

/* --- amounts ------------------------------------------------------------- */

static void test_minimum_amount_of_each_program_holds_to_the_cent(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        int64_t min = p->profile->min_debt_cents;
        struct outcome o;
        if (min == 0) {
            /* no minimum: a single cent is a debt */
            struct rec recs[] = {{.account = "ONE-CENT", .cents = 1}};
            ingest(fx, p, recs, 1, &o);
            expect_accepted(fx, p, &o, "ONE-CENT", NULL);
            continue;
        }
        struct rec recs[] = {{.account = "BELOW", .cents = min - 1},
                             {.account = "AT-MIN", .cents = min},
                             {.account = "ABOVE", .cents = min + 1}};
        ingest(fx, p, recs, 3, &o);
        expect_rejected(fx, p, &o, "BELOW", "C_MIN_AMOUNT", "amount");
        expect_accepted(fx, p, &o, "AT-MIN", NULL);
        expect_accepted(fx, p, &o, "ABOVE", NULL);
        assert_int_equal(o.res.accepted, 2);
    }
}

/* A change needs an amount above 0 and a zero-out is action Z: an add of
 * nothing makes no sense for the action (C_AMOUNT) even in a program with
 * no minimum, and must not register an open debt of 0. */
static void
test_add_of_nothing_is_refused_where_there_is_no_minimum(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->prog[UTAH];
    struct rec recs[] = {{.account = "NOTHING", .cents = 0},
                         {.account = "SOMETHING", .cents = 1}};
    struct outcome o;
    assert_int_equal(p->profile->min_debt_cents, 0);
    ingest(fx, p, recs, 2, &o);
    expect_accepted(fx, p, &o, "SOMETHING", NULL);
    expect_rejected(fx, p, &o, "NOTHING", "C_AMOUNT", "amount");
}

/* --- id types ------------------------------------------------------------ */

/* Patch byte COLUMN (1-based) of line LINE (1-based) of the file at PATH. */
static void patch_file(const char *path, int line, size_t column, char c)
{
    size_t len;
    char *buf = tu_read_file(path, &len);
    char *at = buf;
    for (int l = 1; l < line; l++) {
        at = strchr(at, '\n');
        assert_non_null(at);
        at++;
    }
    assert_true((size_t)(at - buf) + column <= len);
    at[column - 1] = c;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

/* CalTRECS and TOP take SSN debtors only: their layouts list no EIN
 * code, so an agency cannot even write one, and a file that carries one
 * anyway has that record rejected. */
static void test_ssn_only_programs_refuse_an_ein_debtor(void **state)
{
    struct fixture *fx = *state;
    const int ssn_only[] = {CALTRECS, TOP};
    for (size_t k = 0; k < 2; k++) {
        struct program *p = &fx->prog[ssn_only[k]];
        const struct layout_field *tt = detail_field(p, "tin_type");
        assert_int_equal(p->profile->id_types, PROFILE_ID_SSN);
        assert_int_equal(tt->type, FT_CODE);
        assert_int_equal(tt->n_codes, 1);
        assert_string_equal(tt->codes[0].value, "S");

        /* the writer takes S and refuses E, all else equal */
        for (int e = 0; e < 2; e++) {
            struct tu_mem m;
            tu_mem_open(&m);
            struct writer *w = writer_new(p->in, m.f);
            assert_int_equal(writer_begin(w, "header"), 0);
            set_text(w, "agency_code", p->agency.agency_code);
            set_num(w, "file_date", FILE_DATE);
            set_num(w, "file_seq", 1);
            assert_int_equal(writer_end(w), 0);
            assert_int_equal(writer_begin(w, "detail"), 0);
            set_text(w, "action", "A");
            set_text(w, "account", "EIN-1");
            set_text(w, "tin", "271234567");
            set_text(w, "last_name", "CEDAR GROVE");
            set_num(w, "amount", 10000);
            set_text(w, "debt_type", p->debt_type);
            set_num(w, "delinquency_date", 20260101);
            set_num(w, "notice_date", 20260101);
            set_text(w, "bankruptcy", "N");
            if (layout_has(p, "debt_class"))
                set_text(w, "debt_class", "OVP");
            bool written =
                writer_set_text_by_name(w, "tin_type", e ? "E" : "S") == 0 &&
                writer_end(w) == 0;
            if (written != !e)
                fail_msg("%s: the writer %s tin_type %s", p->name,
                         written ? "wrote" : "refused", e ? "E" : "S");
            writer_free(w);
            tu_mem_close(&m);
        }

        /* a file with an E in tin_type anyway */
        struct rec recs[] = {{.account = "EIN-1", .cents = 10000},
                             {.account = "SSN-1", .cents = 10000}};
        char path[128], err[512] = "";
        struct outcome o;
        memset(&o, 0, sizeof o);
        snprintf(path, sizeof path, "%s/%s-ein.txt", fx->dir, p->name);
        write_file(fx, p, path, recs, 2);
        patch_file(path, 2, tt->start + 1, 'E');
        struct intake_request rq = {.home = &fx->h,
                                    .store = fx->s,
                                    .programs_dir = fx->programs,
                                    .partner = &p->agency,
                                    .path = path};
        assert_int_equal(intake_file(&rq, &o.res, err, sizeof err), 0);
        read_rejects(p, &o);
        expect_rejected(fx, p, &o, "EIN-1", "E_CODE", "tin_type");
        expect_accepted(fx, p, &o, "SSN-1", NULL);
    }
}

/* Kansas and Utah take EIN debtors: the business name is the last name,
 * and its name control is the business one (THE dropped before two
 * words), not an individual's. */
static void
test_ein_programs_take_a_business_with_its_name_control(void **state)
{
    struct fixture *fx = *state;
    const int ein[] = {KANSAS, UTAH};
    for (size_t k = 0; k < 2; k++) {
        struct program *p = &fx->prog[ein[k]];
        struct rec recs[] = {
            {.account = "BIZ",
             .cents = 500000,
             .tin_type = "E",
             .tin = "271234567",
             .last = "THE CEDAR GROVE",
             .first = ""},
            /* no EIN starts 00 */
            {.account = "BAD-EIN",
             .cents = 500000,
             .tin_type = "E",
             .tin = "001234567",
             .last = "WILLOW WORKS",
             .first = ""},
        };
        struct outcome o;
        struct store_debt d;
        struct store_name name;
        char tin_type, tin[10];
        assert_true(p->profile->id_types & PROFILE_ID_EIN);
        ingest(fx, p, recs, 2, &o);
        expect_accepted(fx, p, &o, "BIZ", &d);
        expect_rejected(fx, p, &o, "BAD-EIN", "C_EIN", "tin");
        assert_int_equal(store_debtor_get(fx->s, d.debtor_id, &tin_type, tin),
                         0);
        assert_int_equal(tin_type, 'E');
        assert_string_equal(tin, "271234567");
        assert_int_equal(store_debtor_name(fx->s, d.debtor_id, &name), 0);
        assert_string_equal(name.last, "THE CEDAR GROVE");
        assert_string_equal(name.name_control, "CEDA");
    }
}

/* A debt without an SSN or EIN is refused with C_TIN_MISSING in every
 * program, whatever <id-types required> says: the gateway matches on the
 * id and does not take such debts yet (docs/programs.md).  Where the
 * layout itself requires the id, the engine refuses it first. */
static void test_debt_without_an_id_is_refused_as_tin_missing(void **state)
{
    struct fixture *fx = *state;
    char wrong[1024] = "";
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        struct rec recs[] = {{.account = "NO-ID", .cents = 100000, .tin = ""},
                             {.account = "WITH-ID", .cents = 100000}};
        struct outcome o;
        struct store_debt d;
        if (detail_field(p, "tin")->required)
            continue;
        ingest(fx, p, recs, 2, &o);
        expect_accepted(fx, p, &o, "WITH-ID", NULL);
        const struct reject *r = reject_of(&o, "NO-ID");
        bool registered = store_debt_get(fx->s, p->agency.id, "NO-ID", &d) == 0;
        if (registered || r == NULL || strcmp(r->code, "C_TIN_MISSING") != 0)
            snprintf(wrong + strlen(wrong), sizeof wrong - strlen(wrong),
                     "\n  %s: %s %s", p->name,
                     registered ? "registered" : "rejected with",
                     registered ? ""
                     : r        ? r->code
                                : "nothing");
    }
    if (wrong[0] != '\0')
        fail_msg("debts without an id:%s", wrong);
}

/* --- days ---------------------------------------------------------------- */

/* Days counted to the day from the file date: a notice sent exactly
 * notice_days before it is enough, one day less is not; without a
 * notice wait, a notice of the file date itself is fine.  Where the
 * notice follows the address match (TOP), intake asks for none and
 * takes one of any past date (the wait is the cycle's: test_cycle), but
 * never one dated after the file. */
static void test_notice_days_of_each_program_hold_to_the_day(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        int32_t days = p->profile->notice_days;
        struct outcome o;
        if (days > 0 &&
            p->profile->notice_stage == PROFILE_NOTICE_AFTER_MATCH) {
            struct rec recs[] = {
                {.account = "RECENT",
                 .cents = 100000,
                 .notice = calendar_add_days(FILE_DATE, -1)},
                {.account = "NO-NOTICE", .cents = 100000, .notice = BLANK_DATE},
                {.account = "FUTURE",
                 .cents = 100000,
                 .notice = calendar_add_days(FILE_DATE, 1)}};
            assert_false(detail_field(p, "notice_date")->required);
            ingest(fx, p, recs, 3, &o);
            expect_accepted(fx, p, &o, "RECENT", NULL);
            expect_accepted(fx, p, &o, "NO-NOTICE", NULL);
            expect_rejected(fx, p, &o, "FUTURE", "C_NOTICE", "notice_date");
            continue;
        }
        if (days == 0) {
            struct rec recs[] = {
                {.account = "SAME-DAY", .cents = 100000, .notice = FILE_DATE},
                {.account = "NO-NOTICE",
                 .cents = 100000,
                 .notice = BLANK_DATE}};
            ingest(fx, p, recs,
                   detail_field(p, "notice_date")->required ? 1 : 2, &o);
            expect_accepted(fx, p, &o, "SAME-DAY", NULL);
            if (!detail_field(p, "notice_date")->required)
                expect_accepted(fx, p, &o, "NO-NOTICE", NULL);
            continue;
        }
        struct rec recs[] = {
            {.account = "SHORT",
             .cents = 100000,
             .notice = calendar_add_days(FILE_DATE, -(days - 1))},
            {.account = "ENOUGH",
             .cents = 100000,
             .notice = calendar_add_days(FILE_DATE, -days)},
            {.account = "NO-NOTICE", .cents = 100000, .notice = BLANK_DATE}};
        bool blank_ok = !detail_field(p, "notice_date")->required;
        ingest(fx, p, recs, blank_ok ? 3 : 2, &o);
        expect_rejected(fx, p, &o, "SHORT", "C_NOTICE", "notice_date");
        expect_accepted(fx, p, &o, "ENOUGH", NULL);
        if (blank_ok)
            expect_rejected(fx, p, &o, "NO-NOTICE", "C_NOTICE", "notice_date");
    }
}

static void test_delinquent_days_of_each_program_hold_to_the_day(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        int32_t days = p->profile->delinquent_days;
        bool blank_ok = !detail_field(p, "delinquency_date")->required;
        struct outcome o;
        if (days == 0) {
            struct rec recs[] = {
                {.account = "TODAY", .cents = 100000, .delinquent = FILE_DATE},
                {.account = "NO-DATE",
                 .cents = 100000,
                 .delinquent = BLANK_DATE}};
            ingest(fx, p, recs, blank_ok ? 2 : 1, &o);
            expect_accepted(fx, p, &o, "TODAY", NULL);
            if (blank_ok)
                expect_accepted(fx, p, &o, "NO-DATE", NULL);
            continue;
        }
        struct rec recs[] = {
            {.account = "SHORT",
             .cents = 100000,
             .delinquent = calendar_add_days(FILE_DATE, -(days - 1))},
            {.account = "ENOUGH",
             .cents = 100000,
             .delinquent = calendar_add_days(FILE_DATE, -days)},
            {.account = "NO-DATE", .cents = 100000, .delinquent = BLANK_DATE}};
        ingest(fx, p, recs, blank_ok ? 3 : 2, &o);
        expect_rejected(fx, p, &o, "SHORT", "C_DELINQUENT", "delinquency_date");
        expect_accepted(fx, p, &o, "ENOUGH", NULL);
        if (blank_ok)
            expect_rejected(fx, p, &o, "NO-DATE", "C_DELINQUENT",
                            "delinquency_date");
    }
}

static void test_collection_attempts_of_each_program_are_required(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        int attempts = p->profile->collection_attempts;
        struct outcome o;
        if (attempts == 0) {
            /* nothing asked: a file that does not say is fine */
            struct rec recs[] = {{.account = "UNSAID", .cents = 100000}};
            ingest(fx, p, recs, 1, &o);
            expect_accepted(fx, p, &o, "UNSAID", NULL);
            continue;
        }
        struct rec recs[] = {
            {.account = "TOO-FEW", .cents = 100000, .attempts = attempts - 1},
            {.account = "ENOUGH", .cents = 100000, .attempts = attempts}};
        ingest(fx, p, recs, 2, &o);
        expect_rejected(fx, p, &o, "TOO-FEW", "C_ATTEMPTS",
                        "collection_attempts");
        expect_accepted(fx, p, &o, "ENOUGH", NULL);
    }
}

/* --- fees ---------------------------------------------------------------- */

/* The balance is the amount plus every enabled add-to-debt fee of the
 * program, summed here from the profile's own fee list; other kinds of
 * fee (Kansas withholds a percentage) never touch the balance. */
static void test_fees_added_to_the_debt_are_each_programs(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        int64_t fees = 0;
        for (size_t k = 0; k < p->profile->n_fees; k++) {
            const struct profile_fee *f = &p->profile->fees[k];
            if (f->enabled && f->kind == PROFILE_FEE_ADD_TO_DEBT)
                fees += f->amount_cents;
        }
        assert_int_equal(profile_fee_added_to_debt(p->profile, true), fees);
        struct rec recs[] = {{.account = "FEE", .cents = 123456}};
        struct outcome o;
        struct store_debt d;
        ingest(fx, p, recs, 1, &o);
        expect_accepted(fx, p, &o, "FEE", &d);
        assert_int_equal(d.original_cents, 123456);
        assert_int_equal(d.fees_cents, fees);
        assert_int_equal(d.balance_cents, 123456 + fees);
        /* what the agency sent, not what the gateway added */
        assert_int_equal(o.res.amount_cents, 123456);
    }
    /* the two that matter: CalTRECS adds, Kansas does not */
    assert_true(profile_fee_added_to_debt(fx->prog[CALTRECS].profile, true) >
                0);
    assert_int_equal(profile_fee_added_to_debt(fx->prog[KANSAS].profile, true),
                     0);
}

/* --- debt types ---------------------------------------------------------- */

/* Each layout lists the debt types an agency may write, so a type in no
 * priority class cannot reach intake through a shipped layout: every
 * listed code has a class, and an unlisted one cannot be written. */
static void
test_every_debt_type_a_layout_allows_has_a_priority_class(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        const struct layout_field *f = detail_field(p, "debt_type");
        assert_int_equal(f->type, FT_CODE);
        assert_true(f->n_codes > 0);
        for (size_t k = 0; k < f->n_codes; k++)
            if (profile_priority_of(p->profile, f->codes[k].value) < 0)
                fail_msg("%s: debt type %s of the layout is in no class",
                         p->name, f->codes[k].value);
        assert_int_equal(profile_priority_of(p->profile, "ZZZ"), -1);

        struct tu_mem m;
        tu_mem_open(&m);
        struct writer *w = writer_new(p->in, m.f);
        assert_int_equal(writer_begin(w, "header"), 0);
        set_text(w, "agency_code", p->agency.agency_code);
        set_num(w, "file_date", FILE_DATE);
        set_num(w, "file_seq", 1);
        assert_int_equal(writer_end(w), 0);
        assert_int_equal(writer_begin(w, "detail"), 0);
        int rc = writer_set_text_by_name(w, "debt_type", "ZZZ");
        if (rc == 0) {
            set_text(w, "action", "A");
            set_text(w, "account", "ZZZ-1");
            set_text(w, "tin_type", "S");
            set_text(w, "tin", "123456789");
            set_text(w, "last_name", "SMITH");
            set_num(w, "amount", 100000);
            set_num(w, "delinquency_date", 20260101);
            set_num(w, "notice_date", 20260101);
            set_num(w, "collection_attempts", 3);
            set_text(w, "bankruptcy", "N");
            if (layout_has(p, "debt_class"))
                set_text(w, "debt_class", "OVP");
            rc = writer_end(w);
        }
        if (rc == 0)
            fail_msg("%s: the writer wrote debt type ZZZ", p->name);
        writer_free(w);
        tu_mem_close(&m);
    }
}

/* P's agency-debt layout with INSERT put before ANCHOR (which must be
 * in it once): a site's replacement layout that lets more through. */
static struct layout *wider_layout(const struct program *p, const char *anchor,
                                   const char *insert)
{
    size_t len;
    char *xml = tu_read_file(layout_source(p->in), &len);
    char *at = strstr(xml, anchor);
    assert_non_null(at);
    assert_null(strstr(at + 1, anchor));
    char *wider = tu_asprintf("%.*s%s%s", (int)(at - xml), xml, insert, at);
    struct layout *l =
        tu_load_named_at(__FILE__, __LINE__, "wider-agency-debt.xml", wider);
    free(wider);
    free(xml);
    return l;
}

/* REC written through LAYOUT, read back and checked against P's profile
 * by debt_check as of FILE_DATE. */
static enum check_code check_with(struct fixture *fx, const struct program *p,
                                  const struct layout *layout, struct rec *r,
                                  struct check_result *why)
{
    struct tu_mem m;
    char err[256] = "";
    const struct record *rec = NULL;
    struct debt_input in;
    tu_mem_open(&m);
    write_records(fx, p, layout, m.f, r, 1);
    size_t n = tu_mem_flush(&m);
    struct tu_parse *parsed = tu_parse_buf(layout, m.buf, n);
    tu_expect_clean(parsed, 3);
    tu_parse_free(parsed);
    struct debt_fields *df = debt_fields_new(layout, err, sizeof err);
    if (df == NULL)
        fail_msg("debt fields: %s", err);
    struct reader *rd = reader_new_buffer(layout, m.buf, n, "wider");
    while (reader_next(rd, &rec) == READER_RECORD &&
           rec->type != debt_fields_record(df))
        ;
    assert_non_null(rec);
    assert_ptr_equal(rec->type, debt_fields_record(df));
    enum check_code c = debt_check(p->profile, df, rec, FILE_DATE, &in, why);
    reader_free(rd);
    debt_fields_free(df);
    tu_mem_close(&m);
    return c;
}

/* The rule itself, through a layout that lists one code more than the
 * profile knows: C_DEBT_TYPE. */
static void test_debt_type_in_no_priority_class_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->prog[KANSAS];
    struct layout *l = wider_layout(p, "<code value=\"29\"",
                                    "<code value=\"99\" meaning=\"none\"/>");
    struct check_result why;
    struct rec in_no_class = {
        .account = "TYPE-99", .cents = 100000, .debt_type = "99"};
    struct rec in_a_class = {
        .account = "TYPE-29", .cents = 100000, .debt_type = "29"};
    assert_int_equal(profile_priority_of(p->profile, "99"), -1);
    enum check_code c = check_with(fx, p, l, &in_no_class, &why);
    if (c != C_DEBT_TYPE)
        fail_msg("debt type 99: %s (%s)", check_code_name(c), why.message);
    assert_string_equal(why.field, "debt_type");
    c = check_with(fx, p, l, &in_a_class, &why);
    if (c != CHECK_OK)
        fail_msg("debt type 29: %s (%s)", check_code_name(c), why.message);
    layout_free(l);
}

/* The profile's id types hold on their own: a replacement layout of an
 * SSN-only program that lets an EIN through still gets C_TIN_TYPE. */
static void
test_profile_id_types_hold_where_a_layout_lets_an_ein_through(void **state)
{
    struct fixture *fx = *state;
    const int ssn_only[] = {CALTRECS, TOP};
    for (size_t k = 0; k < 2; k++) {
        struct program *p = &fx->prog[ssn_only[k]];
        struct layout *l = wider_layout(p, "<code value=\"S\"",
                                        "<code value=\"E\" meaning=\"EIN\"/>");
        struct check_result why;
        struct rec ein = {.account = "EIN-1",
                          .cents = 100000,
                          .tin_type = "E",
                          .tin = "271234567",
                          .last = "THE CEDAR GROVE",
                          .first = ""};
        struct rec ssn = {.account = "SSN-1", .cents = 100000};
        enum check_code c = check_with(fx, p, l, &ein, &why);
        if (c != C_TIN_TYPE)
            fail_msg("%s: an EIN debtor: %s (%s)", p->name, check_code_name(c),
                     why.message);
        assert_string_equal(why.field, "tin_type");
        c = check_with(fx, p, l, &ssn, &why);
        if (c != CHECK_OK)
            fail_msg("%s: an SSN debtor: %s (%s)", p->name, check_code_name(c),
                     why.message);
        layout_free(l);
    }
}

/* --- names --------------------------------------------------------------- */

static void
test_names_are_registered_scrubbed_with_their_name_control(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *account, *written, *last, *suffix, *name_control;
    } names[] = {
        {"APOSTROPHE", "O'BRIEN-SMITH JR", "OBRIEN-SMITH", "JR", "OBRI"},
        {"PARTICLES", "DE LA CRUZ", "DE LA CRUZ", "", "DELA"},
        {"ONE-LETTER", "O", "O", "", "O   "},
        {"HYPHEN", "CEDAR-HAWTHORN", "CEDAR-HAWTHORN", "", "CEDA"},
    };
    const size_t n = sizeof names / sizeof *names;
    for (int i = 0; i < N_PROGRAMS; i++) {
        struct program *p = &fx->prog[i];
        struct rec recs[sizeof names / sizeof *names];
        struct outcome o;
        memset(recs, 0, sizeof recs);
        for (size_t k = 0; k < n; k++) {
            recs[k].account = names[k].account;
            recs[k].cents = 100000;
            recs[k].last = names[k].written;
            recs[k].first = "MARIA";
        }
        ingest(fx, p, recs, n, &o);
        for (size_t k = 0; k < n; k++) {
            struct store_debt d;
            struct store_name name;
            expect_accepted(fx, p, &o, names[k].account, &d);
            assert_int_equal(store_debtor_name(fx->s, d.debtor_id, &name), 0);
            if (strcmp(name.last, names[k].last) != 0 ||
                strcmp(name.suffix, names[k].suffix) != 0 ||
                strcmp(name.name_control, names[k].name_control) != 0)
                fail_msg("%s: '%s' registered as last '%s' suffix '%s' "
                         "name control '%s', expected '%s' '%s' '%s'",
                         p->name, names[k].written, name.last, name.suffix,
                         name.name_control, names[k].last, names[k].suffix,
                         names[k].name_control);
            assert_string_equal(name.first, "MARIA");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_profiles_hold_the_documented_eligibility_values),
        T(test_minimum_amount_of_each_program_holds_to_the_cent),
        T(test_add_of_nothing_is_refused_where_there_is_no_minimum),
        T(test_ssn_only_programs_refuse_an_ein_debtor),
        T(test_ein_programs_take_a_business_with_its_name_control),
        T(test_debt_without_an_id_is_refused_as_tin_missing),
        T(test_notice_days_of_each_program_hold_to_the_day),
        T(test_delinquent_days_of_each_program_hold_to_the_day),
        T(test_collection_attempts_of_each_program_are_required),
        T(test_fees_added_to_the_debt_are_each_programs),
        T(test_every_debt_type_a_layout_allows_has_a_priority_class),
        T(test_debt_type_in_no_priority_class_is_refused),
        T(test_profile_id_types_hold_where_a_layout_lets_an_ein_through),
        T(test_names_are_registered_scrubbed_with_their_name_control),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
