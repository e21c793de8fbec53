/* jsonscan: JSON text scanned as bytes, without parsing (see jsonscan.h).
 * One word-at-a-time primitive (has_byte) serves both scans. */
#include <stdint.h>
#include <string.h>

#include "jsonscan.h"

/* Whether any byte of w is the byte repeated in b (exact, not a guess). */
static int
has_byte(uint64_t w, uint64_t b)
{
	uint64_t x = w ^ b;

	return ((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull) != 0;
}

const char *
json_utf8_problem(const unsigned char *s, size_t n)
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
