/* forward-apply: turn calendar events whose title is a telephone number
 * into call forwarding for an extension, applied through a backend.
 * See forward-apply(1). */
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "events.h"
#include "forward.h"
#include "http.h"
#include "json.h"
#include "phone.h"
#include "child.h"
#include "state.h"
#include "stop.h"
#include "util.h"
#include "zone.h"

extern char **environ;

/* Seconds to wait for the lock of a run still busy with the extension. */
#define LOCK_WAIT 30

enum {
	OPT_AT = CLI_FIRST_LONG, OPT_STATE, OPT_EXEC, OPT_POST, OPT_BODY,
	OPT_BODY_FILE, OPT_EXPLAIN, OPT_TZ, OPT_LENGTHS, OPT_CC,
};

static const struct cli_option options[] = {
	{"extension", 'e', "EXT", NULL, "the telephone extension whose calls are forwarded"},
	{"profile", 'p', "PROFILE", NULL, "the link the events come from: where the state is kept"},
	{"at", OPT_AT, "TIME", NULL, "the time to apply (RFC 3339 or a date; default: now)"},
	{"state", OPT_STATE, "FILE", NULL, "the last applied forward (default: in the profile's state)"},
	{"exec", OPT_EXEC, "CMD", NULL, "apply by running CMD EXT TARGET... (split on blanks, no shell)"},
	{"post", OPT_POST, "URL", NULL, "apply by an HTTP POST of a JSON body to URL"},
	{"body", OPT_BODY, "JQ", NULL, "a jq program making the POST body of the transition"},
	{"body-file", OPT_BODY_FILE, "FILE", NULL, "read the --body program from FILE"},
	{"dry-run", 'n', NULL, NULL, "print the transition, apply nothing, keep the state"},
	{"explain", OPT_EXPLAIN, NULL, NULL, "print for each event whether it is a forward, and why"},
	{"time-zone", OPT_TZ, "TZ", NULL, "the calendar's time zone for all-day events (default: $TZ)"},
	{"internal-lengths", OPT_LENGTHS, "LEN", NULL, "digits of an internal extension: N or N-M (default 2-5)"},
	{"country-code", OPT_CC, "CC", NULL, "write national numbers as +CC and the number (E.164)"},
	{"verbose", 'v', NULL, NULL, "trace the HTTP exchange of --post on stderr"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"-e EXT [-nqv] [-p PROFILE] [--at TIME] [--state FILE] "
	    "[--exec CMD | --post URL [--body JQ | --body-file FILE]] [--explain] "
	    "[--time-zone TZ] [--internal-lengths LEN] [--country-code CC]",
	NULL,
};

struct run {
	const char *ext;
	const char *exec;
	const char *post;
	struct jqprog *body;
	int dry_run;
	int explain;
	struct forward_rules rules;
};

static void
usage_error(const char *fmt, const char *arg)
{
	warnx(fmt, arg);
	cli_try_help();
	exit(EX_USAGE);
}

/* A zone name of the zoneinfo files, or a POSIX TZ string (lib/zone.h);
 * anything else would silently mean UTC. */
static int
known_zone(const char *tz)
{
	long off;

	return zone_offset(tz, 0, &off) == 0;
}

static char *
joined(jv arr, const char *sep)
{
	struct buf b = {0};
	int i, n = jv_array_length(jv_copy(arr));

	buf_adds(&b, "");
	for (i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(arr), i);

		if (i > 0)
			buf_adds(&b, sep);
		buf_adds(&b, jv_string_value(s));
		jv_free(s);
	}
	return buf_take(&b);
}

/* --- backends: each returns 0 once the telephone system confirmed ---- */

static char *
env_entry(const char *name, const char *value)
{
	return xasprintf("%s=%s", name, value);
}

/* CMD split on blanks (words cuts in place), then EXT and the targets:
 * argv, never a shell. */
static void
exec_argv(struct child_strv *argv, char *words, const char *ext, jv to)
{
	char *w;
	int i, n = jv_array_length(jv_copy(to));

	while ((w = strsep(&words, " \t")) != NULL)
		if (*w != '\0')
			child_strv_add(argv, w, 0);
	child_strv_add(argv, (char *)ext, 0);
	for (i = 0; i < n; i++) {
		jv t = jv_array_get(jv_copy(to), i);

		child_strv_add(argv, xstrdup(jv_string_value(t)), 1);
		jv_free(t);
	}
}

/* Our environment without any GCAL_EXTENSION, GCAL_TARGETS, GCAL_FROM
 * or GCAL_TRANSITION it had, and then ours: forward-apply(1), --exec. */
static void
exec_envp(struct child_strv *envp, const char *ext, jv rec)
{
	static const char *const ours[] = {"GCAL_EXTENSION=", "GCAL_TARGETS=",
	    "GCAL_FROM=", "GCAL_TRANSITION=", NULL};
	jv to = json_get(rec, "to"), from = json_get(rec, "from");
	char *s;
	size_t i, k;
	int skip;

	for (i = 0; environ[i]; i++) {
		for (skip = 0, k = 0; ours[k] && !skip; k++)
			skip = strncmp(environ[i], ours[k], strlen(ours[k])) == 0;
		if (!skip)
			child_strv_add(envp, environ[i], 0);
	}
	child_strv_add(envp, env_entry("GCAL_EXTENSION", ext), 1);
	s = joined(to, " ");
	child_strv_add(envp, env_entry("GCAL_TARGETS", s), 1);
	free(s);
	s = joined(from, " ");
	child_strv_add(envp, env_entry("GCAL_FROM", s), 1);
	free(s);
	s = json_dump(jv_copy(rec));
	child_strv_add(envp, env_entry("GCAL_TRANSITION", s), 1);
	free(s);
	jv_free(to);
	jv_free(from);
}

/* The --exec backend: CMD EXT TARGET... with the transition in the
 * environment. 0 once it exited 0. */
static int
apply_exec(const struct run *r, jv rec, char **why)
{
	struct child_strv argv = {0}, envp = {0};
	char *words = xstrdup(r->exec);
	jv to = json_get(rec, "to");
	int status, rc;

	exec_argv(&argv, words, r->ext, to);
	exec_envp(&envp, r->ext, rec);
	if ((rc = child_run(argv.v, envp.v, http_timeout(), &status)) > 0) {
		*why = xasprintf("--exec '%s': %s", argv.v[0], strerror(rc));
		rc = EX_UNAVAILABLE;
	} else if (rc == -1) {
		*why = xasprintf("--exec '%s': still running after %ld s (GCAL_TIMEOUT), "
		    "stopped", argv.v[0], http_timeout());
		rc = EX_TEMPFAIL;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		*why = xasprintf("--exec '%s': exited with status %d", argv.v[0],
		    WEXITSTATUS(status));
		rc = EX_UNAVAILABLE;
	} else if (WIFSIGNALED(status)) {
		*why = xasprintf("--exec '%s': killed by signal %d", argv.v[0],
		    WTERMSIG(status));
		rc = EX_UNAVAILABLE;
	}
	child_strv_free(&argv);
	child_strv_free(&envp);
	free(words);
	jv_free(to);
	return rc;
}

/* The POST body: the --body program's one value, or the record itself. */
static int
post_body(const struct run *r, jv rec, char **body, char **why)
{
	jv out, extra;
	int rc;

	if (r->body == NULL) {
		*body = json_dump(jv_copy(rec));
		return 0;
	}
	jqprog_start(r->body, jv_copy(rec));
	if ((rc = jqprog_next(r->body, &out)) != 1) {
		if (rc == -1) {
			char *m = json_error_text(out);

			*why = xasprintf("--body: %s", m);
			free(m);
		} else
			*why = xstrdup("--body: the program gave no value");
		return EX_DATAERR;
	}
	/* one request per transition: a second value would be lost */
	if ((rc = jqprog_next(r->body, &extra)) != 0) {
		jv_free(out);
		jv_free(extra);
		while (jqprog_next(r->body, &extra) == 1)
			jv_free(extra);
		*why = xstrdup("--body: the program gave more than one value");
		return EX_DATAERR;
	}
	*body = json_dump(out);
	return 0;
}

static int
apply_post(const struct run *r, jv rec, char **why)
{
	struct http_request req = {
		.method = "POST",
		.host = HOST_URL,
		.path = r->post,
		.content_type = "application/json",
	};
	struct http_response resp = {0};
	char *body = NULL, *shown;
	const char *msg;
	jv e;
	int rc;

	if ((rc = post_body(r, rec, &body, why)) != 0)
		return rc;
	req.body = body;
	req.body_len = strlen(body);
	shown = http_url_shown(r->post);
	if ((rc = http_do(&req, &resp)) != 0) {
		*why = xasprintf("--post: %s", http_error());
	} else if (resp.status < 200 || resp.status > 299) {
		*why = xasprintf("--post %s: HTTP status %ld", shown,
		    resp.status);
		rc = resp.status >= 500 || resp.status == 429 ? EX_TEMPFAIL :
		    EX_UNAVAILABLE;
	} else if (jv_get_kind(resp.json) == JV_KIND_OBJECT) {
		/* JSON-RPC reports its errors in a 200 answer */
		e = json_get(resp.json, "error");
		if (jv_get_kind(e) != JV_KIND_NULL) {
			msg = jv_get_kind(e) == JV_KIND_OBJECT ? json_str(e, "message") :
			    NULL;
			*why = xasprintf("--post %s: the answer has an error: %s",
			    shown, msg ? msg : "(no message)");
			rc = EX_UNAVAILABLE;
		}
		jv_free(e);
	}
	free(shown);
	http_response_free(&resp);
	free(body);
	return rc;
}

/* --- one run ----------------------------------------------------------- */

/* Read the events and collect the active targets. 0, EX_DATAERR or
 * EX_NOINPUT. */
static int
read_events(const struct run *r, struct forward_set *targets,
    struct forward_set *ids)
{
	struct ndjson_reader *in = ndjson_open("-");
	struct forward_verdict v;
	const char *id, *why;
	jv ev;
	int rc;

	if (in == NULL) {
		warn("'<stdin>'");
		return EX_NOINPUT;
	}

	while ((rc = ndjson_read(in, &ev)) == 1) {
		if ((why = event_check(ev)) != NULL) {
			warnx("'<stdin>' line %zu: %s", ndjson_lineno(in), why);
			jv_free(ev);
			ndjson_close(in);
			return EX_DATAERR;
		}
		forward_judge(ev, &r->rules, &v);
		if (v.taken) {
			forward_set_add(targets, v.target);
			if ((id = json_str(ev, "id")) != NULL)
				forward_set_add(ids, id);
		}
		if (r->explain)
			json_print(stdout, forward_explain(ev, &v));
		jv_free(ev);
	}
	if (rc == -1) {
		warnx("%s", ndjson_error(in));
		rc = ndjson_status(in);
	}
	ndjson_close(in);
	return rc;
}

static int
apply(const struct run *r, const char *state)
{
	struct forward_set targets = {0}, ids = {0};
	char at[32], *why = NULL;
	jv from = jv_invalid(), to, rec;
	int rc;

	if ((rc = read_events(r, &targets, &ids)) != 0)
		goto out;
	errno = 0;
	from = forward_state_read(state);
	if (!jv_is_valid(from)) {
		/* a file that cannot be read is 66, a newer gcal's 78, one
		 * that is not ours 65 */
		rc = errno == EISDIR || errno == EACCES || errno == EIO ?
		    EX_NOINPUT : errno == ENOTSUP ? EX_CONFIG : EX_DATAERR;
		why = json_error_text(from);
		from = jv_invalid();
		warnx("'%s': %s", state, why);
		goto out;
	}
	to = forward_set_array(&targets);
	time_rfc3339(r->rules.at, at);
	rec = json_set_str(jv_object(), "extension", r->ext);
	rec = jv_object_set(rec, jv_string("from"), jv_copy(from));
	rec = jv_object_set(rec, jv_string("to"), jv_copy(to));
	rec = jv_object_set(rec, jv_string("events"), forward_set_array(&ids));
	rec = json_set_str(rec, "at", at);
	if (jv_equal(jv_copy(from), to)) {
		if (r->explain)
			json_print(stdout, json_set_str(rec, "result", "unchanged"));
		else
			jv_free(rec);
		goto out;
	}
	if (r->dry_run) {
		json_print(stdout, json_set_str(rec, "result", "dry-run"));
		goto out;
	}
	rc = r->exec ? apply_exec(r, rec, &why) : apply_post(r, rec, &why);
	/* the telephone system has it, the state not yet */
	stop_point(r->exec ? "exec" : "post");
	if (rc != 0) {
		warnx("extension %s: %s", r->ext, why);
		rec = json_set_str(rec, "error", why);
		json_print(stdout, json_set_str(rec, "result", "failed"));
		goto out;
	}
	rec = json_set_str(rec, "result", "applied");
	/* only now: a failed backend call is tried again by the next run */
	if (state_write_kind(state, STATE_FORWARD, jv_copy(rec)) == -1) {
		warn("'%s': the forward is applied, but not recorded", state);
		rc = EX_SOFTWARE;
	}
	json_print(stdout, rec);
out:
	jv_free(from);
	free(why);
	forward_set_free(&targets);
	forward_set_free(&ids);
	return rc;
}

/* The options that go together, and the ones that cannot (64). */
static void
check_run(const struct run *r, const char *body, const char *body_file)
{
	if (r->ext == NULL)
		usage_error("%s", "no extension: give -e EXT");
	/* it names the state file */
	if (!state_valid_profile(r->ext))
		usage_error("extension '%s': use letters, digits, '.', '_', '-', "
		    "'@', '+'", r->ext);
	if (r->exec && r->post)
		usage_error("%s", "--exec and --post: give one backend");
	if (!r->exec && !r->post && !r->dry_run)
		usage_error("%s", "no backend: give --exec, --post or --dry-run");
	if (r->exec && strspn(r->exec, " \t") == strlen(r->exec))
		usage_error("%s", "--exec: an empty command");
	if ((body || body_file) && !r->post)
		usage_error("%s", "--body and --body-file go with --post");
	if (body && body_file)
		usage_error("%s", "--body and --body-file: give one");
	if (r->post && strncmp(r->post, "http://", 7) != 0 &&
	    strncmp(r->post, "https://", 8) != 0)
		usage_error("--post '%s': not an http:// or https:// URL", r->post);
}

/* The --body program, or the one in --body-file (66 when it cannot be
 * read); NULL with a message when it does not compile. */
static struct jqprog *
body_program(const char *body, const char *body_file)
{
	struct jqprog *prog;
	char *text = NULL, *why;

	if (body_file) {
		jv file = jv_load_file(body_file, 1);

		if (!jv_is_valid(file)) {
			why = json_error_text(file);
			errx(EX_NOINPUT, "--body-file '%s': %s", body_file, why);
		}
		text = xstrdup(jv_string_value(file));
		jv_free(file);
		body = text;
	}
	if ((prog = jqprog_new(body, &why)) == NULL) {
		warnx("--body: %s", why);
		free(why);
	}
	free(text);
	return prog;
}

/* Long: over 80 lines for its switch, one case per option of the table. */
int
main(int argc, char *argv[])
{
	struct run r = {.rules = {.phone = {.ext_min = 2, .ext_max = 5}}};
	const char *arg, *at = NULL, *state_opt = NULL, *body = NULL;
	const char *body_file = NULL;
	char *state;
	struct cli *c;
	int key, rc, lock = -1;

	cli_synopsis = synopsis;
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'e':
			r.ext = r.rules.ext = arg;
			break;
		case 'p':
			state_set_profile(arg);
			break;
		case OPT_AT:
			at = arg;
			break;
		case OPT_STATE:
			state_opt = arg;
			break;
		case OPT_EXEC:
			r.exec = arg;
			break;
		case OPT_POST:
			r.post = arg;
			break;
		case OPT_BODY:
			body = arg;
			break;
		case OPT_BODY_FILE:
			body_file = arg;
			break;
		case 'n':
			r.dry_run = 1;
			break;
		case OPT_EXPLAIN:
			r.explain = 1;
			break;
		case OPT_TZ:
			if (!known_zone(arg))
				usage_error("--time-zone '%s': unknown time zone", arg);
			r.rules.tz = arg;
			break;
		case OPT_LENGTHS:
			if (phone_lengths(arg, &r.rules.phone.ext_min,
			    &r.rules.phone.ext_max) == -1)
				usage_error("--internal-lengths '%s': not N-M with "
				    "1 <= N <= M <= 15", arg);
			break;
		case OPT_CC:
			if (arg[0] < '1' || arg[0] > '9' || strlen(arg) > 3 ||
			    strspn(arg, "0123456789") != strlen(arg))
				usage_error("--country-code '%s': not a country "
				    "calling code (1 to 3 digits, e.g. 31)", arg);
			r.rules.phone.country = arg;
			break;
		}
	}
	cli_free(c);
	if (optind != argc)
		usage_error("unexpected operand '%s'", argv[optind]);
	check_run(&r, body, body_file);
	if (at == NULL)
		r.rules.at = now_s();
	else if (time_parse(at, r.rules.tz, &r.rules.at) == -1)
		usage_error("--at '%s': not an RFC 3339 time or a date "
		    "(2026-11-23T10:00:00+01:00, 2026-11-23)", at);
	if ((body || body_file) && (r.body = body_program(body, body_file)) == NULL)
		return EX_USAGE;
	state = state_opt ? xstrdup(state_opt) :
	    forward_state_path(state_profile(), r.ext);
	/* A dry run changes nothing, so it need not wait for a busy run. */
	if (!r.dry_run && (lock = forward_lock(state, LOCK_WAIT, &rc)) == -1)
		goto out;
	if (at == NULL)
		r.rules.at = now_s(); /* the time the run really starts */
	rc = apply(&r, state);
	state_unlock(lock);
out:
	free(state);
	jqprog_free(r.body);
	http_cleanup();
	return finish_stdout(rc);
}
