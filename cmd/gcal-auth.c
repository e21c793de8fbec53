/* gcal-auth: link a Google or Microsoft account to a profile, keep its
 * tokens, choose its calendar. See gcal-auth(1). */
#include <err.h>
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "grant.h"
#include "http.h"
#include "json.h"
#include "link.h"
#include "linkcal.h"
#include "msauth.h"
#include "oauth.h"
#include "provider.h"
#include "scopes.h"
#include "state.h"
#include "util.h"

enum {
	OPT_CLIENT_SECRET = CLI_FIRST_LONG, OPT_NO_BROWSER, OPT_TIMEOUT,
	OPT_ACCOUNT, OPT_KEY, OPT_SUBJECT, OPT_CHECK, OPT_CREATE, OPT_REFRESH,
	OPT_TIME_ZONE, OPT_PROVIDER, OPT_CLIENT_ID, OPT_TENANT, OPT_DEVICE,
};

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link to act on (default: $GCAL_PROFILE or 'default')"},
	{"scope", 's', "SCOPE", "login service-account", "a scope to ask for, e.g. calendar.readonly (repeatable; default: calendar)"},
	{"provider", OPT_PROVIDER, "NAME", "login", "google (the default) or microsoft"},
	{"client-secret", OPT_CLIENT_SECRET, "FILE", "login", "the OAuth client JSON of a \"Desktop app\" (kept for later logins)"},
	{"client-id", OPT_CLIENT_ID, "ID", "login", "Microsoft: the Application (client) ID of a public client"},
	{"tenant", OPT_TENANT, "TENANT", "login", "Microsoft: common (default), organizations, consumers, or a tenant id"},
	{"device", OPT_DEVICE, NULL, "login", "Microsoft: sign in with a code on another device"},
	{"no-browser", OPT_NO_BROWSER, NULL, "login", "print the consent address instead of opening a browser"},
	{"account", OPT_ACCOUNT, "EMAIL", "login", "suggest this account on the consent page, and link only it"},
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

struct args {
	char **scopes;
	size_t nscopes;
	const char *client_secret;
	const char *account;
	const char *key;
	const char *subject;
	const char *create;
	const char *time_zone;
	const char *provider;
	const char *client_id;
	const char *tenant;
	int device;
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
		json_print(stdout, link_view(profile, prof));
	jv_free(prof);
	return rc;
}

/* What a login got: the token answer, the account, the granted scopes. */
struct grant {
	jv tokens;
	jv granted;
	char *account;
	jv client;      /* Google's client, to keep; Microsoft: invalid */
};

/* Each scope asked for must be granted: the user may untick some. */
static int
check_granted(const struct args *a, struct grant *g, const char *asked,
    const char *who)
{
	char *want;
	size_t i;
	int rc = 0;

	g->granted = scopes_granted(g->tokens, asked);
	for (i = 0; i < (a->nscopes ? a->nscopes : 1); i++) {
		want = *who == 'G' ? oauth_scope(a->nscopes ? a->scopes[i] :
		    "calendar") : xstrdup(a->nscopes ? a->scopes[i] :
		    "Calendars.ReadWrite");
		if (!scopes_has(g->granted, want)) {
			warnx("%s did not grant '%s' (was it unticked on the "
			    "consent page?); nothing was linked", who, want);
			rc = EX_NOPERM;
		}
		free(want);
	}
	if (rc == 0 && json_str(g->tokens, "refresh_token") == NULL)
		note("%s sent no refresh token: the link lasts only as long "
		    "as this access token", who);
	return rc;
}

static int
login_google(const struct args *a, const char *profile, struct grant *g)
{
	struct oauth_login l = {0};
	char *scopes;
	int rc;

	if (a->client_id || a->tenant || a->device) {
		warnx("--client-id, --tenant and --device go with --provider "
		    "microsoft");
		return EX_USAGE;
	}
	if ((rc = link_load_client(a->client_secret, profile, &g->client)) != 0)
		return rc;
	scopes = scope_string(a, 1);
	l.client = g->client;
	l.scopes = scopes;
	l.login_hint = a->account;
	l.no_browser = a->no_browser;
	l.timeout = a->timeout;
	if ((rc = oauth_login(&l, &g->tokens)) == 0 &&
	    (rc = check_granted(a, g, scopes, "Google")) == 0)
		rc = oauth_account(g->tokens, &g->account);
	free(scopes);
	return rc;
}

/* The client and tenant of a Microsoft login: the options, else those
 * of the profile's link being renewed. */
static int
login_microsoft(const struct args *a, jv old, struct grant *g)
{
	struct msauth_login l = {0};
	struct buf b = {0};
	size_t i;
	int rc, renew = jv_get_kind(old) == JV_KIND_OBJECT &&
	    provider_of(old) == PROVIDER_MICROSOFT;

	if (a->client_secret) {
		warnx("--client-secret: a Microsoft link is a public client, "
		    "with no secret");
		return EX_USAGE;
	}
	l.client_id = a->client_id ? a->client_id : renew ?
	    json_str(old, "client_id") : NULL;
	l.tenant = a->tenant ? a->tenant : renew && json_str(old, "tenant") ?
	    json_str(old, "tenant") : "common";
	if (l.client_id == NULL) {
		warnx("login --provider microsoft needs --client-id ID (the "
		    "Application (client) ID of an app registration)");
		return EX_USAGE;
	}
	if (!msauth_valid_tenant(l.tenant)) {
		warnx("--tenant '%s': not common, organizations, consumers, a "
		    "tenant id or a domain", l.tenant);
		return EX_USAGE;
	}
	for (i = 0; i < a->nscopes; i++)
		buf_printf(&b, "%s ", a->scopes[i]);
	buf_adds(&b, a->nscopes ? "offline_access User.Read" : MSAUTH_SCOPES);
	l.scopes = b.data;
	l.login_hint = a->account;
	l.device = a->device;
	l.no_browser = a->no_browser;
	l.timeout = a->timeout;
	if ((rc = msauth_login(&l, &g->tokens)) == 0 &&
	    (rc = check_granted(a, g, b.data, "Microsoft")) == 0)
		rc = msauth_account(json_str(g->tokens, "access_token"),
		    &g->account);
	buf_free(&b);
	g->client = json_set_str(json_set_str(jv_object(), "client_id",
	    l.client_id), "tenant", l.tenant);
	return rc;
}

/* The profile.json of a new link; the same account keeps its calendar. */
static jv
new_profile(int provider, const struct grant *g, jv old)
{
	char when[32];
	jv prof = json_set_str(jv_object(), "kind", "oauth");

	time_rfc3339(now_s(), when);
	if (provider == PROVIDER_MICROSOFT) {
		prof = json_set_str(prof, "provider", "microsoft");
		prof = json_set_str(prof, "tenant", json_str(g->client, "tenant"));
	}
	prof = json_set_str(prof, "account", g->account);
	prof = jv_object_set(prof, jv_string("scopes"), jv_copy(g->granted));
	prof = json_set_str(prof, "client_id", json_str(g->client, "client_id"));
	prof = json_set_str(prof, "linked_at", when);
	if (link_same(old, provider, g->account) && json_str(old, "calendar")) {
		prof = jv_object_set(prof, jv_string("calendar"),
		    json_get(old, "calendar"));
		prof = jv_object_set(prof, jv_string("calendar_summary"),
		    json_get(old, "calendar_summary"));
	}
	return prof;
}

static int
cmd_login(const struct args *a, const char *profile)
{
	struct grant g = {jv_invalid(), jv_invalid(), NULL, jv_invalid()};
	jv old;
	int rc, lock, already, provider = PROVIDER_GOOGLE;

	if (a->provider && (provider = provider_parse(a->provider)) == -1) {
		warnx("--provider '%s': not google or microsoft", a->provider);
		return EX_USAGE;
	}
	if ((lock = state_lock(profile, "lock", 5, &rc)) == -1)
		return rc;
	old = state_profile_read(profile);
	/* a login again keeps the provider of the link it renews */
	if (a->provider == NULL && jv_get_kind(old) == JV_KIND_OBJECT &&
	    provider_of(old) == PROVIDER_MICROSOFT)
		provider = PROVIDER_MICROSOFT;
	rc = provider == PROVIDER_MICROSOFT ? login_microsoft(a, old, &g) :
	    login_google(a, profile, &g);
	/* The answer on the loopback may come from whoever read the consent
	 * address and consented first (login CSRF): the account asked for
	 * is the account linked, or nothing is. */
	if (rc == 0 && a->account && strcasecmp(g.account, a->account) != 0) {
		warnx("%s linked the account %s, not %s as asked (--account): "
		    "nothing was linked", provider == PROVIDER_MICROSOFT ?
		    "Microsoft" : "Google", g.account, a->account);
		if (provider == PROVIDER_GOOGLE &&
		    json_str(g.tokens, "refresh_token") &&
		    grant_revoke(json_str(g.tokens, "refresh_token"), &already) == 0)
			note("the grant of %s was revoked again", g.account);
		rc = EX_NOPERM;
	}
	if (rc != 0)
		goto out;
	link_replace(profile, old, provider, g.account);
	if ((provider == PROVIDER_GOOGLE && (rc = link_save_client(profile, g.client,
	    a->client_secret != NULL)) != 0) ||
	    (rc = oauth_save_tokens(profile, jv_copy(g.tokens))) != 0)
		goto out;
	rc = save_profile(profile, new_profile(provider, &g, old));
out:
	state_unlock(lock);
	free(g.account);
	jv_free(g.client);
	jv_free(g.tokens);
	jv_free(g.granted);
	jv_free(old);
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
		    scopes_granted(tokens, scopes));
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
cmd_status(const struct args *a, const char *profile)
{
	jv prof, view;
	long long exp;
	char when[32];
	int rc = 0;

	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	view = link_view(profile, prof);
	if (a->check) {
		if (json_str(prof, "revoked_at")) {
			warnx("profile '%s' was unlinked on %s", profile,
			    json_str(prof, "revoked_at"));
			rc = EX_NOPERM;
		} else if ((rc = linkcal_check(profile, prof)) == 0) {
			view = json_set_str(view, "check", "ok");
			if ((exp = oauth_token_expiry(profile)) > 0) {
				time_rfc3339(exp, when);
				view = json_set_str(view, "token_expires", when);
			}
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
cmd_calendars(const struct args *a, const char *profile)
{
	jv prof;
	int rc;

	(void)a;
	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	rc = linkcal_list(profile, prof, print_item, NULL);
	jv_free(prof);
	return rc;
}

static int
cmd_use(const struct args *a, const char *profile)
{
	jv prof, cal = jv_invalid();
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
	rc = a->create ? linkcal_create(profile, prof, a->create, a->time_zone,
	    &cal) : linkcal_get(profile, prof, a->operands[0], &cal);
	if (rc == 0 && json_str(cal, "id") == NULL) {
		warnx("the answer names no calendar id");
		rc = EX_UNAVAILABLE;
	}
	if (rc != 0 || (lock = state_lock(profile, "lock", 30, &rc)) == -1)
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
cmd_list(const struct args *a, const char *profile)
{
	char **names = state_profiles(), **p;
	int rc = 0, r;

	(void)a;
	(void)profile;
	for (p = names; *p; p++)
		if ((r = link_print(*p)) != 0)
			rc = r;
	state_free_list(names);
	return rc;
}

static const struct subcommand {
	const char *name;
	int (*run)(const struct args *, const char *profile);
	const char *usage;
} subcommands[] = {
	{"login", cmd_login, "login [-p PROFILE] [--provider google|microsoft] [--scope SCOPE]... [--client-secret FILE] [--client-id ID] [--tenant TENANT] [--device] [--no-browser] [--account EMAIL] [--timeout SECONDS]"},
	{"service-account", cmd_service_account, "service-account [-p PROFILE] --key FILE --subject EMAIL [--scope SCOPE]..."},
	{"token", cmd_token, "token [-p PROFILE] [--refresh]"},
	{"status", cmd_status, "status [-p PROFILE] [--check]"},
	{"calendars", cmd_calendars, "calendars [-p PROFILE]"},
	{"use", cmd_use, "use [-p PROFILE] CALENDAR_ID | --create NAME [--time-zone TZ]"},
	{"list", cmd_list, "list"},
};
#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void
set_option(struct args *a, int key, const char *arg)
{
	switch (key) {
	case 's':
		a->scopes = xreallocarray(a->scopes, a->nscopes + 1,
		    sizeof(*a->scopes));
		a->scopes[a->nscopes++] = (char *)arg;
		break;
	case OPT_CLIENT_SECRET: a->client_secret = arg; break;
	case OPT_NO_BROWSER: a->no_browser = 1; break;
	case OPT_ACCOUNT: a->account = arg; break;
	case OPT_TIMEOUT:
		a->timeout = (int)cli_number("--timeout", arg, 1, 86400);
		break;
	case OPT_KEY: a->key = arg; break;
	case OPT_SUBJECT: a->subject = arg; break;
	case OPT_REFRESH: a->refresh = 1; break;
	case OPT_CHECK: a->check = 1; break;
	case OPT_CREATE: a->create = arg; break;
	case OPT_TIME_ZONE: a->time_zone = arg; break;
	case OPT_PROVIDER: a->provider = arg; break;
	case OPT_CLIENT_ID: a->client_id = arg; break;
	case OPT_TENANT: a->tenant = arg; break;
	case OPT_DEVICE: a->device = 1; break;
	}
}

int
main(int argc, char *argv[])
{
	static const char *names[NSUB + 1], *synopsis[NSUB + 1];
	struct args a = {.timeout = 300};
	const struct subcommand *sub;
	struct cli *c;
	const char *arg, *cmd;
	int key, rc;
	size_t i;

	for (i = 0; i < NSUB; i++) {
		names[i] = subcommands[i].name;
		synopsis[i] = subcommands[i].usage;
	}
	cli_synopsis = synopsis;
	/* options before the subcommand, then the subcommand's own */
	cmd = cli_subcommand(options, names, &argc, &argv);
	for (sub = subcommands; strcmp(sub->name, cmd) != 0; sub++)
		;
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		cli_check_cmd(c, key, cmd);
		if (key == 'p')
			state_set_profile(arg);
		else
			set_option(&a, key, arg);
	}
	cli_free(c);
	a.operands = argv + optind;
	a.noperands = argc - optind;
	if (a.noperands > 0 && strcmp(cmd, "use") != 0) {
		warnx("'%s' takes no operands ('%s')", cmd, a.operands[0]);
		return EX_USAGE;
	}
	if (strcmp(cmd, "list") != 0)
		http_check_env();
	rc = sub->run(&a, state_profile());
	free(a.scopes);
	http_cleanup();
	return finish_stdout(rc);
}
