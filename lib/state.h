/* state: our files: where they lie, written atomically, of which format.
 *
 * The lock files are state_lock.h's. Layout (DESIGN.md "Files"):
 *   $XDG_CONFIG_HOME/gcal/client_secret.json   the OAuth client (0600)
 *   $XDG_CONFIG_HOME/gcal/PROFILE/profile.json  account, scopes, calendar
 *   $XDG_STATE_HOME/gcal/PROFILE/token.json     tokens (0600)
 *   $XDG_STATE_HOME/gcal/PROFILE/lock           held for a whole run
 *   $XDG_STATE_HOME/gcal/PROFILE/token.lock     held around a refresh
 * Directories are 0700, files 0600, written as FILE.new + fsync + rename;
 * each JSON file of ours carries its format version (enum state_kind). */
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

/* The kinds of JSON state file, each with its format version (the
 * table in state.c, and gcal(7) FILES). A file of a kind carries
 * "version": N; one without it is version 1 (written before gcal had
 * versions: the same format). A kind whose format changes gets a
 * higher number there, and its reader migrates the older ones, which
 * it tells by json_num(v, "version", 1). A new kind: a name here, a
 * row in the table, a line in gcal(7) FILES. */
enum state_kind {
	STATE_FOREIGN,  /* not ours to version: Google's client_secret.json,
	                 * a service account's key */
	STATE_PROFILE,  /* CONFIG/PROFILE/profile.json */
	STATE_TOKEN,    /* STATE/PROFILE/token.json */
	STATE_MIRROR,   /* STATE/PROFILE/sync/CAL/state.json, and the
	                 * mirror.N and delta.N files it names */
	STATE_FORWARD,  /* forward-apply's state (STATE/PROFILE/forward/EXT.json
	                 * or --state FILE) */
	STATE_CHANNEL,  /* STATE/PROFILE/channel.json (gcal-watch) */
	STATE_RECEIVER, /* PUSH/channels/ID, and its ID.seen */
	STATE_SYNC,     /* gcal-sync's --state DIR/state.json, and the
	                 * base.ndjson and journal.ndjson beside it */
	STATE_RUN,      /* STATE/PROFILE/run.json (gcal-run's last run) */
	STATE_KINDS
};

/* The kind of a file by where it lies in our directories (the patterns
 * of the table), else STATE_FOREIGN. state_read_json and
 * state_write_json go by it; a file elsewhere (--state FILE,
 * $GCAL_PUSH_DIR) is read and written with its kind said. */
enum state_kind state_kind_of(const char *path);
/* The format version this gcal writes for kind (0 for STATE_FOREIGN). */
int state_kind_version(enum state_kind kind);

/* Atomically replace path with data: PATH.new (0600) + fsync + rename +
 * fsync of the directory, creating the directory. 0 or -1 with errno;
 * on failure path is untouched and no .new file is left. Each replace
 * is a mutation point (stop.h). */
int state_write(const char *path, const void *data, size_t n);
/* The same for one JSON value (compact, sorted keys, newline); consumes
 * v. An object of a kind gets the kind's "version". */
int state_write_kind(const char *path, enum state_kind kind, jv v);
/* state_write_kind(path, state_kind_of(path), v). */
int state_write_json(const char *path, jv v);
/* Read a JSON object file of ours, never through a symbolic link. A
 * file readable by group or others is made 0600 with a warning.
 * Invalid with errno ENOENT when missing, else with a message for
 * state_error: EINVAL when not JSON, not an object or its "version" is
 * not a format version; ENOTSUP when the version is newer than this
 * gcal knows ("format version 3 is newer than this gcal knows (2);
 * upgrade gcal": never to be taken for damage, nor overwritten). */
jv state_read_kind(const char *path, enum state_kind kind);
/* state_read_kind(path, state_kind_of(path)). */
jv state_read_json(const char *path);
/* "'PATH' line N: WHY" or "'PATH': WHY" for what state_read_json
 * returned invalid (consumed); never quotes the file. The caller's. */
char *state_error(const char *path, jv v);
/* Remove path; a missing file is not an error. 0 or -1 with errno.
 * Removing a file is a mutation point (stop.h). */
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
