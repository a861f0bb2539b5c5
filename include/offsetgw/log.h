/*
 * log.h - the event log of "offsetgw serve": one line per event on stderr,
 * key=value (the default) or one JSON object (--log-format json).
 *
 * Owns the line's form: quoting and escaping of values, JSON escaping,
 * and a last guard that masks what looks like a full SSN in a string
 * value (nine digits, or 3-2-4 with dashes, standing alone).  It does not
 * decide what is logged: callers name the event and its fields.  The
 * format is process-wide and inherited by forked children.
 */
#ifndef OFFSETGW_LOG_H
#define OFFSETGW_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* The longest line written, newline included; longer ones are cut
 * field by field (a string value is cut inside its quotes), never into
 * an unparsable line. */
#define LOG_LINE_MAX 1024

enum log_format {
    LOG_FORMAT_KV = 0, /* offsetgw event=NAME key=value key="a b" */
    LOG_FORMAT_JSON    /* {"event":"NAME","key":"value","n":12} */
};

/* NAME is "kv" or "json": 0 with *OUT set, else -EINVAL. */
int log_format_parse(const char *name, enum log_format *out);

/* The form of the lines that follow, in this process and its children. */
void log_set_format(enum log_format format);

/* Write one event to stderr in a single write().  FMT is a list of
 * key=value pairs separated by single spaces, the first being
 * "event=NAME"; each value is either literal text (no spaces, no '%'),
 * or exactly one conversion: %s (a string, escaped; NULL is written as
 * "-"), %d %u %ld %lu %lld %llu %zu (numbers, written bare).  Literal
 * values made of digits are numbers in JSON too. */
void log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As log_event, into BUF of SIZE bytes (at most LOG_LINE_MAX is used)
 * in FORMAT, with the newline.  Returns the line's length. */
size_t log_vformat(char *buf, size_t size, enum log_format format,
                   const char *fmt, va_list ap);

#endif
