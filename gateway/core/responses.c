/*
 * responses.c - partner files into the registry (see responses.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offsetgw/calendar.h"
#include "offsetgw/digest.h"
#include "offsetgw/ledger.h"
#include "offsetgw/outbox.h"
#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/reply.h"
#include "offsetgw/vault.h"
#include "offsetgw/responses.h"
#include "offsetgw/writer.h"

/* One agency's collection file, opened at its first applied event. */
struct agency_out {
    struct store_partner agency;
    struct outbox_file f;
    struct writer *w;
};

struct response {
    const struct response_request *rq;
    struct response_result *res;
    struct store *s;
    struct profile *profile;
    struct layout *layout; /* the partner file's */
    struct layout *ack_layout, *unp_layout;
    struct layout *agency_layout; /* what the agencies get of this file */
    const char *agency_exchange;  /* ... its name */
    const char *agency_prefix;    /* ... and their files' names */
    int (*handle)(struct response *r, const struct record *rec);
    int32_t file_date; /* the partner file's header date */
    struct reply reply;
    char name[STORE_TEXT_MAX];
    char sha[DIGEST_HEX_SIZE];
    struct agency_out *out;
    size_t n_out, cap_out;
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static int
fail(struct response *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->err_size, fmt, ap);
    va_end(ap);
    return code;
}

static struct layout *load_exchange(struct response *r, const char *exchange)
{
    char path[HOME_PATH_MAX];
    struct layout_problems probs = {0};
    struct layout *l = NULL;
    if (profile_exchange_path(r->profile, exchange, NULL, path, sizeof(path)) ==
        0)
        l = layout_load(path, &probs);
    if (l == NULL)
        fail(r, -EINVAL, "program %s: layout for %s: %s", r->profile->name,
             exchange, probs.n ? probs.items[0].message : "none");
    layout_problems_release(&probs);
    return l;
}

/* Which partner file is this?  Its first line is read as the header of
 * each partner-* layout the program names; the one it fits is the one.
 * Sets R->layout and RES->exchange; -ENOENT when none fits. */
static int identify(struct response *r, struct vault_file *f)
{
    char line[4096];
    ssize_t n = vault_pread(f, line, sizeof(line), 0);
    if (n < 0)
        return fail(r, (int)n, "cannot read '%s': %s", r->rq->path,
                    vault_strerror((int)n));
    if (n == 0)
        return fail(r, -ENOENT, "the file is empty");
    const char *nl = memchr(line, '\n', (size_t)n);
    size_t len = nl ? (size_t)(nl - line) + 1 : (size_t)n;
    for (size_t e = 0; e < r->profile->n_exchanges; e++) {
        const char *x = r->profile->exchanges[e].name;
        if (strncmp(x, "partner-", 8) != 0)
            continue;
        struct layout *l = load_exchange(r, x);
        if (l == NULL)
            return -EINVAL;
        struct reader *rd = reader_new_buffer(l, line, len, "first line");
        const struct record *rec;
        bool fits = rd != NULL && reader_next(rd, &rec) == READER_RECORD &&
                    rec->type != NULL &&
                    strcmp(rec->type->name, "header") == 0 &&
                    rec->n_errors == 0;
        reader_free(rd);
        if (fits) {
            r->layout = l;
            store_text_copy(r->res->exchange, sizeof(r->res->exchange), x);
            return 0;
        }
        layout_free(l);
    }
    return fail(r, -ENOENT,
                "the first line is the header of no partner file of program "
                "%s",
                r->profile->name);
}

/* --- the agencies' collection files ------------------------------------- */

static struct agency_out *agency_out(struct response *r, int64_t agency_id)
{
    for (size_t i = 0; i < r->n_out; i++)
        if (r->out[i].agency.id == agency_id)
            return &r->out[i];
    if (r->n_out == r->cap_out) {
        size_t cap = r->cap_out ? r->cap_out * 2 : 8;
        struct agency_out *grown = realloc(r->out, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        r->out = grown;
        r->cap_out = cap;
    }
    struct agency_out *o = &r->out[r->n_out];
    memset(o, 0, sizeof(*o));
    char file[STORE_TEXT_MAX + 48];
    if (store_partner_get_id(r->s, agency_id, &o->agency) < 0)
        return NULL;
    snprintf(file, sizeof(file), "%s.%s.%lld.txt", r->agency_prefix,
             r->reply.safe_name, (long long)r->res->file_id);
    if (outbox_open(r->rq->home, o->agency.name, file, &o->f, r->err,
                    r->err_size) < 0)
        return NULL;
    r->n_out++;
    if ((o->w = writer_new(r->agency_layout, o->f.fp)) == NULL ||
        writer_begin(o->w, "header") < 0 ||
        writer_put_text(o->w, "agency_code", o->agency.agency_code) < 0 ||
        writer_put_num(o->w, "file_date", calendar_today(NULL)) < 0 ||
        writer_put_text(o->w, "file_name", r->name) < 0 ||
        writer_put_text(o->w, "file_sha256", r->sha) < 0 ||
        writer_end(o->w) < 0) {
        fail(r, -EINVAL, "%s file of %s: %s", r->agency_prefix, o->agency.name,
             o->w ? writer_error(o->w) : "out of memory");
        return NULL;
    }
    return o;
}

/* Free the agencies' files; DISCARD also removes what was written (the
 * work did not commit). */
static void drop_agency_files(struct response *r, bool discard)
{
    for (size_t i = 0; i < r->n_out; i++) {
        writer_free(r->out[i].w);
        if (discard)
            outbox_discard(&r->out[i].f);
    }
    free(r->out);
    r->out = NULL;
    r->n_out = r->cap_out = 0;
}

/* Finish, seal and register every agency's file (open transaction). */
static int finish_agency_files(struct response *r)
{
    for (size_t i = 0; i < r->n_out; i++) {
        struct agency_out *o = &r->out[i];
        int rc;
        if (writer_begin(o->w, "trailer") < 0 || writer_end(o->w) < 0 ||
            writer_finish(o->w) < 0)
            return fail(r, -EINVAL, "%s file of %s: %s", r->agency_prefix,
                        o->agency.name, writer_error(o->w));
        writer_free(o->w);
        o->w = NULL;
        if ((rc = outbox_seal(&o->f, r->err, r->err_size)) < 0 ||
            (rc = reply_register(r->s, &o->agency, &o->f, r->agency_exchange,
                                 r->agency_layout, r->res->file_id)) < 0)
            return rc;
    }
    r->res->agency_files = (int64_t)r->n_out;
    return 0;
}

/* --- one collection record ---------------------------------------------- */

static const struct field_value *field(const struct record *rec,
                                       const char *name, const char **text,
                                       size_t *len)
{
    int i = layout_field_index(rec->type, name);
    const struct field_value *v = i >= 0 ? &rec->values[i] : NULL;
    if (v != NULL && v->state != VALUE_OK)
        v = NULL;
    if (text != NULL) {
        *text = v ? v->text : "";
        *len = v ? v->text_len : 0;
    }
    return v;
}

static void copy(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool field_required(const struct record *rec, const char *name)
{
    int i = layout_field_index(rec->type, name);
    return i >= 0 && rec->type->fields[i].required;
}

static int match(struct response *r, const struct record *rec);

/* The debt a detail names by its agency_debt_id, which must be one sent
 * to this partner (or, for a match, one it was asked about in an address
 * request), and the debtor's TIN, which must be the record's.  0 with DEBT and
 * TIN filled, or a check failure in WHY; negative on a registry error. */
static int find_debt(struct response *r, const struct record *rec,
                     struct store_debt *debt, char tin[10],
                     struct check_result *why)
{
    const char *t;
    size_t n;
    int64_t id = 0, sent;
    char tin_type;
    int rc;
    field(rec, "agency_debt_id", &t, &n);
    for (size_t i = 0; i < n; i++)
        id = id >= 0 && i < 18 && t[i] >= '0' && t[i] <= '9'
                 ? id * 10 + (t[i] - '0')
                 : -1;
    if (n == 0 || id <= 0)
        return check_fail(why, C_UNKNOWN_DEBT, "agency_debt_id",
                          "'%.*s' is no debt id the gateway sends",
                          (int)(n > 30 ? 30 : n), t);
    rc = store_debt_get_id(r->s, id, debt);
    if (rc == 0)
        rc = store_sent_get(r->s, r->rq->partner->id, id, &sent);
    if (rc == -ENOENT && r->handle == match) {
        /* a match may answer an address request instead */
        int64_t asked = 0;
        rc = store_request_partner(r->s, id, &asked);
        if (rc == 0 && asked != r->rq->partner->id)
            rc = -ENOENT;
    }
    if (rc == -ENOENT)
        return check_fail(why, C_UNKNOWN_DEBT, "agency_debt_id",
                          "debt %lld was never sent to you", (long long)id);
    if (rc < 0 ||
        (rc = store_debtor_get(r->s, debt->debtor_id, &tin_type, tin)) < 0)
        return fail(r, rc, "registry: %s", store_error(r->s));
    if (field(rec, "tin", &t, &n) == NULL && !field_required(rec, "tin"))
        return 0; /* a file that may leave it out did */
    if (n != 9 || memcmp(t, tin, 9) != 0)
        return check_fail(why, C_TIN_MISMATCH, "tin",
                          "the TIN is not the one sent for debt %lld "
                          "(sent ...%s)",
                          (long long)id, tin + 5);
    return 0;
}

/* Note a detail refused, for the partner's unprocessable file. */
static int refuse(struct response *r, const struct record *rec,
                  const struct check_result *why)
{
    const char *t;
    size_t n;
    char id[32];
    field(rec, "agency_debt_id", &t, &n);
    copy(id, sizeof(id), t, n);
    r->res->rejected++;
    return reply_reject(&r->reply, (int64_t)rec->line, id,
                        check_code_name(why->code), why->field, why->message);
}

/* Count a detail and find its debt (find_debt): 0 found, 1 refused
 * (noted), negative on a registry error. */
static int detail_debt(struct response *r, const struct record *rec,
                       struct store_debt *debt, char tin[10])
{
    struct check_result why = {.code = CHECK_OK};
    int rc;
    r->res->records++;
    if ((rc = find_debt(r, rec, debt, tin, &why)) < 0)
        return rc;
    if (why.code == CHECK_OK)
        return 0;
    return (rc = refuse(r, rec, &why)) < 0 ? rc : 1;
}

/* Apply one detail of a collection file: 0 applied or rejected (noted),
 * negative on a registry error. */
static int collection(struct response *r, const struct record *rec)
{
    struct response_result *res = r->res;
    struct store_source src = {.file_id = res->file_id,
                               .line = (int64_t)rec->line};
    struct check_result why = {.code = CHECK_OK};
    struct money_event ev = {0};
    char trace[24], reverses[24], source[8], kind_text[8];
    const char *t;
    size_t n;
    int rc;

    struct store_debt debt;
    char tin[10];
    const struct field_value *kind = field(rec, "kind", &t, &n);
    copy(kind_text, sizeof(kind_text), t, n);
    const char *means =
        kind ? layout_code_means(
                   &rec->type->fields[layout_field_index(rec->type, "kind")], t,
                   n)
             : NULL;
    ev.kind = means && strcmp(means, "offset") == 0     ? ENTRY_OFFSET
              : means && strcmp(means, "reversal") == 0 ? ENTRY_REVERSAL
                                                        : ENTRY_COLLECTION;
    const struct field_value *amount = field(rec, "amount", NULL, NULL);
    const struct field_value *fee = field(rec, "fee", NULL, NULL);
    int64_t signed_amount = amount ? amount->num : 0;
    ev.amount_cents = signed_amount < 0 ? -signed_amount : signed_amount;
    ev.fee_cents = fee ? (fee->num < 0 ? -fee->num : fee->num) : 0;
    field(rec, "trace_id", &t, &n);
    copy(trace, sizeof(trace), t, n);
    field(rec, "reversal_of", &t, &n);
    copy(reverses, sizeof(reverses), t, n);
    field(rec, "payment_source", &t, &n);
    copy(source, sizeof(source), t, n);
    const struct field_value *date = field(rec, "payment_date", NULL, NULL);
    ev.trace_id = trace;
    ev.reverses = reverses;
    ev.payment_source = source;
    ev.payment_date = date ? (int32_t)date->num : 0;

    if ((rc = detail_debt(r, rec, &debt, tin)) != 0)
        return rc < 0 ? rc : 0;
    if (means == NULL) {
        check_fail(&why, C_AMOUNT, "kind", "kind '%s' means nothing known",
                   kind_text);
    } else if (ev.kind == ENTRY_COLLECTION && signed_amount < 0) {
        check_fail(&why, C_AMOUNT, "amount",
                   "a negative collection is not taken yet");
    } else {
        ev.debt_id = debt.id;
        if ((rc = ledger_apply(r->s, r->rq->partner->id, &ev, &src, &why)) < 0)
            return fail(r, rc, "registry: %s", store_error(r->s));
    }
    if (why.code != CHECK_OK)
        return refuse(r, rec, &why);
    res->accepted++;
    res->amount_cents +=
        ev.kind == ENTRY_REVERSAL ? -ev.amount_cents : ev.amount_cents;

    /* and the agency's line for it */
    struct agency_out *o = agency_out(r, debt.partner_id);
    if (o == NULL)
        return r->err[0] ? -EIO : fail(r, -ENOMEM, "out of memory");
    int64_t sign = ev.kind == ENTRY_REVERSAL ? -1 : 1;
    const char *kind_code = layout_code_for(
        &layout_record_by_name(r->agency_layout, "detail")
             ->fields[layout_field_index(
                 layout_record_by_name(r->agency_layout, "detail"), "kind")],
        means);
    if (writer_begin(o->w, "detail") < 0 ||
        writer_put_text(o->w, "account", debt.account) < 0 ||
        writer_put_text(o->w, "kind", kind_code) < 0 ||
        writer_put_text(o->w, "trace_id", trace) < 0 ||
        writer_put_text(o->w, "reversal_of", reverses) < 0 ||
        writer_put_num(o->w, "amount", sign * ev.amount_cents) < 0 ||
        writer_put_num(o->w, "fee", sign * ev.fee_cents) < 0 ||
        writer_put_num(o->w, "net", sign * (ev.amount_cents - ev.fee_cents)) <
            0 ||
        writer_put_num(o->w, "payment_date", ev.payment_date) < 0 ||
        writer_put_text(o->w, "payment_source", source) < 0 ||
        writer_put_text(o->w, "tin_last4", tin + 5) < 0 || writer_end(o->w) < 0)
        return fail(r, -EINVAL, "%s file of %s: %s", r->agency_prefix,
                    o->agency.name, writer_error(o->w));
    return 0;
}

/* --- one match answer -------------------------------------------------- */

/* What a partner's match answer does to a debt's status (the TOP status
 * codes as KEES moves them): from which statuses to which.  A debt in
 * another status keeps it; the agency is told. */
static const struct transition {
    const char *means;
    const char *from;
    enum debt_status to;
} transitions[] = {
    {"match", "PE", DEBT_N},          /* needs the pre-offset notice */
    {"name-mismatch", "PEN", DEBT_E}, /* the agency must correct it */
    {"no-match", "PEN", DEBT_E},      {"invalid-tin", "PEN", DEBT_E},
    {"deceased", "PENSC", DEBT_D}, /* stops offsets wherever it was */
};

static const char *status_meaning(enum debt_status st)
{
    switch (st) {
    case DEBT_P:
        return "initial";
    case DEBT_E:
        return "error: correct the TIN or name and send a change";
    case DEBT_D:
        return "deceased: no further offsets";
    case DEBT_N:
        return "needs the pre-offset notice";
    case DEBT_S:
        return "notice sent";
    case DEBT_C:
        return "certified for offset";
    case DEBT_X:
        return "closed";
    }
    return "?";
}

static void put_field_text(struct writer *w, const struct record *rec,
                           const char *name)
{
    const char *t;
    size_t n;
    char text[64];
    if (field(rec, name, &t, &n) == NULL)
        return;
    copy(text, sizeof(text), t, n);
    writer_put_text(w, name, text);
}

/* Apply one detail of a match file: the debt's new status, and the
 * agency's line for it.  0 applied or rejected (noted), negative on a
 * registry error. */
static int match(struct response *r, const struct record *rec)
{
    struct response_result *res = r->res;
    struct store_source src = {.file_id = res->file_id,
                               .line = (int64_t)rec->line};
    struct store_debt debt;
    char tin[10], message[160];
    const char *t;
    size_t n;
    int rc;

    if ((rc = detail_debt(r, rec, &debt, tin)) != 0)
        return rc < 0 ? rc : 0;
    int k = layout_field_index(rec->type, "match_code");
    if (k < 0)
        return fail(r, -EINVAL, "layout %s: a detail without match_code",
                    layout_source(r->layout));
    field(rec, "match_code", &t, &n);
    const char *means = layout_code_means(&rec->type->fields[k], t, n);
    const struct transition *tr = NULL;
    for (size_t i = 0; means && i < sizeof(transitions) / sizeof(*transitions);
         i++)
        if (strcmp(transitions[i].means, means) == 0)
            tr = &transitions[i];
    if (tr == NULL)
        return fail(r, -EINVAL,
                    "layout %s: match code '%.*s' has no means= the gateway "
                    "knows",
                    layout_source(r->layout), (int)n, t);
    /* the code is in its own field, with its meaning in the layout: the
     * message says what it does */
    enum debt_status status = debt.status;
    if (strchr(tr->from, (int)debt.status) != NULL) {
        status = tr->to;
        if (status != debt.status &&
            (rc = store_debt_set_status(r->s, debt.id, status, &src)) < 0)
            return fail(r, rc, "registry: %s", store_error(r->s));
        snprintf(message, sizeof(message), "%s", status_meaning(status));
    } else {
        snprintf(message, sizeof(message), "status stays %c: %s", (char)status,
                 status_meaning(status));
    }
    res->accepted++;

    struct agency_out *o = agency_out(r, debt.partner_id);
    if (o == NULL)
        return r->err[0] ? -EIO : fail(r, -ENOMEM, "out of memory");
    const struct layout_record *detail =
        layout_record_by_name(r->agency_layout, "detail");
    int out_k = layout_field_index(detail, "match_code");
    const char *code =
        out_k >= 0 ? layout_code_for(&detail->fields[out_k], means) : NULL;
    char status_text[2] = {(char)status, '\0'};
    if (writer_begin(o->w, "detail") < 0 ||
        writer_put_text(o->w, "account", debt.account) < 0 ||
        writer_put_text(o->w, "tin_last4", tin + 5) < 0 ||
        writer_put_text(o->w, "match_code", code) < 0 ||
        writer_put_text(o->w, "status", status_text) < 0 ||
        writer_put_text(o->w, "message", message) < 0 ||
        writer_put_num(o->w, "match_date", r->file_date) < 0)
        return fail(r, -EINVAL, "%s file of %s: %s", r->agency_prefix,
                    o->agency.name, writer_error(o->w));
    put_field_text(o->w, rec, "returned_name_control");
    put_field_text(o->w, rec, "street");
    put_field_text(o->w, rec, "city");
    put_field_text(o->w, rec, "state");
    put_field_text(o->w, rec, "zip");
    if (writer_end(o->w) < 0)
        return fail(r, -EINVAL, "%s file of %s: %s", r->agency_prefix,
                    o->agency.name, writer_error(o->w));
    return 0;
}

/* --- one record the partner could not process ---------------------------- */

/* Relay one detail of a partner's unprocessable file to the debt's
 * agency: the partner's code as it is, its meaning from the layout's code
 * list and the partner's message.  The debt itself is left as it is: the
 * agency corrects it with a change.  0 relayed or rejected (noted),
 * negative on a registry error. */
static int unprocessable(struct response *r, const struct record *rec)
{
    struct response_result *res = r->res;
    struct store_debt debt;
    char tin[10], code[24], said[96], message[200];
    const char *t;
    size_t n;
    int rc;

    if ((rc = detail_debt(r, rec, &debt, tin)) != 0)
        return rc < 0 ? rc : 0;
    res->accepted++;
    int k = layout_field_index(rec->type, "error_code");
    const struct field_value *v = field(rec, "error_code", &t, &n);
    copy(code, sizeof(code), t, n);
    const char *meaning = "a code with no meaning known to the gateway";
    if (v != NULL && v->num >= 0 && k >= 0 &&
        (size_t)v->num < rec->type->fields[k].n_codes &&
        rec->type->fields[k].codes[v->num].meaning != NULL)
        meaning = rec->type->fields[k].codes[v->num].meaning;
    field(rec, "message", &t, &n);
    copy(said, sizeof(said), t, n);
    snprintf(message, sizeof(message), "%s %s: %s%s%s", r->rq->partner->name,
             code, meaning, said[0] ? "; " : "", said);

    struct agency_out *o = agency_out(r, debt.partner_id);
    if (o == NULL)
        return r->err[0] ? -EIO : fail(r, -ENOMEM, "out of memory");
    if (writer_begin(o->w, "reject") < 0 ||
        writer_put_num(o->w, "line", (int64_t)rec->line) < 0 ||
        writer_put_text(o->w, "account", debt.account) < 0 ||
        writer_put_text(o->w, "error_code", code) < 0 ||
        writer_put_text(o->w, "message", message) < 0 || writer_end(o->w) < 0)
        return fail(r, -EINVAL, "%s file of %s: %s", r->agency_prefix,
                    o->agency.name, writer_error(o->w));
    return 0;
}

/* --- the file ----------------------------------------------------------- */

static int write_reply(struct response *r, char status)
{
    struct response_result *res = r->res;
    struct reply_outcome o = {.status = status,
                              .records = res->records,
                              .accepted = res->accepted,
                              .rejected = res->rejected,
                              .amount_cents = res->amount_cents,
                              .reason_code = res->reason_code,
                              .reason = res->reason};
    r->reply.file_id = res->file_id;
    store_text_copy(r->reply.sha, sizeof(r->reply.sha), r->sha);
    return reply_write(&r->reply, &o, res->ack_path, res->unprocessable_path);
}

/* The file's row; in the open transaction. */
static int add_file_row(struct response *r, enum file_status status)
{
    struct response_result *res = r->res;
    struct store_file f = {.partner_id = r->rq->partner->id,
                           .status = status,
                           .records = res->records,
                           .accepted = res->accepted,
                           .rejected = res->rejected,
                           .amount_cents = res->amount_cents,
                           .duplicate_of = res->duplicate_of};
    store_text_copy(f.sha256, sizeof(f.sha256), r->sha);
    store_text_copy(f.name, sizeof(f.name), r->name);
    store_text_copy(f.exchange, sizeof(f.exchange), res->exchange);
    store_text_copy(f.layout, sizeof(f.layout), layout_source(r->layout));
    if (res->reason_code[0])
        snprintf(f.error, sizeof(f.error), "%s: %s", res->reason_code,
                 res->reason);
    return store_file_add(r->s, &f, &res->file_id);
}

/* A duplicate or a file failing whole: only its row and the reply. */
static int record_rejected(struct response *r, enum file_status status)
{
    struct response_result *res = r->res;
    int rc;
    res->status = status;
    res->accepted = res->amount_cents = 0;
    if (status == FILE_DUPLICATE)
        res->records = res->rejected = 0;
    else
        res->rejected = res->records;
    reply_forget(&r->reply);
    if ((rc = store_begin(r->s)) < 0 || (rc = add_file_row(r, status)) < 0) {
        store_rollback(r->s);
        return fail(r, rc, "registry: %s", store_error(r->s));
    }
    if ((rc = write_reply(r, status == FILE_DUPLICATE ? 'D' : 'R')) < 0 ||
        (rc = store_commit(r->s)) < 0) {
        store_rollback(r->s);
        return rc;
    }
    return outbox_deliver_pending(r->s, r->err, r->err_size);
}

static int run(struct response *r, int fd)
{
    struct response_result *res = r->res;
    struct store_file prior;
    int rc = store_file_find_sha(r->s, r->rq->partner->id, r->sha, &prior);
    if (rc == 0) {
        res->duplicate_of = prior.id;
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 check_code_name(C_DUP_FILE));
        snprintf(res->reason, sizeof(res->reason),
                 "same bytes as file %lld ('%s')", (long long)prior.id,
                 prior.name);
        return record_rejected(r, FILE_DUPLICATE);
    }
    if (rc != -ENOENT)
        return fail(r, rc, "registry: %s", store_error(r->s));
    if ((rc = store_begin(r->s)) < 0 ||
        (rc = add_file_row(r, FILE_RECEIVED)) < 0) {
        store_rollback(r->s);
        return fail(r, rc, "registry: %s", store_error(r->s));
    }
    struct reader *rd = reader_new(r->layout, fd, r->name);
    const struct record *rec;
    enum reader_status st;
    if (rd == NULL) {
        store_rollback(r->s);
        return fail(r, -ENOMEM, "out of memory");
    }
    rc = 0;
    while (rc == 0 && (st = reader_next(rd, &rec)) == READER_RECORD) {
        if (rec->type == NULL || strcmp(rec->type->name, "detail") != 0) {
            if (rec->n_errors == 0) { /* header and trailer */
                const struct field_value *date =
                    field(rec, "file_date", NULL, NULL);
                if (date != NULL && strcmp(rec->type->name, "header") == 0)
                    r->file_date = (int32_t)date->num;
                continue;
            }
        }
        if (rec->n_errors > 0) {
            const struct record_error *e = &rec->errors[0];
            res->records++;
            res->rejected++;
            rc = reply_reject(
                &r->reply, (int64_t)rec->line, "", errcode_name(e->code),
                rec->type && e->field >= 0 && rec->type->fields[e->field].name
                    ? rec->type->fields[e->field].name
                    : "",
                e->detail);
            continue;
        }
        rc = r->handle(r, rec);
    }
    if (rc == 0 && st == READER_FAILED) {
        const struct file_error *fe = reader_file_error(rd);
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 errcode_name(fe->code));
        snprintf(res->reason, sizeof(res->reason), "line %llu: %s",
                 (unsigned long long)fe->line, fe->detail);
        rc = 1;
    }
    reader_free(rd);
    if (rc != 0) {
        store_rollback(r->s);
        drop_agency_files(r, true);
        return rc < 0 ? rc : record_rejected(r, FILE_REJECTED);
    }
    res->status = res->rejected > 0 ? FILE_PARTIAL : FILE_ACCEPTED;
    struct store_file f = {.id = res->file_id,
                           .status = res->status,
                           .records = res->records,
                           .accepted = res->accepted,
                           .rejected = res->rejected,
                           .amount_cents = res->amount_cents};
    store_text_copy(f.sha256, sizeof(f.sha256), r->sha);
    if ((rc = finish_agency_files(r)) < 0 ||
        (rc = store_file_finish(r->s, &f)) < 0 ||
        (rc = write_reply(r, 'A')) < 0 || (rc = store_commit(r->s)) < 0) {
        if (r->err[0] == '\0')
            fail(r, rc, "registry: %s", store_error(r->s));
        store_rollback(r->s);
        drop_agency_files(r, true);
        return rc;
    }
    drop_agency_files(r, false); /* committed: the outbox delivers them */
    return outbox_deliver_pending(r->s, r->err, r->err_size);
}

/* Each partner file, what its details become, and what the agencies get
 * of it. */
static const struct kind {
    const char *partner_exchange;
    int (*handle)(struct response *r, const struct record *rec);
    const char *agency_exchange, *prefix;
} kinds[] = {
    {"partner-collection", collection, "agency-collection", "collections"},
    {"partner-match", match, "agency-match", "matches"},
    {"partner-unprocessable", unprocessable, "agency-unprocessable",
     "unprocessable"},
};

int response_file(const struct response_request *rq,
                  struct response_result *res, char *err, size_t err_size)
{
    struct response r = {
        .rq = rq, .res = res, .s = rq->store, .err = err, .err_size = err_size};
    struct layout_problems probs = {0};
    int fd = -1, rc;
    struct vault v;
    struct vault_file *vf = NULL;
    struct vault_feed *feed = NULL;
    memset(res, 0, sizeof(*res));
    err[0] = '\0';
    const char *name = rq->name;
    if (name == NULL) {
        name = strrchr(rq->path, '/');
        name = name ? name + 1 : rq->path;
    }
    store_text_copy(r.name, sizeof(r.name), name);
    if (rq->partner->kind != PARTNER_TAXBOARD &&
        rq->partner->kind != PARTNER_TREASURY)
        return fail(&r, -EINVAL, "%s is not a tax board or a treasury",
                    rq->partner->name);
    r.profile =
        profile_load_program(rq->programs_dir, rq->partner->program, &probs);
    layout_problems_release(&probs);
    if (r.profile == NULL) {
        rc = fail(&r, -EINVAL, "no profile for program '%s'",
                  rq->partner->program);
        goto out;
    }
    if ((r.ack_layout = load_exchange(&r, "agency-ack")) == NULL ||
        (r.unp_layout = load_exchange(&r, "agency-unprocessable")) == NULL) {
        rc = -EINVAL;
        goto out;
    }
    if ((rc = vault_load(&v, rq->home, err, err_size)) < 0)
        goto out;
    rc = vault_open(&v, rq->path, &vf);
    vault_release(&v);
    if (rc < 0) {
        rc = fail(&r, rc, "cannot read '%s': %s", rq->path, vault_strerror(rc));
        goto out;
    }
    if ((rc = identify(&r, vf)) < 0)
        goto out;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
        if (strcmp(res->exchange, kinds[i].partner_exchange) == 0) {
            r.agency_exchange = kinds[i].agency_exchange;
            r.agency_prefix = kinds[i].prefix;
            r.handle = kinds[i].handle;
        }
    if (r.handle == NULL) {
        rc = fail(&r, -ENOTSUP, "%s files are not taken yet", res->exchange);
        goto out;
    }
    if ((r.agency_layout = load_exchange(&r, r.agency_exchange)) == NULL) {
        rc = -EINVAL;
        goto out;
    }
    /* the hash first, in a pass that checks the whole file; then the
     * records, from the start again */
    if ((rc = vault_sha256(vf, r.sha, NULL)) < 0 ||
        (rc = vault_rewind(vf)) < 0) {
        rc = fail(&r, rc, "cannot read '%s': %s", rq->path, vault_strerror(rc));
        goto out;
    }
    rc = vault_feed_start(vf, false, &feed, &fd);
    vf = NULL; /* the feed's */
    if (rc < 0) {
        rc = fail(&r, rc, "cannot read '%s': %s", rq->path, strerror(-rc));
        goto out;
    }
    reply_init(&r.reply, rq->home, rq->store, rq->partner, r.ack_layout,
               r.unp_layout, r.name, err, err_size);
    rc = run(&r, fd);
    /* checked whole by the hash; a change since then shows here */
    int frc = vault_feed_finish(feed, NULL, NULL);
    feed = NULL;
    if (rc == 0 && frc < 0)
        rc = fail(&r, frc, "cannot read '%s': %s", rq->path,
                  vault_strerror(frc));
out:
    if (feed != NULL)
        vault_feed_finish(feed, NULL, NULL);
    vault_close(vf);
    reply_release(&r.reply);
    drop_agency_files(&r, true);
    layout_free(r.layout);
    layout_free(r.ack_layout);
    layout_free(r.unp_layout);
    layout_free(r.agency_layout);
    profile_free(r.profile);
    return rc;
}
