/* state_lock: the lock files that keep two runs of a profile apart.
 * See state_lock.h. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "util.h"

/* Who holds the flock(2) lock on fd, for the message: "gcal-pull, pid
 * 1234" from /proc/locks (Linux; pids as this process's namespace sees
 * them) and /proc/PID/comm, or NULL when that cannot be told. The
 * caller's. */
static char *
lock_holder(int fd)
{
	char line[256], comm[64] = "", *path, *nl;
	unsigned int maj, min;
	unsigned long ino;
	struct stat st;
	FILE *fp;
	long pid = 0;

	if (fstat(fd, &st) == -1 || (fp = fopen("/proc/locks", "r")) == NULL)
		return NULL;
	while (pid == 0 && fgets(line, sizeof(line), fp) != NULL) {
		long p;

		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" */
		if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &p, &maj, &min,
		    &ino) == 4 && ino == (unsigned long)st.st_ino &&
		    maj == major(st.st_dev) && min == minor(st.st_dev))
			pid = p;
	}
	fclose(fp);
	if (pid <= 0)
		return NULL;
	path = xasprintf("/proc/%ld/comm", pid);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(comm, sizeof(comm), fp) && (nl = strchr(comm, '\n')))
			*nl = '\0';
		fclose(fp);
	}
	free(path);
	/* the lock outlives the process that took it when it passed the
	 * file on (flock(1) 9): a pid that is gone names no holder */
	return *comm ? xasprintf("%s, pid %ld", comm, pid) : NULL;
}

int
state_lock_path(const char *path, int timeout, int *status)
{
	const char *env = getenv("GCAL_LOCK_TIMEOUT"), *errstr;
	long long deadline;
	int fd;

	*status = 0;
	if (env && *env) {
		timeout = (int)strtonum(env, 0, 86400, &errstr);
		if (errstr != NULL)
			errx(EX_USAGE, "$GCAL_LOCK_TIMEOUT: '%s' is %s", env, errstr);
	}
	if (state_mkdir_for(path) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		if (errno == ELOOP) {
			warnx("'%s': a symbolic link: refusing to follow it", path);
			*status = EX_CONFIG;
		} else {
			warn("'%s'", path);
			*status = EX_SOFTWARE;
		}
		return -1;
	}
	deadline = now_ms() + (long long)timeout * 1000;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			warn("'%s'", path);
			*status = EX_SOFTWARE;
			break;
		}
		if (now_ms() >= deadline) {
			char *who = lock_holder(fd);

			warnx("'%s' is busy: %s holds it (waited %d s); try again "
			    "later", path, who ? who : "another run", timeout);
			free(who);
			*status = EX_TEMPFAIL;
			break;
		}
		usleep(50 * 1000);
	}
	if (*status == 0)
		return fd;
	close(fd);
	return -1;
}

int
state_lock(const char *profile, const char *name, int timeout, int *status)
{
	char *dir = state_path(STATE_STATE, profile, NULL);
	char *path = xasprintf("%s/%s", dir, name);
	int fd = state_lock_path(path, timeout, status);

	free(path);
	free(dir);
	return fd;
}

void
state_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}
