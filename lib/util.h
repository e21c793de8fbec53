/* util: exit codes, allocation, small string buffers.
 * The bottom layer: everything else may use it, it uses nothing of ours. */
#ifndef GCAL_UTIL_H
#define GCAL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sysexits.h>

/* Exit status, the same in every program (DESIGN.md, sysexits.h), by
 * the rule of gcal(7) EXIT STATUS: EX_TEMPFAIL (75) when running again
 * later can work, EX_NOPERM (77) when a human must link again,
 * EX_UNAVAILABLE (69) when the other side answered something unusable,
 * EX_USAGE/EX_DATAERR/EX_NOINPUT/EX_CONFIG when a human must fix a
 * command, an input or the configuration. Network failures and Google's
 * answers are mapped in one place: http_do and http_answer_exit. */
#define EXIT_PARTIAL 1 /* done, but some records failed */

#define GCAL_VERSION "0.1.0"

/* Set from -v / -q by each program; read by the library. */
extern int verbose;
extern int quiet;

/* Allocation failure is fatal here and nowhere else. Results are the caller's. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated after buf_*(). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hand the contents to the caller (never NULL) and empty the buffer. */
char *buf_take(struct buf *b);

/* Byte strings in order: bytes, then a prefix first (what strcmp gives
 * for strings, and libjq for its object keys). */
int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* one when n is 1, else many: "1 event", "2 events". Static. */
const char *plural(long long n, const char *one, const char *many);

/* Warn unless -q; same format as warnx(3). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The next word of *p, a string split at any byte of sep: skips
 * separators, ends the word with a NUL in place and moves *p past it.
 * NULL when no word is left. Instead of strtok_r (lib/banned.h). */
char *str_word(char **p, const char *sep);

/* Percent-encode s for a URL path segment or query value (RFC 3986
 * unreserved characters stay). The result is the caller's. */
char *url_escape(const char *s);
/* Decode %XX and '+' (form encoding). The result is the caller's. */
char *url_unescape(const char *s, size_t n);

/* Wipe a secret before free(3), so it does not linger in freed memory. */
void free_secret(char *s);

/* Monotonic clock in milliseconds; wall clock in seconds. */
long long now_ms(void);
long long now_s(void);

/* RFC 3339 UTC text of epoch seconds t, in out (at least 21 bytes). */
void time_rfc3339(long long t, char out[32]);

/* Write all of p to fd; -1 with errno on failure. */
int write_all(int fd, const void *p, size_t n);

/* Check and close stdout at exit: a closed pipe ends quietly, other
 * errors are reported and change the status to EX_SOFTWARE (70). */
int finish_stdout(int status);

/* Whether s is one of the strings of v (NULL-terminated). */
int str_in_list(const char *const *v, const char *s);

#endif
