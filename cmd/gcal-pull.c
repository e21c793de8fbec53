/* gcal-pull: bring the local mirror of a calendar up to date with the
 * fewest requests Google allows (sync tokens), and print its events as
 * NDJSON. See gcal-pull(1). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cli.h"
#include "events.h"
#include "http.h"
#include "json.h"
#include "mirror.h"
#include "state.h"
#include "util.h"

/* Google's largest page (events.list maxResults). */
#define PAGE_SIZE "2500"

enum {
	OPT_FULL = CLI_FIRST_LONG, OPT_CHANGES, OPT_EXPAND, OPT_FROM, OPT_TO,
	OPT_FILTER,
};

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link to pull (default: $GCAL_PROFILE or 'default')"},
	{"calendar", 'c', "CALENDAR", NULL, "a calendar id (repeatable; default: the profile's chosen one)"},
	{"full", OPT_FULL, NULL, NULL, "pull everything again instead of what changed"},
	{"changes", OPT_CHANGES, NULL, NULL, "print only what changed since the last pull, deletions included"},
	{"expand", OPT_EXPAND, NULL, NULL, "recurring events as single instances (singleEvents)"},
	{"from", OPT_FROM, "TIME", NULL, "print only events ending after TIME (RFC 3339 or a date)"},
	{"to", OPT_TO, "TIME", NULL, "print only events starting before TIME"},
	{"filter", OPT_FILTER, "JQ", NULL, "a jq program applied to each event before printing"},
	{"verbose", 'v', NULL, NULL, "trace each HTTP exchange on stderr, secrets redacted (twice: bodies too)"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"[-p PROFILE] [-c CALENDAR]... [--full] [--changes] [--expand] [--from TIME] [--to TIME] [--filter JQ]",
	NULL,
};

struct pull {
	struct calendar_api *api;
	const char *profile;
	int full;
	int changes;
	int expand;
	int several;       /* more than one calendar: tag each line */
	long long from;
	long long to;
	struct jqprog *filter;
	int filter_failed;
};

/* A deleted event as the sync feed reports it: no times. */
static int
is_stub(jv ev)
{
	jv start = json_get(ev, "start");
	int stub = event_cancelled(ev) && jv_get_kind(start) != JV_KIND_OBJECT;

	jv_free(start);
	return stub;
}

/* One event, as bytes (json) or parsed (ev); prints what the options let
 * through. */
static void
emit(struct pull *p, const char *calendar, const char *caltz,
    const char *json, size_t len, jv ev)
{
	char *id;
	jv out;
	int rc;

	if (!p->several && p->filter == NULL && p->from == LLONG_MIN &&
	    p->to == LLONG_MAX && !jv_is_valid(ev)) {
		/* nothing to look at: the stored bytes are the output */
		fwrite(json, 1, len, stdout);
		putchar('\n');
		return;
	}
	if (!jv_is_valid(ev)) {
		jv_free(ev);
		ev = json_parse(json, len);
		if (!jv_is_valid(ev)) {
			jv_free(ev);
			warnx("calendar '%s': damaged event in the mirror", calendar);
			return;
		}
	}
	/* a deletion has no times: always report it */
	if ((p->from != LLONG_MIN || p->to != LLONG_MAX) && !is_stub(ev) &&
	    !event_in_window(ev, caltz, p->from, p->to)) {
		jv_free(ev);
		return;
	}
	if (p->several)
		ev = json_set_str(ev, EVENT_CALENDAR_FIELD, calendar);
	if (p->filter == NULL) {
		json_print(stdout, ev);
		return;
	}
	id = json_str(ev, "id") ? xstrdup(json_str(ev, "id")) : NULL;
	jqprog_start(p->filter, ev);
	while ((rc = jqprog_next(p->filter, &out)) != 0) {
		if (rc == -1) {
			char *why = json_error_text(out);

			warnx("calendar '%s': event '%s': --filter: %s", calendar,
			    id ? id : "", why);
			free(why);
			p->filter_failed = 1;
			break;
		}
		json_print(stdout, out);
	}
	free(id);
}

/* key of obj is absent, null, or of kind k. */
static int
is_kind(jv obj, const char *key, jv_kind k)
{
	jv v = json_get(obj, key);
	jv_kind got = jv_get_kind(v);

	jv_free(v);
	return got == JV_KIND_NULL || got == k;
}

/* An item of an events page that is not shaped as an Event resource
 * makes the whole answer unusable (calendar_list checked its id). */
static int
bad_item(const char *calendar, jv item)
{
	const char *why = event_check(item);

	if (why == NULL)
		return 0;
	warnx("calendar '%s': Google's answer is unusable: event '%s': %s",
	    calendar, json_str(item, "id"), why);
	return EX_UNAVAILABLE;
}

static char *
list_path(const char *calendar, int expand, const char *sync_token)
{
	char *cal = url_escape(calendar), *tok = NULL, *path;

	if (sync_token)
		tok = url_escape(sync_token);
	/* A sync token belongs to the query it was made with: singleEvents
	 * must be the same on every incremental list (sync guide). */
	path = xasprintf("/calendar/v3/calendars/%s/events?maxResults=" PAGE_SIZE
	    "%s%s%s", cal, expand ? "&singleEvents=true" : "",
	    tok ? "&syncToken=" : "", tok ? tok : "");
	free(cal);
	free(tok);
	return path;
}

/* Every page of the calendar's events (or of the changes since
 * sync_token) to fn; the last page in *last. Paging goes to the end before
 * nextSyncToken is kept (sync guide). 0, an exit status, or
 * CALENDAR_SYNC_GONE. */
static int
list_events(struct pull *p, const char *calendar, const char *sync_token,
    int (*fn)(jv, void *), void *arg, jv *last)
{
	char *path = list_path(calendar, p->expand, sync_token);
	char *what = xasprintf("calendar '%s'", calendar);
	int rc = calendar_list(p->api, path, what, fn, arg, last);

	if (rc == 0 && json_str(*last, "nextSyncToken") == NULL) {
		warnx("%s: Google's last page has no nextSyncToken", what);
		rc = EX_UNAVAILABLE;
	} else if (rc == 0 && !is_kind(*last, "timeZone", JV_KIND_STRING)) {
		warnx("%s: Google's last page has a \"timeZone\" that is not a "
		    "string", what);
		rc = EX_UNAVAILABLE;
	}
	free(what);
	free(path);
	return rc;
}

/* --- a full pull: every event, into a new mirror --------------------- */

struct build_arg {
	struct mirror_build *b;
	const char *calendar;
};

static int
add_to_build(jv item, void *arg)
{
	struct build_arg *ba = arg;
	const char *id = json_str(item, "id");
	char *json;
	int rc;

	if ((rc = bad_item(ba->calendar, item)) != 0)
		return rc;
	json = json_dump(jv_copy(item));
	rc = mirror_build_add(ba->b, id, strlen(id), json, strlen(json));
	free(json);
	return rc == 0 ? 0 : EX_SOFTWARE;
}

/* Event lines kept to be printed after the commit. */
struct lines {
	char **v;
	size_t n;
};

static void
lines_add(struct lines *l, char *json)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = json;
}

static void
lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static char *
deleted_stub(const char *id)
{
	/* what the sync feed says of a deleted event */
	return json_dump(json_set_str(json_set_str(json_set_str(jv_object(),
	    "id", id), "kind", "calendar#event"), "status", "cancelled"));
}

/* What a full pull changed, old mirror against new: events that are new
 * or whose bytes differ, and stubs for those that are gone. */
static int
full_changes(struct mirror_reader *old, struct mirror_reader *cur,
    struct lines *out)
{
	const char *oid = NULL, *ojs = NULL, *nid = NULL, *njs = NULL;
	size_t oil = 0, ojl = 0, nil = 0, njl = 0;
	int ho, hn, c;

	ho = mirror_next(old, &oid, &oil, &ojs, &ojl);
	hn = mirror_next(cur, &nid, &nil, &njs, &njl);
	while (ho == 1 || hn == 1) {
		c = ho != 1 ? 1 : hn != 1 ? -1 : strcmp(oid, nid);
		if (c < 0) {
			lines_add(out, deleted_stub(oid));
			ho = mirror_next(old, &oid, &oil, &ojs, &ojl);
		} else if (c > 0) {
			lines_add(out, xstrndup(njs, njl));
			hn = mirror_next(cur, &nid, &nil, &njs, &njl);
		} else {
			if (ojl != njl || memcmp(ojs, njs, njl) != 0)
				lines_add(out, xstrndup(njs, njl));
			ho = mirror_next(old, &oid, &oil, &ojs, &ojl);
			hn = mirror_next(cur, &nid, &nil, &njs, &njl);
		}
	}
	return ho == -1 || hn == -1 ? -1 : 0;
}

static int
pull_full(struct pull *p, struct mirror *m, const char *calendar,
    struct lines *changes, char **tz)
{
	struct mirror_build *b;
	struct mirror_reader *old, *cur;
	struct build_arg ba = {.calendar = calendar};
	jv last = jv_invalid();
	int rc;

	if ((b = mirror_build_new(m, 0)) == NULL)
		return EX_SOFTWARE;
	ba.b = b;
	rc = list_events(p, calendar, NULL, add_to_build, &ba, &last);
	if (rc == 0 && mirror_build_finish(b) == -1)
		rc = EX_SOFTWARE;
	if (rc == 0 && p->changes) {
		old = mirror_read(m);
		cur = mirror_build_read(b);
		if (full_changes(old, cur, changes) == -1)
			rc = EX_SOFTWARE;
		mirror_read_close(old);
		mirror_read_close(cur);
	}
	if (rc == 0 && mirror_commit(m, b, json_str(last, "nextSyncToken"),
	    json_str(last, "timeZone")) == -1)
		rc = EX_SOFTWARE;
	if (rc == 0 && json_str(last, "timeZone"))
		*tz = xstrdup(json_str(last, "timeZone"));
	mirror_build_free(b);
	jv_free(last);
	return rc;
}

/* --- an incremental pull: what changed since the sync token ----------- */

struct change {
	char *id;
	char *json;
	size_t seq;
	int removes;   /* a deletion: drop the id from the mirror */
	int is_master; /* ... and the instances of a recurring event */
};

struct changeset {
	struct change *v;
	size_t n;
	int expand;
	const char *calendar;
};

static int
collect_change(jv item, void *arg)
{
	struct changeset *cs = arg;
	const char *id = json_str(item, "id");
	struct change *c;
	jv rid;
	int rc;

	if ((rc = bad_item(cs->calendar, item)) != 0)
		return rc;
	cs->v = xreallocarray(cs->v, cs->n + 1, sizeof(*cs->v));
	c = &cs->v[cs->n];
	c->id = xstrdup(id);
	c->json = json_dump(jv_copy(item));
	c->seq = cs->n;
	rid = json_get(item, "recurringEventId");
	/* Google lists cancelled instances of a recurring event with the
	 * event (unless singleEvents): they stay in the mirror as the
	 * exceptions they are. Any other cancelled record is a deletion. */
	c->removes = event_cancelled(item) &&
	    (cs->expand || jv_get_kind(rid) != JV_KIND_STRING);
	c->is_master = c->removes && jv_get_kind(rid) != JV_KIND_STRING;
	jv_free(rid);
	cs->n++;
	return 0;
}

static int
cmp_change(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
pull_incremental(struct pull *p, struct mirror *m, const char *calendar,
    struct lines *changes, char **tz)
{
	struct changeset cs = {.expand = p->expand, .calendar = calendar};
	struct mirror_change *mc;
	char **gone = NULL;
	size_t ngone = 0;
	char *caltz = NULL;
	jv last = jv_invalid();
	size_t i, k;
	int rc;

	rc = list_events(p, calendar, mirror_sync_token(m), collect_change, &cs,
	    &last);
	if (rc != 0)
		goto out;
	/* the last record for an id is the one that counts */
	if (cs.n > 0)
		qsort(cs.v, cs.n, sizeof(*cs.v), cmp_change);
	for (i = k = 0; i < cs.n; i++) {
		if (i + 1 < cs.n && strcmp(cs.v[i].id, cs.v[i + 1].id) == 0) {
			free(cs.v[i].id);
			free(cs.v[i].json);
			continue;
		}
		cs.v[k++] = cs.v[i];
	}
	cs.n = k;
	/* A copy: the mirror's own lives in the state that committing the
	 * changes replaces (an incremental page need not name the zone). */
	if (json_str(last, "timeZone") || mirror_time_zone(m))
		caltz = xstrdup(json_str(last, "timeZone") ?
		    json_str(last, "timeZone") : mirror_time_zone(m));
	if (cs.n == 0) {
		/* nothing changed: the events stay, the token moves on */
		if (mirror_touch(m, json_str(last, "nextSyncToken"), caltz) == -1)
			rc = EX_SOFTWARE;
	} else {
		mc = xcalloc(cs.n, sizeof(*mc));
		for (i = 0; i < cs.n; i++) {
			mc[i].id = cs.v[i].id;
			mc[i].json = cs.v[i].removes ? NULL : cs.v[i].json;
			mc[i].is_master = cs.v[i].is_master;
		}
		if (mirror_apply(m, mc, cs.n, json_str(last, "nextSyncToken"),
		    caltz, &gone, &ngone) == -1)
			rc = EX_SOFTWARE;
		free(mc);
	}
	if (rc == 0 && p->changes) {
		for (i = 0; i < cs.n; i++) {
			lines_add(changes, cs.v[i].json);
			cs.v[i].json = NULL;
		}
		/* instances that went with their recurring event */
		for (i = 0; i < ngone; i++)
			lines_add(changes, deleted_stub(gone[i]));
	}
	if (rc == 0 && caltz) {
		*tz = caltz;
		caltz = NULL;
	}
out:
	free(caltz);
	for (i = 0; i < ngone; i++)
		free(gone[i]);
	free(gone);
	for (i = 0; i < cs.n; i++) {
		free(cs.v[i].id);
		free(cs.v[i].json);
	}
	free(cs.v);
	jv_free(last);
	return rc;
}

static int
pull_calendar(struct pull *p, const char *calendar)
{
	struct lines changes = {0};
	struct mirror *m;
	struct mirror_reader *r;
	const char *id, *json;
	size_t idlen, len, i;
	char *tz = NULL;
	int rc = CALENDAR_SYNC_GONE;

	if ((m = mirror_open(p->profile, calendar, p->expand)) == NULL)
		return errno == ENOTSUP ? EX_CONFIG : EX_DATAERR; /* newer, damaged */
	if (!p->full && mirror_sync_token(m)) {
		rc = pull_incremental(p, m, calendar, &changes, &tz);
		if (rc == CALENDAR_SYNC_GONE)
			note("calendar '%s': Google no longer knows the sync token "
			    "(410): pulling in full", calendar);
	}
	if (rc == CALENDAR_SYNC_GONE)
		rc = pull_full(p, m, calendar, &changes, &tz);
	if (rc == 0 && p->changes) {
		for (i = 0; i < changes.n; i++)
			emit(p, calendar, tz, changes.v[i], strlen(changes.v[i]),
			    jv_invalid());
	} else if (rc == 0) {
		r = mirror_read(m);
		while ((rc = mirror_next(r, &id, &idlen, &json, &len)) == 1)
			emit(p, calendar, tz, json, len, jv_invalid());
		rc = rc == -1 ? EX_SOFTWARE : 0;
		mirror_read_close(r);
	}
	lines_free(&changes);
	free(tz);
	mirror_close(m);
	return rc;
}

static long long
time_option(const char *opt, const char *s)
{
	long long t;

	if (time_parse(s, NULL, &t) == -1)
		errx(EX_USAGE, "%s '%s': not an RFC 3339 time or a date "
		    "(2026-11-23T10:00:00+01:00, 2026-11-23)", opt, s);
	return t;
}

int
main(int argc, char *argv[])
{
	struct pull p = {.from = LLONG_MIN, .to = LLONG_MAX};
	const char **cals = NULL, *arg, *filter = NULL, *chosen;
	size_t ncals = 0, i;
	struct cli *c;
	char *why;
	jv prof = jv_invalid();
	int key, rc = 0, r, lock;

	cli_synopsis = synopsis;
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'p':
			state_set_profile(arg);
			break;
		case 'c':
			cals = xreallocarray(cals, ncals + 1, sizeof(*cals));
			cals[ncals++] = arg;
			break;
		case OPT_FULL:
			p.full = 1;
			break;
		case OPT_CHANGES:
			p.changes = 1;
			break;
		case OPT_EXPAND:
			p.expand = 1;
			break;
		case OPT_FROM:
			p.from = time_option("--from", arg);
			break;
		case OPT_TO:
			p.to = time_option("--to", arg);
			break;
		case OPT_FILTER:
			filter = arg;
			break;
		}
	}
	cli_free(c);
	cli_no_operands(argc, argv);
	http_check_env();
	if (p.from >= p.to) {
		warnx("--from must come before --to");
		return EX_USAGE;
	}
	if (filter && (p.filter = jqprog_new(filter, &why)) == NULL) {
		warnx("--filter: %s", why);
		free(why);
		return EX_USAGE;
	}
	p.profile = state_profile();
	if ((rc = state_profile_load(p.profile, &prof)) != 0)
		goto out;
	if (ncals == 0) {
		/* the profile's chosen calendar; reading the primary one is
		 * harmless when none was chosen */
		chosen = json_str(prof, "calendar");
		cals = xreallocarray(cals, 1, sizeof(*cals));
		cals[ncals++] = chosen ? chosen : "primary";
	}
	p.several = ncals > 1;
	/* one run per profile at a time: cron runs must not interleave */
	if ((lock = state_lock(p.profile, "lock", 60, &rc)) == -1)
		goto out;
	if ((p.api = calendar_open(p.profile, &rc)) != NULL) {
		for (i = 0; i < ncals; i++)
			if ((r = pull_calendar(&p, cals[i])) != 0 && rc == 0)
				rc = r;
		calendar_close(p.api);
	}
	state_unlock(lock);
	if (rc == 0 && p.filter_failed)
		rc = EX_DATAERR;
out:
	jv_free(prof);
	free(cals);
	jqprog_free(p.filter);
	http_cleanup();
	return finish_stdout(rc);
}
