/* gcal-push: apply change records to Google Calendar, batched, conditional
 * (If-Match), idempotent and paced under the quota; one result record per
 * change. See gcal-push(1) and gcal-records(5). */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "calendar.h"
#include "cli.h"
#include "events.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "state.h"
#include "util.h"

/* Google counts about 600 requests a minute per user; each call of a
 * batch counts as one. Stay under it by default. */
#define DEFAULT_RATE 500
#define DEFAULT_BATCH 50

enum {
	OPT_DRY_RUN = CLI_FIRST_LONG, OPT_ALLOW_PRIMARY, OPT_SEND_UPDATES,
	OPT_BATCH, OPT_RATE,
};

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link to write with (default: $GCAL_PROFILE or 'default')"},
	{"calendar", 'c', "CALENDAR", NULL, "the calendar of records without a calendar (default: the profile's chosen one)"},
	{"dry-run", OPT_DRY_RUN, NULL, NULL, "print the requests that would be made, make none"},
	{"allow-primary", OPT_ALLOW_PRIMARY, NULL, NULL, "allow writing to the account's primary calendar"},
	{"send-updates", OPT_SEND_UPDATES, "WHO", NULL, "notify guests: all, externalOnly or none (default: none)"},
	{"batch", OPT_BATCH, "N", NULL, "calls per batch request, 1 to 1000 (default: 50)"},
	{"rate", OPT_RATE, "N", NULL, "at most N calls a minute (default: 500)"},
	{"verbose", 'v', NULL, NULL, "trace each HTTP exchange on stderr, secrets redacted (twice: bodies too)"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"[-p PROFILE] [-c CALENDAR] [--dry-run] [--allow-primary] [--send-updates all|externalOnly|none] [--batch N] [--rate N] [FILE]",
	NULL,
};

enum op { OP_INSERT, OP_UPDATE, OP_DELETE, OP_SKIP };

struct change {
	size_t line;
	enum op op;
	const char *opname;
	char *id;
	char *calendar;
	char *etag;
	char *key;
	char *path;   /* the request's path and query */
	char *event_path; /* the event's own, for a second look */
	char *body;   /* JSON to send, or NULL */
	jv event;     /* what we want Google to have, or invalid */
	char *skip;   /* why a record is not for us to apply */
	char *target; /* the record's target, as given */
	int attempts;
	int done;
};

struct push {
	struct calendar_api *api;
	struct change *v;
	size_t n;
	int batch;
	int rate;
	double tokens;     /* the pacing bucket, in calls */
	long long refill;  /* when it was last filled, ms */
	long stop_after;   /* test knob: die after this many calls */
	long sent;
	int failed;
	int temporary;     /* a failure worth running again for */
	int dead;          /* the grant is gone */
	int fatal;         /* why a whole batch failed: its exit status */
};

static int
valid_send_updates(const char *s)
{
	return strcmp(s, "all") == 0 || strcmp(s, "externalOnly") == 0 ||
	    strcmp(s, "none") == 0;
}

/* --- reading and checking every record before anything is written ----- */

static int
bad(const char *name, size_t line, const char *why)
{
	warnx("'%s' line %zu: %s", name, line, why);
	return EX_DATAERR;
}

/* Why a field of a change record that must be a string is not, or NULL. */
static const char *
not_strings(jv rec)
{
	static const char *const keys[] = {"op", "target", "id", "key",
	    "calendar", "sendUpdates", "etag", NULL};
	static char why[64];
	size_t i;
	jv v;

	for (i = 0; keys[i]; i++) {
		v = json_get(rec, keys[i]);
		if (jv_get_kind(v) != JV_KIND_NULL && jv_get_kind(v) != JV_KIND_STRING) {
			jv_free(v);
			snprintf(why, sizeof(why), "\"%s\" is not a string", keys[i]);
			return why;
		}
		jv_free(v);
	}
	return NULL;
}

static int
read_change(jv rec, const char *name, size_t line, const char *default_cal,
    const char *send_updates, struct change *c)
{
	const char *op = json_str(rec, "op"), *target = json_str(rec, "target");
	const char *id = json_str(rec, "id"), *cal, *su, *why;
	char *ecal, *eid;
	jv ev;

	memset(c, 0, sizeof(*c));
	c->line = line;
	c->event = jv_invalid();
	if ((why = not_strings(rec)) != NULL)
		return bad(name, line, why);
	if (op == NULL)
		return bad(name, line, "no \"op\"");
	c->opname = strcmp(op, "insert") == 0 ? "insert" :
	    strcmp(op, "update") == 0 ? "update" :
	    strcmp(op, "delete") == 0 ? "delete" :
	    strcmp(op, "conflict") == 0 ? "conflict" : NULL;
	if (c->opname == NULL)
		return bad(name, line, "\"op\" is not insert, update, delete or "
		    "conflict");
	if (id == NULL || *id == '\0')
		return bad(name, line, "no \"id\"");
	c->id = xstrdup(id);
	if (json_str(rec, "key"))
		c->key = xstrdup(json_str(rec, "key"));
	c->target = xstrdup(target ? target : "remote");
	if (strcmp(c->opname, "conflict") == 0 ||
	    (target && strcmp(target, "remote") != 0)) {
		c->op = OP_SKIP;
		c->skip = xstrdup(strcmp(c->opname, "conflict") == 0 ?
		    "a conflict: resolve it first (gcal-diff --prefer)" :
		    "not for Google: its target is not remote");
		return 0;
	}
	c->op = strcmp(op, "insert") == 0 ? OP_INSERT :
	    strcmp(op, "update") == 0 ? OP_UPDATE : OP_DELETE;
	cal = json_str(rec, "calendar");
	if (cal == NULL)
		cal = default_cal;
	if (cal == NULL)
		return bad(name, line, "no calendar: give -c CALENDAR or choose "
		    "one with gcal-auth use");
	c->calendar = xstrdup(cal);
	if ((su = json_str(rec, "sendUpdates")) != NULL && !valid_send_updates(su))
		return bad(name, line, "\"sendUpdates\" is not all, "
		    "externalOnly or none");
	if (su == NULL)
		su = send_updates;
	if (c->op != OP_DELETE) {
		ev = json_get(rec, "event");
		if (jv_get_kind(ev) != JV_KIND_OBJECT) {
			jv_free(ev);
			return bad(name, line, "no \"event\" object to write");
		}
		if ((why = event_check(ev)) != NULL) {
			jv_free(ev);
			return bad(name, line, why);
		}
		/* only what Google's Event resource lets a client write */
		ev = json_set_str(event_writable(ev), "id", c->id);
		c->event = ev;
		c->body = json_dump(jv_copy(ev));
	}
	if (c->op != OP_INSERT) {
		/* Never overwrite blindly (DESIGN.md): the etag last seen. */
		if (json_str(rec, "etag") == NULL)
			return bad(name, line, "an update or delete needs the "
			    "\"etag\" it expects");
		c->etag = xstrdup(json_str(rec, "etag"));
	}
	ecal = url_escape(c->calendar);
	eid = url_escape(c->id);
	c->event_path = xasprintf("/calendar/v3/calendars/%s/events/%s"
	    "?sendUpdates=%s", ecal, eid, su);
	c->path = c->op == OP_INSERT ? xasprintf("/calendar/v3/calendars/%s/"
	    "events?sendUpdates=%s", ecal, su) : xstrdup(c->event_path);
	free(ecal);
	free(eid);
	return 0;
}

static void
change_free(struct change *c)
{
	free(c->id);
	free(c->calendar);
	free(c->etag);
	free(c->key);
	free(c->path);
	free(c->event_path);
	free(c->body);
	free(c->skip);
	free(c->target);
	jv_free(c->event);
}

/* --- results ------------------------------------------------------------ */

static jv
result(const struct change *c, const char *status)
{
	jv r = json_set_str(jv_object(), "op", c->opname);

	r = json_set_str(r, "id", c->id);
	r = json_set_str(r, "target", c->target ? c->target : "remote");
	r = json_set_str(r, "status", status);
	if (c->calendar)
		r = json_set_str(r, "calendar", c->calendar);
	if (c->key)
		r = json_set_str(r, "key", c->key);
	return r;
}

static void
finish_ok(struct push *p, struct change *c, jv event)
{
	jv r = result(c, "ok");

	if (jv_get_kind(event) == JV_KIND_OBJECT) {
		if (json_str(event, "etag"))
			r = json_set_str(r, "etag", json_str(event, "etag"));
		r = jv_object_set(r, jv_string("event"), event);
	} else
		jv_free(event);
	json_print(stdout, r);
	fflush(stdout);
	c->done = 1;
	(void)p;
}

/* A failure or conflict, with Google's words for it. */
static void
finish_bad(struct push *p, struct change *c, const char *status, long code,
    jv answer, const char *reason)
{
	jv r = result(c, status), e, errs, first;
	const char *s;

	if (code)
		r = jv_object_set(r, jv_string("code"), jv_number((double)code));
	e = json_get(answer, "error");
	errs = json_get(e, "errors");
	first = jv_get_kind(errs) == JV_KIND_ARRAY ?
	    jv_array_get(jv_copy(errs), 0) : jv_null();
	if (reason == NULL)
		reason = json_str(first, "reason");
	if (reason)
		r = json_set_str(r, "reason", reason);
	if ((s = json_str(e, "message")) != NULL)
		r = json_set_str(r, "message", s);
	json_print(stdout, r);
	fflush(stdout);
	jv_free(first);
	jv_free(errs);
	jv_free(e);
	jv_free(answer);
	c->done = 1;
	p->failed = 1;
}

/* --- the answers that need a second look ------------------------------- */

/* What Google has now under the change's id: 0 and *ev, or an exit
 * status. */
static int
fetch(struct push *p, const struct change *c, long *status, jv *ev)
{
	struct http_response resp;
	char *path = xstrndup(c->event_path, strcspn(c->event_path, "?"));
	int rc;

	rc = calendar_call(p->api, "GET", path, jv_invalid(), NULL, &resp);
	if (rc == 0) {
		*status = resp.status;
		*ev = jv_copy(resp.json);
	}
	http_response_free(&resp);
	free(path);
	return rc;
}

/* 409 on an insert: the id is taken. Ours already (a retried insert), a
 * deleted event of ours (restore it), or someone else's content
 * (conflict). */
static void
settle_duplicate(struct push *p, struct change *c, jv answer)
{
	struct http_response resp;
	long status = 0;
	jv have = jv_invalid(), body;
	char *text;
	int rc;

	if ((rc = fetch(p, c, &status, &have)) != 0 || status != 200) {
		jv_free(have);
		finish_bad(p, c, "failed", 409, answer, "duplicate");
		return;
	}
	if (json_str(have, "status") &&
	    strcmp(json_str(have, "status"), "cancelled") == 0) {
		/* Google keeps a deleted event's id: bring it back with the
		 * content we want, on condition that nobody else did first. */
		body = json_set_str(jv_copy(c->event), "status", "confirmed");
		text = json_dump(body);
		rc = calendar_send(p->api, "PUT", c->event_path, "application/json",
		    text, strlen(text), json_str(have, "etag"), &resp);
		free(text);
		if (rc == 0 && resp.status == 200)
			finish_ok(p, c, jv_copy(resp.json));
		else
			finish_bad(p, c, rc == 0 && resp.status == 412 ? "conflict" :
			    "failed", rc == 0 ? resp.status : 0, rc == 0 ?
			    jv_copy(resp.json) : jv_invalid(), rc == 0 ? NULL :
			    "unavailable");
		http_response_free(&resp);
		jv_free(answer);
	} else if (event_same(have, c->event)) {
		jv_free(answer);
		finish_ok(p, c, jv_copy(have));
	} else
		finish_bad(p, c, "conflict", 409, answer, "duplicate");
	jv_free(have);
}

/* 412: changed by someone else, or by an earlier attempt of ours whose
 * answer was lost (then Google has what we asked for). Only the first is
 * a conflict. */
static void
settle_precondition(struct push *p, struct change *c, jv answer)
{
	long status = 0;
	jv have = jv_invalid();
	int gone;

	if (fetch(p, c, &status, &have) == 0) {
		gone = status == 404 || status == 410 || (status == 200 &&
		    json_str(have, "status") &&
		    strcmp(json_str(have, "status"), "cancelled") == 0);
		if ((c->op == OP_DELETE && gone) || (c->op == OP_UPDATE &&
		    status == 200 && !gone && event_same(have, c->event))) {
			jv_free(answer);
			finish_ok(p, c, c->op == OP_DELETE ? jv_invalid() :
			    jv_copy(have));
			jv_free(have);
			return;
		}
	}
	finish_bad(p, c, "conflict", 412, answer, NULL);
	jv_free(have);
}

/* --- sending ------------------------------------------------------------ */

/* Wait until k calls fit under the rate (a token bucket holding at most
 * one batch, refilled at rate per minute). */
static void
pace(struct push *p, int k)
{
	long long now;
	double per_ms = p->rate / 60000.0;

	for (;;) {
		now = now_ms();
		p->tokens += (double)(now - p->refill) * per_ms;
		if (p->tokens > p->batch)
			p->tokens = p->batch;
		p->refill = now;
		if (p->tokens >= k)
			break;
		usleep((useconds_t)((k - p->tokens) / per_ms * 1000) + 1000);
	}
	p->tokens -= k;
}

static int
is_rate_limit(long status, jv answer)
{
	jv e = json_get(answer, "error"), errs = json_get(e, "errors"), first;
	const char *reason;
	int yes = 0;

	if (status == 429 || status >= 500 || status == 0)
		yes = 1;
	else if (status == 403 && jv_get_kind(errs) == JV_KIND_ARRAY) {
		first = jv_array_get(jv_copy(errs), 0);
		reason = json_str(first, "reason");
		yes = reason && (strcmp(reason, "rateLimitExceeded") == 0 ||
		    strcmp(reason, "userRateLimitExceeded") == 0);
		jv_free(first);
	}
	jv_free(errs);
	jv_free(e);
	return yes;
}

/* Judge one part's answer; 1 when the change is to be sent again. */
static int
judge(struct push *p, struct change *c, struct batch_part *bp, int max_tries)
{
	long s = bp->status;
	jv answer = jv_copy(bp->json);

	if (s >= 200 && s < 300) {
		finish_ok(p, c, c->op == OP_DELETE ? jv_invalid() : answer);
		if (c->op == OP_DELETE)
			jv_free(answer);
		return 0;
	}
	if (c->op == OP_INSERT && s == 409) {
		settle_duplicate(p, c, answer);
		return 0;
	}
	if (c->op == OP_DELETE && (s == 410 || s == 404)) {
		/* already gone: what the delete wanted (410 "deleted") */
		jv_free(answer);
		finish_ok(p, c, jv_invalid());
		return 0;
	}
	if (s == 412) {
		settle_precondition(p, c, answer);
		return 0;
	}
	if (c->op == OP_UPDATE && (s == 404 || s == 410)) {
		finish_bad(p, c, "conflict", s, answer, "deleted");
		return 0;
	}
	if ((is_rate_limit(s, answer) || s == 401) && c->attempts < max_tries) {
		jv_free(answer);
		return 1;
	}
	if (s == 401)
		p->dead = 1;
	else if (is_rate_limit(s, answer))
		p->temporary = 1;
	finish_bad(p, c, "failed", s, answer, s == 0 ? "noAnswer" : NULL);
	return 0;
}

static int
push_all(struct push *p)
{
	int max_tries = http_max_retries() + 1, rc, again, refreshed = 0;
	struct batch_part *parts = xcalloc((size_t)p->batch, sizeof(*parts));
	size_t *idx = xcalloc((size_t)p->batch, sizeof(*idx));
	size_t i, k;
	long wait, ra;
	char *token;

	for (;;) {
		/* the next batch: pending changes in input order */
		for (k = 0, i = 0; i < p->n && k < (size_t)p->batch; i++) {
			struct change *c = &p->v[i];

			if (c->done || c->op == OP_SKIP)
				continue;
			if (p->stop_after >= 0 && p->sent + (long)k >= p->stop_after)
				break;
			idx[k] = i;
			parts[k].method = c->op == OP_INSERT ? "POST" :
			    c->op == OP_UPDATE ? "PUT" : "DELETE";
			parts[k].path = c->path;
			parts[k].if_match = c->etag;
			parts[k].body = c->body;
			k++;
		}
		if (k == 0)
			break;
		pace(p, (int)k);
		rc = batch_send(p->api, parts, k);
		p->sent += (long)k;
		if (p->stop_after >= 0 && p->sent >= p->stop_after) {
			/* test knob: die as a killed run would, after Google
			 * acted and before anything was reported */
			fflush(stdout);
			_exit(EX_TEMPFAIL);
		}
		if (rc != 0) {
			/* nothing more will get through now: report all */
			for (i = 0; i < p->n; i++)
				if (!p->v[i].done && p->v[i].op != OP_SKIP)
					finish_bad(p, &p->v[i], "failed", 0, jv_invalid(),
					    "unavailable");
			p->fatal = rc;
			batch_clear(parts, k);
			break;
		}
		again = 0;
		ra = -1;
		for (i = 0; i < k; i++) {
			struct change *c = &p->v[idx[i]];

			c->attempts++;
			if (judge(p, c, &parts[i], max_tries)) {
				again = 1;
				if (parts[i].status == 401 && !refreshed) {
					/* an access token that died early */
					if (oauth_token(state_profile(), 1, &token) == 0)
						free_secret(token);
					refreshed = 1;
				}
				if (parts[i].retry_after > ra)
					ra = parts[i].retry_after;
			}
		}
		batch_clear(parts, k);
		if (again && ra > RETRY_AFTER_MAX) {
			/* Google asks for a long pause: the next run's job */
			for (i = 0; i < p->n; i++)
				if (!p->v[i].done && p->v[i].op != OP_SKIP)
					finish_bad(p, &p->v[i], "failed", 429, jv_invalid(),
					    "rateLimitExceeded");
			p->temporary = 1;
			break;
		}
		if (again) {
			wait = http_backoff_ms(p->v[idx[0]].attempts, ra);
			if (verbose)
				warnx("some calls were refused for now: again in %ld ms",
				    wait);
			usleep((useconds_t)wait * 1000);
			/* the api holds the old token: open it anew */
			if (refreshed) {
				calendar_close(p->api);
				if ((p->api = calendar_open(state_profile(), &rc)) == NULL) {
					free(parts);
					free(idx);
					return rc;
				}
			}
		}
	}
	free(parts);
	free(idx);
	return 0;
}

static void
dry_run(struct push *p)
{
	size_t i;
	jv r, req;

	for (i = 0; i < p->n; i++) {
		struct change *c = &p->v[i];

		if (c->op == OP_SKIP) {
			r = result(c, "skipped");
			json_print(stdout, json_set_str(r, "reason", c->skip));
			continue;
		}
		req = json_set_str(jv_object(), "method", c->op == OP_INSERT ?
		    "POST" : c->op == OP_UPDATE ? "PUT" : "DELETE");
		req = json_set_str(req, "path", c->path);
		if (c->etag)
			req = json_set_str(req, "ifMatch", c->etag);
		if (c->body)
			req = jv_object_set(req, jv_string("body"), jv_copy(c->event));
		r = jv_object_set(result(c, "dry-run"), jv_string("request"), req);
		json_print(stdout, r);
	}
}

/* The primary calendar's id is its account's address (Calendar API
 * "Calendars" concepts), so the profile can tell without asking. */
static int
is_primary(const char *cal, jv prof)
{
	const char *account = json_str(prof, "account");

	return strcmp(cal, "primary") == 0 ||
	    (account && strcasecmp(cal, account) == 0);
}

int
main(int argc, char *argv[])
{
	struct push p = {.batch = DEFAULT_BATCH, .rate = DEFAULT_RATE,
	    .stop_after = -1};
	const char *arg, *send_updates = "none", *cal = NULL, *name, *env;
	struct ndjson_reader *r;
	struct cli *c;
	int key, rc = 0, got, dry = 0, allow_primary = 0, lock = -1;
	size_t i;
	jv rec, prof = jv_invalid();

	cli_synopsis = synopsis;
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'p':
			state_set_profile(arg);
			break;
		case 'c':
			cal = arg;
			break;
		case OPT_DRY_RUN:
			dry = 1;
			break;
		case OPT_ALLOW_PRIMARY:
			allow_primary = 1;
			break;
		case OPT_SEND_UPDATES:
			if (!valid_send_updates(arg))
				errx(EX_USAGE, "--send-updates '%s': not all, "
				    "externalOnly or none", arg);
			send_updates = arg;
			break;
		case OPT_BATCH:
			p.batch = (int)cli_number("--batch", arg, 1, BATCH_MAX);
			break;
		case OPT_RATE:
			p.rate = (int)cli_number("--rate", arg, 1, 1000000);
			break;
		}
	}
	cli_free(c);
	if (argc - optind > 1) {
		warnx("unexpected operand '%s'", argv[optind + 1]);
		fprintf(stderr, "Try 'gcal-push --help'.\n");
		return EX_USAGE;
	}
	if ((env = getenv("GCAL_PUSH_STOP_AFTER")) != NULL && *env)
		p.stop_after = cli_number("$GCAL_PUSH_STOP_AFTER", env, 0, 1L << 30);
	if ((rc = state_profile_load(state_profile(), &prof)) != 0)
		return rc;
	if (cal == NULL)
		cal = json_str(prof, "calendar");

	name = optind < argc ? argv[optind] : "-";
	if ((r = ndjson_open(name)) == NULL) {
		warn("'%s'", name);
		jv_free(prof);
		return EX_NOINPUT;
	}
	/* Every record is read and checked before anything is written. */
	while ((got = ndjson_read(r, &rec)) == 1) {
		p.v = xreallocarray(p.v, p.n + 1, sizeof(*p.v));
		rc = read_change(rec, strcmp(name, "-") ? name : "<stdin>",
		    ndjson_lineno(r), cal, send_updates, &p.v[p.n]);
		p.n++;
		jv_free(rec);
		if (rc != 0)
			goto out;
		if (p.v[p.n - 1].calendar && !allow_primary &&
		    is_primary(p.v[p.n - 1].calendar, prof)) {
			warnx("refusing to write to the primary calendar '%s' "
			    "without --allow-primary", p.v[p.n - 1].calendar);
			rc = EX_USAGE;
			goto out;
		}
	}
	if (got == -1) {
		warnx("%s", ndjson_error(r));
		rc = EX_DATAERR;
		goto out;
	}
	if (dry) {
		dry_run(&p);
		goto out;
	}
	for (i = 0; i < p.n; i++)
		if (p.v[i].op == OP_SKIP)
			json_print(stdout, json_set_str(result(&p.v[i], "skipped"),
			    "reason", p.v[i].skip));
	for (i = 0; i < p.n && p.v[i].op == OP_SKIP; i++)
		;
	if (i == p.n)
		goto out;
	if ((lock = state_lock(state_profile(), "lock", 60, &rc)) == -1)
		goto out;
	if ((p.api = calendar_open(state_profile(), &rc)) == NULL)
		goto out;
	if (p.stop_after == 0)
		_exit(EX_TEMPFAIL); /* test knob: stopped before the first write */
	p.refill = now_ms();
	p.tokens = p.batch;
	rc = push_all(&p);
	calendar_close(p.api);
	if (rc == 0)
		rc = p.fatal ? p.fatal : p.dead ? EX_NOPERM :
		    p.temporary ? EX_TEMPFAIL : p.failed ? EXIT_PARTIAL : 0;
out:
	state_unlock(lock);
	ndjson_close(r);
	for (i = 0; i < p.n; i++)
		change_free(&p.v[i]);
	free(p.v);
	jv_free(prof);
	http_cleanup();
	return finish_stdout(rc);
}
