/*
 * synth.h - synthetic agency debt files, for tests, demos and benchmarks.
 *
 * Owns making a realistic agency-debt file in a program's own layout:
 * plausible names, valid SSNs, amounts above the program's minimum,
 * notices and delinquencies old enough, and a chosen share of bad
 * records that rotate through every kind the layout engine and the debt
 * checks reject (each kind only where the program's rules make it bad).
 * Deterministic from its seed.  It never writes a real person's data.
 */
#ifndef OFFSETGW_SYNTH_H
#define OFFSETGW_SYNTH_H

#include <stdint.h>
#include <stdio.h>

#include "offsetgw/layout.h"
#include "offsetgw/profile.h"

struct synth_options {
    const struct profile *profile;
    const struct layout *layout; /* the program's agency-debt layout */
    int64_t records;             /* detail records */
    int32_t bad_per_mille;       /* 0..1000 */
    uint64_t seed;
    const char *agency_code; /* the header's; NULL: "SYNTH01" */
    int32_t file_date;       /* yyyymmdd; 0: today */
};

struct synth_result {
    int64_t records, bad;
    int64_t bad_by_kind[16];
};

/* The name of bad kind K (as synth_result counts them), or NULL. */
const char *synth_bad_kind_name(int k);

/* Write the file to OUT.  0, or negative with ERR. */
int synth_agency_debt(const struct synth_options *o, FILE *out,
                      struct synth_result *res, char *err, size_t err_size);

#endif
