/*
 * test_crt.c - the CRT's collections performance metrics: a small
 * portfolio worked by hand (current and prior cases, every metric, both
 * ways of giving a cost), its first year before and after it is over, a
 * run of months, an agency with no cases, a month with no referrals,
 * periods read from text, and a history that does not tie out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "testkey.h"
#include "testutil.h"

#include "offsetgw/crt.h"
#include "offsetgw/ledger.h"
#include "offsetgw/store.h"

struct fixture {
    char dir[64];
    char db[128];
    struct store *s;
    struct store_partner county, city, village, ftb;
    int64_t cycle;
};

static void today(const char *ymd)
{
    setenv("OFFSETGW_TODAY", ymd, 1);
}

static struct store_partner partner(const char *name, enum partner_kind kind)
{
    struct store_partner p = {.kind = kind, .enabled = true};
    store_text_copy(p.name, sizeof p.name, name);
    store_text_copy(p.program, sizeof p.program, "caltrecs");
    return p;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256];
    struct store_cycle c = {0};
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-crt-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->db, sizeof fx->db, "%s/og.db", fx->dir);
    fx->county = partner("county", PARTNER_AGENCY);
    fx->city = partner("city", PARTNER_AGENCY);
    fx->village = partner("village", PARTNER_AGENCY);
    fx->ftb = partner("ftb", PARTNER_TAXBOARD);
    if (tk_store_open(fx->db, &fx->s, err, sizeof err) < 0 ||
        store_partner_add(fx->s, &fx->county, &fx->county.id) < 0 ||
        store_partner_add(fx->s, &fx->city, &fx->city.id) < 0 ||
        store_partner_add(fx->s, &fx->village, &fx->village.id) < 0 ||
        store_partner_add(fx->s, &fx->ftb, &fx->ftb.id) < 0)
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

static int64_t add_debt(struct fixture *fx, const struct store_partner *agency,
                        const char *account, int64_t cents)
{
    static int n_tins;
    struct store_name n = {.last = "SMITH", .name_control = "SMIT"};
    struct store_debt d = {.partner_id = agency->id,
                           .original_cents = cents,
                           .balance_cents = cents,
                           .status = DEBT_C};
    struct store_source src = {0};
    char tin[10];
    int64_t id = 0;
    snprintf(tin, sizeof tin, "6%08d", ++n_tins);
    store_text_copy(d.account, sizeof d.account, account);
    store_text_copy(d.debt_type, sizeof d.debt_type, "JDG");
    assert_int_equal(store_debtor_upsert(fx->s, 'S', tin, &n, 0, &d.debtor_id),
                     0);
    assert_int_equal(store_debt_add(fx->s, &d, &src, &id), 0);
    assert_int_equal(store_sent_set(fx->s, fx->ftb.id, id, cents, fx->cycle),
                     0);
    return id;
}

static void money(struct fixture *fx, enum entry_kind kind, int64_t debt,
                  int64_t cents, const char *trace, const char *reverses)
{
    struct money_event ev = {.kind = kind,
                             .debt_id = debt,
                             .amount_cents = cents,
                             .fee_cents = 0,
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

static struct crt_request request(struct fixture *fx, const char *period,
                                  int32_t on)
{
    struct crt_request rq = {
        .store = fx->s, .agency_id = fx->county.id, .today = on};
    assert_int_equal(crt_period_parse(period, &rq.period), 0);
    return rq;
}

static void compute(const struct crt_request *rq, struct crt_result *res)
{
    char err[512];
    int rc = crt_compute(rq, res, err, sizeof err);
    if (rc != 0)
        fail_msg("crt_compute: %d: %s", rc, err);
}

#define assert_metric(m, want)                                                 \
    do {                                                                       \
        assert_int_equal((m).na, CRT_OK);                                      \
        assert_int_equal((m).value, (want));                                   \
    } while (0)

#define assert_na(m, why)                                                      \
    do {                                                                       \
        assert_int_equal((m).na, (why));                                       \
        assert_int_equal((m).value, 0);                                        \
    } while (0)

/* The money of one age, in the order of struct crt_group. */
struct want {
    int64_t cases, paid, discharged, opening, additions, collections, reversals,
        gross, adjustments, discharges, closing;
};

static void assert_group(const struct crt_group *g, const struct want *w,
                         const char *age)
{
    const int64_t got[] = {g->cases,
                           g->cases_paid,
                           g->cases_discharged,
                           g->opening_cents,
                           g->additions_cents,
                           g->collections_cents,
                           g->reversals_cents,
                           g->gross_cents,
                           g->adjustments_cents,
                           g->discharges_cents,
                           g->closing_cents};
    const int64_t want[] = {w->cases,      w->paid,      w->discharged,
                            w->opening,    w->additions, w->collections,
                            w->reversals,  w->gross,     w->adjustments,
                            w->discharges, w->closing};
    static const char *const names[] = {
        "cases",       "cases_paid",  "cases_discharged", "opening",
        "additions",   "collections", "reversals",        "gross",
        "adjustments", "discharges",  "closing"};
    for (size_t i = 0; i < sizeof(got) / sizeof(got[0]); i++)
        if (got[i] != want[i])
            fail_msg("%s %s: %lld, expected %lld", age, names[i],
                     (long long)got[i], (long long)want[i]);
    /* and the identity, on every age */
    assert_int_equal(g->opening_cents + g->additions_cents -
                         g->collections_cents + g->reversals_cents -
                         g->adjustments_cents - g->discharges_cents,
                     g->closing_cents);
}

/*
 * October 2026, before the period (all county's):
 *   P1 1000.00; P2 500.00; P3 200.00 offset in full (closed before the
 *   period: not inventory); P4 300.00; P5 100.00 offset 40.00.
 * November 2026, the period:
 *   P1 offset 300.00 (paid); P2 lowered to 400.00 (an adjustment);
 *   P4 zeroed out (a discharge); P5's offset reversed (net -40.00: not
 *   paid); C1 600.00 added, offset 100.00 (paid); C2 400.00 added,
 *   lowered to 350.00, zeroed out; C3 250.00 added, offset in full
 *   (paid); C4 150.00 added on the last day; and a city debt (another
 *   agency's).
 * December 2: D1 700.00 added (after the period: not counted).
 */
static void build_portfolio(struct fixture *fx, int64_t ids[10])
{
    enum { P1, P2, P3, P4, P5, C1, C2, C3, C4, D1 };
    today("2026-10-10");
    ids[P1] = add_debt(fx, &fx->county, "P1", 100000);
    ids[P2] = add_debt(fx, &fx->county, "P2", 50000);
    ids[P3] = add_debt(fx, &fx->county, "P3", 20000);
    ids[P4] = add_debt(fx, &fx->county, "P4", 30000);
    ids[P5] = add_debt(fx, &fx->county, "P5", 10000);
    today("2026-10-20");
    money(fx, ENTRY_OFFSET, ids[P3], 20000, "T-P3", NULL);
    money(fx, ENTRY_OFFSET, ids[P5], 4000, "T-P5", NULL);
    today("2026-11-02");
    ids[C1] = add_debt(fx, &fx->county, "C1", 60000);
    ids[C2] = add_debt(fx, &fx->county, "C2", 40000);
    ids[C3] = add_debt(fx, &fx->county, "C3", 25000);
    add_debt(fx, &fx->city, "X1", 99900);
    today("2026-11-05");
    money(fx, ENTRY_OFFSET, ids[P1], 30000, "T-P1", NULL);
    set_balance(fx, ids[P2], 40000, "change");
    set_balance(fx, ids[P4], 0, "zero");
    money(fx, ENTRY_REVERSAL, ids[P5], 4000, "V-P5", "T-P5");
    today("2026-11-10");
    money(fx, ENTRY_OFFSET, ids[C1], 10000, "T-C1", NULL);
    set_balance(fx, ids[C2], 35000, "change");
    today("2026-11-20");
    set_balance(fx, ids[C2], 0, "zero");
    money(fx, ENTRY_OFFSET, ids[C3], 25000, "T-C3", NULL);
    today("2026-11-30");
    ids[C4] = add_debt(fx, &fx->county, "C4", 15000);
    today("2026-12-02");
    ids[D1] = add_debt(fx, &fx->county, "D1", 70000);
}

/* After the period, within the current cases' first year and past it. */
static void build_next_year(struct fixture *fx, const int64_t ids[10])
{
    today("2027-01-10");
    money(fx, ENTRY_OFFSET, ids[5], 20000, "T-C1b", NULL); /* C1 */
    money(fx, ENTRY_OFFSET, ids[9], 10000, "T-D1", NULL);  /* D1 */
    today("2027-11-02");
    money(fx, ENTRY_OFFSET, ids[8], 5000, "T-C4", NULL); /* C4, too late */
}

static const struct want nov_current = {.cases = 4,
                                        .paid = 2,
                                        .discharged = 1,
                                        .opening = 0,
                                        .additions = 140000,
                                        .collections = 35000,
                                        .reversals = 0,
                                        .gross = 35000,
                                        .adjustments = 5000,
                                        .discharges = 35000,
                                        .closing = 65000};
static const struct want nov_prior = {.cases = 4,
                                      .paid = 1,
                                      .discharged = 1,
                                      .opening = 186000,
                                      .additions = 0,
                                      .collections = 30000,
                                      .reversals = 4000,
                                      .gross = 26000,
                                      .adjustments = 10000,
                                      .discharges = 30000,
                                      .closing = 120000};
static const struct want nov_combined = {.cases = 8,
                                         .paid = 3,
                                         .discharged = 2,
                                         .opening = 186000,
                                         .additions = 140000,
                                         .collections = 65000,
                                         .reversals = 4000,
                                         .gross = 61000,
                                         .adjustments = 15000,
                                         .discharges = 65000,
                                         .closing = 185000};

static void assert_november(const struct crt_result *res)
{
    assert_string_equal(res->from_at, "2026-11-01T00:00:00Z");
    assert_string_equal(res->to_at, "2026-12-01T00:00:00Z");
    assert_int_equal(res->first_day, 20261101);
    assert_int_equal(res->last_day, 20261130);
    assert_group(&res->group[CRT_CURRENT], &nov_current, "current");
    assert_group(&res->group[CRT_PRIOR], &nov_prior, "prior");
    assert_group(&res->group[CRT_COMBINED], &nov_combined, "combined");
    /* CEI: cases paid / cases */
    assert_metric(res->cei[CRT_CURRENT], 5000);  /* 2 / 4 */
    assert_metric(res->cei[CRT_PRIOR], 2500);    /* 1 / 4 */
    assert_metric(res->cei[CRT_COMBINED], 3750); /* 3 / 8 */
    /* scores: over opening + additions = 1860.00 + 1400.00 */
    assert_metric(res->adjustment_score[CRT_COMBINED], 460); /* 150/3260 */
    assert_metric(res->discharge_score[CRT_COMBINED], 1994); /* 650/3260 */
    assert_na(res->adjustment_score[CRT_CURRENT], CRT_NA_UNDEFINED);
    assert_na(res->discharge_score[CRT_PRIOR], CRT_NA_UNDEFINED);
    assert_na(res->fyr[CRT_PRIOR], CRT_NA_UNDEFINED);
    assert_na(res->fyr[CRT_COMBINED], CRT_NA_UNDEFINED);
}

/* November worked by hand, with no cost, a cost per case and a total;
 * the first year not over on December 3. */
static void test_a_portfolio_by_hand(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[10];
    struct crt_result res;
    build_portfolio(fx, ids);

    struct crt_request rq = request(fx, "2026-11", 20261203);
    compute(&rq, &res);
    assert_november(&res);
    assert_true(res.period_over);
    /* the first year: 2026-11-01 .. 2027-10-31, measured so far */
    assert_int_equal(res.fyr_end, 20271101);
    assert_false(res.fyr_over);
    assert_int_equal(res.fyr_through, 20261203);
    assert_int_equal(res.fyr_value_cents, 140000);
    assert_int_equal(res.fyr_closing_cents, 65000);
    assert_metric(res.fyr[CRT_CURRENT], 5357); /* 750.00 / 1400.00 */
    /* no cost: SES and cost to referral not available, nothing costed */
    assert_int_equal(res.cost, CRT_COST_NONE);
    for (int a = 0; a < CRT_AGES; a++) {
        assert_na(res.ses[a], CRT_NA_NO_COST);
        assert_na(res.cost_per_case[a], CRT_NA_NO_COST);
        assert_int_equal(res.group[a].cost_cents, 0);
    }

    /* $35 a case worked: 8 cases */
    rq.cost = CRT_COST_PER_CASE;
    rq.cost_cents = 3500;
    compute(&rq, &res);
    assert_november(&res);
    assert_int_equal(res.group[CRT_CURRENT].cost_cents, 14000);
    assert_int_equal(res.group[CRT_PRIOR].cost_cents, 14000);
    assert_int_equal(res.group[CRT_COMBINED].cost_cents, 28000);
    assert_metric(res.ses[CRT_CURRENT], 4000);  /* 140.00 / 350.00 */
    assert_metric(res.ses[CRT_PRIOR], 5385);    /* 140.00 / 260.00 */
    assert_metric(res.ses[CRT_COMBINED], 4590); /* 280.00 / 610.00 */
    for (int a = 0; a < CRT_AGES; a++)
        assert_metric(res.cost_per_case[a], 3500);

    /* a total of 100.01, shared 4 : 4, the odd cent rounding up */
    rq.cost = CRT_COST_TOTAL;
    rq.cost_cents = 10001;
    compute(&rq, &res);
    assert_int_equal(res.group[CRT_CURRENT].cost_cents, 5001);
    assert_int_equal(res.group[CRT_PRIOR].cost_cents, 5000);
    assert_int_equal(res.group[CRT_COMBINED].cost_cents, 10001);
    assert_metric(res.ses[CRT_CURRENT], 1429);            /* 50.01 / 350.00 */
    assert_metric(res.ses[CRT_PRIOR], 1923);              /* 50.00 / 260.00 */
    assert_metric(res.ses[CRT_COMBINED], 1640);           /* 100.01 / 610.00 */
    assert_metric(res.cost_per_case[CRT_CURRENT], 1250);  /* 50.01 / 4 */
    assert_metric(res.cost_per_case[CRT_PRIOR], 1250);    /* 50.00 / 4 */
    assert_metric(res.cost_per_case[CRT_COMBINED], 1250); /* 100.01 / 8 */
    /* a zero cost is a cost */
    rq.cost_cents = 0;
    compute(&rq, &res);
    assert_metric(res.ses[CRT_COMBINED], 0);
    assert_metric(res.cost_per_case[CRT_COMBINED], 0);
}

/* A year on: the period's numbers are the same; the first year is over
 * and counts C1's January offset, not C4's of the November after. */
static void test_the_first_year_once_over(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[10];
    struct crt_result res;
    build_portfolio(fx, ids);
    build_next_year(fx, ids);

    struct crt_request rq = request(fx, "2026-11", 20271105);
    compute(&rq, &res);
    assert_november(&res);
    assert_true(res.fyr_over);
    assert_int_equal(res.fyr_end, 20271101);
    assert_int_equal(res.fyr_through, 20271031);
    assert_int_equal(res.fyr_value_cents, 140000);
    assert_int_equal(res.fyr_closing_cents, 45000);
    assert_metric(res.fyr[CRT_CURRENT], 6786); /* 950.00 / 1400.00 */
    /* on the period's last day, neither the period nor its year is over */
    rq.today = 20261130;
    compute(&rq, &res);
    assert_false(res.period_over);
    assert_false(res.fyr_over);
    assert_int_equal(res.fyr_through, 20261130);
}

/* October and November together: every county debt but D1 is current,
 * none prior; the first year ends a year after October. */
static void test_a_run_of_months(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[10];
    struct crt_result res;
    build_portfolio(fx, ids);
    build_next_year(fx, ids);

    struct crt_request rq = request(fx, "2026-10..2026-11", 20271105);
    compute(&rq, &res);
    assert_string_equal(res.from_at, "2026-10-01T00:00:00Z");
    assert_string_equal(res.to_at, "2026-12-01T00:00:00Z");
    static const struct want cur = {.cases = 9,
                                    .paid = 4, /* P1 P3 C1 C3; P5 nets 0 */
                                    .discharged = 2,
                                    .opening = 0,
                                    .additions = 350000,
                                    .collections = 89000,
                                    .reversals = 4000,
                                    .gross = 85000,
                                    .adjustments = 15000,
                                    .discharges = 65000,
                                    .closing = 185000};
    static const struct want none = {0};
    assert_group(&res.group[CRT_CURRENT], &cur, "current");
    assert_group(&res.group[CRT_PRIOR], &none, "prior");
    assert_group(&res.group[CRT_COMBINED], &cur, "combined");
    assert_metric(res.cei[CRT_CURRENT], 4444); /* 4 / 9 */
    assert_na(res.cei[CRT_PRIOR], CRT_NA_NO_CASES);
    assert_metric(res.cei[CRT_COMBINED], 4444);
    assert_int_equal(res.fyr_end, 20271001);
    assert_true(res.fyr_over);
    assert_int_equal(res.fyr_closing_cents, 165000);        /* C1's January */
    assert_metric(res.fyr[CRT_CURRENT], 5286);              /* 1850 / 3500 */
    assert_metric(res.adjustment_score[CRT_COMBINED], 429); /* 150/3500 */
    assert_metric(res.discharge_score[CRT_COMBINED], 1857); /* 650/3500 */

    /* a fiscal year: the first year is the period itself */
    rq = request(fx, "2026-07..2027-06", 20271105);
    compute(&rq, &res);
    assert_int_equal(res.fyr_end, 20270701);
    assert_int_equal(res.last_day, 20270630);
    assert_int_equal(res.group[CRT_CURRENT].cases, 10); /* D1 too */
    assert_int_equal(res.group[CRT_PRIOR].cases, 0);
    /* two years: measured at the period's end */
    rq = request(fx, "2026-01..2027-12", 20280105);
    compute(&rq, &res);
    assert_int_equal(res.fyr_end, 20280101);
}

/* A month with no referrals: the current cases' metrics are n/a, the
 * prior inventory's are there. */
static void test_a_month_with_no_referrals(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[10];
    struct crt_result res;
    build_portfolio(fx, ids);
    build_next_year(fx, ids);

    struct crt_request rq = request(fx, "2027-02", 20271105);
    rq.cost = CRT_COST_PER_CASE;
    rq.cost_cents = 3500;
    compute(&rq, &res);
    /* open on February 1: P1 P2 P5 C1 C4 D1 */
    assert_int_equal(res.group[CRT_CURRENT].cases, 0);
    assert_int_equal(res.group[CRT_PRIOR].cases, 6);
    assert_int_equal(res.group[CRT_PRIOR].opening_cents,
                     70000 + 40000 + 10000 + 30000 + 15000 + 60000);
    assert_na(res.cei[CRT_CURRENT], CRT_NA_NO_CASES);
    assert_metric(res.cei[CRT_PRIOR], 0);
    assert_na(res.fyr[CRT_CURRENT], CRT_NA_NO_CASES);
    assert_na(res.cost_per_case[CRT_CURRENT], CRT_NA_NO_CASES);
    assert_metric(res.cost_per_case[CRT_PRIOR], 3500);
    assert_na(res.ses[CRT_PRIOR], CRT_NA_NO_REVENUE); /* nothing collected */
    assert_metric(res.adjustment_score[CRT_COMBINED], 0);
}

/* An agency with no debts at all: every count 0, every metric n/a and
 * saying why; a total cost has nothing to be shared by. */
static void test_an_agency_with_no_cases(void **state)
{
    struct fixture *fx = *state;
    int64_t ids[10];
    struct crt_result res;
    build_portfolio(fx, ids); /* county's; not city's */

    struct crt_request rq = request(fx, "2026-11", 20261203);
    rq.agency_id = fx->village.id; /* no debts */
    compute(&rq, &res);
    static const struct want none = {0};
    for (int a = 0; a < CRT_AGES; a++) {
        assert_group(&res.group[a], &none, crt_age_name((enum crt_age)a));
        assert_na(res.cei[a], CRT_NA_NO_CASES);
        assert_na(res.ses[a], CRT_NA_NO_COST);
        assert_na(res.cost_per_case[a], CRT_NA_NO_COST);
    }
    assert_na(res.fyr[CRT_CURRENT], CRT_NA_NO_CASES);
    assert_na(res.adjustment_score[CRT_COMBINED], CRT_NA_NO_VALUE);
    assert_na(res.discharge_score[CRT_COMBINED], CRT_NA_NO_VALUE);
    rq.cost = CRT_COST_TOTAL;
    rq.cost_cents = 50000;
    compute(&rq, &res);
    assert_int_equal(res.group[CRT_COMBINED].cost_cents, 50000);
    for (int a = 0; a < CRT_AGES; a++) {
        assert_na(res.ses[a], CRT_NA_NO_CASES);
        assert_na(res.cost_per_case[a], CRT_NA_NO_CASES);
    }
    /* the city's one debt is its own */
    rq.agency_id = fx->city.id;
    compute(&rq, &res);
    assert_int_equal(res.group[CRT_CURRENT].cases, 1);
    assert_int_equal(res.group[CRT_CURRENT].additions_cents, 99900);
}

static void test_periods_from_text(void **state)
{
    struct crt_period p;
    (void)state;
    assert_int_equal(crt_period_parse("2026-11", &p), 0);
    assert_int_equal(p.from_year, 2026);
    assert_int_equal(p.from_month, 11);
    assert_int_equal(p.to_year, 2026);
    assert_int_equal(p.to_month, 11);
    assert_int_equal(crt_period_parse("2025-07..2026-06", &p), 0);
    assert_int_equal(p.from_year, 2025);
    assert_int_equal(p.from_month, 7);
    assert_int_equal(p.to_year, 2026);
    assert_int_equal(p.to_month, 6);
    static const char *const bad[] = {
        "",
        "2026",
        "2026-13",
        "2026-00",
        "2026-1",
        "2026-11-01",
        "2026-11..",
        "2026-11..2026-10",
        "26-11",
        "2026-11.2026-12",
        "2026-11..2026-12x",
        "1899-12",
        "9999-01",
        "2026/11",
        "2026-11 ",
        "1900-01..2100-01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (crt_period_parse(bad[i], &p) != -EINVAL)
            fail_msg("'%s' was taken", bad[i]);
    assert_int_equal(crt_period_parse(NULL, &p), -EINVAL);
    /* a request with no such period, or a negative cost */
    struct crt_request rq = {.period = {2026, 13, 2026, 13}};
    struct crt_result res;
    char err[256];
    assert_int_equal(crt_compute(&rq, &res, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "2026-13"));
    rq.period = (struct crt_period){2026, 11, 2026, 11};
    rq.store = (struct store *)&rq; /* never read: refused before */
    rq.cost = CRT_COST_TOTAL;
    rq.cost_cents = -1;
    assert_int_equal(crt_compute(&rq, &res, err, sizeof err), -EINVAL);
}

/* A history row the ledger does not have: the report refuses to count,
 * naming the debt. */
static void test_a_history_that_does_not_tie_out_stops_it(void **state)
{
    struct fixture *fx = *state;
    today("2026-11-02");
    int64_t a = add_debt(fx, &fx->county, "ACC-A", 100000);
    sqlite3 *db;
    char sql[256], err[512];
    assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
    snprintf(sql, sizeof sql,
             "INSERT INTO debt_history (debt_id, change, old_balance,"
             " new_balance, old_status, new_status, at) VALUES (%lld,"
             " 'offset', 100000, 90000, 'C', 'C', '2026-11-03T00:00:00Z')",
             (long long)a);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct crt_request rq = request(fx, "2026-11", 20261203);
    struct crt_result res;
    assert_int_equal(crt_compute(&rq, &res, err, sizeof err), -EPROTO);
    assert_non_null(strstr(err, "ACC-A"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_portfolio_by_hand, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_first_year_once_over, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_run_of_months, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_month_with_no_referrals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_agency_with_no_cases, setup,
                                        teardown),
        cmocka_unit_test(test_periods_from_text),
        cmocka_unit_test_setup_teardown(
            test_a_history_that_does_not_tie_out_stops_it, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
