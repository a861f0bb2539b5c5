/*
 * test_sftp.c - the SFTP protocol (sftp.h) spoken packet by packet over a
 * socket pair, the server in a thread on a real spool: the version
 * exchange and its extensions; uploads finished by CLOSE or by renaming
 * a temporary name, handed on with their SHA-256, and an upload cut off
 * never handed on; a handed-on upload still answers STAT and SETSTAT; downloads
 * in chunks no larger than the cap; what the jail refuses, answered with the
 * right status; forged handles, a full handle table, malformed and unknown
 * requests, oversized packets; and 20,000 random well-framed packets that must
 * each get an answer or end the session cleanly (run under ASan by
 * scripts/test).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "offsetgw/digest.h"
#include "offsetgw/sftp.h"
#include "offsetgw/vault.h"

/* --- the server side ------------------------------------------------------ */

struct done {
    char name[JAIL_NAME_MAX + 1];
    int64_t bytes;
    char sha[65];
};

struct fixture {
    char dir[64];
    struct jail j;
    int fd[2]; /* [0] the test's end, [1] the server's */
    pthread_t thread;
    struct sftp_config cfg;
    int serve_rc;
    /* what the hooks saw */
    struct done done[16];
    int n_done;
    int fail_done; /* upload_done returns -EIO */
    int move_done; /* upload_done moves the file out of the inbox */
    struct sftp_event events[64];
    char event_paths[64][300];
    int n_events;
    uint32_t id;
    struct vault *vault; /* the session's (vault hook); NULL: none */
};

static ssize_t io_read(void *ctx, void *buf, size_t len)
{
    ssize_t n;
    do
        n = read(*(int *)ctx, buf, len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

static int io_write(void *ctx, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(*(int *)ctx, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int upload_done(void *ctx, const char *name, int64_t bytes,
                       const char *sha)
{
    struct fixture *fx = ctx;
    if (fx->fail_done)
        return -EIO;
    if (fx->move_done) { /* as the pipeline does */
        char from[JAIL_NAME_MAX + 80], to[JAIL_NAME_MAX + 80];
        snprintf(from, sizeof from, "%s/inbox/%s", fx->dir, name);
        snprintf(to, sizeof to, "%s/moved-%s", fx->dir, name);
        if (rename(from, to) < 0)
            return -errno;
    }
    if (fx->n_done < 16) {
        struct done *d = &fx->done[fx->n_done];
        snprintf(d->name, sizeof d->name, "%s", name);
        d->bytes = bytes;
        snprintf(d->sha, sizeof d->sha, "%s", sha);
    }
    fx->n_done++;
    return 0;
}

static void on_event(void *ctx, const struct sftp_event *e)
{
    struct fixture *fx = ctx;
    if (fx->n_events < 64) {
        fx->events[fx->n_events] = *e;
        snprintf(fx->event_paths[fx->n_events], sizeof fx->event_paths[0], "%s",
                 e->path);
        fx->events[fx->n_events].path = fx->event_paths[fx->n_events];
        fx->events[fx->n_events].to = NULL;
        fx->events[fx->n_events].message = NULL;
    }
    fx->n_events++;
}

/* As serve's: the upload moved on (by upload_done) a moment ago. */
static int handed_on(void *ctx, const char *name, struct stat *st)
{
    struct fixture *fx = ctx;
    char path[JAIL_NAME_MAX + 80];
    snprintf(path, sizeof path, "%s/moved-%s", fx->dir, name);
    return stat(path, st) < 0 ? -errno : 0;
}

static const struct vault *session_vault(void *ctx)
{
    struct fixture *fx = ctx;
    return fx->vault;
}

static void *serve(void *arg)
{
    struct fixture *fx = arg;
    struct sftp_io io = {io_read, io_write, &fx->fd[1]};
    struct sftp_hooks hooks = {.upload_done = upload_done,
                               .handed_on = fx->move_done ? handed_on : NULL,
                               .event = on_event,
                               .vault = fx->vault ? session_vault : NULL,
                               .ctx = fx};
    fx->serve_rc = sftp_serve(&io, &fx->j, &fx->cfg, &hooks);
    close(fx->fd[1]);
    return NULL;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char in[128], out[128], path[192];
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/og-sftp-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(in, sizeof in, "%s/inbox", fx->dir);
    snprintf(out, sizeof out, "%s/outbox", fx->dir);
    snprintf(path, sizeof path, "%s/.tmp", out);
    if (mkdir(in, 0700) < 0 || mkdir(out, 0700) < 0 || mkdir(path, 0700) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/result.txt", out);
    write_file(path, "the result\n");
    if (jail_open(&fx->j, in, out) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, fx->fd) < 0)
        return -1;
    fx->cfg = (struct sftp_config){.user = "county",
                                   .max_handles = 4,
                                   .max_file_bytes = 1 << 20,
                                   .digest = true};
    *state = fx;
    return 0;
}

static void start(struct fixture *fx)
{
    assert_int_equal(pthread_create(&fx->thread, NULL, serve, fx), 0);
}

/* End the session from the client's side; the server's result. */
static int stop(struct fixture *fx)
{
    shutdown(fx->fd[0], SHUT_WR);
    pthread_join(fx->thread, NULL);
    fx->thread = 0;
    return fx->serve_rc;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    if (fx->thread)
        stop(fx);
    close(fx->fd[0]);
    jail_close(&fx->j);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd) == 0 ? 0 : -1;
    free(fx);
    return rc;
}

/* --- the client side ------------------------------------------------------ */

struct pkt {
    uint8_t b[SFTP_MAX_PACKET + 64];
    size_t n;
};

static void p_u8(struct pkt *p, uint8_t v)
{
    p->b[p->n++] = v;
}

static void p_u32(struct pkt *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        p_u8(p, (uint8_t)(v >> (8 * i)));
}

static void p_u64(struct pkt *p, uint64_t v)
{
    p_u32(p, (uint32_t)(v >> 32));
    p_u32(p, (uint32_t)v);
}

static void p_bytes(struct pkt *p, const void *b, size_t n)
{
    p_u32(p, (uint32_t)n);
    memcpy(p->b + p->n, b, n);
    p->n += n;
}

static void p_str(struct pkt *p, const char *s)
{
    p_bytes(p, s, strlen(s));
}

/* Start a request of TYPE with the next id. */
static struct pkt *req(struct fixture *fx, uint8_t type)
{
    struct pkt *p = tu_xmalloc(sizeof(*p));
    p->n = 4;
    p_u8(p, type);
    if (type != 1)
        p_u32(p, ++fx->id);
    return p;
}

static void send_pkt(struct fixture *fx, struct pkt *p)
{
    uint32_t len = (uint32_t)(p->n - 4);
    for (int i = 0; i < 4; i++)
        p->b[i] = (uint8_t)(len >> (24 - 8 * i));
    assert_int_equal(io_write(&fx->fd[0], p->b, p->n), 0);
    free(p);
}

struct reply {
    uint8_t type;
    uint32_t id;
    uint8_t b[SFTP_MAX_PACKET + 16];
    size_t n, at;
};

static uint32_t r_u32(struct reply *r)
{
    assert_true(r->at + 4 <= r->n);
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | r->b[r->at++];
    return v;
}

static uint64_t r_u64(struct reply *r)
{
    uint64_t hi = r_u32(r);
    return hi << 32 | r_u32(r);
}

/* A string, copied NUL-terminated into BUF; its length. */
static size_t r_str(struct reply *r, char *buf, size_t size)
{
    uint32_t n = r_u32(r);
    assert_true(r->at + n <= r->n);
    size_t k = n < size - 1 ? n : size - 1;
    memcpy(buf, r->b + r->at, k);
    buf[k] = '\0';
    r->at += n;
    return n;
}

/* The next reply; 0 when the server closed the stream. */
static int recv_reply(struct fixture *fx, struct reply *r)
{
    uint8_t len[4];
    ssize_t n = recv(fx->fd[0], len, 4, MSG_WAITALL);
    if (n == 0)
        return 0;
    assert_int_equal(n, 4);
    uint32_t l = (uint32_t)len[0] << 24 | (uint32_t)len[1] << 16 |
                 (uint32_t)len[2] << 8 | len[3];
    assert_true(l >= 1 && l <= sizeof r->b);
    assert_int_equal(recv(fx->fd[0], r->b, l, MSG_WAITALL), (ssize_t)l);
    r->n = l;
    r->at = 1;
    r->type = r->b[0];
    r->id = r->type == 2 ? 0 : r_u32(r);
    return 1;
}

static struct reply *expect(struct fixture *fx, uint8_t type)
{
    struct reply *r = tu_xmalloc(sizeof(*r));
    assert_int_equal(recv_reply(fx, r), 1);
    if (r->type != type) {
        char msg[256] = "";
        if (r->type == 101) {
            uint32_t code = r_u32(r);
            r_str(r, msg, sizeof msg);
            fail_msg("reply %u, expected %u: status %u '%s'", r->type, type,
                     code, msg);
        }
        fail_msg("reply %u, expected %u", r->type, type);
    }
    if (type != 2)
        assert_int_equal(r->id, fx->id);
    return r;
}

/* A STATUS reply with CODE; its message into MSG (may be NULL). */
static void expect_status(struct fixture *fx, uint32_t code, char *msg,
                          size_t size)
{
    struct reply *r = expect(fx, 101);
    char text[256];
    uint32_t got = r_u32(r);
    r_str(r, text, sizeof text);
    if (got != code)
        fail_msg("status %u '%s', expected %u", got, text, code);
    if (msg != NULL)
        snprintf(msg, size, "%s", text);
    free(r);
}

static void handshake(struct fixture *fx)
{
    struct pkt *p = req(fx, 1);
    p_u32(p, 3);
    send_pkt(fx, p);
    free(expect(fx, 2));
}

struct handle {
    uint8_t b[64];
    size_t n;
};

static struct handle open_file(struct fixture *fx, const char *path,
                               uint32_t flags)
{
    struct pkt *p = req(fx, 3);
    p_str(p, path);
    p_u32(p, flags);
    p_u32(p, 0);
    send_pkt(fx, p);
    struct reply *r = expect(fx, 102);
    struct handle h;
    h.n = r_u32(r);
    assert_true(h.n <= sizeof h.b);
    memcpy(h.b, r->b + r->at, h.n);
    free(r);
    return h;
}

static void write_at(struct fixture *fx, const struct handle *h,
                     uint64_t offset, const void *data, size_t n, uint32_t want)
{
    struct pkt *p = req(fx, 6);
    p_bytes(p, h->b, h->n);
    p_u64(p, offset);
    p_bytes(p, data, n);
    send_pkt(fx, p);
    expect_status(fx, want, NULL, 0);
}

static void close_handle(struct fixture *fx, const struct handle *h,
                         uint32_t want)
{
    struct pkt *p = req(fx, 4);
    p_bytes(p, h->b, h->n);
    send_pkt(fx, p);
    expect_status(fx, want, NULL, 0);
}

static void path_request(struct fixture *fx, uint8_t type, const char *path,
                         uint32_t want, char *msg, size_t size)
{
    struct pkt *p = req(fx, type);
    p_str(p, path);
    send_pkt(fx, p);
    expect_status(fx, want, msg, size);
}

#define WRITE_FLAGS (0x2u | 0x8u | 0x10u)

/* --- tests ---------------------------------------------------------------- */

static void test_version_exchange_advertises_the_extensions(void **state)
{
    struct fixture *fx = *state;
    char name[64], data[16], all[256] = "";
    start(fx);
    struct pkt *p = req(fx, 1);
    p_u32(p, 6); /* a newer client gets version 3 */
    send_pkt(fx, p);
    struct reply *r = expect(fx, 2);
    assert_int_equal(r_u32(r), 3);
    while (r->at < r->n) {
        r_str(r, name, sizeof name);
        r_str(r, data, sizeof data);
        strcat(all, name);
        strcat(all, " ");
    }
    free(r);
    assert_string_equal(all, "posix-rename@openssh.com statvfs@openssh.com "
                             "fsync@openssh.com limits@openssh.com ");
    /* limits: what Debian's libssh and OpenSSH take */
    p = req(fx, 200);
    p_str(p, "limits@openssh.com");
    send_pkt(fx, p);
    r = expect(fx, 201);
    assert_int_equal(r_u64(r), 256 * 1024);
    assert_int_equal(r_u64(r), SFTP_MAX_DATA);
    assert_int_equal(r_u64(r), SFTP_MAX_DATA);
    assert_int_equal(r_u64(r), 4);
    free(r);
    assert_int_equal(stop(fx), 0);
}

static void test_a_request_before_init_ends_the_session(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    struct pkt *p = req(fx, 16);
    p_str(p, ".");
    send_pkt(fx, p);
    struct reply r;
    assert_int_equal(recv_reply(fx, &r), 0);
    assert_int_equal(stop(fx), -EPROTO);
}

static void test_an_oversized_packet_ends_the_session(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    handshake(fx);
    uint8_t len[4] = {0x7f, 0xff, 0xff, 0xff};
    assert_int_equal(io_write(&fx->fd[0], len, 4), 0);
    struct reply r;
    assert_int_equal(recv_reply(fx, &r), 0);
    assert_int_equal(stop(fx), -EMSGSIZE);
}

static void test_realpath_stays_in_the_jail(void **state)
{
    struct fixture *fx = *state;
    char name[300];
    static const char *const cases[][2] = {
        {".", "/"},
        {"", "/"},
        {"/inbox/../outbox/x.txt", "/outbox/x.txt"},
        {"inbox/", "/inbox"},
    };
    start(fx);
    handshake(fx);
    for (size_t i = 0; i < 4; i++) {
        struct pkt *p = req(fx, 16);
        p_str(p, cases[i][0]);
        send_pkt(fx, p);
        struct reply *r = expect(fx, 104);
        assert_int_equal(r_u32(r), 1);
        r_str(r, name, sizeof name);
        assert_string_equal(name, cases[i][1]);
        free(r);
    }
    path_request(fx, 16, "/..", 3, NULL, 0);
    path_request(fx, 16, "/etc/passwd", 2, NULL, 0);
    assert_int_equal(stop(fx), 0);
}

static void test_an_upload_is_handed_on_when_closed(void **state)
{
    struct fixture *fx = *state;
    char text[40000], sha[65];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    assert_int_equal(digest_sha256(text, sizeof text, sha), 0);
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/debts.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, text, 32768, 0);
    write_at(fx, &h, 32768, text + 32768, sizeof text - 32768, 0);
    assert_int_equal(fx->n_done, 0);
    close_handle(fx, &h, 0);
    assert_int_equal(fx->n_done, 1);
    assert_string_equal(fx->done[0].name, "debts.txt");
    assert_int_equal(fx->done[0].bytes, sizeof text);
    assert_string_equal(fx->done[0].sha, sha);
    /* the same handle again: gone */
    close_handle(fx, &h, 4);
    assert_int_equal(stop(fx), 0);
    assert_int_equal(fx->n_events, 1);
    assert_int_equal(fx->events[0].kind, SFTP_EV_UPLOAD);
    assert_true(fx->events[0].complete);
    assert_int_equal(fx->events[0].bytes, sizeof text);
    assert_string_equal(fx->events[0].path, "/inbox/debts.txt");
    assert_string_equal(fx->events[0].sha256, sha);
}

/* Without digests (as serve runs it: the registry has them), nothing is
 * hashed: the events and the hand-on say "". */
static void test_without_digests_nothing_is_hashed(void **state)
{
    struct fixture *fx = *state;
    fx->cfg.digest = false;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/a.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, "abc", 3, 0);
    close_handle(fx, &h, 0);
    h = open_file(fx, "/outbox/result.txt", 0x1);
    close_handle(fx, &h, 0);
    assert_int_equal(stop(fx), 0);
    assert_int_equal(fx->n_done, 1);
    assert_string_equal(fx->done[0].sha, "");
    assert_int_equal(fx->done[0].bytes, 3);
    assert_int_equal(fx->n_events, 2);
    assert_string_equal(fx->events[0].sha256, "");
    assert_string_equal(fx->events[1].sha256, "");
}

static void
test_an_upload_out_of_order_gets_the_whole_files_digest(void **state)
{
    struct fixture *fx = *state;
    char sha[65];
    assert_int_equal(digest_sha256("0123456789", 10, sha), 0);
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/x.txt", WRITE_FLAGS);
    write_at(fx, &h, 5, "56789", 5, 0);
    write_at(fx, &h, 0, "01234", 5, 0);
    close_handle(fx, &h, 0);
    assert_string_equal(fx->done[0].sha, sha);
    assert_int_equal(stop(fx), 0);
}

static void test_a_temporary_name_is_handed_on_when_renamed(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/debts.txt.part", WRITE_FLAGS);
    write_at(fx, &h, 0, "data\n", 5, 0);
    close_handle(fx, &h, 0);
    assert_int_equal(fx->n_done, 0);
    struct pkt *p = req(fx, 18);
    p_str(p, "/inbox/debts.txt.part");
    p_str(p, "/inbox/debts.txt");
    send_pkt(fx, p);
    expect_status(fx, 0, NULL, 0);
    assert_int_equal(fx->n_done, 1);
    assert_string_equal(fx->done[0].name, "debts.txt");
    assert_int_equal(fx->done[0].bytes, 5);
    /* a plain rename onto an existing name fails; posix-rename replaces */
    h = open_file(fx, "/inbox/b.filepart", WRITE_FLAGS);
    close_handle(fx, &h, 0);
    p = req(fx, 18);
    p_str(p, "/inbox/b.filepart");
    p_str(p, "/inbox/debts.txt");
    send_pkt(fx, p);
    expect_status(fx, 4, NULL, 0);
    p = req(fx, 200);
    p_str(p, "posix-rename@openssh.com");
    p_str(p, "/inbox/b.filepart");
    p_str(p, "/inbox/debts.txt");
    send_pkt(fx, p);
    expect_status(fx, 0, NULL, 0);
    assert_int_equal(fx->n_done, 2);
    /* out of the inbox: refused */
    p = req(fx, 18);
    p_str(p, "/inbox/debts.txt");
    p_str(p, "/outbox/debts.txt");
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    assert_int_equal(stop(fx), 0);
}

static void test_an_upload_cut_off_is_never_handed_on(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/half.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, "half", 4, 0);
    assert_int_equal(stop(fx), 0);
    assert_int_equal(fx->n_done, 0);
    assert_int_equal(fx->n_events, 1);
    assert_false(fx->events[0].complete);
    assert_int_equal(fx->events[0].status, SFTP_FAILURE);
    assert_int_equal(fx->events[0].bytes, 4);
}

static void test_a_failed_hand_on_fails_the_close(void **state)
{
    struct fixture *fx = *state;
    fx->fail_done = 1;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/a.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, "a", 1, 0);
    close_handle(fx, &h, 4);
    assert_int_equal(stop(fx), 0);
    assert_false(fx->events[0].complete);
}

/* An ATTRS reply's size and mtime, for path request TYPE on PATH. */
static void expect_attrs(struct fixture *fx, uint8_t type, const char *path,
                         uint64_t size, uint32_t mtime)
{
    struct pkt *p = req(fx, type);
    p_str(p, path);
    send_pkt(fx, p);
    struct reply *r = expect(fx, 105);
    uint32_t flags = r_u32(r);
    assert_true(flags & 0x1);
    assert_int_equal(r_u64(r), size);
    assert_int_equal(r_u32(r) & 0777, 0600);
    r_u32(r);
    uint32_t got = r_u32(r);
    if (mtime != 0)
        assert_int_equal(got, mtime);
    free(r);
}

static void set_times(struct fixture *fx, const char *path, uint32_t t,
                      uint32_t want)
{
    struct pkt *p = req(fx, 9);
    p_str(p, path);
    p_u32(p, 0x8);
    p_u32(p, t);
    p_u32(p, t);
    send_pkt(fx, p);
    expect_status(fx, want, NULL, 0);
}

/* paramiko's put() stats the file it wrote; rclone sets its time, then
 * stats it: the file has left the inbox by then (handed on), and "no
 * such file" made them fail the upload (rclone uploaded it 3 times). */
static void test_a_handed_on_upload_can_still_be_looked_at(void **state)
{
    struct fixture *fx = *state;
    char path[128];
    struct stat st;
    fx->move_done = 1;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/a.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, "abcde", 5, 0);
    close_handle(fx, &h, 0);
    snprintf(path, sizeof path, "%s/inbox/a.txt", fx->dir);
    assert_int_not_equal(stat(path, &st), 0); /* moved on */
    snprintf(path, sizeof path, "%s/moved-a.txt", fx->dir);
    assert_int_equal(stat(path, &st), 0);
    expect_attrs(fx, 17, "/inbox/a.txt", 5, (uint32_t)st.st_mtime); /* STAT */
    expect_attrs(fx, 7, "/inbox/a.txt", 5, (uint32_t)st.st_mtime);  /* LSTAT */
    /* times are taken, and left as they are: the file is the gateway's */
    set_times(fx, "/inbox/a.txt", 1200000000, 0);
    expect_attrs(fx, 17, "/inbox/a.txt", 5, (uint32_t)st.st_mtime);
    /* its size is still not the client's to change */
    struct pkt *p = req(fx, 9);
    p_str(p, "/inbox/a.txt");
    p_u32(p, 0x1);
    p_u64(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    /* a temporary name renamed: the final name */
    h = open_file(fx, "/inbox/b.txt.part", WRITE_FLAGS);
    write_at(fx, &h, 0, "xy", 2, 0);
    close_handle(fx, &h, 0);
    p = req(fx, 18);
    p_str(p, "/inbox/b.txt.part");
    p_str(p, "/inbox/b.txt");
    send_pkt(fx, p);
    expect_status(fx, 0, NULL, 0);
    expect_attrs(fx, 17, "/inbox/b.txt", 2, 0);
    /* a new upload of the same name is itself while it is written */
    h = open_file(fx, "/inbox/a.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, "abc", 3, 0);
    expect_attrs(fx, 17, "/inbox/a.txt", 3, 0);
    close_handle(fx, &h, 0);
    expect_attrs(fx, 17, "/inbox/a.txt", 3, 0);
    /* names never handed on, or only half written, or elsewhere: not
     * there; nor is a removal pretended */
    path_request(fx, 17, "/inbox/other.txt", 2, NULL, 0);
    path_request(fx, 17, "/inbox/b.txt.part", 2, NULL, 0);
    path_request(fx, 17, "/outbox/a.txt", 2, NULL, 0);
    set_times(fx, "/inbox/other.txt", 1, 2);
    path_request(fx, 13, "/inbox/a.txt", 2, NULL, 0);
    assert_int_equal(fx->n_done, 3);
    assert_int_equal(stop(fx), 0);
}

static void test_a_download_comes_in_capped_chunks(void **state)
{
    struct fixture *fx = *state;
    char path[192], sha[65];
    size_t size = 600000;
    char *big = tu_xmalloc(size);
    for (size_t i = 0; i < size; i++)
        big[i] = (char)(i * 7);
    snprintf(path, sizeof path, "%s/outbox/big.bin", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(big, 1, size, f), size);
    fclose(f);
    assert_int_equal(digest_sha256(big, size, sha), 0);
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/outbox/big.bin", 0x1);
    size_t got = 0;
    for (;;) {
        struct pkt *p = req(fx, 5);
        p_bytes(p, h.b, h.n);
        p_u64(p, got);
        p_u32(p, 1u << 30); /* asks for a gigabyte */
        send_pkt(fx, p);
        struct reply *r = tu_xmalloc(sizeof(*r));
        assert_int_equal(recv_reply(fx, r), 1);
        if (r->type == 101) {
            assert_int_equal(r_u32(r), 1); /* EOF */
            free(r);
            break;
        }
        assert_int_equal(r->type, 103);
        uint32_t n = r_u32(r);
        assert_true(n > 0 && n <= SFTP_MAX_DATA);
        assert_memory_equal(r->b + r->at, big + got, n);
        got += n;
        free(r);
    }
    assert_int_equal(got, size);
    close_handle(fx, &h, 0);
    assert_int_equal(stop(fx), 0);
    assert_int_equal(fx->events[0].kind, SFTP_EV_DOWNLOAD);
    assert_string_equal(fx->events[0].sha256, sha);
    assert_int_equal(fx->events[0].bytes, size);
    free(big);
}

static void test_the_jail_refuses_with_the_right_status(void **state)
{
    struct fixture *fx = *state;
    char msg[256];
    start(fx);
    handshake(fx);
    /* writing in the outbox, reading back an upload, files at the root */
    struct pkt *p = req(fx, 3);
    p_str(p, "/outbox/result.txt");
    p_u32(p, WRITE_FLAGS);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 3, msg, sizeof msg);
    assert_string_equal(msg, "the outbox is read-only");
    struct handle h = open_file(fx, "/inbox/mine.txt", WRITE_FLAGS);
    close_handle(fx, &h, 0);
    p = req(fx, 3);
    p_str(p, "/inbox/mine.txt");
    p_u32(p, 0x1);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    p = req(fx, 3);
    p_str(p, "/notes.txt");
    p_u32(p, WRITE_FLAGS);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 2, NULL, 0);
    /* escapes and bad names */
    p = req(fx, 3);
    p_str(p, "/inbox/../../etc/passwd");
    p_u32(p, 0x1);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    p = req(fx, 3);
    p_bytes(p, "/inbox/a\0b", 10);
    p_u32(p, WRITE_FLAGS);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 4, NULL, 0);
    path_request(fx, 7, "/outbox/.tmp", 3, NULL, 0);
    /* folders */
    p = req(fx, 14);
    p_str(p, "/inbox/sub");
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    path_request(fx, 15, "/inbox", 3, NULL, 0);
    path_request(fx, 13, "/inbox", 3, NULL, 0);
    path_request(fx, 19, "/inbox/mine.txt", 3, NULL, 0);
    /* picking up a result removes it */
    path_request(fx, 13, "/outbox/result.txt", 0, NULL, 0);
    path_request(fx, 13, "/outbox/result.txt", 2, NULL, 0);
    assert_int_equal(stop(fx), 0);
}

static void test_setstat_sets_times_ignores_modes_refuses_sizes(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/t.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, "abc", 3, 0);
    /* FSETSTAT: mode and times, as `put -p` sends them */
    struct pkt *p = req(fx, 10);
    p_bytes(p, h.b, h.n);
    p_u32(p, 0x4 | 0x8);
    p_u32(p, 0777);
    p_u32(p, 1000000000);
    p_u32(p, 1100000000);
    send_pkt(fx, p);
    expect_status(fx, 0, NULL, 0);
    close_handle(fx, &h, 0);
    p = req(fx, 7);
    p_str(p, "/inbox/t.txt");
    send_pkt(fx, p);
    struct reply *r = expect(fx, 105);
    uint32_t flags = r_u32(r);
    assert_true(flags & 0x1);
    assert_int_equal(r_u64(r), 3);
    assert_int_equal(r_u32(r) & 0777, 0600); /* the mode was ignored */
    r_u32(r);
    assert_int_equal(r_u32(r), 1100000000);
    free(r);
    /* a size change is refused; the size it has is fine */
    p = req(fx, 9);
    p_str(p, "/inbox/t.txt");
    p_u32(p, 0x1);
    p_u64(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    p = req(fx, 9);
    p_str(p, "/inbox/t.txt");
    p_u32(p, 0x1);
    p_u64(p, 3);
    send_pkt(fx, p);
    expect_status(fx, 0, NULL, 0);
    /* times on the outbox's files are not the partner's to set */
    p = req(fx, 9);
    p_str(p, "/outbox/result.txt");
    p_u32(p, 0x8);
    p_u32(p, 1);
    p_u32(p, 1);
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    assert_int_equal(stop(fx), 0);
}

static void test_listings_end_with_eof_and_hide_the_gateways_files(void **state)
{
    struct fixture *fx = *state;
    char name[300], longname[400];
    start(fx);
    handshake(fx);
    struct pkt *p = req(fx, 11);
    p_str(p, "/outbox");
    send_pkt(fx, p);
    struct reply *r = expect(fx, 102);
    struct handle h = {.n = r_u32(r)};
    memcpy(h.b, r->b + r->at, h.n);
    free(r);
    p = req(fx, 12);
    p_bytes(p, h.b, h.n);
    send_pkt(fx, p);
    r = expect(fx, 104);
    assert_int_equal(r_u32(r), 1);
    r_str(r, name, sizeof name);
    r_str(r, longname, sizeof longname);
    assert_string_equal(name, "result.txt");
    assert_non_null(strstr(longname, "-rw-"));
    assert_non_null(strstr(longname, "county"));
    assert_non_null(strstr(longname, " result.txt"));
    free(r);
    p = req(fx, 12);
    p_bytes(p, h.b, h.n);
    send_pkt(fx, p);
    expect_status(fx, 1, NULL, 0);
    close_handle(fx, &h, 0);
    /* opening a file as a folder */
    p = req(fx, 11);
    p_str(p, "/outbox/result.txt");
    send_pkt(fx, p);
    expect_status(fx, 4, NULL, 0);
    assert_int_equal(stop(fx), 0);
}

static void test_handles_are_bounded_and_cannot_be_forged(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    handshake(fx);
    struct handle hs[4];
    for (int i = 0; i < 4; i++)
        hs[i] = open_file(fx, "/outbox/result.txt", 0x1);
    struct pkt *p = req(fx, 3);
    p_str(p, "/outbox/result.txt");
    p_u32(p, 0x1);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 4, NULL, 0); /* the table is full */
    /* a forged handle: the right slot, another generation */
    struct handle forged = hs[0];
    forged.b[7] ^= 0x55;
    close_handle(fx, &forged, 4);
    struct handle short_one = {.n = 3, .b = {0, 0, 0}};
    close_handle(fx, &short_one, 4);
    for (int i = 0; i < 4; i++)
        close_handle(fx, &hs[i], 0);
    /* a slot freed and used again does not answer to its old handle */
    struct handle again = open_file(fx, "/outbox/result.txt", 0x1);
    close_handle(fx, &hs[0], 4);
    close_handle(fx, &again, 0);
    assert_int_equal(stop(fx), 0);
}

static void test_uploads_stop_at_the_size_limit(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/big.txt", WRITE_FLAGS);
    write_at(fx, &h, (1 << 20) - 1, "x", 1, 0);
    write_at(fx, &h, (1 << 20) - 1, "xy", 2, 4);
    write_at(fx, &h, UINT64_MAX - 1, "xy", 2, 4);
    /* a write refused fails the upload: not handed on at its CLOSE */
    close_handle(fx, &h, 4);
    assert_int_equal(stop(fx), 0);
    assert_int_equal(fx->n_done, 0);
}

static void test_malformed_and_unknown_requests_get_answers(void **state)
{
    struct fixture *fx = *state;
    start(fx);
    handshake(fx);
    /* a string longer than the packet */
    struct pkt *p = req(fx, 3);
    p_u32(p, 5000);
    send_pkt(fx, p);
    expect_status(fx, 5, NULL, 0);
    /* attributes claiming more extended pairs than fit */
    p = req(fx, 9);
    p_str(p, "/inbox");
    p_u32(p, 0x80000000u);
    p_u32(p, 0xffffffffu);
    send_pkt(fx, p);
    expect_status(fx, 5, NULL, 0);
    p = req(fx, 99);
    send_pkt(fx, p);
    expect_status(fx, 8, NULL, 0);
    p = req(fx, 200);
    p_str(p, "copy-data");
    send_pkt(fx, p);
    expect_status(fx, 8, NULL, 0);
    p = req(fx, 200);
    p_str(p, "hardlink@openssh.com");
    p_str(p, "/outbox/result.txt");
    p_str(p, "/inbox/x");
    send_pkt(fx, p);
    expect_status(fx, 3, NULL, 0);
    /* a second INIT ends the session */
    p = req(fx, 1);
    p_u32(p, 3);
    send_pkt(fx, p);
    struct reply r;
    assert_int_equal(recv_reply(fx, &r), 0);
    assert_int_equal(stop(fx), -EPROTO);
}

/* Random well-framed requests: each gets one reply (or the session ends
 * cleanly on a second INIT); nothing escapes the spool. */
static void test_random_requests_never_crash_or_escape(void **state)
{
    struct fixture *fx = *state;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    static const char *const paths[] = {
        "/inbox/r.txt", "/outbox/result.txt", "/", "/inbox", "/..", "x"};
    start(fx);
    handshake(fx);
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        uint8_t type = (uint8_t)(3 + seed % 18);
        if (seed % 50 == 0)
            type = 200;
        struct pkt *p = req(fx, type);
        size_t len = (seed >> 8) % 64;
        if ((seed >> 20) % 2 == 0) {
            p_str(p, paths[(seed >> 24) % 6]);
            if (type == 3)
                p_u32(p, (uint32_t)(seed >> 32) & 0x3f);
        }
        for (size_t k = 0; k < len; k++)
            p_u8(p, (uint8_t)(seed >> (k % 56)));
        send_pkt(fx, p);
        struct reply *r = tu_xmalloc(sizeof(*r));
        assert_int_equal(recv_reply(fx, r), 1);
        assert_int_equal(r->id, fx->id);
        free(r);
    }
    assert_int_equal(stop(fx), 0);
    struct stat st;
    char path[192];
    snprintf(path, sizeof path, "%s/inbox/..", fx->dir);
    assert_int_equal(stat(path, &st), 0);
}

/* --- encryption at rest -----------------------------------------------------
 */

static struct vault *test_vault(void)
{
    unsigned char bytes[AEAD_KEY_SIZE] = {7, 7, 7};
    struct aead_key k;
    struct vault *v = tu_xmalloc(sizeof(*v));
    assert_int_equal(aead_key_init(&k, bytes), 0);
    vault_init(v, &k);
    return v;
}

/* PATH's plaintext through V, LEN bytes expected. */
static void expect_plain(const struct vault *v, const char *path,
                         const char *want, size_t len)
{
    struct vault_file *f = NULL;
    char *back = tu_xmalloc(len + 1);
    size_t got = 0;
    ssize_t n;
    assert_int_equal(vault_open(v, path, &f), 0);
    assert_true(vault_encrypted(f));
    while ((n = vault_read(f, back + got, len + 1 - got)) > 0)
        got += (size_t)n;
    assert_int_equal(n, 0);
    assert_int_equal(got, len);
    assert_memory_equal(back, want, len);
    vault_close(f);
    free(back);
}

/* Writes held out of order are bounded for the whole session, not only
 * per handle: two handles fill most of the session's budget, a third
 * gets the rest and then is refused, and the uploads fail, not hand on. */
static void test_held_writes_are_bounded_per_session(void **state)
{
    struct fixture *fx = *state;
    size_t chunk = 256000;
    char *data = tu_xmalloc(chunk), name[32];
    memset(data, 'x', chunk);
    fx->vault = test_vault();
    fx->cfg.max_file_bytes = (int64_t)64 << 20; /* the fixture's is 1 MiB */
    start(fx);
    handshake(fx);
    struct handle h[3];
    for (int k = 0; k < 3; k++) {
        snprintf(name, sizeof name, "/inbox/held%d.txt", k);
        h[k] = open_file(fx, name, WRITE_FLAGS);
    }
    /* a gap at 0 on each: every write is held */
    for (int k = 0; k < 2; k++)
        for (uint64_t i = 1; i <= 30; i++)
            write_at(fx, &h[k], i * chunk, data, chunk, 0);
    /* 60 x 256000 held; the session's 16 MiB leave room for 5 more */
    for (uint64_t i = 1; i <= 5; i++)
        write_at(fx, &h[2], i * chunk, data, chunk, 0);
    write_at(fx, &h[2], 6 * chunk, data, chunk, 4);
    for (int k = 0; k < 3; k++)
        close_handle(fx, &h[k], 4);
    assert_int_equal(fx->n_done, 0);
    /* released at the closes: a new upload's held write is taken */
    struct handle again = open_file(fx, "/inbox/again.txt", WRITE_FLAGS);
    write_at(fx, &again, chunk, data, chunk, 0);
    write_at(fx, &again, 0, data, chunk, 0);
    close_handle(fx, &again, 0);
    assert_int_equal(fx->n_done, 1);
    assert_int_equal(stop(fx), 0);
    vault_release(fx->vault);
    free(fx->vault);
    fx->vault = NULL;
    free(data);
}

static void test_encrypted_upload_takes_writes_out_of_order(void **state)
{
    struct fixture *fx = *state;
    size_t size = 200000;
    char *text = tu_xmalloc(size), sha[65], path[192];
    for (size_t i = 0; i < size; i++)
        text[i] = (char)('A' + i % 23);
    assert_int_equal(digest_sha256(text, size, sha), 0);
    fx->vault = test_vault();
    fx->cfg.digest = true;
    start(fx);
    handshake(fx);
    struct handle h = open_file(fx, "/inbox/ooo.txt", WRITE_FLAGS);
    /* pipelined writes arriving 2, 1, 4, 3, 0 */
    write_at(fx, &h, 80000, text + 80000, 40000, 0);
    write_at(fx, &h, 40000, text + 40000, 40000, 0);
    write_at(fx, &h, 160000, text + 160000, 40000, 0);
    write_at(fx, &h, 120000, text + 120000, 40000, 0);
    write_at(fx, &h, 0, text, 40000, 0);
    close_handle(fx, &h, 0);
    assert_int_equal(fx->n_done, 1);
    assert_int_equal(fx->done[0].bytes, (int64_t)size);
    assert_string_equal(fx->done[0].sha, sha);
    snprintf(path, sizeof path, "%s/inbox/ooo.txt", fx->dir);
    expect_plain(fx->vault, path, text, size);

    /* a write back over written bytes is refused, and so is the upload
     * (what it meant to change is not known) */
    h = open_file(fx, "/inbox/back.txt", WRITE_FLAGS);
    write_at(fx, &h, 0, text, 50, 0);
    write_at(fx, &h, 10, text + 10, 5, 4);
    close_handle(fx, &h, 4);
    assert_int_equal(fx->n_done, 1);
    /* a gap never filled: not handed on, the close fails */
    h = open_file(fx, "/inbox/gap.txt", WRITE_FLAGS);
    write_at(fx, &h, 100, text, 50, 0);
    write_at(fx, &h, 120, text, 50, 4); /* overlaps the held one */
    close_handle(fx, &h, 4);
    assert_int_equal(fx->n_done, 1);
    /* a non-empty file opened without truncation: refused */
    struct pkt *p = req(fx, 3);
    p_str(p, "/inbox/ooo.txt");
    p_u32(p, 0x2u);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 4, NULL, 0);
    assert_int_equal(stop(fx), 0);
    vault_release(fx->vault);
    free(fx->vault);
    fx->vault = NULL;
    free(text);
}

/* READ of LEN at OFF: the data's length into *N (status 0), or the
 * status code with MSG. */
static uint32_t read_at(struct fixture *fx, const struct handle *h,
                        uint64_t off, uint32_t len, uint32_t *n, char *msg,
                        size_t size)
{
    struct pkt *p = req(fx, 5);
    p_bytes(p, h->b, h->n);
    p_u64(p, off);
    p_u32(p, len);
    send_pkt(fx, p);
    struct reply *r = tu_xmalloc(sizeof(*r));
    assert_int_equal(recv_reply(fx, r), 1);
    uint32_t code = 0;
    if (r->type == 103) {
        *n = r_u32(r);
    } else {
        assert_int_equal(r->type, 101);
        code = r_u32(r);
        r_str(r, msg, size);
    }
    free(r);
    return code;
}

static void test_encrypted_download_sizes_and_damage(void **state)
{
    struct fixture *fx = *state;
    size_t size = 3 * AEAD_CHUNK_SIZE + 5;
    char *text = tu_xmalloc(size), path[192], msg[200];
    struct vault_writer *w = NULL;
    uint32_t n = 0;
    for (size_t i = 0; i < size; i++)
        text[i] = (char)(i * 13);
    fx->vault = test_vault();
    snprintf(path, sizeof path, "%s/outbox/enc.bin", fx->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(vault_create(fx->vault, fd, false, &w), 0);
    assert_int_equal(vault_write(w, text, size), 0);
    assert_int_equal(vault_seal(w, NULL), 0);
    vault_writer_free(w);
    start(fx);
    handshake(fx);
    /* STAT and FSTAT say the plaintext's size */
    struct pkt *p = req(fx, 17);
    p_str(p, "/outbox/enc.bin");
    send_pkt(fx, p);
    struct reply *r = expect(fx, 105);
    assert_int_equal(r_u32(r) & 1, 1);
    assert_int_equal(r_u64(r), size);
    free(r);
    struct handle h = open_file(fx, "/outbox/enc.bin", 0x1);
    p = req(fx, 8);
    p_bytes(p, h.b, h.n);
    send_pkt(fx, p);
    r = expect(fx, 105);
    r_u32(r);
    assert_int_equal(r_u64(r), size);
    free(r);
    assert_int_equal(
        read_at(fx, &h, AEAD_CHUNK_SIZE - 3, 10, &n, msg, sizeof msg), 0);
    assert_int_equal(n, 10);
    close_handle(fx, &h, 0);

    /* a bit flipped in the second chunk: that READ fails, saying so */
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, AEAD_HEADER_SIZE + AEAD_RECORD_SIZE + 50, SEEK_SET);
    int c = fgetc(f);
    fseek(f, AEAD_HEADER_SIZE + AEAD_RECORD_SIZE + 50, SEEK_SET);
    fputc(c ^ 1, f);
    fclose(f);
    h = open_file(fx, "/outbox/enc.bin", 0x1);
    assert_int_equal(read_at(fx, &h, 0, 100, &n, msg, sizeof msg), 0);
    assert_int_equal(read_at(fx, &h, AEAD_CHUNK_SIZE, 100, &n, msg, sizeof msg),
                     4);
    assert_non_null(strstr(msg, "damaged"));
    close_handle(fx, &h, 0);

    /* cut short: refused at its open */
    assert_int_equal(
        truncate(path, (off_t)(AEAD_HEADER_SIZE + AEAD_RECORD_SIZE)), 0);
    p = req(fx, 3);
    p_str(p, "/outbox/enc.bin");
    p_u32(p, 0x1);
    p_u32(p, 0);
    send_pkt(fx, p);
    expect_status(fx, 4, msg, sizeof msg);
    assert_non_null(strstr(msg, "damaged (truncated)"));
    assert_int_equal(stop(fx), 0);
    /* the downloads' events carry the failures */
    assert_int_equal(fx->events[fx->n_events - 1].status, SFTP_FAILURE);
    assert_int_equal(fx->events[fx->n_events - 2].status, SFTP_FAILURE);
    vault_release(fx->vault);
    free(fx->vault);
    fx->vault = NULL;
    free(text);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_encrypted_upload_takes_writes_out_of_order),
        T(test_held_writes_are_bounded_per_session),
        T(test_encrypted_download_sizes_and_damage),
        T(test_version_exchange_advertises_the_extensions),
        T(test_a_request_before_init_ends_the_session),
        T(test_an_oversized_packet_ends_the_session),
        T(test_realpath_stays_in_the_jail),
        T(test_an_upload_is_handed_on_when_closed),
        T(test_without_digests_nothing_is_hashed),
        T(test_an_upload_out_of_order_gets_the_whole_files_digest),
        T(test_a_temporary_name_is_handed_on_when_renamed),
        T(test_an_upload_cut_off_is_never_handed_on),
        T(test_a_failed_hand_on_fails_the_close),
        T(test_a_handed_on_upload_can_still_be_looked_at),
        T(test_a_download_comes_in_capped_chunks),
        T(test_the_jail_refuses_with_the_right_status),
        T(test_setstat_sets_times_ignores_modes_refuses_sizes),
        T(test_listings_end_with_eof_and_hide_the_gateways_files),
        T(test_handles_are_bounded_and_cannot_be_forged),
        T(test_uploads_stop_at_the_size_limit),
        T(test_malformed_and_unknown_requests_get_answers),
        T(test_random_requests_never_crash_or_escape),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
