/*
 * tinseal.c - TINs sealed for the registry (see tinseal.h for the bytes):
 * the index MAC, the sealed TIN, and keys wrapped under the master key.
 * Holds GnuTLS handles, no SQL and no files.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "offsetgw/tinseal.h"

#define VERSION 1
#define NONCE_SIZE 12
#define TAG_SIZE 16
#define TIN_LEN 9

static const char tin_label[] = "offsetgw tin v1";
static const char wrap_label[] = "offsetgw keyring v1";

_Static_assert(TINSEAL_SEALED_SIZE == 1 + NONCE_SIZE + TIN_LEN + TAG_SIZE,
               "sealed TIN size");
_Static_assert(TINSEAL_WRAPPED_SIZE == NONCE_SIZE + TINSEAL_KEY_SIZE + TAG_SIZE,
               "wrapped key size");

struct tinseal {
    gnutls_aead_cipher_hd_t cipher;
    gnutls_hmac_hd_t hmac;
};

static bool tin_ok(char tin_type, const char *tin)
{
    if ((tin_type != 'S' && tin_type != 'E') || tin == NULL)
        return false;
    for (int i = 0; i < TIN_LEN; i++)
        if (tin[i] < '0' || tin[i] > '9')
            return false;
    return tin[TIN_LEN] == '\0';
}

int tinseal_new(struct tinseal **out, const unsigned char *enc_key,
                const unsigned char *index_key)
{
    gnutls_datum_t k = {(unsigned char *)enc_key, TINSEAL_KEY_SIZE};
    struct tinseal *t = calloc(1, sizeof(*t));
    *out = NULL;
    if (t == NULL)
        return -ENOMEM;
    if (gnutls_aead_cipher_init(&t->cipher, GNUTLS_CIPHER_AES_256_GCM, &k) <
        0) {
        free(t);
        return -EIO;
    }
    if (gnutls_hmac_init(&t->hmac, GNUTLS_MAC_SHA256, index_key,
                         TINSEAL_KEY_SIZE) < 0) {
        gnutls_aead_cipher_deinit(t->cipher);
        free(t);
        return -EIO;
    }
    *out = t;
    return 0;
}

void tinseal_free(struct tinseal *t)
{
    if (t == NULL)
        return;
    gnutls_aead_cipher_deinit(t->cipher);
    gnutls_hmac_deinit(t->hmac, NULL);
    gnutls_memset(t, 0, sizeof(*t));
    free(t);
}

int tinseal_mac(struct tinseal *t, char tin_type, const char *tin,
                unsigned char mac[TINSEAL_MAC_SIZE])
{
    unsigned char in[1 + TIN_LEN];
    if (!tin_ok(tin_type, tin))
        return -EINVAL;
    in[0] = (unsigned char)tin_type;
    memcpy(in + 1, tin, TIN_LEN);
    /* output resets the handle to its key: ready for the next TIN */
    if (gnutls_hmac(t->hmac, in, sizeof in) < 0)
        return -EIO;
    gnutls_hmac_output(t->hmac, mac);
    return 0;
}

/* The additional data of a sealed TIN of TIN_TYPE with MAC. */
static size_t tin_ad(unsigned char *ad, char tin_type,
                     const unsigned char mac[TINSEAL_MAC_SIZE])
{
    size_t n = sizeof tin_label - 1;
    memcpy(ad, tin_label, n);
    ad[n++] = (unsigned char)tin_type;
    memcpy(ad + n, mac, TINSEAL_MAC_SIZE);
    return n + TINSEAL_MAC_SIZE;
}

int tinseal_seal(struct tinseal *t, char tin_type, const char *tin,
                 const unsigned char mac[TINSEAL_MAC_SIZE],
                 unsigned char out[TINSEAL_SEALED_SIZE])
{
    unsigned char ad[sizeof tin_label + TINSEAL_MAC_SIZE];
    size_t out_len = TIN_LEN + TAG_SIZE;
    if (!tin_ok(tin_type, tin))
        return -EINVAL;
    out[0] = VERSION;
    if (gnutls_rnd(GNUTLS_RND_NONCE, out + 1, NONCE_SIZE) < 0)
        return -EIO;
    size_t ad_len = tin_ad(ad, tin_type, mac);
    if (gnutls_aead_cipher_encrypt(t->cipher, out + 1, NONCE_SIZE, ad, ad_len,
                                   TAG_SIZE, tin, TIN_LEN, out + 1 + NONCE_SIZE,
                                   &out_len) < 0 ||
        out_len != TIN_LEN + TAG_SIZE)
        return -EIO;
    return 0;
}

int tinseal_open(struct tinseal *t, char tin_type,
                 const unsigned char mac[TINSEAL_MAC_SIZE],
                 const unsigned char *sealed, size_t len, char tin[10])
{
    unsigned char ad[sizeof tin_label + TINSEAL_MAC_SIZE];
    size_t out_len = TIN_LEN;
    tin[0] = '\0';
    if (sealed == NULL || len != TINSEAL_SEALED_SIZE || sealed[0] != VERSION ||
        (tin_type != 'S' && tin_type != 'E'))
        return -EBADMSG;
    size_t ad_len = tin_ad(ad, tin_type, mac);
    int grc = gnutls_aead_cipher_decrypt(
        t->cipher, sealed + 1, NONCE_SIZE, ad, ad_len, TAG_SIZE,
        sealed + 1 + NONCE_SIZE, TIN_LEN + TAG_SIZE, tin, &out_len);
    if (grc < 0 || out_len != TIN_LEN) {
        /* GnuTLS may have left the unauthenticated digits there */
        gnutls_memset(tin, 0, TIN_LEN + 1);
        return grc == GNUTLS_E_DECRYPTION_FAILED ? -EBADMSG : -EIO;
    }
    tin[TIN_LEN] = '\0';
    if (!tin_ok(tin_type, tin)) {
        gnutls_memset(tin, 0, TIN_LEN + 1);
        return -EBADMSG;
    }
    return 0;
}

int tinseal_random_key(unsigned char key[TINSEAL_KEY_SIZE])
{
    return gnutls_rnd(GNUTLS_RND_KEY, key, TINSEAL_KEY_SIZE) < 0 ? -EIO : 0;
}

/* The additional data of key NAME wrapped under MASTER; 0 when NAME is
 * too long. */
static size_t wrap_ad(unsigned char *ad, size_t size, const char *name,
                      const struct aead_key *master)
{
    size_t label = sizeof wrap_label - 1, name_len = strlen(name);
    if (label + name_len + 1 + AEAD_KEY_ID_SIZE > size)
        return 0;
    memcpy(ad, wrap_label, label);
    memcpy(ad + label, name, name_len);
    ad[label + name_len] = '\0'; /* the name ends before the id */
    memcpy(ad + label + name_len + 1, master->id, AEAD_KEY_ID_SIZE);
    return label + name_len + 1 + AEAD_KEY_ID_SIZE;
}

int tinseal_wrap(const struct aead_key *master, const char *name,
                 const unsigned char key[TINSEAL_KEY_SIZE],
                 unsigned char out[TINSEAL_WRAPPED_SIZE])
{
    gnutls_datum_t k = {(unsigned char *)master->bytes, AEAD_KEY_SIZE};
    gnutls_aead_cipher_hd_t h = NULL;
    unsigned char ad[128];
    size_t ad_len = wrap_ad(ad, sizeof ad, name, master);
    size_t out_len = TINSEAL_KEY_SIZE + TAG_SIZE;
    int rc = 0;
    if (ad_len == 0)
        return -EINVAL;
    if (gnutls_rnd(GNUTLS_RND_NONCE, out, NONCE_SIZE) < 0 ||
        gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &k) < 0)
        return -EIO;
    if (gnutls_aead_cipher_encrypt(h, out, NONCE_SIZE, ad, ad_len, TAG_SIZE,
                                   key, TINSEAL_KEY_SIZE, out + NONCE_SIZE,
                                   &out_len) < 0 ||
        out_len != TINSEAL_KEY_SIZE + TAG_SIZE)
        rc = -EIO;
    gnutls_aead_cipher_deinit(h);
    return rc;
}

int tinseal_unwrap(const struct aead_key *master, const char *name,
                   const unsigned char *wrapped, size_t len,
                   unsigned char key[TINSEAL_KEY_SIZE])
{
    gnutls_datum_t k = {(unsigned char *)master->bytes, AEAD_KEY_SIZE};
    gnutls_aead_cipher_hd_t h = NULL;
    unsigned char ad[128];
    size_t ad_len = wrap_ad(ad, sizeof ad, name, master);
    size_t out_len = TINSEAL_KEY_SIZE;
    int rc = 0;
    if (ad_len == 0)
        return -EINVAL;
    if (wrapped == NULL || len != TINSEAL_WRAPPED_SIZE)
        return -EBADMSG;
    if (gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &k) < 0)
        return -EIO;
    int grc = gnutls_aead_cipher_decrypt(
        h, wrapped, NONCE_SIZE, ad, ad_len, TAG_SIZE, wrapped + NONCE_SIZE,
        TINSEAL_KEY_SIZE + TAG_SIZE, key, &out_len);
    if (grc == GNUTLS_E_DECRYPTION_FAILED)
        rc = -EBADMSG;
    else if (grc < 0 || out_len != TINSEAL_KEY_SIZE)
        rc = -EIO;
    if (rc < 0)
        gnutls_memset(key, 0, TINSEAL_KEY_SIZE);
    gnutls_aead_cipher_deinit(h);
    return rc;
}
