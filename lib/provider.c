/* provider: which calendar service a profile is linked to. */
#include <string.h>

#include "provider.h"

static const char *const names[] = {
	[PROVIDER_GOOGLE] = "google",
	[PROVIDER_MICROSOFT] = "microsoft",
};

int
provider_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
provider_name(enum provider p)
{
	return names[p];
}

const char *
provider_service(enum provider p)
{
	return p == PROVIDER_MICROSOFT ? "Exchange" : "Google";
}

int
provider_of(jv prof)
{
	jv v = jv_object_get(jv_copy(prof), jv_string("provider"));
	int p;

	if (jv_get_kind(v) == JV_KIND_INVALID || jv_get_kind(v) == JV_KIND_NULL)
		p = PROVIDER_GOOGLE;
	else if (jv_get_kind(v) == JV_KIND_STRING)
		p = provider_parse(jv_string_value(v));
	else
		p = -1;
	jv_free(v);
	return p;
}
