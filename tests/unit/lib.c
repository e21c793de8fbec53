/* Unit tests of lib/: the pieces that parse outside input or guard secrets
 * (the JSON modules and the mirror have files of their own). */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "json.h"
#include "jwt.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/gcal-unit.XXXXXX";

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

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	test_url();
	test_base64url();
	test_redact();
	test_state();
	state_remove_tree(tmpdir, NULL);
	return done_testing();
}
