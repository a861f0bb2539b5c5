/*
 * cli_atrest.c - "offsetgw keys rotate" and "offsetgw keys cat": the
 * command-line side of encryption at rest (vault.h).  Owns the options,
 * the home's lock against a running gateway, the audit line, and the
 * hook where the registry's own keys are re-wrapped.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/home.h"
#include "offsetgw/store.h"
#include "offsetgw/vault.h"

/* vault_rotate()'s hook, once per old master key, before the spool: the
 * registry's TIN keys (keyring.c) are re-wrapped under the
 * new master key in one transaction.  A key that does not wrap them is
 * not theirs (an older run's, say): the check after the rotation tells
 * whether they ended up under the new key. */
static int rotate_registry_keys(void *ctx, const struct aead_key *old_master,
                                const struct aead_key *new_master, char *err,
                                size_t err_size)
{
    int rc = store_rewrap_keys(ctx, old_master, new_master, err, err_size);
    return rc == -ENOKEY ? 0 : rc;
}

/* "--home DIR" (or $OFFSETGW_HOME) into *DIR; the first argument after
 * the options into *FIRST. */
static int parse(const char *cmd, int argc, char **argv, const char *help,
                 const char **dir, int *first)
{
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    *dir = NULL;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:h", options, NULL)) != -1) {
        if (c == 'H')
            *dir = optarg;
        else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else
            return cli_option_error(cmd, c, argv);
    }
    if ((*dir = cli_home_dir(*dir)) == NULL)
        return cli_usage_error(cmd, "--home DIR is required (or set "
                                    "OFFSETGW_HOME)");
    *first = optind;
    return 0;
}

int cli_keys_rotate(int argc, char **argv)
{
    static const char cmd[] = "keys rotate";
    const char *dir;
    struct home h;
    struct store *s = NULL;
    struct vault_rotation ro;
    char err[512] = "", detail[256];
    int first, lock = -1;
    int rc = parse(cmd, argc, argv,
                   "usage: offsetgw keys rotate --home DIR\n\n"
                   "Make a new master key for the files at rest, re-wrap "
                   "every encrypted\nspool file's key under it, and remove "
                   "the old key when every file is\nmoved (kept as "
                   "keys/master.key.old-TIME until then; run again after\n"
                   "a crash to finish).  Stop 'offsetgw serve' first.\n",
                   &dir, &first);
    if (rc != 0)
        return rc < 0 ? cli_close_stdout(CLI_EXIT_OK) : rc;
    if (first != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[first]);
    /* opened without a master key: after a rotation cut short, keys/
     * master.key is the new key while the registry's are still under the
     * old one, which only vault_rotate() holds then */
    if (home_init(&h, dir) < 0 || access(h.db, F_OK) != 0 ||
        store_open(h.db, &s, err, sizeof(err)) < 0) {
        cli_error(cmd, "'%s' is not a gateway home whose registry opens%s%s",
                  dir, s == NULL && err[0] ? ": " : "", err);
        return CLI_EXIT_ERROR;
    }
    if ((lock = vault_lock(&h, true)) < 0) {
        cli_error(cmd, "%s",
                  lock == -EWOULDBLOCK
                      ? "the gateway or another offsetgw command is using "
                        "this home: stop it first"
                      : strerror(-lock));
        store_close(s);
        return CLI_EXIT_ERROR;
    }
    err[0] = '\0';
    rc = vault_rotate(&h, rotate_registry_keys, s, &ro, err, sizeof(err));
    struct store *check = NULL;
    if (rc == 0 && home_open_store(&h, &check, err, sizeof(err)) < 0)
        rc = -ENOKEY; /* the registry's keys are under no key we held */
    store_close(check);
    snprintf(detail, sizeof(detail),
             "%s -> %s; %lld re-wrapped, %lld already, %lld plain, "
             "%lld foreign, %lld failed%s",
             ro.old_id[0] ? ro.old_id : "-", ro.new_id[0] ? ro.new_id : "-",
             (long long)ro.rewrapped, (long long)ro.current,
             (long long)ro.plain, (long long)ro.foreign, (long long)ro.failed,
             ro.resumed ? "; finished an earlier run" : "");
    if (ro.new_id[0] != '\0')
        cli_audit(&h, s, "keys-rotate", "keys/master.key", detail);
    close(lock);
    store_close(s);
    if (rc < 0) {
        cli_error(cmd, "%s%s", err,
                  rc == -EIO ? " (the old key is kept; run again)" : "");
        return CLI_EXIT_ERROR;
    }
    printf("master key %s replaced by %s: %lld files re-wrapped, %lld "
           "already, %lld plain%s\n",
           ro.old_id, ro.new_id, (long long)ro.rewrapped, (long long)ro.current,
           (long long)ro.plain, ro.resumed ? " (finished an earlier run)" : "");
    if (ro.foreign > 0)
        printf("%lld files are under a master key this home never held: "
               "left as they are (they do not open here)\n",
               (long long)ro.foreign);
    return cli_close_stdout(CLI_EXIT_OK);
}

int cli_keys_cat(int argc, char **argv)
{
    static const char cmd[] = "keys cat";
    const char *dir;
    struct home h;
    struct vault v;
    struct vault_file *f = NULL;
    char err[512], buf[65536];
    int64_t size;
    int first;
    ssize_t n;
    int rc = parse(cmd, argc, argv,
                   "usage: offsetgw keys cat --home DIR FILE\n\n"
                   "Write the plaintext of FILE, a spool file of the home "
                   "(encrypted at\nrest or plain), to stdout.  A damaged "
                   "file, or one under another\nmaster key, is an error "
                   "(exit 2).\n",
                   &dir, &first);
    if (rc != 0)
        return rc < 0 ? cli_close_stdout(CLI_EXIT_OK) : rc;
    if (first + 1 != argc)
        return cli_usage_error(cmd, "give one FILE");
    if (home_init(&h, dir) < 0 || vault_load(&v, &h, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_ERROR;
    }
    rc = vault_open(&v, argv[first], &f);
    vault_release(&v);
    /* the last chunk checked before a byte goes out */
    if (rc == 0)
        rc = vault_size(f, &size);
    while (rc == 0 && (n = vault_read(f, buf, sizeof(buf))) != 0) {
        if (n < 0)
            rc = (int)n;
        else if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            rc = -EIO;
    }
    vault_close(f);
    if (rc < 0) {
        cli_error(cmd, "%s: %s", argv[first], vault_strerror(rc));
        return CLI_EXIT_ERROR;
    }
    return cli_close_stdout(CLI_EXIT_OK);
}
