/*
 * calendar.h - calendar dates as yyyymmdd integers, and "today".
 *
 * Owns date arithmetic for the rules that count days (notice periods,
 * delinquency, appeal windows, referral delays) and the gateway's idea of
 * today: the system date in UTC, or $OFFSETGW_TODAY (YYYY-MM-DD) when set,
 * so that demos and byte-for-byte tests are repeatable.
 */
#ifndef OFFSETGW_CALENDAR_H
#define OFFSETGW_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of the valid date YMD (yyyymmdd). */
int64_t calendar_days(int32_t ymd);

/* The yyyymmdd of day DAYS since 1970-01-01. */
int32_t calendar_from_days(int64_t days);

/* YMD plus N days (N may be negative). */
int32_t calendar_add_days(int32_t ymd, int32_t n);

/* true when YMD is a real calendar date. */
bool calendar_valid(int32_t ymd);

/* Today (see above); *HMS gets the time of day as hhmmss when not NULL
 * (000000 when $OFFSETGW_TODAY is set). */
int32_t calendar_today(int32_t *hms);

/* "2026-11-26" into BUF (at least 11 bytes). */
void calendar_format(int32_t ymd, char *buf);

#endif
