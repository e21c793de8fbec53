/* Unit tests of lib/mirror.c: an unsorted build sorted in runs and merged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/gcal-unit-mirror.XXXXXX";

/* An unsorted mirror build sorts in runs of a few MB and merges them:
 * 30,000 lines of about 700 bytes make several runs. Ids come in a
 * scrambled order, some twice (in the same run and in different runs):
 * the mirror must hold each id once, in order, with its last line. */
static void
test_mirror_runs(void)
{
	struct mirror *m;
	struct mirror_build *b;
	struct mirror_reader *r;
	const char *id, *json;
	char idbuf[32], *pad = xmalloc(701), *line, *prev = NULL;
	size_t idlen, jsonlen, i, n = 30000, lines = 0, in_order = 1, last_ok = 1;
	unsigned k;
	int added = 0;

	memset(pad, 'x', 700);
	pad[700] = '\0';
	setenv("XDG_STATE_HOME", tmpdir, 1);
	m = mirror_open("unit", "runs@example.com", 0);
	b = m ? mirror_build_new(m, 0) : NULL;
	ok(b != NULL, "an unsorted mirror build starts");
	for (i = 0; b && i < n + 2000; i++) {
		/* i < n: every id once, scrambled; then 2,000 again, later */
		k = i < n ? (unsigned)(i * 7919u % n) : (unsigned)((i - n) * 13u % n);
		snprintf(idbuf, sizeof(idbuf), "ev%06u", k);
		line = xasprintf("{\"id\":\"%s\",\"v\":%s,\"pad\":\"%s\"}", idbuf,
		    i < n ? "1" : "2", pad);
		added += mirror_build_add(b, idbuf, strlen(idbuf), line, strlen(line)) == 0;
		free(line);
	}
	ok(added == (int)n + 2000, "%d lines are added", added);
	ok(b && mirror_build_finish(b) == 0, "the runs merge");
	r = b ? mirror_build_read(b) : NULL;
	while (r && mirror_next(r, &id, &idlen, &json, &jsonlen) == 1) {
		unsigned num = (unsigned)strtoul(id + 2, NULL, 10);
		int again = 0;

		for (k = 0; k < 2000; k++)
			if (k * 13u % n == num)
				again = 1;
		if (prev && strcmp(prev, id) >= 0)
			in_order = 0;
		free(prev);
		prev = xstrdup(id);
		if ((memmem(json, jsonlen, "\"v\":2", 5) != NULL) != again)
			last_ok = 0;
		lines++;
	}
	ok(lines == n, "the mirror has each id once (%zu lines)", lines);
	ok(in_order, "... in id order");
	ok(last_ok, "... each with its last line");
	free(prev);
	if (r)
		mirror_read_close(r);
	mirror_build_free(b);
	mirror_close(m);
	free(pad);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	test_mirror_runs();
	state_remove_tree(tmpdir, NULL);
	return done_testing();
}
