/*
 * structure.c - order and occurrence rules, and control totals.
 *
 * Owns the walk through the layout's structure tree as records arrive
 * (which record may come next, how many of each, repeating groups) and the
 * running control totals scoped to a group's iteration.  The reader and
 * the writer both drive it, so a file the writer can write is a file the
 * reader accepts.
 */
#include <stdio.h>
#include <string.h>

#include "formatsInt.h"

void structure_init(struct structure *s, const struct layout *layout)
{
    memset(s, 0, sizeof(*s));
    s->layout = layout;
    s->depth = 1;
    s->stack[0].group = &layout->root;
}

/* Could group G begin with record R? */
static bool can_start(const struct node *g, const struct layout_record *r)
{
    for (size_t i = 0; i < g->n_children; i++) {
        const struct node *c = &g->children[i];
        if (c->record != NULL ? c->record == r : can_start(c, r))
            return true;
        if (c->min > 0)
            return false;
    }
    return false;
}

/* The first record a required node needs, for messages. */
static const char *first_required(const struct node *n)
{
    if (n->record != NULL)
        return n->name;
    for (size_t i = 0; i < n->n_children; i++)
        if (n->children[i].min > 0)
            return first_required(&n->children[i]);
    return n->children[0].record ? n->children[0].name
                                 : first_required(&n->children[0]);
}

static void reset_scope(struct structure *s, const struct node *group)
{
    for (size_t t = 0; t < s->layout->n_totals; t++)
        if (s->layout->totals[t].scope == group)
            memset(&s->acc[t], 0, sizeof(s->acc[t]));
}

static void add_to_totals(struct structure *s, const struct layout_record *rec,
                          const struct field_value *values)
{
    const struct layout *l = s->layout;
    for (size_t t = 0; t < l->n_totals; t++) {
        const struct layout_field *f =
            &l->totals[t].record->fields[l->totals[t].field];
        if (f->total_of != NULL && f->total_of != rec)
            continue;
        struct total_acc *a = &s->acc[t];
        if (f->total == TOTAL_COUNT) {
            a->count++;
            continue;
        }
        const struct field_value *v =
            values ? &values[f->total_of_field] : NULL;
        if (v == NULL || (v->state == VALUE_BAD && !v->has_num)) {
            a->unsummed++;
            continue;
        }
        if (__builtin_add_overflow(a->sum, v->num, &a->sum))
            a->overflow = true;
    }
}

/* Why REC cannot come here: TOO_MANY is a node it would have repeated
 * past its max, EXPECTED a required node it skips (NULL: nothing more may
 * come). Always -1. */
static int refuse(const struct layout_record *rec, const struct node *too_many,
                  const struct node *expected, char *err, size_t err_size)
{
    if (too_many != NULL)
        snprintf(err, err_size, "too many '%s' %s (at most %llu)",
                 too_many->name, too_many->record ? "records" : "groups",
                 (unsigned long long)too_many->max);
    else if (expected != NULL)
        snprintf(err, err_size, "record '%s' found where '%s' is expected",
                 rec->name, first_required(expected));
    else
        snprintf(err, err_size,
                 "record '%s' is out of place: nothing more may follow here",
                 rec->name);
    return -1;
}

int structure_accept(struct structure *s, const struct layout_record *rec,
                     const struct field_value *values, char *err,
                     size_t err_size)
{
    const struct node *too_many = NULL;
    for (;;) {
        struct structure_frame *f = &s->stack[s->depth - 1];
        const struct node *g = f->group;
        while (f->child < g->n_children) {
            const struct node *c = &g->children[f->child];
            if (c->record == rec) {
                if (f->count < c->max) {
                    f->count++;
                    add_to_totals(s, rec, values);
                    return 0;
                }
                too_many = c;
            } else if (c->record == NULL && can_start(c, rec) &&
                       f->count == c->max) {
                too_many = c; /* the group itself has repeated enough */
            } else if (c->record == NULL && f->count < c->max &&
                       can_start(c, rec)) {
                f->count++;
                struct structure_frame *in = &s->stack[s->depth++];
                in->group = c;
                in->child = 0;
                in->count = 0;
                reset_scope(s, c);
                f = in;
                g = c;
                continue;
            }
            if (f->count < c->min)
                return refuse(rec, too_many, c, err, err_size);
            f->child++;
            f->count = 0;
        }
        if (s->depth == 1)
            return refuse(rec, too_many, NULL, err, err_size);
        s->depth--;
    }
}

int structure_finish(struct structure *s, char *err, size_t err_size)
{
    while (s->depth > 0) {
        struct structure_frame *f = &s->stack[s->depth - 1];
        const struct node *g = f->group;
        for (size_t i = f->child; i < g->n_children; i++) {
            uint64_t count = i == f->child ? f->count : 0;
            if (count < g->children[i].min) {
                snprintf(err, err_size, "missing '%s' record at end of file",
                         first_required(&g->children[i]));
                return -1;
            }
        }
        s->depth--;
    }
    return 0;
}

int64_t structure_total_value(const struct structure *s, size_t t)
{
    const struct layout_field *f =
        &s->layout->totals[t].record->fields[s->layout->totals[t].field];
    return f->total == TOTAL_COUNT ? (int64_t)s->acc[t].count : s->acc[t].sum;
}
