/*
 * test_layout.c - loading layouts: the descriptors a good layout yields and
 * every load-time check of docs/layouts.md, each with the file and the line
 * of the offending element.  Also the error-code table (errcode.h).
 */
#include "testutil.h"

#include <glob.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* Lines of TEXT that carry MARKER (up to MAX of them) into LINES. */
static size_t marked_lines(const char *text, const char *marker, long *lines,
                           size_t max)
{
    size_t n = 0;
    long line = 1;
    const char *p = text;

    while (*p != '\0' && n < max) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);

        if (tu_mem_contains(p, len, marker)) {
            lines[n++] = line;
        }
        if (eol == NULL) {
            break;
        }
        p = eol + 1;
        line++;
    }
    return n;
}

/* XML must fail to load (as NAME); every problem must name NAME and have a
 * line, and one must sit on the line marked "<!-- here -->" (or, when the
 * XML has one, the line marked "<!-- or here -->").  Follow-on problems on
 * other lines are left to
 * test_broken_fixtures_report_no_spurious_follow_on_problems. */
static void expect_rejected_at(const char *file, int line, const char *name,
                               const char *xml)
{
    struct layout_problems p = {0};
    struct layout *l = layout_load_buffer(name, xml, strlen(xml), &p);
    long want = tu_line_of(xml, "<!-- here -->");
    long alt = tu_line_of(xml, "<!-- or here -->");
    bool at_marked = false;
    char why[512] = "";

    if (want == 0) {
        tu_fail_at(file, line, "test bug: no <!-- here --> marker in %s", name);
    }
    if (l != NULL) {
        layout_free(l);
        snprintf(why, sizeof why, "the layout was returned");
    } else if (p.n == 0) {
        snprintf(why, sizeof why, "NULL but no problem reported");
    } else {
        for (size_t i = 0; i < p.n; i++) {
            const struct layout_problem *q = &p.items[i];

            if (q->file == NULL || strcmp(q->file, name) != 0) {
                snprintf(why, sizeof why, "problem %zu names file '%s'", i,
                         q->file ? q->file : "(null)");
                break;
            }
            if (q->message == NULL || q->message[0] == '\0') {
                snprintf(why, sizeof why, "problem %zu has no message", i);
                break;
            }
            if (q->line <= 0) {
                snprintf(why, sizeof why, "problem %zu is on line %ld", i,
                         q->line);
                break;
            }
            if (q->line == want || (alt != 0 && q->line == alt)) {
                at_marked = true;
            }
        }
        if (why[0] == '\0' && !at_marked) {
            snprintf(why, sizeof why, "no problem on line %ld", want);
        }
    }
    if (why[0] != '\0') {
        tu_print_problems(&p);
        layout_problems_release(&p);
        tu_fail_at(file, line, "%s: %s\n%s", name, why, xml);
    }
    if (getenv("OG_TEST_VERBOSE") != NULL) {
        tu_print_problems(&p);
    }
    layout_problems_release(&p);
}
#define expect_rejected(name, xml)                                             \
    expect_rejected_at(__FILE__, __LINE__, name, xml)

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define FIXED10                                                                \
    XML_DECL "<layout name=\"t\">\n"                                           \
             "  <file format=\"fixed\" record-length=\"10\" "                  \
             "line-end=\"lf\"/>\n"
#define CSV_HEAD                                                               \
    XML_DECL "<layout name=\"t\">\n"                                           \
             "  <file format=\"delimited\"/>\n"
#define REC_OK                                                                 \
    "  <record name=\"r\" min=\"0\" max=\"unbounded\">\n"                      \
    "    <field name=\"a\" start=\"1\" length=\"10\"/>\n"                      \
    "  </record>\n"
#define END "</layout>\n"

/* ------------------------------------------------------------------ */
/* good layouts                                                        */

static void test_every_good_fixture_layout_loads_without_problems(void **state)
{
    char pattern[4096];
    glob_t g;
    size_t failures = 0;

    (void)state;
    tu_data_path(pattern, sizeof pattern, "*.xml");
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    /* small, agency-debt, all-types, batches, debts-csv and the broken */
    assert_true(g.gl_pathc >= 5);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *base = strrchr(g.gl_pathv[i], '/');
        base = base ? base + 1 : g.gl_pathv[i];
        if (strncmp(base, "broken-", 7) == 0)
            continue; /* the deliberately broken ones, tested below */
        struct layout_problems p = {0};
        struct layout *l = layout_load(g.gl_pathv[i], &p);

        if (l == NULL || p.n != 0) {
            print_error("%s should load cleanly\n", g.gl_pathv[i]);
            tu_print_problems(&p);
            failures++;
        } else if (strcmp(layout_source(l), g.gl_pathv[i]) != 0) {
            print_error("%s: layout_source says '%s'\n", g.gl_pathv[i],
                        layout_source(l));
            failures++;
        }
        if (l != NULL) {
            layout_free(l);
        }
        layout_problems_release(&p);
    }
    globfree(&g);
    assert_int_equal(failures, 0);
}

/* Each file in tests/data/broken holds one deliberate problem on the line
 * marked "<!-- expect-error -->" (a line marked "<!-- alt-error -->" is
 * an acceptable place too where the doc leaves the offending element
 * open).  Every problem must name the file and have a line, and one must
 * sit on a marked line (for malformed.xml: the first one).  With STRICT,
 * every problem must sit on a marked line: one problem in the file, no
 * invented follow-on problems (malformed.xml is exempt: libxml2 may add
 * its own follow-on errors). */
static size_t check_broken_fixtures(bool strict)
{
    char pattern[4096];
    glob_t g;
    size_t failures = 0;

    tu_data_path(pattern, sizeof pattern, "broken-*.xml");
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 30);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *path = g.gl_pathv[i];
        size_t len;
        char *text = tu_read_file(path, &len);
        long want[4], alt[4];
        size_t n_want = marked_lines(text, "expect-error", want, 4);
        size_t n_alt = marked_lines(text, "alt-error", alt, 4);
        struct layout_problems p = {0};
        struct layout *l = layout_load(path, &p);
        bool malformed = strstr(path, "malformed") != NULL;
        bool hit = false;
        char why[512] = "";

        assert_int_equal(n_want, 1);
        if (l != NULL) {
            snprintf(why, sizeof why, "loaded although broken");
            layout_free(l);
        } else if (p.n == 0) {
            snprintf(why, sizeof why, "NULL but no problem reported");
        }
        for (size_t k = 0; why[0] == '\0' && k < p.n; k++) {
            const struct layout_problem *q = &p.items[k];
            bool marked = q->line == want[0] ||
                          (n_alt > 0 && q->line == alt[0]) ||
                          (n_alt > 1 && q->line == alt[1]);

            if (q->file == NULL || strcmp(q->file, path) != 0) {
                snprintf(why, sizeof why, "problem names file '%s'",
                         q->file ? q->file : "(null)");
            } else if (q->line <= 0) {
                snprintf(why, sizeof why, "problem on line %ld", q->line);
            } else if (malformed && k == 0 && !marked) {
                snprintf(why, sizeof why, "first problem on line %ld", q->line);
            } else if (marked) {
                hit = true;
            } else if (strict && !malformed) {
                snprintf(why, sizeof why,
                         "follow-on problem on line %ld; the one problem is "
                         "on line %ld",
                         q->line, want[0]);
            }
        }
        if (why[0] == '\0' && !hit) {
            snprintf(why, sizeof why, "no problem on line %ld", want[0]);
        }
        if (why[0] != '\0') {
            print_error("%s: %s\n", path, why);
            tu_print_problems(&p);
            failures++;
        }
        layout_problems_release(&p);
        free(text);
    }
    globfree(&g);
    return failures;
}

static void
test_every_broken_fixture_is_rejected_at_its_marked_line(void **state)
{
    size_t failures;

    (void)state;
    failures = check_broken_fixtures(false);
    if (failures != 0) {
        fail_msg("%zu broken fixture(s) not rejected as expected", failures);
    }
}

static void
test_broken_fixtures_report_no_spurious_follow_on_problems(void **state)
{
    size_t failures;

    (void)state;
    failures = check_broken_fixtures(true);
    if (failures != 0) {
        fail_msg("%zu broken fixture(s) with problems that are not there",
                 failures);
    }
}

static void test_doc_example_layout_yields_its_descriptors(void **state)
{
    struct layout *l = tu_load_data("agency-debt.xml");
    const struct layout_record *h, *d, *t;
    const struct layout_field *f;
    int i;

    (void)state;
    assert_string_equal(layout_name(l), "agency-debt");
    assert_int_equal(layout_format(l), LAYOUT_FIXED);
    assert_int_equal(layout_line_end(l), LINE_END_ANY);
    assert_int_equal(layout_record_length(l), 80);
    assert_int_equal(layout_pad_short(l), 0);
    assert_int_equal(layout_n_records(l), 3);

    h = layout_record_at(l, 0);
    d = layout_record_at(l, 1);
    t = layout_record_at(l, 2);
    assert_non_null(h);
    assert_non_null(d);
    assert_non_null(t);
    assert_null(layout_record_at(l, 3));
    assert_string_equal(h->name, "header");
    assert_string_equal(d->name, "detail");
    assert_string_equal(t->name, "trailer");
    assert_ptr_equal(layout_record_by_name(l, "detail"), d);
    assert_null(layout_record_by_name(l, "nosuch"));
    assert_int_equal(h->index, 0);
    assert_int_equal(d->index, 1);
    assert_int_equal(t->index, 2);
    assert_int_equal(h->xml_line, 6);
    assert_int_equal(d->xml_line, 13);
    assert_int_equal(t->xml_line, 29);
    assert_int_equal(h->min_occurs, 1);
    assert_int_equal(h->max_occurs, 1);
    assert_int_equal(d->min_occurs, 0);
    assert_true(d->max_occurs == UINT64_MAX);

    /* header */
    assert_int_equal(h->n_fields, 4);
    assert_string_equal(h->fields[0].literal, "H");
    assert_int_equal(h->fields[0].start, 0);
    assert_int_equal(h->fields[0].length, 1);
    assert_int_equal(h->fields[1].type, FT_TEXT);
    assert_int_equal(h->fields[1].charset, CHARSET_UPPER);
    assert_true(h->fields[1].required);
    assert_int_equal(h->fields[2].type, FT_DATE);
    assert_int_equal(h->fields[2].date_format, DATE_YYYYMMDD); /* CCYYMMDD */
    assert_int_equal(h->fields[3].type, FT_FILLER);
    assert_null(h->fields[3].name);
    assert_true(h->fields[3].check_filler);
    assert_int_equal(h->fields[3].start, 17);
    assert_int_equal(h->fields[3].length, 63);

    /* detail */
    assert_int_equal(d->n_fields, 9);
    assert_int_equal(layout_field_index(d, "record_type"), 0);
    assert_int_equal(layout_field_index(d, "ssn"), 2);
    assert_int_equal(layout_field_index(d, "amount"), 6);
    assert_int_equal(layout_field_index(d, "nosuch"), -1);
    f = &d->fields[1];
    assert_string_equal(f->name, "action");
    assert_int_equal(f->type, FT_CODE);
    assert_int_equal(f->n_codes, 3);
    assert_string_equal(f->codes[0].value, "A");
    assert_string_equal(f->codes[0].meaning, "add");
    assert_string_equal(f->codes[2].value, "Z");
    assert_string_equal(f->codes[2].meaning, "zero out");
    assert_int_equal(f->xml_line, 15);
    f = &d->fields[2];
    assert_int_equal(f->type, FT_SSN);
    assert_true(f->check_ssa);
    assert_int_equal(f->start, 2);
    assert_int_equal(f->length, 9);
    assert_int_equal(f->justify, JUSTIFY_LEFT);
    f = &d->fields[3];
    assert_int_equal(f->charset, CHARSET_NAME);
    assert_int_equal(f->pad, ' ');
    assert_int_equal(f->justify, JUSTIFY_LEFT);
    assert_false(d->fields[4].required);
    assert_int_equal(d->fields[5].charset, CHARSET_PRINT); /* default */
    f = &d->fields[6];
    assert_int_equal(f->type, FT_AMOUNT);
    assert_int_equal(f->start, 58);
    assert_int_equal(f->length, 11);
    assert_int_equal(f->decimals, 2);
    assert_false(f->explicit_point);
    assert_int_equal(f->sign, SIGN_OVERPUNCH);
    assert_true(f->has_min);
    assert_false(f->has_max);
    assert_int_equal(f->min, 1000); /* min="10.00" is in cents */
    assert_int_equal(f->justify, JUSTIFY_RIGHT);
    assert_int_equal(f->pad, '0');
    assert_int_equal(f->xml_line, 24);
    assert_int_equal(d->fields[7].date_format, DATE_MMDDYYYY);

    /* trailer totals */
    i = layout_field_index(t, "detail_count");
    assert_int_equal(i, 1);
    f = &t->fields[i];
    assert_int_equal(f->type, FT_INTEGER);
    assert_int_equal(f->total, TOTAL_COUNT);
    assert_ptr_equal(f->total_of, d);
    i = layout_field_index(t, "amount_total");
    f = &t->fields[i];
    assert_int_equal(f->total, TOTAL_SUM);
    assert_ptr_equal(f->total_of, d);
    assert_int_equal(f->total_of_field, 6);
    assert_int_equal(f->sign, SIGN_LEADING);
    assert_int_equal(t->fields[0].total, TOTAL_NONE);
    layout_free(l);
}

static void test_describe_structure_renders_min_max_and_groups(void **state)
{
    struct layout *l = tu_load_data("agency-debt.xml");
    char buf[256];

    (void)state;
    layout_describe_structure(l, buf, sizeof buf);
    assert_string_equal(buf, "header{1} detail{0..*} trailer{1}");
    /* truncation stays NUL-terminated */
    memset(buf, 'x', sizeof buf);
    layout_describe_structure(l, buf, 8);
    assert_true(strlen(buf) < 8);
    layout_free(l);

    l = tu_load_data("batches.xml");
    layout_describe_structure(l, buf, sizeof buf);
    /* groups in parentheses */
    assert_non_null(strchr(buf, '('));
    assert_non_null(strchr(buf, ')'));
    assert_true(strstr(buf, "file_header{1}") == buf);
    assert_true(strstr(buf, "entry{1..*}") > strchr(buf, '('));
    assert_true(strstr(buf, "file_trailer{1}") > strchr(buf, ')'));
    layout_free(l);
}

static void test_delimited_file_attributes_are_read(void **state)
{
    struct layout *l;
    const struct layout_record *r;

    (void)state;
    l = tu_load(XML_DECL "<layout name=\"p\">\n"
                         "  <file format=\"delimited\" delimiter=\"pipe\" "
                         "quote=\"none\" header-row=\"skip\" "
                         "line-end=\"crlf\" max-record-length=\"100\"/>\n"
                         "  <record name=\"r\" max=\"unbounded\">\n"
                         "    <field name=\"a\"/>\n"
                         "    <field name=\"b\" type=\"integer\"/>\n"
                         "  </record>\n" END);
    assert_int_equal(layout_format(l), LAYOUT_DELIMITED);
    assert_int_equal(layout_delimiter(l), '|');
    assert_int_equal(layout_quote(l), 0);
    assert_true(layout_header_row(l));
    assert_int_equal(layout_line_end(l), LINE_END_CRLF);
    r = layout_record_at(l, 0);
    assert_int_equal(r->n_fields, 2);
    assert_int_equal(r->fields[0].start, 0); /* column */
    assert_int_equal(r->fields[1].start, 1);
    assert_int_equal(r->min_occurs, 1); /* default min */
    assert_true(r->max_occurs == UINT64_MAX);
    layout_free(l);

    l = tu_load(XML_DECL
                "<layout name=\"t\">\n"
                "  <file format=\"delimited\" delimiter=\"tab\"/>\n"
                "  <record name=\"r\"><field name=\"a\"/></record>\n" END);
    assert_int_equal(layout_delimiter(l), '\t');
    assert_int_equal(layout_quote(l), '"'); /* default quote */
    assert_false(layout_header_row(l));
    assert_int_equal(layout_line_end(l), LINE_END_ANY); /* default */
    r = layout_record_at(l, 0);
    assert_int_equal(r->min_occurs, 1);
    assert_int_equal(r->max_occurs, 1); /* default max */
    layout_free(l);

    l = tu_load(XML_DECL
                "<layout name=\"c\">\n"
                "  <file format=\"delimited\"/>\n"
                "  <record name=\"r\"><field name=\"a\"/></record>\n" END);
    assert_int_equal(layout_delimiter(l), ','); /* default delimiter */
    layout_free(l);

    l = tu_load(XML_DECL
                "<layout name=\"s\">\n"
                "  <file format=\"delimited\" delimiter=\";\" "
                "quote=\"'\"/>\n"
                "  <record name=\"r\"><field name=\"a\"/></record>\n" END);
    assert_int_equal(layout_delimiter(l), ';');
    assert_int_equal(layout_quote(l), '\'');
    layout_free(l);

    l = tu_load(XML_DECL "<layout name=\"f\">\n"
                         "  <file format=\"fixed\" record-length=\"4\" "
                         "short-records=\"pad\" line-end=\"lf\"/>\n"
                         "  <record name=\"r\"><field name=\"a\" start=\"1\" "
                         "length=\"4\"/></record>\n" END);
    assert_true(layout_pad_short(l));
    assert_int_equal(layout_line_end(l), LINE_END_LF);
    assert_int_equal(layout_record_length(l), 4);
    layout_free(l);
}

static void test_field_defaults_follow_the_doc(void **state)
{
    struct layout *l = tu_load(
        XML_DECL
        "<layout name=\"d\">\n"
        "  <file format=\"fixed\" record-length=\"40\"/>\n"
        "  <record name=\"r\">\n"
        "    <field name=\"t\" start=\"1\" length=\"5\"/>\n"
        "    <field name=\"d\" start=\"6\" length=\"5\" type=\"digits\"/>\n"
        "    <field name=\"i\" start=\"11\" length=\"5\" type=\"integer\"/>\n"
        "    <field name=\"m\" start=\"16\" length=\"5\" type=\"amount\"/>\n"
        "    <field name=\"c\" start=\"21\" length=\"1\" type=\"code\">\n"
        "      <code value=\"A\"/>\n"
        "    </field>\n"
        "    <field name=\"s\" start=\"22\" length=\"9\" type=\"ssn\"/>\n"
        "    <field name=\"x\" start=\"31\" length=\"9\" type=\"tin\"/>\n"
        "    <field name=\"r\" start=\"40\" length=\"1\" justify=\"right\" "
        "pad=\"*\" default=\"Q\"/>\n"
        "  </record>\n" END);
    const struct layout_record *r = layout_record_at(l, 0);
    const struct layout_field *f = r->fields;

    (void)state;
    assert_int_equal(layout_line_end(l), LINE_END_ANY);
    assert_int_equal(f[0].type, FT_TEXT);
    assert_int_equal(f[0].charset, CHARSET_PRINT);
    assert_int_equal(f[0].justify, JUSTIFY_LEFT);
    assert_int_equal(f[0].pad, ' ');
    assert_false(f[0].required);
    assert_null(f[0].literal);
    assert_null(f[0].default_value);
    assert_int_equal(f[0].total, TOTAL_NONE);
    /* digits keep their leading zeros: left-justified, space pad */
    assert_int_equal(f[1].justify, JUSTIFY_LEFT);
    assert_int_equal(f[1].pad, ' ');
    assert_int_equal(f[2].justify, JUSTIFY_RIGHT);
    assert_int_equal(f[2].pad, '0');
    assert_int_equal(f[2].sign, SIGN_NONE);
    assert_false(f[2].has_min);
    assert_false(f[2].has_max);
    assert_int_equal(f[3].decimals, 2);
    assert_int_equal(f[3].sign, SIGN_NONE);
    assert_false(f[3].explicit_point);
    assert_int_equal(f[3].pad, '0');
    assert_int_equal(f[4].justify, JUSTIFY_LEFT);
    assert_int_equal(f[4].n_codes, 1);
    assert_int_equal(f[5].justify, JUSTIFY_LEFT);
    assert_false(f[5].check_ssa);
    assert_int_equal(f[6].type, FT_TIN);
    assert_int_equal(f[6].justify, JUSTIFY_LEFT);
    assert_int_equal(f[7].justify, JUSTIFY_RIGHT);
    assert_int_equal(f[7].pad, '*');
    assert_string_equal(f[7].default_value, "Q");
    assert_int_equal(f[3].xml_line, 8);
    layout_free(l);
}

static void test_money_bounds_are_read_in_cents(void **state)
{
    struct layout *l =
        tu_load(XML_DECL
                "<layout name=\"m\">\n"
                "  <file format=\"fixed\" record-length=\"30\"/>\n"
                "  <record name=\"r\">\n"
                "    <field name=\"a\" start=\"1\" length=\"10\" "
                "type=\"amount\" sign=\"leading\" min=\"-5.00\" "
                "max=\"10\"/>\n"
                "    <field name=\"b\" start=\"11\" length=\"10\" "
                "type=\"amount\" decimals=\"0\" min=\"0.50\" max=\"123.45\"/>\n"
                "    <field name=\"c\" start=\"21\" length=\"10\" "
                "type=\"integer\" sign=\"trailing\" min=\"-7\" max=\"99\"/>\n"
                "  </record>\n" END);
    const struct layout_field *f = layout_record_at(l, 0)->fields;

    (void)state;
    assert_true(f[0].has_min && f[0].has_max);
    assert_int_equal(f[0].min, -500);
    assert_int_equal(f[0].max, 1000);
    assert_int_equal(f[1].decimals, 0);
    assert_int_equal(f[1].min, 50); /* money whatever the decimals */
    assert_int_equal(f[1].max, 12345);
    assert_int_equal(f[2].sign, SIGN_TRAILING);
    assert_int_equal(f[2].min, -7);
    assert_int_equal(f[2].max, 99);
    layout_free(l);
}

static void test_type_names_are_the_xml_names(void **state)
{
    static const char *names[FT_COUNT_] = {
        [FT_TEXT] = "text",       [FT_DIGITS] = "digits",
        [FT_INTEGER] = "integer", [FT_AMOUNT] = "amount",
        [FT_DATE] = "date",       [FT_TIME] = "time",
        [FT_CODE] = "code",       [FT_SSN] = "ssn",
        [FT_TIN] = "tin",         [FT_FILLER] = "filler",
    };

    (void)state;
    for (int t = 0; t < FT_COUNT_; t++) {
        assert_string_equal(layout_type_name((enum field_type)t), names[t]);
    }
}

static void test_a_group_layout_loads_with_records_in_order(void **state)
{
    struct layout *l = tu_load_data("batches.xml");

    (void)state;
    assert_int_equal(layout_n_records(l), 5);
    assert_string_equal(layout_record_at(l, 0)->name, "file_header");
    assert_string_equal(layout_record_at(l, 1)->name, "batch_header");
    assert_string_equal(layout_record_at(l, 2)->name, "entry");
    assert_string_equal(layout_record_at(l, 3)->name, "batch_trailer");
    assert_string_equal(layout_record_at(l, 4)->name, "file_trailer");
    assert_int_equal(layout_line_end(l), LINE_END_CRLF);
    /* a count of "*" has no record */
    {
        const struct layout_record *ft = layout_record_at(l, 4);
        int i = layout_field_index(ft, "records");

        assert_int_equal(ft->fields[i].total, TOTAL_COUNT);
        assert_null(ft->fields[i].total_of);
    }
    layout_free(l);
}

/* ------------------------------------------------------------------ */
/* load-time checks (inline), each with the offending element's line  */

static void test_malformed_xml_is_reported_at_libxml2s_line(void **state)
{
    (void)state;
    expect_rejected("malformed-amp.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"1\" "
                            "type=\"code\">\n"
                            "      <code value=\"A\" meaning=\"add & "
                            "remove\"/> <!-- here -->\n"
                            "    </field>\n"
                            "    <field start=\"2\" length=\"9\" "
                            "type=\"filler\"/>\n"
                            "  </record>\n" END);
}

static void test_empty_or_foreign_documents_are_rejected(void **state)
{
    struct layout_problems p = {0};

    (void)state;
    assert_null(layout_load_buffer("empty.xml", "", 0, &p));
    assert_true(p.n >= 1);
    assert_string_equal(p.items[0].file, "empty.xml");
    layout_problems_release(&p);
    assert_int_equal(p.n, 0);

    expect_rejected("root.xml", XML_DECL "<layouts name=\"t\"> <!-- here -->\n"
                                         "</layouts>\n");
    expect_rejected("no-fields.xml",
                    FIXED10 "  <record name=\"r\"> <!-- here -->\n"
                            "  </record>\n" END);
    /* a <file> and no record at all (found by fuzzing: the loader made a
     * pointer into a children array it had not allocated, NULL + 0) */
    expect_rejected("no-records.xml",
                    XML_DECL "<layout name=\"t\"> <!-- here -->\n"
                             "  <file format=\"fixed\" record-length=\"10\" "
                             "line-end=\"lf\"/>\n" END);
}

static void test_unknown_elements_and_attributes_are_rejected(void **state)
{
    struct layout_problems p = {0};
    const char *xml;

    (void)state;
    expect_rejected("el-top.xml", FIXED10
                    "  <colour value=\"red\"/> <!-- here -->\n" REC_OK END);
    expect_rejected("el-field.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\">\n"
                            "      <hint/> <!-- here -->\n"
                            "    </field>\n"
                            "  </record>\n" END);
    expect_rejected(
        "attr-layout.xml", XML_DECL
        "<layout name=\"t\" owner=\"me\"> <!-- here -->\n"
        "  <file format=\"fixed\" record-length=\"10\"/>\n" REC_OK END);
    expect_rejected("attr-file.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"fixed\" record-length=\"10\" "
                    "encoding=\"ebcdic\"/> <!-- here -->\n" REC_OK END);
    expect_rejected("attr-record.xml", FIXED10
                    "  <record name=\"r\" repeat=\"2\"> <!-- here -->\n"
                    "    <field name=\"a\" start=\"1\" length=\"10\"/>\n"
                    "  </record>\n" END);
    expect_rejected("attr-code.xml", FIXED10
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\" length=\"10\" "
                    "type=\"code\">\n"
                    "      <code value=\"A\" colour=\"red\"/> <!-- here "
                    "-->\n"
                    "    </field>\n"
                    "  </record>\n" END);

    /* the message names what is unknown */
    xml = FIXED10 "  <record name=\"r\">\n"
                  "    <field name=\"a\" start=\"1\" length=\"10\" "
                  "colour=\"red\"/>\n"
                  "  </record>\n" END;
    assert_null(layout_load_buffer("m.xml", xml, strlen(xml), &p));
    assert_true(p.n >= 1);
    assert_non_null(strstr(p.items[0].message, "colour"));
    layout_problems_release(&p);
}

static void test_missing_required_attributes_are_rejected(void **state)
{
    (void)state;
    expect_rejected(
        "no-layout-name.xml", XML_DECL
        "<layout> <!-- here -->\n"
        "  <file format=\"fixed\" record-length=\"10\"/>\n" REC_OK END);
    expect_rejected("no-file.xml",
                    XML_DECL "<layout name=\"t\"> <!-- here -->\n" REC_OK END);
    expect_rejected(
        "no-format.xml",
        XML_DECL "<layout name=\"t\">\n"
                 "  <file record-length=\"10\"/> <!-- here -->\n" REC_OK END);
    expect_rejected("no-record-length.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"fixed\"/> <!-- here -->\n" REC_OK END);
    expect_rejected("no-record-name.xml", FIXED10
                    "  <record min=\"0\"> <!-- here -->\n"
                    "    <field name=\"a\" start=\"1\" length=\"10\"/>\n"
                    "  </record>\n" END);
    expect_rejected("no-field-name.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field start=\"1\" length=\"10\" "
                            "type=\"integer\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("no-length.xml", FIXED10
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\"/> <!-- here -->\n"
                    "  </record>\n" END);
}

static void test_bad_attribute_values_are_rejected(void **state)
{
    (void)state;
    expect_rejected("format.xml",
                    XML_DECL "<layout name=\"t\">\n"
                             "  <file format=\"xml\" record-length=\"10\"/> "
                             "<!-- here -->\n" REC_OK END);
    expect_rejected("line-end.xml",
                    XML_DECL "<layout name=\"t\">\n"
                             "  <file format=\"fixed\" record-length=\"10\" "
                             "line-end=\"cr\"/> <!-- here -->\n" REC_OK END);
    expect_rejected("record-length-0.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"fixed\" record-length=\"0\"/> "
                    "<!-- here -->\n"
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\" length=\"1\"/>\n"
                    "  </record>\n" END);
    expect_rejected("record-length-big.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"fixed\" record-length=\"65537\"/> "
                    "<!-- here -->\n"
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\" length=\"65536\"/>\n"
                    "    <field name=\"b\" start=\"65537\" length=\"1\"/>\n"
                    "  </record>\n" END);
    expect_rejected("short-records.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"fixed\" record-length=\"10\" "
                    "short-records=\"truncate\"/> <!-- here -->\n" REC_OK END);
    expect_rejected("delimiter.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"delimited\" delimiter=\"ab\"/> "
                    "<!-- here -->\n"
                    "  <record name=\"r\"><field name=\"a\"/></record>\n" END);
    expect_rejected("header-row.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"delimited\" header-row=\"yes\"/> "
                    "<!-- here -->\n"
                    "  <record name=\"r\"><field name=\"a\"/></record>\n" END);
    expect_rejected("max-record-length.xml", XML_DECL
                    "<layout name=\"t\">\n"
                    "  <file format=\"delimited\" "
                    "max-record-length=\"2000000\"/> <!-- here -->\n"
                    "  <record name=\"r\"><field name=\"a\"/></record>\n" END);
    expect_rejected("record-max.xml", FIXED10
                    "  <record name=\"r\" max=\"lots\"> <!-- here -->\n"
                    "    <field name=\"a\" start=\"1\" length=\"10\"/>\n"
                    "  </record>\n" END);
    expect_rejected("start-0.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"0\" length=\"10\"/> "
                            "<!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("length-x.xml", FIXED10
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\" length=\"ten\"/> "
                    "<!-- here -->\n"
                    "  </record>\n" END);
    expect_rejected("decimals.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"amount\" decimals=\"3\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("point.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"amount\" point=\"comma\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("justify.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "justify=\"center\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("required.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "required=\"maybe\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("ssn-check.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"9\" "
                            "type=\"ssn\" check=\"irs\"/> <!-- here -->\n"
                            "    <field start=\"10\" length=\"1\" "
                            "type=\"filler\"/>\n"
                            "  </record>\n" END);
    expect_rejected("field-name.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"last name\" start=\"1\" "
                            "length=\"10\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("amount-min.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"amount\" min=\"ten\"/> <!-- here -->\n"
                            "  </record>\n" END);
}

static void test_unknown_type_charset_format_sign_are_rejected(void **state)
{
    (void)state;
    expect_rejected("type.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"money\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("charset.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "charset=\"latin1\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("date-format.xml", FIXED10
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\" length=\"8\" "
                    "type=\"date\" format=\"DDMMYYYY\"/> <!-- here -->\n"
                    "    <field start=\"9\" length=\"2\" "
                    "type=\"filler\"/>\n"
                    "  </record>\n" END);
    expect_rejected("time-format.xml", FIXED10
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\" length=\"6\" "
                    "type=\"time\" format=\"HH.MM.SS\"/> <!-- here -->\n"
                    "    <field start=\"7\" length=\"4\" "
                    "type=\"filler\"/>\n"
                    "  </record>\n" END);
    expect_rejected("date-time-format.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"6\" "
                            "type=\"date\" format=\"HHMMSS\"/> <!-- here -->\n"
                            "    <field start=\"7\" length=\"4\" "
                            "type=\"filler\"/>\n"
                            "  </record>\n" END);
    expect_rejected("sign.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"amount\" sign=\"both\"/> <!-- here -->\n"
                            "  </record>\n" END);
}

static void test_duplicate_record_and_field_names_are_rejected(void **state)
{
    (void)state;
    expect_rejected("dup-record.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"t\" start=\"1\" length=\"1\" "
                            "literal=\"A\"/>\n"
                            "    <field name=\"a\" start=\"2\" length=\"9\"/>\n"
                            "  </record>\n"
                            "  <record name=\"r\"> <!-- here -->\n"
                            "    <field name=\"t\" start=\"1\" length=\"1\" "
                            "literal=\"B\"/>\n"
                            "    <field name=\"a\" start=\"2\" length=\"9\"/>\n"
                            "  </record>\n" END);
    expect_rejected("dup-field.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"5\"/>\n"
                            "    <field name=\"a\" start=\"6\" length=\"5\"/> "
                            "<!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("dup-field-csv.xml",
                    CSV_HEAD "  <record name=\"r\">\n"
                             "    <field name=\"a\"/>\n"
                             "    <field name=\"b\"/>\n"
                             "    <field name=\"a\"/> <!-- here -->\n"
                             "  </record>\n" END);
    expect_rejected("dup-group-record.xml", FIXED10
                    "  <record name=\"r\">\n"
                    "    <field name=\"t\" start=\"1\" length=\"1\" "
                    "literal=\"A\"/>\n"
                    "    <field name=\"a\" start=\"2\" length=\"9\"/>\n"
                    "  </record>\n"
                    "  <group name=\"g\">\n"
                    "    <record name=\"r\"> <!-- here -->\n"
                    "      <field name=\"t\" start=\"1\" length=\"1\" "
                    "literal=\"B\"/>\n"
                    "      <field name=\"a\" start=\"2\" length=\"9\"/>\n"
                    "    </record>\n"
                    "  </group>\n" END);
}

static void test_field_coverage_errors_are_rejected(void **state)
{
    (void)state;
    expect_rejected("overlap.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"5\"/>\n"
                            "    <field name=\"b\" start=\"5\" length=\"6\"/> "
                            "<!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("overlap-inside.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"8\"/>\n"
                            "    <field name=\"b\" start=\"3\" length=\"2\"/> "
                            "<!-- here -->\n"
                            "    <field name=\"c\" start=\"9\" length=\"2\"/>\n"
                            "  </record>\n" END);
    expect_rejected("gap.xml",
                    FIXED10 "  <record name=\"r\"> <!-- or here -->\n"
                            "    <field name=\"a\" start=\"1\" length=\"4\"/>\n"
                            "    <field name=\"b\" start=\"6\" length=\"5\"/> "
                            "<!-- here -->\n"
                            "  </record>\n" END);
    /* a gap at the end: the record is the offending element (or the last
     * field, which stops short) */
    expect_rejected("gap-end.xml",
                    FIXED10 "  <record name=\"r\"> <!-- here -->\n"
                            "    <field name=\"a\" start=\"1\" length=\"4\"/> "
                            "<!-- or here -->\n"
                            "  </record>\n" END);
    expect_rejected("past-end.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"5\"/>\n"
                            "    <field name=\"b\" start=\"6\" length=\"6\"/> "
                            "<!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("start-past-end.xml", FIXED10
                    "  <record name=\"r\">\n"
                    "    <field name=\"a\" start=\"1\" length=\"10\"/>\n"
                    "    <field name=\"b\" start=\"11\" length=\"1\"/> "
                    "<!-- here -->\n"
                    "  </record>\n" END);
}

static void test_literals_and_identification_are_checked(void **state)
{
    (void)state;
    expect_rejected("literal-long.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"t\" start=\"1\" length=\"2\" "
                            "literal=\"ABC\"/> <!-- here -->\n"
                            "    <field name=\"a\" start=\"3\" length=\"8\"/>\n"
                            "  </record>\n" END);
    expect_rejected("literal-digits.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"t\" start=\"1\" length=\"2\" "
                            "type=\"digits\" literal=\"A1\"/> <!-- here -->\n"
                            "    <field name=\"a\" start=\"3\" length=\"8\"/>\n"
                            "  </record>\n" END);
    expect_rejected("same-literals.xml",
                    FIXED10 "  <record name=\"a\">\n"
                            "    <field name=\"t\" start=\"1\" length=\"1\" "
                            "literal=\"D\"/>\n"
                            "    <field name=\"x\" start=\"2\" length=\"9\"/>\n"
                            "  </record>\n"
                            "  <record name=\"b\"> <!-- here -->\n"
                            "    <field name=\"t\" start=\"1\" length=\"1\" "
                            "literal=\"D\"/> <!-- or here -->\n"
                            "    <field name=\"x\" start=\"2\" length=\"9\"/>\n"
                            "  </record>\n" END);
    expect_rejected("two-catch-all.xml", FIXED10
                    "  <record name=\"a\">\n"
                    "    <field name=\"x\" start=\"1\" length=\"10\"/>\n"
                    "  </record>\n"
                    "  <record name=\"b\"> <!-- here -->\n"
                    "    <field name=\"x\" start=\"1\" length=\"10\"/>\n"
                    "  </record>\n" END);
    expect_rejected("two-catch-all-csv.xml", CSV_HEAD
                    "  <record name=\"a\"><field name=\"x\"/></record>\n"
                    "  <record name=\"b\"><field name=\"x\"/></record> "
                    "<!-- here -->\n" END);
}

static void test_one_catch_all_record_type_is_allowed(void **state)
{
    struct layout *l;

    (void)state;
    l = tu_load(FIXED10 "  <record name=\"h\">\n"
                        "    <field name=\"t\" start=\"1\" length=\"1\" "
                        "literal=\"H\"/>\n"
                        "    <field name=\"x\" start=\"2\" length=\"9\"/>\n"
                        "  </record>\n"
                        "  <record name=\"d\" min=\"0\" max=\"unbounded\">\n"
                        "    <field name=\"x\" start=\"1\" length=\"10\"/>\n"
                        "  </record>\n" END);
    assert_int_equal(layout_n_records(l), 2);
    layout_free(l);
    /* literals at different places still tell the records apart */
    l = tu_load(FIXED10 "  <record name=\"a\">\n"
                        "    <field name=\"t\" start=\"1\" length=\"1\" "
                        "literal=\"D\"/>\n"
                        "    <field name=\"u\" start=\"2\" length=\"1\" "
                        "literal=\"1\"/>\n"
                        "    <field name=\"x\" start=\"3\" length=\"8\"/>\n"
                        "  </record>\n"
                        "  <record name=\"b\">\n"
                        "    <field name=\"t\" start=\"1\" length=\"1\" "
                        "literal=\"D\"/>\n"
                        "    <field name=\"u\" start=\"2\" length=\"1\" "
                        "literal=\"2\"/>\n"
                        "    <field name=\"x\" start=\"3\" length=\"8\"/>\n"
                        "  </record>\n" END);
    layout_free(l);
}

static void test_code_lists_are_checked(void **state)
{
    (void)state;
    expect_rejected("dup-code.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"code\"> <!-- or here -->\n"
                            "      <code value=\"A\"/>\n"
                            "      <code value=\"B\"/>\n"
                            "      <code value=\"A\"/> <!-- here -->\n"
                            "    </field>\n"
                            "  </record>\n" END);
    expect_rejected("empty-codes.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"code\"/> <!-- here -->\n"
                            "  </record>\n" END);
    expect_rejected("empty-codes-open.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"code\"> <!-- here -->\n"
                            "    </field>\n"
                            "  </record>\n" END);
}

#define TOTALS_HEAD                                                            \
    FIXED10 "  <record name=\"h\">\n"                                          \
            "    <field name=\"t\" start=\"1\" length=\"1\" literal=\"H\"/>\n" \
            "    <field name=\"name\" start=\"2\" length=\"9\"/>\n"            \
            "  </record>\n"                                                    \
            "  <record name=\"d\" min=\"0\" max=\"unbounded\">\n"              \
            "    <field name=\"t\" start=\"1\" length=\"1\" literal=\"D\"/>\n" \
            "    <field name=\"code\" start=\"2\" length=\"1\" "               \
            "type=\"code\"><code value=\"A\"/></field>\n"                      \
            "    <field name=\"amt\" start=\"3\" length=\"8\" "                \
            "type=\"amount\"/>\n"                                              \
            "  </record>\n"                                                    \
            "  <record name=\"t\">\n"                                          \
            "    <field name=\"t\" start=\"1\" length=\"1\" literal=\"T\"/>\n"

static void test_totals_must_refer_to_numeric_fields_that_exist(void **state)
{
    struct layout *l;

    (void)state;
    l = tu_load(TOTALS_HEAD "    <field name=\"n\" start=\"2\" length=\"3\" "
                            "type=\"integer\" total=\"count\" of=\"d\"/>\n"
                            "    <field name=\"s\" start=\"5\" length=\"6\" "
                            "type=\"amount\" total=\"sum\" of=\"d.amt\"/>\n"
                            "  </record>\n" END);
    layout_free(l);
    l = tu_load(TOTALS_HEAD "    <field name=\"n\" start=\"2\" length=\"9\" "
                            "type=\"integer\" total=\"count\" of=\"*\"/>\n"
                            "  </record>\n" END);
    layout_free(l);

    expect_rejected("count-unknown.xml", TOTALS_HEAD
                    "    <field name=\"n\" start=\"2\" length=\"9\" "
                    "type=\"integer\" total=\"count\" "
                    "of=\"detail\"/> <!-- here -->\n"
                    "  </record>\n" END);
    expect_rejected("sum-unknown-record.xml", TOTALS_HEAD
                    "    <field name=\"n\" start=\"2\" length=\"9\" "
                    "type=\"amount\" total=\"sum\" "
                    "of=\"x.amt\"/> <!-- here -->\n"
                    "  </record>\n" END);
    expect_rejected("sum-unknown-field.xml", TOTALS_HEAD
                    "    <field name=\"n\" start=\"2\" length=\"9\" "
                    "type=\"amount\" total=\"sum\" "
                    "of=\"d.amount\"/> <!-- here -->\n"
                    "  </record>\n" END);
    expect_rejected("sum-text.xml", TOTALS_HEAD
                    "    <field name=\"n\" start=\"2\" length=\"9\" "
                    "type=\"amount\" total=\"sum\" "
                    "of=\"h.name\"/> <!-- here -->\n"
                    "  </record>\n" END);
    expect_rejected("sum-code.xml", TOTALS_HEAD
                    "    <field name=\"n\" start=\"2\" length=\"9\" "
                    "type=\"amount\" total=\"sum\" "
                    "of=\"d.code\"/> <!-- here -->\n"
                    "  </record>\n" END);
    expect_rejected("total-kind.xml", TOTALS_HEAD
                    "    <field name=\"n\" start=\"2\" length=\"9\" "
                    "type=\"integer\" total=\"average\" "
                    "of=\"d\"/> <!-- here -->\n"
                    "  </record>\n" END);
    expect_rejected("total-on-text.xml", TOTALS_HEAD
                    "    <field name=\"n\" start=\"2\" length=\"9\" "
                    "type=\"text\" total=\"count\" "
                    "of=\"d\"/> <!-- here -->\n"
                    "  </record>\n" END);
}

static void test_min_above_max_is_rejected(void **state)
{
    (void)state;
    expect_rejected("field-min-max.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"integer\" min=\"10\" max=\"9\"/> <!-- here "
                            "-->\n"
                            "  </record>\n" END);
    expect_rejected("amount-min-max.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "type=\"amount\" min=\"0.02\" max=\"0.01\"/> <!-- "
                            "here -->\n"
                            "  </record>\n" END);
    expect_rejected("length-min-max.xml",
                    FIXED10 "  <record name=\"r\">\n"
                            "    <field name=\"a\" start=\"1\" length=\"10\" "
                            "min-length=\"5\" max-length=\"4\"/> <!-- here "
                            "-->\n"
                            "  </record>\n" END);
    expect_rejected("record-min-max.xml", FIXED10
                    "  <record name=\"r\" min=\"3\" max=\"2\"> <!-- here "
                    "-->\n"
                    "    <field name=\"a\" start=\"1\" length=\"10\"/>\n"
                    "  </record>\n" END);
    expect_rejected("group-min-max.xml", FIXED10
                    "  <group name=\"g\" min=\"2\" max=\"1\"> <!-- here "
                    "-->\n" REC_OK "  </group>\n" END);
}

static void test_each_independent_problem_is_reported(void **state)
{
    const char *xml = FIXED10
        "  <record name=\"a\">\n"
        "    <field name=\"t\" start=\"1\" length=\"1\" literal=\"A\"/>\n"
        "    <field name=\"x\" start=\"2\" length=\"9\" "
        "type=\"money\"/>\n"
        "  </record>\n"
        "  <record name=\"b\">\n"
        "    <field name=\"t\" start=\"1\" length=\"1\" literal=\"B\"/>\n"
        "    <field name=\"x\" start=\"2\" length=\"9\" "
        "charset=\"klingon\"/>\n"
        "  </record>\n" END;
    struct layout_problems p = {0};

    (void)state;
    assert_null(layout_load_buffer("two.xml", xml, strlen(xml), &p));
    if (!tu_has_problem_at(&p, "two.xml", 6) ||
        !tu_has_problem_at(&p, "two.xml", 10)) {
        tu_print_problems(&p);
        fail_msg("both problems (lines 6 and 10) should be reported");
    }
    layout_problems_release(&p);
}

static void test_problems_are_optional_and_release_resets(void **state)
{
    const char *bad =
        FIXED10 "  <record name=\"r\">\n"
                "    <field name=\"a\" start=\"1\" length=\"5\"/>\n"
                "  </record>\n" END;
    struct layout_problems p = {0};

    (void)state;
    assert_null(layout_load_buffer("x.xml", bad, strlen(bad), NULL));
    assert_null(layout_load_buffer("x.xml", bad, strlen(bad), &p));
    assert_true(p.n >= 1);
    /* problems accumulate: a second load appends */
    {
        size_t n1 = p.n;

        assert_null(layout_load_buffer("y.xml", bad, strlen(bad), &p));
        assert_true(p.n > n1);
        assert_string_equal(p.items[p.n - 1].file, "y.xml");
    }
    layout_problems_release(&p);
    assert_int_equal(p.n, 0);
    layout_problems_release(&p); /* twice is harmless */
}

static void test_missing_layout_file_is_a_problem_naming_it(void **state)
{
    struct layout_problems p = {0};

    (void)state;
    assert_null(layout_load("/nonexistent/dir/nope.xml", &p));
    assert_true(p.n >= 1);
    assert_string_equal(p.items[0].file, "/nonexistent/dir/nope.xml");
    layout_problems_release(&p);
}

static void test_load_buffer_does_not_need_a_nul_terminator(void **state)
{
    const char *good = FIXED10 REC_OK END;
    size_t n = strlen(good);
    char *copy = tu_xmalloc(n + 16);
    struct layout *l;

    (void)state;
    memcpy(copy, good, n);
    memset(copy + n, '<', 16); /* garbage after LEN */
    l = layout_load_buffer("nonul.xml", copy, n, NULL);
    assert_non_null(l);
    assert_string_equal(layout_name(l), "t");
    layout_free(l);
    free(copy);
}

/* ------------------------------------------------------------------ */
/* external entities and DTDs                                          */

static char xxe_dir[256];

static int xxe_setup(void **state)
{
    char path[512];
    FILE *f;

    (void)state;
    snprintf(xxe_dir, sizeof xxe_dir, "/tmp/og-xxe-XXXXXX");
    if (mkdtemp(xxe_dir) == NULL) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/secret.txt", xxe_dir);
    f = fopen(path, "w");
    fputs("SECRETCANARY", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/evil.dtd", xxe_dir);
    f = fopen(path, "w");
    fputs("<!ENTITY leak \"SECRETCANARY\">\n"
          "<!ATTLIST layout name CDATA \"SECRETCANARY\">\n"
          "<!ATTLIST layout version CDATA \"SECRETCANARY\">\n",
          f);
    fclose(f);
    return 0;
}

static int xxe_teardown(void **state)
{
    char path[512];

    (void)state;
    snprintf(path, sizeof path, "%s/secret.txt", xxe_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/evil.dtd", xxe_dir);
    unlink(path);
    rmdir(xxe_dir);
    return 0;
}

/* Nothing reachable from LAYOUT mentions NEEDLE. */
static void assert_layout_free_of(const struct layout *l, const char *needle)
{
    assert_null(strstr(layout_name(l), needle));
    for (size_t i = 0; i < layout_n_records(l); i++) {
        const struct layout_record *r = layout_record_at(l, i);

        assert_null(strstr(r->name, needle));
        for (size_t j = 0; j < r->n_fields; j++) {
            const struct layout_field *f = &r->fields[j];

            if (f->literal) {
                assert_null(strstr(f->literal, needle));
            }
            if (f->default_value) {
                assert_null(strstr(f->default_value, needle));
            }
            for (size_t k = 0; k < f->n_codes; k++) {
                if (f->codes[k].meaning) {
                    assert_null(strstr(f->codes[k].meaning, needle));
                }
            }
        }
    }
}

static void load_hostile(const char *xml, const char *needle)
{
    struct layout_problems p = {0};
    struct layout *l = layout_load_buffer("hostile.xml", xml, strlen(xml), &p);

    if (l != NULL) {
        assert_layout_free_of(l, needle);
        layout_free(l);
    } else {
        assert_true(p.n >= 1);
    }
    for (size_t i = 0; i < p.n; i++) {
        assert_null(strstr(p.items[i].message, needle));
    }
    layout_problems_release(&p);
}

static void test_external_entity_to_etc_passwd_is_not_expanded(void **state)
{
    (void)state;
    load_hostile(XML_DECL "<!DOCTYPE layout [\n"
                          "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
                          "]>\n"
                          "<layout name=\"x&xxe;\">\n"
                          "  <file format=\"fixed\" record-length=\"10\"/>\n"
                          "  <record name=\"r\">\n"
                          "    <field name=\"a\" start=\"1\" length=\"10\" "
                          "type=\"code\">\n"
                          "      <code value=\"A\" meaning=\"&xxe;\"/>\n"
                          "    </field>\n"
                          "  </record>\n" END,
                 "root:");
}

static void test_external_parameter_entity_is_not_loaded(void **state)
{
    char *xml;

    (void)state;
    xml =
        tu_asprintf(XML_DECL "<!DOCTYPE layout [\n"
                             "  <!ENTITY %% p SYSTEM \"file://%s/evil.dtd\">\n"
                             "  %%p;\n"
                             "]>\n"
                             "<layout name=\"&leak;\">\n"
                             "  <file format=\"fixed\" record-length=\"10\"/>\n"
                             "  <record name=\"r\">\n"
                             "    <field name=\"a\" start=\"1\" length=\"10\" "
                             "default=\"&leak;\"/>\n"
                             "  </record>\n" END,
                    xxe_dir);
    load_hostile(xml, "SECRETCANARY");
    free(xml);
}

static void test_external_dtd_is_not_loaded(void **state)
{
    char *xml;

    (void)state;
    /* the external DTD would supply name="SECRETCANARY" */
    xml = tu_asprintf(
        XML_DECL "<!DOCTYPE layout SYSTEM \"file://%s/evil.dtd\">\n"
                 "<layout>\n"
                 "  <file format=\"fixed\" record-length=\"10\"/>\n" REC_OK END,
        xxe_dir);
    load_hostile(xml, "SECRETCANARY");
    free(xml);
    /* and an external entity to a file we control */
    xml =
        tu_asprintf(XML_DECL "<!DOCTYPE layout [\n"
                             "  <!ENTITY s SYSTEM \"file://%s/secret.txt\">\n"
                             "]>\n"
                             "<layout name=\"t\">\n"
                             "  <file format=\"fixed\" record-length=\"10\"/>\n"
                             "  <record name=\"r&s;\">\n"
                             "    <field name=\"a\" start=\"1\" "
                             "length=\"10\"/>\n"
                             "  </record>\n" END,
                    xxe_dir);
    load_hostile(xml, "SECRETCANARY");
    free(xml);
}

static void test_entity_bomb_is_refused_quickly(void **state)
{
    char xml[4096];
    size_t n = 0;
    struct layout_problems p = {0};
    struct layout *l;
    double t0;

    (void)state;
    n += (size_t)snprintf(xml + n, sizeof xml - n,
                          XML_DECL "<!DOCTYPE layout [\n"
                                   "<!ENTITY l0 \"lol\">\n");
    for (int i = 1; i < 10; i++) {
        n += (size_t)snprintf(xml + n, sizeof xml - n, "<!ENTITY l%d \"", i);
        for (int k = 0; k < 10; k++) {
            n += (size_t)snprintf(xml + n, sizeof xml - n, "&l%d;", i - 1);
        }
        n += (size_t)snprintf(xml + n, sizeof xml - n, "\">\n");
    }
    snprintf(xml + n, sizeof xml - n,
             "]>\n<layout name=\"&l9;\">\n"
             "  <file format=\"fixed\" record-length=\"10\"/>\n" REC_OK END);
    t0 = tu_now();
    l = layout_load_buffer("bomb.xml", xml, strlen(xml), &p);
    assert_null(l); /* 3 GB of "lol" is not a layout name */
    assert_true(p.n >= 1);
    assert_true(tu_now() - t0 < 5.0);
    layout_problems_release(&p);
}

/* ------------------------------------------------------------------ */
/* error codes                                                         */

static void test_error_code_names_round_trip(void **state)
{
    static const char *names[E_COUNT_] = {
        "E_NONE",        "E_RECORD_UNKNOWN", "E_RECORD_SHORT", "E_RECORD_LONG",
        "E_FIELD_COUNT", "E_QUOTE",          "E_REQUIRED",     "E_DIGITS",
        "E_SIGN",        "E_CHARSET",        "E_LENGTH",       "E_RANGE",
        "E_DATE",        "E_TIME",           "E_CODE",         "E_SSN",
        "E_FILLER",      "E_JUSTIFY",        "E_FILE_EMPTY",   "E_ENCODING",
        "E_LINE_END",    "E_STRUCTURE",      "E_TOTAL",        "E_IO",
    };

    (void)state;
    for (int c = 0; c < E_COUNT_; c++) {
        assert_string_equal(errcode_name((enum errcode)c), names[c]);
        assert_int_equal(errcode_from_name(names[c]), c);
        assert_non_null(errcode_meaning((enum errcode)c));
    }
    for (int c = 1; c < E_COUNT_; c++) {
        assert_true(strlen(errcode_meaning((enum errcode)c)) > 10);
    }
    assert_string_equal(errcode_name(E_COUNT_), "E_UNKNOWN");
    assert_string_equal(errcode_name((enum errcode) - 1), "E_UNKNOWN");
    assert_string_equal(errcode_name((enum errcode)1000), "E_UNKNOWN");
    assert_int_equal(errcode_from_name("E_NOPE"), E_NONE);
    assert_int_equal(errcode_from_name(""), E_NONE);
    assert_int_equal(errcode_from_name("E_DIGITSX"), E_NONE);
}

static void test_file_level_codes_are_e_file_empty_and_after(void **state)
{
    (void)state;
    for (int c = E_RECORD_UNKNOWN; c < E_FILE_EMPTY; c++) {
        assert_false(errcode_is_file_level((enum errcode)c));
    }
    for (int c = E_FILE_EMPTY; c < E_COUNT_; c++) {
        assert_true(errcode_is_file_level((enum errcode)c));
    }
    assert_false(errcode_is_file_level(E_NONE));
}

/* ------------------------------------------------------------------ */
/* hostile and impossible layouts (regressions from review)            */

/* Load XML expecting refusal; returns the problems (caller releases). */
static struct layout_problems refused(const char *xml)
{
    struct layout_problems p = {0};
    struct layout *l = layout_load_buffer("x.xml", xml, strlen(xml), &p);
    if (l != NULL) {
        layout_free(l);
        fail_msg("layout should be refused:\n%s", xml);
    }
    assert_true(p.n > 0);
    return p;
}

static bool any_problem(const struct layout_problems *p, const char *needle)
{
    for (size_t i = 0; i < p->n; i++)
        if (strstr(p->items[i].message, needle) != NULL)
            return true;
    return false;
}

static void
test_more_than_64_record_types_is_a_problem_not_a_crash(void **state)
{
    struct tu_sb b = {0};
    (void)state;
    tu_sb_adds(&b, "<layout name=\"many\"><file format=\"fixed\" "
                   "record-length=\"2\" line-end=\"lf\"/>");
    for (int i = 0; i < 70; i++) {
        char rec[200];
        snprintf(rec, sizeof rec,
                 "<record name=\"r%d\"><field name=\"t\" start=\"1\" "
                 "length=\"2\" literal=\"%02d\"/></record>",
                 i, i);
        tu_sb_adds(&b, rec);
    }
    tu_sb_adds(&b, "</layout>");
    struct layout_problems p = refused(b.s);
    assert_true(any_problem(&p, "more than 64 record types"));
    layout_problems_release(&p);
    tu_sb_free(&b);
}

static void test_thousands_of_problems_are_capped_and_fast(void **state)
{
    struct tu_sb b = {0};
    (void)state;
    tu_sb_adds(&b, "<layout name=\"dup\"><file format=\"fixed\" "
                   "record-length=\"1\" line-end=\"lf\"/><record name=\"r\">"
                   "<field name=\"c\" start=\"1\" length=\"1\" type=\"code\">");
    for (int i = 0; i < 3000; i++)
        tu_sb_adds(&b, "<code value=\"A\"/>");
    tu_sb_adds(&b, "</field></record></layout>");
    double t0 = tu_now();
    struct layout_problems p = refused(b.s);
    /* 100 kept, then one line saying how many more */
    assert_true(p.n <= 101);
    assert_true(any_problem(&p, "more problems not shown"));
    assert_true(tu_now() - t0 < 5.0);
    layout_problems_release(&p);
    tu_sb_free(&b);
}

#define ONE_FIELD(attrs)                                                       \
    "<layout name=\"o\"><file format=\"fixed\" record-length=\"3\" "           \
    "line-end=\"lf\"/><record name=\"r\"><field name=\"f\" start=\"1\" "       \
    "length=\"3\" " attrs "/></record></layout>"

static void test_layouts_no_record_could_pass_are_refused(void **state)
{
    static const struct {
        const char *xml, *needle;
    } cases[] = {
        {ONE_FIELD("type=\"amount\" point=\"explicit\" decimals=\"0\""),
         "needs decimals 1 or 2"},
        {ONE_FIELD("literal=\"abc\" charset=\"upper\""), "breaks its field"},
        {ONE_FIELD("min-length=\"5\""), "min-length 5 is longer"},
        {ONE_FIELD("default=\"ABCDEFG\""), "does not fit"},
        {ONE_FIELD("type=\"integer\" default=\"123456\""), "does not fit"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct layout_problems p = refused(cases[i].xml);
        if (!any_problem(&p, cases[i].needle)) {
            tu_print_problems(&p);
            fail_msg("case %zu: no problem saying '%s'", i, cases[i].needle);
        }
        layout_problems_release(&p);
    }
}

static void test_code_ending_in_pad_can_never_match(void **state)
{
    (void)state;
    struct layout_problems p = refused(
        "<layout name=\"o\"><file format=\"fixed\" record-length=\"2\" "
        "line-end=\"lf\"/><record name=\"r\"><field name=\"f\" start=\"1\" "
        "length=\"2\" type=\"code\"><code value=\"A \"/></field></record>"
        "</layout>");
    assert_true(any_problem(&p, "can never match"));
    layout_problems_release(&p);
}

/* Codes can say what they mean to the core: one core, partners' codes. */
static void test_codes_say_what_they_mean_to_the_core(void **state)
{
    struct layout *l = tu_load(
        "<layout name=\"m\"><file format=\"fixed\" record-length=\"1\" "
        "line-end=\"lf\"/><record name=\"r\" max=\"unbounded\"><field "
        "name=\"action\" start=\"1\" length=\"1\" type=\"code\">"
        "<code value=\"N\" meaning=\"new\" means=\"add\"/>"
        "<code value=\"R\" meaning=\"revised\" means=\"change\"/>"
        "<code value=\"W\" meaning=\"withdrawn\" means=\"zero\"/>"
        "<code value=\"X\" meaning=\"other\"/></field></record></layout>");
    const struct layout_field *f = &layout_record_at(l, 0)->fields[0];
    (void)state;
    assert_string_equal(layout_code_for(f, "add"), "N");
    assert_string_equal(layout_code_for(f, "zero"), "W");
    assert_null(layout_code_for(f, "increase"));
    assert_string_equal(layout_code_means(f, "R", 1), "change");
    assert_null(layout_code_means(f, "X", 1));
    assert_null(layout_code_means(f, "Q", 1));
    layout_free(l);
    struct layout_problems p = refused(ONE_FIELD(
        "type=\"code\"><code value=\"A\" means=\"plus\"/></field><field "
        "start=\"9\" length=\"1\" type=\"filler\""));
    assert_true(any_problem(&p, "means='plus'"));
    layout_problems_release(&p);
    p = refused(ONE_FIELD("type=\"code\"><code value=\"A\" means=\"add\"/>"
                          "<code value=\"B\" means=\"add\"/></field><field "
                          "start=\"9\" length=\"1\" type=\"filler\""));
    assert_true(any_problem(&p, "two codes mean 'add'"));
    layout_problems_release(&p);
}

static void test_a_total_summing_its_own_record_is_refused(void **state)
{
    (void)state;
    struct layout_problems p = refused(
        "<layout name=\"o\"><file format=\"fixed\" record-length=\"4\" "
        "line-end=\"lf\"/><record name=\"r\"><field name=\"a\" start=\"1\" "
        "length=\"2\" type=\"integer\"/><field name=\"s\" start=\"3\" "
        "length=\"2\" type=\"integer\" total=\"sum\" of=\"r.a\"/></record>"
        "</layout>");
    assert_true(any_problem(&p, "sums its own record"));
    layout_problems_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_good_fixture_layout_loads_without_problems),
        cmocka_unit_test(
            test_every_broken_fixture_is_rejected_at_its_marked_line),
        cmocka_unit_test(
            test_broken_fixtures_report_no_spurious_follow_on_problems),
        cmocka_unit_test(test_doc_example_layout_yields_its_descriptors),
        cmocka_unit_test(test_describe_structure_renders_min_max_and_groups),
        cmocka_unit_test(test_delimited_file_attributes_are_read),
        cmocka_unit_test(test_field_defaults_follow_the_doc),
        cmocka_unit_test(test_money_bounds_are_read_in_cents),
        cmocka_unit_test(test_type_names_are_the_xml_names),
        cmocka_unit_test(test_a_group_layout_loads_with_records_in_order),
        cmocka_unit_test(test_malformed_xml_is_reported_at_libxml2s_line),
        cmocka_unit_test(test_empty_or_foreign_documents_are_rejected),
        cmocka_unit_test(test_unknown_elements_and_attributes_are_rejected),
        cmocka_unit_test(test_missing_required_attributes_are_rejected),
        cmocka_unit_test(test_bad_attribute_values_are_rejected),
        cmocka_unit_test(test_unknown_type_charset_format_sign_are_rejected),
        cmocka_unit_test(test_duplicate_record_and_field_names_are_rejected),
        cmocka_unit_test(test_field_coverage_errors_are_rejected),
        cmocka_unit_test(test_literals_and_identification_are_checked),
        cmocka_unit_test(test_one_catch_all_record_type_is_allowed),
        cmocka_unit_test(test_code_lists_are_checked),
        cmocka_unit_test(test_totals_must_refer_to_numeric_fields_that_exist),
        cmocka_unit_test(test_min_above_max_is_rejected),
        cmocka_unit_test(test_each_independent_problem_is_reported),
        cmocka_unit_test(test_problems_are_optional_and_release_resets),
        cmocka_unit_test(test_missing_layout_file_is_a_problem_naming_it),
        cmocka_unit_test(test_load_buffer_does_not_need_a_nul_terminator),
        cmocka_unit_test_setup_teardown(
            test_external_entity_to_etc_passwd_is_not_expanded, xxe_setup,
            xxe_teardown),
        cmocka_unit_test_setup_teardown(
            test_external_parameter_entity_is_not_loaded, xxe_setup,
            xxe_teardown),
        cmocka_unit_test_setup_teardown(test_external_dtd_is_not_loaded,
                                        xxe_setup, xxe_teardown),
        cmocka_unit_test(test_entity_bomb_is_refused_quickly),
        cmocka_unit_test(test_error_code_names_round_trip),
        cmocka_unit_test(test_file_level_codes_are_e_file_empty_and_after),
        cmocka_unit_test(
            test_more_than_64_record_types_is_a_problem_not_a_crash),
        cmocka_unit_test(test_thousands_of_problems_are_capped_and_fast),
        cmocka_unit_test(test_layouts_no_record_could_pass_are_refused),
        cmocka_unit_test(test_code_ending_in_pad_can_never_match),
        cmocka_unit_test(test_a_total_summing_its_own_record_is_refused),
        cmocka_unit_test(test_codes_say_what_they_mean_to_the_core),
    };

    alarm(300); /* a hang fails the run instead of stalling it */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
