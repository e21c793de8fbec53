#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"

/* E.164: at most 15 digits, country code included. */
#define E164_MAX 15
#define INTL_MIN 7
#define NATIONAL_MIN 7
#define NATIONAL_MAX 13
#define AREA_MAX 5

/* Length of a blank at s (ASCII white space, no-break spaces), or 0. */
static size_t
blank(const unsigned char *s)
{
	if (*s != '\0' && isspace(*s))
		return 1;
	if (s[0] == 0xc2 && s[1] == 0xa0)
		return 2;
	if (s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0xaf)
		return 3;
	return 0;
}

/* Length of a separator at s (blank, dash, dot, or their Unicode look-
 * alikes that calendar apps and phones paste), or 0. */
static size_t
separator(const unsigned char *s)
{
	if (*s == '-' || *s == '.')
		return 1;
	if (blank(s) > 0)
		return blank(s);
	/* U+2010, U+2011 hyphens, U+2013 en dash, U+202F narrow no-break space */
	if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0x90 || s[2] == 0x91 ||
	    s[2] == 0x93 || s[2] == 0xaf))
		return 3;
	return 0;
}

enum phone_kind
phone_parse(const char *str, const struct phone_rules *rules, char out[32],
    const char **why)
{
	const unsigned char *s = (const unsigned char *)str, *end;
	char d[64];
	size_t n = 0, k, area_at = 0, area_len = 0;
	int plus = 0, seps = 0, paren = 0, parens = 0, any_digit = 0, prev_sep = 0;
	const char *p;

	out[0] = '\0';
	while ((k = blank(s)) > 0)
		s += k;
	end = s + strlen((const char *)s);
	/* trailing blanks: step back over whole characters only */
	for (;;) {
		if (end > s && isspace(end[-1]))
			end--;
		else if (end - s >= 2 && blank(end - 2) == 2)
			end -= 2;
		else if (end - s >= 3 && blank(end - 3) == 3)
			end -= 3;
		else
			break;
	}
	if (s == end) {
		*why = "empty title";
		return PHONE_NONE;
	}
	for (p = (const char *)s; p < (const char *)end; p++)
		if (isdigit((unsigned char)*p))
			any_digit = 1;
	if (!any_digit) {
		*why = "not a number";
		return PHONE_NONE;
	}
	*why = "not a single number";
	if (*s == '+') {
		plus = 1;
		s++;
	}
	while (s < end) {
		if (isdigit(*s)) {
			if (n + 1 >= sizeof(d)) {
				*why = "too many digits for one number";
				return PHONE_NONE;
			}
			d[n++] = (char)*s++;
			prev_sep = 0;
		} else if (*s == '(') {
			/* one pair, around a leading group: "(020)", "+31 (0)6" */
			if (paren || parens || s + 1 >= end)
				return PHONE_NONE;
			paren = 1;
			area_at = n;
			s++;
			prev_sep = 0;
		} else if (*s == ')') {
			if (!paren || n == area_at || n - area_at > AREA_MAX)
				return PHONE_NONE;
			paren = 0;
			parens = 1;
			area_len = n - area_at;
			s++;
		} else if ((k = separator(s)) > 0) {
			/* never right after "+" or "(", nor inside the parentheses */
			if (paren || (n == 0 && !parens) || s + k >= end)
				return PHONE_NONE;
			if (!prev_sep)
				seps++;
			prev_sep = 1;
			s += k;
		} else {
			return PHONE_NONE;
		}
	}
	if (paren || n == 0)
		return PHONE_NONE;
	if (parens && area_at + area_len == n) {
		*why = "not a single number"; /* nothing after the area code */
		return PHONE_NONE;
	}
	if (plus || (n >= 2 && d[0] == '0' && d[1] == '0')) {
		size_t skip = plus ? 0 : 2;

		/* "+31 (0)6 ...": the national trunk prefix, written for
		 * callers inside the country, is not dialled from outside */
		if (parens && area_len == 1 && d[area_at] == '0' && area_at > skip) {
			memmove(d + area_at, d + area_at + 1, n - area_at - 1);
			n--;
		}
		if (d[skip] == '0') {
			*why = "no country code after the international prefix";
			return PHONE_NONE;
		}
		if (n - skip < INTL_MIN) {
			*why = "too short for an international number";
			return PHONE_NONE;
		}
		if (n - skip > E164_MAX) {
			*why = "too many digits for one number";
			return PHONE_NONE;
		}
		snprintf(out, 32, "+%.*s", (int)(n - skip), d + skip);
		return PHONE_INTERNATIONAL;
	}
	if (d[0] == '0') {
		if (n < NATIONAL_MIN) {
			*why = "too short for a national number";
			return PHONE_NONE;
		}
		if (n > NATIONAL_MAX) {
			*why = "too many digits for one number";
			return PHONE_NONE;
		}
		if (rules->country) {
			snprintf(out, 32, "+%s%.*s", rules->country, (int)(n - 1), d + 1);
			return PHONE_INTERNATIONAL;
		}
		snprintf(out, 32, "%.*s", (int)n, d);
		return PHONE_NATIONAL;
	}
	/* An extension is written as it is dialled: "333", never "3 33". */
	if (seps || parens)
		return PHONE_NONE;
	if ((int)n < rules->ext_min) {
		*why = "too short for an extension";
		return PHONE_NONE;
	}
	if ((int)n > rules->ext_max) {
		*why = "too long for an extension";
		return PHONE_NONE;
	}
	snprintf(out, 32, "%.*s", (int)n, d);
	return PHONE_EXTENSION;
}

const char *
phone_kind_name(enum phone_kind k)
{
	switch (k) {
	case PHONE_INTERNATIONAL:
		return "international";
	case PHONE_NATIONAL:
		return "national";
	case PHONE_EXTENSION:
		return "extension";
	default:
		return "none";
	}
}

int
phone_lengths(const char *s, int *min, int *max)
{
	char *e;
	long a, b;

	if (!isdigit((unsigned char)*s))
		return -1;
	a = strtol(s, &e, 10);
	b = a;
	if (*e == '-') {
		if (!isdigit((unsigned char)e[1]))
			return -1;
		b = strtol(e + 1, &e, 10);
	}
	if (*e != '\0' || a < 1 || b < a || b > E164_MAX)
		return -1;
	*min = (int)a;
	*max = (int)b;
	return 0;
}
