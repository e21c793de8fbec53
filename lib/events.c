#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "json.h"
#include "digest.h"
#include "util.h"

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

/* The Event resource's properties a client may write, taken from
 * Google's discovery document (those not marked read-only; see
 * tests/helpers/event-fields). Anything else in a record (a local
 * system's own fields, gcal_calendar, etag, updated, creator...) stays at
 * home. */
#include "event_fields.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
event_cancelled(jv ev)
{
	const char *st = json_str(ev, "status");

	return st && strcmp(st, "cancelled") == 0;
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
