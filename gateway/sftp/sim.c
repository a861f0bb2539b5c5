/*
 * sim.c - a tax board or treasury played over SFTP (see sim.h), with
 * libssh's SFTP client.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "offsetgw/keys.h"
#include "offsetgw/sim.h"

#define CHUNK 65536
#define MAX_FILES 4096

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}

/* The server's host key against the one pinned in DIR/host-key (pinned
 * now when there is none). */
static int check_host(ssh_session s, const char *dir, char *err,
                      size_t err_size)
{
    ssh_key key = NULL;
    struct keys_public k;
    char path[4096], pinned[KEYS_FP_MAX + 2] = "";
    if (ssh_get_server_publickey(s, &key) != SSH_OK)
        return fail(err, err_size, -EPROTO, "no host key from the server");
    int rc = keys_from_ssh(key, &k);
    ssh_key_free(key);
    if (rc < 0)
        return fail(err, err_size, rc, "the host key does not encode");
    snprintf(path, sizeof(path), "%s/host-key", dir);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fgets(pinned, sizeof(pinned), f) == NULL)
            pinned[0] = '\0';
        fclose(f);
        pinned[strcspn(pinned, "\n")] = '\0';
        if (strcmp(pinned, k.fingerprint) != 0)
            return fail(err, err_size, -EPERM,
                        "the server's host key is %s, not %s pinned in %s",
                        k.fingerprint, pinned, path);
        return 0;
    }
    if ((f = fopen(path, "w")) == NULL)
        return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
    fprintf(f, "%s\n", k.fingerprint);
    return fclose(f) == 0 ? 0 : fail(err, err_size, -EIO, "%s", path);
}

static int login(const struct sim_options *o, ssh_session *out, char *err,
                 size_t err_size)
{
    ssh_session s = ssh_new();
    ssh_key key = NULL;
    int port = (int)o->port, rc = 0;
    bool no = false;
    if (s == NULL)
        return fail(err, err_size, -ENOMEM, "out of memory");
    if (ssh_options_set(s, SSH_OPTIONS_HOST, o->host) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_USER, o->user) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0) {
        rc = fail(err, err_size, -EINVAL, "%s", ssh_get_error(s));
        goto out;
    }
    if (ssh_connect(s) != SSH_OK) {
        rc = fail(err, err_size, -ECONNREFUSED, "%s:%u: %s", o->host, o->port,
                  ssh_get_error(s));
        goto out;
    }
    if ((rc = check_host(s, o->dir, err, err_size)) < 0)
        goto out;
    if (ssh_pki_import_privkey_file(o->key_path, NULL, NULL, NULL, &key) !=
        SSH_OK) {
        rc = fail(err, err_size, -EINVAL, "%s: not a private key", o->key_path);
        goto out;
    }
    if (ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
        rc = fail(err, err_size, -EACCES, "%s: the key was refused: %s",
                  o->user, ssh_get_error(s));
        goto out;
    }
out:
    ssh_key_free(key);
    if (rc < 0) {
        ssh_disconnect(s);
        ssh_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* The names in /outbox (at most MAX_FILES), each malloc'd. */
static int list_outbox(sftp_session sf, char **names, int *n, char *err,
                       size_t err_size)
{
    sftp_dir d = sftp_opendir(sf, "/outbox");
    sftp_attributes a;
    *n = 0;
    if (d == NULL)
        return fail(err, err_size, -EIO, "cannot list /outbox (%d)",
                    sftp_get_error(sf));
    while ((a = sftp_readdir(sf, d)) != NULL) {
        if (a->name[0] != '.' && a->type == SSH_FILEXFER_TYPE_REGULAR &&
            *n < MAX_FILES && (names[*n] = strdup(a->name)) != NULL)
            (*n)++;
        sftp_attributes_free(a);
    }
    sftp_closedir(d);
    return 0;
}

static int download(sftp_session sf, const char *remote, const char *local,
                    char *err, size_t err_size)
{
    char *buf = malloc(CHUNK);
    sftp_file f = sftp_open(sf, remote, O_RDONLY, 0);
    FILE *out = fopen(local, "w");
    int rc = 0;
    if (buf == NULL || f == NULL || out == NULL) {
        rc = fail(err, err_size, -EIO, "download %s", remote);
        goto out;
    }
    for (;;) {
        ssize_t n = sftp_read(f, buf, CHUNK);
        if (n < 0) {
            rc = fail(err, err_size, -EIO, "read %s", remote);
            break;
        }
        if (n == 0)
            break;
        if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
            rc = fail(err, err_size, -EIO, "write %s", local);
            break;
        }
    }
out:
    if (out != NULL && fclose(out) != 0 && rc == 0)
        rc = fail(err, err_size, -EIO, "write %s", local);
    if (f != NULL)
        sftp_close(f);
    free(buf);
    return rc;
}

/* Upload LOCAL as /inbox/NAME: written under NAME.part, then renamed. */
static int upload(sftp_session sf, const char *local, const char *name,
                  char *err, size_t err_size)
{
    char part[600], final[600];
    char *buf = malloc(CHUNK);
    FILE *in = fopen(local, "r");
    int rc = 0;
    snprintf(part, sizeof(part), "/inbox/%s.part", name);
    snprintf(final, sizeof(final), "/inbox/%s", name);
    sftp_file f = sftp_open(sf, part, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (buf == NULL || in == NULL || f == NULL) {
        rc = fail(err, err_size, -EIO, "upload %s (%d)", part,
                  sftp_get_error(sf));
        goto out;
    }
    size_t n;
    while ((n = fread(buf, 1, CHUNK, in)) > 0)
        if (sftp_write(f, buf, n) != (ssize_t)n) {
            rc = fail(err, err_size, -EIO, "write %s", part);
            break;
        }
out:
    if (f != NULL && sftp_close(f) != SSH_OK && rc == 0)
        rc = fail(err, err_size, -EIO, "close %s", part);
    if (rc == 0 && sftp_rename(sf, part, final) != SSH_OK)
        rc = fail(err, err_size, -EIO, "rename %s (%d)", part,
                  sftp_get_error(sf));
    if (in != NULL)
        fclose(in);
    free(buf);
    return rc;
}

static bool is_debt_file(const char *name, bool *request)
{
    static const char *const sent[] = {"taxboard-debt.", "treasury-referral.",
                                       "treasury-address-request."};
    for (size_t i = 0; i < sizeof(sent) / sizeof(*sent); i++)
        if (strncmp(name, sent[i], strlen(sent[i])) == 0) {
            *request = i == 2;
            return true;
        }
    return false;
}

/* Answer the debt file at IN (downloaded as NAME) and upload the answers. */
static int answer(const struct sim_options *o, sftp_session sf, const char *in,
                  const char *name, bool request, struct sim_result *res,
                  char *err, size_t err_size)
{
    char match[4200], coll[4200], up[600];
    struct synth_reply_options ro = o->replies;
    struct synth_reply_result rr;
    char exchange[64];
    /* each file its own draws, the same for the same seed and name */
    for (const char *c = name; *c; c++)
        ro.seed = ro.seed * 31 + (unsigned char)*c;
    snprintf(match, sizeof(match), "%s/out/match.%s", o->dir, name);
    snprintf(coll, sizeof(coll), "%s/out/collections.%s", o->dir, name);
    int rc = synth_replies_files(o->programs_dir, o->program, &ro, in, match,
                                 request ? NULL : coll, &rr, exchange, err,
                                 err_size);
    if (rc < 0)
        return rc;
    res->answered++;
    snprintf(up, sizeof(up), "match.%s", name);
    if ((rc = upload(sf, match, up, err, err_size)) < 0)
        return rc;
    res->uploaded++;
    if (request)
        return 0;
    snprintf(up, sizeof(up), "collections.%s", name);
    if ((rc = upload(sf, coll, up, err, err_size)) < 0)
        return rc;
    res->uploaded++;
    return 0;
}

int sim_round(const struct sim_options *o, struct sim_result *res, char *err,
              size_t err_size)
{
    char path[4200];
    char **names = calloc(MAX_FILES, sizeof(*names));
    ssh_session s = NULL;
    sftp_session sf = NULL;
    int n = 0, rc;
    memset(res, 0, sizeof(*res));
    if (names == NULL)
        return fail(err, err_size, -ENOMEM, "out of memory");
    static const char *const sub[] = {"", "/in", "/out"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", o->dir, sub[i]);
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            rc = fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
            goto out;
        }
    }
    if ((rc = login(o, &s, err, err_size)) < 0)
        goto out;
    if ((sf = sftp_new(s)) == NULL || sftp_init(sf) != SSH_OK) {
        rc = fail(err, err_size, -EPROTO, "sftp: %s", ssh_get_error(s));
        goto out;
    }
    if ((rc = list_outbox(sf, names, &n, err, err_size)) < 0)
        goto out;
    for (int i = 0; i < n && rc == 0; i++) {
        char remote[600];
        bool request = false;
        snprintf(remote, sizeof(remote), "/outbox/%s", names[i]);
        snprintf(path, sizeof(path), "%s/in/%s", o->dir, names[i]);
        if ((rc = download(sf, remote, path, err, err_size)) < 0)
            break;
        if (sftp_unlink(sf, remote) != SSH_OK) {
            rc = fail(err, err_size, -EIO, "remove %s", remote);
            break;
        }
        res->downloaded++;
        if (o->answer && is_debt_file(names[i], &request))
            rc = answer(o, sf, path, names[i], request, res, err, err_size);
    }
    if (rc == 0 && o->upload != NULL) {
        const char *base = strrchr(o->upload, '/');
        base = base ? base + 1 : o->upload;
        if ((rc = upload(sf, o->upload, base, err, err_size)) == 0)
            res->uploaded++;
    }
out:
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (sf != NULL)
        sftp_free(sf);
    if (s != NULL) {
        ssh_disconnect(s);
        ssh_free(s);
    }
    return rc;
}
