/*
 * aeadbench.c - the bench's driver for the encrypted file format
 * (aead.h): `aeadbench enc|dec KEYFILE IN OUT` streams IN through the
 * writer or the reader into OUT, 1 MiB at a time.  The key file is made
 * when absent.  Exits 1 with a message on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offsetgw/aead.h"

#define BLOCK (1u << 20)

static int fail(const char *what, int rc)
{
    fprintf(stderr, "aeadbench: %s: %s\n", what, strerror(-rc));
    return 1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int encrypt(int in, int out, const struct aead_key *k, char *buf)
{
    struct aead_writer *w = NULL;
    int rc = aead_writer_new(&w, out, k);

    while (rc == 0) {
        ssize_t n = read(in, buf, BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = -errno;
        else if (n == 0)
            break;
        else
            rc = aead_write(w, buf, (size_t)n);
    }
    if (rc == 0)
        rc = aead_finish(w);
    aead_writer_free(w);
    return rc;
}

static int decrypt(int in, int out, const struct aead_key *k, char *buf)
{
    struct aead_reader *r = NULL;
    int rc = aead_reader_open(&r, in, k);

    while (rc == 0) {
        ssize_t n = aead_read(r, buf, BLOCK);
        if (n < 0)
            rc = (int)n;
        else if (n == 0)
            break;
        else
            rc = write_all(out, buf, (size_t)n);
    }
    aead_reader_free(r);
    return rc;
}

int main(int argc, char **argv)
{
    struct aead_key k;
    char *buf;
    int in, out, rc;

    if (argc != 5 ||
        (strcmp(argv[1], "enc") != 0 && strcmp(argv[1], "dec") != 0)) {
        fprintf(stderr, "usage: aeadbench enc|dec KEYFILE IN OUT\n");
        return 2;
    }
    rc = aead_master_ensure(argv[2], &k);
    if (rc < 0)
        return fail(argv[2], rc);
    in = open(argv[3], O_RDONLY);
    if (in < 0)
        return fail(argv[3], -errno);
    out = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0)
        return fail(argv[4], -errno);
    buf = malloc(BLOCK);
    if (buf == NULL)
        return fail("malloc", -ENOMEM);
    if (argv[1][0] == 'e')
        rc = encrypt(in, out, &k, buf);
    else
        rc = decrypt(in, out, &k, buf);
    aead_key_wipe(&k);
    free(buf);
    close(in);
    if (close(out) < 0 && rc == 0)
        rc = -errno;
    return rc < 0 ? fail(argv[3], rc) : 0;
}
