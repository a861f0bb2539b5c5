/*
 * test_synth.c - synthetic files with the shipped profiles and layouts:
 * agency debt files that parse as their program's layout says, and a
 * partner's replies to a CalTRECS taxboard-debt file (every add answered
 * once, offsets within the debt, reversals within their offset, trace
 * ids unique and seeded, the same seed the same bytes, a broken sent
 * file refused with its name and line).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/profile.h"
#include "offsetgw/synth.h"

#define N_ADDS 60

struct fixture {
    char dir[64];
    char programs[1024];
    struct profile *caltrecs;
    struct layout *sent;       /* taxboard-debt */
    struct layout *match;      /* partner-match */
    struct layout *collection; /* partner-collection */
    char sent_path[128];       /* a good sent file: N_ADDS adds, one zero */
};

static struct layout *load_exchange(const struct profile *pr,
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
    return l;
}

/* The amount of sent add I (cents): small ones too, down to one cent. */
static int64_t add_amount(int i)
{
    return i % 7 == 0 ? 1 + i : 2500 + 1379 * (int64_t)i;
}

/* The SSN of sent record I: valid by the SSA rules. */
static void tin_of(int i, char tin[10])
{
    snprintf(tin, 10, "%03d%02d%04d", 200 + i, 10 + i % 80, 1000 + i);
}

static const char *const last_names[] = {"SMITH", "O'BRIEN", "DE LA CRUZ",
                                         "NGUYEN"};
static const char *const controls[] = {"SMIT", "OBRI", "DELA", "NGUY"};

static void put(struct writer *w, const char *name, const char *text)
{
    if (writer_set_text_by_name(w, name, text) < 0)
        fail_msg("set %s: %s", name, writer_error(w));
}

static void frame(struct writer *w, const char *record)
{
    assert_int_equal(writer_begin(w, record), 0);
    put(w, "sender_id", "CLRH");
    assert_int_equal(writer_set_num_by_name(w, "file_date", 20261125), 0);
    assert_int_equal(writer_set_num_by_name(w, "file_time", 3600), 0);
    if (writer_end(w) != 0)
        fail_msg("%s: %s", record, writer_error(w));
}

/* A taxboard-debt file of N_ADDS adds (debt ids 1000 + i) and one zero
 * (debt id 9999), as the gateway's cycle writes it. */
static void write_sent(const struct layout *l, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct writer *w = writer_new(l, f);
    assert_non_null(w);
    frame(w, "header");
    for (int i = 0; i <= N_ADDS; i++) {
        bool zero = i == N_ADDS;
        char id[16], tin[10], account[16];
        snprintf(id, sizeof id, "%d", zero ? 9999 : 1000 + i);
        tin_of(i, tin);
        snprintf(account, sizeof account, "ACC-%d", i);
        assert_int_equal(writer_begin(w, "detail"), 0);
        put(w, "action", zero ? "W" : "N");
        assert_int_equal(
            writer_set_num_by_name(w, "amount", zero ? 0 : add_amount(i)), 0);
        put(w, "agency_code", "CNTY01");
        put(w, "account", account);
        put(w, "tin", tin);
        put(w, "last_name", last_names[i % 4]);
        put(w, "name_control", controls[i % 4]);
        put(w, "debt_type", "JDG");
        put(w, "agency_debt_id", id);
        if (writer_end(w) != 0)
            fail_msg("detail %d: %s", i, writer_error(w));
    }
    frame(w, "trailer");
    assert_int_equal(writer_finish(w), 0);
    writer_free(w);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *formats = getenv("OG_FORMATS");
    struct layout_problems probs = {0};

    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-synth-XXXXXX");
    if (formats == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->programs, sizeof fx->programs, "%s/programs", formats);
    fx->caltrecs = profile_load_program(fx->programs, "caltrecs", &probs);
    layout_problems_release(&probs);
    if (fx->caltrecs == NULL)
        return -1;
    fx->sent = load_exchange(fx->caltrecs, "taxboard-debt");
    fx->match = load_exchange(fx->caltrecs, "partner-match");
    fx->collection = load_exchange(fx->caltrecs, "partner-collection");
    if (fx->sent == NULL || fx->match == NULL || fx->collection == NULL)
        return -1;
    snprintf(fx->sent_path, sizeof fx->sent_path, "%s/sent.txt", fx->dir);
    write_sent(fx->sent, fx->sent_path);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    layout_free(fx->sent);
    layout_free(fx->match);
    layout_free(fx->collection);
    profile_free(fx->caltrecs);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    free(fx);
    return system(cmd) == 0 ? 0 : -1;
}

static struct synth_reply_options options(const struct fixture *fx,
                                          uint64_t seed)
{
    struct synth_reply_options o = {
        .sent = fx->sent,
        .match = fx->match,
        .collection = fx->collection,
        .seed = seed,
        .partner_code = "FTB",
        .file_date = 20261127,
        .code_per_mille = {[SYNTH_NAME_MISMATCH] = 100,
                           [SYNTH_NO_MATCH] = 100,
                           [SYNTH_INVALID_TIN] = 100,
                           [SYNTH_DECEASED] = 100},
        .offset_per_mille = 700,
        .reversal_per_mille = 500};
    return o;
}

/* The replies to the file at PATH, into MATCH and COLL (either NULL). */
static int run(const struct synth_reply_options *o, const char *path,
               struct tu_mem *match, struct tu_mem *coll,
               struct synth_reply_result *res, char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    if (match)
        tu_mem_open(match);
    if (coll)
        tu_mem_open(coll);
    int rc = synth_replies(o, fd, path, match ? match->f : NULL,
                           coll ? coll->f : NULL, res, err, err_size);
    close(fd);
    if (match)
        tu_mem_flush(match);
    if (coll)
        tu_mem_flush(coll);
    return rc;
}

static const char *text(const struct tu_record *r, const char *field)
{
    int i = layout_field_index(r->type, field);
    if (i < 0)
        fail_msg("no field %s", field);
    return r->values[i].text;
}

static int64_t num(const struct tu_record *r, const char *field)
{
    int i = layout_field_index(r->type, field);
    if (i < 0)
        fail_msg("no field %s", field);
    return r->values[i].num;
}

static bool is_detail(const struct tu_record *r)
{
    return r->type != NULL && strcmp(r->type->name, "detail") == 0;
}

static void
test_replies_answer_every_add_once_and_keep_within_amounts(void **state)
{
    struct fixture *fx = *state;
    struct synth_reply_options o = options(fx, 7);
    struct synth_reply_result res;
    struct tu_mem m, c;
    char err[512];

    if (run(&o, fx->sent_path, &m, &c, &res, err, sizeof err) != 0)
        fail_msg("synth_replies: %s", err);
    assert_int_equal(res.details, N_ADDS + 1);
    assert_int_equal(res.answered, N_ADDS);

    /* the match file: each add once, the zero never, codes as counted */
    struct tu_parse *mp = tu_parse_buf(fx->match, m.buf, m.len);
    tu_expect_clean(mp, N_ADDS + 2);
    int answered[N_ADDS] = {0};
    int64_t by_code[SYNTH_CODES] = {0};
    const struct layout_field *code_field =
        &mp->recs[1]
             .type->fields[layout_field_index(mp->recs[1].type, "match_code")];
    bool matched[N_ADDS] = {false};
    for (size_t i = 0; i < mp->n; i++) {
        const struct tu_record *r = &mp->recs[i];
        if (strcmp(r->type->name, "header") == 0) {
            assert_string_equal(text(r, "partner_code"), "FTB");
            assert_int_equal(num(r, "file_date"), 20261127);
        }
        if (!is_detail(r))
            continue;
        int id = atoi(text(r, "agency_debt_id"));
        assert_true(id >= 1000 && id < 1000 + N_ADDS);
        answered[id - 1000]++;
        char tin[10];
        tin_of(id - 1000, tin);
        assert_string_equal(text(r, "tin"), tin);
        const char *code = text(r, "match_code");
        const char *means = layout_code_means(code_field, code, strlen(code));
        assert_non_null(means);
        int k = 0;
        while (synth_code_means(k) && strcmp(synth_code_means(k), means) != 0)
            k++;
        assert_non_null(synth_code_means(k));
        by_code[k]++;
        const char *control = text(r, "returned_name_control");
        const char *want = controls[(id - 1000) % 4];
        if (k == SYNTH_MATCH || k == SYNTH_DECEASED)
            assert_string_equal(control, want);
        else if (k == SYNTH_NAME_MISMATCH)
            assert_true(control[0] != '\0' && strcmp(control, want) != 0);
        else
            assert_string_equal(control, "");
        if (k == SYNTH_MATCH) {
            matched[id - 1000] = true;
            assert_true(text(r, "street")[0] != '\0');
            assert_int_equal(strlen(text(r, "zip")), 5);
        }
    }
    for (int i = 0; i < N_ADDS; i++)
        assert_int_equal(answered[i], 1);
    for (int k = 0; k < SYNTH_CODES; k++) {
        assert_int_equal(by_code[k], res.by_code[k]);
        /* 60 draws at 10% each: every code shows up with this seed */
        assert_true(by_code[k] > 0);
    }

    /* the collection file: offsets of matches within their debt,
     * reversals of an earlier offset of the same debt within it */
    struct tu_parse *cp = tu_parse_buf(fx->collection, c.buf, c.len);
    tu_expect_clean(cp, (size_t)(res.offsets + res.reversals + 2));
    char traces[2 * N_ADDS][11];
    int64_t offset_cents[2 * N_ADDS];
    int offset_debt[2 * N_ADDS];
    size_t n_traces = 0;
    int64_t offsets = 0, reversals = 0, off_sum = 0, rev_sum = 0;
    const struct layout_field *kind_field =
        &cp->recs[1].type->fields[layout_field_index(cp->recs[1].type, "kind")];
    for (size_t i = 0; i < cp->n; i++) {
        const struct tu_record *r = &cp->recs[i];
        if (!is_detail(r))
            continue;
        const char *trace = text(r, "trace_id");
        assert_int_equal(strlen(trace), 10);
        for (size_t t = 0; t < n_traces; t++)
            assert_string_not_equal(traces[t], trace);
        int id = atoi(text(r, "agency_debt_id"));
        assert_true(id >= 1000 && id < 1000 + N_ADDS);
        assert_true(matched[id - 1000]);
        assert_int_equal(num(r, "fee"), 0);
        assert_int_equal(num(r, "payment_date"), 20261127);
        assert_string_equal(text(r, "payment_source"), "TAX");
        assert_string_equal(text(r, "joint"), "N");
        const char *kind = text(r, "kind");
        const char *means = layout_code_means(kind_field, kind, strlen(kind));
        assert_non_null(means);
        int64_t cents = num(r, "amount");
        if (strcmp(means, "offset") == 0) {
            assert_string_equal(text(r, "reversal_of"), "");
            assert_true(cents >= 1 && cents <= add_amount(id - 1000));
            offsets++;
            off_sum += cents;
        } else {
            assert_string_equal(means, "reversal");
            const char *of = text(r, "reversal_of");
            size_t t = 0;
            while (t < n_traces && strcmp(traces[t], of) != 0)
                t++;
            assert_true(t < n_traces);
            assert_int_equal(offset_debt[t], id);
            assert_true(offset_cents[t] > 0); /* an offset, not a reversal */
            assert_true(cents <= -1 && -cents <= offset_cents[t]);
            offset_cents[t] = 0; /* reversed once at most */
            reversals++;
            rev_sum -= cents;
        }
        assert_true(n_traces < 2 * N_ADDS);
        memcpy(traces[n_traces], trace, 11);
        offset_cents[n_traces] = cents;
        offset_debt[n_traces] = id;
        n_traces++;
    }
    assert_int_equal(offsets, res.offsets);
    assert_int_equal(reversals, res.reversals);
    assert_int_equal(off_sum, res.offset_cents);
    assert_int_equal(rev_sum, res.reversal_cents);
    assert_true(offsets > 0 && reversals > 0);

    tu_parse_free(mp);
    tu_parse_free(cp);
    tu_mem_close(&m);
    tu_mem_close(&c);
}

/* The trace ids of a collection file, concatenated. */
static char *traces_of(const struct fixture *fx, const struct tu_mem *c)
{
    struct tu_parse *p = tu_parse_buf(fx->collection, c->buf, c->len);
    struct tu_sb b = {0};
    tu_sb_adds(&b, "");
    for (size_t i = 0; i < p->n; i++)
        if (is_detail(&p->recs[i]))
            tu_sb_addf(&b, "%s\n", text(&p->recs[i], "trace_id"));
    tu_parse_free(p);
    return b.s;
}

static void test_same_seed_same_bytes_other_seed_other_traces(void **state)
{
    struct fixture *fx = *state;
    struct synth_reply_options o = options(fx, 7);
    struct synth_reply_result r1, r2, r3;
    struct tu_mem m1, c1, m2, c2, m3, c3;
    char err[512];

    assert_int_equal(run(&o, fx->sent_path, &m1, &c1, &r1, err, sizeof err), 0);
    assert_int_equal(run(&o, fx->sent_path, &m2, &c2, &r2, err, sizeof err), 0);
    assert_int_equal(m1.len, m2.len);
    assert_memory_equal(m1.buf, m2.buf, m1.len);
    assert_int_equal(c1.len, c2.len);
    assert_memory_equal(c1.buf, c2.buf, c1.len);
    assert_memory_equal(&r1, &r2, sizeof r1);

    o.seed = 8;
    assert_int_equal(run(&o, fx->sent_path, &m3, &c3, &r3, err, sizeof err), 0);
    char *t1 = traces_of(fx, &c1), *t3 = traces_of(fx, &c3);
    assert_true(t1[0] != '\0' && t3[0] != '\0');
    for (char *line = t1; *line; line = strchr(line, '\n') + 1) {
        char one[12];
        snprintf(one, sizeof one, "%.10s\n", line);
        assert_null(strstr(t3, one));
    }
    free(t1);
    free(t3);
    tu_mem_close(&m1);
    tu_mem_close(&c1);
    tu_mem_close(&m2);
    tu_mem_close(&c2);
    tu_mem_close(&m3);
    tu_mem_close(&c3);
}

static void
test_outputs_may_be_skipped_without_changing_the_counts(void **state)
{
    struct fixture *fx = *state;
    struct synth_reply_options o = options(fx, 11);
    struct synth_reply_result both, none, only_coll;
    struct tu_mem m, c, c2;
    char err[512];

    assert_int_equal(run(&o, fx->sent_path, &m, &c, &both, err, sizeof err), 0);
    o.match = o.collection = NULL;
    assert_int_equal(run(&o, fx->sent_path, NULL, NULL, &none, err, sizeof err),
                     0);
    assert_memory_equal(&both, &none, sizeof both);
    o.collection = fx->collection;
    assert_int_equal(
        run(&o, fx->sent_path, NULL, &c2, &only_coll, err, sizeof err), 0);
    assert_memory_equal(&both, &only_coll, sizeof both);
    assert_int_equal(c.len, c2.len);
    assert_memory_equal(c.buf, c2.buf, c.len);
    /* a stream without its layout is refused */
    struct tu_mem m2;
    assert_true(run(&o, fx->sent_path, &m2, NULL, &none, err, sizeof err) ==
                -EINVAL);
    assert_non_null(strstr(err, "match_code"));
    tu_mem_close(&m);
    tu_mem_close(&c);
    tu_mem_close(&c2);
    tu_mem_close(&m2);
}

static void test_shares_over_the_whole_are_refused(void **state)
{
    struct fixture *fx = *state;
    struct synth_reply_options o = options(fx, 1);
    struct synth_reply_result res;
    struct tu_mem m;
    char err[512];
    o.code_per_mille[SYNTH_NO_MATCH] = 800;
    assert_int_equal(run(&o, fx->sent_path, &m, NULL, &res, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "per mille"));
    tu_mem_close(&m);
}

/* Write the first LEN bytes of the good sent file to NAME, then EXTRA. */
static void damaged_copy(const struct fixture *fx, const char *name, size_t len,
                         const char *extra, char *path, size_t size)
{
    size_t n;
    char *good = tu_read_file(fx->sent_path, &n);
    snprintf(path, size, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(len <= n);
    fwrite(good, 1, len, f);
    fputs(extra, f);
    assert_int_equal(fclose(f), 0);
    free(good);
}

static void test_broken_sent_files_fail_with_their_name_and_line(void **state)
{
    struct fixture *fx = *state;
    struct synth_reply_options o = options(fx, 3);
    struct synth_reply_result res;
    struct tu_mem m, c;
    char err[512], path[256], want[300];

    size_t n;
    char *good = tu_read_file(fx->sent_path, &n);
    const char *nl = strchr(good, '\n');
    assert_non_null(nl);
    size_t line = (size_t)(nl - good) + 1; /* 150 bytes and a line end */
    free(good);

    /* truncated: the header and three details, no trailer */
    damaged_copy(fx, "truncated.txt", 4 * line, "", path, sizeof path);
    assert_int_equal(run(&o, path, &m, &c, &res, err, sizeof err), -EBADMSG);
    snprintf(want, sizeof want, "%s:", path);
    assert_non_null(strstr(err, want));
    tu_mem_close(&m);
    tu_mem_close(&c);

    /* garbled: a letter in the amount (columns 7-18) of line 3 */
    snprintf(path, sizeof path, "%s/garbled.txt", fx->dir);
    good = tu_read_file(fx->sent_path, &n);
    good[2 * line + 10] = 'X';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(good, 1, n, f);
    assert_int_equal(fclose(f), 0);
    free(good);
    assert_int_equal(run(&o, path, &m, &c, &res, err, sizeof err), -EBADMSG);
    snprintf(want, sizeof want, "%s:3:", path);
    if (strstr(err, want) == NULL)
        fail_msg("want '%s' in '%s'", want, err);
    assert_non_null(strstr(err, "amount"));
    tu_mem_close(&m);
    tu_mem_close(&c);

    /* not a debt file at all */
    damaged_copy(fx, "noise.txt", 0, "hello\n", path, sizeof path);
    assert_true(run(&o, path, &m, &c, &res, err, sizeof err) < 0);
    snprintf(want, sizeof want, "%s:1:", path);
    if (strstr(err, want) == NULL)
        fail_msg("want '%s' in '%s'", want, err);
    tu_mem_close(&m);
    tu_mem_close(&c);

    /* empty */
    damaged_copy(fx, "empty.txt", 0, "", path, sizeof path);
    assert_true(run(&o, path, &m, &c, &res, err, sizeof err) < 0);
    assert_non_null(strstr(err, path));
    tu_mem_close(&m);
    tu_mem_close(&c);
}

/* The agency-debt mode: every program's file parses through its layout,
 * and the only records its reader rejects are the engine-level bad kinds
 * (the rest are for the core's checks). */
static void test_agency_debt_files_parse_with_their_layout(void **state)
{
    struct fixture *fx = *state;
    static const char *const programs[] = {"caltrecs", "kansas", "utah", "top"};
    for (size_t p = 0; p < sizeof programs / sizeof *programs; p++) {
        struct layout_problems probs = {0};
        struct profile *pr =
            profile_load_program(fx->programs, programs[p], &probs);
        layout_problems_release(&probs);
        assert_non_null(pr);
        struct layout *l = load_exchange(pr, "agency-debt");
        assert_non_null(l);
        for (int bad = 0; bad <= 100; bad += 100) {
            struct synth_options o = {.profile = pr,
                                      .layout = l,
                                      .records = 50,
                                      .bad_per_mille = bad,
                                      .seed = 5,
                                      .file_date = 20261126};
            struct synth_result res;
            struct tu_mem m;
            char err[256];
            tu_mem_open(&m);
            if (synth_agency_debt(&o, m.f, &res, err, sizeof err) != 0)
                fail_msg("%s: %s", programs[p], err);
            tu_mem_flush(&m);
            struct tu_parse *tp = tu_parse_buf(l, m.buf, m.len);
            assert_int_equal(tp->status, READER_END);
            assert_int_equal(tp->n, 52);
            assert_int_equal(res.records, 50);
            int64_t engine = 0;
            for (int k = 0; synth_bad_kind_name(k); k++)
                if (strncmp(synth_bad_kind_name(k), "E_", 2) == 0)
                    engine += res.bad_by_kind[k];
            if (bad == 0)
                assert_int_equal(res.bad, 0);
            else
                assert_int_equal(res.bad, 5);
            if (tp->stats.rejected != (uint64_t)engine) {
                tu_dump_parse(tp);
                fail_msg("%s: %llu rejected, %lld engine-level bad",
                         programs[p], (unsigned long long)tp->stats.rejected,
                         (long long)engine);
            }
            tu_parse_free(tp);
            tu_mem_close(&m);
        }
        layout_free(l);
        profile_free(pr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_replies_answer_every_add_once_and_keep_within_amounts, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_same_seed_same_bytes_other_seed_other_traces, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_outputs_may_be_skipped_without_changing_the_counts, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_shares_over_the_whole_are_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_broken_sent_files_fail_with_their_name_and_line, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_agency_debt_files_parse_with_their_layout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
