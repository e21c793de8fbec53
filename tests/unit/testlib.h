/* testlib.h: a scratch directory and files in it, for the C unit tests. */
#ifndef GCAL_TESTLIB_H
#define GCAL_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "state.h"
#include "util.h"

static char test_dir[64];

/* Make /tmp/gcal-WHO.XXXXXX, the directory write_tmp writes in; exits 2
 * when it cannot. */
static __attribute__((unused)) void
test_dir_make(const char *who)
{
	snprintf(test_dir, sizeof test_dir, "/tmp/gcal-%s.XXXXXX", who);
	if (mkdtemp(test_dir) == NULL) {
		perror(test_dir);
		exit(2);
	}
}

static __attribute__((unused)) void
test_dir_remove(void)
{
	state_remove_tree(test_dir, NULL);
}

/* Write text to NAME in the scratch directory; its path (the caller's). */
static __attribute__((unused)) char *
write_tmp(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", test_dir, name);
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

#endif
