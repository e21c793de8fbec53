#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "forward.h"
#include "json.h"
#include "sort.h"
#include "state.h"
#include "util.h"

/* The account's own attendee entry says "declined" (Google marks it with
 * "self": true). */
static int
declined(jv ev)
{
	jv att = json_get(ev, "attendees"), a;
	const char *rs;
	int i, n, yes = 0;

	if (jv_get_kind(att) == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(att));
		for (i = 0; i < n && !yes; i++) {
			a = jv_array_get(jv_copy(att), i);
			if (json_kind(a, "self") == JV_KIND_TRUE &&
			    (rs = json_str(a, "responseStatus")) != NULL &&
			    strcmp(rs, "declined") == 0)
				yes = 1;
			jv_free(a);
		}
	}
	jv_free(att);
	return yes;
}

/* Is target (canonical) the extension's own number, in any form it was
 * given in: as the rules read it, or its digits (and a leading "+",
 * "00" read as "+") without separators? A forward to itself would loop
 * the calls back to the phone that forwards them. */
static int
is_self(const char *target, const struct forward_rules *r)
{
	char canon[32], digits[32];
	const char *why, *p;
	size_t n = 0;

	if (r->ext == NULL)
		return 0;
	if (phone_parse(r->ext, &r->phone, canon, &why) != PHONE_NONE &&
	    strcmp(canon, target) == 0)
		return 1;
	p = r->ext;
	if (*p == '+' || (p[0] == '0' && p[1] == '0')) {
		digits[n++] = '+';
		p += *p == '+' ? 1 : 2;
	}
	for (; *p && n + 1 < sizeof(digits); p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	digits[n] = '\0';
	return n > 0 && strcmp(digits, target) == 0;
}

void
forward_judge(jv ev, const struct forward_rules *r, struct forward_verdict *v)
{
	const char *title = json_str(ev, "summary");
	const char *why = NULL;
	jv rec;
	int master;

	memset(v, 0, sizeof(*v));
	v->kind = phone_parse(title ? title : "", &r->phone, v->target, &why);
	v->timed = event_time(ev, "start", r->tz, &v->start) == 0 &&
	    event_time(ev, "end", r->tz, &v->end) == 0;
	rec = json_get(ev, "recurrence");
	master = jv_get_kind(rec) == JV_KIND_ARRAY;
	jv_free(rec);
	if (event_cancelled(ev))
		v->reason = "cancelled";
	else if (declined(ev))
		v->reason = "declined";
	else if (v->kind == PHONE_NONE)
		v->reason = why;
	else if (master)
		/* its times are the first instance's only */
		v->reason = "recurring event not expanded (gcal-pull --expand)";
	else if (!v->timed)
		v->reason = "no start or end time";
	else if (!(v->start <= r->at && r->at < v->end))
		v->reason = "not active";
	else if (is_self(v->target, r))
		v->reason = "the extension itself";
	else {
		v->taken = 1;
		v->reason = v->kind == PHONE_INTERNATIONAL ? "international number" :
		    v->kind == PHONE_NATIONAL ? "national number" : "extension";
	}
}

jv
forward_explain(jv ev, const struct forward_verdict *v)
{
	const char *id = json_str(ev, "id"), *title = json_str(ev, "summary");
	const char *cal = json_str(ev, EVENT_CALENDAR_FIELD);
	char t[32];
	jv out = jv_object();

	out = jv_object_set(out, jv_string("id"), id ? jv_string(id) : jv_null());
	out = json_set_str(out, "summary", title ? title : "");
	out = jv_object_set(out, jv_string("taken"), jv_bool(v->taken));
	out = json_set_str(out, "reason", v->reason);
	if (v->target[0])
		out = json_set_str(out, "target", v->target);
	if (cal)
		out = json_set_str(out, EVENT_CALENDAR_FIELD, cal);
	if (v->timed) {
		time_rfc3339(v->start, t);
		out = json_set_str(out, "start", t);
		time_rfc3339(v->end, t);
		out = json_set_str(out, "end", t);
	}
	return out;
}

void
forward_set_add(struct forward_set *s, const char *str)
{
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = xstrdup(str);
}

jv
forward_set_array(const struct forward_set *s)
{
	jv out = jv_array();
	size_t i;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), sort_cmp_str);
	for (i = 0; i < s->n; i++)
		if (i == 0 || strcmp(s->v[i], s->v[i - 1]) != 0)
			out = jv_array_append(out, jv_string(s->v[i]));
	return out;
}

void
forward_set_free(struct forward_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

char *
forward_state_path(const char *profile, const char *ext)
{
	char *name = xasprintf("forward/%s.json", ext);
	char *path = state_path(STATE_STATE, profile, name);

	free(name);
	return path;
}

jv
forward_state_read(const char *path)
{
	struct stat sb;
	jv st, to;
	int i, n;

	/* not a file: say so before anything tightens its mode */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		errno = EISDIR; /* what reading it would say, for any non-file */
		return jv_invalid_with_msg(jv_string(S_ISDIR(sb.st_mode) ?
		    "a directory, not a state file" : "not a regular file"));
	}
	st = state_read_kind(path, STATE_FORWARD);

	if (!jv_is_valid(st)) {
		if (errno == ENOENT) {
			jv_free(st);
			return jv_array(); /* never applied: no forward */
		}
		return st;
	}
	to = json_get(st, "to");
	jv_free(st);
	if (jv_get_kind(to) != JV_KIND_ARRAY) {
		jv_free(to);
		return jv_invalid_with_msg(jv_string("no \"to\" array: not a "
		    "forward-apply state file"));
	}
	n = jv_array_length(jv_copy(to));
	for (i = 0; i < n; i++) {
		jv t = jv_array_get(jv_copy(to), i);
		int ok = jv_get_kind(t) == JV_KIND_STRING;

		jv_free(t);
		if (!ok) {
			jv_free(to);
			return jv_invalid_with_msg(jv_string("a target that is not a "
			    "string"));
		}
	}
	return to;
}

int
forward_lock(const char *path, int timeout, int *status)
{
	char *lock = xasprintf("%s.lock", path);
	int fd = state_lock_path(lock, timeout, status);

	free(lock);
	return fd;
}
