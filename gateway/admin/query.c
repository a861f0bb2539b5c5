/*
 * query.c - form fields and query values of the admin console, checked
 * (query.h).
 */
#include <errno.h>
#include <string.h>

#include <stdbool.h>
#include "offsetgw/query.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* P[0..N) decoded into OUT (SIZE bytes). */
static int decode(const char *p, size_t n, char *out, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return -ENOSPC;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '+')
            c = ' ';
        else if (c == '%') {
            if (n - i < 3)
                return -EINVAL;
            int hi = hex_value(p[i + 1]), lo = hex_value(p[i + 2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f)
            return -EINVAL;
        if (len + 1 >= size)
            return -ENOSPC;
        out[len++] = (char)c;
    }
    out[len] = '\0';
    return 0;
}

int query_form_get(const char *body, size_t len, const char *name, char *out,
                   size_t size)
{
    size_t name_len = strlen(name);
    size_t i = 0;
    if (size > 0)
        out[0] = '\0';
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        const char *eq = memchr(body + i, '=', end - i);
        if (eq != NULL && (size_t)(eq - (body + i)) == name_len &&
            memcmp(body + i, name, name_len) == 0)
            return decode(eq + 1, (size_t)(body + end - (eq + 1)), out, size);
        i = end + 1;
    }
    return -ENOENT;
}

/* Decimal digits only, 1 to MAX. */
static int whole(const char *text, int64_t max, int64_t *out)
{
    int64_t v = 0;
    size_t n = 0;
    if (text == NULL)
        return -EINVAL;
    for (; text[n] != '\0'; n++) {
        if (text[n] < '0' || text[n] > '9' || n >= 18)
            return -EINVAL;
        v = v * 10 + (text[n] - '0');
    }
    if (n == 0 || v < 1 || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int query_page(const char *text, int64_t *page)
{
    if (text == NULL || text[0] == '\0') {
        *page = 1;
        return 0;
    }
    return whole(text, QUERY_PAGE_MAX, page);
}

int query_id(const char *text, int64_t *id)
{
    return whole(text, (int64_t)1 << 53, id);
}

int query_day(const char *text, char out[11])
{
    static const char shape[] = "dddd-dd-dd";
    out[0] = '\0';
    if (text == NULL || text[0] == '\0')
        return 0;
    if (strlen(text) != 10)
        return -EINVAL;
    for (size_t i = 0; i < 10; i++)
        if (shape[i] == 'd' ? text[i] < '0' || text[i] > '9' : text[i] != '-')
            return -EINVAL;
    int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 +
            (text[2] - '0') * 10 + (text[3] - '0');
    int m = (text[5] - '0') * 10 + (text[6] - '0');
    int d = (text[8] - '0') * 10 + (text[9] - '0');
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days[m - 1] ||
        (m == 2 && d == 29 && !leap))
        return -EINVAL;
    memcpy(out, text, 11);
    return 0;
}

int query_status(const char *text, enum query_status *out)
{
    if (text == NULL || text[0] == '\0' || strcmp(text, "all") == 0)
        *out = QUERY_ALL;
    else if (strcmp(text, "ok") == 0)
        *out = QUERY_OK;
    else if (strcmp(text, "failed") == 0)
        *out = QUERY_FAILED;
    else
        return -EINVAL;
    return 0;
}
