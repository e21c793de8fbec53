/* stop: a test knob that ends a program at its Nth mutation point. */
#include <sys/types.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stop.h"

static long stop_after = -2; /* -2: not read yet; -1: off */
static long points;
static int trace_fd = -2;

static void
stop_init(void)
{
	const char *s = getenv("GCAL_STOP_AFTER"), *t = getenv("GCAL_STOP_TRACE");
	const char *why = NULL;

	stop_after = -1;
	if (s != NULL && *s != '\0') {
		stop_after = strtonum(s, 1, 1L << 30, &why);
		if (why != NULL) {
			fprintf(stderr, "$GCAL_STOP_AFTER '%s': %s\n", s, why);
			_exit(64);
		}
	}
	trace_fd = -1;
	if (t != NULL && *t != '\0')
		trace_fd = open(t, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

int
stop_armed(void)
{
	if (stop_after == -2)
		stop_init();
	return stop_after > 0 || trace_fd >= 0;
}

/* The lines of the trace up to off: the number of the point just
 * written there, by whichever program of the run wrote the others. */
static long
lines_before(off_t off)
{
	char buf[4096];
	off_t at = 0;
	ssize_t r, i;
	long n = 0;

	while (at < off && (r = pread(trace_fd, buf, (size_t)(off - at) <
	    sizeof(buf) ? (size_t)(off - at) : sizeof(buf), at)) > 0) {
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
		at += r;
	}
	return n;
}

void
stop_point(const char *what)
{
	char line[256];
	off_t end;
	int n;

	if (!stop_armed())
		return;
	points++;
	if (trace_fd >= 0) {
		n = snprintf(line, sizeof(line), "%s %s\n", getprogname(), what);
		if (n >= (int)sizeof(line)) {
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		/* O_APPEND: the offset after our write is our line's end, even
		 * with a child or a parent writing the same file */
		if (n > 0 && write(trace_fd, line, (size_t)n) == n &&
		    (end = lseek(trace_fd, 0, SEEK_CUR)) > 0)
			points = lines_before(end);
	}
	if (stop_after > 0 && points == stop_after)
		raise(SIGKILL);
}
