/*
 * tinseal.h - TINs (SSNs, EINs) sealed for the registry: a keyed hash
 * for finding a debtor, AES-256-GCM for reading its TIN back, and the
 * wrapping of those two keys under the home's master key (GnuTLS).
 *
 * Owns the bytes of a sealed TIN, of its index MAC and of a wrapped key.
 * It does not own where they are kept (the store's keyring and debtors
 * tables) or which master key is current (home.h, `keys rotate`).
 *
 *   index MAC   HMAC-SHA256 under the index key of tin_type || tin (10
 *               bytes): equal TINs of one type give equal MACs, so the
 *               registry can look a debtor up without the TIN itself
 *   sealed TIN  38 bytes: version (1) || nonce (12, random) || the 9
 *               digits encrypted || tag (16); the additional data is
 *               "offsetgw tin v1" || tin_type || index MAC, so a sealed
 *               TIN moved to another row (another MAC) fails its tag
 *   wrapped key 60 bytes: nonce (12, random) || key (32) encrypted under
 *               the master key || tag (16); the additional data is
 *               "offsetgw keyring v1" || the key's name || the master
 *               key's id, so the two keys cannot be swapped
 *
 * A struct tinseal keeps one cipher and one HMAC handle for its life (no
 * per-TIN set-up); it is not for two threads at once.
 *
 * Errors (negative errno): -EINVAL a bad TIN or size, -EBADMSG a sealed
 * TIN or wrapped key that does not authenticate, -ENOMEM, -EIO GnuTLS
 * failed.
 */
#ifndef OFFSETGW_TINSEAL_H
#define OFFSETGW_TINSEAL_H

#include <stddef.h>

#include "offsetgw/aead.h"

#define TINSEAL_KEY_SIZE 32
#define TINSEAL_MAC_SIZE 32
#define TINSEAL_SEALED_SIZE 38
#define TINSEAL_WRAPPED_SIZE 60

struct tinseal;

/* A sealer for ENC_KEY (the TIN encryption key) and INDEX_KEY (the HMAC
 * key), both copied.  *OUT on success; 0, -ENOMEM or -EIO. */
int tinseal_new(struct tinseal **out, const unsigned char *enc_key,
                const unsigned char *index_key);
/* Free T and wipe its keys; tinseal_free(NULL) is a no-op. */
void tinseal_free(struct tinseal *t);

/* The index MAC of TIN (9 digits) of TIN_TYPE ('S' or 'E') into MAC. */
int tinseal_mac(struct tinseal *t, char tin_type, const char *tin,
                unsigned char mac[TINSEAL_MAC_SIZE]);
/* Seal TIN of TIN_TYPE, bound to its index MAC, into OUT. */
int tinseal_seal(struct tinseal *t, char tin_type, const char *tin,
                 const unsigned char mac[TINSEAL_MAC_SIZE],
                 unsigned char out[TINSEAL_SEALED_SIZE]);
/* Open SEALED (LEN bytes) of a row with TIN_TYPE and MAC into TIN (9
 * digits and a NUL).  -EBADMSG when it does not authenticate (another
 * row's, altered, another key) or is not 9 digits. */
int tinseal_open(struct tinseal *t, char tin_type,
                 const unsigned char mac[TINSEAL_MAC_SIZE],
                 const unsigned char *sealed, size_t len, char tin[10]);

/* Fresh random key bytes (GNUTLS_RND_KEY) into KEY.  0 or -EIO. */
int tinseal_random_key(unsigned char key[TINSEAL_KEY_SIZE]);
/* Wrap KEY, named NAME, under MASTER into OUT. */
int tinseal_wrap(const struct aead_key *master, const char *name,
                 const unsigned char key[TINSEAL_KEY_SIZE],
                 unsigned char out[TINSEAL_WRAPPED_SIZE]);
/* Unwrap WRAPPED (LEN bytes) of key NAME with MASTER into KEY.
 * -EBADMSG when it does not authenticate under MASTER. */
int tinseal_unwrap(const struct aead_key *master, const char *name,
                   const unsigned char *wrapped, size_t len,
                   unsigned char key[TINSEAL_KEY_SIZE]);

#endif
