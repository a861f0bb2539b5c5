/*
 * cli_reconcile.c - "offsetgw reconcile": agencies' reconciliation files.
 *
 * Owns the command line of reconciliation; the work is reconcile.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "offsetgw/home.h"
#include "offsetgw/outbox.h"
#include "offsetgw/reconcile.h"
#include "offsetgw/store.h"

static void usage(FILE *out)
{
    fputs("usage: offsetgw reconcile --home DIR --period YYYY-MM "
          "[--agency NAME]\n"
          "\n"
          "Write each agency (or only NAME) its reconciliation for the month:\n"
          "per debt the opening balance, additions, collections, reversals,\n"
          "adjustments, fees, net remitted and closing balance, with totals;\n"
          "fixed-width and CSV, to the agency's outbox.  Every line is\n"
          "checked to tie out to the cent before anything is delivered.\n"
          "\n"
          "options:\n"
          "  -H, --home DIR       the home (default: $OFFSETGW_HOME)\n"
          "  -p, --period YYYY-MM the calendar month (UTC)\n"
          "  -a, --agency NAME    only this agency\n"
          "  -h, --help           show this help\n",
          out);
}

struct each {
    const struct home *h;
    struct store *s;
    const char *programs, *only;
    int32_t year, month;
    int status;
    struct store_partner *agencies; /* gathered first, then reconciled */
    size_t n, cap;
};

static int gather(const struct store_partner *p, void *arg)
{
    struct each *e = arg;
    if (p->kind != PARTNER_AGENCY ||
        (e->only != NULL && strcmp(p->name, e->only) != 0))
        return 0;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        struct store_partner *grown =
            realloc(e->agencies, cap * sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;
        e->agencies = grown;
        e->cap = cap;
    }
    e->agencies[e->n++] = *p;
    return 0;
}

static void one(struct each *e, const struct store_partner *p)
{
    char err[512], net[32], closing[32];
    struct reconcile_result res;
    struct reconcile_request rq = {.home = e->h,
                                   .store = e->s,
                                   .programs_dir = e->programs,
                                   .agency = p,
                                   .year = e->year,
                                   .month = e->month};
    if (reconcile_agency(&rq, &res, err, sizeof(err)) < 0) {
        cli_error("reconcile", "%s: %s", p->name, err);
        e->status = CLI_EXIT_ERROR; /* the others still get theirs */
        return;
    }
    cli_fmt_money(net, sizeof(net), res.net_remitted);
    cli_fmt_money(closing, sizeof(closing), res.closing);
    printf("%s: %lld debts, %s net remitted, %s closing\n  file: %s\n", p->name,
           (long long)res.debts, net, closing, res.path);
    if (res.csv_path[0] != '\0')
        printf("  csv:  %s\n", res.csv_path);
}

int cli_reconcile_run(int argc, char **argv)
{
    static const char cmd[] = "reconcile";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"period", required_argument, NULL, 'p'},
        {"agency", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *period = NULL;
    struct home h;
    struct store *s = NULL;
    char err[512], programs[HOME_PATH_MAX];
    struct each e = {.status = CLI_EXIT_OK};
    int c, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:p:a:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'p':
            period = optarg;
            break;
        case 'a':
            e.only = optarg;
            break;
        case 'h':
            usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (period == NULL || optind != argc)
        return cli_usage_error(cmd, "give --period YYYY-MM");
    char tail;
    if (strlen(period) != 7 ||
        sscanf(period, "%4d-%2d%c", &e.year, &e.month, &tail) != 2 ||
        period[4] != '-' || e.month < 1 || e.month > 12 || e.year < 1900)
        return cli_usage_error(cmd, "--period takes YYYY-MM");
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    status = CLI_EXIT_ERROR;
    if (outbox_recover(&h, s, err, sizeof(err)) < 0) {
        cli_error(cmd, "recovering earlier outputs: %s", err);
        goto out;
    }
    snprintf(programs, sizeof(programs), "%s/programs", cli_formats_dir());
    e.h = &h;
    e.s = s;
    e.programs = programs;
    if (store_partner_each(s, gather, &e) < 0) {
        cli_error(cmd, "registry: %s", store_error(s));
        goto out;
    }
    if (e.only != NULL && e.n == 0) {
        cli_error(cmd, "no agency '%s' (see 'offsetgw partner list')", e.only);
        goto out;
    }
    for (size_t i = 0; i < e.n; i++)
        one(&e, &e.agencies[i]);
    status = e.status;
out:
    free(e.agencies);
    store_close(s);
    return cli_close_stdout(status);
}
