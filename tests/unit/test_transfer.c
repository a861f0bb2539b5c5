/*
 * test_transfer.c - the SFTP front end's tables (transfer.h): a key is
 * one partner's only, and lets in only that partner while it is enabled;
 * logins and transfers are logged as given, control characters cleaned,
 * never edited; the queue hands each upload out once, in order, and
 * takes back what a stop left running.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

#include "offsetgw/transfer.h"

struct fixture {
    char dir[64], path[128];
    struct store *s;
    int64_t county, city;
};

static int64_t add_partner(struct store *s, const char *name)
{
    struct store_partner p = {.kind = PARTNER_AGENCY, .enabled = true};
    int64_t id = 0;
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.program, sizeof p.program, "caltrecs");
    if (store_partner_add(s, &p, &id) < 0)
        return -1;
    return id;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256];
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-transfer-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/og.db", fx->dir);
    if (store_open(fx->path, &fx->s, err, sizeof err) < 0)
        return -1;
    fx->county = add_partner(fx->s, "county");
    fx->city = add_partner(fx->s, "city");
    *state = fx;
    return fx->county > 0 && fx->city > 0 ? 0 : -1;
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

static struct keys_public key(const char *b64, const char *fp)
{
    struct keys_public k = {.type = "ssh-ed25519"};
    snprintf(k.base64, sizeof k.base64, "%s", b64);
    snprintf(k.fingerprint, sizeof k.fingerprint, "%s", fp);
    snprintf(k.comment, sizeof k.comment, "someone@example");
    return k;
}

static int count_keys(const struct transfer_key *k, void *ctx)
{
    (void)k;
    (*(int *)ctx)++;
    return 0;
}

static void test_a_key_lets_in_its_partner_only_while_enabled(void **state)
{
    struct fixture *fx = *state;
    struct keys_public a = key("AAAAkeyA", "SHA256:a"),
                       b = key("AAAAkeyB", "SHA256:b");
    bool ok;
    int64_t who;
    int n = 0;
    assert_int_equal(transfer_key_add(fx->s, fx->county, &a), 0);
    assert_int_equal(transfer_key_add(fx->s, fx->county, &b), 0);
    /* one partner's only */
    assert_int_equal(transfer_key_add(fx->s, fx->city, &a), -EEXIST);
    assert_int_equal(transfer_key_list(fx->s, fx->county, count_keys, &n), 0);
    assert_int_equal(n, 2);

    assert_int_equal(transfer_key_allowed(fx->s, "county", &a, &ok, &who), 0);
    assert_true(ok);
    assert_int_equal(who, fx->county);
    assert_int_equal(transfer_key_allowed(fx->s, "city", &a, &ok, &who), 0);
    assert_false(ok);
    assert_int_equal(transfer_key_allowed(fx->s, "nobody", &a, &ok, &who), 0);
    assert_false(ok);
    assert_int_equal(who, 0);
    /* the same blob of another type is another key */
    struct keys_public other = a;
    snprintf(other.type, sizeof other.type, "ssh-rsa");
    assert_int_equal(transfer_key_allowed(fx->s, "county", &other, &ok, &who),
                     0);
    assert_false(ok);
    /* disabled: no key lets it in */
    assert_int_equal(store_partner_set_enabled(fx->s, "county", false), 0);
    assert_int_equal(transfer_key_allowed(fx->s, "county", &a, &ok, &who), 0);
    assert_false(ok);
    assert_int_equal(store_partner_set_enabled(fx->s, "county", true), 0);

    assert_int_equal(transfer_key_remove(fx->s, fx->county, "SHA256:a"), 0);
    assert_int_equal(transfer_key_remove(fx->s, fx->county, "SHA256:a"),
                     -ENOENT);
    assert_int_equal(transfer_key_allowed(fx->s, "county", &a, &ok, &who), 0);
    assert_false(ok);
    /* now city may have it */
    assert_int_equal(transfer_key_add(fx->s, fx->city, &a), 0);
}

struct rows {
    int n;
    struct transfer_row last;
};

static int collect(const struct transfer_row *t, void *ctx)
{
    struct rows *r = ctx;
    if (r->n++ == 0)
        r->last = *t;
    return 0;
}

static void test_logs_are_kept_as_given_and_never_edited(void **state)
{
    struct fixture *fx = *state;
    struct transfer_row up = {.partner_id = fx->county,
                              .kind = "upload",
                              .path = "/inbox/a.txt",
                              .bytes = 1234,
                              .duration_ms = 5,
                              .sha256 = "ab",
                              .status = 0,
                              .complete = true};
    struct transfer_row cut = {.partner_id = fx->county,
                               .kind = "upload",
                               .path = "/inbox/b.txt",
                               .bytes = 10,
                               .status = 4,
                               .message = "the connection ended"};
    struct transfer_row get = {.partner_id = fx->city,
                               .kind = "download",
                               .path = "/outbox/r.txt",
                               .status = 0};
    struct rows r = {0};
    assert_int_equal(transfer_login_add(fx->s, "county\nroot", "127.0.0.1",
                                        "SHA256:a", false,
                                        "no key the partner lists"),
                     0);
    assert_int_equal(transfer_add(fx->s, &up), 0);
    assert_int_equal(transfer_add(fx->s, &cut), 0);
    assert_int_equal(transfer_add(fx->s, &get), 0);

    struct transfer_filter all = {0};
    assert_int_equal(transfer_list(fx->s, &all, collect, &r), 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.last.path, "/outbox/r.txt"); /* newest first */
    assert_string_equal(r.last.partner, "city");
    memset(&r, 0, sizeof r);
    struct transfer_filter county = {.partner_id = fx->county};
    assert_int_equal(transfer_list(fx->s, &county, collect, &r), 0);
    assert_int_equal(r.n, 2);
    memset(&r, 0, sizeof r);
    struct transfer_filter failed = {.failed_only = true};
    assert_int_equal(transfer_list(fx->s, &failed, collect, &r), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.last.path, "/inbox/b.txt");
    assert_string_equal(r.last.message, "the connection ended");
    memset(&r, 0, sizeof r);
    struct transfer_filter later = {.since = "2999-01-01"};
    assert_int_equal(transfer_list(fx->s, &later, collect, &r), 0);
    assert_int_equal(r.n, 0);

    /* the login was logged with its user cleaned; neither log can be
     * edited */
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT user, ok FROM logins", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0),
                        "county?root");
    assert_int_equal(sqlite3_column_int(st, 1), 0);
    sqlite3_finalize(st);
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE transfers SET bytes = 0", NULL, NULL, &msg),
        SQLITE_OK);
    sqlite3_free(msg);
    assert_int_not_equal(
        sqlite3_exec(db, "DELETE FROM logins", NULL, NULL, &msg), SQLITE_OK);
    sqlite3_free(msg);
    sqlite3_close(db);
}

static void test_the_queue_hands_each_job_out_once_in_order(void **state)
{
    struct fixture *fx = *state;
    struct transfer_job j = {.partner_id = fx->county,
                             .bytes = 10,
                             .sha256 = "aa"},
                        got;
    int64_t id1, id2, n, counts[4], file_id;
    snprintf(j.name, sizeof j.name, "first.txt");
    snprintf(j.path, sizeof j.path, "/spool/1-first.txt");
    assert_int_equal(transfer_queue_add(fx->s, &j, &id1), 0);
    snprintf(j.name, sizeof j.name, "second.txt");
    assert_int_equal(transfer_queue_add(fx->s, &j, &id2), 0);

    assert_int_equal(transfer_queue_take(fx->s, &got), 0);
    assert_int_equal(got.id, id1);
    assert_string_equal(got.name, "first.txt");
    assert_string_equal(got.path, "/spool/1-first.txt");
    assert_int_equal(got.state, JOB_RUNNING);
    assert_int_equal(transfer_queue_counts(fx->s, counts), 0);
    assert_int_equal(counts[JOB_QUEUED], 1);
    assert_int_equal(counts[JOB_RUNNING], 1);

    /* a stop with the first running: it is queued again, still first */
    assert_int_equal(transfer_queue_recover(fx->s, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(transfer_queue_take(fx->s, &got), 0);
    assert_int_equal(got.id, id1);
    assert_int_equal(transfer_queue_finish(fx->s, id1, JOB_DONE, "accepted"),
                     0);
    assert_int_equal(transfer_queue_take(fx->s, &got), 0);
    assert_int_equal(got.id, id2);
    assert_int_equal(transfer_queue_finish(fx->s, id2, JOB_FAILED, "bad"), 0);
    assert_int_equal(transfer_queue_take(fx->s, &got), -ENOENT);
    assert_int_equal(transfer_queue_counts(fx->s, counts), 0);
    assert_int_equal(counts[JOB_DONE], 1);
    assert_int_equal(counts[JOB_FAILED], 1);

    /* an upload's digest in the log is its job's file's */
    struct transfer_row up = {.partner_id = fx->county,
                              .kind = "upload",
                              .path = "/inbox/first.txt",
                              .complete = true,
                              .queue_id = id1};
    assert_int_equal(transfer_add(fx->s, &up), 0);
    /* a job's file, once its work committed */
    assert_int_equal(transfer_queue_file(fx->s, id1, &file_id), 0);
    assert_int_equal(file_id, 0);
    struct store_file f = {.partner_id = fx->county, .status = FILE_RECEIVED};
    int64_t fid;
    memset(f.sha256, 'c', 64);
    snprintf(f.name, sizeof f.name, "first.txt");
    snprintf(f.exchange, sizeof f.exchange, "agency-debt");
    snprintf(f.layout, sizeof f.layout, "x.xml");
    assert_int_equal(store_file_add(fx->s, &f, &fid), 0);
    assert_int_equal(transfer_queue_mark_file(fx->s, fid, id1), 0);
    assert_int_equal(transfer_queue_file(fx->s, id1, &file_id), 0);
    assert_int_equal(file_id, fid);
    struct rows r = {0};
    struct transfer_filter all = {0};
    assert_int_equal(transfer_list(fx->s, &all, collect, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(strspn(r.last.sha256, "c"), 64);
    /* a delivered file's digest, by its name */
    char sha[65];
    struct store_file out = {
        .partner_id = fx->county, .outbound = true, .status = FILE_SENT};
    memset(out.sha256, 'd', 64);
    snprintf(out.name, sizeof out.name, "first.txt.1.ack");
    snprintf(out.exchange, sizeof out.exchange, "agency-ack");
    snprintf(out.layout, sizeof out.layout, "x.xml");
    assert_int_equal(store_file_add(fx->s, &out, NULL), 0);
    assert_int_equal(
        transfer_outbound_sha(fx->s, fx->county, "first.txt.1.ack", sha), 0);
    assert_int_equal(strspn(sha, "d"), 64);
    assert_int_equal(
        transfer_outbound_sha(fx->s, fx->city, "first.txt.1.ack", sha),
        -ENOENT);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_key_lets_in_its_partner_only_while_enabled),
        T(test_logs_are_kept_as_given_and_never_edited),
        T(test_the_queue_hands_each_job_out_once_in_order),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
