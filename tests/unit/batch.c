/* Unit tests of lib/batch.c's answer parser. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "batch.h"
#include "json.h"
#include "util.h"
#include "tap.h"

static void
test_retry_after(void)
{
	char when[64], *body;
	struct batch_part parts[3] = {{0}};
	time_t t = (time_t)now_s() + 3600;
	struct tm tm;
	size_t i;

	/* IMF-fixdate, an hour from now */
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	body = xasprintf(
	    "--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-1>\r\n\r\n"
	    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n"
	    "Content-Type: application/json\r\n\r\n{\"error\":{}}\r\n"
	    "--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-2>\r\n\r\n"
	    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: %s\r\n"
	    "Content-Type: application/json\r\n\r\n{\"error\":{}}\r\n"
	    "--b\r\nContent-Type: application/http\r\nContent-ID: <response-item-3>\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"id\":\"x\"}\r\n"
	    "--b--\r\n", when);
	for (i = 0; i < 3; i++) {
		parts[i].json = jv_invalid();
		parts[i].retry_after = -1;
	}
	ok(batch_parse("multipart/mixed; boundary=b", body, strlen(body), parts,
	    3) == 0, "a batch answer of three parts parses");
	ok(parts[0].status == 429 && parts[0].retry_after == 30,
	    "part 1: Retry-After in seconds (%ld)", parts[0].retry_after);
	ok(parts[1].status == 503 && parts[1].retry_after >= 3590 &&
	    parts[1].retry_after <= 3600,
	    "part 2: Retry-After as an HTTP-date an hour ahead (%ld)",
	    parts[1].retry_after);
	ok(parts[2].status == 200 && parts[2].retry_after == -1,
	    "part 3: no Retry-After");
	batch_clear(parts, 3);
	free(body);
}

int
main(void)
{
	test_retry_after();
	return done_testing();
}
