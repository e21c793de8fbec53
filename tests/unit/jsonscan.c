/* Unit tests of lib/jsonscan.c: JSON text scanned without parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

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

static void
test_utf8(void)
{
	static const struct {
		const char *text;
		size_t n;
		const char *want;
	} cases[] = {
		{"plain ascii, more than eight bytes", 34, NULL},
		{"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 14, NULL},
		{"a\0b", 3, "contains a NUL byte"},
		{"\xc0\xaf", 2, "is not UTF-8"},         /* overlong '/' */
		{"\xed\xa0\x80", 3, "is not UTF-8"},     /* a surrogate */
		{"\xf4\x90\x80\x80", 4, "is not UTF-8"}, /* past U+10FFFF */
		{"abcdefg\xc3", 8, "is not UTF-8"},      /* cut short */
		{"\xff", 1, "is not UTF-8"},
	};
	size_t i;
	const char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = json_utf8_problem((const unsigned char *)cases[i].text, cases[i].n);
		if (cases[i].want == NULL)
			ok(got == NULL, "utf8: case %zu is UTF-8", i);
		else
			is_str(got, cases[i].want, "utf8: case %zu", i);
	}
}

int
main(void)
{
	test_top_string();
	test_utf8();
	return done_testing();
}
