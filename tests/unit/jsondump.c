/* Unit tests of lib/jsondump.c: canonical text, libjq's byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "tap.h"

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

static void
test_print(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	struct buf b = {0};

	json_print(fp, jv_parse("{\"b\":\"\u00e9\",\"a\":[true,null]}"));
	fclose(fp);
	is_str(text, "{\"a\":[true,null],\"b\":\"\u00e9\"}\n", "json_print writes one NDJSON line");
	free(text);
	buf_adds(&b, "x=");
	json_dump_buf(&b, jv_string("q\"\n"));
	is_str(b.data, "x=\"q\\\"\\n\"", "json_dump_buf appends, escaping as libjq does");
	buf_free(&b);
}

int
main(void)
{
	test_json_print();
	test_json_dump_as_libjq();
	test_print();
	return done_testing();
}
