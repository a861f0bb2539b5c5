/*
 * home.h - a gateway home: the folder one gateway runs from.
 *
 * Owns the home's layout on disk and nothing else:
 *   HOME/var/offsetgw.db                 the registry (store.h)
 *   HOME/var/spool/PARTNER/inbox/        what a partner sends
 *   HOME/var/spool/PARTNER/outbox/       what the gateway leaves for it
 *   HOME/var/spool/PARTNER/outbox/.tmp/  outputs being written
 *   HOME/var/spool/PARTNER/received/     finished uploads, out of the
 *                                        partner's reach (pipeline.h)
 *   HOME/keys/                           host, partner and data keys
 *   HOME/keys/master.key                 the master key for data at rest
 *                                        (aead.h), made by `offsetgw init`
 *   HOME/keys/spool.plain                present: spool files are written
 *                                        plain (vault.h; `init --plain-spool`)
 * Every folder is created 0700.  Partner names become folder names, so
 * they are checked here: 1-32 of a-z, 0-9, '-' and '_', not starting
 * with '-'.
 */
#ifndef OFFSETGW_HOME_H
#define OFFSETGW_HOME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "offsetgw/aead.h"
#include "offsetgw/store.h"

#define HOME_PATH_MAX 1024

struct home {
    char root[HOME_PATH_MAX];
    char db[HOME_PATH_MAX];
    char spool[HOME_PATH_MAX];
    char keys[HOME_PATH_MAX];
};

/* Fill H with the paths of the home at DIR (nothing is touched on disk).
 * -ENAMETOOLONG when a path would not fit. */
int home_init(struct home *h, const char *dir);

/* Create the home's folders (existing ones are fine).  0, or negative
 * with ERR. */
int home_create(const struct home *h, char *err, size_t err_size);

/* Open the home's registry with the home's master key (made first when
 * the home has none); see store_open_keyed().  The _with form takes
 * store_open_with()'s FLAGS. */
int home_open_store(const struct home *h, struct store **out, char *err,
                    size_t err_size);
int home_open_store_with(const struct home *h, unsigned flags,
                         struct store **out, char *err, size_t err_size);

/* true for a name that may be a partner's (see above). */
bool home_partner_name_ok(const char *name);

/* BOX is "inbox", "outbox", "outbox/.tmp" or "received": its path for PARTNER
 * into BUF.  -EINVAL for a bad name, -ENAMETOOLONG when it does not fit. */
int home_box_path(const struct home *h, const char *partner, const char *box,
                  char *buf, size_t size);

/* Create PARTNER's spool folders.  0, or negative with ERR. */
int home_create_partner(const struct home *h, const char *partner, char *err,
                        size_t err_size);

/* The home's master key for data at rest (HOME/keys/master.key) into K;
 * when CREATE and the file is absent, make it first (aead_master_ensure).
 * 0, or negative with ERR naming the file.  Wipe K when done. */
int home_master_key(const struct home *h, bool create, struct aead_key *k,
                    char *err, size_t err_size);

/* Is H's spool plain on purpose (keys/spool.plain)?  1 yes, 0 no, or a
 * negative errno. */
int home_spool_plain(const struct home *h);

/* Make H's spool plain from now on (creates keys/spool.plain).  0, or
 * negative with ERR. */
int home_set_spool_plain(const struct home *h, char *err, size_t err_size);

#endif
