/*
 * test_retention.c - purging partners' old files (retention.h): a
 * partner's outbox files and received uploads older than its retention
 * days go, each audited; recent files, outbox/.tmp, uploads whose job is
 * queued or that no job names, and every file of a partner that keeps
 * all, stay; a dry run removes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/retention.h"
#include "offsetgw/transfer.h"

#define NOW ((time_t)1800000000)
#define DAY 86400

struct fixture {
    char dir[64];
    struct home h;
    struct store *s;
    struct audit_key k;
    struct store_partner county, city;
};

static void put(struct fixture *fx, const char *partner, const char *box,
                const char *name, time_t mtime, char *path, size_t size)
{
    char dir[HOME_PATH_MAX];
    assert_int_equal(home_box_path(&fx->h, partner, box, dir, sizeof dir), 0);
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("x\n", f);
    fclose(f);
    struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int add(struct fixture *fx, struct store_partner *p, const char *name,
               int days)
{
    char err[256];
    *p = (struct store_partner){.kind = PARTNER_AGENCY, .enabled = true};
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->program, sizeof p->program, "caltrecs");
    if (store_partner_add(fx->s, p, &p->id) < 0 ||
        home_create_partner(&fx->h, name, err, sizeof err) < 0)
        return -1;
    return store_partner_set_retention(fx->s, name, days);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-retention-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        audit_key_load(&fx->h, true, &fx->k, err, sizeof err) < 0 ||
        add(fx, &fx->county, "county", 2) < 0 ||
        add(fx, &fx->city, "city", 0) < 0)
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

static int64_t queue(struct fixture *fx, const char *path,
                     enum transfer_job_state state)
{
    struct transfer_job j = {.partner_id = fx->county.id, .bytes = 2};
    int64_t id;
    snprintf(j.name, sizeof j.name, "f.txt");
    snprintf(j.path, sizeof j.path, "%s", path);
    assert_int_equal(transfer_queue_add(fx->s, &j, &id), 0);
    if (state != JOB_QUEUED)
        assert_int_equal(transfer_queue_finish(fx->s, id, state, "x"), 0);
    return id;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static int count_purged(const struct store_audit_row *r, void *ctx)
{
    *(int *)ctx += strcmp(r->action, "file-purged") == 0;
    return 0;
}

static void test_old_files_go_the_rest_stay(void **state)
{
    struct fixture *fx = *state;
    char old_out[600], new_out[600], tmp[600], done[600], busy[600],
        orphan[600], failed[600], city_old[600], err[256];
    put(fx, "county", "outbox", "old.ack", NOW - 3 * DAY, old_out,
        sizeof old_out);
    put(fx, "county", "outbox", "new.ack", NOW - DAY, new_out, sizeof new_out);
    put(fx, "county", "outbox/.tmp", "half", NOW - 9 * DAY, tmp, sizeof tmp);
    put(fx, "county", "received", "a1.done.txt", NOW - 5 * DAY, done,
        sizeof done);
    put(fx, "county", "received", "a2.failed.txt", NOW - 5 * DAY, failed,
        sizeof failed);
    put(fx, "county", "received", "a3.busy.txt", NOW - 5 * DAY, busy,
        sizeof busy);
    put(fx, "county", "received", "a4.orphan.txt", NOW - 5 * DAY, orphan,
        sizeof orphan);
    put(fx, "city", "outbox", "ancient.ack", NOW - 900 * DAY, city_old,
        sizeof city_old);
    queue(fx, done, JOB_DONE);
    queue(fx, failed, JOB_FAILED);
    queue(fx, busy, JOB_QUEUED);

    struct retention_result res;
    /* a dry run: counted, nothing removed, nothing audited */
    assert_int_equal(retention_purge(&fx->h, fx->s, &fx->k, "gateway", NOW,
                                     true, NULL, NULL, &res, err, sizeof err),
                     0);
    assert_int_equal(res.files, 3);
    assert_true(exists(old_out) && exists(done) && exists(failed));
    int purged = 0;
    assert_int_equal(store_audit_each(fx->s, count_purged, &purged), 0);
    assert_int_equal(purged, 0);

    assert_int_equal(retention_purge(&fx->h, fx->s, &fx->k, "gateway", NOW,
                                     false, NULL, NULL, &res, err, sizeof err),
                     0);
    assert_int_equal(res.files, 3);
    assert_int_equal(res.bytes, 6);
    assert_int_equal(res.kept_busy, 2); /* the queued one and the orphan */
    assert_false(exists(old_out));
    assert_false(exists(done));
    assert_false(exists(failed));
    assert_true(exists(new_out));
    assert_true(exists(tmp));
    assert_true(exists(busy));
    assert_true(exists(orphan));
    assert_true(exists(city_old)); /* city keeps everything */
    assert_int_equal(store_audit_each(fx->s, count_purged, &purged), 0);
    assert_int_equal(purged, 3);
    struct store_audit_row last;
    assert_int_equal(store_audit_last(fx->s, &last), 0);
    assert_string_equal(last.actor, "gateway");
    assert_non_null(strstr(last.subject, "/received/"));
    /* the chain holds */
    struct audit_report rep;
    assert_int_equal(audit_verify(&fx->h, fx->s, &fx->k, &rep, err, sizeof err),
                     0);
    assert_int_equal(rep.broken_seq, 0);
    /* again: nothing more */
    assert_int_equal(retention_purge(&fx->h, fx->s, &fx->k, "gateway", NOW,
                                     false, NULL, NULL, &res, err, sizeof err),
                     0);
    assert_int_equal(res.files, 0);
}

static void test_a_symlink_or_folder_is_never_purged(void **state)
{
    struct fixture *fx = *state;
    char dir[HOME_PATH_MAX], link[HOME_PATH_MAX + 32], sub[HOME_PATH_MAX + 32];
    char victim[600], err[256];
    struct retention_result res;
    put(fx, "city", "outbox", "victim", NOW - 9 * DAY, victim, sizeof victim);
    assert_int_equal(home_box_path(&fx->h, "county", "outbox", dir, sizeof dir),
                     0);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(symlink(victim, link), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    struct timespec ts[2] = {{.tv_sec = NOW - 9 * DAY},
                             {.tv_sec = NOW - 9 * DAY}};
    assert_int_equal(utimensat(AT_FDCWD, link, ts, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(utimensat(AT_FDCWD, sub, ts, 0), 0);
    assert_int_equal(retention_purge(&fx->h, fx->s, &fx->k, "gateway", NOW,
                                     false, NULL, NULL, &res, err, sizeof err),
                     0);
    assert_int_equal(res.files, 0);
    assert_true(exists(victim));
    assert_true(exists(sub));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_old_files_go_the_rest_stay),
        T(test_a_symlink_or_folder_is_never_purged),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
