/*
 * test_outbox.c - outputs are never seen half-written, and a crash at any
 * step leaves either no output or the whole one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/digest.h"
#include "offsetgw/outbox.h"

struct fixture {
    char dir[64];
    struct home h;
    struct store *s;
    int64_t partner;
    int64_t file;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-outbox-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    struct store_partner p = {.kind = PARTNER_AGENCY, .enabled = true};
    snprintf(p.name, sizeof p.name, "county-a");
    snprintf(p.program, sizeof p.program, "caltrecs");
    struct store_file f = {.status = FILE_SENT, .outbound = true};
    memset(f.sha256, 'c', 64);
    snprintf(f.name, sizeof f.name, "ack.txt");
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        store_partner_add(fx->s, &p, &fx->partner) < 0 ||
        home_create_partner(&fx->h, "county-a", err, sizeof err) < 0)
        return -1;
    f.partner_id = fx->partner;
    if (store_file_add(fx->s, &f, &fx->file) < 0)
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

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int count_files(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 0", dir);
    return system(cmd) == 0 ? 0 : 1;
}

static void write_output(struct fixture *fx, const char *name,
                         struct outbox_file *f)
{
    char err[256];
    assert_int_equal(outbox_open(&fx->h, "county-a", name, f, err, sizeof err),
                     0);
    fputs("A|hello\n", f->fp);
    assert_int_equal(outbox_seal(f, err, sizeof err), 0);
}

static void test_output_appears_only_after_commit_and_delivery(void **state)
{
    struct fixture *fx = *state;
    struct outbox_file f;
    char err[256], sha[65];

    write_output(fx, "ack.txt", &f);
    assert_true(exists(f.tmp_path));
    assert_false(exists(f.final_path));
    assert_int_equal(f.bytes, 8);
    assert_int_equal(digest_sha256("A|hello\n", 8, sha), 0);
    assert_string_equal(f.sha256, sha);
    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(outbox_register(fx->s, fx->file, &f), 0);
    assert_int_equal(store_commit(fx->s), 0);
    assert_false(exists(f.final_path));
    assert_int_equal(outbox_deliver_pending(fx->s, err, sizeof err), 0);
    assert_true(exists(f.final_path));
    assert_false(exists(f.tmp_path));
    struct stat st;
    assert_int_equal(stat(f.final_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* killed after the commit, before the rename: recovery delivers */
static void test_committed_output_is_delivered_by_recovery(void **state)
{
    struct fixture *fx = *state;
    struct outbox_file f;
    char err[256];

    write_output(fx, "ack.txt", &f);
    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(outbox_register(fx->s, fx->file, &f), 0);
    assert_int_equal(store_commit(fx->s), 0);
    assert_int_equal(outbox_recover(&fx->h, fx->s, err, sizeof err), 0);
    assert_true(exists(f.final_path));
    assert_false(exists(f.tmp_path));
    /* and it is not delivered twice */
    assert_int_equal(outbox_recover(&fx->h, fx->s, err, sizeof err), 0);
    assert_true(exists(f.final_path));
}

/* killed before the commit: recovery removes the temporary file and no
 * output ever appears */
static void test_uncommitted_output_is_swept_by_recovery(void **state)
{
    struct fixture *fx = *state;
    struct outbox_file f;
    char err[256], tmp_dir[HOME_PATH_MAX];

    write_output(fx, "ack.txt", &f);
    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(outbox_register(fx->s, fx->file, &f), 0);
    assert_int_equal(store_rollback(fx->s), 0);
    assert_int_equal(outbox_recover(&fx->h, fx->s, err, sizeof err), 0);
    assert_false(exists(f.tmp_path));
    assert_false(exists(f.final_path));
    assert_int_equal(home_box_path(&fx->h, "county-a", "outbox/.tmp", tmp_dir,
                                   sizeof tmp_dir),
                     0);
    assert_int_equal(count_files(tmp_dir), 0);
}

/* killed after the rename, before it was marked: recovery only marks */
static void test_renamed_but_unmarked_output_is_marked(void **state)
{
    struct fixture *fx = *state;
    struct outbox_file f;
    char err[256];

    write_output(fx, "ack.txt", &f);
    assert_int_equal(store_begin(fx->s), 0);
    assert_int_equal(outbox_register(fx->s, fx->file, &f), 0);
    assert_int_equal(store_commit(fx->s), 0);
    assert_int_equal(rename(f.tmp_path, f.final_path), 0);
    assert_int_equal(outbox_recover(&fx->h, fx->s, err, sizeof err), 0);
    assert_true(exists(f.final_path));
}

static void test_names_with_paths_are_refused(void **state)
{
    struct fixture *fx = *state;
    struct outbox_file f;
    char err[256];
    assert_true(outbox_open(&fx->h, "county-a", "../x", &f, err, sizeof err) <
                0);
    assert_true(
        outbox_open(&fx->h, "county-a", ".hidden", &f, err, sizeof err) < 0);
    assert_true(outbox_open(&fx->h, "../county-a", "x", &f, err, sizeof err) <
                0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_output_appears_only_after_commit_and_delivery),
        T(test_committed_output_is_delivered_by_recovery),
        T(test_uncommitted_output_is_swept_by_recovery),
        T(test_renamed_but_unmarked_output_is_marked),
        T(test_names_with_paths_are_refused),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
