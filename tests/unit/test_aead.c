/*
 * test_aead.c - the encrypted file format (aead.h): round trips of every
 * size around the chunk edges; bit flips in the header, the chunks and
 * their tags read as damaged; cuts at and inside chunks read as
 * truncated; swapped, duplicated, dropped and foreign chunks are caught;
 * a wrong master key says so; rewrap changes only the header; the master
 * key file is made 0600 and refused when wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/aead.h"

#define CHUNK ((size_t)AEAD_CHUNK_SIZE)
#define RECORD ((size_t)AEAD_RECORD_SIZE)
#define HEADER ((size_t)AEAD_HEADER_SIZE)

struct fixture {
    char dir[64];
    char path[128]; /* the encrypted file the tests work on */
    struct aead_key m1, m2;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char kp[128];

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-aead-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/file.enc", fx->dir);
    snprintf(kp, sizeof kp, "%s/master1.key", fx->dir);
    if (aead_master_ensure(kp, &fx->m1) != 0)
        return -1;
    snprintf(kp, sizeof kp, "%s/master2.key", fx->dir);
    if (aead_master_ensure(kp, &fx->m2) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd) == 0 ? 0 : -1;
    aead_key_wipe(&fx->m1);
    aead_key_wipe(&fx->m2);
    free(fx);
    return rc;
}

static unsigned char *pattern(size_t len, uint64_t seed)
{
    struct tu_rng rng = {seed};
    unsigned char *p = tu_xmalloc(len + 1);

    p[len] = 0;
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)tu_rng_next(&rng);
    return p;
}

/* Encrypt DATA to PATH under KEY in pieces of random size (seeded). */
static void encrypt_to(const char *path, const void *data, size_t len,
                       const struct aead_key *key, uint64_t seed)
{
    struct tu_rng rng = {seed};
    struct aead_writer *w = NULL;
    const unsigned char *p = data;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(aead_writer_new(&w, fd, key), 0);
    while (len > 0) {
        size_t n = (size_t)tu_rng_range(&rng, 1, (int64_t)(2 * CHUNK + 3));
        if (n > len)
            n = len;
        assert_int_equal(aead_write(w, p, n), 0);
        p += n;
        len -= n;
    }
    assert_int_equal(aead_finish(w), 0);
    aead_writer_free(w);
    assert_int_equal(close(fd), 0);
}

/* Decrypt PATH under KEY into OUT (CAP bytes) in pieces of random size.
 * Returns 0 at a verified end, else the error; *GOT is what was read. */
static int decrypt_from(const char *path, const struct aead_key *key,
                        unsigned char *out, size_t cap, size_t *got)
{
    struct tu_rng rng = {7};
    struct aead_reader *r = NULL;
    int fd = open(path, O_RDONLY);
    int rc;

    assert_true(fd >= 0);
    *got = 0;
    rc = aead_reader_open(&r, fd, key);
    while (rc == 0) {
        size_t want = (size_t)tu_rng_range(&rng, 1, (int64_t)(CHUNK + 9));
        unsigned char *dst = out + *got;
        unsigned char scratch[1];
        ssize_t n;

        if (want > cap - *got)
            want = cap - *got;
        if (want == 0) { /* OUT is full: only the end may follow */
            dst = scratch;
            want = 1;
        }
        n = aead_read(r, dst, want);
        if (n < 0) {
            rc = (int)n;
            /* errors repeat */
            assert_int_equal(aead_read(r, scratch, 1), n);
            break;
        }
        if (n == 0)
            break;
        assert_true(dst != scratch);
        assert_true((size_t)n <= want);
        *got += (size_t)n;
    }
    aead_reader_free(r);
    close(fd);
    return rc;
}

/* Decrypt PATH and expect error RC, never success. */
static void expect_fails(const char *path, const struct aead_key *key, int rc,
                         size_t plain_len)
{
    unsigned char *out = tu_xmalloc(plain_len + 1);
    size_t got = 0;
    int got_rc = decrypt_from(path, key, out, plain_len + 1, &got);

    if (got_rc != rc)
        TU_FAIL("%s: expected %d (%s), got %d (%s) after %zu bytes", path, rc,
                strerror(-rc), got_rc, strerror(-got_rc), got);
    assert_true(got < plain_len || plain_len == 0);
    free(out);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    return (unsigned char *)tu_read_file(path, len);
}

static void spit(const char *path, const unsigned char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static size_t records_for(size_t len)
{
    return len == 0 ? 1 : (len + CHUNK - 1) / CHUNK;
}

static void round_trip(struct fixture *fx, size_t len, uint64_t seed)
{
    unsigned char *data = pattern(len, seed);
    unsigned char *back = tu_xmalloc(len + 1);
    struct stat st;
    size_t got = 0;

    encrypt_to(fx->path, data, len, &fx->m1, seed);
    assert_int_equal(stat(fx->path, &st), 0);
    assert_int_equal((size_t)st.st_size, HEADER + records_for(len) * RECORD);
    assert_int_equal(decrypt_from(fx->path, &fx->m1, back, len + 1, &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(back, data, len);
    free(data);
    free(back);
}

static void test_round_trips_of_every_edge_size(void **state)
{
    struct fixture *fx = *state;
    const size_t sizes[] = {0,         1,         CHUNK - 1,     CHUNK,
                            CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17};

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        round_trip(fx, sizes[i], 100 + i);
}

static void test_round_trips_of_random_sizes(void **state)
{
    struct fixture *fx = *state;
    struct tu_rng rng = {tu_seed(0xaead)};

    for (int i = 0; i < 25; i++)
        round_trip(fx, (size_t)tu_rng_below(&rng, 5 * CHUNK), 200 + i);
}

static void test_empty_file_is_one_empty_last_chunk(void **state)
{
    struct fixture *fx = *state;
    struct aead_reader *r = NULL;
    unsigned char b[4];
    size_t len;
    unsigned char *file;
    int fd;

    encrypt_to(fx->path, "", 0, &fx->m1, 1);
    file = slurp(fx->path, &len);
    assert_int_equal(len, HEADER + RECORD);
    assert_memory_equal(file, "OGAEAD\1\20", 8);
    free(file);
    fd = open(fx->path, O_RDONLY);
    assert_int_equal(aead_reader_open(&r, fd, &fx->m1), 0);
    assert_int_equal(aead_read(r, b, sizeof b), 0);
    assert_int_equal(aead_read(r, b, sizeof b), 0);
    aead_reader_free(r);
    close(fd);
}

static void test_same_plaintext_encrypts_differently_and_hidden(void **state)
{
    struct fixture *fx = *state;
    char other[160];
    unsigned char *data = tu_xmalloc(2 * CHUNK + 5), *a, *b;
    size_t la, lb;

    memset(data, 'S', 2 * CHUNK + 5); /* "SSSS" would show in a weak cipher */
    encrypt_to(fx->path, data, 2 * CHUNK + 5, &fx->m1, 1);
    snprintf(other, sizeof other, "%s/other.enc", fx->dir);
    encrypt_to(other, data, 2 * CHUNK + 5, &fx->m1, 1);
    a = slurp(fx->path, &la);
    b = slurp(other, &lb);
    assert_int_equal(la, lb);
    /* fresh nonce prefix, wrap nonce, data key: nothing after the key id
     * is shared */
    assert_memory_equal(a, b, 16);
    assert_memory_not_equal(a + 16, b + 16, 8);
    assert_memory_not_equal(a + HEADER, b + HEADER, 64);
    assert_false(tu_mem_contains((char *)a, la, "SSSSSSSS"));
    /* chunks 0 and 1 hold the same plaintext: a nonce used twice would
     * give the same ciphertext */
    assert_memory_not_equal(a + HEADER, a + HEADER + RECORD, 64);
    free(a);
    free(b);
    free(data);
}

static void test_bit_flip_in_header_is_damaged(void **state)
{
    struct fixture *fx = *state;
    unsigned char *data = pattern(1000, 3);
    int fd;

    encrypt_to(fx->path, data, 1000, &fx->m1, 3);
    fd = open(fx->path, O_RDWR);
    assert_true(fd >= 0);
    for (size_t bit = 0; bit < HEADER * 8; bit++) {
        unsigned char byte, flipped;
        struct aead_reader *r = NULL;
        int rc;

        assert_int_equal(pread(fd, &byte, 1, (off_t)(bit / 8)), 1);
        flipped = (unsigned char)(byte ^ (1u << (bit % 8)));
        assert_int_equal(pwrite(fd, &flipped, 1, (off_t)(bit / 8)), 1);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        rc = aead_reader_open(&r, fd, &fx->m1);
        if (rc != -EBADMSG)
            TU_FAIL("header bit %zu: expected -EBADMSG, got %d", bit, rc);
        assert_null(r);
        assert_int_equal(pwrite(fd, &byte, 1, (off_t)(bit / 8)), 1);
    }
    close(fd);
    /* each bit put back, the file reads whole again */
    unsigned char back[1001];
    size_t got = 0;
    assert_int_equal(decrypt_from(fx->path, &fx->m1, back, sizeof back, &got),
                     0);
    assert_int_equal(got, 1000);
    assert_memory_equal(back, data, 1000);
    free(data);
}

static void test_bit_flip_in_each_chunk_and_tag_is_damaged(void **state)
{
    struct fixture *fx = *state;
    const size_t len = 3 * CHUNK + 500;
    unsigned char *data = pattern(len, 4);
    unsigned char *file;
    size_t flen;

    encrypt_to(fx->path, data, len, &fx->m1, 4);
    file = slurp(fx->path, &flen);
    assert_int_equal(flen, HEADER + 4 * RECORD);
    for (size_t k = 0; k < 4; k++) {
        /* the length field, data, padding, and each tag byte */
        size_t offs[24] = {0, 3, 4, 1000, CHUNK, RECORD - 17};
        size_t n_offs = 6;
        for (size_t t = 0; t < 16; t++)
            offs[n_offs++] = RECORD - 16 + t;
        for (size_t i = 0; i < n_offs; i++) {
            size_t at = HEADER + k * RECORD + offs[i];
            unsigned char *out = tu_xmalloc(len + 1);
            size_t got = 0;
            int rc;

            file[at] ^= (unsigned char)(1u << (i % 8));
            spit(fx->path, file, flen);
            rc = decrypt_from(fx->path, &fx->m1, out, len + 1, &got);
            if (rc != -EBADMSG)
                TU_FAIL("chunk %zu offset %zu: expected -EBADMSG, got %d", k,
                        offs[i], rc);
            /* only the chunks before the damaged one were handed out */
            assert_true(got <= k * CHUNK);
            assert_memory_equal(out, data, got);
            file[at] ^= (unsigned char)(1u << (i % 8));
            free(out);
        }
    }
    free(file);
    free(data);
}

static void test_truncation_anywhere_is_truncated(void **state)
{
    struct fixture *fx = *state;
    const size_t len = 2 * CHUNK + 100;
    unsigned char *data = pattern(len, 5);
    unsigned char *file;
    size_t flen, cuts[64], n_cuts = 0;

    encrypt_to(fx->path, data, len, &fx->m1, 5);
    file = slurp(fx->path, &flen);
    assert_int_equal(flen, HEADER + 3 * RECORD);
    cuts[n_cuts++] = 0;
    cuts[n_cuts++] = 1;
    cuts[n_cuts++] = 5;
    cuts[n_cuts++] = 6;
    cuts[n_cuts++] = HEADER - 1;
    for (size_t k = 0; k < 3; k++) {
        size_t at = HEADER + k * RECORD;
        cuts[n_cuts++] = at; /* at a chunk boundary */
        cuts[n_cuts++] = at + 1;
        cuts[n_cuts++] = at + RECORD / 2;
        cuts[n_cuts++] = at + RECORD - 16; /* the tag missing */
        cuts[n_cuts++] = at + RECORD - 1;
    }
    for (size_t i = 0; i < n_cuts; i++) {
        spit(fx->path, file, cuts[i]);
        expect_fails(fx->path, &fx->m1, -EPIPE, len);
    }
    /* the whole file still reads */
    spit(fx->path, file, flen);
    expect_fails(fx->path, &fx->m1, 0, len + 1);
    free(file);
    free(data);
}

/* Write a file whose records are FILE's records ORDER[0..N). */
static void write_records(const char *path, const unsigned char *hdr,
                          const unsigned char *recs, const int *order, size_t n)
{
    unsigned char *buf = tu_xmalloc(HEADER + n * RECORD);

    memcpy(buf, hdr, HEADER);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + HEADER + i * RECORD, recs + (size_t)order[i] * RECORD,
               RECORD);
    spit(path, buf, HEADER + n * RECORD);
    free(buf);
}

static void test_swapped_duplicated_dropped_chunks_are_caught(void **state)
{
    struct fixture *fx = *state;
    const size_t len = 3 * CHUNK + 5; /* records 0 1 2 and last 3 */
    unsigned char *data = pattern(len, 6), *file, *other;
    char other_path[160];
    size_t flen, olen;
    static const int swap01[] = {1, 0, 2, 3}, swap23[] = {0, 1, 3, 2},
                     dup1[] = {0, 1, 1, 3}, drop1[] = {0, 2, 3},
                     dup_last[] = {0, 1, 2, 3, 3}, drop_last[] = {0, 1, 2},
                     last_only[] = {3}, whole[] = {0, 1, 2, 3};

    encrypt_to(fx->path, data, len, &fx->m1, 6);
    file = slurp(fx->path, &flen);
    unsigned char *recs = file + HEADER;

    write_records(fx->path, file, recs, swap01, 4);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);
    write_records(fx->path, file, recs, swap23, 4);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);
    write_records(fx->path, file, recs, dup1, 4);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);
    write_records(fx->path, file, recs, drop1, 3);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);
    write_records(fx->path, file, recs, dup_last, 5);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);
    write_records(fx->path, file, recs, last_only, 1);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);
    write_records(fx->path, file, recs, drop_last, 3);
    expect_fails(fx->path, &fx->m1, -EPIPE, len);

    /* a chunk from another file under the same master key */
    snprintf(other_path, sizeof other_path, "%s/other.enc", fx->dir);
    encrypt_to(other_path, data, len, &fx->m1, 6);
    other = slurp(other_path, &olen);
    assert_int_equal(olen, flen);
    memcpy(other, file, HEADER); /* our header on their chunks */
    spit(fx->path, other, olen);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);

    /* one byte after the last chunk */
    write_records(fx->path, file, recs, whole, 4);
    expect_fails(fx->path, &fx->m1, 0, len + 1);
    int fd = open(fx->path, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "", 1), 1);
    close(fd);
    expect_fails(fx->path, &fx->m1, -EBADMSG, len);
    free(other);
    free(file);
    free(data);
}

static void test_wrong_master_key_is_reported(void **state)
{
    struct fixture *fx = *state;
    struct aead_reader *r = NULL;
    int fd;

    encrypt_to(fx->path, "ssn 123-45-6789", 15, &fx->m1, 8);
    fd = open(fx->path, O_RDONLY);
    assert_int_equal(aead_reader_open(&r, fd, &fx->m2), -ENOKEY);
    assert_null(r);
    close(fd);
    /* the header names the key it was made under */
    unsigned char *file;
    size_t flen;
    file = slurp(fx->path, &flen);
    assert_memory_equal(file + 8, fx->m1.id, AEAD_KEY_ID_SIZE);
    free(file);
}

static void test_unfinished_writer_leaves_a_truncated_file(void **state)
{
    struct fixture *fx = *state;
    const size_t lens[] = {0, 5, CHUNK, 2 * CHUNK + 5};
    unsigned char *data = pattern(2 * CHUNK + 5, 9);

    for (size_t i = 0; i < 4; i++) {
        struct aead_writer *w = NULL;
        int fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        assert_int_equal(aead_writer_new(&w, fd, &fx->m1), 0);
        assert_int_equal(aead_write(w, data, lens[i]), 0);
        aead_writer_free(w);
        close(fd);
        expect_fails(fx->path, &fx->m1, -EPIPE, lens[i]);
    }

    /* finish is once; nothing is written after it */
    struct aead_writer *w = NULL;
    int fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(aead_writer_new(&w, fd, &fx->m1), 0);
    assert_int_equal(aead_write(w, data, 10), 0);
    assert_int_equal(aead_finish(w), 0);
    assert_int_equal(aead_finish(w), -EINVAL);
    assert_int_equal(aead_write(w, data, 1), -EINVAL);
    aead_writer_free(w);
    aead_writer_free(NULL);
    aead_reader_free(NULL);
    close(fd);
    expect_fails(fx->path, &fx->m1, 0, 11);

    /* a write error sticks */
    fd = open(fx->path, O_RDONLY);
    assert_int_equal(aead_writer_new(&w, fd, &fx->m1), 0);
    assert_int_equal(aead_write(w, data, CHUNK + 1), -EBADF);
    assert_int_equal(aead_write(w, data, 1), -EBADF);
    assert_int_equal(aead_finish(w), -EBADF);
    aead_writer_free(w);
    close(fd);
    free(data);
}

static void test_rewrap_changes_only_the_header(void **state)
{
    struct fixture *fx = *state;
    const size_t len = 2 * CHUNK + 77;
    unsigned char *data = pattern(len, 10), *before, *after, *back;
    size_t lb, la, got;
    struct stat st;

    encrypt_to(fx->path, data, len, &fx->m1, 10);
    assert_int_equal(chmod(fx->path, 0640), 0);
    before = slurp(fx->path, &lb);

    /* the wrong old key: refused, file untouched */
    assert_int_equal(aead_rewrap(fx->path, &fx->m2, &fx->m1), -ENOKEY);
    after = slurp(fx->path, &la);
    assert_int_equal(la, lb);
    assert_memory_equal(after, before, lb);
    free(after);

    assert_int_equal(aead_rewrap(fx->path, &fx->m1, &fx->m2), 0);
    after = slurp(fx->path, &la);
    assert_int_equal(la, lb);
    assert_memory_equal(after + HEADER, before + HEADER, lb - HEADER);
    assert_memory_equal(after + 8, fx->m2.id, AEAD_KEY_ID_SIZE);
    assert_memory_equal(after + 16, before + 16, 8); /* nonce prefix kept */
    assert_memory_not_equal(after + 36, before + 36, 48);
    assert_int_equal(stat(fx->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    back = tu_xmalloc(len + 1);
    assert_int_equal(decrypt_from(fx->path, &fx->m2, back, len + 1, &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(back, data, len);
    expect_fails(fx->path, &fx->m1, -ENOKEY, len);

    /* no temporary files left beside it */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q rewrap", fx->dir);
    assert_int_not_equal(system(cmd), 0);

    /* a damaged header is not rewrapped */
    after[40] ^= 1;
    spit(fx->path, after, la);
    assert_int_equal(aead_rewrap(fx->path, &fx->m2, &fx->m1), -EBADMSG);
    free(back);
    free(after);
    free(before);
    free(data);
}

static void test_master_key_file_is_made_0600_and_checked(void **state)
{
    struct fixture *fx = *state;
    struct aead_key k1, k2, k3;
    char path[160], link_path[160];
    unsigned char *bytes;
    struct stat st;
    size_t len;

    snprintf(path, sizeof path, "%s/keys.key", fx->dir);
    assert_int_equal(aead_master_load(path, &k1), -ENOENT);
    assert_int_equal(aead_master_ensure(path, &k1), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, AEAD_KEY_SIZE);
    bytes = slurp(path, &len);
    assert_memory_equal(bytes, k1.bytes, AEAD_KEY_SIZE);

    /* made once: read back the same, with the same id */
    assert_int_equal(aead_master_ensure(path, &k2), 0);
    assert_memory_equal(&k1, &k2, sizeof k1);
    assert_int_equal(aead_key_init(&k3, bytes), 0);
    assert_memory_equal(k3.id, k1.id, AEAD_KEY_ID_SIZE);
    assert_memory_not_equal(k1.id, fx->m1.id, AEAD_KEY_ID_SIZE);

    /* group or other permissions */
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(aead_master_load(path, &k2), -EPERM);
    assert_int_equal(aead_master_ensure(path, &k2), -EPERM);
    assert_int_equal(chmod(path, 0604), 0);
    assert_int_equal(aead_master_load(path, &k2), -EPERM);
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(aead_master_load(path, &k2), 0);

    /* wrong sizes */
    assert_int_equal(unlink(path), 0);
    spit(path, bytes, AEAD_KEY_SIZE - 1);
    assert_int_equal(aead_master_load(path, &k2), -EINVAL);
    unsigned char long_key[AEAD_KEY_SIZE + 1] = {0};
    spit(path, long_key, sizeof long_key);
    assert_int_equal(aead_master_ensure(path, &k2), -EINVAL);
    spit(path, bytes, 0);
    assert_int_equal(aead_master_load(path, &k2), -EINVAL);

    /* a link or a folder */
    spit(path, bytes, AEAD_KEY_SIZE);
    snprintf(link_path, sizeof link_path, "%s/link.key", fx->dir);
    assert_int_equal(symlink(path, link_path), 0);
    assert_int_equal(aead_master_load(link_path, &k2), -EINVAL);
    assert_int_equal(aead_master_load(fx->dir, &k2), -EINVAL);

    /* no temporary file left */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q new", fx->dir);
    assert_int_not_equal(system(cmd), 0);
    aead_key_wipe(&k1);
    aead_key_wipe(&k2);
    aead_key_wipe(&k3);
    free(bytes);
}

/* Open PATH for random access with KEY; the fd into *FD. */
static struct aead_reader *open_random(const char *path,
                                       const struct aead_key *key, int *fd)
{
    struct aead_reader *r = NULL;

    *fd = open(path, O_RDONLY);
    assert_true(*fd >= 0);
    assert_int_equal(aead_reader_open(&r, *fd, key), 0);
    return r;
}

static void test_size_and_reads_at_offsets_across_chunks(void **state)
{
    struct fixture *fx = *state;
    const size_t sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17};

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t len = sizes[i];
        unsigned char *data = pattern(len, 300 + i);
        unsigned char buf[3 * 1000];
        uint64_t size = 99;
        int fd;

        encrypt_to(fx->path, data, len, &fx->m1, 300 + i);
        struct aead_reader *r = open_random(fx->path, &fx->m1, &fd);
        assert_int_equal(aead_reader_size(r, &size), 0);
        assert_int_equal(size, len);
        /* offsets either side of every chunk edge, out of order */
        for (size_t e = 0; e <= len / CHUNK + 1; e++) {
            for (int d = -3; d <= 3; d++) {
                int64_t off = (int64_t)(e * CHUNK) + d * 333;
                if (off < 0)
                    continue;
                size_t want = (uint64_t)off >= len ? 0 : len - (size_t)off;
                size_t got = 0;
                if (want > sizeof buf)
                    want = sizeof buf;
                while (got < sizeof buf) {
                    ssize_t n = aead_pread(r, buf + got, sizeof buf - got,
                                           (uint64_t)off + got);
                    assert_true(n >= 0);
                    if (n == 0)
                        break;
                    got += (size_t)n;
                }
                assert_int_equal(got, want);
                if (want > 0)
                    assert_memory_equal(buf, data + off, want);
            }
        }
        /* the sequential reader is not disturbed */
        ssize_t n = aead_read(r, buf, sizeof buf);
        assert_int_equal(n,
                         len < sizeof buf ? (ssize_t)len : (ssize_t)sizeof buf);
        if (n > 0)
            assert_memory_equal(buf, data, (size_t)n);
        aead_reader_free(r);
        close(fd);
        free(data);
    }
}

static void test_size_of_cut_or_damaged_file_is_refused(void **state)
{
    struct fixture *fx = *state;
    size_t len = 2 * CHUNK + 5, flen;
    unsigned char *data = pattern(len, 77), *file;
    unsigned char buf[16];
    uint64_t size;
    int fd;

    encrypt_to(fx->path, data, len, &fx->m1, 77);
    file = slurp(fx->path, &flen);
    /* cut at a record boundary: the new last chunk was not sealed last */
    spit(fx->path, file, flen - RECORD);
    struct aead_reader *r = open_random(fx->path, &fx->m1, &fd);
    assert_int_equal(aead_reader_size(r, &size), -EPIPE);
    assert_int_equal(aead_pread(r, buf, sizeof buf, 0), -EPIPE);
    aead_reader_free(r);
    close(fd);
    /* cut inside the last record */
    spit(fx->path, file, flen - 100);
    r = open_random(fx->path, &fx->m1, &fd);
    assert_int_equal(aead_reader_size(r, &size), -EPIPE);
    aead_reader_free(r);
    close(fd);
    /* a byte after the last chunk */
    unsigned char *longer = tu_xmalloc(flen + 1);
    memcpy(longer, file, flen);
    longer[flen] = 0;
    spit(fx->path, longer, flen + 1);
    r = open_random(fx->path, &fx->m1, &fd);
    assert_int_equal(aead_reader_size(r, &size), -EBADMSG);
    aead_reader_free(r);
    close(fd);
    /* a flipped bit in the middle chunk: the size reads, that chunk not */
    file[HEADER + RECORD + 1000] ^= 0x10;
    spit(fx->path, file, flen);
    r = open_random(fx->path, &fx->m1, &fd);
    assert_int_equal(aead_reader_size(r, &size), 0);
    assert_int_equal(size, len);
    assert_int_equal(aead_pread(r, buf, sizeof buf, 5), (ssize_t)sizeof buf);
    assert_memory_equal(buf, data + 5, sizeof buf);
    assert_int_equal(aead_pread(r, buf, sizeof buf, CHUNK + 3), -EBADMSG);
    assert_int_equal(aead_pread(r, buf, sizeof buf, 2 * CHUNK), 5);
    aead_reader_free(r);
    close(fd);
    free(longer);
    free(file);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trips_of_every_edge_size,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trips_of_random_sizes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_is_one_empty_last_chunk,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_same_plaintext_encrypts_differently_and_hidden, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_bit_flip_in_header_is_damaged,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bit_flip_in_each_chunk_and_tag_is_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation_anywhere_is_truncated,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_swapped_duplicated_dropped_chunks_are_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_master_key_is_reported,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_unfinished_writer_leaves_a_truncated_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrap_changes_only_the_header,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_master_key_file_is_made_0600_and_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_size_and_reads_at_offsets_across_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_size_of_cut_or_damaged_file_is_refused, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
