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

static void pace(struct push *p, int k);

/* --- the answers that need a second look ------------------------------- */

/* What Google has now under the change's id: 0 and *ev, or an exit
 * status. */
static int
fetch(struct push *p, const struct push_change *c, long *status, jv *ev)
{
	struct http_response resp;
	char *path = xstrndup(c->event_path, strcspn(c->event_path, "?"));
	int rc;

	pace(p, 1);
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
		pace(p, 1);
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

/* Wait until k more calls keep the last minute at most p->rate calls: a
 * sliding window, as Google counts its per-user quota ("Calendar API
 * usage limits": requests per minute per user). A run may burst up to
 * the whole minute at once, then goes at the rate. */
static void
pace(struct push *p, int k)
{
	long long now, wait;
	size_t i, old;
	int used;

	for (;;) {
		now = now_ms();
		for (old = 0; old < p->win_len && p->win_t[old] <= now - p->window_ms; old++)
			;
		if (old > 0) {
			memmove(p->win_t, p->win_t + old, (p->win_len - old) *
			    sizeof(*p->win_t));
			memmove(p->win_n, p->win_n + old, (p->win_len - old) *
			    sizeof(*p->win_n));
			p->win_len -= old;
		}
		for (used = 0, i = 0; i < p->win_len; i++)
			used += p->win_n[i];
		if (used + k <= p->rate || p->win_len == 0)
			break;
		/* until the oldest calls leave the window */
		wait = p->win_t[0] + p->window_ms - now;
		if (verbose)
			warnx("%d calls in the last minute, at most %d: waiting "
			    "%lld ms", used, p->rate, wait);
		usleep((useconds_t)(wait > 0 ? wait : 0) * 1000 + 1000);
	}
	p->win_t = xreallocarray(p->win_t, p->win_len + 1, sizeof(*p->win_t));
	p->win_n = xreallocarray(p->win_n, p->win_len + 1, sizeof(*p->win_n));
	p->win_t[p->win_len] = now;
	p->win_n[p->win_len++] = k;
}

/* No answer for the part, or one worth asking again. */
static int
is_rate_limit(long status, jv answer)
{
	return status == 0 || http_retryable_answer(status, answer);
}

/* Judge one part's answer; 1 when the change is to be sent again after
 * a pause, 2 when at once. */
static int
judge(struct push *p, struct push_change *c, struct batch_part *bp, int max_tries)
{
	long s = bp->status;
	jv answer = jv_copy(bp->json);

	if (c->fallback && (s == 404 || s == 410)) {
		/* the series' copy has no such instance: a copy of its own */
		jv_free(answer);
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
		if (!p->dead && s == 401)
			warnx("profile '%s': Google refused the token again after "
			    "a refresh; link again: gcal-auth login -p %s",
			    state_profile(), state_profile());
		else if (!p->dead)
			warnx("profile '%s': Google refused a change with %ld: the "
			    "grant lacks a scope or the access to write here; link "
			    "again: gcal-auth login -p %s", state_profile(), s,
			    state_profile());
		p->dead = 1;
	}
	finish_bad(p, c, "failed", s, answer, s == 0 ? "noAnswer" : NULL);
	return 0;
}

int
push_all(struct push *p)
{
	int max_tries = http_max_retries() + 1, rc, again, lost = 0, others, j;
	int batch = p->batch < p->rate ? p->batch : p->rate;
	struct batch_part *parts = xcalloc((size_t)batch, sizeof(*parts));
	size_t *idx = xcalloc((size_t)batch, sizeof(*idx));
	size_t i, k;
	long wait, ra;
	char *token;

	for (;;) {
		/* instances of a series wait until the rest is done */
		for (others = 0, i = 0; i < p->n && !others; i++)
			others = !p->v[i].done && p->v[i].op != PUSH_SKIP &&
			    p->v[i].fallback == NULL;
		/* the next batch: pending changes in input order */
		for (k = 0, i = 0; i < p->n && k < (size_t)batch; i++) {
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
		if (k == 0)
			break;
		pace(p, (int)k);
		rc = calendar_provider(p->api) == PROVIDER_MICROSOFT ?
		    graph_batch_send(p->api, parts, k) :
		    batch_send(p->api, parts, k);
		p->sent += (long)k;
		if (p->stop_after >= 0 && p->sent >= p->stop_after) {
			/* test knob: die as a killed run would, after Google
			 * acted and before anything was reported */
			fflush(stdout);
			_exit(EX_TEMPFAIL);
		}
		if (rc != 0) {
			/* nothing more will get through now: report all (77:
			 * the grant or its scope, not the network) */
			for (i = 0; i < p->n; i++)
				if (!p->v[i].done && p->v[i].op != PUSH_SKIP)
					finish_bad(p, &p->v[i], "failed", 0, jv_invalid(),
					    rc == EX_NOPERM ? "unauthorized" : "unavailable");
			p->fatal = rc;
			batch_clear(parts, k);
			break;
		}
		again = 0;
		ra = -1;
		for (i = 0; i < k; i++) {
			struct push_change *c = &p->v[idx[i]];

			/* not run: the part before it in Graph's chain failed */
			if (parts[i].status == GRAPH_NOT_RUN &&
			    calendar_provider(p->api) == PROVIDER_MICROSOFT)
				continue;
			c->attempts++;
			if ((j = judge(p, c, &parts[i], max_tries)) == 2)
				continue;
			if (j) {
				again = 1;
				if (parts[i].status == 401 && !p->refreshed) {
					/* an access token that died early */
					if ((rc = oauth_token(state_profile(), 1, &token)) == 0)
						free_secret(token);
					else
						lost = rc;
					p->refreshed = 1;
				}
				if (parts[i].retry_after > ra)
					ra = parts[i].retry_after;
			}
		}
		batch_clear(parts, k);
		if (lost) {
			/* no token to send the rest with */
			push_abandon(p, "tokenRefreshFailed", push_token_trouble(lost));
			free(parts);
			free(idx);
			return lost;
		}
		if (again && ra > RETRY_AFTER_MAX) {
			/* Google asks for a long pause: the next run's job */
			for (i = 0; i < p->n; i++)
				if (!p->v[i].done && p->v[i].op != PUSH_SKIP)
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
			if (p->refreshed) {
				calendar_close(p->api);
				if ((p->api = calendar_open(state_profile(), &rc)) == NULL) {
					push_abandon(p, "tokenRefreshFailed", push_token_trouble(rc));
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

const char *
push_token_trouble(int why)
{
	return why == EX_NOPERM ? "no access token: the link is revoked or "
	    "expired, link again (gcal-auth login)" : why == EX_TEMPFAIL ?
	    "no access token: Google could not be reached, try again later" :
	    why == EX_CONFIG ? "no access token: the profile's link is not "
	    "usable" : "no access token: Google's answer to the refresh was "
	    "unusable";
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
