/*
 * auditlog.c - the audit table's rows (see store.h; audit.c chains
 * them).  Prepared per call: an append is per event, not per record.
 */
#include <errno.h>
#include <string.h>

#include "storeInt.h"

static void read_row(sqlite3_stmt *st, struct store_audit_row *r)
{
    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(st, 0);
    store_column_text(r->at, sizeof(r->at), st, 1);
    store_column_text(r->actor, sizeof(r->actor), st, 2);
    store_column_text(r->action, sizeof(r->action), st, 3);
    store_column_text(r->subject, sizeof(r->subject), st, 4);
    store_column_text(r->detail, sizeof(r->detail), st, 5);
    store_column_text(r->mac, sizeof(r->mac), st, 6);
}

#define COLUMNS "seq, at, actor, action, subject, detail, mac"

int store_audit_last(struct store *s, struct store_audit_row *out)
{
    sqlite3_stmt *st;
    int rc =
        store_prepare_once(s,
                           "SELECT " COLUMNS " FROM audit ORDER BY seq DESC"
                           " LIMIT 1",
                           &st);
    if (rc < 0)
        return rc;
    rc = sqlite3_step(st);
    int code = rc == SQLITE_ROW    ? 0
               : rc == SQLITE_DONE ? -ENOENT
                                   : store_fail_db(s, rc, "audit's last row");
    if (rc == SQLITE_ROW)
        read_row(st, out);
    sqlite3_finalize(st);
    return code;
}

int store_audit_add(struct store *s, const struct store_audit_row *r)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "INSERT INTO audit (" COLUMNS ")"
                                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->seq);
    sqlite3_bind_text(st, 2, r->at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->detail, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->mac, -1, SQLITE_STATIC);
    return store_step_done(s, st, "audit row");
}

int store_audit_each(struct store *s,
                     int (*fn)(const struct store_audit_row *r, void *ctx),
                     void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s, "SELECT " COLUMNS " FROM audit ORDER BY seq",
                                &st);
    if (rc < 0)
        return rc;
    int stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_audit_row r;
        read_row(st, &r);
        stop = fn(&r, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : store_fail_db(s, rc, "audit rows");
    sqlite3_finalize(st);
    return code;
}
