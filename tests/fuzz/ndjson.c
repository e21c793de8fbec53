/* Fuzz target: NDJSON records as every tool reads them (ndjson_read, used
 * by gcal-push, forward-apply and the GCAL_REPLAY loader), written back by
 * json_dump exactly as libjq would write them. */
#include "fuzz.h"
#include "json.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct ndjson_reader *r = ndjson_open(fuzz_file(data, size));
	size_t len;
	jv v;
	int rc;

	if (r == NULL)
		abort();
	while ((rc = ndjson_read(r, &v)) == 1) {
		if (jv_get_kind(v) != JV_KIND_OBJECT)
			abort(); /* the contract: always an object */
		(void)json_str(v, "id");
		/* our writer must give libjq's own text, byte for byte */
		jv want = jv_dump_string(jv_copy(v), JV_PRINT_SORTED);
		char *got = json_dump(v);
		if (strcmp(got, jv_string_value(want)) != 0)
			abort();
		free(got);
		jv_free(want);
	}
	if (rc == -1 && strncmp(ndjson_error(r), "'", 1) != 0)
		abort(); /* the message names the file */
	(void)ndjson_line(r, &len);
	ndjson_close(r);
	return 0;
}
