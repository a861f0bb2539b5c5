/*
 * backup.h - an online copy of the registry (sqlite's backup API), for
 * "offsetgw backup".
 *
 * Owns making a consistent copy of an open registry while other
 * processes (serve, its worker, an ingest) keep writing, and checking
 * the copy.  It does not copy the home's keys/ (the master key, the
 * audit key, the host key): those are backed up apart (docs/operations.md).
 */
#ifndef OFFSETGW_BACKUP_H
#define OFFSETGW_BACKUP_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* What a backup copied. */
struct backup_result {
    int64_t pages;      /* database pages copied */
    int64_t bytes;      /* the copy's size */
    int schema_version; /* the copy's user_version */
};

/* Copy STORE's database to DEST: into a new file "DEST.tmp" made 0600
 * (no symlink followed), in one read transaction of the source (a
 * snapshot: writers in WAL mode go on), switched to a single-file
 * (rollback journal) database, checked with PRAGMA integrity_check,
 * synced, then renamed over DEST.  0 with *RES, or negative with ERR:
 * -EEXIST when DEST.tmp is there (another backup running), -EBADMSG when
 * the copy fails its check (the copy is removed), -EIO otherwise. */
int backup_registry(struct store *store, const char *dest,
                    struct backup_result *res, char *err, size_t err_size);

#endif
