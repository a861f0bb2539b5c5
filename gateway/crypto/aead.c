/*
 * aead.c - encrypted files at rest: master key files, the chunked
 * AES-256-GCM writer and reader, and header rewrap (see aead.h for the
 * format).  Holds one chunk of plaintext and one of ciphertext per
 * stream; knows nothing of paths beyond the key file and rewrap.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "offsetgw/aead.h"
#include "offsetgw/durable.h"

#define MAGIC "OGAEAD"
#define MAGIC_LEN 6
#define VERSION 1
#define CHUNK_SHIFT 16
#define TAG_SIZE 16
#define NONCE_SIZE 12
#define PREFIX_SIZE 8
#define LEN_SIZE 4
#define BLOCK_SIZE (LEN_SIZE + AEAD_CHUNK_SIZE) /* sealed plaintext */
#define MAX_CHUNKS ((uint64_t)1 << 32)

/* header offsets */
#define OFF_KEY_ID 8
#define OFF_PREFIX 16
#define OFF_WRAP_NONCE 24
#define OFF_WRAPPED 36
#define OFF_CHECK 84
#define WRAPPED_SIZE (AEAD_KEY_SIZE + TAG_SIZE)
#define CHECK_SIZE 8

_Static_assert(AEAD_RECORD_SIZE == BLOCK_SIZE + TAG_SIZE, "record size");
_Static_assert(AEAD_CHUNK_SIZE == 1u << CHUNK_SHIFT, "chunk size");
_Static_assert(OFF_CHECK == OFF_WRAPPED + WRAPPED_SIZE, "header layout");
_Static_assert(AEAD_HEADER_SIZE == OFF_CHECK + CHECK_SIZE, "header size");

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static void put_be64(unsigned char *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/* Constant-time comparison: key ids and checks are not secrets, but there
 * is no reason to leak where they differ. */
static bool same(const unsigned char *a, const unsigned char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* Read up to N bytes, stopping early only at end of file.  The count or a
 * negative errno. */
static ssize_t read_full(int fd, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int write_full(int fd, const unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

/* --- keys -------------------------------------------------------------- */

int aead_key_init(struct aead_key *k, const unsigned char *bytes)
{
    static const char label[] = "offsetgw aead key id v1";
    unsigned char in[sizeof label - 1 + AEAD_KEY_SIZE];
    unsigned char d[32];
    int rc = 0;

    memcpy(k->bytes, bytes, AEAD_KEY_SIZE);
    memcpy(in, label, sizeof label - 1);
    memcpy(in + sizeof label - 1, bytes, AEAD_KEY_SIZE);
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, in, sizeof in, d) < 0)
        rc = -EIO;
    else
        memcpy(k->id, d, AEAD_KEY_ID_SIZE);
    gnutls_memset(in, 0, sizeof in);
    return rc;
}

void aead_key_wipe(struct aead_key *k)
{
    gnutls_memset(k, 0, sizeof(*k));
}

char *aead_key_id_hex(const unsigned char *id,
                      char hex[2 * AEAD_KEY_ID_SIZE + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < AEAD_KEY_ID_SIZE; i++) {
        hex[2 * i] = digits[id[i] >> 4];
        hex[2 * i + 1] = digits[id[i] & 15];
    }
    hex[2 * AEAD_KEY_ID_SIZE] = '\0';
    return hex;
}

int aead_master_load(const char *path, struct aead_key *k)
{
    unsigned char bytes[AEAD_KEY_SIZE + 1];
    struct stat st;
    ssize_t n;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return errno == ELOOP ? -EINVAL : -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        rc = -EPERM;
        goto out;
    }
    /* one byte more than a key, to tell a long file from a key */
    n = read_full(fd, bytes, sizeof bytes);
    if (n < 0) {
        rc = (int)n;
        goto out;
    }
    if (n != AEAD_KEY_SIZE) {
        rc = -EINVAL;
        goto out;
    }
    rc = aead_key_init(k, bytes);
out:
    gnutls_memset(bytes, 0, sizeof bytes);
    close(fd);
    return rc;
}

/* A temporary file beside PATH, created with mkstemp (mode 0600). */
static int make_temp_beside(const char *path, const char *tag, char *tmp,
                            size_t size)
{
    /* ".NAME.TAG.XXXXXX": a dot file, which partners can neither see nor
     * name over SFTP and the pipeline never takes for an upload */
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    int n = snprintf(tmp, size, "%.*s.%s.%s.XXXXXX", dir_len, path,
                     path + dir_len, tag);
    int fd;

    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    fd = mkostemp(tmp, O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int aead_master_ensure(const char *path, struct aead_key *k)
{
    unsigned char bytes[AEAD_KEY_SIZE];
    char tmp[PATH_MAX];
    int fd = -1, rc;

    rc = aead_master_load(path, k);
    if (rc != -ENOENT)
        return rc;

    if (gnutls_rnd(GNUTLS_RND_KEY, bytes, sizeof bytes) < 0)
        return -EIO;
    fd = make_temp_beside(path, "new", tmp, sizeof tmp);
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    rc = write_full(fd, bytes, sizeof bytes);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    /* link, not rename: never replaces a key someone else just made */
    if (rc == 0 && link(tmp, path) < 0 && errno != EEXIST)
        rc = -errno;
    unlink(tmp);
    if (rc == 0)
        rc = durable_parent(path);
    if (rc == 0)
        rc = aead_master_load(path, k);
out:
    gnutls_memset(bytes, 0, sizeof bytes);
    return rc;
}

/* --- the header -------------------------------------------------------- */

static int seal(gnutls_aead_cipher_hd_t h, const unsigned char *nonce,
                const unsigned char *ad, size_t ad_len, const unsigned char *in,
                size_t in_len, unsigned char *out)
{
    size_t out_len = in_len + TAG_SIZE;

    if (gnutls_aead_cipher_encrypt(h, nonce, NONCE_SIZE, ad, ad_len, TAG_SIZE,
                                   in, in_len, out, &out_len) < 0 ||
        out_len != in_len + TAG_SIZE)
        return -EIO;
    return 0;
}

/* 0, or -EBADMSG when the tag does not match. */
static int open_sealed(gnutls_aead_cipher_hd_t h, const unsigned char *nonce,
                       const unsigned char *ad, size_t ad_len,
                       const unsigned char *in, size_t in_len,
                       unsigned char *out)
{
    size_t out_len = in_len - TAG_SIZE;
    int grc = gnutls_aead_cipher_decrypt(h, nonce, NONCE_SIZE, ad, ad_len,
                                         TAG_SIZE, in, in_len, out, &out_len);

    if (grc == GNUTLS_E_DECRYPTION_FAILED)
        return -EBADMSG;
    if (grc < 0 || out_len != in_len - TAG_SIZE)
        return -EIO;
    return 0;
}

static int cipher_new(gnutls_aead_cipher_hd_t *h, const unsigned char *key)
{
    gnutls_datum_t d = {(unsigned char *)key, AEAD_KEY_SIZE};

    return gnutls_aead_cipher_init(h, GNUTLS_CIPHER_AES_256_GCM, &d) < 0 ? -EIO
                                                                         : 0;
}

static int header_check(const unsigned char *hdr, unsigned char *check)
{
    unsigned char d[32];

    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, hdr, OFF_CHECK, d) < 0)
        return -EIO;
    memcpy(check, d, CHECK_SIZE);
    return 0;
}

/* Fill HDR's key id, wrap nonce, wrapped key and check: DATA_KEY wrapped
 * under MASTER.  Magic, version, shift and prefix are already there. */
static int header_wrap(unsigned char *hdr, const unsigned char *data_key,
                       const struct aead_key *master)
{
    gnutls_aead_cipher_hd_t h;
    int rc;

    memcpy(hdr + OFF_KEY_ID, master->id, AEAD_KEY_ID_SIZE);
    if (gnutls_rnd(GNUTLS_RND_NONCE, hdr + OFF_WRAP_NONCE, NONCE_SIZE) < 0)
        return -EIO;
    rc = cipher_new(&h, master->bytes);
    if (rc < 0)
        return rc;
    rc = seal(h, hdr + OFF_WRAP_NONCE, hdr, OFF_WRAPPED, data_key,
              AEAD_KEY_SIZE, hdr + OFF_WRAPPED);
    gnutls_aead_cipher_deinit(h);
    if (rc == 0)
        rc = header_check(hdr, hdr + OFF_CHECK);
    return rc;
}

/* Read the header from FD into HDR, check it, unwrap the data key with
 * MASTER into DATA_KEY. */
static int header_read(int fd, unsigned char *hdr, unsigned char *data_key,
                       const struct aead_key *master)
{
    unsigned char check[CHECK_SIZE];
    gnutls_aead_cipher_hd_t h;
    ssize_t n = read_full(fd, hdr, AEAD_HEADER_SIZE);
    int rc;

    if (n < 0)
        return (int)n;
    if (n >= MAGIC_LEN && memcmp(hdr, MAGIC, MAGIC_LEN) != 0)
        return -EBADMSG;
    if (n < AEAD_HEADER_SIZE)
        return -EPIPE;
    rc = header_check(hdr, check);
    if (rc < 0)
        return rc;
    if (!same(check, hdr + OFF_CHECK, CHECK_SIZE))
        return -EBADMSG;
    if (hdr[6] != VERSION || hdr[7] != CHUNK_SHIFT)
        return -ENOTSUP;
    if (!same(hdr + OFF_KEY_ID, master->id, AEAD_KEY_ID_SIZE))
        return -ENOKEY;
    rc = cipher_new(&h, master->bytes);
    if (rc < 0)
        return rc;
    rc = open_sealed(h, hdr + OFF_WRAP_NONCE, hdr, OFF_WRAPPED,
                     hdr + OFF_WRAPPED, WRAPPED_SIZE, data_key);
    gnutls_aead_cipher_deinit(h);
    return rc;
}

/* --- chunks ------------------------------------------------------------ */

static void chunk_nonce(unsigned char *nonce, const unsigned char *prefix,
                        uint64_t index)
{
    memcpy(nonce, prefix, PREFIX_SIZE);
    put_be32(nonce + PREFIX_SIZE, (uint32_t)index);
}

static void chunk_ad(unsigned char ad[9], uint64_t index, bool last)
{
    put_be64(ad, index);
    ad[8] = last ? 1 : 0;
}

/* --- the writer -------------------------------------------------------- */

#define OUT_ALIGN 65536u

struct aead_writer {
    int fd;
    int err; /* sticky */
    bool header_written, finished;
    uint64_t index;
    size_t fill; /* data bytes in block */
    gnutls_aead_cipher_hd_t h;
    unsigned char hdr[AEAD_HEADER_SIZE];
    unsigned char block[BLOCK_SIZE];
    size_t out_len; /* bytes in OUT, not written yet */
    unsigned char out[OUT_ALIGN + AEAD_RECORD_SIZE + AEAD_HEADER_SIZE];
};

/* N more bytes of W's file are at the end of OUT: the file goes out in
 * whole multiples of OUT_ALIGN (page-aligned writes, as a plain upload's
 * are: records of 65556 bytes written as they come cost the kernel
 * noticeably more), the rest kept for the next time; LAST writes
 * everything. */
static int out_commit(struct aead_writer *w, size_t n, bool last)
{
    w->out_len += n;
    size_t k = last ? w->out_len : w->out_len / OUT_ALIGN * OUT_ALIGN;
    if (k == 0)
        return 0;
    int rc = write_full(w->fd, w->out, k);
    if (rc < 0)
        return rc;
    memmove(w->out, w->out + k, w->out_len - k);
    w->out_len -= k;
    return 0;
}

int aead_writer_new(struct aead_writer **out, int fd,
                    const struct aead_key *master)
{
    unsigned char data_key[AEAD_KEY_SIZE];
    struct aead_writer *w = calloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    if (w == NULL)
        return -ENOMEM;
    w->fd = fd;
    memcpy(w->hdr, MAGIC, MAGIC_LEN);
    w->hdr[6] = VERSION;
    w->hdr[7] = CHUNK_SHIFT;
    if (gnutls_rnd(GNUTLS_RND_KEY, data_key, sizeof data_key) < 0 ||
        gnutls_rnd(GNUTLS_RND_NONCE, w->hdr + OFF_PREFIX, PREFIX_SIZE) < 0) {
        rc = -EIO;
        goto out;
    }
    rc = header_wrap(w->hdr, data_key, master);
    if (rc == 0)
        rc = cipher_new(&w->h, data_key);
out:
    gnutls_memset(data_key, 0, sizeof data_key);
    if (rc < 0) {
        gnutls_memset(w, 0, sizeof(*w));
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int writer_seal(struct aead_writer *w, bool last)
{
    unsigned char nonce[NONCE_SIZE], ad[9];
    int rc;

    if (!w->header_written) {
        memcpy(w->out + w->out_len, w->hdr, sizeof w->hdr);
        rc = out_commit(w, sizeof w->hdr, false);
        if (rc < 0)
            return rc;
        w->header_written = true;
    }
    if (w->index >= MAX_CHUNKS)
        return -EFBIG;
    put_be32(w->block, (uint32_t)w->fill);
    memset(w->block + LEN_SIZE + w->fill, 0, AEAD_CHUNK_SIZE - w->fill);
    chunk_nonce(nonce, w->hdr + OFF_PREFIX, w->index);
    chunk_ad(ad, w->index, last);
    /* sealed straight into the output buffer, which has room for it */
    rc = seal(w->h, nonce, ad, sizeof ad, w->block, BLOCK_SIZE,
              w->out + w->out_len);
    if (rc == 0)
        rc = out_commit(w, AEAD_RECORD_SIZE, last);
    if (rc == 0) {
        w->index++;
        w->fill = 0;
    }
    return rc;
}

int aead_write(struct aead_writer *w, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    if (w->err != 0)
        return w->err;
    if (w->finished)
        return -EINVAL;
    while (len > 0) {
        size_t n;
        /* a full block is sealed only once more data comes, since the
         * last chunk may be full too */
        if (w->fill == AEAD_CHUNK_SIZE) {
            int rc = writer_seal(w, false);
            if (rc < 0)
                return w->err = rc;
        }
        n = AEAD_CHUNK_SIZE - w->fill;
        if (n > len)
            n = len;
        memcpy(w->block + LEN_SIZE + w->fill, p, n);
        w->fill += n;
        p += n;
        len -= n;
    }
    return 0;
}

int aead_finish(struct aead_writer *w)
{
    int rc;

    if (w->err != 0)
        return w->err;
    if (w->finished)
        return -EINVAL;
    rc = writer_seal(w, true);
    if (rc < 0)
        return w->err = rc;
    w->finished = true;
    gnutls_memset(w->block, 0, sizeof w->block);
    return 0;
}

void aead_writer_free(struct aead_writer *w)
{
    if (w == NULL)
        return;
    gnutls_aead_cipher_deinit(w->h);
    gnutls_memset(w, 0, sizeof(*w));
    free(w);
}

/* --- the reader -------------------------------------------------------- */

struct aead_reader {
    int fd;
    int err;   /* sticky */
    bool done; /* the last chunk is verified and nothing follows */
    uint64_t index;
    size_t pos, len; /* unread data: block[LEN_SIZE + pos .. + len) */
    gnutls_aead_cipher_hd_t h;
    /* random access (aead_reader_size, aead_pread) */
    off_t base;          /* where the header starts; -1: not seekable */
    bool sized;          /* n_chunks and plain_size are known */
    uint64_t n_chunks;   /* records in the file */
    uint64_t plain_size; /* plaintext bytes */
    int64_t at_index;    /* the chunk in at_block; -1 for none */
    size_t at_len;       /* its data bytes */
    unsigned char *at_block;
    unsigned char hdr[AEAD_HEADER_SIZE];
    unsigned char block[BLOCK_SIZE];
    unsigned char record[AEAD_RECORD_SIZE];
};

int aead_reader_open(struct aead_reader **out, int fd,
                     const struct aead_key *master)
{
    unsigned char data_key[AEAD_KEY_SIZE];
    struct aead_reader *r = calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (r == NULL)
        return -ENOMEM;
    r->fd = fd;
    r->base = lseek(fd, 0, SEEK_CUR);
    r->at_index = -1;
    rc = header_read(fd, r->hdr, data_key, master);
    if (rc == 0)
        rc = cipher_new(&r->h, data_key);
    gnutls_memset(data_key, 0, sizeof data_key);
    if (rc < 0) {
        gnutls_memset(r, 0, sizeof(*r));
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Read, open and check the next chunk into block. */
static int reader_next(struct aead_reader *r)
{
    unsigned char nonce[NONCE_SIZE], ad[9], extra;
    ssize_t n = read_full(r->fd, r->record, sizeof r->record);
    uint32_t data_len;
    int rc;

    if (n < 0)
        return (int)n;
    if ((size_t)n < sizeof r->record)
        return -EPIPE; /* at a record boundary or inside one */
    if (r->index >= MAX_CHUNKS)
        return -EBADMSG;
    chunk_nonce(nonce, r->hdr + OFF_PREFIX, r->index);
    /* the flag is only in the tag: a middle chunk first, then the last */
    chunk_ad(ad, r->index, false);
    rc = open_sealed(r->h, nonce, ad, sizeof ad, r->record, sizeof r->record,
                     r->block);
    if (rc == 0) {
        if (get_be32(r->block) != AEAD_CHUNK_SIZE)
            return -EBADMSG;
        r->pos = 0;
        r->len = AEAD_CHUNK_SIZE;
        r->index++;
        return 0;
    }
    if (rc != -EBADMSG)
        return rc;
    chunk_ad(ad, r->index, true);
    rc = open_sealed(r->h, nonce, ad, sizeof ad, r->record, sizeof r->record,
                     r->block);
    if (rc < 0)
        return rc;
    data_len = get_be32(r->block);
    if (data_len > AEAD_CHUNK_SIZE)
        return -EBADMSG;
    n = read_full(r->fd, &extra, 1);
    if (n < 0)
        return (int)n;
    if (n != 0)
        return -EBADMSG; /* bytes after the last chunk */
    r->pos = 0;
    r->len = data_len;
    r->index++;
    r->done = true;
    return 0;
}

ssize_t aead_read(struct aead_reader *r, void *buf, size_t len)
{
    size_t n;

    if (r->err != 0)
        return r->err;
    if (len == 0)
        return 0;
    while (r->pos == r->len) {
        int rc;
        if (r->done)
            return 0;
        rc = reader_next(r);
        if (rc < 0) {
            gnutls_memset(r->block, 0, sizeof r->block);
            r->pos = r->len = 0;
            return r->err = rc;
        }
    }
    n = r->len - r->pos;
    if (n > len)
        n = len;
    memcpy(buf, r->block + LEN_SIZE + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

/* Read record INDEX into r->record by pread.  0, -EPIPE when the file
 * ends inside it or before it, or a read error. */
static int record_at(struct aead_reader *r, uint64_t index)
{
    off_t at = r->base + AEAD_HEADER_SIZE + (off_t)(index * AEAD_RECORD_SIZE);
    size_t got = 0;

    while (got < AEAD_RECORD_SIZE) {
        ssize_t n = pread(r->fd, r->record + got, AEAD_RECORD_SIZE - got,
                          at + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        got += (size_t)n;
    }
    return 0;
}

/* Open r->record as chunk INDEX (LAST or not) into at_block. */
static int open_at(struct aead_reader *r, uint64_t index, bool last)
{
    unsigned char nonce[NONCE_SIZE], ad[9];

    chunk_nonce(nonce, r->hdr + OFF_PREFIX, index);
    chunk_ad(ad, index, last);
    r->at_index = -1;
    return open_sealed(r->h, nonce, ad, sizeof ad, r->record, sizeof r->record,
                       r->at_block);
}

int aead_reader_size(struct aead_reader *r, uint64_t *size)
{
    struct stat st;
    uint64_t body, k, rem;
    uint32_t data_len;
    int rc;

    if (r->sized) {
        *size = r->plain_size;
        return 0;
    }
    if (r->base < 0)
        return -ESPIPE;
    if (r->at_block == NULL && (r->at_block = malloc(BLOCK_SIZE)) == NULL)
        return -ENOMEM;
    if (fstat(r->fd, &st) < 0)
        return -errno;
    if (st.st_size < r->base + (off_t)AEAD_HEADER_SIZE + AEAD_RECORD_SIZE)
        return -EPIPE;
    body = (uint64_t)(st.st_size - r->base - AEAD_HEADER_SIZE);
    k = body / AEAD_RECORD_SIZE;
    rem = body % AEAD_RECORD_SIZE;
    if (k > MAX_CHUNKS)
        return -EBADMSG;
    rc = record_at(r, k - 1);
    if (rc < 0)
        return rc;
    rc = open_at(r, k - 1, true);
    if (rc == -EBADMSG) {
        /* cut inside a record, or at a boundary after a middle chunk */
        if (rem != 0 || open_at(r, k - 1, false) == 0)
            return -EPIPE;
        return -EBADMSG;
    }
    if (rc < 0)
        return rc;
    data_len = get_be32(r->at_block);
    if (rem != 0 || data_len > AEAD_CHUNK_SIZE)
        return -EBADMSG; /* bytes after the last chunk, or a bad length */
    r->at_index = (int64_t)(k - 1);
    r->at_len = data_len;
    r->n_chunks = k;
    r->plain_size = (k - 1) * AEAD_CHUNK_SIZE + data_len;
    r->sized = true;
    *size = r->plain_size;
    return 0;
}

ssize_t aead_pread(struct aead_reader *r, void *buf, size_t len, uint64_t off)
{
    uint64_t size, index, in;
    size_t n;
    int rc = aead_reader_size(r, &size);

    if (rc < 0)
        return rc;
    if (len == 0 || off >= size)
        return 0;
    index = off / AEAD_CHUNK_SIZE;
    if (r->at_index != (int64_t)index) {
        bool last = index == r->n_chunks - 1;
        uint32_t data_len;
        rc = record_at(r, index);
        if (rc == 0)
            rc = open_at(r, index, last);
        if (rc < 0)
            return rc;
        data_len = get_be32(r->at_block);
        if (data_len !=
            (last ? size - index * AEAD_CHUNK_SIZE : AEAD_CHUNK_SIZE))
            return -EBADMSG;
        r->at_index = (int64_t)index;
        r->at_len = data_len;
    }
    in = off - index * AEAD_CHUNK_SIZE;
    n = r->at_len - (size_t)in;
    if (n > len)
        n = len;
    memcpy(buf, r->at_block + LEN_SIZE + in, n);
    return (ssize_t)n;
}

void aead_reader_free(struct aead_reader *r)
{
    if (r == NULL)
        return;
    if (r->at_block != NULL) {
        gnutls_memset(r->at_block, 0, BLOCK_SIZE);
        free(r->at_block);
    }
    if (r->h != NULL)
        gnutls_aead_cipher_deinit(r->h);
    gnutls_memset(r, 0, sizeof(*r));
    free(r);
}

/* --- rewrap ------------------------------------------------------------ */

int aead_rewrap(const char *path, const struct aead_key *old_master,
                const struct aead_key *new_master)
{
    unsigned char hdr[AEAD_HEADER_SIZE], data_key[AEAD_KEY_SIZE];
    unsigned char *buf = NULL;
    char tmp[PATH_MAX];
    struct stat st;
    int fd = -1, out_fd = -1, rc;

    tmp[0] = '\0';
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto out;
    }
    rc = header_read(fd, hdr, data_key, old_master);
    if (rc < 0)
        goto out;
    rc = header_wrap(hdr, data_key, new_master);
    if (rc < 0)
        goto out;
    buf = malloc(AEAD_RECORD_SIZE);
    if (buf == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    out_fd = make_temp_beside(path, "rewrap", tmp, sizeof tmp);
    if (out_fd < 0) {
        rc = out_fd;
        tmp[0] = '\0';
        goto out;
    }
    /* the same owner and mode as the file it replaces (run as root, a
     * rotation must not leave files the gateway's user cannot read) */
    if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
        fchown(out_fd, st.st_uid, st.st_gid) < 0) {
        rc = -errno;
        goto out;
    }
    if (fchmod(out_fd, st.st_mode & 07777) < 0) {
        rc = -errno;
        goto out;
    }
    rc = write_full(out_fd, hdr, sizeof hdr);
    while (rc == 0) {
        ssize_t n = read_full(fd, buf, AEAD_RECORD_SIZE);
        if (n < 0)
            rc = (int)n;
        else if (n == 0)
            break;
        else
            rc = write_full(out_fd, buf, (size_t)n);
    }
    if (rc == 0 && fsync(out_fd) < 0)
        rc = -errno;
    if (close(out_fd) < 0 && rc == 0)
        rc = -errno;
    out_fd = -1;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc == 0) {
        tmp[0] = '\0';
        rc = durable_parent(path);
    }
out:
    gnutls_memset(data_key, 0, sizeof data_key);
    free(buf);
    if (out_fd >= 0)
        close(out_fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    close(fd);
    return rc;
}
