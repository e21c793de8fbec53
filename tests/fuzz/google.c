/* Fuzz target: Google's JSON answers and error bodies, as the retry logic
 * and every error message read them. */
#include "fuzz.h"
#include "http.h"
#include "json.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 400, 401, 403, 404, 410, 412, 429, 500, 503};
	struct http_response resp;
	char *s;

	memset(&resp, 0, sizeof(resp));
	resp.retry_after = -1;
	buf_add(&resp.body, data, size);
	resp.status = statuses[size % (sizeof(statuses) / sizeof(statuses[0]))];
	resp.content_type = xstrdup("application/json; charset=UTF-8");
	resp.json = json_parse(resp.body.data, resp.body.len);
	free(http_google_reason(&resp));
	free(http_google_message(&resp));
	(void)http_retryable(&resp);
	/* the same with the body not parsed in advance */
	jv_free(resp.json);
	resp.json = jv_invalid();
	free(http_google_reason(&resp));
	s = http_redact(resp.body.data, resp.body.len);
	free(s);
	http_response_free(&resp);
	return 0;
}
