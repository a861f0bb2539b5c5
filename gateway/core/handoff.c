/*
 * handoff.c - items from a reading thread to the main thread (see
 * handoff.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "offsetgw/handoff.h"

struct batch {
    size_t n;
    unsigned char *items;
};

struct handoff {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t item_size, per_batch, n_batches;
    struct batch *all;   /* n_batches + 1: one is always being filled */
    struct batch **ring; /* waiting for the applier, from head */
    size_t head, count;
    struct batch **free_list;
    size_t n_free;
    struct batch *filling; /* the reader's */
    struct batch *taken;   /* the applier's */
    unsigned char *memory;
    bool stop;
};

struct handoff *handoff_new(size_t item_size, size_t per_batch,
                            size_t n_batches)
{
    struct handoff *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->item_size = item_size;
    h->per_batch = per_batch;
    h->n_batches = n_batches;
    h->all = calloc(n_batches + 1, sizeof(*h->all));
    h->ring = calloc(n_batches, sizeof(*h->ring));
    h->free_list = calloc(n_batches, sizeof(*h->free_list));
    h->memory = calloc(n_batches + 1, item_size * per_batch);
    if (h->all == NULL || h->ring == NULL || h->free_list == NULL ||
        h->memory == NULL || pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h->all);
        free(h->ring);
        free(h->free_list);
        free(h->memory);
        free(h);
        return NULL;
    }
    pthread_cond_init(&h->changed, NULL);
    for (size_t i = 0; i <= n_batches; i++)
        h->all[i].items = h->memory + i * item_size * per_batch;
    for (size_t i = 0; i < n_batches; i++)
        h->free_list[h->n_free++] = &h->all[i];
    h->filling = &h->all[n_batches];
    return h;
}

void handoff_free(struct handoff *h)
{
    if (h == NULL)
        return;
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->lock);
    free(h->all);
    free(h->ring);
    free(h->free_list);
    free(h->memory);
    free(h);
}

/* Hand the batch being filled over (waiting while the ring is full) and
 * take an empty one.  false when the applier stopped. */
static bool publish(struct handoff *h)
{
    pthread_mutex_lock(&h->lock);
    while (!h->stop && (h->count == h->n_batches || h->n_free == 0))
        pthread_cond_wait(&h->changed, &h->lock);
    if (h->stop) {
        pthread_mutex_unlock(&h->lock);
        return false;
    }
    h->ring[(h->head + h->count) % h->n_batches] = h->filling;
    h->count++;
    h->filling = h->free_list[--h->n_free];
    h->filling->n = 0;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    return true;
}

void *handoff_slot(struct handoff *h)
{
    if (h->filling->n == h->per_batch && !publish(h))
        return NULL;
    return h->filling->items + h->filling->n++ * h->item_size;
}

void handoff_unslot(struct handoff *h)
{
    if (h->filling->n > 0)
        h->filling->n--;
}

void handoff_flush(struct handoff *h)
{
    publish(h);
}

size_t handoff_take(struct handoff *h, void **items)
{
    pthread_mutex_lock(&h->lock);
    while (h->count == 0)
        pthread_cond_wait(&h->changed, &h->lock);
    h->taken = h->ring[h->head];
    h->head = (h->head + 1) % h->n_batches;
    h->count--;
    pthread_mutex_unlock(&h->lock);
    *items = h->taken->items;
    return h->taken->n;
}

void handoff_done(struct handoff *h, bool stop)
{
    pthread_mutex_lock(&h->lock);
    h->free_list[h->n_free++] = h->taken;
    h->taken = NULL;
    h->stop = h->stop || stop;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

int handoff_run(struct handoff *h, void *(*read)(void *), void *read_arg,
                int (*apply)(const void *item, void *ctx), void *ctx)
{
    pthread_t thread;
    int rc = 0;
    if (pthread_create(&thread, NULL, read, read_arg) != 0)
        return -EAGAIN;
    while (rc == 0) {
        void *batch;
        size_t n = handoff_take(h, &batch);
        const unsigned char *items = batch;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = apply(items + i * h->item_size, ctx);
        handoff_done(h, rc != 0);
    }
    pthread_join(thread, NULL);
    return rc;
}
