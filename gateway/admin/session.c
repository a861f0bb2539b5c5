/*
 * session.c - the console's session table (session.h): random ids and
 * CSRF tokens, idle and absolute expiry, constant-time comparison.
 */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "offsetgw/session.h"

void session_table_init(struct session_table *t, int idle_s, int absolute_s)
{
    memset(t, 0, sizeof(*t));
    t->idle_s = idle_s > 0 ? idle_s : SESSION_IDLE_S;
    t->absolute_s = absolute_s > 0 ? absolute_s : SESSION_ABSOLUTE_S;
}

/* 32 random bytes as 64 lower-case hex digits. */
static int random_hex(char out[SESSION_HEX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[32];
    if (gnutls_rnd(GNUTLS_RND_KEY, rnd, sizeof(rnd)) < 0)
        return -EIO;
    for (size_t i = 0; i < sizeof(rnd); i++) {
        out[2 * i] = hex[rnd[i] >> 4];
        out[2 * i + 1] = hex[rnd[i] & 15];
    }
    out[64] = '\0';
    memset(rnd, 0, sizeof(rnd));
    return 0;
}

static bool expired(const struct session_table *t, const struct session *s,
                    time_t now)
{
    return now - s->last_seen >= t->idle_s || now - s->created >= t->absolute_s;
}

int session_create(struct session_table *t, const char *admin, time_t now,
                   struct session **out)
{
    struct session *s = NULL;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *c = &t->slot[i];
        if (c->used && expired(t, c, now))
            session_end(t, c);
        if (!c->used) {
            if (s == NULL || s->used)
                s = c;
        } else if (s == NULL || (s->used && c->last_seen < s->last_seen))
            s = c;
    }
    session_end(t, s); /* full: the least recently used goes */
    if (random_hex(s->id) < 0 || random_hex(s->csrf) < 0) {
        session_end(t, s);
        return -EIO;
    }
    s->used = true;
    strncpy(s->admin, admin, sizeof(s->admin) - 1);
    s->created = s->last_seen = now;
    *out = s;
    return 0;
}

bool session_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char diff = na != nb;
    for (size_t i = 0; i < nb; i++)
        diff |= (unsigned char)(a[i < na ? i : 0] ^ b[i]);
    return na > 0 && diff == 0;
}

struct session *session_lookup(struct session_table *t, const char *id,
                               time_t now)
{
    struct session *found = NULL;
    if (id == NULL || strlen(id) != SESSION_HEX - 1)
        return NULL;
    for (size_t i = 0; i < SESSION_MAX; i++) /* every slot: no timing hint */
        if (t->slot[i].used && session_equal(t->slot[i].id, id))
            found = &t->slot[i];
    if (found == NULL)
        return NULL;
    if (expired(t, found, now)) {
        session_end(t, found);
        return NULL;
    }
    found->last_seen = now;
    return found;
}

void session_end(struct session_table *t, struct session *s)
{
    (void)t;
    if (s != NULL)
        memset(s, 0, sizeof(*s));
}

bool session_csrf_ok(const struct session *s, const char *token)
{
    if (s == NULL || !s->used || token == NULL ||
        strlen(token) != SESSION_HEX - 1)
        return false;
    return session_equal(s->csrf, token);
}
