/*
 * tlscert.c - the console's self-signed certificate, made with GnuTLS's
 * x509 API, and the reading of the pair (tlscert.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "offsetgw/tlscert.h"

#define VALID_DAYS 730

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}

static int write_new(const char *path, mode_t mode, const gnutls_datum_t *d)
{
    int fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, d->data, d->size);
    int rc = n == (ssize_t)d->size && fsync(fd) == 0 ? 0 : -EIO;
    if (close(fd) < 0 && rc == 0)
        rc = -EIO;
    if (rc < 0)
        unlink(path);
    return rc;
}

static int fingerprint(gnutls_x509_crt_t crt, char *fp, size_t size)
{
    unsigned char md[32];
    size_t n = sizeof(md);
    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &n) < 0 ||
        size < 8 + 2 * n)
        return -EIO;
    size_t len = (size_t)snprintf(fp, size, "SHA256:");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(fp + len, size - len, "%02x", md[i]);
    return 0;
}

static int make_pair(const char *crt_path, const char *key_path, char *fp,
                     size_t fp_size, char *err, size_t err_size)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t key_pem = {NULL, 0}, crt_pem = {NULL, 0};
    unsigned char serial[16];
    static const unsigned char localhost_ip[4] = {127, 0, 0, 1};
    time_t now = time(NULL);
    int rc = -EIO;
    if (gnutls_x509_privkey_init(&key) < 0 ||
        gnutls_x509_privkey_generate(
            key, GNUTLS_PK_ECDSA,
            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
        gnutls_x509_crt_init(&crt) < 0 ||
        gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0) {
        rc = fail(err, err_size, -EIO, "cannot make a key");
        goto out;
    }
    serial[0] &= 0x7f; /* a positive serial */
    if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - 300) < 0 ||
        gnutls_x509_crt_set_expiration_time(crt, now + (time_t)VALID_DAYS *
                                                           86400) < 0 ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                      "localhost", 9) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(
            crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_SET) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
                                             localhost_ip, 4,
                                             GNUTLS_FSAN_APPEND) < 0 ||
        gnutls_x509_crt_set_key(crt, key) < 0 ||
        gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) <
            0 ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem) < 0 ||
        gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
                                          GNUTLS_PKCS_PLAIN, &key_pem) < 0 ||
        fingerprint(crt, fp, fp_size) < 0) {
        rc = fail(err, err_size, -EIO, "cannot make a certificate");
        goto out;
    }
    if ((rc = write_new(key_path, 0600, &key_pem)) < 0) {
        rc = fail(err, err_size, rc, "%s: %s", key_path, strerror(-rc));
        goto out;
    }
    if ((rc = write_new(crt_path, 0644, &crt_pem)) < 0) {
        unlink(key_path);
        rc = fail(err, err_size, rc, "%s: %s", crt_path, strerror(-rc));
        goto out;
    }
    rc = 0;
out:
    if (key_pem.data != NULL) {
        memset(key_pem.data, 0, key_pem.size);
        gnutls_free(key_pem.data);
    }
    gnutls_free(crt_pem.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc;
}

/* FILE (at most TLSCERT_PEM_MAX - 1 bytes) into BUF; with SECRET, a
 * file readable by group or others is refused. */
static int read_pem(const char *path, bool secret, char *buf, char *err,
                    size_t err_size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
    int rc = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size >= TLSCERT_PEM_MAX || st.st_size == 0)
        rc = fail(err, err_size, -EINVAL, "%s: not a PEM file", path);
    else if (secret && (st.st_mode & 077) != 0)
        rc = fail(err, err_size, -EPERM,
                  "%s: readable by others (mode %03o): chmod 600 it", path,
                  (unsigned)(st.st_mode & 0777));
    else if (read(fd, buf, (size_t)st.st_size) != (ssize_t)st.st_size)
        rc = fail(err, err_size, -EIO, "%s: cannot read", path);
    else
        buf[st.st_size] = '\0';
    close(fd);
    return rc;
}

static void paths(const char *keys_dir, char *crt, char *key, size_t size)
{
    snprintf(crt, size, "%s/console.crt", keys_dir);
    snprintf(key, size, "%s/console.key", keys_dir);
}

int tlscert_ensure(const char *keys_dir, bool *created, char *fp,
                   size_t fp_size, char *err, size_t err_size)
{
    char crt_path[1100], key_path[1100];
    static char pem[TLSCERT_PEM_MAX];
    struct stat st;
    *created = false;
    paths(keys_dir, crt_path, key_path, sizeof(crt_path));
    bool have_crt = lstat(crt_path, &st) == 0;
    bool have_key = lstat(key_path, &st) == 0;
    if (!have_crt && !have_key) {
        int rc = make_pair(crt_path, key_path, fp, fp_size, err, err_size);
        *created = rc == 0;
        return rc;
    }
    if (!have_crt || !have_key)
        return fail(err, err_size, -ENOENT, "%s without %s",
                    have_crt ? crt_path : key_path,
                    have_crt ? key_path : crt_path);
    int rc = read_pem(crt_path, false, pem, err, err_size);
    if (rc < 0)
        return rc;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    if (gnutls_x509_crt_init(&crt) < 0 ||
        gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
        fingerprint(crt, fp, fp_size) < 0)
        rc = fail(err, err_size, -EINVAL, "%s: not a certificate", crt_path);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

int tlscert_load(const char *keys_dir, char *crt, char *key, char *err,
                 size_t err_size)
{
    char crt_path[1100], key_path[1100];
    paths(keys_dir, crt_path, key_path, sizeof(crt_path));
    int rc = read_pem(crt_path, false, crt, err, err_size);
    return rc < 0 ? rc : read_pem(key_path, true, key, err, err_size);
}

int tlscert_client_read(const char *path, char *pem, char *fp, char *err,
                        size_t err_size)
{
    static char raw[TLSCERT_PEM_MAX];
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t out = {NULL, 0};
    int rc = read_pem(path, false, raw, err, err_size);
    if (rc < 0)
        return rc;
    gnutls_datum_t d = {(unsigned char *)raw, (unsigned)strlen(raw)};
    if (gnutls_x509_crt_init(&crt) < 0 ||
        gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
        fingerprint(crt, fp, TLSCERT_FP_MAX) < 0 ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) < 0 ||
        out.size >= TLSCERT_PEM_MAX)
        rc = fail(err, err_size, -EINVAL, "%s: not a PEM certificate", path);
    else if (gnutls_x509_crt_get_expiration_time(crt) <= time(NULL))
        rc = fail(err, err_size, -EINVAL, "%s: the certificate has expired",
                  path);
    else {
        memcpy(pem, out.data, out.size);
        pem[out.size] = '\0';
    }
    gnutls_free(out.data);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

int tlscert_fingerprint_der(const void *der, size_t len, char *fp)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
    int rc = gnutls_x509_crt_init(&crt) < 0 ||
                     gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0 ||
                     fingerprint(crt, fp, TLSCERT_FP_MAX) < 0
                 ? -EINVAL
                 : 0;
    gnutls_x509_crt_deinit(crt);
    return rc;
}
