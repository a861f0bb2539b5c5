/*
 * test_home.c - the gateway home's paths and folders.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/home.h"

static void test_partner_names_are_safe_folder_names(void **state)
{
    static const char *const good[] = {"a", "demo-agency", "county_07",
                                       "abcdefghijklmnopqrstuvwxyz012345"};
    static const char *const bad[] = {"",
                                      "-x",
                                      "../x",
                                      "a/b",
                                      "A",
                                      "a b",
                                      ".",
                                      "..",
                                      "a\nb",
                                      "é",
                                      "abcdefghijklmnopqrstuvwxyz0123456"};
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!home_partner_name_ok(good[i]))
            fail_msg("'%s' should be a partner name", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (home_partner_name_ok(bad[i]))
            fail_msg("'%s' should not be a partner name", bad[i]);
}

static void test_paths_follow_the_documented_layout(void **state)
{
    struct home h;
    char box[HOME_PATH_MAX];
    (void)state;
    assert_int_equal(home_init(&h, "/srv/gw/"), 0);
    assert_string_equal(h.root, "/srv/gw");
    assert_string_equal(h.db, "/srv/gw/var/offsetgw.db");
    assert_string_equal(h.spool, "/srv/gw/var/spool");
    assert_string_equal(h.keys, "/srv/gw/keys");
    assert_int_equal(home_box_path(&h, "county-a", "inbox", box, sizeof box),
                     0);
    assert_string_equal(box, "/srv/gw/var/spool/county-a/inbox");
    assert_int_equal(home_box_path(&h, "../etc", "inbox", box, sizeof box),
                     -EINVAL);
    assert_int_equal(home_box_path(&h, "a", "inbox", box, 10), -ENAMETOOLONG);
    char longdir[HOME_PATH_MAX + 10];
    memset(longdir, 'x', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    assert_int_equal(home_init(&h, longdir), -ENAMETOOLONG);
}

static void test_create_is_idempotent_private_and_refuses_files(void **state)
{
    char dir[64], path[HOME_PATH_MAX], err[256], cmd[128];
    struct home h;
    struct stat st;
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/og-home-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/gw", dir);
    assert_int_equal(home_init(&h, path), 0);
    assert_int_equal(home_create(&h, err, sizeof err), 0);
    assert_int_equal(home_create(&h, err, sizeof err), 0);
    assert_int_equal(home_create_partner(&h, "county-a", err, sizeof err), 0);
    assert_int_equal(home_create_partner(&h, "county-a", err, sizeof err), 0);
    assert_int_equal(
        home_box_path(&h, "county-a", "outbox/.tmp", path, sizeof path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(home_create_partner(&h, "../escape", err, sizeof err),
                     -EINVAL);
    /* a file where a folder should be is an error, not silently used */
    snprintf(path, sizeof path, "%s/var/spool/county-b", h.root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_true(home_create_partner(&h, "county-b", err, sizeof err) < 0);
    assert_non_null(strstr(err, "county-b"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_master_key_is_made_once_and_kept_private(void **state)
{
    char dir[64], path[HOME_PATH_MAX + 16], err[256], cmd[128];
    struct home h;
    struct stat st;
    struct aead_key a, b;
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/og-home-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_int_equal(home_init(&h, dir), 0);
    assert_int_equal(home_create(&h, err, sizeof err), 0);
    /* absent and not asked to create: an error naming the file */
    assert_int_equal(home_master_key(&h, false, &a, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "master.key"));
    assert_int_equal(home_master_key(&h, true, &a, err, sizeof err), 0);
    assert_int_equal(home_master_key(&h, false, &b, err, sizeof err), 0);
    assert_memory_equal(a.bytes, b.bytes, AEAD_KEY_SIZE);
    snprintf(path, sizeof path, "%s/master.key", h.keys);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* a key others can read is refused, not used */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(home_master_key(&h, false, &b, err, sizeof err), -EPERM);
    assert_non_null(strstr(err, "chmod 600"));
    aead_key_wipe(&a);
    aead_key_wipe(&b);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partner_names_are_safe_folder_names),
        cmocka_unit_test(test_paths_follow_the_documented_layout),
        cmocka_unit_test(test_create_is_idempotent_private_and_refuses_files),
        cmocka_unit_test(test_master_key_is_made_once_and_kept_private),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
