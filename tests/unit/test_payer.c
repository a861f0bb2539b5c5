/*
 * test_payer.c - payers' payment files through the whole ingest path, with
 * the shipped Kansas and Utah profiles and layouts: hand-worked cases
 * (one match, two agencies in order, a joint share, a spouse who owes, a
 * payroll cap, an exempt source, the Kansas withheld fee, the Utah
 * deducted fee, a payment for nobody, a name that fails the rule under
 * each rule, refused records, a duplicate file, a file failing whole, a
 * payment id sent twice, appeals and their decisions, remittances after
 * them), and a randomised property test of the money invariants over a
 * generated registry ($OG_TEST_SEED), ending with random appeal decisions
 * and a remittance that must pay exactly what is final.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/allocate.h"
#include "offsetgw/calendar.h"
#include "offsetgw/identity.h"
#include "offsetgw/payer.h"
#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/remit.h"
#include "offsetgw/writer.h"

#define TODAY 20261120
#define KANSAS_FINAL 20261205 /* + 15 appeal days */
#define UTAH_FINAL 20261211   /* + 21 hold days */

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct layout *ks_pay, *ut_pay, *ks_off, *ut_off, *coll;
    struct store_partner ks_a, ks_b, ks_payer;
    struct store_partner ut_ors, ut_hed, ut_loc, ut_payer;
    int files; /* names the payment files apart */
};

static int add_partner(struct fixture *fx, struct store_partner *p,
                       enum partner_kind kind, const char *name,
                       const char *program, const char *code)
{
    char err[256];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->enabled = true;
    store_text_copy(p->name, sizeof p->name, name);
    store_text_copy(p->program, sizeof p->program, program);
    store_text_copy(p->agency_code, sizeof p->agency_code, code);
    if (store_partner_add(fx->s, p, &p->id) < 0 ||
        home_create_partner(&fx->h, name, err, sizeof err) < 0)
        return -1;
    return 0;
}

static struct layout *load(const char *programs, const char *program,
                           const char *exchange)
{
    char path[1024];
    struct layout_problems probs = {0};
    struct layout *l = NULL;
    struct profile *pr = profile_load_program(programs, program, &probs);
    if (pr != NULL &&
        profile_exchange_path(pr, exchange, NULL, path, sizeof path) == 0)
        l = layout_load(path, &probs);
    if (l == NULL)
        tu_print_problems(&probs);
    layout_problems_release(&probs);
    profile_free(pr);
    return l;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    const char *formats = getenv("OG_FORMATS");

    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-payer-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_set_spool_plain(&fx->h, err, sizeof err) < 0 || /* read by path */
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        add_partner(fx, &fx->ks_a, PARTNER_AGENCY, "ks-a", "kansas", "KSA") <
            0 ||
        add_partner(fx, &fx->ks_b, PARTNER_AGENCY, "ks-b", "kansas", "KSB") <
            0 ||
        add_partner(fx, &fx->ks_payer, PARTNER_PAYER, "ks-payer", "kansas",
                    "KDOR") < 0 ||
        add_partner(fx, &fx->ut_ors, PARTNER_AGENCY, "ut-ors", "utah",
                    "ORS01") < 0 ||
        add_partner(fx, &fx->ut_hed, PARTNER_AGENCY, "ut-hed", "utah",
                    "HED01") < 0 ||
        add_partner(fx, &fx->ut_loc, PARTNER_AGENCY, "ut-loc", "utah",
                    "LOC01") < 0 ||
        add_partner(fx, &fx->ut_payer, PARTNER_PAYER, "ut-payer", "utah", "") <
            0)
        return -1;
    fx->ks_pay = load(fx->programs, "kansas", "payer-payment");
    fx->ut_pay = load(fx->programs, "utah", "payer-payment");
    fx->ks_off = load(fx->programs, "kansas", "payer-offset");
    fx->ut_off = load(fx->programs, "utah", "payer-offset");
    fx->coll = load(fx->programs, "kansas", "agency-collection");
    if (fx->ks_pay == NULL || fx->ut_pay == NULL || fx->ks_off == NULL ||
        fx->ut_off == NULL || fx->coll == NULL)
        return -1;
    setenv("OFFSETGW_TODAY", "2026-11-20", 1);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    store_close(fx->s);
    layout_free(fx->ks_pay);
    layout_free(fx->ut_pay);
    layout_free(fx->ks_off);
    layout_free(fx->ut_off);
    layout_free(fx->coll);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    free(fx);
    return system(cmd) == 0 ? 0 : -1;
}

/* --- the registry ------------------------------------------------------- */

/* A debt of AGENCY owed by the debtor TIN (an SSN) called LAST. */
static int64_t add_debt(struct fixture *fx, const struct store_partner *agency,
                        const char *account, const char *tin, const char *last,
                        const char *debt_type, int64_t cents,
                        int32_t delinquent)
{
    struct store_name n = {0};
    struct store_debt d = {.partner_id = agency->id,
                           .original_cents = cents,
                           .balance_cents = cents,
                           .status = DEBT_P,
                           .delinquency_date = delinquent};
    int64_t id = -1;
    store_text_copy(n.last, sizeof n.last, last);
    assert_int_equal(identity_name_control(last, strlen(last), n.name_control),
                     IDENTITY_OK);
    store_text_copy(d.account, sizeof d.account, account);
    store_text_copy(d.debt_type, sizeof d.debt_type, debt_type);
    assert_int_equal(store_debtor_upsert(fx->s, 'S', tin, &n, 0, &d.debtor_id),
                     0);
    assert_int_equal(store_debt_add(fx->s, &d, NULL, &id), 0);
    return id;
}

static int64_t balance(struct fixture *fx, int64_t debt)
{
    struct store_debt d;
    assert_int_equal(store_debt_get_id(fx->s, debt, &d), 0);
    return d.balance_cents;
}

static int64_t count(struct fixture *fx, const char *what)
{
    int64_t n = -1;
    assert_int_equal(store_count(fx->s, what, &n), 0);
    return n;
}

/* --- payment files ------------------------------------------------------ */

struct pay {
    const char *id;
    const char *tin;
    const char *last;
    const char *source;
    int64_t amount;
    int64_t disposable; /* 0: blank */
    bool joint;
    const char *spouse_tin, *spouse_last;
    int32_t share;
    bool no_share; /* a joint payment without debtor_share_bp */
    char tin_type; /* 0: 'S' */
};

static void set_text(struct writer *w, const char *name, const char *text)
{
    if (text != NULL && writer_set_text_by_name(w, name, text) < 0)
        fail_msg("set %s: %s", name, writer_error(w));
}

static void set_num(struct writer *w, const char *name, int64_t v)
{
    if (writer_set_num_by_name(w, name, v) < 0)
        fail_msg("set %s: %s", name, writer_error(w));
}

/* Write the payments P to a new file under the fixture's folder with
 * LAYOUT and the header's PAYER_CODE; its path into PATH.  TRAILER_FIX,
 * when not 0, is added to the trailer's count (a file failing whole). */
static void write_payments(struct fixture *fx, const struct layout *layout,
                           const char *payer_code, const struct pay *p,
                           size_t n, int64_t trailer_fix, char *path,
                           size_t size)
{
    snprintf(path, size, "%s/payments-%d.txt", fx->dir, ++fx->files);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct writer *w = writer_new(layout, f);
    assert_non_null(w);
    assert_int_equal(writer_begin(w, "header"), 0);
    set_text(w, "payer_code", payer_code);
    set_num(w, "file_date", TODAY);
    set_num(w, "file_seq", fx->files);
    assert_int_equal(writer_end(w), 0);
    for (size_t i = 0; i < n; i++) {
        char type[2] = {p[i].tin_type ? p[i].tin_type : 'S', '\0'};
        assert_int_equal(writer_begin(w, "detail"), 0);
        set_text(w, "payment_id", p[i].id);
        set_text(w, "tin_type", type);
        set_text(w, "tin", p[i].tin);
        set_text(w, "last_name", p[i].last);
        set_text(w, "payment_source", p[i].source);
        set_num(w, "amount", p[i].amount);
        if (p[i].disposable > 0)
            set_num(w, "disposable_earnings", p[i].disposable);
        set_text(w, "joint", p[i].joint ? "Y" : "N");
        if (p[i].joint) {
            set_text(w, "spouse_tin", p[i].spouse_tin);
            set_text(w, "spouse_last_name", p[i].spouse_last);
            if (!p[i].no_share)
                set_num(w, "debtor_share_bp", p[i].share);
        }
        set_num(w, "payment_date", TODAY);
        if (writer_end(w) != 0)
            fail_msg("payment %zu: %s", i, writer_error(w));
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
    if (trailer_fix != 0) {
        char digits[16];
        long end = ftell(f);
        snprintf(digits, sizeof digits, "%09lld",
                 (long long)((int64_t)n + trailer_fix));
        assert_int_equal(fseek(f, end - 201 + 1, SEEK_SET), 0);
        assert_int_equal(fwrite(digits, 1, 9, f), 9);
    }
    assert_int_equal(fclose(f), 0);
}

static int ingest(struct fixture *fx, const struct store_partner *payer,
                  const char *programs, const char *path,
                  struct payer_result *res)
{
    char err[512];
    struct payer_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir =
                                   programs ? programs : fx->programs,
                               .partner = payer,
                               .path = path};
    int rc = payer_file(&rq, res, err, sizeof err);
    if (rc < 0)
        print_error("payer_file: %s\n", err);
    return rc;
}

/* --- reading the outputs back ------------------------------------------- */

struct off_line {
    char id[24];
    char tin[10];
    int64_t offset, fee, released, amount;
    char agency[12];
    char account[24];
    char action;
    char trace[24];
};

struct coll_line {
    char account[24];
    char kind;
    char trace[16];
    char reversal_of[16];
    int64_t amount, fee, net;
    char source[4];
};

static void text_of(const struct record *rec, const char *name, char *buf,
                    size_t size)
{
    int i = layout_field_index(rec->type, name);
    const struct field_value *v = &rec->values[i];
    size_t n = v->state == VALUE_OK ? v->text_len : 0;
    if (n >= size)
        n = size - 1;
    memcpy(buf, n ? v->text : "", n);
    buf[n] = '\0';
}

static int64_t num_of(const struct record *rec, const char *name)
{
    const struct field_value *v =
        &rec->values[layout_field_index(rec->type, name)];
    return v->state == VALUE_OK ? v->num : 0;
}

/* Read the file at PATH through LAYOUT (the reader checks its structure
 * and control totals): each detail to FN.  The number of details. */
static int read_details(const struct layout *layout, const char *path,
                        void (*fn)(const struct record *rec, void *out, int i),
                        void *out, int max)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail_msg("cannot open %s", path);
    struct reader *rd = reader_new(layout, fd, path);
    const struct record *rec;
    enum reader_status st;
    int n = 0;
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->n_errors > 0)
            fail_msg("%s line %llu: %s", path, (unsigned long long)rec->line,
                     rec->errors[0].detail);
        if (strcmp(rec->type->name, "detail") != 0)
            continue;
        if (n < max)
            fn(rec, out, n);
        n++;
    }
    if (st != READER_END)
        fail_msg("%s: %s", path, reader_file_error(rd)->detail);
    reader_free(rd);
    close(fd);
    return n;
}

static void off_detail(const struct record *rec, void *out, int i)
{
    struct off_line *l = &((struct off_line *)out)[i];
    text_of(rec, "payment_id", l->id, sizeof l->id);
    text_of(rec, "tin", l->tin, sizeof l->tin);
    text_of(rec, "agency_code", l->agency, sizeof l->agency);
    text_of(rec, "account", l->account, sizeof l->account);
    l->offset = num_of(rec, "offset_amount");
    l->fee = num_of(rec, "fee_amount");
    l->released = num_of(rec, "released_amount");
    l->amount = num_of(rec, "payment_amount");
    char action[4];
    text_of(rec, "action", action, sizeof action);
    l->action = action[0];
    text_of(rec, "trace_id", l->trace, sizeof l->trace);
}

static void coll_detail(const struct record *rec, void *out, int i)
{
    struct coll_line *l = &((struct coll_line *)out)[i];
    char kind[4];
    text_of(rec, "account", l->account, sizeof l->account);
    text_of(rec, "kind", kind, sizeof kind);
    text_of(rec, "trace_id", l->trace, sizeof l->trace);
    text_of(rec, "reversal_of", l->reversal_of, sizeof l->reversal_of);
    text_of(rec, "payment_source", l->source, sizeof l->source);
    l->kind = kind[0];
    l->amount = num_of(rec, "amount");
    l->fee = num_of(rec, "fee");
    l->net = num_of(rec, "net");
}

/* The offset file of RES, into LINES (up to MAX); the count. */
static int offsets(struct fixture *fx, const struct layout *layout,
                   const struct payer_result *res, struct off_line *lines,
                   int max)
{
    (void)fx;
    assert_true(res->offset_path[0] != '\0');
    return read_details(layout, res->offset_path, off_detail, lines, max);
}

/* The collection file AGENCY got from payment file FILE_ID: its lines
 * into LINES (up to MAX); the count, -1 when there is no such file. */
static int collections(struct fixture *fx, const struct store_partner *agency,
                       const char *file_name, int64_t file_id,
                       struct coll_line *lines, int max)
{
    char dir[1024], path[1200];
    assert_int_equal(
        home_box_path(&fx->h, agency->name, "outbox", dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/collections.%s.%lld.txt", dir, file_name,
             (long long)file_id);
    if (access(path, R_OK) != 0)
        return -1;
    return read_details(fx->coll, path, coll_detail, lines, max);
}

/* How many files PARTNER's outbox holds. */
static int outbox_count(struct fixture *fx, const struct store_partner *p)
{
    char dir[1024];
    int n = 0;
    assert_int_equal(home_box_path(&fx->h, p->name, "outbox", dir, sizeof dir),
                     0);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* --- hand-worked cases -------------------------------------------------- */

/* Kansas: a $33.33 refund to a debtor owing $500: all of it offset; the
 * 18.40% fee withheld from the agency (6.13), not taken from the payment.
 */
static void test_single_match_offsets_with_kansas_withheld_fee(void **state)
{
    struct fixture *fx = *state;
    int64_t debt = add_debt(fx, &fx->ks_a, "A-1", "123456789", "SMITH", "29",
                            50000, 20200101);
    struct pay p[] = {{.id = "K1",
                       .tin = "123456789",
                       .last = "Smith",
                       .source = "TAX",
                       .amount = 3333}};
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(res.records, 1);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.amount_cents, 3333);
    assert_int_equal(res.matched, 1);
    assert_int_equal(res.offsets, 1);
    assert_int_equal(res.offset_cents, 3333);
    assert_int_equal(res.fee_cents, 0);
    assert_int_equal(res.released_cents, 0);
    assert_int_equal(res.withheld_cents, 613);
    assert_int_equal(res.final_on, KANSAS_FINAL);
    assert_int_equal(res.agency_files, 1);
    assert_int_equal(balance(fx, debt), 50000 - 3333);

    struct off_line o[4];
    assert_int_equal(offsets(fx, fx->ks_off, &res, o, 4), 1);
    assert_string_equal(o[0].id, "K1");
    assert_string_equal(o[0].tin, "123456789");
    assert_int_equal(o[0].offset, 3333);
    assert_int_equal(o[0].fee, 0);
    assert_int_equal(o[0].released, 0);
    assert_int_equal(o[0].amount, 3333);
    assert_string_equal(o[0].agency, "KSA");
    assert_string_equal(o[0].account, "A-1");

    struct coll_line c[4];
    assert_int_equal(collections(fx, &fx->ks_a, base(path), res.file_id, c, 4),
                     1);
    assert_string_equal(c[0].account, "A-1");
    assert_int_equal(c[0].kind, 'O');
    assert_int_equal(c[0].amount, 3333);
    assert_int_equal(c[0].fee, 613);
    assert_int_equal(c[0].net, 2720);
    assert_string_equal(c[0].source, "TAX");
    assert_int_equal(collections(fx, &fx->ks_b, base(path), res.file_id, c, 4),
                     -1);

    /* the ledger has it, final in 15 days, its trace the payment's */
    struct store_entry e;
    assert_int_equal(store_offset_find(fx->s, fx->ks_payer.id, "K1.01", &e), 0);
    assert_int_equal(e.debt_id, debt);
    assert_int_equal(e.amount_cents, 3333);
    assert_int_equal(e.fee_cents, 613);
    assert_int_equal(e.final_on, KANSAS_FINAL);
    char trace[16];
    snprintf(trace, sizeof trace, "%lld", (long long)e.id);
    assert_string_equal(c[0].trace, trace);
    struct store_payment sp;
    assert_int_equal(store_payment_find(fx->s, fx->ks_payer.id, "K1", &sp), 0);
    assert_int_equal(sp.amount_cents, 3333);
    assert_int_equal(sp.offset_cents, 3333);
    assert_int_equal(access(res.ack_path, R_OK), 0);
    assert_int_equal(res.unprocessable_path[0], '\0');
}

/* Kansas breaks ties in its one class by the oldest delinquency: the
 * older, smaller debt of agency A is paid in full before agency B's. */
static void test_two_agencies_paid_in_priority_order(void **state)
{
    struct fixture *fx = *state;
    int64_t b = add_debt(fx, &fx->ks_b, "B-2", "223456789", "JONES", "29",
                         20000, 20220101);
    int64_t a = add_debt(fx, &fx->ks_a, "A-2", "223456789", "JONES", "29",
                         10000, 20200101);
    struct pay p[] = {{.id = "K2",
                       .tin = "223456789",
                       .last = "JONES",
                       .source = "TAX",
                       .amount = 25000}};
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    struct off_line o[4];
    assert_int_equal(offsets(fx, fx->ks_off, &res, o, 4), 2);
    assert_string_equal(o[0].account, "A-2");
    assert_int_equal(o[0].offset, 10000);
    assert_int_equal(o[0].released, 0);
    assert_string_equal(o[1].account, "B-2");
    assert_int_equal(o[1].offset, 15000);
    assert_int_equal(o[1].released, 0);
    assert_int_equal(balance(fx, a), 0);
    assert_int_equal(balance(fx, b), 5000);
    struct store_debt d;
    assert_int_equal(store_debt_get_id(fx->s, a, &d), 0);
    assert_int_equal(d.status, DEBT_X); /* paid off: closed */

    struct coll_line c[4];
    assert_int_equal(collections(fx, &fx->ks_a, base(path), res.file_id, c, 4),
                     1);
    assert_int_equal(c[0].fee, 1840);
    assert_int_equal(collections(fx, &fx->ks_b, base(path), res.file_id, c, 4),
                     1);
    assert_int_equal(c[0].amount, 15000);
    assert_int_equal(c[0].fee, 2760);
    assert_int_equal(c[0].net, 12240);
    assert_int_equal(res.agency_files, 2);
}

/* Utah Finder (allocate.h's worked example): $180 refund, claims ORS
 * $100, HED $40, LOC $30 in the hierarchy's order whatever the
 * registry's; $15 per agency deducted from the refund first: ORS 100 +
 * 15, HED 40 + 15, LOC cannot pay its fee, 10.00 released. */
static void test_utah_order_and_deducted_fee(void **state)
{
    struct fixture *fx = *state;
    int64_t loc = add_debt(fx, &fx->ut_loc, "LOC-1", "528119944", "JENSEN",
                           "LOC", 3000, 20200101);
    int64_t hed = add_debt(fx, &fx->ut_hed, "HED-1", "528119944", "JENSEN",
                           "HED", 4000, 20200101);
    int64_t ors = add_debt(fx, &fx->ut_ors, "ORS-1", "528119944", "JENSEN",
                           "ORS", 10000, 20200101);
    struct pay p[] = {{.id = "U1",
                       .tin = "528119944",
                       .last = "JENSEN",
                       .source = "TAX",
                       .amount = 18000}};
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ut_pay, "USTC", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ut_payer, NULL, path, &res), 0);
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(res.final_on, UTAH_FINAL);
    struct off_line o[4];
    assert_int_equal(offsets(fx, fx->ut_off, &res, o, 4), 2);
    assert_string_equal(o[0].agency, "ORS01");
    assert_int_equal(o[0].offset, 10000);
    assert_int_equal(o[0].fee, 1500);
    assert_int_equal(o[0].released, 0);
    assert_string_equal(o[1].agency, "HED01");
    assert_int_equal(o[1].offset, 4000);
    assert_int_equal(o[1].fee, 1500);
    assert_int_equal(o[1].released, 1000);
    assert_int_equal(res.offset_cents, 14000);
    assert_int_equal(res.fee_cents, 3000);
    assert_int_equal(res.released_cents, 1000);
    assert_int_equal(balance(fx, ors), 0);
    assert_int_equal(balance(fx, hed), 0);
    assert_int_equal(balance(fx, loc), 3000);
    /* the fee came out of the refund: the agency gets the whole offset */
    struct coll_line c[4];
    assert_int_equal(
        collections(fx, &fx->ut_ors, base(path), res.file_id, c, 4), 1);
    assert_int_equal(c[0].amount, 10000);
    assert_int_equal(c[0].fee, 0);
    assert_int_equal(c[0].net, 10000);
    assert_int_equal(
        collections(fx, &fx->ut_loc, base(path), res.file_id, c, 4), -1);
    struct store_payment sp;
    assert_int_equal(store_payment_find(fx->s, fx->ut_payer.id, "U1", &sp), 0);
    assert_int_equal(sp.fee_cents, 3000);
    assert_int_equal(sp.released_cents, 1000);
}

/* Kansas joint refund of $1,000.01, the debtor's share of the income
 * 60%: 600.00 may be offset, the spouse's 400.01 is released.  And a
 * joint refund whose spouse is the debtor: the spouse's share only. */
static void test_joint_refund_takes_the_debtors_share(void **state)
{
    struct fixture *fx = *state;
    int64_t lee = add_debt(fx, &fx->ks_a, "A-4", "323456789", "LEE", "29",
                           70000, 20200101);
    int64_t ngu = add_debt(fx, &fx->ks_b, "B-4", "623456789", "NGUYEN", "23",
                           100000, 20200101);
    struct pay p[] = {
        {.id = "K4",
         .tin = "323456789",
         .last = "LEE",
         .source = "TAX",
         .amount = 100001,
         .joint = true,
         .spouse_tin = "423456789",
         .spouse_last = "PARK",
         .share = 6000},
        /* the payee a stranger with 25% of the income, the spouse owes */
        {.id = "K5",
         .tin = "723456789",
         .last = "TRAN",
         .source = "TAX",
         .amount = 80000,
         .joint = true,
         .spouse_tin = "623456789",
         .spouse_last = "Nguyen",
         .share = 2500},
    };
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 2, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    struct off_line o[4];
    assert_int_equal(offsets(fx, fx->ks_off, &res, o, 4), 2);
    assert_string_equal(o[0].id, "K4");
    assert_int_equal(o[0].offset, 60000);
    assert_int_equal(o[0].released, 40001);
    assert_string_equal(o[1].id, "K5");
    assert_string_equal(o[1].tin, "623456789"); /* whose debt it is */
    assert_int_equal(o[1].offset, 60000);
    assert_int_equal(o[1].released, 20000);
    assert_int_equal(balance(fx, lee), 10000);
    assert_int_equal(balance(fx, ngu), 40000);
    assert_int_equal(res.matched, 2);
}

/* Kansas payroll (allocate.h's worked example): net pay $800,
 * disposable earnings $1,000; the older debt (type 29) is capped at 25%
 * of disposable (250.00), the state tax debt (11, 100%) takes its 300.00;
 * 250.00 released. */
static void test_payroll_cap(void **state)
{
    struct fixture *fx = *state;
    int64_t other = add_debt(fx, &fx->ks_a, "A-5", "823456789", "MILLER", "29",
                             50000, 20190101);
    int64_t tax = add_debt(fx, &fx->ks_b, "B-5", "823456789", "MILLER", "11",
                           30000, 20210101);
    struct pay p[] = {{.id = "K6",
                       .tin = "823456789",
                       .last = "MILLER",
                       .source = "PAY",
                       .amount = 80000,
                       .disposable = 100000}};
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    struct off_line o[4];
    assert_int_equal(offsets(fx, fx->ks_off, &res, o, 4), 2);
    assert_string_equal(o[0].account, "A-5");
    assert_int_equal(o[0].offset, 25000);
    assert_string_equal(o[1].account, "B-5");
    assert_int_equal(o[1].offset, 30000);
    assert_int_equal(o[1].released, 25000);
    assert_int_equal(balance(fx, other), 25000);
    assert_int_equal(balance(fx, tax), 0);
}

/* An exempt payment (DIS, disaster relief) to a debtor: matched, nothing
 * taken: one line, offset 0, no agency, all released; the ledger and
 * the balance untouched.  A payment for nobody has no line at all. */
static void test_exempt_source_and_payment_for_nobody(void **state)
{
    struct fixture *fx = *state;
    int64_t debt = add_debt(fx, &fx->ks_a, "A-6", "923456789", "DAVIS", "29",
                            40000, 20200101);
    struct pay p[] = {
        {.id = "K7",
         .tin = "923456789",
         .last = "DAVIS",
         .source = "DIS",
         .amount = 50000},
        {.id = "K8",
         .tin = "111223333",
         .last = "STRANGER",
         .source = "TAX",
         .amount = 10000},
    };
    struct payer_result res;
    char path[256];
    int64_t ledger = count(fx, "ledger");
    write_payments(fx, fx->ks_pay, "KDOR", p, 2, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(res.records, 2);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.amount_cents, 60000);
    assert_int_equal(res.matched, 1);
    assert_int_equal(res.offsets, 0);
    assert_int_equal(res.agency_files, 0);
    struct off_line o[4];
    assert_int_equal(offsets(fx, fx->ks_off, &res, o, 4), 1);
    assert_string_equal(o[0].id, "K7");
    assert_int_equal(o[0].offset, 0);
    assert_int_equal(o[0].released, 50000);
    assert_string_equal(o[0].agency, "");
    assert_string_equal(o[0].account, "");
    assert_int_equal(balance(fx, debt), 40000);
    assert_int_equal(count(fx, "ledger"), ledger);
}

/* The TIN is a debtor's, the name is not by the rule (tin+last-name):
 * no match.  Scrubbing still lets O'Brien be OBRIEN. */
static void test_name_must_pass_the_rule(void **state)
{
    struct fixture *fx = *state;
    int64_t smith = add_debt(fx, &fx->ks_a, "A-7", "133456789", "SMITH", "29",
                             40000, 20200101);
    int64_t obrien = add_debt(fx, &fx->ks_a, "A-8", "143456789", "OBRIEN", "29",
                              40000, 20200101);
    struct pay p[] = {
        {.id = "K9",
         .tin = "133456789",
         .last = "JONES",
         .source = "TAX",
         .amount = 10000},
        {.id = "K10",
         .tin = "133456789",
         .last = "SMITHSON",
         .source = "TAX",
         .amount = 10000},
        {.id = "K11",
         .tin = "143456789",
         .last = "O'Brien",
         .source = "TAX",
         .amount = 10000},
    };
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 3, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(res.name_mismatches, 2);
    assert_int_equal(res.matched, 1);
    struct off_line o[4];
    assert_int_equal(offsets(fx, fx->ks_off, &res, o, 4), 1);
    assert_string_equal(o[0].id, "K11");
    assert_int_equal(balance(fx, smith), 40000);
    assert_int_equal(balance(fx, obrien), 30000);
}

/* A copy of the Kansas profile matching by name control instead: SMITHSON
 * has SMITH's name control, so it matches; JONES still does not. */
static void test_name_control_rule(void **state)
{
    struct fixture *fx = *state;
    char dir[256], programs[300], cmd[2048];
    snprintf(dir, sizeof dir, "%s/formats", fx->dir);
    snprintf(programs, sizeof programs, "%s/programs", dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && ln -s '%s/../layouts' '%s/layouts' && "
             "sed 's/value=\"tin+last-name\"/value=\"tin+name-control\"/' "
             "'%s/kansas.xml' > '%s/kansas.xml'",
             programs, fx->programs, dir, fx->programs, programs);
    assert_int_equal(system(cmd), 0);
    int64_t smith = add_debt(fx, &fx->ks_a, "A-9", "153456789", "SMITH", "29",
                             40000, 20200101);
    struct pay p[] = {
        {.id = "K12",
         .tin = "153456789",
         .last = "JONES",
         .source = "TAX",
         .amount = 10000},
        {.id = "K13",
         .tin = "153456789",
         .last = "SMITHSON",
         .source = "TAX",
         .amount = 10000},
    };
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 2, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, programs, path, &res), 0);
    assert_int_equal(res.name_mismatches, 1);
    assert_int_equal(res.matched, 1);
    assert_int_equal(balance(fx, smith), 30000);
}

/* Bad payments are refused with codes, in the payer's unprocessable file;
 * the good ones are applied. */
static void test_bad_records_are_refused_with_codes(void **state)
{
    struct fixture *fx = *state;
    int64_t debt = add_debt(fx, &fx->ks_a, "A-10", "163456789", "HILL", "29",
                            40000, 20200101);
    struct pay p[] = {
        {.id = "K14",
         .tin = "163456789",
         .last = "HILL",
         .source = "TAX",
         .amount = 10000,
         .joint = true,
         .spouse_tin = "173456789",
         .spouse_last = "HILL",
         .no_share = true},
        {.id = "K15",
         .tin = "163456789",
         .last = "HILL",
         .source = "PAY",
         .amount = 10000},
        {.id = "K16",
         .tin = "163456789",
         .last = "HILL",
         .source = "TAX",
         .amount = 10000},
    };
    struct payer_result res;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 3, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(res.status, FILE_PARTIAL);
    assert_int_equal(res.records, 3);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.rejected, 2);
    assert_int_equal(res.amount_cents, 10000);
    assert_int_equal(balance(fx, debt), 30000);
    assert_true(res.unprocessable_path[0] != '\0');
    size_t len;
    char *unp = tu_read_file(res.unprocessable_path, &len);
    assert_non_null(strstr(unp, "C_JOINT_SHARE"));
    assert_non_null(strstr(unp, "C_DISPOSABLE"));
    assert_non_null(strstr(unp, "K14"));
    free(unp);
}

/* The same bytes again change nothing; a new file with a payment id that
 * matched before refuses that payment. */
static void test_duplicate_file_and_payment(void **state)
{
    struct fixture *fx = *state;
    int64_t debt = add_debt(fx, &fx->ks_a, "A-11", "183456789", "KING", "29",
                            40000, 20200101);
    struct pay p[] = {{.id = "K17",
                       .tin = "183456789",
                       .last = "KING",
                       .source = "TAX",
                       .amount = 10000}};
    struct payer_result res, dup;
    char path[256], again[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    int64_t ledger = count(fx, "ledger");
    int outbox = outbox_count(fx, &fx->ks_payer);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &dup), 0);
    assert_int_equal(dup.status, FILE_DUPLICATE);
    assert_int_equal(dup.duplicate_of, res.file_id);
    assert_string_equal(dup.reason_code, "C_DUP_FILE");
    assert_int_equal(dup.offset_path[0], '\0');
    assert_int_equal(balance(fx, debt), 30000);
    assert_int_equal(count(fx, "ledger"), ledger);
    assert_int_equal(outbox_count(fx, &fx->ks_payer), outbox + 1); /* ack */

    /* other bytes (another file_seq), the same payment id */
    write_payments(fx, fx->ks_pay, "KDOR", p, 1, 0, again, sizeof again);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, again, &dup), 0);
    assert_int_equal(dup.status, FILE_PARTIAL);
    assert_int_equal(dup.rejected, 1);
    assert_int_equal(dup.matched, 0);
    assert_int_equal(balance(fx, debt), 30000);
    assert_int_equal(count(fx, "ledger"), ledger);
    size_t len;
    char *unp = tu_read_file(dup.unprocessable_path, &len);
    assert_non_null(strstr(unp, "C_DUP_PAYMENT"));
    free(unp);
}

/* A file failing whole (its trailer's count is wrong) after a matching
 * payment: nothing of it stays, no agency and no offset file. */
static void test_file_failing_whole_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    int64_t debt = add_debt(fx, &fx->ks_a, "A-12", "193456789", "SCOTT", "29",
                            40000, 20200101);
    struct pay p[] = {
        {.id = "K18",
         .tin = "193456789",
         .last = "SCOTT",
         .source = "TAX",
         .amount = 10000},
        {.id = "K19",
         .tin = "111223333",
         .last = "NOBODY",
         .source = "TAX",
         .amount = 10000},
    };
    struct payer_result res;
    char path[256];
    int64_t ledger = count(fx, "ledger"), files = count(fx, "files");
    int payer_out = outbox_count(fx, &fx->ks_payer);
    int agency_out = outbox_count(fx, &fx->ks_a);
    write_payments(fx, fx->ks_pay, "KDOR", p, 2, 1, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(res.status, FILE_REJECTED);
    assert_string_equal(res.reason_code, "E_TOTAL");
    assert_int_equal(res.matched, 0);
    assert_int_equal(res.offset_path[0], '\0');
    assert_int_equal(balance(fx, debt), 40000);
    assert_int_equal(count(fx, "ledger"), ledger);
    assert_int_equal(count(fx, "files"), files + 2); /* its row, the ack */
    assert_int_equal(outbox_count(fx, &fx->ks_payer), payer_out + 1);
    assert_int_equal(outbox_count(fx, &fx->ks_a), agency_out);
    struct store_payment sp;
    assert_int_equal(store_payment_find(fx->s, fx->ks_payer.id, "K18", &sp),
                     -ENOENT);
    /* and a header naming another payer is refused whole too */
    write_payments(fx, fx->ks_pay, "OTHER", p, 2, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(res.status, FILE_REJECTED);
    assert_string_equal(res.reason_code, "C_AGENCY");
    assert_int_equal(balance(fx, debt), 40000);
}

struct appeal_seen {
    int n;
    int outcome[8];
};

static void seen(const struct payer_appeal_line *l, void *ctx)
{
    struct appeal_seen *a = ctx;
    if (a->n < 8)
        a->outcome[a->n++] = (int)l->outcome;
}

/* An appeal in the window holds every offset of the payment; a second
 * one finds them held; after the window the offsets are final. */
static void test_appeal_holds_pending_offsets(void **state)
{
    struct fixture *fx = *state;
    add_debt(fx, &fx->ks_a, "A-13", "213456789", "YOUNG", "29", 10000,
             20200101);
    add_debt(fx, &fx->ks_b, "B-13", "213456789", "YOUNG", "29", 10000,
             20210101);
    add_debt(fx, &fx->ks_a, "A-14", "243456789", "ALLEN", "29", 10000,
             20200101);
    struct pay p[] = {
        {.id = "K20",
         .tin = "213456789",
         .last = "YOUNG",
         .source = "TAX",
         .amount = 15000},
        {.id = "K21",
         .tin = "243456789",
         .last = "ALLEN",
         .source = "TAX",
         .amount = 5000},
    };
    struct payer_result res;
    struct appeal_seen a = {0};
    char path[256], err[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 2, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);

    assert_int_equal(payer_appeal(fx->s, &fx->ks_payer, "K20", NULL,
                                  KANSAS_FINAL - 1, seen, &a, err, sizeof err),
                     0);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.outcome[0], PAYER_APPEAL_RECORDED);
    assert_int_equal(a.outcome[1], PAYER_APPEAL_RECORDED);
    a.n = 0;
    assert_int_equal(payer_appeal(fx->s, &fx->ks_payer, "K20", NULL, TODAY,
                                  seen, &a, err, sizeof err),
                     0);
    assert_int_equal(a.outcome[0], PAYER_APPEAL_BEFORE);
    struct store_entry e;
    int32_t filed = 0;
    assert_int_equal(store_offset_find(fx->s, fx->ks_payer.id, "K20.02", &e),
                     0);
    assert_int_equal(store_appeal_get(fx->s, e.id, &filed), 0);
    assert_int_equal(filed, KANSAS_FINAL - 1);

    /* K21 on the day it becomes final: too late */
    a.n = 0;
    assert_int_equal(payer_appeal(fx->s, &fx->ks_payer, NULL, "K21.01",
                                  KANSAS_FINAL, seen, &a, err, sizeof err),
                     -EPERM);
    assert_int_equal(a.outcome[0], PAYER_APPEAL_FINAL);
    assert_int_equal(payer_appeal(fx->s, &fx->ks_payer, "NOPE", NULL, TODAY,
                                  NULL, NULL, err, sizeof err),
                     -ENOENT);
}

/* --- deciding appeals ---------------------------------------------------- */

struct decided {
    int n;
    struct payer_decide_line l[8];
};

static void note_decision(const struct payer_decide_line *l, void *ctx)
{
    struct decided *d = ctx;
    if (d->n < 8)
        d->l[d->n++] = *l;
}

static int decide(struct fixture *fx, const struct store_partner *payer,
                  const char *payment, const char *trace,
                  enum appeal_decision decision, int32_t day,
                  struct payer_decide_result *res, struct decided *seen_lines)
{
    char err[512];
    struct payer_decide_request rq = {.home = &fx->h,
                                      .store = fx->s,
                                      .programs_dir = fx->programs,
                                      .payer = payer,
                                      .payment_id = payment,
                                      .trace_id = trace,
                                      .decision = decision,
                                      .today = day,
                                      .fn = note_decision,
                                      .ctx = seen_lines};
    if (seen_lines != NULL)
        seen_lines->n = 0;
    else
        rq.fn = NULL;
    return payer_decide(&rq, res, err, sizeof err);
}

static int appeal(struct fixture *fx, const struct store_partner *payer,
                  const char *payment, const char *trace, int32_t day)
{
    char err[256];
    return payer_appeal(fx->s, payer, payment, trace, day, NULL, NULL, err,
                        sizeof err);
}

/* The payment's money as the registry has it now adds up: offsets kept +
 * fees kept + released (as first written) + released by upheld appeals
 * == the payment; the ledger's offsets and deducted fees are the
 * payments row's. */
static void assert_payment_conserved(struct fixture *fx,
                                     const struct store_partner *payer,
                                     const char *payment)
{
    struct store_payment sp;
    struct store_payment_money m;
    assert_int_equal(store_payment_find(fx->s, payer->id, payment, &sp), 0);
    assert_int_equal(store_payment_money(fx->s, payer->id, payment, &m), 0);
    assert_int_equal(m.offset_cents, sp.offset_cents);
    assert_int_equal(m.deducted_cents, sp.fee_cents);
    assert_int_equal(m.released_later_cents,
                     m.reversed_cents + m.refunded_cents);
    assert_int_equal((m.offset_cents - m.reversed_cents) +
                         (m.deducted_cents - m.refunded_cents) +
                         sp.released_cents + m.released_later_cents,
                     sp.amount_cents);
}

static int last_change(const struct store_change *c, void *ctx)
{
    *(struct store_change *)ctx = *c;
    return 0;
}

/* Denied: the hold lifts, final on the later of its day and the
 * decision's; deciding again, deciding an offset never appealed, and
 * appealing a decided one are refused and change nothing. */
static void test_denied_appeal_lifts_the_hold(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_debt(fx, &fx->ks_a, "A-20", "313456789", "HALL", "29",
                         10000, 20200101);
    add_debt(fx, &fx->ks_b, "B-20", "313456789", "HALL", "29", 10000, 20210101);
    struct pay p[] = {{.id = "K30",
                       .tin = "313456789",
                       .last = "HALL",
                       .source = "TAX",
                       .amount = 15000}};
    struct payer_result res;
    struct payer_decide_result dr;
    struct decided seen_lines;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(res.offsets, 2);

    /* nothing appealed yet: nothing to decide */
    assert_int_equal(decide(fx, &fx->ks_payer, "K30", NULL, APPEAL_DENIED,
                            TODAY, &dr, &seen_lines),
                     -EPERM);
    assert_int_equal(seen_lines.n, 2);
    assert_int_equal(seen_lines.l[0].outcome, PAYER_NOT_HELD);
    assert_int_equal(dr.decided, 0);

    /* K30.01 appealed; deciding the payment decides it and refuses .02 */
    assert_int_equal(appeal(fx, &fx->ks_payer, NULL, "K30.01", TODAY + 1), 0);
    int64_t files = count(fx, "files");
    assert_int_equal(decide(fx, &fx->ks_payer, "K30", NULL, APPEAL_DENIED,
                            TODAY + 3, &dr, &seen_lines),
                     0);
    assert_int_equal(dr.decided, 1);
    assert_int_equal(dr.refused, 1);
    assert_int_equal(seen_lines.l[0].outcome, PAYER_DECIDED);
    assert_int_equal(seen_lines.l[0].decision.final_on, KANSAS_FINAL);
    assert_int_equal(seen_lines.l[1].outcome, PAYER_NOT_HELD);
    assert_int_equal(dr.release_path[0], '\0');
    assert_int_equal(count(fx, "files"), files); /* a denial sends nothing */
    assert_int_equal(balance(fx, a), 0);         /* the offset stands */

    /* decided once only; and an appeal of it now is refused */
    assert_int_equal(decide(fx, &fx->ks_payer, NULL, "K30.01", APPEAL_UPHELD,
                            TODAY + 4, &dr, &seen_lines),
                     -EPERM);
    assert_int_equal(seen_lines.l[0].outcome, PAYER_DECIDED_BEFORE);
    assert_int_equal(seen_lines.l[0].decision.decision, APPEAL_DENIED);
    assert_int_equal(balance(fx, a), 0);
    assert_int_equal(appeal(fx, &fx->ks_payer, NULL, "K30.01", TODAY + 4),
                     -EPERM);

    /* K30.02 appealed late in its window and denied after it: final on
     * the decision's day */
    assert_int_equal(
        appeal(fx, &fx->ks_payer, NULL, "K30.02", KANSAS_FINAL - 1), 0);
    assert_int_equal(decide(fx, &fx->ks_payer, NULL, "K30.02", APPEAL_DENIED,
                            KANSAS_FINAL + 6, &dr, &seen_lines),
                     0);
    assert_int_equal(seen_lines.l[0].decision.final_on, KANSAS_FINAL + 6);
    struct store_entry e;
    struct store_decision d;
    assert_int_equal(store_offset_find(fx->s, fx->ks_payer.id, "K30.02", &e),
                     0);
    assert_int_equal(store_decision_get(fx->s, e.id, &d), 0);
    assert_int_equal(d.decision, APPEAL_DENIED);
    assert_int_equal(d.decided_on, KANSAS_FINAL + 6);
    assert_int_equal(d.reversal_id, 0);

    /* no such offset, a decision before its appeal */
    assert_int_equal(decide(fx, &fx->ks_payer, NULL, "K30.09", APPEAL_DENIED,
                            TODAY, &dr, NULL),
                     -ENOENT);
    assert_payment_conserved(fx, &fx->ks_payer, "K30");
}

/* Upheld (Kansas): the offset reversed, the balance back with a history
 * row, a paid-off debt reopened, the withheld fee refunded; the payer told
 * to release it, the agency given the reversal; the payment's money still
 * adds up. */
static void test_upheld_appeal_reverses_and_releases(void **state)
{
    struct fixture *fx = *state;
    int64_t a = add_debt(fx, &fx->ks_a, "A-21", "323456789", "KING", "29",
                         10000, 20200101);
    int64_t b = add_debt(fx, &fx->ks_b, "B-21", "323456789", "KING", "29",
                         10000, 20210101);
    struct pay p[] = {{.id = "K31",
                       .tin = "323456789",
                       .last = "KING",
                       .source = "TAX",
                       .amount = 15000}};
    struct payer_result res;
    struct payer_decide_result dr;
    struct decided seen_lines;
    char path[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    struct store_debt d;
    assert_int_equal(store_debt_get_id(fx->s, a, &d), 0);
    assert_int_equal(d.status, DEBT_X); /* paid off by K31.01 */
    assert_int_equal(balance(fx, b), 5000);

    assert_int_equal(appeal(fx, &fx->ks_payer, "K31", NULL, TODAY + 2), 0);
    assert_int_equal(decide(fx, &fx->ks_payer, "K31", NULL, APPEAL_UPHELD,
                            TODAY + 5, &dr, &seen_lines),
                     0);
    assert_int_equal(dr.decided, 2);
    assert_int_equal(dr.reversed_cents, 15000);
    assert_int_equal(dr.released_cents, 15000); /* no fee from the payment */
    assert_int_equal(dr.agency_files, 2);
    assert_int_equal(balance(fx, a), 10000);
    assert_int_equal(balance(fx, b), 10000);
    assert_int_equal(store_debt_get_id(fx->s, a, &d), 0);
    assert_int_equal(d.status, DEBT_P); /* reopened */

    /* the ledger: a reversal of each, the withheld fee with it */
    struct store_entry off;
    bool reversed = false;
    assert_int_equal(store_offset_find(fx->s, fx->ks_payer.id, "K31.01", &off),
                     0);
    assert_int_equal(store_offset_reversed(fx->s, off.id, &reversed), 0);
    assert_true(reversed);
    const struct store_decision *dec = &seen_lines.l[0].decision;
    assert_int_equal(dec->decision, APPEAL_UPHELD);
    assert_int_equal(dec->released_cents, 10000);
    assert_true(dec->reversal_id > off.id);

    /* the payer's release file: R lines naming the offsets */
    struct off_line o[4];
    assert_non_null(strstr(dr.release_path, "/ks-payer/outbox/releases.K31."));
    assert_int_equal(
        read_details(fx->ks_off, dr.release_path, off_detail, o, 4), 2);
    assert_int_equal(o[0].action, 'R');
    assert_string_equal(o[0].trace, "K31.01");
    assert_string_equal(o[0].account, "A-21");
    assert_int_equal(o[0].offset, 10000);
    assert_int_equal(o[0].released, 10000);
    assert_int_equal(o[0].amount, 15000);
    assert_string_equal(o[1].trace, "K31.02");
    assert_int_equal(o[1].released, 5000);

    /* each agency's reversal, signed, its fee refunded */
    char dir[1024], rpath[1200];
    const char *name = strrchr(dr.release_path, '/') + strlen("/releases.");
    struct coll_line c[4];
    assert_int_equal(home_box_path(&fx->h, "ks-a", "outbox", dir, sizeof dir),
                     0);
    snprintf(rpath, sizeof rpath, "%s/reversals.%s", dir, name);
    assert_int_equal(read_details(fx->coll, rpath, coll_detail, c, 4), 1);
    assert_int_equal(c[0].kind, 'R');
    assert_int_equal(c[0].amount, -10000);
    assert_int_equal(c[0].fee, -1840);
    assert_int_equal(c[0].net, -8160);
    assert_int_equal(strtoll(c[0].reversal_of, NULL, 10), off.id);
    assert_int_equal(strtoll(c[0].trace, NULL, 10), dec->reversal_id);

    /* the history has the balance coming back */
    struct store_change last = {0};
    assert_int_equal(store_debt_history(fx->s, a, last_change, &last), 0);
    assert_string_equal(last.change, "reversal");
    assert_int_equal(last.old_balance, 0);
    assert_int_equal(last.new_balance, 10000);
    assert_int_equal(last.new_status, 'P');
    assert_payment_conserved(fx, &fx->ks_payer, "K31");
    /* and nothing of it is ever remitted */
    struct remit_result rr;
    char err[256];
    struct remit_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .payer = &fx->ks_payer,
                               .day = TODAY};
    setenv("OFFSETGW_TODAY", "2026-12-31", 1);
    rq.day = 20261231;
    assert_int_equal(remit_run(&rq, &rr, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(rr.offsets, 0);
}

/* Utah: an upheld appeal gives back the offset and the $15 Finder fee the
 * payment paid for it. */
static void test_upheld_utah_appeal_releases_the_deducted_fee(void **state)
{
    struct fixture *fx = *state;
    int64_t ors = add_debt(fx, &fx->ut_ors, "U-1", "333456789", "MOORE", "ORS",
                           10000, 20200101);
    struct pay p[] = {{.id = "U30",
                       .tin = "333456789",
                       .last = "MOORE",
                       .source = "TAX",
                       .amount = 18000}};
    struct payer_result res;
    struct payer_decide_result dr;
    char path[256];
    write_payments(fx, fx->ut_pay, "USTC", p, 1, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ut_payer, NULL, path, &res), 0);
    assert_int_equal(res.fee_cents, 1500);
    assert_int_equal(res.released_cents, 18000 - 10000 - 1500);
    assert_int_equal(appeal(fx, &fx->ut_payer, NULL, "U30.01", TODAY), 0);
    assert_int_equal(decide(fx, &fx->ut_payer, NULL, "U30.01", APPEAL_UPHELD,
                            TODAY + 1, &dr, NULL),
                     0);
    assert_int_equal(dr.released_cents, 11500);
    assert_int_equal(balance(fx, ors), 10000);
    struct off_line o[2];
    assert_int_equal(
        read_details(fx->ut_off, dr.release_path, off_detail, o, 2), 1);
    assert_int_equal(o[0].offset, 10000);
    assert_int_equal(o[0].fee, 1500);
    assert_int_equal(o[0].released, 11500);
    struct store_payment_money m;
    assert_int_equal(store_payment_money(fx->s, fx->ut_payer.id, "U30", &m), 0);
    assert_int_equal(m.refunded_cents, 1500);
    assert_payment_conserved(fx, &fx->ut_payer, "U30");
}

/* The whole setoff cycle: two payments, one's appeal upheld, the other's
 * denied after its window; remitted on the day the offsets are final,
 * what is held waits for its decision, nothing is remitted twice. */
static void test_remit_after_decisions(void **state)
{
    struct fixture *fx = *state;
    add_debt(fx, &fx->ks_a, "A-22", "343456789", "WEST", "29", 10000, 20200101);
    add_debt(fx, &fx->ks_a, "A-23", "353456789", "EAST", "29", 10000, 20200101);
    add_debt(fx, &fx->ks_b, "B-23", "363456789", "NORTH", "29", 10000,
             20200101);
    struct pay p[] = {
        {.id = "K40",
         .tin = "343456789",
         .last = "WEST",
         .source = "TAX",
         .amount = 4000},
        {.id = "K41",
         .tin = "353456789",
         .last = "EAST",
         .source = "TAX",
         .amount = 5000},
        {.id = "K42",
         .tin = "363456789",
         .last = "NORTH",
         .source = "TAX",
         .amount = 6000},
    };
    struct payer_result res;
    struct payer_decide_result dr;
    struct remit_result rr;
    char path[256], err[256];
    write_payments(fx, fx->ks_pay, "KDOR", p, 3, 0, path, sizeof path);
    assert_int_equal(ingest(fx, &fx->ks_payer, NULL, path, &res), 0);
    assert_int_equal(appeal(fx, &fx->ks_payer, "K40", NULL, TODAY), 0);
    assert_int_equal(appeal(fx, &fx->ks_payer, "K41", NULL, TODAY), 0);
    assert_int_equal(decide(fx, &fx->ks_payer, "K40", NULL, APPEAL_UPHELD,
                            TODAY + 1, &dr, NULL),
                     0);
    setenv("OFFSETGW_TODAY", "2026-12-31", 1);
    struct remit_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .payer = &fx->ks_payer,
                               .day = KANSAS_FINAL - 1};
    /* the day before: nothing final */
    assert_int_equal(remit_run(&rq, &rr, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(rr.offsets, 0);
    /* final: K42 only (K40 reversed, K41 held) */
    rq.day = KANSAS_FINAL;
    assert_int_equal(remit_run(&rq, &rr, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(rr.offsets, 1);
    assert_int_equal(rr.amount_cents, 6000);
    assert_int_equal(rr.fee_cents, 1104); /* 18.40% */
    assert_int_equal(rr.net_cents, 4896);
    assert_int_equal(remit_run(&rq, &rr, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(rr.offsets, 0);
    /* K41 denied on the 10th: remitted from then */
    assert_int_equal(decide(fx, &fx->ks_payer, "K41", NULL, APPEAL_DENIED,
                            KANSAS_FINAL + 5, &dr, NULL),
                     0);
    rq.day = KANSAS_FINAL + 4;
    assert_int_equal(remit_run(&rq, &rr, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(rr.offsets, 0);
    rq.day = KANSAS_FINAL + 5;
    assert_int_equal(remit_run(&rq, &rr, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(rr.offsets, 1);
    assert_int_equal(rr.amount_cents, 5000);
    for (int i = 0; i < 3; i++)
        assert_payment_conserved(fx, &fx->ks_payer, p[i].id);
}

/* --- the property test -------------------------------------------------- */

#define P_DEBTORS 600
#define P_FILES 5
#define P_PAYMENTS 2400 /* per file: 12,000 in all */

struct pdebt {
    int64_t id;
    int64_t initial;
    const struct store_partner *agency;
    char account[16];
};

struct pworld {
    struct fixture *fx;
    uint64_t seed;
    struct tu_rng rng;
    char tins[P_DEBTORS][10];
    const char *lasts[P_DEBTORS];
    struct pdebt debts[P_DEBTORS * 3];
    size_t n_debts;
    int64_t payments, matched, offsets, rejected, closed;
};

#define PCHECK(w, cond, ...)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            print_error("OG_TEST_SEED=%llu: ", (unsigned long long)(w)->seed); \
            fail_msg(__VA_ARGS__);                                             \
        }                                                                      \
    } while (0)

static const char *const p_names[] = {
    "SMITH", "GARCIA", "NGUYEN", "OBRIEN", "DE LA CRUZ", "LEE", "WASHINGTON"};

/* 600 debtors, each owing 1 to 3 debts to the program's agencies. */
static void p_registry(struct pworld *w, const char *program)
{
    struct fixture *fx = w->fx;
    bool kansas = strcmp(program, "kansas") == 0;
    const struct store_partner *agencies[3] = {
        kansas ? &fx->ks_a : &fx->ut_ors, kansas ? &fx->ks_b : &fx->ut_hed,
        kansas ? &fx->ks_a : &fx->ut_loc};
    static const char *const ks_types[] = {"11", "23", "29"};
    static const char *const ut_types[] = {"ORS", "HED", "LOC"};
    assert_int_equal(store_begin(fx->s), 0);
    for (size_t i = 0; i < P_DEBTORS; i++) {
        snprintf(w->tins[i], sizeof w->tins[i], "%c%02zu%06zu",
                 kansas ? '5' : '6', i % 97 + 1, i + 1);
        w->lasts[i] = p_names[tu_rng_below(&w->rng, 7)];
        size_t n = 1 + tu_rng_below(&w->rng, 3);
        for (size_t k = 0; k < n; k++) {
            struct pdebt *d = &w->debts[w->n_debts++];
            size_t a = tu_rng_below(&w->rng, 3);
            snprintf(d->account, sizeof d->account, "%c%zu-%zu",
                     kansas ? 'K' : 'U', i, k);
            d->agency = agencies[a];
            d->initial =
                1 + (int64_t)tu_rng_below(&w->rng, tu_rng_below(&w->rng, 4) == 0
                                                       ? 5000000
                                                       : 400000);
            d->id =
                add_debt(fx, d->agency, d->account, w->tins[i], w->lasts[i],
                         kansas ? ks_types[a] : ut_types[a], d->initial,
                         20150101 + (int32_t)tu_rng_below(&w->rng, 8) * 10000);
        }
    }
    assert_int_equal(store_commit(fx->s), 0);
}

/* A random payment: a share to debtors (some under another name), the
 * rest to strangers; every source; joint ones, with the spouse a debtor
 * at times; amounts from 0 to $6,000. */
static void p_payment(struct pworld *w, bool kansas, int file, int i,
                      struct pay *p, char *id, char *tin, char *spouse)
{
    static const char *const ks_sources[] = {"TAX", "TAX", "TAX", "PAY",
                                             "HOM", "FST", "LOT", "UCP",
                                             "VEN", "KPR", "DIS"};
    struct tu_rng *r = &w->rng;
    memset(p, 0, sizeof(*p));
    snprintf(id, 24, "F%dP%05d", file, i);
    p->id = id;
    size_t who = tu_rng_below(r, P_DEBTORS);
    if (tu_rng_below(r, 10) < 3) {
        memcpy(tin, w->tins[who], 10);
        p->last = tu_rng_below(r, 20) == 0 ? "ZZYZX" : w->lasts[who];
    } else {
        snprintf(tin, 10, "7%02d%06d", (int)tu_rng_below(r, 98) + 1,
                 (int)tu_rng_below(r, 999999) + 1);
        p->last = "STRANGER";
    }
    p->tin = tin;
    p->source = kansas ? ks_sources[tu_rng_below(r, 11)] : "TAX";
    uint64_t size = tu_rng_below(r, 10);
    p->amount = size == 0   ? (int64_t)tu_rng_below(r, 3)
                : size == 1 ? (int64_t)tu_rng_below(r, 2000)
                            : (int64_t)tu_rng_below(r, 600001);
    if (strcmp(p->source, "PAY") == 0)
        p->disposable = p->amount + (int64_t)tu_rng_below(r, 100000) + 1;
    if (strcmp(p->source, "TAX") == 0 && tu_rng_below(r, 3) == 0) {
        p->joint = true;
        size_t s = tu_rng_below(r, P_DEBTORS);
        if (tu_rng_below(r, 2) == 0 && strcmp(w->tins[s], tin) != 0) {
            memcpy(spouse, w->tins[s], 10);
            p->spouse_last = w->lasts[s];
        } else {
            snprintf(spouse, 10, "8%02d%06d", (int)tu_rng_below(r, 98) + 1,
                     (int)tu_rng_below(r, 999999) + 1);
            p->spouse_last = "SPOUSE";
        }
        p->spouse_tin = spouse;
        p->share = (int32_t)tu_rng_below(r, 10001);
    }
}

/* After the files: appeals of random payments, a third upheld, a third
 * denied, a third left held; then one remittance on a day every offset is
 * final.  It pays exactly the offsets taken less those reversed and
 * those held, a second run nothing, and every payment appealed still
 * adds up. */
static void p_decide_and_remit(struct pworld *w,
                               const struct store_partner *payer,
                               const int64_t *taken)
{
    struct fixture *fx = w->fx;
    int64_t offsets = 0, reversed = 0, held = 0;
    char ids[40][24];
    int n = 0;
    for (size_t d = 0; d < w->n_debts; d++)
        offsets += taken[d];
    for (int tries = 0; tries < 400 && n < 40; tries++) {
        struct store_payment sp;
        struct store_payment_money m;
        snprintf(ids[n], 24, "F%dP%05d", (int)tu_rng_below(&w->rng, P_FILES),
                 (int)tu_rng_below(&w->rng, P_PAYMENTS));
        bool again = false;
        for (int k = 0; k < n; k++)
            again = again || strcmp(ids[k], ids[n]) == 0;
        if (again || store_payment_find(fx->s, payer->id, ids[n], &sp) != 0 ||
            sp.offset_cents == 0 || appeal(fx, payer, ids[n], NULL, TODAY) != 0)
            continue; /* nobody's, nothing taken, or appealed already */
        assert_int_equal(store_payment_money(fx->s, payer->id, ids[n], &m), 0);
        uint64_t what = tu_rng_below(&w->rng, 3);
        struct payer_decide_result dr;
        if (what == 2) {
            held += m.offset_cents;
        } else {
            PCHECK(w,
                   decide(fx, payer, ids[n], NULL,
                          what ? APPEAL_UPHELD : APPEAL_DENIED, TODAY + 1, &dr,
                          NULL) == 0,
                   "deciding %s", ids[n]);
            PCHECK(w, !what || dr.reversed_cents == m.offset_cents,
                   "%s: reversed %lld of %lld", ids[n],
                   (long long)dr.reversed_cents, (long long)m.offset_cents);
            reversed += dr.reversed_cents;
        }
        n++;
    }
    setenv("OFFSETGW_TODAY", "2026-12-31", 1);
    char err[256];
    struct remit_result rr;
    struct remit_request rq = {.home = &fx->h,
                               .store = fx->s,
                               .programs_dir = fx->programs,
                               .payer = payer,
                               .day = 20261231};
    PCHECK(w, remit_run(&rq, &rr, NULL, NULL, err, sizeof err) == 0, "%s", err);
    PCHECK(w, rr.amount_cents == offsets - reversed - held,
           "remitted %lld: taken %lld, reversed %lld, held %lld",
           (long long)rr.amount_cents, (long long)offsets, (long long)reversed,
           (long long)held);
    PCHECK(w, rr.net_cents == rr.amount_cents - rr.fee_cents,
           "net is not amount - fee");
    PCHECK(w,
           remit_run(&rq, &rr, NULL, NULL, err, sizeof err) == 0 &&
               rr.offsets == 0,
           "a second remittance paid %lld offsets", (long long)rr.offsets);
    for (int i = 0; i < n; i++)
        assert_payment_conserved(fx, payer, ids[i]);
    setenv("OFFSETGW_TODAY", "2026-11-20", 1);
    print_message("%s: %d payments appealed, %lld reversed, %lld held\n",
                  payer->name, n, (long long)reversed, (long long)held);
}

/* One program: the registry, P_FILES files of P_PAYMENTS payments, and
 * after each file every invariant. */
static void p_run(struct pworld *w, const char *program)
{
    struct fixture *fx = w->fx;
    bool kansas = strcmp(program, "kansas") == 0;
    const struct store_partner *payer = kansas ? &fx->ks_payer : &fx->ut_payer;
    const struct store_partner *agencies[3] = {kansas ? &fx->ks_a : &fx->ut_ors,
                                               kansas ? &fx->ks_b : &fx->ut_hed,
                                               kansas ? NULL : &fx->ut_loc};
    struct pay *pays = calloc(P_PAYMENTS, sizeof(*pays));
    char(*ids)[24] = calloc(P_PAYMENTS, 24);
    char(*tins)[10] = calloc(P_PAYMENTS, 10);
    char(*spouses)[10] = calloc(P_PAYMENTS, 10);
    struct off_line *lines = calloc(4 * P_PAYMENTS, sizeof(*lines));
    struct coll_line *coll = calloc(4 * P_PAYMENTS, sizeof(*coll));
    /* what each debt's agency files say was taken, over all files */
    int64_t *taken = calloc(P_DEBTORS * 3, sizeof(*taken));

    w->n_debts = 0;
    p_registry(w, program);

    for (int file = 0; file < P_FILES; file++) {
        struct payer_result res;
        char path[256];
        for (int i = 0; i < P_PAYMENTS; i++)
            p_payment(w, kansas, file, i, &pays[i], ids[i], tins[i],
                      spouses[i]);
        write_payments(fx, kansas ? fx->ks_pay : fx->ut_pay,
                       kansas ? "KDOR" : "USTC", pays, P_PAYMENTS, 0, path,
                       sizeof path);
        PCHECK(w, ingest(fx, payer, NULL, path, &res) == 0, "%s file %d",
               program, file);
        PCHECK(w, res.status == FILE_ACCEPTED, "%s file %d: %s %s", program,
               file, res.reason_code, res.reason);

        /* per payment: offsets + fees + released == amount; released on
         * the last line only; every line's payment_amount the payment's */
        int n = offsets(fx, kansas ? fx->ks_off : fx->ut_off, &res, lines,
                        4 * P_PAYMENTS);
        PCHECK(w, n <= 4 * P_PAYMENTS, "too many lines");
        int64_t sum_off = 0, sum_fee = 0, sum_rel = 0, matched = 0;
        for (int k = 0; k < n;) {
            int j = k;
            int64_t money = 0;
            while (j < n && strcmp(lines[j].id, lines[k].id) == 0) {
                PCHECK(w, lines[j].amount == lines[k].amount,
                       "payment %s: two amounts", lines[k].id);
                PCHECK(w,
                       j + 1 == n || strcmp(lines[j + 1].id, lines[k].id) ||
                           lines[j].released == 0,
                       "payment %s: released before its last line",
                       lines[k].id);
                PCHECK(w,
                       lines[j].offset >= 0 && lines[j].fee >= 0 &&
                           lines[j].released >= 0,
                       "payment %s: a negative amount", lines[k].id);
                money += lines[j].offset + lines[j].fee + lines[j].released;
                sum_off += lines[j].offset;
                sum_fee += lines[j].fee;
                sum_rel += lines[j].released;
                j++;
            }
            PCHECK(w, money == lines[k].amount,
                   "payment %s: offsets + fees + released = %lld, payment "
                   "%lld",
                   lines[k].id, (long long)money, (long long)lines[k].amount);
            long idx = strtol(strchr(lines[k].id, 'P') + 1, NULL, 10);
            PCHECK(w,
                   idx >= 0 && idx < P_PAYMENTS &&
                       pays[idx].amount == lines[k].amount,
                   "payment %s: not the payment sent", lines[k].id);
            matched++;
            k = j;
        }
        PCHECK(w, matched == res.matched, "%lld payments listed, %lld matched",
               (long long)matched, (long long)res.matched);
        PCHECK(w,
               sum_off == res.offset_cents && sum_fee == res.fee_cents &&
                   sum_rel == res.released_cents,
               "the offset file's sums are not the result's");

        /* the ledger's sums and the payments' are the payer file's */
        int64_t ln = 0, lamount = 0, lfees = 0, pn = 0, pamount = 0, poff = 0,
                pfee = 0, prel = 0;
        assert_int_equal(
            store_ledger_file_totals(fx->s, res.file_id, &ln, &lamount, &lfees),
            0);
        assert_int_equal(store_payment_totals(fx->s, res.file_id, &pn, &pamount,
                                              &poff, &pfee, &prel),
                         0);
        PCHECK(w, lamount == sum_off && ln == res.offsets,
               "ledger %lld in %lld entries, offset file %lld",
               (long long)lamount, (long long)ln, (long long)sum_off);
        PCHECK(w,
               pn == matched && poff == sum_off && pfee == sum_fee &&
                   prel == sum_rel,
               "the payments' sums are not the offset file's");
        PCHECK(w, lfees == res.withheld_cents, "withheld fees differ");
        w->matched += res.matched;
        w->offsets += res.offsets;
        w->rejected += res.rejected;
        w->payments += res.records;

        /* every agency file's total is its ledger rows' */
        int64_t agency_amount = 0, agency_fee = 0;
        for (int a = 0; a < 3; a++) {
            if (agencies[a] == NULL)
                continue;
            int m = collections(fx, agencies[a], base(path), res.file_id, coll,
                                4 * P_PAYMENTS);
            for (int k = 0; k < m; k++) {
                PCHECK(w,
                       coll[k].kind == 'O' &&
                           coll[k].net == coll[k].amount - coll[k].fee &&
                           coll[k].fee >= 0 && coll[k].amount > 0,
                       "agency %s line %d", agencies[a]->name, k);
                agency_amount += coll[k].amount;
                agency_fee += coll[k].fee;
                int64_t id = strtoll(coll[k].trace, NULL, 10);
                bool found = false;
                for (size_t d = 0; d < w->n_debts && !found; d++)
                    if (w->debts[d].agency == agencies[a] &&
                        strcmp(w->debts[d].account, coll[k].account) == 0) {
                        taken[d] += coll[k].amount;
                        found = true;
                    }
                PCHECK(w, found && id > 0, "agency %s: account %s unknown",
                       agencies[a]->name, coll[k].account);
            }
        }
        PCHECK(w, agency_amount == lamount && agency_fee == lfees,
               "agency files %lld (fees %lld), ledger %lld (fees %lld)",
               (long long)agency_amount, (long long)agency_fee,
               (long long)lamount, (long long)lfees);

        /* no balance below zero; each balance is what was owed less what
         * the agency files say was taken */
        for (size_t d = 0; d < w->n_debts; d++) {
            int64_t b = balance(fx, w->debts[d].id);
            PCHECK(w, b >= 0 && b == w->debts[d].initial - taken[d],
                   "debt %lld: balance %lld, owed %lld, taken %lld",
                   (long long)w->debts[d].id, (long long)b,
                   (long long)w->debts[d].initial, (long long)taken[d]);
        }
    }
    p_decide_and_remit(w, payer, taken);
    for (size_t d = 0; d < w->n_debts; d++)
        w->closed += balance(fx, w->debts[d].id) == 0;
    print_message("%s: %lld payments, %lld matched, %lld offsets, %lld "
                  "refused; %lld of %zu debts paid off\n",
                  program, (long long)w->payments, (long long)w->matched,
                  (long long)w->offsets, (long long)w->rejected,
                  (long long)w->closed, w->n_debts);
    w->payments = w->matched = w->offsets = w->rejected = w->closed = 0;
    free(pays);
    free(ids);
    free(tins);
    free(spouses);
    free(lines);
    free(coll);
    free(taken);
}

static void test_money_invariants_hold_for_random_payments(void **state)
{
    struct pworld *w = calloc(1, sizeof(*w));
    w->fx = *state;
    w->seed = tu_seed(20261120);
    w->rng.s = w->seed;
    print_message("OG_TEST_SEED=%llu\n", (unsigned long long)w->seed);
    p_run(w, "kansas");
    p_run(w, "utah");
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_single_match_offsets_with_kansas_withheld_fee, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_two_agencies_paid_in_priority_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utah_order_and_deducted_fee, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_joint_refund_takes_the_debtors_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payroll_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_exempt_source_and_payment_for_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_must_pass_the_rule, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_name_control_rule, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_records_are_refused_with_codes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_file_and_payment, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_failing_whole_changes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_appeal_holds_pending_offsets,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_denied_appeal_lifts_the_hold,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_upheld_appeal_reverses_and_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_upheld_utah_appeal_releases_the_deducted_fee, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remit_after_decisions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_money_invariants_hold_for_random_payments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
