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

/* --- a line at a time ---------------------------------------------- */

#define READ_CHUNK ((size_t)64 << 10)

struct line_reader {
	int fd;
	int own;           /* close fd at the end */
	int ranged;        /* pread from pos up to end */
	off_t pos, end;
	char *buf;
	size_t cap;
	size_t start, len; /* the bytes read and not yet given */
	size_t used;       /* of them, the line given last (with its newline) */
	size_t lineno;
	int ended;         /* that line ended with a newline */
	int eof;
};

static struct line_reader *
reader_new(int fd)
{
	struct line_reader *r = xcalloc(1, sizeof(*r));

	r->fd = fd;
	r->cap = READ_CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

struct line_reader *
lines_open(const char *path)
{
	struct line_reader *r;
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (fd != STDIN_FILENO)
			close(fd);
		errno = EISDIR;
		return NULL;
	}
	r = reader_new(fd);
	r->own = fd != STDIN_FILENO;
	return r;
}

struct line_reader *
lines_open_range(int fd, off_t off, off_t end)
{
	struct line_reader *r = reader_new(fd);

	r->ranged = 1;
	r->pos = off;
	r->end = end;
	return r;
}

/* More bytes after what is left: 0, or -1 (errno). At the end, r->eof. */
static int
refill(struct line_reader *r)
{
	size_t want;
	ssize_t got;

	memmove(r->buf, r->buf + r->start, r->len);
	r->start = 0;
	if (r->len + 1 >= r->cap) { /* a line longer than the buffer */
		r->cap *= 2;
		r->buf = xreallocarray(r->buf, r->cap, 1);
	}
	want = r->cap - 1 - r->len; /* room for the NUL of a last line */
	if (r->ranged && (off_t)want > r->end - r->pos)
		want = (size_t)(r->end - r->pos);
	if (want == 0) {
		r->eof = 1;
		return 0;
	}
	do
		got = r->ranged ? pread(r->fd, r->buf + r->len, want, r->pos) :
		    read(r->fd, r->buf + r->len, want);
	while (got == -1 && errno == EINTR);
	if (got == -1)
		return -1;
	if (got == 0 && r->ranged) {
		errno = EIO; /* the file is shorter than the range */
		return -1;
	}
	r->eof = got == 0;
	r->pos += got;
	r->len += (size_t)got;
	return 0;
}

int
lines_next(struct line_reader *r, char **line, size_t *len)
{
	char *nl;

	r->start += r->used;
	r->len -= r->used;
	r->used = 0;
	for (;;) {
		if (r->len > 0 &&
		    (nl = memchr(r->buf + r->start, '\n', r->len)) != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			*nl = '\0';
			r->used = *len + 1;
			r->ended = 1;
			r->lineno++;
			return 1;
		}
		if (r->eof) {
			if (r->len == 0)
				return 0;
			*line = r->buf + r->start;
			*len = r->len;
			(*line)[*len] = '\0'; /* refill kept room for it */
			r->used = r->len;
			r->ended = 0;
			r->lineno++;
			return 1;
		}
		if (refill(r) == -1)
			return -1;
	}
}

int
lines_ended(const struct line_reader *r)
{
	return r->ended;
}

size_t
lines_lineno(const struct line_reader *r)
{
	return r->lineno;
}

void
lines_close(struct line_reader *r)
{
	if (r == NULL)
		return;
	if (r->own)
		close(r->fd);
	free(r->buf);
	free(r);
}
