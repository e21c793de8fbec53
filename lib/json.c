/* json: parsing JSON text and files, and field access (see json.h). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "json.h"
#include "util.h"

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
	if ((problem = json_utf8_problem((const unsigned char *)s, n)) != NULL)
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

jv_kind
json_kind(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	return k;
}

jv
json_set(jv obj, const char *key, jv v)
{
	return jv_object_set(obj, jv_string(key), v);
}

jv
json_fail(const char *fmt, const char *what)
{
	char *msg = xasprintf(fmt, what ? what : "");
	jv v = jv_invalid_with_msg(jv_string(msg));

	free(msg);
	return v;
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
