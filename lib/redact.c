#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "redact.h"
#include "util.h"

struct secret {
	char *value;
	char *placeholder;
	size_t len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret *secrets;
static size_t nsecrets;

/* Under lock. */
static void
add_secret(const char *value, char *placeholder)
{
	secrets = xreallocarray(secrets, nsecrets + 1, sizeof(*secrets));
	secrets[nsecrets].value = xstrdup(value);
	secrets[nsecrets].len = strlen(value);
	secrets[nsecrets].placeholder = placeholder;
	nsecrets++;
}

void
http_secret(const char *value, const char *kind)
{
	size_t i, n = 0;
	const char *dot;
	char *enc;

	if (value == NULL || strlen(value) < 4)
		return;
	/* An ID token's signature is what makes it a credential; its header
	 * and claims (who signed in: the account's address, which profile.json
	 * keeps too) stay readable, so that a replayed login learns the
	 * account from the fixture as the recorded one did. */
	if (strcmp(kind, "ID_TOKEN") == 0 && (dot = strchr(value, '.')) != NULL &&
	    (dot = strchr(dot + 1, '.')) != NULL && strlen(dot + 1) >= 4)
		value = dot + 1;
	enc = url_escape(value);
	pthread_mutex_lock(&lock);
	for (i = 0; i < nsecrets; i++) {
		if (strcmp(secrets[i].value, value) == 0)
			goto out;
		if (strncmp(secrets[i].placeholder + 1, kind, strlen(kind)) == 0 &&
		    secrets[i].placeholder[strlen(kind) + 1] == '_' &&
		    (i == 0 || strcmp(secrets[i].placeholder,
		    secrets[i - 1].placeholder) != 0))
			n++;
	}
	add_secret(value, xasprintf("<%s_%zu>", kind, n + 1));
	/* the percent-encoded spelling, as it appears in forms and URLs */
	if (strcmp(enc, value) != 0)
		add_secret(enc, xstrdup(secrets[nsecrets - 1].placeholder));
out:
	pthread_mutex_unlock(&lock);
	free(enc);
}

char *
http_redact(const char *s, size_t n)
{
	struct buf b = {0};
	size_t i, pos = 0, best_len;
	const char *hit, *best;
	const struct secret *bs;

	if (s == NULL)
		return xstrdup("");
	pthread_mutex_lock(&lock);
	while (pos < n) {
		best = NULL;
		bs = NULL;
		best_len = 0;
		for (i = 0; i < nsecrets; i++) {
			hit = memmem(s + pos, n - pos, secrets[i].value, secrets[i].len);
			if (hit && (best == NULL || hit < best ||
			    (hit == best && secrets[i].len > best_len))) {
				best = hit;
				bs = &secrets[i];
				best_len = secrets[i].len;
			}
		}
		if (best == NULL) {
			buf_add(&b, s + pos, n - pos);
			break;
		}
		buf_add(&b, s + pos, (size_t)(best - (s + pos)));
		buf_adds(&b, bs->placeholder);
		pos = (size_t)(best - s) + bs->len;
	}
	pthread_mutex_unlock(&lock);
	return buf_take(&b);
}

/* Form and query parameters that carry secrets (OAuth 2.0, RFC 6749/7636). */
static const struct {
	const char *name;
	const char *kind;
} secret_params[] = {
	{"client_secret", "CLIENT_SECRET"},
	{"refresh_token", "REFRESH_TOKEN"},
	{"access_token", "ACCESS_TOKEN"},
	{"id_token", "ID_TOKEN"},
	{"code", "AUTH_CODE"},
	{"code_verifier", "CODE_VERIFIER"},
	{"assertion", "JWT_ASSERTION"},
	{"token", "TOKEN"},
};

void
redact_learn_form(const char *s, size_t n)
{
	const char *p = s, *end = s + n, *amp, *eq;
	char *name, *value;
	size_t i;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL) {
			name = url_unescape(p, (size_t)(eq - p));
			for (i = 0; i < sizeof(secret_params) / sizeof(secret_params[0]); i++)
				if (strcmp(name, secret_params[i].name) == 0) {
					value = url_unescape(eq + 1, (size_t)(amp - eq - 1));
					http_secret(value, secret_params[i].kind);
					free(value);
				}
			free(name);
		}
		p = amp + 1;
	}
}

void
redact_learn_json(jv v)
{
	size_t i;
	const char *s;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return;
	for (i = 0; i < sizeof(secret_params) / sizeof(secret_params[0]); i++)
		if ((s = json_str(v, secret_params[i].name)) != NULL &&
		    strcmp(secret_params[i].name, "code") != 0)
			http_secret(s, secret_params[i].kind);
}

static int
token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("._~+/=-", c) != NULL;
}

/* Does a word look like a credential? Google's own spellings (access
 * tokens ya29., refresh tokens 1//, codes 4/, client secrets GOCSPX-,
 * JWTs eyJ), or a long run of mixed case and digits (base32hex ids and
 * words are not mixed case). */
static int
looks_secret(const char *w, size_t n)
{
	static const char *const prefixes[] = {"ya29.", "1//", "4/0", "4/1",
	    "GOCSPX-", "eyJ", NULL};
	int up = 0, low = 0, dig = 0;
	size_t i;

	for (i = 0; prefixes[i]; i++)
		if (n >= strlen(prefixes[i]) + 8 &&
		    strncmp(w, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	if (n < 32)
		return 0;
	for (i = 0; i < n; i++) {
		up |= w[i] >= 'A' && w[i] <= 'Z';
		low |= w[i] >= 'a' && w[i] <= 'z';
		dig |= w[i] >= '0' && w[i] <= '9';
	}
	return up && low && dig;
}

char *
http_redact_message(const char *s)
{
	char *known = http_redact(s, strlen(s));
	struct buf b = {0};
	const char *p = known, *w;

	while (*p) {
		if (!token_char((unsigned char)*p)) {
			buf_addc(&b, *p++);
			continue;
		}
		for (w = p; *p && token_char((unsigned char)*p); p++)
			;
		if (looks_secret(w, (size_t)(p - w)))
			buf_adds(&b, "<REDACTED>");
		else
			buf_add(&b, w, (size_t)(p - w));
	}
	free(known);
	return buf_take(&b);
}

void
redact_cleanup(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nsecrets; i++) {
		explicit_bzero(secrets[i].value, secrets[i].len);
		free(secrets[i].value);
		free(secrets[i].placeholder);
	}
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
	pthread_mutex_unlock(&lock);
}
