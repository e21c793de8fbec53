/* sync: the identities of a two-way sync, each with what the local side,
 * Google and the base hold for it, and the view they are compared in.
 *
 * The engine of gcal-sync(1), one job a module: sync (this: the
 * identities), sync_base (the base and the journal of writes under way),
 * sync_read (the two sides taken in), sync_plan (the three-way decision
 * and the deletion cap), sync_child (the programs a run starts and its
 * scratch files), sync_apply (the writes, each confirmed one settled).
 * Every mutation point of a run is a stop_point("sync ...") (stop.h). */
#ifndef GCAL_SYNC_H
#define GCAL_SYNC_H

#include <stddef.h>

#include <jv.h>

enum sync_side { SYNC_REMOTE, SYNC_LOCAL };

/* A cancelled instance of a recurring event is no deletion but an
 * exception of its series, which each side must hold: it is compared
 * under a status of its own, as what makes it one. */
#define SYNC_CANCELLED_INSTANCE "cancelledInstance"

/* A base line's member naming the id the local side holds the event by,
 * until the local side names it by the calendar's (sync_base.h). */
#define SYNC_LOCAL_ID_PROP "x-gcal-localId"

/* One identity: what each set has for it, and what this run did. The
 * strings are compact JSON, the sync's.  */
struct sync_ent {
	char *id;
	char *local;      /* the local record as compared, or NULL */
	size_t lline;     /* its line in the export */
	jv key;           /* its local key, or invalid */
	char *remote;     /* the event in Google as compared, or NULL */
	jv attendees;     /* Google's guest list (--attendees omit), or invalid */
	char *base;       /* what both sides agreed on, or NULL */
	int changed;      /* a change record names it */
	int own_id;       /* the local record came with its own "id" */
	int orphan;       /* 1 << side: that side's record, of a series the
	                   * side lacks, was taken as gone (drop_orphans) */
	char *local_id;   /* the id the local side holds it by, when Graph
	                   * made the event anew under another, or NULL */
	int settled;      /* confirmed: newbase is the base now */
	char *newbase;
	int intent;       /* a write of this run: 0, or 1 + enum sync_side */
	jv want;          /* what that write makes the side hold (null: none) */
};

struct jqprog;

/* A run: its settings (the caller's, set before it starts) and its
 * identities. */
struct sync {
	const char *owner;      /* the owner mark of the link's events */
	const char *calendar;   /* the profile's calendar, or NULL */
	const char *service;    /* its service's name, in messages */
	int omit_attendees;     /* --attendees omit */
	struct jqprog *keyprog; /* --key, or NULL */
	const char *keytext;
	const char *push_batch, *push_rate; /* for gcal-push, checked */
	char *dir;              /* the state directory; freed by sync_free */
	char *run_dir;          /* its scratch directory; the same */
	char *self_dir;         /* where gcal-sync is; the same */
	/* the identities in the order first seen, and a table by id */
	struct sync_ent **v;
	size_t n;
	struct sync_ent **tab;
	size_t cap;
	int base_on_disk;       /* base.ndjson was there */
	size_t base_read;       /* its events, before a journal is taken in */
};

/* The identity id, made (empty) when create is set, else NULL when
 * there is none; sy's. */
struct sync_ent *sync_ent(struct sync *sy, const char *id, int create);
/* Free the identities and the strings sy owns. */
void sync_free(struct sync *sy);

/* Whether ev (borrowed) is an instance of a recurring event. */
int sync_is_instance(jv ev);
/* An event as the sync compares it: without guests under omit, a
 * cancelled instance as just that. Consumes ev. */
jv sync_view(const struct sync *sy, jv ev);
/* An event as it leaves: Google's status again. Consumes ev. */
jv sync_unview(jv ev);
/* A record as it leaves: every event in it as Google has them. */
jv sync_unview_record(jv rec);
/* Whether two events' texts (either NULL) are the same event. */
int sync_same_text(const char *a, const char *b);
/* The key an event's mark holds, or invalid. Borrows ev. */
jv sync_mark_key(jv ev);
/* rec with the identity's key, when it has one; consumes rec. */
jv sync_with_key(jv rec, struct sync_ent *e);

#endif
