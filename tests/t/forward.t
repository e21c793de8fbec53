#!/bin/sh
# forward-apply: the number rules, which events are active when, the
# applied state, the --exec and --post backends, and its exit statuses.
# No emulator: events are NDJSON fixtures, as gcal-pull --expand prints.
. "$(dirname "$0")/../lib.sh"

FIX=$TOP/tests/fixtures/forward
[ -f "${TZDIR:-/usr/share/zoneinfo}/Europe/Amsterdam" ] ||
	{ echo "Bail out! no time zone data (Debian package tzdata)"; exit 1; }
TZ=Europe/Amsterdam
GCAL_RETRIES=0
export TZ GCAL_RETRIES
STATE=$XDG_STATE_HOME/gcal/default/forward/333.json

# ev ID TITLE START END [EXTRA-JSON]: one timed event resource
ev() {
	jq -nc --arg id "$1" --arg s "$2" --arg a "$3" --arg b "$4" --argjson x "${5:-{\}}" \
		'{kind: "calendar#event", id: $id, status: "confirmed", summary: $s,
		  start: {dateTime: $a}, end: {dateTime: $b}} + $x'
}
# day ID TITLE FROM TO: an all-day event
day() {
	jq -nc --arg id "$1" --arg s "$2" --arg a "$3" --arg b "$4" \
		'{kind: "calendar#event", id: $id, status: "confirmed", summary: $s,
		  start: {date: $a}, end: {date: $b}}'
}
# field JQ FILE: one value of the output, as text
field() {
	jq -r "$1" "$2" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

# A backend that logs its arguments and environment, and fails while
# $T/fail exists.
cat >"$T/backend" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/calls"
printf '%s\n' "\$GCAL_TRANSITION" >>"$T/transitions"
printf '%s|%s|%s\n' "\$GCAL_EXTENSION" "\$GCAL_TARGETS" "\$GCAL_FROM" >>"$T/env"
echo "backend talking on its stdout"
[ ! -e "$T/fail" ]
EOF
chmod +x "$T/backend"
calls() { if [ -f "$T/calls" ]; then wc -l <"$T/calls" | tr -d ' '; else echo 0; fi; }

# --- the number rules ------------------------------------------------------
# title, then what it reads as: the canonical target, or !reason
cat >"$T/rules" <<'EOF'
0612345678	0612345678
0031234567890	+31234567890
333	333
+31 6 1234 5678	+31612345678
+31612345678	+31612345678
06-1234 5678	0612345678
06.12.34.56.78	0612345678
06 - 12 34 56 78	0612345678
(020) 123 4567	0201234567
+31 (0)20 123 4567	+31201234567
0031 (0)6 12345678	+31612345678
+1 (555) 123-4567	+15551234567
  0612345678  	0612345678
06 – 12345678	0612345678
0612 345 678	0612345678
12	12
12345	12345
1	!too short for an extension
123456	!too long for an extension
333 444	!not a single number
33-3	!not a single number
0612345678 0687654321	!too many digits for one number
0612345678, 0687654321	!not a single number
0612345678 / 0687654321	!not a single number
+31612345678 +31687654321	!not a single number
Call 0612345678	!not a single number
0612345678 please	!not a single number
0612345678 (mobile)	!not a single number
1-800-FLOWERS	!not a single number
06123456789O	!not a single number
Lunch	!not a number
06123	!too short for a national number
+31	!too short for an international number
0031	!too short for an international number
+0612345678	!no country code after the international prefix
++31612345678	!not a single number
+31 6 1234 5678 9999 99	!too many digits for one number
0612345678-	!not a single number
-0612345678	!not a single number
(0612345678	!not a single number
(020)	!not a single number
0612345678; touch /tmp/pwned	!not a single number
$(touch x)	!not a number
`touch x` 0612345678	!not a single number
EOF
# with a no-break space and a title that is only blanks
printf '0612345678\302\240\t0612345678\n   \t!empty title\n' >>"$T/rules"
cut -f1 "$T/rules" | jq -Rc '{kind: "calendar#event", id: ("n" + (input_line_number | tostring)),
	status: "confirmed", summary: ., start: {dateTime: "2026-11-23T10:00:00+01:00"},
	end: {dateTime: "2026-11-23T11:00:00+01:00"}}' >"$T/rules.ndjson"
run_in "$T/rules.ndjson" forward-apply -e 999 --explain -n --at 2026-11-23T10:30:00+01:00
is "$rc" 0 "--explain -n over every number rule exits 0"
n=0
while IFS='	' read -r title want; do
	n=$((n + 1))
	got=$(sed -n "${n}p" "$OUT" | jq -r 'if .taken then .target else "!" + .reason end')
	is "$got" "$want" "'$title' reads as $want"
done <"$T/rules"
is "$(tail -1 "$OUT" | jq -c '{result, to}')" \
	'{"result":"dry-run","to":["+15551234567","+31201234567","+31234567890","+31612345678","0201234567","0612345678","12","12345","333"]}' \
	"the active set is the sorted canonical targets, each once"

ev x 333 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 >"$T/ext.ndjson"
ev y 4444 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 >>"$T/ext.ndjson"
run_in "$T/ext.ndjson" forward-apply -e 333 --explain -n --internal-lengths 4-6 --at 2026-11-23T10:30:00+01:00
is "$(field 'select(.id) | .reason' "$OUT")" "too short for an extension extension" \
	"--internal-lengths 4-6: 333 is too short, 4444 an extension"
{
	ev a 0612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev b "+31 6 1234 5678" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev c 0031612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
} >"$T/cc.ndjson"
run_in "$T/cc.ndjson" forward-apply -e 333 -n --country-code 31 --at 2026-11-23T10:30:00+01:00
is "$(field '.to | join(",")' "$OUT")" "+31612345678" \
	"--country-code 31: 06..., +31 6... and 0031 6... are one target"
is "$(field '.events | join(",")' "$OUT")" "a,b,c" "... behind three events"

# never to itself: an extension is not forwarded to its own number, in
# any form the title or -e gives it
ev self 333 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 >"$T/self.ndjson"
run_in "$T/self.ndjson" forward-apply -e 333 --explain -n --at 2026-11-23T10:30:00+01:00
is "$(field 'select(.id) | .reason' "$OUT") / $(field 'select(.result) | .to | length' "$OUT")" \
	"the extension itself / 0" "extension 333 is never forwarded to 333"
{
	ev s1 "020 555 0333" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev s2 "+31 20 555 0333" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev s3 0031205550333 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev s4 0612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
} >"$T/self2.ndjson"
for e in +31205550333 0031205550333 0205550333 +31-20-555-0333; do
	run_in "$T/self2.ndjson" forward-apply -e "$e" --country-code 31 --explain -n --at 2026-11-23T10:30:00+01:00
	is "$(field 'select(.id) | .reason' "$OUT") / $(field 'select(.result) | .to | join(",")' "$OUT")" \
		"the extension itself the extension itself the extension itself international number / +31612345678" \
		"-e $e: its own number in three spellings is no target, another number is"
done
run_in "$T/self2.ndjson" forward-apply -e 0205550333 --explain -n --at 2026-11-23T10:30:00+01:00
is "$(field 'select(.id) | .reason' "$OUT")" \
	"the extension itself international number international number national number" \
	"... without --country-code only the same digits are"

# --- which events count -------------------------------------------------------
{
	ev live 0612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev gone 0612345671 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 '{"status":"cancelled"}'
	ev no 0612345672 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 \
		'{"attendees":[{"email":"a@example.com","self":true,"responseStatus":"declined"}]}'
	ev yes 0612345673 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 \
		'{"attendees":[{"email":"b@example.com","responseStatus":"declined"},{"email":"a@example.com","self":true,"responseStatus":"accepted"}]}'
	ev later 0612345674 2026-11-23T11:00:00+01:00 2026-11-23T12:00:00+01:00
	ev before 0612345675 2026-11-23T09:00:00+01:00 2026-11-23T10:00:00+01:00
	ev master 0612345676 2026-11-16T10:00:00+01:00 2026-11-16T11:00:00+01:00 '{"recurrence":["RRULE:FREQ=WEEKLY"]}'
	ev inst1 0612345677 2026-11-16T10:00:00+01:00 2026-11-16T11:00:00+01:00 \
		'{"recurringEventId":"weekly","originalStartTime":{"dateTime":"2026-11-16T10:00:00+01:00"}}'
	ev inst2 0612345677 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 \
		'{"recurringEventId":"weekly","originalStartTime":{"dateTime":"2026-11-23T10:00:00+01:00"}}'
	jq -nc '{id: "notime", status: "confirmed", summary: "0612345678"}'
	ev other 0612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 '{"gcal_calendar":"team@example.com"}'
} >"$T/which.ndjson"
run_in "$T/which.ndjson" forward-apply -e 333 --explain -n --at 2026-11-23T10:00:00+01:00
is "$rc" 0 "--explain over cancelled, declined, past, future, recurring events exits 0"
reason() { field "select(.id == \"$1\") | .reason" "$OUT"; }
taken() { field "select(.id == \"$1\") | .taken" "$OUT"; }
is "$(taken live)" true "an event starting at TIME is taken (start <= TIME)"
is "$(reason gone)" cancelled "a cancelled event is left out: cancelled"
is "$(reason no)" declined "an event the account declined is left out: declined"
is "$(taken yes)" true "... but one only another guest declined counts"
is "$(reason later)" "not active" "an event starting later: not active"
is "$(reason before)" "not active" "an event ending at TIME: not active (TIME < end)"
is "$(reason master)" "recurring event not expanded (gcal-pull --expand)" \
	"a recurring event's master is not guessed at"
is "$(reason inst1)" "not active" "last week's instance of a recurring event: not active"
is "$(taken inst2)" true "this week's instance is taken"
is "$(reason notime)" "no start or end time" "an event without times: no start or end time"
is "$(field 'select(.id == "other") | .gcal_calendar' "$OUT")" team@example.com \
	"--explain keeps the calendar of a record"
is "$(field 'select(.id == "live") | [.start, .end] | join(" ")' "$OUT")" \
	"2026-11-23T09:00:00Z 2026-11-23T10:00:00Z" "--explain shows the instants in UTC"
is "$(tail -1 "$OUT" | jq -c '{to, events}')" \
	'{"to":["0612345673","0612345677","0612345678"],"events":["inst2","live","other","yes"]}' \
	"the transition names the targets and the events behind them"

# --- all-day events and daylight saving time -------------------------------
# active ZONE TIME FILE: the targets active at TIME
active() {
	forward-apply -e 333 -n --explain --time-zone "$1" --at "$2" <"$3" >"$OUT" 2>"$ERR"
	jq -r 'select(.id) | select(.taken) | .id' "$OUT" | tr '\n' ' ' | sed 's/ $//'
}
day d 0612345678 2026-11-23 2026-11-24 >"$T/day.ndjson"
is "$(active Europe/Amsterdam 2026-11-22T23:00:00Z "$T/day.ndjson")" d \
	"an all-day event starts at midnight in --time-zone (23:00Z in Amsterdam)"
is "$(active Europe/Amsterdam 2026-11-22T22:59:59Z "$T/day.ndjson")" "" "... not a second before"
is "$(active Europe/Amsterdam 2026-11-23T22:59:59Z "$T/day.ndjson")" d "... and lasts to the next midnight"
is "$(active Europe/Amsterdam 2026-11-23T23:00:00Z "$T/day.ndjson")" "" "... exclusive"
is "$(active America/New_York 2026-11-23T04:00:00Z "$T/day.ndjson")" "" \
	"in New York the same date starts 6 hours later"
is "$(active America/New_York 2026-11-23T05:00:00Z "$T/day.ndjson")" d "... at 05:00Z"
forward-apply -e 333 -n --explain --at 2026-11-22T23:00:00Z <"$T/day.ndjson" >"$OUT" 2>"$ERR"
is "$(field 'select(.id) | .taken' "$OUT")" true "without --time-zone, TZ is the zone"

day spring 0612345678 2026-03-29 2026-03-30 >"$T/dst.ndjson"
day autumn 0687654321 2026-10-25 2026-10-26 >>"$T/dst.ndjson"
is "$(active Europe/Amsterdam 2026-03-28T22:30:00Z "$T/dst.ndjson")" "" \
	"29 March (23 hours): not yet at 23:30 on the 28th"
is "$(active Europe/Amsterdam 2026-03-28T23:00:00Z "$T/dst.ndjson")" spring "... from 00:00 +01:00"
is "$(active Europe/Amsterdam 2026-03-29T21:59:59Z "$T/dst.ndjson")" spring "... to 23:59:59 +02:00"
is "$(active Europe/Amsterdam 2026-03-29T22:00:00Z "$T/dst.ndjson")" "" \
	"... and no longer at 00:00 +02:00 on the 30th (not 24 hours)"
is "$(active Europe/Amsterdam 2026-10-24T21:59:59Z "$T/dst.ndjson")" "" \
	"25 October (25 hours): not yet at 23:59:59 +02:00 on the 24th"
is "$(active Europe/Amsterdam 2026-10-24T22:00:00Z "$T/dst.ndjson")" autumn "... from 00:00 +02:00"
is "$(active Europe/Amsterdam 2026-10-25T22:30:00Z "$T/dst.ndjson")" autumn \
	"... still at 23:30 +01:00 (beyond 24 hours)"
is "$(active Europe/Amsterdam 2026-10-25T23:00:00Z "$T/dst.ndjson")" "" "... and not at 00:00 on the 26th"
ev night 0612345678 2026-03-29T01:30:00+01:00 2026-03-29T03:30:00+02:00 >"$T/night.ndjson"
is "$(active Europe/Amsterdam 2026-03-29T00:59:59Z "$T/night.ndjson")" night \
	"an event over the spring change lasts one real hour"
is "$(active Europe/Amsterdam 2026-03-29T01:30:00Z "$T/night.ndjson")" "" "... not two"
run_in "$T/dst.ndjson" forward-apply -e 333 -n --time-zone Europe/Amsterdam --at 2026-10-25
is "$(field .at "$OUT")" 2026-10-24T22:00:00Z "--at DATE is midnight in --time-zone"

# --- applying, idempotence, failures ----------------------------------------
ev a 0612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00 >"$T/one.ndjson"
ev b 0687654321 2026-11-23T10:30:00+01:00 2026-11-23T12:00:00+01:00 >>"$T/one.ndjson"
AT=2026-11-23T10:15:00+01:00
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend --flag" --at $AT
is "$rc" 0 "applying a forward with --exec exits 0"
is "$(cat "$OUT")" \
	'{"at":"2026-11-23T09:15:00Z","events":["a"],"extension":"333","from":[],"result":"applied","to":["0612345678"]}' \
	"... and prints the transition"
is "$(cat "$T/calls")" "--flag 333 0612345678" "the command gets its words, EXT and the targets as arguments"
is "$(cat "$T/env")" "333|0612345678|" "... GCAL_EXTENSION, GCAL_TARGETS and GCAL_FROM"
ok "... and the record in GCAL_TRANSITION" jq_ok -e '.to == ["0612345678"] and .extension == "333"' "$T/transitions"
ok "what the command prints goes to stderr, not into the records" has "backend talking" "$ERR"
ok "the state is 0600" test "$(mode "$STATE")" = 600
is "$(jq -c .to "$STATE")" '["0612345678"]' "... and holds the applied targets"

run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --at $AT
ok "a second run with nothing new prints nothing and exits 0" test "$rc" = 0 -a ! -s "$OUT"
is "$(calls)" 1 "... and does not call the backend"
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --at $AT --explain
is "$(tail -1 "$OUT" | jq -r .result)" unchanged "--explain says unchanged"

cp "$STATE" "$T/state.before"
: >"$T/fail"
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --at 2026-11-23T10:45:00+01:00
is "$rc" 69 "a backend that fails exits 69"
is "$(field '[.result, (.to | join(","))] | join(" ")' "$OUT")" "failed 0612345678,0687654321" \
	"... and prints the transition as failed"
ok "... with one line on stderr naming the command" has "forward-apply: extension 333: --exec '$T/backend': exited with status 1" "$ERR"
ok "... and leaves the state untouched" cmp -s "$STATE" "$T/state.before"
rm "$T/fail"
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --at 2026-11-23T10:45:00+01:00
is "$rc" 0 "the next run retries"
is "$(tail -1 "$T/calls")" "333 0612345678 0687654321" "... with both targets"
is "$(tail -1 "$T/env")" "333|0612345678 0687654321|0612345678" "... and the old ones in GCAL_FROM"
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --at 2026-11-23T11:30:00+01:00
is "$(field '[(.from | join(",")), (.to | join(","))] | join(" ")' "$OUT")" "0612345678,0687654321 0687654321" \
	"at 11:30 one event is over: from both to one"
run_in /dev/null forward-apply -e 333 --exec "$T/backend" --at 2026-11-23T11:30:00+01:00
is "$(field '.to | length' "$OUT")" 0 "an empty calendar clears the forward"
is "$(tail -1 "$T/calls")" 333 "... the command gets EXT alone"
run_in /dev/null forward-apply -e 333 --exec "$T/backend"
ok "... once" test "$rc" = 0 -a ! -s "$OUT"
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/no/such/command" --at $AT
is "$rc" 69 "a command that does not exist exits 69"
ok "... saying so" has "No such file" "$ERR"

# A backend that hangs is stopped after GCAL_TIMEOUT (SIGTERM, then
# SIGKILL for one that ignores it): it must not hold the lock for ever.
printf '#!/bin/sh\nexec sleep 60\n' >"$T/hang"
printf '#!/bin/sh\ntrap "" TERM\nwhile :; do sleep 0.2; done\n' >"$T/stubborn"
chmod +x "$T/hang" "$T/stubborn"
cp "$STATE" "$T/state.before"
t0=$(date +%s)
run_in "$T/one.ndjson" env GCAL_TIMEOUT=1 forward-apply -e 333 --exec "$T/hang" --at 2026-11-23T10:45:00+01:00
is "$rc" 75 "a command still running after GCAL_TIMEOUT exits 75"
ok "... saying so" has "forward-apply: extension 333: --exec '$T/hang': still running after 1 s (GCAL_TIMEOUT), stopped" "$ERR"
is "$(field .result "$OUT")" failed "... prints the transition as failed"
ok "... and leaves the state untouched" cmp -s "$STATE" "$T/state.before"
run_in "$T/one.ndjson" env GCAL_TIMEOUT=1 forward-apply -e 333 --exec "$T/stubborn" --at 2026-11-23T10:45:00+01:00
is "$rc" 75 "one that ignores SIGTERM is killed, and exits 75 too"
t1=$(date +%s)
ok "... both within seconds ($((t1 - t0)) s)" test $((t1 - t0)) -lt 15

# The whole process group is stopped, as timeout(1) does: a child the
# backend started must not apply the old forward after the run reported
# it failed (one that leaves on SIGTERM, one that ignores it).
cat >"$T/forking" <<EOT
#!/bin/sh
( sleep 3; echo "\$*" >>"$T/late" ) &
( trap "" TERM; sleep 3; echo "\$*" >>"$T/late" ) &
exec sleep 60
EOT
chmod +x "$T/forking"
rm -f "$T/late"
run_in "$T/one.ndjson" env GCAL_TIMEOUT=1 forward-apply -e 333 --exec "$T/forking" --at 2026-11-23T10:45:00+01:00
is "$rc" 75 "a backend whose children outlive it is stopped after GCAL_TIMEOUT, 75"
sleep 4
ok "... and its children with it: none applies the forward later" test ! -e "$T/late"

cp "$STATE" "$T/state.before"
run_in "$T/one.ndjson" forward-apply -e 333 -n --at $AT
is "$(field .result "$OUT")" dry-run "--dry-run prints the transition as dry-run"
ok "... and changes nothing" cmp -s "$STATE" "$T/state.before"

run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --at $AT --state "$T/custom/s.json"
ok "--state FILE keeps the state there, 0600" test "$rc" = 0 -a "$(mode "$T/custom/s.json")" = 600
run_in "$T/one.ndjson" forward-apply -p shop -e 333 --exec "$T/backend" --at $AT
ok "-p keeps the state of each profile apart" test "$rc" = 0 -a -f "$XDG_STATE_HOME/gcal/shop/forward/333.json"

# --- a title that tries to run a command ------------------------------------
cd "$T" || exit 1
{
	ev i1 "0612345678; touch $T/pwned1" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev i2 "\$(touch $T/pwned2)" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev i3 "\`touch $T/pwned3\`" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev i4 "0612345678 && touch $T/pwned4" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
	ev i5 "0612345678|touch $T/pwned5" 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00
} >"$T/inject.ndjson"
run_in "$T/inject.ndjson" forward-apply -e 444 --explain --exec "$T/backend" --at $AT
is "$(field 'select(.id) | .taken' "$OUT")" "false false false false false" "titles with shell commands are not forwards"
ok "... and run nothing" test ! -e "$T/pwned1" -a ! -e "$T/pwned2" -a ! -e "$T/pwned3" \
	-a ! -e "$T/pwned4" -a ! -e "$T/pwned5" -a ! -e "$T/x"
rm -f "$T/calls"
run_in "$T/one.ndjson" forward-apply -e 444 --exec "$T/backend ;touch $T/pwned6" --at $AT
is "$(cat "$T/calls")" ";touch $T/pwned6 444 0612345678" "--exec has no shell: ';' is an argument"
ok "... and nothing ran" test ! -e "$T/pwned6"

# --- bad input --------------------------------------------------------------
cp "$STATE" "$T/state.before"
{ ev a 0612345678 2026-11-23T10:00:00+01:00 2026-11-23T11:00:00+01:00; echo '{"id":"b"}'; echo '{"id": oops'; } >"$T/bad.ndjson"
rm -f "$T/calls"
run_in "$T/bad.ndjson" forward-apply -e 333 --exec "$T/backend" --at $AT
is "$rc" 65 "a line that is not JSON exits 65"
ok "... naming the line" has "^forward-apply: '<stdin>' line 3: bad JSON" "$ERR"
ok "... applying nothing" test ! -e "$T/calls" -a ! -s "$OUT"
ok "... and keeping the state" cmp -s "$STATE" "$T/state.before"
echo '[1]' >"$T/arr.ndjson"
run_in "$T/arr.ndjson" forward-apply -e 333 -n
ok "a line that is not an object exits 65" test "$rc" = 65
ok "... saying so" has "line 1: expected an object" "$ERR"
echo '{"to": 3}' >"$T/broken.json"
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --state "$T/broken.json"
ok "a state file that is not ours exits 65" test "$rc" = 65
ok "... naming it" has "broken.json" "$ERR"

# --- usage, locks, files ---------------------------------------------------
for args in "--exec true" "-e 333" "-e 333 --exec true --post http://127.0.0.1:9/" \
	"-e 333 -n --at tomorrow" "-e 333 -n --time-zone Mars/Olympus" \
	"-e 333 -n --internal-lengths 5-2" "-e 333 -n --country-code 0031" \
	"-e 333 -n --body ." "-e ../x -n" "-e 333 -n operand" "-e 333 --post ftp://x/" \
	"-e 333 --post http://127.0.0.1:9/ --body {"; do
	run forward-apply $args
	is "$rc" 64 "forward-apply $args: usage, exit 64"
done
ok "one line of error" test "$(grep -c 'forward-apply:' "$ERR")" = 1
run forward-apply -e 333 --post http://127.0.0.1:9/ --body-file "$T/no-such.jq"
is "$rc" 66 "a --body-file that cannot be read: exit 66"
mkdir -m 755 "$T/statedir"
run_in "$T/one.ndjson" forward-apply -e 333 -n --state "$T/statedir" --at $AT
is "$rc:$(wc -l <"$ERR" | tr -d ' ')" 66:1 "a --state that is a directory: exit 66, one line"
is "$(mode "$T/statedir")" 755 "... and its mode is left alone"

exec 9>"$STATE.lock"
flock 9
run_in "$T/one.ndjson" env GCAL_LOCK_TIMEOUT=0 forward-apply -e 333 --exec "$T/backend" --at $AT
is "$rc" 75 "another run holding the lock: exit 75"
ok "... saying so" has "another run holds it" "$ERR"
run_in "$T/one.ndjson" env GCAL_LOCK_TIMEOUT=0 forward-apply -e 333 -n --at $AT
is "$rc" 0 "--dry-run does not wait for the lock"
exec 9>&-

: >"$T/plainfile"
run_in "$T/one.ndjson" forward-apply -e 333 --exec "$T/backend" --state "$T/plainfile/s.json"
is "$rc" 70 "a state file that cannot be made: exit 70"

# --- --post ---------------------------------------------------------------
# sink STATUS ANSWER: a local HTTP server; its URL in $SINK
sink() {
	rm -f "$T/port"
	python3 "$FIX/http-sink.py" "$T/port" "$T/bodies" "$1" "$2" &
	sinkpid=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	SINK=http://127.0.0.1:$(cat "$T/port")/RPC
}
sink_stop() { kill "$sinkpid" 2>/dev/null; wait "$sinkpid" 2>/dev/null; }
P=$T/post.json
sink 200 '{"jsonrpc":"2.0","result":"Ok","id":1}'
run_in "$T/one.ndjson" forward-apply -e 333 --post "$SINK" --state "$P" --at $AT
is "$rc" 0 "--post with a 2xx answer exits 0"
is "$(field .result "$OUT")" applied "... applied"
is "$(head -1 "$T/bodies" | cut -d' ' -f1)" application/json "... posted as application/json"
head -1 "$T/bodies" | cut -d' ' -f2- >"$T/b1"
ok "... the transition record by default" jq_ok -e '.to == ["0612345678"] and .extension == "333"' "$T/b1"
run_in /dev/null forward-apply -e 333 --post "$SINK" --state "$P" --body-file "$TOP/examples/kamailio/body.jq" --at $AT
is "$(tail -1 "$T/bodies" | cut -d' ' -f2-)" '{"id":1,"jsonrpc":"2.0","method":"htable.sets","params":["fwd","333",""]}' \
	"examples/kamailio/body.jq clears with an empty value"
run_in "$T/one.ndjson" forward-apply -e 333 --post "$SINK" --state "$P" --body '.to, .to' --at $AT
is "$rc" 65 "a --body giving two values exits 65"
sink_stop
sink 200 '{"jsonrpc":"2.0","error":{"code":404,"message":"Key not found"},"id":1}'
cp "$P" "$T/state.before"
run_in "$T/one.ndjson" forward-apply -e 333 --post "$SINK" --state "$P" --at $AT
is "$rc" 69 "a JSON-RPC error in a 200 answer is a failure: exit 69"
ok "... naming the error" has "Key not found" "$ERR"
ok "... state untouched" cmp -s "$P" "$T/state.before"
sink_stop
sink 503 '{}'
run_in "$T/one.ndjson" forward-apply -e 333 --post "$SINK" --state "$P" --at $AT
is "$rc" 75 "a 503 (after the retries) exits 75"
sink_stop
sink 400 '{}'
run_in "$T/one.ndjson" forward-apply -e 333 --post "$SINK" --state "$P" --at $AT
is "$rc" 69 "a 400 exits 69"
sink_stop
run_in "$T/one.ndjson" forward-apply -e 333 --post http://127.0.0.1:9/RPC --state "$P" --at $AT
is "$rc" 75 "a telephone system that cannot be reached: exit 75, try later"
ok "... state untouched" cmp -s "$P" "$T/state.before"

# --- a big calendar ----------------------------------------------------------
awk 'BEGIN {
	for (i = 0; i < 10000; i++) {
		h = i % 24; d = 1 + int(i / 24) % 28
		k = int(i / 24) % 3
		title = k == 0 ? sprintf("06%08d", i) : k == 1 ? "Meeting " i : sprintf("+31 6 %08d", i)
		printf "{\"kind\":\"calendar#event\",\"id\":\"e%05d\",\"status\":\"confirmed\",\"summary\":\"%s\",\"start\":{\"dateTime\":\"2026-02-%02dT%02d:00:00Z\"},\"end\":{\"dateTime\":\"2026-02-%02dT%02d:59:00Z\"}}\n", i, title, d, h, d, h
	}
}' >"$T/big.ndjson"
run_in "$T/big.ndjson" forward-apply -e 555 --explain -n --at 2026-02-10T07:30:00Z
is "$rc" 0 "10,000 events: exits 0"
is "$(grep -c '"taken"' "$OUT")" 10000 "... explains each of them"
want=$(jq -r 'select(.start.dateTime <= "2026-02-10T07:30:00Z" and "2026-02-10T07:30:00Z" < .end.dateTime)
	| .summary | select(test("^[0-9+]")) | gsub(" "; "")' "$T/big.ndjson" | LC_ALL=C sort -u | tr '\n' ',')
is "$(tail -1 "$OUT" | jq -r '.to | join(",")'),"  "$want" "... and finds exactly the active numbers"
ok "... of which there are several" test "$(echo "$want" | tr -cd , | wc -c)" -ge 5

done_testing
