/*
 * cli_util.c - small helpers shared by the offsetgw subcommands.
 *
 * Owns command-group dispatch and usage listings, message and option
 * error printing, the write(2)-backed output buffer, CSV and JSON
 * escaping, number formatting and a bounded growable string.  It knows
 * nothing of layouts or records.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cli.h"

#define CLI_STR_MAX ((size_t)1 << 20)

/* --- dispatch ------------------------------------------------------------- */

const struct cli_command *cli_command_find(const struct cli_command *table,
                                           const char *name)
{
    for (const struct cli_command *c = table; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

void cli_print_commands(FILE *out, const struct cli_command *table)
{
    int width = 0;

    for (const struct cli_command *c = table; c->name != NULL; c++) {
        int n = (int)strlen(c->name);
        if (n > width)
            width = n;
    }
    for (const struct cli_command *c = table; c->name != NULL; c++)
        fprintf(out, "  %-*s  %s\n", width, c->name, c->summary);
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static void group_usage(FILE *out, const char *path,
                        const struct cli_command *table)
{
    fprintf(out, "usage: %s %s <command> [<args>]\n\ncommands:\n", CLI_PROG,
            path);
    cli_print_commands(out, table);
    fprintf(out, "\nrun '%s help %s <command>' for a command's options\n",
            CLI_PROG, path);
}

int cli_group_run(const char *path, const struct cli_command *table, int argc,
                  char **argv)
{
    static char help_option[] = "--help";
    const struct cli_command *cmd = NULL;
    const char *arg;
    int status;

    if (argc < 2) {
        cli_error(path, "missing command");
        group_usage(stderr, path, table);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    arg = argv[1];
    if (strcmp(arg, "help") == 0 && argc > 2) {
        /* "help SUBCOMMAND": the subcommand's own --help */
        char *sub_argv[3] = {argv[2], help_option, NULL};

        cmd = cli_command_find(table, argv[2]);
        if (cmd == NULL)
            status = cli_usage_error(path, "unknown command '%s'", argv[2]);
        else
            status = cmd->run(2, sub_argv);
        goto out;
    }
    if (strcmp(arg, "help") == 0 || cli_is_help(arg)) {
        group_usage(stdout, path, table);
        status = CLI_EXIT_OK;
        goto out;
    }
    if (arg[0] == '-') {
        status = cli_usage_error(path, "unknown option '%s'", arg);
        goto out;
    }
    cmd = cli_command_find(table, arg);
    if (cmd == NULL)
        status = cli_usage_error(path, "unknown command '%s'", arg);
    else
        status = cmd->run(argc - 1, argv + 1);
out:
    return status;
}

/* --- messages ------------------------------------------------------------- */

static void verror(const char *cmd, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void verror(const char *cmd, const char *fmt, va_list ap)
{
    if (cmd != NULL)
        fprintf(stderr, "%s: %s: ", CLI_PROG, cmd);
    else
        fprintf(stderr, "%s: ", CLI_PROG);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror(cmd, fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror(cmd, fmt, ap);
    va_end(ap);
    if (cmd != NULL)
        fprintf(stderr, "try '%s help %s'\n", CLI_PROG, cmd);
    else
        fprintf(stderr, "try '%s help'\n", CLI_PROG);
    return CLI_EXIT_USAGE;
}

int cli_option_error(const char *cmd, int getopt_result, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int name_len;

    if (strncmp(arg, "--", 2) != 0) {
        if (getopt_result == ':')
            return cli_usage_error(cmd, "option '-%c' needs a value", optopt);
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    }
    /* a long option: name it without any "=value" */
    name_len = (int)strcspn(arg, "=");
    if (getopt_result == ':')
        return cli_usage_error(cmd, "option '%.*s' needs a value", name_len,
                               arg);
    if (optopt != 0)
        return cli_usage_error(cmd, "option '%.*s' takes no value", name_len,
                               arg);
    return cli_usage_error(cmd, "unknown option '%.*s'", name_len, arg);
}

int cli_close_stdout(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error(NULL, "cannot write to standard output: %s", strerror(errno));
        return CLI_EXIT_ERROR;
    }
    return status;
}

/* --- buffered output ------------------------------------------------------ */

int cli_out_init(struct cli_out *out, int fd, size_t cap)
{
    out->fd = fd;
    out->len = 0;
    out->cap = cap;
    out->max_cap = cap > CLI_OUT_MAX_SIZE ? cap : CLI_OUT_MAX_SIZE;
    out->err = 0;
    /* zeroed: the escaping scan reads a little past the data */
    out->buf = calloc(1, cap);
    if (out->buf == NULL) {
        out->cap = 0;
        out->err = ENOMEM;
        return -1;
    }
    return 0;
}

void cli_out_release(struct cli_out *out)
{
    free(out->buf);
    out->buf = NULL;
    out->len = out->cap = 0;
}

int cli_out_flush(struct cli_out *out)
{
    size_t done = 0;

    if (out->err != 0)
        return -1;
    while (done < out->len) {
        ssize_t n = write(out->fd, out->buf + done, out->len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            out->err = errno;
            return -1;
        }
        if (n == 0) {
            out->err = EIO;
            return -1;
        }
        done += (size_t)n;
    }
    out->len = 0;
    return 0;
}

char *cli_out_reserve_slow(struct cli_out *out, size_t n)
{
    size_t cap;
    char *buf = NULL;

    if (out->err != 0 || cli_out_flush(out) < 0)
        return NULL;
    if (out->cap >= n)
        return out->buf;
    /* one value longer than the whole buffer: grow, within bounds */
    if (n > out->max_cap) {
        out->err = EFBIG;
        return NULL;
    }
    cap = out->cap > 0 ? out->cap : 4096;
    while (cap < n)
        cap = cap > out->max_cap / 2 ? out->max_cap : cap * 2;
    buf = realloc(out->buf, cap);
    if (buf == NULL) {
        out->err = ENOMEM;
        return NULL;
    }
    memset(buf + out->cap, 0, cap - out->cap);
    out->buf = buf;
    out->cap = cap;
    return out->buf;
}

/* --- escaping and formatting ---------------------------------------------- */

/*
 * Most values need no escaping, so the hot question is whether a value
 * holds any byte that does.  With SSE2 (every x86-64) it is asked 16
 * bytes at a time.
 */
#if defined(__SSE2__)
static inline unsigned csv_block(__m128i x)
{
    __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(',')),
                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))),
                     _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')),
                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))));
    return (unsigned)_mm_movemask_epi8(m);
}

/* Bytes below 0x20 and, as a harmless false alarm, non-ASCII ones (a
 * signed compare) too. */
static inline unsigned json_block(__m128i x)
{
    __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                     _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(m);
}

static inline unsigned block_mask(__m128i x, int json)
{
    return json ? json_block(x) : csv_block(x);
}
#endif

/* 1 when P[0..N) may hold a byte that JSON (JSON set) or CSV escapes.
 * With SSE2 it reads whole 16-byte blocks, up to 15 bytes past N: the
 * callers guarantee CLI_ESCAPE_SLACK readable bytes there. */
static inline int any_special(const char *p, size_t n, int json)
{
#if defined(__SSE2__)
    for (size_t i = 0; i < n; i += 16) {
        unsigned mask =
            block_mask(_mm_loadu_si128((const __m128i *)(p + i)), json);

        if (n - i < 16)
            mask &= (1u << (n - i)) - 1;
        if (mask != 0)
            return 1;
    }
    return 0;
#else
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (json ? c == '"' || c == '\\' || c < 0x20
                 : c == ',' || c == '"' || c == '\r' || c == '\n')
            return 1;
    }
    return 0;
#endif
}

size_t cli_csv_quote_inplace(char *p, size_t n)
{
    size_t n_quotes = 0, new_len;
    char *dst;

    if (!any_special(p, n, 0))
        return n;
    for (size_t i = 0; i < n; i++)
        n_quotes += p[i] == '"';
    /* expand from the end so no byte is overwritten before it is read */
    new_len = n + n_quotes + 2;
    dst = p + new_len;
    *--dst = '"';
    for (size_t i = n; i-- > 0;) {
        *--dst = p[i];
        if (p[i] == '"')
            *--dst = '"';
    }
    *--dst = '"';
    return new_len;
}

/* Extra bytes the JSON escape of a byte takes: 1 for \" and \\, 5 for
 * \u00XX. */
static unsigned char json_extra(unsigned char c)
{
    if (c == '"' || c == '\\')
        return 1;
    if (c < 0x20)
        return 5;
    return 0;
}

size_t cli_json_escape_inplace(char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t extra = 0, new_len;
    char *dst;

    if (!any_special(p, n, 1))
        return n;
    for (size_t i = 0; i < n; i++)
        extra += json_extra((unsigned char)p[i]);
    if (extra == 0)
        return n;
    new_len = n + extra;
    dst = p + new_len;
    for (size_t i = n; i-- > 0;) {
        unsigned char c = (unsigned char)p[i];
        switch (json_extra(c)) {
        case 0:
            *--dst = (char)c;
            break;
        case 1:
            *--dst = (char)c;
            *--dst = '\\';
            break;
        default:
            *--dst = hex[c & 0xf];
            *--dst = hex[c >> 4];
            *--dst = '0';
            *--dst = '0';
            *--dst = 'u';
            *--dst = '\\';
            break;
        }
    }
    return new_len;
}

size_t cli_fmt_u64(char *dst, uint64_t v)
{
    static const char pairs[] = "00010203040506070809"
                                "10111213141516171819"
                                "20212223242526272829"
                                "30313233343536373839"
                                "40414243444546474849"
                                "50515253545556575859"
                                "60616263646566676869"
                                "70717273747576777879"
                                "80818283848586878889"
                                "90919293949596979899";
    char tmp[20];
    char *end = tmp + sizeof tmp, *q = end;

    /* two digits a step: line numbers are written once per record */
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--q = pairs[d + 1];
        *--q = pairs[d];
    }
    if (v >= 10) {
        *--q = pairs[v * 2 + 1];
        *--q = pairs[v * 2];
    } else {
        *--q = (char)('0' + v);
    }
    memcpy(dst, q, (size_t)(end - q));
    return (size_t)(end - q);
}

void cli_fmt_money(char *buf, size_t size, int64_t cents)
{
    uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;

    snprintf(buf, size, "%s%" PRIu64 ".%02u", cents < 0 ? "-" : "", mag / 100,
             (unsigned)(mag % 100));
}

/* --- growable string ------------------------------------------------------ */

void cli_str_release(struct cli_str *s)
{
    free(s->data);
    s->data = NULL;
    s->len = s->cap = 0;
    s->failed = 0;
}

static int str_grow(struct cli_str *s, size_t n)
{
    size_t cap;
    char *data;

    if (s->failed)
        return -1;
    if (n > CLI_STR_MAX - s->len - 1) {
        s->failed = 1;
        return -1;
    }
    if (s->len + n + 1 <= s->cap)
        return 0;
    cap = s->cap > 0 ? s->cap : 64;
    while (cap < s->len + n + 1)
        cap *= 2;
    data = realloc(s->data, cap);
    if (data == NULL) {
        s->failed = 1;
        return -1;
    }
    s->data = data;
    s->cap = cap;
    return 0;
}

void cli_str_append(struct cli_str *s, const char *p, size_t n)
{
    if (str_grow(s, n) < 0)
        return;
    memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = '\0';
}

void cli_str_printf(struct cli_str *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->failed = 1;
        return;
    }
    if (str_grow(s, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(s->data + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

const char *cli_str_get(const struct cli_str *s)
{
    return s->data != NULL ? s->data : "";
}
