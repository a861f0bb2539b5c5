/*
 * durable.h - making a new or renamed name in a folder durable: fsync of
 * the folder itself (through failpoint.h, so the fault walks reach it).
 * Used wherever a file is created or renamed into place (outbox, aead
 * key and re-wrapped files, key rotation, backups).
 */
#ifndef OFFSETGW_DURABLE_H
#define OFFSETGW_DURABLE_H

/* fsync the folder DIR.  0 or a negative errno. */
int durable_dir(const char *dir);

/* fsync the folder holding PATH ("." for a bare name).  0, -ENAMETOOLONG
 * or a negative errno. */
int durable_parent(const char *path);

#endif
