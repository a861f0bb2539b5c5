/*
 * cli_audit.c - "offsetgw audit verify|list": the audit trail's chain
 * walked (the work is audit.c's), and its rows shown; and "offsetgw
 * purge", the retention that the trail records (retention.c's).
 */
#include <getopt.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "offsetgw/audit.h"
#include "offsetgw/home.h"
#include "offsetgw/retention.h"
#include "offsetgw/store.h"

/* --home DIR [--limit N]: 0 with the home's registry open, -1 after help,
 * else an exit status. */
static int open_home(const char *cmd, int argc, char **argv, const char *help,
                     struct home *h, struct store **s, long *limit)
{
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"limit", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:n:h", options, NULL)) != -1) {
        char *end;
        if (c == 'H')
            dir = optarg;
        else if (c == 'n' && limit != NULL) {
            *limit = strtol(optarg, &end, 10);
            if (*end != '\0' || *limit < 1)
                return cli_usage_error(cmd, "--limit takes a number from 1");
        } else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else
            return cli_option_error(cmd, c, argv);
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return cli_home_open(cmd, cli_home_dir(dir), h, s);
}

static int cmd_verify(int argc, char **argv)
{
    static const char cmd[] = "audit verify";
    struct home h;
    struct store *s = NULL;
    struct audit_key k;
    struct audit_report rep;
    char err[256];
    int status = open_home(
        cmd, argc, argv,
        "usage: offsetgw audit verify --home DIR\n\n"
        "Walk the audit trail's chain of HMACs (under keys/audit.key) and\n"
        "say whether it is intact, or the first row that was edited,\n"
        "deleted, inserted or moved.  Exit status 1 when it is broken.\n",
        &h, &s, NULL);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    status = CLI_EXIT_ERROR;
    if (audit_key_load(&h, false, &k, err, sizeof(err)) < 0 ||
        audit_verify(&h, s, &k, &rep, err, sizeof(err)) < 0)
        cli_error(cmd, "%s", err);
    else if (rep.broken_seq != 0) {
        printf("audit trail BROKEN at row %lld (%lld rows read): %s\n",
               (long long)rep.broken_seq, (long long)rep.rows, rep.why);
        status = CLI_EXIT_INPUT;
    } else {
        printf("audit trail intact: %lld rows\n", (long long)rep.rows);
        status = CLI_EXIT_OK;
    }
    store_close(s);
    return cli_close_stdout(status);
}

struct tail {
    struct store_audit_row *rows;
    long n, limit;
    int64_t seen;
};

static int keep_tail(const struct store_audit_row *r, void *ctx)
{
    struct tail *t = ctx;
    t->rows[t->seen++ % t->limit] = *r;
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    static const char cmd[] = "audit list";
    struct home h;
    struct store *s = NULL;
    long limit = 50;
    int status = open_home(cmd, argc, argv,
                           "usage: offsetgw audit list --home DIR [--limit "
                           "N]\n\nThe audit trail's newest N rows (50), "
                           "oldest first.\n",
                           &h, &s, &limit);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    struct tail t = {.rows = calloc((size_t)limit, sizeof(*t.rows)),
                     .limit = limit};
    if (t.rows == NULL || store_audit_each(s, keep_tail, &t) < 0) {
        cli_error(cmd, "%s", t.rows ? store_error(s) : "out of memory");
        status = CLI_EXIT_ERROR;
    } else {
        int64_t first = t.seen > limit ? t.seen - limit : 0;
        for (int64_t i = first; i < t.seen; i++) {
            const struct store_audit_row *r = &t.rows[i % limit];
            printf("%6lld %s %-22s %-16s %s%s%s\n", (long long)r->seq, r->at,
                   r->actor, r->action, r->subject, r->detail[0] ? "  " : "",
                   r->detail);
        }
    }
    free(t.rows);
    store_close(s);
    return cli_close_stdout(status);
}

static const struct cli_command commands[] = {
    {"verify", cmd_verify, "check the audit trail's chain"},
    {"list", cmd_list, "show the audit trail's newest rows"},
    {NULL, NULL, NULL},
};

int cli_audit_run(int argc, char **argv)
{
    return cli_group_run("audit", commands, argc, argv);
}

static void print_purged(const char *partner, const char *path, int64_t bytes,
                         void *ctx)
{
    (void)ctx;
    printf("%-20s %10lld  %s\n", partner, (long long)bytes, path);
}

int cli_purge_run(int argc, char **argv)
{
    static const char cmd[] = "purge";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    bool dry = false;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:nh", options, NULL)) != -1) {
        if (c == 'H')
            dir = optarg;
        else if (c == 'n')
            dry = true;
        else if (c == 'h') {
            puts("usage: offsetgw purge --home DIR [--dry-run]\n\n"
                 "Remove every partner's outbox files and received uploads\n"
                 "older than its retention ('offsetgw partner retention'),\n"
                 "each recorded in the audit trail; an upload not yet taken\n"
                 "in is never removed.  --dry-run lists what would go.\n"
                 "serve's worker does this once a day.");
            return cli_close_stdout(CLI_EXIT_OK);
        } else
            return cli_option_error(cmd, c, argv);
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    struct home h;
    struct store *s = NULL;
    struct audit_key k;
    struct retention_result res;
    struct passwd *pw = getpwuid(getuid());
    char actor[64], err[512];
    int status = cli_home_open(cmd, cli_home_dir(dir), &h, &s);
    if (status != 0)
        return status;
    snprintf(actor, sizeof(actor), "cli:%s", pw ? pw->pw_name : "?");
    if (audit_key_load(&h, true, &k, err, sizeof(err)) < 0 ||
        retention_purge(&h, s, &k, actor, time(NULL), dry, print_purged, NULL,
                        &res, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        status = CLI_EXIT_ERROR;
    } else {
        printf("%s %lld files, %lld bytes; %lld old uploads kept (not taken "
               "in yet)\n",
               dry ? "would purge" : "purged", (long long)res.files,
               (long long)res.bytes, (long long)res.kept_busy);
    }
    store_close(s);
    return cli_close_stdout(status);
}
