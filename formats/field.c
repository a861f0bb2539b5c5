/*
 * field.c - field types: bytes to values, values to bytes.
 *
 * Owns the conversion and checks of every field type (text and its
 * charsets, digits, integers, amounts with implied or explicit decimals
 * and signs, dates, times, codes, SSN/TIN, filler), the rendering of values
 * for people, and the quoting and SSN masking of values in messages.  It
 * does not know about lines, records or structure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "formatsInt.h"

/* --- messages ---------------------------------------------------------- */

void record_add_error(struct record *rec, enum errcode code, uint32_t column,
                      int field, const char *fmt, ...)
{
    if (rec == NULL)
        return;
    if (rec->n_errors >= RECORD_MAX_ERRORS) {
        rec->n_errors_dropped++;
        return;
    }
    struct record_error *e = &rec->errors[rec->n_errors++];
    e->code = code;
    e->column = column;
    e->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
}

void field_quote_value(const struct layout_field *f, const char *bytes,
                       size_t n, char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    bool mask_all = f != NULL && (f->type == FT_SSN || f->type == FT_TIN);
    /* Anywhere else a run of 9 or more digits may be an SSN that landed in
     * the wrong field (a shifted record): mask it too, keeping the last 4.
     * Numbers, dates and digit strings are shown as they are. */
    bool mask_runs = f == NULL || f->type == FT_TEXT || f->type == FT_CODE ||
                     f->type == FT_FILLER;
    size_t shown = n > 40 ? 40 : n;
    size_t at = 0;
    if (size == 0)
        return;
    for (size_t i = 0; i < shown && at + 5 < size; i++) {
        unsigned char c = (unsigned char)bytes[i];
        bool masked = false;
        if (mask_all)
            masked = i + 4 < n && c != ' ';
        else if (mask_runs && c >= '0' && c <= '9') {
            size_t lo = i, hi = i;
            while (lo > 0 && bytes[lo - 1] >= '0' && bytes[lo - 1] <= '9')
                lo--;
            while (hi + 1 < n && bytes[hi + 1] >= '0' && bytes[hi + 1] <= '9')
                hi++;
            masked = hi - lo + 1 >= 9 && i + 4 <= hi;
        }
        if (masked)
            out[at++] = '*';
        else if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            out[at++] = (char)c;
        else {
            out[at++] = '\\';
            out[at++] = 'x';
            out[at++] = hex[c >> 4];
            out[at++] = hex[c & 15];
        }
    }
    if (shown < n && at + 4 < size) {
        memcpy(out + at, "...", 3);
        at += 3;
    }
    out[at] = '\0';
}

/* --- small checks ------------------------------------------------------ */

bool date_valid(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    int max = days[m - 1];
    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        max = 29;
    return d <= max;
}

bool ssn_ssa_valid(const char *d)
{
    int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    int group = (d[3] - '0') * 10 + (d[4] - '0');
    bool serial_zero = memcmp(d + 5, "0000", 4) == 0;
    return area != 0 && area != 666 && area < 900 && group != 0 && !serial_zero;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return false;
    return true;
}

static int digits_value(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* Charset membership: bit N of charset_bits[c] says whether byte c is in
 * charset N (enum text_charset).  A constant table: no initialisation,
 * nothing shared to race on. */
#define CS_P (1u << CHARSET_PRINT)
#define CS_AL (1u << CHARSET_ALPHA)
#define CS_AN (1u << CHARSET_ALNUM)
#define CS_UP (1u << CHARSET_UPPER)
#define CS_NM (1u << CHARSET_NAME)
#define CS_LOWER (CS_P | CS_AL | CS_AN | CS_NM)
#define CS_UPPER_L (CS_P | CS_AL | CS_AN | CS_UP | CS_NM)
#define CS_DIGIT (CS_P | CS_AN | CS_UP)
#define R4(x) x, x, x, x
#define R8(x) R4(x), R4(x)
#define R16(x) R8(x), R8(x)
static const unsigned char charset_bits[256] = {
    R16(0), R16(0),
    /* 0x20 space ! " # $ % & ' ( ) * + , - . / */
    CS_P | CS_AL | CS_AN | CS_UP | CS_NM, CS_P, CS_P, CS_P, CS_P, CS_P, CS_P,
    CS_P | CS_NM, CS_P, CS_P, CS_P, CS_P, CS_P | CS_NM, CS_P | CS_NM,
    CS_P | CS_NM, CS_P,
    /* 0x30 0-9 : ; < = > ? */
    R8(CS_DIGIT), CS_DIGIT, CS_DIGIT, CS_P, CS_P, CS_P, CS_P, CS_P, CS_P,
    /* 0x40 @ A-O */
    CS_P, R8(CS_UPPER_L), R4(CS_UPPER_L), CS_UPPER_L, CS_UPPER_L, CS_UPPER_L,
    /* 0x50 P-Z [ \ ] ^ _ */
    R8(CS_UPPER_L), CS_UPPER_L, CS_UPPER_L, CS_UPPER_L, CS_P, CS_P, CS_P, CS_P,
    CS_P,
    /* 0x60 ` a-o */
    CS_P, R8(CS_LOWER), R4(CS_LOWER), CS_LOWER, CS_LOWER, CS_LOWER,
    /* 0x70 p-z { | } ~ DEL */
    R8(CS_LOWER), CS_LOWER, CS_LOWER, CS_LOWER, CS_P, CS_P, CS_P, CS_P, 0,
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0)};

/* --- parse ------------------------------------------------------------- */

struct ctx {
    const struct layout_field *f;
    struct field_value *v;
    struct record *rec;
    int index;
};

__attribute__((format(printf, 3, 4))) static void
bad(struct ctx *c, enum errcode code, const char *fmt, ...)
{
    char detail[ERROR_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    c->v->state = VALUE_BAD;
    record_add_error(c->rec, code, c->v->column, c->index, "%s", detail);
}

static void quoted(struct ctx *c, char *buf, size_t size)
{
    field_quote_value(c->f, c->v->raw, c->v->raw_len, buf, size);
}

#define ONES_64 (~(uint64_t)0 / 255)

/* Bytes equal to zero at the end (in memory order) of a non-zero word
 * loaded from memory, and at its start. */
static inline int word_high_zero_bytes(uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_clzll(x) >> 3;
#else
    return __builtin_ctzll(x) >> 3;
#endif
}

static inline int word_low_zero_bytes(uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_ctzll(x) >> 3;
#else
    return __builtin_clzll(x) >> 3;
#endif
}

static bool all_bytes(const char *p, uint32_t n, char b)
{
    uint64_t bs = ONES_64 * (unsigned char)b;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != bs)
            return false;
    }
    for (; i < n; i++)
        if (p[i] != b)
            return false;
    return true;
}

/* Text-like trimming: drop the pad on the side opposite the justify.
 * Eight bytes at a time: long names and addresses are mostly pad. */
static void trim_text(const struct layout *l, const struct layout_field *f,
                      struct field_value *v)
{
    const char *s = v->raw;
    uint32_t n = v->raw_len;
    if (l->format == LAYOUT_FIXED) {
        uint64_t pads = ONES_64 * (unsigned char)f->pad;
        /* whole words of pad, then the pad bytes of the last word, found
         * from the first differing byte (little-endian word order) */
        if (f->justify == JUSTIFY_LEFT) {
            while (n >= 8) {
                uint64_t w;
                memcpy(&w, s + n - 8, 8);
                uint64_t x = w ^ pads;
                if (x != 0) {
                    n -= (uint32_t)(word_high_zero_bytes(x));
                    goto done;
                }
                n -= 8;
            }
            while (n > 0 && s[n - 1] == f->pad)
                n--;
        } else {
            while (n >= 8) {
                uint64_t w;
                memcpy(&w, s, 8);
                uint64_t x = w ^ pads;
                if (x != 0) {
                    uint32_t k = (uint32_t)word_low_zero_bytes(x);
                    s += k;
                    n -= k;
                    goto done;
                }
                s += 8;
                n -= 8;
            }
            while (n > 0 && *s == f->pad) {
                s++;
                n--;
            }
        }
    }
done:
    v->text = s;
    v->text_len = n;
}

static __attribute__((noinline, cold)) void length_error(struct ctx *c);

static inline void check_length(struct ctx *c)
{
    const struct layout_field *f = c->f;
    if ((f->min_length && c->v->text_len < f->min_length) ||
        (f->max_length && c->v->text_len > f->max_length))
        length_error(c);
}

static void length_error(struct ctx *c)
{
    const struct layout_field *f = c->f;
    uint32_t n = c->v->text_len;
    if (f->min_length && n < f->min_length) {
        char q[64];
        quoted(c, q, sizeof(q));
        bad(c, E_LENGTH, "expected at least %u characters, got %u in '%s'",
            (unsigned)f->min_length, (unsigned)n, q);
    } else if (f->max_length && n > f->max_length) {
        char q[64];
        quoted(c, q, sizeof(q));
        bad(c, E_LENGTH, "expected at most %u characters, got %u in '%s'",
            (unsigned)f->max_length, (unsigned)n, q);
    }
}

static void parse_text(struct ctx *c, bool fixed)
{
    const struct layout_field *f = c->f;
    struct field_value *v = c->v;
    if (f->charset == CHARSET_PRINT) {
        /* the reader let only printable ASCII through, and TAB only in
         * delimited files */
        for (uint32_t i = 0; !fixed && i < v->text_len; i++)
            if (v->text[i] == '\t') {
                bad(c, E_CHARSET, "a TAB is not allowed in a text field");
                return;
            }
        check_length(c);
        return;
    }
    const unsigned char bit = (unsigned char)(1u << f->charset);
    for (uint32_t i = 0; i < v->text_len; i++) {
        unsigned char ch = (unsigned char)v->text[i];
        if (!(charset_bits[ch] & bit)) {
            char q[64];
            quoted(c, q, sizeof(q));
            bad(c, E_CHARSET, "character '%c' not allowed (charset %s) in '%s'",
                ch >= 0x20 && ch < 0x7f ? ch : '?',
                f->charset == CHARSET_ALPHA   ? "alpha"
                : f->charset == CHARSET_ALNUM ? "alnum"
                : f->charset == CHARSET_UPPER ? "upper"
                : f->charset == CHARSET_NAME  ? "name"
                                              : "print",
                q);
            return;
        }
    }
    check_length(c);
}

static void parse_digits(struct ctx *c)
{
    if (!all_digits(c->v->text, c->v->text_len)) {
        char q[64];
        quoted(c, q, sizeof(q));
        bad(c, E_DIGITS, "expected digits, got '%s'", q);
        return;
    }
    check_length(c);
}

static __attribute__((noinline, cold)) void code_error(struct ctx *c)
{
    const struct layout_field *f = c->f;
    char q[64];
    quoted(c, q, sizeof(q));
    char list[64];
    size_t at = 0;
    list[0] = '\0';
    for (size_t i = 0; i < f->n_codes && at + 8 < sizeof(list); i++) {
        int n = snprintf(list + at, sizeof(list) - at, "%s%s", i ? "," : "",
                         f->codes[i].value);
        if (n < 0 || (size_t)n >= sizeof(list) - at) {
            memcpy(list + sizeof(list) - 4, "...", 4);
            break;
        }
        at += (size_t)n;
    }
    bad(c, E_CODE, "'%s' is not one of %s", q, list);
}

static void parse_code(struct ctx *c)
{
    const struct layout_field *f = c->f;
    struct field_value *v = c->v;
    for (size_t i = 0; i < f->n_codes; i++) {
        const struct field_code *code = &f->codes[i];
        if (code->value_len != v->text_len)
            continue;
        uint32_t k = 0;
        while (k < v->text_len && code->value[k] == v->text[k])
            k++;
        if (k == v->text_len) {
            v->num = (int64_t)i;
            return;
        }
    }
    if (f->open_codes) {
        v->num = -1; /* a value the list does not know */
        return;
    }
    code_error(c);
}

static void parse_tin(struct ctx *c)
{
    struct field_value *v = c->v;
    if (v->text_len != 9 || !all_digits(v->text, 9)) {
        char q[64];
        quoted(c, q, sizeof(q));
        bad(c, E_DIGITS, "expected 9 digits, got '%s'", q);
        return;
    }
    if (c->f->check_ssa && !ssn_ssa_valid(v->text)) {
        char q[64];
        quoted(c, q, sizeof(q));
        const char *d = v->text;
        const char *why =
            memcmp(d, "000", 3) == 0 || memcmp(d, "666", 3) == 0 || d[0] == '9'
                ? "area"
            : memcmp(d + 3, "00", 2) == 0 ? "group"
                                          : "serial";
        bad(c, E_SSN, "SSN '%s' is never issued (%s)", q, why);
    }
}

static const int64_t pow10_table[] = {1, 10, 100};

static __attribute__((noinline, cold)) void number_error(struct ctx *c, char at,
                                                         bool fixed)
{
    const struct layout_field *f = c->f;
    char q[64];
    quoted(c, q, sizeof(q));
    if (at == ' ' && fixed)
        bad(c, E_JUSTIFY, "expected %s, got '%s'",
            f->pad == '0'                 ? "zero-filled digits"
            : f->justify == JUSTIFY_RIGHT ? "right-justified digits"
                                          : "left-justified digits",
            q);
    else if (at == '-' || at == '+')
        bad(c, E_SIGN, "a sign is not allowed here, got '%s'", q);
    else
        bad(c, E_DIGITS, "expected digits, got '%s'", q);
}

static void parse_number(struct ctx *c, const struct layout *l)
{
    const struct layout_field *f = c->f;
    struct field_value *v = c->v;
    const char *s = v->raw, *e = v->raw + v->raw_len;
    bool fixed = l->format == LAYOUT_FIXED;
    bool neg = false;
    int last_digit = -1; /* from an overpunch */
    char q[64];

    if (fixed) {
        if (f->justify == JUSTIFY_RIGHT && f->pad == ' ')
            while (s < e && *s == ' ')
                s++;
        if (f->justify == JUSTIFY_LEFT)
            while (e > s && e[-1] == ' ')
                e--;
    }
    switch (f->sign) {
    case SIGN_LEADING:
        if (s < e && (*s == '+' || *s == '-')) {
            neg = *s++ == '-';
        } else {
            quoted(c, q, sizeof(q));
            bad(c, E_SIGN, "expected a leading + or -, got '%s'", q);
            return;
        }
        break;
    case SIGN_TRAILING:
        if (s < e && (e[-1] == '+' || e[-1] == '-')) {
            neg = *--e == '-';
        } else {
            quoted(c, q, sizeof(q));
            bad(c, E_SIGN, "expected a trailing + or -, got '%s'", q);
            return;
        }
        break;
    case SIGN_OVERPUNCH: {
        char z = s < e ? e[-1] : ' ';
        if (z == '{' || z == '}')
            last_digit = 0;
        else if (z >= 'A' && z <= 'I')
            last_digit = z - 'A' + 1;
        else if (z >= 'J' && z <= 'R')
            last_digit = z - 'J' + 1;
        else {
            quoted(c, q, sizeof(q));
            bad(c, E_SIGN, "expected an overpunched last digit, got '%s'", q);
            return;
        }
        neg = z == '}' || (z >= 'J' && z <= 'R');
        e--;
        break;
    }
    case SIGN_MINUS:
        if (s < e && *s == '-') {
            neg = true;
            s++;
        }
        break;
    case SIGN_NONE:
        break;
    }
    if (fixed && f->pad == ' ' && f->justify == JUSTIFY_RIGHT && e - s > 1 &&
        *s == '0' && is_digit(s[1])) {
        quoted(c, q, sizeof(q));
        bad(c, E_JUSTIFY, "expected space-filled digits, got '%s'", q);
        return;
    }
    uint64_t units = 0;
    int n_digits = 0, after_point = -1;
    const char *p = s;
    /* the common case: plain digits only, and at most 19 of them can not
     * overflow 64 bits, so no check per digit */
    if (e - p <= 19 && !f->explicit_point) {
        while (p < e && is_digit(*p))
            units = units * 10 + (uint64_t)(*p++ - '0');
        n_digits = (int)(p - s);
    }
    for (; p < e; p++) {
        if (is_digit(*p)) {
            if (units > (UINT64_MAX - 9) / 10) {
                quoted(c, q, sizeof(q));
                bad(c, E_RANGE, "'%s' is too large", q);
                return;
            }
            units = units * 10 + (uint64_t)(*p - '0');
            n_digits++;
            if (after_point >= 0)
                after_point++;
        } else if (*p == '.' && f->explicit_point && after_point < 0) {
            after_point = 0;
        } else {
            number_error(c, *p, fixed);
            return;
        }
    }
    if (last_digit >= 0) {
        if (units > (UINT64_MAX - 9) / 10) {
            quoted(c, q, sizeof(q));
            bad(c, E_RANGE, "'%s' is too large", q);
            return;
        }
        units = units * 10 + (uint64_t)last_digit;
        n_digits++;
        if (after_point >= 0)
            after_point++;
    }
    if (n_digits == 0) {
        quoted(c, q, sizeof(q));
        bad(c, E_DIGITS, "expected digits, got '%s'", q);
        return;
    }
    if (f->type == FT_AMOUNT && f->explicit_point && f->decimals > 0 &&
        after_point != f->decimals) {
        quoted(c, q, sizeof(q));
        bad(c, E_DIGITS,
            "expected an amount with %d decimals after a point, "
            "got '%s'",
            f->decimals, q);
        return;
    }
    int64_t scale = f->type == FT_AMOUNT ? pow10_table[2 - f->decimals] : 1;
    if (units > (uint64_t)INT64_MAX / (uint64_t)scale) {
        quoted(c, q, sizeof(q));
        bad(c, E_RANGE, "'%s' is too large", q);
        return;
    }
    if (neg && units == 0) {
        quoted(c, q, sizeof(q));
        bad(c, E_SIGN, "negative zero '%s'", q);
        return;
    }
    int64_t value = (int64_t)units * scale;
    v->num = neg ? -value : value;
    v->has_num = true;
    v->text = s;
    v->text_len = (uint32_t)(e - s);
    if ((f->has_min && v->num < f->min) || (f->has_max && v->num > f->max)) {
        char got[32], lim[32];
        struct field_value tmp = *v;
        tmp.state = VALUE_OK;
        field_value_render(f, &tmp, got, sizeof(got));
        tmp.num = f->has_min && v->num < f->min ? f->min : f->max;
        field_value_render(f, &tmp, lim, sizeof(lim));
        bad(c, E_RANGE, "%s is %s the %s %s", got,
            f->has_min && v->num < f->min ? "below" : "above",
            f->has_min && v->num < f->min ? "minimum" : "maximum", lim);
    }
}

static void parse_date(struct ctx *c)
{
    const struct layout_field *f = c->f;
    struct field_value *v = c->v;
    const char *p = v->raw;
    uint32_t want = f->date_format == DATE_ISO ? 10 : 8;
    int y = 0, m = 0, d = 0;
    bool shape = v->raw_len == want;
    if (shape && f->date_format == DATE_ISO)
        shape = all_digits(p, 4) && p[4] == '-' && all_digits(p + 5, 2) &&
                p[7] == '-' && all_digits(p + 8, 2);
    else if (shape)
        shape = all_digits(p, 8);
    if (shape) {
        if (f->date_format == DATE_YYYYMMDD) {
            y = digits_value(p, 4);
            m = digits_value(p + 4, 2);
            d = digits_value(p + 6, 2);
        } else if (f->date_format == DATE_MMDDYYYY) {
            m = digits_value(p, 2);
            d = digits_value(p + 2, 2);
            y = digits_value(p + 4, 4);
        } else {
            y = digits_value(p, 4);
            m = digits_value(p + 5, 2);
            d = digits_value(p + 8, 2);
        }
    }
    if (!shape || !date_valid(y, m, d)) {
        char q[64];
        quoted(c, q, sizeof(q));
        bad(c, E_DATE, "'%s' is not a %s date (%s)", q,
            shape ? "real calendar" : "well-formed",
            f->date_format == DATE_ISO        ? "YYYY-MM-DD"
            : f->date_format == DATE_MMDDYYYY ? "MMDDYYYY"
                                              : "YYYYMMDD");
        return;
    }
    v->num = (int64_t)y * 10000 + m * 100 + d;
    v->text = v->raw;
    v->text_len = v->raw_len;
}

static void parse_time(struct ctx *c)
{
    const struct layout_field *f = c->f;
    struct field_value *v = c->v;
    const char *p = v->raw;
    int h = -1, mi = -1, s = 0;
    switch (f->time_format) {
    case TIME_HHMMSS:
        if (v->raw_len == 6 && all_digits(p, 6)) {
            h = digits_value(p, 2);
            mi = digits_value(p + 2, 2);
            s = digits_value(p + 4, 2);
        }
        break;
    case TIME_HHMM:
        if (v->raw_len == 4 && all_digits(p, 4)) {
            h = digits_value(p, 2);
            mi = digits_value(p + 2, 2);
        }
        break;
    case TIME_ISO:
        if (v->raw_len == 8 && all_digits(p, 2) && p[2] == ':' &&
            all_digits(p + 3, 2) && p[5] == ':' && all_digits(p + 6, 2)) {
            h = digits_value(p, 2);
            mi = digits_value(p + 3, 2);
            s = digits_value(p + 6, 2);
        }
        break;
    }
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s > 59) {
        char q[64];
        quoted(c, q, sizeof(q));
        bad(c, E_TIME, "'%s' is not a time of day (%s)", q,
            f->time_format == TIME_HHMM  ? "HHMM"
            : f->time_format == TIME_ISO ? "HH:MM:SS"
                                         : "HHMMSS");
        return;
    }
    v->num = h * 3600 + mi * 60 + s;
    v->text = v->raw;
    v->text_len = v->raw_len;
}

void field_parse(const struct layout *layout, const struct layout_field *f,
                 const struct field_default *def, const char *p, uint32_t n,
                 uint32_t column, int field_index, struct field_value *v,
                 struct record *rec)
{
    struct ctx c = {.f = f, .v = v, .rec = rec, .index = field_index};
    bool fixed = layout->format == LAYOUT_FIXED;
    v->raw = p;
    v->raw_len = n;
    v->text = p;
    v->text_len = 0;
    v->column = column;
    v->num = 0;
    v->state = VALUE_OK;
    v->has_num = false;

    if (f->type == FT_FILLER) {
        if (f->check_filler && !(fixed ? all_bytes(p, n, f->pad) : n == 0)) {
            char q[64];
            quoted(&c, q, sizeof(q));
            bad(&c, E_FILLER, "filler holds '%s'", q);
            return;
        }
        v->text_len = n;
        return;
    }

    /* blank: all pad (all spaces for numbers), or empty when delimited */
    bool numeric = f->type == FT_INTEGER || f->type == FT_AMOUNT ||
                   f->type == FT_DATE || f->type == FT_TIME;
    bool text_like = !numeric;
    bool blank;
    if (text_like) {
        trim_text(layout, f, v);
        blank = v->text_len == 0;
        if (!blank && fixed && f->justify == JUSTIFY_RIGHT &&
            v->text[v->text_len - 1] == f->pad) {
            char q[64];
            quoted(&c, q, sizeof(q));
            bad(&c, E_JUSTIFY, "expected right-justified, got '%s'", q);
            return;
        }
    } else {
        char blank_byte =
            f->type == FT_DATE || f->type == FT_TIME ? f->pad : ' ';
        blank = fixed ? all_bytes(p, n, blank_byte) : n == 0;
    }
    if (blank) {
        v->text = p;
        v->text_len = 0;
        if (def != NULL && def->text != NULL) {
            v->text = def->text;
            v->text_len = def->text_len;
            v->num = def->num;
            v->has_num = true;
            return;
        }
        if (f->required) {
            bad(&c, E_REQUIRED, "required field is blank");
            return;
        }
        v->state = VALUE_BLANK;
        return;
    }
    switch (f->type) {
    case FT_TEXT:
        parse_text(&c, fixed);
        break;
    case FT_DIGITS:
        parse_digits(&c);
        break;
    case FT_CODE:
        parse_code(&c);
        break;
    case FT_SSN:
    case FT_TIN:
        parse_tin(&c);
        break;
    case FT_INTEGER:
    case FT_AMOUNT:
        parse_number(&c, layout);
        break;
    case FT_DATE:
        parse_date(&c);
        break;
    case FT_TIME:
        parse_time(&c);
        break;
    case FT_FILLER:
    case FT_COUNT_:
        break;
    }
}

/* --- render ------------------------------------------------------------ */

static size_t put_u64(char *buf, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* V as exactly WIDTH digits, zero-filled. */
static void put_fixed(char *buf, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        buf[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

size_t field_value_render(const struct layout_field *field,
                          const struct field_value *value, char *buf,
                          size_t size)
{
    char tmp[48];
    const char *src = tmp;
    size_t n = 0;
    if (size == 0)
        return 0;
    if (value->state == VALUE_BLANK) {
        buf[0] = '\0';
        return 0;
    }
    switch (field->type) {
    case FT_INTEGER:
        if (value->num < 0)
            tmp[n++] = '-';
        n += put_u64(tmp + n, value->num < 0 ? 0 - (uint64_t)value->num
                                             : (uint64_t)value->num);
        break;
    case FT_AMOUNT: {
        uint64_t a =
            value->num < 0 ? 0 - (uint64_t)value->num : (uint64_t)value->num;
        if (value->num < 0)
            tmp[n++] = '-';
        n += put_u64(tmp + n, a / 100);
        tmp[n++] = '.';
        tmp[n++] = (char)('0' + (a % 100) / 10);
        tmp[n++] = (char)('0' + a % 10);
        break;
    }
    case FT_DATE: {
        int64_t d = value->num;
        put_fixed(tmp, (unsigned)(d / 10000), 4);
        tmp[4] = '-';
        put_fixed(tmp + 5, (unsigned)(d / 100 % 100), 2);
        tmp[7] = '-';
        put_fixed(tmp + 8, (unsigned)(d % 100), 2);
        n = 10;
        break;
    }
    case FT_TIME: {
        int64_t t = value->num;
        put_fixed(tmp, (unsigned)(t / 3600), 2);
        tmp[2] = ':';
        put_fixed(tmp + 3, (unsigned)(t / 60 % 60), 2);
        tmp[5] = ':';
        put_fixed(tmp + 6, (unsigned)(t % 60), 2);
        n = 8;
        break;
    }
    case FT_FILLER:
        src = value->raw;
        n = value->raw_len;
        break;
    default:
        src = value->text;
        n = value->text_len;
        break;
    }
    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(buf, src, n);
    buf[n] = '\0';
    return n;
}

/* --- format ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t size,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* Lay BODY[0..n) into a fixed field of WIDTH per justify and PAD. */
static int justify_into(const struct layout_field *f, const char *body,
                        size_t n, char *out, size_t width, char pad, char *err,
                        size_t err_size)
{
    if (n > width)
        return fail(err, err_size,
                    "field '%s': value is %zu long, field is "
                    "%zu",
                    f->name ? f->name : "(filler)", n, width);
    if (f->justify == JUSTIFY_LEFT) {
        memcpy(out, body, n);
        memset(out + n, pad, width - n);
    } else {
        memset(out, pad, width - n);
        memcpy(out + width - n, body, n);
    }
    return (int)width;
}

static int format_number(const struct layout *l, const struct layout_field *f,
                         int64_t num, char *out, size_t size, char *err,
                         size_t err_size)
{
    bool fixed = l->format == LAYOUT_FIXED;
    bool neg = num < 0;
    uint64_t mag = neg ? 0 - (uint64_t)num : (uint64_t)num;
    char digits[32];
    size_t nd;

    if (f->type == FT_AMOUNT) {
        uint64_t scale = (uint64_t)pow10_table[2 - f->decimals];
        if (mag % scale != 0)
            return fail(err, err_size,
                        "field '%s': %s%llu.%02llu has more decimals than "
                        "the field's %d",
                        f->name, neg ? "-" : "",
                        (unsigned long long)(mag / 100),
                        (unsigned long long)(mag % 100), f->decimals);
        mag /= scale;
    }
    if (neg && f->sign == SIGN_NONE)
        return fail(err, err_size,
                    "field '%s': negative value, but the field "
                    "has no sign",
                    f->name);
    nd = put_u64(digits, mag);
    if (f->type == FT_AMOUNT && f->explicit_point && f->decimals > 0) {
        size_t d = (size_t)f->decimals;
        if (nd < d + 1) { /* 5 cents -> 0.05 */
            memmove(digits + (d + 1 - nd), digits, nd);
            memset(digits, '0', d + 1 - nd);
            nd = d + 1;
        }
        memmove(digits + nd - d + 1, digits + nd - d, d);
        digits[nd - d] = '.';
        nd++;
    }
    char body[40];
    size_t nb = 0;

    switch (f->sign) {
    case SIGN_OVERPUNCH: {
        int last = digits[nd - 1] - '0';
        digits[nd - 1] = neg ? (last ? (char)('J' + last - 1) : '}')
                             : (last ? (char)('A' + last - 1) : '{');
        memcpy(body, digits, nd);
        nb = nd;
        break;
    }
    case SIGN_LEADING:
    case SIGN_TRAILING:
    case SIGN_MINUS:
        if (f->sign == SIGN_MINUS && !neg) {
            memcpy(body, digits, nd);
            nb = nd;
            break;
        }
        if (!fixed) {
            if (f->sign != SIGN_TRAILING)
                body[nb++] = neg ? '-' : '+';
            memcpy(body + nb, digits, nd);
            nb += nd;
            if (f->sign == SIGN_TRAILING)
                body[nb++] = neg ? '-' : '+';
            break;
        }
        /* fixed: sign outside the zero fill, inside the space fill */
        if (f->justify == JUSTIFY_RIGHT && f->pad == '0') {
            if (f->length < nd + 1)
                return fail(err, err_size,
                            "field '%s': value needs %zu positions, field "
                            "has %u",
                            f->name, nd + 1, (unsigned)f->length);
            size_t zeros = f->length - nd - 1;
            size_t at = 0;
            if (f->sign != SIGN_TRAILING)
                out[at++] = neg ? '-' : '+';
            memset(out + at, '0', zeros);
            at += zeros;
            memcpy(out + at, digits, nd);
            at += nd;
            if (f->sign == SIGN_TRAILING)
                out[at++] = neg ? '-' : '+';
            return (int)at;
        }
        if (f->sign != SIGN_TRAILING)
            body[nb++] = neg ? '-' : '+';
        memcpy(body + nb, digits, nd);
        nb += nd;
        if (f->sign == SIGN_TRAILING)
            body[nb++] = neg ? '-' : '+';
        break;
    case SIGN_NONE:
        memcpy(body, digits, nd);
        nb = nd;
        break;
    }
    if (!fixed) {
        if (nb > size)
            return fail(err, err_size, "field '%s': value too long", f->name);
        memcpy(out, body, nb);
        return (int)nb;
    }
    return justify_into(f, body, nb, out, f->length,
                        f->justify == JUSTIFY_LEFT ? ' ' : f->pad, err,
                        err_size);
}

int field_format(const struct layout *layout, const struct layout_field *f,
                 const struct field_value *v, char *out, size_t size, char *err,
                 size_t err_size)
{
    bool fixed = layout->format == LAYOUT_FIXED;
    bool numeric = f->type == FT_INTEGER || f->type == FT_AMOUNT;
    char body[32];
    const char *src;
    size_t n;

    if (fixed && size < f->length)
        return fail(err, err_size, "output buffer too small");
    if (f->type == FT_FILLER) {
        if (!fixed)
            return 0;
        memset(out, f->pad, f->length);
        return (int)f->length;
    }
    if (v->state == VALUE_BLANK) {
        if (!fixed)
            return 0;
        memset(out, numeric ? ' ' : f->pad, f->length);
        return (int)f->length;
    }
    switch (f->type) {
    case FT_INTEGER:
    case FT_AMOUNT:
        return format_number(layout, f, v->num, out, size, err, err_size);
    case FT_DATE: {
        int64_t d = v->num;
        int y = (int)(d / 10000), m = (int)(d / 100 % 100), dd = (int)(d % 100);
        if (!date_valid(y, m, dd))
            return fail(err, err_size, "field '%s': %lld is not a real date",
                        f->name, (long long)d);
        if (f->date_format == DATE_YYYYMMDD)
            n = (size_t)snprintf(body, sizeof(body), "%04d%02d%02d", y, m, dd);
        else if (f->date_format == DATE_MMDDYYYY)
            n = (size_t)snprintf(body, sizeof(body), "%02d%02d%04d", m, dd, y);
        else
            n = (size_t)snprintf(body, sizeof(body), "%04d-%02d-%02d", y, m,
                                 dd);
        src = body;
        break;
    }
    case FT_TIME: {
        int64_t t = v->num;
        if (t < 0 || t >= 86400)
            return fail(err, err_size, "field '%s': %lld is not a time of day",
                        f->name, (long long)t);
        int h = (int)(t / 3600), mi = (int)(t / 60 % 60), s = (int)(t % 60);
        if (f->time_format == TIME_HHMMSS)
            n = (size_t)snprintf(body, sizeof(body), "%02d%02d%02d", h, mi, s);
        else if (f->time_format == TIME_HHMM) {
            if (s != 0)
                return fail(err, err_size,
                            "field '%s': seconds do not fit "
                            "HHMM",
                            f->name);
            n = (size_t)snprintf(body, sizeof(body), "%02d%02d", h, mi);
        } else
            n = (size_t)snprintf(body, sizeof(body), "%02d:%02d:%02d", h, mi,
                                 s);
        src = body;
        break;
    }
    default:
        src = v->text;
        n = v->text_len;
        break;
    }
    if (!fixed) {
        if (n > size)
            return fail(err, err_size, "field '%s': value too long", f->name);
        if (n > 0)
            memcpy(out, src, n);
        return (int)n;
    }
    return justify_into(f, src, n, out, f->length, f->pad, err, err_size);
}
