/*
 * ledger.h - money against debts: offsets, reversals, collections.
 *
 * Owns the rules of one money event reported by a partner (the tax board,
 * the treasury) or allocated by the gateway from a payer's payment: the
 * debt must be one the partner was sent (a payer's offsets are the
 * gateway's own allocation: they say so, and skip only that rule); an
 * offset or collection never takes a balance below zero and an
 * offset's trace id is used once; a reversal names its offset by trace
 * id, restores the balance, and is refused when the offset is unknown,
 * reversed already, of another debt, or smaller than the reversal.  A
 * refused event changes nothing; an accepted one is a ledger entry and a
 * balance change in the debt's history, both with the file and line it
 * came from.  Runs inside the caller's transaction.
 */
#ifndef OFFSETGW_LEDGER_H
#define OFFSETGW_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "offsetgw/debtcheck.h"
#include "offsetgw/store.h"

struct money_event {
    enum entry_kind kind;
    int64_t debt_id;
    int64_t amount_cents; /* > 0, whichever way the money goes */
    int64_t fee_cents;    /* the partner's fee on it, recorded */
    const char *trace_id; /* the partner's id of this event */
    const char *reverses; /* reversals: the offset's trace id */
    int32_t payment_date;
    const char *payment_source;
    /* the gateway allocated it from PARTNER's payment (the setoff model):
     * the debt need not have been sent to the partner */
    bool allocated;
    int32_t final_on; /* yyyymmdd the offset becomes final; 0: at once */
    /* allocated offsets: the fee deducted from the payment for it; a
     * reversal of one: the same, given back to the payee */
    int64_t deducted_cents;
    /* the debt as the caller read it in this transaction (and changed
     * since only through the ledger), or NULL: the ledger reads it */
    const struct store_debt *debt;
};

/* Apply EV reported by PARTNER_ID from SRC.  CHECK_OK when applied, a
 * rejection code (also in WHY) when not; negative on a registry error
 * (STORE's error says why). */
int ledger_apply(struct store *store, int64_t partner_id,
                 const struct money_event *ev, const struct store_source *src,
                 struct check_result *why);

/* The same, and the new ledger entry's id in *ENTRY_ID (when not NULL
 * and the event was applied). */
int ledger_apply_entry(struct store *store, int64_t partner_id,
                       const struct money_event *ev,
                       const struct store_source *src, struct check_result *why,
                       int64_t *entry_id);

#endif
