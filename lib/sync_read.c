/* sync_read: the two sides of a sync taken in (see sync_read.h). */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "events.h"
#include "json.h"
#include "lines.h"
#include "sync.h"
#include "sync_read.h"
#include "util.h"

/* Google's limit on a private extended property's value (Calendar API,
 * "Extended properties"): the key's JSON text is kept in one. */
#define KEY_MAX 1024

/* The identity of a local record: its "id", else the one of its key. */
static int
local_identity(struct sync *sy, jv *rec, const char *name, size_t line,
    char **id, jv *keyout)
{
	const char *s = json_str(*rec, "id");
	jv key = jv_invalid(), out;
	char *text, *why;
	int rc;

	if (sy->keyprog) {
		jqprog_start(sy->keyprog, jv_copy(*rec));
		rc = jqprog_next(sy->keyprog, &out);
		if (rc == -1) {
			why = json_error_text(out);
			warnx("'%s' line %zu: --key '%s' failed: %s", name, line,
			    sy->keytext, why);
			free(why);
			return EX_DATAERR;
		}
		if (rc == 1 && jv_get_kind(out) != JV_KIND_NULL)
			key = out;
		else if (rc == 1)
			jv_free(out);
	}
	*keyout = jv_invalid();
	if (s && *s) {
		*id = xstrdup(s);
	} else if (!jv_is_valid(key)) {
		warnx("'%s' line %zu: no \"id\", and %s", name, line, sy->keyprog ?
		    "its key is missing or null" : "no --key to derive one from");
		return EX_DATAERR;
	} else {
		if (jv_get_kind(key) == JV_KIND_STRING &&
		    strlen(jv_string_value(key)) !=
		    (size_t)jv_string_length_bytes(jv_copy(key))) {
			jv_free(key);
			warnx("'%s' line %zu: the key holds a NUL character", name,
			    line);
			return EX_DATAERR;
		}
		*id = event_id_for_json(sy->owner, key);
	}
	if (jv_is_valid(key)) {
		text = json_dump(jv_copy(key));
		if (strlen(text) > KEY_MAX) {
			warnx("'%s' line %zu: a key of more than %d bytes of JSON",
			    name, line, KEY_MAX);
			free(text);
			free(*id);
			jv_free(key);
			return EX_DATAERR;
		}
		/* an event made from the key carries it, so that Google's
		 * copy names it (an event with an id keeps its marks) */
		if (!(s && *s)) {
			if (jv_get_kind(key) == JV_KIND_STRING)
				*rec = event_mark(*rec, sy->owner, jv_string_value(key));
			else
				*rec = event_mark(*rec, sy->owner, NULL);
			*rec = event_mark_json(*rec, text);
		}
		free(text);
	}
	*rec = json_set_str(*rec, "id", *id);
	*keyout = key;
	return 0;
}

/* An instance of a series the side no longer has is gone with it
 * (Google lists such exceptions as cancelled when a series goes; a local
 * side may keep them). */
static void
drop_orphans(struct sync *sy, int which)
{
	struct sync_ent *e, *m;
	char **slot;
	size_t i;
	jv ev;

	for (i = 0; i < sy->n; i++) {
		e = sy->v[i];
		slot = which == SYNC_LOCAL ? &e->local : &e->remote;
		if (*slot == NULL || strstr(*slot, "\"recurringEventId\"") == NULL)
			continue;
		ev = json_parse(*slot, strlen(*slot));
		m = json_str(ev, "recurringEventId") ?
		    sync_ent(sy, json_str(ev, "recurringEventId"), 0) : NULL;
		if (json_str(ev, "recurringEventId") && (m == NULL ||
		    (which == SYNC_LOCAL ? m->local : m->remote) == NULL)) {
			free(*slot);
			*slot = NULL;
			e->orphan |= 1 << which;
		}
		jv_free(ev);
	}
}

int
sync_read_local(struct sync *sy, const char *path, const char *name)
{
	struct ndjson_reader *r = ndjson_open(path);
	struct sync_ent *e;
	const char *why;
	char *id;
	int got, rc, had_id;
	struct stat st;
	jv rec, key;

	if (r == NULL) {
		warn("'%s'", name);
		return EX_NOINPUT;
	}
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		warnx("'%s': a directory, not a file of records", name);
		ndjson_close(r);
		return EX_NOINPUT;
	}
	while ((got = ndjson_read(r, &rec)) == 1) {
		size_t line = ndjson_lineno(r);

		if ((why = event_check(rec)) != NULL) {
			warnx("'%s' line %zu: %s", name, line, why);
			jv_free(rec);
			ndjson_close(r);
			return EX_DATAERR;
		}
		had_id = json_str(rec, "id") && *json_str(rec, "id");
		if ((rc = local_identity(sy, &rec, name, line, &id, &key)) != 0) {
			jv_free(rec);
			ndjson_close(r);
			return rc;
		}
		e = sync_ent(sy, id, 1);
		if (e->local) {
			jv_free(key);
			warnx("'%s' line %zu: the same %s as line %zu", name, line,
			    jv_get_kind(e->key) != JV_KIND_INVALID ? "key" : "id",
			    e->lline);
			free(id);
			jv_free(rec);
			ndjson_close(r);
			return EX_DATAERR;
		}
		free(id);
		e->key = key;
		e->own_id = had_id;
		e->lline = line;
		/* a record with its own id is compared as it came, unless
		 * the sync's view of it differs */
		if (had_id && !sy->omit_attendees && !(event_cancelled(rec) &&
		    sync_is_instance(rec))) {
			size_t len;
			const char *raw = ndjson_line(r, &len);

			e->local = xstrndup(raw, len);
			jv_free(rec);
		} else
			e->local = json_dump(sync_view(sy, rec));
	}
	if (got == -1) {
		/* a cut-off export ends in a bad line: nothing is taken */
		warnx("%s", ndjson_error(r));
		ndjson_close(r);
		return EX_DATAERR;
	}
	ndjson_close(r);
	return 0;
}

/* The text of the key an identity's calendar or base event is marked
 * with, or NULL; the caller's. Instances carry their series' marks, and
 * so are left out. */
static char *
marked_key(const struct sync_ent *e, const char *owner)
{
	const char *text = e->remote ? e->remote : e->base;
	char *out = NULL;
	jv ev, k;

	if (text == NULL || e->local || strstr(text, EVENT_OWNER_PROP) == NULL)
		return NULL;
	ev = json_parse(text, strlen(text));
	if (!sync_is_instance(ev) && event_owned(ev, owner) &&
	    jv_is_valid(k = sync_mark_key(ev)))
		out = json_dump(k);
	jv_free(ev);
	return out;
}

/* The local record of from is to's, compared under to's id. */
static void
move_local(struct sync_ent *from, struct sync_ent *to)
{
	jv rec = json_parse(from->local, strlen(from->local));

	free(from->local);
	from->local = NULL;
	to->local = json_dump(json_set_str(rec, "id", to->id));
	to->lline = from->lline;
	to->own_id = from->own_id;
	to->key = from->key;
	from->key = jv_invalid();
}

/* A local record under the id the base says the local side holds an
 * event by (Graph made it anew under another: keep_local_id in
 * sync_apply.c) is that event's, compared under its id; once the local
 * side names the event by its own id, or holds no record of the old
 * one, the old id is forgotten. */
static void
match_local_ids(struct sync *sy)
{
	struct sync_ent *e, *x;
	size_t i;

	for (i = 0; i < sy->n; i++) {
		e = sy->v[i];
		if (e->local_id == NULL)
			continue;
		x = sync_ent(sy, e->local_id, 0);
		if (e->local || x == NULL || x->local == NULL || x->remote ||
		    x->base) {
			free(e->local_id);
			e->local_id = NULL;
			continue;
		}
		move_local(x, e);
	}
}

void
sync_match_keys(struct sync *sy)
{
	struct sync_ent *e, *m;
	jv byid = jv_object(), v;
	size_t i, n = sy->n;
	char *k;

	for (i = 0; i < n; i++)
		if ((k = marked_key(sy->v[i], sy->owner)) != NULL) {
			byid = jv_object_set(byid, jv_string(k),
			    jv_string(sy->v[i]->id));
			free(k);
		}
	/* a record with an id of its own that names nothing the calendar
	 * or the base has is matched by its key too: the id is one the
	 * calendar gave an earlier event of the key, which it made anew
	 * under another (Graph chooses the id of what it creates: an event
	 * restored after an Outlook delete; seed 33, every run making the
	 * event of key "4" again) */
	for (i = 0; i < n && jv_object_length(jv_copy(byid)) > 0; i++) {
		e = sy->v[i];
		if (e->local == NULL || e->remote || e->base ||
		    !jv_is_valid(e->key))
			continue;
		k = json_dump(jv_copy(e->key));
		v = json_get(byid, k);
		free(k);
		if (jv_get_kind(v) == JV_KIND_STRING &&
		    (m = sync_ent(sy, jv_string_value(v), 0)) != NULL &&
		    m->local == NULL)
			move_local(e, m);
		jv_free(v);
	}
	jv_free(byid);
	match_local_ids(sy);
	/* only now is a local series known by the id its instances name */
	drop_orphans(sy, SYNC_LOCAL);
}

/* An instance of a series that takes part in the sync (its master is in
 * the base) takes part with it, whoever made the exception; and so does
 * an event the local side holds by its Google id (it came from Google,
 * though the run that brought it may not have lived to say so): they
 * are written as the link's (a user's events carry no mark). */
void
sync_adopt_instances(struct sync *sy)
{
	struct sync_ent *e, *m;
	size_t i;
	const char *rid;
	jv ev;

	for (i = 0; i < sy->n; i++) {
		e = sy->v[i];
		if (e->remote == NULL || (strstr(e->remote, "\"recurringEventId\"") ==
		    NULL && !(e->local && e->own_id && e->base == NULL)))
			continue;
		ev = json_parse(e->remote, strlen(e->remote));
		rid = json_str(ev, "recurringEventId");
		m = rid ? sync_ent(sy, rid, 0) : NULL;
		if (((m && m->base) || (e->local && e->own_id)) &&
		    !event_owned(ev, sy->owner)) {
			free(e->remote);
			e->remote = json_dump(event_mark(ev, sy->owner, NULL));
		} else
			jv_free(ev);
	}
}

/* Read what gcal-pull printed: events of other owners are not ours to
 * compare, deleted ones are no events. */
/* Whether the line of an event can be taken as it is: its id and status
 * found in the bytes, not deleted, and no owner mark but ours (a mark is
 * a key "gcalOwner", which in JSON text is only ever a key). Else it is
 * parsed. Most lines of a calendar are taken so (make bench). */
static int
plain_line(struct sync *sy, const char *p, size_t n, char **id)
{
	const char *s, *end = p + n, *at;
	size_t len, olen = strlen(sy->owner);
	static const char mark[] = "\"" EVENT_OWNER_PROP "\":\"";

	if (sy->omit_attendees || (s = json_top_string(p, n, "id", &len)) == NULL ||
	    len == 0)
		return 0;
	*id = xstrndup(s, len);
	if ((s = json_top_string(p, n, "status", &len)) == NULL ||
	    (len == 9 && memcmp(s, "cancelled", 9) == 0)) {
		free(*id);
		return 0;
	}
	for (at = p; (at = memmem(at, (size_t)(end - at), mark,
	    sizeof(mark) - 1)) != NULL; at += sizeof(mark) - 1) {
		s = at + sizeof(mark) - 1;
		if ((size_t)(end - s) <= olen || memcmp(s, sy->owner, olen) != 0 ||
		    s[olen] != '"') {
			free(*id);
			return 0;
		}
	}
	return 1;
}

int
sync_read_remote(struct sync *sy, const char *path)
{
	struct lines in;
	const char *o, *id;
	struct sync_ent *e;
	char *pid, *why;
	size_t i;
	jv ev;

	if (lines_load(&in, path) == -1)
		err(EX_SOFTWARE, "'%s'", path);
	for (i = 0; i < in.n; i++) {
		if (plain_line(sy, in.v[i].p, in.v[i].len, &pid)) {
			e = sync_ent(sy, pid, 1);
			free(pid);
			free(e->remote);
			e->remote = xstrndup(in.v[i].p, in.v[i].len);
			continue;
		}
		ev = json_parse(in.v[i].p, in.v[i].len);
		if (jv_get_kind(ev) != JV_KIND_OBJECT) {
			why = jv_is_valid(ev) ? xstrdup("not an object") :
			    json_error_text(ev);
			if (jv_is_valid(ev))
				jv_free(ev);
			warnx("gcal-pull: line %zu: %s", in.v[i].lineno, why);
			free(why);
			lines_free(&in);
			return EX_UNAVAILABLE;
		}
		o = json_strpath(ev, "extendedProperties", "private",
		    EVENT_OWNER_PROP, NULL);
		id = json_str(ev, "id");
		if (id == NULL || *id == '\0' || (event_cancelled(ev) &&
		    !sync_is_instance(ev)) || (o && strcmp(o, sy->owner) != 0)) {
			jv_free(ev);
			continue;
		}
		e = sync_ent(sy, id, 1);
		if (sy->omit_attendees) {
			jv_free(e->attendees);
			e->attendees = json_get(ev, "attendees");
		}
		free(e->remote);
		e->remote = json_dump(sync_view(sy, ev));
	}
	lines_free(&in);
	drop_orphans(sy, SYNC_REMOTE);
	return 0;
}

/* Google's side as the base has it: a change made there since is a
 * conflict gcal-push reports (412). */
void
sync_remote_from_base(struct sync *sy)
{
	size_t i;

	for (i = 0; i < sy->n; i++)
		if (sy->v[i]->base && !sy->v[i]->remote)
			sy->v[i]->remote = xstrdup(sy->v[i]->base);
}
