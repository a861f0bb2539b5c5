/*
 * test_cycle.c - outbound cycles (cycle.h) with the shipped CalTRECS and
 * TOP profiles and layouts: a first cycle sends every eligible debt once
 * as an add, at its balance (fees included), with the control totals; a
 * cycle right after sends nothing; an agency's changes and zero-outs send
 * exactly the difference; a debt closed before any cycle is never sent;
 * TOP's referral delay defers a debt until "today" passes it; TOP's
 * address request asks about each new debt once, and its referral takes
 * a debt only once the agency's 60-day notice has run (certified, C),
 * and not below the minimum; a cycle to
 * an agency or a payer is refused; and a kill -9 in the middle of a cycle
 * leaves nothing recorded or delivered.  Every delivered file is read back
 * with the reader through the partner's own layout, and its action codes
 * are judged by what the layout says they mean, not by their letters.
 *
 * Not here: intake's rules (test_intake.c, test_programs.c), the outbox's
 * own crash points (test_outbox.c).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/calendar.h"
#include "offsetgw/cycle.h"
#include "offsetgw/intake.h"
#include "offsetgw/outbox.h"
#include "offsetgw/profile.h"

#define TODAY 20261126
#define TODAY_ISO "2026-11-26"

/* One program as the tests drive it: an agency that sends debts in and
 * the partner (tax board, treasury) the cycle sends them on to. */
struct program {
    const char *name;
    const char *exchange; /* the partner's debt file */
    const char *debt_type;
    struct profile *profile;
    struct layout *in;  /* agency-debt */
    struct layout *out; /* EXCHANGE */
    struct store_partner agency, partner;
};

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct program cal, top;
    int file_seq;
};

static int add_partner(struct fixture *fx, struct store_partner *p,
                       const char *name, enum partner_kind kind,
                       const char *program, const char *code)
{
    char err[256] = "";
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->enabled = true;
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->program, sizeof p->program, "%s", program);
    snprintf(p->agency_code, sizeof p->agency_code, "%s", code);
    if (store_partner_add(fx->s, p, &p->id) < 0 ||
        home_create_partner(&fx->h, name, err, sizeof err) < 0) {
        print_error("partner %s: %s\n", name, err);
        return -1;
    }
    return 0;
}

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

static int load_program(struct fixture *fx, struct program *p)
{
    struct layout_problems probs = {0};
    p->profile = profile_load_program(fx->programs, p->name, &probs);
    if (p->profile == NULL) {
        tu_print_problems(&probs);
        layout_problems_release(&probs);
        return -1;
    }
    layout_problems_release(&probs);
    p->in = load_exchange(p->profile, "agency-debt");
    p->out = load_exchange(p->profile, p->exchange);
    return p->in != NULL && p->out != NULL ? 0 : -1;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256] = "", root[128];
    const char *formats = getenv("OG_FORMATS");

    if (fx == NULL)
        return -1;
    *state = fx;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-cycle-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    setenv("OFFSETGW_TODAY", TODAY_ISO, 1);
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_set_spool_plain(&fx->h, err, sizeof err) < 0 || /* read by path */
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0) {
        print_error("home: %s\n", err);
        return -1;
    }
    fx->cal.name = "caltrecs";
    fx->cal.exchange = "taxboard-debt";
    fx->cal.debt_type = "JDG";
    fx->top.name = "top";
    fx->top.exchange = "treasury-referral";
    fx->top.debt_type = "SNAP";
    /* the partners' agency_code is what their files' headers carry:
     * the COD sender id (5), the TOP agency code (8) */
    if (add_partner(fx, &fx->cal.agency, "county", PARTNER_AGENCY, "caltrecs",
                    "CNTY01") < 0 ||
        add_partner(fx, &fx->cal.partner, "ftb", PARTNER_TAXBOARD, "caltrecs",
                    "CSACF") < 0 ||
        add_partner(fx, &fx->top.agency, "dcf", PARTNER_AGENCY, "top",
                    "KSDCF01") < 0 ||
        add_partner(fx, &fx->top.partner, "treasury", PARTNER_TREASURY, "top",
                    "KSDCF") < 0 ||
        load_program(fx, &fx->cal) < 0 || load_program(fx, &fx->top) < 0)
        return -1;
    return 0;
}

static void release_program(struct program *p)
{
    layout_free(p->in);
    layout_free(p->out);
    profile_free(p->profile);
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    int rc = 0;
    if (fx == NULL)
        return 0;
    store_close(fx->s);
    release_program(&fx->cal);
    release_program(&fx->top);
    if (fx->dir[0] != '\0' && strstr(fx->dir, "XXXXXX") == NULL) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
        rc = system(cmd) == 0 ? 0 : -1;
    }
    free(fx);
    return rc;
}

/* --- agency files in ---------------------------------------------------- */

/* One detail of an agency file: an SSN debtor, amount in cents. */
struct rec {
    const char *action, *account, *tin, *last, *first;
    int64_t cents;
    int32_t delinquent; /* yyyymmdd; 0: 200 days before the file date */
    int32_t notice; /* yyyymmdd; 0: 90 days before the file date; -1: none */
};

/* Set a field when the program's layout has it. */
static void set_opt(struct writer *w, const char *name, const char *text)
{
    int rc = writer_set_text_by_name(w, name, text);
    if (rc < 0 && rc != -ENOENT)
        fail_msg("set %s: %s", name, writer_error(w));
}

static void set_num_opt(struct writer *w, const char *name, int64_t num)
{
    int rc = writer_set_num_by_name(w, name, num);
    if (rc < 0 && rc != -ENOENT)
        fail_msg("set %s: %s", name, writer_error(w));
}

/* Write P's agency-debt file of RECS to PATH, dated today, with P's
 * agency code in the header. */
static void write_file(struct fixture *fx, const struct program *p,
                       const char *path, const struct rec *recs, size_t n)
{
    int32_t file_date = calendar_today(NULL);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct writer *w = writer_new(p->in, f);
    assert_non_null(w);
    assert_int_equal(writer_begin(w, "header"), 0);
    set_opt(w, "agency_code", p->agency.agency_code);
    set_num_opt(w, "file_date", file_date);
    set_num_opt(w, "file_seq", ++fx->file_seq);
    if (writer_end(w) != 0)
        fail_msg("header: %s", writer_error(w));
    for (size_t i = 0; i < n; i++) {
        const struct rec *r = &recs[i];
        assert_int_equal(writer_begin(w, "detail"), 0);
        set_opt(w, "action", r->action);
        set_opt(w, "account", r->account);
        set_opt(w, "tin_type", "S");
        set_opt(w, "tin", r->tin);
        set_opt(w, "last_name", r->last);
        if (r->first != NULL)
            set_opt(w, "first_name", r->first);
        set_num_opt(w, "amount", r->cents);
        set_opt(w, "debt_type", p->debt_type);
        set_num_opt(w, "delinquency_date",
                    r->delinquent ? r->delinquent
                                  : calendar_add_days(file_date, -200));
        if (r->notice >= 0)
            set_num_opt(w, "notice_date",
                        r->notice ? r->notice
                                  : calendar_add_days(file_date, -90));
        set_opt(w, "bankruptcy", "N");
        set_opt(w, "debt_class", "OVP"); /* TOP's IAI class */
        if (writer_end(w) != 0)
            fail_msg("detail %zu: %s", i, writer_error(w));
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
    assert_int_equal(fclose(f), 0);
}

static int ingest_path(struct fixture *fx, const struct program *p,
                       const char *path, struct intake_result *res)
{
    char err[512] = "";
    struct intake_request rq = {.home = &fx->h,
                                .store = fx->s,
                                .programs_dir = fx->programs,
                                .partner = &p->agency,
                                .path = path};
    int rc = intake_file(&rq, res, err, sizeof err);
    if (rc < 0)
        print_error("intake: %s\n", err);
    return rc;
}

/* Send RECS in as one file of P's agency; ACCEPTED of them must be.
 * Returns the file's id. */
static int64_t ingest(struct fixture *fx, const struct program *p,
                      const struct rec *recs, size_t n, int64_t accepted)
{
    struct intake_result res;
    char path[128];
    snprintf(path, sizeof path, "%s/in-%d.txt", fx->dir, fx->file_seq + 1);
    write_file(fx, p, path, recs, n);
    assert_int_equal(ingest_path(fx, p, path, &res), 0);
    if (res.accepted != accepted || res.records != (int64_t)n) {
        if (res.unprocessable_path[0] != '\0') {
            size_t len;
            char *text = tu_read_file(res.unprocessable_path, &len);
            print_error("%s", text);
            free(text);
        }
        fail_msg("%s: %lld of %zu records accepted, expected %lld (%s %s)",
                 p->name, (long long)res.accepted, n, (long long)accepted,
                 res.reason_code, res.reason);
    }
    return res.file_id;
}

/* Where P's notice follows the address match (TOP), what the match and
 * the agency's notice would do to every debt of its agency still in P:
 * notice sent (S) the notice period before today, so that the next
 * referral certifies it.  The real path is
 * test_top_debt_is_asked_about_then_noticed_then_certified. */
static int ready_debt(const char *account, void *ctx)
{
    struct fixture *fx = ((void **)ctx)[0];
    const struct program *p = ((void **)ctx)[1];
    struct store_debt d;
    assert_int_equal(store_debt_get(fx->s, p->agency.id, account, &d), 0);
    if (d.status == DEBT_P)
        assert_int_equal(
            store_debt_set_notice(fx->s, d.id,
                                  calendar_add_days(calendar_today(NULL),
                                                    -p->profile->notice_days),
                                  DEBT_S, NULL),
            0);
    return 0;
}

static void ready(struct fixture *fx, const struct program *p)
{
    void *ctx[2] = {fx, (void *)p};
    int64_t n;
    if (p->profile->notice_stage == PROFILE_NOTICE_AFTER_MATCH)
        assert_int_equal(
            store_debt_accounts(fx->s, p->agency.id, &n, ready_debt, ctx), 0);
}

/* --- cycles out --------------------------------------------------------- */

static int run_cycle(struct fixture *fx, const struct store_partner *partner,
                     struct cycle_result *res)
{
    char err[512] = "";
    struct cycle_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .partner = partner};
    int rc = cycle_run(&rq, res, err, sizeof err);
    if (rc < 0)
        print_message("cycle to %s: %s\n", partner->name, err);
    return rc;
}

/* A cycle that must succeed. */
static void cycle_ok(struct fixture *fx, const struct store_partner *partner,
                     struct cycle_result *res)
{
    assert_int_equal(run_cycle(fx, partner, res), 0);
}

/* A cycle that must find nothing to send: no cycle, no file. */
static void cycle_sends_nothing(struct fixture *fx,
                                const struct store_partner *partner)
{
    struct cycle_result res;
    cycle_ok(fx, partner, &res);
    if (res.cycle_id != 0 || res.adds != 0 || res.changes != 0 ||
        res.zeros != 0 || res.amount_cents != 0 || res.file_id != 0)
        fail_msg("cycle to %s sent something: cycle %lld, %lld adds, %lld "
                 "changes, %lld zeros, %lld cents, file %lld '%s'",
                 partner->name, (long long)res.cycle_id, (long long)res.adds,
                 (long long)res.changes, (long long)res.zeros,
                 (long long)res.amount_cents, (long long)res.file_id, res.path);
}

/* Entries of PARTNER's BOX, the outbox's own .tmp folder aside. */
static int count_files(struct fixture *fx, const char *partner, const char *box)
{
    char dir[HOME_PATH_MAX];
    struct dirent *e;
    int n = 0;
    assert_int_equal(home_box_path(&fx->h, partner, box, dir, sizeof dir), 0);
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, ".tmp") == 0)
            continue;
        n++;
    }
    closedir(d);
    return n;
}

/* --- reading a delivered file back -------------------------------------- */

struct sent_detail {
    char means[16]; /* what the layout says the action code means */
    int64_t amount;
    int64_t debt_id; /* agency_debt_id */
    char tin[10];
    char name_control[8];
    char account[STORE_NAME_MAX];
    char agency_code[16];
};

struct sent {
    struct sent_detail *d;
    size_t n, cap;
    char header_code[16];  /* sender_id or agency_code */
    char trailer_code[16]; /* sender_id, when the trailer has one */
    int64_t count, total;  /* the trailer's control totals */
    int64_t file_date;     /* the header's */
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

static int64_t num_value(const struct record *rec, const char *name)
{
    int i = layout_field_index(rec->type, name);
    if (i < 0 || rec->values[i].state != VALUE_OK)
        fail_msg("record %s has no value for %s", rec->type->name, name);
    return rec->values[i].num;
}

static int64_t parse_id(const char *text)
{
    int64_t id = 0;
    if (*text == '\0')
        fail_msg("agency_debt_id is blank");
    for (const char *c = text; *c != '\0'; c++) {
        if (*c < '0' || *c > '9' || id > INT64_MAX / 10 - 10)
            fail_msg("agency_debt_id '%s' is not a debt id", text);
        id = id * 10 + (*c - '0');
    }
    return id;
}

/* Trailing blanks off (a short name control may be padded). */
static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

/* Parse the file at PATH with P's partner layout: every record clean,
 * the structure and the control totals accepted by the reader. */
/* PATH read through LAYOUT: a referral's details by what their action
 * means; an address request's (no action) as "request". */
static struct sent *read_file_as(const struct layout *layout, const char *path)
{
    struct sent *out = calloc(1, sizeof(*out));
    const struct record *rec;
    enum reader_status st;
    size_t len;
    char *buf = tu_read_file(path, &len);
    struct reader *rd = reader_new_buffer(layout, buf, len, path);
    assert_non_null(out);
    assert_non_null(rd);
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->type == NULL || rec->n_errors != 0) {
            record_print_errors(stderr, path, rec);
            fail_msg("%s: line %llu does not read back cleanly", path,
                     (unsigned long long)rec->line);
        }
        const char *name = rec->type->name;
        if (strcmp(name, "header") == 0) {
            copy_value(rec, "sender_id", out->header_code,
                       sizeof out->header_code);
            if (out->header_code[0] == '\0')
                copy_value(rec, "agency_code", out->header_code,
                           sizeof out->header_code);
            out->file_date = num_value(rec, "file_date");
        } else if (strcmp(name, "trailer") == 0) {
            copy_value(rec, "sender_id", out->trailer_code,
                       sizeof out->trailer_code);
            out->count = num_value(rec, "detail_count");
            if (layout_field_index(rec->type, "amount_total") >= 0)
                out->total = num_value(rec, "amount_total");
        } else if (strcmp(name, "detail") == 0) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 16;
                out->d = tu_xrealloc(out->d, out->cap * sizeof(*out->d));
            }
            struct sent_detail *d = &out->d[out->n++];
            char id[40];
            int a = layout_field_index(rec->type, "action");
            const char *means =
                a < 0 ? "request"
                      : layout_code_means(&rec->type->fields[a],
                                          rec->values[a].text,
                                          rec->values[a].text_len);
            snprintf(d->means, sizeof d->means, "%s", means ? means : "?");
            d->amount = layout_field_index(rec->type, "amount") >= 0
                            ? num_value(rec, "amount")
                            : 0;
            copy_value(rec, "agency_debt_id", id, sizeof id);
            d->debt_id = parse_id(id);
            copy_value(rec, "tin", d->tin, sizeof d->tin);
            copy_value(rec, "name_control", d->name_control,
                       sizeof d->name_control);
            trim(d->name_control);
            copy_value(rec, "account", d->account, sizeof d->account);
            copy_value(rec, "agency_code", d->agency_code,
                       sizeof d->agency_code);
        }
    }
    if (st != READER_END) {
        file_error_print(stderr, path, reader_file_error(rd));
        fail_msg("%s does not read back to a clean end", path);
    }
    reader_free(rd);
    free(buf);
    return out;
}

static struct sent *read_sent(const struct program *p, const char *path)
{
    return read_file_as(p->out, path);
}

static void sent_free(struct sent *s)
{
    if (s != NULL)
        free(s->d);
    free(s);
}

/* The control totals agree with the details, and with the result. */
static void expect_totals(const struct sent *s, const struct cycle_result *res)
{
    int64_t sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->d[i].amount;
    assert_int_equal(s->count, (int64_t)s->n);
    assert_int_equal(s->total, sum);
    assert_int_equal(res->amount_cents, sum);
    assert_int_equal(res->adds + res->changes + res->zeros, (int64_t)s->n);
}

static struct store_debt debt_of(struct fixture *fx, const struct program *p,
                                 const char *account)
{
    struct store_debt d;
    if (store_debt_get(fx->s, p->agency.id, account, &d) != 0)
        fail_msg("%s: no debt %s", p->name, account);
    return d;
}

/* The details of S about debt ID: how many, and the last. */
static size_t details_of(const struct sent *s, int64_t id,
                         const struct sent_detail **last)
{
    size_t n = 0;
    *last = NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i].debt_id == id) {
            n++;
            *last = &s->d[i];
        }
    return n;
}

/* S tells P's partner, once, that ACCOUNT is MEANS at AMOUNT, with the
 * registry's id, TIN and name control. */
static void expect_detail(struct fixture *fx, const struct program *p,
                          const struct sent *s, const char *account,
                          const char *means, int64_t amount)
{
    struct store_debt d = debt_of(fx, p, account);
    const struct sent_detail *sd;
    struct store_name name;
    char tin_type, tin[10];
    size_t n = details_of(s, d.id, &sd);
    if (n != 1)
        fail_msg("%s debt %s (id %lld) is in the file %zu times", p->name,
                 account, (long long)d.id, n);
    if (strcmp(sd->means, means) != 0 || sd->amount != amount)
        fail_msg("%s debt %s: sent %s %lld, expected %s %lld", p->name, account,
                 sd->means, (long long)sd->amount, means, (long long)amount);
    assert_int_equal(store_debtor_get(fx->s, d.debtor_id, &tin_type, tin), 0);
    assert_int_equal(store_debtor_name(fx->s, d.debtor_id, &name), 0);
    trim(name.name_control);
    assert_string_equal(sd->tin, tin);
    assert_string_equal(sd->name_control, name.name_control);
    /* the partner files that name the agency and its account */
    if (layout_field_index(layout_record_by_name(p->out, "detail"),
                           "account") >= 0)
        assert_string_equal(sd->account, account);
    if (layout_field_index(layout_record_by_name(p->out, "detail"),
                           "agency_code") >= 0)
        assert_string_equal(sd->agency_code, p->agency.agency_code);
}

static void expect_absent(struct fixture *fx, const struct program *p,
                          const struct sent *s, const char *account)
{
    const struct sent_detail *sd;
    struct store_debt d = debt_of(fx, p, account);
    if (details_of(s, d.id, &sd) != 0)
        fail_msg("%s debt %s was sent (%s %lld)", p->name, account, sd->means,
                 (long long)sd->amount);
}

/* --- a first cycle ------------------------------------------------------ */

static void
test_first_cycle_sends_each_eligible_debt_as_an_add_with_fees(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->cal;
    const struct rec recs[] = {
        {"A", "ACC-1", "123456789", "SMITH", "JANE", 10000, 0, 0},
        {"A", "ACC-2", "223456789", "O'BRIEN-SMITH JR", "SEAN", 1000, 0, 0},
        {"A", "ACC-3", "323456789", "LEE", "AL", 250075, 0, 0},
        /* below the minimum: refused at intake, never sent */
        {"A", "ACC-4", "423456789", "DOE", "JO", 999, 0, 0},
    };
    struct cycle_result res;
    struct store_cycle last;
    struct store_file f;
    char outbox[HOME_PATH_MAX];
    int64_t fee = profile_fee_added_to_debt(p->profile, true);

    assert_true(fee > 0); /* CalTRECS adds its fees to every debt */
    ingest(fx, p, recs, 4, 3);
    cycle_ok(fx, &p->partner, &res);
    assert_true(res.cycle_id > 0);
    assert_true(res.file_id > 0);
    assert_int_equal(res.adds, 3);
    assert_int_equal(res.changes, 0);
    assert_int_equal(res.zeros, 0);
    assert_int_equal(res.deferred, 0);
    assert_int_equal(res.amount_cents, 10000 + 1000 + 250075 + 3 * fee);

    /* delivered into the tax board's outbox, nothing left in .tmp */
    assert_int_equal(
        home_box_path(&fx->h, "ftb", "outbox", outbox, sizeof outbox), 0);
    assert_memory_equal(res.path, outbox, strlen(outbox));
    assert_int_equal(res.path[strlen(outbox)], '/');
    assert_int_equal(access(res.path, R_OK), 0);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 1);
    assert_int_equal(count_files(fx, "ftb", "outbox/.tmp"), 0);

    struct sent *s = read_sent(p, res.path);
    assert_int_equal(s->n, 3);
    expect_totals(s, &res);
    assert_string_equal(s->header_code, p->partner.agency_code);
    assert_string_equal(s->trailer_code, p->partner.agency_code);
    assert_int_equal(s->file_date, TODAY);
    for (size_t i = 0; i < 3; i++) {
        struct store_debt d = debt_of(fx, p, recs[i].account);
        assert_int_equal(d.balance_cents, recs[i].cents + fee);
        expect_detail(fx, p, s, recs[i].account, "add", recs[i].cents + fee);
    }
    /* the name controls, as the IRS derives them */
    const struct sent_detail *sd;
    assert_int_equal(details_of(s, debt_of(fx, p, "ACC-1").id, &sd), 1);
    assert_string_equal(sd->name_control, "SMIT");
    assert_int_equal(details_of(s, debt_of(fx, p, "ACC-2").id, &sd), 1);
    assert_string_equal(sd->name_control, "OBRI");
    assert_int_equal(details_of(s, debt_of(fx, p, "ACC-3").id, &sd), 1);
    assert_string_equal(sd->name_control, "LEE");
    sent_free(s);

    /* the file and the cycle are recorded as sent */
    assert_int_equal(store_file_get(fx->s, res.file_id, &f), 0);
    assert_true(f.outbound);
    assert_int_equal(f.status, FILE_SENT);
    assert_int_equal(f.partner_id, p->partner.id);
    assert_string_equal(f.exchange, "taxboard-debt");
    assert_int_equal(f.records, 3);
    assert_int_equal(f.amount_cents, res.amount_cents);
    assert_int_equal(store_cycle_last(fx->s, p->partner.id, &last), 0);
    assert_int_equal(last.id, res.cycle_id);
    assert_int_equal(last.file_id, res.file_id);
    assert_int_equal(last.records, 3);
    assert_int_equal(last.amount_cents, res.amount_cents);
}

static void test_second_cycle_right_after_sends_nothing(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->cal;
    const struct rec recs[] = {
        {"A", "ACC-1", "123456789", "SMITH", "JANE", 10000, 0, 0},
        {"A", "ACC-2", "223456789", "JONES", "BOB", 5000, 0, 0},
    };
    struct cycle_result res;
    struct store_cycle last;
    int64_t files;

    ingest(fx, p, recs, 2, 2);
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds, 2);
    int64_t first = res.cycle_id;
    assert_int_equal(store_count(fx->s, "files", &files), 0);

    cycle_sends_nothing(fx, &p->partner);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 1);
    assert_int_equal(count_files(fx, "ftb", "outbox/.tmp"), 0);
    assert_int_equal(store_cycle_last(fx->s, p->partner.id, &last), 0);
    assert_int_equal(last.id, first);
    int64_t files_after;
    assert_int_equal(store_count(fx->s, "files", &files_after), 0);
    assert_int_equal(files_after, files);
}

/* --- what changed since ------------------------------------------------- */

/* Four debts sent; then the agency raises one, lowers another and zeroes
 * a third: the next cycle says exactly that, as INCREASE, DECREASE and
 * "zero" mean in P's partner layout, and nothing of the fourth. */
static void changes_send_exactly_the_difference(struct fixture *fx,
                                                const struct program *p,
                                                const char *increase,
                                                const char *decrease)
{
    const struct rec adds[] = {
        {"A", "UP", "123456789", "SMITH", "JANE", 10000, 0, 0},
        {"A", "DOWN", "223456789", "JONES", "BOB", 20000, 0, 0},
        {"A", "GONE", "323456789", "LEE", "AL", 30000, 0, 0},
        {"A", "SAME", "423456789", "DOE", "JO", 40000, 0, 0},
    };
    const struct rec changes[] = {
        {"C", "UP", "123456789", "SMITH", "JANE", 15000, 0, 0},
        {"C", "DOWN", "223456789", "JONES", "BOB", 5000, 0, 0},
    };
    const struct rec zero[] = {
        {"Z", "GONE", "323456789", "LEE", "AL", 0, 0, 0},
    };
    struct cycle_result res;
    int64_t fee = profile_fee_added_to_debt(p->profile, true);

    ingest(fx, p, adds, 4, 4);
    ready(fx, p);
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds, 4);
    ingest(fx, p, changes, 2, 2);
    ingest(fx, p, zero, 1, 1);

    cycle_ok(fx, &p->partner, &res);
    assert_true(res.cycle_id > 0);
    assert_int_equal(res.adds, 0);
    assert_int_equal(res.changes, 2);
    assert_int_equal(res.zeros, 1);
    assert_int_equal(res.deferred, 0);
    struct sent *s = read_sent(p, res.path);
    assert_int_equal(s->n, 3);
    expect_totals(s, &res);
    expect_detail(fx, p, s, "UP", increase, 15000 + fee);
    expect_detail(fx, p, s, "DOWN", decrease, 5000 + fee);
    expect_detail(fx, p, s, "GONE", "zero", 0);
    expect_absent(fx, p, s, "SAME");
    sent_free(s);
    assert_int_equal(count_files(fx, p->partner.name, "outbox"), 2);

    cycle_sends_nothing(fx, &p->partner);
    assert_int_equal(count_files(fx, p->partner.name, "outbox"), 2);
}

/* The COD file has one code, R revised, for both directions. */
static void
test_caltrecs_change_and_zero_send_revised_and_withdrawn(void **state)
{
    struct fixture *fx = *state;
    changes_send_exactly_the_difference(fx, &fx->cal, "change", "change");
}

static void
test_top_change_and_zero_send_increase_decrease_and_zero(void **state)
{
    struct fixture *fx = *state;
    changes_send_exactly_the_difference(fx, &fx->top, "increase", "decrease");
}

static void
test_debt_added_and_zeroed_before_any_cycle_is_never_sent(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->cal;
    const struct rec adds[] = {
        {"A", "BRIEF", "123456789", "SMITH", "JANE", 10000, 0, 0},
        {"A", "STAYS", "223456789", "JONES", "BOB", 20000, 0, 0},
    };
    const struct rec zero[] = {
        {"Z", "BRIEF", "123456789", "SMITH", "JANE", 0, 0, 0},
    };
    struct cycle_result res;
    int64_t fee = profile_fee_added_to_debt(p->profile, true);

    ingest(fx, p, adds, 2, 2);
    ingest(fx, p, zero, 1, 1);
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds, 1);
    assert_int_equal(res.changes, 0);
    assert_int_equal(res.zeros, 0);
    assert_int_equal(res.deferred, 0); /* closed is not "not yet" */
    struct sent *s = read_sent(p, res.path);
    assert_int_equal(s->n, 1);
    expect_totals(s, &res);
    expect_detail(fx, p, s, "STAYS", "add", 20000 + fee);
    expect_absent(fx, p, s, "BRIEF");
    sent_free(s);
    cycle_sends_nothing(fx, &p->partner);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 1);
}

/* A debt the partner was told of that is no longer eligible (the debtor
 * died) is zeroed at the partner, though its balance stands. */
static void test_debt_no_longer_eligible_is_sent_as_a_zero(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->cal;
    const struct rec adds[] = {
        {"A", "DIES", "123456789", "SMITH", "JANE", 10000, 0, 0},
        {"A", "LIVES", "223456789", "JONES", "BOB", 20000, 0, 0},
    };
    struct cycle_result res;

    int64_t file_id = ingest(fx, p, adds, 2, 2);
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds, 2);
    struct store_debt d = debt_of(fx, p, "DIES");
    struct store_source src = {.file_id = file_id, .line = 0};
    assert_int_equal(store_debt_set_status(fx->s, d.id, DEBT_D, &src), 0);

    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds + res.changes, 0);
    assert_int_equal(res.zeros, 1);
    struct sent *s = read_sent(p, res.path);
    assert_int_equal(s->n, 1);
    expect_totals(s, &res);
    expect_detail(fx, p, s, "DIES", "zero", 0);
    expect_absent(fx, p, s, "LIVES");
    sent_free(s);
    assert_int_equal(debt_of(fx, p, "DIES").balance_cents, d.balance_cents);
    cycle_sends_nothing(fx, &p->partner);
}

/* The partner is told the difference from what it was last told, not
 * the registry's history: a change undone before the cycle is nothing. */
static void test_change_undone_before_the_cycle_sends_nothing(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->top;
    const struct rec add[] = {
        {"A", "ACC-1", "123456789", "SMITH", "JANE", 10000, 0, 0},
    };
    const struct rec up[] = {
        {"C", "ACC-1", "123456789", "SMITH", "JANE", 12000, 0, 0},
    };
    const struct rec back[] = {
        {"C", "ACC-1", "123456789", "SMITH", "JANE", 10000, 0, 0},
    };
    struct cycle_result res;

    ingest(fx, p, add, 1, 1);
    ready(fx, p);
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds, 1);
    ingest(fx, p, up, 1, 1);
    ingest(fx, p, back, 1, 1);
    cycle_sends_nothing(fx, &p->partner);
    assert_int_equal(count_files(fx, "treasury", "outbox"), 1);
}

/* --- TOP's referral delay ----------------------------------------------- */

static void set_today(int32_t ymd)
{
    char iso[16];
    calendar_format(ymd, iso);
    setenv("OFFSETGW_TODAY", iso, 1);
    assert_int_equal(calendar_today(NULL), ymd);
}

static void
test_top_debt_inside_the_referral_delay_is_deferred_until_today_passes_it(
    void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->top;
    int32_t delay = p->profile->referral_delay_days;
    assert_int_equal(delay, 120); /* the documented TOP value */
    /* READY reaches the delay today, YOUNG tomorrow; both are past TOP's
     * 30 days delinquent, so intake takes them */
    const struct rec recs[] = {
        {"A", "READY", "123456789", "SMITH", "JANE", 10000,
         calendar_add_days(TODAY, -delay), 0},
        {"A", "YOUNG", "223456789", "JONES", "BOB", 20000,
         calendar_add_days(TODAY, -delay + 1), 0},
    };
    struct cycle_result res;
    int64_t fee = profile_fee_added_to_debt(p->profile, true);
    int64_t high_water, high_water_after;

    ingest(fx, p, recs, 2, 2);
    ready(fx, p);
    cycle_ok(fx, &p->partner, &res);
    assert_true(res.cycle_id > 0);
    assert_int_equal(res.adds, 1);
    assert_int_equal(res.deferred, 1);
    struct sent *s = read_sent(p, res.path);
    assert_int_equal(s->n, 1);
    expect_totals(s, &res);
    assert_string_equal(s->header_code, p->partner.agency_code);
    expect_detail(fx, p, s, "READY", "add", 10000 + fee);
    expect_absent(fx, p, s, "YOUNG");
    sent_free(s);

    /* still today: nothing to send, YOUNG still waiting */
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.cycle_id, 0);
    assert_int_equal(res.adds, 0);
    assert_int_equal(res.deferred, 1);
    assert_int_equal(count_files(fx, "treasury", "outbox"), 1);

    /* tomorrow: YOUNG is due, though nothing changed in the registry */
    assert_int_equal(store_history_last(fx->s, &high_water), 0);
    set_today(calendar_add_days(TODAY, 1));
    cycle_ok(fx, &p->partner, &res);
    assert_true(res.cycle_id > 0);
    assert_int_equal(res.adds, 1);
    assert_int_equal(res.changes, 0);
    assert_int_equal(res.zeros, 0);
    assert_int_equal(res.deferred, 0);
    s = read_sent(p, res.path);
    assert_int_equal(s->n, 1);
    expect_totals(s, &res);
    expect_detail(fx, p, s, "YOUNG", "add", 20000 + fee);
    assert_int_equal(s->file_date, calendar_add_days(TODAY, 1));
    expect_absent(fx, p, s, "READY");
    sent_free(s);
    assert_int_equal(count_files(fx, "treasury", "outbox"), 2);
    /* the only change since: the referral certified YOUNG */
    assert_int_equal(store_history_last(fx->s, &high_water_after), 0);
    assert_int_equal(high_water_after, high_water + 1);
    assert_int_equal(debt_of(fx, p, "YOUNG").status, DEBT_C);

    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.cycle_id, 0);
    assert_int_equal(res.deferred, 0);
    assert_int_equal(count_files(fx, "treasury", "outbox"), 2);
}

/* --- TOP's address request, notice and certification ------------------- */

static int keep_last(const struct store_change *c, void *ctx)
{
    *(struct store_change *)ctx = *c;
    return 0;
}

/* The file of DEBT_ID's newest history row, and its statuses. */
static int64_t history_file_of(struct fixture *fx, int64_t debt_id,
                               char *old_status, char *new_status)
{
    struct store_change last = {0};
    assert_int_equal(store_debt_history(fx->s, debt_id, keep_last, &last), 0);
    *old_status = last.old_status;
    *new_status = last.new_status;
    return last.file_id;
}

/* The KEES steps: a new debt (P) is asked about in the address request,
 * once; the match (here set as responses.c would) makes it N; the
 * agency's change with the date it sent the 60-day notice makes it S; a
 * correction of a debt in E puts it back in P and asks again; the
 * referral carries a debt only once its notice period has passed,
 * certifying it (C) from the referral's file and line. */
static void
test_top_debt_is_asked_about_then_noticed_then_certified(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->top;
    int32_t days = p->profile->notice_days;
    assert_int_equal(days, 60);
    assert_int_equal(p->profile->notice_stage, PROFILE_NOTICE_AFTER_MATCH);
    struct layout *request =
        load_exchange(p->profile, "treasury-address-request");
    assert_non_null(request);
    const struct rec adds[] = {
        {"A", "EARLY", "123456789", "SMITH", "JANE", 10000, 0, 0},
        {"A", "LATE", "223456789", "JONES", "BOB", 20000, 0, 0},
        {"A", "WRONG", "323456789", "LEE", "AL", 30000, 0, 0},
    };
    struct cycle_result res;
    struct store_debt d;
    char os, ns;

    ingest(fx, p, adds, 3, 3);
    cycle_ok(fx, &p->partner, &res);
    assert_true(res.request_cycle_id > 0);
    assert_int_equal(res.requested, 3);
    assert_int_equal(res.cycle_id, 0); /* nothing certified: no referral */
    assert_int_equal(res.deferred, 3);
    struct sent *s = read_file_as(request, res.request_path);
    assert_int_equal(s->n, 3);
    assert_string_equal(s->d[0].means, "request");
    assert_int_equal(s->d[0].debt_id, debt_of(fx, p, "EARLY").id);
    assert_string_equal(s->d[0].tin, "123456789");
    assert_string_equal(s->d[0].name_control, "SMIT");
    assert_int_equal(s->count, 3);
    sent_free(s);
    /* asked once */
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.request_cycle_id, 0);
    assert_int_equal(res.cycle_id, 0);
    assert_int_equal(count_files(fx, "treasury", "outbox"), 1);

    /* the answers: two matches, one no-match */
    assert_int_equal(
        store_debt_set_status(fx->s, debt_of(fx, p, "EARLY").id, DEBT_N, NULL),
        0);
    assert_int_equal(
        store_debt_set_status(fx->s, debt_of(fx, p, "LATE").id, DEBT_N, NULL),
        0);
    assert_int_equal(
        store_debt_set_status(fx->s, debt_of(fx, p, "WRONG").id, DEBT_E, NULL),
        0);
    /* the agency: notices sent, and a correction (a change) */
    const struct rec notices[] = {
        {"C", "EARLY", "123456789", "SMITH", "JANE", 10000, 0,
         calendar_add_days(TODAY, -days)},
        {"C", "LATE", "223456789", "JONES", "BOB", 20000, 0,
         calendar_add_days(TODAY, -days + 1)},
        {"C", "WRONG", "323456789", "LEEDS", "AL", 30000, 0, -1},
    };
    int64_t notice_file = ingest(fx, p, notices, 3, 3);
    d = debt_of(fx, p, "EARLY");
    assert_int_equal(d.status, DEBT_S);
    assert_int_equal(d.notice_date, calendar_add_days(TODAY, -days));
    assert_int_equal(history_file_of(fx, d.id, &os, &ns), notice_file);
    assert_int_equal(os, 'N');
    assert_int_equal(ns, 'S');
    assert_int_equal(debt_of(fx, p, "LATE").status, DEBT_S);
    assert_int_equal(debt_of(fx, p, "WRONG").status, DEBT_P);

    /* today: WRONG asked again; EARLY's 60 days are up, LATE's not */
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.requested, 1);
    s = read_file_as(request, res.request_path);
    assert_int_equal(s->n, 1);
    assert_int_equal(s->d[0].debt_id, debt_of(fx, p, "WRONG").id);
    sent_free(s);
    assert_true(res.cycle_id > 0);
    assert_int_equal(res.adds, 1);
    assert_int_equal(res.certified, 1);
    assert_int_equal(res.deferred, 2);
    s = read_sent(p, res.path);
    assert_int_equal(s->n, 1);
    expect_detail(fx, p, s, "EARLY", "add",
                  10000 + profile_fee_added_to_debt(p->profile, true));
    sent_free(s);
    d = debt_of(fx, p, "EARLY");
    assert_int_equal(d.status, DEBT_C);
    assert_int_equal(history_file_of(fx, d.id, &os, &ns), res.file_id);
    assert_int_equal(os, 'S');
    assert_int_equal(ns, 'C');

    /* a certified debt's notice date changes nothing; a new notice date
     * for one still waiting restarts its wait */
    const struct rec again[] = {
        {"C", "EARLY", "123456789", "SMITH", "JANE", 10000, 0, TODAY},
        {"C", "LATE", "223456789", "JONES", "BOB", 20000, 0, TODAY},
    };
    ingest(fx, p, again, 2, 2);
    assert_int_equal(debt_of(fx, p, "EARLY").status, DEBT_C);
    assert_int_equal(debt_of(fx, p, "LATE").notice_date, TODAY);
    set_today(calendar_add_days(TODAY, days - 1));
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.cycle_id, 0);
    assert_int_equal(debt_of(fx, p, "LATE").status, DEBT_S);
    set_today(calendar_add_days(TODAY, days));
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds, 1);
    assert_int_equal(res.certified, 1);
    assert_int_equal(debt_of(fx, p, "LATE").status, DEBT_C);
    layout_free(request);
}

/* A debt whose notice period is over but whose balance fell below the
 * program's minimum is not certified: it waits. */
static void test_top_debt_below_the_minimum_is_not_certified(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->top;
    const struct rec add[] = {
        {"A", "SMALL", "123456789", "SMITH", "JANE", 10000, 0, 0},
    };
    const struct rec down[] = {
        {"C", "SMALL", "123456789", "SMITH", "JANE",
         p->profile->min_debt_cents - 1, 0, 0},
    };
    struct cycle_result res;
    ingest(fx, p, add, 1, 1);
    ready(fx, p);
    ingest(fx, p, down, 1, 1);
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.cycle_id, 0);
    assert_int_equal(res.deferred, 1);
    assert_int_equal(debt_of(fx, p, "SMALL").status, DEBT_S);
}

/* --- scheduled cycles --------------------------------------------------- */

static void test_a_daily_cycle_is_due_once_a_day_from_its_time(void **state)
{
    (void)state;
    assert_true(cycle_daily_ok("00:00"));
    assert_true(cycle_daily_ok("23:59"));
    assert_false(cycle_daily_ok("24:00"));
    assert_false(cycle_daily_ok("2:00"));
    assert_false(cycle_daily_ok("02:60"));
    assert_false(cycle_daily_ok(""));
    /* 02:00: not before, at and after; not twice a day */
    assert_false(cycle_due("02:00", 20261125, 20261126, 159));
    assert_true(cycle_due("02:00", 20261125, 20261126, 200));
    assert_true(cycle_due("02:00", 0, 20261126, 2359));
    assert_false(cycle_due("02:00", 20261126, 20261126, 300));
    assert_false(cycle_due("", 0, 20261126, 2359));
}

static int n_cycles;
static void count_cycle(const struct store_partner *p,
                        const struct cycle_result *res, void *ctx)
{
    (void)p, (void)ctx;
    n_cycles += res->cycle_id > 0;
}

static void test_scheduled_cycles_run_when_due_and_once(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->cal;
    const struct rec recs[] = {
        {"A", "ACC-1", "123456789", "SMITH", "JANE", 10000, 0, 0},
    };
    struct cycle_request rq = {
        .home = &fx->h, .store = fx->s, .programs_dir = fx->programs};
    struct store_partner got;
    char err[512] = "";
    ingest(fx, p, recs, 1, 1);
    assert_int_equal(store_partner_set_schedule(fx->s, "ftb", "02:00"), 0);
    n_cycles = 0;
    /* before its time: nothing */
    assert_int_equal(cycle_run_scheduled(&rq, TODAY, 159, count_cycle, NULL,
                                         err, sizeof err),
                     0);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 0);
    /* at its time: the cycle, once */
    assert_int_equal(cycle_run_scheduled(&rq, TODAY, 200, count_cycle, NULL,
                                         err, sizeof err),
                     0);
    assert_int_equal(n_cycles, 1);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 1);
    assert_int_equal(store_partner_get(fx->s, "ftb", &got), 0);
    assert_int_equal(got.cycle_ran_on, TODAY);
    assert_int_equal(cycle_run_scheduled(&rq, TODAY, 2300, count_cycle, NULL,
                                         err, sizeof err),
                     0);
    assert_int_equal(n_cycles, 1);
    /* the next day: run again (nothing due, no file), noted */
    int32_t tomorrow = calendar_add_days(TODAY, 1);
    assert_int_equal(cycle_run_scheduled(&rq, tomorrow, 300, count_cycle, NULL,
                                         err, sizeof err),
                     0);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 1);
    assert_int_equal(store_partner_get(fx->s, "ftb", &got), 0);
    assert_int_equal(got.cycle_ran_on, tomorrow);
    /* a disabled partner's schedule waits */
    assert_int_equal(store_partner_set_enabled(fx->s, "ftb", false), 0);
    assert_int_equal(cycle_run_scheduled(&rq, calendar_add_days(TODAY, 2), 300,
                                         count_cycle, NULL, err, sizeof err),
                     0);
    assert_int_equal(store_partner_get(fx->s, "ftb", &got), 0);
    assert_int_equal(got.cycle_ran_on, tomorrow);
    /* the database refuses a time that is none */
    assert_true(store_partner_set_schedule(fx->s, "ftb", "25:00") < 0);
}

/* --- partners ----------------------------------------------------------- */

static void test_cycle_to_an_agency_or_a_payer_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->cal;
    const struct rec recs[] = {
        {"A", "ACC-1", "123456789", "SMITH", "JANE", 10000, 0, 0},
    };
    struct store_partner city, payer;
    struct store_cycle last;
    struct cycle_result res;
    int64_t files, files_after;
    char err[512] = "";

    ingest(fx, p, recs, 1, 1);
    /* codes that would fit any header: only the kind refuses these */
    assert_int_equal(
        add_partner(fx, &city, "city", PARTNER_AGENCY, "caltrecs", "CITY1"), 0);
    assert_int_equal(
        add_partner(fx, &payer, "capay", PARTNER_PAYER, "caltrecs", "CAPAY"),
        0);
    assert_int_equal(store_count(fx->s, "files", &files), 0);
    int county_files = count_files(fx, "county", "outbox");

    const struct store_partner *refused[] = {&p->agency, &city, &payer};
    for (size_t i = 0; i < 3; i++) {
        struct cycle_request rq = {.home = &fx->h,
                                   .store = fx->s,
                                   .programs_dir = fx->programs,
                                   .partner = refused[i]};
        err[0] = '\0';
        if (cycle_run(&rq, &res, err, sizeof err) >= 0)
            fail_msg("a cycle to %s (%s) was run", refused[i]->name,
                     partner_kind_name(refused[i]->kind));
        assert_true(err[0] != '\0');
        assert_int_equal(store_cycle_last(fx->s, refused[i]->id, &last),
                         -ENOENT);
        assert_int_equal(count_files(fx, refused[i]->name, "outbox"),
                         refused[i] == &p->agency ? county_files : 0);
        assert_int_equal(count_files(fx, refused[i]->name, "outbox/.tmp"), 0);
    }
    assert_int_equal(store_count(fx->s, "files", &files_after), 0);
    assert_int_equal(files_after, files);
    /* the debt was not marked sent by the refused cycles */
    cycle_ok(fx, &p->partner, &res);
    assert_int_equal(res.adds, 1);
}

static void test_cycle_sends_only_the_debts_of_its_program(void **state)
{
    struct fixture *fx = *state;
    const struct rec cal[] = {
        {"A", "CAL-1", "123456789", "SMITH", "JANE", 10000, 0, 0},
    };
    const struct rec top[] = {
        {"A", "TOP-1", "223456789", "JONES", "BOB", 20000, 0, 0},
    };
    struct cycle_result res;

    ingest(fx, &fx->cal, cal, 1, 1);
    ingest(fx, &fx->top, top, 1, 1);
    ready(fx, &fx->top);
    cycle_ok(fx, &fx->cal.partner, &res);
    assert_int_equal(res.adds, 1);
    struct sent *s = read_sent(&fx->cal, res.path);
    assert_int_equal(s->n, 1);
    expect_detail(fx, &fx->cal, s, "CAL-1", "add",
                  10000 + profile_fee_added_to_debt(fx->cal.profile, true));
    sent_free(s);
    cycle_ok(fx, &fx->top.partner, &res);
    assert_int_equal(res.adds, 1);
    s = read_sent(&fx->top, res.path);
    assert_int_equal(s->n, 1);
    expect_detail(fx, &fx->top, s, "TOP-1", "add",
                  20000 + profile_fee_added_to_debt(fx->top.profile, true));
    sent_free(s);
}

/* --- a crash in the middle ---------------------------------------------- */

static off_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Bytes in the regular files of DIR. */
static off_t dir_bytes(const char *dir)
{
    char path[HOME_PATH_MAX + 300];
    struct dirent *e;
    off_t n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n += size_of(path);
    }
    closedir(d);
    return n;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* N open debts of P's agency, registered as intake would (one file, one
 * transaction) but without reading a file: the cycle is what is tested. */
static void register_debts(struct fixture *fx, const struct program *p,
                           size_t n)
{
    struct store_file f = {.partner_id = p->agency.id,
                           .status = FILE_ACCEPTED,
                           .records = (int64_t)n,
                           .accepted = (int64_t)n};
    struct store_name name = {
        .last = "SMITH", .first = "JANE", .name_control = "SMIT"};
    int64_t fee = profile_fee_added_to_debt(p->profile, true);
    char tin[16];

    memset(f.sha256, 'a', 64);
    snprintf(f.name, sizeof f.name, "many.txt");
    snprintf(f.exchange, sizeof f.exchange, "agency-debt");
    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(store_file_add(fx->s, &f, &f.id), 0);
    for (size_t i = 0; i < n; i++) {
        struct store_debt d = {.partner_id = p->agency.id,
                               .original_cents = 10000 + (int64_t)i,
                               .balance_cents = 10000 + (int64_t)i + fee,
                               .fees_cents = fee,
                               .status = DEBT_P,
                               .delinquency_date = 20260101,
                               .notice_date = 20260801};
        struct store_source src = {.file_id = f.id, .line = (int64_t)i + 2};
        snprintf(d.account, sizeof d.account, "K-%zu", i);
        snprintf(d.debt_type, sizeof d.debt_type, "%s", p->debt_type);
        snprintf(tin, sizeof tin, "%03zu%02zu%04zu", 100 + i % 500,
                 10 + i / 500 % 80, 1000 + i % 9000);
        if (store_debtor_upsert(fx->s, 'S', tin, &name, f.id, &d.debtor_id) <
                0 ||
            store_debt_add(fx->s, &d, &src, &d.id) < 0)
            fail_msg("debt %zu: %s", i, store_error(fx->s));
    }
    assert_int_equal(store_commit(fx->s), 0);
}

struct id_list {
    int64_t *ids;
    size_t n, cap;
};

static int collect_id(const struct store_candidate *c, void *arg)
{
    struct id_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ids = tu_xrealloc(l->ids, l->cap * sizeof(*l->ids));
    }
    l->ids[l->n++] = c->debt.id;
    return 0;
}

static void
test_kill_during_cycle_records_nothing_then_rerun_sends_all_once(void **state)
{
    struct fixture *fx = *state;
    struct program *p = &fx->cal;
    const size_t n = 30000;
    struct cycle_result res;
    struct store_cycle last;
    int64_t files, files_after;
    char wal[HOME_PATH_MAX + 8], tmp[HOME_PATH_MAX], err[256];
    int status;

    register_debts(fx, p, n);
    assert_int_equal(store_count(fx->s, "files", &files), 0);

    /* kill the cycle in the middle of its walk: once more than 1 MiB of
     * its file is written under outbox/.tmp (it is sealed, recorded and
     * committed only after the last debt).  The WAL cannot tell: the
     * registration above left it larger (about 7 MiB) than the cycle's
     * whole transaction, which fits SQLite's page cache and so reaches
     * the WAL only at the commit. */
    assert_int_equal(
        home_box_path(&fx->h, "ftb", "outbox/.tmp", tmp, sizeof tmp), 0);
    snprintf(wal, sizeof wal, "%s-wal", fx->h.db);
    off_t wal_before = size_of(wal);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *s = NULL;
        if (home_open_store(&fx->h, &s, err, sizeof err) < 0)
            _exit(3);
        fx->s = s;
        _exit(run_cycle(fx, &p->partner, &res) < 0 ? 4 : 0);
    }
    bool ended = false;
    for (int i = 0; i < 20000 && !ended; i++) {
        if (dir_bytes(tmp) > (1 << 20))
            break;
        ended = waitpid(pid, &status, WNOHANG) == pid;
        struct timespec ts = {0, 250000L};
        nanosleep(&ts, NULL);
    }
    if (!ended) {
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
    }
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail_msg("the cycle ended (status %#x) before the kill", status);
    print_message("killed with %lld bytes under .tmp, WAL %lld -> %lld\n",
                  (long long)dir_bytes(tmp), (long long)wal_before,
                  (long long)size_of(wal));

    /* nothing recorded, nothing delivered */
    assert_int_equal(store_cycle_last(fx->s, p->partner.id, &last), -ENOENT);
    assert_int_equal(store_count(fx->s, "files", &files_after), 0);
    assert_int_equal(files_after, files);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 0);
    /* recovery sweeps the half-written file */
    assert_int_equal(outbox_recover(&fx->h, fx->s, err, sizeof err), 0);
    assert_int_equal(count_files(fx, "ftb", "outbox/.tmp"), 0);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 0);

    /* the rerun sends every debt exactly once */
    cycle_ok(fx, &p->partner, &res);
    assert_true(res.cycle_id > 0);
    assert_int_equal(res.adds, (int64_t)n);
    assert_int_equal(res.changes + res.zeros, 0);
    struct sent *s = read_sent(p, res.path);
    assert_int_equal(s->n, n);
    expect_totals(s, &res);
    int64_t *ids = calloc(n, sizeof(*ids));
    assert_non_null(ids);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s->d[i].means, "add") != 0)
            fail_msg("detail %zu is %s, not add", i, s->d[i].means);
        ids[i] = s->d[i].debt_id;
    }
    qsort(ids, n, sizeof(*ids), cmp_id);
    for (size_t i = 1; i < n; i++)
        if (ids[i] == ids[i - 1])
            fail_msg("debt %lld was sent twice", (long long)ids[i]);
    /* exactly the registry's debts: each of them, once */
    struct id_list reg = {0};
    assert_int_equal(store_cycle_candidates(fx->s, p->partner.id, p->name, 0,
                                            collect_id, &reg),
                     0);
    assert_int_equal(reg.n, n);
    qsort(reg.ids, reg.n, sizeof(*reg.ids), cmp_id);
    for (size_t i = 0; i < n; i++)
        if (ids[i] != reg.ids[i])
            fail_msg("sent debt %lld where the registry has %lld",
                     (long long)ids[i], (long long)reg.ids[i]);
    free(reg.ids);
    free(ids);
    sent_free(s);
    assert_int_equal(count_files(fx, "ftb", "outbox"), 1);
    cycle_sends_nothing(fx, &p->partner);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_first_cycle_sends_each_eligible_debt_as_an_add_with_fees),
        T(test_second_cycle_right_after_sends_nothing),
        T(test_caltrecs_change_and_zero_send_revised_and_withdrawn),
        T(test_top_change_and_zero_send_increase_decrease_and_zero),
        T(test_debt_added_and_zeroed_before_any_cycle_is_never_sent),
        T(test_debt_no_longer_eligible_is_sent_as_a_zero),
        T(test_change_undone_before_the_cycle_sends_nothing),
        T(test_top_debt_inside_the_referral_delay_is_deferred_until_today_passes_it),
        T(test_top_debt_is_asked_about_then_noticed_then_certified),
        T(test_top_debt_below_the_minimum_is_not_certified),
        T(test_a_daily_cycle_is_due_once_a_day_from_its_time),
        T(test_scheduled_cycles_run_when_due_and_once),
        T(test_cycle_to_an_agency_or_a_payer_is_refused),
        T(test_cycle_sends_only_the_debts_of_its_program),
        T(test_kill_during_cycle_records_nothing_then_rerun_sends_all_once),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
