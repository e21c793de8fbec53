/* sync_read: the two sides of a sync taken in: the local records, each
 * given its identity (its id, or one made from its key), and the events
 * gcal-pull printed that are the link's. */
#ifndef GCAL_SYNC_READ_H
#define GCAL_SYNC_READ_H

struct sync;

/* The local records at path ("-": stdin), called name in messages,
 * whole and checked: 0, or EX_NOINPUT, EX_DATAERR with a message (then
 * nothing is taken). */
int sync_read_local(struct sync *sy, const char *path, const char *name);
/* What gcal-pull printed to path: 0, or EX_UNAVAILABLE with a message. */
int sync_read_remote(struct sync *sy, const char *path);
/* Google's side as the base has it (--push-only). */
void sync_remote_from_base(struct sync *sy);
/* A local record known by its key alone is the event the calendar
 * holds under the id it chose (Graph chooses the ids of what it creates,
 * Google takes ours): the event the base or the calendar marks with that
 * key. Then the local instances of a series the local side does not
 * hold are dropped, gone with it. */
void sync_match_keys(struct sync *sy);
/* Instances of series the sync holds, and events the local side holds
 * by their Google id, are the link's: marked as its own. */
void sync_adopt_instances(struct sync *sy);

#endif
