/*
 * failpoint.c - the counters behind failpoint.h, and the choice of the
 * call that fails.  Only the kind names are compiled in a normal build.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "offsetgw/failpoint.h"

static const char *const kind_names[FAILPOINT_KINDS_] = {
    "alloc", "write", "fsync", "rename", "step", "commit"};

const char *failpoint_kind_name(enum failpoint_kind kind)
{
    return (unsigned)kind < FAILPOINT_KINDS_ ? kind_names[kind] : NULL;
}

#ifdef OG_FAILPOINTS

/* the server counts from several threads: atomics, no lock */
static atomic_uint_fast64_t counts[FAILPOINT_KINDS_];
static atomic_int chosen_kind = -1;
static atomic_uint_fast64_t chosen_n;
static atomic_bool fired;
static pthread_once_t configure_once = PTHREAD_ONCE_INIT;

static void write_counts(void)
{
    const char *path = getenv("OFFSETGW_FAIL_COUNTS");
    FILE *fp = path != NULL && path[0] != '\0' ? fopen(path, "w") : NULL;
    if (fp == NULL)
        return;
    for (int k = 0; k < FAILPOINT_KINDS_; k++)
        fprintf(fp, "%s %llu\n", kind_names[k],
                (unsigned long long)atomic_load(&counts[k]));
    fprintf(fp, "fired %d\n", atomic_load(&fired) ? 1 : 0);
    fclose(fp);
}

/* "KIND:N" from $OFFSETGW_FAIL; anything else chooses nothing. */
static void configure(void)
{
    const char *spec = getenv("OFFSETGW_FAIL");
    const char *colon = spec != NULL ? strchr(spec, ':') : NULL;
    if (getenv("OFFSETGW_FAIL_COUNTS") != NULL)
        atexit(write_counts);
    if (colon == NULL)
        return;
    uint64_t n = 0;
    for (const char *p = colon + 1; *p >= '0' && *p <= '9'; p++) {
        if (n > UINT64_MAX / 10 - 1)
            return;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    for (int k = 0; k < FAILPOINT_KINDS_; k++)
        if (strlen(kind_names[k]) == (size_t)(colon - spec) &&
            strncmp(spec, kind_names[k], (size_t)(colon - spec)) == 0) {
            atomic_store(&chosen_n, n);
            atomic_store(&chosen_kind, k);
        }
}

bool failpoint_hit(enum failpoint_kind kind)
{
    pthread_once(&configure_once, configure);
    uint64_t n = atomic_fetch_add(&counts[kind], 1) + 1;
    if ((int)kind != atomic_load(&chosen_kind) || n != atomic_load(&chosen_n))
        return false;
    atomic_store(&fired, true);
    return true;
}

void failpoint_set(enum failpoint_kind kind, uint64_t n)
{
    /* the API's choice replaces the environment's */
    pthread_once(&configure_once, configure);
    atomic_store(&chosen_kind, -1);
    for (int k = 0; k < FAILPOINT_KINDS_; k++)
        atomic_store(&counts[k], 0);
    atomic_store(&fired, false);
    atomic_store(&chosen_n, n);
    atomic_store(&chosen_kind, n == 0 ? -1 : (int)kind);
}

uint64_t failpoint_count(enum failpoint_kind kind)
{
    return atomic_load(&counts[kind]);
}

bool failpoint_fired(void)
{
    return atomic_load(&fired);
}

#endif
