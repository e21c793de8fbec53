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
lines_adopt(struct lines *l, char *data, size_t size, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->data = data;
	l->size = size;
	l->name = xstrdup(name);
	index_lines(l);
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
