/* Unit tests of lib/: the pieces that parse outside input or guard secrets. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "json.h"
#include "digest.h"
#include "jwt.h"
#include "mirror.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/gcal-unit.XXXXXX";

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
test_url(void)
{
	char *s;

	s = url_escape("a b/c?d=é~");
	is_str(s, "a%20b%2Fc%3Fd%3D%C3%A9~", "url_escape keeps only unreserved characters");
	free(s);
	s = url_unescape("a+b%2Fc%zz%4", 12);
	is_str(s, "a b/c%zz%4", "url_unescape decodes + and %%XX, keeps bad escapes");
	free(s);
}

static void
test_base64url(void)
{
	unsigned char digest[32];
	char *s, *d;
	size_t n;

	s = base64url("\xfb\xff", 2);
	is_str(s, "-_8", "base64url uses - and _ without padding");
	d = base64url_decode(s, &n);
	ok(d && n == 2 && memcmp(d, "\xfb\xff", 2) == 0, "base64url_decode inverts it");
	free(s);
	free(d);
	ok(base64url_decode("a*b", &n) == NULL, "base64url_decode refuses other characters");
	/* RFC 7636 appendix B */
	sha256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 43, digest);
	s = base64url(digest, 32);
	is_str(s, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
	    "PKCE S256 challenge matches RFC 7636's example");
	free(s);
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

static void
test_redact(void)
{
	char *s;

	http_secret("ya29.secretvalue", "ACCESS_TOKEN");
	http_secret("1//0abc/def", "REFRESH_TOKEN");
	http_secret("ya29.othervalue", "ACCESS_TOKEN");
	s = http_redact("a ya29.secretvalue b 1//0abc/def c ya29.othervalue", 50);
	is_str(s, "a <ACCESS_TOKEN_1> b <REFRESH_TOKEN_1> c <ACCESS_TOKEN_2>",
	    "secrets become stable numbered placeholders");
	free(s);
	s = http_redact("refresh_token=1%2F%2F0abc%2Fdef", 31);
	is_str(s, "refresh_token=<REFRESH_TOKEN_1>", "the percent-encoded spelling too");
	free(s);
	s = http_redact_message("Bad token ya29.secretvalue, or ya29.a0AfH6SMBunknown0, "
	    "1//0eFgHiJkLmNoPq, GOCSPX-abcdEFGH1234 and "
	    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig");
	is_str(s, "Bad token <ACCESS_TOKEN_1>, or <REDACTED>, <REDACTED>, "
	    "<REDACTED> and <REDACTED>",
	    "Google's texts: known secrets and token-looking words redacted");
	free(s);
	s = http_redact_message("Invalid Credentials for "
	    "Zx81KqP0aLmN3bV7cXrT2yUeW9oI5pQs4dFgH6jK and event "
	    "0123456789abcdefghijklmnopqrstuv0123456789: rateLimitExceeded");
	is_str(s, "Invalid Credentials for <REDACTED> and event "
	    "0123456789abcdefghijklmnopqrstuv0123456789: rateLimitExceeded",
	    "a long mixed-case run goes, base32hex ids and words stay");
	free(s);
	http_cleanup();
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
test_state(void)
{
	char *path = xasprintf("%s/sub/dir/f.json", tmpdir), *new;
	struct stat st;
	jv v;

	ok(state_write(path, "{\"k\":1}\n", 8) == 0, "state_write creates directories and file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
	new = xasprintf("%s.new", path);
	ok(access(new, F_OK) == -1, "no .new file is left");
	v = state_read_json(path);
	ok(json_num(v, "k", 0) == 1, "state_read_json reads it back");
	jv_free(v);
	ok(state_write("/proc/nope/x", "x", 1) == -1, "a failed write reports -1");
	free(new);
	free(path);
	ok(state_valid_profile("shop-1.eu") && !state_valid_profile("../x") &&
	    !state_valid_profile(".hidden") && !state_valid_profile(""),
	    "profile names cannot escape their directory");
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
	test_url();
	test_base64url();
	test_ndjson();
	test_json_print();
	test_json_dump_as_libjq();
	test_json_parse_refuses();
	test_jq();
	test_redact();
	test_parse_error_quiet();
	test_state();
	test_mirror_runs();
	state_remove_tree(tmpdir, NULL);
	return done_testing();
}
