/* Fuzz target: time zone names and POSIX TZ strings, as an event's
 * timeZone and forward-apply --time-zone carry them (lib/zone.c). The
 * first line is the zone, the rest picks instants. */
#include "fuzz.h"
#include "zone.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *nl = strchr(s, '\n');
	long long t, base = 1800000000LL, i;
	unsigned char b;
	long off;

	if (nl)
		*nl = '\0';
	for (i = 0; i < 8; i++) {
		b = nl && (size_t)(nl - s) + 1 + (size_t)i < size ?
		    (unsigned char)nl[1 + i] : (unsigned char)i;
		t = base + (long long)(b - 128) * 86400 * 97 + i * 3607;
		(void)zone_offset(s, t, &off);
		(void)zone_local_to_utc(s, t, &t);
	}
	(void)zone_offset(s, -62135596800LL, &off);   /* year 1 */
	(void)zone_local_to_utc(s, 253402300799LL, &t); /* year 9999 */
	free(s);
	return 0;
}
