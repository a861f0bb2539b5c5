/*
 * keyring.c - the registry's TIN keys: the encryption key and the index
 * (HMAC) key, each random, kept in the keyring table wrapped under the
 * home's master key (tinseal.h), never in the clear.
 *
 * Owns making them, unwrapping them when a store opens, and rewrapping
 * them when the master key changes.  It does not read key files: the
 * caller hands the master key in (home.c).  The keys themselves never
 * change, so a rotation of the master key rewrites two rows and every
 * sealed TIN and index MAC stays valid.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "offsetgw/aead.h"
#include "offsetgw/tinseal.h"
#include "storeInt.h"

#define KEY_ENC "tin-enc"
#define KEY_INDEX "tin-index"

static bool same_id(const void *a, const unsigned char *id)
{
    return a != NULL && memcmp(a, id, AEAD_KEY_ID_SIZE) == 0;
}

static int add_key(struct store *s, const struct aead_key *master,
                   const char *name, const unsigned char *key)
{
    unsigned char wrapped[TINSEAL_WRAPPED_SIZE];
    sqlite3_stmt *st = NULL;
    int rc = tinseal_wrap(master, name, key, wrapped);
    if (rc < 0)
        return store_fail_code(s, rc, "keyring: cannot wrap the %s key", name);
    if ((rc = store_prepare_once(
             s,
             "INSERT INTO keyring (name, master_id, wrapped, created_at,"
             " wrapped_at) VALUES (?1, ?2, ?3, ?4, ?4)",
             &st)) < 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, master->id, AEAD_KEY_ID_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, wrapped, sizeof wrapped, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, store_now(s), -1, SQLITE_TRANSIENT);
    return store_step_done(s, st, "keyring");
}

int keyring_create(struct store *s, const struct aead_key *master)
{
    unsigned char enc[TINSEAL_KEY_SIZE], idx[TINSEAL_KEY_SIZE];
    struct tinseal *t = NULL;
    int rc;
    if (tinseal_random_key(enc) < 0 || tinseal_random_key(idx) < 0) {
        rc = store_fail_code(s, -EIO, "keyring: no random bytes");
        goto out;
    }
    if ((rc = add_key(s, master, KEY_ENC, enc)) < 0 ||
        (rc = add_key(s, master, KEY_INDEX, idx)) < 0)
        goto out;
    if ((rc = tinseal_new(&t, enc, idx)) < 0) {
        store_fail_code(s, rc, "keyring: cannot set up the TIN keys");
        goto out;
    }
    store_set_tinseal(s, t);
out:
    gnutls_memset(enc, 0, sizeof enc);
    gnutls_memset(idx, 0, sizeof idx);
    return rc;
}

/* Key NAME's row, unwrapped with MASTER into KEY.  -ENOENT when the
 * keyring has no such row. */
static int read_key(struct store *s, const struct aead_key *master,
                    const char *name, unsigned char *key)
{
    sqlite3_stmt *st = NULL;
    char want[17], have[17];
    int rc = store_prepare_once(
        s, "SELECT master_id, wrapped FROM keyring WHERE name = ?", &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = store_fail_code(s, -ENOENT, "keyring: no %s key", name);
    } else if (step != SQLITE_ROW) {
        rc = store_fail_db(s, step, "keyring");
    } else if (sqlite3_column_bytes(st, 0) != AEAD_KEY_ID_SIZE ||
               !same_id(sqlite3_column_blob(st, 0), master->id)) {
        unsigned char id[AEAD_KEY_ID_SIZE] = {0};
        if (sqlite3_column_bytes(st, 0) == AEAD_KEY_ID_SIZE)
            memcpy(id, sqlite3_column_blob(st, 0), AEAD_KEY_ID_SIZE);
        rc = store_fail_code(
            s, -ENOKEY,
            "keyring: the registry's TIN keys are wrapped by master key %s,"
            " not by this one (%s): wrong or rotated keys/master.key",
            aead_key_id_hex(id, have), aead_key_id_hex(master->id, want));
    } else {
        rc = tinseal_unwrap(master, name, sqlite3_column_blob(st, 1),
                            (size_t)sqlite3_column_bytes(st, 1), key);
        if (rc == -EBADMSG)
            store_fail_code(s, rc,
                            "keyring: the %s key does not open with the"
                            " master key: the keyring is damaged",
                            name);
        else if (rc < 0)
            store_fail_code(s, rc, "keyring: cannot unwrap the %s key", name);
    }
    sqlite3_finalize(st);
    return rc;
}

static int count_debtors(struct store *s, int64_t *n)
{
    sqlite3_stmt *st = NULL;
    int rc = store_prepare_once(s, "SELECT count(*) FROM debtors", &st);
    if (rc < 0)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = store_fail_db(s, step, "count debtors");
    sqlite3_finalize(st);
    return rc;
}

int keyring_load(struct store *s, const struct aead_key *master)
{
    unsigned char enc[TINSEAL_KEY_SIZE], idx[TINSEAL_KEY_SIZE];
    struct tinseal *t = NULL;
    int64_t debtors = 0;
    int rc = read_key(s, master, KEY_ENC, enc);
    if (rc == 0)
        rc = read_key(s, master, KEY_INDEX, idx);
    if (rc == -ENOENT) {
        /* a new registry: make its keys, once, whoever opens it first */
        if ((rc = store_begin(s)) < 0)
            goto out;
        rc = read_key(s, master, KEY_ENC, enc);
        if (rc == 0)
            rc = read_key(s, master, KEY_INDEX, idx);
        if (rc == -ENOENT && (rc = count_debtors(s, &debtors)) == 0) {
            if (debtors > 0)
                rc = store_fail_code(s, -ENOKEY,
                                     "keyring: the registry has %lld debtors"
                                     " but no TIN keys: it is damaged",
                                     (long long)debtors);
            else if ((rc = keyring_create(s, master)) == 0)
                rc = store_commit(s);
        }
        if (store_in_transaction(s))
            store_rollback(s);
        if (rc < 0 || store_tinseal(s) != NULL)
            goto out;
    }
    if (rc < 0)
        goto out;
    if ((rc = tinseal_new(&t, enc, idx)) < 0) {
        store_fail_code(s, rc, "keyring: cannot set up the TIN keys");
        goto out;
    }
    store_set_tinseal(s, t);
out:
    gnutls_memset(enc, 0, sizeof enc);
    gnutls_memset(idx, 0, sizeof idx);
    return rc;
}

/* Rewrap key NAME from OLD to NEW; a key already under NEW (a rotation
 * run again) is checked and left. */
static int rewrap_key(struct store *s, const struct aead_key *old_master,
                      const struct aead_key *new_master, const char *name)
{
    unsigned char key[TINSEAL_KEY_SIZE];
    sqlite3_stmt *st = NULL;
    int rc = read_key(s, new_master, name, key);
    if (rc != -ENOKEY)
        goto out; /* done before, not there, or an error */
    if ((rc = read_key(s, old_master, name, key)) < 0)
        goto out;
    unsigned char wrapped[TINSEAL_WRAPPED_SIZE];
    if ((rc = tinseal_wrap(new_master, name, key, wrapped)) < 0) {
        store_fail_code(s, rc, "keyring: cannot wrap the %s key", name);
        goto out;
    }
    if ((rc = store_prepare_once(s,
                                 "UPDATE keyring SET master_id = ?,"
                                 " wrapped = ?, wrapped_at = ? WHERE name = ?",
                                 &st)) < 0)
        goto out;
    sqlite3_bind_blob(st, 1, new_master->id, AEAD_KEY_ID_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, wrapped, sizeof wrapped, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, store_now(s), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    rc = store_step_done(s, st, "keyring rewrap");
out:
    gnutls_memset(key, 0, sizeof key);
    return rc;
}

int store_rewrap_keys(struct store *s, const struct aead_key *old_master,
                      const struct aead_key *new_master, char *err,
                      size_t err_size)
{
    int rc = store_begin(s);
    if (rc == 0) {
        int enc = rewrap_key(s, old_master, new_master, KEY_ENC);
        int idx = enc == 0 || enc == -ENOENT
                      ? rewrap_key(s, old_master, new_master, KEY_INDEX)
                      : enc;
        if (enc == -ENOENT && idx == -ENOENT)
            rc = 0; /* no keys yet: the next open makes them under NEW */
        else if (enc == -ENOENT || idx == -ENOENT)
            rc = store_fail_code(s, -ENOKEY,
                                 "keyring: one TIN key of two is missing:"
                                 " the keyring is damaged");
        else
            rc = enc < 0 ? enc : idx;
        if (rc == 0)
            rc = store_commit(s);
        if (store_in_transaction(s))
            store_rollback(s);
    }
    if (rc < 0)
        snprintf(err, err_size, "%s", store_error(s));
    return rc;
}
