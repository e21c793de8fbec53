#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "util.h"

void
form_add(struct buf *b, const char *name, const char *value)
{
	char *v = url_escape(value);

	if (b->len)
		buf_addc(b, '&');
	buf_adds(b, name);
	buf_addc(b, '=');
	buf_adds(b, v);
	explicit_bzero(v, strlen(v));
	free(v);
}

void
form_free(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->len);
	buf_free(b);
}
