/*
 * fuzz_layout.c - fuzz target: the layout XML loader (layout.h).  The
 * input is a layout file's bytes; a layout that loads is walked and
 * described, as `offsetgw layout check` does.
 */
#include <stdio.h>

#include "fuzzutil.h"
#include "offsetgw/layout.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct layout_problems probs = {0};
    struct layout *l =
        layout_load_buffer("fuzz.xml", (const char *)data, size, &probs);
    if (l != NULL) {
        char buf[1024];
        layout_describe_structure(l, buf, sizeof buf);
        for (size_t i = 0; i < layout_n_records(l); i++) {
            const struct layout_record *r = layout_record_at(l, i);
            if (layout_record_by_name(l, r->name) == NULL)
                abort(); /* every record is found by its name */
            for (size_t k = 0; k < r->n_fields; k++) {
                const struct layout_field *f = &r->fields[k];
                if (f->name != NULL && layout_field_index(r, f->name) != (int)k)
                    abort(); /* field names are unique */
                for (size_t c = 0; c < f->n_codes; c++)
                    (void)layout_code_means(f, f->codes[c].value,
                                            f->codes[c].value_len);
            }
        }
        layout_free(l);
    }
    layout_problems_release(&probs);
    return 0;
}
