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
#include "graph_instance.h"
#include "graph_map.h"
#include "graph_push.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "provider.h"
#include "push.h"
#include "state.h"
#include "util.h"

#define DEFAULT_BATCH 50
#define GRAPH_DEFAULT_RATE 900

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
	{"rate", OPT_RATE, "N", NULL, "at most N calls a minute (default: the quota governor's, 600)"},
	{"verbose", 'v', NULL, NULL, "trace each HTTP exchange on stderr, secrets redacted (twice: bodies too)"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"[-p PROFILE] [-c CALENDAR] [--dry-run] [--allow-primary] [--send-updates all|externalOnly|none] [--batch N] [--rate N] [FILE]",
	NULL,
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

/* The primary calendar's id is its account's address (Calendar API
 * "Calendars" concepts), so the profile can tell without asking. */
static int
is_primary(const char *cal, jv prof)
{
	const char *account = json_str(prof, "account");

	return strcmp(cal, "primary") == 0 ||
	    (account && strcasecmp(cal, account) == 0);
}

/* The query of a write of ev: what Google needs to be told to take all
 * of the body (Events reference, insert/update parameters): without
 * conferenceDataVersion=1 it "ignores conference data in the event's
 * body", without supportsAttachments=true it does not modify
 * attachments, without eventLabelVersion=1 it ignores eventLabelId.
 * The caller's. */
static char *
write_query(jv ev, const char *send_updates)
{
	static const struct {
		const char *field, *param;
	} needs[] = {
		{"conferenceData", "&conferenceDataVersion=1"},
		{"attachments", "&supportsAttachments=true"},
		{"eventLabelId", "&eventLabelVersion=1"},
	};
	struct buf b = {0};
	size_t i;
	jv v;

	buf_printf(&b, "?sendUpdates=%s", send_updates);
	for (i = 0; jv_is_valid(ev) && i < sizeof(needs) / sizeof(needs[0]); i++) {
		v = json_get(ev, needs[i].field);
		if (jv_get_kind(v) != JV_KIND_NULL)
			buf_adds(&b, needs[i].param);
		jv_free(v);
	}
	return buf_take(&b);
}

/* A copy of a modified instance of a series is that instance of the
 * series' copy, changed: a PUT of the instance id (Events: update, "an
 * instance of a recurring event"), else, when the copy has no such
 * instance, the plain insert of c as it is. */
static void
instance_write(struct push_change *c, const char *owner, const char *suffix,
    const char *ecal, const char *query)
{
	struct push_change *f = xcalloc(1, sizeof(*f));
	const char *series = json_str(c->event, "recurringEventId");
	char *copy = event_insert_id(owner, series), *eid;

	push_request_take(f, c);
	c->fallback = f;
	c->id = event_instance_id(owner, series, suffix);
	c->event = json_set_str(json_set_str(jv_copy(f->event), "id", c->id),
	    "recurringEventId", copy);
	c->body = json_dump(jv_copy(c->event));
	eid = url_escape(c->id);
	c->event_path = xasprintf("/calendar/v3/calendars/%s/events/%s%s",
	    ecal, eid, query);
	c->path = xstrdup(c->event_path);
	c->method = "PUT";
	free(eid);
	free(copy);
}

/* Is the insert of ev (its id set) an instance of a Microsoft series, by
 * its instance id (graph_instance.h)? Graph makes no instance: the
 * occurrence is changed (PATCH) or, cancelled, deleted, If-Match the
 * etag graph_push finds it with, as an instance edit is on Google. */
static int
graph_instance_insert(jv prof, jv ev)
{
	const char *id = json_str(ev, "id"), *series = json_str(ev,
	    "recurringEventId");
	char *master;
	long long t;
	int allday, yes;

	if (provider_of(prof) != PROVIDER_MICROSOFT || id == NULL ||
	    series == NULL || graph_instance_parse(id, &master, &t, &allday) == -1)
		return 0;
	yes = strcmp(master, series) == 0;
	free(master);
	return yes;
}

/* The event of an insert or update record: only what Google's Event
 * resource lets a client write, its id checked, and what it asks of the
 * change (a PUSH_SKIP when the rules refuse it). For an insert, the
 * owner mark and a copied instance's suffix into *owner and *suffix
 * (the caller's). 0, or bad()'s status. */
static int
read_event(jv rec, const char *name, size_t line, jv prof,
    struct push_change *c, char **owner, char **suffix)
{
	const char *why, *sfx;
	char *id = xstrdup(c->id);
	jv ev, xg;

	ev = json_get(rec, "event");
	if (jv_get_kind(ev) != JV_KIND_OBJECT) {
		jv_free(ev);
		free(id);
		return bad(name, line, "no \"event\" object to write");
	}
	if ((why = event_check(ev)) != NULL) {
		jv_free(ev);
		free(id);
		return bad(name, line, why);
	}
	/* only what Google's Event resource lets a client write; a
	 * Microsoft profile's events keep what graph_map kept */
	xg = json_get(ev, GRAPH_KEEP_KEY);
	ev = json_set_str(event_writable(ev), "id", id);
	if (provider_of(prof) == PROVIDER_MICROSOFT &&
	    jv_get_kind(xg) == JV_KIND_OBJECT)
		ev = jv_object_set(ev, jv_string(GRAPH_KEEP_KEY), xg);
	else
		jv_free(xg);
	if (c->op == PUSH_INSERT)
		*owner = xstrdup(event_owner(ev));
	if (c->op == PUSH_INSERT && graph_instance_insert(prof, ev))
		; /* the occurrence Graph has under its own id */
	else if (c->op == PUSH_INSERT && (sfx = event_copy_instance(ev)) != NULL)
		*suffix = xstrdup(sfx);
	if (c->op == PUSH_INSERT && !event_id_ok(c->id) &&
	    !graph_instance_insert(prof, ev)) {
		/* Google refuses the ids it makes itself ("Invalid resource
		 * id value."): the copy gets a derived one */
		free(c->id);
		c->id = event_insert_id(*owner, id);
	}
	free(id);
	ev = json_set_str(ev, "id", c->id);
	c->event = ev;
	if ((why = event_refusal(ev, c->op == PUSH_INSERT,
	    is_primary(c->calendar, prof))) != NULL) {
		c->op = PUSH_SKIP;
		c->skip = xstrdup(why);
		return 0;
	}
	c->body = json_dump(jv_copy(ev));
	return 0;
}

/* The request of change c: method, path, and the event's own path. */
static void
set_request(struct push_change *c, jv prof, const char *ecal, const char *eid,
    const char *query)
{
	c->event_path = xasprintf("/calendar/v3/calendars/%s/events/%s%s",
	    ecal, eid, query);
	c->path = c->op == PUSH_INSERT ? xasprintf("/calendar/v3/calendars/%s/"
	    "events%s", ecal, query) : xstrdup(c->event_path);
	c->method = c->op == PUSH_INSERT ? "POST" : c->op == PUSH_UPDATE ?
	    "PUT" : "DELETE";
	if (c->op == PUSH_INSERT && graph_instance_insert(prof, c->event)) {
		free(c->path);
		c->path = xstrdup(c->event_path);
		c->method = event_cancelled(c->event) ? "DELETE" : "PUT";
	}
}

static int
read_change(jv rec, const char *name, size_t line, const char *default_cal,
    const char *send_updates, jv prof, struct push_change *c)
{
	const char *op = json_str(rec, "op"), *target = json_str(rec, "target");
	const char *id = json_str(rec, "id"), *cal, *su, *why;
	char *ecal, *eid, *query, *owner = NULL, *suffix = NULL;
	int rc;

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
		c->op = PUSH_SKIP;
		c->skip = xstrdup(strcmp(c->opname, "conflict") == 0 ?
		    "a conflict: resolve it first (gcal-diff --prefer)" :
		    "not for the calendar: its target is not remote");
		return 0;
	}
	c->op = strcmp(op, "insert") == 0 ? PUSH_INSERT :
	    strcmp(op, "update") == 0 ? PUSH_UPDATE : PUSH_DELETE;
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
	if (c->op != PUSH_DELETE &&
	    ((rc = read_event(rec, name, line, prof, c, &owner, &suffix)) != 0 ||
	    c->op == PUSH_SKIP)) {
		free(owner);
		free(suffix);
		return rc;
	}
	if (c->op != PUSH_INSERT) {
		/* Never overwrite blindly (DESIGN.md): the etag last seen. */
		if (json_str(rec, "etag") == NULL)
			return bad(name, line, "an update or delete needs the "
			    "\"etag\" it expects");
		c->etag = xstrdup(json_str(rec, "etag"));
	} else if ((suffix || graph_instance_insert(prof, c->event)) &&
	    json_str(rec, "etag")) {
		/* the insert of an instance changes it: as the record expects
		 * it, when it says */
		c->etag = xstrdup(json_str(rec, "etag"));
	}
	ecal = url_escape(c->calendar);
	eid = url_escape(c->id);
	query = write_query(c->event, su);
	set_request(c, prof, ecal, eid, query);
	if (suffix) {
		instance_write(c, owner, suffix, ecal, query);
		c->instance = provider_of(prof) == PROVIDER_GOOGLE;
	}
	free(owner);
	free(suffix);
	free(query);
	free(ecal);
	free(eid);
	return 0;
}

/* Graph's limits: at most 20 calls a $batch, 4 (the calls Graph runs at
 * once for a mailbox) unless --batch says more; 10,000 requests per 10
 * minutes per mailbox, so the governor's minute is 900 calls unless
 * --rate says otherwise. */
static void
graph_limits(struct push *p, int batch_given, int *rate)
{
	if (!batch_given)
		p->batch = GRAPH_IN_FLIGHT;
	if (p->batch > GRAPH_BATCH_MAX)
		p->batch = GRAPH_BATCH_MAX;
	if (*rate == 0)
		*rate = GRAPH_DEFAULT_RATE;
}

/* The primary-calendar guard for a Microsoft profile: its default
 * calendar, by the id Graph gives it (one request, made only when a
 * change names a calendar by id). 0, or EX_USAGE (message printed). */
static int
graph_guard(struct push *p)
{
	struct calendar_api *api = NULL;
	char *def = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n && rc == 0; i++) {
		const char *cal = p->v[i].calendar;

		if (cal == NULL || p->v[i].op == PUSH_SKIP)
			continue;
		if (def == NULL && strcmp(cal, "primary") != 0) {
			if (api == NULL && (api = calendar_open(state_profile(),
			    &rc)) == NULL)
				break;
			if ((rc = graph_default_calendar(api, &def)) != 0)
				break;
		}
		if (strcmp(cal, "primary") == 0 || strcmp(cal, def) == 0) {
			warnx("refusing to write to the default calendar '%s' "
			    "without --allow-primary", cal);
			rc = EX_USAGE;
		}
	}
	free(def);
	calendar_close(api);
	return rc;
}

static void
dry_run(struct push *p)
{
	size_t i;
	jv r, req;

	for (i = 0; i < p->n; i++) {
		struct push_change *c = &p->v[i];

		if (c->op == PUSH_SKIP) {
			r = push_result(c, "skipped");
			json_print(stdout, json_set_str(r, "reason", c->skip));
			continue;
		}
		req = json_set_str(jv_object(), "method", c->method);
		req = json_set_str(req, "path", c->path);
		if (c->etag)
			req = json_set_str(req, "ifMatch", c->etag);
		if (c->body)
			req = jv_object_set(req, jv_string("body"), jv_copy(c->event));
		r = jv_object_set(push_result(c, "dry-run"), jv_string("request"), req);
		json_print(stdout, r);
	}
}

/* What the command line asks. */
struct args {
	const char *cal;
	const char *send_updates;
	int dry;
	int allow_primary;
	int rate;
	int batch_given;
};

static void
parse_args(int argc, char *argv[], struct args *a, struct push *p)
{
	const char *arg;
	struct cli *c;
	int key;

	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'p':
			state_set_profile(arg);
			break;
		case 'c':
			a->cal = arg;
			break;
		case OPT_DRY_RUN:
			a->dry = 1;
			break;
		case OPT_ALLOW_PRIMARY:
			a->allow_primary = 1;
			break;
		case OPT_SEND_UPDATES:
			if (!valid_send_updates(arg))
				errx(EX_USAGE, "--send-updates '%s': not all, "
				    "externalOnly or none", arg);
			a->send_updates = arg;
			break;
		case OPT_BATCH:
			p->batch = (int)cli_number("--batch", arg, 1, BATCH_MAX);
			a->batch_given = 1;
			break;
		case OPT_RATE:
			a->rate = (int)cli_number("--rate", arg, 1, 1000000);
			break;
		}
	}
	cli_free(c);
}

/* Every record read and checked before anything is written: 0, or the
 * status of the first bad one (said). */
static int
read_all(struct ndjson_reader *r, const char *name, const struct args *a,
    jv prof, struct push *p)
{
	struct push_change *c;
	int rc, got;
	jv rec;

	while ((got = ndjson_read(r, &rec)) == 1) {
		p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
		c = &p->v[p->n++];
		rc = read_change(rec, name, ndjson_lineno(r), a->cal,
		    a->send_updates, prof, c);
		jv_free(rec);
		if (rc != 0)
			return rc;
		if (c->calendar && !a->allow_primary &&
		    is_primary(c->calendar, prof)) {
			warnx("refusing to write to the primary calendar '%s' "
			    "without --allow-primary", c->calendar);
			return EX_USAGE;
		}
	}
	if (got == -1) {
		warnx("%s", ndjson_error(r));
		return ndjson_status(r);
	}
	return 0;
}

/* Send what is to be sent, under the profile's lock and its quota; 0
 * or an exit status, with a result for every change either way. */
static int
send_all(struct push *p, jv prof, int rate)
{
	int rc, lock;

	if ((lock = state_lock(state_profile(), "lock", 60, &rc)) == -1) {
		push_abandon(p, rc == EX_TEMPFAIL ? "lockBusy" : "lockFailed",
		    rc == EX_TEMPFAIL ? "not sent: another run holds the "
		    "profile's lock, try again later" : "not sent: the "
		    "profile's lock could not be taken");
		return rc;
	}
	if ((p->api = calendar_open(state_profile(), &rc)) == NULL) {
		/* gcal-push(1): one result per change, whatever happens */
		push_abandon(p, "tokenRefreshFailed", push_token_trouble(rc));
		state_unlock(lock);
		return rc;
	}
	if (p->stop_after == 0)
		_exit(EX_TEMPFAIL); /* test knob: stopped before the first write */
	p->quota = quota_open(prof);
	quota_limit_user(p->quota, rate);
	if (rate > 0 && p->batch > rate)
		p->batch = rate; /* a batch larger than the minute never fits */
	rc = push_all(p);
	calendar_close(p->api);
	quota_close(p->quota);
	if (rc == 0)
		rc = push_status(p);
	state_unlock(lock);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct push p = {.batch = DEFAULT_BATCH, .stop_after = -1};
	struct args a = {.send_updates = "none"};
	const char *name, *shown, *env;
	struct ndjson_reader *r;
	int rc = 0;
	size_t i;
	jv prof = jv_invalid();

	cli_synopsis = synopsis;
	parse_args(argc, argv, &a, &p);
	if (argc - optind > 1) {
		warnx("unexpected operand '%s'", argv[optind + 1]);
		cli_try_help();
		return EX_USAGE;
	}
	http_check_env();
	if ((env = getenv("GCAL_PUSH_STOP_AFTER")) != NULL && *env)
		p.stop_after = cli_number("$GCAL_PUSH_STOP_AFTER", env, 0, 1L << 30);
	if ((rc = state_profile_load(state_profile(), &prof)) != 0)
		return rc;
	if (a.cal == NULL)
		a.cal = json_str(prof, "calendar");
	if (provider_of(prof) == PROVIDER_MICROSOFT)
		graph_limits(&p, a.batch_given, &a.rate);

	name = optind < argc ? argv[optind] : "-";
	shown = strcmp(name, "-") ? name : "<stdin>";
	if ((r = ndjson_open(name)) == NULL) {
		warn("'%s'", shown);
		jv_free(prof);
		return EX_NOINPUT;
	}
	if ((rc = read_all(r, shown, &a, prof, &p)) != 0)
		goto out;
	if (provider_of(prof) == PROVIDER_MICROSOFT && !a.allow_primary &&
	    (rc = graph_guard(&p)) != 0) {
		if (rc != EX_USAGE)
			push_abandon(&p, "unavailable", "not sent: the default "
			    "calendar, which needs --allow-primary, could not be "
			    "looked up");
		goto out;
	}
	if (a.dry) {
		dry_run(&p);
		goto out;
	}
	for (i = 0; i < p.n; i++)
		if (p.v[i].op == PUSH_SKIP)
			json_print(stdout, json_set_str(push_result(&p.v[i], "skipped"),
			    "reason", p.v[i].skip));
	for (i = 0; i < p.n && p.v[i].op == PUSH_SKIP; i++)
		;
	if (i < p.n)
		rc = send_all(&p, prof, a.rate);
out:
	ndjson_close(r);
	for (i = 0; i < p.n; i++)
		push_change_free(&p.v[i]);
	free(p.v);
	jv_free(prof);
	http_cleanup();
	return finish_stdout(rc);
}
