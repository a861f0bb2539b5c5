/*
 * server.c - the SSH side of "offsetgw serve" (see server.h).
 *
 * The parent only accepts: it keeps the listening socket, counts
 * sessions per address, bans addresses with too many failed logins, and
 * forks a process for each connection, which it then forgets but for
 * its pid and address.  The child does the key exchange, authenticates
 * with libssh's server callbacks, accepts one session channel with the
 * sftp subsystem, and hands the channel to sftp_serve() as a byte
 * stream.  Its exit code tells the parent whether a login failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "offsetgw/jail.h"
#include "offsetgw/log.h"
#include "offsetgw/server.h"

#define EXIT_LOGIN_FAILED 3 /* a child's: someone tried and failed */
#define MAX_TRIES 6         /* keys refused before the connection is cut */
#define BAN_SLOTS 256
#define ADDR_MAX 64

static const char accepted_keys[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";

void server_config_defaults(struct server_config *c)
{
    *c = (struct server_config){.address = "127.0.0.1",
                                .port = 2222,
                                .max_sessions = 64,
                                .max_per_address = 8,
                                .login_grace_s = 30,
                                .idle_timeout_s = 900,
                                .max_file_bytes = INT64_C(4) << 30,
                                .max_handles = 64,
                                .ban_after = 5,
                                .ban_window_s = 60,
                                .ban_s = 600,
                                .stop_grace_s = 30};
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t size,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -EIO;
}

/* --- the connection's process ----------------------------------------------
 */

struct conn {
    const struct server_config *cfg;
    const struct server_ops *ops;
    void *ctx; /* ops->open's */
    ssh_session s;
    ssh_channel channel;
    struct ssh_channel_callbacks_struct ccb;
    char address[ADDR_MAX];
    char user[64];  /* the partner, once authenticated */
    char tried[64]; /* the user name the client last tried */
    bool authed, sftp;
    int tries;
    struct keys_public last_key;
    bool offered;
};

/* A user name as logs may show it: printable, bounded. */
static void clean_user(const char *user, char *out, size_t size)
{
    size_t i = 0;
    for (; user[i] != '\0' && i + 1 < size; i++)
        out[i] =
            (unsigned char)user[i] < 0x20 || user[i] == 0x7f ? '?' : user[i];
    out[i] = '\0';
}

static int on_pubkey(ssh_session s, const char *user,
                     struct ssh_key_struct *key, char state, void *arg)
{
    struct conn *c = arg;
    struct keys_public k;
    (void)s;
    clean_user(user, c->tried, sizeof(c->tried));
    if (c->authed || keys_from_ssh(key, &k) < 0)
        return SSH_AUTH_DENIED;
    bool listed = c->ops->key_allowed(c->ctx, user, &k);
    if (state == SSH_PUBLICKEY_STATE_NONE) /* a probe: "would you take it?" */
        return listed ? SSH_AUTH_SUCCESS : (c->tries++, SSH_AUTH_DENIED);
    c->last_key = k;
    c->offered = true;
    if (state == SSH_PUBLICKEY_STATE_VALID && listed) {
        c->authed = true;
        clean_user(user, c->user, sizeof(c->user));
        return SSH_AUTH_SUCCESS;
    }
    c->tries++;
    return SSH_AUTH_DENIED;
}

static int on_subsystem(ssh_session s, ssh_channel ch, const char *name,
                        void *arg)
{
    struct conn *c = arg;
    (void)s;
    (void)ch;
    if (c->sftp || strcmp(name, "sftp") != 0)
        return SSH_ERROR;
    c->sftp = true;
    return SSH_OK;
}

static int refuse_exec(ssh_session s, ssh_channel ch, const char *cmd,
                       void *arg)
{
    (void)s, (void)ch, (void)cmd, (void)arg;
    return SSH_ERROR;
}

static int refuse_shell(ssh_session s, ssh_channel ch, void *arg)
{
    (void)s, (void)ch, (void)arg;
    return SSH_ERROR;
}

static int refuse_pty(ssh_session s, ssh_channel ch, const char *term, int w,
                      int h, int pw, int ph, void *arg)
{
    (void)s, (void)ch, (void)term, (void)w, (void)h, (void)pw, (void)ph;
    (void)arg;
    return SSH_ERROR;
}

static int refuse_env(ssh_session s, ssh_channel ch, const char *name,
                      const char *value, void *arg)
{
    (void)s, (void)ch, (void)name, (void)value, (void)arg;
    return SSH_ERROR;
}

static ssh_channel on_channel_open(ssh_session s, void *arg)
{
    struct conn *c = arg;
    if (!c->authed || c->channel != NULL)
        return NULL;
    c->channel = ssh_channel_new(s);
    if (c->channel == NULL)
        return NULL;
    memset(&c->ccb, 0, sizeof(c->ccb));
    c->ccb.userdata = c;
    c->ccb.channel_subsystem_request_function = on_subsystem;
    c->ccb.channel_exec_request_function = refuse_exec;
    c->ccb.channel_shell_request_function = refuse_shell;
    c->ccb.channel_pty_request_function = refuse_pty;
    c->ccb.channel_env_request_function = refuse_env;
    ssh_callbacks_init(&c->ccb);
    ssh_set_channel_callbacks(c->channel, &c->ccb);
    return c->channel;
}

static ssize_t stream_read(void *arg, void *buf, size_t len)
{
    struct conn *c = arg;
    if (len > 65536)
        len = 65536;
    int n = ssh_channel_read_timeout(c->channel, buf, (uint32_t)len, 0,
                                     c->cfg->idle_timeout_s * 1000);
    if (n == SSH_ERROR)
        return -EIO;
    if (n == 0)
        return ssh_channel_is_eof(c->channel) ||
                       !ssh_channel_is_open(c->channel)
                   ? 0
                   : -ETIMEDOUT;
    return n;
}

static int stream_write(void *arg, const void *buf, size_t len)
{
    struct conn *c = arg;
    const char *p = buf;
    while (len > 0) {
        int n = ssh_channel_write(c->channel, p, (uint32_t)len);
        if (n <= 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The sftp session, once authenticated with the subsystem open. */
static int run_sftp(struct conn *c)
{
    char inbox[4096], outbox[4096];
    struct jail j;
    int rc = c->ops->folders(c->ctx, c->user, inbox, outbox, sizeof(inbox));
    if (rc < 0 || (rc = jail_open(&j, inbox, outbox)) < 0) {
        log_event("event=error what=folders address=%s user=%s reason=%s",
                  c->address, c->user, strerror(-rc));
        return rc;
    }
    struct sftp_io io = {stream_read, stream_write, c};
    struct sftp_config sc = {.user = c->user,
                             .max_handles = c->cfg->max_handles,
                             .max_file_bytes = c->cfg->max_file_bytes,
                             .digest = c->cfg->digest};
    struct sftp_hooks hooks = c->ops->hooks;
    hooks.ctx = c->ctx;
    rc = sftp_serve(&io, &j, &sc, &hooks);
    jail_close(&j);
    if (rc < 0 && rc != -EIO)
        log_event("event=error what=session address=%s user=%s reason=%s",
                  c->address, c->user, strerror(-rc));
    return rc;
}

/* Tell the client the session is over and let it hang up first (else
 * OpenSSH reports "closed by remote host"). */
static void finish(struct conn *c, ssh_event ev)
{
    if (c->channel != NULL && ssh_channel_is_open(c->channel)) {
        ssh_channel_request_send_exit_status(c->channel, 0);
        ssh_channel_send_eof(c->channel);
        ssh_channel_close(c->channel);
    }
    for (int i = 0; i < 20 && ssh_is_connected(c->s); i++)
        if (ssh_event_dopoll(ev, 100) == SSH_ERROR)
            break;
}

static int child_main(const struct server_config *cfg,
                      const struct server_ops *ops, ssh_session s,
                      const char *address)
{
    struct conn c = {.cfg = cfg, .ops = ops, .s = s};
    struct ssh_server_callbacks_struct cb = {
        .userdata = &c,
        .auth_pubkey_function = on_pubkey,
        .channel_open_request_session_function = on_channel_open};
    int one = 1, status = 0;
    snprintf(c.address, sizeof(c.address), "%s", address);
    /* the two changes that decide throughput (docs/performance.md) */
    setsockopt(ssh_get_fd(s), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGHUP, SIG_IGN);
    alarm((unsigned)cfg->login_grace_s); /* kex, login and sftp in time */
    if ((c.ctx = ops->open(ops->ctx)) == NULL)
        return 1;
    ssh_callbacks_init(&cb);
    ssh_set_server_callbacks(s, &cb);
    ssh_set_auth_methods(s, SSH_AUTH_METHOD_PUBLICKEY);
    if (ssh_handle_key_exchange(s) != SSH_OK) {
        ops->close(c.ctx);
        return 1;
    }
    ssh_event ev = ssh_event_new();
    if (ev == NULL || ssh_event_add_session(ev, s) != SSH_OK) {
        ops->close(c.ctx);
        return 1;
    }
    while (!(c.authed && c.channel != NULL && c.sftp) && c.tries < MAX_TRIES &&
           ssh_is_connected(s))
        if (ssh_event_dopoll(ev, 200) == SSH_ERROR)
            break;
    alarm(0);
    ops->login(c.ctx, c.authed ? c.user : c.tried, c.address,
               c.offered ? &c.last_key : NULL, c.authed,
               c.authed               ? ""
               : c.tries >= MAX_TRIES ? "too many keys refused"
               : c.tries > 0          ? "no key the partner lists"
                                      : "no login");
    if (c.authed && c.sftp) {
        run_sftp(&c);
        finish(&c, ev);
    } else if (c.tries > 0) {
        status = EXIT_LOGIN_FAILED;
    }
    ssh_event_remove_session(ev, s);
    ssh_event_free(ev);
    ssh_disconnect(s);
    ops->close(c.ctx);
    return status;
}

/* --- the parent ----------------------------------------------------------- */

static volatile sig_atomic_t got_stop, got_child, got_reload;

static void on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        got_stop = 1;
    else if (sig == SIGCHLD)
        got_child = 1;
    else if (sig == SIGHUP)
        got_reload = 1;
}

struct live {
    pid_t pid;
    char address[ADDR_MAX];
};

struct ban {
    char address[ADDR_MAX];
    time_t window_start, until;
    unsigned failures;
};

struct parent {
    const struct server_config *cfg;
    const struct server_ops *ops;
    ssh_bind bind;
    struct live *live;
    unsigned n_live;
    pid_t worker;        /* 0: none running */
    time_t worker_start; /* when it was last started */
    pid_t console;       /* the same for the admin console */
    time_t console_start;
    struct ban bans[BAN_SLOTS];
};

/* Start the pipeline worker (CONSOLE false) or the admin console in a
 * process of its own. */
static void start_helper(struct parent *p, bool console)
{
    int (*run)(void *) = console ? p->ops->console : p->ops->worker;
    if (run == NULL)
        return;
    *(console ? &p->console_start : &p->worker_start) = time(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_IGN); /* the parent stops it, in order */
        signal(SIGCHLD, SIG_DFL);
        signal(SIGHUP, SIG_IGN);
        ssh_bind_free(p->bind);
        _exit(run(p->ops->ctx));
    }
    if (pid < 0)
        log_event("event=error what=fork child=%s reason=%s",
                  console ? "console" : "worker", strerror(errno));
    else
        *(console ? &p->console : &p->worker) = pid;
}

static void start_worker(struct parent *p)
{
    start_helper(p, false);
}

static struct ban *ban_of(struct parent *p, const char *address, bool make)
{
    struct ban *oldest = &p->bans[0];
    for (int i = 0; i < BAN_SLOTS; i++) {
        if (strcmp(p->bans[i].address, address) == 0)
            return &p->bans[i];
        if (p->bans[i].window_start < oldest->window_start)
            oldest = &p->bans[i];
    }
    if (!make)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->address, sizeof(oldest->address), "%s", address);
    return oldest;
}

static void note_failure(struct parent *p, const char *address)
{
    time_t now = time(NULL);
    struct ban *b = ban_of(p, address, true);
    if (now - b->window_start > p->cfg->ban_window_s) {
        b->window_start = now;
        b->failures = 0;
    }
    if (++b->failures >= p->cfg->ban_after && b->until <= now) {
        b->until = now + p->cfg->ban_s;
        log_event("event=ban address=%s failures=%u window_s=%d ban_s=%d",
                  address, b->failures, p->cfg->ban_window_s, p->cfg->ban_s);
    }
}

static void report_sessions(struct parent *p)
{
    const char *addresses[1024];
    unsigned n = p->n_live < 1024 ? p->n_live : 1024;
    if (p->ops->sessions == NULL)
        return;
    for (unsigned i = 0; i < n; i++)
        addresses[i] = p->live[i].address;
    p->ops->sessions(p->ops->ctx, p->n_live, addresses);
}

static void reap(struct parent *p)
{
    unsigned before = p->n_live;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == p->console) {
            p->console = 0;
            if (!got_stop)
                log_event("event=restart child=console how=%s code=%d",
                          WIFEXITED(status) ? "exit" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status)
                                            : WTERMSIG(status));
            continue;
        }
        if (pid == p->worker) {
            p->worker = 0;
            if (!got_stop)
                log_event("event=restart child=worker how=%s code=%d",
                          WIFEXITED(status) ? "exit" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status)
                                            : WTERMSIG(status));
            continue;
        }
        for (unsigned i = 0; i < p->n_live; i++)
            if (p->live[i].pid == pid) {
                if (WIFEXITED(status) &&
                    WEXITSTATUS(status) == EXIT_LOGIN_FAILED)
                    note_failure(p, p->live[i].address);
                p->live[i] = p->live[--p->n_live];
                break;
            }
    }
    if (p->n_live != before)
        report_sessions(p);
}

/* Why ADDRESS may not have another session now; NULL when it may. */
static const char *refusal(struct parent *p, const char *address)
{
    struct ban *b = ban_of(p, address, false);
    if (b != NULL && b->until > time(NULL))
        return "banned after failed logins";
    if (p->n_live >= p->cfg->max_sessions)
        return "too many sessions";
    unsigned n = 0;
    for (unsigned i = 0; i < p->n_live; i++)
        n += strcmp(p->live[i].address, address) == 0;
    return n >= p->cfg->max_per_address ? "too many sessions from it" : NULL;
}

static void peer_address(int fd, char *out, size_t size)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    snprintf(out, size, "?");
    if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0)
        return;
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, out,
                  (socklen_t)size);
}

static unsigned bound_port(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        return 0;
    return sa.ss_family == AF_INET6
               ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
               : ntohs(((struct sockaddr_in *)&sa)->sin_port);
}

static void accept_one(struct parent *p, ssh_bind b,
                       const struct server_ops *ops)
{
    ssh_session s = ssh_new();
    char address[ADDR_MAX];
    if (s == NULL)
        return;
    if (ssh_bind_accept(b, s) != SSH_OK) {
        ssh_free(s);
        return;
    }
    peer_address(ssh_get_fd(s), address, sizeof(address));
    const char *why = refusal(p, address);
    if (why != NULL) {
        log_event("event=refused address=%s reason=%s", address, why);
        ssh_free(s);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        ssh_bind_free(b); /* the child never accepts */
        int status = child_main(p->cfg, ops, s, address);
        ssh_free(s);
        _exit(status);
    }
    if (pid < 0)
        log_event("event=error what=fork address=%s reason=%s", address,
                  strerror(errno));
    else {
        p->live[p->n_live].pid = pid;
        snprintf(p->live[p->n_live].address, ADDR_MAX, "%s", address);
        p->n_live++;
        report_sessions(p);
    }
    ssh_free(s); /* the parent's copy: the child has the connection */
}

/* Stop: no more accepting; running sessions get stop_grace_s, then
 * SIGTERM, then SIGKILL. */
static void drain(struct parent *p)
{
    time_t end = time(NULL) + p->cfg->stop_grace_s;
    int stage = 0;
    if (p->console > 0) /* it holds nothing that needs finishing */
        kill(p->console, SIGTERM);
    while (p->n_live > 0) {
        reap(p);
        if (p->n_live == 0)
            break;
        if (time(NULL) >= end && stage < 2) {
            for (unsigned i = 0; i < p->n_live; i++)
                kill(p->live[i].pid, stage == 0 ? SIGTERM : SIGKILL);
            end = time(NULL) + 5;
            stage++;
        }
        usleep(50 * 1000);
    }
    if (p->worker > 0) { /* the queue last: sessions may have queued more */
        kill(p->worker, SIGTERM);
        time_t until = time(NULL) + p->cfg->stop_grace_s;
        while (p->worker > 0 && time(NULL) < until) {
            reap(p);
            usleep(50 * 1000);
        }
        if (p->worker > 0) {
            kill(p->worker, SIGKILL);
            waitpid(p->worker, NULL, 0);
        }
    }
    time_t until = time(NULL) + 5;
    while (p->console > 0 && time(NULL) < until) {
        reap(p);
        usleep(50 * 1000);
    }
    if (p->console > 0) {
        kill(p->console, SIGKILL);
        waitpid(p->console, NULL, 0);
    }
}

int server_run(const struct server_config *cfg, const struct server_ops *ops,
               char *err, size_t err_size)
{
    struct parent p = {.cfg = cfg, .ops = ops};
    int port = (int)cfg->port, rc = 0;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    ssh_bind b = p.bind = ssh_bind_new();
    p.live = calloc(cfg->max_sessions ? cfg->max_sessions : 1, sizeof(*p.live));
    if (b == NULL || p.live == NULL) {
        rc = fail(err, err_size, "out of memory");
        goto out;
    }
    bool no = false;
    int rsa_min = 2048;
    if (ssh_bind_options_set(b, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
        ssh_bind_options_set(b, SSH_BIND_OPTIONS_RSA_MIN_SIZE, &rsa_min) < 0 ||
        ssh_bind_options_set(b, SSH_BIND_OPTIONS_BINDADDR, cfg->address) < 0 ||
        ssh_bind_options_set(b, SSH_BIND_OPTIONS_BINDPORT, &port) < 0 ||
        ssh_bind_options_set(b, SSH_BIND_OPTIONS_HOSTKEY, cfg->host_key) < 0 ||
        ssh_bind_options_set(b, SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES,
                             accepted_keys) < 0) {
        rc = fail(err, err_size, "%s", ssh_get_error(b));
        goto out;
    }
    if (ssh_bind_listen(b) < 0) {
        rc = fail(err, err_size, "listen on %s:%u: %s", cfg->address, cfg->port,
                  ssh_get_error(b));
        goto out;
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int fd = ssh_bind_get_fd(b);
    unsigned bound = bound_port(fd);
    log_event("event=listen address=%s port=%u", cfg->address, bound);
    start_worker(&p);
    start_helper(&p, true);
    report_sessions(&p);
    if (ops->ready != NULL)
        ops->ready(ops->ctx, bound);
    while (!got_stop) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, 1000);
        if (got_child) {
            got_child = 0;
            reap(&p);
        }
        /* a worker that died is started again, not faster than once a
         * second */
        if (p.worker == 0 && ops->worker != NULL && time(NULL) > p.worker_start)
            start_worker(&p);
        if (p.console == 0 && ops->console != NULL &&
            time(NULL) > p.console_start)
            start_helper(&p, true);
        if (got_reload) {
            got_reload = 0;
            /* partners and keys are read at each login; the console
             * restarts to read the admins' certificates */
            log_event("event=reload signal=SIGHUP console=restart");
            if (p.console > 0)
                kill(p.console, SIGTERM);
        }
        if (n > 0 && (pfd.revents & POLLIN))
            accept_one(&p, b, ops);
    }
    log_event("event=stopping sessions=%u grace_s=%d", p.n_live,
              cfg->stop_grace_s);
    ssh_bind_free(b);
    b = p.bind = NULL;
    drain(&p);
out:
    if (b != NULL)
        ssh_bind_free(b);
    free(p.live);
    return rc;
}
