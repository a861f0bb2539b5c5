/*
 * vault.h - the one way the gateway opens spool files (inbox, received/,
 * outbox, outbox/.tmp): encryption at rest over aead.h.
 *
 * Owns which key a spool file is read and written with, and the rule for
 * when files are encrypted: a home whose keys/master.key exists is "on"
 * (`offsetgw init` makes it); every file the gateway writes is then
 * encrypted, unless the home's spool was made plain on purpose
 * (keys/spool.plain, `offsetgw init --plain-spool`: a spool on an
 * encrypted volume, or tests that compare spool files byte for byte);
 * such a home still reads its encrypted files.  Files read are taken by their
 * first bytes: one starting with the OGAEAD magic is decrypted (with the master
 * key, or a keys/master.key.old-* that a rotation left, whichever wrapped it);
 * anything else is a plain file from before encryption and is read as
 * it is.  A home without the key file is "off": files are written plain,
 * and an encrypted file reads as -ENOKEY.
 *
 * Does not own the file format (aead.h), the key files (home.h) or
 * rotation (the `keys rotate` command walks the spool itself).
 *
 * Errors are negative errno, as aead.h's: -ENOKEY (wrapped by a key this
 * vault does not hold), -EBADMSG (damaged), -EPIPE (truncated),
 * -ENOTSUP; vault_strerror() words them.
 */
#ifndef OFFSETGW_VAULT_H
#define OFFSETGW_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "offsetgw/aead.h"
#include "offsetgw/home.h"

#define VAULT_OLD_MAX 4

struct vault {
    bool on;                            /* new files are encrypted */
    bool keyed;                         /* KEY holds the master key */
    struct aead_key key;                /* the master key, when keyed */
    unsigned n_old;                     /* keys a rotation left behind */
    struct aead_key old[VAULT_OLD_MAX]; /* read with, never written */
};

/* Load H's vault into V: on when keys/master.key exists (with any
 * keys/master.key.old-* for reading) and keys/spool.plain does not; off
 * when there is no key (or H is NULL), or on purpose (keyed, then).  0, or
 * negative with ERR (a key file that exists but is unusable). */
int vault_load(struct vault *v, const struct home *h, char *err,
               size_t err_size);

/* V on with master key KEY (copied), or off and keyless when KEY is
 * NULL. */
void vault_init(struct vault *v, const struct aead_key *key);

/* Wipe V's keys. */
void vault_release(struct vault *v);

/* A negative errno in words for a message: "damaged", "truncated",
 * "encrypted under another master key", ... */
const char *vault_strerror(int rc);

/* --- reading ------------------------------------------------------------ */

struct vault_file;

/* Open the regular file at PATH (no symlink) for reading.  0 with *OUT;
 * -ENOKEY, -EBADMSG, -EPIPE for an encrypted file whose header does not
 * open; or an open error. */
int vault_open(const struct vault *v, const char *path,
               struct vault_file **out);

/* As vault_open on FD, which is the file's from now on (closed on error
 * too).  FD must be readable with pread (a regular file). */
int vault_open_fd(const struct vault *v, int fd, struct vault_file **out);

/* true when F is encrypted, false for a plain file. */
bool vault_encrypted(const struct vault_file *f);

/* F's plaintext size (encrypted: its last chunk is checked).  0 or
 * -EPIPE, -EBADMSG, or an fstat error. */
int vault_size(struct vault_file *f, int64_t *size);

/* The next LEN plaintext bytes at most, in order.  The count, 0 at the
 * end (an encrypted file is then whole and checked), or negative. */
ssize_t vault_read(struct vault_file *f, void *buf, size_t len);

/* LEN plaintext bytes from OFF into BUF; fewer only at the end of the
 * file.  Every chunk is checked before its bytes are given.  The count
 * (0 at or past the end) or negative.  Independent of vault_read. */
ssize_t vault_pread(struct vault_file *f, void *buf, size_t len, int64_t off);

/* Back to the start for vault_read.  0 or negative. */
int vault_rewind(struct vault_file *f);

/* SHA-256 (hex) and size of F's plaintext from where vault_read is to
 * the end.  0 or negative (the read's error). */
int vault_sha256(struct vault_file *f, char hex[65], int64_t *bytes);

/* The fd underneath (for fstat, fsync); F keeps it. */
int vault_fd(const struct vault_file *f);

/* Close F; vault_close(NULL) is a no-op. */
void vault_close(struct vault_file *f);

/* A socket that gives F's plaintext to a reader of fds (reader.h): a
 * thread reads F to its end with vault_read (hashing it when HASH) and
 * sends it to the other end, *FD.  F is the feed's from now on.  A
 * damaged file ends the stream early: the reader sees an end of file,
 * and only vault_feed_finish tells it was not the whole file. */
struct vault_feed;
int vault_feed_start(struct vault_file *f, bool hash, struct vault_feed **out,
                     int *fd);

/* Reading *FD is over (at its end or not): close it, wait until the
 * thread has read and checked the whole file.  0 with HEX (when hashed;
 * may be NULL) and *BYTES (may be NULL), or the file's error.  Frees
 * FEED and its file; vault_feed_finish(NULL, ...) returns -EINVAL. */
int vault_feed_finish(struct vault_feed *feed, char hex[65], int64_t *bytes);

/* Open PATH with H's vault (vault_load, vault_open), its plaintext size
 * into *SIZE (may be NULL; an encrypted file's last chunk is checked),
 * and start a feed on it (vault_feed_start).  0, or negative with ERR
 * naming PATH and what is wrong ("damaged", ...). */
int vault_feed_path(const struct home *h, const char *path, bool hash,
                    struct vault_feed **out, int *fd, int64_t *size, char *err,
                    size_t err_size);

/* --- writing ------------------------------------------------------------ */

struct vault_writer;

/* A writer to FD (a new, empty file; the writer's from now on, closed on
 * error too): encrypting when V is on, plain when off; the plaintext
 * hashed when HASH.  0 with *OUT, or negative. */
int vault_create(const struct vault *v, int fd, bool hash,
                 struct vault_writer **out);

/* Append LEN bytes.  0 or negative (sticky). */
int vault_write(struct vault_writer *w, const void *buf, size_t len);

/* Plaintext bytes written so far. */
int64_t vault_written(const struct vault_writer *w);

/* Finish the file (the last chunk) and fsync it; the SHA-256 of the
 * plaintext into HEX when hashed (else "").  0 or negative. */
int vault_seal(struct vault_writer *w, char hex[65]);

/* As vault_seal, without the fsync (an upload: durable once handed on,
 * as a plain one). */
int vault_finish(struct vault_writer *w, char hex[65]);

/* The fd underneath; W keeps it. */
int vault_writer_fd(const struct vault_writer *w);

/* A stdio stream writing into W (fully buffered, 64 KiB).  fclose() it
 * before vault_seal: it flushes into W and does not seal or free it.
 * NULL when out of memory. */
FILE *vault_writer_stream(struct vault_writer *w);

/* Close the fd and wipe W; vault_writer_free(NULL) is a no-op.  An
 * unsealed file is left truncated (reads as -EPIPE). */
void vault_writer_free(struct vault_writer *w);

/* --- key rotation ------------------------------------------------------- */

/* What vault_rotate did. */
struct vault_rotation {
    char old_id[2 * AEAD_KEY_ID_SIZE + 1]; /* hex */
    char new_id[2 * AEAD_KEY_ID_SIZE + 1];
    bool resumed;      /* an earlier run had started (its old key found) */
    int64_t rewrapped; /* files moved to the new key */
    int64_t current;   /* files already under the new key */
    int64_t plain;     /* files not encrypted (left as they are) */
    int64_t failed;    /* files that could not be re-wrapped */
    int64_t foreign;   /* files under a key this home never held: left */
};

/* Called by vault_rotate with each retiring master key and the new one,
 * once the new key is in place and before the spool is walked: where keys
 * wrapped by the master key outside the spool (the registry's) are
 * re-wrapped.  0 or negative with ERR (the old keys are then kept). */
typedef int (*vault_rekey_fn)(void *ctx, const struct aead_key *old_master,
                              const struct aead_key *new_master, char *err,
                              size_t err_size);

/* Rotate H's master key: keep the current one as
 * keys/master.key.old-<UTC time> (0600), put a new random key in
 * keys/master.key, call REKEY (may be NULL), re-wrap (aead_rewrap) every
 * encrypted file of every partner's inbox, received/, outbox and
 * outbox/.tmp from an old key to the new one (files under a key the home
 * never held are counted and left), and when REKEY and every file
 * succeeded, remove the old key files.  Crash-safe: a file is always
 * wrapped by the old key or the new one, and a run that finds an old key
 * file finishes the rotation it left (it makes no second new key).
 * Nothing may write spool files meanwhile (the caller holds the home's
 * lock).  0 with OUT; negative with ERR (-ENOENT: the home has no master
 * key; -EIO: some files failed, the old key is kept). */
int vault_rotate(const struct home *h, vault_rekey_fn rekey, void *ctx,
                 struct vault_rotation *out, char *err, size_t err_size);

/* Lock H's master key against rotation: EXCLUSIVE for `keys rotate`,
 * shared for a running gateway (held until the fd is closed; children
 * share it).  The lock's fd, or -EWOULDBLOCK when the other kind is
 * held, or another negative errno. */
int vault_lock(const struct home *h, bool exclusive);

#endif
