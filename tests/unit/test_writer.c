/*
 * test_writer.c - the writer: formatting, refusals, totals, structure and
 * line ends; and the two round trips the header promises:
 *   (a) for every valid record, parse(write(values)) == values
 *       (randomised from the layouts' own descriptors, seeded);
 *   (b) for every valid input, write(parse(bytes)) == bytes.
 * Set OG_TEST_SEED to replay a randomised run; the seed is printed on
 * failure.
 */
#include "testutil.h"

#include <errno.h>

/* ------------------------------------------------------------------ */
/* one-field formatting                                                */

struct wout {
    int rc;     /* first negative return, or 0 */
    char *text; /* everything written (NUL-terminated) */
    size_t len;
    char error[512];
};

static void wout_free(struct wout *o)
{
    free(o->text);
    memset(o, 0, sizeof *o);
}

/* Write one record "R1" + field f (ATTRS, CHILDREN, WIDTH) + filler,
 * setting f to NUM (IS_NUM) or TEXT; TEXT NULL leaves f unset. */
static void write_field(const char *file, int line, const char *attrs,
                        const char *children, unsigned width, bool is_num,
                        int64_t num, const char *text, struct wout *o)
{
    char *fe =
        children
            ? tu_asprintf("    <field name=\"f\" start=\"3\" length=\"%u\" "
                          "%s>\n%s    </field>\n",
                          width, attrs, children)
            : tu_asprintf("    <field name=\"f\" start=\"3\" length=\"%u\" "
                          "%s/>\n",
                          width, attrs);
    char *xml = tu_asprintf(
        "<layout name=\"wfield\">\n"
        "  <file format=\"fixed\" record-length=\"%u\" line-end=\"lf\"/>\n"
        "  <record name=\"r\" min=\"0\" max=\"unbounded\">\n"
        "    <field name=\"k\" start=\"1\" length=\"2\" literal=\"R1\"/>\n"
        "%s"
        "    <field start=\"%u\" length=\"2\" type=\"filler\"/>\n"
        "  </record>\n"
        "</layout>\n",
        width + 4, fe, width + 3);
    struct layout *l = tu_load_named_at(file, line, "wfield.xml", xml);
    struct tu_mem m;
    struct writer *w;
    int rc;

    memset(o, 0, sizeof *o);
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    if (w == NULL) {
        tu_fail_at(file, line, "writer_new returned NULL");
    }
    rc = writer_begin(w, "r");
    if (rc == 0) {
        rc = writer_set_text(w, 0, "R1", 2);
    }
    if (rc == 0 && is_num) {
        rc = writer_set_num(w, 1, num);
    } else if (rc == 0 && text != NULL) {
        rc = writer_set_text(w, 1, text, strlen(text));
    }
    if (rc == 0) {
        rc = writer_end(w);
    }
    o->rc = rc < 0 ? rc : 0;
    if (rc < 0) {
        const char *e = writer_error(w);

        snprintf(o->error, sizeof o->error, "%s", e ? e : "");
    }
    tu_mem_flush(&m);
    o->text = tu_xstrndup(m.buf, m.len);
    o->len = m.len;
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
    free(fe);
    free(xml);
}

static void check_format(const char *file, int line, const char *attrs,
                         const char *children, bool is_num, int64_t num,
                         const char *text, const char *expect)
{
    struct wout o;
    char *want = tu_asprintf("R1%s  \n", expect);

    write_field(file, line, attrs, children, (unsigned)strlen(expect), is_num,
                num, text, &o);
    if (o.rc != 0 || strcmp(o.text, want) != 0) {
        char got[512];

        snprintf(got, sizeof got, "%s", o.text);
        wout_free(&o);
        free(want);
        tu_fail_at(file, line, "(%s) %s: wrote '%s' (rc %d), expected '%s'",
                   attrs, is_num ? "num" : "text", got, o.rc, expect);
    }
    wout_free(&o);
    free(want);
}

static void check_refused(const char *file, int line, const char *attrs,
                          const char *children, unsigned width, bool is_num,
                          int64_t num, const char *text)
{
    struct wout o;

    write_field(file, line, attrs, children, width, is_num, num, text, &o);
    if (o.rc >= 0 || o.error[0] == '\0' || o.len != 0) {
        char got[512];
        int rc = o.rc;
        bool has_error = o.error[0] != '\0';

        snprintf(got, sizeof got, "%s", o.text);
        wout_free(&o);
        tu_fail_at(file, line,
                   "(%s) value %lld / '%s' in width %u should be refused: "
                   "rc %d, writer_error %s, wrote '%s'",
                   attrs, (long long)num, text ? text : "(unset)", width, rc,
                   has_error ? "set" : "EMPTY", got);
    }
    wout_free(&o);
}

#define FMT_NUM(attrs, num, expect)                                            \
    check_format(__FILE__, __LINE__, attrs, NULL, true, num, NULL, expect)
#define FMT_TEXT(attrs, text, expect)                                          \
    check_format(__FILE__, __LINE__, attrs, NULL, false, 0, text, expect)
#define REFUSE_NUM(attrs, width, num)                                          \
    check_refused(__FILE__, __LINE__, attrs, NULL, width, true, num, NULL)
#define REFUSE_TEXT(attrs, width, text)                                        \
    check_refused(__FILE__, __LINE__, attrs, NULL, width, false, 0, text)

static void test_text_is_padded_and_justified(void **state)
{
    (void)state;
    FMT_TEXT("type=\"text\"", "ABC", "ABC   ");
    FMT_TEXT("type=\"text\"", "A B", "A B   ");
    FMT_TEXT("justify=\"right\"", "ABC", "   ABC");
    FMT_TEXT("pad=\"*\"", "ABC", "ABC***");
    FMT_TEXT("type=\"text\"", "ABCDEF", "ABCDEF");
    check_format(__FILE__, __LINE__, "type=\"text\"", NULL, false, 0, NULL,
                 "      "); /* unset: blank */
    FMT_TEXT("type=\"ssn\"", "123456789", "123456789");
    FMT_TEXT("type=\"tin\"", "912345678", "912345678");
    check_format(__FILE__, __LINE__, "type=\"code\"",
                 "      <code value=\"A\"/>\n      <code value=\"XY\"/>\n",
                 false, 0, "A", "A ");
}

static void test_numbers_are_zero_filled_and_signed_as_declared(void **state)
{
    (void)state;
    FMT_NUM("type=\"integer\"", 42, "00042");
    FMT_NUM("type=\"integer\" pad=\" \"", 42, "   42");
    FMT_NUM("type=\"integer\" sign=\"leading\"", -123, "-00123");
    FMT_NUM("type=\"integer\" sign=\"leading\"", 123, "+00123");
    FMT_NUM("type=\"integer\" sign=\"trailing\"", 123, "00123+");
    FMT_NUM("type=\"integer\" sign=\"trailing\"", -123, "00123-");
    FMT_NUM("type=\"integer\" sign=\"overpunch\"", -123, "0012L");
    FMT_NUM("type=\"amount\"", 12345, "00012345");
    FMT_NUM("type=\"amount\" sign=\"leading\"", -1234, "-0001234");
    FMT_NUM("type=\"amount\" sign=\"leading\"", 1234, "+0001234");
    FMT_NUM("type=\"amount\" sign=\"trailing\"", -1234, "0001234-");
    FMT_NUM("type=\"amount\" point=\"explicit\"", 12345, "00123.45");
    FMT_NUM("type=\"amount\" point=\"explicit\"", 5, "00000.05");
    FMT_NUM("type=\"amount\" point=\"explicit\" sign=\"leading\"", -12345,
            "-0123.45");
    FMT_NUM("type=\"amount\" decimals=\"0\"", 12500, "00125");
    FMT_NUM("type=\"amount\" decimals=\"1\"", 12340, "001234");
    FMT_NUM("type=\"amount\"", 99999999, "99999999");
    FMT_TEXT("type=\"digits\"", "001234", "001234");
}

static void test_overpunch_writes_all_twenty_characters(void **state)
{
    const char *pos = "{ABCDEFGHI";
    const char *neg = "}JKLMNOPQR";
    char want[16];

    (void)state;
    for (int d = 0; d < 10; d++) {
        snprintf(want, sizeof want, "0000012%c", pos[d]);
        FMT_NUM("type=\"amount\" sign=\"overpunch\"", 120 + d, want);
        snprintf(want, sizeof want, "0000012%c", neg[d]);
        FMT_NUM("type=\"amount\" sign=\"overpunch\"", -(120 + d), want);
    }
    FMT_NUM("type=\"amount\" sign=\"overpunch\"", 0, "0000000{");
}

static void test_dates_and_times_are_written_in_their_format(void **state)
{
    (void)state;
    FMT_NUM("type=\"date\" format=\"YYYYMMDD\"", 20240229, "20240229");
    FMT_NUM("type=\"date\" format=\"CCYYMMDD\"", 20240229, "20240229");
    FMT_NUM("type=\"date\" format=\"MMDDYYYY\"", 20240229, "02292024");
    FMT_NUM("type=\"date\" format=\"MMDDCCYY\"", 20001231, "12312000");
    FMT_NUM("type=\"date\" format=\"YYYY-MM-DD\"", 20261126, "2026-11-26");
    FMT_NUM("type=\"time\" format=\"HHMMSS\"", 47100, "130500");
    FMT_NUM("type=\"time\" format=\"HHMMSS\"", 86399, "235959");
    FMT_NUM("type=\"time\" format=\"HHMM\"", 47100, "1305");
    FMT_NUM("type=\"time\" format=\"HH:MM:SS\"", 47100, "13:05:00");
    FMT_NUM("type=\"time\" format=\"HH:MM:SS\"", 1, "00:00:01");
}

static void
test_values_that_do_not_fit_are_refused_and_nothing_written(void **state)
{
    (void)state;
    REFUSE_TEXT("type=\"text\"", 6, "ABCDEFG");
    REFUSE_NUM("type=\"integer\"", 5, 123456);
    REFUSE_NUM("type=\"integer\"", 5, -1); /* no sign allowed */
    REFUSE_NUM("type=\"integer\" sign=\"leading\"", 6, 100000);
    REFUSE_NUM("type=\"integer\" sign=\"leading\"", 6, -100000);
    REFUSE_NUM("type=\"amount\"", 8, 100000000);
    REFUSE_NUM("type=\"amount\"", 8, -5);
    REFUSE_NUM("type=\"amount\" sign=\"overpunch\"", 8, -100000000);
    REFUSE_NUM("type=\"amount\" point=\"explicit\"", 8, 10000000);
    REFUSE_NUM("type=\"amount\" decimals=\"0\"", 5, 12345); /* $123.45 */
    REFUSE_NUM("type=\"amount\" decimals=\"1\"", 6, 12345);
    REFUSE_NUM("type=\"date\" format=\"YYYYMMDD\"", 8, 20230229);
    REFUSE_NUM("type=\"date\" format=\"YYYYMMDD\"", 8, 20241301);
    REFUSE_NUM("type=\"date\" format=\"YYYY-MM-DD\"", 10, 19000229);
    REFUSE_NUM("type=\"time\" format=\"HHMMSS\"", 6, 86400);
    REFUSE_NUM("type=\"time\" format=\"HHMMSS\"", 6, -1);
    REFUSE_NUM("type=\"time\" format=\"HHMM\"", 4, 47101); /* seconds */
    REFUSE_TEXT("type=\"ssn\"", 9, "12345678");
    REFUSE_TEXT("type=\"ssn\"", 9, "12345678A");
    REFUSE_TEXT("type=\"tin\"", 9, "1234567890");
    REFUSE_TEXT("type=\"digits\"", 6, "12a");
}

static void test_values_that_break_a_rule_are_refused(void **state)
{
    (void)state;
    REFUSE_TEXT("charset=\"upper\"", 6, "abc");
    REFUSE_TEXT("charset=\"alpha\"", 6, "AB1");
    REFUSE_TEXT("charset=\"name\"", 6, "A;B");
    REFUSE_TEXT("max-length=\"3\"", 6, "ABCD");
    REFUSE_TEXT("min-length=\"3\"", 6, "AB");
    REFUSE_TEXT("type=\"ssn\" check=\"ssa\"", 9, "666123456");
    REFUSE_TEXT("type=\"ssn\" check=\"ssa\"", 9, "123450000");
    REFUSE_NUM("type=\"integer\" max=\"100\"", 6, 101);
    REFUSE_NUM("type=\"amount\" min=\"10.00\"", 8, 999);
    REFUSE_TEXT("required=\"true\"", 6, NULL); /* never set */
    REFUSE_TEXT("required=\"true\"", 6, "");
    check_refused(__FILE__, __LINE__, "type=\"code\"",
                  "      <code value=\"A\"/>\n", 2, false, 0, "Q");
}

/* The reader stops a fixed-width file at a TAB or a newline inside a
 * line (E_ENCODING) and a print-charset field holds only 0x20-0x7E: the
 * writer must not produce such bytes. */
static void test_control_characters_in_text_are_refused(void **state)
{
    (void)state;
    REFUSE_TEXT("type=\"text\"", 6, "A\nB");
    REFUSE_TEXT("type=\"text\"", 6, "A\rB");
    REFUSE_TEXT("type=\"text\"", 6, "A\tB");
    REFUSE_TEXT("type=\"text\"", 6,
                "A\x7f"
                "B");
    REFUSE_TEXT("type=\"text\"", 6, "A\xc3\xa9");
}

/* ------------------------------------------------------------------ */
/* records, totals, structure                                          */

static const char HDT_XML[] =
    "<layout name=\"hdt\">\n"
    "  <file format=\"fixed\" record-length=\"20\" line-end=\"any\"/>\n"
    "  <record name=\"header\" min=\"1\" max=\"1\">\n"
    "    <field name=\"rt\" start=\"1\" length=\"1\" literal=\"H\"/>\n"
    "    <field name=\"sender\" start=\"2\" length=\"8\" charset=\"upper\" "
    "required=\"true\"/>\n"
    "    <field name=\"state\" start=\"10\" length=\"2\" default=\"NY\"/>\n"
    "    <field start=\"12\" length=\"9\" type=\"filler\"/>\n"
    "  </record>\n"
    "  <record name=\"detail\" min=\"0\" max=\"unbounded\">\n"
    "    <field name=\"rt\" start=\"1\" length=\"1\" literal=\"D\"/>\n"
    "    <field name=\"ssn\" start=\"2\" length=\"9\" type=\"ssn\"/>\n"
    "    <field name=\"amount\" start=\"11\" length=\"9\" type=\"amount\" "
    "sign=\"leading\"/>\n"
    "    <field start=\"20\" length=\"1\" type=\"filler\"/>\n"
    "  </record>\n"
    "  <record name=\"trailer\" min=\"1\" max=\"1\">\n"
    "    <field name=\"rt\" start=\"1\" length=\"1\" literal=\"T\"/>\n"
    "    <field name=\"count\" start=\"2\" length=\"6\" type=\"integer\" "
    "total=\"count\" of=\"detail\"/>\n"
    "    <field name=\"sum\" start=\"8\" length=\"12\" type=\"amount\" "
    "sign=\"leading\" total=\"sum\" of=\"detail.amount\"/>\n"
    "    <field start=\"20\" length=\"1\" type=\"filler\"/>\n"
    "  </record>\n"
    "</layout>\n";

static void test_writer_computes_totals_and_ignores_given_ones(void **state)
{
    struct layout *l = tu_load(HDT_XML);
    struct tu_mem m;
    struct writer *w;
    static const int64_t amounts[] = {1000, -250, 99};

    (void)state;
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_int_equal(writer_begin(w, "header"), 0);
    assert_int_equal(writer_set_text_by_name(w, "sender", "ACME"), 0);
    assert_int_equal(writer_end(w), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(writer_begin(w, "detail"), 0);
        assert_int_equal(writer_set_text_by_name(w, "ssn", "123456789"), 0);
        assert_int_equal(writer_set_num_by_name(w, "amount", amounts[i]), 0);
        assert_int_equal(writer_end(w), 0);
    }
    assert_int_equal(writer_begin(w, "trailer"), 0);
    writer_set_num_by_name(w, "count", 77);  /* ignored */
    writer_set_num_by_name(w, "sum", 12345); /* ignored */
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    tu_mem_flush(&m);
    assert_string_equal(m.buf, "HACME    NY         \n"
                               "D123456789+00001000 \n"
                               "D123456789-00000250 \n"
                               "D123456789+00000099 \n"
                               "T000003+00000000849 \n");
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
}

static void test_writer_fills_literals_and_defaults(void **state)
{
    struct layout *l = tu_load(HDT_XML);
    struct tu_mem m;
    struct writer *w;

    (void)state;
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_int_equal(writer_begin_index(w, 0), 0);
    assert_int_equal(writer_set_text(w, 1, "X", 1), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_begin_index(w, 2), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    tu_mem_flush(&m);
    /* "H" and "T" from the literals, "NY" from the default; the zero
     * count and sum are computed */
    assert_string_equal(m.buf, "HX       NY         \n"
                               "T000000+00000000000 \n");
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
}

static void test_writer_refuses_records_out_of_order(void **state)
{
    struct layout *l = tu_load(HDT_XML);
    struct tu_mem m;
    struct writer *w;
    int rc;

    (void)state;
    /* a detail before the header */
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    rc = writer_begin(w, "detail");
    if (rc == 0) {
        writer_set_text_by_name(w, "ssn", "123456789");
        rc = writer_end(w);
    }
    assert_true(rc < 0);
    assert_non_null(writer_error(w));
    assert_true(strlen(writer_error(w)) > 0);
    assert_int_equal(tu_mem_flush(&m), 0);
    writer_free(w);
    tu_mem_close(&m);

    /* two headers */
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_int_equal(writer_begin(w, "header"), 0);
    writer_set_text_by_name(w, "sender", "A");
    assert_int_equal(writer_end(w), 0);
    {
        size_t before = tu_mem_flush(&m);

        rc = writer_begin(w, "header");
        if (rc == 0) {
            writer_set_text_by_name(w, "sender", "B");
            rc = writer_end(w);
        }
        assert_true(rc < 0);
        assert_int_equal(tu_mem_flush(&m), before);
    }
    writer_free(w);
    tu_mem_close(&m);

    /* a detail after the trailer */
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_int_equal(writer_begin(w, "header"), 0);
    writer_set_text_by_name(w, "sender", "A");
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_begin(w, "trailer"), 0);
    assert_int_equal(writer_end(w), 0);
    rc = writer_begin(w, "detail");
    if (rc == 0) {
        writer_set_text_by_name(w, "ssn", "123456789");
        rc = writer_end(w);
    }
    assert_true(rc < 0);
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
}

static void test_writer_finish_fails_when_the_trailer_is_missing(void **state)
{
    struct layout *l = tu_load(HDT_XML);
    struct tu_mem m;
    struct writer *w;

    (void)state;
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_true(writer_finish(w) < 0); /* nothing at all */
    assert_true(strlen(writer_error(w)) > 0);
    writer_free(w);
    tu_mem_close(&m);

    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_int_equal(writer_begin(w, "header"), 0);
    writer_set_text_by_name(w, "sender", "A");
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_begin(w, "detail"), 0);
    writer_set_text_by_name(w, "ssn", "123456789");
    assert_int_equal(writer_end(w), 0);
    assert_true(writer_finish(w) < 0);
    assert_non_null(strstr(writer_error(w), "trailer"));
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
}

static void test_writer_rejects_unknown_names_and_indexes(void **state)
{
    struct layout *l = tu_load(HDT_XML);
    struct tu_mem m;
    struct writer *w;

    (void)state;
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_true(writer_begin(w, "nosuch") < 0);
    assert_true(writer_begin_index(w, 3) < 0);
    assert_int_equal(writer_begin(w, "header"), 0);
    assert_int_equal(writer_set_text_by_name(w, "nosuch", "x"), -ENOENT);
    assert_int_equal(writer_set_num_by_name(w, "nosuch", 1), -ENOENT);
    assert_true(writer_set_text(w, 99, "x", 1) < 0);
    assert_true(writer_set_num(w, -1, 1) < 0);
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
}

static void test_line_ends_follow_the_layout(void **state)
{
    static const struct {
        const char *le;
        const char *want;
    } cases[] = {
        {"crlf", "ab\r\ncd\r\n"},
        {"lf", "ab\ncd\n"},
        {"any", "ab\ncd\n"},
    };

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        char *xml = tu_asprintf(
            "<layout name=\"le\">\n"
            "  <file format=\"fixed\" record-length=\"2\" line-end=\"%s\"/>\n"
            "  <record name=\"r\" min=\"0\" max=\"unbounded\">\n"
            "    <field name=\"a\" start=\"1\" length=\"2\"/>\n"
            "  </record>\n"
            "</layout>\n",
            cases[i].le);
        struct layout *l = tu_load(xml);
        struct tu_mem m;
        struct writer *w;

        tu_mem_open(&m);
        w = writer_new(l, m.f);
        assert_int_equal(writer_begin(w, "r"), 0);
        assert_int_equal(writer_set_text(w, 0, "ab", 2), 0);
        assert_int_equal(writer_end(w), 0);
        assert_int_equal(writer_begin(w, "r"), 0);
        assert_int_equal(writer_set_text(w, 0, "cd", 2), 0);
        assert_int_equal(writer_end(w), 0);
        assert_int_equal(writer_finish(w), 0);
        tu_mem_flush(&m);
        assert_string_equal(m.buf, cases[i].want);
        writer_free(w);
        tu_mem_close(&m);
        layout_free(l);
        free(xml);
    }
}

/* sign="minus": a '-' on negatives, nothing on positives, fixed and CSV */
/* ------------------------------------------------------------------ */
/* regressions from review                                             */

/* Write RECS (each "type:field=value;field=value", numbers with '#')
 * through L into a string the caller frees; fails the test on an error. */
static char *write_all(struct layout *l, const char *const *recs, size_t n)
{
    struct tu_mem m;
    tu_mem_open(&m);
    struct writer *w = writer_new(l, m.f);
    for (size_t i = 0; i < n; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", recs[i]);
        char *colon = strchr(buf, ':');
        *colon = '\0';
        assert_int_equal(writer_begin(w, buf), 0);
        for (char *kv = colon + 1; *kv != '\0';) {
            char *end = strchr(kv, ';');
            if (end != NULL)
                *end = '\0';
            char *eq = strchr(kv, '=');
            *eq = '\0';
            int rc = eq[1] == '#'
                         ? writer_set_num_by_name(w, kv, strtoll(eq + 2, 0, 10))
                         : writer_set_text_by_name(w, kv, eq + 1);
            assert_int_equal(rc, 0);
            kv = end ? end + 1 : eq + strlen(eq + 1) + 1;
        }
        if (writer_end(w) != 0)
            fail_msg("record %zu: %s", i, writer_error(w));
    }
    if (writer_finish(w) != 0)
        fail_msg("finish: %s", writer_error(w));
    tu_mem_flush(&m);
    char *out = tu_xstrdup(m.buf);
    writer_free(w);
    tu_mem_close(&m);
    return out;
}

/* A file trailer that sums the batch trailers' own totals. */
static void test_sum_of_totals_is_written_from_final_values(void **state)
{
    struct layout *l = tu_load(
        "<layout name=\"ss\"><file format=\"fixed\" record-length=\"8\" "
        "line-end=\"lf\"/><group name=\"b\" max=\"unbounded\">"
        "<record name=\"d\" max=\"unbounded\"><field name=\"t\" start=\"1\" "
        "length=\"1\" literal=\"D\"/><field name=\"a\" start=\"2\" "
        "length=\"7\" type=\"amount\"/></record><record name=\"bt\"><field "
        "name=\"t\" start=\"1\" length=\"1\" literal=\"B\"/><field "
        "name=\"sum\" start=\"2\" length=\"7\" type=\"amount\" total=\"sum\" "
        "of=\"d.a\"/></record></group><record name=\"ft\"><field name=\"t\" "
        "start=\"1\" length=\"1\" literal=\"F\"/><field name=\"sum\" "
        "start=\"2\" length=\"7\" type=\"amount\" total=\"sum\" "
        "of=\"bt.sum\"/></record></layout>");
    static const char *const recs[] = {"d:a=#500", "bt:", "d:a=#300",
                                       "d:a=#200", "bt:", "ft:"};
    (void)state;
    char *out = write_all(l, recs, 6);
    assert_string_equal(out, "D0000500\nB0000500\nD0000300\nD0000200\n"
                             "B0000500\nF0001000\n");
    struct tu_parse *p = tu_parse_str(l, out);
    tu_expect_clean(p, 6);
    tu_parse_free(p);
    free(out);
    layout_free(l);
}

/* header-row="skip": the writer writes the names the reader skips. */
static void test_header_row_is_written_and_skipped_back(void **state)
{
    struct layout *l = tu_load(
        "<layout name=\"h\"><file format=\"delimited\" header-row=\"skip\" "
        "line-end=\"lf\"/><record name=\"r\" max=\"unbounded\"><field "
        "name=\"a\"/><field name=\"b\" type=\"integer\"/></record></layout>");
    static const char *const recs[] = {"r:a=x;b=#1", "r:a=y;b=#2"};
    (void)state;
    char *out = write_all(l, recs, 2);
    assert_string_equal(out, "a,b\nx,1\ny,2\n");
    struct tu_parse *p = tu_parse_str(l, out);
    tu_expect_clean(p, 2);
    tu_parse_free(p);
    free(out);
    layout_free(l);
}

/* Filler is the writer's own: it refuses a value for it; filler read
 * with check="none" is written back as it was, fixed and delimited. */
static void test_filler_is_refused_as_a_value_and_kept_when_read(void **state)
{
    static const char *const xml[] = {
        "<layout name=\"f\"><file format=\"delimited\" line-end=\"lf\"/>"
        "<record name=\"r\" max=\"unbounded\"><field name=\"a\"/><field "
        "type=\"filler\" check=\"none\"/><field name=\"c\"/></record>"
        "</layout>",
        "<layout name=\"f\"><file format=\"fixed\" record-length=\"9\" "
        "line-end=\"lf\"/><record name=\"r\" max=\"unbounded\"><field "
        "name=\"a\" start=\"1\" length=\"1\"/><field start=\"2\" "
        "length=\"7\" type=\"filler\" check=\"none\"/><field name=\"c\" "
        "start=\"9\" length=\"1\"/></record></layout>"};
    static const char *const input[] = {"1,keep me,3\n", "1keep me3\n"};
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct layout *l = tu_load(xml[k]);
        struct tu_mem m;
        tu_mem_open(&m);
        struct writer *w = writer_new(l, m.f);
        assert_int_equal(writer_begin(w, "r"), 0);
        assert_true(writer_set_text(w, 1, "XYZ", 3) < 0);
        struct reader *rd =
            reader_new_buffer(l, input[k], strlen(input[k]), "in");
        const struct record *rec;
        assert_int_equal(reader_next(rd, &rec), READER_RECORD);
        assert_int_equal(writer_put_record(w, rec), 0);
        tu_mem_flush(&m);
        assert_string_equal(m.buf, input[k]);
        reader_free(rd);
        writer_free(w);
        tu_mem_close(&m);
        layout_free(l);
    }
}

/* Many long texts in one record: the writer's store grows under them. */
static void test_long_texts_survive_the_store_growing(void **state)
{
    struct layout *l = tu_load(
        "<layout name=\"g\"><file format=\"fixed\" record-length=\"3000\" "
        "line-end=\"lf\"/><record name=\"r\"><field name=\"a\" start=\"1\" "
        "length=\"1000\"/><field name=\"b\" start=\"1001\" length=\"1000\"/>"
        "<field name=\"c\" start=\"2001\" length=\"1000\"/></record>"
        "</layout>");
    char *big = tu_xmalloc(1001);
    (void)state;
    struct tu_mem m;
    tu_mem_open(&m);
    struct writer *w = writer_new(l, m.f);
    assert_int_equal(writer_begin(w, "r"), 0);
    for (int f = 0; f < 3; f++) {
        memset(big, 'A' + f, 1000);
        assert_int_equal(writer_set_text(w, f, big, 1000), 0);
    }
    assert_int_equal(writer_end(w), 0);
    tu_mem_flush(&m);
    assert_int_equal(m.len, 3001);
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < 1000; i++)
            assert_int_equal(m.buf[f * 1000 + i], 'A' + f);
    writer_free(w);
    tu_mem_close(&m);
    free(big);
    layout_free(l);
}

static void test_minus_sign_is_written_only_on_negatives(void **state)
{
    static const char *const formats[] = {
        "<file format=\"fixed\" record-length=\"8\" line-end=\"lf\"/>",
        "<file format=\"delimited\" line-end=\"lf\"/>"};
    static const char *const expect[] = {"-0000123\n00000456\n",
                                         "-1.23\n4.56\n"};
    (void)state;
    for (int k = 0; k < 2; k++) {
        char xml[1024];
        snprintf(xml, sizeof xml,
                 "<layout name=\"m\">%s<record name=\"r\" "
                 "max=\"unbounded\"><field name=\"a\" %s type=\"amount\" "
                 "sign=\"minus\" %s/></record></layout>",
                 formats[k], k ? "" : "start=\"1\" length=\"8\"",
                 k ? "point=\"explicit\"" : "");
        struct layout *l = tu_load(xml);
        struct tu_mem m;
        tu_mem_open(&m);
        struct writer *w = writer_new(l, m.f);
        assert_int_equal(writer_begin(w, "r"), 0);
        assert_int_equal(writer_set_num_by_name(w, "a", -123), 0);
        assert_int_equal(writer_end(w), 0);
        assert_int_equal(writer_begin(w, "r"), 0);
        assert_int_equal(writer_set_num_by_name(w, "a", 456), 0);
        assert_int_equal(writer_end(w), 0);
        tu_mem_flush(&m);
        assert_string_equal(m.buf, expect[k]);
        struct tu_parse *p = tu_parse_buf(l, m.buf, m.len);
        tu_expect_clean(p, 2);
        assert_int_equal(p->recs[0].values[0].num, -123);
        assert_int_equal(p->recs[1].values[0].num, 456);
        tu_parse_free(p);
        writer_free(w);
        tu_mem_close(&m);
        layout_free(l);
    }
}

static void
test_csv_writer_quotes_what_needs_quoting_and_signs_amounts(void **state)
{
    struct layout *l = tu_load_data("debts-csv.xml");
    const struct layout_record *r = layout_record_at(l, 0);
    struct tu_mem m;
    struct writer *w;
    struct tu_parse *p;

    (void)state;
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_int_equal(writer_begin(w, "debt"), 0);
    assert_int_equal(writer_set_num_by_name(w, "id", 7), 0);
    assert_int_equal(writer_set_text_by_name(w, "ssn", "123456789"), 0);
    assert_int_equal(writer_set_text_by_name(w, "name", "Smith, John"), 0);
    assert_int_equal(writer_set_text_by_name(w, "memo", "say \"hi\""), 0);
    assert_int_equal(writer_set_text_by_name(w, "kind", "A"), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_begin(w, "debt"), 0);
    assert_int_equal(writer_set_num_by_name(w, "id", 8), 0);
    assert_int_equal(writer_set_text_by_name(w, "ssn", "123456789"), 0);
    assert_int_equal(writer_set_text_by_name(w, "name", "plain"), 0);
    assert_int_equal(writer_set_text_by_name(w, "kind", "Z"), 0);
    assert_int_equal(writer_set_num_by_name(w, "amount", 12345), 0);
    assert_int_equal(writer_set_num_by_name(w, "paid", -12345), 0);
    assert_int_equal(writer_end(w), 0);
    assert_int_equal(writer_finish(w), 0);
    tu_mem_flush(&m);
    assert_non_null(strstr(m.buf, "\"Smith, John\""));
    assert_non_null(strstr(m.buf, "\"say \"\"hi\"\"\""));
    assert_int_equal(m.buf[m.len - 1], '\n');
    /* blank amount: an empty field */
    assert_non_null(strstr(m.buf, ",A,,"));
    p = tu_parse_buf(l, m.buf, m.len);
    tu_expect_clean(p, 2);
    assert_string_equal(p->recs[0].values[layout_field_index(r, "name")].text,
                        "Smith, John");
    assert_string_equal(p->recs[0].values[layout_field_index(r, "memo")].text,
                        "say \"hi\"");
    assert_int_equal(p->recs[0].values[layout_field_index(r, "amount")].state,
                     VALUE_BLANK);
    tu_parse_free(p);
    /* sign="leading" puts '+' or '-' first, in delimited files too */
    assert_non_null(strstr(m.buf, ",Z,+12345,-123.45,"));
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
}

/* ------------------------------------------------------------------ */
/* round trip (a): random valid records from the layout's descriptors */

static uint64_t g_seed;
static size_t g_cases; /* records round-tripped so far */

struct expect_value {
    bool set;
    enum value_state state;
    int64_t num;
    char text[160];
    size_t text_len;
};

struct expect_record {
    const struct layout_record *type;
    struct expect_value *values;
};

static bool is_numeric(enum field_type t)
{
    return t == FT_INTEGER || t == FT_AMOUNT || t == FT_DATE || t == FT_TIME;
}

static int64_t pow10i(unsigned n)
{
    int64_t v = 1;

    while (n-- > 0) {
        v *= 10;
    }
    return v;
}

static const char *charset_chars(enum text_charset cs)
{
    switch (cs) {
    case CHARSET_ALPHA:
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ";
    case CHARSET_ALNUM:
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
               " ";
    case CHARSET_UPPER:
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
    case CHARSET_NAME:
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -'.,";
    case CHARSET_PRINT:
        break;
    }
    return NULL; /* any printable */
}

static char rand_char(struct tu_rng *r, enum text_charset cs, bool csv)
{
    const char *set = charset_chars(cs);

    if (set != NULL) {
        return set[tu_rng_below(r, strlen(set))];
    }
    /* printable ASCII; CSV gets its specials often */
    if (csv && tu_rng_below(r, 4) == 0) {
        return ",\"| "[tu_rng_below(r, 4)];
    }
    return (char)(0x20 + tu_rng_below(r, 95));
}

/* A random value between LO and HI, often one of the ends. */
static int64_t pick(struct tu_rng *r, int64_t lo, int64_t hi)
{
    switch (tu_rng_below(r, 10)) {
    case 0:
        return lo;
    case 1:
        return hi;
    case 2:
        return (lo <= 0 && hi >= 0) ? 0 : lo;
    default:
        return tu_rng_range(r, lo, hi);
    }
}

static int64_t days_in(int64_t y, int64_t m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dm[m - 1];
}

static void gen_text(struct tu_rng *r, const struct layout_field *f, bool csv,
                     struct expect_value *v)
{
    size_t lo = f->min_length ? f->min_length : 1;
    size_t hi = csv ? 40 : f->length;

    if (f->max_length && f->max_length < hi) {
        hi = f->max_length;
    }
    v->text_len = (size_t)tu_rng_range(r, (int64_t)lo, (int64_t)hi);
    for (size_t i = 0; i < v->text_len; i++) {
        v->text[i] = rand_char(r, f->charset, csv);
    }
    /* no pad at either end: it would be trimmed */
    if (v->text[0] == ' ') {
        v->text[0] = 'A';
    }
    if (v->text[v->text_len - 1] == ' ') {
        v->text[v->text_len - 1] = 'Z';
    }
    v->text[v->text_len] = '\0';
}

static void gen_ssn(struct tu_rng *r, bool ssa, char *out)
{
    if (ssa) {
        int64_t area;

        do {
            area = tu_rng_range(r, 1, 899);
        } while (area == 666);
        snprintf(out, 10, "%03lld%02lld%04lld", (long long)area,
                 (long long)tu_rng_range(r, 1, 99),
                 (long long)tu_rng_range(r, 1, 9999));
    } else {
        for (int i = 0; i < 9; i++) {
            out[i] = (char)('0' + tu_rng_below(r, 10));
        }
        out[9] = '\0';
    }
}

/* Digits the fixed-width field has for the number itself. */
static unsigned number_digits(const struct layout_field *f)
{
    unsigned n = f->length;

    if (f->sign == SIGN_LEADING || f->sign == SIGN_TRAILING) {
        n--;
    }
    if (f->type == FT_AMOUNT && f->explicit_point) {
        n--;
    }
    return n;
}

/* Digits a value of field FIELD of record type REC may have so that a
 * control total summing it still fits its trailer field with up to 1000
 * records; 18 when nothing sums it. */
static unsigned sum_digit_limit(const struct layout *l,
                                const struct layout_record *rec, int field)
{
    unsigned limit = 18;

    for (size_t i = 0; i < layout_n_records(l); i++) {
        const struct layout_record *t = layout_record_at(l, i);

        for (size_t j = 0; j < t->n_fields; j++) {
            const struct layout_field *f = &t->fields[j];

            if (f->total == TOTAL_SUM && f->total_of == rec &&
                f->total_of_field == field && number_digits(f) > 3 &&
                number_digits(f) - 3 < limit) {
                limit = number_digits(f) - 3;
            }
        }
    }
    return limit;
}

static void gen_number(struct tu_rng *r, const struct layout_field *f, bool csv,
                       unsigned limit, struct expect_value *v)
{
    int64_t scale = 1, lo, hi;
    unsigned digits = csv ? 12 : number_digits(f);

    if (f->type == FT_AMOUNT && f->decimals < 2 && limit >= 2u - f->decimals) {
        limit -= 2u - (unsigned)f->decimals; /* the value is in cents */
    }
    if (digits > limit) {
        digits = limit;
    }

    if (digits > 18) {
        digits = 18;
    }
    if (f->type == FT_AMOUNT) {
        scale = f->decimals == 0 ? 100 : f->decimals == 1 ? 10 : 1;
    }
    hi = pow10i(digits) - 1;
    lo = f->sign == SIGN_NONE ? 0 : -hi;
    if (f->required && f->sign == SIGN_NONE && !csv) {
        /* a required all-zero field is all pad: see
         * test_required_zero_written_by_the_writer_reads_back */
        lo = 1;
    }
    /* bounds are in cents/units; keep to multiples of SCALE */
    if (f->has_min && f->min > lo * scale) {
        lo = (f->min + (f->min > 0 ? scale - 1 : 0)) / scale;
    }
    if (f->has_max && f->max < hi * scale) {
        hi = (f->max - (f->max < 0 ? scale - 1 : 0)) / scale;
    }
    v->num = pick(r, lo, hi) * scale;
}

static void gen_value(struct tu_rng *r, const struct layout_field *f, bool csv,
                      unsigned limit, struct expect_value *v)
{
    memset(v, 0, sizeof *v);
    v->set = true;
    v->state = VALUE_OK;
    switch (f->type) {
    case FT_TEXT:
        gen_text(r, f, csv, v);
        break;
    case FT_DIGITS: {
        size_t n = csv ? 1 + tu_rng_below(r, 12) : f->length;

        for (size_t i = 0; i < n; i++) {
            v->text[i] = (char)('0' + tu_rng_below(r, 10));
        }
        v->text[tu_rng_below(r, n)] = (char)('1' + tu_rng_below(r, 9));
        v->text_len = n;
        break;
    }
    case FT_INTEGER:
    case FT_AMOUNT:
        gen_number(r, f, csv, limit, v);
        break;
    case FT_DATE: {
        int64_t y = tu_rng_range(r, 1900, 2099);
        int64_t m = tu_rng_range(r, 1, 12);
        int64_t d = tu_rng_range(r, 1, days_in(y, m));

        if (tu_rng_below(r, 8) == 0) { /* a leap day */
            y = 1904 + 4 * tu_rng_range(r, 0, 48);
            y = y == 2000 || y % 100 != 0 ? y : y + 4;
            m = 2;
            d = 29;
        }
        v->num = y * 10000 + m * 100 + d;
        break;
    }
    case FT_TIME:
        v->num = tu_rng_range(r, 1, 86399);
        if (f->time_format == TIME_HHMM) {
            v->num = (v->num / 60) * 60;
        }
        break;
    case FT_CODE: {
        const struct field_code *c = &f->codes[tu_rng_below(r, f->n_codes)];

        v->text_len = strlen(c->value);
        memcpy(v->text, c->value, v->text_len + 1);
        break;
    }
    case FT_SSN:
        gen_ssn(r, f->check_ssa, v->text);
        v->text_len = 9;
        break;
    case FT_TIN:
        gen_ssn(r, false, v->text);
        v->text_len = 9;
        break;
    case FT_FILLER:
    case FT_COUNT_:
        v->set = false;
        break;
    }
}

/* Running counts and sums for control totals, per record type. */
struct acc {
    uint64_t all;
    uint64_t count[16];
    int64_t sum[16][32];
};

static void acc_add(struct acc *a, const struct expect_record *e)
{
    int ri = e->type->index;

    a->all++;
    a->count[ri]++;
    for (size_t f = 0; f < e->type->n_fields && f < 32; f++) {
        if (is_numeric(e->type->fields[f].type) && e->values[f].set) {
            a->sum[ri][f] += e->values[f].num;
        }
    }
}

struct gen_file {
    struct expect_record *recs;
    size_t n, cap;
    struct acc file_acc, group_acc;
};

/* Generate, set and write one record of TYPE; SCOPE holds the totals for
 * its trailer fields.  Returns 0 or fails the test. */
static void gen_record(struct tu_rng *r, struct writer *w, struct gen_file *g,
                       const struct layout *l, const char *name,
                       const struct acc *scope, bool csv)
{
    const struct layout_record *type = layout_record_by_name(l, name);
    struct expect_record e;
    int rc;

    assert_non_null(type);
    e.type = type;
    e.values = tu_xmalloc(type->n_fields * sizeof *e.values);
    rc = writer_begin(w, name);
    for (size_t i = 0; rc == 0 && i < type->n_fields; i++) {
        const struct layout_field *f = &type->fields[i];
        struct expect_value *v = &e.values[i];

        memset(v, 0, sizeof *v);
        v->state = VALUE_BLANK;
        if (f->type == FT_FILLER) {
            continue;
        }
        if (f->literal != NULL) {
            v->set = true;
            v->state = VALUE_OK;
            v->text_len = strlen(f->literal);
            memcpy(v->text, f->literal, v->text_len + 1);
            rc = writer_set_text(w, (int)i, f->literal, v->text_len);
            continue;
        }
        if (f->total != TOTAL_NONE) {
            v->set = true;
            v->state = VALUE_OK;
            if (f->total == TOTAL_COUNT) {
                v->num = f->total_of == NULL
                             ? (int64_t)scope->all + 1 /* itself too */
                             : (int64_t)scope->count[f->total_of->index];
            } else {
                v->num = scope->sum[f->total_of->index][f->total_of_field];
            }
            if (tu_rng_below(r, 3) == 0) { /* a value to be ignored */
                rc = writer_set_num(w, (int)i, 7);
            }
            continue;
        }
        if (!f->required && tu_rng_below(r, 5) == 0) {
            if (f->default_value != NULL) { /* unset: takes the default */
                v->set = true;
                v->state = VALUE_OK;
                v->text_len = strlen(f->default_value);
                memcpy(v->text, f->default_value, v->text_len + 1);
            }
            continue;
        }
        gen_value(r, f, csv, sum_digit_limit(l, type, (int)i), v);
        if (is_numeric(f->type)) {
            rc = writer_set_num(w, (int)i, v->num);
        } else {
            rc = writer_set_text(w, (int)i, v->text, v->text_len);
        }
    }
    if (rc == 0) {
        rc = writer_end(w);
    }
    if (rc != 0) {
        fail_msg("seed %llu: writing a valid '%s' record (#%zu) failed: %s",
                 (unsigned long long)g_seed, name, g->n, writer_error(w));
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->recs = tu_xrealloc(g->recs, g->cap * sizeof *g->recs);
    }
    g->recs[g->n++] = e;
    acc_add(&g->file_acc, &e);
    acc_add(&g->group_acc, &e);
}

static void gen_file_free(struct gen_file *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->recs[i].values);
    }
    free(g->recs);
    memset(g, 0, sizeof *g);
}

/* Compare what the reader made of the bytes with what was written. */
static void compare_values(const struct gen_file *g, const struct tu_parse *p,
                           const char *what, size_t file_no)
{
    if (p->status != READER_END || p->n != g->n) {
        tu_dump_parse(p);
        fail_msg("seed %llu %s file %zu: %s with %zu records, wrote %zu",
                 (unsigned long long)g_seed, what, file_no,
                 tu_status_name(p->status), p->n, g->n);
    }
    for (size_t i = 0; i < g->n; i++) {
        const struct expect_record *e = &g->recs[i];
        const struct tu_record *got = &p->recs[i];

        if (got->type != e->type || got->n_errors != 0) {
            tu_dump_record(got);
            fail_msg("seed %llu %s file %zu record %zu: type %s, %u errors",
                     (unsigned long long)g_seed, what, file_no, i,
                     got->type ? got->type->name : "(none)", got->n_errors);
        }
        for (size_t f = 0; f < e->type->n_fields; f++) {
            const struct layout_field *fd = &e->type->fields[f];
            const struct expect_value *x = &e->values[f];
            const struct tu_value *y = &got->values[f];
            bool ok;

            if (fd->type == FT_FILLER) {
                continue;
            }
            if (is_numeric(fd->type)) {
                ok = y->num == x->num &&
                     (y->state == x->state ||
                      (x->num == 0 && y->state == VALUE_BLANK &&
                       x->state == VALUE_OK));
            } else {
                ok = y->state == x->state && y->text_len == x->text_len &&
                     memcmp(y->text, x->text, x->text_len) == 0;
            }
            if (!ok) {
                tu_dump_record(got);
                fail_msg("seed %llu %s file %zu record %zu ('%s') field %s: "
                         "wrote state %d num %lld text '%s', read state %d "
                         "num %lld text '%s'",
                         (unsigned long long)g_seed, what, file_no, i,
                         e->type->name, fd->name ? fd->name : "?", x->state,
                         (long long)x->num, x->text, y->state,
                         (long long)y->num, y->text);
            }
        }
    }
}

/* Round trip (b) on BYTES: parse them and put every record back through
 * the writer; the output must be the same bytes. */
static void rewrite_equals(const struct layout *l, const char *bytes,
                           size_t len, const char *what)
{
    struct reader *rd = reader_new_buffer(l, bytes, len, what);
    struct tu_mem m;
    struct writer *w;
    const struct record *rec;
    enum reader_status st;
    uint64_t n = 0;

    tu_mem_open(&m);
    w = writer_new(l, m.f);
    while ((st = reader_next(rd, &rec)) == READER_RECORD) {
        int rc = writer_put_record(w, rec);

        n++;
        if (rc != 0) {
            fail_msg("seed %llu %s: writer_put_record of line %llu: %s",
                     (unsigned long long)g_seed, what,
                     (unsigned long long)rec->line, writer_error(w));
        }
    }
    if (st != READER_END) {
        fail_msg("seed %llu %s: input not valid: %s at line %llu: %s",
                 (unsigned long long)g_seed, what,
                 errcode_name(reader_file_error(rd)->code),
                 (unsigned long long)reader_file_error(rd)->line,
                 reader_file_error(rd)->detail);
    }
    if (writer_finish(w) != 0) {
        fail_msg("seed %llu %s: writer_finish: %s", (unsigned long long)g_seed,
                 what, writer_error(w));
    }
    tu_mem_flush(&m);
    if (m.len != len || memcmp(m.buf, bytes, len) != 0) {
        size_t at = 0, line = 1;

        while (at < len && at < m.len && m.buf[at] == bytes[at]) {
            if (bytes[at] == '\n') {
                line++;
            }
            at++;
        }
        fail_msg("seed %llu %s: write(parse(bytes)) != bytes: %zu vs %zu "
                 "bytes, first difference at byte %zu (line %zu):\n"
                 "  in:  '%.60s'\n  out: '%.60s'",
                 (unsigned long long)g_seed, what, len, m.len, at, line,
                 bytes + (at > 20 ? at - 20 : 0),
                 m.buf + (at > 20 ? at - 20 : 0));
    }
    (void)n;
    writer_free(w);
    tu_mem_close(&m);
    reader_free(rd);
}

enum shape { SHAPE_ALL_TYPES, SHAPE_CSV, SHAPE_BATCHES };

static void round_trip(const char *layout_file, enum shape shape, int files,
                       uint64_t salt)
{
    struct layout *l = tu_load_data(layout_file);
    bool csv = layout_format(l) == LAYOUT_DELIMITED;
    struct tu_rng r = {g_seed ^ salt};

    for (int fno = 0; fno < files; fno++) {
        struct gen_file g = {0};
        struct tu_mem m;
        struct writer *w;
        struct tu_parse *p;

        tu_mem_open(&m);
        w = writer_new(l, m.f);
        assert_non_null(w);
        switch (shape) {
        case SHAPE_ALL_TYPES: {
            size_t n = (size_t)tu_rng_range(&r, 0, 200);

            gen_record(&r, w, &g, l, "header", &g.file_acc, csv);
            for (size_t i = 0; i < n; i++) {
                gen_record(&r, w, &g, l, "detail", &g.file_acc, csv);
            }
            gen_record(&r, w, &g, l, "trailer", &g.file_acc, csv);
            break;
        }
        case SHAPE_CSV: {
            size_t n = (size_t)tu_rng_range(&r, 1, 200);

            for (size_t i = 0; i < n; i++) {
                gen_record(&r, w, &g, l, "debt", &g.file_acc, csv);
            }
            break;
        }
        case SHAPE_BATCHES: {
            int batches = (int)tu_rng_range(&r, 1, 6);

            gen_record(&r, w, &g, l, "file_header", &g.file_acc, csv);
            for (int b = 0; b < batches; b++) {
                int entries = (int)tu_rng_range(&r, 1, 40);

                memset(&g.group_acc, 0, sizeof g.group_acc);
                gen_record(&r, w, &g, l, "batch_header", &g.group_acc, csv);
                for (int e = 0; e < entries; e++) {
                    gen_record(&r, w, &g, l, "entry", &g.group_acc, csv);
                }
                gen_record(&r, w, &g, l, "batch_trailer", &g.group_acc, csv);
            }
            gen_record(&r, w, &g, l, "file_trailer", &g.file_acc, csv);
            break;
        }
        }
        if (writer_finish(w) != 0) {
            fail_msg("seed %llu %s file %d: writer_finish: %s",
                     (unsigned long long)g_seed, layout_file, fno,
                     writer_error(w));
        }
        tu_mem_flush(&m);
        /* (a) parse(write(values)) == values */
        p = tu_parse_buf(l, m.buf, m.len);
        compare_values(&g, p, layout_file, (size_t)fno);
        tu_parse_free(p);
        /* (b) write(parse(bytes)) == bytes */
        rewrite_equals(l, m.buf, m.len, layout_file);
        g_cases += g.n;
        writer_free(w);
        tu_mem_close(&m);
        gen_file_free(&g);
    }
    layout_free(l);
}

static void test_round_trip_random_fixed_records_of_every_type(void **state)
{
    (void)state;
    round_trip("all-types.xml", SHAPE_ALL_TYPES, 50, 0x1111);
}

static void test_round_trip_random_csv_records_with_quoting(void **state)
{
    (void)state;
    round_trip("debts-csv.xml", SHAPE_CSV, 50, 0x2222);
}

static void test_round_trip_random_grouped_batches(void **state)
{
    (void)state;
    round_trip("batches.xml", SHAPE_BATCHES, 40, 0x3333);
}

static void test_round_trip_random_doc_example_files(void **state)
{
    (void)state;
    round_trip("agency-debt.xml", SHAPE_ALL_TYPES, 20, 0x4444);
}

/* 0 in a required zero-filled number: the doc makes an all-pad field
 * blank, yet 0 is a valid value of a required count; what the writer
 * accepts, the reader must give back. */
static void test_required_zero_written_by_the_writer_reads_back(void **state)
{
    struct layout *l = tu_load(
        "<layout name=\"zero\">\n"
        "  <file format=\"fixed\" record-length=\"6\" line-end=\"lf\"/>\n"
        "  <record name=\"r\" min=\"0\" max=\"unbounded\">\n"
        "    <field name=\"n\" start=\"1\" length=\"6\" type=\"integer\" "
        "required=\"true\"/>\n"
        "  </record>\n"
        "</layout>\n");
    struct tu_mem m;
    struct writer *w;
    int rc;

    (void)state;
    tu_mem_open(&m);
    w = writer_new(l, m.f);
    assert_int_equal(writer_begin(w, "r"), 0);
    assert_int_equal(writer_set_num(w, 0, 0), 0);
    rc = writer_end(w);
    if (rc == 0) {
        struct tu_parse *p;

        assert_int_equal(writer_finish(w), 0);
        tu_mem_flush(&m);
        p = tu_parse_buf(l, m.buf, m.len);
        if (p->n != 1 || p->recs[0].n_errors != 0 ||
            p->recs[0].values[0].num != 0) {
            tu_dump_parse(p);
            fail_msg("the writer wrote '%.*s' for a required 0 and the "
                     "reader rejects it",
                     (int)m.len, m.buf);
        }
        tu_parse_free(p);
    }
    writer_free(w);
    tu_mem_close(&m);
    layout_free(l);
}

static void test_round_trips_covered_at_least_10000_records(void **state)
{
    (void)state;
    print_message("round-tripped %zu records (seed %llu)\n", g_cases,
                  (unsigned long long)g_seed);
    assert_true(g_cases >= 10000);
}

/* ------------------------------------------------------------------ */
/* round trip (b) on the fixtures                                      */

static void
test_rewriting_valid_fixture_inputs_gives_the_same_bytes(void **state)
{
    static const char *pairs[][2] = {
        {"agency-debt.xml", "agency-debt.txt"},
        {"all-types.xml", "all-types.txt"},
        {"batches.xml", "batches.txt"},
        {"debts-csv.xml", "debts.csv"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        struct layout *l = tu_load_data(pairs[i][0]);
        char path[4096];
        size_t len;
        char *text =
            tu_read_file(tu_data_path(path, sizeof path, pairs[i][1]), &len);

        rewrite_equals(l, text, len, pairs[i][1]);
        free(text);
        layout_free(l);
    }
}

static void test_filler_with_check_none_is_written_back_as_read(void **state)
{
    struct layout *l = tu_load(
        "<layout name=\"fill\">\n"
        "  <file format=\"fixed\" record-length=\"6\" line-end=\"lf\"/>\n"
        "  <record name=\"r\" min=\"0\" max=\"unbounded\">\n"
        "    <field name=\"a\" start=\"1\" length=\"2\"/>\n"
        "    <field start=\"3\" length=\"4\" type=\"filler\" check=\"none\"/>\n"
        "  </record>\n"
        "</layout>\n");
    static const char in[] = "ab~x1 \ncd    \nef{}()\n";

    (void)state;
    rewrite_equals(l, in, strlen(in), "filler");
    layout_free(l);
}

static int setup_seed(void **state)
{
    (void)state;
    g_seed = tu_seed(20261126);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_is_padded_and_justified),
        cmocka_unit_test(test_numbers_are_zero_filled_and_signed_as_declared),
        cmocka_unit_test(test_overpunch_writes_all_twenty_characters),
        cmocka_unit_test(test_dates_and_times_are_written_in_their_format),
        cmocka_unit_test(
            test_values_that_do_not_fit_are_refused_and_nothing_written),
        cmocka_unit_test(test_values_that_break_a_rule_are_refused),
        cmocka_unit_test(test_control_characters_in_text_are_refused),
        cmocka_unit_test(test_writer_computes_totals_and_ignores_given_ones),
        cmocka_unit_test(test_writer_fills_literals_and_defaults),
        cmocka_unit_test(test_writer_refuses_records_out_of_order),
        cmocka_unit_test(test_writer_finish_fails_when_the_trailer_is_missing),
        cmocka_unit_test(test_writer_rejects_unknown_names_and_indexes),
        cmocka_unit_test(test_line_ends_follow_the_layout),
        cmocka_unit_test(
            test_csv_writer_quotes_what_needs_quoting_and_signs_amounts),
        cmocka_unit_test(test_minus_sign_is_written_only_on_negatives),
        cmocka_unit_test(test_sum_of_totals_is_written_from_final_values),
        cmocka_unit_test(test_header_row_is_written_and_skipped_back),
        cmocka_unit_test(test_filler_is_refused_as_a_value_and_kept_when_read),
        cmocka_unit_test(test_long_texts_survive_the_store_growing),
        cmocka_unit_test(test_round_trip_random_fixed_records_of_every_type),
        cmocka_unit_test(test_round_trip_random_csv_records_with_quoting),
        cmocka_unit_test(test_round_trip_random_grouped_batches),
        cmocka_unit_test(test_round_trip_random_doc_example_files),
        cmocka_unit_test(test_required_zero_written_by_the_writer_reads_back),
        cmocka_unit_test(test_round_trips_covered_at_least_10000_records),
        cmocka_unit_test(
            test_rewriting_valid_fixture_inputs_gives_the_same_bytes),
        cmocka_unit_test(test_filler_with_check_none_is_written_back_as_read),
    };

    alarm(300);
    return cmocka_run_group_tests(tests, setup_seed, NULL);
}
