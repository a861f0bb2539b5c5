/*
 * console.c - the admin console's HTTP side (console.h): libmicrohttpd
 * over GnuTLS, routes, headers, logins, sessions, CSRF, state changes
 * and their audit events.  What pages say is pages.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "offsetgw/account.h"
#include "offsetgw/console.h"
#include "offsetgw/log.h"
#include "offsetgw/pages.h"
#include "offsetgw/query.h"
#include "offsetgw/session.h"
#include "offsetgw/store.h"
#include "offsetgw/tlscert.h"

#define BODY_MAX 8192

/* The console's state, used by MHD's one polling thread only. */
struct console {
    const struct console_config *cfg;
    struct store *s;
    struct session_table sessions;
    char *trust; /* the admins' client certificates (PEM); NULL: none */
    size_t trust_len;
};

/* One request: its body, gathered. */
struct request {
    char body[BODY_MAX];
    size_t len;
    bool too_big;
};

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}

int console_listen(const char *address, unsigned port, int *fd, unsigned *bound,
                   char *err, size_t err_size)
{
    struct sockaddr_storage sa;
    socklen_t len;
    int one = 1;
    memset(&sa, 0, sizeof(sa));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
    if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof(*in6);
    } else
        return fail(err, err_size, -EINVAL, "%s: not an IP address", address);
    int s = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return fail(err, err_size, -errno, "socket: %s", strerror(errno));
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&sa, len) < 0 || listen(s, 64) < 0) {
        int e = errno;
        close(s);
        return fail(err, err_size, -e, "listen on %s:%u: %s", address, port,
                    strerror(e));
    }
    len = sizeof(sa);
    if (getsockname(s, (struct sockaddr *)&sa, &len) < 0) {
        int e = errno;
        close(s);
        return fail(err, err_size, -e, "getsockname: %s", strerror(e));
    }
    *bound =
        sa.ss_family == AF_INET6 ? ntohs(in6->sin6_port) : ntohs(in4->sin_port);
    *fd = s;
    return 0;
}

/* --- responses ------------------------------------------------------------ */

static const char *const security_headers[][2] = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; "
     "img-src 'self'; connect-src 'self'; form-action 'self'; "
     "frame-ancestors 'none'; base-uri 'none'"},
    {"X-Frame-Options", "DENY"},
    {"Strict-Transport-Security", "max-age=31536000"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-store"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
};

/* Send BODY with STATUS, TYPE and the security headers; SET_COOKIE and
 * LOCATION when not NULL. */
static enum MHD_Result send_page(struct MHD_Connection *conn, unsigned status,
                                 const char *type, const char *body, size_t len,
                                 const char *set_cookie, const char *location)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    for (size_t i = 0; i < sizeof(security_headers) / sizeof(*security_headers);
         i++)
        MHD_add_response_header(r, security_headers[i][0],
                                security_headers[i][1]);
    MHD_add_response_header(r, "Content-Type", type);
    if (set_cookie != NULL)
        MHD_add_response_header(r, "Set-Cookie", set_cookie);
    if (location != NULL)
        MHD_add_response_header(r, "Location", location);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

#define TYPE_HTML "text/html; charset=utf-8"
#define TYPE_JSON "application/json"

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status,
                                bool json, struct html_buf *b)
{
    if (b->failed)
        return send_page(conn, 500, "text/plain", "page too large\n", 15, NULL,
                         NULL);
    return send_page(conn, status, json ? TYPE_JSON : TYPE_HTML, html_get(b),
                     b->len, NULL, NULL);
}

static enum MHD_Result redirect(struct MHD_Connection *conn, const char *to,
                                const char *set_cookie)
{
    return send_page(conn, 303, "text/plain", "", 0, set_cookie, to);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status,
                                  bool json, const char *message)
{
    struct html_buf b;
    struct page_ctx c = {.json = json, .out = &b};
    html_init(&b, 0);
    pages_error(&c, (int)status, message);
    enum MHD_Result ret = send_buf(conn, status, json, &b);
    html_release(&b);
    return ret;
}

/* --- audit ---------------------------------------------------------------- */

static void client_address(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "?");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                  (socklen_t)size);
}

/* ACTION by admin NAME in the trail; 0 or negative (logged). */
static int audit(struct console *con, const char *name, const char *action,
                 const char *subject, const char *detail)
{
    char actor[80], err[256];
    snprintf(actor, sizeof(actor), "admin:%s", name[0] ? name : "?");
    int rc = audit_append(con->cfg->home, con->s, con->cfg->audit, actor,
                          action, subject, detail, err, sizeof(err));
    if (rc < 0)
        log_event("event=error what=audit reason=%s", err);
    return rc;
}

/* --- logins --------------------------------------------------------------- */

/* NAME fit for a log line and an actor: a-z 0-9 - _ only, else "?". */
static const char *clean_name(const char *name, char *buf, size_t size)
{
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < size; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return "?";
        buf[i] = c;
    }
    buf[i] = '\0';
    return i > 0 && name[i] == '\0' ? buf : "?";
}

/* A POST from another site's page is refused: browsers say where it
 * came from in Sec-Fetch-Site, and in Origin unless the referrer policy
 * ("no-referrer", ours) makes that "null".  Clients that send neither
 * (curl) pass: the session cookie and the CSRF token still hold. */
static bool same_origin(struct MHD_Connection *conn)
{
    const char *site =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    const char *origin =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    if (site != NULL && strcmp(site, "same-origin") != 0 &&
        strcmp(site, "none") != 0)
        return false;
    if (origin == NULL || strcmp(origin, "null") == 0)
        return true;
    if (host == NULL || strncmp(origin, "https://", 8) != 0)
        return false;
    return strcmp(origin + 8, host) == 0;
}

/* Admin NAME is in (HOW says how): a session, its cookie, the trail. */
static enum MHD_Result start_session(struct console *con,
                                     struct MHD_Connection *conn,
                                     const char *name, const char *address,
                                     const char *how)
{
    struct session *sess;
    char cookie[SESSION_HEX + 100];
    if (session_create(&con->sessions, name, time(NULL), &sess) < 0)
        return send_error(conn, 500, false, "no random bytes");
    audit(con, name, "console-login", address, how);
    log_event("event=console-login admin=%s address=%s ok=1 with=%s", name,
              address, how[0] ? "certificate" : "password");
    snprintf(cookie, sizeof(cookie),
             CONSOLE_COOKIE "=%s; Secure; HttpOnly; SameSite=Strict; "
                            "Path=/",
             sess->id);
    return redirect(conn, "/", cookie);
}

/* The fingerprint of the client certificate CONN's TLS session presented
 * and GnuTLS verified against the admins' certificates (the trust list)
 * into FP; false when there is none that verifies. */
static bool client_cert(struct console *con, struct MHD_Connection *conn,
                        char fp[TLSCERT_FP_MAX])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    unsigned status = 0, n = 0;
    if (con->trust == NULL || ci == NULL || ci->tls_session == NULL)
        return false;
    gnutls_session_t tls = (gnutls_session_t)ci->tls_session;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(tls, &n);
    if (peers == NULL || n == 0 ||
        gnutls_certificate_verify_peers2(tls, &status) < 0 || status != 0)
        return false;
    return tlscert_fingerprint_der(peers[0].data, peers[0].size, fp) == 0;
}

/* POST /login/cert: log in as the admin whose certificate the client
 * presented.  No name or password; the lockout still holds. */
static enum MHD_Result do_login_cert(struct console *con,
                                     struct MHD_Connection *conn)
{
    char fp[TLSCERT_FP_MAX], name[STORE_NAME_MAX], err[256], address[64];
    enum account_verdict verdict = ACCOUNT_BAD;
    unsigned status = 401;
    const char *message = "no admin's certificate was presented";
    struct html_buf b;
    client_address(conn, address, sizeof(address));
    if (!same_origin(conn)) {
        status = 403;
        message = "cross-origin login refused";
    } else if (!client_cert(con, conn, fp)) {
        log_event("event=console-login address=%s ok=0 reason=no-certificate",
                  address);
    } else if (account_login_cert(con->s, fp, time(NULL), &verdict, name, err,
                                  sizeof(err)) < 0) {
        log_event("event=error what=login reason=%s", err);
        status = 500;
        message = "the registry could not be read";
    } else if (verdict == ACCOUNT_OK) {
        char how[TLSCERT_FP_MAX + 16];
        snprintf(how, sizeof(how), "certificate %s", fp);
        return start_session(con, conn, name, address, how);
    } else {
        bool locked = verdict == ACCOUNT_LOCKED;
        audit(con, locked ? name : "?", "console-login-failed", address,
              locked ? "locked" : fp);
        log_event("event=console-login address=%s ok=0 reason=%s", address,
                  locked ? "locked" : "unknown-certificate");
        if (locked) {
            status = 403;
            message = "too many failures: this account is locked for a while";
        } else
            message = "that certificate is no admin's";
    }
    html_init(&b, 0);
    pages_login(&b, message, con->trust != NULL);
    enum MHD_Result ret = send_buf(conn, status, false, &b);
    html_release(&b);
    return ret;
}

static enum MHD_Result do_login(struct console *con,
                                struct MHD_Connection *conn,
                                const struct request *rq)
{
    char name[64], password[300], err[256], shown[40], address[64];
    struct html_buf b;
    enum account_verdict verdict = ACCOUNT_BAD;
    time_t now = time(NULL), until = 0;
    unsigned status = 401;
    const char *message = "wrong name or password";
    client_address(conn, address, sizeof(address));
    html_init(&b, 0);
    if (!same_origin(conn)) {
        log_event("event=console-login address=%s ok=0 reason=cross-origin",
                  address);
        status = 403;
        message = "cross-origin login refused";
    } else if (query_form_get(rq->body, rq->len, "name", name, sizeof(name)) <
                   0 ||
               query_form_get(rq->body, rq->len, "password", password,
                              sizeof(password)) < 0) {
        status = 400;
        message = "give a name and a password";
    } else if (account_login(con->s, name, password, now, &verdict, &until, err,
                             sizeof(err)) < 0) {
        log_event("event=error what=login reason=%s", err);
        status = 500;
        message = "the registry could not be read";
    } else if (verdict == ACCOUNT_OK) {
        memset(password, 0, sizeof(password));
        html_release(&b);
        return start_session(con, conn, name, address, "");
    } else {
        bool locked = verdict == ACCOUNT_LOCKED;
        const char *who = clean_name(name, shown, sizeof(shown));
        audit(con, who, "console-login-failed", address,
              locked ? "locked" : "wrong name or password");
        log_event("event=console-login admin=%s address=%s ok=0 locked=%d", who,
                  address, locked ? 1 : 0);
        if (locked) {
            status = 403;
            message = "too many failures: this account is locked for a while";
        }
    }
    memset(password, 0, sizeof(password));
    pages_login(&b, message, con->trust != NULL);
    enum MHD_Result ret = send_buf(conn, status, false, &b);
    html_release(&b);
    return ret;
}

/* --- state changes -------------------------------------------------------- */

static enum MHD_Result set_partner(struct console *con,
                                   struct MHD_Connection *conn,
                                   const struct request *rq,
                                   struct session *sess, bool json, bool enable)
{
    char name[STORE_NAME_MAX];
    if (query_form_get(rq->body, rq->len, "name", name, sizeof(name)) < 0 ||
        !home_partner_name_ok(name))
        return send_error(conn, 400, json, "give a partner's name");
    int rc = store_partner_set_enabled(con->s, name, enable);
    if (rc == -ENOENT)
        return send_error(conn, 404, json, "no such partner");
    if (rc < 0)
        return send_error(conn, 500, json, "the registry could not be written");
    audit(con, sess->admin, enable ? "partner-enable" : "partner-disable", name,
          "console");
    if (enable)
        log_event("event=partner-enable partner=%s admin=%s", name,
                  sess->admin);
    else
        log_event("event=partner-disable partner=%s admin=%s", name,
                  sess->admin);
    if (!json)
        return redirect(conn, "/partners", NULL);
    char body[160];
    int n = snprintf(body, sizeof(body), "{\"partner\":\"%s\",\"enabled\":%s}",
                     name, enable ? "true" : "false");
    return send_page(conn, 200, TYPE_JSON, body, (size_t)n, NULL, NULL);
}

static enum MHD_Result do_post(struct console *con, struct MHD_Connection *conn,
                               const char *url, const struct request *rq,
                               struct session *sess)
{
    bool json = strncmp(url, "/api/", 5) == 0;
    const char *path = json ? url + 4 : url;
    char token[SESSION_HEX + 2] = "";
    const char *header =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
    if (header != NULL)
        snprintf(token, sizeof(token), "%s", header);
    else if (query_form_get(rq->body, rq->len, "csrf", token, sizeof(token)) <
             0)
        token[0] = '\0';
    if (!same_origin(conn) || !session_csrf_ok(sess, token)) {
        log_event("event=csrf-refused admin=%s", sess->admin);
        return send_error(conn, 403, json, "missing or wrong CSRF token");
    }
    if (strcmp(path, "/logout") == 0) {
        char who[64];
        snprintf(who, sizeof(who), "%s", sess->admin);
        session_end(&con->sessions, sess);
        audit(con, who, "console-logout", "", "");
        return redirect(conn, "/login",
                        CONSOLE_COOKIE "=; Secure; HttpOnly; SameSite=Strict; "
                                       "Path=/; Max-Age=0");
    }
    if (strcmp(path, "/partners/enable") == 0)
        return set_partner(con, conn, rq, sess, json, true);
    if (strcmp(path, "/partners/disable") == 0)
        return set_partner(con, conn, rq, sess, json, false);
    return send_error(conn, 404, json, "no such page");
}

/* --- pages ---------------------------------------------------------------- */

static const char *arg(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result do_get(struct console *con, struct MHD_Connection *conn,
                              const char *url, struct session *sess)
{
    bool json = strncmp(url, "/api/", 5) == 0;
    const char *path = json ? url + 4 : url;
    struct html_buf b;
    struct page_ctx c = {.s = con->s,
                         .h = con->cfg->home,
                         .admin = sess->admin,
                         .csrf = sess->csrf,
                         .now = time(NULL),
                         .json = json,
                         .out = &b};
    int rc = -ENOENT;
    html_init(&b, 0);
    snprintf(c.message, sizeof(c.message), "no such page");
    if (strcmp(path, "/") == 0 || strcmp(path, "/dashboard") == 0)
        rc = pages_dashboard(&c);
    else if (strcmp(path, "/transfers") == 0) {
        struct pages_transfer_query q = {0};
        const char *partner = arg(conn, "partner");
        rc = -EINVAL;
        if (query_page(arg(conn, "page"), &q.page) < 0)
            snprintf(c.message, sizeof(c.message), "bad page number");
        else if (query_day(arg(conn, "day"), q.day) < 0)
            snprintf(c.message, sizeof(c.message), "day takes YYYY-MM-DD");
        else if (query_status(arg(conn, "status"), &q.status) < 0)
            snprintf(c.message, sizeof(c.message),
                     "status takes all, ok or failed");
        else if (partner != NULL && partner[0] != '\0' &&
                 !home_partner_name_ok(partner))
            snprintf(c.message, sizeof(c.message), "bad partner name");
        else {
            snprintf(q.partner, sizeof(q.partner), "%s",
                     partner != NULL ? partner : "");
            rc = pages_transfers(&c, &q);
        }
    } else if (strncmp(path, "/files/", 7) == 0) {
        int64_t id;
        if (query_id(path + 7, &id) < 0) {
            rc = -EINVAL;
            snprintf(c.message, sizeof(c.message), "bad file id");
        } else
            rc = pages_file(&c, id);
    } else if (strcmp(path, "/partners") == 0)
        rc = pages_partners(&c);
    else if (strcmp(path, "/audit") == 0) {
        int64_t page;
        if (query_page(arg(conn, "page"), &page) < 0) {
            rc = -EINVAL;
            snprintf(c.message, sizeof(c.message), "bad page number");
        } else
            rc = pages_audit(&c, page);
    }
    enum MHD_Result ret;
    if (rc == 0)
        ret = send_buf(conn, 200, json, &b);
    else {
        unsigned status = rc == -ENOENT ? 404 : rc == -EINVAL ? 400 : 500;
        if (status == 500) {
            log_event("event=error what=page path=%s reason=%s",
                      json ? "api" : "page", store_error(con->s));
            snprintf(c.message, sizeof(c.message),
                     "the registry could not be read");
        }
        html_release(&b);
        html_init(&b, 0);
        pages_error(&c, (int)status, c.message);
        ret = send_buf(conn, status, json, &b);
    }
    html_release(&b);
    return ret;
}

/* --- dispatch ------------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct console *con = cls;
    struct request *rq = *req_cls;
    (void)version;
    if (rq == NULL) { /* the headers are in: set up for the body */
        if ((rq = calloc(1, sizeof(*rq))) == NULL)
            return MHD_NO;
        *req_cls = rq;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (rq->len + *upload_data_size >= sizeof(rq->body))
            rq->too_big = true;
        else {
            memcpy(rq->body + rq->len, upload_data, *upload_data_size);
            rq->len += *upload_data_size;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    bool post = strcmp(method, "POST") == 0;
    bool json = strncmp(url, "/api/", 5) == 0;
    if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(conn, 405, json, "method not allowed");
    if (rq->too_big)
        return send_error(conn, 413, json, "request too large");
    if (strcmp(url, "/static/console.css") == 0) {
        const char *css = pages_css();
        return send_page(conn, 200, "text/css; charset=utf-8", css, strlen(css),
                         NULL, NULL);
    }
    if (strcmp(url, "/static/favicon.svg") == 0 ||
        strcmp(url, "/favicon.ico") == 0) {
        const char *icon = pages_icon();
        return send_page(conn, 200, "image/svg+xml", icon, strlen(icon), NULL,
                         NULL);
    }
    if (strcmp(url, "/login/cert") == 0 && post)
        return do_login_cert(con, conn);
    if (strcmp(url, "/login") == 0) {
        if (post)
            return do_login(con, conn, rq);
        struct html_buf b;
        html_init(&b, 0);
        pages_login(&b, "", con->trust != NULL);
        enum MHD_Result ret = send_buf(conn, 200, false, &b);
        html_release(&b);
        return ret;
    }
    const char *cookie =
        MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, CONSOLE_COOKIE);
    struct session *sess = session_lookup(&con->sessions, cookie, time(NULL));
    if (sess == NULL)
        return json ? send_error(conn, 401, true, "login required")
                    : redirect(conn, "/login", NULL);
    return post ? do_post(con, conn, url, rq, sess)
                : do_get(con, conn, url, sess);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    if (*req_cls != NULL) /* a login's body holds a password */
        explicit_bzero(*req_cls, sizeof(struct request));
    free(*req_cls);
    *req_cls = NULL;
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    log_event("event=console-error reason=%s", line);
}

/* store_admin_certs()'s callback: append PEM to the trust list. */
static int add_trust(const char *pem, void *ctx)
{
    struct console *con = ctx;
    size_t n = strlen(pem);
    if (con->trust_len + n + 2 > TLSCERT_PEM_MAX)
        return -E2BIG;
    char *t = realloc(con->trust, con->trust_len + n + 2);
    if (t == NULL)
        return -ENOMEM;
    memcpy(t + con->trust_len, pem, n);
    con->trust_len += n;
    t[con->trust_len++] = '\n';
    t[con->trust_len] = '\0';
    con->trust = t;
    return 0;
}

int console_run(const struct console_config *cfg, volatile sig_atomic_t *stop,
                char *err, size_t err_size)
{
    static char crt[TLSCERT_PEM_MAX], key[TLSCERT_PEM_MAX];
    struct console *con = calloc(1, sizeof(*con));
    struct MHD_Daemon *d = NULL;
    int rc = 0;
    if (con == NULL)
        return fail(err, err_size, -ENOMEM, "out of memory");
    con->cfg = cfg;
    session_table_init(&con->sessions, cfg->idle_s, cfg->absolute_s);
    if ((rc = tlscert_load(cfg->home->keys, crt, key, err, err_size)) < 0)
        goto out;
    if ((rc = store_open_with(cfg->home->db, STORE_OPEN_UNCHECKED, &con->s, err,
                              err_size)) < 0)
        goto out;
    /* as serve's other processes: the worker holds the write lock for a
     * whole file's intake, and an admin's action must not lose its audit
     * row to sqlite's default 5 s */
    store_busy_ms(con->s, 60000);
    /* with admins' certificates registered, clients are asked for one */
    if ((rc = store_admin_certs(con->s, add_trust, con)) < 0) {
        rc = fail(err, err_size, rc, "admin certificates: %s",
                  rc == -E2BIG ? "too many" : store_error(con->s));
        goto out;
    }
    d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG |
            MHD_USE_ITC,
        0, NULL, NULL, on_request, con, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_error, NULL, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
        MHD_OPTION_HTTPS_MEM_CERT, crt, MHD_OPTION_HTTPS_MEM_KEY, key,
        MHD_OPTION_HTTPS_PRIORITIES, CONSOLE_TLS_PRIORITIES,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        con->trust != NULL ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
        con->trust, MHD_OPTION_END);
    memset(key, 0, sizeof(key));
    if (d == NULL) {
        rc = fail(err, err_size, -EIO, "the console cannot start (TLS pair?)");
        goto out;
    }
    log_event("event=console-start pid=%ld client_certificates=%s",
              (long)getpid(), con->trust != NULL ? "asked" : "off");
    while (!*stop) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* let go of the listening socket first: stopping would shut it down,
     * and it is serve's, shared with the console started after this one */
    MHD_quiesce_daemon(d);
    MHD_stop_daemon(d);
out:
    explicit_bzero(key, sizeof(key)); /* on every path */
    store_close(con->s);
    free(con->trust);
    memset(con, 0, sizeof(*con));
    free(con);
    return rc;
}
