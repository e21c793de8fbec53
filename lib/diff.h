/* diff: the change records between event sets (gcal-diff's engine): two
 * sets (OLD, NEW: changes for the remote side) or three (LOCAL, REMOTE,
 * BASE: changes for either side, and conflicts), by identity, with
 * semantic equality; lines equal to the byte are never parsed. The record
 * formats are in gcal-records(5). */
#ifndef GCAL_DIFF_H
#define GCAL_DIFF_H

#include <stddef.h>
#include <stdio.h>

#include "json.h"

enum diff_prefer {
	DIFF_PREFER_NONE, DIFF_PREFER_LOCAL, DIFF_PREFER_REMOTE,
	DIFF_PREFER_NEWEST
};

/* The policy named by --prefer's argument (local, remote, newest), or
 * -1 for any other word. */
int diff_prefer_parse(const char *word);

/* What counts[] holds after diff_sets: one count per op. */
enum { DIFF_INSERTS, DIFF_UPDATES, DIFF_DELETES, DIFF_CONFLICTS,
	DIFF_NCOUNTS };
/* The count of a change record's op ("insert", "update", "delete",
 * "conflict"), or -1. */
int diff_op_index(const char *op);

struct diff_options {
	struct jqprog *key;  /* the local key of records without an id */
	const char *owner;   /* the owner mark of this link's events */
	int all;             /* also events the link does not own */
	enum diff_prefer prefer;
};

/* Compare the sets of paths ("-" is stdin; nsets 2: OLD NEW, 3: LOCAL
 * REMOTE BASE) and print the change records, sorted by id, on fp. A file
 * that cannot be read exits EX_NOINPUT, bad input EX_DATAERR, each with a
 * message naming file and line. Returns how many records were printed. */
size_t diff_sets(const char *const *paths, int nsets,
    const struct diff_options *o, FILE *fp, size_t counts[DIFF_NCOUNTS]);

#endif
