/*
 * jail.c - a partner's view of its spool (see jail.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "offsetgw/jail.h"

/* --- paths -------------------------------------------------------------- */

/* The components of a path once "." and ".." are applied: at most
 * two fit the jail; a third is kept only until a ".." takes it back. */
struct parts {
    const char *at[3];
    size_t len[3];
    size_t n;
};

int jail_resolve(const char *path, size_t len, struct jail_path *out)
{
    struct parts p = {.n = 0};

    memset(out, 0, sizeof(*out));
    if (len > JAIL_PATH_MAX)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f)
            return -EINVAL;
    }
    /* walk the components; DEPTH counts them past the third */
    size_t depth = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && path[i] == '/')
            i++;
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        size_t n = i - start;
        const char *c = path + start;
        if (n == 0 || (n == 1 && c[0] == '.'))
            continue;
        if (n > JAIL_NAME_MAX)
            return -ENAMETOOLONG;
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            if (depth == 0)
                return -EACCES; /* above "/" */
            depth--;
            continue;
        }
        if (c[0] == '.')
            return -EACCES;
        if (depth < 3) {
            p.at[depth] = c;
            p.len[depth] = n;
        }
        depth++;
    }
    if (depth > 2)
        return -ENOENT;
    p.n = depth;
    if (p.n == 0) {
        out->area = JAIL_ROOT;
        snprintf(out->canon, sizeof(out->canon), "/");
        return 0;
    }
    if (p.len[0] == 5 && memcmp(p.at[0], "inbox", 5) == 0)
        out->area = JAIL_INBOX;
    else if (p.len[0] == 6 && memcmp(p.at[0], "outbox", 6) == 0)
        out->area = JAIL_OUTBOX;
    else
        return -ENOENT;
    if (p.n == 2) {
        memcpy(out->name, p.at[1], p.len[1]);
        out->name[p.len[1]] = '\0';
    }
    snprintf(out->canon, sizeof(out->canon), "/%s%s%s",
             out->area == JAIL_INBOX ? "inbox" : "outbox",
             out->name[0] ? "/" : "", out->name);
    return 0;
}

bool jail_allows(const struct jail_path *p, enum jail_op op)
{
    if (p->area == JAIL_ROOT || p->name[0] == '\0')
        return op == JAIL_LIST || op == JAIL_STAT;
    if (p->area == JAIL_INBOX)
        return op == JAIL_STAT || op == JAIL_WRITE || op == JAIL_REMOVE ||
               op == JAIL_RENAME || op == JAIL_SET_TIMES;
    return op == JAIL_STAT || op == JAIL_READ || op == JAIL_REMOVE;
}

/* --- the session's folders ---------------------------------------------- */

static int open_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int jail_open(struct jail *j, const char *inbox_dir, const char *outbox_dir)
{
    j->inbox_fd = j->outbox_fd = -1;
    int fd = open_dir(inbox_dir);
    if (fd < 0)
        return fd;
    j->inbox_fd = fd;
    if ((fd = open_dir(outbox_dir)) < 0) {
        jail_close(j);
        return fd;
    }
    j->outbox_fd = fd;
    return 0;
}

void jail_close(struct jail *j)
{
    if (j->inbox_fd >= 0)
        close(j->inbox_fd);
    if (j->outbox_fd >= 0)
        close(j->outbox_fd);
    j->inbox_fd = j->outbox_fd = -1;
}

static int dir_fd(const struct jail *j, const struct jail_path *p)
{
    return p->area == JAIL_OUTBOX ? j->outbox_fd : j->inbox_fd;
}

/* --- files -------------------------------------------------------------- */

int jail_stat(const struct jail *j, const struct jail_path *p, struct stat *st)
{
    int rc = p->name[0] == '\0'
                 ? fstat(dir_fd(j, p), st)
                 : fstatat(dir_fd(j, p), p->name, st, AT_SYMLINK_NOFOLLOW);
    return rc < 0 ? -errno : 0;
}

int jail_open_file(const struct jail *j, const struct jail_path *p, int flags)
{
    const int allowed = O_ACCMODE | O_CREAT | O_TRUNC | O_EXCL | O_APPEND;
    if (p->name[0] == '\0')
        return -EISDIR;
    if ((flags & ~allowed) != 0)
        return -EINVAL;
    /* O_NONBLOCK: a FIFO planted there must not hang the session; it is
     * refused below, and a regular file does not care */
    int fd =
        openat(dir_fd(j, p), p->name,
               flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
    if (fd < 0)
        return errno == ENXIO ? -EACCES : -errno;
    struct stat st;
    int e = fstat(fd, &st) < 0     ? errno
            : S_ISDIR(st.st_mode)  ? EISDIR
            : !S_ISREG(st.st_mode) ? EACCES
                                   : 0;
    if (e != 0) {
        close(fd);
        return -e;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int jail_remove(const struct jail *j, const struct jail_path *p)
{
    if (p->name[0] == '\0')
        return -EISDIR;
    return unlinkat(dir_fd(j, p), p->name, 0) < 0 ? -errno : 0;
}

int jail_rename(const struct jail *j, const struct jail_path *from,
                const struct jail_path *to, bool overwrite)
{
    if (from->name[0] == '\0' || to->name[0] == '\0')
        return -EISDIR;
    if (from->area != to->area)
        return -EXDEV;
    struct stat st;
    int fd = dir_fd(j, from);
    if (fstatat(fd, from->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EACCES;
    return renameat2(fd, from->name, fd, to->name,
                     overwrite ? 0 : RENAME_NOREPLACE) < 0
               ? -errno
               : 0;
}

int jail_set_times(const struct jail *j, const struct jail_path *p,
                   int64_t atime, int64_t mtime)
{
    if (p->name[0] == '\0')
        return -EISDIR;
    /* only a regular file's (at worst a symlink's own times would change
     * if one appeared in between: never its target's) */
    struct stat st;
    if (fstatat(dir_fd(j, p), p->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return S_ISLNK(st.st_mode) ? -ELOOP : -EACCES;
    struct timespec ts[2] = {{.tv_sec = (time_t)atime},
                             {.tv_sec = (time_t)mtime}};
    return utimensat(dir_fd(j, p), p->name, ts, AT_SYMLINK_NOFOLLOW) < 0
               ? -errno
               : 0;
}

/* --- listings ----------------------------------------------------------- */

struct jail_dir {
    DIR *d;   /* NULL for the root */
    int fd;   /* the folder read (not owned) */
    int next; /* the root: which area comes next */
    const struct jail *j;
};

int jail_opendir(const struct jail *j, const struct jail_path *p,
                 struct jail_dir **out)
{
    *out = NULL;
    if (p->name[0] != '\0')
        return -ENOTDIR;
    struct jail_dir *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return -ENOMEM;
    d->j = j;
    if (p->area != JAIL_ROOT) {
        d->fd = dir_fd(j, p);
        /* its own descriptor: closedir() closes it, and each listing
         * starts from the beginning */
        int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || (d->d = fdopendir(fd)) == NULL) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            free(d);
            return -e;
        }
    }
    *out = d;
    return 0;
}

int jail_readdir(struct jail_dir *d, struct jail_entry *e)
{
    memset(e, 0, sizeof(*e));
    if (d->d == NULL) { /* the root: its two folders */
        static const char *const areas[] = {"inbox", "outbox"};
        while (d->next < 2) {
            const char *name = areas[d->next];
            int fd = d->next++ == 0 ? d->j->inbox_fd : d->j->outbox_fd;
            if (fstat(fd, &e->st) == 0) {
                snprintf(e->name, sizeof(e->name), "%s", name);
                return 1;
            }
        }
        return 0;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d->d);
        if (de == NULL)
            return errno ? -errno : 0;
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n > JAIL_NAME_MAX)
            continue;
        if (fstatat(d->fd, de->d_name, &e->st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone since */
        memcpy(e->name, de->d_name, n + 1);
        return 1;
    }
}

void jail_closedir(struct jail_dir *d)
{
    if (d == NULL)
        return;
    if (d->d != NULL)
        closedir(d->d);
    free(d);
}
