/*
 * test_arena.c - the bump allocator: pieces zeroed and aligned, pieces
 * larger than a block, copies of strings, freeing all at once.
 */
#include <stdalign.h>
#include <stdint.h>

#include "testutil.h"

#include "offsetgw/arena.h"

static void test_pieces_are_zeroed_aligned_and_apart(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    assert_non_null(a);
    unsigned char *prev = NULL;
    for (size_t size = 1; size < 5000; size += 37) {
        unsigned char *p = arena_alloc(a, size);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        for (size_t i = 0; i < size; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xAB, size); /* ASan: the piece is all ours */
        assert_true(p != prev);
        prev = p;
    }
    /* larger than a block */
    unsigned char *big = arena_alloc(a, 100000);
    assert_non_null(big);
    memset(big, 1, 100000);
    arena_free(a);
    arena_free(NULL);
}

static void test_strndup_copies_and_terminates(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    char *s = arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_string_equal(arena_strndup(a, "", 0), "");
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pieces_are_zeroed_aligned_and_apart),
        cmocka_unit_test(test_strndup_copies_and_terminates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
