/*
 * test_remit.c - paying agencies a payer's final offsets: which offsets
 * are due on a day (final, not held, not reversed, not remitted before),
 * one file per agency read back with its totals, a second run remitting
 * nothing twice, refused requests, and a run failing part way leaving
 * nothing behind.  The offsets are put in the ledger directly, as
 * payer.c records them (payer flows end to end are test_payer's).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/ledger.h"
#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/remit.h"

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct store_partner ks_a, ks_b, ks_payer, ghost;
    int traces;
};

static int add_partner(struct fixture *fx, struct store_partner *p,
                       enum partner_kind kind, const char *name,
                       const char *code, bool home_too)
{
    char err[256];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->enabled = true;
    store_text_copy(p->name, sizeof p->name, name);
    store_text_copy(p->program, sizeof p->program, "kansas");
    store_text_copy(p->agency_code, sizeof p->agency_code, code);
    if (store_partner_add(fx->s, p, &p->id) < 0 ||
        (home_too && home_create_partner(&fx->h, name, err, sizeof err) < 0))
        return -1;
    return 0;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    const char *formats = getenv("OG_FORMATS");
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-remit-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_set_spool_plain(&fx->h, err, sizeof err) < 0 || /* read by path */
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        add_partner(fx, &fx->ks_a, PARTNER_AGENCY, "ks-a", "KSA", true) < 0 ||
        add_partner(fx, &fx->ks_b, PARTNER_AGENCY, "ks-b", "KSB", true) < 0 ||
        add_partner(fx, &fx->ks_payer, PARTNER_PAYER, "ks-payer", "KDOR",
                    true) < 0 ||
        /* registered, but its folders were never made */
        add_partner(fx, &fx->ghost, PARTNER_AGENCY, "ks-ghost", "KSG", false) <
            0)
        return -1;
    setenv("OFFSETGW_TODAY", "2026-12-31", 1);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    store_close(fx->s);
    unsetenv("OFFSETGW_TODAY");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    free(fx);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t add_debt(struct fixture *fx, const struct store_partner *agency,
                        const char *account, const char *tin, int64_t cents)
{
    struct store_name n = {.last = "SMITH", .name_control = "SMIT"};
    struct store_debt d = {.partner_id = agency->id,
                           .original_cents = cents,
                           .balance_cents = cents,
                           .status = DEBT_P};
    int64_t id = 0;
    store_text_copy(d.account, sizeof d.account, account);
    store_text_copy(d.debt_type, sizeof d.debt_type, "29");
    assert_int_equal(store_debtor_upsert(fx->s, 'S', tin, &n, 0, &d.debtor_id),
                     0);
    assert_int_equal(store_debt_add(fx->s, &d, NULL, &id), 0);
    return id;
}

/* An offset of the payer against DEBT, final on FINAL_ON, as payer.c
 * records one; its entry. */
static struct store_entry offset(struct fixture *fx, int64_t debt,
                                 int64_t cents, int64_t fee, int32_t final_on)
{
    char trace[24];
    struct store_entry e;
    struct check_result why;
    struct store_source src = {0};
    snprintf(trace, sizeof trace, "P%d.01", ++fx->traces);
    struct money_event ev = {.kind = ENTRY_OFFSET,
                             .debt_id = debt,
                             .amount_cents = cents,
                             .fee_cents = fee,
                             .trace_id = trace,
                             .payment_date = 20261120,
                             .payment_source = "TAX",
                             .allocated = true,
                             .final_on = final_on};
    assert_int_equal(ledger_apply(fx->s, fx->ks_payer.id, &ev, &src, &why),
                     CHECK_OK);
    assert_int_equal(store_offset_find(fx->s, fx->ks_payer.id, trace, &e), 0);
    return e;
}

static int remit(struct fixture *fx, int32_t day, struct remit_result *res)
{
    char err[512];
    struct remit_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .payer = &fx->ks_payer,
                               .day = day};
    int rc = remit_run(&rq, res, NULL, NULL, err, sizeof err);
    if (rc < 0)
        print_message("remit: %s\n", err);
    return rc;
}

static bool remitted(struct fixture *fx, const struct store_entry *e)
{
    int64_t id = 0;
    int rc = store_remitted_get(fx->s, e->id, &id);
    assert_true(rc == 0 || rc == -ENOENT);
    return rc == 0;
}

/* The names of the files in PARTNER's outbox, sorted, into NAMES. */
static int outbox(struct fixture *fx, const struct store_partner *p,
                  char names[][128], int max)
{
    char dir[1024];
    int n = 0;
    assert_int_equal(home_box_path(&fx->h, p->name, "outbox", dir, sizeof dir),
                     0);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && n < max)
            snprintf(names[n++], 128, "%s", e->d_name);
    closedir(d);
    qsort(names, (size_t)n, 128, (int (*)(const void *, const void *))strcmp);
    return n;
}

struct rline {
    int64_t debt_id, amount, fee, net;
    int32_t final_date;
    char trace[16];
};

/* Read remittance file NAME of PARTNER back through the layout (the
 * reader checks the trailer's count and sums): its lines. */
static int read_remittance(struct fixture *fx, const struct store_partner *p,
                           const char *name, struct rline *lines, int max)
{
    char dir[1024], path[1200], layout[1200];
    struct layout_problems probs = {0};
    snprintf(layout, sizeof layout,
             "%s/../layouts/common/agency-remittance.xml", fx->programs);
    struct layout *l = layout_load(layout, &probs);
    if (l == NULL)
        tu_print_problems(&probs);
    assert_non_null(l);
    assert_int_equal(home_box_path(&fx->h, p->name, "outbox", dir, sizeof dir),
                     0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct reader *rd = reader_new(l, fd, path);
    const struct record *rec;
    enum reader_status st;
    int n = 0;
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->n_errors > 0)
            fail_msg("%s line %llu: %s", path, (unsigned long long)rec->line,
                     rec->errors[0].detail);
        if (strcmp(rec->type->name, "header") == 0) {
            const struct field_value *c =
                &rec->values[layout_field_index(rec->type, "agency_code")];
            assert_memory_equal(c->text, p->agency_code, c->text_len);
        }
        if (strcmp(rec->type->name, "detail") != 0 || n >= max)
            continue;
#define NUM(f) rec->values[layout_field_index(rec->type, f)].num
        lines[n].debt_id = NUM("debt_id");
        lines[n].amount = NUM("amount");
        lines[n].fee = NUM("fee");
        lines[n].net = NUM("net");
        lines[n].final_date = (int32_t)NUM("final_date");
#undef NUM
        const struct field_value *t =
            &rec->values[layout_field_index(rec->type, "trace_id")];
        snprintf(lines[n].trace, sizeof lines[n].trace, "%.*s",
                 (int)t->text_len, t->text);
        n++;
    }
    assert_int_equal(st, READER_END);
    reader_free(rd);
    close(fd);
    layout_free(l);
    return n;
}

/* On 5 December: the offset final on 1 December is due, one final on the
 * 10th is not, a held one is not, a reversed one is not; a denied appeal
 * makes its offset due from the later of its final day and the
 * decision.  One file per agency, each line as the ledger has it. */
static void test_only_final_unheld_unreversed_offsets_are_remitted(void **state)
{
    struct fixture *fx = *state;
    int64_t a1 = add_debt(fx, &fx->ks_a, "A-1", "123456789", 100000);
    int64_t a2 = add_debt(fx, &fx->ks_a, "A-2", "123456789", 100000);
    int64_t b1 = add_debt(fx, &fx->ks_b, "B-1", "223456789", 100000);
    struct store_entry final = offset(fx, a1, 3333, 613, 20261201);
    struct store_entry later = offset(fx, a1, 1000, 184, 20261210);
    struct store_entry held = offset(fx, a2, 2000, 368, 20261201);
    struct store_entry denied = offset(fx, a2, 5000, 920, 20261201);
    struct store_entry reversed = offset(fx, b1, 7000, 1288, 20261201);
    struct store_entry other = offset(fx, b1, 2500, 460, 20261205);
    struct store_decision d = {.entry_id = denied.id,
                               .decision = APPEAL_DENIED,
                               .decided_on = 20261207,
                               .final_on = 20261207};
    assert_int_equal(store_appeal_add(fx->s, held.id, 20261125, NULL), 0);
    assert_int_equal(store_appeal_add(fx->s, denied.id, 20261125, NULL), 0);
    assert_int_equal(store_decision_add(fx->s, &d, NULL), 0);
    struct money_event ev = {.kind = ENTRY_REVERSAL,
                             .debt_id = b1,
                             .amount_cents = 7000,
                             .fee_cents = 1288,
                             .trace_id = reversed.trace_id,
                             .reverses = reversed.trace_id,
                             .allocated = true};
    struct check_result why;
    struct store_source src = {0};
    assert_int_equal(ledger_apply(fx->s, fx->ks_payer.id, &ev, &src, &why),
                     CHECK_OK);

    struct remit_result res;
    assert_int_equal(remit(fx, 20261205, &res), 0);
    assert_int_equal(res.offsets, 2);
    assert_int_equal(res.agency_files, 2);
    assert_int_equal(res.amount_cents, 3333 + 2500);
    assert_int_equal(res.fee_cents, 613 + 460);
    assert_int_equal(res.net_cents, 3333 - 613 + 2500 - 460);
    assert_true(remitted(fx, &final));
    assert_true(remitted(fx, &other));
    assert_false(remitted(fx, &later));
    assert_false(remitted(fx, &held));
    assert_false(remitted(fx, &denied));
    assert_false(remitted(fx, &reversed));

    char names[4][128];
    struct rline lines[4];
    assert_int_equal(outbox(fx, &fx->ks_a, names, 4), 1);
    assert_non_null(strstr(names[0], "remittance.ks-payer.20261205."));
    assert_int_equal(read_remittance(fx, &fx->ks_a, names[0], lines, 4), 1);
    assert_int_equal(lines[0].debt_id, a1);
    assert_int_equal(lines[0].amount, 3333);
    assert_int_equal(lines[0].fee, 613);
    assert_int_equal(lines[0].net, 2720);
    assert_int_equal(lines[0].final_date, 20261201);
    assert_int_equal(strtoll(lines[0].trace, NULL, 10), final.id);
    assert_int_equal(outbox(fx, &fx->ks_b, names, 4), 1);
    assert_int_equal(read_remittance(fx, &fx->ks_b, names[0], lines, 4), 1);
    assert_int_equal(lines[0].amount, 2500);

    /* the denial's day, then the later offset's */
    assert_int_equal(remit(fx, 20261207, &res), 0);
    assert_int_equal(res.offsets, 1);
    assert_true(remitted(fx, &denied));
    assert_int_equal(outbox(fx, &fx->ks_a, names, 4), 2);
    assert_int_equal(read_remittance(fx, &fx->ks_a, names[1], lines, 4), 1);
    assert_int_equal(lines[0].final_date, 20261207);
    assert_int_equal(remit(fx, 20261210, &res), 0);
    assert_int_equal(res.offsets, 1);
    assert_true(remitted(fx, &later));
    assert_false(remitted(fx, &held)); /* held until decided */
}

/* The same day twice, or any day after: nothing is remitted twice, and
 * a run with nothing due writes nothing. */
static void test_remitting_twice_remits_nothing_twice(void **state)
{
    struct fixture *fx = *state;
    int64_t a1 = add_debt(fx, &fx->ks_a, "A-1", "123456789", 100000);
    offset(fx, a1, 10000, 1840, 20261201);
    offset(fx, a1, 20000, 3680, 20261202);
    struct remit_result res;
    int64_t files = 0, again = 0;
    assert_int_equal(remit(fx, 20261205, &res), 0);
    assert_int_equal(res.offsets, 2);
    assert_int_equal(res.net_cents, 30000 - 5520);
    assert_int_equal(store_count(fx->s, "files", &files), 0);
    assert_int_equal(remit(fx, 20261205, &res), 0);
    assert_int_equal(res.offsets, 0);
    assert_int_equal(res.agency_files, 0);
    assert_int_equal(remit(fx, 20261230, &res), 0);
    assert_int_equal(res.offsets, 0);
    assert_int_equal(store_count(fx->s, "files", &again), 0);
    assert_int_equal(again, files);
    char names[4][128];
    assert_int_equal(outbox(fx, &fx->ks_a, names, 4), 1);
}

/* Not a payer, a day still to come, no real day: refused, nothing done. */
static void test_bad_requests_are_refused(void **state)
{
    struct fixture *fx = *state;
    int64_t a1 = add_debt(fx, &fx->ks_a, "A-1", "123456789", 100000);
    struct store_entry e = offset(fx, a1, 10000, 1840, 20261201);
    struct remit_result res;
    char err[512];
    struct remit_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .payer = &fx->ks_a,
                               .day = 20261205};
    assert_int_equal(remit_run(&rq, &res, NULL, NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "only a payer"));
    rq.payer = &fx->ks_payer;
    rq.day = 20270101; /* today is 2026-12-31 */
    assert_int_equal(remit_run(&rq, &res, NULL, NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "still to come"));
    rq.day = 20261232;
    assert_int_equal(remit_run(&rq, &res, NULL, NULL, err, sizeof err),
                     -EINVAL);
    assert_false(remitted(fx, &e));
}

/* A run that fails at its second agency (whose folders are gone) leaves
 * nothing: no remittance recorded, no file in the first agency's outbox;
 * once the folders are there the same run goes through. */
static void test_a_failing_run_leaves_nothing(void **state)
{
    struct fixture *fx = *state;
    int64_t a1 = add_debt(fx, &fx->ks_a, "A-1", "123456789", 100000);
    int64_t g1 = add_debt(fx, &fx->ghost, "G-1", "323456789", 100000);
    struct store_entry ea = offset(fx, a1, 10000, 1840, 20261201);
    struct store_entry eg = offset(fx, g1, 10000, 1840, 20261201);
    struct remit_result res;
    char err[512], names[4][128];
    struct remit_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .payer = &fx->ks_payer,
                               .day = 20261205};
    assert_true(remit_run(&rq, &res, NULL, NULL, err, sizeof err) < 0);
    assert_int_equal(res.offsets, 0);
    assert_false(remitted(fx, &ea));
    assert_false(remitted(fx, &eg));
    assert_int_equal(outbox(fx, &fx->ks_a, names, 4), 0);
    char tmp[1024];
    assert_int_equal(
        home_box_path(&fx->h, "ks-a", "outbox/.tmp", tmp, sizeof tmp), 0);
    DIR *d = opendir(tmp);
    assert_non_null(d);
    struct dirent *e;
    int left = 0;
    while ((e = readdir(d)) != NULL)
        left += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(left, 0);

    assert_int_equal(home_create_partner(&fx->h, "ks-ghost", err, sizeof err),
                     0);
    assert_int_equal(remit(fx, 20261205, &res), 0);
    assert_int_equal(res.offsets, 2);
    assert_true(remitted(fx, &ea) && remitted(fx, &eg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_only_final_unheld_unreversed_offsets_are_remitted, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_remitting_twice_remits_nothing_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_run_leaves_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
