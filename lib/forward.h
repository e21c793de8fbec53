/* forward: which events forward an extension's calls at a given time, and
 * the applied set kept between runs. Used by forward-apply(1); the
 * backends (a command, an HTTP call) are the program's business. */
#ifndef GCAL_FORWARD_H
#define GCAL_FORWARD_H

#include <jv.h>

#include "phone.h"

struct forward_rules {
	long long at;             /* the instant asked about */
	const char *tz;           /* the calendar's zone for all-day events */
	struct phone_rules phone;
	const char *ext;          /* the extension forwarded: never a target */
};

/* What one event means at rules->at. reason is static text: why it is a
 * forward ("national number", ...) or why not ("cancelled", ...). */
struct forward_verdict {
	int taken;
	const char *reason;
	enum phone_kind kind;     /* the title's kind, even when not taken */
	char target[32];          /* its canonical number, "" if none */
	int timed;                /* start and end are known */
	long long start, end;
};

/* Judge an event resource; borrows ev. */
void forward_judge(jv ev, const struct forward_rules *r,
    struct forward_verdict *v);
/* The --explain record of an event and its verdict; borrows ev. */
jv forward_explain(jv ev, const struct forward_verdict *v);

/* A set of strings collected unsorted, handed out sorted and unique. */
struct forward_set {
	char **v;
	size_t n;
};
void forward_set_add(struct forward_set *s, const char *str);
/* The strings as a sorted JSON array without duplicates; borrows s. */
jv forward_set_array(const struct forward_set *s);
void forward_set_free(struct forward_set *s);

/* Default state file of an extension: $XDG_STATE_HOME/gcal/PROFILE/
 * forward/EXT.json. The caller frees. */
char *forward_state_path(const char *profile, const char *ext);
/* The last applied targets (an array; empty when the file is missing).
 * Invalid with the reason as its message when the file is unreadable
 * (errno set: EISDIR for a directory or anything else not a file), of
 * a newer format (ENOTSUP, state.h) or not ours. The file is written
 * with state_write_kind(path, STATE_FORWARD, rec). */
jv forward_state_read(const char *path);

/* Lock PATH.lock for the run, waiting up to timeout seconds
 * (GCAL_LOCK_TIMEOUT overrides), as state_lock does for a profile: an fd
 * for state_unlock, or -1 with a message printed and *status set
 * (EX_TEMPFAIL: another run holds it; EX_SOFTWARE: no lock file). */
int forward_lock(const char *path, int timeout, int *status);

#endif
