/* ndjson: reading NDJSON records one at a time, each checked to be an
 * object, with the file and line of any failure. */
#ifndef GCAL_NDJSON_H
#define GCAL_NDJSON_H

#include <stddef.h>

#include <jv.h>

/* Largest NDJSON record accepted (Google's events are far smaller). */
#define NDJSON_MAX_LINE (16u * 1024 * 1024)

struct ndjson_reader;

/* Open path for reading records ("-" is stdin). NULL with errno set
 * (EISDIR for a directory). */
struct ndjson_reader *ndjson_open(const char *path);
/* Next record, always an object: 1 and *out set (the caller's), 0 at the
 * end, -1 on a bad line (see ndjson_error) or a read error. */
int ndjson_read(struct ndjson_reader *r, jv *out);
/* "'NAME' line N: WHY" for the last failure; borrowed. */
const char *ndjson_error(const struct ndjson_reader *r);
/* The exit status for the last failure: EX_NOINPUT when the file could
 * not be read, EX_DATAERR for a bad record. */
int ndjson_status(const struct ndjson_reader *r);
/* The bytes of the last line read, without its newline; borrowed. */
const char *ndjson_line(const struct ndjson_reader *r, size_t *len);
size_t ndjson_lineno(const struct ndjson_reader *r);
void ndjson_close(struct ndjson_reader *r);

#endif
