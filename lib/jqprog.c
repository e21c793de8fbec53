/* jqprog: jq programs run through libjq (see jqprog.h). */
#include <err.h>
#include <stdlib.h>

#include <jq.h>
#include <jv.h>

#include "jqprog.h"
#include "util.h"

struct jqprog {
	jq_state *jq;
	struct buf errors;
};

static void
jqprog_error_cb(void *data, jv msg)
{
	struct jqprog *p = data;

	const char *c;

	if (jv_get_kind(msg) == JV_KIND_STRING) {
		if (p->errors.len)
			buf_adds(&p->errors, "; ");
		/* one-line diagnostics: libjq's messages span lines */
		for (c = jv_string_value(msg); *c; c++)
			buf_addc(&p->errors, *c == '\n' ? ' ' : *c);
	}
	jv_free(msg);
}

struct jqprog *
jqprog_new(const char *program, char **why)
{
	struct jqprog *p = xcalloc(1, sizeof(*p));

	if ((p->jq = jq_init()) == NULL)
		errx(EX_SOFTWARE, "cannot start libjq");
	jq_set_error_cb(p->jq, jqprog_error_cb, p);
	if (!jq_compile(p->jq, program)) {
		*why = buf_take(&p->errors);
		jqprog_free(p);
		return NULL;
	}
	buf_reset(&p->errors);
	return p;
}

void
jqprog_start(struct jqprog *p, jv input)
{
	jq_start(p->jq, input, 0);
}

int
jqprog_next(struct jqprog *p, jv *out)
{
	jv v = jq_next(p->jq);

	if (jv_is_valid(v)) {
		*out = v;
		return 1;
	}
	if (jq_halted(p->jq)) {
		/* halt is final: no more outputs from this input */
		jv_free(v);
		return 0;
	}
	if (jv_invalid_has_msg(jv_copy(v))) {
		*out = v;
		return -1;
	}
	jv_free(v);
	return 0;
}

void
jqprog_free(struct jqprog *p)
{
	if (p == NULL)
		return;
	if (p->jq)
		jq_teardown(&p->jq);
	buf_free(&p->errors);
	free(p);
}
