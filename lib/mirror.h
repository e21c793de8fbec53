/* mirror: a profile's local copy of one calendar, kept by gcal-pull.
 *
 * In $XDG_STATE_HOME/gcal/PROFILE/sync/CALENDAR[+expand]/ (the id
 * percent-encoded; "+expand" for singleEvents=true, whose sync token is
 * another one):
 *   state.json  {"calendar","singleEvents","syncToken","timeZone",
 *                "mirror":"mirror.N","delta":"delta.K","events":N,
 *                "pulledAt"}
 *   mirror.N    one line per event, "ID<TAB>JSON", sorted by ID (bytes);
 *               JSON is the event as Google sent it, keys sorted
 *   delta.K     the same for what changed since mirror.N was written (a
 *               sorted delta, not an operation log); an empty JSON is a
 *               deletion. Read over mirror.N, folded into a new mirror
 *               file when it grows, so that an incremental pull costs
 *               what changed, not the size of the calendar. Mirrors
 *               written before the rename name a "journal" (journal.K):
 *               it is read as the delta, and replaced by one.
 * state.json names its files, so replacing state.json (atomically)
 * replaces the events and the sync token together. A run that dies leaves
 * at most files the state does not name, removed by the next commit. */
#ifndef GCAL_MIRROR_H
#define GCAL_MIRROR_H

#include <stddef.h>

#include <jv.h>

struct mirror;

/* Open the mirror of calendar for profile (nothing is created yet). NULL
 * with a message printed when its state file is damaged, or with errno
 * ENOTSUP when a newer gcal wrote it (state.h). */
struct mirror *mirror_open(const char *profile, const char *calendar,
    int expand);
void mirror_close(struct mirror *m);
/* The stored sync token and calendar time zone, or NULL; borrowed until
 * the next commit, apply or touch replaces the state. */
const char *mirror_sync_token(const struct mirror *m);
const char *mirror_time_zone(const struct mirror *m);

/* When any calendar of the profile was last pulled (RFC 3339), or NULL;
 * the caller's. */
char *mirror_last_pull(const char *profile);

/* Reading a mirror file line by line. */
struct mirror_reader;
/* The current mirror (an empty one when there is none yet). */
struct mirror_reader *mirror_read(const struct mirror *m);
/* 1 and the line's id (NUL-terminated) and json (not terminated), both
 * borrowed until the next call; 0 at the
 * end, -1 on a damaged file (message printed). */
int mirror_next(struct mirror_reader *r, const char **id, size_t *idlen,
    const char **json, size_t *jsonlen);
void mirror_read_close(struct mirror_reader *r);

/* A new generation of the mirror. With sorted, lines must be added in id
 * order (a merge); else in any order, and a later line for an id replaces
 * an earlier one. */
struct mirror_build;
struct mirror_build *mirror_build_new(struct mirror *m, int sorted);
/* Add one event line; 0 or -1 (message printed). */
int mirror_build_add(struct mirror_build *b, const char *id, size_t idlen,
    const char *json, size_t jsonlen);
/* Write the new mirror file (sorted, fsynced); 0 or -1. */
int mirror_build_finish(struct mirror_build *b);
/* Read the finished new mirror. */
struct mirror_reader *mirror_build_read(const struct mirror_build *b);
/* Make it current with this sync token and time zone: state.json is
 * replaced atomically. 0 or -1 (message printed; nothing changed). The
 * old mirror file stays readable until mirror_build_free. */
int mirror_commit(struct mirror *m, struct mirror_build *b,
    const char *sync_token, const char *time_zone);
/* One change of the sync feed. */
struct mirror_change {
	const char *id;
	const char *json;  /* the event's line, or NULL to remove it */
	int is_master;     /* a removed recurring event: its instances go too */
};

/* Apply changes (sorted by id, one per id) with this sync token and time
 * zone, atomically. Instances that went with a removed recurring event
 * are listed in *gone (ids; the caller frees each and the array). 0 or
 * -1 (message printed; nothing changed). */
int mirror_apply(struct mirror *m, const struct mirror_change *v, size_t n,
    const char *sync_token, const char *time_zone, char ***gone,
    size_t *ngone);

/* Keep the current events, store a new sync token (nothing changed). */
int mirror_touch(struct mirror *m, const char *sync_token,
    const char *time_zone);
/* Drop an uncommitted build's files, or a committed build's predecessor. */
void mirror_build_free(struct mirror_build *b);

#endif
