#!/bin/sh
# Scenario 1, call forwarding: examples/scenario-1-forwarding.sh links an
# account, chooses a calendar and, as its cron job, turns the calendar's
# phone-number events into forwards of extension 333 through a recording
# command. The same forwards on a real SIP server: forward-sip.t.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
S1=$TOP/examples/scenario-1-forwarding.sh
GCAL_RETRIES=0
export GCAL_RETRIES
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$T/calls" >"$T/pbx"
chmod +x "$T/pbx"
: >"$T/calls"
FORWARD_EXEC=$T/pbx
export FORWARD_EXEC

BROWSER="curl -sL" run sh "$S1" link -s "$CLIENT" shop
is "$rc" 0 "link exits 0"
ok "... and lists the account's calendars, the Team calendar among them" has "	Team$" "$OUT"
CAL=$(awk -F '	' '$2 == "Team" { print $1 }' "$OUT")
run sh "$S1" use shop "$CAL"
is "$rc" 0 "use CALENDAR exits 0"
is "$(cat "$OUT")" "calendar: Team" "... and names the calendar"
# Google unreachable, or no such calendar: the script exits as gcal-auth
# use does (a pipe into jq used to make it 0)
GCAL_ENDPOINT=http://127.0.0.1:9 run gcal-auth use -q -p shop "$CAL"
want=$rc
GCAL_ENDPOINT=http://127.0.0.1:9 run sh "$S1" use shop "$CAL"
ok "use with Google unreachable exits as gcal-auth use does ($want)" test "$rc" = "$want" -a "$rc" != 0
ok "... and prints nothing" test ! -s "$OUT"
run gcal-auth use -q -p shop nosuchcalendar
want=$rc
run sh "$S1" use shop nosuchcalendar
ok "use of a calendar that does not exist exits as gcal-auth use does ($want)" test "$rc" = "$want" -a "$rc" != 0
run sh "$S1" use shop "$CAL"
for args in "use shop ''" "run shop ''" "explain shop ''" "run shop" "link"; do
	eval "run sh \"\$S1\" $args"
	is "$rc" 64 "$args is a usage error (64)"
done

ev() { # SUMMARY FROM TO (local times on 1 December 2026, +01:00)
	emu_ctl POST "/_emu/calendars/$CAL/events" "$(jq -nc --arg s "$1" --arg a "$2" --arg b "$3" \
		'{summary: $s, start: {dateTime: ("2026-12-01T" + $a + ":00+01:00")},
		  end: {dateTime: ("2026-12-01T" + $b + ":00+01:00")}}')" | jq -r .id
}
ev 0612345678 10:00 11:00 >/dev/null
ev 0031234567890 10:30 11:30 >/dev/null
ev "Call 0612345678" 10:00 12:00 >/dev/null
ev 444 14:00 15:00 >/dev/null
PLUS=$(ev "+31 6 1234 5678" 16:00 17:00)
ev "0612345678 0687654321" 16:00 17:00 >/dev/null

at() { # TIME: a cron run as at that time on 1 December
	FORWARD_AT=2026-12-01T$1:00+01:00 run sh "$S1" run shop 333
}
at 10:45
is "$rc" 0 "a run at 10:45 exits 0"
is "$(jq -c '{result, to}' "$OUT")" '{"result":"applied","to":["+31234567890","0612345678"]}' \
	"... two overlapping events forward to both numbers, 00 written as +"
is "$(cat "$T/calls")" "333 +31234567890 0612345678" "... the command got the extension and the targets"
at 10:50
ok "the next minute changes nothing: no record, no call" test "$rc" = 0 -a ! -s "$OUT"
is "$(wc -l <"$T/calls")" 1 "... the command was not run again"

FORWARD_AT=2026-12-01T10:45:00+01:00 run sh "$S1" explain shop 333
is "$rc" 0 "explain exits 0"
is "$(jq -r 'select(.summary == "Call 0612345678") | "\(.taken) \(.reason)"' "$OUT")" \
	"false not a single number" "... and says why 'Call 0612345678' is not a forward"
is "$(wc -l <"$T/calls")" 1 "... applying nothing"

at 14:30
is "$(jq -c .to "$OUT")" '["444"]' "at 14:30 another internal extension"

# Google is down: the forward stays as it is
emu_ctl POST /_emu/faults '{"path":"/events","status":503,"times":-1}' >/dev/null
cp "$XDG_STATE_HOME/gcal/shop/forward/333.json" "$T/state.before"
at 16:30
is "$rc" 75 "a run whose pull fails exits 75"
ok "... says the forward was left as it is" has "left as it is" "$ERR"
is "$(tail -n 1 "$T/calls")" "333 444" "... the command was not run"
ok "... the applied state is unchanged" cmp -s "$T/state.before" "$XDG_STATE_HOME/gcal/shop/forward/333.json"
# forward-cron.sh, for a list of links, the same: exits as gcal-pull did
printf 'shop 333\n' >"$T/forwards"
run sh "$TOP/examples/forward-cron.sh" "$T/forwards"
is "$rc" 75 "forward-cron.sh whose pull fails exits 75, as gcal-pull"
ok "... and names the profile" has "profile 'shop': gcal-pull failed (75)" "$ERR"
ok "... the applied state is unchanged" cmp -s "$T/state.before" "$XDG_STATE_HOME/gcal/shop/forward/333.json"
emu_ctl DELETE /_emu/faults >/dev/null
at 16:31
is "$(jq -c .to "$OUT")" '["+31612345678"]' "the next run applies it: '+31 6 1234 5678' normalised, two numbers ignored"
emu_ctl DELETE "/_emu/calendars/$CAL/events/$PLUS" >/dev/null
at 16:32
is "$(jq -c '{from, to}' "$OUT")" '{"from":["+31612345678"],"to":[]}' "the event deleted in Google clears the forward"
is "$(tail -n 1 "$T/calls")" "333" "... the command got the extension and no target"

# the wrong account was linked: revoke and link again, from the command line
BROWSER="curl -sL" run sh "$S1" relink -a bob@example.com shop
is "$rc" 0 "relink exits 0"
ok "... lists bob's calendars" has "^bob@example.com	" "$OUT"
is "$(gcal-auth status -p shop | jq -r .account)" bob@example.com "... the profile is bob's now"
is "$(emu_ctl GET /_emu/grants | jq -r '.[] | select(.user == "alice@example.com") | .revoked')" true \
	"... and alice's grant is revoked at Google"

done_testing
