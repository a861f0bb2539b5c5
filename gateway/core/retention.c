/*
 * retention.c - purging partners' old files (see retention.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "offsetgw/retention.h"
#include "offsetgw/transfer.h"

#define MAX_PARTNERS 4096

struct purge {
    const struct home *h;
    struct store *s;
    const struct audit_key *k;
    const char *actor;
    time_t cutoff;
    bool dry_run;
    void (*fn)(const char *partner, const char *path, int64_t bytes, void *ctx);
    void *ctx;
    struct retention_result *res;
    char *err;
    size_t err_size;
    int rc;
};

__attribute__((format(printf, 3, 4))) static void
note(struct purge *p, int code, const char *fmt, ...)
{
    if (p->rc != 0)
        return; /* the first failure is the one told */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->err_size, fmt, ap);
    va_end(ap);
    p->rc = code;
}

/* Purge the old files of folder BOX of partner NAME. */
static void purge_box(struct purge *p, const char *name, const char *box)
{
    char dir[HOME_PATH_MAX], path[HOME_PATH_MAX + 300], detail[96];
    if (home_box_path(p->h, name, box, dir, sizeof(dir)) < 0)
        return;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    bool received = strcmp(box, "received") == 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode) || st.st_mtime >= p->cutoff)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (received) {
            enum transfer_job_state state;
            int rc = transfer_queue_state_of(p->s, path, &state);
            if (rc == -ENOENT ||
                (rc == 0 && state != JOB_DONE && state != JOB_FAILED)) {
                p->res->kept_busy++;
                continue; /* not taken in yet: never lose an upload */
            }
            if (rc < 0) {
                note(p, rc, "%s: %s", path, store_error(p->s));
                continue;
            }
        }
        if (!p->dry_run) {
            if (unlinkat(dirfd(d), e->d_name, 0) < 0) {
                note(p, -errno, "%s: %s", path, strerror(errno));
                continue;
            }
            snprintf(detail, sizeof(detail), "bytes %lld, modified %lld",
                     (long long)st.st_size, (long long)st.st_mtime);
            char err[256];
            if (audit_append(p->h, p->s, p->k, p->actor, "file-purged", path,
                             detail, err, sizeof(err)) < 0)
                note(p, -EIO, "%s", err);
        }
        p->res->files++;
        p->res->bytes += st.st_size;
        if (p->fn != NULL)
            p->fn(name, path, (int64_t)st.st_size, p->ctx);
    }
    closedir(d);
}

struct partners {
    struct store_partner *v;
    size_t n;
};

static int keep_partner(const struct store_partner *p, void *ctx)
{
    struct partners *ps = ctx;
    if (p->retention_days > 0 && ps->n < MAX_PARTNERS)
        ps->v[ps->n++] = *p;
    return 0;
}

int retention_purge(
    const struct home *h, struct store *s, const struct audit_key *k,
    const char *actor, time_t now, bool dry_run,
    void (*fn)(const char *partner, const char *path, int64_t bytes, void *ctx),
    void *ctx, struct retention_result *res, char *err, size_t err_size)
{
    struct purge p = {h,  s,   k,   actor, 0,        dry_run,
                      fn, ctx, res, err,   err_size, 0};
    struct partners ps = {calloc(MAX_PARTNERS, sizeof(*ps.v)), 0};
    memset(res, 0, sizeof(*res));
    if (ps.v == NULL) {
        snprintf(err, err_size, "out of memory");
        return -ENOMEM;
    }
    /* the partners first, then the files: no statement open meanwhile */
    int rc = store_partner_each(s, keep_partner, &ps);
    if (rc < 0) {
        snprintf(err, err_size, "registry: %s", store_error(s));
        free(ps.v);
        return rc;
    }
    for (size_t i = 0; i < ps.n; i++) {
        p.cutoff = now - (time_t)ps.v[i].retention_days * 86400;
        purge_box(&p, ps.v[i].name, "outbox");
        purge_box(&p, ps.v[i].name, "received");
    }
    free(ps.v);
    return p.rc;
}
