/* sync_child: the programs a sync run starts (see sync_child.h). */
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "state.h"
#include "sync.h"
#include "sync_child.h"
#include "util.h"

char *
sync_run_path(struct sync *sy, const char *name)
{
	return xasprintf("%s/%s", sy->run_dir, name);
}

FILE *
sync_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	FILE *fp;

	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL)
		err(EX_CANTCREAT, "'%s'", path);
	return fp;
}

void
sync_finish(FILE *fp, const char *path)
{
	if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF)
		err(EX_IOERR, "'%s'", path);
}

int
sync_child_run(struct sync *sy, char *const argv[], const char *in,
    const char *out)
{
	pid_t pid;
	int status, fd;
	char *path;

	fflush(stdout);
	if ((pid = fork()) == -1)
		err(EX_OSERR, "fork");
	if (pid == 0) {
		/* the children have stop points of their own, counted in
		 * their own processes: $GCAL_STOP_AFTER is gcal-sync's */
		unsetenv("GCAL_STOP_AFTER");
		unsetenv("GCAL_STOP_TRACE");
		fd = open(in ? in : "/dev/null", O_RDONLY);
		if (fd == -1 || dup2(fd, 0) == -1)
			err(EX_OSERR, "'%s'", in ? in : "/dev/null");
		if (out) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd == -1 || dup2(fd, 1) == -1)
				err(EX_OSERR, "'%s'", out);
		}
		if (argv[0][0] != '/' && sy->self_dir) {
			path = xasprintf("%s/%s", sy->self_dir, argv[0]);
			if (access(path, X_OK) == 0)
				execv(path, argv);
			free(path);
		}
		execvp(argv[0], argv);
		warn("'%s'", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(EX_OSERR, "waitpid");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int
sync_child_shell(struct sync *sy, const char *cmd, const char *in,
    const char *out)
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};

	return sync_child_run(sy, argv, in, out);
}

void
sync_find_self(struct sync *sy, const char *argv0)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
	} else if (strchr(argv0, '/') && strlen(argv0) < sizeof(buf)) {
		strlcpy(buf, argv0, sizeof(buf));
	} else
		return;
	if ((slash = strrchr(buf, '/')) != NULL) {
		*slash = '\0';
		sy->self_dir = xstrdup(buf);
	}
}

void
sync_run_dir_make(struct sync *sy)
{
	char *t = xasprintf("%s/run", sy->dir);

	state_remove_tree(t, NULL);
	if (state_mkdir(t) == -1)
		err(EX_CANTCREAT, "'%s'", t);
	sy->run_dir = t;
}

void
sync_run_dir_remove(struct sync *sy)
{
	if (sy->run_dir)
		state_remove_tree(sy->run_dir, NULL);
}
