/*
 * storeInt.h - internals of the registry shared by store.c and schema.c.
 */
#ifndef OFFSETGW_STORE_INT_H
#define OFFSETGW_STORE_INT_H

#include <sqlite3.h>

#include "offsetgw/store.h"

/* Migrate DB from its user_version up to STORE_SCHEMA_VERSION, each step
 * in its own transaction.  0, or -1 with ERR. */
int schema_migrate(sqlite3 *db, char *err, size_t err_size);

#endif
