/* grant: ending a link's grant: revocation at Google (RFC 7009), the
 * profiles that share one Google grant, and marking profiles revoked.
 * Every function prints its own one-line diagnostic. */
#ifndef GCAL_GRANT_H
#define GCAL_GRANT_H

#include <jv.h>

/* Revoke token at Google. *already is set when Google answered that it
 * was already revoked or unknown (which is success too). */
int grant_revoke(const char *token, int *already);

/* The other live OAuth profiles linked with the same account and client
 * as prof (profile's, borrowed): revoking any token of the grant ends
 * them all (Google revokes the grant, not the one token). Sorted,
 * NULL-terminated; free with state_free_list. */
char **grant_siblings(const char *profile, jv prof);
/* Mark profile revoked at when (revoked_at, and revoked_with naming the
 * profile whose revocation ended it, when by is given) and remove its
 * tokens; its sync state stays. 0 or an exit status, said. */
int grant_mark_revoked(const char *profile, const char *by, const char *when);

#endif
