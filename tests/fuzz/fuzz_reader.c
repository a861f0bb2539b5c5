/*
 * fuzz_reader.c - fuzz target: the record parser (reader.h) over a fixed
 * set of layouts, fixed-width and delimited.  The first input byte picks
 * the layout, the rest is the batch file; every record is read to the
 * end, its values rendered and its errors printed, as ingest does.
 */
#include <stdio.h>

#include "fuzzutil.h"
#include "offsetgw/layout.h"
#include "offsetgw/reader.h"

static const char *const layout_files[] = {
    "formats/layouts/caltrecs/agency-debt.xml",             /* fixed, 250 */
    "formats/layouts/kansas/payer-payment.xml",             /* fixed, 200 */
    "formats/layouts/top/agency-debt.xml",                  /* fixed */
    "formats/layouts/common/partner-match.xml",             /* fixed, codes */
    "formats/layouts/common/agency-reconciliation-csv.xml", /* CSV */
    "tests/data/debts-csv.xml", /* CSV with RFC 4180 quoting */
    "tests/data/batches.xml",   /* CRLF, groups, control totals */
    "tests/data/all-types.xml", /* every field type */
};
#define N_LAYOUTS (sizeof layout_files / sizeof layout_files[0])

static struct layout *layouts[N_LAYOUTS];
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[4096];
    (void)argc, (void)argv;
    for (size_t i = 0; i < N_LAYOUTS; i++) {
        struct layout_problems probs = {0};
        snprintf(path, sizeof path, "%s/%s", fu_srcdir(), layout_files[i]);
        layouts[i] = layout_load(path, &probs);
        layout_problems_release(&probs);
        if (layouts[i] == NULL)
            fu_die(path, "does not load");
    }
    sink = fopen("/dev/null", "w");
    if (sink == NULL)
        fu_die("/dev/null", "cannot open");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct layout *l = layouts[data[0] % N_LAYOUTS];
    struct reader *r =
        reader_new_buffer(l, (const char *)data + 1, size - 1, "fuzz");
    const struct record *rec = NULL;
    char buf[512];
    if (r == NULL)
        return 0;
    while (reader_next(r, &rec) == READER_RECORD) {
        if (rec->type != NULL)
            for (size_t k = 0; k < rec->type->n_fields; k++)
                field_value_render(&rec->type->fields[k], &rec->values[k], buf,
                                   sizeof buf);
        record_print_errors(sink, "fuzz", rec);
    }
    if (reader_file_error(r) != NULL)
        file_error_print(sink, "fuzz", reader_file_error(r));
    reader_free(r);
    return 0;
}
