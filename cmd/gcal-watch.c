/* gcal-watch: keep a push notification channel alive for each link, and
 * run its pulls when it was notified, with a slow safety poll for all.
 * See gcal-watch(1). */
#include <sys/inotify.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "cli.h"
#include "http.h"
#include "json.h"
#include "state.h"
#include "util.h"
#include "watch.h"

enum {
	OPT_ADDRESS = CLI_FIRST_LONG, OPT_TTL, OPT_MARGIN, OPT_SAFETY,
	OPT_MIN_INTERVAL,
};

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link (default: $GCAL_PROFILE or 'default'; run: repeatable, default all)"},
	{"calendar", 'c', "CALENDAR", "start renew", "the calendar to watch (default: the profile's chosen one)"},
	{"address", OPT_ADDRESS, "URL", "start renew", "the HTTPS address of the receiver (renew: default the channel's)"},
	{"ttl", OPT_TTL, "SECONDS", "start renew", "the life asked for a new channel (default: a week; renew: the old one's)"},
	{"margin", OPT_MARGIN, "SECONDS", "renew", "replace a channel that expires within this (default: 3600, or half its life)"},
	{"safety-poll", OPT_SAFETY, "SECONDS", "run", "pull every link at least this often (default: 3600)"},
	{"min-interval", OPT_MIN_INTERVAL, "SECONDS", "run", "pull one link at most this often on notifications (default: 1)"},
	{"verbose", 'v', NULL, NULL, "trace each HTTP exchange on stderr, secrets redacted (run: each job)"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"start [-p PROFILE] [-c CALENDAR] --address URL [--ttl SECONDS]",
	"renew [-p PROFILE] [-c CALENDAR] [--address URL] [--ttl SECONDS] [--margin SECONDS]",
	"stop [-p PROFILE]",
	"status [-p PROFILE]",
	"run [-p PROFILE]... [--safety-poll SECONDS] [--min-interval SECONDS] COMMAND [ARG]...",
	NULL,
};

struct args {
	const char *cmd;
	const char *calendar;
	const char *address;
	long long ttl;
	long long margin; /* -1: the default */
	long long safety;
	long long min_interval;
	char **profiles;
	size_t nprofiles;
};

static void
rfc3339_ms(long long ms, char out[32])
{
	time_rfc3339(ms / 1000, out);
}

/* Google wants an HTTPS address with a valid certificate (push guide,
 * "Required properties"). Against an emulator (GCAL_ENDPOINT) plain
 * http:// is let through to it, which decides. */
static int
check_address(const char *address)
{
	const char *ep = getenv("GCAL_ENDPOINT");

	if (strncmp(address, "https://", 8) == 0 && address[8] != '\0')
		return 0;
	if (ep && *ep && strncmp(address, "http://", 7) == 0 && address[7] != '\0')
		return 0;
	warnx("--address '%s': Google delivers only to an https:// address",
	    address);
	return EX_USAGE;
}

static void
print_channel(const char *profile, jv ch, int renewed, int stopped)
{
	char when[32];
	jv out = json_set_str(jv_object(), "profile", profile);

	out = json_set_str(out, "calendar", json_str(ch, "calendar"));
	out = json_set_str(out, "id", json_str(ch, "id"));
	out = json_set_str(out, "address", json_str(ch, "address"));
	rfc3339_ms((long long)json_num(ch, "expiration", 0), when);
	out = json_set_str(out, "expiration", when);
	out = jv_object_set(out, jv_string("renewed"), jv_bool(renewed));
	out = jv_object_set(out, jv_string("stopped"), jv_number(stopped));
	json_print(stdout, out);
}

/* Stop every channel of chs but the first (replaced, now or by an earlier
 * run), keep in *v those that could not be stopped, save it, and print
 * the live one. */
static int
stop_replaced(struct calendar_api *api, const char *profile, jv *v, jv chs,
    int renewed)
{
	jv left = jv_array(), ch;
	int r, rc = 0, stopped = 0;

	jv_array_foreach(chs, i, c) {
		if (i == 0)
			left = jv_array_append(left, c);
		else if ((r = watch_stop_channel(api, c)) == 0) {
			stopped++;
			jv_free(c);
		} else {
			left = jv_array_append(left, c);
			if (rc == 0)
				rc = r;
		}
	}
	*v = jv_object_set(*v, jv_string("channels"), jv_copy(left));
	if ((r = watch_save(profile, jv_copy(*v))) != 0 && rc == 0)
		rc = r;
	if (jv_array_length(jv_copy(left)) > 0) {
		ch = jv_array_get(jv_copy(left), 0);
		print_channel(profile, ch, renewed, stopped);
		jv_free(ch);
	}
	jv_free(left);
	return rc;
}

/* start and renew: make sure the link has a live channel on its calendar
 * at its address, replaced before it expires: watch again first, then
 * stop the old one, so one of them is always live (push guide, "Renew
 * notification channels": there is no renew call). */
static int
renew(const struct args *a, const char *profile, int is_start)
{
	struct calendar_api *api = NULL;
	const char *chosen, *calendar, *address;
	long long now = now_s() * 1000, exp, life, margin, ttl;
	jv prof, v, chs, cur, ch;
	int rc, r, need, moved, renewed = 0;

	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	chosen = json_str(prof, "calendar");
	calendar = a->calendar ? a->calendar : chosen ? chosen : "primary";
	v = watch_load(profile, &rc);
	if (!jv_is_valid(v)) {
		jv_free(prof);
		return rc;
	}
	chs = json_get(v, "channels");
	cur = jv_array_length(jv_copy(chs)) > 0 ? jv_array_get(jv_copy(chs), 0) :
	    jv_null();
	address = a->address ? a->address : json_str(cur, "address");
	if (address == NULL) {
		warnx("profile '%s' has no channel: give --address", profile);
		rc = EX_USAGE;
		goto out;
	}
	if ((rc = check_address(address)) != 0)
		goto out;
	exp = (long long)json_num(cur, "expiration", 0);
	life = exp - (long long)json_num(cur, "created", (double)exp);
	margin = a->margin >= 0 ? a->margin * 1000 :
	    life / 2 < 3600 * 1000 ? life / 2 : 3600 * 1000;
	moved = strcmp(json_str(cur, "calendar") ? json_str(cur, "calendar") :
	    "", calendar) != 0;
	need = moved || strcmp(json_str(cur, "address") ? json_str(cur,
	    "address") : "", address) != 0 ||
	    exp - now <= (is_start ? 0 : margin);
	if (need || jv_array_length(jv_copy(chs)) > 1) {
		if ((api = calendar_open(profile, &rc)) == NULL)
			goto out;
	}
	if (need) {
		/* a renewal asks for the life the old channel was given */
		ttl = a->ttl > 0 ? a->ttl : !is_start && life >= 1000 ?
		    (life + 500) / 1000 : 604800;
		if ((rc = watch_create(api, profile, calendar, address, ttl,
		    &ch)) != 0)
			goto out;
		renewed = 1;
		chs = jv_array_concat(JV_ARRAY(jv_copy(ch)), chs);
		v = jv_object_set(v, jv_string("channels"), jv_copy(chs));
		/* kept before the old one is stopped: a crash here leaves
		 * two channels, and the next run stops the old one */
		if ((rc = watch_save(profile, jv_copy(v))) != 0) {
			watch_stop_channel(api, ch);
			jv_free(ch);
			goto out;
		}
		/* no channel was live for a while (or none watched this
		 * calendar): what changed meanwhile was told to nobody */
		if (exp <= now || moved) {
			if (watch_mark_dirty(profile) == -1)
				warn("profile '%s': dirty mark", profile);
		}
		jv_free(ch);
	}
	if ((r = stop_replaced(api, profile, &v, chs, renewed)) != 0 && rc == 0)
		rc = r;
out:
	calendar_close(api);
	jv_free(cur);
	jv_free(chs);
	jv_free(v);
	jv_free(prof);
	return rc;
}

static int
status(const char *profile)
{
	long long now = now_s() * 1000;
	char when[32];
	jv prof, v, chs, cur, out;
	int rc;

	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	jv_free(prof);
	v = watch_load(profile, &rc);
	if (!jv_is_valid(v))
		return rc;
	chs = json_get(v, "channels");
	out = json_set_str(jv_object(), "profile", profile);
	out = jv_object_set(out, jv_string("channels"),
	    jv_number(jv_array_length(jv_copy(chs))));
	out = jv_object_set(out, jv_string("dirty"), jv_bool(watch_is_dirty(profile)));
	if (jv_array_length(jv_copy(chs)) > 0) {
		cur = jv_array_get(jv_copy(chs), 0);
		out = json_set_str(out, "calendar", json_str(cur, "calendar"));
		out = json_set_str(out, "address", json_str(cur, "address"));
		out = json_set_str(out, "id", json_str(cur, "id"));
		rfc3339_ms((long long)json_num(cur, "expiration", 0), when);
		out = json_set_str(out, "expiration", when);
		out = jv_object_set(out, jv_string("expires_in"),
		    jv_number((double)(((long long)json_num(cur, "expiration", 0) -
		    now) / 1000)));
		jv_free(cur);
	}
	json_print(stdout, out);
	jv_free(chs);
	jv_free(v);
	return 0;
}

/* --- run: pull what was notified, and everything now and then --------- */

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct link {
	const char *profile;
	long long next_safety; /* ms, monotonic */
	long long last_pull;
	int dirty;
};

/* Run the command for one link, with GCAL_PROFILE set; its status. */
static int
job(char **cmd, struct link *l, const char *why)
{
	long long t0 = now_ms();
	pid_t pid;
	int st, rc;

	if ((pid = fork()) == -1) {
		warn("fork");
		return EX_OSERR;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		setenv("GCAL_PROFILE", l->profile, 1);
		execvp(cmd[0], cmd);
		warn("'%s'", cmd[0]);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			warn("waitpid");
			return EX_OSERR;
		}
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	l->last_pull = now_ms();
	if (rc != 0)
		warnx("profile '%s': '%s' exited %d (%s pull)%s", l->profile,
		    cmd[0], rc, why, rc == EX_NOPERM || rc == EX_CONFIG ?
		    ": the link needs a human" : "");
	else if (verbose)
		warnx("profile '%s': %s pull in %lld ms", l->profile, why,
		    l->last_pull - t0);
	return rc;
}

static long long
jittered(long long ms)
{
	/* spread the safety polls of many links by +-10% */
	return ms - ms / 10 + (ms >= 5 ? (long long)arc4random_uniform(
	    (uint32_t)(ms / 5 + 1)) : 0);
}

/* Which links are marked: read PUSH/dirty once. */
static void
scan_dirty(const char *dir, struct link *links, size_t n)
{
	struct dirent *de;
	DIR *d;
	size_t i;

	for (i = 0; i < n; i++)
		links[i].dirty = 0;
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		for (i = 0; i < n; i++)
			if (strcmp(de->d_name, links[i].profile) == 0)
				links[i].dirty = 1;
	closedir(d);
}

/* The links run serves: the -p profiles, else every profile (*all, to be
 * freed with state_free_list). NULL when there is none, said. */
static struct link *
links_for(const struct args *a, size_t *n, char ***all)
{
	struct link *links;
	size_t i;

	*all = NULL;
	if (a->nprofiles > 0) {
		*n = a->nprofiles;
		links = xcalloc(*n, sizeof(*links));
		for (i = 0; i < *n; i++)
			links[i].profile = a->profiles[i];
		return links;
	}
	*all = state_profiles();
	for (*n = 0; (*all)[*n]; (*n)++)
		;
	if (*n == 0) {
		warnx("no profiles to run (gcal-auth login makes one)");
		state_free_list(*all);
		*all = NULL;
		return NULL;
	}
	links = xcalloc(*n, sizeof(*links));
	for (i = 0; i < *n; i++)
		links[i].profile = (*all)[i];
	return links;
}

/* Pull each notified link that is past --min-interval; the wait (ms)
 * until the next one that is not, if sooner than wait. */
static long long
pull_notified(const struct args *a, char **cmd, struct link *links, size_t n,
    long long wait)
{
	long long now = now_ms(), t;
	size_t i;

	for (i = 0; i < n && !stopping; i++) {
		if (!links[i].dirty)
			continue;
		t = links[i].last_pull + a->min_interval * 1000;
		if (links[i].last_pull && t > now) {
			wait = t - now < wait ? t - now : wait;
			continue;
		}
		/* take the mark before the pull: what is notified during the
		 * pull marks the link again */
		if (watch_take_dirty(links[i].profile) == 1) {
			job(cmd, &links[i], "push");
			links[i].next_safety = now_ms() + jittered(a->safety * 1000);
		}
		now = now_ms();
	}
	return wait;
}

static int
run(const struct args *a, char **cmd)
{
	struct sigaction sa = {0};
	struct link *links;
	struct pollfd pfd = {.fd = -1, .events = POLLIN};
	char **all = NULL, *dir, evbuf[4096];
	size_t n, i, best;
	long long now, wait;

	if ((links = links_for(a, &n, &all)) == NULL)
		return EX_CONFIG;
	if ((dir = watch_push_path("dirty", NULL)) == NULL ||
	    state_mkdir(dir) == -1) {
		warn("'%s'", dir ? dir : "$GCAL_PUSH_DIR");
		free(dir);
		free(links);
		state_free_list(all);
		return EX_CONFIG;
	}
	/* a new mark wakes us at once; without inotify, we look every 200 ms */
	if ((pfd.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) != -1 &&
	    inotify_add_watch(pfd.fd, dir, IN_CREATE | IN_MOVED_TO) == -1) {
		close(pfd.fd);
		pfd.fd = -1;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* everything once at start: what changed while nobody listened */
	now = now_ms();
	for (i = 0; i < n; i++)
		links[i].next_safety = now;
	while (!stopping) {
		scan_dirty(dir, links, n);
		/* notified links first */
		wait = pull_notified(a, cmd, links, n, 3600 * 1000);
		now = now_ms();
		if (stopping)
			break;
		/* then one safety poll that is due, and look again */
		for (best = n, i = 0; i < n; i++)
			if (links[i].next_safety <= now &&
			    (best == n || links[i].next_safety < links[best].next_safety))
				best = i;
		if (best < n) {
			job(cmd, &links[best], "safety");
			links[best].next_safety = now_ms() + jittered(a->safety * 1000);
			continue;
		}
		for (i = 0; i < n; i++)
			if (links[i].next_safety - now < wait)
				wait = links[i].next_safety - now;
		if (pfd.fd == -1 && wait > 200)
			wait = 200;
		if (wait < 0)
			wait = 0;
		if (poll(&pfd, 1, (int)wait) > 0)
			while (read(pfd.fd, evbuf, sizeof(evbuf)) > 0)
				;
	}
	if (pfd.fd != -1)
		close(pfd.fd);
	free(dir);
	free(links);
	state_free_list(all);
	return 0;
}

/* The subcommand and the options, into a. */
static void
parse_args(int *argc, char ***argv, struct args *a)
{
	static const char *const cmds[] = {"start", "renew", "stop", "status",
	    "run", NULL};
	struct cli *c;
	const char *arg;
	int key;

	a->cmd = cli_subcommand(options, cmds, argc, argv);
	/* run: the command's own options are not ours */
	c = cli_new(options, strcmp(a->cmd, "run") == 0);
	while ((key = cli_next(c, *argc, *argv, &arg)) != -1) {
		cli_check_cmd(c, key, a->cmd);
		switch (key) {
		case 'p':
			state_set_profile(arg);
			a->profiles = xreallocarray(a->profiles, a->nprofiles + 1,
			    sizeof(*a->profiles));
			a->profiles[a->nprofiles++] = xstrdup(arg);
			break;
		case 'c':
			a->calendar = arg;
			break;
		case OPT_ADDRESS:
			a->address = arg;
			break;
		case OPT_TTL:
			a->ttl = cli_number("--ttl", arg, 1, 31 * 86400);
			break;
		case OPT_MARGIN:
			a->margin = cli_number("--margin", arg, 0, 31 * 86400);
			break;
		case OPT_SAFETY:
			a->safety = cli_number("--safety-poll", arg, 1, 7 * 86400);
			break;
		case OPT_MIN_INTERVAL:
			a->min_interval = cli_number("--min-interval", arg, 0, 86400);
			break;
		}
	}
	cli_free(c);
}

int
main(int argc, char *argv[])
{
	struct args a = {.ttl = 0, .margin = -1, .safety = 3600,
	    .min_interval = 1};
	int rc, lock;

	cli_synopsis = synopsis;
	parse_args(&argc, &argv, &a);
	if (strcmp(a.cmd, "run") == 0) {
		if (optind >= argc) {
			warnx("run: give the command to run for each link");
			cli_try_help();
			rc = EX_USAGE;
			goto out;
		}
		rc = run(&a, argv + optind);
		goto out;
	}
	cli_no_operands(argc, argv);
	if (strcmp(a.cmd, "start") == 0 && a.address == NULL) {
		warnx("start: give --address URL, the receiver's address");
		rc = EX_USAGE;
		goto out;
	}
	if (strcmp(a.cmd, "status") == 0) {
		rc = status(state_profile());
		goto out;
	}
	/* one change of a link's channels at a time: cron runs overlap */
	if ((lock = state_lock(state_profile(), "watch.lock", 60, &rc)) == -1)
		goto out;
	if (strcmp(a.cmd, "stop") == 0) {
		rc = watch_stop_all(NULL, state_profile(), 0);
		if (rc == 0) {
			json_print(stdout, jv_object_set(json_set_str(jv_object(),
			    "profile", state_profile()), jv_string("stopped"),
			    jv_true()));
		}
	} else
		rc = renew(&a, state_profile(), strcmp(a.cmd, "start") == 0);
	state_unlock(lock);
out:
	while (a.nprofiles > 0)
		free(a.profiles[--a.nprofiles]);
	free(a.profiles);
	http_cleanup();
	return finish_stdout(rc);
}
