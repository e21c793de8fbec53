/* diff_impl: what lib/diff.c (the sets and their identities) and
 * lib/diff_rules.c (what changes for one identity) share; no other module
 * includes it. */
#ifndef GCAL_DIFF_IMPL_H
#define GCAL_DIFF_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "diff.h"
#include "lines.h"

/* The sets: OLD NEW in two-way, LOCAL REMOTE BASE in three-way. */
enum { OLD = 0, NEW = 1, LOCAL = 0, REMOTE = 1, BASE = 2, NSETS = 3 };

struct rec {
	jv ev;              /* parsed when needed; invalid until then */
	int cancelled;
	struct ident *ident;
	const char *id;     /* found in the bytes, or NULL (find_ids) */
	uint32_t idlen;
	uint32_t hash;
};

struct set {
	struct lines in;
	struct rec *r;
};

/* One identity and its record in each set (-1: none). Small, so that
 * the table of 100,000s of them stays in cache as far as it can. */
struct ident {
	const char *id;       /* not NUL-terminated */
	uint32_t len;
	uint32_t hash;
	int32_t rec[NSETS];
	int done;             /* compared */
};

struct change {
	char *id;
	char *line;
};

struct diff {
	struct set set[NSETS];
	int nsets;
	struct jqprog *key;
	const char *owner;
	int all;
	int prefer;
	struct ident *tab;
	size_t cap;
	char **strs;     /* ids made here, freed at the end */
	size_t nstrs;
	struct change *out;
	size_t nout;
	size_t count[DIFF_NCOUNTS];
	char key_why[320]; /* why local_key failed */
};

/* The record of line i of set s, parsed (fatal when it is not an
 * object); d's. */
jv diff_parsed(struct diff *d, int s, long i);
/* The value of --key on a record, or NULL (the caller's) with *why. */
char *diff_local_key(struct diff *d, jv ev, const char **why);
/* The change records of identity e, added to d->out. */
void diff_two_way(struct diff *d, struct ident *e);
void diff_three_way(struct diff *d, struct ident *e);

#endif
