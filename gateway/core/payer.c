/*
 * payer.c - a payer's payment file through the setoff-program model (see
 * payer.h for the rules).
 *
 * Owns the pipeline of one payment file: a thread reads and checks the
 * records and drops, with a Bloom filter of the registry's TINs,
 * every payment that certainly matches nobody (most of them); the main
 * thread matches the rest against the registry, allocates, records and
 * writes the outputs, in file order; a third thread hashes the file.  The
 * arithmetic is allocate.c's, the rules of money against a debt
 * ledger.c's, SQL store.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "offsetgw/allocate.h"
#include "offsetgw/calendar.h"
#include "offsetgw/debtcheck.h"
#include "offsetgw/digest.h"
#include "offsetgw/identity.h"
#include "offsetgw/handoff.h"
#include "offsetgw/ledger.h"
#include "offsetgw/outbox.h"
#include "offsetgw/payer.h"
#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/reply.h"
#include "offsetgw/vault.h"
#include "offsetgw/writer.h"

/* The payer's own record codes (payer.h); stable, at most 16 bytes. */
#define C_JOINT_SHARE_NAME "C_JOINT_SHARE"
#define C_DISPOSABLE_NAME "C_DISPOSABLE"
#define C_DUP_PAYMENT_NAME "C_DUP_PAYMENT"
#define C_PAYMENT_ID_NAME "C_PAYMENT_ID"

/* The registry's page cache while a file is matched: payments reach
 * debtors and debts all over the registry, and every page read again
 * from the disk costs more than the memory (1,000,000 debtors take about
 * 270 MB); the default comes back after. */
#define PAYER_CACHE_MIB 256

/* A payment id becomes the trace ids "<id>.<nn>": 20 + 3 bytes fit a
 * ledger trace id (store_entry.trace_id). */
#define PAYMENT_ID_MAX 20

/* Field indexes of the payer-payment detail record (-1: not in it). */
enum pay_field {
    PF_PAYMENT_ID,
    PF_TIN_TYPE,
    PF_TIN,
    PF_LAST,
    PF_SOURCE,
    PF_AMOUNT,
    PF_DISPOSABLE,
    PF_JOINT,
    PF_SPOUSE_TIN,
    PF_SPOUSE_LAST,
    PF_SHARE,
    PF_DATE,
    PF_COUNT_
};

static const struct {
    const char *name;
    bool required;
} pay_fields[PF_COUNT_] = {
    [PF_PAYMENT_ID] = {"payment_id", true},
    [PF_TIN_TYPE] = {"tin_type", false},
    [PF_TIN] = {"tin", true},
    [PF_LAST] = {"last_name", true},
    [PF_SOURCE] = {"payment_source", true},
    [PF_AMOUNT] = {"amount", true},
    [PF_DISPOSABLE] = {"disposable_earnings", false},
    [PF_JOINT] = {"joint", false},
    [PF_SPOUSE_TIN] = {"spouse_tin", false},
    [PF_SPOUSE_LAST] = {"spouse_last_name", false},
    [PF_SHARE] = {"debtor_share_bp", false},
    [PF_DATE] = {"payment_date", false},
};

/* Fields the outputs' detail records are written by, found once (the
 * writer's by-name calls search the record for every value). */
enum off_field {
    OF_PAYMENT_ID,
    OF_TIN,
    OF_OFFSET,
    OF_FEE,
    OF_RELEASED,
    OF_AGENCY,
    OF_ACCOUNT,
    OF_AMOUNT,
    OF_ACTION,
    OF_TRACE,
    OF_COUNT_
};
static const char *const off_fields[OF_COUNT_] = {
    "payment_id",  "tin",     "offset_amount",  "fee_amount", "released_amount",
    "agency_code", "account", "payment_amount", "action",     "trace_id"};

enum coll_field {
    CF_ACCOUNT,
    CF_KIND,
    CF_TRACE,
    CF_AMOUNT,
    CF_FEE,
    CF_NET,
    CF_DATE,
    CF_SOURCE,
    CF_TIN4,
    CF_COUNT_
};
static const char *const coll_fields[CF_COUNT_] = {
    "account", "kind",         "trace_id",       "amount",   "fee",
    "net",     "payment_date", "payment_source", "tin_last4"};

/* One debtor's side of a payment: the claims and their allocation. */
struct side {
    char tin_type;
    char tin[IDENTITY_TIN_SIZE];
    size_t n;
    struct store_claim claims[ALLOCATE_MAX_CLAIMS];
    struct allocate_claim ac[ALLOCATE_MAX_CLAIMS];
    char agency[ALLOCATE_MAX_CLAIMS][24];
    struct allocate_line lines[ALLOCATE_MAX_CLAIMS];
    struct allocate_totals t;
    struct allocate_payment p;
};

/* One agency's collection file, opened at its first offset. */
struct agency_out {
    struct store_partner agency;
    struct outbox_file f;
    struct writer *w;
};

struct payer {
    const struct payer_request *rq;
    struct payer_result *res;
    struct store *s;
    struct profile *profile;
    struct layout *pay_layout, *off_layout, *coll_layout;
    struct layout *ack_layout, *unp_layout;
    const struct layout_record *detail;
    int f[PF_COUNT_];
    const char *offset_kind;   /* agency-collection's code meaning offset */
    const char *offset_action; /* payer-offset's (NULL: no action field) */
    const struct layout_record *off_detail, *coll_detail;
    int of[OF_COUNT_], cf[CF_COUNT_];
    char name[STORE_TEXT_MAX];
    char sha[DIGEST_HEX_SIZE];
    struct reply reply;
    int32_t today;
    /* the header, read by the producer before any payment */
    char payer_code[STORE_NAME_MAX];
    int64_t file_seq;
    /* TINs of debtors with claims: a payment whose TINs are certainly not
     * in it matches nobody and never reaches the registry */
    uint64_t *bloom;
    uint64_t bloom_bits;
    /* payments the producer counted and dropped (certainly nobody's) */
    int64_t quiet_records, quiet_cents;
    /* the outputs */
    struct outbox_file off_file;
    struct writer *off_w;
    bool off_open;
    struct agency_out *out;
    size_t n_out, cap_out;
    struct side *sides;      /* [0] the payee, [1] the spouse */
    struct vault_feed *feed; /* the file's plaintext, hashed as read */
    bool sha_known;          /* hashed in a first pass (see payer_file) */
    int hash_rc;
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static int
fail(struct payer *py, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(py->err, py->err_size, fmt, ap);
    va_end(ap);
    return code;
}

static int db_fail(struct payer *py, int code)
{
    return fail(py, code, "registry: %s", store_error(py->s));
}

/* --- configuration ------------------------------------------------------ */

static struct layout *load_exchange(struct payer *py, const char *exchange)
{
    char path[HOME_PATH_MAX];
    struct layout_problems probs = {0};
    struct layout *l = NULL;
    if (profile_exchange_path(py->profile, exchange, NULL, path, sizeof(path)) <
        0) {
        fail(py, -ENOENT, "program %s has no layout for %s", py->profile->name,
             exchange);
        return NULL;
    }
    if ((l = layout_load(path, &probs)) == NULL)
        fail(py, -EINVAL, "%s:%ld: %s", path,
             probs.n ? probs.items[0].line : 0L,
             probs.n ? probs.items[0].message : "cannot load");
    layout_problems_release(&probs);
    return l;
}

static int load_config(struct payer *py)
{
    struct layout_problems probs = {0};
    const struct store_partner *p = py->rq->partner;
    py->profile =
        profile_load_program(py->rq->programs_dir, p->program, &probs);
    if (py->profile == NULL) {
        fail(py, -EINVAL, "program '%s': %s:%ld: %s", p->program,
             probs.n ? probs.items[0].file : py->rq->programs_dir,
             probs.n ? probs.items[0].line : 0L,
             probs.n ? probs.items[0].message : "cannot load");
        layout_problems_release(&probs);
        return -EINVAL;
    }
    if (py->profile->model != PROFILE_SETOFF)
        return fail(py, -EINVAL,
                    "program %s is a %s program: the gateway matches no "
                    "payments for it",
                    py->profile->name, profile_model_name(py->profile->model));
    if ((py->pay_layout = load_exchange(py, "payer-payment")) == NULL ||
        (py->off_layout = load_exchange(py, "payer-offset")) == NULL ||
        (py->coll_layout = load_exchange(py, "agency-collection")) == NULL ||
        (py->ack_layout = load_exchange(py, "agency-ack")) == NULL ||
        (py->unp_layout = load_exchange(py, "agency-unprocessable")) == NULL)
        return -EINVAL;
    py->detail = layout_record_by_name(py->pay_layout, "detail");
    for (int i = 0; i < PF_COUNT_; i++) {
        py->f[i] = py->detail
                       ? layout_field_index(py->detail, pay_fields[i].name)
                       : -1;
        if (py->f[i] < 0 && pay_fields[i].required)
            return fail(py, -EINVAL,
                        "layout %s: no record 'detail' with a field '%s'",
                        layout_source(py->pay_layout), pay_fields[i].name);
    }
    const struct layout_record *cd =
        layout_record_by_name(py->coll_layout, "detail");
    py->coll_detail = cd;
    py->off_detail = layout_record_by_name(py->off_layout, "detail");
    if (cd == NULL || py->off_detail == NULL)
        return fail(py, -EINVAL, "layout %s or %s: no record 'detail'",
                    layout_source(py->coll_layout),
                    layout_source(py->off_layout));
    for (int i = 0; i < OF_COUNT_; i++)
        py->of[i] = layout_field_index(py->off_detail, off_fields[i]);
    if (py->of[OF_ACTION] >= 0 &&
        (py->offset_action = layout_code_for(
             &py->off_detail->fields[py->of[OF_ACTION]], "offset")) == NULL)
        return fail(py, -EINVAL,
                    "layout %s: detail field 'action' has no code meaning "
                    "offset",
                    layout_source(py->off_layout));
    for (int i = 0; i < CF_COUNT_; i++)
        py->cf[i] = layout_field_index(cd, coll_fields[i]);
    int k = py->cf[CF_KIND];
    py->offset_kind = k >= 0 ? layout_code_for(&cd->fields[k], "offset") : NULL;
    if (py->offset_kind == NULL)
        return fail(py, -EINVAL,
                    "layout %s: no detail field 'kind' with a code meaning "
                    "offset",
                    layout_source(py->coll_layout));
    if ((py->sides = calloc(2, sizeof(*py->sides))) == NULL)
        return fail(py, -ENOMEM, "out of memory");
    reply_init(&py->reply, py->rq->home, py->s, py->rq->partner, py->ack_layout,
               py->unp_layout, py->name, py->err, py->err_size);
    return 0;
}

/* --- the Bloom filter of debtors' TINs ---------------------------------- */

/* FNV-1a of the id type and the nine digits; its two halves give the four
 * bit positions (Kirsch-Mitzenmacher), as intake's filter of accounts. */
static uint64_t tin_hash(char tin_type, const char *tin)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = (h ^ (unsigned char)tin_type) * 0x100000001b3ULL;
    for (const unsigned char *c = (const unsigned char *)tin; *c; c++)
        h = (h ^ *c) * 0x100000001b3ULL;
    return h;
}

static void bloom_add(struct payer *py, char tin_type, const char *tin)
{
    uint64_t h = tin_hash(tin_type, tin);
    for (uint64_t k = 0; k < 4; k++) {
        uint64_t bit = ((h & 0xffffffffu) + k * (h >> 32)) % py->bloom_bits;
        py->bloom[bit / 64] |= (uint64_t)1 << (bit % 64);
    }
}

/* false: no debtor with claims has this TIN.  Read only while the file is
 * read, so the producer may ask it. */
static bool bloom_maybe(const struct payer *py, char tin_type, const char *tin)
{
    if (py->bloom == NULL)
        return true;
    uint64_t h = tin_hash(tin_type, tin);
    for (uint64_t k = 0; k < 4; k++) {
        uint64_t bit = ((h & 0xffffffffu) + k * (h >> 32)) % py->bloom_bits;
        if (!(py->bloom[bit / 64] & ((uint64_t)1 << (bit % 64))))
            return false;
    }
    return true;
}

static int bloom_debtor(char tin_type, const char *tin, void *ctx)
{
    bloom_add(ctx, tin_type, tin);
    return 0;
}

/* Every registered debtor's TIN goes in, with claims in this program or
 * not: one scan of the TIN index, where finding the debtors with claims
 * would visit every debt; a debtor without a claim here costs one lookup
 * when paid.  16 bits per debtor: about 0.2% of strangers get looked up.
 * Without memory for it every payment is looked up. */
static int bloom_fill(struct payer *py)
{
    int64_t debtors = 0;
    int rc = store_count(py->s, "debtors", &debtors);
    if (rc < 0)
        return db_fail(py, rc);
    py->bloom_bits = (uint64_t)(debtors + 64) * 16;
    py->bloom = calloc(py->bloom_bits / 64 + 1, sizeof(uint64_t));
    if (py->bloom == NULL)
        return 0;
    if ((rc = store_debtor_tins(py->s, bloom_debtor, py)) < 0)
        return db_fail(py, rc);
    return 0;
}

/* --- reading (the producer thread) ------------------------------------- */

enum item_kind { IT_PAYMENT, IT_REJECT, IT_END, IT_FAIL };

struct item {
    enum item_kind kind;
    int64_t line;
    char payment_id[STORE_NAME_MAX]; /* also the reject's "account" */
    /* IT_PAYMENT */
    char tin_type;
    char tin[IDENTITY_TIN_SIZE];
    char spouse_tin[IDENTITY_TIN_SIZE]; /* "" unless worth a look */
    bool primary;                       /* the payee is worth a look */
    char last[IDENTITY_NAME_SIZE];
    char spouse_last[IDENTITY_NAME_SIZE];
    char source[8];
    int64_t amount, disposable;
    bool joint;
    int32_t share_bp;
    int32_t payment_date;
    /* IT_REJECT */
    char code[32];
    char field[32];
    char message[ERROR_DETAIL_MAX];
};

#define BATCH_ITEMS 64
#define N_BATCHES 8

struct producer {
    struct payer *py;
    struct handoff *h;
    int fd;
};

static void copy_text(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Field F of REC, when it was read: its value, else NULL. */
static const struct field_value *
value(const struct payer *py, const struct record *rec, enum pay_field f)
{
    int i = py->f[f];
    if (i < 0 || rec->values[i].state != VALUE_OK)
        return NULL;
    return &rec->values[i];
}

static void field_text(const struct payer *py, const struct record *rec,
                       enum pay_field f, char *buf, size_t size)
{
    const struct field_value *v = value(py, rec, f);
    copy_text(buf, size, v ? v->text : "", v ? v->text_len : 0);
}

/* The header: the payer's code (checked against the partner's, when it
 * has one), the file's sequence.  1 with RES's reason when the file is
 * refused. */
static int read_header(struct payer *py, const struct record *rec)
{
    struct payer_result *res = py->res;
    const char *want = py->rq->partner->agency_code;
    if (rec->n_errors > 0) {
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 check_code_name(C_HEADER));
        snprintf(res->reason, sizeof(res->reason), "header, line %llu: %s",
                 (unsigned long long)rec->line, rec->errors[0].detail);
        return 1;
    }
    int c = layout_field_index(rec->type, "payer_code");
    int q = layout_field_index(rec->type, "file_seq");
    if (c >= 0 && rec->values[c].state == VALUE_OK)
        copy_text(py->payer_code, sizeof(py->payer_code), rec->values[c].text,
                  rec->values[c].text_len);
    if (q >= 0 && rec->values[q].state == VALUE_OK)
        py->file_seq = rec->values[q].num;
    if (want[0] != '\0' && strcmp(py->payer_code, want) != 0) {
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 check_code_name(C_AGENCY));
        snprintf(res->reason, sizeof(res->reason),
                 "the header names payer '%s'; %s sends as '%s'",
                 py->payer_code, py->rq->partner->name, want);
        return 1;
    }
    if (want[0] == '\0')
        store_text_copy(py->reply.code, sizeof(py->reply.code), py->payer_code);
    return 0;
}

static void reject_item(struct item *it, const char *code, const char *field,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reject_item(struct item *it, const char *code, const char *field,
                        const char *fmt, ...)
{
    va_list ap;
    it->kind = IT_REJECT;
    store_text_copy(it->code, sizeof(it->code), code);
    store_text_copy(it->field, sizeof(it->field), field);
    va_start(ap, fmt);
    vsnprintf(it->message, sizeof(it->message), fmt, ap);
    va_end(ap);
}

/* Read one detail the engine accepted into IT: a payment worth a look, a
 * reject, or (false) a payment that certainly matches nobody, counted
 * here and dropped. */
static bool read_payment(struct payer *py, const struct record *rec,
                         struct item *it)
{
    const struct profile *pr = py->profile;
    const struct field_value *v;
    char joint[4];

    it->kind = IT_PAYMENT;
    it->line = (int64_t)rec->line;
    field_text(py, rec, PF_PAYMENT_ID, it->payment_id, sizeof(it->payment_id));
    v = value(py, rec, PF_PAYMENT_ID);
    if (v != NULL && v->text_len > PAYMENT_ID_MAX) {
        reject_item(it, C_PAYMENT_ID_NAME, "payment_id",
                    "a payment id of %u characters: at most %d are taken",
                    (unsigned)v->text_len, PAYMENT_ID_MAX);
        return true;
    }
    char type[4];
    field_text(py, rec, PF_TIN_TYPE, type, sizeof(type));
    it->tin_type = type[0] == 'E' ? 'E' : 'S';
    field_text(py, rec, PF_TIN, it->tin, sizeof(it->tin));
    field_text(py, rec, PF_SOURCE, it->source, sizeof(it->source));
    v = value(py, rec, PF_AMOUNT);
    it->amount = v ? v->num : 0;
    v = value(py, rec, PF_DISPOSABLE);
    it->disposable = v ? v->num : 0;
    bool has_disposable = v != NULL;
    field_text(py, rec, PF_JOINT, joint, sizeof(joint));
    it->joint = joint[0] == 'Y';
    v = value(py, rec, PF_SHARE);
    it->share_bp = v ? (int32_t)v->num : 0;
    v = value(py, rec, PF_DATE);
    it->payment_date = v ? (int32_t)v->num : py->today;
    if (it->amount < 0 || it->amount > ALLOCATE_MAX_CENTS) {
        reject_item(it, check_code_name(C_AMOUNT), "amount",
                    "a payment below 0 or above the largest taken");
        return true;
    }
    if (it->disposable < 0 || it->disposable > ALLOCATE_MAX_CENTS) {
        reject_item(it, check_code_name(C_AMOUNT), "disposable_earnings",
                    "disposable earnings below 0 or above the largest taken");
        return true;
    }
    if (it->joint && pr->joint_refund == PROFILE_JOINT_DEBTOR_SHARE &&
        (value(py, rec, PF_SHARE) == NULL || it->share_bp < 0 ||
         it->share_bp > PROFILE_BP_WHOLE)) {
        reject_item(it, C_JOINT_SHARE_NAME, "debtor_share_bp",
                    "a joint payment needs the payee's share of the income "
                    "(0 to 10000)");
        return true;
    }
    const struct profile_cap *cap = profile_cap_for(pr, it->source);
    if (cap != NULL && !cap->exempt &&
        cap->base == PROFILE_CAP_OF_DISPOSABLE_PAY && !has_disposable) {
        reject_item(it, C_DISPOSABLE_NAME, "disposable_earnings",
                    "a %s payment needs its disposable earnings", it->source);
        return true;
    }
    it->primary = bloom_maybe(py, it->tin_type, it->tin);
    it->spouse_tin[0] = '\0';
    if (it->joint) {
        char spouse[IDENTITY_TIN_SIZE];
        field_text(py, rec, PF_SPOUSE_TIN, spouse, sizeof(spouse));
        if (strlen(spouse) == 9 &&
            (it->tin_type != 'S' || strcmp(spouse, it->tin) != 0) &&
            bloom_maybe(py, 'S', spouse))
            memcpy(it->spouse_tin, spouse, sizeof(spouse));
    }
    if (!it->primary && it->spouse_tin[0] == '\0') {
        py->quiet_records++;
        py->quiet_cents += it->amount;
        return false;
    }
    field_text(py, rec, PF_LAST, it->last, sizeof(it->last));
    field_text(py, rec, PF_SPOUSE_LAST, it->spouse_last,
               sizeof(it->spouse_last));
    return true;
}

static void *produce(void *arg)
{
    struct producer *pr = arg;
    struct payer *py = pr->py;
    struct payer_result *res = py->res;
    struct reader *r = reader_new(py->pay_layout, pr->fd, py->name);
    const struct record *rec;
    enum reader_status st = READER_FAILED;
    struct item *it;
    enum item_kind last = IT_END;
    bool header_seen = false;

    if (r == NULL) {
        snprintf(res->reason_code, sizeof(res->reason_code), "E_IO");
        snprintf(res->reason, sizeof(res->reason), "out of memory");
        last = IT_FAIL;
        goto out;
    }
    while ((st = reader_next(r, &rec)) == READER_RECORD) {
        if (rec->type != NULL && strcmp(rec->type->name, "header") == 0) {
            if (read_header(py, rec) != 0) {
                last = IT_FAIL;
                goto out;
            }
            header_seen = true;
            continue;
        }
        if (rec->type != py->detail && rec->n_errors == 0)
            continue; /* the trailer: the reader checked its totals */
        if ((it = handoff_slot(pr->h)) == NULL)
            goto done;
        if (rec->n_errors > 0) {
            const struct record_error *e = &rec->errors[0];
            const char *field = rec->type && e->field >= 0
                                    ? rec->type->fields[e->field].name
                                    : NULL;
            it->line = (int64_t)rec->line;
            it->payment_id[0] = '\0';
            if (rec->type == py->detail && py->f[PF_PAYMENT_ID] >= 0)
                field_text(py, rec, PF_PAYMENT_ID, it->payment_id,
                           sizeof(it->payment_id));
            reject_item(it, errcode_name(e->code), field ? field : "", "%s",
                        e->detail);
            continue;
        }
        if (!read_payment(py, rec, it))
            handoff_unslot(pr->h); /* nobody's: the slot is free again */
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
    } else if (!header_seen) {
        snprintf(res->reason_code, sizeof(res->reason_code), "%s",
                 check_code_name(C_HEADER));
        snprintf(res->reason, sizeof(res->reason), "no header");
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

/* --- hashing ------------------------------------------------------------ */

/* Wait for the whole file to be read, checked and hashed.  0, or
 * negative with ERR (a damaged file shows here). */
static int hashed(struct payer *py)
{
    if (py->feed != NULL) {
        py->hash_rc = vault_feed_finish(py->feed, py->sha, NULL);
        py->feed = NULL;
    }
    if (py->hash_rc < 0)
        return fail(py, py->hash_rc, "cannot read '%s': %s", py->rq->path,
                    vault_strerror(py->hash_rc));
    return 0;
}

/* --- the outputs -------------------------------------------------------- */

/* Does record RECORD of LAYOUT carry the file's SHA-256?  Then its header
 * waits for the hash; the shipped layouts do not, and never wait. */
static bool wants_sha(const struct layout *layout)
{
    const struct layout_record *h = layout_record_by_name(layout, "header");
    return h != NULL && layout_field_index(h, "file_sha256") >= 0;
}

static int put_file_header(struct payer *py, struct writer *w,
                           const struct layout *layout, const char *code)
{
    bool sha = wants_sha(layout);
    int rc;
    if (sha && !py->sha_known && (rc = hashed(py)) < 0)
        return rc;
    if (writer_begin(w, "header") < 0 ||
        writer_put_text(w, "agency_code", code) < 0 ||
        writer_put_text(w, "payer_code", code) < 0 ||
        writer_put_num(w, "file_date", py->today) < 0 ||
        writer_put_num(w, "file_seq", py->file_seq) < 0 ||
        writer_put_text(w, "file_name", py->name) < 0 ||
        (sha && writer_put_text(w, "file_sha256", py->sha) < 0) ||
        writer_end(w) < 0)
        return fail(py, -EINVAL, "%s header: %s", layout_name(layout),
                    writer_error(w));
    return 0;
}

/* writer_put_text and writer_put_num by a field index found once: a
 * field the record lacks (-1) is skipped, text is cut to its width and
 * its trailing spaces dropped, a blank text or a zero date left blank. */
static int put_text(struct writer *w, const struct layout_record *r, int i,
                    const char *text)
{
    if (i < 0 || text == NULL)
        return 0;
    size_t n = strlen(text), width = r->fields[i].length;
    if (width > 0 && n > width)
        n = width;
    while (n > 0 && text[n - 1] == ' ')
        n--;
    return n == 0 ? 0 : writer_set_text(w, i, text, n);
}

static int put_num(struct writer *w, const struct layout_record *r, int i,
                   int64_t num)
{
    if (i < 0 || (r->fields[i].type == FT_DATE && num == 0))
        return 0;
    return writer_set_num(w, i, num);
}

/* The payer's offset file, opened at its first line or at the end. */
static int offsets_open(struct payer *py)
{
    char file[STORE_TEXT_MAX + 48];
    int rc;
    if (py->off_open)
        return 0;
    snprintf(file, sizeof(file), "offsets.%s.%lld.txt", py->reply.safe_name,
             (long long)py->res->file_id);
    if ((rc = outbox_open(py->rq->home, py->rq->partner->name, file,
                          &py->off_file, py->err, py->err_size)) < 0)
        return rc;
    py->off_open = true;
    if ((py->off_w = writer_new(py->off_layout, py->off_file.fp)) == NULL)
        return fail(py, -ENOMEM, "out of memory");
    return put_file_header(py, py->off_w, py->off_layout,
                           py->payer_code[0] ? py->payer_code
                                             : py->rq->partner->agency_code);
}

static struct agency_out *agency_out(struct payer *py, int64_t agency_id)
{
    for (size_t i = 0; i < py->n_out; i++)
        if (py->out[i].agency.id == agency_id)
            return &py->out[i];
    if (py->n_out == py->cap_out) {
        size_t cap = py->cap_out ? py->cap_out * 2 : 8;
        struct agency_out *grown = realloc(py->out, cap * sizeof(*grown));
        if (grown == NULL) {
            fail(py, -ENOMEM, "out of memory");
            return NULL;
        }
        py->out = grown;
        py->cap_out = cap;
    }
    struct agency_out *o = &py->out[py->n_out];
    char file[STORE_TEXT_MAX + 48];
    memset(o, 0, sizeof(*o));
    if (store_partner_get_id(py->s, agency_id, &o->agency) < 0) {
        db_fail(py, -EIO);
        return NULL;
    }
    snprintf(file, sizeof(file), "collections.%s.%lld.txt", py->reply.safe_name,
             (long long)py->res->file_id);
    if (outbox_open(py->rq->home, o->agency.name, file, &o->f, py->err,
                    py->err_size) < 0)
        return NULL;
    py->n_out++;
    if ((o->w = writer_new(py->coll_layout, o->f.fp)) == NULL) {
        fail(py, -ENOMEM, "out of memory");
        return NULL;
    }
    if (put_file_header(py, o->w, py->coll_layout, o->agency.agency_code) < 0)
        return NULL;
    return o;
}

/* Free the outputs' writers; DISCARD also removes the files (the work did
 * not commit). */
static void drop_outputs(struct payer *py, bool discard)
{
    for (size_t i = 0; i < py->n_out; i++) {
        writer_free(py->out[i].w);
        if (discard)
            outbox_discard(&py->out[i].f);
    }
    free(py->out);
    py->out = NULL;
    py->n_out = py->cap_out = 0;
    writer_free(py->off_w);
    py->off_w = NULL;
    if (py->off_open && discard)
        outbox_discard(&py->off_file);
    py->off_open = false;
}

/* Finish, seal and register the payer's file and the agencies' (in the
 * open transaction). */
static int finish_outputs(struct payer *py)
{
    int rc;
    if ((rc = offsets_open(py)) < 0)
        return rc;
    if (writer_begin(py->off_w, "trailer") < 0 || writer_end(py->off_w) < 0 ||
        writer_finish(py->off_w) < 0)
        return fail(py, -EINVAL, "offset file: %s", writer_error(py->off_w));
    writer_free(py->off_w);
    py->off_w = NULL;
    if ((rc = outbox_seal(&py->off_file, py->err, py->err_size)) < 0 ||
        (rc = reply_register(py->s, py->rq->partner, &py->off_file,
                             "payer-offset", py->off_layout,
                             py->res->file_id)) < 0)
        return rc < 0 && py->err[0] == '\0' ? db_fail(py, rc) : rc;
    store_text_copy(py->res->offset_path, sizeof(py->res->offset_path),
                    py->off_file.final_path);
    for (size_t i = 0; i < py->n_out; i++) {
        struct agency_out *o = &py->out[i];
        if (writer_begin(o->w, "trailer") < 0 || writer_end(o->w) < 0 ||
            writer_finish(o->w) < 0)
            return fail(py, -EINVAL, "collection file of %s: %s",
                        o->agency.name, writer_error(o->w));
        writer_free(o->w);
        o->w = NULL;
        if ((rc = outbox_seal(&o->f, py->err, py->err_size)) < 0 ||
            (rc = reply_register(py->s, &o->agency, &o->f, "agency-collection",
                                 py->coll_layout, py->res->file_id)) < 0)
            return rc < 0 && py->err[0] == '\0' ? db_fail(py, rc) : rc;
    }
    py->res->agency_files = (int64_t)py->n_out;
    return 0;
}

/* --- matching and allocating one payment ------------------------------- */

/* Does the payment's NAME pass the profile's rule against the registry's
 * NAME_ON_FILE of a debtor with id type TIN_TYPE? */
static bool name_agrees(const struct payer *py, char tin_type,
                        const struct store_name *on_file, const char *name)
{
    bool same = false;
    if (py->profile->match_rule == PROFILE_MATCH_TIN_LAST_NAME) {
        identity_match_name(IDENTITY_MATCH_LAST_NAME, on_file->last,
                            strlen(on_file->last), name, strlen(name), &same);
        return same;
    }
    char nc[IDENTITY_NAME_CONTROL_SIZE];
    enum identity_status st =
        tin_type == 'E' ? identity_business_name_control(name, strlen(name), nc)
                        : identity_name_control(name, strlen(name), nc);
    if (st != IDENTITY_OK)
        return false;
    identity_name_control_equal(on_file->name_control,
                                strlen(on_file->name_control), nc, 4, &same);
    return same;
}

/* Find side SD's debtor (TIN_TYPE, TIN, NAME) and its claims: SD->n is 0
 * when it matches nobody.  0, or negative on a registry error. */
static int match_side(struct payer *py, struct side *sd, char tin_type,
                      const char *tin, const char *name)
{
    struct store_name on_file;
    int64_t debtor_id;
    size_t n = 0;
    sd->n = 0;
    sd->tin_type = tin_type;
    store_text_copy(sd->tin, sizeof(sd->tin), tin);
    int rc =
        store_claims_by_tin(py->s, tin_type, tin, py->profile->name, &debtor_id,
                            &on_file, sd->claims, ALLOCATE_MAX_CLAIMS, &n);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return db_fail(py, rc);
    if (!name_agrees(py, tin_type, &on_file, name)) {
        py->res->name_mismatches++;
        return 0;
    }
    /* past ALLOCATE_MAX_CLAIMS open debts (never seen): the oldest
     * registrations take the payment */
    if (n > ALLOCATE_MAX_CLAIMS)
        n = ALLOCATE_MAX_CLAIMS;
    for (size_t i = 0; i < n; i++) {
        const struct store_debt *d = &sd->claims[i].debt;
        if (profile_priority_of(py->profile, d->debt_type) < 0)
            continue; /* the program no longer knows its type: no claim */
        if (sd->n != i)
            sd->claims[sd->n] = sd->claims[i];
        struct store_claim *c = &sd->claims[sd->n];
        struct allocate_claim *a = &sd->ac[sd->n];
        snprintf(sd->agency[sd->n], sizeof(sd->agency[sd->n]), "%lld",
                 (long long)c->debt.partner_id);
        a->debt_id = c->debt.account;
        a->agency_id = sd->agency[sd->n];
        a->debt_type = c->debt.debt_type;
        a->balance_cents = c->debt.balance_cents;
        a->delinquent_since = c->debt.delinquency_date;
        a->has_tin = true; /* the registry takes no debt without one */
        sd->n++;
    }
    return 0;
}

static int run_side(struct payer *py, struct side *sd)
{
    int rc =
        allocate_run(py->profile, &sd->p, sd->ac, sd->n, sd->lines, &sd->t);
    if (rc == -ENOTRECOVERABLE)
        return fail(py, rc, "allocation broke a money invariant (a bug)");
    if (rc < 0)
        return fail(py, rc, "allocation refused the payment: %s",
                    strerror(-rc));
    /* and once more, as the registry will have it */
    if (allocate_check(py->profile, &sd->p, sd->ac, sd->n, sd->lines, &sd->t) <
        0)
        return fail(py, -ENOTRECOVERABLE,
                    "allocation broke a money invariant (a bug)");
    return 0;
}

/* Allocate the payment IT among side A (the payee) and side B (the
 * spouse), either of which may have no claims.  *TAKEN gets offsets +
 * fees of both, *RELEASED the rest, checked to add up. */
static int allocate_payment(struct payer *py, const struct item *it,
                            struct side *a, struct side *b, int64_t *released)
{
    const struct profile *pr = py->profile;
    int64_t left = it->amount; /* released so far */
    int rc;
    struct allocate_payment p = {.source = it->source,
                                 .amount_cents = it->amount,
                                 .disposable_cents = it->disposable,
                                 .joint = it->joint,
                                 .debtor_share_bp = it->share_bp};
    memset(&a->t, 0, sizeof(a->t));
    memset(&b->t, 0, sizeof(b->t));
    if (a->n > 0) {
        a->p = p;
        if ((rc = run_side(py, a)) < 0)
            return rc;
        left = a->t.released_cents;
    }
    if (b->n > 0 && it->joint &&
        pr->joint_refund != PROFILE_JOINT_NOT_ALLOWED) {
        /* the spouse's part: its share of the income, or whatever the
         * payee's claims left of the whole */
        int64_t part = left;
        if (pr->joint_refund == PROFILE_JOINT_DEBTOR_SHARE)
            part = it->amount - profile_apply_bp(it->amount, it->share_bp);
        if (part > left)
            return fail(py, -ENOTRECOVERABLE,
                        "payment %s: the spouse's part is more than was "
                        "left (a bug)",
                        it->payment_id);
        b->p = p;
        b->p.amount_cents = part;
        b->p.joint = false;
        if ((rc = run_side(py, b)) < 0)
            return rc;
        left -= part - b->t.released_cents;
    } else {
        b->n = 0;
    }
    int64_t taken =
        a->t.offset_cents + a->t.fee_cents + b->t.offset_cents + b->t.fee_cents;
    if (left < 0 || taken + left != it->amount)
        return fail(py, -ENOTRECOVERABLE,
                    "payment %s: offsets + fees + released is not the "
                    "amount (a bug)",
                    it->payment_id);
    *released = left;
    return 0;
}

/* base 36, two digits: the offset's number in its payment */
static void trace_of(const char *payment_id, int k, char out[24])
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t n = strlen(payment_id);
    memcpy(out, payment_id, n);
    out[n] = '.';
    out[n + 1] = digits[(k / 36) % 36];
    out[n + 2] = digits[k % 36];
    out[n + 3] = '\0';
}

/* One line of the payer's offset file (TRACE "" on a payment released
 * whole). */
static int offset_line(struct payer *py, const struct item *it, const char *tin,
                       int64_t offset, int64_t fee, int64_t released,
                       const char *agency_code, const char *account,
                       const char *trace)
{
    struct writer *w = py->off_w;
    int rc;
    if (!py->off_open && (rc = offsets_open(py)) < 0)
        return rc;
    w = py->off_w;
    const struct layout_record *r = py->off_detail;
    const int *f = py->of;
    if (writer_begin_index(w, (size_t)r->index) < 0 ||
        put_text(w, r, f[OF_PAYMENT_ID], it->payment_id) < 0 ||
        put_text(w, r, f[OF_TIN], tin) < 0 ||
        put_num(w, r, f[OF_OFFSET], offset) < 0 ||
        put_num(w, r, f[OF_FEE], fee) < 0 ||
        put_num(w, r, f[OF_RELEASED], released) < 0 ||
        put_text(w, r, f[OF_AGENCY], agency_code) < 0 ||
        put_text(w, r, f[OF_ACCOUNT], account) < 0 ||
        put_num(w, r, f[OF_AMOUNT], it->amount) < 0 ||
        put_text(w, r, f[OF_ACTION], py->offset_action) < 0 ||
        put_text(w, r, f[OF_TRACE], trace) < 0 || writer_end(w) < 0)
        return fail(py, -EINVAL, "offset file, payment %s: %s", it->payment_id,
                    writer_error(w));
    return 0;
}

/* Record one offset of side SD, line L, as the K-th of payment IT: the
 * ledger entry, the agency's line and the payer's (RELEASED on the
 * payment's last line). */
static int record_offset(struct payer *py, const struct item *it,
                         const struct side *sd, const struct allocate_line *l,
                         int k, int64_t released)
{
    const struct store_claim *c = &sd->claims[l->claim];
    struct store_source src = {.file_id = py->res->file_id, .line = it->line};
    struct check_result why = {.code = CHECK_OK};
    char trace[24], entry_text[24];
    int64_t entry_id = 0;
    int rc;

    trace_of(it->payment_id, k, trace);
    struct money_event ev = {.kind = ENTRY_OFFSET,
                             .debt_id = c->debt.id,
                             .amount_cents = l->offset_cents,
                             .fee_cents = l->withheld_cents,
                             .trace_id = trace,
                             .payment_date = it->payment_date,
                             .payment_source = it->source,
                             .allocated = true,
                             .final_on = py->res->final_on,
                             .deducted_cents = l->fee_cents,
                             .debt = &c->debt};
    if ((rc = ledger_apply_entry(py->s, py->rq->partner->id, &ev, &src, &why,
                                 &entry_id)) < 0)
        return db_fail(py, rc);
    if (why.code != CHECK_OK)
        /* the allocation read these balances in this transaction and the
         * payment id is new: a refusal here is a bug */
        return fail(py, -ENOTRECOVERABLE, "payment %s, account %s: %s: %s",
                    it->payment_id, c->debt.account, check_code_name(why.code),
                    why.message);
    py->res->offsets++;
    py->res->withheld_cents += l->withheld_cents;

    struct agency_out *o = agency_out(py, c->debt.partner_id);
    if (o == NULL)
        return -EIO;
    snprintf(entry_text, sizeof(entry_text), "%lld", (long long)entry_id);
    const struct layout_record *r = py->coll_detail;
    const int *f = py->cf;
    if (writer_begin_index(o->w, (size_t)r->index) < 0 ||
        put_text(o->w, r, f[CF_ACCOUNT], c->debt.account) < 0 ||
        put_text(o->w, r, f[CF_KIND], py->offset_kind) < 0 ||
        put_text(o->w, r, f[CF_TRACE], entry_text) < 0 ||
        put_num(o->w, r, f[CF_AMOUNT], l->offset_cents) < 0 ||
        put_num(o->w, r, f[CF_FEE], l->withheld_cents) < 0 ||
        put_num(o->w, r, f[CF_NET], l->remit_cents) < 0 ||
        put_num(o->w, r, f[CF_DATE], it->payment_date) < 0 ||
        put_text(o->w, r, f[CF_SOURCE], it->source) < 0 ||
        put_text(o->w, r, f[CF_TIN4], sd->tin + 5) < 0 || writer_end(o->w) < 0)
        return fail(py, -EINVAL, "collection file of %s: %s", o->agency.name,
                    writer_error(o->w));
    return offset_line(py, it, sd->tin, l->offset_cents, l->fee_cents, released,
                       o->agency.agency_code, c->debt.account, trace);
}

/* A payment worth a look.  0 (matched or not, or refused: noted),
 * negative on a system error. */
static int payment(struct payer *py, const struct item *it)
{
    struct payer_result *res = py->res;
    struct side *a = &py->sides[0], *b = &py->sides[1];
    int64_t released = 0;
    int rc;

    a->n = b->n = 0;
    if (it->primary &&
        (rc = match_side(py, a, it->tin_type, it->tin, it->last)) < 0)
        return rc;
    if (it->spouse_tin[0] != '\0' &&
        (rc = match_side(py, b, 'S', it->spouse_tin, it->spouse_last)) < 0)
        return rc;
    if (a->n == 0 && b->n == 0)
        return 0; /* nobody's: paid as it is, no line */
    if ((rc = allocate_payment(py, it, a, b, &released)) < 0)
        return rc;

    struct store_payment row = {.partner_id = py->rq->partner->id,
                                .file_id = res->file_id,
                                .line = it->line,
                                .payment_date = it->payment_date,
                                .amount_cents = it->amount,
                                .offset_cents =
                                    a->t.offset_cents + b->t.offset_cents,
                                .fee_cents = a->t.fee_cents + b->t.fee_cents,
                                .released_cents = released,
                                .final_on = res->final_on};
    store_text_copy(row.payment_id, sizeof(row.payment_id), it->payment_id);
    store_text_copy(row.source, sizeof(row.source), it->source);
    store_text_copy(row.payer_code, sizeof(row.payer_code), py->payer_code);
    if ((rc = store_payment_add(py->s, &row, NULL)) == -EEXIST) {
        res->accepted--;
        res->amount_cents -= it->amount;
        res->rejected++;
        return reply_reject(&py->reply, it->line, it->payment_id,
                            C_DUP_PAYMENT_NAME, "payment_id",
                            "this payment id was matched in an earlier file");
    }
    if (rc < 0)
        return db_fail(py, rc);
    res->matched++;
    res->offset_cents += row.offset_cents;
    res->fee_cents += row.fee_cents;
    res->released_cents += released;

    /* the lines with an offset, payee's first; released on the last */
    size_t n_offsets = 0, done = 0;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < py->sides[s].n; i++)
            n_offsets += py->sides[s].lines[i].offset_cents > 0;
    if (n_offsets > 36 * 36 - 1)
        return fail(py, -E2BIG, "payment %s: %zu offsets, more than %d",
                    it->payment_id, n_offsets, 36 * 36 - 1);
    if (n_offsets == 0)
        return offset_line(py, it, a->n > 0 ? a->tin : b->tin, 0, 0, released,
                           "", "", "");
    for (int s = 0; s < 2; s++) {
        const struct side *sd = &py->sides[s];
        for (size_t i = 0; i < sd->n; i++) {
            const struct allocate_line *l = &sd->lines[i];
            if (l->offset_cents == 0)
                continue;
            done++;
            if ((rc = record_offset(py, it, sd, l, (int)done,
                                    done == n_offsets ? released : 0)) < 0)
                return rc;
        }
    }
    return 0;
}

/* Take one item from the reader. */
static int consume(struct payer *py, const struct item *it)
{
    struct payer_result *res = py->res;
    res->records++;
    if (it->kind == IT_REJECT) {
        res->rejected++;
        return reply_reject(&py->reply, it->line, it->payment_id, it->code,
                            it->field, it->message);
    }
    res->accepted++;
    res->amount_cents += it->amount;
    return payment(py, it);
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

/* Read the whole file, applying what matches.  0 when the file went
 * through, 1 when it is refused whole (RES's reason set), negative on a
 * system error. */
static int process(struct payer *py, int fd)
{
    struct producer pr = {
        .py = py,
        .h = handoff_new(sizeof(struct item), BATCH_ITEMS, N_BATCHES),
        .fd = fd};
    if (pr.h == NULL)
        return fail(py, -ENOMEM, "out of memory");
    int rc = handoff_run(pr.h, produce, &pr, apply_item, py);
    handoff_free(pr.h);
    if (rc == -EAGAIN && py->err[0] == '\0')
        return fail(py, rc, "cannot start the reading thread");
    if (rc < 0)
        return rc;
    rc = rc == ITEMS_REFUSED;
    /* the payments the reader dropped: accepted, nobody's */
    py->res->records += py->quiet_records;
    py->res->accepted += py->quiet_records;
    py->res->amount_cents += py->quiet_cents;
    return rc;
}

/* --- the file ----------------------------------------------------------- */

static int write_reply(struct payer *py, char status)
{
    struct payer_result *res = py->res;
    struct reply_outcome o = {.status = status,
                              .records = res->records,
                              .accepted = res->accepted,
                              .rejected = res->rejected,
                              .amount_cents = res->amount_cents,
                              .reason_code = res->reason_code,
                              .reason = res->reason};
    py->reply.file_id = res->file_id;
    store_text_copy(py->reply.sha, sizeof(py->reply.sha), py->sha);
    return reply_write(&py->reply, &o, res->ack_path, res->unprocessable_path);
}

/* The file's row, but its SHA-256: the hashing thread may be writing it
 * still. */
static void file_row(struct payer *py, struct store_file *f,
                     enum file_status status)
{
    memset(f, 0, sizeof(*f));
    f->partner_id = py->rq->partner->id;
    store_text_copy(f->name, sizeof(f->name), py->name);
    store_text_copy(f->exchange, sizeof(f->exchange), "payer-payment");
    store_text_copy(f->layout, sizeof(f->layout),
                    layout_source(py->pay_layout));
    f->status = status;
}

/* A duplicate or a file refused whole: only its row and the reply. */
static int record_rejected(struct payer *py, enum file_status status)
{
    struct payer_result *res = py->res;
    struct store_file f;
    int64_t records = res->records;
    int rc;
    memset(res, 0, offsetof(struct payer_result, duplicate_of));
    res->status = status;
    if (status == FILE_REJECTED)
        res->records = res->rejected = records;
    reply_forget(&py->reply);
    file_row(py, &f, status);
    store_text_copy(f.sha256, sizeof(f.sha256), py->sha); /* hashed */
    f.duplicate_of = res->duplicate_of;
    f.records = res->records;
    f.rejected = res->rejected;
    snprintf(f.error, sizeof(f.error), "%s: %s", res->reason_code, res->reason);
    if ((rc = store_begin(py->s)) < 0 ||
        (rc = store_file_add(py->s, &f, &res->file_id)) < 0) {
        store_rollback(py->s);
        return db_fail(py, rc);
    }
    if ((rc = write_reply(py, status == FILE_DUPLICATE ? 'D' : 'R')) < 0 ||
        (rc = store_commit(py->s)) < 0) {
        if (py->err[0] == '\0')
            db_fail(py, rc);
        store_rollback(py->s);
        return rc;
    }
    return outbox_deliver_pending(py->s, py->err, py->err_size);
}

/* Was a file with the same bytes processed before?  1 (RES says which),
 * 0, or negative. */
static int duplicate(struct payer *py)
{
    struct payer_result *res = py->res;
    struct store_file prior;
    int rc = store_file_find_sha(py->s, py->rq->partner->id, py->sha, &prior);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return db_fail(py, rc);
    res->duplicate_of = prior.id;
    snprintf(res->reason_code, sizeof(res->reason_code), "%s",
             check_code_name(C_DUP_FILE));
    snprintf(res->reason, sizeof(res->reason),
             "same bytes as file %lld ('%s', %s)", (long long)prior.id,
             prior.name, file_status_name(prior.status));
    return 1;
}

static int run(struct payer *py, int fd)
{
    struct payer_result *res = py->res;
    struct store_file f;
    int rc, outcome;

    if ((rc = store_begin(py->s)) < 0)
        return db_fail(py, rc);
    file_row(py, &f, FILE_RECEIVED);
    memset(f.sha256, '0', 64); /* until the hash is done */
    if ((rc = store_file_add(py->s, &f, &res->file_id)) < 0) {
        store_rollback(py->s);
        return db_fail(py, rc);
    }
    f.id = res->file_id;
    if ((rc = bloom_fill(py)) < 0) {
        store_rollback(py->s);
        return rc;
    }
    outcome = process(py, fd);
    if (outcome < 0 || (rc = hashed(py)) < 0 || (rc = duplicate(py)) != 0 ||
        outcome == 1) {
        /* a duplicate, refused whole, or failed: nothing of it stays */
        store_rollback(py->s);
        reply_forget(&py->reply);
        drop_outputs(py, true);
        if (outcome < 0)
            return outcome;
        if (rc < 0)
            return rc;
        return record_rejected(py, rc == 1 ? FILE_DUPLICATE : FILE_REJECTED);
    }
    res->status = res->rejected > 0 ? FILE_PARTIAL : FILE_ACCEPTED;
    store_text_copy(f.sha256, sizeof(f.sha256), py->sha);
    f.status = res->status;
    f.records = res->records;
    f.accepted = res->accepted;
    f.rejected = res->rejected;
    f.amount_cents = res->amount_cents;
    if ((rc = finish_outputs(py)) < 0)
        goto undo;
    if ((rc = store_file_finish(py->s, &f)) < 0) {
        rc = db_fail(py, rc);
        goto undo;
    }
    if ((rc = write_reply(py, 'A')) < 0)
        goto undo;
    if ((rc = store_commit(py->s)) < 0) {
        rc = db_fail(py, rc);
        goto undo;
    }
    reply_forget(&py->reply);
    drop_outputs(py, false); /* committed: the outbox delivers them */
    return outbox_deliver_pending(py->s, py->err, py->err_size);
undo:
    store_rollback(py->s);
    reply_forget(&py->reply);
    drop_outputs(py, true);
    res->offset_path[0] = '\0';
    return rc;
}

int payer_file(const struct payer_request *rq, struct payer_result *res,
               char *err, size_t err_size)
{
    struct payer py = {
        .rq = rq, .res = res, .s = rq->store, .err = err, .err_size = err_size};
    int fd = -1, rc;
    memset(res, 0, sizeof(*res));
    err[0] = '\0';
    const char *name = rq->name;
    if (name == NULL) {
        name = strrchr(rq->path, '/');
        name = name ? name + 1 : rq->path;
    }
    store_text_copy(py.name, sizeof(py.name), name);
    if (rq->partner->kind != PARTNER_PAYER) {
        rc = fail(&py, -EINVAL, "%s is a %s: only payers send payment files",
                  rq->partner->name, partner_kind_name(rq->partner->kind));
        goto out;
    }
    if ((rc = load_config(&py)) < 0)
        goto out;
    py.today = calendar_today(NULL);
    int32_t days = py.profile->appeal_days > py.profile->hold_days
                       ? py.profile->appeal_days
                       : py.profile->hold_days;
    res->final_on = calendar_add_days(py.today, days);
    /* an output whose header carries the file's SHA-256 is written while
     * the file is read: the hash is then taken in a first pass */
    if (wants_sha(py.off_layout) || wants_sha(py.coll_layout)) {
        struct vault v;
        struct vault_file *f = NULL;
        if ((rc = vault_load(&v, rq->home, err, err_size)) < 0)
            goto out;
        rc = vault_open(&v, rq->path, &f);
        vault_release(&v);
        if (rc == 0)
            rc = vault_sha256(f, py.sha, NULL);
        vault_close(f);
        if (rc < 0) {
            rc = fail(&py, rc, "cannot read '%s': %s", rq->path,
                      vault_strerror(rc));
            goto out;
        }
        py.sha_known = true;
    }
    if ((rc = vault_feed_path(rq->home, rq->path, true, &py.feed, &fd, NULL,
                              err, err_size)) < 0)
        goto out;
    store_cache_mib(py.s, PAYER_CACHE_MIB);
    rc = run(&py, fd);
    store_cache_mib(py.s, STORE_CACHE_MIB);
out:
    if (py.feed != NULL) /* FD is the feed's */
        vault_feed_finish(py.feed, NULL, NULL);
    drop_outputs(&py, true);
    reply_release(&py.reply);
    free(py.bloom);
    free(py.sides);
    layout_free(py.pay_layout);
    layout_free(py.off_layout);
    layout_free(py.coll_layout);
    layout_free(py.ack_layout);
    layout_free(py.unp_layout);
    profile_free(py.profile);
    return rc;
}

/* --- appeals ------------------------------------------------------------ */

struct offsets {
    struct store_entry *e;
    size_t n, cap;
    size_t id_len;     /* the payment id's: its traces are 3 bytes longer */
    const char *trace; /* only this one, when not NULL */
};

static int collect_offset(const struct store_entry *e, void *ctx)
{
    struct offsets *o = ctx;
    if (strlen(e->trace_id) != o->id_len + 3 ||
        (o->trace != NULL && strcmp(o->trace, e->trace_id) != 0))
        return 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        struct store_entry *grown = realloc(o->e, cap * sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;
        o->e = grown;
        o->cap = cap;
    }
    o->e[o->n++] = *e;
    return 0;
}

/* The offsets of payment *PAYMENT_ID (or, with TRACE_ID, of that offset
 * only: *PAYMENT_ID may be NULL then and becomes its payment, in PID) of
 * PAYER into O.  0, or negative with ERR (-ENOENT: none). */
static int find_offsets(struct store *s, const struct store_partner *payer,
                        const char **payment_id, const char *trace_id,
                        char pid[32], struct offsets *o, char *err,
                        size_t err_size)
{
    char prefix[32];
    int rc;
    o->trace = trace_id;
    if (*payment_id == NULL && trace_id != NULL) {
        /* "<payment id>.<nn>" */
        size_t n = strlen(trace_id);
        if (n < 4 || n - 3 >= 32 || trace_id[n - 3] != '.') {
            snprintf(err, err_size, "'%s' is no trace id of a payer's offset",
                     trace_id);
            return -ENOENT;
        }
        memcpy(pid, trace_id, n - 3);
        pid[n - 3] = '\0';
        *payment_id = pid;
    }
    const char *id = *payment_id;
    if (id == NULL || id[0] == '\0' || strlen(id) > PAYMENT_ID_MAX) {
        snprintf(err, err_size, "a payment id of 1 to %d characters",
                 PAYMENT_ID_MAX);
        return -EINVAL;
    }
    o->id_len = strlen(id);
    snprintf(prefix, sizeof(prefix), "%s.", id);
    if ((rc = store_offsets_by_prefix(s, payer->id, prefix, collect_offset,
                                      o)) < 0) {
        snprintf(err, err_size, "%s",
                 rc == -ENOMEM ? "out of memory" : store_error(s));
        return rc;
    }
    if (o->n == 0) {
        snprintf(err, err_size, "%s took no offset %s%s from payment '%s'",
                 payer->name, trace_id ? trace_id : "",
                 trace_id ? "" : "at all", id);
        return -ENOENT;
    }
    return 0;
}

int payer_appeal(struct store *s, const struct store_partner *payer,
                 const char *payment_id, const char *trace_id, int32_t today,
                 void (*fn)(const struct payer_appeal_line *l, void *ctx),
                 void *ctx, char *err, size_t err_size)
{
    struct offsets o = {0};
    char pid[32];
    size_t held = 0;
    int rc;

    err[0] = '\0';
    if ((rc = find_offsets(s, payer, &payment_id, trace_id, pid, &o, err,
                           err_size)) < 0)
        goto out;
    if ((rc = store_begin(s)) < 0) {
        snprintf(err, err_size, "registry: %s", store_error(s));
        goto out;
    }
    for (size_t i = 0; i < o.n; i++) {
        struct payer_appeal_line l = {.entry = o.e[i]};
        struct store_debt debt;
        struct store_decision d;
        if ((rc = store_debt_get_id(s, o.e[i].debt_id, &debt)) < 0)
            break;
        store_text_copy(l.account, sizeof(l.account), debt.account);
        rc = store_appeal_get(s, o.e[i].id, &l.filed_on);
        if (rc == 0) {
            /* decided: no longer held, and no second appeal */
            if ((rc = store_decision_get(s, o.e[i].id, &d)) == 0) {
                l.outcome = PAYER_APPEAL_DECIDED;
            } else if (rc == -ENOENT) {
                l.outcome = PAYER_APPEAL_BEFORE;
                held++;
            } else {
                break;
            }
        } else if (rc != -ENOENT) {
            break;
        } else if (o.e[i].final_on != 0 && today < o.e[i].final_on) {
            if ((rc = store_appeal_add(s, o.e[i].id, today, NULL)) < 0)
                break;
            l.filed_on = today;
            l.outcome = PAYER_APPEAL_RECORDED;
            held++;
        } else {
            l.outcome = PAYER_APPEAL_FINAL;
        }
        rc = 0;
        if (fn != NULL)
            fn(&l, ctx);
    }
    if (rc < 0 || (rc = store_commit(s)) < 0) {
        snprintf(err, err_size, "registry: %s", store_error(s));
        store_rollback(s);
        goto out;
    }
    if (held == 0) {
        snprintf(err, err_size,
                 "no offset of payment '%s' can be held: each is final or "
                 "its appeal was decided",
                 payment_id);
        rc = -EPERM;
    }
out:
    free(o.e);
    return rc;
}

/* --- deciding appeals --------------------------------------------------- */

struct decide_out {
    struct store_partner to;
    struct outbox_file f;
    struct writer *w;
    bool open;
};

struct decide {
    const struct payer_decide_request *rq;
    struct payer_decide_result *res;
    struct store *s;
    struct profile *profile;
    struct layout *off_layout, *coll_layout;
    const char *release_action; /* payer-offset's code meaning reversal */
    const char *reversal_kind;  /* agency-collection's */
    char payer_code[STORE_NAME_MAX];
    char file_tail[STORE_TEXT_MAX + 32]; /* "<payment>.<n>.txt" */
    int64_t made_from;                   /* the payment's file */
    struct store_payment payment;
    struct decide_out payer_out;
    struct decide_out *out; /* one per agency */
    size_t n_out, cap_out;
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static int
dfail(struct decide *dc, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dc->err, dc->err_size, fmt, ap);
    va_end(ap);
    return code;
}

static int ddb_fail(struct decide *dc, int code)
{
    return dfail(dc, code, "registry: %s", store_error(dc->s));
}

/* The code of the payer's files: the one its payment file's header gave,
 * else its partner code, else its name in upper-case letters and digits
 * (a payment recorded before the registry kept the header's code). */
static void payer_code_of(const struct store_partner *p,
                          const struct store_payment *pay, char *buf,
                          size_t size)
{
    size_t n = 0;
    if (pay->payer_code[0] != '\0') {
        store_text_copy(buf, size, pay->payer_code);
        return;
    }
    if (p->agency_code[0] != '\0') {
        store_text_copy(buf, size, p->agency_code);
        return;
    }
    for (const char *c = p->name; *c != '\0' && n + 1 < size && n < 8; c++) {
        if (*c >= 'a' && *c <= 'z')
            buf[n++] = (char)(*c - 'a' + 'A');
        else if ((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
            buf[n++] = *c;
    }
    buf[n] = '\0';
}

static struct layout *decide_layout(struct decide *dc, const char *exchange)
{
    char path[HOME_PATH_MAX];
    struct layout_problems probs = {0};
    struct layout *l = NULL;
    if (profile_exchange_path(dc->profile, exchange, NULL, path, sizeof(path)) <
        0) {
        dfail(dc, -EINVAL, "program %s has no layout for %s", dc->profile->name,
              exchange);
        return NULL;
    }
    if ((l = layout_load(path, &probs)) == NULL)
        dfail(dc, -EINVAL, "%s:%ld: %s", path,
              probs.n ? probs.items[0].line : 0L,
              probs.n ? probs.items[0].message : "cannot load");
    layout_problems_release(&probs);
    return l;
}

/* The code field NAME of LAYOUT's detail, its code meaning MEANS. */
static const char *detail_code(const struct layout *layout, const char *name,
                               const char *means)
{
    const struct layout_record *r = layout_record_by_name(layout, "detail");
    int i = r ? layout_field_index(r, name) : -1;
    return i < 0 ? NULL : layout_code_for(&r->fields[i], means);
}

static int decide_config(struct decide *dc)
{
    struct layout_problems probs = {0};
    const struct store_partner *p = dc->rq->payer;
    dc->profile =
        profile_load_program(dc->rq->programs_dir, p->program, &probs);
    if (dc->profile == NULL) {
        dfail(dc, -EINVAL, "program '%s': %s", p->program,
              probs.n ? probs.items[0].message : "cannot load");
        layout_problems_release(&probs);
        return -EINVAL;
    }
    if ((dc->off_layout = decide_layout(dc, "payer-offset")) == NULL ||
        (dc->coll_layout = decide_layout(dc, "agency-collection")) == NULL)
        return -EINVAL;
    dc->release_action = detail_code(dc->off_layout, "action", "reversal");
    dc->reversal_kind = detail_code(dc->coll_layout, "kind", "reversal");
    if (dc->release_action == NULL || dc->reversal_kind == NULL)
        return dfail(dc, -EINVAL,
                     "layout %s or %s: no detail code meaning reversal "
                     "(payer-offset's action, agency-collection's kind)",
                     layout_source(dc->off_layout),
                     layout_source(dc->coll_layout));
    return 0;
}

/* Open file PREFIX.<tail> for O->to with LAYOUT and write its header. */
static int decide_open(struct decide *dc, struct decide_out *o,
                       const char *prefix, const struct layout *layout,
                       const char *code)
{
    char name[STORE_TEXT_MAX + 64];
    int rc;
    snprintf(name, sizeof(name), "%s.%s", prefix, dc->file_tail);
    if ((rc = outbox_open(dc->rq->home, o->to.name, name, &o->f, dc->err,
                          dc->err_size)) < 0)
        return rc;
    o->open = true;
    if ((o->w = writer_new(layout, o->f.fp)) == NULL)
        return dfail(dc, -ENOMEM, "out of memory");
    if (writer_begin(o->w, "header") < 0 ||
        writer_put_text(o->w, "agency_code", code) < 0 ||
        writer_put_text(o->w, "payer_code", code) < 0 ||
        writer_put_num(o->w, "file_date", dc->rq->today) < 0 ||
        writer_end(o->w) < 0)
        return dfail(dc, -EINVAL, "%s header: %s", layout_name(layout),
                     writer_error(o->w));
    return 0;
}

static struct decide_out *decide_agency(struct decide *dc, int64_t agency_id)
{
    for (size_t i = 0; i < dc->n_out; i++)
        if (dc->out[i].to.id == agency_id)
            return &dc->out[i];
    if (dc->n_out == dc->cap_out) {
        size_t cap = dc->cap_out ? dc->cap_out * 2 : 4;
        struct decide_out *grown = realloc(dc->out, cap * sizeof(*grown));
        if (grown == NULL) {
            dfail(dc, -ENOMEM, "out of memory");
            return NULL;
        }
        dc->out = grown;
        dc->cap_out = cap;
    }
    struct decide_out *o = &dc->out[dc->n_out];
    memset(o, 0, sizeof(*o));
    if (store_partner_get_id(dc->s, agency_id, &o->to) < 0) {
        ddb_fail(dc, -EIO);
        return NULL;
    }
    dc->n_out++;
    if (decide_open(dc, o, "reversals", dc->coll_layout, o->to.agency_code) < 0)
        return NULL;
    return o;
}

/* The lines of an upheld appeal's reversal: the payer's release (R) and
 * the agency's reversal. */
static int decide_lines(struct decide *dc, const struct store_entry *e,
                        const struct store_debt *debt, int64_t reversal_id)
{
    char tin_type, tin[IDENTITY_TIN_SIZE], id[24], of[24];
    struct decide_out *o = &dc->payer_out;
    struct writer *w;
    int rc;
    if ((rc = store_debtor_get(dc->s, debt->debtor_id, &tin_type, tin)) < 0)
        return ddb_fail(dc, rc);
    struct decide_out *a = decide_agency(dc, debt->partner_id);
    if (a == NULL)
        return dc->err[0] ? -EIO : dfail(dc, -ENOMEM, "out of memory");
    if (!o->open && (rc = decide_open(dc, o, "releases", dc->off_layout,
                                      dc->payer_code)) < 0)
        return rc;
    w = o->w;
    if (writer_begin(w, "detail") < 0 ||
        writer_put_text(w, "payment_id", dc->payment.payment_id) < 0 ||
        writer_put_text(w, "tin", tin) < 0 ||
        writer_put_num(w, "offset_amount", e->amount_cents) < 0 ||
        writer_put_num(w, "fee_amount", e->deducted_cents) < 0 ||
        writer_put_num(w, "released_amount",
                       e->amount_cents + e->deducted_cents) < 0 ||
        writer_put_text(w, "agency_code", a->to.agency_code) < 0 ||
        writer_put_text(w, "account", debt->account) < 0 ||
        writer_put_num(w, "payment_amount", dc->payment.amount_cents) < 0 ||
        writer_put_text(w, "action", dc->release_action) < 0 ||
        writer_put_text(w, "trace_id", e->trace_id) < 0 || writer_end(w) < 0)
        return dfail(dc, -EINVAL, "release file, offset %s: %s", e->trace_id,
                     writer_error(w));
    /* as responses.c writes a partner's reversal: signed, minus */
    snprintf(id, sizeof(id), "%lld", (long long)reversal_id);
    snprintf(of, sizeof(of), "%lld", (long long)e->id);
    w = a->w;
    if (writer_begin(w, "detail") < 0 ||
        writer_put_text(w, "account", debt->account) < 0 ||
        writer_put_text(w, "kind", dc->reversal_kind) < 0 ||
        writer_put_text(w, "trace_id", id) < 0 ||
        writer_put_text(w, "reversal_of", of) < 0 ||
        writer_put_num(w, "amount", -e->amount_cents) < 0 ||
        writer_put_num(w, "fee", -e->fee_cents) < 0 ||
        writer_put_num(w, "net", -(e->amount_cents - e->fee_cents)) < 0 ||
        writer_put_num(w, "payment_date", e->payment_date) < 0 ||
        writer_put_text(w, "payment_source", e->payment_source) < 0 ||
        writer_put_text(w, "tin_last4", tin + 5) < 0 || writer_end(w) < 0)
        return dfail(dc, -EINVAL, "reversal file of %s: %s", a->to.name,
                     writer_error(w));
    return 0;
}

/* Finish, seal and register file O of EXCHANGE (open transaction). */
static int decide_finish(struct decide *dc, struct decide_out *o,
                         const char *exchange, const struct layout *layout)
{
    int rc;
    if (!o->open || o->w == NULL)
        return 0;
    if (writer_begin(o->w, "trailer") < 0 || writer_end(o->w) < 0 ||
        writer_finish(o->w) < 0)
        return dfail(dc, -EINVAL, "%s of %s: %s", exchange, o->to.name,
                     writer_error(o->w));
    writer_free(o->w);
    o->w = NULL;
    if ((rc = outbox_seal(&o->f, dc->err, dc->err_size)) < 0)
        return rc;
    if ((rc = reply_register(dc->s, &o->to, &o->f, exchange, layout,
                             dc->made_from)) < 0)
        return ddb_fail(dc, rc);
    return 0;
}

static void decide_drop(struct decide_out *o, bool discard)
{
    writer_free(o->w);
    o->w = NULL;
    if (o->open && discard)
        outbox_discard(&o->f);
    o->open = false;
}

/* Decide offset E (its line L), in the open transaction.  0 (decided or
 * refused: L says), negative on an error. */
static int decide_one(struct decide *dc, const struct store_entry *e,
                      struct payer_decide_line *l)
{
    const struct payer_decide_request *rq = dc->rq;
    struct store_debt debt;
    struct check_result why = {.code = CHECK_OK};
    int rc;
    if ((rc = store_debt_get_id(dc->s, e->debt_id, &debt)) < 0)
        return ddb_fail(dc, rc);
    store_text_copy(l->account, sizeof(l->account), debt.account);
    if ((rc = store_appeal_get(dc->s, e->id, &l->filed_on)) == -ENOENT) {
        l->outcome = PAYER_NOT_HELD;
        return 0;
    }
    if (rc < 0)
        return ddb_fail(dc, rc);
    if ((rc = store_decision_get(dc->s, e->id, &l->decision)) == 0) {
        l->outcome = PAYER_DECIDED_BEFORE;
        return 0;
    }
    if (rc != -ENOENT)
        return ddb_fail(dc, rc);
    if (rq->today < l->filed_on) {
        char day[16];
        calendar_format(l->filed_on, day);
        return dfail(dc, -EINVAL,
                     "offset %s was appealed on %s, after the "
                     "day of the decision",
                     e->trace_id, day);
    }
    struct store_decision *d = &l->decision;
    memset(d, 0, sizeof(*d));
    d->entry_id = e->id;
    d->decision = rq->decision;
    d->decided_on = rq->today;
    if (rq->decision == APPEAL_DENIED) {
        d->final_on = e->final_on > rq->today ? e->final_on : rq->today;
    } else {
        /* the reversal, as a partner's would be: the balance back, the
         * withheld fee refunded, a closed debt reopened; no file is its
         * source */
        struct store_source src = {0};
        struct money_event ev = {.kind = ENTRY_REVERSAL,
                                 .debt_id = e->debt_id,
                                 .amount_cents = e->amount_cents,
                                 .fee_cents = e->fee_cents,
                                 .trace_id = e->trace_id,
                                 .reverses = e->trace_id,
                                 .payment_date = e->payment_date,
                                 .payment_source = e->payment_source,
                                 .allocated = true,
                                 .deducted_cents = e->deducted_cents,
                                 .debt = &debt};
        if ((rc = ledger_apply_entry(dc->s, rq->payer->id, &ev, &src, &why,
                                     &d->reversal_id)) < 0)
            return ddb_fail(dc, rc);
        if (why.code != CHECK_OK)
            /* held and undecided: nothing else reverses a payer's
             * offset */
            return dfail(dc, -ENOTRECOVERABLE, "offset %s: %s: %s (a bug)",
                         e->trace_id, check_code_name(why.code), why.message);
        d->released_cents = e->amount_cents + e->deducted_cents;
        if ((rc = decide_lines(dc, e, &debt, d->reversal_id)) < 0)
            return rc;
        dc->res->reversed_cents += e->amount_cents;
        dc->res->released_cents += d->released_cents;
    }
    if ((rc = store_decision_add(dc->s, d, &d->id)) < 0)
        return ddb_fail(dc, rc);
    l->outcome = PAYER_DECIDED;
    return 0;
}

static int decide_run(struct decide *dc, const struct offsets *o,
                      struct payer_decide_line *lines)
{
    struct payer_decide_result *res = dc->res;
    struct store *s = dc->s;
    int64_t seq = 0;
    char safe[STORE_TEXT_MAX];
    int rc;

    if ((rc = store_payment_find(s, dc->rq->payer->id, dc->rq->payment_id,
                                 &dc->payment)) < 0)
        return ddb_fail(dc, rc);
    dc->made_from = dc->payment.file_id;
    payer_code_of(dc->rq->payer, &dc->payment, dc->payer_code,
                  sizeof(dc->payer_code));
    /* the files' names carry a number no other file of the registry has */
    if ((rc = store_count(s, "files", &seq)) < 0)
        return ddb_fail(dc, rc);
    reply_safe_name(dc->payment.payment_id, safe, sizeof(safe));
    snprintf(dc->file_tail, sizeof(dc->file_tail), "%s.%lld.txt", safe,
             (long long)seq + 1);
    dc->payer_out.to = *dc->rq->payer;
    if ((rc = store_begin(s)) < 0)
        return ddb_fail(dc, rc);
    for (size_t i = 0; i < o->n; i++) {
        lines[i].entry = o->e[i];
        if ((rc = decide_one(dc, &o->e[i], &lines[i])) < 0)
            goto undo;
        if (lines[i].outcome == PAYER_DECIDED)
            res->decided++;
        else
            res->refused++;
    }
    if (res->decided == 0) {
        rc = dfail(dc, -EPERM,
                   "no offset of payment '%s' is held by an undecided appeal",
                   dc->payment.payment_id);
        goto undo;
    }
    if ((rc = decide_finish(dc, &dc->payer_out, "payer-offset",
                            dc->off_layout)) < 0)
        goto undo;
    for (size_t i = 0; i < dc->n_out; i++)
        if ((rc = decide_finish(dc, &dc->out[i], "agency-collection",
                                dc->coll_layout)) < 0)
            goto undo;
    if ((rc = store_commit(s)) < 0) {
        ddb_fail(dc, rc);
        goto undo;
    }
    if (dc->payer_out.open)
        store_text_copy(res->release_path, sizeof(res->release_path),
                        dc->payer_out.f.final_path);
    res->agency_files = (int64_t)dc->n_out;
    decide_drop(&dc->payer_out, false);
    for (size_t i = 0; i < dc->n_out; i++)
        decide_drop(&dc->out[i], false);
    return outbox_deliver_pending(s, dc->err, dc->err_size);
undo:
    store_rollback(s);
    res->reversed_cents = res->released_cents = 0;
    return rc;
}

int payer_decide(const struct payer_decide_request *rq,
                 struct payer_decide_result *res, char *err, size_t err_size)
{
    struct decide dc = {
        .rq = rq, .res = res, .s = rq->store, .err = err, .err_size = err_size};
    struct payer_decide_request local = *rq;
    struct offsets o = {0};
    struct payer_decide_line *lines = NULL;
    char pid[32];
    int rc;

    memset(res, 0, sizeof(*res));
    err[0] = '\0';
    if (rq->payer->kind != PARTNER_PAYER) {
        rc = dfail(&dc, -EINVAL,
                   "%s is a %s: only a payer's offsets are "
                   "appealed",
                   rq->payer->name, partner_kind_name(rq->payer->kind));
        goto out;
    }
    if ((rq->decision != APPEAL_DENIED && rq->decision != APPEAL_UPHELD) ||
        !calendar_valid(rq->today)) {
        rc = dfail(&dc, -EINVAL, "a decision, upheld or denied, on a day");
        goto out;
    }
    if ((rc = find_offsets(rq->store, rq->payer, &local.payment_id,
                           rq->trace_id, pid, &o, err, err_size)) < 0)
        goto out;
    dc.rq = &local;
    if ((rc = decide_config(&dc)) < 0)
        goto out;
    if ((lines = calloc(o.n, sizeof(*lines))) == NULL) {
        rc = dfail(&dc, -ENOMEM, "out of memory");
        goto out;
    }
    rc = decide_run(&dc, &o, lines);
    /* what became of each offset: after the commit, or after a refusal
     * that changed nothing */
    if (rq->fn != NULL && (rc >= 0 || rc == -EPERM))
        for (size_t i = 0; i < o.n; i++)
            rq->fn(&lines[i], rq->ctx);
out:
    decide_drop(&dc.payer_out, true);
    for (size_t i = 0; i < dc.n_out; i++)
        decide_drop(&dc.out[i], true);
    free(dc.out);
    free(lines);
    free(o.e);
    layout_free(dc.off_layout);
    layout_free(dc.coll_layout);
    profile_free(dc.profile);
    return rc;
}
