/* mirror_impl: what lib/mirror.c (the files, read and built) and
 * lib/mirror_delta.c (changes applied as a delta) share; no other module
 * includes it. */
#ifndef GCAL_MIRROR_IMPL_H
#define GCAL_MIRROR_IMPL_H

#include <stddef.h>
#include <stdio.h>

#include <jv.h>

struct mirror {
	char *dir;
	char *state_file;
	char *calendar;
	int expand;
	jv state; /* object; empty before the first pull */
};

/* A line of the delta file: an event that changed since the mirror file
 * was written, or a deletion (json NULL). */
struct delta_line {
	char *id;
	char *json;
	size_t len;
};

struct mirror_reader {
	struct line_reader *fp; /* the mirror file, or NULL: none */
	char *path;
	/* the delta, merged over the mirror file as it is read */
	struct delta_line *j;
	size_t nj;
	size_t ji;
	int have_base; /* a mirror file line is waiting in line */
	const char *bid, *bjs;
	size_t bil, bjl;
};

/* A reader of the mirror file at path (NULL, or missing: an empty one). */
struct mirror_reader *mirror_reader_open(const char *path);
/* The next line of the mirror file itself (no delta over it), as
 * mirror_next gives it: 1, 0 at the end, -1 (message printed). */
int mirror_base_next(struct mirror_reader *r, const char **id,
    size_t *idlen, const char **json, size_t *jsonlen);
/* The delta file the state names, or NULL; borrowed from m's state. */
const char *mirror_delta_name(const struct mirror *m);
/* The delta named by the state, sorted by id as written: 0 and *v (the
 * caller's, freed with mirror_delta_free), or -1 (message printed). */
int mirror_delta_load(const struct mirror *m, struct delta_line **v,
    size_t *n);
void mirror_delta_free(struct delta_line *v, size_t n);
/* A new file at path, 0600, never one planted under its name; NULL with
 * errno. */
FILE *mirror_create_0600(const char *path);
/* Flush, fsync and close fp: 0, or -1 (message printed). */
int mirror_close_out(FILE *fp, const char *path);
/* Replace state.json atomically: 0, or -1 (message printed). */
int mirror_write_state(struct mirror *m, const char *name, const char *delta,
    size_t events, const char *sync_token, const char *time_zone);
/* Remove the mirror and delta files not in keep (NULL-terminated). */
void mirror_remove_strays(struct mirror *m, const char *const *keep);

#endif
