/*
 * store.c - the registry's operations.
 *
 * Owns opening the database (WAL, foreign keys, busy timeout, migration),
 * transactions, and one prepared statement per operation, kept for the
 * life of the store.  No SQL text is ever built from input: every value
 * is bound.  Schema and migrations are in schema.c, the TIN keys in
 * keyring.c: a debtor's TIN is kept sealed (tinseal.h) and found by its
 * index MAC; it is in the clear only in memory, above the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "offsetgw/aead.h"
#include "offsetgw/failpoint.h"
#include "offsetgw/tinseal.h"
#include "storeInt.h"

enum stmt_id {
    S_PARTNER_ADD,
    S_PARTNER_GET,
    S_PARTNER_GET_ID,
    S_PARTNER_ENABLE,
    S_PARTNER_SCHEDULE,
    S_PARTNER_RAN,
    S_PARTNER_RETENTION,
    S_PARTNER_EACH,
    S_FILE_FIND_SHA,
    S_FILE_ADD,
    S_FILE_FINISH,
    S_FILE_GET,
    S_DEBTOR_FIND,
    S_DEBTOR_ADD,
    S_DEBTOR_RENAME,
    S_DEBTOR_NAME_NEWEST,
    S_DEBTOR_NAME_ADD,
    S_DEBTOR_GET,
    S_DEBT_TOUCHED,
    S_DEBT_ACCOUNTS,
    S_DEBT_COUNT,
    S_DEBT_GET,
    S_DEBT_GET_ID,
    S_DEBT_ADD,
    S_DEBT_SET_BALANCE,
    S_DEBT_SET_STATUS,
    S_DEBT_SET_NOTICE,
    S_REQUEST_CANDIDATES,
    S_REQUEST_SET,
    S_REQUEST_PARTNER,
    S_HISTORY_ADD,
    S_CHANGES_SINCE,
    S_DEBT_HISTORY,
    S_CYCLE_LAST,
    S_CYCLE_ADD,
    S_CYCLE_FINISH,
    S_COUNT_DEBTS,
    S_COUNT_HISTORY,
    S_COUNT_DEBTORS,
    S_COUNT_FILES,
    S_COUNT_LEDGER,
    S_OUTPUT_ADD,
    S_OUTPUT_PENDING,
    S_OUTPUT_DELIVERED,
    S_OUTPUT_IS_PENDING,
    S_CANDIDATES,
    S_SENT_SET,
    S_HISTORY_LAST,
    S_ENTRY_ADD,
    S_OFFSET_FIND,
    S_OFFSET_REVERSED,
    S_SENT_GET,
    S_RECONCILE,
    S_HISTORY_LAST_AT,
    S_CLAIMS_BY_TIN,
    S_PROGRAM_DEBTORS,
    S_DEBTOR_TINS,
    S_PAYMENT_ADD,
    S_PAYMENT_FIND,
    S_PAYMENT_TOTALS,
    S_LEDGER_FILE_TOTALS,
    S_OFFSETS_BY_PREFIX,
    S_APPEAL_ADD,
    S_APPEAL_GET,
    S_DECISION_ADD,
    S_DECISION_GET,
    S_PAYMENT_MONEY,
    S_REMITTABLE,
    S_REMITTANCE_ADD,
    S_REMITTED_ADD,
    S_REMITTED_GET,
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_COUNT_
};

#define DEBT_COLUMNS                                                           \
    "id, partner_id, account, debtor_id, debt_type, original_cents, "          \
    "balance_cents, fees_cents, status, delinquency_date, notice_date, "       \
    "attributes"
#define ENTRY_COLUMNS                                                          \
    "id, debt_id, partner_id, kind, amount_cents, fee_cents, trace_id, "       \
    "coalesce(reverses, 0), payment_date, payment_source, "                    \
    "coalesce(file_id, 0), line, final_on, deducted_cents"
/* the same, of the ledger row called l */
#define L_ENTRY_COLUMNS                                                        \
    "l.id, l.debt_id, l.partner_id, l.kind, l.amount_cents, l.fee_cents, "     \
    "l.trace_id, coalesce(l.reverses, 0), l.payment_date, l.payment_source, "  \
    "coalesce(l.file_id, 0), l.line, l.final_on, l.deducted_cents"
#define FILE_COLUMNS                                                           \
    "id, partner_id, sha256, name, outbound, exchange, layout, status, "       \
    "records, accepted, rejected, amount_cents, error, "                       \
    "coalesce(duplicate_of, 0)"
#define CHANGE_COLUMNS                                                         \
    "h.id, h.debt_id, h.change, h.old_balance, h.new_balance, h.old_status, "  \
    "h.new_status, coalesce(h.file_id, 0), h.line"

static const char *const sql[S_COUNT_] = {
    [S_PARTNER_ADD] = "INSERT INTO partners (name, kind, program, agency_code,"
                      " enabled) VALUES (?, ?, ?, ?, ?)",
    [S_PARTNER_GET] = "SELECT id, name, kind, program, agency_code, enabled,"
                      " cycle_daily, cycle_ran_on, retention_days"
                      " FROM partners WHERE name = ?",
    [S_PARTNER_GET_ID] = "SELECT id, name, kind, program, agency_code, enabled,"
                         " cycle_daily, cycle_ran_on, retention_days"
                         " FROM partners WHERE id = ?",
    [S_PARTNER_ENABLE] = "UPDATE partners SET enabled = ? WHERE name = ?",
    [S_PARTNER_SCHEDULE] = "UPDATE partners SET cycle_daily = ? WHERE name = ?",
    [S_PARTNER_RAN] = "UPDATE partners SET cycle_ran_on = ? WHERE id = ?",
    [S_PARTNER_RETENTION] = "UPDATE partners SET retention_days = ?"
                            " WHERE name = ?",
    [S_PARTNER_EACH] = "SELECT id, name, kind, program, agency_code, enabled,"
                       " cycle_daily, cycle_ran_on, retention_days"
                       " FROM partners ORDER BY name",
    [S_FILE_FIND_SHA] = "SELECT " FILE_COLUMNS " FROM files"
                        " WHERE partner_id = ? AND sha256 = ? AND outbound = 0"
                        " AND status IN ('accepted','partial','rejected')"
                        " ORDER BY id LIMIT 1",
    [S_FILE_ADD] = "INSERT INTO files (partner_id, sha256, name, outbound,"
                   " exchange, layout, status, records, accepted, rejected,"
                   " amount_cents, error, duplicate_of, made_from, queue_id)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0),"
                   " nullif(?, 0), nullif(?, 0))",
    [S_FILE_FINISH] = "UPDATE files SET status = ?, records = ?, accepted = ?,"
                      " rejected = ?, amount_cents = ?, error = ?, sha256 = ?,"
                      " finished_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
                      " WHERE id = ?",
    [S_FILE_GET] = "SELECT " FILE_COLUMNS " FROM files WHERE id = ?",
    [S_DEBTOR_FIND] = "SELECT id, last_name, first_name, middle, suffix,"
                      " name_control FROM debtors WHERE tin_type = ? AND"
                      " tin_mac = ?",
    [S_DEBTOR_ADD] = "INSERT INTO debtors (tin_type, tin_mac, tin_enc,"
                     " last_name, first_name, middle, suffix, name_control)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                     " ON CONFLICT (tin_type, tin_mac) DO NOTHING",
    [S_DEBTOR_RENAME] = "UPDATE debtors SET last_name = ?, first_name = ?,"
                        " middle = ?, suffix = ?, name_control = ?"
                        " WHERE id = ?",
    [S_DEBTOR_NAME_NEWEST] = "SELECT last_name, first_name, middle, suffix,"
                             " name_control FROM debtors WHERE id = ?",
    [S_DEBTOR_NAME_ADD] =
        "INSERT INTO debtor_names (debtor_id, last_name,"
        " first_name, middle, suffix, name_control, file_id,"
        " seen_at) VALUES (?, ?, ?, ?, ?, ?, nullif(?, 0), ?)",
    [S_DEBTOR_GET] = "SELECT tin_type, tin_mac, tin_enc, id FROM debtors"
                     " WHERE id = ?",
    [S_DEBT_TOUCHED] = "SELECT count(*) FROM debt_history"
                       " WHERE debt_id = ? AND file_id = ?",
    [S_DEBT_ACCOUNTS] = "SELECT account FROM debts WHERE partner_id = ?",
    [S_DEBT_COUNT] = "SELECT count(*) FROM debts WHERE partner_id = ?",
    [S_DEBT_GET] = "SELECT " DEBT_COLUMNS " FROM debts"
                   " WHERE partner_id = ? AND account = ?",
    [S_DEBT_GET_ID] = "SELECT " DEBT_COLUMNS " FROM debts WHERE id = ?",
    [S_DEBT_ADD] = "INSERT INTO debts (partner_id, account, debtor_id,"
                   " debt_type, original_cents, balance_cents, fees_cents,"
                   " status, delinquency_date, notice_date, attributes)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_DEBT_SET_BALANCE] = "UPDATE debts SET balance_cents = ?, fees_cents = ?,"
                           " status = ? WHERE id = ?",
    /* back in P, a debt is to be asked about again */
    [S_DEBT_SET_STATUS] = "UPDATE debts SET status = ?1, requested_cycle ="
                          " CASE WHEN ?1 = 'P' THEN NULL"
                          " ELSE requested_cycle END WHERE id = ?2",
    [S_DEBT_SET_NOTICE] = "UPDATE debts SET notice_date = ?, status = ?"
                          " WHERE id = ?",
    [S_REQUEST_CANDIDATES] =
        "SELECT d.id, d.partner_id, d.account, d.debtor_id, d.debt_type,"
        " d.original_cents, d.balance_cents, d.fees_cents, d.status,"
        " d.delinquency_date, d.notice_date, d.attributes, a.agency_code"
        " FROM debts d JOIN partners a ON a.id = d.partner_id"
        " WHERE a.program = ? AND a.enabled = 1 AND d.status = 'P'"
        " AND d.balance_cents > 0 AND d.requested_cycle IS NULL"
        " ORDER BY d.id",
    [S_REQUEST_SET] = "UPDATE debts SET requested_cycle = ? WHERE id = ?",
    [S_REQUEST_PARTNER] = "SELECT c.partner_id FROM debts d"
                          " JOIN cycles c ON c.id = d.requested_cycle"
                          " WHERE d.id = ?",
    [S_HISTORY_ADD] = "INSERT INTO debt_history (debt_id, change, old_balance,"
                      " new_balance, old_status, new_status, file_id, line, at)"
                      " VALUES (?, ?, ?, ?, ?, ?, nullif(?, 0), ?, ?)",
    [S_CHANGES_SINCE] = "SELECT " CHANGE_COLUMNS " FROM debt_history h"
                        " JOIN debts d ON d.id = h.debt_id"
                        " JOIN partners p ON p.id = d.partner_id"
                        " WHERE h.id > ? AND p.program = ? ORDER BY h.id",
    [S_DEBT_HISTORY] = "SELECT " CHANGE_COLUMNS " FROM debt_history h"
                       " WHERE h.debt_id = ? ORDER BY h.id",
    [S_CYCLE_LAST] = "SELECT id, partner_id, coalesce(file_id, 0), high_water,"
                     " records, amount_cents FROM cycles"
                     " WHERE partner_id = ? ORDER BY id DESC LIMIT 1",
    [S_CYCLE_ADD] = "INSERT INTO cycles (partner_id, file_id, high_water,"
                    " records, amount_cents) VALUES (?, nullif(?, 0), ?, ?, ?)",
    [S_CYCLE_FINISH] = "UPDATE cycles SET file_id = nullif(?, 0), records = ?,"
                       " amount_cents = ? WHERE id = ?",
    /* ?1, ?2: the period's first and end instants; ?3 the agency.  Money
     * from the history's balances (every change of a balance has its row),
     * fees from the ledger, signed (a reversal refunds its fee). */
    [S_RECONCILE] =
        "SELECT d.id, d.account,"
        " coalesce((SELECT o.new_balance FROM debt_history o"
        "  WHERE o.debt_id = d.id AND o.at < ?1 ORDER BY o.id DESC LIMIT 1),"
        "  -1),"
        " coalesce((SELECT c.new_balance FROM debt_history c"
        "  WHERE c.debt_id = d.id AND c.at < ?2 ORDER BY c.id DESC LIMIT 1),"
        "  -1),"
        " coalesce(sum(CASE WHEN h.change IN ('offset', 'collection',"
        "  'reversal') THEN 0 WHEN h.new_balance > h.old_balance"
        "  THEN h.new_balance - h.old_balance ELSE 0 END), 0),"
        " coalesce(sum(CASE WHEN h.change IN ('offset', 'collection')"
        "  THEN h.old_balance - h.new_balance ELSE 0 END), 0),"
        " coalesce(sum(CASE WHEN h.change = 'reversal'"
        "  THEN h.new_balance - h.old_balance ELSE 0 END), 0),"
        " coalesce(sum(CASE WHEN h.change IN ('offset', 'collection',"
        "  'reversal') THEN 0 WHEN h.new_balance < h.old_balance"
        "  THEN h.old_balance - h.new_balance ELSE 0 END), 0),"
        " (SELECT coalesce(sum(CASE l.kind WHEN 'reversal' THEN -l.fee_cents"
        "  ELSE l.fee_cents END), 0) FROM ledger l"
        "  WHERE l.debt_id = d.id AND l.at >= ?1 AND l.at < ?2),"
        " (SELECT coalesce(sum(CASE l.kind WHEN 'reversal' THEN 0"
        "  ELSE l.amount_cents END), 0) FROM ledger l"
        "  WHERE l.debt_id = d.id AND l.at >= ?1 AND l.at < ?2),"
        " (SELECT coalesce(sum(CASE l.kind WHEN 'reversal' THEN l.amount_cents"
        "  ELSE 0 END), 0) FROM ledger l"
        "  WHERE l.debt_id = d.id AND l.at >= ?1 AND l.at < ?2),"
        /* net of what partners reported: a reversal of a payer's offset
         * is the payer's (its offset's final_on), never remitted */
        " (SELECT coalesce(sum(CASE l.kind WHEN 'reversal'"
        "  THEN l.fee_cents - l.amount_cents"
        "  ELSE l.amount_cents - l.fee_cents END), 0) FROM ledger l"
        "  WHERE l.debt_id = d.id AND l.at >= ?1 AND l.at < ?2"
        "  AND coalesce((SELECT o.final_on FROM ledger o"
        "   WHERE o.id = l.reverses), l.final_on) = 0),"
        /* net of the payer's offsets remitted in the period */
        " (SELECT coalesce(sum(m.net_cents), 0) FROM ledger l"
        "  JOIN remitted_offsets m ON m.entry_id = l.id"
        "  JOIN remittances r ON r.id = m.remittance_id"
        "  WHERE l.debt_id = d.id AND r.at >= ?1 AND r.at < ?2)"
        " FROM debts d LEFT JOIN debt_history h"
        "  ON h.debt_id = d.id AND h.at >= ?1 AND h.at < ?2"
        " WHERE d.partner_id = ?3 GROUP BY d.id ORDER BY d.account",
    [S_HISTORY_LAST_AT] = "SELECT at FROM debt_history ORDER BY id DESC"
                          " LIMIT 1",
    [S_COUNT_DEBTS] = "SELECT count(*) FROM debts",
    [S_COUNT_HISTORY] = "SELECT count(*) FROM debt_history",
    [S_COUNT_DEBTORS] = "SELECT count(*) FROM debtors",
    [S_COUNT_FILES] = "SELECT count(*) FROM files",
    [S_COUNT_LEDGER] = "SELECT count(*) FROM ledger",
    [S_OUTPUT_ADD] = "INSERT INTO outputs (file_id, tmp_path, final_path)"
                     " VALUES (?, ?, ?)",
    [S_OUTPUT_PENDING] = "SELECT id, file_id, tmp_path, final_path FROM outputs"
                         " WHERE delivered = 0 ORDER BY id",
    [S_OUTPUT_DELIVERED] = "UPDATE outputs SET delivered = 1, delivered_at ="
                           " strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?",
    [S_OUTPUT_IS_PENDING] = "SELECT count(*) FROM outputs"
                            " WHERE delivered = 0 AND tmp_path = ?",
    [S_CANDIDATES] =
        "SELECT d.id, d.partner_id, d.account, d.debtor_id, d.debt_type,"
        " d.original_cents, d.balance_cents, d.fees_cents, d.status,"
        " d.delinquency_date, d.notice_date, d.attributes, a.agency_code,"
        " s.debt_id IS NOT NULL, coalesce(s.amount_cents, 0)"
        " FROM debts d JOIN partners a ON a.id = d.partner_id"
        " LEFT JOIN sent_debts s ON s.partner_id = ?1 AND s.debt_id = d.id"
        " WHERE a.program = ?2 AND (d.id IN (SELECT debt_id FROM debt_history"
        " WHERE id > ?3) OR (s.debt_id IS NULL AND d.status <> 'X'))"
        " ORDER BY d.id",
    [S_SENT_SET] = "INSERT INTO sent_debts (partner_id, debt_id, amount_cents,"
                   " cycle_id) VALUES (?1, ?2, ?3, ?4)"
                   " ON CONFLICT (partner_id, debt_id) DO UPDATE SET"
                   " amount_cents = ?3, cycle_id = ?4",
    [S_HISTORY_LAST] = "SELECT coalesce(max(id), 0) FROM debt_history",
    [S_ENTRY_ADD] = "INSERT INTO ledger (debt_id, partner_id, kind,"
                    " amount_cents, fee_cents, trace_id, reverses,"
                    " payment_date, payment_source, file_id, line, at,"
                    " final_on, deducted_cents)"
                    " VALUES (?, ?, ?, ?, ?, ?, nullif(?, 0), ?, ?,"
                    " nullif(?, 0), ?, ?, ?, ?)",
    [S_OFFSET_FIND] = "SELECT " ENTRY_COLUMNS " FROM ledger"
                      " WHERE partner_id = ? AND trace_id = ?"
                      " AND kind = 'offset'",
    /* instr(), not NOT IN (...): see the debts table's CHECK */
    [S_CLAIMS_BY_TIN] =
        "SELECT b.id, b.last_name, b.first_name, b.middle, b.suffix,"
        " b.name_control, d.id, d.partner_id, d.account, d.debtor_id,"
        " d.debt_type, d.original_cents, d.balance_cents, d.fees_cents,"
        " d.status, d.delinquency_date, d.notice_date, d.attributes,"
        " a.agency_code FROM debtors b"
        " LEFT JOIN debts d ON d.debtor_id = b.id AND d.balance_cents > 0"
        "  AND instr('XED', d.status) = 0"
        " LEFT JOIN partners a ON a.id = d.partner_id AND a.program = ?3"
        "  AND a.kind = 'agency' AND a.enabled = 1"
        " WHERE b.tin_type = ?1 AND b.tin_mac = ?2 ORDER BY d.id",
    [S_PROGRAM_DEBTORS] =
        "SELECT b.tin_type, b.tin_mac, b.tin_enc, b.last_name, b.first_name,"
        " b.middle, b.suffix, b.name_control, b.id"
        " FROM partners a JOIN debts d ON d.partner_id = a.id"
        " JOIN debtors b ON b.id = d.debtor_id"
        " WHERE a.program = ?1 AND a.kind = 'agency' AND a.enabled = 1"
        " AND d.balance_cents > 0 AND instr('XED', d.status) = 0",
    [S_DEBTOR_TINS] = "SELECT tin_type, tin_mac, tin_enc, id FROM debtors",
    [S_PAYMENT_ADD] = "INSERT INTO payments (partner_id, payment_id, file_id,"
                      " line, source, payment_date, amount_cents,"
                      " offset_cents, fee_cents, released_cents, final_on,"
                      " payer_code)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_PAYMENT_FIND] = "SELECT id, partner_id, payment_id, file_id, line,"
                       " source, payment_date, amount_cents, offset_cents,"
                       " fee_cents, released_cents, final_on, payer_code"
                       " FROM payments"
                       " WHERE partner_id = ? AND payment_id = ?",
    [S_PAYMENT_TOTALS] = "SELECT count(*), coalesce(sum(amount_cents), 0),"
                         " coalesce(sum(offset_cents), 0),"
                         " coalesce(sum(fee_cents), 0),"
                         " coalesce(sum(released_cents), 0)"
                         " FROM payments WHERE file_id = ?",
    [S_LEDGER_FILE_TOTALS] = "SELECT count(*), coalesce(sum(amount_cents), 0),"
                             " coalesce(sum(fee_cents), 0)"
                             " FROM ledger WHERE file_id = ?",
    /* ?3 is ?2 with its last byte one higher: a range the trace index
     * serves */
    [S_OFFSETS_BY_PREFIX] = "SELECT " ENTRY_COLUMNS " FROM ledger"
                            " WHERE partner_id = ?1 AND kind = 'offset'"
                            " AND trace_id >= ?2 AND trace_id < ?3"
                            " ORDER BY trace_id",
    [S_APPEAL_ADD] = "INSERT INTO appeals (entry_id, filed_on, at)"
                     " VALUES (?, ?, ?)",
    [S_APPEAL_GET] = "SELECT filed_on FROM appeals WHERE entry_id = ?",
    [S_DECISION_ADD] = "INSERT INTO appeal_decisions (entry_id, decision,"
                       " decided_on, final_on, reversal_id, released_cents,"
                       " at) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?)",
    [S_DECISION_GET] = "SELECT id, entry_id, decision, decided_on, final_on,"
                       " coalesce(reversal_id, 0), released_cents"
                       " FROM appeal_decisions WHERE entry_id = ?",
    /* ?2 "<payment id>.", ?3 the same one higher (the trace index's
     * range); a trace is the prefix and two digits */
    [S_PAYMENT_MONEY] = "SELECT coalesce(sum(o.amount_cents), 0),"
                        " coalesce(sum(o.deducted_cents), 0),"
                        " coalesce(sum(r.amount_cents), 0),"
                        " coalesce(sum(r.deducted_cents), 0),"
                        " coalesce(sum(x.released_cents), 0)"
                        " FROM ledger o LEFT JOIN ledger r ON r.reverses = o.id"
                        " LEFT JOIN appeal_decisions x ON x.entry_id = o.id"
                        " WHERE o.partner_id = ?1 AND o.kind = 'offset'"
                        " AND o.trace_id >= ?2 AND o.trace_id < ?3"
                        " AND length(o.trace_id) = length(?2) + 2",
    /* held: appealed and not decided; a denial's final_on replaces the
     * offset's */
    [S_REMITTABLE] =
        "SELECT " L_ENTRY_COLUMNS ", d.partner_id, d.account,"
        " coalesce(x.final_on, l.final_on)"
        " FROM ledger l JOIN debts d ON d.id = l.debt_id"
        " LEFT JOIN appeals a ON a.entry_id = l.id"
        " LEFT JOIN appeal_decisions x ON x.entry_id = l.id"
        " WHERE l.partner_id = ?1 AND l.kind = 'offset' AND l.final_on > 0"
        " AND coalesce(x.final_on, l.final_on) <= ?2"
        " AND (a.id IS NULL OR x.decision = 'denied')"
        " AND NOT EXISTS (SELECT 1 FROM ledger v WHERE v.reverses = l.id)"
        " AND NOT EXISTS (SELECT 1 FROM remitted_offsets m"
        "  WHERE m.entry_id = l.id)"
        " ORDER BY d.partner_id, l.id",
    [S_REMITTANCE_ADD] = "INSERT INTO remittances (payer_id, agency_id,"
                         " remitted_on, offsets, amount_cents, fee_cents,"
                         " net_cents, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [S_REMITTED_ADD] = "INSERT INTO remitted_offsets (entry_id,"
                       " remittance_id, amount_cents, fee_cents, net_cents)"
                       " VALUES (?, ?, ?, ?, ?)",
    [S_REMITTED_GET] = "SELECT remittance_id FROM remitted_offsets"
                       " WHERE entry_id = ?",
    [S_OFFSET_REVERSED] = "SELECT count(*) FROM ledger WHERE reverses = ?",
    [S_SENT_GET] = "SELECT amount_cents FROM sent_debts"
                   " WHERE partner_id = ? AND debt_id = ?",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[S_COUNT_];
    bool in_tx;
    struct tinseal *tins; /* the TIN keys; NULL without the master key */
    int64_t job;          /* the queued upload being run (store_set_job) */
    char now[24];         /* UTC time of the open transaction, for its rows */
    char err[256];
};

__attribute__((format(printf, 3, 4))) static int fail(struct store *s, int code,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return code;
}

/* Map sqlite's answer RC (an extended code) to ours, keeping its
 * message. */
static int db_fail(struct store *s, int rc, const char *what)
{
    int code = -EIO;
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        code =
            rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                ? -EEXIST
                : -EINVAL;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = -EBUSY;
        break;
    }
    return fail(s, code, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* The prepared statement ID, reset and unbound; NULL on failure. */
static sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
    if (s->stmt[id] == NULL) {
        if (sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &s->stmt[id], NULL) != SQLITE_OK) {
            fail(s, -EIO, "prepare: %s", sqlite3_errmsg(s->db));
            return NULL;
        }
    } else {
        /* every use resets it when done; the bindings of the last use
         * point at memory gone by now: clear them */
        sqlite3_clear_bindings(s->stmt[id]);
    }
    return s->stmt[id];
}

/* Step a statement that returns no row. */
static int run(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = failpoint_hit(FAILPOINT_STEP) ? SQLITE_IOERR : sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        int code = db_fail(s, rc, what);
        sqlite3_reset(st);
        return code;
    }
    sqlite3_reset(st);
    return 0;
}

void store_text_copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

/* SQLITE_STATIC: T outlives the statement's one use (every caller binds
 * and steps within its own frame), so sqlite need not copy it. */
static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
    sqlite3_bind_text(st, i, t ? t : "", -1, SQLITE_STATIC);
}

int store_prepare_once(struct store *s, const char *text, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(s->db, text, -1, st, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(s, rc, "prepare");
}

int store_step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = failpoint_hit(FAILPOINT_STEP) ? SQLITE_IOERR : sqlite3_step(st);
    int code = rc == SQLITE_DONE ? 0 : db_fail(s, rc, what);
    sqlite3_finalize(st);
    return code;
}

void store_column_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    copy_text(dst, size, st, col);
}

void store_set_job(struct store *s, int64_t job_id)
{
    s->job = job_id;
}

sqlite3 *store_sqlite(struct store *s)
{
    return s->db;
}

int store_fail_code(struct store *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return code;
}

int store_fail_db(struct store *s, int rc, const char *what)
{
    return db_fail(s, rc, what);
}

struct tinseal *store_tinseal(struct store *s)
{
    return s->tins;
}

void store_set_tinseal(struct store *s, struct tinseal *t)
{
    tinseal_free(s->tins);
    s->tins = t;
}

/* --- open, close, transactions ----------------------------------------- */

int store_open(const char *path, struct store **out, char *err, size_t err_size)
{
    return store_open_with(path, 0, out, err, err_size);
}

int store_open_with(const char *path, unsigned flags, struct store **out,
                    char *err, size_t err_size)
{
    return store_open_keyed(path, flags, NULL, out, err, err_size);
}

int store_open_keyed(const char *path, unsigned flags,
                     const struct aead_key *master, struct store **out,
                     char *err, size_t err_size)
{
    struct store *s = calloc(1, sizeof(*s));
    char *msg = NULL;
    int code = -EIO;
    *out = NULL;
    /* no global memory statistics: they take a mutex on every malloc */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (s == NULL) {
        snprintf(err, err_size, "out of memory");
        return -ENOMEM;
    }
    /* the registry holds SSNs: create it private (sqlite gives its WAL
     * and shared-memory files the same mode), and tighten an old one */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(s);
        return -EIO;
    }
    close(fd);
    int rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "cannot open");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
    /* a file's work touches index pages all over (random TINs): 64 MiB
     * of cache keeps most of them in memory */
    store_cache_mib(s, STORE_CACHE_MIB);
    /* journal_mode answers a row: read it to know WAL took */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        snprintf(err, err_size, "%s: cannot use WAL mode: %s", path,
                 sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        goto fail;
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(s->db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", path,
                 msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        goto fail;
    }
    /* quick_check answers its findings as a row ("ok" when none): a
     * damaged page is no error to sqlite3_exec, so read the row */
    if (!(flags & STORE_OPEN_UNCHECKED)) {
        const char *verdict = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL) !=
                SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW ||
            (verdict = (const char *)sqlite3_column_text(st, 0)) == NULL ||
            strcmp(verdict, "ok") != 0) {
            snprintf(err, err_size, "%s: the registry is damaged: %s", path,
                     verdict != NULL ? verdict : sqlite3_errmsg(s->db));
            sqlite3_finalize(st);
            goto fail;
        }
        sqlite3_finalize(st);
    }
    if (schema_migrate(s, master, err, err_size) < 0)
        goto fail;
    if (master != NULL && s->tins == NULL &&
        (code = keyring_load(s, master)) < 0) {
        snprintf(err, err_size, "%s: %s", path, s->err);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    store_close(s);
    return code;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < S_COUNT_; i++)
        sqlite3_finalize(s->stmt[i]);
    tinseal_free(s->tins);
    sqlite3_close(s->db);
    free(s);
}

const char *store_error(const struct store *s)
{
    return s->err;
}

int store_schema_version(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* "2026-11-26T18:04:05Z": when rows written now happen.  The day is
 * $OFFSETGW_TODAY's when it is set (as calendar_today() has it), so that
 * tests and replays can write a registry's past. */
static const char *now(struct store *s);

const char *store_now(struct store *s)
{
    return now(s);
}

static const char *now(struct store *s)
{
    if (!s->in_tx || s->now[0] == '\0') {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(s->now, sizeof(s->now), "%Y-%m-%dT%H:%M:%SZ", &tm);
        const char *today = getenv("OFFSETGW_TODAY");
        bool iso = today != NULL && strlen(today) == 10;
        for (int i = 0; iso && i < 10; i++)
            iso = i == 4 || i == 7 ? today[i] == '-'
                                   : today[i] >= '0' && today[i] <= '9';
        if (iso)
            memcpy(s->now, today, 10);
        /* history time never runs backwards, whatever the clock does:
         * periods are cut by it */
        sqlite3_stmt *st = stmt(s, S_HISTORY_LAST_AT);
        if (st != NULL) {
            if (sqlite3_step(st) == SQLITE_ROW) {
                const char *last = (const char *)sqlite3_column_text(st, 0);
                if (last != NULL && strcmp(last, s->now) > 0)
                    snprintf(s->now, sizeof(s->now), "%s", last);
            }
            sqlite3_reset(st);
        }
    }
    return s->now;
}

const char *store_transaction_time(struct store *s)
{
    return now(s);
}

bool store_in_transaction(const struct store *s)
{
    return s->in_tx;
}

int store_begin(struct store *s)
{
    if (s->in_tx)
        return fail(s, -EINVAL, "a transaction is already open");
    s->now[0] = '\0';
    sqlite3_stmt *st = stmt(s, S_BEGIN);
    if (st == NULL)
        return -EIO;
    int rc = run(s, st, "begin");
    if (rc == 0)
        s->in_tx = true;
    return rc;
}

int store_commit(struct store *s)
{
    if (!s->in_tx)
        return fail(s, -EINVAL, "no transaction is open");
    /* a failed commit leaves the transaction open, as sqlite's does */
    if (failpoint_hit(FAILPOINT_COMMIT))
        return fail(s, -EIO, "commit: disk I/O error (fail point)");
    sqlite3_stmt *st = stmt(s, S_COMMIT);
    if (st == NULL)
        return -EIO;
    int rc = run(s, st, "commit");
    if (rc == 0)
        s->in_tx = false;
    return rc;
}

int store_rollback(struct store *s)
{
    if (!s->in_tx)
        return fail(s, -EINVAL, "no transaction is open");
    s->in_tx = false;
    /* a failed statement may have ended the transaction already */
    if (sqlite3_get_autocommit(s->db))
        return 0;
    sqlite3_stmt *st = stmt(s, S_ROLLBACK);
    return st == NULL ? -EIO : run(s, st, "rollback");
}

/* --- partners ----------------------------------------------------------- */

static const char *const kind_names[] = {"agency", "taxboard", "treasury",
                                         "payer"};

int partner_kind_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(kind_names[i], name) == 0)
            return i;
    return -1;
}

const char *partner_kind_name(enum partner_kind kind)
{
    return (unsigned)kind < 4 ? kind_names[kind] : NULL;
}

int store_partner_add(struct store *s, const struct store_partner *p,
                      int64_t *id)
{
    if (partner_kind_name(p->kind) == NULL || p->name[0] == '\0')
        return fail(s, -EINVAL, "a partner needs a name and a known kind");
    sqlite3_stmt *st = stmt(s, S_PARTNER_ADD);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, p->name);
    bind_text(st, 2, partner_kind_name(p->kind));
    bind_text(st, 3, p->program);
    bind_text(st, 4, p->agency_code);
    sqlite3_bind_int(st, 5, p->enabled ? 1 : 0);
    int rc = run(s, st, "add partner");
    if (rc == -EEXIST)
        return fail(s, rc, "partner '%s' exists already", p->name);
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static void read_partner(sqlite3_stmt *st, struct store_partner *p)
{
    char kind[16];
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(st, 0);
    copy_text(p->name, sizeof(p->name), st, 1);
    copy_text(kind, sizeof(kind), st, 2);
    p->kind = (enum partner_kind)partner_kind_from_name(kind);
    copy_text(p->program, sizeof(p->program), st, 3);
    copy_text(p->agency_code, sizeof(p->agency_code), st, 4);
    p->enabled = sqlite3_column_int(st, 5) != 0;
    copy_text(p->cycle_daily, sizeof(p->cycle_daily), st, 6);
    p->cycle_ran_on = sqlite3_column_int(st, 7);
    p->retention_days = sqlite3_column_int(st, 8);
}

/* Step ST for one row read by READ into OUT; -ENOENT when none. */
static int one_row(struct store *s, sqlite3_stmt *st, void *out,
                   void (*read)(sqlite3_stmt *, void *), const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read(st, out);
        sqlite3_reset(st);
        return 0;
    }
    int code = rc == SQLITE_DONE ? fail(s, -ENOENT, "%s: not found", what)
                                 : db_fail(s, rc, what);
    sqlite3_reset(st);
    return code;
}

static void read_partner_v(sqlite3_stmt *st, void *out)
{
    read_partner(st, out);
}

int store_partner_get(struct store *s, const char *name,
                      struct store_partner *out)
{
    sqlite3_stmt *st = stmt(s, S_PARTNER_GET);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, name);
    return one_row(s, st, out, read_partner_v, "partner");
}

int store_partner_get_id(struct store *s, int64_t id, struct store_partner *out)
{
    sqlite3_stmt *st = stmt(s, S_PARTNER_GET_ID);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return one_row(s, st, out, read_partner_v, "partner");
}

int store_partner_set_enabled(struct store *s, const char *name, bool enabled)
{
    sqlite3_stmt *st = stmt(s, S_PARTNER_ENABLE);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int(st, 1, enabled ? 1 : 0);
    bind_text(st, 2, name);
    int rc = run(s, st, "enable partner");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        return fail(s, -ENOENT, "no partner '%s'", name);
    return rc;
}

int store_partner_set_schedule(struct store *s, const char *name,
                               const char *daily)
{
    sqlite3_stmt *st = stmt(s, S_PARTNER_SCHEDULE);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, daily);
    bind_text(st, 2, name);
    int rc = run(s, st, "schedule partner");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        return fail(s, -ENOENT, "no partner '%s'", name);
    return rc;
}

int store_partner_set_retention(struct store *s, const char *name, int32_t days)
{
    sqlite3_stmt *st = stmt(s, S_PARTNER_RETENTION);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int(st, 1, days);
    bind_text(st, 2, name);
    int rc = run(s, st, "partner retention");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        return fail(s, -ENOENT, "no partner '%s'", name);
    return rc;
}

int store_partner_set_cycle_ran(struct store *s, int64_t id, int32_t day)
{
    sqlite3_stmt *st = stmt(s, S_PARTNER_RAN);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int(st, 1, day);
    sqlite3_bind_int64(st, 2, id);
    return run(s, st, "note the scheduled cycle");
}

int store_partner_each(struct store *s,
                       int (*fn)(const struct store_partner *p, void *ctx),
                       void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_PARTNER_EACH);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_partner p;
        read_partner(st, &p);
        stop = fn(&p, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "list partners");
    sqlite3_reset(st);
    return code;
}

/* --- files -------------------------------------------------------------- */

static const char *const status_names[] = {"received", "accepted",  "partial",
                                           "rejected", "duplicate", "sent"};

const char *file_status_name(enum file_status status)
{
    return (unsigned)status < 6 ? status_names[status] : "unknown";
}

static enum file_status file_status_from(const char *name)
{
    for (int i = 0; i < 6; i++)
        if (strcmp(status_names[i], name) == 0)
            return (enum file_status)i;
    return FILE_RECEIVED;
}

static void read_file(sqlite3_stmt *st, void *out)
{
    struct store_file *f = out;
    char status[16];
    memset(f, 0, sizeof(*f));
    f->id = sqlite3_column_int64(st, 0);
    f->partner_id = sqlite3_column_int64(st, 1);
    copy_text(f->sha256, sizeof(f->sha256), st, 2);
    copy_text(f->name, sizeof(f->name), st, 3);
    f->outbound = sqlite3_column_int(st, 4) != 0;
    copy_text(f->exchange, sizeof(f->exchange), st, 5);
    copy_text(f->layout, sizeof(f->layout), st, 6);
    copy_text(status, sizeof(status), st, 7);
    f->status = file_status_from(status);
    f->records = sqlite3_column_int64(st, 8);
    f->accepted = sqlite3_column_int64(st, 9);
    f->rejected = sqlite3_column_int64(st, 10);
    f->amount_cents = sqlite3_column_int64(st, 11);
    copy_text(f->error, sizeof(f->error), st, 12);
    f->duplicate_of = sqlite3_column_int64(st, 13);
    f->made_from = sqlite3_column_int64(st, 14);
}

int store_file_find_sha(struct store *s, int64_t partner_id, const char *sha256,
                        struct store_file *out)
{
    sqlite3_stmt *st = stmt(s, S_FILE_FIND_SHA);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    bind_text(st, 2, sha256);
    return one_row(s, st, out, read_file, "file");
}

int store_file_add(struct store *s, const struct store_file *f, int64_t *id)
{
    sqlite3_stmt *st = stmt(s, S_FILE_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, f->partner_id);
    bind_text(st, 2, f->sha256);
    bind_text(st, 3, f->name);
    sqlite3_bind_int(st, 4, f->outbound ? 1 : 0);
    bind_text(st, 5, f->exchange);
    bind_text(st, 6, f->layout);
    bind_text(st, 7, file_status_name(f->status));
    sqlite3_bind_int64(st, 8, f->records);
    sqlite3_bind_int64(st, 9, f->accepted);
    sqlite3_bind_int64(st, 10, f->rejected);
    sqlite3_bind_int64(st, 11, f->amount_cents);
    bind_text(st, 12, f->error);
    sqlite3_bind_int64(st, 13, f->duplicate_of);
    sqlite3_bind_int64(st, 14, f->made_from);
    sqlite3_bind_int64(st, 15, f->outbound ? 0 : s->job);
    int rc = run(s, st, "add file");
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_file_finish(struct store *s, const struct store_file *f)
{
    sqlite3_stmt *st = stmt(s, S_FILE_FINISH);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, file_status_name(f->status));
    sqlite3_bind_int64(st, 2, f->records);
    sqlite3_bind_int64(st, 3, f->accepted);
    sqlite3_bind_int64(st, 4, f->rejected);
    sqlite3_bind_int64(st, 5, f->amount_cents);
    bind_text(st, 6, f->error);
    bind_text(st, 7, f->sha256);
    sqlite3_bind_int64(st, 8, f->id);
    int rc = run(s, st, "finish file");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        return fail(s, -ENOENT, "no file %lld", (long long)f->id);
    return rc;
}

int store_file_get(struct store *s, int64_t id, struct store_file *out)
{
    sqlite3_stmt *st = stmt(s, S_FILE_GET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return one_row(s, st, out, read_file, "file");
}

/* --- debtors ------------------------------------------------------------ */

static void read_name(sqlite3_stmt *st, void *out)
{
    struct store_name *n = out;
    memset(n, 0, sizeof(*n));
    copy_text(n->last, sizeof(n->last), st, 0);
    copy_text(n->first, sizeof(n->first), st, 1);
    copy_text(n->middle, sizeof(n->middle), st, 2);
    copy_text(n->suffix, sizeof(n->suffix), st, 3);
    copy_text(n->name_control, sizeof(n->name_control), st, 4);
}

int store_debtor_name(struct store *s, int64_t debtor_id,
                      struct store_name *out)
{
    sqlite3_stmt *st = stmt(s, S_DEBTOR_NAME_NEWEST);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, debtor_id);
    return one_row(s, st, out, read_name, "debtor name");
}

static bool same_name(const struct store_name *a, const struct store_name *b)
{
    return strcmp(a->last, b->last) == 0 && strcmp(a->first, b->first) == 0 &&
           strcmp(a->middle, b->middle) == 0 &&
           strcmp(a->suffix, b->suffix) == 0 &&
           strcmp(a->name_control, b->name_control) == 0;
}

static void read_id(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
}

struct debtor_row {
    int64_t id;
    struct store_name name;
};

static void read_debtor_row(sqlite3_stmt *st, void *out)
{
    struct debtor_row *d = out;
    d->id = sqlite3_column_int64(st, 0);
    copy_text(d->name.last, sizeof(d->name.last), st, 1);
    copy_text(d->name.first, sizeof(d->name.first), st, 2);
    copy_text(d->name.middle, sizeof(d->name.middle), st, 3);
    copy_text(d->name.suffix, sizeof(d->name.suffix), st, 4);
    copy_text(d->name.name_control, sizeof(d->name.name_control), st, 5);
}

static void bind_name(sqlite3_stmt *st, int at, const struct store_name *n)
{
    bind_text(st, at, n->last);
    bind_text(st, at + 1, n->first);
    bind_text(st, at + 2, n->middle);
    bind_text(st, at + 3, n->suffix);
    bind_text(st, at + 4, n->name_control);
}

/* --- TINs: sealed in the registry, clear above it ---------------------- */

/* TIN's index MAC into MAC: what the registry finds a debtor by. */
static int tin_mac(struct store *s, char tin_type, const char *tin,
                   unsigned char mac[TINSEAL_MAC_SIZE])
{
    if (s->tins == NULL)
        return fail(s, -ENOKEY,
                    "the registry was opened without the master key:"
                    " TINs can be neither read nor written");
    int rc = tinseal_mac(s->tins, tin_type, tin, mac);
    if (rc == -EINVAL)
        return fail(s, rc, "a debtor needs a type S or E and 9 digits");
    return rc < 0 ? fail(s, rc, "cannot compute a TIN's index") : 0;
}

/* The TIN of the row at ST, columns COL (type), COL + 1 (index MAC),
 * COL + 2 (sealed TIN), into *TYPE and TIN (10 bytes); ID names the
 * debtor in errors.  -EBADMSG when the sealed TIN is not this row's. */
static int open_tin(struct store *s, sqlite3_stmt *st, int col, int64_t id,
                    char *type, char *tin)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    *type = t != NULL ? (char)t[0] : '\0';
    tin[0] = '\0';
    if (s->tins == NULL)
        return fail(s, -ENOKEY,
                    "the registry was opened without the master key:"
                    " TINs can be neither read nor written");
    if (sqlite3_column_bytes(st, col + 1) != TINSEAL_MAC_SIZE)
        return fail(s, -EBADMSG, "debtor %lld: its TIN index is damaged",
                    (long long)id);
    int rc = tinseal_open(s->tins, *type, sqlite3_column_blob(st, col + 1),
                          sqlite3_column_blob(st, col + 2),
                          (size_t)sqlite3_column_bytes(st, col + 2), tin);
    if (rc == -EBADMSG)
        return fail(
            s, rc,
            "debtor %lld: its sealed TIN does not authenticate (altered,"
            " moved from another row, or another key)",
            (long long)id);
    return rc < 0
               ? fail(s, rc, "debtor %lld: cannot open its TIN", (long long)id)
               : 0;
}

int store_debtor_upsert(struct store *s, char tin_type, const char *tin,
                        const struct store_name *name, int64_t file_id,
                        int64_t *debtor_id)
{
    static const struct store_name no_name;
    char type[2] = {tin_type, '\0'};
    unsigned char mac[TINSEAL_MAC_SIZE], sealed[TINSEAL_SEALED_SIZE];
    struct debtor_row d;
    int rc;
    if ((tin_type != 'S' && tin_type != 'E') || tin == NULL || strlen(tin) != 9)
        return fail(s, -EINVAL, "a debtor needs a type S or E and 9 digits");
    if ((rc = tin_mac(s, tin_type, tin, mac)) < 0)
        return rc;
    /* most debtors are new: try to add first, and look only when one
     * was there already (sealing costs less than a second statement) */
    if ((rc = tinseal_seal(s->tins, tin_type, tin, mac, sealed)) < 0)
        return fail(s, rc, "cannot seal a TIN");
    sqlite3_stmt *st = stmt(s, S_DEBTOR_ADD);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, type);
    sqlite3_bind_blob(st, 2, mac, sizeof mac, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, sealed, sizeof sealed, SQLITE_STATIC);
    bind_name(st, 4, name ? name : &no_name);
    if ((rc = run(s, st, "add debtor")) < 0)
        return rc;
    if (sqlite3_changes(s->db) == 1) {
        d.id = sqlite3_last_insert_rowid(s->db);
        if (debtor_id != NULL)
            *debtor_id = d.id;
        return 0;
    }
    if ((st = stmt(s, S_DEBTOR_FIND)) == NULL)
        return -EIO;
    bind_text(st, 1, type);
    sqlite3_bind_blob(st, 2, mac, sizeof mac, SQLITE_STATIC);
    if ((rc = one_row(s, st, &d, read_debtor_row, "debtor")) < 0)
        return rc;
    if (name != NULL && !same_name(&d.name, name)) {
        /* a new name: the old one goes to the history */
        if ((st = stmt(s, S_DEBTOR_NAME_ADD)) == NULL)
            return -EIO;
        sqlite3_bind_int64(st, 1, d.id);
        bind_name(st, 2, &d.name);
        sqlite3_bind_int64(st, 7, file_id);
        bind_text(st, 8, now(s));
        if ((rc = run(s, st, "keep the old name")) < 0)
            return rc;
        if ((st = stmt(s, S_DEBTOR_RENAME)) == NULL)
            return -EIO;
        bind_name(st, 1, name);
        sqlite3_bind_int64(st, 6, d.id);
        if ((rc = run(s, st, "rename debtor")) < 0)
            return rc;
    }
    if (debtor_id != NULL)
        *debtor_id = d.id;
    return 0;
}

int store_debtor_get(struct store *s, int64_t debtor_id, char *tin_type,
                     char *tin)
{
    sqlite3_stmt *st = stmt(s, S_DEBTOR_GET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, debtor_id);
    int rc = sqlite3_step(st);
    int code = rc == SQLITE_ROW ? open_tin(s, st, 0, debtor_id, tin_type, tin)
               : rc == SQLITE_DONE ? fail(s, -ENOENT, "debtor: not found")
                                   : db_fail(s, rc, "debtor");
    sqlite3_reset(st);
    return code;
}

/* --- debts -------------------------------------------------------------- */

int store_debt_accounts(struct store *s, int64_t partner_id, int64_t *n,
                        int (*fn)(const char *account, void *ctx), void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_DEBT_COUNT);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    if ((rc = one_row(s, st, n, read_id, "debts")) < 0 || fn == NULL)
        return rc;
    if ((st = stmt(s, S_DEBT_ACCOUNTS)) == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn((const char *)sqlite3_column_text(st, 0), ctx);
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "list accounts");
    sqlite3_reset(st);
    return code;
}

int store_debt_touched_by(struct store *s, int64_t debt_id, int64_t file_id,
                          bool *touched)
{
    int64_t n = 0;
    sqlite3_stmt *st = stmt(s, S_DEBT_TOUCHED);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, debt_id);
    sqlite3_bind_int64(st, 2, file_id);
    int rc = one_row(s, st, &n, read_id, "history");
    *touched = n > 0;
    return rc;
}

/* The debt in the DEBT_COLUMNS starting at column AT. */
static void read_debt_at(sqlite3_stmt *st, int at, struct store_debt *d)
{
    char status[4];
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, at);
    d->partner_id = sqlite3_column_int64(st, at + 1);
    copy_text(d->account, sizeof(d->account), st, at + 2);
    d->debtor_id = sqlite3_column_int64(st, at + 3);
    copy_text(d->debt_type, sizeof(d->debt_type), st, at + 4);
    d->original_cents = sqlite3_column_int64(st, at + 5);
    d->balance_cents = sqlite3_column_int64(st, at + 6);
    d->fees_cents = sqlite3_column_int64(st, at + 7);
    copy_text(status, sizeof(status), st, at + 8);
    d->status = (enum debt_status)status[0];
    d->delinquency_date = sqlite3_column_int(st, at + 9);
    d->notice_date = sqlite3_column_int(st, at + 10);
    copy_text(d->attributes, sizeof(d->attributes), st, at + 11);
}

static void read_debt(sqlite3_stmt *st, void *out)
{
    read_debt_at(st, 0, out);
}

int store_debt_get(struct store *s, int64_t partner_id, const char *account,
                   struct store_debt *out)
{
    sqlite3_stmt *st = stmt(s, S_DEBT_GET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    bind_text(st, 2, account);
    return one_row(s, st, out, read_debt, "debt");
}

int store_debt_get_id(struct store *s, int64_t id, struct store_debt *out)
{
    sqlite3_stmt *st = stmt(s, S_DEBT_GET_ID);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return one_row(s, st, out, read_debt, "debt");
}

static int add_history(struct store *s, int64_t debt_id, const char *change,
                       int64_t old_balance, int64_t new_balance,
                       char old_status, char new_status,
                       const struct store_source *src)
{
    char os[2] = {old_status, '\0'}, ns[2] = {new_status, '\0'};
    sqlite3_stmt *st = stmt(s, S_HISTORY_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, debt_id);
    bind_text(st, 2, change);
    sqlite3_bind_int64(st, 3, old_balance);
    sqlite3_bind_int64(st, 4, new_balance);
    bind_text(st, 5, os);
    bind_text(st, 6, ns);
    sqlite3_bind_int64(st, 7, src ? src->file_id : 0);
    sqlite3_bind_int64(st, 8, src ? src->line : 0);
    bind_text(st, 9, now(s));
    return run(s, st, "add history");
}

static bool status_valid(int status)
{
    return status != 0 && strchr("PEDNSCX", status) != NULL;
}

int store_debt_add(struct store *s, const struct store_debt *d,
                   const struct store_source *src, int64_t *id)
{
    char status[2] = {(char)d->status, '\0'};
    if (d->balance_cents < 0 || d->original_cents < 0 || d->fees_cents < 0 ||
        !status_valid(d->status))
        return fail(s, -EINVAL, "debt '%s': negative amount or bad status",
                    d->account);
    sqlite3_stmt *st = stmt(s, S_DEBT_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, d->partner_id);
    bind_text(st, 2, d->account);
    sqlite3_bind_int64(st, 3, d->debtor_id);
    bind_text(st, 4, d->debt_type);
    sqlite3_bind_int64(st, 5, d->original_cents);
    sqlite3_bind_int64(st, 6, d->balance_cents);
    sqlite3_bind_int64(st, 7, d->fees_cents);
    bind_text(st, 8, status);
    sqlite3_bind_int(st, 9, d->delinquency_date);
    sqlite3_bind_int(st, 10, d->notice_date);
    bind_text(st, 11, d->attributes);
    int rc = run(s, st, "add debt");
    if (rc == -EEXIST)
        return fail(s, rc, "debt '%s' exists already", d->account);
    if (rc < 0)
        return rc;
    int64_t new_id = sqlite3_last_insert_rowid(s->db);
    rc = add_history(s, new_id, "add", 0, d->balance_cents, (char)d->status,
                     (char)d->status, src);
    if (rc == 0 && id != NULL)
        *id = new_id;
    return rc;
}

int store_debt_set_balance(struct store *s, int64_t debt_id,
                           int64_t balance_cents, int64_t fees_cents,
                           const char *change, const struct store_source *src)
{
    struct store_debt d;
    int rc;
    if ((rc = store_debt_get_id(s, debt_id, &d)) < 0)
        return rc;
    return store_debt_rebalance(s, &d, balance_cents, fees_cents, change, src);
}

int store_debt_rebalance(struct store *s, const struct store_debt *d,
                         int64_t balance_cents, int64_t fees_cents,
                         const char *change, const struct store_source *src)
{
    int rc;
    if (balance_cents < 0 || fees_cents < 0)
        return fail(s, -EINVAL, "a balance is never negative");
    char status = balance_cents == 0 ? DEBT_X : (char)d->status;
    if (status == DEBT_X && balance_cents > 0)
        status = DEBT_P; /* a closed debt raised again starts over */
    char status_text[2] = {status, '\0'};
    sqlite3_stmt *st = stmt(s, S_DEBT_SET_BALANCE);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, balance_cents);
    sqlite3_bind_int64(st, 2, fees_cents);
    bind_text(st, 3, status_text);
    sqlite3_bind_int64(st, 4, d->id);
    if ((rc = run(s, st, "set balance")) < 0)
        return rc;
    if (sqlite3_changes(s->db) != 1)
        return fail(s, -ENOENT, "no debt %lld", (long long)d->id);
    return add_history(s, d->id, change, d->balance_cents, balance_cents,
                       (char)d->status, status, src);
}

int store_debt_set_status(struct store *s, int64_t debt_id,
                          enum debt_status status,
                          const struct store_source *src)
{
    struct store_debt d;
    int rc;
    if (!status_valid(status))
        return fail(s, -EINVAL, "unknown debt status");
    if ((rc = store_debt_get_id(s, debt_id, &d)) < 0)
        return rc;
    char status_text[2] = {(char)status, '\0'};
    sqlite3_stmt *st = stmt(s, S_DEBT_SET_STATUS);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, status_text);
    sqlite3_bind_int64(st, 2, debt_id);
    if ((rc = run(s, st, "set status")) < 0)
        return rc;
    return add_history(s, debt_id, "status", d.balance_cents, d.balance_cents,
                       (char)d.status, (char)status, src);
}

int store_debt_set_notice(struct store *s, int64_t debt_id, int32_t notice_date,
                          enum debt_status status,
                          const struct store_source *src)
{
    struct store_debt d;
    int rc;
    if (!status_valid(status) || notice_date <= 0)
        return fail(s, -EINVAL, "bad notice date or status");
    if ((rc = store_debt_get_id(s, debt_id, &d)) < 0)
        return rc;
    char status_text[2] = {(char)status, '\0'};
    sqlite3_stmt *st = stmt(s, S_DEBT_SET_NOTICE);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int(st, 1, notice_date);
    bind_text(st, 2, status_text);
    sqlite3_bind_int64(st, 3, debt_id);
    if ((rc = run(s, st, "set notice")) < 0)
        return rc;
    return add_history(s, debt_id, "notice", d.balance_cents, d.balance_cents,
                       (char)d.status, (char)status, src);
}

/* --- history and cycles ------------------------------------------------- */

static void read_change(sqlite3_stmt *st, struct store_change *c)
{
    char os[4], ns[4];
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->debt_id = sqlite3_column_int64(st, 1);
    copy_text(c->change, sizeof(c->change), st, 2);
    c->old_balance = sqlite3_column_int64(st, 3);
    c->new_balance = sqlite3_column_int64(st, 4);
    copy_text(os, sizeof(os), st, 5);
    copy_text(ns, sizeof(ns), st, 6);
    c->old_status = os[0];
    c->new_status = ns[0];
    c->file_id = sqlite3_column_int64(st, 7);
    c->line = sqlite3_column_int64(st, 8);
}

static int each_change(struct store *s, sqlite3_stmt *st,
                       int (*fn)(const struct store_change *c, void *ctx),
                       void *ctx)
{
    int rc, stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_change c;
        read_change(st, &c);
        stop = fn(&c, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "read history");
    sqlite3_reset(st);
    return code;
}

int store_changes_since(struct store *s, const char *program, int64_t after,
                        int (*fn)(const struct store_change *c, void *ctx),
                        void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_CHANGES_SINCE);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, after);
    bind_text(st, 2, program);
    return each_change(s, st, fn, ctx);
}

int store_debt_history(struct store *s, int64_t debt_id,
                       int (*fn)(const struct store_change *c, void *ctx),
                       void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_DEBT_HISTORY);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, debt_id);
    return each_change(s, st, fn, ctx);
}

static void read_cycle(sqlite3_stmt *st, void *out)
{
    struct store_cycle *c = out;
    c->id = sqlite3_column_int64(st, 0);
    c->partner_id = sqlite3_column_int64(st, 1);
    c->file_id = sqlite3_column_int64(st, 2);
    c->high_water = sqlite3_column_int64(st, 3);
    c->records = sqlite3_column_int64(st, 4);
    c->amount_cents = sqlite3_column_int64(st, 5);
}

int store_cycle_last(struct store *s, int64_t partner_id,
                     struct store_cycle *out)
{
    sqlite3_stmt *st = stmt(s, S_CYCLE_LAST);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    return one_row(s, st, out, read_cycle, "cycle");
}

int store_cycle_add(struct store *s, const struct store_cycle *c, int64_t *id)
{
    sqlite3_stmt *st = stmt(s, S_CYCLE_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, c->partner_id);
    sqlite3_bind_int64(st, 2, c->file_id);
    sqlite3_bind_int64(st, 3, c->high_water);
    sqlite3_bind_int64(st, 4, c->records);
    sqlite3_bind_int64(st, 5, c->amount_cents);
    int rc = run(s, st, "add cycle");
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_cycle_candidates(
    struct store *s, int64_t partner_id, const char *program, int64_t after,
    int (*fn)(const struct store_candidate *c, void *ctx), void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_CANDIDATES);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    bind_text(st, 2, program);
    sqlite3_bind_int64(st, 3, after);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_candidate c;
        read_debt(st, &c.debt);
        copy_text(c.agency_code, sizeof(c.agency_code), st, 12);
        c.was_sent = sqlite3_column_int(st, 13) != 0;
        c.sent_cents = sqlite3_column_int64(st, 14);
        stop = fn(&c, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "cycle candidates");
    sqlite3_reset(st);
    return code;
}

int store_sent_set(struct store *s, int64_t partner_id, int64_t debt_id,
                   int64_t cents, int64_t cycle_id)
{
    sqlite3_stmt *st = stmt(s, S_SENT_SET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    sqlite3_bind_int64(st, 2, debt_id);
    sqlite3_bind_int64(st, 3, cents);
    sqlite3_bind_int64(st, 4, cycle_id);
    return run(s, st, "remember what was sent");
}

int store_request_candidates(struct store *s, const char *program,
                             int (*fn)(const struct store_candidate *c,
                                       void *ctx),
                             void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_REQUEST_CANDIDATES);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, program);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_candidate c = {0};
        read_debt(st, &c.debt);
        copy_text(c.agency_code, sizeof(c.agency_code), st, 12);
        stop = fn(&c, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "request candidates");
    sqlite3_reset(st);
    return code;
}

int store_request_set(struct store *s, int64_t debt_id, int64_t cycle_id)
{
    sqlite3_stmt *st = stmt(s, S_REQUEST_SET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, cycle_id);
    sqlite3_bind_int64(st, 2, debt_id);
    return run(s, st, "remember the address request");
}

int store_request_partner(struct store *s, int64_t debt_id, int64_t *partner_id)
{
    sqlite3_stmt *st = stmt(s, S_REQUEST_PARTNER);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, debt_id);
    return one_row(s, st, partner_id, read_id, "address request");
}

int store_history_last(struct store *s, int64_t *id)
{
    sqlite3_stmt *st = stmt(s, S_HISTORY_LAST);
    if (st == NULL)
        return -EIO;
    return one_row(s, st, id, read_id, "history");
}

/* --- the ledger --------------------------------------------------------- */

static const char *const entry_names[] = {"offset", "reversal", "collection"};

const char *entry_kind_name(enum entry_kind kind)
{
    return (unsigned)kind < 3 ? entry_names[kind] : "unknown";
}

int store_entry_add(struct store *s, const struct store_entry *e, int64_t *id)
{
    if (e->amount_cents <= 0 || e->fee_cents < 0 || e->deducted_cents < 0)
        return fail(s, -EINVAL, "a ledger entry moves a positive amount");
    sqlite3_stmt *st = stmt(s, S_ENTRY_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, e->debt_id);
    sqlite3_bind_int64(st, 2, e->partner_id);
    bind_text(st, 3, entry_kind_name(e->kind));
    sqlite3_bind_int64(st, 4, e->amount_cents);
    sqlite3_bind_int64(st, 5, e->fee_cents);
    bind_text(st, 6, e->trace_id);
    sqlite3_bind_int64(st, 7, e->reverses);
    sqlite3_bind_int(st, 8, e->payment_date);
    bind_text(st, 9, e->payment_source);
    sqlite3_bind_int64(st, 10, e->src.file_id);
    sqlite3_bind_int64(st, 11, e->src.line);
    bind_text(st, 12, now(s));
    sqlite3_bind_int(st, 13, e->final_on);
    sqlite3_bind_int64(st, 14, e->deducted_cents);
    int rc = run(s, st, "add ledger entry");
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static void read_entry(sqlite3_stmt *st, void *out)
{
    struct store_entry *e = out;
    char kind[16];
    memset(e, 0, sizeof(*e));
    e->deducted_cents = sqlite3_column_int64(st, 13);
    e->id = sqlite3_column_int64(st, 0);
    e->debt_id = sqlite3_column_int64(st, 1);
    e->partner_id = sqlite3_column_int64(st, 2);
    copy_text(kind, sizeof(kind), st, 3);
    e->kind = kind[0] == 'o'   ? ENTRY_OFFSET
              : kind[0] == 'r' ? ENTRY_REVERSAL
                               : ENTRY_COLLECTION;
    e->amount_cents = sqlite3_column_int64(st, 4);
    e->fee_cents = sqlite3_column_int64(st, 5);
    copy_text(e->trace_id, sizeof(e->trace_id), st, 6);
    e->reverses = sqlite3_column_int64(st, 7);
    e->payment_date = sqlite3_column_int(st, 8);
    copy_text(e->payment_source, sizeof(e->payment_source), st, 9);
    e->src.file_id = sqlite3_column_int64(st, 10);
    e->src.line = sqlite3_column_int64(st, 11);
    e->final_on = sqlite3_column_int(st, 12);
}

int store_offset_find(struct store *s, int64_t partner_id, const char *trace_id,
                      struct store_entry *out)
{
    sqlite3_stmt *st = stmt(s, S_OFFSET_FIND);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    bind_text(st, 2, trace_id);
    return one_row(s, st, out, read_entry, "offset");
}

int store_offset_reversed(struct store *s, int64_t offset_id, bool *reversed)
{
    int64_t n = 0;
    sqlite3_stmt *st = stmt(s, S_OFFSET_REVERSED);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, offset_id);
    int rc = one_row(s, st, &n, read_id, "reversal");
    *reversed = n > 0;
    return rc;
}

int store_sent_get(struct store *s, int64_t partner_id, int64_t debt_id,
                   int64_t *cents)
{
    sqlite3_stmt *st = stmt(s, S_SENT_GET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    sqlite3_bind_int64(st, 2, debt_id);
    return one_row(s, st, cents, read_id, "sent debt");
}

/* --- the setoff-program model ------------------------------------------ */

int store_claims_by_tin(struct store *s, char tin_type, const char *tin,
                        const char *program, int64_t *debtor_id,
                        struct store_name *name, struct store_claim *out,
                        size_t max, size_t *n)
{
    char type[2] = {tin_type, '\0'};
    unsigned char mac[TINSEAL_MAC_SIZE];
    bool found = false;
    int rc;
    *n = 0;
    /* a payment's TIN that no debtor could have is nobody's */
    if ((rc = tin_mac(s, tin_type, tin, mac)) == -EINVAL)
        return fail(s, -ENOENT, "debtor: not found");
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = stmt(s, S_CLAIMS_BY_TIN);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, type);
    sqlite3_bind_blob(st, 2, mac, sizeof mac, SQLITE_STATIC);
    bind_text(st, 3, program);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!found) {
            struct debtor_row d;
            read_debtor_row(st, &d);
            if (debtor_id != NULL)
                *debtor_id = d.id;
            if (name != NULL)
                *name = d.name;
            found = true;
        }
        /* a debtor without a claim here has one row of NULLs */
        if (sqlite3_column_type(st, 18) == SQLITE_NULL)
            continue;
        if (*n < max) {
            read_debt_at(st, 6, &out[*n].debt);
            copy_text(out[*n].agency_code, sizeof(out[*n].agency_code), st, 18);
        }
        (*n)++;
    }
    int code = rc != SQLITE_DONE ? db_fail(s, rc, "claims")
               : found           ? 0
                                 : fail(s, -ENOENT, "debtor: not found");
    sqlite3_reset(st);
    return code;
}

int store_program_debtors(struct store *s, const char *program,
                          int (*fn)(char tin_type, const char *tin,
                                    const struct store_name *name, void *ctx),
                          void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_PROGRAM_DEBTORS);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, program);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_name n;
        char type, tin[10];
        if ((stop = open_tin(s, st, 0, sqlite3_column_int64(st, 8), &type,
                             tin)) < 0)
            break;
        memset(&n, 0, sizeof(n));
        copy_text(n.last, sizeof(n.last), st, 3);
        copy_text(n.first, sizeof(n.first), st, 4);
        copy_text(n.middle, sizeof(n.middle), st, 5);
        copy_text(n.suffix, sizeof(n.suffix), st, 6);
        copy_text(n.name_control, sizeof(n.name_control), st, 7);
        stop = fn(type, tin, &n, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "program debtors");
    sqlite3_reset(st);
    return code;
}

int store_debtor_tins(struct store *s,
                      int (*fn)(char tin_type, const char *tin, void *ctx),
                      void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_DEBTOR_TINS);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char type, tin[10];
        if ((stop = open_tin(s, st, 0, sqlite3_column_int64(st, 3), &type,
                             tin)) < 0)
            break;
        stop = fn(type, tin, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "debtors");
    sqlite3_reset(st);
    return code;
}

int store_busy_ms(struct store *s, int ms)
{
    if (ms < 1 || ms > 3600000)
        return -EINVAL;
    return sqlite3_busy_timeout(s->db, ms) == SQLITE_OK ? 0 : -EIO;
}

int store_cache_mib(struct store *s, int mib)
{
    char pragma[64];
    if (mib < 1 || mib > 65536)
        return fail(s, -EINVAL, "a page cache of 1 to 65536 MiB");
    snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%d", mib * 1024);
    if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, SQLITE_ERROR, "cache size");
    return 0;
}

int store_payment_add(struct store *s, const struct store_payment *p,
                      int64_t *id)
{
    sqlite3_stmt *st = stmt(s, S_PAYMENT_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, p->partner_id);
    bind_text(st, 2, p->payment_id);
    sqlite3_bind_int64(st, 3, p->file_id);
    sqlite3_bind_int64(st, 4, p->line);
    bind_text(st, 5, p->source);
    sqlite3_bind_int(st, 6, p->payment_date);
    sqlite3_bind_int64(st, 7, p->amount_cents);
    sqlite3_bind_int64(st, 8, p->offset_cents);
    sqlite3_bind_int64(st, 9, p->fee_cents);
    sqlite3_bind_int64(st, 10, p->released_cents);
    sqlite3_bind_int(st, 11, p->final_on);
    bind_text(st, 12, p->payer_code);
    int rc = run(s, st, "add payment");
    if (rc == -EEXIST)
        return fail(s, rc, "payment '%s' was taken before", p->payment_id);
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static void read_payment(sqlite3_stmt *st, void *out)
{
    struct store_payment *p = out;
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(st, 0);
    p->partner_id = sqlite3_column_int64(st, 1);
    copy_text(p->payment_id, sizeof(p->payment_id), st, 2);
    p->file_id = sqlite3_column_int64(st, 3);
    p->line = sqlite3_column_int64(st, 4);
    copy_text(p->source, sizeof(p->source), st, 5);
    p->payment_date = sqlite3_column_int(st, 6);
    p->amount_cents = sqlite3_column_int64(st, 7);
    p->offset_cents = sqlite3_column_int64(st, 8);
    p->fee_cents = sqlite3_column_int64(st, 9);
    p->released_cents = sqlite3_column_int64(st, 10);
    p->final_on = sqlite3_column_int(st, 11);
    copy_text(p->payer_code, sizeof(p->payer_code), st, 12);
}

int store_payment_find(struct store *s, int64_t partner_id,
                       const char *payment_id, struct store_payment *out)
{
    sqlite3_stmt *st = stmt(s, S_PAYMENT_FIND);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    bind_text(st, 2, payment_id);
    return one_row(s, st, out, read_payment, "payment");
}

/* Up to five int64 columns of one row into the non-NULL pointers. */
struct sums {
    int64_t *v[5];
};

static void read_sums(sqlite3_stmt *st, void *out)
{
    struct sums *x = out;
    for (int i = 0; i < 5; i++)
        if (x->v[i] != NULL)
            *x->v[i] = sqlite3_column_int64(st, i);
}

int store_payment_totals(struct store *s, int64_t file_id, int64_t *n,
                         int64_t *amount, int64_t *offsets, int64_t *fees,
                         int64_t *released)
{
    struct sums x = {{n, amount, offsets, fees, released}};
    sqlite3_stmt *st = stmt(s, S_PAYMENT_TOTALS);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, file_id);
    return one_row(s, st, &x, read_sums, "payment totals");
}

int store_ledger_file_totals(struct store *s, int64_t file_id, int64_t *n,
                             int64_t *amount, int64_t *fees)
{
    struct sums x = {{n, amount, fees, NULL, NULL}};
    sqlite3_stmt *st = stmt(s, S_LEDGER_FILE_TOTALS);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, file_id);
    return one_row(s, st, &x, read_sums, "ledger totals");
}

int store_offsets_by_prefix(struct store *s, int64_t partner_id,
                            const char *prefix,
                            int (*fn)(const struct store_entry *e, void *ctx),
                            void *ctx)
{
    char end[64];
    size_t n = prefix ? strlen(prefix) : 0;
    int rc, stop = 0;
    if (n == 0 || n >= sizeof(end) || (unsigned char)prefix[n - 1] == 0xff)
        return fail(s, -EINVAL, "a trace id prefix of 1 to %zu bytes",
                    sizeof(end) - 1);
    memcpy(end, prefix, n + 1);
    end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
    sqlite3_stmt *st = stmt(s, S_OFFSETS_BY_PREFIX);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    bind_text(st, 2, prefix);
    bind_text(st, 3, end);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_entry e;
        read_entry(st, &e);
        stop = fn(&e, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "offsets");
    sqlite3_reset(st);
    return code;
}

int store_appeal_add(struct store *s, int64_t entry_id, int32_t filed_on,
                     int64_t *id)
{
    sqlite3_stmt *st = stmt(s, S_APPEAL_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, entry_id);
    sqlite3_bind_int(st, 2, filed_on);
    bind_text(st, 3, now(s));
    int rc = run(s, st, "add appeal");
    if (rc == -EEXIST)
        return fail(s, rc, "offset %lld was appealed before",
                    (long long)entry_id);
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static void read_int32(sqlite3_stmt *st, void *out)
{
    *(int32_t *)out = sqlite3_column_int(st, 0);
}

int store_appeal_get(struct store *s, int64_t entry_id, int32_t *filed_on)
{
    sqlite3_stmt *st = stmt(s, S_APPEAL_GET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, entry_id);
    return one_row(s, st, filed_on, read_int32, "appeal");
}

static const char *const decision_names[] = {"denied", "upheld"};

const char *appeal_decision_name(enum appeal_decision decision)
{
    return (unsigned)decision < 2 ? decision_names[decision] : "unknown";
}

int store_decision_add(struct store *s, const struct store_decision *d,
                       int64_t *id)
{
    bool upheld = d->decision == APPEAL_UPHELD;
    if ((unsigned)d->decision > APPEAL_UPHELD ||
        upheld != (d->reversal_id > 0) || d->released_cents < 0)
        return fail(s, -EINVAL,
                    "an upheld appeal has its reversal, a "
                    "denied one none");
    sqlite3_stmt *st = stmt(s, S_DECISION_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, d->entry_id);
    bind_text(st, 2, appeal_decision_name(d->decision));
    sqlite3_bind_int(st, 3, d->decided_on);
    sqlite3_bind_int(st, 4, d->final_on);
    sqlite3_bind_int64(st, 5, d->reversal_id);
    sqlite3_bind_int64(st, 6, d->released_cents);
    bind_text(st, 7, now(s));
    int rc = run(s, st, "add appeal decision");
    if (rc == -EEXIST)
        return fail(s, rc, "the appeal of offset %lld was decided before",
                    (long long)d->entry_id);
    if (rc == -EINVAL)
        return fail(s, rc, "offset %lld was never appealed",
                    (long long)d->entry_id);
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static void read_decision(sqlite3_stmt *st, void *out)
{
    struct store_decision *d = out;
    char decision[16];
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    d->entry_id = sqlite3_column_int64(st, 1);
    copy_text(decision, sizeof(decision), st, 2);
    d->decision = decision[0] == 'u' ? APPEAL_UPHELD : APPEAL_DENIED;
    d->decided_on = sqlite3_column_int(st, 3);
    d->final_on = sqlite3_column_int(st, 4);
    d->reversal_id = sqlite3_column_int64(st, 5);
    d->released_cents = sqlite3_column_int64(st, 6);
}

int store_decision_get(struct store *s, int64_t entry_id,
                       struct store_decision *out)
{
    sqlite3_stmt *st = stmt(s, S_DECISION_GET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, entry_id);
    return one_row(s, st, out, read_decision, "appeal decision");
}

int store_payment_money(struct store *s, int64_t partner_id,
                        const char *payment_id, struct store_payment_money *out)
{
    char prefix[40], end[40];
    size_t n = payment_id ? strlen(payment_id) : 0;
    memset(out, 0, sizeof(*out));
    if (n == 0 || n + 2 > sizeof(prefix))
        return fail(s, -EINVAL, "a payment id of 1 to %zu bytes",
                    sizeof(prefix) - 2);
    memcpy(prefix, payment_id, n);
    prefix[n] = '.';
    prefix[n + 1] = '\0';
    memcpy(end, prefix, n + 2);
    end[n] = '.' + 1;
    struct sums x = {{&out->offset_cents, &out->deducted_cents,
                      &out->reversed_cents, &out->refunded_cents,
                      &out->released_later_cents}};
    sqlite3_stmt *st = stmt(s, S_PAYMENT_MONEY);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, partner_id);
    bind_text(st, 2, prefix);
    bind_text(st, 3, end);
    return one_row(s, st, &x, read_sums, "payment money");
}

/* --- remittances -------------------------------------------------------- */

int store_remittable_each(struct store *s, int64_t payer_id, int32_t day,
                          int (*fn)(const struct store_remittable *r,
                                    void *ctx),
                          void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_REMITTABLE);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_int(st, 2, day);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_remittable r;
        memset(&r, 0, sizeof(r));
        read_entry(st, &r.entry);
        r.agency_id = sqlite3_column_int64(st, 14);
        copy_text(r.account, sizeof(r.account), st, 15);
        r.final_on = sqlite3_column_int(st, 16);
        stop = fn(&r, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "remittable offsets");
    sqlite3_reset(st);
    return code;
}

int store_remittance_add(struct store *s, const struct store_remittance *r,
                         int64_t *id)
{
    sqlite3_stmt *st = stmt(s, S_REMITTANCE_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, r->payer_id);
    sqlite3_bind_int64(st, 2, r->agency_id);
    sqlite3_bind_int(st, 3, r->remitted_on);
    sqlite3_bind_int64(st, 4, r->offsets);
    sqlite3_bind_int64(st, 5, r->amount_cents);
    sqlite3_bind_int64(st, 6, r->fee_cents);
    sqlite3_bind_int64(st, 7, r->net_cents);
    bind_text(st, 8, now(s));
    int rc = run(s, st, "add remittance");
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_remitted_add(struct store *s, int64_t remittance_id,
                       const struct store_entry *e)
{
    sqlite3_stmt *st = stmt(s, S_REMITTED_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, e->id);
    sqlite3_bind_int64(st, 2, remittance_id);
    sqlite3_bind_int64(st, 3, e->amount_cents);
    sqlite3_bind_int64(st, 4, e->fee_cents);
    sqlite3_bind_int64(st, 5, e->amount_cents - e->fee_cents);
    int rc = run(s, st, "add remitted offset");
    if (rc == -EEXIST)
        return fail(s, rc, "offset %lld was remitted before", (long long)e->id);
    return rc;
}

int store_remitted_get(struct store *s, int64_t entry_id,
                       int64_t *remittance_id)
{
    sqlite3_stmt *st = stmt(s, S_REMITTED_GET);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, entry_id);
    return one_row(s, st, remittance_id, read_id, "remitted offset");
}

/* --- outputs ------------------------------------------------------------ */

int store_output_add(struct store *s, const struct store_output *o, int64_t *id)
{
    sqlite3_stmt *st = stmt(s, S_OUTPUT_ADD);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, o->file_id);
    bind_text(st, 2, o->tmp_path);
    bind_text(st, 3, o->final_path);
    int rc = run(s, st, "add output");
    if (rc == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_output_each_pending(struct store *s,
                              int (*fn)(const struct store_output *o,
                                        void *ctx),
                              void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_OUTPUT_PENDING);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_output o;
        memset(&o, 0, sizeof(o));
        o.id = sqlite3_column_int64(st, 0);
        o.file_id = sqlite3_column_int64(st, 1);
        copy_text(o.tmp_path, sizeof(o.tmp_path), st, 2);
        copy_text(o.final_path, sizeof(o.final_path), st, 3);
        stop = fn(&o, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "list outputs");
    sqlite3_reset(st);
    return code;
}

int store_output_delivered(struct store *s, int64_t id)
{
    sqlite3_stmt *st = stmt(s, S_OUTPUT_DELIVERED);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return run(s, st, "deliver output");
}

int store_output_is_pending(struct store *s, const char *tmp_path,
                            bool *pending)
{
    int64_t n = 0;
    sqlite3_stmt *st = stmt(s, S_OUTPUT_IS_PENDING);
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, tmp_path);
    int rc = one_row(s, st, &n, read_id, "output");
    *pending = n > 0;
    return rc;
}

int store_cycle_finish(struct store *s, const struct store_cycle *c)
{
    sqlite3_stmt *st = stmt(s, S_CYCLE_FINISH);
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, c->file_id);
    sqlite3_bind_int64(st, 2, c->records);
    sqlite3_bind_int64(st, 3, c->amount_cents);
    sqlite3_bind_int64(st, 4, c->id);
    return run(s, st, "finish cycle");
}

int store_reconcile_each(struct store *s, int64_t agency_id,
                         const char *from_at, const char *to_at,
                         int (*fn)(const struct store_recon *r, void *ctx),
                         void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_RECONCILE);
    int rc, stop = 0;
    if (st == NULL)
        return -EIO;
    bind_text(st, 1, from_at);
    bind_text(st, 2, to_at);
    sqlite3_bind_int64(st, 3, agency_id);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_recon r = {.debt_id = sqlite3_column_int64(st, 0)};
        copy_text(r.account, sizeof(r.account), st, 1);
        int64_t opening = sqlite3_column_int64(st, 2);
        int64_t closing = sqlite3_column_int64(st, 3);
        r.existed = closing >= 0;
        r.opening = opening < 0 ? 0 : opening;
        r.closing = closing < 0 ? 0 : closing;
        r.additions = sqlite3_column_int64(st, 4);
        r.collections = sqlite3_column_int64(st, 5);
        r.reversals = sqlite3_column_int64(st, 6);
        r.adjustments = sqlite3_column_int64(st, 7);
        r.fees = sqlite3_column_int64(st, 8);
        r.ledger_collections = sqlite3_column_int64(st, 9);
        r.ledger_reversals = sqlite3_column_int64(st, 10);
        r.reported_net = sqlite3_column_int64(st, 11);
        r.remitted_net = sqlite3_column_int64(st, 12);
        stop = fn(&r, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : db_fail(s, rc, "reconcile");
    sqlite3_reset(st);
    return code;
}

int store_count(struct store *s, const char *what, int64_t *n)
{
    static const struct {
        const char *name;
        enum stmt_id id;
    } counts[] = {{"debts", S_COUNT_DEBTS},
                  {"history", S_COUNT_HISTORY},
                  {"debtors", S_COUNT_DEBTORS},
                  {"files", S_COUNT_FILES},
                  {"ledger", S_COUNT_LEDGER}};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        if (strcmp(counts[i].name, what) != 0)
            continue;
        sqlite3_stmt *st = stmt(s, counts[i].id);
        if (st == NULL)
            return -EIO;
        return one_row(s, st, n, read_id, what);
    }
    return fail(s, -EINVAL, "nothing called '%s' to count", what);
}
