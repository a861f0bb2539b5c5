/*
 * test_identity.c - SSN/EIN/TIN checks, name scrubbing, IRS name controls
 * and the name-matching rules of identity.h.
 *
 * Every expected value is written out by hand from the public rules
 * (public-formats.md sections 7 and 8, the IRS EIN prefix table); none is
 * computed with the code under test.  Failures name the input and the
 * caller's line.
 */
#include "testutil.h"

#include "offsetgw/identity.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static void expect_status_at(const char *file, int line, const char *what,
                             const char *input, enum identity_status got,
                             enum identity_status want)
{
    if (got != want) {
        tu_fail_at(file, line, "%s '%s': want %s, got %s", what,
                   input != NULL ? input : "(null)", identity_status_name(want),
                   identity_status_name(got));
    }
}

#define expect_ssn(ssn, want)                                                  \
    expect_status_at(__FILE__, __LINE__, "ssn", ssn,                           \
                     identity_ssn_check(ssn, strlen(ssn)), want)
#define expect_ein(ein, want)                                                  \
    expect_status_at(__FILE__, __LINE__, "ein", ein,                           \
                     identity_ein_check(ein, strlen(ein)), want)

static void expect_tin_at(const char *file, int line, const char *text,
                          const char *want, enum identity_tin_form want_form)
{
    char out[IDENTITY_TIN_SIZE];
    enum identity_tin_form form = IDENTITY_TIN_PLAIN;
    enum identity_status st;

    memset(out, '#', sizeof out);
    st = identity_tin_normalize(text, strlen(text), out, &form);
    expect_status_at(file, line, "tin", text, st, IDENTITY_OK);
    if (strcmp(out, want) != 0 || form != want_form) {
        tu_fail_at(file, line, "tin '%s': want %s form %d, got %s form %d",
                   text, want, (int)want_form, out, (int)form);
    }
}
#define expect_tin(text, want, form)                                           \
    expect_tin_at(__FILE__, __LINE__, text, want, form)

static void expect_tin_error_at(const char *file, int line, const char *text,
                                enum identity_status want)
{
    char out[IDENTITY_TIN_SIZE];
    enum identity_status st;

    memset(out, '#', sizeof out);
    st = identity_tin_normalize(text, strlen(text), out, NULL);
    expect_status_at(file, line, "tin", text, st, want);
    if (out[0] != '\0') {
        tu_fail_at(file, line, "tin '%s': output not emptied on error", text);
    }
}
#define expect_tin_error(text, want)                                           \
    expect_tin_error_at(__FILE__, __LINE__, text, want)

static void expect_scrub_at(const char *file, int line,
                            enum identity_name_field field, const char *name,
                            const char *want, enum identity_suffix want_suffix)
{
    char out[IDENTITY_NAME_SIZE];
    enum identity_suffix suffix = (enum identity_suffix)99;
    enum identity_status st;

    memset(out, '#', sizeof out);
    st = identity_name_scrub(field, name, strlen(name), out, sizeof out,
                             &suffix);
    expect_status_at(file, line, "name", name, st, IDENTITY_OK);
    if (strcmp(out, want) != 0 || suffix != want_suffix) {
        tu_fail_at(file, line,
                   "scrub '%s': want '%s' suffix '%s', got '%s' suffix '%s'",
                   name, want, identity_suffix_text(want_suffix), out,
                   identity_suffix_text(suffix));
    }
}
#define expect_scrub(field, name, want, suffix)                                \
    expect_scrub_at(__FILE__, __LINE__, field, name, want, suffix)
#define expect_last(name, want, suffix)                                        \
    expect_scrub(IDENTITY_FIELD_LAST, name, want, suffix)
#define expect_first(name, want)                                               \
    expect_scrub(IDENTITY_FIELD_FIRST, name, want, IDENTITY_SUFFIX_NONE)

static void expect_scrub_error_at(const char *file, int line,
                                  enum identity_name_field field,
                                  const char *name, size_t len,
                                  enum identity_status want)
{
    char out[IDENTITY_NAME_SIZE];
    enum identity_suffix suffix = IDENTITY_SUFFIX_JR;
    enum identity_status st;

    memset(out, '#', sizeof out);
    st = identity_name_scrub(field, name, len, out, sizeof out, &suffix);
    expect_status_at(file, line, "name", name, st, want);
    if (out[0] != '\0' || suffix != IDENTITY_SUFFIX_NONE) {
        tu_fail_at(file, line, "scrub '%s': output not emptied on error", name);
    }
}
#define expect_scrub_error(field, name, want)                                  \
    expect_scrub_error_at(__FILE__, __LINE__, field, name, strlen(name), want)

static void expect_nc_at(const char *file, int line, bool business,
                         const char *name, const char *want)
{
    char out[IDENTITY_NAME_CONTROL_SIZE];
    enum identity_status st;

    memset(out, '#', sizeof out);
    st = business ? identity_business_name_control(name, strlen(name), out)
                  : identity_name_control(name, strlen(name), out);
    expect_status_at(file, line, "name", name, st, IDENTITY_OK);
    if (strcmp(out, want) != 0) {
        tu_fail_at(file, line, "name control of '%s': want '%s', got '%s'",
                   name, want, out);
    }
}
#define expect_nc(name, want)                                                  \
    expect_nc_at(__FILE__, __LINE__, false, name, want)
#define expect_business_nc(name, want)                                         \
    expect_nc_at(__FILE__, __LINE__, true, name, want)

static void expect_nc_error_at(const char *file, int line, bool business,
                               const char *name, size_t len,
                               enum identity_status want)
{
    char out[IDENTITY_NAME_CONTROL_SIZE];
    enum identity_status st;

    memset(out, '#', sizeof out);
    st = business ? identity_business_name_control(name, len, out)
                  : identity_name_control(name, len, out);
    expect_status_at(file, line, "name", name, st, want);
    if (out[0] != '\0') {
        tu_fail_at(file, line, "name control of '%s': output not emptied",
                   name);
    }
}
#define expect_nc_error(name, want)                                            \
    expect_nc_error_at(__FILE__, __LINE__, false, name, strlen(name), want)
#define expect_business_nc_error(name, want)                                   \
    expect_nc_error_at(__FILE__, __LINE__, true, name, strlen(name), want)

static void expect_match_at(const char *file, int line,
                            enum identity_match_rule rule, const char *reg,
                            const char *partner, enum identity_status want,
                            bool want_same)
{
    bool same = !want_same;
    enum identity_status st = identity_match_name(
        rule, reg, strlen(reg), partner, strlen(partner), &same);

    if (st != want || same != want_same) {
        tu_fail_at(file, line,
                   "match rule %d '%s' / '%s': want %s same=%d, got %s "
                   "same=%d",
                   (int)rule, reg, partner, identity_status_name(want),
                   want_same, identity_status_name(st), same);
    }
}
#define expect_match(rule, reg, partner, want, same)                           \
    expect_match_at(__FILE__, __LINE__, rule, reg, partner, want, same)
#define NC_RULE IDENTITY_MATCH_NAME_CONTROL
#define LN_RULE IDENTITY_MATCH_LAST_NAME

/* ------------------------------------------------------------------ */
/* SSN                                                                 */

static void test_ssn_area_000_is_invalid_and_001_valid(void **state)
{
    (void)state;
    expect_ssn("000123456", IDENTITY_E_SSN_AREA_000);
    expect_ssn("001123456", IDENTITY_OK);
}

static void test_ssn_area_666_is_invalid_and_665_667_valid(void **state)
{
    (void)state;
    expect_ssn("665123456", IDENTITY_OK);
    expect_ssn("666123456", IDENTITY_E_SSN_AREA_666);
    expect_ssn("667123456", IDENTITY_OK);
}

static void test_ssn_areas_900_to_999_are_invalid_and_899_valid(void **state)
{
    (void)state;
    expect_ssn("899123456", IDENTITY_OK);
    expect_ssn("900123456", IDENTITY_E_SSN_AREA_9XX);
    expect_ssn("950701234", IDENTITY_E_SSN_AREA_9XX);
    expect_ssn("999123456", IDENTITY_E_SSN_AREA_9XX);
}

static void test_ssn_group_00_is_invalid_and_01_valid(void **state)
{
    (void)state;
    expect_ssn("123001234", IDENTITY_E_SSN_GROUP_00);
    expect_ssn("123011234", IDENTITY_OK);
    expect_ssn("123991234", IDENTITY_OK);
}

static void test_ssn_serial_0000_is_invalid_and_0001_valid(void **state)
{
    (void)state;
    expect_ssn("123450000", IDENTITY_E_SSN_SERIAL_0000);
    expect_ssn("123450001", IDENTITY_OK);
    expect_ssn("123459999", IDENTITY_OK);
}

static void test_ssn_advertising_numbers_4320_to_4329_are_refused(void **state)
{
    static const char *const ads[] = {
        "987654320", "987654321", "987654322", "987654323", "987654324",
        "987654325", "987654326", "987654327", "987654328", "987654329",
    };

    (void)state;
    for (size_t i = 0; i < sizeof ads / sizeof ads[0]; i++) {
        expect_ssn(ads[i], IDENTITY_E_SSN_ADVERTISING);
    }
    /* Just outside the range: still area 987, but not advertising. */
    expect_ssn("987654319", IDENTITY_E_SSN_AREA_9XX);
    expect_ssn("987654330", IDENTITY_E_SSN_AREA_9XX);
}

static void test_ssn_published_numbers_are_refused(void **state)
{
    (void)state;
    expect_ssn("078051120", IDENTITY_E_SSN_PUBLISHED);
    expect_ssn("219099999", IDENTITY_E_SSN_PUBLISHED);
    /* Their neighbours break no rule. */
    expect_ssn("078051121", IDENTITY_OK);
    expect_ssn("078051119", IDENTITY_OK);
    expect_ssn("219099998", IDENTITY_OK);
    expect_ssn("219109999", IDENTITY_OK);
}

static void test_ssn_must_be_exactly_nine_digits(void **state)
{
    (void)state;
    expect_ssn("", IDENTITY_E_TIN_FORMAT);
    expect_ssn("12345678", IDENTITY_E_TIN_FORMAT);
    expect_ssn("1234567890", IDENTITY_E_TIN_FORMAT);
    expect_ssn("12345678A", IDENTITY_E_TIN_FORMAT);
    expect_ssn("123-45-6789", IDENTITY_E_TIN_FORMAT);
    expect_ssn(" 12345678", IDENTITY_E_TIN_FORMAT);
    assert_int_equal(identity_ssn_check("123456789", 8), IDENTITY_E_TIN_FORMAT);
    assert_int_equal(identity_ssn_check(NULL, 9), IDENTITY_E_ARGUMENT);
}

static void test_ssn_reports_the_first_rule_broken(void **state)
{
    (void)state;
    expect_ssn("000000000", IDENTITY_E_SSN_AREA_000);
    expect_ssn("666000000", IDENTITY_E_SSN_AREA_666);
    expect_ssn("900000000", IDENTITY_E_SSN_AREA_9XX);
    expect_ssn("123000000", IDENTITY_E_SSN_GROUP_00);
}

static void test_ssn_ordinary_numbers_are_valid(void **state)
{
    (void)state;
    expect_ssn("123456789", IDENTITY_OK);
    expect_ssn("772123456", IDENTITY_OK); /* randomised since 2011 */
    expect_ssn("078051122", IDENTITY_OK);
}

/* ------------------------------------------------------------------ */
/* EIN                                                                 */

static void test_ein_accepts_every_assigned_prefix_and_no_other(void **state)
{
    /* Never assigned, from the IRS prefix table (see identity.c). */
    static const int unassigned[] = {0,  7,  8,  9,  17, 18, 19, 28, 29,
                                     49, 69, 70, 78, 79, 89, 96, 97};
    int n_valid = 0;

    (void)state;
    for (int p = 0; p < 100; p++) {
        char ein[10];
        bool want_valid = true;

        for (size_t i = 0; i < sizeof unassigned / sizeof unassigned[0]; i++) {
            if (unassigned[i] == p) {
                want_valid = false;
            }
        }
        ein[0] = (char)('0' + p / 10);
        ein[1] = (char)('0' + p % 10);
        memcpy(ein + 2, "1234567", 8);
        expect_ein(ein, want_valid ? IDENTITY_OK : IDENTITY_E_EIN_PREFIX);
        n_valid += want_valid;
    }
    assert_int_equal(n_valid, 83);
    /* Spot checks by campus. */
    expect_ein("101234567", IDENTITY_OK); /* Andover */
    expect_ein("311234567", IDENTITY_OK); /* SBA */
    expect_ein("711234567", IDENTITY_OK); /* Philadelphia */
    expect_ein("991234567", IDENTITY_OK); /* Philadelphia */
    expect_ein("071234567", IDENTITY_E_EIN_PREFIX);
    expect_ein("891234567", IDENTITY_E_EIN_PREFIX);
}

static void test_ein_must_be_exactly_nine_digits(void **state)
{
    (void)state;
    expect_ein("12-3456789", IDENTITY_E_TIN_FORMAT);
    expect_ein("12345678", IDENTITY_E_TIN_FORMAT);
    expect_ein("1234567890", IDENTITY_E_TIN_FORMAT);
    expect_ein("12345678O", IDENTITY_E_TIN_FORMAT);
    expect_ein("", IDENTITY_E_TIN_FORMAT);
    assert_int_equal(identity_ein_check(NULL, 9), IDENTITY_E_ARGUMENT);
}

/* ------------------------------------------------------------------ */
/* TIN normalisation                                                   */

static void test_tin_plain_nine_digits_are_kept(void **state)
{
    (void)state;
    expect_tin("123456789", "123456789", IDENTITY_TIN_PLAIN);
    expect_tin("000000000", "000000000", IDENTITY_TIN_PLAIN);
}

static void test_tin_ssn_form_loses_its_hyphens(void **state)
{
    (void)state;
    expect_tin("123-45-6789", "123456789", IDENTITY_TIN_SSN_FORM);
}

static void test_tin_ein_form_loses_its_hyphen(void **state)
{
    (void)state;
    expect_tin("12-3456789", "123456789", IDENTITY_TIN_EIN_FORM);
}

static void test_tin_surrounding_spaces_are_dropped(void **state)
{
    (void)state;
    expect_tin("  123456789", "123456789", IDENTITY_TIN_PLAIN);
    expect_tin("123-45-6789   ", "123456789", IDENTITY_TIN_SSN_FORM);
    expect_tin(" 12-3456789 ", "123456789", IDENTITY_TIN_EIN_FORM);
}

static void test_tin_blank_is_its_own_error(void **state)
{
    (void)state;
    expect_tin_error("", IDENTITY_E_TIN_BLANK);
    expect_tin_error("         ", IDENTITY_E_TIN_BLANK);
}

static void test_tin_other_forms_are_refused(void **state)
{
    static const char *const bad[] = {
        "12345678",     "1234567890",  "123-456-789", "1-23456789",
        "123 45 6789",  "123-45-678",  "12-345678",   "123--45-6789",
        "123-45-6789x", "12345678\t9", "\t123456789", "123456789-",
        "-123456789",   "123.45.6789", "12345-6789",  "ABC-DE-FGHI",
        "123-4-56789",  "1234-5-6789", "123456 789",  "123-45-67890",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_tin_error(bad[i], IDENTITY_E_TIN_FORMAT);
    }
}

static void test_tin_null_arguments_are_refused(void **state)
{
    char out[IDENTITY_TIN_SIZE] = "#";
    enum identity_tin_form form = IDENTITY_TIN_EIN_FORM;

    (void)state;
    assert_int_equal(identity_tin_normalize(NULL, 0, out, &form),
                     IDENTITY_E_ARGUMENT);
    assert_string_equal(out, "");
    assert_int_equal(form, IDENTITY_TIN_PLAIN);
    assert_int_equal(identity_tin_normalize("123456789", 9, NULL, NULL),
                     IDENTITY_E_ARGUMENT);
    /* Only the LEN bytes count. */
    assert_int_equal(identity_tin_normalize("1234567890", 9, out, NULL),
                     IDENTITY_OK);
    assert_string_equal(out, "123456789");
}

/* ------------------------------------------------------------------ */
/* status names and messages                                           */

static void test_every_status_has_a_distinct_name_and_a_message(void **state)
{
    (void)state;
    for (int a = 0; a > IDENTITY_E_LAST_; a--) {
        const char *name = identity_status_name((enum identity_status)a);
        const char *msg = identity_status_message((enum identity_status)a);

        assert_non_null(name);
        assert_non_null(msg);
        assert_string_not_equal(name, "UNKNOWN");
        assert_true(strlen(msg) > 4);
        assert_true(msg[strlen(msg) - 1] != '.');
        for (int b = 0; b > a; b--) {
            assert_string_not_equal(
                name, identity_status_name((enum identity_status)b));
            assert_string_not_equal(
                msg, identity_status_message((enum identity_status)b));
        }
    }
    assert_string_equal(identity_status_name(IDENTITY_E_SSN_AREA_666),
                        "SSN_AREA_666");
    assert_string_equal(identity_status_name(IDENTITY_OK), "OK");
    assert_string_equal(identity_status_name(IDENTITY_E_LAST_), "UNKNOWN");
    assert_string_equal(identity_status_name((enum identity_status)1),
                        "UNKNOWN");
    assert_string_equal(identity_status_message(IDENTITY_E_LAST_),
                        "unknown identity error");
}

/* ------------------------------------------------------------------ */
/* scrubbing                                                           */

static void
test_scrub_last_name_splits_suffix_and_keeps_inner_hyphen(void **state)
{
    (void)state;
    expect_last("O'BRIEN-SMITH JR", "OBRIEN-SMITH", IDENTITY_SUFFIX_JR);
    expect_last("o'brien-smith jr", "OBRIEN-SMITH", IDENTITY_SUFFIX_JR);
}

static void test_scrub_compound_surname_keeps_one_blank_per_gap(void **state)
{
    (void)state;
    expect_last("DE LA CRUZ", "DE LA CRUZ", IDENTITY_SUFFIX_NONE);
    expect_last("  de   la  cruz ", "DE LA CRUZ", IDENTITY_SUFFIX_NONE);
}

static void test_scrub_suffix_with_comma_or_period_is_split(void **state)
{
    (void)state;
    expect_last("SMITH, JR.", "SMITH", IDENTITY_SUFFIX_JR);
    expect_last("Smith jr", "SMITH", IDENTITY_SUFFIX_JR);
    expect_last("SMITH SR", "SMITH", IDENTITY_SUFFIX_SR);
    expect_last("SMITH II", "SMITH", IDENTITY_SUFFIX_II);
    expect_last("SMITH, III", "SMITH", IDENTITY_SUFFIX_III);
    expect_last("SMITH IV", "SMITH", IDENTITY_SUFFIX_IV);
    expect_last("SMITH V.", "SMITH", IDENTITY_SUFFIX_V);
    expect_last("DE LA CRUZ,JR", "DE LA CRUZ", IDENTITY_SUFFIX_JR);
}

static void
test_scrub_first_name_collapses_blanks_and_drops_periods(void **state)
{
    (void)state;
    expect_first("  john   q.  ", "JOHN Q");
    expect_first("Mary-Kate", "MARY-KATE");
}

static void test_scrub_apostrophes_and_periods_vanish(void **state)
{
    (void)state;
    expect_last("ST. JOHN", "ST JOHN", IDENTITY_SUFFIX_NONE);
    expect_last("ST.JOHN", "STJOHN", IDENTITY_SUFFIX_NONE);
    expect_last("O`BRIEN", "OBRIEN", IDENTITY_SUFFIX_NONE);
    expect_last("D'ANGELO", "DANGELO", IDENTITY_SUFFIX_NONE);
    expect_first("J.R.R.", "JRR");
}

static void test_scrub_hyphen_is_kept_only_inside_a_word(void **state)
{
    (void)state;
    expect_last("SMITH - JONES", "SMITH JONES", IDENTITY_SUFFIX_NONE);
    expect_last("-SMITH-", "SMITH", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH--JONES", "SMITH-JONES", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH-'JONES", "SMITH-JONES", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH -JONES", "SMITH JONES", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH-.", "SMITH", IDENTITY_SUFFIX_NONE);
}

static void test_scrub_other_punctuation_separates_words(void **state)
{
    (void)state;
    expect_last("SMITH,JONES", "SMITH JONES", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH/JONES", "SMITH JONES", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH&JONES", "SMITH JONES", IDENTITY_SUFFIX_NONE);
    expect_last("(SMITH)", "SMITH", IDENTITY_SUFFIX_NONE);
}

static void test_scrub_leading_title_dropped_from_first_name(void **state)
{
    (void)state;
    expect_first("DR JOHN", "JOHN");
    expect_first("Mrs. Jane Ann", "JANE ANN");
    expect_first("REV DR JOHN", "JOHN");
    expect_first("MS JANE", "JANE");
    expect_first("MR", "MR"); /* the only word stays */
    expect_first("JOHN DR", "JOHN DR");
}

static void test_scrub_trailing_title_dropped_from_last_name(void **state)
{
    (void)state;
    expect_last("SMITH MD", "SMITH", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH, ESQ.", "SMITH", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH JR MD", "SMITH", IDENTITY_SUFFIX_JR);
    expect_last("SMITH MD JR", "SMITH", IDENTITY_SUFFIX_JR);
    expect_last("SMITH PHD", "SMITH", IDENTITY_SUFFIX_NONE);
    expect_last("DR SMITH", "DR SMITH", IDENTITY_SUFFIX_NONE);
    expect_last("NGUYEN DO", "NGUYEN DO", IDENTITY_SUFFIX_NONE);
}

static void test_scrub_title_letters_inside_a_word_are_kept(void **state)
{
    (void)state;
    expect_first("DRAKE", "DRAKE");
    expect_first("MRS-JONES", "MRS-JONES");
    expect_last("MRAZ", "MRAZ", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH JRX", "SMITH JRX", IDENTITY_SUFFIX_NONE);
    /* nor is the start of one */
    expect_first("M JOHN", "M JOHN");
    expect_last("SMITH J", "SMITH J", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH I", "SMITH I", IDENTITY_SUFFIX_NONE);
}

static void test_scrub_surname_that_is_only_a_suffix_stays(void **state)
{
    (void)state;
    expect_last("JR", "JR", IDENTITY_SUFFIX_NONE);
    expect_last("V", "V", IDENTITY_SUFFIX_NONE);
    expect_last("MD", "MD", IDENTITY_SUFFIX_NONE);
    expect_last("SMITH JR JR", "SMITH JR", IDENTITY_SUFFIX_JR);
}

static void test_scrub_suffix_is_split_from_last_names_only(void **state)
{
    (void)state;
    expect_first("JOHN JR", "JOHN JR");
    expect_scrub(IDENTITY_FIELD_MIDDLE, "DR", "DR", IDENTITY_SUFFIX_NONE);
    expect_scrub(IDENTITY_FIELD_MIDDLE, "q.", "Q", IDENTITY_SUFFIX_NONE);
}

static void test_scrub_single_letter_names(void **state)
{
    (void)state;
    expect_last("o", "O", IDENTITY_SUFFIX_NONE);
    expect_first("J.", "J");
    expect_first(" X ", "X");
}

static void test_scrub_name_without_letters_is_an_error(void **state)
{
    (void)state;
    expect_scrub_error(IDENTITY_FIELD_LAST, "'.-,", IDENTITY_E_NAME_NO_LETTERS);
    expect_scrub_error(IDENTITY_FIELD_LAST, "", IDENTITY_E_NAME_NO_LETTERS);
    expect_scrub_error(IDENTITY_FIELD_LAST, "    ", IDENTITY_E_NAME_NO_LETTERS);
    expect_scrub_error(IDENTITY_FIELD_FIRST, "---", IDENTITY_E_NAME_NO_LETTERS);
    expect_scrub_error(IDENTITY_FIELD_LAST, "123", IDENTITY_E_NAME_NO_LETTERS);
    expect_scrub_error(IDENTITY_FIELD_BUSINESS, "& - &",
                       IDENTITY_E_NAME_NO_LETTERS);
}

static void test_scrub_refuses_non_ascii_and_control_bytes(void **state)
{
    (void)state;
    expect_scrub_error(IDENTITY_FIELD_LAST, "M\xc3\xbcLLER",
                       IDENTITY_E_NAME_CHARSET);
    expect_scrub_error(IDENTITY_FIELD_LAST, "M\xdcLLER",
                       IDENTITY_E_NAME_CHARSET);
    expect_scrub_error(IDENTITY_FIELD_LAST, "SMITH\tJR",
                       IDENTITY_E_NAME_CHARSET);
    expect_scrub_error(IDENTITY_FIELD_FIRST, "JOHN\x7f",
                       IDENTITY_E_NAME_CHARSET);
    expect_scrub_error_at(__FILE__, __LINE__, IDENTITY_FIELD_LAST, "SMI\0TH", 6,
                          IDENTITY_E_NAME_CHARSET);
}

static void
test_scrub_long_name_is_cut_to_the_buffer_with_an_error(void **state)
{
    char name[1001];
    char buf[16 + 16];
    enum identity_suffix suffix = IDENTITY_SUFFIX_NONE;

    (void)state;
    memset(name, 'a', 1000);
    memcpy(name + 1000 - 4, " JR", 4); /* ends "...aaa JR" + NUL */
    memset(buf, '#', sizeof buf);
    assert_int_equal(identity_name_scrub(IDENTITY_FIELD_LAST, name,
                                         strlen(name), buf, 16, &suffix),
                     IDENTITY_E_NAME_TOO_LONG);
    assert_string_equal(buf, "AAAAAAAAAAAAAAA");
    assert_int_equal(suffix, IDENTITY_SUFFIX_JR);
    for (size_t i = 16; i < sizeof buf; i++) {
        assert_int_equal(buf[i], '#');
    }
    /* Room for the NUL only. */
    memset(buf, '#', sizeof buf);
    assert_int_equal(
        identity_name_scrub(IDENTITY_FIELD_LAST, "LEE", 3, buf, 1, NULL),
        IDENTITY_E_NAME_TOO_LONG);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], '#');
    /* Exactly fitting is not too long. */
    assert_int_equal(
        identity_name_scrub(IDENTITY_FIELD_LAST, "LEE", 3, buf, 4, NULL),
        IDENTITY_OK);
    assert_string_equal(buf, "LEE");
}

static void test_scrub_cut_never_ends_in_a_blank_or_hyphen(void **state)
{
    char buf[8];

    (void)state;
    /* "AAAA BBBB" cut after 5 characters would end in a blank. */
    assert_int_equal(
        identity_name_scrub(IDENTITY_FIELD_LAST, "AAAA BBBB", 9, buf, 6, NULL),
        IDENTITY_E_NAME_TOO_LONG);
    assert_string_equal(buf, "AAAA");
    assert_int_equal(
        identity_name_scrub(IDENTITY_FIELD_LAST, "ABCD-EFG", 8, buf, 6, NULL),
        IDENTITY_E_NAME_TOO_LONG);
    assert_string_equal(buf, "ABCD");
}

static void test_scrub_business_keeps_ampersand(void **state)
{
    (void)state;
    expect_scrub(IDENTITY_FIELD_BUSINESS, "A & B Plumbing, Inc.",
                 "A & B PLUMBING INC", IDENTITY_SUFFIX_NONE);
    expect_scrub(IDENTITY_FIELD_BUSINESS, "AT&T", "AT&T", IDENTITY_SUFFIX_NONE);
    expect_scrub(IDENTITY_FIELD_BUSINESS, "Joe's Diner", "JOES DINER",
                 IDENTITY_SUFFIX_NONE);
    /* No suffix or title rules for a business. */
    expect_scrub(IDENTITY_FIELD_BUSINESS, "SMITH JR MD", "SMITH JR MD",
                 IDENTITY_SUFFIX_NONE);
    expect_scrub(IDENTITY_FIELD_BUSINESS, "76", "76", IDENTITY_SUFFIX_NONE);
}

static void test_scrub_bad_arguments_are_refused(void **state)
{
    char buf[8] = "#######";
    enum identity_suffix suffix = IDENTITY_SUFFIX_JR;

    (void)state;
    assert_int_equal(
        identity_name_scrub(IDENTITY_FIELD_LAST, "LEE", 3, NULL, 8, &suffix),
        IDENTITY_E_ARGUMENT);
    assert_int_equal(suffix, IDENTITY_SUFFIX_NONE);
    assert_int_equal(
        identity_name_scrub(IDENTITY_FIELD_LAST, "LEE", 3, buf, 0, NULL),
        IDENTITY_E_ARGUMENT);
    assert_int_equal(buf[0], '#');
    assert_int_equal(
        identity_name_scrub(IDENTITY_FIELD_LAST, NULL, 3, buf, 8, NULL),
        IDENTITY_E_ARGUMENT);
    assert_string_equal(buf, "");
    assert_int_equal(identity_name_scrub((enum identity_name_field)42, "LEE", 3,
                                         buf, 8, NULL),
                     IDENTITY_E_ARGUMENT);
}

static void test_suffix_texts(void **state)
{
    (void)state;
    assert_string_equal(identity_suffix_text(IDENTITY_SUFFIX_NONE), "");
    assert_string_equal(identity_suffix_text(IDENTITY_SUFFIX_JR), "JR");
    assert_string_equal(identity_suffix_text(IDENTITY_SUFFIX_SR), "SR");
    assert_string_equal(identity_suffix_text(IDENTITY_SUFFIX_II), "II");
    assert_string_equal(identity_suffix_text(IDENTITY_SUFFIX_III), "III");
    assert_string_equal(identity_suffix_text(IDENTITY_SUFFIX_IV), "IV");
    assert_string_equal(identity_suffix_text(IDENTITY_SUFFIX_V), "V");
    assert_string_equal(identity_suffix_text((enum identity_suffix)77), "");
}

/* ------------------------------------------------------------------ */
/* name controls                                                       */

/* Worked by hand from Pub 1281 / TOP: last name, upper case, suffix and
 * titles and punctuation dropped, apostrophes ignored, blanks removed,
 * first four characters, padded with blanks. */
static const struct {
    const char *name;
    const char *nc;
} individual_controls[] = {
    {"O'BRIEN-SMITH JR", "OBRI"}, /* brief */
    {"DE LA CRUZ", "DELA"},       /* blanks removed */
    {"LEE", "LEE "},              /* padded */
    {"O", "O   "},
    {"MCCEDAR", "MCCE"}, /* Pub 1281: McCedar */
    {"McCedar", "MCCE"},
    {"CEDAR-HAWTHORN", "CEDA"}, /* Pub 1281: first of two names */
    {"VAN DER BERG", "VAND"},
    {"ST. JOHN", "STJO"},
    {"SMITH III", "SMIT"},
    {"LI-SMITH", "LI-S"}, /* hyphen kept in positions 2-4 */
    {"Teak", "TEAK"},     /* Pub 1281 */
    {"Willow", "WILL"},   /* Pub 1281 */
    {"Windsor-Maple", "WIND"},
    {"Hemlock", "HEML"}, /* Pub 1281 sole proprietor */
    {"Public", "PUBL"},  /* irs.gov: John Q. Public */
    {"Doe", "DOE "},     /* irs.gov: Jane Doe */
    {"NG", "NG  "},
    {"SMITH, JR.", "SMIT"},
    {"JONES SR", "JONE"},
    {"KING IV", "KING"},
    {"FORD II", "FORD"},
    {"ADAMS V", "ADAM"},
    {"MACDONALD", "MACD"},
    {"MAC DONALD", "MACD"},
    {"MC DONALD", "MCDO"},
    {"O'NEIL", "ONEI"}, /* apostrophe ignored */
    {"D'ANGELO", "DANG"},
    {"O BRIEN", "OBRI"},
    {"DE JESUS", "DEJE"},
    {"DEL RIO", "DELR"},
    {"VAN PINE", "VANP"},
    {"DA SILVA", "DASI"},
    {"DE LA O", "DELA"},
    {"LE BLANC", "LEBL"},
    {"DU PONT", "DUPO"},
    {"LA", "LA  "},
    {"  smith  ", "SMIT"},
    {"Anderson-Jensen", "ANDE"},
    {"TORRES-LOPEZ", "TORR"},
    {"GARCIA Y LOPEZ", "GARC"},
    {"VAN DYKE JR.", "VAND"},
    {"ST.JOHN", "STJO"},
    {"SMITH MD", "SMIT"},
    {"SMITH, ESQ.", "SMIT"},
    {"SMITH JR MD", "SMIT"},
    {"LEE JR", "LEE "},
    {"DOE, III", "DOE "},
    {"JR", "JR  "}, /* a surname, not a suffix, when alone */
    {"V", "V   "},
    {"A B", "AB  "},
    {"WASHINGTON", "WASH"},
    {"SMITH-", "SMIT"},
    {"-SMITH", "SMIT"},
    {"O'", "O   "},
    {"ABC-DEF", "ABC-"},
    {"O-HARA", "O-HA"},
    {"NG-SMITH", "NG-S"},
    {"LEE2", "LEE2"},
    {"SMITH--JONES", "SMIT"},
    {"SMITH-JONES", "SMIT"},
};

static void test_name_control_table_of_worked_cases(void **state)
{
    (void)state;
    assert_true(sizeof individual_controls / sizeof individual_controls[0] >=
                40);
    for (size_t i = 0;
         i < sizeof individual_controls / sizeof individual_controls[0]; i++) {
        expect_nc(individual_controls[i].name, individual_controls[i].nc);
    }
}

static void test_name_control_short_names_padded_to_four(void **state)
{
    char out[IDENTITY_NAME_CONTROL_SIZE];

    (void)state;
    assert_int_equal(identity_name_control("LEE", 3, out), IDENTITY_OK);
    assert_memory_equal(out, "LEE \0", 5);
    assert_int_equal(identity_name_control("O", 1, out), IDENTITY_OK);
    assert_memory_equal(out, "O   \0", 5);
}

static void test_name_control_hyphen_kept_in_positions_two_to_four(void **state)
{
    (void)state;
    expect_nc("LI-SMITH", "LI-S");
    expect_nc("O-HARA", "O-HA");
    expect_nc("ABC-DEF", "ABC-");
    expect_nc("CEDAR-HAWTHORN", "CEDA");
    /* never in position 1 */
    expect_nc("-LI", "LI  ");
    expect_nc("- SMITH", "SMIT");
}

static void test_name_control_without_letters_is_an_error(void **state)
{
    (void)state;
    expect_nc_error("", IDENTITY_E_NAME_NO_LETTERS);
    expect_nc_error("-", IDENTITY_E_NAME_NO_LETTERS);
    expect_nc_error("' . ,", IDENTITY_E_NAME_NO_LETTERS);
    expect_nc_error("123", IDENTITY_E_NAME_NO_LETTERS);
    expect_nc_error("   ", IDENTITY_E_NAME_NO_LETTERS);
}

static void test_name_control_refuses_non_ascii(void **state)
{
    (void)state;
    expect_nc_error("M\xc3\xbcLLER", IDENTITY_E_NAME_CHARSET);
    expect_nc_error("\xc3\x93NEIL", IDENTITY_E_NAME_CHARSET);
    assert_int_equal(identity_name_control("LEE", 3, NULL),
                     IDENTITY_E_ARGUMENT);
    expect_nc_error_at(__FILE__, __LINE__, false, NULL, 3, IDENTITY_E_ARGUMENT);
}

static void test_name_control_of_a_very_long_name_uses_its_start(void **state)
{
    char name[2001];

    (void)state;
    memset(name, 'z', 2000);
    memcpy(name, "de la ", 6);
    name[2000] = '\0';
    expect_nc(name, "DELA");
    /* a suffix far away is still dropped and does not matter */
    memcpy(name + 2000 - 3, " JR", 3);
    expect_nc(name, "DELA");
}

/* Random printable names: whatever comes back is a well-formed name
 * control or a named error, and scrubbed names are well formed. */
static void
test_name_control_of_random_names_is_always_well_formed(void **state)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0189"
                                   "     ---'''...,,,&/()";
    struct tu_rng rng = {tu_seed(20240611)};

    (void)state;
    for (int n = 0; n < 20000; n++) {
        char name[24], nc[IDENTITY_NAME_CONTROL_SIZE];
        char scrubbed[IDENTITY_NAME_SIZE];
        size_t len = (size_t)tu_rng_below(&rng, sizeof name);
        bool letter = false;
        enum identity_status st;

        for (size_t i = 0; i < len; i++) {
            name[i] = alphabet[tu_rng_below(&rng, sizeof alphabet - 1)];
        }
        st = identity_name_control(name, len, nc);
        if (st == IDENTITY_OK) {
            assert_int_equal(strlen(nc), 4);
            assert_int_equal(identity_name_control_check(nc, 4), IDENTITY_OK);
            assert_null(strchr(nc, '&'));
        } else {
            assert_int_equal(st, IDENTITY_E_NAME_NO_LETTERS);
            assert_string_equal(nc, "");
        }
        st = identity_name_scrub(IDENTITY_FIELD_LAST, name, len, scrubbed,
                                 sizeof scrubbed, NULL);
        if (st != IDENTITY_OK) {
            assert_int_equal(st, IDENTITY_E_NAME_NO_LETTERS);
            continue;
        }
        size_t sl = strlen(scrubbed);
        assert_true(sl > 0);
        assert_true(scrubbed[0] != ' ' && scrubbed[0] != '-');
        assert_true(scrubbed[sl - 1] != ' ' && scrubbed[sl - 1] != '-');
        assert_null(strstr(scrubbed, "  "));
        assert_null(strstr(scrubbed, "--"));
        assert_null(strstr(scrubbed, " -"));
        assert_null(strstr(scrubbed, "- "));
        for (size_t i = 0; i < sl; i++) {
            char c = scrubbed[i];
            assert_true((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == ' ' || c == '-');
            letter |= c >= 'A' && c <= 'Z';
        }
        assert_true(letter);
    }
}

static const struct {
    const char *name;
    const char *nc;
} business_controls[] = {
    {"THE HOME DEPOT", "HOME"}, /* THE and two more words */
    {"THE HAWTHORN", "THEH"},   /* irs.gov: THE and one word */
    {"THE", "THE "},
    {"A & B PLUMBING", "A&BP"},
    {"The Willow Co.", "WILL"},    /* irs.gov */
    {"Joe Doe Trucking", "JOED"},  /* irs.gov */
    {"The Sunshine Cafe", "SUNS"}, /* THE and two more words */
    {"1-800-FLOWERS", "1-80"},
    {"AT&T", "AT&T"},
    {"THEATER GROUP", "THEA"}, /* THE as a word only */
    {"SMITH'S PLUMBING", "SMIT"},
    {"& SONS CO", "SONS"}, /* '&' never first */
    {"THE A & B", "A&B "},
    {"3M", "3M  "},
    {"76", "76  "},
    {"IBM", "IBM "},
    {"  the  home   depot ", "HOME"},
    {"THE HOME", "THEH"},
};

static void test_business_name_control_table_of_worked_cases(void **state)
{
    (void)state;
    for (size_t i = 0;
         i < sizeof business_controls / sizeof business_controls[0]; i++) {
        expect_business_nc(business_controls[i].name, business_controls[i].nc);
    }
}

static void test_business_the_counts_the_words_of_the_whole_name(void **state)
{
    char name[300];

    (void)state;
    /* THE, a 250-letter word, CO: the scrubbed copy is cut before CO,
     * but THE is still followed by two words. */
    memset(name, 'Q', sizeof name);
    memcpy(name, "THE ", 4);
    memcpy(name + 254, " CO", 4);
    expect_business_nc(name, "QQQQ");
    /* THE and one long word keeps THE */
    name[254] = '\0';
    expect_business_nc(name, "THEQ");
}

static void
test_business_name_control_without_letters_or_digits_is_an_error(void **state)
{
    (void)state;
    expect_business_nc_error("&", IDENTITY_E_NAME_NO_LETTERS);
    expect_business_nc_error("- & .", IDENTITY_E_NAME_NO_LETTERS);
    expect_business_nc_error("", IDENTITY_E_NAME_NO_LETTERS);
    expect_business_nc_error("CAF\xc3\x89", IDENTITY_E_NAME_CHARSET);
}

/* Found by tests/fuzz/fuzz_identity: a run of '&' longer than the scrub
 * buffer before the first letter gave "    ", which the gateway's own
 * check refuses. */
static void
test_business_name_control_after_a_long_run_of_ampersands(void **state)
{
    char name[400], out[IDENTITY_NAME_CONTROL_SIZE];
    (void)state;
    memset(name, '&', 300);
    memcpy(name + 300, "O'BRIEN & CO", 12);
    assert_int_equal(identity_business_name_control(name, 312, out),
                     IDENTITY_OK);
    assert_string_equal(out, "OBRI");
    assert_int_equal(identity_name_control_check(out, 4), IDENTITY_OK);
    /* the same name without the run */
    assert_int_equal(identity_business_name_control("O'BRIEN & CO", 12, out),
                     IDENTITY_OK);
    assert_string_equal(out, "OBRI");
    /* a run with no letter or digit after it is still no name */
    assert_int_equal(identity_business_name_control(name, 300, out),
                     IDENTITY_E_NAME_NO_LETTERS);
}

static void test_name_control_check_of_partner_values(void **state)
{
    static const char *const good[] = {"SMIT", "LEE ", "LEE",  "O   ", "O",
                                       "LI-S", "A&BP", "3M  ", "ABC-"};
    static const char *const bad[] = {"",     " LEE",  "-LEE", "&ABC", "lee ",
                                      "L EE", "SMITH", "SM.T", "LE E", "    "};

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        expect_status_at(__FILE__, __LINE__, "nc", good[i],
                         identity_name_control_check(good[i], strlen(good[i])),
                         IDENTITY_OK);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_status_at(__FILE__, __LINE__, "nc", bad[i],
                         identity_name_control_check(bad[i], strlen(bad[i])),
                         IDENTITY_E_NAME_CONTROL);
    }
    assert_int_equal(identity_name_control_check(NULL, 4), IDENTITY_E_ARGUMENT);
    /* only LEN bytes count */
    assert_int_equal(identity_name_control_check("LEE", 0),
                     IDENTITY_E_NAME_CONTROL);
    assert_int_equal(identity_name_control_check("SMITH", 4), IDENTITY_OK);
}

static void test_name_control_equal_pads_short_controls(void **state)
{
    bool same = false;

    (void)state;
    assert_int_equal(identity_name_control_equal("LEE", 3, "LEE ", 4, &same),
                     IDENTITY_OK);
    assert_true(same);
    assert_int_equal(identity_name_control_equal("LEE ", 4, "LEEE", 4, &same),
                     IDENTITY_OK);
    assert_false(same);
    assert_int_equal(identity_name_control_equal("O", 1, "O   ", 4, &same),
                     IDENTITY_OK);
    assert_true(same);
    same = true;
    assert_int_equal(identity_name_control_equal("lee", 3, "LEE", 3, &same),
                     IDENTITY_E_NAME_CONTROL);
    assert_false(same);
    assert_int_equal(identity_name_control_equal("LEE", 3, "LEE", 3, NULL),
                     IDENTITY_E_ARGUMENT);
}

/* ------------------------------------------------------------------ */
/* matching                                                            */

static void test_match_by_name_control(void **state)
{
    (void)state;
    expect_match(NC_RULE, "O'BRIEN-SMITH JR", "OBRI", IDENTITY_OK, true);
    expect_match(NC_RULE, "O'BRIEN-SMITH JR", "OBRY", IDENTITY_OK, false);
    expect_match(NC_RULE, "Lee", "LEE", IDENTITY_OK, true);
    expect_match(NC_RULE, "Lee", "LEE ", IDENTITY_OK, true);
    expect_match(NC_RULE, "Lee", "LE", IDENTITY_OK, false);
    expect_match(NC_RULE, "de la Cruz", "DELA", IDENTITY_OK, true);
    expect_match(NC_RULE, "LI-SMITH", "LI-S", IDENTITY_OK, true);
    expect_match(NC_RULE, "SMITH", "JONE", IDENTITY_OK, false);
}

static void
test_match_by_name_control_refuses_malformed_partner_value(void **state)
{
    (void)state;
    expect_match(NC_RULE, "LEE", "lee ", IDENTITY_E_NAME_CONTROL, false);
    expect_match(NC_RULE, "LEE", " LEE", IDENTITY_E_NAME_CONTROL, false);
    expect_match(NC_RULE, "LEE", "LEEDS", IDENTITY_E_NAME_CONTROL, false);
    expect_match(NC_RULE, "LEE", "", IDENTITY_E_NAME_CONTROL, false);
    expect_match(NC_RULE, "SMITH", "SMITH", IDENTITY_E_NAME_CONTROL, false);
}

static void
test_match_by_last_name_ignores_case_punctuation_and_suffix(void **state)
{
    (void)state;
    expect_match(LN_RULE, "O'Brien", "OBRIEN", IDENTITY_OK, true);
    expect_match(LN_RULE, "OBRIEN", "O BRIEN", IDENTITY_OK, true);
    expect_match(LN_RULE, "SMITH JR", "Smith", IDENTITY_OK, true);
    expect_match(LN_RULE, "SMITH", "SMITH, III", IDENTITY_OK, true);
    expect_match(LN_RULE, "DE LA CRUZ", "DELACRUZ", IDENTITY_OK, true);
    expect_match(LN_RULE, "SMITH-JONES", "SMITH JONES", IDENTITY_OK, true);
    expect_match(LN_RULE, "ST. JOHN", "STJOHN", IDENTITY_OK, true);
}

static void test_match_by_last_name_different_names_do_not_match(void **state)
{
    (void)state;
    expect_match(LN_RULE, "SMITH", "SMYTH", IDENTITY_OK, false);
    expect_match(LN_RULE, "SMITH", "SMITHE", IDENTITY_OK, false);
    expect_match(LN_RULE, "SMITHE", "SMITH", IDENTITY_OK, false);
    expect_match(LN_RULE, "SMITH-JONES", "SMITH", IDENTITY_OK, false);
    /* the same name control is not the same last name */
    expect_match(LN_RULE, "SMITH", "SMITS", IDENTITY_OK, false);
}

static void test_match_too_long_last_name_is_an_error_not_a_match(void **state)
{
    char a[IDENTITY_NAME_SIZE + 10], b[IDENTITY_NAME_SIZE + 10];
    bool same = true;

    (void)state;
    memset(a, 'A', sizeof a);
    memset(b, 'A', sizeof b);
    b[sizeof b - 1] = 'B';
    assert_int_equal(
        identity_match_name(LN_RULE, a, sizeof a, b, sizeof b, &same),
        IDENTITY_E_NAME_TOO_LONG);
    assert_false(same);
    /* either side alone being too long is enough */
    same = true;
    assert_int_equal(identity_match_name(LN_RULE, a, sizeof a, "AAA", 3, &same),
                     IDENTITY_E_NAME_TOO_LONG);
    assert_false(same);
    same = true;
    assert_int_equal(identity_match_name(LN_RULE, "AAA", 3, b, sizeof b, &same),
                     IDENTITY_E_NAME_TOO_LONG);
    assert_false(same);
    /* 127 letters still fit */
    assert_int_equal(identity_match_name(LN_RULE, a, IDENTITY_NAME_SIZE - 1, b,
                                         IDENTITY_NAME_SIZE - 1, &same),
                     IDENTITY_OK);
    assert_true(same);
}

static void test_match_unreadable_name_never_matches(void **state)
{
    (void)state;
    expect_match(NC_RULE, "'-.", "LEE", IDENTITY_E_NAME_NO_LETTERS, false);
    expect_match(LN_RULE, "LEE", "'-.", IDENTITY_E_NAME_NO_LETTERS, false);
    expect_match(LN_RULE, "M\xc3\xbcLLER", "MULLER", IDENTITY_E_NAME_CHARSET,
                 false);
    expect_match(LN_RULE, "MULLER", "M\xc3\xbcLLER", IDENTITY_E_NAME_CHARSET,
                 false);
}

static void test_match_unknown_rule_and_null_arguments(void **state)
{
    bool same = true;

    (void)state;
    assert_int_equal(identity_match_name((enum identity_match_rule)9, "LEE", 3,
                                         "LEE", 3, &same),
                     IDENTITY_E_ARGUMENT);
    assert_false(same);
    same = true;
    assert_int_equal(identity_match_name(LN_RULE, NULL, 0, "LEE", 3, &same),
                     IDENTITY_E_ARGUMENT);
    assert_false(same);
    assert_int_equal(identity_match_name(NC_RULE, "LEE", 3, NULL, 0, &same),
                     IDENTITY_E_ARGUMENT);
    assert_int_equal(identity_match_name(NC_RULE, "LEE", 3, "LEE", 3, NULL),
                     IDENTITY_E_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssn_area_000_is_invalid_and_001_valid),
        cmocka_unit_test(test_ssn_area_666_is_invalid_and_665_667_valid),
        cmocka_unit_test(test_ssn_areas_900_to_999_are_invalid_and_899_valid),
        cmocka_unit_test(test_ssn_group_00_is_invalid_and_01_valid),
        cmocka_unit_test(test_ssn_serial_0000_is_invalid_and_0001_valid),
        cmocka_unit_test(test_ssn_advertising_numbers_4320_to_4329_are_refused),
        cmocka_unit_test(test_ssn_published_numbers_are_refused),
        cmocka_unit_test(test_ssn_must_be_exactly_nine_digits),
        cmocka_unit_test(test_ssn_reports_the_first_rule_broken),
        cmocka_unit_test(test_ssn_ordinary_numbers_are_valid),
        cmocka_unit_test(test_ein_accepts_every_assigned_prefix_and_no_other),
        cmocka_unit_test(test_ein_must_be_exactly_nine_digits),
        cmocka_unit_test(test_tin_plain_nine_digits_are_kept),
        cmocka_unit_test(test_tin_ssn_form_loses_its_hyphens),
        cmocka_unit_test(test_tin_ein_form_loses_its_hyphen),
        cmocka_unit_test(test_tin_surrounding_spaces_are_dropped),
        cmocka_unit_test(test_tin_blank_is_its_own_error),
        cmocka_unit_test(test_tin_other_forms_are_refused),
        cmocka_unit_test(test_tin_null_arguments_are_refused),
        cmocka_unit_test(test_every_status_has_a_distinct_name_and_a_message),
        cmocka_unit_test(
            test_scrub_last_name_splits_suffix_and_keeps_inner_hyphen),
        cmocka_unit_test(test_scrub_compound_surname_keeps_one_blank_per_gap),
        cmocka_unit_test(test_scrub_suffix_with_comma_or_period_is_split),
        cmocka_unit_test(
            test_scrub_first_name_collapses_blanks_and_drops_periods),
        cmocka_unit_test(test_scrub_apostrophes_and_periods_vanish),
        cmocka_unit_test(test_scrub_hyphen_is_kept_only_inside_a_word),
        cmocka_unit_test(test_scrub_other_punctuation_separates_words),
        cmocka_unit_test(test_scrub_leading_title_dropped_from_first_name),
        cmocka_unit_test(test_scrub_trailing_title_dropped_from_last_name),
        cmocka_unit_test(test_scrub_title_letters_inside_a_word_are_kept),
        cmocka_unit_test(test_scrub_surname_that_is_only_a_suffix_stays),
        cmocka_unit_test(test_scrub_suffix_is_split_from_last_names_only),
        cmocka_unit_test(test_scrub_single_letter_names),
        cmocka_unit_test(test_scrub_name_without_letters_is_an_error),
        cmocka_unit_test(test_scrub_refuses_non_ascii_and_control_bytes),
        cmocka_unit_test(
            test_scrub_long_name_is_cut_to_the_buffer_with_an_error),
        cmocka_unit_test(test_scrub_cut_never_ends_in_a_blank_or_hyphen),
        cmocka_unit_test(test_scrub_business_keeps_ampersand),
        cmocka_unit_test(test_scrub_bad_arguments_are_refused),
        cmocka_unit_test(test_suffix_texts),
        cmocka_unit_test(test_name_control_table_of_worked_cases),
        cmocka_unit_test(test_name_control_short_names_padded_to_four),
        cmocka_unit_test(
            test_name_control_hyphen_kept_in_positions_two_to_four),
        cmocka_unit_test(test_name_control_without_letters_is_an_error),
        cmocka_unit_test(test_name_control_refuses_non_ascii),
        cmocka_unit_test(test_name_control_of_a_very_long_name_uses_its_start),
        cmocka_unit_test(
            test_name_control_of_random_names_is_always_well_formed),
        cmocka_unit_test(test_business_name_control_table_of_worked_cases),
        cmocka_unit_test(test_business_the_counts_the_words_of_the_whole_name),
        cmocka_unit_test(
            test_business_name_control_without_letters_or_digits_is_an_error),
        cmocka_unit_test(
            test_business_name_control_after_a_long_run_of_ampersands),
        cmocka_unit_test(test_name_control_check_of_partner_values),
        cmocka_unit_test(test_name_control_equal_pads_short_controls),
        cmocka_unit_test(test_match_by_name_control),
        cmocka_unit_test(
            test_match_by_name_control_refuses_malformed_partner_value),
        cmocka_unit_test(
            test_match_by_last_name_ignores_case_punctuation_and_suffix),
        cmocka_unit_test(test_match_by_last_name_different_names_do_not_match),
        cmocka_unit_test(test_match_too_long_last_name_is_an_error_not_a_match),
        cmocka_unit_test(test_match_unreadable_name_never_matches),
        cmocka_unit_test(test_match_unknown_rule_and_null_arguments),
    };

    alarm(120);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
