/* Unit tests of lib/lines.c: the line reader, and whole inputs indexed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"
#include "util.h"
#include "tap.h"

static char path[] = "/tmp/gcal-lines-XXXXXX";

/* The file holds n bytes of text (n 0: strlen). */
static void
put(const char *text, size_t n)
{
	if (n == 0)
		n = strlen(text);
	FILE *fp = fopen(path, "w");

	fwrite(text, 1, n, fp);
	fclose(fp);
}

static void
test_reader(void)
{
	struct line_reader *r;
	char *line;
	size_t len;

	put("one\n\ntwo\r\nthree", 0);
	r = lines_open(path);
	ok(r != NULL, "a file opens");
	ok(lines_next(r, &line, &len) == 1 && len == 3 && strcmp(line, "one") == 0,
	    "the first line, without its newline, NUL-terminated");
	ok(lines_ended(r), "... which it ended with");
	ok(lines_next(r, &line, &len) == 1 && len == 0, "an empty line is a line");
	ok(lines_next(r, &line, &len) == 1 && len == 4 && memcmp(line, "two\r", 4) == 0,
	    "a carriage return is the caller's to drop");
	ok(lines_next(r, &line, &len) == 1 && len == 5 && strcmp(line, "three") == 0,
	    "a last line without a newline is a line");
	ok(!lines_ended(r), "... and says so");
	ok(lines_lineno(r) == 4, "four lines counted (%zu)", lines_lineno(r));
	ok(lines_next(r, &line, &len) == 0, "then the end");
	ok(lines_next(r, &line, &len) == 0, "... which stays the end");
	lines_close(r);
}

/* A line far longer than the reader's buffer, between short ones. */
static void
test_long_line(void)
{
	size_t n = 300000, len;
	char *text = xmalloc(n + 8), *line;
	struct line_reader *r;
	int same;

	memcpy(text, "a\n", 2);
	memset(text + 2, 'x', n);
	memcpy(text + 2 + n, "\nb\n", 3);
	put(text, n + 5);
	r = lines_open(path);
	ok(lines_next(r, &line, &len) == 1 && strcmp(line, "a") == 0, "a short line");
	same = lines_next(r, &line, &len) == 1 && len == n &&
	    strspn(line, "x") == n && line[n] == '\0';
	ok(same, "a line of %zu bytes comes whole", n);
	ok(lines_next(r, &line, &len) == 1 && strcmp(line, "b") == 0, "and the short line after it");
	ok(lines_next(r, &line, &len) == 0, "then the end");
	lines_close(r);
	free(text);
}

static void
test_range(void)
{
	struct line_reader *r;
	char *line;
	size_t len;
	int fd;

	put("skip\nin 1\nin 2\nafter\n", 0);
	fd = open(path, O_RDONLY);
	r = lines_open_range(fd, 5, 15);
	ok(lines_next(r, &line, &len) == 1 && strcmp(line, "in 1") == 0, "a range starts at its offset");
	ok(lines_next(r, &line, &len) == 1 && strcmp(line, "in 2") == 0, "... reads its lines");
	ok(lines_next(r, &line, &len) == 0, "... and ends at its end");
	lines_close(r);
	r = lines_open_range(fd, 15, 40);
	ok(lines_next(r, &line, &len) == 1 && strcmp(line, "after") == 0, "a range past the end of the file");
	errno = 0;
	ok(lines_next(r, &line, &len) == -1 && errno == EIO, "... is a read error (EIO)");
	lines_close(r);
	ok(fcntl(fd, F_GETFD) != -1, "the descriptor of a range stays open");
	close(fd);
}

static void
test_open_errors(void)
{
	errno = 0;
	ok(lines_open("/") == NULL && errno == EISDIR, "a directory is refused (EISDIR)");
	errno = 0;
	ok(lines_open("/nonexistent/x") == NULL && errno == ENOENT, "a missing file (ENOENT)");
}

static void
test_load(void)
{
	struct lines l;

	put("{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}", 0);
	ok(lines_load(&l, path) == 0, "lines_load reads a file");
	ok(l.n == 3, "... indexes its non-empty lines (%zu)", l.n);
	ok(l.n == 3 && l.v[1].len == 7 && memcmp(l.v[1].p, "{\"b\":2}", 7) == 0,
	    "... a final carriage return dropped");
	ok(l.n == 3 && l.v[1].lineno == 3 && l.v[2].lineno == 4, "... numbered as in the file");
	lines_free(&l);
	ok(lines_hash("", 0) == 0xcbf29ce484222325ULL, "lines_hash is FNV-1a (empty input)");
	ok(lines_hash("a", 1) == 0xaf63dc4c8601ec8cULL, "lines_hash is FNV-1a ('a')");
}

int
main(void)
{
	int fd = mkstemp(path);

	if (fd == -1)
		return 1;
	close(fd);
	test_reader();
	test_long_line();
	test_range();
	test_open_errors();
	test_load();
	unlink(path);
	return done_testing();
}
