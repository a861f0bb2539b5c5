/*
 * rejects.c - an inbound file's rejected records counted by error code
 * (the file_rejects table; see store.h).  reply.c writes the counts with
 * a file's answer; the console reads them.
 */
#include <errno.h>

#include "storeInt.h"

int store_file_rejects_add(struct store *s, int64_t file_id, const char *code,
                           int64_t n)
{
    sqlite3_stmt *st;
    if (n <= 0 || code == NULL || code[0] == '\0')
        return store_fail_code(s, -EINVAL, "a reject count needs a code");
    int rc = store_prepare_once(s,
                                "INSERT INTO file_rejects (file_id, code, n)"
                                " VALUES (?, ?, ?) ON CONFLICT (file_id, code)"
                                " DO UPDATE SET n = n + excluded.n",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, file_id);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, n);
    return store_step_done(s, st, "count rejects");
}

int store_file_rejects_each(struct store *s, int64_t file_id,
                            int (*fn)(const char *code, int64_t n, void *ctx),
                            void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "SELECT code, n FROM file_rejects"
                                " WHERE file_id = ? ORDER BY code",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, file_id);
    int stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char code[64];
        store_column_text(code, sizeof(code), st, 0);
        stop = fn(code, sqlite3_column_int64(st, 1), ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : store_fail_db(s, rc, "file rejects");
    sqlite3_finalize(st);
    return code;
}
