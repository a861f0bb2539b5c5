/*
 * backup.c - an online copy of the registry (backup.h) through sqlite's
 * backup API, checked before it takes the destination's name.
 *
 * Owns the copy's file (made 0600 under a temporary name), the one-step
 * backup (a single read transaction: a consistent snapshot that never
 * blocks writers in WAL mode, and never restarts because one wrote), and
 * the integrity check of the copy.  It does not know about homes or keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "offsetgw/backup.h"
#include "offsetgw/durable.h"
#include "storeInt.h"

#define BACKUP_PATH_MAX 4096

/* Run the one-row pragma SQL on DB: 0 with its text in OUT, else -EIO. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = -EIO;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, size, "%s", t ? (const char *)t : "");
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int backup_registry(struct store *store, const char *dest,
                    struct backup_result *res, char *err, size_t err_size)
{
    char tmp[BACKUP_PATH_MAX], text[256];
    sqlite3 *copy = NULL;
    sqlite3_backup *bk = NULL;
    bool made = false;
    int rc = -EIO, fd = -1;
    memset(res, 0, sizeof(*res));
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dest) >= sizeof(tmp)) {
        snprintf(err, err_size, "%s: path too long", dest);
        return -ENAMETOOLONG;
    }
    /* the copy holds what the registry holds: private from its first byte */
    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno == EEXIST ? -EEXIST : -EIO;
        snprintf(err, err_size, "%s: %s%s", tmp, strerror(errno),
                 errno == EEXIST ? " (another backup running, or one that "
                                   "died: remove it)"
                                 : "");
        return rc;
    }
    made = true;
    if (fchmod(fd, 0600) != 0) {
        snprintf(err, err_size, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (sqlite3_open_v2(tmp, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", tmp,
                 copy ? sqlite3_errmsg(copy) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(copy, 5000);
    bk = sqlite3_backup_init(copy, "main", store_sqlite(store), "main");
    if (bk == NULL) {
        snprintf(err, err_size, "backup: %s", sqlite3_errmsg(copy));
        goto out;
    }
    /* all pages in one step: one read transaction, one snapshot; a busy
     * source (a writer checkpointing) is waited for, a few times */
    int step;
    for (int tries = 0;; tries++) {
        step = sqlite3_backup_step(bk, -1);
        if ((step != SQLITE_BUSY && step != SQLITE_LOCKED) || tries == 50)
            break;
        sqlite3_sleep(100);
    }
    res->pages = sqlite3_backup_pagecount(bk);
    int fin = sqlite3_backup_finish(bk);
    bk = NULL;
    if (step != SQLITE_DONE || fin != SQLITE_OK) {
        snprintf(err, err_size, "backup: %s",
                 sqlite3_errstr(step != SQLITE_DONE ? step : fin));
        goto out;
    }
    /* a single file: the copy is not left in WAL mode */
    if (pragma_text(copy, "PRAGMA journal_mode=DELETE", text, sizeof(text)) <
            0 ||
        strcmp(text, "delete") != 0) {
        snprintf(err, err_size, "%s: cannot leave WAL mode: %s", tmp,
                 sqlite3_errmsg(copy));
        goto out;
    }
    if (pragma_text(copy, "PRAGMA integrity_check(1)", text, sizeof(text)) <
            0 ||
        strcmp(text, "ok") != 0) {
        snprintf(err, err_size, "%s: the copy fails its integrity check: %s",
                 tmp, text);
        rc = -EBADMSG;
        goto out;
    }
    if (pragma_text(copy, "PRAGMA user_version", text, sizeof(text)) == 0)
        res->schema_version = (int)strtol(text, NULL, 10);
    if (sqlite3_close(copy) != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", tmp, sqlite3_errmsg(copy));
        goto out;
    }
    copy = NULL;
    struct stat st;
    if (fsync(fd) != 0 || fstat(fd, &st) != 0) {
        snprintf(err, err_size, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    res->bytes = (int64_t)st.st_size;
    if (rename(tmp, dest) != 0) {
        snprintf(err, err_size, "%s: %s", dest, strerror(errno));
        goto out;
    }
    made = false;
    int drc = durable_parent(dest);
    if (drc < 0) {
        snprintf(err, err_size, "%s: %s", dest, strerror(-drc));
        goto out;
    }
    rc = 0;
out:
    if (bk != NULL)
        sqlite3_backup_finish(bk);
    if (copy != NULL)
        sqlite3_close(copy);
    if (fd >= 0)
        close(fd);
    if (made) {
        unlink(tmp);
        /* a copy sqlite left a journal beside */
        char side[BACKUP_PATH_MAX + 16];
        snprintf(side, sizeof(side), "%s-journal", tmp);
        unlink(side);
        snprintf(side, sizeof(side), "%s-wal", tmp);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", tmp);
        unlink(side);
    }
    return rc;
}
