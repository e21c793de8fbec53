#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "calendar.h"
#include "events.h"
#include "graph_push.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "push.h"
#include "stop.h"
#include "state.h"
#include "util.h"

void
push_change_free(struct push_change *c)
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
	if (c->fallback) {
		push_change_free(c->fallback);
		free(c->fallback);
	}
}

void
push_request_take(struct push_change *c, const struct push_change *from)
{
	c->id = from->id;
	c->path = from->path;
	c->event_path = from->event_path;
	c->body = from->body;
	c->event = from->event;
	c->method = from->method;
}

/* The instance of the series' copy is not there: make the plain insert. */
static void
fall_back(struct push_change *c)
{
	struct push_change *f = c->fallback;

	free(c->id);
	free(c->path);
	free(c->event_path);
	free(c->body);
	jv_free(c->event);
	push_request_take(c, f);
	free(f);
	c->fallback = NULL;
}

/* The instance is there (etag: as it is now, or as the record expects
 * it): change it, never insert a copy (Calendar API "Recurring events":
 * modify an instance with update, by its instance id; delete cancels it).
 * Consumes etag. */
static void
instance_found(struct push_change *c, char *etag)
{
	if (c->fallback) {
		push_change_free(c->fallback);
		free(c->fallback);
		c->fallback = NULL;
	}
	c->instance = 0;
	free(c->etag);
	c->etag = etag;
	free(c->path);
	c->path = xstrdup(c->event_path);
	if (event_cancelled(c->event)) {
		c->op = PUSH_DELETE;
		c->method = "DELETE";
		free(c->body);
		c->body = NULL;
	} else {
		c->op = PUSH_UPDATE;
		c->method = "PUT";
	}
}

/* --- results ------------------------------------------------------------ */

jv
push_result(const struct push_change *c, const char *status)
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
finish_ok(struct push *p, struct push_change *c, jv event)
{
	jv r = push_result(c, "ok");

	/* the insert of a cancelled instance, done by a delete: the
	 * instance is what it leaves, as for an update */
	if (!jv_is_valid(event) && c->op == PUSH_DELETE &&
	    strcmp(c->opname, "insert") == 0 && jv_is_valid(c->event))
		event = jv_copy(c->event);
	if (jv_get_kind(event) == JV_KIND_OBJECT) {
		/* Graph chooses the ids of what it creates (Google takes ours) */
		if (c->op == PUSH_INSERT && json_str(event, "id"))
			r = json_set_str(r, "id", json_str(event, "id"));
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
finish_bad(struct push *p, struct push_change *c, const char *status, long code,
    jv answer, const char *reason)
{
	jv r = push_result(c, status), e, errs, first;
	const char *s;
	char *msg;

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
	if ((s = json_str(e, "message")) != NULL) {
		msg = http_redact_message(s);
		r = json_set_str(r, "message", msg);
		free(msg);
	}
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

/* What Google has now under the change's id: 0 and *ev, or an exit status. */
static int
fetch(struct push *p, const struct push_change *c, long *status, jv *ev)
{
	struct http_response resp;
	char *path = xstrndup(c->event_path, strcspn(c->event_path, "?"));
	int rc;

	if (calendar_provider(p->api) == PROVIDER_MICROSOFT) {
		rc = graph_fetch(p->api, path, status, ev);
		free(path);
		return rc;
	}
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
settle_duplicate(struct push *p, struct push_change *c, jv answer)
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
	if (event_cancelled(have)) {
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
settle_precondition(struct push *p, struct push_change *c, jv answer)
{
	long status = 0;
	jv have = jv_invalid();
	int gone;

	if (fetch(p, c, &status, &have) == 0) {
		gone = status == 404 || status == 410 || (status == 200 &&
		    event_cancelled(have));
		if ((c->op == PUSH_DELETE && gone) || (c->op == PUSH_UPDATE &&
		    status == 200 && !gone && event_same(have, c->event))) {
			jv_free(answer);
			finish_ok(p, c, c->op == PUSH_DELETE ? jv_invalid() :
			    jv_copy(have));
			jv_free(have);
			return;
		}
	}
	finish_bad(p, c, "conflict", 412, answer, NULL);
	jv_free(have);
}

/* --- sending ------------------------------------------------------------ */

/* No answer for the part, or one worth asking again. */
static int
is_rate_limit(long status, jv answer)
{
	return status == 0 || http_retryable_answer(status, answer);
}

/* Google's daily "Calendar usage limits exceeded" (errors guide: 403
 * quotaExceeded, or dailyLimitExceeded for the project's day): no write
 * of the user's gets through until the day ends. */
static int
is_daily_limit(jv answer)
{
	jv e = json_get(answer, "error"), errs = json_get(e, "errors"), first;
	const char *r;
	int yes = 0;

	if (jv_get_kind(errs) == JV_KIND_ARRAY) {
		first = jv_array_get(jv_copy(errs), 0);
		r = json_str(first, "reason");
		yes = r && (strcmp(r, "quotaExceeded") == 0 ||
		    strcmp(r, "dailyLimitExceeded") == 0);
		jv_free(first);
	}
	jv_free(errs);
	jv_free(e);
	return yes;
}

/* Judge one part's answer; 1 when the change is to be sent again after
 * a pause, 2 when at once. */
static int
judge(struct push *p, struct push_change *c, struct batch_part *bp, int max_tries)
{
	long s = bp->status;
	jv answer = jv_copy(bp->json);

	/* the batch's own answer went to the governor: its parts go too */
	quota_answer(p->quota, s, answer);
	if (s == 403 && is_daily_limit(answer)) {
		p->daily = 1;
		finish_bad(p, c, "failed", s, answer, NULL);
		return 0;
	}
	if ((c->fallback && (s == 404 || s == 410)) || (s >= 200 && s < 300 &&
	    c->op == PUSH_INSERT && graph_stale_create(p->api, c, answer))) {
		/* no instance in the series' copy; an older create's event */
		jv_free(answer);
		if (c->fallback)
			fall_back(c);
		c->attempts--;
		return 2;
	}

	if (s >= 200 && s < 300) {
		finish_ok(p, c, c->op == PUSH_DELETE ? jv_invalid() : answer);
		if (c->op == PUSH_DELETE)
			jv_free(answer);
		return 0;
	}
	if (c->op == PUSH_INSERT && s == 409) {
		settle_duplicate(p, c, answer);
		return 0;
	}
	if (c->op == PUSH_DELETE && (s == 410 || s == 404)) {
		/* already gone: what the delete wanted (410 "deleted") */
		jv_free(answer);
		finish_ok(p, c, jv_invalid());
		return 0;
	}
	if (s == 412) {
		settle_precondition(p, c, answer);
		return 0;
	}
	if (c->op == PUSH_UPDATE && (s == 404 || s == 410)) {
		finish_bad(p, c, "conflict", s, answer, "deleted");
		return 0;
	}
	/* The one refresh on a 401 is not a retry: it is owed even with
	 * GCAL_RETRIES=0 (max_tries 1). */
	if ((is_rate_limit(s, answer) && c->attempts < max_tries) ||
	    (s == 401 && c->attempts < max_tries + 1)) {
		jv_free(answer);
		return 1;
	}
	if (is_rate_limit(s, answer))
		p->temporary = 1;
	else if (http_answer_exit(s, answer) == EX_NOPERM) {
		/* a dead token, a scope the grant lacks, no write access:
		 * every change would fail the same way (77) */
		const char *who = calendar_provider(p->api) ==
		    PROVIDER_MICROSOFT ? "Microsoft Graph" : "Google";

		if (!p->dead && s == 401)
			warnx("profile '%s': %s refused the token again after "
			    "a refresh; link again: gcal-auth login -p %s",
			    state_profile(), who, state_profile());
		else if (!p->dead)
			warnx("profile '%s': %s refused a change with %ld: the "
			    "grant lacks a scope or the access to write here; link "
			    "again: gcal-auth login -p %s", state_profile(), who, s,
			    state_profile());
		p->dead = 1;
	}
	finish_bad(p, c, "failed", s, answer, s == 0 ? "noAnswer" : NULL);
	return 0;
}

/* The instances of series to insert, once nothing else is pending: each
 * one the calendar has under its id is changed instead, If-Match the
 * etag it has now; one it has not is the copy push_change says. 0, or
 * the exit status of a token that could not be had. */
static int
look_up_instances(struct push *p)
{
	struct push_change *c;
	size_t i;
	long status;
	jv have;
	int rc;

	for (i = 0; i < p->n; i++)
		if (!p->v[i].done && p->v[i].op != PUSH_SKIP &&
		    p->v[i].fallback == NULL)
			return 0;
	for (i = 0; i < p->n; i++) {
		c = &p->v[i];
		if (c->done || !c->instance)
			continue;
		if (c->etag) {
			instance_found(c, xstrdup(c->etag));
			continue;
		}
		have = jv_invalid();
		if ((rc = fetch(p, c, &status, &have)) == EX_NOPERM) {
			jv_free(have);
			return rc;
		}
		if (rc == 0 && status == 200 && json_str(have, "etag"))
			instance_found(c, xstrdup(json_str(have, "etag")));
		else if (rc == 0 && (status == 404 || status == 410)) {
			c->instance = 0;
			fall_back(c);
		} else {
			if (rc != 0 || is_rate_limit(status, have))
				p->temporary = 1;
			finish_bad(p, c, "failed", rc ? 0 : status, jv_copy(have),
			    rc ? "unavailable" : NULL);
		}
		jv_free(have);
	}
	return 0;
}

/* Every change not done yet, failed with reason (code, when not 0). */
static void
fail_rest(struct push *p, long code, const char *reason)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!p->v[i].done && p->v[i].op != PUSH_SKIP)
			finish_bad(p, &p->v[i], "failed", code, jv_invalid(), reason);
}

/* The next batch into parts and idx: pending changes in input order, the
 * instances of a series once the rest is done. Its size. */
static size_t
next_batch(struct push *p, struct batch_part *parts, size_t *idx,
    size_t batch)
{
	size_t i, k;
	int others;

	for (others = 0, i = 0; i < p->n && !others; i++)
		others = !p->v[i].done && p->v[i].op != PUSH_SKIP &&
		    p->v[i].fallback == NULL;
	for (k = 0, i = 0; i < p->n && k < batch; i++) {
		struct push_change *c = &p->v[i];

		if (c->done || c->op == PUSH_SKIP || (others && c->fallback))
			continue;
		if (p->stop_after >= 0 && p->sent + (long)k >= p->stop_after)
			break;
		idx[k] = i;
		parts[k].method = c->method;
		parts[k].path = c->path;
		parts[k].if_match = c->etag;
		parts[k].body = c->body;
		k++;
	}
	return k;
}

/* One batch request for k parts: Google counts each as a call. */
static int
send_batch(struct push *p, struct batch_part *parts, size_t k)
{
	int rc;

	quota_set_cost(p->quota, (int)k);
	rc = calendar_provider(p->api) == PROVIDER_MICROSOFT ?
	    graph_batch_send(p->api, parts, k) : batch_send(p->api, parts, k);
	stop_point("batch"); /* the service acted; nothing is reported yet */
	quota_set_cost(p->quota, 1);
	p->sent += (long)k;
	if (p->stop_after >= 0 && p->sent >= p->stop_after) {
		/* test knob: die as a killed run would, after Google acted
		 * and before anything was reported */
		fflush(stdout);
		_exit(EX_TEMPFAIL);
	}
	return rc;
}

/* Judge the k answers; 1 when some are to be sent again (the longest
 * Retry-After in *ra). A token that could not be had again in *lost. */
static int
judge_batch(struct push *p, struct batch_part *parts, const size_t *idx,
    size_t k, long *ra, int *lost)
{
	int max_tries = http_max_retries() + 1, again = 0, j, rc;
	char *token;
	size_t i;

	*ra = -1;
	for (i = 0; i < k; i++) {
		struct push_change *c = &p->v[idx[i]];

		/* not run: the part before it in Graph's chain failed */
		if (parts[i].status == GRAPH_NOT_RUN &&
		    calendar_provider(p->api) == PROVIDER_MICROSOFT)
			continue;
		c->attempts++;
		if ((j = judge(p, c, &parts[i], max_tries)) == 2 || j == 0)
			continue;
		again = 1;
		if (parts[i].status == 401 && !p->refreshed) {
			/* an access token that died early */
			if ((rc = oauth_token(state_profile(), 1, &token)) == 0)
				free_secret(token);
			else
				*lost = rc;
			p->refreshed = 1;
		}
		if (parts[i].retry_after > *ra)
			*ra = parts[i].retry_after;
	}
	return again;
}

/* Pause before the calls refused for now go again; the api anew when the
 * token was refreshed. 0 or an exit status. */
static int
pause_for(struct push *p, int attempts, long ra)
{
	long wait = http_backoff_ms(attempts, ra);
	int rc = 0;

	if (verbose)
		warnx("some calls were refused for now: again in %ld ms", wait);
	usleep((useconds_t)wait * 1000);
	if (p->refreshed) {
		/* the api holds the old token */
		calendar_close(p->api);
		if ((p->api = calendar_open(state_profile(), &rc)) == NULL) {
			push_abandon(p, "tokenRefreshFailed", push_token_trouble(rc));
			return rc;
		}
		calendar_set_pacer(p->api, quota_pacer(p->quota));
	}
	return 0;
}

/* Google's daily limit stopped the user's writes: say so once, and
 * report the changes not sent. */
static void
stop_for_the_day(struct push *p)
{
	long long until = 0;
	char when[32], *msg;

	quota_stopped(p->quota, &until);
	time_rfc3339(until, when);
	msg = xasprintf("not sent: Google's daily Calendar usage limit for "
	    "this user is reached; run again after %s", until ? when :
	    "Google's day ends (midnight, Pacific time)");
	warnx("profile '%s': %s", state_profile(), msg + 10);
	push_abandon(p, "quotaExceeded", msg);
	free(msg);
	p->daily = 1;
}

int
push_all(struct push *p)
{
	size_t batch = (size_t)p->batch, *idx = xcalloc(batch, sizeof(*idx)), k;
	struct batch_part *parts = xcalloc(batch, sizeof(*parts));
	int rc = 0, again, lost = 0, stopped = 0;
	long ra;

	calendar_set_pacer(p->api, quota_pacer(p->quota));
	for (;;) {
		if ((rc = look_up_instances(p)) != 0) {
			push_abandon(p, "tokenRefreshFailed", push_token_trouble(rc));
			break;
		}
		if ((k = next_batch(p, parts, idx, batch)) == 0)
			break;
		if (p->daily || (stopped = quota_stopped(p->quota, NULL)))
			break;
		if ((rc = send_batch(p, parts, k)) != 0) {
			batch_clear(parts, k);
			/* Google's daily limit refused the whole batch */
			if ((stopped = quota_stopped(p->quota, NULL))) {
				rc = 0;
				break;
			}
			/* nothing more will get through now (77: the grant or
			 * its scope, not the network) */
			fail_rest(p, 0, rc == EX_NOPERM ? "unauthorized" :
			    "unavailable");
			p->fatal = rc;
			rc = 0;
			break;
		}
		again = judge_batch(p, parts, idx, k, &ra, &lost);
		batch_clear(parts, k);
		if (lost) {
			/* no token to send the rest with */
			push_abandon(p, "tokenRefreshFailed", push_token_trouble(lost));
			rc = lost;
			break;
		}
		if (again && ra > RETRY_AFTER_MAX) {
			/* Google asks for a long pause: the next run's job */
			fail_rest(p, 429, "rateLimitExceeded");
			p->temporary = 1;
			break;
		}
		if (again && !p->daily &&
		    (rc = pause_for(p, p->v[idx[0]].attempts, ra)) != 0)
			break;
	}
	if (rc == 0 && (p->daily || stopped))
		stop_for_the_day(p);
	free(parts);
	free(idx);
	return rc;
}

int
push_status(const struct push *p)
{
	return p->dead ? EX_NOPERM : p->daily ? EXIT_DAILY_LIMIT : p->fatal ?
	    p->fatal : p->temporary ? EX_TEMPFAIL : p->failed ? EXIT_PARTIAL : 0;
}

const char *
push_token_trouble(int why)
{
	return why == EX_NOPERM ? "no access token: the link is revoked or "
	    "expired, link again (gcal-auth login)" : why == EX_TEMPFAIL ?
	    "no access token: the sign-in service could not be reached, try "
	    "again later" : why == EX_CONFIG ? "no access token: the profile's "
	    "link is not usable" : "no access token: the sign-in service's "
	    "answer to the refresh was unusable";
}

void
push_abandon(struct push *p, const char *reason, const char *message)
{
	size_t i;
	jv r;

	for (i = 0; i < p->n; i++) {
		struct push_change *c = &p->v[i];

		if (c->done || c->op == PUSH_SKIP)
			continue;
		r = json_set_str(push_result(c, "failed"), "reason", reason);
		json_print(stdout, json_set_str(r, "message", message));
		c->done = 1;
	}
	fflush(stdout);
	p->failed = 1;
}
