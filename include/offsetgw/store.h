/*
 * store.h - the registry: partners, debtors, debts and their history,
 * files, and outbound cycles, in one sqlite database.
 *
 * Owns every SQL statement of the project (all prepared, none built from
 * input), the schema and its migrations, WAL mode and transactions.  It
 * does not decide anything: validation, money and status rules are the
 * core's; the store keeps what it is told and refuses what would break
 * the registry's invariants (a debt is never deleted, history is
 * append-only, a balance is never negative).
 *
 * Functions return 0 on success or a negative code: -ENOENT (not found),
 * -EEXIST (already there), -EINVAL (bad argument), -EIO (sqlite failed;
 * store_error() says why), -EBUSY (the database is locked), -ENOKEY
 * (TINs asked of a store opened without the master key, or a keyring
 * wrapped by another master key), -EBADMSG (a sealed TIN that does not
 * authenticate: the registry was altered).
 *
 * TINs are never kept in the clear (docs/registry-encryption.md): each
 * debtor row has an HMAC of its TIN to be found by and the TIN sealed
 * with AES-256-GCM, under two keys of the registry's keyring, which the
 * home's master key wraps.  The functions below take and give plain TINs.
 */
#ifndef OFFSETGW_STORE_H
#define OFFSETGW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX 64
#define STORE_TEXT_MAX 128
#define STORE_ATTRIBUTES_MAX 512

struct store;

/* Copy the string SRC into DST of SIZE bytes, cut to fit, always
 * NUL-terminated: for filling the fixed text fields of the structs
 * below on hot paths, where snprintf costs too much. */
void store_text_copy(char *dst, size_t size, const char *src);

/* The schema version this build writes; store_open() migrates older
 * databases up to it and refuses newer ones. */
#define STORE_SCHEMA_VERSION 16

/* Open (creating when absent) the database at PATH, in WAL mode with
 * foreign keys on, and migrate it.  On failure *OUT is NULL and ERR says
 * why (a locked, corrupt or newer database is an error, never an empty
 * start). */
int store_open(const char *path, struct store **out, char *err,
               size_t err_size);
/* The same; with STORE_OPEN_UNCHECKED, without sqlite's quick_check of
 * the whole file (seconds on a large registry): for the processes a
 * running server starts for each connection and for its worker, once the
 * server itself opened it checked. */
#define STORE_OPEN_UNCHECKED 1u
int store_open_with(const char *path, unsigned flags, struct store **out,
                    char *err, size_t err_size);
/* The same with the home's master key MASTER (not kept: the registry's
 * TIN keys are unwrapped with it, and made on a registry's first open).
 * Without it (NULL, as store_open does) every TIN operation fails with
 * -ENOKEY, and a registry from before schema 14 that has debtors cannot
 * be migrated.  A keyring wrapped by another master key fails the open. */
struct aead_key;
int store_open_keyed(const char *path, unsigned flags,
                     const struct aead_key *master, struct store **out,
                     char *err, size_t err_size);
void store_close(struct store *store);

/* Rewrap the registry's TIN keys from OLD_MASTER to NEW_MASTER in one
 * transaction (for `keys rotate`): only the keyring changes, every
 * sealed TIN and index stays as it is.  Keys already wrapped by
 * NEW_MASTER (a rotation run again) are checked and left; a registry
 * with no keys yet is left for its next open to key under NEW_MASTER.
 * 0, or negative with ERR: -ENOKEY when a key is wrapped by neither,
 * -EBADMSG when one does not open, -EINVAL inside a transaction. */
int store_rewrap_keys(struct store *store, const struct aead_key *old_master,
                      const struct aead_key *new_master, char *err,
                      size_t err_size);

/* The page cache a store starts with, and a bigger one for work that
 * reads much of a large registry at random (a payer's file): at most
 * this much memory goes to it.  -EINVAL outside 1..65536. */
#define STORE_CACHE_MIB 64
int store_cache_mib(struct store *store, int mib);

/* How long a statement waits for another connection's write lock before
 * it fails with -EBUSY: STORE_BUSY_MS from store_open, longer for the
 * processes of `serve`, whose writes (the queue, the transfer and audit
 * logs) wait behind the pipeline worker's per-file transactions.
 * -EINVAL outside 1..3600000. */
#define STORE_BUSY_MS 5000
int store_busy_ms(struct store *store, int ms);

/* The last error's text ("" when none). */
const char *store_error(const struct store *store);
int store_schema_version(struct store *store);

/* One transaction per file's work: begin, then commit or rollback.
 * Nested begins are refused (-EINVAL). */
int store_begin(struct store *store);
/* Is a transaction open? */
bool store_in_transaction(const struct store *store);
/* "2026-11-26T18:04:05Z": the time rows written now carry (one time per
 * transaction; never before the history's newest; $OFFSETGW_TODAY's day
 * when it is set). */
const char *store_transaction_time(struct store *store);
int store_commit(struct store *store);
int store_rollback(struct store *store);

/* --- partners ----------------------------------------------------------- */

enum partner_kind {
    PARTNER_AGENCY,
    PARTNER_TAXBOARD,
    PARTNER_TREASURY,
    PARTNER_PAYER
};

struct store_partner {
    int64_t id;
    char name[STORE_NAME_MAX];
    enum partner_kind kind;
    char program[STORE_NAME_MAX];
    char agency_code[STORE_NAME_MAX]; /* agencies: their code in files */
    bool enabled;
    /* tax boards and treasuries: the daily time of their scheduled
     * cycle, "HH:MM" UTC ("" none), and the day it last ran */
    char cycle_daily[6];
    int32_t cycle_ran_on;
    /* days its outbox files and received uploads are kept; 0: always */
    int32_t retention_days;
};

/* "agency" <-> PARTNER_AGENCY...; -1 / NULL for unknown. */
int partner_kind_from_name(const char *name);
const char *partner_kind_name(enum partner_kind kind);

/* Add a partner; -EEXIST when the name is taken. */
int store_partner_add(struct store *store, const struct store_partner *p,
                      int64_t *id);
int store_partner_get(struct store *store, const char *name,
                      struct store_partner *out);
int store_partner_get_id(struct store *store, int64_t id,
                         struct store_partner *out);
int store_partner_set_enabled(struct store *store, const char *name,
                              bool enabled);
/* Set a partner's daily cycle time, "HH:MM", or "" for none (the caller
 * checks the form; the database checks it again). */
int store_partner_set_schedule(struct store *store, const char *name,
                               const char *daily);
/* Keep partner NAME's files DAYS days (0: always; retention.h). */
int store_partner_set_retention(struct store *store, const char *name,
                                int32_t days);
/* The scheduled cycle of partner ID ran on DAY (yyyymmdd). */
int store_partner_set_cycle_ran(struct store *store, int64_t id, int32_t day);
/* Every partner by name; FN returns non-zero to stop (that is returned). */
int store_partner_each(struct store *store,
                       int (*fn)(const struct store_partner *p, void *ctx),
                       void *ctx);

/* --- files -------------------------------------------------------------- */

enum file_status {
    FILE_RECEIVED,  /* recorded, not yet processed */
    FILE_ACCEPTED,  /* every record applied */
    FILE_PARTIAL,   /* some records rejected, the rest applied */
    FILE_REJECTED,  /* rejected whole: nothing applied */
    FILE_DUPLICATE, /* same bytes as an earlier file: nothing applied */
    FILE_SENT       /* an outbound file written */
};
const char *file_status_name(enum file_status status);

struct store_file {
    int64_t id;
    int64_t partner_id;
    char sha256[65]; /* lower-case hex */
    char name[STORE_TEXT_MAX];
    bool outbound;
    char exchange[STORE_NAME_MAX]; /* "agency-debt" ... */
    char layout[STORE_TEXT_MAX];
    enum file_status status;
    int64_t records, accepted, rejected;
    int64_t amount_cents;
    char error[STORE_TEXT_MAX]; /* the file-level error when rejected */
    int64_t duplicate_of;       /* FILE_DUPLICATE: the earlier file */
    int64_t made_from;          /* outbound: the inbound file it answers */
};

/* While JOB_ID (a queued upload, transfer.h) is being run, every inbound
 * file added is marked as its work, in the same transaction; 0 stops. */
void store_set_job(struct store *store, int64_t job_id);

/* The earliest inbound file from PARTNER with SHA256 that was processed
 * (accepted, partial or rejected); -ENOENT when none. */
int store_file_find_sha(struct store *store, int64_t partner_id,
                        const char *sha256, struct store_file *out);
/* Record a file (id, status and counts as given); *ID is its id. */
int store_file_add(struct store *store, const struct store_file *f,
                   int64_t *id);
/* Set a file's outcome: status, counts, amount, error, SHA-256. */
int store_file_finish(struct store *store, const struct store_file *f);
int store_file_get(struct store *store, int64_t id, struct store_file *out);

/* File FILE_ID's records rejected with CODE: N more of them (in the open
 * transaction that writes the file's answer). */
int store_file_rejects_add(struct store *store, int64_t file_id,
                           const char *code, int64_t n);
/* File FILE_ID's rejected records per code, codes in order; FN's
 * non-zero return stops the walk and is returned. */
int store_file_rejects_each(struct store *store, int64_t file_id,
                            int (*fn)(const char *code, int64_t n, void *ctx),
                            void *ctx);

/* --- debtors and debts -------------------------------------------------- */

enum debt_status {
    DEBT_P = 'P', /* initial */
    DEBT_E = 'E', /* error (SSN invalid, no match) */
    DEBT_D = 'D', /* deceased */
    DEBT_N = 'N', /* needs notice */
    DEBT_S = 'S', /* notice sent */
    DEBT_C = 'C', /* certified */
    DEBT_X = 'X'  /* closed: zeroed out or paid off */
};

struct store_name {
    char last[STORE_NAME_MAX];
    char first[STORE_NAME_MAX];
    char middle[8];
    char suffix[8];
    char name_control[5];
};

/* The debtor with TIN (9 digits) of TIN_TYPE ('S' SSN, 'E' EIN), created
 * when new.  NAME becomes its current name; a different name it had
 * before goes to its name history with FILE_ID, the file that changed
 * it. */
int store_debtor_upsert(struct store *store, char tin_type, const char *tin,
                        const struct store_name *name, int64_t file_id,
                        int64_t *debtor_id);
int store_debtor_name(struct store *store, int64_t debtor_id,
                      struct store_name *out); /* the current one */
/* The debtor's id type and number (TIN: 10 bytes). */
int store_debtor_get(struct store *store, int64_t debtor_id, char *tin_type,
                     char *tin);

struct store_debt {
    int64_t id;
    int64_t partner_id; /* the agency */
    char account[STORE_NAME_MAX];
    int64_t debtor_id;
    char debt_type[16];
    int64_t original_cents;
    int64_t balance_cents; /* never below 0 */
    int64_t fees_cents;    /* fees added to the debt, part of balance */
    enum debt_status status;
    int32_t delinquency_date; /* yyyymmdd, 0 = none */
    int32_t notice_date;
    /* the agency record's other fields, "name=value" lines */
    char attributes[STORE_ATTRIBUTES_MAX];
};

/* Where a change came from, for the history. */
struct store_source {
    int64_t file_id;
    int64_t line; /* record's line in that file, 0 = none */
};

int store_debt_get(struct store *store, int64_t partner_id, const char *account,
                   struct store_debt *out);
int store_debt_get_id(struct store *store, int64_t id, struct store_debt *out);
/* Every account of agency PARTNER_ID, in no order; FN returns non-zero
 * to stop.  *N gets how many there are first (FN may be NULL). */
int store_debt_accounts(struct store *store, int64_t partner_id, int64_t *n,
                        int (*fn)(const char *account, void *ctx), void *ctx);
/* true in *TOUCHED when FILE_ID already changed debt DEBT_ID. */
int store_debt_touched_by(struct store *store, int64_t debt_id, int64_t file_id,
                          bool *touched);
/* Add a debt (history: "add"); -EEXIST when the account is known. */
int store_debt_add(struct store *store, const struct store_debt *d,
                   const struct store_source *src, int64_t *id);
/* Change balance (and fees) with a history row of kind CHANGE ("change",
 * "zero", "fee"...); -EINVAL for a negative balance.  A zero balance
 * closes the debt (status X); it is never deleted. */
int store_debt_set_balance(struct store *store, int64_t debt_id,
                           int64_t balance_cents, int64_t fees_cents,
                           const char *change, const struct store_source *src);
/* The same for debt DEBT as the caller read it in this transaction (its
 * id, balance and status are taken as they are now). */
int store_debt_rebalance(struct store *store, const struct store_debt *debt,
                         int64_t balance_cents, int64_t fees_cents,
                         const char *change, const struct store_source *src);
int store_debt_set_status(struct store *store, int64_t debt_id,
                          enum debt_status status,
                          const struct store_source *src);

/* Record the pre-offset notice the agency sent on NOTICE_DATE and move
 * the debt to STATUS, with a history row "notice". */
int store_debt_set_notice(struct store *store, int64_t debt_id,
                          int32_t notice_date, enum debt_status status,
                          const struct store_source *src);

/* --- history and cycles ------------------------------------------------- */

struct store_change {
    int64_t id; /* increasing: the order of changes */
    int64_t debt_id;
    char change[16]; /* add, change, zero, fee, status */
    int64_t old_balance, new_balance;
    char old_status, new_status;
    int64_t file_id;
    int64_t line;
};

/* Every change of the debts of agencies in PROGRAM after history id
 * AFTER, oldest first; FN returns non-zero to stop. */
int store_changes_since(struct store *store, const char *program, int64_t after,
                        int (*fn)(const struct store_change *c, void *ctx),
                        void *ctx);
/* The history of one debt, oldest first. */
int store_debt_history(struct store *store, int64_t debt_id,
                       int (*fn)(const struct store_change *c, void *ctx),
                       void *ctx);

struct store_cycle {
    int64_t id;
    int64_t partner_id;
    int64_t file_id;
    int64_t high_water; /* the last history id the cycle covered */
    int64_t records;
    int64_t amount_cents;
};
/* The newest cycle to PARTNER; -ENOENT when none. */
int store_cycle_last(struct store *store, int64_t partner_id,
                     struct store_cycle *out);
int store_cycle_add(struct store *store, const struct store_cycle *c,
                    int64_t *id);
/* Set cycle C->id's file, records and amount. */
int store_cycle_finish(struct store *store, const struct store_cycle *c);

/* A debt a cycle to a partner may have to mention: changed since the
 * last cycle, or open and never sent. */
struct store_candidate {
    struct store_debt debt;
    char agency_code[STORE_NAME_MAX]; /* of the agency that owns it */
    bool was_sent;
    int64_t sent_cents; /* what the partner was last told (0: closed) */
};
/* Candidates for a cycle to PARTNER_ID over the debts of agencies in
 * PROGRAM, history after AFTER, by debt id. */
int store_cycle_candidates(
    struct store *store, int64_t partner_id, const char *program, int64_t after,
    int (*fn)(const struct store_candidate *c, void *ctx), void *ctx);
/* Remember that CYCLE_ID told PARTNER_ID the debt stands at CENTS. */
int store_sent_set(struct store *store, int64_t partner_id, int64_t debt_id,
                   int64_t cents, int64_t cycle_id);
/* Address requests (the monthly step before a TOP referral).  Debts of
 * agencies in PROGRAM in status P with a balance that no cycle asked
 * about since they entered P, by debt id (was_sent and sent_cents are
 * 0). */
int store_request_candidates(struct store *store, const char *program,
                             int (*fn)(const struct store_candidate *c,
                                       void *ctx),
                             void *ctx);
/* Remember that cycle CYCLE_ID asked about DEBT_ID. */
int store_request_set(struct store *store, int64_t debt_id, int64_t cycle_id);
/* The partner whose cycle asked about DEBT_ID; -ENOENT when none did
 * since the debt last entered status P. */
int store_request_partner(struct store *store, int64_t debt_id,
                          int64_t *partner_id);
/* The newest history id (0 when none). */
int store_history_last(struct store *store, int64_t *id);

/* --- the ledger: money against debts ----------------------------------- */

enum entry_kind { ENTRY_OFFSET, ENTRY_REVERSAL, ENTRY_COLLECTION };

struct store_entry {
    int64_t id;
    int64_t debt_id;
    int64_t partner_id; /* who reported it */
    enum entry_kind kind;
    int64_t amount_cents; /* > 0; a reversal gives money back */
    int64_t fee_cents;
    char trace_id[24]; /* offsets: the partner's id for it */
    int64_t reverses;  /* reversals: the offset's entry id */
    int32_t payment_date;
    char payment_source[8];
    struct store_source src;
    int32_t final_on; /* yyyymmdd the offset is final; 0: at once */
    /* a payer's offset: the fee deducted from the payment for it (the
     * payee paid it, not the agency); its reversal: the same, given back */
    int64_t deducted_cents;
};

const char *entry_kind_name(enum entry_kind kind);

/* Append an entry (the caller moves the balance).  -EEXIST for an offset
 * trace id the partner used before, or a second reversal of an offset. */
int store_entry_add(struct store *store, const struct store_entry *e,
                    int64_t *id);
/* The offset PARTNER_ID calls TRACE_ID; -ENOENT when none. */
int store_offset_find(struct store *store, int64_t partner_id,
                      const char *trace_id, struct store_entry *out);
/* true in *REVERSED when offset OFFSET_ID has a reversal. */
int store_offset_reversed(struct store *store, int64_t offset_id,
                          bool *reversed);
/* What PARTNER_ID was last told of DEBT_ID (cycles); -ENOENT: never. */
int store_sent_get(struct store *store, int64_t partner_id, int64_t debt_id,
                   int64_t *cents);

/* --- the setoff-program model: payers' payments ------------------------ */

/* A debt a payment may be offset against, with its agency's code. */
struct store_claim {
    struct store_debt debt;
    char agency_code[STORE_NAME_MAX];
};

/* The debtor with TIN (9 digits) of TIN_TYPE: its id in *DEBTOR_ID and
 * its current name in NAME (either may be NULL), and the debts a payment
 * in PROGRAM may be offset against: owed to an enabled agency of
 * PROGRAM, balance above 0, status neither closed (X), error (E) nor
 * deceased (D); by debt id.  At most MAX go to OUT; *N gets how many
 * there are.  -ENOENT when there is no such debtor. */
int store_claims_by_tin(struct store *store, char tin_type, const char *tin,
                        const char *program, int64_t *debtor_id,
                        struct store_name *name, struct store_claim *out,
                        size_t max, size_t *n);

/* Every debtor with at least one such debt in PROGRAM, once per debt (a
 * debtor with two debts comes twice), in no order: its id type, TIN and
 * current name.  FN returns non-zero to stop (that is returned). */
int store_program_debtors(struct store *store, const char *program,
                          int (*fn)(char tin_type, const char *tin,
                                    const struct store_name *name, void *ctx),
                          void *ctx);

/* Every debtor's id type and TIN, in no order; FN returns non-zero to
 * stop.  A scan of the debtors, each TIN opened (about a second per
 * million): for filters that may say "maybe" too often but never "no"
 * wrongly. */
int store_debtor_tins(struct store *store,
                      int (*fn)(char tin_type, const char *tin, void *ctx),
                      void *ctx);

/* One payment of a payer that found a debtor, with its money: offsets +
 * fees + released == amount (the database refuses anything else). */
struct store_payment {
    int64_t id;
    int64_t partner_id; /* the payer */
    char payment_id[24];
    int64_t file_id, line;
    char source[8];
    int32_t payment_date;
    int64_t amount_cents, offset_cents, fee_cents, released_cents;
    int32_t final_on;                /* its offsets are final on this day */
    char payer_code[STORE_NAME_MAX]; /* its file's header named the payer */
};

/* Record P; -EEXIST when the payer sent that payment id before,
 * -EINVAL when its money does not add up. */
int store_payment_add(struct store *store, const struct store_payment *p,
                      int64_t *id);
/* The payment PARTNER_ID calls PAYMENT_ID; -ENOENT when none. */
int store_payment_find(struct store *store, int64_t partner_id,
                       const char *payment_id, struct store_payment *out);
/* Sums over the payments of file FILE_ID: count, amount, offsets, fees,
 * released (any may be NULL). */
int store_payment_totals(struct store *store, int64_t file_id, int64_t *n,
                         int64_t *amount, int64_t *offsets, int64_t *fees,
                         int64_t *released);
/* Sums over the ledger's entries from file FILE_ID: how many, their
 * amounts and their fees (any may be NULL).  A scan: for checks and
 * reports, not for hot paths. */
int store_ledger_file_totals(struct store *store, int64_t file_id, int64_t *n,
                             int64_t *amount, int64_t *fees);
/* Every offset PARTNER_ID recorded whose trace id starts with PREFIX,
 * by trace id; FN returns non-zero to stop. */
int store_offsets_by_prefix(struct store *store, int64_t partner_id,
                            const char *prefix,
                            int (*fn)(const struct store_entry *e, void *ctx),
                            void *ctx);

/* Record an appeal of offset ENTRY_ID filed on FILED_ON (yyyymmdd);
 * -EEXIST when it was appealed before. */
int store_appeal_add(struct store *store, int64_t entry_id, int32_t filed_on,
                     int64_t *id);
/* The day offset ENTRY_ID was appealed, in *FILED_ON; -ENOENT when it
 * was not. */
int store_appeal_get(struct store *store, int64_t entry_id, int32_t *filed_on);

enum appeal_decision { APPEAL_DENIED, APPEAL_UPHELD };

/* The decision of an appeal, once: denied, the offset is final on
 * FINAL_ON; upheld, it was reversed by entry REVERSAL_ID and
 * RELEASED_CENTS (its amount and the fee deducted for it) went back to
 * the payee. */
struct store_decision {
    int64_t id;
    int64_t entry_id; /* the offset appealed */
    enum appeal_decision decision;
    int32_t decided_on;
    int32_t final_on;    /* denied; 0 when upheld */
    int64_t reversal_id; /* upheld; 0 when denied */
    int64_t released_cents;
};

const char *appeal_decision_name(enum appeal_decision decision);

/* Record D; -EEXIST when the appeal was decided before, -EINVAL when the
 * offset was never appealed (or D does not hold together). */
int store_decision_add(struct store *store, const struct store_decision *d,
                       int64_t *id);
/* The decision of offset ENTRY_ID's appeal; -ENOENT when undecided. */
int store_decision_get(struct store *store, int64_t entry_id,
                       struct store_decision *out);

/* The money of one payment of payer PARTNER_ID as the ledger has it now:
 * its offsets (the entries "<PAYMENT_ID>.<nn>") and the fees deducted for
 * them, the part of both reversed by upheld appeals, and what those
 * released to the payee.  With the payments row (never changed): offsets
 * - reversed + fees - refunded + released + released_later == amount. */
struct store_payment_money {
    int64_t offset_cents, deducted_cents;
    int64_t reversed_cents, refunded_cents;
    int64_t released_later_cents;
};
int store_payment_money(struct store *store, int64_t partner_id,
                        const char *payment_id,
                        struct store_payment_money *out);

/* --- remittances ------------------------------------------------------- */

/* An offset of a payer that may be remitted to its agency. */
struct store_remittable {
    struct store_entry entry;
    int64_t agency_id;
    char account[STORE_NAME_MAX];
    int32_t final_on; /* when it became final (a denial may move it) */
};

/* Every offset payer PAYER_ID computed (final_on > 0) that is final on
 * DAY (yyyymmdd): its final day (the decision's, when an appeal was
 * denied) is DAY or earlier, it is not held by an undecided appeal, not
 * reversed, not remitted before; by agency, then entry id.  FN returns
 * non-zero to stop (that is returned). */
int store_remittable_each(struct store *store, int64_t payer_id, int32_t day,
                          int (*fn)(const struct store_remittable *r,
                                    void *ctx),
                          void *ctx);

/* One agency's remittance of one payer's final offsets on one day. */
struct store_remittance {
    int64_t id;
    int64_t payer_id, agency_id;
    int32_t remitted_on;
    int64_t offsets, amount_cents, fee_cents, net_cents;
};

/* Record R (its totals as given: net = amount - fee). */
int store_remittance_add(struct store *store, const struct store_remittance *r,
                         int64_t *id);
/* Record offset E as paid by remittance REMITTANCE_ID: its amount, the
 * fee withheld, the net; -EEXIST when it was remitted before. */
int store_remitted_add(struct store *store, int64_t remittance_id,
                       const struct store_entry *e);
/* The remittance that paid offset ENTRY_ID; -ENOENT when none. */
int store_remitted_get(struct store *store, int64_t entry_id,
                       int64_t *remittance_id);

/* --- outputs ------------------------------------------------------------ */

/* An output file written under a temporary name, to be renamed into an
 * outbox once the work that made it is committed. */
struct store_output {
    int64_t id;
    int64_t file_id; /* the outbound file's row */
    char tmp_path[1024];
    char final_path[1024];
};

/* Record a pending output (in the transaction of the work it belongs to);
 * -EEXIST when FINAL_PATH is taken. */
int store_output_add(struct store *store, const struct store_output *o,
                     int64_t *id);
/* Every output not yet delivered, oldest first. */
int store_output_each_pending(struct store *store,
                              int (*fn)(const struct store_output *o,
                                        void *ctx),
                              void *ctx);
int store_output_delivered(struct store *store, int64_t id);
/* true when TMP_PATH is a pending output's. */
int store_output_is_pending(struct store *store, const char *tmp_path,
                            bool *pending);

/* --- reconciliation ----------------------------------------------------- */

/* One debt's money over a period: balances from its history (every change
 * of a balance has a row), fees from the ledger.  Additions are adds and
 * increases, adjustments decreases and zero-outs, collections offsets and
 * collections; fees are signed (a reversal refunds its fee). */
struct store_recon {
    int64_t debt_id;
    char account[STORE_NAME_MAX];
    bool existed; /* registered before the period ended */
    int64_t opening, additions, collections, reversals, adjustments, fees,
        closing;
    /* the same money as the ledger has it, to check the history by */
    int64_t ledger_collections, ledger_reversals;
    /* net remitted: events partners reported (final_on 0) count when
     * they happened, amount - fee, a reversal negative; offsets the
     * gateway computed from a payer's payments count when they were
     * remitted (their reversals never were: nothing) */
    int64_t reported_net, remitted_net;
};

/* Every debt of agency AGENCY_ID by account, over the instants FROM_AT
 * (included) to TO_AT (excluded), as the history writes them
 * ("2026-11-01T00:00:00Z").  FN returns non-zero to stop. */
int store_reconcile_each(struct store *store, int64_t agency_id,
                         const char *from_at, const char *to_at,
                         int (*fn)(const struct store_recon *r, void *ctx),
                         void *ctx);

/* Counts for invariant checks and status: debts, history rows. */
int store_count(struct store *store, const char *what, int64_t *n);

/* --- the audit table (audit.h chains it) -------------------------------- */

struct store_audit_row {
    int64_t seq;
    char at[24];
    char actor[64];
    char action[32];
    char subject[300];
    char detail[300];
    char mac[65];
};

/* The newest row; -ENOENT when there is none. */
int store_audit_last(struct store *store, struct store_audit_row *out);
/* Append R (its seq as given: -EEXIST when taken). */
int store_audit_add(struct store *store, const struct store_audit_row *r);
/* Every row by seq; FN returns non-zero to stop. */
int store_audit_each(struct store *store,
                     int (*fn)(const struct store_audit_row *r, void *ctx),
                     void *ctx);

/* --- admin accounts (account.h decides) ----------------------------------- */

struct store_admin {
    int64_t id;
    char name[STORE_NAME_MAX];
    char hash[256];
    int32_t failures;
    int64_t locked_until; /* seconds since 1970; 0: not locked */
    char last_login[24];
    char cert_sha256[72]; /* "SHA256:" and hex of a client certificate
                             that logs in as this admin; "" for none */
};

/* -EEXIST when the name is taken. */
int store_admin_add(struct store *store, const char *name, const char *hash);
/* -ENOENT when there is no such admin. */
int store_admin_get(struct store *store, const char *name,
                    struct store_admin *out);
int store_admin_set_hash(struct store *store, const char *name,
                         const char *hash);
/* FAILURES and LOCKED_UNTIL as they now are; LOGIN_AT (may be NULL) the
 * time of a successful login. */
int store_admin_set_state(struct store *store, const char *name,
                          int32_t failures, int64_t locked_until,
                          const char *login_at);
int store_admin_remove(struct store *store, const char *name);
/* Set (FINGERPRINT and PEM) or clear (both "") admin NAME's client
 * certificate.  -ENOENT for no such admin; -EEXIST when another admin
 * has that certificate. */
int store_admin_set_cert(struct store *store, const char *name,
                         const char *fingerprint, const char *pem);
/* The admin whose client certificate has FINGERPRINT; -ENOENT if none. */
int store_admin_by_cert(struct store *store, const char *fingerprint,
                        struct store_admin *out);
/* Every registered client certificate, as PEM, through FN. */
int store_admin_certs(struct store *store,
                      int (*fn)(const char *pem, void *ctx), void *ctx);
int store_admin_each(struct store *store,
                     int (*fn)(const struct store_admin *a, void *ctx),
                     void *ctx);

#endif
