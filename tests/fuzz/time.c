/* Fuzz target: RFC 3339 time stamps and dates (time_parse), as events,
 * --at, --from and --to carry them. */
#include "fuzz.h"
#include "events.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	long long t;

	(void)time_parse(s, NULL, &t);
	(void)time_parse(s, "Europe/Amsterdam", &t);
	(void)time_parse(s, "UTC", &t);
	free(s);
	return 0;
}
