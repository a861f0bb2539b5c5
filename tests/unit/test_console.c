/*
 * test_console.c - the admin console's parts that need no network:
 * HTML and JSON escaping and SSN masking (html.h), the session table
 * (session.h: random ids, idle and absolute expiry, logout, a full
 * table, the CSRF check), the checking of form fields and query values
 * (query.h, hostile input included), the self-signed certificate
 * (tlscert.h) and the audit check's verdict (pages.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "testutil.h"

#include "offsetgw/html.h"
#include "offsetgw/pages.h"
#include "offsetgw/query.h"
#include "offsetgw/session.h"
#include "offsetgw/tlscert.h"

#define NOW ((time_t)1800000000)

/* --- html ----------------------------------------------------------------- */

static void test_html_escape_neutralises_markup(void **state)
{
    (void)state;
    char out[128];
    assert_int_equal(
        html_escape("<script>alert('x')&\"</script>", out, sizeof(out)),
        (int)strlen("&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;"
                    "&lt;/script&gt;"));
    assert_string_equal(out, "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;"
                             "&lt;/script&gt;");
    assert_int_equal(html_escape("plain text", out, sizeof(out)), 10);
    assert_string_equal(out, "plain text");
    /* a control character becomes U+FFFD; the buffer bound holds */
    assert_int_equal(html_escape("a\x01"
                                 "b",
                                 out, sizeof(out)),
                     5);
    assert_string_equal(out, "a\xEF\xBF\xBD"
                             "b");
    assert_int_equal(html_escape("<<<<", out, 9), -ENOSPC);
    assert_string_equal(out, "&lt;&lt;");
    assert_int_equal(html_escape("x", out, 0), -ENOSPC);
}

static void test_html_buffer_text_and_json(void **state)
{
    (void)state;
    struct html_buf b;
    html_init(&b, 0);
    html_put(&b, "<p>");
    html_text(&b, "a&b \"q\"", false);
    html_put(&b, "</p>");
    html_json(&b, "say \"hi\"\\\n<b>", false);
    assert_string_equal(html_get(&b), "<p>a&amp;b &quot;q&quot;</p>"
                                      "\"say \\\"hi\\\"\\\\\\u000a"
                                      "\\u003cb\\u003e\"");
    html_release(&b);
}

static void test_html_masks_ssn_like_runs(void **state)
{
    (void)state;
    struct html_buf b;
    html_init(&b, 0);
    html_text(&b, "debtor 123456789 and 987-65-4321 in debts-555443333.txt",
              true);
    assert_string_equal(html_get(&b), "debtor *****6789 and *****4321 in "
                                      "debts-*****3333.txt");
    html_release(&b);
    /* ten digits, eight digits, a digest: not an SSN, or not masked */
    html_init(&b, 0);
    html_text(&b, "1234567890 12345678", true);
    html_put(&b, "|");
    html_text(&b, "ab123456789cd", false);
    html_put(&b, "|");
    html_json(&b, "ssn 123456789", true);
    assert_string_equal(html_get(&b), "1234567890 12345678|ab123456789cd|"
                                      "\"ssn *****6789\"");
    html_release(&b);
}

static void test_html_buffer_bound(void **state)
{
    (void)state;
    struct html_buf b;
    html_init(&b, 64);
    for (int i = 0; i < 100; i++)
        html_put(&b, "0123456789");
    assert_true(b.failed);
    assert_true(b.len < 64);
    html_printf(&b, "%d", 5); /* after a failure: nothing */
    assert_true(b.len < 64);
    html_release(&b);
    html_init(&b, 0);
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    html_printf(&b, "[%s]", big); /* past the small stack buffer */
    assert_int_equal(b.len, sizeof(big) + 1);
    assert_false(b.failed);
    html_release(&b);
}

/* --- sessions ------------------------------------------------------------- */

static bool hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void test_session_create_and_lookup(void **state)
{
    (void)state;
    struct session_table *t = malloc(sizeof(*t));
    struct session *a, *b;
    assert_non_null(t);
    session_table_init(t, 0, 0);
    assert_int_equal(session_create(t, "alice", NOW, &a), 0);
    assert_int_equal(session_create(t, "bob", NOW, &b), 0);
    assert_true(hex64(a->id) && hex64(a->csrf) && hex64(b->id));
    assert_string_not_equal(a->id, b->id);
    assert_string_not_equal(a->id, a->csrf);
    assert_ptr_equal(session_lookup(t, a->id, NOW + 10), a);
    assert_string_equal(session_lookup(t, b->id, NOW + 10)->admin, "bob");
    /* an unknown, short, long or altered id finds nothing */
    char other[SESSION_HEX];
    memcpy(other, a->id, sizeof(other));
    other[10] = other[10] == '0' ? '1' : '0';
    assert_null(session_lookup(t, other, NOW));
    assert_null(session_lookup(t, "", NOW));
    assert_null(session_lookup(t, NULL, NOW));
    assert_null(session_lookup(t, "abc", NOW));
    char longer[200];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_null(session_lookup(t, longer, NOW));
    free(t);
}

static void test_session_idle_and_absolute_expiry(void **state)
{
    (void)state;
    struct session_table *t = malloc(sizeof(*t));
    struct session *s;
    char id[SESSION_HEX];
    assert_non_null(t);
    session_table_init(t, 900, 8 * 3600);
    assert_int_equal(session_create(t, "alice", NOW, &s), 0);
    memcpy(id, s->id, sizeof(id));
    /* each request restarts the idle clock */
    assert_non_null(session_lookup(t, id, NOW + 899));
    assert_non_null(session_lookup(t, id, NOW + 899 + 899));
    /* idle too long: gone, and gone for good */
    assert_null(session_lookup(t, id, NOW + 899 + 899 + 900));
    assert_null(session_lookup(t, id, NOW + 899 + 899 + 1));
    /* busy all day: it still ends at the absolute limit */
    assert_int_equal(session_create(t, "alice", NOW, &s), 0);
    memcpy(id, s->id, sizeof(id));
    time_t at = NOW;
    for (; at < NOW + 8 * 3600; at += 600)
        assert_non_null(session_lookup(t, id, at));
    assert_non_null(session_lookup(t, id, NOW + 8 * 3600 - 1));
    assert_null(session_lookup(t, id, NOW + 8 * 3600));
    free(t);
}

static void test_session_logout_ends_it(void **state)
{
    (void)state;
    struct session_table *t = malloc(sizeof(*t));
    struct session *s;
    char id[SESSION_HEX], csrf[SESSION_HEX];
    assert_non_null(t);
    session_table_init(t, 0, 0);
    assert_int_equal(session_create(t, "alice", NOW, &s), 0);
    memcpy(id, s->id, sizeof(id));
    memcpy(csrf, s->csrf, sizeof(csrf));
    session_end(t, s);
    assert_null(session_lookup(t, id, NOW + 1));
    assert_false(session_csrf_ok(s, csrf));
    free(t);
}

static void test_session_full_table_drops_least_recent(void **state)
{
    (void)state;
    struct session_table *t = malloc(sizeof(*t));
    struct session *s;
    char first[SESSION_HEX], second[SESSION_HEX];
    assert_non_null(t);
    session_table_init(t, 0, 0);
    for (int i = 0; i < SESSION_MAX; i++) {
        assert_int_equal(session_create(t, "alice", NOW + i, &s), 0);
        if (i == 0)
            memcpy(first, s->id, sizeof(first));
        if (i == 1)
            memcpy(second, s->id, sizeof(second));
    }
    assert_non_null(session_lookup(t, first, NOW + SESSION_MAX));
    assert_int_equal(session_create(t, "bob", NOW + SESSION_MAX, &s), 0);
    assert_non_null(session_lookup(t, first, NOW + SESSION_MAX));
    assert_null(session_lookup(t, second, NOW + SESSION_MAX)); /* dropped */
    free(t);
}

static void test_session_csrf_check(void **state)
{
    (void)state;
    struct session_table *t = malloc(sizeof(*t));
    struct session *s, *other;
    assert_non_null(t);
    session_table_init(t, 0, 0);
    assert_int_equal(session_create(t, "alice", NOW, &s), 0);
    assert_int_equal(session_create(t, "bob", NOW, &other), 0);
    assert_true(session_csrf_ok(s, s->csrf));
    assert_false(session_csrf_ok(s, other->csrf));
    assert_false(session_csrf_ok(s, s->id));
    assert_false(session_csrf_ok(s, NULL));
    assert_false(session_csrf_ok(s, ""));
    char cut[SESSION_HEX];
    memcpy(cut, s->csrf, sizeof(cut));
    cut[63] = '\0';
    assert_false(session_csrf_ok(s, cut));
    cut[63] = s->csrf[63] == 'a' ? 'b' : 'a';
    assert_false(session_csrf_ok(s, cut));
    assert_false(session_csrf_ok(NULL, s->csrf));
    assert_true(session_equal("abc", "abc"));
    assert_false(session_equal("abc", "abd"));
    assert_false(session_equal("abc", "abcd"));
    assert_false(session_equal("", ""));
    free(t);
}

/* --- query values --------------------------------------------------------- */

static void test_query_form_fields(void **state)
{
    (void)state;
    static const char body[] =
        "name=alice&password=p%40ss+word%21&csrf=abc&name=mallory&empty=";
    char out[32];
    size_t n = strlen(body);
    assert_int_equal(query_form_get(body, n, "name", out, sizeof(out)), 0);
    assert_string_equal(out, "alice");
    assert_int_equal(query_form_get(body, n, "password", out, sizeof(out)), 0);
    assert_string_equal(out, "p@ss word!");
    assert_int_equal(query_form_get(body, n, "empty", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(query_form_get(body, n, "nope", out, sizeof(out)),
                     -ENOENT);
    assert_int_equal(query_form_get(body, n, "pass", out, sizeof(out)),
                     -ENOENT);
    assert_int_equal(query_form_get(body, n, "password", out, 5), -ENOSPC);
    /* the length given is the bound: nothing past it is read */
    assert_int_equal(query_form_get(body, 9, "name", out, sizeof(out)), 0);
    assert_string_equal(out, "alic");
}

static void test_query_form_hostile_input(void **state)
{
    (void)state;
    char out[16];
    static const char *const bad[] = {"a=%",   "a=%4",   "a=%zz",
                                      "a=%0a", "a=%00x", "a=%7F",
                                      "a=x%2", "a=%g0",  "a=\x01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(
            query_form_get(bad[i], strlen(bad[i]), "a", out, sizeof(out)),
            -EINVAL);
    assert_int_equal(query_form_get("", 0, "a", out, sizeof(out)), -ENOENT);
    assert_int_equal(query_form_get("&&&=&", 5, "a", out, sizeof(out)),
                     -ENOENT);
    assert_int_equal(query_form_get("=x", 2, "", out, sizeof(out)), 0);
    /* random bytes never crash it nor overrun OUT */
    unsigned seed = 12345;
    char body[256];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand_r(&seed) % sizeof(body));
        for (size_t i = 0; i < n; i++) {
            static const char pick[] = "a=&%+0123456789abcdefXYZ\x01\xff";
            body[i] = pick[rand_r(&seed) % (sizeof(pick) - 1)];
        }
        char small[4];
        int rc = query_form_get(body, n, "a", small, sizeof(small));
        assert_true(rc == 0 || rc == -ENOENT || rc == -EINVAL || rc == -ENOSPC);
        if (rc == 0)
            assert_true(strlen(small) < sizeof(small));
    }
}

static void test_query_page_and_id(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_int_equal(query_page(NULL, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(query_page("", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(query_page("7", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(query_page("100000", &v), 0);
    static const char *const bad[] = {
        "0",    "-1",    "100001",
        "1e3",  " 1",    "1 ",
        "0x10", "+2",    "99999999999999999999999",
        "abc",  "2;drop"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(query_page(bad[i], &v), -EINVAL);
    assert_int_equal(query_id("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(query_id("42/x", &v), -EINVAL);
    assert_int_equal(query_id("", &v), -EINVAL);
    assert_int_equal(query_id(NULL, &v), -EINVAL);
    assert_int_equal(query_id("9999999999999999999", &v), -EINVAL);
}

static void test_query_day_and_status(void **state)
{
    (void)state;
    char day[11];
    enum query_status st;
    assert_int_equal(query_day("2026-11-26", day), 0);
    assert_string_equal(day, "2026-11-26");
    assert_int_equal(query_day("2028-02-29", day), 0);
    assert_int_equal(query_day(NULL, day), 0);
    assert_string_equal(day, "");
    static const char *const bad[] = {
        "2026-02-29", "2026-13-01",  "2026-00-10", "2026-04-31", "26-11-26",
        "2026/11/26", "2026-11-26T", "2026-1-026", "' OR 1=1--"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(query_day(bad[i], day), -EINVAL);
    assert_int_equal(query_status(NULL, &st), 0);
    assert_int_equal(st, QUERY_ALL);
    assert_int_equal(query_status("failed", &st), 0);
    assert_int_equal(st, QUERY_FAILED);
    assert_int_equal(query_status("ok", &st), 0);
    assert_int_equal(st, QUERY_OK);
    assert_int_equal(query_status("OK", &st), -EINVAL);
    assert_int_equal(query_status("failed ", &st), -EINVAL);
}

/* --- the certificate and the audit check ---------------------------------- */

static void test_tlscert_made_once_key_private(void **state)
{
    (void)state;
    char dir[] = "/tmp/og-console-XXXXXX", fp[TLSCERT_FP_MAX],
         fp2[TLSCERT_FP_MAX], err[256], path[128];
    static char crt[TLSCERT_PEM_MAX], key[TLSCERT_PEM_MAX];
    bool created;
    struct stat st;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(
        tlscert_ensure(dir, &created, fp, sizeof(fp), err, sizeof(err)), 0);
    assert_true(created);
    assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
    assert_int_equal(strlen(fp), 7 + 64);
    snprintf(path, sizeof(path), "%s/console.key", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* again: kept, same fingerprint */
    assert_int_equal(
        tlscert_ensure(dir, &created, fp2, sizeof(fp2), err, sizeof(err)), 0);
    assert_false(created);
    assert_string_equal(fp, fp2);
    assert_int_equal(tlscert_load(dir, crt, key, err, sizeof(err)), 0);
    assert_non_null(strstr(crt, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(key, "PRIVATE KEY"));
    /* a key readable by others is refused */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(tlscert_load(dir, crt, key, err, sizeof(err)), -EPERM);
    /* a certificate without its key is an error, not replaced */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(
        tlscert_ensure(dir, &created, fp2, sizeof(fp2), err, sizeof(err)),
        -ENOENT);
    assert_false(created);
    /* the certificate read as a client's: the same fingerprint, from the
     * PEM and from its DER; a key file is no certificate */
    snprintf(path, sizeof(path), "%s/console.crt", dir);
    static char pem[TLSCERT_PEM_MAX];
    assert_int_equal(tlscert_client_read(path, pem, fp2, err, sizeof(err)), 0);
    assert_string_equal(fp, fp2);
    assert_non_null(strstr(pem, "BEGIN CERTIFICATE"));
    unsigned char der[4096];
    size_t der_len = 0;
    gnutls_datum_t in = {(unsigned char *)pem, (unsigned)strlen(pem)};
    gnutls_datum_t out = {NULL, 0};
    assert_int_equal(gnutls_pem_base64_decode2("CERTIFICATE", &in, &out), 0);
    assert_true(out.size <= sizeof(der));
    memcpy(der, out.data, out.size);
    der_len = out.size;
    gnutls_free(out.data);
    assert_int_equal(tlscert_fingerprint_der(der, der_len, fp2), 0);
    assert_string_equal(fp, fp2);
    der[der_len / 2] ^= 0xff;
    assert_true(tlscert_fingerprint_der(der, der_len, fp2) < 0 ||
                strcmp(fp, fp2) != 0);
    assert_int_equal(
        tlscert_client_read("/nonexistent/x.crt", pem, fp2, err, sizeof(err)),
        -ENOENT);
    assert_non_null(strstr(err, "x.crt"));
    unlink(path);
    rmdir(dir);
}

static void write_check(const char *root, const char *line)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/var/audit.check", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(line, f);
    fclose(f);
}

static void test_audit_check_verdicts(void **state)
{
    (void)state;
    char dir[] = "/tmp/og-console-XXXXXX", var[64], what[400];
    struct home h;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(home_init(&h, dir), 0);
    snprintf(var, sizeof(var), "%s/var", dir);
    assert_int_equal(mkdir(var, 0700), 0);
    time_t at = 1800000000; /* 2027-01-15T08:00:00Z */
    assert_false(pages_audit_check(&h, at, what, sizeof(what)));
    assert_non_null(strstr(what, "missing"));
    write_check(dir, "2027-01-15T08:00:00Z ok rows 12 broken 0 \n");
    assert_true(pages_audit_check(&h, at + 3600, what, sizeof(what)));
    /* older than two days: a failure */
    assert_false(pages_audit_check(&h, at + 3 * 86400, what, sizeof(what)));
    assert_non_null(strstr(what, "stale"));
    write_check(dir, "2027-01-15T08:00:00Z broken rows 12 broken 7 mac\n");
    assert_false(pages_audit_check(&h, at + 60, what, sizeof(what)));
    write_check(dir, "garbage\n");
    assert_false(pages_audit_check(&h, at, what, sizeof(what)));
    char path[128];
    snprintf(path, sizeof(path), "%s/audit.check", var);
    unlink(path);
    rmdir(var);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escape_neutralises_markup),
        cmocka_unit_test(test_html_buffer_text_and_json),
        cmocka_unit_test(test_html_masks_ssn_like_runs),
        cmocka_unit_test(test_html_buffer_bound),
        cmocka_unit_test(test_session_create_and_lookup),
        cmocka_unit_test(test_session_idle_and_absolute_expiry),
        cmocka_unit_test(test_session_logout_ends_it),
        cmocka_unit_test(test_session_full_table_drops_least_recent),
        cmocka_unit_test(test_session_csrf_check),
        cmocka_unit_test(test_query_form_fields),
        cmocka_unit_test(test_query_form_hostile_input),
        cmocka_unit_test(test_query_page_and_id),
        cmocka_unit_test(test_query_day_and_status),
        cmocka_unit_test(test_tlscert_made_once_key_private),
        cmocka_unit_test(test_audit_check_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
