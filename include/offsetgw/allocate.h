/*
 * allocate.h - the allocation of one payment among one debtor's claims:
 * how much each debt is offset, the fees, and what is released.
 *
 * Owns the setoff-program model's arithmetic (DESIGN.md sections 1, 3, 4):
 * given ONE payment to a debtor (a tax refund, payroll, lottery winnings,
 * unclaimed property ...; single or joint) and that debtor's open claims,
 * possibly of several agencies, it applies the program profile's joint
 * rule, claim order, caps by payment source and fees, and proves that
 * the money is conserved.  It is pure computation: no I/O, no memory
 * allocation (the caller gives the output arrays), no globals, no floating
 * point.  Every number comes from the profile (profile.h); no program name
 * appears in an `if`.
 *
 * It does not match payments to debtors, read or write files, record
 * anything in the registry, bill fees that are not netted from the money
 * (billing="monthly"/"yearly"), or add fees to debts (kind add-to-debt:
 * those are already in the balance the caller passes).
 *
 * THE RULES, in the order they are applied
 *
 * 1. Payment source.  The cap entry of the payment's source
 *    (profile_cap_for).  A source the profile does not list
 *    (ALLOCATE_UNKNOWN_SOURCE) or lists as <exempt> (ALLOCATE_EXEMPT_SOURCE)
 *    is never offset: every claim gets nothing and the whole payment is
 *    released.
 *
 * 2. Offsettable base.  A single payment: its amount.  A joint payment,
 *    by the profile's joint-refund rule:
 *      debtor-share  base = floor(amount * debtor_share_bp / 10000); the
 *                    rest is the spouse's and is released (spouse_cents);
 *      whole         base = the whole amount;
 *      not-allowed   base = 0 (ALLOCATE_JOINT_NOT_ALLOWED), all released.
 *
 * 3. Order.  Claims are sorted by profile_claim_cmp (priority class in
 *    file order, then the profile's tie-break: largest balance or oldest
 *    delinquency, then the other one), then by their index in the input,
 *    so the order is total and repeatable.  A claim whose debt type no
 *    priority class covers (or is NULL) is REFUSED: it sorts last and gets
 *    nothing (ALLOCATE_UNKNOWN_DEBT_TYPE).  Intake already refuses such debts
 *    (C_DEBT_TYPE); one can only reach here when the profile changed under
 *    a registered debt, and the program gives no authority to take money
 *    for a debt type it does not list.
 *
 * 4. Caps.  Each claim has a cap: profile_cap_bp(profile, source,
 *    debt_type) basis points (an override for its debt type wins) of the
 *    cap base: the offsettable base of rule 2 (base="payment") or the
 *    disposable earnings given with the payment (base="disposable-pay").
 *    The rule is CUMULATIVE: when a claim is reached, everything taken
 *    from the payment so far (offsets and deducted fees of every earlier
 *    claim) plus what this claim takes (its agency's deducted fee and its
 *    offset) never exceeds its own cap.  So the total taken by claims
 *    whose cap is X% or less never exceeds X% of the cap base, whatever
 *    their order; a claim with a higher cap may take more after the
 *    others took theirs; a claim with a lower cap after a higher-capped
 *    claim only gets what the higher one left under the lower cap.
 *    Deducted fees count against caps: they are taken from the same pay.
 *
 * 5. Pay in full, in order.  For each claim in order:
 *      room   = min(base - taken so far, cap amount - taken so far), >= 0
 *      offset = min(balance, room - fee)
 *    where fee is the agency's deducted fee (rule 6) when this is the
 *    agency's first offset on this payment, else 0.  Each claim is paid in
 *    full before the next gets anything.  A profile with
 *    <pay-in-full value="false"> is refused (-ENOTSUP): it is the only
 *    allocation implemented.
 *
 * 6. Fees, each only when enabled, billing="netted", and `applies` matches
 *    the claim's has_tin (all / with-tin / without-tin):
 *      deduct-per-offset    a flat fee per AGENCY per payment, deducted
 *                           from the payment just before that agency's
 *                           first offset (the sum of such fees applying to
 *                           the claim being offset).  When room cannot pay
 *                           the fee plus at least one cent, the claim gets
 *                           nothing and no fee (ALLOCATE_FEE_UNPAYABLE);
 *                           the next claim in order is tried: one of an
 *                           agency that already paid its fee may take what
 *                           is left; under one cap the blocked agency gets
 *                           nothing (room never grows), while a later claim
 *                           of it with a higher cap may still succeed. Reported
 * as fee_cents on the agency's first line with an offset. withhold-percent
 * floor(offset * bp / 10000) kept back from the agency's remittance; the debt
 * is still credited with the whole offset.  bp is the enabled percentage fee
 * for debts with or without an SSN/EIN (profile_fee_withheld_bp).
 *      withhold-per-offset  a flat amount per line with an offset, kept
 *                           back from the remittance after the percentage,
 *                           never more than what is left of the offset.
 *      add-to-debt          nothing: already in the balance.
 *    Rounding is always down: the remainder cent stays with the debtor
 *    (joint share, caps) or with the agency (withheld fees).
 *
 * WORKED EXAMPLES (cents in brackets)
 *
 *   Utah Finder, $15 per agency, TAX refund $180.00, claims ORS $100, HED
 *   $40, LOC $30 (three agencies, in that class order):
 *     ORS: fee 15.00, offset 100.00  -> taken 115.00, left 65.00
 *     HED: fee 15.00, offset  40.00  -> taken 170.00, left 10.00
 *     LOC: 10.00 cannot pay 15.00 + 0.01 -> nothing (FEE_UNPAYABLE)
 *     offsets 140.00 + fees 30.00 + released 10.00 == 180.00
 *
 *   Kansas payroll, net pay $800.00, disposable earnings $1,000.00 (cap
 *   PAY 25% of disposable, override 100% for debt type 11 state tax);
 *   claims 29 other $500 (older) and 11 tax $300:
 *     29: cap 25% of 1000.00 = 250.00; offset 250.00 (CAP_REACHED)
 *     11: cap 100% = 1000.00 - 250.00 taken = 750.00; left of the pay
 *         550.00; offset 300.00 (PAID_IN_FULL)
 *     released 250.00.  Were the tax debt older it would take 300.00 and
 *     the other debt would get 250.00 - 300.00 < 0 -> nothing.
 *
 *   Kansas joint TAX refund $1,000.01, debtor's share 60.00% (6000 bp):
 *     base floor(100001 * 6000 / 10000) = 60000.6 -> 600.00; spouse_cents
 *     400.01 released; a $700 debt gets 600.00.
 *
 *   Kansas withheld fee: offset $33.33 with an SSN: 18.40% -> 613.272 ->
 *   withheld 6.13, remit 27.20; without: 23.40% -> 7.79, remit 25.54.
 *
 *   TOP $15 per offset withheld: offset $100.00 -> withheld 15.00, remit
 *   85.00; offset $10.00 -> withheld 10.00, remit 0.00.
 *
 * MONEY INVARIANTS, checked on every result (allocate_check) before
 * allocate_run returns it:
 *   offsets + fees deducted + released == payment amount, to the cent;
 *   spouse_cents <= released; taken <= base;
 *   0 <= offset <= the claim's balance; remit + withheld == offset;
 *   nothing negative; the totals are the sums of the lines; each claim on
 *   exactly one line; at most one fee per agency, on its first offset;
 *   every line within its cumulative cap (rule 4).
 * All amounts are bounded by ALLOCATE_MAX_CENTS, so no sum can overflow.
 */
#ifndef OFFSETGW_ALLOCATE_H
#define OFFSETGW_ALLOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offsetgw/profile.h"

/* Largest payment, balance or disposable earnings taken: $10 trillion. */
#define ALLOCATE_MAX_CENTS INT64_C(1000000000000000)
/* Most claims one payment is allocated among. */
#define ALLOCATE_MAX_CLAIMS 1024

/* One open claim (debt) of the debtor. */
struct allocate_claim {
    const char *debt_id;      /* the caller's id; copied to the line */
    const char *agency_id;    /* required: equal strings = one agency */
    const char *debt_type;    /* a code of the program's agency-debt file */
    int64_t balance_cents;    /* what is owed now, fees added to the debt
                                 included; 0 .. ALLOCATE_MAX_CENTS */
    int32_t delinquent_since; /* yyyymmdd, for the "oldest" tie-break */
    bool has_tin;             /* submitted with an SSN/EIN */
};

/* The payment being allocated. */
struct allocate_payment {
    const char *source;       /* payment source code: "TAX", "PAY", ... */
    int64_t amount_cents;     /* 0 .. ALLOCATE_MAX_CENTS */
    int64_t disposable_cents; /* disposable earnings of the pay period,
                                 used only when the source's cap is of
                                 disposable pay (0 there: nothing can be
                                 offset); 0 .. ALLOCATE_MAX_CENTS */
    bool joint;               /* a joint payment (joint income tax return) */
    int32_t debtor_share_bp;  /* joint: the debtor's share of the income,
                                 0 .. 10000; used by the debtor-share rule */
};

/* Why the payment could or could not be offset. */
enum allocate_status {
    ALLOCATE_OFFSETTABLE,       /* rules 4-6 decided each claim */
    ALLOCATE_UNKNOWN_SOURCE,    /* the profile does not list the source */
    ALLOCATE_EXEMPT_SOURCE,     /* the source is <exempt> */
    ALLOCATE_JOINT_NOT_ALLOWED, /* joint, and the profile never offsets it */
};

/* Why one claim got what it got. */
enum allocate_reason {
    ALLOCATE_PAID_IN_FULL,      /* offset == balance (balance > 0) */
    ALLOCATE_NO_BALANCE,        /* balance 0: nothing owed */
    ALLOCATE_PAYMENT_USED_UP,   /* the base ran out first */
    ALLOCATE_CAP_REACHED,       /* its cap stopped it (rule 4) */
    ALLOCATE_FEE_UNPAYABLE,     /* room < the agency's fee + 1 cent */
    ALLOCATE_UNKNOWN_DEBT_TYPE, /* refused: no class covers the type */
    ALLOCATE_NOT_OFFSETTABLE,   /* the payment is not (see the status) */
};

/* The outcome for one claim; the lines are in allocation order. */
struct allocate_line {
    size_t claim;          /* index of the claim in the input array */
    const char *debt_id;   /* the claim's, for convenience */
    const char *agency_id; /* the claim's */
    int priority;          /* profile_priority_of; -1: unknown type */
    int32_t cap_bp;        /* the claim's cap in basis points (0 when the
                              payment is not offsettable) */
    int64_t cap_cents;     /* that cap applied to the cap base */
    enum allocate_reason reason;
    int64_t offset_cents;   /* credited to the debt */
    int64_t fee_cents;      /* deducted from the payment for the agency */
    int64_t withheld_cents; /* kept back from the agency's remittance */
    int64_t remit_cents;    /* offset - withheld: paid to the agency */
};

struct allocate_totals {
    enum allocate_status status;
    int64_t payment_cents;  /* the payment's amount */
    int64_t base_cents;     /* offsettable base after rules 1-2 */
    int64_t cap_base_cents; /* what the caps are percentages of */
    int64_t offset_cents;   /* sum of the lines' offsets */
    int64_t fee_cents;      /* sum of the fees deducted from the payment */
    int64_t withheld_cents; /* sum withheld from remittances */
    int64_t remit_cents;    /* sum remitted to agencies */
    int64_t released_cents; /* to the payee(s): payment - offsets - fees,
                               the spouse's share included */
    int64_t spouse_cents;   /* the part of released_cents that is the
                               spouse's share (debtor-share rule only) */
    size_t n_lines;         /* == n_claims */
};

/* Allocate PAYMENT among the N_CLAIMS CLAIMS under PROFILE.  LINES must
 * have room for N_CLAIMS lines (it may be NULL when N_CLAIMS is 0); it is
 * filled in allocation order, one line per claim.  TOTALS gets the sums.
 * Nothing is allocated; the strings of the lines point into CLAIMS.
 *
 * Returns 0, or on failure a negative errno with TOTALS zeroed and
 * LINES unspecified:
 *   -EINVAL   a NULL argument or payment source, a claim without
 *             agency_id, a joint payment with debtor_share_bp outside
 *             0..10000;
 *   -ERANGE   an amount, balance or disposable earnings below 0 or above
 *             ALLOCATE_MAX_CENTS;
 *   -E2BIG    more than ALLOCATE_MAX_CLAIMS claims;
 *   -ENOTSUP  the profile does not pay each claim in full before the next;
 *   -ENOTRECOVERABLE  the result broke a money invariant (a bug: nothing
 *             may be done with it). */
int allocate_run(const struct profile *profile,
                 const struct allocate_payment *payment,
                 const struct allocate_claim *claims, size_t n_claims,
                 struct allocate_line *lines, struct allocate_totals *totals);

/* Check LINES and TOTALS as allocate_run made them for PAYMENT and
 * CLAIMS under PROFILE against every money invariant listed above.
 * Returns 0 when they all hold, -ENOTRECOVERABLE when one does not,
 * -EINVAL on NULL arguments.  allocate_run calls it on each result;
 * callers may call it again before committing a result they stored. */
int allocate_check(const struct profile *profile,
                   const struct allocate_payment *payment,
                   const struct allocate_claim *claims, size_t n_claims,
                   const struct allocate_line *lines,
                   const struct allocate_totals *totals);

/* "offsettable", "exempt-source", ... and "paid-in-full", "cap-reached",
 * ... for messages and reports; "?" for a value out of range. */
const char *allocate_status_name(enum allocate_status status);
const char *allocate_reason_name(enum allocate_reason reason);

#endif
