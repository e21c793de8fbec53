/* ndjson: reading NDJSON records one at a time (see ndjson.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "json.h"
#include "lines.h"
#include "util.h"

struct ndjson_reader {
	struct line_reader *in;
	char *name;
	char *line;
	size_t linelen;
	int status; /* of the last failure */
	char error[512];
};

struct ndjson_reader *
ndjson_open(const char *path)
{
	struct ndjson_reader *r;
	struct line_reader *in;

	if ((in = lines_open(path)) == NULL)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->in = in;
	r->name = xstrdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	return r;
}

static int
reader_fail(struct ndjson_reader *r, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(r->error, sizeof(r->error), "'%s' line %zu: %s", r->name,
	    lines_lineno(r->in), why);
	r->status = EX_DATAERR;
	return -1;
}

int
ndjson_read(struct ndjson_reader *r, jv *out)
{
	jv v;
	char *why;
	int n;

	for (;;) {
		errno = 0;
		if ((n = lines_next(r->in, &r->line, &r->linelen)) != 1) {
			if (n == -1) {
				/* the file, not a record: unreadable (66) */
				snprintf(r->error, sizeof(r->error), "'%s': %s after "
				    "line %zu", r->name, strerror(errno ? errno : EIO),
				    lines_lineno(r->in));
				r->status = EX_NOINPUT;
			}
			r->line = NULL;
			r->linelen = 0;
			return n;
		}
		if (r->linelen > NDJSON_MAX_LINE)
			return reader_fail(r, "record longer than %u bytes",
			    NDJSON_MAX_LINE);
		if (r->linelen > 0 && r->line[r->linelen - 1] == '\r')
			r->line[--r->linelen] = '\0';
		if (r->linelen == 0)
			continue;
		break;
	}
	if (memchr(r->line, '\0', r->linelen) != NULL)
		return reader_fail(r, "record contains a NUL byte");
	v = json_parse(r->line, r->linelen);
	if (!jv_is_valid(v)) {
		why = json_error_text(v);
		reader_fail(r, "bad JSON: %s", why);
		free(why);
		return -1;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return reader_fail(r, "expected an object");
	}
	*out = v;
	return 1;
}

int
ndjson_status(const struct ndjson_reader *r)
{
	return r->status;
}

const char *
ndjson_error(const struct ndjson_reader *r)
{
	return r->error;
}

const char *
ndjson_line(const struct ndjson_reader *r, size_t *len)
{
	if (len)
		*len = r->linelen;
	return r->line ? r->line : "";
}

size_t
ndjson_lineno(const struct ndjson_reader *r)
{
	return lines_lineno(r->in);
}

void
ndjson_close(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	lines_close(r->in);
	free(r->name);
	free(r);
}
