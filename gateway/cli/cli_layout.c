/*
 * cli_layout.c - "offsetgw layout check" and "offsetgw layout show".
 *
 * Owns loading layouts for the command line (and printing their problems,
 * which "parse" reuses) and rendering a layout as a readable table.  The
 * checks themselves are the engine's (layout_load); nothing here decides
 * whether a layout is valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define N_COLUMNS_MAX 5

static int cmd_check(int argc, char **argv);
static int cmd_show(int argc, char **argv);

static const struct cli_command layout_commands[] = {
    {"check", cmd_check, "check layout files and report every problem"},
    {"show", cmd_show, "print a layout as a table"},
    {NULL, NULL, NULL},
};

int cli_layout_run(int argc, char **argv)
{
    return cli_group_run("layout", layout_commands, argc, argv);
}

/* --- loading -------------------------------------------------------------- */

void cli_print_layout_problems(FILE *out, const char *path,
                               const struct layout_problems *problems)
{
    for (size_t i = 0; i < problems->n; i++) {
        const struct layout_problem *p = &problems->items[i];
        const char *file = p->file != NULL ? p->file : path;
        const char *message = p->message != NULL ? p->message : "problem";

        if (p->line > 0)
            fprintf(out, "%s:%ld: %s\n", file, p->line, message);
        else
            fprintf(out, "%s: %s\n", file, message);
    }
}

/* Load PATH into *OUT.  CLI_EXIT_OK; CLI_EXIT_INPUT when the layout has
 * problems (printed on stderr); CLI_EXIT_ERROR when it cannot be read. */
static int load(const char *cmd, const char *path, struct layout **out)
{
    struct layout_problems problems = {0};
    struct layout *layout = NULL;
    int status, fd;

    *out = NULL;
    /* tell a missing or unreadable file (a system error) from a bad one */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error(cmd, "cannot open '%s': %s", path, strerror(errno));
        status = CLI_EXIT_ERROR;
        goto out;
    }
    close(fd);

    layout = layout_load(path, &problems);
    if (problems.n > 0) {
        cli_print_layout_problems(stderr, path, &problems);
        status = CLI_EXIT_INPUT;
        goto out;
    }
    if (layout == NULL) {
        cli_error(cmd, "cannot load '%s'", path);
        status = CLI_EXIT_ERROR;
        goto out;
    }
    *out = layout;
    layout = NULL;
    status = CLI_EXIT_OK;
out:
    layout_free(layout);
    layout_problems_release(&problems);
    return status;
}

struct layout *cli_layout_open(const char *cmd, const char *path)
{
    struct layout *layout = NULL;

    load(cmd, path, &layout);
    return layout;
}

/* --- check ---------------------------------------------------------------- */

static void check_usage(FILE *out)
{
    fprintf(out,
            "usage: %s layout check FILE...\n"
            "\n"
            "Load each layout file and run every load-time check.  Prints\n"
            "'FILE: ok' for a good file; every problem of a bad one as\n"
            "'FILE:LINE: message' on stderr.  Exit status 1 when any file\n"
            "has problems.\n",
            CLI_PROG);
}

static int cmd_check(int argc, char **argv)
{
    static const char cmd[] = "layout check";
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int status = CLI_EXIT_OK;
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            check_usage(stdout);
            goto out;
        default:
            status = cli_option_error(cmd, c, argv);
            goto out;
        }
    }
    if (optind >= argc) {
        status = cli_usage_error(cmd, "no layout file given");
        goto out;
    }

    for (int i = optind; i < argc; i++) {
        struct layout *layout = NULL;
        int file_status = load(cmd, argv[i], &layout);

        if (file_status == CLI_EXIT_OK) {
            printf("%s: ok\n", argv[i]);
            /* keep "ok" lines in order with problems on stderr */
            fflush(stdout);
        }
        layout_free(layout);
        if (file_status > status)
            status = file_status;
    }
out:
    return status;
}

/* --- show ----------------------------------------------------------------- */

static void show_usage(FILE *out)
{
    fprintf(out,
            "usage: %s layout show FILE\n"
            "\n"
            "Print the layout in FILE as a table: its file shape, structure\n"
            "and, per record type, each field with its position, type and\n"
            "rules.\n",
            CLI_PROG);
}

static const char *line_end_name(enum layout_line_end line_end)
{
    switch (line_end) {
    case LINE_END_LF:
        return "lf";
    case LINE_END_CRLF:
        return "crlf";
    case LINE_END_ANY:
        break;
    }
    return "any";
}

static const char *charset_name(enum text_charset charset)
{
    switch (charset) {
    case CHARSET_PRINT:
        return "print";
    case CHARSET_ALPHA:
        return "alpha";
    case CHARSET_ALNUM:
        return "alnum";
    case CHARSET_UPPER:
        return "upper";
    case CHARSET_NAME:
        return "name";
    }
    return "?";
}

static const char *sign_name(enum amount_sign sign)
{
    switch (sign) {
    case SIGN_NONE:
        return "none";
    case SIGN_LEADING:
        return "leading";
    case SIGN_TRAILING:
        return "trailing";
    case SIGN_OVERPUNCH:
        return "overpunch";
    case SIGN_MINUS:
        return "minus";
    }
    return "?";
}

static const char *date_format_name(enum date_format format)
{
    switch (format) {
    case DATE_YYYYMMDD:
        return "YYYYMMDD";
    case DATE_MMDDYYYY:
        return "MMDDYYYY";
    case DATE_ISO:
        return "YYYY-MM-DD";
    }
    return "?";
}

static const char *time_format_name(enum time_format format)
{
    switch (format) {
    case TIME_HHMMSS:
        return "HHMMSS";
    case TIME_HHMM:
        return "HHMM";
    case TIME_ISO:
        return "HH:MM:SS";
    }
    return "?";
}

/* A character of the layout for people: 'x', tab, none or \xHH. */
static void char_text(char c, char *buf, size_t size)
{
    unsigned char u = (unsigned char)c;

    if (c == '\0')
        snprintf(buf, size, "none");
    else if (c == '\t')
        snprintf(buf, size, "tab");
    else if (u >= 0x20 && u < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "\\x%02x", u);
}

static int is_number_type(enum field_type type)
{
    return type == FT_INTEGER || type == FT_AMOUNT;
}

/* Separate the rules of a cell with ", ". */
static void rule(struct cli_str *s)
{
    if (s->len > 0)
        cli_str_append(s, ", ", 2);
}

static void bound_text(const struct layout_field *f, int64_t v, char *buf,
                       size_t size)
{
    if (f->type == FT_AMOUNT)
        cli_fmt_money(buf, size, v);
    else
        snprintf(buf, size, "%" PRId64, v);
}

/* The rules column of field F: everything but name, place and type. */
static void field_rules(const struct layout *layout,
                        const struct layout_field *f, struct cli_str *s)
{
    char buf[64];

    if (f->literal != NULL) {
        rule(s);
        cli_str_printf(s, "literal '%s'", f->literal);
    }
    if (f->required) {
        rule(s);
        cli_str_printf(s, "required");
    }
    if (f->type == FT_TEXT && f->charset != CHARSET_PRINT) {
        rule(s);
        cli_str_printf(s, "charset %s", charset_name(f->charset));
    }
    if (f->min_length > 0) {
        rule(s);
        cli_str_printf(s, "min-length %" PRIu32, f->min_length);
    }
    if (f->max_length > 0) {
        rule(s);
        cli_str_printf(s, "max-length %" PRIu32, f->max_length);
    }
    if (f->has_min) {
        bound_text(f, f->min, buf, sizeof buf);
        rule(s);
        cli_str_printf(s, "min %s", buf);
    }
    if (f->has_max) {
        bound_text(f, f->max, buf, sizeof buf);
        rule(s);
        cli_str_printf(s, "max %s", buf);
    }
    if (f->type == FT_AMOUNT) {
        rule(s);
        cli_str_printf(s, "decimals %d", f->decimals);
        if (f->explicit_point) {
            rule(s);
            cli_str_printf(s, "point explicit");
        }
    }
    if (f->sign != SIGN_NONE) {
        rule(s);
        cli_str_printf(s, "sign %s", sign_name(f->sign));
    }
    if (f->type == FT_DATE) {
        rule(s);
        cli_str_printf(s, "format %s", date_format_name(f->date_format));
    }
    if (f->type == FT_TIME) {
        rule(s);
        cli_str_printf(s, "format %s", time_format_name(f->time_format));
    }
    if (f->check_ssa) {
        rule(s);
        cli_str_printf(s, "check ssa");
    }
    if (f->type == FT_FILLER && !f->check_filler) {
        rule(s);
        cli_str_printf(s, "check none");
    }
    if (f->n_codes > 0) {
        rule(s);
        cli_str_printf(s, f->open_codes ? "open codes " : "codes ");
        for (size_t i = 0; i < f->n_codes; i++) {
            const struct field_code *code = &f->codes[i];

            cli_str_printf(s, "%s%s", i > 0 ? "," : "", code->value);
            if (code->meaning != NULL && code->meaning[0] != '\0')
                cli_str_printf(s, "=%s", code->meaning);
        }
    }
    if (f->total != TOTAL_NONE) {
        const char *of = f->total_of != NULL ? f->total_of->name : "*";

        rule(s);
        if (f->total == TOTAL_COUNT) {
            cli_str_printf(s, "total count of %s", of);
        } else if (f->total_of != NULL && f->total_of_field >= 0 &&
                   (size_t)f->total_of_field < f->total_of->n_fields) {
            const struct layout_field *summed =
                &f->total_of->fields[f->total_of_field];

            cli_str_printf(s, "total sum of %s.%s", of,
                           summed->name != NULL ? summed->name : "?");
        } else {
            cli_str_printf(s, "total sum of %s", of);
        }
    }
    if (f->default_value != NULL) {
        rule(s);
        cli_str_printf(s, "default '%s'", f->default_value);
    }
    /* justification and padding only shape fixed-width fields */
    if (layout_format(layout) == LAYOUT_FIXED) {
        enum field_justify justify =
            is_number_type(f->type) ? JUSTIFY_RIGHT : JUSTIFY_LEFT;
        char pad = is_number_type(f->type) ? '0' : ' ';

        if (f->justify != justify) {
            rule(s);
            cli_str_printf(s, "justify %s",
                           f->justify == JUSTIFY_RIGHT ? "right" : "left");
        }
        if (f->pad != pad) {
            char_text(f->pad, buf, sizeof buf);
            rule(s);
            cli_str_printf(s, "pad %s", buf);
        }
    }
}

/* Print the rows of CELLS (N_ROWS x N_COLS, row 0 the header) with the
 * columns aligned and no trailing blanks. */
static void print_table(FILE *out, struct cli_str *cells, size_t n_rows,
                        size_t n_cols)
{
    size_t width[N_COLUMNS_MAX] = {0};

    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < n_cols; c++) {
            if (cells[r * n_cols + c].len > width[c])
                width[c] = cells[r * n_cols + c].len;
        }
    }
    for (size_t r = 0; r < n_rows; r++) {
        size_t last = n_cols;

        /* the row ends after its last non-empty cell */
        while (last > 0 && cells[r * n_cols + last - 1].len == 0)
            last--;
        fputs("  ", out);
        for (size_t c = 0; c < last; c++) {
            const struct cli_str *cell = &cells[r * n_cols + c];

            if (c + 1 < last)
                fprintf(out, "%-*s  ", (int)width[c], cli_str_get(cell));
            else
                fputs(cli_str_get(cell), out);
        }
        fputc('\n', out);
    }
}

static void occurs_text(const struct layout_record *rec, char *buf, size_t size)
{
    if (rec->max_occurs == UINT64_MAX)
        snprintf(buf, size, "%" PRIu64 "..*", rec->min_occurs);
    else if (rec->min_occurs == rec->max_occurs)
        snprintf(buf, size, "%" PRIu64, rec->min_occurs);
    else
        snprintf(buf, size, "%" PRIu64 "..%" PRIu64, rec->min_occurs,
                 rec->max_occurs);
}

/* One record type: its heading and its table of fields.  -1 when out of
 * memory. */
static int show_record(FILE *out, const struct layout *layout,
                       const struct layout_record *rec)
{
    int fixed = layout_format(layout) == LAYOUT_FIXED;
    size_t n_cols = fixed ? 5 : 4;
    size_t n_rows = rec->n_fields + 1;
    struct cli_str *cells = NULL;
    char occurs[64];
    int ret = -1;

    cells = calloc(n_rows * n_cols, sizeof *cells);
    if (cells == NULL)
        goto out;

    cli_str_printf(&cells[0], "field");
    cli_str_printf(&cells[1], fixed ? "position" : "column");
    if (fixed)
        cli_str_printf(&cells[2], "length");
    cli_str_printf(&cells[n_cols - 2], "type");
    cli_str_printf(&cells[n_cols - 1], "rules");

    for (size_t i = 0; i < rec->n_fields; i++) {
        const struct layout_field *f = &rec->fields[i];
        struct cli_str *row = &cells[(i + 1) * n_cols];

        cli_str_printf(&row[0], "%s", f->name != NULL ? f->name : "(filler)");
        if (fixed) {
            cli_str_printf(&row[1], "%" PRIu32 "-%" PRIu32, f->start + 1,
                           f->start + f->length);
            cli_str_printf(&row[2], "%" PRIu32, f->length);
        } else {
            /* a delimited field's start is its 0-based column */
            cli_str_printf(&row[1], "%" PRIu32, f->start + 1);
        }
        cli_str_printf(&row[n_cols - 2], "%s", layout_type_name(f->type));
        field_rules(layout, f, &row[n_cols - 1]);
    }
    for (size_t i = 0; i < n_rows * n_cols; i++) {
        if (cells[i].failed)
            goto out;
    }

    occurs_text(rec, occurs, sizeof occurs);
    fprintf(out, "\nrecord %s: occurs %s\n", rec->name, occurs);
    print_table(out, cells, n_rows, n_cols);
    ret = 0;
out:
    if (cells != NULL) {
        for (size_t i = 0; i < n_rows * n_cols; i++)
            cli_str_release(&cells[i]);
    }
    free(cells);
    return ret;
}

static int show(FILE *out, const struct layout *layout)
{
    char structure[4096];
    char buf[64];

    fprintf(out, "%-14s %s\n", "layout:", layout_name(layout));
    fprintf(out, "%-14s %s\n", "source:", layout_source(layout));
    if (layout_format(layout) == LAYOUT_FIXED) {
        fprintf(out, "%-14s fixed\n", "format:");
        fprintf(out, "%-14s %" PRIu32 "\n",
                "record length:", layout_record_length(layout));
        fprintf(out, "%-14s %s\n",
                "short records:", layout_pad_short(layout) ? "pad" : "error");
    } else {
        fprintf(out, "%-14s delimited\n", "format:");
        char_text(layout_delimiter(layout), buf, sizeof buf);
        fprintf(out, "%-14s %s\n", "delimiter:", buf);
        char_text(layout_quote(layout), buf, sizeof buf);
        fprintf(out, "%-14s %s\n", "quote:", buf);
        fprintf(out, "%-14s %s\n",
                "header row:", layout_header_row(layout) ? "skip" : "none");
    }
    fprintf(out, "%-14s %s\n",
            "line end:", line_end_name(layout_line_end(layout)));
    layout_describe_structure(layout, structure, sizeof structure);
    fprintf(out, "%-14s %s\n", "structure:", structure);

    for (size_t i = 0; i < layout_n_records(layout); i++) {
        if (show_record(out, layout, layout_record_at(layout, i)) < 0)
            return -1;
    }
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    static const char cmd[] = "layout show";
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct layout *layout = NULL;
    int status, c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            show_usage(stdout);
            status = CLI_EXIT_OK;
            goto out;
        default:
            status = cli_option_error(cmd, c, argv);
            goto out;
        }
    }
    if (optind >= argc) {
        status = cli_usage_error(cmd, "no layout file given");
        goto out;
    }
    if (argc - optind > 1) {
        status = cli_usage_error(cmd, "one layout file at a time");
        goto out;
    }
    status = load(cmd, argv[optind], &layout);
    if (status != CLI_EXIT_OK)
        goto out;
    if (show(stdout, layout) < 0) {
        cli_error(cmd, "out of memory");
        status = CLI_EXIT_ERROR;
    }
out:
    layout_free(layout);
    return status;
}
