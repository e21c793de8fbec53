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

/* The digits of a title, and how they were written. */
struct digits {
	char d[64];
	size_t n;
	size_t area_at, area_len; /* the digits in parentheses */
	int plus, seps, parens;
};

/* The title without blanks around it: *endp is its end. NULL when
 * nothing is left. */
static const unsigned char *
trimmed(const char *str, const unsigned char **endp)
{
	const unsigned char *s = (const unsigned char *)str, *end;
	size_t k;

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
	*endp = end;
	return s == end ? NULL : s;
}

/* Read [s, end) as digits with at most one leading "+", one pair of
 * parentheses around a leading group and single separators between
 * groups. 0, or -1 with *why. */
static int
scan(const unsigned char *s, const unsigned char *end, struct digits *g,
    const char **why)
{
	int paren = 0, prev_sep = 0;
	size_t k;

	*why = "not a single number";
	if (*s == '+') {
		g->plus = 1;
		s++;
	}
	while (s < end) {
		if (isdigit(*s)) {
			if (g->n + 1 >= sizeof(g->d)) {
				*why = "too many digits for one number";
				return -1;
			}
			g->d[g->n++] = (char)*s++;
			prev_sep = 0;
		} else if (*s == '(') {
			/* one pair, around a leading group: "(020)", "+31 (0)6" */
			if (paren || g->parens || s + 1 >= end)
				return -1;
			paren = 1;
			g->area_at = g->n;
			s++;
			prev_sep = 0;
		} else if (*s == ')') {
			if (!paren || g->n == g->area_at || g->n - g->area_at > AREA_MAX)
				return -1;
			paren = 0;
			g->parens = 1;
			g->area_len = g->n - g->area_at;
			s++;
		} else if ((k = separator(s)) > 0) {
			/* never right after "+" or "(", nor inside the parentheses */
			if (paren || (g->n == 0 && !g->parens) || s + k >= end)
				return -1;
			if (!prev_sep)
				g->seps++;
			prev_sep = 1;
			s += k;
		} else
			return -1;
	}
	/* nothing after the area code is not a number either */
	if (paren || g->n == 0 || (g->parens && g->area_at + g->area_len == g->n))
		return -1;
	return 0;
}

/* "+" or "00" and the country code: E.164. */
static enum phone_kind
international(struct digits *g, char out[32], const char **why)
{
	size_t skip = g->plus ? 0 : 2;

	/* "+31 (0)6 ...": the national trunk prefix, written for callers
	 * inside the country, is not dialled from outside */
	if (g->parens && g->area_len == 1 && g->d[g->area_at] == '0' &&
	    g->area_at > skip) {
		memmove(g->d + g->area_at, g->d + g->area_at + 1,
		    g->n - g->area_at - 1);
		g->n--;
	}
	if (g->d[skip] == '0') {
		*why = "no country code after the international prefix";
		return PHONE_NONE;
	}
	if (g->n - skip < INTL_MIN) {
		*why = "too short for an international number";
		return PHONE_NONE;
	}
	if (g->n - skip > E164_MAX) {
		*why = "too many digits for one number";
		return PHONE_NONE;
	}
	snprintf(out, 32, "+%.*s", (int)(g->n - skip), g->d + skip);
	return PHONE_INTERNATIONAL;
}

/* A national number (a leading "0") or an extension. */
static enum phone_kind
domestic(const struct digits *g, const struct phone_rules *rules,
    char out[32], const char **why)
{
	int n = (int)g->n;

	if (g->d[0] == '0') {
		if (n < NATIONAL_MIN) {
			*why = "too short for a national number";
			return PHONE_NONE;
		}
		if (n > NATIONAL_MAX) {
			*why = "too many digits for one number";
			return PHONE_NONE;
		}
		if (rules->country) {
			snprintf(out, 32, "+%s%.*s", rules->country, n - 1, g->d + 1);
			return PHONE_INTERNATIONAL;
		}
		snprintf(out, 32, "%.*s", n, g->d);
		return PHONE_NATIONAL;
	}
	/* An extension is written as it is dialled: "333", never "3 33". */
	if (g->seps || g->parens)
		return PHONE_NONE;
	if (n < rules->ext_min) {
		*why = "too short for an extension";
		return PHONE_NONE;
	}
	if (n > rules->ext_max) {
		*why = "too long for an extension";
		return PHONE_NONE;
	}
	snprintf(out, 32, "%.*s", n, g->d);
	return PHONE_EXTENSION;
}

enum phone_kind
phone_parse(const char *str, const struct phone_rules *rules, char out[32],
    const char **why)
{
	const unsigned char *s, *end;
	struct digits g = {0};
	const char *p;
	int any_digit = 0;

	out[0] = '\0';
	if ((s = trimmed(str, &end)) == NULL) {
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
	if (scan(s, end, &g, why) == -1)
		return PHONE_NONE;
	if (g.plus || (g.n >= 2 && g.d[0] == '0' && g.d[1] == '0'))
		return international(&g, out, why);
	return domestic(&g, rules, out, why);
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
