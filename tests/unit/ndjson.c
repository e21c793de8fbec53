/* Unit tests of lib/ndjson.c: NDJSON records one at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "util.h"
#include "tap.h"
#include "testlib.h"

static void
test_ndjson(void)
{
	char *path = write_tmp("in.ndjson",
	    "{\"a\":1}\n\n{\"b\":\"x\"}\r\n[1]\n{\"c\":\xff}\n{bad\n{\"d\":2}");
	struct ndjson_reader *r = ndjson_open(path);
	jv v;

	ok(ndjson_read(r, &v) == 1 && json_num(v, "a", 0) == 1, "reads a record");
	jv_free(v);
	ok(ndjson_read(r, &v) == 1 && strcmp(json_str(v, "b"), "x") == 0,
	    "skips blank lines and a CR before the newline");
	jv_free(v);
	ok(ndjson_read(r, &v) == -1 && strstr(ndjson_error(r), "line 4: expected an object"),
	    "a non-object names its line: %s", ndjson_error(r));
	ok(ndjson_read(r, &v) == -1 && strstr(ndjson_error(r), "line 5") &&
	    strstr(ndjson_error(r), "not UTF-8"), "bad UTF-8 is refused: %s", ndjson_error(r));
	ok(ndjson_read(r, &v) == -1 && strstr(ndjson_error(r), "in.ndjson' line 6: bad JSON"),
	    "bad JSON names file and line: %s", ndjson_error(r));
	ok(ndjson_read(r, &v) == 1 && json_num(v, "d", 0) == 2, "a last line without newline is read");
	jv_free(v);
	ok(ndjson_read(r, &v) == 0, "then the end");
	ndjson_close(r);
	free(path);
	ok(ndjson_open("/nonexistent/x") == NULL && errno == ENOENT, "a missing file sets errno");
}

/* The bytes of each record as read, and where a bad one is. */
static void
test_line(void)
{
	char *path = write_tmp("line.ndjson", "{\"b\":1, \"a\":2}\n\n\n{\"c\":3}\n");
	struct ndjson_reader *r = ndjson_open(path);
	const char *line;
	size_t len;
	jv v;

	ok(ndjson_read(r, &v) == 1, "a record");
	jv_free(v);
	line = ndjson_line(r, &len);
	ok(len == strlen("{\"b\":1, \"a\":2}") && strncmp(line, "{\"b\":1, \"a\":2}", len) == 0,
	    "ndjson_line is the record's bytes as they came");
	ok(ndjson_read(r, &v) == 1 && ndjson_lineno(r) == 4, "blank lines count in the line number");
	jv_free(v);
	ndjson_close(r);
	unlink(path);
	free(path);
	errno = 0;
	ok(ndjson_open(test_dir) == NULL && errno == EISDIR, "a directory is refused (EISDIR)");
}

int
main(void)
{
	test_dir_make("ndjson");
	test_ndjson();
	test_line();
	test_dir_remove();
	return done_testing();
}
