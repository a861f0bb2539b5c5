/*
 * test_store.c - the registry: schema and migrations, partners, files,
 * debtors, debts and their history, cycles, and the invariants the
 * database itself enforces.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testkey.h"
#include "testutil.h"

#include "offsetgw/store.h"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256];
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-store-XXXXXX");
    if (fx == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/registry.db", fx->dir);
    if (tk_store_open(fx->path, &fx->s, err, sizeof err) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[160];
    store_close(fx->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

/* Run SQL on a second, raw connection; the sqlite result code. */
static int raw_sql(const char *path, const char *sql, char *msg, size_t size)
{
    sqlite3 *db = NULL;
    char *m = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 2000);
        rc = sqlite3_exec(db, sql, NULL, NULL, &m);
    }
    snprintf(msg, size, "%s", m ? m : "");
    sqlite3_free(m);
    sqlite3_close(db);
    return rc;
}

static int count_rows(const char *path, const char *sql);

/* The debtors table as schemas 1 to 13 had it, TINs in the clear, in
 * place of the current one (and no keyring): for building old
 * registries. */
#define DEBTORS_BEFORE_14                                                      \
    "DROP TABLE keyring; DROP TABLE debtors;"                                  \
    "CREATE TABLE debtors ("                                                   \
    "  id INTEGER PRIMARY KEY,"                                                \
    "  tin_type TEXT NOT NULL CHECK (tin_type = 'S' OR tin_type = 'E'),"       \
    "  tin TEXT NOT NULL CHECK (length(tin) = 9),"                             \
    "  last_name TEXT NOT NULL DEFAULT '',"                                    \
    "  first_name TEXT NOT NULL DEFAULT '',"                                   \
    "  middle TEXT NOT NULL DEFAULT '',"                                       \
    "  suffix TEXT NOT NULL DEFAULT '',"                                       \
    "  name_control TEXT NOT NULL DEFAULT '',"                                 \
    "  UNIQUE (tin_type, tin)"                                                 \
    ");"                                                                       \
    "CREATE TRIGGER debtors_never_deleted BEFORE DELETE ON debtors"            \
    " BEGIN SELECT RAISE(ABORT, 'a debtor is never deleted'); END;"

static int64_t add_partner(struct store *s, const char *name,
                           enum partner_kind kind, const char *program)
{
    struct store_partner p = {.kind = kind, .enabled = true};
    int64_t id = 0;
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.program, sizeof p.program, "%s", program);
    assert_int_equal(store_partner_add(s, &p, &id), 0);
    return id;
}

static int64_t add_file(struct store *s, int64_t partner, const char *sha_ch)
{
    struct store_file f = {.partner_id = partner, .status = FILE_RECEIVED};
    int64_t id = 0;
    memset(f.sha256, sha_ch[0], 64);
    snprintf(f.name, sizeof f.name, "debts.txt");
    snprintf(f.exchange, sizeof f.exchange, "agency-debt");
    snprintf(f.layout, sizeof f.layout, "caltrecs/agency-debt.xml");
    assert_int_equal(store_file_add(s, &f, &id), 0);
    return id;
}

static int64_t add_debt(struct store *s, int64_t partner, const char *account,
                        const char *tin, int64_t cents, int64_t file)
{
    struct store_name n = {
        .last = "SMITH", .first = "JOHN", .name_control = "SMIT"};
    struct store_debt d = {.partner_id = partner,
                           .original_cents = cents,
                           .balance_cents = cents,
                           .status = DEBT_P};
    struct store_source src = {.file_id = file, .line = 2};
    int64_t id = 0;
    snprintf(d.account, sizeof d.account, "%s", account);
    snprintf(d.debt_type, sizeof d.debt_type, "TX");
    assert_int_equal(store_debtor_upsert(s, 'S', tin, &n, file, &d.debtor_id),
                     0);
    assert_int_equal(store_debt_add(s, &d, &src, &id), 0);
    return id;
}

/* --- schema ---------------------------------------------------------- */

static void test_new_database_is_at_the_current_schema_in_wal(void **state)
{
    struct fixture *fx = *state;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(store_schema_version(fx->s), STORE_SCHEMA_VERSION);
    /* it holds SSNs: nobody but its owner may read it */
    struct stat sb;
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_reopening_keeps_the_data(void **state)
{
    struct fixture *fx = *state;
    struct store_partner p;
    char err[256];

    add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    store_close(fx->s);
    assert_int_equal(tk_store_open(fx->path, &fx->s, err, sizeof err), 0);
    assert_int_equal(store_partner_get(fx->s, "county-a", &p), 0);
    assert_string_equal(p.program, "caltrecs");
}

static void test_newer_schema_is_refused_with_a_message(void **state)
{
    struct fixture *fx = *state;
    struct store *s = NULL;
    char err[256], msg[256];

    store_close(fx->s);
    fx->s = NULL;
    assert_int_equal(
        raw_sql(fx->path, "PRAGMA user_version = 99", msg, sizeof msg),
        SQLITE_OK);
    assert_true(tk_store_open(fx->path, &s, err, sizeof err) < 0);
    assert_null(s);
    assert_non_null(strstr(err, "schema version 99"));
    /* put it back so teardown's close has something sane */
    snprintf(msg, sizeof msg, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    raw_sql(fx->path, msg, err, sizeof err);
    assert_int_equal(tk_store_open(fx->path, &fx->s, err, sizeof err), 0);
}

/* A version-1 registry (before outputs) opens as the current version,
 * its data kept. */
static void test_version_1_database_is_migrated_keeping_its_data(void **state)
{
    struct fixture *fx = *state;
    struct store_partner p;
    char err[256], msg[256];

    add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    store_close(fx->s);
    fx->s = NULL;
    assert_int_equal(raw_sql(fx->path,
                             "DROP TABLE file_rejects;" DEBTORS_BEFORE_14
                             "DROP TABLE admins;"
                             " ALTER TABLE partners DROP COLUMN retention_days;"
                             " DROP TABLE audit;"
                             " ALTER TABLE partners DROP COLUMN cycle_daily;"
                             " ALTER TABLE partners DROP COLUMN cycle_ran_on;"
                             " DROP TABLE queue; DROP TABLE transfers;"
                             " DROP TABLE logins; DROP TABLE partner_keys;"
                             " ALTER TABLE files DROP COLUMN queue_id;"
                             " DROP TABLE remitted_offsets;"
                             " DROP TABLE remittances;"
                             " DROP TABLE appeal_decisions;"
                             " DROP TABLE ledger; DROP TABLE payments;"
                             " DROP TABLE sent_debts; DROP TABLE outputs;"
                             " ALTER TABLE debts DROP COLUMN attributes;"
                             " ALTER TABLE files DROP COLUMN made_from;"
                             " ALTER TABLE debts DROP COLUMN requested_cycle;"
                             " PRAGMA user_version = 1",
                             msg, sizeof msg),
                     SQLITE_OK);
    assert_int_equal(tk_store_open(fx->path, &fx->s, err, sizeof err), 0);
    assert_int_equal(store_schema_version(fx->s), STORE_SCHEMA_VERSION);
    assert_int_equal(store_partner_get(fx->s, "county-a", &p), 0);
    assert_int_equal(
        count_rows(fx->path, "SELECT count(*) FROM outputs WHERE 0"), 0);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* serve's processes set their own wait for another's write lock: the
 * setting takes (the default would wait STORE_BUSY_MS) */
static void test_busy_ms_sets_the_wait_for_a_write_lock(void **state)
{
    struct fixture *fx = *state;
    struct store *other = NULL;
    char err[256];
    assert_int_equal(tk_store_open(fx->path, &other, err, sizeof err), 0);
    assert_int_equal(store_busy_ms(other, 0), -EINVAL);
    assert_int_equal(store_busy_ms(other, 3600001), -EINVAL);
    assert_int_equal(store_begin(fx->s), 0); /* holds the write lock */
    assert_int_equal(store_busy_ms(other, 200), 0);
    double t0 = seconds_now();
    assert_int_equal(store_begin(other), -EBUSY);
    double waited = seconds_now() - t0;
    assert_true(waited >= 0.15);
    assert_true(waited < STORE_BUSY_MS / 1000.0 / 2); /* not the default */
    assert_int_equal(store_rollback(fx->s), 0);
    assert_int_equal(store_begin(other), 0); /* free again */
    assert_int_equal(store_rollback(other), 0);
    store_close(other);
}

static void test_corrupt_database_is_an_error_not_an_empty_start(void **state)
{
    struct fixture *fx = *state;
    char path[160], err[256];
    struct store *s = NULL;
    FILE *f;

    (void)state;
    snprintf(path, sizeof path, "%s/garbage.db", fx->dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++)
        fputc("SQLite format 3\0garbage"[i % 24], f);
    fclose(f);
    assert_true(tk_store_open(path, &s, err, sizeof err) < 0);
    assert_null(s);
    assert_true(strlen(err) > 0);
}

/* --- partners -------------------------------------------------------- */

static int count_partner(const struct store_partner *p, void *ctx)
{
    (void)p;
    (*(int *)ctx)++;
    return 0;
}

static void test_partners_are_added_found_disabled_and_listed(void **state)
{
    struct fixture *fx = *state;
    struct store_partner p = {.kind = PARTNER_AGENCY, .enabled = true};
    struct store_partner got;
    int n = 0;

    snprintf(p.name, sizeof p.name, "county-a");
    snprintf(p.program, sizeof p.program, "caltrecs");
    snprintf(p.agency_code, sizeof p.agency_code, "CNTYA");
    assert_int_equal(store_partner_add(fx->s, &p, NULL), 0);
    assert_int_equal(store_partner_add(fx->s, &p, NULL), -EEXIST);
    add_partner(fx->s, "ftb", PARTNER_TAXBOARD, "caltrecs");
    assert_int_equal(store_partner_get(fx->s, "county-a", &got), 0);
    assert_int_equal(got.kind, PARTNER_AGENCY);
    assert_string_equal(got.agency_code, "CNTYA");
    assert_true(got.enabled);
    assert_int_equal(store_partner_set_enabled(fx->s, "county-a", false), 0);
    assert_int_equal(store_partner_get(fx->s, "county-a", &got), 0);
    assert_false(got.enabled);
    assert_int_equal(store_partner_set_enabled(fx->s, "nobody", false),
                     -ENOENT);
    assert_int_equal(store_partner_get(fx->s, "nobody", &got), -ENOENT);
    assert_int_equal(store_partner_each(fx->s, count_partner, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(partner_kind_from_name("treasury"), PARTNER_TREASURY);
    assert_int_equal(partner_kind_from_name("bank"), -1);
}

/* --- files ----------------------------------------------------------- */

static void test_file_sha_finds_only_processed_inbound_files(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    int64_t id = add_file(fx->s, a, "a");
    struct store_file f;
    char sha[65];

    memset(sha, 'a', 64);
    sha[64] = '\0';
    /* received but not processed: not a duplicate source yet */
    assert_int_equal(store_file_find_sha(fx->s, a, sha, &f), -ENOENT);
    assert_int_equal(store_file_get(fx->s, id, &f), 0);
    f.status = FILE_PARTIAL;
    f.records = 10;
    f.accepted = 9;
    f.rejected = 1;
    f.amount_cents = 12345;
    assert_int_equal(store_file_finish(fx->s, &f), 0);
    memset(&f, 0, sizeof f);
    assert_int_equal(store_file_find_sha(fx->s, a, sha, &f), 0);
    assert_int_equal(f.id, id);
    assert_int_equal(f.status, FILE_PARTIAL);
    assert_int_equal(f.accepted, 9);
    assert_int_equal(f.amount_cents, 12345);
    assert_string_equal(f.exchange, "agency-debt");
    /* another partner's file with the same bytes is not this one's */
    int64_t b = add_partner(fx->s, "county-b", PARTNER_AGENCY, "caltrecs");
    assert_int_equal(store_file_find_sha(fx->s, b, sha, &f), -ENOENT);
}

/* --- debtors --------------------------------------------------------- */

static int count_rows(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_debtor_is_one_per_tin_with_a_name_history(void **state)
{
    struct fixture *fx = *state;
    struct store_name smith = {
        .last = "SMITH", .first = "JANE", .name_control = "SMIT"};
    struct store_name jones = {
        .last = "JONES", .first = "JANE", .name_control = "JONE"};
    struct store_name got;
    int64_t id1, id2, id3, id4;

    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "123456789", &smith, 0, &id1), 0);
    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "123456789", &smith, 0, &id2), 0);
    assert_int_equal(id1, id2);
    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "123456789", &jones, 0, &id3), 0);
    assert_int_equal(id1, id3);
    assert_int_equal(store_debtor_name(fx->s, id1, &got), 0);
    assert_string_equal(got.last, "JONES");
    /* the name it had before is kept, once */
    assert_int_equal(count_rows(fx->path, "SELECT count(*) FROM debtor_names"),
                     1);
    assert_int_equal(count_rows(fx->path, "SELECT count(*) FROM debtor_names"
                                          " WHERE last_name = 'SMITH'"),
                     1);
    /* the same digits as an EIN are another debtor */
    assert_int_equal(
        store_debtor_upsert(fx->s, 'E', "123456789", &smith, 0, &id4), 0);
    assert_true(id4 != id1);
    assert_int_equal(
        store_debtor_upsert(fx->s, 'X', "123456789", &smith, 0, &id4), -EINVAL);
    assert_int_equal(store_debtor_upsert(fx->s, 'S', "12345", &smith, 0, &id4),
                     -EINVAL);
}

/* --- debts and history ----------------------------------------------- */

struct changes {
    int n;
    struct store_change last;
    char kinds[16][16];
};

static int collect(const struct store_change *c, void *ctx)
{
    struct changes *cs = ctx;
    if (cs->n < 16)
        snprintf(cs->kinds[cs->n], sizeof cs->kinds[0], "%s", c->change);
    cs->n++;
    cs->last = *c;
    return 0;
}

static void test_debt_changes_are_all_in_the_history(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    int64_t file = add_file(fx->s, a, "b");
    int64_t id = add_debt(fx->s, a, "ACC-1", "123456789", 10000, file);
    struct store_source src = {.file_id = file, .line = 7};
    struct store_debt d;
    struct changes cs = {0};

    assert_int_equal(
        store_debt_set_balance(fx->s, id, 12500, 2500, "fee", &src), 0);
    assert_int_equal(store_debt_set_status(fx->s, id, DEBT_C, &src), 0);
    assert_int_equal(store_debt_set_balance(fx->s, id, 0, 2500, "zero", &src),
                     0);
    /* zeroed: closed, still there */
    assert_int_equal(store_debt_get(fx->s, a, "ACC-1", &d), 0);
    assert_int_equal(d.balance_cents, 0);
    assert_int_equal(d.status, DEBT_X);
    assert_int_equal(d.original_cents, 10000);
    assert_int_equal(store_debt_history(fx->s, id, collect, &cs), 0);
    assert_int_equal(cs.n, 4);
    assert_string_equal(cs.kinds[0], "add");
    assert_string_equal(cs.kinds[1], "fee");
    assert_string_equal(cs.kinds[2], "status");
    assert_string_equal(cs.kinds[3], "zero");
    assert_int_equal(cs.last.old_balance, 12500);
    assert_int_equal(cs.last.new_balance, 0);
    assert_int_equal(cs.last.old_status, 'C');
    assert_int_equal(cs.last.new_status, 'X');
    assert_int_equal(cs.last.file_id, file);
    assert_int_equal(cs.last.line, 7);
}

static void test_debt_rules_the_store_refuses(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    int64_t id = add_debt(fx->s, a, "ACC-1", "123456789", 10000, 0);
    struct store_debt d = {.partner_id = a, .status = DEBT_P};

    /* the same account twice */
    snprintf(d.account, sizeof d.account, "ACC-1");
    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "123456789", NULL, 0, &d.debtor_id), 0);
    assert_int_equal(store_debt_add(fx->s, &d, NULL, NULL), -EEXIST);
    /* negative balances, unknown statuses, missing debts */
    assert_int_equal(store_debt_set_balance(fx->s, id, -1, 0, "change", NULL),
                     -EINVAL);
    assert_int_equal(
        store_debt_set_status(fx->s, id, (enum debt_status)'Q', NULL), -EINVAL);
    assert_int_equal(store_debt_set_balance(fx->s, 999, 5, 0, "change", NULL),
                     -ENOENT);
    assert_int_equal(store_debt_get(fx->s, a, "NOPE", &d), -ENOENT);
}

static void
test_database_refuses_deleting_debts_or_editing_history(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    char msg[256];

    add_debt(fx->s, a, "ACC-1", "123456789", 10000, 0);
    assert_int_not_equal(
        raw_sql(fx->path, "DELETE FROM debts", msg, sizeof msg), SQLITE_OK);
    assert_non_null(strstr(msg, "never deleted"));
    assert_int_not_equal(raw_sql(fx->path,
                                 "UPDATE debt_history SET new_balance = 1", msg,
                                 sizeof msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    assert_int_not_equal(
        raw_sql(fx->path, "DELETE FROM debt_history", msg, sizeof msg),
        SQLITE_OK);
    assert_int_not_equal(raw_sql(fx->path,
                                 "UPDATE debts SET balance_cents = -5", msg,
                                 sizeof msg),
                         SQLITE_OK);
    assert_int_equal(count_rows(fx->path, "SELECT count(*) FROM debts"), 1);
}

/* --- transactions ---------------------------------------------------- */

static void test_rollback_leaves_the_registry_as_it_was(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    int64_t n_debts = -1, n_history = -1;
    struct store_debt d;

    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(store_begin(fx->s), -EINVAL);
    add_debt(fx->s, a, "ACC-1", "123456789", 10000, 0);
    add_debt(fx->s, a, "ACC-2", "123456788", 20000, 0);
    assert_int_equal(store_rollback(fx->s), 0);
    assert_int_equal(store_count(fx->s, "debts", &n_debts), 0);
    assert_int_equal(store_count(fx->s, "history", &n_history), 0);
    assert_int_equal(n_debts, 0);
    assert_int_equal(n_history, 0);
    assert_int_equal(store_debt_get(fx->s, a, "ACC-1", &d), -ENOENT);
    /* and a commit keeps it */
    assert_int_equal(store_begin(fx->s), 0);
    add_debt(fx->s, a, "ACC-1", "123456789", 10000, 0);
    assert_int_equal(store_commit(fx->s), 0);
    assert_int_equal(store_count(fx->s, "debts", &n_debts), 0);
    assert_int_equal(n_debts, 1);
    assert_int_equal(store_commit(fx->s), -EINVAL);
}

/* --- changes and cycles ---------------------------------------------- */

static void test_changes_since_follow_program_and_high_water(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    int64_t k = add_partner(fx->s, "wichita", PARTNER_AGENCY, "kansas");
    int64_t ftb = add_partner(fx->s, "ftb", PARTNER_TAXBOARD, "caltrecs");
    struct changes cs = {0};
    struct store_cycle c = {.partner_id = ftb}, last;

    int64_t d1 = add_debt(fx->s, a, "ACC-1", "123456789", 10000, 0);
    add_debt(fx->s, k, "K-1", "223456789", 5000, 0);
    assert_int_equal(store_changes_since(fx->s, "caltrecs", 0, collect, &cs),
                     0);
    assert_int_equal(cs.n, 1); /* the Kansas debt is not CalTRECS's */
    assert_int_equal(store_cycle_last(fx->s, ftb, &last), -ENOENT);
    c.high_water = cs.last.id;
    c.records = 1;
    c.amount_cents = 10000;
    assert_int_equal(store_cycle_add(fx->s, &c, NULL), 0);
    assert_int_equal(store_cycle_last(fx->s, ftb, &last), 0);
    assert_int_equal(last.high_water, cs.last.id);
    /* only what changed after the cycle comes next time */
    assert_int_equal(store_debt_set_balance(fx->s, d1, 0, 0, "zero", NULL), 0);
    memset(&cs, 0, sizeof cs);
    assert_int_equal(
        store_changes_since(fx->s, "caltrecs", last.high_water, collect, &cs),
        0);
    assert_int_equal(cs.n, 1);
    assert_string_equal(cs.kinds[0], "zero");
}

static int collect_ids(const struct store_candidate *c, void *ctx)
{
    int64_t *ids = ctx;
    ids[++ids[0]] = c->debt.id;
    return ids[0] == 7;
}

static void
test_address_requests_ask_once_until_the_debt_is_back_in_p(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_partner(fx->s, "dcf", PARTNER_AGENCY, "top");
    int64_t k = add_partner(fx->s, "wichita", PARTNER_AGENCY, "kansas");
    int64_t t = add_partner(fx->s, "fns", PARTNER_TREASURY, "top");
    struct store_cycle c = {.partner_id = t};
    struct store_debt d;
    int64_t ids[8] = {0}, cycle = 0, who = 0;

    int64_t d1 = add_debt(fx->s, a, "A-1", "123456789", 10000, 0);
    int64_t d2 = add_debt(fx->s, a, "A-2", "223456789", 5000, 0);
    add_debt(fx->s, k, "K-1", "323456789", 5000, 0); /* not TOP's */
    assert_int_equal(store_debt_set_balance(fx->s, d2, 0, 0, "zero", NULL), 0);
    assert_int_equal(store_request_candidates(fx->s, "top", collect_ids, ids),
                     0);
    assert_int_equal(ids[0], 1); /* a zeroed debt is not asked about */
    assert_int_equal(ids[1], d1);
    assert_int_equal(store_request_partner(fx->s, d1, &who), -ENOENT);

    assert_int_equal(store_cycle_add(fx->s, &c, &cycle), 0);
    assert_int_equal(store_request_set(fx->s, d1, cycle), 0);
    assert_int_equal(store_request_partner(fx->s, d1, &who), 0);
    assert_int_equal(who, t);
    memset(ids, 0, sizeof ids);
    assert_int_equal(store_request_candidates(fx->s, "top", collect_ids, ids),
                     0);
    assert_int_equal(ids[0], 0); /* asked once */

    /* E, then corrected back to P: asked again */
    assert_int_equal(store_debt_set_status(fx->s, d1, DEBT_E, NULL), 0);
    assert_int_equal(store_request_partner(fx->s, d1, &who), 0);
    assert_int_equal(store_debt_set_status(fx->s, d1, DEBT_P, NULL), 0);
    assert_int_equal(store_request_partner(fx->s, d1, &who), -ENOENT);
    assert_int_equal(store_request_candidates(fx->s, "top", collect_ids, ids),
                     0);
    assert_int_equal(ids[0], 1);

    /* the notice: its date and the status, in the history */
    assert_int_equal(store_debt_set_notice(fx->s, d1, 20261001, DEBT_S, NULL),
                     0);
    assert_int_equal(store_debt_get_id(fx->s, d1, &d), 0);
    assert_int_equal(d.notice_date, 20261001);
    assert_int_equal(d.status, DEBT_S);
    assert_int_equal(store_debt_set_notice(fx->s, d1, 0, DEBT_S, NULL),
                     -EINVAL);
    struct changes cs = {0};
    assert_int_equal(store_debt_history(fx->s, d1, collect, &cs), 0);
    assert_string_equal(cs.kinds[cs.n - 1], "notice");
    assert_int_equal(cs.last.old_status, 'P');
    assert_int_equal(cs.last.new_status, 'S');
}

/* --- TINs: sealed in the registry, clear above it --------------------- */

#define N_TINS 40

/* N random SSN-shaped TINs (no two alike, none starting with 0). */
static void random_tins(char tins[][10], int n, uint64_t seed)
{
    struct tu_rng rng = {seed};
    for (int i = 0; i < n; i++) {
        bool again;
        do {
            snprintf(
                tins[i], 10, "%09llu",
                (unsigned long long)tu_rng_range(&rng, 100000000, 999999999));
            again = false;
            for (int j = 0; j < i; j++)
                again = again || strcmp(tins[i], tins[j]) == 0;
        } while (again);
    }
}

/* Does the file at PATH (absent: no) hold any of the N TINs as bytes? */
static bool file_holds_a_tin(const char *path, char tins[][10], int n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    bool hit = false;
    if (f == NULL)
        return false;
    do {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = tu_xrealloc(buf, cap);
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    for (int i = 0; i < n && !hit; i++)
        hit = tu_mem_contains(buf, len, tins[i]);
    free(buf);
    return hit;
}

/* The database at PATH or its WAL holds one of the TINs. */
static bool registry_holds_a_tin(const char *path, char tins[][10], int n)
{
    char wal[200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    return file_holds_a_tin(path, tins, n) || file_holds_a_tin(wal, tins, n);
}

/* How many values, in every column of every table, hold one of the
 * TINs (as text, or as the bytes of a blob). */
static int tins_in_columns(const char *path, char tins[][10], int n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *tables = NULL;
    int hits = 0;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master"
                                        " WHERE type = 'table'",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        sqlite3_stmt *rows = NULL;
        char *q = sqlite3_mprintf("SELECT * FROM \"%w\"",
                                  sqlite3_column_text(tables, 0));
        assert_int_equal(sqlite3_prepare_v2(db, q, -1, &rows, NULL), SQLITE_OK);
        sqlite3_free(q);
        while (sqlite3_step(rows) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(rows); c++) {
                const char *v = sqlite3_column_blob(rows, c);
                size_t len = (size_t)sqlite3_column_bytes(rows, c);
                for (int i = 0; v != NULL && i < n; i++)
                    hits += tu_mem_contains(v, len, tins[i]);
            }
        sqlite3_finalize(rows);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return hits;
}

/* The first column of the first row of SQL on a raw connection, as
 * text into OUT ("" when there is no row). */
static void raw_text(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_registry_keeps_no_tin_in_the_clear(void **state)
{
    struct fixture *fx = *state;
    char tins[N_TINS][10], type, tin[10], err[256];
    int64_t ids[N_TINS];
    random_tins(tins, N_TINS, tu_seed(0x7155));
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    int64_t file = add_file(fx->s, a, "c");
    struct store_debt d;
    assert_int_equal(store_begin(fx->s), 0);
    for (int i = 0; i < N_TINS; i++) {
        char account[16];
        snprintf(account, sizeof account, "ACC-%d", i);
        int64_t id = add_debt(fx->s, a, account, tins[i], 1000 + i, file);
        assert_int_equal(store_debt_get_id(fx->s, id, &d), 0);
        ids[i] = d.debtor_id;
    }
    assert_int_equal(store_commit(fx->s), 0);
    /* while open: neither the database nor its WAL, nor any column */
    assert_false(registry_holds_a_tin(fx->path, tins, N_TINS));
    assert_int_equal(tins_in_columns(fx->path, tins, N_TINS), 0);
    /* each reads back as it went in */
    for (int i = 0; i < N_TINS; i++) {
        assert_int_equal(store_debtor_get(fx->s, ids[i], &type, tin), 0);
        assert_int_equal(type, 'S');
        assert_string_equal(tin, tins[i]);
    }
    store_close(fx->s);
    fx->s = NULL;
    assert_false(registry_holds_a_tin(fx->path, tins, N_TINS));
    /* the searches find a TIN where there is one */
    assert_int_equal(tk_store_open(fx->path, &fx->s, err, sizeof err), 0);
    struct store_partner p = {.kind = PARTNER_AGENCY, .enabled = true};
    snprintf(p.name, sizeof p.name, "control");
    snprintf(p.agency_code, sizeof p.agency_code, "%s", tins[7]);
    assert_int_equal(store_partner_add(fx->s, &p, NULL), 0);
    assert_int_equal(tins_in_columns(fx->path, tins, N_TINS), 1);
    assert_true(registry_holds_a_tin(fx->path, tins, N_TINS));
}

struct tin_list {
    int n;
    char types[8];
    char tins[8][10];
};

static int list_tin(char tin_type, const char *tin, void *ctx)
{
    struct tin_list *l = ctx;
    if (l->n < 8) {
        l->types[l->n] = tin_type;
        snprintf(l->tins[l->n], 10, "%s", tin);
    }
    l->n++;
    return 0;
}

static void test_tin_lookups_find_the_same_debtor(void **state)
{
    struct fixture *fx = *state;
    struct store_name smith = {
        .last = "SMITH", .first = "JANE", .name_control = "SMIT"};
    struct store_name acme = {.last = "ACME", .name_control = "ACME"};
    struct store_name got;
    struct store_claim claims[4];
    int64_t s_id, e_id, again, found;
    size_t n;
    char type, tin[10];
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");

    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "523456789", &smith, 0, &s_id), 0);
    assert_int_equal(
        store_debtor_upsert(fx->s, 'E', "523456789", &acme, 0, &e_id), 0);
    assert_true(s_id != e_id);
    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "523456789", &smith, 0, &again), 0);
    assert_int_equal(again, s_id);
    assert_int_equal(store_debtor_get(fx->s, e_id, &type, tin), 0);
    assert_int_equal(type, 'E');
    assert_string_equal(tin, "523456789");
    /* a payment's TIN finds its debtor, by type */
    struct store_debt d = {.partner_id = a,
                           .debtor_id = s_id,
                           .original_cents = 5000,
                           .balance_cents = 5000,
                           .status = DEBT_C};
    snprintf(d.account, sizeof d.account, "ACC-1");
    snprintf(d.debt_type, sizeof d.debt_type, "TX");
    assert_int_equal(store_debt_add(fx->s, &d, NULL, NULL), 0);
    assert_int_equal(store_claims_by_tin(fx->s, 'S', "523456789", "caltrecs",
                                         &found, &got, claims, 4, &n),
                     0);
    assert_int_equal(found, s_id);
    assert_string_equal(got.last, "SMITH");
    assert_int_equal(n, 1);
    assert_int_equal(store_claims_by_tin(fx->s, 'E', "523456789", "caltrecs",
                                         &found, &got, claims, 4, &n),
                     0);
    assert_int_equal(found, e_id);
    assert_int_equal(n, 0);
    assert_int_equal(store_claims_by_tin(fx->s, 'S', "523456788", "caltrecs",
                                         &found, &got, claims, 4, &n),
                     -ENOENT);
    /* a TIN no debtor can have is nobody's, not an error */
    assert_int_equal(store_claims_by_tin(fx->s, 'S', "52345678X", "caltrecs",
                                         &found, &got, claims, 4, &n),
                     -ENOENT);
    /* the listing opens every TIN */
    struct tin_list l = {0};
    assert_int_equal(store_debtor_tins(fx->s, list_tin, &l), 0);
    assert_int_equal(l.n, 2);
    assert_true(l.types[0] != l.types[1]);
    assert_string_equal(l.tins[0], "523456789");
    assert_string_equal(l.tins[1], "523456789");
}

static void test_moved_or_altered_sealed_tins_are_detected(void **state)
{
    struct fixture *fx = *state;
    int64_t id1, id2, id3;
    char type, tin[10], msg[256];
    struct tin_list l = {0};
    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "523456781", NULL, 0, &id1), 0);
    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "523456782", NULL, 0, &id2), 0);
    assert_int_equal(
        store_debtor_upsert(fx->s, 'S', "523456783", NULL, 0, &id3), 0);
    assert_int_equal(id1, 1);
    assert_int_equal(id2, 2);
    /* rows 1 and 2 swap their sealed TINs; row 3 claims to be an EIN */
    assert_int_equal(
        raw_sql(fx->path,
                "CREATE TEMP TABLE t AS SELECT id, tin_enc FROM debtors;"
                " UPDATE debtors SET tin_enc = (SELECT tin_enc FROM t"
                "  WHERE t.id = 3 - debtors.id) WHERE id IN (1, 2);"
                " UPDATE debtors SET tin_type = 'E' WHERE id = 3",
                msg, sizeof msg),
        SQLITE_OK);
    assert_int_equal(store_debtor_get(fx->s, id1, &type, tin), -EBADMSG);
    assert_non_null(strstr(store_error(fx->s), "does not authenticate"));
    assert_string_equal(tin, "");
    assert_int_equal(store_debtor_get(fx->s, id2, &type, tin), -EBADMSG);
    assert_int_equal(store_debtor_get(fx->s, id3, &type, tin), -EBADMSG);
    assert_int_equal(store_debtor_tins(fx->s, list_tin, &l), -EBADMSG);
    assert_int_equal(l.n, 0);
}

static void test_another_master_key_is_refused_clearly(void **state)
{
    struct fixture *fx = *state;
    struct aead_key other;
    struct store *s = NULL;
    char err[256];
    int64_t id;
    assert_int_equal(store_debtor_upsert(fx->s, 'S', "523456789", NULL, 0, &id),
                     0);
    store_close(fx->s);
    fx->s = NULL;
    tk_master_key(&other, 2);
    assert_int_equal(store_open_keyed(fx->path, 0, &other, &s, err, sizeof err),
                     -ENOKEY);
    assert_null(s);
    assert_non_null(strstr(err, "wrapped by master key"));
    assert_int_equal(tk_store_open(fx->path, &fx->s, err, sizeof err), 0);
}

static void test_store_without_the_master_key_refuses_tins(void **state)
{
    struct fixture *fx = *state;
    struct store *s = NULL;
    struct store_name got;
    struct store_claim claims[2];
    char err[256], type, tin[10];
    int64_t id, found;
    size_t n;
    assert_int_equal(store_debtor_upsert(fx->s, 'S', "523456789", NULL, 0, &id),
                     0);
    assert_int_equal(store_open(fx->path, &s, err, sizeof err), 0);
    assert_int_equal(store_debtor_upsert(s, 'S', "623456789", NULL, 0, &found),
                     -ENOKEY);
    assert_non_null(strstr(store_error(s), "without the master key"));
    assert_int_equal(store_debtor_get(s, id, &type, tin), -ENOKEY);
    assert_int_equal(store_claims_by_tin(s, 'S', "523456789", "caltrecs",
                                         &found, &got, claims, 2, &n),
                     -ENOKEY);
    /* the rest of the registry works */
    add_partner(s, "county-a", PARTNER_AGENCY, "caltrecs");
    store_close(s);
    assert_int_equal(count_rows(fx->path, "SELECT count(*) FROM debtors"), 1);
}

static void test_rewrapped_keys_open_under_the_new_master_only(void **state)
{
    struct fixture *fx = *state;
    struct aead_key k1, k2, k3;
    struct store *s = NULL;
    char err[256], type, tin[10];
    int64_t ids[3], id;
    static const char *const tins[] = {"523456781", "523456782", "523456783"};
    tk_master_key(&k1, 1);
    tk_master_key(&k2, 2);
    tk_master_key(&k3, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            store_debtor_upsert(fx->s, 'S', tins[i], NULL, 0, &ids[i]), 0);
    assert_int_equal(store_rewrap_keys(fx->s, &k1, &k2, err, sizeof err), 0);
    /* the open store keeps working: the keys did not change */
    assert_int_equal(store_debtor_get(fx->s, ids[1], &type, tin), 0);
    assert_string_equal(tin, tins[1]);
    /* again: already done, nothing to do */
    assert_int_equal(store_rewrap_keys(fx->s, &k1, &k2, err, sizeof err), 0);
    /* from a key that wraps nothing */
    assert_int_equal(store_rewrap_keys(fx->s, &k3, &k1, err, sizeof err),
                     -ENOKEY);
    assert_true(strlen(err) > 0);
    /* not inside a transaction of the caller's */
    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(store_rewrap_keys(fx->s, &k2, &k3, err, sizeof err),
                     -EINVAL);
    assert_int_equal(store_rollback(fx->s), 0);
    store_close(fx->s);
    fx->s = NULL;

    assert_int_equal(store_open_keyed(fx->path, 0, &k1, &s, err, sizeof err),
                     -ENOKEY);
    assert_null(s);
    assert_int_equal(
        store_open_keyed(fx->path, 0, &k2, &fx->s, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_debtor_get(fx->s, ids[i], &type, tin), 0);
        assert_string_equal(tin, tins[i]);
        /* the index key is the same: each TIN still finds its debtor */
        assert_int_equal(store_debtor_upsert(fx->s, 'S', tins[i], NULL, 0, &id),
                         0);
        assert_int_equal(id, ids[i]);
    }
    assert_int_equal(count_rows(fx->path, "SELECT count(*) FROM debtors"), 3);
    aead_key_wipe(&k1);
    aead_key_wipe(&k2);
    aead_key_wipe(&k3);
}

/* A registry of schema 13, TINs in the clear: its debtors are sealed by
 * the migration, keeping their ids (debts and old names point at them). */
static void test_version_13_registry_is_migrated_keeping_ids(void **state)
{
    struct fixture *fx = *state;
    char tins[2][10], sql[2048], msg[256], err[256], type, tin[10];
    struct store *s = NULL;
    struct store_debt d;
    struct store_name name;
    int64_t id;
    random_tins(tins, 2, tu_seed(0x13));
    int64_t a = add_partner(fx->s, "county-a", PARTNER_AGENCY, "caltrecs");
    store_close(fx->s);
    fx->s = NULL;
    snprintf(sql, sizeof sql,
             "DROP TABLE file_rejects; DROP INDEX admins_cert;"
             " ALTER TABLE admins DROP COLUMN cert_pem;"
             " ALTER TABLE admins DROP COLUMN cert_sha256;" DEBTORS_BEFORE_14
             "INSERT INTO debtors (id, tin_type, tin, last_name,"
             " name_control) VALUES (5, 'S', '%s', 'SMITH', 'SMIT'),"
             " (9, 'E', '%s', 'ACME', 'ACME'), (12, 'S', '%s', 'JONES',"
             " 'JONE');"
             "INSERT INTO debtor_names (debtor_id, last_name, name_control)"
             " VALUES (12, 'BROWN', 'BROW');"
             "INSERT INTO debts (partner_id, account, debtor_id, debt_type,"
             " original_cents, balance_cents, status) VALUES"
             " (%lld, 'ACC-5', 5, 'TX', 1000, 1000, 'P'),"
             " (%lld, 'ACC-12', 12, 'TX', 2000, 2000, 'P');"
             "PRAGMA user_version = 13",
             tins[0], tins[0], tins[1], (long long)a, (long long)a);
    assert_int_equal(raw_sql(fx->path, sql, msg, sizeof msg), SQLITE_OK);
    assert_true(registry_holds_a_tin(fx->path, tins, 2));

    /* without the master key the TINs cannot be sealed: not migrated */
    assert_true(store_open(fx->path, &s, err, sizeof err) < 0);
    assert_non_null(strstr(err, "master key"));
    assert_int_equal(count_rows(fx->path, "PRAGMA user_version"), 13);

    assert_int_equal(tk_store_open(fx->path, &fx->s, err, sizeof err), 0);
    assert_int_equal(store_schema_version(fx->s), STORE_SCHEMA_VERSION);
    assert_int_equal(store_debtor_get(fx->s, 5, &type, tin), 0);
    assert_int_equal(type, 'S');
    assert_string_equal(tin, tins[0]);
    assert_int_equal(store_debtor_get(fx->s, 9, &type, tin), 0);
    assert_int_equal(type, 'E');
    assert_string_equal(tin, tins[0]);
    assert_int_equal(store_debtor_get(fx->s, 12, &type, tin), 0);
    assert_string_equal(tin, tins[1]);
    assert_int_equal(store_debt_get(fx->s, a, "ACC-12", &d), 0);
    assert_int_equal(d.debtor_id, 12);
    /* found by TIN, as the same debtor, with its name */
    assert_int_equal(store_debtor_upsert(fx->s, 'S', tins[1], NULL, 0, &id), 0);
    assert_int_equal(id, 12);
    assert_int_equal(store_debtor_name(fx->s, 12, &name), 0);
    assert_string_equal(name.last, "JONES");
    assert_int_equal(count_rows(fx->path, "SELECT count(*) FROM debtor_names"
                                          " WHERE debtor_id = 12"),
                     1);
    /* a new debtor comes after the old ids */
    assert_int_equal(store_debtor_upsert(fx->s, 'S', "523456789", NULL, 0, &id),
                     0);
    assert_int_equal(id, 13);
    raw_text(fx->path, "PRAGMA foreign_key_check", msg, sizeof msg);
    assert_string_equal(msg, "");
    raw_text(fx->path, "PRAGMA integrity_check", msg, sizeof msg);
    assert_string_equal(msg, "ok");
    /* and the clear TINs are gone from the file, free pages included */
    assert_int_equal(tins_in_columns(fx->path, tins, 2), 0);
    assert_false(registry_holds_a_tin(fx->path, tins, 2));
    store_close(fx->s);
    fx->s = NULL;
    assert_false(registry_holds_a_tin(fx->path, tins, 2));
    assert_int_equal(tk_store_open(fx->path, &fx->s, err, sizeof err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_new_database_is_at_the_current_schema_in_wal),
        T(test_reopening_keeps_the_data),
        T(test_newer_schema_is_refused_with_a_message),
        T(test_version_1_database_is_migrated_keeping_its_data),
        T(test_busy_ms_sets_the_wait_for_a_write_lock),
        T(test_corrupt_database_is_an_error_not_an_empty_start),
        T(test_partners_are_added_found_disabled_and_listed),
        T(test_file_sha_finds_only_processed_inbound_files),
        T(test_debtor_is_one_per_tin_with_a_name_history),
        T(test_debt_changes_are_all_in_the_history),
        T(test_debt_rules_the_store_refuses),
        T(test_database_refuses_deleting_debts_or_editing_history),
        T(test_rollback_leaves_the_registry_as_it_was),
        T(test_changes_since_follow_program_and_high_water),
        T(test_address_requests_ask_once_until_the_debt_is_back_in_p),
        T(test_registry_keeps_no_tin_in_the_clear),
        T(test_tin_lookups_find_the_same_debtor),
        T(test_moved_or_altered_sealed_tins_are_detected),
        T(test_another_master_key_is_refused_clearly),
        T(test_store_without_the_master_key_refuses_tins),
        T(test_rewrapped_keys_open_under_the_new_master_only),
        T(test_version_13_registry_is_migrated_keeping_ids),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
