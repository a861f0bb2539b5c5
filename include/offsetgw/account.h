/*
 * account.h - the admin console's accounts: passwords hashed with
 * yescrypt (libxcrypt's crypt_r), logins checked with a lockout.
 *
 * Owns the password rules (10 to 256 bytes, not the account's name),
 * hashing ("$y$" with libxcrypt's default cost and a random salt), and a
 * login's verdict: a locked account is refused without looking at the
 * password; ACCOUNT_MAX_FAILURES wrong passwords in a row lock it for
 * ACCOUNT_LOCK_S seconds; a right one clears the count.  An unknown name
 * costs a hash like a known one, so timing does not tell names apart.
 * Sessions and the console itself are the console's.
 */
#ifndef OFFSETGW_ACCOUNT_H
#define OFFSETGW_ACCOUNT_H

#include <stddef.h>
#include <time.h>

#include "offsetgw/store.h"

#define ACCOUNT_MAX_FAILURES 5
#define ACCOUNT_LOCK_S 900
#define ACCOUNT_HASH_MAX 256

/* Hash PASSWORD into HASH.  0, or -EINVAL (ERR says which rule) / -EIO. */
int account_hash(const char *name, const char *password, char *hash,
                 size_t size, char *err, size_t err_size);

/* Add admin NAME (1-32 of a-z, 0-9, - and _) with PASSWORD; -EEXIST when
 * the name is taken.  0, or negative with ERR. */
int account_add(struct store *s, const char *name, const char *password,
                char *err, size_t err_size);
/* Set admin NAME's password (and unlock it).  -ENOENT when none. */
int account_passwd(struct store *s, const char *name, const char *password,
                   char *err, size_t err_size);

enum account_verdict {
    ACCOUNT_OK,    /* logged in */
    ACCOUNT_BAD,   /* no such admin, or the wrong password */
    ACCOUNT_LOCKED /* too many failures: try after *LOCKED_UNTIL */
};

/* Check a login at NOW.  0 with *VERDICT (and, when locked, the time it
 * ends in *LOCKED_UNTIL, which may be NULL); negative with ERR on a
 * registry error. */
int account_login(struct store *s, const char *name, const char *password,
                  time_t now, enum account_verdict *verdict,
                  time_t *locked_until, char *err, size_t err_size);

/* Admin NAME logs in with the client certificate FINGERPRINT
 * ("SHA256:..."), or "" to remove it; the certificate's PEM for the
 * console's trust list.  -ENOENT for no such admin, -EEXIST when another
 * admin has it.  0, or negative with ERR. */
int account_set_cert(struct store *s, const char *name, const char *fingerprint,
                     const char *pem, char *err, size_t err_size);

/* Check a login at NOW with a client certificate whose FINGERPRINT the
 * TLS layer verified: ACCOUNT_OK with the admin's name in NAME (a
 * STORE_NAME_MAX buffer), ACCOUNT_BAD when no admin has it, ACCOUNT_LOCKED
 * when its admin is locked (a certificate does not unlock).  0, or
 * negative with ERR on a registry error. */
int account_login_cert(struct store *s, const char *fingerprint, time_t now,
                       enum account_verdict *verdict, char *name, char *err,
                       size_t err_size);

#endif
