/*
 * server.h - the SSH side of "offsetgw serve": listening, one process
 * per connection, public-key authentication, the sftp subsystem only.
 *
 * Owns the libssh server: the listening socket and its limits (sessions
 * in all and per address, the login grace time, the idle timeout, the
 * defender that refuses an address after repeated failed logins for a
 * while), the fork of each accepted connection (a fault in one session
 * cannot touch another; the parent only accepts), authentication (public
 * keys only; a key is accepted only if the partner lists it, on a valid
 * signature; passwords, keyboard-interactive, shells, exec, forwarding
 * and every subsystem but sftp refused), TCP_NODELAY and glibc's malloc
 * thresholds (docs/performance.md), and stopping: SIGTERM stops
 * accepting and gives running sessions a bound to finish.  Who the
 * partners are, their keys and folders, and what becomes of uploads are
 * the caller's, through struct server_ops, called in the connection's
 * own process.
 */
#ifndef OFFSETGW_SERVER_H
#define OFFSETGW_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offsetgw/keys.h"
#include "offsetgw/sftp.h"

struct server_config {
    const char *address; /* "127.0.0.1" */
    unsigned port;       /* 2222; 0: any free port (see ready) */
    const char *host_key;
    unsigned max_sessions;    /* in all (64) */
    unsigned max_per_address; /* (8) */
    int login_grace_s;        /* to authenticate and open sftp (30) */
    int idle_timeout_s;       /* between requests (900) */
    int64_t max_file_bytes;   /* an upload's bound */
    unsigned max_handles;     /* per session (64) */
    bool digest;              /* sessions hash transfers (sftp.h; false) */
    unsigned ban_after;       /* failed logins from one address... (5) */
    int ban_window_s;         /* ...within this many seconds (60)... */
    int ban_s;                /* ...refuse it this long (600) */
    int stop_grace_s;         /* SIGTERM: running sessions get this (30) */
};

/* The defaults above. */
void server_config_defaults(struct server_config *c);

/* What a connection's process asks of the gateway. */
struct server_ops {
    /* Once in each connection's process, before anything else: open
     * what it needs (the registry).  Its context for the calls below, or
     * NULL to refuse the connection. */
    void *(*open)(void *ctx);
    void (*close)(void *conn);
    /* Is KEY one of USER's, an enabled partner's?  true or false. */
    bool (*key_allowed)(void *conn, const char *user,
                        const struct keys_public *key);
    /* USER's inbox and outbox folders, each SIZE bytes.  0 or negative. */
    int (*folders)(void *conn, const char *user, char *inbox, char *outbox,
                   size_t size);
    /* A login attempt's outcome; KEY NULL when none was offered. */
    void (*login)(void *conn, const char *user, const char *address,
                  const struct keys_public *key, bool ok, const char *why);
    /* The session's SFTP hooks (their ctx is replaced by CONN). */
    struct sftp_hooks hooks;
    /* The pipeline worker: run in a process of its own, started once
     * listening, started again if it dies, stopped (SIGTERM) after the
     * sessions at a stop.  Its return is its exit status.  May be NULL. */
    int (*worker)(void *ctx);
    /* The admin console: run, restarted and stopped like the worker (it
     * is stopped first, at once).  May be NULL. */
    int (*console)(void *ctx);
    /* In the parent, whenever the sessions change: how many there are,
     * and their addresses.  May be NULL. */
    void (*sessions)(void *ctx, unsigned n, const char *const *addresses);
    /* Once listening: the port bound (useful with port 0).  May be NULL. */
    void (*ready)(void *ctx, unsigned port);
    void *ctx;
};

/* Serve until SIGTERM or SIGINT.  0 after a clean stop, negative with
 * ERR when the server cannot start (no host key, the port taken). */
int server_run(const struct server_config *cfg, const struct server_ops *ops,
               char *err, size_t err_size);

#endif
