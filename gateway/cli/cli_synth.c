/*
 * cli_synth.c - "offsetgw synth": a synthetic agency debt file.
 *
 * Owns the command line of synth.c: the program's profile and agency-debt
 * layout, the options, and a summary of what was made on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "offsetgw/home.h"
#include "offsetgw/profile.h"
#include "offsetgw/synth.h"

static void usage(FILE *out)
{
    fputs("usage: offsetgw synth --program PROGRAM --records N\n"
          "                      [--bad-share F] [--seed S] [--agency-code "
          "CODE]\n"
          "                      [--date YYYY-MM-DD] [--output FILE]\n"
          "\n"
          "Write a synthetic agency debt file in PROGRAM's layout (caltrecs,\n"
          "kansas, utah, top): N detail records with plausible names, valid\n"
          "SSNs and amounts, of which the share F (0 to 1, e.g. 0.02) are\n"
          "bad in every way the gateway rejects, in rotation.  The same\n"
          "seed gives the same file.  The file goes to stdout (or FILE); a\n"
          "summary of the bad records to stderr.\n",
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
        case 'd': {
            int32_t ymd = 0;
            for (const char *p = optarg; *p; p++)
                if (*p != '-')
                    ymd = ymd * 10 + (*p - '0');
            if (strlen(optarg) != 10 || ymd < 10000101)
                return cli_usage_error(cmd, "--date takes YYYY-MM-DD");
            o.file_date = ymd;
            break;
        }
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
