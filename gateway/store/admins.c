/*
 * admins.c - the admin accounts' rows (see store.h; account.c decides).
 */
#include <errno.h>
#include <string.h>

#include "storeInt.h"

/* Step ST once expecting no row; -ENOENT when it changed nothing. */
static int change(struct store *s, sqlite3_stmt *st, const char *what)
{
    int code = store_step_done(s, st, what);
    if (code == 0 && sqlite3_changes(store_sqlite(s)) == 0)
        code = store_fail_code(s, -ENOENT, "no such admin");
    return code;
}

static void read_admin(sqlite3_stmt *st, struct store_admin *a)
{
    memset(a, 0, sizeof(*a));
    a->id = sqlite3_column_int64(st, 0);
    store_column_text(a->name, sizeof(a->name), st, 1);
    store_column_text(a->hash, sizeof(a->hash), st, 2);
    a->failures = sqlite3_column_int(st, 3);
    a->locked_until = sqlite3_column_int64(st, 4);
    store_column_text(a->last_login, sizeof(a->last_login), st, 5);
    store_column_text(a->cert_sha256, sizeof(a->cert_sha256), st, 6);
}

#define COLUMNS                                                                \
    "id, name, hash, failures, locked_until, last_login, cert_sha256"

int store_admin_add(struct store *s, const char *name, const char *hash)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "INSERT INTO admins (name, hash, created_at)"
                                " VALUES (?, ?, ?)",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, store_transaction_time(s), -1, SQLITE_TRANSIENT);
    return change(s, st, "add the admin");
}

/* The one admin SQL (a SELECT of COLUMNS with one parameter) finds for
 * KEY into OUT; -ENOENT when none. */
static int admin_where(struct store *s, const char *sql, const char *key,
                       struct store_admin *out)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s, sql, &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    int code = rc == SQLITE_ROW    ? 0
               : rc == SQLITE_DONE ? -ENOENT
                                   : store_fail_db(s, rc, "admin");
    if (rc == SQLITE_ROW)
        read_admin(st, out);
    sqlite3_finalize(st);
    return code;
}

int store_admin_get(struct store *s, const char *name, struct store_admin *out)
{
    return admin_where(s, "SELECT " COLUMNS " FROM admins WHERE name = ?", name,
                       out);
}

int store_admin_set_hash(struct store *s, const char *name, const char *hash)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "UPDATE admins SET hash = ?, failures = 0,"
                                " locked_until = 0 WHERE name = ?",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    return change(s, st, "set the password");
}

int store_admin_set_state(struct store *s, const char *name, int32_t failures,
                          int64_t locked_until, const char *login_at)
{
    sqlite3_stmt *st;
    int rc =
        store_prepare_once(s,
                           "UPDATE admins SET failures = ?, locked_until = ?,"
                           " last_login = coalesce(?, last_login)"
                           " WHERE name = ?",
                           &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int(st, 1, failures);
    sqlite3_bind_int64(st, 2, locked_until);
    if (login_at != NULL)
        sqlite3_bind_text(st, 3, login_at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
    return change(s, st, "admin state");
}

int store_admin_remove(struct store *s, const char *name)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s, "DELETE FROM admins WHERE name = ?", &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    return change(s, st, "remove the admin");
}

int store_admin_each(struct store *s,
                     int (*fn)(const struct store_admin *a, void *ctx),
                     void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(
        s, "SELECT " COLUMNS " FROM admins ORDER BY name", &st);
    if (rc < 0)
        return rc;
    int stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_admin a;
        read_admin(st, &a);
        stop = fn(&a, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : store_fail_db(s, rc, "admins");
    sqlite3_finalize(st);
    return code;
}

int store_admin_set_cert(struct store *s, const char *name,
                         const char *fingerprint, const char *pem)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "UPDATE admins SET cert_sha256 = ?,"
                                " cert_pem = ? WHERE name = ?",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, pem, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    int code =
        rc == SQLITE_DONE ? 0
        : (rc & 0xff) == SQLITE_CONSTRAINT
            ? store_fail_code(s, -EEXIST, "another admin has that certificate")
            : store_fail_db(s, rc, "set the certificate");
    sqlite3_finalize(st);
    if (code == 0 && sqlite3_changes(store_sqlite(s)) == 0)
        code = store_fail_code(s, -ENOENT, "no such admin");
    return code;
}

int store_admin_by_cert(struct store *s, const char *fingerprint,
                        struct store_admin *out)
{
    if (fingerprint[0] == '\0') /* admins without one have "" */
        return -ENOENT;
    return admin_where(s,
                       "SELECT " COLUMNS " FROM admins WHERE cert_sha256 = ?",
                       fingerprint, out);
}

int store_admin_certs(struct store *s, int (*fn)(const char *pem, void *ctx),
                      void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "SELECT cert_pem FROM admins"
                                " WHERE cert_pem <> '' ORDER BY name",
                                &st);
    if (rc < 0)
        return rc;
    int stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn((const char *)sqlite3_column_text(st, 0), ctx);
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : store_fail_db(s, rc, "admin certificates");
    sqlite3_finalize(st);
    return code;
}
