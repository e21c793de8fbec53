/* sort: an external merge sort of keyed lines (see sort.h).
 *
 * A full pull lists events in no useful order. Lines gather in memory;
 * every run_bytes they are sorted by key and written to the temporary
 * file as one run, while the pull is still waiting for pages. Finishing
 * merges the runs through a heap, the later of two lines for one key
 * winning. Memory holds one run and a read buffer per run, and the file
 * is read once, in order (a read per line was most of a 100,000-event
 * pull's time after its last page: make bench). */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"
#include "sort.h"
#include "util.h"

/* A line of the run being gathered: "KEY\tVALUE" at off in the run buffer. */
struct run_line {
	const char *p; /* set just before sorting (the buffer moves) */
	size_t off;
	size_t klen;
	size_t len;
};

/* A sorted run in the temporary file. */
struct run {
	off_t off;
	off_t end;
};

struct sort {
	FILE *tmp;
	char *tmpname;
	size_t run_bytes;
	struct buf run;       /* the run being gathered */
	struct run_line *rl;
	size_t nrl;
	struct run *runs;     /* ... and the runs written */
	size_t nruns;
	off_t off;            /* bytes in the temporary file */
};

struct sort *
sort_new(FILE *tmp, const char *tmpname, size_t run_bytes)
{
	struct sort *s = xcalloc(1, sizeof(*s));

	s->tmp = tmp;
	s->tmpname = xstrdup(tmpname);
	s->run_bytes = run_bytes ? run_bytes : SORT_RUN_BYTES;
	return s;
}

void
sort_free(struct sort *s)
{
	if (s == NULL)
		return;
	if (s->tmp)
		fclose(s->tmp);
	buf_free(&s->run);
	free(s->rl);
	free(s->runs);
	free(s->tmpname);
	free(s);
}

static int
run_line_cmp(const void *pa, const void *pb)
{
	const struct run_line *a = pa, *b = pb;
	int c = bytes_cmp(a->p, a->klen, b->p, b->klen);

	/* the later line of one key last: it is the one kept */
	return c != 0 ? c : (a->off > b->off) - (a->off < b->off);
}

/* Sort the lines gathered and write them as a run: 0 or -1. */
static int
write_run(struct sort *s)
{
	off_t start = s->off;
	size_t i;
	struct run_line *l;

	if (s->nrl == 0)
		return 0;
	for (i = 0; i < s->nrl; i++)
		s->rl[i].p = s->run.data + s->rl[i].off;
	qsort(s->rl, s->nrl, sizeof(*s->rl), run_line_cmp);
	for (i = 0; i < s->nrl; i++) {
		l = &s->rl[i];
		if (i + 1 < s->nrl && bytes_cmp(l->p, l->klen, l[1].p, l[1].klen) == 0)
			continue; /* a later line for the same key wins */
		if (fwrite(l->p, 1, l->len, s->tmp) != l->len ||
		    putc('\n', s->tmp) == EOF) {
			warn("'%s'", s->tmpname);
			return -1;
		}
		s->off += (off_t)(l->len + 1);
	}
	s->runs = xreallocarray(s->runs, s->nruns + 1, sizeof(*s->runs));
	s->runs[s->nruns].off = start;
	s->runs[s->nruns].end = s->off;
	s->nruns++;
	buf_reset(&s->run);
	s->nrl = 0;
	return 0;
}

int
sort_add(struct sort *s, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	s->rl = xreallocarray(s->rl, s->nrl + 1, sizeof(*s->rl));
	s->rl[s->nrl].off = s->run.len;
	s->rl[s->nrl].klen = klen;
	s->rl[s->nrl].len = klen + 1 + vlen;
	s->nrl++;
	buf_add(&s->run, key, klen);
	buf_addc(&s->run, '\t');
	buf_add(&s->run, val, vlen);
	return s->run.len >= s->run_bytes ? write_run(s) : 0;
}

/* A run read back, a line at a time. */
struct run_reader {
	struct line_reader *in;
	const char *line;   /* the current line, "KEY\tVALUE" */
	size_t linelen, klen;
	size_t index;       /* the run's place: a later run wins */
};

/* The run's next line: 1, 0 at its end, -1 on a read error (errno). */
static int
run_next(struct run_reader *r)
{
	const char *tab;
	char *line;
	int rc;

	if ((rc = lines_next(r->in, &line, &r->linelen)) != 1)
		return rc;
	if (!lines_ended(r->in)) {
		errno = EIO; /* a run ends with a newline */
		return -1;
	}
	r->line = line;
	tab = memchr(line, '\t', r->linelen);
	r->klen = tab ? (size_t)(tab - line) : r->linelen;
	return 1;
}

/* Heap order of the runs' current lines: key, then the earlier run. */
static int
reader_less(const struct run_reader *a, const struct run_reader *b)
{
	int c = bytes_cmp(a->line, a->klen, b->line, b->klen);

	return c != 0 ? c < 0 : a->index < b->index;
}

static void
heap_down(struct run_reader **h, size_t n, size_t i)
{
	struct run_reader *t;
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && reader_less(h[c + 1], h[c]))
			c++;
		if (!reader_less(h[c], h[i]))
			break;
		t = h[i], h[i] = h[c], h[c] = t;
		i = c;
	}
}

static void
heap_push(struct run_reader **h, size_t *n, struct run_reader *r)
{
	struct run_reader *t;
	size_t i = (*n)++;

	h[i] = r;
	while (i > 0 && reader_less(h[i], h[(i - 1) / 2])) {
		t = h[i], h[i] = h[(i - 1) / 2], h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Advance r and put it back in the heap unless it is done: 0 or -1. */
static int
heap_refill(struct sort *s, struct run_reader **h, size_t *n,
    struct run_reader *r)
{
	int more = run_next(r);

	if (more == -1) {
		warn("'%s'", s->tmpname);
		return -1;
	}
	if (more)
		heap_push(h, n, r);
	return 0;
}

/* Merge the runs of the temporary file into out: 0 or -1. */
static int
merge_runs(struct sort *s, FILE *out, const char *outname, size_t *lines)
{
	size_t k = s->nruns ? s->nruns : 1, i, n = 0, nsame;
	struct run_reader *rd = xcalloc(k, sizeof(*rd));
	struct run_reader **h = xcalloc(k, sizeof(*h));
	struct run_reader **same = xcalloc(k, sizeof(*same));
	struct run_reader *win;
	int rc = 0;

	for (i = 0; i < s->nruns; i++) {
		rd[i].in = lines_open_range(fileno(s->tmp), s->runs[i].off,
		    s->runs[i].end);
		rd[i].index = i;
	}
	for (i = 0; i < s->nruns && rc == 0; i++)
		rc = heap_refill(s, h, &n, &rd[i]);
	while (rc == 0 && n > 0) {
		/* every run's line for the smallest key, earliest run first:
		 * the last one wins */
		nsame = 0;
		do {
			same[nsame++] = h[0];
			h[0] = h[--n];
			heap_down(h, n, 0);
		} while (n > 0 && bytes_cmp(h[0]->line, h[0]->klen, same[0]->line,
		    same[0]->klen) == 0);
		win = same[nsame - 1];
		if (fwrite(win->line, 1, win->linelen, out) != win->linelen ||
		    putc('\n', out) == EOF) {
			warn("'%s'", outname);
			rc = -1;
			break;
		}
		(*lines)++;
		for (i = 0; i < nsame && rc == 0; i++)
			rc = heap_refill(s, h, &n, same[i]);
	}
	for (i = 0; i < s->nruns; i++)
		lines_close(rd[i].in);
	free(rd);
	free(h);
	free(same);
	return rc;
}

int
sort_finish(struct sort *s, FILE *out, const char *outname, size_t *n)
{
	*n = 0;
	if (write_run(s) == -1)
		return -1;
	if (fflush(s->tmp) == EOF) {
		warn("'%s'", s->tmpname);
		return -1;
	}
	return merge_runs(s, out, outname, n);
}

int
sort_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
