/*
 * fuzzutil.h - what the fuzz targets of tests/fuzz share: the entry
 * points libFuzzer calls (declared here so -Wmissing-prototypes stays
 * quiet), a scratch folder made once per process and removed at its
 * exit, and the path of the shipped formats.
 *
 * Header-only (every helper static and marked unused), so a target stays
 * one translation unit linked either with libFuzzer (--enable-fuzzing)
 * or with replay.c, which feeds it its seed corpus in `make check`.
 */
#ifndef OG_FUZZUTIL_H
#define OG_FUZZUTIL_H

#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FU_UNUSED __attribute__((unused))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fu_scratch_dir[128];

static int fu_rm_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) < 0 ? -1 : 0;
}

/* Remove everything under PATH, PATH itself included. */
FU_UNUSED static void fu_rm_tree(const char *path)
{
    nftw(path, fu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fu_scratch_remove(void)
{
    if (fu_scratch_dir[0] != '\0')
        fu_rm_tree(fu_scratch_dir);
}

/* The process's scratch folder (on tmpfs when /dev/shm is there), made
 * on the first call and removed at exit; aborts when it cannot be made:
 * a target cannot run without it. */
FU_UNUSED static const char *fu_scratch(void)
{
    if (fu_scratch_dir[0] != '\0')
        return fu_scratch_dir;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fu_scratch_dir, sizeof fu_scratch_dir, "%s/og-fuzz-XXXXXX", base);
    if (mkdtemp(fu_scratch_dir) == NULL) {
        perror("fuzz: scratch folder");
        abort();
    }
    atexit(fu_scratch_remove);
    return fu_scratch_dir;
}

/* The source tree: $OG_FUZZ_SRCDIR, else the one this was built from
 * (the shipped formats are under formats/, test layouts tests/data/). */
FU_UNUSED static const char *fu_srcdir(void)
{
    const char *d = getenv("OG_FUZZ_SRCDIR");
    return d != NULL && d[0] != '\0' ? d : OG_FUZZ_SRCDIR_BUILT;
}

/* Stop the process on a failure of the harness itself (not of the code
 * under test, which must never make a target fail but by crashing). */
FU_UNUSED static void fu_die(const char *what, const char *why)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, why);
    abort();
}

#endif
