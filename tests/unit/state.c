/* Unit tests of lib/state.c: the kinds of state file, found by where
 * they lie, and their format versions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/gcal-unit-state.XXXXXX";

static void
test_kinds(void)
{
	char *p;

	p = state_path(STATE_CONFIG, "shop", "profile.json");
	ok(state_kind_of(p) == STATE_PROFILE, "CONFIG/PROFILE/profile.json is a profile");
	free(p);
	p = state_path(STATE_STATE, "shop", "token.json");
	ok(state_kind_of(p) == STATE_TOKEN, "STATE/PROFILE/token.json is a token file");
	free(p);
	p = state_path(STATE_STATE, "shop", "sync/cal%40x/state.json");
	ok(state_kind_of(p) == STATE_MIRROR, "STATE/PROFILE/sync/CAL/state.json is a mirror's state");
	free(p);
	p = state_path(STATE_STATE, "shop", "forward/333.json");
	ok(state_kind_of(p) == STATE_FORWARD, "STATE/PROFILE/forward/EXT.json is forward-apply's");
	free(p);
	p = state_path(STATE_STATE, "shop", "channel.json");
	ok(state_kind_of(p) == STATE_CHANNEL, "STATE/PROFILE/channel.json is gcal-watch's");
	free(p);
	p = state_path(STATE_CONFIG, "shop", "client_secret.json");
	ok(state_kind_of(p) == STATE_FOREIGN, "client_secret.json is Google's, not versioned");
	free(p);
	p = state_path(STATE_STATE, "shop", "profile.json");
	ok(state_kind_of(p) == STATE_FOREIGN, "a profile.json in the state area is no profile");
	free(p);
	p = state_path(STATE_STATE, "shop", "sync/a/b/state.json");
	ok(state_kind_of(p) == STATE_FOREIGN, "a state.json deeper down is no mirror's");
	free(p);
	ok(state_kind_of("/elsewhere/forward/333.json") == STATE_FOREIGN,
	    "outside our directories a file's kind is the caller's to say");
	ok(state_kind_version(STATE_FOREIGN) == 0 && state_kind_version(STATE_TOKEN) >= 1,
	    "foreign files have no version, ours one from 1");
}

static void
test_versions(void)
{
	char *p = xasprintf("%s/fw.json", tmpdir), *why;
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

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	cfg = xasprintf("%s/config", tmpdir);
	st = xasprintf("%s/state", tmpdir);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	setenv("XDG_STATE_HOME", st, 1);
	test_kinds();
	test_versions();
	state_remove_tree(tmpdir, NULL);
	free(cfg);
	free(st);
	return done_testing();
}
