#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jq.h>
#include <jv.h>

#include "json.h"
#include "util.h"

struct ndjson_reader {
	FILE *fp;
	char *name;
	char *line;
	size_t linecap;
	size_t linelen;
	size_t lineno;
	int status; /* of the last failure */
	char error[512];
};

struct ndjson_reader *
ndjson_open(const char *path)
{
	struct ndjson_reader *r;
	FILE *fp;

	struct stat st;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	/* fopen(3) opens a directory, whose first read then fails */
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (fp != stdin)
			fclose(fp);
		errno = EISDIR;
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->fp = fp;
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
	    r->lineno, why);
	r->status = EX_DATAERR;
	return -1;
}

/* Strict UTF-8 (RFC 3629): libjq would silently replace bad bytes. */
/* Whether any byte of w is the byte repeated in b (exact, not a guess). */
static int
has_byte(uint64_t w, uint64_t b)
{
	uint64_t x = w ^ b;

	return ((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull) != 0;
}

static const char *
utf8_problem(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned int cp, min;

	while (i < n) {
		/* eight ASCII bytes at a time: no high bit, no zero byte */
		while (i + 8 <= n) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) != 0 || has_byte(w, 0))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (s[i] == 0)
			return "contains a NUL byte";
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4, cp = s[i] & 0x07, min = 0x10000;
		} else
			return "is not UTF-8";
		if (i + len > n)
			return "is not UTF-8";
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return "is not UTF-8";
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return "is not UTF-8";
		i += len;
	}
	return NULL;
}

/* jv_parse_sized, without what it appends to its message: "(while
 * parsing '<the whole text>')" would put a client secret, a private key
 * or a token into an error line, and reads past n when s is not
 * NUL-terminated. Only libjq's own words stay ("... at line N, column
 * M"), which never quote the input. */
static jv
parse_quiet(const char *s, size_t n)
{
	jv_parser *p = jv_parser_new(0);
	jv value, next;

	jv_parser_set_buf(p, s, (int)n, 0);
	value = jv_parser_next(p);
	if (jv_is_valid(value)) {
		next = jv_parser_next(p);
		if (jv_is_valid(next)) {
			jv_free(value);
			jv_free(next);
			value = jv_invalid_with_msg(jv_string("Unexpected extra "
			    "JSON values"));
		} else if (jv_invalid_has_msg(jv_copy(next))) {
			jv_free(value);
			value = next;
		} else
			jv_free(next);
	} else if (!jv_invalid_has_msg(jv_copy(value))) {
		jv_free(value);
		value = jv_invalid_with_msg(jv_string("Expected JSON value"));
	}
	jv_parser_free(p);
	return value;
}

jv
json_parse(const char *s, size_t n)
{
	const char *problem;

	if (n > (size_t)0x7fffffff)
		return jv_invalid_with_msg(jv_string("text too large"));
	if ((problem = utf8_problem((const unsigned char *)s, n)) != NULL)
		return jv_invalid_with_msg(jv_string_fmt("text %s", problem));
	return parse_quiet(s, n);
}

char *
json_error_text(jv v)
{
	jv msg = jv_invalid_get_msg(v);
	char *s;

	if (jv_get_kind(msg) == JV_KIND_STRING)
		s = xstrdup(jv_string_value(msg));
	else
		s = xstrdup("unknown error");
	jv_free(msg);
	return s;
}

int
ndjson_read(struct ndjson_reader *r, jv *out)
{
	ssize_t n;
	jv v;
	char *why;

	for (;;) {
		errno = 0;
		n = getline(&r->line, &r->linecap, r->fp);
		if (n == -1) {
			if (ferror(r->fp)) {
				/* the file, not a record: unreadable (66) */
				snprintf(r->error, sizeof(r->error), "'%s': %s after "
				    "line %zu", r->name, strerror(errno ? errno : EIO),
				    r->lineno);
				r->status = EX_NOINPUT;
				return -1;
			}
			return 0;
		}
		r->lineno++;
		r->linelen = (size_t)n;
		if (r->linelen > 0 && r->line[r->linelen - 1] == '\n')
			r->line[--r->linelen] = '\0';
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
	return r->lineno;
}

void
ndjson_close(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	if (r->fp != stdin)
		fclose(r->fp);
	free(r->line);
	free(r->name);
	free(r);
}

static size_t
count_lines(const char *s, size_t n)
{
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		k += s[i] == '\n';
	return n > 0 && s[n - 1] != '\n' ? k + 1 : k;
}

/* The message for a file that is not JSON: "line N: not JSON (WHY)",
 * with libjq's location moved to the front; a PEM key or an empty file
 * said as such. Nothing of the text is quoted: the files read this way
 * hold client secrets, keys and tokens. Consumes v. */
static jv
file_parse_error(jv v, const char *text, size_t n)
{
	char *why = json_error_text(v), *at;
	long line = 1, col;
	size_t lines;
	jv out;

	if ((at = strstr(why, " at line ")) != NULL &&
	    sscanf(at, " at line %ld, column %ld", &line, &col) >= 1)
		*at = '\0';
	else if ((at = strstr(why, " at EOF")) != NULL)
		*at = '\0';
	/* libjq places EOF after the final newline: name the last line */
	if (n > 0 && (size_t)line > (lines = count_lines(text, n)))
		line = (long)lines;
	if (n == 0 || strspn(text, " \t\r\n") == n)
		out = jv_string("line 1: empty, not JSON");
	else if (strncmp(text + strspn(text, " \t\r\n"), "-----BEGIN", 10) == 0)
		out = jv_string("line 1: a PEM file, not JSON");
	else
		out = jv_string_fmt("line %ld: not JSON (%s)", line, why);
	free(why);
	return jv_invalid_with_msg(out);
}

jv
json_read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), saved;
	jv v;

	if (fd == -1)
		return jv_invalid_with_msg(jv_string(strerror(errno)));
	v = json_read_fd(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return v;
}

jv
json_read_fd(int fd)
{
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;
	jv v;
	int saved;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			if (b.data)
				explicit_bzero(b.data, b.len);
			buf_free(&b);
			explicit_bzero(chunk, sizeof(chunk));
			errno = saved;
			return jv_invalid_with_msg(jv_string(strerror(saved)));
		}
		buf_add(&b, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	buf_addc(&b, '\0');
	b.len--;
	v = json_parse(b.data, b.len);
	if (!jv_is_valid(v))
		v = file_parse_error(v, b.data, b.len);
	explicit_bzero(b.data, b.len); /* may hold secrets */
	buf_free(&b);
	errno = jv_is_valid(v) ? 0 : EINVAL;
	return v;
}

int
json_load_file(const char *path, const char *want, jv *out)
{
	jv v = json_read_file(path);
	int saved = errno;
	char *why;

	if (!jv_is_valid(v)) {
		why = json_error_text(v);
		if (saved == EINVAL)
			warnx("'%s' %s; expected %s", path, why, want);
		else
			warnx("'%s': %s", path, why);
		free(why);
		*out = jv_invalid();
		errno = saved;
		return saved == EINVAL ? EX_DATAERR : EX_NOINPUT;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		warnx("'%s' line 1: a JSON %s, not an object; expected %s", path,
		    jv_kind_name(jv_get_kind(v)), want);
		jv_free(v);
		*out = jv_invalid();
		errno = EINVAL;
		return EX_DATAERR;
	}
	*out = v;
	return 0;
}

/* --- canonical text -------------------------------------------------
 * The bytes of jv_dump_string(v, JV_PRINT_SORTED), written straight into
 * a buffer. libjq 1.6 builds its text by appending to a jv string a
 * character at a time and copies every key and value it visits; that was
 * over half of a full pull's CPU (make bench). The output is the same byte
 * for byte, which tests/unit/json_cases.c checks against libjq itself. */

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

const char *
json_str(jv obj, const char *key)
{
	jv v;
	const char *s;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return NULL;
	v = jv_object_get(jv_copy(obj), jv_string(key));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return NULL;
	}
	/* obj still holds a reference, so the bytes outlive v. */
	s = jv_string_value(v);
	jv_free(v);
	return s;
}

const char *
json_strpath(jv obj, ...)
{
	va_list ap;
	const char *key, *next, *s = NULL;
	jv cur = jv_copy(obj), v;

	va_start(ap, obj);
	key = va_arg(ap, const char *);
	while (key != NULL) {
		next = va_arg(ap, const char *);
		if (jv_get_kind(cur) != JV_KIND_OBJECT)
			break;
		v = jv_object_get(jv_copy(cur), jv_string(key));
		if (next == NULL) {
			if (jv_get_kind(v) == JV_KIND_STRING)
				s = jv_string_value(v);
			jv_free(v);
			break;
		}
		jv_free(cur);
		cur = v;
		key = next;
	}
	va_end(ap);
	/* The bytes live on in obj, which holds every level we walked. */
	jv_free(cur);
	return s;
}

double
json_num(jv obj, const char *key, double def)
{
	jv v;
	double d = def;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return def;
	v = jv_object_get(jv_copy(obj), jv_string(key));
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		d = jv_number_value(v);
	jv_free(v);
	return d;
}

jv
json_get(jv obj, const char *key)
{
	jv v;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_null();
	v = jv_object_get(jv_copy(obj), jv_string(key));
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

jv
json_set_str(jv obj, const char *key, const char *val)
{
	return jv_object_set(obj, jv_string(key), jv_string(val));
}

struct jqprog {
	jq_state *jq;
	struct buf errors;
};

static void
jqprog_error_cb(void *data, jv msg)
{
	struct jqprog *p = data;

	const char *c;

	if (jv_get_kind(msg) == JV_KIND_STRING) {
		if (p->errors.len)
			buf_adds(&p->errors, "; ");
		/* one-line diagnostics: libjq's messages span lines */
		for (c = jv_string_value(msg); *c; c++)
			buf_addc(&p->errors, *c == '\n' ? ' ' : *c);
	}
	jv_free(msg);
}

struct jqprog *
jqprog_new(const char *program, char **why)
{
	struct jqprog *p = xcalloc(1, sizeof(*p));

	if ((p->jq = jq_init()) == NULL)
		errx(EX_SOFTWARE, "cannot start libjq");
	jq_set_error_cb(p->jq, jqprog_error_cb, p);
	if (!jq_compile(p->jq, program)) {
		*why = buf_take(&p->errors);
		jqprog_free(p);
		return NULL;
	}
	buf_reset(&p->errors);
	return p;
}

void
jqprog_start(struct jqprog *p, jv input)
{
	jq_start(p->jq, input, 0);
}

int
jqprog_next(struct jqprog *p, jv *out)
{
	jv v = jq_next(p->jq);

	if (jv_is_valid(v)) {
		*out = v;
		return 1;
	}
	if (jq_halted(p->jq)) {
		/* halt is final: no more outputs from this input */
		jv_free(v);
		return 0;
	}
	if (jv_invalid_has_msg(jv_copy(v))) {
		*out = v;
		return -1;
	}
	jv_free(v);
	return 0;
}

void
jqprog_free(struct jqprog *p)
{
	if (p == NULL)
		return;
	if (p->jq)
		jq_teardown(&p->jq);
	buf_free(&p->errors);
	free(p);
}

/* --- a top-level string, found without parsing ---------------------- */

/* Past the string whose opening quote is at p; NULL if unterminated.
 * *esc is set when it holds a backslash. Eight bytes at a time while
 * none is a quote or a backslash: the strings are most of an event's
 * bytes, and gcal-diff looks for the id of every line (make bench). */
static const char *
skip_string(const char *p, const char *end, int *esc)
{
	uint64_t w;

	*esc = 0;
	for (p++;;) {
		while (end - p >= 8) {
			memcpy(&w, p, 8);
			if (has_byte(w, 0x2222222222222222ull) ||
			    has_byte(w, 0x5c5c5c5c5c5c5c5cull))
				break;
			p += 8;
		}
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p + 1;
		*esc = 1; /* a backslash: the next byte is escaped */
		if ((p += 2) > end)
			return NULL;
	}
}

/* Past one JSON value (not checked for validity beyond its nesting). */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0, esc;

	while (p < end) {
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end, &esc)) == NULL)
				return NULL;
			if (depth == 0)
				return p;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p; /* the end of the enclosing object */
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		}
		p++;
	}
	return depth == 0 ? p : NULL;
}

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* json_top_string's answer once the rest of the object is scanned. */
static const char *
top_found(const char *found, size_t flen, size_t *len)
{
	if (found != NULL)
		*len = flen;
	return found;
}

/* Whether "key" (quoted) is among the n bytes at p (a key too long to
 * look for says yes). */
static int
quoted_in(const char *p, size_t n, const char *key, size_t klen)
{
	char pat[64];

	if (klen + 2 > sizeof(pat))
		return 1;
	pat[0] = '"';
	memcpy(pat + 1, key, klen);
	pat[klen + 1] = '"';
	return memmem(p, n, pat, klen + 2) != NULL;
}

const char *
json_top_string(const char *p, size_t n, const char *key, size_t *len)
{
	const char *end = p + n, *k, *v, *found = NULL;
	size_t klen = strlen(key), flen = 0;
	int esc;

	p = skip_space(p, end);
	if (p == end || *p != '{')
		return NULL;
	/* The rest of the object is scanned too: libjq keeps the last of
	 * duplicate keys, so a key seen twice (or a key spelled with an
	 * escape, which may be it too) leaves the answer to the parser. What
	 * does not scan after the key is the parser's business, when the
	 * line is parsed at all. */
	for (p++;;) {
		p = skip_space(p, end);
		if (p == end || *p != '"')
			return top_found(found, flen, len);
		k = p + 1;
		if ((p = skip_string(p, end, &esc)) == NULL)
			return top_found(found, flen, len);
		if (esc)
			return NULL;
		if ((size_t)(p - k - 1) == klen && memcmp(k, key, klen) == 0) {
			if (found != NULL)
				return NULL;
			k = NULL; /* this is the key */
		}
		p = skip_space(p, end);
		if (p == end || *p != ':')
			return top_found(found, flen, len);
		p = skip_space(p + 1, end);
		v = p;
		if ((p = skip_value(p, end)) == NULL || p == v)
			return top_found(found, flen, len);
		if (k == NULL) {
			if (*v != '"' || skip_string(v, end, &esc) != p || esc)
				return NULL;
			found = v + 1;
			flen = (size_t)(p - v) - 2;
			/* Past the key, only a second one matters, and it must
			 * spell the key or hold a backslash: when the rest has
			 * neither, it need not be scanned. */
			if (memchr(p, '\\', (size_t)(end - p)) == NULL &&
			    !quoted_in(p, (size_t)(end - p), key, klen))
				return top_found(found, flen, len);
		}
		p = skip_space(p, end);
		if (p == end || *p != ',')
			return top_found(found, flen, len);
		p++;
	}
}
