/*
 * cli.h - internals of the offsetgw command, shared by gateway/main.c and
 * the files of gateway/cli/.
 *
 * Owns the subcommand table type and its dispatch, the exit statuses,
 * the message helpers (every message "offsetgw: CMD: ...", lower case, no
 * trailing period), a buffered output writer for bulk results, JSON/CSV
 * escaping and small number formatters.  It does not parse or check
 * anything itself: that is the layout engine's job (include/offsetgw/).
 * Not a public header.
 */
#ifndef OFFSETGW_CLI_H
#define OFFSETGW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "offsetgw/layout.h"

#define CLI_PROG "offsetgw"

/* Exit statuses of every subcommand. */
enum cli_exit {
    CLI_EXIT_OK = 0,    /* success */
    CLI_EXIT_INPUT = 1, /* the input had errors: records or files rejected,
                           layout problems found */
    CLI_EXIT_ERROR = 2, /* configuration or system error */
    CLI_EXIT_USAGE = 2  /* bad command line (same status as an error) */
};

/* One row of a command table.  RUN gets the arguments from the command's
 * own name on (argv[0] is "parse", "check", ...) and returns an exit
 * status.  Tables end with a row whose NAME is NULL. */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary; /* one line, lower case, for usage listings */
};

/* --- subcommands (one file each) -------------------------------------- */

/* offsetgw layout check|show ... (cli_layout.c) */
int cli_layout_run(int argc, char **argv);

/* offsetgw parse ... (cli_parse.c) */
int cli_parse_run(int argc, char **argv);

/* offsetgw synth ... (cli_synth.c) */
int cli_synth_run(int argc, char **argv);

/* offsetgw reconcile ... (cli_reconcile.c) */
int cli_reconcile_run(int argc, char **argv);

/* offsetgw report crt ... (cli_report.c) */
int cli_report_run(int argc, char **argv);

/* offsetgw cycle ... (cli_cycle.c) */
int cli_cycle_run(int argc, char **argv);

/* offsetgw ingest ... (cli_ingest.c) */
int cli_ingest_run(int argc, char **argv);
/* offsetgw appeal ... (cli_ingest.c) */
int cli_appeal_run(int argc, char **argv);
/* offsetgw remit ... (cli_remit.c) */
int cli_remit_run(int argc, char **argv);
/* Where layouts and program profiles are: $OFFSETGW_FORMATS, else the
 * checkout's formats/ for the build tree's own binary, else the installed
 * copy ($(pkgdatadir), OG_DATADIR). */
const char *cli_formats_dir(void);

/* offsetgw init ..., offsetgw partner ... (cli_home.c) */
int cli_init_run(int argc, char **argv);
int cli_partner_run(int argc, char **argv);

struct home;
struct store;
/* Record ACTION on SUBJECT (DETAIL may be "") in the audit trail as the
 * command's user did it ("cli:NAME"); a failure is said on stderr. */
void cli_audit(const struct home *h, struct store *s, const char *action,
               const char *subject, const char *detail);

/* offsetgw serve, keys, partner key, transfers, status (cli_serve.c) */
int cli_serve_run(int argc, char **argv);
int cli_keys_run(int argc, char **argv);
int cli_partner_key_run(int argc, char **argv);
int cli_transfers_run(int argc, char **argv);
int cli_status_run(int argc, char **argv);
/* offsetgw keys rotate|cat (cli_atrest.c) */
int cli_keys_rotate(int argc, char **argv);
int cli_keys_cat(int argc, char **argv);
/* offsetgw audit verify|list (cli_audit.c) */
int cli_audit_run(int argc, char **argv);
int cli_purge_run(int argc, char **argv);
/* offsetgw admin add|passwd|remove|list (cli_admin.c) */
int cli_admin_run(int argc, char **argv);
/* offsetgw sim (cli_sim.c) */
int cli_sim_run(int argc, char **argv);
/* offsetgw backup (cli_backup.c) */
int cli_backup_run(int argc, char **argv);

struct home;
struct store;
/* The home directory: GIVEN (from --home), else $OFFSETGW_HOME, else
 * NULL. */
const char *cli_home_dir(const char *given);
/* Open the home at DIR and its registry for command CMD, holding the
 * home's key lock shared until the command exits (vault_lock: no key
 * rotation meanwhile); an exit status (the reason printed) when that
 * fails. */
int cli_home_open(const char *cmd, const char *dir, struct home *h,
                  struct store **s);

/* --- dispatch (cli_util.c) ------------------------------------------------ */

/* The row of TABLE called NAME, or NULL. */
const struct cli_command *cli_command_find(const struct cli_command *table,
                                           const char *name);

/* Print "  name  summary" for each row of TABLE, names aligned. */
void cli_print_commands(FILE *out, const struct cli_command *table);

/* Run a command group: argv[0] is the group's name (PATH is its full
 * path after "offsetgw", e.g. "layout"), argv[1] the subcommand.  Handles
 * "--help", "-h" and "help [SUBCOMMAND]"; an unknown or missing
 * subcommand is a usage error.  Returns the subcommand's exit status. */
int cli_group_run(const char *path, const struct cli_command *table, int argc,
                  char **argv);

/* 1 when ARG asks for help ("-h", "--help"). */
int cli_is_help(const char *arg);

/* --- messages (cli_util.c) ------------------------------------------------ */

/* "offsetgw: CMD: message" on stderr (CMD may be NULL). */
void cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* As cli_error, then the hint "try 'offsetgw help CMD'".  Returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Report what getopt_long() returned as '?' or ':' for command CMD,
 * ARGV being the vector it scanned.  Returns CLI_EXIT_USAGE. */
int cli_option_error(const char *cmd, int getopt_result, char **argv);

/* Flush stdout and check it was all written; on failure print why and
 * return CLI_EXIT_ERROR, else STATUS. */
int cli_close_stdout(int status);

/* --- layouts (cli_layout.c) ----------------------------------------------- */

/* Print each problem of PROBLEMS as "FILE:LINE: message" on OUT; PATH is
 * used when a problem names no file. */
void cli_print_layout_problems(FILE *out, const char *path,
                               const struct layout_problems *problems);

/* Load the layout at PATH for command CMD.  Returns it (the caller frees
 * it with layout_free) or NULL after printing why on stderr: the file
 * cannot be opened, or its problems. */
struct layout *cli_layout_open(const char *cmd, const char *path);

/* --- buffered output (cli_util.c) ---------------------------------------- */

/* A large output buffer written to a file descriptor with write(2).  After
 * a failed write, ERR holds the errno and every later call fails fast. */
struct cli_out {
    int fd;
    char *buf;
    size_t len, cap;
    size_t max_cap; /* the buffer never grows past this */
    int err;        /* errno of the first failure, 0 while all is well */
};

#define CLI_OUT_SIZE ((size_t)1 << 20)
#define CLI_OUT_MAX_SIZE ((size_t)64 << 20)

/* Set OUT up for FD with a CAP-byte buffer.  0, or -1 (ENOMEM). */
int cli_out_init(struct cli_out *out, int fd, size_t cap);

/* Free the buffer (without flushing). */
void cli_out_release(struct cli_out *out);

/* Write everything buffered.  0, or -1 with OUT->err set. */
int cli_out_flush(struct cli_out *out);

/* Slow path of cli_out_reserve: flush, grow when N exceeds the buffer. */
char *cli_out_reserve_slow(struct cli_out *out, size_t n);

/* A pointer to at least N free bytes at the end of the buffered data, or
 * NULL on a write error or when N is past max_cap.  Bytes written there
 * count once cli_out_commit() says how many. */
static inline char *cli_out_reserve(struct cli_out *out, size_t n)
{
    if (out->cap - out->len >= n && out->err == 0)
        return out->buf + out->len;
    return cli_out_reserve_slow(out, n);
}

static inline void cli_out_commit(struct cli_out *out, size_t n)
{
    out->len += n;
}

/* Append N bytes.  0, or -1. */
static inline int cli_out_write(struct cli_out *out, const void *p, size_t n)
{
    char *dst = cli_out_reserve(out, n);

    if (dst == NULL)
        return -1;
    memcpy(dst, p, n);
    out->len += n;
    return 0;
}

/* --- escaping and formatting (cli_util.c) --------------------------------- */

/* Bytes past a value that the escaping functions may read (never
 * write): they must be allocated and initialised. */
#define CLI_ESCAPE_SLACK 16

/* CSV (RFC 4180): when P[0..N) holds a comma, double quote, CR or LF,
 * quote it in place, doubling quotes.  P must have room for 2 * N + 2
 * bytes, and at least N + CLI_ESCAPE_SLACK.  Returns the new length. */
size_t cli_csv_quote_inplace(char *p, size_t n);

/* JSON string body: escape '"', '\\' and control characters (as \u00XX)
 * of P[0..N) in place.  P must have room for 6 * N bytes, and at least
 * N + CLI_ESCAPE_SLACK.  Returns the new length. */
size_t cli_json_escape_inplace(char *p, size_t n);

/* V in decimal into DST (room for 20 bytes, not NUL-terminated).
 * Returns the length. */
size_t cli_fmt_u64(char *dst, uint64_t v);

/* CENTS as money, "-12.34", NUL-terminated in BUF. */
void cli_fmt_money(char *buf, size_t size, int64_t cents);

/* --- a growable string (cli_util.c) --------------------------------------- */

/* For building table cells and other small text; at most 1 MiB.  After
 * an allocation failure FAILED is set and appends do nothing. */
struct cli_str {
    char *data; /* NUL-terminated when not NULL */
    size_t len, cap;
    int failed;
};

void cli_str_release(struct cli_str *s);
void cli_str_append(struct cli_str *s, const char *p, size_t n);
void cli_str_printf(struct cli_str *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text, "" when empty. */
const char *cli_str_get(const struct cli_str *s);

#endif
