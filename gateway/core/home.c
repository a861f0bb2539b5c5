/*
 * home.c - the gateway home's folders and paths (see home.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "offsetgw/home.h"

static int join(char *buf, size_t size, const char *a, const char *b)
{
    int n = snprintf(buf, size, "%s/%s", a, b);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int home_init(struct home *h, const char *dir)
{
    int n = snprintf(h->root, sizeof(h->root), "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof(h->root))
        return -ENAMETOOLONG;
    /* "home/" and "home" are the same home */
    while (n > 1 && h->root[n - 1] == '/')
        h->root[--n] = '\0';
    if (join(h->db, sizeof(h->db), h->root, "var/offsetgw.db") < 0 ||
        join(h->spool, sizeof(h->spool), h->root, "var/spool") < 0 ||
        join(h->keys, sizeof(h->keys), h->root, "keys") < 0)
        return -ENAMETOOLONG;
    return 0;
}

/* mkdir that accepts an existing folder (but not a file or a link). */
static int make_dir(const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (mkdir(path, 0700) == 0)
        return 0;
    if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    int e = errno == EEXIST ? ENOTDIR : errno;
    snprintf(err, err_size, "cannot create '%s': %s", path, strerror(e));
    return -e;
}

int home_create(const struct home *h, char *err, size_t err_size)
{
    char var[HOME_PATH_MAX];
    int rc;
    if (join(var, sizeof(var), h->root, "var") < 0)
        return -ENAMETOOLONG;
    if ((rc = make_dir(h->root, err, err_size)) < 0 ||
        (rc = make_dir(var, err, err_size)) < 0 ||
        (rc = make_dir(h->spool, err, err_size)) < 0 ||
        (rc = make_dir(h->keys, err, err_size)) < 0)
        return rc;
    return 0;
}

int home_open_store(const struct home *h, struct store **out, char *err,
                    size_t err_size)
{
    return home_open_store_with(h, 0, out, err, err_size);
}

int home_open_store_with(const struct home *h, unsigned flags,
                         struct store **out, char *err, size_t err_size)
{
    struct aead_key master;
    char why[HOME_PATH_MAX + 128];
    *out = NULL;
    /* the registry's TIN keys are wrapped by it: a home from before the
     * master key gets one here, and a registry keyed by another refuses
     * to open (store_open_keyed) */
    int rc = home_master_key(h, true, &master, why, sizeof(why));
    if (rc < 0) {
        snprintf(err, err_size, "master key: %s", why);
        return rc;
    }
    rc = store_open_keyed(h->db, flags, &master, out, err, err_size);
    aead_key_wipe(&master);
    return rc;
}

bool home_partner_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 32 || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return false;
    }
    return true;
}

int home_box_path(const struct home *h, const char *partner, const char *box,
                  char *buf, size_t size)
{
    if (!home_partner_name_ok(partner))
        return -EINVAL;
    int n = snprintf(buf, size, "%s/%s/%s", h->spool, partner, box);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int home_create_partner(const struct home *h, const char *partner, char *err,
                        size_t err_size)
{
    char dir[HOME_PATH_MAX];
    static const char *const boxes[] = {"inbox", "outbox", "outbox/.tmp",
                                        "received"};
    int rc;
    if (!home_partner_name_ok(partner)) {
        snprintf(err, err_size,
                 "'%s' cannot be a partner name: use 1-32 of a-z, 0-9, - "
                 "and _",
                 partner);
        return -EINVAL;
    }
    if (join(dir, sizeof(dir), h->spool, partner) < 0)
        return -ENAMETOOLONG;
    if ((rc = make_dir(dir, err, err_size)) < 0)
        return rc;
    for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
        if (home_box_path(h, partner, boxes[i], dir, sizeof(dir)) < 0)
            return -ENAMETOOLONG;
        if ((rc = make_dir(dir, err, err_size)) < 0)
            return rc;
    }
    return 0;
}

int home_master_key(const struct home *h, bool create, struct aead_key *k,
                    char *err, size_t err_size)
{
    char path[HOME_PATH_MAX + 16];
    if (join(path, sizeof(path), h->keys, "master.key") < 0)
        return -ENAMETOOLONG;
    int rc = create ? aead_master_ensure(path, k) : aead_master_load(path, k);
    if (rc == -EPERM)
        snprintf(err, err_size, "%s: readable by others: chmod 600 it", path);
    else if (rc == -EINVAL)
        snprintf(err, err_size, "%s: not a %d-byte key file", path,
                 AEAD_KEY_SIZE);
    else if (rc < 0)
        snprintf(err, err_size, "%s: %s", path, strerror(-rc));
    return rc;
}

int home_spool_plain(const struct home *h)
{
    char path[HOME_PATH_MAX + 16];
    struct stat st;
    if (join(path, sizeof(path), h->keys, "spool.plain") < 0)
        return -ENAMETOOLONG;
    if (lstat(path, &st) == 0)
        return 1;
    return errno == ENOENT ? 0 : -errno;
}

int home_set_spool_plain(const struct home *h, char *err, size_t err_size)
{
    char path[HOME_PATH_MAX + 16];
    if (join(path, sizeof(path), h->keys, "spool.plain") < 0)
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "wx");
    if (f == NULL && errno == EEXIST)
        return 0;
    if (f == NULL ||
        fputs("spool files are written plain (offsetgw init "
              "--plain-spool); remove this file to encrypt "
              "new ones\n",
              f) < 0 ||
        fclose(f) != 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -EIO;
    }
    return 0;
}
