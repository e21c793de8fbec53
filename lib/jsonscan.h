/* jsonscan: JSON text scanned as bytes, without parsing: the strict UTF-8
 * check in front of libjq, and a top-level string found by its key. */
#ifndef GCAL_JSONSCAN_H
#define GCAL_JSONSCAN_H

#include <stddef.h>

/* What is wrong with n bytes as strict UTF-8 (RFC 3629) holding no NUL,
 * "contains a NUL byte" or "is not UTF-8"; NULL when nothing is. libjq
 * would silently replace bad bytes. */
const char *json_utf8_problem(const unsigned char *s, size_t n);

/* The raw bytes of the string value of top-level key in a JSON object
 * text, found without parsing it: NULL when absent, not a string, holding
 * an escape, when the key appears twice or any key holds an escape (the
 * parser decides those), or when the text does not scan as an object up
 * to the key. */
const char *json_top_string(const char *p, size_t n, const char *key,
    size_t *len);

#endif
