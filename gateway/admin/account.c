/*
 * account.c - admin accounts (see account.h).
 */
#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "offsetgw/account.h"
#include "offsetgw/home.h"

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}

/* crypt_r's state is large: one per call, on the heap. */
static int hash_with(const char *password, const char *setting, char *hash,
                     size_t size)
{
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    if (cd == NULL)
        return -ENOMEM;
    const char *out = crypt_r(password, setting, cd);
    int rc = out == NULL || out[0] == '*' || strlen(out) >= size ? -EIO : 0;
    if (rc == 0)
        memcpy(hash, out, strlen(out) + 1);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return rc;
}

int account_hash(const char *name, const char *password, char *hash,
                 size_t size, char *err, size_t err_size)
{
    size_t n = strlen(password);
    if (n < 10 || n > 256)
        return fail(err, err_size, -EINVAL,
                    "a password is 10 to 256 characters long");
    if (strcmp(password, name) == 0)
        return fail(err, err_size, -EINVAL, "a password is not the name");
    char setting[CRYPT_GENSALT_OUTPUT_SIZE], rnd[32];
    if (gnutls_rnd(GNUTLS_RND_KEY, rnd, sizeof(rnd)) < 0 ||
        crypt_gensalt_rn("$y$", 0, rnd, sizeof(rnd), setting,
                         sizeof(setting)) == NULL)
        return fail(err, err_size, -EIO, "cannot make a salt");
    if (hash_with(password, setting, hash, size) < 0)
        return fail(err, err_size, -EIO, "cannot hash the password");
    return 0;
}

int account_add(struct store *s, const char *name, const char *password,
                char *err, size_t err_size)
{
    char hash[ACCOUNT_HASH_MAX];
    if (!home_partner_name_ok(name))
        return fail(err, err_size, -EINVAL,
                    "'%s' cannot be an admin's name: use 1-32 of a-z, 0-9, "
                    "- and _",
                    name);
    int rc = account_hash(name, password, hash, sizeof(hash), err, err_size);
    if (rc < 0)
        return rc;
    if ((rc = store_admin_add(s, name, hash)) < 0)
        fail(err, err_size, rc, "%s",
             rc == -EEXIST ? "an admin of that name exists" : store_error(s));
    explicit_bzero(hash, sizeof(hash));
    return rc;
}

int account_passwd(struct store *s, const char *name, const char *password,
                   char *err, size_t err_size)
{
    char hash[ACCOUNT_HASH_MAX];
    int rc = account_hash(name, password, hash, sizeof(hash), err, err_size);
    if (rc < 0)
        return rc;
    if ((rc = store_admin_set_hash(s, name, hash)) < 0)
        fail(err, err_size, rc, "%s",
             rc == -ENOENT ? "no such admin" : store_error(s));
    return rc;
}

int account_login(struct store *s, const char *name, const char *password,
                  time_t now, enum account_verdict *verdict,
                  time_t *locked_until, char *err, size_t err_size)
{
    struct store_admin a;
    char hash[ACCOUNT_HASH_MAX];
    *verdict = ACCOUNT_BAD;
    int rc = store_admin_get(s, name, &a);
    if (rc < 0 && rc != -ENOENT)
        return fail(err, err_size, rc, "%s", store_error(s));
    if (rc == -ENOENT) {
        /* the cost of a hash all the same */
        static const char dummy[] =
            "$y$j9T$AAAAAAAAAAAAAAAAAAAAA.$"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        hash_with(password, dummy, hash, sizeof(hash));
        return 0;
    }
    if (a.locked_until > now) {
        *verdict = ACCOUNT_LOCKED;
        if (locked_until != NULL)
            *locked_until = (time_t)a.locked_until;
        return 0;
    }
    bool right = hash_with(password, a.hash, hash, sizeof(hash)) == 0 &&
                 strcmp(hash, a.hash) == 0;
    int32_t failures = right ? 0 : a.failures + 1;
    int64_t until = 0;
    if (!right && failures >= ACCOUNT_MAX_FAILURES) {
        until = (int64_t)now + ACCOUNT_LOCK_S;
        failures = 0;
        *verdict = ACCOUNT_LOCKED;
        if (locked_until != NULL)
            *locked_until = (time_t)until;
    } else if (right) {
        *verdict = ACCOUNT_OK;
    }
    if ((rc = store_admin_set_state(s, name, failures, until,
                                    right ? store_transaction_time(s) : NULL)) <
        0)
        return fail(err, err_size, rc, "%s", store_error(s));
    return 0;
}

int account_set_cert(struct store *s, const char *name, const char *fingerprint,
                     const char *pem, char *err, size_t err_size)
{
    int rc = store_admin_set_cert(s, name, fingerprint, pem);
    if (rc < 0)
        return fail(err, err_size, rc, "%s",
                    rc == -ENOENT ? "no such admin" : store_error(s));
    return 0;
}

int account_login_cert(struct store *s, const char *fingerprint, time_t now,
                       enum account_verdict *verdict, char *name, char *err,
                       size_t err_size)
{
    struct store_admin a;
    *verdict = ACCOUNT_BAD;
    name[0] = '\0';
    int rc = store_admin_by_cert(s, fingerprint, &a);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return fail(err, err_size, rc, "%s", store_error(s));
    snprintf(name, STORE_NAME_MAX, "%s", a.name);
    if (a.locked_until > now) {
        *verdict = ACCOUNT_LOCKED;
        return 0;
    }
    if ((rc = store_admin_set_state(s, a.name, 0, 0,
                                    store_transaction_time(s))) < 0)
        return fail(err, err_size, rc, "%s", store_error(s));
    *verdict = ACCOUNT_OK;
    return 0;
}
