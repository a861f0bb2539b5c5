/*
 * calendar.c - yyyymmdd arithmetic (see calendar.h).
 *
 * Days from civil dates by the proleptic Gregorian algorithm (Howard
 * Hinnant's days_from_civil), in integers only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "offsetgw/calendar.h"

int64_t calendar_days(int32_t ymd)
{
    int64_t y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int32_t calendar_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

int32_t calendar_add_days(int32_t ymd, int32_t n)
{
    return calendar_from_days(calendar_days(ymd) + n);
}

bool calendar_valid(int32_t ymd)
{
    int32_t y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    return calendar_from_days(calendar_days(ymd)) == ymd;
}

/* "YYYY-MM-DD" -> yyyymmdd, 0 when it is not one. */
static int32_t parse_iso(const char *s)
{
    int32_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-')
                return 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return s[10] == '\0' && calendar_valid(v) ? v : 0;
}

int32_t calendar_today(int32_t *hms)
{
    const char *fixed = getenv("OFFSETGW_TODAY");
    int32_t ymd = fixed != NULL ? parse_iso(fixed) : 0;
    if (ymd != 0) {
        if (hms != NULL)
            *hms = 0;
        return ymd;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (hms != NULL)
        *hms = tm.tm_hour * 10000 + tm.tm_min * 100 + tm.tm_sec;
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

void calendar_format(int32_t ymd, char *buf)
{
    snprintf(buf, 11, "%04d-%02d-%02d", (int)(ymd / 10000),
             (int)(ymd / 100 % 100), (int)(ymd % 100));
}
