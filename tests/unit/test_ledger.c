/*
 * test_ledger.c - money against debts: offsets, reversals, collections,
 * and the rules that refuse the wrong ones without changing anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testkey.h"
#include "testutil.h"

#include "offsetgw/ledger.h"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
    int64_t agency, ftb, treasury;
    int64_t debt, other;
};

static int64_t add_debt(struct store *s, int64_t agency, const char *account,
                        const char *tin, int64_t cents)
{
    struct store_name n = {.last = "SMITH", .name_control = "SMIT"};
    struct store_debt d = {.partner_id = agency,
                           .original_cents = cents,
                           .balance_cents = cents,
                           .status = DEBT_C};
    int64_t id = 0;
    store_text_copy(d.account, sizeof d.account, account);
    store_text_copy(d.debt_type, sizeof d.debt_type, "JDG");
    if (store_debtor_upsert(s, 'S', tin, &n, 0, &d.debtor_id) < 0 ||
        store_debt_add(s, &d, NULL, &id) < 0)
        return -1;
    return id;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256];
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-ledger-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/registry.db", fx->dir);
    if (tk_store_open(fx->path, &fx->s, err, sizeof err) < 0)
        return -1;
    struct store_partner a = {.kind = PARTNER_AGENCY, .enabled = true},
                         t = {.kind = PARTNER_TAXBOARD, .enabled = true},
                         u = {.kind = PARTNER_TREASURY, .enabled = true};
    store_text_copy(a.name, sizeof a.name, "county");
    store_text_copy(t.name, sizeof t.name, "ftb");
    store_text_copy(u.name, sizeof u.name, "treasury");
    store_text_copy(a.program, sizeof a.program, "caltrecs");
    store_text_copy(t.program, sizeof t.program, "caltrecs");
    store_text_copy(u.program, sizeof u.program, "top");
    struct store_cycle c = {0};
    int64_t cycle;
    if (store_partner_add(fx->s, &a, &fx->agency) < 0 ||
        store_partner_add(fx->s, &t, &fx->ftb) < 0 ||
        store_partner_add(fx->s, &u, &fx->treasury) < 0 ||
        (fx->debt = add_debt(fx->s, fx->agency, "ACC-1", "123456789", 100000)) <
            0 ||
        (fx->other = add_debt(fx->s, fx->agency, "ACC-2", "223456789", 50000)) <
            0)
        return -1;
    /* both debts were sent to the tax board in a cycle */
    c.partner_id = fx->ftb;
    if (store_cycle_add(fx->s, &c, &cycle) < 0 ||
        store_sent_set(fx->s, fx->ftb, fx->debt, 100000, cycle) < 0 ||
        store_sent_set(fx->s, fx->ftb, fx->other, 50000, cycle) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    store_close(fx->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    free(fx);
    return system(cmd) == 0 ? 0 : -1;
}

static int apply(struct fixture *fx, int64_t partner, enum entry_kind kind,
                 int64_t debt, int64_t cents, const char *trace,
                 const char *reverses)
{
    struct money_event ev = {.kind = kind,
                             .debt_id = debt,
                             .amount_cents = cents,
                             .trace_id = trace,
                             .reverses = reverses,
                             .payment_date = 20261120,
                             .payment_source = "TAX"};
    struct store_source src = {.file_id = 0, .line = 7};
    struct check_result why;
    int rc = ledger_apply(fx->s, partner, &ev, &src, &why);
    assert_true(rc >= 0);
    assert_int_equal(rc, why.code);
    return rc;
}

static int64_t balance(struct fixture *fx, int64_t debt)
{
    struct store_debt d;
    assert_int_equal(store_debt_get_id(fx->s, debt, &d), 0);
    return d.balance_cents;
}

static int64_t count(struct fixture *fx, const char *what)
{
    int64_t n = -1;
    assert_int_equal(store_count(fx->s, what, &n), 0);
    return n;
}

static void test_offset_reduces_the_balance_and_is_in_the_ledger(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, 30000, "T1", NULL),
        CHECK_OK);
    assert_int_equal(balance(fx, fx->debt), 70000);
    assert_int_equal(count(fx, "ledger"), 1);
    /* history: add, then the offset */
    assert_int_equal(count(fx, "history"), 3);
    /* an offset to zero closes the debt, which stays */
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, 70000, "T2", NULL),
        CHECK_OK);
    struct store_debt d;
    assert_int_equal(store_debt_get_id(fx->s, fx->debt, &d), 0);
    assert_int_equal(d.balance_cents, 0);
    assert_int_equal(d.status, DEBT_X);
}

static void test_reversal_restores_the_balance_once(void **state)
{
    struct fixture *fx = *state;
    apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, 100000, "T1", NULL);
    assert_int_equal(balance(fx, fx->debt), 0);
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_REVERSAL, fx->debt, 40000, "R1", "T1"),
        CHECK_OK);
    assert_int_equal(balance(fx, fx->debt), 40000);
    struct store_debt d;
    assert_int_equal(store_debt_get_id(fx->s, fx->debt, &d), 0);
    assert_true(d.status != DEBT_X); /* open again */
    /* a second reversal of the same offset, even for the rest */
    int64_t ledger = count(fx, "ledger"), history = count(fx, "history");
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_REVERSAL, fx->debt, 10000, "R2", "T1"),
        C_REVERSED);
    assert_int_equal(balance(fx, fx->debt), 40000);
    assert_int_equal(count(fx, "ledger"), ledger);
    assert_int_equal(count(fx, "history"), history);
}

static void test_wrong_reversals_and_offsets_change_nothing(void **state)
{
    struct fixture *fx = *state;
    apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, 30000, "T1", NULL);
    apply(fx, fx->ftb, ENTRY_OFFSET, fx->other, 10000, "T9", NULL);
    int64_t ledger = count(fx, "ledger"), history = count(fx, "history");
    int64_t b1 = balance(fx, fx->debt), b2 = balance(fx, fx->other);
    /* a reversal of an offset there is not */
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_REVERSAL, fx->debt, 100, "R1", "NOPE"),
        C_UNKNOWN_OFFSET);
    /* of another debt's offset */
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_REVERSAL, fx->debt, 100, "R1", "T9"),
        C_UNKNOWN_OFFSET);
    /* larger than the offset */
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_REVERSAL, fx->debt, 30001, "R1", "T1"),
        C_REVERSAL_AMT);
    /* an offset whose trace id was used */
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, 100, "T1", NULL),
        C_DUP_TRACE);
    /* more than the balance */
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, b1 + 1, "T3", NULL),
        C_OVER_BALANCE);
    assert_int_equal(
        apply(fx, fx->ftb, ENTRY_COLLECTION, fx->debt, b1 + 1, "C1", NULL),
        C_OVER_BALANCE);
    /* a debt never sent to this partner, and one that is not there */
    assert_int_equal(
        apply(fx, fx->treasury, ENTRY_OFFSET, fx->debt, 100, "T1", NULL),
        C_UNKNOWN_DEBT);
    assert_int_equal(apply(fx, fx->ftb, ENTRY_OFFSET, 999, 100, "T4", NULL),
                     C_UNKNOWN_DEBT);
    /* no amount */
    assert_int_equal(apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, 0, "T5", NULL),
                     C_AMOUNT);
    assert_int_equal(count(fx, "ledger"), ledger);
    assert_int_equal(count(fx, "history"), history);
    assert_int_equal(balance(fx, fx->debt), b1);
    assert_int_equal(balance(fx, fx->other), b2);
}

static void test_the_database_keeps_the_ledger_append_only(void **state)
{
    struct fixture *fx = *state;
    char *msg = NULL;
    sqlite3 *db = NULL;
    apply(fx, fx->ftb, ENTRY_OFFSET, fx->debt, 30000, "T1", NULL);
    apply(fx, fx->ftb, ENTRY_REVERSAL, fx->debt, 30000, "R1", "T1");
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE ledger SET amount_cents = 1",
                                      NULL, NULL, &msg),
                         SQLITE_OK);
    sqlite3_free(msg);
    assert_int_not_equal(
        sqlite3_exec(db, "DELETE FROM ledger", NULL, NULL, &msg), SQLITE_OK);
    sqlite3_free(msg);
    /* a second reversal of offset 1, however it is written */
    assert_int_not_equal(
        sqlite3_exec(db,
                     "INSERT INTO ledger (debt_id, partner_id, kind,"
                     " amount_cents, reverses, at) SELECT debt_id,"
                     " partner_id, 'reversal', 1, id, 'x' FROM ledger"
                     " WHERE kind = 'offset'",
                     NULL, NULL, &msg),
        SQLITE_OK);
    sqlite3_free(msg);
    sqlite3_close(db);
    assert_int_equal(count(fx, "ledger"), 2);
}

/* Random events, valid and not: every balance is its start minus the
 * accepted offsets and collections plus the accepted reversals, and
 * never below zero. */
static void test_money_is_conserved_over_random_events(void **state)
{
    struct fixture *fx = *state;
    uint64_t seed = tu_seed(4242);
    struct tu_rng rng = {seed};
    int64_t debts[2] = {fx->debt, fx->other};
    int64_t expect[2] = {100000, 50000};
    char traces[400][12];
    int64_t trace_debt[400], trace_amount[400];
    bool trace_reversed[400];
    int n_traces = 0;

    for (int i = 0; i < 2000; i++) {
        int k = (int)tu_rng_below(&rng, 2);
        char trace[16];
        snprintf(trace, sizeof trace, "E%d", i);
        int64_t cents = tu_rng_range(&rng, 1, 40000);
        int what = (int)tu_rng_below(&rng, 3);
        if (what == 0 && n_traces < 400) {
            int rc =
                apply(fx, fx->ftb, ENTRY_OFFSET, debts[k], cents, trace, NULL);
            if (cents <= expect[k]) {
                assert_int_equal(rc, CHECK_OK);
                expect[k] -= cents;
                store_text_copy(traces[n_traces], sizeof traces[0], trace);
                trace_debt[n_traces] = k;
                trace_amount[n_traces] = cents;
                trace_reversed[n_traces++] = false;
            } else {
                assert_int_equal(rc, C_OVER_BALANCE);
            }
        } else if (what == 1 && n_traces > 0) {
            int t = (int)tu_rng_below(&rng, (uint64_t)n_traces);
            int64_t amount = tu_rng_range(&rng, 1, trace_amount[t] + 100);
            int rc = apply(fx, fx->ftb, ENTRY_REVERSAL, debts[trace_debt[t]],
                           amount, trace, traces[t]);
            if (trace_reversed[t])
                assert_int_equal(rc, C_REVERSED);
            else if (amount > trace_amount[t])
                assert_int_equal(rc, C_REVERSAL_AMT);
            else {
                assert_int_equal(rc, CHECK_OK);
                expect[trace_debt[t]] += amount;
                trace_reversed[t] = true;
            }
        } else {
            int rc = apply(fx, fx->ftb, ENTRY_COLLECTION, debts[k], cents,
                           trace, NULL);
            if (cents <= expect[k]) {
                assert_int_equal(rc, CHECK_OK);
                expect[k] -= cents;
            } else {
                assert_int_equal(rc, C_OVER_BALANCE);
            }
        }
        for (int d = 0; d < 2; d++) {
            int64_t b = balance(fx, debts[d]);
            if (b != expect[d] || b < 0)
                fail_msg("seed %llu event %d: debt %d balance %lld, "
                         "expected %lld",
                         (unsigned long long)seed, i, d, (long long)b,
                         (long long)expect[d]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_offset_reduces_the_balance_and_is_in_the_ledger),
        T(test_reversal_restores_the_balance_once),
        T(test_wrong_reversals_and_offsets_change_nothing),
        T(test_the_database_keeps_the_ledger_append_only),
        T(test_money_is_conserved_over_random_events),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
