/*
 * cli_remit.c - "offsetgw remit": a payer's final offsets paid to their
 * agencies.
 *
 * Owns the command line of a remittance run; the work is remit.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "offsetgw/calendar.h"
#include "offsetgw/home.h"
#include "offsetgw/outbox.h"
#include "offsetgw/remit.h"
#include "offsetgw/store.h"

static void usage(FILE *out)
{
    fputs("usage: offsetgw remit --home DIR --partner PAYER "
          "[--date YYYY-MM-DD]\n"
          "\n"
          "Pay each agency the offsets PAYER's payments made that are final\n"
          "on the day (today, or $OFFSETGW_TODAY, by default; never a day\n"
          "to come): their appeal window closed, no appeal holds them (a\n"
          "denied one lifts its hold), not reversed, not remitted before.\n"
          "Each agency gets one remittance file in its outbox: per offset\n"
          "the amount, the fee withheld and the net.  Run twice, nothing is\n"
          "remitted twice.\n"
          "\n"
          "options:\n"
          "  -H, --home DIR          the home (default: $OFFSETGW_HOME)\n"
          "  -p, --partner PAYER     whose offsets\n"
          "  -d, --date YYYY-MM-DD   the day of the remittance\n"
          "  -h, --help              show this help\n"
          "\n"
          "exit status: 0 remitted (or nothing was due); 1 a bad payer or\n"
          "day; 2 usage or system error\n",
          out);
}

/* "2026-11-26" -> 20261126; -1 when it is not a real date so written. */
static int32_t parse_day(const char *s)
{
    int32_t ymd = 0;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        ymd = ymd * 10 + (s[i] - '0');
    }
    return calendar_valid(ymd) ? ymd : -1;
}

static void print_file(const struct remit_file *f, void *ctx)
{
    char amount[32], fee[32], net[32];
    (void)ctx;
    cli_fmt_money(amount, sizeof(amount), f->amount_cents);
    cli_fmt_money(fee, sizeof(fee), f->fee_cents);
    cli_fmt_money(net, sizeof(net), f->net_cents);
    printf("  %s: remittance %lld, %lld offsets %s, fees %s, net %s\n"
           "    file: %s\n",
           f->agency->name, (long long)f->remittance_id, (long long)f->offsets,
           amount, fee, net, f->path);
}

int cli_remit_run(int argc, char **argv)
{
    static const char cmd[] = "remit";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"partner", required_argument, NULL, 'p'},
        {"date", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *partner_name = NULL;
    int32_t day = 0;
    struct home h;
    struct store *s = NULL;
    struct store_partner payer;
    struct remit_result res;
    char err[512], programs[HOME_PATH_MAX], text[16], net[32];
    int c, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:p:d:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'p':
            partner_name = optarg;
            break;
        case 'd':
            if ((day = parse_day(optarg)) < 0)
                return cli_usage_error(cmd, "--date takes YYYY-MM-DD");
            break;
        case 'h':
            usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (partner_name == NULL || optind != argc)
        return cli_usage_error(cmd, "give --partner PAYER");
    if (day == 0)
        day = calendar_today(NULL);
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    status = CLI_EXIT_ERROR;
    if (outbox_recover(&h, s, err, sizeof(err)) < 0) {
        cli_error(cmd, "recovering earlier outputs: %s", err);
        goto out;
    }
    if (store_partner_get(s, partner_name, &payer) < 0) {
        cli_error(cmd, "no partner '%s' (see 'offsetgw partner list')",
                  partner_name);
        status = CLI_EXIT_INPUT;
        goto out;
    }
    snprintf(programs, sizeof(programs), "%s/programs", cli_formats_dir());
    calendar_format(day, text);
    printf("%s: remittance of %s\n", payer.name, text);
    struct remit_request rq = {.home = &h,
                               .store = s,
                               .programs_dir = programs,
                               .payer = &payer,
                               .day = day};
    int rc = remit_run(&rq, &res, print_file, NULL, err, sizeof(err));
    if (rc < 0) {
        cli_error(cmd, "%s", err);
        status = rc == -EINVAL ? CLI_EXIT_INPUT : CLI_EXIT_ERROR;
        goto out;
    }
    cli_fmt_money(net, sizeof(net), res.net_cents);
    printf("  %lld offsets remitted to %lld agencies, net %s\n",
           (long long)res.offsets, (long long)res.agency_files, net);
    status = CLI_EXIT_OK;
out:
    store_close(s);
    return cli_close_stdout(status);
}
