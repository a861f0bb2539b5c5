/*
 * cli_report.c - "offsetgw report": reports read from the registry.
 *
 * Owns the command line of reports and their formatting, a table or
 * JSON; the numbers are the core's (crt.c for "report crt").  Reports
 * change nothing and write no files.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "offsetgw/calendar.h"
#include "offsetgw/crt.h"
#include "offsetgw/home.h"
#include "offsetgw/store.h"

static int cmd_crt(int argc, char **argv);

static const struct cli_command report_commands[] = {
    {"crt", cmd_crt, "an agency's CRT collections performance metrics"},
    {NULL, NULL, NULL},
};

int cli_report_run(int argc, char **argv)
{
    return cli_group_run("report", report_commands, argc, argv);
}

/* --- report crt ----------------------------------------------------------- */

static const char crt_cmd[] = "report crt";

static void crt_usage(FILE *out)
{
    fputs("usage: offsetgw report crt --home DIR --agency NAME\n"
          "           --period YYYY-MM[..YYYY-MM]\n"
          "           [--cost CENTS | --cost-per-case CENTS] [--json]\n"
          "\n"
          "The Judicial Council of California's collections performance\n"
          "metrics for one agency over whole calendar months (UTC): the\n"
          "collector effective index, the first-year resolution rate, the\n"
          "spend efficiency score, the cost to referral ratio, and the\n"
          "adjustment and discharge scores, for the cases referred in the\n"
          "period (current) and the inventory referred before it (prior).\n"
          "The registry holds no cost of collections: give it, or the\n"
          "spend efficiency score and the cost to referral ratio are n/a.\n"
          "See docs/crt.md for what each number counts.\n"
          "\n"
          "options:\n"
          "  -H, --home DIR             the home (default: $OFFSETGW_HOME)\n"
          "  -a, --agency NAME          the agency\n"
          "  -p, --period YYYY-MM[..YYYY-MM]\n"
          "                             a month, or a run of months\n"
          "  -c, --cost CENTS           the period's cost of collections\n"
          "  -r, --cost-per-case CENTS  the cost of each case worked (3500:\n"
          "                             the $35 maximum rate)\n"
          "  -j, --json                 JSON instead of a table\n"
          "  -h, --help                 show this help\n",
          out);
}

/* Cents as digits only, at most 15 of them (ten trillion dollars). */
static int parse_cents(const char *text, int64_t *out)
{
    int64_t v = 0;
    size_t n = strlen(text);
    if (n == 0 || n > 15)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -EINVAL;
        v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return 0;
}

/* A metric's cell: its value in UNIT, "n/a", or "-" (undefined). */
enum unit { U_PERCENT, U_DOLLARS_PER_DOLLAR, U_MONEY, U_PER_MILLE };

static void fmt_metric(char *buf, size_t size, const struct crt_metric *m,
                       enum unit unit)
{
    long long v = (long long)m->value;
    if (m->na == CRT_NA_UNDEFINED) {
        snprintf(buf, size, "-");
        return;
    }
    if (m->na != CRT_OK) {
        snprintf(buf, size, "n/a");
        return;
    }
    switch (unit) {
    case U_PERCENT:
        snprintf(buf, size, "%lld.%02lld%%", v / 100, v % 100);
        break;
    case U_DOLLARS_PER_DOLLAR:
        snprintf(buf, size, "%lld.%04lld", v / 10000, v % 10000);
        break;
    case U_MONEY:
        cli_fmt_money(buf, size, m->value);
        break;
    case U_PER_MILLE:
        snprintf(buf, size, "%lld.%lld", v / 10, v % 10);
        break;
    }
}

struct metric_row {
    const char *label; /* for the table */
    const char *key;   /* for JSON */
    size_t offset;     /* of its crt_metric array in crt_result */
    enum unit unit;
};

#define METRIC(field) offsetof(struct crt_result, field)

static const struct metric_row metric_rows[] = {
    {"collector effective index", "cei_bp", METRIC(cei), U_PERCENT},
    {"first-year resolution rate", "fyr_bp", METRIC(fyr), U_PERCENT},
    {"spend efficiency score", "ses_bp", METRIC(ses), U_DOLLARS_PER_DOLLAR},
    {"cost to referral ratio", "cost_per_case_cents", METRIC(cost_per_case),
     U_MONEY},
    {"adjustment score", "adjustment_score_bp", METRIC(adjustment_score),
     U_PER_MILLE},
    {"discharge score", "discharge_score_bp", METRIC(discharge_score),
     U_PER_MILLE},
};

#define N_METRICS (sizeof(metric_rows) / sizeof(metric_rows[0]))

static const struct crt_metric *metric_of(const struct crt_result *res,
                                          const struct metric_row *row)
{
    return (const struct crt_metric *)((const char *)res + row->offset);
}

struct money_row {
    const char *label;
    const char *key;
    size_t offset; /* of its field in crt_group */
    bool money;    /* cents, else a count */
};

#define GROUP(field) offsetof(struct crt_group, field)

static const struct money_row money_rows[] = {
    {"cases", "cases", GROUP(cases), false},
    {"cases with payment", "cases_paid", GROUP(cases_paid), false},
    {"cases discharged", "cases_discharged", GROUP(cases_discharged), false},
    {"opening balance", "opening_cents", GROUP(opening_cents), true},
    {"referred and raised", "additions_cents", GROUP(additions_cents), true},
    {"collected", "collections_cents", GROUP(collections_cents), true},
    {"reversed", "reversals_cents", GROUP(reversals_cents), true},
    {"gross revenue", "gross_cents", GROUP(gross_cents), true},
    {"adjustments", "adjustments_cents", GROUP(adjustments_cents), true},
    {"discharges", "discharges_cents", GROUP(discharges_cents), true},
    {"closing balance", "closing_cents", GROUP(closing_cents), true},
    {"cost of collections", "cost_cents", GROUP(cost_cents), true},
};

#define N_MONEY (sizeof(money_rows) / sizeof(money_rows[0]))

static int64_t group_value(const struct crt_group *g,
                           const struct money_row *row)
{
    return *(const int64_t *)((const char *)g + row->offset);
}

/* What a metric's not being available means, in words. */
static const char *na_words(enum crt_na na)
{
    switch (na) {
    case CRT_NA_NO_CASES:
        return "no cases of that age";
    case CRT_NA_NO_VALUE:
        return "no balance to measure against";
    case CRT_NA_NO_COST:
        return "no cost of collections given";
    case CRT_NA_NO_REVENUE:
        return "nothing collected net of reversals";
    default:
        return "";
    }
}

static void day(int32_t ymd, char *buf)
{
    calendar_format(ymd, buf);
}

/* The notes under the numbers, one a line in NOTES (each ends in '\n'). */
static void crt_notes(const struct crt_result *res, struct cli_str *notes)
{
    char a[16], b[16], money[32];
    const struct crt_group *g = res->group;
    if (!res->period_over) {
        day(res->fyr_through, a); /* today: the year is not over either */
        cli_str_printf(notes, "the period is not over: figures through %s\n",
                       a);
    }
    switch (res->cost) {
    case CRT_COST_NONE:
        cli_str_printf(notes, "no cost of collections (the registry has none): "
                              "give --cost or --cost-per-case for SES and the "
                              "cost to referral ratio\n");
        break;
    case CRT_COST_TOTAL:
        cli_fmt_money(money, sizeof(money), g[CRT_COMBINED].cost_cents);
        cli_str_printf(notes,
                       "cost of collections %s, shared by cases: %lld "
                       "current, %lld prior\n",
                       money, (long long)g[CRT_CURRENT].cases,
                       (long long)g[CRT_PRIOR].cases);
        break;
    case CRT_COST_PER_CASE:
        cli_fmt_money(money, sizeof(money), g[CRT_COMBINED].cost_cents);
        cli_str_printf(notes,
                       "cost of collections %s: the rate per case times "
                       "%lld cases worked\n",
                       money, (long long)g[CRT_COMBINED].cases);
        break;
    }
    day(res->fyr_through, b);
    if (g[CRT_CURRENT].cases > 0) {
        day(calendar_add_days(res->fyr_end, -1), a);
        if (res->fyr_over)
            cli_str_printf(notes,
                           "first-year resolution: the current cases through "
                           "%s\n",
                           a);
        else
            cli_str_printf(notes,
                           "first-year resolution: the year to %s is not "
                           "over; measured through %s\n",
                           a, b);
    }
    for (size_t i = 0; i < N_METRICS; i++) {
        const struct crt_metric *m = metric_of(res, &metric_rows[i]);
        for (int age = 0; age < CRT_AGES; age++)
            if (m[age].na != CRT_OK && m[age].na != CRT_NA_UNDEFINED &&
                m[age].na != CRT_NA_NO_COST)
                cli_str_printf(notes, "%s, %s: n/a: %s\n", metric_rows[i].label,
                               crt_age_name((enum crt_age)age),
                               na_words(m[age].na));
    }
}

static void crt_table(const char *agency, const char *period,
                      const struct crt_result *res, const struct cli_str *notes)
{
    char a[16], b[16], cell[CRT_AGES][40];
    day(res->first_day, a);
    day(res->last_day, b);
    printf("CRT performance metrics: %s, %s (%s to %s)\n\n", agency, period, a,
           b);
    printf("%-28s %14s %14s %14s\n", "", "current", "prior", "combined");
    for (size_t i = 0; i < N_MONEY; i++) {
        const struct money_row *row = &money_rows[i];
        for (int age = 0; age < CRT_AGES; age++) {
            int64_t v = group_value(&res->group[age], row);
            if (row->offset == GROUP(cost_cents) && res->cost == CRT_COST_NONE)
                snprintf(cell[age], sizeof(cell[age]), "n/a");
            else if (row->money)
                cli_fmt_money(cell[age], sizeof(cell[age]), v);
            else
                snprintf(cell[age], sizeof(cell[age]), "%lld", (long long)v);
        }
        printf("%-28s %14s %14s %14s\n", row->label, cell[0], cell[1], cell[2]);
    }
    printf("\n");
    for (size_t i = 0; i < N_METRICS; i++) {
        const struct crt_metric *m = metric_of(res, &metric_rows[i]);
        for (int age = 0; age < CRT_AGES; age++)
            fmt_metric(cell[age], sizeof(cell[age]), &m[age],
                       metric_rows[i].unit);
        printf("%-28s %14s %14s %14s\n", metric_rows[i].label, cell[0], cell[1],
               cell[2]);
    }
    printf("\nunits: indexes and rates in percent; spend efficiency in "
           "dollars spent per\ndollar collected; cost to referral in dollars "
           "per case; scores per mille of\nthe opening and referred balance "
           "(the seed's ratio x 1000)\n");
    printf("\nnotes:\n");
    const char *p = cli_str_get(notes);
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        printf("  %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
}

/* S as a JSON string, quotes included. */
static void json_string(struct cli_str *out, const char *s)
{
    size_t n = strlen(s);
    char *buf = malloc(6 * n + CLI_ESCAPE_SLACK);
    if (buf == NULL) {
        out->failed = 1;
        return;
    }
    memset(buf, 0, 6 * n + CLI_ESCAPE_SLACK);
    memcpy(buf, s, n);
    n = cli_json_escape_inplace(buf, n);
    cli_str_append(out, "\"", 1);
    cli_str_append(out, buf, n);
    cli_str_append(out, "\"", 1);
    free(buf);
}

static void json_day(struct cli_str *out, int32_t ymd)
{
    char buf[16];
    day(ymd, buf);
    json_string(out, buf);
}

static void crt_json(struct cli_str *out, const char *agency,
                     const char *period, const struct crt_result *res,
                     const char *notes)
{
    static const char *const cost_names[] = {"none", "total", "per-case"};
    const char *sep;
    cli_str_printf(out, "{\n  \"report\": \"crt\",\n  \"agency\": ");
    json_string(out, agency);
    cli_str_printf(out, ",\n  \"period\": {\"text\": ");
    json_string(out, period);
    cli_str_printf(out, ", \"first_day\": ");
    json_day(out, res->first_day);
    cli_str_printf(out, ", \"last_day\": ");
    json_day(out, res->last_day);
    cli_str_printf(
        out, ", \"from_at\": \"%s\", \"to_at\": \"%s\", \"over\": %s},\n",
        res->from_at, res->to_at, res->period_over ? "true" : "false");
    cli_str_printf(out, "  \"cost\": \"%s\",\n  \"cases\": {",
                   cost_names[res->cost]);
    for (int age = 0; age < CRT_AGES; age++) {
        cli_str_printf(out, "%s\n    \"%s\": {", age ? "," : "",
                       crt_age_name((enum crt_age)age));
        for (size_t i = 0; i < N_MONEY; i++) {
            const struct money_row *row = &money_rows[i];
            cli_str_printf(out, "%s\"%s\": ", i ? ", " : "", row->key);
            if (row->offset == GROUP(cost_cents) && res->cost == CRT_COST_NONE)
                cli_str_printf(out, "null");
            else
                cli_str_printf(out, "%lld",
                               (long long)group_value(&res->group[age], row));
        }
        cli_str_printf(out, "}");
    }
    cli_str_printf(out, "\n  },\n  \"first_year\": {\"end\": ");
    json_day(out, res->fyr_end);
    cli_str_printf(
        out, ", \"over\": %s, \"through\": ", res->fyr_over ? "true" : "false");
    json_day(out, res->fyr_through);
    cli_str_printf(out, ", \"value_cents\": %lld, \"closing_cents\": %lld},\n",
                   (long long)res->fyr_value_cents,
                   (long long)res->fyr_closing_cents);
    cli_str_printf(out, "  \"metrics\": {");
    for (size_t i = 0; i < N_METRICS; i++) {
        const struct crt_metric *m = metric_of(res, &metric_rows[i]);
        cli_str_printf(out, "%s\n    \"%s\": {", i ? "," : "",
                       metric_rows[i].key);
        sep = "";
        for (int age = 0; age < CRT_AGES; age++) {
            if (m[age].na == CRT_NA_UNDEFINED)
                continue;
            cli_str_printf(out, "%s\"%s\": ", sep,
                           crt_age_name((enum crt_age)age));
            if (m[age].na == CRT_OK)
                cli_str_printf(out, "%lld", (long long)m[age].value);
            else
                cli_str_printf(out, "null");
            sep = ", ";
        }
        cli_str_printf(out, "}");
    }
    cli_str_printf(out, "\n  },\n  \"not_available\": [");
    sep = "";
    for (size_t i = 0; i < N_METRICS; i++) {
        const struct crt_metric *m = metric_of(res, &metric_rows[i]);
        for (int age = 0; age < CRT_AGES; age++) {
            if (m[age].na == CRT_OK || m[age].na == CRT_NA_UNDEFINED)
                continue;
            cli_str_printf(out,
                           "%s\n    {\"metric\": \"%s\", \"age\": \"%s\", "
                           "\"why\": \"%s\"}",
                           sep, metric_rows[i].key,
                           crt_age_name((enum crt_age)age),
                           crt_na_name(m[age].na));
            sep = ",";
        }
    }
    cli_str_printf(out, "%s],\n  \"notes\": [", *sep ? "\n  " : "");
    sep = "";
    while (*notes != '\0') {
        const char *nl = strchr(notes, '\n');
        size_t n = nl != NULL ? (size_t)(nl - notes) : strlen(notes);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)n, notes);
        cli_str_printf(out, "%s\n    ", sep);
        json_string(out, line);
        sep = ",";
        notes += n + (nl != NULL);
    }
    cli_str_printf(out, "%s]\n}\n", *sep ? "\n  " : "");
}

static int cmd_crt(int argc, char **argv)
{
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"agency", required_argument, NULL, 'a'},
        {"period", required_argument, NULL, 'p'},
        {"cost", required_argument, NULL, 'c'},
        {"cost-per-case", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *agency = NULL, *period = NULL;
    bool json = false;
    struct crt_request rq = {.cost = CRT_COST_NONE};
    struct crt_result res;
    struct store_partner p;
    struct home h;
    struct store *s = NULL;
    struct cli_str notes = {0}, out = {0};
    char err[512];
    int c, status;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:a:p:c:r:jh", options, NULL)) !=
           -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'a':
            agency = optarg;
            break;
        case 'p':
            period = optarg;
            break;
        case 'c':
        case 'r':
            if (rq.cost != CRT_COST_NONE)
                return cli_usage_error(crt_cmd, "give --cost or "
                                                "--cost-per-case, not both");
            rq.cost = c == 'c' ? CRT_COST_TOTAL : CRT_COST_PER_CASE;
            if (parse_cents(optarg, &rq.cost_cents) < 0)
                return cli_usage_error(crt_cmd,
                                       "--%s takes whole cents (digits "
                                       "only): '%s'",
                                       c == 'c' ? "cost" : "cost-per-case",
                                       optarg);
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            crt_usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(crt_cmd, c, argv);
        }
    }
    if (agency == NULL || period == NULL || optind != argc)
        return cli_usage_error(crt_cmd, "give --agency NAME and --period "
                                        "YYYY-MM[..YYYY-MM]");
    if (crt_period_parse(period, &rq.period) < 0)
        return cli_usage_error(crt_cmd,
                               "--period takes YYYY-MM or YYYY-MM..YYYY-MM, "
                               "the end not before the start: '%s'",
                               period);
    if ((status = cli_home_open(crt_cmd, cli_home_dir(dir), &h, &s)) != 0)
        return status;
    status = CLI_EXIT_ERROR;
    if (store_partner_get(s, agency, &p) < 0) {
        cli_error(crt_cmd, "no partner '%s' (see 'offsetgw partner list')",
                  agency);
        goto out;
    }
    if (p.kind != PARTNER_AGENCY) {
        cli_error(crt_cmd, "'%s' is a %s, not an agency", agency,
                  partner_kind_name(p.kind));
        goto out;
    }
    rq.store = s;
    rq.agency_id = p.id;
    if (crt_compute(&rq, &res, err, sizeof(err)) < 0) {
        cli_error(crt_cmd, "%s: %s", agency, err);
        goto out;
    }
    crt_notes(&res, &notes);
    if (json) {
        crt_json(&out, agency, period, &res, cli_str_get(&notes));
        if (out.failed || notes.failed) {
            cli_error(crt_cmd, "out of memory");
            goto out;
        }
        fputs(cli_str_get(&out), stdout);
    } else {
        crt_table(agency, period, &res, &notes);
    }
    status = CLI_EXIT_OK;
out:
    cli_str_release(&notes);
    cli_str_release(&out);
    store_close(s);
    return cli_close_stdout(status);
}
