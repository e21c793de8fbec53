/* Unit tests of lib/sort.c: the external merge sort of keyed lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sort.h"
#include "util.h"
#include "tap.h"

static char tmpname[] = "/tmp/gcal-sort-XXXXXX";

/* A sort over a fresh temporary file, runs of run_bytes. */
static struct sort *
new_sort(size_t run_bytes)
{
	int fd = mkstemp(tmpname);
	FILE *fp = fd == -1 ? NULL : fdopen(fd, "w+");

	if (fp == NULL)
		return NULL;
	unlink(tmpname); /* the sort reads it by its descriptor */
	memcpy(tmpname + strlen(tmpname) - 6, "XXXXXX", 6);
	return sort_new(fp, "tmp", run_bytes);
}

/* The sorted output of s as one string; the caller frees. */
static char *
finish(struct sort *s, size_t *n, int *rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	*rc = sort_finish(s, out, "out", n);
	fclose(out);
	sort_free(s);
	return text;
}

static void
add(struct sort *s, const char *key, const char *val)
{
	sort_add(s, key, strlen(key), val, strlen(val));
}

/* Small sorts: the pairs added (key, value, ..., NULL), the runs' size,
 * the output and its line count. Keys that are prefixes of each other
 * order by bytes, then length; bytes above 0x7f after ASCII (unsigned). */
static const struct {
	const char *what;
	size_t run_bytes;
	const char *kv[9];
	const char *want;
	size_t lines;
} small[] = {
	{ "one run: sorted by key, the later line of a key kept", 0,
	  { "b", "2", "a", "1", "c", "3", "b", "22", NULL },
	  "a\t1\nb\t22\nc\t3\n", 3 },
	{ "nothing added: empty output", 0, { NULL }, "", 0 },
	{ "keys in byte order across runs", 8,
	  { "ab", "x", "a\xc3\xa9", "y", "a", "z", "B", "w", NULL },
	  "B\tw\na\tz\nab\tx\na\xc3\xa9\ty\n", 4 },
};

static void
test_small(void)
{
	const char *const *kv;
	struct sort *s;
	size_t i, n;
	char *got;
	int rc;

	for (i = 0; i < sizeof small / sizeof small[0]; i++) {
		s = new_sort(small[i].run_bytes);
		for (kv = small[i].kv; *kv; kv += 2)
			add(s, kv[0], kv[1]);
		n = 99;
		got = finish(s, &n, &rc);
		is_str(got, small[i].want, "%s", small[i].what);
		ok(rc == 0 && n == small[i].lines, "... finishes, counting %zu lines (%zu)",
		    small[i].lines, n);
		free(got);
	}
}

/* Many runs: 5,000 lines of 1,000 keys in a scrambled order, each key
 * added five times; the last value of each key must come out, sorted. */
static void
test_many_runs(void)
{
	struct sort *s = new_sort(256);
	char key[16], val[16], *got, *line, *save;
	size_t n, i, bad = 0, k = 0, prev = 0;
	int rc, round;

	for (round = 0; round < 5; round++)
		for (i = 0; i < 1000; i++) {
			size_t j = (i * 7919) % 1000;

			snprintf(key, sizeof(key), "k%04zu", j);
			snprintf(val, sizeof(val), "r%d", round);
			add(s, key, val);
		}
	got = finish(s, &n, &rc);
	ok(rc == 0, "many runs: finishes");
	ok(n == 1000, "many runs: one line per key (%zu)", n);
	for (line = got; line && *line; line = save) {
		save = strchr(line, '\n');
		*save++ = '\0';
		if (sscanf(line, "k%zu\tr%d", &i, &round) != 2 || round != 4 ||
		    (k > 0 && i <= prev))
			bad++;
		prev = i;
		k++;
	}
	ok(bad == 0 && k == 1000, "many runs: sorted, the last round's value kept (%zu bad)", bad);
	free(got);
}

static void
test_cmp_str(void)
{
	const char *v[] = {"b", "a", "ab", "A"};

	qsort(v, 4, sizeof(*v), sort_cmp_str);
	ok(strcmp(v[0], "A") == 0 && strcmp(v[1], "a") == 0 &&
	    strcmp(v[2], "ab") == 0 && strcmp(v[3], "b") == 0,
	    "sort_cmp_str orders an array of strings by strcmp");
}

int
main(void)
{
	test_small();
	test_many_runs();
	test_cmp_str();
	return done_testing();
}
