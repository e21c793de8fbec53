/* run: a link's last run under gcal-run, and whether it is due again.
 *
 * Each link (profile) keeps its last run in $XDG_STATE_HOME/gcal/PROFILE/
 * run.json, replaced atomically: when, which job, the exit status, the
 * requests and changes, how long it took, how many runs in a row ended
 * 75, and a fingerprint of the link (profile.json and token.json) so
 * that a link that needs a human (77, 78) is skipped until it is linked
 * again. gcal-run(1) documents the rules here. */
#ifndef GCAL_RUN_H
#define GCAL_RUN_H

#include <stdint.h>

#include <jv.h>

struct run_record {
	long long when;     /* start, epoch seconds; 0: never ran */
	char job[32];
	int status;
	long requests;      /* -1: not known (a child process) */
	long changes;       /* -1: not known */
	long long duration_ms;
	int failures;       /* runs in a row that ended 75 */
	char link[64];      /* the fingerprint of the link at that run */
};

/* The record of profile: 0 (r->when 0 when it never ran), or -1 with a
 * message when run.json is damaged. */
int run_record_read(const char *profile, struct run_record *r);
/* Replace it atomically; 0 or -1 with a message. */
int run_record_write(const char *profile, const struct run_record *r);
/* The record as JSON (the NDJSON of gcal-run status, without health). */
jv run_record_json(const char *profile, const struct run_record *r);

/* The link's fingerprint now (inode and mtime of profile.json and
 * token.json), into out. */
void run_link_print(const char *profile, char out[64]);

/* Stable 64-bit hash of a profile name (FNV-1a), for --shard and the
 * jitter offset. */
uint64_t run_hash(const char *profile);
/* Whether profile is in shard i of k (0 <= i < k). */
int run_in_shard(const char *profile, int i, int k);

enum run_health {
	RUN_NEVER,   /* no record yet */
	RUN_OK,      /* the last run ended 0 (or 1: done, some records failed) */
	RUN_BACKOFF, /* ended 75: tried again after a growing pause */
	RUN_HUMAN,   /* ended 77 or 78, not linked again since: skipped */
	RUN_DAILY,   /* ended 4: Google's daily limit */
	RUN_FAILING  /* ended another way */
};
const char *run_health_name(enum run_health h);

struct run_schedule {
	long long every_ms;  /* 0: every link, every run */
	int jitter_pct;      /* 0 to 100 */
};

/* The health of a link with record r whose fingerprint is now link_now,
 * and, for a schedule, when it is next due (epoch ms; 0: now). */
enum run_health run_health_of(const struct run_record *r,
    const char *link_now);
long long run_next_due(const char *profile, const struct run_record *r,
    const struct run_schedule *s, const char *link_now);

/* The worse of two exit statuses, by gcal-run(1)'s order: 77, 78, 70,
 * 69, 66, 65, 64, 4, 75, 1, 0 (any other after 64). */
int run_worse(int a, int b);

/* A duration: N[smhd] (seconds by default); -1 when malformed. */
long long run_parse_duration(const char *s);

#endif
