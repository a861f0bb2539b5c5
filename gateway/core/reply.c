/*
 * reply.c - acknowledgements and unprocessable files (see reply.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offsetgw/calendar.h"
#include "offsetgw/failpoint.h"
#include "offsetgw/outbox.h"
#include "offsetgw/reader.h"
#include "offsetgw/reply.h"
#include "offsetgw/vault.h"
#include "offsetgw/writer.h"

__attribute__((format(printf, 3, 4))) static int fail(struct reply *r, int code,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->err_size, fmt, ap);
    va_end(ap);
    return code;
}

void reply_safe_name(const char *name, char *out, size_t size)
{
    size_t n = 0;
    for (const char *c = name; *c && n + 1 < size && n < 80; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
                  (*c == '.' && n > 0);
        out[n++] = ok ? *c : '_';
    }
    if (n == 0)
        out[n++] = 'f';
    out[n] = '\0';
}

void reply_init(struct reply *r, const struct home *home, struct store *store,
                const struct store_partner *to, const struct layout *ack_layout,
                const struct layout *unp_layout, const char *name, char *err,
                size_t err_size)
{
    memset(r, 0, sizeof(*r));
    r->home = home;
    r->store = store;
    r->to = to;
    r->ack_layout = ack_layout;
    r->unp_layout = unp_layout;
    r->err = err;
    r->err_size = err_size;
    store_text_copy(r->name, sizeof(r->name), name);
    reply_safe_name(name, r->safe_name, sizeof(r->safe_name));
    store_text_copy(r->code, sizeof(r->code), to->agency_code);
    r->spool_fd = -1;
}

/* A rejected record as it waits in the spool. */
struct spooled_reject {
    int64_t line;
    char account[STORE_NAME_MAX];
    char code[32];
    char field[32];
    char message[ERROR_DETAIL_MAX];
};

/* An unnamed file in the sender's outbox/.tmp: never seen, gone at exit
 * (a named one, unlinked at once, where O_TMPFILE is not supported),
 * sealed at rest like every spool file (vault.h): R's SPOOL writes into
 * it, SPOOL_FD reads it back.  0, or negative with R's ERR. */
static int open_spool(struct reply *r)
{
    char dir[HOME_PATH_MAX];
    int fd = -1, rc;
    struct vault v;
    if (home_box_path(r->home, r->to->name, "outbox/.tmp", dir, sizeof(dir)) ==
        0) {
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
            char tmpl[HOME_PATH_MAX + 16];
            snprintf(tmpl, sizeof(tmpl), "%s/spool.XXXXXX", dir);
            if ((fd = mkostemp(tmpl, O_CLOEXEC)) >= 0)
                unlink(tmpl);
        }
    }
    if (fd < 0 || (r->spool_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        rc = fail(r, -errno, "cannot spool rejects in '%s': %s", dir,
                  strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if ((rc = vault_load(&v, r->home, r->err, r->err_size)) < 0) {
        close(fd);
        return rc;
    }
    rc = vault_create(&v, fd, false, &r->spool_w);
    vault_release(&v);
    if (rc < 0 || (r->spool = vault_writer_stream(r->spool_w)) == NULL)
        return fail(r, rc < 0 ? rc : -ENOMEM, "cannot spool rejects: %s",
                    strerror(rc < 0 ? -rc : ENOMEM));
    return 0;
}

/* The rejects spooled, back from the start: the writing side sealed and
 * closed, *F reading.  0, or negative with R's ERR. */
static int reread_spool(struct reply *r, struct vault_file **f)
{
    char hex[65];
    struct vault v;
    int rc = fclose(r->spool) == 0 ? 0 : -EIO;
    r->spool = NULL;
    if (rc == 0)
        rc = vault_finish(r->spool_w, hex);
    vault_writer_free(r->spool_w);
    r->spool_w = NULL;
    /* the two fds share one offset, which the writing left at the end */
    if (rc == 0 && lseek(r->spool_fd, 0, SEEK_SET) < 0)
        rc = -errno;
    if (rc == 0 && (rc = vault_load(&v, r->home, r->err, r->err_size)) == 0) {
        rc = vault_open_fd(&v, r->spool_fd, f);
        r->spool_fd = -1; /* the reader's, even on error */
        vault_release(&v);
    }
    return rc < 0 ? fail(r, rc, "cannot read the spooled rejects back: %s",
                         vault_strerror(rc))
                  : 0;
}

static size_t find_code(const struct reply *r, const char *code)
{
    size_t i = 0;
    while (i < r->n_codes && strcmp(r->codes[i].code, code) != 0)
        i++;
    return i;
}

/* Count one more reject with CODE.  The last slot is kept for "OTHER",
 * which the code tables (far fewer than REPLY_CODES_MAX) never reach. */
static void count_code(struct reply *r, const char *code)
{
    size_t i = find_code(r, code);
    if (i == r->n_codes && i >= REPLY_CODES_MAX - 1)
        i = find_code(r, code = "OTHER");
    if (i == r->n_codes) {
        store_text_copy(r->codes[i].code, sizeof(r->codes[i].code), code);
        r->codes[i].n = 0;
        r->n_codes++;
    }
    r->codes[i].n++;
}

int reply_reject(struct reply *r, int64_t line, const char *account,
                 const char *code, const char *field, const char *message)
{
    struct spooled_reject s;
    int rc;
    if (r->spool == NULL && (rc = open_spool(r)) < 0)
        return rc;
    memset(&s, 0, sizeof(s));
    s.line = line;
    store_text_copy(s.account, sizeof(s.account), account);
    store_text_copy(s.code, sizeof(s.code), code);
    store_text_copy(s.field, sizeof(s.field), field);
    store_text_copy(s.message, sizeof(s.message), message);
    if (failpoint_fwrite(&s, sizeof(s), 1, r->spool) != 1)
        return fail(r, -EIO, "cannot spool rejects: %s", strerror(errno));
    r->rejects++;
    count_code(r, s.code[0] ? s.code : "UNKNOWN");
    return 0;
}

void reply_forget(struct reply *r)
{
    if (r->spool != NULL)
        fclose(r->spool);
    r->spool = NULL;
    vault_writer_free(r->spool_w);
    r->spool_w = NULL;
    if (r->spool_fd >= 0)
        close(r->spool_fd);
    r->spool_fd = -1;
    r->rejects = 0;
    r->n_codes = 0;
}

void reply_release(struct reply *r)
{
    reply_forget(r);
}

int reply_register(struct store *store, const struct store_partner *to,
                   const struct outbox_file *f, const char *exchange,
                   const struct layout *layout, int64_t made_from)
{
    const char *slash = strrchr(f->final_path, '/');
    struct store_file row = {.partner_id = to->id,
                             .outbound = true,
                             .status = FILE_SENT,
                             .made_from = made_from};
    int64_t id;
    store_text_copy(row.sha256, sizeof(row.sha256), f->sha256);
    store_text_copy(row.name, sizeof(row.name), slash ? slash + 1 : "");
    store_text_copy(row.exchange, sizeof(row.exchange), exchange);
    store_text_copy(row.layout, sizeof(row.layout), layout_source(layout));
    int rc = store_file_add(store, &row, &id);
    return rc < 0 ? rc : outbox_register(store, id, f);
}

/* Write, seal and register output FILE of EXCHANGE through FILL. */
static int output(struct reply *r, const char *suffix, const char *exchange,
                  const struct layout *layout,
                  int (*fill)(struct reply *r, struct writer *w,
                              const void *ctx),
                  const void *ctx, char *path)
{
    struct outbox_file f;
    char file[STORE_TEXT_MAX + 32];
    int rc;
    snprintf(file, sizeof(file), "%s.%lld.%s", r->safe_name,
             (long long)r->file_id, suffix);
    if ((rc = outbox_open(r->home, r->to->name, file, &f, r->err,
                          r->err_size)) < 0)
        return rc;
    struct writer *w = writer_new(layout, f.fp);
    rc = w == NULL ? -ENOMEM : fill(r, w, ctx);
    if (rc < 0 || writer_finish(w) < 0) {
        if (rc == 0 || rc == -EINVAL || rc == -ENOMEM) /* else ERR says */
            rc = fail(r, rc == -ENOMEM ? -ENOMEM : -EINVAL, "%s: %s", exchange,
                      w ? writer_error(w) : "out of memory");
        writer_free(w);
        outbox_discard(&f);
        return rc;
    }
    writer_free(w);
    if ((rc = outbox_seal(&f, r->err, r->err_size)) < 0 ||
        (rc = reply_register(r->store, r->to, &f, exchange, layout,
                             r->file_id)) < 0) {
        if (rc != -EIO || r->err[0] == '\0')
            fail(r, rc, "registry: %s", store_error(r->store));
        outbox_discard(&f);
        return rc;
    }
    store_text_copy(path, HOME_PATH_MAX, f.final_path);
    return 0;
}

static int fill_unprocessable(struct reply *r, struct writer *w,
                              const void *ctx)
{
    struct spooled_reject s;
    struct vault_file *f = NULL;
    int rc;
    (void)ctx;
    if ((rc = reread_spool(r, &f)) < 0)
        return rc;
    if (writer_begin(w, "header") < 0 ||
        writer_put_text(w, "agency_code", r->code) < 0 ||
        writer_put_num(w, "file_date", calendar_today(NULL)) < 0 ||
        writer_put_text(w, "file_name", r->name) < 0 ||
        writer_put_text(w, "file_sha256", r->sha) < 0 || writer_end(w) < 0)
        rc = -EINVAL;
    for (int64_t i = 0; rc == 0 && i < r->rejects; i++) {
        size_t got = 0;
        ssize_t n = 1;
        while (got < sizeof(s) &&
               (n = vault_read(f, (char *)&s + got, sizeof(s) - got)) > 0)
            got += (size_t)n;
        if (got < sizeof(s))
            rc = fail(r, n < 0 ? (int)n : -EPIPE,
                      "the spooled rejects end early: %s",
                      vault_strerror(n < 0 ? (int)n : -EPIPE));
        else if (writer_begin(w, "reject") < 0 ||
                 writer_put_num(w, "line", s.line) < 0 ||
                 writer_put_text(w, "account", s.account) < 0 ||
                 writer_put_text(w, "error_code", s.code) < 0 ||
                 writer_put_text(w, "field", s.field) < 0 ||
                 writer_put_text(w, "message", s.message) < 0 ||
                 writer_end(w) < 0)
            rc = -EINVAL;
    }
    vault_close(f);
    if (rc == 0 && (writer_begin(w, "trailer") < 0 || writer_end(w) < 0))
        rc = -EINVAL;
    return rc;
}

static int fill_ack(struct reply *r, struct writer *w, const void *ctx)
{
    const struct reply_outcome *o = ctx;
    char status[2] = {o->status, '\0'};
    int32_t hms;
    int32_t today = calendar_today(&hms);
    if (writer_begin(w, "ack") < 0 ||
        writer_put_text(w, "agency_code", r->code) < 0 ||
        writer_put_text(w, "file_name", r->name) < 0 ||
        writer_put_text(w, "file_sha256", r->sha) < 0 ||
        writer_put_num(w, "received_date", today) < 0 ||
        writer_put_num(w, "received_time",
                       hms / 10000 * 3600 + hms / 100 % 100 * 60 + hms % 100) <
            0 ||
        writer_put_text(w, "status", status) < 0 ||
        writer_put_num(w, "records", o->records) < 0 ||
        writer_put_num(w, "accepted", o->accepted) < 0 ||
        writer_put_num(w, "rejected", o->rejected) < 0 ||
        writer_put_num(w, "amount_accepted", o->amount_cents) < 0 ||
        writer_put_text(w, "reason_code", o->reason_code) < 0 ||
        writer_put_text(w, "reason", o->reason) < 0)
        return -EINVAL;
    return writer_end(w);
}

int reply_write(struct reply *r, const struct reply_outcome *o, char *ack,
                char *unp)
{
    int rc;
    ack[0] = unp[0] = '\0';
    if (r->spool != NULL && r->rejects > 0) {
        if ((rc = output(r, "unp", "agency-unprocessable", r->unp_layout,
                         fill_unprocessable, NULL, unp)) < 0)
            return rc;
        for (size_t i = 0; i < r->n_codes; i++)
            if ((rc = store_file_rejects_add(r->store, r->file_id,
                                             r->codes[i].code, r->codes[i].n)) <
                0)
                return fail(r, rc, "registry: %s", store_error(r->store));
    }
    return output(r, "ack", "agency-ack", r->ack_layout, fill_ack, o, ack);
}
