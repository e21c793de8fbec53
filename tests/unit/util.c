/* Unit tests of lib/util.c: URL escapes and str_word, the word splitter. */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "tap.h"

/* The words of s split at sep, joined with '|'. */
static char *
words(const char *s, const char *sep)
{
	char *copy = xstrdup(s), *p = copy, *w;
	struct buf b = {0};

	while ((w = str_word(&p, sep)) != NULL) {
		if (b.len)
			buf_addc(&b, '|');
		buf_adds(&b, w);
	}
	ok(*p == '\0', "'%s': the cursor ends at the end", s);
	free(copy);
	return buf_take(&b);
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
test_str_word(void)
{
	static const struct {
		const char *s, *sep, *want, *what;
	} cases[] = {
		{ "firefox --new-window %s", " \t", "firefox|--new-window|%s",
		  "words split at blanks" },
		{ "  a \t\tb  ", " \t", "a|b",
		  "runs of separators, leading and trailing, make no empty word" },
		{ "", " ", "", "an empty string has no word" },
		{ "   ", " ", "", "... nor has a string of separators" },
		{ "one", " ", "one", "a single word" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = words(cases[i].s, cases[i].sep);
		is_str(s, cases[i].want, "%s", cases[i].what);
		free(s);
	}
}

int
main(void)
{
	test_url();
	test_str_word();
	return done_testing();
}
