/*
 * arena.c - a bump allocator (see arena.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "offsetgw/arena.h"

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
};

struct arena {
    struct arena_block *head;
};

void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (a->head == NULL || a->head->size - a->head->used < size) {
        size_t block = size > 16384 ? size : 16384;
        struct arena_block *b = malloc(sizeof(*b) + block);
        if (b == NULL)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->size = block;
        a->head = b;
    }
    void *p = (char *)a->head->data + a->head->used;
    a->head->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void arena_free(struct arena *a)
{
    if (a == NULL)
        return;
    struct arena_block *b = a->head;
    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

struct arena *arena_new(void)
{
    return calloc(1, sizeof(struct arena));
}
