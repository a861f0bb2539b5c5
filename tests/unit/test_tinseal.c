/*
 * test_tinseal.c - TINs sealed for the registry: the index MAC, the
 * sealed TIN bound to its row, and keys wrapped under a master key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testkey.h"
#include "testutil.h"

#include "offsetgw/tinseal.h"

static struct tinseal *sealer(unsigned char enc_seed, unsigned char idx_seed)
{
    unsigned char enc[TINSEAL_KEY_SIZE], idx[TINSEAL_KEY_SIZE];
    struct tinseal *t = NULL;
    memset(enc, enc_seed, sizeof enc);
    memset(idx, idx_seed, sizeof idx);
    assert_int_equal(tinseal_new(&t, enc, idx), 0);
    return t;
}

static void test_index_mac_is_per_tin_type_and_key(void **state)
{
    unsigned char a[TINSEAL_MAC_SIZE], b[TINSEAL_MAC_SIZE];
    struct tinseal *t = sealer(1, 2), *u = sealer(1, 3);
    (void)state;
    assert_int_equal(tinseal_mac(t, 'S', "123456789", a), 0);
    assert_int_equal(tinseal_mac(t, 'S', "123456789", b), 0);
    assert_memory_equal(a, b, sizeof a); /* a lookup finds it again */
    assert_int_equal(tinseal_mac(t, 'E', "123456789", b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(tinseal_mac(t, 'S', "123456788", b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(tinseal_mac(u, 'S', "123456789", b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(tinseal_mac(t, 'S', "12345678", b), -EINVAL);
    assert_int_equal(tinseal_mac(t, 'S', "1234567890", b), -EINVAL);
    assert_int_equal(tinseal_mac(t, 'S', "12345678X", b), -EINVAL);
    assert_int_equal(tinseal_mac(t, 'X', "123456789", b), -EINVAL);
    tinseal_free(t);
    tinseal_free(u);
}

static void test_sealed_tin_opens_only_in_its_row(void **state)
{
    unsigned char mac[TINSEAL_MAC_SIZE], other[TINSEAL_MAC_SIZE];
    unsigned char a[TINSEAL_SEALED_SIZE], b[TINSEAL_SEALED_SIZE];
    char tin[10];
    struct tinseal *t = sealer(1, 2), *u = sealer(4, 2);
    (void)state;
    assert_int_equal(tinseal_mac(t, 'S', "123456789", mac), 0);
    assert_int_equal(tinseal_mac(t, 'S', "987654321", other), 0);
    assert_int_equal(tinseal_seal(t, 'S', "123456789", mac, a), 0);
    assert_int_equal(tinseal_seal(t, 'S', "123456789", mac, b), 0);
    /* a fresh nonce each time: equal TINs do not look equal */
    assert_memory_not_equal(a, b, sizeof a);
    assert_false(tu_mem_contains((const char *)a, sizeof a, "123456789"));
    assert_int_equal(tinseal_open(t, 'S', mac, a, sizeof a, tin), 0);
    assert_string_equal(tin, "123456789");
    /* another row's MAC, another type, another key, a flipped bit, a
     * short blob: refused, and nothing left in TIN */
    assert_int_equal(tinseal_open(t, 'S', other, a, sizeof a, tin), -EBADMSG);
    assert_string_equal(tin, "");
    assert_int_equal(tinseal_open(t, 'E', mac, a, sizeof a, tin), -EBADMSG);
    assert_int_equal(tinseal_open(u, 'S', mac, a, sizeof a, tin), -EBADMSG);
    a[20] ^= 1;
    assert_int_equal(tinseal_open(t, 'S', mac, a, sizeof a, tin), -EBADMSG);
    assert_int_equal(tinseal_open(t, 'S', mac, b, sizeof b - 1, tin), -EBADMSG);
    tinseal_free(t);
    tinseal_free(u);
}

static void test_wrapped_key_opens_only_with_its_master_and_name(void **state)
{
    struct aead_key m1, m2;
    unsigned char key[TINSEAL_KEY_SIZE], back[TINSEAL_KEY_SIZE];
    unsigned char w[TINSEAL_WRAPPED_SIZE];
    (void)state;
    tk_master_key(&m1, 1);
    tk_master_key(&m2, 2);
    assert_int_equal(tinseal_random_key(key), 0);
    assert_int_equal(tinseal_wrap(&m1, "tin-enc", key, w), 0);
    assert_int_equal(tinseal_unwrap(&m1, "tin-enc", w, sizeof w, back), 0);
    assert_memory_equal(key, back, sizeof key);
    assert_int_equal(tinseal_unwrap(&m2, "tin-enc", w, sizeof w, back),
                     -EBADMSG);
    assert_int_equal(tinseal_unwrap(&m1, "tin-index", w, sizeof w, back),
                     -EBADMSG);
    assert_int_equal(tinseal_unwrap(&m1, "tin-enc", w, sizeof w - 1, back),
                     -EBADMSG);
    aead_key_wipe(&m1);
    aead_key_wipe(&m2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_mac_is_per_tin_type_and_key),
        cmocka_unit_test(test_sealed_tin_opens_only_in_its_row),
        cmocka_unit_test(test_wrapped_key_opens_only_with_its_master_and_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
