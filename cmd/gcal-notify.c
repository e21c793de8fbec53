/* gcal-notify: the receiver of Google's push notifications, a CGI
 * program (RFC 3875). It checks the channel and its token and marks the
 * link dirty; it never calls Google and holds no secret but the channel
 * tokens. See gcal-notify(1). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "state.h"
#include "util.h"
#include "watch.h"

/* Google's notifications have no body (push guide, "Understand the
 * notification message format"); anything bigger is not one of them. */
#define BODY_MAX 4096

static const struct cli_option options[] = {
	{"verbose", 'v', NULL, NULL, "no effect: the web server runs it with no arguments"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"",
	NULL,
};

static int
answer(int status, const char *reason, const char *extra)
{
	printf("Status: %d %s\r\nContent-Type: text/plain\r\n%s\r\n%s\n", status,
	    reason, extra ? extra : "", reason);
	fflush(stdout);
	return 0;
}

static const char *
header(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

/* The highest message number taken from the channel, so a replayed
 * notification is answered but marks nothing. Numbers grow, but are not
 * consecutive (push guide, X-Goog-Message-Number). */
static int
replayed(const char *id, long long number)
{
	char *path = watch_push_path("channels", id), *seen, buf[32];
	long long last = 0;
	FILE *fp;
	int old;

	if (path == NULL)
		return 0;
	seen = xasprintf("%s.seen", path);
	free(path);
	if ((fp = fopen(seen, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp))
			last = strtoll(buf, NULL, 10);
		fclose(fp);
	}
	old = number <= last;
	if (!old) {
		snprintf(buf, sizeof(buf), "%lld\n", number);
		if (state_write(seen, buf, strlen(buf)) == -1)
			warn("'%s'", seen);
	}
	free(seen);
	return old;
}

static int
cgi(void)
{
	const char *method = header("REQUEST_METHOD"), *len = header("CONTENT_LENGTH");
	const char *id = header("HTTP_X_GOOG_CHANNEL_ID");
	const char *token = header("HTTP_X_GOOG_CHANNEL_TOKEN");
	const char *state = header("HTTP_X_GOOG_RESOURCE_STATE");
	const char *number = header("HTTP_X_GOOG_MESSAGE_NUMBER");
	const char *rid = header("HTTP_X_GOOG_RESOURCE_ID");
	const char *want, *profile, *wrid, *errstr;
	char *path, *why, buf[512];
	long long n = 0, msg;
	jv rec;
	int known;

	if (strcmp(method, "POST") != 0)
		return answer(405, "Method Not Allowed", "Allow: POST\r\n");
	if (*len) {
		n = strtonum(len, 0, 1LL << 40, &errstr);
		if (errstr != NULL || n > BODY_MAX)
			return answer(413, "Payload Too Large", "Connection: close\r\n");
	}
	/* the body means nothing: read it so the server is not left writing */
	while (n > 0) {
		ssize_t r = read(0, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf));

		if (r <= 0)
			break;
		n -= r;
	}
	/* what we did not make is not ours, and never names a file */
	if (!watch_valid_id(id) || strlen(token) > WATCH_TOKEN_MAX)
		return answer(404, "Not Found", NULL);
	/* a push directory we may not use is the operator's to fix: 500,
	 * so that Google tries again, never a 404 that drops the change */
	if (watch_push_dir_usable() == -1 ||
	    (path = watch_push_path("channels", id)) == NULL)
		return answer(500, "Internal Server Error", NULL);
	rec = state_read_kind(path, STATE_RECEIVER);
	if (!jv_is_valid(rec) && errno != ENOENT) {
		/* a record by its name that cannot be read: another
		 * user's, a symbolic link, damage */
		why = state_error(path, rec);
		warnx("%s", why);
		free(why);
		free(path);
		return answer(500, "Internal Server Error", NULL);
	}
	free(path);
	want = json_str(rec, "token");
	profile = json_str(rec, "profile");
	wrid = json_str(rec, "resourceId");
	known = want && profile && state_valid_profile(profile) &&
	    watch_token_equal(want, token) &&
	    (wrid == NULL || strcmp(wrid, rid) == 0);
	if (!known) {
		jv_free(rec);
		return answer(404, "Not Found", NULL);
	}
	/* sync: the handshake of a new channel; nothing changed */
	if (strcmp(state, "sync") == 0) {
		jv_free(rec);
		return answer(200, "OK", NULL);
	}
	if (strcmp(state, "exists") != 0 && strcmp(state, "not_exists") != 0) {
		jv_free(rec);
		return answer(400, "Bad Request", NULL);
	}
	msg = strtonum(number, 1, LLONG_MAX, &errstr);
	if (errstr == NULL && replayed(id, msg)) {
		jv_free(rec);
		return answer(200, "OK", NULL);
	}
	if (watch_mark_dirty(profile) == -1) {
		/* 5xx: Google tries again later */
		warn("profile '%s': dirty mark", profile);
		jv_free(rec);
		return answer(500, "Internal Server Error", NULL);
	}
	jv_free(rec);
	return answer(200, "OK", NULL);
}

int
main(int argc, char *argv[])
{
	struct cli *c;
	const char *arg;

	cli_synopsis = synopsis;
	if (argc > 1) {
		c = cli_new(options, 0);
		while (cli_next(c, argc, argv, &arg) != -1)
			;
		cli_free(c);
		cli_no_operands(argc, argv);
	}
	if (getenv("GATEWAY_INTERFACE") == NULL) {
		warnx("not run by a web server (no GATEWAY_INTERFACE): "
		    "a CGI program, see gcal-notify(1)");
		return EX_USAGE;
	}
	cgi();
	return finish_stdout(0);
}
