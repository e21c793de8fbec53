#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "sort.h"
#include "state.h"
#include "stop.h"
#include "util.h"

static char *profile_name;

/* The format versions (state.h, gcal(7) FILES). where: the kind's place
 * below the area's gcal directory, for state_kind_of; NULL for a kind
 * that lies where the user says. */
static const struct {
	enum state_area area;
	const char *where;
	int version;
} kinds[STATE_KINDS] = {
	[STATE_FOREIGN] = {STATE_CONFIG, NULL, 0},
	[STATE_PROFILE] = {STATE_CONFIG, "*/profile.json", 1},
	[STATE_TOKEN] = {STATE_STATE, "*/token.json", 1},
	[STATE_MIRROR] = {STATE_STATE, "*/sync/*/state.json", 1},
	[STATE_FORWARD] = {STATE_STATE, "*/forward/*.json", 1},
	[STATE_CHANNEL] = {STATE_STATE, "*/channel.json", 1},
	[STATE_RECEIVER] = {STATE_STATE, NULL, 1},
	[STATE_SYNC] = {STATE_STATE, NULL, 1},
	[STATE_RUN] = {STATE_STATE, "*/run.json", 1},
};

int
state_valid_profile(const char *name)
{
	const char *p;

	if (name[0] == '\0' || name[0] == '.' || name[0] == '-' ||
	    strlen(name) > 64)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._-@+", *p)))
			return 0;
	return 1;
}

void
state_set_profile(const char *name)
{
	if (!state_valid_profile(name))
		errx(EX_USAGE, "'%s': bad profile name (letters, digits, "
		    "'.', '_', '-', '@', '+'; at most 64)", name);
	free(profile_name);
	profile_name = xstrdup(name);
}

const char *
state_profile(void)
{
	const char *env;

	if (profile_name == NULL) {
		env = getenv("GCAL_PROFILE");
		state_set_profile(env && *env ? env : "default");
	}
	return profile_name;
}

/* The area's gcal directory, or NULL when neither its XDG variable nor
 * $HOME says where it is (a CGI program's environment has neither). */
static char *
area_dir_or_null(enum state_area area)
{
	const char *xdg, *home;

	xdg = getenv(area == STATE_CONFIG ? "XDG_CONFIG_HOME" : "XDG_STATE_HOME");
	/* The XDG spec says relative paths are invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/gcal", xdg);
	if ((home = getenv("HOME")) == NULL || home[0] == '\0')
		return NULL;
	return xasprintf("%s/%s/gcal", home,
	    area == STATE_CONFIG ? ".config" : ".local/state");
}

static char *
area_dir(enum state_area area)
{
	char *dir = area_dir_or_null(area);

	if (dir == NULL)
		errx(EX_CONFIG, "neither $%s nor $HOME is set",
		    area == STATE_CONFIG ? "XDG_CONFIG_HOME" : "XDG_STATE_HOME");
	return dir;
}

enum state_kind
state_kind_of(const char *path)
{
	char *top[2] = {NULL, NULL};
	const char *rel;
	size_t n;
	int k, a;

	for (k = 0; k < STATE_KINDS; k++) {
		if (kinds[k].where == NULL)
			continue;
		a = kinds[k].area == STATE_CONFIG ? 0 : 1;
		if (top[a] == NULL && (top[a] = area_dir_or_null(kinds[k].area)) == NULL)
			continue;
		n = strlen(top[a]);
		if (strncmp(path, top[a], n) != 0 || path[n] != '/')
			continue;
		rel = path + n + 1;
		if (fnmatch(kinds[k].where, rel, FNM_PATHNAME | FNM_PERIOD) == 0)
			break;
	}
	free(top[0]);
	free(top[1]);
	return k < STATE_KINDS ? (enum state_kind)k : STATE_FOREIGN;
}

int
state_kind_version(enum state_kind kind)
{
	return kind > STATE_FOREIGN && kind < STATE_KINDS ? kinds[kind].version : 0;
}

char *
state_path(enum state_area area, const char *profile, const char *name)
{
	char *dir = area_dir(area), *p;

	if (profile && name)
		p = xasprintf("%s/%s/%s", dir, profile, name);
	else if (profile)
		p = xasprintf("%s/%s", dir, profile);
	else if (name)
		p = xasprintf("%s/%s", dir, name);
	else
		return dir;
	free(dir);
	return p;
}

/* Is dir our gcal directory or below it? */
static int
is_ours(const char *dir)
{
	const char *p;

	for (p = strstr(dir, "/gcal"); p; p = strstr(p + 1, "/gcal"))
		if (p[5] == '\0' || p[5] == '/')
			return 1;
	return 0;
}

/* The top of the area dir lies in (its gcal directory), or NULL. An
 * area that is not defined holds nothing: a file given by its full path
 * (GCAL_PUSH_DIR in a CGI program's environment, with no $HOME) is not
 * refused for that. */
static char *
area_top(const char *dir)
{
	char *top;
	size_t n;
	int i;

	for (i = 0; i < 2; i++) {
		top = area_dir_or_null(i == 0 ? STATE_CONFIG : STATE_STATE);
		if (top == NULL)
			continue;
		n = strlen(top);
		if (strncmp(dir, top, n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
			return top;
		free(top);
	}
	return NULL;
}

/* ssh's rule for its own files (StrictModes): a directory that holds
 * secrets belongs to the user and nobody else can write to it, or a
 * local user could swap the files in it. From dir up to the area's gcal
 * directory: another owner, or a group- or world-writable mode, is
 * refused (EX_CONFIG); one that others can only read is made 0700. */
static void
check_dirs(const char *dir)
{
	char *top = area_top(dir), *d, *slash;
	struct stat st;

	if (top == NULL)
		return;
	d = xstrdup(dir);
	for (;;) {
		if (stat(d, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (st.st_uid != geteuid())
				errx(EX_CONFIG, "'%s': owned by another user (uid %lu): "
				    "refusing to keep secrets there", d,
				    (unsigned long)st.st_uid);
			if ((st.st_mode & 022) != 0)
				errx(EX_CONFIG, "'%s': writable by others (mode %03o): "
				    "refusing to keep secrets there (chmod 700 it)", d,
				    (unsigned)(st.st_mode & 0777));
			if ((st.st_mode & 077) != 0) {
				note("'%s': was readable by others, made 0700", d);
				chmod(d, 0700);
			}
		}
		if (strcmp(d, top) == 0 || (slash = strrchr(d, '/')) == NULL ||
		    slash == d)
			break;
		*slash = '\0';
	}
	free(d);
	free(top);
}

int
state_mkdir(const char *dir)
{
	struct stat st;
	char *copy, *slash;
	int rc = 0;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		check_dirs(dir);
		return 0;
	}
	copy = xstrdup(dir);
	/* Parents above our own gcal directories keep the usual umask;
	 * ours (gcal and below) are 0700 from the start. */
	for (slash = strchr(copy + 1, '/'); rc == 0; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(copy, is_ours(copy) || slash == NULL ? 0700 : 0755) == -1 &&
		    errno != EEXIST)
			rc = -1;
		if (slash == NULL)
			break;
		*slash = '/';
	}
	free(copy);
	if (rc == 0)
		check_dirs(dir);
	return rc;
}

/* The file name of path, for the stop trace. */
static const char *
leaf(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
state_mkdir_for(const char *path)
{
	char *dir = dir_of(path);
	int rc = state_mkdir(dir), saved = errno;

	free(dir);
	errno = saved;
	return rc;
}

int
state_write(const char *path, const void *data, size_t n)
{
	char *tmp = xasprintf("%s.new", path), *dir = dir_of(path);
	int fd, dfd, saved;

	if (state_mkdir(dir) == -1)
		goto fail_nofile;
	/* O_EXCL|0600: never readable by others, not even for a moment, and
	 * never through a link planted under the name. A stale .new from a
	 * killed run is ours to replace. */
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail_nofile;
	if (write_all(fd, data, n) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1)
		goto fail;
	if (rename(tmp, path) == -1)
		goto fail;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	free(tmp);
	free(dir);
	stop_point(leaf(path));
	return 0;
fail:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail_nofile:
	saved = errno;
	free(tmp);
	free(dir);
	errno = saved;
	return -1;
}

int
state_write_json(const char *path, jv v)
{
	return state_write_kind(path, state_kind_of(path), v);
}

int
state_write_kind(const char *path, enum state_kind kind, jv v)
{
	char *s;
	size_t n;
	int rc, saved;
	struct buf b = {0};

	if (state_kind_version(kind) > 0 && jv_get_kind(v) == JV_KIND_OBJECT)
		v = jv_object_set(v, jv_string("version"),
		    jv_number(state_kind_version(kind)));
	s = json_dump(v);
	n = strlen(s);
	buf_add(&b, s, n);
	buf_addc(&b, '\n');
	rc = state_write(path, b.data, b.len);
	saved = errno;
	explicit_bzero(s, n);
	explicit_bzero(b.data, b.len);
	free(s);
	buf_free(&b);
	errno = saved;
	return rc;
}

/* A file's "version" against what this gcal knows of its kind (see
 * state.h); consumes v. */
static jv
check_version(jv v, enum state_kind kind)
{
	jv ver;
	double d;
	int known = state_kind_version(kind);

	if (!jv_is_valid(v) || known == 0)
		return v;
	ver = json_get(v, "version");
	if (jv_get_kind(ver) == JV_KIND_NULL)
		return v; /* version 1, from before versions */
	d = jv_get_kind(ver) == JV_KIND_NUMBER ? jv_number_value(ver) : 0;
	jv_free(ver);
	if (d >= 1 && d <= known && d == (double)(int)d)
		return v;
	jv_free(v);
	if (d < 1 || d > 1e6 || d != (double)(int)d) {
		errno = EINVAL;
		return jv_invalid_with_msg(jv_string("\"version\" is not a format "
		    "version (a whole number from 1)"));
	}
	errno = ENOTSUP;
	return jv_invalid_with_msg(jv_string_fmt("format version %d is newer "
	    "than this gcal knows (%d); upgrade gcal", (int)d, known));
}

jv
state_read_json(const char *path)
{
	return state_read_kind(path, state_kind_of(path));
}

jv
state_read_kind(const char *path, enum state_kind kind)
{
	struct stat st;
	char *dir = dir_of(path);
	const char *why = NULL, *jkind;
	int fd, saved;
	jv v;

	check_dirs(dir);
	free(dir);
	/* never through a planted link: not to read it, not to chmod its
	 * target */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		saved = errno;
		v = jv_invalid_with_msg(jv_string(saved == ELOOP ?
		    "a symbolic link (not followed)" : strerror(saved)));
		errno = saved;
		return v;
	}
	if (fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != geteuid())
		why = "owned by another user";
	if (why) {
		close(fd);
		errno = EPERM;
		return jv_invalid_with_msg(jv_string(why));
	}
	if ((st.st_mode & 077) != 0) {
		note("'%s': was readable by others, made 0600", path);
		if (fchmod(fd, 0600) == -1)
			warn("chmod '%s'", path);
	}
	v = json_read_fd(fd);
	saved = errno;
	close(fd);
	if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_OBJECT) {
		jkind = jv_kind_name(jv_get_kind(v));
		jv_free(v);
		v = jv_invalid_with_msg(jv_string_fmt("line 1: a JSON %s, not "
		    "an object", jkind));
		saved = EINVAL;
	}
	errno = jv_is_valid(v) ? 0 : saved;
	return check_version(v, kind);
}

char *
state_error(const char *path, jv v)
{
	char *why = json_error_text(v), *s;

	s = xasprintf(strncmp(why, "line ", 5) == 0 ? "'%s' %s" : "'%s': %s",
	    path, why);
	free(why);
	return s;
}

int
state_remove(const char *path)
{
	if (unlink(path) == -1)
		return errno == ENOENT ? 0 : -1;
	stop_point(leaf(path));
	return 0;
}

int
state_remove_tree(const char *dir, const char *keep)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char *p;
	int rc = 0;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (keep && strcmp(de->d_name, keep) == 0))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rc |= state_remove_tree(p, NULL);
		else if (unlink(p) == -1) {
			if (errno != ENOENT)
				rc = -1;
		} else
			stop_point(de->d_name);
		free(p);
	}
	closedir(d);
	if (keep == NULL && rmdir(dir) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}

jv
state_profile_read(const char *profile)
{
	char *path = state_path(STATE_CONFIG, profile, "profile.json");
	jv v = state_read_json(path);
	int saved = errno;

	free(path);
	errno = saved;
	return v;
}

int
state_profile_load(const char *profile, jv *prof)
{
	char *path, *why;

	*prof = state_profile_read(profile);
	if (jv_is_valid(*prof))
		return 0;
	if (errno == ENOENT) {
		jv_free(*prof);
		*prof = jv_invalid();
		warnx("no such profile '%s' (gcal-auth list shows them; "
		    "gcal-auth login -p %s makes it)", profile, profile);
		return EX_CONFIG;
	}
	/* damaged is not missing: say which file, and where */
	path = state_path(STATE_CONFIG, profile, "profile.json");
	why = state_error(path, *prof);
	warnx("profile '%s' is damaged: %s (repair it, or link again: "
	    "gcal-auth login -p %s)", profile, why, profile);
	free(why);
	free(path);
	*prof = jv_invalid();
	return EX_CONFIG;
}

int
state_profile_write(const char *profile, jv v)
{
	char *path = state_path(STATE_CONFIG, profile, "profile.json");
	int rc = state_write_json(path, v);

	free(path);
	return rc;
}

char **
state_profiles(void)
{
	char *top = state_path(STATE_CONFIG, NULL, NULL), *p;
	char **list = xcalloc(1, sizeof(*list));
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(top)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!state_valid_profile(de->d_name))
				continue;
			p = xasprintf("%s/%s/profile.json", top, de->d_name);
			if (access(p, F_OK) == 0) {
				list = xreallocarray(list, n + 2, sizeof(*list));
				list[n++] = xstrdup(de->d_name);
				list[n] = NULL;
			}
			free(p);
		}
		closedir(d);
	}
	free(top);
	qsort(list, n, sizeof(*list), sort_cmp_str);
	return list;
}

void
state_free_list(char **list)
{
	char **p;

	if (list == NULL)
		return;
	for (p = list; *p; p++)
		free(*p);
	free(list);
}
