/*
 * main.c - the offsetgw command: global options and the table of
 * subcommands.
 *
 * Owns "offsetgw --help", "--version", "help [COMMAND...]" and dispatch to
 * the subcommands in gateway/cli/.  A new subcommand is a new row in
 * COMMANDS and a new file; nothing here knows what a subcommand does.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#ifndef OG_VERSION
#error "OG_VERSION must be defined by the build"
#endif

static int cmd_help(int argc, char **argv);

static const struct cli_command commands[] = {
    {"help", cmd_help, "show help for offsetgw or one of its commands"},
    {"admin", cli_admin_run, "add, remove and list the console's admins"},
    {"audit", cli_audit_run, "verify or list the tamper-evident audit trail"},
    {"backup", cli_backup_run, "copy the registry online, checked"},
    {"appeal", cli_appeal_run,
     "hold the offsets of a payment under appeal, or decide the appeal"},
    {"cycle", cli_cycle_run, "send a taxboard or treasury what changed"},
    {"ingest", cli_ingest_run, "take a partner's file into the registry"},
    {"init", cli_init_run, "create a gateway home (registry, spool, keys)"},
    {"keys", cli_keys_run, "show the SFTP host key's fingerprint"},
    {"layout", cli_layout_run, "check layout files, show one as a table"},
    {"parse", cli_parse_run, "run a batch file through a layout"},
    {"partner", cli_partner_run, "add, list, disable and enable partners"},
    {"reconcile", cli_reconcile_run, "write agencies' reconciliation files"},
    {"purge", cli_purge_run, "remove partners' files past their retention"},
    {"remit", cli_remit_run, "pay agencies a payer's final offsets"},
    {"report", cli_report_run, "print an agency's CRT collections metrics"},
    {"serve", cli_serve_run, "serve the partners over SFTP, run the queue"},
    {"sim", cli_sim_run, "play a tax board or treasury over SFTP"},
    {"status", cli_status_run, "show the upload queue and the last cycles"},
    {"synth", cli_synth_run, "write synthetic agency, partner or payer files"},
    {"transfers", cli_transfers_run, "show the SFTP transfer log"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s <command> [<args>]\n"
            "       %s --help | --version\n"
            "\n"
            "commands:\n",
            CLI_PROG, CLI_PROG);
    cli_print_commands(out, commands);
    fprintf(out,
            "\n"
            "run '%s help <command>' for a command's options\n"
            "\n"
            "exit status: 0 success; 1 the input had errors (records or "
            "files\n"
            "rejected, layout problems found); 2 usage, configuration or "
            "system error\n",
            CLI_PROG);
}

/* ARGV[0] names the command; the rest are its arguments. */
static int run_command(int argc, char **argv)
{
    const struct cli_command *cmd = cli_command_find(commands, argv[0]);

    if (cmd == NULL)
        return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
    return cmd->run(argc, argv);
}

/* "help": usage; "help CMD [SUB...]": what "CMD [SUB...] --help" says. */
static int cmd_help(int argc, char **argv)
{
    static char help_option[] = "--help";
    char **sub_argv = NULL;
    int status;

    if (argc < 2 || cli_is_help(argv[1])) {
        usage(stdout);
        status = CLI_EXIT_OK;
        goto out;
    }
    sub_argv = calloc((size_t)argc + 1, sizeof *sub_argv);
    if (sub_argv == NULL) {
        cli_error("help", "out of memory");
        status = CLI_EXIT_ERROR;
        goto out;
    }
    for (int i = 1; i < argc; i++)
        sub_argv[i - 1] = argv[i];
    sub_argv[argc - 1] = help_option;
    status = run_command(argc, sub_argv);
out:
    free(sub_argv);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int status = CLI_EXIT_OK;
    int c;

    /* a closed pipe is a write error we report, not a silent death */
    signal(SIGPIPE, SIG_IGN);

    opterr = 0;
    optind = 0;
    /* '+': stop at the command name; its options are its own */
    while ((c = getopt_long(argc, argv, "+:hV", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            goto out;
        case 'V':
            printf("%s %s\n", CLI_PROG, OG_VERSION);
            goto out;
        default:
            status = cli_option_error(NULL, c, argv);
            goto out;
        }
    }
    if (optind >= argc) {
        cli_error(NULL, "missing command");
        usage(stderr);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    status = run_command(argc - optind, argv + optind);
out:
    return cli_close_stdout(status);
}
