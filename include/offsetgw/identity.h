/*
 * identity.h - who a debtor is: taxpayer numbers and names.
 *
 * Owns the SSA validity rules for SSNs, the IRS prefix check for EINs, the
 * normalisation of a TIN written in any of its usual forms, the scrubbing of
 * personal and business names for the registry and outbound files, the IRS
 * name control (individual and business), and the two "same person" rules
 * program profiles choose between (SSN + name control, SSN + last name).
 *
 * It does not own where these values come from or go to (records, the
 * registry), nor any fuzzy matching.  Every function is pure: no I/O, no
 * allocation, no global state; all output goes to caller buffers whose size
 * is passed in or fixed below.  Input names are (pointer, length) pairs, as
 * the reader hands out field values; they need not be NUL-terminated.
 *
 * No message here ever contains the number or name it is about, so the
 * messages can go into logs and files as they are.
 */
#ifndef OFFSETGW_IDENTITY_H
#define OFFSETGW_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

/* 9 digits and a NUL. */
#define IDENTITY_TIN_SIZE 10
/* 4 characters and a NUL. */
#define IDENTITY_NAME_CONTROL_SIZE 5
/* A scrubbed-name buffer of this size holds every name the matcher and the
 * name-control functions accept; longer ones are refused by them with
 * IDENTITY_E_NAME_TOO_LONG (identity_name_scrub takes any size). */
#define IDENTITY_NAME_SIZE 128

/* Result of every checking function: 0 or one negative reason.  The values
 * are stable (they may be stored); only add at the end. */
enum identity_status {
    IDENTITY_OK = 0,
    IDENTITY_E_ARGUMENT = -1,   /* NULL pointer, zero-size buffer, bad enum */
    IDENTITY_E_TIN_BLANK = -2,  /* empty or only spaces */
    IDENTITY_E_TIN_FORMAT = -3, /* not 9 digits in an accepted form */
    IDENTITY_E_SSN_AREA_000 = -4,
    IDENTITY_E_SSN_AREA_666 = -5,
    IDENTITY_E_SSN_AREA_9XX = -6, /* 900-999: never an SSN (ITIN range) */
    IDENTITY_E_SSN_GROUP_00 = -7,
    IDENTITY_E_SSN_SERIAL_0000 = -8,
    IDENTITY_E_SSN_ADVERTISING = -9, /* 987-65-4320 .. 987-65-4329 */
    IDENTITY_E_SSN_PUBLISHED = -10,  /* 078-05-1120, 219-09-9999 */
    IDENTITY_E_EIN_PREFIX = -11,     /* first two digits never assigned */
    IDENTITY_E_NAME_CHARSET = -12,   /* a byte that is not printable ASCII */
    IDENTITY_E_NAME_NO_LETTERS = -13,
    IDENTITY_E_NAME_TOO_LONG = -14,
    IDENTITY_E_NAME_CONTROL = -15, /* a supplied name control is malformed */
    IDENTITY_E_LAST_ = -16         /* not a code: one past the last */
};

/* The stable name of STATUS for files and reports ("SSN_AREA_666");
 * "UNKNOWN" for a value that is not a status.  Never NULL. */
const char *identity_status_name(enum identity_status status);

/* One short plain-language phrase for clerks and debtors ("the first three
 * digits of the SSN are 666, which are never issued"), lower case, no
 * trailing period; "unknown identity error" for a value that is not a
 * status.  Never NULL, never contains the value checked. */
const char *identity_status_message(enum identity_status status);

/* --- numbers ------------------------------------------------------------ */

/* How a TIN was written: the separators hint at what the sender meant. */
enum identity_tin_form {
    IDENTITY_TIN_PLAIN,    /* 123456789 */
    IDENTITY_TIN_SSN_FORM, /* 123-45-6789 */
    IDENTITY_TIN_EIN_FORM  /* 12-3456789 */
};

/* Normalise the TIN in TEXT (LEN bytes): leading and trailing spaces are
 * dropped, then exactly one of "123456789", "123-45-6789" or "12-3456789"
 * must remain.  On success writes the 9 digits and a NUL to OUT (at least
 * IDENTITY_TIN_SIZE bytes) and, when FORM is not NULL, the form found.
 * Returns IDENTITY_OK, IDENTITY_E_TIN_BLANK (nothing but spaces),
 * IDENTITY_E_TIN_FORMAT (anything else, including other separators, tabs,
 * inner spaces or a wrong digit count) or IDENTITY_E_ARGUMENT (TEXT or OUT
 * NULL).  On any error OUT (when not NULL) is the empty string.  Checks
 * only the shape: see identity_ssn_check and identity_ein_check. */
enum identity_status identity_tin_normalize(const char *text, size_t len,
                                            char *out,
                                            enum identity_tin_form *form);

/* Check the SSN in DIGITS (LEN bytes, exactly 9 digits, no separators:
 * normalise first) against the SSA rules (POMS RM 10201.035) and the
 * published numbers.  Returns IDENTITY_OK or the first rule broken, in this
 * order: IDENTITY_E_TIN_FORMAT (not 9 digits), IDENTITY_E_SSN_PUBLISHED,
 * IDENTITY_E_SSN_ADVERTISING, IDENTITY_E_SSN_AREA_000, _AREA_666,
 * _AREA_9XX, _GROUP_00, _SERIAL_0000.  The specific numbers come first so
 * the reason is the most precise one (the advertising numbers are also in
 * area 9xx, and their group 65 is one an ITIN may have: a caller that
 * accepts IDENTITY_E_SSN_AREA_9XX as a possible ITIN still refuses them).
 * IDENTITY_OK does not mean the number was issued; only SSA can say so.
 * IDENTITY_E_ARGUMENT when DIGITS is NULL. */
enum identity_status identity_ssn_check(const char *digits, size_t len);

/* Check the EIN in DIGITS (LEN bytes, exactly 9 digits, no separators):
 * its first two digits must be a prefix the IRS assigns.  Returns
 * IDENTITY_OK, IDENTITY_E_TIN_FORMAT, IDENTITY_E_EIN_PREFIX or
 * IDENTITY_E_ARGUMENT (DIGITS NULL).  There is no check digit; the rest of
 * the number is not checked. */
enum identity_status identity_ein_check(const char *digits, size_t len);

/* --- names -------------------------------------------------------------- */

/* Which field a name comes from: the word rules differ. */
enum identity_name_field {
    IDENTITY_FIELD_FIRST,   /* given names: a leading title is dropped */
    IDENTITY_FIELD_MIDDLE,  /* no word rules */
    IDENTITY_FIELD_LAST,    /* surname: a trailing suffix is split off and
                               trailing titles are dropped */
    IDENTITY_FIELD_BUSINESS /* '&' is kept as a character */
};

enum identity_suffix {
    IDENTITY_SUFFIX_NONE = 0,
    IDENTITY_SUFFIX_JR,
    IDENTITY_SUFFIX_SR,
    IDENTITY_SUFFIX_II,
    IDENTITY_SUFFIX_III,
    IDENTITY_SUFFIX_IV,
    IDENTITY_SUFFIX_V
};

/* "JR", "SR", "II", "III", "IV", "V"; "" for NONE or a value that is not a
 * suffix.  Never NULL. */
const char *identity_suffix_text(enum identity_suffix suffix);

/* Scrub the name in NAME (LEN bytes) from FIELD for the registry and
 * outbound files, into OUT (SIZE bytes, always NUL-terminated when SIZE >
 * 0):
 *   - every byte must be printable ASCII (0x20-0x7e), else
 *     IDENTITY_E_NAME_CHARSET;
 *   - letters are upper-cased; letters and digits are kept;
 *   - apostrophes (' and `) and periods are removed without a trace
 *     (O'BRIEN -> OBRIEN);
 *   - a hyphen is kept only inside a word, between two letters or digits
 *     (a run of hyphens there becomes one); anywhere else it separates
 *     words, like a space;
 *   - '&' is kept in IDENTITY_FIELD_BUSINESS and separates words elsewhere;
 *   - every other character separates words; words are joined by one
 *     space, with none leading or trailing;
 *   - FIRST: leading titles (MR MRS MS MISS MX DR REV FR PROF HON SIR) are
 *     dropped while another word remains;
 *   - LAST: from the end, titles (MR MRS MS DR REV ESQ MD DDS DVM PHD CPA)
 *     are dropped and one generational suffix (JR SR II III IV V) is split
 *     off into *SUFFIX, while another word remains ("SMITH, JR." -> SMITH +
 *     JR; a last name that is only "JR" stays "JR").
 * SUFFIX may be NULL (the suffix is then dropped); it is set to
 * IDENTITY_SUFFIX_NONE for every field but LAST and on every error.
 * Returns IDENTITY_OK; IDENTITY_E_NAME_CHARSET or IDENTITY_E_NAME_NO_LETTERS
 * (what remains has no letter A-Z; for BUSINESS, no letter or digit) with
 * OUT empty; IDENTITY_E_NAME_TOO_LONG when the result does not fit, with
 * OUT holding as much as fits, without a trailing space or hyphen (the
 * suffix is still reported); IDENTITY_E_ARGUMENT when NAME or OUT is NULL,
 * SIZE is 0 or FIELD is not a field. */
enum identity_status identity_name_scrub(enum identity_name_field field,
                                         const char *name, size_t len,
                                         char *out, size_t size,
                                         enum identity_suffix *suffix);

/* The IRS name control of an individual from the LAST name in NAME (LEN
 * bytes): the name is scrubbed as IDENTITY_FIELD_LAST (suffix and titles
 * dropped, apostrophes and periods removed), its blanks are removed, and
 * the first four characters are taken, padded with trailing blanks:
 * O'BRIEN-SMITH JR -> "OBRI", DE LA CRUZ -> "DELA", LEE -> "LEE ",
 * O -> "O   ".  A hyphen is a valid character in positions 2-4 and is kept
 * there: CEDAR-HAWTHORN -> "CEDA" but LI-SMITH -> "LI-S" (see identity.c
 * for why).  Writes 4 characters and a NUL to OUT (at least
 * IDENTITY_NAME_CONTROL_SIZE bytes).  Returns IDENTITY_OK,
 * IDENTITY_E_NAME_CHARSET, IDENTITY_E_NAME_NO_LETTERS or
 * IDENTITY_E_ARGUMENT, with OUT empty on error.  A name longer than
 * IDENTITY_NAME_SIZE is fine: only its start matters. */
enum identity_status identity_name_control(const char *name, size_t len,
                                           char *out);

/* The IRS name control of a business from its name in NAME (LEN bytes):
 * scrubbed as IDENTITY_FIELD_BUSINESS, a leading word THE dropped when more
 * than one word follows it, blanks removed, the first four characters
 * taken ('&' and '-' count; a leading '&' is skipped) and padded with
 * trailing blanks: THE HOME DEPOT -> "HOME", THE HAWTHORN -> "THEH",
 * THE -> "THE ", A & B PLUMBING -> "A&BP".  Returns and OUT as for
 * identity_name_control, except that IDENTITY_E_NAME_NO_LETTERS means no
 * letter or digit. */
enum identity_status identity_business_name_control(const char *name,
                                                    size_t len, char *out);

/* Check a name control supplied by a partner, NC (LEN bytes, 1 to 4): the
 * first character A-Z or 0-9, the others A-Z, 0-9, '-' or '&', then
 * only trailing blanks ("LEE" and "LEE " are both fine; lower case is
 * not).  Returns IDENTITY_OK, IDENTITY_E_NAME_CONTROL or
 * IDENTITY_E_ARGUMENT (NC NULL). */
enum identity_status identity_name_control_check(const char *nc, size_t len);

/* Do the name controls A (ALEN bytes) and B (BLEN bytes) match, once both
 * are padded to four with blanks?  Sets *SAME and returns IDENTITY_OK when
 * both are well formed (identity_name_control_check); otherwise returns
 * that error (IDENTITY_E_NAME_CONTROL) or IDENTITY_E_ARGUMENT (a NULL
 * pointer) and sets *SAME (when not NULL) to false. */
enum identity_status identity_name_control_equal(const char *a, size_t alen,
                                                 const char *b, size_t blen,
                                                 bool *same);

/* The name half of a program's "same person" rule; the SSN half is an
 * exact comparison of the 9 digits, done by the caller. */
enum identity_match_rule {
    /* the partner sends a name control; it must equal the name control of
     * the registry's last name */
    IDENTITY_MATCH_NAME_CONTROL,
    /* the partner sends a last name; both are scrubbed as last names
     * (suffixes and titles dropped, case and punctuation ignored) and must
     * be equal once blanks and hyphens are removed too: O'Brien = OBRIEN,
     * DE LA CRUZ = DELACRUZ, SMITH JR = SMITH, SMITH-JONES = SMITH JONES */
    IDENTITY_MATCH_LAST_NAME
};

/* Apply RULE to the registry's last name REGISTRY_LAST (RLEN bytes) and the
 * partner's value PARTNER (PLEN bytes: a name control or a last name, by
 * RULE).  Sets *SAME and returns IDENTITY_OK when both could be read.
 * Otherwise returns the error from reading either value
 * (IDENTITY_E_NAME_CHARSET, _NO_LETTERS, _TOO_LONG (longer than
 * IDENTITY_NAME_SIZE - 1 once scrubbed, LAST_NAME only), _NAME_CONTROL (a
 * malformed partner name control)) or IDENTITY_E_ARGUMENT (a NULL pointer
 * or an unknown RULE), and sets *SAME (when not NULL) to false: an
 * unreadable name never matches. */
enum identity_status identity_match_name(enum identity_match_rule rule,
                                         const char *registry_last, size_t rlen,
                                         const char *partner, size_t plen,
                                         bool *same);

#endif
