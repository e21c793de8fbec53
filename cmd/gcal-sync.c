/* gcal-sync: keep a local system's records and a profile's calendar in
 * step, both ways. It owns the base (what both sides last agreed on) and
 * a journal of the writes it is about to make; gcal-pull reads Google,
 * lib/diff.c compares the three sets, gcal-push writes Google, and the
 * local side gets change records. See gcal-sync(1). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "calendar.h"
#include "cli.h"
#include "diff.h"
#include "events.h"
#include "http.h"
#include "json.h"
#include "lines.h"
#include "state.h"
#include "util.h"

/* Google's limit on a private extended property's value (Calendar API,
 * "Extended properties"): the key's JSON text is kept in one. */
#define KEY_MAX 1024
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

enum side { REMOTE, LOCAL };

/* One identity: what each set has for it, and what this run did. */
struct ent {
	char *id;
	char *local;      /* the local record as compared, or NULL */
	size_t lline;     /* its line in the export */
	jv key;           /* its local key, or invalid */
	char *remote;     /* the event in Google as compared, or NULL */
	jv attendees;     /* Google's guest list (--attendees omit), or invalid */
	char *base;       /* what both sides agreed on, or NULL */
	int changed;      /* a change record names it */
	int own_id;       /* the local record came with its own "id" */
	int settled;      /* confirmed: newbase is the base now */
	char *newbase;
	int intent;       /* a write of this run: 0, or 1 + side */
	jv want;          /* what that write makes the side hold (null: none) */
};

static struct {
	struct ent **v;
	size_t n;
	struct ent **tab;
	size_t cap;
} ents;

static const char *owner = "gcal";
static const char *push_batch, *push_rate; /* for gcal-push, checked */
static const char *calendar;  /* the profile's */
static int omit_attendees;
static struct jqprog *keyprog;
static const char *keytext;
static char *dir, *run_dir;
static long stop_after = -1, stops;
static int base_on_disk;     /* base.ndjson is there (as read) */
static size_t base_read;     /* its events, before a journal is taken in */

/* --- identities ---------------------------------------------------------- */

static struct ent *
ent_get(const char *id, int create)
{
	size_t i, k;
	struct ent *e, **old;

	if (ents.cap == 0 || (create && 2 * (ents.n + 1) > ents.cap)) {
		old = ents.tab;
		k = ents.cap;
		ents.cap = ents.cap ? 2 * ents.cap : 1024;
		ents.tab = xcalloc(ents.cap, sizeof(*ents.tab));
		for (i = 0; i < k; i++)
			if (old[i]) {
				size_t j = lines_hash(old[i]->id, strlen(old[i]->id)) &
				    (ents.cap - 1);
				while (ents.tab[j])
					j = (j + 1) & (ents.cap - 1);
				ents.tab[j] = old[i];
			}
		free(old);
	}
	for (i = lines_hash(id, strlen(id)) & (ents.cap - 1); ents.tab[i];
	    i = (i + 1) & (ents.cap - 1))
		if (strcmp(ents.tab[i]->id, id) == 0)
			return ents.tab[i];
	if (!create)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->id = xstrdup(id);
	e->key = jv_invalid();
	e->attendees = jv_invalid();
	e->want = jv_invalid();
	ents.tab[i] = e;
	ents.v = xreallocarray(ents.v, ents.n + 1, sizeof(*ents.v));
	ents.v[ents.n++] = e;
	return e;
}

static void
ents_free(void)
{
	size_t i;

	for (i = 0; i < ents.n; i++) {
		struct ent *e = ents.v[i];

		free(e->id);
		free(e->local);
		free(e->remote);
		free(e->base);
		free(e->newbase);
		jv_free(e->key);
		jv_free(e->attendees);
		jv_free(e->want);
		free(e);
	}
	free(ents.v);
	free(ents.tab);
}

/* A cancelled instance of a recurring event is no deletion but an
 * exception of its series, which each side must hold: it is compared
 * under a status of its own, as what makes it one. */
#define CANCELLED_INSTANCE "cancelledInstance"

static int
is_instance(jv ev)
{
	return json_str(ev, "recurringEventId") != NULL;
}

/* An event as the sync compares it: without guests under omit, a
 * cancelled instance as just that. Consumes ev. */
static jv
view(jv ev)
{
	static const char *const keep[] = {"id", "recurringEventId",
	    "originalStartTime", "extendedProperties", "etag"};
	size_t i;
	jv out, v;

	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return ev;
	if (omit_attendees)
		ev = jv_object_delete(ev, jv_string("attendees"));
	if (event_cancelled(ev) && is_instance(ev)) {
		out = json_set_str(jv_object(), "status", CANCELLED_INSTANCE);
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			v = json_get(ev, keep[i]);
			if (jv_get_kind(v) != JV_KIND_NULL)
				out = jv_object_set(out, jv_string(keep[i]), v);
			else
				jv_free(v);
		}
		jv_free(ev);
		return out;
	}
	return ev;
}

/* An event as it leaves: Google's status again. Consumes ev. */
static jv
unview(jv ev)
{
	const char *st = json_str(ev, "status");

	if (st && strcmp(st, CANCELLED_INSTANCE) == 0)
		ev = json_set_str(ev, "status", "cancelled");
	return ev;
}

/* A record as it leaves: every event in it as Google has them. */
static jv
unview_record(jv rec)
{
	static const char *const fields[] = {"event", "local", "remote", "base"};
	size_t i;
	jv v;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		v = json_get(rec, fields[i]);
		if (jv_get_kind(v) == JV_KIND_OBJECT)
			rec = jv_object_set(rec, jv_string(fields[i]), unview(v));
		else
			jv_free(v);
	}
	return rec;
}

static int
same_text(const char *a, const char *b)
{
	jv x, y;
	int r;

	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a, b) == 0)
		return 1;
	x = json_parse(a, strlen(a));
	y = json_parse(b, strlen(b));
	r = jv_is_valid(x) && jv_is_valid(y) && event_same(x, y);
	jv_free(x);
	jv_free(y);
	return r;
}

/* The key an event's mark holds, or invalid. Borrows ev. */
static jv
mark_key(jv ev)
{
	const char *k = json_strpath(ev, "extendedProperties", "private",
	    EVENT_KEY_JSON_PROP, NULL);
	jv v;

	if (k && jv_is_valid(v = json_parse(k, strlen(k))))
		return v;
	if (k)
		jv_free(v);
	if ((k = event_mark_key(ev)) != NULL)
		return jv_string(k);
	return jv_invalid();
}

static jv
ent_key(struct ent *e)
{
	const char *src[] = {e->base, e->remote};
	size_t i;
	jv ev, k;

	if (jv_is_valid(e->key))
		return jv_copy(e->key);
	for (i = 0; i < 2; i++) {
		if (src[i] == NULL)
			continue;
		ev = json_parse(src[i], strlen(src[i]));
		k = mark_key(ev);
		jv_free(ev);
		if (jv_is_valid(k))
			return k;
	}
	return jv_invalid();
}

/* rec with the identity's key, when it has one; consumes rec. */
static jv
with_key(jv rec, struct ent *e)
{
	jv key = ent_key(e);

	if (jv_is_valid(key))
		return jv_object_set(rec, jv_string("key"), key);
	jv_free(key);
	return rec;
}

/* --- files --------------------------------------------------------------- */

static char *
run_path(const char *name)
{
	return xasprintf("%s/%s", run_dir, name);
}

static FILE *
create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	FILE *fp;

	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL)
		err(EX_CANTCREAT, "'%s'", path);
	return fp;
}

static void
finish(FILE *fp, const char *path)
{
	if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF)
		err(EX_IOERR, "'%s'", path);
}

/* Write the lines of one set (which: 0 local, 1 remote, 2 base). */
static char *
write_set(const char *name, int which)
{
	char *path = run_path(name);
	FILE *fp = create(path);
	size_t i;
	const char *s;

	for (i = 0; i < ents.n; i++) {
		s = which == 0 ? ents.v[i]->local : which == 1 ?
		    ents.v[i]->remote : ents.v[i]->base;
		if (s)
			fprintf(fp, "%s\n", s);
	}
	finish(fp, path);
	return path;
}

/* The base, atomically: a file of lines, each the event both sides held. */
static void
write_base(int final)
{
	struct buf b = {0};
	char *path;
	size_t i;
	const char *s;
	int same = final;

	/* a run that changed nothing writes nothing (and syncs no disk) */
	for (i = 0; i < ents.n && same; i++) {
		const char *was = ents.v[i]->base, *now = ents.v[i]->settled ?
		    ents.v[i]->newbase : was;

		same = was == now || (was && now && strcmp(was, now) == 0);
	}
	if (same && base_on_disk)
		return;
	path = xasprintf("%s/base.ndjson", dir);
	for (i = 0; i < ents.n; i++) {
		s = final ? (ents.v[i]->settled ? ents.v[i]->newbase :
		    ents.v[i]->base) : ents.v[i]->base;
		if (s) {
			buf_adds(&b, s);
			buf_addc(&b, '\n');
		}
	}
	if (state_write(path, b.data ? b.data : "", b.len) == -1)
		err(EX_CANTCREAT, "'%s'", path);
	buf_free(&b);
	free(path);
}

/* The journal: the writes under way, each with what it makes its side
 * hold. Written before any of them is made; a write whose side holds
 * what it says (seen by the next run) is agreed, whatever became of the
 * run that made it. Only those not confirmed stay after a run. */
static void
write_journal(int only_open)
{
	struct buf b = {0};
	char *path = xasprintf("%s/journal.ndjson", dir);
	size_t i;
	jv rec;

	for (i = 0; i < ents.n; i++) {
		struct ent *e = ents.v[i];

		if (!e->intent || (only_open && e->settled))
			continue;
		rec = json_set_str(jv_object(), "id", e->id);
		rec = json_set_str(rec, "side", e->intent == 1 + LOCAL ?
		    "local" : "remote");
		rec = jv_object_set(rec, jv_string("want"), jv_copy(e->want));
		json_dump_buf(&b, rec);
		buf_addc(&b, '\n');
	}
	if (b.len == 0) {
		if (state_remove(path) == -1)
			err(EX_CANTCREAT, "'%s'", path);
	} else if (state_write(path, b.data, b.len) == -1)
		err(EX_CANTCREAT, "'%s'", path);
	buf_free(&b);
	free(path);
}

/* Test knob: $GCAL_SYNC_STOP_AFTER=N ends the run at its Nth stop point,
 * as a kill there would (gcal-sync(1), ENVIRONMENT). */
static void
stop_point(void)
{
	if (stop_after >= 0 && ++stops >= stop_after) {
		fflush(stdout);
		_exit(EX_TEMPFAIL);
	}
}

/* --- children ------------------------------------------------------------ */

static char *self_dir;

/* Run argv (argv[0] a program of ours, found beside gcal-sync first, or
 * "/bin/sh") with stdin and stdout from files (NULL: /dev/null, or ours
 * for stdout). Its exit status, or 128 + signal. */
static int
run(char *const argv[], const char *in, const char *out)
{
	pid_t pid;
	int status, fd;
	char *path;

	fflush(stdout);
	if ((pid = fork()) == -1)
		err(EX_OSERR, "fork");
	if (pid == 0) {
		fd = open(in ? in : "/dev/null", O_RDONLY);
		if (fd == -1 || dup2(fd, 0) == -1)
			err(EX_OSERR, "'%s'", in ? in : "/dev/null");
		if (out) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd == -1 || dup2(fd, 1) == -1)
				err(EX_OSERR, "'%s'", out);
		}
		if (argv[0][0] != '/' && self_dir) {
			path = xasprintf("%s/%s", self_dir, argv[0]);
			if (access(path, X_OK) == 0)
				execv(path, argv);
			free(path);
		}
		execvp(argv[0], argv);
		warn("'%s'", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(EX_OSERR, "waitpid");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int
shell(const char *cmd, const char *in, const char *out)
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};

	return run(argv, in, out);
}

/* --- the local side ------------------------------------------------------ */

/* The identity of a local record: its "id", else the one of its key. */
static int
local_identity(jv *rec, const char *name, size_t line, char **id, jv *keyout)
{
	const char *s = json_str(*rec, "id");
	jv key = jv_invalid(), out;
	char *text, *why;
	int rc;

	if (keyprog) {
		jqprog_start(keyprog, jv_copy(*rec));
		rc = jqprog_next(keyprog, &out);
		if (rc == -1) {
			why = json_error_text(out);
			warnx("'%s' line %zu: --key '%s' failed: %s", name, line,
			    keytext, why);
			free(why);
			return EX_DATAERR;
		}
		if (rc == 1 && jv_get_kind(out) != JV_KIND_NULL)
			key = out;
		else if (rc == 1)
			jv_free(out);
	}
	*keyout = jv_invalid();
	if (s && *s) {
		*id = xstrdup(s);
	} else if (!jv_is_valid(key)) {
		warnx("'%s' line %zu: no \"id\", and %s", name, line, keyprog ?
		    "its key is missing or null" : "no --key to derive one from");
		return EX_DATAERR;
	} else {
		if (jv_get_kind(key) == JV_KIND_STRING &&
		    strlen(jv_string_value(key)) !=
		    (size_t)jv_string_length_bytes(jv_copy(key))) {
			jv_free(key);
			warnx("'%s' line %zu: the key holds a NUL character", name,
			    line);
			return EX_DATAERR;
		}
		*id = event_id_for_json(owner, key);
	}
	if (jv_is_valid(key)) {
		text = json_dump(jv_copy(key));
		if (strlen(text) > KEY_MAX) {
			warnx("'%s' line %zu: a key of more than %d bytes of JSON",
			    name, line, KEY_MAX);
			free(text);
			free(*id);
			jv_free(key);
			return EX_DATAERR;
		}
		/* an event made from the key carries it, so that Google's
		 * copy names it (an event with an id keeps its marks) */
		if (!(s && *s)) {
			if (jv_get_kind(key) == JV_KIND_STRING)
				*rec = event_mark(*rec, owner, jv_string_value(key));
			else
				*rec = event_mark(*rec, owner, NULL);
			*rec = event_mark_json(*rec, text);
		}
		free(text);
	}
	*rec = json_set_str(*rec, "id", *id);
	*keyout = key;
	return 0;
}

static void drop_orphans(int which);

static int
read_local(const char *path, const char *name)
{
	struct ndjson_reader *r = ndjson_open(path);
	struct ent *e;
	const char *why;
	char *id;
	int got, rc, had_id;
	struct stat st;
	jv rec, key;

	if (r == NULL) {
		warn("'%s'", name);
		return EX_NOINPUT;
	}
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		warnx("'%s': a directory, not a file of records", name);
		ndjson_close(r);
		return EX_NOINPUT;
	}
	while ((got = ndjson_read(r, &rec)) == 1) {
		size_t line = ndjson_lineno(r);

		if ((why = event_check(rec)) != NULL) {
			warnx("'%s' line %zu: %s", name, line, why);
			jv_free(rec);
			ndjson_close(r);
			return EX_DATAERR;
		}
		had_id = json_str(rec, "id") && *json_str(rec, "id");
		if ((rc = local_identity(&rec, name, line, &id, &key)) != 0) {
			jv_free(rec);
			ndjson_close(r);
			return rc;
		}
		e = ent_get(id, 1);
		if (e->local) {
			jv_free(key);
			warnx("'%s' line %zu: the same %s as line %zu", name, line,
			    jv_get_kind(e->key) != JV_KIND_INVALID ? "key" : "id",
			    e->lline);
			free(id);
			jv_free(rec);
			ndjson_close(r);
			return EX_DATAERR;
		}
		free(id);
		e->key = key;
		e->own_id = had_id;
		e->lline = line;
		/* a record with its own id is compared as it came, unless
		 * the sync's view of it differs */
		if (had_id && !omit_attendees && !(event_cancelled(rec) &&
		    is_instance(rec))) {
			size_t len;
			const char *raw = ndjson_line(r, &len);

			e->local = xstrndup(raw, len);
			jv_free(rec);
		} else
			e->local = json_dump(view(rec));
	}
	if (got == -1) {
		/* a cut-off export ends in a bad line: nothing is taken */
		warnx("%s", ndjson_error(r));
		ndjson_close(r);
		return EX_DATAERR;
	}
	ndjson_close(r);
	drop_orphans(LOCAL);
	return 0;
}

/* An instance of a series the side no longer has is gone with it
 * (Google lists such exceptions as cancelled when a series goes; a local
 * side may keep them). */
static void
drop_orphans(int which)
{
	struct ent *e, *m;
	char **slot;
	size_t i;
	jv ev;

	for (i = 0; i < ents.n; i++) {
		e = ents.v[i];
		slot = which == LOCAL ? &e->local : &e->remote;
		if (*slot == NULL || strstr(*slot, "\"recurringEventId\"") == NULL)
			continue;
		ev = json_parse(*slot, strlen(*slot));
		m = json_str(ev, "recurringEventId") ?
		    ent_get(json_str(ev, "recurringEventId"), 0) : NULL;
		if (json_str(ev, "recurringEventId") && (m == NULL ||
		    (which == LOCAL ? m->local : m->remote) == NULL)) {
			free(*slot);
			*slot = NULL;
		}
		jv_free(ev);
	}
}

/* An instance of a series that takes part in the sync (its master is in
 * the base) takes part with it, whoever made the exception; and so does
 * an event the local side holds by its Google id (it came from Google,
 * though the run that brought it may not have lived to say so): they
 * are written as the link's (a user's events carry no mark). */
static void
adopt_instances(void)
{
	struct ent *e, *m;
	size_t i;
	const char *rid;
	jv ev;

	for (i = 0; i < ents.n; i++) {
		e = ents.v[i];
		if (e->remote == NULL || (strstr(e->remote, "\"recurringEventId\"") ==
		    NULL && !(e->local && e->own_id && e->base == NULL)))
			continue;
		ev = json_parse(e->remote, strlen(e->remote));
		rid = json_str(ev, "recurringEventId");
		m = rid ? ent_get(rid, 0) : NULL;
		if (((m && m->base) || (e->local && e->own_id)) &&
		    !event_owned(ev, owner)) {
			free(e->remote);
			e->remote = json_dump(event_mark(ev, owner, NULL));
		} else
			jv_free(ev);
	}
}

/* --- Google's side and the base ------------------------------------------ */

/* Read what gcal-pull printed: events of other owners are not ours to
 * compare, deleted ones are no events. */
/* Whether the line of an event can be taken as it is: its id and status
 * found in the bytes, not deleted, and no owner mark but ours (a mark is
 * a key "gcalOwner", which in JSON text is only ever a key). Else it is
 * parsed. Most lines of a calendar are taken so (make bench). */
static int
plain_line(const char *p, size_t n, char **id)
{
	const char *s, *end = p + n, *at;
	size_t len, olen = strlen(owner);
	static const char mark[] = "\"" EVENT_OWNER_PROP "\":\"";

	if (omit_attendees || (s = json_top_string(p, n, "id", &len)) == NULL ||
	    len == 0)
		return 0;
	*id = xstrndup(s, len);
	if ((s = json_top_string(p, n, "status", &len)) == NULL ||
	    (len == 9 && memcmp(s, "cancelled", 9) == 0)) {
		free(*id);
		return 0;
	}
	for (at = p; (at = memmem(at, (size_t)(end - at), mark,
	    sizeof(mark) - 1)) != NULL; at += sizeof(mark) - 1) {
		s = at + sizeof(mark) - 1;
		if ((size_t)(end - s) <= olen || memcmp(s, owner, olen) != 0 ||
		    s[olen] != '"') {
			free(*id);
			return 0;
		}
	}
	return 1;
}

static int
read_remote(const char *path)
{
	struct lines in;
	const char *o, *id;
	struct ent *e;
	char *pid, *why;
	size_t i;
	jv ev;

	if (lines_load(&in, path) == -1)
		err(EX_SOFTWARE, "'%s'", path);
	for (i = 0; i < in.n; i++) {
		if (plain_line(in.v[i].p, in.v[i].len, &pid)) {
			e = ent_get(pid, 1);
			free(pid);
			free(e->remote);
			e->remote = xstrndup(in.v[i].p, in.v[i].len);
			continue;
		}
		ev = json_parse(in.v[i].p, in.v[i].len);
		if (jv_get_kind(ev) != JV_KIND_OBJECT) {
			why = jv_is_valid(ev) ? xstrdup("not an object") :
			    json_error_text(ev);
			if (jv_is_valid(ev))
				jv_free(ev);
			warnx("gcal-pull: line %zu: %s", in.v[i].lineno, why);
			free(why);
			lines_free(&in);
			return EX_UNAVAILABLE;
		}
		o = json_strpath(ev, "extendedProperties", "private",
		    EVENT_OWNER_PROP, NULL);
		id = json_str(ev, "id");
		if (id == NULL || *id == '\0' || (event_cancelled(ev) &&
		    !is_instance(ev)) || (o && strcmp(o, owner) != 0)) {
			jv_free(ev);
			continue;
		}
		e = ent_get(id, 1);
		if (omit_attendees) {
			jv_free(e->attendees);
			e->attendees = json_get(ev, "attendees");
		}
		free(e->remote);
		e->remote = json_dump(view(ev));
	}
	lines_free(&in);
	drop_orphans(REMOTE);
	return 0;
}

static int
read_base(void)
{
	char *path = xasprintf("%s/base.ndjson", dir), *id;
	struct lines in;
	const char *s;
	size_t i, len;
	jv ev;

	if (lines_load(&in, path) == -1) {
		free(path);
		if (errno == ENOENT)
			return 0;
		warn("'%s'", dir);
		return EX_NOINPUT;
	}
	base_on_disk = 1;
	for (i = 0; i < in.n; i++) {
		/* ours, written as one event a line: the id is in the bytes */
		if ((s = json_top_string(in.v[i].p, in.v[i].len, "id", &len)) != NULL &&
		    len > 0) {
			id = xstrndup(s, len);
		} else {
			ev = json_parse(in.v[i].p, in.v[i].len);
			if (jv_get_kind(ev) != JV_KIND_OBJECT || json_str(ev, "id") ==
			    NULL || *json_str(ev, "id") == '\0') {
				warnx("'%s' line %zu: not an event with an id: the base "
				    "is damaged", in.name, in.v[i].lineno);
				jv_free(ev);
				lines_free(&in);
				free(path);
				return EX_DATAERR;
			}
			id = xstrdup(json_str(ev, "id"));
			jv_free(ev);
		}
		struct ent *e = ent_get(id, 1);

		free(e->base);
		e->base = xstrndup(in.v[i].p, in.v[i].len);
		base_read++;
		free(id);
	}
	lines_free(&in);
	free(path);
	return 0;
}

/* The writes of a run that ended before it could record them: each that
 * its side shows is agreed now. Idempotent (the journal only goes after
 * the base that holds it is written). */
static int
fold_journal(int *folded)
{
	char *path = xasprintf("%s/journal.ndjson", dir);
	struct ndjson_reader *r = ndjson_open(path);
	const char *id, *side;
	char *want;
	struct ent *e;
	int got, loc;
	jv rec, w;

	*folded = 0;
	if (r == NULL) {
		free(path);
		return errno == ENOENT ? 0 : EX_NOINPUT;
	}
	while ((got = ndjson_read(r, &rec)) == 1) {
		id = json_str(rec, "id");
		side = json_str(rec, "side");
		if (id == NULL || side == NULL) {
			jv_free(rec);
			continue;
		}
		loc = strcmp(side, "local") == 0;
		e = ent_get(id, 1);
		w = json_get(rec, "want");
		want = jv_get_kind(w) == JV_KIND_OBJECT ? json_dump(view(w)) :
		    (jv_free(w), NULL);
		if (want == NULL ? (loc ? e->local : e->remote) == NULL :
		    same_text(loc ? e->local : e->remote, want)) {
			/* Google's own copy (with its etag) where it has one */
			free(e->base);
			e->base = want == NULL ? NULL : xstrdup(!loc && e->remote ?
			    e->remote : want);
			(*folded)++;
		}
		free(want);
		jv_free(rec);
	}
	/* a torn last line is a write that was never begun */
	ndjson_close(r);
	free(path);
	return 0;
}

/* state.json: the base's format, and the calendar and owner it is of. */
static int
check_state(int dry)
{
	char *path = xasprintf("%s/state.json", dir);
	jv st = state_read_kind(path, STATE_SYNC), v;
	const char *cal;
	char *why;
	int rc = 0;

	if (!jv_is_valid(st)) {
		if (errno == ENOTSUP) {
			/* a newer gcal's base: not damage (state.h) */
			why = state_error(path, st);
			st = jv_invalid();
			warnx("%s", why);
			free(why);
			rc = EX_CONFIG;
		} else if (errno != ENOENT) {
			warnx("'%s': damaged: remove the directory to sync afresh",
			    path);
			rc = EX_CONFIG;
		} else if (!dry) {
			v = json_set_str(jv_object(), "owner", owner);
			if (calendar)
				v = json_set_str(v, "calendar", calendar);
			if (state_write_kind(path, STATE_SYNC, v) == -1)
				err(EX_CANTCREAT, "'%s'", path);
		}
		jv_free(st);
		free(path);
		return rc;
	}
	/* its format version is state_read_kind's to check */
	if ((cal = json_str(st, "calendar")) != NULL && calendar &&
	    strcmp(cal, calendar) != 0) {
		warnx("'%s': the base of calendar '%s', and the profile now "
		    "uses '%s': give another --state, or remove it to sync "
		    "afresh", dir, cal, calendar);
		rc = EX_CONFIG;
	} else if (json_str(st, "owner") && strcmp(json_str(st, "owner"),
	    owner) != 0) {
		warnx("'%s': the base of owner '%s', not '%s'", dir,
		    json_str(st, "owner"), owner);
		rc = EX_CONFIG;
	}
	jv_free(st);
	free(path);
	return rc;
}

/* --- the plan ------------------------------------------------------------ */

struct plan {
	jv *v;      /* change records, in id order */
	size_t n;
	size_t count[2][3]; /* [side][insert, update, delete] */
	size_t conflicts;
};

static int
op_index(const char *op)
{
	return strcmp(op, "insert") == 0 ? 0 : strcmp(op, "update") == 0 ? 1 :
	    strcmp(op, "delete") == 0 ? 2 : -1;
}

/* A series Google deleted that this run brings back (the local side
 * changed it, and wins): its exceptions come back with it, so they are
 * not deleted locally now; the next run sees what Google has. */
static void
keep_restored_instances(struct plan *p)
{
	const char *id, *m;
	size_t i, k, n, len;
	jv ev, rec;
	int series;

	for (i = 0; i < p->n; i++) {
		ev = json_get(p->v[i], "event");
		rec = json_get(ev, "recurrence");
		series = jv_get_kind(rec) == JV_KIND_ARRAY;
		jv_free(rec);
		jv_free(ev);
		if (!series || strcmp(json_str(p->v[i], "target"), "remote") != 0 ||
		    strcmp(json_str(p->v[i], "op"), "insert") != 0)
			continue;
		m = json_str(p->v[i], "id");
		len = strlen(m);
		for (k = 0, n = 0; k < p->n; k++) {
			id = json_str(p->v[k], "id");
			if (strcmp(json_str(p->v[k], "target"), "local") == 0 &&
			    strcmp(json_str(p->v[k], "op"), "delete") == 0 &&
			    strncmp(id, m, len) == 0 && id[len] == '_') {
				jv_free(p->v[k]);
				p->count[1][2]--;
				continue;
			}
			p->v[n++] = p->v[k];
		}
		if (n < p->n) {
			p->n = n;
			i = (size_t)-1; /* the indexes moved: look again */
		}
	}
}

static void
read_plan(const char *path, struct plan *p)
{
	struct ndjson_reader *r = ndjson_open(path);
	const char *target, *op;
	struct ent *e;
	int got, k;
	jv rec;

	if (r == NULL)
		err(EX_SOFTWARE, "'%s'", path);
	while ((got = ndjson_read(r, &rec)) == 1) {
		target = json_str(rec, "target");
		op = json_str(rec, "op");
		e = ent_get(json_str(rec, "id"), 1);
		e->changed = 1;
		rec = with_key(jv_object_delete(rec, jv_string("key")), e);
		if (strcmp(op, "conflict") == 0)
			p->conflicts++;
		else if ((k = op_index(op)) >= 0)
			p->count[strcmp(target, "local") == 0][k]++;
		p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
		p->v[p->n++] = rec;
	}
	if (got == -1)
		errx(EX_SOFTWARE, "%s", ndjson_error(r));
	ndjson_close(r);
	keep_restored_instances(p);
}

/* The cap: how many of the base's n events a side may lose in a run. */
static long long max_delete = 50;
static int max_delete_pct = 1, allow_delete_all;

static int
capped(const struct plan *p, size_t nbase, const int has_side[2])
{
	long long limit = max_delete_pct ? (long long)nbase * max_delete / 100 :
	    max_delete;
	static const char *const where[] = {"in Google", "locally"};
	size_t n;
	int s;

	for (s = 0; s < 2 && !allow_delete_all; s++) {
		/* An export (or a calendar) that came back empty is in doubt
		 * as a whole: nothing of the run is made, not even the changes
		 * for that side (found by the model test: Google's versions
		 * overwrote local edits the empty export hid). */
		if (base_read > 0 && !has_side[s == 0 ? LOCAL : REMOTE]) {
			warnx("stopped before any write: %s has no events at all, "
			    "and the base has %zu; --allow-delete-all if that is "
			    "so", s == 0 ? "the local side" : "Google", base_read);
			return 1;
		}
		n = p->count[s][2];
		if (n == 0)
			continue;
		if (n >= nbase) {
			warnx("stopped before any write: the run would delete all "
			    "%zu events %s (an empty or cut-short export?); "
			    "--allow-delete-all to let it", nbase, where[s]);
			return 1;
		}
		if ((long long)n > limit) {
			warnx("stopped before any write: the run would delete %zu of "
			    "the %zu events %s, more than --max-delete %lld%s allows",
			    n, nbase, where[s], max_delete, max_delete_pct ? "%" : "");
			return 1;
		}
	}
	return 0;
}

static jv
parsed_or_null(const char *s)
{
	return s ? view(json_parse(s, strlen(s))) : jv_null();
}

/* A conflict --prefer settled: said in a record of its own, so that the
 * version that lost is never lost silently. */
static void
print_settled(const struct plan *p, FILE *fp)
{
	const char *target;
	struct ent *e;
	size_t i;
	jv rec;

	for (i = 0; i < p->n; i++) {
		if (strcmp(json_str(p->v[i], "op"), "conflict") == 0)
			continue;
		target = json_str(p->v[i], "target");
		e = ent_get(json_str(p->v[i], "id"), 0);
		if (e->base ? same_text(e->local, e->base) ||
		    same_text(e->remote, e->base) : !(e->local && e->remote))
			continue;
		rec = json_set_str(jv_object(), "op", "conflict");
		rec = json_set_str(rec, "id", e->id);
		rec = json_set_str(rec, "target", "both");
		rec = json_set_str(rec, "status", "settled");
		rec = json_set_str(rec, "winner", strcmp(target, "remote") == 0 ?
		    "local" : "remote");
		rec = json_set_str(rec, "reason", e->base == NULL ?
		    "created on both sides" : e->local == NULL ?
		    "deleted locally, changed remotely" : e->remote == NULL ?
		    "changed locally, deleted remotely" : "changed on both sides");
		rec = jv_object_set(rec, jv_string("local"), parsed_or_null(e->local));
		rec = jv_object_set(rec, jv_string("remote"),
		    parsed_or_null(e->remote));
		rec = jv_object_set(rec, jv_string("base"), parsed_or_null(e->base));
		json_print(fp, unview_record(with_key(rec, e)));
	}
}

/* For a human at a terminal: what changes on each side, and conflicts. */
static void
summary(const struct plan *p, const char *what)
{
	static const char *const ops[] = {"insert", "update", "delete"};
	static const char *const sides[] = {"Google", "local"};
	int s, k, any;

	for (s = 0; s < 2; s++) {
		fprintf(stderr, "%s %s:", what, sides[s]);
		for (k = 0, any = 0; k < 3; k++)
			if (p->count[s][k]) {
				fprintf(stderr, "%s %zu %s%s", any ? "," : "",
				    p->count[s][k], ops[k], p->count[s][k] == 1 ?
				    "" : "s");
				any = 1;
			}
		fprintf(stderr, "%s\n", any ? "" : " nothing");
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(json_str(p->v[i], "op"), "conflict") == 0)
			fprintf(stderr, "conflict: event '%s': %s\n",
			    json_str(p->v[i], "id"), json_str(p->v[i], "reason"));
}

/* Guests left out of the comparison stay as Google has them. */
static jv
restore_attendees(jv rec, struct ent *e)
{
	jv ev;

	if (!omit_attendees)
		return rec;
	ev = json_get(rec, "event");
	if (jv_get_kind(ev) != JV_KIND_OBJECT) {
		jv_free(ev);
		return rec;
	}
	ev = jv_object_delete(ev, jv_string("attendees"));
	if (strcmp(json_str(rec, "op"), "update") == 0 &&
	    jv_get_kind(e->attendees) == JV_KIND_ARRAY)
		ev = jv_object_set(ev, jv_string("attendees"), jv_copy(e->attendees));
	return jv_object_set(rec, jv_string("event"), ev);
}

static void
settle(struct ent *e, jv ev)
{
	free(e->newbase);
	e->newbase = jv_get_kind(ev) == JV_KIND_OBJECT ? json_dump(view(ev)) :
	    (jv_free(ev), NULL);
	e->settled = 1;
}

/* An instance of a recurring event is written as an exception of its
 * series, never as an event of its own (Calendar API, "Recurring
 * events": modify an instance with update, by its instance id; delete
 * cancels it): an "insert" of one Google has not listed as an
 * exception yet is an update of that instance, a cancelled one a delete,
 * each with the etag of the instance as it is now. */
static jv
instance_write(struct calendar_api **api, jv rec, int *rc)
{
	jv ev = json_get(rec, "event");
	const char *op = json_str(rec, "op"), *st = json_str(ev, "status");
	int cancel = st && strcmp(st, CANCELLED_INSTANCE) == 0;
	struct http_response resp;
	char *path, *ecal, *eid;

	if (jv_get_kind(ev) != JV_KIND_OBJECT || !is_instance(ev) || *rc) {
		jv_free(ev);
		return rec;
	}
	if (strcmp(op, "insert") == 0 && calendar) {
		if (*api == NULL && (*api = calendar_open(state_profile(), rc)) ==
		    NULL) {
			jv_free(ev);
			return rec;
		}
		ecal = url_escape(calendar);
		eid = url_escape(json_str(rec, "id"));
		path = xasprintf("/calendar/v3/calendars/%s/events/%s", ecal, eid);
		if (calendar_call(*api, "GET", path, jv_invalid(), NULL, &resp) == 0 &&
		    resp.status == 200 && json_str(resp.json, "etag")) {
			rec = json_set_str(rec, "etag", json_str(resp.json, "etag"));
			rec = json_set_str(rec, "op", "update");
			op = "update";
		}
		http_response_free(&resp);
		free(path);
		free(ecal);
		free(eid);
	}
	if (cancel && strcmp(op, "update") == 0) {
		rec = json_set_str(rec, "op", "delete");
		rec = jv_object_delete(rec, jv_string("event"));
	}
	jv_free(ev);
	return rec;
}

/* gcal-push the changes for Google; each confirmed one is agreed. */
static int
push_remote(const struct plan *p, const char *profile, int *partial)
{
	char *in = run_path("to-google"), *out = run_path("results");
	char *argv[16] = {"gcal-push", "-q", "-p", (char *)profile,
	    "--send-updates", "none"};
	int argc = 6;
	FILE *fp = create(in);
	struct calendar_api *api = NULL;
	struct ndjson_reader *r;
	struct ent *e;
	size_t i, n = 0;
	int rc = 0, got;
	jv rec;

	for (i = 0; i < p->n; i++) {
		if (strcmp(json_str(p->v[i], "target"), "remote") != 0)
			continue;
		e = ent_get(json_str(p->v[i], "id"), 0);
		/* gcal-push echoes string keys only: ours come back by id */
		rec = jv_object_delete(jv_copy(p->v[i]), jv_string("key"));
		rec = instance_write(&api, restore_attendees(rec, e), &rc);
		json_print(fp, unview_record(rec));
		n++;
	}
	finish(fp, in);
	if (push_batch) {
		argv[argc++] = "--batch";
		argv[argc++] = (char *)push_batch;
	}
	if (push_rate) {
		argv[argc++] = "--rate";
		argv[argc++] = (char *)push_rate;
	}
	if (verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	if (api)
		calendar_close(api);
	if (rc != 0) {
		/* the instances could not be looked up: nothing is sent */
		warnx("Google's side cannot be written now (%d): the next run "
		    "tries again", rc);
		free(in);
		free(out);
		return rc;
	}
	if (n == 0) {
		free(in);
		free(out);
		return 0;
	}
	rc = run(argv, in, out);
	if ((r = ndjson_open(out)) == NULL)
		err(EX_SOFTWARE, "'%s'", out);
	while ((got = ndjson_read(r, &rec)) == 1) {
		const char *id = json_str(rec, "id"), *st = json_str(rec, "status");

		if (id == NULL || st == NULL || (e = ent_get(id, 0)) == NULL) {
			jv_free(rec);
			continue;
		}
		/* a cancelled instance is what a delete of one leaves */
		if (strcmp(st, "ok") == 0)
			settle(e, strcmp(json_str(rec, "op"), "delete") != 0 ?
			    json_get(rec, "event") : jv_copy(e->want));
		else
			*partial = 1;
		json_print(stdout, with_key(rec, e));
	}
	ndjson_close(r);
	free(in);
	free(out);
	if (rc == 1)
		*partial = 1;
	return rc > 1 ? rc : 0;
}

/* The changes for the local side: to --apply-cmd, or printed. */
static int
apply_local(const struct plan *p, const char *cmd, int *partial)
{
	char *in = run_path("to-local"), *out = run_path("applied");
	FILE *fp = create(in);
	struct ndjson_reader *r;
	struct ent *e;
	size_t i, n = 0, results = 0;
	int rc, got;
	const char *st;
	jv rec;

	for (i = 0; i < p->n; i++) {
		if (strcmp(json_str(p->v[i], "target"), "local") != 0)
			continue;
		json_print(cmd ? fp : stdout, unview_record(restore_attendees(
		    jv_copy(p->v[i]), ent_get(json_str(p->v[i], "id"), 0))));
		n++;
	}
	finish(fp, in);
	if (cmd == NULL || n == 0) {
		free(in);
		free(out);
		return 0;
	}
	rc = shell(cmd, in, out);
	/* a result stream says which it applied; else the status says all */
	if ((r = ndjson_open(out)) != NULL) {
		while ((got = ndjson_read(r, &rec)) == 1) {
			results++;
			if ((e = ent_get(json_str(rec, "id") ? json_str(rec, "id") :
			    "", 0)) != NULL && e->intent == 1 + LOCAL &&
			    (st = json_str(rec, "status")) && strcmp(st, "ok") == 0)
				settle(e, jv_copy(e->want));
			jv_free(rec);
		}
		if (got == -1) {
			warnx("--apply-cmd: %s", ndjson_error(r));
			results = 0;
			rc = rc ? rc : EX_DATAERR;
		}
		ndjson_close(r);
	}
	for (i = 0; i < p->n; i++) {
		if (strcmp(json_str(p->v[i], "target"), "local") != 0)
			continue;
		e = ent_get(json_str(p->v[i], "id"), 0);
		if (rc == 0 && results == 0)
			settle(e, jv_copy(e->want));
		rec = json_set_str(json_set_str(json_set_str(json_set_str(
		    jv_object(), "op", json_str(p->v[i], "op")), "id", e->id),
		    "target", "local"), "status", e->settled ? "ok" : "failed");
		if (!e->settled) {
			rec = json_set_str(rec, "reason", rc ? "the apply command "
			    "failed" : "not confirmed by the apply command");
			*partial = 1;
		} else if (jv_get_kind(e->want) == JV_KIND_OBJECT)
			rec = jv_object_set(rec, jv_string("event"),
			    unview(jv_copy(e->want)));
		rec = with_key(rec, e);
		json_print(stdout, rec);
	}
	if (rc)
		warnx("--apply-cmd exited %d: its changes are offered again next "
		    "run", rc);
	free(in);
	free(out);
	return 0;
}

/* --- the run ------------------------------------------------------------- */

static int
parse_max_delete(const char *s)
{
	size_t n = strlen(s);
	char *t = xstrdup(s);

	max_delete_pct = n > 0 && s[n - 1] == '%';
	if (max_delete_pct)
		t[n - 1] = '\0';
	max_delete = cli_number("--max-delete", t, 0, max_delete_pct ? 100 :
	    LLONG_MAX / 200);
	free(t);
	return 0;
}

static void
find_self(const char *argv0)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
	} else if (strchr(argv0, '/') && strlen(argv0) < sizeof(buf)) {
		strlcpy(buf, argv0, sizeof(buf));
	} else
		return;
	if ((slash = strrchr(buf, '/')) != NULL) {
		*slash = '\0';
		self_dir = xstrdup(buf);
	}
}

static void
remove_run_dir(void)
{
	if (run_dir)
		state_remove_tree(run_dir, NULL);
}

int
main(int argc, char *argv[])
{
	struct diff_options d = {0};
	struct plan plan = {0};
	const char *arg, *local = NULL, *local_cmd = NULL, *apply_cmd = NULL;
	const char *state_dir = NULL, *env, *paths[3];
	char *why, *lpath, *rpath, *bpath, *cpath, *t;
	struct cli *c;
	size_t counts[DIFF_NCOUNTS], i, nbase = 0;
	int key, r, rc = 0, dry = 0, lock = -1, partial = 0, folded, status;
	int push_only = 0, has_side[2] = {0, 0};
	FILE *fp;
	jv prof = jv_invalid();

	cli_synopsis = synopsis;
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'p':
			state_set_profile(arg);
			break;
		case OPT_LOCAL:
			local = arg;
			break;
		case OPT_LOCAL_CMD:
			local_cmd = arg;
			break;
		case 'k':
			keytext = arg;
			break;
		case OPT_STATE:
			state_dir = arg;
			break;
		case OPT_OWNER:
			if (*arg == '\0')
				errx(EX_USAGE, "--owner: an empty name");
			owner = arg;
			break;
		case OPT_PREFER:
			if ((r = diff_prefer_parse(arg)) == -1)
				errx(EX_USAGE, "--prefer '%s': not local, remote or "
				    "newest", arg);
			d.prefer = r;
			break;
		case OPT_MAX_DELETE:
			parse_max_delete(arg);
			break;
		case OPT_ALLOW_DELETE_ALL:
			allow_delete_all = 1;
			break;
		case OPT_ATTENDEES:
			if (strcmp(arg, "omit") == 0)
				omit_attendees = 1;
			else if (strcmp(arg, "keep") != 0)
				errx(EX_USAGE, "--attendees '%s': not keep or omit", arg);
			break;
		case OPT_APPLY_CMD:
			apply_cmd = arg;
			break;
		case OPT_DRY_RUN:
			dry = 1;
			break;
		case OPT_PUSH_ONLY:
			push_only = 1;
			break;
		case OPT_BATCH:
			cli_number("--batch", arg, 1, 1000);
			push_batch = arg;
			break;
		case OPT_RATE:
			cli_number("--rate", arg, 1, 1000000);
			push_rate = arg;
			break;
		}
	}
	cli_free(c);
	cli_no_operands(argc, argv);
	if ((local == NULL) == (local_cmd == NULL)) {
		warnx("give one of --local FILE and --local-cmd CMD");
		cli_try_help();
		return EX_USAGE;
	}
	if (keytext && (keyprog = jqprog_new(keytext, &why)) == NULL) {
		warnx("--key: %s", why);
		free(why);
		return EX_USAGE;
	}
	if ((env = getenv("GCAL_SYNC_STOP_AFTER")) != NULL && *env)
		stop_after = cli_number("$GCAL_SYNC_STOP_AFTER", env, 0, 1000);
	find_self(argv[0]);
	if ((rc = state_profile_load(state_profile(), &prof)) != 0)
		goto out;
	calendar = json_str(prof, "calendar");
	dir = state_dir ? xstrdup(state_dir) :
	    state_path(STATE_STATE, state_profile(), "sync");
	t = xasprintf("%s/lock", dir);
	lock = state_lock_path(t, 60, &rc);
	free(t);
	if (lock == -1)
		goto out;
	if ((rc = check_state(dry)) != 0)
		goto out;
	/* a killed run's scratch files */
	t = xasprintf("%s/run", dir);
	state_remove_tree(t, NULL);
	if (state_mkdir(t) == -1)
		err(EX_CANTCREAT, "'%s'", t);
	run_dir = t;

	/* the local side, whole and checked, before anything else */
	if (local_cmd) {
		lpath = run_path("export");
		status = shell(local_cmd, NULL, lpath);
		if (status != 0) {
			warnx("--local-cmd exited %d: nothing done", status);
			rc = status == EX_TEMPFAIL ? EX_TEMPFAIL : EX_UNAVAILABLE;
			free(lpath);
			goto out;
		}
		rc = read_local(lpath, "--local-cmd");
		free(lpath);
	} else
		rc = read_local(local, local);
	if (rc != 0)
		goto out;

	/* Google's side; with --push-only, as the base has it (a change
	 * made there since is a conflict gcal-push reports: 412) */
	if (push_only) {
		if ((rc = read_base()) != 0)
			goto out;
		for (i = 0; i < ents.n; i++)
			if (ents.v[i]->base && !ents.v[i]->remote)
				ents.v[i]->remote = xstrdup(ents.v[i]->base);
	} else {
		char *pull[] = {"gcal-pull", "-q", "-p", (char *)state_profile(),
		    verbose ? "-v" : NULL, NULL};

		rpath = run_path("pulled");
		if ((status = run(pull, NULL, rpath)) != 0) {
			warnx("gcal-pull exited %d: nothing done", status);
			rc = status > 128 ? EX_TEMPFAIL : status;
			free(rpath);
			goto out;
		}
		rc = read_remote(rpath);
		free(rpath);
		if (rc != 0)
			goto out;
	}
	if ((!push_only && (rc = read_base()) != 0) ||
	    (rc = fold_journal(&folded)) != 0)
		goto out;
	adopt_instances();

	for (i = 0; i < ents.n; i++) {
		nbase += ents.v[i]->base != NULL;
		has_side[LOCAL] |= ents.v[i]->local != NULL;
		has_side[REMOTE] |= ents.v[i]->remote != NULL;
	}
	lpath = write_set("local", 0);
	rpath = write_set("remote", 1);
	bpath = write_set("base", 2);
	cpath = run_path("changes");
	d.owner = owner;
	paths[0] = lpath;
	paths[1] = rpath;
	paths[2] = bpath;
	fp = create(cpath);
	diff_sets(paths, 3, &d, fp, counts);
	finish(fp, cpath);
	read_plan(cpath, &plan);
	free(lpath);
	free(rpath);
	free(bpath);
	free(cpath);

	if (capped(&plan, nbase, has_side)) {
		rc = EXIT_CAPPED;
		goto out;
	}
	print_settled(&plan, stdout);
	if (dry) {
		for (i = 0; i < plan.n; i++)
			json_print(stdout, unview_record(jv_copy(plan.v[i])));
		if (isatty(STDOUT_FILENO) && !quiet)
			summary(&plan, "would change");
		rc = plan.conflicts ? EXIT_PARTIAL : 0;
		goto out;
	}

	/* The writes a killed run made are agreed: kept before this run's
	 * journal replaces theirs. Not before the cap let the run go: an
	 * export in doubt (empty) shows every event as gone. */
	if (folded) {
		write_base(0);
		write_journal(0); /* nothing of this run is under way yet */
		stop_point();
	}
	/* what each write will make its side hold, before any is made */
	for (i = 0; i < plan.n; i++) {
		jv rec = plan.v[i];
		const char *target = json_str(rec, "target");
		struct ent *e = ent_get(json_str(rec, "id"), 0);

		if (strcmp(json_str(rec, "op"), "conflict") == 0) {
			json_print(stdout, unview_record(jv_copy(rec)));
			continue;
		}
		e->intent = 1 + (strcmp(target, "local") == 0 ? LOCAL : REMOTE);
		jv_free(e->want);
		e->want = strcmp(json_str(rec, "op"), "delete") == 0 ? jv_null() :
		    view(json_get(rec, "event"));
	}
	write_journal(0);
	stop_point();
	rc = push_remote(&plan, state_profile(), &partial);
	stop_point();
	apply_local(&plan, apply_cmd, &partial);
	stop_point();
	/* the agreed: what no change names holds the same on both sides */
	for (i = 0; i < ents.n; i++) {
		struct ent *e = ents.v[i];

		if (!e->changed && !e->settled) {
			free(e->newbase);
			e->newbase = e->remote ? xstrdup(e->remote) : NULL;
			e->settled = 1;
		}
	}
	write_base(1);
	stop_point();
	write_journal(1);
	if (!quiet && isatty(STDOUT_FILENO))
		summary(&plan, "changed");
	if (rc == 0 && (partial || plan.conflicts))
		rc = EXIT_PARTIAL;
out:
	remove_run_dir();
	for (i = 0; i < plan.n; i++)
		jv_free(plan.v[i]);
	free(plan.v);
	state_unlock(lock);
	jv_free(prof);
	jqprog_free(keyprog);
	ents_free();
	free(dir);
	free(run_dir);
	free(self_dir);
	http_cleanup();
	return finish_stdout(rc);
}
