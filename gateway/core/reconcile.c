/*
 * reconcile.c - an agency's reconciliation files (see reconcile.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "offsetgw/calendar.h"
#include "offsetgw/outbox.h"
#include "offsetgw/profile.h"
#include "offsetgw/reconcile.h"
#include "offsetgw/reply.h"
#include "offsetgw/writer.h"

struct out {
    const char *exchange;
    struct layout *layout;
    struct outbox_file f;
    struct writer *w;
    bool open;
};

struct recon {
    const struct reconcile_request *rq;
    struct reconcile_result *res;
    struct out fixed, csv;
    int32_t first, last; /* the period's days, yyyymmdd */
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static int fail(struct recon *c, int code,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_size, fmt, ap);
    va_end(ap);
    return code;
}

static int put_amounts(struct writer *w, const struct store_recon *r,
                       int64_t net)
{
    if (writer_put_text(w, "account", r->account) < 0 ||
        writer_put_num(w, "opening", r->opening) < 0 ||
        writer_put_num(w, "additions", r->additions) < 0 ||
        writer_put_num(w, "collections", r->collections) < 0 ||
        writer_put_num(w, "reversals", r->reversals) < 0 ||
        writer_put_num(w, "adjustments", r->adjustments) < 0 ||
        writer_put_num(w, "fees", r->fees) < 0 ||
        writer_put_num(w, "net_remitted", net) < 0 ||
        writer_put_num(w, "closing", r->closing) < 0)
        return -1;
    return 0;
}

/* The period's header fields (the CSV repeats them on every line). */
static int put_period(struct recon *c, struct writer *w)
{
    if (writer_put_text(w, "agency_code", c->rq->agency->agency_code) < 0 ||
        writer_put_num(w, "period_start", c->first) < 0 ||
        writer_put_num(w, "period_end", c->last) < 0 ||
        writer_put_num(w, "file_date", calendar_today(NULL)) < 0)
        return -1;
    return 0;
}

static int each_debt(const struct store_recon *r, void *arg)
{
    struct recon *c = arg;
    struct reconcile_result *res = c->res;
    /* net remitted: what partners reported, when it happened; what the
     * gateway offset from a payer's payments, when it was remitted (an
     * offset of last month remitted now moves this month's money) */
    int64_t net = r->reported_net + r->remitted_net;
    bool moved = r->additions || r->collections || r->reversals ||
                 r->adjustments || r->fees || net;
    if (!r->existed || (!moved && r->opening == 0 && r->closing == 0))
        return 0; /* nothing to account for */
    int64_t expect = r->opening + r->additions - r->collections + r->reversals -
                     r->adjustments;
    if (r->collections != r->ledger_collections ||
        r->reversals != r->ledger_reversals)
        return fail(c, -EPROTO,
                    "debt %lld (account %s) does not tie out: its history "
                    "has %lld collected and %lld reversed, its ledger %lld "
                    "and %lld",
                    (long long)r->debt_id, r->account,
                    (long long)r->collections, (long long)r->reversals,
                    (long long)r->ledger_collections,
                    (long long)r->ledger_reversals);
    if (expect != r->closing)
        return fail(c, -EPROTO,
                    "debt %lld (account %s) does not tie out: opening %lld "
                    "+ additions %lld - collections %lld + reversals %lld - "
                    "adjustments %lld is %lld, the registry holds %lld",
                    (long long)r->debt_id, r->account, (long long)r->opening,
                    (long long)r->additions, (long long)r->collections,
                    (long long)r->reversals, (long long)r->adjustments,
                    (long long)expect, (long long)r->closing);
    struct writer *w = c->fixed.w;
    if (writer_begin(w, "detail") < 0 || put_amounts(w, r, net) < 0 ||
        writer_end(w) < 0)
        return fail(c, -EINVAL, "%s: %s", c->fixed.exchange, writer_error(w));
    if ((w = c->csv.w) != NULL &&
        (writer_begin(w, "detail") < 0 || put_period(c, w) < 0 ||
         put_amounts(w, r, net) < 0 || writer_end(w) < 0))
        return fail(c, -EINVAL, "%s: %s", c->csv.exchange, writer_error(w));
    res->debts++;
    res->opening += r->opening;
    res->additions += r->additions;
    res->collections += r->collections;
    res->reversals += r->reversals;
    res->adjustments += r->adjustments;
    res->fees += r->fees;
    res->net_remitted += net;
    res->closing += r->closing;
    return 0;
}

static int open_out(struct recon *c, struct profile *p, struct out *o,
                    const char *exchange, const char *name, bool optional)
{
    char path[HOME_PATH_MAX];
    struct layout_problems probs = {0};
    o->exchange = exchange;
    if (profile_exchange_path(p, exchange, NULL, path, sizeof(path)) < 0) {
        if (optional)
            return 0;
        return fail(c, -EINVAL, "program %s names no %s layout", p->name,
                    exchange);
    }
    o->layout = layout_load(path, &probs);
    if (o->layout == NULL) {
        fail(c, -EINVAL, "%s", probs.n ? probs.items[0].message : path);
        layout_problems_release(&probs);
        return -EINVAL;
    }
    int rc = outbox_open(c->rq->home, c->rq->agency->name, name, &o->f, c->err,
                         c->err_size);
    if (rc < 0)
        return rc;
    o->open = true;
    if ((o->w = writer_new(o->layout, o->f.fp)) == NULL)
        return fail(c, -ENOMEM, "out of memory");
    return 0;
}

static void close_out(struct out *o, bool discard)
{
    writer_free(o->w);
    o->w = NULL;
    if (o->open && discard)
        outbox_discard(&o->f);
    o->open = false;
    layout_free(o->layout);
    o->layout = NULL;
}

/* Finish, seal and register one file (open transaction). */
static int finish_out(struct recon *c, struct out *o, char *path)
{
    int rc;
    if (o->w == NULL)
        return 0;
    if (writer_finish(o->w) < 0)
        return fail(c, -EINVAL, "%s: %s", o->exchange, writer_error(o->w));
    writer_free(o->w);
    o->w = NULL;
    if ((rc = outbox_seal(&o->f, c->err, c->err_size)) < 0 ||
        (rc = reply_register(c->rq->store, c->rq->agency, &o->f, o->exchange,
                             o->layout, 0)) < 0)
        return rc;
    snprintf(path, HOME_PATH_MAX, "%s", o->f.final_path);
    return 0;
}

static int run(struct recon *c, struct profile *p)
{
    const struct reconcile_request *rq = c->rq;
    struct store *s = rq->store;
    char from[24], to[24], name[96];
    int64_t seq;
    int rc;
    int32_t ny = rq->month == 12 ? rq->year + 1 : rq->year;
    int32_t nm = rq->month == 12 ? 1 : rq->month + 1;
    snprintf(from, sizeof(from), "%04d-%02d-01T00:00:00Z", rq->year, rq->month);
    snprintf(to, sizeof(to), "%04d-%02d-01T00:00:00Z", ny, nm);
    c->first = rq->year * 10000 + rq->month * 100 + 1;
    c->last = calendar_add_days(ny * 10000 + nm * 100 + 1, -1);

    /* the files' names carry a number no other file of the registry has */
    if ((rc = store_count(s, "files", &seq)) < 0)
        return fail(c, rc, "registry: %s", store_error(s));
    snprintf(name, sizeof(name), "reconciliation.%04d-%02d.%lld.txt", rq->year,
             rq->month, (long long)seq + 1);
    if ((rc = open_out(c, p, &c->fixed, "agency-reconciliation", name, false)) <
        0)
        return rc;
    snprintf(name, sizeof(name), "reconciliation.%04d-%02d.%lld.csv", rq->year,
             rq->month, (long long)seq + 1);
    if ((rc = open_out(c, p, &c->csv, "agency-reconciliation-csv", name,
                       true)) < 0)
        return rc;
    struct writer *w = c->fixed.w;
    if (writer_begin(w, "header") < 0 || put_period(c, w) < 0 ||
        writer_end(w) < 0)
        return fail(c, -EINVAL, "%s: %s", c->fixed.exchange, writer_error(w));
    if ((rc = store_reconcile_each(s, rq->agency->id, from, to, each_debt,
                                   c)) != 0) {
        rc = rc < 0 ? rc : -EIO;
        return c->err[0] ? rc : fail(c, rc, "registry: %s", store_error(s));
    }
    if (writer_begin(w, "trailer") < 0 || writer_end(w) < 0)
        return fail(c, -EINVAL, "%s: %s", c->fixed.exchange, writer_error(w));
    if ((rc = store_begin(s)) < 0)
        return fail(c, rc, "registry: %s", store_error(s));
    if ((rc = finish_out(c, &c->fixed, c->res->path)) < 0 ||
        (rc = finish_out(c, &c->csv, c->res->csv_path)) < 0 ||
        (rc = store_commit(s)) < 0) {
        if (c->err[0] == '\0')
            fail(c, rc, "registry: %s", store_error(s));
        store_rollback(s);
        return rc;
    }
    close_out(&c->fixed, false);
    close_out(&c->csv, false);
    return outbox_deliver_pending(s, c->err, c->err_size);
}

int reconcile_agency(const struct reconcile_request *rq,
                     struct reconcile_result *res, char *err, size_t err_size)
{
    struct recon c = {.rq = rq, .res = res, .err = err, .err_size = err_size};
    struct layout_problems probs = {0};
    memset(res, 0, sizeof(*res));
    err[0] = '\0';
    if (rq->agency->kind != PARTNER_AGENCY)
        return fail(&c, -EINVAL, "%s is not an agency", rq->agency->name);
    if (rq->year < 1900 || rq->year > 9998 || rq->month < 1 || rq->month > 12)
        return fail(&c, -EINVAL, "%04d-%02d is no month", rq->year, rq->month);
    struct profile *p =
        profile_load_program(rq->programs_dir, rq->agency->program, &probs);
    layout_problems_release(&probs);
    if (p == NULL)
        return fail(&c, -EINVAL, "no profile for program '%s'",
                    rq->agency->program);
    int rc = run(&c, p);
    close_out(&c.fixed, true);
    close_out(&c.csv, true);
    profile_free(p);
    return rc;
}
