/* jqprog: jq programs run through libjq, compiled once per process, with
 * libjq's messages gathered on one line. */
#ifndef GCAL_JQPROG_H
#define GCAL_JQPROG_H

#include <jv.h>

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
