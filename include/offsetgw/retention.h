/*
 * retention.h - purging what a partner no longer needs: its outbox files
 * and its received uploads older than its retention days.
 *
 * Owns deciding what is old (modified before NOW minus the partner's
 * retention_days; a partner with 0 keeps everything) and removing it:
 * never outbox/.tmp, never anything but a regular file, never a received
 * upload whose job is not finished (queued or running) or that no job
 * names yet.  Every removal is a "file-purged" row of the audit trail.
 * What the registry keeps of the files (their rows, digests, history) is
 * never purged: the programs require it.
 */
#ifndef OFFSETGW_RETENTION_H
#define OFFSETGW_RETENTION_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "offsetgw/audit.h"
#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct retention_result {
    int64_t files, bytes; /* purged (or, with DRY_RUN, to purge) */
    int64_t kept_busy;    /* old but its job not finished: kept */
};

/* Purge every partner's old files as of NOW, the removals audited as
 * ACTOR with key K.  With DRY_RUN nothing is removed or audited.  FN (may
 * be NULL) hears of each file.  0, or the first failure with ERR (the
 * rest still run). */
int retention_purge(
    const struct home *h, struct store *s, const struct audit_key *k,
    const char *actor, time_t now, bool dry_run,
    void (*fn)(const char *partner, const char *path, int64_t bytes, void *ctx),
    void *ctx, struct retention_result *res, char *err, size_t err_size);

#endif
