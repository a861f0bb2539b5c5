/*
 * payer.h - a state payer's payment file through the setoff-program model.
 *
 * Owns taking in one payer-payment file (Kansas setoff, Utah Finder: the
 * gateway holds the debtor file and computes each offset itself, DESIGN.md
 * section 1): every payment is matched against the registry by TIN (type
 * and number) and the profile's name rule, the matched debtor's claims
 * (open debts of enabled agencies of the payer's program) are allocated
 * by allocate_run(), each offset is recorded in the ledger, and the payer
 * gets its offset instructions (payer-offset), each agency a collection
 * file (agency-collection), the payer an acknowledgement and, when records
 * were refused, an unprocessable file.  It also records appeals of the
 * offsets made, and their decisions (payer_decide).
 *
 * THE RULES
 *
 * Matching.  A payment matches a debtor when the registry has its TIN (of
 * the same type) and the name agrees by the profile's rule: tin+last-name,
 * the scrubbed last (business) names equal (identity_match_name);
 * tin+name-control, the name control of the payment's last name equals
 * the registry's.  A joint payment is matched on both TINs: the spouse
 * (spouse_tin, an SSN, with spouse_last_name) may owe too.  A TIN that is
 * registered but whose name fails the rule is no match (counted as a name
 * mismatch).  Only a debtor with at least one claim counts: a debt of an
 * enabled agency of the program with a balance, not closed (X), in error
 * (E) or deceased (D), its debt type in a priority class.  The reading
 * thread drops, unread by the registry, every payment whose TINs a Bloom
 * filter of the registry's TINs says are certainly not there.
 *
 * Allocation.  The primary debtor's claims take the payment by
 * allocate_run() (joint rule, order, caps, fees; allocate.h).  A joint
 * payment's spouse then takes, from what is left, by the same profile:
 * under debtor-share only the spouse's share of the income (the amount
 * less the primary's share), under whole everything released, under
 * not-allowed nothing.  Per payment: offsets + deducted fees + released
 * == amount, to the cent; allocate_check() holds on every run and the
 * payment's sum is checked again (and by the database) before anything is
 * recorded; a breach stops the file (-ENOTRECOVERABLE) and nothing of it
 * is applied.
 *
 * Recording.  Each offset is a ledger entry of the payer (ledger.h,
 * `allocated`), trace id "<payment_id>.<nn>" (nn: the offset's number in
 * the payment, two base-36 digits), its fee the percentage or flat fee
 * withheld from the agency's remittance, final on the processing day plus
 * the larger of the profile's appeal_days and hold_days.  An offset
 * lowers the balance at once (a second payment in the window cannot take
 * the same dollars twice); until it is final it may be appealed, which
 * holds it.  Each matched payment is a payments row with its money; a
 * payment id the payer sent before, when it matched then, is refused
 * (C_DUP_PAYMENT).
 *
 * Files.  The payer's offset file (offsets.<file>.<id>.txt) has one line
 * per offset and, for a payment that matched but gave nothing (exempt
 * source, a cap, a fee it cannot pay), one line with offset 0 and no
 * agency; released_amount is on the payment's last line.  A payment that
 * matched nobody has no line: the payer pays it as it is.  The file is
 * written for every file taken, even with no line.  Each agency with an
 * offset gets collections.<file>.<id>.txt: account, kind O, trace id (the
 * gateway's ledger entry id), amount, fee withheld, net, date, source,
 * last four of the TIN.
 *
 * Record codes (besides the layout engine's E_ codes): C_JOINT_SHARE (a
 * joint payment without debtor_share_bp where the profile offsets the
 * debtor's share), C_DISPOSABLE (a payment whose cap is a share of
 * disposable earnings, without them), C_PAYMENT_ID (a payment id longer
 * than 20 characters: its trace ids must fit), C_DUP_PAYMENT (above).
 * File level:
 * C_HEADER, C_AGENCY (the header's payer_code is not the partner's code,
 * when it has one), C_DUP_FILE, and the engine's structure and totals
 * codes.  One transaction per file; a duplicate or a file failing whole
 * changes nothing but its own row and acknowledgement.
 */
#ifndef OFFSETGW_PAYER_H
#define OFFSETGW_PAYER_H

#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct payer_request {
    const struct home *home;
    struct store *store;
    const char *programs_dir;            /* formats/programs */
    const struct store_partner *partner; /* a payer */
    const char *path;                    /* the payment file */
    const char *name;                    /* as received; NULL: from PATH */
};

struct payer_result {
    int64_t file_id;
    enum file_status status;
    int64_t records, accepted, rejected; /* detail records */
    int64_t amount_cents;                /* sum of the accepted payments */
    int64_t matched;         /* payments that found a debtor with claims */
    int64_t name_mismatches; /* TINs registered whose names failed the rule */
    int64_t offsets;         /* offset lines (ledger entries) */
    /* the sums of the payer's offset file: over the matched payments */
    int64_t offset_cents, fee_cents, released_cents;
    int64_t withheld_cents; /* kept back from the agencies' remittances */
    int64_t agency_files;
    int32_t final_on; /* the day this file's offsets become final */
    int64_t duplicate_of;
    char reason_code[32]; /* a file-level rejection */
    char reason[256];
    char ack_path[HOME_PATH_MAX];
    char unprocessable_path[HOME_PATH_MAX]; /* "" when none */
    char offset_path[HOME_PATH_MAX];        /* "" when the file was not taken */
};

/* Take the payment file in.  0 when it was processed, whatever became of
 * it (RES->status); negative with ERR on a system or configuration error
 * (no profile or layout, the database failed, a money invariant broken:
 * -ENOTRECOVERABLE), in which case nothing was applied. */
int payer_file(const struct payer_request *rq, struct payer_result *res,
               char *err, size_t err_size);

/* --- appeals ------------------------------------------------------------ */

/* What became of one offset of an appealed payment. */
struct payer_appeal_line {
    struct store_entry entry; /* the offset */
    char account[STORE_NAME_MAX];
    int32_t filed_on; /* the appeal's day; 0 when none was recorded */
    enum {
        PAYER_APPEAL_RECORDED, /* recorded now: the offset is held */
        PAYER_APPEAL_BEFORE,   /* appealed before: held already */
        PAYER_APPEAL_FINAL,    /* final already: refused */
        PAYER_APPEAL_DECIDED   /* its appeal was decided: refused */
    } outcome;
};

/* Record the debtor's appeal of every offset of payment PAYMENT_ID of
 * payer PAYER (or, with TRACE_ID, of that offset only; PAYMENT_ID may
 * then be NULL) on day TODAY (yyyymmdd), in one transaction: an offset
 * not yet final (TODAY before its final_on) is held; one appealed before
 * stays held; a final one, or one whose appeal was decided, is refused.  FN
 * (may be NULL) gets each offset and what became of it.  0 when at least one
 * offset is held (now or before), -EPERM when every one is final already,
 * -ENOENT when the payer took no such offset; other negatives, all with ERR. */
int payer_appeal(struct store *store, const struct store_partner *payer,
                 const char *payment_id, const char *trace_id, int32_t today,
                 void (*fn)(const struct payer_appeal_line *l, void *ctx),
                 void *ctx, char *err, size_t err_size);

/* --- deciding appeals --------------------------------------------------- */

/* What became of one offset a decision names. */
struct payer_decide_line {
    struct store_entry entry; /* the offset */
    char account[STORE_NAME_MAX];
    int32_t filed_on;               /* its appeal's day; 0: none */
    struct store_decision decision; /* made now, or before */
    enum {
        PAYER_DECIDED,        /* decided now */
        PAYER_DECIDED_BEFORE, /* its appeal was decided before: refused */
        PAYER_NOT_HELD        /* never appealed: refused */
    } outcome;
};

struct payer_decide_request {
    const struct home *home;
    struct store *store;
    const char *programs_dir;          /* formats/programs */
    const struct store_partner *payer; /* whose offsets */
    const char *payment_id, *trace_id; /* as payer_appeal() */
    enum appeal_decision decision;
    int32_t today; /* the decision's day, yyyymmdd */
    /* each offset and what became of it, once the work committed (or was
     * refused whole); may be NULL */
    void (*fn)(const struct payer_decide_line *l, void *ctx);
    void *ctx;
};

struct payer_decide_result {
    int64_t decided, refused; /* offsets */
    int64_t reversed_cents;   /* upheld: the offsets reversed */
    int64_t released_cents;   /* upheld: those and their deducted fees */
    char release_path[HOME_PATH_MAX]; /* the payer's release file, or "" */
    int64_t agency_files;             /* reversal files to agencies */
};

/* Decide the appeal of every offset of payment PAYMENT_ID (or of offset
 * TRACE_ID only), in one transaction.  Only an offset held by an appeal
 * and not decided before is decided; the others are refused (noted).
 *
 * Denied: the hold lifts; the offset is final on the later of its
 * final_on and TODAY (remit.h pays it from then on).
 *
 * Upheld: the offset is reversed in the ledger (ledger.h: the balance
 * comes back with a history row "reversal", the fee withheld from the
 * agency is refunded, a closed debt reopens), and the offset and the fee
 * the payment paid for it (Utah's deducted fee; 0 in Kansas) go back to
 * the payee: the payer gets a release file (payer-offset, action R lines,
 * releases.<payment>.<n>.txt), each agency a collection file with the
 * reversal (reversals.<payment>.<n>.txt).  The payments row stays as
 * written: the reversal entries and the decisions' released_cents account
 * for the money (store_payment_money()).
 *
 * 0 when at least one offset was decided; -EPERM when none could be
 * (nothing changed), -ENOENT when the payer took no such offset, -EINVAL
 * for a bad request or an appeal filed after TODAY; other negatives on
 * system errors.  All with ERR; nothing is applied unless 0. */
int payer_decide(const struct payer_decide_request *rq,
                 struct payer_decide_result *res, char *err, size_t err_size);

#endif
