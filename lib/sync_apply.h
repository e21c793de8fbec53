/* sync_apply: the writes of a sync: the changes for Google through
 * gcal-push, those for the local side through --apply-cmd (or printed),
 * each confirmed one settled as the identity's new base. */
#ifndef GCAL_SYNC_APPLY_H
#define GCAL_SYNC_APPLY_H

struct sync;
struct sync_plan;

/* gcal-push the changes for Google as profile; its results printed.
 * 0, or the exit status that ends the run; *partial set when some
 * change failed. */
int sync_push_remote(struct sync *sy, const struct sync_plan *p,
    const char *profile, int *partial);
/* The changes for the local side: to cmd (NULL: printed); a result
 * record for each. *partial set when some was not confirmed. */
void sync_apply_local(struct sync *sy, const struct sync_plan *p,
    const char *cmd, int *partial);
/* What no change names holds the same on both sides: agreed. */
void sync_settle_unchanged(struct sync *sy);

#endif
