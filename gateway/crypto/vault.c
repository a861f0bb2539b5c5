/*
 * vault.c - spool files through aead.h (see vault.h): which key, plain or
 * encrypted, sequential and random reads, a decrypting socket feed for
 * fd readers, and an encrypting writer with a stdio face.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "offsetgw/digest.h"
#include "offsetgw/durable.h"
#include "offsetgw/failpoint.h"
#include "offsetgw/vault.h"

#define MAGIC "OGAEAD"
#define MAGIC_LEN 6
#define KEY_ID_AT 8
#define FEED_BUF (64 * 1024)

/* --- keys --------------------------------------------------------------- */

void vault_init(struct vault *v, const struct aead_key *key)
{
    memset(v, 0, sizeof(*v));
    if (key != NULL) {
        v->on = v->keyed = true;
        v->key = *key;
    }
}

void vault_release(struct vault *v)
{
    gnutls_memset(v, 0, sizeof(*v));
}

int vault_load(struct vault *v, const struct home *h, char *err,
               size_t err_size)
{
    struct aead_key k;
    int rc;

    vault_init(v, NULL);
    if (h == NULL)
        return 0; /* no home: plain files only (tests, tools) */
    rc = home_master_key(h, false, &k, err, err_size);
    if (rc == -ENOENT)
        return 0; /* off: a home from before encryption at rest */
    if (rc < 0)
        return rc;
    vault_init(v, &k);
    aead_key_wipe(&k);
    if ((rc = home_spool_plain(h)) < 0) {
        snprintf(err, err_size, "%s/spool.plain: %s", h->keys, strerror(-rc));
        return rc;
    }
    v->on = rc == 0; /* spool.plain: written plain on purpose */
    /* keys an unfinished rotation left: files it did not reach yet */
    DIR *d = opendir(h->keys);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL && v->n_old < VAULT_OLD_MAX) {
        char path[HOME_PATH_MAX + 300];
        if (strncmp(e->d_name, "master.key.old-", 15) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", h->keys, e->d_name);
        if (aead_master_load(path, &v->old[v->n_old]) == 0)
            v->n_old++;
    }
    if (d != NULL)
        closedir(d);
    return 0;
}

const char *vault_strerror(int rc)
{
    switch (-rc) {
    case ENOKEY:
        return "encrypted under another master key";
    case EBADMSG:
        return "damaged";
    case EPIPE:
        return "truncated";
    case ENOTSUP:
        return "an encrypted format this gateway does not read";
    default:
        return strerror(-rc);
    }
}

/* --- reading ------------------------------------------------------------ */

struct vault_file {
    int fd;
    struct aead_reader *r; /* NULL: a plain file */
    bool has_key;          /* KEY is the one that wraps the file */
    struct aead_key key;   /* a copy: the vault may go first */
};

static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Is the file at FD encrypted?  Its key (by the header's key id) into
 * *KEY.  1, 0, or negative. */
static int sniff(const struct vault *v, int fd, const struct aead_key **key)
{
    unsigned char hdr[KEY_ID_AT + AEAD_KEY_ID_SIZE];
    ssize_t n = pread_full(fd, hdr, sizeof(hdr), 0);
    if (n < 0)
        return (int)n;
    if (n < MAGIC_LEN || memcmp(hdr, MAGIC, MAGIC_LEN) != 0)
        return 0;
    *key = v->keyed ? &v->key : NULL;
    if (n < (ssize_t)sizeof(hdr))
        return 1;
    for (unsigned i = 0; i < v->n_old; i++)
        if (memcmp(hdr + KEY_ID_AT, v->old[i].id, AEAD_KEY_ID_SIZE) == 0)
            *key = &v->old[i];
    return 1;
}

static int open_reader(struct vault_file *f)
{
    if (!f->has_key)
        return -ENOKEY;
    if (lseek(f->fd, 0, SEEK_SET) < 0)
        return -errno;
    return aead_reader_open(&f->r, f->fd, &f->key);
}

int vault_open_fd(const struct vault *v, int fd, struct vault_file **out)
{
    struct vault_file *f = calloc(1, sizeof(*f));
    int rc;
    *out = NULL;
    if (f == NULL) {
        close(fd);
        return -ENOMEM;
    }
    f->fd = fd;
    const struct aead_key *key = NULL;
    rc = sniff(v, fd, &key);
    if (rc == 1 && key != NULL) {
        f->key = *key;
        f->has_key = true;
    }
    if (rc == 1)
        rc = open_reader(f);
    if (rc < 0) {
        vault_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

int vault_open(const struct vault *v, const char *path, struct vault_file **out)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    *out = NULL;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int rc = errno == 0 ? -EIO : -errno;
        errno = 0;
        if (fstat(fd, &st) == 0)
            rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        close(fd);
        return rc;
    }
    return vault_open_fd(v, fd, out);
}

bool vault_encrypted(const struct vault_file *f)
{
    return f->r != NULL;
}

int vault_fd(const struct vault_file *f)
{
    return f->fd;
}

int vault_size(struct vault_file *f, int64_t *size)
{
    if (f->r != NULL) {
        uint64_t n;
        int rc = aead_reader_size(f->r, &n);
        *size = (int64_t)n;
        return rc;
    }
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return -errno;
    *size = (int64_t)st.st_size;
    return 0;
}

ssize_t vault_read(struct vault_file *f, void *buf, size_t len)
{
    if (f->r != NULL)
        return aead_read(f->r, buf, len);
    for (;;) { /* read(), not pread: the fd's offset shows the progress */
        ssize_t n = read(f->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -errno : n;
    }
}

ssize_t vault_pread(struct vault_file *f, void *buf, size_t len, int64_t off)
{
    if (off < 0)
        return -EINVAL;
    if (f->r == NULL)
        return pread_full(f->fd, buf, len, (off_t)off);
    size_t got = 0;
    while (got < len) {
        ssize_t n =
            aead_pread(f->r, (char *)buf + got, len - got, (uint64_t)off + got);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int vault_rewind(struct vault_file *f)
{
    if (f->r == NULL)
        return lseek(f->fd, 0, SEEK_SET) < 0 ? -errno : 0;
    aead_reader_free(f->r);
    f->r = NULL;
    return open_reader(f);
}

int vault_sha256(struct vault_file *f, char hex[65], int64_t *bytes)
{
    unsigned char *buf = malloc(FEED_BUF);
    struct digest *d = digest_new();
    int64_t total = 0;
    int rc = 0;
    if (buf == NULL || d == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t n = vault_read(f, buf, FEED_BUF);
        if (n < 0) {
            rc = (int)n;
            goto out;
        }
        if (n == 0)
            break;
        if ((rc = digest_update(d, buf, (size_t)n)) < 0)
            goto out;
        total += n;
    }
    rc = digest_finish(d, hex);
    d = NULL;
    if (bytes != NULL)
        *bytes = total;
out:
    digest_free(d);
    free(buf);
    return rc;
}

void vault_close(struct vault_file *f)
{
    if (f == NULL)
        return;
    aead_reader_free(f->r);
    close(f->fd);
    gnutls_memset(f, 0, sizeof(*f));
    free(f);
}

/* --- the feed ----------------------------------------------------------- */

struct vault_feed {
    struct vault_file *f;
    int in, out; /* the thread sends on IN; the caller reads OUT */
    bool hash;
    pthread_t thread;
    int rc;
    int64_t bytes;
    char hex[65];
};

static void *feed_run(void *arg)
{
    struct vault_feed *fd = arg;
    unsigned char *buf = malloc(FEED_BUF);
    struct digest *d = fd->hash ? digest_new() : NULL;
    bool sending = true;
    int rc = 0;
    if (buf == NULL || (fd->hash && d == NULL)) {
        rc = -ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t n = vault_read(fd->f, buf, FEED_BUF);
        if (n < 0) {
            rc = (int)n;
            goto out;
        }
        if (n == 0)
            break;
        if (d != NULL && (rc = digest_update(d, buf, (size_t)n)) < 0)
            goto out;
        fd->bytes += n;
        /* the reader may stop early (a file-level error): the rest is
         * still read, to check it and take its hash */
        for (size_t off = 0; sending && off < (size_t)n;) {
            ssize_t w = send(fd->in, buf + off, (size_t)n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                sending = false;
                break;
            }
            off += (size_t)w;
        }
    }
    if (d != NULL) {
        rc = digest_finish(d, fd->hex);
        d = NULL;
    }
out:
    /* the end of the stream: at the end of the file or at its error */
    shutdown(fd->in, SHUT_WR);
    digest_free(d);
    if (buf != NULL)
        gnutls_memset(buf, 0, FEED_BUF);
    free(buf);
    fd->rc = rc;
    return NULL;
}

int vault_feed_start(struct vault_file *f, bool hash, struct vault_feed **out,
                     int *fd)
{
    struct vault_feed *feed = calloc(1, sizeof(*feed));
    int sv[2];
    *out = NULL;
    *fd = -1;
    if (feed == NULL) {
        vault_close(f);
        return -ENOMEM;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int rc = -errno;
        vault_close(f);
        free(feed);
        return rc;
    }
    feed->f = f;
    feed->in = sv[0];
    feed->out = sv[1];
    feed->hash = hash;
    if (pthread_create(&feed->thread, NULL, feed_run, feed) != 0) {
        close(sv[0]);
        close(sv[1]);
        vault_close(f);
        free(feed);
        return -EAGAIN;
    }
    *out = feed;
    *fd = feed->out;
    return 0;
}

int vault_feed_finish(struct vault_feed *feed, char hex[65], int64_t *bytes)
{
    if (feed == NULL)
        return -EINVAL;
    /* the thread's sends fail from now on; it reads on to the end */
    close(feed->out);
    pthread_join(feed->thread, NULL);
    close(feed->in);
    int rc = feed->rc;
    if (rc == 0 && hex != NULL)
        memcpy(hex, feed->hex, sizeof(feed->hex));
    if (rc == 0 && bytes != NULL)
        *bytes = feed->bytes;
    vault_close(feed->f);
    free(feed);
    return rc;
}

int vault_feed_path(const struct home *h, const char *path, bool hash,
                    struct vault_feed **out, int *fd, int64_t *size, char *err,
                    size_t err_size)
{
    struct vault v;
    struct vault_file *f = NULL;
    int64_t n = 0;
    int rc = vault_load(&v, h, err, err_size);
    *out = NULL;
    *fd = -1;
    if (rc < 0)
        return rc;
    rc = vault_open(&v, path, &f);
    vault_release(&v);
    if (rc == 0 && (rc = vault_size(f, &n)) < 0)
        vault_close(f);
    if (rc < 0) {
        snprintf(err, err_size, "cannot read '%s': %s", path,
                 vault_strerror(rc));
        return rc;
    }
    if (size != NULL)
        *size = n;
    if ((rc = vault_feed_start(f, hash, out, fd)) < 0)
        snprintf(err, err_size, "cannot read '%s': %s", path, strerror(-rc));
    return rc;
}

/* --- writing ------------------------------------------------------------ */

struct vault_writer {
    int fd;
    int err;               /* sticky */
    struct aead_writer *w; /* NULL: plain */
    struct digest *d;      /* NULL: not hashed */
    int64_t written;
};

int vault_create(const struct vault *v, int fd, bool hash,
                 struct vault_writer **out)
{
    struct vault_writer *w = calloc(1, sizeof(*w));
    int rc = 0;
    *out = NULL;
    if (w == NULL) {
        close(fd);
        return -ENOMEM;
    }
    w->fd = fd;
    if (hash && (w->d = digest_new()) == NULL)
        rc = -ENOMEM;
    if (rc == 0 && v->on)
        rc = aead_writer_new(&w->w, fd, &v->key);
    if (rc < 0) {
        vault_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = failpoint_write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int vault_write(struct vault_writer *w, const void *buf, size_t len)
{
    int rc;
    if (w->err != 0)
        return w->err;
    rc = w->w != NULL ? aead_write(w->w, buf, len) : write_all(w->fd, buf, len);
    if (rc == 0 && w->d != NULL)
        rc = digest_update(w->d, buf, len);
    if (rc < 0)
        return w->err = rc;
    w->written += (int64_t)len;
    return 0;
}

int64_t vault_written(const struct vault_writer *w)
{
    return w->written;
}

int vault_writer_fd(const struct vault_writer *w)
{
    return w->fd;
}

static int finish(struct vault_writer *w, char hex[65], bool sync)
{
    int rc = w->err;
    if (hex != NULL)
        hex[0] = '\0';
    if (rc == 0 && w->w != NULL)
        rc = aead_finish(w->w);
    if (rc == 0 && sync && failpoint_fsync(w->fd) < 0)
        rc = -errno;
    if (rc == 0 && w->d != NULL) {
        rc = digest_finish(w->d, hex);
        w->d = NULL;
    }
    if (rc < 0)
        w->err = rc;
    return rc;
}

int vault_seal(struct vault_writer *w, char hex[65])
{
    return finish(w, hex, true);
}

int vault_finish(struct vault_writer *w, char hex[65])
{
    return finish(w, hex, false);
}

static ssize_t stream_write(void *cookie, const char *buf, size_t len)
{
    struct vault_writer *w = cookie;
    int rc = vault_write(w, buf, len);
    if (rc < 0) {
        errno = -rc;
        return 0; /* stdio takes a short write as an error */
    }
    return (ssize_t)len;
}

static int stream_close(void *cookie)
{
    (void)cookie; /* the writer outlives its stream */
    return 0;
}

FILE *vault_writer_stream(struct vault_writer *w)
{
    cookie_io_functions_t io = {.write = stream_write, .close = stream_close};
    FILE *fp = fopencookie(w, "w", io);
    if (fp != NULL)
        setvbuf(fp, NULL, _IOFBF, 1 << 16);
    return fp;
}

void vault_writer_free(struct vault_writer *w)
{
    if (w == NULL)
        return;
    aead_writer_free(w->w);
    digest_free(w->d);
    close(w->fd);
    gnutls_memset(w, 0, sizeof(*w));
    free(w);
}

/* --- key rotation ------------------------------------------------------- */

int vault_lock(const struct home *h, bool exclusive)
{
    char path[HOME_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/master.lock", h->keys);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
        int rc = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
        close(fd);
        return rc;
    }
    return fd;
}

struct rotation {
    const struct home *h;
    struct aead_key old[VAULT_OLD_MAX];
    char old_path[VAULT_OLD_MAX][HOME_PATH_MAX + 64];
    unsigned n_old;
    struct aead_key new_key;
    struct vault_rotation *out;
    char *err;
    size_t err_size;
};

/* The old key files an earlier run left. */
static int find_old(struct rotation *ro)
{
    DIR *d = opendir(ro->h->keys);
    struct dirent *e;
    int rc = 0;
    if (d == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "master.key.old-", 15) != 0)
            continue;
        if (ro->n_old == VAULT_OLD_MAX) {
            rc = -E2BIG;
            snprintf(ro->err, ro->err_size, "%s: more than %d old master keys",
                     ro->h->keys, VAULT_OLD_MAX);
            break;
        }
        char *path = ro->old_path[ro->n_old];
        snprintf(path, sizeof(ro->old_path[0]), "%s/%s", ro->h->keys,
                 e->d_name);
        if ((rc = aead_master_load(path, &ro->old[ro->n_old])) < 0) {
            snprintf(ro->err, ro->err_size, "%s: %s", path, strerror(-rc));
            break;
        }
        ro->n_old++;
    }
    closedir(d);
    return rc;
}

/* Re-wrap file PATH if it is encrypted under an old key. */
static void rotate_file(struct rotation *ro, const char *path)
{
    unsigned char hdr[KEY_ID_AT + AEAD_KEY_ID_SIZE];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    ssize_t n;
    if (fd < 0 && errno == ENOENT)
        return; /* gone meanwhile */
    if (fd < 0 || fstat(fd, &st) < 0) {
        /* not looked at (another owner's, say): the old key must stay */
        if (ro->out->failed++ == 0)
            snprintf(ro->err, ro->err_size, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    n = pread_full(fd, hdr, sizeof(hdr), 0);
    close(fd);
    if (n < (ssize_t)sizeof(hdr) || memcmp(hdr, MAGIC, MAGIC_LEN) != 0) {
        ro->out->plain++;
        return;
    }
    if (memcmp(hdr + KEY_ID_AT, ro->new_key.id, AEAD_KEY_ID_SIZE) == 0) {
        ro->out->current++;
        return;
    }
    for (unsigned i = 0; i < ro->n_old; i++)
        if (memcmp(hdr + KEY_ID_AT, ro->old[i].id, AEAD_KEY_ID_SIZE) == 0) {
            int rc = aead_rewrap(path, &ro->old[i], &ro->new_key);
            if (rc == 0) {
                ro->out->rewrapped++;
                return;
            }
            if (ro->out->failed++ == 0)
                snprintf(ro->err, ro->err_size, "%s: %s", path,
                         vault_strerror(rc));
            return;
        }
    /* under a key this home never held (copied in from elsewhere): it did
     * not read before and does not now; rotating cannot change that */
    ro->out->foreign++;
}

/* Is NAME a temporary file aead_rewrap left (".F.rewrap.XXXXXX", a dot
 * file no partner can make) beside a file F of DIR that still exists? */
static bool rewrap_leftover(const char *dir, const char *name)
{
    const char *tag = name[0] == '.' ? strstr(name + 1, ".rewrap.") : NULL;
    char base[HOME_PATH_MAX + 300];
    struct stat st;
    if (tag == NULL || tag == name + 1 || strlen(tag) != 14)
        return false;
    snprintf(base, sizeof(base), "%s/%.*s", dir, (int)(tag - name - 1),
             name + 1);
    return lstat(base, &st) == 0 && S_ISREG(st.st_mode);
}

static void rotate_dir(struct rotation *ro, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL) {
        if (errno != ENOENT && ro->out->failed++ == 0)
            snprintf(ro->err, ro->err_size, "%s: %s", dir, strerror(errno));
        return;
    }
    for (;;) {
        char path[HOME_PATH_MAX + 300];
        errno = 0;
        if ((e = readdir(d)) == NULL) {
            if (errno != 0 && ro->out->failed++ == 0)
                snprintf(ro->err, ro->err_size, "%s: %s", dir, strerror(errno));
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, ".tmp") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (rewrap_leftover(dir, e->d_name)) {
            unlink(path); /* a crash inside aead_rewrap: its copy */
            continue;
        }
        rotate_file(ro, path);
    }
    closedir(d);
}

static void rotate_spool(struct rotation *ro)
{
    static const char *const boxes[] = {"inbox", "received", "outbox",
                                        "outbox/.tmp"};
    DIR *d = opendir(ro->h->spool);
    struct dirent *e;
    if (d == NULL) {
        if (ro->out->failed++ == 0)
            snprintf(ro->err, ro->err_size, "%s: %s", ro->h->spool,
                     strerror(errno));
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char dir[HOME_PATH_MAX];
        if (e->d_name[0] == '.' || !home_partner_name_ok(e->d_name))
            continue;
        for (size_t b = 0; b < sizeof(boxes) / sizeof(boxes[0]); b++)
            if (home_box_path(ro->h, e->d_name, boxes[b], dir, sizeof(dir)) ==
                0)
                rotate_dir(ro, dir);
    }
    closedir(d);
}

/* Keep the current key as master.key.old-<time>: a link, so that the key
 * file is never absent. */
static int retire_current(struct rotation *ro, const char *master)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int rc;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    char *path = ro->old_path[0];
    snprintf(path, sizeof(ro->old_path[0]), "%s/master.key.old-%s", ro->h->keys,
             stamp);
    if ((rc = aead_master_load(master, &ro->old[0])) < 0) {
        snprintf(ro->err, ro->err_size, "%s: %s", master,
                 rc == -ENOENT ? "no master key (encryption at rest is off)"
                               : strerror(-rc));
        return rc;
    }
    if (link(master, path) < 0) {
        rc = -errno;
        snprintf(ro->err, ro->err_size, "%s: %s", path, strerror(errno));
        return rc;
    }
    ro->n_old = 1;
    return durable_dir(ro->h->keys);
}

/* Put a new key in master.key unless an earlier run did. */
static int install_new(struct rotation *ro, const char *master)
{
    char tmp[HOME_PATH_MAX + 32];
    struct aead_key cur;
    int rc = aead_master_load(master, &cur);
    if (rc < 0) {
        snprintf(ro->err, ro->err_size, "%s: %s", master, strerror(-rc));
        return rc;
    }
    bool is_old = false;
    for (unsigned i = 0; i < ro->n_old; i++)
        if (memcmp(cur.id, ro->old[i].id, AEAD_KEY_ID_SIZE) == 0)
            is_old = true;
    if (!is_old) { /* installed already */
        ro->new_key = cur;
        aead_key_wipe(&cur);
        return 0;
    }
    aead_key_wipe(&cur);
    snprintf(tmp, sizeof(tmp), "%s.new", master);
    unlink(tmp); /* a key never installed: nothing was wrapped by it */
    if ((rc = aead_master_ensure(tmp, &ro->new_key)) < 0 ||
        (rename(tmp, master) < 0 && (rc = -errno) < 0) ||
        (rc = durable_dir(ro->h->keys)) < 0) {
        snprintf(ro->err, ro->err_size, "%s: %s", master, strerror(-rc));
        return rc;
    }
    return 0;
}

int vault_rotate(const struct home *h, vault_rekey_fn rekey, void *ctx,
                 struct vault_rotation *out, char *err, size_t err_size)
{
    struct rotation *ro = calloc(1, sizeof(*ro));
    char master[HOME_PATH_MAX + 16];
    int rc;
    memset(out, 0, sizeof(*out));
    if (ro == NULL)
        return -ENOMEM;
    ro->h = h;
    ro->out = out;
    ro->err = err;
    ro->err_size = err_size;
    snprintf(master, sizeof(master), "%s/master.key", h->keys);
    if ((rc = find_old(ro)) < 0)
        goto out;
    out->resumed = ro->n_old > 0;
    if (ro->n_old == 0 && (rc = retire_current(ro, master)) < 0)
        goto out;
    if ((rc = install_new(ro, master)) < 0)
        goto out;
    aead_key_id_hex(ro->old[0].id, out->old_id);
    aead_key_id_hex(ro->new_key.id, out->new_id);
    /* the keys outside the spool first: once master.key is the new key,
     * whatever opens the registry needs them under it, while spool files
     * not yet re-wrapped still read with the old key files */
    for (unsigned i = 0; rekey != NULL && i < ro->n_old; i++)
        if ((rc = rekey(ctx, &ro->old[i], &ro->new_key, err, err_size)) < 0)
            goto out;
    rotate_spool(ro);
    if (out->failed > 0) {
        rc = -EIO;
        goto out;
    }
    /* every file is under the new key: the old ones retire */
    for (unsigned i = 0; i < ro->n_old; i++)
        if (unlink(ro->old_path[i]) < 0 && errno != ENOENT) {
            rc = -errno;
            snprintf(err, err_size, "%s: %s", ro->old_path[i], strerror(errno));
            goto out;
        }
    rc = durable_dir(h->keys);
out:
    gnutls_memset(ro, 0, sizeof(*ro));
    free(ro);
    return rc;
}
