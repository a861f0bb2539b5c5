/*
 * test_audit.c - the audit trail (audit.h): an intact chain verifies;
 * each kind of tampering an intruder with the database but not the key
 * could do (a row edited, deleted from the middle or the end, inserted,
 * renumbered, two rows swapped) is found at the first row it touches;
 * another key finds the first row; the key file is made 0600 and refused
 * when it is readable by others or the wrong size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

#include "offsetgw/audit.h"

struct fixture {
    char dir[64];
    struct home h;
    struct store *s;
    struct audit_key k;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-audit-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        audit_key_load(&fx->h, true, &fx->k, err, sizeof err) < 0)
        return -1;
    for (int i = 1; i <= 10; i++) {
        char subject[32];
        snprintf(subject, sizeof subject, "/inbox/file-%d.txt", i);
        if (audit_append(&fx->h, fx->s, &fx->k, "partner:county",
                         i % 2 ? "file-received" : "login", subject,
                         "sha256 abc", err, sizeof err) < 0)
            return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    store_close(fx->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd) == 0 ? 0 : -1;
    free(fx);
    return rc;
}

/* As an intruder with the database would: the triggers dropped first. */
static void tamper(struct fixture *fx, const char *sql)
{
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(fx->h.db, &db), SQLITE_OK);
    int rc = sqlite3_exec(db,
                          "DROP TRIGGER IF EXISTS audit_no_update;"
                          "DROP TRIGGER IF EXISTS audit_no_delete;",
                          NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static struct audit_report verify(struct fixture *fx, const struct audit_key *k)
{
    struct audit_report r;
    char err[256];
    assert_int_equal(audit_verify(&fx->h, fx->s, k, &r, err, sizeof err), 0);
    return r;
}

static void test_an_intact_chain_verifies(void **state)
{
    struct fixture *fx = *state;
    struct audit_report r = verify(fx, &fx->k);
    assert_int_equal(r.rows, 10);
    assert_int_equal(r.broken_seq, 0);
    /* the triggers refuse honest edits */
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(fx->h.db, &db), SQLITE_OK);
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE audit SET detail = 'x'", NULL, NULL, &msg),
        SQLITE_OK);
    sqlite3_free(msg);
    sqlite3_close(db);
}

static void test_each_kind_of_tampering_is_found_where_it_starts(void **state)
{
    static const struct {
        const char *what, *sql;
        int64_t broken;
    } cases[] = {
        {"an edited detail",
         "UPDATE audit SET detail = 'sha256 def' WHERE seq = 4", 4},
        {"an edited actor", "UPDATE audit SET actor = 'admin' WHERE seq = 1",
         1},
        {"an edited time",
         "UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE seq = 10", 10},
        {"a row deleted from the middle", "DELETE FROM audit WHERE seq = 5", 6},
        {"rows deleted from the end", "DELETE FROM audit WHERE seq >= 9", 9},
        {"every row deleted", "DELETE FROM audit", 1},
        {"a row appended with a made-up MAC",
         "INSERT INTO audit VALUES (11, '2026-11-26T00:00:00Z', 'x', 'y', '',"
         " '', '" /* 64 hex */
         "0000000000000000000000000000000000000000000000000000000000000000')",
         11},
        {"a row slipped in, the ones after renumbered",
         "UPDATE audit SET seq = seq + 100 WHERE seq >= 6;"
         "UPDATE audit SET seq = seq - 99 WHERE seq >= 106;"
         "INSERT INTO audit SELECT 6, at, actor, action, subject, detail, mac"
         " FROM audit WHERE seq = 5",
         6},
        {"two rows swapped",
         "UPDATE audit SET seq = 100 WHERE seq = 3;"
         "UPDATE audit SET seq = 3 WHERE seq = 7;"
         "UPDATE audit SET seq = 7 WHERE seq = 100",
         3},
    };
    struct fixture *fx = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/clean.db", fx->dir);
    /* one pristine copy; each case tampers with a fresh one */
    store_close(fx->s);
    fx->s = NULL;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", fx->h.db, path);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[256];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'",
                 path, fx->h.db, fx->h.db, fx->h.db);
        assert_int_equal(system(cmd), 0);
        tamper(fx, cases[i].sql);
        assert_int_equal(home_open_store(&fx->h, &fx->s, err, sizeof err), 0);
        struct audit_report r = verify(fx, &fx->k);
        if (r.broken_seq != cases[i].broken)
            fail_msg("%s: broken at %lld (%s), expected %lld", cases[i].what,
                     (long long)r.broken_seq, r.why,
                     (long long)cases[i].broken);
        assert_true(r.why[0] != '\0');
        store_close(fx->s);
        fx->s = NULL;
    }
    char err[256];
    assert_int_equal(home_open_store(&fx->h, &fx->s, err, sizeof err), 0);
}

static void test_another_key_breaks_the_first_row(void **state)
{
    struct fixture *fx = *state;
    struct audit_key other = fx->k;
    other.k[0] ^= 1;
    struct audit_report r = verify(fx, &other);
    assert_int_equal(r.broken_seq, 1);
}

static void test_text_is_cleaned_and_the_chain_goes_on(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    assert_int_equal(audit_append(&fx->h, fx->s, &fx->k, "partner:x\ny",
                                  "login", "127.0.0.1", "a\tb", err,
                                  sizeof err),
                     0);
    struct store_audit_row last;
    assert_int_equal(store_audit_last(fx->s, &last), 0);
    assert_int_equal(last.seq, 11);
    assert_string_equal(last.actor, "partner:x?y");
    assert_string_equal(last.detail, "a?b");
    assert_int_equal(verify(fx, &fx->k).broken_seq, 0);
    /* inside the caller's transaction, rolled back: nothing stays */
    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(audit_append(&fx->h, fx->s, &fx->k, "cli", "key-add",
                                  "county", "", err, sizeof err),
                     0);
    assert_int_equal(store_rollback(fx->s), 0);
    assert_int_equal(store_audit_last(fx->s, &last), 0);
    assert_int_equal(last.seq, 11);
    assert_int_equal(verify(fx, &fx->k).broken_seq, 0);
}

static void test_the_key_file_is_private_and_whole(void **state)
{
    struct fixture *fx = *state;
    char path[HOME_PATH_MAX + 16], err[256];
    struct audit_key again;
    struct stat st;
    snprintf(path, sizeof path, "%s/audit.key", fx->h.keys);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(audit_key_load(&fx->h, false, &again, err, sizeof err), 0);
    assert_memory_equal(again.k, fx->k.k, AUDIT_KEY_BYTES);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(audit_key_load(&fx->h, false, &again, err, sizeof err),
                     -EPERM);
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(truncate(path, 16), 0);
    assert_int_equal(audit_key_load(&fx->h, false, &again, err, sizeof err),
                     -EINVAL);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(audit_key_load(&fx->h, false, &again, err, sizeof err),
                     -ENOENT);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_an_intact_chain_verifies),
        T(test_each_kind_of_tampering_is_found_where_it_starts),
        T(test_another_key_breaks_the_first_row),
        T(test_text_is_cleaned_and_the_chain_goes_on),
        T(test_the_key_file_is_private_and_whole),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
