/*
 * identity.c - taxpayer numbers and names: checks, scrubbing, name controls.
 *
 * Owns the rules behind identity.h.  Pure functions over caller buffers: no
 * I/O, no allocation, no locale (<ctype.h> would follow the locale; names
 * here are ASCII by contract).  It does not own where the values come from,
 * nor any fuzzy "same name" rules (SSA POMS RM 03816.003 compound surnames
 * in either order are a triage matter, not a match rule).
 *
 * Sources: /work/shared/domain/public-formats.md sections 7 (IRS name
 * control: Pub 1281 text as reproduced by tax-software vendors, irs.gov
 * "How your name control is assigned", the TOP data dictionary) and 8 (SSN
 * validity: SSA POMS RM 10201.035 and the published numbers).  IRS Pub 4164
 * has exhibits for Hispanic, Asian and other ethnic surnames that could not
 * be retrieved: the compound-surname cases below (DE LA CRUZ -> DELA,
 * VAN DER BERG -> VAND, GARCIA Y LOPEZ -> GARC) follow the general rule
 * (blanks removed, first four characters) and must be checked against
 * those exhibits before anyone relies on them.
 */
#include <stdint.h>
#include <string.h>

#include "offsetgw/identity.h"

/* --- status names and messages ------------------------------------------ */

#define STATUS_INDEX(s) ((size_t)(-(int)(s)))
#define N_STATUS STATUS_INDEX(IDENTITY_E_LAST_)

static const char *const status_names[N_STATUS] = {
    [STATUS_INDEX(IDENTITY_OK)] = "OK",
    [STATUS_INDEX(IDENTITY_E_ARGUMENT)] = "ARGUMENT",
    [STATUS_INDEX(IDENTITY_E_TIN_BLANK)] = "TIN_BLANK",
    [STATUS_INDEX(IDENTITY_E_TIN_FORMAT)] = "TIN_FORMAT",
    [STATUS_INDEX(IDENTITY_E_SSN_AREA_000)] = "SSN_AREA_000",
    [STATUS_INDEX(IDENTITY_E_SSN_AREA_666)] = "SSN_AREA_666",
    [STATUS_INDEX(IDENTITY_E_SSN_AREA_9XX)] = "SSN_AREA_9XX",
    [STATUS_INDEX(IDENTITY_E_SSN_GROUP_00)] = "SSN_GROUP_00",
    [STATUS_INDEX(IDENTITY_E_SSN_SERIAL_0000)] = "SSN_SERIAL_0000",
    [STATUS_INDEX(IDENTITY_E_SSN_ADVERTISING)] = "SSN_ADVERTISING",
    [STATUS_INDEX(IDENTITY_E_SSN_PUBLISHED)] = "SSN_PUBLISHED",
    [STATUS_INDEX(IDENTITY_E_EIN_PREFIX)] = "EIN_PREFIX",
    [STATUS_INDEX(IDENTITY_E_NAME_CHARSET)] = "NAME_CHARSET",
    [STATUS_INDEX(IDENTITY_E_NAME_NO_LETTERS)] = "NAME_NO_LETTERS",
    [STATUS_INDEX(IDENTITY_E_NAME_TOO_LONG)] = "NAME_TOO_LONG",
    [STATUS_INDEX(IDENTITY_E_NAME_CONTROL)] = "NAME_CONTROL",
};

/* Plain words for clerks and debtors; no digits of the value, so no
 * message can leak an SSN into a log. */
static const char *const status_messages[N_STATUS] = {
    [STATUS_INDEX(IDENTITY_OK)] = "valid",
    [STATUS_INDEX(IDENTITY_E_ARGUMENT)] =
        "internal error: a required value was missing",
    [STATUS_INDEX(IDENTITY_E_TIN_BLANK)] = "the taxpayer number is blank",
    [STATUS_INDEX(IDENTITY_E_TIN_FORMAT)] =
        "the taxpayer number is not nine digits, written plain or as "
        "SSN or EIN",
    [STATUS_INDEX(IDENTITY_E_SSN_AREA_000)] =
        "the first three digits of the SSN are 000, which are never issued",
    [STATUS_INDEX(IDENTITY_E_SSN_AREA_666)] =
        "the first three digits of the SSN are 666, which are never issued",
    [STATUS_INDEX(IDENTITY_E_SSN_AREA_9XX)] =
        "the SSN starts with 9, which is never issued as an SSN (taxpayer "
        "numbers starting with 9 are ITINs)",
    [STATUS_INDEX(IDENTITY_E_SSN_GROUP_00)] =
        "the middle two digits of the SSN are 00, which are never issued",
    [STATUS_INDEX(IDENTITY_E_SSN_SERIAL_0000)] =
        "the last four digits of the SSN are 0000, which are never issued",
    [STATUS_INDEX(IDENTITY_E_SSN_ADVERTISING)] =
        "the SSN is one of the numbers reserved for advertisements",
    [STATUS_INDEX(IDENTITY_E_SSN_PUBLISHED)] =
        "the SSN is a published sample number, known to be invalid",
    [STATUS_INDEX(IDENTITY_E_EIN_PREFIX)] =
        "the first two digits of the EIN are not a prefix the IRS assigns",
    [STATUS_INDEX(IDENTITY_E_NAME_CHARSET)] =
        "the name holds a character that is not plain printable ASCII",
    [STATUS_INDEX(IDENTITY_E_NAME_NO_LETTERS)] = "the name has no letters",
    [STATUS_INDEX(IDENTITY_E_NAME_TOO_LONG)] = "the name is too long",
    [STATUS_INDEX(IDENTITY_E_NAME_CONTROL)] =
        "the name control is not one to four letters, digits, hyphens or "
        "ampersands followed by blanks",
};

static bool status_known(enum identity_status status)
{
    return status <= IDENTITY_OK && status > IDENTITY_E_LAST_;
}

const char *identity_status_name(enum identity_status status)
{
    if (!status_known(status))
        return "UNKNOWN";
    return status_names[STATUS_INDEX(status)];
}

const char *identity_status_message(enum identity_status status)
{
    if (!status_known(status))
        return "unknown identity error";
    return status_messages[STATUS_INDEX(status)];
}

/* --- characters ---------------------------------------------------------- */

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_letter(char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_letter(c) || is_digit(c);
}

static char to_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Removed without a trace: O'BRIEN is OBRIEN, ST.JOHN is STJOHN.  The
 * backquote is a common stand-in for the apostrophe. */
static bool is_ignorable(char c)
{
    return c == '\'' || c == '`' || c == '.';
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return false;
    return true;
}

static int digits_value(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* --- numbers ------------------------------------------------------------- */

/* Copy the digits of P (N bytes) to OUT, requiring a '-' at DASH1 and DASH2
 * (SIZE_MAX: none) and a digit everywhere else. */
static bool take_digits(const char *p, size_t n, size_t dash1, size_t dash2,
                        char *out)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == dash1 || i == dash2) {
            if (p[i] != '-')
                return false;
        } else if (is_digit(p[i]) && at < 9) {
            out[at++] = p[i];
        } else {
            return false;
        }
    }
    out[at] = '\0';
    return at == 9;
}

enum identity_status identity_tin_normalize(const char *text, size_t len,
                                            char *out,
                                            enum identity_tin_form *form)
{
    enum identity_tin_form found = IDENTITY_TIN_PLAIN;
    size_t b = 0, e = len;
    bool ok = false;

    if (out == NULL)
        return IDENTITY_E_ARGUMENT;
    out[0] = '\0';
    if (form != NULL)
        *form = IDENTITY_TIN_PLAIN;
    if (text == NULL)
        return IDENTITY_E_ARGUMENT;
    while (b < e && text[b] == ' ')
        b++;
    while (e > b && text[e - 1] == ' ')
        e--;
    if (b == e)
        return IDENTITY_E_TIN_BLANK;

    const char *p = text + b;
    size_t n = e - b;
    if (n == 9) {
        ok = take_digits(p, n, SIZE_MAX, SIZE_MAX, out);
    } else if (n == 11) {
        ok = take_digits(p, n, 3, 6, out);
        found = IDENTITY_TIN_SSN_FORM;
    } else if (n == 10) {
        ok = take_digits(p, n, 2, SIZE_MAX, out);
        found = IDENTITY_TIN_EIN_FORM;
    }
    if (!ok) {
        out[0] = '\0';
        return IDENTITY_E_TIN_FORMAT;
    }
    if (form != NULL)
        *form = found;
    return IDENTITY_OK;
}

enum identity_status identity_ssn_check(const char *digits, size_t len)
{
    if (digits == NULL)
        return IDENTITY_E_ARGUMENT;
    if (len != 9 || !all_digits(digits, len))
        return IDENTITY_E_TIN_FORMAT;
    /* The Woolworth wallet card (1938) and an SSA pamphlet (1940): valid
     * in shape, used by thousands, never a real person's number. */
    if (memcmp(digits, "078051120", 9) == 0 ||
        memcmp(digits, "219099999", 9) == 0)
        return IDENTITY_E_SSN_PUBLISHED;
    if (memcmp(digits, "98765432", 8) == 0)
        return IDENTITY_E_SSN_ADVERTISING;

    int area = digits_value(digits, 3);
    int group = digits_value(digits + 3, 2);
    int serial = digits_value(digits + 5, 4);
    if (area == 0)
        return IDENTITY_E_SSN_AREA_000;
    if (area == 666)
        return IDENTITY_E_SSN_AREA_666;
    if (area >= 900)
        return IDENTITY_E_SSN_AREA_9XX;
    if (group == 0)
        return IDENTITY_E_SSN_GROUP_00;
    if (serial == 0)
        return IDENTITY_E_SSN_SERIAL_0000;
    return IDENTITY_OK;
}

/*
 * Valid EIN prefixes: the union of every campus's list in the table of the
 * IRS page "How EINs are assigned and valid EIN prefixes"
 * (https://www.irs.gov/businesses/small-businesses-self-employed/
 * how-eins-are-assigned-and-valid-ein-prefixes).  Not read from irs.gov
 * itself here: taken from two copies of that table (python-stdnum's
 * stdnum/us/ein.dat, "manually converted from the IRS website", and a
 * reproduction at cdssolutions.org), which agree on the union:
 *   Andover 10 12; Atlanta 60 67; Austin 50 53; Brookhaven 01-06 11 13 14
 *   16 21-23 25 34 51 52 54-59 65; Cincinnati 30 32 35-38 61; Fresno 15 24;
 *   Kansas City 40 44; Memphis 94 95; Ogden 80 90; Philadelphia 33 39
 *   41-43 46 48 62-64 66 68 71-77 82-88 91-93 98 99; Internet 20 26 27
 *   45-47 81-88; Small Business Administration 31.
 * So never assigned: 00, 07-09, 17-19, 28, 29, 49, 69, 70, 78, 79, 89, 96,
 * 97.  The IRS adds prefixes from time to time: a refused prefix is worth
 * re-checking against the live page before telling an agency it is wrong.
 */
static const struct {
    int lo, hi;
} ein_prefixes[] = {
    {1, 6},   {10, 16}, {20, 27}, {30, 48}, {50, 68},
    {71, 77}, {80, 88}, {90, 95}, {98, 99},
};

enum identity_status identity_ein_check(const char *digits, size_t len)
{
    if (digits == NULL)
        return IDENTITY_E_ARGUMENT;
    if (len != 9 || !all_digits(digits, len))
        return IDENTITY_E_TIN_FORMAT;
    int prefix = digits_value(digits, 2);
    for (size_t i = 0; i < sizeof ein_prefixes / sizeof ein_prefixes[0]; i++)
        if (prefix >= ein_prefixes[i].lo && prefix <= ein_prefixes[i].hi)
            return IDENTITY_OK;
    return IDENTITY_E_EIN_PREFIX;
}

/* --- words of a name ----------------------------------------------------- */

/* A word of a name: bytes [start, end) of the input, apostrophes, periods
 * and inner hyphens included; word_next() yields what is written. */
struct word {
    size_t start, end;
};

struct word_iter {
    const char *s;
    size_t i, end;
    char last;
};

/* Titles and suffixes are checked a few words deep only: enough for
 * "SMITH JR MD" or "REV DR JOHN", and it bounds the rescans. */
enum { MAX_STRIP = 4 };

static const char *const first_titles[] = {
    "MR", "MRS", "MS", "MISS", "MX", "DR", "REV", "FR", "PROF", "HON", "SIR",
};
/* Trailing in a surname.  Fewer than the leading list: HON, SIR and the
 * like are real surnames, and DO is a Vietnamese one. */
static const char *const last_titles[] = {
    "MR", "MRS", "MS", "DR", "REV", "ESQ", "MD", "DDS", "DVM", "PHD", "CPA",
};
static const struct {
    const char *text;
    enum identity_suffix suffix;
} suffixes[] = {
    {"JR", IDENTITY_SUFFIX_JR}, {"SR", IDENTITY_SUFFIX_SR},
    {"II", IDENTITY_SUFFIX_II}, {"III", IDENTITY_SUFFIX_III},
    {"IV", IDENTITY_SUFFIX_IV}, {"V", IDENTITY_SUFFIX_V},
};

static bool is_word_char(char c, enum identity_name_field field)
{
    return is_alnum(c) || (c == '&' && field == IDENTITY_FIELD_BUSINESS);
}

/* The first byte of S from I on that is not ignorable or a hyphen; '\0' at
 * the end. */
static char next_solid(const char *s, size_t len, size_t i)
{
    while (i < len && (is_ignorable(s[i]) || s[i] == '-'))
        i++;
    return i < len ? s[i] : '\0';
}

/* The next word of S (LEN bytes) from *POS on; false when there is none.
 * A hyphen belongs to the word only between two letters or digits (a run
 * of them counts as one); everything that is not a word character, an
 * ignorable or such a hyphen ends the word. */
static bool next_word(const char *s, size_t len, enum identity_name_field field,
                      size_t *pos, struct word *w)
{
    size_t i = *pos;
    char prev = '\0';

    while (i < len && !is_word_char(s[i], field))
        i++;
    *pos = i;
    if (i == len)
        return false;
    w->start = i;
    for (; i < len; i++) {
        char c = s[i];
        if (is_word_char(c, field))
            prev = c;
        else if (is_ignorable(c))
            continue;
        else if (c == '-' &&
                 (prev == '-' ||
                  (is_alnum(prev) && is_alnum(next_solid(s, len, i + 1)))))
            prev = '-';
        else
            break;
    }
    w->end = i;
    *pos = i;
    return true;
}

static struct word_iter word_iter(const char *s, const struct word *w)
{
    struct word_iter it = {s, w->start, w->end, '\0'};
    return it;
}

/* The next character of the word to write: upper case, ignorables gone,
 * one hyphen per run; '\0' at its end. */
static char word_next(struct word_iter *it)
{
    while (it->i < it->end) {
        char c = it->s[it->i++];
        if (is_ignorable(c) || (c == '-' && it->last == '-'))
            continue;
        it->last = c;
        return to_upper(c);
    }
    return '\0';
}

/* Is word W of S written exactly KEYWORD (upper case)? */
static bool word_is(const char *s, const struct word *w, const char *keyword)
{
    struct word_iter it = word_iter(s, w);
    char c;

    while ((c = word_next(&it)) != '\0')
        if (c != *keyword++)
            return false;
    return *keyword == '\0';
}

static bool word_in(const char *s, const struct word *w,
                    const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (word_is(s, w, list[i]))
            return true;
    return false;
}

static enum identity_suffix word_suffix(const char *s, const struct word *w)
{
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (word_is(s, w, suffixes[i].text))
            return suffixes[i].suffix;
    return IDENTITY_SUFFIX_NONE;
}

static size_t count_words(const char *s, size_t len,
                          enum identity_name_field field)
{
    size_t pos = 0, n = 0;
    struct word w;

    while (next_word(s, len, field, &pos, &w))
        n++;
    return n;
}

/* Word INDEX of S (which has more than INDEX words). */
static struct word word_at(const char *s, size_t len,
                           enum identity_name_field field, size_t index)
{
    size_t pos = 0;
    struct word w = {0, 0};

    for (size_t i = 0; i <= index && next_word(s, len, field, &pos, &w); i++)
        ;
    return w;
}

/* --- scrubbing ----------------------------------------------------------- */

const char *identity_suffix_text(enum identity_suffix suffix)
{
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (suffixes[i].suffix == suffix)
            return suffixes[i].text;
    return "";
}

static bool field_known(enum identity_name_field field)
{
    switch (field) {
    case IDENTITY_FIELD_FIRST:
    case IDENTITY_FIELD_MIDDLE:
    case IDENTITY_FIELD_LAST:
    case IDENTITY_FIELD_BUSINESS:
        return true;
    }
    return false;
}

/* A bounded output: characters past the room are counted, not written. */
struct out {
    char *buf;
    size_t size, at;
    bool truncated;
};

static void out_put(struct out *o, char c)
{
    if (o->at + 1 < o->size)
        o->buf[o->at++] = c;
    else
        o->truncated = true;
}

enum identity_status identity_name_scrub(enum identity_name_field field,
                                         const char *name, size_t len,
                                         char *out, size_t size,
                                         enum identity_suffix *suffix)
{
    enum identity_suffix found = IDENTITY_SUFFIX_NONE;
    struct out o = {out, size, 0, false};
    bool has_letter = false;

    if (suffix != NULL)
        *suffix = IDENTITY_SUFFIX_NONE;
    if (out == NULL || size == 0)
        return IDENTITY_E_ARGUMENT;
    out[0] = '\0';
    if (name == NULL || !field_known(field))
        return IDENTITY_E_ARGUMENT;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c > 0x7e)
            return IDENTITY_E_NAME_CHARSET;
    }

    /* Words [lo, hi) are kept.  Titles and suffixes are only taken off
     * while another word remains: a surname that is only "JR" or "V" is a
     * surname. */
    size_t lo = 0, hi = count_words(name, len, field);
    if (field == IDENTITY_FIELD_FIRST) {
        for (int k = 0; k < MAX_STRIP && hi - lo > 1; k++) {
            struct word w = word_at(name, len, field, lo);
            if (!word_in(name, &w, first_titles,
                         sizeof first_titles / sizeof first_titles[0]))
                break;
            lo++;
        }
    } else if (field == IDENTITY_FIELD_LAST) {
        for (int k = 0; k < MAX_STRIP && hi - lo > 1; k++) {
            struct word w = word_at(name, len, field, hi - 1);
            enum identity_suffix sfx = word_suffix(name, &w);
            if (word_in(name, &w, last_titles,
                        sizeof last_titles / sizeof last_titles[0]))
                hi--;
            else if (found == IDENTITY_SUFFIX_NONE &&
                     sfx != IDENTITY_SUFFIX_NONE) {
                found = sfx;
                hi--;
            } else
                break;
        }
    }

    size_t pos = 0;
    struct word w;
    for (size_t i = 0; i < hi && next_word(name, len, field, &pos, &w); i++) {
        if (i < lo)
            continue;
        if (i > lo)
            out_put(&o, ' ');
        struct word_iter it = word_iter(name, &w);
        char c;
        while ((c = word_next(&it)) != '\0') {
            if (is_upper(c) ||
                (field == IDENTITY_FIELD_BUSINESS && is_digit(c)))
                has_letter = true;
            out_put(&o, c);
        }
    }
    /* Cut where the room ended: no dangling separator. */
    while (o.truncated && o.at > 0 &&
           (out[o.at - 1] == ' ' || out[o.at - 1] == '-'))
        o.at--;
    out[o.at] = '\0';
    if (!has_letter) {
        out[0] = '\0';
        return IDENTITY_E_NAME_NO_LETTERS;
    }
    if (suffix != NULL)
        *suffix = found;
    return o.truncated ? IDENTITY_E_NAME_TOO_LONG : IDENTITY_OK;
}

/* --- name controls ------------------------------------------------------- */

/* The first four non-blank characters of S, padded with blanks, into OUT. */
static void first_four(const char *s, char *out)
{
    size_t at = 0;

    for (; *s != '\0' && at < 4; s++)
        if (*s != ' ')
            out[at++] = *s;
    while (at < 4)
        out[at++] = ' ';
    out[4] = '\0';
}

/*
 * Individuals.  Pub 1281: "If an individual has a hyphenated last name,
 * the name control is the first four characters from the first of the two
 * last names" (Cedar-Hawthorn -> CEDA), and "the hyphen (-) or a blank
 * space are the only special characters allowed ... cannot be in the
 * first position".  When the first surname has fewer than four letters
 * the two sentences disagree; we keep the hyphen, as a valid character in
 * positions 2-4, and go on into the second surname: LI-SMITH -> "LI-S",
 * ABC-DEF -> "ABC-".  UNVERIFIED: the alternative reading gives "LI  "
 * (public-formats.md section 7's "practical algorithm" step 3 reads it that
 * way); settle it against the Pub 4164 exhibits or IRM examples.  For
 * every hyphenated name whose first surname has four letters or more both
 * readings agree.
 *
 * The name is scrubbed into a bounded buffer; a longer name is cut, which
 * cannot change its first four characters.
 */
enum identity_status identity_name_control(const char *name, size_t len,
                                           char *out)
{
    char buf[IDENTITY_NAME_SIZE];

    if (out == NULL)
        return IDENTITY_E_ARGUMENT;
    out[0] = '\0';
    enum identity_status st = identity_name_scrub(IDENTITY_FIELD_LAST, name,
                                                  len, buf, sizeof buf, NULL);
    if (st != IDENTITY_OK && st != IDENTITY_E_NAME_TOO_LONG)
        return st;
    first_four(buf, out);
    return IDENTITY_OK;
}

/* Businesses: irs.gov "How your name control is assigned": the first four
 * characters of the business name, "The" dropped when more than one word
 * follows it ("The Willow Co." -> WILL, "The Hawthorn" -> THEH), '&' and
 * '-' allowed.  "Do not include dba" is not handled: a name that starts
 * with "DBA" is not a legal name and should not reach here. */
enum identity_status identity_business_name_control(const char *name,
                                                    size_t len, char *out)
{
    char buf[IDENTITY_NAME_SIZE];

    if (out == NULL)
        return IDENTITY_E_ARGUMENT;
    out[0] = '\0';
    enum identity_status st = identity_name_scrub(IDENTITY_FIELD_BUSINESS, name,
                                                  len, buf, sizeof buf, NULL);
    if (st != IDENTITY_OK && st != IDENTITY_E_NAME_TOO_LONG)
        return st;

    /* Count the words of the input, not of BUF: BUF may have been cut. */
    const char *p = buf;
    if (strncmp(p, "THE ", 4) == 0 &&
        count_words(name, len, IDENTITY_FIELD_BUSINESS) >= 3)
        p += 4;
    while (*p == '&' || *p == ' ')
        p++;
    if (*p == '\0') {
        /* BUF was cut inside a leading run of '&' (and separators) longer
         * than it, so the first letter or digit lies past the cut (found
         * by fuzzing: "&&&...&O" gave "    ", a name control that
         * identity_name_control_check refuses).  Those leading bytes are
         * skipped anyway: scrub again from the first letter or digit.
         * There is one, or the scrub above said NO_LETTERS. */
        size_t skip = 0;
        while (skip < len && !is_alnum(name[skip]))
            skip++;
        st = identity_name_scrub(IDENTITY_FIELD_BUSINESS, name + skip,
                                 len - skip, buf, sizeof buf, NULL);
        if (st != IDENTITY_OK && st != IDENTITY_E_NAME_TOO_LONG)
            return st;
        p = buf;
    }
    first_four(p, out);
    return IDENTITY_OK;
}

enum identity_status identity_name_control_check(const char *nc, size_t len)
{
    bool blank = false;

    if (nc == NULL)
        return IDENTITY_E_ARGUMENT;
    if (len == 0 || len > 4 || !(is_upper(nc[0]) || is_digit(nc[0])))
        return IDENTITY_E_NAME_CONTROL;
    for (size_t i = 1; i < len; i++) {
        char c = nc[i];
        if (c == ' ')
            blank = true;
        else if (blank || !(is_upper(c) || is_digit(c) || c == '-' || c == '&'))
            return IDENTITY_E_NAME_CONTROL;
    }
    return IDENTITY_OK;
}

/* NC (LEN bytes, checked) padded to four blanks, into OUT. */
static void pad_four(const char *nc, size_t len, char *out)
{
    for (size_t i = 0; i < 4; i++)
        out[i] = i < len ? nc[i] : ' ';
    out[4] = '\0';
}

enum identity_status identity_name_control_equal(const char *a, size_t alen,
                                                 const char *b, size_t blen,
                                                 bool *same)
{
    char pa[IDENTITY_NAME_CONTROL_SIZE], pb[IDENTITY_NAME_CONTROL_SIZE];
    enum identity_status st;

    if (same == NULL)
        return IDENTITY_E_ARGUMENT;
    *same = false;
    if ((st = identity_name_control_check(a, alen)) != IDENTITY_OK ||
        (st = identity_name_control_check(b, blen)) != IDENTITY_OK)
        return st;
    pad_four(a, alen, pa);
    pad_four(b, blen, pb);
    *same = memcmp(pa, pb, 4) == 0;
    return IDENTITY_OK;
}

/* A and B are equal letter for letter, blanks and hyphens aside. */
static bool same_letters(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ' || *a == '-')
            a++;
        while (*b == ' ' || *b == '-')
            b++;
        if (*a != *b)
            return false;
        if (*a == '\0')
            return true;
        a++;
        b++;
    }
}

enum identity_status identity_match_name(enum identity_match_rule rule,
                                         const char *registry_last, size_t rlen,
                                         const char *partner, size_t plen,
                                         bool *same)
{
    enum identity_status st;

    if (same == NULL)
        return IDENTITY_E_ARGUMENT;
    *same = false;
    if (registry_last == NULL || partner == NULL)
        return IDENTITY_E_ARGUMENT;

    switch (rule) {
    case IDENTITY_MATCH_NAME_CONTROL: {
        char nc[IDENTITY_NAME_CONTROL_SIZE];

        st = identity_name_control(registry_last, rlen, nc);
        if (st != IDENTITY_OK)
            return st;
        return identity_name_control_equal(nc, 4, partner, plen, same);
    }
    case IDENTITY_MATCH_LAST_NAME: {
        char a[IDENTITY_NAME_SIZE], b[IDENTITY_NAME_SIZE];

        /* A cut name could match another name cut at the same place, so
         * too long is an error here, not a shorter name. */
        st = identity_name_scrub(IDENTITY_FIELD_LAST, registry_last, rlen, a,
                                 sizeof a, NULL);
        if (st != IDENTITY_OK)
            return st;
        st = identity_name_scrub(IDENTITY_FIELD_LAST, partner, plen, b,
                                 sizeof b, NULL);
        if (st != IDENTITY_OK)
            return st;
        *same = same_letters(a, b);
        return IDENTITY_OK;
    }
    }
    return IDENTITY_E_ARGUMENT;
}
