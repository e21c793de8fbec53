/* digest: SHA-256 of bytes (libcrypto's EVP), for derived event ids and
 * PKCE challenges. */
#ifndef GCAL_DIGEST_H
#define GCAL_DIGEST_H

#include <stddef.h>

/* SHA-256 of n bytes into out[32]. */
void sha256(const void *p, size_t n, unsigned char out[32]);
/* The first n (at most 32) bytes of the SHA-256 of the string s, in hex,
 * into out[2 * n + 1]: a short tag of a long name. */
void sha256_hex(const char *s, size_t n, char *out);

#endif
