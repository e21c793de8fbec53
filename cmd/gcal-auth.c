/* gcal-auth: link a Google account to a profile, keep its tokens, choose
 * its calendar. See gcal-auth(1). */
#include <err.h>
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "calendar.h"
#include "cli.h"
#include "http.h"
#include "json.h"
#include "mirror.h"
#include "oauth.h"
#include "state.h"
#include "util.h"

enum {
	OPT_CLIENT_SECRET = CLI_FIRST_LONG, OPT_NO_BROWSER, OPT_TIMEOUT,
	OPT_ACCOUNT, OPT_KEY, OPT_SUBJECT, OPT_CHECK, OPT_CREATE, OPT_REFRESH,
	OPT_TIME_ZONE,
};

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link to act on (default: $GCAL_PROFILE or 'default')"},
	{"scope", 's', "SCOPE", "login service-account", "a scope to ask for, e.g. calendar.readonly (repeatable; default: calendar)"},
	{"client-secret", OPT_CLIENT_SECRET, "FILE", "login", "the OAuth client JSON of a \"Desktop app\" (kept for later logins)"},
	{"no-browser", OPT_NO_BROWSER, NULL, "login", "print the consent address instead of opening a browser"},
	{"account", OPT_ACCOUNT, "EMAIL", "login", "suggest this Google account on the consent page"},
	{"timeout", OPT_TIMEOUT, "SECONDS", "login", "how long to wait for consent (default: 300)"},
	{"key", OPT_KEY, "FILE", "service-account", "the service account's JSON key file"},
	{"subject", OPT_SUBJECT, "EMAIL", "service-account", "the Workspace user to act as (domain-wide delegation)"},
	{"refresh", OPT_REFRESH, NULL, "token", "get a new access token even if the cached one is still valid"},
	{"check", OPT_CHECK, NULL, "status", "prove with Google that the link still works"},
	{"create", OPT_CREATE, "NAME", "use", "create a secondary calendar NAME and choose it"},
	{"time-zone", OPT_TIME_ZONE, "TZ", "use", "time zone of a created calendar (IANA name)"},
	{"verbose", 'v', NULL, NULL, "trace each HTTP exchange on stderr, secrets redacted (twice: bodies too)"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"login [-p PROFILE] [--scope SCOPE]... [--client-secret FILE] [--no-browser] [--account EMAIL] [--timeout SECONDS]",
	"service-account [-p PROFILE] --key FILE --subject EMAIL [--scope SCOPE]...",
	"token [-p PROFILE] [--refresh]",
	"status [-p PROFILE] [--check]",
	"calendars [-p PROFILE]",
	"use [-p PROFILE] CALENDAR_ID | --create NAME [--time-zone TZ]",
	"list",
	NULL,
};

struct args {
	const char *cmd;
	char **scopes;
	size_t nscopes;
	const char *client_secret;
	const char *account;
	const char *key;
	const char *subject;
	const char *create;
	const char *time_zone;
	int no_browser;
	int timeout;
	int check;
	int refresh;
	char **operands;
	int noperands;
};

/* "https://.../calendar openid email": what to ask Google for. The email
 * lets us name the linked account without an extra request. */
static char *
scope_string(const struct args *a, int openid)
{
	struct buf b = {0};
	char *s;
	size_t i;

	for (i = 0; i < a->nscopes; i++) {
		s = oauth_scope(a->scopes[i]);
		if (b.len)
			buf_addc(&b, ' ');
		buf_adds(&b, s);
		free(s);
	}
	if (a->nscopes == 0)
		buf_adds(&b, SCOPE_PREFIX "calendar");
	if (openid)
		buf_adds(&b, " openid email");
	return buf_take(&b);
}

/* The scopes Google granted, as an array; the user may have unticked some
 * on the consent page. */
static jv
granted_scopes(jv tokens, const char *asked)
{
	const char *g = json_str(tokens, "scope");
	jv out = jv_array();
	char *copy = xstrdup(g ? g : asked), *w, *save = NULL;

	for (save = copy; (w = str_word(&save, " ")) != NULL;)
		out = jv_array_append(out, jv_string(w));
	free(copy);
	return jv_sort(out, jv_copy(out));
}

static int
has_scope(jv granted, const char *scope)
{
	int i, n = jv_array_length(jv_copy(granted)), yes = 0;
	jv s;

	for (i = 0; i < n && !yes; i++) {
		s = jv_array_get(jv_copy(granted), i);
		yes = strcmp(jv_string_value(s), scope) == 0;
		jv_free(s);
	}
	return yes;
}

static int
save_client(const char *profile, jv client, int as_default)
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

static int
load_client(const struct args *a, const char *profile, jv *client)
{
	char *path;
	int rc;

	if (a->client_secret)
		return oauth_client_read(a->client_secret, client);
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

static jv
profile_view(const char *profile, jv prof)
{
	jv v = jv_object(), t;
	long long exp;
	char when[32], *path, *why;
	const char *keys[] = {"kind", "account", "calendar", "calendar_summary",
	    "linked_at", "revoked_at", "revoked_with", NULL};
	char *last = mirror_last_pull(profile);
	size_t i;

	v = json_set_str(v, "profile", profile);
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

/* Write the new profile.json of a link and print the link; consumes
 * prof. */
static int
save_profile(const char *profile, jv prof)
{
	int rc = 0;

	if (state_profile_write(profile, jv_copy(prof)) == -1) {
		warn("profile '%s'", profile);
		rc = EX_SOFTWARE;
	} else
		json_print(stdout, profile_view(profile, prof));
	jv_free(prof);
	return rc;
}

/* Forget what belonged to an old link of the profile (its sync state),
 * after revoking its grant when another account takes its place. */
static void
replace_old_link(const char *profile, jv old, const char *account)
{
	char *path, *dir, **siblings, **p, when[32];
	const char *old_account = json_str(old, "account");
	jv t;
	int already;

	if (old_account == NULL || strcmp(old_account, account) == 0)
		return;
	path = state_path(STATE_STATE, profile, "token.json");
	t = state_read_json(path);
	if (json_str(t, "refresh_token") &&
	    oauth_revoke(json_str(t, "refresh_token"), &already) == 0) {
		note("profile '%s': revoked the grant of %s, which this login "
		    "replaces", profile, old_account);
		/* the grant was theirs too */
		siblings = oauth_grant_siblings(profile, old);
		time_rfc3339(now_s(), when);
		for (p = siblings; *p; p++) {
			note("profile '%s' shared that grant: marked revoked", *p);
			oauth_mark_revoked(*p, profile, when);
		}
		state_free_list(siblings);
	}
	jv_free(t);
	free(path);
	dir = state_path(STATE_STATE, profile, "sync");
	state_remove_tree(dir, NULL);
	free(dir);
}

static int
cmd_login(const struct args *a, const char *profile)
{
	struct oauth_login l = {0};
	char *scopes, *email = NULL, *want;
	jv client = jv_invalid(), tokens = jv_invalid(), old, prof, granted;
	char when[32];
	size_t i;
	int rc, lock, already;

	if ((rc = load_client(a, profile, &client)) != 0)
		return rc;
	if ((lock = state_lock(profile, "lock", 5, &rc)) == -1) {
		jv_free(client);
		return rc;
	}
	scopes = scope_string(a, 1);
	l.client = client;
	l.scopes = scopes;
	l.login_hint = a->account;
	l.no_browser = a->no_browser;
	l.timeout = a->timeout;
	if ((rc = oauth_login(&l, &tokens)) != 0)
		goto out;
	granted = granted_scopes(tokens, scopes);
	for (i = 0; i < (a->nscopes ? a->nscopes : 1); i++) {
		want = oauth_scope(a->nscopes ? a->scopes[i] : "calendar");
		if (!has_scope(granted, want)) {
			warnx("Google did not grant '%s' (was it unticked on the "
			    "consent page?); nothing was linked", want);
			rc = EX_NOPERM;
		}
		free(want);
	}
	if (rc == 0 && json_str(tokens, "refresh_token") == NULL)
		note("Google sent no refresh token: the link lasts only as long "
		    "as this access token");
	if (rc == 0)
		rc = oauth_account(tokens, &email);
	/* The answer on the loopback may come from whoever read the consent
	 * address and consented first (login CSRF): the account asked for
	 * is the account linked, or nothing is. */
	if (rc == 0 && a->account && strcasecmp(email, a->account) != 0) {
		warnx("Google linked the account %s, not %s as asked "
		    "(--account): nothing was linked", email, a->account);
		if (json_str(tokens, "refresh_token") &&
		    oauth_revoke(json_str(tokens, "refresh_token"), &already) == 0)
			note("the grant of %s was revoked again", email);
		rc = EX_NOPERM;
	}
	if (rc != 0) {
		jv_free(granted);
		goto out;
	}

	old = state_profile_read(profile);
	replace_old_link(profile, old, email);
	if ((rc = save_client(profile, client, a->client_secret != NULL)) != 0 ||
	    (rc = oauth_save_tokens(profile, jv_copy(tokens))) != 0) {
		jv_free(old);
		jv_free(granted);
		goto out;
	}
	time_rfc3339(now_s(), when);
	prof = json_set_str(jv_object(), "kind", "oauth");
	prof = json_set_str(prof, "account", email);
	prof = jv_object_set(prof, jv_string("scopes"), granted);
	prof = json_set_str(prof, "client_id", json_str(client, "client_id"));
	prof = json_set_str(prof, "linked_at", when);
	/* the same account keeps its chosen calendar */
	if (json_str(old, "account") && strcmp(json_str(old, "account"), email) == 0 &&
	    json_str(old, "calendar")) {
		prof = jv_object_set(prof, jv_string("calendar"),
		    json_get(old, "calendar"));
		prof = jv_object_set(prof, jv_string("calendar_summary"),
		    json_get(old, "calendar_summary"));
	}
	jv_free(old);
	rc = save_profile(profile, prof);
out:
	state_unlock(lock);
	free(scopes);
	free(email);
	jv_free(client);
	jv_free(tokens);
	return rc;
}

static int
cmd_service_account(const struct args *a, const char *profile)
{
	jv key, tokens = jv_invalid(), prof;
	char *scopes, *path;
	char when[32];
	int rc, lock;

	if (a->key == NULL || a->subject == NULL) {
		warnx("service-account needs --key FILE and --subject EMAIL");
		return EX_USAGE;
	}
	if ((rc = json_load_file(a->key, "a service account's JSON key file "
	    "(from Google Cloud console)", &key)) != 0)
		return rc;
	if (json_str(key, "client_email") == NULL ||
	    json_str(key, "private_key") == NULL) {
		warnx("'%s': not a service account key (want type "
		    "\"service_account\" with client_email and private_key)",
		    a->key);
		jv_free(key);
		return EX_DATAERR;
	}
	http_secret(json_str(key, "private_key"), "PRIVATE_KEY");
	if ((lock = state_lock(profile, "lock", 5, &rc)) == -1) {
		jv_free(key);
		return rc;
	}
	scopes = scope_string(a, 0);
	if ((rc = oauth_service_account(key, a->subject, scopes, &tokens)) != 0)
		goto out;
	path = state_path(STATE_CONFIG, profile, "service-account.json");
	if (state_write_json(path, jv_copy(key)) == -1) {
		warn("'%s'", path);
		rc = EX_SOFTWARE;
	}
	free(path);
	if (rc == 0 && json_str(tokens, "scope") == NULL)
		tokens = json_set_str(tokens, "scope", scopes);
	if (rc == 0 && (rc = oauth_save_tokens(profile, jv_copy(tokens))) == 0) {
		time_rfc3339(now_s(), when);
		prof = json_set_str(jv_object(), "kind", "service_account");
		prof = json_set_str(prof, "account", a->subject);
		prof = json_set_str(prof, "subject", a->subject);
		prof = json_set_str(prof, "client_email",
		    json_str(key, "client_email"));
		prof = jv_object_set(prof, jv_string("scopes"),
		    granted_scopes(tokens, scopes));
		prof = json_set_str(prof, "linked_at", when);
		rc = save_profile(profile, prof);
	}
out:
	state_unlock(lock);
	free(scopes);
	jv_free(key);
	jv_free(tokens);
	return rc;
}

static int
cmd_token(const struct args *a, const char *profile)
{
	char *token;
	int rc = oauth_token(profile, a->refresh, &token);

	if (rc == 0) {
		printf("%s\n", token);
		free_secret(token);
	}
	return rc;
}

static int
check_link(const char *profile, jv *view)
{
	struct calendar_api *api;
	struct http_response resp;
	char *token;
	int rc;

	/* A refresh proves the grant; a read proves the scopes. */
	if ((rc = oauth_token(profile, 1, &token)) != 0)
		return rc;
	free_secret(token);
	if ((api = calendar_open(profile, &rc)) == NULL)
		return rc;
	rc = calendar_call(api, "GET", "/calendar/v3/users/me/calendarList?maxResults=1",
	    jv_invalid(), NULL, &resp);
	if (rc == 0 && resp.status != 200)
		rc = calendar_failure(&resp, "checking the link");
	http_response_free(&resp);
	calendar_close(api);
	if (rc == 0)
		*view = json_set_str(*view, "check", "ok");
	return rc;
}

static int
cmd_status(const struct args *a, const char *profile)
{
	jv prof, view;
	long long exp;
	char when[32];
	int rc = 0;

	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	view = profile_view(profile, prof);
	if (a->check) {
		if (json_str(prof, "revoked_at")) {
			warnx("profile '%s' was unlinked on %s", profile,
			    json_str(prof, "revoked_at"));
			rc = EX_NOPERM;
		} else if ((rc = check_link(profile, &view)) == 0 &&
		    (exp = oauth_token_expiry(profile)) > 0) {
			time_rfc3339(exp, when);
			view = json_set_str(view, "token_expires", when);
		}
		if (rc != 0)
			view = json_set_str(view, "check", "failed");
	}
	/* a damaged file is shown, and is a configuration error */
	if (rc == 0 && json_str(view, "damaged"))
		rc = EX_CONFIG;
	json_print(stdout, view);
	jv_free(prof);
	return rc;
}

static int
print_item(jv item, void *arg)
{
	(void)arg;
	json_print(stdout, jv_copy(item));
	return 0;
}

static int
cmd_calendars(const char *profile)
{
	struct calendar_api *api;
	int rc;

	if ((api = calendar_open(profile, &rc)) == NULL)
		return rc;
	rc = calendar_list(api, "/calendar/v3/users/me/calendarList?maxResults=250",
	    "listing calendars", print_item, NULL, NULL);
	calendar_close(api);
	return rc;
}

struct find_mark {
	const char *summary;
	const char *mark;
	jv found;
};

static int
match_mark(jv item, void *arg)
{
	struct find_mark *f = arg;
	const char *s = json_str(item, "summary"), *d = json_str(item,
	    "description");

	char *text;

	/* items are borrowed from pages other threads free: keep text */
	if (!jv_is_valid(f->found) && s && d && strcmp(s, f->summary) == 0 &&
	    strstr(d, f->mark) != NULL) {
		text = json_dump(jv_copy(item));
		f->found = json_parse(text, strlen(text));
		free(text);
	}
	return 0;
}

/* calendars.insert is not idempotent (RFC 9110 9.2.2) and Google lets
 * no client choose a calendar's id: an answer lost after Google acted,
 * retried blindly, makes a second calendar. So the insert carries a mark
 * of this run in its description, is sent once per attempt, and after a
 * lost or retryable answer calendarList is searched for the mark before
 * the next attempt. 0 with Google's answer (or the found calendar as a
 * 200) in resp, or an exit status said. */
static int
create_calendar(struct calendar_api *api, const char *profile,
    const struct args *a, struct http_response *resp)
{
	struct http_request req = {
		.method = "POST", .host = HOST_WWW, .path = "/calendar/v3/calendars",
		.content_type = "application/json", .want_json = 1, .no_retry = 1,
	};
	char *mark, *desc, *body, *token = NULL;
	struct find_mark f = {a->create, NULL, jv_invalid()};
	int attempt, max = http_max_retries(), rc, lost, refreshed = 0;
	jv b;

	mark = xasprintf("%08x%08x", arc4random(), arc4random());
	f.mark = mark;
	desc = xasprintf("Made by gcal-auth for profile %s (mark %s)", profile,
	    mark);
	b = json_set_str(json_set_str(jv_object(), "summary", a->create),
	    "description", desc);
	if (a->time_zone)
		b = json_set_str(b, "timeZone", a->time_zone);
	body = json_dump(b);
	req.body = body;
	req.body_len = strlen(body);
	if ((rc = oauth_token(profile, 0, &token)) != 0)
		goto out;
	for (attempt = 1;; attempt++) {
		req.bearer = token;
		rc = http_do(&req, resp);
		if (rc == 0 && resp->status == 401 && !refreshed) {
			/* refused before acting: a new token, the same attempt */
			http_response_free(resp);
			free_secret(token);
			token = NULL;
			refreshed = 1;
			attempt--;
			if ((rc = oauth_token(profile, 1, &token)) != 0)
				goto out;
			continue;
		}
		lost = rc != 0 || http_retryable(resp);
		if (!lost)
			break;
		if (rc != 0 && verbose)
			warnx("%s: looking for the calendar before trying again",
			    http_error());
		/* did Google act before the answer was lost? */
		if ((rc = calendar_list(api, "/calendar/v3/users/me/calendarList?"
		    "maxResults=250&showHidden=true", "looking for the created "
		    "calendar", match_mark, &f, NULL)) != 0)
			goto out;
		if (jv_is_valid(f.found)) {
			http_response_free(resp);
			memset(resp, 0, sizeof(*resp));
			resp->status = 200;
			resp->json = f.found;
			f.found = jv_invalid();
			break;
		}
		if (attempt > max) {
			if (resp->status == 0) {
				warnx("creating the calendar: %s", http_error());
				rc = EX_TEMPFAIL;
			}
			break; /* a retryable answer is judged by the caller */
		}
		usleep((useconds_t)http_backoff_ms(attempt, resp->status ?
		    resp->retry_after : -1) * 1000);
		http_response_free(resp);
	}
out:
	free_secret(token);
	jv_free(f.found);
	free(body);
	free(desc);
	free(mark);
	return rc;
}

static int
cmd_use(const struct args *a, const char *profile)
{
	struct calendar_api *api;
	struct http_response resp;
	jv prof, cal = jv_invalid();
	char *id = NULL, *path;
	int rc, lock;

	if ((a->create == NULL) == (a->noperands != 1)) {
		warnx("use needs one CALENDAR_ID or --create NAME");
		return EX_USAGE;
	}
	if (a->time_zone && a->create == NULL) {
		warnx("--time-zone goes with --create");
		return EX_USAGE;
	}
	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	if ((api = calendar_open(profile, &rc)) == NULL) {
		jv_free(prof);
		return rc;
	}
	if (a->create) {
		rc = create_calendar(api, profile, a, &resp);
		if (rc == 0 && resp.status != 200)
			rc = calendar_failure(&resp, "creating the calendar");
	} else {
		id = url_escape(a->operands[0]);
		path = xasprintf("/calendar/v3/users/me/calendarList/%s", id);
		rc = calendar_call(api, "GET", path, jv_invalid(), NULL, &resp);
		free(path);
		if (rc == 0 && resp.status == 404) {
			warnx("no calendar '%s' in the account %s", a->operands[0],
			    json_str(prof, "account") ? json_str(prof, "account") :
			    "of this profile");
			rc = EX_DATAERR;
		} else if (rc == 0 && resp.status != 200)
			rc = calendar_failure(&resp, "reading the calendar");
	}
	if (rc == 0)
		cal = jv_copy(resp.json);
	http_response_free(&resp);
	calendar_close(api);
	free(id);
	if (rc != 0 || json_str(cal, "id") == NULL) {
		if (rc == 0) {
			warnx("Google's answer names no calendar id");
			rc = EX_UNAVAILABLE;
		}
		goto out;
	}
	if ((lock = state_lock(profile, "lock", 30, &rc)) == -1)
		goto out;
	jv_free(prof);
	prof = state_profile_read(profile);
	prof = json_set_str(prof, "calendar", json_str(cal, "id"));
	prof = jv_object_set(prof, jv_string("calendar_summary"),
	    json_get(cal, "summary"));
	if (state_profile_write(profile, jv_copy(prof)) == -1) {
		warn("profile '%s'", profile);
		rc = EX_SOFTWARE;
	} else {
		if (jv_get_kind(json_get(cal, "primary")) == JV_KIND_TRUE)
			note("'%s' is the account's primary calendar: gcal-push "
			    "writes to it only with --allow-primary",
			    json_str(cal, "id"));
		json_print(stdout, jv_copy(cal));
	}
	state_unlock(lock);
out:
	jv_free(cal);
	jv_free(prof);
	return rc;
}

static int
cmd_list(void)
{
	char **names = state_profiles(), **p, *path, *why;
	jv prof, v;
	int rc = 0;

	for (p = names; *p; p++) {
		prof = state_profile_read(*p);
		if (jv_is_valid(prof)) {
			v = profile_view(*p, prof);
			if (json_str(v, "damaged"))
				rc = EX_CONFIG;
			json_print(stdout, v);
			jv_free(prof);
			continue;
		}
		/* shown as damaged, never left out (it would read as gone) */
		path = state_path(STATE_CONFIG, *p, "profile.json");
		why = state_error(path, prof);
		warnx("profile '%s' is damaged: %s", *p, why);
		v = json_set_str(jv_object(), "profile", *p);
		v = json_set_str(v, "damaged", why);
		v = jv_object_set(v, jv_string("linked"), jv_false());
		json_print(stdout, v);
		free(why);
		free(path);
		rc = EX_CONFIG;
	}
	state_free_list(names);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct args a = {.timeout = 300};
	struct cli *c;
	const char *arg;
	int key, rc;

	static const char *const cmds[] = {"login", "service-account", "token",
	    "status", "calendars", "use", "list", NULL};

	cli_synopsis = synopsis;
	/* options before the subcommand, then the subcommand's own */
	a.cmd = cli_subcommand(options, cmds, &argc, &argv);
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		cli_check_cmd(c, key, a.cmd);
		switch (key) {
		case 'p':
			state_set_profile(arg);
			break;
		case 's':
			a.scopes = xreallocarray(a.scopes, a.nscopes + 1,
			    sizeof(*a.scopes));
			a.scopes[a.nscopes++] = (char *)arg;
			break;
		case OPT_CLIENT_SECRET:
			a.client_secret = arg;
			break;
		case OPT_NO_BROWSER:
			a.no_browser = 1;
			break;
		case OPT_ACCOUNT:
			a.account = arg;
			break;
		case OPT_TIMEOUT:
			a.timeout = (int)cli_number("--timeout", arg, 1, 86400);
			break;
		case OPT_KEY:
			a.key = arg;
			break;
		case OPT_SUBJECT:
			a.subject = arg;
			break;
		case OPT_REFRESH:
			a.refresh = 1;
			break;
		case OPT_CHECK:
			a.check = 1;
			break;
		case OPT_CREATE:
			a.create = arg;
			break;
		case OPT_TIME_ZONE:
			a.time_zone = arg;
			break;
		}
	}
	cli_free(c);
	a.operands = argv + optind;
	a.noperands = argc - optind;
	if (a.noperands > 0 && strcmp(a.cmd, "use") != 0) {
		warnx("'%s' takes no operands ('%s')", a.cmd, a.operands[0]);
		return EX_USAGE;
	}
	if (strcmp(a.cmd, "list") != 0)
		http_check_env();

	if (strcmp(a.cmd, "login") == 0)
		rc = cmd_login(&a, state_profile());
	else if (strcmp(a.cmd, "service-account") == 0)
		rc = cmd_service_account(&a, state_profile());
	else if (strcmp(a.cmd, "token") == 0)
		rc = cmd_token(&a, state_profile());
	else if (strcmp(a.cmd, "status") == 0)
		rc = cmd_status(&a, state_profile());
	else if (strcmp(a.cmd, "calendars") == 0)
		rc = cmd_calendars(state_profile());
	else if (strcmp(a.cmd, "use") == 0)
		rc = cmd_use(&a, state_profile());
	else
		rc = cmd_list();
	free(a.scopes);
	http_cleanup();
	return finish_stdout(rc);
}
