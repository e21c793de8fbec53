/* pull: see pull.h. The sync guide's rules (developers.google.com/
 * calendar/api/guides/sync): page to the end before a nextSyncToken is
 * kept, the same query on every incremental list, 410 means pull in
 * full. */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "events.h"
#include "graph_pull.h"
#include "http.h"
#include "json.h"
#include "lines.h"
#include "mirror.h"
#include "pull.h"
#include "state.h"
#include "util.h"

/* Google's largest page (events.list maxResults). */
#define PAGE_SIZE "2500"

/* One pull_run. */
struct pull {
	const struct pull_options *o;
	struct calendar_api *api;
	int several;      /* more than one calendar: tag each line */
	struct buf line;  /* an event made into text, for o->record */
	long changes;
	int filter_failed;
};

/* v (consumed) as one line to the caller. */
static void
put(struct pull *p, jv v)
{
	buf_reset(&p->line);
	json_dump_buf(&p->line, v);
	p->o->record(p->o->arg, p->line.data, p->line.len);
}

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

	const struct pull_options *o = p->o;

	if (!p->several && o->filter == NULL && o->from == LLONG_MIN &&
	    o->to == LLONG_MAX && !jv_is_valid(ev)) {
		/* nothing to look at: the stored bytes are the output */
		o->record(o->arg, json, len);
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
	if ((o->from != LLONG_MIN || o->to != LLONG_MAX) && !is_stub(ev) &&
	    !event_in_window(ev, caltz, o->from, o->to)) {
		jv_free(ev);
		return;
	}
	if (p->several)
		ev = json_set_str(ev, EVENT_CALENDAR_FIELD, calendar);
	if (o->filter == NULL) {
		put(p, ev);
		return;
	}
	id = json_str(ev, "id") ? xstrdup(json_str(ev, "id")) : NULL;
	jqprog_start(o->filter, ev);
	while ((rc = jqprog_next(o->filter, &out)) != 0) {
		if (rc == -1) {
			char *why = json_error_text(out);

			warnx("calendar '%s': event '%s': --filter: %s", calendar,
			    id ? id : "", why);
			free(why);
			p->filter_failed = 1;
			break;
		}
		put(p, out);
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
	warnx("calendar '%s': the calendar service's answer is unusable: "
	    "event '%s': %s", calendar, json_str(item, "id"), why);
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
    const char *was, int (*fn)(jv, void *), void *arg, jv *last)
{
	char *path, *what;
	int rc;

	/* Microsoft: a calendarView delta round (graph_pull.h) */
	if (calendar_provider(p->api) == PROVIDER_MICROSOFT)
		return graph_pull_list(p->api, p->o->profile, calendar,
		    p->o->expand, sync_token, was, fn, arg, last);
	path = list_path(calendar, p->o->expand, sync_token);
	what = xasprintf("calendar '%s'", calendar);
	rc = calendar_list(p->api, path, what, fn, arg, last);

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
	jv series; /* Microsoft without expand: the ids of the masters and
	            * instances the round gave; else invalid */
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
	if (jv_is_valid(ba->series) && (json_str(item, "recurringEventId") ||
	    json_kind(item, "recurrence") == JV_KIND_ARRAY))
		ba->series = json_set(ba->series, id, jv_true());
	json = json_dump(jv_copy(item));
	rc = mirror_build_add(ba->b, id, strlen(id), json, strlen(json));
	free(json);
	return rc == 0 ? 0 : EX_SOFTWARE;
}

/* Event lines kept to be handed on after the commit: NDJSON text, read
 * back with lines_adopt. */
static void
change_add(struct buf *out, const char *json, size_t len)
{
	buf_add(out, json, len);
	buf_addc(out, '\n');
}

static void
deleted_stub(struct buf *out, const char *id)
{
	/* what the sync feed says of a deleted event */
	json_dump_buf(out, json_set_str(json_set_str(json_set_str(jv_object(),
	    "id", id), "kind", "calendar#event"), "status", "cancelled"));
	buf_addc(out, '\n');
}

/* What a full pull changed, old mirror against new: events that are new
 * or whose bytes differ, and stubs for those that are gone. */
static int
full_changes(struct mirror_reader *old, struct mirror_reader *cur,
    struct buf *out)
{
	const char *oid = NULL, *ojs = NULL, *nid = NULL, *njs = NULL;
	size_t oil = 0, ojl = 0, nil = 0, njl = 0;
	int ho, hn, c;

	ho = mirror_next(old, &oid, &oil, &ojs, &ojl);
	hn = mirror_next(cur, &nid, &nil, &njs, &njl);
	while (ho == 1 || hn == 1) {
		c = ho != 1 ? 1 : hn != 1 ? -1 : strcmp(oid, nid);
		if (c < 0) {
			deleted_stub(out, oid);
			ho = mirror_next(old, &oid, &oil, &ojs, &ojl);
		} else if (c > 0) {
			change_add(out, njs, njl);
			hn = mirror_next(cur, &nid, &nil, &njs, &njl);
		} else {
			if (ojl != njl || memcmp(ojs, njs, njl) != 0)
				change_add(out, njs, njl);
			ho = mirror_next(old, &oid, &oil, &ojs, &ojl);
			hn = mirror_next(cur, &nid, &nil, &njs, &njl);
		}
	}
	return ho == -1 || hn == -1 ? -1 : 0;
}

/* Graph v1.0 lists no cancelled occurrence (calendarView, instances;
 * cancelledOccurrences is beta only), where Google's full list gives a
 * recurring event's cancelled instances with it: a full round of a
 * Microsoft calendar keeps those the mirror knew, of the series the
 * round still gave (the build's later lines replace earlier ones, so
 * only ids the round did not give are added). */
static int
keep_cancelled(struct mirror *m, struct build_arg *ba)
{
	struct mirror_reader *r = mirror_read(m);
	const char *id, *js, *us;
	size_t il, jl;
	char *master;
	int rc, bad = 0;
	jv ev;

	while (!bad && (rc = mirror_next(r, &id, &il, &js, &jl)) == 1) {
		if ((us = strrchr(id, '_')) == NULL)
			continue;
		master = xstrndup(id, (size_t)(us - id));
		if (json_kind(ba->series, master) == JV_KIND_TRUE &&
		    json_kind(ba->series, id) != JV_KIND_TRUE) {
			ev = json_parse(js, jl);
			if (event_cancelled(ev) && json_str(ev,
			    "recurringEventId") && strcmp(json_str(ev,
			    "recurringEventId"), master) == 0 &&
			    mirror_build_add(ba->b, id, il, js, jl) == -1)
				bad = 1;
			jv_free(ev);
		}
		free(master);
	}
	mirror_read_close(r);
	return bad || rc == -1 ? -1 : 0;
}

static int
pull_full(struct pull *p, struct mirror *m, const char *calendar,
    struct buf *changes, char **tz)
{
	struct mirror_build *b;
	struct mirror_reader *old, *cur;
	struct build_arg ba = {.calendar = calendar, .series = jv_invalid()};
	jv last = jv_invalid();
	int rc;

	if ((b = mirror_build_new(m, 0)) == NULL)
		return EX_SOFTWARE;
	ba.b = b;
	if (calendar_provider(p->api) == PROVIDER_MICROSOFT && !p->o->expand)
		ba.series = jv_object();
	/* the mirror's token says what Graph's full list cannot: the
	 * occurrences removed since (graph_pull.h) */
	rc = list_events(p, calendar, NULL, mirror_sync_token(m), add_to_build,
	    &ba, &last);
	if (rc == 0 && jv_is_valid(ba.series) && keep_cancelled(m, &ba) == -1)
		rc = EX_SOFTWARE;
	jv_free(ba.series);
	if (rc == 0 && mirror_build_finish(b) == -1)
		rc = EX_SOFTWARE;
	if (rc == 0 && p->o->changes) {
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
    struct buf *changes, char **tz)
{
	struct changeset cs = {.expand = p->o->expand, .calendar = calendar};
	struct mirror_change *mc;
	char **gone = NULL;
	size_t ngone = 0;
	char *caltz = NULL;
	jv last = jv_invalid();
	size_t i, k;
	int rc;

	rc = list_events(p, calendar, mirror_sync_token(m), NULL, collect_change,
	    &cs, &last);
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
	if (rc == 0)
		p->changes += (long)(cs.n + ngone);
	if (rc == 0 && p->o->changes) {
		for (i = 0; i < cs.n; i++)
			change_add(changes, cs.v[i].json, strlen(cs.v[i].json));
		/* instances that went with their recurring event */
		for (i = 0; i < ngone; i++)
			deleted_stub(changes, gone[i]);
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
	const struct pull_options *o = p->o;
	struct buf changes = {0};
	struct lines l;
	struct mirror *m;
	struct mirror_reader *r;
	const char *id, *json;
	size_t idlen, len, i;
	char *tz = NULL;
	int rc = CALENDAR_SYNC_GONE, full = 0;

	if ((m = mirror_open(o->profile, calendar, o->expand)) == NULL)
		return errno == ENOTSUP ? EX_CONFIG : EX_DATAERR; /* newer, damaged */
	if (!o->full && mirror_sync_token(m)) {
		rc = pull_incremental(p, m, calendar, &changes, &tz);
		/* graph_pull says why itself (a 410, or the window moved) */
		if (rc == CALENDAR_SYNC_GONE &&
		    calendar_provider(p->api) != PROVIDER_MICROSOFT)
			note("calendar '%s': Google no longer knows the sync token "
			    "(410): pulling in full", calendar);
	}
	if (rc == CALENDAR_SYNC_GONE) {
		buf_reset(&changes);
		rc = pull_full(p, m, calendar, &changes, &tz);
		full = 1;
	}
	if (rc == 0 && o->changes) {
		len = changes.len;
		lines_adopt(&l, buf_take(&changes), len, calendar);
		if (full)
			p->changes += (long)l.n;
		for (i = 0; i < l.n; i++)
			emit(p, calendar, tz, l.v[i].p, l.v[i].len, jv_invalid());
		lines_free(&l);
	} else if (rc == 0) {
		r = mirror_read(m);
		while ((rc = mirror_next(r, &id, &idlen, &json, &len)) == 1)
			emit(p, calendar, tz, json, len, jv_invalid());
		rc = rc == -1 ? EX_SOFTWARE : 0;
		mirror_read_close(r);
	}
	buf_free(&changes);
	free(tz);
	mirror_close(m);
	return rc;
}

int
pull_run(const struct pull_options *opts, struct pull_stats *stats)
{
	struct pull p = {.o = opts};
	const char *const *cals = opts->calendars;
	const char *chosen;
	size_t ncals = opts->ncalendars, i;
	jv prof = jv_invalid();
	int rc, r, lock;

	if (jv_is_valid(opts->prof))
		prof = jv_copy(opts->prof);
	else if ((rc = state_profile_load(opts->profile, &prof)) != 0)
		goto out;
	if (ncals == 0) {
		/* the profile's chosen calendar; reading the primary one is
		 * harmless when none was chosen */
		if ((chosen = json_str(prof, "calendar")) == NULL)
			chosen = "primary";
		cals = &chosen;
		ncals = 1;
	}
	p.several = ncals > 1;
	/* one run per profile at a time: cron runs must not interleave */
	if ((lock = state_lock(opts->profile, "lock", 60, &rc)) == -1)
		goto out;
	if ((p.api = calendar_open(opts->profile, &rc)) != NULL) {
		calendar_set_pacer(p.api, opts->pacer);
		for (i = 0; i < ncals; i++)
			if ((r = pull_calendar(&p, cals[i])) != 0 && rc == 0)
				rc = r;
		calendar_close(p.api);
	}
	state_unlock(lock);
	if (rc == 0 && p.filter_failed)
		rc = EX_DATAERR;
out:
	if (stats) {
		stats->changes = p.changes;
		stats->filter_failed = p.filter_failed;
	}
	buf_free(&p.line);
	jv_free(prof);
	return rc;
}
