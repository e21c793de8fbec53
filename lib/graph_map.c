#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "graph_html.h"
#include "graph_instance.h"
#include "graph_map.h"
#include "graph_time.h"
#include "json.h"
#include "util.h"

#define ABSENT_KEY "@gcal.absent"
/* A transactionId that carries the marks: this, then their JSON. */
#define TXN_MARKS "gcal "

/* The Graph properties to_plain reads: a kept original of one of these
 * goes back only while it maps to what the record says. */
static const char *const mapped[] = {"id", "@odata.etag", "subject", "body",
    "start", "end", "isAllDay", "originalStartTimeZone",
    "originalEndTimeZone", "location", "attendees", "organizer",
    "isOrganizer", "showAs", "sensitivity", "isCancelled", "recurrence",
    "seriesMasterId", "originalStart", "iCalUId",
    "singleValueExtendedProperties", "transactionId", "createdDateTime",
    "lastModifiedDateTime", "webLink", NULL};

/* What a create or update may carry (Graph v1.0 event resource, the
 * properties not marked read-only; "Update event" lists the same). */
static const char *const writable[] = {"allowNewTimeProposals", "attendees",
    "body", "categories", "end", "hideAttendees", "importance", "isAllDay",
    "isOnlineMeeting", "isReminderOn", "location", "locations",
    "onlineMeetingProvider", "recurrence", "reminderMinutesBeforeStart",
    "responseRequested", "sensitivity", "showAs", "start", "subject",
    "transactionId", "singleValueExtendedProperties",
    "multiValueExtendedProperties", NULL};





/* --- Graph to record ---------------------------------------------------- */

/* Graph's response and attendee type <-> Google's responseStatus. */
static const char *
response_status(const char *r)
{
	if (r == NULL)
		return "needsAction";
	if (strcmp(r, "accepted") == 0 || strcmp(r, "organizer") == 0)
		return "accepted";
	if (strcmp(r, "tentativelyAccepted") == 0)
		return "tentative";
	if (strcmp(r, "declined") == 0)
		return "declined";
	return "needsAction"; /* none, notResponded */
}

static const char *
graph_response(const char *s)
{
	if (s == NULL)
		return "none";
	if (strcmp(s, "accepted") == 0)
		return "accepted";
	if (strcmp(s, "tentative") == 0)
		return "tentativelyAccepted";
	if (strcmp(s, "declined") == 0)
		return "declined";
	return "none";
}

/* {email, displayName} of a Graph recipient (borrowed) into obj. */
static jv
person(jv obj, jv recipient)
{
	const char *addr = json_strpath(recipient, "emailAddress", "address",
	    (char *)NULL);
	const char *name = json_strpath(recipient, "emailAddress", "name",
	    (char *)NULL);

	if (addr)
		obj = json_set_str(obj, "email", addr);
	if (name && *name)
		obj = json_set_str(obj, "displayName", name);
	return obj;
}

static jv
attendees_of(jv list)
{
	jv out = jv_array(), a, g;
	const char *type;
	int i, n = jv_array_length(jv_copy(list));

	for (i = 0; i < n; i++) {
		g = jv_array_get(jv_copy(list), i);
		a = person(jv_object(), g);
		type = json_str(g, "type");
		if (type && strcmp(type, "optional") == 0)
			a = json_set(a, "optional", jv_true());
		if (type && strcmp(type, "resource") == 0)
			a = json_set(a, "resource", jv_true());
		a = json_set_str(a, "responseStatus", response_status(
		    json_strpath(g, "status", "response", (char *)NULL)));
		out = jv_array_append(out, a);
		jv_free(g);
	}
	return out;
}

/* extendedProperties.private from gcal's own extended property. */
static jv
private_of(jv props)
{
	jv p, v = jv_invalid();
	int i, n = jv_array_length(jv_copy(props));
	const char *id, *val;

	for (i = 0; i < n && !jv_is_valid(v); i++) {
		p = jv_array_get(jv_copy(props), i);
		id = json_str(p, "id");
		val = json_str(p, "value");
		/* Graph may give the id back with the GUID in another case */
		if (id && val && strcasecmp(id, GRAPH_PRIVATE_PROP) == 0) {
			v = json_parse(val, strlen(val));
			if (jv_get_kind(v) != JV_KIND_OBJECT) {
				jv_free(v);
				v = jv_invalid();
			}
		}
		jv_free(p);
	}
	return v;
}

/* Strings copied as they are: Graph's name, then Google's. */
static const char *const same[][2] = {
	{"id", "id"}, {"@odata.etag", "etag"}, {"seriesMasterId",
	"recurringEventId"}, {"iCalUId", "iCalUID"}, {"createdDateTime",
	"created"}, {"lastModifiedDateTime", "updated"}, {"webLink", "htmlLink"},
};

/* The fields of the people, the status and the kinds of an event. */
static jv
plain_people(jv g, jv rec)
{
	const char *s;
	jv v, priv;

	s = json_strpath(g, "location", "displayName", (char *)NULL);
	if (s && *s)
		rec = json_set_str(rec, "location", s);
	v = json_get(g, "attendees");
	if (jv_get_kind(v) == JV_KIND_ARRAY && jv_array_length(jv_copy(v)) > 0)
		rec = json_set(rec, "attendees", attendees_of(v));
	jv_free(v);
	v = json_get(g, "organizer");
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv o = person(jv_object(), v);

		if ((json_kind(g, "isOrganizer") == JV_KIND_TRUE))
			o = json_set(o, "self", jv_true());
		rec = json_set(rec, "organizer", o);
	}
	jv_free(v);
	if ((s = json_str(g, "showAs")) != NULL && strcmp(s, "free") == 0)
		rec = json_set_str(rec, "transparency", "transparent");
	if ((s = json_str(g, "sensitivity")) != NULL && strcmp(s, "normal") != 0)
		rec = json_set_str(rec, "visibility", strcmp(s, "confidential")
		    == 0 ? "confidential" : "private");
	rec = json_set_str(rec, "status", (json_kind(g, "isCancelled") == JV_KIND_TRUE) ?
	    "cancelled" : "confirmed");
	v = json_get(g, "singleValueExtendedProperties");
	priv = jv_get_kind(v) == JV_KIND_ARRAY ? private_of(v) : jv_invalid();
	jv_free(v);
	/* a delta round gives no extended properties (they come only
	 * with $expand): the marks a create gave come from its
	 * transactionId, which every read returns */
	if (!jv_is_valid(priv) && (s = json_str(g, "transactionId")) != NULL &&
	    strncmp(s, TXN_MARKS, strlen(TXN_MARKS)) == 0) {
		jv_free(priv);
		/* "gcal CALENDAR-TAG {...}" (graph_push), or "gcal {...}" */
		s += strlen(TXN_MARKS);
		if (*s != '{' && strchr(s, ' ') != NULL)
			s = strchr(s, ' ') + 1;
		priv = json_parse(s, strlen(s));
		if (jv_get_kind(priv) != JV_KIND_OBJECT) {
			jv_free(priv);
			priv = jv_invalid();
		}
	}
	if (jv_is_valid(priv))
		rec = json_set(rec, "extendedProperties", json_set(jv_object(), "private",
		    priv));
	else
		jv_free(priv);
	return rec;
}

/* An occurrence or exception is named as Google names an instance
 * (graph_instance.h): an all-day one by its original date in the
 * series' zone (graph_time), the others by originalStart; Graph's own id
 * stays in x-graph. */
static jv
instance_id(jv g, jv rec)
{
	const char *master = json_str(g, "seriesMasterId");
	const char *date = json_strpath(rec, "originalStartTime", "date",
	    (char *)NULL);
	char *start, *id;

	if (!jv_is_valid(rec) || master == NULL)
		return rec;
	start = date ? xasprintf("%sT00:00:00Z", date) :
	    xstrdup(json_str(g, "originalStart") ? json_str(g, "originalStart") :
	    "");
	if ((id = graph_instance_id(master, start, date != NULL)) != NULL)
		rec = json_set_str(rec, "id", id);
	free(id);
	free(start);
	return rec;
}

/* The record a Graph event (borrowed) maps to, without x-graph. */
static jv
to_plain(jv g)
{
	jv rec = jv_object();
	const char *s;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(*same); i++)
		if ((s = json_str(g, same[i][0])) != NULL)
			rec = json_set_str(rec, same[i][1], s);
	if ((s = json_str(g, "subject")) != NULL && *s)
		rec = json_set_str(rec, "summary", s);
	if ((s = json_strpath(g, "body", "content", (char *)NULL)) != NULL) {
		const char *type = json_strpath(g, "body", "contentType",
		    (char *)NULL);

		text = type && strcasecmp(type, "html") == 0 ?
		    graph_html_text(s) : xstrdup(s);
		if (*text)
			rec = json_set_str(rec, "description", text);
		free(text);
	}
	rec = plain_people(g, rec);
	return instance_id(g, graph_times_of(g, rec));
}

/* --- record to Graph ------------------------------------------------------ */

static jv
recipient(jv a)
{
	jv e = jv_object();
	const char *s;

	if ((s = json_str(a, "email")) != NULL)
		e = json_set_str(e, "address", s);
	if ((s = json_str(a, "displayName")) != NULL)
		e = json_set_str(e, "name", s);
	return json_set(jv_object(), "emailAddress", e);
}

static jv
graph_attendees(jv list)
{
	jv out = jv_array(), a, g, st;
	int i, n = jv_array_length(jv_copy(list));

	for (i = 0; i < n; i++) {
		a = jv_array_get(jv_copy(list), i);
		g = recipient(a);
		g = json_set_str(g, "type", (json_kind(a, "resource") == JV_KIND_TRUE) ? "resource" :
		    (json_kind(a, "optional") == JV_KIND_TRUE) ? "optional" : "required");
		st = json_set_str(jv_object(), "response",
		    graph_response(json_str(a, "responseStatus")));
		g = json_set(g, "status", st);
		out = jv_array_append(out, g);
		jv_free(a);
	}
	return out;
}

/* The Graph event a record (borrowed, without x-graph) maps to. */
static jv
from_plain(jv rec)
{
	jv g = jv_object(), v;
	const char *s;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(*same); i++)
		if ((s = json_str(rec, same[i][1])) != NULL)
			g = json_set_str(g, same[i][0], s);
	g = json_set_str(g, "subject", (s = json_str(rec, "summary")) ? s : "");
	if ((s = json_str(rec, "description")) != NULL)
		g = json_set(g, "body", json_set_str(json_set_str(jv_object(),
		    "contentType", "text"), "content", s));
	if ((s = json_str(rec, "location")) != NULL)
		g = json_set(g, "location", json_set_str(jv_object(), "displayName",
		    s));
	v = json_get(rec, "attendees");
	if (jv_get_kind(v) == JV_KIND_ARRAY)
		g = json_set(g, "attendees", graph_attendees(v));
	jv_free(v);
	v = json_get(rec, "organizer");
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		g = json_set(g, "organizer", recipient(v));
		g = json_set(g, "isOrganizer", jv_bool((json_kind(v, "self") == JV_KIND_TRUE)));
	}
	jv_free(v);
	s = json_str(rec, "transparency");
	g = json_set_str(g, "showAs", s && strcmp(s, "transparent") == 0 ?
	    "free" : "busy");
	s = json_str(rec, "visibility");
	g = json_set_str(g, "sensitivity", s == NULL ? "normal" :
	    strcmp(s, "private") == 0 ? "private" : strcmp(s, "confidential")
	    == 0 ? "confidential" : "normal");
	s = json_str(rec, "status");
	g = json_set(g, "isCancelled", jv_bool(s && strcmp(s, "cancelled") == 0));
	v = jv_getpath(jv_copy(rec), JV_ARRAY(jv_string("extendedProperties"),
	    jv_string("private")));
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		char *text = json_dump(jv_copy(v)), *txn;

		g = json_set(g, "singleValueExtendedProperties", JV_ARRAY(
		    json_set_str(json_set_str(jv_object(), "id",
		    GRAPH_PRIVATE_PROP), "value", text)));
		txn = xasprintf(TXN_MARKS "%s", text);
		g = json_set_str(g, "transactionId", txn);
		free(txn);
		free(text);
	}
	jv_free(v);
	return graph_times_for(rec, g);
}

/* --- round trips ---------------------------------------------------------- */

static int
same_json(jv a, jv b)
{
	return jv_equal(jv_copy(a), jv_copy(b));
}

jv
graph_to_record(jv g)
{
	jv rec, back, keep, absent;
	const char *k;

	if (jv_get_kind(g) != JV_KIND_OBJECT) {
		jv_free(g);
		return json_fail("a Graph event is not an object%s", NULL);
	}
	/* the envelope of a single event's answer ("Get event") is no
	 * property of the event: a delta page's items have none */
	if (jv_object_has(jv_copy(g), jv_string("@odata.context")))
		g = jv_object_delete(g, jv_string("@odata.context"));
	g = graph_own_zones(g);
	if (!jv_is_valid(rec = to_plain(g))) {
		jv_free(g);
		return rec;
	}
	back = from_plain(rec);
	if (!jv_is_valid(back)) {
		/* the record has no Graph form: everything is kept */
		jv_free(back);
		back = jv_object();
	}
	keep = jv_object();
	absent = jv_array();
	jv_object_foreach(g, key, val) {
		jv b = jv_object_get(jv_copy(back), jv_copy(key));

		if (!jv_is_valid(b) || !same_json(b, val))
			keep = jv_object_set(keep, jv_copy(key), jv_copy(val));
		jv_free(b);
		jv_free(key);
		jv_free(val);
	}
	jv_object_foreach(back, key, val) {
		k = jv_string_value(key);
		if (!jv_object_has(jv_copy(g), jv_copy(key)))
			absent = jv_array_append(absent, jv_string(k));
		jv_free(key);
		jv_free(val);
	}
	jv_free(back);
	if (jv_array_length(jv_copy(absent)) > 0)
		keep = json_set(keep, ABSENT_KEY, absent);
	else
		jv_free(absent);
	if (jv_object_length(jv_copy(keep)) > 0)
		rec = json_set(rec, GRAPH_KEEP_KEY, keep);
	else
		jv_free(keep);
	jv_free(g);
	return rec;
}

/* g with kept original val (consumed; invalid: the event had no key) at
 * key, while g still means the same: target (borrowed) is what g maps to
 * before any original is taken back. A record's field that Graph cannot
 * hold (Google's colorId...) does not count: it is in neither. */
static jv
take_kept(jv g, jv target, jv key, jv val, int *taken)
{
	jv cand, plain;
	int ok;

	*taken = 1;
	if (!str_in_list(mapped, jv_string_value(key))) {
		if (jv_is_valid(val))
			return jv_object_set(g, key, val);
		jv_free(key);
		return g;
	}
	cand = jv_is_valid(val) ? jv_object_set(jv_copy(g), key, val) :
	    jv_object_delete(jv_copy(g), key);
	plain = to_plain(cand);
	ok = jv_is_valid(plain) && same_json(plain, target);
	jv_free(plain);
	if (!ok) {
		*taken = 0;
		jv_free(cand);
		return g;
	}
	jv_free(g);
	return cand;
}

/* g with the originals x-graph keeps (keep, borrowed), each while g
 * still means target: [KEY, VALUE] pairs, [KEY] for a property the
 * event did not have. One that fits only with another (an all-day
 * instance's originalStart with its originalStartTimeZone) is tried
 * again once the others are in. */
static jv
take_all(jv g, jv target, jv keep)
{
	jv todo = jv_array(), left, absent = json_get(keep, ABSENT_KEY), t;
	int i, n, pass, taken;

	jv_object_foreach(keep, key, val) {
		if (strcmp(jv_string_value(key), ABSENT_KEY) != 0)
			todo = jv_array_append(todo, JV_ARRAY(key, val));
		else {
			jv_free(key);
			jv_free(val);
		}
	}
	n = jv_get_kind(absent) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(absent)) : 0;
	for (i = 0; i < n; i++) {
		t = jv_array_get(jv_copy(absent), i);
		if (jv_get_kind(t) == JV_KIND_STRING)
			todo = jv_array_append(todo, JV_ARRAY(t));
		else
			jv_free(t);
	}
	jv_free(absent);
	for (pass = 0; pass < 2; pass++) {
		left = jv_array();
		n = jv_array_length(jv_copy(todo));
		for (i = 0; i < n; i++) {
			t = jv_array_get(jv_copy(todo), i);
			g = take_kept(g, target, jv_array_get(jv_copy(t), 0),
			    jv_array_length(jv_copy(t)) > 1 ?
			    jv_array_get(jv_copy(t), 1) : jv_invalid(), &taken);
			left = taken ? left : jv_array_append(left, jv_copy(t));
			jv_free(t);
		}
		jv_free(todo);
		todo = left;
	}
	jv_free(todo);
	return g;
}

jv
graph_from_record(jv rec)
{
	jv keep = json_get(rec, GRAPH_KEEP_KEY), plain, g;

	plain = jv_object_delete(rec, jv_string(GRAPH_KEEP_KEY));
	g = from_plain(plain);
	jv_free(plain);
	if (!jv_is_valid(g)) {
		jv_free(keep);
		return g;
	}
	plain = to_plain(g);
	if (jv_get_kind(keep) == JV_KIND_OBJECT && jv_is_valid(plain))
		g = take_all(g, plain, keep);
	jv_free(keep);
	jv_free(plain);
	return g;
}

jv
graph_write_body(jv g)
{
	jv out = jv_object();

	jv_object_foreach(g, key, val) {
		if (str_in_list(writable, jv_string_value(key)))
			out = jv_object_set(out, key, val);
		else {
			jv_free(key);
			jv_free(val);
		}
	}
	jv_free(g);
	return out;
}

/* A transactionId's tag: TXN_TAG hex digits of the SHA-256 of s, to out. */
#define TXN_TAG 12
static void
txn_tag(const char *s, char out[TXN_TAG + 1])
{
	sha256_hex(s, TXN_TAG / 2, out);
}

/* The tag goes between the word and the marks, so that to_plain still
 * reads them (Graph takes a transactionId it has seen anywhere in the
 * mailbox for a retry and answers with that event: "to avoid redundant
 * POST operations", event resource). */
jv
graph_txn_calendar(jv g, const char *calendar_path, const char *id)
{
	const char *txn = json_str(g, "transactionId");
	char cal[TXN_TAG + 1], rec[TXN_TAG + 1] = "", *tagged;

	if (txn == NULL || strncmp(txn, TXN_MARKS "{", strlen(TXN_MARKS) + 1) != 0)
		return g;
	/* the id too: a retry repeats it, another record does not (two
	 * keyless records share their marks, and Graph answered the second
	 * create with the first one's event: sync-model seed 11) */
	txn_tag(calendar_path, cal);
	if (id)
		txn_tag(id, rec);
	tagged = xasprintf(TXN_MARKS "%s%s %s", cal, rec, txn + strlen(TXN_MARKS));
	g = json_set_str(g, "transactionId", tagged);
	free(tagged);
	return g;
}

int
graph_txn_made_for(jv rec, const char *id)
{
	const char *txn = json_strpath(rec, GRAPH_KEEP_KEY, "transactionId",
	    NULL);
	char tag[TXN_TAG + 1];

	/* TXN_MARKS, the calendar's tag, the record's tag, a space */
	if (txn == NULL || strncmp(txn, TXN_MARKS, strlen(TXN_MARKS)) != 0 ||
	    strlen(txn) < strlen(TXN_MARKS) + 2 * TXN_TAG)
		return 0;
	txn += strlen(TXN_MARKS);
	txn_tag(id, tag);
	return memcmp(txn + TXN_TAG, tag, TXN_TAG) == 0 && txn[2 * TXN_TAG] == ' ';
}
