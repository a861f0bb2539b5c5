/*
 * cli_admin.c - "offsetgw admin add|passwd|remove|list|cert": the console's
 * accounts (the work is account.c's).  Passwords are read from standard
 * input (one line), never from the command line, where `ps` would show
 * them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/account.h"
#include "offsetgw/home.h"
#include "offsetgw/store.h"
#include "offsetgw/tlscert.h"

/* "--home DIR NAME": the home opened; -1 after help; else a status. */
static int args(const char *cmd, int argc, char **argv, bool want_name,
                const char *help, struct home *h, struct store **s,
                const char **name)
{
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:h", options, NULL)) != -1) {
        if (c == 'H')
            dir = optarg;
        else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else
            return cli_option_error(cmd, c, argv);
    }
    if (optind + (want_name ? 1 : 0) != argc)
        return cli_usage_error(cmd, want_name ? "give one admin NAME"
                                              : "unexpected argument");
    *name = want_name ? argv[optind] : NULL;
    return cli_home_open(cmd, cli_home_dir(dir), h, s);
}

/* The password: the first line of standard input. */
static int read_password(char *buf, size_t size)
{
    if (isatty(STDIN_FILENO))
        fputs("password (one line, then Enter): ", stderr);
    if (fgets(buf, (int)size, stdin) == NULL)
        return -EINVAL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int set_password(const char *cmd, int argc, char **argv, bool add)
{
    struct home h;
    struct store *s = NULL;
    const char *name;
    char password[300], err[256];
    int status = args(cmd, argc, argv, true,
                      add ? "usage: offsetgw admin add --home DIR NAME "
                            "< password\n\nAdd console admin NAME (1-32 of "
                            "a-z, 0-9, - and _); its password\n(10 to 256 "
                            "characters) is the first line of standard "
                            "input.\n"
                          : "usage: offsetgw admin passwd --home DIR NAME "
                            "< password\n\nSet admin NAME's password (the "
                            "first line of standard input);\nthis also "
                            "unlocks it.\n",
                      &h, &s, &name);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    if (read_password(password, sizeof(password)) < 0) {
        cli_error(cmd, "no password on standard input");
        store_close(s);
        return CLI_EXIT_USAGE;
    }
    int rc = add ? account_add(s, name, password, err, sizeof(err))
                 : account_passwd(s, name, password, err, sizeof(err));
    explicit_bzero(password, sizeof(password));
    if (rc < 0) {
        cli_error(cmd, "%s", err);
        status = rc == -EIO || rc == -ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_INPUT;
    } else {
        printf("admin %s: %s\n", name, add ? "added" : "password set");
        cli_audit(&h, s, add ? "admin-add" : "admin-passwd", name, "");
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int cmd_add(int argc, char **argv)
{
    return set_password("admin add", argc, argv, true);
}

static int cmd_passwd(int argc, char **argv)
{
    return set_password("admin passwd", argc, argv, false);
}

static int cmd_remove(int argc, char **argv)
{
    static const char cmd[] = "admin remove";
    struct home h;
    struct store *s = NULL;
    const char *name;
    int status =
        args(cmd, argc, argv, true,
             "usage: offsetgw admin remove --home DIR NAME\n", &h, &s, &name);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    int rc = store_admin_remove(s, name);
    if (rc < 0) {
        cli_error(cmd, "%s", rc == -ENOENT ? "no such admin" : store_error(s));
        status = rc == -ENOENT ? CLI_EXIT_INPUT : CLI_EXIT_ERROR;
    } else {
        printf("admin %s: removed\n", name);
        cli_audit(&h, s, "admin-remove", name, "");
    }
    store_close(s);
    return cli_close_stdout(status);
}

static const char cert_help[] =
    "usage: offsetgw admin cert --home DIR NAME FILE.pem\n"
    "       offsetgw admin cert --home DIR --remove NAME\n\n"
    "Let admin NAME log in to the console with the client certificate in\n"
    "FILE.pem (its SHA-256 fingerprint is what is checked), or remove it.\n"
    "The console reads certificates when it starts: `kill -HUP` serve to\n"
    "restart it.\n";

static int cmd_cert(int argc, char **argv)
{
    static const char cmd[] = "admin cert";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"remove", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static char pem[TLSCERT_PEM_MAX];
    char fp[TLSCERT_FP_MAX] = "", err[512];
    const char *dir = NULL;
    bool remove = false;
    int c, status;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:rh", options, NULL)) != -1) {
        if (c == 'H')
            dir = optarg;
        else if (c == 'r')
            remove = true;
        else if (c == 'h') {
            fputs(cert_help, stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        } else
            return cli_option_error(cmd, c, argv);
    }
    if (optind + (remove ? 1 : 2) != argc)
        return cli_usage_error(cmd, remove ? "give one admin NAME"
                                           : "give an admin NAME and a FILE");
    const char *name = argv[optind];
    pem[0] = '\0';
    if (!remove &&
        tlscert_client_read(argv[optind + 1], pem, fp, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_INPUT;
    }
    struct home h;
    struct store *s = NULL;
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    int rc = account_set_cert(s, name, fp, pem, err, sizeof(err));
    if (rc < 0) {
        cli_error(cmd, "%s", err);
        status =
            rc == -ENOENT || rc == -EEXIST ? CLI_EXIT_INPUT : CLI_EXIT_ERROR;
    } else {
        printf("admin %s: %s%s\n", name,
               remove ? "certificate removed" : "certificate ", fp);
        cli_audit(&h, s, remove ? "admin-cert-remove" : "admin-cert", name, fp);
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int print_admin(const struct store_admin *a, void *ctx)
{
    time_t now = *(time_t *)ctx;
    printf("%-24s last login %-20s %-6s %s\n", a->name,
           a->last_login[0] ? a->last_login : "never",
           a->locked_until > now ? "LOCKED" : "",
           a->cert_sha256[0] ? a->cert_sha256 : "");
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    static const char cmd[] = "admin list";
    struct home h;
    struct store *s = NULL;
    const char *name;
    time_t now = time(NULL);
    int status = args(cmd, argc, argv, false,
                      "usage: offsetgw admin list --home DIR\n", &h, &s, &name);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    if (store_admin_each(s, print_admin, &now) < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    }
    store_close(s);
    return cli_close_stdout(status);
}

static const struct cli_command commands[] = {
    {"add", cmd_add, "add a console admin (password on stdin)"},
    {"passwd", cmd_passwd, "set an admin's password (and unlock it)"},
    {"remove", cmd_remove, "remove an admin"},
    {"list", cmd_list, "list the admins"},
    {"cert", cmd_cert, "set or remove an admin's client certificate"},
    {NULL, NULL, NULL},
};

int cli_admin_run(int argc, char **argv)
{
    return cli_group_run("admin", commands, argc, argv);
}
