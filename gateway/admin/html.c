/*
 * html.c - the console's output buffer, HTML and JSON escaping, SSN
 * masking (html.h).  Knows nothing of pages or HTTP.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/html.h"

void html_init(struct html_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max ? max : HTML_MAX;
}

void html_release(struct html_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

const char *html_get(const struct html_buf *b)
{
    return b->data ? b->data : "";
}

static bool reserve(struct html_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (n > b->max || b->len + n + 1 > b->max) {
        b->failed = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    if (cap > b->max)
        cap = b->max;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void html_raw(struct html_buf *b, const char *p, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void html_put(struct html_buf *b, const char *s)
{
    html_raw(b, s, strlen(s));
}

void html_printf(struct html_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        html_raw(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* How many bytes at T[I] are an SSN-like run to mask: nine digits not
 * beside another digit, or ddd-dd-dddd; 0 when none starts there. */
static size_t ssn_at(const char *t, size_t i)
{
    if (i > 0 && isdigit((unsigned char)t[i - 1]))
        return 0;
    size_t n = 0;
    while (n < 11 && isdigit((unsigned char)t[i + n]))
        n++;
    if (n == 9)
        return 9;
    if (n != 3 || t[i + 3] != '-')
        return 0;
    static const char shape[] = "ddd-dd-dddd";
    for (size_t k = 0; k < 11; k++) {
        char c = t[i + k];
        if (shape[k] == 'd' ? !isdigit((unsigned char)c) : c != '-')
            return 0;
    }
    return isdigit((unsigned char)t[i + 11]) ? 0 : 11;
}

/* One character of TEXT for HTML (JSON when JSON) into OUT, 8 bytes at
 * least; its length. */
static size_t escape_one(unsigned char c, bool json, char *out)
{
    if (json) {
        if (c == '"' || c == '\\') {
            out[0] = '\\';
            out[1] = (char)c;
            return 2;
        }
        /* < > & as \u00XX too: the JSON stays inert if shown as HTML */
        if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
            return (size_t)snprintf(out, 8, "\\u%04x", c);
        out[0] = (char)c;
        return 1;
    }
    switch (c) {
    case '&':
        memcpy(out, "&amp;", 5);
        return 5;
    case '<':
        memcpy(out, "&lt;", 4);
        return 4;
    case '>':
        memcpy(out, "&gt;", 4);
        return 4;
    case '"':
        memcpy(out, "&quot;", 6);
        return 6;
    case '\'':
        memcpy(out, "&#39;", 5);
        return 5;
    default:
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
            memcpy(out, "\xEF\xBF\xBD", 3); /* U+FFFD */
            return 3;
        }
        out[0] = (char)c;
        return 1;
    }
}

static void escaped(struct html_buf *b, const char *text, bool mask, bool json)
{
    char one[8];
    if (text == NULL)
        return;
    for (size_t i = 0; text[i] != '\0' && !b->failed; i++) {
        size_t run = mask ? ssn_at(text, i) : 0;
        if (run > 0) {
            html_put(b, "*****");
            html_raw(b, text + i + run - 4, 4);
            i += run - 1;
            continue;
        }
        html_raw(b, one, escape_one((unsigned char)text[i], json, one));
    }
}

void html_text(struct html_buf *b, const char *text, bool mask)
{
    escaped(b, text, mask, false);
}

void html_json(struct html_buf *b, const char *text, bool mask)
{
    html_put(b, "\"");
    escaped(b, text, mask, true);
    html_put(b, "\"");
}

int html_escape(const char *text, char *out, size_t size)
{
    char one[8];
    size_t len = 0;
    if (size == 0)
        return -ENOSPC;
    out[0] = '\0';
    for (size_t i = 0; text != NULL && text[i] != '\0'; i++) {
        size_t n = escape_one((unsigned char)text[i], false, one);
        if (len + n + 1 > size)
            return -ENOSPC;
        memcpy(out + len, one, n);
        len += n;
        out[len] = '\0';
    }
    return (int)len;
}
