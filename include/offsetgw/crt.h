/*
 * crt.h - the Judicial Council of California's collections performance
 * metrics (the Collections Reporting Template's "Performance Metrics"
 * tab) for one agency, from the registry.
 *
 * Owns the arithmetic: which debts are a period's "current" cases and
 * which its "prior" inventory, the money of each (referred, collected,
 * adjusted, discharged) and the six metrics over them.  It reads the
 * registry and changes nothing; it does not format (the CLI does) and
 * knows no cost of collections of its own (the registry holds none: the
 * caller gives a total or a rate per case).
 *
 * Reading of the seed (../shared/domain/seeds/judicial-council-crt-
 * training.txt, "Performance Metrics"), in registry terms; docs/crt.md
 * says the same at length:
 *
 *   current   debts registered ("add") in the period, [from, to)
 *   prior     debts registered before it that were open at its start or
 *             moved in it (a debt closed earlier and untouched is not
 *             inventory)
 *   paid      a case whose collections - reversals in the period > 0
 *   gross     collections (offsets, collections) - reversals
 *   discharge a zero-out: a "zero" history row (the agency's zero
 *             action: no longer pursued), its old balance
 *   adjustment every other decrease that is not money: "change" rows
 *             that lower a balance (court-ordered reductions and the
 *             like)
 *
 *   CEI   = cases paid / cases                 current, prior, combined
 *   FYR   = 1 - closing / value: (value - closing) / value of the
 *           current cases over their first year, [from, max(to, from
 *           + 12 months)); value = what they were referred and raised
 *           by in that window                   current only
 *   SES   = cost / gross                       current, prior, combined
 *   cost to referral = cost / cases            current, prior, combined
 *   adjustment score = adjustments / (opening + additions), combined;
 *           the seed's score is this ratio x 1000
 *   discharge score  = discharges / (opening + additions), combined
 *
 * Ratios are basis points (1/10000, half rounded up: 6667 is 66.67%, an
 * SES of 1500 is $0.15 per dollar, a score of 123 bp is 12.3 per mille);
 * money is cents.  A total cost is shared between current and prior by
 * their cases (as a rate per case would be); a rate per case costs every
 * case counted (current and prior: every case the program works).
 */
#ifndef OFFSETGW_CRT_H
#define OFFSETGW_CRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offsetgw/store.h"

/* A run of calendar months, both included, UTC. */
struct crt_period {
    int32_t from_year, from_month;
    int32_t to_year, to_month;
};

/* "2026-11" or "2026-07..2027-06" into *OUT.  0, or -EINVAL (not that
 * shape, a month out of 1..12, a year out of 1900..9998, an end before
 * the start, more than 1200 months). */
int crt_period_parse(const char *text, struct crt_period *out);

enum crt_cost {
    CRT_COST_NONE,    /* unknown: SES and cost to referral not available */
    CRT_COST_TOTAL,   /* COST_CENTS is the period's cost of collections */
    CRT_COST_PER_CASE /* COST_CENTS is the cost of one case worked */
};

struct crt_request {
    struct store *store;
    int64_t agency_id;
    struct crt_period period;
    enum crt_cost cost;
    int64_t cost_cents; /* >= 0 */
    int32_t today;      /* yyyymmdd: what is over; 0 = calendar_today() */
};

/* The ages of cases, and the index of each in the arrays below. */
enum crt_age { CRT_CURRENT, CRT_PRIOR, CRT_COMBINED, CRT_AGES };

/* "current", "prior", "combined". */
const char *crt_age_name(enum crt_age age);

/* Why a metric has no value. */
enum crt_na {
    CRT_OK,            /* it has one */
    CRT_NA_NO_CASES,   /* no cases of that age */
    CRT_NA_NO_VALUE,   /* no balance to measure against */
    CRT_NA_NO_COST,    /* no cost of collections given */
    CRT_NA_NO_REVENUE, /* nothing (net of reversals) collected */
    CRT_NA_UNDEFINED   /* the seed defines it for another age only */
};

/* "ok", "no-cases", "no-value", "no-cost", "no-revenue", "undefined". */
const char *crt_na_name(enum crt_na na);

struct crt_metric {
    int64_t value; /* basis points or cents; 0 when NA is not CRT_OK */
    enum crt_na na;
};

/* One age's cases and money over the period. */
struct crt_group {
    int64_t cases;
    int64_t cases_paid;       /* collections - reversals > 0 */
    int64_t cases_discharged; /* zeroed out (a discharge > 0) */
    int64_t opening_cents;    /* balances at the start; 0 for current */
    int64_t additions_cents;  /* referred, raised */
    int64_t collections_cents, reversals_cents;
    int64_t gross_cents;       /* collections - reversals */
    int64_t adjustments_cents; /* decreases but zero-outs */
    int64_t discharges_cents;  /* zero-outs */
    int64_t closing_cents;     /* balances at the end */
    int64_t cost_cents;        /* 0 when the cost is not known */
};

struct crt_result {
    char from_at[24], to_at[24]; /* the period's instants, to excluded */
    int32_t first_day, last_day; /* yyyymmdd */
    bool period_over;            /* today is past its last day */
    enum crt_cost cost;          /* as asked */
    struct crt_group group[CRT_AGES];

    /* the first year of the current cases */
    int32_t fyr_end;     /* yyyymmdd, the first day after it */
    bool fyr_over;       /* today is on or past FYR_END */
    int32_t fyr_through; /* the last day measured: FYR_END - 1 or today */
    int64_t fyr_value_cents, fyr_closing_cents;

    struct crt_metric cei[CRT_AGES];
    struct crt_metric fyr[CRT_AGES]; /* current only; the others undefined */
    struct crt_metric ses[CRT_AGES];
    struct crt_metric cost_per_case[CRT_AGES]; /* cents */
    /* combined only; current and prior undefined */
    struct crt_metric adjustment_score[CRT_AGES];
    struct crt_metric discharge_score[CRT_AGES];
};

/* The metrics of agency RQ->agency_id over RQ->period into *RES.  Reads
 * the registry without a transaction of its own, so that a report never
 * holds a writer back (what is written while it runs lands after the
 * period's end unless the period is not over).  0, or negative with ERR:
 * -EINVAL (a bad request), -EPROTO (a debt whose history does not tie
 * out: its account named), -EOVERFLOW (money past int64), -ENOMEM, or
 * the store's error. */
int crt_compute(const struct crt_request *rq, struct crt_result *res, char *err,
                size_t err_size);

#endif
