/* jwt: base64url and RS256-signed JSON Web Tokens (RFC 7515, RFC 7519),
 * for service-account assertions and PKCE. With digest.c, the only
 * modules that use libcrypto. */
#ifndef GCAL_JWT_H
#define GCAL_JWT_H

#include <stddef.h>
#include <jv.h>

/* Unpadded base64url of n bytes; the caller's. */
char *base64url(const void *p, size_t n);
/* Decode unpadded base64url into a NUL-terminated buffer (*len set);
 * NULL on bad input. The caller's. */
char *base64url_decode(const char *s, size_t *len);
/* "header.claims.signature" signed with the PEM private key (PKCS#8 or
 * PKCS#1); consumes header and claims. NULL with *why (the caller's) on a
 * bad key. The result is a secret and the caller's. */
char *jwt_rs256(jv header, jv claims, const char *pem, char **why);
/* The claims of a JWT, unverified (for an id_token received straight from
 * Google over TLS, OpenID Connect Core 3.1.3.7 allows that). Invalid when
 * malformed. */
jv jwt_claims(const char *token);

#endif
