/*
 * views.h - the registry as the admin console reads it: files per day,
 * the newest files, one file and what it produced, the last login of a
 * partner, the audit trail a page at a time.
 *
 * Owns these read-only queries (gateway/store/views.c) and nothing that
 * writes; the console's other figures come from transfer.h and store.h.
 * No query reads a debtor or a record: the console shows files and
 * counts, never an SSN.
 */
#ifndef OFFSETGW_VIEWS_H
#define OFFSETGW_VIEWS_H

#include <stdbool.h>
#include <stdint.h>

#include "offsetgw/store.h"

struct views_file {
    int64_t id;
    char partner[STORE_NAME_MAX];
    char name[STORE_TEXT_MAX];
    bool outbound;
    char exchange[STORE_NAME_MAX];
    char status[16]; /* file_status_name() */
    int64_t records, accepted, rejected, amount_cents;
    char error[STORE_TEXT_MAX];
    char sha256[65];
    char received_at[24];
    int64_t made_from; /* outbound: the inbound file it answers; 0 none */
    /* views_file_outputs: where it was delivered, and whether yet */
    char path[1024];
    bool delivered;
};

/* Inbound files and their records per day since DAY ("2026-11-01"),
 * oldest day first; days without files are left out. */
int views_files_per_day(struct store *s, const char *day,
                        int (*fn)(const char *day, int64_t files,
                                  int64_t records, void *ctx),
                        void *ctx);

/* Inbound files newest first, LIMIT of them after skipping OFFSET. */
int views_files_recent(struct store *s, int64_t limit, int64_t offset,
                       int (*fn)(const struct views_file *f, void *ctx),
                       void *ctx);

/* File ID; -ENOENT when none. */
int views_file_get(struct store *s, int64_t id, struct views_file *out);

/* The outbound files made from file ID (its acknowledgement,
 * unprocessable file...), with where each was delivered. */
int views_file_outputs(struct store *s, int64_t id,
                       int (*fn)(const struct views_file *f, void *ctx),
                       void *ctx);

/* The time of PARTNER_ID's newest successful login into AT ("" when
 * none). */
int views_last_login(struct store *s, int64_t partner_id, char at[24]);

/* Audit rows newest first, LIMIT after skipping OFFSET; the number of
 * rows into *TOTAL (may be NULL). */
int views_audit_page(struct store *s, int64_t limit, int64_t offset,
                     int64_t *total,
                     int (*fn)(const struct store_audit_row *r, void *ctx),
                     void *ctx);

#endif
