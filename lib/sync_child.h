/* sync_child: the programs a sync run starts (gcal-pull, gcal-push, the
 * local side's commands) and the scratch files of sy->run_dir they read
 * and write. */
#ifndef GCAL_SYNC_CHILD_H
#define GCAL_SYNC_CHILD_H

#include <stdio.h>

struct sync;

/* Where gcal-sync's sibling programs are, from argv0 or /proc. */
void sync_find_self(struct sync *sy, const char *argv0);
/* Make sy->run_dir afresh (DIR/run; a killed run's files go). Fatal. */
void sync_run_dir_make(struct sync *sy);
/* Remove sy->run_dir, when there is one. */
void sync_run_dir_remove(struct sync *sy);
/* A file of the run directory; the caller frees. */
char *sync_run_path(struct sync *sy, const char *name);
/* A new file (0600) for writing, and its end: fatal on errors. */
FILE *sync_create(const char *path);
void sync_finish(FILE *fp, const char *path);
/* Run argv (argv[0] one of our programs, found beside gcal-sync first,
 * or "/bin/sh") with stdin and stdout from files (NULL: /dev/null, or
 * ours for stdout). Its exit status, or 128 + signal. The stop knob is
 * not passed on: stop points count in the process that marks them. */
int sync_child_run(struct sync *sy, char *const argv[], const char *in,
    const char *out);
/* The same for a shell command. */
int sync_child_shell(struct sync *sy, const char *cmd, const char *in,
    const char *out);

#endif
