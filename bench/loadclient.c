/*
 * loadclient.c - the SFTP clients of bench/load.sh: many agencies at once,
 * each logging in, uploading a debt file and waiting for its results.
 *
 * loadclient PORT KEYDIR FILE CLIENTS SECONDS POLL_MS OUTDIR forks CLIENTS
 * processes.  Client i (1-based) logs in as partner load<i> with the key
 * KEYDIR/load<i>, again and again until SECONDS have passed:
 *   - it uploads FILE (a CalTRECS agency file) to /inbox/c<i>-<k>.txt with
 *     the header's agency code set to L<i, 7 digits> and its sequence
 *     number to k, so that every upload is new bytes; from its second
 *     upload on, its adds (action A) become changes (C) of the same
 *     accounts, so that each file does the same work;
 *   - it lists /outbox every POLL_MS until the acknowledgement
 *     c<i>-<k>.txt.<id>.ack is there, downloads it and the unprocessable
 *     file beside it, removes both and logs out.
 * Each client writes one line per attempt to OUTDIR/client<i>.tsv:
 *   name ok|error t_connect t_uploaded t_ack t_done acks unps bytes what
 * (times in seconds since the epoch; acks: how many acknowledgements of
 * the name were seen).  It owns no policy: bench/load.sh reads the lines.
 * Not part of the gateway; built by bench/load.sh against libssh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define RESULT_TIMEOUT 900.0 /* seconds to wait for one file's results */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct attempt {
    char name[64];
    double t_connect, t_uploaded, t_ack, t_done;
    int acks, unps;
    long long bytes;
    char what[160];
};

/* Read remote PATH whole (discarding it) and remove it; bytes read or -1. */
static long long fetch(sftp_session sftp, const char *path)
{
    char buf[CHUNK];
    long long total = 0;
    sftp_file f = sftp_open(sftp, path, O_RDONLY, 0);
    if (f == NULL)
        return -1;
    for (;;) {
        ssize_t n = sftp_read(f, buf, sizeof(buf));
        if (n < 0) {
            total = -1;
            break;
        }
        if (n == 0)
            break;
        total += n;
    }
    sftp_close(f);
    if (total >= 0 && sftp_unlink(sftp, path) < 0)
        total = -1;
    return total;
}

/* One attempt: log in, upload DATA as A->name, wait for and fetch its
 * results.  0, or -1 with A->what saying why. */
static int attempt(int port, const char *user, ssh_key key, const char *data,
                   size_t size, long poll_ms, struct attempt *a)
{
    ssh_session s = ssh_new();
    sftp_session sftp = NULL;
    sftp_file f = NULL;
    char path[128], ack[192] = "", unp[192] = "";
    int rc = -1;
    bool no = false;
    if (s == NULL) {
        snprintf(a->what, sizeof(a->what), "ssh_new");
        return -1;
    }
    ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, user);
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    long timeout = 60;
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    a->t_connect = now();
    if (ssh_connect(s) != SSH_OK) {
        snprintf(a->what, sizeof(a->what), "connect: %s", ssh_get_error(s));
        goto out;
    }
    if (ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
        snprintf(a->what, sizeof(a->what), "auth: %s", ssh_get_error(s));
        goto out;
    }
    if ((sftp = sftp_new(s)) == NULL || sftp_init(sftp) < 0) {
        snprintf(a->what, sizeof(a->what), "sftp: %s", ssh_get_error(s));
        goto out;
    }
    snprintf(path, sizeof(path), "/inbox/%s", a->name);
    if ((f = sftp_open(sftp, path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
        NULL) {
        snprintf(a->what, sizeof(a->what), "open %s: %s", path,
                 ssh_get_error(s));
        goto out;
    }
    for (size_t off = 0; off < size;) {
        size_t n = size - off < 32768 ? size - off : 32768;
        ssize_t w = sftp_write(f, data + off, n);
        if (w <= 0) {
            snprintf(a->what, sizeof(a->what), "write: %s", ssh_get_error(s));
            goto out;
        }
        off += (size_t)w;
    }
    int closed = sftp_close(f);
    f = NULL;
    if (closed < 0) {
        snprintf(a->what, sizeof(a->what), "close: %s", ssh_get_error(s));
        goto out;
    }
    a->t_uploaded = now();

    /* the acknowledgement is renamed into the outbox after the
     * unprocessable file: one listing that shows it shows both */
    size_t len = strlen(a->name);
    while (a->acks == 0) {
        sftp_dir d = sftp_opendir(sftp, "/outbox");
        sftp_attributes e;
        if (d == NULL) {
            snprintf(a->what, sizeof(a->what), "opendir: %s", ssh_get_error(s));
            goto out;
        }
        while ((e = sftp_readdir(sftp, d)) != NULL) {
            const char *n = e->name, *dot;
            if (strncmp(n, a->name, len) == 0 && n[len] == '.' &&
                (dot = strrchr(n, '.')) != NULL && dot > n + len) {
                if (strcmp(dot, ".ack") == 0) {
                    if (a->acks++ == 0)
                        snprintf(ack, sizeof(ack), "/outbox/%s", n);
                } else if (strcmp(dot, ".unp") == 0) {
                    if (a->unps++ == 0)
                        snprintf(unp, sizeof(unp), "/outbox/%s", n);
                }
            }
            sftp_attributes_free(e);
        }
        sftp_closedir(d);
        if (a->acks > 0)
            break;
        if (now() - a->t_uploaded > RESULT_TIMEOUT) {
            snprintf(a->what, sizeof(a->what), "no results in %.0f s",
                     RESULT_TIMEOUT);
            goto out;
        }
        nap(poll_ms);
    }
    a->t_ack = now();
    long long got = fetch(sftp, ack);
    if (got <= 0) {
        snprintf(a->what, sizeof(a->what), "get %s: %s", ack, ssh_get_error(s));
        goto out;
    }
    a->bytes = got;
    if (unp[0] != '\0') {
        if ((got = fetch(sftp, unp)) < 0) {
            snprintf(a->what, sizeof(a->what), "get %s: %s", unp,
                     ssh_get_error(s));
            goto out;
        }
        a->bytes += got;
    }
    a->t_done = now();
    snprintf(a->what, sizeof(a->what), "-");
    rc = 0;
out:
    if (f != NULL)
        sftp_close(f);
    sftp_free(sftp);
    ssh_disconnect(s);
    ssh_free(s);
    return rc;
}

/* Set the header's agency code and sequence number in DATA (fixed width:
 * code in columns 2-9, sequence in 18-23); from SEQ 2 on, each detail's
 * action A becomes C. */
static void stamp(char *data, size_t size, int client, int seq, bool change)
{
    char field[16];
    snprintf(field, sizeof(field), "L%07d", client);
    memcpy(data + 1, field, 8);
    snprintf(field, sizeof(field), "%06d", seq % 1000000);
    memcpy(data + 17, field, 6);
    if (!change)
        return;
    for (char *p = data; p != NULL && p + 1 < data + size;) {
        if (p[0] == 'D' && p[1] == 'A')
            p[1] = 'C';
        p = memchr(p, '\n', (size_t)(data + size - p));
        if (p != NULL)
            p++;
    }
}

static int client_main(int port, const char *keydir, const char *data,
                       size_t size, int client, double until, long poll_ms,
                       const char *outdir)
{
    char path[4096], user[32];
    ssh_key key = NULL;
    char *mine = malloc(size);
    FILE *log = NULL;
    int rc = 1;
    bool added = false;
    snprintf(user, sizeof(user), "load%d", client);
    snprintf(path, sizeof(path), "%s/%s", keydir, user);
    if (mine == NULL ||
        ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
        fprintf(stderr, "loadclient: %s: cannot read the key\n", path);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/client%d.tsv", outdir, client);
    if ((log = fopen(path, "w")) == NULL) {
        perror(path);
        goto out;
    }
    memcpy(mine, data, size);
    for (int k = 1; now() < until; k++) {
        struct attempt a;
        memset(&a, 0, sizeof(a));
        snprintf(a.name, sizeof(a.name), "c%d-%d.txt", client, k);
        stamp(mine, size, client, k, added);
        int ok = attempt(port, user, key, mine, size, poll_ms, &a);
        if (ok == 0)
            added = true;
        fprintf(log, "%s\t%s\t%.6f\t%.6f\t%.6f\t%.6f\t%d\t%d\t%lld\t%s\n",
                a.name, ok == 0 ? "ok" : "error", a.t_connect, a.t_uploaded,
                a.t_ack, a.t_done, a.acks, a.unps, a.bytes, a.what);
        fflush(log);
        if (ok != 0)
            nap(1000); /* refused or cut: do not spin */
    }
    rc = 0;
out:
    if (log != NULL)
        fclose(log);
    ssh_key_free(key);
    free(mine);
    return rc;
}

/* ARG as a whole number in [1, MAX], or -1 */
static long number(const char *arg, long max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    return errno != 0 || end == arg || *end != '\0' || v < 1 || v > max ? -1
                                                                        : v;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: loadclient PORT KEYDIR FILE CLIENTS SECONDS "
                        "POLL_MS OUTDIR\n");
        return 2;
    }
    long port = number(argv[1], 65535), clients = number(argv[4], 10000);
    long seconds = number(argv[5], 86400), poll_ms = number(argv[6], 60000);
    if (port < 0 || clients < 0 || seconds < 0 || poll_ms < 0) {
        fprintf(stderr, "loadclient: bad arguments\n");
        return 2;
    }
    struct stat st;
    int fd = open(argv[3], O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 24) {
        perror(argv[3]);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    char *data = malloc(size);
    size_t got = 0;
    while (data != NULL && got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (data == NULL || got != size) {
        fprintf(stderr, "loadclient: %s unreadable\n", argv[3]);
        return 1;
    }
    ssh_init();
    double until = now() + (double)seconds;
    for (int i = 1; i <= (int)clients; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            _exit(client_main((int)port, argv[2], data, size, i, until, poll_ms,
                              argv[7]));
    }
    int failed = 0, status;
    while (wait(&status) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    free(data);
    ssh_finalize();
    return failed ? 1 : 0;
}
