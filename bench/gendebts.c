/*
 * gendebts.c - make a debt250 benchmark file (bench/debt250.xml).
 *
 * Usage: gendebts N SEED > file
 *
 * Writes one header, N detail records and a trailer whose detail count and
 * amount total are right, every line exactly 250 bytes plus LF.  The output
 * depends only on N and SEED.  About 2% of the details are invalid in a way
 * that both offsetgw and bench/debtcsv.cob reject: an SSN the SSA never
 * issues or with a non-digit, an amount below the 10.00 minimum, or an
 * impossible date.  Amounts are always all digits, so the trailer total is
 * the exact sum of every detail's amount, rejected ones included (the
 * layout engine sums every amount it could read).
 *
 * Plain C, no dependencies: cc -O2 -o gendebts gendebts.c
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECLEN 250

static uint64_t rng_state;

/* splitmix64: small, fast, and the same everywhere */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in [0, n) (the bias is irrelevant here) */
static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

#define PICK(arr) (arr[below(sizeof(arr) / sizeof(arr[0]))])

static const char *const last_names[] = {
    "SMITH",      "JOHNSON",      "WILLIAMS",    "BROWN",
    "JONES",      "GARCIA",       "MILLER",      "DAVIS",
    "RODRIGUEZ",  "MARTINEZ",     "HERNANDEZ",   "LOPEZ",
    "GONZALEZ",   "WILSON",       "ANDERSON",    "THOMAS",
    "TAYLOR",     "MOORE",        "JACKSON",     "MARTIN",
    "LEE",        "PEREZ",        "THOMPSON",    "WHITE",
    "HARRIS",     "SANCHEZ",      "CLARK",       "RAMIREZ",
    "LEWIS",      "ROBINSON",     "WALKER",      "YOUNG",
    "ALLEN",      "KING",         "WRIGHT",      "SCOTT",
    "TORRES",     "NGUYEN",       "HILL",        "FLORES",
    "GREEN",      "O'BRIEN",      "SMITH-JONES", "ST. JOHN",
    "MCDONALD",   "VAN DER BERG", "DE LA CRUZ",  "O'CONNOR-WHITFIELD",
    "FITZGERALD", "WASHINGTON",
};
static const char *const first_names[] = {
    "JAMES",       "MARY",     "ROBERT",     "PATRICIA", "JOHN",
    "JENNIFER",    "MICHAEL",  "LINDA",      "DAVID",    "ELIZABETH",
    "WILLIAM",     "BARBARA",  "RICHARD",    "SUSAN",    "JOSEPH",
    "JESSICA",     "THOMAS",   "SARAH",      "CHARLES",  "KAREN",
    "MARIA",       "JOSE",     "ANNE-MARIE", "D'ANDRE",  "JEAN-LUC",
    "CHRISTOPHER", "MARGARET", "ALEXANDRIA", "LUIS",     "MEI",
};
static const char *const suffixes[] = {"JR", "SR", "II", "III", "IV"};
static const char *const street_names[] = {
    "MAIN",
    "OAK",
    "PINE",
    "MAPLE",
    "CEDAR",
    "ELM",
    "WASHINGTON",
    "LAKE",
    "HILL",
    "PARK",
    "MARTIN LUTHER KING JR",
    "FIRST",
    "SECOND",
    "THIRD",
    "SUNSET",
    "RIVERSIDE",
    "CHURCH",
    "MILL",
    "HIGHLAND",
    "JEFFERSON",
};
static const char *const street_kinds[] = {"ST", "AVE", "RD",  "BLVD", "LN",
                                           "DR", "CT",  "WAY", "PL",   "HWY"};
static const char *const cities[] = {
    "SPRINGFIELD", "RIVERSIDE",        "FRANKLIN",        "GREENVILLE",
    "BRISTOL",     "CLINTON",          "FAIRVIEW",        "SALEM",
    "MADISON",     "GEORGETOWN",       "ARLINGTON",       "ASHLAND",
    "BURLINGTON",  "MANCHESTER",       "OXFORD",          "CLAYTON",
    "JACKSON",     "MILTON",           "AUBURN",          "DAYTON",
    "LEXINGTON",   "SAINT PETERSBURG", "WEST PALM BEACH", "NORTH LITTLE ROCK",
};
/* state with a ZIP prefix range (first three digits) */
static const struct {
    const char *st;
    int zlo, zhi;
} states[] = {
    {"MA", 10, 27},   {"NH", 30, 38},   {"NJ", 70, 89},   {"NY", 100, 149},
    {"PA", 150, 196}, {"VA", 220, 246}, {"NC", 270, 289}, {"GA", 300, 319},
    {"FL", 320, 349}, {"OH", 430, 459}, {"MI", 480, 499}, {"IL", 600, 629},
    {"TX", 750, 799}, {"CO", 800, 816}, {"AZ", 850, 865}, {"CA", 900, 961},
    {"WA", 980, 994},
};
static const char *const agencies[] = {"DOR01", "CSE02", "DOL07",
                                       "HEA11", "DMV03", "UCOMP"};
static const char *const debt_types[] = {"TX", "CS", "UI", "SL", "MV", "OT"};
static const char actions[] = {'A', 'A', 'A', 'A', 'A', 'A', 'C', 'C', 'Z'};

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Put S left-justified in REC at 1-based START (REC is pre-filled with
 * spaces). */
static void put(char *rec, int start, const char *s)
{
    memcpy(rec + start - 1, s, strlen(s));
}

/* Put V right-justified, zero-filled, in LEN bytes at START. */
static void put_num(char *rec, int start, int len, uint64_t v)
{
    for (int i = start - 1 + len - 1; i >= start - 1; i--) {
        rec[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static void put_date(char *rec, int start, int y, int m, int d)
{
    put_num(rec, start, 4, (uint64_t)y);
    put_num(rec, start + 4, 2, (uint64_t)m);
    put_num(rec, start + 6, 2, (uint64_t)d);
}

/* a valid date between years LO and HI; a leap day now and then */
static void put_valid_date(char *rec, int start, int lo, int hi)
{
    if (below(200) == 0) {
        static const int leap[] = {1996, 2000, 2004, 2008,
                                   2012, 2016, 2020, 2024};
        put_date(rec, start, PICK(leap), 2, 29);
        return;
    }
    int y = lo + (int)below((uint32_t)(hi - lo + 1));
    int m = 1 + (int)below(12);
    int d = 1 + (int)below((uint32_t)days_in_month(y, m));
    put_date(rec, start, y, m, d);
}

static void put_bad_date(char *rec, int start)
{
    static const char *const bad[] = {
        "20230230", "20230431", "20230229", "19000229", "20211301", "20220000",
        "20220100", "20220632", "20210931", "21000229", "2022O315", "20220 15",
    };
    put(rec, start, PICK(bad));
}

enum bad_kind {
    BAD_NONE,
    BAD_SSN_AREA000,
    BAD_SSN_AREA666,
    BAD_SSN_AREA9XX,
    BAD_SSN_GROUP00,
    BAD_SSN_SERIAL0000,
    BAD_SSN_NONDIGIT,
    BAD_AMOUNT_LOW,
    BAD_AMOUNT_ZERO,
    BAD_DEBT_DATE,
    BAD_NOTICE_DATE,
    BAD_COUNT_
};

static uint64_t make_detail(char *rec, enum bad_kind bad)
{
    memset(rec, ' ', RECLEN);
    rec[0] = '2';
    put(rec, 2, PICK(agencies));

    /* account: two letters and a number */
    char acct[21];
    snprintf(acct, sizeof acct, "%c%c%010" PRIu64 "-%02u",
             'A' + (char)below(26), 'A' + (char)below(26),
             (uint64_t)(rnd() % 10000000000ULL), below(100));
    put(rec, 7, acct);
    rec[26] = PICK(actions);

    /* SSN: area 001-899 but 666, group 01-99, serial 0001-9999 */
    unsigned area, group = 1 + below(99), serial = 1 + below(9999);
    do
        area = 1 + below(899);
    while (area == 666);
    switch (bad) {
    case BAD_SSN_AREA000:
        area = 0;
        break;
    case BAD_SSN_AREA666:
        area = 666;
        break;
    case BAD_SSN_AREA9XX:
        area = 900 + below(100);
        break;
    case BAD_SSN_GROUP00:
        group = 0;
        break;
    case BAD_SSN_SERIAL0000:
        serial = 0;
        break;
    default:
        break;
    }
    put_num(rec, 28, 3, area);
    put_num(rec, 31, 2, group);
    put_num(rec, 33, 4, serial);
    if (bad == BAD_SSN_NONDIGIT) {
        static const char junk[] = {'A', 'O', 'X', ' ', '-', '/'};
        rec[27 + below(9)] = PICK(junk);
    }

    put(rec, 37, PICK(last_names));
    if (below(50) != 0)
        put(rec, 67, PICK(first_names));
    if (below(3) != 0)
        rec[86] = (char)('A' + below(26));
    if (below(20) == 0)
        put(rec, 88, PICK(suffixes));

    char street[41];
    unsigned house = 1 + below(below(10) == 0 ? 99999 : 9999);
    if (below(4) == 0)
        snprintf(street, sizeof street, "%u %s %s APT %u%c", house,
                 PICK(street_names), PICK(street_kinds), 1 + below(40),
                 'A' + (char)below(6));
    else
        snprintf(street, sizeof street, "%u %s %s", house, PICK(street_names),
                 PICK(street_kinds));
    put(rec, 91, street);
    put(rec, 131, PICK(cities));

    unsigned si = below(sizeof states / sizeof states[0]);
    put(rec, 156, states[si].st);
    unsigned prefix = (unsigned)states[si].zlo +
                      below((unsigned)(states[si].zhi - states[si].zlo + 1));
    put_num(rec, 158, 5, prefix * 100 + below(100));

    /* amount in cents: mostly tens to thousands of dollars, a few big */
    uint64_t cents;
    switch (below(10)) {
    case 0:
        cents = 1000 + below(9000);
        break; /* 10.00-99.99 */
    case 9:
        cents = 100000 + rnd() % 9900000ULL;
        break; /* to 99999.99 */
    default:
        cents = 1000 + below(499000);
        break; /* to 4999.99 */
    }
    if (bad == BAD_AMOUNT_LOW)
        cents = 1 + below(999); /* 0.01-9.99 */
    else if (bad == BAD_AMOUNT_ZERO)
        cents = 0; /* all zeros: blank, and required */
    put_num(rec, 163, 11, cents);

    if (bad == BAD_DEBT_DATE)
        put_bad_date(rec, 174);
    else
        put_valid_date(rec, 174, 1995, 2024);
    if (bad == BAD_NOTICE_DATE)
        put_bad_date(rec, 182);
    else if (below(8) != 0)
        put_valid_date(rec, 182, 2020, 2025);
    /* else: no notice yet, blank (spaces) */

    put(rec, 190, PICK(debt_types));
    return cents;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gendebts N SEED > file\n");
        return 2;
    }
    char *end;
    unsigned long long n = strtoull(argv[1], &end, 10);
    if (*end || end == argv[1]) {
        fprintf(stderr, "gendebts: bad N '%s'\n", argv[1]);
        return 2;
    }
    unsigned long long seed = strtoull(argv[2], &end, 10);
    if (*end || end == argv[2]) {
        fprintf(stderr, "gendebts: bad SEED '%s'\n", argv[2]);
        return 2;
    }
    rng_state = seed * 0x2545F4914F6CDD1DULL + 1;

    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    char rec[RECLEN + 1];
    rec[RECLEN] = '\n';

    memset(rec, ' ', RECLEN);
    rec[0] = '1';
    put(rec, 2, "STATE042");
    put(rec, 10, "20251126");
    fwrite(rec, 1, RECLEN + 1, stdout);

    uint64_t sum = 0;
    for (unsigned long long i = 0; i < n; i++) {
        enum bad_kind bad = BAD_NONE;
        if (below(50) == 0) /* 2% */
            bad = (enum bad_kind)(1 + below(BAD_COUNT_ - 1));
        sum += make_detail(rec, bad);
        fwrite(rec, 1, RECLEN + 1, stdout);
    }

    memset(rec, ' ', RECLEN);
    rec[0] = '9';
    put_num(rec, 2, 9, n);
    put_num(rec, 11, 15, sum);
    fwrite(rec, 1, RECLEN + 1, stdout);

    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("gendebts: write");
        return 1;
    }
    return 0;
}
