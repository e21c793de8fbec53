/* tap.h: the smallest TAP producer, for the C unit tests of lib/. */
#ifndef GCAL_TAP_H
#define GCAL_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* cond is evaluated once: it may read input */
#define ok(cond, ...) do { \
	int c_ = (cond) ? 1 : 0; \
	tap_n++; \
	if (c_) { printf("ok %d - ", tap_n); } \
	else { tap_failed++; printf("not ok %d - ", tap_n); } \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!c_) printf("#   at %s line %d\n", __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int s_ = g_ && w_ && strcmp(g_, w_) == 0; \
	ok(s_, __VA_ARGS__); \
	if (!s_) \
		printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
