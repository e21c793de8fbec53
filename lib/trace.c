#include <err.h>
#include <stdlib.h>

#include "endpoint.h"
#include "http.h"
#include "trace.h"
#include "transport.h"
#include "util.h"

void
trace_attempt(const struct http_request *req, const char *url,
    const struct http_response *resp, int rc, long long ms)
{
	char *u, *b;

	if (!verbose)
		return;
	u = endpoint_shown(url, 1);
	if (rc != 0)
		warnx("%s %s: %s (%lld ms)", req->method, u, transport_error(rc),
		    ms);
	else
		warnx("%s %s: %ld (%zu bytes, %lld ms)", req->method, u,
		    resp->status, resp->body.len, ms);
	if (verbose > 1 && req->body) {
		b = http_redact(req->body, req->body_len);
		warnx("> %.*s", 4000, b);
		free(b);
	}
	if (verbose > 1 && rc == 0) {
		b = http_redact(resp->body.data, resp->body.len);
		warnx("< %.*s", 4000, b);
		free(b);
	}
	free(u);
}
