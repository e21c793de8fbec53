/* sync_apply: the writes of a sync (see sync_apply.h). */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "cli.h"
#include "json.h"
#include "stop.h"
#include "sync.h"
#include "sync_apply.h"
#include "sync_child.h"
#include "sync_plan.h"
#include "util.h"

/* Guests left out of the comparison stay as Google has them. */
static jv
restore_attendees(struct sync *sy, jv rec, struct sync_ent *e)
{
	jv ev;

	if (!sy->omit_attendees)
		return rec;
	ev = json_get(rec, "event");
	if (jv_get_kind(ev) != JV_KIND_OBJECT) {
		jv_free(ev);
		return rec;
	}
	ev = jv_object_delete(ev, jv_string("attendees"));
	if (strcmp(json_str(rec, "op"), "update") == 0 &&
	    jv_get_kind(e->attendees) == JV_KIND_ARRAY)
		ev = jv_object_set(ev, jv_string("attendees"), jv_copy(e->attendees));
	return jv_object_set(rec, jv_string("event"), ev);
}

static void
settle(struct sync *sy, struct sync_ent *e, jv ev)
{
	free(e->newbase);
	e->newbase = jv_get_kind(ev) == JV_KIND_OBJECT ? json_dump(sync_view(sy, ev)) :
	    (jv_free(ev), NULL);
	e->settled = 1;
}

/* An instance of a recurring event is written as an exception of its
 * series, never as an event of its own: gcal-push makes the insert of
 * one a change of that instance, on either provider (gcal-push(1)); an
 * update of one cancelled is a delete (Calendar API "Recurring events":
 * delete cancels it). */
static jv
instance_write(jv rec)
{
	jv ev = json_get(rec, "event");
	const char *st = json_str(ev, "status");

	if (jv_get_kind(ev) == JV_KIND_OBJECT && sync_is_instance(ev) &&
	    st && strcmp(st, SYNC_CANCELLED_INSTANCE) == 0 &&
	    strcmp(json_str(rec, "op"), "update") == 0) {
		rec = json_set_str(rec, "op", "delete");
		rec = jv_object_delete(rec, jv_string("event"));
	}
	jv_free(ev);
	return rec;
}

/* A delete of an instance the calendar holds as cancelled already (its
 * series went, or Outlook removed the occurrence: Graph keeps no etag of
 * it) is done: settled and reported here, not sent. */
static int
already_cancelled(struct sync *sy, struct sync_ent *e, jv rec)
{
	jv ev, r;
	int done;

	if (e->remote == NULL || strcmp(json_str(rec, "op"), "delete") != 0)
		return 0;
	ev = json_parse(e->remote, strlen(e->remote));
	done = json_str(ev, "status") && strcmp(json_str(ev, "status"),
	    SYNC_CANCELLED_INSTANCE) == 0;
	jv_free(ev);
	if (!done)
		return 0;
	settle(sy, e, jv_copy(e->want));
	r = json_set_str(json_set_str(json_set_str(json_set_str(jv_object(),
	    "op", "delete"), "id", e->id), "target", "remote"), "status", "ok");
	json_print(stdout, sync_with_key(r, e));
	return 1;
}

/* An update with no etag to expect is one of an instance Outlook
 * deleted (Graph keeps nothing of a removed occurrence, and cannot bring
 * it back): reported failed here, offered again next run, so that the
 * other changes still go (gcal-push refuses a whole input with such a
 * record). Consumes rec when it says so. */
static int
cannot_write(struct sync_ent *e, jv rec, int *partial)
{
	jv r;

	if (strcmp(json_str(rec, "op"), "update") != 0 || json_str(rec, "etag"))
		return 0;
	jv_free(rec);
	r = json_set_str(json_set_str(json_set_str(json_set_str(jv_object(),
	    "op", "update"), "id", e->id), "target", "remote"), "status",
	    "failed");
	r = json_set_str(json_set_str(r, "reason", "deleted"), "message",
	    "the calendar deleted this instance and keeps nothing to update: "
	    "it cannot be brought back there");
	json_print(stdout, sync_with_key(r, e));
	*partial = 1;
	return 1;
}

/* The changes for Google, as gcal-push reads them, to path: their
 * number. */
static size_t
push_input(struct sync *sy, const struct sync_plan *p, const char *path,
    int *partial)
{
	FILE *fp = sync_create(path);
	struct sync_ent *e;
	size_t i, n = 0;
	jv rec;

	for (i = 0; i < p->n; i++) {
		if (strcmp(json_str(p->v[i], "target"), "remote") != 0)
			continue;
		e = sync_ent(sy, json_str(p->v[i], "id"), 0);
		if (already_cancelled(sy, e, p->v[i]))
			continue;
		/* gcal-push echoes the key as a string: the identity's, by
		 * which a result comes back (Graph gives an insert its own id) */
		rec = json_set_str(jv_copy(p->v[i]), "key", e->id);
		rec = instance_write(restore_attendees(sy, rec, e));
		if (cannot_write(e, rec, partial))
			continue;
		json_print(fp, sync_unview_record(rec));
		n++;
	}
	sync_finish(fp, path);
	return n;
}

/* A local record of its own id that Graph made anew under another (an
 * event restored after an Outlook delete: Graph chooses the ids of what
 * it creates) is still held by the local side under its id: the base
 * keeps that id with the event until the local side names the new one
 * (sync_match_local_ids), so that no run makes the event again. */
static void
keep_local_id(struct sync *sy, struct sync_ent *e, jv rec)
{
	const char *id = json_strpath(rec, "event", "id", NULL);
	struct sync_ent *y;

	if (id == NULL || strcmp(id, e->id) == 0)
		return;
	if (e->local && e->own_id && e->local_id == NULL)
		e->local_id = xstrdup(e->id);
	/* the event an earlier run made for it and did not live to record
	 * (Graph answers a retried create with it): this run's pull showed
	 * it as new, but it is no event for the local side to take */
	y = sync_ent(sy, id, 0);
	if (y && y != e && y->local == NULL && y->base == NULL &&
	    y->intent == 1 + SYNC_LOCAL) {
		y->intent = 0;
		jv_free(y->want);
		y->want = jv_invalid();
	}
}

/* gcal-push's results at path: each confirmed change is agreed, and
 * printed with its key. */
static void
push_results(struct sync *sy, const char *path, int *partial)
{
	struct ndjson_reader *r;
	struct sync_ent *e;
	const char *id, *st;
	jv rec;

	if ((r = ndjson_open(path)) == NULL)
		err(EX_SOFTWARE, "'%s'", path);
	while (ndjson_read(r, &rec) == 1) {
		id = json_str(rec, "key") ? json_str(rec, "key") :
		    json_str(rec, "id");
		st = json_str(rec, "status");
		if (id == NULL || st == NULL || (e = sync_ent(sy, id, 0)) == NULL) {
			jv_free(rec);
			continue;
		}
		rec = jv_object_delete(rec, jv_string("key"));
		/* a cancelled instance is what a delete of one leaves */
		if (strcmp(st, "ok") == 0) {
			settle(sy, e, strcmp(json_str(rec, "op"), "delete") != 0 ?
			    json_get(rec, "event") : jv_copy(e->want));
			keep_local_id(sy, e, rec);
		} else
			*partial = 1;
		json_print(stdout, sync_with_key(rec, e));
	}
	ndjson_close(r);
}

int
sync_push_remote(struct sync *sy, const struct sync_plan *p,
    const char *profile, int *partial)
{
	char *in = sync_run_path(sy, "to-google");
	char *out = sync_run_path(sy, "results");
	char *argv[16] = {"gcal-push", "-q", "-p", (char *)profile,
	    "--send-updates", "none"};
	int argc = 6, rc = 0;
	size_t n;

	n = push_input(sy, p, in, partial);
	if (sy->push_batch) {
		argv[argc++] = "--batch";
		argv[argc++] = (char *)sy->push_batch;
	}
	if (sy->push_rate) {
		argv[argc++] = "--rate";
		argv[argc++] = (char *)sy->push_rate;
	}
	if (verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	if (n > 0) {
		rc = sync_child_run(sy, argv, in, out);
		push_results(sy, out, partial);
		stop_point("sync google");
		if (rc == 1)
			*partial = 1;
		if (rc <= 1)
			rc = 0;
	}
	free(in);
	free(out);
	return rc;
}

/* The identity of what the local side calls id: the one it holds under
 * an id of its own (local_id), else the identity of that id. */
static struct sync_ent *
local_ent(struct sync *sy, const char *id)
{
	struct sync_ent *e = sync_ent(sy, id, 0);
	size_t i;

	if (e && e->intent == 1 + SYNC_LOCAL)
		return e;
	for (i = 0; i < sy->n; i++)
		if (sy->v[i]->local_id && strcmp(sy->v[i]->local_id, id) == 0)
			return sy->v[i];
	return e;
}

/* What --apply-cmd said it applied (a result stream at path): each ok
 * is settled; their number, or 0 (and *rc set) for a bad stream. */
static size_t
apply_results(struct sync *sy, const char *path, int *rc)
{
	struct ndjson_reader *r;
	struct sync_ent *e;
	size_t results = 0;
	const char *id, *st;
	int got;
	jv rec;

	if ((r = ndjson_open(path)) == NULL)
		return 0;
	while ((got = ndjson_read(r, &rec)) == 1) {
		results++;
		id = json_str(rec, "id");
		if ((e = local_ent(sy, id ? id : "")) != NULL &&
		    e->intent == 1 + SYNC_LOCAL &&
		    (st = json_str(rec, "status")) && strcmp(st, "ok") == 0)
			settle(sy, e, jv_copy(e->want));
		jv_free(rec);
	}
	if (got == -1) {
		warnx("--apply-cmd: %s", ndjson_error(r));
		results = 0;
		*rc = *rc ? *rc : EX_DATAERR;
	}
	ndjson_close(r);
	return results;
}

/* The identity of a plan's change for the local side, or NULL: another
 * change, or one the push made moot (keep_local_id). */
static struct sync_ent *
local_write(struct sync *sy, jv rec)
{
	struct sync_ent *e;

	if (strcmp(json_str(rec, "target"), "local") != 0)
		return NULL;
	e = sync_ent(sy, json_str(rec, "id"), 0);
	return e->intent == 1 + SYNC_LOCAL ? e : NULL;
}

/* Every local change is applied: the command said so by its status. */
static void
settle_local(struct sync *sy, const struct sync_plan *p)
{
	struct sync_ent *e;
	size_t i;

	for (i = 0; i < p->n; i++)
		if ((e = local_write(sy, p->v[i])) != NULL)
			settle(sy, e, jv_copy(e->want));
}

/* The result of a change the apply command was given (rc: its exit
 * status), printed: op and id as in the change (the id the local side
 * holds the event by), and the event applied (ev, consumed) when ok. */
static void
local_result(struct sync_ent *e, const char *op, const char *id, int ok,
    int rc, jv ev, int *partial)
{
	jv rec = json_set_str(json_set_str(json_set_str(json_set_str(
	    jv_object(), "op", op), "id", id), "target", "local"), "status",
	    ok ? "ok" : "failed");

	if (!ok) {
		rec = json_set_str(rec, "reason", rc ? "the apply command "
		    "failed" : "not confirmed by the apply command");
		*partial = 1;
		jv_free(ev);
	} else if (jv_get_kind(ev) == JV_KIND_OBJECT)
		rec = jv_object_set(rec, jv_string("event"), sync_unview(ev));
	else
		jv_free(ev);
	json_print(stdout, sync_with_key(rec, e));
}

/* A result record for each local change; rc is the apply command's. */
static void
apply_report(struct sync *sy, const struct sync_plan *p, int rc, int *partial)
{
	struct sync_ent *e;
	size_t i;

	for (i = 0; i < p->n; i++)
		if ((e = local_write(sy, p->v[i])) != NULL)
			local_result(e, json_str(p->v[i], "op"), e->local_id ?
			    e->local_id : e->id, e->settled, rc,
			    jv_copy(e->want), partial);
}

/* The event the local side holds under an old id (local_id) and that
 * no change of this run names to it, as both sides agree on it now: an
 * update of that id to the event under its new one tells the local side
 * the id the calendar gave it. NULL for any other. */
static const char *
untaught(const struct sync_ent *e)
{
	if (e->local_id == NULL || e->intent == 1 + SYNC_LOCAL)
		return NULL;
	return e->settled ? e->newbase : e->base;
}

/* The updates that tell the local side new ids, to fp: their number. */
static size_t
teach_ids(struct sync *sy, FILE *fp)
{
	const char *s;
	size_t i, n = 0;
	jv rec;

	for (i = 0; i < sy->n; i++) {
		if ((s = untaught(sy->v[i])) == NULL)
			continue;
		rec = json_set_str(json_set_str(json_set_str(jv_object(), "op",
		    "update"), "id", sy->v[i]->local_id), "target", "local");
		rec = jv_object_set(rec, jv_string("event"),
		    sync_unview(json_parse(s, strlen(s))));
		json_print(fp, sync_with_key(rec, sy->v[i]));
		n++;
	}
	return n;
}

/* The result of each such update (rc: the apply command's): an id the
 * local side took is no longer kept. */
static void
taught_ids(struct sync *sy, int rc, int *partial)
{
	struct sync_ent *e;
	const char *s;
	size_t i;

	for (i = 0; i < sy->n; i++) {
		e = sy->v[i];
		if ((s = untaught(e)) == NULL)
			continue;
		local_result(e, "update", e->local_id, rc == 0, rc,
		    json_parse(s, strlen(s)), partial);
		if (rc == 0) {
			free(e->local_id);
			e->local_id = NULL;
		}
	}
}

void
sync_apply_local(struct sync *sy, const struct sync_plan *p, const char *cmd,
    int *partial)
{
	char *in = sync_run_path(sy, "to-local");
	char *out = sync_run_path(sy, "applied");
	FILE *fp = sync_create(in);
	struct sync_ent *e;
	size_t i, n = 0;
	int rc;
	jv rec;

	for (i = 0; i < p->n; i++) {
		if ((e = local_write(sy, p->v[i])) == NULL)
			continue;
		rec = restore_attendees(sy, jv_copy(p->v[i]), e);
		if (e->local_id)
			rec = json_set_str(rec, "id", e->local_id);
		json_print(cmd ? fp : stdout, sync_unview_record(rec));
		n++;
	}
	n += teach_ids(sy, cmd ? fp : stdout);
	sync_finish(fp, in);
	if (cmd != NULL && n > 0) {
		rc = sync_child_shell(sy, cmd, in, out);
		/* a result stream says which it applied; else the status
		 * says all */
		if (apply_results(sy, out, &rc) == 0 && rc == 0)
			settle_local(sy, p);
		apply_report(sy, p, rc, partial);
		taught_ids(sy, rc, partial);
		if (rc)
			warnx("--apply-cmd exited %d: its changes are offered "
			    "again next run", rc);
	}
	if (n > 0)
		stop_point("sync local");
	free(in);
	free(out);
}

void
sync_settle_unchanged(struct sync *sy)
{
	struct sync_ent *e;
	size_t i;

	for (i = 0; i < sy->n; i++) {
		e = sy->v[i];
		if (!e->changed && !e->settled) {
			free(e->newbase);
			e->newbase = e->remote ? xstrdup(e->remote) : NULL;
			e->settled = 1;
		}
	}
}
