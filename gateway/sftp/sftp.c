/*
 * sftp.c - the SFTP protocol, version 3 (see sftp.h).
 *
 * Packets are read whole into one buffer of SFTP_MAX_PACKET bytes and
 * decoded with a cursor that refuses to read past the packet; replies
 * are built in another buffer of the same bound.  Handles are 8 bytes:
 * a slot and a generation, so a stale or forged handle names nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "offsetgw/digest.h"
#include "offsetgw/sftp.h"
#include "offsetgw/vault.h"

enum {
    FXP_INIT = 1,
    FXP_VERSION = 2,
    FXP_OPEN = 3,
    FXP_CLOSE = 4,
    FXP_READ = 5,
    FXP_WRITE = 6,
    FXP_LSTAT = 7,
    FXP_FSTAT = 8,
    FXP_SETSTAT = 9,
    FXP_FSETSTAT = 10,
    FXP_OPENDIR = 11,
    FXP_READDIR = 12,
    FXP_REMOVE = 13,
    FXP_MKDIR = 14,
    FXP_RMDIR = 15,
    FXP_REALPATH = 16,
    FXP_STAT = 17,
    FXP_RENAME = 18,
    FXP_READLINK = 19,
    FXP_SYMLINK = 20,
    FXP_STATUS = 101,
    FXP_HANDLE = 102,
    FXP_DATA = 103,
    FXP_NAME = 104,
    FXP_ATTRS = 105,
    FXP_EXTENDED = 200,
    FXP_EXTENDED_REPLY = 201
};

/* attribute flags */
#define ATTR_SIZE 0x1u
#define ATTR_UIDGID 0x2u
#define ATTR_PERMISSIONS 0x4u
#define ATTR_ACMODTIME 0x8u
#define ATTR_EXTENDED 0x80000000u

/* open flags */
#define OPEN_READ 0x1u
#define OPEN_WRITE 0x2u
#define OPEN_APPEND 0x4u
#define OPEN_CREAT 0x8u
#define OPEN_TRUNC 0x10u
#define OPEN_EXCL 0x20u

#define HANDLE_LEN 8
#define NAMES_PER_READDIR 64

/* --- decoding ------------------------------------------------------------ */

struct cursor {
    const uint8_t *p;
    size_t n;
    bool bad; /* a read went past the packet */
};

static uint32_t get_u32(struct cursor *c)
{
    if (c->n < 4) {
        c->bad = true;
        c->n = 0;
        return 0;
    }
    uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
                 (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    c->n -= 4;
    return v;
}

static uint64_t get_u64(struct cursor *c)
{
    uint64_t hi = get_u32(c);
    return hi << 32 | get_u32(c);
}

/* A string's bytes (not NUL-terminated) and length. */
static const uint8_t *get_string(struct cursor *c, size_t *len)
{
    uint32_t n = get_u32(c);
    if (c->bad || n > c->n) {
        c->bad = true;
        c->n = 0;
        *len = 0;
        return (const uint8_t *)"";
    }
    const uint8_t *s = c->p;
    c->p += n;
    c->n -= n;
    *len = n;
    return s;
}

struct attrs {
    uint32_t flags;
    uint64_t size;
    uint32_t atime, mtime;
};

static void get_attrs(struct cursor *c, struct attrs *a)
{
    memset(a, 0, sizeof(*a));
    a->flags = get_u32(c);
    if (a->flags & ATTR_SIZE)
        a->size = get_u64(c);
    if (a->flags & ATTR_UIDGID) {
        get_u32(c);
        get_u32(c);
    }
    if (a->flags & ATTR_PERMISSIONS)
        get_u32(c);
    if (a->flags & ATTR_ACMODTIME) {
        a->atime = get_u32(c);
        a->mtime = get_u32(c);
    }
    if (a->flags & ATTR_EXTENDED) {
        uint32_t count = get_u32(c);
        if (count > c->n / 8) { /* each pair takes 8 bytes at least */
            c->bad = true;
            return;
        }
        for (uint32_t i = 0; i < count && !c->bad; i++) {
            size_t len;
            get_string(c, &len);
            get_string(c, &len);
        }
    }
}

/* --- replies ------------------------------------------------------------- */

struct out {
    uint8_t *p;
    size_t len;
    bool full; /* a reply did not fit: never sent */
};

static void put(struct out *o, const void *b, size_t n)
{
    if (o->full || n > SFTP_MAX_PACKET + 4 - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, b, n);
    o->len += n;
}

static void put_u32(struct out *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    put(o, b, 4);
}

static void put_u64(struct out *o, uint64_t v)
{
    put_u32(o, (uint32_t)(v >> 32));
    put_u32(o, (uint32_t)v);
}

static void put_u8(struct out *o, uint8_t v)
{
    put(o, &v, 1);
}

static void put_string(struct out *o, const void *s, size_t n)
{
    put_u32(o, (uint32_t)n);
    put(o, s, n);
}

static void put_cstring(struct out *o, const char *s)
{
    put_string(o, s, strlen(s));
}

static void put_attrs(struct out *o, const struct stat *st)
{
    put_u32(o, ATTR_SIZE | ATTR_PERMISSIONS | ATTR_ACMODTIME);
    put_u64(o, (uint64_t)st->st_size);
    put_u32(o, (uint32_t)st->st_mode);
    put_u32(o, (uint32_t)st->st_atime);
    put_u32(o, (uint32_t)st->st_mtime);
}

/* --- the session ---------------------------------------------------------- */

enum handle_kind { H_FREE, H_FILE, H_DIR };

struct handle {
    enum handle_kind kind;
    uint32_t gen;
    struct jail_path path;
    int fd;
    bool writing;
    int64_t bytes;           /* moved through this handle */
    int64_t next;            /* the offset a sequential transfer is at */
    struct digest *dg;       /* of the bytes so far; NULL once out of order */
    struct vault_file *vf;   /* reading: decrypts (plain files as they are) */
    struct vault_writer *vw; /* writing, encrypted; NULL: pwrite to fd */
    struct pending *pend;    /* encrypted upload: writes ahead of next */
    unsigned n_pend;
    size_t pend_bytes;
    const char *failed; /* why the transfer failed, for its event */
    struct timespec start;
    struct jail_dir *dir;
    bool dir_done;
};

/* An upload write that came ahead of the bytes before it. */
struct pending {
    uint64_t off;
    size_t len;
    uint8_t *data;
};

struct session {
    const struct vault *v; /* spool files at rest (never NULL) */
    struct vault off;      /* when the hooks give none */
    const struct sftp_io *io;
    const struct jail *j;
    const struct sftp_config *cfg;
    const struct sftp_hooks *hooks;
    struct handle *h;
    unsigned n_h;
    uint8_t *in;
    struct out o;
    uint32_t id; /* of the request being answered */
};

static void begin(struct session *s, uint8_t type)
{
    s->o.len = 4; /* the length goes in front at send() */
    s->o.full = false;
    put_u8(&s->o, type);
    put_u32(&s->o, s->id);
}

static int send_reply(struct session *s)
{
    if (s->o.full)
        return -EMSGSIZE; /* a bug: every reply is bounded */
    uint32_t n = (uint32_t)(s->o.len - 4);
    s->o.p[0] = (uint8_t)(n >> 24);
    s->o.p[1] = (uint8_t)(n >> 16);
    s->o.p[2] = (uint8_t)(n >> 8);
    s->o.p[3] = (uint8_t)n;
    return s->io->write(s->io->ctx, s->o.p, s->o.len);
}

static const char *status_text(enum sftp_status st)
{
    switch (st) {
    case SFTP_OK:
        return "Success";
    case SFTP_EOF:
        return "End of file";
    case SFTP_NO_SUCH_FILE:
        return "No such file";
    case SFTP_PERMISSION_DENIED:
        return "Permission denied";
    case SFTP_BAD_MESSAGE:
        return "Bad message";
    case SFTP_OP_UNSUPPORTED:
        return "Operation unsupported";
    case SFTP_FAILURE:
        break;
    }
    return "Failure";
}

static int send_status(struct session *s, enum sftp_status st, const char *msg)
{
    begin(s, FXP_STATUS);
    put_u32(&s->o, (uint32_t)st);
    put_cstring(&s->o, msg && *msg ? msg : status_text(st));
    put_cstring(&s->o, "en");
    return send_reply(s);
}

/* The status and words for a negative errno from jail.h or the system. */
static enum sftp_status status_of(int err, const char **msg)
{
    switch (-err) {
    case 0:
        *msg = "";
        return SFTP_OK;
    case ENOENT:
        *msg = "no such file";
        return SFTP_NO_SUCH_FILE;
    case EACCES:
    case EPERM:
        *msg = "permission denied";
        return SFTP_PERMISSION_DENIED;
    case ELOOP:
        *msg = "symbolic links are not followed";
        return SFTP_PERMISSION_DENIED;
    case EXDEV:
        *msg = "files stay in their folder";
        return SFTP_PERMISSION_DENIED;
    case EISDIR:
        *msg = "that is a folder";
        return SFTP_FAILURE;
    case ENOTDIR:
        *msg = "that is not a folder";
        return SFTP_FAILURE;
    case EEXIST:
        *msg = "a file of that name exists";
        return SFTP_FAILURE;
    case EINVAL:
        *msg = "a name may not hold control characters";
        return SFTP_FAILURE;
    case ENAMETOOLONG:
        *msg = "name too long";
        return SFTP_FAILURE;
    case ENOSPC:
    case EDQUOT:
        *msg = "no space left on the gateway";
        return SFTP_FAILURE;
    case EFBIG:
        *msg = "the file is larger than the gateway takes";
        return SFTP_FAILURE;
    case EMFILE:
        *msg = "too many open files in this session";
        return SFTP_FAILURE;
    default:
        *msg = "the gateway could not do that";
        return SFTP_FAILURE;
    }
}

static int send_errno(struct session *s, int err)
{
    const char *msg;
    enum sftp_status st = status_of(err, &msg);
    return send_status(s, st, msg);
}

static int64_t ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 +
           (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void report(struct session *s, const struct sftp_event *e)
{
    if (s->hooks != NULL && s->hooks->event != NULL)
        s->hooks->event(s->hooks->ctx, e);
}

/* Upload P was handed on a moment ago (see sftp.h): its attributes into
 * *ST and 0, else -ENOENT. */
static int handed_on(struct session *s, const struct jail_path *p,
                     struct stat *st)
{
    if (p->area != JAIL_INBOX || p->name[0] == '\0' || s->hooks == NULL ||
        s->hooks->handed_on == NULL)
        return -ENOENT;
    return s->hooks->handed_on(s->hooks->ctx, p->name, st) == 0 ? 0 : -ENOENT;
}

/* --- handles ------------------------------------------------------------- */

static struct handle *handle_new(struct session *s, uint32_t *slot)
{
    for (unsigned i = 0; i < s->n_h; i++)
        if (s->h[i].kind == H_FREE) {
            s->h[i].gen++;
            *slot = i;
            return &s->h[i];
        }
    return NULL;
}

static void put_handle(struct session *s, uint32_t slot)
{
    uint8_t b[HANDLE_LEN];
    uint32_t gen = s->h[slot].gen;
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(slot >> (24 - 8 * i));
        b[4 + i] = (uint8_t)(gen >> (24 - 8 * i));
    }
    put_string(&s->o, b, HANDLE_LEN);
}

/* The handle the request names, of KIND (H_FREE: a file or a listing);
 * NULL when it names none (malformed, stale, forged, another kind). */
static struct handle *get_handle(struct session *s, struct cursor *c,
                                 enum handle_kind kind)
{
    size_t len;
    const uint8_t *b = get_string(c, &len);
    if (c->bad || len != HANDLE_LEN)
        return NULL;
    uint32_t slot = 0, gen = 0;
    for (int i = 0; i < 4; i++) {
        slot = slot << 8 | b[i];
        gen = gen << 8 | b[4 + i];
    }
    if (slot >= s->n_h || s->h[slot].kind == H_FREE || s->h[slot].gen != gen)
        return NULL;
    if (kind != H_FREE && s->h[slot].kind != kind)
        return NULL;
    return &s->h[slot];
}

/* SHA-256 of file P, read again; "" when it cannot be. */
static void path_sha(struct session *s, const struct jail_path *p, char hex[65])
{
    hex[0] = '\0';
    if (!s->cfg->digest)
        return;
    struct vault_file *f = NULL;
    int fd = jail_open_file(s->j, p, O_RDONLY);
    if (fd >= 0 && vault_open_fd(s->v, fd, &f) == 0) {
        if (vault_sha256(f, hex, NULL) < 0)
            hex[0] = '\0';
        vault_close(f);
    }
}

/* ST's size made the plaintext's, for file P: an encrypted file is
 * opened for its size; one that does not open (being written, damaged,
 * another key) shows the data its full chunks could hold. */
static void plain_size(struct session *s, const struct jail_path *p,
                       struct stat *st)
{
    struct vault_file *f = NULL;
    int64_t size;
    if (!S_ISREG(st->st_mode) ||
        st->st_size < (off_t)(AEAD_HEADER_SIZE + AEAD_RECORD_SIZE))
        return; /* too short to be encrypted */
    int fd = jail_open_file(s->j, p, O_RDONLY);
    if (fd < 0 || vault_open_fd(s->v, fd, &f) < 0 || !vault_encrypted(f) ||
        vault_size(f, &size) < 0) {
        if (f == NULL || vault_encrypted(f))
            st->st_size = (st->st_size - AEAD_HEADER_SIZE) / AEAD_RECORD_SIZE *
                          AEAD_CHUNK_SIZE;
        vault_close(f);
        return;
    }
    st->st_size = (off_t)size;
    vault_close(f);
}

/* Words for an error of a file at rest (vault.h); NULL for other errors. */
static const char *atrest_message(int rc)
{
    switch (-rc) {
    case EBADMSG:
        return "the file is damaged: the gateway will not serve it";
    case EPIPE:
        return "the file is damaged (truncated): the gateway will not serve "
               "it";
    case ENOKEY:
        return "the file does not open with the gateway's master key: the "
               "gateway cannot serve it";
    case ENOTSUP:
        return "the file is in an encrypted format this gateway does not "
               "read";
    default:
        return NULL;
    }
}

/* Bytes held out of order by every handle of this process's session
 * (one session per process: server.c forks per connection). */
static size_t held_bytes;

static void pending_free(struct handle *h)
{
    held_bytes -= h->pend_bytes;
    for (unsigned i = 0; i < h->n_pend; i++)
        free(h->pend[i].data);
    free(h->pend);
    h->pend = NULL;
    h->n_pend = 0;
    h->pend_bytes = 0;
}

/* SHA-256 of the file behind H, SIZE bytes: the running one when the
 * transfer went in order over the whole file, else read again (by a
 * second descriptor: an upload's is write-only). */
static void file_sha(struct session *s, struct handle *h, int64_t size,
                     char hex[65])
{
    if (h->dg != NULL && h->next == size) {
        digest_finish(h->dg, hex);
        h->dg = NULL;
        return;
    }
    digest_free(h->dg);
    h->dg = NULL;
    path_sha(s, &h->path, hex);
}

/* Close file handle H (ENDED: the stream ended with it open), report it
 * and hand a finished upload on.  0, or the hand-on's negative errno. */
static int close_file(struct session *s, struct handle *h, bool ended)
{
    struct sftp_event e = {.kind =
                               h->writing ? SFTP_EV_UPLOAD : SFTP_EV_DOWNLOAD,
                           .path = h->path.canon,
                           .bytes = h->bytes,
                           .duration_ms = ms_since(&h->start),
                           .status = SFTP_OK,
                           .message = ""};
    struct stat st;
    int rc = 0;
    int64_t size = -1;
    if (h->vw != NULL) {
        digest_free(h->dg);
        h->dg = NULL;
        if (h->n_pend > 0 && h->failed == NULL)
            h->failed = "the upload has a gap (writes before some offset "
                        "never came): not taken";
        /* sealed (its last chunk written) only when whole */
        if (h->failed == NULL && !ended && vault_finish(h->vw, e.sha256) < 0)
            h->failed = "the upload could not be written to the gateway's "
                        "disk";
        size = h->next;
        vault_writer_free(h->vw);
        h->vw = NULL;
        pending_free(h);
    } else if (h->vf != NULL) {
        if (vault_size(h->vf, &size) < 0)
            size = -1;
        file_sha(s, h, size, e.sha256);
        vault_close(h->vf);
        h->vf = NULL;
    } else {
        size = fstat(h->fd, &st) == 0 ? (int64_t)st.st_size : -1;
        file_sha(s, h, size, e.sha256);
        close(h->fd);
    }
    h->fd = -1;
    if (h->failed != NULL) {
        e.status = SFTP_FAILURE;
        e.message = h->failed;
    } else if (h->writing && ended) {
        e.status = SFTP_FAILURE;
        e.message = "the connection ended during the upload";
    } else if (h->writing && !sftp_temporary_name(h->path.name)) {
        if (s->hooks != NULL && s->hooks->upload_done != NULL &&
            (rc = s->hooks->upload_done(s->hooks->ctx, h->path.name, size,
                                        e.sha256)) < 0) {
            e.status = SFTP_FAILURE;
            e.message = "the upload could not be queued";
        } else {
            e.complete = true;
        }
    }
    report(s, &e);
    h->kind = H_FREE;
    return h->writing && e.status != SFTP_OK && !ended && rc == 0 ? -EIO : rc;
}

static void close_all(struct session *s)
{
    for (unsigned i = 0; i < s->n_h; i++) {
        struct handle *h = &s->h[i];
        if (h->kind == H_FILE)
            close_file(s, h, true);
        else if (h->kind == H_DIR)
            jail_closedir(h->dir);
        h->kind = H_FREE;
    }
}

/* --- requests ------------------------------------------------------------ */

/* A path argument, resolved; false with the reply sent when it does not
 * resolve (or the packet is short). */
static bool get_path(struct session *s, struct cursor *c, struct jail_path *p,
                     int *rc)
{
    size_t len;
    const uint8_t *t = get_string(c, &len);
    if (c->bad) {
        *rc = send_status(s, SFTP_BAD_MESSAGE, "");
        return false;
    }
    int r = jail_resolve((const char *)t, len, p);
    if (r < 0) {
        *rc = send_errno(s, r);
        return false;
    }
    return true;
}

static int denied(struct session *s, const char *why)
{
    return send_status(s, SFTP_PERMISSION_DENIED, why);
}

static int do_open(struct session *s, struct cursor *c)
{
    struct jail_path p;
    struct attrs a;
    int rc;
    if (!get_path(s, c, &p, &rc))
        return rc;
    uint32_t pf = get_u32(c);
    get_attrs(c, &a);
    if (c->bad)
        return send_status(s, SFTP_BAD_MESSAGE, "");
    bool rd = pf & OPEN_READ;
    bool wr = pf & (OPEN_WRITE | OPEN_APPEND | OPEN_CREAT | OPEN_TRUNC);
    if (!rd && !wr)
        return send_status(s, SFTP_BAD_MESSAGE,
                           "open for neither reading "
                           "nor writing");
    if ((rd && !jail_allows(&p, JAIL_READ)) ||
        (wr && !jail_allows(&p, JAIL_WRITE)))
        return denied(s, p.area == JAIL_OUTBOX  ? "the outbox is read-only"
                         : p.area == JAIL_INBOX ? "uploads cannot be read back"
                                                : "files go in /inbox");
    int flags = rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
    if (pf & OPEN_APPEND)
        flags |= O_APPEND;
    if (pf & OPEN_CREAT)
        flags |= O_CREAT;
    if (pf & OPEN_TRUNC)
        flags |= O_TRUNC;
    if (pf & OPEN_EXCL)
        flags |= O_EXCL;
    uint32_t slot;
    struct handle *h = handle_new(s, &slot);
    if (h == NULL)
        return send_errno(s, -EMFILE);
    int fd = jail_open_file(s->j, &p, flags);
    if (fd < 0)
        return send_errno(s, fd);
    struct vault_file *vf = NULL;
    struct vault_writer *vw = NULL;
    if (!wr) {
        /* checked now: a file cut short or under another key is refused
         * before a byte of it goes out */
        int64_t size;
        rc = vault_open_fd(s->v, fd, &vf);
        if (rc == 0 && (rc = vault_size(vf, &size)) < 0) {
            vault_close(vf);
            vf = NULL;
        }
        if (rc < 0) {
            const char *why = atrest_message(rc);
            struct sftp_event e = {.kind = SFTP_EV_DOWNLOAD,
                                   .path = p.canon,
                                   .status = SFTP_FAILURE,
                                   .message = why ? why : "unreadable"};
            report(s, &e);
            return why ? send_status(s, SFTP_FAILURE, why) : send_errno(s, rc);
        }
        fd = vault_fd(vf);
    } else if (s->v->on) {
        struct stat st;
        if (!(flags & O_TRUNC) && fstat(fd, &st) == 0 && st.st_size > 0) {
            close(fd);
            return send_status(s, SFTP_FAILURE,
                               "files are encrypted here and cannot be "
                               "written in place or resumed: send it whole");
        }
        if ((rc = vault_create(s->v, fd, s->cfg->digest, &vw)) < 0)
            return send_errno(s, rc);
        fd = vault_writer_fd(vw);
    }
    h->kind = H_FILE;
    h->path = p;
    h->fd = fd;
    h->vf = vf;
    h->vw = vw;
    h->pend = NULL;
    h->n_pend = 0;
    h->pend_bytes = 0;
    h->failed = NULL;
    h->writing = wr;
    h->bytes = 0;
    h->next = 0;
    /* NULL: no running digest (read again at the end, if wanted); an
     * encrypted upload's writer takes its own */
    h->dg = s->cfg->digest && vw == NULL ? digest_new() : NULL;
    clock_gettime(CLOCK_MONOTONIC, &h->start);
    begin(s, FXP_HANDLE);
    put_handle(s, slot);
    return send_reply(s);
}

static int do_close(struct session *s, struct cursor *c)
{
    struct handle *h = get_handle(s, c, H_FREE);
    if (h == NULL)
        return send_status(s, SFTP_FAILURE, "no such handle");
    if (h->kind == H_DIR) {
        jail_closedir(h->dir);
        h->dir = NULL;
        h->kind = H_FREE;
        return send_status(s, SFTP_OK, "");
    }
    int rc = close_file(s, h, false);
    if (rc == -EIO)
        return send_status(s, SFTP_FAILURE,
                           h->failed ? h->failed
                                     : "the upload could not be written");
    return rc < 0
               ? send_status(s, SFTP_FAILURE, "the upload could not be queued")
               : send_status(s, SFTP_OK, "");
}

static void track(struct handle *h, uint64_t offset, const void *b, size_t n)
{
    h->bytes += (int64_t)n;
    if (h->dg != NULL && offset == (uint64_t)h->next) {
        if (digest_update(h->dg, b, n) == 0) {
            h->next += (int64_t)n;
            return;
        }
    }
    if (n > 0) { /* out of order: the digest is taken again at close */
        digest_free(h->dg);
        h->dg = NULL;
    }
}

static int do_read(struct session *s, struct cursor *c)
{
    struct handle *h = get_handle(s, c, H_FILE);
    uint64_t offset = get_u64(c);
    uint32_t len = get_u32(c);
    if (c->bad)
        return send_status(s, SFTP_BAD_MESSAGE, "");
    if (h == NULL || h->writing)
        return send_status(s, SFTP_FAILURE,
                           "no such handle open for "
                           "reading");
    if (offset > (uint64_t)INT64_MAX)
        return send_status(s, SFTP_EOF, "");
    if (len > SFTP_MAX_DATA)
        len = SFTP_MAX_DATA;
    begin(s, FXP_DATA);
    size_t at = s->o.len;
    put_u32(&s->o, 0);
    uint8_t *dst = s->o.p + s->o.len;
    ssize_t n = vault_pread(h->vf, dst, len, (int64_t)offset);
    if (n < 0) {
        const char *why = atrest_message((int)n);
        if (why == NULL)
            return send_errno(s, (int)n);
        h->failed = why; /* the download's event says so at its close */
        return send_status(s, SFTP_FAILURE, why);
    }
    if (n == 0)
        return send_status(s, SFTP_EOF, "");
    track(h, offset, dst, (size_t)n);
    s->o.len += (size_t)n;
    s->o.p[at] = (uint8_t)((uint32_t)n >> 24);
    s->o.p[at + 1] = (uint8_t)((uint32_t)n >> 16);
    s->o.p[at + 2] = (uint8_t)((uint32_t)n >> 8);
    s->o.p[at + 3] = (uint8_t)n;
    return send_reply(s);
}

/* Write the held writes that now follow on. */
static int drain(struct handle *h)
{
    for (unsigned i = 0; i < h->n_pend;) {
        struct pending *q = &h->pend[i];
        if (q->off != (uint64_t)h->next) {
            i++;
            continue;
        }
        int rc = vault_write(h->vw, q->data, q->len);
        if (rc < 0)
            return rc;
        h->next += (int64_t)q->len;
        h->pend_bytes -= q->len;
        held_bytes -= q->len;
        free(q->data);
        h->pend[i] = h->pend[--h->n_pend];
        i = 0; /* the next may be anywhere */
    }
    return 0;
}

/* An encrypted upload's write: in order, or held in the window until
 * the bytes before it come.  0, or negative with *WHY (NULL: an errno
 * the caller words). */
static int window_write(struct handle *h, uint64_t off, const uint8_t *data,
                        size_t len, const char **why)
{
    int rc;
    if (len == 0)
        return 0;
    if (off < (uint64_t)h->next) {
        *why = "this write goes back over bytes already written; files are "
               "encrypted here as they come and must be written in order";
        return -EINVAL;
    }
    if (off == (uint64_t)h->next) {
        if ((rc = vault_write(h->vw, data, len)) < 0)
            return rc;
        h->next += (int64_t)len;
        return drain(h);
    }
    for (unsigned i = 0; i < h->n_pend; i++)
        if (off < h->pend[i].off + h->pend[i].len &&
            h->pend[i].off < off + len) {
            *why = "this write overlaps another one: files are encrypted "
                   "here as they come and must be written in order";
            return -EINVAL;
        }
    if (h->n_pend == SFTP_WINDOW_WRITES ||
        len > SFTP_WINDOW_BYTES - h->pend_bytes ||
        len > SFTP_SESSION_WINDOW_BYTES - held_bytes) {
        *why = "writes came too far out of order (files are encrypted here "
               "as they come)";
        return -EINVAL;
    }
    if (h->pend == NULL &&
        (h->pend = calloc(SFTP_WINDOW_WRITES, sizeof(*h->pend))) == NULL)
        return -ENOMEM;
    uint8_t *copy = malloc(len);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, data, len);
    h->pend[h->n_pend++] = (struct pending){off, len, copy};
    h->pend_bytes += len;
    held_bytes += len;
    return 0;
}

static int do_write(struct session *s, struct cursor *c)
{
    struct handle *h = get_handle(s, c, H_FILE);
    uint64_t offset = get_u64(c);
    size_t len;
    const uint8_t *data = get_string(c, &len);
    if (c->bad)
        return send_status(s, SFTP_BAD_MESSAGE, "");
    if (h == NULL || !h->writing)
        return send_status(s, SFTP_FAILURE,
                           "no such handle open for "
                           "writing");
    /* any write refused or failed fails the whole upload: its CLOSE does
     * not hand on what was written (a client goes on to CLOSE after a
     * failed write, and part of a file must never be taken in) */
    if (offset > (uint64_t)s->cfg->max_file_bytes ||
        len > (uint64_t)s->cfg->max_file_bytes - offset) {
        if (h->failed == NULL)
            h->failed = "the upload is larger than this gateway takes";
        return send_errno(s, -EFBIG);
    }
    if (h->vw != NULL) {
        const char *why = NULL;
        int rc = window_write(h, offset, data, len, &why);
        if (rc < 0) {
            if (h->failed == NULL)
                h->failed =
                    why ? why : "a write failed: the upload is not taken";
            return why ? send_status(s, SFTP_FAILURE, why) : send_errno(s, rc);
        }
        h->bytes += (int64_t)len;
        return send_status(s, SFTP_OK, "");
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n =
            pwrite(h->fd, data + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int rc = n < 0 ? -errno : -ENOSPC;
            if (h->failed == NULL)
                h->failed = "a write failed: the upload is not taken";
            return send_errno(s, rc);
        }
        done += (size_t)n;
    }
    track(h, offset, data, len);
    return send_status(s, SFTP_OK, "");
}

static int do_stat(struct session *s, struct cursor *c)
{
    struct jail_path p;
    struct stat st;
    int rc;
    if (!get_path(s, c, &p, &rc))
        return rc;
    if ((rc = jail_stat(s->j, &p, &st)) == -ENOENT)
        rc = handed_on(s, &p, &st);
    else if (rc == 0)
        plain_size(s, &p, &st);
    if (rc < 0)
        return send_errno(s, rc);
    begin(s, FXP_ATTRS);
    put_attrs(&s->o, &st);
    return send_reply(s);
}

/* ST's size made the plaintext's for file handle H. */
static void handle_size(struct handle *h, struct stat *st)
{
    int64_t size;
    if (h->vw != NULL)
        st->st_size = (off_t)h->next;
    else if (h->vf != NULL && vault_size(h->vf, &size) == 0)
        st->st_size = (off_t)size;
}

static int do_fstat(struct session *s, struct cursor *c)
{
    struct handle *h = get_handle(s, c, H_FILE);
    struct stat st;
    if (h == NULL)
        return send_status(s, SFTP_FAILURE, "no such handle");
    if (fstat(h->fd, &st) < 0)
        return send_errno(s, -errno);
    handle_size(h, &st);
    begin(s, FXP_ATTRS);
    put_attrs(&s->o, &st);
    return send_reply(s);
}

/* SETSTAT and FSETSTAT: times are set where they may be (on a handed-on
 * upload they are taken and left as they are); permissions, owners and
 * extended attributes are ignored (files stay 0600); a size is refused
 * unless it is the size the file has. */
static int set_attrs(struct session *s, const struct jail_path *p,
                     struct handle *h, const struct attrs *a)
{
    struct stat st;
    bool gone = false; /* handed on: the gateway's file now */
    int fd = h != NULL ? h->fd : -1;
    int rc =
        fd >= 0 ? (fstat(fd, &st) < 0 ? -errno : 0) : jail_stat(s->j, p, &st);
    if (rc == -ENOENT && fd < 0 && (rc = handed_on(s, p, &st)) == 0)
        gone = true;
    else if (rc == 0 && h != NULL)
        handle_size(h, &st);
    else if (rc == 0)
        plain_size(s, p, &st);
    if (rc < 0)
        return send_errno(s, rc);
    if ((a->flags & ATTR_SIZE) && a->size != (uint64_t)st.st_size)
        return denied(s, "a file's size cannot be changed");
    if (a->flags & ATTR_ACMODTIME) {
        if (!jail_allows(p, JAIL_SET_TIMES))
            return denied(s, "times can be set on uploads only");
        if (gone) {
            /* taken, left as they are */
        } else if (fd >= 0) {
            struct timespec ts[2] = {{.tv_sec = a->atime},
                                     {.tv_sec = a->mtime}};
            rc = futimens(fd, ts) < 0 ? -errno : 0;
        } else {
            rc = jail_set_times(s->j, p, a->atime, a->mtime);
        }
        if (rc < 0)
            return send_errno(s, rc);
    }
    return send_status(s, SFTP_OK, "");
}

static int do_setstat(struct session *s, struct cursor *c)
{
    struct jail_path p;
    struct attrs a;
    int rc;
    if (!get_path(s, c, &p, &rc))
        return rc;
    get_attrs(c, &a);
    if (c->bad)
        return send_status(s, SFTP_BAD_MESSAGE, "");
    return set_attrs(s, &p, NULL, &a);
}

static int do_fsetstat(struct session *s, struct cursor *c)
{
    struct handle *h = get_handle(s, c, H_FILE);
    struct attrs a;
    get_attrs(c, &a);
    if (c->bad)
        return send_status(s, SFTP_BAD_MESSAGE, "");
    if (h == NULL)
        return send_status(s, SFTP_FAILURE, "no such handle");
    return set_attrs(s, &h->path, h, &a);
}

static int do_opendir(struct session *s, struct cursor *c)
{
    struct jail_path p;
    int rc;
    if (!get_path(s, c, &p, &rc))
        return rc;
    if (!jail_allows(&p, JAIL_LIST))
        return send_errno(s, -ENOTDIR);
    uint32_t slot;
    struct handle *h = handle_new(s, &slot);
    if (h == NULL)
        return send_errno(s, -EMFILE);
    if ((rc = jail_opendir(s->j, &p, &h->dir)) < 0)
        return send_errno(s, rc);
    h->kind = H_DIR;
    h->path = p;
    h->dir_done = false;
    begin(s, FXP_HANDLE);
    put_handle(s, slot);
    return send_reply(s);
}

/* "-rw-------   1 owner    owner        1234 Nov 26 20:30 name", as ls -l
 * and OpenSSH's server write it. */
static void long_name(struct session *s, const struct jail_entry *e, char *buf,
                      size_t size)
{
    char mode[11] = "----------", when[32];
    const struct stat *st = &e->st;
    mode[0] = S_ISDIR(st->st_mode)   ? 'd'
              : S_ISLNK(st->st_mode) ? 'l'
              : S_ISREG(st->st_mode) ? '-'
                                     : '?';
    static const char rwx[] = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        if (st->st_mode & (0400u >> i))
            mode[1 + i] = rwx[i];
    struct tm tm;
    time_t now = time(NULL), t = st->st_mtime;
    localtime_r(&t, &tm);
    strftime(when, sizeof(when),
             t > now - 182 * 86400 && t < now + 86400 ? "%b %e %H:%M"
                                                      : "%b %e  %Y",
             &tm);
    const char *user = s->cfg->user ? s->cfg->user : "partner";
    snprintf(buf, size, "%s %3u %-8.32s %-8.32s %8lld %s %s", mode,
             (unsigned)st->st_nlink, user, user, (long long)st->st_size, when,
             e->name);
}

static int do_readdir(struct session *s, struct cursor *c)
{
    struct handle *h = get_handle(s, c, H_DIR);
    if (h == NULL)
        return send_status(s, SFTP_FAILURE, "no such handle");
    if (h->dir_done)
        return send_status(s, SFTP_EOF, "");
    begin(s, FXP_NAME);
    size_t at = s->o.len;
    put_u32(&s->o, 0);
    uint32_t n = 0;
    struct jail_entry e;
    char ln[JAIL_NAME_MAX + 128];
    int rc = 0;
    /* each entry takes at most ~800 bytes: NAMES_PER_READDIR fit */
    while (n < NAMES_PER_READDIR && (rc = jail_readdir(h->dir, &e)) == 1) {
        struct jail_path ep = {.area = h->path.area};
        snprintf(ep.name, sizeof(ep.name), "%s", e.name);
        plain_size(s, &ep, &e.st);
        long_name(s, &e, ln, sizeof(ln));
        put_cstring(&s->o, e.name);
        put_cstring(&s->o, ln);
        put_attrs(&s->o, &e.st);
        n++;
    }
    if (rc <= 0)
        h->dir_done = true;
    if (n == 0) /* never an empty NAME: some clients choke on it */
        return rc < 0 ? send_errno(s, rc) : send_status(s, SFTP_EOF, "");
    s->o.p[at] = (uint8_t)(n >> 24);
    s->o.p[at + 1] = (uint8_t)(n >> 16);
    s->o.p[at + 2] = (uint8_t)(n >> 8);
    s->o.p[at + 3] = (uint8_t)n;
    return send_reply(s);
}

static int do_remove(struct session *s, struct cursor *c)
{
    struct jail_path p;
    int rc;
    if (!get_path(s, c, &p, &rc))
        return rc;
    if (!jail_allows(&p, JAIL_REMOVE))
        return denied(s, p.name[0] ? "permission denied"
                                   : "folders cannot be removed");
    rc = jail_remove(s->j, &p);
    const char *msg;
    struct sftp_event e = {
        .kind = SFTP_EV_REMOVE, .path = p.canon, .status = status_of(rc, &msg)};
    e.message = msg;
    report(s, &e);
    return send_errno(s, rc);
}

static int do_realpath(struct session *s, struct cursor *c)
{
    struct jail_path p;
    int rc;
    if (!get_path(s, c, &p, &rc))
        return rc;
    begin(s, FXP_NAME);
    put_u32(&s->o, 1);
    put_cstring(&s->o, p.canon);
    put_cstring(&s->o, p.canon);
    put_u32(&s->o, 0); /* no attributes */
    return send_reply(s);
}

static int do_rename(struct session *s, struct cursor *c, bool overwrite)
{
    struct jail_path from, to;
    int rc;
    if (!get_path(s, c, &from, &rc) || !get_path(s, c, &to, &rc))
        return rc;
    if (!jail_allows(&from, JAIL_RENAME) || !jail_allows(&to, JAIL_RENAME))
        return denied(s, "only uploads in /inbox can be renamed");
    rc = jail_rename(s->j, &from, &to, overwrite);
    const char *msg;
    struct sftp_event e = {.kind = SFTP_EV_RENAME,
                           .path = from.canon,
                           .to = to.canon,
                           .status = status_of(rc, &msg)};
    e.message = msg;
    report(s, &e);
    if (rc < 0)
        return send_errno(s, rc);
    /* a temporary name made final: the upload is finished */
    if (sftp_temporary_name(from.name) && !sftp_temporary_name(to.name)) {
        struct stat st;
        struct sftp_event up = {.kind = SFTP_EV_UPLOAD,
                                .path = to.canon,
                                .status = SFTP_OK,
                                .message = "",
                                .complete = true};
        if ((rc = jail_stat(s->j, &to, &st)) == 0) {
            plain_size(s, &to, &st);
            path_sha(s, &to, up.sha256);
            up.bytes = (int64_t)st.st_size;
            if (s->hooks != NULL && s->hooks->upload_done != NULL)
                rc = s->hooks->upload_done(s->hooks->ctx, to.name,
                                           (int64_t)st.st_size, up.sha256);
        }
        if (rc < 0) {
            up.complete = false;
            up.status = SFTP_FAILURE;
            up.message = "the upload could not be queued";
        }
        report(s, &up);
        if (rc < 0)
            return send_status(s, SFTP_FAILURE,
                               "renamed, but the upload could not be queued");
    }
    return send_status(s, SFTP_OK, "");
}

static int do_statvfs(struct session *s, struct cursor *c)
{
    struct jail_path p;
    struct statvfs v;
    int rc;
    if (!get_path(s, c, &p, &rc))
        return rc;
    int fd = p.area == JAIL_OUTBOX ? s->j->outbox_fd : s->j->inbox_fd;
    if (fstatvfs(fd, &v) < 0)
        return send_errno(s, -errno);
    begin(s, FXP_EXTENDED_REPLY);
    put_u64(&s->o, v.f_bsize);
    put_u64(&s->o, v.f_frsize);
    put_u64(&s->o, v.f_blocks);
    put_u64(&s->o, v.f_bfree);
    put_u64(&s->o, v.f_bavail);
    put_u64(&s->o, v.f_files);
    put_u64(&s->o, v.f_ffree);
    put_u64(&s->o, v.f_favail);
    put_u64(&s->o, v.f_fsid);
    put_u64(&s->o, (v.f_flag & ST_RDONLY ? 1u : 0u) |
                       (v.f_flag & ST_NOSUID ? 2u : 0u));
    put_u64(&s->o, v.f_namemax);
    return send_reply(s);
}

static int do_extended(struct session *s, struct cursor *c)
{
    size_t len;
    const uint8_t *name = get_string(c, &len);
    if (c->bad)
        return send_status(s, SFTP_BAD_MESSAGE, "");
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
    if (IS("posix-rename@openssh.com"))
        return do_rename(s, c, true);
    if (IS("statvfs@openssh.com"))
        return do_statvfs(s, c);
    if (IS("fsync@openssh.com")) {
        struct handle *h = get_handle(s, c, H_FILE);
        if (h == NULL)
            return send_status(s, SFTP_FAILURE, "no such handle");
        return send_errno(s, fsync(h->fd) < 0 ? -errno : 0);
    }
    if (IS("limits@openssh.com")) {
        begin(s, FXP_EXTENDED_REPLY);
        put_u64(&s->o, 256u * 1024u);
        put_u64(&s->o, SFTP_MAX_DATA);
        put_u64(&s->o, SFTP_MAX_DATA);
        put_u64(&s->o, s->n_h);
        return send_reply(s);
    }
    if (IS("hardlink@openssh.com"))
        return denied(s, "links cannot be made here");
#undef IS
    return send_status(s, SFTP_OP_UNSUPPORTED, "");
}

/* Answer one request of TYPE whose id is read already. */
static int dispatch(struct session *s, uint8_t type, struct cursor *c)
{
    switch (type) {
    case FXP_OPEN:
        return do_open(s, c);
    case FXP_CLOSE:
        return do_close(s, c);
    case FXP_READ:
        return do_read(s, c);
    case FXP_WRITE:
        return do_write(s, c);
    case FXP_LSTAT:
    case FXP_STAT: /* symlinks are never followed: STAT is LSTAT */
        return do_stat(s, c);
    case FXP_FSTAT:
        return do_fstat(s, c);
    case FXP_SETSTAT:
        return do_setstat(s, c);
    case FXP_FSETSTAT:
        return do_fsetstat(s, c);
    case FXP_OPENDIR:
        return do_opendir(s, c);
    case FXP_READDIR:
        return do_readdir(s, c);
    case FXP_REMOVE:
        return do_remove(s, c);
    case FXP_MKDIR:
        return denied(s, "folders cannot be made here: upload to /inbox");
    case FXP_RMDIR:
        return denied(s, "folders cannot be removed");
    case FXP_REALPATH:
        return do_realpath(s, c);
    case FXP_RENAME:
        return do_rename(s, c, false);
    case FXP_READLINK:
    case FXP_SYMLINK:
        return denied(s, "symbolic links are not followed or made here");
    case FXP_EXTENDED:
        return do_extended(s, c);
    default:
        return send_status(s, SFTP_OP_UNSUPPORTED, "");
    }
}

/* --- the stream ---------------------------------------------------------- */

/* Read exactly LEN bytes: 1, 0 at the end of the stream before the first
 * byte, negative errno (-ECONNRESET when it ends inside). */
static int read_full(struct session *s, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = s->io->read(s->io->ctx, buf + got, len - got);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return got == 0 ? 0 : -ECONNRESET;
        got += (size_t)n;
    }
    return 1;
}

/* The next packet into s->in: its length, 0 at the end, negative errno. */
static long next_packet(struct session *s)
{
    uint8_t b[4];
    int rc = read_full(s, b, 4);
    if (rc <= 0)
        return rc;
    uint32_t len = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                   (uint32_t)b[2] << 8 | b[3];
    if (len < 5 || len > SFTP_MAX_PACKET)
        return -EMSGSIZE;
    if ((rc = read_full(s, s->in, len)) <= 0)
        return rc == 0 ? -ECONNRESET : rc;
    return (long)len;
}

static int version_exchange(struct session *s)
{
    long len = next_packet(s);
    if (len <= 0)
        return len == 0 ? -ECONNRESET : (int)len;
    if (s->in[0] != FXP_INIT)
        return -EPROTO;
    /* our version is 3 whatever the client's: it sees ours and goes
     * along, or goes away */
    s->o.len = 4;
    s->o.full = false;
    put_u8(&s->o, FXP_VERSION);
    put_u32(&s->o, 3);
    static const char *const ext[][2] = {
        {"posix-rename@openssh.com", "1"},
        {"statvfs@openssh.com", "2"},
        {"fsync@openssh.com", "1"},
        {"limits@openssh.com", "1"},
    };
    for (size_t i = 0; i < sizeof(ext) / sizeof(*ext); i++) {
        put_cstring(&s->o, ext[i][0]);
        put_cstring(&s->o, ext[i][1]);
    }
    return send_reply(s);
}

bool sftp_temporary_name(const char *name)
{
    static const char *const suffixes[] = {".part", ".filepart", ".partial",
                                           ".tmp", ".upload"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
            return true;
    }
    return false;
}

int sftp_serve(const struct sftp_io *io, const struct jail *jail,
               const struct sftp_config *config, const struct sftp_hooks *hooks)
{
    struct session s = {.io = io, .j = jail, .cfg = config, .hooks = hooks};
    int rc;
    vault_init(&s.off, NULL);
    s.v =
        hooks != NULL && hooks->vault != NULL ? hooks->vault(hooks->ctx) : NULL;
    if (s.v == NULL)
        s.v = &s.off;
    s.n_h = config->max_handles < 1      ? 1
            : config->max_handles > 1024 ? 1024
                                         : config->max_handles;
    s.h = calloc(s.n_h, sizeof(*s.h));
    s.in = malloc(SFTP_MAX_PACKET);
    s.o.p = malloc(SFTP_MAX_PACKET + 4);
    if (s.h == NULL || s.in == NULL || s.o.p == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = version_exchange(&s)) < 0)
        goto out;
    for (;;) {
        long len = next_packet(&s);
        if (len <= 0) {
            rc = (int)len;
            break;
        }
        struct cursor c = {.p = s.in + 1, .n = (size_t)len - 1};
        uint8_t type = s.in[0];
        if (type == FXP_INIT) {
            rc = -EPROTO; /* once only */
            break;
        }
        s.id = get_u32(&c);
        if ((rc = dispatch(&s, type, &c)) < 0)
            break;
    }
out:
    if (s.h != NULL)
        close_all(&s);
    free(s.h);
    free(s.in);
    free(s.o.p);
    return rc;
}
