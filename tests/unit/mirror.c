/* Unit tests of lib/mirror.c and lib/mirror_delta.c: builds, changes
 * applied as a delta file, the delta folded in, and mirrors written
 * before "journal" was renamed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "mirror.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static char top[] = "/tmp/gcal-mirror-XXXXXX";

/* Every line of the current mirror as "ID=JSON;"; the caller frees. */
static char *
contents(struct mirror *m)
{
	struct mirror_reader *r = mirror_read(m);
	struct buf b = {0};
	const char *id, *js;
	size_t il, jl;

	while (mirror_next(r, &id, &il, &js, &jl) == 1) {
		buf_add(&b, id, il);
		buf_addc(&b, '=');
		buf_add(&b, js, jl);
		buf_addc(&b, ';');
	}
	mirror_read_close(r);
	buf_addc(&b, '\0');
	return buf_take(&b);
}

static const char *
state_key(struct mirror *m, const char *key)
{
	char *path = state_path(STATE_STATE, "p", "sync/cal/state.json");
	static char val[64];
	jv st = json_read_file(path);
	const char *s = json_str(st, key);

	snprintf(val, sizeof(val), "%s", s ? s : "");
	jv_free(st);
	free(path);
	(void)m;
	return val;
}

static struct mirror *
full_build(void)
{
	struct mirror *m = mirror_open("p", "cal", 0);
	struct mirror_build *b = mirror_build_new(m, 0);

	mirror_build_add(b, "c", 1, "{\"n\":3}", 7);
	mirror_build_add(b, "a", 1, "{\"n\":1}", 7);
	mirror_build_add(b, "b", 1, "{\"n\":2}", 7);
	mirror_build_add(b, "a", 1, "{\"n\":11}", 8);
	ok(mirror_build_finish(b) == 0 && mirror_commit(m, b, "t1", "UTC") == 0,
	    "an unsorted build finishes and commits");
	mirror_build_free(b);
	return m;
}

static void
test_build_and_apply(void)
{
	struct mirror *m = full_build();
	struct mirror_change ch[] = {
		{"b", NULL, 0},
		{"d", "{\"n\":4}", 0},
	};
	char **gone, *got;
	size_t ngone;

	got = contents(m);
	is_str(got, "a={\"n\":11};b={\"n\":2};c={\"n\":3};", "the build is sorted, the later line of an id kept");
	free(got);
	ok(mirror_apply(m, ch, 2, "t2", "UTC", &gone, &ngone) == 0 && ngone == 0,
	    "two changes apply");
	is_str(state_key(m, "delta"), "delta.1", "... written as the delta file delta.1");
	is_str(mirror_sync_token(m), "t2", "... with the new sync token");
	got = contents(m);
	is_str(got, "a={\"n\":11};c={\"n\":3};d={\"n\":4};", "the delta is read over the mirror file");
	free(got);
	mirror_close(m);
	m = mirror_open("p", "cal", 0);
	got = contents(m);
	is_str(got, "a={\"n\":11};c={\"n\":3};d={\"n\":4};", "... also when the mirror is opened again");
	free(got);
	mirror_close(m);
}

/* A recurring event removed takes its instances along, but not a series
 * split off from it. */
static void
test_orphans(void)
{
	struct mirror *m = mirror_open("p", "cal", 0);
	struct mirror_build *b = mirror_build_new(m, 1);
	struct mirror_change ch[] = {{"r", NULL, 1}};
	char **gone, *got;
	size_t ngone, i;

	mirror_build_add(b, "r", 1, "{}", 2);
	mirror_build_add(b, "r_20261123T090000Z", 18, "{}", 2);
	mirror_build_add(b, "r_R20170911T120000", 18, "{}", 2);
	mirror_build_add(b, "s", 1, "{}", 2);
	mirror_build_finish(b);
	mirror_commit(m, b, "t", NULL);
	mirror_build_free(b);
	ok(mirror_apply(m, ch, 1, "t3", NULL, &gone, &ngone) == 0 && ngone == 1 &&
	    strcmp(gone[0], "r_20261123T090000Z") == 0,
	    "a removed recurring event lists its instance as gone");
	got = contents(m);
	is_str(got, "r_R20170911T120000={};s={};", "... and the split-off series stays");
	free(got);
	for (i = 0; i < ngone; i++)
		free(gone[i]);
	free(gone);
	mirror_close(m);
}

/* Before the rename, state.json named its delta "journal" (journal.K). */
static void
test_old_journal(void)
{
	char *dir = state_path(STATE_STATE, "p", "sync/cal"), *path;
	struct mirror *m = mirror_open("p", "cal", 0);
	struct mirror_build *b = mirror_build_new(m, 1);
	struct mirror_change ch[] = {{"y", "{\"n\":25}", 0}};
	char **gone, *got;
	size_t ngone;
	FILE *fp;

	mirror_build_add(b, "x", 1, "{}", 2);
	mirror_build_finish(b);
	mirror_commit(m, b, "t", NULL);
	mirror_build_free(b);
	mirror_close(m);
	path = xasprintf("%s/journal.4", dir);
	fp = fopen(path, "w");
	fputs("x\t\ny\t{\"n\":24}\n", fp);
	fclose(fp);
	free(path);
	path = xasprintf("%s/state.json", dir);
	state_write_json(path, jv_parse("{\"calendar\":\"cal\",\"mirror\":\"mirror.1\","
	    "\"journal\":\"journal.4\",\"events\":1,\"syncToken\":\"t\"}"));
	free(path);
	m = mirror_open("p", "cal", 0);
	got = contents(m);
	is_str(got, "y={\"n\":24};", "a journal (the old name) is read as the delta");
	free(got);
	ok(mirror_apply(m, ch, 1, "t4", NULL, &gone, &ngone) == 0, "a change applies over it");
	is_str(state_key(m, "delta"), "delta.5", "... as the next delta, numbered after the journal");
	is_str(state_key(m, "journal"), "", "... and the state names no journal");
	path = xasprintf("%s/journal.4", dir);
	ok(access(path, F_OK) == -1 && errno == ENOENT, "... whose file is removed");
	free(path);
	got = contents(m);
	is_str(got, "y={\"n\":25};", "... and what it held is kept");
	free(got);
	free(gone);
	mirror_close(m);
	free(dir);
}

/* A delta grown past 512 plus an eighth of the events is folded into a
 * new mirror file. */
static void
test_fold(void)
{
	struct mirror *m = mirror_open("p", "cal", 0);
	struct mirror_change *ch = xcalloc(600, sizeof(*ch));
	char **gone, *got;
	size_t ngone, i;

	for (i = 0; i < 600; i++) {
		ch[i].id = xasprintf("e%03zu", i);
		ch[i].json = "{}";
	}
	ok(mirror_apply(m, ch, 600, "t5", NULL, &gone, &ngone) == 0, "600 changes apply");
	is_str(state_key(m, "delta"), "", "... folded into the mirror file: no delta");
	is_str(state_key(m, "mirror"), "mirror.2", "... a new mirror file");
	got = contents(m);
	ok(strncmp(got, "e000={};e001={};", 16) == 0 && strstr(got, "e599={};y=") != NULL,
	    "... holding the old events and the new");
	free(got);
	for (i = 0; i < 600; i++)
		free((char *)ch[i].id);
	free(ch);
	free(gone);
	mirror_close(m);
}

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
	char *sync;

	if (mkdtemp(top) == NULL)
		return 1;
	setenv("XDG_STATE_HOME", top, 1);
	test_build_and_apply();
	sync = state_path(STATE_STATE, "p", "sync");
	state_remove_tree(sync, NULL);
	test_orphans();
	state_remove_tree(sync, NULL);
	test_old_journal();
	test_fold();
	test_mirror_runs();
	state_remove_tree(top, NULL);
	rmdir(top);
	free(sync);
	return done_testing();
}
