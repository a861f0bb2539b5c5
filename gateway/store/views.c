/*
 * views.c - read-only queries for the admin console (views.h).
 * Prepared per call: a page asks a few of them, not one per record.
 */
#include <errno.h>
#include <string.h>

#include "offsetgw/views.h"
#include "storeInt.h"

/* Every row of ST through READ and FN; 0, FN's non-zero, or negative. */
static int each_row(struct store *s, sqlite3_stmt *st, const char *what,
                    int (*row)(sqlite3_stmt *st, void *fn, void *ctx), void *fn,
                    void *ctx)
{
    int rc, stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = row(st, fn, ctx);
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : store_fail_db(s, rc, what);
    sqlite3_finalize(st);
    return code;
}

typedef int (*day_fn)(const char *day, int64_t files, int64_t records,
                      void *ctx);

static int day_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    char day[16];
    store_column_text(day, sizeof(day), st, 0);
    return ((day_fn)fn)(day, sqlite3_column_int64(st, 1),
                        sqlite3_column_int64(st, 2), ctx);
}

int views_files_per_day(struct store *s, const char *day,
                        int (*fn)(const char *day, int64_t files,
                                  int64_t records, void *ctx),
                        void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(
        s,
        "SELECT substr(received_at, 1, 10) AS d, count(*), sum(records)"
        " FROM files WHERE outbound = 0 AND received_at >= ?"
        " GROUP BY d ORDER BY d",
        &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
    return each_row(s, st, "files per day", day_row, (void *)fn, ctx);
}

#define FILE_COLUMNS                                                           \
    "f.id, p.name, f.name, f.outbound, f.exchange, f.status, f.records,"       \
    " f.accepted, f.rejected, f.amount_cents, f.error, f.sha256,"              \
    " f.received_at, coalesce(f.made_from, 0)"

static void read_file(sqlite3_stmt *st, struct views_file *f)
{
    memset(f, 0, sizeof(*f));
    f->id = sqlite3_column_int64(st, 0);
    store_column_text(f->partner, sizeof(f->partner), st, 1);
    store_column_text(f->name, sizeof(f->name), st, 2);
    f->outbound = sqlite3_column_int(st, 3) != 0;
    store_column_text(f->exchange, sizeof(f->exchange), st, 4);
    store_column_text(f->status, sizeof(f->status), st, 5);
    f->records = sqlite3_column_int64(st, 6);
    f->accepted = sqlite3_column_int64(st, 7);
    f->rejected = sqlite3_column_int64(st, 8);
    f->amount_cents = sqlite3_column_int64(st, 9);
    store_column_text(f->error, sizeof(f->error), st, 10);
    store_column_text(f->sha256, sizeof(f->sha256), st, 11);
    store_column_text(f->received_at, sizeof(f->received_at), st, 12);
    f->made_from = sqlite3_column_int64(st, 13);
}

typedef int (*file_fn)(const struct views_file *f, void *ctx);

static int file_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    struct views_file f;
    read_file(st, &f);
    if (sqlite3_column_count(st) > 14) {
        store_column_text(f.path, sizeof(f.path), st, 14);
        f.delivered = sqlite3_column_int(st, 15) != 0;
    }
    return ((file_fn)fn)(&f, ctx);
}

int views_files_recent(struct store *s, int64_t limit, int64_t offset,
                       int (*fn)(const struct views_file *f, void *ctx),
                       void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "SELECT " FILE_COLUMNS
                                " FROM files f JOIN partners p"
                                " ON p.id = f.partner_id WHERE f.outbound = 0"
                                " ORDER BY f.id DESC LIMIT ? OFFSET ?",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, limit);
    sqlite3_bind_int64(st, 2, offset);
    return each_row(s, st, "recent files", file_row, (void *)fn, ctx);
}

static int copy_file(const struct views_file *f, void *ctx)
{
    *(struct views_file *)ctx = *f;
    return 1;
}

int views_file_get(struct store *s, int64_t id, struct views_file *out)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "SELECT " FILE_COLUMNS
                                " FROM files f JOIN partners p"
                                " ON p.id = f.partner_id WHERE f.id = ?",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = each_row(s, st, "file", file_row, (void *)copy_file, out);
    return rc == 1 ? 0 : rc < 0 ? rc : -ENOENT;
}

int views_file_outputs(struct store *s, int64_t id,
                       int (*fn)(const struct views_file *f, void *ctx),
                       void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(
        s,
        "SELECT " FILE_COLUMNS ", coalesce(o.final_path, ''),"
        " coalesce(o.delivered, 0)"
        " FROM files f JOIN partners p ON p.id = f.partner_id"
        " LEFT JOIN outputs o ON o.file_id = f.id"
        " WHERE f.made_from = ? ORDER BY f.id",
        &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return each_row(s, st, "file outputs", file_row, (void *)fn, ctx);
}

int views_last_login(struct store *s, int64_t partner_id, char at[24])
{
    sqlite3_stmt *st;
    at[0] = '\0';
    int rc = store_prepare_once(s,
                                "SELECT coalesce(max(at), '') FROM logins"
                                " WHERE partner_id = ? AND ok = 1",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, partner_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        store_column_text(at, 24, st, 0);
    int code = rc == SQLITE_ROW ? 0 : store_fail_db(s, rc, "last login");
    sqlite3_finalize(st);
    return code;
}

typedef int (*audit_fn)(const struct store_audit_row *r, void *ctx);

static int audit_row(sqlite3_stmt *st, void *fn, void *ctx)
{
    struct store_audit_row r;
    memset(&r, 0, sizeof(r));
    r.seq = sqlite3_column_int64(st, 0);
    store_column_text(r.at, sizeof(r.at), st, 1);
    store_column_text(r.actor, sizeof(r.actor), st, 2);
    store_column_text(r.action, sizeof(r.action), st, 3);
    store_column_text(r.subject, sizeof(r.subject), st, 4);
    store_column_text(r.detail, sizeof(r.detail), st, 5);
    store_column_text(r.mac, sizeof(r.mac), st, 6);
    return ((audit_fn)fn)(&r, ctx);
}

int views_audit_page(struct store *s, int64_t limit, int64_t offset,
                     int64_t *total,
                     int (*fn)(const struct store_audit_row *r, void *ctx),
                     void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (total != NULL) {
        if ((rc = store_prepare_once(s, "SELECT count(*) FROM audit", &st)) < 0)
            return rc;
        rc = sqlite3_step(st);
        *total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
            return store_fail_db(s, rc, "audit count");
    }
    rc = store_prepare_once(s,
                            "SELECT seq, at, actor, action, subject, detail,"
                            " mac FROM audit ORDER BY seq DESC"
                            " LIMIT ? OFFSET ?",
                            &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, limit);
    sqlite3_bind_int64(st, 2, offset);
    return each_row(s, st, "audit page", audit_row, (void *)fn, ctx);
}
