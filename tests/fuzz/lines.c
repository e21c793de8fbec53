/* Fuzz target: gcal-diff's input, indexed by lines_load and scanned
 * without parsing by json_top_string. */
#include "fuzz.h"
#include "json.h"
#include "lines.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"id", "etag", "status", "updated"};
	struct lines l = {0};
	const char *s;
	size_t i, k, len;
	jv v;

	if (lines_load(&l, fuzz_file(data, size)) == -1)
		abort();
	for (i = 0; i < l.n; i++) {
		if (l.v[i].p < l.data || l.v[i].p + l.v[i].len > l.data + l.size)
			abort();
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			s = json_top_string(l.v[i].p, l.v[i].len, keys[k], &len);
			if (s != NULL && (s < l.v[i].p || s + len > l.v[i].p + l.v[i].len))
				abort();
			/* the fast scan agrees with the parser on valid records */
			v = json_parse(l.v[i].p, l.v[i].len);
			if (s != NULL && jv_get_kind(v) == JV_KIND_OBJECT) {
				const char *want = json_str(v, keys[k]);

				if (want == NULL || strlen(want) != len ||
				    memcmp(want, s, len) != 0)
					abort();
			}
			jv_free(v);
		}
	}
	(void)lines_hash(data, size);
	lines_free(&l);
	return 0;
}
