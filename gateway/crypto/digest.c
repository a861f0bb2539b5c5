/*
 * digest.c - SHA-256 through GnuTLS (see digest.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "offsetgw/digest.h"

#define DIGEST_BLOCK (1u << 20)

static void to_hex(const unsigned char *d, char hex[DIGEST_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

int digest_sha256(const void *buf, size_t len, char hex[DIGEST_HEX_SIZE])
{
    unsigned char d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, d) < 0)
        return -EIO;
    to_hex(d, hex);
    return 0;
}

int digest_fd_sha256(int fd, char hex[DIGEST_HEX_SIZE])
{
    gnutls_hash_hd_t h;
    unsigned char d[32];
    int rc = 0;
    char *block = malloc(DIGEST_BLOCK);
    if (block == NULL)
        return -ENOMEM;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
        free(block);
        return -EIO;
    }
    for (;;) {
        ssize_t n = read(fd, block, DIGEST_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        if (gnutls_hash(h, block, (size_t)n) < 0) {
            rc = -EIO;
            break;
        }
    }
    gnutls_hash_deinit(h, d);
    free(block);
    if (rc == 0)
        to_hex(d, hex);
    return rc;
}

struct digest {
    gnutls_hash_hd_t h;
};

struct digest *digest_new(void)
{
    struct digest *d = malloc(sizeof(*d));
    if (d != NULL && gnutls_hash_init(&d->h, GNUTLS_DIG_SHA256) < 0) {
        free(d);
        d = NULL;
    }
    return d;
}

int digest_update(struct digest *d, const void *buf, size_t len)
{
    return gnutls_hash(d->h, buf, len) < 0 ? -EIO : 0;
}

int digest_finish(struct digest *d, char hex[DIGEST_HEX_SIZE])
{
    unsigned char out[32];
    gnutls_hash_deinit(d->h, out);
    free(d);
    to_hex(out, hex);
    return 0;
}

void digest_free(struct digest *d)
{
    if (d == NULL)
        return;
    gnutls_hash_deinit(d->h, NULL);
    free(d);
}
