/* jsondump: JSON values as canonical text (compact, keys sorted), byte for
 * byte what libjq's jv_dump_string(v, JV_PRINT_SORTED) writes, only faster. */
#ifndef GCAL_JSONDUMP_H
#define GCAL_JSONDUMP_H

#include <stdio.h>

#include <jv.h>

/* Compact text, keys sorted, no newline; consumes v; the caller frees. */
char *json_dump(jv v);
/* The same text appended to b; consumes v. */
struct buf;
void json_dump_buf(struct buf *b, jv v);
/* Print v as one NDJSON line (sorted keys); consumes v. */
void json_print(FILE *fp, jv v);

#endif
