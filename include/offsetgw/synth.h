/*
 * synth.h - synthetic partner traffic, for tests, demos and benchmarks.
 *
 * Owns two makers.  The first makes a realistic agency-debt file in a
 * program's own layout:
 * plausible names, valid SSNs, amounts above the program's minimum,
 * notices and delinquencies old enough, and a chosen share of bad
 * records that rotate through every kind the layout engine and the debt
 * checks reject (each kind only where the program's rules make it bad).
 * Deterministic from its seed.  It never writes a real person's data.
 *
 * The second plays the tax board or Treasury: it reads a debt file the
 * gateway sent and writes the partner's match file and collection file
 * in reply, so a whole cycle can run with no real partner.  Also
 * deterministic from its seed.  It does not ingest anything: the replies
 * go through "offsetgw ingest" like a real partner's.
 *
 * The third plays a state payer of a setoff program: a payer-payment file
 * in which a chosen share of the payments go to debtors the caller found
 * in the registry (some under another name), the rest to strangers, with
 * payroll, joint refunds (the spouse sometimes a debtor too) and exempt
 * payments mixed in.  Deterministic from its seed.
 */
#ifndef OFFSETGW_SYNTH_H
#define OFFSETGW_SYNTH_H

struct vault;

#include <stdint.h>
#include <stdio.h>

#include "offsetgw/layout.h"
#include "offsetgw/profile.h"

struct synth_options {
    const struct profile *profile;
    const struct layout *layout; /* the program's agency-debt layout */
    int64_t records;             /* detail records */
    int32_t bad_per_mille;       /* 0..1000 */
    uint64_t seed;
    const char *agency_code; /* the header's; NULL: "SYNTH01" */
    int32_t file_date;       /* yyyymmdd; 0: today */
};

struct synth_result {
    int64_t records, bad;
    int64_t bad_by_kind[16];
};

/* The name of bad kind K (as synth_result counts them), or NULL. */
const char *synth_bad_kind_name(int k);

/* Write the file to OUT.  0, or negative with ERR. */
int synth_agency_debt(const struct synth_options *o, FILE *out,
                      struct synth_result *res, char *err, size_t err_size);

/* --- replies to a debt file the gateway sent ------------------------- */

/* The match codes a reply gives, by what they mean in partner-match. */
enum synth_code {
    SYNTH_MATCH,
    SYNTH_NAME_MISMATCH,
    SYNTH_NO_MATCH,
    SYNTH_INVALID_TIN,
    SYNTH_DECEASED,
    SYNTH_CODES
};

/* The means= word of code K ("match", "name-mismatch", ...), or NULL. */
const char *synth_code_means(int k);

struct synth_reply_options {
    const struct layout *sent;       /* of the debt file the gateway sent */
    const struct layout *match;      /* partner-match, for MATCH_OUT */
    const struct layout *collection; /* partner-collection, for COLL_OUT */
    uint64_t seed;
    const char *partner_code; /* the headers'; NULL: "SYNTH" */
    int32_t file_date;        /* yyyymmdd, also the payment date; 0: today */
    /* 0..1000 each, of the adds answered; [SYNTH_MATCH] is not read: the
     * rest match.  The others may add up to 1000 at most. */
    int32_t code_per_mille[SYNTH_CODES];
    int32_t offset_per_mille;   /* of the matches: one offset each */
    int32_t reversal_per_mille; /* of the offsets: one reversal each */
    /* synth_replies_files reads the sent file through this (a file in a
     * home's spool is encrypted at rest); NULL: plain files only */
    const struct vault *vault;
};

struct synth_reply_result {
    int64_t details;  /* detail records read */
    int64_t answered; /* those whose action means add */
    int64_t by_code[SYNTH_CODES];
    int64_t offsets, reversals;
    int64_t offset_cents;   /* sum of the offsets */
    int64_t reversal_cents; /* sum of the reversals, positive (the file
                               carries each one negative) */
};

/* Read the debt file on SENT_FD (named SENT_NAME in messages) through
 * O->sent and write the partner's replies: to MATCH_OUT a match record
 * for every detail whose action means add (the others are not answered),
 * its code drawn by the shares of O; to COLL_OUT, for a share of the
 * matches, an offset of 1 cent up to the debt's amount, each followed,
 * for a share of the offsets, by a reversal of part of it.  Trace ids are
 * 10 characters: 5 from the seed (base 36, the seed modulo 36^5) and a
 * sequence, so runs with different seeds do not collide.  Either stream
 * may be NULL (that file is not written; RES counts the same).  The
 * caller owns and closes the fd and the streams.
 *
 * 0, or negative with ERR: -EINVAL for bad options or a layout lacking a
 * field or code the replies need, -EBADMSG for a sent file that does not
 * parse cleanly ("NAME:LINE:COLUMN: ..."), -EIO when a write fails.  The
 * streams may then hold part of a file. */
int synth_replies(const struct synth_reply_options *o, int sent_fd,
                  const char *sent_name, FILE *match_out, FILE *coll_out,
                  struct synth_reply_result *res, char *err, size_t err_size);

/* The same, from files: the sent file at SENT_PATH (its exchange told by
 * its name, "<exchange>.<date>.<cycle>.txt" as the gateway names them,
 * else PROGRAM's taxboard-debt or treasury-referral), replies written to
 * MATCH_PATH and COLL_PATH (either may be NULL), the layouts taken from
 * PROGRAM's profile in PROGRAMS_DIR (O's layouts are filled here).  The
 * sent file's exchange into SENT_EXCHANGE (64 bytes).  On failure no
 * reply file is left.  0, -EBADMSG for a sent file that does not read,
 * other negatives, all with ERR. */
int synth_replies_files(const char *programs_dir, const char *program,
                        struct synth_reply_options *o, const char *sent_path,
                        const char *match_path, const char *coll_path,
                        struct synth_reply_result *res, char sent_exchange[64],
                        char *err, size_t err_size);

/* --- a payer's payments that fit a registry ---------------------------- */

/* A registered debtor a payment may go to. */
struct synth_payee {
    char tin_type; /* 'S' or 'E' */
    char tin[10];
    char last_name[40];
};

struct synth_payment_options {
    const struct profile *profile;
    const struct layout *layout;      /* the program's payer-payment layout */
    const struct synth_payee *payees; /* registered debtors; may be NULL */
    size_t n_payees;
    int64_t records;
    uint64_t seed;
    /* 0..1000 each: payments to a registered debtor; of those, under a
     * last name other than the registry's; payroll (the profile's source
     * capped by disposable pay, when it has one); exempt sources; of the
     * refunds (the first source capped by the payment), joint ones; of
     * the joint ones, with a registered debtor as the spouse */
    int32_t debtor_per_mille;
    int32_t name_mismatch_per_mille;
    int32_t payroll_per_mille;
    int32_t exempt_per_mille;
    int32_t joint_per_mille;
    int32_t spouse_debtor_per_mille;
    const char *payer_code; /* the header's; NULL: "SYNTHPAY" */
    int32_t file_date;      /* yyyymmdd, also the payments'; 0: today */
};

struct synth_payment_result {
    int64_t records;
    int64_t to_debtors; /* paid to a registered debtor's TIN */
    int64_t name_mismatches, payroll, exempt, joint, spouse_debtors;
    int64_t amount_cents;
};

/* Write the payment file to OUT.  0, or negative with ERR: -EINVAL for bad
 * options or a layout without the payer-payment fields, -EIO when a write
 * fails. */
int synth_payments(const struct synth_payment_options *o, FILE *out,
                   struct synth_payment_result *res, char *err,
                   size_t err_size);

#endif
