/*
 * reply.h - the gateway's answer to an inbound file.
 *
 * Owns what goes back to the sender of a file: an acknowledgement (taken,
 * rejected whole, or a duplicate, with the counts and the reason) and,
 * when records were rejected, an unprocessable file listing each with its
 * line, account, code, field and message.  Rejects are spooled while the
 * file is read (to an unnamed file beside the outputs, encrypted at rest
 * as they are) because the
 * unprocessable file's header names the file's SHA-256, known only at the
 * end.  Both outputs are recorded as outbound files made from the inbound
 * one and go through the outbox: they appear only once the work commits.
 */
#ifndef OFFSETGW_REPLY_H
#define OFFSETGW_REPLY_H

#include <stdio.h>

#include "offsetgw/home.h"
#include "offsetgw/layout.h"
#include "offsetgw/outbox.h"
#include "offsetgw/store.h"
#include "offsetgw/vault.h"

#define REPLY_CODES_MAX 64

/* How many records were rejected with one code. */
struct reply_code {
    char code[32];
    int64_t n;
};

struct reply {
    const struct home *home;
    struct store *store;
    const struct store_partner *to; /* the sender */
    const struct layout *ack_layout, *unp_layout;
    char name[STORE_TEXT_MAX];      /* the inbound file's name */
    char safe_name[STORE_TEXT_MAX]; /* the same, fit for a file name */
    char sha[65];                   /* its SHA-256, set before writing */
    char code[STORE_NAME_MAX];      /* the code in the replies' headers */
    int64_t file_id;                /* the inbound file's row */
    int64_t rejects;                /* spooled so far */
    struct reply_code codes[REPLY_CODES_MAX]; /* the same, per code */
    size_t n_codes;
    FILE *spool;                  /* rejects, written into SPOOL_W */
    struct vault_writer *spool_w; /* sealed at rest (vault.h) */
    int spool_fd;                 /* the same file, to read it back */
    char *err;
    size_t err_size;
};

/* Set R up to answer TO about the file NAME. */
void reply_init(struct reply *r, const struct home *home, struct store *store,
                const struct store_partner *to, const struct layout *ack_layout,
                const struct layout *unp_layout, const char *name, char *err,
                size_t err_size);

/* Note a rejected record.  0, or negative with R's ERR. */
int reply_reject(struct reply *r, int64_t line, const char *account,
                 const char *code, const char *field, const char *message);

/* Forget the rejects noted (the file is rejected whole). */
void reply_forget(struct reply *r);

struct reply_outcome {
    char status; /* 'A' taken, 'R' rejected whole, 'D' duplicate */
    int64_t records, accepted, rejected, amount_cents;
    const char *reason_code, *reason;
};

/* Write the unprocessable file (when rejects were noted) and the
 * acknowledgement, seal and record them as pending outputs, with the
 * rejects counted per code (store_file_rejects_add), in the caller's
 * open transaction.  Their final paths go to ACK and UNP (""
 * for none; each HOME_PATH_MAX).  0, or negative with ERR. */
int reply_write(struct reply *r, const struct reply_outcome *o, char *ack,
                char *unp);

void reply_release(struct reply *r);

/* NAME made fit for a file name: letters, digits, '.', '-', '_'. */
void reply_safe_name(const char *name, char *out, size_t size);

/* Record sealed output F for partner TO as an outbound file of EXCHANGE
 * in LAYOUT made from file MADE_FROM, pending delivery (in the open
 * transaction).  Also used for other outputs made from an inbound file. */
int reply_register(struct store *store, const struct store_partner *to,
                   const struct outbox_file *f, const char *exchange,
                   const struct layout *layout, int64_t made_from);

#endif
