/*
 * pipeline.c - taking a partner's file in, by the command or the queue
 * (see pipeline.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "offsetgw/digest.h"
#include "offsetgw/failpoint.h"
#include "offsetgw/outbox.h"
#include "offsetgw/pipeline.h"
#include "offsetgw/vault.h"
#include "offsetgw/transfer.h"

__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t size, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return code;
}

int pipeline_ingest(const struct pipeline_env *env,
                    const struct store_partner *partner, const char *path,
                    const char *name, struct ingest_outcome *out, char *err,
                    size_t err_size)
{
    int rc;
    memset(out, 0, sizeof(*out));
    out->kind = partner->kind;
    if (!partner->enabled)
        return fail(err, err_size, -EPERM,
                    "partner '%s' is disabled: its files are not taken",
                    partner->name);
    switch (partner->kind) {
    case PARTNER_AGENCY: {
        struct intake_request rq = {.home = env->home,
                                    .store = env->store,
                                    .programs_dir = env->programs_dir,
                                    .partner = partner,
                                    .path = path,
                                    .name = name};
        rc = intake_file(&rq, &out->intake, err, err_size);
        out->file_id = out->intake.file_id;
        out->status = out->intake.status;
        break;
    }
    case PARTNER_TAXBOARD:
    case PARTNER_TREASURY: {
        struct response_request rq = {.home = env->home,
                                      .store = env->store,
                                      .programs_dir = env->programs_dir,
                                      .partner = partner,
                                      .path = path,
                                      .name = name};
        rc = response_file(&rq, &out->response, err, err_size);
        out->file_id = out->response.file_id;
        out->status = out->response.status;
        break;
    }
    case PARTNER_PAYER: {
        struct payer_request rq = {.home = env->home,
                                   .store = env->store,
                                   .programs_dir = env->programs_dir,
                                   .partner = partner,
                                   .path = path,
                                   .name = name};
        rc = payer_file(&rq, &out->payer, err, err_size);
        out->file_id = out->payer.file_id;
        out->status = out->payer.status;
        break;
    }
    default:
        rc = fail(err, err_size, -EINVAL, "partner '%s' has no kind",
                  partner->name);
    }
    return rc;
}

/* --- the queue ------------------------------------------------------------ */

int pipeline_enqueue(const struct pipeline_env *env,
                     const struct store_partner *partner, const char *name,
                     const char *sha256, int64_t bytes, int64_t *job_id,
                     char *err, size_t err_size)
{
    char inbox[HOME_PATH_MAX], received[HOME_PATH_MAX], from[HOME_PATH_MAX],
        to[HOME_PATH_MAX];
    unsigned char rnd[8];
    int rc;
    if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')
        return fail(err, err_size, -EINVAL, "'%s' is no upload name", name);
    if (home_box_path(env->home, partner->name, "inbox", inbox, sizeof(inbox)) <
            0 ||
        home_box_path(env->home, partner->name, "received", received,
                      sizeof(received)) < 0)
        return fail(err, err_size, -ENAMETOOLONG, "%s: path too long",
                    partner->name);
    if (mkdir(received, 0700) < 0 && errno != EEXIST)
        return fail(err, err_size, -errno, "%s: %s", received, strerror(errno));
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return fail(err, err_size, -EIO, "no random bytes");
    int n1 = snprintf(from, sizeof(from), "%s/%s", inbox, name);
    int n2 = snprintf(to, sizeof(to), "%s/%02x%02x%02x%02x%02x%02x%02x%02x.%s",
                      received, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
                      rnd[6], rnd[7], name);
    if (n1 < 0 || (size_t)n1 >= sizeof(from) || n2 < 0 ||
        (size_t)n2 >= sizeof(to))
        return fail(err, err_size, -ENAMETOOLONG, "%s: path too long", name);
    /* moved first, then queued: a stop in between leaves a file in
     * received/ that pipeline_recover() queues; never a job without
     * its file */
    if (failpoint_rename(from, to) < 0)
        return fail(err, err_size, -errno, "%s: %s", from, strerror(errno));
    struct transfer_job j = {.partner_id = partner->id, .bytes = bytes};
    store_text_copy(j.name, sizeof(j.name), name);
    store_text_copy(j.path, sizeof(j.path), to);
    store_text_copy(j.sha256, sizeof(j.sha256), sha256);
    if ((rc = transfer_queue_add(env->store, &j, job_id)) < 0) {
        fail(err, err_size, rc, "queue %s: %s", name, store_error(env->store));
        if (rename(to, from) < 0) /* leave it where the partner put it */
            fail(err, err_size, rc, "queue %s: %s; and it stays in %s", name,
                 store_error(env->store), to);
        return rc;
    }
    return 0;
}

/* A line saying what became of a job's file. */
static void summary(const struct ingest_outcome *o, char *buf, size_t size)
{
    const char *code = o->kind == PARTNER_AGENCY  ? o->intake.reason_code
                       : o->kind == PARTNER_PAYER ? o->payer.reason_code
                                                  : o->response.reason_code;
    int64_t records = o->kind == PARTNER_AGENCY  ? o->intake.records
                      : o->kind == PARTNER_PAYER ? o->payer.records
                                                 : o->response.records;
    int64_t rejected = o->kind == PARTNER_AGENCY  ? o->intake.rejected
                       : o->kind == PARTNER_PAYER ? o->payer.rejected
                                                  : o->response.rejected;
    snprintf(buf, size, "file %lld %s: %lld records, %lld rejected%s%s",
             (long long)o->file_id, file_status_name(o->status),
             (long long)records, (long long)rejected, code[0] ? "; " : "",
             code);
}

int pipeline_run_one(const struct pipeline_env *env, struct transfer_job *ran,
                     char *err, size_t err_size)
{
    struct transfer_job job;
    struct store_partner partner;
    struct ingest_outcome *o = NULL;
    char result[160];
    int rc = transfer_queue_take(env->store, &job);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return fail(err, err_size, rc, "the queue: %s",
                    store_error(env->store));
    if ((rc = store_partner_get_id(env->store, job.partner_id, &partner)) < 0) {
        snprintf(result, sizeof(result), "no such partner");
    } else if ((o = failpoint_malloc(sizeof(*o))) == NULL) {
        transfer_queue_finish(env->store, job.id, JOB_QUEUED, "");
        return fail(err, err_size, -ENOMEM, "out of memory");
    } else {
        store_set_job(env->store, job.id);
        rc = pipeline_ingest(env, &partner, job.path, job.name, o, result,
                             sizeof(result));
        store_set_job(env->store, 0);
        if (rc == 0)
            summary(o, result, sizeof(result));
    }
    free(o);
    job.state = rc == 0 ? JOB_DONE : JOB_FAILED;
    /* a file encrypted under a key the home does not hold now (a key
     * file replaced or missing) is not the file's fault: the job waits,
     * marked running, for the next start (pipeline_recover) */
    if (rc == -ENOKEY) {
        job.state = JOB_RUNNING;
        snprintf(result, sizeof(result),
                 "unreadable: encrypted under another master key; kept in "
                 "received/ and run again at the next start");
    } else if (rc == -ENOSPC || rc == -EDQUOT || rc == -EIO || rc == -ENOMEM ||
               rc == -EBUSY) {
        /* nor is a full disk, an I/O error or no memory: its work rolled
         * back, the job waits the same way (docs/faults.md) */
        char why[sizeof(result)];
        snprintf(why, sizeof(why), "%s", result);
        job.state = JOB_RUNNING;
        snprintf(result, sizeof(result),
                 "not run: %s; kept in received/ and run again at the next "
                 "start",
                 why);
    }
    store_text_copy(job.result, sizeof(job.result), result);
    if (transfer_queue_finish(env->store, job.id, job.state, result) < 0)
        return fail(err, err_size, -EIO, "finish job %lld: %s",
                    (long long)job.id, store_error(env->store));
    if (ran != NULL)
        *ran = job;
    return 1;
}

/* Queue the files in PARTNER's received/ that no job names (moved there
 * just before a stop). */
static int orphans(const struct pipeline_env *env,
                   const struct store_partner *p, int64_t *found, char *err,
                   size_t err_size)
{
    char dir[HOME_PATH_MAX], path[HOME_PATH_MAX * 2], sha[DIGEST_HEX_SIZE];
    if (home_box_path(env->home, p->name, "received", dir, sizeof(dir)) < 0)
        return 0;
    struct vault v;
    int rc = vault_load(&v, env->home, err, err_size);
    if (rc < 0)
        return rc;
    DIR *d = opendir(dir);
    if (d == NULL) {
        vault_release(&v);
        return 0;
    }
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *dot = strchr(e->d_name, '.');
        if (e->d_name[0] == '.' || dot == NULL || dot[1] == '\0')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        bool named;
        if ((rc = transfer_queue_has_path(env->store, path, &named)) < 0)
            break;
        if (named)
            continue;
        /* the plaintext's hash and size, as an upload's are taken */
        struct vault_file *f = NULL;
        int64_t bytes = 0;
        int vrc = vault_open(&v, path, &f);
        if (vrc == 0)
            vrc = vault_sha256(f, sha, &bytes);
        vault_close(f);
        if (vrc == -ENOKEY) {
            sha[0] = '\0'; /* queued all the same: the worker says why */
        } else if (vrc < 0) {
            continue; /* unreadable now: left for a later start */
        }
        struct transfer_job j = {.partner_id = p->id, .bytes = bytes};
        store_text_copy(j.name, sizeof(j.name), dot + 1);
        store_text_copy(j.path, sizeof(j.path), path);
        store_text_copy(j.sha256, sizeof(j.sha256), sha);
        if ((rc = transfer_queue_add(env->store, &j, NULL)) < 0)
            fail(err, err_size, rc, "queue %s: %s", path,
                 store_error(env->store));
        else
            (*found)++;
    }
    closedir(d);
    vault_release(&v);
    return rc;
}

struct walk {
    const struct pipeline_env *env;
    int64_t *found;
    char *err;
    size_t err_size;
};

static int each_partner(const struct store_partner *p, void *arg)
{
    struct walk *w = arg;
    return orphans(w->env, p, w->found, w->err, w->err_size);
}

int pipeline_recover(const struct pipeline_env *env, int64_t *requeued,
                     char *err, size_t err_size)
{
    int64_t again = 0, found = 0;
    struct walk w = {env, &found, err, err_size};
    int rc;
    *requeued = 0;
    if ((rc = outbox_recover(env->home, env->store, err, err_size)) < 0)
        return rc;
    if ((rc = transfer_queue_recover(env->store, &again)) < 0)
        return fail(err, err_size, rc, "the queue: %s",
                    store_error(env->store));
    if ((rc = store_partner_each(env->store, each_partner, &w)) < 0)
        return rc;
    *requeued = again + found;
    return 0;
}
