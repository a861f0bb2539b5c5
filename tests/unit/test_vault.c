/*
 * test_vault.c - spool files at rest (vault.h): round trips through the
 * writer and every reader (sequential, at offsets, the stdio stream, the
 * socket feed) at the chunk edges and past a few MB; plaintext sizes and
 * hashes; damaged, truncated and foreign-key files refused; plain files
 * from before encryption still read; an off vault writes plain; key
 * rotation re-wraps, and a rotation cut short is finished by the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/digest.h"
#include "offsetgw/vault.h"

#define CHUNK ((size_t)AEAD_CHUNK_SIZE)
#define RECORD ((size_t)AEAD_RECORD_SIZE)
#define HEADER ((size_t)AEAD_HEADER_SIZE)

struct fixture {
    char dir[64];
    char path[128];
    struct home h;
    struct vault v;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct aead_key k;
    char err[256];
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/og-vault-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/file", fx->dir);
    if (home_init(&fx->h, fx->dir) < 0 ||
        home_create(&fx->h, err, sizeof(err)) < 0 ||
        home_create_partner(&fx->h, "lacounty", err, sizeof(err)) < 0 ||
        home_master_key(&fx->h, true, &k, err, sizeof(err)) < 0)
        return -1;
    aead_key_wipe(&k);
    if (vault_load(&fx->v, &fx->h, err, sizeof(err)) < 0 || !fx->v.on)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    int rc = system(cmd) == 0 ? 0 : -1;
    vault_release(&fx->v);
    free(fx);
    return rc;
}

static unsigned char *pattern(size_t len, uint64_t seed)
{
    struct tu_rng rng = {seed};
    unsigned char *p = tu_xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)tu_rng_next(&rng);
    return p;
}

/* Write DATA to PATH through a vault writer in uneven pieces; its hash
 * into HEX. */
static void put(const struct vault *v, const char *path, const void *data,
                size_t len, char hex[65])
{
    struct vault_writer *w = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(vault_create(v, fd, true, &w), 0);
    for (size_t off = 0, step = 1; off < len; step = step * 3 + 7) {
        size_t n = step > len - off ? len - off : step;
        assert_int_equal(vault_write(w, (const char *)data + off, n), 0);
        off += n;
    }
    assert_int_equal(vault_written(w), (int64_t)len);
    assert_int_equal(vault_seal(w, hex), 0);
    vault_writer_free(w);
}

static void spit(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

static void round_trip(struct fixture *fx, size_t len, uint64_t seed)
{
    unsigned char *data = pattern(len, seed), *back = tu_xmalloc(len + 1);
    char hex[65], want[65], got_hex[65];
    struct vault_file *f = NULL;
    int64_t size = -1, bytes = -1;
    size_t got = 0;
    ssize_t n;

    assert_int_equal(digest_sha256(data, len, want), 0);
    put(&fx->v, fx->path, data, len, hex);
    assert_string_equal(hex, want);
    assert_int_equal(vault_open(&fx->v, fx->path, &f), 0);
    assert_true(vault_encrypted(f));
    assert_int_equal(vault_size(f, &size), 0);
    assert_int_equal(size, (int64_t)len);
    while ((n = vault_read(f, back + got, len + 1 - got)) > 0)
        got += (size_t)n;
    assert_int_equal(n, 0);
    assert_int_equal(got, len);
    assert_memory_equal(back, data, len);
    /* a read at every chunk edge, either side */
    for (size_t e = 0; e * CHUNK <= len + 1; e++)
        for (int d = -2; d <= 2; d++) {
            int64_t off = (int64_t)(e * CHUNK) + d * 7;
            unsigned char buf[100];
            if (off < 0)
                continue;
            size_t expect = (size_t)off >= len ? 0 : len - (size_t)off;
            if (expect > sizeof(buf))
                expect = sizeof(buf);
            assert_int_equal(vault_pread(f, buf, sizeof(buf), off),
                             (ssize_t)expect);
            if (expect > 0)
                assert_memory_equal(buf, data + off, expect);
        }
    assert_int_equal(vault_rewind(f), 0);
    assert_int_equal(vault_sha256(f, got_hex, &bytes), 0);
    assert_string_equal(got_hex, want);
    assert_int_equal(bytes, (int64_t)len);
    vault_close(f);
    free(data);
    free(back);
}

static void test_round_trips_at_chunk_edges_and_past_a_few_mb(void **state)
{
    struct fixture *fx = *state;
    const size_t sizes[] = {0,         1,         CHUNK - 1,          CHUNK,
                            CHUNK + 1, 2 * CHUNK, 5 * 1024 * 1024 + 3};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        round_trip(fx, sizes[i], 10 + i);
}

static void test_file_on_disk_holds_no_plaintext(void **state)
{
    struct fixture *fx = *state;
    const char text[] = "123456789 SMITH JOHN 000012500\n";
    char hex[65];
    size_t len;
    put(&fx->v, fx->path, text, sizeof(text) - 1, hex);
    char *disk = tu_read_file(fx->path, &len);
    assert_int_equal(len, HEADER + RECORD);
    assert_memory_equal(disk, "OGAEAD", 6);
    assert_false(tu_mem_contains(disk, len, "123456789"));
    assert_false(tu_mem_contains(disk, len, "SMITH"));
    free(disk);
}

static void test_stream_and_feed_carry_the_plaintext(void **state)
{
    struct fixture *fx = *state;
    size_t len = 3 * CHUNK + 11;
    unsigned char *data = pattern(len, 5), *back = tu_xmalloc(len);
    struct vault_writer *w = NULL;
    struct vault_feed *feed = NULL;
    struct vault_file *f = NULL;
    char hex[65], want[65], fed[65];
    int64_t bytes = 0;
    int fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600), out;
    size_t got = 0;
    ssize_t n;

    assert_int_equal(vault_create(&fx->v, fd, true, &w), 0);
    FILE *fp = vault_writer_stream(w);
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(vault_seal(w, hex), 0);
    vault_writer_free(w);
    assert_int_equal(digest_sha256(data, len, want), 0);
    assert_string_equal(hex, want);

    assert_int_equal(vault_open(&fx->v, fx->path, &f), 0);
    assert_int_equal(vault_feed_start(f, true, &feed, &out), 0);
    while ((n = read(out, back + got, len - got)) > 0)
        got += (size_t)n;
    assert_int_equal(got, len);
    assert_memory_equal(back, data, len);
    assert_int_equal(vault_feed_finish(feed, fed, &bytes), 0);
    assert_string_equal(fed, want);
    assert_int_equal(bytes, (int64_t)len);

    /* a reader that stops early still gets the whole file's hash */
    assert_int_equal(vault_open(&fx->v, fx->path, &f), 0);
    assert_int_equal(vault_feed_start(f, true, &feed, &out), 0);
    assert_true(read(out, back, 10) > 0);
    assert_int_equal(vault_feed_finish(feed, fed, &bytes), 0);
    assert_string_equal(fed, want);
    free(data);
    free(back);
}

static void test_damaged_truncated_and_foreign_files_are_refused(void **state)
{
    struct fixture *fx = *state;
    size_t len = 2 * CHUNK + 100, flen;
    unsigned char *data = pattern(len, 9), buf[4096];
    struct vault_file *f = NULL;
    struct vault_feed *feed = NULL;
    char hex[65];
    int64_t size;
    int out;
    put(&fx->v, fx->path, data, len, hex);
    unsigned char *file = (unsigned char *)tu_read_file(fx->path, &flen);

    /* truncated: refused at once for its size */
    spit(fx->path, file, flen - RECORD);
    assert_int_equal(vault_open(&fx->v, fx->path, &f), 0);
    assert_int_equal(vault_size(f, &size), -EPIPE);
    assert_int_equal(vault_pread(f, buf, sizeof(buf), 0), -EPIPE);
    assert_int_equal(vault_sha256(f, hex, NULL), -EPIPE);
    vault_close(f);
    assert_string_equal(vault_strerror(-EPIPE), "truncated");

    /* a bit flipped in the middle: reads stop there, the feed says so */
    file[HEADER + RECORD + 77] ^= 1;
    spit(fx->path, file, flen);
    assert_int_equal(vault_open(&fx->v, fx->path, &f), 0);
    assert_int_equal(vault_pread(f, buf, 10, 0), 10);
    assert_int_equal(vault_pread(f, buf, 10, CHUNK), -EBADMSG);
    assert_int_equal(vault_feed_start(f, true, &feed, &out), 0);
    while (read(out, buf, sizeof(buf)) > 0)
        ;
    assert_int_equal(vault_feed_finish(feed, hex, NULL), -EBADMSG);
    file[HEADER + RECORD + 77] ^= 1;

    /* a flipped header byte: damaged at open */
    file[20] ^= 1;
    spit(fx->path, file, flen);
    assert_int_equal(vault_open(&fx->v, fx->path, &f), -EBADMSG);
    file[20] ^= 1;

    /* another master key, or none at all */
    struct aead_key other;
    unsigned char bytes[AEAD_KEY_SIZE] = {1, 2, 3};
    struct vault v2;
    assert_int_equal(aead_key_init(&other, bytes), 0);
    vault_init(&v2, &other);
    spit(fx->path, file, flen);
    assert_int_equal(vault_open(&v2, fx->path, &f), -ENOKEY);
    vault_init(&v2, NULL);
    assert_int_equal(vault_open(&v2, fx->path, &f), -ENOKEY);
    assert_int_equal(vault_open(&fx->v, fx->path, &f), 0);
    vault_close(f);
    free(file);
    free(data);
}

static void test_plain_files_read_and_off_vault_writes_plain(void **state)
{
    struct fixture *fx = *state;
    const char text[] = "H2024 legacy plain file\nD 1\n";
    char back[64], hex[65];
    struct vault_file *f = NULL;
    struct vault off;
    int64_t size;
    spit(fx->path, text, sizeof(text) - 1);
    assert_int_equal(vault_open(&fx->v, fx->path, &f), 0);
    assert_false(vault_encrypted(f));
    assert_int_equal(vault_size(f, &size), 0);
    assert_int_equal(size, (int64_t)sizeof(text) - 1);
    assert_int_equal(vault_pread(f, back, 5, 6), 5);
    assert_memory_equal(back, "legac", 5);
    assert_int_equal(vault_read(f, back, sizeof(back)),
                     (ssize_t)sizeof(text) - 1);
    vault_close(f);

    vault_init(&off, NULL);
    put(&off, fx->path, text, sizeof(text) - 1, hex);
    size_t len;
    char *disk = tu_read_file(fx->path, &len);
    assert_int_equal(len, sizeof(text) - 1);
    assert_memory_equal(disk, text, len);
    free(disk);
}

static void test_open_file_outlives_its_vault(void **state)
{
    struct fixture *fx = *state;
    struct vault_file *f = NULL;
    struct vault copy = fx->v;
    char hex[65], back[8];
    put(&fx->v, fx->path, "kept", 4, hex);
    assert_int_equal(vault_open(&copy, fx->path, &f), 0);
    vault_release(&copy); /* the keys wiped: the file holds its own */
    assert_int_equal(vault_read(f, back, sizeof(back)), 4);
    assert_int_equal(vault_rewind(f), 0);
    assert_int_equal(vault_read(f, back, sizeof(back)), 4);
    assert_memory_equal(back, "kept", 4);
    vault_close(f);
}

/* Paths of files in lacounty's boxes. */
static void box_file(struct fixture *fx, const char *box, const char *name,
                     char *buf, size_t size)
{
    char dir[HOME_PATH_MAX];
    assert_int_equal(home_box_path(&fx->h, "lacounty", box, dir, sizeof(dir)),
                     0);
    snprintf(buf, size, "%s/%s", dir, name);
}

static int n_old_keys(struct fixture *fx)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "exit $(ls '%s' | grep -c '^master.key.old-')",
             fx->h.keys);
    return WEXITSTATUS(system(cmd));
}

static void test_rotate_rewraps_every_spool_file(void **state)
{
    struct fixture *fx = *state;
    static const char *const boxes[] = {"inbox", "received", "outbox",
                                        "outbox/.tmp"};
    char paths[4][HOME_PATH_MAX + 64], hex[65], err[256];
    unsigned char *data = pattern(CHUNK + 5, 3);
    struct vault_rotation ro;
    struct vault_file *f = NULL;
    for (int i = 0; i < 4; i++) {
        box_file(fx, boxes[i], "f.txt", paths[i], sizeof(paths[i]));
        put(&fx->v, paths[i], data, CHUNK + 5, hex);
    }
    char plain[HOME_PATH_MAX + 64];
    box_file(fx, "outbox", "legacy.txt", plain, sizeof(plain));
    spit(plain, "plain\n", 6);

    assert_int_equal(vault_rotate(&fx->h, NULL, NULL, &ro, err, sizeof(err)),
                     0);
    assert_int_equal(ro.rewrapped, 4);
    assert_int_equal(ro.plain, 1);
    assert_int_equal(ro.failed, 0);
    assert_false(ro.resumed);
    assert_string_not_equal(ro.old_id, ro.new_id);
    assert_int_equal(n_old_keys(fx), 0);
    /* the old vault no longer opens them; the home's new one does */
    struct vault now;
    assert_int_equal(vault_load(&now, &fx->h, err, sizeof(err)), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(vault_open(&fx->v, paths[i], &f), -ENOKEY);
        assert_int_equal(vault_open(&now, paths[i], &f), 0);
        assert_int_equal(vault_sha256(f, hex, NULL), 0);
        vault_close(f);
    }
    vault_release(&now);
    free(data);
}

static void test_rotation_cut_short_is_finished_by_the_next(void **state)
{
    struct fixture *fx = *state;
    char a[HOME_PATH_MAX + 64], b[HOME_PATH_MAX + 64], err[256], hex[65];
    char master[HOME_PATH_MAX + 32], old[HOME_PATH_MAX + 64], tmp[600];
    struct aead_key k_old, k_new;
    struct vault_rotation ro;
    struct vault_file *f = NULL;
    box_file(fx, "received", "a.txt", a, sizeof(a));
    box_file(fx, "outbox", "b.txt", b, sizeof(b));
    put(&fx->v, a, "alpha", 5, hex);
    put(&fx->v, b, "bravo", 5, hex);

    /* what a crash midway leaves: the old key kept, the new one in
     * place, one file re-wrapped, one not, a re-wrap's copy beside it */
    snprintf(master, sizeof(master), "%s/master.key", fx->h.keys);
    snprintf(old, sizeof(old), "%s/master.key.old-20250101T000000Z",
             fx->h.keys);
    assert_int_equal(link(master, old), 0);
    assert_int_equal(aead_master_load(master, &k_old), 0);
    assert_int_equal(unlink(master), 0);
    assert_int_equal(aead_master_ensure(master, &k_new), 0);
    assert_int_equal(aead_rewrap(a, &k_old, &k_new), 0);
    const char *slash = strrchr(b, '/');
    snprintf(tmp, sizeof(tmp), "%.*s/.%s.rewrap.AbC123", (int)(slash - b), b,
             slash + 1);
    spit(tmp, "OGAEAD partial copy", 19);
    /* a partner's file of that shape (no leading dot) is the partner's */
    char theirs[HOME_PATH_MAX + 96];
    snprintf(theirs, sizeof(theirs), "%s.rewrap.AbC123", b);
    spit(theirs, "mine", 4);

    /* meanwhile the files still read: the vault holds the old key too */
    struct vault mid;
    assert_int_equal(vault_load(&mid, &fx->h, err, sizeof(err)), 0);
    assert_int_equal(mid.n_old, 1);
    assert_int_equal(vault_open(&mid, a, &f), 0);
    vault_close(f);
    assert_int_equal(vault_open(&mid, b, &f), 0);
    vault_close(f);
    vault_release(&mid);

    assert_int_equal(vault_rotate(&fx->h, NULL, NULL, &ro, err, sizeof(err)),
                     0);
    assert_true(ro.resumed);
    assert_int_equal(ro.rewrapped, 1);
    assert_int_equal(ro.current, 1);
    assert_int_equal(n_old_keys(fx), 0);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(access(theirs, F_OK), 0);
    /* the new key is the one the cut-short run installed */
    struct aead_key k_now;
    assert_int_equal(aead_master_load(master, &k_now), 0);
    assert_memory_equal(k_now.id, k_new.id, AEAD_KEY_ID_SIZE);
    struct vault v_new;
    vault_init(&v_new, &k_new);
    char back[8];
    assert_int_equal(vault_open(&v_new, b, &f), 0);
    assert_int_equal(vault_read(f, back, sizeof(back)), 5);
    assert_memory_equal(back, "bravo", 5);
    vault_close(f);
    vault_release(&v_new);
}

static int failing_rekey(void *ctx, const struct aead_key *o,
                         const struct aead_key *n, char *err, size_t err_size)
{
    (void)o;
    (void)n;
    (*(int *)ctx)++;
    snprintf(err, err_size, "the registry said no");
    return -EIO;
}

static void test_failed_rekey_keeps_the_old_key(void **state)
{
    struct fixture *fx = *state;
    struct vault_rotation ro;
    char err[256];
    int calls = 0;
    assert_int_equal(
        vault_rotate(&fx->h, failing_rekey, &calls, &ro, err, sizeof(err)),
        -EIO);
    assert_int_equal(calls, 1);
    assert_string_equal(err, "the registry said no");
    assert_int_equal(n_old_keys(fx), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_round_trips_at_chunk_edges_and_past_a_few_mb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_on_disk_holds_no_plaintext,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_stream_and_feed_carry_the_plaintext, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_damaged_truncated_and_foreign_files_are_refused, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_plain_files_read_and_off_vault_writes_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_file_outlives_its_vault,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_rewraps_every_spool_file,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_rotation_cut_short_is_finished_by_the_next, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_rekey_keeps_the_old_key,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
