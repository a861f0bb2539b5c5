/*
 * aead.h - the encrypted file format for files at rest (AES-256-GCM,
 * GnuTLS): master keys, streaming writer and reader, header rewrap.
 *
 * Owns the bytes of an encrypted file and the master key file.  It does
 * not own where files live, which key is current, or the SFTP side; the
 * spool and `keys rotate` call in here.
 *
 * On-disk format, version 1 (all integers big-endian):
 *
 *   header, 92 bytes
 *     0   6  magic "OGAEAD"
 *     6   1  version, 1
 *     7   1  chunk shift, 16 (chunks of 1 << 16 = 65536 plaintext bytes)
 *     8   8  key id of the master key that wraps the data key: the first
 *            8 bytes of SHA-256("offsetgw aead key id v1" || master key)
 *    16   8  nonce prefix, random per file
 *    24  12  wrap nonce, random per wrap
 *    36  48  the file's random 32-byte data key sealed with AES-256-GCM
 *            under the master key (32 bytes and a 16-byte tag); the
 *            additional data is header bytes 0..35
 *    84   8  header check: the first 8 bytes of SHA-256(header 0..83),
 *            so that accidental damage (even to the key id) reads as
 *            damage, not as a wrong key
 *
 *   then one or more chunk records of exactly 65556 bytes each
 *     AES-256-GCM under the data key of 65540 plaintext bytes
 *       0   4  n, the number of data bytes in this chunk (0..65536)
 *       4   n  data
 *     4+n   .  zeros up to 65540
 *     followed by the 16-byte tag
 *     nonce:           nonce prefix (8) || chunk index (4)
 *     additional data: chunk index (8) || last flag (1: 1 on the last
 *                      chunk, 0 before it)
 *     Every chunk but the last holds 65536 data bytes.  The last one holds
 *     0..65536 and is padded, so a file's size tells only its chunk count.
 *     An empty file is a header and one empty last chunk.  At most 2^32
 *     chunks (256 TiB).
 *
 * Reordered, dropped, duplicated or altered chunks fail their tag; a file
 * that ends before a chunk sealed as last, or inside a record, is
 * truncated; bytes after the last chunk are damage.
 *
 * Error codes used throughout (negative errno):
 *   -ENOKEY      the file's data key is wrapped by another master key
 *   -EBADMSG     damaged: a header or chunk fails its check or tag, not
 *                this format, or trailing bytes after the last chunk
 *   -EPIPE       truncated: the file ends before its last chunk
 *   -ENOTSUP     a format version this code does not read
 *   -EIO         GnuTLS failed; other values come from read/write/open
 */
#ifndef OFFSETGW_AEAD_H
#define OFFSETGW_AEAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AEAD_KEY_SIZE 32
#define AEAD_KEY_ID_SIZE 8
#define AEAD_HEADER_SIZE 92
#define AEAD_CHUNK_SIZE 65536u  /* plaintext bytes per chunk */
#define AEAD_RECORD_SIZE 65556u /* one chunk on disk */

/* A master key and its id.  Wipe it with aead_key_wipe when done. */
struct aead_key {
    unsigned char bytes[AEAD_KEY_SIZE];
    unsigned char id[AEAD_KEY_ID_SIZE];
};

/* Fill K from the 32 bytes BYTES and compute its id.  0 or -EIO. */
int aead_key_init(struct aead_key *k, const unsigned char *bytes);

/* Zero K. */
void aead_key_wipe(struct aead_key *k);

/* A key id (AEAD_KEY_ID_SIZE bytes) as lower-case hex into HEX, for
 * messages and `keys show`; HEX is returned. */
char *aead_key_id_hex(const unsigned char *id,
                      char hex[2 * AEAD_KEY_ID_SIZE + 1]);

/* Read the master key file at PATH into K: a regular file, not a link,
 * of exactly 32 bytes, with no group or other permission bits.
 * 0; -ENOENT when absent; -EPERM for group/other permissions; -EINVAL
 * for a wrong size or not a regular file; or another negative errno. */
int aead_master_load(const char *path, struct aead_key *k);

/* As aead_master_load, but when PATH is absent first make it: 32 bytes
 * from gnutls_rnd(GNUTLS_RND_KEY), mode 0600, written to a temporary
 * file in the same folder, synced and linked into place (a crash leaves
 * no short key; a concurrent maker's key wins and is read back). */
int aead_master_ensure(const char *path, struct aead_key *k);

/* --- writing ----------------------------------------------------------- */

struct aead_writer;

/* A writer that encrypts to FD (written sequentially from its current
 * offset; the caller keeps the fd) under a fresh data key wrapped by
 * MASTER (copied).  *OUT on success.  0, -ENOMEM or -EIO. */
int aead_writer_new(struct aead_writer **out, int fd,
                    const struct aead_key *master);

/* Encrypt BUF[0..LEN).  Full chunks go to the fd as they fill (in
 * page-aligned writes of 64 KiB multiples; the rest at aead_finish).  0 or a
 * negative errno; after an error every call returns it again. */
int aead_write(struct aead_writer *w, const void *buf, size_t len);

/* Seal and write the last chunk.  Without it the file reads as
 * truncated.  Does not fsync or close the fd.  0 or a negative errno;
 * -EINVAL when already finished. */
int aead_finish(struct aead_writer *w);

/* Free W and wipe its keys; aead_writer_free(NULL) is a no-op. */
void aead_writer_free(struct aead_writer *w);

/* --- reading ----------------------------------------------------------- */

struct aead_reader;

/* Read and check the header at FD's current offset and unwrap the data
 * key with MASTER.  *OUT on success.  0; -ENOKEY for another master key;
 * -EBADMSG for a damaged header or not this format; -EPIPE for a header
 * cut short; -ENOTSUP; -ENOMEM; -EIO; or a read error. */
int aead_reader_open(struct aead_reader **out, int fd,
                     const struct aead_key *master);

/* Up to LEN plaintext bytes into BUF.  Returns the count (> 0), 0 at the
 * end once the last chunk is verified and nothing follows it (and when
 * LEN is 0), -EBADMSG, -EPIPE, or a read error; errors repeat.  Bytes
 * returned before an error are authentic but the file is not whole: a
 * caller that must not act on part of a file keeps them until 0. */
ssize_t aead_read(struct aead_reader *r, void *buf, size_t len);

/* Random access.  These read with pread, relative to where the header
 * began, and neither move the fd's offset nor disturb aead_read. */

/* The plaintext size into *SIZE, from the file's size and its last
 * chunk, which is read and checked (the chunks before it are not).  0;
 * -EPIPE when the file is cut short (inside a record, or after a chunk
 * not sealed as last); -EBADMSG for a damaged last chunk or bytes after
 * it; -ESPIPE when the fd cannot seek; -ENOMEM; or a read error. */
int aead_reader_size(struct aead_reader *r, uint64_t *size);

/* Up to LEN plaintext bytes from plaintext offset OFF into BUF, from one
 * chunk (so fewer than LEN at a chunk's end: call again).  The chunk is
 * checked whole before any of its bytes are returned.  The count, 0 when
 * OFF is at or past the end (or LEN is 0), or the aead_reader_size
 * errors and -EBADMSG for a damaged chunk. */
ssize_t aead_pread(struct aead_reader *r, void *buf, size_t len, uint64_t off);

/* Free R and wipe its keys; aead_reader_free(NULL) is a no-op. */
void aead_reader_free(struct aead_reader *r);

/* --- key rotation ------------------------------------------------------ */

/* Re-wrap the data key of the encrypted file at PATH from OLD_MASTER to
 * NEW_MASTER.  Only the header changes: the chunks are copied byte for
 * byte into a temporary file beside PATH (same owner and mode), which is synced
 * and renamed over PATH, so PATH is always the old file or the new one.
 * The chunks are not checked.  0; the aead_reader_open errors when the
 * header does not open with OLD_MASTER (PATH is then untouched); or a
 * negative errno from the copy. */
int aead_rewrap(const char *path, const struct aead_key *old_master,
                const struct aead_key *new_master);

#endif
