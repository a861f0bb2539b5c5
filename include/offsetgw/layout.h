/*
 * layout.h - layouts: the XML description of one batch file type.
 *
 * Owns loading a layout file (libxml2, no network, no external entities),
 * every load-time check, and the read-only description the reader, the
 * writer and the core work from.  It does not read or write records
 * (reader.h, writer.h do).
 *
 * The descriptors below are public so callers can walk a layout; they are
 * owned by the layout and must be treated as read-only.
 */
#ifndef OFFSETGW_LAYOUT_H
#define OFFSETGW_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Most fields a record type may have. */
#define LAYOUT_FIELDS_MAX 512

enum layout_format { LAYOUT_FIXED, LAYOUT_DELIMITED };
enum layout_line_end { LINE_END_ANY, LINE_END_LF, LINE_END_CRLF };

enum field_type {
    FT_TEXT,
    FT_DIGITS,  /* digit string, leading zeros kept */
    FT_INTEGER, /* int64 value */
    FT_AMOUNT,  /* money: value in cents */
    FT_DATE,    /* value yyyymmdd as an integer, a real calendar date */
    FT_TIME,    /* value seconds since midnight */
    FT_CODE,    /* one of an enumerated list */
    FT_SSN,     /* 9 digits; check="ssa" adds the SSA validity rules */
    FT_TIN,     /* 9 digits (SSN or EIN) */
    FT_FILLER,
    FT_COUNT_
};

enum field_justify { JUSTIFY_LEFT, JUSTIFY_RIGHT };
enum amount_sign {
    SIGN_NONE,      /* no sign allowed */
    SIGN_LEADING,   /* always a + or - first */
    SIGN_TRAILING,  /* always a + or - last */
    SIGN_OVERPUNCH, /* zoned last digit */
    SIGN_MINUS      /* a - first on negatives, nothing on positives */
};
enum text_charset {
    CHARSET_PRINT, /* any printable ASCII */
    CHARSET_ALPHA, /* letters and space */
    CHARSET_ALNUM, /* letters, digits and space */
    CHARSET_UPPER, /* upper-case letters, digits, space */
    CHARSET_NAME   /* letters, space, hyphen, apostrophe, period, comma */
};
enum date_format { DATE_YYYYMMDD, DATE_MMDDYYYY, DATE_ISO };
enum time_format { TIME_HHMMSS, TIME_HHMM, TIME_ISO };
enum total_kind { TOTAL_NONE, TOTAL_COUNT, TOTAL_SUM };

struct field_code {
    const char *value;
    const char *meaning; /* for people */
    uint32_t value_len;
    const char *means; /* for the core: a word of a fixed vocabulary
                          ("add", "zero", ...), NULL when not given */
};

struct layout_record;

struct layout_field {
    const char *name; /* NULL for filler */
    long xml_line;    /* line of the <field> element */
    enum field_type type;
    uint32_t start;      /* fixed: 0-based offset; delimited: column */
    uint32_t length;     /* fixed: width; delimited: 0 */
    const char *literal; /* identifies the record when not NULL */
    const char *default_value;
    int required;
    enum field_justify justify;
    char pad;
    enum text_charset charset;
    uint32_t min_length, max_length; /* 0 = no bound */
    int has_min, has_max;
    int64_t min, max;   /* integer value / cents */
    int decimals;       /* amount: implied decimals 0..2 */
    int explicit_point; /* amount: text carries a '.' */
    enum amount_sign sign;
    enum date_format date_format;
    enum time_format time_format;
    int check_ssa;    /* ssn: apply SSA validity rules */
    int check_filler; /* filler: must be all pad */
    const struct field_code *codes;
    size_t n_codes;
    int open_codes; /* code: values outside the list are taken too */
    /* control total: filled when writing, checked when reading */
    enum total_kind total;
    const struct layout_record *total_of; /* NULL = every record */
    int total_of_field;                   /* field index, for sums */
};

struct layout_record {
    const char *name;
    long xml_line;
    int index;                       /* position in the layout's record list */
    uint64_t min_occurs, max_occurs; /* max UINT64_MAX = unbounded */
    const struct layout_field *fields;
    size_t n_fields;
};

struct layout;

/* Problems found while loading: each "FILE:LINE: message". */
struct layout_problem {
    char *file;
    long line;
    char *message;
};
struct layout_problems {
    struct layout_problem *items;
    size_t n, cap;
};

/* Load and check the layout at PATH.  Returns the layout (free with
 * layout_free) or NULL; every problem found is appended to PROBLEMS (which
 * may be NULL), each with its file and line.  A layout with any problem is
 * never returned. */
struct layout *layout_load(const char *path, struct layout_problems *problems);

/* The same from a buffer; NAME is used in messages. */
struct layout *layout_load_buffer(const char *name, const char *xml, size_t len,
                                  struct layout_problems *problems);

void layout_free(struct layout *layout);

void layout_problems_release(struct layout_problems *problems);
/* Add a problem of FILE at LINE (0: the whole file) to PROBLEMS (NULL is
 * fine); dropped when out of memory.  For other loaders of XML files
 * (program profiles) that report the same way. */
void layout_problems_add(struct layout_problems *problems, const char *file,
                         long line, const char *msg);

const char *layout_name(const struct layout *layout);
const char *layout_source(const struct layout *layout); /* file path */
enum layout_format layout_format(const struct layout *layout);
enum layout_line_end layout_line_end(const struct layout *layout);
uint32_t layout_record_length(const struct layout *layout); /* fixed only */
char layout_delimiter(const struct layout *layout);         /* delimited */
char layout_quote(const struct layout *layout);             /* 0 = no quoting */
int layout_header_row(const struct layout *layout); /* delimited: skip 1st */
int layout_pad_short(const struct layout *layout);  /* lenient short recs */

size_t layout_n_records(const struct layout *layout);
const struct layout_record *layout_record_at(const struct layout *layout,
                                             size_t i);
const struct layout_record *layout_record_by_name(const struct layout *layout,
                                                  const char *name);

/* Index of the field called NAME in RECORD, or -1. */
int layout_field_index(const struct layout_record *record, const char *name);

/* The value of FIELD's code that MEANS (see docs/layouts.md), or NULL. */
const char *layout_code_for(const struct layout_field *field,
                            const char *means);
/* What the code VALUE[0..LEN) of FIELD means, or NULL. */
const char *layout_code_means(const struct layout_field *field,
                              const char *value, size_t len);

/* "text", "amount", ... */
const char *layout_type_name(enum field_type type);

/* A one-line rendering of the structure rules, e.g.
 * "header{1} detail{0..*} trailer{1}" (groups in parentheses). */
void layout_describe_structure(const struct layout *layout, char *buf,
                               size_t size);

#endif
