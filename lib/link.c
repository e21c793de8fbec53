#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grant.h"
#include "json.h"
#include "link.h"
#include "mirror.h"
#include "oauth.h"
#include "provider.h"
#include "state.h"
#include "util.h"

jv
link_view(const char *profile, jv prof)
{
	jv v = jv_object(), t;
	long long exp;
	char when[32], *path, *why;
	const char *keys[] = {"kind", "account", "calendar", "calendar_summary",
	    "linked_at", "revoked_at", "revoked_with", NULL};
	char *last = mirror_last_pull(profile);
	size_t i;

	v = json_set_str(v, "profile", profile);
	v = json_set_str(v, "provider", provider_of(prof) == -1 ? "unknown" :
	    provider_name(provider_of(prof)));
	if (json_str(prof, "tenant"))
		v = json_set_str(v, "tenant", json_str(prof, "tenant"));
	for (i = 0; keys[i]; i++)
		v = jv_object_set(v, jv_string(keys[i]), json_get(prof, keys[i]));
	v = jv_object_set(v, jv_string("scopes"), json_get(prof, "scopes"));
	v = jv_object_set(v, jv_string("linked"),
	    jv_bool(json_str(prof, "revoked_at") == NULL));
	/* when gcal-pull last brought any calendar of the link up to date */
	v = jv_object_set(v, jv_string("last_sync"), last ? jv_string(last) :
	    jv_null());
	free(last);
	/* a damaged token file is shown, not taken for a missing one */
	path = state_path(STATE_STATE, profile, "token.json");
	t = state_read_json(path);
	if (!jv_is_valid(t) && errno != ENOENT) {
		why = state_error(path, t);
		v = json_set_str(v, "damaged", why);
		v = jv_object_set(v, jv_string("linked"), jv_false());
		free(why);
	} else
		jv_free(t);
	free(path);
	exp = oauth_token_expiry(profile);
	if (exp > 0) {
		time_rfc3339(exp, when);
		v = json_set_str(v, "token_expires", when);
	} else
		v = jv_object_set(v, jv_string("token_expires"), jv_null());
	return v;
}

int
link_print(const char *profile)
{
	jv prof = state_profile_read(profile), v;
	char *path, *why;
	int rc = 0;

	if (jv_is_valid(prof)) {
		v = link_view(profile, prof);
		if (json_str(v, "damaged"))
			rc = EX_CONFIG;
		json_print(stdout, v);
		jv_free(prof);
		return rc;
	}
	/* shown as damaged, never left out (it would read as gone) */
	path = state_path(STATE_CONFIG, profile, "profile.json");
	why = state_error(path, prof);
	warnx("profile '%s' is damaged: %s", profile, why);
	v = json_set_str(jv_object(), "profile", profile);
	v = json_set_str(v, "damaged", why);
	v = jv_object_set(v, jv_string("linked"), jv_false());
	json_print(stdout, v);
	free(why);
	free(path);
	return EX_CONFIG;
}

int
link_same(jv old, int provider, const char *account)
{
	const char *a = json_str(old, "account");

	return a && strcmp(a, account) == 0 && provider_of(old) == provider;
}

void
link_replace(const char *profile, jv old, int provider,
    const char *account)
{
	char *path, *dir, **siblings, **p, when[32];
	const char *old_account = json_str(old, "account");
	jv t;
	int already;

	if (old_account == NULL || link_same(old, provider, account))
		return;
	path = state_path(STATE_STATE, profile, "token.json");
	t = state_read_json(path);
	if (provider_of(old) == PROVIDER_GOOGLE && json_str(t, "refresh_token") &&
	    grant_revoke(json_str(t, "refresh_token"), &already) == 0) {
		note("profile '%s': revoked the grant of %s, which this login "
		    "replaces", profile, old_account);
		/* the grant was theirs too */
		siblings = grant_siblings(profile, old);
		time_rfc3339(now_s(), when);
		for (p = siblings; *p; p++) {
			note("profile '%s' shared that grant: marked revoked", *p);
			grant_mark_revoked(*p, profile, when);
		}
		state_free_list(siblings);
	}
	jv_free(t);
	free(path);
	dir = state_path(STATE_STATE, profile, "sync");
	state_remove_tree(dir, NULL);
	free(dir);
}

int
link_save_client(const char *profile, jv client, int as_default)
{
	jv file = jv_object_set(jv_object(), jv_string("installed"),
	    jv_copy(client));
	char *path = state_path(STATE_CONFIG, profile, "client_secret.json");
	int rc = 0;

	if (state_write_json(path, jv_copy(file)) == -1) {
		warn("'%s'", path);
		rc = EX_SOFTWARE;
	}
	free(path);
	if (rc == 0 && as_default) {
		path = state_path(STATE_CONFIG, NULL, "client_secret.json");
		if (state_write_json(path, jv_copy(file)) == -1) {
			warn("'%s'", path);
			rc = EX_SOFTWARE;
		}
		free(path);
	}
	jv_free(file);
	return rc;
}

int
link_load_client(const char *file, const char *profile, jv *client)
{
	char *path;
	int rc;

	if (file)
		return oauth_client_read(file, client);
	path = state_path(STATE_CONFIG, profile, "client_secret.json");
	if (access(path, F_OK) != 0) {
		free(path);
		path = state_path(STATE_CONFIG, NULL, "client_secret.json");
	}
	if (access(path, F_OK) != 0) {
		warnx("no OAuth client: download the JSON of a \"Desktop app\" "
		    "client from Google Cloud console and pass it with "
		    "--client-secret FILE");
		free(path);
		return EX_CONFIG;
	}
	rc = oauth_client_read(path, client);
	free(path);
	return rc == EX_NOINPUT ? EX_CONFIG : rc;
}
