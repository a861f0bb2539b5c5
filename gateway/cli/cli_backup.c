/*
 * cli_backup.c - "offsetgw backup": an online, checked copy of a home's
 * registry while serve runs (the work is backup.c's), recorded in the
 * audit trail.
 *
 * Owns the command line and what it says.  It does not copy keys/: the
 * master key and the audit key are backed up apart, never beside the
 * registry they unlock (docs/operations.md says how, and how to restore).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "offsetgw/backup.h"
#include "offsetgw/home.h"
#include "offsetgw/store.h"

static void usage(FILE *out)
{
    fputs("usage: offsetgw backup --home DIR --output FILE\n"
          "\n"
          "Copy the home's registry (var/offsetgw.db) to FILE while the\n"
          "gateway runs: one consistent snapshot through sqlite's backup\n"
          "API, written 0600 under FILE.tmp, checked with PRAGMA\n"
          "integrity_check, then renamed to FILE.  The registry's SSNs stay\n"
          "sealed under the master key in keys/, which is not in the copy:\n"
          "back keys/ up apart (docs/operations.md).\n"
          "\n"
          "options:\n"
          "  -H, --home DIR     the home (default: $OFFSETGW_HOME)\n"
          "  -o, --output FILE  where the copy goes (replaced when there)\n"
          "  -h, --help         show this help\n",
          out);
}

int cli_backup_run(int argc, char **argv)
{
    static const char cmd[] = "backup";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *output = NULL;
    struct home h;
    struct store *s = NULL;
    struct backup_result res;
    char err[512], detail[128];
    int c, status;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:o:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (output == NULL || *output == '\0')
        return cli_usage_error(cmd, "--output FILE is required");
    status = cli_home_open(cmd, cli_home_dir(dir), &h, &s);
    if (status != 0)
        return status;
    struct stat out_st, db_st;
    if (strcmp(output, h.db) == 0 ||
        (stat(output, &out_st) == 0 && stat(h.db, &db_st) == 0 &&
         out_st.st_dev == db_st.st_dev && out_st.st_ino == db_st.st_ino)) {
        /* by name, or by another path to the same file (a link, ./) */
        status = cli_usage_error(cmd, "--output is the registry itself");
        goto out;
    }
    if (backup_registry(s, output, &res, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        status = CLI_EXIT_ERROR;
        goto out;
    }
    snprintf(detail, sizeof(detail), "pages %lld bytes %lld schema %d",
             (long long)res.pages, (long long)res.bytes, res.schema_version);
    cli_audit(&h, s, "backup", output, detail);
    printf("backed up the registry to %s: %lld pages, %lld bytes, schema %d, "
           "integrity ok\n"
           "keys/ is not in it: back it up apart\n",
           output, (long long)res.pages, (long long)res.bytes,
           res.schema_version);
    status = CLI_EXIT_OK;
out:
    store_close(s);
    return cli_close_stdout(status);
}
