/*
 * remit.h - paying agencies the offsets a payer's payments made, once
 * they are final (the setoff-program model).
 *
 * Owns one remittance run for one payer on one day: every offset the
 * gateway computed from the payer's payments (payer.h) that is final on
 * that day (its final_on, or a denied appeal's, is that day or earlier),
 * not held by an undecided appeal, not reversed (an upheld appeal) and
 * not remitted before is paid to its agency: one agency-remittance file
 * per agency in its outbox (amount, fee withheld, net per offset; the
 * trailer's count and sums), and rows recording what was remitted when.
 * Each offset is remitted once, whatever runs (the registry's key says
 * so).  One transaction per run: on any failure nothing of it is
 * recorded and no file appears.  It does not move balances: an offset
 * lowered the debt when it was taken; reconciliation counts its net in
 * the period it is remitted (reconcile.h).
 */
#ifndef OFFSETGW_REMIT_H
#define OFFSETGW_REMIT_H

#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct remit_request {
    const struct home *home;
    struct store *store;
    const char *programs_dir;          /* formats/programs */
    const struct store_partner *payer; /* a payer of a setoff program */
    int32_t day;                       /* yyyymmdd, today or earlier */
};

/* One agency's remittance, as delivered. */
struct remit_file {
    const struct store_partner *agency;
    int64_t remittance_id;
    int64_t offsets, amount_cents, fee_cents, net_cents;
    const char *path;
};

struct remit_result {
    int64_t offsets, amount_cents, fee_cents, net_cents;
    int64_t agency_files;
};

/* Remit what is due on RQ->day.  FN (may be NULL) gets each agency's
 * file once the run committed.  0 (also when nothing was due: no file),
 * -EINVAL with ERR for a request that makes no sense (not a payer, not
 * a setoff program, a day still to come: an offset remitted before its
 * window closes could be appealed after), other negatives on system
 * errors, with ERR. */
int remit_run(const struct remit_request *rq, struct remit_result *res,
              void (*fn)(const struct remit_file *f, void *ctx), void *ctx,
              char *err, size_t err_size);

#endif
