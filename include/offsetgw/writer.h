/*
 * writer.h - building batch files from field values through a layout.
 *
 * Owns formatting (padding, justification, numbers, signs, dates), the
 * structure rules on the way out, control totals (filled in, never taken
 * from the caller) and line ends.  Output goes to a stdio stream the caller
 * owns.  For every valid input, writing what the reader parsed gives back
 * the same bytes; for every valid record, parsing what the writer wrote
 * gives back the same values.
 */
#ifndef OFFSETGW_WRITER_H
#define OFFSETGW_WRITER_H

#include <stdint.h>
#include <stdio.h>

#include "offsetgw/layout.h"
#include "offsetgw/reader.h"

struct writer;

struct writer *writer_new(const struct layout *layout, FILE *out);
void writer_free(struct writer *writer);

/* Start a record of type NAME (or by index).  Fields not set before
 * writer_end() take their default, or blank. */
int writer_begin(struct writer *writer, const char *record_name);
int writer_begin_index(struct writer *writer, size_t record_index);

/* Set field FIELD (index in the record type) of the current record.
 * set_text takes the value as the reader's field_value.text would hold it
 * (digits for digits/ssn/tin, the code for codes, the text for text);
 * set_num takes integer, cents, yyyymmdd or seconds. */
int writer_set_text(struct writer *writer, int field, const char *text,
                    size_t len);
int writer_set_num(struct writer *writer, int field, int64_t num);

/* Set a field by name; -ENOENT for an unknown name. */
int writer_set_text_by_name(struct writer *writer, const char *name,
                            const char *text);
int writer_set_num_by_name(struct writer *writer, const char *name,
                           int64_t num);

/* Set field NAME of the current record, for outputs whose layout a site
 * may trim: a field the record lacks is skipped (0), text is cut to the
 * field's width and its trailing spaces dropped, a blank text or a zero
 * date leaves the field blank.  Other failures as writer_set_*. */
int writer_put_text(struct writer *writer, const char *name, const char *text);
int writer_put_num(struct writer *writer, const char *name, int64_t num);

/* Format and write the current record.  0, or a negative code when a
 * value does not fit its field, breaks a rule or the record is out of
 * order; writer_error() then says which field and why, and nothing was
 * written. */
int writer_end(struct writer *writer);

/* Write a record the reader parsed (same layout), values and filler as
 * they were read.  Same returns as writer_end(). */
int writer_put_record(struct writer *writer, const struct record *rec);

/* Check the structure is complete (every required record written).
 * Does not close the stream. 0 or negative with writer_error(). */
int writer_finish(struct writer *writer);

const char *writer_error(const struct writer *writer);

#endif
