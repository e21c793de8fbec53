/* json: JSON text parsed into libjq's jv (strings, files), and field access.
 * All JSON in the project goes through here and the modules it includes
 * (ndjson, jsondump, jsonscan, jqprog). jv ownership follows libjq:
 * a function "consumes" a jv argument unless it says "borrows". */
#ifndef GCAL_JSON_H
#define GCAL_JSON_H

#include <stdio.h>

#include <jv.h>

/* The other JSON modules, which every user of json.h may rely on. */
#include "jqprog.h"
#include "jsondump.h"
#include "jsonscan.h"
#include "ndjson.h"

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

/* Field access on an object; borrows obj. The string pointer stays valid
 * as long as obj does. NULL when absent or not a string. */
const char *json_str(jv obj, const char *key);
/* A nested string by a NULL-terminated path of keys. */
const char *json_strpath(jv obj, ...) __attribute__((sentinel));
/* Number field, or def when absent or not a number. */
double json_num(jv obj, const char *key, double def);
/* Field value (a new reference), or jv_null() when absent; borrows obj. */
jv json_get(jv obj, const char *key);
/* The kind of a field (JV_KIND_NULL when absent); borrows obj. */
jv_kind json_kind(jv obj, const char *key);
/* Set a string field; consumes obj, returns the new object. */
jv json_set_str(jv obj, const char *key, const char *val);
/* obj with key set to v; consumes obj and v. */
jv json_set(jv obj, const char *key, jv v);
/* An invalid value whose message is fmt with what (NULL: "") in its
 * one %s: a mapping's refusal, for its caller to say. */
jv json_fail(const char *fmt, const char *what);
/* Message of an invalid jv, or "unknown error"; consumes v, caller frees. */
char *json_error_text(jv v);

#endif
