/* Unit tests of lib/digest.c. */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "jwt.h"
#include "tap.h"

int
main(void)
{
	unsigned char d[32];
	char *s;

	/* RFC 7636 appendix B: the S256 challenge of its verifier */
	sha256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 43, d);
	s = base64url(d, 32);
	is_str(s, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
	    "SHA-256 gives RFC 7636's S256 challenge");
	free(s);
	/* FIPS 180-2: SHA-256 of nothing */
	sha256("", 0, d);
	ok(d[0] == 0xe3 && d[1] == 0xb0 && d[30] == 0xb8 && d[31] == 0x55,
	    "SHA-256 of no bytes is e3b0...b855");
	return done_testing();
}
