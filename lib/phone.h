/* phone: is an event title exactly one telephone number, and which one.
 * The rules are forward-apply(1)'s NUMBERS section; this module knows
 * nothing of events or JSON. */
#ifndef GCAL_PHONE_H
#define GCAL_PHONE_H

#include <stddef.h>

/* What a number is; PHONE_NONE when the text is not one number. */
enum phone_kind { PHONE_NONE, PHONE_INTERNATIONAL, PHONE_NATIONAL, PHONE_EXTENSION };

struct phone_rules {
	int ext_min, ext_max;    /* digits of an internal extension (2-5) */
	const char *country;     /* "31": national numbers as +31..., or NULL */
};

/* Read s (a title; blanks around it are ignored) as one number. Returns
 * its kind, with the canonical form in out: "+" and the E.164 digits for
 * an international number, the dialled digits for a national number or
 * an extension. PHONE_NONE with *why (a static string) saying why not. */
enum phone_kind phone_parse(const char *s, const struct phone_rules *rules,
    char out[32], const char **why);

/* "international", "national", "extension" or "none"; static. */
const char *phone_kind_name(enum phone_kind k);

/* Parse "N-M" (1 <= N <= M <= 15) for --internal-lengths. 0 or -1. */
int phone_lengths(const char *s, int *min, int *max);

#endif
