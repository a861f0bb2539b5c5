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

#endif
