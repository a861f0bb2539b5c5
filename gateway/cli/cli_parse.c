/*
 * cli_parse.c - "offsetgw parse": run one batch file through a layout.
 *
 * Owns the output of accepted records as JSON lines or CSV on stdout and
 * the error and summary lines on stderr.  Parsing, checking and the
 * wording of record and file errors are the engine's (reader.h); this
 * file only streams its records out.
 *
 * It is on the hot path of bulk conversions: per record type the output
 * columns, JSON keys and record prefixes are worked out once; per record
 * values are rendered straight into one large output buffer written with
 * write(2), with no allocation per record or field.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/reader.h"

static const char cmd[] = "parse";

enum out_format { FORMAT_JSON, FORMAT_CSV };

/* How a rendered value is written. */
enum value_kind {
    KIND_TEXT,   /* may hold characters that need quoting or escaping */
    KIND_SAFE,   /* never does: numbers, digits, restricted charsets */
    KIND_NUMBER, /* integer: a bare JSON number */
};

/* One value written for records of a type, in output order. */
struct column {
    int field;            /* index in the record type */
    enum value_kind kind; /* how to write it */
    uint32_t n_seps;      /* CSV: separators before it (one per column
                             since the previous value) */
    uint32_t key_off;     /* JSON: its '"name":' key in the type's text */
    uint32_t key_len;
};

/* What is written for records of one type. */
struct type_plan {
    struct column *cols;
    size_t n_cols;
    uint32_t n_seps_after; /* CSV: separators after the last value */
    /* the record prefix after the line number, then (JSON) the keys:
     * JSON ',"record":"NAME","fields":{', CSV ',NAME' */
    struct cli_str text;
    size_t head_len;
};

struct plan {
    enum out_format format;
    const struct layout_record *only; /* --record, or NULL for all */
    struct type_plan *types;          /* by record index */
    size_t n_types;
    struct cli_str csv_header; /* "line,record,..." with its LF */
};

/* --- the plan ------------------------------------------------------------- */

static int is_named(const struct layout_field *f)
{
    return f->name != NULL && f->type != FT_FILLER;
}

/* 1 when S holds a character that FORMAT must quote or escape. */
static int needs_escape(const char *s, enum out_format format)
{
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (format == FORMAT_CSV &&
            (c == ',' || c == '"' || c == '\r' || c == '\n'))
            return 1;
        if (format == FORMAT_JSON && (c == '"' || c == '\\' || c < 0x20))
            return 1;
    }
    return 0;
}

/* What the values of F can hold decides whether they are scanned for
 * characters to escape: accepted values are known to be in their
 * charset, code list or literal, and rendered numbers are plain. */
static enum value_kind kind_of(const struct layout_field *f,
                               enum out_format format)
{
    int safe;

    if (needs_escape(f->default_value, format))
        return KIND_TEXT;
    switch (f->type) {
    case FT_INTEGER:
        return format == FORMAT_JSON ? KIND_NUMBER : KIND_SAFE;
    case FT_AMOUNT:
    case FT_DATE:
    case FT_TIME:
    case FT_DIGITS:
    case FT_SSN:
    case FT_TIN:
        return KIND_SAFE;
    case FT_CODE:
        for (size_t i = 0; i < f->n_codes; i++) {
            if (needs_escape(f->codes[i].value, format))
                return KIND_TEXT;
        }
        return KIND_SAFE;
    case FT_TEXT:
        if (f->literal != NULL)
            return needs_escape(f->literal, format) ? KIND_TEXT : KIND_SAFE;
        /* "name" allows a comma, which CSV quotes */
        safe = f->charset == CHARSET_ALPHA || f->charset == CHARSET_ALNUM ||
               f->charset == CHARSET_UPPER ||
               (f->charset == CHARSET_NAME && format == FORMAT_JSON);
        return safe ? KIND_SAFE : KIND_TEXT;
    default:
        return KIND_TEXT;
    }
}

/* Append NAME to S as a JSON string body or a CSV cell. */
static void append_escaped(struct cli_str *s, const char *name,
                           enum out_format format)
{
    size_t n = strlen(name);
    char *tmp = calloc(1, 6 * n + 2 + CLI_ESCAPE_SLACK);

    if (tmp == NULL) {
        s->failed = 1;
        return;
    }
    memcpy(tmp, name, n);
    if (format == FORMAT_JSON)
        n = cli_json_escape_inplace(tmp, n);
    else
        n = cli_csv_quote_inplace(tmp, n);
    cli_str_append(s, tmp, n);
    free(tmp);
}

/* The CSV columns: the named fields of ONLY, or the union of the named
 * fields of every record type in order of first appearance.  Returns
 * the count, the names in *NAMES (free it), or -1 when out of memory. */
static long csv_columns(const struct layout *layout,
                        const struct layout_record *only, const char ***names)
{
    size_t n_types = layout_n_records(layout);
    size_t max = 0, n = 0;
    const char **list = NULL;

    for (size_t t = 0; t < n_types; t++)
        max += layout_record_at(layout, t)->n_fields;
    list = calloc(max + 1, sizeof *list);
    if (list == NULL)
        return -1;
    for (size_t t = 0; t < n_types; t++) {
        const struct layout_record *rec = layout_record_at(layout, t);

        if (only != NULL && rec != only)
            continue;
        for (size_t i = 0; i < rec->n_fields; i++) {
            const struct layout_field *f = &rec->fields[i];
            size_t j = 0;

            if (!is_named(f))
                continue;
            while (j < n && strcmp(list[j], f->name) != 0)
                j++;
            if (j == n)
                list[n++] = f->name;
        }
    }
    *names = list;
    return (long)n;
}

static void plan_release(struct plan *plan)
{
    for (size_t t = 0; t < plan->n_types; t++) {
        free(plan->types[t].cols);
        cli_str_release(&plan->types[t].text);
    }
    free(plan->types);
    plan->types = NULL;
    plan->n_types = 0;
    cli_str_release(&plan->csv_header);
}

static int plan_type_csv(struct type_plan *tp, const struct layout_record *rec,
                         const char **names, size_t n_names)
{
    uint32_t n_seps = 0;

    tp->cols = calloc(n_names + 1, sizeof *tp->cols);
    if (tp->cols == NULL)
        return -1;
    /* a column the type lacks is just its separator */
    for (size_t c = 0; c < n_names; c++) {
        int field = layout_field_index(rec, names[c]);
        struct column *col = &tp->cols[tp->n_cols];

        n_seps++;
        if (field < 0)
            continue;
        col->field = field;
        col->kind = kind_of(&rec->fields[field], FORMAT_CSV);
        col->n_seps = n_seps;
        n_seps = 0;
        tp->n_cols++;
    }
    tp->n_seps_after = n_seps;
    cli_str_append(&tp->text, ",", 1);
    append_escaped(&tp->text, rec->name, FORMAT_CSV);
    tp->head_len = tp->text.len;
    return tp->text.failed ? -1 : 0;
}

static int plan_type_json(struct type_plan *tp, const struct layout_record *rec)
{
    size_t n_named = 0;

    for (size_t i = 0; i < rec->n_fields; i++)
        n_named += is_named(&rec->fields[i]);
    tp->cols = calloc(n_named + 1, sizeof *tp->cols);
    if (tp->cols == NULL)
        return -1;

    cli_str_append(&tp->text, ",\"record\":\"", 11);
    append_escaped(&tp->text, rec->name, FORMAT_JSON);
    cli_str_append(&tp->text, "\",\"fields\":{", 12);
    tp->head_len = tp->text.len;
    for (size_t i = 0; i < rec->n_fields; i++) {
        const struct layout_field *f = &rec->fields[i];
        struct column *col = &tp->cols[tp->n_cols];

        if (!is_named(f))
            continue;
        col->field = (int)i;
        col->kind = kind_of(f, FORMAT_JSON);
        col->key_off = (uint32_t)tp->text.len;
        if (tp->n_cols > 0)
            cli_str_append(&tp->text, ",", 1);
        cli_str_append(&tp->text, "\"", 1);
        append_escaped(&tp->text, f->name, FORMAT_JSON);
        cli_str_append(&tp->text, "\":", 2);
        col->key_len = (uint32_t)(tp->text.len - col->key_off);
        tp->n_cols++;
    }
    return tp->text.failed ? -1 : 0;
}

/* Work out the output of every record type once.  0, or -1 when out of
 * memory. */
static int plan_build(struct plan *plan, const struct layout *layout)
{
    const char **names = NULL;
    long n_names = 0;
    int ret = -1;

    plan->n_types = layout_n_records(layout);
    plan->types = calloc(plan->n_types + 1, sizeof *plan->types);
    if (plan->types == NULL) {
        plan->n_types = 0;
        goto out;
    }
    if (plan->format == FORMAT_CSV) {
        n_names = csv_columns(layout, plan->only, &names);
        if (n_names < 0)
            goto out;
        cli_str_append(&plan->csv_header, "line,record", 11);
        for (long c = 0; c < n_names; c++) {
            cli_str_append(&plan->csv_header, ",", 1);
            append_escaped(&plan->csv_header, names[c], FORMAT_CSV);
        }
        cli_str_append(&plan->csv_header, "\n", 1);
        if (plan->csv_header.failed)
            goto out;
    }
    for (size_t t = 0; t < plan->n_types; t++) {
        const struct layout_record *rec = layout_record_at(layout, t);
        struct type_plan *tp = &plan->types[t];
        int r = plan->format == FORMAT_CSV
                    ? plan_type_csv(tp, rec, names, (size_t)n_names)
                    : plan_type_json(tp, rec);
        if (r < 0)
            goto out;
    }
    ret = 0;
out:
    free(names);
    return ret;
}

/* --- writing records ------------------------------------------------------ */

/* Room that rendering V takes: its text or raw bytes, or a number.  The
 * margin also covers CLI_ESCAPE_SLACK. */
static inline size_t value_bound(const struct field_value *v)
{
    return (v->text_len > v->raw_len ? v->text_len : v->raw_len) + 32;
}

/* The slow path of writing one value: LEAD bytes (copied from LEAD_TEXT,
 * or separators when it is NULL), then V rendered with room to grow
 * GROW times, found too long for the first try.  Returns where the lead
 * starts and the value's length in *LEN, or NULL on a write error. */
static char *render_long(struct cli_out *out, const struct layout_field *f,
                         const struct field_value *v, const char *lead_text,
                         size_t lead, size_t grow, size_t *len)
{
    size_t bound = value_bound(v);

    for (;;) {
        char *p;
        size_t n;

        bound *= 2;
        p = cli_out_reserve(out, lead + bound * grow + 2);
        if (p == NULL)
            return NULL;
        if (lead_text != NULL)
            memcpy(p, lead_text, lead);
        else
            memset(p, ',', lead);
        n = field_value_render(f, v, p + lead, bound);
        if (n + 1 < bound) {
            *len = n;
            return p;
        }
    }
}

/* Write LEAD bytes (LEAD_TEXT, or separators) and V rendered into the
 * buffer, without committing; room is left for the value to grow GROW
 * times when escaped.  Returns where the lead starts, or NULL. */
static inline char *render(struct cli_out *out, const struct layout_field *f,
                           const struct field_value *v, const char *lead_text,
                           size_t lead, size_t grow, size_t *len)
{
    size_t bound = value_bound(v);
    char *p = cli_out_reserve(out, lead + bound * grow + 2);
    size_t n;

    if (p == NULL)
        return NULL;
    if (lead_text != NULL)
        memcpy(p, lead_text, lead);
    else if (lead == 1)
        p[0] = ',';
    else
        memset(p, ',', lead);
    n = field_value_render(f, v, p + lead, bound);
    if (n + 1 >= bound) /* it may have been cut short */
        return render_long(out, f, v, lead_text, lead, grow, len);
    *len = n;
    return p;
}

/* 1 when P[0..N) is a JSON number of the integer kind. */
static int is_json_integer(const char *p, size_t n)
{
    size_t i = 0;

    if (i < n && p[i] == '-')
        i++;
    if (i == n)
        return 0;
    if (p[i] == '0')
        return i + 1 == n;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
    }
    return 1;
}

static int write_json(struct cli_out *out, const struct type_plan *tp,
                      const struct record *rec)
{
    const struct layout_record *type = rec->type;
    char *p = cli_out_reserve(out, 8 + 20 + tp->head_len);
    size_t n = 0;

    if (p == NULL)
        return -1;
    memcpy(p, "{\"line\":", 8);
    n = 8;
    n += cli_fmt_u64(p + n, rec->line);
    memcpy(p + n, tp->text.data, tp->head_len);
    cli_out_commit(out, n + tp->head_len);

    for (size_t c = 0; c < tp->n_cols; c++) {
        const struct column *col = &tp->cols[c];
        const struct field_value *v = &rec->values[col->field];
        const char *key = tp->text.data + col->key_off;
        size_t key_len = col->key_len;
        char *s;

        if (v->state == VALUE_BLANK) {
            p = cli_out_reserve(out, key_len + 4);
            if (p == NULL)
                return -1;
            memcpy(p, key, key_len);
            memcpy(p + key_len, "null", 4);
            cli_out_commit(out, key_len + 4);
            continue;
        }
        /* the key, then the value after room for its opening quote */
        p = render(out, &type->fields[col->field], v, key, key_len + 1, 6, &n);
        if (p == NULL)
            return -1;
        s = p + key_len;
        if (col->kind == KIND_NUMBER && is_json_integer(s + 1, n)) {
            memmove(s, s + 1, n);
            cli_out_commit(out, key_len + n);
            continue;
        }
        s[0] = '"';
        if (col->kind == KIND_TEXT)
            n = cli_json_escape_inplace(s + 1, n);
        s[1 + n] = '"';
        cli_out_commit(out, key_len + n + 2);
    }
    return cli_out_write(out, "}}\n", 3);
}

static int write_csv(struct cli_out *out, const struct type_plan *tp,
                     const struct record *rec)
{
    const struct layout_record *type = rec->type;
    char *p = cli_out_reserve(out, 20 + tp->head_len);
    size_t n, n_seps = 0;

    if (p == NULL)
        return -1;
    n = cli_fmt_u64(p, rec->line);
    memcpy(p + n, tp->text.data, tp->head_len);
    cli_out_commit(out, n + tp->head_len);

    for (size_t c = 0; c < tp->n_cols; c++) {
        const struct column *col = &tp->cols[c];
        const struct field_value *v = &rec->values[col->field];

        /* a blank cell is only its separator, written with the next */
        n_seps += col->n_seps;
        if (v->state == VALUE_BLANK)
            continue;
        p = render(out, &type->fields[col->field], v, NULL, n_seps, 2, &n);
        if (p == NULL)
            return -1;
        if (col->kind == KIND_TEXT)
            n = cli_csv_quote_inplace(p + n_seps, n);
        cli_out_commit(out, n_seps + n);
        n_seps = 0;
    }
    n_seps += tp->n_seps_after;
    p = cli_out_reserve(out, n_seps + 1);
    if (p == NULL)
        return -1;
    memset(p, ',', n_seps);
    p[n_seps] = '\n';
    cli_out_commit(out, n_seps + 1);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s parse --layout FILE [--format json|csv] "
            "[--errors-only]\n"
            "                      [--record NAME] INPUT\n"
            "\n"
            "Run INPUT ('-' for standard input) through the layout in FILE.\n"
            "Accepted records go to stdout, as JSON lines (one object a "
            "line)\n"
            "or CSV; record and file errors and a summary go to stderr.\n"
            "\n"
            "options:\n"
            "  -l, --layout FILE    the layout of INPUT (required)\n"
            "  -f, --format FORMAT  json (the default) or csv\n"
            "  -e, --errors-only    print no records, only errors and the "
            "summary\n"
            "  -r, --record NAME    print only records of type NAME\n"
            "  -h, --help           show this help\n"
            "\n"
            "exit status: 0 the file and every record accepted; 1 a record "
            "or the\n"
            "file rejected; 2 usage, layout or system error\n",
            CLI_PROG);
}

struct parse_options {
    const char *layout_path;
    const char *input_path;
    const char *record_name;
    enum out_format format;
    int errors_only;
};

/* Fill *OPT from the command line.  CLI_EXIT_OK, -1 after --help, or a
 * usage error status. */
static int parse_options(int argc, char **argv, struct parse_options *opt)
{
    static const struct option options[] = {
        {"layout", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},
        {"errors-only", no_argument, NULL, 'e'},
        {"record", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int status = CLI_EXIT_OK;
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":l:f:er:h", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            opt->layout_path = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0) {
                opt->format = FORMAT_JSON;
            } else if (strcmp(optarg, "csv") == 0) {
                opt->format = FORMAT_CSV;
            } else {
                status = cli_usage_error(
                    cmd, "unknown format '%s' (json or csv)", optarg);
                goto out;
            }
            break;
        case 'e':
            opt->errors_only = 1;
            break;
        case 'r':
            opt->record_name = optarg;
            break;
        case 'h':
            usage(stdout);
            status = -1;
            goto out;
        default:
            status = cli_option_error(cmd, c, argv);
            goto out;
        }
    }
    if (opt->layout_path == NULL)
        status = cli_usage_error(cmd, "no layout given (--layout FILE)");
    else if (optind >= argc)
        status = cli_usage_error(cmd, "no input file given");
    else if (argc - optind > 1)
        status = cli_usage_error(cmd, "one input file at a time");
    else
        opt->input_path = argv[optind];
out:
    return status;
}

static int is_stdin(const char *path)
{
    return strcmp(path, "-") == 0;
}

/* Open the input: its descriptor, or -1 after saying why.  "-" is
 * standard input. */
static int open_input(const char *path)
{
    struct stat st;
    int fd;

    if (is_stdin(path))
        return STDIN_FILENO;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error(cmd, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_error(cmd, "cannot read '%s': %s", path, strerror(EISDIR));
        close(fd);
        return -1;
    }
    return fd;
}

int cli_parse_run(int argc, char **argv)
{
    struct parse_options opt = {0};
    struct plan plan = {0};
    struct cli_out out = {.fd = -1};
    struct layout *layout = NULL;
    struct reader *reader = NULL;
    const struct file_error *file_error = NULL;
    const struct reader_stats *stats;
    const char *input_name;
    enum reader_status rs;
    int fd = -1;
    int status;

    status = parse_options(argc, argv, &opt);
    if (status != CLI_EXIT_OK) {
        if (status < 0)
            status = CLI_EXIT_OK; /* --help */
        goto out;
    }
    status = CLI_EXIT_ERROR;

    layout = cli_layout_open(cmd, opt.layout_path);
    if (layout == NULL)
        goto out;
    if (opt.record_name != NULL) {
        plan.only = layout_record_by_name(layout, opt.record_name);
        if (plan.only == NULL) {
            status = cli_usage_error(cmd, "layout '%s' has no record '%s'",
                                     layout_name(layout), opt.record_name);
            goto out;
        }
    }
    plan.format = opt.format;
    if (!opt.errors_only && plan_build(&plan, layout) < 0) {
        cli_error(cmd, "out of memory");
        goto out;
    }
    if (cli_out_init(&out, STDOUT_FILENO, CLI_OUT_SIZE) < 0) {
        cli_error(cmd, "out of memory");
        goto out;
    }

    fd = open_input(opt.input_path);
    if (fd < 0)
        goto out;
    input_name = is_stdin(opt.input_path) ? "<stdin>" : opt.input_path;
    reader = reader_new(layout, fd, input_name);
    if (reader == NULL) {
        cli_error(cmd, "out of memory");
        goto out;
    }
    /* errors can come by the million: write them in blocks, unless a
     * person is watching */
    if (!isatty(STDERR_FILENO))
        setvbuf(stderr, NULL, _IOFBF, (size_t)1 << 16);

    if (!opt.errors_only && opt.format == FORMAT_CSV &&
        cli_out_write(&out, plan.csv_header.data, plan.csv_header.len) < 0)
        goto write_failed;

    for (;;) {
        const struct record *rec = NULL;
        const struct type_plan *tp;
        int r;

        rs = reader_next(reader, &rec);
        if (rs != READER_RECORD)
            break;
        if (rec->n_errors > 0 || rec->n_errors_dropped > 0) {
            record_print_errors(stderr, input_name, rec);
            continue;
        }
        if (opt.errors_only || rec->type == NULL ||
            (plan.only != NULL && rec->type != plan.only))
            continue;
        tp = &plan.types[rec->type->index];
        r = opt.format == FORMAT_CSV ? write_csv(&out, tp, rec)
                                     : write_json(&out, tp, rec);
        if (r < 0)
            goto write_failed;
    }
    if (cli_out_flush(&out) < 0)
        goto write_failed;

    if (rs == READER_FAILED) {
        file_error = reader_file_error(reader);
        if (file_error != NULL)
            file_error_print(stderr, input_name, file_error);
    }
    stats = reader_stats(reader);
    fprintf(stderr,
            "%s: %" PRIu64 " records read, %" PRIu64 " accepted, %" PRIu64
            " rejected; ",
            input_name, stats->records, stats->accepted, stats->rejected);
    if (rs == READER_FAILED)
        fprintf(stderr, "file rejected: %s\n",
                errcode_name(file_error != NULL ? file_error->code : E_IO));
    else
        fprintf(stderr, "file accepted\n");

    if (rs == READER_FAILED && file_error != NULL && file_error->code == E_IO)
        status = CLI_EXIT_ERROR; /* the input could not be read */
    else if (rs == READER_FAILED || stats->rejected > 0)
        status = CLI_EXIT_INPUT;
    else
        status = CLI_EXIT_OK;
    goto out;

write_failed:
    cli_error(cmd, "cannot write output: %s", strerror(out.err));
    status = CLI_EXIT_ERROR;
out:
    reader_free(reader);
    if (fd >= 0 && !is_stdin(opt.input_path))
        close(fd);
    layout_free(layout);
    plan_release(&plan);
    cli_out_release(&out);
    fflush(stderr);
    return status;
}
