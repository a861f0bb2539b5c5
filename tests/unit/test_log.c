/*
 * test_log.c - the event log's lines (log.h): key=value quoting and
 * escaping, JSON string escaping (quotes, backslashes, control and
 * non-ASCII bytes), numbers bare, NULL strings, standalone SSNs masked in
 * string values but not digests or counts, and long lines cut into lines
 * that still parse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "offsetgw/log.h"

static char line[LOG_LINE_MAX];

__attribute__((format(printf, 2, 3))) static const char *
fmt(enum log_format f, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    size_t n = log_vformat(line, sizeof(line), f, format, ap);
    va_end(ap);
    assert_int_equal(n, strlen(line));
    return line;
}

static void test_format_names(void **state)
{
    enum log_format f = LOG_FORMAT_JSON;
    (void)state;
    assert_int_equal(log_format_parse("kv", &f), 0);
    assert_int_equal(f, LOG_FORMAT_KV);
    assert_int_equal(log_format_parse("json", &f), 0);
    assert_int_equal(f, LOG_FORMAT_JSON);
    assert_int_equal(log_format_parse("JSON", &f), -EINVAL);
    assert_int_equal(log_format_parse("", &f), -EINVAL);
    assert_int_equal(log_format_parse(NULL, &f), -EINVAL);
}

static void test_kv_plain_values_bare_and_spaces_quoted(void **state)
{
    (void)state;
    assert_string_equal(fmt(LOG_FORMAT_KV,
                            "event=upload partner=%s bytes=%lld ok=1 "
                            "reason=%s",
                            "demo-agency", 1234567890123LL, "no such file"),
                        "offsetgw event=upload partner=demo-agency "
                        "bytes=1234567890123 ok=1 reason=\"no such file\"\n");
}

static void test_kv_escapes_quotes_controls_and_equals(void **state)
{
    (void)state;
    assert_string_equal(
        fmt(LOG_FORMAT_KV, "event=x path=%s", "/in/a\"b\\c\nd=e\x01\xff"),
        "offsetgw event=x path=\"/in/a\\\"b\\\\c\\nd=e\\x01\\xff\"\n");
    assert_string_equal(
        fmt(LOG_FORMAT_KV, "event=x empty=%s none=%s", "", (const char *)NULL),
        "offsetgw event=x empty=\"\" none=-\n");
}

static void test_json_escaping(void **state)
{
    (void)state;
    assert_string_equal(
        fmt(LOG_FORMAT_JSON, "event=error what=%s reason=%s n=%u big=%llu",
            "down\"load", "tab\there\\ \x1f \xc3\xa9", 7u,
            18446744073709551615ULL),
        "{\"event\":\"error\",\"what\":\"down\\\"load\","
        "\"reason\":\"tab\\there\\\\ \\u001f \\u00c3\\u00a9\",\"n\":7,"
        "\"big\":18446744073709551615}\n");
    /* literal digits are numbers; other literals strings */
    assert_string_equal(fmt(LOG_FORMAT_JSON,
                            "event=stop ok=1 console=off "
                            "neg=%d sz=%zu l=%ld",
                            -3, (size_t)9, -40L),
                        "{\"event\":\"stop\",\"ok\":1,\"console\":\"off\","
                        "\"neg\":-3,\"sz\":9,\"l\":-40}\n");
}

static void test_ssn_masked_in_strings_only(void **state)
{
    (void)state;
    assert_string_equal(fmt(LOG_FORMAT_KV, "event=x path=%s why=%s",
                            "/inbox/123456789.txt", "ssn 123-45-6789 bad"),
                        "offsetgw event=x path=/inbox/*****6789.txt "
                        "why=\"ssn ***-**-6789 bad\"\n");
    /* a digest with a run of nine digits, ten digits, numbers: kept */
    const char *hex = "ab123456789cd";
    assert_string_equal(fmt(LOG_FORMAT_JSON, "event=x sha=%s ten=%s n=%lld",
                            hex, "1234567890", 123456789LL),
                        "{\"event\":\"x\",\"sha\":\"ab123456789cd\","
                        "\"ten\":\"1234567890\",\"n\":123456789}\n");
}

static void test_long_lines_cut_but_parse(void **state)
{
    char big[3 * LOG_LINE_MAX];
    (void)state;
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[10] = '"';
    fmt(LOG_FORMAT_JSON, "event=x a=%s b=%d", big, 5);
    size_t n = strlen(line);
    assert_true(n < LOG_LINE_MAX);
    assert_memory_equal(line + n - 3, "\"}\n", 3);
    assert_memory_equal(line, "{\"event\":\"x\",\"a\":\"qqqqqqqqqq\\\"q", 29);
    fmt(LOG_FORMAT_KV, "event=x a=%s b=%d", big, 5);
    n = strlen(line);
    assert_true(n < LOG_LINE_MAX);
    assert_memory_equal(line + n - 2, "\"\n", 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_kv_plain_values_bare_and_spaces_quoted),
        cmocka_unit_test(test_kv_escapes_quotes_controls_and_equals),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_ssn_masked_in_strings_only),
        cmocka_unit_test(test_long_lines_cut_but_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
