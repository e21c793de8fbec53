/* Unit tests of lib/jqprog.c: jq programs through libjq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "tap.h"

static void
test_jq(void)
{
	char *why = NULL;
	struct jqprog *p = jqprog_new(".items[] | select(.n > 1) | .n", &why);
	jv out;
	int n = 0, sum = 0;

	ok(p != NULL, "a jq program compiles");
	jqprog_start(p, jv_parse("{\"items\":[{\"n\":1},{\"n\":2},{\"n\":3}]}"));
	while (jqprog_next(p, &out) == 1) {
		n++;
		sum += (int)jv_number_value(out);
		jv_free(out);
	}
	ok(n == 2 && sum == 5, "it yields every output");
	jqprog_free(p);
	ok(jqprog_new(".[", &why) == NULL && why && *why, "a bad program says why: %s", why);
	free(why);
}

/* halt is final; an error is an invalid value with libjq's message. */
static void
test_halt_and_error(void)
{
	char *why = NULL, *msg;
	struct jqprog *p = jqprog_new("1, halt, 2", &why);
	jv out;

	jqprog_start(p, jv_null());
	ok(jqprog_next(p, &out) == 1 && jv_number_value(out) == 1, "the output before halt");
	jv_free(out);
	ok(jqprog_next(p, &out) == 0, "halt ends the outputs");
	jqprog_free(p);
	p = jqprog_new(".a.b", &why);
	jqprog_start(p, jv_parse("{\"a\":5}"));
	ok(jqprog_next(p, &out) == -1, "a jq error is -1");
	msg = json_error_text(out);
	ok(strstr(msg, "Cannot index number") != NULL, "... with libjq's message: %s", msg);
	free(msg);
	jqprog_free(p);
	ok(jqprog_new("{", &why) == NULL && strchr(why, '\n') == NULL,
	    "a compile error is said on one line");
	free(why);
}

int
main(void)
{
	test_jq();
	test_halt_and_error();
	return done_testing();
}
