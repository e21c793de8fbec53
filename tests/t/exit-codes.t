#!/bin/sh
# The exit-status rule of gcal(7), for every program that talks to a
# server: 75 when running again later can work (refused, DNS, timeouts,
# 5xx and 429 storms), 77 when a human must link again (a scope the grant
# lacks, a 401 after the one refresh), 64 for a GCAL_ENDPOINT that is
# malformed or plain http to another machine (nothing sent), 69 for an
# answer over GCAL_MAX_BODY. The one refresh on a 401 is owed even with
# GCAL_RETRIES=0. A matrix is printed at the end; then the same for
# Microsoft profiles against the Graph emulator, with the sign-in's
# AADSTS refusals and a damaged token.json or profile.json (78).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-ms.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
GCAL_RETRIES=1
GCAL_BACKOFF_MS=1
export GCAL_RETRIES GCAL_BACKOFF_MS
run link_account || { echo "Bail out! cannot link"; exit 1; }
WCAL=$(gcal-auth calendars | jq -r 'select(.summary == "Team") | .id')
[ -n "$WCAL" ] || { echo "Bail out! no Team calendar"; exit 1; }
emu_ctl POST /_emu/config '{"consent_user":"bob@example.com"}' >/dev/null
link_account rv || { echo "Bail out! cannot link bob"; exit 1; }
emu_ctl POST /_emu/config '{"consent_user":"alice@example.com"}' >/dev/null
link_account uc || { echo "Bail out! cannot link uc"; exit 1; }
cp "$XDG_CONFIG_HOME/gcal/uc/profile.json" "$T/uc.profile"
run gcal-pull
[ "$rc" = 0 ] || { echo "Bail out! first pull: $(cat "$ERR")"; exit 1; }
SYNC=$XDG_STATE_HOME/gcal/default/sync
RVTOKEN=$XDG_STATE_HOME/gcal/rv/token.json

# the cells: cell PROG COLUMN DESCRIPTION CHECK... (tests/lib.sh)
: >"$MATRIX"
one_line() { [ "$(wc -l <"$ERR")" = 1 ]; }
snap() { rm -rf "$T/snap"; cp -R "$SYNC" "$T/snap"; }
same_sync() { diff -r "$T/snap" "$SYNC" >/dev/null; }

# an event for forward-apply: a number in the title, now
NOW=2026-11-23T10:15:00+01:00
jq -nc '{kind:"calendar#event", id:"fw1", status:"confirmed", summary:"0612345678",
	start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}' >"$T/fw.in"
n=0
ins() { # ID: one insert into the Team calendar
	jq -nc --arg id "$1" '{op:"insert", target:"remote", id:$id,
		event:{summary:$id, start:{dateTime:"2026-12-01T10:00:00Z"},
		end:{dateTime:"2026-12-01T10:30:00Z"},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
in_team() { emu_ctl GET "/_emu/calendars/$WCAL/events" | grep -c "\"$1\"" ; }

PROGS="login token status calendars use pull push revoke forward"
# drive PROG [ENV...]: run one program the way a cron job would
drive() {
	_p=$1
	shift
	n=$((n + 1))
	case $_p in
	token) run env "$@" gcal-auth token --refresh ;;
	status) run env "$@" gcal-auth status --check ;;
	calendars) run env "$@" gcal-auth calendars ;;
	pull) snap; run env "$@" gcal-pull ;;
	push) ins "ec${n}k0001" >"$T/push.in"; run_in "$T/push.in" env "$@" gcal-push -c "$WCAL" ;;
	revoke) cp "$RVTOKEN" "$T/rv.before"; run env "$@" gcal-revoke -p rv ;;
	login) rm -rf "$XDG_CONFIG_HOME/gcal/lg" "$XDG_STATE_HOME/gcal/lg"
		# a browser that says when a page cannot be loaded (-f: an
		# HTTP error too; plain curl -L ends 0 on Google's 503 page,
		# which looks like a browser that did not follow the start
		# page's redirect)
		run env BROWSER="curl -sfL" "$@" gcal-auth login -p lg --client-secret "$CLIENT" --timeout 2 ;;
	use) run env "$@" gcal-auth use -p uc --create "Made $n" ;;
	forward) rm -f "$T/fw.state"
		run_in "$T/fw.in" env "$@" forward-apply -e 333 --post "$POST" --state "$T/fw.state" --at "$NOW" ;;
	esac
}
# untouched PROG: what a failed run of PROG must leave as it was
untouched() {
	case $1 in
	pull) same_sync ;;
	push) [ "$(in_team "ec${n}k0001")" = 0 ] && { [ "$(jq -r .status "$OUT")" = failed ] ||
		{ [ "$rc" = 64 ] && [ ! -s "$OUT" ]; }; } ;;
	revoke) cmp -s "$RVTOKEN" "$T/rv.before" ;;
	forward) [ ! -e "$T/fw.state" ] ;;
	status) jq -e '.check == "failed"' "$OUT" >/dev/null ;;
	login) [ ! -e "$XDG_STATE_HOME/gcal/lg/token.json" ] && [ ! -s "$OUT" ] ;;
	use) [ ! -s "$OUT" ] && cmp -s "$XDG_CONFIG_HOME/gcal/uc/profile.json" "$T/uc.profile" ;;
	*) [ ! -s "$OUT" ] ;;
	esac
}

# --- try later: 75 ------------------------------------------------------------
for f in refused dns timeout 5xx 429; do
	for p in $PROGS; do
		POST=$EMU_URL/RPC
		set --
		case $f in
		refused) set -- GCAL_ENDPOINT=http://127.0.0.1:1; POST=http://127.0.0.1:1/RPC; where=127.0.0.1:1 ;;
		dns) set -- GCAL_ENDPOINT=https://nonexistent.invalid; POST=http://nonexistent.invalid/RPC; where=nonexistent.invalid ;;
		timeout) emu_ctl POST /_emu/config '{"latency_ms":2500}' >/dev/null
			set -- GCAL_TIMEOUT=1; where=$EMU_URL ;;
		5xx) emu_ctl POST /_emu/faults '{"path":".","status":503,"times":-1}' >/dev/null; where=$EMU_URL ;;
		429) emu_ctl POST /_emu/faults '{"path":".","status":429,"times":-1}' >/dev/null; where=$EMU_URL ;;
		esac
		drive $p "$@"
		emu_ctl POST /_emu/config '{"latency_ms":0}' >/dev/null
		emu_ctl DELETE /_emu/faults >/dev/null
		# login: the browser cannot load the consent page, which is
		# named (without its query); a slow one ends at --timeout
		[ $p = login ] && [ $f = timeout ] && where=
		[ $p = login ] && [ $f != timeout ] && where=${where#http://}/o/oauth2/v2/auth
		cell $p $f "75 (try later), one line${where:+ naming $where}, nothing changed" eval \
			'[ "$rc" = 75 ] && one_line && { [ -z "$where" ] || has "$where" "$ERR"; } && untouched $p'
	done
done
ok "no message carries a query string (its values can be tokens)" eval '! grep -q "?[a-z]" "$ERR"'

# --- a malformed GCAL_ENDPOINT: 64 at once, nothing sent ----------------------
NL='
'
for e in notaurl ftp://x http:// 'http://127.0.0.1:8931x' 'http://127.0.0.1:8931 junk' 'http://u:p@127.0.0.1:1' \
	"http://127.0.0.1:1${NL}junk" 'http://127.0.0.1:1/?x=1' 'http://127.0.0.1:1#f'; do
	for p in login token status calendars use pull push revoke; do
		drive $p GCAL_ENDPOINT="$e"
		cell $p "bad-endpoint" "'$(printf %s "$e" | tr '\n' '~')': 64 in one line naming GCAL_ENDPOINT" eval \
			'[ "$rc" = 64 ] && one_line && has GCAL_ENDPOINT "$ERR" && lacks "u:p" "$ERR" && untouched $p'
	done
done
for p in pull push revoke calendars; do
	case $p in pull) set -- gcal-pull ;; push) set -- gcal-push ;; revoke) set -- gcal-revoke ;; calendars) set -- gcal-auth calendars ;; esac
	run env GCAL_ENDPOINT=notaurl "$@" -p nosuchprofile
	cell $p bad-endpoint "at once: before the profile is looked for (64, not 78)" eval '[ "$rc" = 64 ] && one_line'
done
for u in http:// 'http://127.0.0.1:1x/RPC' 'notaurl'; do
	POST=$u
	drive forward
	cell forward "bad-endpoint" "--post '$u': 64" eval '[ "$rc" = 64 ] && untouched forward'
done

rm -f "$T/fw.state"
run_in "$T/fw.in" forward-apply -v -e 333 --post "http://u:pw5ecret@127.0.0.1:1/RPC?key=k3yvalue" \
	--state "$T/fw.state" --at "$NOW"
cell forward refused "--post URL with a password: 75, the password in no message or trace, the query in no message" eval \
	'[ "$rc" = 75 ] && lacks pw5ecret "$ERR" && tail -1 "$ERR" | grep -q "127.0.0.1:1/RPC" &&
	! tail -1 "$ERR" | grep -q k3yvalue'

# --- plain http to a host that is not this machine: refused before sending -------
ADDR=$( (hostname -I 2>/dev/null || true) | tr ' ' '\n' | grep -v '^127\.' | grep -v : | head -1)
if [ -n "$ADDR" ]; then
	python3 -c '
import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); s.listen(16)
open(sys.argv[2] + ".tmp", "w").write(str(s.getsockname()[1])); __import__("os").rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    c, _ = s.accept(); open(sys.argv[3], "a").write("x\n"); c.close()
' "$ADDR" "$T/lport" "$T/conns" &
	lpid=$!
	i=0
	while [ ! -s "$T/lport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	FAR=http://$ADDR:$(cat "$T/lport")
	: >"$T/conns"
	for p in login token status calendars use pull push revoke; do
		drive $p GCAL_ENDPOINT="$FAR"
		cell $p "plain-http" "$FAR: 64 in one line, no connection made" eval \
			'[ "$rc" = 64 ] && one_line && has GCAL_INSECURE_HTTP "$ERR" && [ ! -s "$T/conns" ] && untouched $p'
	done
	run env GCAL_ENDPOINT="$FAR" GCAL_INSECURE_HTTP=1 GCAL_RETRIES=0 gcal-auth calendars
	ok "GCAL_INSECURE_HTTP=1 lets it through (the listener saw the request)" test -s "$T/conns"
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
else
	pass "# SKIP this machine has no address but loopback"
fi
run env GCAL_ENDPOINT="http://localhost:$EMU_PORT" gcal-auth calendars
is "$rc" 0 "plain http to localhost is allowed"

# --- 403 for a scope the grant lacks: 77 (link again) --------------------------
link_account ro --scope calendar.readonly || fail "link with calendar.readonly"
run gcal-pull -p ro
cell pull scope "a read-only grant reads: 0" eval '[ "$rc" = 0 ]'
run gcal-auth calendars -p ro
cell calendars scope "a read-only grant lists: 0" eval '[ "$rc" = 0 ]'
{ ins scope0001; ins scope0002; } >"$T/push.in"
run_in "$T/push.in" gcal-push -p ro -c "$WCAL"
cell push scope "77, a failed record per change (insufficientPermissions), nothing written" eval \
	'[ "$rc" = 77 ] && [ "$(jq -r "select(.status == \"failed\") | .reason" "$OUT" | sort -u)" = insufficientPermissions ] &&
	[ "$(wc -l <"$OUT")" = 2 ] && [ "$(in_team scope000)" = 0 ] && one_line && has "gcal-auth login -p ro" "$ERR"'
cals=$(emu_ctl GET /_emu/calendars | jq length)
run gcal-auth use -p ro --create Other
cell use scope "use --create: 77, no calendar made" eval \
	'[ "$rc" = 77 ] && [ "$(emu_ctl GET /_emu/calendars | jq length)" = "$cals" ]'
# a scope refused in one batch, Google down for the next: 77 wins over 75
emu_ctl POST /_emu/faults '[{"method":"POST","path":"/events","batch_part":true,"status":403,"reason":"insufficientPermissions","times":1},
	{"method":"POST","path":"^/batch","status":503,"skip":1,"times":-1}]' >/dev/null
{ ins mixed00001; ins mixed00002; } >"$T/push.in"
run_in "$T/push.in" gcal-push --batch 1 -c "$WCAL"
emu_ctl DELETE /_emu/faults >/dev/null
cell push scope "a 403 for scope, then a 503 storm: 77 wins over 75, a failed record each" eval \
	'[ "$rc" = 77 ] && [ "$(jq -r .status "$OUT" | sort | tr "\n" " ")" = "failed failed " ]'
# grants that lack the read scope of what is asked
link_account lo --scope calendar.calendarlist.readonly || fail "link with calendarlist.readonly"
run gcal-pull -p lo -c alice@example.com
cell pull scope "a grant that cannot read events: 77 in one line, link again" eval \
	'[ "$rc" = 77 ] && one_line && [ ! -s "$OUT" ]'
link_account ev --scope calendar.events || fail "link with calendar.events"
run gcal-auth calendars -p ev
cell calendars scope "a grant that cannot list calendars: 77 in one line" eval \
	'[ "$rc" = 77 ] && one_line && [ ! -s "$OUT" ]'
run gcal-auth status -p ev --check
cell status scope "--check with a grant that cannot list calendars: 77" eval \
	'[ "$rc" = 77 ] && jq -e ".check == \"failed\"" "$OUT" >/dev/null'
# a 403 that refuses one change only (errors guide: forbiddenForNonOrganizer)
# is that change's failure, not the grant's
emu_ctl POST /_emu/faults '{"method":"POST","path":"/events","batch_part":true,"status":403,"reason":"forbiddenForNonOrganizer","times":1}' >/dev/null
{ ins nonorg0001; ins nonorg0002; } >"$T/push.in"
run_in "$T/push.in" gcal-push -c "$WCAL"
emu_ctl DELETE /_emu/faults >/dev/null
cell push 403-one "forbiddenForNonOrganizer on one change: 1, the other written" eval \
	'[ "$rc" = 1 ] && [ "$(jq -r .status "$OUT" | sort | tr "\n" " ")" = "failed ok " ]'

# --- 401: the one refresh is not a retry -----------------------------------------
for p in calendars pull push status; do
	emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
	before=$(emu_log_count POST '^/token$')
	POST=$EMU_URL/RPC
	drive $p GCAL_RETRIES=0
	cell $p 401-once "GCAL_RETRIES=0, token died early: refreshed once, 0" eval \
		'[ "$rc" = 0 ] && [ "$(($(emu_log_count POST "^/token$") - before))" = 1 ]'
done
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
run env GCAL_RETRIES=0 gcal-auth use -p uc --create Created
cell use 401-once "GCAL_RETRIES=0, token died early: use --create refreshes, 0" eval '[ "$rc" = 0 ]'
# a batch whose parts answer 401 (the outer request passed)
emu_ctl POST /_emu/faults '{"method":"POST","path":"/events","batch_part":true,"status":401,"times":2}' >/dev/null
before=$(emu_log_count POST '^/token$')
{ ins bp401k0001; ins bp401k0002; } >"$T/push.in"
run_in "$T/push.in" env GCAL_RETRIES=0 gcal-push -c "$WCAL"
emu_ctl DELETE /_emu/faults >/dev/null
cell push 401-parts "batch parts answering 401, GCAL_RETRIES=0: one refresh, 2 ok" eval \
	'[ "$rc" = 0 ] && [ "$(jq -r .status "$OUT" | sort -u)" = ok ] &&
	[ "$(($(emu_log_count POST "^/token$") - before))" = 1 ]'
# a 401 on page 2 of 2 (the read-ahead fetcher's request)
emu_ctl POST "/_emu/calendars/alice@example.com/generate" \
	'{"count":2600,"start":"2027-01-04T08:00:00Z","minutes":30,"step_minutes":60,"summary":"Page %d"}' >/dev/null
emu_ctl POST /_emu/faults '{"method":"GET","path":"/events$","status":401,"reason":"authError","skip":1,"times":1}' >/dev/null
before=$(emu_log_count POST '^/token$')
run env GCAL_RETRIES=0 gcal-pull --full -c alice@example.com
emu_ctl DELETE /_emu/faults >/dev/null
cell pull 401-once "a 401 on page 2, GCAL_RETRIES=0: one refresh, every event printed" eval \
	'[ "$rc" = 0 ] && [ "$(($(emu_log_count POST "^/token$") - before))" = 1 ] &&
	[ "$(jq -s "map(select(.status != \"cancelled\")) | length" "$OUT")" = "$(emu_ctl GET "/_emu/calendars/alice@example.com/events" | jq -s "map(select(.status != \"cancelled\")) | length")" ]'
# Google keeps refusing the new token too: 77, after one refresh
for p in calendars pull push; do
	emu_ctl POST /_emu/faults '{"path":"^/(calendar|batch)/","status":401,"reason":"authError","times":-1}' >/dev/null
	before=$(emu_log_count POST '^/token$')
	drive $p GCAL_RETRIES=0
	emu_ctl DELETE /_emu/faults >/dev/null
	cell $p 401-again "401 after the refresh: 77 in one line, one refresh" eval \
		'[ "$rc" = 77 ] && one_line && untouched $p &&
		[ "$(($(emu_log_count POST "^/token$") - before))" = 1 ]'
done
emu_ctl POST /_emu/faults '{"method":"POST","path":"/events","batch_part":true,"status":401,"times":-1}' >/dev/null
before=$(emu_log_count POST '^/token$')
{ ins bp401m0001; ins bp401m0002; } >"$T/push.in"
run_in "$T/push.in" env GCAL_RETRIES=0 gcal-push -c "$WCAL"
emu_ctl DELETE /_emu/faults >/dev/null
cell push 401-again "parts still 401 after the refresh: 77, a failed record each, one line" eval \
	'[ "$rc" = 77 ] && [ "$(jq -r .status "$OUT" | sort | tr "\n" " ")" = "failed failed " ] && one_line &&
	[ "$(($(emu_log_count POST "^/token$") - before))" = 1 ]'

# --- answers over GCAL_MAX_BODY: 69, state untouched, memory bounded -----------------
emu_ctl POST "/_emu/calendars/alice@example.com/generate" \
	'{"count":300,"start":"2026-02-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
snap
run env GCAL_MAX_BODY=20000 gcal-pull --full
cell pull big-page "a page over GCAL_MAX_BODY: 69 in one line naming it, state untouched" eval \
	'[ "$rc" = 69 ] && one_line && has GCAL_MAX_BODY "$ERR" && same_sync'
run gcal-pull --full
cell pull big-page "... and under the default cap the same pull works" eval '[ "$rc" = 0 ]'
# a server that never ends its answer, and one that announces 300 MB
python3 -c '
import os, socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    try:
        req = c.recv(65536).decode("latin-1")
        if "/calendarList" in req:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 300000000\r\n\r\n")
        else:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"items\":[")
        chunk = b"{\"id\":\"x\",\"summary\":\"" + b"y" * 65000 + b"\"},"
        while True:
            c.sendall(chunk)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$T/bport" &
bpid=$!
i=0
while [ ! -s "$T/bport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
BIG=http://127.0.0.1:$(cat "$T/bport")
snap
/usr/bin/time -f %M -o "$T/rss" env GCAL_ENDPOINT="$BIG" GCAL_RETRIES=0 gcal-pull --full >"$OUT" 2>"$ERR" </dev/null
rc=$?
rss=$(tail -1 "$T/rss")
cell pull endless "an endless body: 69 in one line, state untouched, at most 200 MB ($((rss / 1024)) MB)" eval \
	'[ "$rc" = 69 ] && one_line && has GCAL_MAX_BODY "$ERR" && same_sync && [ "$rss" -lt 204800 ]'
/usr/bin/time -f %M -o "$T/rss" env GCAL_ENDPOINT="$BIG" GCAL_RETRIES=0 gcal-auth calendars >"$OUT" 2>"$ERR" </dev/null
rc=$?
rss=$(tail -1 "$T/rss")
cell calendars huge "Content-Length 300 MB: 69 at once, nothing printed ($((rss / 1024)) MB)" eval \
	'[ "$rc" = 69 ] && one_line && has GCAL_MAX_BODY "$ERR" && [ ! -s "$OUT" ] && [ "$rss" -lt 102400 ]'
{ ins big0000001; ins big0000002; } >"$T/push.in"
run_in "$T/push.in" env GCAL_ENDPOINT="$BIG" GCAL_RETRIES=0 gcal-push -c "$WCAL"
cell push endless "an endless batch answer: 69, a failed record per change" eval \
	'[ "$rc" = 69 ] && [ "$(jq -r .status "$OUT" | sort | tr "\n" " ")" = "failed failed " ] && has GCAL_MAX_BODY "$ERR"'
cp "$XDG_STATE_HOME/gcal/default/token.json" "$T/token.before"
run env GCAL_ENDPOINT="$BIG" GCAL_RETRIES=0 gcal-auth token --refresh
cell token endless "an endless token answer: 69 in one line, token.json untouched" eval \
	'[ "$rc" = 69 ] && one_line && cmp -s "$XDG_STATE_HOME/gcal/default/token.json" "$T/token.before" && [ ! -s "$OUT" ]'
run env GCAL_ENDPOINT="$BIG" GCAL_RETRIES=0 GCAL_MAX_BODY=1x gcal-pull
cell pull bad-cap "GCAL_MAX_BODY that is not a number: 64" eval '[ "$rc" = 64 ] && one_line'
kill "$bpid" 2>/dev/null
wait "$bpid" 2>/dev/null

# --- Microsoft profiles: the same statuses from Graph and Microsoft's sign-in --
# Graph's errors ("Microsoft Graph error responses and resource types"):
# {"error":{"code","message","innerError"}}; the sign-in's ("Microsoft
# identity platform error codes"): invalid_grant with AADSTS codes.
graph_start || { echo "Bail out! graph emulator"; exit 1; }
ms_link ms
ms_link mt alice@contoso.com Team
ms_link mr
MTEAM=$(ms_cal alice@contoso.com Team)
MSYNC=$XDG_STATE_HOME/gcal/ms/sync
MSDIR=$T/mssync
mkdir -p "$MSDIR"
APPLY=$TOP/tests/helpers/sync-apply.sh
jq -nc '{appointment_id:"A1", summary:"Cut A1", start:{dateTime:"2026-12-01T09:00:00Z"},
	end:{dateTime:"2026-12-01T09:45:00Z"}}' >"$MSDIR/local.ndjson"
ms_sync() {
	run env "$@" gcal-sync -p mt --local "$MSDIR/local.ndjson" -k .appointment_id \
		--state "$MSDIR/state" --apply-cmd "sh '$APPLY' '$MSDIR/local.ndjson'"
}
run gcal-pull -p ms
[ "$rc" = 0 ] || { echo "Bail out! first Microsoft pull: $(cat "$ERR")"; exit 1; }
ms_sync
[ "$rc" = 0 ] || { echo "Bail out! first Microsoft sync: $(cat "$ERR")"; exit 1; }
ms_snap() { rm -rf "$T/msnap" "$T/msnap.sync"; cp -R "$MSYNC" "$T/msnap"; cp -R "$MSDIR" "$T/msnap.sync"; }
ms_same() { diff -r "$T/msnap" "$MSYNC" >/dev/null; }
ms_sync_same() { diff -r "$T/msnap.sync" "$MSDIR" >/dev/null; }
mn=0
ms_ins() {
	jq -nc --arg id "$1" '{op:"insert", target:"remote", id:$id,
		event:{summary:$id, start:{dateTime:"2026-12-01T10:00:00Z"},
		end:{dateTime:"2026-12-01T10:30:00Z"},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
in_mteam() { graph_ctl GET "/_emu/calendars/$MTEAM/events" | grep -c "\"$1\"" ; }
# ms_one_line PROG: the error in one line; gcal-sync adds its own after its
# child's, and a pull whose delta link is another endpoint's says it
# pulls in full first
ms_one_line() {
	case $1 in
	sync) { [ "$(wc -l <"$ERR")" = 2 ] && tail -1 "$ERR" | grep -q "exited $rc: nothing done"; } ||
		[ "$(wc -l <"$ERR")" = 1 ] ;;
	run) [ "$(grep -v 'pulling in full$' "$ERR" | grep -vc '^gcal-run: pull: 1 link run$')" = 1 ] ;;
	*) [ "$(grep -vc 'pulling in full$' "$ERR")" = 1 ] ;;
	esac
}
MSPROGS="token status calendars pull push sync run"
# ms_drive PROG [ENV...]: one program on a Microsoft profile
ms_drive() {
	_p=$1
	shift
	mn=$((mn + 1))
	ms_snap
	case $_p in
	token) cp "$XDG_STATE_HOME/gcal/ms/token.json" "$T/mtok.before"
		run env "$@" gcal-auth token -p ms --refresh ;;
	status) run env "$@" gcal-auth status -p ms --check ;;
	calendars) run env "$@" gcal-auth calendars -p ms ;;
	pull) run env "$@" gcal-pull -p ms ;;
	push) ms_ins "mk${mn}x" >"$T/mpush.in"; run_in "$T/mpush.in" env "$@" gcal-push -p mt ;;
	sync) jq -nc --arg s "Beard $mn" '{appointment_id:"A\($s)", summary:$s, start:{dateTime:"2026-12-02T09:00:00Z"},
		end:{dateTime:"2026-12-02T09:45:00Z"}}' >>"$MSDIR/local.ndjson"; ms_snap; ms_sync "$@" ;;
	run) rm -f "$XDG_STATE_HOME/gcal/ms/run.json"; run env "$@" gcal-run pull --profiles ms ;;
	esac
}
ms_untouched() {
	case $1 in
	token) cmp -s "$XDG_STATE_HOME/gcal/ms/token.json" "$T/mtok.before" && [ ! -s "$OUT" ] ;;
	status) jq -e '.check == "failed"' "$OUT" >/dev/null ;;
	pull) ms_same && [ ! -s "$OUT" ] ;;
	run) ms_same ;;
	push) [ "$(in_mteam "mk${mn}x")" = 0 ] && { [ "$(jq -r .status "$OUT")" = failed ] ||
		{ [ "$rc" = 78 ] && [ ! -s "$OUT" ]; }; } ;;
	sync) ms_sync_same ;;
	*) [ ! -s "$OUT" ] ;;
	esac
}
# ms_fault JSON: the Graph emulator's fault, the last one cleared
ms_fault() { graph_ctl DELETE /_emu/faults >/dev/null; graph_ctl POST /_emu/faults "$1" >/dev/null; }
ms_clear() { graph_ctl DELETE /_emu/faults >/dev/null; graph_ctl POST /_emu/config '{"latency_ms":0,"throttle":null}' >/dev/null; }
MSFAULTS="refused timeout reset truncated 5xx 503 429 429-date not-json 400 403 404 quota"
for f in $MSFAULTS; do
	for p in $MSPROGS; do
		set --
		want=75 where=$GRAPH_URL
		case $f in
		refused) set -- GCAL_GRAPH_ENDPOINT=http://127.0.0.1:1; where=127.0.0.1:1 ;;
		timeout) graph_ctl POST /_emu/config '{"latency_ms":2500}' >/dev/null; set -- GCAL_TIMEOUT=1 ;;
		reset) ms_fault '{"path":".","action":"drop_before","times":-1}' ;;
		truncated) ms_fault '{"path":".","action":"truncate","times":-1}' ;;
		5xx) ms_fault '{"path":".","status":500,"times":-1}' ;;
		503) ms_fault '{"path":".","status":503,"retry_after":1,"times":-1}' ;;
		429) ms_fault '{"path":".","status":429,"retry_after":1,"times":-1}' ;;
		429-date) ms_fault "{\"path\":\".\",\"status\":429,\"retry_after\":\"$(date -u -d '+2 sec' '+%a, %d %b %Y %H:%M:%S GMT')\",\"times\":-1}" ;;
		not-json) ms_fault '{"path":".","action":"invalid_json","times":-1}'; want=69 ;;
		400) ms_fault '{"path":"^/v1\\.0/","status":400,"code":"ErrorInvalidRequest","message":"Bad request.","times":-1}'; want=65 where=ErrorInvalidRequest ;;
		403) ms_fault '{"path":"^/v1\\.0/","status":403,"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again.","times":-1}'; want=77 where=ErrorAccessDenied ;;
		404) ms_fault '{"path":"^/v1\\.0/","status":404,"code":"ErrorItemNotFound","message":"The specified object was not found in the store.","times":-1}'; want=65 where=ErrorItemNotFound ;;
		quota) # the mailbox's 10,000 requests of 10 minutes are spent
			graph_ctl POST /_emu/config '{"throttle":{"limit":1,"window_s":600}}' >/dev/null
			curl -s -o /dev/null -H "Authorization: Bearer $(jq -r .access_token "$XDG_STATE_HOME/gcal/mr/token.json")" \
				"$GRAPH_URL/v1.0/me"
			where=ApplicationThrottled ;;
		esac
		case $p.$f in
		token.400|token.403|token.404|status.400|status.403|status.404|run.400|run.403|run.404)
			# the sign-in endpoint answers OAuth errors, not Graph's
			ms_clear; na "ms-$p" "$f"; continue ;;
		token.quota) ms_clear; na "ms-$p" "$f"; continue ;;
		esac
		t0=$(date +%s%3N)
		r0=$(graph_log_count)
		ms_drive $p "$@"
		t1=$(date +%s%3N)
		r1=$(graph_log_count)
		ms_clear
		graph_ctl POST /_emu/clock '{"offset_s":0}' >/dev/null
		cell "ms-$p" $f "$want in one line${where:+ naming $where}, nothing changed ($((t1 - t0)) ms)" eval \
			'[ "$rc" = $want ] && ms_one_line $p && { [ -z "$where" ] || has "$where" "$ERR"; } && ms_untouched $p'
		case $p.$f in
		pull.429|pull.429-date|push.429|calendars.429|calendars.429-date|pull.503|token.503)
			cell "ms-$p" $f "Retry-After honoured: $((t1 - t0)) ms for the one retry" test $((t1 - t0)) -ge 950 ;;
		esac
		# GCAL_RETRIES=1: the one request, once more, then given up
		case $p.$f in
		pull.5xx|pull.503|pull.429|pull.429-date|calendars.5xx|calendars.429|token.5xx|token.429)
			cell "ms-$p" $f "given up after the retry budget: $((r1 - r0)) requests" test $((r1 - r0)) = 2 ;;
		esac
	done
done
# gcal-revoke on a Microsoft profile sends nothing (Microsoft lets a public
# client revoke nothing): Graph and the sign-in out of reach, it forgets
ms_link mv
run env GCAL_GRAPH_ENDPOINT=http://127.0.0.1:1 gcal-revoke -p mv
cell ms-revoke refused "0, the tokens forgotten here, nothing sent" eval \
	'[ "$rc" = 0 ] && [ ! -e "$XDG_STATE_HOME/gcal/mv/token.json" ]'
ms_link mv
printf '{"provider":"microsoft"' >"$XDG_CONFIG_HOME/gcal/mv/profile.json"
run gcal-revoke -p mv
cell ms-revoke damaged-profile "78 in one line naming profile.json, the token kept" eval \
	'[ "$rc" = 78 ] && one_line && has profile.json "$ERR" && [ -e "$XDG_STATE_HOME/gcal/mv/token.json" ]'

# --- the token: 401 refreshes once, a dead grant is 77 naming the profile ----
TOKURL='^/common/oauth2/v2\.0/token$'
MSAUTH="401-once 401-again 70008 50173 700082 damaged-token damaged-profile"
for f in $MSAUTH; do
	for p in $MSPROGS; do
		case $p.$f in token.401-*) na "ms-$p" "$f"; continue ;; esac
		cp "$XDG_STATE_HOME/gcal/ms/token.json" "$T/mstok.keep"
		cp "$XDG_STATE_HOME/gcal/mt/token.json" "$T/mttok.keep"
		cp "$XDG_CONFIG_HOME/gcal/ms/profile.json" "$T/mprof.keep"
		cp "$XDG_CONFIG_HOME/gcal/mt/profile.json" "$T/mtprof.keep"
		before=$(graph_log_count POST "$TOKURL")
		want=77 where="gcal-auth login -p m[st]"
		case $f in
		401-once) graph_ctl POST /_emu/tokens/expire '{}' >/dev/null; want=0 where= ;;
		401-again) ms_fault '{"path":"^/v1\\.0/","status":401,"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid.","times":-1}' ;;
		70008) graph_ctl POST /_emu/refresh/expire '{}' >/dev/null; graph_ctl POST /_emu/tokens/expire '{}' >/dev/null; where="AADSTS70008.*gcal-auth login -p m[st]" ;;
		50173) graph_ctl POST /_emu/refresh/revoke '{}' >/dev/null; where="AADSTS50173.*gcal-auth login -p m[st]" ;;
		700082) graph_ctl POST /_emu/refresh/expire '{"inactive":true}' >/dev/null; graph_ctl POST /_emu/tokens/expire '{}' >/dev/null
			where="AADSTS700082.*gcal-auth login -p m[st]" ;;
		damaged-token) for q in ms mt; do printf '{"access_token":"x",' >"$XDG_STATE_HOME/gcal/$q/token.json"; done
			want=78 where="token.json" ;;
		damaged-profile) for q in ms mt; do printf '{"provider":"microsoft"' >"$XDG_CONFIG_HOME/gcal/$q/profile.json"; done
			want=78 where="profile.json" ;;
		esac
		ms_drive $p GCAL_RETRIES=0
		refreshes=$(($(graph_log_count POST "$TOKURL") - before))
		# status --check refreshes first: the refresh proves the grant
		[ $p.$f = status.401-again ] && refreshes=$((refreshes - 1))
		case $p in push | sync) q=mt ;; *) q=ms ;; esac
		ms_clear
		case $f in
		401-once) cell "ms-$p" $f "GCAL_RETRIES=0, token died early: refreshed once ($refreshes), 0, the new refresh token kept" eval \
			'[ "$rc" = 0 ] && [ "$refreshes" = 1 ] &&
			[ "$(jq -r .refresh_token "$XDG_STATE_HOME/gcal/$q/token.json")" != "$(jq -r .refresh_token "$T/m${q#m}tok.keep")" ]' ;;
		401-again) cell "ms-$p" $f "Graph refuses the new token too: 77 in one line, one refresh ($refreshes), nothing changed" eval \
			'[ "$rc" = 77 ] && ms_one_line $p && [ "$refreshes" = 1 ] && ms_untouched $p' ;;
		*) cell "ms-$p" $f "$want in one line naming $where, nothing changed" eval \
			'[ "$rc" = $want ] && ms_one_line $p && grep -q -- "$where" "$ERR" && ms_untouched $p' ;;
		esac
		# a new grant for the next cell (the profiles' state stays)
		case $f in
		401-*) ;;
		damaged-*) cp "$T/mstok.keep" "$XDG_STATE_HOME/gcal/ms/token.json"; cp "$T/mttok.keep" "$XDG_STATE_HOME/gcal/mt/token.json"
			cp "$T/mprof.keep" "$XDG_CONFIG_HOME/gcal/ms/profile.json"; cp "$T/mtprof.keep" "$XDG_CONFIG_HOME/gcal/mt/profile.json" ;;
		*) ms_link ms; ms_link mt alice@contoso.com Team ;;
		esac
	done
done
# --- the matrix ----------------------------------------------------------------
matrix_print "exit-status matrix (pass / FAIL / - not tried)" "$PROGS" \
	"refused dns timeout 5xx 429 bad-endpoint plain-http scope 401-once 401-again"

matrix_print "Microsoft exit-status matrix (pass / FAIL / - not tried)" "$(echo $MSPROGS revoke | sed 's/[a-z]*/ms-&/g')" \
	"$MSFAULTS $MSAUTH"

done_testing
