/* lines: reading files as lines, the project's one line reader: a line
 * at a time through one buffer (lines_open, lines_next), or a whole input
 * in memory with an index of its lines (lines_load), so a tool can
 * compare records as bytes and parse only those that differ. */
#ifndef GCAL_LINES_H
#define GCAL_LINES_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct line_reader;
/* Open path ("-" is stdin, not closed at the end). NULL with errno set
 * (EISDIR for a directory). */
struct line_reader *lines_open(const char *path);
/* The bytes [off, end) of fd, read with pread(2); fd stays the caller's. */
struct line_reader *lines_open_range(int fd, off_t off, off_t end);
/* 1 and the next line (*line NUL-terminated in place of its newline,
 * writable, valid until the next call), 0 at the end, -1 on a read error
 * (errno). A last line without a newline is a line. */
int lines_next(struct line_reader *r, char **line, size_t *len);
/* Whether the line lines_next gave ended with a newline. */
int lines_ended(const struct line_reader *r);
/* The number of lines read so far: the last one's, 1-based. */
size_t lines_lineno(const struct line_reader *r);
void lines_close(struct line_reader *r);

struct line {
	const char *p;  /* into the input; no newline, not NUL-terminated */
	size_t len;
	size_t lineno; /* 1-based, empty lines counted */
};

struct lines {
	char *name;    /* for messages: the path, or "<stdin>" for "-" */
	char *data;
	size_t size;
	int mapped;
	struct line *v; /* the non-empty lines, in order */
	size_t n;
};

/* Load path ("-" is stdin) into l: regular files are mapped, anything
 * else (stdin, a pipe) is read; its non-empty lines indexed (a final
 * "\r" dropped). 0, or -1 with errno set. Free with lines_free. */
int lines_load(struct lines *l, const char *path);
void lines_free(struct lines *l);
/* Index size bytes of data made with malloc(3), now l's (name for
 * messages), as lines_load does a file. */
void lines_adopt(struct lines *l, char *data, size_t size, const char *name);

/* 64-bit FNV-1a of n bytes. */
uint64_t lines_hash(const void *p, size_t n);

#endif
