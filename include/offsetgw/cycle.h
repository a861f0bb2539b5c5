/*
 * cycle.h - outbound cycles: what the tax board or the treasury must be
 * told, in its own file.
 *
 * Owns building one outbound debt file for a partner: every debt of the
 * partner's program that changed since the last cycle or was never sent,
 * compared with what the partner was last told (a new eligible debt is an
 * add, a different balance an increase or decrease, a debt no longer
 * eligible or zeroed a zero-out), in the partner's layout with its control
 * totals.  The action codes come from what the layout's codes mean
 * (means="add" ...), so one cycle serves every partner.  The cycle, the
 * record of what was sent and the file's row are one transaction; the
 * file reaches the outbox only after it commits.  Running a cycle again
 * sends nothing twice.
 *
 * Where the program's notice follows the address match (TOP), a cycle is
 * two files, each its own transaction: first the address request (every
 * debt in status P not asked about since it entered P), then the
 * referral, which takes only certified debts: a debt whose notice was
 * sent (S) becomes certified (C) in the referral that first carries it,
 * once the notice period has passed and its balance still meets the
 * program's minimum.
 */
#ifndef OFFSETGW_CYCLE_H
#define OFFSETGW_CYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct cycle_request {
    const struct home *home;
    struct store *store;
    const char *programs_dir;
    const struct store_partner *partner; /* a taxboard or a treasury */
};

struct cycle_result {
    int64_t cycle_id; /* 0 when there was nothing to send */
    int64_t file_id;
    int64_t adds, changes, zeros, deferred; /* deferred: not yet eligible */
    int64_t certified;                      /* of the adds: S -> C now */
    int64_t amount_cents;                   /* sum of the amounts sent */
    char path[HOME_PATH_MAX];               /* the delivered file */
    /* the address request before it, where the program has one */
    int64_t request_cycle_id; /* 0 when none was due */
    int64_t request_file_id;
    int64_t requested;
    char request_path[HOME_PATH_MAX];
};

/* Run one cycle.  0 (RESULT->cycle_id 0 when nothing was due), or
 * negative with ERR; nothing is recorded then. */
/* The exchange a partner of KIND gets its debts in ("taxboard-debt",
 * "treasury-referral"); NULL for a kind that gets none. */
const char *cycle_exchange(enum partner_kind kind);

int cycle_run(const struct cycle_request *rq, struct cycle_result *res,
              char *err, size_t err_size);

/* --- scheduled cycles ------------------------------------------------------
 */

/* Is a daily cycle at DAILY ("HH:MM"; "" none) due at NOW_HM (hours * 100
 * + minutes) on TODAY, when it last ran on RAN_ON (yyyymmdd)?  Due once
 * a day, from its time on: a gateway down at that time runs it when it
 * is back the same day. */
bool cycle_due(const char *daily, int32_t ran_on, int32_t today, int now_hm);

/* Is TEXT a daily time "HH:MM" (00:00 to 23:59)? */
bool cycle_daily_ok(const char *text);

/* Run every tax board's and treasury's cycle that is due (cycle_due()),
 * each noted as run today whatever it sent; FN (may be NULL) hears of
 * each one run.  RQ's partner is not read.  0, or the first failure with
 * ERR (the others still run). */
int cycle_run_scheduled(const struct cycle_request *rq, int32_t today,
                        int now_hm,
                        void (*fn)(const struct store_partner *p,
                                   const struct cycle_result *res, void *ctx),
                        void *ctx, char *err, size_t err_size);

#endif
