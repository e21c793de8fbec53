/* link: a profile's link as gcal-auth shows and replaces it: the view of
 * its profile.json and tokens for status and list, what a new login does
 * to the link it takes the place of, and the OAuth client it keeps. */
#ifndef GCAL_LINK_H
#define GCAL_LINK_H

#include <jv.h>

/* The view of profile's link (prof, its profile.json, borrowed): provider,
 * account, calendar, scopes, whether linked, last sync, token expiry, and
 * "damaged" naming a damaged token file. The caller's. */
jv link_view(const char *profile, jv prof);

/* Print the view of profile (a damaged profile.json as {"profile",
 * "damaged", "linked": false}, said on stderr too): 0, or 78 when
 * something is damaged. */
int link_print(const char *profile);

/* Whether old (a profile.json, borrowed) links account at provider. */
int link_same(jv old, int provider, const char *account);

/* Before a login of another account (or provider) is saved in profile:
 * revoke the old link's grant at Google (and mark the profiles that
 * shared it), and forget the old link's sync state. Microsoft has no
 * revocation a public client may use (gcal-revoke(1)). */
void link_replace(const char *profile, jv old, int provider,
    const char *account);

/* Keep a Google link's OAuth client (client_secret.json) in profile,
 * and as the default of every later login when as_default. */
int link_save_client(const char *profile, jv client, int as_default);
/* The OAuth client of a Google login: file when given, else the
 * profile's, else the default one; 78 when there is none. */
int link_load_client(const char *file, const char *profile, jv *client);

#endif
