/*
 * allocate.c - the allocation of one payment among one debtor's claims
 * (see allocate.h for the rules and their worked examples).
 *
 * Owns the arithmetic only; the profile's lookups are profile.c's.  Every
 * amount is checked against ALLOCATE_MAX_CENTS on the way in, so sums of
 * at most a payment plus a fee can never overflow an int64_t.
 */
#include <errno.h>
#include <string.h>

#include "offsetgw/allocate.h"

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static bool in_range(int64_t cents)
{
    return cents >= 0 && cents <= ALLOCATE_MAX_CENTS;
}

/* What is withheld from an offset of OFFSET cents on CLAIM. */
static int64_t withheld_of(const struct profile *profile,
                           const struct allocate_claim *claim, int64_t offset)
{
    if (offset <= 0)
        return 0;
    int64_t w = profile_apply_bp(
        offset, profile_fee_withheld_bp(profile, claim->has_tin));
    int64_t flat =
        min64(ALLOCATE_MAX_CENTS,
              profile_fee_withheld_per_offset(profile, claim->has_tin));
    return w + min64(flat, offset - w);
}

/* Has an earlier line (before K) of the same agency had an offset? */
static bool agency_offset_before(const struct allocate_line *lines, size_t k,
                                 const char *agency_id)
{
    for (size_t i = 0; i < k; i++)
        if (lines[i].offset_cents > 0 &&
            strcmp(lines[i].agency_id, agency_id) == 0)
            return true;
    return false;
}

static struct profile_claim as_profile_claim(const struct allocate_claim *c)
{
    struct profile_claim pc = {c->debt_type, c->balance_cents,
                               c->delinquent_since};
    return pc;
}

/* Allocation order: the profile's, then the input order. */
static int line_cmp(const struct profile *profile,
                    const struct allocate_claim *claims,
                    const struct allocate_line *a,
                    const struct allocate_line *b)
{
    struct profile_claim pa = as_profile_claim(&claims[a->claim]);
    struct profile_claim pb = as_profile_claim(&claims[b->claim]);
    int c = profile_claim_cmp(profile, &pa, &pb);
    if (c != 0)
        return c;
    return (a->claim > b->claim) - (a->claim < b->claim);
}

/* Insertion sort: stable, in place, no memory; n <= ALLOCATE_MAX_CLAIMS
 * and one debtor's claims are few. */
static void sort_lines(const struct profile *profile,
                       const struct allocate_claim *claims,
                       struct allocate_line *lines, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct allocate_line key = lines[i];
        size_t j = i;
        while (j > 0 && line_cmp(profile, claims, &lines[j - 1], &key) > 0) {
            lines[j] = lines[j - 1];
            j--;
        }
        lines[j] = key;
    }
}

static int check_input(const struct profile *profile,
                       const struct allocate_payment *payment,
                       const struct allocate_claim *claims, size_t n_claims,
                       const void *lines, const void *totals)
{
    if (profile == NULL || payment == NULL || payment->source == NULL ||
        totals == NULL || (n_claims > 0 && (claims == NULL || lines == NULL)))
        return -EINVAL;
    if (n_claims > ALLOCATE_MAX_CLAIMS)
        return -E2BIG;
    if (payment->joint && (payment->debtor_share_bp < 0 ||
                           payment->debtor_share_bp > PROFILE_BP_WHOLE))
        return -EINVAL;
    if (!in_range(payment->amount_cents) ||
        !in_range(payment->disposable_cents))
        return -ERANGE;
    for (size_t i = 0; i < n_claims; i++) {
        if (claims[i].agency_id == NULL)
            return -EINVAL;
        if (!in_range(claims[i].balance_cents))
            return -ERANGE;
    }
    return 0;
}

/* Rules 1 and 2: the status, the base and the cap base. */
static void payment_base(const struct profile *profile,
                         const struct allocate_payment *payment,
                         struct allocate_totals *t)
{
    const struct profile_cap *cap = profile_cap_for(profile, payment->source);

    t->payment_cents = payment->amount_cents;
    t->status = ALLOCATE_OFFSETTABLE;
    if (cap == NULL)
        t->status = ALLOCATE_UNKNOWN_SOURCE;
    else if (cap->exempt)
        t->status = ALLOCATE_EXEMPT_SOURCE;
    else if (payment->joint &&
             profile->joint_refund == PROFILE_JOINT_NOT_ALLOWED)
        t->status = ALLOCATE_JOINT_NOT_ALLOWED;
    if (t->status != ALLOCATE_OFFSETTABLE)
        return;

    t->base_cents = payment->amount_cents;
    if (payment->joint && profile->joint_refund == PROFILE_JOINT_DEBTOR_SHARE) {
        t->base_cents =
            profile_apply_bp(payment->amount_cents, payment->debtor_share_bp);
        t->spouse_cents = payment->amount_cents - t->base_cents;
    }
    t->cap_base_cents = cap->base == PROFILE_CAP_OF_DISPOSABLE_PAY
                            ? payment->disposable_cents
                            : t->base_cents;
}

/* Rules 4-6 for the line at K, TAKEN being what earlier lines took. */
static void allocate_one(const struct profile *profile,
                         const struct allocate_payment *payment,
                         const struct allocate_claim *claim,
                         const struct allocate_totals *t,
                         struct allocate_line *lines, size_t k, int64_t taken)
{
    struct allocate_line *l = &lines[k];

    if (t->status != ALLOCATE_OFFSETTABLE) {
        l->reason = ALLOCATE_NOT_OFFSETTABLE;
        return;
    }
    l->cap_bp = profile_cap_bp(profile, payment->source, claim->debt_type);
    if (l->cap_bp < 0)
        l->cap_bp = 0; /* not reached: the source is listed */
    l->cap_cents = profile_apply_bp(t->cap_base_cents, l->cap_bp);
    if (l->priority < 0) {
        l->reason = ALLOCATE_UNKNOWN_DEBT_TYPE;
        return;
    }
    if (claim->balance_cents == 0) {
        l->reason = ALLOCATE_NO_BALANCE;
        return;
    }

    int64_t base_left = t->base_cents - taken;
    int64_t cap_left = l->cap_cents - taken;
    int64_t room = min64(base_left, cap_left);
    enum allocate_reason short_of =
        base_left <= cap_left ? ALLOCATE_PAYMENT_USED_UP : ALLOCATE_CAP_REACHED;
    if (room < 0)
        room = 0;

    int64_t fee = 0;
    if (!agency_offset_before(lines, k, claim->agency_id))
        fee = min64(ALLOCATE_MAX_CENTS,
                    profile_fee_deducted_per_offset(profile, claim->has_tin));
    if (room < fee + 1) {
        l->reason = fee > 0 && room > 0 ? ALLOCATE_FEE_UNPAYABLE : short_of;
        return;
    }

    l->fee_cents = fee;
    l->offset_cents = min64(claim->balance_cents, room - fee);
    l->withheld_cents = withheld_of(profile, claim, l->offset_cents);
    l->remit_cents = l->offset_cents - l->withheld_cents;
    l->reason = l->offset_cents == claim->balance_cents ? ALLOCATE_PAID_IN_FULL
                                                        : short_of;
}

int allocate_run(const struct profile *profile,
                 const struct allocate_payment *payment,
                 const struct allocate_claim *claims, size_t n_claims,
                 struct allocate_line *lines, struct allocate_totals *totals)
{
    struct allocate_totals t = {0};
    int64_t taken = 0; /* offsets and fees so far: never above the base */
    int rc = check_input(profile, payment, claims, n_claims, lines, totals);

    if (rc < 0)
        goto out;
    if (!profile->pay_in_full) {
        rc = -ENOTSUP;
        goto out;
    }

    payment_base(profile, payment, &t);
    for (size_t i = 0; i < n_claims; i++) {
        struct allocate_line *l = &lines[i];
        memset(l, 0, sizeof *l);
        l->claim = i;
        l->debt_id = claims[i].debt_id;
        l->agency_id = claims[i].agency_id;
        l->priority = profile_priority_of(profile, claims[i].debt_type);
    }
    sort_lines(profile, claims, lines, n_claims);

    for (size_t k = 0; k < n_claims; k++) {
        struct allocate_line *l = &lines[k];
        allocate_one(profile, payment, &claims[l->claim], &t, lines, k, taken);
        taken += l->fee_cents + l->offset_cents;
        t.offset_cents += l->offset_cents;
        t.fee_cents += l->fee_cents;
        t.withheld_cents += l->withheld_cents;
        t.remit_cents += l->remit_cents;
    }
    t.released_cents = payment->amount_cents - taken;
    t.n_lines = n_claims;

    *totals = t;
    if (allocate_check(profile, payment, claims, n_claims, lines, totals) < 0)
        rc = -ENOTRECOVERABLE;
out:
    if (rc < 0 && totals != NULL)
        memset(totals, 0, sizeof *totals);
    return rc;
}

/* --- the invariants ----------------------------------------------------- */

static bool line_ok(const struct allocate_claim *claims, size_t n_claims,
                    const struct allocate_line *l)
{
    if (l->claim >= n_claims || l->agency_id == NULL)
        return false;
    const struct allocate_claim *c = &claims[l->claim];
    return in_range(l->offset_cents) && in_range(l->fee_cents) &&
           l->withheld_cents >= 0 && l->remit_cents >= 0 &&
           l->offset_cents <= c->balance_cents &&
           l->withheld_cents <= l->offset_cents &&
           l->remit_cents + l->withheld_cents == l->offset_cents &&
           l->agency_id == c->agency_id && l->debt_id == c->debt_id &&
           /* a fee only with an offset: the fee buys at least one cent */
           (l->fee_cents == 0 || l->offset_cents > 0);
}

int allocate_check(const struct profile *profile,
                   const struct allocate_payment *payment,
                   const struct allocate_claim *claims, size_t n_claims,
                   const struct allocate_line *lines,
                   const struct allocate_totals *totals)
{
    struct allocate_totals want = {0};
    const struct allocate_totals *t = totals;
    int64_t offsets = 0, fees = 0, withheld = 0, remit = 0, taken = 0;

    if (profile == NULL || payment == NULL || totals == NULL ||
        (n_claims > 0 && (claims == NULL || lines == NULL)))
        return -EINVAL;
    if (n_claims > ALLOCATE_MAX_CLAIMS || t->n_lines != n_claims ||
        !in_range(payment->amount_cents) ||
        !in_range(payment->disposable_cents) ||
        (payment->joint && (payment->debtor_share_bp < 0 ||
                            payment->debtor_share_bp > PROFILE_BP_WHOLE)))
        return -ENOTRECOVERABLE;

    /* rules 1 and 2, recomputed */
    payment_base(profile, payment, &want);
    if (t->status != want.status || t->payment_cents != want.payment_cents ||
        t->base_cents != want.base_cents ||
        t->cap_base_cents != want.cap_base_cents ||
        t->spouse_cents != want.spouse_cents)
        return -ENOTRECOVERABLE;

    for (size_t k = 0; k < n_claims; k++) {
        const struct allocate_line *l = &lines[k];
        if (!line_ok(claims, n_claims, l))
            return -ENOTRECOVERABLE;
        const struct allocate_claim *c = &claims[l->claim];
        if (k > 0 && line_cmp(profile, claims, &lines[k - 1], l) >= 0)
            return -ENOTRECOVERABLE; /* out of order (rule 3) */
        for (size_t i = 0; i < k; i++) {
            if (lines[i].claim == l->claim)
                return -ENOTRECOVERABLE; /* a claim on two lines */
            /* the fee goes with the agency's first offset only */
            if (l->fee_cents > 0 && lines[i].offset_cents > 0 &&
                strcmp(lines[i].agency_id, l->agency_id) == 0)
                return -ENOTRECOVERABLE;
        }
        int64_t took = l->offset_cents + l->fee_cents;
        taken += took;
        if (taken > t->base_cents)
            return -ENOTRECOVERABLE;
        if (took > 0) {
            /* an offsettable payment, a known debt type, within the
               cumulative cap of rule 4 recomputed from the profile */
            int32_t bp = profile_cap_bp(profile, payment->source, c->debt_type);
            if (t->status != ALLOCATE_OFFSETTABLE || bp < 0 ||
                profile_priority_of(profile, c->debt_type) < 0 ||
                taken > profile_apply_bp(t->cap_base_cents, bp))
                return -ENOTRECOVERABLE;
        }
        offsets += l->offset_cents;
        fees += l->fee_cents;
        withheld += l->withheld_cents;
        remit += l->remit_cents;
    }
    if (!in_range(t->released_cents) || t->spouse_cents > t->released_cents ||
        t->offset_cents != offsets || t->fee_cents != fees ||
        t->withheld_cents != withheld || t->remit_cents != remit ||
        offsets + fees + t->released_cents != payment->amount_cents)
        return -ENOTRECOVERABLE;
    return 0;
}

const char *allocate_status_name(enum allocate_status status)
{
    switch (status) {
    case ALLOCATE_OFFSETTABLE:
        return "offsettable";
    case ALLOCATE_UNKNOWN_SOURCE:
        return "unknown-source";
    case ALLOCATE_EXEMPT_SOURCE:
        return "exempt-source";
    case ALLOCATE_JOINT_NOT_ALLOWED:
        return "joint-not-allowed";
    }
    return "?";
}

const char *allocate_reason_name(enum allocate_reason reason)
{
    switch (reason) {
    case ALLOCATE_PAID_IN_FULL:
        return "paid-in-full";
    case ALLOCATE_NO_BALANCE:
        return "no-balance";
    case ALLOCATE_PAYMENT_USED_UP:
        return "payment-used-up";
    case ALLOCATE_CAP_REACHED:
        return "cap-reached";
    case ALLOCATE_FEE_UNPAYABLE:
        return "fee-unpayable";
    case ALLOCATE_UNKNOWN_DEBT_TYPE:
        return "unknown-debt-type";
    case ALLOCATE_NOT_OFFSETTABLE:
        return "not-offsettable";
    }
    return "?";
}
