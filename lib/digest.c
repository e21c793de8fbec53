#include <err.h>

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
