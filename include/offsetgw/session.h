/*
 * session.h - the admin console's login sessions, in the console
 * process's memory.
 *
 * Owns a fixed table of sessions: each has a random 256-bit id (the
 * cookie) and a random 256-bit CSRF token (gnutls_rnd), the admin it
 * belongs to, and two clocks: it ends after SESSION_IDLE_S without a
 * request, and SESSION_ABSOLUTE_S after login whatever happens.  Ids and
 * tokens are compared in constant time.  A full table drops its least
 * recently used session.  Cookies, HTTP and logins are console.c's.
 */
#ifndef OFFSETGW_SESSION_H
#define OFFSETGW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SESSION_MAX 128
#define SESSION_IDLE_S (15 * 60)
#define SESSION_ABSOLUTE_S (8 * 3600)
#define SESSION_HEX 65 /* 64 hex digits and a NUL */

struct session {
    bool used;
    char id[SESSION_HEX];
    char csrf[SESSION_HEX];
    char admin[64];
    time_t created, last_seen;
};

struct session_table {
    struct session slot[SESSION_MAX];
    int idle_s, absolute_s;
};

/* An empty table with these limits (0: the defaults above). */
void session_table_init(struct session_table *t, int idle_s, int absolute_s);

/* A new session for ADMIN at NOW into *OUT (the table's).  0, or -EIO
 * when no random bytes could be had. */
int session_create(struct session_table *t, const char *admin, time_t now,
                   struct session **out);

/* The live session whose id is ID, its idle clock restarted at NOW; NULL
 * when there is none, or it has expired (it is then dropped). */
struct session *session_lookup(struct session_table *t, const char *id,
                               time_t now);

/* End S (logout): wiped, its id never valid again. */
void session_end(struct session_table *t, struct session *s);

/* Is TOKEN S's CSRF token?  Constant time; NULL or "" is false. */
bool session_csrf_ok(const struct session *s, const char *token);

/* A and B (NUL-terminated) equal, in time that depends on B's length
 * only. */
bool session_equal(const char *a, const char *b);

#endif
