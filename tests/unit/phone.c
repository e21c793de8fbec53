/* Unit tests of lib/phone.c: one number per title, in its canonical
 * form, and why a title is not one (forward-apply(1), NUMBERS). */
#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "tap.h"

static void
is_number(const char *title, const char *country, enum phone_kind kind,
    const char *want)
{
	struct phone_rules r = {.ext_min = 2, .ext_max = 5, .country = country};
	const char *why = NULL;
	char out[32];
	enum phone_kind got = phone_parse(title, &r, out, &why);

	ok(got == kind && strcmp(out, want) == 0, "'%s' is %s '%s' (got %s '%s')",
	    title, phone_kind_name(kind), want, phone_kind_name(got), out);
}

static void
is_not(const char *title, const char *because)
{
	struct phone_rules r = {.ext_min = 2, .ext_max = 5};
	const char *why = NULL;
	char out[32];

	ok(phone_parse(title, &r, out, &why) == PHONE_NONE && why &&
	    strcmp(why, because) == 0, "'%s' is no number: %s (got %s)", title,
	    because, why ? why : "(none)");
}

int
main(void)
{
	int lo, hi;

	is_number("0612345678", NULL, PHONE_NATIONAL, "0612345678");
	is_number("  06-1234 5678 ", NULL, PHONE_NATIONAL, "0612345678");
	is_number("(020) 123 4567", NULL, PHONE_NATIONAL, "0201234567");
	is_number("0612345678", "31", PHONE_INTERNATIONAL, "+31612345678");
	is_number("+31 20 123 4567", NULL, PHONE_INTERNATIONAL, "+31201234567");
	is_number("+31 (0)6 1234 5678", NULL, PHONE_INTERNATIONAL, "+31612345678");
	is_number("0031 6 12345678", NULL, PHONE_INTERNATIONAL, "+31612345678");
	is_number("333", NULL, PHONE_EXTENSION, "333");
	is_number("\xc2\xa0" "333\xe2\x80\xaf", NULL, PHONE_EXTENSION, "333");
	is_not("", "empty title");
	is_not("   ", "empty title");
	is_not("Lunch", "not a number");
	is_not("Call 0612345678", "not a single number");
	is_not("3 33", "not a single number");
	is_not("(020)", "not a single number");
	is_not("0612345678-", "not a single number");
	is_number("06--12345678", NULL, PHONE_NATIONAL, "0612345678");
	is_not("+0612345678", "no country code after the international prefix");
	is_not("+3161", "too short for an international number");
	is_not("+3161234567890123", "too many digits for one number");
	is_not("0612", "too short for a national number");
	is_not("3", "too short for an extension");
	is_not("333333", "too long for an extension");
	ok(phone_lengths("3-4", &lo, &hi) == 0 && lo == 3 && hi == 4, "--internal-lengths 3-4");
	ok(phone_lengths("4-3", &lo, &hi) == -1, "--internal-lengths 4-3 is refused");
	return done_testing();
}
