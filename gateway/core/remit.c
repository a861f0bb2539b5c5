/*
 * remit.c - a payer's final offsets paid to their agencies (see remit.h).
 *
 * Owns gathering what is due, writing one agency-remittance file per
 * agency and recording the remittances, in one transaction.  Which
 * offsets are due is the registry's query (store_remittable_each); the
 * money of each line is the ledger's, unchanged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/calendar.h"
#include "offsetgw/outbox.h"
#include "offsetgw/profile.h"
#include "offsetgw/remit.h"
#include "offsetgw/reply.h"
#include "offsetgw/writer.h"

/* The layout when the profile names none: profiles cannot name the
 * exchange yet (profile.c does not know it). */
#define REMIT_EXCHANGE "agency-remittance"

struct due {
    struct store_remittable *r;
    size_t n, cap;
};

/* One agency's file. */
struct remit_out {
    struct store_partner agency;
    struct store_remittance row;
    struct outbox_file f;
    struct writer *w;
    bool open;
};

struct remit {
    const struct remit_request *rq;
    struct remit_result *res;
    struct store *s;
    struct layout *layout;
    struct due due;
    struct remit_out *out;
    size_t n_out;
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static int fail(struct remit *m, int code,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, m->err_size, fmt, ap);
    va_end(ap);
    return code;
}

static int db_fail(struct remit *m, int code)
{
    return fail(m, code, "registry: %s", store_error(m->s));
}

static int load_layout(struct remit *m)
{
    struct layout_problems probs = {0};
    char path[HOME_PATH_MAX];
    struct profile *p = profile_load_program(m->rq->programs_dir,
                                             m->rq->payer->program, &probs);
    int rc = 0;
    if (p == NULL) {
        rc = fail(m, -EINVAL, "program '%s': %s", m->rq->payer->program,
                  probs.n ? probs.items[0].message : "cannot load");
        goto out;
    }
    if (p->model != PROFILE_SETOFF) {
        rc = fail(m, -EINVAL,
                  "program %s is a %s program: its partners remit, not the "
                  "gateway",
                  p->name, profile_model_name(p->model));
        goto out;
    }
    if (profile_exchange_path(p, REMIT_EXCHANGE, NULL, path, sizeof(path)) <
        0) {
        rc = fail(m, -ENOENT, "program %s has no layout for %s", p->name,
                  REMIT_EXCHANGE);
        goto out;
    }
    if ((m->layout = layout_load(path, &probs)) == NULL)
        rc = fail(m, -EINVAL, "%s:%ld: %s", path,
                  probs.n ? probs.items[0].line : 0L,
                  probs.n ? probs.items[0].message : "cannot load");
out:
    layout_problems_release(&probs);
    profile_free(p);
    return rc;
}

static int gather(const struct store_remittable *r, void *ctx)
{
    struct due *d = ctx;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct store_remittable *grown = realloc(d->r, cap * sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;
        d->r = grown;
        d->cap = cap;
    }
    d->r[d->n++] = *r;
    return 0;
}

/* Write agency O's file for the due offsets [FIRST, END) and record its
 * remittance (open transaction). */
static int remit_agency(struct remit *m, struct remit_out *o, size_t first,
                        size_t end)
{
    const struct remit_request *rq = m->rq;
    char name[STORE_NAME_MAX + 64], safe[STORE_TEXT_MAX], trace[24];
    int rc;

    if ((rc = store_partner_get_id(m->s, m->due.r[first].agency_id,
                                   &o->agency)) < 0)
        return db_fail(m, rc);
    o->row = (struct store_remittance){.payer_id = rq->payer->id,
                                       .agency_id = o->agency.id,
                                       .remitted_on = rq->day};
    for (size_t i = first; i < end; i++) {
        const struct store_entry *e = &m->due.r[i].entry;
        o->row.offsets++;
        o->row.amount_cents += e->amount_cents;
        o->row.fee_cents += e->fee_cents;
    }
    o->row.net_cents = o->row.amount_cents - o->row.fee_cents;
    if ((rc = store_remittance_add(m->s, &o->row, &o->row.id)) < 0)
        return db_fail(m, rc);

    reply_safe_name(rq->payer->name, safe, sizeof(safe));
    snprintf(name, sizeof(name), "remittance.%s.%d.%lld.txt", safe, rq->day,
             (long long)o->row.id);
    if ((rc = outbox_open(rq->home, o->agency.name, name, &o->f, m->err,
                          m->err_size)) < 0)
        return rc;
    o->open = true;
    struct writer *w = o->w = writer_new(m->layout, o->f.fp);
    if (w == NULL)
        return fail(m, -ENOMEM, "out of memory");
    if (writer_begin(w, "header") < 0 ||
        writer_put_text(w, "agency_code", o->agency.agency_code) < 0 ||
        writer_put_num(w, "file_date", rq->day) < 0 ||
        writer_put_num(w, "file_seq", o->row.id % 1000000) < 0 ||
        writer_put_text(w, "payer_code", rq->payer->agency_code) < 0 ||
        writer_end(w) < 0)
        return fail(m, -EINVAL, "remittance of %s: %s", o->agency.name,
                    writer_error(w));
    for (size_t i = first; i < end; i++) {
        const struct store_remittable *r = &m->due.r[i];
        const struct store_entry *e = &r->entry;
        snprintf(trace, sizeof(trace), "%lld", (long long)e->id);
        if (writer_begin(w, "detail") < 0 ||
            writer_put_num(w, "debt_id", e->debt_id) < 0 ||
            writer_put_text(w, "account", r->account) < 0 ||
            writer_put_text(w, "trace_id", trace) < 0 ||
            writer_put_num(w, "payment_date", e->payment_date) < 0 ||
            writer_put_num(w, "final_date", r->final_on) < 0 ||
            writer_put_num(w, "amount", e->amount_cents) < 0 ||
            writer_put_num(w, "fee", e->fee_cents) < 0 ||
            writer_put_num(w, "net", e->amount_cents - e->fee_cents) < 0 ||
            writer_end(w) < 0)
            return fail(m, -EINVAL, "remittance of %s, offset %s: %s",
                        o->agency.name, e->trace_id, writer_error(w));
        if ((rc = store_remitted_add(m->s, o->row.id, e)) < 0)
            return db_fail(m, rc);
    }
    if (writer_begin(w, "trailer") < 0 || writer_end(w) < 0 ||
        writer_finish(w) < 0)
        return fail(m, -EINVAL, "remittance of %s: %s", o->agency.name,
                    writer_error(w));
    writer_free(w);
    o->w = NULL;
    if ((rc = outbox_seal(&o->f, m->err, m->err_size)) < 0)
        return rc;
    if ((rc = reply_register(m->s, &o->agency, &o->f, REMIT_EXCHANGE, m->layout,
                             0)) < 0)
        return db_fail(m, rc);
    m->res->offsets += o->row.offsets;
    m->res->amount_cents += o->row.amount_cents;
    m->res->fee_cents += o->row.fee_cents;
    m->res->net_cents += o->row.net_cents;
    m->res->agency_files++;
    return 0;
}

static int run(struct remit *m)
{
    struct store *s = m->s;
    int rc;
    if ((rc = store_begin(s)) < 0)
        return db_fail(m, rc);
    rc =
        store_remittable_each(s, m->rq->payer->id, m->rq->day, gather, &m->due);
    if (rc != 0) {
        rc = rc == -ENOMEM ? fail(m, rc, "out of memory") : db_fail(m, rc);
        goto undo;
    }
    /* the rows come by agency: one file for each run of them */
    size_t agencies = 0;
    for (size_t i = 0; i < m->due.n; i++)
        agencies +=
            i == 0 || m->due.r[i].agency_id != m->due.r[i - 1].agency_id;
    if (agencies > 0 && (m->out = calloc(agencies, sizeof(*m->out))) == NULL) {
        rc = fail(m, -ENOMEM, "out of memory");
        goto undo;
    }
    for (size_t i = 0, end; i < m->due.n; i = end) {
        for (end = i + 1;
             end < m->due.n && m->due.r[end].agency_id == m->due.r[i].agency_id;
             end++)
            ;
        if ((rc = remit_agency(m, &m->out[m->n_out++], i, end)) < 0)
            goto undo;
    }
    if ((rc = store_commit(s)) < 0) {
        db_fail(m, rc);
        goto undo;
    }
    for (size_t i = 0; i < m->n_out; i++)
        m->out[i].open = false; /* committed: the outbox delivers them */
    return outbox_deliver_pending(s, m->err, m->err_size);
undo:
    store_rollback(s);
    memset(m->res, 0, sizeof(*m->res));
    return rc;
}

int remit_run(const struct remit_request *rq, struct remit_result *res,
              void (*fn)(const struct remit_file *f, void *ctx), void *ctx,
              char *err, size_t err_size)
{
    struct remit m = {
        .rq = rq, .res = res, .s = rq->store, .err = err, .err_size = err_size};
    int rc;

    memset(res, 0, sizeof(*res));
    err[0] = '\0';
    if (rq->payer->kind != PARTNER_PAYER) {
        rc =
            fail(&m, -EINVAL, "%s is a %s: only a payer's offsets are remitted",
                 rq->payer->name, partner_kind_name(rq->payer->kind));
        goto out;
    }
    if (!calendar_valid(rq->day)) {
        rc = fail(&m, -EINVAL, "%d is no day", rq->day);
        goto out;
    }
    if (rq->day > calendar_today(NULL)) {
        char day[16];
        calendar_format(rq->day, day);
        rc = fail(&m, -EINVAL,
                  "%s is still to come: an offset is remitted once final, "
                  "and may be appealed until then",
                  day);
        goto out;
    }
    if ((rc = load_layout(&m)) < 0)
        goto out;
    if ((rc = run(&m)) < 0)
        goto out;
    for (size_t i = 0; fn != NULL && i < m.n_out; i++) {
        const struct remit_out *o = &m.out[i];
        struct remit_file f = {.agency = &o->agency,
                               .remittance_id = o->row.id,
                               .offsets = o->row.offsets,
                               .amount_cents = o->row.amount_cents,
                               .fee_cents = o->row.fee_cents,
                               .net_cents = o->row.net_cents,
                               .path = o->f.final_path};
        fn(&f, ctx);
    }
out:
    for (size_t i = 0; i < m.n_out; i++) {
        writer_free(m.out[i].w);
        if (m.out[i].open)
            outbox_discard(&m.out[i].f);
    }
    free(m.out);
    free(m.due.r);
    layout_free(m.layout);
    return rc;
}
