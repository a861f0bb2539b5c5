/*
 * test_reconcile.c - agencies' reconciliation files: a month worked by
 * hand (every column), the CSV twin saying the same, months that chain
 * (one's closing is the next one's opening) over random activity, and a
 * registry that does not tie out stopping the run with nothing written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

#include "offsetgw/ledger.h"
#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/reconcile.h"
#include "offsetgw/remit.h"

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct store_partner county, ftb;
    int64_t cycle;
};

static void today(const char *ymd)
{
    setenv("OFFSETGW_TODAY", ymd, 1);
}

static int64_t add_debt(struct fixture *fx, const char *account,
                        const char *tin, int64_t cents)
{
    struct store_name n = {.last = "SMITH", .name_control = "SMIT"};
    struct store_debt d = {.partner_id = fx->county.id,
                           .original_cents = cents,
                           .balance_cents = cents,
                           .status = DEBT_C};
    int64_t id = 0;
    struct store_source src = {0};
    store_text_copy(d.account, sizeof d.account, account);
    store_text_copy(d.debt_type, sizeof d.debt_type, "JDG");
    assert_int_equal(store_debtor_upsert(fx->s, 'S', tin, &n, 0, &d.debtor_id),
                     0);
    assert_int_equal(store_debt_add(fx->s, &d, &src, &id), 0);
    assert_int_equal(store_sent_set(fx->s, fx->ftb.id, id, cents, fx->cycle),
                     0);
    return id;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    const char *formats = getenv("OG_FORMATS");
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-recon-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    fx->county =
        (struct store_partner){.kind = PARTNER_AGENCY, .enabled = true};
    fx->ftb = (struct store_partner){.kind = PARTNER_TAXBOARD, .enabled = true};
    store_text_copy(fx->county.name, sizeof fx->county.name, "county");
    store_text_copy(fx->county.program, sizeof fx->county.program, "caltrecs");
    store_text_copy(fx->county.agency_code, sizeof fx->county.agency_code,
                    "CNTY01");
    store_text_copy(fx->ftb.name, sizeof fx->ftb.name, "ftb");
    store_text_copy(fx->ftb.program, sizeof fx->ftb.program, "caltrecs");
    struct store_cycle c = {0};
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_set_spool_plain(&fx->h, err, sizeof err) < 0 || /* read by path */
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        store_partner_add(fx->s, &fx->county, &fx->county.id) < 0 ||
        store_partner_add(fx->s, &fx->ftb, &fx->ftb.id) < 0 ||
        home_create_partner(&fx->h, "county", err, sizeof err) < 0)
        return -1;
    c.partner_id = fx->ftb.id;
    if (store_cycle_add(fx->s, &c, &fx->cycle) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    store_close(fx->s);
    unsetenv("OFFSETGW_TODAY");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    free(fx);
    return system(cmd) == 0 ? 0 : -1;
}

static void money(struct fixture *fx, enum entry_kind kind, int64_t debt,
                  int64_t cents, int64_t fee, const char *trace,
                  const char *reverses)
{
    struct money_event ev = {.kind = kind,
                             .debt_id = debt,
                             .amount_cents = cents,
                             .fee_cents = fee,
                             .trace_id = trace,
                             .reverses = reverses,
                             .payment_date = 20261105,
                             .payment_source = "TAX"};
    struct store_source src = {0};
    struct check_result why;
    assert_int_equal(ledger_apply(fx->s, fx->ftb.id, &ev, &src, &why),
                     CHECK_OK);
}

static void set_balance(struct fixture *fx, int64_t debt, int64_t cents,
                        const char *change)
{
    struct store_source src = {0};
    assert_int_equal(
        store_debt_set_balance(fx->s, debt, cents, 0, change, &src), 0);
}

static int reconcile(struct fixture *fx, int year, int month,
                     struct reconcile_result *res)
{
    char err[512];
    struct reconcile_request rq = {.home = &fx->h,
                                   .store = fx->s,
                                   .programs_dir = fx->programs,
                                   .agency = &fx->county,
                                   .year = year,
                                   .month = month};
    int rc = reconcile_agency(&rq, res, err, sizeof err);
    if (rc < 0)
        print_message("reconcile: %s\n", err);
    return rc;
}

static struct layout *load(struct fixture *fx, const char *exchange)
{
    char path[1024];
    struct layout_problems probs = {0};
    struct profile *p = profile_load_program(fx->programs, "caltrecs", &probs);
    assert_non_null(p);
    assert_int_equal(
        profile_exchange_path(p, exchange, NULL, path, sizeof path), 0);
    profile_free(p);
    struct layout *l = layout_load(path, &probs);
    if (l == NULL)
        tu_print_problems(&probs);
    assert_non_null(l);
    return l;
}

/* One line of a reconciliation file, as read back. */
struct line {
    char account[24];
    int64_t v[8]; /* opening .. closing, in the layout's order */
};

static const char *const columns[8] = {
    "opening",     "additions", "collections",  "reversals",
    "adjustments", "fees",      "net_remitted", "closing"};

/* Read PATH through EXCHANGE's layout: its details into LINES (up to MAX),
 * the trailer's totals (when it has one) into TOTALS; the count. */
static int read_back(struct fixture *fx, const char *exchange, const char *path,
                     struct line *lines, int max, int64_t *totals)
{
    struct layout *l = load(fx, exchange);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct reader *rd = reader_new(l, fd, path);
    const struct record *rec;
    enum reader_status st;
    int n = 0;
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->n_errors > 0)
            fail_msg("%s line %llu: %s", path, (unsigned long long)rec->line,
                     rec->errors[0].detail);
        const struct layout_record *t = rec->type;
        if (strcmp(t->name, "trailer") == 0 && totals != NULL) {
            for (int k = 0; k < 8; k++) {
                char name[32];
                snprintf(name, sizeof name, "%s_total", columns[k]);
                totals[k] = rec->values[layout_field_index(t, name)].num;
            }
        }
        if (strcmp(t->name, "detail") != 0 || n >= max)
            continue;
        const struct field_value *a =
            &rec->values[layout_field_index(t, "account")];
        snprintf(lines[n].account, sizeof lines[n].account, "%.*s",
                 (int)a->text_len, a->text);
        for (int k = 0; k < 8; k++)
            lines[n].v[k] = rec->values[layout_field_index(t, columns[k])].num;
        n++;
    }
    assert_int_equal(st, READER_END);
    reader_free(rd);
    close(fd);
    layout_free(l);
    return n;
}

/* October: A and B registered.  November: an offset on A with a fee, A
 * raised, half the offset reversed, B offset in full, C added and zeroed.
 * December: another offset on A, D added.  November worked by hand. */
static void test_a_month_by_hand(void **state)
{
    struct fixture *fx = *state;
    today("2026-10-15");
    int64_t a = add_debt(fx, "ACC-A", "123456789", 100000);
    int64_t b = add_debt(fx, "ACC-B", "223456789", 50000);
    today("2026-11-05");
    money(fx, ENTRY_OFFSET, a, 30000, 225, "T1", NULL);
    money(fx, ENTRY_OFFSET, b, 50000, 0, "T2", NULL);
    set_balance(fx, a, 80000, "change");
    today("2026-11-10");
    int64_t c = add_debt(fx, "ACC-C", "323456789", 20000);
    today("2026-11-12");
    set_balance(fx, c, 0, "zero");
    today("2026-11-30");
    money(fx, ENTRY_REVERSAL, a, 5000, 0, "T3", "T1");
    today("2026-12-02");
    money(fx, ENTRY_OFFSET, a, 1000, 0, "T4", NULL);
    add_debt(fx, "ACC-D", "423456789", 7000);

    today("2026-12-03");
    struct reconcile_result res;
    assert_int_equal(reconcile(fx, 2026, 11, &res), 0);
    assert_int_equal(res.debts, 3);
    static const struct line want[] = {
        /* opening additions collections reversals adjustments fees net
         * closing */
        {"ACC-A", {100000, 10000, 30000, 5000, 0, 225, 24775, 85000}},
        {"ACC-B", {50000, 0, 50000, 0, 0, 0, 50000, 0}},
        {"ACC-C", {0, 20000, 0, 0, 20000, 0, 0, 0}},
    };
    struct line got[8];
    int64_t totals[8];
    assert_int_equal(
        read_back(fx, "agency-reconciliation", res.path, got, 8, totals), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(got[i].account, want[i].account);
        for (int k = 0; k < 8; k++)
            if (got[i].v[k] != want[i].v[k])
                fail_msg("%s %s: %lld, expected %lld", want[i].account,
                         columns[k], (long long)got[i].v[k],
                         (long long)want[i].v[k]);
    }
    /* the trailer: the sums, and the identity on the totals */
    for (int k = 0; k < 8; k++)
        assert_int_equal(totals[k], want[0].v[k] + want[1].v[k] + want[2].v[k]);
    assert_int_equal(totals[0] + totals[1] - totals[2] + totals[3] - totals[4],
                     totals[7]);
    assert_int_equal(res.net_remitted, 24775 + 50000);
    /* the CSV says the same */
    assert_true(res.csv_path[0] != '\0');
    struct line csv[8];
    assert_int_equal(
        read_back(fx, "agency-reconciliation-csv", res.csv_path, csv, 8, NULL),
        3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(csv[i].account, got[i].account);
        assert_memory_equal(csv[i].v, got[i].v, sizeof csv[i].v);
    }
    /* December opens where November closed */
    assert_int_equal(reconcile(fx, 2026, 12, &res), 0);
    assert_int_equal(res.debts, 2); /* A and D: B and C stay at zero */
    assert_int_equal(
        read_back(fx, "agency-reconciliation", res.path, got, 8, NULL), 2);
    assert_string_equal(got[0].account, "ACC-A");
    assert_int_equal(got[0].v[0], 85000);
    assert_int_equal(got[0].v[7], 84000);
    assert_string_equal(got[1].account, "ACC-D");
    assert_int_equal(got[1].v[1], 7000);
}

/* A Kansas agency paid through a payer (the setoff model): an offset
 * taken in November and remitted on 5 December counts in December's net
 * remitted, not November's; an offset reversed by an upheld appeal is
 * never remitted and its reversal moves no net.  Every other column, and
 * the balance identity (reconcile_agency checks it), as before. */
static void
test_setoff_net_remitted_moves_to_the_remittance_period(void **state)
{
    struct fixture *fx = *state;
    struct store_partner ks = {.kind = PARTNER_AGENCY, .enabled = true};
    struct store_partner payer = {.kind = PARTNER_PAYER, .enabled = true};
    char err[256];
    store_text_copy(ks.name, sizeof ks.name, "ks");
    store_text_copy(ks.program, sizeof ks.program, "kansas");
    store_text_copy(ks.agency_code, sizeof ks.agency_code, "KSA");
    store_text_copy(payer.name, sizeof payer.name, "kdor");
    store_text_copy(payer.program, sizeof payer.program, "kansas");
    store_text_copy(payer.agency_code, sizeof payer.agency_code, "KDOR");
    assert_int_equal(store_partner_add(fx->s, &ks, &ks.id), 0);
    assert_int_equal(store_partner_add(fx->s, &payer, &payer.id), 0);
    assert_int_equal(home_create_partner(&fx->h, "ks", err, sizeof err), 0);
    assert_int_equal(home_create_partner(&fx->h, "kdor", err, sizeof err), 0);

    today("2026-10-15");
    int64_t debt[2];
    for (int i = 0; i < 2; i++) {
        struct store_name n = {.last = "SMITH", .name_control = "SMIT"};
        struct store_debt d = {.partner_id = ks.id,
                               .original_cents = 100000 - 50000 * i,
                               .balance_cents = 100000 - 50000 * i,
                               .status = DEBT_P};
        snprintf(d.account, sizeof d.account, "K-%d", i + 1);
        store_text_copy(d.debt_type, sizeof d.debt_type, "29");
        assert_int_equal(
            store_debtor_upsert(fx->s, 'S', "523456789", &n, 0, &d.debtor_id),
            0);
        assert_int_equal(store_debt_add(fx->s, &d, NULL, &debt[i]), 0);
    }
    today("2026-11-20");
    struct check_result why;
    struct store_source src = {0};
    static const char *const traces[2] = {"P1.01", "P2.01"};
    static const int64_t amount[2] = {30000, 10000}, fee[2] = {5520, 1840};
    for (int i = 0; i < 2; i++) {
        struct money_event ev = {.kind = ENTRY_OFFSET,
                                 .debt_id = debt[i],
                                 .amount_cents = amount[i],
                                 .fee_cents = fee[i],
                                 .trace_id = traces[i],
                                 .payment_date = 20261120,
                                 .payment_source = "TAX",
                                 .allocated = true,
                                 .final_on = 20261205};
        assert_int_equal(ledger_apply(fx->s, payer.id, &ev, &src, &why),
                         CHECK_OK);
    }
    /* P2.01 appealed, the appeal upheld on 1 December */
    struct store_entry e2;
    assert_int_equal(store_offset_find(fx->s, payer.id, "P2.01", &e2), 0);
    assert_int_equal(store_appeal_add(fx->s, e2.id, 20261122, NULL), 0);
    today("2026-12-01");
    struct money_event rev = {.kind = ENTRY_REVERSAL,
                              .debt_id = debt[1],
                              .amount_cents = 10000,
                              .fee_cents = 1840,
                              .trace_id = "P2.01",
                              .reverses = "P2.01",
                              .allocated = true};
    struct store_decision d = {.entry_id = e2.id,
                               .decision = APPEAL_UPHELD,
                               .decided_on = 20261201,
                               .released_cents = 10000};
    assert_int_equal(
        ledger_apply_entry(fx->s, payer.id, &rev, &src, &why, &d.reversal_id),
        CHECK_OK);
    assert_int_equal(store_decision_add(fx->s, &d, NULL), 0);
    today("2026-12-05");
    struct remit_result rr;
    struct remit_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .payer = &payer,
                               .day = 20261205};
    assert_int_equal(remit_run(&rq, &rr, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(rr.offsets, 1);
    assert_int_equal(rr.net_cents, 30000 - 5520);

    today("2027-01-02");
    static const struct line want[2][2] = {
        /* November: taken, nothing remitted */
        {{"K-1", {100000, 0, 30000, 0, 0, 5520, 0, 70000}},
         {"K-2", {50000, 0, 10000, 0, 0, 1840, 0, 40000}}},
        /* December: K-1 remitted; K-2 reversed, its fee refunded */
        {{"K-1", {70000, 0, 0, 0, 0, 0, 24480, 70000}},
         {"K-2", {40000, 0, 0, 10000, 0, -1840, 0, 50000}}},
    };
    for (int m = 0; m < 2; m++) {
        struct reconcile_result res;
        struct reconcile_request r = {.home = &fx->h,
                                      .store = fx->s,
                                      .programs_dir = fx->programs,
                                      .agency = &ks,
                                      .year = 2026,
                                      .month = 11 + m};
        assert_int_equal(reconcile_agency(&r, &res, err, sizeof err), 0);
        assert_int_equal(res.net_remitted, m == 0 ? 0 : 24480);
        struct line got[4], csv[4];
        assert_int_equal(
            read_back(fx, "agency-reconciliation", res.path, got, 4, NULL), 2);
        assert_int_equal(read_back(fx, "agency-reconciliation-csv",
                                   res.csv_path, csv, 4, NULL),
                         2);
        for (int i = 0; i < 2; i++) {
            assert_string_equal(got[i].account, want[m][i].account);
            for (int k = 0; k < 8; k++)
                if (got[i].v[k] != want[m][i].v[k])
                    fail_msg("month %d %s %s: %lld, expected %lld", 11 + m,
                             want[m][i].account, columns[k],
                             (long long)got[i].v[k],
                             (long long)want[m][i].v[k]);
            assert_memory_equal(csv[i].v, got[i].v, sizeof csv[i].v);
            assert_int_equal(got[i].v[0] + got[i].v[1] - got[i].v[2] +
                                 got[i].v[3] - got[i].v[4],
                             got[i].v[7]);
        }
    }
}

struct chain {
    int64_t debts[20];
    int64_t closing[20]; /* by debt index, of the month before */
    int64_t month;
    int failures;
};

static int check_chain(const struct store_recon *r, void *arg)
{
    struct chain *c = arg;
    for (int i = 0; i < 20; i++) {
        if (c->debts[i] != r->debt_id)
            continue;
        if (c->month > 0 && r->opening != c->closing[i])
            c->failures++;
        if (r->opening + r->additions - r->collections + r->reversals -
                r->adjustments !=
            r->closing)
            c->failures++;
        c->closing[i] = r->closing;
    }
    return 0;
}

/* Random activity over three months: every month ties out, and each
 * month's opening is the previous month's closing. */
static void test_random_months_chain(void **state)
{
    struct fixture *fx = *state;
    const char *seed_text = getenv("OG_TEST_SEED");
    uint64_t seed = seed_text ? strtoull(seed_text, NULL, 10) : 20261126;
    uint64_t x = seed;
    struct chain ch = {0};
    int64_t offsets[400];
    int64_t offset_debt[400], n_offsets = 0, trace = 0;
    char traces[400][16];
    bool reversed[400] = {false};
    today("2026-09-30");
    for (int i = 0; i < 20; i++) {
        char account[16], tin[10];
        snprintf(account, sizeof account, "R-%02d", i);
        snprintf(tin, sizeof tin, "5%02d456789", i);
        ch.debts[i] = add_debt(fx, account, tin, 10000 + i * 997);
    }
    static const char *const days[] = {"2026-10-03", "2026-10-17", "2026-10-31",
                                       "2026-11-01", "2026-11-15", "2026-12-09",
                                       "2026-12-31"};
    for (int step = 0; step < 300; step++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        today(days[step * 7 / 300]); /* time runs forward */
        int i = (int)((x >> 40) % 20);
        struct store_debt d;
        assert_int_equal(store_debt_get_id(fx->s, ch.debts[i], &d), 0);
        char t[16];
        switch ((x >> 20) % 4) {
        case 0: /* an offset */
            if (d.balance_cents == 0 || n_offsets == 400)
                break;
            snprintf(t, sizeof t, "T%lld", (long long)++trace);
            memcpy(traces[n_offsets], t, sizeof t);
            offsets[n_offsets] = 1 + (int64_t)((x >> 8) % d.balance_cents);
            offset_debt[n_offsets] = ch.debts[i];
            money(fx, ENTRY_OFFSET, ch.debts[i], offsets[n_offsets],
                  (x >> 5) % 300, t, NULL);
            n_offsets++;
            break;
        case 1: { /* a reversal of some offset */
            if (n_offsets == 0)
                break;
            int64_t k = (int64_t)((x >> 12) % (uint64_t)n_offsets);
            if (reversed[k])
                break;
            char r[16];
            snprintf(r, sizeof r, "V%lld", (long long)++trace);
            money(fx, ENTRY_REVERSAL, offset_debt[k], offsets[k], 0, r,
                  traces[k]);
            reversed[k] = true;
            break;
        }
        case 2: /* the agency raises or lowers it */
            set_balance(fx, ch.debts[i],
                        (int64_t)((x >> 10) % 30000) + d.fees_cents, "change");
            break;
        default: /* nothing that day */
            break;
        }
    }
    today("2027-01-02");
    for (int m = 10; m <= 12; m++) {
        struct reconcile_result res;
        char from[24], to[24];
        assert_int_equal(reconcile(fx, 2026, m, &res), 0);
        snprintf(from, sizeof from, "2026-%02d-01T00:00:00Z", m);
        snprintf(to, sizeof to,
                 m == 12 ? "2027-01-01T00:00:00Z" : "2026-%02d-01T00:00:00Z",
                 m + 1);
        ch.month = m - 10;
        assert_int_equal(store_reconcile_each(fx->s, fx->county.id, from, to,
                                              check_chain, &ch),
                         0);
    }
    if (ch.failures)
        fail_msg("seed %llu: %d breaks", (unsigned long long)seed, ch.failures);
    /* December's closing is the registry's balance now */
    for (int i = 0; i < 20; i++) {
        struct store_debt d;
        assert_int_equal(store_debt_get_id(fx->s, ch.debts[i], &d), 0);
        assert_int_equal(ch.closing[i], d.balance_cents);
    }
}

static int outbox_count(struct fixture *fx)
{
    char dir[1024];
    int n = 0;
    assert_int_equal(home_box_path(&fx->h, "county", "outbox", dir, sizeof dir),
                     0);
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, "reconciliation.", 15) == 0;
    closedir(d);
    return n;
}

/* History rows that do not chain (a row's old balance is not the one
 * before it), or money in the history the ledger does not have: the
 * month does not tie out, the run says which debt, nothing is written. */
static void test_a_registry_that_does_not_tie_out_stops_the_run(void **state)
{
    struct fixture *fx = *state;
    today("2026-11-02");
    int64_t a = add_debt(fx, "ACC-A", "123456789", 100000);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(fx->h.db, &db), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO debt_history (debt_id, change, old_balance,"
             " new_balance, old_status, new_status, at) VALUES (%lld,"
             " 'change', 90000, 100001, 'C', 'C', '2026-11-03T00:00:00Z')",
             (long long)a);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    today("2026-12-01");
    struct reconcile_result res;
    char err[512];
    struct reconcile_request rq = {.home = &fx->h,
                                   .store = fx->s,
                                   .programs_dir = fx->programs,
                                   .agency = &fx->county,
                                   .year = 2026,
                                   .month = 11};
    assert_int_equal(reconcile_agency(&rq, &res, err, sizeof err), -EPROTO);
    assert_non_null(strstr(err, "ACC-A"));
    assert_int_equal(outbox_count(fx), 0);
    /* an offset in the history only */
    int64_t b = add_debt(fx, "ACC-B", "223456789", 5000);
    assert_int_equal(sqlite3_open(fx->h.db, &db), SQLITE_OK);
    snprintf(sql, sizeof sql,
             "INSERT INTO debt_history (debt_id, change, old_balance,"
             " new_balance, old_status, new_status, at) VALUES (%lld,"
             " 'offset', 5000, 4000, 'C', 'C', '2026-11-30T00:00:00Z')",
             (long long)b);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rq.agency = &fx->county;
    assert_int_equal(reconcile_agency(&rq, &res, err, sizeof err), -EPROTO);
    assert_int_equal(outbox_count(fx), 0);
    /* and a month that is no month */
    rq.month = 13;
    assert_int_equal(reconcile_agency(&rq, &res, err, sizeof err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_month_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_setoff_net_remitted_moves_to_the_remittance_period, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_random_months_chain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_registry_that_does_not_tie_out_stops_the_run, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
