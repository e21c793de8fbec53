/* Unit tests of lib/json.c: the NDJSON reader, the canonical writer, the
 * parser's refusals, the jq wrapper and the top-level key scanner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/gcal-unit-json.XXXXXX";

static char *
write_tmp(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
	return path;
}

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

static void
test_json_print(void)
{
	char *s = json_dump(jv_parse("{\"b\":{\"z\":1,\"a\":[2,1]},\"a\":\"x\"}"));

	is_str(s, "{\"a\":\"x\",\"b\":{\"a\":[2,1],\"z\":1}}", "json_dump sorts keys, compact");
	free(s);
}

/* json_dump against libjq's own jv_dump_string(JV_PRINT_SORTED): the
 * mirror and every record compare as bytes, so the text must not change
 * with the writer. */
static int
dump_matches_libjq(jv v)
{
	jv want = jv_dump_string(jv_copy(v), JV_PRINT_SORTED);
	char *got = json_dump(v);
	int same = strcmp(got, jv_string_value(want)) == 0;

	if (!same)
		printf("#   got:  %s\n#   want: %s\n", got, jv_string_value(want));
	free(got);
	jv_free(want);
	return same;
}

/* A random value from a fixed seed: strings of any bytes (libjq repairs
 * bad UTF-8 on the way in), keys that share prefixes, all kinds. */
static jv
random_value(unsigned *seed, int depth)
{
	static const char *const numbers[] = {"0", "-0", "1", "-17", "0.1",
	    "1e100", "1.5e-7", "123456789012345678", "3.14159", "1e-400"};
	char bytes[12];
	int i, n;
	jv v;

	switch (depth > 4 ? rand_r(seed) % 5 : rand_r(seed) % 7) {
	case 0: return jv_null();
	case 1: return jv_bool(rand_r(seed) % 2);
	case 2: return jv_parse(numbers[rand_r(seed) % 10]);
	case 3: case 4:
		n = rand_r(seed) % (int)sizeof(bytes);
		for (i = 0; i < n; i++)
			bytes[i] = (char)(rand_r(seed) % 3 == 0 ?
			    rand_r(seed) % 256 : "ab\"\\\n\x7f\x01 \xc3\xa9"[rand_r(seed) % 11]);
		return jv_string_sized(bytes, n);
	case 5:
		v = jv_array();
		for (n = rand_r(seed) % 4, i = 0; i < n; i++)
			v = jv_array_append(v, random_value(seed, depth + 1));
		return v;
	default:
		v = jv_object();
		for (n = rand_r(seed) % 6, i = 0; i < n; i++) {
			snprintf(bytes, sizeof(bytes), "%.*s", rand_r(seed) % 4 + 1,
			    "aab\xc3\xa9" + rand_r(seed) % 2);
			v = jv_object_set(v, jv_string(bytes), random_value(seed, depth + 1));
		}
		return v;
	}
}


static void
test_json_dump_as_libjq(void)
{
	static const char *const texts[] = {
		"{}", "[]", "\"\"", "[{},[],{\"\":null}]",
		"{\"s\":\"q\\\" b\\\\ c\\u0000 d\\u001f e\\u007f f\\b\\f\\n\\r\\t\"}",
		"{\"\u00e9t\u00e9\":\"\u65e5\u672c \\ud83d\\ude00 \\u2028\"}",
		"{\"ab\":1,\"a\":2,\"b\":3,\"aa\":4,\"B\":5,\"\u00e9\":6,\"a\\u0000\":7}",
		"[1,-0,0.5,1e300,-1.25e-12,12345678901234567890,100000000000000000000000]",
		"{\"kind\":\"calendar#event\",\"start\":{\"dateTime\":\"2026-01-05T08:00:00Z\"},"
		    "\"attendees\":[{\"email\":\"a@example.com\",\"self\":true}],"
		    "\"reminders\":{\"overrides\":[{\"method\":\"popup\",\"minutes\":10}],"
		    "\"useDefault\":false}}",
	};
	unsigned seed = 8;
	int i, bad = 0;
	jv deep = jv_string("bottom");

	for (i = 0; i < (int)(sizeof(texts) / sizeof(texts[0])); i++)
		ok(dump_matches_libjq(jv_parse(texts[i])), "json_dump is libjq's text: %s", texts[i]);
	for (i = 0; i < 3000; i++)
		bad += !dump_matches_libjq(random_value(&seed, 0));
	ok(bad == 0, "json_dump is libjq's text for 3000 random values (%d differ)", bad);
	for (i = 0; i < 300; i++)
		deep = jv_array_append(jv_array(), deep);
	ok(dump_matches_libjq(deep), "and for a value nested 300 deep");
}

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

static void
test_jq(void)
{
	char *why = NULL;
	struct jqprog *p = jqprog_new(".items[] | select(.n > 1) | .n", &why);
	jv out;
	int n = 0, sum = 0;

	ok(p != NULL, "a jq program compiles");
	jqprog_start(p, jv_parse("{\"items\":[{\"n\":1},{\"n\":2},{\"n\":3}]}"));
	while (jqprog_next(p, &out) == 1) {
		n++;
		sum += (int)jv_number_value(out);
		jv_free(out);
	}
	ok(n == 2 && sum == 5, "it yields every output");
	jqprog_free(p);
	ok(jqprog_new(".[", &why) == NULL && why && *why, "a bad program says why: %s", why);
	free(why);
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
test_top_string(void)
{
	const char *s;
	size_t n = 0;

#define TOP(text, key) json_top_string(text, strlen(text), key, &n)
	s = TOP("{\"id\":\"a\",\"summary\":\"x\"}", "id");
	ok(s && n == 1 && *s == 'a', "the id of a plain record");
	/* libjq keeps the last of duplicate keys: the scan must not pick
	 * the first */
	ok(TOP("{\"id\":\"a\",\"id\":\"b\"}", "id") == NULL,
	    "a duplicate key is left to the parser");
	ok(TOP("{\"id\":\"b\",\"\\u0069d\":\"a\"}", "id") == NULL,
	    "an escaped key (maybe the same) is left to the parser");
	/* a key shorter than the one looked for, at the end of the text:
	 * memcmp read past it */
	ok(TOP("{\"\":1", "updated") == NULL, "a short key at the end");
	s = TOP("{\"summary\":\"{\\\"id\\\":\\\"no\\\"}\",\"id\":\"yes\"}", "id");
	ok(s && n == 3 && strncmp(s, "yes", 3) == 0,
	    "an id inside a string is not the id");
	s = TOP("{\"id\":\"same\",\"summary\":\"x\",oops}", "id");
	ok(s && n == 4, "what does not scan after the key is the parser's business");
#undef TOP
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	test_ndjson();
	test_json_print();
	test_json_dump_as_libjq();
	test_json_parse_refuses();
	test_jq();
	test_parse_error_quiet();
	test_top_string();
	state_remove_tree(tmpdir, NULL);
	return done_testing();
}
