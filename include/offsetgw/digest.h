/*
 * digest.h - SHA-256 of files and buffers (GnuTLS).
 *
 * Owns hashing for file identity: a file is processed once, identified by
 * the SHA-256 of its bytes.  Hex digests are 64 lower-case characters and
 * a NUL.
 */
#ifndef OFFSETGW_DIGEST_H
#define OFFSETGW_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_SIZE 65

/* SHA-256 of the whole file read from FD (from its current offset to the
 * end).  0, or a negative errno (-EIO when GnuTLS fails). */
int digest_fd_sha256(int fd, char hex[DIGEST_HEX_SIZE]);

/* SHA-256 of BUF[0..LEN). */
int digest_sha256(const void *buf, size_t len, char hex[DIGEST_HEX_SIZE]);

/* A SHA-256 taken piece by piece (a transfer as it streams). */
struct digest;
/* NULL when out of memory or GnuTLS fails. */
struct digest *digest_new(void);
/* Add BUF[0..LEN).  0 or -EIO. */
int digest_update(struct digest *d, const void *buf, size_t len);
/* The hex digest of everything added; D is freed.  0 or -EIO. */
int digest_finish(struct digest *d, char hex[DIGEST_HEX_SIZE]);
/* Free D without a digest; digest_free(NULL) is a no-op. */
void digest_free(struct digest *d);

#endif
