/* Fuzz target: event resources as gcal-pull prints them and gcal-diff,
 * gcal-push and forward-apply read them: normalised, compared, judged. */
#include <limits.h>
#include <stdlib.h>

#include "fuzz.h"
#include "events.h"
#include "forward.h"
#include "json.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct forward_rules rules = {1795425000LL, "Europe/Amsterdam", {2, 5, "31"}};
	struct forward_verdict verdict;
	long long t;
	jv v = json_parse((const char *)data, size), n, w;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return 0;
	}
	(void)event_time(v, "start", "Europe/Amsterdam", &t);
	(void)event_time(v, "end", NULL, &t);
	(void)event_in_window(v, "UTC", LLONG_MIN, LLONG_MAX);
	(void)event_owned(v, "gcal");
	(void)event_mark_key(v);
	forward_judge(v, &rules, &verdict);
	jv_free(forward_explain(v, &verdict));
	n = event_normalize(jv_copy(v));
	jv_free(n);
	(void)event_same(v, v);
	w = event_writable(jv_copy(v));
	w = event_mark(w, "gcal", "k1");
	(void)event_refusal(w, 1, 0);
	(void)event_refusal(v, 0, 1);
	if (json_str(v, "id"))
		free(event_insert_id(event_owner(v), json_str(v, "id")));
	w = event_apply(w, v);
	jv_free(w);
	jv_free(v);
	return 0;
}
