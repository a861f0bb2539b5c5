/*
 * testkey.h - a master key for unit tests that open a registry directly
 * (store_open_keyed), so that they can register debtors (their TINs are
 * sealed under keys the master key wraps).  Header-only, like testutil.h.
 */
#ifndef OG_TESTKEY_H
#define OG_TESTKEY_H

#include <stddef.h>
#include <string.h>

#include "offsetgw/aead.h"
#include "offsetgw/store.h"

/* A fixed master key made of SEED (tests wanting two keys use two
 * seeds). */
__attribute__((unused)) static void tk_master_key(struct aead_key *k,
                                                  unsigned char seed)
{
    unsigned char bytes[AEAD_KEY_SIZE];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(seed + 7 * i);
    if (aead_key_init(k, bytes) < 0)
        memset(k, 0, sizeof(*k));
}

/* store_open() with the test master key (seed 1). */
__attribute__((unused)) static int
tk_store_open(const char *path, struct store **out, char *err, size_t err_size)
{
    struct aead_key k;
    tk_master_key(&k, 1);
    int rc = store_open_keyed(path, 0, &k, out, err, err_size);
    aead_key_wipe(&k);
    return rc;
}

#endif
