/*
 * durable.c - fsync of a folder, so that a name made in it survives a
 * crash (see durable.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "offsetgw/durable.h"
#include "offsetgw/failpoint.h"

int durable_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = failpoint_fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int durable_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return durable_dir(".");
    if (slash == path)
        return durable_dir("/");
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir)
        return -ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return durable_dir(dir);
}
