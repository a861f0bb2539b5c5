/*
 * audit.h - the tamper-evident audit trail.
 *
 * Owns the chain: every security-relevant event (logins and failures,
 * partner and key changes, files received, processed and downloaded,
 * admin actions) is a row of the registry's audit table whose MAC is
 * HMAC-SHA256, under the audit key in the home's keys/, of the previous
 * row's MAC and this row's fields (its sequence number among them).  A
 * row edited, inserted, deleted or moved breaks the chain at that row,
 * which audit_verify() names.  Rows removed from the end leave no broken
 * link, so each append also moves an anchor file (var/audit.head: the
 * newest sequence number and MAC) forward, and the chain must reach it.
 * Where the rows live is the store's (store_audit_*); what counts as an
 * event is the callers'.
 */
#ifndef OFFSETGW_AUDIT_H
#define OFFSETGW_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

#define AUDIT_KEY_BYTES 32

struct audit_key {
    unsigned char k[AUDIT_KEY_BYTES];
};

/* The home's audit key, keys/audit.key: made (0600, random) when absent,
 * else read; a key file of the wrong size or readable by others is
 * refused.  0, or negative with ERR. */
int audit_key_load(const struct home *h, bool create, struct audit_key *out,
                   char *err, size_t err_size);

/* Append one event, in its own transaction (or the caller's open one):
 * ACTOR ("partner:county", "cli:root", "gateway"), ACTION ("login",
 * "key-add", "file-received"...), SUBJECT and DETAIL (may be "").  Text
 * is cleaned of control characters.  Then the anchor moves.  0, or
 * negative with ERR. */
int audit_append(const struct home *h, struct store *s,
                 const struct audit_key *k, const char *actor,
                 const char *action, const char *subject, const char *detail,
                 char *err, size_t err_size);

struct audit_report {
    int64_t rows;       /* rows read */
    int64_t broken_seq; /* the first row found altered; 0: none */
    char why[200];      /* what is wrong there */
};

/* Walk the chain.  0 with REPORT (REPORT->broken_seq 0 when intact),
 * negative with ERR when it cannot be read at all. */
int audit_verify(const struct home *h, struct store *s,
                 const struct audit_key *k, struct audit_report *report,
                 char *err, size_t err_size);

#endif
