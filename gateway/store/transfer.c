/*
 * transfer.c - keys, logins, transfers and the upload queue in the
 * registry (see transfer.h).
 *
 * These run a few times per session, not per record: each statement is
 * prepared for its call and finalised after, all through bound
 * parameters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "offsetgw/failpoint.h"
#include "storeInt.h"
#include "offsetgw/transfer.h"

static void text(sqlite3_stmt *st, int i, const char *t)
{
    sqlite3_bind_text(st, i, t ? t : "", -1, SQLITE_TRANSIENT);
}

/* --- keys ---------------------------------------------------------------- */

int transfer_key_add(struct store *s, int64_t partner_id,
                     const struct keys_public *key)
{
    sqlite3_stmt *st;
    int rc =
        store_prepare_once(s,
                           "INSERT INTO partner_keys (partner_id, key_type,"
                           " key_base64, fingerprint, comment, added_at)"
                           " VALUES (?, ?, ?, ?, ?, ?)",
                           &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, partner_id);
    text(st, 2, key->type);
    text(st, 3, key->base64);
    text(st, 4, key->fingerprint);
    text(st, 5, key->comment);
    text(st, 6, store_now(s));
    return store_step_done(s, st, "add the key");
}

int transfer_key_remove(struct store *s, int64_t partner_id,
                        const char *fingerprint)
{
    sqlite3_stmt *st;
    int rc =
        store_prepare_once(s,
                           "DELETE FROM partner_keys WHERE partner_id = ? AND"
                           " fingerprint = ?",
                           &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, partner_id);
    text(st, 2, fingerprint);
    if ((rc = store_step_done(s, st, "remove the key")) < 0)
        return rc;
    if (sqlite3_changes(store_sqlite(s)) == 0)
        return store_fail_code(s, -ENOENT, "no key %s", fingerprint);
    return 0;
}

int transfer_key_list(struct store *s, int64_t partner_id,
                      int (*fn)(const struct transfer_key *k, void *ctx),
                      void *ctx)
{
    sqlite3_stmt *st;
    int rc =
        store_prepare_once(s,
                           "SELECT id, partner_id, key_type, key_base64,"
                           " fingerprint, comment, added_at FROM partner_keys"
                           " WHERE partner_id = ? ORDER BY id",
                           &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, partner_id);
    int stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct transfer_key k = {.id = sqlite3_column_int64(st, 0),
                                 .partner_id = sqlite3_column_int64(st, 1)};
        store_column_text(k.key.type, sizeof(k.key.type), st, 2);
        store_column_text(k.key.base64, sizeof(k.key.base64), st, 3);
        store_column_text(k.key.fingerprint, sizeof(k.key.fingerprint), st, 4);
        store_column_text(k.key.comment, sizeof(k.key.comment), st, 5);
        store_column_text(k.added_at, sizeof(k.added_at), st, 6);
        stop = fn(&k, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : store_fail_db(s, rc, "list the keys");
    sqlite3_finalize(st);
    return code;
}

int transfer_key_allowed(struct store *s, const char *user,
                         const struct keys_public *key, bool *ok,
                         int64_t *partner_id)
{
    sqlite3_stmt *st;
    *ok = false;
    *partner_id = 0;
    int rc = store_prepare_once(s,
                                "SELECT p.id, p.enabled, (SELECT count(*) FROM"
                                " partner_keys k WHERE k.partner_id = p.id AND"
                                " k.key_type = ?2 AND k.key_base64 = ?3)"
                                " FROM partners p WHERE p.name = ?1",
                                &st);
    if (rc < 0)
        return rc;
    text(st, 1, user);
    text(st, 2, key->type);
    text(st, 3, key->base64);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *partner_id = sqlite3_column_int64(st, 0);
        *ok = sqlite3_column_int(st, 1) == 1 && sqlite3_column_int64(st, 2) > 0;
        rc = SQLITE_DONE;
    }
    int code = rc == SQLITE_DONE ? 0 : store_fail_db(s, rc, "check the key");
    sqlite3_finalize(st);
    return code;
}

/* --- logs ---------------------------------------------------------------- */

int transfer_login_add(struct store *s, const char *user, const char *address,
                       const char *fingerprint, bool ok, const char *reason)
{
    char clean[64];
    size_t i = 0;
    for (; user && user[i] && i + 1 < sizeof(clean); i++)
        clean[i] =
            (unsigned char)user[i] < 0x20 || user[i] == 0x7f ? '?' : user[i];
    clean[i] = '\0';
    sqlite3_stmt *st;
    int rc =
        store_prepare_once(s,
                           "INSERT INTO logins (at, user, partner_id, address,"
                           " fingerprint, ok, reason) VALUES (?1, ?2,"
                           " (SELECT id FROM partners WHERE name = ?2), ?3, ?4,"
                           " ?5, ?6)",
                           &st);
    if (rc < 0)
        return rc;
    text(st, 1, store_now(s));
    text(st, 2, clean);
    text(st, 3, address);
    text(st, 4, fingerprint);
    sqlite3_bind_int(st, 5, ok ? 1 : 0);
    text(st, 6, reason);
    return store_step_done(s, st, "log the login");
}

int transfer_add(struct store *s, const struct transfer_row *t)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(
        s,
        "INSERT INTO transfers (at, partner_id, kind, path,"
        " to_path, bytes, duration_ms, sha256, status,"
        " complete, message, queue_id) VALUES (?, ?, ?, ?, ?,"
        " ?, ?, ?, ?, ?, ?, nullif(?, 0))",
        &st);
    if (rc < 0)
        return rc;
    text(st, 1, store_now(s));
    sqlite3_bind_int64(st, 2, t->partner_id);
    text(st, 3, t->kind);
    text(st, 4, t->path);
    text(st, 5, t->to_path);
    sqlite3_bind_int64(st, 6, t->bytes);
    sqlite3_bind_int64(st, 7, t->duration_ms);
    text(st, 8, t->sha256);
    sqlite3_bind_int(st, 9, t->status);
    sqlite3_bind_int(st, 10, t->complete ? 1 : 0);
    text(st, 11, t->message);
    sqlite3_bind_int64(st, 12, t->queue_id);
    return store_step_done(s, st, "log the transfer");
}

int transfer_outbound_sha(struct store *s, int64_t partner_id, const char *name,
                          char sha256[65])
{
    sqlite3_stmt *st;
    sha256[0] = '\0';
    int rc = store_prepare_once(
        s,
        "SELECT sha256 FROM files WHERE partner_id = ? AND"
        " name = ? AND outbound = 1 ORDER BY id DESC LIMIT 1",
        &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, partner_id);
    text(st, 2, name);
    rc = sqlite3_step(st);
    int code = rc == SQLITE_ROW    ? 0
               : rc == SQLITE_DONE ? -ENOENT
                                   : store_fail_db(s, rc, "file's digest");
    if (rc == SQLITE_ROW)
        store_column_text(sha256, 65, st, 0);
    sqlite3_finalize(st);
    return code;
}

int transfer_list(struct store *s, const struct transfer_filter *f,
                  int (*fn)(const struct transfer_row *t, void *ctx), void *ctx)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(
        s,
        "SELECT t.id, t.at, t.partner_id, p.name, t.kind, t.path, t.to_path,"
        " t.bytes, t.duration_ms,"
        /* an upload's digest is its job's file's, taken by the pipeline */
        " coalesce(nullif(t.sha256, ''), (SELECT f.sha256 FROM files f"
        "  WHERE f.queue_id = t.queue_id AND f.outbound = 0 LIMIT 1), ''),"
        " t.status, t.complete, t.message,"
        " coalesce(t.queue_id, 0), coalesce(q.state, ''),"
        " coalesce(q.result, '')"
        " FROM transfers t JOIN partners p ON p.id = t.partner_id"
        " LEFT JOIN queue q ON q.id = t.queue_id"
        " WHERE (?1 = 0 OR t.partner_id = ?1) AND (?2 = '' OR t.at >= ?2)"
        " AND (?3 = 0 OR t.status <> 0 OR (t.kind = 'upload' AND"
        " t.complete = 0) OR q.state = 'failed')"
        " ORDER BY t.id DESC LIMIT ?4",
        &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, f->partner_id);
    text(st, 2, f->since);
    sqlite3_bind_int(st, 3, f->failed_only ? 1 : 0);
    sqlite3_bind_int64(st, 4, f->limit > 0 ? f->limit : -1);
    int stop = 0;
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct transfer_row t = {.id = sqlite3_column_int64(st, 0),
                                 .partner_id = sqlite3_column_int64(st, 2),
                                 .bytes = sqlite3_column_int64(st, 7),
                                 .duration_ms = sqlite3_column_int64(st, 8),
                                 .status = sqlite3_column_int(st, 10),
                                 .complete = sqlite3_column_int(st, 11) != 0,
                                 .queue_id = sqlite3_column_int64(st, 13)};
        store_column_text(t.at, sizeof(t.at), st, 1);
        store_column_text(t.partner, sizeof(t.partner), st, 3);
        store_column_text(t.kind, sizeof(t.kind), st, 4);
        store_column_text(t.path, sizeof(t.path), st, 5);
        store_column_text(t.to_path, sizeof(t.to_path), st, 6);
        store_column_text(t.sha256, sizeof(t.sha256), st, 9);
        store_column_text(t.message, sizeof(t.message), st, 12);
        store_column_text(t.queue_state, sizeof(t.queue_state), st, 14);
        store_column_text(t.result, sizeof(t.result), st, 15);
        stop = fn(&t, ctx);
    }
    int code = stop != 0           ? stop
               : rc == SQLITE_DONE ? 0
                                   : store_fail_db(s, rc, "list transfers");
    sqlite3_finalize(st);
    return code;
}

/* --- the queue ------------------------------------------------------------ */

static const char *const state_names[] = {"queued", "running", "done",
                                          "failed"};

const char *transfer_job_state_name(enum transfer_job_state st)
{
    return (unsigned)st < 4 ? state_names[st] : "?";
}

static enum transfer_job_state state_of(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, state_names[i]) == 0)
            return (enum transfer_job_state)i;
    return JOB_FAILED;
}

int transfer_queue_add(struct store *s, const struct transfer_job *j,
                       int64_t *id)
{
    sqlite3_stmt *st;
    int rc =
        store_prepare_once(s,
                           "INSERT INTO queue (partner_id, name, path, sha256,"
                           " bytes, state, queued_at) VALUES (?, ?, ?, ?, ?,"
                           " 'queued', ?)",
                           &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, j->partner_id);
    text(st, 2, j->name);
    text(st, 3, j->path);
    text(st, 4, j->sha256);
    sqlite3_bind_int64(st, 5, j->bytes);
    text(st, 6, store_now(s));
    if ((rc = store_step_done(s, st, "queue the upload")) == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(store_sqlite(s));
    return rc;
}

int transfer_queue_take(struct store *s, struct transfer_job *out)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof(*out));
    /* one statement: the oldest queued job becomes running, so two
     * workers never take the same one */
    int rc = store_prepare_once(
        s,
        "UPDATE queue SET state = 'running' WHERE id ="
        " (SELECT id FROM queue WHERE state = 'queued'"
        " ORDER BY id LIMIT 1)"
        " RETURNING id, partner_id, name, path, sha256, bytes",
        &st);
    if (rc < 0)
        return rc;
    rc = failpoint_hit(FAILPOINT_STEP) ? SQLITE_IOERR : sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->partner_id = sqlite3_column_int64(st, 1);
        store_column_text(out->name, sizeof(out->name), st, 2);
        store_column_text(out->path, sizeof(out->path), st, 3);
        store_column_text(out->sha256, sizeof(out->sha256), st, 4);
        out->bytes = sqlite3_column_int64(st, 5);
        out->state = JOB_RUNNING;
        rc = sqlite3_step(st);
    } else if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return -ENOENT;
    }
    int code = rc == SQLITE_DONE ? 0 : store_fail_db(s, rc, "take a job");
    sqlite3_finalize(st);
    return code;
}

int transfer_queue_finish(struct store *s, int64_t id,
                          enum transfer_job_state state, const char *result)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(
        s,
        "UPDATE queue SET state = ?, result = ?, finished_at = ?"
        " WHERE id = ?",
        &st);
    if (rc < 0)
        return rc;
    text(st, 1, transfer_job_state_name(state));
    text(st, 2, result);
    text(st, 3, store_now(s));
    sqlite3_bind_int64(st, 4, id);
    return store_step_done(s, st, "finish the job");
}

int transfer_queue_recover(struct store *s, int64_t *n)
{
    sqlite3_stmt *st;
    /* a running job whose work committed (its file is marked) is done;
     * any other is run again */
    int rc = store_prepare_once(
        s,
        "UPDATE queue SET state = 'done', finished_at = ?,"
        " result = 'done before a stop: ' || (SELECT status"
        " FROM files f WHERE f.queue_id = queue.id AND"
        " f.outbound = 0 LIMIT 1) WHERE state = 'running' AND"
        " id IN (SELECT queue_id FROM files WHERE outbound = 0"
        " AND queue_id IS NOT NULL)",
        &st);
    if (rc < 0)
        return rc;
    text(st, 1, store_now(s));
    if ((rc = store_step_done(s, st, "recover the queue")) < 0)
        return rc;
    if ((rc = store_prepare_once(
             s,
             "UPDATE queue SET state = 'queued' WHERE state ="
             " 'running'",
             &st)) < 0)
        return rc;
    if ((rc = store_step_done(s, st, "recover the queue")) == 0 && n != NULL)
        *n = sqlite3_changes(store_sqlite(s));
    return rc;
}

int transfer_queue_newest(struct store *s, int64_t partner_id, const char *name,
                          char *path, size_t size)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s,
                                "SELECT path FROM queue WHERE partner_id = ?"
                                " AND name = ? ORDER BY id DESC LIMIT 1",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, partner_id);
    text(st, 2, name);
    rc = sqlite3_step(st);
    int code = rc == SQLITE_ROW    ? 0
               : rc == SQLITE_DONE ? -ENOENT
                                   : store_fail_db(s, rc, "newest job");
    if (rc == SQLITE_ROW)
        store_column_text(path, size, st, 0);
    sqlite3_finalize(st);
    return code;
}

int transfer_queue_state_of(struct store *s, const char *path,
                            enum transfer_job_state *state)
{
    sqlite3_stmt *st;
    char name[16];
    int rc = store_prepare_once(
        s,
        "SELECT state FROM queue WHERE path = ? ORDER BY id DESC"
        " LIMIT 1",
        &st);
    if (rc < 0)
        return rc;
    text(st, 1, path);
    rc = sqlite3_step(st);
    int code = rc == SQLITE_ROW    ? 0
               : rc == SQLITE_DONE ? -ENOENT
                                   : store_fail_db(s, rc, "job's state");
    if (rc == SQLITE_ROW) {
        store_column_text(name, sizeof(name), st, 0);
        *state = state_of(name);
    }
    sqlite3_finalize(st);
    return code;
}

int transfer_queue_has_path(struct store *s, const char *path, bool *named)
{
    sqlite3_stmt *st;
    *named = false;
    int rc =
        store_prepare_once(s, "SELECT count(*) FROM queue WHERE path = ?", &st);
    if (rc < 0)
        return rc;
    text(st, 1, path);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *named = sqlite3_column_int64(st, 0) > 0;
        rc = SQLITE_DONE;
    }
    int code = rc == SQLITE_DONE ? 0 : store_fail_db(s, rc, "job by path");
    sqlite3_finalize(st);
    return code;
}

int transfer_queue_counts(struct store *s, int64_t counts[4])
{
    sqlite3_stmt *st;
    memset(counts, 0, 4 * sizeof(*counts));
    int rc = store_prepare_once(
        s, "SELECT state, count(*) FROM queue GROUP BY state", &st);
    if (rc < 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char name[16];
        store_column_text(name, sizeof(name), st, 0);
        counts[state_of(name)] = sqlite3_column_int64(st, 1);
    }
    int code = rc == SQLITE_DONE ? 0 : store_fail_db(s, rc, "count jobs");
    sqlite3_finalize(st);
    return code;
}

int transfer_queue_file(struct store *s, int64_t job_id, int64_t *file_id)
{
    sqlite3_stmt *st;
    *file_id = 0;
    int rc = store_prepare_once(s,
                                "SELECT id FROM files WHERE queue_id = ? AND"
                                " outbound = 0 LIMIT 1",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, job_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *file_id = sqlite3_column_int64(st, 0);
        rc = SQLITE_DONE;
    }
    int code = rc == SQLITE_DONE ? 0 : store_fail_db(s, rc, "job's file");
    sqlite3_finalize(st);
    return code;
}

int transfer_queue_mark_file(struct store *s, int64_t file_id, int64_t job_id)
{
    sqlite3_stmt *st;
    int rc = store_prepare_once(s, "UPDATE files SET queue_id = ? WHERE id = ?",
                                &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, job_id);
    sqlite3_bind_int64(st, 2, file_id);
    return store_step_done(s, st, "mark the job's file");
}
