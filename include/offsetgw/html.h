/*
 * html.h - the admin console's output buffer and its escaping.
 *
 * Owns a bounded, growable text buffer for a page or a JSON answer, and
 * the one place where text from the registry is made safe for it: HTML
 * escaping (& < > " ' and control characters), JSON string escaping, and
 * masking of anything that looks like a full SSN (nine digits alone, or
 * ddd-dd-dddd) down to its last four, for free text such as names,
 * paths and messages.  Digests and fingerprints go through unmasked
 * (hex may hold nine digits in a row).  What a page says is pages.c's.
 */
#ifndef OFFSETGW_HTML_H
#define OFFSETGW_HTML_H

#include <stdbool.h>
#include <stddef.h>

/* A page is at most this big. */
#define HTML_MAX ((size_t)4 << 20)

struct html_buf {
    char *data; /* NUL-terminated when not NULL */
    size_t len, cap, max;
    bool failed; /* out of memory or past MAX: appends do nothing */
};

/* An empty buffer of at most MAX bytes (0: HTML_MAX). */
void html_init(struct html_buf *b, size_t max);
void html_release(struct html_buf *b);
/* The text, "" when empty. */
const char *html_get(const struct html_buf *b);

/* Append N raw bytes / a raw string / formatted raw text: for markup and
 * numbers of our own making only. */
void html_raw(struct html_buf *b, const char *p, size_t n);
void html_put(struct html_buf *b, const char *s);
void html_printf(struct html_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* TEXT escaped for an HTML element or a quoted attribute; with MASK, an
 * SSN-like run shown as its last four ("*****6789"). */
void html_text(struct html_buf *b, const char *text, bool mask);
/* TEXT as a JSON string, quotes included; MASK as above. */
void html_json(struct html_buf *b, const char *text, bool mask);

/* TEXT escaped into OUT (SIZE bytes, cut at a whole character); the
 * length written, or -ENOSPC when it was cut. */
int html_escape(const char *text, char *out, size_t size);

#endif
