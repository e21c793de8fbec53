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

/* The output of a sort with runs of run_bytes over the key, value pairs
 * of kv (NULL-terminated); *n its line count. The caller frees. */
static char *
sorted(size_t run_bytes, const char *const *kv, size_t *n, int *rc)
{
	struct sort *s = new_sort(run_bytes);

	for (; *kv; kv += 2)
		add(s, kv[0], kv[1]);
	return finish(s, n, rc);
}

static void
test_one_run(void)
{
	static const char *const kv[] = {
		"b", "2", "a", "1", "c", "3", "b", "22", NULL
	};
	size_t n;
	int rc;
	char *got = sorted(0, kv, &n, &rc);

	ok(rc == 0, "one run: finishes");
	is_str(got, "a\t1\nb\t22\nc\t3\n", "one run: sorted by key, the later line of a key kept");
	ok(n == 3, "one run: counts the lines written (%zu)", n);
	free(got);
}

static void
test_empty(void)
{
	size_t n = 99;
	int rc;
	char *got = finish(new_sort(0), &n, &rc);

	ok(rc == 0 && n == 0, "nothing added: no lines");
	is_str(got, "", "nothing added: empty output");
	free(got);
}

/* Keys that are prefixes of each other order by bytes, then length;
 * bytes above 0x7f after ASCII (unsigned). */
static void
test_byte_order(void)
{
	static const char *const kv[] = {
		"ab", "x", "a\xc3\xa9", "y", "a", "z", "B", "w", NULL
	};
	size_t n;
	int rc;
	char *got = sorted(8, kv, &n, &rc);

	is_str(got, "B\tw\na\tz\nab\tx\na\xc3\xa9\ty\n", "keys in byte order across runs");
	free(got);
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
	test_one_run();
	test_empty();
	test_byte_order();
	test_many_runs();
	test_cmp_str();
	return done_testing();
}
