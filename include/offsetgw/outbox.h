/*
 * outbox.h - delivering files to a partner's outbox, never half-written.
 *
 * Owns the life of an output file: written under a temporary name in the
 * partner's outbox/.tmp/ (which clients never see), flushed and fsynced,
 * recorded as a pending output in the same transaction as the work that
 * made it, then renamed into the outbox once that transaction commits.
 * After a crash, outbox_recover() finishes the renames of committed work
 * and removes temporary files that no committed work refers to.
 * Files are written through vault.h: encrypted at rest when the home
 * has a master key; the SHA-256 and size are the plaintext's.
 */
#ifndef OFFSETGW_OUTBOX_H
#define OFFSETGW_OUTBOX_H

#include <stdio.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct vault_writer;

struct outbox_file {
    FILE *fp;                /* write the content here */
    struct vault_writer *vw; /* under FP: encrypts */
    char tmp_path[HOME_PATH_MAX];
    char final_path[HOME_PATH_MAX];
    char sha256[65]; /* set by outbox_seal() */
    int64_t bytes;   /* set by outbox_seal() */
};

/* Start file NAME (a plain file name, no '/') for PARTNER.  0, or
 * negative with ERR. */
int outbox_open(const struct home *h, const char *partner, const char *name,
                struct outbox_file *out, char *err, size_t err_size);

/* Flush, finish (encrypted: the last chunk), fsync and close the
 * temporary file; the SHA-256 and size of what was written.  0, or
 * negative with ERR (disk full shows here). */
int outbox_seal(struct outbox_file *f, char *err, size_t err_size);

/* Record the sealed file as pending output FILE_ID, in the caller's open
 * transaction. */
int outbox_register(struct store *s, int64_t file_id,
                    const struct outbox_file *f);

/* After the commit: rename every pending output into place, fsync the
 * folder, mark it delivered.  Also what recovery runs. */
int outbox_deliver_pending(struct store *s, char *err, size_t err_size);

/* Remove the temporary file (work abandoned before its commit). */
void outbox_discard(struct outbox_file *f);

/* Deliver what committed work left pending, and remove temporary files in
 * every partner's outbox/.tmp that no pending output names. */
int outbox_recover(const struct home *h, struct store *s, char *err,
                   size_t err_size);

#endif
