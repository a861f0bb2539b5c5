/*
 * test_pipeline.c - the queue of finished uploads (pipeline.h) on a real
 * home with the shipped CalTRECS profile: an upload leaves the inbox for
 * received/ and is queued; the worker runs it through exactly what
 * `offsetgw ingest` runs, its acknowledgement reaching the outbox; each
 * stop a worker can meet is played out (before the work committed, after
 * it, between the move and the queueing), and after recovery every
 * upload is processed exactly once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/digest.h"
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

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    const char *formats = getenv("OG_FORMATS");
    if (fx == NULL || formats == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-pipeline-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    setenv("OFFSETGW_TODAY", "2026-11-26", 1);
    fx->county =
        (struct store_partner){.kind = PARTNER_AGENCY, .enabled = true};
    snprintf(fx->county.name, sizeof fx->county.name, "county");
    snprintf(fx->county.program, sizeof fx->county.program, "caltrecs");
    snprintf(fx->county.agency_code, sizeof fx->county.agency_code, "CNTY1");
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        store_partner_add(fx->s, &fx->county, &fx->county.id) < 0 ||
        home_create_partner(&fx->h, "county", err, sizeof err) < 0)
        return -1;
    fx->env = (struct pipeline_env){&fx->h, fx->s, fx->programs};
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

/* "Upload" a synthetic agency file of N records as NAME into the inbox;
 * its SHA-256 into SHA. */
static int64_t upload(struct fixture *fx, const char *name, int n,
                      uint64_t seed, char sha[65])
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
    strcat(path, "/");
    strcat(path, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct synth_options o = {.profile = p,
                              .layout = l,
                              .records = n,
                              .seed = seed,
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

static int64_t enqueue(struct fixture *fx, const char *name, int n,
                       uint64_t seed)
{
    char sha[65], err[256];
    int64_t job = 0, bytes = upload(fx, name, n, seed, sha);
    if (pipeline_enqueue(&fx->env, &fx->county, name, sha, bytes, &job, err,
                         sizeof err) < 0)
        fail_msg("enqueue %s: %s", name, err);
    return job;
}

static int count_in(struct fixture *fx, const char *box, const char *prefix)
{
    char dir[HOME_PATH_MAX], cmd[HOME_PATH_MAX + 128];
    assert_int_equal(home_box_path(&fx->h, "county", box, dir, sizeof dir), 0);
    snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null | grep -c '^%s' || true",
             dir, prefix);
    FILE *p = popen(cmd, "r");
    int n = 0;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static int64_t files_from(struct fixture *fx)
{
    int64_t n;
    assert_int_equal(store_count(fx->s, "files", &n), 0);
    return n;
}

static void test_an_upload_is_moved_queued_and_run_once(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    int64_t counts[4];
    int64_t job = enqueue(fx, "debts.txt", 20, 7);
    assert_true(job > 0);
    /* out of the partner's reach at once */
    assert_int_equal(count_in(fx, "inbox", "debts.txt"), 0);
    assert_int_equal(count_in(fx, "received", ""), 1);
    assert_int_equal(pipeline_run_one(&fx->env, NULL, err, sizeof err), 1);
    assert_int_equal(pipeline_run_one(&fx->env, NULL, err, sizeof err), 0);
    assert_int_equal(transfer_queue_counts(fx->s, counts), 0);
    assert_int_equal(counts[JOB_DONE], 1);
    /* the acknowledgement carries the name it was uploaded as */
    assert_int_equal(count_in(fx, "outbox", "debts.txt."), 1);
    int64_t file_id;
    assert_int_equal(transfer_queue_file(fx->s, job, &file_id), 0);
    assert_true(file_id > 0);
}

static void test_a_stop_before_the_work_committed_runs_it_again(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    struct transfer_job j;
    int64_t again;
    int64_t job = enqueue(fx, "debts.txt", 5, 9);
    /* taken, then the worker dies before its work commits */
    assert_int_equal(transfer_queue_take(fx->s, &j), 0);
    assert_int_equal(j.id, job);
    assert_int_equal(pipeline_recover(&fx->env, &again, err, sizeof err), 0);
    assert_int_equal(again, 1);
    assert_int_equal(pipeline_run_one(&fx->env, NULL, err, sizeof err), 1);
    assert_int_equal(count_in(fx, "outbox", "debts.txt."), 1);
}

static void
test_a_stop_after_the_work_committed_never_runs_it_twice(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    int64_t again, counts[4];
    enqueue(fx, "debts.txt", 5, 9);
    assert_int_equal(pipeline_run_one(&fx->env, NULL, err, sizeof err), 1);
    int64_t files = files_from(fx);
    /* as if the worker died between the commit and marking the job
     * done: the job is running again in the registry */
    struct transfer_job j2;
    int64_t job2 = enqueue(fx, "more.txt", 4, 11);
    assert_int_equal(transfer_queue_take(fx->s, &j2), 0);
    store_set_job(fx->s, job2);
    struct store_partner p = fx->county;
    struct ingest_outcome *o = malloc(sizeof(*o));
    assert_int_equal(
        pipeline_ingest(&fx->env, &p, j2.path, j2.name, o, err, sizeof err), 0);
    store_set_job(fx->s, 0);
    free(o);
    int64_t files_after = files_from(fx);
    assert_true(files_after > files);
    assert_int_equal(pipeline_recover(&fx->env, &again, err, sizeof err), 0);
    assert_int_equal(again, 0);
    assert_int_equal(pipeline_run_one(&fx->env, NULL, err, sizeof err), 0);
    assert_int_equal(files_from(fx), files_after);
    assert_int_equal(transfer_queue_counts(fx->s, counts), 0);
    assert_int_equal(counts[JOB_DONE], 2);
    assert_int_equal(count_in(fx, "outbox", "more.txt."), 1);
}

static void test_a_stop_between_move_and_queue_loses_nothing(void **state)
{
    struct fixture *fx = *state;
    char sha[65], err[256], inbox[HOME_PATH_MAX], received[HOME_PATH_MAX];
    char from[HOME_PATH_MAX * 2], to[HOME_PATH_MAX * 2];
    int64_t again;
    upload(fx, "late.txt", 6, 13, sha);
    /* moved the way pipeline_enqueue() moves it, never queued */
    assert_int_equal(
        home_box_path(&fx->h, "county", "inbox", inbox, sizeof inbox), 0);
    assert_int_equal(
        home_box_path(&fx->h, "county", "received", received, sizeof received),
        0);
    snprintf(from, sizeof from, "%s/late.txt", inbox);
    snprintf(to, sizeof to, "%s/0123456789abcdef.late.txt", received);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(pipeline_recover(&fx->env, &again, err, sizeof err), 0);
    assert_int_equal(again, 1);
    assert_int_equal(pipeline_run_one(&fx->env, NULL, err, sizeof err), 1);
    assert_int_equal(count_in(fx, "outbox", "late.txt."), 1);
    /* and only once */
    assert_int_equal(pipeline_recover(&fx->env, &again, err, sizeof err), 0);
    assert_int_equal(again, 0);
}

static void test_a_disabled_partners_job_fails_and_says_why(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    int64_t counts[4];
    enqueue(fx, "debts.txt", 3, 3);
    assert_int_equal(store_partner_set_enabled(fx->s, "county", false), 0);
    assert_int_equal(pipeline_run_one(&fx->env, NULL, err, sizeof err), 1);
    assert_int_equal(transfer_queue_counts(fx->s, counts), 0);
    assert_int_equal(counts[JOB_FAILED], 1);
    /* an upload name no partner could give is refused */
    assert_int_equal(pipeline_enqueue(&fx->env, &fx->county, "../x", "", 0,
                                      NULL, err, sizeof err),
                     -EINVAL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_an_upload_is_moved_queued_and_run_once),
        T(test_a_stop_before_the_work_committed_runs_it_again),
        T(test_a_stop_after_the_work_committed_never_runs_it_twice),
        T(test_a_stop_between_move_and_queue_loses_nothing),
        T(test_a_disabled_partners_job_fails_and_says_why),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
