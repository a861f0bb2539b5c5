/*
 * intake.h - an agency's debt file into the registry.
 *
 * Owns processing one agency-debt file: its identity (SHA-256; the same
 * bytes twice are a duplicate and change nothing), parsing it with the
 * agency's program layout, checking every record (debtcheck.h) and the
 * registry's consistency (unknown debts, existing debts, duplicates in
 * the file, another debtor's id), applying the accepted records, and
 * writing the agency's acknowledgement and unprocessable files.  All of a
 * file's work is one transaction: a file that fails (structure, totals,
 * header, another agency's) changes nothing but its own "rejected" row;
 * the outputs reach the outbox only after the commit (outbox.h).
 */
#ifndef OFFSETGW_INTAKE_H
#define OFFSETGW_INTAKE_H

#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct intake_request {
    const struct home *home;
    struct store *store;
    const char *programs_dir; /* formats/programs */
    const struct store_partner *partner;
    const char *path; /* the file */
    const char *name; /* its name as received; NULL: from PATH */
};

struct intake_result {
    int64_t file_id;
    enum file_status status;
    int64_t records, accepted, rejected;
    int64_t amount_cents; /* sum of the accepted records' amounts */
    int64_t duplicate_of;
    char reason_code[32]; /* a file-level rejection: E_TOTAL, C_AGENCY */
    char reason[256];
    char ack_path[HOME_PATH_MAX];
    char unprocessable_path[HOME_PATH_MAX]; /* "" when none */
};

/* Process the file.  0 when it was processed, whatever became of it (see
 * RESULT->status); negative with ERR on a system or configuration error
 * (no profile, no layout, the database failed), in which case nothing was
 * applied. */
int intake_file(const struct intake_request *rq, struct intake_result *res,
                char *err, size_t err_size);

#endif
