/*
 * log.c - one event, one line (log.h): key=value or JSON.
 *
 * Owns walking a log format ("event=x key=%s n=%lld"), escaping each
 * value for the form in force and masking stray SSNs in string values.
 * It does not buffer or rotate: stderr is journald's or the caller's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "offsetgw/log.h"

static enum log_format current = LOG_FORMAT_KV;

int log_format_parse(const char *name, enum log_format *out)
{
    if (name != NULL && strcmp(name, "kv") == 0)
        *out = LOG_FORMAT_KV;
    else if (name != NULL && strcmp(name, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return -EINVAL;
    return 0;
}

void log_set_format(enum log_format format)
{
    current = format;
}

/* A bounded line: LEN bytes in BUF, never past LIMIT. */
struct line {
    char *buf;
    size_t len, limit;
};

static bool put(struct line *l, const char *s, size_t n)
{
    if (n > l->limit - l->len)
        return false;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    return true;
}

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Length of a full SSN at S[I] (9 digits or 3-2-4 with dashes) standing
 * alone (no letter or digit either side), else 0. */
static size_t ssn_at(const unsigned char *s, size_t i, size_t n)
{
    static const char dashed[] = "ddd-dd-dddd";
    size_t k;
    if (i > 0 && is_alnum(s[i - 1]))
        return 0;
    for (k = 0; k < 9 && i + k < n && is_digit(s[i + k]); k++)
        ;
    if (k == 9 && (i + 9 == n || !is_alnum(s[i + 9])))
        return 9;
    for (k = 0; k < 11 && i + k < n; k++) {
        if (dashed[k] == 'd' ? !is_digit(s[i + k]) : s[i + k] != '-')
            return 0;
    }
    if (k == 11 && (i + 11 == n || !is_alnum(s[i + 11])))
        return 11;
    return 0;
}

/* S with every standalone SSN's digits but the last four as '*', into
 * OUT (SIZE bytes); returns OUT's length, cut at SIZE - 1. */
static size_t mask(const char *s, char *out, size_t size)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n && o + 1 < size;) {
        size_t len = ssn_at(u, i, n);
        if (len == 0) {
            out[o++] = s[i++];
            continue;
        }
        for (size_t k = 0; k < len && o + 1 < size; k++, i++)
            out[o++] = k < len - 4 && is_digit(u[i]) ? '*' : s[i];
    }
    out[o] = '\0';
    return o;
}

/* The escape of byte C inside a quoted value of FORMAT into ESC (8
 * bytes): its length, or 0 when C stands for itself. */
static size_t escape(enum log_format format, unsigned char c, char *esc)
{
    static const char hex[] = "0123456789abcdef";
    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        return 2;
    }
    if (c == '\n' || c == '\t' || c == '\r') {
        esc[0] = '\\';
        esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        return 2;
    }
    if (c >= 0x20 && c < 0x7f)
        return 0;
    /* JSON: the byte as a code point (valid JSON whatever the input);
     * key=value: \xNN */
    if (format == LOG_FORMAT_JSON) {
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = hex[c >> 4];
    esc[3] = hex[c & 15];
    return 4;
}

/* Does a key=value value need quotes? */
static bool needs_quotes(const char *s)
{
    if (*s == '\0')
        return true;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '=' || c == '\\')
            return true;
    }
    return false;
}

/* A string value, quoted as FORMAT wants; cut inside its quotes when the
 * line is short of room (the closing quote is reserved). */
static bool put_string(struct line *l, enum log_format format, const char *s,
                       bool is_literal)
{
    char masked[LOG_LINE_MAX];
    char esc[8];
    if (!is_literal) {
        mask(s, masked, sizeof(masked));
        s = masked;
    }
    bool quote = format == LOG_FORMAT_JSON || needs_quotes(s);
    if (quote && l->limit - l->len < 2)
        return false;
    if (quote) {
        put(l, "\"", 1);
        l->limit--; /* room for the closing quote */
    }
    for (; *s != '\0'; s++) {
        size_t n = escape(format, (unsigned char)*s, esc);
        if (!(n ? put(l, esc, n) : put(l, s, 1)))
            break;
    }
    if (quote) {
        l->limit++;
        put(l, "\"", 1);
    }
    return true;
}

static bool is_number(const char *s, size_t n)
{
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == n || n > 20)
        return false;
    for (; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return false;
    return true;
}

size_t log_vformat(char *buf, size_t size, enum log_format format,
                   const char *fmt, va_list ap)
{
    if (size > LOG_LINE_MAX)
        size = LOG_LINE_MAX;
    if (size < 4) {
        if (size > 0)
            buf[0] = '\0';
        return 0;
    }
    /* room kept for "}\n" and the terminating NUL */
    struct line l = {buf, 0, size - 3};
    const char *p = fmt;
    bool first = true;
    put(&l, format == LOG_FORMAT_JSON ? "{" : "offsetgw ",
        format == LOG_FORMAT_JSON ? 1 : 9);
    while (*p != '\0') {
        const char *key = p, *eq = strchr(p, '=');
        if (eq == NULL)
            break;
        const char *val = eq + 1;
        const char *end = strchr(val, ' ');
        if (end == NULL)
            end = val + strlen(val);
        size_t mark = l.len;
        bool ok = true;
        if (!first)
            ok = put(&l, format == LOG_FORMAT_JSON ? "," : " ", 1);
        if (format == LOG_FORMAT_JSON)
            ok = ok && put(&l, "\"", 1) && put(&l, key, (size_t)(eq - key)) &&
                 put(&l, "\":", 2);
        else
            ok = ok && put(&l, key, (size_t)(eq - key) + 1);
        if (*val == '%') {
            const char *c = val + 1;
            int longs = 0;
            bool is_size = false;
            char num[32];
            for (; *c == 'l'; c++)
                longs++;
            if (*c == 'z') {
                is_size = true;
                c++;
            }
            if (*c == 's') {
                const char *s = va_arg(ap, const char *);
                ok = ok && put_string(&l, format, s ? s : "-", s == NULL);
            } else {
                bool is_signed = *c == 'd';
                if (is_size)
                    snprintf(num, sizeof(num), "%zu", va_arg(ap, size_t));
                else if (longs >= 2 && is_signed)
                    snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
                else if (longs >= 2)
                    snprintf(num, sizeof(num), "%llu",
                             va_arg(ap, unsigned long long));
                else if (longs == 1 && is_signed)
                    snprintf(num, sizeof(num), "%ld", va_arg(ap, long));
                else if (longs == 1)
                    snprintf(num, sizeof(num), "%lu",
                             va_arg(ap, unsigned long));
                else if (is_signed)
                    snprintf(num, sizeof(num), "%d", va_arg(ap, int));
                else
                    snprintf(num, sizeof(num), "%u", va_arg(ap, unsigned));
                ok = ok && put(&l, num, strlen(num));
            }
        } else {
            char lit[LOG_LINE_MAX];
            size_t n = (size_t)(end - val);
            if (n >= sizeof(lit))
                n = sizeof(lit) - 1;
            memcpy(lit, val, n);
            lit[n] = '\0';
            if (is_number(lit, n))
                ok = ok && put(&l, lit, n);
            else
                ok = ok && put_string(&l, format, lit, true);
        }
        if (!ok) /* the field does not fit: the line ends before it */
            l.len = mark;
        first = false;
        p = *end == ' ' ? end + 1 : end;
    }
    l.limit = size - 1;
    if (format == LOG_FORMAT_JSON)
        put(&l, "}", 1);
    put(&l, "\n", 1);
    buf[l.len] = '\0';
    return l.len;
}

void log_event(const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t n = log_vformat(line, sizeof(line), current, fmt, ap);
    va_end(ap);
    /* one write: lines of the serve processes do not interleave */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
