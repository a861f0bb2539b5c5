/*
 * fuzz_identity.c - fuzz target: taxpayer numbers, name scrubbing and
 * name control (identity.h).  Every function runs on the input; the
 * two-value ones (matching, comparing name controls) on the input cut in
 * two where its first byte says.  What identity.h promises of each
 * result is checked: a NUL-terminated output within its buffer, four
 * characters of name control that pass their own check, empty outputs
 * on errors, a status that has a name.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzzutil.h"
#include "offsetgw/identity.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static void check_status(enum identity_status st)
{
    if (st > 0 || st <= IDENTITY_E_LAST_ ||
        strcmp(identity_status_name(st), "UNKNOWN") == 0)
        abort();
}

static void name_control(const char *s, size_t n, bool business)
{
    char nc[IDENTITY_NAME_CONTROL_SIZE];
    memset(nc, 'x', sizeof nc);
    enum identity_status st = business
                                  ? identity_business_name_control(s, n, nc)
                                  : identity_name_control(s, n, nc);
    check_status(st);
    if (st == IDENTITY_OK) {
        /* four characters that are a well-formed name control */
        if (strlen(nc) != 4 || identity_name_control_check(nc, 4) != 0)
            abort();
    } else if (nc[0] != '\0') {
        abort();
    }
}

static void scrub(const char *s, size_t n, size_t size)
{
    char out[IDENTITY_NAME_SIZE + 1];
    for (int f = IDENTITY_FIELD_FIRST; f <= IDENTITY_FIELD_BUSINESS; f++) {
        enum identity_suffix suffix = IDENTITY_SUFFIX_V;
        memset(out, 'x', sizeof out);
        enum identity_status st =
            identity_name_scrub(f, s, n, out, size, &suffix);
        check_status(st);
        if (memchr(out, '\0', size) == NULL)
            abort(); /* always NUL-terminated within SIZE */
        size_t len = strlen(out);
        if ((st == IDENTITY_E_NAME_CHARSET ||
             st == IDENTITY_E_NAME_NO_LETTERS) &&
            len != 0)
            abort();
        if (len > 0 &&
            (out[0] == ' ' || out[len - 1] == ' ' || out[len - 1] == '-'))
            abort(); /* no leading or trailing blank, no trailing hyphen */
        if (f != IDENTITY_FIELD_LAST && suffix != IDENTITY_SUFFIX_NONE)
            abort();
        (void)identity_suffix_text(suffix);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char tin[IDENTITY_TIN_SIZE];
    enum identity_tin_form form;
    bool same;

    /* numbers */
    enum identity_status st = identity_tin_normalize(s, size, tin, &form);
    check_status(st);
    if (st == IDENTITY_OK) {
        if (strlen(tin) != 9 || strspn(tin, "0123456789") != 9)
            abort();
        check_status(identity_ssn_check(tin, 9));
        check_status(identity_ein_check(tin, 9));
    } else if (tin[0] != '\0') {
        abort();
    }
    check_status(identity_ssn_check(s, size));
    check_status(identity_ein_check(s, size));

    /* names: a full buffer, and a small one that cuts the result */
    scrub(s, size, IDENTITY_NAME_SIZE);
    scrub(s, size, 1 + (size > 0 ? data[0] % 12 : 0));
    name_control(s, size, false);
    name_control(s, size, true);
    check_status(identity_name_control_check(s, size));
    (void)identity_status_message(st);

    /* two values */
    if (size >= 1) {
        size_t cut = 1 + data[0] % size; /* 1..SIZE */
        const char *a = s + 1, *b = s + cut;
        size_t alen = cut - 1, blen = size - cut;
        same = true;
        st = identity_name_control_equal(a, alen, b, blen, &same);
        check_status(st);
        if (st != IDENTITY_OK && same)
            abort();
        for (int rule = IDENTITY_MATCH_NAME_CONTROL;
             rule <= IDENTITY_MATCH_LAST_NAME; rule++) {
            same = true;
            st = identity_match_name(rule, a, alen, b, blen, &same);
            check_status(st);
            if (st != IDENTITY_OK && same)
                abort(); /* an unreadable name never matches */
        }
        /* the same last name always matches itself */
        same = false;
        st = identity_match_name(IDENTITY_MATCH_LAST_NAME, a, alen, a, alen,
                                 &same);
        if (st == IDENTITY_OK && !same)
            abort();
    }
    return 0;
}
