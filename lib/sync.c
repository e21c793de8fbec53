/* sync: the identities of a two-way sync (see sync.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "events.h"
#include "json.h"
#include "lines.h"
#include "sync.h"
#include "util.h"

struct sync_ent *
sync_ent(struct sync *sy, const char *id, int create)
{
	size_t i, k;
	struct sync_ent *e, **old;

	if (sy->cap == 0 || (create && 2 * (sy->n + 1) > sy->cap)) {
		old = sy->tab;
		k = sy->cap;
		sy->cap = sy->cap ? 2 * sy->cap : 1024;
		sy->tab = xcalloc(sy->cap, sizeof(*sy->tab));
		for (i = 0; i < k; i++)
			if (old[i]) {
				size_t j = lines_hash(old[i]->id, strlen(old[i]->id)) &
				    (sy->cap - 1);
				while (sy->tab[j])
					j = (j + 1) & (sy->cap - 1);
				sy->tab[j] = old[i];
			}
		free(old);
	}
	for (i = lines_hash(id, strlen(id)) & (sy->cap - 1); sy->tab[i];
	    i = (i + 1) & (sy->cap - 1))
		if (strcmp(sy->tab[i]->id, id) == 0)
			return sy->tab[i];
	if (!create)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->id = xstrdup(id);
	e->key = jv_invalid();
	e->attendees = jv_invalid();
	e->want = jv_invalid();
	sy->tab[i] = e;
	sy->v = xreallocarray(sy->v, sy->n + 1, sizeof(*sy->v));
	sy->v[sy->n++] = e;
	return e;
}

void
sync_free(struct sync *sy)
{
	size_t i;

	for (i = 0; i < sy->n; i++) {
		struct sync_ent *e = sy->v[i];

		free(e->id);
		free(e->local);
		free(e->remote);
		free(e->base);
		free(e->newbase);
		free(e->local_id);
		jv_free(e->key);
		jv_free(e->attendees);
		jv_free(e->want);
		free(e);
	}
	free(sy->v);
	free(sy->tab);
	free(sy->dir);
	free(sy->run_dir);
	free(sy->self_dir);
}

int
sync_is_instance(jv ev)
{
	return json_str(ev, "recurringEventId") != NULL;
}

/* An event as the sync compares it: without guests under omit, a
 * cancelled instance as just that. Consumes ev. */
jv
sync_view(const struct sync *sy, jv ev)
{
	static const char *const keep[] = {"id", "recurringEventId",
	    "originalStartTime", "extendedProperties", "etag"};
	size_t i;
	jv out, v;

	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return ev;
	if (sy->omit_attendees)
		ev = jv_object_delete(ev, jv_string("attendees"));
	if (event_cancelled(ev) && sync_is_instance(ev)) {
		out = json_set_str(jv_object(), "status", SYNC_CANCELLED_INSTANCE);
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			v = json_get(ev, keep[i]);
			if (jv_get_kind(v) != JV_KIND_NULL)
				out = jv_object_set(out, jv_string(keep[i]), v);
			else
				jv_free(v);
		}
		jv_free(ev);
		return out;
	}
	return ev;
}

/* An event as it leaves: Google's status again. Consumes ev. */
jv
sync_unview(jv ev)
{
	const char *st = json_str(ev, "status");

	if (st && strcmp(st, SYNC_CANCELLED_INSTANCE) == 0)
		ev = json_set_str(ev, "status", "cancelled");
	return ev;
}

/* A record as it leaves: every event in it as Google has them. */
jv
sync_unview_record(jv rec)
{
	static const char *const fields[] = {"event", "local", "remote", "base"};
	size_t i;
	jv v;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		v = json_get(rec, fields[i]);
		if (jv_get_kind(v) == JV_KIND_OBJECT)
			rec = jv_object_set(rec, jv_string(fields[i]), sync_unview(v));
		else
			jv_free(v);
	}
	return rec;
}

int
sync_same_text(const char *a, const char *b)
{
	jv x, y;
	int r;

	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a, b) == 0)
		return 1;
	x = json_parse(a, strlen(a));
	y = json_parse(b, strlen(b));
	r = jv_is_valid(x) && jv_is_valid(y) && event_same(x, y);
	jv_free(x);
	jv_free(y);
	return r;
}

jv
sync_mark_key(jv ev)
{
	const char *k = json_strpath(ev, "extendedProperties", "private",
	    EVENT_KEY_JSON_PROP, NULL);
	jv v;

	if (k && jv_is_valid(v = json_parse(k, strlen(k))))
		return v;
	if (k)
		jv_free(v);
	if ((k = event_mark_key(ev)) != NULL)
		return jv_string(k);
	return jv_invalid();
}

static jv
ent_key(struct sync_ent *e)
{
	const char *src[] = {e->base, e->remote};
	size_t i;
	jv ev, k;

	if (jv_is_valid(e->key))
		return jv_copy(e->key);
	for (i = 0; i < 2; i++) {
		if (src[i] == NULL)
			continue;
		ev = json_parse(src[i], strlen(src[i]));
		k = sync_mark_key(ev);
		jv_free(ev);
		if (jv_is_valid(k))
			return k;
	}
	return jv_invalid();
}

/* rec with the identity's key, when it has one; consumes rec. */
jv
sync_with_key(jv rec, struct sync_ent *e)
{
	jv key = ent_key(e);

	if (jv_is_valid(key))
		return jv_object_set(rec, jv_string("key"), key);
	jv_free(key);
	return rec;
}
