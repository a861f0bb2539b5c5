/*
 * tlscert.h - the admin console's TLS certificate and key.
 *
 * Owns the pair in the home's keys/ (console.crt, console.key, PEM):
 * making a self-signed one when there is none (ECDSA P-256, SHA-256,
 * CN and DNS SAN "localhost", IP SAN 127.0.0.1, two years; the key 0600,
 * created exclusively, so a site's own pair is never overwritten), and
 * reading the pair for the console (a key readable by group or others
 * refused).  Also admins' client certificates: reading one for
 * `offsetgw admin cert`, and the fingerprint a client presented.
 * Serving TLS is console.c's.
 */
#ifndef OFFSETGW_TLSCERT_H
#define OFFSETGW_TLSCERT_H

#include <stdbool.h>
#include <stddef.h>

#define TLSCERT_FP_MAX 100 /* "SHA256:" and 64 hex digits */
#define TLSCERT_PEM_MAX (64 * 1024)

/* Make KEYS_DIR/console.crt and console.key when neither is there
 * (*CREATED says); one without the other is an error.  The certificate's
 * SHA-256 fingerprint into FP.  0, or negative with ERR. */
int tlscert_ensure(const char *keys_dir, bool *created, char *fp,
                   size_t fp_size, char *err, size_t err_size);

/* Read the pair into CRT and KEY (each TLSCERT_PEM_MAX bytes,
 * NUL-terminated).  0, or negative with ERR. */
int tlscert_load(const char *keys_dir, char *crt, char *key, char *err,
                 size_t err_size);

/* Read the client certificate at PATH (one PEM certificate, not expired)
 * into PEM (TLSCERT_PEM_MAX bytes, re-encoded) and its fingerprint into
 * FP (TLSCERT_FP_MAX).  0, or negative with ERR naming the file. */
int tlscert_client_read(const char *path, char *pem, char *fp, char *err,
                        size_t err_size);

/* The fingerprint ("SHA256:" and hex) of the DER certificate DER[0..LEN)
 * into FP (TLSCERT_FP_MAX).  0 or -EINVAL. */
int tlscert_fingerprint_der(const void *der, size_t len, char *fp);

#endif
