/* graph_instance: Google's ids for the instances of a Microsoft series
 * (see graph_instance.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_time.h"
#include "graph_instance.h"
#include "json.h"
#include "util.h"

char *
graph_instance_id(const char *master, const char *original_start,
    int allday)
{
	char text[32], out[24];
	long long t;

	if (master == NULL || *master == '\0' || original_start == NULL ||
	    time_parse(original_start, "UTC", &t) == -1)
		return NULL;
	time_rfc3339(t, text); /* YYYY-MM-DDTHH:MM:SSZ */
	if (allday)
		snprintf(out, sizeof(out), "%.4s%.2s%.2s", text, text + 5,
		    text + 8);
	else
		snprintf(out, sizeof(out), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", text,
		    text + 5, text + 8, text + 11, text + 14, text + 17);
	return xasprintf("%s_%s", master, out);
}

/* Are the n bytes at s all digits? */
static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
graph_instance_parse(const char *id, char **master, long long *start,
    int *allday)
{
	const char *u = strrchr(id, '_'), *s;
	char text[32];
	size_t n;

	if (u == NULL || u == id)
		return -1;
	s = u + 1;
	n = strlen(s);
	if (n == 8 && digits(s, 8)) {
		*allday = 1;
		snprintf(text, sizeof(text), "%.4s-%.2s-%.2sT00:00:00Z", s, s + 4,
		    s + 6);
	} else if (n == 16 && digits(s, 8) && s[8] == 'T' && digits(s + 9, 6) &&
	    s[15] == 'Z') {
		*allday = 0;
		snprintf(text, sizeof(text), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s,
		    s + 4, s + 6, s + 9, s + 11, s + 13);
	} else
		return -1;
	if (time_parse(text, "UTC", start) == -1)
		return -1;
	*master = xstrndup(id, (size_t)(u - id));
	return 0;
}

jv
graph_instance_cancelled(const char *iid)
{
	char *master, text[32];
	long long start;
	int allday;
	jv ost, rec;

	if (graph_instance_parse(iid, &master, &start, &allday) == -1)
		return jv_invalid();
	time_rfc3339(start, text);
	if (allday) {
		text[10] = '\0';
		ost = json_set_str(jv_object(), "date", text);
	} else
		ost = json_set_str(json_set_str(jv_object(), "dateTime", text),
		    "timeZone", "UTC");
	rec = json_set_str(json_set_str(json_set_str(json_set_str(jv_object(),
	    "id", iid), "kind", "calendar#event"), "status", "cancelled"),
	    "recurringEventId", master);
	free(master);
	return json_set(rec, "originalStartTime", ost);
}
