/* sort: an external merge sort of "KEY<TAB>VALUE" lines by key (bytes),
 * one line per key kept (the last added), through a temporary file. */
#ifndef GCAL_SORT_H
#define GCAL_SORT_H

#include <stddef.h>
#include <stdio.h>

/* Bytes gathered in memory before they are sorted and written as a run. */
#define SORT_RUN_BYTES ((size_t)4 << 20)

struct sort;
/* A sort whose runs go to tmp (open for reading and writing, empty; the
 * sort closes it, the caller removes it), named tmpname in messages.
 * run_bytes 0 is SORT_RUN_BYTES. */
struct sort *sort_new(FILE *tmp, const char *tmpname, size_t run_bytes);
/* Add the line "KEY<TAB>VALUE"; the key holds no tab or newline, the
 * value no newline. 0, or -1 (message printed). */
int sort_add(struct sort *s, const char *key, size_t klen, const char *val,
    size_t vlen);
/* Write the lines to out sorted by key, each followed by a newline, the
 * last added of a key only; *n their number. 0, or -1 (message printed,
 * out named outname). */
int sort_finish(struct sort *s, FILE *out, const char *outname, size_t *n);
/* Close the temporary file and free s. */
void sort_free(struct sort *s);

/* qsort(3) and bsearch(3) order of an array of C strings (strcmp). */
int sort_cmp_str(const void *a, const void *b);

#endif
