/*
 * cli_serve.c - "offsetgw serve", "offsetgw keys show", "offsetgw partner
 * key add|remove|list", "offsetgw transfers" and "offsetgw status".
 *
 * Owns the command-line side of the SFTP front end, and the glue that
 * server.c calls in each connection's process: partners and their keys
 * from the registry (transfer.h), their folders (home.h), finished
 * uploads into the queue (pipeline.h), logins and transfers into the
 * logs, one key=value line each on stderr.  The pipeline worker is here
 * too: a loop over pipeline_run_one() until SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "offsetgw/audit.h"
#include "offsetgw/calendar.h"
#include "offsetgw/console.h"
#include "offsetgw/cycle.h"
#include "offsetgw/home.h"
#include "offsetgw/keys.h"
#include "offsetgw/log.h"
#include "offsetgw/pipeline.h"
#include "offsetgw/retention.h"
#include "offsetgw/server.h"
#include "offsetgw/store.h"
#include "offsetgw/tlscert.h"
#include "offsetgw/transfer.h"
#include "offsetgw/vault.h"

/* --- serve ---------------------------------------------------------------- */

struct serve {
    struct home h;
    struct audit_key audit;
    char programs[HOME_PATH_MAX];
    const char *port_file;
    int admin_fd; /* the console's listening socket; -1 none */
};

/* One connection's process. */
struct conn {
    struct serve *sv;
    struct store *s;
    struct store_partner partner; /* once a key of it was checked */
    int64_t last_job;             /* the upload just queued */
    struct vault vault;           /* spool files at rest, this session's */
};

/* How long serve's processes wait for the registry's write lock.  The
 * worker holds it for a whole file's intake (seconds for a large file on
 * a busy machine, back to back while the queue is long): with sqlite's
 * 5 s, 200 agencies at once had 1% of their uploads refused ("could not
 * be queued") and audit entries lost (bench/load.sh). */
#define SERVE_BUSY_MS 60000

/* How often an idle worker tries again the jobs it set aside. */
#define WORKER_RETRY_S 300

static void *conn_open(void *ctx)
{
    struct conn *c = calloc(1, sizeof(*c));
    char err[256];
    if (c == NULL)
        return NULL;
    c->sv = ctx;
    if (c->sv->admin_fd >= 0) { /* the console's, not a session's */
        close(c->sv->admin_fd);
        c->sv->admin_fd = -1;
    }
    if (home_open_store_with(&c->sv->h, STORE_OPEN_UNCHECKED, &c->s, err,
                             sizeof(err)) < 0) {
        log_event("event=error what=registry reason=%s", err);
        free(c);
        return NULL;
    }
    store_busy_ms(c->s, SERVE_BUSY_MS);
    /* read at each connection: a key file put back takes at once */
    if (vault_load(&c->vault, &c->sv->h, err, sizeof(err)) < 0) {
        log_event("event=error what=master-key reason=%s", err);
        store_close(c->s);
        free(c);
        return NULL;
    }
    return c;
}

static void conn_close(void *arg)
{
    struct conn *c = arg;
    store_close(c->s);
    vault_release(&c->vault);
    free(c);
}

static bool key_allowed(void *arg, const char *user,
                        const struct keys_public *key)
{
    struct conn *c = arg;
    bool ok = false;
    int64_t id = 0;
    if (!home_partner_name_ok(user) ||
        transfer_key_allowed(c->s, user, key, &ok, &id) < 0 || !ok)
        return false;
    return store_partner_get_id(c->s, id, &c->partner) == 0;
}

static int folders(void *arg, const char *user, char *inbox, char *outbox,
                   size_t size)
{
    struct conn *c = arg;
    if (strcmp(user, c->partner.name) != 0)
        return -EPERM;
    if (home_box_path(&c->sv->h, user, "inbox", inbox, size) < 0 ||
        home_box_path(&c->sv->h, user, "outbox", outbox, size) < 0)
        return -ENAMETOOLONG;
    return 0;
}

/* One event in the audit trail; a failure is logged, the session goes
 * on. */
static void audit(struct conn *c, const char *actor, const char *action,
                  const char *subject, const char *detail)
{
    char err[256];
    if (audit_append(&c->sv->h, c->s, &c->sv->audit, actor, action, subject,
                     detail, err, sizeof(err)) < 0)
        log_event("event=error what=audit reason=%s", err);
}

static void on_login(void *arg, const char *user, const char *address,
                     const struct keys_public *key, bool ok, const char *why)
{
    struct conn *c = arg;
    const char *fp = key ? key->fingerprint : "";
    transfer_login_add(c->s, user, address, fp, ok, why);
    char actor[80], detail[200];
    snprintf(actor, sizeof(actor), "partner:%s", user[0] ? user : "?");
    snprintf(detail, sizeof(detail), "%s%s%s", fp[0] ? fp : "no key",
             why[0] ? "; " : "", why);
    audit(c, actor, ok ? "login" : "login-failed", address, detail);
    log_event("event=login user=%s address=%s key=%s ok=%d reason=%s", user,
              address, fp[0] ? fp : "-", ok ? 1 : 0, why);
}

static int upload_done(void *arg, const char *name, int64_t bytes,
                       const char *sha256)
{
    struct conn *c = arg;
    struct pipeline_env env = {&c->sv->h, c->s, c->sv->programs};
    char err[512];
    c->last_job = 0;
    int rc = pipeline_enqueue(&env, &c->partner, name, sha256, bytes,
                              &c->last_job, err, sizeof(err));
    if (rc < 0)
        log_event("event=error what=queue partner=%s reason=%s",
                  c->partner.name, err);
    return rc;
}

/* How long after it is handed on an upload still answers STAT and
 * SETSTAT in the inbox (sftp.h): clients look right after a close. */
#define HANDED_ON_S 60

/* Upload NAME, handed on within HANDED_ON_S by any of the partner's
 * sessions: the newest file "<random>.NAME" in its received/ folder
 * that was moved there (its ctime) that recently. */
static int handed_on(void *arg, const char *name, struct stat *st)
{
    struct conn *c = arg;
    char path[HOME_PATH_MAX];
    /* the queue knows where the newest upload of that name went; a look
     * at received/ would cost a listing of every upload kept there */
    if (transfer_queue_newest(c->s, c->partner.id, name, path, sizeof(path)) <
            0 ||
        lstat(path, st) < 0 || !S_ISREG(st->st_mode) ||
        st->st_ctime < time(NULL) - HANDED_ON_S)
        return -ENOENT;
    /* the size the partner sent, not the encrypted one */
    struct vault_file *f = NULL;
    int64_t size;
    if (vault_open(&c->vault, path, &f) == 0 && vault_size(f, &size) == 0)
        st->st_size = (off_t)size;
    vault_close(f);
    return 0;
}

static const struct vault *conn_vault(void *arg)
{
    struct conn *c = arg;
    return &c->vault;
}

static void on_event(void *arg, const struct sftp_event *e)
{
    static const char *const kinds[] = {"upload", "download", "remove",
                                        "rename"};
    struct conn *c = arg;
    struct transfer_row t = {.partner_id = c->partner.id,
                             .bytes = e->bytes,
                             .duration_ms = e->duration_ms,
                             .status = (int)e->status,
                             .complete = e->complete};
    store_text_copy(t.kind, sizeof(t.kind), kinds[e->kind]);
    store_text_copy(t.path, sizeof(t.path), e->path);
    store_text_copy(t.to_path, sizeof(t.to_path), e->to ? e->to : "");
    store_text_copy(t.sha256, sizeof(t.sha256), e->sha256);
    store_text_copy(t.message, sizeof(t.message), e->message ? e->message : "");
    if (e->kind == SFTP_EV_UPLOAD && e->complete)
        t.queue_id = c->last_job;
    /* a download's digest: the registry took it when the file was made */
    if (e->kind == SFTP_EV_DOWNLOAD && t.sha256[0] == '\0') {
        const char *name = strrchr(e->path, '/');
        transfer_outbound_sha(c->s, c->partner.id, name ? name + 1 : e->path,
                              t.sha256);
    }
    transfer_add(c->s, &t);
    static const char *const actions[] = {"file-received", "file-downloaded",
                                          "file-removed", "file-renamed"};
    char actor[80], detail[200];
    snprintf(actor, sizeof(actor), "partner:%s", c->partner.name);
    snprintf(detail, sizeof(detail), "%s%sbytes %lld status %d%s",
             e->to ? e->to : "", e->to ? "; " : "", (long long)e->bytes,
             (int)e->status,
             e->kind != SFTP_EV_UPLOAD ? ""
             : e->complete             ? "; queued"
                                       : "; not handed on");
    if (e->kind != SFTP_EV_UPLOAD || e->complete || e->status != SFTP_OK)
        audit(c, actor, actions[e->kind], e->path, detail);
    if (e->status != SFTP_OK && e->kind <= SFTP_EV_DOWNLOAD)
        log_event("event=error what=%s partner=%s path=%s reason=%s",
                  kinds[e->kind], c->partner.name, e->path,
                  e->message ? e->message : "");
    log_event("event=%s partner=%s path=%s to=%s bytes=%lld ms=%lld sha256=%s "
              "status=%d complete=%d job=%lld",
              kinds[e->kind], c->partner.name, e->path, e->to,
              (long long)e->bytes, (long long)e->duration_ms,
              t.sha256[0] ? t.sha256 : "-", (int)e->status, e->complete,
              (long long)t.queue_id);
}

static void on_ready(void *ctx, unsigned port)
{
    struct serve *sv = ctx;
    if (sv->port_file != NULL) {
        char tmp[HOME_PATH_MAX + 8];
        snprintf(tmp, sizeof(tmp), "%s.tmp", sv->port_file);
        FILE *f = fopen(tmp, "w");
        if (f != NULL) {
            fprintf(f, "%u\n", port);
            if (fclose(f) == 0)
                rename(tmp, sv->port_file);
        }
    }
}

/* var/serve.status: the server's pid and its sessions, for `offsetgw
 * status` (written whenever they change; renamed into place). */
static void on_sessions(void *ctx, unsigned n, const char *const *addresses)
{
    struct serve *sv = ctx;
    char path[HOME_PATH_MAX + 32], tmp[HOME_PATH_MAX + 40];
    snprintf(path, sizeof(path), "%s/var/serve.status", sv->h.root);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    fprintf(f, "pid %ld\nsessions %u\n", (long)getpid(), n);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "session %s\n", addresses[i]);
    if (fclose(f) == 0)
        rename(tmp, path);
}

static volatile sig_atomic_t worker_stop;

static void on_worker_signal(int sig)
{
    (void)sig;
    worker_stop = 1;
}

/* Walk the audit chain; say what was found in the log, in the trail
 * and in var/audit.check (for the console). */
static void verify_audit(struct serve *sv, struct store *s)
{
    struct audit_report rep;
    char err[256], path[HOME_PATH_MAX + 32], tmp[HOME_PATH_MAX + 40];
    int rc = audit_verify(&sv->h, s, &sv->audit, &rep, err, sizeof(err));
    if (rc < 0) {
        log_event("event=error what=audit-verify reason=%s", err);
        return;
    }
    if (rep.broken_seq != 0)
        log_event("event=audit-verify ok=0 rows=%lld broken=%lld why=%s",
                  (long long)rep.rows, (long long)rep.broken_seq, rep.why);
    else
        log_event("event=audit-verify ok=1 rows=%lld", (long long)rep.rows);
    snprintf(path, sizeof(path), "%s/var/audit.check", sv->h.root);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f != NULL) {
        fprintf(f, "%s %s rows %lld broken %lld %s\n",
                store_transaction_time(s), rep.broken_seq ? "broken" : "ok",
                (long long)rep.rows, (long long)rep.broken_seq, rep.why);
        if (fclose(f) == 0)
            rename(tmp, path);
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "rows %lld broken %lld",
             (long long)rep.rows, (long long)rep.broken_seq);
    if (audit_append(&sv->h, s, &sv->audit, "gateway", "audit-verify",
                     rep.broken_seq ? "broken" : "intact", detail, err,
                     sizeof(err)) < 0)
        log_event("event=error what=audit reason=%s", err);
}

static void purge(struct serve *sv, struct store *s)
{
    struct retention_result res;
    char err[512];
    if (retention_purge(&sv->h, s, &sv->audit, "gateway", time(NULL), false,
                        NULL, NULL, &res, err, sizeof(err)) < 0)
        log_event("event=error what=purge reason=%s", err);
    else if (res.files > 0 || res.kept_busy > 0)
        log_event("event=purge files=%lld bytes=%lld kept_busy=%lld",
                  (long long)res.files, (long long)res.bytes,
                  (long long)res.kept_busy);
}

static void on_cycle(const struct store_partner *p,
                     const struct cycle_result *res, void *ctx)
{
    (void)ctx;
    log_event("event=cycle partner=%s scheduled=%s cycle=%lld records=%lld "
              "request=%lld",
              p->name, p->cycle_daily, (long long)res->cycle_id,
              (long long)(res->adds + res->changes + res->zeros),
              (long long)res->requested);
}

/* The pipeline worker's process: recover, then run the queue and the
 * scheduled cycles. */
static int worker(void *ctx)
{
    struct serve *sv = ctx;
    struct store *s = NULL;
    char err[512];
    int64_t again = 0;
    struct sigaction sa = {.sa_handler = on_worker_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    if (sv->admin_fd >= 0) {
        close(sv->admin_fd);
        sv->admin_fd = -1;
    }
    if (home_open_store_with(&sv->h, STORE_OPEN_UNCHECKED, &s, err,
                             sizeof(err)) < 0) {
        log_event("event=error what=worker reason=%s", err);
        return 1;
    }
    store_busy_ms(s, SERVE_BUSY_MS);
    struct pipeline_env env = {&sv->h, s, sv->programs};
    if (pipeline_recover(&env, &again, err, sizeof(err)) < 0) {
        log_event("event=error what=recover reason=%s", err);
        store_close(s);
        return 1;
    }
    if (again > 0)
        log_event("event=recover jobs=%lld", (long long)again);
    struct cycle_request crq = {
        .home = &sv->h, .store = s, .programs_dir = sv->programs};
    time_t next_schedule = 0, next_verify = 0;
    time_t next_retry = time(NULL) + WORKER_RETRY_S;
    while (!worker_stop) {
        if (time(NULL) >= next_schedule) { /* scheduled cycles: every 10 s */
            int32_t hms;
            int32_t today = calendar_today(&hms);
            if (cycle_run_scheduled(&crq, today, hms / 100, on_cycle, NULL, err,
                                    sizeof(err)) < 0)
                log_event("event=error what=cycle reason=%s", err);
            next_schedule = time(NULL) + 10;
        }
        if (time(NULL) >= next_verify) { /* once a day: */
            verify_audit(sv, s);         /* the audit chain */
            purge(sv, s);                /* the files past their retention */
            next_verify = time(NULL) + 24 * 3600;
        }
        struct transfer_job ran;
        int rc = pipeline_run_one(&env, &ran, err, sizeof(err));
        if (rc == 1) {
            char subject[300], why[256];
            snprintf(subject, sizeof(subject), "job %lld: %s",
                     (long long)ran.id, ran.name);
            if (audit_append(&sv->h, s, &sv->audit, "gateway",
                             ran.state == JOB_DONE ? "file-processed"
                                                   : "file-failed",
                             subject, ran.result, why, sizeof(why)) < 0)
                log_event("event=error what=audit reason=%s", why);
        }
        if (rc < 0) {
            log_event("event=error what=job reason=%s", err);
            sleep(1);
        } else if (rc == 0) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        /* jobs set aside on a full disk, an I/O error or no memory (left
         * running, pipeline.c) are tried again now and then, not only at
         * the next start: this worker is the only one, and idle here */
        if (rc == 0 && time(NULL) >= next_retry) {
            if (pipeline_recover(&env, &again, err, sizeof(err)) < 0)
                log_event("event=error what=recover reason=%s", err);
            else if (again > 0)
                log_event("event=recover jobs=%lld why=retry",
                          (long long)again);
            next_retry = time(NULL) + WORKER_RETRY_S;
        }
    }
    store_close(s);
    return 0;
}

/* The admin console's process (console.h): until SIGTERM. */
static int console_main(void *ctx)
{
    struct serve *sv = ctx;
    struct sigaction sa = {.sa_handler = on_worker_signal};
    char err[512];
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive serve */
    struct console_config cfg = {
        .home = &sv->h, .audit = &sv->audit, .listen_fd = sv->admin_fd};
    if (console_run(&cfg, &worker_stop, err, sizeof(err)) < 0) {
        log_event("event=error what=console reason=%s", err);
        sleep(5); /* restarted by the parent: not in a tight loop */
        return 1;
    }
    return 0;
}

/* Open the console's socket and check its TLS pair.  EXPLICIT: asked
 * for on the command line, so a failure stops serve; else it is logged
 * and serve goes on without a console. */
static int admin_open(struct serve *sv, const char *address, unsigned port,
                      const char *port_file, bool explicit)
{
    static char crt[TLSCERT_PEM_MAX], key[TLSCERT_PEM_MAX];
    char err[512];
    unsigned bound;
    int rc = tlscert_load(sv->h.keys, crt, key, err, sizeof(err));
    memset(key, 0, sizeof(key));
    if (rc == 0)
        rc = console_listen(address, port, &sv->admin_fd, &bound, err,
                            sizeof(err));
    if (rc < 0) {
        if (explicit) {
            cli_error("serve", "admin console: %s", err);
            return CLI_EXIT_ERROR;
        }
        log_event("event=error what=console reason=%s console=off", err);
        return 0;
    }
    log_event("event=console-listen address=%s port=%u", address, bound);
    if (port_file != NULL) {
        char tmp[HOME_PATH_MAX + 8];
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (f != NULL) {
            fprintf(f, "%u\n", bound);
            if (fclose(f) == 0)
                rename(tmp, port_file);
        }
    }
    return 0;
}

static void serve_usage(FILE *out)
{
    fputs("usage: offsetgw serve --home DIR [--listen ADDR:PORT]\n"
          "                      [--max-sessions N] [--max-per-address N]\n"
          "                      [--idle-timeout S] [--login-grace S]\n"
          "                      [--max-file-size BYTES]\n"
          "                      [--ban-after N] [--ban-window S] "
          "[--ban-time S]\n"
          "                      [--stop-grace S] [--port-file FILE]\n"
          "                      [--admin-listen ADDR:PORT|off] "
          "[--admin-port-file FILE]\n"
          "                      [--log-format kv|json]\n"
          "\n"
          "Serve the partners over SFTP: each logs in with a key listed for\n"
          "it ('offsetgw partner key add') and sees /inbox and /outbox of\n"
          "its own spool, nothing else.  A finished upload leaves /inbox and\n"
          "is queued; a worker process takes each queued file in exactly as\n"
          "'offsetgw ingest' does, and the results land in /outbox.  One\n"
          "process per connection.  SIGTERM or SIGINT stops accepting, gives\n"
          "running sessions --stop-grace seconds, then stops the worker.\n"
          "Logs go to stderr, one key=value line per event (or one JSON\n"
          "object per line with --log-format json).\n"
          "\n"
          "options (defaults):\n"
          "  -H, --home DIR          the home (default: $OFFSETGW_HOME)\n"
          "  -l, --listen ADDR:PORT  127.0.0.1:2222; port 0 takes a free "
          "one\n"
          "      --max-sessions N    64 at once\n"
          "      --max-per-address N 8 at once from one address\n"
          "      --idle-timeout S    900 between requests\n"
          "      --login-grace S     30 to log in and open sftp\n"
          "      --max-file-size B   4294967296 per upload\n"
          "      --ban-after N       5 failed logins from an address...\n"
          "      --ban-window S      ...within 60 seconds...\n"
          "      --ban-time S        ...refuse it for 600 seconds\n"
          "      --stop-grace S      30\n"
          "      --port-file FILE    write the port listened on to FILE\n"
          "      --admin-listen A:P  the HTTPS admin console, 127.0.0.1:8443;\n"
          "                          off: none (docs/console.md)\n"
          "      --admin-port-file F write the console's port to F\n"
          "      --log-format F      kv: offsetgw event=NAME key=value ...;\n"
          "                          json: {\"event\":\"NAME\",...}\n"
          "  -h, --help              show this help\n",
          out);
}

/* A whole number option in [MIN, MAX]; false when it is not one. */
static bool number(const char *text, long long min, long long max,
                   long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int cli_serve_run(int argc, char **argv)
{
    static const char cmd[] = "serve";
    enum {
        O_SESSIONS = 256,
        O_PER_ADDRESS,
        O_IDLE,
        O_GRACE,
        O_FILE_SIZE,
        O_BAN_AFTER,
        O_BAN_WINDOW,
        O_BAN_TIME,
        O_STOP_GRACE,
        O_PORT_FILE,
        O_ADMIN_LISTEN,
        O_ADMIN_PORT_FILE,
        O_LOG_FORMAT
    };
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"listen", required_argument, NULL, 'l'},
        {"max-sessions", required_argument, NULL, O_SESSIONS},
        {"max-per-address", required_argument, NULL, O_PER_ADDRESS},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"login-grace", required_argument, NULL, O_GRACE},
        {"max-file-size", required_argument, NULL, O_FILE_SIZE},
        {"ban-after", required_argument, NULL, O_BAN_AFTER},
        {"ban-window", required_argument, NULL, O_BAN_WINDOW},
        {"ban-time", required_argument, NULL, O_BAN_TIME},
        {"stop-grace", required_argument, NULL, O_STOP_GRACE},
        {"port-file", required_argument, NULL, O_PORT_FILE},
        {"admin-listen", required_argument, NULL, O_ADMIN_LISTEN},
        {"admin-port-file", required_argument, NULL, O_ADMIN_PORT_FILE},
        {"log-format", required_argument, NULL, O_LOG_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct serve sv; /* the children's too */
    struct server_config cfg;
    const char *dir = NULL;
    char address[64], host_key[HOME_PATH_MAX], fp[KEYS_FP_MAX], err[512];
    struct store *s = NULL;
    long long v;
    int c;
    char admin_address[64] = "127.0.0.1";
    unsigned admin_port = 8443;
    bool admin_off = false, admin_explicit = false;
    const char *admin_port_file = NULL;

    sv.admin_fd = -1;
    server_config_defaults(&cfg);
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:l:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'l': {
            const char *colon = strrchr(optarg, ':');
            if (colon == NULL || colon == optarg ||
                (size_t)(colon - optarg) >= sizeof(address) ||
                !number(colon + 1, 0, 65535, &v))
                return cli_usage_error(cmd, "--listen takes ADDR:PORT");
            snprintf(address, sizeof(address), "%.*s", (int)(colon - optarg),
                     optarg);
            cfg.address = address;
            cfg.port = (unsigned)v;
            break;
        }
        case O_SESSIONS:
        case O_PER_ADDRESS:
        case O_IDLE:
        case O_GRACE:
        case O_BAN_AFTER:
        case O_BAN_WINDOW:
        case O_BAN_TIME:
        case O_STOP_GRACE:
            if (!number(optarg, 1, 1000000, &v))
                return cli_usage_error(cmd, "%s takes a number from 1",
                                       argv[optind - 1]);
            if (c == O_SESSIONS)
                cfg.max_sessions = (unsigned)v;
            else if (c == O_PER_ADDRESS)
                cfg.max_per_address = (unsigned)v;
            else if (c == O_IDLE)
                cfg.idle_timeout_s = (int)v;
            else if (c == O_GRACE)
                cfg.login_grace_s = (int)v;
            else if (c == O_BAN_AFTER)
                cfg.ban_after = (unsigned)v;
            else if (c == O_BAN_WINDOW)
                cfg.ban_window_s = (int)v;
            else if (c == O_BAN_TIME)
                cfg.ban_s = (int)v;
            else
                cfg.stop_grace_s = (int)v;
            break;
        case O_FILE_SIZE:
            if (!number(optarg, 1, INT64_MAX / 2, &v))
                return cli_usage_error(cmd, "--max-file-size takes bytes");
            cfg.max_file_bytes = v;
            break;
        case O_PORT_FILE:
            sv.port_file = optarg;
            break;
        case O_ADMIN_LISTEN: {
            const char *colon = strrchr(optarg, ':');
            admin_explicit = true;
            if (strcmp(optarg, "off") == 0) {
                admin_off = true;
                break;
            }
            if (colon == NULL || colon == optarg ||
                (size_t)(colon - optarg) >= sizeof(admin_address) ||
                !number(colon + 1, 0, 65535, &v))
                return cli_usage_error(cmd, "--admin-listen takes ADDR:PORT "
                                            "or off");
            snprintf(admin_address, sizeof(admin_address), "%.*s",
                     (int)(colon - optarg), optarg);
            admin_off = false;
            admin_port = (unsigned)v;
            break;
        }
        case O_ADMIN_PORT_FILE:
            admin_port_file = optarg;
            break;
        case O_LOG_FORMAT: {
            enum log_format lf;
            if (log_format_parse(optarg, &lf) < 0)
                return cli_usage_error(cmd, "--log-format takes kv or json");
            log_set_format(lf);
            break;
        }
        case 'h':
            serve_usage(stdout);
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    int status = cli_home_open(cmd, cli_home_dir(dir), &sv.h, &s);
    if (status != 0)
        return status;
    /* a registry another process holds for writing: said now, with its
     * name and a failed start, not by a worker that cannot take a job */
    if (store_begin(s) < 0 || store_commit(s) < 0) {
        cli_error(cmd, "%s: %s", sv.h.db, store_error(s));
        store_close(s);
        return CLI_EXIT_ERROR;
    }
    store_close(s); /* each process opens its own */
    if (keys_host_path(sv.h.keys, host_key, sizeof(host_key)) < 0 ||
        keys_file_fingerprint(host_key, fp, err, sizeof(err)) < 0) {
        cli_error(cmd, "no host key (run 'offsetgw init --home %s'): %s",
                  sv.h.root, err);
        return CLI_EXIT_ERROR;
    }
    snprintf(sv.programs, sizeof(sv.programs), "%s/programs",
             cli_formats_dir());
    if (audit_key_load(&sv.h, true, &sv.audit, err, sizeof(err)) < 0) {
        cli_error(cmd, "audit key: %s", err);
        return CLI_EXIT_ERROR;
    }
    /* held while serving: `keys rotate` waits for a stopped gateway */
    int atrest_lock = vault_lock(&sv.h, false);
    if (atrest_lock < 0) {
        cli_error(cmd, "%s",
                  atrest_lock == -EWOULDBLOCK
                      ? "a master key rotation is running on this home"
                      : strerror(-atrest_lock));
        return CLI_EXIT_ERROR;
    }
    cfg.host_key = host_key;
    log_event("event=start home=%s host_key=%s", sv.h.root, fp);
    if (!admin_off &&
        (status = admin_open(&sv, admin_address, admin_port, admin_port_file,
                             admin_explicit)) != 0)
        return status;
    struct server_ops ops = {.open = conn_open,
                             .close = conn_close,
                             .key_allowed = key_allowed,
                             .folders = folders,
                             .login = on_login,
                             .hooks = {.upload_done = upload_done,
                                       .handed_on = handed_on,
                                       .vault = conn_vault,
                                       .event = on_event},
                             .worker = worker,
                             .console = sv.admin_fd >= 0 ? console_main : NULL,
                             .sessions = on_sessions,
                             .ready = on_ready,
                             .ctx = &sv};
    fflush(stdout);
    int rc = server_run(&cfg, &ops, err, sizeof(err));
    if (sv.admin_fd >= 0)
        close(sv.admin_fd);
    if (rc < 0) {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_ERROR;
    }
    char status_path[HOME_PATH_MAX + 32];
    snprintf(status_path, sizeof(status_path), "%s/var/serve.status",
             sv.h.root);
    unlink(status_path);
    log_event("event=stop");
    return CLI_EXIT_OK;
}

/* --- keys show ------------------------------------------------------------ */

/* The "--home DIR" and "--help" of a command that takes nothing else:
 * 0 with *DIR, -1 when HELP was printed, else a usage exit status. */
static int home_option(const char *cmd, int argc, char **argv, const char *help,
                       const char **dir)
{
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    *dir = NULL;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:h", options, NULL)) != -1) {
        if (c == 'H')
            *dir = optarg;
        else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else
            return cli_option_error(cmd, c, argv);
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

static int cmd_keys_show(int argc, char **argv)
{
    static const char cmd[] = "keys show";
    const char *dir;
    char path[HOME_PATH_MAX], fp[KEYS_FP_MAX], err[512];
    struct home h;
    int rc = home_option(cmd, argc, argv,
                         "usage: offsetgw keys show --home DIR\n\n"
                         "Print the SFTP host key's fingerprint, for "
                         "partners to check\nwhen they first connect, and "
                         "the id of the master key for\nfiles at rest (never "
                         "the key).\n",
                         &dir);
    if (rc != 0)
        return rc < 0 ? cli_close_stdout(CLI_EXIT_OK) : rc;
    if ((dir = cli_home_dir(dir)) == NULL)
        return cli_usage_error(cmd, "--home DIR is required (or set "
                                    "OFFSETGW_HOME)");
    if (home_init(&h, dir) < 0 ||
        keys_host_path(h.keys, path, sizeof(path)) < 0) {
        cli_error(cmd, "home path too long: %s", dir);
        return CLI_EXIT_ERROR;
    }
    if (keys_file_fingerprint(path, fp, err, sizeof(err)) < 0) {
        cli_error(cmd, "%s (run 'offsetgw init')", err);
        return CLI_EXIT_ERROR;
    }
    printf("%s ED25519 %s\n", fp, path);
    /* the master key for files at rest: its id, never the key */
    struct aead_key mk;
    char id[2 * AEAD_KEY_ID_SIZE + 1];
    rc = home_master_key(&h, false, &mk, err, sizeof(err));
    if (rc == 0) {
        aead_key_id_hex(mk.id, id);
        aead_key_wipe(&mk);
        printf("%s master-key %s/master.key\n", id, h.keys);
    } else if (rc == -ENOENT) {
        printf("- master-key none: spool files are kept plain\n");
    } else {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_ERROR;
    }
    return cli_close_stdout(CLI_EXIT_OK);
}

static const struct cli_command keys_commands[] = {
    {"show", cmd_keys_show, "print the host key's fingerprint"},
    {"rotate", cli_keys_rotate, "replace the master key for files at rest"},
    {"cat", cli_keys_cat, "print a spool file's plaintext"},
    {NULL, NULL, NULL},
};

int cli_keys_run(int argc, char **argv)
{
    return cli_group_run("keys", keys_commands, argc, argv);
}

/* --- partner key add|remove|list ------------------------------------------ */

/* "--home DIR NAME [ARG]": the home opened, the partner found. */
static int partner_args(const char *cmd, int argc, char **argv, bool want_arg,
                        const char *usage, struct home *h, struct store **s,
                        struct store_partner *p, const char **arg)
{
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:h", options, NULL)) != -1) {
        if (c == 'H')
            dir = optarg;
        else if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        } else
            return cli_option_error(cmd, c, argv);
    }
    if (optind + (want_arg ? 2 : 1) != argc)
        return cli_usage_error(cmd, want_arg ? "give the partner NAME and "
                                               "one more argument"
                                             : "give the partner NAME");
    int status = cli_home_open(cmd, cli_home_dir(dir), h, s);
    if (status != 0)
        return status;
    if (store_partner_get(*s, argv[optind], p) < 0) {
        cli_error(cmd, "no partner '%s' (see 'offsetgw partner list')",
                  argv[optind]);
        store_close(*s);
        *s = NULL;
        return CLI_EXIT_ERROR;
    }
    *arg = want_arg ? argv[optind + 1] : NULL;
    return 0;
}

/* The first line of FILE ("-": standard input). */
static int read_line(const char *file, char *buf, size_t size)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (f == NULL)
        return -errno;
    int rc = fgets(buf, (int)size, f) != NULL ? 0 : -EINVAL;
    if (f != stdin)
        fclose(f);
    return rc;
}

static int cmd_key_add(int argc, char **argv)
{
    static const char cmd[] = "partner key add";
    struct home h;
    struct store *s = NULL;
    struct store_partner p;
    struct keys_public k;
    const char *file;
    char line[4096], err[256];
    int status = partner_args(
        cmd, argc, argv, true,
        "usage: offsetgw partner key add --home DIR NAME FILE\n\n"
        "List the public key in FILE (an OpenSSH .pub line; - reads it\n"
        "from standard input) for partner NAME.  ed25519, ecdsa and rsa\n"
        "(2048 bits or more) are taken; a key is one partner's only.\n",
        &h, &s, &p, &file);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    status = CLI_EXIT_INPUT;
    int rc = read_line(file, line, sizeof(line));
    if (rc < 0)
        cli_error(cmd, "%s: %s", file, rc == -EINVAL ? "empty" : strerror(-rc));
    else if (keys_parse_public(line, &k, err, sizeof(err)) < 0)
        cli_error(cmd, "%s: %s", file, err);
    else if ((rc = transfer_key_add(s, p.id, &k)) == -EEXIST)
        cli_error(cmd, "that key is listed already (a key is one partner's)");
    else if (rc < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    } else {
        printf("%s: key %s %s added\n", p.name, k.type, k.fingerprint);
        cli_audit(&h, s, "key-add", p.name, k.fingerprint);
        status = CLI_EXIT_OK;
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int cmd_key_remove(int argc, char **argv)
{
    static const char cmd[] = "partner key remove";
    struct home h;
    struct store *s = NULL;
    struct store_partner p;
    const char *fp;
    int status = partner_args(
        cmd, argc, argv, true,
        "usage: offsetgw partner key remove --home DIR NAME FINGERPRINT\n\n"
        "Unlist partner NAME's key with FINGERPRINT (SHA256:..., as\n"
        "'offsetgw partner key list' shows it).  Sessions already open\n"
        "go on; the next login with it is refused.\n",
        &h, &s, &p, &fp);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    int rc = transfer_key_remove(s, p.id, fp);
    if (rc == -ENOENT) {
        cli_error(cmd, "%s has no key %s", p.name, fp);
        status = CLI_EXIT_INPUT;
    } else if (rc < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    } else {
        printf("%s: key %s removed\n", p.name, fp);
        cli_audit(&h, s, "key-remove", p.name, fp);
    }
    store_close(s);
    return cli_close_stdout(status);
}

static int print_key(const struct transfer_key *k, void *ctx)
{
    (void)ctx;
    printf("%-52s %-20s %s %s\n", k->key.fingerprint, k->key.type, k->added_at,
           k->key.comment);
    return 0;
}

static int cmd_key_list(int argc, char **argv)
{
    static const char cmd[] = "partner key list";
    struct home h;
    struct store *s = NULL;
    struct store_partner p;
    const char *unused;
    int status = partner_args(cmd, argc, argv, false,
                              "usage: offsetgw partner key list --home DIR "
                              "NAME\n\nList partner NAME's keys.\n",
                              &h, &s, &p, &unused);
    if (status != 0)
        return status < 0 ? cli_close_stdout(CLI_EXIT_OK) : status;
    if (transfer_key_list(s, p.id, print_key, NULL) < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    }
    store_close(s);
    return cli_close_stdout(status);
}

static const struct cli_command key_commands[] = {
    {"add", cmd_key_add, "list a public key for a partner"},
    {"remove", cmd_key_remove, "unlist a partner's key"},
    {"list", cmd_key_list, "list a partner's keys"},
    {NULL, NULL, NULL},
};

int cli_partner_key_run(int argc, char **argv)
{
    return cli_group_run("partner key", key_commands, argc, argv);
}

/* --- transfers and status ------------------------------------------------- */

static int print_transfer(const struct transfer_row *t, void *ctx)
{
    bool json = *(bool *)ctx;
    char path[300];
    snprintf(path, sizeof(path), "%s%s%s", t->path, t->to_path[0] ? " -> " : "",
             t->to_path);
    if (json) {
        printf("{\"id\":%lld,\"at\":\"%s\",\"partner\":\"%s\",\"kind\":\"%s\","
               "\"path\":\"",
               (long long)t->id, t->at, t->partner, t->kind);
        for (const char *c = t->path; *c; c++)
            printf((unsigned char)*c < 0x20 || *c == '"' || *c == '\\'
                       ? "\\u%04x"
                       : "%c",
                   (unsigned char)*c);
        printf("\",\"bytes\":%lld,\"ms\":%lld,\"sha256\":\"%s\","
               "\"status\":%d,\"complete\":%s,\"job\":%lld,\"job_state\":"
               "\"%s\",\"result\":\"",
               (long long)t->bytes, (long long)t->duration_ms, t->sha256,
               t->status, t->complete ? "true" : "false",
               (long long)t->queue_id, t->queue_state);
        for (const char *c = t->result; *c; c++)
            printf((unsigned char)*c < 0x20 || *c == '"' || *c == '\\'
                       ? "\\u%04x"
                       : "%c",
                   (unsigned char)*c);
        printf("\"}\n");
        return 0;
    }
    printf("%-20s %-14s %-8s %10lld %6lldms %-2s %-7s %s%s%s%s\n", t->at,
           t->partner, t->kind, (long long)t->bytes, (long long)t->duration_ms,
           t->status == 0 ? "ok" : "!!",
           t->kind[0] != 'u' ? ""
           : t->complete     ? "queued"
           : t->status == 0  ? "held"
                             : "cut",
           path, t->message[0] ? " (" : "", t->message,
           t->message[0] ? ")" : "");
    if (t->queue_id > 0)
        printf("%53s job %lld %s: %s\n", "", (long long)t->queue_id,
               t->queue_state, t->result);
    return 0;
}

int cli_transfers_run(int argc, char **argv)
{
    static const char cmd[] = "transfers";
    static const struct option options[] = {
        {"home", required_argument, NULL, 'H'},
        {"partner", required_argument, NULL, 'p'},
        {"since", required_argument, NULL, 's'},
        {"failed", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"limit", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *partner = NULL;
    struct transfer_filter f = {0};
    bool json = false;
    long long v;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":H:p:s:fjn:h", options, NULL)) != -1) {
        switch (c) {
        case 'H':
            dir = optarg;
            break;
        case 'p':
            partner = optarg;
            break;
        case 's':
            f.since = optarg;
            break;
        case 'f':
            f.failed_only = true;
            break;
        case 'j':
            json = true;
            break;
        case 'n':
            if (!number(optarg, 1, 1000000000, &v))
                return cli_usage_error(cmd, "--limit takes a number");
            f.limit = v;
            break;
        case 'h':
            puts("usage: offsetgw transfers --home DIR [--partner P] "
                 "[--since T]\n"
                 "                          [--failed] [--limit N] "
                 "[--json]\n\n"
                 "The transfer log, newest first: every upload, download,\n"
                 "removal and rename over SFTP, with its bytes, time, "
                 "SHA-256,\n"
                 "what the client was answered and, for an upload, what "
                 "became\n"
                 "of it.  --since takes 2026-11-26 or 2026-11-26T08:00:00Z;\n"
                 "--failed keeps refusals, cut-off uploads and failed jobs.");
            return cli_close_stdout(CLI_EXIT_OK);
        default:
            return cli_option_error(cmd, c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    struct home h;
    struct store *s = NULL;
    int status = cli_home_open(cmd, cli_home_dir(dir), &h, &s);
    if (status != 0)
        return status;
    if (partner != NULL) {
        struct store_partner p;
        if (store_partner_get(s, partner, &p) < 0) {
            cli_error(cmd, "no partner '%s'", partner);
            store_close(s);
            return CLI_EXIT_INPUT;
        }
        f.partner_id = p.id;
    }
    if (transfer_list(s, &f, print_transfer, &json) < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    }
    store_close(s);
    return cli_close_stdout(status);
}

/* What var/serve.status says, if the server it names runs. */
static void print_server(const struct home *h)
{
    char path[HOME_PATH_MAX + 32], line[256];
    long pid = 0;
    unsigned n = 0;
    snprintf(path, sizeof(path), "%s/var/serve.status", h->root);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        printf("serve: not running\n");
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *end;
        if (strncmp(line, "pid ", 4) == 0)
            pid = strtol(line + 4, &end, 10);
        else if (strncmp(line, "sessions ", 9) == 0)
            n = (unsigned)strtoul(line + 9, &end, 10);
    }
    if (pid <= 0 || kill((pid_t)pid, 0) < 0) {
        printf("serve: not running (a stale %s)\n", path);
        fclose(f);
        return;
    }
    printf("serve: running, pid %ld, %u session%s\n", pid, n,
           n == 1 ? "" : "s");
    rewind(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "session ", 8) == 0)
            printf("  from %s", line + 8);
    fclose(f);
}

static int print_last_cycle(const struct store_partner *p, void *ctx)
{
    struct store *s = ctx;
    struct store_cycle c;
    if (p->kind != PARTNER_TAXBOARD && p->kind != PARTNER_TREASURY)
        return 0;
    int rc = store_cycle_last(s, p->id, &c);
    if (rc == -ENOENT)
        printf("cycle: %-20s none yet\n", p->name);
    else if (rc == 0)
        printf("cycle: %-20s %lld, %lld records, file %lld\n", p->name,
               (long long)c.id, (long long)c.records, (long long)c.file_id);
    return rc == -ENOENT ? 0 : rc;
}

int cli_status_run(int argc, char **argv)
{
    static const char cmd[] = "status";
    const char *dir;
    int rc = home_option(cmd, argc, argv,
                         "usage: offsetgw status --home DIR\n\n"
                         "Whether serve runs and its sessions, the upload "
                         "queue\n(queued, running, done, failed) and the "
                         "last cycle to each\ntax board and treasury.\n",
                         &dir);
    if (rc != 0)
        return rc < 0 ? cli_close_stdout(CLI_EXIT_OK) : rc;
    struct home h;
    struct store *s = NULL;
    int64_t n[4];
    int status = cli_home_open(cmd, cli_home_dir(dir), &h, &s);
    if (status != 0)
        return status;
    if (transfer_queue_counts(s, n) < 0) {
        cli_error(cmd, "%s", store_error(s));
        store_close(s);
        return CLI_EXIT_ERROR;
    }
    print_server(&h);
    printf("queue: %lld queued, %lld running, %lld done, %lld failed\n",
           (long long)n[JOB_QUEUED], (long long)n[JOB_RUNNING],
           (long long)n[JOB_DONE], (long long)n[JOB_FAILED]);
    if (store_partner_each(s, print_last_cycle, s) < 0) {
        cli_error(cmd, "%s", store_error(s));
        status = CLI_EXIT_ERROR;
    }
    store_close(s);
    return cli_close_stdout(status);
}
