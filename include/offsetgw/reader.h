/*
 * reader.h - streaming parse of a batch file through a layout.
 *
 * Owns turning bytes into records: line splitting, CSV tokenising, record
 * identification, field conversion and checks, structure (order and
 * occurrence) and control totals.  Memory is constant whatever the file
 * size: the reader reuses one record and one input buffer, and a record's
 * text values point into that buffer until the next reader_next().
 *
 * Record-level problems are data: they are attached to the record and
 * parsing goes on.  File-level problems stop the file: reader_next()
 * returns READER_FAILED and reader_file_error() says why.
 */
#ifndef OFFSETGW_READER_H
#define OFFSETGW_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "offsetgw/errcode.h"
#include "offsetgw/layout.h"

#define RECORD_MAX_ERRORS 16
#define ERROR_DETAIL_MAX 160

enum value_state {
    VALUE_OK,    /* present and valid */
    VALUE_BLANK, /* blank and not required (num is 0, text empty) */
    VALUE_BAD    /* failed a check; see the record's errors */
};

struct field_value {
    const char *text; /* trimmed text (digits/code/ssn/text), not NUL-ended */
    uint32_t text_len;
    uint32_t column; /* 1-based column of the field in the line */
    const char *raw; /* the field's bytes as they stand in the line */
    uint32_t raw_len;
    int64_t num; /* integer, cents, yyyymmdd, seconds */
    enum value_state state;
    bool has_num; /* num was read, even if a range check then failed:
                     control-total sums count it */
};

struct record_error {
    enum errcode code;
    uint32_t column; /* 1-based; 0 when it concerns the whole line */
    int field;       /* field index in the record type, -1 for none */
    char detail[ERROR_DETAIL_MAX]; /* "expected 9 digits, got '...'" */
};

struct record {
    const struct layout_record *type; /* NULL when unidentified */
    uint64_t line;                    /* 1-based line number */
    const char *raw;                  /* the line, without its line end */
    uint32_t raw_len;
    struct field_value *values; /* type->n_fields entries */
    struct record_error errors[RECORD_MAX_ERRORS];
    unsigned n_errors;         /* kept (at most RECORD_MAX_ERRORS) */
    unsigned n_errors_dropped; /* found beyond that */
};

struct file_error {
    enum errcode code;
    uint64_t line; /* 0 when it concerns the whole file */
    uint32_t column;
    char detail[2 * ERROR_DETAIL_MAX];
};

struct reader_stats {
    uint64_t lines;    /* lines read, header row included */
    uint64_t records;  /* records read */
    uint64_t accepted; /* records with no error */
    uint64_t rejected; /* records with at least one error */
    uint64_t bytes;
};

enum reader_status { READER_FAILED = -1, READER_END = 0, READER_RECORD = 1 };

struct reader;

/* A reader of FD through LAYOUT; INPUT_NAME names the input in messages.
 * The caller keeps FD and LAYOUT alive and closes FD.  NULL on allocation
 * failure. */
struct reader *reader_new(const struct layout *layout, int fd,
                          const char *input_name);

/* A reader of an in-memory buffer (tests, fuzzing). */
struct reader *reader_new_buffer(const struct layout *layout, const char *buf,
                                 size_t len, const char *input_name);

void reader_free(struct reader *reader);

/* Next record into *OUT (valid until the next call).  READER_RECORD with a
 * record (check out->n_errors), READER_END at a clean end of file (all
 * structure rules and control totals satisfied), READER_FAILED on a
 * file-level error; after READER_FAILED or READER_END it keeps returning
 * the same.  A record with errors of its own that also stops the file is
 * handed over first and READER_FAILED comes on the next call; a clean
 * record that stops the file is not handed over. */
enum reader_status reader_next(struct reader *reader,
                               const struct record **out);

const struct file_error *reader_file_error(const struct reader *reader);
const struct reader_stats *reader_stats(const struct reader *reader);
const char *reader_input_name(const struct reader *reader);

/* Render a value for people and CSV/JSON: text as is; amounts "-12.34";
 * dates "2026-11-26"; times "13:05:00"; blank as "".  Returns the length
 * written (always NUL-terminated, truncated to SIZE). */
size_t field_value_render(const struct layout_field *field,
                          const struct field_value *value, char *buf,
                          size_t size);

/* Write "INPUT:LINE:COLUMN: record 'detail' field 'ssn': E_DIGITS: ..."
 * for each error of REC to OUT.  SSN/TIN values are masked in details. */
void record_print_errors(FILE *out, const char *input_name,
                         const struct record *rec);

/* "INPUT:LINE:COLUMN: E_TOTAL: ..." */
void file_error_print(FILE *out, const char *input_name,
                      const struct file_error *err);

#endif
