/*
 * test_account.c - the console's admin accounts (account.h): yescrypt
 * hashes with their own salts; a login with the right password, a wrong
 * one, an unknown name; five failures lock the account, the right
 * password included, until the lock ends; a new password unlocks it; the
 * password and name rules; a client certificate logs its admin in, is
 * one admin's only, does not unlock a locked account, and can be removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/account.h"

#define NOW ((time_t)1800000000)

struct fixture {
    char dir[64], path[128];
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256];
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-account-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/og.db", fx->dir);
    if (store_open(fx->path, &fx->s, err, sizeof err) < 0 ||
        account_add(fx->s, "alice", "correct horse battery", err, sizeof err) <
            0)
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
    int rc = system(cmd) == 0 ? 0 : -1;
    free(fx);
    return rc;
}

static enum account_verdict login(struct fixture *fx, const char *name,
                                  const char *password, time_t now)
{
    enum account_verdict v;
    char err[256];
    assert_int_equal(
        account_login(fx->s, name, password, now, &v, NULL, err, sizeof err),
        0);
    return v;
}

static void test_the_hash_is_yescrypt_salted(void **state)
{
    struct fixture *fx = *state;
    char a[ACCOUNT_HASH_MAX], b[ACCOUNT_HASH_MAX], err[256];
    struct store_admin row;
    assert_int_equal(account_hash("x", "correct horse battery", a, sizeof a,
                                  err, sizeof err),
                     0);
    assert_int_equal(account_hash("x", "correct horse battery", b, sizeof b,
                                  err, sizeof err),
                     0);
    assert_int_equal(strncmp(a, "$y$", 3), 0);
    assert_string_not_equal(a, b); /* a salt of its own each time */
    assert_int_equal(store_admin_get(fx->s, "alice", &row), 0);
    assert_int_equal(strncmp(row.hash, "$y$", 3), 0);
    assert_null(strstr(row.hash, "horse"));
}

static void test_right_wrong_and_unknown(void **state)
{
    struct fixture *fx = *state;
    struct store_admin row;
    assert_int_equal(login(fx, "alice", "correct horse battery", NOW),
                     ACCOUNT_OK);
    assert_int_equal(store_admin_get(fx->s, "alice", &row), 0);
    assert_true(row.last_login[0] != '\0');
    assert_int_equal(login(fx, "alice", "Correct horse battery", NOW),
                     ACCOUNT_BAD);
    assert_int_equal(login(fx, "bob", "correct horse battery", NOW),
                     ACCOUNT_BAD);
    /* a right password clears the failures */
    assert_int_equal(store_admin_get(fx->s, "alice", &row), 0);
    assert_int_equal(row.failures, 1);
    assert_int_equal(login(fx, "alice", "correct horse battery", NOW),
                     ACCOUNT_OK);
    assert_int_equal(store_admin_get(fx->s, "alice", &row), 0);
    assert_int_equal(row.failures, 0);
}

static void test_five_failures_lock_until_the_lock_ends(void **state)
{
    struct fixture *fx = *state;
    enum account_verdict v;
    time_t until = 0;
    char err[256];
    for (int i = 1; i < ACCOUNT_MAX_FAILURES; i++)
        assert_int_equal(login(fx, "alice", "wrong password!", NOW + i),
                         ACCOUNT_BAD);
    assert_int_equal(account_login(fx->s, "alice", "wrong password!", NOW + 10,
                                   &v, &until, err, sizeof err),
                     0);
    assert_int_equal(v, ACCOUNT_LOCKED);
    assert_int_equal(until, NOW + 10 + ACCOUNT_LOCK_S);
    /* locked: even the right password is refused */
    assert_int_equal(login(fx, "alice", "correct horse battery", NOW + 11),
                     ACCOUNT_LOCKED);
    assert_int_equal(login(fx, "alice", "correct horse battery", until - 1),
                     ACCOUNT_LOCKED);
    /* after the lock: in again */
    assert_int_equal(login(fx, "alice", "correct horse battery", until),
                     ACCOUNT_OK);
    /* a new password unlocks at once */
    for (int i = 0; i < ACCOUNT_MAX_FAILURES; i++)
        login(fx, "alice", "wrong password!", until + 1);
    assert_int_equal(login(fx, "alice", "correct horse battery", until + 2),
                     ACCOUNT_LOCKED);
    assert_int_equal(
        account_passwd(fx->s, "alice", "a brand new secret", err, sizeof err),
        0);
    assert_int_equal(login(fx, "alice", "a brand new secret", until + 3),
                     ACCOUNT_OK);
    assert_int_equal(login(fx, "alice", "correct horse battery", until + 4),
                     ACCOUNT_BAD);
}

static void test_the_rules(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    assert_int_equal(
        account_add(fx->s, "alice", "another long one", err, sizeof err),
        -EEXIST);
    assert_int_equal(account_add(fx->s, "bob", "short", err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "10 to 256"));
    assert_int_equal(
        account_add(fx->s, "bobbybobby", "bobbybobby", err, sizeof err),
        -EINVAL);
    assert_int_equal(
        account_add(fx->s, "Bob Smith", "long enough pass", err, sizeof err),
        -EINVAL);
    assert_int_equal(
        account_passwd(fx->s, "nobody", "long enough pass", err, sizeof err),
        -ENOENT);
    assert_int_equal(store_admin_remove(fx->s, "alice"), 0);
    assert_int_equal(login(fx, "alice", "correct horse battery", NOW),
                     ACCOUNT_BAD);
    assert_int_equal(store_admin_remove(fx->s, "alice"), -ENOENT);
}

static enum account_verdict login_cert(struct fixture *fx, const char *fp,
                                       time_t now, char *name)
{
    enum account_verdict v;
    char err[256];
    assert_int_equal(
        account_login_cert(fx->s, fp, now, &v, name, err, sizeof err), 0);
    return v;
}

static void test_client_certificate_logins(void **state)
{
    struct fixture *fx = *state;
    static const char fp[] = "SHA256:0123456789abcdef0123456789abcdef"
                             "0123456789abcdef0123456789abcdef";
    char err[256], name[STORE_NAME_MAX];
    struct store_admin row;
    assert_int_equal(
        account_add(fx->s, "bob", "another long secret", err, sizeof err), 0);
    /* none registered: nobody */
    assert_int_equal(login_cert(fx, fp, NOW, name), ACCOUNT_BAD);
    assert_string_equal(name, "");
    assert_int_equal(
        account_set_cert(fx->s, "alice", fp, "PEM", err, sizeof err), 0);
    assert_int_equal(login_cert(fx, fp, NOW, name), ACCOUNT_OK);
    assert_string_equal(name, "alice");
    assert_int_equal(store_admin_get(fx->s, "alice", &row), 0);
    assert_string_equal(row.cert_sha256, fp);
    assert_true(row.last_login[0] != '\0');
    /* one admin's only; an unknown admin */
    assert_int_equal(account_set_cert(fx->s, "bob", fp, "PEM", err, sizeof err),
                     -EEXIST);
    assert_int_equal(
        account_set_cert(fx->s, "nobody", "SHA256:ff", "PEM", err, sizeof err),
        -ENOENT);
    /* locked by passwords: the certificate does not get in either */
    for (int i = 0; i < ACCOUNT_MAX_FAILURES; i++)
        login(fx, "alice", "wrong password!", NOW + 1);
    assert_int_equal(login_cert(fx, fp, NOW + 2, name), ACCOUNT_LOCKED);
    assert_int_equal(login_cert(fx, fp, NOW + 2 + ACCOUNT_LOCK_S, name),
                     ACCOUNT_OK);
    /* removed: no longer */
    assert_int_equal(account_set_cert(fx->s, "alice", "", "", err, sizeof err),
                     0);
    assert_int_equal(login_cert(fx, fp, NOW + 3 + ACCOUNT_LOCK_S, name),
                     ACCOUNT_BAD);
    /* an empty fingerprint never matches the admins without one */
    assert_int_equal(login_cert(fx, "", NOW + 4 + ACCOUNT_LOCK_S, name),
                     ACCOUNT_BAD);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_the_hash_is_yescrypt_salted),
        T(test_right_wrong_and_unknown),
        T(test_five_failures_lock_until_the_lock_ends),
        T(test_the_rules),
        T(test_client_certificate_logins),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
