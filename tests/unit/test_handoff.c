/*
 * test_handoff.c - items from a reading thread to the main thread: all
 * of them, in order, across batch edges, with slots given back; and an
 * applier that stops early ending the reader.
 */
#include <pthread.h>
#include <stdint.h>

#include "testutil.h"

#include "offsetgw/handoff.h"

struct item {
    int64_t seq;
    char pad[40]; /* not a power of two */
};

struct reader {
    struct handoff *h;
    int64_t n;    /* items to send; every 7th is taken and given back */
    int64_t sent; /* how many slots it got */
    bool stopped; /* handoff_slot() said the applier stopped */
};

static void *read_all(void *arg)
{
    struct reader *r = arg;
    int64_t seq = 0;
    for (int64_t i = 0; i < r->n; i++) {
        struct item *it = handoff_slot(r->h);
        if (it == NULL) {
            r->stopped = true;
            return NULL;
        }
        r->sent++;
        if (i % 7 == 3) {
            handoff_unslot(r->h);
            continue;
        }
        it->seq = seq++;
    }
    struct item *end = handoff_slot(r->h);
    if (end != NULL) {
        end->seq = -1;
        handoff_flush(r->h);
    }
    return NULL;
}

static void test_every_item_arrives_in_order(void **state)
{
    (void)state;
    struct reader r = {.h = handoff_new(sizeof(struct item), 5, 3), .n = 10000};
    pthread_t t;
    assert_non_null(r.h);
    assert_int_equal(pthread_create(&t, NULL, read_all, &r), 0);
    int64_t want = 0;
    bool end = false;
    while (!end) {
        void *batch;
        size_t n = handoff_take(r.h, &batch);
        const struct item *items = batch;
        assert_true(n <= 5);
        for (size_t i = 0; i < n; i++) {
            if (items[i].seq == -1) {
                end = true;
                break;
            }
            assert_int_equal(items[i].seq, want);
            want++;
        }
        handoff_done(r.h, false);
    }
    pthread_join(t, NULL);
    /* 10000 minus the 1 in 7 given back */
    assert_int_equal(want, 10000 - (10000 + 3) / 7);
    assert_false(r.stopped);
    handoff_free(r.h);
}

static void test_an_applier_that_stops_ends_the_reader(void **state)
{
    (void)state;
    struct reader r = {.h = handoff_new(sizeof(struct item), 4, 2),
                       .n = 1000000};
    pthread_t t;
    assert_non_null(r.h);
    assert_int_equal(pthread_create(&t, NULL, read_all, &r), 0);
    void *batch;
    assert_true(handoff_take(r.h, &batch) > 0);
    handoff_done(r.h, true);
    pthread_join(t, NULL); /* it ends: no deadlock */
    assert_true(r.stopped);
    assert_true(r.sent < 1000000);
    handoff_free(r.h);
}

struct tally {
    int64_t want, stop_at;
};

static int apply_in_order(const void *item, void *arg)
{
    const struct item *it = item;
    struct tally *t = arg;
    if (it->seq == -1)
        return 1; /* the end */
    if (it->seq != t->want)
        return -EILSEQ;
    if (++t->want == t->stop_at)
        return -EIO; /* an applier's error */
    return 0;
}

static void test_run_applies_everything_or_stops_at_an_error(void **state)
{
    (void)state;
    struct reader r = {.h = handoff_new(sizeof(struct item), 5, 3), .n = 5000};
    struct tally t = {.want = 0, .stop_at = -1};
    assert_int_equal(handoff_run(r.h, read_all, &r, apply_in_order, &t), 1);
    assert_int_equal(t.want, 5000 - (5000 + 3) / 7);
    handoff_free(r.h);

    struct reader big = {.h = handoff_new(sizeof(struct item), 4, 2),
                         .n = 1000000};
    struct tally early = {.want = 0, .stop_at = 10};
    assert_int_equal(handoff_run(big.h, read_all, &big, apply_in_order, &early),
                     -EIO);
    assert_true(big.stopped); /* and the reader ended: no deadlock */
    handoff_free(big.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_item_arrives_in_order),
        cmocka_unit_test(test_an_applier_that_stops_ends_the_reader),
        cmocka_unit_test(test_run_applies_everything_or_stops_at_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
