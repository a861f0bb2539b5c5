/*
 * handoff.h - items from a reading thread to the main thread, in order.
 *
 * Owns the ring of batches that intake and payer files travel through:
 * one thread reads and checks records (it needs nothing of the registry)
 * while the main thread applies them, so two cores share a file's work.
 * Items are fixed-size and go in batches to keep locking rare; the
 * reader waits while the ring is full, the applier while it is empty.
 * The applier can stop the reader early (a registry error).
 */
#ifndef OFFSETGW_HANDOFF_H
#define OFFSETGW_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>

struct handoff;

/* A ring of N_BATCHES batches of PER_BATCH items of ITEM_SIZE bytes;
 * NULL when out of memory. */
struct handoff *handoff_new(size_t item_size, size_t per_batch,
                            size_t n_batches);
void handoff_free(struct handoff *h);

/* Reader: the next item's slot (zeroed by nobody: fill it all), handing
 * a full batch over first; NULL when the applier stopped. */
void *handoff_slot(struct handoff *h);
/* Reader: give the last slot back unused. */
void handoff_unslot(struct handoff *h);
/* Reader: hand the batch being filled over, full or not (at the end). */
void handoff_flush(struct handoff *h);

/* Applier: wait for the next batch; its items into *ITEMS, their count
 * returned. */
size_t handoff_take(struct handoff *h, void **items);
/* Applier: done with the batch taken; STOP tells the reader to end. */
void handoff_done(struct handoff *h, bool stop);

/* The whole of it: READ(READ_ARG) on a thread of its own fills H, while
 * APPLY(item, CTX) takes each item in order on this one until it returns
 * non-zero: a positive value (the end) or a negative one (an error, the
 * reader is told to stop), which is returned once the reader is done.
 * -EAGAIN when the thread cannot be started. */
int handoff_run(struct handoff *h, void *(*read)(void *), void *read_arg,
                int (*apply)(const void *item, void *ctx), void *ctx);

#endif
