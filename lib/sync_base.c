/* sync_base: the base, its journal and state.json (see sync_base.h). */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "event_norm.h"
#include "events.h"
#include "graph_map.h"
#include "json.h"
#include "lines.h"
#include "state.h"
#include "sync.h"
#include "sync_base.h"
#include "util.h"

/* state.json: the calendar and owner the base is of; its format version
 * (which covers base.ndjson and journal.ndjson) is state_read_kind's. */
int
sync_base_check(struct sync *sy, int dry)
{
	char *path = xasprintf("%s/state.json", sy->dir), *why;
	jv st = state_read_kind(path, STATE_SYNC), v;
	const char *cal;
	int rc = 0;

	if (!jv_is_valid(st)) {
		if (errno == ENOTSUP) {
			/* a newer gcal's base: not damage (state.h) */
			why = state_error(path, st);
			st = jv_invalid();
			warnx("%s", why);
			free(why);
			rc = EX_CONFIG;
		} else if (errno != ENOENT) {
			warnx("'%s': damaged: remove the directory to sync afresh",
			    path);
			rc = EX_CONFIG;
		} else if (!dry) {
			v = json_set_str(jv_object(), "owner", sy->owner);
			if (sy->calendar)
				v = json_set_str(v, "calendar", sy->calendar);
			if (state_write_kind(path, STATE_SYNC, v) == -1)
				err(EX_CANTCREAT, "'%s'", path);
		}
		jv_free(st);
		free(path);
		return rc;
	}
	if ((cal = json_str(st, "calendar")) != NULL && sy->calendar &&
	    strcmp(cal, sy->calendar) != 0) {
		warnx("'%s': the base of calendar '%s', and the profile now "
		    "uses '%s': give another --state, or remove it to sync "
		    "afresh", sy->dir, cal, sy->calendar);
		rc = EX_CONFIG;
	} else if (json_str(st, "owner") && strcmp(json_str(st, "owner"),
	    sy->owner) != 0) {
		warnx("'%s': the base of owner '%s', not '%s'", sy->dir,
		    json_str(st, "owner"), sy->owner);
		rc = EX_CONFIG;
	}
	jv_free(st);
	free(path);
	return rc;
}

/* A base line that names the id the local side holds its event by:
 * the id taken into the identity, the line kept as the event alone. */
static void
take_local_id(struct sync_ent *e)
{
	jv ev = json_parse(e->base, strlen(e->base));
	const char *lid = json_str(ev, SYNC_LOCAL_ID_PROP);

	if (lid == NULL) {
		jv_free(ev);
		return;
	}
	free(e->local_id);
	e->local_id = xstrdup(lid);
	free(e->base);
	e->base = json_dump(jv_object_delete(ev, jv_string(SYNC_LOCAL_ID_PROP)));
}

/* The line of an identity's base event s: with the local side's id of
 * it, when that is another. */
static void
add_base_line(struct buf *b, const struct sync_ent *e, const char *s)
{
	char *t;

	if (e->local_id == NULL) {
		buf_adds(b, s);
	} else {
		t = json_dump(json_set_str(json_parse(s, strlen(s)),
		    SYNC_LOCAL_ID_PROP, e->local_id));
		buf_adds(b, t);
		free(t);
	}
	buf_addc(b, '\n');
}

/* Whether the event e settled to this run is one another identity holds
 * as its own (a create Graph answered with the event an earlier one
 * made: both settled to it): that one writes the line. Only a settled
 * event can be under another id: a base line is read in by its own. */
static int
held_by_other(struct sync *sy, const struct sync_ent *e)
{
	const struct sync_ent *o;
	const char *id;
	size_t len;
	char *t;

	if (!e->settled || e->newbase == NULL || (id = json_top_string(e->newbase,
	    strlen(e->newbase), "id", &len)) == NULL ||
	    (strlen(e->id) == len && memcmp(e->id, id, len) == 0))
		return 0;
	t = xstrndup(id, len);
	o = sync_ent(sy, t, 0);
	free(t);
	return o && (o->settled ? o->newbase : o->base) != NULL;
}

int
sync_base_read(struct sync *sy)
{
	char *path = xasprintf("%s/base.ndjson", sy->dir), *id;
	struct lines in;
	const char *s;
	size_t i, len;
	jv ev;

	if (lines_load(&in, path) == -1) {
		free(path);
		if (errno == ENOENT)
			return 0;
		warn("'%s'", sy->dir);
		return EX_NOINPUT;
	}
	sy->base_on_disk = 1;
	for (i = 0; i < in.n; i++) {
		/* ours, written as one event a line: the id is in the bytes */
		if ((s = json_top_string(in.v[i].p, in.v[i].len, "id", &len)) != NULL &&
		    len > 0) {
			id = xstrndup(s, len);
		} else {
			ev = json_parse(in.v[i].p, in.v[i].len);
			if (jv_get_kind(ev) != JV_KIND_OBJECT || json_str(ev, "id") ==
			    NULL || *json_str(ev, "id") == '\0') {
				warnx("'%s' line %zu: not an event with an id: the base "
				    "is damaged", in.name, in.v[i].lineno);
				jv_free(ev);
				lines_free(&in);
				free(path);
				return EX_DATAERR;
			}
			id = xstrdup(json_str(ev, "id"));
			jv_free(ev);
		}
		struct sync_ent *e = sync_ent(sy, id, 1);

		free(e->base);
		e->base = xstrndup(in.v[i].p, in.v[i].len);
		if (strstr(e->base, "\"" SYNC_LOCAL_ID_PROP "\"") != NULL)
			take_local_id(e);
		sy->base_read++;
		free(id);
	}
	lines_free(&in);
	free(path);
	return 0;
}

/* The base, atomically: a file of lines, each the event both sides held. */
void
sync_base_write(struct sync *sy, int final)
{
	struct buf b = {0};
	char *path;
	size_t i;
	const char *s;
	int same = final;

	/* a run that changed nothing writes nothing (and syncs no disk) */
	for (i = 0; i < sy->n && same; i++) {
		const char *was = sy->v[i]->base, *now = sy->v[i]->settled ?
		    sy->v[i]->newbase : was;

		same = was == now || (was && now && strcmp(was, now) == 0);
	}
	if (same && sy->base_on_disk)
		return;
	path = xasprintf("%s/base.ndjson", sy->dir);
	for (i = 0; i < sy->n; i++) {
		s = final ? (sy->v[i]->settled ? sy->v[i]->newbase :
		    sy->v[i]->base) : sy->v[i]->base;
		if (s && !(final && held_by_other(sy, sy->v[i])))
			add_base_line(&b, sy->v[i], s);
	}
	if (state_write(path, b.data ? b.data : "", b.len) == -1)
		err(EX_CANTCREAT, "'%s'", path);
	buf_free(&b);
	free(path);
}

/* The journal: the writes under way, each with what it makes its side
 * hold. Written before any of them is made; a write whose side holds
 * what it says (seen by the next run) is agreed, whatever became of the
 * run that made it. Only those not confirmed stay after a run. */
void
sync_journal_write(struct sync *sy, int only_open)
{
	struct buf b = {0};
	char *path = xasprintf("%s/journal.ndjson", sy->dir);
	size_t i;
	jv rec;

	for (i = 0; i < sy->n; i++) {
		struct sync_ent *e = sy->v[i];

		if (!e->intent || (only_open && e->settled))
			continue;
		rec = json_set_str(jv_object(), "id", e->id);
		rec = json_set_str(rec, "side", e->intent == 1 + SYNC_LOCAL ?
		    "local" : "remote");
		/* an insert: its side had none of it (gcal-diff's rule) */
		rec = json_set_str(rec, "op", jv_get_kind(e->want) ==
		    JV_KIND_NULL ? "delete" : (e->intent == 1 + SYNC_LOCAL ?
		    e->local : e->remote) == NULL ? "insert" : "update");
		rec = jv_object_set(rec, jv_string("want"), jv_copy(e->want));
		json_dump_buf(&b, rec);
		buf_addc(&b, '\n');
	}
	if (b.len == 0) {
		if (state_remove(path) == -1)
			err(EX_CANTCREAT, "'%s'", path);
	} else if (state_write(path, b.data, b.len) == -1)
		err(EX_CANTCREAT, "'%s'", path);
	buf_free(&b);
	free(path);
}

/* want (borrowed), the event a create wrote, under the id y the
 * calendar gave it, as the sync compares it. */
static jv
made_under(struct sync *sy, jv want, const struct sync_ent *y)
{
	return sync_view(sy, json_set_str(jv_copy(want), "id", y->id));
}

/* The events this run sees as new (no base, no local record) by the
 * text of the key they are marked with. */
static jv
new_by_key(struct sync *sy)
{
	jv out = jv_object(), ev, k;
	struct sync_ent *y;
	char *t;
	size_t i;

	for (i = 0; i < sy->n; i++) {
		y = sy->v[i];
		if (y->remote == NULL || y->base || y->local ||
		    strstr(y->remote, EVENT_KEY_PROP) == NULL)
			continue;
		ev = json_parse(y->remote, strlen(y->remote));
		if (jv_is_valid(k = sync_mark_key(ev))) {
			t = json_dump(k);
			out = json_set_str(out, t, y->id);
			free(t);
		} else
			jv_free(k);
		jv_free(ev);
	}
	return out;
}

/* The event the calendar made for x's create (want, borrowed) under an
 * id of its own (Graph chooses the ids of what it creates) when the run
 * that made it ended first: one this run sees as new, of x's key
 * (*bykey: new_by_key, made on first use), or of x's content when it
 * has none. NULL when there is none. */
static struct sync_ent *
made_as(struct sync *sy, struct sync_ent *x, jv want, jv *bykey)
{
	jv key = sync_mark_key(want), ev, w;
	struct sync_ent *y, *found = NULL;
	const char *id;
	char *t, *sent;
	size_t i;

	if (jv_is_valid(key)) {
		if (!jv_is_valid(*bykey))
			*bykey = new_by_key(sy);
		t = json_dump(key);
		id = json_str(*bykey, t);
		free(t);
		return id ? sync_ent(sy, id, 0) : NULL;
	}
	jv_free(key);
	/* the id gcal-push created it under (Google's rules) */
	sent = event_id_ok(x->id) ? xstrdup(x->id) : event_insert_id(sy->owner,
	    x->id);
	for (i = 0; i < sy->n && found == NULL; i++) {
		y = sy->v[i];
		if (y == x || y->remote == NULL || y->base || y->local)
			continue;
		ev = json_parse(y->remote, strlen(y->remote));
		/* Graph's transactionId names the record it was made for,
		 * edited since or not (seed 830988658: an Outlook edit of it
		 * was overwritten) */
		w = made_under(sy, want, y);
		if (graph_txn_made_for(ev, sent) || event_same(w, ev))
			found = y;
		jv_free(w);
		jv_free(ev);
	}
	free(sent);
	return found;
}

/* The base of y, the event a create of want (borrowed) made: the
 * calendar's copy when it still holds what the create wrote, else that
 * (under y's id). */
static char *
as_made(struct sync *sy, struct sync_ent *y, jv want)
{
	jv w = made_under(sy, want, y);
	jv ev = json_parse(y->remote, strlen(y->remote));
	char *out;

	out = event_same(w, ev) ? xstrdup(y->remote) : json_dump(jv_copy(w));
	jv_free(w);
	jv_free(ev);
	return out;
}

/* Whether the side (loc: the local one) holds e under an id that only
 * a create of want (borrowed) there could have given it, so that the
 * create was made: an id the calendar chose, held by a local record
 * without a key, or the id gcal-push made for Google. Not an instance's,
 * whose id either side derives: the local side edits an occurrence
 * under it (seed 1596900942: a local edit of an occurrence cancelled in
 * Outlook, by a run killed before it wrote the cancel, was taken for
 * that cancel, edited, and lost). */
static int
made_there(const struct sync_ent *e, jv want, int loc)
{
	if (sync_is_instance(want))
		return 0;
	return loc ? e->local && e->own_id && !jv_is_valid(e->key) :
	    e->remote != NULL;
}

/* The writes of a run that ended before it could record them: each that
 * its side shows is agreed now. Idempotent (the journal only goes after
 * the base that holds it is written). */
int
sync_journal_fold(struct sync *sy, enum sync_side side, int *folded)
{
	char *path = xasprintf("%s/journal.ndjson", sy->dir);
	struct ndjson_reader *r = ndjson_open(path);
	const char *id, *what, *op;
	char *want;
	struct sync_ent *e, *m;
	int got, loc, creates;
	jv rec, w, bykey = jv_invalid();

	if (r == NULL) {
		free(path);
		return errno == ENOENT ? 0 : EX_NOINPUT;
	}
	while ((got = ndjson_read(r, &rec)) == 1) {
		id = json_str(rec, "id");
		what = json_str(rec, "side");
		if (id == NULL || what == NULL) {
			jv_free(rec);
			continue;
		}
		loc = strcmp(what, "local") == 0;
		creates = (op = json_str(rec, "op")) != NULL &&
		    strcmp(op, "insert") == 0;
		if (loc != (side == SYNC_LOCAL)) {
			jv_free(rec);
			continue;
		}
		e = sync_ent(sy, id, 1);
		w = json_get(rec, "want");
		want = jv_get_kind(w) == JV_KIND_OBJECT ?
		    json_dump(sync_view(sy, jv_copy(w))) : NULL;
		if (want == NULL ? (loc ? e->local : e->remote) == NULL :
		    sync_same_text(loc ? e->local : e->remote, want)) {
			/* Google's own copy (with its etag) where it has one */
			free(e->base);
			e->base = want == NULL ? NULL : xstrdup(!loc && e->remote ?
			    e->remote : want);
			(*folded)++;
		} else if (creates && want && made_there(e, w, loc)) {
			/* the side holds the event the write made there, and
			 * it changed since: what the write made is the base,
			 * so that the change is one (sync-model seed
			 * 43661662: an Outlook event a killed run imported,
			 * edited locally and deleted in Outlook, was made
			 * again in Outlook, no conflict said) */
			free(e->base);
			e->base = xstrdup(want);
			(*folded)++;
		} else if (!loc && want && e->remote == NULL &&
		    (m = made_as(sy, e, w, &bykey)) != NULL) {
			/* agreed as made (the calendar's copy, unless edited
			 * there since: then what the create made, so that the
			 * edit is one); the base the create replaced is gone
			 * (an event Outlook deleted, restored anew) */
			free(m->base);
			m->base = as_made(sy, m, w);
			free(e->base);
			e->base = NULL;
			if (e->local && e->own_id && m->local_id == NULL)
				m->local_id = xstrdup(e->id);
			(*folded)++;
		}
		free(want);
		jv_free(w);
		jv_free(rec);
	}
	jv_free(bykey);
	/* a torn last line is a write that was never begun */
	ndjson_close(r);
	free(path);
	return 0;
}
