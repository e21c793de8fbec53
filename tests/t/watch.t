#!/bin/sh
# Push notifications end to end: the emulator notifies gcal-notify behind a
# real lighttpd (mod_cgi), gcal-watch run pulls the link, a safety poll
# catches what was not notified, channels are renewed with no gap, and
# forged or oversized requests change nothing.
. "$(dirname "$0")/../lib.sh"

emu_start || exit 1
link_account a || { echo "Bail out! no link"; exit 1; }
CAL=alice@example.com
PUSH=$T/push
GCAL_PUSH_DIR=$PUSH
export GCAL_PUSH_DIR

# --- lighttpd on a free loopback port, gcal-notify as a CGI --------------
. "$TOP/tests/lib-push.sh"
push_server_start "$T" "$BIN" "$PUSH"
case $? in
0) ;;
2) echo "1..0 # SKIP $PUSH_SKIP"; exit 0 ;;
*) echo "Bail out! the web server did not start"; exit 1 ;;
esac
RPID=
stop_all() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	push_server_stop
	cleanup_t
}
trap stop_all EXIT
URL=$PUSH_URL

# notify STATUS-FILE HEADER...: POST to the receiver as Google does
notify() {
	_f=$1
	shift
	for _h; do set -- "$@" -H "$_h"; shift; done
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Length: 0' "$@" "$URL" >"$_f"
}
push_log() { curl -sS -f "$EMU_URL/_emu/push" >"$T/push.json"; }
ms() { date +%s%3N; }
new_event() {
	emu_ctl POST "/_emu/calendars/$CAL/events" "{\"summary\":\"$1\",\"start\":{\"dateTime\":\"2026-12-01T10:00:00Z\"},\"end\":{\"dateTime\":\"2026-12-01T11:00:00Z\"}}" >/dev/null
}
# seen SUMMARY TIMEOUT_MS: wait until the mirror's changes have it; the
# wait in ms in $waited (empty when it never came)
seen() {
	_t0=$(ms)
	waited=
	while :; do
		if grep -q "\"summary\":\"$1\"" "$T/changes" 2>/dev/null; then
			waited=$(( $(ms) - _t0 ))
			return 0
		fi
		[ $(( $(ms) - _t0 )) -gt "$2" ] && return 1
		sleep 0.02
	done
}
start_runner() {
	: >"$T/runner.err"
	gcal-watch run -v -p a "$@" -- sh -c 'gcal-pull --changes >>"$0"' "$T/changes" \
		>"$T/runner.out" 2>"$T/runner.err" </dev/null &
	RPID=$!
	# the first pull of every link at start
	i=0
	until grep -q ' pull in ' "$T/runner.err"; do
		i=$((i + 1)); [ $i -gt 250 ] && break; sleep 0.02
	done
}
stop_runner() { kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null; RPID=; }

# --- usage and the address rule --------------------------------------------
run gcal-watch start -p a
is "$rc" 64 "start without --address: usage (64)"
run env -u GCAL_ENDPOINT gcal-watch start -p a --address http://example.com/notify
is "$rc" 64 "an http:// address against Google: usage (64), Google delivers to https only"
ok "... and says so" has "https://" "$ERR"
run gcal-watch start -p a --address "$URL"
is "$rc" 65 "the emulator, like Google, refuses an http:// address (65)"
ok "... naming Google's reason" has "push.webhookUrlNotHttps" "$ERR"
ok "... and nothing is left for the receiver" test -z "$(ls "$PUSH/channels" 2>/dev/null)"
run gcal-notify
is "$rc" 64 "gcal-notify outside a web server: usage (64)"

# the emulator's own errors, as Google's
TOK=$(gcal-auth token -p a)
wcode() {
	curl -s -o "$T/werr" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
		-H 'Content-Type: application/json' --data-binary "$1" \
		"$EMU_URL/calendar/v3/calendars/primary/events/watch"
}
is "$(wcode '{"id":"x1","type":"web_hook"}')" 400 "emulator: events.watch without an address is 400"
is "$(wcode '{"id":"x1","type":"email","address":"https://h/n"}')" 400 "emulator: a type other than web_hook is 400"
is "$(wcode '{"id":"a b","type":"web_hook","address":"https://h/n"}')" 400 "emulator: a channel id with a space is 400"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$EMU_URL/calendar/v3/channels/stop" -d '{}')" 401 \
	"emulator: channels.stop without a token is 401"

emu_ctl POST /_emu/push/config '{"allow_http":true}' >/dev/null

# --- a channel ---------------------------------------------------------------
run gcal-watch -v -v start -p a --address "$URL" --ttl 3600
is "$rc" 0 "gcal-watch start makes a channel"
ID=$(jq -r .id "$OUT")
CHTOK=$(jq -r '.channels[0].token' "$XDG_STATE_HOME/gcal/a/channel.json")
ok "its token is a long random secret" test "${#CHTOK}" -ge 32
ok "the -v trace never shows the channel token" lacks "$CHTOK" "$ERR"
ok "start prints no token" lacks "$CHTOK" "$OUT"
is "$(mode "$XDG_STATE_HOME/gcal/a/channel.json")" 600 "channel.json is 0600"
is "$(mode "$PUSH/channels/$ID")" 600 "the receiver's record is 0600"
ok "the receiver's record holds no OAuth token" jq_ok '(keys | sort) == ["profile","resourceId","token","version"]' "$PUSH/channels/$ID"
sleep 0.3
push_log
ok "Google's sync message was answered 200" jq_ok --arg id "$ID" \
	'[.log[] | select(.channel == $id and .state == "sync" and .status == 200)] | length == 1' "$T/push.json"
run env GCAL_RECORD="$T/rec.ndjson" gcal-watch start -p a --address "$URL"
is "$(jq -r .renewed "$OUT")" false "start again: the live channel is kept (idempotent)"
run env GCAL_RECORD="$T/rec.ndjson" gcal-watch start -p a --address "$URL" --calendar other@example.com
ok "a recorded fixture of a watch request shows a placeholder for the token" \
	sh -c 'grep -q CHANNEL_TOKEN "$1" && ! grep -q "$2" "$1"' - "$T/rec.ndjson" "$CHTOK"
run gcal-watch start -p a --address "$URL" --calendar "$CAL"
ID=$(jq -r .id "$OUT")
CHTOK=$(jq -r '.channels[0].token' "$XDG_STATE_HOME/gcal/a/channel.json")
run gcal-watch status -p a
ok "status names the channel, and no token" jq_ok --arg id "$ID" '.id == $id and .channels == 1 and (has("token") | not)' "$OUT"

# --- push: a change is in the mirror within seconds --------------------------
start_runner --safety-poll 3600
ok "gcal-watch run pulls every link once at start" has " pull in " "$T/runner.err"
lat=
for n in 1 2 3 4 5; do
	# past --min-interval (1 s): a link is pulled at most once a second
	sleep 1
	new_event "push-$n"
	if seen "push-$n" 5000; then lat="$lat $waited"; else lat="$lat never"; fi
done
echo "# change-to-mirror latency (ms):$lat"
worst=$(printf '%s\n' $lat | sort -n | tail -1)
ok "each change is in the mirror within 2 s of the change (worst ${worst} ms)" \
	test "$worst" != never -a "${worst:-99999}" -lt 2000
ok "... pulled because of a notification" has "push pull" "$T/runner.err"

# --- forged notifications change nothing -------------------------------------
push_log
LAST=$(jq -r --arg id "$ID" '[.log[] | select(.channel == $id and .state == "exists")] | last | .number' "$T/push.json")
RID=$(jq -r .resourceId "$PUSH/channels/$ID")
sleep 0.5
touch "$T/stamp"
lists0=$(emu_log_count GET '/events$')
sleep 0.01
notify "$T/code" "X-Goog-Channel-ID: gcal-unknown" "X-Goog-Channel-Token: $CHTOK" \
	"X-Goog-Resource-State: exists" "X-Goog-Message-Number: 999999" "X-Goog-Resource-ID: $RID"
is "$(cat "$T/code")" 404 "an unknown channel is answered 404"
notify "$T/code" "X-Goog-Channel-ID: $ID" "X-Goog-Channel-Token: ${CHTOK%?}x" \
	"X-Goog-Resource-State: exists" "X-Goog-Message-Number: 999999" "X-Goog-Resource-ID: $RID"
is "$(cat "$T/code")" 404 "a wrong token is answered 404"
notify "$T/code" "X-Goog-Channel-ID: $ID" \
	"X-Goog-Resource-State: exists" "X-Goog-Message-Number: 999999" "X-Goog-Resource-ID: $RID"
is "$(cat "$T/code")" 404 "no token is answered 404"
notify "$T/code" "X-Goog-Channel-ID: ../a" "X-Goog-Channel-Token: $CHTOK" \
	"X-Goog-Resource-State: exists" "X-Goog-Message-Number: 999999"
is "$(cat "$T/code")" 404 "a channel id that names a path is answered 404"
notify "$T/code" "X-Goog-Channel-ID: $ID" "X-Goog-Channel-Token: $CHTOK" \
	"X-Goog-Resource-State: exists" "X-Goog-Message-Number: 999999" "X-Goog-Resource-ID: other"
is "$(cat "$T/code")" 404 "the right token for another resource is answered 404"
notify "$T/code" "X-Goog-Channel-ID: $ID" "X-Goog-Channel-Token: $CHTOK" \
	"X-Goog-Resource-State: exists" "X-Goog-Message-Number: $LAST" "X-Goog-Resource-ID: $RID"
is "$(cat "$T/code")" 200 "a replayed notification is answered 200 (Google must not retry it) ..."
sleep 1
ok "... and the forgeries and the replay touched no file of the receiver" \
	test -z "$(find "$PUSH" -newer "$T/stamp" -print)"
is "$(emu_log_count GET '/events$')" "$lists0" "... and caused no pull"
notify "$T/code" "X-Goog-Channel-ID: $ID" "X-Goog-Channel-Token: $CHTOK" \
	"X-Goog-Resource-State: exists" "X-Goog-Message-Number: $((LAST + 1000))" "X-Goog-Resource-ID: $RID"
i=0
while [ "$(emu_log_count GET '/events$')" = "$lists0" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
sleep 1
is "$(emu_log_count GET '/events$')" "$((lists0 + 1))" "a replay with a new number (it holds the token) costs one pull, no more"

# the receiver under valgrind, as the web server runs it
if command -v valgrind >/dev/null 2>&1 && case $GCAL_BUILD in *san*) false ;; *) true ;; esac; then
	env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST CONTENT_LENGTH=0 \
		HTTP_X_GOOG_CHANNEL_ID="$ID" HTTP_X_GOOG_CHANNEL_TOKEN="$CHTOK" \
		HTTP_X_GOOG_RESOURCE_ID="$RID" HTTP_X_GOOG_RESOURCE_STATE=exists \
		HTTP_X_GOOG_MESSAGE_NUMBER=$((LAST + 2000)) \
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		--log-file="$T/vg" gcal-notify >"$OUT" 2>"$ERR" </dev/null
	rc=$?
	ok "gcal-notify: valgrind finds nothing (exit $rc)" test "$rc" = 0 -a ! -s "$T/vg"
	ok "... and it answered 200 as a CGI" has '^Status: 200' "$OUT"
	rm -f "$PUSH/dirty/a"
else
	pass "gcal-notify under valgrind # SKIP no valgrind, or a sanitizer build"
	pass "... answered 200 # SKIP"
fi

# --- request bounds ----------------------------------------------------------
head -c 10000 /dev/zero | tr '\0' x >"$T/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$T/big" \
	-H "X-Goog-Channel-ID: $ID" -H "X-Goog-Channel-Token: $CHTOK" \
	-H 'X-Goog-Resource-State: exists' -H 'X-Goog-Message-Number: 99999999' "$URL")
is "$code" 413 "a request with a 10 kB body is refused (413)"
head -c 100000 /dev/zero | tr '\0' x >"$T/huge"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$T/huge" "$URL")
is "$code" 413 "a 100 kB request is refused by the server (413)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL")
is "$code" 405 "a GET is refused (405)"
ok "the oversized ones marked nothing" test ! -e "$PUSH/dirty/a"

# --- renewal before expiry: no window without a channel ----------------------
stop_runner
stops0=$(emu_log_count POST '^/calendar/v3/channels/stop$')
run gcal-watch stop -p a
is "$rc" 0 "gcal-watch stop"
is "$(emu_log_count POST '^/calendar/v3/channels/stop$')" "$((stops0 + 1))" "... with one channels.stop (its 204 is not retried)"
push_log
ok "... Google was told (channels.stop)" jq_ok --arg id "$ID" '.channels[] | select(.id == $id) | .stopped' "$T/push.json"
ok "... and the receiver knows the channel no more" test ! -e "$PUSH/channels/$ID"
run gcal-watch start -p a --address "$URL" --ttl 4
ID1=$(jq -r .id "$OUT")
rm -f "$PUSH/dirty/a"
start_runner --safety-poll 3600
# cron every half second, replacing a channel within 2 s of its end,
# while the calendar changes every 0.4 s across the replacement
( while :; do gcal-watch renew -p a --margin 2 >>"$T/renew.out" 2>>"$T/renew.err"; sleep 0.5; done ) &
CRON=$!
lat=
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
	new_event "renew-$n"
	sleep 0.4
done
kill $CRON; wait $CRON 2>/dev/null
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
	seen "renew-$n" 3000 || lat="$lat renew-$n"
done
# a notification is in the log before its POST is answered: wait for
# the answers (a busy machine), then judge them
i=0
while push_log && ! jq_ok '[.log[] | select(.dropped != true and .status == null)] | length == 0' "$T/push.json" &&
	[ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
ok "the channel was replaced before it expired" test "$(jq -s 'map(select(.renewed)) | length' "$T/renew.out")" -ge 1
ok "... and the old one stopped" jq_ok --arg id "$ID1" '.channels[] | select(.id == $id) | .stopped' "$T/push.json"
is "$lat" "" "every change across the replacement reached the mirror by push"
ok "no change was made while no channel was live (each has a notification delivered)" \
	jq_ok '[.log[] | select(.state == "exists" and .ok != true)] | length == 0' "$T/push.json"
is "$(jq -r '.channels | length' "$XDG_STATE_HOME/gcal/a/channel.json")" 1 "one channel is left in channel.json"
stop_runner

# --- a channel that expired (cron down): renew marks the link dirty ----------
run gcal-watch stop -p a
run gcal-watch start -p a --address "$URL" --ttl 1
rm -f "$PUSH/dirty/a"
start_runner --safety-poll 3600
sleep 1.5
new_event "gap-1"
sleep 0.7
push_log
ok "the emulator sends nothing on an expired channel" \
	jq_ok '[.log[] | select(.state == "exists" and (.ts > (now - 0.8)))] | length == 0' "$T/push.json"
ok "... so the change is not in the mirror yet" test -z "$(grep gap-1 "$T/changes")"
run gcal-watch renew -p a --ttl 3600
is "$rc" 0 "renew replaces an expired channel"
ok "... and the gap is pulled at once (within 2 s)" seen gap-1 2000
stop_runner

# --- a dropped notification is caught by the safety poll ---------------------
start_runner --safety-poll 3
emu_ctl POST /_emu/push/config '{"drop":1}' >/dev/null
t0=$(ms)
new_event "dropped-1"
sleep 0.5
push_log
ok "the emulator dropped the notification" jq_ok '[.log[] | select(.dropped)] | length == 1' "$T/push.json"
ok "the safety poll brings the change anyway (within 3 s + 10%)" seen dropped-1 4500
echo "# dropped change in the mirror after $(( $(ms) - t0 )) ms"
stop_runner

# --- delayed notifications are still counted once -----------------------------
emu_ctl POST /_emu/push/config '{"delay_ms":300}' >/dev/null
start_runner --safety-poll 3600
t0=$(ms)
new_event "delayed-1"
ok "a delayed notification still brings the change" seen delayed-1 3000
ok "... not before the delay" test "$waited" -ge 250
emu_ctl POST /_emu/push/config '{"delay_ms":0}' >/dev/null
stop_runner

# --- the watched calendar is deleted: Google says not_exists -----------------
link_account g
gcal-auth use -p g --create Doomed >"$T/use-g.out" 2>&1
GCAL_ID=$(jq -r .id "$T/use-g.out")
run gcal-watch start -p g --address "$URL"
GID=$(jq -r .id "$OUT")
sleep 0.3
rm -f "$PUSH/dirty/g"
GTOK=$(gcal-auth token -p g)
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $GTOK" \
	"$EMU_URL/calendar/v3/calendars/$(printf %s "$GCAL_ID" | jq -sRr @uri)"
i=0
while :; do
	push_log
	jq -e --arg id "$GID" '[.log[] | select(.channel == $id and .state == "not_exists" and .status != null)] | length > 0' \
		"$T/push.json" >/dev/null && break
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
ok "a deleted calendar's channel gets not_exists, answered 200" jq_ok --arg id "$GID" \
	'[.log[] | select(.channel == $id and .state == "not_exists" and .status == 200)] | length == 1' "$T/push.json"
ok "... which marks the link for a pull (that finds the calendar gone)" test -e "$PUSH/dirty/g"
ok "... and ends the channel at Google" jq_ok --arg id "$GID" '.channels[] | select(.id == $id) | .stopped' "$T/push.json"
run gcal-pull -p g
is "$rc" 65 "the pull of a link whose calendar is gone: bad data (65), Google's 404"

# --- the link changes calendar, then is revoked ------------------------------
OLD=$(jq -r '.channels[0].id' "$XDG_STATE_HOME/gcal/a/channel.json")
gcal-auth use -p a --create Moved >"$T/use.out" 2>&1
NEWCAL=$(jq -r .id "$T/use.out")
rm -f "$PUSH/dirty/a"
run gcal-watch renew -p a
is "$rc" 0 "renew after the link changed calendar"
is "$(jq -r .calendar "$OUT")" "$NEWCAL" "... watches the new calendar"
push_log
ok "... and stopped the channel on the old one" jq_ok --arg id "$OLD" '.channels[] | select(.id == $id) | .stopped' "$T/push.json"
ok "... and marks the link for a pull" test -e "$PUSH/dirty/a"
NEWID=$(jq -r '.channels[0].id' "$XDG_STATE_HOME/gcal/a/channel.json")
run gcal-revoke -p a
is "$rc" 0 "gcal-revoke"
push_log
ok "revoke stopped the channel at Google" jq_ok --arg id "$NEWID" '.channels[] | select(.id == $id) | .stopped' "$T/push.json"
ok "... and the receiver answers it 404 from now on" test ! -e "$PUSH/channels/$NEWID"

# a grant that died at Google cannot stop its channel: forgotten locally
link_account b
run gcal-watch start -p b --address "$URL"
BID=$(jq -r .id "$OUT")
emu_ctl POST /_emu/grants/revoke '{"user":"alice@example.com"}' >/dev/null
run gcal-watch renew -p b --margin 999999
is "$rc" 77 "renew with a dead grant: relink (77)"
ok "... the channel is still known to the receiver" test -e "$PUSH/channels/$BID"
run gcal-revoke -p b
is "$rc" 0 "gcal-revoke of a dead grant with a channel"
ok "... forgets the channel for the receiver" test ! -e "$PUSH/channels/$BID"

# lighttpd logs its own errors to server.errorlog, a CGI's standard
# error to its own
ok "lighttpd logged no error of the CGI" eval \
	'lacks gcal-notify "$T/lighttpd.err" && lacks gcal-notify "$T/lighttpd.out"'

# --- a push directory the receiver may not use: 500 (Google tries again)
# and one line in the web server's log, never a 404 that drops the change
printf '{"profile":"c","resourceId":"rc","token":"tok-c"}\n' >"$PUSH/channels/gcal-dirs"
chmod 600 "$PUSH/channels/gcal-dirs"
rm -f "$PUSH/dirty/c"
dirs_notify() {
	notify "$T/code" "X-Goog-Channel-ID: gcal-dirs" "X-Goog-Channel-Token: tok-c" \
		"X-Goog-Resource-State: exists" "X-Goog-Message-Number: $1" "X-Goog-Resource-ID: rc"
	cat "$T/code"
}
chmod 770 "$PUSH"
is "$(dirs_notify 1)" 500 "a push directory others can write to: 500"
chmod 700 "$PUSH"
ok "... the web server's log says why" has "writable by others" "$T/lighttpd.out"
mv "$PUSH/channels/gcal-dirs" "$T/dirs-record"
ln -s "$T/dirs-record" "$PUSH/channels/gcal-dirs"
is "$(dirs_notify 2)" 500 "a channel record that is a symbolic link: 500"
ok "... the web server's log names it" has "gcal-dirs': a symbolic link" "$T/lighttpd.out"
rm -f "$PUSH/channels/gcal-dirs"
mv "$T/dirs-record" "$PUSH/channels/gcal-dirs"
if [ "$(id -u)" = 0 ]; then
	# the receiver run as the web server's own user, not gcal-watch's
	chown 65534 "$PUSH"
	is "$(dirs_notify 3)" 500 "a push directory of another user: 500"
	chown 0 "$PUSH"
	ok "... the web server's log says to run it as the user of gcal-watch" \
		has "owned by uid 65534, not by uid 0 that gcal-notify runs as" "$T/lighttpd.out"
	chown 65534 "$PUSH/channels/gcal-dirs"
	is "$(dirs_notify 4)" 500 "a channel record of another user: 500"
	chown 0 "$PUSH/channels/gcal-dirs"
else
	pass "a push directory of another user # SKIP needs root (chown)"
	pass "... the web server's log says to run it as the user of gcal-watch # SKIP needs root"
	pass "a channel record of another user # SKIP needs root (chown)"
fi
ok "... and none of them marked the link" test ! -e "$PUSH/dirty/c"
is "$(dirs_notify 5)" 200 "the same notification with the directory put right: 200"
ok "... and the link is marked" test -e "$PUSH/dirty/c"
done_testing
