/*
 * audit.c - the audit trail's chain (see audit.h).
 *
 * A row's MAC is HMAC-SHA256(key, previous MAC (32 bytes; zeros before
 * the first row) || seq (8 bytes, big-endian) || each of at, actor,
 * action, subject and detail as a 4-byte big-endian length and its
 * bytes), kept in hex.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "offsetgw/audit.h"

#define MAC_BYTES 32

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}

int audit_key_load(const struct home *h, bool create, struct audit_key *out,
                   char *err, size_t err_size)
{
    char path[HOME_PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof(path), "%s/audit.key", h->keys);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        if (gnutls_rnd(GNUTLS_RND_KEY, out->k, sizeof(out->k)) < 0)
            return fail(err, err_size, -EIO, "no random bytes for a key");
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd < 0)
            return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
        ssize_t n = write(fd, out->k, sizeof(out->k));
        int rc = n == (ssize_t)sizeof(out->k) && fsync(fd) == 0 ? 0 : -EIO;
        close(fd);
        return rc < 0 ? fail(err, err_size, rc, "%s: cannot write", path) : 0;
    }
    if (fd < 0)
        return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
    int rc = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size != (off_t)sizeof(out->k))
        rc = fail(err, err_size, -EINVAL, "%s: not a %d-byte key", path,
                  AUDIT_KEY_BYTES);
    else if ((st.st_mode & 077) != 0)
        rc = fail(err, err_size, -EPERM,
                  "%s: readable by others (mode %03o): chmod 600 it", path,
                  (unsigned)(st.st_mode & 0777));
    else if (read(fd, out->k, sizeof(out->k)) != (ssize_t)sizeof(out->k))
        rc = fail(err, err_size, -EIO, "%s: cannot read", path);
    close(fd);
    return rc;
}

/* The MAC of row R after the row whose MAC is PREV (hex; "" first). */
static int row_mac(const struct audit_key *k, const char *prev_hex,
                   const struct store_audit_row *r, char hex[65])
{
    unsigned char prev[MAC_BYTES] = {0}, out[MAC_BYTES];
    for (size_t i = 0; prev_hex[0] && i < MAC_BYTES; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = prev_hex[2 * i + j];
            v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c - '0');
        }
        prev[i] = (unsigned char)v;
    }
    gnutls_hmac_hd_t h;
    if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, k->k, sizeof(k->k)) < 0)
        return -EIO;
    unsigned char seq[8];
    for (int i = 0; i < 8; i++)
        seq[i] = (unsigned char)((uint64_t)r->seq >> (56 - 8 * i));
    gnutls_hmac(h, prev, sizeof(prev));
    gnutls_hmac(h, seq, sizeof(seq));
    const char *fields[] = {r->at, r->actor, r->action, r->subject, r->detail};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        uint32_t n = (uint32_t)strlen(fields[i]);
        unsigned char len[4] = {(unsigned char)(n >> 24),
                                (unsigned char)(n >> 16),
                                (unsigned char)(n >> 8), (unsigned char)n};
        gnutls_hmac(h, len, 4);
        gnutls_hmac(h, fields[i], n);
    }
    gnutls_hmac_deinit(h, out);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < MAC_BYTES; i++) {
        hex[2 * i] = digits[out[i] >> 4];
        hex[2 * i + 1] = digits[out[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}

static void clean_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src != NULL && src[i] != '\0' && i + 1 < size; i++)
        dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
    dst[i] = '\0';
}

/* The anchor: the newest seq and MAC, moved forward only. */
static void anchor_path(const struct home *h, char *buf, size_t size)
{
    snprintf(buf, size, "%s/var/audit.head", h->root);
}

static int anchor_read(const struct home *h, int64_t *seq, char mac[65])
{
    char path[HOME_PATH_MAX + 32], line[128];
    anchor_path(h, path, sizeof(path));
    FILE *f = fopen(path, "r");
    *seq = 0;
    mac[0] = '\0';
    if (f == NULL)
        return errno == ENOENT ? 0 : -errno;
    int rc = -EINVAL;
    if (fgets(line, sizeof(line), f) != NULL) {
        char *end;
        long long v = strtoll(line, &end, 10);
        if (end != line && *end == ' ' && strlen(end + 1) >= 64) {
            *seq = v;
            memcpy(mac, end + 1, 64);
            mac[64] = '\0';
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

static void anchor_move(const struct home *h, int64_t seq, const char *mac)
{
    char path[HOME_PATH_MAX + 32], tmp[HOME_PATH_MAX + 48], old[65];
    int64_t at;
    if (anchor_read(h, &at, old) == 0 && at >= seq)
        return; /* another process moved it further */
    anchor_path(h, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    fprintf(f, "%lld %s\n", (long long)seq, mac);
    if (fflush(f) == 0 && fsync(fileno(f)) == 0 && fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

int audit_append(const struct home *h, struct store *s,
                 const struct audit_key *k, const char *actor,
                 const char *action, const char *subject, const char *detail,
                 char *err, size_t err_size)
{
    struct store_audit_row last, r;
    bool own = !store_in_transaction(s);
    int rc;
    memset(&r, 0, sizeof(r));
    clean_copy(r.actor, sizeof(r.actor), actor);
    clean_copy(r.action, sizeof(r.action), action);
    clean_copy(r.subject, sizeof(r.subject), subject);
    clean_copy(r.detail, sizeof(r.detail), detail);
    /* BEGIN IMMEDIATE: the last row read is still the last at insert */
    if (own && (rc = store_begin(s)) < 0)
        return fail(err, err_size, rc, "audit: %s", store_error(s));
    if ((rc = store_audit_last(s, &last)) == -ENOENT) {
        last.seq = 0;
        last.mac[0] = '\0';
        rc = 0;
    }
    const char *now = store_transaction_time(s);
    store_text_copy(r.at, sizeof(r.at), now);
    r.seq = last.seq + 1;
    if (rc == 0 && (rc = row_mac(k, last.mac, &r, r.mac)) == 0)
        rc = store_audit_add(s, &r);
    if (rc == 0 && own)
        rc = store_commit(s);
    if (rc < 0) {
        fail(err, err_size, rc, "audit: %s", store_error(s));
        if (own)
            store_rollback(s);
        return rc;
    }
    if (own)
        anchor_move(h, r.seq, r.mac);
    return 0;
}

struct walk {
    const struct audit_key *k;
    struct audit_report *rep;
    int64_t seq;
    char mac[65];
};

static int each_row(const struct store_audit_row *r, void *arg)
{
    struct walk *w = arg;
    char want[65];
    w->rep->rows++;
    if (r->seq != w->seq + 1) {
        w->rep->broken_seq = r->seq;
        snprintf(w->rep->why, sizeof(w->rep->why),
                 r->seq > w->seq + 1
                     ? "rows %lld to %lld are missing (deleted)"
                     : "row %lld comes again (inserted or reordered)",
                 (long long)(w->seq + 1), (long long)(r->seq - 1));
        return 1;
    }
    if (row_mac(w->k, w->mac, r, want) < 0) {
        w->rep->broken_seq = r->seq;
        snprintf(w->rep->why, sizeof(w->rep->why), "cannot compute MACs");
        return 1;
    }
    if (strcmp(want, r->mac) != 0) {
        w->rep->broken_seq = r->seq;
        snprintf(w->rep->why, sizeof(w->rep->why),
                 "row %lld does not match its MAC: edited, inserted or "
                 "moved (or the one before it was)",
                 (long long)r->seq);
        return 1;
    }
    w->seq = r->seq;
    memcpy(w->mac, r->mac, sizeof(w->mac));
    return 0;
}

int audit_verify(const struct home *h, struct store *s,
                 const struct audit_key *k, struct audit_report *report,
                 char *err, size_t err_size)
{
    struct walk w = {.k = k, .rep = report};
    int64_t head;
    char head_mac[65];
    memset(report, 0, sizeof(*report));
    int rc = store_audit_each(s, each_row, &w);
    if (rc < 0)
        return fail(err, err_size, rc, "audit: %s", store_error(s));
    if (report->broken_seq != 0)
        return 0;
    if ((rc = anchor_read(h, &head, head_mac)) < 0) {
        report->broken_seq = w.seq + 1;
        snprintf(report->why, sizeof(report->why),
                 "the anchor var/audit.head is unreadable");
        return 0;
    }
    if (head > w.seq) {
        report->broken_seq = w.seq + 1;
        snprintf(report->why, sizeof(report->why),
                 "rows %lld to %lld are missing from the end (deleted)",
                 (long long)(w.seq + 1), (long long)head);
    }
    return 0;
}
