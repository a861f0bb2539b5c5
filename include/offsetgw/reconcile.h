/*
 * reconcile.h - an agency's reconciliation file for a period.
 *
 * Owns the account of an agency's money over a calendar month: per debt
 * the opening balance, additions, collections, reversals, adjustments,
 * fees, net remitted and closing balance, in the program's fixed-width
 * layout and its CSV twin (for a spreadsheet or a financial system),
 * written to the agency's outbox.  Net remitted is what the agency was
 * paid in the period: amount - fee of each collection, offset and
 * reversal a partner reported (the tax board, the treasury: final_on 0),
 * counted when it happened; and of each offset the gateway computed from
 * a payer's payment, counted when it was remitted (remit.h), never when
 * taken (an offset reversed by an upheld appeal never is).  Every other
 * column counts money when it moved.  Every line is checked before it is
 * written: opening + additions - collections + reversals - adjustments
 * must be the closing balance the history holds, to the cent, and the
 * collections and reversals the history shows must be the ledger's; a
 * debt that does not tie out stops the run and nothing is delivered.
 */
#ifndef OFFSETGW_RECONCILE_H
#define OFFSETGW_RECONCILE_H

#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct reconcile_request {
    const struct home *home;
    struct store *store;
    const char *programs_dir;
    const struct store_partner *agency;
    int32_t year, month; /* the period: one calendar month, UTC */
};

struct reconcile_result {
    int64_t debts; /* lines written */
    int64_t opening, additions, collections, reversals, adjustments, fees,
        net_remitted, closing;    /* the totals, in cents */
    char path[HOME_PATH_MAX];     /* the fixed-width file delivered */
    char csv_path[HOME_PATH_MAX]; /* its CSV twin ("" when the program has
                                     none) */
};

/* Write and deliver the agency's files for the period.  0, or negative
 * with ERR (-EPROTO: a debt that does not tie out). */
int reconcile_agency(const struct reconcile_request *rq,
                     struct reconcile_result *res, char *err, size_t err_size);

#endif
