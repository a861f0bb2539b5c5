/*
 * debtcheck.c - reading and checking one agency debt record (see
 * debtcheck.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/calendar.h"
#include "offsetgw/debtcheck.h"
#include "offsetgw/identity.h"

static const struct {
    const char *name;
    const char *meaning;
} codes[C_COUNT_] = {
    [CHECK_OK] = {"OK", "accepted"},
    [C_ACCOUNT] = {"C_ACCOUNT", "the record has no agency account id"},
    [C_TIN_TYPE] = {"C_TIN_TYPE", "the program does not take this id type"},
    [C_SSN] = {"C_SSN", "the SSN is one the SSA never issues"},
    [C_EIN] = {"C_EIN", "the EIN is one the IRS never assigns"},
    [C_NAME] = {"C_NAME", "the debtor's last or business name is missing"},
    [C_AMOUNT] = {"C_AMOUNT", "the amount makes no sense for the action"},
    [C_MIN_AMOUNT] = {"C_MIN_AMOUNT", "the debt is below the program's "
                                      "minimum"},
    [C_NOTICE] = {"C_NOTICE", "the pre-offset notice is missing or too "
                              "recent"},
    [C_DELINQUENT] = {"C_DELINQUENT", "the debt is not delinquent long "
                                      "enough"},
    [C_ATTEMPTS] = {"C_ATTEMPTS", "too few collection attempts were made"},
    [C_BANKRUPTCY] = {"C_BANKRUPTCY", "the debtor is in bankruptcy"},
    [C_DEBT_TYPE] = {"C_DEBT_TYPE", "the program has no priority class for "
                                    "this debt type"},
    [C_UNKNOWN_DEBT] = {"C_UNKNOWN_DEBT", "no such debt is registered for "
                                          "this agency"},
    [C_DEBT_EXISTS] = {"C_DEBT_EXISTS", "the debt is registered already"},
    [C_DEBT_CLOSED] = {"C_DEBT_CLOSED", "the debt was zeroed out and is "
                                        "closed"},
    [C_DUP_ACCOUNT] = {"C_DUP_ACCOUNT", "the account appears "
                                        "twice in the file"},
    [C_TIN_MISMATCH] = {"C_TIN_MISMATCH", "the id does not match the "
                                          "registered debtor's"},
    [C_AGENCY] = {"C_AGENCY", "the file is not this agency's"},
    [C_HEADER] = {"C_HEADER", "the file's header cannot be read"},
    [C_UNKNOWN_OFFSET] = {"C_UNKNOWN_OFFSET",
                          "the reversal names no offset of this debt"},
    [C_REVERSED] = {"C_REVERSED", "the offset was reversed already"},
    [C_REVERSAL_AMT] = {"C_REVERSAL_AMT",
                        "the reversal is larger than its offset"},
    [C_DUP_TRACE] = {"C_DUP_TRACE",
                     "the offset's trace id was reported before, or is "
                     "missing"},
    [C_OVER_BALANCE] = {"C_OVER_BALANCE", "more money than the debt's balance"},
    [C_TIN_MISSING] = {"C_TIN_MISSING",
                       "no SSN or EIN: the gateway matches on it, send the "
                       "debt again once you have it"},
    [C_DUP_FILE] = {"C_DUP_FILE", "the same file was received "
                                  "before: nothing applied"},
};

const char *check_code_name(enum check_code code)
{
    return (unsigned)code < C_COUNT_ ? codes[code].name : "C_UNKNOWN";
}

const char *check_code_meaning(enum check_code code)
{
    return (unsigned)code < C_COUNT_ ? codes[code].meaning : "unknown";
}

enum check_code check_fail(struct check_result *why, enum check_code code,
                           const char *field, const char *fmt, ...)
{
    va_list ap;
    why->code = code;
    snprintf(why->field, sizeof(why->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(why->message, sizeof(why->message), fmt, ap);
    va_end(ap);
    return code;
}

/* --- fields ------------------------------------------------------------- */

enum {
    F_ACTION,
    F_ACCOUNT,
    F_TIN_TYPE,
    F_TIN,
    F_LAST,
    F_FIRST,
    F_MIDDLE,
    F_SUFFIX,
    F_AMOUNT,
    F_DEBT_TYPE,
    F_DELINQUENCY,
    F_NOTICE,
    F_ATTEMPTS,
    F_BANKRUPTCY,
    F_COUNT_
};

static const struct {
    const char *name;
    bool required;
} canonical[F_COUNT_] = {
    [F_ACTION] = {"action", true},
    [F_ACCOUNT] = {"account", true},
    [F_TIN_TYPE] = {"tin_type", false},
    [F_TIN] = {"tin", true},
    [F_LAST] = {"last_name", true},
    [F_FIRST] = {"first_name", false},
    [F_MIDDLE] = {"middle_initial", false},
    [F_SUFFIX] = {"suffix", false},
    [F_AMOUNT] = {"amount", true},
    [F_DEBT_TYPE] = {"debt_type", false},
    [F_DELINQUENCY] = {"delinquency_date", false},
    [F_NOTICE] = {"notice_date", false},
    [F_ATTEMPTS] = {"collection_attempts", false},
    [F_BANKRUPTCY] = {"bankruptcy", false},
};

struct debt_fields {
    const struct layout_record *detail;
    int index[F_COUNT_]; /* -1 when the layout has no such field */
    bool canonical[LAYOUT_FIELDS_MAX]; /* by field index */
    bool keep[LAYOUT_FIELDS_MAX];      /* attributes to keep */
};

struct debt_fields *debt_fields_new(const struct layout *layout, char *err,
                                    size_t err_size)
{
    const struct layout_record *detail =
        layout_record_by_name(layout, "detail");
    if (detail == NULL) {
        snprintf(err, err_size, "layout '%s' has no record 'detail'",
                 layout_name(layout));
        return NULL;
    }
    struct debt_fields *df = calloc(1, sizeof(*df));
    if (df == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    df->detail = detail;
    for (int i = 0; i < F_COUNT_; i++) {
        df->index[i] = layout_field_index(detail, canonical[i].name);
        if (df->index[i] >= 0 && df->index[i] < LAYOUT_FIELDS_MAX)
            df->canonical[df->index[i]] = true;
        if (df->index[i] < 0 && canonical[i].required) {
            snprintf(err, err_size,
                     "layout '%s' record 'detail' has no field '%s'",
                     layout_name(layout), canonical[i].name);
            free(df);
            return NULL;
        }
    }
    return df;
}

void debt_fields_free(struct debt_fields *df)
{
    free(df);
}

void debt_fields_keep(struct debt_fields *df, const char *name)
{
    int i = layout_field_index(df->detail, name);
    if (i >= 0 && i < LAYOUT_FIELDS_MAX && !df->canonical[i])
        df->keep[i] = true;
}

const struct layout_record *debt_fields_record(const struct debt_fields *df)
{
    return df->detail;
}

/* The value of field F, or NULL when the layout lacks it or it is blank. */
static const struct field_value *value(const struct debt_fields *df,
                                       const struct record *rec, int f)
{
    int i = df->index[f];
    if (i < 0 || rec->values[i].state != VALUE_OK)
        return NULL;
    return &rec->values[i];
}

/* The text of field F into BUF (empty when absent), cut to SIZE - 1. */
static void text(const struct debt_fields *df, const struct record *rec, int f,
                 char *buf, size_t size)
{
    const struct field_value *v = value(df, rec, f);
    size_t n = v == NULL ? 0 : v->text_len;
    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(buf, v->text, n);
    buf[n] = '\0';
}

/* Append NAME=VALUE and a newline to OUT[*AT..SIZE); false when it does
 * not fit (nothing appended). */
static bool append_attribute(char *out, size_t size, size_t *at,
                             const char *name, const char *value, size_t n)
{
    size_t name_len = strlen(name);
    if (*at + name_len + n + 2 >= size)
        return false;
    memcpy(out + *at, name, name_len);
    out[*at + name_len] = '=';
    memcpy(out + *at + name_len + 1, value, n);
    out[*at + name_len + 1 + n] = '\n';
    *at += name_len + n + 2;
    out[*at] = '\0';
    return true;
}

/* The record's named fields that are neither canonical nor literal, as
 * "name=value" lines, for partners' files that carry them on. */
static void read_attributes(const struct debt_fields *df,
                            const struct record *rec, char *out, size_t size)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < df->detail->n_fields && i < LAYOUT_FIELDS_MAX; i++) {
        const struct layout_field *f = &df->detail->fields[i];
        const struct field_value *v = &rec->values[i];
        if (!df->keep[i] || f->literal != NULL || v->state != VALUE_OK)
            continue;
        char text_buf[96];
        size_t n = field_value_render(f, v, text_buf, sizeof(text_buf));
        if (!append_attribute(out, size, &at, f->name, text_buf, n))
            break; /* what does not fit is left out whole */
    }
}

/* --- the rules ---------------------------------------------------------- */

static enum check_code read_tin(const struct profile *p,
                                const struct debt_fields *df,
                                const struct record *rec, struct debt_input *in,
                                struct check_result *why)
{
    char type[4], raw[24];
    enum identity_tin_form form;
    text(df, rec, F_TIN_TYPE, type, sizeof(type));
    in->tin_type = type[0] ? type[0] : 'S';
    if (in->tin_type != 'S' && in->tin_type != 'E')
        return check_fail(why, C_TIN_TYPE, "tin_type",
                          "id type '%s' is neither S (SSN) nor E (EIN)", type);
    unsigned wanted = in->tin_type == 'S' ? PROFILE_ID_SSN : PROFILE_ID_EIN;
    if (!(p->id_types & wanted))
        return check_fail(why, C_TIN_TYPE, "tin_type",
                          "program %s does not take %s debtors", p->name,
                          in->tin_type == 'S' ? "SSN" : "EIN");
    text(df, rec, F_TIN, raw, sizeof(raw));
    if (raw[0] == '\0')
        return check_fail(why, C_TIN_MISSING, "tin",
                          "no %s: debts are matched on it, send the debt "
                          "again once you have it",
                          in->tin_type == 'S' ? "SSN" : "EIN");
    enum identity_status st =
        identity_tin_normalize(raw, strlen(raw), in->tin, &form);
    if (st == IDENTITY_OK)
        st = in->tin_type == 'S' ? identity_ssn_check(in->tin, 9)
                                 : identity_ein_check(in->tin, 9);
    if (st != IDENTITY_OK) {
        size_t n = strlen(raw);
        /* the message travels in an 80-character field */
        return check_fail(why, in->tin_type == 'S' ? C_SSN : C_EIN, "tin",
                          "ending %s: %s", n >= 4 ? raw + n - 4 : "?",
                          identity_status_message(st));
    }
    return CHECK_OK;
}

static enum check_code read_names(const struct debt_fields *df,
                                  const struct record *rec,
                                  struct debt_input *in,
                                  struct check_result *why)
{
    char raw[IDENTITY_NAME_SIZE], out[IDENTITY_NAME_SIZE];
    enum identity_suffix suffix = IDENTITY_SUFFIX_NONE, ignored;
    enum identity_status st;
    bool business = in->tin_type == 'E';

    text(df, rec, F_LAST, raw, sizeof(raw));
    st = identity_name_scrub(business ? IDENTITY_FIELD_BUSINESS
                                      : IDENTITY_FIELD_LAST,
                             raw, strlen(raw), out, sizeof(out), &suffix);
    if (st != IDENTITY_OK || out[0] == '\0')
        return check_fail(why, C_NAME, "last_name", "last name '%s': %s", raw,
                          st != IDENTITY_OK ? identity_status_message(st)
                                            : "blank");
    store_text_copy(in->name.last, sizeof(in->name.last), out);
    st = business
             ? identity_business_name_control(out, strlen(out),
                                              in->name.name_control)
             : identity_name_control(out, strlen(out), in->name.name_control);
    if (st != IDENTITY_OK)
        return check_fail(why, C_NAME, "last_name",
                          "no name control from '%s': %s", out,
                          identity_status_message(st));
    text(df, rec, F_FIRST, raw, sizeof(raw));
    if (raw[0] != '\0') {
        if (identity_name_scrub(IDENTITY_FIELD_FIRST, raw, strlen(raw), out,
                                sizeof(out), &ignored) != IDENTITY_OK)
            out[0] = '\0';
        store_text_copy(in->name.first, sizeof(in->name.first), out);
    }
    text(df, rec, F_MIDDLE, raw, sizeof(raw));
    if (raw[0] != '\0' &&
        identity_name_scrub(IDENTITY_FIELD_MIDDLE, raw, strlen(raw), out,
                            sizeof(out), &ignored) == IDENTITY_OK)
        store_text_copy(in->name.middle, sizeof(in->name.middle), out);
    /* an explicit suffix field wins over one split off the last name */
    text(df, rec, F_SUFFIX, raw, sizeof(raw));
    if (raw[0] != '\0' &&
        identity_name_scrub(IDENTITY_FIELD_MIDDLE, raw, strlen(raw), out,
                            sizeof(out), &ignored) == IDENTITY_OK)
        store_text_copy(in->name.suffix, sizeof(in->name.suffix), out);
    else if (suffix != IDENTITY_SUFFIX_NONE)
        store_text_copy(in->name.suffix, sizeof(in->name.suffix),
                        identity_suffix_text(suffix));
    return CHECK_OK;
}

/* Rules of an add: eligibility as of FILE_DATE. */
static enum check_code check_add(const struct profile *p,
                                 const struct debt_input *in, int32_t file_date,
                                 bool has_attempts, struct check_result *why)
{
    char a[16], b[16];
    if (in->amount_cents <= 0)
        return check_fail(why, C_AMOUNT, "amount",
                          "an add needs an amount above 0");
    if (in->amount_cents < p->min_debt_cents) {
        struct field_value v = {.num = in->amount_cents, .state = VALUE_OK};
        struct field_value m = {.num = p->min_debt_cents, .state = VALUE_OK};
        struct layout_field money = {.type = FT_AMOUNT};
        field_value_render(&money, &v, a, sizeof(a));
        field_value_render(&money, &m, b, sizeof(b));
        return check_fail(why, C_MIN_AMOUNT, "amount",
                          "%s is below the %s minimum of %s", a, p->name, b);
    }
    if (p->notice_days > 0 &&
        p->notice_stage == PROFILE_NOTICE_BEFORE_REFERRAL) {
        if (in->notice_date == 0)
            return check_fail(why, C_NOTICE, "notice_date",
                              "no pre-offset notice date; %s needs %d days "
                              "of notice",
                              p->name, (int)p->notice_days);
        int32_t earliest = calendar_add_days(in->notice_date, p->notice_days);
        if (earliest > file_date) {
            calendar_format(in->notice_date, a);
            calendar_format(earliest, b);
            return check_fail(why, C_NOTICE, "notice_date",
                              "notice sent %s: not before %s (%d days)", a, b,
                              (int)p->notice_days);
        }
    }
    if (p->delinquent_days > 0) {
        if (in->delinquency_date == 0)
            return check_fail(why, C_DELINQUENT, "delinquency_date",
                              "no delinquency date; %s needs %d days "
                              "delinquent",
                              p->name, (int)p->delinquent_days);
        int32_t earliest =
            calendar_add_days(in->delinquency_date, p->delinquent_days);
        if (earliest > file_date) {
            calendar_format(in->delinquency_date, a);
            calendar_format(earliest, b);
            return check_fail(why, C_DELINQUENT, "delinquency_date",
                              "delinquent since %s: not before %s (%d days)", a,
                              b, (int)p->delinquent_days);
        }
    }
    if (p->collection_attempts > 0 && in->attempts < p->collection_attempts)
        return check_fail(why, C_ATTEMPTS, "collection_attempts",
                          "%d collection attempts%s; %s needs %d",
                          (int)in->attempts,
                          has_attempts ? "" : " (the file does not say)",
                          p->name, (int)p->collection_attempts);
    if (in->bankrupt)
        return check_fail(why, C_BANKRUPTCY, "bankruptcy",
                          "the debtor is in bankruptcy: no offset");
    if (p->n_classes > 0 && profile_priority_of(p, in->debt_type) < 0)
        return check_fail(why, C_DEBT_TYPE, "debt_type",
                          "debt type '%s' is in no %s priority class",
                          in->debt_type, p->name);
    return CHECK_OK;
}

enum check_code debt_check(const struct profile *p,
                           const struct debt_fields *df,
                           const struct record *rec, int32_t file_date,
                           struct debt_input *in, struct check_result *why)
{
    const struct field_value *v;
    char action[4], flag[4];
    enum check_code c;

    memset(in, 0, sizeof(*in));
    memset(why, 0, sizeof(*why));
    text(df, rec, F_ACTION, action, sizeof(action));
    in->action = (enum debt_action)action[0];
    if (in->action != DEBT_ADD && in->action != DEBT_CHANGE &&
        in->action != DEBT_ZERO)
        return check_fail(why, C_AMOUNT, "action",
                          "action '%s' is not A, C or Z", action);
    text(df, rec, F_ACCOUNT, in->account, sizeof(in->account));
    if (in->account[0] == '\0')
        return check_fail(why, C_ACCOUNT, "account", "no account id");
    if ((c = read_tin(p, df, rec, in, why)) != CHECK_OK)
        return c;
    if ((c = read_names(df, rec, in, why)) != CHECK_OK)
        return c;
    if ((v = value(df, rec, F_AMOUNT)) != NULL)
        in->amount_cents = v->num;
    text(df, rec, F_DEBT_TYPE, in->debt_type, sizeof(in->debt_type));
    if ((v = value(df, rec, F_DELINQUENCY)) != NULL)
        in->delinquency_date = (int32_t)v->num;
    if ((v = value(df, rec, F_NOTICE)) != NULL)
        in->notice_date = (int32_t)v->num;
    if ((v = value(df, rec, F_ATTEMPTS)) != NULL)
        in->attempts = (int32_t)v->num;
    text(df, rec, F_BANKRUPTCY, flag, sizeof(flag));
    in->bankrupt = flag[0] == 'Y';
    read_attributes(df, rec, in->attributes, sizeof(in->attributes));

    if (in->notice_date > file_date) {
        char a[16], b[16];
        calendar_format(in->notice_date, a);
        calendar_format(file_date, b);
        return check_fail(why, C_NOTICE, "notice_date",
                          "notice dated %s, after the file's date %s", a, b);
    }
    switch (in->action) {
    case DEBT_ADD:
        return check_add(p, in, file_date, df->index[F_ATTEMPTS] >= 0, why);
    case DEBT_CHANGE:
        if (in->amount_cents <= 0)
            return check_fail(why, C_AMOUNT, "amount",
                              "a change needs the new amount above 0 (zero "
                              "a debt with action Z)");
        return CHECK_OK;
    case DEBT_ZERO:
        return CHECK_OK;
    }
    return CHECK_OK;
}
