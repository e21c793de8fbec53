/* run: see run.h. */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "json.h"
#include "lines.h"
#include "run.h"
#include "state.h"
#include "util.h"

#define RUN_FILE "run.json"

static long
num(jv o, const char *key, long def)
{
	jv v = json_get(o, key);
	long n = jv_get_kind(v) == JV_KIND_NUMBER ? (long)jv_number_value(v) : def;

	jv_free(v);
	return n;
}

static void
copy_str(char *dst, size_t n, const char *s)
{
	strlcpy(dst, s ? s : "", n);
}

int
run_record_read(const char *profile, struct run_record *r)
{
	char *path = state_path(STATE_STATE, profile, RUN_FILE), *why;
	const char *when;
	jv o;

	memset(r, 0, sizeof(*r));
	r->requests = r->changes = -1;
	o = state_read_json(path);
	if (!jv_is_valid(o) && errno == ENOENT) {
		jv_free(o);
		free(path);
		return 0;
	}
	if (!jv_is_valid(o) || (when = json_str(o, "when")) == NULL ||
	    time_parse(when, NULL, &r->when) == -1 ||
	    num(o, "status", -1) < 0) {
		if (jv_is_valid(o)) {
			why = xstrdup("no \"when\" time or \"status\" number");
			jv_free(o);
		} else
			why = state_error(path, o); /* consumes o */
		warnx("profile '%s': its last run is damaged: %s", profile, why);
		free(why);
		free(path);
		return -1;
	}
	copy_str(r->job, sizeof(r->job), json_str(o, "job"));
	copy_str(r->link, sizeof(r->link), json_str(o, "link"));
	r->status = (int)num(o, "status", 0);
	r->requests = num(o, "requests", -1);
	r->changes = num(o, "changes", -1);
	r->duration_ms = num(o, "duration_ms", 0);
	r->failures = (int)num(o, "failures", 0);
	jv_free(o);
	free(path);
	return 0;
}

jv
run_record_json(const char *profile, const struct run_record *r)
{
	char when[32];
	jv o = json_set_str(jv_object(), "profile", profile);

	if (r->when == 0)
		return o;
	time_rfc3339(r->when, when);
	o = json_set_str(o, "when", when);
	o = json_set_str(o, "job", r->job);
	o = jv_object_set(o, jv_string("status"), jv_number(r->status));
	o = jv_object_set(o, jv_string("requests"), r->requests < 0 ?
	    jv_null() : jv_number((double)r->requests));
	o = jv_object_set(o, jv_string("changes"), r->changes < 0 ?
	    jv_null() : jv_number((double)r->changes));
	o = jv_object_set(o, jv_string("duration_ms"),
	    jv_number((double)r->duration_ms));
	o = jv_object_set(o, jv_string("failures"), jv_number(r->failures));
	return json_set_str(o, "link", r->link);
}

int
run_record_write(const char *profile, const struct run_record *r)
{
	char *path = state_path(STATE_STATE, profile, RUN_FILE);
	jv o = jv_object_delete(run_record_json(profile, r), jv_string("profile"));
	int rc = state_write_json(path, o);

	if (rc == -1)
		warn("'%s'", path);
	free(path);
	return rc;
}

static void
stamp(struct buf *b, enum state_area area, const char *profile,
    const char *name)
{
	char *path = state_path(area, profile, name);
	struct stat st;

	if (stat(path, &st) == 0)
		buf_printf(b, "%llx.%llx.%lx", (unsigned long long)st.st_ino,
		    (unsigned long long)st.st_mtim.tv_sec,
		    (long)st.st_mtim.tv_nsec);
	else
		buf_adds(b, "-");
	free(path);
}

void
run_link_print(const char *profile, char out[64])
{
	struct buf b = {0};

	/* gcal-auth replaces these files by rename: a new inode */
	stamp(&b, STATE_CONFIG, profile, "profile.json");
	buf_addc(&b, ':');
	stamp(&b, STATE_STATE, profile, "token.json");
	strlcpy(out, b.data, 64);
	buf_free(&b);
}

uint64_t
run_hash(const char *profile)
{
	return lines_hash(profile, strlen(profile));
}

int
run_in_shard(const char *profile, int i, int k)
{
	return k <= 1 || (int)(run_hash(profile) % (uint64_t)k) == i;
}

const char *
run_health_name(enum run_health h)
{
	static const char *const names[] = {"never", "ok", "backoff",
	    "relink", "daily-limit", "failing"};

	return names[h];
}

enum run_health
run_health_of(const struct run_record *r, const char *link_now)
{
	if (r->when == 0)
		return RUN_NEVER;
	switch (r->status) {
	case 0:
	case EXIT_PARTIAL:
		return RUN_OK;
	case EX_TEMPFAIL:
		return RUN_BACKOFF;
	case EX_NOPERM:
	case EX_CONFIG:
		/* linked again since: no longer the human's */
		return strcmp(r->link, link_now) == 0 ? RUN_HUMAN : RUN_NEVER;
	case 4:
		return RUN_DAILY;
	default:
		return RUN_FAILING;
	}
}

/* A 75 waits base, then twice, four times... as long, up to an hour (or
 * base when longer). */
static long long
backoff_ms(long long base, int failures)
{
	long long cap = base > 3600000 ? base : 3600000, d = base;
	int i;

	for (i = 1; i < failures && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

long long
run_next_due(const char *profile, const struct run_record *r,
    const struct run_schedule *s, const char *link_now)
{
	enum run_health h = run_health_of(r, link_now);
	long long last = r->when * 1000, every = s->every_ms;
	double off;

	if (h == RUN_NEVER)
		return 0;
	if (h == RUN_HUMAN)
		return LLONG_MAX;
	if (h == RUN_BACKOFF)
		return last + backoff_ms(every ? every : 60000, r->failures);
	if (every == 0)
		return 0;
	/* Google asks for fixed schedules spread by +-25% (quota guide,
	 * "Randomize traffic patterns"): a stable offset per link, from
	 * the hash of its name, in [-jitter, +jitter]. */
	off = ((double)(run_hash(profile) % 2001) - 1000.0) / 1000.0 *
	    s->jitter_pct / 100.0;
	return last + (long long)((double)every * (1.0 + off));
}

static int
rank(int status)
{
	static const int order[] = {EX_NOPERM, EX_CONFIG, EX_SOFTWARE,
	    EX_UNAVAILABLE, EX_NOINPUT, EX_DATAERR, EX_USAGE, -1, 4,
	    EX_TEMPFAIL, EXIT_PARTIAL, 0};
	size_t i, n = sizeof(order) / sizeof(order[0]);

	for (i = 0; i < n; i++)
		if (order[i] == status)
			return (int)(n - i);
	return 5; /* another status: after 64 (the -1 above) */
}

int
run_worse(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}

long long
run_parse_duration(const char *s)
{
	const char *errstr;
	char num_[32];
	size_t n = strlen(s);
	long long v, unit = 1000;

	if (n == 0 || n >= sizeof(num_))
		return -1;
	memcpy(num_, s, n + 1);
	switch (num_[n - 1]) {
	case 's':
		num_[--n] = '\0';
		break;
	case 'm':
		unit = 60000;
		num_[--n] = '\0';
		break;
	case 'h':
		unit = 3600000;
		num_[--n] = '\0';
		break;
	case 'd':
		unit = 86400000;
		num_[--n] = '\0';
		break;
	}
	v = strtonum(num_, 1, 366LL * 86400, &errstr);
	if (errstr || v * unit > 366LL * 86400000)
		return -1;
	return v * unit;
}
