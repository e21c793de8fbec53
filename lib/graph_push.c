#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event_norm.h"
#include "graph.h"
#include "graph_map.h"
#include "graph_occurrence.h"
#include "graph_push.h"
#include "http.h"
#include "json.h"
#include "push.h"
#include "util.h"

#define EVENTS_PREFIX "/calendar/v3/calendars/"

/* The calendar and event id (NULL for the collection) of a Calendar API
 * events path, unescaped; -1 when it is no such path. */
static int
parse_path(const char *path, char **cal, char **id)
{
	const char *p, *slash, *end;

	*cal = *id = NULL;
	if (strncmp(path, EVENTS_PREFIX, strlen(EVENTS_PREFIX)) != 0)
		return -1;
	p = path + strlen(EVENTS_PREFIX);
	end = p + strcspn(p, "?");
	if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL ||
	    strncmp(slash, "/events", 7) != 0)
		return -1;
	*cal = url_unescape(p, (size_t)(slash - p));
	p = slash + 7;
	if (p < end && *p == '/' && end - p > 1)
		*id = url_unescape(p + 1, (size_t)(end - p - 1));
	else if (p != end) {
		free(*cal);
		*cal = NULL;
		return -1;
	}
	return 0;
}

/* Graph's url (relative to /v1.0) of the event id. */
static char *
event_url(const char *id)
{
	char *e = url_escape(id), *u = xasprintf("/me/events/%s", e);

	free(e);
	return u;
}

/* A Graph error body said as Google's error resource, so that push.c
 * reads Graph's code where it reads Google's reason. */
static jv
google_error(long status, jv body)
{
	const char *code = json_strpath(body, "error", "code", (char *)NULL);
	const char *msg = json_strpath(body, "error", "message", (char *)NULL);
	jv e = JV_OBJECT(jv_string("code"), jv_number((double)status));

	if (msg)
		e = json_set_str(e, "message", msg);
	if (code)
		e = jv_object_set(e, jv_string("errors"), JV_ARRAY(JV_OBJECT(
		    jv_string("reason"), jv_string(code))));
	jv_free(body);
	return JV_OBJECT(jv_string("error"), e);
}

/* What a part sent to Graph answers, Google-shaped, into bp. */
static void
take_answer(struct batch_part *bp, long status, jv headers, jv body)
{
	jv ra = jv_invalid();
	const char *s;

	bp->status = status;
	if (jv_get_kind(headers) == JV_KIND_OBJECT)
		jv_object_foreach(headers, k, v) {
			if (strcasecmp(jv_string_value(k), "Retry-After") == 0) {
				jv_free(ra);
				ra = jv_copy(v);
			}
			jv_free(k);
			jv_free(v);
		}
	jv_free(headers);
	/* either form of RFC 9110's Retry-After, as on a whole answer */
	if (jv_get_kind(ra) == JV_KIND_STRING)
		bp->retry_after = http_retry_after(jv_string_value(ra), now_s());
	else if (jv_get_kind(ra) == JV_KIND_NUMBER)
		bp->retry_after = (long)jv_number_value(ra);
	jv_free(ra);
	if (status >= 200 && status < 300 && jv_get_kind(body) == JV_KIND_OBJECT) {
		if ((s = json_str(body, "@odata.etag")) != NULL)
			bp->etag = xstrdup(s);
		bp->json = graph_to_record(body);
		if (!jv_is_valid(bp->json)) {
			jv_free(bp->json);
			bp->json = jv_invalid();
		}
	} else if (status >= 200 && status < 300) {
		jv_free(body);
		bp->json = jv_invalid();
	} else
		bp->json = google_error(status, body);
}

/* A part that cannot be said to Graph: answered here, as a 400. */
static void
refuse(struct batch_part *bp, const char *code, jv why)
{
	char *msg = json_error_text(why);

	bp->status = 400;
	bp->json = google_error(400, JV_OBJECT(jv_string("error"), JV_OBJECT(
	    jv_string("code"), jv_string(code), jv_string("message"),
	    jv_string(msg))));
	free(msg);
}

/* The Graph body of a write: the record mapped back, its writable part,
 * and for a create the transactionId (the id push.c chose). */
static jv
write_body(const struct batch_part *bp, int create)
{
	jv rec = json_parse(bp->body, strlen(bp->body)), g;
	const char *id;
	char *txn;

	if (!jv_is_valid(rec))
		return rec;
	txn = (id = json_str(rec, "id")) != NULL ? xstrdup(id) : NULL;
	g = graph_from_record(jv_object_delete(rec, jv_string("id")));
	if (jv_is_valid(g)) {
		g = graph_write_body(g);
		/* set once, on the create: the marks when there are some
		 * (graph_map), else the id we chose; never changed after */
		if (!create)
			g = jv_object_delete(g, jv_string("transactionId"));
		else if (txn && !jv_object_has(jv_copy(g),
		    jv_string("transactionId")))
			g = json_set_str(g, "transactionId", txn);
		else
			g = graph_txn_calendar(g, bp->path, txn);
	}
	free(txn);
	return g;
}

/* body without what Graph has already (a Graph event, borrowed, said
 * as a write body would say it). */
static jv
drop_same(jv body, jv have)
{
	jv out = jv_object(), h;

	jv_object_foreach(body, key, val) {
		h = jv_object_get(jv_copy(have), jv_copy(key));
		if (jv_is_valid(h) && jv_equal(jv_copy(h), jv_copy(val))) {
			jv_free(key);
			jv_free(val);
		} else
			out = jv_object_set(out, key, val);
		jv_free(h);
	}
	jv_free(body);
	return out;
}

/* The PATCH of a series master carries only what changed against what
 * Graph has: Outlook drops a series' exceptions and cancelled
 * occurrences when a PATCH has its recurrence or start, even unchanged
 * (tests/emulator/README.md, "A PATCH of the master's recurrence or
 * start drops its exceptions"), so a title edit must not send them.
 * Graph's event is read (one GET, series masters only: x-graph keeps
 * only what a round trip would change, not the whole original) and said
 * as a write body says it; what equals it stays out. Graph's answer
 * other than 200 leaves the body whole: the PATCH meets the same 404,
 * and If-Match guards a change made since. *rc an exit status when
 * Graph could not be asked. */
static jv
changed_only(struct calendar_api *api, const char *id, jv body, int *rc)
{
	struct http_response resp;
	char *rel, *url;
	jv have;

	if (json_kind(body, "recurrence") != JV_KIND_OBJECT)
		return body;
	rel = event_url(id);
	url = xasprintf("/v1.0%s", rel);
	free(rel);
	*rc = graph_get(api, url, 0, &resp);
	free(url);
	if (*rc == 0 && resp.status == 200) {
		have = graph_to_record(jv_copy(resp.json));
		if (jv_is_valid(have))
			have = graph_from_record(have);
		if (jv_is_valid(have)) {
			have = graph_write_body(have);
			body = drop_same(body, have);
		}
		jv_free(have);
	}
	http_response_free(&resp);
	return body;
}

/* An insert of a cancelled instance is a DELETE of the occurrence
 * (Outlook cancels it), which answers with no body: its answer is the
 * cancelled instance the record holds, as Google's would be. */
static void
cancelled_instance(struct batch_part *bp, const char *inst)
{
	jv ev;

	if (inst == NULL || bp->body == NULL || strcmp(bp->method, "DELETE") != 0 ||
	    bp->status < 200 || bp->status >= 300)
		return;
	ev = json_parse(bp->body, strlen(bp->body));
	if (jv_get_kind(ev) == JV_KIND_OBJECT) {
		jv_free(bp->json);
		bp->json = json_set_str(ev, "id", inst);
	} else
		jv_free(ev);
}

/* The Graph id of the event a record calls *id, into *id: 0, or -1 with
 * bp answered when Graph has no such instance or could not list the
 * series; *rc an exit status when Graph could not be asked. *inst (the
 * caller's) the record's id when it named an instance, *etag the
 * occurrence's as listed (the caller's, or NULL). */
static int
resolve(struct calendar_api *api, struct batch_part *bp, char **id,
    char **inst, char **etag, int *rc)
{
	long status;
	char *occ;
	jv answer;

	if ((*rc = graph_occurrence(api, *id, &occ, etag, &status, &answer)) != 0)
		return -1;
	if (occ == NULL && status == 404 && strcmp(bp->method, "DELETE") == 0) {
		/* the occurrence is cancelled already: what a delete, or the
		 * insert of a cancelled instance, wants */
		jv_free(answer);
		bp->status = 204;
		bp->json = jv_invalid();
		cancelled_instance(bp, *id);
		return -1;
	}
	if (occ == NULL) {
		bp->status = status;
		bp->json = google_error(status, jv_is_valid(answer) ? answer :
		    JV_OBJECT(jv_string("error"), JV_OBJECT(jv_string("code"),
		    jv_string("ErrorItemNotFound"), jv_string("message"),
		    jv_string("the series has no instance of that original "
		    "start"))));
		return -1;
	}
	jv_free(answer);
	if (strcmp(occ, *id) != 0) {
		*inst = *id;
		*id = occ;
	} else
		free(occ);
	return 0;
}

/* The $batch request of part bp as number k; invalid with bp answered
 * when it cannot be said to Graph (or *rc set when Graph could not be
 * asked what an instance id stands for; *inst as resolve says). */
static jv
part_request(struct calendar_api *api, struct batch_part *bp, size_t k,
    char **inst, int *rc)
{
	char *cal = NULL, *id = NULL, *url, num[24], *etag = NULL;
	int create = strcmp(bp->method, "POST") == 0;
	jv r, h, body = jv_invalid();

	if (parse_path(bp->path, &cal, &id) == -1 || (create != (id == NULL))) {
		refuse(bp, "gcalNoGraphForm", jv_invalid_with_msg(jv_string(
		    "not a call gcal-push makes of an event")));
		free(cal);
		free(id);
		return jv_invalid();
	}
	if (id && resolve(api, bp, &id, inst, &etag, rc) == -1) {
		free(cal);
		free(id);
		return jv_invalid();
	}
	if (bp->body && strcmp(bp->method, "DELETE") != 0) {
		body = write_body(bp, create);
		if (!jv_is_valid(body)) {
			refuse(bp, "gcalNoGraphForm", body);
			free(etag);
			free(cal);
			free(id);
			return jv_invalid();
		}
		/* an occurrence holds no pattern of its own (Outlook refuses
		 * even a null one): what the record kept of it stays out */
		if (*inst)
			body = jv_object_delete(body, jv_string("recurrence"));
		else if (!create && (body = changed_only(api, id, body, rc),
		    *rc != 0)) {
			jv_free(body);
			free(etag);
			free(cal);
			free(id);
			return jv_invalid();
		}
	}
	url = create ? graph_calendar_path(cal, "/events") : event_url(id);
	snprintf(num, sizeof(num), "%zu", k + 1);
	h = json_set_str(jv_object(), "Prefer", GRAPH_PREFER);
	/* an insert of an instance: the occurrence as it was listed; so
	 * too a plain occurrence's write, whatever etag the record has: an
	 * edit of its series gave it a new one, and it has no change of its
	 * own to lose (seed 1290011314: the delete of one after its series'
	 * edit was a 412 on every run) */
	if (*inst && etag && (bp->if_match == NULL ||
	    graph_occurrence_plain(*inst)))
		h = json_set_str(h, "If-Match", etag);
	else if (bp->if_match)
		h = json_set_str(h, "If-Match", bp->if_match);
	free(etag);
	if (jv_is_valid(body))
		h = json_set_str(h, "Content-Type", "application/json");
	/* the calendar path is /v1.0/...: a $batch url is relative to it */
	r = JV_OBJECT(jv_string("id"), jv_string(num), jv_string("method"),
	    jv_string(strcmp(bp->method, "PUT") == 0 ? "PATCH" : bp->method),
	    jv_string("url"), jv_string(strncmp(url, "/v1.0", 5) == 0 ?
	    url + 5 : url), jv_string("headers"), h);
	if (jv_is_valid(body))
		r = jv_object_set(r, jv_string("body"), body);
	free(url);
	free(cal);
	free(id);
	return r;
}

/* An answer about an occurrence named by its instance id (NULL: none)
 * keeps that id, the one gcal-pull prints for it. */
static jv
as_instance(jv ev, const char *inst)
{
	if (inst == NULL || jv_get_kind(ev) != JV_KIND_OBJECT ||
	    json_str(ev, "id") == NULL)
		return ev;
	return json_set_str(ev, "id", inst);
}

/* The answers of a $batch (borrowed) into parts. */
static int
take_answers(jv answer, struct batch_part *parts, size_t n, const int *sent,
    char *const *inst)
{
	jv list = json_get(answer, "responses"), a;
	const char *id, *errstr;
	int i, len;
	long long k;

	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		warnx("Graph's $batch answer is unusable: no \"responses\" array");
		return EX_UNAVAILABLE;
	}
	len = jv_array_length(jv_copy(list));
	for (i = 0; i < len; i++) {
		a = jv_array_get(jv_copy(list), i);
		id = json_str(a, "id");
		k = id ? strtonum(id, 1, (long long)n, &errstr) : 0;
		if (k >= 1 && sent[k - 1] && parts[k - 1].status == 0) {
			take_answer(&parts[k - 1], (long)json_num(a, "status", 0),
			    json_get(a, "headers"), json_get(a, "body"));
			parts[k - 1].json = as_instance(parts[k - 1].json,
			    inst[k - 1]);
			cancelled_instance(&parts[k - 1], inst[k - 1]);
		}
		jv_free(a);
	}
	jv_free(list);
	return 0;
}

static void
free_instances(char **inst, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(inst[i]);
	free(inst);
}

int
graph_batch_send(struct calendar_api *api, struct batch_part *parts, size_t n)
{
	struct http_request req = {.method = "POST", .host = HOST_MS_GRAPH,
	    .path = "/v1.0/$batch", .content_type = "application/json",
	    .want_json = 1};
	struct http_response resp;
	jv reqs = jv_array(), r;
	int *sent = xcalloc(n ? n : 1, sizeof(*sent)), rc = 0, nsent = 0;
	char *text, prev[24] = "", **inst = xcalloc(n ? n : 1, sizeof(*inst));
	size_t i;

	for (i = 0; i < n; i++) {
		parts[i].status = 0;
		parts[i].json = jv_invalid();
		parts[i].etag = NULL;
		parts[i].retry_after = -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (!jv_is_valid(r = part_request(api, &parts[i], i, &inst[i],
		    &rc))) {
			jv_free(r);
			continue;
		}
		/* more than Graph runs at once for a mailbox: one chain */
		if (n > GRAPH_IN_FLIGHT && prev[0])
			r = jv_object_set(r, jv_string("dependsOn"),
			    JV_ARRAY(jv_string(prev)));
		snprintf(prev, sizeof(prev), "%s", json_str(r, "id"));
		reqs = jv_array_append(reqs, r);
		sent[i] = 1;
		nsent++;
	}
	if (rc != 0 || nsent == 0) {
		jv_free(reqs);
		free_instances(inst, n);
		free(sent);
		return rc;
	}
	text = json_dump(JV_OBJECT(jv_string("requests"), reqs));
	req.body = text;
	req.body_len = strlen(text);
	rc = calendar_request(api, &req, &resp);
	if (rc == 0 && resp.status != 200)
		rc = graph_failure(&resp, "Graph's $batch");
	else if (rc == 0)
		rc = take_answers(resp.json, parts, n, sent, inst);
	http_response_free(&resp);
	free_instances(inst, n);
	free(text);
	free(sent);
	return rc;
}

int
graph_fetch(struct calendar_api *api, const char *google_path, long *status,
    jv *ev)
{
	struct http_response resp;
	char *cal, *id, *url, *rel, *occ;
	int rc;
	jv answer;

	if (parse_path(google_path, &cal, &id) == -1 || id == NULL) {
		free(cal);
		warnx("'%s': not an event's path", google_path);
		return EX_SOFTWARE;
	}
	if ((rc = graph_occurrence(api, id, &occ, NULL, status, &answer)) != 0 ||
	    occ == NULL) {
		if (rc == 0)
			*ev = google_error(*status, jv_is_valid(answer) ? answer :
			    jv_object());
		free(cal);
		free(id);
		return rc;
	}
	jv_free(answer);
	rel = event_url(occ);
	url = xasprintf("/v1.0%s", rel);
	free(rel);
	rc = graph_get(api, url, 0, &resp);
	if (rc == 0) {
		*status = resp.status;
		*ev = resp.status == 200 ? graph_to_record(jv_copy(resp.json)) :
		    google_error(resp.status, jv_copy(resp.json));
		if (!jv_is_valid(*ev)) {
			jv_free(*ev);
			*ev = jv_invalid();
		}
		*ev = as_instance(*ev, strcmp(occ, id) != 0 ? id : NULL);
	}
	http_response_free(&resp);
	free(url);
	free(occ);
	free(cal);
	free(id);
	return rc;
}

int
graph_default_calendar(struct calendar_api *api, char **id)
{
	struct http_response resp;
	const char *s;
	int rc;

	*id = NULL;
	rc = graph_get(api, "/v1.0/me/calendar?$select=id", 0, &resp);
	if (rc == 0 && resp.status != 200)
		rc = graph_failure(&resp, "the default calendar");
	else if (rc == 0 && (s = json_str(resp.json, "id")) == NULL) {
		warnx("the default calendar: Graph's answer has no id");
		rc = EX_UNAVAILABLE;
	} else if (rc == 0)
		*id = xstrdup(s);
	http_response_free(&resp);
	return rc;
}

/* A create Graph took for a retry of an earlier one (its transactionId,
 * seen before: "to avoid redundant POST operations", event resource)
 * answers with the event that one made, not with what we want now: a
 * record edited since (a run stopped after Graph took the create, the
 * user edited it before the next) would lose its edit silently. c
 * becomes the update of that event, If-Match the etag just given, and
 * goes again; 1 when so. Borrows answer (graph_push.h). */
int
graph_stale_create(struct calendar_api *api, struct push_change *c, jv answer)
{
	const char *gid = json_str(answer, "id"), *etag = json_str(answer, "etag");
	size_t len = strcspn(c->path, "?");
	char *eid;

	if (calendar_provider(api) != PROVIDER_MICROSOFT || gid == NULL ||
	    etag == NULL || jv_get_kind(c->event) != JV_KIND_OBJECT ||
	    event_same(answer, c->event))
		return 0;
	if (verbose)
		warnx("line %zu: Graph answered the create with its event of "
		    "an earlier one, older: it is updated", c->line);
	eid = url_escape(gid);
	free(c->event_path);
	c->event_path = xasprintf("%.*s/%s%s", (int)len, c->path, eid,
	    c->path + len);
	free(eid);
	free(c->path);
	c->path = xstrdup(c->event_path);
	free(c->id);
	c->id = xstrdup(gid);
	free(c->etag);
	c->etag = xstrdup(etag);
	c->op = PUSH_UPDATE;
	c->method = "PUT";
	return 1;
}
