/* Fuzz target: recorded fixtures (GCAL_REPLAY): loading a cassette and
 * answering a request from it. The loader exits 65 on a line that is not
 * an exchange, which libFuzzer would count as a crash: such input is
 * screened out here first with the same checks. */
#include "fuzz.h"
#include "http.h"
#include "json.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct http_request req = {0};
	struct http_response resp;
	struct ndjson_reader *r;
	char *method = NULL, *url = NULL;
	jv line, q, a;
	int rc, usable = 1;

	if ((r = ndjson_open(path)) == NULL)
		abort();
	while ((rc = ndjson_read(r, &line)) == 1) {
		q = json_get(line, "request");
		a = json_get(line, "response");
		if (json_str(q, "method") == NULL || json_str(q, "url") == NULL ||
		    jv_get_kind(a) != JV_KIND_OBJECT)
			usable = 0;
		else if (method == NULL) {
			method = xstrdup(json_str(q, "method"));
			url = xstrdup(json_str(q, "url"));
		}
		jv_free(q);
		jv_free(a);
		jv_free(line);
	}
	ndjson_close(r);
	if (rc == -1 || !usable || method == NULL)
		goto out;
	setenv("GCAL_REPLAY", path, 1);
	req.method = method;
	req.host = HOST_URL;
	req.path = url;
	req.want_json = 1;
	(void)http_do(&req, &resp);
	free(http_google_reason(&resp));
	http_response_free(&resp);
	/* the same request again: the one answer is used up */
	(void)http_do(&req, &resp);
	http_response_free(&resp);
	unsetenv("GCAL_REPLAY");
	http_cleanup();
out:
	free(method);
	free(url);
	return 0;
}
