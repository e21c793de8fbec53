/* lines: a whole NDJSON input in memory with an index of its lines, so a
 * tool can compare records as bytes and parse only those that differ.
 * Regular files are mapped, anything else (stdin, a pipe) is read. */
#ifndef GCAL_LINES_H
#define GCAL_LINES_H

#include <stddef.h>
#include <stdint.h>

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

/* Load path ("-" is stdin) into l and index its non-empty lines (a final
 * "\r" dropped). 0, or -1 with errno set. Free with lines_free. */
int lines_load(struct lines *l, const char *path);
void lines_free(struct lines *l);
/* Index size bytes of data made with malloc(3), now l's (name for
 * messages), as lines_load does a file. */
void lines_adopt(struct lines *l, char *data, size_t size, const char *name);

/* 64-bit FNV-1a of n bytes. */
uint64_t lines_hash(const void *p, size_t n);

#endif
