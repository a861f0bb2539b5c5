/*
 * profile.h - program profiles: the data that makes one offset program
 * differ from another (CalTRECS, Kansas setoff, Utah Finder, the Treasury
 * Offset Program).
 *
 * Owns loading a profile file (formats/programs/<program>.xml, libxml2 with
 * no network, no entity expansion and no DOCTYPE), every load-time check,
 * the read-only description below and the lookups the offset core makes
 * (which layout an exchange uses, a debt type's priority, the cap on a
 * payment source, the fees).  It does not allocate money, match debtors or
 * read records: the core does, reading its numbers from here so that no
 * program name ever appears in an `if`.  The file format is
 * docs/programs.md.
 *
 * The descriptors are public so the core can read every value; they are
 * owned by the profile and must be treated as read-only.  Money is int64
 * cents, percentages are integer basis points (18.40% = 1840); there is no
 * floating point anywhere.
 */
#ifndef OFFSETGW_PROFILE_H
#define OFFSETGW_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offsetgw/layout.h" /* struct layout_problems */

#define PROFILE_BP_WHOLE 10000 /* 100.00% in basis points */

/* How the gateway takes part in the program (DESIGN.md section 1). */
enum profile_model {
    PROFILE_CLEARINGHOUSE, /* debts go on to a partner who offsets */
    PROFILE_SETOFF         /* the gateway matches payments and offsets */
};

/* Accepted debtor id types: a bit set. */
#define PROFILE_ID_SSN 0x1u
#define PROFILE_ID_EIN 0x2u

enum profile_match_rule {
    PROFILE_MATCH_TIN_NAME_CONTROL, /* id number + IRS name control */
    PROFILE_MATCH_TIN_LAST_NAME     /* id number + last (business) name */
};

enum profile_joint_rule {
    PROFILE_JOINT_DEBTOR_SHARE, /* only the debtor's share of the income */
    PROFILE_JOINT_WHOLE,        /* the whole refund; spouse claims after */
    PROFILE_JOINT_NOT_ALLOWED   /* joint payments are never offset */
};

/* When the debtor's pre-offset notice is sent, and so what the agency
 * must show before its debt goes to the partner. */
enum profile_notice_stage {
    PROFILE_NOTICE_BEFORE_REFERRAL, /* sent before the agency's record:
                                       its notice_date is checked at
                                       intake (CalTRECS) */
    PROFILE_NOTICE_AFTER_MATCH      /* sent after the partner's address
                                       match (TOP): P, address request,
                                       N, the agency reports the notice
                                       (S), certified (C) and referred
                                       once notice_days have passed */
};

/* Order of two claims of the same priority class. */
enum profile_tie_break {
    PROFILE_TIE_LARGEST_BALANCE, /* largest liability first */
    PROFILE_TIE_OLDEST           /* earliest delinquency first */
};

enum profile_fee_kind {
    PROFILE_FEE_ADD_TO_DEBT,        /* flat, added to each debt */
    PROFILE_FEE_DEDUCT_PER_OFFSET,  /* flat, per agency per offset, taken
                                       from the payment before any debt */
    PROFILE_FEE_WITHHOLD_PERCENT,   /* share of each collection kept back */
    PROFILE_FEE_WITHHOLD_PER_OFFSET /* flat per offset, kept back from the
                                       collection (the TOP fee) */
};

/* Which debts a fee applies to. */
enum profile_fee_applies {
    PROFILE_FEE_ALL,
    PROFILE_FEE_WITH_TIN,   /* the debt was submitted with an SSN/EIN */
    PROFILE_FEE_WITHOUT_TIN /* no SSN/EIN: research needed */
};

/* How the fee reaches whoever charges it. */
enum profile_billing {
    PROFILE_BILL_NETTED,  /* taken out of the money as it flows */
    PROFILE_BILL_MONTHLY, /* billed to the agency each month */
    PROFILE_BILL_YEARLY   /* billed to the agency once a year */
};

/* What a cap's percentage is a percentage of. */
enum profile_cap_base {
    PROFILE_CAP_OF_PAYMENT,       /* the whole payment */
    PROFILE_CAP_OF_DISPOSABLE_PAY /* disposable earnings of a pay period */
};

enum profile_period {
    PROFILE_EVERY_DAY,
    PROFILE_EVERY_WEEK,
    PROFILE_EVERY_HALF_MONTH,
    PROFILE_EVERY_MONTH,
    PROFILE_EVERY_YEAR
};

/* Where a value comes from: one per element that carries a value. */
struct profile_fact {
    const char *element; /* "minimum-debt", "fee", "class", ... */
    const char *name;    /* fee name, class code, payment source, cycle
                            name; NULL for single values */
    long line;           /* line of the element in the profile file */
    const char *source;  /* the public source, never NULL */
    const char *note;    /* NULL when none */
    bool verified;       /* false: we could not confirm the value */
};

struct profile_fee {
    const char *name;
    enum profile_fee_kind kind;
    int64_t amount_cents; /* flat kinds; 0 for the percent kind */
    int32_t percent_bp;   /* PROFILE_FEE_WITHHOLD_PERCENT only */
    enum profile_fee_applies applies;
    enum profile_billing billing;
    bool enabled; /* a disabled fee is described but never charged */
    const struct profile_fact *fact;
};

/* One priority class; classes are paid in array order. */
struct profile_class {
    const char *code;
    const char *title;
    const char *const *debt_types; /* codes as in the agency debt file */
    size_t n_debt_types;
    const struct profile_fact *fact;
};

struct profile_cap_override {
    const char *const *debt_types;
    size_t n_debt_types;
    int32_t percent_bp;
    const struct profile_fact *fact;
};

/* The part of one payment source that may be offset. */
struct profile_cap {
    const char *payment; /* payment source code */
    bool exempt;         /* never offset (percent_bp is 0) */
    int32_t percent_bp;
    enum profile_cap_base base;
    const struct profile_cap_override *overrides;
    size_t n_overrides;
    const struct profile_fact *fact;
};

struct profile_cycle {
    const char *name; /* an exchange name or another token */
    enum profile_period every;
    bool at_least; /* "at least this often" rather than "on this cycle" */
    const struct profile_fact *fact;
};

struct profile_exchange {
    const char *name;   /* one of the names profile_exchange_known() knows */
    const char *layout; /* relative to the layouts directory */
    long line;
};

struct arena;

struct profile {
    const char *name;  /* "kansas"; also the layout directory name */
    const char *title; /* "Kansas Setoff Program (KDRS)" */
    const char *version;
    const char *path;        /* the file it was loaded from */
    const char *layouts_dir; /* derived: <programs>/../layouts */
    enum profile_model model;

    /* eligibility */
    int64_t min_debt_cents;
    unsigned id_types;   /* PROFILE_ID_* */
    bool id_required;    /* false: debts without an id are taken */
    int32_t notice_days; /* after the pre-offset notice, before
                            the debt may go in */
    enum profile_notice_stage notice_stage;
    int32_t appeal_days;         /* the debtor's window to dispute */
    int32_t delinquent_days;     /* days delinquent before it qualifies */
    int32_t collection_attempts; /* attempts required before submission */
    int32_t referral_delay_days; /* days past delinquency before referral */

    /* matching */
    enum profile_match_rule match_rule;
    int32_t hold_days; /* a match waits this long for agency instructions;
                          0 = no hold */
    enum profile_joint_rule joint_refund;

    /* allocation */
    enum profile_tie_break tie_break;
    bool pay_in_full; /* each claim paid in full before the next */
    const struct profile_class *classes;
    size_t n_classes;
    const struct profile_cap *caps;
    size_t n_caps;
    const struct profile_fee *fees;
    size_t n_fees;

    const struct profile_cycle *cycles;
    size_t n_cycles;
    const struct profile_exchange *exchanges;
    size_t n_exchanges;

    /* every value's source, in file order */
    const struct profile_fact *facts;
    size_t n_facts;

    struct arena *mem; /* private: what profile_free releases */
};

/* --- loading -------------------------------------------------------- */

/* Load and check the profile at PATH.  Returns the profile (free with
 * profile_free) or NULL; every problem found is appended to PROBLEMS (which
 * may be NULL) as FILE:LINE: message.  A profile with any problem is never
 * returned.  Layout files are not looked at: see profile_check_layouts. */
struct profile *profile_load(const char *path,
                             struct layout_problems *problems);

/* The same from a buffer; NAME is used in messages and as the path (the
 * layouts directory is derived from it). */
struct profile *profile_load_buffer(const char *name, const char *xml,
                                    size_t len,
                                    struct layout_problems *problems);

/* Load <PROGRAMS_DIR>/<PROGRAM>.xml and check that its <program name> is
 * PROGRAM.  PROGRAM must be a plain name (letters, digits, '-', '_'). */
struct profile *profile_load_program(const char *programs_dir,
                                     const char *program,
                                     struct layout_problems *problems);

void profile_free(struct profile *profile);

/* Check each exchange's layout file under LAYOUTS_DIR (NULL: the
 * profile's layouts_dir): it must exist and be a regular file.  With
 * PROFILE_CHECK_LOAD it must also load as a layout (the layout's own
 * problems are appended too), and every code the debt_type field of
 * agency-debt or the payment_source field of payer-payment can carry must
 * be known to the profile: a debt type in a priority class, a payment
 * source in <caps>.  Each problem is reported at the line of the
 * <exchange>.  Returns 0 when all is well, -ENOENT when a layout is
 * missing, else -EINVAL when one does not load or carries an unknown
 * code. */
#define PROFILE_CHECK_LOAD 0x1u
int profile_check_layouts(const struct profile *profile,
                          const char *layouts_dir, unsigned flags,
                          struct layout_problems *problems);

/* --- lookups -------------------------------------------------------- */

/* Is NAME one of the exchange names a profile may use? */
bool profile_exchange_known(const char *name);

/* The layout (relative to the layouts directory) that EXCHANGE uses, or
 * NULL when the program does not use that exchange. */
const char *profile_exchange_layout(const struct profile *profile,
                                    const char *exchange);

/* The layout path of EXCHANGE joined to LAYOUTS_DIR (NULL: the profile's
 * layouts_dir) into BUF.  Returns 0, -ENOENT when the program does not use
 * EXCHANGE, -ENAMETOOLONG when BUF is too small. */
int profile_exchange_path(const struct profile *profile, const char *exchange,
                          const char *layouts_dir, char *buf, size_t size);

/* Index of the priority class covering DEBT_TYPE (0 is paid first), or -1
 * when no class covers it (the program does not know that debt type). */
int profile_priority_of(const struct profile *profile, const char *debt_type);

/* A claim as the allocation order sees it. */
struct profile_claim {
    const char *debt_type;
    int64_t balance_cents;
    int32_t delinquent_since; /* yyyymmdd */
};

/* qsort-style order of two claims on one payment: negative when A is paid
 * before B.  Priority class first (unknown debt types last), then the
 * profile's tie-break, then the other tie-break rule; 0 when the profile
 * cannot tell them apart. */
int profile_claim_cmp(const struct profile *profile,
                      const struct profile_claim *a,
                      const struct profile_claim *b);

/* The cap entry for payment source PAYMENT, or NULL when the profile does
 * not list it. */
const struct profile_cap *profile_cap_for(const struct profile *profile,
                                          const char *payment);

/* The share of a PAYMENT that may be offset against a debt of DEBT_TYPE
 * (NULL: no particular type), in basis points: an override for the debt
 * type wins over the cap; an exempt source gives 0.  Returns -1 when the
 * profile does not list PAYMENT (not an offset source of this program). */
int32_t profile_cap_bp(const struct profile *profile, const char *payment,
                       const char *debt_type);

/* BASE_CENTS * BP / 10000, rounded down, without overflow (BASE_CENTS >= 0,
 * 0 <= BP <= 10000). */
int64_t profile_apply_bp(int64_t base_cents, int32_t bp);

/* Is fee F, of KIND, charged on a debt submitted with (HAS_TIN) or
 * without an SSN/EIN?  It must be enabled and apply to such debts; a fee
 * taken out of the money (every kind but add-to-debt) must also be
 * netted: one billed monthly or yearly is the agency's bill, not a
 * deduction.  An add-to-debt fee is added whatever its billing. */
bool profile_fee_charged(const struct profile_fee *f,
                         enum profile_fee_kind kind, bool has_tin);
/* Sums over the fees of each kind charged on such a debt (saturating at
 * INT64_MAX / 4, far above any profile's amounts). */
int64_t profile_fee_added_to_debt(const struct profile *profile, bool has_tin);
int64_t profile_fee_deducted_per_offset(const struct profile *profile,
                                        bool has_tin);
int64_t profile_fee_withheld_per_offset(const struct profile *profile,
                                        bool has_tin);
/* Percentage of a collection withheld on such a debt (the loader lets at
 * most one enabled percentage apply to a kind of debt). */
int32_t profile_fee_withheld_bp(const struct profile *profile, bool has_tin);

/* The fee called NAME, or NULL. */
const struct profile_fee *profile_fee(const struct profile *profile,
                                      const char *name);

/* The cycle called NAME, or NULL. */
const struct profile_cycle *profile_cycle(const struct profile *profile,
                                          const char *name);

/* The source of the value in ELEMENT (NAME: the fee name, class code,
 * payment source or cycle name; NULL for single values), or NULL. */
const struct profile_fact *profile_fact(const struct profile *profile,
                                        const char *element, const char *name);

/* "clearinghouse", "tin+name-control", ... for messages and reports. */
const char *profile_model_name(enum profile_model model);
const char *profile_match_rule_name(enum profile_match_rule rule);
const char *profile_joint_rule_name(enum profile_joint_rule rule);
const char *profile_tie_break_name(enum profile_tie_break rule);
const char *profile_notice_stage_name(enum profile_notice_stage stage);
const char *profile_fee_kind_name(enum profile_fee_kind kind);
const char *profile_period_name(enum profile_period period);

#endif
