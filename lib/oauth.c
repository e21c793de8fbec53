#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "http.h"
#include "json.h"
#include "jwt.h"
#include "loopback.h"
#include "msauth.h"
#include "oauth.h"
#include "provider.h"
#include "state.h"
#include "stop.h"
#include "util.h"

#define JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

int
oauth_client_read(const char *path, jv *client)
{
	jv f, inner;
	const char *id, *secret;
	int rc;

	if ((rc = json_load_file(path, "the JSON of a \"Desktop app\" OAuth "
	    "client", &f)) != 0)
		return rc;
	/* Google Cloud console names the client's kind at the top. */
	inner = json_get(f, "installed");
	if (jv_get_kind(inner) != JV_KIND_OBJECT) {
		jv_free(inner);
		inner = json_get(f, "web");
	}
	id = json_str(inner, "client_id");
	secret = json_str(inner, "client_secret");
	if (id == NULL || secret == NULL) {
		warnx("'%s': not an OAuth client file (want the JSON of a "
		    "\"Desktop app\" client: installed.client_id, "
		    "installed.client_secret)", path);
		jv_free(inner);
		jv_free(f);
		return EX_DATAERR;
	}
	http_secret(secret, "CLIENT_SECRET");
	*client = json_set_str(json_set_str(jv_object(), "client_id", id),
	    "client_secret", secret);
	jv_free(inner);
	jv_free(f);
	return 0;
}

char *
oauth_scope(const char *name)
{
	if (strstr(name, "://") || strcmp(name, "openid") == 0 ||
	    strcmp(name, "email") == 0 || strcmp(name, "profile") == 0)
		return xstrdup(name);
	return xasprintf(SCOPE_PREFIX "%s", name);
}

/* POST a form to Google's token endpoint. 0 with resp (any status), or an
 * exit status with a message printed. */
static int
token_post(struct buf *form, struct http_response *resp)
{
	struct http_request req = {
		.method = "POST", .host = HOST_OAUTH2, .path = "/token",
		.content_type = "application/x-www-form-urlencoded",
		.body = form->data, .body_len = form->len, .want_json = 1,
	};
	int rc = http_do(&req, resp);

	if (rc != 0)
		warnx("cannot reach Google's token endpoint: %s", http_error());
	else if (resp->status == 200 &&
	    (jv_get_kind(resp->json) != JV_KIND_OBJECT ||
	    json_str(resp->json, "access_token") == NULL)) {
		warnx("Google's token endpoint answered without an access_token");
		rc = EX_UNAVAILABLE;
	}
	return rc;
}

int
oauth_failure(const struct http_response *resp, const char *what)
{
	char *reason = http_google_reason(resp);
	char *msg = http_google_message(resp);
	int rc;

	if (http_retryable(resp)) {
		warnx("%s: Google answered %ld%s%s (%s): try again later", what,
		    resp->status, msg ? ": " : "", msg ? msg : "",
		    resp->request ? resp->request : "?");
		rc = EX_TEMPFAIL;
	} else {
		warnx("%s: Google answered %ld %s%s%s (%s)", what, resp->status,
		    reason ? reason : "", msg ? ": " : "", msg ? msg : "",
		    resp->request ? resp->request : "?");
		rc = http_response_exit(resp);
	}
	free(reason);
	free(msg);
	return rc;
}

/* The same for the token endpoint, whose 400 and 401 are RFC 6749 5.2's
 * errors about the grant or the client (invalid_grant for a code or a JWT
 * Google refused, invalid_client...): a human must act, whatever the
 * body's shape, as a refresh's dead_grant() says. */
static int
grant_failure(const struct http_response *resp, const char *what)
{
	int rc = oauth_failure(resp, what);

	if (rc != EX_TEMPFAIL && (resp->status == 400 || resp->status == 401))
		rc = EX_NOPERM;
	return rc;
}

int
oauth_parse_redirect(const char *s, size_t n, char **code, char **state,
    char **error)
{
	return loopback_parse_redirect(s, n, code, state, error);
}

int
oauth_login(const struct oauth_login *l, jv *tokens)
{
	/* offline + consent: Google hands out a refresh token every time */
	static const char *const extra[] = {
		"access_type", "offline", "prompt", "consent", NULL
	};
	struct loopback_consent c = {
		.who = "Google", .client_id = json_str(l->client, "client_id"),
		.scopes = l->scopes, .extra = extra, .login_hint = l->login_hint,
		.no_browser = l->no_browser, .timeout = l->timeout,
	};
	struct loopback_code code;
	struct http_response resp;
	struct buf form = {0};
	int rc;

	c.authorize = http_url(HOST_ACCOUNTS, "/o/oauth2/v2/auth");
	rc = loopback_authorize(&c, &code);
	free((char *)c.authorize);
	if (rc != 0)
		return rc;
	form_add(&form, "grant_type", "authorization_code");
	form_add(&form, "code", code.code);
	form_add(&form, "client_id", json_str(l->client, "client_id"));
	form_add(&form, "client_secret", json_str(l->client, "client_secret"));
	form_add(&form, "redirect_uri", code.redirect_uri);
	form_add(&form, "code_verifier", code.verifier);
	if ((rc = token_post(&form, &resp)) == 0) {
		if (resp.status == 200)
			*tokens = jv_copy(resp.json);
		else
			rc = grant_failure(&resp, "exchanging the authorization code");
	}
	http_response_free(&resp);
	form_free(&form);
	loopback_code_free(&code);
	return rc;
}

int
oauth_service_account(jv key, const char *subject, const char *scopes,
    jv *tokens)
{
	const char *email = json_str(key, "client_email");
	const char *pem = json_str(key, "private_key");
	const char *kid = json_str(key, "private_key_id");
	const char *aud = json_str(key, "token_uri");
	struct http_response resp;
	struct buf form = {0};
	long long now = now_s();
	char *assertion, *why;
	jv header, claims;
	int rc;

	header = json_set_str(json_set_str(jv_object(), "alg", "RS256"),
	    "typ", "JWT");
	if (kid)
		header = json_set_str(header, "kid", kid);
	/* Google's server-to-server guide: iss, scope, aud, exp, iat, and sub
	 * for domain-wide delegation; at most one hour. */
	claims = json_set_str(jv_object(), "iss", email);
	claims = json_set_str(claims, "scope", scopes);
	claims = json_set_str(claims, "aud", aud ? aud : TOKEN_URI);
	claims = jv_object_set(claims, jv_string("iat"), jv_number((double)now));
	claims = jv_object_set(claims, jv_string("exp"),
	    jv_number((double)(now + 3600)));
	if (subject)
		claims = json_set_str(claims, "sub", subject);
	if ((assertion = jwt_rs256(header, claims, pem, &why)) == NULL) {
		warnx("service account key: %s", why);
		free(why);
		return EX_DATAERR;
	}
	http_secret(assertion, "JWT_ASSERTION");
	form_add(&form, "grant_type", JWT_BEARER);
	form_add(&form, "assertion", assertion);
	free_secret(assertion);
	if ((rc = token_post(&form, &resp)) == 0) {
		if (resp.status == 200)
			*tokens = jv_copy(resp.json);
		else {
			rc = grant_failure(&resp, "service account token");
			if (rc == EX_NOPERM)
				warnx("check that domain-wide delegation for %s "
				    "allows these scopes in the Workspace admin "
				    "console, and that %s exists", email,
				    subject ? subject : "the subject");
		}
	}
	http_response_free(&resp);
	form_free(&form);
	return rc;
}

/* GET path with the token; the answer's field, or NULL (the caller's). */
static char *
ask_field(const char *token, const char *path, const char *field,
    struct http_response *resp, int *rc)
{
	struct http_request req = {
		.method = "GET", .host = HOST_WWW, .path = path, .want_json = 1,
		.bearer = token,
	};

	if ((*rc = http_do(&req, resp)) != 0 || resp->status != 200 ||
	    json_str(resp->json, field) == NULL)
		return NULL;
	return xstrdup(json_str(resp->json, field));
}

int
oauth_account(jv tokens, char **email)
{
	struct http_response resp;
	const char *idt = json_str(tokens, "id_token"), *e;
	const char *token = json_str(tokens, "access_token");
	jv claims;
	int rc;

	if (idt) {
		http_secret(idt, "ID_TOKEN");
		claims = jwt_claims(idt);
		if ((e = json_str(claims, "email")) != NULL) {
			*email = xstrdup(e);
			jv_free(claims);
			return 0;
		}
		jv_free(claims);
	}
	if ((*email = ask_field(token, "/oauth2/v3/userinfo", "email", &resp,
	    &rc)) != NULL || rc != 0) {
		if (rc != 0)
			warnx("cannot ask Google who the account is: %s",
			    http_error());
		http_response_free(&resp);
		return rc;
	}
	http_response_free(&resp);
	/* No email from userinfo (the scope was not granted): the primary
	 * calendar's id is the account's address (Calendar API concepts). */
	if ((*email = ask_field(token, "/calendar/v3/calendars/primary", "id",
	    &resp, &rc)) == NULL && rc == 0)
		rc = oauth_failure(&resp, "asking Google for the account's email");
	else if (rc != 0)
		warnx("cannot ask Google who the account is: %s", http_error());
	http_response_free(&resp);
	return rc;
}

static char *
token_path(const char *profile)
{
	return state_path(STATE_STATE, profile, "token.json");
}

int
oauth_save_tokens(const char *profile, jv tokens)
{
	char *path = token_path(profile);
	jv old, t = jv_object();
	const char *s;
	double expires_in = json_num(tokens, "expires_in", 3600);
	int rc = 0;

	if ((s = json_str(tokens, "access_token")) != NULL)
		t = json_set_str(t, "access_token", s);
	t = jv_object_set(t, jv_string("expires_at"),
	    jv_number((double)now_s() + expires_in));
	t = jv_object_set(t, jv_string("lifetime"), jv_number(expires_in));
	if ((s = json_str(tokens, "scope")) != NULL)
		t = json_set_str(t, "scope", s);
	if ((s = json_str(tokens, "refresh_token")) != NULL)
		t = json_set_str(t, "refresh_token", s);
	else {
		/* a refresh answer rarely carries a new refresh token */
		old = state_read_json(path);
		if ((s = json_str(old, "refresh_token")) != NULL)
			t = json_set_str(t, "refresh_token", s);
		jv_free(old);
	}
	/* a rotated refresh token lives only here until the write */
	stop_point("token");
	if (state_write_json(path, t) == -1) {
		warn("'%s'", path);
		rc = EX_SOFTWARE;
	}
	jv_free(tokens);
	free(path);
	return rc;
}

long long
oauth_token_expiry(const char *profile)
{
	char *path = token_path(profile);
	jv t = state_read_json(path);
	double d = json_num(t, "expires_at", 0);
	/* a damaged file: 1e300 fits no long long */
	long long at = d > 0 && d < 1e15 ? (long long)d : 0;

	jv_free(t);
	free(path);
	return at;
}

/* Still good for a while: refresh a minute early (a quarter of the
 * lifetime for short-lived test tokens). */
static int
token_fresh(jv t)
{
	double at = json_num(t, "expires_at", 0);
	double life = json_num(t, "lifetime", 3600);
	double margin = life / 4 < 60 ? life / 4 : 60;

	if (json_str(t, "access_token") == NULL)
		return 0;
	/* A replay makes the requests its recording made, whatever the
	 * clock says now: the fixture's answers check no token. */
	if (http_replaying())
		return 1;
	return now_s() < at - margin;
}

static int
dead_grant(const char *profile, jv prof, const struct http_response *resp)
{
	char *reason = http_google_reason(resp), *msg = http_google_message(resp);
	const char *account = json_str(prof, "account");

	if (reason && strcmp(reason, "invalid_grant") == 0)
		warnx("profile '%s' (%s): Google refused the grant (%s): it was "
		    "revoked, or it expired (an app whose consent screen is in "
		    "\"Testing\" gets refresh tokens that expire after 7 days); "
		    "link again: gcal-auth login -p %s", profile,
		    account ? account : "unknown account", msg ? msg : reason,
		    profile);
	else
		warnx("profile '%s': Google refused the client (%s%s%s): the "
		    "client secret is not the one this link was made with; link "
		    "again: gcal-auth login -p %s --client-secret FILE", profile,
		    reason ? reason : "error", msg ? ": " : "", msg ? msg : "",
		    profile);
	free(reason);
	free(msg);
	return EX_NOPERM;
}

static int
refresh(const char *profile, jv prof, jv old, jv *tokens)
{
	const char *kind = json_str(prof, "kind");
	struct http_response resp;
	struct buf form = {0};
	char *path, *why;
	jv client, key;
	int rc;

	if (kind && strcmp(kind, "service_account") == 0) {
		path = state_path(STATE_CONFIG, profile, "service-account.json");
		key = state_read_json(path);
		if (!jv_is_valid(key)) {
			if (errno == ENOENT) {
				jv_free(key);
				why = NULL;
			} else
				why = state_error(path, key);
			warnx("profile '%s': its service account key is %s%s; "
			    "link again: gcal-auth service-account -p %s", profile,
			    why ? "damaged: " : "missing", why ? why : "", profile);
			free(why);
			free(path);
			return EX_CONFIG;
		}
		free(path);
		http_secret(json_str(key, "private_key"), "PRIVATE_KEY");
		rc = oauth_service_account(key, json_str(prof, "subject"),
		    json_str(old, "scope") ? json_str(old, "scope") :
		    SCOPE_PREFIX "calendar", tokens);
		jv_free(key);
		return rc;
	}
	if (json_str(old, "refresh_token") == NULL) {
		warnx("profile '%s' has no refresh token; link again: "
		    "gcal-auth login -p %s", profile, profile);
		return EX_NOPERM;
	}
	if (provider_of(prof) == PROVIDER_MICROSOFT)
		return msauth_refresh(profile, prof,
		    json_str(old, "refresh_token"), tokens);
	path = state_path(STATE_CONFIG, profile, "client_secret.json");
	rc = oauth_client_read(path, &client);
	free(path);
	if (rc != 0)
		return EX_CONFIG;
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "refresh_token", json_str(old, "refresh_token"));
	form_add(&form, "client_id", json_str(client, "client_id"));
	form_add(&form, "client_secret", json_str(client, "client_secret"));
	jv_free(client);
	if ((rc = token_post(&form, &resp)) == 0) {
		if (resp.status == 200)
			*tokens = jv_copy(resp.json);
		else if (resp.status == 400 || resp.status == 401)
			/* RFC 6749 5.2: invalid_grant, invalid_client... */
			rc = dead_grant(profile, prof, &resp);
		else
			rc = oauth_failure(&resp, "refreshing the token");
	}
	http_response_free(&resp);
	form_free(&form);
	return rc;
}

static int
unlinked(const char *profile, jv prof)
{
	const char *account = json_str(prof, "account");
	const char *with = json_str(prof, "revoked_with");

	warnx("profile '%s' (%s) was unlinked on %s%s%s%s: the link is gone; "
	    "link again: gcal-auth login -p %s", profile, account ? account :
	    "unknown account", json_str(prof, "revoked_at"), with ? " (its "
	    "grant was revoked with profile '" : "", with ? with : "",
	    with ? "')" : "", profile);
	return EX_NOPERM;
}

int
oauth_token(const char *profile, int force, char **token)
{
	char *path = token_path(profile), *why;
	jv prof, t = jv_invalid(), fresh;
	const char *account;
	int lock = -1, rc;

	if ((rc = state_profile_load(profile, &prof)) != 0)
		goto out;
	account = json_str(prof, "account");
	if (provider_of(prof) == -1) {
		warnx("profile '%s': its profile.json names a provider this "
		    "gcal does not know", profile);
		rc = EX_CONFIG;
		goto out;
	}
	if (json_str(prof, "revoked_at") != NULL) {
		rc = unlinked(profile, prof);
		goto out;
	}
	t = state_read_json(path);
	if (!force && token_fresh(t))
		goto have;
	/* One refresh at a time per profile; a waiting run then finds the
	 * token the other one got. */
	if ((lock = state_lock(profile, "token.lock", 30, &rc)) == -1)
		goto out;
	jv_free(t);
	t = state_read_json(path);
	if (!jv_is_valid(t) && errno != ENOENT) {
		/* damaged is not gone: name the file and where */
		why = state_error(path, t);
		t = jv_invalid();
		warnx("profile '%s': its token file is damaged: %s (restore it, "
		    "or link again: gcal-auth login -p %s)", profile, why,
		    profile);
		free(why);
		rc = EX_CONFIG;
		goto out;
	}
	if (!force && token_fresh(t))
		goto have;
	if (jv_get_kind(t) != JV_KIND_OBJECT &&
	    strcmp(json_str(prof, "kind") ? json_str(prof, "kind") : "",
	    "service_account") != 0) {
		warnx("profile '%s' (%s) has no tokens: the link is gone; link "
		    "again: gcal-auth login -p %s", profile,
		    account ? account : "unknown account", profile);
		rc = EX_NOPERM;
		goto out;
	}
	if ((rc = refresh(profile, prof, t, &fresh)) != 0)
		goto out;
	if ((rc = oauth_save_tokens(profile, fresh)) != 0)
		goto out;
	jv_free(t);
	t = state_read_json(path);
have:
	if (json_str(t, "access_token") == NULL) {
		warnx("profile '%s': its token file is damaged: '%s': no "
		    "access_token (restore it, or link again: gcal-auth login -p "
		    "%s)", profile, path, profile);
		rc = EX_CONFIG;
		goto out;
	}
	http_secret(json_str(t, "refresh_token"), "REFRESH_TOKEN");
	*token = xstrdup(json_str(t, "access_token"));
	http_secret(*token, "ACCESS_TOKEN");
out:
	state_unlock(lock);
	jv_free(t);
	jv_free(prof);
	free(path);
	return rc;
}
