#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "grant.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "provider.h"
#include "state.h"
#include "util.h"

int
grant_revoke(const char *token, int *already)
{
	struct buf form = {0};
	struct http_request req = {
		.method = "POST", .host = HOST_OAUTH2, .path = "/revoke",
		.content_type = "application/x-www-form-urlencoded",
	};
	struct http_response resp;
	char *reason;
	int rc;

	*already = 0;
	/* RFC 7009 2.1: the token in the form body, never in the URL
	 * (proxies and server logs keep URLs); Google's endpoint reads the
	 * body too. */
	http_secret(token, "REFRESH_TOKEN");
	form_add(&form, "token", token);
	req.body = form.data;
	req.body_len = form.len;
	if ((rc = http_do(&req, &resp)) != 0)
		warnx("cannot reach Google to revoke: %s", http_error());
	else if (resp.status != 200) {
		reason = http_google_reason(&resp);
		/* Google: 400 invalid_token when it is already revoked */
		if (resp.status == 400 && reason &&
		    strcmp(reason, "invalid_token") == 0)
			*already = 1;
		else
			rc = oauth_failure(&resp, "revoking the grant");
		free(reason);
	}
	http_response_free(&resp);
	form_free(&form);
	return rc;
}

char **
grant_siblings(const char *profile, jv prof)
{
	const char *account = json_str(prof, "account");
	const char *client = json_str(prof, "client_id");
	char **all = state_profiles(), **p, **out;
	const char *kind;
	size_t n = 0;
	jv o;

	out = xcalloc(1, sizeof(*out));
	if (account == NULL || client == NULL)
		goto done;
	for (p = all; *p; p++) {
		if (strcmp(*p, profile) == 0)
			continue;
		o = state_profile_read(*p);
		kind = provider_of(o) == PROVIDER_GOOGLE ? json_str(o, "kind") :
		    "microsoft";
		/* Google's grant is the account's consent to the client: every
		 * refresh token of it dies with any one of them */
		if (jv_is_valid(o) && (kind == NULL || strcmp(kind, "oauth") == 0) &&
		    json_str(o, "revoked_at") == NULL &&
		    json_str(o, "account") && strcmp(json_str(o, "account"),
		    account) == 0 && json_str(o, "client_id") &&
		    strcmp(json_str(o, "client_id"), client) == 0) {
			out = xreallocarray(out, n + 2, sizeof(*out));
			out[n++] = xstrdup(*p);
			out[n] = NULL;
		}
		jv_free(o);
	}
done:
	state_free_list(all);
	return out;
}

int
grant_mark_revoked(const char *profile, const char *by, const char *when)
{
	char *path;
	jv prof = state_profile_read(profile);
	int rc = 0;

	if (!jv_is_valid(prof)) {
		jv_free(prof);
		return EX_CONFIG;
	}
	prof = json_set_str(prof, "revoked_at", when);
	if (by)
		prof = json_set_str(prof, "revoked_with", by);
	if (state_profile_write(profile, prof) == -1) {
		warn("profile '%s'", profile);
		rc = EX_SOFTWARE;
	}
	/* its tokens are dead at Google: never send them again */
	path = state_path(STATE_STATE, profile, "token.json");
	if (state_remove(path) == -1) {
		warn("'%s'", path);
		rc = EX_SOFTWARE;
	}
	free(path);
	return rc;
}
