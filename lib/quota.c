/* quota: see quota.h.
 *
 * A request spends from its buckets: the user's and the project's whole
 * minute on the host (quota_table.h), and for a shard of gcal-run
 * --shard I/K the user's and the project's of shard I too, limited to
 * 1/K: K shards on one host share the host's minutes, K hosts each keep
 * to their share.
 *
 * A visit to the table spends for every bucket of a request at once, and
 * grants the process a lease of more calls than asked for a project
 * (LEASE_SHARE of its minute) valid until the slot ends, so that most
 * requests of a fleet run spend from memory; quota_reserve does the same
 * for many users at once. Calls leased and not made go back to their
 * slot at the next visit. */
#include <err.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "lines.h"
#include "quota.h"
#include "quota_table.h"
#include "util.h"
#include "zone.h"

#define LEASE_SHARE 200 /* a project lease: 1/200 of its minute */

struct lease {
	int64_t slot;
	long n;
};

/* A project's lease, for every handle of the process. */
struct project {
	uint64_t key;
	struct lease lease;
	struct project *next;
};

/* A minute a request spends from: the user's or the project's, whole
 * or a shard's share of it. */
struct bucket {
	uint64_t key;
	long limit;
	int project;
	struct lease *lease; /* the handle's (a user), or the process's */
};

enum { USER, PROJECT, USER_SHARD, PROJECT_SHARD, BUCKETS };

struct quota {
	struct bucket b[BUCKETS];
	int nb;
	int cost;
	long requests;
	struct lease user_lease[2];
	struct http_pacer pacer;
};

/* The process's view of the table; everything below under mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int shard, shards; /* shards 0: $GCAL_QUOTA_SHARD, else 1 */
static long long minute_ms = 60000; /* $GCAL_QUOTA_MINUTE_MS, for tests */
static long long slot_ms = 5000;
static struct project *projects;

void
quota_set_shard(int i, int k)
{
	shard = i;
	shards = k > 0 ? k : 1;
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
key_of(char kind, const char *name)
{
	struct buf b = {0};
	uint64_t h;

	buf_addc(&b, kind);
	buf_addc(&b, ':');
	buf_adds(&b, name ? name : "");
	h = lines_hash(b.data, b.len);
	buf_free(&b);
	return h ? h : 1;
}

static long
limit_env(const char *name, long def)
{
	const char *s = getenv(name), *errstr;
	long v;

	if (s == NULL || *s == '\0')
		v = def;
	else if ((v = (long)strtonum(s, 1, 100000000, &errstr)), errstr)
		errx(EX_USAGE, "$%s: '%s' is %s", name, s, errstr);
	return v;
}

/* What lease l holds for slot cur (nothing once its slot is over). */
static long
leased(const struct lease *l, int64_t cur)
{
	return l->slot == cur ? l->n : 0;
}

/* Bring lease l to slot cur, under the table's lock: calls leased in an
 * earlier slot of e and not spent go back to it (they never left). */
static void
settle(struct qt_entry *e, struct lease *l, int64_t cur)
{
	if (l->slot == cur)
		return;
	if (e && l->n > 0)
		qt_give_back(e, l->slot, cur, l->n);
	l->slot = cur;
	l->n = 0;
}

/* Take n calls: from the leases, else from the table. 0, or the ms to
 * wait before asking again. Under mu. */
static long
try_take(struct quota *q, long n)
{
	long long ms = wall_ms();
	int64_t cur = ms / slot_ms;
	struct qt_entry *e[BUCKETS];
	long need[BUCKETS], more;
	int i, short_ = 0;

	for (i = 0; i < q->nb; i++)
		short_ |= leased(q->b[i].lease, cur) < n;
	if (short_) {
		qt_lock();
		for (i = 0; i < q->nb; i++) {
			e[i] = qt_find(q->b[i].key, cur, ms);
			settle(e[i], q->b[i].lease, cur);
			need[i] = n > q->b[i].lease->n ? n - q->b[i].lease->n : 0;
			/* a request larger than a whole minute waits for an
			 * empty one */
			if (e[i] && qt_room(e[i], q->b[i].limit, ms) < need[i] &&
			    qt_used(e[i]) > 0) {
				qt_unlock();
				return (long)((cur + 1) * slot_ms - ms) + 1;
			}
		}
		for (i = 0; i < q->nb; i++) {
			more = 0;
			if (q->b[i].project && need[i] > 0 && e[i]) {
				more = qt_room(e[i], q->b[i].limit, ms) - need[i];
				if (more > q->b[i].limit / LEASE_SHARE)
					more = q->b[i].limit / LEASE_SHARE;
			}
			if (e[i])
				qt_spend(e[i], cur, need[i] + more);
			q->b[i].lease->n += need[i] + more;
		}
		qt_unlock();
	}
	for (i = 0; i < q->nb; i++)
		q->b[i].lease->n -= n;
	q->requests += n;
	return 0;
}

void
quota_take(struct quota *q, int n)
{
	long wait;

	if (q == NULL)
		return;
	for (;;) {
		pthread_mutex_lock(&mu);
		wait = try_take(q, n);
		pthread_mutex_unlock(&mu);
		if (wait == 0)
			return;
		if (verbose)
			warnx("quota: the minute is spent: waiting %ld ms", wait);
		usleep((useconds_t)wait * 1000);
	}
}

void
quota_reserve(struct quota *const *qs, size_t n)
{
	struct bucket *b;
	long long ms;
	int64_t cur;
	struct qt_entry *e;
	size_t i;
	long r;
	int k;

	if (n == 0 || qs[0] == NULL)
		return;
	pthread_mutex_lock(&mu);
	ms = wall_ms();
	cur = ms / slot_ms;
	qt_lock();
	for (i = 0; i < n; i++)
		for (k = 0; k < qs[i]->nb; k++) {
			b = &qs[i]->b[k];
			if ((e = qt_find(b->key, cur, ms)) == NULL)
				continue;
			settle(e, b->lease, cur);
			if (b->lease->n > 0)
				continue;
			/* a call of each user; the project's, once, for all */
			r = b->project ? (long)(n - i) : 1;
			if (r > qt_room(e, b->limit, ms))
				r = qt_room(e, b->limit, ms);
			if (r > 0) {
				qt_spend(e, cur, r);
				b->lease->n += r;
			}
		}
	qt_unlock();
	pthread_mutex_unlock(&mu);
}

/* error.errors[0].reason of a Google error body, borrowed. */
static const char *
reason_of(jv body)
{
	jv e, errs, first;
	const char *r = NULL;

	if (jv_get_kind(body) != JV_KIND_OBJECT)
		return NULL;
	e = jv_object_get(jv_copy(body), jv_string("error"));
	if (jv_get_kind(e) == JV_KIND_OBJECT) {
		errs = jv_object_get(jv_copy(e), jv_string("errors"));
		if (jv_get_kind(errs) == JV_KIND_ARRAY &&
		    jv_array_length(jv_copy(errs)) > 0) {
			first = jv_array_get(jv_copy(errs), 0);
			/* the string lives in body, which the caller holds */
			r = json_str(first, "reason");
			jv_free(first);
		}
		jv_free(errs);
	}
	jv_free(e);
	return r;
}

/* The end of Google's day: the next midnight, Pacific time (the quota
 * page's daily limits reset then). */
static long long
day_end(long long now)
{
	long off;
	long long t;

	if (zone_offset("America/Los_Angeles", now, &off) == -1)
		off = -8 * 3600;
	t = ((now + off) / 86400 + 1) * 86400;
	if (zone_local_to_utc("America/Los_Angeles", t, &t) == -1)
		t -= off;
	return t;
}

void
quota_answer(struct quota *q, long status, jv body)
{
	const char *reason;
	struct qt_entry *eu, *ep, *e;
	long long ms = wall_ms();
	int64_t cur = ms / slot_ms;
	int rate, daily, project_daily, i;

	if (q == NULL || (status != 403 && status != 429))
		return;
	reason = reason_of(body);
	daily = reason && strcmp(reason, "quotaExceeded") == 0;
	project_daily = reason && strcmp(reason, "dailyLimitExceeded") == 0;
	rate = status == 429 || (reason && (strcmp(reason,
	    "rateLimitExceeded") == 0 || strcmp(reason,
	    "userRateLimitExceeded") == 0));
	if (!rate && !daily && !project_daily)
		return;
	pthread_mutex_lock(&mu);
	qt_lock();
	eu = qt_find(q->b[USER].key, cur, ms);
	ep = qt_find(q->b[PROJECT].key, cur, ms);
	if (daily && eu)
		eu->stop_until = day_end(ms / 1000);
	if (project_daily && ep)
		ep->stop_until = day_end(ms / 1000);
	for (i = 0; rate && i < q->nb; i++) {
		if ((e = qt_find(q->b[i].key, cur, ms)) == NULL)
			continue;
		if (!q->b[i].project) {
			qt_slow(e, ms, minute_ms, slot_ms);
			continue;
		}
		/* the project's minute is spent when two of its users are
		 * told */
		if (e->told_user != q->b[USER].key && e->told_at > ms - minute_ms)
			qt_slow(e, ms, minute_ms, slot_ms);
		e->told_user = q->b[USER].key;
		e->told_at = ms;
	}
	qt_unlock();
	/* what the process leased is no longer to be trusted */
	for (i = 0; i < q->nb; i++)
		q->b[i].lease->n = 0;
	pthread_mutex_unlock(&mu);
}

int
quota_stopped(struct quota *q, long long *until)
{
	long long ms = wall_ms(), t = 0;
	int64_t cur = ms / slot_ms;
	struct qt_entry *e;

	if (q == NULL)
		return 0;
	pthread_mutex_lock(&mu);
	qt_lock();
	if ((e = qt_find(q->b[USER].key, cur, ms)) != NULL &&
	    e->stop_until * 1000 > ms)
		t = e->stop_until;
	if ((e = qt_find(q->b[PROJECT].key, cur, ms)) != NULL &&
	    e->stop_until * 1000 > ms &&
	    e->stop_until > t)
		t = e->stop_until;
	qt_unlock();
	pthread_mutex_unlock(&mu);
	if (t && until)
		*until = t;
	return t != 0;
}

static void
pacer_before(void *arg)
{
	struct quota *q = arg;

	quota_take(q, q->cost);
}

static void
pacer_after(void *arg, long status, jv body)
{
	quota_answer(arg, status, body);
}

/* The project of a profile: its OAuth client, or a service account's
 * project (the domain of its client_email). */
static const char *
project_of(jv prof)
{
	const char *s = json_str(prof, "client_id");

	if (s == NULL && (s = json_str(prof, "client_email")) != NULL &&
	    strchr(s, '@'))
		s = strchr(s, '@') + 1;
	return s;
}

/* The process's lease of a project's bucket. Under mu. */
static struct lease *
project_lease(uint64_t key)
{
	struct project *p;

	for (p = projects; p && p->key != key; p = p->next)
		;
	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		p->key = key;
		p->next = projects;
		projects = p;
	}
	return &p->lease;
}

/* The settings of the environment, once a process. */
static void
read_env(void)
{
	const char *env, *errstr, *slash;
	char *left;

	if ((env = getenv("GCAL_QUOTA_MINUTE_MS")) != NULL && *env) {
		minute_ms = strtonum(env, 120, 60000, &errstr);
		if (errstr)
			errx(EX_USAGE, "$GCAL_QUOTA_MINUTE_MS: '%s' is %s", env,
			    errstr);
		slot_ms = minute_ms / (SLOTS - 1);
	}
	if (shards == 0 && (env = getenv("GCAL_QUOTA_SHARD")) != NULL && *env) {
		/* a child of gcal-run --shard I/K */
		if ((slash = strchr(env, '/')) == NULL)
			errx(EX_USAGE, "$GCAL_QUOTA_SHARD: '%s' is not I/K", env);
		left = xstrndup(env, (size_t)(slash - env));
		shard = (int)strtonum(left, 0, 99999, &errstr);
		free(left);
		if (errstr == NULL)
			shards = (int)strtonum(slash + 1, 1, 100000, &errstr);
		if (errstr || shard >= shards)
			errx(EX_USAGE, "$GCAL_QUOTA_SHARD: '%s' is not I/K", env);
	}
	if (shards == 0)
		shards = 1;
}

static void
bucket(struct quota *q, char kind, const char *name, long limit,
    struct lease *lease)
{
	struct bucket *b = &q->b[q->nb];
	struct buf k = {0};

	buf_adds(&k, name ? name : "");
	if (q->nb++ >= USER_SHARD) /* a shard's share: a key of its own */
		buf_printf(&k, "#%d/%d", shard, shards);
	b->key = key_of(kind, k.data);
	b->limit = limit > 0 ? limit : 1;
	b->project = kind == 'p';
	b->lease = lease;
	buf_free(&k);
}

struct quota *
quota_open(jv prof)
{
	const char *off = getenv("GCAL_QUOTA"), *user;
	long ulim, plim;
	struct quota *q;

	if (off && strcmp(off, "off") == 0)
		return NULL;
	pthread_mutex_lock(&mu);
	read_env();
	if (qt_open() == -1) {
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	ulim = limit_env("GCAL_QUOTA_USER", 600);
	plim = limit_env("GCAL_QUOTA_PROJECT", 10000);
	/* a service account acts as its subject (gcal-auth: "account") */
	if ((user = json_str(prof, "subject")) == NULL)
		user = json_str(prof, "account");
	/* the host's whole minutes, which every process on it shares; and a
	 * shard's share, which the shard's processes share, on this host or
	 * the one it runs on */
	bucket(q, 'u', user, ulim, &q->user_lease[0]);
	bucket(q, 'p', project_of(prof), plim, NULL);
	if (shards > 1) {
		bucket(q, 'u', user, ulim / shards, &q->user_lease[1]);
		bucket(q, 'p', project_of(prof), plim / shards, NULL);
	}
	q->b[PROJECT].lease = project_lease(q->b[PROJECT].key);
	if (shards > 1)
		q->b[PROJECT_SHARD].lease = project_lease(q->b[PROJECT_SHARD].key);
	q->cost = 1;
	q->pacer.before = pacer_before;
	q->pacer.after = pacer_after;
	q->pacer.arg = q;
	pthread_mutex_unlock(&mu);
	return q;
}

void
quota_close(struct quota *q)
{
	free(q);
}

const struct http_pacer *
quota_pacer(struct quota *q)
{
	return q ? &q->pacer : NULL;
}

void
quota_set_cost(struct quota *q, int n)
{
	if (q)
		q->cost = n > 0 ? n : 1;
}

void
quota_limit_user(struct quota *q, long n)
{
	int i;

	for (i = 0; q && n > 0 && i < q->nb; i++)
		if (!q->b[i].project && n < q->b[i].limit)
			q->b[i].limit = n;
}

long
quota_requests(const struct quota *q)
{
	return q ? q->requests : 0;
}

long
quota_table_visits(void)
{
	long v;

	pthread_mutex_lock(&mu);
	v = qt_visits();
	pthread_mutex_unlock(&mu);
	return v;
}
