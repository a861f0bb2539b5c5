/*
 * test_calendar.c - yyyymmdd arithmetic and the gateway's "today".
 */
#include <stdlib.h>

#include "testutil.h"

#include "offsetgw/calendar.h"

static void test_every_day_from_1900_to_2100_round_trips(void **state)
{
    (void)state;
    int64_t day = calendar_days(19000101);
    for (int32_t ymd = 19000101; ymd < 21010101;) {
        assert_int_equal(calendar_days(ymd), day);
        assert_int_equal(calendar_from_days(day), ymd);
        assert_true(calendar_valid(ymd));
        day++;
        ymd = calendar_from_days(day);
    }
    assert_int_equal(calendar_days(19700101), 0);
    assert_int_equal(calendar_days(20000301) - calendar_days(20000228), 2);
    assert_int_equal(calendar_days(19000301) - calendar_days(19000228), 1);
}

static void test_adding_days_crosses_months_years_and_leap_days(void **state)
{
    (void)state;
    assert_int_equal(calendar_add_days(20261126, 30), 20261226);
    assert_int_equal(calendar_add_days(20261215, 30), 20270114);
    assert_int_equal(calendar_add_days(20240215, 15), 20240301);
    assert_int_equal(calendar_add_days(20230215, 15), 20230302);
    assert_int_equal(calendar_add_days(20240301, -1), 20240229);
    assert_int_equal(calendar_add_days(20260101, 120), 20260501);
}

static void test_impossible_dates_are_not_valid(void **state)
{
    (void)state;
    assert_false(calendar_valid(20230229));
    assert_false(calendar_valid(19000229));
    assert_true(calendar_valid(20000229));
    assert_false(calendar_valid(20261301));
    assert_false(calendar_valid(20261100));
    assert_false(calendar_valid(20260931));
    assert_false(calendar_valid(0));
}

static void test_today_can_be_fixed_for_repeatable_runs(void **state)
{
    int32_t hms = -1;
    char buf[11];
    (void)state;
    setenv("OFFSETGW_TODAY", "2026-11-26", 1);
    assert_int_equal(calendar_today(&hms), 20261126);
    assert_int_equal(hms, 0);
    setenv("OFFSETGW_TODAY", "2026-02-30", 1); /* not a date: ignored */
    assert_true(calendar_valid(calendar_today(NULL)));
    unsetenv("OFFSETGW_TODAY");
    assert_true(calendar_today(NULL) >= 20260101);
    calendar_format(20261126, buf);
    assert_string_equal(buf, "2026-11-26");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_day_from_1900_to_2100_round_trips),
        cmocka_unit_test(test_adding_days_crosses_months_years_and_leap_days),
        cmocka_unit_test(test_impossible_dates_are_not_valid),
        cmocka_unit_test(test_today_can_be_fixed_for_repeatable_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
