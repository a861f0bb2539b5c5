/*
 * test_keys.c - the gateway's SSH keys (keys.h): the host key is made
 * once, 0600, and its fingerprint is the one OpenSSH's ssh-keygen prints;
 * public-key lines are read as OpenSSH writes them, short RSA keys,
 * options, unknown types and broken blobs refused; a partner key pair
 * made for the demo reads back as the same key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/keys.h"

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-keys-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
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
    free(fx);
    return rc;
}

/* What `ssh-keygen -lf PATH` says the fingerprint is. */
static void keygen_fingerprint(const char *path, char *fp, size_t size)
{
    char cmd[512], line[512];
    snprintf(cmd, sizeof cmd, "ssh-keygen -E sha256 -lf '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    pclose(p);
    /* "256 SHA256:xxxx comment (ED25519)" */
    char *start = strchr(line, ' ');
    assert_non_null(start);
    start++;
    size_t n = strcspn(start, " \n");
    snprintf(fp, size, "%.*s", (int)n, start);
}

/* Make a key with ssh-keygen; its .pub line into LINE. */
static void keygen(struct fixture *fx, const char *name, const char *args,
                   char *line, size_t size)
{
    char cmd[512], path[256];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    snprintf(cmd, sizeof cmd,
             "ssh-keygen -q -N '' %s -C 'tester@example' -f '%s' >/dev/null",
             args, path);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/%s.pub", fx->dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, (int)size, f));
    fclose(f);
}

static void test_host_key_is_made_once_0600_with_its_fingerprint(void **state)
{
    struct fixture *fx = *state;
    char path[256], fp[KEYS_FP_MAX], fp2[KEYS_FP_MAX], want[KEYS_FP_MAX];
    char err[256];
    bool created;
    struct stat st;
    assert_int_equal(keys_host_path(fx->dir, path, sizeof path), 0);
    assert_int_equal(keys_host_ensure(path, &created, fp, err, sizeof err), 0);
    assert_true(created);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
    keygen_fingerprint(path, want, sizeof want);
    assert_string_equal(fp, want);
    /* again: the same key, not a new one */
    assert_int_equal(keys_host_ensure(path, &created, fp2, err, sizeof err), 0);
    assert_false(created);
    assert_string_equal(fp2, fp);
    assert_int_equal(keys_file_fingerprint(path, fp2, err, sizeof err), 0);
    assert_string_equal(fp2, fp);
    /* a file that is no key */
    snprintf(path, sizeof path, "%s/junk", fx->dir);
    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_int_equal(keys_file_fingerprint(path, fp2, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "junk"));
}

static void test_public_lines_of_each_accepted_type_read_back(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *name, *args, *type;
    } kinds[] = {
        {"ed", "-t ed25519", "ssh-ed25519"},
        {"ec", "-t ecdsa -b 256", "ecdsa-sha2-nistp256"},
        {"ec384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384"},
        {"rsa", "-t rsa -b 3072", "ssh-rsa"},
    };
    char line[4096], err[256], fp[KEYS_FP_MAX], path[256];
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        struct keys_public k;
        keygen(fx, kinds[i].name, kinds[i].args, line, sizeof line);
        if (keys_parse_public(line, &k, err, sizeof err) != 0)
            fail_msg("%s: %s", kinds[i].name, err);
        assert_string_equal(k.type, kinds[i].type);
        assert_string_equal(k.comment, "tester@example");
        snprintf(path, sizeof path, "%s/%s.pub", fx->dir, kinds[i].name);
        keygen_fingerprint(path, fp, sizeof fp);
        assert_string_equal(k.fingerprint, fp);
        /* the base64 is the file's */
        assert_non_null(strstr(line, k.base64));
    }
}

static void test_bad_public_lines_are_refused_with_a_reason(void **state)
{
    struct fixture *fx = *state;
    char line[4096], bad[4200], err[256];
    struct keys_public k;
    keygen(fx, "short", "-t rsa -b 1024", line, sizeof line);
    assert_int_equal(keys_parse_public(line, &k, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "1024 bits"));
    keygen(fx, "ed", "-t ed25519", line, sizeof line);
    snprintf(bad, sizeof bad, "from=\"10.0.0.1\" %s", line);
    assert_int_equal(keys_parse_public(bad, &k, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "options"));
    assert_int_equal(keys_parse_public("", &k, err, sizeof err), -EINVAL);
    assert_int_equal(keys_parse_public("ssh-ed25519", &k, err, sizeof err),
                     -EINVAL);
    assert_int_equal(
        keys_parse_public("ssh-ed25519 AAAAnotbase64!!", &k, err, sizeof err),
        -EINVAL);
    /* a blob of another type than the line says */
    char *b64 = strchr(line, ' ') + 1;
    snprintf(bad, sizeof bad, "ecdsa-sha2-nistp256 %s", b64);
    assert_int_equal(keys_parse_public(bad, &k, err, sizeof err), -EINVAL);
    /* control characters in a comment do not reach a log */
    snprintf(bad, sizeof bad, "ssh-ed25519 %.*s evil\x1b[2Jname\n",
             (int)strcspn(b64, " "), b64);
    assert_int_equal(keys_parse_public(bad, &k, err, sizeof err), 0);
    assert_string_equal(k.comment, "evil?[2Jname");
}

static void test_a_partner_pair_reads_back_as_the_same_key(void **state)
{
    struct fixture *fx = *state;
    char path[256], line[4096], err[256], fp[KEYS_FP_MAX];
    struct keys_public made, read;
    struct stat st;
    snprintf(path, sizeof path, "%s/demo-agency", fx->dir);
    assert_int_equal(
        keys_make_pair(path, "demo-agency", &made, err, sizeof err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/demo-agency.pub", fx->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(keys_parse_public(line, &read, err, sizeof err), 0);
    assert_true(keys_same(&made, &read));
    assert_string_equal(read.comment, "demo-agency");
    assert_string_equal(read.fingerprint, made.fingerprint);
    keygen_fingerprint(path, fp, sizeof fp);
    assert_string_equal(made.fingerprint, fp);
    /* another key is not the same */
    snprintf(path, sizeof path, "%s/other", fx->dir);
    struct keys_public other;
    assert_int_equal(keys_make_pair(path, "x", &other, err, sizeof err), 0);
    assert_false(keys_same(&made, &other));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_host_key_is_made_once_0600_with_its_fingerprint),
        T(test_public_lines_of_each_accepted_type_read_back),
        T(test_bad_public_lines_are_refused_with_a_reason),
        T(test_a_partner_pair_reads_back_as_the_same_key),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
