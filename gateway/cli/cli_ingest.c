/*
 * cli_ingest.c - "offsetgw ingest": one partner file into the registry.
 *
 * Owns the command line of intake: finding the home, the partner and the
 * program profiles, finishing what an earlier crash left (outbox
 * recovery), and reporting the outcome.  The work is pipeline_ingest()'s,
 * the code the SFTP front end's queue runs too: intake.c for agency
 * files, responses.c for a tax board's or treasury's, payer.c for a
 * payer's payments.  Also "offsetgw appeal", the debtor's appeal of the
 * offsets a payer's file made, and its decision (payer.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/home.h"
#include "offsetgw/intake.h"
#include "offsetgw/outbox.h"
#include "offsetgw/payer.h"
#include "offsetgw/pipeline.h"
#include "offsetgw/calendar.h"
#include "offsetgw/responses.h"
#include "offsetgw/store.h"

/* Is this process the binary of the build tree (not an installed copy)? */
static bool in_build_tree(void)
{
#ifdef OG_BUILDDIR
    char self[HOME_PATH_MAX], built[HOME_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    snprintf(built, sizeof(built), "%s/offsetgw", OG_BUILDDIR);
    return strcmp(self, built) == 0;
#else
    return false;
#endif
}

const char *cli_formats_dir(void)
{
    static char dir[HOME_PATH_MAX];
    const char *env = getenv("OFFSETGW_FORMATS");
    if (env != NULL && *env != '\0')
        return env;
    /* the build tree's binary runs on the checkout's formats; an installed
     * one on its own copy, whatever checkout it was built in */
    snprintf(dir, sizeof(dir), "%s/formats/programs", OG_SRCDIR);
    if (in_build_tree() && access(dir, R_OK) == 0) {
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
          "are a duplicate and change nothing.  A payer's payment file is\n"
          "matched against the registry: the payer gets its offset\n"
          "instructions, each agency owed its collections.\n"
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
static int print_response(const char *path, const struct response_result *res)
{
    char money[32] = "";
    if (strcmp(res->exchange, "partner-collection") == 0) {
        strcpy(money, ", ");
        cli_fmt_money(money + 2, sizeof(money) - 6, res->amount_cents);
        strcat(money, " net");
    }
    printf("%s: %s file %lld %s: %lld records, %lld applied, %lld rejected"
           "%s; %lld agency files\n",
           path, res->exchange, (long long)res->file_id,
           file_status_name(res->status), (long long)res->records,
           (long long)res->accepted, (long long)res->rejected, money,
           (long long)res->agency_files);
    if (res->reason_code[0] != '\0')
        printf("  %s: %s\n", res->reason_code, res->reason);
    printf("  acknowledgement: %s\n", res->ack_path);
    if (res->unprocessable_path[0] != '\0')
        printf("  unprocessable:   %s\n", res->unprocessable_path);
    return res->status == FILE_ACCEPTED ? CLI_EXIT_OK : CLI_EXIT_INPUT;
}

/* A payer's payment file. */
static int print_payments(const char *path, const struct payer_result *res)
{
    char amount[32], offsets[32], fees[32], released[32], day[16];
    cli_fmt_money(amount, sizeof(amount), res->amount_cents);
    printf("%s: payer-payment file %lld %s: %lld records, %lld accepted, "
           "%lld rejected, %s accepted\n",
           path, (long long)res->file_id, file_status_name(res->status),
           (long long)res->records, (long long)res->accepted,
           (long long)res->rejected, amount);
    if (res->reason_code[0] != '\0')
        printf("  %s: %s\n", res->reason_code, res->reason);
    if (res->offset_path[0] != '\0') {
        cli_fmt_money(offsets, sizeof(offsets), res->offset_cents);
        cli_fmt_money(fees, sizeof(fees), res->fee_cents);
        cli_fmt_money(released, sizeof(released), res->released_cents);
        calendar_format(res->final_on, day);
        printf("  %lld payments matched (%lld names did not), %lld offsets "
               "%s, fees %s, released %s; final on %s; %lld agency files\n",
               (long long)res->matched, (long long)res->name_mismatches,
               (long long)res->offsets, offsets, fees, released, day,
               (long long)res->agency_files);
        printf("  offset instructions: %s\n", res->offset_path);
    }
    printf("  acknowledgement: %s\n", res->ack_path);
    if (res->unprocessable_path[0] != '\0')
        printf("  unprocessable:   %s\n", res->unprocessable_path);
    return res->status == FILE_ACCEPTED ? CLI_EXIT_OK : CLI_EXIT_INPUT;
}

/* An agency's debt file. */
static int print_intake(const char *path, const struct intake_result *res)
{
    char money[32];
    cli_fmt_money(money, sizeof(money), res->amount_cents);
    printf("%s: file %lld %s: %lld records, %lld accepted, %lld rejected, "
           "%s accepted\n",
           path, (long long)res->file_id, file_status_name(res->status),
           (long long)res->records, (long long)res->accepted,
           (long long)res->rejected, money);
    if (res->reason_code[0] != '\0')
        printf("  %s: %s\n", res->reason_code, res->reason);
    printf("  acknowledgement: %s\n", res->ack_path);
    if (res->unprocessable_path[0] != '\0')
        printf("  unprocessable:   %s\n", res->unprocessable_path);
    return res->status == FILE_ACCEPTED ? CLI_EXIT_OK : CLI_EXIT_INPUT;
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
    struct pipeline_env env = {
        .home = &h, .store = s, .programs_dir = programs};
    struct ingest_outcome *o = malloc(sizeof(*o));
    if (o == NULL) {
        cli_error(cmd, "out of memory");
        goto out;
    }
    if (pipeline_ingest(&env, &partner, path, NULL, o, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s: %s", path, err);
        free(o);
        goto out;
    }
    status = partner.kind == PARTNER_AGENCY ? print_intake(path, &o->intake)
             : partner.kind == PARTNER_PAYER
                 ? print_payments(path, &o->payer)
                 : print_response(path, &o->response);
    free(o);
out:
    store_close(s);
    return cli_close_stdout(status);
}

/* --- offsetgw appeal ------------------------------------------------------ */

static void appeal_usage(FILE *out)
{
    fputs("usage: offsetgw appeal --home DIR [--partner PAYER] --payment ID\n"
          "       offsetgw appeal --home DIR [--partner PAYER] --trace TRACE\n"
          "       offsetgw appeal ... --decide upheld|denied\n"
          "\n"
          "Record the debtor's appeal of the offsets a payer's payment file\n"
          "made from payment ID (or of the one offset TRACE, "
          "\"<ID>.<nn>\"):\n"
          "an offset still in its appeal window (the program's appeal or\n"
          "hold days from the day the file was taken) is held and does not\n"
          "become final; one final already is refused.  PAYER is needed\n"
          "only when several payers have a payment of that id.\n"
          "\n"
          "With --decide, decide the appeal of those offsets instead (each\n"
          "held one, once): denied, the hold lifts and the offset is final\n"
          "on the later of its final day and today; upheld, the offset is\n"
          "reversed (the debt's balance back, the fee refunded), the payer\n"
          "gets a release file to pay it to the payee and each agency the\n"
          "reversal.  Today is $OFFSETGW_TODAY when set.\n"
          "\n"
          "exit status: 0 the offsets are held (or decided); 1 none can be\n"
          "(final, never appealed, decided before), or there is no such\n"
          "offset; 2 usage or system error\n",
          out);
}

struct appeal_find {
    const char *payment_id;
    struct store *s;
    struct store_partner found;
    int n;
};

static void print_decision(const struct payer_decide_line *l, void *ctx)
{
    char amount[32], day[16], day2[16];
    const struct store_decision *d = &l->decision;
    (void)ctx;
    cli_fmt_money(amount, sizeof(amount), l->entry.amount_cents);
    printf("  %-24s %-20s %12s  ", l->entry.trace_id, l->account, amount);
    calendar_format(d->decided_on, day);
    if (l->outcome == PAYER_NOT_HELD) {
        printf("refused: never appealed\n");
    } else if (l->outcome == PAYER_DECIDED_BEFORE) {
        printf("refused: %s on %s already\n", appeal_decision_name(d->decision),
               day);
    } else if (d->decision == APPEAL_DENIED) {
        calendar_format(d->final_on, day2);
        printf("denied: final on %s\n", day2);
    } else {
        cli_fmt_money(amount, sizeof(amount), d->released_cents);
        printf("upheld: reversed, %s released to the payee\n", amount);
    }
}

/* --decide: the appeal's decision. */
static int decide(const struct home *h, struct store *s,
                  const struct store_partner *payer, const char *payment,
                  const char *trace, enum appeal_decision decision)
{
    char err[512], programs[HOME_PATH_MAX], money[32];
    struct payer_decide_result res;
    snprintf(programs, sizeof(programs), "%s/programs", cli_formats_dir());
    struct payer_decide_request rq = {.home = h,
                                      .store = s,
                                      .programs_dir = programs,
                                      .payer = payer,
                                      .payment_id = payment,
                                      .trace_id = trace,
                                      .decision = decision,
                                      .today = calendar_today(NULL),
                                      .fn = print_decision};
    int rc = payer_decide(&rq, &res, err, sizeof(err));
    if (rc == -ENOENT || rc == -EPERM || rc == -EINVAL) {
        cli_error("appeal", "%s", err);
        return CLI_EXIT_INPUT;
    }
    if (rc < 0) {
        cli_error("appeal", "%s", err);
        return CLI_EXIT_ERROR;
    }
    printf("  %lld decided %s, %lld refused\n", (long long)res.decided,
           appeal_decision_name(decision), (long long)res.refused);
    if (res.release_path[0] != '\0') {
        cli_fmt_money(money, sizeof(money), res.released_cents);
        printf("  %s released; %lld agency files\n  release file: %s\n", money,
               (long long)res.agency_files, res.release_path);
    }
    return CLI_EXIT_OK;
}

static int find_payer(const struct store_partner *p, void *ctx)
{
    struct appeal_find *f = ctx;
    struct store_payment pay;
    if (p->kind == PARTNER_PAYER &&
        store_payment_find(f->s, p->id, f->payment_id, &pay) == 0) {
        f->found = *p;
        f->n++;
    }
    return 0;
}

static void print_appeal(const struct payer_appeal_line *l, void *ctx)
{
    char amount[32], day[16];
    static const char *const what[] = {"held by the appeal of",
                                       "held already by the appeal of",
                                       "final since"};
    (void)ctx;
    cli_fmt_money(amount, sizeof(amount), l->entry.amount_cents);
    calendar_format(l->outcome == PAYER_APPEAL_FINAL ? l->entry.final_on
                                                     : l->filed_on,
                    day);
    if (l->outcome == PAYER_APPEAL_DECIDED) {
        printf("  %-24s %-20s %12s  not held: its appeal of %s was "
               "decided\n",
               l->entry.trace_id, l->account, amount, day);
        return;
    }
    printf("  %-24s %-20s %12s  %s %s\n", l->entry.trace_id, l->account, amount,
           what[l->outcome], day);
}

int cli_appeal_run(int argc, char **argv)
{
    static const char cmd[] = "appeal";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"partner", required_argument, NULL, 'p'},
        {"payment", required_argument, NULL, 'P'},
        {"trace", required_argument, NULL, 't'},
        {"decide", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *partner_name = NULL, *payment = NULL,
               *trace = NULL, *decision = NULL;
    struct home h;
    struct store *s = NULL;
    struct store_partner partner;
    char err[512], pid[32];
    int c, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:p:P:t:d:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'p':
            partner_name = optarg;
            break;
        case 'P':
            payment = optarg;
            break;
        case 't':
            trace = optarg;
            break;
        case 'd':
            decision = optarg;
            break;
        case 'h':
            appeal_usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if ((payment == NULL) == (trace == NULL) || optind != argc)
        return cli_usage_error(cmd, "give --payment ID or --trace TRACE");
    if (decision != NULL && strcmp(decision, "upheld") != 0 &&
        strcmp(decision, "denied") != 0)
        return cli_usage_error(cmd, "--decide takes upheld or denied");
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    status = CLI_EXIT_ERROR;
    if (partner_name != NULL) {
        if (store_partner_get(s, partner_name, &partner) < 0 ||
            partner.kind != PARTNER_PAYER) {
            cli_error(cmd, "no payer '%s' (see 'offsetgw partner list')",
                      partner_name);
            goto out;
        }
    } else {
        struct appeal_find f = {.payment_id = payment, .s = s};
        if (payment == NULL) {
            size_t n = strlen(trace);
            snprintf(pid, sizeof(pid), "%.*s", n > 3 ? (int)(n - 3) : 0, trace);
            f.payment_id = pid;
        }
        store_partner_each(s, find_payer, &f);
        if (f.n != 1) {
            cli_error(cmd,
                      f.n == 0 ? "no payer has a payment '%s' that matched"
                               : "several payers have a payment '%s': give "
                                 "--partner",
                      f.payment_id);
            status = CLI_EXIT_INPUT;
            goto out;
        }
        partner = f.found;
    }
    printf("%s: %s %s\n", partner.name, payment ? "payment" : "offset",
           payment ? payment : trace);
    if (decision != NULL) {
        status = decide(&h, s, &partner, payment, trace,
                        decision[0] == 'u' ? APPEAL_UPHELD : APPEAL_DENIED);
        goto out;
    }
    int rc = payer_appeal(s, &partner, payment, trace, calendar_today(NULL),
                          print_appeal, NULL, err, sizeof(err));
    if (rc == -ENOENT || rc == -EPERM || rc == -EINVAL) {
        cli_error(cmd, "%s", err);
        status = CLI_EXIT_INPUT;
    } else if (rc < 0) {
        cli_error(cmd, "%s", err);
    } else {
        status = CLI_EXIT_OK;
    }
out:
    store_close(s);
    return cli_close_stdout(status);
}
