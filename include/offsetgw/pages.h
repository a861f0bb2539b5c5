/*
 * pages.h - what the admin console shows: the dashboard, the transfers,
 * one file, the partners, the audit trail; each as a server-rendered
 * HTML page or as JSON for /api/, from the same queries; the login page
 * and the style sheet.
 *
 * Owns the content: every value from the registry goes through html.h's
 * escaping, free text masked so that no full SSN can show; no page has
 * inline script or style.  HTTP, sessions and the CSRF check are
 * console.c's; the token each form carries is given here.
 */
#ifndef OFFSETGW_PAGES_H
#define OFFSETGW_PAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "offsetgw/home.h"
#include "offsetgw/html.h"
#include "offsetgw/query.h"
#include "offsetgw/store.h"

struct page_ctx {
    struct store *s;
    const struct home *h;
    const char *admin; /* who is logged in */
    const char *csrf;  /* the session's token, for forms */
    time_t now;
    bool json; /* /api/: JSON, else HTML */
    struct html_buf *out;
    char message[160]; /* a failure's reason, for the error page */
};

struct pages_transfer_query {
    char partner[STORE_NAME_MAX]; /* "" all */
    char day[11];                 /* "" all */
    enum query_status status;
    int64_t page;
};

/* Each writes its page into C->OUT: 0; -ENOENT (404) or -EINVAL (400)
 * with C->MESSAGE; another negative on a registry error. */
int pages_dashboard(struct page_ctx *c);
int pages_transfers(struct page_ctx *c, const struct pages_transfer_query *q);
int pages_file(struct page_ctx *c, int64_t id);
int pages_partners(struct page_ctx *c);
int pages_audit(struct page_ctx *c, int64_t page);

/* An error page (or {"error": ...}) saying MESSAGE. */
void pages_error(struct page_ctx *c, int status, const char *message);

/* The login form, with MESSAGE ("" none) above it. */
/* CERT: offer the client-certificate login too. */
void pages_login(struct html_buf *out, const char *message, bool cert);

/* The console's one style sheet, and its icon (SVG). */
const char *pages_css(void);
const char *pages_icon(void);

/* The audit check of var/audit.check at NOW: true when it says "ok" and
 * is at most 2 days old; its words into WHAT (SIZE bytes). */
bool pages_audit_check(const struct home *h, time_t now, char *what,
                       size_t size);

#endif
