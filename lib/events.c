#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "json.h"
#include "digest.h"
#include "util.h"
#include "zone.h"

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Midnight of a date in zone tz, or in the local zone (NULL: as TZ
 * says, through mktime(3), which never changes TZ). A zone that does not
 * exist means UTC, as it did to the C library. */
static long long
midnight(int y, int m, int d, const char *tz)
{
	struct tm tm = {0};
	long long local = zone_days(y, (unsigned)m, (unsigned)d) * 86400, t;

	if (tz)
		return zone_local_to_utc(tz, local, &t) == 0 ? t : local;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

int
time_parse(const char *s, const char *tz, long long *t)
{
	int y, mo, d, h, mi, sec, oh, om, sign;
	const char *p;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (s[10] == '\0') {
		*t = midnight(y, mo, d, tz);
		return 0;
	}
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec) || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	*t = zone_days(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	/* a wall clock time without offset: the zone says which instant */
	if (*p == '\0')
		return tz ? zone_local_to_utc(tz, *t, t) : -1;
	if ((*p != '+' && *p != '-') || digits(p + 1, 2, &oh) || p[3] != ':' ||
	    digits(p + 4, 2, &om) || p[6] != '\0')
		return -1;
	sign = *p == '-' ? -1 : 1;
	*t -= sign * (oh * 3600 + om * 60);
	return 0;
}

int
event_time(jv event, const char *which, const char *caltz, long long *t)
{
	jv when = json_get(event, which);
	const char *dt = json_str(when, "dateTime");
	const char *date = json_str(when, "date");
	const char *tz = json_str(when, "timeZone");
	int rc = -1;

	if (dt)
		rc = time_parse(dt, tz ? tz : caltz, t);
	else if (date)
		rc = time_parse(date, tz ? tz : caltz, t);
	jv_free(when);
	return rc;
}

int
event_in_window(jv event, const char *caltz, long long from, long long to)
{
	long long start, end;
	jv rec;
	int recurring;

	if (event_time(event, "start", caltz, &start) == -1)
		return 0;
	if (event_time(event, "end", caltz, &end) == -1)
		end = start;
	rec = json_get(event, "recurrence");
	recurring = jv_get_kind(rec) == JV_KIND_ARRAY;
	jv_free(rec);
	if (recurring)
		end = LLONG_MAX;
	return end > from && start < to;
}

/* The id of the n bytes of b (the owner, a newline, the key's text). */
static char *
id_for_bytes(struct buf *b)
{
	/* base32hex keeps to Google's event id alphabet (a-v, 0-9) */
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned char md[32];
	unsigned int acc = 0;
	int bits = 0;
	char *id = xmalloc(53), *o = id;
	size_t i;

	sha256(b->data, b->len, md);
	buf_free(b);
	for (i = 0; i < sizeof(md); i++) {
		acc = (acc << 8 | md[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*o++ = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		*o++ = alphabet[(acc << (5 - bits)) & 31];
	*o = '\0';
	return id;
}

int
event_id_okn(const char *id, size_t len)
{
	size_t i;

	if (len < 5 || len > 1024)
		return 0;
	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'v')))
			return 0;
	return 1;
}

int
event_id_ok(const char *id)
{
	return event_id_okn(id, strlen(id));
}

/* The "_20170901T090000Z" or "_20170901" that ends an instance's id (the
 * last '_' and digits, T, Z after it), or NULL. A split series'
 * "_R20170911T120000" is not one. */
static const char *
instance_suffix(const char *id)
{
	const char *us = strrchr(id, '_');

	if (us == NULL || us == id || !isdigit((unsigned char)us[1]) ||
	    us[1 + strspn(us + 1, "0123456789TZ")] != '\0')
		return NULL;
	return us;
}

char *
event_insert_id(const char *owner, const char *id)
{
	const char *sfx;
	char *series, *inst, *out;

	if (event_id_ok(id))
		return xstrdup(id);
	if ((sfx = instance_suffix(id)) == NULL)
		return event_id_for_key(owner, id);
	/* an instance: the derived id of the id its copy has as an instance
	 * of the series' copy, so that both are one identity */
	series = xstrndup(id, (size_t)(sfx - id));
	inst = event_instance_id(owner, series, sfx + 1);
	out = event_id_for_key(owner, inst);
	free(inst);
	free(series);
	return out;
}

char *
event_instance_id(const char *owner, const char *series, const char *suffix)
{
	char *copy = event_insert_id(owner, series), *id;

	id = xasprintf("%s_%s", copy, suffix);
	free(copy);
	return id;
}

const char *
event_copy_instance(jv ev)
{
	const char *id = json_str(ev, "id"), *series = json_str(ev,
	    "recurringEventId"), *sfx;
	size_t n;

	if (id == NULL || series == NULL || (sfx = instance_suffix(id)) == NULL)
		return NULL;
	n = strlen(series);
	return (size_t)(sfx - id) == n && strncmp(id, series, n) == 0 ?
	    sfx + 1 : NULL;
}

const char *
event_owner(jv ev)
{
	const char *o = json_strpath(ev, "extendedProperties", "private",
	    EVENT_OWNER_PROP, NULL);

	return o ? o : EVENT_DEFAULT_OWNER;
}

/* Google's event types guide and the Events reference (eventType):
 * "fromGmail ... This type of event cannot be created"; a birthday event
 * "can have a colorId, summary and reminders. Cannot have any other
 * event properties", and fromGmail events refuse private extended
 * properties too (400), so a link can neither mark nor own them;
 * focusTime, outOfOffice and workingLocation events exist only in a
 * user's primary calendar. */
const char *
event_refusal(jv ev, int insert, int primary)
{
	static const char *const primary_only[] = {"focusTime", "outOfOffice",
	    "workingLocation", NULL};
	static char why[128];
	const char *type = json_str(ev, "eventType");
	jv ep, priv;
	int marked;
	size_t i;

	if (type == NULL)
		return NULL;
	if (insert && strcmp(type, "fromGmail") == 0)
		return "Google does not let a client create an event from "
		    "Gmail (eventType fromGmail)";
	if (strcmp(type, "birthday") == 0 || strcmp(type, "fromGmail") == 0) {
		ep = json_get(ev, "extendedProperties");
		priv = json_get(ep, "private");
		jv_free(ep);
		marked = jv_get_kind(priv) == JV_KIND_OBJECT &&
		    jv_object_length(jv_copy(priv)) > 0;
		jv_free(priv);
		if (marked) {
			snprintf(why, sizeof(why), "Google takes no private "
			    "extended properties (the owner mark) on %s events",
			    type);
			return why;
		}
	}
	for (i = 0; !primary && primary_only[i]; i++)
		if (strcmp(type, primary_only[i]) == 0) {
			snprintf(why, sizeof(why), "%s events exist only in a "
			    "primary calendar", type);
			return why;
		}
	return NULL;
}

char *
event_id_for_key(const char *owner, const char *key)
{
	struct buf b = {0};

	buf_adds(&b, owner);
	buf_addc(&b, '\n');
	buf_adds(&b, key);
	return id_for_bytes(&b);
}

char *
event_id_for_json(const char *owner, jv key)
{
	struct buf b = {0};

	if (jv_get_kind(key) == JV_KIND_STRING)
		return event_id_for_key(owner, jv_string_value(key));
	/* A NUL, which no string key has, keeps these apart from them:
	 * 1 and "1" are two keys. */
	buf_adds(&b, owner);
	buf_addc(&b, '\n');
	buf_addc(&b, '\0');
	json_dump_buf(&b, jv_copy(key));
	return id_for_bytes(&b);
}

/* The fields that count, with the value Google fills in when one is not
 * given ("" for free text). */
static const struct {
	const char *name;
	const char *def;
} string_fields[] = {
	{"summary", ""}, {"description", ""}, {"location", ""}, {"colorId", ""},
	{"status", "confirmed"}, {"transparency", "opaque"},
	{"visibility", "default"},
};

static const struct {
	const char *name;
	int def;
} bool_fields[] = {
	{"guestsCanModify", 0}, {"guestsCanInviteOthers", 1},
	{"guestsCanSeeOtherGuests", 1}, {"anyoneCanAddSelf", 0},
};

/* Every field that counts, in the order of the list in gcal-records(5). */
static const char *const compared_fields[] = {
	"summary", "description", "location", "start", "end", "recurrence",
	"attendees", "transparency", "visibility", "colorId", "status",
	"reminders", "extendedProperties", "guestsCanModify",
	"guestsCanInviteOthers", "guestsCanSeeOtherGuests", "anyoneCanAddSelf",
	"source",
};

/* The Event resource's properties a client may write, taken from
 * Google's discovery document (those not marked read-only; see
 * tests/helpers/event-fields). Anything else in a record (a local
 * system's own fields, gcal_calendar, etag, updated, creator...) stays at
 * home. */
#include "event_fields.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
is_bool(jv v)
{
	return jv_get_kind(v) == JV_KIND_TRUE || jv_get_kind(v) == JV_KIND_FALSE;
}

/* start or end: the instant, or the date of an all-day event. A wall
 * clock dateTime without offset is the instant its timeZone gives it
 * (Google: "A time zone offset is required unless a time zone is
 * explicitly specified in timeZone"), and Google answers with the offset
 * of that instant: both compare as the same instant. deftz stands in
 * for an end's missing timeZone: the start's. The zone only counts for
 * a recurring event: it drives the expansion. */
static jv
norm_time(jv when, int recurring, const char *deftz)
{
	const char *dt = json_str(when, "dateTime");
	const char *date = json_str(when, "date");
	const char *tz = json_str(when, "timeZone");
	jv out = jv_object();
	long long t;

	if (tz == NULL)
		tz = deftz;
	if (dt && time_parse(dt, tz, &t) == 0) {
		out = jv_object_set(out, jv_string("instant"), jv_number((double)t));
		if (recurring && tz)
			out = json_set_str(out, "timeZone", tz);
	} else if (dt) {
		/* no zone known by that name: compare the text */
		out = json_set_str(out, "dateTime", dt);
		if (tz)
			out = json_set_str(out, "timeZone", tz);
	} else if (date) {
		out = json_set_str(out, "date", date);
	} else {
		jv_free(out);
		return when;
	}
	jv_free(when);
	return out;
}

static jv
sorted_set(jv a)
{
	jv out = jv_array(), prev = jv_null(), x;
	int i, n;

	a = jv_sort(a, jv_copy(a));
	n = jv_array_length(jv_copy(a));
	for (i = 0; i < n; i++) {
		x = jv_array_get(jv_copy(a), i);
		if (i > 0 && jv_equal(jv_copy(prev), jv_copy(x))) {
			jv_free(x);
			continue;
		}
		jv_free(prev);
		prev = jv_copy(x);
		out = jv_array_append(out, x);
	}
	jv_free(prev);
	jv_free(a);
	return out;
}

static char *
lower(const char *s)
{
	char *l = xstrdup(s ? s : ""), *p;

	for (p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

static jv
norm_attendees(jv list)
{
	jv set = jv_array();
	char *email;

	jv_array_foreach(list, i, a) {
		jv opt = json_get(a, "optional");

		email = lower(json_str(a, "email"));
		set = jv_array_append(set, jv_string_fmt("%s%s", email,
		    jv_get_kind(opt) == JV_KIND_TRUE ? " optional" : ""));
		free(email);
		jv_free(opt);
		jv_free(a);
	}
	jv_free(list);
	return sorted_set(set);
}

static jv
norm_reminders(jv r)
{
	jv use = json_get(r, "useDefault"), ov = json_get(r, "overrides");
	jv set = jv_array(), out;
	int use_default;

	if (jv_get_kind(ov) == JV_KIND_ARRAY) {
		jv_array_foreach(ov, i, o) {
			jv one = jv_object();

			one = jv_object_set(one, jv_string("method"), json_get(o, "method"));
			one = jv_object_set(one, jv_string("minutes"), json_get(o, "minutes"));
			set = jv_array_append(set, one);
			jv_free(o);
		}
	}
	jv_free(ov);
	set = sorted_set(set);
	use_default = jv_get_kind(use) == JV_KIND_TRUE ||
	    (jv_get_kind(use) == JV_KIND_NULL && jv_array_length(jv_copy(set)) == 0);
	jv_free(use);
	jv_free(r);
	if (use_default && jv_array_length(jv_copy(set)) == 0) {
		jv_free(set);
		return jv_null();
	}
	out = jv_object_set(jv_object(), jv_string("useDefault"),
	    jv_bool(use_default));
	if (jv_array_length(jv_copy(set)) > 0)
		return jv_object_set(out, jv_string("overrides"), set);
	jv_free(set);
	return out;
}

static int
is_empty_object(jv v)
{
	return jv_get_kind(v) == JV_KIND_OBJECT &&
	    jv_object_length(jv_copy(v)) == 0;
}

/* private and shared as objects, the owner mark left out (it is
 * bookkeeping, not content); an empty object is no object. */
static jv
norm_props(jv ep)
{
	jv out = jv_object(), v;
	const char *const which[] = {"private", "shared"};
	size_t i;

	for (i = 0; i < NELEM(which); i++) {
		v = json_get(ep, which[i]);
		if (i == 0 && jv_get_kind(v) == JV_KIND_OBJECT) {
			v = jv_object_delete(v, jv_string(EVENT_OWNER_PROP));
			v = jv_object_delete(v, jv_string(EVENT_KEY_PROP));
			v = jv_object_delete(v, jv_string(EVENT_KEY_JSON_PROP));
		}
		if (jv_get_kind(v) == JV_KIND_NULL || is_empty_object(v))
			jv_free(v);
		else
			out = jv_object_set(out, jv_string(which[i]), v);
	}
	jv_free(ep);
	if (jv_object_length(jv_copy(out)) == 0) {
		jv_free(out);
		return jv_null();
	}
	return out;
}

static jv
set_unless_null(jv obj, const char *key, jv v)
{
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return obj;
	}
	return jv_object_set(obj, jv_string(key), v);
}

jv
event_normalize(jv ev)
{
	jv out = jv_object(), v, rec;
	const char *s;
	size_t i;
	int recurring;

	for (i = 0; i < NELEM(string_fields); i++) {
		v = json_get(ev, string_fields[i].name);
		s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
		if (s && (*s == '\0' || strcmp(s, string_fields[i].def) == 0))
			jv_free(v);
		else
			out = set_unless_null(out, string_fields[i].name, v);
	}
	for (i = 0; i < NELEM(bool_fields); i++) {
		v = json_get(ev, bool_fields[i].name);
		if (is_bool(v) &&
		    (jv_get_kind(v) == JV_KIND_TRUE) == bool_fields[i].def)
			jv_free(v);
		else
			out = set_unless_null(out, bool_fields[i].name, v);
	}
	rec = json_get(ev, "recurrence");
	recurring = jv_get_kind(rec) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(rec)) > 0;
	if (recurring)
		out = jv_object_set(out, jv_string("recurrence"), rec);
	else
		jv_free(rec);
	out = set_unless_null(out, "start",
	    norm_time(json_get(ev, "start"), recurring, NULL));
	out = set_unless_null(out, "end", norm_time(json_get(ev, "end"),
	    recurring, json_strpath(ev, "start", "timeZone", NULL)));
	v = json_get(ev, "attendees");
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		v = norm_attendees(v);
		if (jv_array_length(jv_copy(v)) == 0) {
			jv_free(v);
			v = jv_null();
		}
	}
	out = set_unless_null(out, "attendees", v);
	v = json_get(ev, "reminders");
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		v = norm_reminders(v);
	out = set_unless_null(out, "reminders", v);
	v = json_get(ev, "extendedProperties");
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		v = norm_props(v);
	out = set_unless_null(out, "extendedProperties", v);
	out = set_unless_null(out, "source", json_get(ev, "source"));
	jv_free(ev);
	return out;
}

int
event_cancelled(jv ev)
{
	const char *st = json_str(ev, "status");

	return st && strcmp(st, "cancelled") == 0;
}

int
event_same(jv a, jv b)
{
	return jv_equal(event_normalize(jv_copy(a)),
	    event_normalize(jv_copy(b)));
}

int
event_owned(jv ev, const char *owner)
{
	const char *o = json_strpath(ev, "extendedProperties", "private",
	    EVENT_OWNER_PROP, NULL);

	return o && strcmp(o, owner) == 0;
}

const char *
event_mark_key(jv ev)
{
	return json_strpath(ev, "extendedProperties", "private", EVENT_KEY_PROP,
	    NULL);
}

/* v without the field at path ("a.b.c"; through objects, and through
 * each object of an array); consumes v. */
static jv
drop_path(jv v, const char *path)
{
	const char *dot = strchr(path, '.');
	jv key, sub;
	int i, n;

	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++)
			v = jv_array_set(v, i, drop_path(jv_array_get(jv_copy(v), i),
			    path));
		return v;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return v;
	key = dot ? jv_string_sized(path, (int)(dot - path)) : jv_string(path);
	if (dot == NULL)
		return jv_object_delete(v, key);
	sub = jv_object_get(jv_copy(v), jv_copy(key));
	if (!jv_is_valid(sub)) {
		jv_free(sub);
		jv_free(key);
		return v;
	}
	return jv_object_set(v, key, drop_path(sub, dot + 1));
}

jv
event_writable(jv ev)
{
	jv out = jv_object(), v;
	size_t i;

	for (i = 0; i < NELEM(writable_fields); i++) {
		v = jv_object_get(jv_copy(ev), jv_string(writable_fields[i]));
		if (jv_is_valid(v))
			out = jv_object_set(out, jv_string(writable_fields[i]), v);
		else
			jv_free(v);
	}
	for (i = 0; i < NELEM(readonly_paths); i++)
		out = drop_path(out, readonly_paths[i]);
	jv_free(ev);
	return out;
}

/* ev with private extended property NAME set to VALUE, the objects on
 * the way made when missing: the one way a mark is written. */
static jv
set_private_prop(jv ev, const char *name, const char *value)
{
	jv ep = json_get(ev, "extendedProperties"), priv;

	if (jv_get_kind(ep) != JV_KIND_OBJECT) {
		jv_free(ep);
		ep = jv_object();
	}
	priv = json_get(ep, "private");
	if (jv_get_kind(priv) != JV_KIND_OBJECT) {
		jv_free(priv);
		priv = jv_object();
	}
	priv = json_set_str(priv, name, value);
	ep = jv_object_set(ep, jv_string("private"), priv);
	return jv_object_set(ev, jv_string("extendedProperties"), ep);
}

jv
event_mark(jv ev, const char *owner, const char *key)
{
	ev = set_private_prop(ev, EVENT_OWNER_PROP, owner);
	return key ? set_private_prop(ev, EVENT_KEY_PROP, key) : ev;
}

jv
event_mark_json(jv ev, const char *keyjson)
{
	return set_private_prop(ev, EVENT_KEY_JSON_PROP, keyjson);
}

/* local's attendees, each starting from what remote has for the same
 * address (responseStatus, displayName, ...). */
static jv
merge_attendees(jv local, jv remote)
{
	jv out = jv_array();
	char *le, *re;

	jv_array_foreach(local, i, a) {
		jv base = jv_null();

		le = lower(json_str(a, "email"));
		if (jv_get_kind(remote) == JV_KIND_ARRAY && *le) {
			jv_array_foreach(remote, k, r) {
				re = lower(json_str(r, "email"));
				if (jv_get_kind(base) == JV_KIND_NULL &&
				    strcmp(le, re) == 0 && jv_get_kind(r) == JV_KIND_OBJECT) {
					jv_free(base);
					base = jv_copy(r);
				}
				free(re);
				jv_free(r);
			}
		}
		free(le);
		if (jv_get_kind(base) == JV_KIND_OBJECT && jv_get_kind(a) == JV_KIND_OBJECT) {
			jv_object_foreach(a, key, val)
				base = jv_object_set(base, key, val);
			jv_free(a);
			out = jv_array_append(out, base);
		} else {
			jv_free(base);
			out = jv_array_append(out, a);
		}
	}
	jv_free(local);
	jv_free(remote);
	return out;
}

jv
event_apply(jv remote, jv local)
{
	const char *f, *o, *k;
	char *owner = NULL, *key = NULL, *keyjson = NULL;
	jv v;
	size_t i;

	/* the mark stays, whatever the local side says */
	if ((o = json_strpath(remote, "extendedProperties", "private",
	    EVENT_OWNER_PROP, NULL)) != NULL)
		owner = xstrdup(o);
	if ((k = event_mark_key(remote)) != NULL)
		key = xstrdup(k);
	if ((k = json_strpath(remote, "extendedProperties", "private",
	    EVENT_KEY_JSON_PROP, NULL)) != NULL)
		keyjson = xstrdup(k);
	for (i = 0; i < NELEM(compared_fields); i++) {
		f = compared_fields[i];
		v = json_get(local, f);
		if (jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(v);
			remote = jv_object_delete(remote, jv_string(f));
			continue;
		}
		if (strcmp(f, "attendees") == 0 && jv_get_kind(v) == JV_KIND_ARRAY)
			v = merge_attendees(v, json_get(remote, f));
		remote = jv_object_set(remote, jv_string(f), v);
	}
	if (owner)
		remote = event_mark(remote, owner, key);
	if (owner && keyjson)
		remote = event_mark_json(remote, keyjson);
	free(owner);
	free(key);
	free(keyjson);
	return remote;
}

/* A field that is there (and not null) but of another kind than want. */
static int
wrong_kind(jv ev, const char *key, jv_kind want)
{
	jv v = json_get(ev, key);
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	return k != JV_KIND_NULL && k != want;
}

const char *
event_check(jv ev)
{
	static const char *const strings[] = {"id", "status", "summary",
	    "description", "location", "etag", "recurringEventId", "iCalUID",
	    "transparency", "visibility", NULL};
	static const char *const times[] = {"start", "end", "originalStartTime",
	    NULL};
	static const char *const objects[] = {"extendedProperties", "reminders",
	    NULL};
	static const char *const arrays[] = {"attendees", "recurrence", NULL};
	static char why[80];
	size_t i;
	jv t;
	int bad;

	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return "expected an object";
	for (i = 0; strings[i]; i++)
		if (wrong_kind(ev, strings[i], JV_KIND_STRING)) {
			snprintf(why, sizeof(why), "\"%s\" is not a string", strings[i]);
			return why;
		}
	for (i = 0; objects[i]; i++)
		if (wrong_kind(ev, objects[i], JV_KIND_OBJECT)) {
			snprintf(why, sizeof(why), "\"%s\" is not an object", objects[i]);
			return why;
		}
	for (i = 0; arrays[i]; i++)
		if (wrong_kind(ev, arrays[i], JV_KIND_ARRAY)) {
			snprintf(why, sizeof(why), "\"%s\" is not an array", arrays[i]);
			return why;
		}
	for (i = 0; times[i]; i++) {
		if (wrong_kind(ev, times[i], JV_KIND_OBJECT)) {
			snprintf(why, sizeof(why), "\"%s\" is not an object", times[i]);
			return why;
		}
		t = json_get(ev, times[i]);
		bad = jv_get_kind(t) == JV_KIND_OBJECT &&
		    (wrong_kind(t, "dateTime", JV_KIND_STRING) ||
		    wrong_kind(t, "date", JV_KIND_STRING) ||
		    wrong_kind(t, "timeZone", JV_KIND_STRING));
		jv_free(t);
		if (bad) {
			snprintf(why, sizeof(why), "\"%s\" has a time that is not "
			    "a string", times[i]);
			return why;
		}
	}
	return NULL;
}
