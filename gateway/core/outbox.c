/*
 * outbox.c - temporary name, fsync, commit, rename (see outbox.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "offsetgw/failpoint.h"
#include "offsetgw/durable.h"
#include "offsetgw/outbox.h"
#include "offsetgw/vault.h"

int outbox_open(const struct home *h, const char *partner, const char *name,
                struct outbox_file *out, char *err, size_t err_size)
{
    static unsigned serial;
    char tmp_dir[HOME_PATH_MAX], outbox[HOME_PATH_MAX];
    memset(out, 0, sizeof(*out));
    if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0') {
        snprintf(err, err_size, "bad output name '%s'", name);
        return -EINVAL;
    }
    if (home_box_path(h, partner, "outbox/.tmp", tmp_dir, sizeof(tmp_dir)) <
            0 ||
        home_box_path(h, partner, "outbox", outbox, sizeof(outbox)) < 0) {
        snprintf(err, err_size, "bad partner '%s'", partner);
        return -EINVAL;
    }
    int n1 = snprintf(out->tmp_path, sizeof(out->tmp_path), "%s/%s.%ld.%u",
                      tmp_dir, name, (long)getpid(), serial++);
    int n2 = snprintf(out->final_path, sizeof(out->final_path), "%s/%s", outbox,
                      name);
    if (n1 < 0 || (size_t)n1 >= sizeof(out->tmp_path) || n2 < 0 ||
        (size_t)n2 >= sizeof(out->final_path)) {
        snprintf(err, err_size, "output path too long");
        return -ENAMETOOLONG;
    }
    struct vault v;
    int rc = vault_load(&v, h, err, err_size);
    if (rc < 0)
        return rc;
    int fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, err_size, "cannot create '%s': %s", out->tmp_path,
                 strerror(errno));
        vault_release(&v);
        return rc;
    }
    rc = vault_create(&v, fd, true, &out->vw);
    vault_release(&v);
    if (rc == 0 && (out->fp = vault_writer_stream(out->vw)) == NULL)
        rc = -ENOMEM;
    if (rc < 0) {
        snprintf(err, err_size, "cannot create '%s': %s", out->tmp_path,
                 strerror(-rc));
        vault_writer_free(out->vw);
        out->vw = NULL;
        unlink(out->tmp_path);
        return rc;
    }
    return 0;
}

int outbox_seal(struct outbox_file *f, char *err, size_t err_size)
{
    int rc = 0;
    if (fclose(f->fp) != 0) {
        rc = errno > 0 ? -errno : -EIO;
        snprintf(err, err_size, "cannot write '%s': %s", f->tmp_path,
                 strerror(-rc));
    }
    f->fp = NULL;
    if (rc == 0 && (rc = vault_seal(f->vw, f->sha256)) < 0)
        snprintf(err, err_size, "cannot write '%s': %s", f->tmp_path,
                 strerror(-rc));
    if (rc == 0)
        f->bytes = vault_written(f->vw);
    vault_writer_free(f->vw);
    f->vw = NULL;
    return rc;
}

int outbox_register(struct store *s, int64_t file_id,
                    const struct outbox_file *f)
{
    struct store_output o = {.file_id = file_id};
    snprintf(o.tmp_path, sizeof(o.tmp_path), "%s", f->tmp_path);
    snprintf(o.final_path, sizeof(o.final_path), "%s", f->final_path);
    return store_output_add(s, &o, NULL);
}

void outbox_discard(struct outbox_file *f)
{
    if (f->fp != NULL) {
        fclose(f->fp);
        f->fp = NULL;
    }
    vault_writer_free(f->vw);
    f->vw = NULL;
    if (f->tmp_path[0] != '\0')
        unlink(f->tmp_path);
}

struct deliver_ctx {
    struct store *s;
    char *err;
    size_t err_size;
    int64_t done[64];
    size_t n_done;
    int rc;
};

static int deliver_one(const struct store_output *o, void *arg)
{
    struct deliver_ctx *c = arg;
    struct stat st;
    /* renamed already (a crash after the rename, before the mark): the
     * temporary name is gone and the final one is there */
    if (lstat(o->tmp_path, &st) != 0 && errno == ENOENT &&
        lstat(o->final_path, &st) == 0) {
        /* nothing to do but mark it */
    } else if (failpoint_rename(o->tmp_path, o->final_path) != 0) {
        snprintf(c->err, c->err_size, "cannot deliver '%s': %s", o->final_path,
                 strerror(errno));
        c->rc = -errno;
        return 1;
    } else {
        (void)durable_parent(o->final_path); /* best effort, as before */
    }
    c->done[c->n_done++] = o->id;
    return c->n_done == sizeof(c->done) / sizeof(c->done[0]) ? 2 : 0;
}

int outbox_deliver_pending(struct store *s, char *err, size_t err_size)
{
    for (;;) {
        struct deliver_ctx c = {.s = s, .err = err, .err_size = err_size};
        int rc = store_output_each_pending(s, deliver_one, &c);
        if (c.rc < 0)
            return c.rc;
        if (rc < 0) {
            snprintf(err, err_size, "%s", store_error(s));
            return rc;
        }
        /* marks after the read: no statement is stepping meanwhile */
        for (size_t i = 0; i < c.n_done; i++)
            if ((rc = store_output_delivered(s, c.done[i])) < 0) {
                snprintf(err, err_size, "%s", store_error(s));
                return rc;
            }
        if (c.n_done < sizeof(c.done) / sizeof(c.done[0]))
            return 0;
    }
}

/* Remove files in DIR that no pending output names. */
static int sweep(struct store *s, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(d)) != NULL) {
        char path[HOME_PATH_MAX];
        bool pending = true;
        if (e->d_name[0] == '.')
            continue;
        int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(path))
            continue;
        if (store_output_is_pending(s, path, &pending) == 0 && !pending)
            unlink(path);
    }
    closedir(d);
    return 0;
}

struct sweep_ctx {
    const struct home *h;
    struct store *s;
};

static int sweep_partner(const struct store_partner *p, void *arg)
{
    struct sweep_ctx *c = arg;
    char dir[HOME_PATH_MAX];
    if (home_box_path(c->h, p->name, "outbox/.tmp", dir, sizeof(dir)) == 0)
        sweep(c->s, dir);
    return 0;
}

int outbox_recover(const struct home *h, struct store *s, char *err,
                   size_t err_size)
{
    int rc = outbox_deliver_pending(s, err, err_size);
    if (rc < 0)
        return rc;
    struct sweep_ctx c = {.h = h, .s = s};
    return store_partner_each(s, sweep_partner, &c);
}
