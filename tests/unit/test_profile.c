/*
 * test_profile.c - program profiles: the shipped profiles load and say what
 * docs/programs.md says; every load-time check fires on the line of the
 * offending element; the lookups (exchange layouts, priority order, caps,
 * fees) return what the core needs; the layout-existence check reports each
 * missing or broken layout on its <exchange> line.
 */
#include "testutil.h"

#include <glob.h>

#include "offsetgw/profile.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static const char *formats_dir(void)
{
    const char *dir = getenv("OG_FORMATS");

    return dir != NULL && *dir != '\0' ? dir : "formats";
}

static void programs_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/programs", formats_dir());
}

static struct profile *load_shipped_at(const char *file, int line,
                                       const char *program)
{
    char dir[4096];
    struct layout_problems p = {0};
    struct profile *prof;

    programs_path(dir, sizeof dir);
    prof = profile_load_program(dir, program, &p);
    if (prof == NULL || p.n != 0) {
        tu_print_problems(&p);
        layout_problems_release(&p);
        profile_free(prof);
        tu_fail_at(file, line, "profile %s/%s.xml should load cleanly", dir,
                   program);
    }
    layout_problems_release(&p);
    return prof;
}
#define load_shipped(program) load_shipped_at(__FILE__, __LINE__, program)

static struct profile *load_fixture_at(const char *file, int line,
                                       const char *rel)
{
    char path[4096];
    struct layout_problems p = {0};
    struct profile *prof;

    tu_data_path(path, sizeof path, rel);
    prof = profile_load(path, &p);
    if (prof == NULL || p.n != 0) {
        tu_print_problems(&p);
        layout_problems_release(&p);
        profile_free(prof);
        tu_fail_at(file, line, "profile %s should load cleanly", path);
    }
    layout_problems_release(&p);
    return prof;
}
#define load_fixture(rel) load_fixture_at(__FILE__, __LINE__, rel)

/* Lines of TEXT that carry MARKER (up to MAX) into LINES; the text after
 * "MARKER: " up to " -->" into MSGS (may be empty). */
static size_t marked_lines(const char *text, const char *marker, long *lines,
                           char (*msgs)[160], size_t max)
{
    size_t n = 0;
    long line = 1;
    const char *p = text;

    while (*p != '\0' && n < max) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char row[1024];

        snprintf(row, sizeof row, "%.*s", (int)len, p);
        const char *hit = strstr(row, marker);
        if (hit != NULL) {
            const char *m = hit + strlen(marker);
            const char *end;

            msgs[n][0] = '\0';
            if (m[0] == ':' && m[1] == ' ') {
                m += 2;
                end = strstr(m, " -->");
                snprintf(msgs[n], sizeof msgs[n], "%.*s",
                         (int)(end ? end - m : (long)strlen(m)), m);
            }
            lines[n++] = line;
        }
        if (eol == NULL) {
            break;
        }
        p = eol + 1;
        line++;
    }
    return n;
}

static const struct profile_fact *fact_at(const char *file, int line,
                                          const struct profile *p,
                                          const char *element, const char *name)
{
    const struct profile_fact *f = profile_fact(p, element, name);

    if (f == NULL) {
        tu_fail_at(file, line, "%s: no fact <%s> %s", p->name, element,
                   name ? name : "");
    }
    return f;
}
#define fact(p, element, name) fact_at(__FILE__, __LINE__, p, element, name)

static const struct profile_fee *
fee_at(const char *file, int line, const struct profile *p, const char *name)
{
    const struct profile_fee *f = profile_fee(p, name);

    if (f == NULL) {
        tu_fail_at(file, line, "%s: no fee '%s'", p->name, name);
    }
    return f;
}
#define fee(p, name) fee_at(__FILE__, __LINE__, p, name)

static const struct profile_cycle *
cycle_at(const char *file, int line, const struct profile *p, const char *name)
{
    const struct profile_cycle *c = profile_cycle(p, name);

    if (c == NULL) {
        tu_fail_at(file, line, "%s: no cycle '%s'", p->name, name);
    }
    return c;
}
#define cycle(p, name) cycle_at(__FILE__, __LINE__, p, name)

/* The class codes of P in order, space-separated, into BUF. */
static const char *class_order(const struct profile *p, char *buf, size_t size)
{
    size_t at = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < p->n_classes && at < size; i++) {
        int n = snprintf(buf + at, size - at, "%s%s", i ? " " : "",
                         p->classes[i].code);
        if (n < 0) {
            break;
        }
        at += (size_t)n;
    }
    return buf;
}

/* Sort CLAIMS with profile_claim_cmp (insertion sort: stable, no
 * context-free comparator needed). */
static void sort_claims(const struct profile *p, struct profile_claim *claims,
                        size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct profile_claim c = claims[i];
        size_t j = i;

        while (j > 0 && profile_claim_cmp(p, &c, &claims[j - 1]) < 0) {
            claims[j] = claims[j - 1];
            j--;
        }
        claims[j] = c;
    }
}

static const char *const shipped[] = {"caltrecs", "kansas", "top", "utah"};
#define N_SHIPPED (sizeof shipped / sizeof shipped[0])

/* ------------------------------------------------------------------ */
/* the shipped profiles                                                */

static void test_every_shipped_profile_loads_without_problems(void **state)
{
    char pattern[4096];
    glob_t g;

    (void)state;
    snprintf(pattern, sizeof pattern, "%s/programs/*.xml", formats_dir());
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, N_SHIPPED);
    globfree(&g);
    for (size_t i = 0; i < N_SHIPPED; i++) {
        struct profile *p = load_shipped(shipped[i]);

        assert_string_equal(p->name, shipped[i]);
        assert_non_null(p->title);
        profile_free(p);
    }
}

static void test_every_shipped_value_names_its_source(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SHIPPED; i++) {
        struct profile *p = load_shipped(shipped[i]);

        /* 11 required single values, plus fees, classes, caps, cycles */
        assert_true(p->n_facts >=
                    11 + p->n_fees + p->n_classes + p->n_caps + p->n_cycles);
        for (size_t k = 0; k < p->n_facts; k++) {
            const struct profile_fact *f = &p->facts[k];

            if (f->source == NULL || strlen(f->source) < 4) {
                fail_msg("%s: <%s> on line %ld has no real source", p->name,
                         f->element, f->line);
            }
            /* an unconfirmed value says why, in its source or a note */
            if (!f->verified && f->note == NULL &&
                strstr(f->source, "none") == NULL &&
                strstr(f->source, "no ") == NULL &&
                strstr(f->source, "not") == NULL) {
                fail_msg("%s: unverified <%s> on line %ld does not say why",
                         p->name, f->element, f->line);
            }
        }
        for (size_t k = 0; k < p->n_fees; k++) {
            assert_non_null(p->fees[k].fact);
        }
        for (size_t k = 0; k < p->n_classes; k++) {
            assert_non_null(p->classes[k].fact);
        }
        for (size_t k = 0; k < p->n_caps; k++) {
            assert_non_null(p->caps[k].fact);
        }
        profile_free(p);
    }
}

/* The exchanges of each program and their layout paths: program-specific
 * ones under <program>/, shared ones under common/. */
static void test_shipped_exchanges_follow_the_layout_path_rules(void **state)
{
    static const char *const program_specific[] = {
        "agency-debt",       "taxboard-debt",
        "treasury-referral", "treasury-address-request",
        "payer-payment",     "payer-offset"};
    static const char *const agency[] = {"agency-debt",
                                         "agency-ack",
                                         "agency-unprocessable",
                                         "agency-match",
                                         "agency-collection",
                                         "agency-reconciliation",
                                         "agency-reconciliation-csv"};
    static const struct {
        const char *program;
        const char *others[6];
    } uses[] = {
        {"caltrecs",
         {"taxboard-debt", "partner-match", "partner-unprocessable",
          "partner-collection", NULL}},
        {"top",
         {"treasury-referral", "treasury-address-request", "partner-match",
          "partner-unprocessable", "partner-collection", NULL}},
        {"kansas",
         {"payer-payment", "payer-offset", "agency-remittance", NULL}},
        {"utah", {"payer-payment", "payer-offset", "agency-remittance", NULL}},
    };

    (void)state;
    for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++) {
        struct profile *p = load_shipped(uses[i].program);
        size_t n_expected = sizeof agency / sizeof agency[0];

        for (size_t k = 0; k < sizeof agency / sizeof agency[0]; k++) {
            if (profile_exchange_layout(p, agency[k]) == NULL) {
                fail_msg("%s does not use %s", p->name, agency[k]);
            }
        }
        for (size_t k = 0; uses[i].others[k] != NULL; k++, n_expected++) {
            if (profile_exchange_layout(p, uses[i].others[k]) == NULL) {
                fail_msg("%s does not use %s", p->name, uses[i].others[k]);
            }
        }
        assert_int_equal(p->n_exchanges, n_expected);
        for (size_t k = 0; k < p->n_exchanges; k++) {
            const struct profile_exchange *x = &p->exchanges[k];
            bool specific = false;
            char want[256];

            for (size_t s = 0;
                 s < sizeof program_specific / sizeof program_specific[0];
                 s++) {
                specific =
                    specific || strcmp(x->name, program_specific[s]) == 0;
            }
            snprintf(want, sizeof want, "%s/%s.xml",
                     specific ? p->name : "common", x->name);
            if (strcmp(x->layout, want) != 0) {
                fail_msg("%s: exchange %s uses %s, expected %s", p->name,
                         x->name, x->layout, want);
            }
        }
        profile_free(p);
    }
}

/* Every layout every shipped profile names exists, loads, and carries no
 * debt type or payment source the profile does not know. */
static void test_shipped_exchange_layouts_exist_and_load(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SHIPPED; i++) {
        struct profile *p = load_shipped(shipped[i]);
        struct layout_problems pr = {0};
        int rc = profile_check_layouts(p, NULL, PROFILE_CHECK_LOAD, &pr);

        if (rc != 0 || pr.n != 0) {
            tu_print_problems(&pr);
            layout_problems_release(&pr);
            profile_free(p);
            fail_msg("%s: layouts missing or broken", shipped[i]);
        }
        layout_problems_release(&pr);
        profile_free(p);
    }
}

static void test_caltrecs_values_are_those_in_docs(void **state)
{
    struct profile *p = load_shipped("caltrecs");
    char order[512];

    (void)state;
    assert_int_equal(p->model, PROFILE_CLEARINGHOUSE);
    assert_int_equal(p->min_debt_cents, 1000);
    assert_int_equal(p->id_types, PROFILE_ID_SSN);
    assert_false(p->id_required);
    assert_int_equal(p->notice_days, 30);
    assert_int_equal(p->notice_stage, PROFILE_NOTICE_BEFORE_REFERRAL);
    assert_int_equal(p->appeal_days, 30);
    assert_int_equal(p->delinquent_days, 0);
    assert_int_equal(p->collection_attempts, 0);
    assert_int_equal(p->referral_delay_days, 0);
    assert_int_equal(p->match_rule, PROFILE_MATCH_TIN_NAME_CONTROL);
    assert_int_equal(p->hold_days, 0);
    assert_int_equal(p->joint_refund, PROFILE_JOINT_WHOLE);

    /* $25 collection assistance + $2.25 tax board fee added to each debt */
    assert_int_equal(p->n_fees, 2);
    assert_int_equal(fee(p, "collection-assistance")->kind,
                     PROFILE_FEE_ADD_TO_DEBT);
    assert_int_equal(fee(p, "collection-assistance")->amount_cents, 2500);
    assert_int_equal(fee(p, "collection-assistance")->billing,
                     PROFILE_BILL_MONTHLY);
    assert_int_equal(fee(p, "taxboard-admin")->amount_cents, 225);
    assert_int_equal(fee(p, "taxboard-admin")->billing, PROFILE_BILL_YEARLY);
    assert_int_equal(profile_fee_added_to_debt(p, true), 2500 + 225);
    assert_int_equal(profile_fee_deducted_per_offset(p, true), 0);
    assert_int_equal(profile_fee_withheld_per_offset(p, true), 0);
    assert_int_equal(profile_fee_withheld_bp(p, true), 0);

    assert_int_equal(p->tie_break, PROFILE_TIE_LARGEST_BALANCE);
    assert_true(p->pay_in_full);
    assert_string_equal(class_order(p, order, sizeof order),
                        "child-support-lcsa child-support-other "
                        "spousal-support-lcsa spousal-support-other "
                        "restitution-fund edd state-agency local-agency");

    /* FTB intercepts refunds, lottery winnings, unclaimed property */
    assert_int_equal(profile_cap_bp(p, "TAX", NULL), 10000);
    assert_int_equal(profile_cap_bp(p, "LOT", NULL), 10000);
    assert_int_equal(profile_cap_bp(p, "UCP", NULL), 10000);
    assert_int_equal(profile_cap_bp(p, "PAY", NULL), -1);
    assert_int_equal(profile_priority_of(p, "RF"), 4);
    assert_int_equal(profile_priority_of(p, "JDG"), 7);
    assert_int_equal(profile_priority_of(p, "PTX"), 7);

    assert_int_equal(cycle(p, "taxboard-debt")->every, PROFILE_EVERY_DAY);
    assert_false(cycle(p, "taxboard-debt")->at_least);
    assert_int_equal(cycle(p, "agency-debt")->every, PROFILE_EVERY_WEEK);
    assert_true(cycle(p, "agency-debt")->at_least);
    assert_int_equal(cycle(p, "agency-billing")->every, PROFILE_EVERY_MONTH);
    assert_int_equal(cycle(p, "taxboard-billing")->every, PROFILE_EVERY_YEAR);
    profile_free(p);
}

static void test_kansas_values_are_those_in_docs(void **state)
{
    struct profile *p = load_shipped("kansas");
    static const char *const full[] = {"TAX", "HOM", "FST", "VEN",
                                       "KPR", "LOT", "UCP"};

    (void)state;
    assert_int_equal(p->model, PROFILE_SETOFF);
    assert_int_equal(p->min_debt_cents, 2500);
    assert_int_equal(p->id_types, PROFILE_ID_SSN | PROFILE_ID_EIN);
    assert_false(p->id_required);
    assert_int_equal(p->notice_days, 0);
    assert_int_equal(p->appeal_days, 15);
    assert_int_equal(p->delinquent_days, 0);
    assert_int_equal(p->collection_attempts, 3);
    assert_int_equal(p->referral_delay_days, 0);
    assert_int_equal(p->match_rule, PROFILE_MATCH_TIN_LAST_NAME);
    assert_int_equal(p->joint_refund, PROFILE_JOINT_DEBTOR_SHARE);

    /* 18.4% with SSN/EIN, 23.4% without; the 2015 rates described, off */
    assert_int_equal(p->n_fees, 4);
    assert_int_equal(profile_fee_withheld_bp(p, true), 1840);
    assert_int_equal(profile_fee_withheld_bp(p, false), 2340);
    assert_int_equal(fee(p, "collection-assistance")->applies,
                     PROFILE_FEE_WITH_TIN);
    assert_int_equal(fee(p, "collection-research")->applies,
                     PROFILE_FEE_WITHOUT_TIN);
    assert_false(fee(p, "collection-assistance-2015")->enabled);
    assert_int_equal(fee(p, "collection-assistance-2015")->percent_bp, 1900);
    assert_false(fee(p, "collection-research-2015")->enabled);
    assert_int_equal(fee(p, "collection-research-2015")->percent_bp, 2400);
    assert_int_equal(profile_fee_added_to_debt(p, true), 0);
    assert_int_equal(profile_fee_deducted_per_offset(p, true), 0);
    assert_int_equal(profile_fee_withheld_per_offset(p, true), 0);

    assert_int_equal(p->n_classes, 1);
    assert_int_equal(profile_priority_of(p, "11"), 0);
    assert_int_equal(profile_priority_of(p, "23"), 0);
    assert_int_equal(profile_priority_of(p, "29"), 0);
    assert_int_equal(p->tie_break, PROFILE_TIE_OLDEST);
    assert_true(p->pay_in_full);

    /* payroll: 25% of disposable earnings, 100% for state tax debts */
    assert_int_equal(profile_cap_bp(p, "PAY", "29"), 2500);
    assert_int_equal(profile_cap_bp(p, "PAY", "11"), 10000);
    assert_int_equal(profile_cap_bp(p, "PAY", NULL), 2500);
    assert_int_equal(profile_cap_for(p, "PAY")->base,
                     PROFILE_CAP_OF_DISPOSABLE_PAY);
    for (size_t i = 0; i < sizeof full / sizeof full[0]; i++) {
        assert_int_equal(profile_cap_bp(p, full[i], "29"), 10000);
        assert_int_equal(profile_cap_for(p, full[i])->base,
                         PROFILE_CAP_OF_PAYMENT);
    }
    assert_int_equal(profile_cap_bp(p, "DIS", "11"), 0);
    assert_true(profile_cap_for(p, "DIS")->exempt);
    assert_int_equal(p->n_caps, 9);

    assert_int_equal(cycle(p, "refund-match")->every, PROFILE_EVERY_WEEK);
    assert_int_equal(cycle(p, "remittance")->every, PROFILE_EVERY_HALF_MONTH);
    profile_free(p);
}

static void test_utah_values_are_those_in_docs(void **state)
{
    struct profile *p = load_shipped("utah");
    char order[512];

    (void)state;
    assert_int_equal(p->model, PROFILE_SETOFF);
    assert_int_equal(p->min_debt_cents, 0);
    assert_int_equal(p->id_types, PROFILE_ID_SSN | PROFILE_ID_EIN);
    assert_true(p->id_required);
    assert_int_equal(p->notice_days, 0);
    assert_int_equal(p->appeal_days, 0);
    assert_int_equal(p->collection_attempts, 0);
    assert_int_equal(p->referral_delay_days, 0);
    assert_int_equal(p->match_rule, PROFILE_MATCH_TIN_LAST_NAME);
    assert_int_equal(p->hold_days, 21);
    assert_int_equal(p->joint_refund, PROFILE_JOINT_WHOLE);

    /* $15 per agency per offset, taken from the refund first */
    assert_int_equal(p->n_fees, 1);
    assert_int_equal(fee(p, "finder")->kind, PROFILE_FEE_DEDUCT_PER_OFFSET);
    assert_int_equal(profile_fee_deducted_per_offset(p, true), 1500);
    assert_int_equal(profile_fee_added_to_debt(p, true), 0);
    assert_int_equal(profile_fee_withheld_bp(p, true), 0);

    /* state judgments in agency order, bail warrants, local governments,
     * garnishments, IRS, US government; each paid in full first */
    assert_true(p->pay_in_full);
    assert_int_equal(p->tie_break, PROFILE_TIE_OLDEST);
    assert_string_equal(class_order(p, order, sizeof order),
                        "state-employee recovery-services debt-collection "
                        "state-agency higher-education uheaa "
                        "university-hospital bail-warrant local-government "
                        "garnishment irs us-government");
    assert_int_equal(profile_priority_of(p, "SEB"), 0);
    assert_true(profile_priority_of(p, "ORS") < profile_priority_of(p, "UUH"));
    assert_true(profile_priority_of(p, "UUH") < profile_priority_of(p, "BW"));
    assert_true(profile_priority_of(p, "BW") < profile_priority_of(p, "LOC"));
    assert_true(profile_priority_of(p, "LOC") < profile_priority_of(p, "GRN"));
    assert_true(profile_priority_of(p, "GRN") < profile_priority_of(p, "IRS"));
    assert_int_equal(profile_priority_of(p, "USG"), 11);

    assert_int_equal(p->n_caps, 1);
    assert_int_equal(profile_cap_bp(p, "TAX", "STA"), 10000);
    assert_int_equal(cycle(p, "agency-debt")->every, PROFILE_EVERY_YEAR);
    assert_true(cycle(p, "agency-debt")->at_least);
    profile_free(p);
}

static void test_top_values_are_those_in_docs(void **state)
{
    struct profile *p = load_shipped("top");
    char order[512];

    (void)state;
    assert_int_equal(p->model, PROFILE_CLEARINGHOUSE);
    assert_int_equal(p->min_debt_cents, 2500);
    assert_int_equal(p->id_types, PROFILE_ID_SSN);
    assert_true(p->id_required);
    assert_int_equal(p->notice_days, 60);
    assert_int_equal(p->notice_stage, PROFILE_NOTICE_AFTER_MATCH);
    assert_int_equal(p->appeal_days, 60);
    assert_int_equal(p->delinquent_days, 30);
    assert_int_equal(p->referral_delay_days, 120);
    assert_int_equal(p->match_rule, PROFILE_MATCH_TIN_NAME_CONTROL);
    assert_int_equal(p->joint_refund, PROFILE_JOINT_WHOLE);

    assert_int_equal(p->n_fees, 1);
    assert_int_equal(fee(p, "treasury-offset")->kind,
                     PROFILE_FEE_WITHHOLD_PER_OFFSET);
    assert_int_equal(profile_fee_withheld_per_offset(p, true), 1500);
    assert_int_equal(profile_fee_added_to_debt(p, true), 0);

    /* federal tax, child support, federal nontax, state income tax, UI */
    assert_string_equal(class_order(p, order, sizeof order),
                        "federal-tax child-support federal-nontax "
                        "state-income-tax unemployment");
    assert_int_equal(profile_priority_of(p, "FTX"), 0);
    assert_int_equal(profile_priority_of(p, "CS"), 1);
    assert_int_equal(profile_priority_of(p, "FNT"), 2);
    assert_int_equal(profile_priority_of(p, "SNAP"), 2);
    assert_int_equal(profile_priority_of(p, "UI"), 4);

    /* tax refund 100%, federal salary 15%, SSA 15%, OPM annuity 25% */
    assert_int_equal(profile_cap_bp(p, "TAX", "SNAP"), 10000);
    assert_int_equal(profile_cap_bp(p, "PAY", "SNAP"), 1500);
    assert_int_equal(profile_cap_bp(p, "BEN", "SNAP"), 1500);
    assert_int_equal(profile_cap_bp(p, "RET", "SNAP"), 2500);
    assert_int_equal(profile_cap_for(p, "PAY")->base,
                     PROFILE_CAP_OF_DISPOSABLE_PAY);
    assert_int_equal(profile_cap_for(p, "BEN")->base, PROFILE_CAP_OF_PAYMENT);

    assert_int_equal(cycle(p, "treasury-address-request")->every,
                     PROFILE_EVERY_MONTH);
    assert_int_equal(cycle(p, "treasury-referral")->every, PROFILE_EVERY_WEEK);
    assert_int_equal(cycle(p, "partner-collection")->every, PROFILE_EVERY_WEEK);
    profile_free(p);
}

/* The values public-formats.md could not confirm are marked so. */
static void test_unconfirmed_values_are_marked_unverified(void **state)
{
    struct profile *ca = load_shipped("caltrecs");
    struct profile *ks = load_shipped("kansas");
    struct profile *ut = load_shipped("utah");
    struct profile *top = load_shipped("top");

    (void)state;
    /* the $2.25 tax board fee: NOT FOUND; Utah's $15: not found; the TOP
     * fee: undated and reset yearly */
    assert_false(fee(ca, "taxboard-admin")->fact->verified);
    assert_non_null(strstr(fee(ca, "taxboard-admin")->fact->note, "NOT FOUND"));
    assert_false(fee(ut, "finder")->fact->verified);
    assert_non_null(strstr(fee(ut, "finder")->fact->note, "NOT FOUND"));
    assert_false(fee(top, "treasury-offset")->fact->verified);

    /* and the confirmed ones are not */
    assert_true(fee(ca, "collection-assistance")->fact->verified);
    assert_true(fact(ca, "minimum-debt", NULL)->verified);
    assert_true(fee(ks, "collection-assistance")->fact->verified);
    assert_true(fact(ks, "minimum-debt", NULL)->verified);
    assert_true(fact(ks, "collection-attempts", NULL)->verified);
    assert_true(fact(ks, "cap", "PAY")->verified);
    assert_true(fact(ks, "override", "PAY")->verified);
    assert_true(fact(top, "referral-delay-days", NULL)->verified);
    assert_true(fact(ut, "pay-in-full", NULL)->verified);
    assert_false(fact(ut, "minimum-debt", NULL)->verified);

    profile_free(ca);
    profile_free(ks);
    profile_free(ut);
    profile_free(top);
}

/* ------------------------------------------------------------------ */
/* the format, on the fixtures                                         */

static void test_good_fixture_yields_every_value(void **state)
{
    struct profile *p = load_fixture("profiles/programs/good.xml");
    const struct profile_fact *f;

    (void)state;
    assert_string_equal(p->name, "good");
    assert_string_equal(p->title, "Test program");
    assert_string_equal(p->version, "1");
    assert_int_equal(p->model, PROFILE_SETOFF);
    assert_int_equal(p->min_debt_cents, 1000);
    assert_int_equal(p->id_types, PROFILE_ID_SSN | PROFILE_ID_EIN);
    assert_false(p->id_required);
    assert_int_equal(p->notice_days, 30);
    assert_int_equal(p->appeal_days, 15);
    assert_int_equal(p->delinquent_days, 90);
    assert_int_equal(p->collection_attempts, 3);
    assert_int_equal(p->referral_delay_days, 120);
    assert_int_equal(p->match_rule, PROFILE_MATCH_TIN_LAST_NAME);
    assert_int_equal(p->hold_days, 21);
    assert_int_equal(p->joint_refund, PROFILE_JOINT_DEBTOR_SHARE);
    assert_int_equal(p->tie_break, PROFILE_TIE_LARGEST_BALANCE);
    assert_true(p->pay_in_full);
    assert_int_equal(p->n_fees, 7);
    assert_int_equal(p->n_classes, 3);
    assert_int_equal(p->n_caps, 3);
    assert_int_equal(p->n_cycles, 2);
    assert_int_equal(p->n_exchanges, 2);
    /* 12 single values, 7 fees, 3 classes, 3 caps, 2 overrides, 2 cycles */
    assert_int_equal(p->n_facts, 12 + 7 + 3 + 3 + 2 + 2);

    /* money with one decimal and with none */
    assert_int_equal(fee(p, "added-too")->amount_cents, 250);
    assert_int_equal(fee(p, "withheld")->amount_cents, 2200);
    /* a percentage with one decimal and with none */
    assert_int_equal(fee(p, "without-tin")->percent_bp, 2340);
    assert_int_equal(profile_cap_for(p, "payroll")->percent_bp, 2500);
    assert_int_equal(fee(p, "added")->billing, PROFILE_BILL_MONTHLY);
    assert_int_equal(fee(p, "deducted")->billing, PROFILE_BILL_NETTED);
    assert_int_equal(fee(p, "deducted")->applies, PROFILE_FEE_ALL);

    f = fact(p, "referral-delay-days", NULL);
    assert_false(f->verified);
    assert_string_equal(f->note, "a note");
    assert_string_equal(f->source, "test");
    assert_int_equal(f->line, 13);
    f = fact(p, "minimum-debt", NULL);
    assert_true(f->verified);
    assert_null(f->note);
    assert_int_equal(f->line, 7);
    assert_int_equal(fact(p, "class", "tax")->line, 33);
    assert_null(profile_fact(p, "class", "nope"));
    assert_null(profile_fact(p, "minimum-debt", "x"));

    assert_int_equal(p->classes[0].n_debt_types, 2);
    assert_string_equal(p->classes[0].debt_types[1], "SS");
    assert_string_equal(p->classes[0].title, "support");
    assert_null(p->classes[1].title);
    assert_int_equal(p->exchanges[0].line, 49);
    profile_free(p);
}

static void test_fee_sums_count_only_enabled_fees(void **state)
{
    struct profile *p = load_fixture("profiles/programs/good.xml");

    (void)state;
    assert_false(fee(p, "added-off")->enabled);
    assert_int_equal(profile_fee_added_to_debt(p, true), 2500 + 250);
    assert_int_equal(profile_fee_deducted_per_offset(p, true), 1500);
    assert_int_equal(profile_fee_withheld_per_offset(p, true), 2200);
    assert_int_equal(profile_fee_withheld_bp(p, true), 1840);
    assert_int_equal(profile_fee_withheld_bp(p, false), 2340);
    assert_null(profile_fee(p, "nope"));
    profile_free(p);
}

/* A fee counts where it applies (with or without an id), and a fee
 * billed monthly or yearly is the agency's bill, never taken out of the
 * money; an add-to-debt fee is added whatever its billing. */
static void test_fee_sums_honour_applies_and_billing(void **state)
{
    static const char fees[] =
        "<fees>\n"
        "<fee name=\"add-no-tin\" kind=\"add-to-debt\" amount=\"30.00\""
        " applies=\"without-tin\" billing=\"monthly\" enabled=\"true\""
        " source=\"test\"/>\n"
        "<fee name=\"ded-billed\" kind=\"deduct-per-offset\" amount=\"15\""
        " billing=\"monthly\" enabled=\"true\" source=\"test\"/>\n"
        "<fee name=\"ded-no-tin\" kind=\"deduct-per-offset\" amount=\"5\""
        " applies=\"without-tin\" enabled=\"true\" source=\"test\"/>\n"
        "<fee name=\"held-billed\" kind=\"withhold-per-offset\""
        " amount=\"22\" billing=\"yearly\" enabled=\"true\""
        " source=\"test\"/>\n"
        "<fee name=\"pct-billed\" kind=\"withhold-percent\" percent=\"10\""
        " billing=\"monthly\" enabled=\"true\" source=\"test\"/>\n"
        "</fees>";
    char path[4096];
    size_t len;
    struct layout_problems pr = {0};

    (void)state;
    tu_data_path(path, sizeof path, "profiles/programs/good.xml");
    char *xml = tu_read_file(path, &len);
    char *from = strstr(xml, "<fees>"), *to = strstr(xml, "</fees>");
    assert_non_null(from);
    assert_non_null(to);
    to += strlen("</fees>");
    char *edited = tu_xrealloc(NULL, len + sizeof fees);
    size_t head = (size_t)(from - xml);
    memcpy(edited, xml, head);
    memcpy(edited + head, fees, sizeof fees - 1);
    size_t tail = len - (size_t)(to - xml);
    memcpy(edited + head + sizeof fees - 1, to, tail);
    struct profile *p = profile_load_buffer("fees.xml", edited,
                                            head + sizeof fees - 1 + tail, &pr);
    if (p == NULL)
        tu_print_problems(&pr);
    assert_non_null(p);
    assert_int_equal(profile_fee_added_to_debt(p, true), 0);
    assert_int_equal(profile_fee_added_to_debt(p, false), 3000);
    assert_int_equal(profile_fee_deducted_per_offset(p, true), 0);
    assert_int_equal(profile_fee_deducted_per_offset(p, false), 500);
    assert_int_equal(profile_fee_withheld_per_offset(p, true), 0);
    assert_int_equal(profile_fee_withheld_bp(p, true), 0);
    assert_false(profile_fee_charged(fee(p, "pct-billed"),
                                     PROFILE_FEE_WITHHOLD_PERCENT, true));
    assert_false(profile_fee_charged(fee(p, "ded-no-tin"),
                                     PROFILE_FEE_WITHHOLD_PERCENT, false));
    assert_true(profile_fee_charged(fee(p, "ded-no-tin"),
                                    PROFILE_FEE_DEDUCT_PER_OFFSET, false));
    profile_free(p);
    layout_problems_release(&pr);
    free(edited);
    free(xml);
}

static void test_cap_override_wins_for_its_debt_types_only(void **state)
{
    struct profile *p = load_fixture("profiles/programs/good.xml");

    (void)state;
    assert_int_equal(profile_cap_bp(p, "payroll", "TAX"), 10000);
    assert_int_equal(profile_cap_bp(p, "payroll", "CS"), 5000);
    assert_int_equal(profile_cap_bp(p, "payroll", "SS"), 5000);
    assert_int_equal(profile_cap_bp(p, "payroll", "FIN"), 2500);
    assert_int_equal(profile_cap_bp(p, "payroll", "UNKNOWN"), 2500);
    assert_int_equal(profile_cap_bp(p, "payroll", NULL), 2500);
    assert_int_equal(profile_cap_bp(p, "refund", "TAX"), 10000);
    /* an exempt source gives nothing, whatever the debt */
    assert_int_equal(profile_cap_bp(p, "relief", "TAX"), 0);
    /* a source the program does not list is not an offset source */
    assert_int_equal(profile_cap_bp(p, "pension", "TAX"), -1);
    assert_int_equal(profile_cap_bp(p, NULL, "TAX"), -1);
    assert_null(profile_cap_for(p, "pension"));
    profile_free(p);
}

static void test_apply_bp_rounds_down_without_overflow(void **state)
{
    (void)state;
    assert_int_equal(profile_apply_bp(10000, 2500), 2500);
    assert_int_equal(profile_apply_bp(10001, 1840), 1840);
    assert_int_equal(profile_apply_bp(99, 2500), 24);
    assert_int_equal(profile_apply_bp(123456, 10000), 123456);
    assert_int_equal(profile_apply_bp(123456, 0), 0);
    assert_int_equal(profile_apply_bp(0, 2500), 0);
    assert_int_equal(profile_apply_bp(-500, 2500), 0);
    /* floor(INT64_MAX / 4), computed without a 128-bit product */
    assert_true(profile_apply_bp(INT64_MAX, 2500) ==
                INT64_C(2305843009213693951));
    assert_true(profile_apply_bp(INT64_MAX, 10000) == INT64_MAX);
}

static void test_priority_of_follows_the_class_order(void **state)
{
    struct profile *p = load_shipped("caltrecs");

    (void)state;
    assert_int_equal(profile_priority_of(p, "CSL"), 0);
    assert_int_equal(profile_priority_of(p, "CSO"), 1);
    assert_int_equal(profile_priority_of(p, "SPL"), 2);
    assert_int_equal(profile_priority_of(p, "SPO"), 3);
    assert_int_equal(profile_priority_of(p, "RF"), 4);
    assert_int_equal(profile_priority_of(p, "EDD"), 5);
    assert_int_equal(profile_priority_of(p, "STA"), 6);
    assert_int_equal(profile_priority_of(p, "PARK"), 7);
    assert_int_equal(profile_priority_of(p, "PTX"), 7);
    assert_int_equal(profile_priority_of(p, "csl"), -1);
    assert_int_equal(profile_priority_of(p, "XYZ"), -1);
    assert_int_equal(profile_priority_of(p, NULL), -1);
    profile_free(p);
}

static void test_claims_order_by_class_then_largest_balance(void **state)
{
    struct profile *p = load_shipped("caltrecs");
    struct profile_claim c[] = {
        {"PARK", 5000, 20200101}, {"FIN", 90000, 20230101},
        {"RF", 100, 20240101},    {"CSL", 50, 20240101},
        {"FIN", 90000, 20190101}, {"STA", 1, 20240101},
        {"ZZZ", 999999, 20000101}};

    (void)state;
    sort_claims(p, c, sizeof c / sizeof c[0]);
    assert_string_equal(c[0].debt_type, "CSL");
    assert_string_equal(c[1].debt_type, "RF");
    assert_string_equal(c[2].debt_type, "STA");
    /* local agency debts: the largest liability first; equal ones, the
     * older first */
    assert_string_equal(c[3].debt_type, "FIN");
    assert_int_equal(c[3].delinquent_since, 20190101);
    assert_string_equal(c[4].debt_type, "FIN");
    assert_int_equal(c[4].delinquent_since, 20230101);
    assert_string_equal(c[5].debt_type, "PARK");
    /* a debt type the program does not know sorts last */
    assert_string_equal(c[6].debt_type, "ZZZ");
    profile_free(p);
}

static void test_claims_order_by_class_then_oldest(void **state)
{
    struct profile *p = load_shipped("utah");
    struct profile_claim c[] = {{"LOC", 90000, 20230101},
                                {"IRS", 100, 20100101},
                                {"LOC", 100, 20200101},
                                {"ORS", 5, 20240101},
                                {"LOC", 500, 20200101}};

    (void)state;
    sort_claims(p, c, sizeof c / sizeof c[0]);
    assert_string_equal(c[0].debt_type, "ORS");
    /* local governments: the oldest first; same age, the larger first */
    assert_string_equal(c[1].debt_type, "LOC");
    assert_int_equal(c[1].balance_cents, 500);
    assert_string_equal(c[2].debt_type, "LOC");
    assert_int_equal(c[2].balance_cents, 100);
    assert_string_equal(c[3].debt_type, "LOC");
    assert_int_equal(c[3].balance_cents, 90000);
    assert_string_equal(c[4].debt_type, "IRS");
    assert_int_equal(profile_claim_cmp(p, &c[0], &c[0]), 0);
    profile_free(p);
}

static void test_exchange_layout_lookup_returns_the_path_or_null(void **state)
{
    struct profile *p = load_shipped("caltrecs");
    char buf[4096], small[16], want[4096];

    (void)state;
    assert_string_equal(profile_exchange_layout(p, "agency-debt"),
                        "caltrecs/agency-debt.xml");
    assert_string_equal(profile_exchange_layout(p, "partner-match"),
                        "common/partner-match.xml");
    assert_null(profile_exchange_layout(p, "payer-payment"));
    assert_null(profile_exchange_layout(p, "no-such-exchange"));
    assert_null(profile_exchange_layout(p, NULL));

    assert_int_equal(profile_exchange_path(p, "taxboard-debt", "/srv/layouts",
                                           buf, sizeof buf),
                     0);
    assert_string_equal(buf, "/srv/layouts/caltrecs/taxboard-debt.xml");
    assert_int_equal(
        profile_exchange_path(p, "agency-ack", NULL, buf, sizeof buf), 0);
    snprintf(want, sizeof want, "%s/layouts/common/agency-ack.xml",
             formats_dir());
    assert_string_equal(buf, want);
    assert_int_equal(
        profile_exchange_path(p, "payer-offset", NULL, buf, sizeof buf),
        -ENOENT);
    assert_int_equal(
        profile_exchange_path(p, "agency-debt", NULL, small, sizeof small),
        -ENAMETOOLONG);
    profile_free(p);
}

static void test_exchange_names_are_the_sixteen_known(void **state)
{
    static const char *const names[] = {"agency-debt",
                                        "agency-ack",
                                        "agency-unprocessable",
                                        "agency-match",
                                        "agency-collection",
                                        "agency-reconciliation",
                                        "agency-reconciliation-csv",
                                        "taxboard-debt",
                                        "treasury-referral",
                                        "treasury-address-request",
                                        "partner-match",
                                        "partner-unprocessable",
                                        "partner-collection",
                                        "payer-payment",
                                        "payer-offset",
                                        "agency-remittance"};

    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_true(profile_exchange_known(names[i]));
    }
    assert_false(profile_exchange_known("agency-debts"));
    assert_false(profile_exchange_known("AGENCY-DEBT"));
    assert_false(profile_exchange_known(""));
    assert_false(profile_exchange_known(NULL));
}

static void test_layouts_dir_is_derived_from_the_profile_path(void **state)
{
    static const struct {
        const char *path, *want;
    } cases[] = {
        {"formats/programs/kansas.xml", "formats/layouts"},
        {"/opt/og/formats/programs/top.xml", "/opt/og/formats/layouts"},
        {"programs/utah.xml", "layouts"},
        {"tests/data/profiles/x.xml", "tests/data/profiles/../layouts"},
        {"x.xml", "../layouts"},
        {"myprograms/x.xml", "myprograms/../layouts"},
    };
    char path[4096];
    size_t len;
    char *xml;

    (void)state;
    tu_data_path(path, sizeof path, "profiles/programs/good.xml");
    xml = tu_read_file(path, &len);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct layout_problems pr = {0};
        struct profile *p = profile_load_buffer(cases[i].path, xml, len, &pr);

        assert_non_null(p);
        assert_string_equal(p->path, cases[i].path);
        assert_string_equal(p->layouts_dir, cases[i].want);
        profile_free(p);
        layout_problems_release(&pr);
    }
    free(xml);
}

static void test_load_program_refuses_a_profile_named_otherwise(void **state)
{
    char dir[4096];
    struct layout_problems pr = {0};
    struct profile *p;

    (void)state;
    tu_data_path(dir, sizeof dir, "profiles/programs");
    p = profile_load_program(dir, "good", &pr);
    assert_non_null(p);
    assert_int_equal(pr.n, 0);
    profile_free(p);

    p = profile_load_program(dir, "misnamed", &pr);
    assert_null(p);
    assert_int_equal(pr.n, 1);
    assert_non_null(strstr(pr.items[0].message, "named 'good'"));
    assert_non_null(strstr(pr.items[0].file, "misnamed.xml"));
    layout_problems_release(&pr);

    /* a name that is not a plain code never becomes a path */
    p = profile_load_program(dir, "../programs/good", &pr);
    assert_null(p);
    assert_int_equal(pr.n, 1);
    layout_problems_release(&pr);

    p = profile_load_program(dir, "absent", &pr);
    assert_null(p);
    assert_int_equal(pr.n, 1);
    assert_non_null(strstr(pr.items[0].message, "cannot open"));
    layout_problems_release(&pr);
}

static void test_free_of_null_is_a_no_op(void **state)
{
    (void)state;
    profile_free(NULL);
}

static void test_names_of_the_enumerations(void **state)
{
    (void)state;
    assert_string_equal(profile_model_name(PROFILE_SETOFF), "setoff");
    assert_string_equal(profile_match_rule_name(PROFILE_MATCH_TIN_LAST_NAME),
                        "tin+last-name");
    assert_string_equal(profile_joint_rule_name(PROFILE_JOINT_NOT_ALLOWED),
                        "not-allowed");
    assert_string_equal(profile_tie_break_name(PROFILE_TIE_OLDEST), "oldest");
    assert_string_equal(profile_notice_stage_name(PROFILE_NOTICE_AFTER_MATCH),
                        "address-match");
    assert_string_equal(profile_fee_kind_name(PROFILE_FEE_WITHHOLD_PERCENT),
                        "withhold-percent");
    assert_string_equal(profile_period_name(PROFILE_EVERY_HALF_MONTH),
                        "half-month");
}

/* The complete example of docs/programs.md loads as it stands. */
static void test_docs_example_profile_loads(void **state)
{
    char path[4096];
    size_t len;
    char *doc, *start, *end;
    struct layout_problems pr = {0};
    struct profile *p;

    (void)state;
    snprintf(path, sizeof path, "%s/../docs/programs.md", formats_dir());
    doc = tu_read_file(path, &len);
    start = strstr(doc, "```xml\n");
    assert_non_null(start);
    start += strlen("```xml\n");
    end = strstr(start, "```");
    assert_non_null(end);
    p = profile_load_buffer("docs/programs.md", start, (size_t)(end - start),
                            &pr);
    if (p == NULL) {
        tu_print_problems(&pr);
    }
    assert_non_null(p);
    assert_int_equal(pr.n, 0);
    assert_string_equal(p->name, "example");
    assert_int_equal(p->min_debt_cents, 2500);
    assert_int_equal(profile_cap_bp(p, "PAY", "TAX"), 10000);
    assert_int_equal(profile_cap_bp(p, "DIS", "TAX"), 0);
    assert_int_equal(profile_fee_withheld_bp(p, true), 1840);
    assert_int_equal(profile_fee_deducted_per_offset(p, true),
                     0); /* disabled */
    assert_false(fact(p, "joint-refund", NULL)->verified);
    profile_free(p);
    layout_problems_release(&pr);
    free(doc);
}

/* ------------------------------------------------------------------ */
/* load-time checks                                                    */

/* Each tests/data/profiles/broken-*.xml holds one deliberate problem on the
 * line marked "<!-- expect-error: TEXT -->"; a line marked "alt-error" is
 * an acceptable place too.  A problem on that line must contain TEXT.
 * Every problem must name the file and have a line.  With STRICT, every
 * problem must sit on a marked line (malformed.xml is exempt: libxml2 adds
 * its own follow-on errors). */
static size_t check_broken_fixtures(bool strict)
{
    char pattern[4096];
    glob_t g;
    size_t failures = 0;

    tu_data_path(pattern, sizeof pattern, "profiles/broken-*.xml");
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 60);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *path = g.gl_pathv[i];
        size_t len;
        char *text = tu_read_file(path, &len);
        long want[4], alt[4];
        char want_msg[4][160], alt_msg[4][160];
        size_t n_want = marked_lines(text, "expect-error", want, want_msg, 4);
        size_t n_alt = marked_lines(text, "alt-error", alt, alt_msg, 4);
        struct layout_problems p = {0};
        struct profile *prof = profile_load(path, &p);
        bool malformed = strstr(path, "malformed") != NULL;
        bool hit = false;
        char why[512] = "";

        if (n_want != 1) {
            snprintf(why, sizeof why, "%zu expect-error markers", n_want);
        } else if (prof != NULL) {
            snprintf(why, sizeof why, "loaded although broken");
        } else if (p.n == 0) {
            snprintf(why, sizeof why, "NULL but no problem reported");
        }
        profile_free(prof);
        for (size_t k = 0; why[0] == '\0' && k < p.n; k++) {
            const struct layout_problem *q = &p.items[k];
            bool on_want = q->line == want[0];
            bool marked = on_want || (n_alt > 0 && q->line == alt[0]);

            if (q->file == NULL || strcmp(q->file, path) != 0) {
                snprintf(why, sizeof why, "problem names file '%s'",
                         q->file ? q->file : "(null)");
            } else if (q->line <= 0) {
                snprintf(why, sizeof why, "problem on line %ld", q->line);
            } else if (malformed && k == 0 && !marked) {
                snprintf(why, sizeof why, "first problem on line %ld", q->line);
            } else if (on_want && want_msg[0][0] != '\0' &&
                       strstr(q->message, want_msg[0]) == NULL) {
                snprintf(why, sizeof why,
                         "problem on line %ld says '%s', not '%s'", q->line,
                         q->message, want_msg[0]);
            } else if (marked) {
                hit = true;
            } else if (strict && !malformed) {
                snprintf(why, sizeof why,
                         "follow-on problem on line %ld; the one problem is "
                         "on line %ld",
                         q->line, want[0]);
            }
        }
        if (why[0] == '\0' && !hit) {
            snprintf(why, sizeof why, "no problem on line %ld", want[0]);
        }
        if (why[0] != '\0') {
            print_error("%s: %s\n", path, why);
            tu_print_problems(&p);
            failures++;
        }
        layout_problems_release(&p);
        free(text);
    }
    globfree(&g);
    return failures;
}

static void
test_every_broken_fixture_is_rejected_at_its_marked_line(void **state)
{
    size_t failures;

    (void)state;
    failures = check_broken_fixtures(false);
    if (failures != 0) {
        fail_msg("%zu broken fixture(s) not rejected as expected", failures);
    }
}

static void
test_broken_fixtures_report_no_spurious_follow_on_problems(void **state)
{
    size_t failures;

    (void)state;
    failures = check_broken_fixtures(true);
    if (failures != 0) {
        fail_msg("%zu broken fixture(s) with problems that are not there",
                 failures);
    }
}

/* The XXE fixture names /etc/passwd: it must never be read into a value
 * or a message. */
static void test_external_entity_is_never_expanded(void **state)
{
    char path[4096];
    struct layout_problems pr = {0};
    struct profile *p;

    (void)state;
    tu_data_path(path, sizeof path, "profiles/broken-external-entity.xml");
    p = profile_load(path, &pr);
    assert_null(p);
    assert_true(pr.n > 0);
    for (size_t i = 0; i < pr.n; i++) {
        assert_null(strstr(pr.items[i].message, "root:"));
    }
    layout_problems_release(&pr);
}

static void test_missing_file_is_a_problem_not_a_crash(void **state)
{
    struct layout_problems pr = {0};
    struct profile *p;

    (void)state;
    p = profile_load("/nonexistent/programs/none.xml", &pr);
    assert_null(p);
    assert_int_equal(pr.n, 1);
    assert_string_equal(pr.items[0].file, "/nonexistent/programs/none.xml");
    assert_non_null(strstr(pr.items[0].message, "cannot open"));
    layout_problems_release(&pr);
    /* problems may be NULL */
    assert_null(profile_load("/nonexistent/programs/none.xml", NULL));
}

static void test_problems_are_bounded_for_a_hostile_profile(void **state)
{
    struct tu_sb xml = {0};
    struct layout_problems pr = {0};
    struct profile *p;

    (void)state;
    tu_sb_adds(&xml, "<program name=\"x\" title=\"x\" model=\"setoff\">\n");
    for (int i = 0; i < 5000; i++) {
        tu_sb_adds(&xml, "<junk/>\n");
    }
    tu_sb_adds(&xml, "</program>\n");
    p = profile_load_buffer("hostile.xml", xml.s, xml.n, &pr);
    assert_null(p);
    assert_true(pr.n <= 101);
    assert_non_null(strstr(pr.items[pr.n - 1].message, "more problems"));
    layout_problems_release(&pr);
    tu_sb_free(&xml);
}

static void test_empty_and_oversized_buffers_are_refused(void **state)
{
    struct layout_problems pr = {0};
    char *big;
    size_t big_len = ((size_t)1 << 20) + 1;

    (void)state;
    assert_null(profile_load_buffer("empty.xml", "", 0, &pr));
    assert_true(pr.n >= 1);
    layout_problems_release(&pr);

    big = tu_xmalloc(big_len);
    memset(big, ' ', big_len);
    assert_null(profile_load_buffer("big.xml", big, big_len, &pr));
    assert_int_equal(pr.n, 1);
    assert_non_null(strstr(pr.items[0].message, "larger than"));
    layout_problems_release(&pr);
    free(big);
}

/* ------------------------------------------------------------------ */
/* the layouts the exchanges name                                      */

static void test_layout_check_passes_when_every_layout_is_there(void **state)
{
    struct profile *p = load_fixture("profiles/programs/good.xml");
    struct layout_problems pr = {0};

    (void)state;
    /* the layouts directory derived from .../profiles/programs/good.xml */
    assert_int_equal(profile_check_layouts(p, NULL, PROFILE_CHECK_LOAD, &pr),
                     0);
    tu_print_problems(&pr);
    assert_int_equal(pr.n, 0);
    layout_problems_release(&pr);
    profile_free(p);
}

/* For each line of P's file marked expect-error, P's problems must include
 * one in P's file on that line containing the marker's text.  Returns the
 * number of marked lines. */
static size_t expect_layout_problems(const struct profile *p,
                                     const struct layout_problems *pr)
{
    size_t len;
    char *text = tu_read_file(p->path, &len);
    long lines[8];
    char msgs[8][160];
    size_t n = marked_lines(text, "expect-error", lines, msgs, 8);

    assert_true(n > 0);
    for (size_t k = 0; k < n; k++) {
        bool hit = false;

        for (size_t i = 0; i < pr->n; i++) {
            if (strcmp(pr->items[i].file, p->path) == 0 &&
                pr->items[i].line == lines[k] &&
                strstr(pr->items[i].message, msgs[k]) != NULL) {
                hit = true;
            }
        }
        if (!hit) {
            tu_print_problems(pr);
            fail_msg("%s: no problem '%s' on line %ld", p->path, msgs[k],
                     lines[k]);
        }
    }
    free(text);
    return n;
}

static void test_layout_check_reports_a_missing_layout_on_its_line(void **state)
{
    struct profile *p = load_fixture("profiles/programs/missing-layout.xml");
    struct layout_problems pr = {0};

    (void)state;
    assert_int_equal(profile_check_layouts(p, NULL, 0, &pr), -ENOENT);
    assert_int_equal(pr.n, 1);
    expect_layout_problems(p, &pr);
    layout_problems_release(&pr);

    /* with another layouts directory every layout is missing */
    assert_int_equal(profile_check_layouts(p, "/nonexistent", 0, &pr), -ENOENT);
    assert_int_equal(pr.n, p->n_exchanges);
    layout_problems_release(&pr);
    profile_free(p);
}

static void
test_layout_check_with_load_reports_a_layout_that_does_not_load(void **state)
{
    struct profile *p = load_fixture("profiles/programs/unloadable-layout.xml");
    struct layout_problems pr = {0};
    bool layout_own = false;

    (void)state;
    /* it exists: only loading it finds the problem */
    assert_int_equal(profile_check_layouts(p, NULL, 0, &pr), 0);
    assert_int_equal(pr.n, 0);
    assert_int_equal(profile_check_layouts(p, NULL, PROFILE_CHECK_LOAD, &pr),
                     -EINVAL);
    expect_layout_problems(p, &pr);
    for (size_t i = 0; i < pr.n; i++) {
        layout_own = layout_own || strstr(pr.items[i].file, "unloadable.xml");
    }
    assert_true(layout_own);
    layout_problems_release(&pr);
    profile_free(p);
}

static void
test_layout_check_reports_codes_the_profile_does_not_know(void **state)
{
    struct profile *p = load_fixture("profiles/programs/unknown-codes.xml");
    struct layout_problems pr = {0};

    (void)state;
    /* the files exist; only loading them shows their codes */
    assert_int_equal(profile_check_layouts(p, NULL, 0, &pr), 0);
    assert_int_equal(profile_check_layouts(p, NULL, PROFILE_CHECK_LOAD, &pr),
                     -EINVAL);
    /* XX has no class, BONUS no cap: one problem each, and no other */
    assert_int_equal(expect_layout_problems(p, &pr), 2);
    assert_int_equal(pr.n, 2);
    layout_problems_release(&pr);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_profile_loads_without_problems),
        cmocka_unit_test(test_every_shipped_value_names_its_source),
        cmocka_unit_test(test_shipped_exchanges_follow_the_layout_path_rules),
        cmocka_unit_test(test_shipped_exchange_layouts_exist_and_load),
        cmocka_unit_test(test_caltrecs_values_are_those_in_docs),
        cmocka_unit_test(test_kansas_values_are_those_in_docs),
        cmocka_unit_test(test_utah_values_are_those_in_docs),
        cmocka_unit_test(test_top_values_are_those_in_docs),
        cmocka_unit_test(test_unconfirmed_values_are_marked_unverified),
        cmocka_unit_test(test_good_fixture_yields_every_value),
        cmocka_unit_test(test_fee_sums_count_only_enabled_fees),
        cmocka_unit_test(test_fee_sums_honour_applies_and_billing),
        cmocka_unit_test(test_cap_override_wins_for_its_debt_types_only),
        cmocka_unit_test(test_apply_bp_rounds_down_without_overflow),
        cmocka_unit_test(test_priority_of_follows_the_class_order),
        cmocka_unit_test(test_claims_order_by_class_then_largest_balance),
        cmocka_unit_test(test_claims_order_by_class_then_oldest),
        cmocka_unit_test(test_exchange_layout_lookup_returns_the_path_or_null),
        cmocka_unit_test(test_exchange_names_are_the_sixteen_known),
        cmocka_unit_test(test_layouts_dir_is_derived_from_the_profile_path),
        cmocka_unit_test(test_load_program_refuses_a_profile_named_otherwise),
        cmocka_unit_test(test_free_of_null_is_a_no_op),
        cmocka_unit_test(test_names_of_the_enumerations),
        cmocka_unit_test(test_docs_example_profile_loads),
        cmocka_unit_test(
            test_every_broken_fixture_is_rejected_at_its_marked_line),
        cmocka_unit_test(
            test_broken_fixtures_report_no_spurious_follow_on_problems),
        cmocka_unit_test(test_external_entity_is_never_expanded),
        cmocka_unit_test(test_missing_file_is_a_problem_not_a_crash),
        cmocka_unit_test(test_problems_are_bounded_for_a_hostile_profile),
        cmocka_unit_test(test_empty_and_oversized_buffers_are_refused),
        cmocka_unit_test(test_layout_check_passes_when_every_layout_is_there),
        cmocka_unit_test(
            test_layout_check_reports_a_missing_layout_on_its_line),
        cmocka_unit_test(
            test_layout_check_with_load_reports_a_layout_that_does_not_load),
        cmocka_unit_test(
            test_layout_check_reports_codes_the_profile_does_not_know),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
