/* json: JSON values (libjq's jv) in and out, NDJSON streams, jq programs.
 * All JSON in the project goes through here. jv ownership follows libjq:
 * a function "consumes" a jv argument unless it says "borrows". */
#ifndef GCAL_JSON_H
#define GCAL_JSON_H

#include <stdio.h>
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

/* Parse one JSON text of n bytes. Invalid (with a message) on error.
 * Rejects text that is not UTF-8 or has NUL bytes. */
jv json_parse(const char *s, size_t n);
/* Read and parse a whole file. Invalid with a message on error: errno
 * EINVAL and "line N: not JSON (WHY)" for a text that does not parse
 * (never quoting it: such files hold secrets), else errno and its
 * strerror for a file that cannot be read. */
jv json_read_file(const char *path);
/* The same for an open file, read from where it stands; fd stays open. */
jv json_read_fd(int fd);
/* The same for a file that must hold one object (want says what kind,
 * e.g. "the JSON of an OAuth client"): 0 and *out (the caller's), or a
 * one-line message "'PATH' line N: ...; expected WANT" printed and
 * EX_DATAERR (not JSON, not an object) or EX_NOINPUT (cannot be read:
 * missing, a directory; errno says which). */
int json_load_file(const char *path, const char *want, jv *out);

/* Compact text, keys sorted, no newline; consumes v; the caller frees. */
char *json_dump(jv v);
/* The same text appended to b; consumes v. */
struct buf;
void json_dump_buf(struct buf *b, jv v);
/* Print v as one NDJSON line (sorted keys); consumes v. */
void json_print(FILE *fp, jv v);

/* The raw bytes of the string value of top-level key in a JSON object
 * text, found without parsing it: NULL when absent, not a string, holding
 * an escape, when the key appears twice or any key holds an escape (the
 * parser decides those), or when the text does not scan as an object up
 * to the key. */
const char *json_top_string(const char *p, size_t n, const char *key,
    size_t *len);

/* Field access on an object; borrows obj. The string pointer stays valid
 * as long as obj does. NULL when absent or not a string. */
const char *json_str(jv obj, const char *key);
/* A nested string by a NULL-terminated path of keys. */
const char *json_strpath(jv obj, ...) __attribute__((sentinel));
/* Number field, or def when absent or not a number. */
double json_num(jv obj, const char *key, double def);
/* Field value (a new reference), or jv_null() when absent; borrows obj. */
jv json_get(jv obj, const char *key);
/* Set a string field; consumes obj, returns the new object. */
jv json_set_str(jv obj, const char *key, const char *val);
/* Message of an invalid jv, or "unknown error"; consumes v, caller frees. */
char *json_error_text(jv v);

/* jq programs, compiled once per process. */
struct jqprog;
/* Compile program; on error NULL and *why (caller frees) says why. */
struct jqprog *jqprog_new(const char *program, char **why);
/* Run on input (consumed); then call jqprog_next for each output. */
void jqprog_start(struct jqprog *p, jv input);
/* 1 and *out (the caller's), 0 when done, -1 on a jq error (*out is the
 * invalid value with its message). */
int jqprog_next(struct jqprog *p, jv *out);
void jqprog_free(struct jqprog *p);

#endif
