/*
 * formatsInt.h - internals shared by the layout engine's files.
 *
 * Owns the full definition of struct layout (opaque to callers), the
 * structure tree (records and groups with occurrence rules), the
 * structure/total tracker that the reader and the writer share, and the
 * per-field conversion entry points.  Nothing outside formats/ includes it.
 */
#ifndef OFFSETGW_FORMATS_INT_H
#define OFFSETGW_FORMATS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "offsetgw/arena.h"
#include "offsetgw/layout.h"
#include "offsetgw/reader.h"

#define LAYOUT_MAX_DEPTH 8   /* nested groups, root included */
#define LAYOUT_MAX_TOTALS 32 /* control-total fields in one layout */
#define LAYOUT_MAX_FIELDS LAYOUT_FIELDS_MAX
#define LAYOUT_MAX_RECORDS 64
#define LAYOUT_MAX_CODES 1000   /* codes of one field */
#define LAYOUT_MAX_PROBLEMS 100 /* problems kept from one load */

/* A node of the structure tree: a record type or a group of nodes. */
struct node {
    const char *name;
    long xml_line;
    uint64_t min, max;
    const struct layout_record *record; /* NULL for a group */
    struct node *children;              /* groups only */
    size_t n_children;
};

/* A control-total field and the group whose iteration is its scope. */
struct total_ref {
    const struct layout_record *record; /* the record holding the total */
    int field;                          /* index of the total field */
    const struct node *scope;           /* group; the root for the file */
};

/* Pre-parsed default of a field, taken when the field is blank. */
struct field_default {
    const char *text;
    uint32_t text_len;
    int64_t num;
};

struct arena; /* arena.h: owns every piece of a layout */

struct layout {
    struct arena *arena;
    const char *name;
    const char *source;
    enum layout_format format;
    enum layout_line_end line_end;
    uint32_t record_length;
    uint32_t max_record_length;
    char delimiter;
    char quote;
    int header_row;
    int pad_short;
    struct layout_record *records;
    size_t n_records;
    struct node root;
    struct total_ref totals[LAYOUT_MAX_TOTALS];
    size_t n_totals;
    /* per record, per field: parsed defaults (NULL text = none) */
    struct field_default **defaults;
    /* record without literal fields, or NULL */
    const struct layout_record *fallback;
    /* fast identification: every record with literals has exactly one,
     * one byte long, at the same position: a byte map finds the type */
    int id_fast;
    uint32_t id_pos;
    signed char id_map[256]; /* byte -> record index, -1 none */
};

/* --- structure and totals (structure.c) -------------------------------- */

struct structure_frame {
    const struct node *group;
    size_t child;   /* index of the current child */
    uint64_t count; /* occurrences of the current child so far */
};

struct total_acc {
    uint64_t count;
    int64_t sum;
    uint64_t unsummed; /* records whose summed field could not be read */
    bool overflow;
};

struct structure {
    const struct layout *layout;
    struct structure_frame stack[LAYOUT_MAX_DEPTH];
    int depth;
    struct total_acc acc[LAYOUT_MAX_TOTALS];
};

void structure_init(struct structure *s, const struct layout *layout);

/* Take a record of type REC at the current place; VALUES feed sums (NULL
 * when the record's fields could not be read).  0, or -1 with a message
 * in ERR. */
int structure_accept(struct structure *s, const struct layout_record *rec,
                     const struct field_value *values, char *err,
                     size_t err_size);

/* Check every required record has been seen.  0, or -1 with ERR. */
int structure_finish(struct structure *s, char *err, size_t err_size);

/* The expected value of total T (an index into layout->totals) now. */
int64_t structure_total_value(const struct structure *s, size_t t);

/* --- field conversion (field.c) ---------------------------------------- */

/* Parse the field's bytes P[0..N) (fixed: the field's slice; delimited:
 * the unquoted value) into V; on a problem, add it to REC (when not NULL)
 * and set V->state to VALUE_BAD.  COLUMN is the 1-based column. */
void field_parse(const struct layout *layout, const struct layout_field *f,
                 const struct field_default *def, const char *p, uint32_t n,
                 uint32_t column, int field_index, struct field_value *v,
                 struct record *rec);

/* Format V for F into OUT (fixed: exactly f->length bytes; delimited: the
 * unquoted text, at most SIZE).  Returns the length, or -1 with a reason
 * in ERR when the value does not fit. */
int field_format(const struct layout *layout, const struct layout_field *f,
                 const struct field_value *v, char *out, size_t size, char *err,
                 size_t err_size);

/* Append an error to REC (dropped beyond RECORD_MAX_ERRORS). */
void record_add_error(struct record *rec, enum errcode code, uint32_t column,
                      int field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Quote BYTES[0..N) for a message into OUT: printable ASCII kept,
 * others as \xHH, at most 40 characters, SSN/TIN masked (last 4 kept). */
void field_quote_value(const struct layout_field *f, const char *bytes,
                       size_t n, char *out, size_t size);

/* SSA validity rules: area 000/666/900-999, group 00, serial 0000.
 * D points at 9 digits. */
bool ssn_ssa_valid(const char *d);

/* 1 when Y-M-D is a real calendar date (years 1..9999). */
bool date_valid(int y, int m, int d);

/* The record identification helpers (layout_load.c). */
const struct layout_record *
layout_identify_fixed(const struct layout *l, const char *line, uint32_t len);

#endif
