/* Unit tests of lib/diff.c and lib/diff_rules.c: change records from sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"
#include "json.h"
#include "state.h"
#include "util.h"
#include "tap.h"
#include "testlib.h"

#define EV(id, sum) "{\"id\":\"" id "\",\"summary\":\"" sum "\"," \
	"\"start\":{\"dateTime\":\"2026-11-24T10:00:00Z\"}," \
	"\"end\":{\"dateTime\":\"2026-11-24T11:00:00Z\"}}\n"

/* The records diff_sets prints for paths, as "op id target;" each. */
static char *
run(const char *const *paths, int nsets, enum diff_prefer prefer,
    size_t counts[DIFF_NCOUNTS])
{
	struct diff_options o = {.owner = "gcal", .all = 1, .prefer = prefer};
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	struct ndjson_reader *r;
	struct buf b = {0};
	char *path;
	jv rec;

	diff_sets(paths, nsets, &o, fp, counts);
	fclose(fp);
	path = write_tmp("out", text);
	r = ndjson_open(path);
	while (ndjson_read(r, &rec) == 1) {
		buf_printf(&b, "%s %s %s;", json_str(rec, "op"), json_str(rec, "id"),
		    json_str(rec, "target"));
		jv_free(rec);
	}
	ndjson_close(r);
	free(path);
	free(text);
	buf_addc(&b, '\0');
	return buf_take(&b);
}

static void
test_names(void)
{
	ok(diff_op_index("insert") == DIFF_INSERTS && diff_op_index("update") == DIFF_UPDATES &&
	    diff_op_index("delete") == DIFF_DELETES && diff_op_index("conflict") == DIFF_CONFLICTS,
	    "diff_op_index counts each op under its own");
	ok(diff_op_index("upsert") == -1, "... and no other word");
	ok(diff_prefer_parse("local") == DIFF_PREFER_LOCAL &&
	    diff_prefer_parse("remote") == DIFF_PREFER_REMOTE &&
	    diff_prefer_parse("newest") == DIFF_PREFER_NEWEST, "diff_prefer_parse knows the three sides");
	ok(diff_prefer_parse("both") == -1, "... and no other");
}

static void
test_two_way(void)
{
	char *old = write_tmp("old", EV("a", "A") EV("b", "B") EV("c", "C"));
	char *new = write_tmp("new", EV("d", "D") EV("c", "C") EV("b", "B2"));
	const char *paths[] = {old, new};
	size_t counts[DIFF_NCOUNTS];
	char *got = run(paths, 2, DIFF_PREFER_NONE, counts);

	is_str(got, "delete a remote;update b remote;insert d remote;",
	    "two-way: a delete, an update and an insert, in id order");
	ok(counts[DIFF_INSERTS] == 1 && counts[DIFF_UPDATES] == 1 &&
	    counts[DIFF_DELETES] == 1 && counts[DIFF_CONFLICTS] == 0, "... each counted");
	free(got);
	free(old);
	free(new);
}

static void
test_three_way(void)
{
	char *local = write_tmp("local", EV("a", "A local") EV("b", "B") EV("c", "C local"));
	char *remote = write_tmp("remote", EV("a", "A") EV("b", "B remote") EV("c", "C remote"));
	char *base = write_tmp("base", EV("a", "A") EV("b", "B") EV("c", "C"));
	const char *paths[] = {local, remote, base};
	size_t counts[DIFF_NCOUNTS];
	char *got = run(paths, 3, DIFF_PREFER_NONE, counts);

	is_str(got, "update a remote;update b local;conflict c both;",
	    "three-way: each side's change goes to the other, both changed is a conflict");
	ok(counts[DIFF_CONFLICTS] == 1, "... counted as one");
	free(got);
	got = run(paths, 3, DIFF_PREFER_LOCAL, counts);
	is_str(got, "update a remote;update b local;update c remote;",
	    "--prefer local settles it for the local side");
	free(got);
	free(local);
	free(remote);
	free(base);
}

int
main(void)
{
	test_dir_make("diff");
	test_names();
	test_two_way();
	test_three_way();
	test_dir_remove();
	return done_testing();
}
