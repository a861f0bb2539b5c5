/*
 * pipeline.h - taking a partner's file in, whoever brings it: the
 * `offsetgw ingest` command, or the SFTP front end through its queue.
 *
 * Owns three things:
 *  - pipeline_ingest(): which core takes a file, by the partner's kind
 *    (intake.c for agencies, responses.c for tax boards and treasuries,
 *    payer.c for payers): the one code path both callers run;
 *  - pipeline_enqueue(): a finished upload moved out of the partner's
 *    inbox into its received/ folder (where the partner cannot touch it)
 *    and queued, in that order: a stop in between leaves a file that
 *    pipeline_recover() queues;
 *  - running the queue (pipeline_run_one, pipeline_recover): each job's
 *    work is marked with its id in the work's own transaction, so a job
 *    whose work committed is never run twice, and one whose work did not
 *    is run again.
 */
#ifndef OFFSETGW_PIPELINE_H
#define OFFSETGW_PIPELINE_H

#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/intake.h"
#include "offsetgw/payer.h"
#include "offsetgw/responses.h"
#include "offsetgw/store.h"

struct pipeline_env {
    const struct home *home;
    struct store *store;
    const char *programs_dir; /* formats/programs */
};

/* What became of one file: the kind's own result, and the common part. */
struct ingest_outcome {
    enum partner_kind kind;
    int64_t file_id;
    enum file_status status;
    struct intake_result intake;     /* an agency's */
    struct response_result response; /* a tax board's or treasury's */
    struct payer_result payer;       /* a payer's */
};

/* Take file PATH (received as NAME; NULL: PATH's own name) from PARTNER,
 * which must be enabled.  0 with OUT, whatever became of the file;
 * negative with ERR on a system or configuration error. */
int pipeline_ingest(const struct pipeline_env *env,
                    const struct store_partner *partner, const char *path,
                    const char *name, struct ingest_outcome *out, char *err,
                    size_t err_size);

/* Upload NAME in PARTNER's inbox is finished (SHA256, BYTES long): move
 * it to the partner's received/ folder and queue it; the job's id into
 * *JOB_ID.  0, or negative with ERR (the file is back in the inbox). */
int pipeline_enqueue(const struct pipeline_env *env,
                     const struct store_partner *partner, const char *name,
                     const char *sha256, int64_t bytes, int64_t *job_id,
                     char *err, size_t err_size);

/* Run the oldest queued job.  1 when one ran (whatever became of its
 * file; the job, done or failed with its result, into RAN, which may be
 * NULL), 0 when none is queued, negative with ERR on a registry error. */
struct transfer_job;
int pipeline_run_one(const struct pipeline_env *env, struct transfer_job *ran,
                     char *err, size_t err_size);

/* At start: outputs left half-delivered are finished (outbox.h); jobs a
 * stop left running are done or queued again; files in received/ that no
 * job names are queued.  How many jobs were queued again or found into
 * *REQUEUED.  0, or negative with ERR. */
int pipeline_recover(const struct pipeline_env *env, int64_t *requeued,
                     char *err, size_t err_size);

#endif
