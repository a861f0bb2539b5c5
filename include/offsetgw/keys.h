/*
 * keys.h - the SSH keys of a gateway: its ed25519 host key, and the
 * public keys partners log in with.
 *
 * Owns making the host key (mode 0600, in the home's keys/), reading an
 * OpenSSH public-key line ("ssh-ed25519 AAAA... comment") into its type,
 * base64 and SHA-256 fingerprint, and comparing a key a client offers
 * with a listed one by their public parts.  Which partner has which keys
 * is the registry's; this file only knows keys.
 */
#ifndef OFFSETGW_KEYS_H
#define OFFSETGW_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEYS_TYPE_MAX 40
#define KEYS_B64_MAX 1200 /* an RSA 8192 key's base64 fits */
#define KEYS_FP_MAX 64    /* "SHA256:" and 43 base64 characters */
#define KEYS_COMMENT_MAX 128

/* A public key as a partner's list holds it. */
struct keys_public {
    char type[KEYS_TYPE_MAX];       /* "ssh-ed25519", "ecdsa-sha2-nistp256",
                                       "ssh-rsa" */
    char base64[KEYS_B64_MAX];      /* the key blob */
    char fingerprint[KEYS_FP_MAX];  /* "SHA256:..." */
    char comment[KEYS_COMMENT_MAX]; /* "" when none */
};

/* The host key's file in the keys folder KEYS_DIR. */
int keys_host_path(const char *keys_dir, char *buf, size_t size);

/* Make the ed25519 host key at PATH (0600) unless it exists; *CREATED
 * says which.  Its fingerprint into FP (KEYS_FP_MAX).  0, or negative
 * with ERR. */
int keys_host_ensure(const char *path, bool *created, char *fp, char *err,
                     size_t err_size);

/* The fingerprint of the private or public key file at PATH.  0, or
 * negative with ERR. */
int keys_file_fingerprint(const char *path, char *fp, char *err,
                          size_t err_size);

/* Read LINE, one line of an authorized_keys or .pub file: an accepted
 * type (ed25519, ecdsa 256/384/521, rsa of 2048 bits or more), its
 * base64, an optional comment.  Options before the type are refused.
 * 0 with OUT filled, or -EINVAL with ERR saying what is wrong. */
int keys_parse_public(const char *line, struct keys_public *out, char *err,
                      size_t err_size);

/* The public parts of KEY, a libssh key a client offered, as a list
 * holds them (no comment).  0 or -EINVAL. */
struct ssh_key_struct;
int keys_from_ssh(struct ssh_key_struct *key, struct keys_public *out);

/* Are A and B the same key (type and blob; comments aside)? */
bool keys_same(const struct keys_public *a, const struct keys_public *b);

/* Make a new ed25519 key pair for a partner: the private key at PATH
 * (0600), the public at PATH.pub with COMMENT; the public key into OUT.
 * 0, or negative with ERR. */
int keys_make_pair(const char *path, const char *comment,
                   struct keys_public *out, char *err, size_t err_size);

#endif
