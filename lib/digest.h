/* digest: SHA-256 of bytes (libcrypto's EVP), for derived event ids and
 * PKCE challenges. */
#ifndef GCAL_DIGEST_H
#define GCAL_DIGEST_H

#include <stddef.h>

/* SHA-256 of n bytes into out[32]. */
void sha256(const void *p, size_t n, unsigned char out[32]);

#endif
