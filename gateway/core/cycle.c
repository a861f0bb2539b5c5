/*
 * cycle.c - outbound cycles (see cycle.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/calendar.h"
#include "offsetgw/cycle.h"
#include "offsetgw/failpoint.h"
#include "offsetgw/outbox.h"
#include "offsetgw/profile.h"
#include "offsetgw/writer.h"

/* What the partner is told of one debt. */
enum verdict { V_NONE, V_ADD, V_INCREASE, V_DECREASE, V_ZERO };

struct cycle {
    const struct cycle_request *rq;
    struct cycle_result *res;
    struct store *s;
    struct profile *profile;
    struct layout *layout;
    const struct layout_record *detail;
    const char *action_code[V_ZERO + 1]; /* the layout's code for each */
    int32_t today;
    struct outbox_file out;
    struct writer *w;
    int64_t cycle_id;
    bool request;       /* this run is the address request, not a referral */
    int64_t lines;      /* lines written so far */
    int64_t *certify;   /* debts certified by this referral, and their */
    int64_t *cert_line; /* lines in its file */
    size_t n_certify, cap_certify;
    char *err;
    size_t err_size;
    int rc; /* the first failure inside the candidate walk */
};

__attribute__((format(printf, 3, 4))) static int fail(struct cycle *c, int code,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_size, fmt, ap);
    va_end(ap);
    return code;
}

/* The exchange a partner of this kind is sent its debts in. */
const char *cycle_exchange(enum partner_kind kind)
{
    switch (kind) {
    case PARTNER_TAXBOARD:
        return "taxboard-debt";
    case PARTNER_TREASURY:
        return "treasury-referral";
    default:
        return NULL;
    }
}

/* The exchange a partner of this kind is asked for addresses in, where
 * the notice follows the address match. */
static const char *request_exchange(enum partner_kind kind)
{
    return kind == PARTNER_TREASURY   ? "treasury-address-request"
           : kind == PARTNER_TAXBOARD ? "taxboard-address-request"
                                      : NULL;
}

static int load_profile(struct cycle *c)
{
    struct layout_problems probs = {0};
    c->profile = profile_load_program(c->rq->programs_dir,
                                      c->rq->partner->program, &probs);
    if (c->profile == NULL) {
        fail(c, -EINVAL, "program '%s': %s", c->rq->partner->program,
             probs.n ? probs.items[0].message : "cannot load");
        layout_problems_release(&probs);
        return -EINVAL;
    }
    return 0;
}

static int load(struct cycle *c, const char *exchange)
{
    struct layout_problems probs = {0};
    char path[HOME_PATH_MAX];
    if (profile_exchange_path(c->profile, exchange, NULL, path, sizeof(path)) <
        0)
        return fail(c, -ENOENT, "program %s has no layout for %s",
                    c->profile->name, exchange);
    if ((c->layout = layout_load(path, &probs)) == NULL) {
        fail(c, -EINVAL, "%s:%ld: %s", path, probs.n ? probs.items[0].line : 0L,
             probs.n ? probs.items[0].message : "cannot load");
        layout_problems_release(&probs);
        return -EINVAL;
    }
    c->detail = layout_record_by_name(c->layout, "detail");
    if (c->request) {
        static const char *const need[] = {"agency_debt_id", "tin",
                                           "name_control"};
        for (size_t k = 0; k < sizeof(need) / sizeof(*need); k++)
            if (c->detail == NULL || layout_field_index(c->detail, need[k]) < 0)
                return fail(c, -EINVAL,
                            "%s: no record 'detail' with a field "
                            "'%s'",
                            path, need[k]);
        return 0;
    }
    int a = c->detail ? layout_field_index(c->detail, "action") : -1;
    if (a < 0)
        return fail(c, -EINVAL, "%s: no record 'detail' with a field 'action'",
                    path);
    const struct layout_field *f = &c->detail->fields[a];
    const char *change = layout_code_for(f, "change");
    c->action_code[V_ADD] = layout_code_for(f, "add");
    c->action_code[V_ZERO] = layout_code_for(f, "zero");
    c->action_code[V_INCREASE] = layout_code_for(f, "increase");
    c->action_code[V_DECREASE] = layout_code_for(f, "decrease");
    if (c->action_code[V_INCREASE] == NULL)
        c->action_code[V_INCREASE] = change;
    if (c->action_code[V_DECREASE] == NULL)
        c->action_code[V_DECREASE] = change;
    for (int v = V_ADD; v <= V_ZERO; v++)
        if (c->action_code[v] == NULL)
            return fail(c, -EINVAL,
                        "%s: field 'action' has no code that means add, "
                        "increase/change, decrease/change and zero",
                        path);
    return 0;
}

/* The partner file's fields the registry does not model come from the
 * agency record's attributes of the same name. */
static int put_attributes(struct cycle *c, const char *attributes)
{
    const char *line = attributes;
    while (*line != '\0') {
        const char *eq = strchr(line, '='), *nl = strchr(line, '\n');
        if (eq == NULL || nl == NULL || eq > nl)
            break;
        char name[64], value[128];
        snprintf(name, sizeof(name), "%.*s", (int)(eq - line), line);
        snprintf(value, sizeof(value), "%.*s", (int)(nl - eq - 1), eq + 1);
        int i = layout_field_index(c->detail, name);
        if (i >= 0) {
            const struct layout_field *f = &c->detail->fields[i];
            int rc =
                f->type == FT_TEXT || f->type == FT_CODE || f->type == FT_DIGITS
                    ? writer_put_text(c->w, name, value)
                    : 0; /* numbers and dates: not passed on */
            if (rc < 0)
                return rc;
        }
        line = nl + 1;
    }
    return 0;
}

/* May the debt be offset now under the profile's rules?  Where the
 * notice follows the address match, only a certified debt may, and one
 * whose notice was sent is certified here (*CERTIFY) once the notice
 * period has passed, if it still qualifies: its balance at least the
 * program's minimum. */
static bool eligible(const struct cycle *c, const struct store_debt *d,
                     bool *certify)
{
    const struct profile *p = c->profile;
    *certify = false;
    if (d->balance_cents <= 0 || d->status == DEBT_X || d->status == DEBT_E ||
        d->status == DEBT_D)
        return false;
    int32_t delay = p->referral_delay_days;
    if (delay > 0 && (d->delinquency_date == 0 ||
                      calendar_add_days(d->delinquency_date, delay) > c->today))
        return false;
    if (p->notice_stage != PROFILE_NOTICE_AFTER_MATCH || d->status == DEBT_C)
        return true;
    if (d->status != DEBT_S || d->notice_date == 0 ||
        calendar_add_days(d->notice_date, p->notice_days) > c->today ||
        d->balance_cents < p->min_debt_cents)
        return false;
    *certify = true;
    return true;
}

/* Remember that DEBT_ID is certified by this cycle's file, at the line
 * just written. */
static int note_certified(struct cycle *c, int64_t debt_id)
{
    if (c->n_certify == c->cap_certify) {
        size_t cap = c->cap_certify ? c->cap_certify * 2 : 256;
        int64_t *ids = failpoint_realloc(c->certify, cap * sizeof(*ids));
        if (ids == NULL)
            return -ENOMEM;
        c->certify = ids;
        int64_t *lines = failpoint_realloc(c->cert_line, cap * sizeof(*lines));
        if (lines == NULL)
            return -ENOMEM;
        c->cert_line = lines;
        c->cap_certify = cap;
    }
    c->certify[c->n_certify] = debt_id;
    c->cert_line[c->n_certify++] = c->lines;
    return 0;
}

static int write_detail(struct cycle *c, const struct store_candidate *cand,
                        enum verdict v, int64_t amount)
{
    const struct store_debt *d = &cand->debt;
    struct store_name name;
    char tin_type[2] = {0}, tin[10], id[24];
    int rc;
    if ((rc = store_debtor_get(c->s, d->debtor_id, &tin_type[0], tin)) < 0 ||
        (rc = store_debtor_name(c->s, d->debtor_id, &name)) < 0)
        return fail(c, rc, "registry: %s", store_error(c->s));
    snprintf(id, sizeof(id), "%lld", (long long)d->id);
    if (writer_begin(c->w, "detail") < 0 ||
        (v != V_NONE &&
         writer_put_text(c->w, "action", c->action_code[v]) < 0) ||
        (v != V_NONE && writer_put_num(c->w, "amount", amount) < 0) ||
        writer_put_text(c->w, "agency_code", cand->agency_code) < 0 ||
        writer_put_text(c->w, "account", d->account) < 0 ||
        writer_put_text(c->w, "agency_debt_id", id) < 0 ||
        writer_put_text(c->w, "tin_type", tin_type) < 0 ||
        writer_put_text(c->w, "tin", tin) < 0 ||
        writer_put_text(c->w, "name_control", name.name_control) < 0 ||
        writer_put_text(c->w, "last_name", name.last) < 0 ||
        writer_put_text(c->w, "first_name", name.first) < 0 ||
        writer_put_text(c->w, "middle_initial", name.middle) < 0 ||
        put_attributes(c, d->attributes) < 0)
        return fail(c, -EINVAL, "debt %lld: %s", (long long)d->id,
                    writer_error(c->w));
    /* the agency's debt type when the partner's field takes it */
    int t = layout_field_index(c->detail, "debt_type");
    if (t >= 0 && layout_code_means(&c->detail->fields[t], d->debt_type,
                                    strlen(d->debt_type)) == NULL) {
        bool listed = false;
        const struct layout_field *f = &c->detail->fields[t];
        for (size_t k = 0; k < f->n_codes && !listed; k++)
            listed = strcmp(f->codes[k].value, d->debt_type) == 0;
        if (listed || f->type != FT_CODE)
            writer_put_text(c->w, "debt_type", d->debt_type);
    }
    writer_put_num(c->w, "delinquency_date", d->delinquency_date);
    writer_put_num(c->w, "original_amount", d->original_cents);
    if (writer_end(c->w) < 0)
        return fail(c, -EINVAL, "debt %lld: %s", (long long)d->id,
                    writer_error(c->w));
    c->lines++;
    return 0;
}

/* One debt of an address request: who the debtor is, nothing of money. */
static int each_request(const struct store_candidate *cand, void *arg)
{
    struct cycle *c = arg;
    if ((c->rc = write_detail(c, cand, V_NONE, 0)) < 0)
        return 1;
    if ((c->rc = store_request_set(c->s, cand->debt.id, c->cycle_id)) < 0) {
        fail(c, c->rc, "registry: %s", store_error(c->s));
        return 1;
    }
    c->res->requested++;
    return 0;
}

static int each_candidate(const struct store_candidate *cand, void *arg)
{
    struct cycle *c = arg;
    struct cycle_result *res = c->res;
    const struct store_debt *d = &cand->debt;
    bool certify;
    int64_t target = eligible(c, d, &certify) ? d->balance_cents : 0;
    enum verdict v = V_NONE;
    if (!cand->was_sent) {
        if (target > 0)
            v = V_ADD;
        else if (d->status != DEBT_X)
            res->deferred++;
    } else if (target != cand->sent_cents) {
        v = target == 0                 ? V_ZERO
            : target > cand->sent_cents ? V_INCREASE
                                        : V_DECREASE;
    }
    if (v == V_NONE)
        return 0;
    if ((c->rc = write_detail(c, cand, v, target)) < 0)
        return 1;
    if (certify && (c->rc = note_certified(c, d->id)) < 0) {
        fail(c, c->rc, "out of memory");
        return 1;
    }
    if ((c->rc = store_sent_set(c->s, c->rq->partner->id, d->id, target,
                                c->cycle_id)) < 0) {
        fail(c, c->rc, "registry: %s", store_error(c->s));
        return 1;
    }
    if (v == V_ADD)
        res->adds++;
    else if (v == V_ZERO)
        res->zeros++;
    else
        res->changes++;
    res->amount_cents += target;
    return 0;
}

/* Header and trailer fields the gateway knows: who sends, when. */
static int frame(struct cycle *c, const char *record)
{
    const struct layout_record *r = layout_record_by_name(c->layout, record);
    if (r == NULL)
        return 0;
    int32_t hms;
    int32_t today = calendar_today(&hms);
    const char *code = c->rq->partner->agency_code;
    if (writer_begin(c->w, record) < 0)
        return -EINVAL;
    int i;
    if ((i = layout_field_index(r, "sender_id")) >= 0 && *code)
        writer_set_text(c->w, i, code, strlen(code));
    if ((i = layout_field_index(r, "agency_code")) >= 0 && *code)
        writer_set_text(c->w, i, code, strlen(code));
    writer_set_num_by_name(c->w, "file_date", today);
    writer_set_num_by_name(c->w, "file_time",
                           hms / 10000 * 3600 + hms / 100 % 100 * 60 +
                               hms % 100);
    writer_set_num_by_name(c->w, "file_seq", c->cycle_id % 1000000);
    int rc = writer_end(c->w);
    c->lines += rc == 0;
    return rc;
}

/* The debts this referral certified: status C, from its file and line. */
static int certify(struct cycle *c, int64_t file_id)
{
    for (size_t i = 0; i < c->n_certify; i++) {
        struct store_source src = {.file_id = file_id, .line = c->cert_line[i]};
        int rc = store_debt_set_status(c->s, c->certify[i], DEBT_C, &src);
        if (rc < 0)
            return rc;
    }
    c->res->certified = (int64_t)c->n_certify;
    return 0;
}

static int run(struct cycle *c, const char *exchange)
{
    struct cycle_result *res = c->res;
    struct store_cycle last = {0}, cyc = {.partner_id = c->rq->partner->id};
    char name[STORE_TEXT_MAX];
    int rc;

    if ((rc = store_begin(c->s)) < 0)
        return fail(c, rc, "registry: %s", store_error(c->s));
    /* an address request reads no history: it keeps the high water of
     * the cycle before it for the next referral */
    rc = store_cycle_last(c->s, c->rq->partner->id, &last);
    if (rc == 0 || rc == -ENOENT)
        rc = c->request ? (cyc.high_water = last.high_water, 0)
                        : store_history_last(c->s, &cyc.high_water);
    if (rc < 0 || (rc = store_cycle_add(c->s, &cyc, &c->cycle_id)) < 0) {
        fail(c, rc, "registry: %s", store_error(c->s));
        goto undo;
    }
    snprintf(name, sizeof(name), "%s.%08d.%lld.txt", exchange, (int)c->today,
             (long long)c->cycle_id);
    if ((rc = outbox_open(c->rq->home, c->rq->partner->name, name, &c->out,
                          c->err, c->err_size)) < 0)
        goto undo;
    if ((c->w = writer_new(c->layout, c->out.fp)) == NULL) {
        rc = fail(c, -ENOMEM, "out of memory");
        goto undo;
    }
    if ((rc = frame(c, "header")) < 0) {
        fail(c, rc, "header: %s", writer_error(c->w));
        goto undo;
    }
    rc = c->request
             ? store_request_candidates(c->s, c->rq->partner->program,
                                        each_request, c)
             : store_cycle_candidates(c->s, c->rq->partner->id,
                                      c->rq->partner->program, last.high_water,
                                      each_candidate, c);
    if (c->rc < 0 || rc < 0) {
        rc = c->rc < 0 ? c->rc : fail(c, rc, "%s", store_error(c->s));
        goto undo;
    }
    int64_t records =
        c->request ? res->requested : res->adds + res->changes + res->zeros;
    if (records == 0) {
        /* nothing due: no file, no cycle */
        store_rollback(c->s);
        writer_free(c->w);
        c->w = NULL;
        outbox_discard(&c->out);
        return 0;
    }
    if ((rc = frame(c, "trailer")) < 0 || (rc = writer_finish(c->w)) < 0) {
        fail(c, rc, "trailer: %s", writer_error(c->w));
        goto undo;
    }
    writer_free(c->w);
    c->w = NULL;
    if ((rc = outbox_seal(&c->out, c->err, c->err_size)) < 0)
        goto undo;
    struct store_file f = {.partner_id = c->rq->partner->id,
                           .outbound = true,
                           .status = FILE_SENT,
                           .records = records,
                           .accepted = records,
                           .amount_cents = c->request ? 0 : res->amount_cents};
    snprintf(f.sha256, sizeof(f.sha256), "%s", c->out.sha256);
    snprintf(f.name, sizeof(f.name), "%s", name);
    snprintf(f.exchange, sizeof(f.exchange), "%s", exchange);
    snprintf(f.layout, sizeof(f.layout), "%s", layout_source(c->layout));
    cyc.id = c->cycle_id;
    cyc.records = f.records;
    cyc.amount_cents = f.amount_cents;
    int64_t file_id = 0;
    if ((rc = store_file_add(c->s, &f, &file_id)) < 0 ||
        (cyc.file_id = file_id, rc = store_cycle_finish(c->s, &cyc)) < 0 ||
        (rc = certify(c, file_id)) < 0 ||
        (rc = outbox_register(c->s, file_id, &c->out)) < 0 ||
        (rc = store_commit(c->s)) < 0) {
        fail(c, rc, "registry: %s", store_error(c->s));
        goto undo;
    }
    if (c->request) {
        res->request_cycle_id = c->cycle_id;
        res->request_file_id = file_id;
        snprintf(res->request_path, sizeof(res->request_path), "%s",
                 c->out.final_path);
    } else {
        res->cycle_id = c->cycle_id;
        res->file_id = file_id;
        snprintf(res->path, sizeof(res->path), "%s", c->out.final_path);
    }
    return outbox_deliver_pending(c->s, c->err, c->err_size);
undo:
    store_rollback(c->s);
    writer_free(c->w);
    c->w = NULL;
    outbox_discard(&c->out);
    if (c->request) {
        res->requested = 0;
    } else { /* an address request before it stays done */
        struct cycle_result keep = *res;
        memset(res, 0, sizeof(*res));
        res->request_cycle_id = keep.request_cycle_id;
        res->request_file_id = keep.request_file_id;
        res->requested = keep.requested;
        memcpy(res->request_path, keep.request_path, sizeof(res->request_path));
    }
    return rc < 0 ? rc : -EIO;
}

/* One file of the cycle: load its layout and run it. */
static int run_exchange(struct cycle *c, const char *exchange, bool request)
{
    c->request = request;
    c->lines = 0;
    c->rc = 0;
    int rc = load(c, exchange);
    if (rc == 0)
        rc = run(c, exchange);
    layout_free(c->layout);
    c->layout = NULL;
    return rc;
}

int cycle_run(const struct cycle_request *rq, struct cycle_result *res,
              char *err, size_t err_size)
{
    struct cycle c = {
        .rq = rq, .res = res, .s = rq->store, .err = err, .err_size = err_size};
    int rc;
    memset(res, 0, sizeof(*res));
    const char *exchange = cycle_exchange(rq->partner->kind);
    if (exchange == NULL)
        return fail(&c, -EINVAL,
                    "%s is a %s: cycles go to a taxboard or a "
                    "treasury",
                    rq->partner->name, partner_kind_name(rq->partner->kind));
    c.today = calendar_today(NULL);
    if ((rc = load_profile(&c)) == 0 &&
        c.profile->notice_stage == PROFILE_NOTICE_AFTER_MATCH)
        rc = run_exchange(&c, request_exchange(rq->partner->kind), true);
    if (rc == 0)
        rc = run_exchange(&c, exchange, false);
    profile_free(c.profile);
    free(c.certify);
    free(c.cert_line);
    return rc;
}

/* --- scheduled cycles ------------------------------------------------------
 */

bool cycle_daily_ok(const char *t)
{
    return t != NULL && strlen(t) == 5 && t[2] == ':' && t[0] >= '0' &&
           t[0] <= '2' && t[1] >= '0' && t[1] <= '9' && t[3] >= '0' &&
           t[3] <= '5' && t[4] >= '0' && t[4] <= '9' &&
           (t[0] - '0') * 10 + (t[1] - '0') < 24;
}

bool cycle_due(const char *daily, int32_t ran_on, int32_t today, int now_hm)
{
    if (!cycle_daily_ok(daily) || ran_on >= today)
        return false;
    int at = ((daily[0] - '0') * 10 + (daily[1] - '0')) * 100 +
             (daily[3] - '0') * 10 + (daily[4] - '0');
    return now_hm >= at;
}

#define MAX_SCHEDULED 256

struct due {
    struct store_partner p[MAX_SCHEDULED];
    size_t n;
    int32_t today;
    int now_hm;
};

static int each_due(const struct store_partner *p, void *arg)
{
    struct due *d = arg;
    if ((p->kind == PARTNER_TAXBOARD || p->kind == PARTNER_TREASURY) &&
        p->enabled &&
        cycle_due(p->cycle_daily, p->cycle_ran_on, d->today, d->now_hm) &&
        d->n < MAX_SCHEDULED)
        d->p[d->n++] = *p;
    return 0;
}

int cycle_run_scheduled(const struct cycle_request *rq, int32_t today,
                        int now_hm,
                        void (*fn)(const struct store_partner *p,
                                   const struct cycle_result *res, void *ctx),
                        void *ctx, char *err, size_t err_size)
{
    struct due *d = failpoint_calloc(1, sizeof(*d));
    int first = 0;
    if (d == NULL) {
        snprintf(err, err_size, "out of memory");
        return -ENOMEM;
    }
    d->today = today;
    d->now_hm = now_hm;
    int rc = store_partner_each(rq->store, each_due, d);
    if (rc < 0) {
        snprintf(err, err_size, "registry: %s", store_error(rq->store));
        free(d);
        return rc;
    }
    for (size_t i = 0; i < d->n; i++) {
        struct cycle_request one = *rq;
        struct cycle_result res;
        char why[512];
        one.partner = &d->p[i];
        rc = cycle_run(&one, &res, why, sizeof(why));
        if (rc < 0 && first == 0) {
            first = rc;
            snprintf(err, err_size, "%s: %s", d->p[i].name, why);
        }
        /* noted as run either way: a failing cycle is reported once a
         * day, not every few seconds; `offsetgw cycle` runs it by hand */
        rc = store_partner_set_cycle_ran(rq->store, d->p[i].id, today);
        if (rc < 0 && first == 0) {
            first = rc;
            snprintf(err, err_size, "%s: %s", d->p[i].name,
                     store_error(rq->store));
        }
        if (fn != NULL)
            fn(&d->p[i], &res, ctx);
    }
    free(d);
    return first;
}
