/* child: run a command in a process group of its own, with a deadline.
 * See child.h. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "util.h"

void
child_strv_add(struct child_strv *s, char *str, int own)
{
	s->v = xreallocarray(s->v, s->n + 2, sizeof(*s->v));
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	if (own) {
		s->owned = xreallocarray(s->owned, s->nowned + 1, sizeof(*s->owned));
		s->owned[s->nowned++] = str;
	}
}

void
child_strv_free(struct child_strv *s)
{
	size_t i;

	for (i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	free(s->v);
}

/* Wait at most timeout seconds: a hung command must not hold a lock
 * (and every later cron run) for ever. Past the time its whole process
 * group gets SIGTERM, and SIGKILL once the command has gone or a grace
 * period later, as timeout(1) --kill-after does: a child the command
 * left behind must not act later (forward-apply: apply the old forward
 * while the state says the new one). The command is reaped only after
 * the group's SIGKILL, so its id (the group's) cannot have been reused.
 * 0 with *status, or -1 when it was stopped. */
#define EXEC_GRACE_MS 2000

static int
wait_group(pid_t pid, long timeout, int *status)
{
	long long deadline = now_ms() + timeout * 1000;
	useconds_t nap = 1000;
	int stopping = 0;
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1 &&
		    errno != EINTR)
			return -1;
		if (si.si_pid == pid && !stopping)
			break;
		if (stopping && (si.si_pid == pid || now_ms() >= deadline)) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, status, 0) == -1 && errno == EINTR)
				;
			return -1;
		}
		if (!stopping && now_ms() >= deadline) {
			kill(-pid, SIGTERM);
			deadline = now_ms() + EXEC_GRACE_MS;
			stopping = 1;
		}
		usleep(nap);
		if (nap < 50000)
			nap *= 2; /* a quick command is seen at once */
	}
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Start argv in a process group of its own (to be stopped whole:
 * wait_group), stdin from /dev/null and stdout to our stderr (stdout
 * carries only records). 0 or an errno. */
static int
spawn_exec(char *const *argv, char *const *envp, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawnattr_init(&sa);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&sa, 0);
	fflush(stdout);
	rc = posix_spawnp(pid, argv[0], &fa, &sa, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	return rc;
}

int
child_run(char *const *argv, char *const *envp, long timeout, int *status)
{
	pid_t pid;
	int rc;

	if ((rc = spawn_exec(argv, envp, &pid)) != 0)
		return rc;
	return wait_group(pid, timeout, status);
}
