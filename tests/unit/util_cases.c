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
	char *s;

	s = words("firefox --new-window %s", " \t");
	is_str(s, "firefox|--new-window|%s", "words split at blanks");
	free(s);
	s = words("  a \t\tb  ", " \t");
	is_str(s, "a|b", "runs of separators, leading and trailing, make no empty word");
	free(s);
	s = words("", " ");
	is_str(s, "", "an empty string has no word");
	free(s);
	s = words("   ", " ");
	is_str(s, "", "... nor has a string of separators");
	free(s);
	s = words("one", " ");
	is_str(s, "one", "a single word");
	free(s);
}

int
main(void)
{
	test_url();
	test_str_word();
	return done_testing();
}
