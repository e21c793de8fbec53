#!/bin/sh
# The fault matrix: each program that talks to Google against each fault
# the emulator injects. Each cell checks the exit status DESIGN.md asks
# for, that nothing was lost or duplicated (events counted at the
# emulator, outputs compared with what it holds) and that state files are
# intact after a failure (cmp). The matrix is printed at the end; then
# the same for Microsoft profiles against the Graph emulator.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
GCAL_RETRIES=2
GCAL_BACKOFF_MS=1
export GCAL_RETRIES GCAL_BACKOFF_MS
run link_account || { echo "Bail out! cannot link"; exit 1; }
# pull reads the primary calendar: two pages (maxResults 2500)
PCAL=alice@example.com
emu_ctl POST /_emu/calendars/$PCAL/generate \
	'{"count":2600,"start":"2026-01-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
run gcal-pull
[ "$rc" = 0 ] || { echo "Bail out! first pull: $(cat "$ERR")"; exit 1; }
SYNC=$XDG_STATE_HOME/gcal/default/sync
TOKEN=$XDG_STATE_HOME/gcal/default/token.json
# push writes to a secondary calendar, given with -c
WCAL=$(gcal-auth calendars | jq -r 'select(.summary == "Team") | .id')
# revoke unlinks bob (revoking alice would end the grant all rows use)
RVP=rv

# the cells: cell PROG FAULT DESCRIPTION CHECK... and na PROG FAULT (tests/lib.sh)
: >"$MATRIX"

# fault_json FAULT METHOD PATH [SKIP]: the emulator's fault for a column
fault_json() {
	_m=$2 _r=$3 _s=${4:-0}
	case $1 in
	drop_before | drop_after | truncate | invalid_json)
		_x="\"action\":\"$1\",\"times\":1" ;;
	500 | 503) _x="\"status\":$1,\"times\":1" ;;
	429) _x='"status":429,"retry_after":1,"times":1' ;;
	403rate) _x='"status":403,"reason":"rateLimitExceeded","times":1' ;;
	403quota) _x='"status":403,"reason":"quotaExceeded","times":1' ;;
	slow) _x='"action":"delay","delay_ms":1600,"times":1' ;;
	503always) _x='"status":503,"times":-1' ;;
	dropalways) _x='"action":"drop_before","times":-1' ;;
	esac
	printf '{"method":"%s","path":"%s","skip":%s,%s}' "$_m" "$_r" "$_s" "$_x"
}
inject() {
	emu_ctl DELETE /_emu/faults >/dev/null
	emu_ctl POST /_emu/faults "$(fault_json "$@")" >/dev/null
}
# ... and the quota governor's table: a cell's 429 slows the user for
# a minute, its 403 quotaExceeded stops the user's writes for Google's
# day, and each cell starts afresh
clear_faults() {
	emu_ctl DELETE /_emu/faults >/dev/null
	rm -f "$XDG_STATE_HOME/gcal/quota"
}
# run_f FAULT PROG ARGS...: run with the timeout the column needs
run_f() {
	_f=$1
	shift
	if [ "$_f" = slow ]; then
		run env GCAL_TIMEOUT=1 "$@"
	else
		run "$@"
	fi
}
# want FAULT: the exit status DESIGN.md asks for when Google recovers
# after one fault (0), keeps failing (75) or refuses for the day (75; for
# gcal-push, whose writes stop for the day, 4: its own cell below)
want() {
	case $1 in
	503always | dropalways | 403quota) echo 75 ;;
	*) echo 0 ;;
	esac
}
one_line_err() { [ "$(wc -l <"$ERR")" -le 2 ] && [ -s "$ERR" ]; }

FAULTS="drop_before drop_after truncate invalid_json 500 503 429 403rate 403quota slow 503always dropalways"

# sync_snapshot DIR: state.json and the file list of each calendar's sync state
sync_snapshot() {
	rm -rf "$1"
	mkdir -p "$1"
	cp -R "$SYNC" "$1/sync"
}
sync_same() {
	diff -r "$1/sync" "$SYNC" >/dev/null
}
# no_strays: only state.json and the mirror it names in each sync dir
no_strays() {
	for _s in "$SYNC"/*/state.json; do
		_sd=$(dirname "$_s")
		[ "$(ls -A "$_sd" | sort | tr '\n' ' ')" = "$(jq -r '"state.json", .mirror, (.delta // .journal // empty)' "$_s" | sort | tr '\n' ' ')" ] || return 1
	done
}
# remote_ids CAL: live event ids and etags at the emulator, sorted
remote_ids() {
	emu_ctl GET "/_emu/calendars/$1/events" | jq -r 'select(.status != "cancelled") | .id + " " + .etag' | sort
}
out_ids() {
	jq -r 'select(.status != "cancelled") | .id + " " + .etag' "$OUT" | sort
}
mirror_is_google() {
	out_ids >"$T/got" && remote_ids "$PCAL" >"$T/want" && cmp -s "$T/got" "$T/want"
}

# --- gcal-auth token --refresh ----------------------------------------------
for f in $FAULTS; do
	case $f in 403quota) na token $f; continue ;; esac
	cp "$TOKEN" "$T/token.before"
	inject $f POST '^/token$'
	run_f $f gcal-auth token --refresh
	clear_faults
	w=$(want $f)
	if [ "$w" = 0 ]; then
		cell token $f "a new token Google accepts" eval '[ "$rc" = 0 ] &&
			[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat "$OUT")" \
				"$EMU_URL/calendar/v3/users/me/calendarList")" = 200 ] &&
			[ "$(jq -r .access_token "$TOKEN")" = "$(cat "$OUT")" ]'
	else
		cell token $f "exit $w, token file untouched" eval '[ "$rc" = "$w" ] && one_line_err &&
			cmp -s "$TOKEN" "$T/token.before" && [ ! -s "$OUT" ]'
	fi
done

# --- gcal-auth calendars ----------------------------------------------------
gcal-auth calendars >"$T/cals" 2>/dev/null
for f in $FAULTS; do
	inject $f GET '/users/me/calendarList$'
	run_f $f gcal-auth calendars
	clear_faults
	w=$(want $f)
	if [ "$w" = 0 ]; then
		cell calendars $f "the same list" eval '[ "$rc" = 0 ] && cmp -s "$OUT" "$T/cals"'
	else
		cell calendars $f "exit $w, nothing printed" eval '[ "$rc" = "$w" ] && one_line_err && [ ! -s "$OUT" ]'
	fi
done

# --- gcal-auth login (the code exchange) ------------------------------------
# The code is single-use: a fault after Google acted on the exchange
# (drop_after, truncate, invalid_json, a timeout) cannot be retried. The
# run must fail cleanly then (no token kept, one line), and a new login
# work.
for f in $FAULTS; do
	case $f in 403quota) na login $f; continue ;; esac
	rm -rf "$XDG_STATE_HOME/gcal/fl" "$XDG_CONFIG_HOME/gcal/fl"
	inject $f POST '^/token$'
	run_f $f env BROWSER="curl -sL" gcal-auth login -p fl --timeout 20
	clear_faults
	case $f in
	drop_after | truncate | invalid_json)
		cell login $f "Google used the code: fails cleanly, nothing kept" eval \
			'[ "$rc" != 0 ] && one_line_err && [ ! -e "$XDG_STATE_HOME/gcal/fl/token.json" ]' ;;
	*)
		w=$(want $f)
		if [ "$w" = 0 ]; then
			cell login $f "linked" eval '[ "$rc" = 0 ] && has alice@example.com "$OUT" &&
				[ "$(mode "$XDG_STATE_HOME/gcal/fl/token.json")" = 600 ]'
		else
			cell login $f "exit $w, nothing kept" eval '[ "$rc" = "$w" ] && one_line_err &&
				[ ! -e "$XDG_STATE_HOME/gcal/fl/token.json" ]'
		fi ;;
	esac
done

# --- gcal-pull --full: the fault hits page 2 of 2 ----------------------------
for f in $FAULTS; do
	sync_snapshot "$T/before"
	inject $f GET "^/calendar/v3/calendars/[^/]+/events\$" 1
	run_f $f gcal-pull --full
	clear_faults
	w=$(want $f)
	if [ "$w" = 0 ]; then
		cell pull-full $f "prints what Google holds, once each" eval '[ "$rc" = 0 ] && mirror_is_google && no_strays'
	else
		cell pull-full $f "exit $w, sync state untouched" eval '[ "$rc" = "$w" ] && one_line_err &&
			sync_same "$T/before" && no_strays'
	fi
done

# --- gcal-pull --changes: two edits to report, fault or not -------------------
remote_ids "$PCAL" >"$T/ids"
n=0
for f in $FAULTS 401expired 410; do
	n=$((n + 1))
	set -- $(sed -n "$((2 * n)),$((2 * n + 1))p" "$T/ids" | cut -d' ' -f1)
	emu_ctl PATCH "/_emu/calendars/$PCAL/events/$1" "{\"summary\":\"edit $n\"}" >/dev/null
	emu_ctl PATCH "/_emu/calendars/$PCAL/events/$2" "{\"location\":\"room $n\"}" >/dev/null
	printf '%s\n' "$1" "$2" | sort >"$T/changed"
	sync_snapshot "$T/before"
	case $f in
	401expired) emu_ctl POST /_emu/tokens/expire '{}' >/dev/null; run gcal-pull --changes ;;
	410) emu_ctl POST /_emu/synctokens/invalidate '{}' >/dev/null; run gcal-pull --changes ;;
	*) inject $f GET "^/calendar/v3/calendars/[^/]+/events\$"; run_f $f gcal-pull --changes ;;
	esac
	clear_faults
	w=$(want $f)
	if [ "$w" = 0 ]; then
		cell pull-incr $f "reports exactly the 2 edits" eval '[ "$rc" = 0 ] &&
			[ "$(jq -r .id "$OUT" | sort)" = "$(cat "$T/changed")" ] && no_strays'
	else
		# nothing lost: the next run still reports both edits
		cell pull-incr $f "exit $w, state untouched, the next run reports the edits" eval \
			'[ "$rc" = "$w" ] && one_line_err && sync_same "$T/before" &&
			run gcal-pull --changes && [ "$rc" = 0 ] &&
			[ "$(jq -r .id "$OUT" | sort)" = "$(cat "$T/changed")" ]'
	fi
	run gcal-pull
	[ "$rc" = 0 ] && mirror_is_google || fail "pull-incr x $f: the mirror matches Google afterwards"
done
na pull-full 401expired
na pull-full 410
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
run gcal-pull --full
cell pull-full 401expired "a token Google expired early is refreshed" eval '[ "$rc" = 0 ] && mirror_is_google'

# --- gcal-push: 3 inserts a cell ----------------------------------------------
ins() {
	jq -nc --arg id "$1" --arg h "$2" '{op:"insert", target:"remote", id:$id,
		event:{summary:$id, start:{dateTime:("2026-12-01T" + $h + ":00:00Z")},
		end:{dateTime:("2026-12-01T" + $h + ":30:00Z")},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
live() { remote_ids "$WCAL" | wc -l | tr -d ' '; }
has3() { # PREFIX: exactly the 3 events of the cell, once each
	[ "$(remote_ids "$WCAL" | grep -c "^$1")" = 3 ]
}
n=0
for f in $FAULTS 401expired; do
	n=$((n + 1))
	p=fa${n}k
	{ ins ${p}00001 10; ins ${p}00002 11; ins ${p}00003 12; } >"$T/push.in"
	before=$(live)
	case $f in
	401expired) emu_ctl POST /_emu/tokens/expire '{}' >/dev/null; run_in "$T/push.in" gcal-push -c "$WCAL" ;;
	*) inject $f POST '^/batch/calendar/v3$'
		if [ $f = slow ]; then
			run_in "$T/push.in" env GCAL_TIMEOUT=1 gcal-push -c "$WCAL"
		else
			run_in "$T/push.in" gcal-push -c "$WCAL"
		fi ;;
	esac
	if [ $f = 403quota ]; then
		# Google's daily limit stops the user's writes until its day
		# ends (gcal(7): 4): a result per change, and the next run sends
		# nothing; once the day is over (here: the governor's table is
		# cleared) the rerun converges
		first=$rc lines=$(wc -l <"$OUT") why=$(jq -r .reason "$OUT" | sort -u)
		emu_ctl DELETE /_emu/faults >/dev/null
		run_in "$T/push.in" gcal-push -c "$WCAL"
		again=$rc
		clear_faults
		cell push $f "exit 4 with a result per change, the next run too; after the day it converges" eval \
			'[ "$first $lines $why $again" = "4 3 quotaExceeded 4" ] &&
			run_in "$T/push.in" gcal-push -c "$WCAL" && [ "$rc" = 0 ] &&
			has3 $p && [ "$(live)" = $((before + 3)) ]'
		continue
	fi
	clear_faults
	w=$(want $f)
	if [ "$w" = 0 ]; then
		cell push $f "3 ok results, 3 events, no duplicate" eval '[ "$rc" = 0 ] &&
			[ "$(jq -r .status "$OUT" | sort | uniq -c | tr -s " ")" = " 3 ok" ] &&
			has3 $p && [ "$(live)" = $((before + 3)) ]'
	else
		# a failed run reports each change, the rerun converges
		cell push $f "exit $w with a result per change; the rerun converges" eval '[ "$rc" = "$w" ] &&
			[ "$(wc -l <"$OUT")" = 3 ] && run_in "$T/push.in" gcal-push -c "$WCAL" && [ "$rc" = 0 ] &&
			has3 $p && [ "$(live)" = $((before + 3)) ]'
	fi
done
# 412: an update whose etag is stale is a conflict, never overwritten
ev=$(emu_ctl GET "/_emu/calendars/$WCAL/events/fa1k00001")
emu_ctl PATCH "/_emu/calendars/$WCAL/events/fa1k00001" '{"summary":"by hand"}' >/dev/null
printf '%s' "$ev" | jq -c '{op:"update", target:"remote", id, etag, event:(. | .summary = "by the tool")}' >"$T/upd"
run_in "$T/upd" gcal-push -c "$WCAL"
cell push 412 "exit 1, a conflict result, the hand edit kept" eval '[ "$rc" = 1 ] &&
	[ "$(jq -r .status "$OUT")" = conflict ] &&
	[ "$(emu_ctl GET "/_emu/calendars/$WCAL/events/fa1k00001" | jq -r .summary)" = "by hand" ]'

# --- gcal-revoke --------------------------------------------------------------
for f in $FAULTS; do
	case $f in 403quota) na revoke $f; continue ;; esac
	emu_ctl POST /_emu/config '{"consent_user":"bob@example.com"}' >/dev/null
	link_account $RVP || { fail "revoke x $f: link bob"; continue; }
	emu_ctl POST /_emu/config '{"consent_user":"alice@example.com"}' >/dev/null
	cp "$XDG_STATE_HOME/gcal/$RVP/token.json" "$T/rv.before"
	inject $f POST '^/revoke$'
	run_f $f gcal-revoke -p $RVP
	clear_faults
	dead=$(emu_ctl GET /_emu/grants | jq '[.[] | select(.user == "bob@example.com" and .revoked == false)] | length')
	w=$(want $f)
	if [ "$w" = 0 ]; then
		cell revoke $f "revoked at Google, forgotten here" eval '[ "$rc" = 0 ] && [ "$dead" = 0 ] &&
			[ ! -e "$XDG_STATE_HOME/gcal/$RVP/token.json" ]'
	else
		cell revoke $f "exit $w, the link kept to try again" eval '[ "$rc" = "$w" ] && one_line_err &&
			cmp -s "$XDG_STATE_HOME/gcal/$RVP/token.json" "$T/rv.before" &&
			run gcal-revoke -p $RVP && [ "$rc" = 0 ]'
	fi
done

# --- a dead grant: 77 everywhere, state untouched -----------------------------
sync_snapshot "$T/before"
cp "$TOKEN" "$T/token.before"
emu_ctl POST /_emu/grants/revoke '{"user":"alice@example.com"}' >/dev/null
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
run gcal-auth token --refresh
cell token grant-revoked "exit 77 naming the way out" eval '[ "$rc" = 77 ] && has "gcal-auth login" "$ERR" && cmp -s "$TOKEN" "$T/token.before"'
run gcal-auth calendars
cell calendars grant-revoked "exit 77" eval '[ "$rc" = 77 ] && [ ! -s "$OUT" ]'
run gcal-pull --full
cell pull-full grant-revoked "exit 77, state untouched" eval '[ "$rc" = 77 ] && sync_same "$T/before"'
run gcal-pull --changes
cell pull-incr grant-revoked "exit 77, state untouched" eval '[ "$rc" = 77 ] && sync_same "$T/before"'
ins fadead0001 10 >"$T/dead.in"
run_in "$T/dead.in" gcal-push -c "$WCAL"
cell push grant-revoked "exit 77, nothing written" eval '[ "$rc" = 77 ] && [ "$(remote_ids "$WCAL" | grep -c fadead)" = 0 ]'

# --- the matrix ----------------------------------------------------------------
matrix_print "fault matrix (pass / FAIL / - not applicable)" \
	"token calendars login pull-full pull-incr push revoke" \
	"drop_before drop_after truncate invalid_json 500 503 429 403rate 403quota slow 503always dropalways 401expired 410 412 grant-revoked"

# --- Microsoft profiles: the same faults from the Graph emulator ------------
# Graph's throttling guidance ("Microsoft Graph throttling guidance"):
# 429 and 503 with Retry-After, honoured, inside a $batch too; a token
# Graph refuses (401 InvalidAuthenticationToken) is refreshed once; a
# delta token Graph lost (410) is a full pull.
. "$TOP/tests/lib-ms.sh"
graph_start || { echo "Bail out! graph emulator"; exit 1; }
ms_link mf alice@contoso.com
ms_link mw alice@contoso.com Team
MFCAL=$(ms_cal alice@contoso.com)
MWCAL=$(ms_cal alice@contoso.com Team)
MFSYNC=$XDG_STATE_HOME/gcal/mf/sync
MFTOK=$XDG_STATE_HOME/gcal/mf/token.json
# two delta pages of 1000 (gcal-pull's odata.maxpagesize)
graph_ctl POST "/_emu/calendars/$MFCAL/generate" '{"count":1100,"start":"2026-01-05T08:00:00",
	"minutes":60,"step_minutes":90,"subject":"Event %d","timeZone":"UTC"}' >/dev/null
run gcal-pull -p mf
[ "$rc" = 0 ] || { echo "Bail out! first Microsoft pull: $(cat "$ERR")"; exit 1; }
ms_inject() { # FAULT METHOD PATH [SKIP] [batch_part]
	graph_ctl DELETE /_emu/faults >/dev/null
	graph_ctl POST /_emu/faults "$(fault_json "$1" "$2" "$3" "${4:-0}" | sed "s/^{/{${5:+\"batch_part\":true,}/")" >/dev/null
}
ms_clear() { graph_ctl DELETE /_emu/faults >/dev/null; }
ms_snapshot() { rm -rf "$1"; mkdir -p "$1"; cp -R "$MFSYNC" "$1/sync"; }
ms_same() { diff -r "$1/sync" "$MFSYNC" >/dev/null; }
# what Graph holds and what was printed, by iCalUId (the records' ids are
# immutable ids, the emulator's list has REST ids)
ms_remote() {
	graph_ctl GET "/_emu/calendars/$1/events" | jq -r .iCalUId | sort
}
ms_is_graph() {
	jq -r 'select(.status != "cancelled") | .iCalUID' "$OUT" | sort >"$T/mgot" &&
	ms_remote "$MFCAL" >"$T/mwant" && cmp -s "$T/mgot" "$T/mwant"
}
MSF="drop_before drop_after truncate invalid_json 500 503 429 slow 503always dropalways"
ms_want() { case $1 in 503always | dropalways) echo 75 ;; *) echo 0 ;; esac; }

# gcal-auth token --refresh
for f in $MSF; do
	cp "$MFTOK" "$T/mtok.before"
	ms_inject $f POST '/oauth2/v2\\.0/token$'
	run_f $f gcal-auth token -p mf --refresh
	ms_clear
	if [ "$(ms_want $f)" = 0 ]; then
		cell ms-token $f "a new token Graph accepts, the new refresh token kept" eval '[ "$rc" = 0 ] &&
			[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat "$OUT")" "$GRAPH_URL/v1.0/me")" = 200 ] &&
			[ "$(jq -r .refresh_token "$MFTOK")" != "$(jq -r .refresh_token "$T/mtok.before")" ]'
	else
		cell ms-token $f "exit 75, token file untouched" eval '[ "$rc" = 75 ] && one_line_err &&
			cmp -s "$MFTOK" "$T/mtok.before" && [ ! -s "$OUT" ]'
	fi
done

# gcal-auth calendars
gcal-auth calendars -p mf >"$T/mcals" 2>/dev/null
for f in $MSF; do
	ms_inject $f GET '^/v1\\.0/me/calendars$'
	run_f $f gcal-auth calendars -p mf
	ms_clear
	if [ "$(ms_want $f)" = 0 ]; then
		cell ms-calendars $f "the same list" eval '[ "$rc" = 0 ] && cmp -s "$OUT" "$T/mcals"'
	else
		cell ms-calendars $f "exit 75, nothing printed" eval '[ "$rc" = 75 ] && one_line_err && [ ! -s "$OUT" ]'
	fi
done

# gcal-pull --full: the fault hits page 2 of 2
for f in $MSF; do
	ms_snapshot "$T/mbefore"
	ms_inject $f GET 'calendarView/delta$' 1
	run_f $f gcal-pull -p mf --full
	ms_clear
	if [ "$(ms_want $f)" = 0 ]; then
		cell ms-pull-full $f "prints what Graph holds, once each" eval '[ "$rc" = 0 ] && ms_is_graph'
	else
		cell ms-pull-full $f "exit 75, sync state untouched" eval '[ "$rc" = 75 ] && one_line_err && ms_same "$T/mbefore"'
	fi
done

# gcal-pull --changes: two edits to report, fault or not
graph_ctl GET "/_emu/calendars/$MFCAL/events" | jq -r '.id + " " + .iCalUId' >"$T/mids"
n=0
for f in $MSF 401expired 410 410resync; do
	n=$((n + 1))
	set -- $(sed -n "$((2 * n)),$((2 * n + 1))p" "$T/mids")
	graph_ctl PATCH "/_emu/events/$1" "{\"subject\":\"edit $n\"}" >/dev/null
	graph_ctl PATCH "/_emu/events/$3" "{\"location\":{\"displayName\":\"room $n\"}}" >/dev/null
	printf '%s\n' "$2" "$4" | sort >"$T/mchanged"
	ms_snapshot "$T/mbefore"
	case $f in
	401expired) graph_ctl POST /_emu/tokens/expire '{}' >/dev/null; run gcal-pull -p mf --changes ;;
	410) graph_ctl POST /_emu/delta/invalidate '{"code":"syncStateNotFound"}' >/dev/null; run gcal-pull -p mf --changes ;;
	410resync) graph_ctl POST /_emu/delta/invalidate '{"code":"resyncRequired"}' >/dev/null; run gcal-pull -p mf --changes ;;
	*) ms_inject $f GET 'calendarView/delta$'; run_f $f gcal-pull -p mf --changes ;;
	esac
	ms_clear
	if [ "$(ms_want $f)" = 0 ]; then
		cell ms-pull-incr $f "reports exactly the 2 edits" eval '[ "$rc" = 0 ] &&
			[ "$(jq -r .iCalUID "$OUT" | sort)" = "$(cat "$T/mchanged")" ]'
	else
		cell ms-pull-incr $f "exit 75, state untouched, the next run reports the edits" eval \
			'[ "$rc" = 75 ] && one_line_err && ms_same "$T/mbefore" &&
			run gcal-pull -p mf --changes && [ "$rc" = 0 ] &&
			[ "$(jq -r .iCalUID "$OUT" | sort)" = "$(cat "$T/mchanged")" ]'
	fi
	run gcal-pull -p mf
	[ "$rc" = 0 ] && ms_is_graph || fail "ms-pull-incr x $f: the mirror matches Graph afterwards"
done

# gcal-push: 3 inserts a cell, in one $batch; the fault on the $batch, or
# (part-*) on its parts
ms_ins() {
	jq -nc --arg id "$1" --arg h "$2" '{op:"insert", target:"remote", id:$id, key:$id,
		event:{summary:$id, start:{dateTime:("2026-12-01T" + $h + ":00:00Z")},
		end:{dateTime:("2026-12-01T" + $h + ":30:00Z")},
		extendedProperties:{private:{gcalOwner:"crm", gcalKey:$id}}}}'
}
ms_live() { ms_remote "$MWCAL" | wc -l | tr -d ' '; }
ms_has3() { [ "$(graph_ctl GET "/_emu/calendars/$MWCAL/events" | jq -r .subject | grep -c "^$1")" = 3 ]; }
HTTPDATE=
n=0
for f in $MSF part-429 part-429-date part-503 part-401 401expired; do
	n=$((n + 1))
	p=mfa${n}k
	{ ms_ins ${p}1 10; ms_ins ${p}2 11; ms_ins ${p}3 12; } >"$T/mpush.in"
	before=$(ms_live)
	tb=$(graph_log_count POST '/oauth2/v2\.0/token$')
	case $f in
	401expired) graph_ctl POST /_emu/tokens/expire '{}' >/dev/null ;;
	part-429) graph_ctl POST /_emu/faults '{"method":"POST","path":"/events$","batch_part":true,"status":429,"retry_after":1,"times":1}' >/dev/null ;;
	part-429-date) graph_ctl POST /_emu/faults "{\"method\":\"POST\",\"path\":\"/events\$\",\"batch_part\":true,\"status\":429,\"retry_after\":\"$(date -u -d '+2 sec' '+%a, %d %b %Y %H:%M:%S GMT')\",\"times\":1}" >/dev/null ;;
	part-503) graph_ctl POST /_emu/faults '{"method":"POST","path":"/events$","batch_part":true,"status":503,"retry_after":1,"times":1}' >/dev/null ;;
	part-401) graph_ctl POST /_emu/faults '{"method":"POST","path":"/events$","batch_part":true,"status":401,"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid.","times":2}' >/dev/null ;;
	*) ms_inject $f POST '^/v1\\.0/\\$batch$' ;;
	esac
	t0=$(date +%s%3N)
	if [ $f = slow ]; then
		run_in "$T/mpush.in" env GCAL_TIMEOUT=1 gcal-push -p mw
	else
		run_in "$T/mpush.in" env GCAL_RETRIES=${MSRETRIES:-2} gcal-push -p mw
	fi
	t1=$(date +%s%3N)
	refreshes=$(($(graph_log_count POST '/oauth2/v2\.0/token$') - tb))
	ms_clear
	if [ "$(ms_want $f)" = 0 ]; then
		cell ms-push $f "3 ok results, 3 events, no duplicate ($((t1 - t0)) ms, $refreshes refreshes)" eval '[ "$rc" = 0 ] &&
			[ "$(jq -r .status "$OUT" | sort | uniq -c | tr -s " ")" = " 3 ok" ] &&
			ms_has3 $p && [ "$(ms_live)" = $((before + 3)) ]'
	else
		cell ms-push $f "exit 75 with a result per change; the rerun converges" eval '[ "$rc" = 75 ] &&
			[ "$(wc -l <"$OUT")" = 3 ] && run_in "$T/mpush.in" gcal-push -p mw && [ "$rc" = 0 ] &&
			ms_has3 $p && [ "$(ms_live)" = $((before + 3)) ]'
	fi
	case $f in
	part-429 | part-503) cell ms-push $f "... the part's Retry-After honoured ($((t1 - t0)) ms)" test $((t1 - t0)) -ge 950 ;;
	part-429-date) cell ms-push $f "... the part's Retry-After as an HTTP-date honoured ($((t1 - t0)) ms)" test $((t1 - t0)) -ge 950 ;;
	part-401 | 401expired) cell ms-push $f "... after one refresh" test "$refreshes" = 1 ;;
	esac
done
# parts still refused after the refresh: 77, one line, a failed record each
graph_ctl POST /_emu/faults '{"method":"POST","path":"/events$","batch_part":true,"status":401,"code":"InvalidAuthenticationToken","times":-1}' >/dev/null
{ ms_ins mfdead1 10; ms_ins mfdead2 11; } >"$T/mpush.in"
tb=$(graph_log_count POST '/oauth2/v2\.0/token$')
run_in "$T/mpush.in" env GCAL_RETRIES=0 gcal-push -p mw
refreshes=$(($(graph_log_count POST '/oauth2/v2\.0/token$') - tb))
ms_clear
cell ms-push part-401-again "parts still 401 after the refresh: 77, a failed record each, one line naming Microsoft Graph" eval \
	'[ "$rc" = 77 ] && [ "$(jq -r .status "$OUT" | sort | tr "\n" " ")" = "failed failed " ] && one_line_err &&
	has "Microsoft Graph refused the token again" "$ERR" && [ "$refreshes" = 1 ]'
# 412: an update whose etag is stale is a conflict, never an overwrite
run_in "$T/mpush.in" gcal-push -p mw
jq -c 'select(.key == "mfdead1") | {op:"update", target:"remote", id, etag, event:(.event | .summary = "by the tool")}' "$OUT" >"$T/mupd"
mid=$(jq -r .id "$T/mupd")
graph_ctl PATCH "/_emu/events/$mid" '{"subject":"by hand"}' >/dev/null
run_in "$T/mupd" gcal-push -p mw
cell ms-push 412 "exit 1, a conflict result, the hand edit kept" eval '[ "$rc" = 1 ] &&
	[ "$(jq -r .status "$OUT")" = conflict ] &&
	[ "$(graph_ctl GET "/_emu/events/$mid" | jq -r .subject)" = "by hand" ]'

matrix_print "Microsoft fault matrix (pass / FAIL / - not applicable)" \
	"ms-token ms-calendars ms-pull-full ms-pull-incr ms-push" \
	"$MSF 401expired 410 410resync part-429 part-429-date part-503 part-401 part-401-again 412"

done_testing
