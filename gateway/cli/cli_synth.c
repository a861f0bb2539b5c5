/*
 * cli_synth.c - "offsetgw synth": a synthetic agency debt file,
 * "offsetgw synth replies": a partner's replies to a debt file sent, and
 * "offsetgw synth payments": a payer's payment file that fits a registry.
 *
 * Owns the command line of synth.c: the program's profile and layouts,
 * the options, and a summary of what was made on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/calendar.h"
#include "offsetgw/cycle.h"
#include "offsetgw/home.h"
#include "offsetgw/profile.h"
#include "offsetgw/store.h"
#include "offsetgw/synth.h"
#include "offsetgw/vault.h"

static void usage(FILE *out)
{
    fputs("usage: offsetgw synth --program PROGRAM --records N\n"
          "                      [--bad-share F] [--seed S] [--agency-code "
          "CODE]\n"
          "                      [--date YYYY-MM-DD] [--output FILE]\n"
          "       offsetgw synth replies --program PROGRAM --sent FILE\n"
          "                      [--match-output M] [--collection-output C]\n"
          "                      [--seed S] [--date YYYY-MM-DD] "
          "[--partner-code CODE]\n"
          "                      [--name-mismatch-share F] [--no-match-share "
          "F]\n"
          "                      [--invalid-share F] [--deceased-share F]\n"
          "                      [--offset-share F] [--reversal-share F]\n"
          "                      [--home DIR]\n"
          "\n"
          "Write a synthetic agency debt file in PROGRAM's layout (caltrecs,\n"
          "kansas, utah, top): N detail records with plausible names, valid\n"
          "SSNs and amounts, of which the share F (0 to 1, e.g. 0.02) are\n"
          "bad in every way the gateway rejects, in rotation.  The same\n"
          "seed gives the same file.  The file goes to stdout (or FILE); a\n"
          "summary of the bad records to stderr.\n"
          "\n"
          "'replies' plays the tax board or Treasury: it reads FILE, a debt\n"
          "file the gateway sent (taxboard-debt or treasury-referral, as\n"
          "PROGRAM has it; an address request when FILE's name starts with\n"
          "treasury-address-request), and writes the partner's match file\n"
          "M, one record for every add or debt asked about (codes by the\n"
          "shares given, defaults 0.02 name mismatch, 0.03 no match, 0.01\n"
          "invalid, 0.01 deceased, the rest match), and its collection\n"
          "file C: an offset for the share --offset-share (0.5) of the\n"
          "matches, a reversal for the share --reversal-share (0.1) of the\n"
          "offsets.  Give M, C or both (an address request gets M only);\n"
          "the same seed gives the same files.  Feed them to 'offsetgw\n"
          "ingest'.  FILE in a home's spool is encrypted at rest: it is\n"
          "read with that home's key (--home DIR, else the home whose\n"
          "var/spool holds FILE, else OFFSETGW_HOME).\n"
          "\n"
          "'payments' plays a setoff program's payer (kansas, utah): N\n"
          "payments, the share --debtor-share (0.1) to debtors with open\n"
          "debts in the registry of --home (of those, --name-mismatch-share\n"
          "(0.02) under another last name), the rest to strangers;\n"
          "--payroll-share (0.1) payroll with disposable earnings,\n"
          "--exempt-share (0.01) exempt payments, --joint-share (0.3) of the\n"
          "refunds joint, --spouse-debtor-share (0.1) of those with a debtor\n"
          "as the spouse.  Feed it to 'offsetgw ingest --partner PAYER'.\n",
          out);
}

static void payments_usage(FILE *out)
{
    fputs("usage: offsetgw synth payments --program PROGRAM --home DIR\n"
          "                      --records N [--output FILE] [--seed S]\n"
          "                      [--date YYYY-MM-DD] [--payer-code CODE]\n"
          "                      [--debtor-share F] [--name-mismatch-share "
          "F]\n"
          "                      [--payroll-share F] [--exempt-share F]\n"
          "                      [--joint-share F] [--spouse-debtor-share F]\n",
          out);
}

/* "0.02" -> 20 per mille; -1 when it is not a number from 0 to 1. */
static int per_mille(const char *s)
{
    int whole = 0, frac = 0, digits = 0;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9' && whole <= 1)
        whole = whole * 10 + (*s++ - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            if (digits < 3) {
                frac = frac * 10 + (*s - '0');
                digits++;
            }
    for (; digits < 3; digits++)
        frac *= 10;
    int v = whole * 1000 + frac;
    return *s == '\0' && v <= 1000 ? v : -1;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* "2026-11-26" -> 20261126; -1 when it is not a real date so written. */
static int32_t parse_date(const char *s)
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

static int replies_run(int argc, char **argv)
{
    static const char cmd[] = "synth replies";
    enum {
        O_SENT = 256,
        O_MATCH_OUT,
        O_COLL_OUT,
        O_PARTNER,
        O_NAME,
        O_NO_MATCH,
        O_INVALID,
        O_DECEASED,
        O_OFFSET,
        O_REVERSAL,
        O_HOME
    };
    static const struct option options[] = {
        {"program", required_argument, NULL, 'p'},
        {"sent", required_argument, NULL, O_SENT},
        {"home", required_argument, NULL, O_HOME},
        {"match-output", required_argument, NULL, O_MATCH_OUT},
        {"collection-output", required_argument, NULL, O_COLL_OUT},
        {"seed", required_argument, NULL, 's'},
        {"date", required_argument, NULL, 'd'},
        {"partner-code", required_argument, NULL, O_PARTNER},
        {"name-mismatch-share", required_argument, NULL, O_NAME},
        {"no-match-share", required_argument, NULL, O_NO_MATCH},
        {"invalid-share", required_argument, NULL, O_INVALID},
        {"deceased-share", required_argument, NULL, O_DECEASED},
        {"offset-share", required_argument, NULL, O_OFFSET},
        {"reversal-share", required_argument, NULL, O_REVERSAL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct synth_reply_options o = {
        .seed = 1,
        .code_per_mille = {[SYNTH_NAME_MISMATCH] = 20,
                           [SYNTH_NO_MATCH] = 30,
                           [SYNTH_INVALID_TIN] = 10,
                           [SYNTH_DECEASED] = 10},
        .offset_per_mille = 500,
        .reversal_per_mille = 100};
    const char *program = NULL, *sent = NULL, *outputs[2] = {NULL, NULL};
    const char *home_dir = NULL;
    char sent_exchange[64];
    int c;
    char dir[HOME_PATH_MAX], err[512];

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":p:s:d:h", options, NULL)) != -1) {
        int32_t *share = NULL;
        const char *share_name = NULL;
        switch (c) {
        case 'p':
            program = optarg;
            break;
        case O_HOME:
            home_dir = optarg;
            break;
        case O_SENT:
            sent = optarg;
            break;
        case O_MATCH_OUT:
            outputs[0] = optarg;
            break;
        case O_COLL_OUT:
            outputs[1] = optarg;
            break;
        case 's':
            if (!parse_u64(optarg, &o.seed))
                return cli_usage_error(cmd, "--seed takes a whole number");
            break;
        case 'd':
            if ((o.file_date = parse_date(optarg)) < 0)
                return cli_usage_error(cmd, "--date takes YYYY-MM-DD");
            break;
        case O_PARTNER:
            o.partner_code = optarg;
            break;
        case O_NAME:
            share = &o.code_per_mille[SYNTH_NAME_MISMATCH];
            share_name = "--name-mismatch-share";
            break;
        case O_NO_MATCH:
            share = &o.code_per_mille[SYNTH_NO_MATCH];
            share_name = "--no-match-share";
            break;
        case O_INVALID:
            share = &o.code_per_mille[SYNTH_INVALID_TIN];
            share_name = "--invalid-share";
            break;
        case O_DECEASED:
            share = &o.code_per_mille[SYNTH_DECEASED];
            share_name = "--deceased-share";
            break;
        case O_OFFSET:
            share = &o.offset_per_mille;
            share_name = "--offset-share";
            break;
        case O_REVERSAL:
            share = &o.reversal_per_mille;
            share_name = "--reversal-share";
            break;
        case 'h':
            usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
        if (share != NULL && (*share = per_mille(optarg)) < 0)
            return cli_usage_error(cmd, "%s takes 0 to 1", share_name);
    }
    if (program == NULL || sent == NULL || optind != argc)
        return cli_usage_error(cmd, "give --program and --sent");
    if (outputs[0] == NULL && outputs[1] == NULL)
        return cli_usage_error(
            cmd, "give --match-output, --collection-output or both");
    if (o.code_per_mille[SYNTH_NAME_MISMATCH] +
            o.code_per_mille[SYNTH_NO_MATCH] +
            o.code_per_mille[SYNTH_INVALID_TIN] +
            o.code_per_mille[SYNTH_DECEASED] >
        1000)
        return cli_usage_error(cmd, "the shares of codes other than match "
                                    "add up to more than 1");
    snprintf(dir, sizeof(dir), "%s/programs", cli_formats_dir());
    /* the sent file is read with its home's key (encrypted at rest):
     * --home, else the home whose spool holds it, else OFFSETGW_HOME */
    char found[HOME_PATH_MAX];
    const char *in_spool = strstr(sent, "/var/spool/");
    if (home_dir == NULL && in_spool != NULL &&
        (size_t)(in_spool - sent) < sizeof(found)) {
        snprintf(found, sizeof(found), "%.*s", (int)(in_spool - sent), sent);
        home_dir = found[0] ? found : "/";
    }
    if (home_dir == NULL)
        home_dir = cli_home_dir(NULL);
    struct home h;
    struct vault v;
    vault_init(&v, NULL);
    if (home_dir != NULL && (home_init(&h, home_dir) < 0 ||
                             vault_load(&v, &h, err, sizeof(err)) < 0)) {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_ERROR;
    }
    o.vault = &v;
    struct synth_reply_result res;
    int rc = synth_replies_files(dir, program, &o, sent, outputs[0], outputs[1],
                                 &res, sent_exchange, err, sizeof(err));
    vault_release(&v);
    if (rc < 0) {
        cli_error(cmd, "%s", err);
        return rc == -EBADMSG ? CLI_EXIT_INPUT : CLI_EXIT_ERROR;
    }
    char offsets[32], reversals[32];
    cli_fmt_money(offsets, sizeof(offsets), res.offset_cents);
    cli_fmt_money(reversals, sizeof(reversals), res.reversal_cents);
    fprintf(stderr, "%s: %s: %lld details, %lld adds answered", program,
            sent_exchange, (long long)res.details, (long long)res.answered);
    for (int k = 0; synth_code_means(k) != NULL; k++)
        fprintf(stderr, "%s %s %lld", k ? "," : ":", synth_code_means(k),
                (long long)res.by_code[k]);
    fprintf(stderr, "; %lld offsets %s, %lld reversals %s\n",
            (long long)res.offsets, offsets, (long long)res.reversals,
            reversals);
    return CLI_EXIT_OK;
}

struct payees {
    struct synth_payee *v;
    size_t n, cap;
};

static int add_payee(char tin_type, const char *tin,
                     const struct store_name *name, void *ctx)
{
    struct payees *p = ctx;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        struct synth_payee *grown = realloc(p->v, cap * sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;
        p->v = grown;
        p->cap = cap;
    }
    struct synth_payee *e = &p->v[p->n++];
    e->tin_type = tin_type;
    snprintf(e->tin, sizeof(e->tin), "%s", tin);
    snprintf(e->last_name, sizeof(e->last_name), "%s", name->last);
    return 0;
}

static int payee_cmp(const void *a, const void *b)
{
    const struct synth_payee *x = a, *y = b;
    if (x->tin_type != y->tin_type)
        return x->tin_type < y->tin_type ? -1 : 1;
    return strcmp(x->tin, y->tin);
}

/* One entry per debtor (the registry gives one per debt), in TIN order so
 * the same registry gives the same file. */
static void unique_payees(struct payees *p)
{
    size_t n = 0;
    if (p->n == 0)
        return;
    qsort(p->v, p->n, sizeof(*p->v), payee_cmp);
    for (size_t i = 1; i < p->n; i++)
        if (payee_cmp(&p->v[n], &p->v[i]) != 0)
            p->v[++n] = p->v[i];
    p->n = n + 1;
}

static int payments_run(int argc, char **argv)
{
    static const char cmd[] = "synth payments";
    enum {
        O_PAYER = 256,
        O_DEBTOR,
        O_NAME,
        O_PAYROLL,
        O_EXEMPT,
        O_JOINT,
        O_SPOUSE
    };
    static const struct option options[] = {
        {"program", required_argument, NULL, 'p'},
        {"home", required_argument, NULL, 'H'},
        {"records", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"date", required_argument, NULL, 'd'},
        {"payer-code", required_argument, NULL, O_PAYER},
        {"debtor-share", required_argument, NULL, O_DEBTOR},
        {"name-mismatch-share", required_argument, NULL, O_NAME},
        {"payroll-share", required_argument, NULL, O_PAYROLL},
        {"exempt-share", required_argument, NULL, O_EXEMPT},
        {"joint-share", required_argument, NULL, O_JOINT},
        {"spouse-debtor-share", required_argument, NULL, O_SPOUSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct synth_payment_options o = {.seed = 1,
                                      .debtor_per_mille = 100,
                                      .name_mismatch_per_mille = 20,
                                      .payroll_per_mille = 100,
                                      .exempt_per_mille = 10,
                                      .joint_per_mille = 300,
                                      .spouse_debtor_per_mille = 100};
    const char *program = NULL, *dir = NULL, *output = NULL;
    uint64_t records = 0;
    bool have_records = false;
    int c, status = CLI_EXIT_ERROR;
    struct layout_problems probs = {0};
    char fdir[HOME_PATH_MAX], path[HOME_PATH_MAX], err[512];
    struct profile *profile = NULL;
    struct layout *layout = NULL;
    struct payees payees = {0};
    struct home h;
    struct store *s = NULL;
    FILE *out = stdout;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":p:H:n:o:s:d:h", options, NULL)) !=
           -1) {
        int32_t *share = NULL;
        switch (c) {
        case 'p':
            program = optarg;
            break;
        case 'H':
            dir = optarg;
            break;
        case 'n':
            if (!parse_u64(optarg, &records) || records > 100000000)
                return cli_usage_error(cmd, "--records takes 0 to 100000000");
            have_records = true;
            break;
        case 'o':
            output = optarg;
            break;
        case 's':
            if (!parse_u64(optarg, &o.seed))
                return cli_usage_error(cmd, "--seed takes a whole number");
            break;
        case 'd':
            if ((o.file_date = parse_date(optarg)) < 0)
                return cli_usage_error(cmd, "--date takes YYYY-MM-DD");
            break;
        case O_PAYER:
            o.payer_code = optarg;
            break;
        case O_DEBTOR:
            share = &o.debtor_per_mille;
            break;
        case O_NAME:
            share = &o.name_mismatch_per_mille;
            break;
        case O_PAYROLL:
            share = &o.payroll_per_mille;
            break;
        case O_EXEMPT:
            share = &o.exempt_per_mille;
            break;
        case O_JOINT:
            share = &o.joint_per_mille;
            break;
        case O_SPOUSE:
            share = &o.spouse_debtor_per_mille;
            break;
        case 'h':
            payments_usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
        if (share != NULL && (*share = per_mille(optarg)) < 0)
            return cli_usage_error(cmd, "a share takes 0 to 1");
    }
    if (program == NULL || !have_records || optind != argc)
        return cli_usage_error(cmd, "give --program, --home and --records");
    if (o.payroll_per_mille + o.exempt_per_mille > 1000)
        return cli_usage_error(cmd, "the payroll and exempt shares add up to "
                                    "more than 1");
    o.records = (int64_t)records;
    snprintf(fdir, sizeof(fdir), "%s/programs", cli_formats_dir());
    if ((profile = profile_load_program(fdir, program, &probs)) == NULL) {
        cli_error(cmd, "program '%s': %s", program,
                  probs.n ? probs.items[0].message : "cannot load");
        goto out;
    }
    if (profile_exchange_path(profile, "payer-payment", NULL, path,
                              sizeof(path)) < 0) {
        cli_error(cmd, "program '%s' takes no payer-payment files", program);
        goto out;
    }
    if ((layout = cli_layout_open(cmd, path)) == NULL)
        goto out;
    if ((status = cli_home_open(cmd, cli_home_dir(dir), &h, &s)) != 0)
        goto out;
    status = CLI_EXIT_ERROR;
    int rc = store_program_debtors(s, program, add_payee, &payees);
    if (rc < 0) {
        cli_error(cmd, "registry: %s",
                  rc == -ENOMEM ? "out of memory" : store_error(s));
        goto out;
    }
    unique_payees(&payees);
    o.profile = profile;
    o.layout = layout;
    o.payees = payees.v;
    o.n_payees = payees.n;
    if (output != NULL && (out = fopen(output, "w")) == NULL) {
        cli_error(cmd, "cannot create '%s': %s", output, strerror(errno));
        goto out;
    }
    struct synth_payment_result res;
    if (synth_payments(&o, out, &res, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        goto out;
    }
    char amount[32];
    cli_fmt_money(amount, sizeof(amount), res.amount_cents);
    fprintf(stderr,
            "%s: %lld payments, %s; %lld to debtors of %zu registered (%lld "
            "under another name), %lld payroll, %lld exempt, %lld joint "
            "(%lld with a debtor as the spouse)\n",
            program, (long long)res.records, amount, (long long)res.to_debtors,
            payees.n, (long long)res.name_mismatches, (long long)res.payroll,
            (long long)res.exempt, (long long)res.joint,
            (long long)res.spouse_debtors);
    status = CLI_EXIT_OK;
out:
    if (out != stdout && out != NULL) {
        if (fclose(out) != 0)
            status = CLI_EXIT_ERROR;
        if (status != CLI_EXIT_OK)
            unlink(output); /* half a file is worse than none */
    }
    free(payees.v);
    store_close(s);
    layout_free(layout);
    profile_free(profile);
    layout_problems_release(&probs);
    return out == stdout ? cli_close_stdout(status) : status;
}

int cli_synth_run(int argc, char **argv)
{
    static const char cmd[] = "synth";
    static const struct option options[] = {
        {"program", required_argument, NULL, 'p'},
        {"records", required_argument, NULL, 'n'},
        {"bad-share", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 's'},
        {"agency-code", required_argument, NULL, 'a'},
        {"date", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *program = NULL, *output = NULL;
    struct synth_options o = {.seed = 1};
    uint64_t records = 0;
    int c, status = CLI_EXIT_ERROR;
    struct layout_problems probs = {0};
    char dir[HOME_PATH_MAX], path[HOME_PATH_MAX], err[512];
    struct profile *profile = NULL;
    struct layout *layout = NULL;
    FILE *out = stdout;

    if (argc > 1 && strcmp(argv[1], "replies") == 0)
        return replies_run(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "payments") == 0)
        return payments_run(argc - 1, argv + 1);
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":p:n:b:s:a:d:o:h", options, NULL)) !=
           -1) {
        switch (c) {
        case 'p':
            program = optarg;
            break;
        case 'n':
            if (!parse_u64(optarg, &records) || records > 100000000)
                return cli_usage_error(cmd, "--records takes 0 to 100000000");
            break;
        case 'b':
            if ((o.bad_per_mille = per_mille(optarg)) < 0)
                return cli_usage_error(cmd, "--bad-share takes 0 to 1");
            break;
        case 's':
            if (!parse_u64(optarg, &o.seed))
                return cli_usage_error(cmd, "--seed takes a whole number");
            break;
        case 'a':
            o.agency_code = optarg;
            break;
        case 'd':
            if ((o.file_date = parse_date(optarg)) < 0)
                return cli_usage_error(cmd, "--date takes YYYY-MM-DD");
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
    if (program == NULL || optind != argc)
        return cli_usage_error(cmd, "give --program and --records");
    o.records = (int64_t)records;
    snprintf(dir, sizeof(dir), "%s/programs", cli_formats_dir());
    if ((profile = profile_load_program(dir, program, &probs)) == NULL) {
        cli_error(cmd, "program '%s': %s", program,
                  probs.n ? probs.items[0].message : "cannot load");
        goto out;
    }
    if (profile_exchange_path(profile, "agency-debt", NULL, path,
                              sizeof(path)) < 0 ||
        (layout = cli_layout_open(cmd, path)) == NULL)
        goto out;
    o.profile = profile;
    o.layout = layout;
    if (output != NULL && (out = fopen(output, "w")) == NULL) {
        cli_error(cmd, "cannot create '%s': %s", output, strerror(errno));
        goto out;
    }
    struct synth_result res;
    if (synth_agency_debt(&o, out, &res, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s", err);
        goto out;
    }
    fprintf(stderr, "%s: %lld records, %lld bad", program,
            (long long)res.records, (long long)res.bad);
    for (int k = 0; synth_bad_kind_name(k) != NULL; k++)
        if (res.bad_by_kind[k] > 0)
            fprintf(stderr, "%s %s %lld", k ? "," : ":", synth_bad_kind_name(k),
                    (long long)res.bad_by_kind[k]);
    fputc('\n', stderr);
    status = CLI_EXIT_OK;
out:
    if (out != stdout && out != NULL && fclose(out) != 0)
        status = CLI_EXIT_ERROR;
    layout_free(layout);
    profile_free(profile);
    layout_problems_release(&probs);
    return out == stdout ? cli_close_stdout(status) : status;
}
