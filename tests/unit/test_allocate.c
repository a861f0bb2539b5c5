/*
 * test_allocate.c - the allocation of one payment among one debtor's
 * claims (gateway/core/allocate.c).
 *
 * A table of cases worked by hand from the programs' own rules
 * (domain/seeds: Utah's $15 per agency first, Kansas' 25% of disposable
 * pay with state tax at 100%, the joint refund by the debtor's share and
 * the 18.4% / 23.4% withheld, TOP's fee per offset, CalTRECS' priority
 * order and largest-liability tie-break, exempt and unknown sources, edge
 * amounts), each run on the shipped profiles (OG_FORMATS, default
 * "formats") or on a small inline profile; the argument checks; proof that
 * allocate_check catches each broken invariant; and a randomised property
 * test over shipped and synthetic profiles, whose checker is written here
 * from the rules of allocate.h, independently of allocate.c.
 *
 * Not here: the profile loader and its lookups (test_profile.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "offsetgw/allocate.h"
#include "offsetgw/profile.h"

enum { CALTRECS, KANSAS, UTAH, TOP, N_SHIPPED };

static const char *const shipped_names[N_SHIPPED] = {"caltrecs", "kansas",
                                                     "utah", "top"};
static struct profile *shipped[N_SHIPPED];

#define MAX_CASE_CLAIMS 8
#define MAX_GEN_CLAIMS 12

/* ------------------------------------------------------------------ */
/* profiles                                                            */

static int load_shipped(void **state)
{
    const char *formats = getenv("OG_FORMATS");
    char dir[4096];

    (void)state;
    snprintf(dir, sizeof dir, "%s/programs",
             formats != NULL && *formats != '\0' ? formats : "formats");
    for (int i = 0; i < N_SHIPPED; i++) {
        struct layout_problems probs = {0};
        shipped[i] = profile_load_program(dir, shipped_names[i], &probs);
        if (shipped[i] == NULL || probs.n != 0) {
            tu_print_problems(&probs);
            layout_problems_release(&probs);
            print_error("cannot load %s/%s.xml\n", dir, shipped_names[i]);
            return -1;
        }
        layout_problems_release(&probs);
    }
    return 0;
}

static int free_shipped(void **state)
{
    (void)state;
    for (int i = 0; i < N_SHIPPED; i++) {
        profile_free(shipped[i]);
        shipped[i] = NULL;
    }
    return 0;
}

/* A synthetic profile's sections around the parts a test chooses. */
#define SYNTH_HEAD                                                             \
    "<program name=\"synth\" model=\"setoff\" title=\"synthetic\">"            \
    "<eligibility>"                                                            \
    "<minimum-debt value=\"0\" source=\"s\"/>"                                 \
    "<id-types accept=\"ssn ein\" required=\"true\" source=\"s\"/>"            \
    "<notice-days value=\"0\" source=\"s\"/>"                                  \
    "<appeal-days value=\"0\" source=\"s\"/>"                                  \
    "<delinquent-days value=\"0\" source=\"s\"/>"                              \
    "<collection-attempts value=\"0\" source=\"s\"/>"                          \
    "<referral-delay-days value=\"0\" source=\"s\"/>"                          \
    "</eligibility>"
#define SYNTH_TAIL                                                             \
    "<cycles/><exchanges>"                                                     \
    "<exchange name=\"agency-debt\" layout=\"synth/agency-debt.xml\"/>"        \
    "</exchanges></program>"

static struct profile *load_xml_at(const char *file, int line, const char *xml)
{
    struct layout_problems probs = {0};
    struct profile *p =
        profile_load_buffer("synth.xml", xml, strlen(xml), &probs);

    if (p == NULL || probs.n != 0) {
        tu_print_problems(&probs);
        layout_problems_release(&probs);
        profile_free(p);
        tu_fail_at(file, line, "inline profile should load:\n%s", xml);
    }
    layout_problems_release(&probs);
    return p;
}
#define load_xml(xml) load_xml_at(__FILE__, __LINE__, xml)

/* ------------------------------------------------------------------ */
/* the independent checker                                             */

static int64_t bp_of(int64_t cents, int32_t bp)
{
    return (int64_t)((__int128)cents * bp / 10000);
}

static bool fee_on(const struct profile_fee *f, enum profile_fee_kind kind,
                   bool has_tin)
{
    return f->enabled && f->kind == kind && f->billing == PROFILE_BILL_NETTED &&
           (f->applies == PROFILE_FEE_ALL ||
            (f->applies == PROFILE_FEE_WITH_TIN) == has_tin);
}

static int64_t want_flat(const struct profile *p, enum profile_fee_kind kind,
                         bool has_tin)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_fees; i++)
        if (fee_on(&p->fees[i], kind, has_tin))
            sum += p->fees[i].amount_cents;
    return sum;
}

static int64_t want_withheld(const struct profile *p,
                             const struct allocate_claim *c, int64_t offset)
{
    int64_t w = 0;
    for (size_t i = 0; i < p->n_fees; i++)
        if (fee_on(&p->fees[i], PROFILE_FEE_WITHHOLD_PERCENT, c->has_tin))
            w += bp_of(offset, p->fees[i].percent_bp);
    int64_t flat = want_flat(p, PROFILE_FEE_WITHHOLD_PER_OFFSET, c->has_tin);
    if (offset == 0)
        return 0;
    return w + (flat < offset - w ? flat : offset - w);
}

/* Every property of allocate.h, from the rules, not from allocate.c.
 * Returns NULL or what is wrong (in WHY). */
static const char *
verify(const struct profile *p, const struct allocate_payment *pay,
       const struct allocate_claim *c, size_t n, const struct allocate_line *l,
       const struct allocate_totals *t, char *why, size_t size)
{
#define BAD(...)                                                               \
    do {                                                                       \
        snprintf(why, size, __VA_ARGS__);                                      \
        return why;                                                            \
    } while (0)
    bool seen[ALLOCATE_MAX_CLAIMS] = {false};
    int64_t sum_off = 0, sum_fee = 0, sum_wh = 0, sum_rem = 0;
    const struct profile_cap *cap = profile_cap_for(p, pay->source);
    bool offsettable =
        cap != NULL && !cap->exempt &&
        !(pay->joint && p->joint_refund == PROFILE_JOINT_NOT_ALLOWED);
    int64_t base = 0, spouse = 0, cap_base = 0;

    if (offsettable) {
        base = pay->amount_cents;
        if (pay->joint && p->joint_refund == PROFILE_JOINT_DEBTOR_SHARE) {
            base = bp_of(pay->amount_cents, pay->debtor_share_bp);
            spouse = pay->amount_cents - base;
        }
        cap_base = cap->base == PROFILE_CAP_OF_DISPOSABLE_PAY
                       ? pay->disposable_cents
                       : base;
    }
    if (t->n_lines != n)
        BAD("%zu lines for %zu claims", t->n_lines, n);
    if (t->payment_cents != pay->amount_cents || t->base_cents != base ||
        t->spouse_cents != spouse)
        BAD("payment/base/spouse %" PRId64 "/%" PRId64 "/%" PRId64
            ", want %" PRId64 "/%" PRId64 "/%" PRId64,
            t->payment_cents, t->base_cents, t->spouse_cents, pay->amount_cents,
            base, spouse);

    int64_t taken = 0;
    for (size_t k = 0; k < n; k++) {
        const struct allocate_line *lk = &l[k];
        if (lk->claim >= n || seen[lk->claim])
            BAD("line %zu: claim %zu twice or out of range", k, lk->claim);
        seen[lk->claim] = true;
        const struct allocate_claim *ck = &c[lk->claim];
        if (lk->debt_id != ck->debt_id || lk->agency_id != ck->agency_id)
            BAD("line %zu: ids are not the claim's", k);
        if (lk->offset_cents < 0 || lk->fee_cents < 0 ||
            lk->withheld_cents < 0 || lk->remit_cents < 0)
            BAD("line %zu: a negative amount", k);
        if (lk->offset_cents > ck->balance_cents)
            BAD("line %zu: offset %" PRId64 " above balance %" PRId64, k,
                lk->offset_cents, ck->balance_cents);
        if (lk->remit_cents + lk->withheld_cents != lk->offset_cents)
            BAD("line %zu: remit + withheld != offset", k);
        if (lk->withheld_cents != want_withheld(p, ck, lk->offset_cents))
            BAD("line %zu: withheld %" PRId64 ", want %" PRId64, k,
                lk->withheld_cents, want_withheld(p, ck, lk->offset_cents));

        /* order: the profile's, then the input's */
        if (k > 0) {
            const struct allocate_claim *cp = &c[l[k - 1].claim];
            struct profile_claim a = {cp->debt_type, cp->balance_cents,
                                      cp->delinquent_since};
            struct profile_claim b = {ck->debt_type, ck->balance_cents,
                                      ck->delinquent_since};
            int o = profile_claim_cmp(p, &a, &b);
            if (o > 0 || (o == 0 && l[k - 1].claim > lk->claim))
                BAD("line %zu: out of priority order", k);
        }

        /* the agency's fee: on its first offset, exactly once */
        bool agency_paid_before = false;
        for (size_t i = 0; i < k; i++)
            if (l[i].offset_cents > 0 &&
                strcmp(l[i].agency_id, lk->agency_id) == 0)
                agency_paid_before = true;
        int64_t fee =
            agency_paid_before
                ? 0
                : want_flat(p, PROFILE_FEE_DEDUCT_PER_OFFSET, ck->has_tin);
        if (lk->offset_cents > 0 && lk->fee_cents != fee)
            BAD("line %zu: fee %" PRId64 ", want %" PRId64, k, lk->fee_cents,
                fee);
        if (lk->offset_cents == 0 && lk->fee_cents != 0)
            BAD("line %zu: a fee without an offset", k);

        /* what it was allowed: rule 4-5 */
        bool known = profile_priority_of(p, ck->debt_type) >= 0;
        int32_t bp =
            offsettable ? profile_cap_bp(p, pay->source, ck->debt_type) : 0;
        int64_t cap_amt = bp_of(cap_base, bp);
        int64_t room = base - taken;
        if (cap_amt - taken < room)
            room = cap_amt - taken;
        if (room < 0)
            room = 0;
        int64_t took = lk->offset_cents + lk->fee_cents;
        if ((!offsettable || !known) && took != 0)
            BAD("line %zu: money taken for a claim that may not be offset", k);
        if (took > room)
            BAD("line %zu: took %" PRId64 " with room %" PRId64, k, took, room);
        bool fee_blocked = lk->offset_cents == 0 && fee > 0 && room < fee + 1;
        bool unpaid = lk->offset_cents < ck->balance_cents;
        if (offsettable && known && unpaid && !fee_blocked && took != room)
            BAD("line %zu: left %" PRId64 " of its room %" PRId64 " unused "
                "with the claim unpaid",
                k, room - took, room);
        /* priority: no later claim is paid while this one is unpaid and
           its cap would still allow more */
        for (size_t j = k + 1; unpaid && known && j < n; j++)
            if (l[j].offset_cents > 0 && !fee_blocked && taken + took < cap_amt)
                BAD("line %zu (lower priority) paid while line %zu is "
                    "unpaid under its cap",
                    j, k);
        taken += took;

        sum_off += lk->offset_cents;
        sum_fee += lk->fee_cents;
        sum_wh += lk->withheld_cents;
        sum_rem += lk->remit_cents;
    }

    /* the caps as groups: claims at X% or less take at most X% */
    for (size_t k = 0; offsettable && k < n; k++) {
        int32_t x = profile_cap_bp(p, pay->source, c[l[k].claim].debt_type);
        int64_t group = 0;
        for (size_t j = 0; j < n; j++)
            if (profile_cap_bp(p, pay->source, c[l[j].claim].debt_type) <= x)
                group += l[j].offset_cents + l[j].fee_cents;
        if (group > 0 && group > bp_of(cap_base, x))
            BAD("claims capped at %d bp took %" PRId64 " > %" PRId64, x, group,
                bp_of(cap_base, x));
    }
    if (t->offset_cents != sum_off || t->fee_cents != sum_fee ||
        t->withheld_cents != sum_wh || t->remit_cents != sum_rem)
        BAD("totals are not the sums of the lines");
    if (sum_off + sum_fee + t->released_cents != pay->amount_cents)
        BAD("offsets %" PRId64 " + fees %" PRId64 " + released %" PRId64
            " != payment %" PRId64,
            sum_off, sum_fee, t->released_cents, pay->amount_cents);
    if (t->released_cents < t->spouse_cents)
        BAD("released below the spouse's share");
    return NULL;
#undef BAD
}

static void dump(const struct allocate_payment *pay,
                 const struct allocate_claim *c, size_t n,
                 const struct allocate_line *l, const struct allocate_totals *t)
{
    print_message("payment %s %" PRId64 " disposable %" PRId64
                  " joint %d share %d\n",
                  pay->source ? pay->source : "(null)", pay->amount_cents,
                  pay->disposable_cents, pay->joint, pay->debtor_share_bp);
    for (size_t i = 0; i < n; i++)
        print_message("  claim %zu: %s agency %s type %s balance %" PRId64
                      " since %d tin %d\n",
                      i, c[i].debt_id, c[i].agency_id,
                      c[i].debt_type ? c[i].debt_type : "(null)",
                      c[i].balance_cents, c[i].delinquent_since, c[i].has_tin);
    for (size_t k = 0; k < n; k++)
        print_message("  line %zu: claim %zu cap %d (%" PRId64 ") %s offset "
                      "%" PRId64 " fee %" PRId64 " withheld %" PRId64
                      " remit %" PRId64 "\n",
                      k, l[k].claim, l[k].cap_bp, l[k].cap_cents,
                      allocate_reason_name(l[k].reason), l[k].offset_cents,
                      l[k].fee_cents, l[k].withheld_cents, l[k].remit_cents);
    print_message("  %s base %" PRId64 " released %" PRId64 " spouse %" PRId64
                  "\n",
                  allocate_status_name(t->status), t->base_cents,
                  t->released_cents, t->spouse_cents);
}

/* ------------------------------------------------------------------ */
/* the table of hand-worked cases                                      */

struct want_line {
    const char *debt_id;
    int64_t offset, fee, withheld;
    enum allocate_reason reason;
};

struct alloc_case {
    int program;     /* index into shipped[], or -1 for XML */
    const char *xml; /* an inline profile */
    struct allocate_payment payment;
    struct allocate_claim claims[MAX_CASE_CLAIMS]; /* ends at debt_id NULL */
    enum allocate_status status;
    int64_t released, spouse;
    struct want_line lines[MAX_CASE_CLAIMS]; /* in allocation order */
};

#define CLAIM(id, agency, type, balance, since, tin)                           \
    {                                                                          \
        id, agency, type, balance, since, tin                                  \
    }
#define WANT(id, offset, fee, withheld, reason)                                \
    {                                                                          \
        id, offset, fee, withheld, ALLOCATE_##reason                           \
    }
#define SINGLE(source, amount)                                                 \
    {                                                                          \
        source, amount, 0, false, 0                                            \
    }

/* FIACCT 05-04_00: $15 per agency, deducted from the refund first; the
 * third agency's $10 left cannot pay its fee plus a cent. */
static const struct alloc_case utah_fee_per_agency_first = {
    UTAH,
    NULL,
    SINGLE("TAX", 18000),
    {CLAIM("loc-1", "slc", "LOC", 3000, 20200101, true),
     CLAIM("hed-1", "uofu", "HED", 4000, 20200101, true),
     CLAIM("ors-1", "ors", "ORS", 10000, 20230101, true)},
    ALLOCATE_OFFSETTABLE,
    1000,
    0,
    {WANT("ors-1", 10000, 1500, 0, PAID_IN_FULL),
     WANT("hed-1", 4000, 1500, 0, PAID_IN_FULL),
     WANT("loc-1", 0, 0, 0, FEE_UNPAYABLE)}};

/* Exactly the fee left: nothing (the fee needs a cent of debt beside it). */
static const struct alloc_case utah_fee_alone_takes_nothing = {
    UTAH,
    NULL,
    SINGLE("TAX", 1500),
    {CLAIM("ors-1", "ors", "ORS", 10000, 20230101, true)},
    ALLOCATE_OFFSETTABLE,
    1500,
    0,
    {WANT("ors-1", 0, 0, 0, FEE_UNPAYABLE)}};

/* One cent more than the fee: the fee and a one-cent offset. */
static const struct alloc_case utah_fee_and_one_cent = {
    UTAH,
    NULL,
    SINGLE("TAX", 1501),
    {CLAIM("ors-1", "ors", "ORS", 10000, 20230101, true)},
    ALLOCATE_OFFSETTABLE,
    0,
    0,
    {WANT("ors-1", 1, 1500, 0, PAYMENT_USED_UP)}};

/* Two debts of one agency: one fee; the older debt first (tie-break). */
static const struct alloc_case utah_one_fee_per_agency_per_payment = {
    UTAH,
    NULL,
    SINGLE("TAX", 10000),
    {CLAIM("ors-new", "ors", "ORS", 3000, 20240601, true),
     CLAIM("ors-old", "ors", "ORS", 4000, 20190101, true)},
    ALLOCATE_OFFSETTABLE,
    1500,
    0,
    {WANT("ors-old", 4000, 1500, 0, PAID_IN_FULL),
     WANT("ors-new", 3000, 0, 0, PAID_IN_FULL)}};

/* Kansas payroll: 25% of disposable earnings for most debts. */
static const struct alloc_case kansas_payroll_25_percent_of_disposable = {
    KANSAS,
    NULL,
    {"PAY", 80000, 100000, false, 0},
    {CLAIM("ct-1", "salina", "29", 50000, 20200101, true),
     CLAIM("cs-1", "court", "23", 20000, 20210101, true)},
    ALLOCATE_OFFSETTABLE,
    55000,
    0,
    {WANT("ct-1", 25000, 0, 4600, CAP_REACHED),
     WANT("cs-1", 0, 0, 0, CAP_REACHED)}};

/* The state tax debt may take up to 100% after the other took its 25%. */
static const struct alloc_case kansas_payroll_state_tax_after_others = {
    KANSAS,
    NULL,
    {"PAY", 80000, 100000, false, 0},
    {CLAIM("tax-1", "kdor", "11", 30000, 20210101, true),
     CLAIM("ct-1", "salina", "29", 50000, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    25000,
    0,
    {WANT("ct-1", 25000, 0, 4600, CAP_REACHED),
     WANT("tax-1", 30000, 0, 5520, PAID_IN_FULL)}};

/* The state tax debt first: it may take more than 25%, and then the other
 * debt's 25% is already used up. */
static const struct alloc_case kansas_payroll_state_tax_first_uses_the_25 = {
    KANSAS,
    NULL,
    {"PAY", 80000, 100000, false, 0},
    {CLAIM("ct-1", "salina", "29", 50000, 20200101, true),
     CLAIM("tax-1", "kdor", "11", 30000, 20190101, true)},
    ALLOCATE_OFFSETTABLE,
    50000,
    0,
    {WANT("tax-1", 30000, 0, 5520, PAID_IN_FULL),
     WANT("ct-1", 0, 0, 0, CAP_REACHED)}};

/* Joint refund: only the debtor's share of income, rounded down. */
static const struct alloc_case kansas_joint_refund_by_debtor_share = {
    KANSAS,
    NULL,
    {"TAX", 100001, 0, true, 6000},
    {CLAIM("ct-1", "salina", "29", 70000, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    40001,
    40001,
    {WANT("ct-1", 60000, 0, 11040, PAYMENT_USED_UP)}};

/* 18.4% withheld with an SSN/EIN, 23.4% without; rounded down. */
static const struct alloc_case kansas_withheld_18_4_with_tin_23_4_without = {
    KANSAS,
    NULL,
    SINGLE("TAX", 10000),
    {CLAIM("no-tin", "salina", "29", 3333, 20210101, false),
     CLAIM("tin", "salina", "29", 3333, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    3334,
    0,
    {WANT("tin", 3333, 0, 613, PAID_IN_FULL),
     WANT("no-tin", 3333, 0, 779, PAID_IN_FULL)}};

/* Disaster relief is exempt: nothing offset. */
static const struct alloc_case kansas_exempt_source_releases_all = {
    KANSAS,
    NULL,
    SINGLE("DIS", 50000),
    {CLAIM("ct-1", "salina", "29", 10000, 20200101, true)},
    ALLOCATE_EXEMPT_SOURCE,
    50000,
    0,
    {WANT("ct-1", 0, 0, 0, NOT_OFFSETTABLE)}};

/* A payment larger than every debt: all paid, the rest released. */
static const struct alloc_case kansas_payment_above_all_debts_rest_released = {
    KANSAS,
    NULL,
    SINGLE("LOT", 500000),
    {CLAIM("ct-1", "salina", "29", 10000, 20200101, true),
     CLAIM("cs-1", "court", "23", 20000, 20210101, true)},
    ALLOCATE_OFFSETTABLE,
    470000,
    0,
    {WANT("ct-1", 10000, 0, 1840, PAID_IN_FULL),
     WANT("cs-1", 20000, 0, 3680, PAID_IN_FULL)}};

/* A zero payment: nothing to take. */
static const struct alloc_case kansas_zero_payment_takes_nothing = {
    KANSAS,
    NULL,
    SINGLE("TAX", 0),
    {CLAIM("ct-1", "salina", "29", 10000, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    0,
    0,
    {WANT("ct-1", 0, 0, 0, PAYMENT_USED_UP)}};

/* No claims: the whole payment is released. */
static const struct alloc_case kansas_no_claims_releases_all = {
    KANSAS,
    NULL,
    SINGLE("TAX", 12345),
    {{NULL, NULL, NULL, 0, 0, false}},
    ALLOCATE_OFFSETTABLE,
    12345,
    0,
    {{NULL, 0, 0, 0, 0}}};

/* A debt type no class has is refused and sorted last. */
static const struct alloc_case kansas_unknown_debt_type_refused = {
    KANSAS,
    NULL,
    SINGLE("TAX", 50000),
    {CLAIM("odd", "salina", "99", 10000, 20100101, true),
     CLAIM("ct-1", "salina", "29", 10000, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    40000,
    0,
    {WANT("ct-1", 10000, 0, 1840, PAID_IN_FULL),
     WANT("odd", 0, 0, 0, UNKNOWN_DEBT_TYPE)}};

/* A zero balance gets nothing and, in Utah, costs no fee. */
static const struct alloc_case utah_zero_balance_costs_no_fee = {
    UTAH,
    NULL,
    SINGLE("TAX", 5000),
    {CLAIM("ors-0", "ors", "ORS", 0, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    5000,
    0,
    {WANT("ors-0", 0, 0, 0, NO_BALANCE)}};

/* Utah takes joint refunds whole. */
static const struct alloc_case utah_joint_refund_taken_whole = {
    UTAH,
    NULL,
    {"TAX", 10000, 0, true, 2500},
    {CLAIM("ors-1", "ors", "ORS", 20000, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    0,
    0,
    {WANT("ors-1", 8500, 1500, 0, PAYMENT_USED_UP)}};

/* A source Utah does not list (payroll) is never offset. */
static const struct alloc_case utah_unknown_source_releases_all = {
    UTAH,
    NULL,
    SINGLE("PAY", 10000),
    {CLAIM("ors-1", "ors", "ORS", 20000, 20200101, true)},
    ALLOCATE_UNKNOWN_SOURCE,
    10000,
    0,
    {WANT("ors-1", 0, 0, 0, NOT_OFFSETTABLE)}};

/* TOP keeps $15 of each offset, never more than the offset. */
static const struct alloc_case top_fee_per_offset_withheld = {
    TOP,
    NULL,
    SINGLE("TAX", 20000),
    {CLAIM("snap-1", "kdcf", "SNAP", 1000, 20200101, true),
     CLAIM("cs-1", "kdcf", "CS", 10000, 20210101, true)},
    ALLOCATE_OFFSETTABLE,
    9000,
    0,
    {WANT("cs-1", 10000, 0, 1500, PAID_IN_FULL),
     WANT("snap-1", 1000, 0, 1000, PAID_IN_FULL)}};

/* TOP: an SSA benefit is offset at most 15% of the payment. */
static const struct alloc_case top_benefit_capped_at_15_percent = {
    TOP,
    NULL,
    SINGLE("BEN", 150001),
    {CLAIM("snap-1", "kdcf", "SNAP", 100000, 20200101, true)},
    ALLOCATE_OFFSETTABLE,
    127501,
    0,
    {WANT("snap-1", 22500, 0, 1500, CAP_REACHED)}};

/* GC 12419.3: child support, restitution, EDD, state, then local. */
static const struct alloc_case caltrecs_priority_support_rf_edd_state_local = {
    CALTRECS,
    NULL,
    SINGLE("TAX", 90000),
    {CLAIM("park-1", "sf-parking", "PARK", 20000, 20150101, true),
     CLAIM("edd-1", "edd", "EDD", 30000, 20220101, true),
     CLAIM("rf-1", "vcb", "RF", 25000, 20230101, true),
     CLAIM("csl-1", "lcsa", "CSL", 15000, 20240101, true),
     CLAIM("sta-1", "dmv", "STA", 10000, 20160101, true)},
    ALLOCATE_OFFSETTABLE,
    0,
    0,
    {WANT("csl-1", 15000, 0, 0, PAID_IN_FULL),
     WANT("rf-1", 25000, 0, 0, PAID_IN_FULL),
     WANT("edd-1", 30000, 0, 0, PAID_IN_FULL),
     WANT("sta-1", 10000, 0, 0, PAID_IN_FULL),
     WANT("park-1", 10000, 0, 0, PAYMENT_USED_UP)}};

/* Identical priority: the largest liability first, however old. */
static const struct alloc_case caltrecs_tie_to_largest_liability = {
    CALTRECS,
    NULL,
    SINGLE("TAX", 60000),
    {CLAIM("fin-1", "court", "FIN", 30000, 20100101, true),
     CLAIM("park-1", "city", "PARK", 50000, 20240101, true)},
    ALLOCATE_OFFSETTABLE,
    0,
    0,
    {WANT("park-1", 50000, 0, 0, PAID_IN_FULL),
     WANT("fin-1", 10000, 0, 0, PAYMENT_USED_UP)}};

/* A profile that never offsets joint payments. */
#define SYNTH_NO_JOINT                                                         \
    SYNTH_HEAD "<matching><rule value=\"tin+last-name\" source=\"s\"/>"        \
               "<joint-refund value=\"not-allowed\" source=\"s\"/></matching>" \
               "<fees/><priority><tie-break value=\"oldest\" source=\"s\"/>"   \
               "<pay-in-full value=\"true\" source=\"s\"/>"                    \
               "<class code=\"a\" debt-types=\"A\" source=\"s\"/></priority>"  \
               "<caps><cap payment=\"TAX\" percent=\"100\" source=\"s\"/>"     \
               "</caps>" SYNTH_TAIL
static const struct alloc_case joint_not_allowed_releases_all = {
    -1,
    SYNTH_NO_JOINT,
    {"TAX", 10000, 0, true, 5000},
    {CLAIM("a-1", "x", "A", 5000, 20200101, true)},
    ALLOCATE_JOINT_NOT_ALLOWED,
    10000,
    0,
    {WANT("a-1", 0, 0, 0, NOT_OFFSETTABLE)}};

/* Fees honour `applies` and `billing`: a deducted fee for debts without
 * an id is not charged on a debt with one, and a percentage billed
 * monthly is not withheld from the remittance. */
#define SYNTH_FEES                                                             \
    SYNTH_HEAD                                                                 \
    "<matching><rule value=\"tin+last-name\" source=\"s\"/>"                   \
    "<joint-refund value=\"whole\" source=\"s\"/></matching>"                  \
    "<fees><fee name=\"research\" kind=\"deduct-per-offset\" amount=\"7\" "    \
    "applies=\"without-tin\" enabled=\"true\" source=\"s\"/>"                  \
    "<fee name=\"billed\" kind=\"withhold-percent\" percent=\"10\" "           \
    "billing=\"monthly\" enabled=\"true\" source=\"s\"/>"                      \
    "<fee name=\"off\" kind=\"withhold-per-offset\" amount=\"3\" "             \
    "enabled=\"false\" source=\"s\"/></fees>"                                  \
    "<priority><tie-break value=\"oldest\" source=\"s\"/>"                     \
    "<pay-in-full value=\"true\" source=\"s\"/>"                               \
    "<class code=\"a\" debt-types=\"A\" source=\"s\"/></priority>"             \
    "<caps><cap payment=\"TAX\" percent=\"100\" "                              \
    "source=\"s\"/></caps>" SYNTH_TAIL
static const struct alloc_case fees_honour_applies_and_billing = {
    -1,
    SYNTH_FEES,
    SINGLE("TAX", 10000),
    {CLAIM("with", "x", "A", 1000, 20200101, true),
     CLAIM("without", "y", "A", 1000, 20210101, false)},
    ALLOCATE_OFFSETTABLE,
    7300,
    0,
    {WANT("with", 1000, 0, 0, PAID_IN_FULL),
     WANT("without", 1000, 700, 0, PAID_IN_FULL)}};

static void run_case(void **state)
{
    const struct alloc_case *tc = *state;
    struct profile *own = NULL;
    const struct profile *p = NULL;
    struct allocate_line lines[MAX_CASE_CLAIMS];
    struct allocate_totals t;
    size_t n = 0, n_want = 0;
    char why[512];

    if (tc->program >= 0)
        p = shipped[tc->program];
    else
        p = own = load_xml(tc->xml);
    while (n < MAX_CASE_CLAIMS && tc->claims[n].debt_id != NULL)
        n++;
    while (n_want < MAX_CASE_CLAIMS && tc->lines[n_want].debt_id != NULL)
        n_want++;
    assert_int_equal(n_want, n);

    assert_int_equal(
        allocate_run(p, &tc->payment, tc->claims, n, n ? lines : NULL, &t), 0);
    bool ok = t.status == tc->status && t.released_cents == tc->released &&
              t.spouse_cents == tc->spouse;
    for (size_t k = 0; k < n; k++) {
        const struct want_line *w = &tc->lines[k];
        ok = ok && strcmp(lines[k].debt_id, w->debt_id) == 0 &&
             lines[k].offset_cents == w->offset &&
             lines[k].fee_cents == w->fee &&
             lines[k].withheld_cents == w->withheld &&
             lines[k].remit_cents == w->offset - w->withheld &&
             lines[k].reason == w->reason;
    }
    const char *bad =
        verify(p, &tc->payment, tc->claims, n, lines, &t, why, sizeof why);
    if (!ok || bad != NULL) {
        dump(&tc->payment, tc->claims, n, lines, &t);
        print_message("want %s released %" PRId64 " spouse %" PRId64 "\n",
                      allocate_status_name(tc->status), tc->released,
                      tc->spouse);
        for (size_t k = 0; k < n; k++)
            print_message("  want %s offset %" PRId64 " fee %" PRId64
                          " withheld %" PRId64 " %s\n",
                          tc->lines[k].debt_id, tc->lines[k].offset,
                          tc->lines[k].fee, tc->lines[k].withheld,
                          allocate_reason_name(tc->lines[k].reason));
        profile_free(own);
        fail_msg("%s", bad != NULL ? bad : "not the hand-worked result");
    }
    profile_free(own);
}

/* ------------------------------------------------------------------ */
/* arguments, limits, the checker                                      */

static void test_bad_arguments_are_refused(void **state)
{
    const struct profile *p = shipped[KANSAS];
    struct allocate_claim c[1] = {
        CLAIM("ct-1", "salina", "29", 1000, 20200101, true)};
    struct allocate_payment pay = SINGLE("TAX", 1000);
    struct allocate_line l[1];
    struct allocate_totals t;

    (void)state;
    assert_int_equal(allocate_run(NULL, &pay, c, 1, l, &t), -EINVAL);
    assert_int_equal(allocate_run(p, NULL, c, 1, l, &t), -EINVAL);
    assert_int_equal(allocate_run(p, &pay, NULL, 1, l, &t), -EINVAL);
    assert_int_equal(allocate_run(p, &pay, c, 1, NULL, &t), -EINVAL);
    assert_int_equal(allocate_run(p, &pay, c, 1, l, NULL), -EINVAL);
    pay.source = NULL;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -EINVAL);
    pay.source = "TAX";

    pay.amount_cents = -1;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -ERANGE);
    pay.amount_cents = ALLOCATE_MAX_CENTS + 1;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -ERANGE);
    pay.amount_cents = 1000;
    pay.disposable_cents = -5;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -ERANGE);
    pay.disposable_cents = 0;

    c[0].balance_cents = -1;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -ERANGE);
    c[0].balance_cents = ALLOCATE_MAX_CENTS + 1;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -ERANGE);
    c[0].balance_cents = 1000;
    c[0].agency_id = NULL;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -EINVAL);
    c[0].agency_id = "salina";

    pay.joint = true;
    pay.debtor_share_bp = 10001;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -EINVAL);
    pay.debtor_share_bp = -1;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -EINVAL);
    assert_int_equal(t.offset_cents + t.released_cents, 0); /* zeroed */
    pay.debtor_share_bp = 10000;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), 0);
    assert_int_equal(t.offset_cents, 1000);

    assert_int_equal(allocate_run(p, &pay, c, ALLOCATE_MAX_CLAIMS + 1, l, &t),
                     -E2BIG);
}

static void test_profile_not_paying_in_full_is_refused(void **state)
{
    static const char xml[] =
        SYNTH_HEAD "<matching><rule value=\"tin+last-name\" source=\"s\"/>"
                   "<joint-refund value=\"whole\" source=\"s\"/></matching>"
                   "<fees/><priority><tie-break value=\"oldest\" source=\"s\"/>"
                   "<pay-in-full value=\"false\" source=\"s\"/>"
                   "<class code=\"a\" debt-types=\"A\" source=\"s\"/>"
                   "</priority><caps><cap payment=\"TAX\" percent=\"100\" "
                   "source=\"s\"/></caps>" SYNTH_TAIL;
    struct profile *p = load_xml(xml);
    struct allocate_claim c[1] = {CLAIM("a-1", "x", "A", 1000, 20200101, true)};
    struct allocate_payment pay = SINGLE("TAX", 1000);
    struct allocate_line l[1];
    struct allocate_totals t;

    (void)state;
    assert_int_equal(allocate_run(p, &pay, c, 1, l, &t), -ENOTSUP);
    profile_free(p);
}

/* The largest amounts: nothing overflows, every cent is accounted for. */
static void test_largest_amounts_do_not_overflow(void **state)
{
    static const int64_t amounts[] = {
        INT64_C(1000000000000), ALLOCATE_MAX_CENTS - 1, ALLOCATE_MAX_CENTS};
    struct allocate_claim c[3] = {
        CLAIM("tax", "kdor", "11", ALLOCATE_MAX_CENTS, 20190101, false),
        CLAIM("ct", "salina", "29", ALLOCATE_MAX_CENTS - 7, 20200101, true),
        CLAIM("cs", "court", "23", 1, 20210101, true)};
    struct allocate_line l[3];
    struct allocate_totals t;
    char why[512];

    (void)state;
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        for (int joint = 0; joint < 2; joint++) {
            struct allocate_payment pay = {"PAY", amounts[i], amounts[i],
                                           joint != 0, 9999};
            assert_int_equal(allocate_run(shipped[KANSAS], &pay, c, 3, l, &t),
                             0);
            const char *bad =
                verify(shipped[KANSAS], &pay, c, 3, l, &t, why, sizeof why);
            if (bad != NULL) {
                dump(&pay, c, 3, l, &t);
                fail_msg("%s", bad);
            }
            /* the tax debt (oldest) takes the whole base */
            assert_int_equal(l[0].offset_cents, t.base_cents);
            assert_int_equal(l[0].withheld_cents, bp_of(t.base_cents, 2340));
        }
    }
}

/* allocate_check fails on each broken invariant (so it can fail). */
static void test_check_catches_each_broken_invariant(void **state)
{
    const struct profile *p = shipped[UTAH];
    struct allocate_claim c[3] = {
        CLAIM("ors-1", "ors", "ORS", 10000, 20200101, true),
        CLAIM("ors-2", "ors", "ORS", 2000, 20210101, true),
        CLAIM("hed-1", "uofu", "HED", 4000, 20200101, true)};
    struct allocate_payment pay = SINGLE("TAX", 20000);
    struct allocate_line l[3], bad[3];
    struct allocate_totals t, tb;

    (void)state;
    assert_int_equal(allocate_run(p, &pay, c, 3, l, &t), 0);
    assert_int_equal(allocate_check(p, &pay, c, 3, l, &t), 0);
    assert_int_equal(allocate_check(NULL, &pay, c, 3, l, &t), -EINVAL);

#define BROKEN(stmt)                                                           \
    do {                                                                       \
        memcpy(bad, l, sizeof bad);                                            \
        tb = t;                                                                \
        stmt;                                                                  \
        assert_int_equal(allocate_check(p, &pay, c, 3, bad, &tb),              \
                         -ENOTRECOVERABLE);                                    \
    } while (0)
    /* a cent created or lost */
    BROKEN(tb.released_cents += 1);
    BROKEN((bad[0].offset_cents += 1, bad[0].remit_cents += 1,
            tb.offset_cents += 1, tb.remit_cents += 1));
    BROKEN((bad[2].offset_cents -= 1, bad[2].remit_cents -= 1,
            tb.offset_cents -= 1, tb.remit_cents -= 1));
    /* an offset above the balance, balanced elsewhere */
    BROKEN((bad[1].offset_cents += 1, bad[1].remit_cents += 1,
            bad[2].offset_cents -= 1, bad[2].remit_cents -= 1));
    /* remit + withheld != offset */
    BROKEN(bad[0].withheld_cents = 1);
    /* negative amounts */
    BROKEN((bad[0].withheld_cents = -1, bad[0].remit_cents += 1));
    BROKEN((tb.released_cents = -tb.released_cents, tb.spouse_cents = 0));
    /* totals not the sums */
    BROKEN(tb.fee_cents += 1);
    BROKEN(tb.withheld_cents += 1);
    /* a second fee for the same agency, taken from the release */
    BROKEN((bad[1].fee_cents = 1500, tb.fee_cents += 1500,
            tb.released_cents -= 1500));
    /* a claim on two lines */
    BROKEN(bad[2].claim = bad[0].claim);
    /* out of priority order */
    BROKEN((bad[0] = l[1], bad[1] = l[0]));
    /* a spouse's share that is not the rule's */
    BROKEN(tb.spouse_cents = 1);
    /* a line count that is not the claims' */
    BROKEN(tb.n_lines = 2);
#undef BROKEN

    /* over a cap: a Kansas payroll line above 25% of disposable pay */
    struct allocate_claim kc[1] = {
        CLAIM("ct-1", "salina", "29", 50000, 20200101, true)};
    struct allocate_payment kp = {"PAY", 80000, 100000, false, 0};
    assert_int_equal(allocate_run(shipped[KANSAS], &kp, kc, 1, l, &t), 0);
    assert_int_equal(l[0].offset_cents, 25000);
    l[0].offset_cents += 1;
    l[0].remit_cents += 1;
    t.offset_cents += 1;
    t.remit_cents += 1;
    t.released_cents -= 1;
    assert_int_equal(allocate_check(shipped[KANSAS], &kp, kc, 1, l, &t),
                     -ENOTRECOVERABLE);
}

/* The claims are not touched; lines point at the claims' own strings. */
static void test_claims_untouched_and_lines_point_at_them(void **state)
{
    struct allocate_claim c[2] = {CLAIM("b", "x", "29", 500, 20210101, true),
                                  CLAIM("a", "y", "29", 700, 20200101, true)};
    struct allocate_claim copy[2];
    struct allocate_payment pay = SINGLE("TAX", 1000);
    struct allocate_line l[2];
    struct allocate_totals t;

    (void)state;
    memcpy(copy, c, sizeof c);
    assert_int_equal(allocate_run(shipped[KANSAS], &pay, c, 2, l, &t), 0);
    assert_memory_equal(copy, c, sizeof c);
    assert_int_equal(l[0].claim, 1);
    assert_ptr_equal(l[0].debt_id, c[1].debt_id);
    assert_ptr_equal(l[0].agency_id, c[1].agency_id);
    assert_int_equal(l[1].claim, 0);
    assert_int_equal(l[1].offset_cents, 300);
}

/* ------------------------------------------------------------------ */
/* the randomised property test                                        */

struct codes {
    const char *debt_types[64];
    size_t n_types;
    const char *sources[32];
    size_t n_sources;
};

static void codes_of(const struct profile *p, struct codes *k)
{
    k->n_types = k->n_sources = 0;
    for (size_t i = 0; i < p->n_classes; i++)
        for (size_t j = 0; j < p->classes[i].n_debt_types && k->n_types < 64;
             j++)
            k->debt_types[k->n_types++] = p->classes[i].debt_types[j];
    for (size_t i = 0; i < p->n_caps && k->n_sources < 32; i++)
        k->sources[k->n_sources++] = p->caps[i].payment;
}

static int64_t gen_amount(struct tu_rng *r)
{
    switch (tu_rng_below(r, 10)) {
    case 0:
        return 0;
    case 1:
        return tu_rng_range(r, 1, 3100); /* around the flat fees */
    case 2:
        return tu_rng_range(r, 0, INT64_C(1000000000000));
    case 3:
        return tu_rng_below(r, 20) == 0 ? ALLOCATE_MAX_CENTS
                                        : tu_rng_range(r, 1, 100);
    default:
        return tu_rng_range(r, 1, 500000);
    }
}

static const char *const agencies[] = {"a0", "a1", "a2", "a3"};
static const char *const debt_ids[MAX_GEN_CLAIMS] = {
    "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11"};

static size_t gen_portfolio(struct tu_rng *r, const struct codes *k,
                            struct allocate_payment *pay,
                            struct allocate_claim *c)
{
    size_t n = (size_t)tu_rng_below(r, MAX_GEN_CLAIMS + 1);
    size_t n_agencies = 1 + (size_t)tu_rng_below(r, 4);

    memset(pay, 0, sizeof *pay);
    pay->source = tu_rng_below(r, 12) == 0
                      ? "QQ"
                      : k->sources[tu_rng_below(r, k->n_sources)];
    pay->amount_cents = gen_amount(r);
    pay->disposable_cents =
        tu_rng_below(r, 8) == 0
            ? gen_amount(r)
            : (int64_t)tu_rng_below(r, (uint64_t)pay->amount_cents * 2 + 2);
    if (pay->disposable_cents > ALLOCATE_MAX_CENTS)
        pay->disposable_cents = ALLOCATE_MAX_CENTS;
    pay->joint = tu_rng_below(r, 3) == 0;
    pay->debtor_share_bp =
        (int32_t)(tu_rng_below(r, 5) == 0 ? tu_rng_below(r, 2) * 10000
                                          : tu_rng_below(r, 10001));
    for (size_t i = 0; i < n; i++) {
        c[i].debt_id = debt_ids[i];
        c[i].agency_id = agencies[tu_rng_below(r, n_agencies)];
        c[i].debt_type = tu_rng_below(r, 25) == 0
                             ? "ZZ"
                             : k->debt_types[tu_rng_below(r, k->n_types)];
        c[i].balance_cents = tu_rng_below(r, 15) == 0 ? 0 : gen_amount(r);
        /* few distinct dates and balances, so ties happen */
        c[i].delinquent_since = 20200101 + (int32_t)tu_rng_below(r, 4);
        if (tu_rng_below(r, 4) == 0 && i > 0)
            c[i].balance_cents = c[i - 1].balance_cents;
        c[i].has_tin = tu_rng_below(r, 4) != 0;
    }
    return n;
}

/* Allocate N_PORTFOLIOS random portfolios under P; 0 or -1 (reported). */
static int property_run(const struct profile *p, const char *label,
                        uint64_t seed, uint64_t stream, int n_portfolios)
{
    struct codes k;
    char why[512];

    codes_of(p, &k);
    for (int i = 0; i < n_portfolios; i++) {
        struct tu_rng r = {seed ^ (stream << 32) ^ (uint64_t)i};
        struct allocate_payment pay;
        struct allocate_claim c[MAX_GEN_CLAIMS];
        struct allocate_line l[MAX_GEN_CLAIMS];
        struct allocate_totals t;
        size_t n = gen_portfolio(&r, &k, &pay, c);
        int rc = allocate_run(p, &pay, c, n, l, &t);
        const char *bad = rc != 0
                              ? "allocate_run failed"
                              : verify(p, &pay, c, n, l, &t, why, sizeof why);
        if (bad != NULL) {
            print_error("seed 0x%" PRIx64 " (OG_TEST_SEED) %s stream %" PRIu64
                        " portfolio %d: rc %d: %s\n",
                        seed, label, stream, i, rc, bad);
            dump(&pay, c, n, l, &t);
            return -1;
        }
    }
    return 0;
}

#define PROPERTY_SEED UINT64_C(0x5e70ff0a11ca7e)
#define PORTFOLIOS_PER_SHIPPED 2500
#define SYNTH_PROFILES 250
#define PORTFOLIOS_PER_SYNTH 40

static void test_property_shipped_profiles_keep_every_invariant(void **state)
{
    uint64_t seed = tu_seed(PROPERTY_SEED);

    (void)state;
    for (int i = 0; i < N_SHIPPED; i++)
        if (property_run(shipped[i], shipped_names[i], seed, (uint64_t)i,
                         PORTFOLIOS_PER_SHIPPED) < 0)
            fail_msg("property broken on %s", shipped_names[i]);
}

static void pct(struct tu_sb *b, struct tu_rng *r)
{
    int32_t bp =
        tu_rng_below(r, 4) == 0 ? 10000 : (int32_t)tu_rng_below(r, 10001);
    tu_sb_addf(b, "%d.%02d", bp / 100, bp % 100);
}

static void money(struct tu_sb *b, struct tu_rng *r)
{
    int64_t cents = tu_rng_below(r, 5) == 0 ? 0 : tu_rng_range(r, 1, 5000);
    tu_sb_addf(b, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
}

static const char *const applies_names[] = {"all", "with-tin", "without-tin"};
static const char *const billing_names[] = {"netted", "netted", "monthly"};

static void synth_fee(struct tu_sb *b, struct tu_rng *r, int *n_fees,
                      const char *kind, const char *applies, bool enabled)
{
    tu_sb_addf(b, "<fee name=\"f%d\" kind=\"%s\" ", (*n_fees)++, kind);
    if (strcmp(kind, "withhold-percent") == 0) {
        tu_sb_addf(b, "percent=\"");
        pct(b, r);
    } else {
        tu_sb_addf(b, "amount=\"");
        money(b, r);
    }
    tu_sb_addf(b,
               "\" applies=\"%s\" billing=\"%s\" enabled=\"%s\" "
               "source=\"s\"/>",
               applies, billing_names[tu_rng_below(r, 3)],
               enabled ? "true" : "false");
}

/* A random valid profile: classes T0.., sources S0.., fees of every kind
 * (at most one enabled percentage per kind of debt, as the loader asks). */
static char *synth_profile(struct tu_rng *r)
{
    static const char *const joint[] = {"debtor-share", "whole", "not-allowed"};
    struct tu_sb b = {0};
    int n_types = 1 + (int)tu_rng_below(r, 8), n_fees = 0;
    int n_sources = 1 + (int)tu_rng_below(r, 4);

    tu_sb_addf(&b,
               "%s<matching><rule value=\"tin+last-name\" "
               "source=\"s\"/><joint-refund value=\"%s\" "
               "source=\"s\"/></matching><fees>",
               SYNTH_HEAD, joint[tu_rng_below(r, 3)]);
    for (int i = (int)tu_rng_below(r, 3); i > 0; i--)
        synth_fee(&b, r, &n_fees, "deduct-per-offset",
                  applies_names[tu_rng_below(r, 3)], tu_rng_below(r, 4) != 0);
    for (int i = (int)tu_rng_below(r, 3); i > 0; i--)
        synth_fee(&b, r, &n_fees, "withhold-per-offset",
                  applies_names[tu_rng_below(r, 3)], tu_rng_below(r, 4) != 0);
    if (tu_rng_below(r, 2))
        synth_fee(&b, r, &n_fees, "add-to-debt", "all", true);
    switch (tu_rng_below(r, 3)) {
    case 0:
        synth_fee(&b, r, &n_fees, "withhold-percent", "all", true);
        break;
    case 1:
        synth_fee(&b, r, &n_fees, "withhold-percent", "with-tin",
                  tu_rng_below(r, 3) != 0);
        synth_fee(&b, r, &n_fees, "withhold-percent", "without-tin",
                  tu_rng_below(r, 3) != 0);
        break;
    default:
        break;
    }
    synth_fee(&b, r, &n_fees, "withhold-percent", "all", false);

    tu_sb_addf(&b,
               "</fees><priority><tie-break value=\"%s\" "
               "source=\"s\"/><pay-in-full value=\"true\" "
               "source=\"s\"/>",
               tu_rng_below(r, 2) ? "oldest" : "largest-balance");
    /* the types dealt into classes in order, a class per run */
    for (int t = 0, cls = 0; t < n_types; cls++) {
        int run = 1 + (int)tu_rng_below(r, 3);
        tu_sb_addf(&b, "<class code=\"c%d\" debt-types=\"", cls);
        for (int j = 0; j < run && t < n_types; j++, t++)
            tu_sb_addf(&b, "%sT%d", j ? " " : "", t);
        tu_sb_addf(&b, "\" source=\"s\"/>");
    }
    tu_sb_addf(&b, "</priority><caps>");
    for (int s = 0; s < n_sources; s++) {
        if (tu_rng_below(r, 5) == 0) {
            tu_sb_addf(&b, "<exempt payment=\"S%d\" source=\"s\"/>", s);
            continue;
        }
        tu_sb_addf(&b, "<cap payment=\"S%d\" percent=\"", s);
        pct(&b, r);
        tu_sb_addf(&b, "\" base=\"%s\" source=\"s\">",
                   tu_rng_below(r, 2) ? "payment" : "disposable-pay");
        for (int t = 0; t < n_types; t++) {
            if (tu_rng_below(r, 3) != 0)
                continue;
            tu_sb_addf(&b, "<override debt-types=\"T%d\" percent=\"", t);
            pct(&b, r);
            tu_sb_addf(&b, "\" source=\"s\"/>");
        }
        tu_sb_addf(&b, "</cap>");
    }
    tu_sb_addf(&b, "</caps>%s", SYNTH_TAIL);
    return b.s;
}

static void test_property_synthetic_profiles_keep_every_invariant(void **state)
{
    uint64_t seed = tu_seed(PROPERTY_SEED);

    (void)state;
    for (int i = 0; i < SYNTH_PROFILES; i++) {
        struct tu_rng r = {seed ^ UINT64_C(0xa5a5a5a5) ^ (uint64_t)i << 40};
        char *xml = synth_profile(&r);
        struct layout_problems probs = {0};
        struct profile *p =
            profile_load_buffer("synth.xml", xml, strlen(xml), &probs);
        if (p == NULL) {
            tu_print_problems(&probs);
            layout_problems_release(&probs);
            print_error("seed 0x%" PRIx64 " profile %d:\n%s\n", seed, i, xml);
            free(xml);
            fail_msg("a synthetic profile did not load");
        }
        layout_problems_release(&probs);
        int rc = property_run(p, "synthetic", seed, (uint64_t)(100 + i),
                              PORTFOLIOS_PER_SYNTH);
        if (rc < 0)
            print_error("the profile:\n%s\n", xml);
        profile_free(p);
        free(xml);
        if (rc < 0)
            fail_msg("property broken on synthetic profile %d", i);
    }
}

/* ------------------------------------------------------------------ */

#define CASE(c)                                                                \
    {                                                                          \
#c, run_case, NULL, NULL, (void *)&c                                   \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        CASE(utah_fee_per_agency_first),
        CASE(utah_fee_alone_takes_nothing),
        CASE(utah_fee_and_one_cent),
        CASE(utah_one_fee_per_agency_per_payment),
        CASE(utah_zero_balance_costs_no_fee),
        CASE(utah_joint_refund_taken_whole),
        CASE(utah_unknown_source_releases_all),
        CASE(kansas_payroll_25_percent_of_disposable),
        CASE(kansas_payroll_state_tax_after_others),
        CASE(kansas_payroll_state_tax_first_uses_the_25),
        CASE(kansas_joint_refund_by_debtor_share),
        CASE(kansas_withheld_18_4_with_tin_23_4_without),
        CASE(kansas_exempt_source_releases_all),
        CASE(kansas_payment_above_all_debts_rest_released),
        CASE(kansas_zero_payment_takes_nothing),
        CASE(kansas_no_claims_releases_all),
        CASE(kansas_unknown_debt_type_refused),
        CASE(top_fee_per_offset_withheld),
        CASE(top_benefit_capped_at_15_percent),
        CASE(caltrecs_priority_support_rf_edd_state_local),
        CASE(caltrecs_tie_to_largest_liability),
        CASE(joint_not_allowed_releases_all),
        CASE(fees_honour_applies_and_billing),
        cmocka_unit_test(test_bad_arguments_are_refused),
        cmocka_unit_test(test_profile_not_paying_in_full_is_refused),
        cmocka_unit_test(test_largest_amounts_do_not_overflow),
        cmocka_unit_test(test_check_catches_each_broken_invariant),
        cmocka_unit_test(test_claims_untouched_and_lines_point_at_them),
        cmocka_unit_test(test_property_shipped_profiles_keep_every_invariant),
        cmocka_unit_test(test_property_synthetic_profiles_keep_every_invariant),
    };
    return cmocka_run_group_tests(tests, load_shipped, free_shipped);
}
