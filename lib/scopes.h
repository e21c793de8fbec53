/* scopes: what an OAuth token answer granted (RFC 6749 3.3), and whether
 * a scope is among it, for Google's and Microsoft's spellings. */
#ifndef GCAL_SCOPES_H
#define GCAL_SCOPES_H

#include <jv.h>

/* The scopes of a token answer's "scope" (borrowed), else of asked (the
 * user may have unticked some on the consent page), as a sorted array. */
jv scopes_granted(jv tokens, const char *asked);

/* Whether scope is in granted (borrowed). Microsoft names Graph's scopes
 * with or without their resource and in any case
 * ("https://graph.microsoft.com/Calendars.ReadWrite"): both match. */
int scopes_has(jv granted, const char *scope);

#endif
