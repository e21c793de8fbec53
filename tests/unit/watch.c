/* Unit tests of lib/watch.c: what the receiver checks of a notification,
 * and the dirty marks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "util.h"
#include "watch.h"
#include "tap.h"

static char tmpdir[] = "/tmp/gcal-unit-watch.XXXXXX";

static void
test_ids(void)
{
	char longid[WATCH_ID_MAX + 2];

	ok(watch_valid_id("gcal-0123456789abcdef0123456789abcdef"), "one of our channel ids is valid");
	ok(watch_valid_id("A_b-9"), "letters, digits, '-' and '_' are valid");
	ok(!watch_valid_id(""), "an empty id is not");
	ok(!watch_valid_id("../a"), "a path is not");
	ok(!watch_valid_id("a.seen"), "a '.' is not (no file of ours can be named)");
	ok(!watch_valid_id("a/b"), "a '/' is not");
	ok(!watch_valid_id("a b"), "a space is not");
	memset(longid, 'a', sizeof(longid) - 1);
	longid[WATCH_ID_MAX] = '\0';
	ok(watch_valid_id(longid), "%d characters are valid", WATCH_ID_MAX);
	longid[WATCH_ID_MAX] = 'a';
	longid[WATCH_ID_MAX + 1] = '\0';
	ok(!watch_valid_id(longid), "%d are not", WATCH_ID_MAX + 1);
}

static void
test_tokens(void)
{
	ok(watch_token_equal("abc123", "abc123"), "the same token is equal");
	ok(!watch_token_equal("abc123", "abc124"), "a token with its last byte changed is not");
	ok(!watch_token_equal("abc123", "xbc123"), "a token with its first byte changed is not");
	ok(!watch_token_equal("abc123", "abc12"), "a prefix is not");
	ok(!watch_token_equal("abc123", "abc1234"), "a longer token is not");
	ok(!watch_token_equal("abc123", ""), "an empty token is not");
}

static void
test_marks(void)
{
	char *p, *want;

	setenv("GCAL_PUSH_DIR", tmpdir, 1);
	p = watch_push_path("dirty", "shop");
	want = xasprintf("%s/dirty/shop", tmpdir);
	is_str(p, want, "GCAL_PUSH_DIR names the push directory");
	free(want);
	free(p);
	ok(watch_take_dirty("shop") == 0, "a link never marked is not dirty");
	ok(watch_mark_dirty("shop") == 0, "mark a link");
	ok(watch_mark_dirty("shop") == 0, "mark it again: coalesced, no error");
	ok(watch_is_dirty("shop"), "it is dirty");
	ok(watch_take_dirty("shop") == 1, "take the mark: it was dirty");
	ok(watch_take_dirty("shop") == 0, "one mark for two notifications: taken once");
	ok(!watch_is_dirty("shop"), "it is clean");
	setenv("GCAL_PUSH_DIR", "relative/push", 1);
	setenv("XDG_STATE_HOME", tmpdir, 1);
	p = watch_push_path(NULL, NULL);
	want = xasprintf("%s/gcal/push", tmpdir);
	is_str(p, want, "a relative GCAL_PUSH_DIR is ignored");
	free(want);
	free(p);
}

/* A CGI program's environment: no $HOME and no XDG variable, only
 * GCAL_PUSH_DIR from the web server's configuration. The receiver reads
 * a channel record and marks a link without exiting for the missing
 * state areas (it exited 78, and the web server answered 500). */
static void
test_cgi_env(void)
{
	char *dir = xasprintf("%s/cgi", tmpdir), *rec;
	jv v;

	unsetenv("HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	setenv("GCAL_PUSH_DIR", dir, 1);
	rec = watch_push_path("channels", "gcal-1");
	ok(state_write_json(rec, jv_parse("{\"profile\":\"shop\"}")) == 0,
	    "no $HOME: a channel record is written under GCAL_PUSH_DIR");
	v = state_read_json(rec);
	is_str(json_str(v, "profile"), "shop", "no $HOME: and read back");
	jv_free(v);
	ok(watch_mark_dirty("shop") == 0, "no $HOME: a link is marked");
	ok(watch_take_dirty("shop") == 1, "no $HOME: and the mark taken");
	free(rec);
	free(dir);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	test_ids();
	test_tokens();
	test_marks();
	test_cgi_env();
	state_remove_tree(tmpdir, NULL);
	return done_testing();
}
