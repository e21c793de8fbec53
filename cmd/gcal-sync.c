/* gcal-sync: keep a local system's records and a profile's calendar in
 * step, both ways. Options and the order of a run; the engine is
 * lib/sync*.c (sync.h names its modules). See gcal-sync(1). */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"
#include "http.h"
#include "json.h"
#include "provider.h"
#include "state.h"
#include "sync.h"
#include "sync_apply.h"
#include "sync_base.h"
#include "sync_child.h"
#include "sync_plan.h"
#include "sync_read.h"
#include "util.h"

/* The exit status of a run the deletion cap stopped (gcal-sync(1)). */
#define EXIT_CAPPED 3

enum {
	OPT_LOCAL = CLI_FIRST_LONG, OPT_LOCAL_CMD, OPT_STATE, OPT_PREFER,
	OPT_MAX_DELETE, OPT_ALLOW_DELETE_ALL, OPT_ATTENDEES, OPT_APPLY_CMD,
	OPT_DRY_RUN, OPT_OWNER, OPT_PUSH_ONLY, OPT_BATCH, OPT_RATE,
};

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link to sync (default: $GCAL_PROFILE or 'default')"},
	{"local", OPT_LOCAL, "FILE", NULL, "the local side's records (NDJSON)"},
	{"local-cmd", OPT_LOCAL_CMD, "CMD", NULL, "a command that prints the local side's records"},
	{"key", 'k', "JQ", NULL, "a jq expression: the local key of a record without an id"},
	{"state", OPT_STATE, "DIR", NULL, "where the base and journal live (default: the profile's sync directory)"},
	{"owner", OPT_OWNER, "NAME", NULL, "the owner mark of this link's events (default: gcal)"},
	{"prefer", OPT_PREFER, "SIDE", NULL, "settle conflicts: local, remote or newest (default: report them)"},
	{"max-delete", OPT_MAX_DELETE, "N", NULL, "stop before deleting more than N events, or N% of the base (default: 50%)"},
	{"allow-delete-all", OPT_ALLOW_DELETE_ALL, NULL, NULL, "allow a run to delete every event of the base"},
	{"attendees", OPT_ATTENDEES, "HOW", NULL, "guest lists: keep (copied) or omit (default: keep)"},
	{"apply-cmd", OPT_APPLY_CMD, "CMD", NULL, "a command that applies the local changes from its standard input"},
	{"batch", OPT_BATCH, "N", NULL, "calls per batch request, passed to gcal-push (default: its 50)"},
	{"rate", OPT_RATE, "N", NULL, "at most N calls a minute, passed to gcal-push (default: its 500)"},
	{"push-only", OPT_PUSH_ONLY, NULL, NULL, "send the local changes without reading Google (one request)"},
	{"dry-run", OPT_DRY_RUN, NULL, NULL, "print what would change on each side, write nothing"},
	{"verbose", 'v', NULL, NULL, "more detail on stderr; passed on to gcal-pull and gcal-push"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"[-p PROFILE] --local FILE|--local-cmd CMD [-k JQ] [--state DIR] [--owner NAME] [--prefer local|remote|newest] [--max-delete N|N%] [--allow-delete-all] [--attendees keep|omit] [--apply-cmd CMD] [--batch N] [--rate N] [--push-only] [--dry-run]",
	NULL,
};

static void
parse_max_delete(const char *s, struct sync_cap *cap)
{
	size_t n = strlen(s);
	char *t = xstrdup(s);

	cap->pct = n > 0 && s[n - 1] == '%';
	if (cap->pct)
		t[n - 1] = '\0';
	cap->max_delete = cli_number("--max-delete", t, 0, cap->pct ? 100 :
	    LLONG_MAX / 200);
	free(t);
}

/* What the command line asks for beyond the engine's settings. */
struct args {
	const char *local, *local_cmd, *apply_cmd, *state_dir;
	int dry, push_only;
	struct diff_options d;
	struct sync_cap cap;
};

static void
parse_args(int argc, char *argv[], struct sync *sy, struct args *a)
{
	struct cli *c;
	const char *arg;
	int key, r;

	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'p': state_set_profile(arg); break;
		case OPT_LOCAL: a->local = arg; break;
		case OPT_LOCAL_CMD: a->local_cmd = arg; break;
		case 'k': sy->keytext = arg; break;
		case OPT_STATE: a->state_dir = arg; break;
		case OPT_OWNER:
			if (*arg == '\0')
				errx(EX_USAGE, "--owner: an empty name");
			sy->owner = arg;
			break;
		case OPT_PREFER:
			if ((r = diff_prefer_parse(arg)) == -1)
				errx(EX_USAGE, "--prefer '%s': not local, remote or "
				    "newest", arg);
			a->d.prefer = r;
			break;
		case OPT_MAX_DELETE: parse_max_delete(arg, &a->cap); break;
		case OPT_ALLOW_DELETE_ALL: a->cap.allow_all = 1; break;
		case OPT_ATTENDEES:
			if (strcmp(arg, "omit") == 0)
				sy->omit_attendees = 1;
			else if (strcmp(arg, "keep") != 0)
				errx(EX_USAGE, "--attendees '%s': not keep or omit", arg);
			break;
		case OPT_APPLY_CMD: a->apply_cmd = arg; break;
		case OPT_DRY_RUN: a->dry = 1; break;
		case OPT_PUSH_ONLY: a->push_only = 1; break;
		case OPT_BATCH:
			cli_number("--batch", arg, 1, 1000);
			sy->push_batch = arg;
			break;
		case OPT_RATE:
			cli_number("--rate", arg, 1, 1000000);
			sy->push_rate = arg;
			break;
		}
	}
	cli_free(c);
	cli_no_operands(argc, argv);
}

/* The local side, whole and checked, before anything else. */
static int
take_local(struct sync *sy, const struct args *a)
{
	char *path;
	int status, rc;

	if (a->local_cmd == NULL)
		return sync_read_local(sy, a->local, a->local);
	path = sync_run_path(sy, "export");
	status = sync_child_shell(sy, a->local_cmd, NULL, path);
	if (status != 0) {
		warnx("--local-cmd exited %d: nothing done", status);
		free(path);
		return status == EX_TEMPFAIL ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	rc = sync_read_local(sy, path, "--local-cmd");
	free(path);
	return rc;
}

/* Google's side and the base; with --push-only, Google's as the base
 * has it (a change made there since is a conflict gcal-push reports:
 * 412). *folded: the writes of a killed run taken in. */
static int
take_remote(struct sync *sy, const struct args *a, int *folded)
{
	char *pull[] = {"gcal-pull", "-q", "-p", (char *)state_profile(),
	    verbose ? "-v" : NULL, NULL};
	char *path;
	int status, rc;

	if (a->push_only) {
		if ((rc = sync_base_read(sy)) != 0)
			return rc;
		sync_remote_from_base(sy);
	} else {
		path = sync_run_path(sy, "pulled");
		if ((status = sync_child_run(sy, pull, NULL, path)) != 0) {
			warnx("gcal-pull exited %d: nothing done", status);
			free(path);
			return status > 128 ? EX_TEMPFAIL : status;
		}
		rc = sync_read_remote(sy, path);
		free(path);
		if (rc != 0 || (rc = sync_base_read(sy)) != 0)
			return rc;
	}
	*folded = 0;
	if ((rc = sync_journal_fold(sy, SYNC_REMOTE, folded)) != 0)
		return rc;
	sync_match_keys(sy);
	if ((rc = sync_journal_fold(sy, SYNC_LOCAL, folded)) != 0)
		return rc;
	sync_adopt_instances(sy);
	return 0;
}

/* The writes of the plan, each recorded before it is made. */
static int
write_plan(struct sync *sy, const struct args *a, struct sync_plan *plan,
    int folded)
{
	int rc, partial = 0;

	/* The writes a killed run made are agreed: kept before this run's
	 * journal replaces theirs. Not before the cap let the run go: an
	 * export in doubt (empty) shows every event as gone. */
	if (folded) {
		sync_base_write(sy, 0);
		sync_journal_write(sy, 0); /* nothing of this run is under way */
	}
	/* what each write will make its side hold, before any is made */
	sync_plan_intents(sy, plan, stdout);
	sync_journal_write(sy, 0);
	rc = sync_push_remote(sy, plan, state_profile(), &partial);
	sync_apply_local(sy, plan, a->apply_cmd, &partial);
	sync_settle_unchanged(sy);
	sync_base_write(sy, 1);
	sync_journal_write(sy, 1);
	if (!quiet && isatty(STDOUT_FILENO))
		sync_plan_summary(sy, plan, "changed");
	if (rc == 0 && (partial || plan->conflicts))
		rc = EXIT_PARTIAL;
	return rc;
}

/* A run, the lock taken: its exit status. */
static int
sync_run(struct sync *sy, struct args *a)
{
	struct sync_plan plan = {0};
	int rc, folded;
	size_t i;

	if ((rc = sync_base_check(sy, a->dry)) != 0)
		return rc;
	sync_run_dir_make(sy);
	if ((rc = take_local(sy, a)) != 0 ||
	    (rc = take_remote(sy, a, &folded)) != 0)
		return rc;
	a->d.owner = sy->owner;
	sync_plan_make(sy, &a->d, &plan);
	if (sync_plan_capped(sy, &plan, &a->cap)) {
		sync_plan_free(&plan);
		return EXIT_CAPPED;
	}
	sync_plan_print_settled(sy, &plan, stdout);
	if (a->dry) {
		for (i = 0; i < plan.n; i++)
			json_print(stdout, sync_unview_record(jv_copy(plan.v[i])));
		if (isatty(STDOUT_FILENO) && !quiet)
			sync_plan_summary(sy, &plan, "would change");
		rc = plan.conflicts ? EXIT_PARTIAL : 0;
	} else
		rc = write_plan(sy, a, &plan, folded);
	sync_plan_free(&plan);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct sync sy = {.owner = "gcal", .service = "Google"};
	struct args a = {.cap = {.max_delete = 50, .pct = 1}};
	char *why, *t;
	int rc, lock = -1;
	jv prof = jv_invalid();

	cli_synopsis = synopsis;
	parse_args(argc, argv, &sy, &a);
	if ((a.local == NULL) == (a.local_cmd == NULL)) {
		warnx("give one of --local FILE and --local-cmd CMD");
		cli_try_help();
		return EX_USAGE;
	}
	if (sy.keytext && (sy.keyprog = jqprog_new(sy.keytext, &why)) == NULL) {
		warnx("--key: %s", why);
		free(why);
		return EX_USAGE;
	}
	sync_find_self(&sy, argv[0]);
	if ((rc = state_profile_load(state_profile(), &prof)) != 0)
		goto out;
	sy.calendar = json_str(prof, "calendar");
	sy.service = provider_service(provider_of(prof));
	sy.dir = a.state_dir ? xstrdup(a.state_dir) :
	    state_path(STATE_STATE, state_profile(), "sync");
	t = xasprintf("%s/lock", sy.dir);
	lock = state_lock_path(t, 60, &rc);
	free(t);
	if (lock != -1)
		rc = sync_run(&sy, &a);
out:
	sync_run_dir_remove(&sy);
	state_unlock(lock);
	jv_free(prof);
	jqprog_free(sy.keyprog);
	sync_free(&sy);
	http_cleanup();
	return finish_stdout(rc);
}
