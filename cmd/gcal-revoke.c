/* gcal-revoke: revoke a profile's grant at Google (a Microsoft link's
 * only locally) and forget it locally. See gcal-revoke(1). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "grant.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "provider.h"
#include "state.h"
#include "stop.h"
#include "util.h"
#include "watch.h"

enum { OPT_KEEP_STATE = CLI_FIRST_LONG };

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link to revoke (default: $GCAL_PROFILE or 'default')"},
	{"keep-state", OPT_KEEP_STATE, NULL, NULL, "keep the profile's sync state (mirrors, sync tokens)"},
	{"verbose", 'v', NULL, NULL, "trace each HTTP exchange on stderr, secrets redacted"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"[-p PROFILE] [--keep-state]",
	NULL,
};

/* "'a', 'b'" for a list of profile names; the caller's. */
static char *
sibling_names(char **names)
{
	struct buf b = {0};
	char **p;

	for (p = names; *p; p++) {
		if (p != names)
			buf_adds(&b, ", ");
		buf_printf(&b, "'%s'", *p);
	}
	return buf_take(&b);
}

/* Remove the profile's state: tokens always, the rest unless keep. */
static int
forget_state(const char *profile, int keep)
{
	char *path;
	int rc = 0;

	if (keep) {
		path = state_path(STATE_STATE, profile, "token.json");
		rc = state_remove(path);
	} else {
		path = state_path(STATE_STATE, profile, NULL);
		rc = state_remove_tree(path, "lock"); /* we hold it */
	}
	if (rc == -1)
		warn("'%s'", path);
	free(path);
	return rc == -1 ? EX_SOFTWARE : 0;
}

static int
revoke_service_account(const char *profile, jv prof)
{
	char *dir;
	jv out;
	int rc;

	/* Nothing to revoke at Google: a service account's access is the
	 * Workspace admin's delegation, not a user's grant. */
	if ((rc = forget_state(profile, 0)) != 0)
		return rc;
	dir = state_path(STATE_CONFIG, profile, NULL);
	if (state_remove_tree(dir, NULL) == -1) {
		warn("'%s'", dir);
		rc = EX_SOFTWARE;
	}
	free(dir);
	note("profile '%s' removed; to withdraw the access of %s itself, remove "
	    "its domain-wide delegation in the Workspace admin console "
	    "(Security > API controls > Domain-wide delegation)", profile,
	    json_str(prof, "client_email") ? json_str(prof, "client_email") :
	    "the service account");
	out = json_set_str(jv_object(), "profile", profile);
	out = jv_object_set(out, jv_string("account"), json_get(prof, "account"));
	out = json_set_str(out, "kind", "service_account");
	out = jv_object_set(out, jv_string("revoked"), jv_false());
	out = jv_object_set(out, jv_string("removed"), jv_true());
	json_print(stdout, out);
	return rc;
}

/* Microsoft offers a public client no revocation (no RFC 7009
 * endpoint); ending every refresh token of a user (Graph's
 * revokeSignInSessions) needs User.RevokeSessions.All, beyond this
 * link's scopes. So the link is forgotten here, and said so. */
static int
revoke_microsoft(const char *profile, jv prof, int keep_state)
{
	char when[32];
	jv out;
	int rc;

	if ((rc = forget_state(profile, keep_state)) != 0)
		return rc;
	time_rfc3339(now_s(), when);
	if (json_str(prof, "revoked_at") == NULL &&
	    (rc = grant_mark_revoked(profile, NULL, when)) != 0)
		return rc;
	note("profile '%s': its tokens are forgotten here; Microsoft lets no "
	    "client revoke them: to end the app's access, remove it at "
	    "https://myapps.microsoft.com (work or school) or "
	    "https://account.live.com/consent/Manage (personal)", profile);
	out = json_set_str(jv_object(), "profile", profile);
	out = jv_object_set(out, jv_string("account"), json_get(prof, "account"));
	out = json_set_str(out, "kind", "oauth");
	out = json_set_str(out, "provider", "microsoft");
	out = jv_object_set(out, jv_string("revoked"), jv_false());
	out = jv_object_set(out, jv_string("forgotten"), jv_true());
	out = jv_object_set(out, jv_string("state_kept"), jv_bool(keep_state));
	out = jv_object_set(out, jv_string("also_revoked"), jv_array());
	json_print(stdout, out);
	return 0;
}

/* The profile's token.json (an object, or invalid when there is none):
 * 0, or 78 when it is damaged (the grant may live on at Google). */
static int
read_tokens(const char *profile, jv *t)
{
	char *path = state_path(STATE_STATE, profile, "token.json"), *why;
	int rc = 0;

	*t = state_read_json(path);
	if (!jv_is_valid(*t) && errno != ENOENT) {
		why = state_error(path, *t);
		*t = jv_invalid();
		warnx("profile '%s': its token file is damaged: %s: nothing was "
		    "revoked (restore it, or revoke the access at "
		    "https://myaccount.google.com/permissions)", profile, why);
		free(why);
		rc = EX_CONFIG;
	}
	free(path);
	return rc;
}

/* Mark the profiles that shared the grant revoked by profile; their
 * names are appended to *also. */
static int
mark_siblings(const char *profile, char **siblings, const char *when,
    jv *also)
{
	char **p, *names;
	int rc = 0;

	for (p = siblings; *p; p++) {
		if (grant_mark_revoked(*p, profile, when) != 0)
			rc = EX_SOFTWARE;
		*also = jv_array_append(*also, jv_string(*p));
	}
	if (siblings[0]) {
		names = sibling_names(siblings);
		note("profile%s %s marked revoked: %s the same grant",
		    siblings[1] ? "s" : "", names, siblings[1] ? "they shared" :
		    "it shared");
		free(names);
	}
	return rc;
}

/* Revoke a Google grant: every profile sharing it is marked, the
 * profile's state forgotten. */
static int
revoke_google(const char *profile, jv prof, int keep_state)
{
	const char *account = json_str(prof, "account"), *token;
	char *names, **siblings, when[32];
	int rc, rc2, already = 0, had_token;
	jv t, out, also;

	if ((rc = read_tokens(profile, &t)) != 0)
		return rc;
	siblings = grant_siblings(profile, prof);
	if (siblings[0]) {
		names = sibling_names(siblings);
		/* said before acting: the user may want to stop here */
		note("the grant of %s to this client is shared by profile%s %s: "
		    "revoking it ends %s too", account ? account : "the account",
		    siblings[1] ? "s" : "", names, siblings[1] ? "them" : "it");
		free(names);
	}
	/* The refresh token stands for the whole grant: revoking it ends
	 * every access token of the grant too (Google's OAuth guide). Their
	 * own placeholders in traces and fixtures. */
	http_secret(json_str(t, "refresh_token"), "REFRESH_TOKEN");
	http_secret(json_str(t, "access_token"), "ACCESS_TOKEN");
	token = json_str(t, "refresh_token");
	if (token == NULL)
		token = json_str(t, "access_token");
	had_token = token != NULL;
	if (token && (rc = grant_revoke(token, &already)) != 0) {
		/* keep everything: the link still works, try again later */
		jv_free(t);
		state_free_list(siblings);
		return rc;
	}
	jv_free(t);
	stop_point("revoke"); /* Google forgot the grant, we not yet */
	time_rfc3339(now_s(), when);
	also = jv_array();
	rc = mark_siblings(profile, siblings, when, &also);
	state_free_list(siblings);
	if ((rc2 = forget_state(profile, keep_state)) != 0) {
		jv_free(also);
		return rc2;
	}
	if (json_str(prof, "revoked_at") == NULL && grant_mark_revoked(profile,
	    NULL, when) != 0)
		rc = EX_SOFTWARE;
	if (!had_token)
		note("profile '%s' had no grant left to revoke", profile);
	else if (already)
		note("Google says the grant of %s was already revoked", account ?
		    account : "the profile");
	out = json_set_str(jv_object(), "profile", profile);
	out = jv_object_set(out, jv_string("account"), json_get(prof, "account"));
	out = json_set_str(out, "kind", "oauth");
	out = jv_object_set(out, jv_string("revoked"), jv_true());
	out = jv_object_set(out, jv_string("already_revoked"),
	    jv_bool(already || !had_token));
	out = jv_object_set(out, jv_string("state_kept"), jv_bool(keep_state));
	out = jv_object_set(out, jv_string("also_revoked"), also);
	json_print(stdout, out);
	return rc;
}

static int
unlink_profile(const char *profile, int keep_state)
{
	const char *kind;
	jv prof;
	int rc, wl;

	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	kind = json_str(prof, "kind");
	if (provider_of(prof) == PROVIDER_MICROSOFT)
		rc = revoke_microsoft(profile, prof, keep_state);
	else {
		/* while the grant still lets us, Google stops notifying
		 * (gcal-watch); a dead grant cannot stop them: they expire
		 * by themselves */
		/* one change of a link's channels at a time: a gcal-watch
		 * renew must not make a channel we never hear of */
		if ((wl = state_lock(profile, "watch.lock", 60, &rc)) == -1) {
			jv_free(prof);
			return rc;
		}
		if ((rc = watch_stop_all(NULL, profile, 0)) == EX_NOPERM)
			rc = watch_stop_all(NULL, profile, 1);
		state_unlock(wl);
		if (rc == 0 || rc == EX_CONFIG)
			rc = kind && strcmp(kind, "service_account") == 0 ?
			    revoke_service_account(profile, prof) :
			    revoke_google(profile, prof, keep_state);
	}
	jv_free(prof);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct cli *c;
	const char *arg;
	int key, keep_state = 0, rc, lock;
	jv prof;

	cli_synopsis = synopsis;
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'p':
			state_set_profile(arg);
			break;
		case OPT_KEEP_STATE:
			keep_state = 1;
			break;
		}
	}
	cli_free(c);
	cli_no_operands(argc, argv);
	http_check_env();
	if ((rc = state_profile_load(state_profile(), &prof)) != 0)
		return rc;
	jv_free(prof);
	if ((lock = state_lock(state_profile(), "lock", 30, &rc)) == -1)
		return rc;
	rc = unlink_profile(state_profile(), keep_state);
	state_unlock(lock);
	http_cleanup();
	return finish_stdout(rc);
}
