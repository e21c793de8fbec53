#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"
#include "util.h"

static int
slurp(int fd, struct lines *l)
{
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			buf_free(&b);
			return -1;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	l->size = b.len;
	l->data = buf_take(&b);
	return 0;
}

static void
index_lines(struct lines *l)
{
	const char *p = l->data, *end = l->data + l->size, *nl;
	size_t cap = 0, lineno = 0, len;

	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0) {
			if (l->n == cap) {
				cap = cap ? cap * 2 : 1024;
				l->v = xreallocarray(l->v, cap, sizeof(*l->v));
			}
			l->v[l->n].p = p;
			l->v[l->n].len = len;
			l->v[l->n].lineno = lineno;
			l->n++;
		}
		p = nl + 1;
	}
}

int
lines_load(struct lines *l, const char *path)
{
	struct stat st;
	int fd, saved, stdin_ = strcmp(path, "-") == 0;

	memset(l, 0, sizeof(*l));
	if (stdin_)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		/* MAP_POPULATE: one pass over the page cache, not a fault
		 * per page */
		l->data = mmap(NULL, (size_t)st.st_size, PROT_READ,
		    MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (l->data == MAP_FAILED) {
			l->data = NULL;
		} else {
			l->size = (size_t)st.st_size;
			l->mapped = 1;
		}
	}
	if (l->data == NULL && slurp(fd, l) == -1) {
		saved = errno;
		if (!stdin_)
			close(fd);
		errno = saved;
		return -1;
	}
	if (!stdin_)
		close(fd);
	l->name = xstrdup(stdin_ ? "<stdin>" : path);
	index_lines(l);
	return 0;
}

void
lines_free(struct lines *l)
{
	if (l->mapped)
		munmap(l->data, l->size);
	else
		free(l->data);
	free(l->v);
	free(l->name);
	memset(l, 0, sizeof(*l));
}

uint64_t
lines_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Past the string whose opening quote is at p; NULL if unterminated.
 * *esc is set when it holds a backslash. */
static const char *
skip_string(const char *p, const char *end, int *esc)
{
	const char *q;

	*esc = 0;
	for (p++; p < end; p = q + 1) {
		if ((q = memchr(p, '"', (size_t)(end - p))) == NULL)
			return NULL;
		if (memchr(p, '\\', (size_t)(q - p)) != NULL) {
			size_t bs = 0;
			const char *b;

			*esc = 1;
			for (b = q - 1; b >= p && *b == '\\'; b--)
				bs++;
			if (bs % 2)
				continue; /* an escaped quote */
		}
		return q + 1;
	}
	return NULL;
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

/* lines_top_string's answer once the rest of the object is scanned. */
static const char *
top_found(const char *found, size_t flen, size_t *len)
{
	if (found != NULL)
		*len = flen;
	return found;
}

const char *
lines_top_string(const char *p, size_t n, const char *key, size_t *len)
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
		}
		p = skip_space(p, end);
		if (p == end || *p != ',')
			return top_found(found, flen, len);
		p++;
	}
}
