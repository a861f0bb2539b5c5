/*
 * test_fields.c - every field type through the reader, valid and invalid.
 *
 * Each case is a one-record layout: a two-byte literal "R1", the field
 * under test (index 1, so column 3 in fixed-width lines), and a two-byte
 * filler.  Delimited cases use "R1,<value>,z".  Errors are checked for
 * their exact code, field index and column; valid values for their state
 * and num/text.
 */
#include "testutil.h"

/* ------------------------------------------------------------------ */
/* one-field harness                                                   */

struct fcase {
    struct layout *l;
    struct tu_parse *p;
    const struct tu_record *r;
    const struct tu_value *v; /* the field under test */
};

static void fcase_free(struct fcase *c)
{
    tu_parse_free(c->p);
    if (c->l != NULL) {
        layout_free(c->l);
    }
    memset(c, 0, sizeof *c);
}

static char *field_element(const char *place, const char *attrs,
                           const char *children)
{
    if (children == NULL) {
        return tu_asprintf("    <field name=\"f\"%s %s/>\n", place, attrs);
    }
    return tu_asprintf("    <field name=\"f\"%s %s>\n%s    </field>\n", place,
                       attrs, children);
}

/* Parse one fixed-width line "R1" VALUE "  " through a layout whose field
 * f (start 3, length strlen(VALUE)) has ATTRS and CHILDREN. */
static void run_fixed(const char *file, int line, const char *attrs,
                      const char *children, const char *value, struct fcase *c)
{
    size_t w = strlen(value);
    char *place = tu_asprintf(" start=\"3\" length=\"%zu\"", w);
    char *fe = field_element(place, attrs, children);
    char *xml = tu_asprintf(
        "<?xml version=\"1.0\"?>\n"
        "<layout name=\"field-test\">\n"
        "  <file format=\"fixed\" record-length=\"%zu\" line-end=\"lf\"/>\n"
        "  <record name=\"r\" min=\"0\" max=\"unbounded\">\n"
        "    <field name=\"k\" start=\"1\" length=\"2\" literal=\"R1\"/>\n"
        "%s"
        "    <field start=\"%zu\" length=\"2\" type=\"filler\"/>\n"
        "  </record>\n"
        "</layout>\n",
        w + 4, fe, w + 3);
    char *input = tu_asprintf("R1%s  \n", value);

    memset(c, 0, sizeof *c);
    c->l = tu_load_named_at(file, line, "field-test.xml", xml);
    c->p = tu_parse_buf_at(file, line, c->l, input, strlen(input));
    free(place);
    free(fe);
    free(xml);
    free(input);
    if (c->p->status != READER_END || c->p->n != 1 ||
        c->p->recs[0].type == NULL || c->p->recs[0].n_values != 3) {
        tu_dump_parse(c->p);
        tu_fail_at(file, line,
                   "value '%s' (%s): expected one typed record and "
                   "READER_END",
                   value, attrs);
    }
    c->r = &c->p->recs[0];
    c->v = &c->r->values[1];
}

/* The same for a delimited line "R1," VALUE ",z". */
static void run_csv(const char *file, int line, const char *attrs,
                    const char *children, const char *value, struct fcase *c)
{
    char *fe = field_element("", attrs, children);
    char *xml =
        tu_asprintf("<?xml version=\"1.0\"?>\n"
                    "<layout name=\"csv-field-test\">\n"
                    "  <file format=\"delimited\" line-end=\"lf\"/>\n"
                    "  <record name=\"r\" min=\"0\" max=\"unbounded\">\n"
                    "    <field name=\"k\" literal=\"R1\"/>\n"
                    "%s"
                    "    <field name=\"z\"/>\n"
                    "  </record>\n"
                    "</layout>\n",
                    fe);
    char *input = tu_asprintf("R1,%s,z\n", value);

    memset(c, 0, sizeof *c);
    c->l = tu_load_named_at(file, line, "csv-field-test.xml", xml);
    c->p = tu_parse_buf_at(file, line, c->l, input, strlen(input));
    free(fe);
    free(xml);
    free(input);
    if (c->p->status != READER_END || c->p->n != 1 ||
        c->p->recs[0].type == NULL || c->p->recs[0].n_values != 3) {
        tu_dump_parse(c->p);
        tu_fail_at(file, line,
                   "value '%s' (%s): expected one typed record and "
                   "READER_END",
                   value, attrs);
    }
    c->r = &c->p->recs[0];
    c->v = &c->r->values[1];
}

/* The column the field under test starts at: 3 in fixed-width lines; in
 * "R1,<value>,z" either its byte position (4) or its 1-based field number
 * (2) - the header says "1-based column of the field in the line". */
static bool column_ok(bool csv, uint32_t col)
{
    return csv ? (col == 4 || col == 2) : col == 3;
}

static void check_ok(const char *file, int line, bool csv, const char *attrs,
                     const char *children, const char *value, bool check_num,
                     int64_t num, const char *text)
{
    struct fcase c;

    if (csv) {
        run_csv(file, line, attrs, children, value, &c);
    } else {
        run_fixed(file, line, attrs, children, value, &c);
    }
    if (c.r->n_errors != 0 || c.v->state != VALUE_OK) {
        tu_dump_record(c.r);
        fcase_free(&c);
        tu_fail_at(file, line, "'%s' (%s) should be a valid value", value,
                   attrs);
    }
    if (check_num && c.v->num != num) {
        int64_t got = c.v->num;

        fcase_free(&c);
        tu_fail_at(file, line, "'%s' (%s): num %lld, expected %lld", value,
                   attrs, (long long)got, (long long)num);
    }
    if (text != NULL &&
        (c.v->text_len != strlen(text) || strcmp(c.v->text, text) != 0)) {
        char got[256];

        snprintf(got, sizeof got, "%s", c.v->text);
        fcase_free(&c);
        tu_fail_at(file, line, "'%s' (%s): text '%s', expected '%s'", value,
                   attrs, got, text);
    }
    if (!column_ok(csv, c.v->column)) {
        uint32_t got = c.v->column;

        fcase_free(&c);
        tu_fail_at(file, line, "'%s': value column %u", value, got);
    }
    if (!csv && (c.v->raw_len != strlen(value) ||
                 memcmp(c.v->raw, value, c.v->raw_len) != 0)) {
        fcase_free(&c);
        tu_fail_at(file, line, "'%s': raw bytes not the field's bytes", value);
    }
    fcase_free(&c);
}

/* VALUE must be rejected with CODE (or ALT, when ALT is not E_NONE) on
 * field 1 at the field's column, and the value's state must be BAD. */
static void check_bad(const char *file, int line, bool csv, const char *attrs,
                      const char *children, const char *value,
                      enum errcode code, enum errcode alt)
{
    struct fcase c;
    const struct record_error *e;

    if (csv) {
        run_csv(file, line, attrs, children, value, &c);
    } else {
        run_fixed(file, line, attrs, children, value, &c);
    }
    e = tu_find_error(c.r, code, 1);
    if (e == NULL && alt != E_NONE) {
        e = tu_find_error(c.r, alt, 1);
    }
    if (e == NULL || !column_ok(csv, e->column) || c.v->state != VALUE_BAD) {
        tu_dump_record(c.r);
        print_error("value state %d\n", (int)c.v->state);
        fcase_free(&c);
        tu_fail_at(
            file, line,
            "'%s' (%s) should be rejected with %s%s%s on field 1 at "
            "column %s, state VALUE_BAD",
            value, attrs, errcode_name(code), alt != E_NONE ? " or " : "",
            alt != E_NONE ? errcode_name(alt) : "", csv ? "4 (or 2)" : "3");
    }
    /* the other fields are fine */
    for (unsigned i = 0; i < c.r->n_errors; i++) {
        if (c.r->errors[i].field != 1) {
            tu_dump_record(c.r);
            fcase_free(&c);
            tu_fail_at(file, line, "'%s': an error on another field", value);
        }
    }
    fcase_free(&c);
}

static void check_blank(const char *file, int line, bool csv, const char *attrs,
                        const char *children, const char *value)
{
    struct fcase c;

    if (csv) {
        run_csv(file, line, attrs, children, value, &c);
    } else {
        run_fixed(file, line, attrs, children, value, &c);
    }
    if (c.r->n_errors != 0 || c.v->state != VALUE_BLANK || c.v->num != 0 ||
        c.v->text_len != 0) {
        tu_dump_record(c.r);
        print_error("state %d num %lld text_len %u\n", (int)c.v->state,
                    (long long)c.v->num, c.v->text_len);
        fcase_free(&c);
        tu_fail_at(file, line,
                   "'%s' (%s) should be blank: VALUE_BLANK, 0, empty text",
                   value, attrs);
    }
    fcase_free(&c);
}

/* Valid with num, or (for an all-zero numeric, which the doc makes "all
 * pad", i.e. blank) blank with num 0. */
static void check_zero(const char *file, int line, const char *attrs,
                       const char *value)
{
    struct fcase c;

    run_fixed(file, line, attrs, NULL, value, &c);
    if (c.r->n_errors != 0 || c.v->state == VALUE_BAD || c.v->num != 0) {
        tu_dump_record(c.r);
        fcase_free(&c);
        tu_fail_at(file, line, "'%s' (%s) should read as 0 without error",
                   value, attrs);
    }
    fcase_free(&c);
}

#define OK_NUM(attrs, value, num)                                              \
    check_ok(__FILE__, __LINE__, false, attrs, NULL, value, true, num, NULL)
#define OK_TEXT(attrs, value, text)                                            \
    check_ok(__FILE__, __LINE__, false, attrs, NULL, value, false, 0, text)
#define OK_CODE(codes, value, text)                                            \
    check_ok(__FILE__, __LINE__, false, "type=\"code\"", codes, value, false,  \
             0, text)
#define BAD(attrs, value, code)                                                \
    check_bad(__FILE__, __LINE__, false, attrs, NULL, value, code, E_NONE)
#define BAD2(attrs, value, code, alt)                                          \
    check_bad(__FILE__, __LINE__, false, attrs, NULL, value, code, alt)
#define BLANK(attrs, value)                                                    \
    check_blank(__FILE__, __LINE__, false, attrs, NULL, value)
#define ZERO(attrs, value) check_zero(__FILE__, __LINE__, attrs, value)
#define CSV_OK_NUM(attrs, value, num)                                          \
    check_ok(__FILE__, __LINE__, true, attrs, NULL, value, true, num, NULL)
#define CSV_OK_TEXT(attrs, value, text)                                        \
    check_ok(__FILE__, __LINE__, true, attrs, NULL, value, false, 0, text)
#define CSV_BAD(attrs, value, code)                                            \
    check_bad(__FILE__, __LINE__, true, attrs, NULL, value, code, E_NONE)
#define CSV_BLANK(attrs, value)                                                \
    check_blank(__FILE__, __LINE__, true, attrs, NULL, value)

/* ------------------------------------------------------------------ */
/* text                                                                */

static void test_text_print_charset_takes_every_printable_byte(void **state)
{
    char all[96];
    size_t n = 0;

    (void)state;
    for (int ch = '!'; ch <= '~'; ch++) {
        all[n++] = (char)ch;
    }
    all[n] = '\0';
    OK_TEXT("type=\"text\"", all, all);
    OK_TEXT("", "a b", "a b"); /* text is the default type */
}

static void test_text_value_is_trimmed_and_raw_is_kept(void **state)
{
    struct fcase c;

    (void)state;
    OK_TEXT("type=\"text\"", "ABC   ", "ABC");
    OK_TEXT("type=\"text\"", "A B C ", "A B C");
    run_fixed(__FILE__, __LINE__, "type=\"text\"", NULL, "ABC   ", &c);
    assert_int_equal(c.v->raw_len, 6);
    assert_memory_equal(c.v->raw, "ABC   ", 6);
    assert_int_equal(c.v->column, 3);
    assert_int_equal(c.r->line, 1);
    assert_int_equal(c.r->raw_len, 10);
    assert_memory_equal(c.r->raw, "R1ABC     ", 10);
    assert_int_equal(c.r->values[0].column, 1);
    assert_int_equal(c.r->values[2].column, 9);
    fcase_free(&c);
}

static void test_text_alpha_charset_allows_letters_and_space(void **state)
{
    (void)state;
    OK_TEXT("charset=\"alpha\"", "Ab cD ", "Ab cD");
    BAD("charset=\"alpha\"", "AB1   ", E_CHARSET);
    BAD("charset=\"alpha\"", "AB-C  ", E_CHARSET);
}

static void test_text_alnum_charset_allows_letters_digits_space(void **state)
{
    (void)state;
    OK_TEXT("charset=\"alnum\"", "Ab 12 ", "Ab 12");
    BAD("charset=\"alnum\"", "AB-1  ", E_CHARSET);
    BAD("charset=\"alnum\"", "A_B   ", E_CHARSET);
}

static void test_text_upper_charset_refuses_lower_case(void **state)
{
    (void)state;
    OK_TEXT("charset=\"upper\"", "AB 12 ", "AB 12");
    BAD("charset=\"upper\"", "Ab    ", E_CHARSET);
    BAD("charset=\"upper\"", "AB.   ", E_CHARSET);
}

static void test_text_name_charset_allows_name_punctuation(void **state)
{
    (void)state;
    OK_TEXT("charset=\"name\"", "O'BRIEN-SMITH, Jr.  ", "O'BRIEN-SMITH, Jr.");
    BAD("charset=\"name\"", "SMITH1    ", E_CHARSET);
    BAD("charset=\"name\"", "A;B       ", E_CHARSET);
    BAD("charset=\"name\"", "A&B       ", E_CHARSET);
}

static void test_required_blank_text_is_e_required(void **state)
{
    (void)state;
    BAD("required=\"true\"", "      ", E_REQUIRED);
    BAD("required=\"true\" charset=\"upper\"", "      ", E_REQUIRED);
}

static void test_optional_blank_text_has_blank_state(void **state)
{
    (void)state;
    BLANK("", "      ");
    BLANK("required=\"false\" charset=\"alpha\"", "      ");
}

static void test_blank_field_takes_its_default(void **state)
{
    struct fcase c;

    (void)state;
    run_fixed(__FILE__, __LINE__, "default=\"XYZ\"", NULL, "      ", &c);
    assert_int_equal(c.r->n_errors, 0);
    assert_int_not_equal(c.v->state, VALUE_BAD);
    assert_int_equal(c.v->text_len, 3);
    assert_memory_equal(c.v->text, "XYZ", 3);
    fcase_free(&c);

    run_fixed(__FILE__, __LINE__, "type=\"integer\" pad=\" \" default=\"42\"",
              NULL, "      ", &c);
    assert_int_equal(c.r->n_errors, 0);
    assert_int_not_equal(c.v->state, VALUE_BAD);
    assert_int_equal(c.v->num, 42);
    fcase_free(&c);

    /* a value that is there wins over the default */
    OK_TEXT("default=\"XYZ\"", "ABC   ", "ABC");
}

static void test_text_length_bounds_are_e_length(void **state)
{
    const char *a = "min-length=\"3\" max-length=\"5\"";

    (void)state;
    BAD(a, "AB      ", E_LENGTH);
    OK_TEXT(a, "ABC     ", "ABC");
    OK_TEXT(a, "ABCDE   ", "ABCDE");
    BAD(a, "ABCDEF  ", E_LENGTH);
    BAD(a, "A B C D ", E_LENGTH); /* trimmed length 7 */
}

static void test_right_justified_text_is_padded_on_the_left(void **state)
{
    (void)state;
    OK_TEXT("justify=\"right\"", "   ABC", "ABC");
    BAD("justify=\"right\"", "ABC   ", E_JUSTIFY);
}

/* ------------------------------------------------------------------ */
/* digits and integers                                                 */

static void test_digits_keep_leading_zeros(void **state)
{
    (void)state;
    OK_TEXT("type=\"digits\"", "00123456", "00123456");
    OK_TEXT("type=\"digits\"", "98765432", "98765432");
}

static void test_digits_refuse_anything_but_digits(void **state)
{
    (void)state;
    BAD("type=\"digits\"", "0012A456", E_DIGITS);
    BAD("type=\"digits\"", "0012 456", E_DIGITS);
    BAD("type=\"digits\"", "001.3456", E_DIGITS);
}

static void test_integer_value_is_read(void **state)
{
    (void)state;
    OK_NUM("type=\"integer\"", "000123", 123);
    OK_NUM("type=\"integer\"", "999999", 999999);
    OK_NUM("type=\"integer\"", "100000", 100000);
    ZERO("type=\"integer\"", "000000");
    OK_NUM("type=\"integer\"", "9223372036854775807", INT64_MAX);
}

static void test_integer_refuses_non_digits(void **state)
{
    (void)state;
    BAD("type=\"integer\"", "00012A", E_DIGITS);
    /* an embedded space: not a digit, and not padding either */
    BAD2("type=\"integer\"", "0001 3", E_DIGITS, E_JUSTIFY);
    BAD("type=\"integer\"", "001.23", E_DIGITS);
}

static void test_integer_too_big_for_64_bits_is_refused(void **state)
{
    (void)state;
    BAD2("type=\"integer\"", "9223372036854775808", E_RANGE, E_DIGITS);
    BAD2("type=\"integer\"", "9999999999999999999", E_RANGE, E_DIGITS);
}

static void test_integer_without_sign_mode_refuses_a_sign(void **state)
{
    (void)state;
    BAD2("type=\"integer\"", "-00123", E_SIGN, E_DIGITS);
    BAD2("type=\"integer\"", "+00123", E_SIGN, E_DIGITS);
}

static void test_integer_leading_sign(void **state)
{
    const char *a = "type=\"integer\" sign=\"leading\"";

    (void)state;
    OK_NUM(a, "-00123", -123);
    OK_NUM(a, "+00123", 123);
    OK_NUM(a, "+00000", 0);
    BAD(a, "000123", E_SIGN); /* missing sign */
    BAD2(a, "00123-", E_SIGN, E_DIGITS);
    BAD2(a, "*00123", E_SIGN, E_DIGITS);
}

static void test_integer_trailing_sign(void **state)
{
    const char *a = "type=\"integer\" sign=\"trailing\"";

    (void)state;
    OK_NUM(a, "00123-", -123);
    OK_NUM(a, "00123+", 123);
    BAD(a, "001234", E_SIGN);
    BAD2(a, "-00123", E_SIGN, E_DIGITS);
}

static void test_integer_overpunch_sign(void **state)
{
    const char *a = "type=\"integer\" sign=\"overpunch\"";

    (void)state;
    OK_NUM(a, "0012L", -123);
    OK_NUM(a, "0012C", 123);
    OK_NUM(a, "0001}", -10);
    OK_NUM(a, "0001{", 10);
}

static void test_integer_range_is_e_range(void **state)
{
    const char *a =
        "type=\"integer\" sign=\"leading\" min=\"-100\" max=\"100\"";

    (void)state;
    OK_NUM(a, "+00100", 100);
    OK_NUM(a, "-00100", -100);
    OK_NUM(a, "+00000", 0);
    BAD(a, "+00101", E_RANGE);
    BAD(a, "-00101", E_RANGE);
    BAD(a, "+99999", E_RANGE);
    OK_NUM("type=\"integer\" min=\"5\"", "000005", 5);
    BAD("type=\"integer\" min=\"5\"", "000004", E_RANGE);
}

static void
test_numbers_padded_against_the_declaration_are_e_justify(void **state)
{
    (void)state;
    BAD("type=\"integer\"", "  123", E_JUSTIFY);
    BAD("type=\"integer\"", "123  ", E_JUSTIFY);
    BAD("type=\"amount\"", "  12345", E_JUSTIFY);
    BAD("type=\"amount\"", "12345  ", E_JUSTIFY);
    /* the same value is fine where the declaration says so */
    OK_NUM("type=\"integer\" pad=\" \"", "  123", 123);
    OK_NUM("type=\"amount\" pad=\" \"", "  12345", 12345);
}

/* ------------------------------------------------------------------ */
/* amounts                                                             */

static void test_amount_value_is_cents_whatever_the_decimals(void **state)
{
    (void)state;
    OK_NUM("type=\"amount\"", "00012345", 12345);
    OK_NUM("type=\"amount\" decimals=\"2\"", "00000005", 5);
    OK_NUM("type=\"amount\" decimals=\"1\"", "0001234", 12340);
    OK_NUM("type=\"amount\" decimals=\"0\"", "00125", 12500);
    OK_NUM("type=\"amount\" decimals=\"0\"", "00001", 100);
    ZERO("type=\"amount\"", "00000000");
}

static void test_amount_explicit_point(void **state)
{
    const char *a2 = "type=\"amount\" point=\"explicit\"";
    const char *a1 = "type=\"amount\" point=\"explicit\" decimals=\"1\"";

    (void)state;
    OK_NUM(a2, "00123.45", 12345);
    OK_NUM(a2, "00000.05", 5);
    OK_NUM(a1, "001234.5", 123450);
    OK_NUM("type=\"amount\" point=\"explicit\" sign=\"leading\"", "-0123.45",
           -12345);
    OK_NUM("type=\"amount\" point=\"explicit\" sign=\"trailing\"", "0123.45-",
           -12345);
    BAD2(a2, "00012345", E_DIGITS, E_JUSTIFY); /* no point */
    BAD2(a2, "0001.234", E_DIGITS, E_JUSTIFY); /* point misplaced */
    BAD2(a2, "0.012.34", E_DIGITS, E_JUSTIFY); /* two points */
    BAD2("type=\"amount\"", "00123.45", E_DIGITS, E_JUSTIFY); /* implied */
}

static void test_amount_leading_sign(void **state)
{
    const char *a = "type=\"amount\" sign=\"leading\"";

    (void)state;
    OK_NUM(a, "-0001234", -1234); /* the doc's example */
    OK_NUM(a, "+0001234", 1234);
    BAD(a, "00001234", E_SIGN);
    BAD2(a, "0-001234", E_SIGN, E_DIGITS);
}

static void test_amount_trailing_sign(void **state)
{
    const char *a = "type=\"amount\" sign=\"trailing\"";

    (void)state;
    OK_NUM(a, "0001234-", -1234);
    OK_NUM(a, "0001234+", 1234);
    BAD(a, "00001234", E_SIGN);
}

static void test_amount_overpunch_reads_all_twenty_characters(void **state)
{
    const char *pos = "{ABCDEFGHI";
    const char *neg = "}JKLMNOPQR";
    const char *a = "type=\"amount\" sign=\"overpunch\"";
    char value[16];

    (void)state;
    for (int d = 0; d < 10; d++) {
        snprintf(value, sizeof value, "0000012%c", pos[d]);
        OK_NUM(a, value, 120 + d);
        snprintf(value, sizeof value, "0000012%c", neg[d]);
        OK_NUM(a, value, -(120 + d));
    }
    OK_NUM(a, "1234567R", -12345679);
    OK_NUM(a, "0000000{", 0);
}

static void test_amount_overpunch_refuses_other_last_characters(void **state)
{
    const char *a = "type=\"amount\" sign=\"overpunch\"";

    (void)state;
    BAD(a, "0000012Z", E_SIGN);
    BAD(a, "0000012S", E_SIGN);
    BAD(a, "0000012-", E_SIGN);
    BAD(a, "0000012a", E_SIGN);
}

static void test_amount_without_sign_mode_refuses_a_sign(void **state)
{
    (void)state;
    BAD2("type=\"amount\"", "-0001234", E_SIGN, E_DIGITS);
    BAD2("type=\"amount\"", "0001234-", E_SIGN, E_DIGITS);
}

static void test_amount_refuses_non_digits(void **state)
{
    (void)state;
    BAD("type=\"amount\"", "0001A345", E_DIGITS);
    BAD("type=\"amount\" sign=\"leading\"", "+001A345", E_DIGITS);
    BAD2("type=\"amount\"", "9999999999999999999", E_RANGE, E_DIGITS);
}

static void test_amount_bounds_are_money(void **state)
{
    const char *a = "type=\"amount\" min=\"10.00\"";
    const char *b = "type=\"amount\" sign=\"leading\" min=\"-5.00\" "
                    "max=\"5.00\"";
    const char *c0 = "type=\"amount\" decimals=\"0\" max=\"100\"";

    (void)state;
    BAD(a, "00000999", E_RANGE);
    OK_NUM(a, "00001000", 1000);
    OK_NUM(b, "-0000500", -500);
    OK_NUM(b, "+0000500", 500);
    BAD(b, "-0000501", E_RANGE);
    BAD(b, "+0000501", E_RANGE);
    OK_NUM(c0, "00100", 10000);
    BAD(c0, "00101", E_RANGE);
}

/* ------------------------------------------------------------------ */
/* dates and times                                                     */

static void test_date_yyyymmdd_must_be_a_real_date(void **state)
{
    const char *a = "type=\"date\" format=\"YYYYMMDD\"";

    (void)state;
    OK_NUM(a, "20240229", 20240229); /* leap year */
    OK_NUM(a, "20000229", 20000229); /* divisible by 400 */
    OK_NUM(a, "20241231", 20241231);
    OK_NUM(a, "19990101", 19990101);
    OK_NUM(a, "20240430", 20240430);
    BAD(a, "20230229", E_DATE); /* not a leap year */
    BAD(a, "19000229", E_DATE); /* divisible by 100 */
    BAD(a, "20240230", E_DATE);
    BAD(a, "20241301", E_DATE); /* month 13 */
    BAD(a, "20240001", E_DATE); /* month 0 */
    BAD(a, "20240100", E_DATE); /* day 0 */
    BAD(a, "20240132", E_DATE); /* day 32 */
    BAD(a, "20240431", E_DATE); /* April 31 */
    BAD(a, "2024AB01", E_DATE);
    BAD(a, "2024-2-1", E_DATE);
}

static void test_date_ccyymmdd_is_yyyymmdd(void **state)
{
    const char *a = "type=\"date\" format=\"CCYYMMDD\"";

    (void)state;
    OK_NUM(a, "20240229", 20240229);
    BAD(a, "20230229", E_DATE);
    BAD(a, "02292024", E_DATE); /* MMDDYYYY is another format */
}

static void test_date_mmddyyyy_must_be_a_real_date(void **state)
{
    const char *a = "type=\"date\" format=\"MMDDYYYY\"";
    const char *b = "type=\"date\" format=\"MMDDCCYY\"";

    (void)state;
    OK_NUM(a, "02292024", 20240229);
    OK_NUM(a, "02292000", 20000229);
    OK_NUM(a, "12312023", 20231231);
    BAD(a, "02292023", E_DATE);
    BAD(a, "02291900", E_DATE);
    BAD(a, "13012024", E_DATE); /* month 13 */
    BAD(a, "01002024", E_DATE); /* day 0 */
    BAD(a, "01322024", E_DATE); /* day 32 */
    BAD(a, "20240229", E_DATE); /* YYYYMMDD in an MMDDYYYY field */
    OK_NUM(b, "02292024", 20240229);
    BAD(b, "02292023", E_DATE);
}

static void test_date_iso_must_be_a_real_date(void **state)
{
    const char *a = "type=\"date\" format=\"YYYY-MM-DD\"";

    (void)state;
    OK_NUM(a, "2024-02-29", 20240229);
    OK_NUM(a, "2000-02-29", 20000229);
    OK_NUM(a, "2026-11-26", 20261126);
    BAD(a, "2023-02-29", E_DATE);
    BAD(a, "1900-02-29", E_DATE);
    BAD(a, "2024-13-01", E_DATE);
    BAD(a, "2024-01-00", E_DATE);
    BAD(a, "2024-01-32", E_DATE);
    BAD(a, "2024/02/29", E_DATE);
    BAD(a, "20240229  ", E_DATE);
    BAD(a, "2024-2-29 ", E_DATE);
}

static void test_time_hhmmss_must_be_a_real_time(void **state)
{
    const char *a = "type=\"time\" format=\"HHMMSS\"";

    (void)state;
    OK_NUM(a, "130500", 47100);
    OK_NUM(a, "235959", 86399);
    OK_NUM(a, "000001", 1);
    OK_NUM(a, "120000", 43200);
    BAD(a, "240000", E_TIME);
    BAD(a, "126000", E_TIME);
    BAD(a, "120060", E_TIME);
    BAD(a, "12:00 ", E_TIME);
    BAD(a, "1200AM", E_TIME);
}

static void test_time_hhmm_must_be_a_real_time(void **state)
{
    const char *a = "type=\"time\" format=\"HHMM\"";

    (void)state;
    OK_NUM(a, "1305", 47100);
    OK_NUM(a, "2359", 86340);
    OK_NUM(a, "0001", 60);
    BAD(a, "2400", E_TIME);
    BAD(a, "1260", E_TIME);
    BAD(a, "12h0", E_TIME);
}

static void test_time_iso_must_be_a_real_time(void **state)
{
    const char *a = "type=\"time\" format=\"HH:MM:SS\"";

    (void)state;
    OK_NUM(a, "13:05:00", 47100);
    OK_NUM(a, "00:00:01", 1);
    OK_NUM(a, "23:59:59", 86399);
    BAD(a, "25:00:00", E_TIME);
    BAD(a, "12:60:00", E_TIME);
    BAD(a, "13-05-00", E_TIME);
    BAD(a, "130500  ", E_TIME);
}

/* ------------------------------------------------------------------ */
/* codes                                                               */

#define CODES                                                                  \
    "      <code value=\"A\" meaning=\"add\"/>\n"                              \
    "      <code value=\"XY\" meaning=\"two letters\"/>\n"

static void test_code_must_be_in_the_list(void **state)
{
    (void)state;
    OK_CODE(CODES, "A ", "A");
    OK_CODE(CODES, "XY", "XY");
    check_bad(__FILE__, __LINE__, false, "type=\"code\"", CODES, "Q ", E_CODE,
              E_NONE);
    check_bad(__FILE__, __LINE__, false, "type=\"code\"", CODES, "a ", E_CODE,
              E_NONE);
    check_bad(__FILE__, __LINE__, false, "type=\"code\"", CODES, "X ", E_CODE,
              E_NONE);
    check_bad(__FILE__, __LINE__, false, "type=\"code\"", CODES, "YX", E_CODE,
              E_NONE);
}

/* open="true": the list gives meanings, any value is taken */
static void test_open_code_takes_values_outside_the_list(void **state)
{
    (void)state;
    check_ok(__FILE__, __LINE__, false, "type=\"code\" open=\"true\"", CODES,
             "Q ", true, -1, "Q");
    check_ok(__FILE__, __LINE__, false, "type=\"code\" open=\"true\"", CODES,
             "XY", true, 1, "XY");
    check_ok(__FILE__, __LINE__, true, "type=\"code\" open=\"true\"", CODES,
             "ZZZ", true, -1, "ZZZ");
    check_bad(__FILE__, __LINE__, false,
              "type=\"code\" open=\"true\" required=\"true\"", CODES, "  ",
              E_REQUIRED, E_NONE);
    check_bad(__FILE__, __LINE__, false, "type=\"code\" open=\"false\"", CODES,
              "Q ", E_CODE, E_NONE);
}

static void test_code_blank_is_required_or_blank(void **state)
{
    (void)state;
    check_bad(__FILE__, __LINE__, false, "type=\"code\" required=\"true\"",
              CODES, "  ", E_REQUIRED, E_NONE);
    check_blank(__FILE__, __LINE__, false, "type=\"code\"", CODES, "  ");
}

/* ------------------------------------------------------------------ */
/* ssn, tin                                                            */

static void test_ssn_is_nine_digits(void **state)
{
    (void)state;
    OK_TEXT("type=\"ssn\"", "123456789", "123456789");
    BAD("type=\"ssn\"", "12345678A", E_DIGITS);
    BAD("type=\"ssn\"", "123-45-67", E_DIGITS);
    BAD("type=\"ssn\"", "12345 789", E_DIGITS);
    BAD("type=\"ssn\" required=\"true\"", "         ", E_REQUIRED);
    BLANK("type=\"ssn\"", "         ");
}

static void test_ssn_ssa_check_rejects_numbers_never_issued(void **state)
{
    static const char *never[] = {
        "000123456",                           /* area 000 */
        "666123456",                           /* area 666 */
        "900123456",                           /* area 900-999 */
        "950123456", "999123456", "123006789", /* group 00 */
        "123450000",                           /* serial 0000 */
        "000000000",
    };
    const char *a = "type=\"ssn\" check=\"ssa\"";

    (void)state;
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        BAD(a, never[i], E_SSN);
    }
    BAD(a, "12345678A", E_DIGITS); /* digits first */
}

static void test_ssn_ssa_check_accepts_valid_numbers(void **state)
{
    static const char *good[] = {
        "001010001", "123456789", "665999999", "667010001",
        "899991234", "772345678", "100010001", "555019999",
    };
    const char *a = "type=\"ssn\" check=\"ssa\"";

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        OK_TEXT(a, good[i], good[i]);
    }
}

static void test_ssn_without_check_takes_any_nine_digits(void **state)
{
    (void)state;
    OK_TEXT("type=\"ssn\"", "666123456", "666123456");
    OK_TEXT("type=\"ssn\"", "900123456", "900123456");
    OK_TEXT("type=\"ssn\"", "123006789", "123006789");
    OK_TEXT("type=\"ssn\"", "123450000", "123450000");
}

static void test_tin_is_nine_digits(void **state)
{
    (void)state;
    OK_TEXT("type=\"tin\"", "912345678", "912345678");
    OK_TEXT("type=\"tin\"", "000000001", "000000001");
    BAD("type=\"tin\"", "12-345678", E_DIGITS);
    BAD("type=\"tin\"", "12345678A", E_DIGITS);
    BAD("type=\"tin\" required=\"true\"", "         ", E_REQUIRED);
}

/* ------------------------------------------------------------------ */
/* filler                                                              */

static void test_filler_must_be_blank_by_default(void **state)
{
    struct fcase c;

    (void)state;
    /* the field under test is a filler at index 1, column 3 */
    run_fixed(__FILE__, __LINE__, "type=\"filler\"", NULL, "    ", &c);
    tu_expect_no_errors(c.r);
    fcase_free(&c);
    check_bad(__FILE__, __LINE__, false, "type=\"filler\"", NULL, "  x ",
              E_FILLER, E_NONE);
    check_bad(__FILE__, __LINE__, false, "type=\"filler\" check=\"blank\"",
              NULL, "0   ", E_FILLER, E_NONE);
}

static void test_filler_with_check_none_takes_anything_printable(void **state)
{
    struct fcase c;

    (void)state;
    run_fixed(__FILE__, __LINE__, "type=\"filler\" check=\"none\"", NULL,
              "ab1~", &c);
    tu_expect_no_errors(c.r);
    assert_int_not_equal(c.v->state, VALUE_BAD);
    assert_int_equal(c.v->raw_len, 4);
    assert_memory_equal(c.v->raw, "ab1~", 4);
    fcase_free(&c);
}

/* ------------------------------------------------------------------ */
/* delimited fields                                                    */

static void test_delimited_fields_convert_like_fixed_ones(void **state)
{
    (void)state;
    CSV_OK_NUM("type=\"integer\"", "123", 123);
    CSV_OK_NUM("type=\"integer\"", "0", 0);
    CSV_BAD("type=\"integer\"", "12a", E_DIGITS);
    CSV_OK_NUM("type=\"integer\" sign=\"leading\"", "-42", -42);
    CSV_OK_NUM("type=\"amount\"", "1234", 1234);
    CSV_OK_NUM("type=\"amount\" sign=\"leading\"", "-1234", -1234);

    CSV_OK_NUM("type=\"amount\" point=\"explicit\" sign=\"leading\"", "-12.34",
               -1234);
    CSV_OK_NUM("type=\"amount\" decimals=\"0\"", "125", 12500);
    CSV_BAD("type=\"amount\" min=\"10.00\"", "999", E_RANGE);
    CSV_OK_NUM("type=\"date\" format=\"YYYY-MM-DD\"", "2024-02-29", 20240229);
    CSV_BAD("type=\"date\" format=\"YYYY-MM-DD\"", "2023-02-29", E_DATE);
    CSV_OK_NUM("type=\"date\" format=\"MMDDYYYY\"", "02292024", 20240229);
    CSV_OK_NUM("type=\"time\" format=\"HH:MM:SS\"", "13:05:00", 47100);
    CSV_BAD("type=\"time\" format=\"HH:MM:SS\"", "24:00:00", E_TIME);
    CSV_OK_TEXT("type=\"ssn\" check=\"ssa\"", "123456789", "123456789");
    CSV_BAD("type=\"ssn\" check=\"ssa\"", "666123456", E_SSN);
    CSV_BAD("type=\"ssn\"", "12345678", E_DIGITS);
    CSV_OK_TEXT("type=\"digits\"", "007", "007");
    CSV_OK_TEXT("charset=\"upper\"", "ABC DEF", "ABC DEF");
    CSV_BAD("charset=\"upper\"", "abc", E_CHARSET);
    CSV_BAD("max-length=\"3\"", "ABCD", E_LENGTH);
}

static void test_delimited_signed_numbers_carry_their_sign(void **state)
{
    (void)state;
    CSV_OK_NUM("type=\"amount\" sign=\"leading\"", "+1234", 1234);
    CSV_OK_NUM("type=\"amount\" sign=\"trailing\"", "1234-", -1234);
    CSV_OK_NUM("type=\"amount\" sign=\"trailing\"", "1234+", 1234);
    /* "leading (+/- first)": a missing sign is E_SIGN, as in fixed-width */
    CSV_BAD("type=\"amount\" sign=\"leading\"", "1234", E_SIGN);
    CSV_BAD("type=\"amount\" sign=\"trailing\"", "1234", E_SIGN);
    CSV_BAD("type=\"integer\" sign=\"leading\"", "42", E_SIGN);
}

/* Every printable byte against every charset, from the doc's definitions. */
static void test_every_charset_admits_exactly_its_bytes(void **state)
{
    static const char *const names[] = {"print", "alpha", "alnum", "upper",
                                        "name"};
    (void)state;
    for (int cs = 0; cs < 5; cs++) {
        char xml[512];
        snprintf(
            xml, sizeof xml,
            "<layout name=\"c\"><file format=\"fixed\" record-length=\"1\" "
            "line-end=\"lf\"/><record name=\"r\" max=\"unbounded\">"
            "<field name=\"t\" start=\"1\" length=\"1\" charset=\"%s\"/>"
            "</record></layout>",
            names[cs]);
        struct layout *l = tu_load(xml);
        for (int c = 0x21; c < 0x7f; c++) {
            bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            bool digit = c >= '0' && c <= '9';
            bool want[] = {
                true, alpha, alpha || digit, (c >= 'A' && c <= 'Z') || digit,
                alpha || c == '-' || c == '\'' || c == '.' || c == ','};
            char line[2] = {(char)c, '\n'};
            struct tu_parse *p = tu_parse_buf(l, line, 2);
            bool ok = p->n == 1 && p->recs[0].n_errors == 0;
            if (ok != want[cs])
                fail_msg("charset %s, byte '%c': %s, expected %s", names[cs], c,
                         ok ? "accepted" : "refused",
                         want[cs] ? "accepted" : "refused");
            tu_parse_free(p);
        }
        layout_free(l);
    }
}

static void test_minus_sign_marks_only_negatives(void **state)
{
    const char *a = "type=\"amount\" sign=\"minus\"";

    (void)state;
    OK_NUM(a, "-00123", -123);
    OK_NUM(a, "000123", 123);
    BAD(a, "+00123", E_SIGN);
    BAD(a, "00-123", E_SIGN);
    CSV_OK_NUM(a, "-123", -123);
    CSV_OK_NUM(a, "123", 123);
    CSV_BAD(a, "+123", E_SIGN);
    CSV_OK_NUM("type=\"amount\" sign=\"minus\" point=\"explicit\"", "-12.34",
               -1234);
    CSV_OK_NUM("type=\"integer\" sign=\"minus\"", "-7", -7);
}

static void test_negative_zero_is_e_sign(void **state)
{
    (void)state;
    BAD("type=\"amount\" sign=\"leading\"", "-00000", E_SIGN);
    BAD("type=\"amount\" sign=\"trailing\"", "00000-", E_SIGN);
    BAD("type=\"amount\" sign=\"overpunch\"", "0000}", E_SIGN);
    BAD("type=\"integer\" sign=\"minus\"", "-0000", E_SIGN);
    CSV_BAD("type=\"amount\" sign=\"minus\"", "-0", E_SIGN);
    OK_NUM("type=\"amount\" sign=\"leading\"", "+00000", 0);
}

static void test_delimited_empty_field_is_blank_or_required(void **state)
{
    (void)state;
    CSV_BLANK("", "");
    CSV_BLANK("type=\"integer\"", "");
    CSV_BLANK("type=\"amount\" sign=\"leading\"", "");
    CSV_BLANK("type=\"date\" format=\"YYYY-MM-DD\"", "");
    CSV_BAD("required=\"true\"", "", E_REQUIRED);
    CSV_BAD("type=\"integer\" required=\"true\"", "", E_REQUIRED);
    check_bad(__FILE__, __LINE__, true, "type=\"code\" required=\"true\"",
              CODES, "", E_REQUIRED, E_NONE);
    check_ok(__FILE__, __LINE__, true, "type=\"code\"", CODES, "XY", false, 0,
             "XY");
    check_bad(__FILE__, __LINE__, true, "type=\"code\"", CODES, "Q", E_CODE,
              E_NONE);
}

/* ------------------------------------------------------------------ */
/* errors on many fields                                               */

static void test_record_keeps_sixteen_errors_and_counts_the_rest(void **state)
{
    char xml[8192];
    size_t n = 0;
    struct layout *l;
    struct tu_parse *p;

    (void)state;
    n += (size_t)snprintf(xml + n, sizeof xml - n,
                          "<layout name=\"many\">\n"
                          "  <file format=\"fixed\" record-length=\"20\" "
                          "line-end=\"lf\"/>\n"
                          "  <record name=\"r\" max=\"unbounded\">\n");
    for (int i = 0; i < 20; i++) {
        n += (size_t)snprintf(xml + n, sizeof xml - n,
                              "    <field name=\"d%d\" start=\"%d\" "
                              "length=\"1\" type=\"integer\"/>\n",
                              i, i + 1);
    }
    snprintf(xml + n, sizeof xml - n, "  </record>\n</layout>\n");
    l = tu_load(xml);
    p = tu_parse_str(l, "XXXXXXXXXXXXXXXXXXXX\n12345678901234567890\n");
    assert_int_equal(p->status, READER_END);
    assert_int_equal(p->n, 2);
    assert_int_equal(p->recs[0].n_errors, RECORD_MAX_ERRORS);
    assert_int_equal(p->recs[0].n_errors_dropped, 20 - RECORD_MAX_ERRORS);
    for (unsigned i = 0; i < RECORD_MAX_ERRORS; i++) {
        const struct record_error *e = &p->recs[0].errors[i];

        assert_int_equal(e->code, E_DIGITS);
        assert_int_equal(e->column, (uint32_t)e->field + 1);
    }
    /* the kept errors are the first sixteen fields */
    for (int f = 0; f < RECORD_MAX_ERRORS; f++) {
        assert_non_null(tu_find_error(&p->recs[0], E_DIGITS, f));
    }
    tu_expect_no_errors(&p->recs[1]);
    assert_int_equal(p->recs[1].values[19].num, 0);
    assert_int_equal(p->recs[1].values[18].num, 9);
    assert_int_equal(p->stats.rejected, 1);
    assert_int_equal(p->stats.accepted, 1);
    tu_parse_free(p);
    layout_free(l);
}

/* ------------------------------------------------------------------ */
/* masking and rendering                                               */

/* Everything record_print_errors writes for the first record of INPUT. */
static char *print_errors_of(const struct layout *l, const char *input)
{
    struct reader *rd = reader_new_buffer(l, input, strlen(input), "in.txt");
    const struct record *rec = NULL;
    struct tu_mem m;
    char *out;

    assert_non_null(rd);
    assert_int_equal(reader_next(rd, &rec), READER_RECORD);
    assert_true(rec->n_errors >= 1);
    tu_mem_open(&m);
    record_print_errors(m.f, "in.txt", rec);
    tu_mem_flush(&m);
    out = tu_xstrndup(m.buf, m.len);
    tu_mem_close(&m);
    reader_free(rd);
    return out;
}

static void test_ssn_and_tin_are_masked_in_printed_errors(void **state)
{
    struct layout *l =
        tu_load("<layout name=\"mask\">\n"
                "  <file format=\"fixed\" record-length=\"20\"/>\n"
                "  <record name=\"detail\" max=\"unbounded\">\n"
                "    <field name=\"t\" start=\"1\" length=\"2\" "
                "literal=\"D1\"/>\n"
                "    <field name=\"ssn\" start=\"3\" length=\"9\" type=\"ssn\" "
                "check=\"ssa\"/>\n"
                "    <field name=\"tin\" start=\"12\" length=\"9\" "
                "type=\"tin\"/>\n"
                "  </record>\n"
                "</layout>\n");
    char *out;

    (void)state;
    /* E_SSN on a full nine-digit number */
    out = print_errors_of(l, "D1900123456123456789\n");
    assert_non_null(strstr(out, "in.txt:1:3:"));
    assert_non_null(strstr(out, "'ssn'"));
    assert_non_null(strstr(out, "E_SSN"));
    assert_null(strstr(out, "900123456"));
    assert_null(strstr(out, "90012345"));
    assert_null(strstr(out, "00123456"));
    free(out);

    /* E_DIGITS: the bad value is masked too (doc: '*****678A') */
    out = print_errors_of(l, "D112345678A123456789\n");
    assert_non_null(strstr(out, "in.txt:1:3: record 'detail' field 'ssn': "
                                "E_DIGITS:"));
    assert_null(strstr(out, "12345678A"));
    assert_null(strstr(out, "12345"));
    free(out);

    /* TIN */
    out = print_errors_of(l, "D1123456789987654A21\n");
    assert_non_null(strstr(out, "in.txt:1:12:"));
    assert_non_null(strstr(out, "'tin'"));
    assert_null(strstr(out, "987654A21"));
    assert_null(strstr(out, "98765"));
    /* and the valid SSN of the same line is not printed either */
    assert_null(strstr(out, "123456789"));
    free(out);
    layout_free(l);
}

static void test_values_render_for_people(void **state)
{
    struct layout *l =
        tu_load("<layout name=\"render\">\n"
                "  <file format=\"delimited\"/>\n"
                "  <record name=\"r\">\n"
                "    <field name=\"t\"/>\n"
                "    <field name=\"a\" type=\"amount\" sign=\"leading\"/>\n"
                "    <field name=\"d\" type=\"date\" format=\"MMDDYYYY\"/>\n"
                "    <field name=\"h\" type=\"time\" format=\"HHMM\"/>\n"
                "    <field name=\"i\" type=\"integer\" sign=\"leading\"/>\n"
                "    <field name=\"g\" type=\"digits\"/>\n"
                "  </record>\n"
                "</layout>\n");
    const struct layout_record *r = layout_record_at(l, 0);
    struct field_value v;
    char buf[64];

#define RENDER(idx, state_, num_, text_)                                       \
    (memset(&v, 0, sizeof v), v.state = (state_), v.num = (num_),              \
     v.text = (text_), v.text_len = (uint32_t)strlen(text_), v.raw = v.text,   \
     v.raw_len = v.text_len,                                                   \
     field_value_render(&r->fields[idx], &v, buf, sizeof buf))

    (void)state;
    assert_int_equal(RENDER(0, VALUE_OK, 0, "Smith, J"), 8);
    assert_string_equal(buf, "Smith, J");
    assert_int_equal(RENDER(1, VALUE_OK, -1234, "-1234"), 6);
    assert_string_equal(buf, "-12.34");
    RENDER(1, VALUE_OK, 5, "+5");
    assert_string_equal(buf, "0.05");
    RENDER(1, VALUE_OK, -5, "-5");
    assert_string_equal(buf, "-0.05");
    RENDER(1, VALUE_OK, 12500, "+12500");
    assert_string_equal(buf, "125.00");
    RENDER(2, VALUE_OK, 20261126, "11262026");
    assert_string_equal(buf, "2026-11-26");
    RENDER(3, VALUE_OK, 47100, "1305");
    assert_string_equal(buf, "13:05:00");
    RENDER(4, VALUE_OK, -123, "-123");
    assert_string_equal(buf, "-123");
    RENDER(5, VALUE_OK, 0, "00123");
    assert_string_equal(buf, "00123");
    assert_int_equal(RENDER(1, VALUE_BLANK, 0, ""), 0);
    assert_string_equal(buf, "");
    assert_int_equal(RENDER(2, VALUE_BLANK, 0, ""), 0);
    assert_string_equal(buf, "");

    /* truncated to SIZE, always NUL-terminated */
    memset(&v, 0, sizeof v);
    v.state = VALUE_OK;
    v.num = -1234;
    v.text = "-1234";
    v.text_len = 5;
    memset(buf, 'x', sizeof buf);
    field_value_render(&r->fields[1], &v, buf, 4);
    assert_string_equal(buf, "-12");
#undef RENDER
    layout_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_print_charset_takes_every_printable_byte),
        cmocka_unit_test(test_text_value_is_trimmed_and_raw_is_kept),
        cmocka_unit_test(test_text_alpha_charset_allows_letters_and_space),
        cmocka_unit_test(test_text_alnum_charset_allows_letters_digits_space),
        cmocka_unit_test(test_text_upper_charset_refuses_lower_case),
        cmocka_unit_test(test_text_name_charset_allows_name_punctuation),
        cmocka_unit_test(test_required_blank_text_is_e_required),
        cmocka_unit_test(test_optional_blank_text_has_blank_state),
        cmocka_unit_test(test_blank_field_takes_its_default),
        cmocka_unit_test(test_text_length_bounds_are_e_length),
        cmocka_unit_test(test_right_justified_text_is_padded_on_the_left),
        cmocka_unit_test(test_digits_keep_leading_zeros),
        cmocka_unit_test(test_digits_refuse_anything_but_digits),
        cmocka_unit_test(test_integer_value_is_read),
        cmocka_unit_test(test_integer_refuses_non_digits),
        cmocka_unit_test(test_integer_too_big_for_64_bits_is_refused),
        cmocka_unit_test(test_integer_without_sign_mode_refuses_a_sign),
        cmocka_unit_test(test_integer_leading_sign),
        cmocka_unit_test(test_integer_trailing_sign),
        cmocka_unit_test(test_integer_overpunch_sign),
        cmocka_unit_test(test_integer_range_is_e_range),
        cmocka_unit_test(
            test_numbers_padded_against_the_declaration_are_e_justify),
        cmocka_unit_test(test_amount_value_is_cents_whatever_the_decimals),
        cmocka_unit_test(test_amount_explicit_point),
        cmocka_unit_test(test_amount_leading_sign),
        cmocka_unit_test(test_amount_trailing_sign),
        cmocka_unit_test(test_amount_overpunch_reads_all_twenty_characters),
        cmocka_unit_test(test_amount_overpunch_refuses_other_last_characters),
        cmocka_unit_test(test_amount_without_sign_mode_refuses_a_sign),
        cmocka_unit_test(test_amount_refuses_non_digits),
        cmocka_unit_test(test_amount_bounds_are_money),
        cmocka_unit_test(test_date_yyyymmdd_must_be_a_real_date),
        cmocka_unit_test(test_date_ccyymmdd_is_yyyymmdd),
        cmocka_unit_test(test_date_mmddyyyy_must_be_a_real_date),
        cmocka_unit_test(test_date_iso_must_be_a_real_date),
        cmocka_unit_test(test_time_hhmmss_must_be_a_real_time),
        cmocka_unit_test(test_time_hhmm_must_be_a_real_time),
        cmocka_unit_test(test_time_iso_must_be_a_real_time),
        cmocka_unit_test(test_code_must_be_in_the_list),
        cmocka_unit_test(test_code_blank_is_required_or_blank),
        cmocka_unit_test(test_open_code_takes_values_outside_the_list),
        cmocka_unit_test(test_ssn_is_nine_digits),
        cmocka_unit_test(test_ssn_ssa_check_rejects_numbers_never_issued),
        cmocka_unit_test(test_ssn_ssa_check_accepts_valid_numbers),
        cmocka_unit_test(test_ssn_without_check_takes_any_nine_digits),
        cmocka_unit_test(test_tin_is_nine_digits),
        cmocka_unit_test(test_filler_must_be_blank_by_default),
        cmocka_unit_test(test_filler_with_check_none_takes_anything_printable),
        cmocka_unit_test(test_delimited_fields_convert_like_fixed_ones),
        cmocka_unit_test(test_delimited_signed_numbers_carry_their_sign),
        cmocka_unit_test(test_every_charset_admits_exactly_its_bytes),
        cmocka_unit_test(test_minus_sign_marks_only_negatives),
        cmocka_unit_test(test_negative_zero_is_e_sign),
        cmocka_unit_test(test_delimited_empty_field_is_blank_or_required),
        cmocka_unit_test(test_record_keeps_sixteen_errors_and_counts_the_rest),
        cmocka_unit_test(test_ssn_and_tin_are_masked_in_printed_errors),
        cmocka_unit_test(test_values_render_for_people),
    };

    alarm(300);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
