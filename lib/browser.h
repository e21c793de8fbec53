/* browser: start the user's web browser on an address, without a shell,
 * and learn when it ends (DESIGN.md "Browser"). */
#ifndef GCAL_BROWSER_H
#define GCAL_BROWSER_H

#include <sys/types.h>

/* Start the browser on url without waiting: $BROWSER (the first of a
 * colon-separated list, words split on blanks, "%s" replaced by the URL,
 * else the URL appended), else xdg-open when there is a display. The
 * child reads /dev/null (our stdin is the paste-back) and writes nowhere
 * (our stdout is the data; stderr too unless -v). Its pid and *name (the
 * command, the caller's), or -1 when none was started. */
pid_t browser_open(const char *url, char **name);

/* 1 with *status (waitpid's) when the child pid has ended, else 0. */
int browser_ended(pid_t pid, int *status);

#endif
