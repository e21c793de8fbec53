#!/bin/sh
# Crash safety: gcal-pull, gcal-push and forward-apply killed with SIGKILL
# at random points, many times, each followed by a normal run: Google, the
# mirror and the applied forwards converge, and no temporary file stays.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
GCAL_RETRIES=2
GCAL_BACKOFF_MS=1
export GCAL_RETRIES GCAL_BACKOFF_MS
run link_account || { echo "Bail out! cannot link"; exit 1; }
ROUNDS=${CRASH_ROUNDS:-20}
PCAL=alice@example.com
SYNC=$XDG_STATE_HOME/gcal/default/sync

# rnd N: a random number in [0, N)
rnd() {
	echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}
# kill_after MS PROG ARGS...: start PROG, SIGKILL it after MS milliseconds
# (if it is still running); stdin from $KIN, output thrown away.
kill_after() {
	_ms=$1
	shift
	"$@" <"${KIN:-/dev/null}" >/dev/null 2>&1 &
	_pid=$!
	sleep "$(awk -v m="$_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	if kill -9 "$_pid" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$_pid" 2>/dev/null
}
# leftovers: temporary files anywhere in the state, and mirrors or
# delta files no state.json names
leftovers() {
	find "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" \( -name '*.new' -o -name '*.tmp' \) -print
	for _s in "$SYNC"/*/state.json; do
		[ -f "$_s" ] || continue
		_sd=$(dirname "$_s")
		ls -A "$_sd" | grep -vxF -e state.json -e "$(jq -r .mirror "$_s")" \
			-e "$(jq -r '.delta // .journal // "state.json"' "$_s")" -e lock | sed "s|^|$_sd/|"
	done
}
remote_ids() {
	emu_ctl GET "/_emu/calendars/$1/events" | jq -r 'select(.status != "cancelled") | .id + " " + .etag' | sort
}

# --- gcal-pull ----------------------------------------------------------------
emu_ctl POST /_emu/calendars/$PCAL/generate \
	'{"count":2600,"start":"2026-01-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
remote_ids $PCAL | cut -d' ' -f1 >"$T/ids"
emu_ctl POST /_emu/config '{"latency_ms":60}' >/dev/null
killed=0 bad=0 strays=0 i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	# Google changes between runs: an edit, a deletion, a new event
	emu_ctl PATCH "/_emu/calendars/$PCAL/events/$(sed -n "${i}p" "$T/ids")" "{\"summary\":\"edit $i\"}" >/dev/null
	emu_ctl DELETE "/_emu/calendars/$PCAL/events/$(sed -n "$((i + 100))p" "$T/ids")" >/dev/null
	emu_ctl POST "/_emu/calendars/$PCAL/events" "{\"summary\":\"new $i\",
		\"start\":{\"dateTime\":\"2026-12-01T10:00:00Z\"},\"end\":{\"dateTime\":\"2026-12-01T11:00:00Z\"}}" >/dev/null
	case $((i % 3)) in
	0) kill_after "$(rnd 300)" gcal-pull --full ;;
	1) kill_after "$(rnd 200)" gcal-pull --changes ;;
	2) kill_after "$(rnd 200)" gcal-pull ;;
	esac
	run gcal-pull
	jq -r 'select(.status != "cancelled") | .id + " " + .etag' "$OUT" | sort >"$T/got"
	remote_ids $PCAL >"$T/want"
	if [ "$rc" != 0 ] || ! cmp -s "$T/got" "$T/want"; then
		bad=$((bad + 1))
		echo "# pull round $i: rc $rc, $(wc -l <"$T/got") lines, Google has $(wc -l <"$T/want")"
	fi
	leftovers >"$T/left"
	if [ -s "$T/left" ]; then
		strays=$((strays + 1))
		sed 's/^/# left: /' "$T/left"
	fi
done
emu_ctl POST /_emu/config '{"latency_ms":0}' >/dev/null
ok "gcal-pull killed in $killed of $ROUNDS runs" test "$killed" -ge $((ROUNDS / 5))
is "$bad" 0 "after each kill the next pull prints exactly what Google holds"
is "$strays" 0 "... and no temporary file or unnamed mirror stays"
# the sync token survived the kills: an unchanged calendar costs 1 request
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
ok "... and an incremental pull with nothing new prints nothing, in 1 request" \
	test "$rc" = 0 -a ! -s "$OUT" -a "$(emu_log_count)" = 1

# --- gcal-push ----------------------------------------------------------------
WCAL=$(gcal-auth use --create "Crash" | jq -r .id)
ins() {
	jq -nc --arg id "$1" --arg s "$2" --arg d "$3" '{op:"insert", target:"remote", id:$id,
		event:{summary:$s, start:{dateTime:("2026-12-" + $d + "T10:00:00Z")},
		end:{dateTime:("2026-12-" + $d + "T10:30:00Z")},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
emu_ctl POST /_emu/config '{"latency_ms":25}' >/dev/null
killed=0 bad=0 i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	r=$(printf 'c%02d' $i)
	: >"$T/push.in"
	j=10
	while [ $j -lt 22 ]; do ins "${r}0000$j" "round $i event $j" $j >>"$T/push.in"; j=$((j + 1)); done
	# and an update and a delete of the previous round's events
	if [ $i -gt 1 ]; then
		p=$(printf 'c%02d' $((i - 1)))
		emu_ctl GET "/_emu/calendars/$WCAL/events/${p}000010" |
			jq -c '{op:"update", target:"remote", id, etag, event:(. | .summary = "updated")}' >>"$T/push.in"
		emu_ctl GET "/_emu/calendars/$WCAL/events/${p}000011" |
			jq -c '{op:"delete", target:"remote", id, etag}' >>"$T/push.in"
	fi
	KIN=$T/push.in kill_after "$(rnd 250)" gcal-push -c "$WCAL" --batch 4 --rate 6000
	run_in "$T/push.in" gcal-push -c "$WCAL" --batch 4 --rate 6000
	live=$(remote_ids "$WCAL" | grep -c "^$r")
	if [ "$rc" != 0 ] || [ "$live" != 12 ] || [ "$(jq -r .status "$OUT" | sort -u)" != ok ]; then
		bad=$((bad + 1))
		echo "# push round $i: rc $rc, $live events of 12, $(jq -r .status "$OUT" | sort | uniq -c | tr '\n' ' ')"
	fi
	if [ $i -gt 1 ]; then
		st=$(emu_ctl GET "/_emu/calendars/$WCAL/events/${p}000010" | jq -r .summary)
		gone=$(emu_ctl GET "/_emu/calendars/$WCAL/events/${p}000011" | jq -r .status)
		if [ "$st" != updated ] || [ "$gone" != cancelled ]; then
			bad=$((bad + 1))
			echo "# push round $i: the update gave '$st', the delete '$gone'"
		fi
	fi
done
emu_ctl POST /_emu/config '{"latency_ms":0}' >/dev/null
ok "gcal-push killed in $killed of $ROUNDS runs" test "$killed" -ge $((ROUNDS / 5))
is "$bad" 0 "after each kill the rerun applies every change: nothing lost, nothing duplicated"
is "$(remote_ids "$WCAL" | wc -l | tr -d ' ')" $((ROUNDS * 12 - ROUNDS + 1)) \
	"... Google holds exactly the events the rounds left"
leftovers >"$T/left"
ok "... and no temporary file stays" test ! -s "$T/left"

# --- forward-apply --------------------------------------------------------------
# A telephone system that takes a while: it keeps the current forward of
# extension 333 in a file, replaced atomically, and logs each call.
cat >"$T/pbx" <<EOF
#!/bin/sh
sleep 0.05
shift
printf '%s\n' "\$*" >"$T/pbx.cur.new" && mv "$T/pbx.cur.new" "$T/pbx.cur"
echo "\$*" >>"$T/pbx.log"
EOF
chmod +x "$T/pbx"
ev() {
	jq -nc --arg s "$1" '{kind:"calendar#event", id:"f1", status:"confirmed", summary:$s,
		start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}'
}
FSTATE=$XDG_STATE_HOME/gcal/default/forward/333.json
killed=0 bad=0 i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	case $((i % 3)) in
	0) ev 0612345678 >"$T/fw.in"; want=0612345678 ;;
	1) ev "+31 20 123 4567" >"$T/fw.in"; want=+31201234567 ;;
	2) ev Lunch >"$T/fw.in"; want= ;;
	esac
	KIN=$T/fw.in kill_after "$(rnd 120)" forward-apply -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx"
	sleep 0.1 # a backend the kill left running finishes
	run_in "$T/fw.in" forward-apply -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx"
	cur=$(cat "$T/pbx.cur" 2>/dev/null)
	applied=$(jq -r '.to | join(" ")' "$FSTATE" 2>/dev/null)
	if [ "$rc" != 0 ] || [ "$cur" != "$want" ] || [ "$applied" != "$want" ]; then
		bad=$((bad + 1))
		echo "# forward round $i: rc $rc, the PBX has '$cur', the state '$applied', want '$want'"
	fi
done
ok "forward-apply killed in $killed of $ROUNDS runs" test "$killed" -ge $((ROUNDS / 5))
is "$bad" 0 "after each kill the next run leaves the PBX and the state on the active forward"
run_in "$T/fw.in" forward-apply -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx"
before=$(wc -l <"$T/pbx.log")
run_in "$T/fw.in" forward-apply -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx"
is "$(wc -l <"$T/pbx.log")" "$before" "... and a run with nothing new calls the backend no more"
leftovers >"$T/left"
ok "no temporary file stays in the state" test ! -s "$T/left"

done_testing
