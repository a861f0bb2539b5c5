/*
 * fuzz_jail.c - fuzz target: the SFTP path canonicaliser (jail.h).  The
 * input is a client's path.  A path that resolves must name a place of
 * the jail: an area, a name with no '/', no control byte and no leading
 * '.', and a canonical form that resolves to itself.
 */
#include <string.h>

#include "fuzzutil.h"
#include "offsetgw/jail.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jail_path p, again;
    int rc = jail_resolve((const char *)data, size, &p);
    if (rc != 0) {
        if (rc != -ENAMETOOLONG && rc != -EINVAL && rc != -EACCES &&
            rc != -ENOENT)
            abort();
        return 0;
    }
    size_t name_len = strnlen(p.name, sizeof p.name);
    size_t canon_len = strnlen(p.canon, sizeof p.canon);
    if (name_len == sizeof p.name || canon_len == sizeof p.canon)
        abort(); /* both NUL-terminated */
    if (p.area != JAIL_ROOT && p.area != JAIL_INBOX && p.area != JAIL_OUTBOX)
        abort();
    if (p.area == JAIL_ROOT && (name_len != 0 || strcmp(p.canon, "/") != 0))
        abort();
    if (name_len > 0 && (p.name[0] == '.' || strchr(p.name, '/') != NULL))
        abort();
    for (size_t i = 0; i < name_len; i++)
        if ((unsigned char)p.name[i] < 0x20 || p.name[i] == 0x7f)
            abort();
    /* the canonical path is a fixed point */
    if (jail_resolve(p.canon, canon_len, &again) != 0 || again.area != p.area ||
        strcmp(again.name, p.name) != 0 || strcmp(again.canon, p.canon) != 0)
        abort();
    for (int op = JAIL_LIST; op <= JAIL_SET_TIMES; op++)
        (void)jail_allows(&p, op);
    return 0;
}
