/*
 * console.h - the HTTPS admin console of "offsetgw serve".
 *
 * Owns the console's HTTP side (libmicrohttpd over GnuTLS, TLS 1.2 and
 * 1.3 only, the home's keys/console.crt and console.key): routing, the
 * security headers on every response, logins through account.h, the
 * session cookie and idle/absolute expiry (session.h), the CSRF check of
 * every POST, logout, enabling and disabling partners, and the audit
 * events of all of these (actor "admin:NAME").  It runs in a process of
 * its own, beside the SFTP server, on a registry connection of its own;
 * what the pages and the API say is pages.c's.  See docs/console.md.
 */
#ifndef OFFSETGW_CONSOLE_H
#define OFFSETGW_CONSOLE_H

#include <signal.h>
#include <stddef.h>

#include "offsetgw/audit.h"
#include "offsetgw/home.h"

/* The GnuTLS priorities the console serves with: no version below 1.2. */
#define CONSOLE_TLS_PRIORITIES                                                 \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"
#define CONSOLE_COOKIE "__Host-ogsid"

struct console_config {
    const struct home *home;
    const struct audit_key *audit;
    int listen_fd;  /* bound and listening (console_listen) */
    int idle_s;     /* sessions: idle expiry (0: session.h's) */
    int absolute_s; /* sessions: absolute expiry (0: session.h's) */
};

/* A listening TCP socket on ADDRESS:PORT (an IPv4 or IPv6 literal; port 0
 * takes a free one); the fd into *FD and the port bound into *BOUND.  0,
 * or negative with ERR. */
int console_listen(const char *address, unsigned port, int *fd, unsigned *bound,
                   char *err, size_t err_size);

/* Serve CFG until *STOP is set (a signal handler's flag).  0 after a
 * stop; negative with ERR when the console cannot start (no certificate,
 * the registry unreadable). */
int console_run(const struct console_config *cfg, volatile sig_atomic_t *stop,
                char *err, size_t err_size);

#endif
