/*
 * test_exchanges.c - the exchange layouts of formats/layouts/ and their
 * samples in tests/data/exchanges/ (docs/formats/README.md):
 *   - every layout loads with no problem, is named after its file, and
 *     every code in it has a meaning;
 *   - every layout has a sample, every sample parses to READER_END with
 *     no rejected record and every record type present, and writing back
 *     what was read gives the same bytes;
 *   - for every program, every exchange resolves to a layout (the one its
 *     profile in formats/programs/ names: the program's own, else
 *     common/) that carries the record and field names, types, code
 *     values and control totals the offset core relies on;
 *   - no file the gateway sends to an agency has a full SSN or TIN field.
 */
#include "testutil.h"

#include <dirent.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ */
/* places                                                              */

static const char *formats_dir(void)
{
    const char *dir = getenv("OG_FORMATS");

    return dir != NULL && *dir != '\0' ? dir : "formats";
}

static bool is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

struct paths {
    char **items;
    size_t n, cap;
};

static void paths_add(struct paths *p, const char *s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 32;
        p->items = tu_xrealloc(p->items, p->cap * sizeof *p->items);
    }
    p->items[p->n++] = tu_xstrdup(s);
}

static void paths_free(struct paths *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i]);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under DIR (recursively) whose name ends in one of
 * SUFFIXES (NULL-terminated), sorted. */
static void walk(const char *dir, const char *const *suffixes,
                 struct paths *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        fail_msg("cannot open %s: %s (are OG_FORMATS / OG_TEST_DATA set?)", dir,
                 strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        char *path;
        struct stat st;

        if (e->d_name[0] == '.') {
            continue;
        }
        path = tu_asprintf("%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(path, suffixes, out);
        } else if (S_ISREG(st.st_mode)) {
            for (const char *const *s = suffixes; *s != NULL; s++) {
                if (ends_with(e->d_name, *s)) {
                    paths_add(out, path);
                    break;
                }
            }
        }
        free(path);
    }
    closedir(d);
    qsort(out->items, out->n, sizeof *out->items, cmp_str);
}

static void all_layouts(struct paths *out)
{
    static const char *const xml[] = {".xml", NULL};
    char *dir = tu_asprintf("%s/layouts", formats_dir());

    walk(dir, xml, out);
    free(dir);
}

static void all_samples(struct paths *out)
{
    static const char *const samples[] = {".txt", ".csv", NULL};
    char dir[4096];

    tu_data_path(dir, sizeof dir, "exchanges");
    walk(dir, samples, out);
}

/* "common/agency-ack" for ".../layouts/common/agency-ack.xml" or
 * ".../exchanges/common/agency-ack.txt": the last directory and the base
 * name without its extension. */
static char *place_and_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    const char *start = path;

    assert_non_null(slash);
    assert_non_null(dot);
    for (const char *p = slash - 1; p >= path; p--) {
        if (*p == '/') {
            start = p + 1;
            break;
        }
    }
    return tu_xstrndup(start, (size_t)(dot - start));
}

/* Fail the test with every line of PROBLEMS, if there is any. */
static void fail_on_problems_at(const char *file, int line,
                                struct tu_sb *problems)
{
    if (problems->n == 0) {
        return;
    }
    for (char *p = problems->s, *eol; *p != '\0'; p = eol + 1) {
        eol = strchr(p, '\n');
        if (eol == NULL) {
            print_error("%s\n", p);
            break;
        }
        print_error("%.*s\n", (int)(eol - p), p);
    }
    tu_sb_free(problems);
    _fail(file, line);
}
#define fail_on_problems(p) fail_on_problems_at(__FILE__, __LINE__, p)

static struct layout *load_layout(const char *path)
{
    struct layout_problems p = {0};
    struct layout *l = layout_load(path, &p);

    if (l == NULL || p.n != 0) {
        tu_print_problems(&p);
        layout_problems_release(&p);
        if (l != NULL) {
            layout_free(l);
        }
        fail_msg("layout %s should load cleanly", path);
    }
    layout_problems_release(&p);
    return l;
}

/* ------------------------------------------------------------------ */
/* the programs and their exchanges                                    */

static const char *const programs[] = {"caltrecs", "kansas", "utah", "top"};
#define N_PROGRAMS (sizeof programs / sizeof programs[0])

enum {
    P_CALTRECS = 1u << 0,
    P_KANSAS = 1u << 1,
    P_UTAH = 1u << 2,
    P_TOP = 1u << 3,
    P_ALL = P_CALTRECS | P_KANSAS | P_UTAH | P_TOP,
    P_PARTNERS = P_CALTRECS | P_TOP, /* clearinghouse model */
    P_SETOFF = P_KANSAS | P_UTAH     /* setoff-program model */
};

/* What the offset core relies on, one row per field. */
enum {
    REQ = 1u << 0,    /* must be required="true" */
    SIGNED = 1u << 1, /* an amount that can be negative: carries a sign */
    OPEN = 1u << 2    /* a code must take values it does not list */
};

#define TY(t) (1u << (t))
#define TEXT TY(FT_TEXT)
#define DIGITS TY(FT_DIGITS)
#define INTEGER TY(FT_INTEGER)
#define AMOUNT TY(FT_AMOUNT)
#define DATE TY(FT_DATE)
#define TIME TY(FT_TIME)
#define CODE TY(FT_CODE)
#define TINS (TY(FT_SSN) | TY(FT_TIN))

struct want {
    const char *record;
    const char *field;
    unsigned types; /* allowed types, TY() bits */
    unsigned flags;
    unsigned length;   /* fixed width: exact width; 0 = any */
    const char *codes; /* values that must be listed, space-separated */
    const char *count; /* total="count" of this record */
    const char *sum;   /* total="sum" of "record.field" */
};

/* One row each: W plain, WCODES with code values that must be listed,
 * WLEN with an exact fixed width, WCOUNT / WSUM control totals. */
/* clang-format off */
#define W(r, f, t, fl) {.record = r, .field = f, .types = t, .flags = fl}
#define WCODES(r, f, t, fl, c) \
    {.record = r, .field = f, .types = t, .flags = fl, .codes = c}
#define WLEN(r, f, t, fl, n) \
    {.record = r, .field = f, .types = t, .flags = fl, .length = n}
#define WCOUNT(r, f, of) \
    {.record = r, .field = f, .types = INTEGER, .count = of}
#define WSUM(r, f, fl, of) \
    {.record = r, .field = f, .types = AMOUNT, .flags = fl, .sum = of}
#define END {.record = NULL}
/* clang-format on */

static const struct want w_agency_debt[] = {
    W("header", "agency_code", TEXT, REQ),
    W("header", "file_date", DATE, REQ),
    W("header", "file_seq", INTEGER, 0),
    WCODES("detail", "action", CODE, REQ, "A C Z"),
    W("detail", "account", TEXT, REQ),
    WCODES("detail", "tin_type", CODE, 0, "S"),
    W("detail", "tin", TINS, 0),
    W("detail", "last_name", TEXT, REQ),
    W("detail", "first_name", TEXT, 0),
    W("detail", "middle_initial", TEXT, 0),
    W("detail", "suffix", TEXT, 0),
    W("detail", "street", TEXT, 0),
    W("detail", "city", TEXT, 0),
    W("detail", "state", TEXT, 0),
    W("detail", "zip", DIGITS, 0),
    W("detail", "amount", AMOUNT, REQ),
    W("detail", "debt_type", CODE, REQ),
    W("detail", "delinquency_date", DATE, 0),
    W("detail", "notice_date", DATE, 0),
    W("detail", "collection_attempts", INTEGER, 0),
    WCODES("detail", "bankruptcy", CODE, 0, "Y N"),
    W("detail", "court_case", TEXT, 0),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "amount_total", 0, "detail.amount"),
    END,
};

static const struct want w_agency_ack[] = {
    W("ack", "file_name", TEXT, REQ),
    WLEN("ack", "file_sha256", TEXT, REQ, 64),
    W("ack", "received_date", DATE, REQ),
    WCODES("ack", "status", CODE, REQ, "A R"),
    W("ack", "records", INTEGER, 0),
    W("ack", "accepted", INTEGER, 0),
    W("ack", "rejected", INTEGER, 0),
    W("ack", "amount_accepted", AMOUNT, 0),
    W("ack", "reason", TEXT, 0),
    END,
};

static const struct want w_agency_unprocessable[] = {
    W("header", "agency_code", TEXT, REQ),
    W("header", "file_date", DATE, REQ),
    W("reject", "line", INTEGER, REQ),
    W("reject", "account", TEXT, 0),
    WLEN("reject", "error_code", TEXT, REQ, 16),
    WLEN("reject", "field", TEXT, 0, 32),
    WLEN("reject", "message", TEXT, 0, 80),
    WCOUNT("trailer", "reject_count", "reject"),
    END,
};

static const struct want w_taxboard_debt[] = {
    W("header", "file_date", DATE, REQ),
    W("detail", "action", CODE, REQ),
    W("detail", "agency_code", TEXT, REQ),
    W("detail", "account", TEXT, REQ),
    W("detail", "tin", TINS, REQ),
    WLEN("detail", "name_control", TEXT, REQ, 4),
    W("detail", "last_name", TEXT, REQ),
    W("detail", "first_name", TEXT, 0),
    W("detail", "amount", AMOUNT, REQ),
    W("detail", "debt_type", CODE, 0),
    W("detail", "delinquency_date", DATE, 0),
    W("detail", "agency_debt_id", TEXT, REQ),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "amount_total", 0, "detail.amount"),
    END,
};

static const struct want w_treasury_referral[] = {
    W("header", "agency_code", TEXT, REQ),
    W("header", "file_date", DATE, REQ),
    WCODES("detail", "action", CODE, REQ, "A U D Z"),
    W("detail", "agency_debt_id", TEXT, REQ),
    WCODES("detail", "tin_type", CODE, REQ, "S E"),
    W("detail", "tin", TINS, REQ),
    WLEN("detail", "name_control", TEXT, REQ, 4),
    W("detail", "last_name", TEXT, REQ),
    W("detail", "first_name", TEXT, 0),
    WCODES("detail", "iai_debt_type", CODE, REQ, "A L"),
    WCODES("detail", "debt_class", CODE, REQ, "EMA FEE FIN GRT MSC OVP PEN"),
    W("detail", "amount", AMOUNT, REQ),
    W("detail", "delinquency_date", DATE, REQ),
    W("detail", "original_amount", AMOUNT, 0),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "amount_total", 0, "detail.amount"),
    END,
};

static const struct want w_treasury_address_request[] = {
    W("detail", "tin", TINS, REQ),
    WLEN("detail", "name_control", TEXT, REQ, 4),
    W("detail", "last_name", TEXT, REQ),
    W("detail", "first_name", TEXT, 0),
    W("detail", "agency_debt_id", TEXT, REQ),
    WCOUNT("trailer", "detail_count", "detail"),
    END,
};

static const struct want w_partner_match[] = {
    W("header", "file_date", DATE, 0),
    W("detail", "agency_debt_id", TEXT, REQ),
    W("detail", "tin", TINS, REQ),
    WCODES("detail", "match_code", CODE, REQ, "00 02 03 04 07"),
    W("detail", "returned_name_control", TEXT, 0),
    W("detail", "street", TEXT, 0),
    W("detail", "city", TEXT, 0),
    W("detail", "state", TEXT, 0),
    W("detail", "zip", DIGITS, 0),
    WCOUNT("trailer", "detail_count", "detail"),
    END,
};

static const struct want w_partner_unprocessable[] = {
    W("detail", "agency_debt_id", TEXT, REQ),
    W("detail", "tin", TINS, 0),
    W("detail", "error_code", TEXT | CODE, REQ | OPEN),
    W("detail", "message", TEXT, 0),
    WCOUNT("trailer", "detail_count", "detail"),
    END,
};

static const struct want w_partner_collection[] = {
    W("header", "file_date", DATE, 0),
    WCODES("detail", "kind", CODE, REQ, "O R C"),
    W("detail", "trace_id", TEXT, REQ),
    W("detail", "reversal_of", TEXT, 0),
    W("detail", "agency_debt_id", TEXT, REQ),
    W("detail", "tin", TINS, REQ),
    W("detail", "amount", AMOUNT, REQ | SIGNED),
    W("detail", "fee", AMOUNT, SIGNED),
    W("detail", "payment_date", DATE, REQ),
    WCODES("detail", "payment_source", CODE, REQ, "TAX"),
    WCODES("detail", "joint", CODE, 0, "Y N"),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "amount_total", SIGNED, "detail.amount"),
    END,
};

static const struct want w_payer_payment[] = {
    W("header", "file_date", DATE, REQ),
    W("detail", "payment_id", TEXT, REQ),
    WCODES("detail", "tin_type", CODE, REQ, "S"),
    W("detail", "tin", TINS, REQ),
    W("detail", "last_name", TEXT, REQ),
    W("detail", "first_name", TEXT, 0),
    WCODES("detail", "payment_source", CODE, REQ, "TAX"),
    W("detail", "amount", AMOUNT, REQ),
    W("detail", "disposable_earnings", AMOUNT, 0),
    WCODES("detail", "joint", CODE, 0, "Y N"),
    W("detail", "spouse_tin", TINS, 0),
    W("detail", "debtor_share_bp", INTEGER, 0),
    W("detail", "payment_date", DATE, REQ),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "amount_total", 0, "detail.amount"),
    END,
};

static const struct want w_payer_offset[] = {
    W("detail", "payment_id", TEXT, REQ),
    W("detail", "tin", TINS, REQ),
    W("detail", "offset_amount", AMOUNT, REQ),
    W("detail", "fee_amount", AMOUNT, REQ),
    W("detail", "released_amount", AMOUNT, REQ),
    W("detail", "agency_code", TEXT, 0),
    W("detail", "account", TEXT, 0),
    WCODES("detail", "action", CODE, REQ, "O R"),
    W("detail", "trace_id", TEXT, 0),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "offset_total", 0, "detail.offset_amount"),
    WSUM("trailer", "fee_total", 0, "detail.fee_amount"),
    WSUM("trailer", "released_total", 0, "detail.released_amount"),
    END,
};

static const struct want w_agency_match[] = {
    W("header", "agency_code", TEXT, REQ),
    W("header", "file_date", DATE, REQ),
    W("detail", "account", TEXT, REQ),
    WLEN("detail", "tin_last4", TEXT, 0, 4),
    WCODES("detail", "match_code", CODE, 0, "00 02 03 04 07"),
    WCODES("detail", "status", CODE, REQ, "P E D N S C"),
    W("detail", "message", TEXT, 0),
    WCOUNT("trailer", "detail_count", "detail"),
    END,
};

static const struct want w_agency_collection[] = {
    W("detail", "account", TEXT, REQ),
    WCODES("detail", "kind", CODE, REQ, "O R C"),
    W("detail", "trace_id", TEXT, REQ),
    W("detail", "reversal_of", TEXT, 0),
    W("detail", "amount", AMOUNT, REQ | SIGNED),
    W("detail", "fee", AMOUNT, SIGNED),
    W("detail", "net", AMOUNT, REQ | SIGNED),
    W("detail", "payment_date", DATE, REQ),
    WCODES("detail", "payment_source", CODE, REQ,
           "TAX HOM FST PAY LOT UCP VEN KPR"),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "amount_total", SIGNED, "detail.amount"),
    END,
};

static const struct want w_agency_remittance[] = {
    W("header", "agency_code", TEXT, REQ),
    W("header", "file_date", DATE, REQ),
    W("detail", "debt_id", INTEGER, REQ),
    W("detail", "account", TEXT, REQ),
    W("detail", "trace_id", TEXT, REQ),
    W("detail", "payment_date", DATE, REQ),
    W("detail", "final_date", DATE, REQ),
    W("detail", "amount", AMOUNT, REQ),
    W("detail", "fee", AMOUNT, REQ),
    W("detail", "net", AMOUNT, REQ),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "amount_total", 0, "detail.amount"),
    WSUM("trailer", "fee_total", 0, "detail.fee"),
    WSUM("trailer", "net_total", 0, "detail.net"),
    END,
};

/* The detail of both reconciliation layouts. */
#define RECON_DETAIL(rec)                                                      \
    W(rec, "account", TEXT, REQ), W(rec, "opening", AMOUNT, REQ | SIGNED),     \
        W(rec, "additions", AMOUNT, REQ), W(rec, "collections", AMOUNT, REQ),  \
        W(rec, "reversals", AMOUNT, REQ),                                      \
        W(rec, "adjustments", AMOUNT, REQ | SIGNED),                           \
        W(rec, "fees", AMOUNT, REQ), W(rec, "net_remitted", AMOUNT, REQ),      \
        W(rec, "closing", AMOUNT, REQ | SIGNED)

static const struct want w_agency_reconciliation[] = {
    W("header", "agency_code", TEXT, REQ),
    W("header", "period_start", DATE, REQ),
    W("header", "period_end", DATE, REQ),
    RECON_DETAIL("detail"),
    WCOUNT("trailer", "detail_count", "detail"),
    WSUM("trailer", "opening_total", SIGNED, "detail.opening"),
    WSUM("trailer", "closing_total", SIGNED, "detail.closing"),
    END,
};

static const struct want w_agency_reconciliation_csv[] = {
    W("detail", "agency_code", TEXT, REQ),
    W("detail", "period_start", DATE, REQ),
    W("detail", "period_end", DATE, REQ),
    RECON_DETAIL("detail"),
    END,
};

struct exchange {
    const char *name;
    unsigned programs;
    bool to_agency; /* gateway -> agency: no full TIN allowed */
    const struct want *want;
};

static const struct exchange exchanges[] = {
    {"agency-debt", P_ALL, false, w_agency_debt},
    {"agency-ack", P_ALL, true, w_agency_ack},
    {"agency-unprocessable", P_ALL, true, w_agency_unprocessable},
    {"taxboard-debt", P_CALTRECS, false, w_taxboard_debt},
    {"treasury-referral", P_TOP, false, w_treasury_referral},
    {"treasury-address-request", P_TOP, false, w_treasury_address_request},
    {"partner-match", P_PARTNERS, false, w_partner_match},
    {"partner-unprocessable", P_PARTNERS, false, w_partner_unprocessable},
    {"partner-collection", P_PARTNERS, false, w_partner_collection},
    {"payer-payment", P_SETOFF, false, w_payer_payment},
    {"payer-offset", P_SETOFF, false, w_payer_offset},
    {"agency-match", P_ALL, true, w_agency_match},
    {"agency-collection", P_ALL, true, w_agency_collection},
    {"agency-reconciliation", P_ALL, true, w_agency_reconciliation},
    {"agency-reconciliation-csv", P_ALL, true, w_agency_reconciliation_csv},
    {"agency-remittance", P_SETOFF, true, w_agency_remittance},
};
#define N_EXCHANGES (sizeof exchanges / sizeof exchanges[0])

static const struct exchange *exchange_by_name(const char *name)
{
    for (size_t i = 0; i < N_EXCHANGES; i++) {
        if (strcmp(exchanges[i].name, name) == 0) {
            return &exchanges[i];
        }
    }
    return NULL;
}

/* The value of attribute NAME in the element text [EL, END), or NULL. */
static char *attr_value(const char *el, const char *end, const char *name)
{
    char *key = tu_asprintf(" %s=\"", name);
    size_t klen = strlen(key);
    char *value = NULL;

    for (const char *p = el; p + klen <= end; p++) {
        if (memcmp(p, key, klen) == 0) {
            const char *v = p + klen;
            const char *q = memchr(v, '"', (size_t)(end - v));

            if (q != NULL) {
                value = tu_xstrndup(v, (size_t)(q - v));
            }
            break;
        }
    }
    free(key);
    return value;
}

/* The program's profile (formats/programs/PROGRAM.xml, docs/programs.md)
 * as text, or NULL when there is none. */
static char *profile_text(const char *program)
{
    char *path = tu_asprintf("%s/programs/%s.xml", formats_dir(), program);
    char *text = NULL;
    size_t len;

    if (is_file(path)) {
        text = tu_read_file(path, &len);
    }
    free(path);
    return text;
}

/* The layout PROFILE names for EXCHANGE in its <exchanges> (a path relative
 * to formats/layouts), or NULL. */
static char *profile_layout(const char *profile, const char *exchange)
{
    for (const char *p = strstr(profile, "<exchange "); p != NULL;
         p = strstr(p + 1, "<exchange ")) {
        const char *end = strchr(p, '>');
        char *name, *layout = NULL;

        if (end == NULL) {
            break;
        }
        name = attr_value(p, end, "name");
        if (name != NULL && strcmp(name, exchange) == 0) {
            layout = attr_value(p, end, "layout");
        }
        free(name);
        if (layout != NULL) {
            return layout;
        }
    }
    return NULL;
}

/* The layout file of EXCHANGE for PROGRAM: the one the program's profile
 * names when there is a profile, else by convention the program's own,
 * else the common one.  NULL when there is none. */
static char *resolve(const char *program, const char *exchange)
{
    char *profile = profile_text(program);
    char *path;

    if (profile != NULL) {
        char *rel = profile_layout(profile, exchange);

        free(profile);
        if (rel == NULL) {
            return NULL;
        }
        path = tu_asprintf("%s/layouts/%s", formats_dir(), rel);
        free(rel);
        return path;
    }
    path =
        tu_asprintf("%s/layouts/%s/%s.xml", formats_dir(), program, exchange);
    if (is_file(path)) {
        return path;
    }
    free(path);
    path = tu_asprintf("%s/layouts/common/%s.xml", formats_dir(), exchange);
    if (is_file(path)) {
        return path;
    }
    free(path);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* checking one layout against the contract                            */

static bool has_code(const struct layout_field *f, const char *value,
                     size_t len)
{
    for (size_t i = 0; i < f->n_codes; i++) {
        if (f->codes[i].value_len == len &&
            memcmp(f->codes[i].value, value, len) == 0) {
            return true;
        }
    }
    return false;
}

/* Append to PROBLEMS every way L falls short of WANT. */
static void check_contract(const struct layout *l, const char *what,
                           const struct want *want, struct tu_sb *problems)
{
    bool fixed = layout_format(l) == LAYOUT_FIXED;

    for (const struct want *w = want; w->record != NULL; w++) {
        const struct layout_record *r = layout_record_by_name(l, w->record);
        const struct layout_field *f;
        int i;

        if (r == NULL) {
            tu_sb_addf(problems, "%s: no record '%s'\n", what, w->record);
            continue;
        }
        i = layout_field_index(r, w->field);
        if (i < 0) {
            tu_sb_addf(problems, "%s: record '%s' has no field '%s'\n", what,
                       w->record, w->field);
            continue;
        }
        f = &r->fields[i];
        if ((w->types & TY(f->type)) == 0) {
            tu_sb_addf(problems, "%s: %s.%s has type %s\n", what, w->record,
                       w->field, layout_type_name(f->type));
        }
        if ((w->flags & REQ) && !f->required) {
            tu_sb_addf(problems, "%s: %s.%s should be required\n", what,
                       w->record, w->field);
        }
        if ((w->flags & OPEN) && f->type == FT_CODE && !f->open_codes) {
            tu_sb_addf(problems,
                       "%s: %s.%s must be open=\"true\": the core passes "
                       "every partner code on\n",
                       what, w->record, w->field);
        }
        if ((w->flags & SIGNED) && f->sign == SIGN_NONE) {
            tu_sb_addf(problems, "%s: %s.%s can be negative: it needs a sign\n",
                       what, w->record, w->field);
        }
        if (w->length != 0 && fixed && f->length != w->length) {
            tu_sb_addf(problems, "%s: %s.%s is %u wide, not %u\n", what,
                       w->record, w->field, f->length, w->length);
        }
        for (const char *c = w->codes; c != NULL && *c != '\0';) {
            size_t n = strcspn(c, " ");

            if (!has_code(f, c, n)) {
                tu_sb_addf(problems, "%s: %s.%s does not list code '%.*s'\n",
                           what, w->record, w->field, (int)n, c);
            }
            c += n;
            c += strspn(c, " ");
        }
        if (w->count != NULL &&
            (f->total != TOTAL_COUNT || f->total_of == NULL ||
             strcmp(f->total_of->name, w->count) != 0)) {
            tu_sb_addf(problems, "%s: %s.%s should be the count of '%s'\n",
                       what, w->record, w->field, w->count);
        }
        if (w->sum != NULL) {
            const char *dot = strchr(w->sum, '.');
            bool ok = f->total == TOTAL_SUM && f->total_of != NULL &&
                      strlen(f->total_of->name) == (size_t)(dot - w->sum) &&
                      strncmp(f->total_of->name, w->sum,
                              (size_t)(dot - w->sum)) == 0 &&
                      f->total_of_field >= 0 &&
                      (size_t)f->total_of_field < f->total_of->n_fields &&
                      strcmp(f->total_of->fields[f->total_of_field].name,
                             dot + 1) == 0;

            if (!ok) {
                tu_sb_addf(problems, "%s: %s.%s should be the sum of %s\n",
                           what, w->record, w->field, w->sum);
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* tests: layouts                                                      */

static void test_every_layout_loads_and_is_named_after_its_file(void **state)
{
    struct paths ls = {0};
    struct tu_sb problems = {0};

    (void)state;
    all_layouts(&ls);
    assert_true(ls.n >= 20);
    for (size_t i = 0; i < ls.n; i++) {
        struct layout *l = load_layout(ls.items[i]);
        char *pn = place_and_name(ls.items[i]);
        const char *name = strchr(pn, '/') + 1;

        if (strcmp(layout_name(l), name) != 0) {
            tu_sb_addf(&problems, "%s: layout name '%s', file name '%s'\n",
                       ls.items[i], layout_name(l), name);
        }
        for (size_t r = 0; r < layout_n_records(l); r++) {
            const struct layout_record *rec = layout_record_at(l, r);

            for (size_t f = 0; f < rec->n_fields; f++) {
                const struct layout_field *fld = &rec->fields[f];

                for (size_t c = 0; c < fld->n_codes; c++) {
                    if (fld->codes[c].meaning == NULL ||
                        fld->codes[c].meaning[0] == '\0') {
                        tu_sb_addf(&problems,
                                   "%s: %s.%s code '%s' has no "
                                   "meaning\n",
                                   ls.items[i], rec->name, fld->name,
                                   fld->codes[c].value);
                    }
                }
            }
        }
        free(pn);
        layout_free(l);
    }
    paths_free(&ls);
    fail_on_problems(&problems);
}

/* Each layout directory is common/ or a program's, and each file in it is
 * an exchange that program (or some program, for common/) uses. */
static void test_every_layout_is_an_exchange_of_its_place(void **state)
{
    struct paths ls = {0};
    struct tu_sb problems = {0};

    (void)state;
    all_layouts(&ls);
    for (size_t i = 0; i < ls.n; i++) {
        char *pn = place_and_name(ls.items[i]);
        char *slash = strchr(pn, '/');
        const struct exchange *x;
        unsigned mask = 0;

        *slash = '\0';
        x = exchange_by_name(slash + 1);
        if (strcmp(pn, "common") == 0) {
            mask = P_ALL;
        }
        for (size_t p = 0; p < N_PROGRAMS; p++) {
            if (strcmp(pn, programs[p]) == 0) {
                mask = 1u << p;
            }
        }
        if (mask == 0) {
            tu_sb_addf(&problems, "%s: '%s' is neither common nor a program\n",
                       ls.items[i], pn);
        } else if (x == NULL) {
            tu_sb_addf(&problems, "%s: '%s' is not a known exchange\n",
                       ls.items[i], slash + 1);
        } else if ((x->programs & mask) == 0) {
            tu_sb_addf(&problems, "%s: %s does not use %s\n", ls.items[i], pn,
                       x->name);
        }
        free(pn);
    }
    paths_free(&ls);
    fail_on_problems(&problems);
}

/* For every program, every exchange it uses resolves to a layout that
 * keeps the contract. */
static void test_every_program_exchange_keeps_the_contract(void **state)
{
    struct tu_sb problems = {0};
    size_t checked = 0;

    (void)state;
    for (size_t p = 0; p < N_PROGRAMS; p++) {
        for (size_t x = 0; x < N_EXCHANGES; x++) {
            const struct exchange *ex = &exchanges[x];
            char *path, *what;
            struct layout *l;

            if ((ex->programs & (1u << p)) == 0) {
                continue;
            }
            path = resolve(programs[p], ex->name);
            if (path == NULL) {
                tu_sb_addf(&problems, "%s: no layout for %s\n", programs[p],
                           ex->name);
                continue;
            }
            l = load_layout(path);
            what = tu_asprintf("%s %s (%s)", programs[p], ex->name, path);
            if (strcmp(layout_name(l), ex->name) != 0) {
                tu_sb_addf(&problems, "%s: named '%s'\n", what, layout_name(l));
            }
            check_contract(l, what, ex->want, &problems);
            checked++;
            free(what);
            free(path);
            layout_free(l);
        }
    }
    fail_on_problems(&problems);
    assert_int_equal(checked, 11 + 13 + 10 + 9);
}

/* Each program's profile names a layout for exactly the exchanges the
 * program uses, and the layout it names is the program's own when there is
 * one, else the common one (docs/formats/README.md). */
static void test_profiles_name_these_layouts(void **state)
{
    struct tu_sb problems = {0};

    (void)state;
    for (size_t p = 0; p < N_PROGRAMS; p++) {
        char *profile = profile_text(programs[p]);

        if (profile == NULL) {
            print_message("no profile for %s: skipped\n", programs[p]);
            continue;
        }
        for (size_t x = 0; x < N_EXCHANGES; x++) {
            const struct exchange *ex = &exchanges[x];
            char *rel = profile_layout(profile, ex->name);
            bool used = (ex->programs & (1u << p)) != 0;
            char *own = tu_asprintf("%s/%s.xml", programs[p], ex->name);
            char *own_path = tu_asprintf("%s/layouts/%s", formats_dir(), own);
            char *common = tu_asprintf("common/%s.xml", ex->name);
            const char *want = is_file(own_path) ? own : common;

            if (used && rel == NULL) {
                tu_sb_addf(&problems, "%s profile: no layout for %s\n",
                           programs[p], ex->name);
            } else if (!used && rel != NULL) {
                tu_sb_addf(&problems, "%s profile: %s is not its exchange\n",
                           programs[p], ex->name);
            } else if (rel != NULL && strcmp(rel, want) != 0) {
                tu_sb_addf(&problems, "%s profile: %s is %s, expected %s\n",
                           programs[p], ex->name, rel, want);
            }
            free(rel);
            free(own);
            free(own_path);
            free(common);
        }
        free(profile);
    }
    fail_on_problems(&problems);
}

/* Files the gateway sends to agencies never carry a full SSN or TIN. */
static void test_no_full_tin_goes_to_an_agency(void **state)
{
    struct tu_sb problems = {0};

    (void)state;
    for (size_t p = 0; p < N_PROGRAMS; p++) {
        for (size_t x = 0; x < N_EXCHANGES; x++) {
            const struct exchange *ex = &exchanges[x];
            struct layout *l;
            char *path;

            if (!ex->to_agency || (ex->programs & (1u << p)) == 0) {
                continue;
            }
            path = resolve(programs[p], ex->name);
            assert_non_null(path);
            l = load_layout(path);
            for (size_t r = 0; r < layout_n_records(l); r++) {
                const struct layout_record *rec = layout_record_at(l, r);

                for (size_t f = 0; f < rec->n_fields; f++) {
                    enum field_type t = rec->fields[f].type;

                    if (t == FT_SSN || t == FT_TIN) {
                        tu_sb_addf(&problems, "%s: %s.%s is a full TIN\n", path,
                                   rec->name, rec->fields[f].name);
                    }
                }
            }
            layout_free(l);
            free(path);
        }
    }
    fail_on_problems(&problems);
}

/* The program differences the core relies on.  The debt_type codes are
 * the program profiles' (formats/programs/, docs/programs.md): the core
 * looks a record's debt type up in its profile. */
static void test_program_differences(void **state)
{
    static const struct {
        const char *program, *exchange, *record, *field;
        int required;      /* 1 required, 0 optional, -1 don't care */
        int type;          /* -1 don't care */
        const char *codes; /* must be listed */
        size_t n_codes;    /* exact number of codes, 0 = don't care */
    } cases[] = {
        /* a debt without a TIN: allowed where the profile's <id-types> has
         * required="false" (CalTRECS looks the SSN up, Kansas enters the
         * debt by hand) */
        {"caltrecs", "agency-debt", "detail", "tin", 0, FT_SSN, NULL, 0},
        {"caltrecs", "agency-debt", "detail", "tin_type", 0, -1, "S", 1},
        {"kansas", "agency-debt", "detail", "tin", 0, FT_TIN, NULL, 0},
        {"utah", "agency-debt", "detail", "tin", 1, FT_TIN, NULL, 0},
        {"top", "agency-debt", "detail", "tin", 1, FT_SSN, NULL, 0},
        {"top", "agency-debt", "detail", "tin_type", 1, -1, "S", 1},
        {"caltrecs", "agency-debt", "detail", "notice_date", 1, -1, NULL, 0},
        {"caltrecs", "agency-debt", "detail", "collection_attempts", 0, -1,
         NULL, 0},
        {"kansas", "agency-debt", "detail", "collection_attempts", 1, -1, NULL,
         0},
        {"kansas", "agency-debt", "detail", "tin_type", 0, -1, "S E", 2},
        {"kansas", "agency-debt", "detail", "debt_type", 1, -1, "11 23 29", 3},
        {"caltrecs", "agency-debt", "detail", "debt_type", 1, -1,
         "CSL CSO SPL SPO RF EDD STA JDG CRT BW FIN PARK REIM PTX", 14},
        {"caltrecs", "taxboard-debt", "detail", "debt_type", 1, -1,
         "CSL CSO SPL SPO RF EDD STA JDG CRT BW FIN PARK REIM PTX", 14},
        {"utah", "agency-debt", "detail", "debt_type", 1, -1,
         "SEB ORS OSDC STA HED UHEAA UUH BW LOC GRN IRS USG", 12},
        {"utah", "agency-debt", "detail", "tin_type", 1, -1, "S E", 2},
        {"top", "agency-debt", "detail", "delinquency_date", 1, -1, NULL, 0},
        {"top", "agency-debt", "detail", "debt_type", 1, -1,
         "FTX CS FNT SNAP SIT UI", 6},
        {"top", "agency-debt", "detail", "iai_debt_type", 0, FT_CODE, "A L", 2},
        {"top", "agency-debt", "detail", "debt_class", 1, FT_CODE,
         "EMA FEE FIN GRT MSC OVP PEN", 7},
        {"caltrecs", "taxboard-debt", "detail", "action", 1, FT_CODE, "N R W",
         3},
        {"kansas", "payer-payment", "detail", "payment_source", 1, FT_CODE,
         "TAX HOM FST PAY LOT UCP VEN KPR DIS", 9},
        {"utah", "payer-payment", "detail", "payment_source", 1, FT_CODE, "TAX",
         1},
    };
    struct tu_sb problems = {0};

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = resolve(cases[i].program, cases[i].exchange);
        struct layout *l;
        const struct layout_record *r;
        const struct layout_field *f;
        int k;

        assert_non_null(path);
        l = load_layout(path);
        r = layout_record_by_name(l, cases[i].record);
        assert_non_null(r);
        k = layout_field_index(r, cases[i].field);
        if (k < 0) {
            tu_sb_addf(&problems, "%s: no %s.%s\n", path, cases[i].record,
                       cases[i].field);
            goto next;
        }
        f = &r->fields[k];
        if (cases[i].required >= 0 && f->required != cases[i].required) {
            tu_sb_addf(&problems, "%s: %s.%s should %sbe required\n", path,
                       cases[i].record, cases[i].field,
                       cases[i].required ? "" : "not ");
        }
        if (cases[i].type >= 0 && (int)f->type != cases[i].type) {
            tu_sb_addf(&problems, "%s: %s.%s has type %s\n", path,
                       cases[i].record, cases[i].field,
                       layout_type_name(f->type));
        }
        if (cases[i].n_codes != 0 && f->n_codes != cases[i].n_codes) {
            tu_sb_addf(&problems, "%s: %s.%s has %zu codes, not %zu\n", path,
                       cases[i].record, cases[i].field, f->n_codes,
                       cases[i].n_codes);
        }
        for (const char *c = cases[i].codes; c != NULL && *c != '\0';) {
            size_t n = strcspn(c, " ");

            if (!has_code(f, c, n)) {
                tu_sb_addf(&problems, "%s: %s.%s does not list '%.*s'\n", path,
                           cases[i].record, cases[i].field, (int)n, c);
            }
            c += n;
            c += strspn(c, " ");
        }
    next:
        layout_free(l);
        free(path);
    }
    fail_on_problems(&problems);
}

/* ------------------------------------------------------------------ */
/* tests: samples                                                      */

/* The layout of sample PATH: same place and name under layouts/. */
static char *layout_of_sample(const char *path)
{
    char *pn = place_and_name(path);
    char *l = tu_asprintf("%s/layouts/%s.xml", formats_dir(), pn);

    free(pn);
    return l;
}

static void test_every_layout_has_a_sample(void **state)
{
    struct paths ls = {0}, ss = {0};
    struct tu_sb problems = {0};

    (void)state;
    all_layouts(&ls);
    all_samples(&ss);
    for (size_t i = 0; i < ls.n; i++) {
        bool found = false;

        for (size_t k = 0; k < ss.n && !found; k++) {
            char *l = layout_of_sample(ss.items[k]);
            char *pl = place_and_name(l), *pi = place_and_name(ls.items[i]);

            found = strcmp(pl, pi) == 0;
            free(pl);
            free(pi);
            free(l);
        }
        if (!found) {
            tu_sb_addf(&problems, "%s has no sample\n", ls.items[i]);
        }
    }
    paths_free(&ls);
    paths_free(&ss);
    fail_on_problems(&problems);
}

static void test_every_sample_parses_cleanly(void **state)
{
    struct paths ss = {0};
    struct tu_sb problems = {0};

    (void)state;
    all_samples(&ss);
    assert_true(ss.n >= 19);
    for (size_t i = 0; i < ss.n; i++) {
        char *lpath = layout_of_sample(ss.items[i]);
        struct layout *l;
        struct tu_parse *p;
        char *buf;
        size_t len;

        if (!is_file(lpath)) {
            tu_sb_addf(&problems, "%s: no layout %s\n", ss.items[i], lpath);
            free(lpath);
            continue;
        }
        l = load_layout(lpath);
        buf = tu_read_file(ss.items[i], &len);
        p = tu_parse_buf(l, buf, len);
        if (p->status != READER_END || p->stats.rejected != 0 ||
            p->stats.records != p->n || p->n == 0) {
            print_message("%s:\n", ss.items[i]);
            tu_dump_parse(p);
            tu_sb_addf(&problems, "%s: %s, %llu of %zu records rejected\n",
                       ss.items[i], tu_status_name(p->status),
                       (unsigned long long)p->stats.rejected, p->n);
        }
        /* every record type of the layout shows up in its sample */
        for (size_t r = 0; r < layout_n_records(l); r++) {
            const struct layout_record *rec = layout_record_at(l, r);
            bool seen = false;

            for (size_t k = 0; k < p->n && !seen; k++) {
                seen = p->recs[k].type == rec;
            }
            if (!seen) {
                tu_sb_addf(&problems, "%s: no '%s' record\n", ss.items[i],
                           rec->name);
            }
        }
        tu_parse_free(p);
        free(buf);
        layout_free(l);
        free(lpath);
    }
    paths_free(&ss);
    fail_on_problems(&problems);
}

/* reader -> writer_put_record gives back the sample's bytes. */
static void test_every_sample_writes_back_byte_for_byte(void **state)
{
    struct paths ss = {0};
    struct tu_sb problems = {0};

    (void)state;
    all_samples(&ss);
    for (size_t i = 0; i < ss.n; i++) {
        char *lpath = layout_of_sample(ss.items[i]);
        struct layout *l = load_layout(lpath);
        size_t len;
        char *buf = tu_read_file(ss.items[i], &len);
        struct reader *rd = reader_new_buffer(l, buf, len, ss.items[i]);
        struct tu_mem m;
        struct writer *w;
        const struct record *rec;
        enum reader_status st;
        size_t out_len;

        assert_non_null(rd);
        tu_mem_open(&m);
        w = writer_new(l, m.f);
        assert_non_null(w);
        while ((st = reader_next(rd, &rec)) == READER_RECORD) {
            if (writer_put_record(w, rec) != 0) {
                tu_sb_addf(&problems, "%s:%llu: writer_put_record: %s\n",
                           ss.items[i], (unsigned long long)rec->line,
                           writer_error(w));
                break;
            }
        }
        if (st == READER_END && writer_finish(w) != 0) {
            tu_sb_addf(&problems, "%s: writer_finish: %s\n", ss.items[i],
                       writer_error(w));
        }
        out_len = tu_mem_flush(&m);
        if (st == READER_END &&
            (out_len != len || memcmp(m.buf, buf, len) != 0)) {
            size_t at = 0;

            while (at < len && at < out_len && m.buf[at] == buf[at]) {
                at++;
            }
            tu_sb_addf(&problems,
                       "%s: wrote %zu bytes for %zu read, first "
                       "difference at byte %zu\n",
                       ss.items[i], out_len, len, at);
        } else if (st != READER_END) {
            tu_sb_addf(&problems, "%s: the reader did not reach the end\n",
                       ss.items[i]);
        }
        writer_free(w);
        tu_mem_close(&m);
        reader_free(rd);
        free(buf);
        layout_free(l);
        free(lpath);
    }
    paths_free(&ss);
    fail_on_problems(&problems);
}

/* A sample (under tests/data/exchanges), its layout and its clean parse. */
struct sample {
    struct layout *l;
    char *buf;
    struct tu_parse *p;
};

static void sample_open(struct sample *s, const char *rel)
{
    char dir[4096];
    char *path, *lpath;
    size_t len;

    tu_data_path(dir, sizeof dir, "exchanges");
    path = tu_asprintf("%s/%s", dir, rel);
    lpath = layout_of_sample(path);
    s->l = load_layout(lpath);
    s->buf = tu_read_file(path, &len);
    s->p = tu_parse_buf(s->l, s->buf, len);
    tu_expect_clean(s->p, s->p->n);
    free(lpath);
    free(path);
}

static void sample_close(struct sample *s)
{
    tu_parse_free(s->p);
    free(s->buf);
    layout_free(s->l);
}

/* The value of FIELD of the detail record R. */
static int64_t num_of(const struct tu_record *r, const char *field)
{
    int i = layout_field_index(r->type, field);

    assert_true(i >= 0);
    return r->values[i].num;
}

static const char *text_of(const struct tu_record *r, const char *field)
{
    int i = layout_field_index(r->type, field);

    assert_true(i >= 0);
    return r->values[i].text;
}

/* The samples keep the money rules the docs state: every reconciliation
 * row balances (opening + additions - collections + reversals -
 * adjustments = closing), and for every payment of a payer-offset file,
 * offsets + fees + released = the payment. */
static void test_samples_balance(void **state)
{
    static const char *const recon[] = {
        "common/agency-reconciliation.txt",
        "common/agency-reconciliation-csv.csv",
    };
    static const char *const offsets[] = {
        "kansas/payer-offset.txt",
        "utah/payer-offset.txt",
    };
    struct tu_sb problems = {0};

    (void)state;
    for (size_t k = 0; k < 2; k++) {
        struct sample s;

        sample_open(&s, recon[k]);
        for (size_t i = 0; i < s.p->n; i++) {
            const struct tu_record *r = &s.p->recs[i];

            if (strcmp(r->type->name, "detail") == 0 &&
                num_of(r, "opening") + num_of(r, "additions") -
                        num_of(r, "collections") + num_of(r, "reversals") -
                        num_of(r, "adjustments") !=
                    num_of(r, "closing")) {
                tu_sb_addf(&problems, "%s line %llu does not balance\n",
                           recon[k], (unsigned long long)r->line);
            }
        }
        sample_close(&s);
    }
    for (size_t k = 0; k < 2; k++) {
        struct sample s;

        sample_open(&s, offsets[k]);
        for (size_t i = 0; i < s.p->n; i++) {
            const struct tu_record *r = &s.p->recs[i];
            int64_t taken = 0;

            if (strcmp(r->type->name, "detail") != 0) {
                continue;
            }
            /* a release gives back an offset and its fee */
            if (strcmp(text_of(r, "action"), "R") == 0) {
                if (num_of(r, "released_amount") !=
                    num_of(r, "offset_amount") + num_of(r, "fee_amount")) {
                    tu_sb_addf(&problems, "%s line %llu: release unbalanced\n",
                               offsets[k], (unsigned long long)r->line);
                }
                continue;
            }
            /* every offset record of the same payment */
            for (size_t j = 0; j < s.p->n; j++) {
                const struct tu_record *q = &s.p->recs[j];

                if (q->type == r->type &&
                    strcmp(text_of(q, "action"), "R") != 0 &&
                    strcmp(text_of(q, "payment_id"),
                           text_of(r, "payment_id")) == 0) {
                    taken += num_of(q, "offset_amount") +
                             num_of(q, "fee_amount") +
                             num_of(q, "released_amount");
                }
            }
            if (taken != num_of(r, "payment_amount")) {
                tu_sb_addf(&problems,
                           "%s line %llu: payment %s: %lld accounted for, "
                           "payment %lld\n",
                           offsets[k], (unsigned long long)r->line,
                           text_of(r, "payment_id"), (long long)taken,
                           (long long)num_of(r, "payment_amount"));
            }
        }
        sample_close(&s);
    }
    fail_on_problems(&problems);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_layout_loads_and_is_named_after_its_file),
        cmocka_unit_test(test_every_layout_is_an_exchange_of_its_place),
        cmocka_unit_test(test_every_program_exchange_keeps_the_contract),
        cmocka_unit_test(test_profiles_name_these_layouts),
        cmocka_unit_test(test_no_full_tin_goes_to_an_agency),
        cmocka_unit_test(test_program_differences),
        cmocka_unit_test(test_every_layout_has_a_sample),
        cmocka_unit_test(test_every_sample_parses_cleanly),
        cmocka_unit_test(test_every_sample_writes_back_byte_for_byte),
        cmocka_unit_test(test_samples_balance),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
