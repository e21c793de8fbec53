#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "json.h"
#include "jwt.h"
#include "oauth.h"
#include "state.h"
#include "stop.h"
#include "util.h"

extern char **environ;

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

static void
form_add(struct buf *b, const char *name, const char *value)
{
	char *v = url_escape(value);

	if (b->len)
		buf_addc(b, '&');
	buf_adds(b, name);
	buf_addc(b, '=');
	buf_adds(b, v);
	explicit_bzero(v, strlen(v));
	free(v);
}

static void
form_free(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->len);
	buf_free(b);
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

/* An exit status and a one-line message for a failed token request. */
static int
token_failure(const struct http_response *resp, const char *what)
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
	int rc = token_failure(resp, what);

	if (rc != EX_TEMPFAIL && (resp->status == 400 || resp->status == 401))
		rc = EX_NOPERM;
	return rc;
}

/* --- the browser ---------------------------------------------------------- */

/* Start the browser on url without waiting and without a shell: $BROWSER
 * (words split on blanks, "%s" replaced by the URL, else the URL
 * appended), else xdg-open when there is a display. The child cannot read
 * our stdin (the paste-back) nor write to our stdout (the data). Its pid
 * and *name (the command, the caller's), or -1 when none was started. */
static pid_t
open_browser(const char *url, char **name)
{
	const char *env = getenv("BROWSER");
	char *copy = NULL, *word, *save = NULL, **argv = NULL;
	size_t argc = 0;
	int url_placed = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;

	if (env && *env) {
		/* like xdg-utils: the first of a colon-separated list */
		copy = xstrndup(env, strcspn(env, ":"));
		save = copy;
		while ((word = str_word(&save, " \t")) != NULL) {
			argv = xreallocarray(argv, argc + 3, sizeof(*argv));
			if (strcmp(word, "%s") == 0) {
				argv[argc++] = (char *)url;
				url_placed = 1;
			} else
				argv[argc++] = word;
		}
	} else if (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY")) {
		argv = xreallocarray(argv, 3, sizeof(*argv));
		argv[argc++] = "xdg-open";
	}
	if (argc == 0)
		goto out;
	if (!url_placed)
		argv[argc++] = (char *)url;
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!verbose)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		note("cannot start the browser '%s'", argv[0]);
		pid = -1;
	} else
		*name = xstrdup(argv[0]);
	posix_spawn_file_actions_destroy(&fa);
out:
	free(argv);
	free(copy);
	return pid;
}

/* --- the loopback redirect ------------------------------------------------ */

/* Longest pasted line read as a redirect URL. */
#define PASTE_MAX 65536

struct redirect {
	char *code;
	char *state;
	char *error;
	char *scope;
};

static void
redirect_free(struct redirect *r)
{
	free_secret(r->code);
	free(r->state);
	free(r->error);
	free(r->scope);
	memset(r, 0, sizeof(*r));
}

/* Parse the query of the redirect (or a whole pasted URL). 1 when it
 * carries a code or an error. */
static int
parse_redirect(const char *s, size_t n, struct redirect *r)
{
	const char *q = memchr(s, '?', n), *end = s + n, *amp, *eq;
	char *name, **slot;

	if (q == NULL)
		q = s;
	else
		q++;
	while (q < end) {
		if ((amp = memchr(q, '&', (size_t)(end - q))) == NULL)
			amp = end;
		if ((eq = memchr(q, '=', (size_t)(amp - q))) != NULL) {
			name = xstrndup(q, (size_t)(eq - q));
			slot = strcmp(name, "code") == 0 ? &r->code :
			    strcmp(name, "state") == 0 ? &r->state :
			    strcmp(name, "error") == 0 ? &r->error :
			    strcmp(name, "scope") == 0 ? &r->scope : NULL;
			if (slot) {
				free(*slot);
				*slot = url_unescape(eq + 1, (size_t)(amp - eq - 1));
			}
			free(name);
		}
		q = amp + 1;
	}
	if (r->code)
		http_secret(r->code, "AUTH_CODE");
	return r->code != NULL || r->error != NULL;
}

int
oauth_parse_redirect(const char *s, size_t n, char **code, char **state,
    char **error)
{
	struct redirect r = {0};
	int found = parse_redirect(s, n, &r);

	*code = r.code;
	*state = r.state;
	*error = r.error;
	free(r.scope);
	return found;
}

static int
listen_loopback(int *port)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	int fd;

	/* 127.0.0.1 only: the code must never be offered to the network. */
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
answer_browser_to(int fd, const char *status, const char *text,
    const char *location)
{
	char *page = xasprintf("<!doctype html><title>gcal</title><p>%s</p>\n",
	    text);
	char *head = xasprintf("HTTP/1.1 %s\r\n%s%s%sContent-Type: text/html; "
	    "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\r\n",
	    status, location ? "Location: " : "", location ? location : "",
	    location ? "\r\n" : "", strlen(page));

	write_all(fd, head, strlen(head));
	write_all(fd, page, strlen(page));
	explicit_bzero(head, strlen(head));
	free(head);
	free(page);
}

static void
answer_browser(int fd, const char *status, const char *text)
{
	answer_browser_to(fd, status, text, NULL);
}

/* Read one request from a browser connection; its request target is put
 * in *target. 0, or -1 for something that is not an HTTP GET. */
static int
read_browser_request(int fd, char **target)
{
	struct timeval tv = {5, 0};
	char buf[8192], *sp1, *sp2;
	size_t len = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			break;
	}
	buf[len] = '\0';
	if (strncmp(buf, "GET ", 4) != 0 || (sp1 = buf + 3) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL)
		return -1;
	*target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* The path of the local start page: the browser is given
 * http://127.0.0.1:PORT/START_PATH, which answers once with a redirect
 * to Google's consent address. That address carries the state, and any
 * local user can read a process's argv (/proc/PID/cmdline): it must not
 * be there. A second visit of the start page means someone else read
 * the local address and raced the browser: the login is refused. */
#define START_PATH "/gcal-start"

struct waiting {
	int lfd;
	const char *state;
	const char *consent_url;   /* what the start page redirects to */
	const char *redirect_uri;
	int timeout;
	pid_t browser;             /* -1: none started */
	char *browser_name;        /* the command, or NULL */
	int starts;                /* visits of the start page */
	int no_follow;             /* the browser ended after the start page */
	int consent_failed;        /* ... or failed after it, on Google's page */
};

/* Has the browser command failed? Then say so once; 1 when it did. */
static int
browser_failed(struct waiting *w)
{
	int st;

	if (w->browser <= 0 || waitpid(w->browser, &st, WNOHANG) != w->browser)
		return 0;
	w->browser = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		/* Many hand the address to a running browser and end before
		 * it is loaded. One that ends after loading the start page
		 * did not follow its redirect (curl without -L). */
		if (w->starts > 0) {
			note("the browser command '%s' ended after loading only the "
			    "local start page: a browser must follow its redirect "
			    "to Google (curl needs -L)", w->browser_name);
			w->no_follow = 1;
		}
		return 0;
	}
	if (WIFEXITED(st) && w->starts > 0) {
		/* It loaded the start page and was sent on to Google: what it
		 * could not load is Google's consent page (a browser exits
		 * non-zero when a page cannot be reached: curl -fL on a
		 * refused connection, a name that does not resolve, a 5xx or
		 * a 429). That is the network's "try later" of gcal(7), not a
		 * broken browser. Named without its query (the state). */
		w->consent_failed = 1;
		if (!isatty(0))
			warnx("the browser command '%s' could not load Google's "
			    "consent page %.*s (exit status %d): Google cannot be "
			    "reached now; nothing was linked, try again later",
			    w->browser_name, (int)strcspn(w->consent_url, "?"),
			    w->consent_url, WEXITSTATUS(st));
		else
			warnx("the browser command '%s' could not load Google's "
			    "consent page %.*s (exit status %d)", w->browser_name,
			    (int)strcspn(w->consent_url, "?"), w->consent_url,
			    WEXITSTATUS(st));
	} else if (WIFEXITED(st))
		warnx("the browser command '%s' failed (exit status %d) before "
		    "the sign-in was done", w->browser_name, WEXITSTATUS(st));
	else
		warnx("the browser command '%s' was killed (signal %d) before "
		    "the sign-in was done", w->browser_name, WTERMSIG(st));
	return 1;
}

/* Wait for the redirect on the listener or a pasted URL on stdin. */
static int
wait_redirect(struct waiting *w, struct redirect *r)
{
	struct pollfd pfd[2];
	struct buf line = {0};
	long long deadline = now_ms() + (long long)w->timeout * 1000;
	char chunk[4096], *target, *nl, *why;
	int stdin_open = 1, n, cfd, rc = -1, have = 0, lfd = w->lfd;
	const char *state = w->state;
	ssize_t got;
	long long left;

	while (!have) {
		left = deadline - now_ms();
		if (left <= 0) {
			warnx("waited %d s for Google to send the browser back to "
			    "%s (or for its address pasted here)%s; nothing was "
			    "linked", w->timeout, w->redirect_uri, w->no_follow ?
			    ": the browser did not follow the redirect to Google" :
			    w->starts ? "" : w->browser_name ? ": the browser never "
			    "asked for the consent page" : "");
			rc = EX_TEMPFAIL;
			goto out;
		}
		if (browser_failed(w)) {
			if (!isatty(0) && w->consent_failed) {
				rc = EX_TEMPFAIL;
				goto out;
			}
			if (!isatty(0)) {
				warnx("nothing was linked (run with --no-browser to "
				    "open the address by hand)");
				rc = EX_UNAVAILABLE;
				goto out;
			}
			fprintf(stderr, "Open this address in a browser instead:\n"
			    "\n  %s\n\nThen wait, or paste here the address the "
			    "browser ends up on.\n", w->consent_url);
		}
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = stdin_open ? 0 : -1;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, left > 200 ? 200 : (int)left);
		if (n == -1 && errno != EINTR)
			err(EX_SOFTWARE, "poll");
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			if ((cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
				continue;
			target = NULL;
			if (read_browser_request(cfd, &target) == 0 &&
			    strcmp(target, START_PATH) == 0) {
				if (w->starts++ == 0)
					answer_browser_to(cfd, "302 Found", "On to "
					    "Google.", w->consent_url);
				else
					answer_browser(cfd, "410 Gone", "This sign-in "
					    "page was opened twice; nothing will be "
					    "linked. Start again.");
				close(cfd);
				free(target);
				if (w->starts > 1) {
					warnx("the local sign-in page was asked for "
					    "twice (another local user may have read "
					    "its address and raced the browser); "
					    "nothing was linked");
					rc = EX_NOPERM;
					goto out;
				}
				continue;
			}
			if (target == NULL ||
			    !parse_redirect(target, strlen(target), r)) {
				/* a favicon or a stray request: not ours */
				answer_browser(cfd, "404 Not Found", "Not found.");
				close(cfd);
				free(target);
				redirect_free(r);
				continue;
			}
			if (r->state == NULL || strcmp(r->state, state) != 0)
				answer_browser(cfd, "400 Bad Request", "This answer "
				    "does not belong to the sign-in gcal started; "
				    "nothing was linked.");
			else if (r->error)
				answer_browser(cfd, "200 OK", "Linking was refused. "
				    "You can close this tab.");
			else
				answer_browser(cfd, "200 OK", "gcal is linked to your "
				    "Google account. You can close this tab.");
			close(cfd);
			if (target)
				explicit_bzero(target, strlen(target));
			free(target);
			have = 1;
		} else if (pfd[0].revents & (POLLERR | POLLHUP))
			errx(EX_SOFTWARE, "the loopback listener failed");
		if (!have && stdin_open && (pfd[1].revents & (POLLIN | POLLHUP))) {
			got = read(0, chunk, sizeof(chunk));
			if (got <= 0) {
				stdin_open = 0;
				if (line.len == 0)
					continue;
				buf_addc(&line, '\n');
			} else
				buf_add(&line, chunk, (size_t)got);
			while (!have && line.len &&
			    (nl = memchr(line.data, '\n', line.len)) != NULL) {
				size_t l = (size_t)(nl - line.data);

				if (l > 0 && parse_redirect(line.data, l, r))
					have = 1;
				else if (l > 0 && strspn(line.data, " \t\r") < l) {
					warnx("'<stdin>' line 1: not the address the "
					    "browser was sent to (no code= or error= "
					    "in it)");
					rc = EX_DATAERR;
					goto out;
				}
				memmove(line.data, nl + 1, line.len - l - 1);
				line.len -= l + 1;
			}
			/* a redirect is a few hundred bytes: do not hoard (and
			 * rescan) an endless line */
			if (!have && line.len > PASTE_MAX) {
				warnx("'<stdin>' line 1: longer than %d bytes: not the "
				    "address the browser was sent to", PASTE_MAX);
				rc = EX_DATAERR;
				goto out;
			}
		}
	}
	if (r->state == NULL || strcmp(r->state, state) != 0) {
		warnx("the redirect carries the wrong state (not the answer to "
		    "this sign-in, or forged); nothing was linked");
		rc = EX_DATAERR;
	} else if (r->error) {
		why = http_redact_message(r->error);
		warnx("Google did not grant access (%s); nothing was linked", why);
		free(why);
		rc = EX_NOPERM;
	} else
		rc = 0;
out:
	form_free(&line);
	return rc;
}

static void
reap(pid_t pid)
{
	int st;

	/* the launcher (xdg-open) has mostly handed over and gone by now;
	 * one still running is left, not waited for: it may be the
	 * browser itself, and this process ends soon */
	if (pid > 0)
		(void)waitpid(pid, &st, WNOHANG);
}

int
oauth_login(const struct oauth_login *l, jv *tokens)
{
	unsigned char raw[64], digest[32];
	struct redirect r = {0};
	struct http_response resp;
	struct buf q = {0}, form = {0};
	char *verifier, *challenge, *state, *redirect_uri, *url, *auth, *start;
	struct waiting w = {0};
	int lfd, port, rc;
	pid_t browser = -1;

	if ((lfd = listen_loopback(&port)) == -1) {
		warn("cannot listen on 127.0.0.1");
		return EX_SOFTWARE;
	}
	/* PKCE (RFC 7636 4.1): 64 random bytes make an 86-character verifier. */
	arc4random_buf(raw, sizeof(raw));
	verifier = base64url(raw, sizeof(raw));
	http_secret(verifier, "CODE_VERIFIER");
	sha256(verifier, strlen(verifier), digest);
	challenge = base64url(digest, sizeof(digest));
	arc4random_buf(raw, 24);
	state = base64url(raw, 24);
	explicit_bzero(raw, sizeof(raw));
	redirect_uri = xasprintf("http://127.0.0.1:%d/", port);

	form_add(&q, "client_id", json_str(l->client, "client_id"));
	form_add(&q, "redirect_uri", redirect_uri);
	form_add(&q, "response_type", "code");
	form_add(&q, "scope", l->scopes);
	form_add(&q, "state", state);
	form_add(&q, "code_challenge", challenge);
	form_add(&q, "code_challenge_method", "S256");
	/* offline + consent: Google hands out a refresh token every time */
	form_add(&q, "access_type", "offline");
	form_add(&q, "prompt", "consent");
	if (l->login_hint)
		form_add(&q, "login_hint", l->login_hint);
	auth = xasprintf("/o/oauth2/v2/auth?%s", q.data);
	url = http_url(HOST_ACCOUNTS, auth);
	free(auth);
	buf_free(&q);

	start = xasprintf("http://127.0.0.1:%d" START_PATH, port);
	if (!l->no_browser)
		browser = open_browser(start, &w.browser_name);
	if (browser == -1) {
		fprintf(stderr, "Open this address in a browser to link a Google "
		    "account:\n\n  %s\n\nThen wait, or paste here the address the "
		    "browser ends up on (it starts with %s).\n", url, redirect_uri);
	} else if (isatty(2))
		fprintf(stderr, "Waiting for consent in the browser (or paste the "
		    "address it ends up on)...\n");

	w.lfd = lfd;
	w.state = state;
	w.consent_url = url;
	w.redirect_uri = redirect_uri;
	w.timeout = l->timeout;
	w.browser = browser;
	rc = wait_redirect(&w, &r);
	close(lfd);
	reap(w.browser);
	free(start);
	free(w.browser_name);
	if (rc != 0)
		goto done;

	form_add(&form, "grant_type", "authorization_code");
	form_add(&form, "code", r.code);
	form_add(&form, "client_id", json_str(l->client, "client_id"));
	form_add(&form, "client_secret", json_str(l->client, "client_secret"));
	form_add(&form, "redirect_uri", redirect_uri);
	form_add(&form, "code_verifier", verifier);
	if ((rc = token_post(&form, &resp)) == 0) {
		if (resp.status == 200)
			*tokens = jv_copy(resp.json);
		else
			rc = grant_failure(&resp, "exchanging the authorization code");
	}
	http_response_free(&resp);
done:
	form_free(&form);
	redirect_free(&r);
	free_secret(verifier);
	free(challenge);
	free(state);
	free(redirect_uri);
	free(url);
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
		rc = token_failure(&resp, "asking Google for the account's email");
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
			rc = token_failure(&resp, "refreshing the token");
	}
	http_response_free(&resp);
	form_free(&form);
	return rc;
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
	if (json_str(prof, "revoked_at") != NULL) {
		warnx("profile '%s' (%s) was unlinked on %s%s%s%s: the link is "
		    "gone; link again: gcal-auth login -p %s", profile,
		    account ? account : "unknown account",
		    json_str(prof, "revoked_at"),
		    json_str(prof, "revoked_with") ? " (its grant was revoked "
		    "with profile '" : "", json_str(prof, "revoked_with") ?
		    json_str(prof, "revoked_with") : "",
		    json_str(prof, "revoked_with") ? "')" : "", profile);
		rc = EX_NOPERM;
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

int
oauth_revoke(const char *token, int *already)
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
			rc = token_failure(&resp, "revoking the grant");
		free(reason);
	}
	http_response_free(&resp);
	form_free(&form);
	return rc;
}

char **
oauth_grant_siblings(const char *profile, jv prof)
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
		kind = json_str(o, "kind");
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
oauth_mark_revoked(const char *profile, const char *by, const char *when)
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
	path = token_path(profile);
	if (state_remove(path) == -1) {
		warn("'%s'", path);
		rc = EX_SOFTWARE;
	}
	free(path);
	return rc;
}
