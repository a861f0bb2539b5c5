/*
 * failpoint.h - making chosen system and registry calls fail on purpose,
 * for the fault tests (docs/faults.md).
 *
 * Owns the counters and the choice of which call fails; not the calls.
 * The call sites on the ingest, cycle, pipeline and outbox paths go
 * through the wrappers below (failpoint_write() for write(), ...).  In a
 * build configured with --enable-failpoints (OG_FAILPOINTS defined) each
 * wrapper counts its call by kind, and the Nth call of the chosen kind
 * fails as the system would (write: ENOSPC, fsync: EIO, rename: EIO,
 * allocation: NULL with ENOMEM, sqlite step or commit: SQLITE_IOERR).
 * Only that one call fails; later calls succeed again.  In a normal build
 * every wrapper is the plain call, inlined: no cost.
 *
 * The choice comes from $OFFSETGW_FAIL ("write:17": the 17th write;
 * "commit:1") read at the first counted call, or from failpoint_set() in
 * unit tests.  When $OFFSETGW_FAIL_COUNTS names a file, the counts of the
 * process are written there at exit ("alloc 12\nwrite 40\n..."), so a
 * test can walk N from 1 to the count of each kind.
 */
#ifndef OFFSETGW_FAILPOINT_H
#define OFFSETGW_FAILPOINT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum failpoint_kind {
    FAILPOINT_ALLOC,
    FAILPOINT_WRITE,
    FAILPOINT_FSYNC,
    FAILPOINT_RENAME,
    FAILPOINT_STEP,
    FAILPOINT_COMMIT,
    FAILPOINT_KINDS_
};

#ifdef OG_FAILPOINTS
/* Count one call of KIND; true when it is the call chosen to fail. */
bool failpoint_hit(enum failpoint_kind kind);
/* Choose the Nth call of KIND (counted from now) to fail; N == 0: none.
 * Resets every count. */
void failpoint_set(enum failpoint_kind kind, uint64_t n);
/* The calls of KIND counted since the last failpoint_set() (or start). */
uint64_t failpoint_count(enum failpoint_kind kind);
/* Whether the chosen call has failed yet. */
bool failpoint_fired(void);
#else
static inline bool failpoint_hit(enum failpoint_kind kind)
{
    (void)kind;
    return false;
}
#endif

/* "alloc", "write", ...; NULL for a kind out of range. */
const char *failpoint_kind_name(enum failpoint_kind kind);

static inline ssize_t failpoint_write(int fd, const void *buf, size_t len)
{
    if (failpoint_hit(FAILPOINT_WRITE)) {
        errno = ENOSPC;
        return -1;
    }
    return write(fd, buf, len);
}

/* fwrite() of COUNT items of SIZE: none written on the chosen call. */
static inline size_t failpoint_fwrite(const void *buf, size_t size,
                                      size_t count, FILE *fp)
{
    if (failpoint_hit(FAILPOINT_WRITE)) {
        errno = ENOSPC;
        return 0;
    }
    return fwrite(buf, size, count, fp);
}

static inline int failpoint_fsync(int fd)
{
    if (failpoint_hit(FAILPOINT_FSYNC)) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static inline int failpoint_rename(const char *from, const char *to)
{
    if (failpoint_hit(FAILPOINT_RENAME)) {
        errno = EIO;
        return -1;
    }
    return rename(from, to);
}

static inline void *failpoint_malloc(size_t size)
{
    if (failpoint_hit(FAILPOINT_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return malloc(size);
}

static inline void *failpoint_calloc(size_t n, size_t size)
{
    if (failpoint_hit(FAILPOINT_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return calloc(n, size);
}

static inline void *failpoint_realloc(void *p, size_t size)
{
    if (failpoint_hit(FAILPOINT_ALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, size);
}

#endif
