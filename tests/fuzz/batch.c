/* Fuzz target: multipart/mixed batch answers (batch_parse). The first line
 * of the input is the Content-Type header, the rest the body. */
#include "fuzz.h"
#include "batch.h"
#include "json.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct batch_part parts[8];
	const uint8_t *nl = memchr(data, '\n', size);
	char *ctype;
	const char *body;
	size_t i, blen;

	if (nl == NULL)
		return 0;
	ctype = fuzz_str(data, (size_t)(nl - data));
	blen = size - (size_t)(nl - data) - 1;
	/* an exact-size copy, so ASan sees any read past the end */
	body = blen ? memcpy(xmalloc(blen), nl + 1, blen) : NULL;
	memset(parts, 0, sizeof(parts));
	for (i = 0; i < 8; i++) {
		parts[i].json = jv_invalid();
		parts[i].retry_after = -1;
	}
	(void)batch_parse(ctype, body ? body : "", blen, parts, 8);
	for (i = 0; i < 8; i++)
		if (parts[i].status != 0 && (parts[i].status < 100 ||
		    parts[i].status > 599))
			abort();
	batch_clear(parts, 8);
	free((void *)body);
	free(ctype);
	return 0;
}
