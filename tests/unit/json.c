/* Unit tests of lib/json.c: JSON text and files parsed, fields read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "util.h"
#include "tap.h"

/* json_parse refuses a NUL or a bad UTF-8 byte wherever it sits (the
 * check reads eight bytes at a time). */
static void
test_json_parse_refuses(void)
{
	char text[] = "[\"abcdefghijklmnopqrstuvwxyz0123456789\"]";
	size_t i, n = strlen(text), refused = 0, valid_utf8 = 0;
	jv v;

	for (i = 2; i < n - 2; i++) {
		char saved = text[i];

		text[i] = '\0';
		v = json_parse(text, n);
		refused += !jv_is_valid(v);
		jv_free(v);
		text[i] = (char)0xff;
		v = json_parse(text, n);
		refused += !jv_is_valid(v);
		jv_free(v);
		text[i] = saved;
	}
	ok(refused == 2 * (n - 4), "a NUL or 0xff anywhere is refused (%zu of %zu)",
	    refused, 2 * (n - 4));
	for (i = 0; i < 9; i++) {
		char *t = xasprintf("[\"%.*s\u00e9\xc3\xa9\"]", (int)i, "abcdefghi");

		v = json_parse(t, strlen(t));
		valid_utf8 += jv_is_valid(v);
		jv_free(v);
		free(t);
	}
	ok(valid_utf8 == 9, "UTF-8 after any number of ASCII bytes is accepted");
}

/* A parse error never quotes the text (it may be a key or a token). */
static void
test_parse_error_quiet(void)
{
	const char *texts[] = {"{\"client_secret\":\"GOCSPX-leak", "{\"a\":1}{\"b\"",
	    "-----BEGIN PRIVATE KEY-----\nMIIleak\n", "{\"a\":\"leak\001\"}",
	    "[1,2] leak", "", NULL};
	char *why;
	int i, silent = 0;
	jv v;

	for (i = 0; texts[i]; i++) {
		v = json_parse(texts[i], strlen(texts[i]));
		why = json_error_text(v);
		silent += strstr(why, "leak") == NULL && strstr(why, "while parsing") ==
		    NULL;
		free(why);
	}
	ok(silent == i, "no parse error quotes its text (%d of %d)", silent, i);
}

static void
test_files(void)
{
	char path[] = "/tmp/gcal-json-XXXXXX";
	int fd = mkstemp(path);
	char *why;
	jv v;

	const char *text = "{\n  \"a\": 1,\n  oops\n}\n";

	(void)!write(fd, text, strlen(text));
	close(fd);
	v = json_read_file(path);
	ok(!jv_is_valid(v) && errno == EINVAL, "a file that is not JSON: EINVAL");
	why = json_error_text(v);
	ok(strncmp(why, "line 4: not JSON (", 18) == 0, "... says its line first: %s", why);
	free(why);
	ok(json_load_file(path, "a test file", &v) == EX_DATAERR, "json_load_file: EX_DATAERR");
	unlink(path);
	ok(json_load_file(path, "a test file", &v) == EX_NOINPUT && errno == ENOENT,
	    "... and EX_NOINPUT for a missing file");
}

static void
test_fields(void)
{
	jv o = jv_parse("{\"s\":\"x\",\"n\":2,\"o\":{\"p\":{\"q\":\"deep\"}}}");

	is_str(json_str(o, "s"), "x", "json_str reads a string");
	ok(json_str(o, "n") == NULL && json_str(o, "none") == NULL, "... NULL for a number or nothing");
	is_str(json_strpath(o, "o", "p", "q", NULL), "deep", "json_strpath follows keys");
	ok(json_strpath(o, "o", "x", "q", NULL) == NULL, "... NULL where the path breaks");
	ok(json_num(o, "n", 0) == 2 && json_num(o, "s", 7) == 7, "json_num, or the default");
	ok(jv_get_kind(json_get(o, "none")) == JV_KIND_NULL, "json_get of nothing is null");
	ok(json_kind(o, "n") == JV_KIND_NUMBER && json_kind(o, "o") == JV_KIND_OBJECT,
	    "json_kind: a field's kind");
	ok(json_kind(o, "none") == JV_KIND_NULL && json_kind(jv_null(), "n") == JV_KIND_NULL,
	    "... null for nothing, or on no object");
	o = json_set_str(o, "s", "y");
	is_str(json_str(o, "s"), "y", "json_set_str replaces a field");
	jv_free(o);
}

int
main(void)
{
	test_json_parse_refuses();
	test_parse_error_quiet();
	test_files();
	test_fields();
	return done_testing();
}
