#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "browser.h"
#include "digest.h"
#include "form.h"
#include "http.h"
#include "jwt.h"
#include "loopback.h"
#include "util.h"

/* Longest pasted line read as a redirect URL. */
#define PASTE_MAX 65536

/* The path of the local start page: the browser is given
 * http://127.0.0.1:PORT/START_PATH, which answers once with a redirect
 * to the consent address. That address carries the state, and any local
 * user can read a process's argv (/proc/PID/cmdline): it must not be
 * there. A second visit of the start page means someone else read the
 * local address and raced the browser: the login is refused. */
#define START_PATH "/gcal-start"

struct redirect {
	char *code;
	char *state;
	char *error;
};

struct waiting {
	const char *who;
	int lfd;
	const char *state;
	const char *consent_url;   /* what the start page redirects to */
	const char *redirect_uri;
	int timeout;
	pid_t browser;             /* -1: none started */
	char *browser_name;        /* the command, or NULL */
	int starts;                /* visits of the start page */
	int no_follow;             /* the browser ended after the start page */
	int consent_failed;        /* ... or failed after it, on the consent page */
	int stdin_open;
	struct buf line;           /* pasted bytes not yet a whole line */
	struct redirect r;
};

static void
redirect_free(struct redirect *r)
{
	free_secret(r->code);
	free(r->state);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* Parse the query of the redirect (or a whole pasted URL). 1 when it
 * carries a code or an error. */
static int
parse_redirect(const char *s, size_t n, struct redirect *r)
{
	const char *q = memchr(s, '?', n), *end = s + n, *amp, *eq;
	char *name, **slot;

	q = q == NULL ? s : q + 1;
	for (; q < end; q = amp + 1) {
		if ((amp = memchr(q, '&', (size_t)(end - q))) == NULL)
			amp = end;
		if ((eq = memchr(q, '=', (size_t)(amp - q))) == NULL)
			continue;
		name = xstrndup(q, (size_t)(eq - q));
		slot = strcmp(name, "code") == 0 ? &r->code :
		    strcmp(name, "state") == 0 ? &r->state :
		    strcmp(name, "error") == 0 ? &r->error : NULL;
		if (slot) {
			free(*slot);
			*slot = url_unescape(eq + 1, (size_t)(amp - eq - 1));
		}
		free(name);
	}
	if (r->code)
		http_secret(r->code, "AUTH_CODE");
	return r->code != NULL || r->error != NULL;
}

int
loopback_parse_redirect(const char *s, size_t n, char **code, char **state,
    char **error)
{
	struct redirect r = {0};
	int found = parse_redirect(s, n, &r);

	*code = r.code;
	*state = r.state;
	*error = r.error;
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
	char buf[8192], *sp;
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
	if (strncmp(buf, "GET ", 4) != 0 || (sp = strchr(buf + 4, ' ')) == NULL)
		return -1;
	*target = xstrndup(buf + 4, (size_t)(sp - buf - 4));
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* Has the browser command failed? Then say so once; 1 when it did. */
static int
browser_failed(struct waiting *w)
{
	int st;

	if (!browser_ended(w->browser, &st))
		return 0;
	w->browser = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		/* Many hand the address to a running browser and end before
		 * it is loaded. One that ends after loading the start page
		 * did not follow its redirect (curl without -L). */
		if (w->starts > 0) {
			note("the browser command '%s' ended after loading only the "
			    "local start page: a browser must follow its redirect "
			    "to %s (curl needs -L)", w->browser_name, w->who);
			w->no_follow = 1;
		}
		return 0;
	}
	if (WIFEXITED(st) && w->starts > 0) {
		/* It loaded the start page and was sent on: what it could
		 * not load is the consent page (a browser exits non-zero
		 * when a page cannot be reached: curl -fL on a refused
		 * connection, a name that does not resolve, a 5xx or a
		 * 429). That is the network's "try later" of gcal(7), not a
		 * broken browser. Named without its query (the state). */
		w->consent_failed = 1;
		warnx("the browser command '%s' could not load %s's consent "
		    "page %.*s (exit status %d)%s%s%s", w->browser_name, w->who,
		    (int)strcspn(w->consent_url, "?"), w->consent_url,
		    WEXITSTATUS(st), isatty(0) ? "" : ": ", isatty(0) ? "" :
		    w->who, isatty(0) ? "" : " cannot be reached now; nothing "
		    "was linked, try again later");
	} else if (WIFEXITED(st))
		warnx("the browser command '%s' failed (exit status %d) before "
		    "the sign-in was done", w->browser_name, WEXITSTATUS(st));
	else
		warnx("the browser command '%s' was killed (signal %d) before "
		    "the sign-in was done", w->browser_name, WTERMSIG(st));
	return 1;
}

/* The states of a wait's step: nothing yet, or an answer to judge. */
enum { WAIT_MORE = -1, WAIT_HAVE = 0 };

/* A browser connected: the start page, the redirect, or a stray. */
static int
on_connection(struct waiting *w)
{
	char *target = NULL, *page;
	int cfd;

	if ((cfd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return WAIT_MORE;
	if (read_browser_request(cfd, &target) == 0 &&
	    strcmp(target, START_PATH) == 0) {
		page = xasprintf("On to %s.", w->who);
		if (w->starts++ == 0)
			answer_browser_to(cfd, "302 Found", page, w->consent_url);
		else
			answer_browser(cfd, "410 Gone", "This sign-in page was "
			    "opened twice; nothing will be linked. Start again.");
		free(page);
		close(cfd);
		free(target);
		if (w->starts == 1)
			return WAIT_MORE;
		warnx("the local sign-in page was asked for twice (another "
		    "local user may have read its address and raced the "
		    "browser); nothing was linked");
		return EX_NOPERM;
	}
	if (target == NULL || !parse_redirect(target, strlen(target), &w->r)) {
		/* a favicon or a stray request: not ours */
		answer_browser(cfd, "404 Not Found", "Not found.");
		close(cfd);
		free(target);
		redirect_free(&w->r);
		return WAIT_MORE;
	}
	if (w->r.state == NULL || strcmp(w->r.state, w->state) != 0)
		answer_browser(cfd, "400 Bad Request", "This answer does not "
		    "belong to the sign-in gcal started; nothing was linked.");
	else if (w->r.error)
		answer_browser(cfd, "200 OK", "Linking was refused. You can "
		    "close this tab.");
	else {
		page = xasprintf("gcal is linked to your %s account. You can "
		    "close this tab.", w->who);
		answer_browser(cfd, "200 OK", page);
		free(page);
	}
	close(cfd);
	explicit_bzero(target, strlen(target));
	free(target);
	return WAIT_HAVE;
}

/* stdin is readable: gather the pasted address, a line at a time. */
static int
on_paste(struct waiting *w)
{
	char chunk[4096], *nl;
	ssize_t got;
	size_t l;

	got = read(0, chunk, sizeof(chunk));
	if (got <= 0) {
		w->stdin_open = 0;
		if (w->line.len == 0)
			return WAIT_MORE;
		buf_addc(&w->line, '\n');
	} else
		buf_add(&w->line, chunk, (size_t)got);
	while (w->line.len && (nl = memchr(w->line.data, '\n',
	    w->line.len)) != NULL) {
		l = (size_t)(nl - w->line.data);
		if (l > 0 && parse_redirect(w->line.data, l, &w->r))
			return WAIT_HAVE;
		if (l > 0 && strspn(w->line.data, " \t\r") < l) {
			warnx("'<stdin>' line 1: not the address the browser was "
			    "sent to (no code= or error= in it)");
			return EX_DATAERR;
		}
		memmove(w->line.data, nl + 1, w->line.len - l - 1);
		w->line.len -= l + 1;
	}
	/* a redirect is a few hundred bytes: do not hoard (and rescan) an
	 * endless line */
	if (w->line.len > PASTE_MAX) {
		warnx("'<stdin>' line 1: longer than %d bytes: not the address "
		    "the browser was sent to", PASTE_MAX);
		return EX_DATAERR;
	}
	return WAIT_MORE;
}

/* Before each poll: out of time, or the browser gave up. */
static int
check_wait(struct waiting *w, long long deadline)
{
	if (deadline - now_ms() <= 0) {
		warnx("waited %d s for %s to send the browser back to %s (or "
		    "for its address pasted here)%s%s%s; nothing was linked",
		    w->timeout, w->who, w->redirect_uri, w->no_follow ?
		    ": the browser did not follow the redirect to " : "",
		    w->no_follow ? w->who : "", w->no_follow || w->starts ? "" :
		    w->browser_name ? ": the browser never asked for the "
		    "consent page" : "");
		return EX_TEMPFAIL;
	}
	if (!browser_failed(w))
		return WAIT_MORE;
	if (!isatty(0) && w->consent_failed)
		return EX_TEMPFAIL;
	if (!isatty(0)) {
		warnx("nothing was linked (run with --no-browser to open the "
		    "address by hand)");
		return EX_UNAVAILABLE;
	}
	fprintf(stderr, "Open this address in a browser instead:\n\n  %s\n\n"
	    "Then wait, or paste here the address the browser ends up on.\n",
	    w->consent_url);
	return WAIT_MORE;
}

/* Wait for the redirect on the listener or a pasted URL on stdin, then
 * judge it. */
static int
wait_redirect(struct waiting *w)
{
	struct pollfd pfd[2];
	long long deadline = now_ms() + (long long)w->timeout * 1000, left;
	char *why;
	int n, rc = WAIT_MORE;

	w->stdin_open = 1;
	while (rc == WAIT_MORE) {
		if ((rc = check_wait(w, deadline)) != WAIT_MORE)
			return rc;
		left = deadline - now_ms();
		pfd[0].fd = w->lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = w->stdin_open ? 0 : -1;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, left > 200 ? 200 : (int)left);
		if (n == -1 && errno != EINTR)
			err(EX_SOFTWARE, "poll");
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			rc = on_connection(w);
		else if (pfd[0].revents & (POLLERR | POLLHUP))
			errx(EX_SOFTWARE, "the loopback listener failed");
		if (rc == WAIT_MORE && w->stdin_open &&
		    (pfd[1].revents & (POLLIN | POLLHUP)))
			rc = on_paste(w);
	}
	if (rc != WAIT_HAVE)
		return rc;
	if (w->r.state == NULL || strcmp(w->r.state, w->state) != 0) {
		warnx("the redirect carries the wrong state (not the answer to "
		    "this sign-in, or forged); nothing was linked");
		return EX_DATAERR;
	}
	if (w->r.error) {
		why = http_redact_message(w->r.error);
		warnx("%s did not grant access (%s); nothing was linked", w->who,
		    why);
		free(why);
		return EX_NOPERM;
	}
	return 0;
}

/* The consent address: the caller's parameters, the redirect, the state
 * and the PKCE challenge (RFC 7636 4.2, S256). */
static char *
consent_url(const struct loopback_consent *c, const char *redirect_uri,
    const char *state, const char *verifier)
{
	unsigned char digest[32];
	struct buf q = {0};
	char *challenge, *url;
	const char *const *e;

	sha256(verifier, strlen(verifier), digest);
	challenge = base64url(digest, sizeof(digest));
	form_add(&q, "client_id", c->client_id);
	form_add(&q, "scope", c->scopes);
	for (e = c->extra; e && e[0]; e += 2)
		form_add(&q, e[0], e[1]);
	if (c->login_hint)
		form_add(&q, "login_hint", c->login_hint);
	form_add(&q, "redirect_uri", redirect_uri);
	form_add(&q, "response_type", "code");
	form_add(&q, "state", state);
	form_add(&q, "code_challenge", challenge);
	form_add(&q, "code_challenge_method", "S256");
	url = xasprintf("%s?%s", c->authorize, q.data);
	buf_free(&q);
	free(challenge);
	return url;
}

int
loopback_authorize(const struct loopback_consent *c, struct loopback_code *out)
{
	unsigned char raw[64];
	struct waiting w = {0};
	char *state, *url, *start;
	int port, rc;

	memset(out, 0, sizeof(*out));
	if ((w.lfd = listen_loopback(&port)) == -1) {
		warn("cannot listen on 127.0.0.1");
		return EX_SOFTWARE;
	}
	/* PKCE (RFC 7636 4.1): 64 random bytes make an 86-character verifier. */
	arc4random_buf(raw, sizeof(raw));
	out->verifier = base64url(raw, sizeof(raw));
	http_secret(out->verifier, "CODE_VERIFIER");
	arc4random_buf(raw, 24);
	state = base64url(raw, 24);
	explicit_bzero(raw, sizeof(raw));
	out->redirect_uri = xasprintf("http://127.0.0.1:%d/", port);
	url = consent_url(c, out->redirect_uri, state, out->verifier);

	start = xasprintf("http://127.0.0.1:%d" START_PATH, port);
	w.browser = c->no_browser ? -1 : browser_open(start, &w.browser_name);
	if (w.browser == -1)
		fprintf(stderr, "Open this address in a browser to link a %s "
		    "account:\n\n  %s\n\nThen wait, or paste here the address the "
		    "browser ends up on (it starts with %s).\n", c->who, url,
		    out->redirect_uri);
	else if (isatty(2))
		fprintf(stderr, "Waiting for consent in the browser (or paste the "
		    "address it ends up on)...\n");
	w.who = c->who;
	w.state = state;
	w.consent_url = url;
	w.redirect_uri = out->redirect_uri;
	w.timeout = c->timeout;
	/* a browser that stays open is not waited for */
	rc = wait_redirect(&w);
	close(w.lfd);
	if (rc == 0) {
		out->code = w.r.code;
		w.r.code = NULL;
	}
	redirect_free(&w.r);
	form_free(&w.line);
	free(w.browser_name);
	free(start);
	free(state);
	free(url);
	if (rc != 0)
		loopback_code_free(out);
	return rc;
}

void
loopback_code_free(struct loopback_code *c)
{
	free_secret(c->code);
	free_secret(c->verifier);
	free(c->redirect_uri);
	memset(c, 0, sizeof(*c));
}
