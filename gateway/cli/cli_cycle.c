/*
 * cli_cycle.c - "offsetgw cycle": one outbound cycle to a partner.
 *
 * Owns the command line of cycles; the work is cycle.c's.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "offsetgw/cycle.h"
#include "offsetgw/home.h"
#include "offsetgw/outbox.h"
#include "offsetgw/store.h"

static void usage(FILE *out)
{
    fputs("usage: offsetgw cycle --home DIR --to PARTNER\n"
          "\n"
          "Send PARTNER (a taxboard or a treasury) what changed since its\n"
          "last cycle: new eligible debts, changed balances, zero-outs, in\n"
          "its program's layout, to its outbox.  Nothing is sent twice;\n"
          "when nothing is due, no file is written.  Where the program's\n"
          "notice follows the address match (TOP), an address request for\n"
          "new debts comes first, and only certified debts are referred.\n"
          "\n"
          "options:\n"
          "  -H, --home DIR    the home (default: $OFFSETGW_HOME)\n"
          "  -t, --to PARTNER  who the cycle is for\n"
          "  -h, --help        show this help\n",
          out);
}

int cli_cycle_run(int argc, char **argv)
{
    static const char cmd[] = "cycle";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"to", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *to = NULL;
    struct home h;
    struct store *s = NULL;
    struct store_partner partner;
    struct cycle_result res;
    char err[512], programs[HOME_PATH_MAX];
    int c, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:t:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'h':
            usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (to == NULL || optind != argc)
        return cli_usage_error(cmd, "give --to PARTNER");
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    status = CLI_EXIT_ERROR;
    if (outbox_recover(&h, s, err, sizeof(err)) < 0) {
        cli_error(cmd, "recovering earlier outputs: %s", err);
        goto out;
    }
    if (store_partner_get(s, to, &partner) < 0) {
        cli_error(cmd, "no partner '%s' (see 'offsetgw partner list')", to);
        goto out;
    }
    snprintf(programs, sizeof(programs), "%s/programs", cli_formats_dir());
    struct cycle_request rq = {
        .home = &h, .store = s, .programs_dir = programs, .partner = &partner};
    if (cycle_run(&rq, &res, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        goto out;
    }
    if (res.request_cycle_id != 0)
        printf("%s: cycle %lld: address request for %lld debts\n  file: %s\n",
               to, (long long)res.request_cycle_id, (long long)res.requested,
               res.request_path);
    if (res.cycle_id == 0) {
        printf("%s: nothing due (%lld debts not yet eligible)\n", to,
               (long long)res.deferred);
    } else {
        char money[32];
        cli_fmt_money(money, sizeof(money), res.amount_cents);
        printf("%s: cycle %lld: %lld adds, %lld changes, %lld zero-outs, "
               "%s; %lld not yet eligible\n",
               to, (long long)res.cycle_id, (long long)res.adds,
               (long long)res.changes, (long long)res.zeros, money,
               (long long)res.deferred);
        if (res.certified > 0)
            printf("  certified now: %lld\n", (long long)res.certified);
        printf("  file: %s\n", res.path);
    }
    status = CLI_EXIT_OK;
out:
    store_close(s);
    return cli_close_stdout(status);
}
