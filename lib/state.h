/* state: XDG directories, profiles, atomic 0600 files, per-profile locks.
 *
 * Layout (DESIGN.md "Files"):
 *   $XDG_CONFIG_HOME/gcal/client_secret.json   the OAuth client (0600)
 *   $XDG_CONFIG_HOME/gcal/PROFILE/profile.json  account, scopes, calendar
 *   $XDG_STATE_HOME/gcal/PROFILE/token.json     tokens (0600)
 *   $XDG_STATE_HOME/gcal/PROFILE/lock           held for a whole run
 *   $XDG_STATE_HOME/gcal/PROFILE/token.lock     held around a refresh
 * Directories are 0700, files 0600, written as FILE.new + fsync + rename. */
#ifndef GCAL_STATE_H
#define GCAL_STATE_H

#include <stddef.h>
#include <jv.h>

#include "state_lock.h"

enum state_area {
	STATE_CONFIG, /* $XDG_CONFIG_HOME/gcal */
	STATE_STATE   /* $XDG_STATE_HOME/gcal */
};

/* The profile for this run: -p, else $GCAL_PROFILE, else "default".
 * A bad name exits EX_USAGE. */
void state_set_profile(const char *name);
const char *state_profile(void);
/* 1 if name is a usable profile name. */
int state_valid_profile(const char *name);

/* Path of NAME in the profile's directory of area (NAME may be NULL for
 * the directory itself; profile NULL for the top gcal directory). The
 * result is the caller's. */
char *state_path(enum state_area area, const char *profile, const char *name);

/* Create dir and its parents; ours are 0700 (one that others can read
 * is tightened, with a warning). A directory of ours owned by another
 * user or writable by others exits EX_CONFIG (see check_dirs). 0 or -1
 * with errno. */
int state_mkdir(const char *dir);

/* Create the directory that is to hold path (as state_mkdir). */
int state_mkdir_for(const char *path);

/* Atomically replace path with data: PATH.new (0600) + fsync + rename +
 * fsync of the directory, creating the directory. 0 or -1 with errno;
 * on failure path is untouched and no .new file is left. */
int state_write(const char *path, const void *data, size_t n);
/* The same for one JSON value (compact, sorted keys, newline); consumes v. */
int state_write_json(const char *path, jv v);
/* Read a JSON object file of ours, never through a symbolic link. A
 * file readable by group or others is made 0600 with a warning.
 * Invalid with errno ENOENT when missing, else with a message for
 * state_error (EINVAL: not JSON or not an object). */
jv state_read_json(const char *path);
/* "'PATH' line N: WHY" or "'PATH': WHY" for what state_read_json
 * returned invalid (consumed); never quotes the file. The caller's. */
char *state_error(const char *path, jv v);
/* Remove path; a missing file is not an error. 0 or -1 with errno. */
int state_remove(const char *path);
/* Remove a directory and everything in it, but for its entry named keep
 * (then the directory stays too; keep may be NULL). */
int state_remove_tree(const char *dir, const char *keep);

/* The profile's profile.json (an object), or invalid with errno ENOENT
 * when the profile does not exist, another errno when it is damaged. */
jv state_profile_read(const char *profile);
/* The same for a profile that must exist: 0 and *prof (the caller's), or
 * EX_CONFIG with "no such profile", or the damaged file and its line,
 * said (and *prof invalid). */
int state_profile_load(const char *profile, jv *prof);
/* Replace profile.json atomically; consumes v. 0 or -1 with errno. */
int state_profile_write(const char *profile, jv v);

/* Names of all profiles (directories holding profile.json), sorted,
 * NULL-terminated; the caller frees with state_free_list. */
char **state_profiles(void);
void state_free_list(char **list);

#endif
