#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "lines.h"
#include "mirror.h"
#include "sort.h"
#include "state.h"
#include "util.h"

struct mirror {
	char *dir;
	char *state_file;
	char *calendar;
	int expand;
	jv state; /* object; empty before the first pull */
};

/* A line of the delta file: an event that changed since the mirror file
 * was written, or a deletion (json NULL). */
struct delta_line {
	char *id;
	char *json;
	size_t len;
};

struct mirror_reader {
	struct line_reader *fp; /* the mirror file, or NULL: none */
	char *path;
	/* the delta, merged over the mirror file as it is read */
	struct delta_line *j;
	size_t nj;
	size_t ji;
	int have_base; /* a mirror file line is waiting in line */
	const char *bid, *bjs;
	size_t bil, bjl;
};

struct mirror_build {
	struct mirror *m;
	int sorted;
	char *name;      /* mirror.N */
	char *path;      /* DIR/mirror.N */
	char *tmp;       /* DIR/mirror.N.tmp, unsorted builds only */
	FILE *out;       /* sorted builds: the new mirror file */
	struct sort *sort; /* unsorted builds (a full pull: Google lists
			    * events in no useful order) */
	size_t events;
	char *last_id;   /* sorted builds: to check the order */
	char *old_name;  /* the predecessor, removed by mirror_build_free */
	int committed;
};

struct mirror *
mirror_open(const char *profile, const char *calendar, int expand)
{
	struct mirror *m = xcalloc(1, sizeof(*m));
	char *esc = url_escape(calendar), *rel;

	rel = xasprintf("sync/%s%s", esc, expand ? "+expand" : "");
	m->dir = state_path(STATE_STATE, profile, rel);
	m->state_file = xasprintf("%s/state.json", m->dir);
	m->calendar = xstrdup(calendar);
	m->expand = expand;
	free(rel);
	free(esc);
	m->state = state_read_json(m->state_file);
	if (!jv_is_valid(m->state) && errno == ENOENT) {
		jv_free(m->state);
		m->state = jv_object();
	} else if (jv_get_kind(m->state) != JV_KIND_OBJECT ||
	    json_str(m->state, "mirror") == NULL) {
		warnx("'%s': damaged sync state; remove it to pull in full",
		    m->state_file);
		mirror_close(m);
		return NULL;
	}
	return m;
}

void
mirror_close(struct mirror *m)
{
	if (m == NULL)
		return;
	free(m->dir);
	free(m->state_file);
	free(m->calendar);
	jv_free(m->state);
	free(m);
}

const char *
mirror_sync_token(const struct mirror *m)
{
	return json_str(m->state, "syncToken");
}

const char *
mirror_time_zone(const struct mirror *m)
{
	return json_str(m->state, "timeZone");
}

char *
mirror_last_pull(const char *profile)
{
	char *dir = state_path(STATE_STATE, profile, "sync"), *path, *best = NULL;
	const char *at;
	struct dirent *de;
	DIR *d;
	jv st;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s/state.json", dir, de->d_name);
		st = json_read_file(path);
		/* RFC 3339 UTC times compare as strings */
		if ((at = json_str(st, "pulledAt")) != NULL &&
		    (best == NULL || strcmp(at, best) > 0)) {
			free(best);
			best = xstrdup(at);
		}
		jv_free(st);
		free(path);
	}
	closedir(d);
	free(dir);
	return best;
}

static struct mirror_reader *
reader_open(const char *path)
{
	struct mirror_reader *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path ? path : "");
	if (path && (r->fp = lines_open(path)) == NULL && errno != ENOENT)
		warn("'%s'", path);
	return r;
}

static int base_next(struct mirror_reader *, const char **, size_t *,
    const char **, size_t *);

static void
delta_free(struct delta_line *v, size_t n)
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
static const char *
delta_name(const struct mirror *m)
{
	const char *name = json_str(m->state, "delta");

	return name ? name : json_str(m->state, "journal");
}

/* The delta named by the state, sorted by id as written. 0 or -1. */
static int
delta_load(const struct mirror *m, struct delta_line **v, size_t *n)
{
	const char *name = delta_name(m);
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
	r = reader_open(path);
	free(path);
	if (r->fp == NULL) {
		warnx("'%s': the delta file of the mirror is missing; remove the "
		    "directory to pull in full", r->path);
		mirror_read_close(r);
		return -1;
	}
	while ((rc = base_next(r, &id, &il, &js, &jl)) == 1) {
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[*n].id = xstrdup(id);
		(*v)[*n].json = jl ? xstrndup(js, jl) : NULL;
		(*v)[*n].len = jl;
		(*n)++;
	}
	mirror_read_close(r);
	return rc;
}

struct mirror_reader *
mirror_read(const struct mirror *m)
{
	const char *name = json_str(m->state, "mirror");
	struct mirror_reader *r;
	char *path;

	if (name == NULL)
		return reader_open(NULL);
	path = xasprintf("%s/%s", m->dir, name);
	r = reader_open(path);
	free(path);
	if (delta_load(m, &r->j, &r->nj) == -1) {
		/* read as an empty mirror: the caller's pull will redo it */
		lines_close(r->fp);
		r->fp = NULL;
	}
	return r;
}

/* The next line of the mirror file itself. */
static int
base_next(struct mirror_reader *r, const char **id, size_t *idlen,
    const char **json, size_t *jsonlen)
{
	char *line, *tab;
	size_t n;
	int rc;

	if (r->fp == NULL)
		return 0;
	if ((rc = lines_next(r->fp, &line, &n)) != 1) {
		if (rc == -1)
			warn("'%s'", r->path);
		return rc;
	}
	if ((tab = memchr(line, '\t', n)) == NULL) {
		warnx("'%s' line %zu: damaged mirror line; remove the file's "
		    "directory to pull in full", r->path, lines_lineno(r->fp));
		return -1;
	}
	*tab = '\0'; /* the id becomes a C string */
	*id = line;
	*idlen = (size_t)(tab - line);
	*json = tab + 1;
	*jsonlen = n - *idlen - 1;
	return 1;
}

int
mirror_next(struct mirror_reader *r, const char **id, size_t *idlen,
    const char **json, size_t *jsonlen)
{
	struct delta_line *e;
	int c, rc;

	for (;;) {
		if (!r->have_base) {
			if ((rc = base_next(r, &r->bid, &r->bil, &r->bjs,
			    &r->bjl)) == -1)
				return -1;
			r->have_base = rc == 1;
		}
		if (r->ji >= r->nj) {
			if (!r->have_base)
				return 0;
			r->have_base = 0;
			*id = r->bid, *idlen = r->bil;
			*json = r->bjs, *jsonlen = r->bjl;
			return 1;
		}
		e = &r->j[r->ji];
		c = r->have_base ? strcmp(e->id, r->bid) : -1;
		if (c > 0) {
			r->have_base = 0;
			*id = r->bid, *idlen = r->bil;
			*json = r->bjs, *jsonlen = r->bjl;
			return 1;
		}
		/* the delta's line replaces the file's (c == 0) */
		if (c == 0)
			r->have_base = 0;
		r->ji++;
		if (e->json == NULL)
			continue; /* deleted */
		*id = e->id, *idlen = strlen(e->id);
		*json = e->json, *jsonlen = e->len;
		return 1;
	}
}

void
mirror_read_close(struct mirror_reader *r)
{
	if (r == NULL)
		return;
	lines_close(r->fp);
	delta_free(r->j, r->nj);
	free(r->path);
	free(r);
}

static FILE *
create_0600(const char *path)
{
	int fd;
	FILE *fp;

	if (state_mkdir_for(path) == -1)
		return NULL;
	/* a new file, never one planted under the name: a link is removed,
	 * not written through, and O_EXCL loses a race to plant one */
	if (unlink(path) == -1 && errno != ENOENT)
		return NULL;
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		return NULL;
	if ((fp = fdopen(fd, "w+")) == NULL)
		close(fd);
	return fp;
}

struct mirror_build *
mirror_build_new(struct mirror *m, int sorted)
{
	struct mirror_build *b = xcalloc(1, sizeof(*b));
	const char *cur = json_str(m->state, "mirror");
	long gen = cur ? strtol(cur + strlen("mirror."), NULL, 10) : 0;
	FILE *fp;

	b->m = m;
	b->sorted = sorted;
	b->name = xasprintf("mirror.%ld", gen + 1);
	b->path = xasprintf("%s/%s", m->dir, b->name);
	b->old_name = cur ? xstrdup(cur) : NULL;
	if (!sorted)
		b->tmp = xasprintf("%s.tmp", b->path);
	if ((fp = create_0600(sorted ? b->path : b->tmp)) == NULL) {
		warn("'%s'", sorted ? b->path : b->tmp);
		mirror_build_free(b);
		return NULL;
	}
	if (sorted)
		b->out = fp;
	else
		b->sort = sort_new(fp, b->tmp, 0);
	return b;
}

static int
write_line(struct mirror_build *b, const char *id, size_t idlen,
    const char *json, size_t jsonlen)
{
	if (fwrite(id, 1, idlen, b->out) != idlen || putc('\t', b->out) == EOF ||
	    fwrite(json, 1, jsonlen, b->out) != jsonlen ||
	    putc('\n', b->out) == EOF) {
		warn("'%s'", b->sorted ? b->path : b->tmp);
		return -1;
	}
	return 0;
}

int
mirror_build_add(struct mirror_build *b, const char *id, size_t idlen,
    const char *json, size_t jsonlen)
{
	if (memchr(id, '\t', idlen) || memchr(id, '\n', idlen) || idlen == 0) {
		warnx("event id '%.*s' cannot be stored", (int)idlen, id);
		return -1;
	}
	if (b->sorted) {
		char *cur = xstrndup(id, idlen);

		if (b->last_id && strcmp(b->last_id, cur) >= 0)
			errx(EX_SOFTWARE, "mirror lines out of order at '%s'", cur);
		free(cur);
		free(b->last_id);
		b->last_id = xstrndup(id, idlen);
		b->events++;
		return write_line(b, id, idlen, json, jsonlen);
	}
	return sort_add(b->sort, id, idlen, json, jsonlen);
}

static int
close_out(FILE *fp, const char *path)
{
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1) {
		warn("'%s'", path);
		fclose(fp);
		return -1;
	}
	if (fclose(fp) == EOF) {
		warn("'%s'", path);
		return -1;
	}
	return 0;
}

int
mirror_build_finish(struct mirror_build *b)
{
	int rc;

	if (b->sorted) {
		rc = close_out(b->out, b->path);
		b->out = NULL;
		return rc;
	}
	if ((b->out = create_0600(b->path)) == NULL) {
		warn("'%s'", b->path);
		return -1;
	}
	rc = sort_finish(b->sort, b->out, b->path, &b->events);
	sort_free(b->sort);
	b->sort = NULL;
	unlink(b->tmp);
	if (close_out(b->out, b->path) == -1)
		rc = -1;
	b->out = NULL;
	return rc;
}

struct mirror_reader *
mirror_build_read(const struct mirror_build *b)
{
	return reader_open(b->path);
}

static int
write_state(struct mirror *m, const char *name, const char *delta,
    size_t events, const char *sync_token, const char *time_zone)
{
	char when[32];
	jv s = jv_object();

	time_rfc3339(now_s(), when);
	s = json_set_str(s, "calendar", m->calendar);
	s = jv_object_set(s, jv_string("singleEvents"), jv_bool(m->expand));
	if (sync_token)
		s = json_set_str(s, "syncToken", sync_token);
	if (time_zone)
		s = json_set_str(s, "timeZone", time_zone);
	s = json_set_str(s, "mirror", name);
	if (delta)
		s = json_set_str(s, "delta", delta);
	s = jv_object_set(s, jv_string("events"), jv_number((double)events));
	s = json_set_str(s, "pulledAt", when);
	if (state_write_json(m->state_file, jv_copy(s)) == -1) {
		warn("'%s'", m->state_file);
		jv_free(s);
		return -1;
	}
	jv_free(m->state);
	m->state = s;
	return 0;
}

/* Mirror and delta files that the state does not name: left by runs that
 * died, or replaced. keep: names still in use (NULL-terminated). */
static void
remove_strays(struct mirror *m, const char *const *keep)
{
	struct dirent *de;
	const char *const *k;
	DIR *d;
	char *p;

	if ((d = opendir(m->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "mirror.", 7) != 0 &&
		    strncmp(de->d_name, "delta.", 6) != 0 &&
		    strncmp(de->d_name, "journal.", 8) != 0) /* the old name */
			continue;
		for (k = keep; *k && strcmp(*k, de->d_name) != 0; k++)
			;
		if (*k)
			continue;
		p = xasprintf("%s/%s", m->dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
}

int
mirror_commit(struct mirror *m, struct mirror_build *b,
    const char *sync_token, const char *time_zone)
{
	const char *keep[3] = {b->name, b->old_name, NULL};

	if (write_state(m, b->name, NULL, b->events, sync_token, time_zone) == -1)
		return -1;
	b->committed = 1;
	/* the old mirror and its delta: the old file is still read until
	 * mirror_build_free */
	remove_strays(m, keep);
	return 0;
}

int
mirror_touch(struct mirror *m, const char *sync_token, const char *time_zone)
{
	const char *name = json_str(m->state, "mirror");
	char *keep = xstrdup(name ? name : "mirror.0");
	size_t events = (size_t)json_num(m->state, "events", 0);
	int rc;

	if (name == NULL) {
		/* the very first pull found an empty calendar */
		char *path = xasprintf("%s/%s", m->dir, keep);
		FILE *fp = create_0600(path);

		if (fp == NULL || close_out(fp, path) == -1) {
			if (fp == NULL)
				warn("'%s'", path);
			free(path);
			free(keep);
			return -1;
		}
		free(path);
	}
	rc = write_state(m, keep, delta_name(m), events,
	    sync_token, time_zone);
	if (rc == 0) {
		/* a run killed between its commit and its clean-up left the
		 * mirror it replaced: nothing else will remove it */
		const char *names[3] = {keep, delta_name(m), NULL};

		remove_strays(m, names);
	}
	free(keep);
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
		delta_free(d, nd);
		return -1;
	}
	base_path = cur ? xasprintf("%s/%s", m->dir, cur) : NULL;
	r = reader_open(base_path);
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
	const char *old = delta_name(m), *dot;
	size_t events = (size_t)json_num(m->state, "events", 0), i;
	const char *keep[3];
	char *name, *path, *cur;
	FILE *fp;
	int rc = -1;

	dot = old ? strchr(old, '.') : NULL;
	name = xasprintf("delta.%ld", (dot ? strtol(dot + 1, NULL, 10) : 0) + 1);
	path = xasprintf("%s/%s", m->dir, name);
	if ((fp = create_0600(path)) == NULL) {
		warn("'%s'", path);
		goto out;
	}
	for (i = 0; i < nd; i++)
		fprintf(fp, "%s\t%.*s\n", d[i].id, (int)d[i].len,
		    d[i].json ? d[i].json : "");
	if (ferror(fp) || close_out(fp, path) == -1) {
		unlink(path);
		goto out;
	}
	/* the name lives in the state that write_state replaces */
	cur = xstrdup(json_str(m->state, "mirror"));
	keep[0] = cur;
	keep[1] = name;
	keep[2] = NULL;
	if (write_state(m, cur, name, events, sync_token, time_zone) == -1)
		unlink(path);
	else {
		remove_strays(m, keep);
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
	    delta_load(m, &old, &nold) == 0) {
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
	delta_free(old, nold);
	delta_free(d, nd);
	return rc;
}

void
mirror_build_free(struct mirror_build *b)
{
	char *p;

	if (b == NULL)
		return;
	if (b->out)
		fclose(b->out);
	sort_free(b->sort);
	if (b->tmp)
		unlink(b->tmp);
	if (!b->committed)
		unlink(b->path);
	else if (b->old_name && strcmp(b->old_name, b->name) != 0) {
		p = xasprintf("%s/%s", b->m->dir, b->old_name);
		unlink(p);
		free(p);
	}
	free(b->name);
	free(b->path);
	free(b->tmp);
	free(b->last_id);
	free(b->old_name);
	free(b);
}
