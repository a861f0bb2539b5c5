/*
 * ledger.c - the rules of a money event (see ledger.h).
 */
#include <errno.h>
#include <string.h>

#include "offsetgw/ledger.h"

static void money(int64_t cents, char *buf, size_t size)
{
    struct field_value v = {.num = cents, .state = VALUE_OK};
    struct layout_field f = {.type = FT_AMOUNT};
    field_value_render(&f, &v, buf, size);
}

int ledger_apply(struct store *s, int64_t partner_id,
                 const struct money_event *ev, const struct store_source *src,
                 struct check_result *why)
{
    return ledger_apply_entry(s, partner_id, ev, src, why, NULL);
}

int ledger_apply_entry(struct store *s, int64_t partner_id,
                       const struct money_event *ev,
                       const struct store_source *src, struct check_result *why,
                       int64_t *entry_id)
{
    struct store_debt debt;
    struct store_entry e = {
        .debt_id = ev->debt_id,
        .partner_id = partner_id,
        .kind = ev->kind,
        .amount_cents = ev->amount_cents,
        .fee_cents = ev->fee_cents > 0 ? ev->fee_cents : 0,
        .payment_date = ev->payment_date,
        .src = *src,
        .final_on = ev->final_on,
        .deducted_cents = ev->deducted_cents > 0 ? ev->deducted_cents : 0};
    char a[24], b[24];
    int64_t sent;
    int rc;

    why->code = CHECK_OK;
    rc = 0;
    if (ev->debt != NULL && ev->debt->id == ev->debt_id)
        debt = *ev->debt;
    else
        rc = store_debt_get_id(s, ev->debt_id, &debt);
    if (rc == 0 && !ev->allocated)
        rc = store_sent_get(s, partner_id, ev->debt_id, &sent);
    if (rc == -ENOENT)
        return check_fail(why, C_UNKNOWN_DEBT, "agency_debt_id",
                          "debt %lld was never sent to you",
                          (long long)ev->debt_id);
    if (rc < 0)
        return rc;
    if (ev->amount_cents <= 0)
        return check_fail(why, C_AMOUNT, "amount", "no amount");
    store_text_copy(e.trace_id, sizeof(e.trace_id), ev->trace_id);
    store_text_copy(e.payment_source, sizeof(e.payment_source),
                    ev->payment_source);

    int64_t balance = debt.balance_cents;
    if (ev->kind == ENTRY_REVERSAL) {
        struct store_entry offset;
        bool reversed = false;
        rc = store_offset_find(s, partner_id, ev->reverses ? ev->reverses : "",
                               &offset);
        if (rc == -ENOENT || (rc == 0 && offset.debt_id != ev->debt_id))
            return check_fail(why, C_UNKNOWN_OFFSET, "reversal_of",
                              "no offset '%s' of this debt to reverse",
                              ev->reverses ? ev->reverses : "");
        if (rc < 0 || (rc = store_offset_reversed(s, offset.id, &reversed)) < 0)
            return rc;
        if (reversed)
            return check_fail(why, C_REVERSED, "reversal_of",
                              "offset '%s' was reversed already",
                              offset.trace_id);
        if (ev->amount_cents > offset.amount_cents) {
            money(ev->amount_cents, a, sizeof(a));
            money(offset.amount_cents, b, sizeof(b));
            return check_fail(why, C_REVERSAL_AMT, "amount",
                              "reversal of %s is more than the offset's %s", a,
                              b);
        }
        e.reverses = offset.id;
        balance += ev->amount_cents;
    } else {
        if (ev->amount_cents > balance) {
            money(ev->amount_cents, a, sizeof(a));
            money(debt.balance_cents, b, sizeof(b));
            return check_fail(why, C_OVER_BALANCE, "amount",
                              "%s is more than the balance of %s", a, b);
        }
        if (ev->kind == ENTRY_OFFSET && e.trace_id[0] == '\0')
            return check_fail(why, C_DUP_TRACE, "trace_id",
                              "an offset needs its trace id");
        balance -= ev->amount_cents;
    }
    /* an offset's trace id is once per partner: the registry's unique
     * index says so as the entry goes in (nothing else has changed yet) */
    rc = store_entry_add(s, &e, entry_id);
    if (rc == -EEXIST && ev->kind == ENTRY_OFFSET)
        return check_fail(why, C_DUP_TRACE, "trace_id",
                          "offset '%s' was reported before", e.trace_id);
    if (rc < 0 ||
        (rc = store_debt_rebalance(s, &debt, balance, debt.fees_cents,
                                   entry_kind_name(ev->kind), src)) < 0)
        return rc;
    return CHECK_OK;
}
