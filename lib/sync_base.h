/* sync_base: the base of a sync (what both sides last agreed on, one
 * event a line in base.ndjson), the journal of the writes under way
 * (journal.ndjson) and state.json (format, calendar, owner), in sy->dir.
 * The files are replaced atomically; each replacement is a stop point. */
#ifndef GCAL_SYNC_BASE_H
#define GCAL_SYNC_BASE_H

#include "sync.h"

/* Check state.json against the run (or write it: a first run, unless
 * dry). 0, or EX_CONFIG with a message. */
int sync_base_check(struct sync *sy, int dry);
/* Take in the base: 0 (none yet, too), EX_NOINPUT or EX_DATAERR with a
 * message. */
int sync_base_read(struct sync *sy);
/* Write the base: as read (final 0), or with what this run settled. A
 * run that changed nothing writes nothing. Fatal on a write error. */
void sync_base_write(struct sync *sy, int final);
/* Write the journal: the writes this run is about to make, each with
 * what it makes its side hold (only_open: those not confirmed). Removed
 * when there are none. Fatal on a write error. */
void sync_journal_write(struct sync *sy, int only_open);
/* The writes to side of a run that ended before it could record them:
 * each the side shows is taken into the base (in memory); *folded
 * counts them. Google's first, then the local side's once its records
 * are matched to the calendar's ids (sync_match_keys). 0, or
 * EX_NOINPUT. */
int sync_journal_fold(struct sync *sy, enum sync_side side, int *folded);

#endif
