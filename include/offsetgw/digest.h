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

#endif
