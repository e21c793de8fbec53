/* Unit tests of lib/stop.c: the points of a run are counted in its trace,
 * across the processes that share it, and the Nth one ends the process
 * that reaches it as kill -9 would. */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stop.h"
#include "util.h"
#include "tap.h"

/* Fork a process that marks n points; its wait status. */
static int
points_in_child(int n)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		while (n-- > 0)
			stop_point(n % 2 ? "state.json" : "batch");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return st;
}

int
main(void)
{
	char dir[] = "/tmp/gcal-unit-stop.XXXXXX", line[64];
	char *trace;
	FILE *fp;
	int st, lines = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	trace = xasprintf("%s/trace", dir);
	setenv("GCAL_STOP_TRACE", trace, 1);
	setenv("GCAL_STOP_AFTER", "3", 1);
	st = points_in_child(2);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a process with 2 points of 3 runs on");
	st = points_in_child(2);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "the next one is killed at its first point, the run's third");
	if ((fp = fopen(trace, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp))
			lines++;
		fclose(fp);
	}
	ok(lines == 3, "the trace holds the 3 points reached (%d)", lines);
	unsetenv("GCAL_STOP_AFTER");
	unlink(trace);
	st = points_in_child(5);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "with only a trace nothing stops");
	setenv("GCAL_STOP_TRACE", "", 1);
	setenv("GCAL_STOP_AFTER", "2", 1);
	st = points_in_child(1);
	ok(WIFEXITED(st), "without a trace each process counts its own: 1 of 2 runs on");
	st = points_in_child(2);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "... and one with 2 stops at its second");
	unlink(trace);
	rmdir(dir);
	free(trace);
	return done_testing();
}
