#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "batch.h"
#include "calendar.h"
#include "http.h"
#include "json.h"
#include "util.h"

/* A boundary that does not occur in any body. Deterministic, so that a
 * recorded batch replays (GCAL_REPLAY matches requests by their bytes). */
static char *
make_boundary(const struct batch_part *parts, size_t n)
{
	unsigned long k;
	size_t i;
	char *b;

	for (k = 1;; k++) {
		b = xasprintf("batch_gcal_%lu", k);
		for (i = 0; i < n; i++)
			if (parts[i].body && strstr(parts[i].body, b))
				break;
		if (i == n)
			return b;
		free(b);
	}
}

static char *
build(const struct batch_part *parts, size_t n, const char *boundary,
    size_t *len)
{
	struct buf b = {0};
	size_t i;

	for (i = 0; i < n; i++) {
		buf_printf(&b, "--%s\r\nContent-Type: application/http\r\n"
		    "Content-ID: <item-%zu>\r\n\r\n%s %s HTTP/1.1\r\n", boundary,
		    i + 1, parts[i].method, parts[i].path);
		if (parts[i].body)
			buf_adds(&b, "Content-Type: application/json\r\n");
		if (parts[i].if_match)
			buf_printf(&b, "If-Match: %s\r\n", parts[i].if_match);
		buf_adds(&b, "\r\n");
		if (parts[i].body) {
			buf_adds(&b, parts[i].body);
			buf_adds(&b, "\r\n");
		}
	}
	buf_printf(&b, "--%s--\r\n", boundary);
	*len = b.len;
	return buf_take(&b);
}

/* The end of the header block starting at p: the blank line, CRLF or LF.
 * *body is set past it. NULL when there is none before end. */
static const char *
header_end(const char *p, const char *end, const char **body)
{
	const char *q;

	for (q = p; q < end; q++) {
		if (*q != '\n')
			continue;
		if (q + 1 < end && q[1] == '\n') {
			*body = q + 2;
			return q;
		}
		if (q + 2 < end && q[1] == '\r' && q[2] == '\n') {
			*body = q + 3;
			return q;
		}
	}
	return NULL;
}

/* The value of header name in the block [p, end), or NULL; the caller's. */
static char *
header(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);
	const char *line = p, *nl, *v, *ve;

	while (line < end) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if ((size_t)(nl - line) > n && strncasecmp(line, name, n) == 0 &&
		    line[n] == ':') {
			for (v = line + n + 1; v < nl && (*v == ' ' || *v == '\t'); v++)
				;
			for (ve = nl; ve > v && (ve[-1] == '\r' || ve[-1] == ' '); ve--)
				;
			return xstrndup(v, (size_t)(ve - v));
		}
		line = nl + 1;
	}
	return NULL;
}

static char *
boundary_of(const char *content_type)
{
	const char *p, *e;

	if (content_type == NULL ||
	    strncasecmp(content_type, "multipart/mixed", 15) != 0 ||
	    (p = strcasestr(content_type, "boundary=")) == NULL)
		return NULL;
	p += 9;
	if (*p == '"') {
		p++;
		if ((e = strchr(p, '"')) == NULL)
			return NULL;
	} else
		e = p + strcspn(p, "; \t");
	if (e == p)
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

/* One part: its MIME headers, then an HTTP response. */
static void
parse_part(const char *p, const char *end, struct batch_part *parts,
    size_t n, size_t ordinal)
{
	const char *ihead, *ibody, *sp;
	char *cid, *v;
	size_t idx = ordinal;
	struct batch_part *bp;
	long status;

	if (header_end(p, end, &ihead) == NULL)
		return;
	if ((cid = header(p, ihead, "Content-ID")) != NULL) {
		/* "<response-item-7>": our Content-ID with "response-" before it */
		const char *num = strstr(cid, "item-");

		idx = num ? (size_t)strtoul(num + 5, NULL, 10) : 0;
		idx = idx ? idx - 1 : (size_t)-1;
		free(cid);
	}
	if (idx >= n)
		return;
	bp = &parts[idx];
	if ((size_t)(end - ihead) < 12 || strncmp(ihead, "HTTP/", 5) != 0 ||
	    (sp = memchr(ihead, ' ', (size_t)(end - ihead))) == NULL)
		return;
	/* three digits inside the part: the body is not NUL-terminated here */
	if (end - sp < 4 || !isdigit((unsigned char)sp[1]) ||
	    !isdigit((unsigned char)sp[2]) || !isdigit((unsigned char)sp[3]) ||
	    (end - sp > 4 && isdigit((unsigned char)sp[4])))
		return;
	status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
	if (status < 100 || status > 599)
		return;
	if (header_end(ihead, end, &ibody) == NULL)
		ibody = end;
	bp->status = status;
	free(bp->etag);
	bp->etag = header(ihead, ibody, "ETag");
	if ((v = header(ihead, ibody, "Retry-After")) != NULL) {
		bp->retry_after = http_retry_after(v, now_s());
		free(v);
	}
	while (end > ibody && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	jv_free(bp->json);
	bp->json = end > ibody ? json_parse(ibody, (size_t)(end - ibody)) :
	    jv_invalid();
	if (bp->etag == NULL && json_str(bp->json, "etag"))
		bp->etag = xstrdup(json_str(bp->json, "etag"));
}

int
batch_parse(const char *content_type, const char *body, size_t len,
    struct batch_part *parts, size_t n)
{
	char *b = boundary_of(content_type), *delim;
	const char *p, *end = body + len, *next;
	size_t dlen, ordinal = 0;

	if (b == NULL)
		return -1;
	delim = xasprintf("--%s", b);
	free(b);
	dlen = strlen(delim);
	p = memmem(body, len, delim, dlen);
	while (p != NULL) {
		p += dlen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* the closing delimiter */
		while (p < end && (*p == '\r' || *p == '\n' || *p == ' '))
			p++;
		next = memmem(p, (size_t)(end - p), delim, dlen);
		parse_part(p, next ? next : end, parts, n, ordinal++);
		p = next;
	}
	free(delim);
	return 0;
}

int
batch_send(struct calendar_api *api, struct batch_part *parts, size_t n)
{
	struct http_response resp;
	char *boundary = make_boundary(parts, n), *body, *ctype;
	size_t len, i;
	int rc, attempt;

	body = build(parts, n, boundary, &len);
	ctype = xasprintf("multipart/mixed; boundary=%s", boundary);
	/* A 200 whose body is no batch answer (cut short, or garbled on the
	 * way) says nothing of what was done: send it all again, as for a
	 * lost answer. Every call is safe to repeat (our ids, If-Match). */
	for (attempt = 1;; attempt++) {
		for (i = 0; i < n; i++) {
			parts[i].status = 0;
			parts[i].json = jv_invalid();
			parts[i].etag = NULL;
			parts[i].retry_after = -1;
		}
		rc = calendar_send(api, "POST", "/batch/calendar/v3", ctype, body,
		    len, NULL, &resp);
		if (rc == 0 && resp.status != 200)
			rc = calendar_failure(&resp, "batch request");
		else if (rc == 0 && batch_parse(resp.content_type, resp.body.data ?
		    resp.body.data : "", resp.body.len, parts, n) == -1) {
			batch_clear(parts, n);
			http_response_free(&resp);
			if (attempt <= http_max_retries()) {
				usleep((useconds_t)http_backoff_ms(attempt, -1) * 1000);
				continue;
			}
			warnx("batch request: Google's answer is not multipart/mixed "
			    "(after %d %s)", attempt, plural(attempt, "attempt",
			    "attempts"));
			rc = EX_UNAVAILABLE; /* an unusable answer: 69 */
			break;
		}
		http_response_free(&resp);
		break;
	}
	free(ctype);
	free(body);
	free(boundary);
	return rc;
}

void
batch_clear(struct batch_part *parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		jv_free(parts[i].json);
		parts[i].json = jv_invalid();
		free(parts[i].etag);
		parts[i].etag = NULL;
	}
}
