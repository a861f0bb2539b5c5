/*
 * errcode.h - the stable error codes of the layout engine.
 *
 * Owns the list of codes that the engine attaches to record-level and
 * file-level problems, their names (the "E_DIGITS" text that reaches
 * agencies in unprocessable files) and their plain-language meaning.
 * The names are a public interface: never renumber meaningfully, never
 * rename, only add.  docs/layouts.md lists them.
 */
#ifndef OFFSETGW_ERRCODE_H
#define OFFSETGW_ERRCODE_H

#include <stdbool.h>

enum errcode {
    E_NONE = 0,
    /* record-level: the record is rejected, the file goes on */
    E_RECORD_UNKNOWN, /* no record type matches the line */
    E_RECORD_SHORT,   /* fixed-width line shorter than the record length */
    E_RECORD_LONG,    /* line longer than the record length / maximum */
    E_FIELD_COUNT,    /* delimited line with the wrong number of fields */
    E_QUOTE,          /* malformed CSV quoting */
    E_REQUIRED,       /* required field is blank */
    E_DIGITS,         /* non-digit where digits are expected */
    E_SIGN,           /* bad or missing sign on a signed amount */
    E_CHARSET,        /* character not allowed in a text field */
    E_LENGTH,         /* text shorter/longer than min/max length */
    E_RANGE,          /* number below min or above max */
    E_DATE,           /* not a real calendar date in the declared format */
    E_TIME,           /* not a real time of day in the declared format */
    E_CODE,           /* value not in the field's code list */
    E_SSN,            /* SSN fails the SSA validity rules */
    E_FILLER,         /* filler holds something other than its pad */
    E_JUSTIFY,        /* value not justified/padded as declared */
    /* file-level: the file stops and is rejected whole */
    E_FILE_EMPTY, /* no bytes, or no records */
    E_ENCODING,   /* NUL or non-ASCII byte */
    E_LINE_END,   /* line end not the one the layout declares */
    E_STRUCTURE,  /* record order/occurrence rules broken */
    E_TOTAL,      /* control total does not match the records */
    E_IO,         /* the input could not be read */
    E_COUNT_      /* not a code: number of codes */
};

/* "E_DIGITS" for E_DIGITS; "E_UNKNOWN" for a value out of range. */
const char *errcode_name(enum errcode code);

/* One short plain-language sentence for clerks ("a field that must hold
 * only digits holds something else"). */
const char *errcode_meaning(enum errcode code);

/* true for codes that stop the file (E_FILE_EMPTY and after). */
bool errcode_is_file_level(enum errcode code);

/* The code whose name is NAME, or E_NONE when there is none. */
enum errcode errcode_from_name(const char *name);

#endif
