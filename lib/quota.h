/* quota: the host's governor of Google's per-minute quotas, shared by every gcal process.
 *
 * Google counts Calendar API requests per minute per project (the OAuth
 * client) and per minute per user of a project, "using a sliding window"
 * (developers.google.com/calendar/api/guides/quota: 10,000 and 600 by
 * default; a batch of n calls counts as n). Every process on the host
 * spends from one table of those minutes ($XDG_STATE_HOME/gcal/quota,
 * mapped, under flock(2)): a burst may spend a whole minute at once, and
 * a call's token comes back once the minute it was spent in has passed.
 * A rate-limit answer halves the user's minute (the project's too when a
 * second user of it is told within the minute) for all processes; the
 * daily "Calendar usage limits exceeded" stops the user's writes until
 * Google's day ends (midnight, Pacific time). Thread-safe. */
#ifndef GCAL_QUOTA_H
#define GCAL_QUOTA_H

#include <jv.h>

#include "http.h"

/* gcal(7): a user's writes are stopped by Google's daily limit. */
#define EXIT_DAILY_LIMIT 4

struct quota;

/* This process is shard i of k: it spends from the host's minutes and
 * from shard i's 1/k of them (its own keys in the table). Call before
 * quota_open; else $GCAL_QUOTA_SHARD ("I/K") says (gcal-run sets it for
 * its children), else one shard. */
void quota_set_shard(int i, int k);

/* The governor for the acting user and project of a profile.json
 * (borrowed). NULL when $GCAL_QUOTA is "off"; exits 78 when the table is
 * damaged or of an unknown version, 64 for a bad $GCAL_QUOTA_USER or
 * $GCAL_QUOTA_PROJECT. $GCAL_QUOTA_MINUTE_MS (tests) shortens the
 * minute. */
struct quota *quota_open(jv prof);
void quota_close(struct quota *q);

/* This process counts the user's minute as at most n calls (--rate). */
void quota_limit_user(struct quota *q, long n);
/* The hook for http_request.pacer (NULL for a NULL q). */
const struct http_pacer *quota_pacer(struct quota *q);
/* Every request from now on counts n calls (a batch of n); 1 to undo. */
void quota_set_cost(struct quota *q, int n);
/* Wait until n calls fit in the user's and the project's minute, and
 * spend them. */
void quota_take(struct quota *q, int n);
/* What an answer says of the quota (status 0: none came). */
void quota_answer(struct quota *q, long status, jv body);
/* 1 (and *until, epoch seconds) when the user's writes are stopped for
 * the day. */
int quota_stopped(struct quota *q, long long *until);
/* Calls this handle spent. */
long quota_requests(const struct quota *q);

/* Spend one call of each handle's user and n of their project in one
 * visit to the table, for requests made in the next few seconds: a fleet
 * run asks here before starting the links, so that each does not visit
 * the table itself. */
void quota_reserve(struct quota *const *qs, size_t n);

/* Visits to the table by this process (for make bench). */
long quota_table_visits(void);

#endif
