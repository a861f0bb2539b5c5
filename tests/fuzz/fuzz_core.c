/*
 * fuzz_core.c - fuzz target: every inbound file type through the core's
 * validation, as the pipeline hands them over: agency debt files of each
 * program (intake.h), a tax board's and Treasury's replies
 * (responses.h) and the payers' payment files (payer.h).
 *
 * The first input byte picks who sent the file (see senders[]), the rest
 * is the file.  The registry is a throwaway one: a home made once per
 * process in the scratch folder (tmpfs when there is one) with a plain
 * spool, holding one partner of each kind and, loaded at start, a small
 * debt file of each agency (tests/fuzz/data/) and the cycles sent to the
 * tax board and Treasury, so replies and payments can match debts.  What
 * a file writes to the outboxes is removed after each input; its rows
 * stay (each input is a new file, a duplicate only when the same bytes
 * come again).  A result must be 0 with a status, or a negative errno
 * with a message: never a crash, a sanitizer report or a positive value.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzutil.h"
#include "offsetgw/cycle.h"
#include "offsetgw/home.h"
#include "offsetgw/intake.h"
#include "offsetgw/payer.h"
#include "offsetgw/responses.h"

enum kind { K_INTAKE, K_RESPONSE, K_PAYER };

static struct sender {
    const char *name;
    enum partner_kind kind;
    const char *program, *code;
    const char *base; /* tests/fuzz/data/ debt file loaded at start */
    struct store_partner p;
} senders[] = {
    {"cal-agency",
     PARTNER_AGENCY,
     "caltrecs",
     "CAL01",
     "caltrecs-debts.txt",
     {0}},
    {"ks-agency", PARTNER_AGENCY, "kansas", "KSDOR1", "kansas-debts.txt", {0}},
    {"ut-agency", PARTNER_AGENCY, "utah", "UTORS1", "utah-debts.txt", {0}},
    {"top-agency", PARTNER_AGENCY, "top", "KSDCF01", "top-debts.txt", {0}},
    {"ftb", PARTNER_TAXBOARD, "caltrecs", "SYNTH", NULL, {0}},
    {"treasury", PARTNER_TREASURY, "top", "SYNTH", NULL, {0}},
    {"ks-payer", PARTNER_PAYER, "kansas", "", NULL, {0}},
    {"ut-payer", PARTNER_PAYER, "utah", "", NULL, {0}},
};
#define N_SENDERS (sizeof senders / sizeof senders[0])

static struct home home;
static struct store *store;
static char programs[4096], input[HOME_PATH_MAX];
static unsigned long n_inputs;

/* With OG_FUZZ_VERBOSE set, one line per file: what became of it (to see
 * what the seeds reach). */
static void report(const struct sender *s, int rc, enum file_status status,
                   int64_t records, int64_t accepted, const char *why)
{
    if (getenv("OG_FUZZ_VERBOSE") == NULL)
        return;
    fprintf(stderr, "%s: rc %d status %d records %lld accepted %lld %s\n",
            s->name, rc, (int)status, (long long)records, (long long)accepted,
            rc == 0 ? why : "");
}

static int take(const struct sender *s, const char *path, char *err,
                size_t err_size)
{
    int rc;
    char name[64];
    snprintf(name, sizeof name, "file-%lu.txt", n_inputs++);
    switch (s->kind) {
    case PARTNER_AGENCY: {
        struct intake_request rq = {&home, store, programs, &s->p, path, name};
        struct intake_result res;
        rc = intake_file(&rq, &res, err, err_size);
        report(s, rc, res.status, res.records, res.accepted, res.reason_code);
        break;
    }
    case PARTNER_TAXBOARD:
    case PARTNER_TREASURY: {
        struct response_request rq = {&home, store, programs,
                                      &s->p, path,  name};
        struct response_result res;
        rc = response_file(&rq, &res, err, err_size);
        report(s, rc, res.status, res.records, res.accepted, res.reason_code);
        break;
    }
    case PARTNER_PAYER: {
        struct payer_request rq = {&home, store, programs, &s->p, path, name};
        struct payer_result res;
        rc = payer_file(&rq, &res, err, err_size);
        report(s, rc, res.status, res.records, res.accepted, res.reason_code);
        break;
    }
    default:
        rc = -EINVAL;
    }
    if (rc > 0 || (rc < 0 && err[0] == '\0'))
        abort(); /* 0, or a negative errno that says why */
    return rc;
}

/* Remove the files in every partner's outbox (not its .tmp folder). */
static void clean_outboxes(void)
{
    char box[HOME_PATH_MAX];
    for (size_t i = 0; i < N_SENDERS; i++) {
        if (home_box_path(&home, senders[i].name, "outbox", box, sizeof box) <
            0)
            continue;
        DIR *d = opendir(box);
        if (d == NULL)
            continue;
        for (struct dirent *e; (e = readdir(d)) != NULL;)
            if (e->d_name[0] != '.')
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[512] = "", root[HOME_PATH_MAX], path[4096];
    (void)argc, (void)argv;

    /* the same day for every run: dates in the files are checked
     * against it */
    setenv("OFFSETGW_TODAY", "2026-11-20", 1);
    snprintf(programs, sizeof programs, "%s/formats/programs", fu_srcdir());
    snprintf(root, sizeof root, "%s/gw", fu_scratch());
    snprintf(input, sizeof input, "%s/input.txt", fu_scratch());
    if (home_init(&home, root) < 0 || home_create(&home, err, sizeof err) < 0 ||
        home_set_spool_plain(&home, err, sizeof err) < 0 ||
        home_open_store(&home, &store, err, sizeof err) < 0)
        fu_die("home", err);
    for (size_t i = 0; i < N_SENDERS; i++) {
        struct sender *s = &senders[i];
        s->p.kind = s->kind;
        s->p.enabled = true;
        store_text_copy(s->p.name, sizeof s->p.name, s->name);
        store_text_copy(s->p.program, sizeof s->p.program, s->program);
        store_text_copy(s->p.agency_code, sizeof s->p.agency_code, s->code);
        if (store_partner_add(store, &s->p, &s->p.id) < 0 ||
            home_create_partner(&home, s->name, err, sizeof err) < 0)
            fu_die(s->name, err[0] ? err : "cannot add");
    }
    for (size_t i = 0; i < N_SENDERS; i++) {
        if (senders[i].base == NULL)
            continue;
        snprintf(path, sizeof path, "%s/tests/fuzz/data/%s", fu_srcdir(),
                 senders[i].base);
        if (take(&senders[i], path, err, sizeof err) < 0)
            fu_die(path, err);
    }
    for (size_t i = 0; i < N_SENDERS; i++) {
        if (senders[i].kind != PARTNER_TAXBOARD &&
            senders[i].kind != PARTNER_TREASURY)
            continue;
        struct cycle_request rq = {&home, store, programs, &senders[i].p};
        struct cycle_result res;
        if (cycle_run(&rq, &res, err, sizeof err) < 0)
            fu_die("cycle", err);
    }
    clean_outboxes();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    if (size < 1)
        return 0;
    const struct sender *s = &senders[data[0] % N_SENDERS];
    int fd = open(input, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fu_die(input, strerror(errno));
    if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
        fu_die(input, "short write");
    close(fd);
    (void)take(s, input, err, sizeof err);
    clean_outboxes();
    return 0;
}
