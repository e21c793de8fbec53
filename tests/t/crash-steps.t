#!/bin/sh
# Crash tests by step (isync's run-tests): each stateful program's run is
# traced once to count its mutation points (GCAL_STOP_TRACE), then for
# each point N in turn the same run is stopped there as kill -9 would
# (GCAL_STOP_AFTER=N), run again, and its end state compared with the
# run that was never stopped. One line per program and point. The same
# rounds on a Microsoft profile follow (pull, push, the token refresh
# with rotation, gcal-sync).
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account || { echo "Bail out! cannot link"; exit 1; }
GCAL_RETRIES=1
export GCAL_RETRIES
unset GCAL_STOP_AFTER GCAL_STOP_TRACE GCAL_PUSH_STOP_AFTER GCAL_SYNC_STOP_AFTER

# traced TRACE FN...: FN with the points traced into the new file TRACE
traced() {
	_tr=$1
	shift
	rm -f "$_tr"
	GCAL_STOP_TRACE=$_tr
	export GCAL_STOP_TRACE
	"$@"
	unset GCAL_STOP_TRACE
}
# stopped N TRACE FN...: the same, ended at the Nth point
stopped() {
	GCAL_STOP_AFTER=$1
	export GCAL_STOP_AFTER
	shift
	traced "$@"
	unset GCAL_STOP_AFTER
}
# strays: temporary files left anywhere in our directories
strays() {
	find "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" -name '*.new' | wc -l | tr -d ' '
}

# point N TRACE: the Nth point of TRACE, its channel ids (random) as ID
point() {
	sed -n "${1}{s/gcal-[0-9a-f]\{32\}/ID/g;p;}" "$2"
}

# steps NAME: the scenario NAME_setup (the world before the run),
# NAME_run (the run, status in $rc) and NAME_state (what a user would
# check after it), at every point of the run. killed: the status a
# stopped run must end with ("" for a run whose point may be a child's).
steps() {
	_k_s=$1
	"${_k_s}_setup" || { fail "$_k_s: set up"; return; }
	traced "$T/trace" "${_k_s}_run"
	want="rc $rc, $(${_k_s}_state)"
	_k_p=$(wc -l <"$T/trace" | tr -d ' ')
	ok "$_k_s: a run of $_k_p mutation points ($(sed 's/gcal-[0-9a-f]\{32\}/ID/' "$T/trace" | cut -d' ' -f2 | sort -u | tr '\n' ' '))" \
		test "$_k_p" -ge "${min_points:-2}"
	_k_i=1
	while [ "$_k_i" -le "$_k_p" ]; do
		_k_what=$(point "$_k_i" "$T/trace")
		"${_k_s}_setup" || { fail "$_k_s $_k_i: set up"; _k_i=$((_k_i + 1)); continue; }
		stopped "$_k_i" "$T/trace.$_k_i" "${_k_s}_run"
		_k_rc=$rc
		_k_at=$(point "$_k_i" "$T/trace.$_k_i")
		"${_k_s}_run"
		got="rc $rc, $(${_k_s}_state)"
		if [ "$_k_at" = "$_k_what" ] && { [ -z "$killed" ] || [ "$_k_rc" = "$killed" ]; } &&
			[ "$got" = "$want" ]; then
			pass "$_k_s: stopped at point $_k_i ($_k_what), the next run ends as an unstopped one"
		else
			fail "$_k_s: stopped at point $_k_i ($_k_what), the next run ends as an unstopped one"
			printf '#   stopped at: %s (status %s)\n#   got:  %s\n#   want: %s\n' \
				"$_k_at" "$_k_rc" "$got" "$want"
		fi
		_k_i=$((_k_i + 1))
	done
}
killed=137

# --- gcal-pull: an incremental pull after edits, deletions, new events -----
PCAL=$(gcal-auth use --create "Pulled" | jq -r .id)
emu_ctl POST "/_emu/calendars/$PCAL/generate" \
	'{"count":40,"start":"2026-01-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
run gcal-pull -c "$PCAL"
cp -a "$XDG_STATE_HOME" "$T/pull-base"
emu_ctl GET "/_emu/calendars/$PCAL/events" | jq -r .id | sed -n '3p;7p' >"$T/pids"
emu_ctl PATCH "/_emu/calendars/$PCAL/events/$(sed -n 1p "$T/pids")" '{"summary":"edited"}' >/dev/null
emu_ctl DELETE "/_emu/calendars/$PCAL/events/$(sed -n 2p "$T/pids")" >/dev/null
emu_ctl POST "/_emu/calendars/$PCAL/events" '{"summary":"new",
	"start":{"dateTime":"2026-12-01T10:00:00Z"},"end":{"dateTime":"2026-12-01T11:00:00Z"}}' >/dev/null
pull_setup() {
	rm -rf "$XDG_STATE_HOME" && cp -a "$T/pull-base" "$XDG_STATE_HOME"
}
pull_run() {
	run gcal-pull -c "$PCAL"
	cp "$OUT" "$T/pull.out"
}
# the events printed, and a pull of changes after it finds none
pull_state() {
	jq -c '{id, etag, summary, status}' "$T/pull.out" | sort | cksum
	run gcal-pull -c "$PCAL" --changes
	echo "then $rc $(wc -l <"$OUT") strays $(strays)"
}
steps pull

# the same with a full pull: a new mirror file, then the state naming it
pull_full_run() {
	run gcal-pull -c "$PCAL" --full
	cp "$OUT" "$T/pull.out"
}
pull_full_setup() { pull_setup; }
pull_full_state() { pull_state; }
steps pull_full

# --- gcal-push: inserts, an update and a delete, in batches of 2 ------------
ins() { # ID SUMMARY DAY
	jq -nc --arg id "$1" --arg s "$2" --arg d "$3" '{op:"insert", target:"remote", id:$id,
		event:{summary:$s, start:{dateTime:("2026-12-" + $d + "T10:00:00Z")},
		end:{dateTime:("2026-12-" + $d + "T10:30:00Z")},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
np=0
push_setup() {
	np=$((np + 1))
	WCAL=$(gcal-auth use --create "Pushed $np" | jq -r .id)
	{ ins seed00001 "seed 1" 01; ins seed00002 "seed 2" 02; } >"$T/seed"
	run_in "$T/seed" gcal-push -c "$WCAL"
	[ "$rc" = 0 ] || return 1
	: >"$T/push.in"
	for d in 10 11 12 13 14; do ins "new000$d" "new $d" "$d" >>"$T/push.in"; done
	emu_ctl GET "/_emu/calendars/$WCAL/events/seed00001" |
		jq -c '{op:"update", target:"remote", id, etag, event:(. | .summary = "updated")}' >>"$T/push.in"
	emu_ctl GET "/_emu/calendars/$WCAL/events/seed00002" |
		jq -c '{op:"delete", target:"remote", id, etag}' >>"$T/push.in"
}
push_run() {
	run_in "$T/push.in" gcal-push -c "$WCAL" --batch 2
}
# what Google holds, and what the run reported
push_state() {
	emu_ctl GET "/_emu/calendars/$WCAL/events" | jq -r '.id + " " + .status + " " + .summary' |
		sort | tr '\n' ','
	jq -r .status "$OUT" | sort | uniq -c | tr -s ' \n' '  '
	echo "strays $(strays)"
}
steps push

# --- the token refresh (gcal-auth token with an expired access token) ------
auth_setup() {
	_tok=$XDG_STATE_HOME/gcal/default/token.json
	jq -c '.expires_at = 0' "$_tok" >"$T/tok" && cat "$T/tok" >"$_tok"
}
auth_run() {
	run gcal-auth token
}
# a token that works, and a file that is not due for a refresh
auth_state() {
	run gcal-pull -c "$PCAL" --changes
	echo "pull $rc, fresh $(jq '.expires_at > now' "$XDG_STATE_HOME/gcal/default/token.json")," \
		"refresh token $(jq 'has("refresh_token")' "$XDG_STATE_HOME/gcal/default/token.json"), strays $(strays)"
}
steps auth

# --- forward-apply: from one forward to another -----------------------------
cat >"$T/pbx" <<EOF
#!/bin/sh
shift
printf '%s\n' "\$*" >"$T/pbx.cur.new" && mv "$T/pbx.cur.new" "$T/pbx.cur"
EOF
chmod +x "$T/pbx"
FSTATE=$XDG_STATE_HOME/gcal/default/forward/333.json
jq -nc '{kind:"calendar#event", id:"f1", status:"confirmed", summary:"0612345678",
	start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}' >"$T/fw.old"
jq -nc '{kind:"calendar#event", id:"f2", status:"confirmed", summary:"+31 20 123 4567",
	start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}' >"$T/fw.in"
forward_setup() {
	run_in "$T/fw.old" forward-apply -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx"
	[ "$rc" = 0 ]
}
forward_run() {
	run_in "$T/fw.in" forward-apply -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx"
}
# what the telephone system and the state say is applied
forward_state() {
	echo "pbx $(cat "$T/pbx.cur"), state $(jq -c .to "$FSTATE"), strays $(strays)"
}
steps forward

# --- gcal-sync: edits on both sides (tests/t/sync.t's), with the gcal-pull
# and gcal-push it runs: their points count on from its own ---------------
APPLY=$TOP/tests/helpers/sync-apply.sh
ns=0
sync() {
	run gcal-sync --local "$DIR/local.ndjson" -k .appointment_id \
		--state "$DIR/state" --apply-cmd "sh '$APPLY' '$DIR/local.ndjson'" "$@"
}
appt() { # ID SUMMARY HOUR
	jq -nc --arg id "$1" --arg s "$2" --arg h "$3" '{appointment_id:$id, summary:$s,
		start:{dateTime:("2026-12-01T" + $h + ":00:00Z")}, end:{dateTime:("2026-12-01T" + $h + ":45:00Z")}}'
}
sync_setup() {
	ns=$((ns + 1))
	SCAL=$(gcal-auth use --create "Bookings $ns" | jq -r .id)
	DIR=$T/sync$ns
	mkdir -p "$DIR"
	{ appt A1 "Cut A1" 09; appt A2 "Colour A2" 10; appt A3 "Trim A3" 11; } >"$DIR/local.ndjson"
	emu_ctl POST "/_emu/calendars/$SCAL/events" '{"summary":"Dentist E1",
		"start":{"dateTime":"2026-12-02T08:00:00Z"},"end":{"dateTime":"2026-12-02T08:30:00Z"}}' >/dev/null
	sync
	[ "$rc" = 0 ] || return 1
	jq -c 'if .appointment_id == "A1" then .summary = "Cut and dry A1" else . end
		| select(.appointment_id != "A2")' "$DIR/local.ndjson" >"$DIR/l" && mv "$DIR/l" "$DIR/local.ndjson"
	appt A4 "Beard A4" 14 >>"$DIR/local.ndjson"
	_e1=$(emu_ctl GET "/_emu/calendars/$SCAL/events" | jq -r 'select(.summary == "Dentist E1") | .id')
	emu_ctl PATCH "/_emu/calendars/$SCAL/events/$_e1" '{"summary":"Dentist E1, moved"}' >/dev/null
}
sync_run() {
	sync
}
# both sides, and a further run that writes nothing
sync_state() {
	emu_ctl GET "/_emu/calendars/$SCAL/events" |
		jq -r 'select(.status != "cancelled") | .summary' | sort | tr '\n' ','
	jq -r .summary "$DIR/local.ndjson" | sort | tr '\n' ','
	emu_ctl POST /_emu/log/clear >/dev/null
	sync
	echo "then $rc, $(emu_log_count POST '^/batch/calendar/v3$') batches, strays $(strays)"
}
killed=
steps sync

# --- gcal-watch: a channel started, its record for the receiver ------------
GCAL_PUSH_DIR=$T/push
export GCAL_PUSH_DIR
emu_ctl POST /_emu/push/config '{"allow_http":true}' >/dev/null
watch_setup() {
	run gcal-watch stop
	[ "$rc" = 0 ]
}
watch_run() {
	run gcal-watch start --address http://127.0.0.1:9/notify --ttl 3600
}
# our channels: each live at Google, each with its record for the receiver
watch_state() {
	emu_ctl GET /_emu/push >"$T/wpush"
	_ids=$(jq -r '.channels[].id' "$XDG_STATE_HOME/gcal/default/channel.json" 2>/dev/null)
	_live=0 _rec=0
	for _id in $_ids; do
		jq -e --arg id "$_id" '.channels[] | select(.id == $id and (.stopped | not))' "$T/wpush" >/dev/null &&
			_live=$((_live + 1))
		[ -f "$GCAL_PUSH_DIR/channels/$_id" ] && _rec=$((_rec + 1))
	done
	echo "channels $(echo $_ids | wc -w | tr -d ' '), live $_live, records $_rec," \
		"strays $(strays) $(ls "$GCAL_PUSH_DIR/channels" | wc -l | tr -d ' ')"
}
killed=137
steps watch

# --- gcal-revoke: last, as it ends the account's grant for every profile ---
run gcal-revoke
revoke_setup() {
	run link_account rv
	[ "$rc" = 0 ] && mkdir -p "$XDG_STATE_HOME/gcal/rv/sync"
}
revoke_run() {
	run gcal-revoke -p rv
}
# nothing of the link is left here, and Google holds no live grant
revoke_state() {
	run gcal-auth token -p rv
	_t=$rc
	run gcal-auth status -p rv
	echo "token $_t, linked $(jq -r .linked "$OUT"), files $(ls "$XDG_STATE_HOME/gcal/rv" | grep -v lock | tr '\n' ' ')," \
		"live grants $(emu_ctl GET /_emu/grants | jq '[.[] | select(.revoked | not)] | length'), strays $(strays)"
}
steps revoke

# --- Microsoft profiles: the same rounds against the Graph emulator --------
. "$TOP/tests/lib-ms.sh"
graph_start || { echo "Bail out! graph emulator"; exit 1; }
ms_link mp alice@contoso.com
MPCAL=$(ms_cal alice@contoso.com)
graph_ctl POST "/_emu/calendars/$MPCAL/generate" '{"count":40,"start":"2026-01-05T08:00:00",
	"minutes":60,"step_minutes":90,"subject":"Event %d","timeZone":"UTC"}' >/dev/null
run gcal-pull -p mp
[ "$rc" = 0 ] || fail "a first Microsoft pull: $(cat "$ERR")"
rm -rf "$T/mpull-base"
cp -a "$XDG_STATE_HOME" "$T/mpull-base"
graph_ctl GET "/_emu/calendars/$MPCAL/events" | jq -r .id | sed -n '3p;7p' >"$T/mpids"
graph_ctl PATCH "/_emu/events/$(sed -n 1p "$T/mpids")" '{"subject":"edited"}' >/dev/null
graph_ctl DELETE "/_emu/events/$(sed -n 2p "$T/mpids")" >/dev/null
graph_ctl POST "/_emu/calendars/$MPCAL/events" '{"subject":"new",
	"start":{"dateTime":"2026-12-01T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-12-01T11:00:00","timeZone":"UTC"}}' >/dev/null
# a delta round of one page of 10 (two pages in full): more points
graph_ctl POST /_emu/config '{"page_size":10}' >/dev/null
ms_pull_setup() {
	rm -rf "$XDG_STATE_HOME" && cp -a "$T/mpull-base" "$XDG_STATE_HOME"
}
ms_pull_run() {
	run gcal-pull -p mp
	cp "$OUT" "$T/mpull.out"
}
ms_pull_state() {
	jq -c '{id, etag, summary, status}' "$T/mpull.out" | sort | cksum
	run gcal-pull -p mp --changes
	echo "then $rc $(wc -l <"$OUT") strays $(strays)"
}
killed=137
steps ms_pull
ms_pull_full_setup() { ms_pull_setup; }
ms_pull_full_run() {
	run gcal-pull -p mp --full
	cp "$OUT" "$T/mpull.out"
}
ms_pull_full_state() { ms_pull_state; }
steps ms_pull_full

# gcal-push: inserts, an update and a delete in $batch requests of 2; a
# rerun after a kill must not duplicate what Graph made (transactionId)
nmp=0
ms_ins() { # ID SUMMARY DAY
	jq -nc --arg id "$1" --arg s "$2" --arg d "$3" '{op:"insert", target:"remote", id:$id, key:$id,
		event:{summary:$s, start:{dateTime:("2026-12-" + $d + "T10:00:00Z")},
		end:{dateTime:("2026-12-" + $d + "T10:30:00Z")},
		extendedProperties:{private:{gcalOwner:"crm", gcalKey:$id}}}}'
}
ms_push_setup() {
	nmp=$((nmp + 1))
	graph_ctl POST /_emu/calendars "{\"owner\":\"alice@contoso.com\",\"name\":\"Pushed $nmp\"}" >/dev/null
	ms_link mq alice@contoso.com "Pushed $nmp"
	MQCAL=$(ms_cal alice@contoso.com "Pushed $nmp")
	# keys of this round only: memu, as Graph may, answers a create
	# whose transactionId the mailbox has seen in any calendar with that
	# event (graph_map derives it from the key)
	{ ms_ins "seed1r$nmp" "seed 1" 01; ms_ins "seed2r$nmp" "seed 2" 02; } >"$T/mseed"
	run_in "$T/mseed" gcal-push -p mq
	[ "$rc" = 0 ] || return 1
	: >"$T/mpush.in"
	for d in 10 11 12 13 14; do ms_ins "new${d}r$nmp" "new $d" "$d" >>"$T/mpush.in"; done
	jq -c 'select(.key == "seed1r'"$nmp"'") | {op:"update", target:"remote", id, etag,
		event:(.event | .summary = "updated")}' "$OUT" >>"$T/mpush.in"
	jq -c 'select(.key == "seed2r'"$nmp"'") | {op:"delete", target:"remote", id, etag}' "$OUT" >>"$T/mpush.in"
}
ms_push_run() {
	run_in "$T/mpush.in" gcal-push -p mq --batch 2
}
ms_push_state() {
	graph_ctl GET "/_emu/calendars/$MQCAL/events" | jq -r '.subject' | sort | tr '\n' ','
	jq -r .status "$OUT" | sort | uniq -c | tr -s ' \n' '  '
	echo "strays $(strays)"
}
steps ms_push

# the token refresh with rotation: Microsoft answers a new refresh token
# each time and "doesn't revoke old refresh tokens when used to fetch
# new access tokens" (identity platform, "Refresh tokens"): a kill
# between its answer and the write leaves the old one, which still works
ms_auth_setup() {
	_mtok=$XDG_STATE_HOME/gcal/mp/token.json
	jq -c '.expires_at = 0' "$_mtok" >"$T/mtok" && cat "$T/mtok" >"$_mtok"
}
ms_auth_run() {
	run gcal-auth token -p mp
}
ms_auth_state() {
	run gcal-pull -p mp --changes
	echo "pull $rc, fresh $(jq '.expires_at > now' "$XDG_STATE_HOME/gcal/mp/token.json")," \
		"refresh token $(jq 'has("refresh_token")' "$XDG_STATE_HOME/gcal/mp/token.json"), strays $(strays)"
}
steps ms_auth
# a stricter server, that refuses a refresh token once it was used: the
# kill before the write leaves a token.json that parses and a clear 77
graph_ctl POST /_emu/config '{"old_refresh_valid":false}' >/dev/null
ms_auth_setup
stopped 1 "$T/trace.strict" ms_auth_run
ok "a strict server, killed between its answer and the write: $(point 1 "$T/trace.strict") ($rc)" \
	eval '[ "$rc" = 137 ] && jq -e .refresh_token "$XDG_STATE_HOME/gcal/mp/token.json" >/dev/null && [ "$(strays)" = 0 ]'
run gcal-auth token -p mp
ok "... the next refresh: 77 in one line, link again naming the profile" eval \
	'[ "$rc" = 77 ] && [ "$(wc -l <"$ERR")" = 1 ] && has "AADSTS70008.*gcal-auth login -p mp" "$ERR"'
graph_ctl POST /_emu/config '{"old_refresh_valid":true}' >/dev/null
ms_link mp alice@contoso.com

# gcal-sync on a Microsoft profile, with the gcal-pull and gcal-push it runs
nms=0
ms_sync() {
	run gcal-sync -p mq --local "$DIR/local.ndjson" -k .appointment_id \
		--state "$DIR/state" --apply-cmd "sh '$APPLY' '$DIR/local.ndjson'" "$@"
}
ms_sync_setup() {
	nms=$((nms + 1))
	graph_ctl POST /_emu/calendars "{\"owner\":\"alice@contoso.com\",\"name\":\"Bookings $nms\"}" >/dev/null
	ms_link mq alice@contoso.com "Bookings $nms"
	MQCAL=$(ms_cal alice@contoso.com "Bookings $nms")
	DIR=$T/msync$nms
	mkdir -p "$DIR"
	# keys of this round only (the transactionId, above)
	{ appt A1r$nms "Cut A1" 09; appt A2r$nms "Colour A2" 10; appt A3r$nms "Trim A3" 11; } >"$DIR/local.ndjson"
	graph_ctl POST "/_emu/calendars/$MQCAL/events" '{"subject":"Dentist E1",
		"start":{"dateTime":"2026-12-02T08:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-12-02T08:30:00","timeZone":"UTC"}}' >/dev/null
	ms_sync
	[ "$rc" = 0 ] || return 1
	jq -c --arg n "$nms" 'if .appointment_id == "A1r\($n)" then .summary = "Cut and dry A1" else . end
		| select(.appointment_id != "A2r\($n)")' "$DIR/local.ndjson" >"$DIR/l" && mv "$DIR/l" "$DIR/local.ndjson"
	appt A4r$nms "Beard A4" 14 >>"$DIR/local.ndjson"
	_e1=$(graph_ctl GET "/_emu/calendars/$MQCAL/events" | jq -r 'select(.subject == "Dentist E1") | .id')
	graph_ctl PATCH "/_emu/events/$_e1" '{"subject":"Dentist E1, moved"}' >/dev/null
}
ms_sync_run() {
	ms_sync
}
ms_sync_state() {
	graph_ctl GET "/_emu/calendars/$MQCAL/events" | jq -r .subject | sort | tr '\n' ','
	jq -r .summary "$DIR/local.ndjson" | sort | tr '\n' ','
	graph_ctl POST /_emu/log/clear >/dev/null
	ms_sync
	echo "then $rc, $(graph_log_count POST '^/v1\.0/\$batch$') batches, strays $(strays)"
}
# the unstopped run the stopped ones are compared with must itself be
# right: both sides with the edits of both, and a run after it quiet
ms_sync_setup
ms_sync_run
is "$(ms_sync_state)" "Beard A4,Cut and dry A1,Dentist E1, moved,Trim A3,Beard A4,Cut and dry A1,Dentist E1, moved,Trim A3,then 0, 0 batches, strays 0" \
	"ms_sync: an unstopped gcal-sync on Exchange takes both sides' edits, and the next run writes nothing"
killed=
steps ms_sync

done_testing
