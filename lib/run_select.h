/* run_select: which links a fleet run takes.
 *
 * Every profile, or those of a list, or those whose record of
 * "gcal-auth list" a jq program selects; then those of one shard (the
 * FNV-1a hash of the name, run.h). */
#ifndef GCAL_RUN_SELECT_H
#define GCAL_RUN_SELECT_H

/* The names, sorted and NULL-terminated (free with state_free_list).
 * profiles: "A,B,..." or NULL; filter: a jq program or NULL. *rc is set
 * to 78 for a name that is no profile, 65 when the filter fails on a
 * record (both said); exits 64 for a filter that does not compile and 69
 * when gcal-auth list cannot be run. */
char **run_select(const char *profiles, const char *filter, int shard,
    int shards, int *rc);

#endif
