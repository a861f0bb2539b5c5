/*
 * schema.c - the registry's schema and its migrations.
 *
 * Owns the SQL that creates and upgrades the database.  Each migration
 * takes the schema from version N-1 to N (PRAGMA user_version) inside one
 * transaction; a database newer than this build is refused.  The
 * registry's invariants that must hold whatever the code does are
 * triggers here: a debt is never deleted, history is append-only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "offsetgw/tinseal.h"
#include "storeInt.h"

static const char *const migrations[] = {
    /* 1: the first registry */
    "CREATE TABLE partners ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL"
    "    CHECK (kind IN ('agency','taxboard','treasury','payer')),"
    "  program TEXT NOT NULL,"
    "  agency_code TEXT NOT NULL DEFAULT '',"
    "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE TABLE files ("
    "  id INTEGER PRIMARY KEY,"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  name TEXT NOT NULL,"
    "  outbound INTEGER NOT NULL CHECK (outbound IN (0, 1)),"
    "  exchange TEXT NOT NULL,"
    "  layout TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('received','accepted',"
    "    'partial','rejected','duplicate','sent')),"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  accepted INTEGER NOT NULL DEFAULT 0,"
    "  rejected INTEGER NOT NULL DEFAULT 0,"
    "  amount_cents INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '',"
    "  duplicate_of INTEGER REFERENCES files(id),"
    "  received_at TEXT NOT NULL"
    "    DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  finished_at TEXT"
    ");"
    "CREATE INDEX files_sha ON files(partner_id, sha256);"
    /* the current name is on the debtor; debtor_names keeps the names
     * it had before, each with the file that replaced it */
    "CREATE TABLE debtors ("
    "  id INTEGER PRIMARY KEY,"
    "  tin_type TEXT NOT NULL CHECK (tin_type = 'S' OR tin_type = 'E'),"
    "  tin TEXT NOT NULL CHECK (length(tin) = 9),"
    "  last_name TEXT NOT NULL DEFAULT '',"
    "  first_name TEXT NOT NULL DEFAULT '',"
    "  middle TEXT NOT NULL DEFAULT '',"
    "  suffix TEXT NOT NULL DEFAULT '',"
    "  name_control TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (tin_type, tin)"
    ");"
    "CREATE TABLE debtor_names ("
    "  id INTEGER PRIMARY KEY,"
    "  debtor_id INTEGER NOT NULL REFERENCES debtors(id),"
    "  last_name TEXT NOT NULL,"
    "  first_name TEXT NOT NULL DEFAULT '',"
    "  middle TEXT NOT NULL DEFAULT '',"
    "  suffix TEXT NOT NULL DEFAULT '',"
    "  name_control TEXT NOT NULL,"
    "  file_id INTEGER REFERENCES files(id),"
    "  seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE INDEX debtor_names_debtor ON debtor_names(debtor_id, id);"
    "CREATE TABLE debts ("
    "  id INTEGER PRIMARY KEY,"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  account TEXT NOT NULL,"
    "  debtor_id INTEGER NOT NULL REFERENCES debtors(id),"
    "  debt_type TEXT NOT NULL,"
    "  original_cents INTEGER NOT NULL CHECK (original_cents >= 0),"
    "  balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0),"
    "  fees_cents INTEGER NOT NULL DEFAULT 0 CHECK (fees_cents >= 0),"
    /* not "IN (...)": that builds a temporary index on every insert */
    "  status TEXT NOT NULL"
    "    CHECK (length(status) = 1 AND instr('PEDNSCX', status) > 0),"
    "  delinquency_date INTEGER NOT NULL DEFAULT 0,"
    "  notice_date INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (partner_id, account)"
    ");"
    "CREATE INDEX debts_debtor ON debts(debtor_id);"
    "CREATE TABLE debt_history ("
    "  id INTEGER PRIMARY KEY,"
    "  debt_id INTEGER NOT NULL REFERENCES debts(id),"
    "  change TEXT NOT NULL,"
    "  old_balance INTEGER NOT NULL,"
    "  new_balance INTEGER NOT NULL,"
    "  old_status TEXT NOT NULL,"
    "  new_status TEXT NOT NULL,"
    "  file_id INTEGER REFERENCES files(id),"
    "  line INTEGER NOT NULL DEFAULT 0,"
    "  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE INDEX debt_history_debt ON debt_history(debt_id, id);"
    "CREATE TABLE cycles ("
    "  id INTEGER PRIMARY KEY,"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  file_id INTEGER REFERENCES files(id),"
    "  high_water INTEGER NOT NULL,"
    "  records INTEGER NOT NULL,"
    "  amount_cents INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL"
    "    DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE INDEX cycles_partner ON cycles(partner_id, id);"
    /* the invariants no code may break */
    "CREATE TRIGGER debts_never_deleted BEFORE DELETE ON debts"
    " BEGIN SELECT RAISE(ABORT, 'a debt is never deleted: zero it'); END;"
    "CREATE TRIGGER history_no_update BEFORE UPDATE ON debt_history"
    " BEGIN SELECT RAISE(ABORT, 'debt history is append-only'); END;"
    "CREATE TRIGGER history_no_delete BEFORE DELETE ON debt_history"
    " BEGIN SELECT RAISE(ABORT, 'debt history is append-only'); END;"
    "CREATE TRIGGER debtors_never_deleted BEFORE DELETE ON debtors"
    " BEGIN SELECT RAISE(ABORT, 'a debtor is never deleted'); END;",
    /* 2: outputs written to a temporary name, committed with the work
     * that made them, then renamed into the outbox */
    "CREATE TABLE outputs ("
    "  id INTEGER PRIMARY KEY,"
    "  file_id INTEGER NOT NULL REFERENCES files(id),"
    "  tmp_path TEXT NOT NULL,"
    "  final_path TEXT NOT NULL UNIQUE,"
    "  delivered INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),"
    "  delivered_at TEXT"
    ");"
    "CREATE INDEX outputs_pending ON outputs(delivered, id);"
    "ALTER TABLE files ADD COLUMN made_from INTEGER REFERENCES files(id);",
    /* 3: what each outbound partner was last told of each debt, so a
     * cycle sends the difference and nothing twice */
    "CREATE TABLE sent_debts ("
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  debt_id INTEGER NOT NULL REFERENCES debts(id),"
    "  amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),"
    "  cycle_id INTEGER NOT NULL REFERENCES cycles(id),"
    "  PRIMARY KEY (partner_id, debt_id)"
    ") WITHOUT ROWID;"
    /* fields of the agency's record that the registry does not model,
     * "name=value" lines, passed on to partner files that ask for them */
    "ALTER TABLE debts ADD COLUMN attributes TEXT NOT NULL DEFAULT '';",
    /* 4: the ledger: every movement of money against a debt, with where
     * it came from; never changed, never deleted */
    "CREATE TABLE ledger ("
    "  id INTEGER PRIMARY KEY,"
    "  debt_id INTEGER NOT NULL REFERENCES debts(id),"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  kind TEXT NOT NULL CHECK (kind = 'offset' OR kind = 'reversal' OR"
    "    kind = 'collection'),"
    "  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),"
    "  fee_cents INTEGER NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),"
    "  trace_id TEXT NOT NULL DEFAULT '',"
    "  reverses INTEGER REFERENCES ledger(id),"
    "  payment_date INTEGER NOT NULL DEFAULT 0,"
    "  payment_source TEXT NOT NULL DEFAULT '',"
    "  file_id INTEGER REFERENCES files(id),"
    "  line INTEGER NOT NULL DEFAULT 0,"
    "  at TEXT NOT NULL"
    ");"
    /* an offset's trace id is its partner's name for it: once each */
    "CREATE UNIQUE INDEX ledger_offset_trace ON ledger(partner_id, trace_id)"
    "  WHERE kind = 'offset';"
    /* an offset is reversed once at most */
    "CREATE UNIQUE INDEX ledger_one_reversal ON ledger(reverses)"
    "  WHERE reverses IS NOT NULL;"
    "CREATE INDEX ledger_debt ON ledger(debt_id, id);"
    "CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger"
    " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger"
    " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;",
    /* 5: the setoff-program model.  An offset the gateway computed from a
     * payer's payment is final on final_on (yyyymmdd; 0: at once, as a
     * partner's reported events are); until then it may be appealed.
     * Each payment that found a debtor is kept with its money, which
     * must add up; an appeal holds one offset (its decision, when there
     * is one, is to be a row of its own).  IF NOT EXISTS: a registry
     * taken back to an older version by hand, as test_store does by
     * dropping the older tables, keeps these. */
    "ALTER TABLE ledger ADD COLUMN final_on INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE IF NOT EXISTS payments ("
    "  id INTEGER PRIMARY KEY,"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  payment_id TEXT NOT NULL,"
    "  file_id INTEGER NOT NULL REFERENCES files(id),"
    "  line INTEGER NOT NULL,"
    "  source TEXT NOT NULL,"
    "  payment_date INTEGER NOT NULL,"
    "  amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),"
    "  offset_cents INTEGER NOT NULL CHECK (offset_cents >= 0),"
    "  fee_cents INTEGER NOT NULL CHECK (fee_cents >= 0),"
    "  released_cents INTEGER NOT NULL CHECK (released_cents >= 0),"
    "  final_on INTEGER NOT NULL,"
    /* the money invariant, kept by the database too */
    "  CHECK (offset_cents + fee_cents + released_cents = amount_cents),"
    "  UNIQUE (partner_id, payment_id)"
    ");"
    "CREATE TRIGGER IF NOT EXISTS payments_no_update BEFORE UPDATE ON payments"
    " BEGIN SELECT RAISE(ABORT, 'payments are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS payments_no_delete BEFORE DELETE ON payments"
    " BEGIN SELECT RAISE(ABORT, 'payments are append-only'); END;"
    "CREATE TABLE IF NOT EXISTS appeals ("
    "  id INTEGER PRIMARY KEY,"
    "  entry_id INTEGER NOT NULL UNIQUE REFERENCES ledger(id),"
    "  filed_on INTEGER NOT NULL,"
    "  at TEXT NOT NULL"
    ");"
    "CREATE TRIGGER IF NOT EXISTS appeals_no_update BEFORE UPDATE ON appeals"
    " BEGIN SELECT RAISE(ABORT, 'appeals are append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS appeals_no_delete BEFORE DELETE ON appeals"
    " BEGIN SELECT RAISE(ABORT, 'appeals are append-only'); END;",
    /* 6: the address request that comes before a TOP referral: the cycle
     * that last asked a partner about a debt in status P (NULL: not
     * asked since the debt entered P).  A cycle id, not a REFERENCES
     * column, so that test_store can take a registry back a version. */
    "ALTER TABLE debts ADD COLUMN requested_cycle INTEGER;",
    /* 7: the end of the setoff model's money.  deducted_cents: the fee a
     * payer's offset took from the payment itself (Utah's per-agency
     * fee), so that an upheld appeal can give it back; on a reversal,
     * what it gave back.  payer_code: the header's of the payment's
     * file.  An appeal is decided once (a row of its own:
     * the appeal stays as filed): denied, the offset is final on the
     * decision's final_on; upheld, it is reversed (reversal_id) and
     * released_cents go back to the payee.  A remittance pays one agency
     * the final offsets of one payer on one day; each offset is remitted
     * once (remitted_offsets' key).  All append-only. */
    "ALTER TABLE ledger ADD COLUMN deducted_cents INTEGER NOT NULL DEFAULT 0"
    "  CHECK (deducted_cents >= 0);"
    /* the code the payer's file named itself by, for the files that
     * answer it later (a release) */
    "ALTER TABLE payments ADD COLUMN payer_code TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE appeal_decisions ("
    "  id INTEGER PRIMARY KEY,"
    "  entry_id INTEGER NOT NULL UNIQUE REFERENCES appeals(entry_id),"
    "  decision TEXT NOT NULL CHECK (decision = 'denied' OR"
    "    decision = 'upheld'),"
    "  decided_on INTEGER NOT NULL,"
    "  final_on INTEGER NOT NULL,"
    "  reversal_id INTEGER REFERENCES ledger(id),"
    "  released_cents INTEGER NOT NULL DEFAULT 0"
    "    CHECK (released_cents >= 0),"
    "  at TEXT NOT NULL,"
    "  CHECK ((decision = 'upheld') = (reversal_id IS NOT NULL)),"
    "  CHECK (decision = 'upheld' OR released_cents = 0)"
    ");"
    "CREATE TABLE remittances ("
    "  id INTEGER PRIMARY KEY,"
    "  payer_id INTEGER NOT NULL REFERENCES partners(id),"
    "  agency_id INTEGER NOT NULL REFERENCES partners(id),"
    "  remitted_on INTEGER NOT NULL,"
    "  offsets INTEGER NOT NULL CHECK (offsets > 0),"
    "  amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),"
    "  fee_cents INTEGER NOT NULL CHECK (fee_cents >= 0),"
    "  net_cents INTEGER NOT NULL,"
    "  at TEXT NOT NULL,"
    "  CHECK (net_cents = amount_cents - fee_cents)"
    ");"
    "CREATE INDEX remittances_at ON remittances(at);"
    "CREATE TABLE remitted_offsets ("
    "  entry_id INTEGER PRIMARY KEY REFERENCES ledger(id),"
    "  remittance_id INTEGER NOT NULL REFERENCES remittances(id),"
    "  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),"
    "  fee_cents INTEGER NOT NULL CHECK (fee_cents >= 0),"
    "  net_cents INTEGER NOT NULL,"
    "  CHECK (net_cents = amount_cents - fee_cents)"
    ");"
    "CREATE TRIGGER decisions_no_update BEFORE UPDATE ON appeal_decisions"
    " BEGIN SELECT RAISE(ABORT, 'appeal decisions are append-only'); END;"
    "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON appeal_decisions"
    " BEGIN SELECT RAISE(ABORT, 'appeal decisions are append-only'); END;"
    "CREATE TRIGGER remittances_no_update BEFORE UPDATE ON remittances"
    " BEGIN SELECT RAISE(ABORT, 'remittances are append-only'); END;"
    "CREATE TRIGGER remittances_no_delete BEFORE DELETE ON remittances"
    " BEGIN SELECT RAISE(ABORT, 'remittances are append-only'); END;"
    "CREATE TRIGGER remitted_no_update BEFORE UPDATE ON remitted_offsets"
    " BEGIN SELECT RAISE(ABORT, 'remitted offsets are append-only'); END;"
    "CREATE TRIGGER remitted_no_delete BEFORE DELETE ON remitted_offsets"
    " BEGIN SELECT RAISE(ABORT, 'remitted offsets are append-only'); END;",
    /* 8: the SFTP front end (transfer.h).  The keys partners log in with
     * (a key is one partner's only); every login attempt and every
     * transfer, append-only; and the queue of finished uploads, whose
     * state moves queued -> running -> done or failed (a running job
     * found at start is run again: files.queue_id tells whether its
     * work committed). */
    "CREATE TABLE partner_keys ("
    "  id INTEGER PRIMARY KEY,"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  key_type TEXT NOT NULL,"
    "  key_base64 TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  comment TEXT NOT NULL DEFAULT '',"
    "  added_at TEXT NOT NULL,"
    "  UNIQUE (key_type, key_base64)"
    ");"
    "CREATE INDEX partner_keys_partner ON partner_keys(partner_id);"
    "CREATE TABLE logins ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  user TEXT NOT NULL,"
    "  partner_id INTEGER REFERENCES partners(id),"
    "  address TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL DEFAULT '',"
    "  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),"
    "  reason TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE TABLE transfers ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('upload', 'download', 'remove',"
    "    'rename')),"
    "  path TEXT NOT NULL,"
    "  to_path TEXT NOT NULL DEFAULT '',"
    "  bytes INTEGER NOT NULL DEFAULT 0,"
    "  duration_ms INTEGER NOT NULL DEFAULT 0,"
    "  sha256 TEXT NOT NULL DEFAULT '',"
    "  status INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),"
    "  message TEXT NOT NULL DEFAULT '',"
    "  queue_id INTEGER"
    ");"
    "CREATE INDEX transfers_partner ON transfers(partner_id, id);"
    "CREATE TABLE queue ("
    "  id INTEGER PRIMARY KEY,"
    "  partner_id INTEGER NOT NULL REFERENCES partners(id),"
    "  name TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done',"
    "    'failed')),"
    "  queued_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  result TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX queue_state ON queue(state, id);"
    "ALTER TABLE files ADD COLUMN queue_id INTEGER;"
    "CREATE TRIGGER logins_no_update BEFORE UPDATE ON logins"
    " BEGIN SELECT RAISE(ABORT, 'the login log is append-only'); END;"
    "CREATE TRIGGER logins_no_delete BEFORE DELETE ON logins"
    " BEGIN SELECT RAISE(ABORT, 'the login log is append-only'); END;"
    "CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers"
    " BEGIN SELECT RAISE(ABORT, 'the transfer log is append-only'); END;"
    "CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers"
    " BEGIN SELECT RAISE(ABORT, 'the transfer log is append-only'); END;",
    /* 9: a tax board's or treasury's daily cycle ("HH:MM", UTC),
     * run by serve's worker, and the day it last ran */
    "ALTER TABLE partners ADD COLUMN cycle_daily TEXT NOT NULL DEFAULT ''"
    "  CHECK (cycle_daily = '' OR (length(cycle_daily) = 5 AND"
    "  substr(cycle_daily, 3, 1) = ':' AND substr(cycle_daily, 1, 2)"
    "  BETWEEN '00' AND '23' AND substr(cycle_daily, 4, 2) BETWEEN '00' AND"
    "  '59'));"
    "ALTER TABLE partners ADD COLUMN cycle_ran_on INTEGER NOT NULL"
    "  DEFAULT 0;",
    /* 10: the audit trail (audit.h): rows chained by an HMAC of the row
     * before and their own fields; never edited, never deleted (the
     * triggers stop honest mistakes, the chain shows the rest) */
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  subject TEXT NOT NULL DEFAULT '',"
    "  detail TEXT NOT NULL DEFAULT '',"
    "  mac TEXT NOT NULL CHECK (length(mac) = 64)"
    ");"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    /* 11: how long a partner's outbox files and received uploads are
     * kept (retention.h); 0: always */
    "ALTER TABLE partners ADD COLUMN retention_days INTEGER NOT NULL"
    "  DEFAULT 0 CHECK (retention_days >= 0);",
    /* 12: the admin console's accounts (account.h): a slow hash of each
     * password, and the failures that lock an account for a while */
    "CREATE TABLE admins ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  hash TEXT NOT NULL,"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  locked_until INTEGER NOT NULL DEFAULT 0,"
    "  last_login TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL"
    ");",
    /* 13: the newest job of an upload's name, asked at a client's STAT
     * right after the upload left the inbox (cli_serve.c) */
    "CREATE INDEX queue_name ON queue(partner_id, name, id);",
    /* 14: no TIN in the clear (keyring.c, tinseal.h).  The TIN encryption
     * and index keys, wrapped under the home's master key; each debtor's
     * TIN as an index MAC (what lookups and uniqueness use) and sealed
     * (what reads give back).  The debtors table is rebuilt (sqlite
     * cannot drop a UNIQUE column) keeping every id: migrate_debtors()
     * fills debtors_v14, then MIGRATION_14_AFTER swaps it in. */
    "CREATE TABLE keyring ("
    "  name TEXT PRIMARY KEY CHECK (name = 'tin-enc' OR name = 'tin-index'),"
    "  master_id BLOB NOT NULL CHECK (length(master_id) = 8),"
    "  wrapped BLOB NOT NULL CHECK (length(wrapped) = 60),"
    "  created_at TEXT NOT NULL,"
    "  wrapped_at TEXT NOT NULL"
    ");"
    "CREATE TRIGGER keyring_no_delete BEFORE DELETE ON keyring"
    " BEGIN SELECT RAISE(ABORT, 'the TIN keys are never deleted'); END;"
    "CREATE TABLE debtors_v14 ("
    "  id INTEGER PRIMARY KEY,"
    "  tin_type TEXT NOT NULL CHECK (tin_type = 'S' OR tin_type = 'E'),"
    "  tin_mac BLOB NOT NULL CHECK (length(tin_mac) = 32),"
    "  tin_enc BLOB NOT NULL CHECK (length(tin_enc) = 38),"
    "  last_name TEXT NOT NULL DEFAULT '',"
    "  first_name TEXT NOT NULL DEFAULT '',"
    "  middle TEXT NOT NULL DEFAULT '',"
    "  suffix TEXT NOT NULL DEFAULT '',"
    "  name_control TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (tin_type, tin_mac)"
    ");",
    /* 15: an inbound file's rejected records counted by error code, for
     * the console's file page (reply.c writes them with the answer) */
    "CREATE TABLE file_rejects ("
    "  file_id INTEGER NOT NULL REFERENCES files(id),"
    "  code TEXT NOT NULL,"
    "  n INTEGER NOT NULL CHECK (n > 0),"
    "  PRIMARY KEY (file_id, code)"
    ") WITHOUT ROWID;",
    /* 16: an admin's client certificate for the console (its SHA-256
     * fingerprint to find the admin, its PEM for the TLS trust list) */
    "ALTER TABLE admins ADD COLUMN cert_sha256 TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE admins ADD COLUMN cert_pem TEXT NOT NULL DEFAULT '';"
    "CREATE UNIQUE INDEX admins_cert ON admins(cert_sha256)"
    "  WHERE cert_sha256 <> '';",
};

/* The end of migration 14, once debtors_v14 holds every debtor: the old
 * table (and its index of clear TINs) goes, the new one takes its name
 * (the references to debtors(id) keep pointing at the same ids). */
#define MIGRATION_14_AFTER                                                     \
    "DROP TABLE debtors;"                                                      \
    "ALTER TABLE debtors_v14 RENAME TO debtors;"                               \
    "CREATE TRIGGER debtors_never_deleted BEFORE DELETE ON debtors"            \
    " BEGIN SELECT RAISE(ABORT, 'a debtor is never deleted'); END;"

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION,
               "one migration per schema version");

static int user_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else
        rc = SQLITE_ERROR;
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Migration 14's middle: every debtor of the old table into debtors_v14,
 * its TIN sealed, its id kept.  A registry with debtors needs the
 * master key (the keyring is made with it, in this transaction). */
static int migrate_debtors(struct store *s, const struct aead_key *master,
                           char *err, size_t err_size)
{
    sqlite3 *db = store_sqlite(s);
    sqlite3_stmt *rd = NULL, *wr = NULL;
    int64_t n = 0;
    int rc = -1, step;
    if (master != NULL && keyring_create(s, master) < 0) {
        snprintf(err, err_size, "%s", store_error(s));
        return -1;
    }
    struct tinseal *t = store_tinseal(s);
    if (sqlite3_prepare_v2(db,
                           "SELECT id, tin_type, tin, last_name, first_name,"
                           " middle, suffix, name_control FROM debtors"
                           " ORDER BY id",
                           -1, &rd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO debtors_v14 (id, tin_type, tin_mac,"
                           " tin_enc, last_name, first_name, middle, suffix,"
                           " name_control) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &wr, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "%s", sqlite3_errmsg(db));
        goto out;
    }
    while ((step = sqlite3_step(rd)) == SQLITE_ROW) {
        unsigned char mac[TINSEAL_MAC_SIZE], sealed[TINSEAL_SEALED_SIZE];
        const char *type = (const char *)sqlite3_column_text(rd, 1);
        const char *tin = (const char *)sqlite3_column_text(rd, 2);
        if (t == NULL) {
            snprintf(err, err_size,
                     "the registry's TINs must be encrypted: open it with the"
                     " home's master key (keys/master.key)");
            goto out;
        }
        if (type == NULL || tin == NULL ||
            tinseal_mac(t, type[0], tin, mac) < 0 ||
            tinseal_seal(t, type[0], tin, mac, sealed) < 0) {
            snprintf(err, err_size, "debtor %lld: cannot seal its TIN",
                     (long long)sqlite3_column_int64(rd, 0));
            goto out;
        }
        sqlite3_reset(wr);
        sqlite3_bind_int64(wr, 1, sqlite3_column_int64(rd, 0));
        sqlite3_bind_text(wr, 2, type, 1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(wr, 3, mac, sizeof mac, SQLITE_TRANSIENT);
        sqlite3_bind_blob(wr, 4, sealed, sizeof sealed, SQLITE_TRANSIENT);
        for (int c = 3; c < 8; c++)
            sqlite3_bind_value(wr, c + 2, sqlite3_column_value(rd, c));
        if (sqlite3_step(wr) != SQLITE_DONE) {
            snprintf(err, err_size, "debtor %lld: %s",
                     (long long)sqlite3_column_int64(rd, 0),
                     sqlite3_errmsg(db));
            goto out;
        }
        n++;
    }
    if (step != SQLITE_DONE) {
        snprintf(err, err_size, "%s", sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(rd);
    sqlite3_finalize(wr);
    return rc;
}

/* After a table rebuild, with foreign keys off: does every reference
 * still find its row? */
static int foreign_keys_hold(sqlite3 *db, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) !=
        SQLITE_OK)
        snprintf(err, err_size, "%s", sqlite3_errmsg(db));
    else if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(err, err_size, "table %s: a reference to %s is broken",
                 (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 2));
    else
        rc = 0;
    sqlite3_finalize(st);
    return rc;
}

/* One step, to version TO: its SQL, and for 14 the debtors' rebuild. */
static int migrate_step(struct store *s, const struct aead_key *master, int to,
                        char *err, size_t err_size)
{
    sqlite3 *db = store_sqlite(s);
    char *msg = NULL;
    char bump[64];
    snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", to);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, migrations[to - 1], NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    if (to == 14 &&
        (migrate_debtors(s, master, err, err_size) < 0 ||
         sqlite3_exec(db, MIGRATION_14_AFTER, NULL, NULL, &msg) != SQLITE_OK ||
         foreign_keys_hold(db, err, err_size) < 0))
        goto fail;
    if (sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    if (msg != NULL)
        snprintf(err, err_size, "%s", msg);
    else if (err[0] == '\0')
        snprintf(err, err_size, "%s", sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    /* keys made for a transaction that did not commit are no keys */
    store_set_tinseal(s, NULL);
    return -1;
}

int schema_migrate(struct store *s, const struct aead_key *master, char *err,
                   size_t err_size)
{
    sqlite3 *db = store_sqlite(s);
    int version = 0;
    if (user_version(db, &version) < 0) {
        snprintf(err, err_size, "cannot read the schema version: %s",
                 sqlite3_errmsg(db));
        return -1;
    }
    if (version > N_MIGRATIONS) {
        snprintf(err, err_size,
                 "the database has schema version %d, this offsetgw knows "
                 "up to %d: upgrade offsetgw",
                 version, N_MIGRATIONS);
        return -1;
    }
    for (int v = version; v < N_MIGRATIONS; v++) {
        char why[256] = "";
        /* 14 rebuilds a table others refer to: the way sqlite's ALTER
         * TABLE page prescribes, foreign keys off around the transaction
         * and checked before it commits; what it frees is zeroed, so no
         * clear TIN stays behind in free pages */
        bool rebuild = v + 1 == 14;
        if (rebuild)
            sqlite3_exec(db, "PRAGMA foreign_keys=OFF; PRAGMA secure_delete=ON",
                         NULL, NULL, NULL);
        int rc = migrate_step(s, master, v + 1, why, sizeof why);
        if (rebuild) {
            sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA secure_delete=OFF",
                         NULL, NULL, NULL);
            /* the WAL held the old pages too: fold it in and empty it */
            if (rc == 0)
                sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
                             NULL);
        }
        if (rc < 0) {
            snprintf(err, err_size, "migration to schema %d failed: %s", v + 1,
                     why);
            return -1;
        }
    }
    return 0;
}
