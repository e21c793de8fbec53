/* child: run a command in a process group of its own, with a deadline.
 * forward-apply(1)'s --exec backend; the argv and environment it is
 * given are built in a child_strv. */
#ifndef GCAL_CHILD_H
#define GCAL_CHILD_H

#include <stddef.h>

/* A NULL-terminated string vector being built: the strings added with
 * own set are freed with it, the borrowed ones are not. */
struct child_strv {
	char **v;
	size_t n;
	char **owned;
	size_t nowned;
};
void child_strv_add(struct child_strv *s, char *str, int own);
void child_strv_free(struct child_strv *s);

/* Run argv[0] (searched in $PATH) with argv and envp, stdin from
 * /dev/null and stdout to our stderr (our stdout carries records), in a
 * process group of its own, and wait at most timeout seconds. Past it
 * the group gets SIGTERM, then SIGKILL (see child.c). 0 with *status
 * (waitpid's), -1 when it was stopped, or an errno when it could not be
 * started. */
int child_run(char *const *argv, char *const *envp, long timeout,
    int *status);

#endif
