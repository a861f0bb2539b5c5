/*
 * test_faults.c - the upload queue (pipeline.h) with each call on its
 * path made to fail in turn (failpoint.h; built with --enable-failpoints
 * only).  An upload is queued and run (enqueue, take, the work, its
 * outputs, finish) once cleanly to count the calls of each kind; then,
 * on a fresh home each time, once per call with that call failing.
 * After each: the failure was reported, the registry holds the file's
 * work entirely or not at all, no outbox shows a file the registry did
 * not commit, and after a restart (pipeline_recover) and a new upload
 * where the first never got queued, the file is processed exactly once.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/digest.h"
#include "offsetgw/failpoint.h"
#include "offsetgw/pipeline.h"
#include "offsetgw/synth.h"
#include "offsetgw/transfer.h"

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct store_partner county;
    struct pipeline_env env;
};

static struct fixture *fixture_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    const char *formats = getenv("OG_FORMATS");
    assert_non_null(fx);
    assert_non_null(formats);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-faults-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    fx->county =
        (struct store_partner){.kind = PARTNER_AGENCY, .enabled = true};
    snprintf(fx->county.name, sizeof fx->county.name, "county");
    snprintf(fx->county.program, sizeof fx->county.program, "caltrecs");
    snprintf(fx->county.agency_code, sizeof fx->county.agency_code, "CNTY1");
    assert_int_equal(home_init(&fx->h, root), 0);
    assert_int_equal(home_create(&fx->h, err, sizeof err), 0);
    assert_int_equal(home_open_store(&fx->h, &fx->s, err, sizeof err), 0);
    assert_int_equal(store_partner_add(fx->s, &fx->county, &fx->county.id), 0);
    assert_int_equal(home_create_partner(&fx->h, "county", err, sizeof err), 0);
    fx->env = (struct pipeline_env){&fx->h, fx->s, fx->programs};
    return fx;
}

static void fixture_free(struct fixture *fx)
{
    char cmd[128];
    store_close(fx->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
}

/* "Upload" a synthetic agency file of 8 records, 2 of them bad, as
 * debts.txt into the inbox; its SHA-256 into SHA, its size returned. */
static int64_t upload(struct fixture *fx, char sha[65])
{
    struct layout_problems probs = {0};
    struct profile *p = profile_load_program(fx->programs, "caltrecs", &probs);
    char path[HOME_PATH_MAX + 300], err[256], layout[HOME_PATH_MAX];
    assert_non_null(p);
    assert_int_equal(
        profile_exchange_path(p, "agency-debt", NULL, layout, sizeof layout),
        0);
    struct layout *l = layout_load(layout, &probs);
    assert_non_null(l);
    assert_int_equal(
        home_box_path(&fx->h, "county", "inbox", path, sizeof path), 0);
    strcat(path, "/debts.txt");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct synth_options o = {.profile = p,
                              .layout = l,
                              .records = 8,
                              .bad_per_mille = 250,
                              .seed = 5,
                              .agency_code = "CNTY1"};
    struct synth_result res;
    assert_int_equal(synth_agency_debt(&o, f, &res, err, sizeof err), 0);
    assert_int_equal(fclose(f), 0);
    layout_free(l);
    profile_free(p);
    layout_problems_release(&probs);
    size_t len;
    char *text = tu_read_file(path, &len);
    assert_int_equal(digest_sha256(text, len, sha), 0);
    free(text);
    return (int64_t)len;
}

/* What the test compares of the registry: rows of the work's tables and
 * the money, through a connection of its own. */
struct shape {
    int64_t files, debts, debtors, history, outputs, cents;
};

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static struct shape shape_of(struct fixture *fx)
{
    sqlite3 *db = NULL;
    struct shape sh;
    assert_int_equal(sqlite3_open_v2(fx->h.db, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    sh.files = scalar(db, "SELECT count(*) FROM files");
    sh.debts = scalar(db, "SELECT count(*) FROM debts");
    sh.debtors = scalar(db, "SELECT count(*) FROM debtors");
    sh.history = scalar(db, "SELECT count(*) FROM debt_history");
    sh.outputs = scalar(db, "SELECT count(*) FROM outputs");
    sh.cents = scalar(db, "SELECT coalesce(sum(amount_cents), 0) FROM files");
    sqlite3_close(db);
    return sh;
}

static bool same(const struct shape *a, const struct shape *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

/* Every file a partner can see in the outbox is an output the registry
 * committed; how many there are into *N. */
static bool outbox_committed(struct fixture *fx, int *n)
{
    char dir[HOME_PATH_MAX], cmd[HOME_PATH_MAX * 2 + 256];
    assert_int_equal(home_box_path(&fx->h, "county", "outbox", dir, sizeof dir),
                     0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && for f in *; do [ -f \"$f\" ] || continue;"
             " n=$((n + 1)); sqlite3 -readonly '%s' \"SELECT 1 FROM outputs"
             " WHERE final_path = '%s/$f'\" | grep -q 1 || echo stray; done;"
             " echo \"${n:-0}\"",
             dir, fx->h.db, dir);
    FILE *p = popen(cmd, "r");
    char line[64];
    bool clean = true;
    assert_non_null(p);
    while (fgets(line, sizeof line, p) != NULL) {
        if (strncmp(line, "stray", 5) == 0)
            clean = false;
        else
            *n = atoi(line);
    }
    assert_int_equal(pclose(p), 0);
    return clean;
}

/* Enqueue debts.txt and run the queue; 0, or negative with ERR. */
static int enqueue_and_run(struct fixture *fx, char *err, size_t err_size)
{
    char sha[65];
    int64_t job = 0, bytes = upload(fx, sha);
    struct transfer_job ran;
    err[0] = '\0';
    int rc = pipeline_enqueue(&fx->env, &fx->county, "debts.txt", sha, bytes,
                              &job, err, err_size);
    if (rc < 0)
        return rc;
    rc = pipeline_run_one(&fx->env, &ran, err, err_size);
    if (rc < 0)
        return rc;
    assert_int_equal(rc, 1);
    if (ran.state != JOB_DONE) {
        snprintf(err, err_size, "%s", ran.result);
        return -EIO;
    }
    return 0;
}

static void
test_each_fault_on_the_queue_path_loses_and_doubles_nothing(void **state)
{
    (void)state;
    char err[256];
    uint64_t counts[FAILPOINT_KINDS_];
    setenv("OFFSETGW_TODAY", "2026-11-26", 1);

    /* the clean run, counted */
    struct fixture *fx = fixture_new();
    struct shape before = shape_of(fx);
    failpoint_set(FAILPOINT_WRITE, 0);
    assert_int_equal(enqueue_and_run(fx, err, sizeof err), 0);
    for (int k = 0; k < FAILPOINT_KINDS_; k++)
        counts[k] = failpoint_count(k);
    struct shape after = shape_of(fx);
    int clean_out = 0;
    assert_true(outbox_committed(fx, &clean_out));
    assert_true(clean_out > 0);
    assert_false(same(&before, &after));
    fixture_free(fx);
    for (int k = 0; k < FAILPOINT_KINDS_; k++)
        print_message("# queue path: %s calls: %llu\n", failpoint_kind_name(k),
                      (unsigned long long)counts[k]);
    assert_true(counts[FAILPOINT_STEP] > 0 && counts[FAILPOINT_COMMIT] > 0 &&
                counts[FAILPOINT_RENAME] > 0 && counts[FAILPOINT_WRITE] > 0);

    for (int k = 0; k < FAILPOINT_KINDS_; k++)
        for (uint64_t n = 1; n <= counts[k]; n++) {
            fx = fixture_new();
            failpoint_set(k, n);
            int rc = enqueue_and_run(fx, err, sizeof err);
            bool fired = failpoint_fired();
            failpoint_set(FAILPOINT_WRITE, 0);
            struct shape now = shape_of(fx);
            int n_out = 0;
            const char *kind = failpoint_kind_name(k);
            if (!fired)
                fail_msg("%s %llu: never reached", kind, (unsigned long long)n);
            if (rc < 0 && err[0] == '\0')
                fail_msg("%s %llu: failed without a message", kind,
                         (unsigned long long)n);
            if (!same(&now, &before) && !same(&now, &after))
                fail_msg("%s %llu: the registry is half changed", kind,
                         (unsigned long long)n);
            if (rc == 0 && !same(&now, &after))
                fail_msg("%s %llu: success without the work", kind,
                         (unsigned long long)n);
            if (!outbox_committed(fx, &n_out))
                fail_msg("%s %llu: an uncommitted file in the outbox", kind,
                         (unsigned long long)n);
            /* the restart: recovery, the queue run dry; an upload that
             * never got queued is uploaded again by its partner */
            int64_t again = 0;
            assert_int_equal(
                pipeline_recover(&fx->env, &again, err, sizeof err), 0);
            while (pipeline_run_one(&fx->env, NULL, err, sizeof err) == 1)
                ;
            struct shape restarted = shape_of(fx);
            if (same(&now, &before) && !same(&restarted, &after)) {
                int64_t jobs[4];
                assert_int_equal(transfer_queue_counts(fx->s, jobs), 0);
                if (jobs[JOB_DONE] + jobs[JOB_FAILED] + jobs[JOB_RUNNING] +
                        jobs[JOB_QUEUED] >
                    0)
                    fail_msg("%s %llu: a queued upload was not run again at "
                             "the restart",
                             kind, (unsigned long long)n);
                assert_int_equal(enqueue_and_run(fx, err, sizeof err), 0);
            }
            now = shape_of(fx);
            if (!same(&now, &after))
                fail_msg("%s %llu: after the restart the file is not "
                         "processed exactly once",
                         kind, (unsigned long long)n);
            assert_true(outbox_committed(fx, &n_out));
            if (n_out != clean_out)
                fail_msg("%s %llu: %d files in the outbox, %d expected", kind,
                         (unsigned long long)n, n_out, clean_out);
            fixture_free(fx);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(
        test_each_fault_on_the_queue_path_loses_and_doubles_nothing)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
