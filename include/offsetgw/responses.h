/*
 * responses.h - a tax board's or treasury's file into the registry.
 *
 * Owns taking in what an offsetting partner sends back: which of its
 * files this is (by the header's file_type literal, against the
 * partner-* layouts its program names), and what each kind does:
 *   collection     every offset, reversal and collection applied through
 *                  the ledger's rules;
 *   match          the debt's TOP status moved (00 -> N, 02/03/04 -> E,
 *                  07 -> D, from the statuses that allow it);
 *   unprocessable  relayed, with the code's meaning; the debt unchanged.
 * Every record must name a debt sent to this partner, with the TIN sent.
 * Each agency concerned gets one file of its own of what was applied;
 * the partner gets an acknowledgement and an unprocessable file of the
 * records refused.  One transaction per file; a duplicate or a file
 * failing as a whole changes nothing.
 */
#ifndef OFFSETGW_RESPONSES_H
#define OFFSETGW_RESPONSES_H

#include <stdint.h>

#include "offsetgw/home.h"
#include "offsetgw/store.h"

struct response_request {
    const struct home *home;
    struct store *store;
    const char *programs_dir;
    const struct store_partner *partner; /* a taxboard or a treasury */
    const char *path;
    const char *name; /* as received; NULL: from PATH */
};

struct response_result {
    int64_t file_id;
    enum file_status status;
    char exchange[STORE_NAME_MAX]; /* what the file was: partner-... */
    int64_t records, accepted, rejected;
    int64_t amount_cents; /* sum of the applied amounts, reversals < 0 */
    int64_t duplicate_of;
    int64_t agency_files; /* collection files written for agencies */
    char reason_code[32];
    char reason[256];
    char ack_path[HOME_PATH_MAX];
    char unprocessable_path[HOME_PATH_MAX];
};

/* Take the file in.  0 when it was processed, whatever became of it;
 * -ENOTSUP for a kind of file not taken yet; other negatives (with ERR)
 * for system or configuration errors, nothing applied. */
int response_file(const struct response_request *rq,
                  struct response_result *res, char *err, size_t err_size);

#endif
