/*
 * keys.c - the gateway's SSH keys, through libssh's pki functions (see
 * keys.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <libssh/libssh.h>

#include "offsetgw/keys.h"

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}

static int fingerprint(ssh_key key, char *fp)
{
    unsigned char *hash = NULL;
    size_t len = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) < 0)
        return -EINVAL;
    char *text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
    ssh_clean_pubkey_hash(&hash);
    if (text == NULL)
        return -ENOMEM;
    snprintf(fp, KEYS_FP_MAX, "%s", text);
    ssh_string_free_char(text);
    return 0;
}

int keys_host_path(const char *keys_dir, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/ssh_host_ed25519_key", keys_dir);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Write KEY's private part to PATH with mode 0600 from the start. */
static int write_private(ssh_key key, const char *path, char *err,
                         size_t err_size)
{
    mode_t old = umask(077);
    int rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path);
    umask(old);
    if (rc != SSH_OK)
        return fail(err, err_size, -EIO, "%s: cannot write the key", path);
    if (chmod(path, 0600) < 0)
        return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
    return 0;
}

int keys_host_ensure(const char *path, bool *created, char *fp, char *err,
                     size_t err_size)
{
    *created = false;
    if (access(path, F_OK) == 0)
        return keys_file_fingerprint(path, fp, err, err_size);
    ssh_key key = NULL;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
        return fail(err, err_size, -EIO, "cannot make an ed25519 key");
    int rc = write_private(key, path, err, err_size);
    if (rc == 0 && (rc = fingerprint(key, fp)) < 0)
        fail(err, err_size, rc, "%s: no fingerprint", path);
    ssh_key_free(key);
    *created = rc == 0;
    return rc;
}

int keys_file_fingerprint(const char *path, char *fp, char *err,
                          size_t err_size)
{
    ssh_key key = NULL;
    int rc = ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key);
    if (rc != SSH_OK)
        rc = ssh_pki_import_pubkey_file(path, &key);
    if (rc != SSH_OK)
        return fail(err, err_size, -EINVAL, "%s: not a key libssh can read",
                    path);
    rc = fingerprint(key, fp);
    ssh_key_free(key);
    return rc < 0 ? fail(err, err_size, rc, "%s: no fingerprint", path) : 0;
}

/* The bits of an RSA key's modulus, read from its base64 blob (string
 * "ssh-rsa", mpint e, mpint n); 0 when it does not parse. */
static int rsa_bits(const char *b64)
{
    gnutls_datum_t in = {(unsigned char *)b64, (unsigned)strlen(b64)}, out;
    if (gnutls_base64_decode2(&in, &out) < 0)
        return 0;
    const unsigned char *p = out.data;
    size_t n = out.size, len = 0;
    int bits = 0;
    for (int field = 0; field < 3; field++) {
        if (n < 4)
            goto out;
        len =
            (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (len > n - 4)
            goto out;
        if (field < 2) {
            p += 4 + len;
            n -= 4 + len;
        }
    }
    p += 4;
    while (len > 0 && *p == 0) {
        p++;
        len--;
    }
    if (len > 0) {
        bits = (int)(len * 8);
        for (unsigned char top = *p; (top & 0x80) == 0; top <<= 1)
            bits--;
    }
out:
    gnutls_free(out.data);
    return bits;
}

/* Is TYPE (a key's type name) one the gateway takes?  RSA only when its
 * key is 2048 bits or more: checked by the caller. */
static bool type_accepted(enum ssh_keytypes_e t)
{
    return t == SSH_KEYTYPE_ED25519 || t == SSH_KEYTYPE_ECDSA_P256 ||
           t == SSH_KEYTYPE_ECDSA_P384 || t == SSH_KEYTYPE_ECDSA_P521 ||
           t == SSH_KEYTYPE_RSA;
}

int keys_parse_public(const char *line, struct keys_public *out, char *err,
                      size_t err_size)
{
    char type[KEYS_TYPE_MAX], b64[KEYS_B64_MAX];
    const char *p = line;
    memset(out, 0, sizeof(*out));
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, " \t\r\n");
    if (n == 0 || n >= sizeof(type))
        return fail(err, err_size, -EINVAL, "no key type at the start");
    memcpy(type, p, n);
    type[n] = '\0';
    enum ssh_keytypes_e t = ssh_key_type_from_name(type);
    if (t == SSH_KEYTYPE_UNKNOWN)
        return fail(err, err_size, -EINVAL,
                    "'%.40s' is not a key type (options before the key are "
                    "not taken)",
                    type);
    if (!type_accepted(t))
        return fail(err, err_size, -EINVAL,
                    "%s keys are not taken: use ed25519, ecdsa or rsa", type);
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    n = strcspn(p, " \t\r\n");
    if (n == 0 || n >= sizeof(b64))
        return fail(err, err_size, -EINVAL, "no key after '%s'", type);
    memcpy(b64, p, n);
    b64[n] = '\0';
    ssh_key key = NULL;
    if (ssh_pki_import_pubkey_base64(b64, t, &key) != SSH_OK)
        return fail(err, err_size, -EINVAL, "the %s key does not decode", type);
    int rc = 0, bits = t == SSH_KEYTYPE_RSA ? rsa_bits(b64) : 0;
    if (t == SSH_KEYTYPE_RSA && bits < 2048)
        rc = fail(err, err_size, -EINVAL,
                  "an RSA key of %d bits is too short (2048 at least)", bits);
    if (rc == 0 && (rc = keys_from_ssh(key, out)) < 0)
        fail(err, err_size, rc, "the %s key does not encode", type);
    ssh_key_free(key);
    if (rc < 0)
        return rc;
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    n = strcspn(p, "\r\n");
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    snprintf(out->comment, sizeof(out->comment), "%.*s",
             (int)(n < sizeof(out->comment) ? n : sizeof(out->comment) - 1), p);
    for (char *c = out->comment; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return 0;
}

int keys_from_ssh(struct ssh_key_struct *key, struct keys_public *out)
{
    char *b64 = NULL;
    memset(out, 0, sizeof(*out));
    const char *type = ssh_key_type_to_char(ssh_key_type(key));
    if (type == NULL || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
        return -EINVAL;
    int rc = 0;
    if (strlen(b64) >= sizeof(out->base64))
        rc = -EINVAL;
    else {
        snprintf(out->type, sizeof(out->type), "%s", type);
        snprintf(out->base64, sizeof(out->base64), "%s", b64);
        rc = fingerprint(key, out->fingerprint);
    }
    ssh_string_free_char(b64);
    return rc;
}

bool keys_same(const struct keys_public *a, const struct keys_public *b)
{
    return strcmp(a->type, b->type) == 0 && strcmp(a->base64, b->base64) == 0;
}

int keys_make_pair(const char *path, const char *comment,
                   struct keys_public *out, char *err, size_t err_size)
{
    char pub[4096];
    ssh_key key = NULL;
    int n = snprintf(pub, sizeof(pub), "%s.pub", path);
    if (n < 0 || (size_t)n >= sizeof(pub))
        return fail(err, err_size, -ENAMETOOLONG, "%s: path too long", path);
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
        return fail(err, err_size, -EIO, "cannot make an ed25519 key");
    int rc = write_private(key, path, err, err_size);
    if (rc == 0 && (rc = keys_from_ssh(key, out)) < 0)
        fail(err, err_size, rc, "the new key does not encode");
    ssh_key_free(key);
    if (rc < 0)
        return rc;
    snprintf(out->comment, sizeof(out->comment), "%s", comment);
    FILE *f = fopen(pub, "w");
    if (f == NULL)
        return fail(err, err_size, -errno, "%s: %s", pub, strerror(errno));
    fprintf(f, "%s %s %s\n", out->type, out->base64, out->comment);
    if (fclose(f) != 0)
        return fail(err, err_size, -EIO, "%s: write failed", pub);
    return 0;
}
