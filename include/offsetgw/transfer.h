/*
 * transfer.h - the registry's side of the SFTP front end: the keys
 * partners log in with, the login and transfer logs, and the queue of
 * finished uploads.
 *
 * Owns these tables (schema 8) and nothing else: what a login or an
 * upload means is server.c's and sftp.c's, running a queued upload is
 * pipeline.c's.  The logs are append-only.  A key belongs to one partner
 * only, so a key names its partner without doubt.
 */
#ifndef OFFSETGW_TRANSFER_H
#define OFFSETGW_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "offsetgw/keys.h"
#include "offsetgw/store.h"

/* --- keys ---------------------------------------------------------------- */

struct transfer_key {
    int64_t id;
    int64_t partner_id;
    struct keys_public key;
    char added_at[24];
};

/* List KEY for PARTNER_ID.  -EEXIST when that key is listed already
 * (for any partner). */
int transfer_key_add(struct store *s, int64_t partner_id,
                     const struct keys_public *key);
/* Unlist PARTNER_ID's key with FINGERPRINT; -ENOENT when it has none. */
int transfer_key_remove(struct store *s, int64_t partner_id,
                        const char *fingerprint);
/* PARTNER_ID's keys, oldest first; FN returns non-zero to stop. */
int transfer_key_list(struct store *s, int64_t partner_id,
                      int (*fn)(const struct transfer_key *k, void *ctx),
                      void *ctx);
/* Is KEY listed for the enabled partner called USER?  *OK says; its id
 * into *PARTNER_ID (0 when no such partner). */
int transfer_key_allowed(struct store *s, const char *user,
                         const struct keys_public *key, bool *ok,
                         int64_t *partner_id);

/* --- logs ---------------------------------------------------------------- */

/* One login attempt (USER as given, cleaned of control characters). */
int transfer_login_add(struct store *s, const char *user, const char *address,
                       const char *fingerprint, bool ok, const char *reason);

struct transfer_row {
    int64_t id;
    char at[24];
    int64_t partner_id;
    char partner[STORE_NAME_MAX]; /* when listed */
    char kind[12];                /* upload, download, remove, rename */
    char path[300], to_path[300];
    int64_t bytes, duration_ms;
    char sha256[65];
    int status; /* the SFTP status the client got */
    bool complete;
    char message[128];
    int64_t queue_id; /* an upload handed on: its job; 0 none */
    /* filled by transfer_list: what became of the queued upload */
    char queue_state[12];
    char result[160];
};

int transfer_add(struct store *s, const struct transfer_row *t);

/* The SHA-256 the registry keeps of the file called NAME it delivered to
 * PARTNER_ID's outbox (the newest of that name); -ENOENT when none. */
int transfer_outbound_sha(struct store *s, int64_t partner_id, const char *name,
                          char sha256[65]);

struct transfer_filter {
    int64_t partner_id; /* 0: all */
    const char *since;  /* "2026-11-26" or a full time; NULL: all */
    bool failed_only;   /* status not OK, incomplete, or its job failed */
    int64_t limit;      /* 0: all */
};
/* Newest first. */
int transfer_list(struct store *s, const struct transfer_filter *f,
                  int (*fn)(const struct transfer_row *t, void *ctx),
                  void *ctx);

/* --- the queue of finished uploads ---------------------------------------- */

enum transfer_job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED };

struct transfer_job {
    int64_t id;
    int64_t partner_id;
    char name[256];  /* the name it was uploaded as */
    char path[1024]; /* where the gateway keeps it */
    char sha256[65];
    int64_t bytes;
    enum transfer_job_state state;
    char result[160];
};

/* Queue an upload; its id into *ID. */
int transfer_queue_add(struct store *s, const struct transfer_job *j,
                       int64_t *id);
/* Take the oldest queued job: it becomes running.  -ENOENT when none. */
int transfer_queue_take(struct store *s, struct transfer_job *out);
/* Job ID is done or failed, with RESULT. */
int transfer_queue_finish(struct store *s, int64_t id,
                          enum transfer_job_state state, const char *result);
/* At start: a job left running by a stop is done if its work committed
 * (its file is marked, store_set_job), else queued again; how many were
 * queued again into *N. */
int transfer_queue_recover(struct store *s, int64_t *n);
/* Where the newest job of PARTNER_ID's upload NAME keeps its file (PATH,
 * SIZE bytes); -ENOENT when none. */
int transfer_queue_newest(struct store *s, int64_t partner_id, const char *name,
                          char *path, size_t size);
/* The state of the job whose file is PATH; -ENOENT when none. */
int transfer_queue_state_of(struct store *s, const char *path,
                            enum transfer_job_state *state);
/* Does a job name PATH (its file in received/)? */
int transfer_queue_has_path(struct store *s, const char *path, bool *named);
/* How many jobs are in each state. */
int transfer_queue_counts(struct store *s, int64_t counts[4]);
/* The file a job's work recorded (files.queue_id), if it committed:
 * *FILE_ID 0 when none. */
int transfer_queue_file(struct store *s, int64_t job_id, int64_t *file_id);
/* Mark FILE_ID as the work of job JOB_ID (in the work's transaction). */
int transfer_queue_mark_file(struct store *s, int64_t file_id, int64_t job_id);

const char *transfer_job_state_name(enum transfer_job_state st);

#endif
