/* form: application/x-www-form-urlencoded bodies and queries (the OAuth
 * endpoints' format), wiped when freed because they carry secrets. */
#ifndef GCAL_FORM_H
#define GCAL_FORM_H

#include "util.h"

/* Append name=value (value escaped), with '&' after the first. */
void form_add(struct buf *b, const char *name, const char *value);
/* Wipe and free b. */
void form_free(struct buf *b);

#endif
