/* gcal-run: run one job for many links, bounded, inside Google's quotas,
 * on a jittered schedule with backoff; and report each link's last run.
 * See gcal-run(1). Pulls run in this process (lib/pull.c, in worker
 * threads); the other jobs are a child process per link. */
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "http.h"
#include "json.h"
#include "pull.h"
#include "quota.h"
#include "run.h"
#include "run_select.h"
#include "run_status.h"
#include "state.h"
#include "util.h"

extern char **environ;

#define RUNS "pull sync forward-apply exec"
#define DEFAULT_JOBS 4
#define MAX_JOBS 256
/* Links whose quota is reserved in one visit to the table. */
#define RESERVE 64

enum {
	OPT_SHARD = CLI_FIRST_LONG, OPT_PROFILES, OPT_FILTER, OPT_EVERY,
	OPT_JITTER, OPT_PROMETHEUS,
};

static const struct cli_option options[] = {
	{"jobs", 'j', "N", RUNS, "links at a time, 1 to 256 (default: 4)"},
	{"shard", OPT_SHARD, "SHARD", NULL, "only the links of shard I/K, 0 <= I < K"},
	{"profiles", OPT_PROFILES, "NAMES", RUNS, "only these profiles, A,B,... (default: all)"},
	{"filter", OPT_FILTER, "JQ", RUNS, "only the profiles whose gcal-auth list record JQ selects"},
	{"every", OPT_EVERY, "DURATION", RUNS, "only links whose last run is older (N[smhd])"},
	{"jitter", OPT_JITTER, "PCT", RUNS, "spread --every by up to PCT% a link, 0 to 50 (default: 25)"},
	{"prometheus", OPT_PROMETHEUS, NULL, "status", "the status in Prometheus text format"},
	{"verbose", 'v', NULL, NULL, "say which links are skipped and why; trace HTTP (twice: bodies)"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"pull [-j N] [--shard I/K] [--profiles A,B,...] [--filter JQ] [--every DURATION] [--jitter PCT]",
	"sync [-j N] [--shard I/K] [--profiles A,B,...] [--filter JQ] [--every DURATION] [--jitter PCT] [ARG...]",
	"forward-apply [-j N] [--shard I/K] [--profiles A,B,...] [--filter JQ] [--every DURATION] [--jitter PCT] [ARG...]",
	"exec [-j N] [--shard I/K] [--profiles A,B,...] [--filter JQ] [--every DURATION] [--jitter PCT] CMD [ARG...]",
	"status [--prometheus] [--shard I/K]",
	NULL,
};

struct link {
	char *name;
	struct run_record last;
	char fp[64];
	struct quota *quota;
	jv prof;            /* profile.json, while it is pulled */
	long long start_s;  /* wall clock, for the record */
	long long start_ms; /* monotonic, for the duration */
	pid_t pid;
	int status;
	long requests, changes;
};

struct fleet {
	const char *job;
	char **argv;         /* a child job's program and arguments */
	struct link **due;
	size_t ndue;
	size_t next;         /* the next link a worker takes */
	pthread_mutex_t lock;
	int jobs;
	int shard, shards;
	struct run_schedule sched;
	int status;          /* the worst so far */
};

/* --- choosing the links ------------------------------------------------ */

static int
parse_shard(const char *s, int *i, int *k)
{
	const char *slash = strchr(s, '/'), *errstr;
	char *left;

	if (slash == NULL)
		return -1;
	left = xstrndup(s, (size_t)(slash - s));
	*i = (int)strtonum(left, 0, 100000, &errstr);
	free(left);
	if (errstr)
		return -1;
	*k = (int)strtonum(slash + 1, 1, 100000, &errstr);
	return errstr || *i >= *k ? -1 : 0;
}

/* --- running ----------------------------------------------------------- */

static void
finish(struct fleet *f, struct link *l)
{
	struct run_record r = l->last;

	r.when = l->start_s;
	strlcpy(r.job, f->job, sizeof(r.job));
	r.failures = l->status == EX_TEMPFAIL ? l->last.failures + 1 : 0;
	r.status = l->status;
	r.requests = l->requests;
	r.changes = l->changes;
	r.duration_ms = now_ms() - l->start_ms;
	/* what relinking is told by: only a link that needs it keeps it */
	if (l->status == EX_NOPERM || l->status == EX_CONFIG)
		run_link_print(l->name, r.link);
	else
		r.link[0] = '\0';
	if (run_record_write(l->name, &r) == -1)
		l->status = run_worse(l->status, EX_SOFTWARE);
	pthread_mutex_lock(&f->lock);
	f->status = run_worse(f->status, l->status);
	pthread_mutex_unlock(&f->lock);
}

struct out_arg {
	const char *profile;
	struct buf line;
};

/* An event of a link, tagged with the link's profile. */
static void
print_tagged(void *arg, const char *json, size_t len)
{
	struct out_arg *o = arg;
	jv ev = json_parse(json, len);

	buf_reset(&o->line);
	json_dump_buf(&o->line, json_set_str(ev, "profile", o->profile));
	buf_addc(&o->line, '\n');
	flockfile(stdout);
	fwrite(o->line.data, 1, o->line.len, stdout);
	funlockfile(stdout);
}

static void
pull_one(struct fleet *f, struct link *l)
{
	struct out_arg o = {.profile = l->name};
	struct pull_options po = {.profile = l->name, .prof = l->prof,
	    .changes = 1,
	    .from = LLONG_MIN, .to = LLONG_MAX, .record = print_tagged,
	    .arg = &o, .pacer = quota_pacer(l->quota)};
	struct pull_stats st = {0};

	l->start_s = now_s();
	l->start_ms = now_ms();
	/* a profile run_pulls could not load has said why once already */
	l->status = l->status != 0 ? l->status : pull_run(&po, &st);
	l->requests = quota_requests(l->quota);
	l->changes = st.changes;
	jv_free(l->prof);
	l->prof = jv_invalid();
	buf_free(&o.line);
	finish(f, l);
}

static void *
pull_worker(void *arg)
{
	struct fleet *f = arg;
	struct quota **qs;
	size_t i, k, n;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		i = f->next++;
		if (i < f->ndue && i % RESERVE == 0) {
			/* one visit to the quota table for the next links, before
			 * any of them starts */
			n = f->ndue - i < RESERVE ? f->ndue - i : RESERVE;
			qs = xcalloc(n, sizeof(*qs));
			for (k = 0; k < n; k++)
				qs[k] = f->due[i + k]->quota;
			quota_reserve(qs, n);
			free(qs);
		}
		pthread_mutex_unlock(&f->lock);
		if (i >= f->ndue)
			break;
		pull_one(f, f->due[i]);
	}
	return NULL;
}

static void
run_pulls(struct fleet *f)
{
	pthread_t th[MAX_JOBS];
	int i, n = f->jobs < (int)f->ndue ? f->jobs : (int)f->ndue;
	jv prof;

	for (size_t k = 0; k < f->ndue; k++) {
		if ((f->due[k]->status = state_profile_load(f->due[k]->name,
		    &prof)) == 0) {
			f->due[k]->quota = quota_open(prof);
			f->due[k]->prof = prof;
		} else {
			jv_free(prof);
			f->due[k]->prof = jv_invalid();
		}
	}
	if (n <= 1) {
		pull_worker(f);
		return;
	}
	http_shared_begin(n);
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, pull_worker, f) != 0)
			errx(EX_OSERR, "cannot start a thread");
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	http_shared_end();
}

static pid_t
spawn(struct fleet *f, struct link *l)
{
	char **env, *mine = xasprintf("GCAL_PROFILE=%s", l->name);
	char *share = xasprintf("GCAL_QUOTA_SHARD=%d/%d", f->shard, f->shards);
	size_t n, k;
	pid_t pid;
	int e;

	for (n = 0; environ[n]; n++)
		;
	env = xcalloc(n + 3, sizeof(*env));
	for (n = k = 0; environ[n]; n++)
		if (strncmp(environ[n], "GCAL_PROFILE=", 13) != 0 &&
		    strncmp(environ[n], "GCAL_QUOTA_SHARD=", 17) != 0)
			env[k++] = environ[n];
	env[k++] = mine;
	/* the child's governor spends this shard's share too */
	env[k] = share;
	l->start_s = now_s();
	l->start_ms = now_ms();
	if ((e = posix_spawnp(&pid, f->argv[0], NULL, NULL, f->argv, env)) != 0) {
		warnx("profile '%s': cannot run '%s': %s", l->name, f->argv[0],
		    strerror(e));
		pid = -1;
	}
	free(env);
	free(mine);
	free(share);
	return pid;
}

/* A child job for each link, at most f->jobs at once. */
static void
run_children(struct fleet *f)
{
	size_t next = 0, i;
	int running = 0, st;
	pid_t pid;

	while (next < f->ndue || running > 0) {
		while (running < f->jobs && next < f->ndue) {
			struct link *l = f->due[next++];

			if ((l->pid = spawn(f, l)) == -1) {
				l->status = EX_UNAVAILABLE;
				finish(f, l);
			} else
				running++;
		}
		if (running == 0)
			continue;
		if ((pid = waitpid(-1, &st, 0)) == -1) {
			if (errno == EINTR)
				continue;
			err(EX_OSERR, "waitpid");
		}
		for (i = 0; i < next && f->due[i]->pid != pid; i++)
			;
		if (i == next)
			continue;
		running--;
		f->due[i]->pid = 0;
		f->due[i]->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    128 + WTERMSIG(st);
		finish(f, f->due[i]);
	}
}

/* Which links are due now; the others are skipped (and reported, when
 * they need a human). */
static void
pick_due(struct fleet *f, char **names)
{
	long long now = now_s() * 1000;
	enum run_health h;
	struct link *l;
	char **p;
	int rc;

	for (p = names; *p; p++) {
		l = xcalloc(1, sizeof(*l));
		l->name = *p;
		l->requests = l->changes = -1;
		if ((rc = run_record_read(*p, &l->last)) == -2) {
			/* a newer gcal's: said; neither run nor replaced */
			f->status = run_worse(f->status, EX_CONFIG);
			free(l);
			continue;
		} else if (rc == -1) {
			/* damaged: said; the run replaces it */
			f->status = run_worse(f->status, EX_CONFIG);
			memset(&l->last, 0, sizeof(l->last));
		}
		if (l->last.when && (l->last.status == EX_NOPERM ||
		    l->last.status == EX_CONFIG))
			run_link_print(*p, l->fp);
		h = run_health_of(&l->last, l->fp);
		if (h == RUN_HUMAN) {
			warnx("profile '%s': skipped: its last run ended %d; link "
			    "it again (gcal-auth login -p %s)", *p, l->last.status, *p);
			f->status = run_worse(f->status, l->last.status);
		} else if (run_next_due(*p, &l->last, &f->sched, l->fp) <= now) {
			f->due = xreallocarray(f->due, f->ndue + 1, sizeof(*f->due));
			f->due[f->ndue++] = l;
			continue;
		} else if (verbose)
			warnx("profile '%s': not due yet", *p);
		free(l);
	}
}

/* --- main -------------------------------------------------------------- */

static char **
job_argv(const char *job, int argc, char **argv)
{
	char **v = xcalloc((size_t)argc + 2, sizeof(*v));
	int i, k = 0;

	if (strcmp(job, "sync") == 0)
		v[k++] = "gcal-sync";
	else if (strcmp(job, "forward-apply") == 0)
		v[k++] = "forward-apply";
	for (i = 0; i < argc; i++)
		v[k++] = argv[i];
	return v;
}

static int
usage_error(const char *msg, const char *what)
{
	warnx(msg, what);
	fprintf(stderr, "Try 'gcal-run --help'.\n");
	return EX_USAGE;
}

struct args {
	const char *profiles, *filter;
	int prometheus;
};

static int
is_job(const char *s)
{
	return strcmp(s, "pull") == 0 || strcmp(s, "sync") == 0 ||
	    strcmp(s, "forward-apply") == 0 || strcmp(s, "exec") == 0 ||
	    strcmp(s, "status") == 0;
}

/* Options before the job and after it (exec: up to its command), each
 * checked against the job; f->argv for a child job. */
static int
parse_args(struct fleet *f, struct args *a, int argc, char **argv)
{
	int key, keys[64], nkeys = 0, pass, i;
	const char *arg;
	struct cli *c;

	cli_synopsis = synopsis;
	for (pass = 0; pass < 2; pass++) {
		c = cli_new(options, pass == 0 || strcmp(f->job, "exec") == 0);
		while ((key = cli_next(c, argc, argv, &arg)) != -1) {
			if (nkeys < 64)
				keys[nkeys++] = key;
			switch (key) {
			case 'j':
				f->jobs = (int)cli_number("-j", arg, 1, MAX_JOBS);
				break;
			case OPT_SHARD:
				if (parse_shard(arg, &f->shard, &f->shards) == -1) {
					cli_free(c);
					return usage_error("--shard '%s': not I/K with "
					    "0 <= I < K", arg);
				}
				break;
			case OPT_PROFILES:
				a->profiles = arg;
				break;
			case OPT_FILTER:
				a->filter = arg;
				break;
			case OPT_EVERY:
				if ((f->sched.every_ms = run_parse_duration(arg)) == -1) {
					cli_free(c);
					return usage_error("--every '%s': not a duration "
					    "(N, Ns, Nm, Nh or Nd)", arg);
				}
				break;
			case OPT_JITTER:
				f->sched.jitter_pct = (int)cli_number("--jitter", arg, 0, 50);
				break;
			case OPT_PROMETHEUS:
				a->prometheus = 1;
				break;
			}
		}
		cli_free(c);
		if (pass == 1)
			break;
		if (optind >= argc)
			return usage_error("%s", "no job: pull, sync, forward-apply, "
			    "exec CMD or status");
		f->job = argv[optind];
		if (!is_job(f->job))
			return usage_error("unknown job '%s'", f->job);
		/* the job's own options follow it */
		argc -= optind;
		argv += optind;
		optind = 0;
	}
	c = cli_new(options, 0);
	for (i = 0; i < nkeys; i++)
		cli_check_cmd(c, keys[i], f->job);
	cli_free(c);
	argc -= optind;
	argv += optind;
	if (strcmp(f->job, "exec") == 0 && argc == 0)
		return usage_error("%s", "exec needs a command");
	if ((strcmp(f->job, "pull") == 0 || strcmp(f->job, "status") == 0) &&
	    argc > 0)
		return usage_error("unexpected operand '%s'", argv[0]);
	f->argv = job_argv(f->job, argc, argv);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct fleet f = {.jobs = DEFAULT_JOBS, .shards = 1,
	    .sched = {.jitter_pct = 25}, .lock = PTHREAD_MUTEX_INITIALIZER};
	struct args a = {0};
	char **names;
	size_t k;
	int rc = 0;

	if ((rc = parse_args(&f, &a, argc, argv)) != 0)
		return rc;
	http_check_env();
	quota_set_shard(f.shard, f.shards);
	names = run_select(a.profiles, a.filter, f.shard, f.shards, &rc);
	if (strcmp(f.job, "status") == 0) {
		rc = run_status_print(names, a.prometheus ? RUN_STATUS_PROMETHEUS :
		    isatty(STDOUT_FILENO) ? RUN_STATUS_SUMMARY : RUN_STATUS_NDJSON);
		state_free_list(names);
		free(f.argv);
		return finish_stdout(rc);
	}
	f.status = rc;
	pick_due(&f, names);
	if (strcmp(f.job, "pull") == 0)
		run_pulls(&f);
	else
		run_children(&f);
	if (f.ndue > 0)
		note("%s: %zu %s run", f.job, f.ndue, plural((long long)f.ndue,
		    "link", "links"));
	for (k = 0; k < f.ndue; k++) {
		quota_close(f.due[k]->quota);
		free(f.due[k]);
	}
	free(f.due);
	free(f.argv);
	state_free_list(names);
	http_cleanup();
	return finish_stdout(f.status);
}
