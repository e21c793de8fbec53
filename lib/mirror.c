/* mirror: a calendar's local copy: its files, read and built (see
 * mirror.h; the delta and mirror_apply are lib/mirror_delta.c). */
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
#include "mirror_impl.h"
#include "sort.h"
#include "state.h"
#include "stop.h"
#include "util.h"

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
	} else if (!jv_is_valid(m->state) && errno == ENOTSUP) {
		/* a newer gcal's: never to be pulled over (state.h) */
		char *why = state_error(m->state_file, m->state);

		m->state = jv_invalid();
		warnx("%s", why);
		free(why);
		mirror_close(m);
		errno = ENOTSUP;
		return NULL;
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

struct mirror_reader *
mirror_reader_open(const char *path)
{
	struct mirror_reader *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path ? path : "");
	if (path && (r->fp = lines_open(path)) == NULL && errno != ENOENT)
		warn("'%s'", path);
	return r;
}

struct mirror_reader *
mirror_read(const struct mirror *m)
{
	const char *name = json_str(m->state, "mirror");
	struct mirror_reader *r;
	char *path;

	if (name == NULL)
		return mirror_reader_open(NULL);
	path = xasprintf("%s/%s", m->dir, name);
	r = mirror_reader_open(path);
	free(path);
	if (mirror_delta_load(m, &r->j, &r->nj) == -1) {
		/* read as an empty mirror: the caller's pull will redo it */
		lines_close(r->fp);
		r->fp = NULL;
	}
	return r;
}

/* The next line of the mirror file itself. */
int
mirror_base_next(struct mirror_reader *r, const char **id, size_t *idlen,
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
			if ((rc = mirror_base_next(r, &r->bid, &r->bil, &r->bjs,
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
	mirror_delta_free(r->j, r->nj);
	free(r->path);
	free(r);
}

FILE *
mirror_create_0600(const char *path)
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
	if ((fp = mirror_create_0600(sorted ? b->path : b->tmp)) == NULL) {
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

int
mirror_close_out(FILE *fp, const char *path)
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
	/* a mirror or journal file that no state.json names yet */
	stop_point(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	return 0;
}

int
mirror_build_finish(struct mirror_build *b)
{
	int rc;

	if (b->sorted) {
		rc = mirror_close_out(b->out, b->path);
		b->out = NULL;
		return rc;
	}
	if ((b->out = mirror_create_0600(b->path)) == NULL) {
		warn("'%s'", b->path);
		return -1;
	}
	rc = sort_finish(b->sort, b->out, b->path, &b->events);
	sort_free(b->sort);
	b->sort = NULL;
	unlink(b->tmp);
	if (mirror_close_out(b->out, b->path) == -1)
		rc = -1;
	b->out = NULL;
	return rc;
}

struct mirror_reader *
mirror_build_read(const struct mirror_build *b)
{
	return mirror_reader_open(b->path);
}

int
mirror_write_state(struct mirror *m, const char *name, const char *delta,
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
void
mirror_remove_strays(struct mirror *m, const char *const *keep)
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

	if (mirror_write_state(m, b->name, NULL, b->events, sync_token, time_zone) == -1)
		return -1;
	b->committed = 1;
	/* the old mirror and its delta: the old file is still read until
	 * mirror_build_free */
	mirror_remove_strays(m, keep);
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
		FILE *fp = mirror_create_0600(path);

		if (fp == NULL || mirror_close_out(fp, path) == -1) {
			if (fp == NULL)
				warn("'%s'", path);
			free(path);
			free(keep);
			return -1;
		}
		free(path);
	}
	rc = mirror_write_state(m, keep, mirror_delta_name(m), events,
	    sync_token, time_zone);
	if (rc == 0) {
		/* a run killed between its commit and its clean-up left the
		 * mirror it replaced: nothing else will remove it */
		const char *names[3] = {keep, mirror_delta_name(m), NULL};

		mirror_remove_strays(m, names);
	}
	free(keep);
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
