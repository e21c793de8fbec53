/* diff: the sets of records loaded and indexed by identity, and the
 * change records printed in id order (see diff.h). */
#include <err.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "diff_impl.h"
#include "events.h"
#include "json.h"
#include "lines.h"
#include "util.h"


static char *
keep(struct diff *d, char *s)
{
	d->strs = xreallocarray(d->strs, d->nstrs + 1, sizeof(*d->strs));
	d->strs[d->nstrs++] = s;
	return s;
}

static void
diff_free(struct diff *d)
{
	size_t i;
	int s;

	for (i = 0; i < d->nout; i++) {
		free(d->out[i].line);
		free(d->out[i].id);
	}
	free(d->out);
	for (s = 0; s < NSETS; s++) {
		for (i = 0; d->set[s].r && i < d->set[s].in.n; i++)
			jv_free(d->set[s].r[i].ev);
		free(d->set[s].r);
		if (d->set[s].in.name)
			lines_free(&d->set[s].in);
	}
	for (i = 0; i < d->nstrs; i++)
		free(d->strs[i]);
	free(d->strs);
	free(d->tab);
	jqprog_free(d->key);
}

/* Bad input: say why, tidy up (so leak checkers see none), exit 65. */
static void __attribute__((noreturn, format(printf, 2, 3)))
bad_input(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	diff_free(d);
	exit(EX_DATAERR);
}

/* The record of line i of set s, parsed (fatal when it is not an object). */
jv
diff_parsed(struct diff *d, int s, long i)
{
	struct set *st = &d->set[s];
	const struct line *ln = &st->in.v[i];
	struct rec *r = &st->r[i];
	const char *what;
	char *why;
	jv v;

	if (jv_is_valid(r->ev))
		return r->ev;
	if (ln->len > NDJSON_MAX_LINE)
		bad_input(d, "'%s' line %zu: record longer than %u bytes",
		    st->in.name, ln->lineno, NDJSON_MAX_LINE);
	v = json_parse(ln->p, ln->len);
	if (!jv_is_valid(v)) {
		why = json_error_text(v);
		warnx("'%s' line %zu: bad JSON: %s", st->in.name, ln->lineno, why);
		free(why);
		diff_free(d);
		exit(EX_DATAERR);
	}
	if ((what = event_check(v)) != NULL) {
		jv_free(v);
		bad_input(d, "'%s' line %zu: %s", st->in.name, ln->lineno, what);
	}
	/* a cancelled event is a deleted one (what the sync feed says) */
	r->cancelled = event_cancelled(v);
	r->ev = v;
	return v;
}

/* The value of --key on a record, or NULL (the caller's) with *why. Only
 * the first output counts; jq_start resets the program for the next. */
char *
diff_local_key(struct diff *d, jv ev, const char **why)
{
	jv out;
	char *key = NULL;
	int rc;

	*why = "no --key to derive one from";
	if (d->key == NULL)
		return NULL;
	jqprog_start(d->key, jv_copy(ev));
	rc = jqprog_next(d->key, &out);
	if (rc == 0) {
		*why = "--key gave no value";
		return NULL;
	}
	if (rc == 1 && jv_get_kind(out) == JV_KIND_STRING)
		key = xstrdup(jv_string_value(out));
	else if (rc == 1 && jv_get_kind(out) == JV_KIND_NUMBER)
		return json_dump(out);
	else if (rc == -1) {
		/* jq's own words: which filter, which value */
		char *m = json_error_text(out);

		snprintf(d->key_why, sizeof(d->key_why), "--key failed: %s", m);
		free(m);
		*why = d->key_why;
		return NULL;
	} else
		*why = "--key gave neither a string nor a number";
	jv_free(out);
	return key;
}

static uint32_t
id_hash(const char *id, size_t len)
{
	return (uint32_t)lines_hash(id, len);
}

/* The identity id (of hash h) in the table, added when new. */
static struct ident *
slot(struct diff *d, const char *id, size_t len, uint32_t h)
{
	size_t i = (size_t)h & (d->cap - 1);
	struct ident *e;

	for (;; i = (i + 1) & (d->cap - 1)) {
		e = &d->tab[i];
		if (e->id == NULL) {
			e->id = id;
			e->len = (uint32_t)len;
			e->hash = h;
			e->rec[0] = e->rec[1] = e->rec[2] = -1;
			return e;
		}
		if (e->hash == h && e->len == len && memcmp(e->id, id, len) == 0)
			return e;
	}
}

/* --- identities ----------------------------------------------------------
 * Finding the ids in the bytes is most of the work when few records
 * changed; it needs nothing shared, so two threads share it. The table
 * is then filled, and read, a few records ahead of where the work is
 * (__builtin_prefetch): with 100,000s of identities every visit to it
 * was a cache miss (perf, make bench). */
#define AHEAD 16

struct id_range {
	struct diff *d;
	size_t from, to; /* over the records of all sets, in order */
};

static void *
find_ids(void *arg)
{
	struct id_range *r = arg;
	struct diff *d = r->d;
	const struct line *ln;
	struct rec *rec;
	size_t k, i, len;
	int s;

	for (k = r->from, s = 0, i = k; k < r->to; k++, i++) {
		while (i >= d->set[s].in.n)
			i -= d->set[s++].in.n;
		ln = &d->set[s].in.v[i];
		rec = &d->set[s].r[i];
		rec->id = json_top_string(ln->p, ln->len, "id", &len);
		if (rec->id == NULL || len == 0 || len > NDJSON_MAX_LINE) {
			rec->id = NULL; /* index_sets parses it */
			continue;
		}
		rec->idlen = (uint32_t)len;
		rec->hash = id_hash(rec->id, len);
	}
	return NULL;
}

/* Index every record of every set by its identity: its id, found in the
 * bytes where possible, else the id derived from its --key. */
static void
index_sets(struct diff *d)
{
	const struct line *ln;
	struct ident *e;
	struct rec *rec;
	struct id_range half[2];
	pthread_t other;
	const char *id, *why;
	char *key;
	size_t total = 0, len;
	long i;
	int s, threaded;
	jv ev;

	for (s = 0; s < d->nsets; s++)
		total += d->set[s].in.n;
	for (d->cap = 16; d->cap < 2 * total; d->cap *= 2)
		;
	d->tab = xcalloc(d->cap, sizeof(*d->tab));
	half[0] = (struct id_range){d, 0, total / 2};
	half[1] = (struct id_range){d, total / 2, total};
	threaded = total >= 4096 &&
	    pthread_create(&other, NULL, find_ids, &half[1]) == 0;
	find_ids(&half[0]);
	if (threaded)
		pthread_join(other, NULL);
	else
		find_ids(&half[1]);

	for (s = 0; s < d->nsets; s++) {
		for (i = 0; i < (long)d->set[s].in.n; i++) {
			if (i + AHEAD < (long)d->set[s].in.n &&
			    d->set[s].r[i + AHEAD].id != NULL)
				__builtin_prefetch(&d->tab[d->set[s].r[i + AHEAD].hash &
				    (d->cap - 1)]);
			ln = &d->set[s].in.v[i];
			rec = &d->set[s].r[i];
			id = rec->id;
			len = rec->idlen;
			if (id == NULL) {
				ev = diff_parsed(d, s, i);
				if ((id = json_str(ev, "id")) != NULL && *id != '\0') {
					len = strlen(id);
				} else if ((key = diff_local_key(d, ev, &why)) != NULL) {
					id = keep(d, event_id_for_key(d->owner, key));
					len = strlen(id);
					free(key);
				} else
					bad_input(d, "'%s' line %zu: no id, and %s",
					    d->set[s].in.name, ln->lineno, why);
				if (len > NDJSON_MAX_LINE)
					bad_input(d, "'%s' line %zu: an id of %zu bytes",
					    d->set[s].in.name, ln->lineno, len);
				rec->hash = id_hash(id, len);
			}
			if (!event_id_okn(id, len)) {
				/* an id Google makes but refuses on insert
				 * (instances, Gmail's, split series'): the
				 * identity is the id a copy gets, so that the
				 * copy is found again (gcal-records(5)) */
				key = xstrndup(id, len);
				id = keep(d, event_insert_id(d->owner, key));
				free(key);
				len = strlen(id);
				rec->hash = id_hash(id, len);
			}
			e = slot(d, id, len, rec->hash);
			if (e->rec[s] != -1)
				bad_input(d, "'%s' line %zu: the same event as line "
				    "%zu ('%.*s')", d->set[s].in.name, ln->lineno,
				    d->set[s].in.v[e->rec[s]].lineno, (int)len, id);
			e->rec[s] = (int32_t)i;
			rec->ident = e;
		}
	}
}

static int
cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->id,
	    ((const struct change *)b)->id);
}

static void
load(struct diff *d, int s, const char *path)
{
	struct set *st = &d->set[s];
	size_t i;

	if (lines_load(&st->in, path) == -1) {
		warn("'%s'", path);
		diff_free(d);
		exit(EX_NOINPUT);
	}
	if (st->in.n > INT32_MAX)
		errx(EX_DATAERR, "'%s': more than %d records", st->in.name,
		    INT32_MAX);
	st->r = xcalloc(st->in.n ? st->in.n : 1, sizeof(*st->r));
	for (i = 0; i < st->in.n; i++)
		st->r[i].ev = jv_invalid();
}

int
diff_op_index(const char *op)
{
	static const char *const ops[] = {"insert", "update", "delete",
	    "conflict"};
	int i;

	for (i = 0; i < DIFF_NCOUNTS; i++)
		if (strcmp(op, ops[i]) == 0)
			return i;
	return -1;
}

int
diff_prefer_parse(const char *word)
{
	static const char *const names[] = {"local", "remote", "newest"};
	static const enum diff_prefer policies[] = {DIFF_PREFER_LOCAL,
	    DIFF_PREFER_REMOTE, DIFF_PREFER_NEWEST};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(word, names[i]) == 0)
			return (int)policies[i];
	return -1;
}

size_t
diff_sets(const char *const *paths, int nsets, const struct diff_options *o,
    FILE *fp, size_t counts[DIFF_NCOUNTS])
{
	struct diff d = {0};
	struct ident *e;
	size_t i, n;
	int s;

	d.owner = o->owner;
	d.all = o->all;
	d.prefer = o->prefer;
	d.key = o->key;
	d.nsets = nsets;
	for (s = 0; s < nsets; s++)
		load(&d, s, paths[s]);
	index_sets(&d);
	/* Each identity once, in the order of the inputs rather than of the
	 * table: inputs in much the same order (mirrors are sorted by id)
	 * are then compared front to back, not at random (make bench). */
	for (s = 0; s < nsets; s++) {
		for (i = 0; i < d.set[s].in.n; i++) {
			if (i + AHEAD < d.set[s].in.n)
				__builtin_prefetch(d.set[s].r[i + AHEAD].ident);
			e = d.set[s].r[i].ident;
			if (e->done)
				continue;
			e->done = 1;
			if (nsets == 3)
				diff_three_way(&d, e);
			else
				diff_two_way(&d, e);
		}
	}
	if (d.nout > 0)
		qsort(d.out, d.nout, sizeof(*d.out), cmp_change);
	for (i = 0; i < d.nout; i++) {
		fputs(d.out[i].line, fp);
		putc('\n', fp);
	}
	for (i = 0; i < DIFF_NCOUNTS; i++)
		counts[i] = d.count[i];
	n = d.nout;
	d.key = NULL; /* the caller's */
	diff_free(&d);
	return n;
}
