/*
 * cli_sim.c - "offsetgw sim taxboard|treasury|payer": a partner played over
 * SFTP against a running gateway (the work is sim.c's).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/home.h"
#include "offsetgw/sim.h"

static void usage(FILE *out)
{
    fputs("usage: offsetgw sim taxboard|treasury --home SIMDIR --key FILE\n"
          "                    [--server HOST:PORT] [--user NAME]\n"
          "                    [--program P] [--partner-code CODE] "
          "[--seed S]\n"
          "                    [--rounds N] [--interval S]\n"
          "       offsetgw sim payer --home SIMDIR --key FILE [--payments "
          "FILE]\n"
          "                    [--server HOST:PORT] [--user NAME]\n"
          "\n"
          "Play a tax board or a treasury over SFTP: log in to the gateway\n"
          "as NAME with the key FILE, download and remove what it left in\n"
          "/outbox, answer every debt file (and address request) with a\n"
          "match file and a collection file made as 'offsetgw synth\n"
          "replies' makes them, and upload them to /inbox (under a\n"
          "temporary name, then renamed).  SIMDIR keeps what came (in/),\n"
          "what went (out/) and the server's host key, pinned at the first\n"
          "login.  --rounds N repeats it N times, --interval S apart.\n"
          "\n"
          "'payer' plays a setoff program's payer: it picks up what the\n"
          "gateway left (offset instructions, releases, acknowledgements)\n"
          "and uploads FILE, a payment file ('offsetgw synth payments'\n"
          "makes one that fits a registry), in the first round.\n"
          "\n"
          "defaults: --server 127.0.0.1:2222; --user demo-taxboard,\n"
          "demo-treasury or demo-payer; --program caltrecs or top;\n"
          "--partner-code DEMO1 or DEMOTOP1 (the demo partners'); --seed 1;\n"
          "--rounds 1; --interval 2\n",
          out);
}

int cli_sim_run(int argc, char **argv)
{
    static const char cmd[] = "sim";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"key", required_argument, NULL, 'k'},
        {"server", required_argument, NULL, 'S'},
        {"user", required_argument, NULL, 'u'},
        {"program", required_argument, NULL, 'p'},
        {"partner-code", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'},
        {"rounds", required_argument, NULL, 'r'},
        {"interval", required_argument, NULL, 'i'},
        {"payments", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sim_options o = {.host = "127.0.0.1", .port = 2222};
    char host[256], programs[HOME_PATH_MAX], err[512];
    long rounds = 1, interval = 2;
    int c;

    o.replies = (struct synth_reply_options){
        .seed = 1,
        .code_per_mille = {[SYNTH_NAME_MISMATCH] = 20,
                           [SYNTH_NO_MATCH] = 30,
                           [SYNTH_INVALID_TIN] = 10,
                           [SYNTH_DECEASED] = 10},
        .offset_per_mille = 500,
        .reversal_per_mille = 100};
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : cli_close_stdout(CLI_EXIT_OK);
    }
    bool taxboard = strcmp(argv[1], "taxboard") == 0;
    bool payer = strcmp(argv[1], "payer") == 0;
    if (!taxboard && !payer && strcmp(argv[1], "treasury") != 0)
        return cli_usage_error(cmd,
                               "'%s': sim plays a taxboard, a treasury or "
                               "a payer",
                               argv[1]);
    o.answer = !payer;
    o.user = taxboard ? "demo-taxboard"
             : payer  ? "demo-payer"
                      : "demo-treasury";
    o.program = taxboard ? "caltrecs" : "top";
    o.replies.partner_code = taxboard ? "DEMO1" : "DEMOTOP1";
    opterr = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":H:k:S:u:p:c:s:r:i:P:h", options,
                            NULL)) != -1) {
        char *end;
        switch (c) {
        case 'H':
            o.dir = optarg;
            break;
        case 'k':
            o.key_path = optarg;
            break;
        case 'S': {
            const char *colon = strrchr(optarg, ':');
            long port = colon ? strtol(colon + 1, &end, 10) : -1;
            if (colon == NULL || colon == optarg || *end != '\0' || port < 1 ||
                port > 65535 || (size_t)(colon - optarg) >= sizeof(host))
                return cli_usage_error(cmd, "--server takes HOST:PORT");
            snprintf(host, sizeof(host), "%.*s", (int)(colon - optarg), optarg);
            o.host = host;
            o.port = (unsigned)port;
            break;
        }
        case 'u':
            o.user = optarg;
            break;
        case 'p':
            o.program = optarg;
            break;
        case 'c':
            o.replies.partner_code = optarg;
            break;
        case 's':
            o.replies.seed = strtoull(optarg, &end, 10);
            if (*end != '\0')
                return cli_usage_error(cmd, "--seed takes a number");
            break;
        case 'r':
        case 'i': {
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 100000)
                return cli_usage_error(cmd, "%s takes a number from 1",
                                       c == 'r' ? "--rounds" : "--interval");
            *(c == 'r' ? &rounds : &interval) = v;
            break;
        }
        case 'P':
            if (!payer)
                return cli_usage_error(cmd, "--payments is a payer's");
            o.upload = optarg;
            break;
        case 'h':
            usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (o.dir == NULL || o.key_path == NULL || optind != argc)
        return cli_usage_error(cmd, "give --home SIMDIR and --key FILE");
    snprintf(programs, sizeof(programs), "%s/programs", cli_formats_dir());
    o.programs_dir = programs;
    for (long r = 0; r < rounds; r++) {
        struct sim_result res;
        if (r > 0) {
            sleep((unsigned)interval);
            o.upload = NULL; /* a payment file goes once */
        }
        if (sim_round(&o, &res, err, sizeof(err)) < 0) {
            cli_error(cmd, "%s", err);
            return CLI_EXIT_ERROR;
        }
        printf("%s: %d files picked up, %d debt files answered, %d files "
               "uploaded\n",
               o.user, res.downloaded, res.answered, res.uploaded);
    }
    return cli_close_stdout(CLI_EXIT_OK);
}
