#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "http.h"
#include "json.h"
#include "state.h"
#include "stop.h"
#include "util.h"
#include "watch.h"

char *
watch_push_path(const char *sub, const char *name)
{
	const char *env = getenv("GCAL_PUSH_DIR"), *x, *h;
	char *top, *p;

	if (env && env[0] == '/')
		top = xstrdup(env);
	else if (((x = getenv("XDG_STATE_HOME")) && x[0] == '/') ||
	    ((h = getenv("HOME")) && h[0] != '\0'))
		top = state_path(STATE_STATE, NULL, "push");
	else {
		errno = ENOENT;
		return NULL;
	}
	if (sub == NULL && name == NULL)
		return top;
	p = xasprintf("%s/%s%s%s", top, sub ? sub : "", sub && name ? "/" : "",
	    name ? name : "");
	free(top);
	return p;
}

int
watch_push_dir_usable(void)
{
	char *top = watch_push_path(NULL, NULL);
	struct stat st;
	int rc = -1;

	if (top == NULL) {
		warnx("no push directory: set GCAL_PUSH_DIR in the web "
		    "server's configuration for the CGI");
		return -1;
	}
	if (stat(top, &st) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			warn("push directory '%s'", top);
	} else if (!S_ISDIR(st.st_mode))
		warnx("push directory '%s': not a directory", top);
	else if (st.st_uid != geteuid())
		warnx("push directory '%s': owned by uid %lu, not by uid %lu "
		    "that gcal-notify runs as: run it as the user of gcal-watch",
		    top, (unsigned long)st.st_uid, (unsigned long)geteuid());
	else if ((st.st_mode & 022) != 0)
		warnx("push directory '%s': writable by others (mode %03o): "
		    "anyone could add a channel (chmod 700 it)", top,
		    (unsigned)(st.st_mode & 0777));
	else
		rc = 0;
	free(top);
	return rc;
}

int
watch_valid_id(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_'))
			return 0;
	return n > 0 && n <= WATCH_ID_MAX;
}

int
watch_token_equal(const char *want, const char *token)
{
	size_t n = strlen(want), i;
	volatile unsigned char d = 0;

	if (strlen(token) != n)
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)want[i] ^ (unsigned char)token[i];
	return d == 0;
}

int
watch_mark_dirty(const char *profile)
{
	char *path = watch_push_path("dirty", profile);
	int fd, saved;

	if (path == NULL)
		return -1;
	if (state_mkdir_for(path) == -1) {
		saved = errno;
		free(path);
		errno = saved;
		return -1;
	}
	/* O_EXCL: a mark already there is the pending pull; keep it */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	saved = errno;
	free(path);
	if (fd == -1 && saved != EEXIST) {
		errno = saved;
		return -1;
	}
	if (fd != -1)
		close(fd);
	return 0;
}

int
watch_take_dirty(const char *profile)
{
	char *path = watch_push_path("dirty", profile);
	int rc;

	if (path == NULL)
		return -1;
	rc = unlink(path) == 0 ? 1 : errno == ENOENT ? 0 : -1;
	free(path);
	return rc;
}

int
watch_is_dirty(const char *profile)
{
	char *path = watch_push_path("dirty", profile);
	int rc;

	if (path == NULL)
		return 0;
	rc = access(path, F_OK) == 0;
	free(path);
	return rc;
}

static char *
channel_json_path(const char *profile)
{
	return state_path(STATE_STATE, profile, "channel.json");
}

jv
watch_load(const char *profile, int *rc)
{
	char *path = channel_json_path(profile);
	jv v = state_read_json(path), chs;
	int saved = errno;

	*rc = 0;
	if (!jv_is_valid(v) && saved == ENOENT) {
		jv_free(v);
		free(path);
		return jv_object_set(json_set_str(jv_object(), "profile", profile),
		    jv_string("channels"), jv_array());
	}
	if (!jv_is_valid(v) && saved == ENOTSUP) {
		/* a newer gcal's channels: not to be dropped (state.h) */
		char *why = state_error(path, v);

		warnx("%s", why);
		free(why);
		free(path);
		*rc = EX_CONFIG;
		return jv_invalid();
	}
	chs = jv_is_valid(v) && jv_get_kind(v) == JV_KIND_OBJECT ?
	    json_get(v, "channels") : jv_null();
	if (jv_get_kind(chs) != JV_KIND_ARRAY) {
		warnx("'%s': not a channel file (remove it and run gcal-watch "
		    "start again)", path);
		jv_free(chs);
		jv_free(v);
		free(path);
		*rc = EX_CONFIG;
		return jv_invalid();
	}
	jv_array_foreach(chs, i, ch) {
		if (json_str(ch, "token"))
			http_secret(json_str(ch, "token"), "CHANNEL_TOKEN");
		jv_free(ch);
	}
	jv_free(chs);
	free(path);
	return v;
}

/* The receiver's record of a channel: PUSH/channels/ID. */
static int
register_channel(const char *profile, const char *id, const char *token,
    const char *resource_id)
{
	char *path = watch_push_path("channels", id);
	jv rec;
	int rc;

	if (path == NULL) {
		warnx("no directory for the receiver: set $GCAL_PUSH_DIR");
		return EX_CONFIG;
	}
	rec = json_set_str(json_set_str(jv_object(), "profile", profile),
	    "token", token);
	if (resource_id)
		rec = json_set_str(rec, "resourceId", resource_id);
	rc = state_write_kind(path, STATE_RECEIVER, rec);
	if (rc == -1)
		warn("'%s'", path);
	free(path);
	return rc == -1 ? EX_SOFTWARE : 0;
}

static void
unregister_channel(const char *id)
{
	char *path, *seen;

	if (id == NULL || !watch_valid_id(id) ||
	    (path = watch_push_path("channels", id)) == NULL)
		return;
	seen = xasprintf("%s.seen", path);
	if (state_remove(path) == -1)
		warn("'%s'", path);
	state_remove(seen);
	free(seen);
	free(path);
}

/* Is id one of the channels chs (borrowed)? */
static int
named(jv chs, const char *id)
{
	int found = 0;

	jv_array_foreach(chs, i, ch) {
		found |= json_str(ch, "id") && strcmp(json_str(ch, "id"), id) == 0;
		jv_free(ch);
	}
	return found;
}

/* The receiver's records of the profile's channels that chs (borrowed)
 * does not name: left by a run killed between registering a channel
 * and keeping it in channel.json. Its channel, if Google made it, is
 * answered 404 from now on and expires by itself, as with stop --force.
 * The profile's watch.lock keeps another run's new channel out of
 * reach. */
static void
prune_records(const char *profile, jv chs)
{
	char *dir = watch_push_path("channels", NULL), *path;
	const char *who;
	struct dirent *de;
	DIR *d;
	jv rec;

	if (dir == NULL || (d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!watch_valid_id(de->d_name) || named(chs, de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		rec = state_read_kind(path, STATE_RECEIVER);
		who = json_str(rec, "profile");
		if (who && strcmp(who, profile) == 0)
			unregister_channel(de->d_name);
		jv_free(rec);
		free(path);
	}
	closedir(d);
	free(dir);
}

int
watch_save(const char *profile, jv v)
{
	char *path = channel_json_path(profile);
	jv chs = json_get(v, "channels");
	int rc = 0, r;

	if (jv_get_kind(chs) != JV_KIND_ARRAY || jv_array_length(jv_copy(chs)) == 0) {
		jv_free(v);
		r = state_remove(path);
	} else {
		r = state_write_kind(path, STATE_CHANNEL, v);
	}
	if (r == -1) {
		warn("'%s'", path);
		rc = EX_SOFTWARE;
	}
	if (rc == 0)
		prune_records(profile, chs);
	jv_free(chs);
	free(path);
	return rc;
}

static void
random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];
	size_t i;

	arc4random_buf(raw, nbytes);
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
}

/* Google answers the expiration as an int64 in a string (discovery:
 * Channel.expiration, "format": "int64"); a number is taken too. */
static long long
expiration_ms(jv ch)
{
	jv e = json_get(ch, "expiration");
	long long ms = 0;

	if (jv_get_kind(e) == JV_KIND_STRING)
		ms = strtoll(jv_string_value(e), NULL, 10);
	else if (jv_get_kind(e) == JV_KIND_NUMBER)
		ms = (long long)jv_number_value(e);
	jv_free(e);
	return ms;
}

int
watch_create(struct calendar_api *api, const char *profile,
    const char *calendar, const char *address, long long ttl, jv *ch)
{
	struct http_response resp = {0};
	char id[5 + 32 + 1] = "gcal-", token[64 + 1], ttls[32], *cal, *path;
	char *what;
	const char *rid, *ruri;
	long long exp;
	jv body;
	int rc;

	*ch = jv_invalid();
	random_hex(id + 5, 16);
	random_hex(token, 32);
	http_secret(token, "CHANNEL_TOKEN");
	if ((rc = register_channel(profile, id, token, NULL)) != 0)
		return rc;
	snprintf(ttls, sizeof(ttls), "%lld", ttl);
	/* push guide, "Make watch requests": id, type web_hook, address;
	 * token and params.ttl (seconds, a string like every param) */
	body = json_set_str(json_set_str(json_set_str(json_set_str(jv_object(),
	    "id", id), "type", "web_hook"), "address", address), "token", token);
	body = jv_object_set(body, jv_string("params"),
	    json_set_str(jv_object(), "ttl", ttls));
	cal = url_escape(calendar);
	path = xasprintf("/calendar/v3/calendars/%s/events/watch", cal);
	what = xasprintf("watch calendar '%s'", calendar);
	rc = calendar_call(api, "POST", path, body, NULL, &resp);
	stop_point("watch"); /* Google may have a channel we do not know */
	if (rc == 0 && resp.status != 200)
		rc = calendar_failure(&resp, what);
	if (rc == 0) {
		rid = json_str(resp.json, "resourceId");
		ruri = json_str(resp.json, "resourceUri");
		exp = expiration_ms(resp.json);
		if (rid == NULL || exp <= 0 || (json_str(resp.json, "id") &&
		    strcmp(json_str(resp.json, "id"), id) != 0)) {
			warnx("%s: Google's answer has no resourceId or expiration",
			    what);
			rc = EX_UNAVAILABLE;
		} else {
			*ch = json_set_str(json_set_str(json_set_str(jv_object(),
			    "id", id), "token", token), "resourceId", rid);
			if (ruri)
				*ch = json_set_str(*ch, "resourceUri", ruri);
			*ch = jv_object_set(*ch, jv_string("expiration"),
			    jv_number((double)exp));
			*ch = jv_object_set(*ch, jv_string("created"),
			    jv_number((double)now_s() * 1000));
			*ch = json_set_str(*ch, "calendar", calendar);
			*ch = json_set_str(*ch, "address", address);
			/* now the receiver can check the resource too */
			rc = register_channel(profile, id, token, rid);
			if (rc != 0) {
				jv_free(*ch);
				*ch = jv_invalid();
			}
		}
	}
	if (rc != 0)
		unregister_channel(id);
	http_response_free(&resp);
	free(what);
	free(path);
	free(cal);
	explicit_bzero(token, sizeof(token));
	return rc;
}

int
watch_stop_channel(struct calendar_api *api, jv ch)
{
	struct http_response resp = {0};
	const char *id = json_str(ch, "id"), *rid = json_str(ch, "resourceId");
	char *what;
	jv body;
	int rc;

	if (id == NULL || rid == NULL) {
		unregister_channel(id);
		return 0;
	}
	/* push guide, "Stop notifications": the channel's id and resourceId */
	body = json_set_str(json_set_str(jv_object(), "id", id), "resourceId", rid);
	what = xasprintf("stop channel '%s'", id);
	rc = calendar_call(api, "POST", "/calendar/v3/channels/stop", body, NULL,
	    &resp);
	stop_point("stop");
	/* 404: expired or stopped before; Google knows it no more */
	if (rc == 0 && resp.status != 204 && resp.status != 200 &&
	    resp.status != 404)
		rc = calendar_failure(&resp, what);
	if (rc == 0)
		unregister_channel(id);
	http_response_free(&resp);
	free(what);
	return rc;
}

int
watch_stop_all(struct calendar_api *api, const char *profile, int force)
{
	struct calendar_api *own = NULL;
	jv v = watch_load(profile, &(int){0}), chs, left;
	int rc = 0, r;

	if (!jv_is_valid(v))
		return EX_CONFIG;
	chs = json_get(v, "channels");
	left = jv_array();
	if (jv_array_length(jv_copy(chs)) > 0 && api == NULL &&
	    (api = own = calendar_open(profile, &rc)) == NULL && !force) {
		jv_free(chs);
		jv_free(left);
		jv_free(v);
		return rc;
	}
	jv_array_foreach(chs, i, ch) {
		r = api ? watch_stop_channel(api, ch) : EX_NOPERM;
		if (r != 0 && force) {
			/* Google cannot be told: it expires by itself, and the
			 * receiver answers it 404 from now on */
			unregister_channel(json_str(ch, "id"));
			r = 0;
		}
		if (r != 0) {
			left = jv_array_append(left, jv_copy(ch));
			if (rc == 0)
				rc = r;
		}
		jv_free(ch);
	}
	jv_free(chs);
	v = jv_object_set(v, jv_string("channels"), left);
	if ((r = watch_save(profile, v)) != 0 && rc == 0)
		rc = r;
	calendar_close(own);
	return force && rc != EX_SOFTWARE ? 0 : rc;
}
