/* Unit tests of lib/jwt.c: base64url and SHA-256 (PKCE's S256). */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "jwt.h"
#include "util.h"
#include "tap.h"

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

int
main(void)
{
	test_base64url();
	return done_testing();
}
