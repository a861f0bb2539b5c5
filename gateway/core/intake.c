/*
 * intake.c - an agency's debt file into the registry (see intake.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offsetgw/calendar.h"
#include "offsetgw/debtcheck.h"
#include "offsetgw/digest.h"
#include "offsetgw/failpoint.h"
#include "offsetgw/handoff.h"
#include "offsetgw/intake.h"
#include "offsetgw/outbox.h"
#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/reply.h"
#include "offsetgw/vault.h"
#include "offsetgw/writer.h"

struct intake {
    const struct intake_request *rq;
    struct intake_result *res;
    struct store *s;
    struct profile *profile;
    struct layout *debt_layout, *ack_layout, *unp_layout;
    struct debt_fields *df;
    int64_t fees_added; /* per debt, added when it is registered */
    char name[STORE_TEXT_MAX];
    char sha[DIGEST_HEX_SIZE];
    int32_t file_date;
    bool header_seen;
    struct reply reply; /* the acknowledgement and rejects */
    /* accounts the agency may have: a Bloom filter, so an add of an
     * account it certainly lacks skips the registry lookup */
    uint64_t *bloom;
    uint64_t bloom_bits;
    struct vault_feed *feed; /* the file's plaintext, hashed as read */
    int64_t plain_bytes;
    int hash_rc;
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static int
fail(struct intake *in, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->err, in->err_size, fmt, ap);
    va_end(ap);
    return code;
}

static int db_fail(struct intake *in, int code)
{
    return fail(in, code, "registry: %s", store_error(in->s));
}

/* --- configuration ------------------------------------------------------ */

static struct layout *load_exchange(struct intake *in, const char *exchange)
{
    char path[HOME_PATH_MAX];
    struct layout_problems problems = {0};
    if (profile_exchange_path(in->profile, exchange, NULL, path, sizeof(path)) <
        0) {
        fail(in, -ENOENT, "program %s has no layout for %s", in->profile->name,
             exchange);
        return NULL;
    }
    struct layout *l = layout_load(path, &problems);
    if (l == NULL)
        fail(in, -EINVAL, "%s:%ld: %s", path,
             problems.n ? problems.items[0].line : 0L,
             problems.n ? problems.items[0].message : "cannot load");
    layout_problems_release(&problems);
    return l;
}

/* The agency fields worth keeping are the ones the program's partner
 * files carry on (fields of the same name in their detail records). */
static void keep_forwarded_fields(struct intake *in)
{
    for (size_t e = 0; e < in->profile->n_exchanges; e++) {
        const struct profile_exchange *x = &in->profile->exchanges[e];
        if (strncmp(x->name, "taxboard-", 9) != 0 &&
            strncmp(x->name, "treasury-", 9) != 0)
            continue;
        char path[HOME_PATH_MAX];
        struct layout_problems probs = {0};
        struct layout *l = NULL;
        if (profile_exchange_path(in->profile, x->name, NULL, path,
                                  sizeof(path)) == 0)
            l = layout_load(path, &probs);
        const struct layout_record *d =
            l ? layout_record_by_name(l, "detail") : NULL;
        for (size_t i = 0; d != NULL && i < d->n_fields; i++)
            if (d->fields[i].name != NULL)
                debt_fields_keep(in->df, d->fields[i].name);
        layout_free(l);
        layout_problems_release(&probs);
    }
}

static int load_config(struct intake *in)
{
    struct layout_problems problems = {0};
    const struct store_partner *p = in->rq->partner;
    in->profile =
        profile_load_program(in->rq->programs_dir, p->program, &problems);
    if (in->profile == NULL) {
        fail(in, -EINVAL, "program '%s': %s:%ld: %s", p->program,
             problems.n ? problems.items[0].file : in->rq->programs_dir,
             problems.n ? problems.items[0].line : 0L,
             problems.n ? problems.items[0].message : "cannot load");
        layout_problems_release(&problems);
        return -EINVAL;
    }
    if ((in->debt_layout = load_exchange(in, "agency-debt")) == NULL ||
        (in->ack_layout = load_exchange(in, "agency-ack")) == NULL ||
        (in->unp_layout = load_exchange(in, "agency-unprocessable")) == NULL)
        return -EINVAL;
    if ((in->df = debt_fields_new(in->debt_layout, in->err, in->err_size)) ==
        NULL)
        return -EINVAL;
    /* intake takes only debts with an SSN or EIN (C_TIN_MISSING) */
    in->fees_added = profile_fee_added_to_debt(in->profile, true);
    keep_forwarded_fields(in);
    reply_init(&in->reply, in->rq->home, in->s, in->rq->partner, in->ack_layout,
               in->unp_layout, in->name, in->err, in->err_size);
    return 0;
}

/* --- the registry ------------------------------------------------------- */

/* Two 32-bit halves of a 64-bit FNV-1a hash give the filter's four bit
 * positions (Kirsch-Mitzenmacher double hashing). */
static uint64_t account_hash(const char *account)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *c = (const unsigned char *)account; *c; c++)
        h = (h ^ *c) * 0x100000001b3ULL;
    return h;
}

static void bloom_add(struct intake *in, const char *account)
{
    /* no memory for the filter: every account is a "maybe" */
    if (in->bloom == NULL)
        return;
    uint64_t h = account_hash(account);
    for (uint64_t k = 0; k < 4; k++) {
        uint64_t bit = ((h & 0xffffffffu) + k * (h >> 32)) % in->bloom_bits;
        in->bloom[bit / 64] |= (uint64_t)1 << (bit % 64);
    }
}

/* false: the agency certainly has no such account. */
static bool bloom_maybe(const struct intake *in, const char *account)
{
    if (in->bloom == NULL)
        return true;
    uint64_t h = account_hash(account);
    for (uint64_t k = 0; k < 4; k++) {
        uint64_t bit = ((h & 0xffffffffu) + k * (h >> 32)) % in->bloom_bits;
        if (!(in->bloom[bit / 64] & ((uint64_t)1 << (bit % 64))))
            return false;
    }
    return true;
}

static int bloom_account(const char *account, void *ctx)
{
    bloom_add(ctx, account);
    return 0;
}

/* Size the filter for the accounts registered and the records this file
 * may add (16 bits each: about 0.2% false maybes), and fill it.  Without
 * memory for it every add looks the account up, as before. */
static int bloom_fill(struct intake *in, int64_t file_bytes)
{
    int64_t existing = 0;
    int rc =
        store_debt_accounts(in->s, in->rq->partner->id, &existing, NULL, NULL);
    if (rc < 0)
        return db_fail(in, rc);
    uint32_t rl = layout_record_length(in->debt_layout);
    int64_t expected = existing + file_bytes / (rl ? rl : 64) + 64;
    in->bloom_bits = (uint64_t)expected * 16;
    in->bloom = failpoint_calloc(in->bloom_bits / 64 + 1, sizeof(uint64_t));
    if (in->bloom == NULL)
        return 0;
    if (existing > 0 &&
        (rc = store_debt_accounts(in->s, in->rq->partner->id, &existing,
                                  bloom_account, in)) < 0)
        return db_fail(in, rc);
    return 0;
}

/* What a change does to the status of DEBT (as it was before it):
 * - in E (the partner could not match it), the change is the agency's
 *   correction: back to P, to be sent or asked about again;
 * - where the notice follows the address match (TOP), a notice date on a
 *   debt in N records the notice (S), and a new date on one in S
 *   restarts the wait; in other statuses the date changes nothing. */
static int after_change(struct intake *in, const struct store_debt *debt,
                        const struct debt_input *d,
                        const struct store_source *src)
{
    if (debt->status == DEBT_E)
        return store_debt_set_status(in->s, debt->id, DEBT_P, src);
    if (in->profile->notice_stage != PROFILE_NOTICE_AFTER_MATCH ||
        d->notice_date == 0)
        return 0;
    if (debt->status == DEBT_N ||
        (debt->status == DEBT_S && d->notice_date != debt->notice_date))
        return store_debt_set_notice(in->s, debt->id, d->notice_date, DEBT_S,
                                     src);
    return 0;
}

/* Apply one checked record.  CHECK_OK, a rejection code in WHY, or a
 * negative system error. */
static int apply(struct intake *in, const struct debt_input *d, int64_t line,
                 struct check_result *why)
{
    struct store *s = in->s;
    const struct store_partner *p = in->rq->partner;
    struct store_source src = {.file_id = in->res->file_id, .line = line};
    struct store_debt debt;
    bool touched = false;
    int rc = -ENOENT;
    if (d->action != DEBT_ADD || bloom_maybe(in, d->account))
        rc = store_debt_get(s, p->id, d->account, &debt);
    if (rc < 0 && rc != -ENOENT)
        return db_fail(in, rc);
    bool known = rc == 0;
    if (known &&
        (rc = store_debt_touched_by(s, debt.id, src.file_id, &touched)) < 0)
        return db_fail(in, rc);
    if (touched)
        return check_fail(why, C_DUP_ACCOUNT, "account",
                          "account %s appears earlier in this file",
                          d->account);
    if (d->action == DEBT_ADD) {
        if (known)
            return check_fail(why, C_DEBT_EXISTS, "account",
                              "account %s is registered already (use C to "
                              "change its amount)",
                              d->account);
        struct store_debt nd = {.partner_id = p->id,
                                .original_cents = d->amount_cents,
                                .balance_cents =
                                    d->amount_cents + in->fees_added,
                                .fees_cents = in->fees_added,
                                .status = DEBT_P,
                                .delinquency_date = d->delinquency_date,
                                .notice_date = d->notice_date};
        store_text_copy(nd.account, sizeof(nd.account), d->account);
        store_text_copy(nd.debt_type, sizeof(nd.debt_type), d->debt_type);
        store_text_copy(nd.attributes, sizeof(nd.attributes), d->attributes);
        if ((rc = store_debtor_upsert(s, d->tin_type, d->tin, &d->name,
                                      src.file_id, &nd.debtor_id)) < 0 ||
            (rc = store_debt_add(s, &nd, &src, NULL)) < 0)
            return db_fail(in, rc);
        bloom_add(in, d->account);
        return CHECK_OK;
    }
    if (!known)
        return check_fail(why, C_UNKNOWN_DEBT, "account",
                          "account %s is not registered", d->account);
    if (debt.status == DEBT_X)
        return check_fail(why, C_DEBT_CLOSED, "account",
                          "account %s was zeroed out", d->account);
    char tin_type = 0, tin[10];
    if ((rc = store_debtor_get(s, debt.debtor_id, &tin_type, tin)) < 0)
        return db_fail(in, rc);
    if (tin_type != d->tin_type || strcmp(tin, d->tin) != 0)
        return check_fail(why, C_TIN_MISMATCH, "tin",
                          "account %s is registered to the id ending %s",
                          d->account, tin + 5);
    if ((rc = store_debtor_upsert(s, d->tin_type, d->tin, &d->name, src.file_id,
                                  NULL)) < 0)
        return db_fail(in, rc);
    if (d->action == DEBT_ZERO)
        rc = store_debt_set_balance(s, debt.id, 0, debt.fees_cents, "zero",
                                    &src);
    else if ((rc = store_debt_set_balance(
                  s, debt.id, d->amount_cents + debt.fees_cents,
                  debt.fees_cents, "change", &src)) == 0)
        rc = after_change(in, &debt, d, &src);
    return rc < 0 ? db_fail(in, rc) : CHECK_OK;
}

/* The account of REC, for reject lines, when it could be read. */
static void record_account(const struct intake *in, const struct record *rec,
                           char *buf, size_t size)
{
    int i = rec->type ? layout_field_index(rec->type, "account") : -1;
    buf[0] = '\0';
    if (i >= 0 && rec->values[i].state == VALUE_OK)
        snprintf(buf, size, "%.*s", (int)rec->values[i].text_len,
                 rec->values[i].text);
    (void)in;
}

/* The header: the file's date and the agency it claims to be from.  A
 * file-level problem returns 1 with RES's reason set. */
static int read_header(struct intake *in, const struct record *rec)
{
    struct intake_result *res = in->res;
    if (rec->n_errors > 0) {
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 check_code_name(C_HEADER));
        snprintf(res->reason, sizeof(res->reason), "header, line %llu: %s",
                 (unsigned long long)rec->line, rec->errors[0].detail);
        return 1;
    }
    int d = layout_field_index(rec->type, "file_date");
    int a = layout_field_index(rec->type, "agency_code");
    in->file_date = d >= 0 && rec->values[d].state == VALUE_OK
                        ? (int32_t)rec->values[d].num
                        : calendar_today(NULL);
    const char *want = in->rq->partner->agency_code;
    if (a >= 0 && want[0] != '\0' &&
        (rec->values[a].text_len != strlen(want) ||
         memcmp(rec->values[a].text, want, strlen(want)) != 0)) {
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 check_code_name(C_AGENCY));
        snprintf(res->reason, sizeof(res->reason),
                 "the header names agency '%.*s'; %s sends as '%s'",
                 (int)rec->values[a].text_len, rec->values[a].text,
                 in->rq->partner->name, want);
        return 1;
    }
    if (want[0] == '\0' && a >= 0 && rec->values[a].state == VALUE_OK)
        snprintf(in->reply.code, sizeof(in->reply.code), "%.*s",
                 (int)rec->values[a].text_len, rec->values[a].text);
    in->header_seen = true;
    return 0;
}

/* --- the pipeline ------------------------------------------------------ */

/* Reading and checking records needs nothing of the registry, so one
 * thread does it while the main thread applies what it has checked to the
 * registry: the two cores share the work and the result is the same, in
 * file order (handoff.c carries the items). */

enum item_kind { IT_APPLY, IT_REJECT, IT_END, IT_FAIL };

struct item {
    enum item_kind kind;
    int64_t line;
    struct debt_input d;          /* IT_APPLY */
    char account[STORE_NAME_MAX]; /* IT_REJECT */
    char code[32];
    char field[32];
    char message[ERROR_DETAIL_MAX];
};

#define BATCH_ITEMS 128
#define N_BATCHES 8

struct producer {
    struct intake *in;
    struct handoff *h;
    int fd;
};

static void copy_field(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void *produce(void *arg)
{
    struct producer *pr = arg;
    struct intake *in = pr->in;
    struct intake_result *res = in->res;
    const struct layout_record *detail = debt_fields_record(in->df);
    struct reader *r = reader_new(in->debt_layout, pr->fd, in->name);
    const struct record *rec;
    enum reader_status st = READER_FAILED;
    struct item *it;
    enum item_kind last = IT_END;

    if (r == NULL) {
        snprintf(res->reason_code, sizeof(res->reason_code), "E_IO");
        snprintf(res->reason, sizeof(res->reason), "out of memory");
        last = IT_FAIL;
        goto out;
    }
    while ((st = reader_next(r, &rec)) == READER_RECORD) {
        if (rec->type != NULL && strcmp(rec->type->name, "header") == 0) {
            if (read_header(in, rec) != 0) {
                last = IT_FAIL;
                goto out;
            }
            continue;
        }
        if (rec->type != detail && rec->n_errors == 0)
            continue; /* the trailer: the reader checked its totals */
        if ((it = handoff_slot(pr->h)) == NULL)
            goto done;
        it->line = (int64_t)rec->line;
        if (rec->n_errors > 0) {
            const struct record_error *e = &rec->errors[0];
            const char *field = rec->type && e->field >= 0
                                    ? rec->type->fields[e->field].name
                                    : NULL;
            it->kind = IT_REJECT;
            record_account(in, rec, it->account, sizeof(it->account));
            store_text_copy(it->code, sizeof(it->code), errcode_name(e->code));
            store_text_copy(it->field, sizeof(it->field), field ? field : "");
            store_text_copy(it->message, sizeof(it->message), e->detail);
            continue;
        }
        struct check_result why;
        if (debt_check(in->profile, in->df, rec, in->file_date, &it->d, &why) ==
            CHECK_OK) {
            it->kind = IT_APPLY;
            continue;
        }
        it->kind = IT_REJECT;
        record_account(in, rec, it->account, sizeof(it->account));
        store_text_copy(it->code, sizeof(it->code), check_code_name(why.code));
        copy_field(it->field, sizeof(it->field), why.field, strlen(why.field));
        copy_field(it->message, sizeof(it->message), why.message,
                   strlen(why.message));
    }
    if (st == READER_FAILED) {
        const struct file_error *fe = reader_file_error(r);
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 errcode_name(fe->code));
        if (fe->line)
            snprintf(res->reason, sizeof(res->reason), "line %llu: %s",
                     (unsigned long long)fe->line, fe->detail);
        else
            snprintf(res->reason, sizeof(res->reason), "%s", fe->detail);
        last = IT_FAIL;
    }
out:
    if ((it = handoff_slot(pr->h)) != NULL) {
        it->kind = last;
        handoff_flush(pr->h);
    }
done:
    reader_free(r);
    return NULL;
}

/* Apply or reject one checked item.  0, or negative on a system error. */
static int consume(struct intake *in, const struct item *it)
{
    struct intake_result *res = in->res;
    struct check_result why = {.code = CHECK_OK};
    int rc;
    res->records++;
    if (it->kind == IT_APPLY) {
        if ((rc = apply(in, &it->d, it->line, &why)) < 0)
            return rc;
        if (why.code == CHECK_OK) {
            res->accepted++;
            if (it->d.action != DEBT_ZERO)
                res->amount_cents += it->d.amount_cents;
            return 0;
        }
        res->rejected++;
        return reply_reject(&in->reply, it->line, it->d.account,
                            check_code_name(why.code), why.field, why.message);
    }
    res->rejected++;
    return reply_reject(&in->reply, it->line, it->account, it->code, it->field,
                        it->message);
}

/* handoff_run()'s applier: each item, until the file ends. */
enum { ITEMS_MORE, ITEMS_THROUGH, ITEMS_REFUSED };

static int apply_item(const void *item, void *arg)
{
    const struct item *it = item;
    if (it->kind == IT_END)
        return ITEMS_THROUGH;
    if (it->kind == IT_FAIL)
        return ITEMS_REFUSED;
    int rc = consume(arg, it);
    return rc < 0 ? rc : ITEMS_MORE;
}

/* Read the whole file, applying what passes.  0 when the file went
 * through (records may be rejected), 1 when the file is rejected (RES's
 * reason set), negative on a system error. */
static int process(struct intake *in, int fd)
{
    struct producer pr = {
        .in = in,
        .h = handoff_new(sizeof(struct item), BATCH_ITEMS, N_BATCHES),
        .fd = fd};
    if (pr.h == NULL)
        return fail(in, -ENOMEM, "out of memory");
    int rc = handoff_run(pr.h, produce, &pr, apply_item, in);
    handoff_free(pr.h);
    if (rc == -EAGAIN && in->err[0] == '\0')
        return fail(in, rc, "cannot start the reading thread");
    return rc < 0 ? rc : rc == ITEMS_REFUSED;
}

/* A file rejected whole: only its row and its acknowledgement. */
/* The reply, in the open transaction: STATUS 'A', 'R' or 'D'. */
static int write_reply(struct intake *in, char status)
{
    struct intake_result *res = in->res;
    struct reply_outcome o = {.status = status,
                              .records = res->records,
                              .accepted = res->accepted,
                              .rejected = res->rejected,
                              .amount_cents = res->amount_cents,
                              .reason_code = res->reason_code,
                              .reason = res->reason};
    in->reply.file_id = res->file_id;
    store_text_copy(in->reply.sha, sizeof(in->reply.sha), in->sha);
    return reply_write(&in->reply, &o, res->ack_path, res->unprocessable_path);
}

static int record_rejected(struct intake *in, enum file_status status)
{
    struct intake_result *res = in->res;
    struct store_file f;
    int rc;
    if ((rc = store_begin(in->s)) < 0)
        return db_fail(in, rc);
    memset(&f, 0, sizeof(f));
    f.partner_id = in->rq->partner->id;
    store_text_copy(f.sha256, sizeof(f.sha256), in->sha);
    store_text_copy(f.name, sizeof(f.name), in->name);
    store_text_copy(f.exchange, sizeof(f.exchange), "agency-debt");
    store_text_copy(f.layout, sizeof(f.layout), layout_source(in->debt_layout));
    f.status = status;
    f.duplicate_of = res->duplicate_of;
    snprintf(f.error, sizeof(f.error), "%s: %s", res->reason_code, res->reason);
    if ((rc = store_file_add(in->s, &f, &res->file_id)) < 0) {
        store_rollback(in->s);
        return db_fail(in, rc);
    }
    res->status = status;
    res->accepted = 0;
    res->amount_cents = 0;
    reply_forget(&in->reply);
    if ((rc = write_reply(in, status == FILE_DUPLICATE ? 'D' : 'R')) < 0) {
        store_rollback(in->s);
        return rc;
    }
    if ((rc = store_commit(in->s)) < 0) {
        store_rollback(in->s);
        return db_fail(in, rc);
    }
    return outbox_deliver_pending(in->s, in->err, in->err_size);
}

/* Wait for the whole file to be read, checked and hashed.  0, or
 * negative with ERR (a damaged file shows here). */
static int hashed(struct intake *in)
{
    if (in->feed != NULL) {
        in->hash_rc = vault_feed_finish(in->feed, in->sha, NULL);
        in->feed = NULL;
    }
    if (in->hash_rc < 0)
        return fail(in, in->hash_rc, "cannot read '%s': %s", in->rq->path,
                    vault_strerror(in->hash_rc));
    return 0;
}

/* Was a file with the same bytes processed before?  1 (RES says which),
 * 0, or negative. */
static int duplicate(struct intake *in)
{
    struct intake_result *res = in->res;
    struct store_file prior;
    int rc = store_file_find_sha(in->s, in->rq->partner->id, in->sha, &prior);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return db_fail(in, rc);
    res->duplicate_of = prior.id;
    snprintf(res->reason_code, sizeof(res->reason_code), "%s",
             check_code_name(C_DUP_FILE));
    snprintf(res->reason, sizeof(res->reason),
             "same bytes as file %lld ('%s', %s)", (long long)prior.id,
             prior.name, file_status_name(prior.status));
    return 1;
}

/* The file is read and checked while its SHA-256 is computed beside it;
 * whether it is a duplicate is known before anything commits. */
static int run(struct intake *in, int fd)
{
    struct intake_result *res = in->res;
    struct store_file f;
    int rc, outcome;

    if ((rc = store_begin(in->s)) < 0)
        return db_fail(in, rc);
    memset(&f, 0, sizeof(f));
    f.partner_id = in->rq->partner->id;
    memset(f.sha256, '0', 64); /* until the hash is done */
    store_text_copy(f.name, sizeof(f.name), in->name);
    store_text_copy(f.exchange, sizeof(f.exchange), "agency-debt");
    store_text_copy(f.layout, sizeof(f.layout), layout_source(in->debt_layout));
    f.status = FILE_RECEIVED;
    if ((rc = store_file_add(in->s, &f, &res->file_id)) < 0) {
        store_rollback(in->s);
        return db_fail(in, rc);
    }
    f.id = res->file_id;
    if ((rc = bloom_fill(in, in->plain_bytes)) < 0) {
        store_rollback(in->s);
        return rc;
    }
    outcome = process(in, fd);
    if (outcome < 0 || (rc = hashed(in)) < 0 || (rc = duplicate(in)) != 0 ||
        outcome == 1) {
        /* a duplicate, rejected whole, or failed: nothing of it stays */
        store_rollback(in->s);
        reply_forget(&in->reply);
        if (outcome < 0)
            return outcome;
        if (rc < 0)
            return rc;
        if (rc == 1) {
            /* read, but as if it never came: nothing of it counts */
            res->records = res->rejected = 0;
            return record_rejected(in, FILE_DUPLICATE);
        }
        res->rejected = res->records;
        return record_rejected(in, FILE_REJECTED);
    }
    res->status = res->rejected > 0 ? FILE_PARTIAL : FILE_ACCEPTED;
    store_text_copy(f.sha256, sizeof(f.sha256), in->sha);
    f.status = res->status;
    f.records = res->records;
    f.accepted = res->accepted;
    f.rejected = res->rejected;
    f.amount_cents = res->amount_cents;
    if ((rc = store_file_finish(in->s, &f)) < 0) {
        rc = db_fail(in, rc);
        goto undo;
    }
    if ((rc = write_reply(in, 'A')) < 0)
        goto undo;
    if ((rc = store_commit(in->s)) < 0) {
        rc = db_fail(in, rc);
        goto undo;
    }
    reply_forget(&in->reply);
    return outbox_deliver_pending(in->s, in->err, in->err_size);
undo:
    store_rollback(in->s);
    reply_forget(&in->reply);
    return rc;
}

int intake_file(const struct intake_request *rq, struct intake_result *res,
                char *err, size_t err_size)
{
    struct intake in = {
        .rq = rq, .res = res, .s = rq->store, .err = err, .err_size = err_size};
    int fd = -1, rc;
    memset(res, 0, sizeof(*res));
    const char *name = rq->name;
    if (name == NULL) {
        name = strrchr(rq->path, '/');
        name = name ? name + 1 : rq->path;
    }
    snprintf(in.name, sizeof(in.name), "%s", name);
    if (rq->partner->kind != PARTNER_AGENCY) {
        rc = fail(&in, -EINVAL, "%s is a %s: only agencies send debt files",
                  rq->partner->name, partner_kind_name(rq->partner->kind));
        goto out;
    }
    if ((rc = load_config(&in)) < 0)
        goto out;
    if ((rc = vault_feed_path(rq->home, rq->path, true, &in.feed, &fd,
                              &in.plain_bytes, err, err_size)) < 0)
        goto out;
    rc = run(&in, fd); /* FD is the feed's */
out:
    if (in.feed != NULL)
        vault_feed_finish(in.feed, NULL, NULL);
    reply_release(&in.reply);
    free(in.bloom);
    debt_fields_free(in.df);
    layout_free(in.debt_layout);
    layout_free(in.ack_layout);
    layout_free(in.unp_layout);
    profile_free(in.profile);
    return rc;
}
