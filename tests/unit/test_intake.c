/*
 * test_intake.c - agency debt files into the registry, with the shipped
 * CalTRECS profile and layouts: every rule's rejection, the registry's
 * invariants (nothing deleted, history complete), duplicate files, files
 * rejected whole leaving the registry as it was, and a kill -9 in the
 * middle of a file.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/debtcheck.h"
#include "offsetgw/intake.h"
#include "offsetgw/outbox.h"
#include "offsetgw/profile.h"
#include "offsetgw/writer.h"

#define FILE_DATE 20261126

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct store_partner agency;
    struct layout *layout; /* caltrecs agency-debt */
    struct profile *profile;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128], path[1024];
    const char *formats = getenv("OG_FORMATS");
    struct layout_problems probs = {0};

    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-intake-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    fx->agency.kind = PARTNER_AGENCY;
    fx->agency.enabled = true;
    snprintf(fx->agency.name, sizeof fx->agency.name, "county");
    snprintf(fx->agency.program, sizeof fx->agency.program, "caltrecs");
    snprintf(fx->agency.agency_code, sizeof fx->agency.agency_code, "CNTY01");
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_set_spool_plain(&fx->h, err, sizeof err) < 0 || /* read by path */
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        store_partner_add(fx->s, &fx->agency, &fx->agency.id) < 0 ||
        home_create_partner(&fx->h, "county", err, sizeof err) < 0)
        return -1;
    fx->profile = profile_load_program(fx->programs, "caltrecs", &probs);
    if (fx->profile == NULL ||
        profile_exchange_path(fx->profile, "agency-debt", NULL, path,
                              sizeof path) < 0 ||
        (fx->layout = layout_load(path, &probs)) == NULL) {
        tu_print_problems(&probs);
        return -1;
    }
    setenv("OFFSETGW_TODAY", "2026-11-26", 1);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    store_close(fx->s);
    layout_free(fx->layout);
    profile_free(fx->profile);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    free(fx);
    return system(cmd) == 0 ? 0 : -1;
}

/* One detail record; text fields as strings, amount in cents. */
struct rec {
    const char *action, *account, *tin_type, *tin, *last, *first;
    int64_t cents;
    const char *debt_type;
    int32_t notice; /* yyyymmdd, 0 = blank */
    const char *bankruptcy;
};

static void set(struct writer *w, const char *name, const char *text)
{
    if (text != NULL && writer_set_text_by_name(w, name, text) < 0)
        fail_msg("set %s: %s", name, writer_error(w));
}

/* Write a CalTRECS agency-debt file of RECS to PATH; AGENCY in the
 * header. */
static void write_file(struct fixture *fx, const char *path, const char *agency,
                       const struct rec *recs, size_t n)
{
    FILE *f = fopen(path, "w");
    struct writer *w = writer_new(fx->layout, f);
    assert_non_null(w);
    assert_int_equal(writer_begin(w, "header"), 0);
    set(w, "agency_code", agency);
    assert_int_equal(writer_set_num_by_name(w, "file_date", FILE_DATE), 0);
    writer_set_num_by_name(w, "file_seq", 1);
    if (writer_end(w) != 0)
        fail_msg("header: %s", writer_error(w));
    for (size_t i = 0; i < n; i++) {
        const struct rec *r = &recs[i];
        assert_int_equal(writer_begin(w, "detail"), 0);
        set(w, "action", r->action);
        set(w, "account", r->account);
        set(w, "tin_type", r->tin_type ? r->tin_type : "S");
        set(w, "tin", r->tin);
        set(w, "last_name", r->last);
        set(w, "first_name", r->first);
        assert_int_equal(writer_set_num_by_name(w, "amount", r->cents), 0);
        set(w, "debt_type", r->debt_type ? r->debt_type : "JDG");
        writer_set_num_by_name(w, "notice_date",
                               r->notice ? r->notice : 20260901);
        set(w, "bankruptcy", r->bankruptcy ? r->bankruptcy : "N");
        if (writer_end(w) != 0)
            fail_msg("detail %zu: %s", i, writer_error(w));
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
    fclose(f);
}

static int ingest(struct fixture *fx, const char *path,
                  struct intake_result *res)
{
    char err[512];
    struct intake_request rq = {.home = &fx->h,
                                .store = fx->s,
                                .programs_dir = fx->programs,
                                .partner = &fx->agency,
                                .path = path};
    int rc = intake_file(&rq, res, err, sizeof err);
    if (rc < 0)
        print_error("intake: %s\n", err);
    return rc;
}

static char *read_all(const char *path)
{
    size_t n;
    return tu_read_file(path, &n);
}

static int64_t count(struct fixture *fx, const char *what)
{
    int64_t n = -1;
    assert_int_equal(store_count(fx->s, what, &n), 0);
    return n;
}

static const struct rec smith = {"A",    "ACC-1", "S",  "123456789", "SMITH",
                                 "JANE", 10000,   NULL, 0,           NULL};

/* --- accepted files ---------------------------------------------------- */

static void test_adds_register_debts_with_the_program_fees(void **state)
{
    struct fixture *fx = *state;
    struct rec recs[] = {smith,
                         {"A", "ACC-2", "S", "223456789", "O'BRIEN-SMITH JR",
                          "SEAN", 1000, "CRT", 0, NULL}};
    struct intake_result res;
    struct store_debt d;
    struct store_name name;
    char path[128];

    snprintf(path, sizeof path, "%s/debts.txt", fx->dir);
    write_file(fx, path, "CNTY01", recs, 2);
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(res.records, 2);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.amount_cents, 11000);
    assert_int_equal(res.unprocessable_path[0], '\0');
    assert_int_equal(store_debt_get(fx->s, fx->agency.id, "ACC-1", &d), 0);
    int64_t fee = profile_fee_added_to_debt(fx->profile, true);
    assert_true(fee > 0);
    assert_int_equal(d.original_cents, 10000);
    assert_int_equal(d.fees_cents, fee);
    assert_int_equal(d.balance_cents, 10000 + fee);
    assert_int_equal(d.status, DEBT_P);
    assert_int_equal(store_debt_get(fx->s, fx->agency.id, "ACC-2", &d), 0);
    assert_int_equal(store_debtor_name(fx->s, d.debtor_id, &name), 0);
    assert_string_equal(name.last, "OBRIEN-SMITH");
    assert_string_equal(name.suffix, "JR");
    assert_string_equal(name.name_control, "OBRI");
    /* the acknowledgement is in the outbox, nothing left in .tmp */
    char *ack = read_all(res.ack_path);
    assert_non_null(strstr(ack, "CNTY01"));
    assert_non_null(strstr(ack, "debts.txt"));
    free(ack);
}

static void test_change_and_zero_keep_the_debt_and_its_history(void **state)
{
    struct fixture *fx = *state;
    struct rec add[] = {smith};
    struct rec change[] = {
        {"C", "ACC-1", "S", "123456789", "SMITH", "JANE", 5000, NULL, 0, NULL}};
    struct rec zero[] = {
        {"Z", "ACC-1", "S", "123456789", "SMITH", "JANE", 0, NULL, 0, NULL}};
    struct intake_result res;
    struct store_debt d;
    char path[128];
    int64_t fee = profile_fee_added_to_debt(fx->profile, true);

    snprintf(path, sizeof path, "%s/add.txt", fx->dir);
    write_file(fx, path, "CNTY01", add, 1);
    assert_int_equal(ingest(fx, path, &res), 0);
    snprintf(path, sizeof path, "%s/change.txt", fx->dir);
    write_file(fx, path, "CNTY01", change, 1);
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(store_debt_get(fx->s, fx->agency.id, "ACC-1", &d), 0);
    assert_int_equal(d.balance_cents, 5000 + fee);
    snprintf(path, sizeof path, "%s/zero.txt", fx->dir);
    write_file(fx, path, "CNTY01", zero, 1);
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(store_debt_get(fx->s, fx->agency.id, "ACC-1", &d), 0);
    assert_int_equal(d.balance_cents, 0);
    assert_int_equal(d.status, DEBT_X);
    assert_int_equal(count(fx, "debts"), 1);
    assert_int_equal(count(fx, "history"), 3);
}

/* --- every rule -------------------------------------------------------- */

struct tally {
    int64_t codes, records;
    bool saw_ssn;
};

static int tally_code(const char *code, int64_t n, void *ctx)
{
    struct tally *t = ctx;
    t->codes++;
    t->records += n;
    if (strcmp(code, "C_SSN") == 0 && n == 1)
        t->saw_ssn = true;
    return 0;
}

static void test_each_rule_rejects_its_record_with_its_code(void **state)
{
    struct fixture *fx = *state;
    struct rec first[] = {smith};
    struct rec recs[] = {
        /* 0 fine */
        {"A", "OK-1", "S", "323456789", "LEE", "AL", 2000, NULL, 0, NULL},
        {"A", "MIN", "S", "323456781", "LEE", "AL", 999, NULL, 0, NULL},
        {"A", "NOTICE", "S", "323456782", "LEE", "AL", 2000, NULL, 20261101,
         NULL},
        {"A", "SSN", "S", "078051120", "LEE", "AL", 2000, NULL, 0, NULL},
        {"A", "BANKRUPT", "S", "323456783", "LEE", "AL", 2000, NULL, 0, "Y"},
        {"A", "ACC-1", "S", "123456789", "SMITH", "JANE", 2000, NULL, 0, NULL},
        {"C", "NOPE", "S", "323456784", "LEE", "AL", 2000, NULL, 0, NULL},
        {"C", "ACC-1", "S", "323456785", "SMITH", "JANE", 2000, NULL, 0, NULL},
        {"A", "OK-1", "S", "323456789", "LEE", "AL", 2000, NULL, 0, NULL},
        {"A", "NONAME", "S", "323456786", "...", "AL", 2000, NULL, 0, NULL},
    };
    static const char *const want[] = {NULL,
                                       "C_MIN_AMOUNT",
                                       "C_NOTICE",
                                       "C_SSN",
                                       "C_BANKRUPTCY",
                                       "C_DEBT_EXISTS",
                                       "C_UNKNOWN_DEBT",
                                       "C_TIN_MISMATCH",
                                       "C_DUP_ACCOUNT",
                                       "C_NAME"};
    struct intake_result res;
    char path[128];

    snprintf(path, sizeof path, "%s/first.txt", fx->dir);
    write_file(fx, path, "CNTY01", first, 1);
    assert_int_equal(ingest(fx, path, &res), 0);
    int64_t debts = count(fx, "debts");
    snprintf(path, sizeof path, "%s/rules.txt", fx->dir);
    write_file(fx, path, "CNTY01", recs, sizeof recs / sizeof *recs);
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_PARTIAL);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.rejected, 9);
    assert_int_equal(count(fx, "debts"), debts + 1);
    char *unp = read_all(res.unprocessable_path);
    /* one reject line per rule, in file order, each with its code and
     * the record's line (the header is line 1) */
    char *line = unp;
    for (size_t i = 1; i < sizeof want / sizeof *want; i++) {
        char expect[32];
        line = strchr(line, '\n') + 1;
        snprintf(expect, sizeof expect, "R%09zu", i + 2);
        if (strncmp(line, expect, 10) != 0 || strstr(line, want[i]) == NULL ||
            strchr(line, '\n') < strstr(line, want[i])) {
            fputs(unp, stderr);
            fail_msg("reject %zu should be %s on line %zu", i, want[i], i + 2);
        }
    }
    /* no SSN in full, anywhere in the agency's file */
    assert_null(strstr(unp, "078051120"));
    assert_null(strstr(unp, "323456785"));
    free(unp);
    /* the registry counts them by code, one each (for the console) */
    struct tally t = {0};
    assert_int_equal(
        store_file_rejects_each(fx->s, res.file_id, tally_code, &t), 0);
    assert_int_equal(t.codes, 9);
    assert_int_equal(t.records, 9);
    assert_true(t.saw_ssn);
}

/* Codes travel in 16-character fields of agency files. */
static void test_every_code_fits_sixteen_characters(void **state)
{
    (void)state;
    for (int c = 0; c < C_COUNT_; c++)
        if (strlen(check_code_name((enum check_code)c)) > 16)
            fail_msg("%s is longer than 16", check_code_name(c));
    for (int c = 0; c < E_COUNT_; c++)
        if (strlen(errcode_name((enum errcode)c)) > 16)
            fail_msg("%s is longer than 16", errcode_name(c));
}

/* --- files rejected whole ---------------------------------------------- */

static void test_duplicate_file_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    struct rec recs[] = {smith};
    struct intake_result res;
    char path[128];

    snprintf(path, sizeof path, "%s/debts.txt", fx->dir);
    write_file(fx, path, "CNTY01", recs, 1);
    assert_int_equal(ingest(fx, path, &res), 0);
    int64_t history = count(fx, "history");
    int64_t first = res.file_id;
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_DUPLICATE);
    assert_int_equal(res.duplicate_of, first);
    assert_string_equal(res.reason_code, "C_DUP_FILE");
    assert_int_equal(count(fx, "history"), history);
    char *ack = read_all(res.ack_path);
    assert_non_null(strstr(ack, "C_DUP_FILE"));
    free(ack);
}

static void test_bad_totals_or_agency_reject_the_file_untouched(void **state)
{
    struct fixture *fx = *state;
    struct rec recs[] = {
        smith,
        {"A", "ACC-2", "S", "223456789", "JONES", "BOB", 5000, NULL, 0, NULL}};
    struct intake_result res;
    char path[128], bad[128], cmd[512];

    snprintf(path, sizeof path, "%s/debts.txt", fx->dir);
    write_file(fx, path, "CNTY01", recs, 2);
    /* the trailer's count says 3 */
    snprintf(bad, sizeof bad, "%s/bad.txt", fx->dir);
    snprintf(cmd, sizeof cmd, "sed 's/^T000000002/T000000003/' '%s' > '%s'",
             path, bad);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(ingest(fx, bad, &res), 0);
    assert_int_equal(res.status, FILE_REJECTED);
    assert_string_equal(res.reason_code, "E_TOTAL");
    assert_int_equal(count(fx, "debts"), 0);
    assert_int_equal(count(fx, "history"), 0);
    assert_int_equal(count(fx, "debtors"), 0);
    char *ack = read_all(res.ack_path);
    assert_non_null(strstr(ack, "E_TOTAL"));
    free(ack);
    /* another agency's header */
    snprintf(bad, sizeof bad, "%s/other.txt", fx->dir);
    write_file(fx, bad, "OTHER01", recs, 2);
    assert_int_equal(ingest(fx, bad, &res), 0);
    assert_int_equal(res.status, FILE_REJECTED);
    assert_string_equal(res.reason_code, "C_AGENCY");
    assert_int_equal(count(fx, "debts"), 0);
    /* and the good file still goes through afterwards */
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(count(fx, "debts"), 2);
}

/* --- a crash in the middle --------------------------------------------- */

/* The smallest offset among PID's descriptors open on PATH, -1 when it
 * has none (from /proc/PID/fd and /proc/PID/fdinfo). */
static off_t reader_position(pid_t pid, const char *path)
{
    char dir[64], link[1100], target[1100], info[96], line[128];
    off_t min = -1;
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        if (strstr(target, path) == NULL)
            continue;
        snprintf(info, sizeof info, "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
        FILE *f = fopen(info, "r");
        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            if (strncmp(line, "pos:", 4) == 0) {
                off_t pos = (off_t)strtoll(line + 4, NULL, 10);
                if (min < 0 || pos < min)
                    min = pos;
            }
        if (f != NULL)
            fclose(f);
    }
    closedir(d);
    return min;
}

static void
test_kill_during_ingest_applies_nothing_then_rerun_works(void **state)
{
    struct fixture *fx = *state;
    const size_t n = 40000;
    struct rec *recs = calloc(n, sizeof *recs);
    char(*accounts)[16] = calloc(n, 16), (*tins)[10] = calloc(n, 10);
    struct intake_result res;
    char path[128], tmp_dir[1024], cmd[1200];
    int status;

    for (size_t i = 0; i < n; i++) {
        snprintf(accounts[i], 16, "K-%zu", i);
        snprintf(tins[i], 10, "%03zu%02zu%04zu", 100 + i % 500,
                 10 + i / 500 % 80, 1000 + i % 9000);
        recs[i] = smith;
        recs[i].account = accounts[i];
        recs[i].tin = tins[i];
    }
    snprintf(path, sizeof path, "%s/big.txt", fx->dir);
    write_file(fx, path, "CNTY01", recs, n);
    /* kill it once it has read a fifth of the file, going by where its
     * descriptors on the file stand (the slowest is the reader's; the
     * hashing one runs ahead): in the middle of the file, never after */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    off_t file_size = st.st_size;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err2[256];
        struct store *s = NULL;
        if (home_open_store(&fx->h, &s, err2, sizeof err2) < 0)
            _exit(3);
        fx->s = s;
        _exit(ingest(fx, path, &res) < 0 ? 4 : 0);
    }
    for (int i = 0; i < 20000; i++) {
        off_t pos = reader_position(pid, path);
        if (pos >= file_size / 5 && pos < file_size)
            break;
        struct timespec ts = {0, 200000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (!WIFSIGNALED(status))
        fail_msg("the ingest finished before the kill");
    assert_int_equal(count(fx, "debts"), 0);
    assert_int_equal(count(fx, "history"), 0);
    assert_int_equal(count(fx, "debtors"), 0);
    /* recovery sweeps the half-written outputs; the rerun applies once */
    char err[256];
    assert_int_equal(outbox_recover(&fx->h, fx->s, err, sizeof err), 0);
    assert_int_equal(
        home_box_path(&fx->h, "county", "outbox/.tmp", tmp_dir, sizeof tmp_dir),
        0);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", tmp_dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(res.accepted, (int64_t)n);
    assert_int_equal(count(fx, "debts"), (int64_t)n);
    assert_int_equal(ingest(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_DUPLICATE);
    assert_int_equal(count(fx, "debts"), (int64_t)n);
    free(recs);
    free(accounts);
    free(tins);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_adds_register_debts_with_the_program_fees),
        T(test_change_and_zero_keep_the_debt_and_its_history),
        T(test_each_rule_rejects_its_record_with_its_code),
        T(test_every_code_fits_sixteen_characters),
        T(test_duplicate_file_changes_nothing),
        T(test_bad_totals_or_agency_reject_the_file_untouched),
        T(test_kill_during_ingest_applies_nothing_then_rerun_works),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
