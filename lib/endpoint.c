#include <arpa/inet.h>
#include <ctype.h>
#include <err.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "endpoint.h"
#include "http.h"
#include "util.h"

static const char *const google_hosts[] = {
	[HOST_URL] = "",
	[HOST_ACCOUNTS] = "https://accounts.google.com",
	[HOST_OAUTH2] = "https://oauth2.googleapis.com",
	[HOST_WWW] = "https://www.googleapis.com",
	[HOST_OPENID] = "https://openidconnect.googleapis.com",
	[HOST_MS_LOGIN] = "https://login.microsoftonline.com",
	[HOST_MS_GRAPH] = "https://graph.microsoft.com",
};

/* loopback: 127.0.0.0/8, ::1, localhost */
const char *
endpoint_problem(const char *u, int query_ok, int *loopback, int *https)
{
	const char *p, *h, *he;
	char host[256];
	struct in_addr a4;
	struct in6_addr a6;
	size_t n;
	long port;

	*loopback = *https = 0;
	for (h = u; *h; h++)
		if ((unsigned char)*h <= ' ' || *h == 0x7f)
			return "has a space or a control character in it";
	if (strncasecmp(u, "https://", 8) == 0) {
		*https = 1;
		p = u + 8;
	} else if (strncasecmp(u, "http://", 7) == 0)
		p = u + 7;
	else
		return "not an http:// or https:// URL";
	n = strcspn(p, "/?#");
	if ((h = memrchr(p, '@', n)) != NULL) {
		if (!query_ok)
			return "carries a user name or password: give only scheme, "
			    "host and port";
		n -= (size_t)(h + 1 - p); /* a backend's user:password@ */
		p = h + 1;
	}
	if (*p == '[') {
		if ((he = memchr(p, ']', n)) == NULL)
			return "has an unclosed [ in its host";
		h = p + 1;
	} else {
		h = p;
		for (he = p; he < p + n && *he != ':'; he++)
			if (!isalnum((unsigned char)*he) && *he != '-' &&
			    *he != '.' && *he != '_')
				return "has a character that is not allowed in a host "
				    "name";
	}
	if (he == h)
		return "has no host";
	if ((size_t)(he - h) >= sizeof(host))
		return "has a host name that is too long";
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	if (*p == '[') {
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return "has an IPv6 address that does not parse";
		/* ::1, or 127.0.0.0/8 mapped (::ffff:127.0.0.1) */
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
		he++;
	} else
		/* inet_aton, not inet_pton: the resolver takes 127.1 and
		 * 2130706433 for 127.0.0.1 too */
		*loopback = strcasecmp(host, "localhost") == 0 ||
		    strcasecmp(host, "localhost.") == 0 ||
		    (inet_aton(host, &a4) != 0 &&
		    (ntohl(a4.s_addr) >> 24) == 127);
	if (he < p + n) {
		if (*he != ':')
			return "has junk after its host";
		if (he + 1 == p + n)
			return "has an empty port";
		for (port = 0, h = he + 1; h < p + n; h++) {
			if (!isdigit((unsigned char)*h))
				return "has a port that is not a number";
			if ((port = port * 10 + (*h - '0')) > 65535)
				return "has a port above 65535";
		}
		if (port == 0)
			return "has port 0";
	}
	if (!query_ok && strpbrk(p + n, "?#") != NULL)
		return "has a query or a fragment: give scheme, host, port "
		    "and at most a path";
	return NULL;
}

/* GCAL_ENDPOINT, checked once: a malformed one is a usage error before
 * anything is sent, and so is plain http to another machine, which would
 * carry client secrets, codes and tokens in clear (RFC 6749 3.2 and
 * RFC 6750 5.3 ask for TLS) unless GCAL_INSECURE_HTTP=1 says it is
 * meant. NULL when unset. */
static const char *
endpoint_named(const char *var, atomic_int *checked)
{
	const char *ep = getenv(var), *why, *ok;
	int loopback, https;

	if (ep == NULL || *ep == '\0')
		return NULL;
	if (*checked)
		return ep;
	if ((why = endpoint_problem(ep, 0, &loopback, &https)) != NULL) {
		/* quoted only when it is one line with no password in it */
		if (strchr(ep, '@') != NULL || strpbrk(ep, "\n\r\t") != NULL)
			errx(EX_USAGE, "$%s %s", var, why);
		errx(EX_USAGE, "$%s '%s': %s", var, ep, why);
	}
	ok = getenv("GCAL_INSECURE_HTTP");
	if (!https && !loopback && (ok == NULL || strcmp(ok, "1") != 0))
		errx(EX_USAGE, "$%s '%s': plain http to a host that is "
		    "not this machine would send secrets in clear; use https, or "
		    "set GCAL_INSECURE_HTTP=1", var, ep);
	*checked = 1;
	return ep;
}

static const char *
endpoint(void)
{
	static atomic_int checked;

	return endpoint_named("GCAL_ENDPOINT", &checked);
}

/* GCAL_GRAPH_ENDPOINT stands for both of Microsoft's hosts, with
 * Microsoft's paths kept (DESIGN.md "Endpoints"). */
static const char *
graph_endpoint(void)
{
	static atomic_int checked;

	return endpoint_named("GCAL_GRAPH_ENDPOINT", &checked);
}

void
endpoint_check(void)
{
	(void)endpoint();
	(void)graph_endpoint();
}

char *
endpoint_shown(const char *u, int keep_query)
{
	const char *a = strstr(u, "://"), *at;
	struct buf b = {0};
	char *s;
	size_t n = keep_query ? strlen(u) : strcspn(u, "?#");

	if (a != NULL && (at = memrchr(a, '@', strcspn(a + 3, "/?#") + 3)) !=
	    NULL) {
		buf_add(&b, u, (size_t)(a + 3 - u));
		buf_add(&b, at + 1, n - (size_t)(at + 1 - u));
	} else
		buf_add(&b, u, n);
	s = http_redact(b.data, b.len);
	buf_free(&b);
	if (!keep_query && strchr(u, '?') != NULL) {
		char *t = xasprintf("%s?...", s);

		free(s);
		s = t;
	}
	return s;
}

char *
http_url_shown(const char *u)
{
	return endpoint_shown(u, 0);
}

char *
http_url(enum google_host host, const char *path)
{
	const char *ep = host == HOST_MS_LOGIN || host == HOST_MS_GRAPH ?
	    graph_endpoint() : endpoint();
	size_t n;

	if (host == HOST_URL)
		return xstrdup(path);
	if (ep) {
		n = strlen(ep);
		while (n > 0 && ep[n - 1] == '/')
			n--;
		return xasprintf("%.*s%s", (int)n, ep, path);
	}
	return xasprintf("%s%s", google_hosts[host], path);
}

char *
endpoint_canonical(enum google_host host, const char *path)
{
	char *base;
	size_t n;

	if (host != HOST_URL)
		return xasprintf("%s%s", google_hosts[host], path);
	/* a whole URL Graph gave (@odata.nextLink, deltaLink) under this
	 * run's GCAL_GRAPH_ENDPOINT: spelt as under Graph's own host */
	base = http_url(HOST_MS_GRAPH, "/");
	n = strlen(base);
	if (strncmp(path, base, n) == 0) {
		free(base);
		return xasprintf("%s/%s", google_hosts[HOST_MS_GRAPH], path + n);
	}
	free(base);
	return xstrdup(path);
}
