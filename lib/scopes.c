#include <string.h>
#include <strings.h>

#include "json.h"
#include "scopes.h"

jv
scopes_granted(jv tokens, const char *asked)
{
	const char *g = json_str(tokens, "scope");
	jv words = jv_string_split(jv_string(g ? g : asked), jv_string(" "));
	jv out = jv_array(), w;
	int i, n = jv_array_length(jv_copy(words));

	for (i = 0; i < n; i++) {
		w = jv_array_get(jv_copy(words), i);
		if (jv_string_length_bytes(jv_copy(w)) > 0)
			out = jv_array_append(out, w);
		else
			jv_free(w);
	}
	jv_free(words);
	return jv_sort(out, jv_copy(out));
}

static const char *
scope_name(const char *s)
{
	static const char graph[] = "https://graph.microsoft.com/";

	return strncasecmp(s, graph, sizeof(graph) - 1) == 0 ?
	    s + sizeof(graph) - 1 : s;
}

int
scopes_has(jv granted, const char *scope)
{
	int i, n = jv_array_length(jv_copy(granted)), yes = 0;
	jv s;

	for (i = 0; i < n && !yes; i++) {
		s = jv_array_get(jv_copy(granted), i);
		yes = strcasecmp(scope_name(jv_string_value(s)),
		    scope_name(scope)) == 0;
		jv_free(s);
	}
	return yes;
}
