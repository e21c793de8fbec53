/* Unit tests of lib/state.c: atomic writes and profile names. */
#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "json.h"
#include "state.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/gcal-unit-state.XXXXXX";

static void
test_state(void)
{
	char *path = xasprintf("%s/sub/dir/f.json", tmpdir), *new;
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

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	test_state();
	state_remove_tree(tmpdir, NULL);
	return done_testing();
}
