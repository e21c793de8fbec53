#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "event_norm.h"
#include "event_time.h"
#include "events.h"
#include "json.h"
#include "util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

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

/* Two digits of a date (borrowed), as a number without its zero. */
static const char *
date_part(const char *p, char out[3])
{
	out[0] = p[0] == '0' ? p[1] : p[0];
	out[1] = p[0] == '0' ? '\0' : p[1];
	out[2] = '\0';
	return out;
}

/* One RRULE line in a form where rules that expand alike compare alike
 * (RFC 5545 3.3.10): its parts sorted, BYDAY's days too, the defaults
 * INTERVAL=1 and WKST=MO dropped, and what the start implies said
 * (a WEEKLY rule's BYDAY, a MONTHLY's BYMONTHDAY, a YEARLY's BYMONTH and
 * BYMONTHDAY): Outlook's patterns always say them, so a series written
 * as "FREQ=WEEKLY" comes back as "FREQ=WEEKLY;BYDAY=TU". day: the
 * start's local date (YYYY-MM-DD), or NULL. Consumes line. */
static jv
norm_rrule(jv line, const char *day)
{
	static const char *const wd[] = {"SU", "MO", "TU", "WE", "TH", "FR",
	    "SA"};
	const char *s = jv_string_value(line), *freq, *p, *eq;
	jv parts, map = jv_object(), v, keys;
	struct buf b = {0};
	long long t;
	int i, n;
	char two[3], *k;

	if (strncmp(s, "RRULE:", 6) != 0)
		return line;
	parts = jv_string_split(jv_string(s + 6), jv_string(";"));
	n = jv_array_length(jv_copy(parts));
	for (i = 0; i < n; i++) {
		v = jv_array_get(jv_copy(parts), i);
		p = jv_string_value(v);
		if ((eq = strchr(p, '=')) != NULL && eq > p) {
			k = xstrndup(p, (size_t)(eq - p));
			map = json_set_str(map, k, eq + 1);
			free(k);
		}
		jv_free(v);
	}
	jv_free(parts);
	if ((s = json_str(map, "INTERVAL")) && strcmp(s, "1") == 0)
		map = jv_object_delete(map, jv_string("INTERVAL"));
	if ((s = json_str(map, "WKST")) && strcmp(s, "MO") == 0)
		map = jv_object_delete(map, jv_string("WKST"));
	freq = json_str(map, "FREQ");
	if (freq && day && strlen(day) >= 10 && time_parse(day, "UTC", &t) == 0) {
		if (strcmp(freq, "WEEKLY") == 0 && !json_str(map, "BYDAY"))
			/* 1970-01-01 was a Thursday */
			map = json_set_str(map, "BYDAY", wd[(t / 86400 % 7 + 11) % 7]);
		if (strcmp(freq, "YEARLY") == 0 && !json_str(map, "BYMONTH"))
			map = json_set_str(map, "BYMONTH", date_part(day + 5, two));
		if ((strcmp(freq, "MONTHLY") == 0 || strcmp(freq, "YEARLY") == 0) &&
		    !json_str(map, "BYDAY") && !json_str(map, "BYMONTHDAY"))
			map = json_set_str(map, "BYMONTHDAY", date_part(day + 8, two));
	}
	if ((s = json_str(map, "BYDAY")) != NULL) {
		v = jv_string_split(jv_string(s), jv_string(","));
		v = jv_sort(v, jv_copy(v));
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++) {
			parts = jv_array_get(jv_copy(v), i);
			buf_printf(&b, "%s%s", i ? "," : "", jv_string_value(parts));
			jv_free(parts);
		}
		jv_free(v);
		k = buf_take(&b);
		map = json_set_str(map, "BYDAY", k);
		free(k);
	}
	keys = jv_keys(jv_copy(map));
	buf_adds(&b, "RRULE:");
	n = jv_array_length(jv_copy(keys));
	for (i = 0; i < n; i++) {
		v = jv_array_get(jv_copy(keys), i);
		buf_printf(&b, "%s%s=%s", i ? ";" : "", jv_string_value(v),
		    json_str(map, jv_string_value(v)));
		jv_free(v);
	}
	jv_free(keys);
	jv_free(map);
	jv_free(line);
	k = buf_take(&b);
	v = jv_string(k);
	free(k);
	return v;
}

/* A recurrence's lines, each RRULE as norm_rrule says; the start's
 * local date taken from ev (borrowed). Consumes rec. */
static jv
norm_recurrence(jv rec, jv ev)
{
	const char *day = json_strpath(ev, "start", "date", NULL);
	jv out = jv_array(), v;
	int i, n = jv_array_length(jv_copy(rec));

	if (day == NULL)
		day = json_strpath(ev, "start", "dateTime", NULL);
	for (i = 0; i < n; i++) {
		v = jv_array_get(jv_copy(rec), i);
		out = jv_array_append(out, jv_get_kind(v) == JV_KIND_STRING ?
		    norm_rrule(v, day) : v);
	}
	jv_free(rec);
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
		out = jv_object_set(out, jv_string("recurrence"),
		    norm_recurrence(rec, ev));
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
event_same(jv a, jv b)
{
	return jv_equal(event_normalize(jv_copy(a)),
	    event_normalize(jv_copy(b)));
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

