/* Unit tests of lib/state.c: the kinds of state file, found by where
 * they lie, their format versions, atomic writes and profile names. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "util.h"
#include "tap.h"
#include "testlib.h"

/* Where a file lies says its kind. */
static const struct {
	enum state_area area;
	const char *rel, *what;
	enum state_kind kind;
} kinds[] = {
	{ STATE_CONFIG, "profile.json", "CONFIG/PROFILE/profile.json is a profile",
	  STATE_PROFILE },
	{ STATE_STATE, "token.json", "STATE/PROFILE/token.json is a token file",
	  STATE_TOKEN },
	{ STATE_STATE, "sync/cal%40x/state.json",
	  "STATE/PROFILE/sync/CAL/state.json is a mirror's state", STATE_MIRROR },
	{ STATE_STATE, "forward/333.json",
	  "STATE/PROFILE/forward/EXT.json is forward-apply's", STATE_FORWARD },
	{ STATE_STATE, "channel.json", "STATE/PROFILE/channel.json is gcal-watch's",
	  STATE_CHANNEL },
	{ STATE_CONFIG, "client_secret.json",
	  "client_secret.json is Google's, not versioned", STATE_FOREIGN },
	{ STATE_STATE, "profile.json",
	  "a profile.json in the state area is no profile", STATE_FOREIGN },
	{ STATE_STATE, "sync/a/b/state.json",
	  "a state.json deeper down is no mirror's", STATE_FOREIGN },
};

static void
test_kinds(void)
{
	size_t i;
	char *p;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		p = state_path(kinds[i].area, "shop", kinds[i].rel);
		ok(state_kind_of(p) == kinds[i].kind, "%s", kinds[i].what);
		free(p);
	}
	ok(state_kind_of("/elsewhere/forward/333.json") == STATE_FOREIGN,
	    "outside our directories a file's kind is the caller's to say");
	ok(state_kind_version(STATE_FOREIGN) == 0 && state_kind_version(STATE_TOKEN) >= 1,
	    "foreign files have no version, ours one from 1");
}

/* Atomic writes and profile names. */
static void
test_write(void)
{
	char *path = xasprintf("%s/sub/dir/f.json", test_dir), *new;
	struct stat st;
	jv v;

	ok(state_write(path, "{\"k\":1}\n", 8) == 0, "state_write creates directories and file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
	new = xasprintf("%s.new", path);
	ok(access(new, F_OK) == -1, "no .new file is left");
	v = state_read_json(path);
	ok(json_num(v, "k", 0) == 1, "state_read_json reads it back");
	jv_free(v);
	ok(state_write("/proc/nope/x", "x", 1) == -1, "a failed write reports -1");
	free(new);
	free(path);
	ok(state_valid_profile("shop-1.eu") && !state_valid_profile("../x") &&
	    !state_valid_profile(".hidden") && !state_valid_profile(""),
	    "profile names cannot escape their directory");
}

static void
test_versions(void)
{
	char *p = xasprintf("%s/fw.json", test_dir), *why;
	int known = state_kind_version(STATE_FORWARD);
	jv v;

	ok(state_write_kind(p, STATE_FORWARD, jv_parse("{\"to\":[]}")) == 0,
	    "state_write_kind writes");
	v = state_read_kind(p, STATE_FORWARD);
	ok(json_num(v, "version", 0) == known, "... stamped with the kind's version");
	jv_free(v);
	ok(state_write(p, "{\"to\":[]}\n", 10) == 0, "a file without a version");
	v = state_read_kind(p, STATE_FORWARD);
	ok(jv_is_valid(v) && json_num(v, "version", 1) == 1,
	    "... is read (version 1, written before versions)");
	jv_free(v);
	why = xasprintf("{\"version\":%d}\n", known + 1);
	ok(state_write(p, why, strlen(why)) == 0, "a file of a newer version");
	free(why);
	v = state_read_kind(p, STATE_FORWARD);
	ok(!jv_is_valid(v) && errno == ENOTSUP, "... is refused with ENOTSUP");
	why = state_error(p, v);
	ok(strstr(why, "newer than this gcal knows") && strstr(why, "upgrade gcal"),
	    "... saying what to do: %s", why);
	free(why);
	v = state_read_kind(p, STATE_FOREIGN);
	ok(jv_is_valid(v), "a foreign file's \"version\" means nothing to us");
	jv_free(v);
	ok(state_write(p, "{\"version\":\"1\"}\n", 16) == 0, "a version that is a string");
	v = state_read_kind(p, STATE_FORWARD);
	ok(!jv_is_valid(v) && errno == EINVAL, "... is damage (EINVAL)");
	jv_free(v);
	ok(state_write(p, "{\"version\":1.5}\n", 16) == 0, "a version that is no whole number");
	v = state_read_kind(p, STATE_FORWARD);
	ok(!jv_is_valid(v) && errno == EINVAL, "... is damage too");
	jv_free(v);
	ok(state_write_kind(p, STATE_FOREIGN, jv_parse("{\"a\":1}")) == 0,
	    "a foreign file is written");
	v = state_read_kind(p, STATE_FOREIGN);
	ok(jv_get_kind(json_get(v, "version")) == JV_KIND_NULL, "... without a version");
	jv_free(v);
	free(p);
}

int
main(void)
{
	char *cfg, *st;

	test_dir_make("unit-state");
	cfg = xasprintf("%s/config", test_dir);
	st = xasprintf("%s/state", test_dir);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	setenv("XDG_STATE_HOME", st, 1);
	test_kinds();
	test_versions();
	test_write();
	test_dir_remove();
	free(cfg);
	free(st);
	return done_testing();
}
