/*
 * fuzz_sftp.c - fuzz target: the SFTP request decoder (sftp.h).  The
 * input is the raw byte stream a client sends after the version
 * exchange (the harness sends INIT first): length-framed packets of any
 * type, served on a real jail made once per process in the scratch
 * folder (an inbox, an outbox holding result.txt), with the replies
 * thrown away.  The jail is put back as it was after each input so
 * every input starts from the same state.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fuzzutil.h"
#include "offsetgw/sftp.h"

static struct jail jail;
static char inbox[256], outbox[256], result[300];

struct stream {
    const uint8_t *data;
    size_t size, at;
};

/* INIT, version 3: what every session starts with */
static const uint8_t init_packet[] = {0, 0, 0, 5, 1, 0, 0, 0, 3};

static ssize_t io_read(void *ctx, void *buf, size_t len)
{
    struct stream *s = ctx;
    size_t left = s->size - s->at;
    if (left == 0)
        return 0;
    if (len > left)
        len = left;
    memcpy(buf, s->data + s->at, len);
    s->at += len;
    return (ssize_t)len;
}

static int io_write(void *ctx, const void *buf, size_t len)
{
    (void)ctx, (void)buf, (void)len;
    return 0;
}

static int upload_done(void *ctx, const char *name, int64_t bytes,
                       const char *sha256)
{
    (void)ctx, (void)bytes;
    /* a finished upload has a name and a digest, or none when the file
     * could not be read again */
    if (name[0] == '\0' || (sha256[0] != '\0' && strlen(sha256) != 64))
        abort();
    return 0;
}

static int handed_on(void *ctx, const char *name, struct stat *st)
{
    (void)ctx, (void)st;
    (void)name;
    return -ENOENT; /* nothing was handed on */
}

static void write_result(void)
{
    int fd = open(result, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "the result\n", 11) != 11)
        fu_die(result, strerror(errno));
    close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char tmp[300];
    (void)argc, (void)argv;
    snprintf(inbox, sizeof inbox, "%s/inbox", fu_scratch());
    snprintf(outbox, sizeof outbox, "%s/outbox", fu_scratch());
    snprintf(tmp, sizeof tmp, "%s/.tmp", outbox);
    snprintf(result, sizeof result, "%s/result.txt", outbox);
    if (mkdir(inbox, 0700) < 0 || mkdir(outbox, 0700) < 0 ||
        mkdir(tmp, 0700) < 0)
        fu_die("jail", strerror(errno));
    write_result();
    if (jail_open(&jail, inbox, outbox) < 0)
        fu_die("jail", "cannot open");
    return 0;
}

/* Empty the inbox and put result.txt back in the outbox. */
static void reset(void)
{
    DIR *d = opendir(inbox);
    if (d == NULL)
        fu_die(inbox, strerror(errno));
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    struct stat st;
    if (stat(result, &st) < 0 || st.st_size != 11)
        write_result();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *stream = malloc(sizeof init_packet + size);
    if (stream == NULL)
        return 0;
    memcpy(stream, init_packet, sizeof init_packet);
    if (size > 0)
        memcpy(stream + sizeof init_packet, data, size);
    struct stream s = {stream, sizeof init_packet + size, 0};
    struct sftp_io io = {io_read, io_write, &s};
    struct sftp_config cfg = {.user = "county",
                              .max_handles = 4,
                              .max_file_bytes = 1 << 16,
                              .digest = true};
    struct sftp_hooks hooks = {.upload_done = upload_done,
                               .handed_on = handed_on};
    int rc = sftp_serve(&io, &jail, &cfg, &hooks);
    if (rc > 0)
        abort(); /* 0 or negative errno */
    free(stream);
    reset();
    return 0;
}
