/*
 * errcode.c - names and meanings of the engine's stable error codes.
 *
 * Owns the table behind errcode.h; nothing else.
 */
#include <string.h>

#include "offsetgw/errcode.h"

static const struct {
    const char *name;
    const char *meaning;
} codes[E_COUNT_] = {
    [E_NONE] = {"E_NONE", "no error"},
    [E_RECORD_UNKNOWN] = {"E_RECORD_UNKNOWN",
                          "the line matches no record type of the layout"},
    [E_RECORD_SHORT] = {"E_RECORD_SHORT",
                        "the record is shorter than the record length"},
    [E_RECORD_LONG] = {"E_RECORD_LONG",
                       "the record is longer than the record length"},
    [E_FIELD_COUNT] = {"E_FIELD_COUNT",
                       "the record has the wrong number of fields"},
    [E_QUOTE] = {"E_QUOTE", "the record's quoting is malformed"},
    [E_REQUIRED] = {"E_REQUIRED", "a required field is blank"},
    [E_DIGITS] = {"E_DIGITS",
                  "a field that must hold digits holds something else"},
    [E_SIGN] = {"E_SIGN", "a signed amount has a bad or missing sign"},
    [E_CHARSET] = {"E_CHARSET",
                   "a text field holds a character it does not allow"},
    [E_LENGTH] = {"E_LENGTH", "a value is shorter or longer than allowed"},
    [E_RANGE] = {"E_RANGE", "a number is below its minimum or above its "
                            "maximum"},
    [E_DATE] = {"E_DATE", "not a real calendar date in the declared format"},
    [E_TIME] = {"E_TIME", "not a real time of day in the declared format"},
    [E_CODE] = {"E_CODE", "a value that is not in the field's code list"},
    [E_SSN] = {"E_SSN", "an SSN that the SSA never issues"},
    [E_FILLER] = {"E_FILLER", "filler holds something other than blanks"},
    [E_JUSTIFY] = {"E_JUSTIFY", "a value is not justified or padded as "
                                "declared"},
    [E_FILE_EMPTY] = {"E_FILE_EMPTY", "the file has no records"},
    [E_ENCODING] = {"E_ENCODING", "the file holds a NUL or non-ASCII byte"},
    [E_LINE_END] = {"E_LINE_END", "a line ends other than the layout declares"},
    [E_STRUCTURE] = {"E_STRUCTURE", "records are out of order, too many, or "
                                    "a required record is missing"},
    [E_TOTAL] = {"E_TOTAL", "a control total does not match the records"},
    [E_IO] = {"E_IO", "the file could not be read"},
};

const char *errcode_name(enum errcode code)
{
    if ((unsigned)code >= E_COUNT_)
        return "E_UNKNOWN";
    return codes[code].name;
}

const char *errcode_meaning(enum errcode code)
{
    if ((unsigned)code >= E_COUNT_)
        return "unknown error";
    return codes[code].meaning;
}

bool errcode_is_file_level(enum errcode code)
{
    return code >= E_FILE_EMPTY && code < E_COUNT_;
}

enum errcode errcode_from_name(const char *name)
{
    for (int i = 1; i < E_COUNT_; i++)
        if (strcmp(codes[i].name, name) == 0)
            return (enum errcode)i;
    return E_NONE;
}
