/*
 * replay.c - a fuzz target's main without libFuzzer: feeds it every file
 * of its seed corpus (and of the regression inputs found by fuzzing), so
 * `make check` with any compiler runs each input once, under ASan in the
 * sanitizer build.
 *
 * Usage: replay_TARGET [FILE|DIR]...; with no argument the folder
 * $OG_FUZZ_CORPUS/TARGET.  Exits non-zero when an input cannot be read
 * or the corpus is empty; a crash of the target is a crash of this
 * program.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define REPLAY_MAX_BYTES (4u << 20)

static int n_inputs;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = -1;

    if (f == NULL)
        goto out;
    buf = malloc(REPLAY_MAX_BYTES);
    if (buf == NULL)
        goto out;
    n = fread(buf, 1, REPLAY_MAX_BYTES, f);
    if (ferror(f) || !feof(f))
        goto out;
    /* a copy of exactly N bytes, so ASan sees a read past the end */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact == NULL)
        goto out;
    memcpy(exact, buf, n);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    n_inputs++;
    rc = 0;
out:
    if (rc < 0)
        fprintf(stderr, "replay: %s: cannot read\n", path);
    free(buf);
    if (f != NULL)
        fclose(f);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
    struct stat st;
    DIR *d = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (stat(path, &st) < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    d = opendir(path);
    if (d == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **more = realloc(names, cap * sizeof(*names));
            if (more == NULL) {
                rc = -1;
                goto out;
            }
            names = more;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL) {
            rc = -1;
            goto out;
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    /* the same order every run, whatever the file system's */
    qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++)
        if (run_path(names[i]) < 0)
            rc = -1;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    char dir[4096];
    int rc = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (run_path(argv[i]) < 0)
                rc = 1;
    } else {
        const char *corpus = getenv("OG_FUZZ_CORPUS");
        if (corpus == NULL) {
            fprintf(stderr, "replay: OG_FUZZ_CORPUS not set\n");
            return 1;
        }
        snprintf(dir, sizeof dir, "%s/%s", corpus, FUZZ_TARGET);
        if (run_path(dir) < 0)
            rc = 1;
    }
    if (n_inputs == 0) {
        fprintf(stderr, "replay: no input\n");
        return 1;
    }
    printf("# fuzz replay %s: %d passed, %d failed\n", FUZZ_TARGET,
           rc == 0 ? n_inputs : 0, rc);
    return rc;
}
