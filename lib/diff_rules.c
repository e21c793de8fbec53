/* diff_rules: what changes for one identity, two-way (OLD NEW) or
 * three-way (LOCAL REMOTE BASE) with --prefer; see diff_impl.h. */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "diff_impl.h"
#include "events.h"
#include "json.h"
#include "util.h"

/* --- the records of one identity --------------------------------------- */

/* What one identity has in each set, parsed; null where it has none. */
struct trio {
	struct ident *e;
	char *id;
	jv v[NSETS];
	char *key;      /* the local key, when known */
	const char *calendar;
};

static int
identical(struct diff *d, struct ident *e, int a, int b)
{
	const struct line *x, *y;

	if (e->rec[a] == -1 || e->rec[b] == -1)
		return 0;
	x = &d->set[a].in.v[e->rec[a]];
	y = &d->set[b].in.v[e->rec[b]];
	return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

static void
trio_load(struct diff *d, struct ident *e, struct trio *t, int local)
{
	const char *why, *k;
	int s;

	t->e = e;
	t->id = xstrndup(e->id, e->len);
	t->key = NULL;
	t->calendar = NULL;
	for (s = 0; s < NSETS; s++) {
		t->v[s] = jv_null();
		if (s < d->nsets && e->rec[s] != -1) {
			jv ev = diff_parsed(d, s, e->rec[s]);

			if (!d->set[s].r[e->rec[s]].cancelled)
				t->v[s] = jv_copy(ev);
		}
	}
	if (jv_get_kind(t->v[local]) == JV_KIND_OBJECT)
		t->key = diff_local_key(d, t->v[local], &why);
	for (s = 0; s < NSETS && t->key == NULL; s++)
		if ((k = event_mark_key(t->v[s])) != NULL)
			t->key = xstrdup(k);
	/* where the event is in Google, else where it is to go */
	for (s = 0; s < NSETS && t->calendar == NULL; s++)
		t->calendar = json_str(t->v[(local + 1 + s) % NSETS],
		    EVENT_CALENDAR_FIELD);
}

static void
trio_free(struct trio *t)
{
	int s;

	for (s = 0; s < NSETS; s++)
		jv_free(t->v[s]);
	free(t->id);
	free(t->key);
}

static int
has(jv v)
{
	return jv_get_kind(v) == JV_KIND_OBJECT;
}

static int
same(jv a, jv b)
{
	if (!has(a) || !has(b))
		return has(a) == has(b);
	return event_same(a, b);
}

/* --- change records ---------------------------------------------------- */

/* The id of the record of set s, else the identity: changes to an
 * existing event name it by its own id, which the identity is not when
 * Google would refuse it on insert. */
static const char *
real_id(struct trio *t, int s)
{
	const char *id = json_str(t->v[s], "id");

	return id && *id ? id : t->id;
}

static void
emit(struct diff *d, struct trio *t, const char *id, const char *op,
    const char *target, jv rec)
{
	int n = diff_op_index(op);

	rec = json_set_str(rec, "op", op);
	rec = json_set_str(rec, "id", id);
	rec = json_set_str(rec, "target", target);
	if (t->key)
		rec = json_set_str(rec, "key", t->key);
	if (t->calendar)
		rec = json_set_str(rec, "calendar", t->calendar);
	d->out = xreallocarray(d->out, d->nout + 1, sizeof(*d->out));
	d->out[d->nout].id = xstrdup(id);
	d->out[d->nout].line = json_dump(rec);
	d->nout++;
	d->count[n == -1 ? DIFF_CONFLICTS : n]++;
}

static jv
with_etag(jv rec, jv remote)
{
	const char *etag = json_str(remote, "etag");

	return etag ? json_set_str(rec, "etag", etag) : rec;
}

/* An event the link creates from a local record. */
static void
remote_insert(struct diff *d, struct trio *t, jv local)
{
	jv ev = event_writable(jv_copy(local));
	const char *id = json_str(local, "id");

	/* the id as given: gcal-push derives the one Google takes */
	id = id && *id ? id : t->id;
	ev = event_mark(json_set_str(ev, "id", id), d->owner, t->key);
	emit(d, t, id, "insert", "remote", jv_object_set(jv_object(),
	    jv_string("event"), ev));
}

/* The remote event as it is, with what counts taken from local: fields
 * the local side does not model survive the PUT. */
static void
remote_update(struct diff *d, struct trio *t, jv local, jv remote)
{
	jv ev = event_apply(event_writable(jv_copy(remote)), local);
	const char *id = json_str(remote, "id");

	id = id && *id ? id : t->id;
	ev = event_mark(json_set_str(ev, "id", id), d->owner, t->key);
	emit(d, t, id, "update", "remote", with_etag(jv_object_set(jv_object(),
	    jv_string("event"), ev), remote));
}

static void
remote_delete(struct diff *d, struct trio *t, jv remote)
{
	const char *id = json_str(remote, "id");

	emit(d, t, id && *id ? id : t->id, "delete", "remote",
	    with_etag(jv_object(), remote));
}

static void
local_write(struct diff *d, struct trio *t, const char *op, jv remote)
{
	if (has(remote))
		emit(d, t, real_id(t, REMOTE), op, "local",
		    jv_object_set(jv_object(), jv_string("event"), jv_copy(remote)));
	else
		emit(d, t, real_id(t, LOCAL), "delete", "local", jv_object());
}

static void
conflict(struct diff *d, struct trio *t, const char *reason)
{
	jv rec = json_set_str(jv_object(), "reason", reason);

	rec = jv_object_set(rec, jv_string("local"), jv_copy(t->v[LOCAL]));
	rec = jv_object_set(rec, jv_string("remote"), jv_copy(t->v[REMOTE]));
	rec = jv_object_set(rec, jv_string("base"), jv_copy(t->v[BASE]));
	emit(d, t, has(t->v[REMOTE]) ? real_id(t, REMOTE) : has(t->v[LOCAL]) ?
	    real_id(t, LOCAL) : real_id(t, BASE), "conflict", "both", rec);
}

/* --- two-way ------------------------------------------------------------ */

void
diff_two_way(struct diff *d, struct ident *e)
{
	struct trio t;
	jv o, n;
	int mine;

	if (identical(d, e, OLD, NEW))
		return;
	trio_load(d, e, &t, NEW);
	o = t.v[OLD];
	n = t.v[NEW];
	mine = d->all || event_owned(o, d->owner);
	if (!has(o) && has(n))
		remote_insert(d, &t, n);
	else if (has(o) && !mine && (!has(n) || !event_same(o, n))) {
		if (verbose)
			warnx("event '%s': not owned by '%s', left alone (--all "
			    "to %s it)", t.id, d->owner, has(n) ? "update" : "delete");
	} else if (has(o) && !has(n))
		remote_delete(d, &t, o);
	else if (has(o) && !event_same(o, n))
		remote_update(d, &t, n, o);
	trio_free(&t);
}

/* --- three-way ---------------------------------------------------------- */

/* "updated" in 100 ns ticks: Google gives milliseconds
 * ("2026-11-23T10:00:00.123Z"), Graph seven digits
 * ("2026-11-23T10:00:00.1234567Z"), and edits within a second, or a
 * millisecond, are not a tie (sync-model seed 1086405311: a local edit
 * at .690 and an Outlook one at .6901460 stayed a conflict). */
static long long
updated(jv ev)
{
	const char *u = json_str(ev, "updated"), *f;
	long long t, frac = 0;
	int i;

	if (u == NULL || time_parse(u, NULL, &t) == -1)
		return LLONG_MIN;
	if ((f = strchr(u, 'T')) != NULL && (f = strchr(f, '.')) != NULL)
		for (i = 0, f++; i < 7; i++)
			frac = frac * 10 + (*f >= '0' && *f <= '9' ? *f++ - '0' : 0);
	return t * 10000000 + frac;
}

/* Bring the remote event to what local has. */
static void
to_remote(struct diff *d, struct trio *t)
{
	jv l = t->v[LOCAL], r = t->v[REMOTE];

	/* remote writes: what takes part in the sync (in the base) or what
	 * the link owns; a user's own event is only ever read */
	if (has(r) && !d->all && !has(t->v[BASE]) && !event_owned(r, d->owner)) {
		conflict(d, t, "not owned");
		return;
	}
	if (has(l) && has(r))
		remote_update(d, t, l, r);
	else if (has(l))
		remote_insert(d, t, l);
	else
		remote_delete(d, t, r);
}

static void
to_local(struct diff *d, struct trio *t)
{
	local_write(d, t, has(t->v[LOCAL]) ? "update" : "insert", t->v[REMOTE]);
}

/* Both sides changed: report, or settle as --prefer says. */
static void
settle(struct diff *d, struct trio *t, const char *reason)
{
	jv l = t->v[LOCAL], r = t->v[REMOTE];
	long long lt, rt;

	switch (d->prefer) {
	case DIFF_PREFER_LOCAL:
		to_remote(d, t);
		return;
	case DIFF_PREFER_REMOTE:
		to_local(d, t);
		return;
	case DIFF_PREFER_NEWEST:
		/* a deletion has no time: the edit wins */
		lt = has(l) ? updated(l) : LLONG_MIN;
		rt = has(r) ? updated(r) : LLONG_MIN;
		if (!has(l) || (has(r) && rt > lt)) {
			to_local(d, t);
			return;
		}
		if (!has(r) || lt > rt) {
			to_remote(d, t);
			return;
		}
		break;
	}
	conflict(d, t, reason);
}

void
diff_three_way(struct diff *d, struct ident *e)
{
	struct trio t;
	jv l, r, b;

	if (identical(d, e, LOCAL, REMOTE))
		return;
	trio_load(d, e, &t, LOCAL);
	l = t.v[LOCAL];
	r = t.v[REMOTE];
	b = t.v[BASE];
	if (same(l, r))
		;
	else if (!has(b)) {
		if (!has(r))
			to_remote(d, &t);
		else if (!has(l))
			local_write(d, &t, "insert", r);
		else
			settle(d, &t, "created on both sides");
	} else if (identical(d, e, LOCAL, BASE) || same(l, b))
		local_write(d, &t, "update", r);       /* remote changed */
	else if (identical(d, e, REMOTE, BASE) || same(r, b))
		to_remote(d, &t);                       /* local changed */
	else
		settle(d, &t, !has(l) ? "deleted locally, changed remotely" :
		    !has(r) ? "changed locally, deleted remotely" :
		    "changed on both sides");
	trio_free(&t);
}
