/*
 * test_responses.c - a tax board's collection file into the registry,
 * with the shipped CalTRECS profile and layouts: offsets and reversals
 * applied through the ledger, one collection file per agency with only
 * what was applied, the partner's own unprocessable file for the rest,
 * duplicates and files failing whole changing nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/responses.h"
#include "offsetgw/writer.h"

struct fixture {
    char dir[64];
    char programs[1024];
    struct home h;
    struct store *s;
    struct store_partner county, city, ftb;
    int64_t debt_county, debt_city, debt_unsent;
    struct layout *layout;        /* partner-collection */
    struct layout *match_layout;  /* partner-match */
    struct layout *agency_match;  /* agency-match */
    struct layout *agency_layout; /* agency-collection */
};

static int64_t add_debt(struct store *s, int64_t agency, const char *account,
                        const char *tin, int64_t cents)
{
    struct store_name n = {.last = "SMITH", .name_control = "SMIT"};
    struct store_debt d = {.partner_id = agency,
                           .original_cents = cents,
                           .balance_cents = cents,
                           .status = DEBT_C};
    int64_t id = 0;
    store_text_copy(d.account, sizeof d.account, account);
    store_text_copy(d.debt_type, sizeof d.debt_type, "JDG");
    if (store_debtor_upsert(s, 'S', tin, &n, 0, &d.debtor_id) < 0 ||
        store_debt_add(s, &d, NULL, &id) < 0)
        return -1;
    return id;
}

static int add_partner(struct fixture *fx, struct store_partner *p,
                       enum partner_kind kind, const char *name,
                       const char *code)
{
    char err[256];
    p->kind = kind;
    p->enabled = true;
    store_text_copy(p->name, sizeof p->name, name);
    store_text_copy(p->program, sizeof p->program, "caltrecs");
    store_text_copy(p->agency_code, sizeof p->agency_code, code);
    if (store_partner_add(fx->s, p, &p->id) < 0 ||
        home_create_partner(&fx->h, name, err, sizeof err) < 0)
        return -1;
    return 0;
}

static struct layout *load(struct fixture *fx, struct profile *pr,
                           const char *exchange)
{
    char path[1024];
    struct layout_problems probs = {0};
    struct layout *l = NULL;
    if (profile_exchange_path(pr, exchange, NULL, path, sizeof path) == 0)
        l = layout_load(path, &probs);
    if (l == NULL)
        tu_print_problems(&probs);
    layout_problems_release(&probs);
    (void)fx;
    return l;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[256], root[128];
    const char *formats = getenv("OG_FORMATS");
    struct layout_problems probs = {0};

    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-responses-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    snprintf(root, sizeof root, "%s/gw", fx->dir);
    if (home_init(&fx->h, root) < 0 ||
        home_create(&fx->h, err, sizeof err) < 0 ||
        home_set_spool_plain(&fx->h, err, sizeof err) < 0 || /* read by path */
        home_open_store(&fx->h, &fx->s, err, sizeof err) < 0 ||
        add_partner(fx, &fx->county, PARTNER_AGENCY, "county", "CNTY01") < 0 ||
        add_partner(fx, &fx->city, PARTNER_AGENCY, "city", "CITY01") < 0 ||
        add_partner(fx, &fx->ftb, PARTNER_TAXBOARD, "ftb", "FTB") < 0)
        return -1;
    fx->debt_county =
        add_debt(fx->s, fx->county.id, "ACC-1", "123456789", 100000);
    fx->debt_city = add_debt(fx->s, fx->city.id, "CITY-7", "223456789", 50000);
    fx->debt_unsent =
        add_debt(fx->s, fx->county.id, "ACC-2", "323456789", 20000);
    struct store_cycle c = {.partner_id = fx->ftb.id};
    int64_t cycle;
    if (fx->debt_county < 0 || fx->debt_city < 0 || fx->debt_unsent < 0 ||
        store_cycle_add(fx->s, &c, &cycle) < 0 ||
        store_sent_set(fx->s, fx->ftb.id, fx->debt_county, 100000, cycle) < 0 ||
        store_sent_set(fx->s, fx->ftb.id, fx->debt_city, 50000, cycle) < 0)
        return -1;
    struct profile *pr = profile_load_program(fx->programs, "caltrecs", &probs);
    layout_problems_release(&probs);
    if (pr == NULL)
        return -1;
    fx->layout = load(fx, pr, "partner-collection");
    fx->agency_layout = load(fx, pr, "agency-collection");
    fx->match_layout = load(fx, pr, "partner-match");
    fx->agency_match = load(fx, pr, "agency-match");
    profile_free(pr);
    if (fx->layout == NULL || fx->agency_layout == NULL ||
        fx->match_layout == NULL || fx->agency_match == NULL)
        return -1;
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
    layout_free(fx->agency_layout);
    layout_free(fx->match_layout);
    layout_free(fx->agency_match);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    free(fx);
    return system(cmd) == 0 ? 0 : -1;
}

/* One event of a collection file. */
struct event {
    const char *kind; /* O, R, C */
    const char *trace, *reverses;
    int64_t debt; /* registry id; < 0: write "BOGUS" */
    const char *tin;
    int64_t cents; /* signed as in the file */
    int64_t fee;
};

static void set(struct writer *w, const char *name, const char *text)
{
    if (text != NULL && writer_set_text_by_name(w, name, text) < 0)
        fail_msg("set %s: %s", name, writer_error(w));
}

/* Write a collection file of EVENTS to DIR/NAME; its path into PATH.  A
 * TRAILER_FIX other than 0 is added to the trailer's count (a file that
 * fails whole). */
static void write_file(struct fixture *fx, const char *name,
                       const struct event *ev, size_t n, char *path,
                       size_t size, int64_t trailer_fix)
{
    snprintf(path, size, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct writer *w = writer_new(fx->layout, f);
    assert_non_null(w);
    assert_int_equal(writer_begin(w, "header"), 0);
    set(w, "partner_code", "FTB");
    assert_int_equal(writer_set_num_by_name(w, "file_date", 20261125), 0);
    if (writer_end(w) != 0)
        fail_msg("header: %s", writer_error(w));
    for (size_t i = 0; i < n; i++) {
        char id[32];
        if (ev[i].debt < 0)
            snprintf(id, sizeof id, "BOGUS");
        else
            snprintf(id, sizeof id, "%lld", (long long)ev[i].debt);
        assert_int_equal(writer_begin(w, "detail"), 0);
        set(w, "kind", ev[i].kind);
        set(w, "trace_id", ev[i].trace);
        set(w, "reversal_of", ev[i].reverses);
        set(w, "agency_debt_id", id);
        set(w, "tin", ev[i].tin);
        assert_int_equal(writer_set_num_by_name(w, "amount", ev[i].cents), 0);
        assert_int_equal(writer_set_num_by_name(w, "fee", ev[i].fee), 0);
        assert_int_equal(writer_set_num_by_name(w, "payment_date", 20261120),
                         0);
        set(w, "payment_source", "TAX");
        set(w, "joint", "N");
        if (writer_end(w) != 0)
            fail_msg("detail %zu: %s", i, writer_error(w));
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
    if (trailer_fix != 0) {
        /* the trailer's count, columns 2-10, is the last line's */
        char digits[16];
        long end = ftell(f);
        snprintf(digits, sizeof digits, "%09lld",
                 (long long)((int64_t)n + trailer_fix));
        assert_int_equal(fseek(f, end - 151 + 1, SEEK_SET), 0);
        assert_int_equal(fwrite(digits, 1, 9, f), 9);
    }
    assert_int_equal(fclose(f), 0);
}

static int take(struct fixture *fx, const char *path,
                struct response_result *res)
{
    char err[512];
    struct response_request rq = {.home = &fx->h,
                                  .store = fx->s,
                                  .programs_dir = fx->programs,
                                  .partner = &fx->ftb,
                                  .path = path};
    int rc = response_file(&rq, res, err, sizeof err);
    if (rc < 0 && rc != -ENOTSUP)
        print_error("response: %s\n", err);
    return rc;
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

/* The files in PARTNER's outbox whose names start with PREFIX; the last
 * one's path into PATH. */
static int outbox_files(struct fixture *fx, const char *partner,
                        const char *prefix, char *path, size_t size)
{
    char dir[1024];
    int n = 0;
    assert_int_equal(home_box_path(&fx->h, partner, "outbox", dir, sizeof dir),
                     0);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            n++;
            if (path != NULL)
                snprintf(path, size, "%s/%s", dir, e->d_name);
        }
    closedir(d);
    return n;
}

/* Read an agency's collection file back through its layout: its details'
 * accounts, kinds and nets into the arrays (up to MAX); the count. */
static int read_agency_file(struct fixture *fx, const char *path,
                            char accounts[][24], char *kinds, int64_t *nets,
                            int max)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct reader *rd = reader_new(fx->agency_layout, fd, path);
    const struct record *rec;
    int n = 0;
    enum reader_status st;
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->n_errors > 0)
            fail_msg("%s line %llu: %s", path, (unsigned long long)rec->line,
                     rec->errors[0].detail);
        if (strcmp(rec->type->name, "detail") != 0 || n >= max)
            continue;
        const struct layout_record *t = rec->type;
        const struct field_value *a =
            &rec->values[layout_field_index(t, "account")];
        const struct field_value *k =
            &rec->values[layout_field_index(t, "kind")];
        snprintf(accounts[n], 24, "%.*s", (int)a->text_len, a->text);
        kinds[n] = k->text[0];
        nets[n] = rec->values[layout_field_index(t, "net")].num;
        n++;
    }
    assert_int_equal(st, READER_END);
    reader_free(rd);
    close(fd);
    return n;
}

static void test_offsets_and_reversals_reach_each_agency(void **state)
{
    struct fixture *fx = *state;
    struct event ev[] = {
        {"O", "T0000001", NULL, fx->debt_county, "123456789", 30000, 225},
        {"O", "T0000002", NULL, fx->debt_city, "223456789", 10000, 225},
        {"R", "T0000003", "T0000001", fx->debt_county, "123456789", -5000, 0},
    };
    struct response_result res;
    char path[256], out[1024];
    write_file(fx, "coll1.txt", ev, 3, path, sizeof path, 0);
    assert_int_equal(take(fx, path, &res), 0);
    assert_string_equal(res.exchange, "partner-collection");
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(res.records, 3);
    assert_int_equal(res.accepted, 3);
    assert_int_equal(res.amount_cents, 30000 + 10000 - 5000);
    assert_int_equal(res.agency_files, 2);
    assert_int_equal(res.unprocessable_path[0], '\0');
    assert_int_equal(access(res.ack_path, R_OK), 0);
    assert_int_equal(balance(fx, fx->debt_county), 100000 - 30000 + 5000);
    assert_int_equal(balance(fx, fx->debt_city), 50000 - 10000);
    assert_int_equal(count(fx, "ledger"), 3);

    /* the county sees its two events, the city its one */
    char accounts[4][24], kinds[4];
    int64_t nets[4];
    assert_int_equal(
        outbox_files(fx, "county", "collections.", out, sizeof out), 1);
    assert_int_equal(read_agency_file(fx, out, accounts, kinds, nets, 4), 2);
    assert_string_equal(accounts[0], "ACC-1");
    assert_int_equal(nets[0], 30000 - 225);
    assert_string_equal(accounts[1], "ACC-1");
    assert_int_equal(nets[1], -5000);
    assert_true(kinds[0] != kinds[1]);
    assert_int_equal(outbox_files(fx, "city", "collections.", out, sizeof out),
                     1);
    assert_int_equal(read_agency_file(fx, out, accounts, kinds, nets, 4), 1);
    assert_string_equal(accounts[0], "CITY-7");
    assert_int_equal(nets[0], 10000 - 225);
    /* no agency's file shows a full SSN */
    size_t n;
    char *text = tu_read_file(out, &n);
    assert_non_null(text);
    assert_null(strstr(text, "223456789"));
    free(text);
}

static void
test_wrong_events_go_to_the_partners_unprocessable_file(void **state)
{
    struct fixture *fx = *state;
    struct event ev[] = {
        {"O", "T0000001", NULL, fx->debt_county, "123456789", 30000, 0},
        /* a debt never sent to this partner */
        {"O", "T0000002", NULL, fx->debt_unsent, "323456789", 1000, 0},
        /* no such debt */
        {"O", "T0000003", NULL, -1, "123456789", 1000, 0},
        /* the same trace again */
        {"O", "T0000001", NULL, fx->debt_county, "123456789", 1000, 0},
        /* reversing more than was offset */
        {"R", "T0000004", "T0000001", fx->debt_county, "123456789", -40000, 0},
        /* reversing what was never offset */
        {"R", "T0000005", "T9999999", fx->debt_county, "123456789", -100, 0},
    };
    struct response_result res;
    char path[256];
    write_file(fx, "coll2.txt", ev, 6, path, sizeof path, 0);
    assert_int_equal(take(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_PARTIAL);
    assert_int_equal(res.records, 6);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.rejected, 5);
    assert_int_equal(res.agency_files, 1);
    assert_int_equal(balance(fx, fx->debt_county), 70000);
    assert_int_equal(balance(fx, fx->debt_unsent), 20000);
    assert_int_equal(count(fx, "ledger"), 1);
    assert_true(res.unprocessable_path[0] != '\0');
    size_t n;
    char *text = tu_read_file(res.unprocessable_path, &n);
    assert_non_null(text);
    assert_non_null(strstr(text, "C_UNKNOWN_DEBT"));
    assert_non_null(strstr(text, "C_DUP_TRACE"));
    assert_non_null(strstr(text, "C_REVERSAL_AMT"));
    assert_non_null(strstr(text, "C_UNKNOWN_OFFSE"));
    free(text);
    /* only the applied offset reached the county */
    char out[1024], accounts[8][24], kinds[8];
    int64_t nets[8];
    assert_int_equal(
        outbox_files(fx, "county", "collections.", out, sizeof out), 1);
    assert_int_equal(read_agency_file(fx, out, accounts, kinds, nets, 8), 1);
    assert_int_equal(outbox_files(fx, "city", "collections.", NULL, 0), 0);
}

static void test_duplicate_and_broken_files_change_nothing(void **state)
{
    struct fixture *fx = *state;
    struct event ev[] = {
        {"O", "T0000001", NULL, fx->debt_county, "123456789", 30000, 0},
    };
    struct response_result res;
    char path[256], copy[256];
    write_file(fx, "coll3.txt", ev, 1, path, sizeof path, 0);
    assert_int_equal(take(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_ACCEPTED);
    int64_t first = res.file_id;

    /* the same bytes under another name */
    snprintf(copy, sizeof copy, "%s/again.txt", fx->dir);
    assert_int_equal(rename(path, copy), 0);
    assert_int_equal(take(fx, copy, &res), 0);
    assert_int_equal(res.status, FILE_DUPLICATE);
    assert_int_equal(res.duplicate_of, first);
    assert_int_equal(balance(fx, fx->debt_county), 70000);
    assert_int_equal(count(fx, "ledger"), 1);

    /* a trailer that does not add up: nothing applied, no agency file */
    struct event more[] = {
        {"O", "T0000009", NULL, fx->debt_city, "223456789", 100, 0},
    };
    write_file(fx, "coll4.txt", more, 1, path, sizeof path, 1);
    assert_int_equal(take(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_REJECTED);
    assert_true(res.reason_code[0] != '\0');
    assert_int_equal(balance(fx, fx->debt_city), 50000);
    assert_int_equal(count(fx, "ledger"), 1);
    assert_int_equal(outbox_files(fx, "city", "collections.", NULL, 0), 0);
    char tmp[1024];
    assert_int_equal(
        home_box_path(&fx->h, "city", "outbox/.tmp", tmp, sizeof tmp), 0);
    DIR *d = opendir(tmp);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            assert_true(e->d_name[0] == '.');
        closedir(d);
    }
}

static void test_other_partner_files_are_told_apart(void **state)
{
    struct fixture *fx = *state;
    struct response_result res;
    char path[256];
    snprintf(path, sizeof path, "%s/junk.txt", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("HELLO WORLD\n", f);
    fclose(f);
    char err[512];
    struct response_request rq = {.home = &fx->h,
                                  .store = fx->s,
                                  .programs_dir = fx->programs,
                                  .partner = &fx->ftb,
                                  .path = path};
    assert_int_equal(response_file(&rq, &res, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "header of no partner file"));
    /* an agency is not a partner that sends these */
    rq.partner = &fx->county;
    assert_int_equal(response_file(&rq, &res, err, sizeof err), -EINVAL);
    assert_int_equal(count(fx, "ledger"), 0);
}

/* --- match / no-match files --------------------------------------------- */

struct answer {
    int64_t debt;
    const char *tin;
    const char *code; /* 00, 02, 03, 04, 07 */
};

static void write_match_file(struct fixture *fx, const char *name,
                             const struct answer *a, size_t n, char *path,
                             size_t size)
{
    snprintf(path, size, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct writer *w = writer_new(fx->match_layout, f);
    assert_non_null(w);
    assert_int_equal(writer_begin(w, "header"), 0);
    set(w, "partner_code", "FTB");
    assert_int_equal(writer_set_num_by_name(w, "file_date", 20261124), 0);
    assert_int_equal(writer_end(w), 0);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)a[i].debt);
        assert_int_equal(writer_begin(w, "detail"), 0);
        set(w, "agency_debt_id", id);
        set(w, "tin", a[i].tin);
        set(w, "match_code", a[i].code);
        set(w, "returned_name_control", "SMIT");
        set(w, "street", "1 MAIN ST");
        set(w, "city", "SACRAMENTO");
        set(w, "state", "CA");
        set(w, "zip", "95814");
        if (writer_end(w) != 0)
            fail_msg("answer %zu: %s", i, writer_error(w));
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
    assert_int_equal(fclose(f), 0);
}

static enum debt_status status_of(struct fixture *fx, int64_t debt)
{
    struct store_debt d;
    assert_int_equal(store_debt_get_id(fx->s, debt, &d), 0);
    return d.status;
}

static void set_status(struct fixture *fx, int64_t debt, enum debt_status st)
{
    struct store_source src = {0};
    assert_int_equal(store_debt_set_status(fx->s, debt, st, &src), 0);
}

/* Every match code against every status a debt can be in, worked by hand
 * from the KEES process: 00 -> N, 02/03/04 -> E, 07 -> D; a debt past
 * matching keeps its status; deceased wins over all but a closed debt. */
static void test_every_status_transition(void **state)
{
    struct fixture *fx = *state;
    static const char statuses[] = "PEDNSCX";
    static const char *const codes[] = {"00", "02", "03", "04", "07"};
    static const char *const expected[] = {
        /* P E D N S C X */
        "NNDNSCX", /* 00 */
        "EEDESCX", /* 02 */
        "EEDESCX", /* 03 */
        "EEDESCX", /* 04 */
        "DDDDDDX", /* 07 */
    };
    struct answer a[5 * 7];
    char tins[5 * 7][10], account[24], path[256];
    struct store_cycle c = {.partner_id = fx->ftb.id};
    int64_t cycle;
    assert_int_equal(store_cycle_add(fx->s, &c, &cycle), 0);
    for (size_t k = 0; k < 5; k++)
        for (size_t j = 0; j < 7; j++) {
            size_t i = k * 7 + j;
            snprintf(tins[i], sizeof tins[i], "5%02zu456789", i);
            snprintf(account, sizeof account, "T-%zu", i);
            int64_t id = add_debt(fx->s, fx->county.id, account, tins[i], 1000);
            assert_true(id > 0);
            set_status(fx, id, (enum debt_status)statuses[j]);
            assert_int_equal(store_sent_set(fx->s, fx->ftb.id, id, 1000, cycle),
                             0);
            a[i] = (struct answer){id, tins[i], codes[k]};
        }
    write_match_file(fx, "match-all.txt", a, 35, path, sizeof path);
    struct response_result res;
    assert_int_equal(take(fx, path, &res), 0);
    assert_string_equal(res.exchange, "partner-match");
    assert_int_equal(res.status, FILE_ACCEPTED);
    assert_int_equal(res.accepted, 35);
    assert_int_equal(res.agency_files, 1);
    for (size_t k = 0; k < 5; k++)
        for (size_t j = 0; j < 7; j++) {
            enum debt_status got = status_of(fx, a[k * 7 + j].debt);
            if ((char)got != expected[k][j])
                fail_msg("code %s from %c: %c, expected %c", codes[k],
                         statuses[j], (char)got, expected[k][j]);
        }
}

static void
test_match_file_reaches_each_agency_and_rejects_strangers(void **state)
{
    struct fixture *fx = *state;
    set_status(fx, fx->debt_county, DEBT_P);
    set_status(fx, fx->debt_city, DEBT_P);
    struct answer a[] = {
        {fx->debt_county, "123456789", "00"},
        {fx->debt_city, "223456789", "03"},
        /* never sent to this partner */
        {fx->debt_unsent, "323456789", "00"},
        /* the TIN is not the one sent */
        {fx->debt_city, "999456789", "00"},
    };
    char path[256], out[1024];
    struct response_result res;
    write_match_file(fx, "match.txt", a, 4, path, sizeof path);
    assert_int_equal(take(fx, path, &res), 0);
    assert_int_equal(res.status, FILE_PARTIAL);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.rejected, 2);
    assert_int_equal(res.agency_files, 2);
    assert_int_equal(status_of(fx, fx->debt_county), DEBT_N);
    assert_int_equal(status_of(fx, fx->debt_city), DEBT_E);
    assert_int_equal(status_of(fx, fx->debt_unsent), DEBT_C);
    size_t n;
    char *text = tu_read_file(res.unprocessable_path, &n);
    assert_non_null(text);
    assert_non_null(strstr(text, "C_UNKNOWN_DEBT"));
    assert_non_null(strstr(text, "C_TIN_MISMATCH"));
    assert_null(strstr(text, "999456789"));
    free(text);

    /* the city's file, read back through its layout */
    assert_int_equal(outbox_files(fx, "city", "matches.", out, sizeof out), 1);
    int fd = open(out, O_RDONLY);
    assert_true(fd >= 0);
    struct reader *rd = reader_new(fx->agency_match, fd, out);
    const struct record *rec;
    int details = 0;
    while (reader_next(rd, &rec) == READER_RECORD) {
        assert_int_equal(rec->n_errors, 0);
        if (strcmp(rec->type->name, "detail") != 0)
            continue;
        details++;
        const struct layout_record *t = rec->type;
        const struct field_value *v;
        v = &rec->values[layout_field_index(t, "account")];
        assert_int_equal(v->text_len, 6);
        assert_memory_equal(v->text, "CITY-7", 6);
        v = &rec->values[layout_field_index(t, "match_code")];
        assert_memory_equal(v->text, "03", 2);
        v = &rec->values[layout_field_index(t, "status")];
        assert_memory_equal(v->text, "E", 1);
        v = &rec->values[layout_field_index(t, "tin_last4")];
        assert_memory_equal(v->text, "6789", 4);
        assert_int_equal(rec->values[layout_field_index(t, "match_date")].num,
                         20261124);
        v = &rec->values[layout_field_index(t, "city")];
        assert_memory_equal(v->text, "SACRAMENTO", 10);
        v = &rec->values[layout_field_index(t, "message")];
        char msg[96];
        snprintf(msg, sizeof msg, "%.*s", (int)v->text_len, v->text);
        assert_string_equal(msg,
                            "error: correct the TIN or name and send a change");
    }
    reader_free(rd);
    close(fd);
    assert_int_equal(details, 1);
    text = tu_read_file(out, &n);
    assert_null(strstr(text, "223456789"));
    free(text);
}

/* --- partner unprocessable files ----------------------------------------- */

static void
test_partner_rejects_reach_the_agency_with_their_meaning(void **state)
{
    struct fixture *fx = *state;
    struct profile *pr;
    struct layout_problems probs = {0};
    pr = profile_load_program(fx->programs, "caltrecs", &probs);
    assert_non_null(pr);
    struct layout *l = load(fx, pr, "partner-unprocessable");
    struct layout *agency = load(fx, pr, "agency-unprocessable");
    profile_free(pr);
    assert_non_null(l);
    assert_non_null(agency);
    static const struct {
        const char *code, *message;
        int which; /* 0 county, 1 city, 2 unsent */
    } rows[] = {
        {"02", "SSN NOT VALID", 0},
        {"ZZ9", NULL, 1}, /* a code the list does not know */
        {"17", NULL, 2},  /* a debt never sent: back to the partner */
    };
    int64_t ids[] = {fx->debt_county, fx->debt_city, fx->debt_unsent};
    char path[256], out[1024];
    snprintf(path, sizeof path, "%s/unp.txt", fx->dir);
    FILE *f = fopen(path, "w");
    struct writer *w = writer_new(l, f);
    assert_non_null(w);
    assert_int_equal(writer_begin(w, "header"), 0);
    set(w, "partner_code", "FTB");
    assert_int_equal(writer_set_num_by_name(w, "file_date", 20261124), 0);
    assert_int_equal(writer_end(w), 0);
    for (size_t i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)ids[rows[i].which]);
        assert_int_equal(writer_begin(w, "detail"), 0);
        set(w, "agency_debt_id", id);
        set(w, "error_code", rows[i].code);
        set(w, "message", rows[i].message);
        if (writer_end(w) != 0)
            fail_msg("row %zu: %s", i, writer_error(w));
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
    assert_int_equal(fclose(f), 0);

    struct response_result res;
    assert_int_equal(take(fx, path, &res), 0);
    assert_string_equal(res.exchange, "partner-unprocessable");
    assert_int_equal(res.status, FILE_PARTIAL);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.rejected, 1);
    assert_int_equal(res.agency_files, 2);
    /* nothing about the debts changed */
    assert_int_equal(status_of(fx, fx->debt_county), DEBT_C);
    assert_int_equal(balance(fx, fx->debt_county), 100000);

    /* the county's file, read back: the code, its meaning, the message */
    assert_int_equal(
        outbox_files(fx, "county", "unprocessable.unp", out, sizeof out), 1);
    int fd = open(out, O_RDONLY);
    struct reader *rd = reader_new(agency, fd, out);
    const struct record *rec;
    int rejects = 0;
    while (reader_next(rd, &rec) == READER_RECORD) {
        assert_int_equal(rec->n_errors, 0);
        if (strcmp(rec->type->name, "reject") != 0)
            continue;
        rejects++;
        const struct layout_record *t = rec->type;
        const struct field_value *v;
        v = &rec->values[layout_field_index(t, "account")];
        assert_memory_equal(v->text, "ACC-1", 5);
        v = &rec->values[layout_field_index(t, "error_code")];
        assert_int_equal(v->text_len, 2);
        assert_memory_equal(v->text, "02", 2);
        v = &rec->values[layout_field_index(t, "message")];
        char msg[128];
        snprintf(msg, sizeof msg, "%.*s", (int)v->text_len, v->text);
        assert_string_equal(msg, "ftb 02: invalid SSN; SSN NOT VALID");
    }
    reader_free(rd);
    close(fd);
    assert_int_equal(rejects, 1);
    /* the city's: a code with no meaning known is passed on as it is */
    assert_int_equal(
        outbox_files(fx, "city", "unprocessable.unp", out, sizeof out), 1);
    size_t n;
    char *text = tu_read_file(out, &n);
    assert_non_null(strstr(text, "ZZ9"));
    assert_non_null(strstr(text, "no meaning known"));
    free(text);
    layout_free(l);
    layout_free(agency);
}

/* A match may answer an address request (TOP's step before a referral)
 * as well as a debt file: the debt asked about of this partner is
 * known to its match file, but not to its collection file (no money
 * moves on a debt never referred), and a debt another partner asked
 * about is not. */
static void test_match_answers_an_address_request(void **state)
{
    struct fixture *fx = *state;
    struct store_partner other;
    struct store_cycle mine = {.partner_id = fx->ftb.id}, theirs;
    int64_t cycle, their_cycle;
    assert_int_equal(add_partner(fx, &other, PARTNER_TAXBOARD, "ftb2", "FTB2"),
                     0);
    theirs = (struct store_cycle){.partner_id = other.id};
    int64_t asked_elsewhere =
        add_debt(fx->s, fx->county.id, "ACC-3", "423456789", 30000);
    assert_int_equal(store_cycle_add(fx->s, &mine, &cycle), 0);
    assert_int_equal(store_cycle_add(fx->s, &theirs, &their_cycle), 0);
    set_status(fx, fx->debt_unsent, DEBT_P);
    set_status(fx, asked_elsewhere, DEBT_P);
    assert_int_equal(store_request_set(fx->s, fx->debt_unsent, cycle), 0);
    assert_int_equal(store_request_set(fx->s, asked_elsewhere, their_cycle), 0);

    struct answer a[] = {
        {fx->debt_unsent, "323456789", "00"},
        {asked_elsewhere, "423456789", "00"},
    };
    char path[256];
    struct response_result res;
    write_match_file(fx, "match-request.txt", a, 2, path, sizeof path);
    assert_int_equal(take(fx, path, &res), 0);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.rejected, 1);
    assert_int_equal(status_of(fx, fx->debt_unsent), DEBT_N);
    assert_int_equal(status_of(fx, asked_elsewhere), DEBT_P);

    const struct event ev[] = {
        {"O", "T-REQ-1", NULL, fx->debt_unsent, "323456789", 1000, 0},
    };
    write_file(fx, "coll-request.txt", ev, 1, path, sizeof path, 0);
    assert_int_equal(take(fx, path, &res), 0);
    assert_int_equal(res.accepted, 0);
    assert_int_equal(res.rejected, 1);
    assert_int_equal(balance(fx, fx->debt_unsent), 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_offsets_and_reversals_reach_each_agency, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_wrong_events_go_to_the_partners_unprocessable_file, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_duplicate_and_broken_files_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_partner_files_are_told_apart,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_status_transition, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_match_file_reaches_each_agency_and_rejects_strangers, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_partner_rejects_reach_the_agency_with_their_meaning, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_match_answers_an_address_request,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
