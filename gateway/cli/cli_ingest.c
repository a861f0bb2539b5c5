/*
 * cli_ingest.c - "offsetgw ingest": one partner file into the registry.
 *
 * Owns the command line of intake: finding the home, the partner and the
 * program profiles, finishing what an earlier crash left (outbox
 * recovery), and reporting the outcome.  The work is intake.c's.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/home.h"
#include "offsetgw/intake.h"
#include "offsetgw/outbox.h"
#include "offsetgw/responses.h"
#include "offsetgw/store.h"

const char *cli_formats_dir(void)
{
    static char dir[HOME_PATH_MAX];
    const char *env = getenv("OFFSETGW_FORMATS");
    if (env != NULL && *env != '\0')
        return env;
    /* a build tree runs on the checkout's formats; an install on its own */
    snprintf(dir, sizeof(dir), "%s/formats/programs", OG_SRCDIR);
    if (access(dir, R_OK) == 0) {
        snprintf(dir, sizeof(dir), "%s/formats", OG_SRCDIR);
        return dir;
    }
    return OG_DATADIR;
}

static void usage(FILE *out)
{
    fputs("usage: offsetgw ingest --home DIR --partner NAME FILE\n"
          "\n"
          "Take FILE in as if PARTNER had sent it: parse it with the\n"
          "partner's program layout, check every record, apply what\n"
          "passes to the registry in one transaction, and write the\n"
          "acknowledgement (and the unprocessable file when records were\n"
          "rejected) to the partner's outbox.  The same bytes sent twice\n"
          "are a duplicate and change nothing.\n"
          "\n"
          "options:\n"
          "  -H, --home DIR       the home (default: $OFFSETGW_HOME)\n"
          "  -p, --partner NAME   who sent it\n"
          "  -h, --help           show this help\n"
          "\n"
          "exit status: 0 the file and every record accepted; 1 records or\n"
          "the file rejected, or a duplicate; 2 usage or system error\n",
          out);
}

/* A tax board's or treasury's file. */
static int ingest_response(const struct home *h, struct store *s,
                           const char *programs,
                           const struct store_partner *partner,
                           const char *path)
{
    struct response_request rq = {.home = h,
                                  .store = s,
                                  .programs_dir = programs,
                                  .partner = partner,
                                  .path = path};
    struct response_result res;
    char err[512], money[32];
    int rc = response_file(&rq, &res, err, sizeof(err));
    if (rc < 0) {
        cli_error("ingest", "%s: %s", path, err);
        return CLI_EXIT_ERROR;
    }
    money[0] = '\0';
    if (strcmp(res.exchange, "partner-collection") == 0) {
        strcpy(money, ", ");
        cli_fmt_money(money + 2, sizeof(money) - 6, res.amount_cents);
        strcat(money, " net");
    }
    printf("%s: %s file %lld %s: %lld records, %lld applied, %lld rejected"
           "%s; %lld agency files\n",
           path, res.exchange, (long long)res.file_id,
           file_status_name(res.status), (long long)res.records,
           (long long)res.accepted, (long long)res.rejected, money,
           (long long)res.agency_files);
    if (res.reason_code[0] != '\0')
        printf("  %s: %s\n", res.reason_code, res.reason);
    printf("  acknowledgement: %s\n", res.ack_path);
    if (res.unprocessable_path[0] != '\0')
        printf("  unprocessable:   %s\n", res.unprocessable_path);
    return res.status == FILE_ACCEPTED ? CLI_EXIT_OK : CLI_EXIT_INPUT;
}

int cli_ingest_run(int argc, char **argv)
{
    static const char cmd[] = "ingest";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"partner", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *partner_name = NULL;
    struct home h;
    struct store *s = NULL;
    struct store_partner partner;
    struct intake_result res;
    char err[512], programs[HOME_PATH_MAX];
    int c, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:p:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'p':
            partner_name = optarg;
            break;
        case 'h':
            usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (partner_name == NULL || optind + 1 != argc)
        return cli_usage_error(cmd, "give --partner NAME and one FILE");
    const char *path = argv[optind];
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    status = CLI_EXIT_ERROR;
    if (outbox_recover(&h, s, err, sizeof(err)) < 0) {
        cli_error(cmd, "recovering earlier outputs: %s", err);
        goto out;
    }
    if (store_partner_get(s, partner_name, &partner) < 0) {
        cli_error(cmd, "no partner '%s' (see 'offsetgw partner list')",
                  partner_name);
        goto out;
    }
    if (!partner.enabled) {
        cli_error(cmd, "partner '%s' is disabled: its files are not taken",
                  partner_name);
        status = CLI_EXIT_INPUT;
        goto out;
    }
    snprintf(programs, sizeof(programs), "%s/programs", cli_formats_dir());
    if (partner.kind == PARTNER_TAXBOARD || partner.kind == PARTNER_TREASURY) {
        status = ingest_response(&h, s, programs, &partner, path);
        goto out;
    }
    struct intake_request rq = {.home = &h,
                                .store = s,
                                .programs_dir = programs,
                                .partner = &partner,
                                .path = path};
    if (intake_file(&rq, &res, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s: %s", path, err);
        goto out;
    }
    char money[32];
    cli_fmt_money(money, sizeof(money), res.amount_cents);
    printf("%s: file %lld %s: %lld records, %lld accepted, %lld rejected, "
           "%s accepted\n",
           path, (long long)res.file_id, file_status_name(res.status),
           (long long)res.records, (long long)res.accepted,
           (long long)res.rejected, money);
    if (res.reason_code[0] != '\0')
        printf("  %s: %s\n", res.reason_code, res.reason);
    printf("  acknowledgement: %s\n", res.ack_path);
    if (res.unprocessable_path[0] != '\0')
        printf("  unprocessable:   %s\n", res.unprocessable_path);
    status = res.status == FILE_ACCEPTED ? CLI_EXIT_OK : CLI_EXIT_INPUT;
out:
    store_close(s);
    return cli_close_stdout(status);
}
