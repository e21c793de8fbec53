#include <err.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "digest.h"
#include "util.h"

void
sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
		errx(EX_SOFTWARE, "SHA-256 failed");
}

void
sha256_hex(const char *s, size_t n, char *out)
{
	unsigned char d[32];
	size_t i;

	sha256(s, strlen(s), d);
	for (i = 0; i < n && i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[2 * i] = '\0';
}
