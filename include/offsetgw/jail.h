/*
 * jail.h - a partner's view of its spool over SFTP: "/", "/inbox",
 * "/outbox" and the plain files directly in those two, nothing else.
 *
 * Owns two things and only these:
 *  - turning a client's path into a place in the jail, once, before any
 *    permission check (jail_resolve): every later step works on that
 *    place, never on the client's text;
 *  - every file-system call on a partner's files, made relative to the
 *    inbox and outbox directories opened once per session without
 *    following symlinks, never by path, so no symlink planted in the
 *    spool and no race on a path name leads out of the jail.
 * What each place allows is jail_allows(); the SFTP protocol is sftp.h's.
 */
#ifndef OFFSETGW_JAIL_H
#define OFFSETGW_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define JAIL_NAME_MAX 255  /* longest file name, in bytes */
#define JAIL_PATH_MAX 1024 /* longest client path taken, in bytes */

enum jail_area { JAIL_ROOT, JAIL_INBOX, JAIL_OUTBOX };

/* A place in the jail. */
struct jail_path {
    enum jail_area area;
    char name[JAIL_NAME_MAX + 1];   /* "" for the area itself */
    char canon[JAIL_NAME_MAX + 16]; /* "/", "/inbox", "/outbox/a.txt" */
};

/* Canonicalise the client's PATH (LEN bytes, not NUL-terminated; a
 * relative path starts at "/"): empty and "." components are dropped,
 * ".." takes one back.  0 with OUT filled, or:
 *   -ENAMETOOLONG  PATH longer than JAIL_PATH_MAX, or a component longer
 *                  than JAIL_NAME_MAX;
 *   -EINVAL        a NUL or another control character (newline, DEL...)
 *                  anywhere in PATH;
 *   -EACCES        ".." above "/", or a component starting with '.' (the
 *                  gateway's own, such as outbox/.tmp, and hidden files);
 *   -ENOENT        no such place: a first component other than "inbox"
 *                  or "outbox", or a path more than two levels deep. */
int jail_resolve(const char *path, size_t len, struct jail_path *out);

/* What a client may do. */
enum jail_op {
    JAIL_LIST,     /* list a folder */
    JAIL_STAT,     /* attributes */
    JAIL_READ,     /* open a file for reading */
    JAIL_WRITE,    /* create or open a file for writing */
    JAIL_REMOVE,   /* remove a file */
    JAIL_RENAME,   /* rename a file (both ends) */
    JAIL_SET_TIMES /* set a file's times */
};

/* May a client do OP on P?  The three folders may be listed and
 * statted, never changed.  Inbox files may be written, statted, renamed
 * within the inbox, given times and removed, not read back.  Outbox
 * files may be read, statted and removed (picked up), not written. */
bool jail_allows(const struct jail_path *p, enum jail_op op);

/* One partner's session: its two folders, opened once. */
struct jail {
    int inbox_fd, outbox_fd;
};

/* Open the folders INBOX_DIR and OUTBOX_DIR (refusing symlinks and
 * anything not a folder).  0, or negative errno. */
int jail_open(struct jail *j, const char *inbox_dir, const char *outbox_dir);
void jail_close(struct jail *j);

/* Attributes of P: the root is a folder like the inbox; a symlink is
 * reported as one, never followed.  0 or negative errno. */
int jail_stat(const struct jail *j, const struct jail_path *p, struct stat *st);

/* Open file P with FLAGS (O_RDONLY, or O_WRONLY / O_RDWR with any of
 * O_CREAT, O_TRUNC, O_EXCL, O_APPEND); created files are mode 0600.  A
 * symlink, a folder, a FIFO or anything else not a regular file is
 * refused (-ELOOP for a symlink, -EISDIR, -EACCES) without blocking.
 * The descriptor (close-on-exec), or negative errno. */
int jail_open_file(const struct jail *j, const struct jail_path *p, int flags);

/* Remove file P (a symlink planted there is removed, not followed; a
 * folder is refused).  0 or negative errno. */
int jail_remove(const struct jail *j, const struct jail_path *p);

/* Rename file FROM to TO, both in the same folder; TO is replaced only
 * when OVERWRITE (else -EEXIST).  0 or negative errno. */
int jail_rename(const struct jail *j, const struct jail_path *from,
                const struct jail_path *to, bool overwrite);

/* Set file P's access and modification times (seconds since 1970); a
 * symlink (-ELOOP) or anything else not a regular file (-EACCES) is
 * refused.  0 or negative errno. */
int jail_set_times(const struct jail *j, const struct jail_path *p,
                   int64_t atime, int64_t mtime);

/* Listing a folder. */
struct jail_dir;
struct jail_entry {
    char name[JAIL_NAME_MAX + 1];
    struct stat st;
};
/* Start listing folder P (an area).  0 with *OUT, or negative errno. */
int jail_opendir(const struct jail *j, const struct jail_path *p,
                 struct jail_dir **out);
/* The next entry: 1 with E filled, 0 at the end, negative errno.  Names
 * starting with '.' (the gateway's own) are never listed; nor are
 * entries that vanish while the folder is read. */
int jail_readdir(struct jail_dir *d, struct jail_entry *e);
void jail_closedir(struct jail_dir *d);

#endif
