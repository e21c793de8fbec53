#include <sys/wait.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>

#include "browser.h"
#include "util.h"

extern char **environ;

/* Split s in place on blanks into *argv (grown), leaving room for the
 * URL and the NULL; "%s" becomes url. Returns 1 when url was placed. */
static int
split_words(char *s, const char *url, char ***argv, size_t *argc)
{
	int placed = 0;
	size_t n;

	while (*(s += strspn(s, " \t")) != '\0') {
		n = strcspn(s, " \t");
		*argv = xreallocarray(*argv, *argc + 3, sizeof(**argv));
		if (s[n] != '\0')
			s[n++] = '\0';
		if (strcmp(s, "%s") == 0) {
			(*argv)[(*argc)++] = (char *)url;
			placed = 1;
		} else
			(*argv)[(*argc)++] = s;
		s += n;
	}
	return placed;
}

pid_t
browser_open(const char *url, char **name)
{
	const char *env = getenv("BROWSER");
	char *copy = NULL, **argv = NULL;
	size_t argc = 0;
	int url_placed = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;

	if (env && *env) {
		/* like xdg-utils: the first of a colon-separated list */
		copy = xstrndup(env, strcspn(env, ":"));
		url_placed = split_words(copy, url, &argv, &argc);
	} else if (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY")) {
		argv = xreallocarray(argv, 3, sizeof(*argv));
		argv[argc++] = "xdg-open";
	}
	if (argc == 0)
		goto out;
	if (!url_placed)
		argv[argc++] = (char *)url;
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!verbose)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		note("cannot start the browser '%s'", argv[0]);
		pid = -1;
	} else
		*name = xstrdup(argv[0]);
	posix_spawn_file_actions_destroy(&fa);
out:
	free(argv);
	free(copy);
	return pid;
}

int
browser_ended(pid_t pid, int *status)
{
	return pid > 0 && waitpid(pid, status, WNOHANG) == pid;
}
