/*
 * query.h - what the admin console takes from a request: form fields of
 * an application/x-www-form-urlencoded body, page numbers, days, status
 * filters, ids in a path.
 *
 * Owns the checking of every such value: anything that is not exactly
 * the expected shape is refused (-EINVAL), never guessed at, and no
 * value can overflow its buffer.  Which values a page takes is
 * console.c's.
 */
#ifndef OFFSETGW_QUERY_H
#define OFFSETGW_QUERY_H

#include <stddef.h>
#include <stdint.h>

#define QUERY_PAGE_MAX 100000
#define QUERY_PAGE_SIZE 50

/* Field NAME of the form BODY (LEN bytes, not NUL-terminated), its %XX
 * and '+' decoded, into OUT (SIZE bytes).  The first one counts.  0;
 * -ENOENT when absent; -EINVAL when badly escaped or it decodes to a NUL
 * or a control character; -ENOSPC when it does not fit. */
int query_form_get(const char *body, size_t len, const char *name, char *out,
                   size_t size);

/* A page number: NULL or "" is 1; else 1 to QUERY_PAGE_MAX in decimal
 * digits only.  0 or -EINVAL. */
int query_page(const char *text, int64_t *page);

/* A row id: 1 to 2^53 in decimal digits only.  0 or -EINVAL. */
int query_id(const char *text, int64_t *id);

/* A day "YYYY-MM-DD" (a real date) into OUT; NULL or "" is "" (none).
 * 0 or -EINVAL. */
int query_day(const char *text, char out[11]);

enum query_status { QUERY_ALL, QUERY_OK, QUERY_FAILED };
/* "all" (or NULL, ""), "ok", "failed".  0 or -EINVAL. */
int query_status(const char *text, enum query_status *out);

#endif
