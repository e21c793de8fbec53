/* sync_plan: the three-way decision of a sync: the sets compared (by
 * lib/diff.c), the change records it makes, the deletion cap, and what
 * each write will make its side hold. */
#ifndef GCAL_SYNC_PLAN_H
#define GCAL_SYNC_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include <jv.h>

struct sync;
struct diff_options;

struct sync_plan {
	jv *v;      /* change records, in id order */
	size_t n;
	size_t count[2][3]; /* [enum sync_side][DIFF_INSERTS..DIFF_DELETES] */
	size_t conflicts;
	jv moot;    /* settled conflicts of writes the plan dropped: an
	             * instance's change whose series the other side deleted */
};

/* How many of the base's events a side may lose in a run. */
struct sync_cap {
	long long max_delete;
	int pct;       /* max_delete is a percentage of the base */
	int allow_all; /* --allow-delete-all */
};

/* Compare the three sets and read the plan into p (zeroed first). */
void sync_plan_make(struct sync *sy, const struct diff_options *d,
    struct sync_plan *p);
void sync_plan_free(struct sync_plan *p);
/* Whether the cap stops the run before any write (said on stderr). */
int sync_plan_capped(struct sync *sy, const struct sync_plan *p,
    const struct sync_cap *cap);
/* A record of its own for each conflict --prefer settled, to fp. */
void sync_plan_print_settled(struct sync *sy, const struct sync_plan *p,
    FILE *fp);
/* Each identity's write (intent, want) from the plan; the conflicts
 * printed to fp. */
void sync_plan_intents(struct sync *sy, const struct sync_plan *p, FILE *fp);
/* For a human at a terminal: what changes on each side, and conflicts. */
void sync_plan_summary(const struct sync *sy, const struct sync_plan *p,
    const char *what);

#endif
