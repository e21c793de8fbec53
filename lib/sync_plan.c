/* sync_plan: the three-way decision of a sync (see sync_plan.h). */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "diff.h"
#include "json.h"
#include "sync.h"
#include "sync_child.h"
#include "sync_plan.h"
#include "util.h"

/* Write the lines of one set (which: 0 local, 1 remote, 2 base). */
static char *
write_set(struct sync *sy, const char *name, int which)
{
	char *path = sync_run_path(sy, name);
	FILE *fp = sync_create(path);
	size_t i;
	const char *s;

	for (i = 0; i < sy->n; i++) {
		s = which == 0 ? sy->v[i]->local : which == 1 ?
		    sy->v[i]->remote : sy->v[i]->base;
		if (s)
			fprintf(fp, "%s\n", s);
	}
	sync_finish(fp, path);
	return path;
}

/* A series one side deleted that this run brings back there (the other
 * side changed it, and wins): its exceptions come back with it, so the
 * deletions of them that the series' deletion implied (drop_orphans)
 * are not made on the other side now. Seed 97303145: a series deleted
 * locally, edited in Google; the instance edited locally before was
 * cancelled in Google while the local side kept it. Those the local
 * side dropped with its series are written back to it, as the calendar
 * has them: the next run took them as deleted there, and deleted them
 * from the calendar (an occurrence moved in Google went back to its
 * place). Those it kept, the next run sees as it has them. */
static void
keep_restored_instances(struct sync *sy, struct sync_plan *p)
{
	const char *id, *m, *to;
	struct sync_ent *e;
	size_t i, k, n, len;
	jv ev, rec;
	int series, moved;

	for (i = 0; i < p->n; i++) {
		ev = json_get(p->v[i], "event");
		rec = json_get(ev, "recurrence");
		series = jv_get_kind(rec) == JV_KIND_ARRAY;
		jv_free(rec);
		jv_free(ev);
		if (!series || strcmp(json_str(p->v[i], "op"), "insert") != 0)
			continue;
		m = json_str(p->v[i], "id");
		to = json_str(p->v[i], "target");
		len = strlen(m);
		for (k = 0, n = 0, moved = 0; k < p->n; k++) {
			id = json_str(p->v[k], "id");
			if (strcmp(json_str(p->v[k], "target"), to) == 0 ||
			    strcmp(json_str(p->v[k], "op"), "delete") != 0 ||
			    strncmp(id, m, len) != 0 || id[len] != '_') {
				p->v[n++] = p->v[k];
				continue;
			}
			p->count[strcmp(json_str(p->v[k], "target"),
			    "local") == 0][DIFF_DELETES]--;
			e = sync_ent(sy, id, 0);
			jv_free(p->v[k]);
			moved = 1;
			if (strcmp(to, "local") != 0 || e == NULL || e->local ||
			    (e->orphan & 1 << SYNC_LOCAL) || e->remote == NULL)
				continue;
			rec = json_set_str(json_set_str(json_set_str(jv_object(),
			    "op", "insert"), "id", e->id), "target", "local");
			rec = jv_object_set(rec, jv_string("event"),
			    json_parse(e->remote, strlen(e->remote)));
			p->v[n++] = sync_with_key(rec, e);
			p->count[1][DIFF_INSERTS]++;
		}
		if (moved) {
			p->n = n;
			i = (size_t)-1; /* the indexes moved: look again */
		}
	}
}

/* An update of an instance the calendar cancelled and keeps no etag of
 * (Outlook removes a cancelled occurrence: Graph cannot bring it back,
 * where Google restores one by an update) cannot be written: the cancel
 * wins, and is written locally instead, so that the run settles it
 * rather than failing on it every run (seed 11). The record keeps its
 * id and key; the local edit that lost is the conflict record's to say. */
static void
cancel_wins(struct sync *sy, struct sync_plan *p)
{
	struct sync_ent *e;
	const char *st;
	size_t i;
	jv ev, rec;

	for (i = 0; i < p->n; i++) {
		rec = p->v[i];
		if (strcmp(json_str(rec, "target"), "remote") != 0 ||
		    strcmp(json_str(rec, "op"), "update") != 0 ||
		    json_str(rec, "etag") != NULL ||
		    (e = sync_ent(sy, json_str(rec, "id"), 0)) == NULL ||
		    e->remote == NULL)
			continue;
		ev = json_parse(e->remote, strlen(e->remote));
		st = json_str(ev, "status");
		if (!sync_is_instance(ev) || st == NULL ||
		    strcmp(st, SYNC_CANCELLED_INSTANCE) != 0) {
			jv_free(ev);
			continue;
		}
		if (verbose)
			warnx("event '%s': cancelled in the calendar, which "
			    "cannot bring it back: the cancel wins", e->id);
		rec = json_set_str(rec, "target", "local");
		p->v[i] = jv_object_set(rec, jv_string("event"), ev);
		p->count[0][DIFF_UPDATES]--;
		p->count[1][DIFF_UPDATES]++;
	}
}

static jv
parsed_or_null(struct sync *sy, const char *s)
{
	return s ? sync_view(sy, json_parse(s, strlen(s))) : jv_null();
}

/* The record of a conflict settled for winner: every version of it. */
static jv
settled_conflict(struct sync *sy, struct sync_ent *e, const char *winner,
    const char *reason)
{
	jv rec = json_set_str(jv_object(), "op", "conflict");

	rec = json_set_str(rec, "id", e->id);
	rec = json_set_str(rec, "target", "both");
	rec = json_set_str(rec, "status", "settled");
	rec = json_set_str(rec, "winner", winner);
	rec = json_set_str(rec, "reason", reason);
	rec = jv_object_set(rec, jv_string("local"), parsed_or_null(sy, e->local));
	rec = jv_object_set(rec, jv_string("remote"), parsed_or_null(sy, e->remote));
	rec = jv_object_set(rec, jv_string("base"), parsed_or_null(sy, e->base));
	return sync_unview_record(sync_with_key(rec, e));
}

/* Whether side to ("local" or "remote") holds series rid, or the plan
 * (coming: "TARGET ID" of its inserts and updates) writes it there; 1
 * for a series this run does not know by that id. */
static int
series_there(struct sync *sy, jv coming, const char *to, const char *rid)
{
	struct sync_ent *m = sync_ent(sy, rid, 0);
	char *k;
	int yes;

	if (m == NULL || (strcmp(to, "local") == 0 ? m->local : m->remote))
		return 1;
	k = xasprintf("%s %s", to, rid);
	yes = json_kind(coming, k) == JV_KIND_TRUE;
	free(k);
	return yes;
}

/* The change of an instance made on one side while the other deleted
 * its series (a new exception, which has no base and so is no conflict
 * to the three-way compare) cannot stand: the series' deletion takes
 * its exceptions. The write is dropped, and the version that lost is
 * said in a settled conflict, never lost silently (sync-model seed
 * 103377195: an occurrence edited in Google, the series deleted
 * locally). A write of an instance to a side that has not its series,
 * which the run does not bring there (its deletion there is a conflict
 * still open), waits for the series: the next run sees the instance
 * there as gone with its series, and deleted it on the other side
 * (seed 788746593: an occurrence edited in Outlook, the series deleted
 * locally and edited in Outlook). Not settled, it is offered again on
 * every run. */
static void
drop_moot_instances(struct sync *sy, struct sync_plan *p)
{
	jv going = jv_object(), coming = jv_object(), ev, rec;
	const char *op, *to, *rid;
	struct sync_ent *e;
	size_t i, n;
	char *k;
	int drop;

	for (i = 0; i < p->n; i++) {
		op = json_str(p->v[i], "op");
		k = xasprintf("%s %s", json_str(p->v[i], "target"),
		    json_str(p->v[i], "id"));
		if (strcmp(op, "delete") == 0)
			going = json_set(going, k, jv_true());
		else if (strcmp(op, "insert") == 0 || strcmp(op, "update") == 0)
			coming = json_set(coming, k, jv_true());
		free(k);
	}
	for (i = 0, n = 0; i < p->n; i++) {
		rec = p->v[i];
		op = json_str(rec, "op");
		to = json_str(rec, "target");
		ev = json_get(rec, "event");
		rid = json_str(ev, "recurringEventId");
		k = rid ? xasprintf("%s %s", strcmp(to, "local") == 0 ? "remote" :
		    "local", rid) : NULL;
		drop = k && (strcmp(op, "insert") == 0 || strcmp(op, "update") == 0);
		e = drop ? sync_ent(sy, json_str(rec, "id"), 0) : NULL;
		if (drop && json_kind(going, k) == JV_KIND_TRUE) {
			p->moot = jv_array_append(p->moot, settled_conflict(sy, e,
			    strcmp(to, "local") == 0 ? "local" : "remote",
			    strcmp(to, "local") == 0 ? "changed remotely, its "
			    "series deleted locally" : "changed locally, its "
			    "series deleted remotely"));
		} else if (drop && !series_there(sy, coming, to, rid)) {
			if (verbose)
				warnx("event '%s': its series is not %s: the change "
				    "waits for it", e->id, strcmp(to, "local") == 0 ?
				    "on the local side" : "in the calendar");
		} else
			drop = 0;
		if (drop) {
			p->count[strcmp(to, "local") == 0][strcmp(op, "insert") == 0 ?
			    DIFF_INSERTS : DIFF_UPDATES]--;
			jv_free(rec);
		} else
			p->v[n++] = rec;
		free(k);
		jv_free(ev);
	}
	p->n = n;
	jv_free(going);
	jv_free(coming);
}

static void
read_plan(struct sync *sy, const char *path, struct sync_plan *p)
{
	struct ndjson_reader *r = ndjson_open(path);
	const char *target, *op;
	struct sync_ent *e;
	int got, k;
	jv rec;

	if (r == NULL)
		err(EX_SOFTWARE, "'%s'", path);
	while ((got = ndjson_read(r, &rec)) == 1) {
		target = json_str(rec, "target");
		op = json_str(rec, "op");
		e = sync_ent(sy, json_str(rec, "id"), 1);
		e->changed = 1;
		rec = sync_with_key(jv_object_delete(rec, jv_string("key")), e);
		if ((k = diff_op_index(op)) == DIFF_CONFLICTS)
			p->conflicts++;
		else if (k >= 0)
			p->count[strcmp(target, "local") == 0][k]++;
		p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
		p->v[p->n++] = rec;
	}
	if (got == -1)
		errx(EX_SOFTWARE, "%s", ndjson_error(r));
	ndjson_close(r);
	keep_restored_instances(sy, p);
	cancel_wins(sy, p);
	drop_moot_instances(sy, p);
}

int
sync_plan_capped(struct sync *sy, const struct sync_plan *p,
    const struct sync_cap *cap)
{
	char in_service[32];
	const char *const where[] = {in_service, "locally"};
	int has_side[2] = {0, 0}, s;
	long long limit;
	size_t n, nbase = 0, i;

	for (i = 0; i < sy->n; i++) {
		nbase += sy->v[i]->base != NULL;
		has_side[SYNC_LOCAL] |= sy->v[i]->local != NULL;
		has_side[SYNC_REMOTE] |= sy->v[i]->remote != NULL;
	}
	snprintf(in_service, sizeof(in_service), "in %s", sy->service);
	limit = cap->pct ? (long long)nbase * cap->max_delete / 100 :
	    cap->max_delete;
	for (s = 0; s < 2 && !cap->allow_all; s++) {
		/* An export (or a calendar) that came back empty is in doubt
		 * as a whole: nothing of the run is made, not even the changes
		 * for that side (found by the model test: Google's versions
		 * overwrote local edits the empty export hid). */
		if (sy->base_read > 0 && !has_side[s == 0 ? SYNC_LOCAL : SYNC_REMOTE]) {
			warnx("stopped before any write: %s has no events at all, "
			    "and the base has %zu; --allow-delete-all if that is "
			    "so", s == 0 ? "the local side" : sy->service, sy->base_read);
			return 1;
		}
		n = p->count[s][DIFF_DELETES];
		if (n == 0)
			continue;
		if (n >= nbase) {
			warnx("stopped before any write: the run would delete all "
			    "%zu events %s (an empty or cut-short export?); "
			    "--allow-delete-all to let it", nbase, where[s]);
			return 1;
		}
		if ((long long)n > limit) {
			warnx("stopped before any write: the run would delete %zu of "
			    "the %zu events %s, more than --max-delete %lld%s allows",
			    n, nbase, where[s], cap->max_delete, cap->pct ? "%" : "");
			return 1;
		}
	}
	return 0;
}

/* The entry a plan record is about; *target its "target", *conflict
 * whether it is a conflict record. Borrows rec. */
static struct sync_ent *
plan_entry(struct sync *sy, jv rec, const char **target, int *conflict)
{
	*target = json_str(rec, "target");
	*conflict = strcmp(json_str(rec, "op"), "conflict") == 0;
	return sync_ent(sy, json_str(rec, "id"), 0);
}

/* A conflict --prefer settled: said in a record of its own, so that the
 * version that lost is never lost silently. */
void
sync_plan_print_settled(struct sync *sy, const struct sync_plan *p, FILE *fp)
{
	const char *target;
	struct sync_ent *e;
	int conflict;
	size_t i;

	for (i = 0; i < p->n; i++) {
		e = plan_entry(sy, p->v[i], &target, &conflict);
		if (conflict)
			continue;
		if (e->base ? sync_same_text(e->local, e->base) ||
		    sync_same_text(e->remote, e->base) : !(e->local && e->remote))
			continue;
		json_print(fp, settled_conflict(sy, e, strcmp(target, "remote") ==
		    0 ? "local" : "remote", e->base == NULL ?
		    "created on both sides" : e->local == NULL ?
		    "deleted locally, changed remotely" : e->remote == NULL ?
		    "changed locally, deleted remotely" : "changed on both sides"));
	}
	jv_array_foreach(p->moot, k, m)
		json_print(fp, m);
}

/* For a human at a terminal: what changes on each side, and conflicts. */
void
sync_plan_summary(const struct sync *sy, const struct sync_plan *p,
    const char *what)
{
	static const char *const ops[] = {"insert", "update", "delete"};
	const char *const sides[] = {sy->service, "local"};
	int s, k, any;

	for (s = 0; s < 2; s++) {
		fprintf(stderr, "%s %s:", what, sides[s]);
		for (k = 0, any = 0; k < 3; k++)
			if (p->count[s][k]) {
				fprintf(stderr, "%s %zu %s%s", any ? "," : "",
				    p->count[s][k], ops[k], p->count[s][k] == 1 ?
				    "" : "s");
				any = 1;
			}
		fprintf(stderr, "%s\n", any ? "" : " nothing");
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(json_str(p->v[i], "op"), "conflict") == 0)
			fprintf(stderr, "conflict: event '%s': %s\n",
			    json_str(p->v[i], "id"), json_str(p->v[i], "reason"));
}

void
sync_plan_make(struct sync *sy, const struct diff_options *d,
    struct sync_plan *p)
{
	size_t counts[DIFF_NCOUNTS];
	const char *paths[3];
	char *lpath, *rpath, *bpath, *cpath;
	FILE *fp;

	memset(p, 0, sizeof(*p));
	p->moot = jv_array();
	paths[0] = lpath = write_set(sy, "local", 0);
	paths[1] = rpath = write_set(sy, "remote", 1);
	paths[2] = bpath = write_set(sy, "base", 2);
	cpath = sync_run_path(sy, "changes");
	fp = sync_create(cpath);
	diff_sets(paths, 3, d, fp, counts);
	sync_finish(fp, cpath);
	read_plan(sy, cpath, p);
	free(lpath);
	free(rpath);
	free(bpath);
	free(cpath);
}

void
sync_plan_free(struct sync_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		jv_free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
	jv_free(p->moot);
	p->moot = jv_invalid();
}

void
sync_plan_intents(struct sync *sy, const struct sync_plan *p, FILE *fp)
{
	struct sync_ent *e;
	const char *target;
	int conflict;
	size_t i;
	jv rec;

	for (i = 0; i < p->n; i++) {
		rec = p->v[i];
		e = plan_entry(sy, rec, &target, &conflict);
		if (conflict) {
			json_print(fp, sync_unview_record(jv_copy(rec)));
			continue;
		}
		e->intent = 1 + (strcmp(target, "local") == 0 ? SYNC_LOCAL :
		    SYNC_REMOTE);
		jv_free(e->want);
		e->want = strcmp(json_str(rec, "op"), "delete") == 0 ? jv_null() :
		    sync_view(sy, json_get(rec, "event"));
	}
}
