/*
 * debtcheck.h - one agency debt record: read, scrubbed and checked.
 *
 * Owns turning a parsed "detail" record of an agency-debt layout into a
 * debt_input (by the canonical field names of docs/formats/README.md),
 * scrubbing its names, deriving the IRS name control, and the program's
 * rules that need nothing but the record, the profile and the file's
 * date: id types, SSN/EIN validity, names, minimum amount, notice period,
 * days delinquent, collection attempts, bankruptcy, debt type.  Rules that
 * need the registry (unknown or existing debts, duplicates in a file) are
 * intake's; the codes for all of them are here.
 */
#ifndef OFFSETGW_DEBTCHECK_H
#define OFFSETGW_DEBTCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "offsetgw/layout.h"
#include "offsetgw/profile.h"
#include "offsetgw/reader.h"
#include "offsetgw/store.h"

/* Stable codes of the offset core's record rejections.  They reach
 * agencies in unprocessable files beside the layout engine's E_ codes:
 * never rename, only add. */
enum check_code {
    CHECK_OK = 0,
    C_ACCOUNT,        /* no agency account id */
    C_TIN_TYPE,       /* an id type the program does not take */
    C_SSN,            /* an SSN the SSA never issues */
    C_EIN,            /* an EIN with a prefix the IRS never assigns */
    C_NAME,           /* no usable last (or business) name */
    C_AMOUNT,         /* an amount that makes no sense for the action */
    C_MIN_AMOUNT,     /* below the program's minimum */
    C_NOTICE,         /* notice missing or too recent */
    C_DELINQUENT,     /* not delinquent long enough */
    C_ATTEMPTS,       /* too few collection attempts */
    C_BANKRUPTCY,     /* the debtor is in bankruptcy */
    C_DEBT_TYPE,      /* a debt type no priority class covers */
    C_UNKNOWN_DEBT,   /* change or zero-out of a debt not registered */
    C_DEBT_EXISTS,    /* add of a debt already registered */
    C_DEBT_CLOSED,    /* change or zero-out of a closed debt */
    C_DUP_ACCOUNT,    /* the account appears twice in one file */
    C_TIN_MISMATCH,   /* the record's id is not the registered one */
    C_AGENCY,         /* the file is not this agency's */
    C_HEADER,         /* the file's header cannot be read */
    C_DUP_FILE,       /* the same bytes were received before */
    C_TIN_MISSING,    /* no SSN or EIN: not taken (yet) */
    C_UNKNOWN_OFFSET, /* a reversal of an offset there is not */
    C_REVERSED,       /* a second reversal of one offset */
    C_REVERSAL_AMT,   /* a reversal larger than its offset */
    C_DUP_TRACE,      /* an offset trace id reported twice (or none) */
    C_OVER_BALANCE,   /* more money taken than the debt's balance */
    C_COUNT_
};

const char *check_code_name(enum check_code code);    /* "C_MIN_AMOUNT" */
const char *check_code_meaning(enum check_code code); /* for people */

/* The field indexes of an agency-debt layout's detail record. */
struct debt_fields;

/* Resolve LAYOUT's detail record; NULL with ERR naming what is missing
 * when it lacks a required canonical field (action, account, tin,
 * last_name, amount). */
struct debt_fields *debt_fields_new(const struct layout *layout, char *err,
                                    size_t err_size);
void debt_fields_free(struct debt_fields *df);
/* Keep the agency field NAME as an attribute of the debts read (when the
 * layout has it and it is not canonical).  Only kept fields become
 * attributes: the ones some outbound partner layout carries on. */
void debt_fields_keep(struct debt_fields *df, const char *name);
/* The detail record type it was resolved for. */
const struct layout_record *debt_fields_record(const struct debt_fields *df);

enum debt_action { DEBT_ADD = 'A', DEBT_CHANGE = 'C', DEBT_ZERO = 'Z' };

struct debt_input {
    enum debt_action action;
    char account[STORE_NAME_MAX];
    char tin_type; /* 'S' or 'E' */
    char tin[10];
    struct store_name name; /* scrubbed, with its name control */
    int64_t amount_cents;
    char debt_type[16];
    int32_t delinquency_date; /* yyyymmdd, 0 = none */
    int32_t notice_date;
    int32_t attempts;
    bool bankrupt;
    /* the record's other named fields, "name=value" lines (store.h) */
    char attributes[STORE_ATTRIBUTES_MAX];
};

struct check_result {
    enum check_code code;
    char field[32];    /* the canonical field at fault, "" for none */
    char message[160]; /* plain language; an SSN shows its last 4 only */
};

/* Read REC (a detail record the engine accepted) into IN and check it
 * against PROFILE as of FILE_DATE (yyyymmdd).  Returns the code (also in
 * WHY): CHECK_OK when the record may go on to the registry. */
enum check_code debt_check(const struct profile *profile,
                           const struct debt_fields *df,
                           const struct record *rec, int32_t file_date,
                           struct debt_input *in, struct check_result *why);

/* Fill WHY with CODE, FIELD and a formatted message; returns CODE. */
enum check_code check_fail(struct check_result *why, enum check_code code,
                           const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
