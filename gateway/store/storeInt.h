/*
 * storeInt.h - internals of the registry shared by store.c and schema.c.
 */
#ifndef OFFSETGW_STORE_INT_H
#define OFFSETGW_STORE_INT_H

#include <sqlite3.h>

#include "offsetgw/store.h"

struct aead_key;
struct tinseal;

/* Migrate S's database from its user_version up to STORE_SCHEMA_VERSION,
 * each step in its own transaction.  MASTER (may be NULL) is the home's
 * master key: the step to 14 needs it to seal the TINs of a registry
 * that has debtors, and makes the keyring with it.  0, or -1 with ERR. */
int schema_migrate(struct store *s, const struct aead_key *master, char *err,
                   size_t err_size);

/* --- the keyring (keyring.c) --- */

/* Make the registry's TIN keys, wrap them under MASTER into the keyring
 * table, and give S their sealer; in the open transaction. */
int keyring_create(struct store *s, const struct aead_key *master);
/* Unwrap the keyring with MASTER and give S its sealer; with no keyring
 * yet, make one in a transaction of its own (a registry with debtors but
 * no keyring is refused). */
int keyring_load(struct store *s, const struct aead_key *master);
/* S's sealer (NULL: opened without the master key), and setting it (the
 * old one is freed). */
struct tinseal *store_tinseal(struct store *s);
void store_set_tinseal(struct store *s, struct tinseal *t);

/* For the registry's other files (transfer.c): its connection, the time
 * rows written now carry, and its error slot. */
sqlite3 *store_sqlite(struct store *s);
const char *store_now(struct store *s);
int store_fail_code(struct store *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* For statements run a few times per session, not per record (the
 * transfer log, the audit trail, admins): prepare SQL for one use... */
int store_prepare_once(struct store *s, const char *text, sqlite3_stmt **st);
/* ...step it once expecting no row, and finalise it.  0 or negative. */
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what);
/* Column COL of ST's row as text into DST (SIZE bytes, cut to fit). */
void store_column_text(char *dst, size_t size, sqlite3_stmt *st, int col);
/* sqlite's answer RC for WHAT as our negative errno, its message kept. */
int store_fail_db(struct store *s, int rc, const char *what);

#endif
