#!/bin/sh
# forward-apply against a real telephone system: Kamailio with
# examples/kamailio/kamailio.cfg on loopback, forwards set over its
# JSON-RPC interface with examples/kamailio/body.jq, calls placed with sipp.
. "$(dirname "$0")/../lib.sh"

MODS=/usr/lib/x86_64-linux-gnu/kamailio/modules
if ! command -v kamailio >/dev/null 2>&1 || [ ! -f "$MODS/jsonrpcs.so" ]; then
	echo "1..0 # SKIP kamailio not installed"
	exit 0
fi
if ! command -v sipp >/dev/null 2>&1; then
	echo "1..0 # SKIP sipp not installed"
	exit 0
fi

EX=$TOP/examples/kamailio
FIX=$TOP/tests/fixtures/forward
TZ=Europe/Amsterdam
GCAL_RETRIES=0
export TZ GCAL_RETRIES

# free PROTO: a port nobody uses now, so tests may run side by side
free() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
SIP=$(free udp)
HTTP=$(free tcp)
UAC=$(free udp)
RPC=http://127.0.0.1:$HTTP/RPC

mkdir -p "$T/run"
kamailio -f "$EX/kamailio.cfg" -DD -E -Y "$T/run" \
	-l "udp:127.0.0.1:$SIP" -l "tcp:127.0.0.1:$HTTP" >"$T/kamailio.log" 2>&1 &
KAM=$!
kam_stop() {
	kill "$KAM" 2>/dev/null && wait "$KAM" 2>/dev/null
}
trap 'kam_stop; cleanup_t' EXIT
i=0
until curl -sf -d '{"jsonrpc":"2.0","method":"core.version","id":1}' "$RPC" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 100 ] || ! kill -0 "$KAM" 2>/dev/null; then
		echo "Bail out! kamailio did not start:"
		sed 's/^/# /' "$T/kamailio.log" | tail -20
		exit 1
	fi
	sleep 0.1
done

# call EXT: place one call; $CALL is the status and the Contacts of the
# answer, $callrc the status of sipp
call() {
	rm -f "$T/msg.log"
	timeout 30 sipp -sf "$FIX/invite.xml" -s "$1" -i 127.0.0.1 -p "$UAC" -m 1 \
		-timeout 10 -nostdin -trace_msg -message_file "$T/msg.log" \
		"127.0.0.1:$SIP" >"$T/sipp.out" 2>&1
	callrc=$?
	CALL=$(awk '/message received/ { rec = 1; next } /message sent/ { rec = 0 }
	     rec && /^SIP\/2.0 / { print $2 } rec && /^Contact:/ { print $2 }' "$T/msg.log" |
		tr -d '\r' | tr '\n' ' ' | sed 's/ $//')
}
apply() {
	forward-apply -e 333 --post "$RPC" --body-file "$EX/body.jq" --at "$1" \
		<"$T/events.ndjson" >"$OUT" 2>"$ERR"
	rc=$?
}
ev() {
	jq -nc --arg id "$1" --arg s "$2" --arg a "$3" --arg b "$4" \
		'{kind: "calendar#event", id: $id, status: "confirmed", summary: $s,
		  start: {dateTime: $a}, end: {dateTime: $b}}'
}

call 333; is "$CALL" 480 "before any forward, a call to 333 gets 480"
is "$callrc" 0 "... sipp completes the call"

ev a 0612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 >"$T/events.ndjson"
apply 2026-11-23T10:30:00+01:00
is "$rc" 0 "forward-apply --post at 10:30 exits 0"
is "$(jq -c '{result, to}' "$OUT")" '{"result":"applied","to":["0612345678"]}' "... applied 0612345678"
call 333; is "$CALL" "302 <sip:0612345678@127.0.0.1>" "a call to 333 is now redirected: 302 to 0612345678"
is "$callrc" 0 "... sipp takes the 302 as the answer it expects"
call 334; is "$CALL" 480 "... another extension is not"
apply 2026-11-23T10:59:00+01:00
ok "at 10:59 nothing changes and nothing is sent" test "$rc" = 0 -a ! -s "$OUT"

apply 2026-11-23T11:00:00+01:00
is "$(jq -c '{result, to}' "$OUT")" '{"result":"applied","to":[]}' "at 11:00 the forward is cleared"
call 333; is "$CALL" 480 "... and a call gets 480 again"

ev b "+31 6 8765 4321" 2026-11-23T11:30:00+01:00 2026-11-23T13:00:00+01:00 >>"$T/events.ndjson"
ev c 0612345678 2026-11-23T12:00:00+01:00 2026-11-23T12:30:00+01:00 >>"$T/events.ndjson"
apply 2026-11-23T12:15:00+01:00
is "$(jq -c .to "$OUT")" '["+31687654321","0612345678"]' "two overlapping events: two targets"
call 333; is "$CALL" "302 <sip:+31687654321@127.0.0.1> <sip:0612345678@127.0.0.1>" \
	"... and the 302 has a Contact for each"
apply 2026-11-23T12:45:00+01:00
call 333; is "$CALL" "302 <sip:+31687654321@127.0.0.1>" "when one ends, one Contact is left"

# the telephone system goes away: the change waits for the next run
kam_stop
cp "$XDG_STATE_HOME/gcal/default/forward/333.json" "$T/state.before"
apply 2026-11-23T13:00:00+01:00
is "$rc" 75 "Kamailio down (connection refused): exit 75, try later"
ok "... the state still holds what Kamailio last confirmed" \
	cmp -s "$XDG_STATE_HOME/gcal/default/forward/333.json" "$T/state.before"

done_testing
