/* jsondump: JSON values as canonical text (see jsondump.h). */
#include <stdio.h>
#include <stdlib.h>

#include <jv.h>

#include "json.h"
#include "util.h"

/* --- canonical text -------------------------------------------------
 * The bytes of jv_dump_string(v, JV_PRINT_SORTED), written straight into
 * a buffer. libjq 1.6 builds its text by appending to a jv string a
 * character at a time and copies every key and value it visits; that was
 * over half of a full pull's CPU (make bench). The output is the same byte
 * for byte, which tests/unit/lib.c checks against libjq itself. */

/* libjq's own limit (MAX_PRINT_DEPTH): a value deeper than this is left
 * to libjq whole, which prints a note in place of what is too deep. */
#define DUMP_MAX_DEPTH 256

struct dump_member {
	jv key;
	jv value;
	const char *name; /* the key's bytes */
	size_t len;
};

/* Key order of jv_keys: bytes, then length (libjq's string_cmp). */
static int
member_cmp(const void *pa, const void *pb)
{
	const struct dump_member *a = pa, *b = pb;

	return bytes_cmp(a->name, a->len, b->name, b->len);
}

/* A JSON string as libjq writes it: '"', '\\' and controls escaped, DEL as
 * \u007f, everything else (valid UTF-8, as every jv string is) as is. */
static void
dump_bytes(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *run;

	buf_addc(b, '"');
	while (p < end) {
		for (run = p; p < end && *p >= 0x20 && *p != 0x7f && *p != '"' &&
		    *p != '\\'; p++)
			;
		buf_add(b, run, (size_t)(p - run));
		if (p == end)
			break;
		switch (*p) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\b': buf_add(b, "\\b", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\f': buf_add(b, "\\f", 2); break;
		default: buf_printf(b, "\\u%04x", *p); break;
		}
		p++;
	}
	buf_addc(b, '"');
}

static void
dump_string(struct buf *b, jv s)
{
	dump_bytes(b, jv_string_value(s),
	    (size_t)jv_string_length_bytes(jv_copy(s)));
}

/* v (borrowed) as canonical text at the end of b: 0, or -1 when v is
 * nested too deep (b then holds a part). */
static int
dump_value(struct buf *b, jv v, int depth)
{
	struct dump_member small[32], *m;
	jv s;
	int i, n, it, rc = 0;

	if (depth > DUMP_MAX_DEPTH)
		return -1;
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: buf_add(b, "null", 4); return 0;
	case JV_KIND_FALSE: buf_add(b, "false", 5); return 0;
	case JV_KIND_TRUE: buf_add(b, "true", 4); return 0;
	case JV_KIND_STRING: dump_string(b, v); return 0;
	case JV_KIND_ARRAY:
		n = jv_array_length(jv_copy(v));
		buf_addc(b, '[');
		for (i = 0; i < n && rc == 0; i++) {
			jv e = jv_array_get(jv_copy(v), i);

			if (i > 0)
				buf_addc(b, ',');
			rc = dump_value(b, e, depth + 1);
			jv_free(e);
		}
		buf_addc(b, ']');
		return rc;
	case JV_KIND_OBJECT:
		n = jv_object_length(jv_copy(v));
		m = n <= (int)(sizeof(small) / sizeof(small[0])) ? small :
		    xreallocarray(NULL, (size_t)n, sizeof(*m));
		i = 0;
		for (it = jv_object_iter(v); jv_object_iter_valid(v, it) && i < n;
		    it = jv_object_iter_next(v, it), i++) {
			m[i].key = jv_object_iter_key(v, it);
			m[i].value = jv_object_iter_value(v, it);
			m[i].name = jv_string_value(m[i].key);
			m[i].len = (size_t)jv_string_length_bytes(jv_copy(m[i].key));
		}
		n = i;
		qsort(m, (size_t)n, sizeof(*m), member_cmp);
		buf_addc(b, '{');
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			dump_bytes(b, m[i].name, m[i].len);
			buf_addc(b, ':');
			if (rc == 0)
				rc = dump_value(b, m[i].value, depth + 1);
			jv_free(m[i].key);
			jv_free(m[i].value);
		}
		buf_addc(b, '}');
		if (m != small)
			free(m);
		return rc;
	default: /* numbers keep libjq's own formatting; invalid is a bug */
		s = jv_dump_string(jv_copy(v), JV_PRINT_SORTED);
		buf_adds(b, jv_string_value(s));
		jv_free(s);
		return 0;
	}
}

void
json_dump_buf(struct buf *b, jv v)
{
	size_t start = b->len;
	jv s;

	if (dump_value(b, v, 0) != 0) {
		b->len = start;
		s = jv_dump_string(v, JV_PRINT_SORTED);
		buf_adds(b, jv_string_value(s));
		jv_free(s);
		return;
	}
	jv_free(v);
}

char *
json_dump(jv v)
{
	struct buf b = {0};

	json_dump_buf(&b, v);
	return buf_take(&b);
}

void
json_print(FILE *fp, jv v)
{
	struct buf b = {0};

	json_dump_buf(&b, v);
	buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, fp);
	buf_free(&b);
}
