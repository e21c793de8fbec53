/* quota_table: the host's table of calls a minute, a file mapped by every process.
 *
 * One fixed-size entry per user or project (a 64-bit hash of its name),
 * counting calls in SLOTS slots of a twelfth of a minute each; changed
 * only between qt_lock and qt_unlock (flock(2) on the file; the caller
 * keeps its threads apart). A rate table, not a record: written in
 * place, never fsync'ed; losing it loses a minute's pacing. quota.c is
 * its one user. */
#ifndef GCAL_QUOTA_TABLE_H
#define GCAL_QUOTA_TABLE_H

#include <stdint.h>

#define SLOTS 13 /* a slot is cleared SLOTS slots on: a call counts >= 60 s */

struct qt_entry {
	uint64_t key;        /* 0: never used */
	int64_t last;        /* the slot last written */
	uint32_t n[SLOTS];   /* calls spent, by slot modulo SLOTS */
	uint32_t slow_div;   /* the minute is divided by this ... */
	int64_t slow_until;  /* ... until then (epoch ms) */
	int64_t stop_until;  /* writes stopped until then (epoch s) */
	uint64_t told_user;  /* the last user of a project told to slow */
	int64_t told_at;     /* ... when (epoch ms) */
};

/* Map $XDG_STATE_HOME/gcal/quota once a process: 0, or -1 (said) when it
 * cannot be opened; exits 78 for a damaged file or an unknown version. */
int qt_open(void);
void qt_lock(void);
void qt_unlock(void);
/* Times this process locked the table. */
long qt_visits(void);

/* The entry of key brought to slot cur (made when missing), or NULL when
 * the table is full (said once). */
struct qt_entry *qt_find(uint64_t key, int64_t cur, long long ms);
/* Calls the entry's minute has: limit (slowed, at ms) less those spent. */
long qt_room(const struct qt_entry *e, long limit, long long ms);
long qt_used(const struct qt_entry *e);
void qt_spend(struct qt_entry *e, int64_t cur, long n);
/* n calls spent in slot and not made: back, if the slot still counts. */
void qt_give_back(struct qt_entry *e, int64_t slot, int64_t cur, long n);
/* Halve e's minute for a minute (again on each further answer; the
 * answers of one slot count once). */
void qt_slow(struct qt_entry *e, long long ms, long long minute_ms,
    long long slot_ms);

#endif
