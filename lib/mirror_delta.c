/* mirror_delta: changes of the sync feed applied to a mirror as a sorted
 * delta file over the mirror file, folded into a new mirror file when it
 * grows (see mirror.h, mirror_impl.h). */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "lines.h"
#include "mirror.h"
#include "mirror_impl.h"
#include "sort.h"
#include "util.h"

void
mirror_delta_free(struct delta_line *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].json);
	}
	free(v);
}

/* The delta file the state names. Mirrors written before the rename
 * name it under "journal" (and the file journal.K). */
const char *
mirror_delta_name(const struct mirror *m)
{
	const char *name = json_str(m->state, "delta");

	return name ? name : json_str(m->state, "journal");
}

/* The delta named by the state, sorted by id as written. 0 or -1. */
int
mirror_delta_load(const struct mirror *m, struct delta_line **v, size_t *n)
{
	const char *name = mirror_delta_name(m);
	struct mirror_reader *r;
	const char *id, *js;
	size_t il, jl;
	char *path;
	int rc;

	*v = NULL;
	*n = 0;
	if (name == NULL)
		return 0;
	path = xasprintf("%s/%s", m->dir, name);
	r = mirror_reader_open(path);
	free(path);
	if (r->fp == NULL) {
		warnx("'%s': the delta file of the mirror is missing; remove the "
		    "directory to pull in full", r->path);
		mirror_read_close(r);
		return -1;
	}
	while ((rc = mirror_base_next(r, &id, &il, &js, &jl)) == 1) {
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[*n].id = xstrdup(id);
		(*v)[*n].json = jl ? xstrndup(js, jl) : NULL;
		(*v)[*n].len = jl;
		(*n)++;
	}
	mirror_read_close(r);
	return rc;
}

/* Instances of removed recurring events: "MASTER_20261123T090000Z" or
 * "MASTER_20261123" (the last '_'); masters sorted. "MASTER_R20170911T120000"
 * is not one: it is the series split off MASTER ("this and following
 * events"), an event of its own that outlives it, with instances
 * "MASTER_R20170911T120000_20170918T120000Z" of its own. */
static int
orphaned(const char *id, char *const *masters, size_t n)
{
	const char *us = strrchr(id, '_');
	char *master;
	int hit;

	if (us == NULL || !isdigit((unsigned char)us[1]))
		return 0;
	master = xstrndup(id, (size_t)(us - id));
	hit = bsearch(&master, masters, n, sizeof(*masters), sort_cmp_str) != NULL;
	free(master);
	return hit;
}

static int
cmp_change_id(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mirror_change *)elem)->id);
}

/* Every id of the mirror that belongs to a removed recurring event of v
 * and has no change of its own; sorted. */
static int
find_orphans(struct mirror *m, const struct mirror_change *v, size_t n,
    char ***out, size_t *nout)
{
	struct mirror_reader *r;
	char **masters = NULL;
	const char *id, *js;
	size_t nm = 0, i, il, jl;
	int rc;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n; i++)
		if (v[i].is_master) {
			masters = xreallocarray(masters, nm + 1, sizeof(*masters));
			masters[nm++] = (char *)v[i].id;
		}
	if (nm == 0)
		return 0;
	qsort(masters, nm, sizeof(*masters), sort_cmp_str);
	r = mirror_read(m);
	while ((rc = mirror_next(r, &id, &il, &js, &jl)) == 1)
		if (orphaned(id, masters, nm) &&
		    bsearch(id, v, n, sizeof(*v), cmp_change_id) == NULL) {
			*out = xreallocarray(*out, *nout + 1, sizeof(**out));
			(*out)[(*nout)++] = xstrdup(id);
		}
	mirror_read_close(r);
	free(masters);
	return rc;
}

/* The new delta: the changes (v) over the orphans over the old delta,
 * all three sorted by id; *out the caller's. */
static void
delta_merge(const struct delta_line *old, size_t nold,
    const struct mirror_change *v, size_t n, char *const *orph, size_t norph,
    struct delta_line **out, size_t *nout)
{
	size_t i = 0, k = 0, o = 0;
	struct delta_line *e;
	const char *next;

	*out = NULL;
	*nout = 0;
	while (i < nold || k < n || o < norph) {
		next = NULL;
		if (i < nold)
			next = old[i].id;
		if (k < n && (next == NULL || strcmp(v[k].id, next) < 0))
			next = v[k].id;
		if (o < norph && (next == NULL || strcmp(orph[o], next) < 0))
			next = orph[o];
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		e = &(*out)[(*nout)++];
		e->id = xstrdup(next);
		if (k < n && strcmp(v[k].id, e->id) == 0) {
			e->json = v[k].json ? xstrdup(v[k].json) : NULL;
			e->len = v[k].json ? strlen(v[k].json) : 0;
		} else if (o < norph && strcmp(orph[o], e->id) == 0) {
			e->json = NULL;
			e->len = 0;
		} else {
			e->json = old[i].json ? xstrdup(old[i].json) : NULL;
			e->len = old[i].len;
		}
		if (k < n && strcmp(v[k].id, e->id) == 0)
			k++;
		if (o < norph && strcmp(orph[o], e->id) == 0)
			o++;
		if (i < nold && strcmp(old[i].id, e->id) == 0)
			i++;
	}
}

/* Fold delta d (taken over) into a new mirror file, made current: one
 * pass that copies the unchanged lines as bytes. 0 or -1. */
static int
delta_fold(struct mirror *m, struct delta_line *d, size_t nd,
    const char *sync_token, const char *time_zone)
{
	const char *cur = json_str(m->state, "mirror"), *id, *js;
	struct mirror_build *b;
	struct mirror_reader *r;
	char *base_path;
	size_t il, jl;
	int rc;

	if ((b = mirror_build_new(m, 1)) == NULL) {
		mirror_delta_free(d, nd);
		return -1;
	}
	base_path = cur ? xasprintf("%s/%s", m->dir, cur) : NULL;
	r = mirror_reader_open(base_path);
	free(base_path);
	r->j = d;
	r->nj = nd;
	while ((rc = mirror_next(r, &id, &il, &js, &jl)) == 1)
		if (mirror_build_add(b, id, il, js, jl) == -1) {
			rc = -1;
			break;
		}
	mirror_read_close(r);
	if (rc == 0 && (mirror_build_finish(b) == -1 ||
	    mirror_commit(m, b, sync_token, time_zone) == -1))
		rc = -1;
	mirror_build_free(b);
	return rc;
}

/* Write delta d as the next delta file over the current mirror file and
 * make it current. 0 or -1 (nothing changed). */
static int
delta_write(struct mirror *m, const struct delta_line *d, size_t nd,
    const char *sync_token, const char *time_zone)
{
	const char *old = mirror_delta_name(m), *dot;
	size_t events = (size_t)json_num(m->state, "events", 0), i;
	const char *keep[3];
	char *name, *path, *cur;
	FILE *fp;
	int rc = -1;

	dot = old ? strchr(old, '.') : NULL;
	name = xasprintf("delta.%ld", (dot ? strtol(dot + 1, NULL, 10) : 0) + 1);
	path = xasprintf("%s/%s", m->dir, name);
	if ((fp = mirror_create_0600(path)) == NULL) {
		warn("'%s'", path);
		goto out;
	}
	for (i = 0; i < nd; i++)
		fprintf(fp, "%s\t%.*s\n", d[i].id, (int)d[i].len,
		    d[i].json ? d[i].json : "");
	if (ferror(fp) || mirror_close_out(fp, path) == -1) {
		unlink(path);
		goto out;
	}
	/* the name lives in the state that write_state replaces */
	cur = xstrdup(json_str(m->state, "mirror"));
	keep[0] = cur;
	keep[1] = name;
	keep[2] = NULL;
	if (mirror_write_state(m, cur, name, events, sync_token, time_zone) == -1)
		unlink(path);
	else {
		mirror_remove_strays(m, keep);
		rc = 0;
	}
	free(cur);
out:
	free(name);
	free(path);
	return rc;
}

int
mirror_apply(struct mirror *m, const struct mirror_change *v, size_t n,
    const char *sync_token, const char *time_zone, char ***gone,
    size_t *ngone)
{
	struct delta_line *old = NULL, *d = NULL;
	char **orph = NULL;
	size_t nold = 0, nd = 0, norph = 0, i, events;
	int rc = -1;

	*gone = NULL;
	*ngone = 0;
	if (find_orphans(m, v, n, &orph, &norph) == 0 &&
	    mirror_delta_load(m, &old, &nold) == 0) {
		delta_merge(old, nold, v, n, orph, norph, &d, &nd);
		events = (size_t)json_num(m->state, "events", 0);
		/* a delta grown past an eighth of the events is folded in */
		if (json_str(m->state, "mirror") == NULL || nd > 512 + events / 8) {
			rc = delta_fold(m, d, nd, sync_token, time_zone);
			d = NULL, nd = 0;
		} else
			rc = delta_write(m, d, nd, sync_token, time_zone);
	}
	if (rc == 0) {
		*gone = orph;
		*ngone = norph;
	} else {
		for (i = 0; i < norph; i++)
			free(orph[i]);
		free(orph);
	}
	mirror_delta_free(old, nold);
	mirror_delta_free(d, nd);
	return rc;
}
