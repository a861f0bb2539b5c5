/*
 * pages.c - the admin console's pages and their JSON twins (pages.h).
 * Every value from the registry goes through html_text()/html_json();
 * free text (names, paths, messages) is masked as well.  No inline
 * script or style: the chart is SVG whose look is in the style sheet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "offsetgw/pages.h"
#include "offsetgw/transfer.h"
#include "offsetgw/views.h"

#define AUDIT_CHECK_MAX_AGE_S (2 * 24 * 3600)
#define CHART_DAYS 30

/* --- layout --------------------------------------------------------------- */

#define LINKS                                                                  \
    "<link rel=\"stylesheet\" href=\"/static/console.css\"><link "             \
    "rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">"

static void head(struct page_ctx *c, const char *title)
{
    struct html_buf *b = c->out;
    html_put(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                "charset=\"utf-8\"><title>");
    html_text(b, title, false);
    html_put(b, " - offsetgw</title>" LINKS "</head>\n<body><header><nav>"
                "<a href=\"/\">Dashboard</a> <a href=\"/transfers\">"
                "Transfers</a> <a href=\"/partners\">Partners</a> "
                "<a href=\"/audit\">Audit trail</a></nav>"
                "<form method=\"post\" action=\"/logout\" class=\"logout\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_text(b, c->csrf, false);
    html_put(b, "\"><span class=\"who\">");
    html_text(b, c->admin, true);
    html_put(b, "</span> <button type=\"submit\">Log out</button></form>"
                "</header>\n<main><h1>");
    html_text(b, title, false);
    html_put(b, "</h1>\n");
}

static void foot(struct page_ctx *c)
{
    html_put(c->out, "</main></body></html>\n");
}

/* A JSON member "NAME": TEXT, after a comma when not FIRST. */
static void jstr(struct html_buf *b, bool first, const char *name,
                 const char *text, bool mask)
{
    html_printf(b, "%s\"%s\":", first ? "" : ",", name);
    html_json(b, text, mask);
}

static void jnum(struct html_buf *b, bool first, const char *name, int64_t v)
{
    html_printf(b, "%s\"%s\":%lld", first ? "" : ",", name, (long long)v);
}

static void money(char *buf, size_t size, int64_t cents)
{
    int64_t a = cents < 0 ? -cents : cents;
    snprintf(buf, size, "%s%lld.%02lld", cents < 0 ? "-" : "",
             (long long)(a / 100), (long long)(a % 100));
}

void pages_error(struct page_ctx *c, int status, const char *message)
{
    struct html_buf *b = c->out;
    if (c->json) {
        html_put(b, "{");
        jnum(b, true, "status", status);
        jstr(b, false, "error", message, true);
        html_put(b, "}\n");
        return;
    }
    html_put(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                "charset=\"utf-8\"><title>offsetgw</title>" LINKS "</head>"
                "<body><main><h1>");
    html_printf(b, "%d", status);
    html_put(b, "</h1><p class=\"bad\">");
    html_text(b, message, true);
    html_put(b, "</p><p><a href=\"/\">Dashboard</a></p></main></body>"
                "</html>\n");
}

void pages_login(struct html_buf *b, const char *message, bool cert)
{
    html_put(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                "charset=\"utf-8\"><title>Log in - offsetgw</title>" LINKS
                "</head>\n"
                "<body><main class=\"login\"><h1>offsetgw console</h1>");
    if (message[0] != '\0') {
        html_put(b, "<p class=\"bad\">");
        html_text(b, message, true);
        html_put(b, "</p>");
    }
    html_put(b, "<form method=\"post\" action=\"/login\">"
                "<label>Name <input name=\"name\" autocomplete=\"username\" "
                "required maxlength=\"32\"></label>"
                "<label>Password <input name=\"password\" type=\"password\" "
                "autocomplete=\"current-password\" required "
                "maxlength=\"256\"></label>"
                "<button type=\"submit\">Log in</button></form>");
    if (cert)
        html_put(b, "<form method=\"post\" action=\"/login/cert\">"
                    "<button type=\"submit\">Log in with my certificate"
                    "</button></form>");
    html_put(b, "</main></body></html>\n");
}

/* --- the audit check ------------------------------------------------------ */

/* "2026-11-26T08:00:00Z" at the start of P as seconds since 1970; -1
 * when it is not that. */
static time_t parse_at(const char *p)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    int v[6] = {0}, k = 0;
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd') {
            if (p[i] < '0' || p[i] > '9')
                return -1;
            v[k] = v[k] * 10 + (p[i] - '0');
        } else if (p[i] != shape[i])
            return -1;
        else
            k++;
    }
    struct tm tm = {.tm_year = v[0] - 1900,
                    .tm_mon = v[1] - 1,
                    .tm_mday = v[2],
                    .tm_hour = v[3],
                    .tm_min = v[4],
                    .tm_sec = v[5]};
    return timegm(&tm);
}

bool pages_audit_check(const struct home *h, time_t now, char *what,
                       size_t size)
{
    char path[HOME_PATH_MAX + 32], line[400];
    snprintf(path, sizeof(path), "%s/var/audit.check", h->root);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(what, size, "no check yet (var/audit.check missing)");
        return false;
    }
    bool got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    time_t at = got ? parse_at(line) : -1;
    if (at < 0) {
        snprintf(what, size, "unreadable check: %s", got ? line : "empty");
        return false;
    }
    bool ok = strncmp(line + 20, " ok ", 4) == 0;
    if (ok && now - at > AUDIT_CHECK_MAX_AGE_S) {
        snprintf(what, size, "stale: last check %s", line);
        return false;
    }
    snprintf(what, size, "%s", line);
    return ok;
}

/* --- the dashboard -------------------------------------------------------- */

struct today {
    const char *day;
    int64_t n, failed;
    struct page_ctx *c;
    int64_t shown;
};

static bool transfer_failed(const struct transfer_row *t)
{
    return t->status != 0 || (t->kind[0] == 'u' && !t->complete) ||
           strcmp(t->queue_state, "failed") == 0;
}

static int count_today(const struct transfer_row *t, void *ctx)
{
    struct today *d = ctx;
    if (strncmp(t->at, d->day, 10) < 0)
        return 1;
    d->n++;
    d->failed += transfer_failed(t);
    return 0;
}

struct chart {
    char day[CHART_DAYS][11];
    int64_t files[CHART_DAYS], records[CHART_DAYS];
};

static int chart_day(const char *day, int64_t files, int64_t records, void *ctx)
{
    struct chart *ch = ctx;
    for (int i = 0; i < CHART_DAYS; i++)
        if (strncmp(ch->day[i], day, 10) == 0) {
            ch->files[i] = files;
            ch->records[i] = records;
        }
    return 0;
}

static void chart_svg(struct html_buf *b, const struct chart *ch,
                      const int64_t *v, const char *what)
{
    int64_t max = 1;
    for (int i = 0; i < CHART_DAYS; i++)
        if (v[i] > max)
            max = v[i];
    html_printf(b,
                "<figure><svg class=\"chart\" viewBox=\"0 0 %d 110\" "
                "role=\"img\" aria-label=\"%s per day\">",
                CHART_DAYS * 20, what);
    for (int i = 0; i < CHART_DAYS; i++) {
        int h = (int)(v[i] * 100 / max);
        html_printf(b,
                    "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"16\" "
                    "height=\"%d\"><title>%s: %lld %s</title></rect>",
                    i * 20 + 2, 100 - h, h, ch->day[i], (long long)v[i], what);
    }
    html_printf(b,
                "<line class=\"axis\" x1=\"0\" y1=\"100.5\" x2=\"%d\" "
                "y2=\"100.5\"/></svg><figcaption>%s per day, %s to %s "
                "(most: %lld)</figcaption></figure>",
                CHART_DAYS * 20, what, ch->day[0], ch->day[CHART_DAYS - 1],
                (long long)max);
}

static void file_row_html(struct html_buf *b, const struct views_file *f)
{
    char amount[32];
    money(amount, sizeof(amount), f->amount_cents);
    html_printf(b, "<tr><td><a href=\"/files/%lld\">", (long long)f->id);
    html_text(b, f->name, true);
    html_put(b, "</a></td><td>");
    html_text(b, f->partner, true);
    html_put(b, "</td><td>");
    html_text(b, f->received_at, false);
    html_put(b, "</td><td class=\"st-");
    html_text(b, f->status, false);
    html_put(b, "\">");
    html_text(b, f->status, false);
    html_printf(b,
                "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                "<td class=\"num\">%lld</td><td class=\"num\">%s</td>"
                "<td class=\"sha\">",
                (long long)f->records, (long long)f->accepted,
                (long long)f->rejected, amount);
    html_text(b, f->sha256, false);
    html_put(b, "</td></tr>\n");
}

static void file_json(struct html_buf *b, const struct views_file *f)
{
    html_put(b, "{");
    jnum(b, true, "id", f->id);
    jstr(b, false, "partner", f->partner, true);
    jstr(b, false, "name", f->name, true);
    jstr(b, false, "direction", f->outbound ? "outbound" : "inbound", false);
    jstr(b, false, "exchange", f->exchange, false);
    jstr(b, false, "status", f->status, false);
    jnum(b, false, "records", f->records);
    jnum(b, false, "accepted", f->accepted);
    jnum(b, false, "rejected", f->rejected);
    jnum(b, false, "amount_cents", f->amount_cents);
    jstr(b, false, "error", f->error, true);
    jstr(b, false, "sha256", f->sha256, false);
    jstr(b, false, "received_at", f->received_at, false);
    if (f->made_from > 0)
        jnum(b, false, "made_from", f->made_from);
    if (f->outbound) {
        const char *base = strrchr(f->path, '/');
        jstr(b, false, "delivered_as", base ? base + 1 : f->path, true);
        html_printf(b, ",\"delivered\":%s", f->delivered ? "true" : "false");
    }
    html_put(b, "}");
}

struct files_ctx {
    struct page_ctx *c;
    int64_t n;
};

static int recent_file(const struct views_file *f, void *ctx)
{
    struct files_ctx *fc = ctx;
    if (fc->c->json) {
        if (fc->n > 0)
            html_put(fc->c->out, ",");
        file_json(fc->c->out, f);
    } else
        file_row_html(fc->c->out, f);
    fc->n++;
    return 0;
}

static const char file_head[] =
    "<table><thead><tr><th>file</th><th>partner</th><th>received</th>"
    "<th>status</th><th>records</th><th>accepted</th><th>rejected</th>"
    "<th>amount</th><th>SHA-256</th></tr></thead><tbody>\n";

struct cycles_ctx {
    struct page_ctx *c;
    int64_t n;
};

static int last_cycle(const struct store_partner *p, void *ctx)
{
    struct cycles_ctx *cc = ctx;
    struct html_buf *b = cc->c->out;
    struct store_cycle cy;
    if (p->kind != PARTNER_TAXBOARD && p->kind != PARTNER_TREASURY)
        return 0;
    int rc = store_cycle_last(cc->c->s, p->id, &cy);
    if (rc < 0 && rc != -ENOENT)
        return rc;
    if (cc->c->json) {
        html_put(b, cc->n++ > 0 ? ",{" : "{");
        jstr(b, true, "partner", p->name, true);
        if (rc == 0) {
            jnum(b, false, "cycle", cy.id);
            jnum(b, false, "records", cy.records);
            jnum(b, false, "file", cy.file_id);
        }
        html_put(b, "}");
        return 0;
    }
    html_put(b, "<tr><td>");
    html_text(b, p->name, true);
    if (rc == -ENOENT)
        html_put(b, "</td><td colspan=\"3\">none yet</td></tr>\n");
    else
        html_printf(b,
                    "</td><td class=\"num\">%lld</td><td class=\"num\">"
                    "%lld</td><td><a href=\"/files/%lld\">file %lld</a></td>"
                    "</tr>\n",
                    (long long)cy.id, (long long)cy.records,
                    (long long)cy.file_id, (long long)cy.file_id);
    return 0;
}

struct failures_ctx {
    struct page_ctx *c;
    int64_t n, max;
};

static void transfer_html(struct page_ctx *c, const struct transfer_row *t);
static void transfer_json(struct page_ctx *c, const struct transfer_row *t);

static int failure(const struct transfer_row *t, void *ctx)
{
    struct failures_ctx *fc = ctx;
    if (fc->n >= fc->max)
        return 1;
    if (fc->c->json) {
        if (fc->n > 0)
            html_put(fc->c->out, ",");
        transfer_json(fc->c, t);
    } else
        transfer_html(fc->c, t);
    fc->n++;
    return 0;
}

static const char transfer_head[] =
    "<table><thead><tr><th>at</th><th>partner</th><th>kind</th>"
    "<th>path</th><th>bytes</th><th>answer</th><th>job</th>"
    "<th>result</th><th>SHA-256</th></tr></thead><tbody>\n";

int pages_dashboard(struct page_ctx *c)
{
    struct html_buf *b = c->out;
    char today[11], check[400];
    struct tm tm;
    struct chart ch;
    int64_t q[4];
    int rc;
    memset(&ch, 0, sizeof(ch));
    gmtime_r(&c->now, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    for (int i = 0; i < CHART_DAYS; i++) {
        time_t t = c->now - (time_t)(CHART_DAYS - 1 - i) * 86400;
        gmtime_r(&t, &tm);
        strftime(ch.day[i], sizeof(ch.day[i]), "%Y-%m-%d", &tm);
    }
    struct today td = {.day = today, .c = c};
    struct transfer_filter tf = {.since = today};
    bool audit_ok = pages_audit_check(c->h, c->now, check, sizeof(check));
    if ((rc = transfer_list(c->s, &tf, count_today, &td)) < 0 ||
        (rc = transfer_queue_counts(c->s, q)) < 0 ||
        (rc = views_files_per_day(c->s, ch.day[0], chart_day, &ch)) < 0)
        return rc;
    struct files_ctx fc = {.c = c};
    struct cycles_ctx cc = {.c = c};
    struct failures_ctx xc = {.c = c, .max = 10};
    struct transfer_filter ff = {.failed_only = true, .limit = 10};
    if (c->json) {
        html_put(b, "{\"audit\":{");
        html_printf(b, "\"ok\":%s", audit_ok ? "true" : "false");
        jstr(b, false, "check", check, true);
        html_put(b, "},\"today\":{");
        jstr(b, true, "day", today, false);
        jnum(b, false, "transfers", td.n);
        jnum(b, false, "failed", td.failed);
        html_put(b, "},\"queue\":{");
        jnum(b, true, "queued", q[JOB_QUEUED]);
        jnum(b, false, "running", q[JOB_RUNNING]);
        jnum(b, false, "done", q[JOB_DONE]);
        jnum(b, false, "failed", q[JOB_FAILED]);
        html_put(b, "},\"per_day\":[");
        for (int i = 0; i < CHART_DAYS; i++) {
            html_put(b, i ? ",{" : "{");
            jstr(b, true, "day", ch.day[i], false);
            jnum(b, false, "files", ch.files[i]);
            jnum(b, false, "records", ch.records[i]);
            html_put(b, "}");
        }
        html_put(b, "],\"last_cycles\":[");
        if ((rc = store_partner_each(c->s, last_cycle, &cc)) < 0)
            return rc;
        html_put(b, "],\"failures\":[");
        if ((rc = transfer_list(c->s, &ff, failure, &xc)) < 0)
            return rc;
        html_put(b, "],\"recent_files\":[");
        if ((rc = views_files_recent(c->s, 20, 0, recent_file, &fc)) < 0)
            return rc;
        html_put(b, "]}\n");
        return 0;
    }
    head(c, "Dashboard");
    html_printf(b,
                "<section class=\"cards\"><div class=\"card %s\"><h2>"
                "Audit chain</h2><p>",
                audit_ok ? "good" : "bad");
    html_put(b, audit_ok ? "intact" : "FAILING");
    html_put(b, "</p><p class=\"small\">");
    html_text(b, check, true);
    html_printf(b,
                "</p></div><div class=\"card\"><h2>Transfers today</h2>"
                "<p>%lld</p><p class=\"small\">%s, %lld failed</p></div>"
                "<div class=\"card%s\"><h2>Upload queue</h2><p>%lld queued, "
                "%lld running</p><p class=\"small\">%lld done, %lld failed"
                "</p></div></section>\n",
                (long long)td.n, today, (long long)td.failed,
                q[JOB_FAILED] > 0 ? " warn" : "", (long long)q[JOB_QUEUED],
                (long long)q[JOB_RUNNING], (long long)q[JOB_DONE],
                (long long)q[JOB_FAILED]);
    html_put(b, "<h2>Inbound files and records, last 30 days</h2>"
                "<div class=\"charts\">");
    chart_svg(b, &ch, ch.files, "files");
    chart_svg(b, &ch, ch.records, "records");
    html_put(b, "</div><h2>Recent files</h2>");
    html_put(b, file_head);
    if ((rc = views_files_recent(c->s, 20, 0, recent_file, &fc)) < 0)
        return rc;
    html_put(b, "</tbody></table>\n<h2>Last cycle per partner</h2><table>"
                "<thead><tr><th>partner</th><th>cycle</th><th>records</th>"
                "<th>file</th></tr></thead><tbody>\n");
    if ((rc = store_partner_each(c->s, last_cycle, &cc)) < 0)
        return rc;
    html_put(b, "</tbody></table>\n<h2>Recent failures</h2>");
    html_put(b, transfer_head);
    if ((rc = transfer_list(c->s, &ff, failure, &xc)) < 0)
        return rc;
    html_put(b, "</tbody></table>\n");
    foot(c);
    return 0;
}

/* --- transfers ------------------------------------------------------------ */

static int64_t job_file(struct page_ctx *c, const struct transfer_row *t)
{
    int64_t file_id = 0;
    if (t->queue_id > 0 && transfer_queue_file(c->s, t->queue_id, &file_id) < 0)
        file_id = 0;
    return file_id;
}

static void transfer_html(struct page_ctx *c, const struct transfer_row *t)
{
    struct html_buf *b = c->out;
    int64_t file_id = job_file(c, t);
    html_put(b, transfer_failed(t) ? "<tr class=\"failed\"><td>" : "<tr><td>");
    html_text(b, t->at, false);
    html_put(b, "</td><td>");
    html_text(b, t->partner, true);
    html_put(b, "</td><td>");
    html_text(b, t->kind, false);
    html_put(b, "</td><td>");
    html_text(b, t->path, true);
    if (t->to_path[0]) {
        html_put(b, " &rarr; ");
        html_text(b, t->to_path, true);
    }
    html_printf(b, "</td><td class=\"num\">%lld</td><td>%s",
                (long long)t->bytes, t->status == 0 ? "ok" : "refused");
    if (t->message[0]) {
        html_put(b, ": ");
        html_text(b, t->message, true);
    }
    html_put(b, "</td><td>");
    if (t->queue_id > 0) {
        html_printf(b, "%lld ", (long long)t->queue_id);
        html_text(b, t->queue_state, false);
    }
    html_put(b, "</td><td>");
    if (file_id > 0)
        html_printf(b, "<a href=\"/files/%lld\">file %lld</a> ",
                    (long long)file_id, (long long)file_id);
    html_text(b, t->result, true);
    html_put(b, "</td><td class=\"sha\">");
    html_text(b, t->sha256, false);
    html_put(b, "</td></tr>\n");
}

static void transfer_json(struct page_ctx *c, const struct transfer_row *t)
{
    struct html_buf *b = c->out;
    html_put(b, "{");
    jnum(b, true, "id", t->id);
    jstr(b, false, "at", t->at, false);
    jstr(b, false, "partner", t->partner, true);
    jstr(b, false, "kind", t->kind, false);
    jstr(b, false, "path", t->path, true);
    jstr(b, false, "to_path", t->to_path, true);
    jnum(b, false, "bytes", t->bytes);
    jnum(b, false, "ms", t->duration_ms);
    jstr(b, false, "sha256", t->sha256, false);
    jnum(b, false, "status", t->status);
    html_printf(b, ",\"complete\":%s,\"failed\":%s",
                t->complete ? "true" : "false",
                transfer_failed(t) ? "true" : "false");
    jstr(b, false, "message", t->message, true);
    jnum(b, false, "job", t->queue_id);
    jstr(b, false, "job_state", t->queue_state, false);
    jstr(b, false, "result", t->result, true);
    jnum(b, false, "file", job_file(c, t));
    html_put(b, "}");
}

struct transfers_ctx {
    struct page_ctx *c;
    const struct pages_transfer_query *q;
    int64_t skip, n, more;
};

static int transfer_row(const struct transfer_row *t, void *ctx)
{
    struct transfers_ctx *tc = ctx;
    if (tc->q->day[0] != '\0') {
        int cmp = strncmp(t->at, tc->q->day, 10);
        if (cmp > 0)
            return 0; /* a later day */
        if (cmp < 0)
            return 1; /* newest first: the day is behind */
    }
    if (tc->q->status == QUERY_OK && transfer_failed(t))
        return 0;
    if (tc->skip > 0) {
        tc->skip--;
        return 0;
    }
    if (tc->n >= QUERY_PAGE_SIZE) {
        tc->more = 1;
        return 1;
    }
    if (tc->c->json) {
        if (tc->n > 0)
            html_put(tc->c->out, ",");
        transfer_json(tc->c, t);
    } else
        transfer_html(tc->c, t);
    tc->n++;
    return 0;
}

/* "?partner=P&day=D&status=S&page=N" for a link to page PAGE. */
static void transfers_link(struct html_buf *b,
                           const struct pages_transfer_query *q, int64_t page)
{
    static const char *const st[] = {"all", "ok", "failed"};
    html_put(b, "/transfers?partner=");
    html_text(b, q->partner, false);
    html_put(b, "&amp;day=");
    html_text(b, q->day, false);
    html_printf(b, "&amp;status=%s&amp;page=%lld", st[q->status],
                (long long)page);
}

int pages_transfers(struct page_ctx *c, const struct pages_transfer_query *q)
{
    struct html_buf *b = c->out;
    struct transfer_filter f = {.failed_only = q->status == QUERY_FAILED};
    struct transfers_ctx tc = {
        .c = c, .q = q, .skip = (q->page - 1) * QUERY_PAGE_SIZE};
    char since[24];
    int rc;
    if (q->partner[0] != '\0') {
        struct store_partner p;
        if (store_partner_get(c->s, q->partner, &p) < 0) {
            snprintf(c->message, sizeof(c->message), "no such partner");
            return -EINVAL;
        }
        f.partner_id = p.id;
    }
    if (q->day[0] != '\0') {
        snprintf(since, sizeof(since), "%s", q->day);
        f.since = since;
    }
    if (c->json) {
        html_printf(b, "{\"page\":%lld,\"page_size\":%d,\"transfers\":[",
                    (long long)q->page, QUERY_PAGE_SIZE);
        if ((rc = transfer_list(c->s, &f, transfer_row, &tc)) < 0)
            return rc;
        html_printf(b, "],\"more\":%s}\n", tc.more ? "true" : "false");
        return 0;
    }
    head(c, "Transfers");
    html_put(b, "<form method=\"get\" action=\"/transfers\" class=\"filter\">"
                "<label>Partner <input name=\"partner\" value=\"");
    html_text(b, q->partner, false);
    html_put(b, "\"></label><label>Day <input name=\"day\" type=\"date\" "
                "value=\"");
    html_text(b, q->day, false);
    html_put(b, "\"></label><label>Status <select name=\"status\">");
    static const char *const st[] = {"all", "ok", "failed"};
    for (int i = 0; i < 3; i++)
        html_printf(b, "<option%s>%s</option>",
                    (int)q->status == i ? " selected" : "", st[i]);
    html_put(b, "</select></label><button type=\"submit\">Show</button>"
                "</form>\n");
    html_put(b, transfer_head);
    if ((rc = transfer_list(c->s, &f, transfer_row, &tc)) < 0)
        return rc;
    html_put(b, "</tbody></table>\n<p class=\"pager\">");
    if (q->page > 1) {
        html_put(b, "<a href=\"");
        transfers_link(b, q, q->page - 1);
        html_put(b, "\">&larr; newer</a> ");
    }
    html_printf(b, "page %lld", (long long)q->page);
    if (tc.more) {
        html_put(b, " <a href=\"");
        transfers_link(b, q, q->page + 1);
        html_put(b, "\">older &rarr;</a>");
    }
    html_put(b, "</p>\n");
    foot(c);
    return 0;
}

/* --- one file ------------------------------------------------------------- */

static int output_row(const struct views_file *f, void *ctx)
{
    struct files_ctx *fc = ctx;
    struct html_buf *b = fc->c->out;
    if (fc->c->json) {
        if (fc->n++ > 0)
            html_put(b, ",");
        file_json(b, f);
        return 0;
    }
    const char *base = strrchr(f->path, '/');
    html_printf(b, "<tr><td><a href=\"/files/%lld\">", (long long)f->id);
    html_text(b, f->name, true);
    html_put(b, "</a></td><td>");
    html_text(b, f->exchange, false);
    html_put(b, "</td><td>");
    html_text(b, f->status, false);
    html_printf(b, "</td><td class=\"num\">%lld</td><td>",
                (long long)f->records);
    html_text(b, base ? base + 1 : f->path, true);
    html_put(b, f->delivered ? " (delivered)" : " (pending)");
    html_put(b, "</td><td class=\"sha\">");
    html_text(b, f->sha256, false);
    html_put(b, "</td></tr>\n");
    fc->n++;
    return 0;
}

static int reject_row(const char *code, int64_t n, void *ctx)
{
    struct files_ctx *fc = ctx;
    struct html_buf *b = fc->c->out;
    if (fc->c->json) {
        html_put(b, fc->n++ > 0 ? ",{" : "{");
        jstr(b, true, "code", code, false);
        jnum(b, false, "records", n);
        html_put(b, "}");
        return 0;
    }
    html_put(b, "<tr><td class=\"code\">");
    html_text(b, code, false);
    html_printf(b, "</td><td class=\"num\">%lld</td></tr>\n", (long long)n);
    fc->n++;
    return 0;
}

int pages_file(struct page_ctx *c, int64_t id)
{
    struct html_buf *b = c->out;
    struct views_file f;
    struct files_ctx fc = {.c = c};
    char amount[32];
    int rc = views_file_get(c->s, id, &f);
    if (rc == -ENOENT)
        snprintf(c->message, sizeof(c->message), "no file %lld", (long long)id);
    if (rc < 0)
        return rc;
    if (c->json) {
        html_put(b, "{\"file\":");
        file_json(b, &f);
        html_put(b, ",\"rejects\":[");
        if ((rc = store_file_rejects_each(c->s, id, reject_row, &fc)) < 0)
            return rc;
        fc.n = 0;
        html_put(b, "],\"outputs\":[");
        if ((rc = views_file_outputs(c->s, id, output_row, &fc)) < 0)
            return rc;
        html_put(b, "]}\n");
        return 0;
    }
    money(amount, sizeof(amount), f.amount_cents);
    head(c, "File");
    html_put(b, "<dl class=\"file\"><dt>name</dt><dd class=\"name\">");
    html_text(b, f.name, true);
    html_put(b, "</dd><dt>partner</dt><dd>");
    html_text(b, f.partner, true);
    html_printf(b, "</dd><dt>direction</dt><dd>%s</dd><dt>exchange</dt><dd>",
                f.outbound ? "outbound" : "inbound");
    html_text(b, f.exchange, false);
    html_put(b, "</dd><dt>received</dt><dd>");
    html_text(b, f.received_at, false);
    html_put(b, "</dd><dt>status</dt><dd>");
    html_text(b, f.status, false);
    html_printf(b,
                "</dd><dt>records</dt><dd>%lld</dd><dt>accepted</dt>"
                "<dd>%lld</dd><dt>rejected</dt><dd>%lld</dd><dt>amount</dt>"
                "<dd>%s</dd>",
                (long long)f.records, (long long)f.accepted,
                (long long)f.rejected, amount);
    if (f.error[0]) {
        html_put(b, "<dt>error</dt><dd class=\"bad\">");
        html_text(b, f.error, true);
        html_put(b, "</dd>");
    }
    if (f.made_from > 0)
        html_printf(b,
                    "<dt>answers</dt><dd><a href=\"/files/%lld\">file %lld"
                    "</a></dd>",
                    (long long)f.made_from, (long long)f.made_from);
    html_put(b, "<dt>SHA-256</dt><dd class=\"sha\" id=\"sha256\">");
    html_text(b, f.sha256, false);
    html_put(b, "</dd></dl>\n");
    if (f.rejected > 0) {
        html_put(b, "<h2>Rejected records by code</h2><table id=\"rejects\">"
                    "<thead><tr><th>code</th><th>records</th></tr></thead>"
                    "<tbody>\n");
        if ((rc = store_file_rejects_each(c->s, id, reject_row, &fc)) < 0)
            return rc;
        if (fc.n == 0) /* answered before the codes were counted */
            html_put(b, "<tr><td colspan=\"2\">not counted</td></tr>\n");
        html_put(b, "</tbody></table>\n");
        fc.n = 0;
    }
    html_put(b, "<h2>Outputs it produced</h2><table><thead><tr>"
                "<th>file</th><th>exchange</th><th>status</th>"
                "<th>records</th><th>delivered as</th><th>SHA-256</th></tr>"
                "</thead><tbody>\n");
    if ((rc = views_file_outputs(c->s, id, output_row, &fc)) < 0)
        return rc;
    if (fc.n == 0)
        html_put(b, "<tr><td colspan=\"6\">none</td></tr>\n");
    html_put(b, "</tbody></table>\n");
    foot(c);
    return 0;
}

/* --- partners ------------------------------------------------------------- */

struct keys_ctx {
    struct page_ctx *c;
    int64_t n;
};

static int key_row(const struct transfer_key *k, void *ctx)
{
    struct keys_ctx *kc = ctx;
    struct html_buf *b = kc->c->out;
    if (kc->c->json) {
        html_put(b, kc->n++ > 0 ? ",{" : "{");
        jstr(b, true, "type", k->key.type, false);
        jstr(b, false, "fingerprint", k->key.fingerprint, false);
        jstr(b, false, "added_at", k->added_at, false);
        html_put(b, "}");
        return 0;
    }
    html_put(b, "<li><code>");
    html_text(b, k->key.fingerprint, false);
    html_put(b, "</code> ");
    html_text(b, k->key.type, false);
    html_put(b, "</li>");
    kc->n++;
    return 0;
}

static int partner_row(const struct store_partner *p, void *ctx)
{
    struct keys_ctx *pc = ctx;
    struct page_ctx *c = pc->c;
    struct html_buf *b = c->out;
    struct keys_ctx kc = {.c = c};
    char login[24];
    int rc = views_last_login(c->s, p->id, login);
    if (rc < 0)
        return rc;
    if (c->json) {
        html_put(b, pc->n++ > 0 ? ",{" : "{");
        jstr(b, true, "name", p->name, true);
        jstr(b, false, "kind", partner_kind_name(p->kind), false);
        jstr(b, false, "program", p->program, false);
        html_printf(b, ",\"enabled\":%s", p->enabled ? "true" : "false");
        jstr(b, false, "last_login", login, false);
        html_put(b, ",\"keys\":[");
        if ((rc = transfer_key_list(c->s, p->id, key_row, &kc)) < 0)
            return rc;
        html_put(b, "]}");
        return 0;
    }
    html_put(b, "<tr><td>");
    html_text(b, p->name, true);
    html_put(b, "</td><td>");
    html_text(b, partner_kind_name(p->kind), false);
    html_put(b, "</td><td>");
    html_text(b, p->program, false);
    html_printf(b, "</td><td class=\"%s\">%s</td><td>",
                p->enabled ? "good" : "bad",
                p->enabled ? "enabled" : "disabled");
    html_text(b, login[0] ? login : "never", false);
    html_put(b, "</td><td><ul class=\"keys\">");
    if ((rc = transfer_key_list(c->s, p->id, key_row, &kc)) < 0)
        return rc;
    html_printf(b,
                "</ul></td><td><form method=\"post\" "
                "action=\"/partners/%s\"><input type=\"hidden\" "
                "name=\"csrf\" value=\"",
                p->enabled ? "disable" : "enable");
    html_text(b, c->csrf, false);
    html_put(b, "\"><input type=\"hidden\" name=\"name\" value=\"");
    html_text(b, p->name, false);
    html_printf(b, "\"><button type=\"submit\">%s</button></form></td></tr>\n",
                p->enabled ? "Disable" : "Enable");
    pc->n++;
    return 0;
}

int pages_partners(struct page_ctx *c)
{
    struct html_buf *b = c->out;
    struct keys_ctx pc = {.c = c};
    int rc;
    if (c->json) {
        html_put(b, "{\"partners\":[");
        if ((rc = store_partner_each(c->s, partner_row, &pc)) < 0)
            return rc;
        html_put(b, "]}\n");
        return 0;
    }
    head(c, "Partners");
    html_put(b, "<table><thead><tr><th>partner</th><th>kind</th>"
                "<th>program</th><th>state</th><th>last login</th>"
                "<th>keys</th><th></th></tr></thead><tbody>\n");
    if ((rc = store_partner_each(c->s, partner_row, &pc)) < 0)
        return rc;
    html_put(b, "</tbody></table>\n");
    foot(c);
    return 0;
}

/* --- the audit trail ------------------------------------------------------ */

static int audit_row(const struct store_audit_row *r, void *ctx)
{
    struct keys_ctx *ac = ctx;
    struct html_buf *b = ac->c->out;
    if (ac->c->json) {
        html_put(b, ac->n++ > 0 ? ",{" : "{");
        jnum(b, true, "seq", r->seq);
        jstr(b, false, "at", r->at, false);
        jstr(b, false, "actor", r->actor, true);
        jstr(b, false, "action", r->action, true);
        jstr(b, false, "subject", r->subject, true);
        jstr(b, false, "detail", r->detail, true);
        html_put(b, "}");
        return 0;
    }
    html_printf(b, "<tr><td class=\"num\">%lld</td><td>", (long long)r->seq);
    html_text(b, r->at, false);
    html_put(b, "</td><td>");
    html_text(b, r->actor, true);
    html_put(b, "</td><td>");
    html_text(b, r->action, true);
    html_put(b, "</td><td>");
    html_text(b, r->subject, true);
    html_put(b, "</td><td>");
    html_text(b, r->detail, true);
    html_put(b, "</td></tr>\n");
    ac->n++;
    return 0;
}

int pages_audit(struct page_ctx *c, int64_t page)
{
    struct html_buf *b = c->out;
    struct keys_ctx ac = {.c = c};
    int64_t total = 0;
    int rc;
    int64_t offset = (page - 1) * QUERY_PAGE_SIZE;
    if (c->json) {
        html_printf(b, "{\"page\":%lld,\"page_size\":%d,\"rows\":[",
                    (long long)page, QUERY_PAGE_SIZE);
        if ((rc = views_audit_page(c->s, QUERY_PAGE_SIZE, offset, &total,
                                   audit_row, &ac)) < 0)
            return rc;
        html_printf(b, "],\"total\":%lld}\n", (long long)total);
        return 0;
    }
    head(c, "Audit trail");
    html_put(b, "<table><thead><tr><th>seq</th><th>at</th><th>actor</th>"
                "<th>action</th><th>subject</th><th>detail</th></tr>"
                "</thead><tbody>\n");
    if ((rc = views_audit_page(c->s, QUERY_PAGE_SIZE, offset, &total, audit_row,
                               &ac)) < 0)
        return rc;
    html_put(b, "</tbody></table>\n<p class=\"pager\">");
    if (page > 1)
        html_printf(b, "<a href=\"/audit?page=%lld\">&larr; newer</a> ",
                    (long long)(page - 1));
    html_printf(b, "page %lld of %lld rows", (long long)page, (long long)total);
    if (offset + QUERY_PAGE_SIZE < total)
        html_printf(b, " <a href=\"/audit?page=%lld\">older &rarr;</a>",
                    (long long)(page + 1));
    html_put(b, "</p>\n");
    foot(c);
    return 0;
}

/* --- the style sheet and the icon ---------------------------------------- */

const char *pages_icon(void)
{
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
           "<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#1d3557\"/>"
           "<rect x=\"3\" y=\"9\" width=\"2\" height=\"4\" fill=\"#fff\"/>"
           "<rect x=\"7\" y=\"6\" width=\"2\" height=\"7\" fill=\"#fff\"/>"
           "<rect x=\"11\" y=\"3\" width=\"2\" height=\"10\" fill=\"#fff\"/>"
           "</svg>\n";
}

const char *pages_css(void)
{
    return "body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;"
           "background:#f6f7f9}\n"
           "header{display:flex;justify-content:space-between;align-items:"
           "center;background:#1d3557;color:#fff;padding:.5em 1em}\n"
           "header a{color:#fff;margin-right:1em;text-decoration:none;"
           "font-weight:600}\n"
           "header .who{margin-right:.5em}\n"
           "main{padding:1em 1.5em;max-width:90em}\n"
           "main.login{max-width:24em;margin:4em auto;background:#fff;"
           "padding:2em;border-radius:6px}\n"
           "main.login label{display:block;margin:.8em 0}\n"
           "main.login input{display:block;width:100%;padding:.4em}\n"
           "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em}\n"
           "table{border-collapse:collapse;background:#fff;width:100%;"
           "font-size:.9em}\n"
           "th,td{border-bottom:1px solid #dde1e6;padding:.35em .5em;"
           "text-align:left;vertical-align:top}\n"
           "td.num{text-align:right}\n"
           ".sha,code{font-family:ui-monospace,monospace;font-size:.85em;"
           "word-break:break-all}\n"
           ".cards{display:flex;gap:1em;flex-wrap:wrap}\n"
           ".card{background:#fff;border-radius:6px;padding:.5em 1em;"
           "min-width:14em;border-left:6px solid #8d99ae}\n"
           ".card p{font-size:1.3em;margin:.3em 0}.card p.small,.small{"
           "font-size:.8em;color:#555}\n"
           ".card.good{border-left-color:#2a9d8f}.card.bad{border-left-color:"
           "#d62828}.card.warn{border-left-color:#f4a261}\n"
           ".good{color:#1e7b70}.bad{color:#b00020;font-weight:600}\n"
           "tr.failed td{background:#fdecea}\n"
           ".charts{display:flex;gap:2em;flex-wrap:wrap}\n"
           "figure{margin:0;background:#fff;padding:.5em;border-radius:6px}\n"
           "svg.chart{width:36em;height:8em}\n"
           "svg.chart .bar{fill:#457b9d}svg.chart .bar:hover{fill:#1d3557}\n"
           "svg.chart .axis{stroke:#555;stroke-width:1}\n"
           "figcaption{font-size:.8em;color:#555}\n"
           "dl.file{display:grid;grid-template-columns:10em 1fr;gap:.3em;"
           "background:#fff;padding:1em;border-radius:6px}\n"
           "dl.file dt{font-weight:600}dl.file dd{margin:0}\n"
           "ul.keys{margin:0;padding-left:1em}\n"
           "form.filter{display:flex;gap:1em;margin-bottom:1em;align-items:"
           "end}\n"
           "button{padding:.3em .8em;cursor:pointer}\n"
           ".pager{margin-top:1em}\n";
}
