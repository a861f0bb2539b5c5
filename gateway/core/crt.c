/*
 * crt.c - the CRT's collections performance metrics (see crt.h).
 *
 * Three passes of store_reconcile_each() over the agency: from the
 * beginning to the period's start (who was registered before it, and
 * each debt's money until then), the period (the money of each case),
 * and the current cases' first year.  Those sums do not tell a zero-out
 * from another decrease, and a history row (struct store_change) carries
 * no time, so a debt lowered in the period has its history walked: its
 * rows before the period are the shortest prefix whose money is the
 * first pass's, its rows in the period the ones after that until the
 * money is the first and second passes' together (rows that move no
 * money are the only ones this cannot place, and they count for
 * nothing).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/calendar.h"
#include "offsetgw/crt.h"

#define BP 10000 /* basis points in one */
#define MAX_MONTHS 1200

static const char epoch_at[] = "0000-01-01T00:00:00Z";

/* --- periods -------------------------------------------------------------- */

/* N decimal digits at *P, advancing it; -1 when they are not there. */
static int32_t digits(const char **p, int n)
{
    int32_t v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

/* "YYYY-MM" at *P, advancing it. */
static int month_at(const char **p, int32_t *year, int32_t *month)
{
    if ((*year = digits(p, 4)) < 0 || **p != '-')
        return -EINVAL;
    (*p)++;
    if ((*month = digits(p, 2)) < 1 || *month > 12 || *year < 1900 ||
        *year > 9998)
        return -EINVAL;
    return 0;
}

/* Months since year 0 of YEAR-MONTH. */
static int32_t month_index(int32_t year, int32_t month)
{
    return year * 12 + month - 1;
}

/* The yyyymmdd of the first day of month index M. */
static int32_t month_first(int32_t m)
{
    return (m / 12) * 10000 + (m % 12 + 1) * 100 + 1;
}

/* true when P is a period crt_period_parse() could have made. */
static bool period_valid(const struct crt_period *p)
{
    if (p->from_month < 1 || p->from_month > 12 || p->to_month < 1 ||
        p->to_month > 12 || p->from_year < 1900 || p->from_year > 9998 ||
        p->to_year < 1900 || p->to_year > 9998)
        return false;
    int32_t from = month_index(p->from_year, p->from_month);
    int32_t to = month_index(p->to_year, p->to_month);
    return to >= from && to - from < MAX_MONTHS;
}

int crt_period_parse(const char *text, struct crt_period *out)
{
    const char *p = text;
    struct crt_period v;
    if (text == NULL || month_at(&p, &v.from_year, &v.from_month) < 0)
        return -EINVAL;
    if (*p == '\0') {
        v.to_year = v.from_year;
        v.to_month = v.from_month;
    } else if (p[0] != '.' || p[1] != '.') {
        return -EINVAL;
    } else {
        p += 2;
        if (month_at(&p, &v.to_year, &v.to_month) < 0 || *p != '\0')
            return -EINVAL;
    }
    if (!period_valid(&v))
        return -EINVAL;
    *out = v;
    return 0;
}

/* --- names ---------------------------------------------------------------- */

const char *crt_age_name(enum crt_age age)
{
    static const char *const names[] = {"current", "prior", "combined"};
    return (unsigned)age < CRT_AGES ? names[age] : "?";
}

const char *crt_na_name(enum crt_na na)
{
    static const char *const names[] = {"ok",      "no-cases",   "no-value",
                                        "no-cost", "no-revenue", "undefined"};
    return (unsigned)na <= CRT_NA_UNDEFINED ? names[na] : "?";
}

/* --- arithmetic ----------------------------------------------------------- */

/* round(A * B / C), half up, for A, B >= 0 and C > 0; -EOVERFLOW when
 * A * B does not fit. */
static int mul_div(int64_t a, int64_t b, int64_t c, int64_t *out)
{
    if (a < 0 || b < 0 || c <= 0)
        return -EINVAL;
    if (b != 0 && a > (INT64_MAX - c / 2) / b)
        return -EOVERFLOW;
    *out = (a * b + c / 2) / c;
    return 0;
}

static int add_money(int64_t *sum, int64_t v)
{
    if ((v > 0 && *sum > INT64_MAX - v) || (v < 0 && *sum < INT64_MIN - v))
        return -EOVERFLOW;
    *sum += v;
    return 0;
}

/* --- the walk ------------------------------------------------------------- */

/* A debt's money as the reconciliation sums it. */
struct money {
    int64_t additions, collections, reversals, adjustments;
};

static bool money_equal(const struct money *a, const struct money *b)
{
    return a->additions == b->additions && a->collections == b->collections &&
           a->reversals == b->reversals && a->adjustments == b->adjustments;
}

/* A debt as it stood before the period: registered or not, its money. */
struct before {
    int64_t debt_id;
    bool existed;
    struct money m;
};

/* A debt lowered in the period, to walk. */
struct lowered {
    int64_t debt_id;
    char account[STORE_NAME_MAX];
    enum crt_age age;
    struct money before, period;
};

struct walk {
    struct money until_start, until_end; /* the targets */
    struct money sum;
    int phase;          /* 0 before the period, 1 in it, 2 after */
    int64_t discharges; /* zero-outs in the period */
};

/* As store.c's reconciliation query classifies a history row. */
static void classify(const struct store_change *c, struct money *m,
                     int64_t *zeroed)
{
    int64_t delta = c->new_balance - c->old_balance;
    *zeroed = 0;
    if (strcmp(c->change, "offset") == 0 ||
        strcmp(c->change, "collection") == 0)
        m->collections -= delta;
    else if (strcmp(c->change, "reversal") == 0)
        m->reversals += delta;
    else if (delta > 0)
        m->additions += delta;
    else if (delta < 0) {
        m->adjustments -= delta;
        if (strcmp(c->change, "zero") == 0)
            *zeroed = -delta;
    }
}

static void advance(struct walk *w)
{
    if (w->phase == 0 && money_equal(&w->sum, &w->until_start))
        w->phase = 1;
    if (w->phase == 1 && money_equal(&w->sum, &w->until_end))
        w->phase = 2;
}

static int walk_row(const struct store_change *c, void *arg)
{
    struct walk *w = arg;
    int64_t zeroed;
    advance(w);
    if (w->phase == 2)
        return 1; /* the rest is after the period */
    classify(c, &w->sum, &zeroed);
    if (w->phase == 1)
        w->discharges += zeroed;
    return 0;
}

/* --- the passes ----------------------------------------------------------- */

struct crt {
    const struct crt_request *rq;
    struct crt_result *res;
    char *err;
    size_t err_size;
    struct before *before; /* pass 1, then sorted by debt id */
    size_t n_before, cap_before;
    int64_t *current; /* pass 2: the current cases' ids, then sorted */
    size_t n_current, cap_current;
    struct lowered *lowered;
    size_t n_lowered, cap_lowered;
};

__attribute__((format(printf, 3, 4))) static int fail(struct crt *c, int code,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_size, fmt, ap);
    va_end(ap);
    return code;
}

/* Room for one more of SIZE bytes in *ARRAY holding *N of *CAP. */
static int grow(void **array, size_t *n, size_t *cap, size_t size)
{
    if (*n < *cap)
        return 0;
    size_t new_cap = *cap ? *cap * 2 : 64;
    if (new_cap > SIZE_MAX / size)
        return -ENOMEM;
    void *p = realloc(*array, new_cap * size);
    if (p == NULL)
        return -ENOMEM;
    *array = p;
    *cap = new_cap;
    return 0;
}

static int cmp_before(const void *a, const void *b)
{
    int64_t x = ((const struct before *)a)->debt_id;
    int64_t y = ((const struct before *)b)->debt_id;
    return (x > y) - (x < y);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int pass_before(const struct store_recon *r, void *arg)
{
    struct crt *c = arg;
    if (grow((void **)&c->before, &c->n_before, &c->cap_before,
             sizeof(*c->before)) < 0)
        return -ENOMEM;
    c->before[c->n_before++] = (struct before){
        .debt_id = r->debt_id,
        .existed = r->existed,
        .m = {r->additions, r->collections, r->reversals, r->adjustments}};
    return 0;
}

static const struct before *find_before(const struct crt *c, int64_t debt_id)
{
    struct before key = {.debt_id = debt_id};
    if (c->n_before == 0)
        return NULL; /* bsearch() wants an array, even an empty one */
    return bsearch(&key, c->before, c->n_before, sizeof(*c->before),
                   cmp_before);
}

static int add_group(struct crt_group *g, const struct store_recon *r)
{
    int64_t gross = r->collections - r->reversals;
    g->cases++;
    g->cases_paid += gross > 0;
    if (add_money(&g->opening_cents, r->opening) < 0 ||
        add_money(&g->additions_cents, r->additions) < 0 ||
        add_money(&g->collections_cents, r->collections) < 0 ||
        add_money(&g->reversals_cents, r->reversals) < 0 ||
        add_money(&g->gross_cents, gross) < 0 ||
        add_money(&g->adjustments_cents, r->adjustments) < 0 ||
        add_money(&g->closing_cents, r->closing) < 0)
        return -EOVERFLOW;
    return 0;
}

static int pass_period(const struct store_recon *r, void *arg)
{
    struct crt *c = arg;
    const struct before *b = find_before(c, r->debt_id);
    bool registered_before = b != NULL && b->existed;
    bool moved =
        r->additions || r->collections || r->reversals || r->adjustments;
    enum crt_age age;
    if (!r->existed)
        return 0; /* registered after the period */
    if (!registered_before)
        age = CRT_CURRENT;
    else if (r->opening > 0 || moved)
        age = CRT_PRIOR;
    else
        return 0; /* closed before the period, and left alone */
    if (r->collections != r->ledger_collections ||
        r->reversals != r->ledger_reversals ||
        r->opening + r->additions - r->collections + r->reversals -
                r->adjustments !=
            r->closing)
        return fail(
            c, -EPROTO, "debt %lld (account %s) does not tie out over %s .. %s",
            (long long)r->debt_id, r->account, c->res->from_at, c->res->to_at);
    if (add_group(&c->res->group[age], r) < 0)
        return fail(c, -EOVERFLOW, "money past what 64 bits hold");
    if (age == CRT_CURRENT) {
        if (grow((void **)&c->current, &c->n_current, &c->cap_current,
                 sizeof(*c->current)) < 0)
            return -ENOMEM;
        c->current[c->n_current++] = r->debt_id;
    }
    if (r->adjustments > 0) {
        if (grow((void **)&c->lowered, &c->n_lowered, &c->cap_lowered,
                 sizeof(*c->lowered)) < 0)
            return -ENOMEM;
        struct lowered *l = &c->lowered[c->n_lowered++];
        *l = (struct lowered){.debt_id = r->debt_id,
                              .age = age,
                              .period = {r->additions, r->collections,
                                         r->reversals, r->adjustments}};
        if (registered_before)
            l->before = b->m;
        store_text_copy(l->account, sizeof(l->account), r->account);
    }
    return 0;
}

static int pass_first_year(const struct store_recon *r, void *arg)
{
    struct crt *c = arg;
    if (c->n_current == 0 || bsearch(&r->debt_id, c->current, c->n_current,
                                     sizeof(*c->current), cmp_id) == NULL)
        return 0;
    if (add_money(&c->res->fyr_value_cents, r->additions) < 0 ||
        add_money(&c->res->fyr_closing_cents, r->closing) < 0)
        return fail(c, -EOVERFLOW, "money past what 64 bits hold");
    return 0;
}

/* Split the period's decreases of the lowered debts into adjustments and
 * discharges. */
static int split_discharges(struct crt *c)
{
    for (size_t i = 0; i < c->n_lowered; i++) {
        const struct lowered *l = &c->lowered[i];
        struct walk w = {.until_start = l->before};
        w.until_end =
            (struct money){l->before.additions + l->period.additions,
                           l->before.collections + l->period.collections,
                           l->before.reversals + l->period.reversals,
                           l->before.adjustments + l->period.adjustments};
        int rc = store_debt_history(c->rq->store, l->debt_id, walk_row, &w);
        if (rc < 0)
            return fail(c, rc, "registry: %s", store_error(c->rq->store));
        advance(&w);
        if (w.phase != 2 || w.discharges > l->period.adjustments)
            return fail(c, -EPROTO,
                        "debt %lld (account %s): its history does not "
                        "add up to its reconciliation over %s .. %s",
                        (long long)l->debt_id, l->account, c->res->from_at,
                        c->res->to_at);
        struct crt_group *g = &c->res->group[l->age];
        g->discharges_cents += w.discharges;
        g->adjustments_cents -= w.discharges;
        g->cases_discharged += w.discharges > 0;
    }
    return 0;
}

/* --- the metrics ---------------------------------------------------------- */

static int ratio(struct crt *c, int64_t num, int64_t den, enum crt_na if_none,
                 struct crt_metric *m)
{
    *m = (struct crt_metric){.na = if_none};
    if (den <= 0)
        return 0;
    if (num < 0) { /* only the unreal: a debt resolved past its value */
        m->na = CRT_NA_NO_VALUE;
        return 0;
    }
    m->na = CRT_OK;
    if (mul_div(num, BP, den, &m->value) < 0)
        return fail(c, -EOVERFLOW, "a ratio past what 64 bits hold");
    return 0;
}

static int share_cost(struct crt *c)
{
    const struct crt_request *rq = c->rq;
    struct crt_group *g = c->res->group;
    int64_t cases = g[CRT_CURRENT].cases + g[CRT_PRIOR].cases;
    switch (rq->cost) {
    case CRT_COST_NONE:
        return 0;
    case CRT_COST_TOTAL:
        if (cases == 0) {
            g[CRT_COMBINED].cost_cents = rq->cost_cents;
            return 0;
        }
        if (mul_div(rq->cost_cents, g[CRT_CURRENT].cases, cases,
                    &g[CRT_CURRENT].cost_cents) < 0)
            return fail(c, -EOVERFLOW, "cost past what 64 bits hold");
        g[CRT_PRIOR].cost_cents = rq->cost_cents - g[CRT_CURRENT].cost_cents;
        break;
    case CRT_COST_PER_CASE:
        for (int a = CRT_CURRENT; a <= CRT_PRIOR; a++)
            if (mul_div(rq->cost_cents, g[a].cases, 1, &g[a].cost_cents) < 0)
                return fail(c, -EOVERFLOW, "cost past what 64 bits hold");
        break;
    }
    return add_money(&g[CRT_COMBINED].cost_cents, g[CRT_CURRENT].cost_cents) <
                       0 ||
                   add_money(&g[CRT_COMBINED].cost_cents,
                             g[CRT_PRIOR].cost_cents) < 0
               ? fail(c, -EOVERFLOW, "cost past what 64 bits hold")
               : 0;
}

static int combine(struct crt *c)
{
    struct crt_group *g = c->res->group;
    struct crt_group *cur = &g[CRT_CURRENT], *pri = &g[CRT_PRIOR];
    struct crt_group *all = &g[CRT_COMBINED];
    all->cases = cur->cases + pri->cases;
    all->cases_paid = cur->cases_paid + pri->cases_paid;
    all->cases_discharged = cur->cases_discharged + pri->cases_discharged;
    int64_t *const sums[][3] = {
        {&all->opening_cents, &cur->opening_cents, &pri->opening_cents},
        {&all->additions_cents, &cur->additions_cents, &pri->additions_cents},
        {&all->collections_cents, &cur->collections_cents,
         &pri->collections_cents},
        {&all->reversals_cents, &cur->reversals_cents, &pri->reversals_cents},
        {&all->gross_cents, &cur->gross_cents, &pri->gross_cents},
        {&all->adjustments_cents, &cur->adjustments_cents,
         &pri->adjustments_cents},
        {&all->discharges_cents, &cur->discharges_cents,
         &pri->discharges_cents},
        {&all->closing_cents, &cur->closing_cents, &pri->closing_cents},
    };
    for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++) {
        *sums[i][0] = *sums[i][1];
        if (add_money(sums[i][0], *sums[i][2]) < 0)
            return fail(c, -EOVERFLOW, "money past what 64 bits hold");
    }
    return 0;
}

static int metrics(struct crt *c)
{
    struct crt_result *res = c->res;
    const struct crt_group *g = res->group;
    const struct crt_metric undefined = {.na = CRT_NA_UNDEFINED};
    const struct crt_metric no_cost = {.na = CRT_NA_NO_COST};
    int rc;
    for (int a = 0; a < CRT_AGES; a++) {
        res->fyr[a] = undefined;
        res->adjustment_score[a] = undefined;
        res->discharge_score[a] = undefined;
        res->ses[a] = no_cost;
        res->cost_per_case[a] = no_cost;
        if ((rc = ratio(c, g[a].cases_paid, g[a].cases, CRT_NA_NO_CASES,
                        &res->cei[a])) < 0)
            return rc;
        if (c->rq->cost == CRT_COST_NONE)
            continue;
        res->ses[a].na = res->cost_per_case[a].na = CRT_NA_NO_CASES;
        if (g[a].cases == 0)
            continue;
        if ((rc = ratio(c, g[a].cost_cents, g[a].gross_cents, CRT_NA_NO_REVENUE,
                        &res->ses[a])) < 0)
            return rc;
        res->cost_per_case[a].na = CRT_OK;
        if (mul_div(g[a].cost_cents, 1, g[a].cases,
                    &res->cost_per_case[a].value) < 0)
            return fail(c, -EOVERFLOW, "cost past what 64 bits hold");
    }
    if (g[CRT_CURRENT].cases == 0)
        res->fyr[CRT_CURRENT].na = CRT_NA_NO_CASES;
    else if ((rc = ratio(c, res->fyr_value_cents - res->fyr_closing_cents,
                         res->fyr_value_cents, CRT_NA_NO_VALUE,
                         &res->fyr[CRT_CURRENT])) < 0)
        return rc;
    /* the value the program had to work: the inventory's opening and
     * everything referred or raised in the period */
    const struct crt_group *all = &g[CRT_COMBINED];
    int64_t balance = all->opening_cents;
    if (add_money(&balance, all->additions_cents) < 0)
        return fail(c, -EOVERFLOW, "money past what 64 bits hold");
    if ((rc = ratio(c, all->adjustments_cents, balance, CRT_NA_NO_VALUE,
                    &res->adjustment_score[CRT_COMBINED])) < 0 ||
        (rc = ratio(c, all->discharges_cents, balance, CRT_NA_NO_VALUE,
                    &res->discharge_score[CRT_COMBINED])) < 0)
        return rc;
    return 0;
}

/* --- the report ----------------------------------------------------------- */

static void instant(int32_t ymd, char *buf, size_t size)
{
    char day[16];
    calendar_format(ymd, day);
    snprintf(buf, size, "%sT00:00:00Z", day);
}

int crt_compute(const struct crt_request *rq, struct crt_result *res, char *err,
                size_t err_size)
{
    struct crt c = {.rq = rq, .res = res, .err = err, .err_size = err_size};
    char fyr_at[24];
    int rc;

    memset(res, 0, sizeof(*res));
    if (err_size > 0)
        err[0] = '\0';
    const struct crt_period *p = &rq->period;
    if (rq->store == NULL || !period_valid(p))
        return fail(&c, -EINVAL, "no period %04d-%02d..%04d-%02d",
                    (int)p->from_year, (int)p->from_month, (int)p->to_year,
                    (int)p->to_month);
    if (rq->cost_cents < 0 ||
        (rq->cost != CRT_COST_NONE && rq->cost != CRT_COST_TOTAL &&
         rq->cost != CRT_COST_PER_CASE))
        return fail(&c, -EINVAL, "a cost of collections is never negative");
    int32_t today = rq->today ? rq->today : calendar_today(NULL);
    int32_t from = month_index(p->from_year, p->from_month);
    int32_t to = month_index(p->to_year, p->to_month) + 1; /* excluded */
    int32_t year_end = from + 12 > to ? from + 12 : to;
    res->cost = rq->cost;
    res->first_day = month_first(from);
    res->last_day = calendar_add_days(month_first(to), -1);
    res->period_over = today > res->last_day;
    res->fyr_end = month_first(year_end);
    res->fyr_over = today >= res->fyr_end;
    res->fyr_through =
        res->fyr_over ? calendar_add_days(res->fyr_end, -1) : today;
    instant(res->first_day, res->from_at, sizeof(res->from_at));
    instant(month_first(to), res->to_at, sizeof(res->to_at));
    instant(res->fyr_end, fyr_at, sizeof(fyr_at));

    rc = store_reconcile_each(rq->store, rq->agency_id, epoch_at, res->from_at,
                              pass_before, &c);
    if (rc == 0) {
        if (c.n_before > 0) /* qsort() wants an array, even an empty one */
            qsort(c.before, c.n_before, sizeof(*c.before), cmp_before);
        rc = store_reconcile_each(rq->store, rq->agency_id, res->from_at,
                                  res->to_at, pass_period, &c);
    }
    if (rc == 0) {
        if (c.n_current > 0)
            qsort(c.current, c.n_current, sizeof(*c.current), cmp_id);
        rc = store_reconcile_each(rq->store, rq->agency_id, res->from_at,
                                  fyr_at, pass_first_year, &c);
    }
    if (rc == -ENOMEM)
        rc = fail(&c, rc, "out of memory");
    else if (rc < 0 && (err_size == 0 || err[0] == '\0'))
        rc = fail(&c, rc, "registry: %s", store_error(rq->store));
    if (rc == 0)
        rc = split_discharges(&c);
    if (rc == 0)
        rc = combine(&c);
    if (rc == 0)
        rc = share_cost(&c);
    if (rc == 0)
        rc = metrics(&c);
    free(c.before);
    free(c.current);
    free(c.lowered);
    return rc;
}
