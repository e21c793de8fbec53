/* provider: which calendar service a profile is linked to.
 *
 * profile.json's "provider" says it: absent or "google" (every profile
 * made before Microsoft Graph was added), or "microsoft". Programs ask
 * here and never read the field themselves. */
#ifndef GCAL_PROVIDER_H
#define GCAL_PROVIDER_H

#include <jv.h>

enum provider {
	PROVIDER_GOOGLE,
	PROVIDER_MICROSOFT
};

/* The provider of a profile.json object (borrowed), or -1 when its
 * "provider" is neither absent nor a name we know. */
int provider_of(jv prof);
/* "google" or "microsoft". */
const char *provider_name(enum provider p);
/* The service's name for people: "Google", "Exchange". */
const char *provider_service(enum provider p);
/* The provider for a name given on a command line, or -1. */
int provider_parse(const char *name);

#endif
