/*
 * test_jail.c - a partner's view of its spool (jail.h): every client
 * path resolved once, by a table of escapes and oddities worked by hand
 * (".." above the root, absolute paths elsewhere, NUL and newline, hidden
 * and over-long names, paths too deep); what each place allows; and the
 * file calls on a real spool with a symlink, a FIFO, a folder and the
 * outbox's .tmp planted in it: nothing followed, nothing blocks, nothing
 * hidden is listed, created files are 0600 whatever the umask.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/jail.h"

/* --- resolving ---------------------------------------------------------- */

struct resolve_case {
    const char *path;
    int rc;
    const char *canon; /* when rc == 0 */
};

static void test_paths_resolve_as_worked_by_hand(void **state)
{
    static const struct resolve_case cases[] = {
        {"", 0, "/"},
        {".", 0, "/"},
        {"/", 0, "/"},
        {"//./", 0, "/"},
        {"inbox", 0, "/inbox"},
        {"/inbox/", 0, "/inbox"},
        {"inbox/a.txt", 0, "/inbox/a.txt"},
        {"/outbox//b", 0, "/outbox/b"},
        {"./inbox/./a", 0, "/inbox/a"},
        {"inbox/../outbox/x", 0, "/outbox/x"},
        {"inbox/a/..", 0, "/inbox"},
        {"inbox/a/b/../../c", 0, "/inbox/c"},
        {"inbox/a/b/c/d/../../../../x", 0, "/inbox/x"},
        {"inbox/a b (1).txt", 0, "/inbox/a b (1).txt"},
        {"inbox/caf\xc3\xa9", 0, "/inbox/caf\xc3\xa9"},
        /* escapes */
        {"..", -EACCES, NULL},
        {"/..", -EACCES, NULL},
        {"/../etc/passwd", -EACCES, NULL},
        {"inbox/../..", -EACCES, NULL},
        {"inbox/../../other/inbox", -EACCES, NULL},
        {"/etc/passwd", -ENOENT, NULL},
        {"other-partner/inbox", -ENOENT, NULL},
        {"INBOX", -ENOENT, NULL},
        {"inbox/a/b", -ENOENT, NULL},
        {"outbox/a/b/c", -ENOENT, NULL},
        /* the gateway's own and hidden names */
        {"outbox/.tmp", -EACCES, NULL},
        {"outbox/.tmp/x", -EACCES, NULL},
        {"inbox/.hidden", -EACCES, NULL},
        {"inbox/...", -EACCES, NULL},
        {".ssh/authorized_keys", -EACCES, NULL},
        /* characters no name may carry */
        {"inbox/a\nb", -EINVAL, NULL},
        {"inbox/a\rb", -EINVAL, NULL},
        {"inbox/a\tb", -EINVAL, NULL},
        {"inbox/a\x7f", -EINVAL, NULL},
        {"inbox/\x1b[2J", -EINVAL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct jail_path p;
        int rc = jail_resolve(cases[i].path, strlen(cases[i].path), &p);
        if (rc != cases[i].rc)
            fail_msg("'%s': %d, expected %d", cases[i].path, rc, cases[i].rc);
        if (rc == 0 && strcmp(p.canon, cases[i].canon) != 0)
            fail_msg("'%s': '%s', expected '%s'", cases[i].path, p.canon,
                     cases[i].canon);
    }
}

static void test_nul_inside_a_path_is_refused(void **state)
{
    static const char path[] = "inbox/a.txt\0/../../etc";
    struct jail_path p;
    (void)state;
    assert_int_equal(jail_resolve(path, sizeof path - 1, &p), -EINVAL);
    /* the same bytes up to the NUL are fine */
    assert_int_equal(jail_resolve(path, 11, &p), 0);
    assert_string_equal(p.name, "a.txt");
}

static void test_lengths_are_bounded(void **state)
{
    char path[JAIL_PATH_MAX + 64];
    struct jail_path p;
    (void)state;
    /* a name of JAIL_NAME_MAX bytes is taken, one more is not */
    memcpy(path, "inbox/", 6);
    memset(path + 6, 'a', JAIL_NAME_MAX);
    assert_int_equal(jail_resolve(path, 6 + JAIL_NAME_MAX, &p), 0);
    assert_int_equal(strlen(p.name), JAIL_NAME_MAX);
    path[6 + JAIL_NAME_MAX] = 'a';
    assert_int_equal(jail_resolve(path, 6 + JAIL_NAME_MAX + 1, &p),
                     -ENAMETOOLONG);
    /* a path over JAIL_PATH_MAX, even one that would shrink to "/" */
    for (size_t i = 0; i + 2 <= sizeof path; i += 2)
        memcpy(path + i, "./", 2);
    assert_int_equal(jail_resolve(path, JAIL_PATH_MAX, &p), 0);
    assert_int_equal(jail_resolve(path, JAIL_PATH_MAX + 2, &p), -ENAMETOOLONG);
}

static void test_each_place_allows_what_it_should(void **state)
{
    /* LIST STAT READ WRITE REMOVE RENAME SET_TIMES */
    static const struct {
        const char *path;
        const char *allowed;
    } cases[] = {
        {"/", "LS....."},         {"/inbox", "LS....."},
        {"/outbox", "LS....."},   {"/inbox/f", ".S.WRNT"},
        {"/outbox/f", ".SR.R.."},
    };
    static const char letters[] = "LSRWRNT";
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct jail_path p;
        assert_int_equal(jail_resolve(cases[i].path, strlen(cases[i].path), &p),
                         0);
        for (int op = JAIL_LIST; op <= JAIL_SET_TIMES; op++) {
            bool want = cases[i].allowed[op] == letters[op];
            if (jail_allows(&p, (enum jail_op)op) != want)
                fail_msg("%s: op %d %s", cases[i].path, op,
                         want ? "refused" : "allowed");
        }
    }
}

/* --- a real spool ------------------------------------------------------- */

struct fixture {
    char dir[64];
    char inbox[128], outbox[128];
    struct jail j;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char path[256];
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-jail-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->inbox, sizeof fx->inbox, "%s/inbox", fx->dir);
    snprintf(fx->outbox, sizeof fx->outbox, "%s/outbox", fx->dir);
    snprintf(path, sizeof path, "%s/.tmp", fx->outbox);
    if (mkdir(fx->inbox, 0700) < 0 || mkdir(fx->outbox, 0700) < 0 ||
        mkdir(path, 0700) < 0)
        return -1;
    /* what the gateway or an intruder left there */
    snprintf(path, sizeof path, "%s/.tmp/half-written", fx->outbox);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs("secret", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/result.txt", fx->outbox);
    if ((f = fopen(path, "w")) == NULL)
        return -1;
    fputs("result\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/link", fx->inbox);
    if (symlink("/etc/passwd", path) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/fifo", fx->inbox);
    if (mkfifo(path, 0600) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/sub", fx->inbox);
    if (mkdir(path, 0700) < 0)
        return -1;
    if (jail_open(&fx->j, fx->inbox, fx->outbox) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    jail_close(&fx->j);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd) == 0 ? 0 : -1;
    free(fx);
    return rc;
}

static struct jail_path at(const char *path)
{
    struct jail_path p;
    if (jail_resolve(path, strlen(path), &p) != 0)
        fail_msg("'%s' does not resolve", path);
    return p;
}

static void test_nothing_planted_is_followed_or_blocks(void **state)
{
    struct fixture *fx = *state;
    struct jail_path p = at("/inbox/link");
    struct stat st;
    assert_int_equal(jail_open_file(&fx->j, &p, O_RDONLY), -ELOOP);
    assert_int_equal(jail_open_file(&fx->j, &p, O_WRONLY | O_TRUNC), -ELOOP);
    assert_int_equal(jail_stat(&fx->j, &p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(jail_set_times(&fx->j, &p, 1, 1), -ELOOP);
    /* a FIFO: refused at once, for reading and writing */
    p = at("/inbox/fifo");
    assert_int_equal(jail_open_file(&fx->j, &p, O_RDONLY), -EACCES);
    assert_int_equal(jail_open_file(&fx->j, &p, O_WRONLY), -EACCES);
    p = at("/inbox/sub");
    assert_int_equal(jail_open_file(&fx->j, &p, O_RDONLY), -EISDIR);
    assert_int_equal(jail_remove(&fx->j, &p), -EISDIR);
    /* removing the symlink removes it, not /etc/passwd */
    p = at("/inbox/link");
    assert_int_equal(jail_remove(&fx->j, &p), 0);
    assert_int_equal(access("/etc/passwd", F_OK), 0);
    assert_int_equal(jail_stat(&fx->j, &p, &st), -ENOENT);
}

static void test_a_symlinked_folder_is_refused_at_open(void **state)
{
    struct fixture *fx = *state;
    struct jail j;
    char link[160];
    snprintf(link, sizeof link, "%s/elsewhere", fx->dir);
    assert_int_equal(symlink("/etc", link), 0);
    assert_true(jail_open(&j, link, fx->outbox) < 0);
    assert_int_equal(j.inbox_fd, -1);
    assert_int_equal(j.outbox_fd, -1);
}

static void
test_created_files_are_0600_and_renames_follow_the_rules(void **state)
{
    struct fixture *fx = *state;
    struct jail_path a = at("/inbox/a.part"), b = at("/inbox/a.txt");
    struct jail_path out = at("/outbox/a.txt");
    struct stat st;
    mode_t old = umask(0);
    int fd = jail_open_file(&fx->j, &a, O_WRONLY | O_CREAT | O_TRUNC);
    umask(old);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
    assert_int_equal(jail_stat(&fx->j, &a, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* O_EXCL on an existing file */
    assert_int_equal(jail_open_file(&fx->j, &a, O_WRONLY | O_CREAT | O_EXCL),
                     -EEXIST);
    /* flags the jail does not take */
    assert_int_equal(jail_open_file(&fx->j, &a, O_RDONLY | O_DIRECTORY),
                     -EINVAL);

    assert_int_equal(jail_rename(&fx->j, &a, &b, false), 0);
    assert_int_equal(jail_stat(&fx->j, &a, &st), -ENOENT);
    fd = jail_open_file(&fx->j, &a, O_WRONLY | O_CREAT);
    assert_true(fd >= 0);
    close(fd);
    /* plain rename never replaces; posix-rename does */
    assert_int_equal(jail_rename(&fx->j, &a, &b, false), -EEXIST);
    assert_int_equal(jail_rename(&fx->j, &a, &b, true), 0);
    /* not across folders, not a symlink, not a folder */
    assert_int_equal(jail_rename(&fx->j, &b, &out, true), -EXDEV);
    struct jail_path sub = at("/inbox/sub"), c = at("/inbox/c");
    assert_int_equal(jail_rename(&fx->j, &sub, &c, false), -EACCES);

    assert_int_equal(jail_set_times(&fx->j, &b, 1000000000, 1200000000), 0);
    assert_int_equal(jail_stat(&fx->j, &b, &st), 0);
    assert_int_equal(st.st_mtime, 1200000000);
    assert_int_equal(st.st_atime, 1000000000);
}

static int list(struct fixture *fx, const char *path, char *names, size_t size)
{
    struct jail_path p = at(path);
    struct jail_dir *d;
    struct jail_entry e;
    int n = 0, rc;
    names[0] = '\0';
    assert_int_equal(jail_opendir(&fx->j, &p, &d), 0);
    while ((rc = jail_readdir(d, &e)) == 1) {
        n++;
        strncat(names, e.name, size - strlen(names) - 2);
        strcat(names, " ");
    }
    assert_int_equal(rc, 0);
    jail_closedir(d);
    return n;
}

static void test_listings_show_only_what_the_partner_may_see(void **state)
{
    struct fixture *fx = *state;
    char names[512];
    struct jail_dir *d;
    assert_int_equal(list(fx, "/", names, sizeof names), 2);
    assert_string_equal(names, "inbox outbox ");
    assert_int_equal(list(fx, "/outbox", names, sizeof names), 1);
    assert_string_equal(names, "result.txt "); /* not .tmp */
    /* twice: each listing starts from the beginning */
    assert_int_equal(list(fx, "/outbox", names, sizeof names), 1);
    assert_int_equal(list(fx, "/inbox", names, sizeof names), 3);
    struct jail_path f = at("/outbox/result.txt");
    assert_int_equal(jail_opendir(&fx->j, &f, &d), -ENOTDIR);
    jail_closedir(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_resolve_as_worked_by_hand),
        cmocka_unit_test(test_nul_inside_a_path_is_refused),
        cmocka_unit_test(test_lengths_are_bounded),
        cmocka_unit_test(test_each_place_allows_what_it_should),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_nothing_planted_is_followed_or_blocks),
        T(test_a_symlinked_folder_is_refused_at_open),
        T(test_created_files_are_0600_and_renames_follow_the_rules),
        T(test_listings_show_only_what_the_partner_may_see),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
