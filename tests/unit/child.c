/* Unit tests of lib/child.c: a command's status, one that cannot start,
 * and one stopped at its deadline. */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "util.h"
#include "tap.h"

extern char **environ;

static int
run(const char *cmd, long timeout, int *status)
{
	struct child_strv argv = {0};
	int rc;

	child_strv_add(&argv, "sh", 0);
	child_strv_add(&argv, "-c", 0);
	child_strv_add(&argv, xstrdup(cmd), 1);
	rc = child_run(argv.v, environ, timeout, status);
	child_strv_free(&argv);
	return rc;
}

int
main(void)
{
	char *none[] = {"/nonexistent/gcal-no-such-command", NULL};
	long long t;
	int st = -1, rc;

	ok(run("exit 0", 10, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a command that exits 0");
	ok(run("exit 3", 10, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	    "its exit status is the caller's to judge");
	ok(run("test ! -t 0 && read x; test -z \"$x\"", 10, &st) == 0 &&
	    WEXITSTATUS(st) == 0, "its stdin is /dev/null");
	ok(run("kill -9 $$", 10, &st) == 0 && WIFSIGNALED(st) && WTERMSIG(st) == 9,
	    "a command killed by a signal says which");
	rc = child_run(none, environ, 10, &st);
	ok(rc == ENOENT, "a command that is not there: its errno (%d)", rc);
	t = now_ms();
	rc = run("sleep 30", 1, &st);
	t = now_ms() - t;
	ok(rc == -1, "a command past its deadline is stopped");
	ok(t < 5000, "... soon after it (%lld ms)", t);
	t = now_ms();
	rc = run("trap '' TERM; sleep 30", 1, &st);
	t = now_ms() - t;
	ok(rc == -1 && t < 6000, "one that ignores SIGTERM gets SIGKILL after the grace (%lld ms)", t);
	return done_testing();
}
