#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "mirror.h"
#include "state.h"
#include "util.h"

struct mirror {
	char *dir;
	char *state_file;
	char *calendar;
	int expand;
	jv state; /* object; empty before the first pull */
};

struct mirror_reader {
	FILE *fp;
	char *path;
	char *line;
	size_t cap;
	size_t lineno;
};

struct line_ref {
	char *id;
	off_t off;
	size_t len; /* of "ID\tJSON", without the newline */
	size_t seq;
};

struct mirror_build {
	struct mirror *m;
	int sorted;
	char *name;      /* mirror.N */
	char *path;      /* DIR/mirror.N */
	char *tmp;       /* DIR/mirror.N.tmp, unsorted builds only */
	FILE *out;
	struct line_ref *refs;
	size_t nrefs;
	off_t off;
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

jv
mirror_state(const struct mirror *m)
{
	return jv_copy(m->state);
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
	if (path && (r->fp = fopen(path, "r")) == NULL && errno != ENOENT)
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
		return reader_open(NULL);
	path = xasprintf("%s/%s", m->dir, name);
	r = reader_open(path);
	free(path);
	return r;
}

int
mirror_next(struct mirror_reader *r, const char **id, size_t *idlen,
    const char **json, size_t *jsonlen)
{
	ssize_t n;
	char *tab;

	if (r->fp == NULL)
		return 0;
	if ((n = getline(&r->line, &r->cap, r->fp)) == -1) {
		if (ferror(r->fp)) {
			warn("'%s'", r->path);
			return -1;
		}
		return 0;
	}
	r->lineno++;
	if (n > 0 && r->line[n - 1] == '\n')
		r->line[--n] = '\0';
	if ((tab = memchr(r->line, '\t', (size_t)n)) == NULL) {
		warnx("'%s' line %zu: damaged mirror line; remove the file's "
		    "directory to pull in full", r->path, r->lineno);
		return -1;
	}
	*tab = '\0'; /* the id becomes a C string */
	*id = r->line;
	*idlen = (size_t)(tab - r->line);
	*json = tab + 1;
	*jsonlen = (size_t)n - *idlen - 1;
	return 1;
}

void
mirror_read_close(struct mirror_reader *r)
{
	if (r == NULL)
		return;
	if (r->fp)
		fclose(r->fp);
	free(r->line);
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
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
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

	b->m = m;
	b->sorted = sorted;
	b->name = xasprintf("mirror.%ld", gen + 1);
	b->path = xasprintf("%s/%s", m->dir, b->name);
	b->old_name = cur ? xstrdup(cur) : NULL;
	if (!sorted)
		b->tmp = xasprintf("%s.tmp", b->path);
	if ((b->out = create_0600(sorted ? b->path : b->tmp)) == NULL) {
		warn("'%s'", sorted ? b->path : b->tmp);
		mirror_build_free(b);
		return NULL;
	}
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
	b->refs = xreallocarray(b->refs, b->nrefs + 1, sizeof(*b->refs));
	b->refs[b->nrefs].id = xstrndup(id, idlen);
	b->refs[b->nrefs].off = b->off;
	b->refs[b->nrefs].len = idlen + 1 + jsonlen;
	b->refs[b->nrefs].seq = b->nrefs;
	b->nrefs++;
	b->off += (off_t)(idlen + 1 + jsonlen + 1);
	return write_line(b, id, idlen, json, jsonlen);
}

static int
cmp_ref(const void *a, const void *b)
{
	const struct line_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
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
	struct buf line = {0};
	FILE *in;
	size_t i;
	int rc = 0;

	if (b->sorted) {
		rc = close_out(b->out, b->path);
		b->out = NULL;
		return rc;
	}
	/* Unsorted: sort the index, then copy each id's last line. */
	if (fflush(b->out) == EOF) {
		warn("'%s'", b->tmp);
		return -1;
	}
	in = b->out;
	b->out = NULL;
	if (b->nrefs > 0)
		qsort(b->refs, b->nrefs, sizeof(*b->refs), cmp_ref);
	if ((b->out = create_0600(b->path)) == NULL) {
		warn("'%s'", b->path);
		fclose(in);
		return -1;
	}
	for (i = 0; i < b->nrefs && rc == 0; i++) {
		if (i + 1 < b->nrefs && strcmp(b->refs[i].id, b->refs[i + 1].id) == 0)
			continue; /* a later line for the same id wins */
		if (line.cap < b->refs[i].len) {
			line.cap = b->refs[i].len;
			line.data = xreallocarray(line.data, line.cap, 1);
		}
		if (pread(fileno(in), line.data, b->refs[i].len, b->refs[i].off) !=
		    (ssize_t)b->refs[i].len) {
			warn("'%s'", b->tmp);
			rc = -1;
			break;
		}
		if (fwrite(line.data, 1, b->refs[i].len, b->out) != b->refs[i].len ||
		    putc('\n', b->out) == EOF) {
			warn("'%s'", b->path);
			rc = -1;
		}
		b->events++;
	}
	buf_free(&line);
	fclose(in);
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
write_state(struct mirror *m, const char *name, size_t events,
    const char *sync_token, const char *time_zone)
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

/* Mirror files that no state names: left by runs that died. */
static void
remove_strays(struct mirror *m, const char *keep1, const char *keep2)
{
	struct dirent *de;
	DIR *d;
	char *p;

	if ((d = opendir(m->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "mirror.", 7) != 0 ||
		    (keep1 && strcmp(de->d_name, keep1) == 0) ||
		    (keep2 && strcmp(de->d_name, keep2) == 0))
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
	if (write_state(m, b->name, b->events, sync_token, time_zone) == -1)
		return -1;
	b->committed = 1;
	remove_strays(m, b->name, b->old_name);
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
	rc = write_state(m, keep, events, sync_token, time_zone);
	free(keep);
	return rc;
}

void
mirror_build_free(struct mirror_build *b)
{
	char *p;
	size_t i;

	if (b == NULL)
		return;
	if (b->out)
		fclose(b->out);
	if (b->tmp)
		unlink(b->tmp);
	if (!b->committed)
		unlink(b->path);
	else if (b->old_name && strcmp(b->old_name, b->name) != 0) {
		p = xasprintf("%s/%s", b->m->dir, b->old_name);
		unlink(p);
		free(p);
	}
	for (i = 0; i < b->nrefs; i++)
		free(b->refs[i].id);
	free(b->refs);
	free(b->name);
	free(b->path);
	free(b->tmp);
	free(b->last_id);
	free(b->old_name);
	free(b);
}
