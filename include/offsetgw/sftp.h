/*
 * sftp.h - the SFTP protocol, version 3 as OpenSSH speaks it, served to
 * one partner over any byte stream.
 *
 * Owns the packets: the INIT/VERSION exchange (advertising
 * posix-rename, statvfs, fsync and limits@openssh.com), decoding every
 * request with each client-supplied length checked before use, the
 * session's own bounded handle table, and the replies.  Every path is
 * resolved by jail_resolve() before anything else looks at it, and every
 * file call is jail.h's.  What a finished upload becomes (the queue) and
 * where events are logged are the caller's, through hooks; the SSH
 * transport is the caller's too (server.c feeds a libssh channel, the
 * tests a socket pair), so this file knows nothing of libssh.
 *
 * An upload is finished when the client closes a file it wrote, unless
 * the file has a temporary name (".part", ".filepart", ".partial",
 * ".tmp", ".upload"): such a file is finished when it is renamed to a
 * name that is not temporary.  A file still open when the stream ends
 * is left where it is, reported incomplete, and never handed on.
 *
 * A handed-on upload has left the inbox, but clients look at a file
 * right after writing it (paramiko's put() stats it to confirm its size;
 * rclone sets its time, then stats it, often over another connection of
 * its pool) and take "no such file" for a failed upload, which rclone
 * uploads again.  So STAT, LSTAT and SETSTAT of an inbox name with no
 * file ask the handed_on hook, and answer for the upload it finds: its
 * attributes; times to set are taken and left as they are.
 *
 * Files are kept through vault.h (encrypted at rest when the session's
 * vault is on); partners see plain files.  Uploads are encrypted as they
 * are written: writes must come in order, but those ahead of the next
 * offset are held in a bounded window (SFTP_WINDOW_BYTES, SFTP_WINDOW_
 * WRITES per handle, SFTP_SESSION_WINDOW_BYTES per session) until the
 * gap before them fills; a write over bytes already
 * written, or beyond the window, fails (SSH_FX_FAILURE, saying why) and
 * so does the upload: its CLOSE fails and it is not handed on; as
 * does opening a non-empty file to write without truncating it (a
 * resumed upload: send the file whole).  A file still holding a gap at
 * its close is not handed on.  Sizes (STAT, FSTAT, READDIR) are the
 * plaintext's.  Downloads decrypt, each chunk checked before any of its
 * bytes are sent; a file whose header or last chunk does not check is
 * refused at OPEN, one with a damaged chunk fails the READ that meets it
 * (SSH_FX_FAILURE, "... damaged ..."), never served as if whole.
 */
#ifndef OFFSETGW_SFTP_H
#define OFFSETGW_SFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "offsetgw/jail.h"

/* The largest READ or WRITE data, and the largest packet, taken (what
 * limits@openssh.com advertises: Debian's libssh refuses larger reads,
 * and OpenSSH's own server takes no larger packets). */
#define SFTP_MAX_DATA 261120u
#define SFTP_MAX_PACKET (256u * 1024u + 1024u)

/* Out-of-order upload writes held per handle, at most; and in bytes for
 * all the handles of a session (one process), so that a partner's 64
 * handles cannot hold 64 windows. */
#define SFTP_WINDOW_BYTES (8u * 1024u * 1024u)
#define SFTP_WINDOW_WRITES 128u
#define SFTP_SESSION_WINDOW_BYTES (16u * 1024u * 1024u)

struct vault;

/* SSH_FX_* status codes (draft-ietf-secsh-filexfer-02). */
enum sftp_status {
    SFTP_OK = 0,
    SFTP_EOF = 1,
    SFTP_NO_SUCH_FILE = 2,
    SFTP_PERMISSION_DENIED = 3,
    SFTP_FAILURE = 4,
    SFTP_BAD_MESSAGE = 5,
    SFTP_OP_UNSUPPORTED = 8
};

/* The byte stream.  READ returns bytes read (> 0), 0 at the end of the
 * stream, or negative errno; WRITE writes all LEN bytes, 0 or negative
 * errno. */
struct sftp_io {
    ssize_t (*read)(void *ctx, void *buf, size_t len);
    int (*write)(void *ctx, const void *buf, size_t len);
    void *ctx;
};

/* One thing a client did, for the transfer log. */
enum sftp_event_kind {
    SFTP_EV_UPLOAD,   /* a file written and closed (or left open) */
    SFTP_EV_DOWNLOAD, /* a file read and closed */
    SFTP_EV_REMOVE,
    SFTP_EV_RENAME
};

struct sftp_event {
    enum sftp_event_kind kind;
    const char *path; /* canonical: "/inbox/a.txt" */
    const char *to;   /* RENAME: the new path; else NULL */
    int64_t bytes;    /* written or read */
    int64_t duration_ms;
    char sha256[65]; /* UPLOAD, DOWNLOAD: of the whole file; "" if unknown */
    bool complete;   /* UPLOAD: finished and handed on (see above) */
    enum sftp_status status; /* what the client was answered */
    const char *message;     /* why, when not OK; else "" */
};

struct sftp_hooks {
    /* Upload NAME in the inbox is finished (SHA256 of its bytes, BYTES
     * long): hand it on.  0, or negative errno: the client is told the
     * CLOSE or RENAME failed.  NULL: finished uploads stay put. */
    int (*upload_done)(void *ctx, const char *name, int64_t bytes,
                       const char *sha256);
    /* Upload NAME was handed on a moment ago (see above): its file's
     * attributes into *ST and 0, else -ENOENT.  NULL: none is. */
    int (*handed_on)(void *ctx, const char *name, struct stat *st);
    /* Every event; NULL for none. */
    void (*event)(void *ctx, const struct sftp_event *e);
    /* The session's vault (vault.h), asked once at its start.  NULL (or
     * a NULL hook): files are plain, encrypted ones are refused. */
    const struct vault *(*vault)(void *ctx);
    void *ctx;
};

struct sftp_config {
    const char *user;       /* the partner, as listings show the owner */
    unsigned max_handles;   /* open files and listings at once, 1-1024 */
    int64_t max_file_bytes; /* an upload may not grow past this */
    /* hash every transfer as it streams for its event's SHA-256 (false:
     * events carry "" and the caller knows the digests otherwise: serve
     * has them in the registry, taken once by the pipeline and the
     * outbox; a transfer's hash costs a third of a session's CPU) */
    bool digest;
};

/* Serve one session on IO until the stream ends: 0 at a clean end
 * (the client hung up between requests), negative errno when the stream
 * failed or broke the protocol in a way no reply can mend (a packet
 * length out of bounds, a request before INIT); the session must end
 * then.  Open files are closed either way. */
int sftp_serve(const struct sftp_io *io, const struct jail *jail,
               const struct sftp_config *config,
               const struct sftp_hooks *hooks);

/* Is NAME a temporary upload name (see above)? */
bool sftp_temporary_name(const char *name);

#endif
