/* Fuzz target: the redirect URL a user pastes back into gcal-auth login
 * (or a browser sends to the loopback listener). */
#include "fuzz.h"
#include "http.h"
#include "oauth.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	char *copy = size ? memcpy(xmalloc(size), data, size) : NULL;
	char *code, *state, *error;
	int found;

	found = oauth_parse_redirect(copy ? copy : "", size, &code, &state, &error);
	if (found != (code != NULL || error != NULL))
		abort();
	free_secret(code);
	free(state);
	free(error);
	free(copy);
	http_cleanup(); /* the codes it registered as secrets */
	return 0;
}
