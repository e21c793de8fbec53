#!/bin/sh
# Two runs of the same profile at once never corrupt its state: the second
# waits for the first, or (GCAL_LOCK_TIMEOUT=0) exits 75 saying why.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
GCAL_BACKOFF_MS=1
export GCAL_BACKOFF_MS
run link_account || { echo "Bail out! cannot link"; exit 1; }
PCAL=alice@example.com
SYNC=$XDG_STATE_HOME/gcal/default/sync
TOKEN=$XDG_STATE_HOME/gcal/default/token.json
emu_ctl POST /_emu/calendars/$PCAL/generate \
	'{"count":3000,"start":"2026-01-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
gcal-pull >/dev/null 2>&1
remote_ids() {
	emu_ctl GET "/_emu/calendars/$1/events" | jq -r 'select(.status != "cancelled") | .id + " " + .etag' | sort
}
ids_of() {
	jq -r 'select(.status != "cancelled") | .id + " " + .etag' "$1" | sort
}
# both NAME1 CMD1 -- NAME2 CMD2: start CMD1, then CMD2 while the first
# still runs (Google answers slowly); statuses in $r1 $r2, outputs in
# $T/NAME.out and $T/NAME.err; stdin from $IN1 and $IN2.
both() {
	_n1=$1
	shift
	_c1=
	while [ "$1" != -- ]; do _c1="$_c1 '$1'"; shift; done
	shift
	_n2=$1
	shift
	eval "$_c1" <"${IN1:-/dev/null}" >"$T/$_n1.out" 2>"$T/$_n1.err" &
	_p1=$!
	sleep 0.15
	"$@" <"${IN2:-/dev/null}" >"$T/$_n2.out" 2>"$T/$_n2.err" &
	_p2=$!
	wait $_p1
	r1=$?
	wait $_p2
	r2=$?
}
busy_msg() { # FILE: one line saying which process holds the lock
	# (or "another run" when the holder ended before it could be named)
	[ "$(wc -l <"$1")" = 1 ] &&
		grep -q "busy: \([a-z-]*, pid [0-9][0-9]*\|another run\) holds it" "$1"
}
state_ok() {
	for _s in "$SYNC"/*/state.json; do
		jq -e '.mirror | type == "string"' "$_s" >/dev/null 2>&1 || return 1
		[ -f "$(dirname "$_s")/$(jq -r .mirror "$_s")" ] || return 1
	done
}

emu_ctl POST /_emu/config '{"latency_ms":150}' >/dev/null

# --- two gcal-pull ---------------------------------------------------------------
remote_ids $PCAL >"$T/want"
both a gcal-pull --full -- b gcal-pull --full
ok "two pulls at once: both exit 0 (the second waited)" test "$r1" = 0 -a "$r2" = 0
ids_of "$T/a.out" >"$T/a.ids"
ids_of "$T/b.out" >"$T/b.ids"
ok "... and both print what Google holds" eval 'cmp -s "$T/a.ids" "$T/want" && cmp -s "$T/b.ids" "$T/want"'
ok "... the sync state is whole" state_ok

cp -R "$SYNC" "$T/sync.before"
GCAL_LOCK_TIMEOUT=0
export GCAL_LOCK_TIMEOUT
both a gcal-pull --full -- b gcal-pull --changes
unset GCAL_LOCK_TIMEOUT
is "$r1:$r2" "0:75" "with GCAL_LOCK_TIMEOUT=0 the second pull exits 75"
ok "... saying in one line that another run holds the profile" busy_msg "$T/b.err"
ok "... printing nothing" test ! -s "$T/b.out"
ok "... and the first one's state is whole" state_ok
run gcal-pull
ids_of "$OUT" >"$T/c.ids"
ok "... and matches Google" cmp -s "$T/c.ids" "$T/want"

# --- two gcal-push ---------------------------------------------------------------
WCAL=$(gcal-auth use --create "Concurrent" | jq -r .id)
ins() {
	jq -nc --arg id "$1" '{op:"insert", target:"remote", id:$id,
		event:{summary:$id, start:{dateTime:"2026-12-01T10:00:00Z"}, end:{dateTime:"2026-12-01T10:30:00Z"},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
i=0
: >"$T/push.in"
while [ $i -lt 8 ]; do ins "conc0000$i" >>"$T/push.in"; i=$((i + 1)); done
IN1=$T/push.in IN2=$T/push.in both a gcal-push --batch 2 -- b gcal-push --batch 2
ok "two pushes of the same changes at once: both exit 0" test "$r1" = 0 -a "$r2" = 0
is "$(remote_ids "$WCAL" | wc -l | tr -d ' ')" 8 "... and Google has each event once"
ok "... both report every change ok" eval '[ "$(jq -r .status "$T/a.out" "$T/b.out" | sort | uniq -c | tr -s " ")" = " 16 ok" ]'

i=0
: >"$T/push2.in"
while [ $i -lt 8 ]; do ins "conc1000$i" >>"$T/push2.in"; i=$((i + 1)); done
emu_ctl POST /_emu/log/clear >/dev/null
GCAL_LOCK_TIMEOUT=0
export GCAL_LOCK_TIMEOUT
IN1=$T/push2.in IN2=$T/push2.in both a gcal-push --batch 2 -- b gcal-push --batch 2
unset GCAL_LOCK_TIMEOUT
is "$r1:$r2" "0:75" "with GCAL_LOCK_TIMEOUT=0 the second push exits 75"
ok "... saying why in one line" busy_msg "$T/b.err"
is "$(emu_log_count POST '^/batch/calendar/v3$')" 4 "... having sent nothing (4 batches are the first one's)"
is "$(remote_ids "$WCAL" | grep -c conc1)" 8 "... and Google has each event once"

# --- gcal-pull and gcal-revoke ------------------------------------------------------
gcal-auth use "$PCAL" >/dev/null 2>&1
GCAL_LOCK_TIMEOUT=0
export GCAL_LOCK_TIMEOUT
both a gcal-pull --full -- b gcal-revoke
unset GCAL_LOCK_TIMEOUT
is "$r1:$r2" "0:75" "a revoke while a pull runs, with GCAL_LOCK_TIMEOUT=0, exits 75"
ok "... saying why" busy_msg "$T/b.err"
ok "... and keeps the link" eval 'jq -e .refresh_token "$TOKEN" >/dev/null && state_ok'
both a gcal-pull --full -- b gcal-revoke
is "$r1:$r2" "0:0" "without it the revoke waits for the pull, then both exit 0"
ids_of "$T/a.out" >"$T/a.ids"
ok "... the pull printed all of Google's events" cmp -s "$T/a.ids" "$T/want"
ok "... and then the link was forgotten" test ! -e "$TOKEN" -a ! -e "$SYNC"
is "$(emu_ctl GET /_emu/grants | jq '[.[] | select(.revoked)] | length')" 1 "... and revoked at Google"

# --- two gcal-auth token --refresh -----------------------------------------------------
run link_account
both a gcal-auth token --refresh -- b gcal-auth token --refresh
ok "two refreshes at once both exit 0" test "$r1" = 0 -a "$r2" = 0
ok "... the token file is whole" jq_ok -e '.access_token and .refresh_token' "$TOKEN"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(jq -r .access_token "$TOKEN")" \
	"$EMU_URL/calendar/v3/users/me/calendarList")
is "$code" 200 "... and Google takes the token it holds"
GCAL_LOCK_TIMEOUT=0
export GCAL_LOCK_TIMEOUT
both a gcal-auth token --refresh -- b gcal-auth token --refresh
unset GCAL_LOCK_TIMEOUT
is "$r1:$r2" "0:75" "with GCAL_LOCK_TIMEOUT=0 the second refresh exits 75"
ok "... saying why in one line" busy_msg "$T/b.err"
ok "... printing no token" test ! -s "$T/b.out"
is "$(jq -r .access_token "$TOKEN")" "$(cat "$T/a.out")" "... and the file holds the first one's token"

# --- many at once ---------------------------------------------------------------------
emu_ctl POST /_emu/config '{"latency_ms":20}' >/dev/null
i=0
pids=
while [ $i -lt 6 ]; do
	gcal-pull >"$T/m$i.out" 2>"$T/m$i.err" &
	pids="$pids $!"
	gcal-auth token >/dev/null 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "6 pulls and 6 token reads at once all exit 0"
ok "... and the state is whole" state_ok
run gcal-pull
ids_of "$OUT" >"$T/c.ids"
remote_ids $PCAL >"$T/want"
ok "... and the mirror matches Google" cmp -s "$T/c.ids" "$T/want"

# --- the message names the process that holds the lock ---------------------------
flock "$XDG_STATE_HOME/gcal/default/lock" sleep 5 &
holder=$!
sleep 0.5
run env GCAL_LOCK_TIMEOUT=0 gcal-pull
is "$rc" 75 "a profile locked by another process: 75"
is "$(cat "$ERR")" "gcal-pull: '$XDG_STATE_HOME/gcal/default/lock' is busy: flock, pid $holder holds it (waited 0 s); try again later" \
	"... naming the program and pid that hold the lock"
kill $holder 2>/dev/null
wait $holder 2>/dev/null

done_testing
