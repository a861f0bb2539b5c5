/*
 * arena.h - a bump allocator: many small pieces, freed all at once.
 *
 * Owns the memory of loaded layouts and program profiles, whose pieces
 * all live exactly as long as the whole.  Pieces are zeroed and aligned
 * for any type.
 */
#ifndef OFFSETGW_ARENA_H
#define OFFSETGW_ARENA_H

#include <stddef.h>

struct arena;

/* An empty arena; NULL when out of memory. */
struct arena *arena_new(void);
/* SIZE zeroed bytes; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* A NUL-terminated copy of the N bytes at S; NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Free the arena and every piece of it (NULL is fine). */
void arena_free(struct arena *a);

#endif
