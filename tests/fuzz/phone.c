/* Fuzz target: event titles read as telephone numbers (forward-apply). */
#include "fuzz.h"
#include "phone.h"

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static const struct phone_rules rules[] = {{2, 5, NULL}, {3, 4, "31"}, {1, 15, "1"}};
	char *s = fuzz_str(data, size), out[32];
	const char *why;
	enum phone_kind k;
	size_t i;
	int min, max;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		why = NULL;
		k = phone_parse(s, &rules[i], out, &why);
		if (strnlen(out, sizeof(out)) >= sizeof(out))
			abort();
		if (k == PHONE_NONE && why == NULL)
			abort();
		if (k != PHONE_NONE && out[0] == '\0')
			abort();
		(void)phone_kind_name(k);
	}
	if (phone_lengths(s, &min, &max) == 0 && (min < 1 || max > 15 || min > max))
		abort();
	free(s);
	return 0;
}
