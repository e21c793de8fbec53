#!/bin/sh
# Scenario 2, visitor invitations: examples/scenario-2-visitors.sh reads
# two calendars of one account, takes the events with the invite address
# among the guests, picks the site from the location code, and prints
# each created, moved and cancelled visit once, and a notice for an
# unknown code.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
S2=$TOP/examples/scenario-2-visitors.sh
GCAL_RETRIES=0
export GCAL_RETRIES
run link_account office
TEAM=$(emu_ctl GET /_emu/calendars | jq -r '.[] | select(.summary == "Team") | .id')
ME=alice@example.com
DIR=$T/office
mkdir -p "$DIR"
jq -n --arg t "$TEAM" '{invite: "visit@visitors.example", default_site: "ANHQ",
	sites: ["ANHQ", "ANBR"], calendars: ["primary", $t]}' >"$DIR/visitors.json"

ev() { # CALENDAR SUMMARY LOCATION GUESTS-JSON
	emu_ctl POST "/_emu/calendars/$1/events" "$(jq -nc --arg s "$2" --arg l "$3" --argjson a "$4" '{summary: $s,
		location: $l, start: {dateTime: "2026-12-05T10:00:00Z"}, end: {dateTime: "2026-12-05T11:00:00Z"},
		attendees: ($a | map({email: .}))}')" | jq -r .id
}
# NOTIFY: each record of $OUT as "type change summary site-or-code"
notified() {
	jq -r '[.type, (.change // "-"), .summary, (.site // .code)] | join(" ")' "$OUT" | sort | tr '\n' ',' | sed 's/,$//'
}
A=$(ev "$ME" "Visit Acme" "" '["visit@visitors.example","guest@acme.example"]')
B=$(ev "$TEAM" "Visit Bolt" "anbr" '["VISIT@Visitors.example","g@bolt.example"]')
C=$(ev "$TEAM" "Visit Crux" "XXHQ" '["visit@visitors.example","g@crux.example"]')
D=$(ev "$ME" "Lunch" "" '["g@acme.example"]')
E=$(ev "$TEAM" "Visit Echo" "Main street 1, Amsterdam" '["visit@visitors.example","g@echo.example"]')

run sh "$S2" office "$DIR"
is "$rc" 0 "the first run exits 0"
is "$(notified)" "notice - Visit Crux XXHQ,visit created Visit Acme ANHQ,visit created Visit Bolt ANBR,visit created Visit Echo ANHQ" \
	"three visits created (no location and an address: the default site), a notice for the unknown code"
is "$(jq -c 'select(.type == "notice") | {to, valid}' "$OUT")" '{"to":"alice@example.com","valid":["ANHQ","ANBR"]}' \
	"... the notice goes to the organiser and names the valid codes"
is "$(jq -r 'select(.summary == "Visit Bolt") | "\(.calendar == $t) \(.guests)"' --arg t "$TEAM" "$OUT")" \
	'true ["g@bolt.example"]' "... a visit names its calendar and its guests"
ok "... nothing for the event without the invite address" lacks Lunch "$OUT"
run sh "$S2" office "$DIR"
ok "a rerun with nothing changed prints nothing" test "$rc" = 0 -a ! -s "$OUT"

emu_ctl PATCH "/_emu/calendars/$TEAM/events/$C" '{"location":"ANHQ"}' >/dev/null
emu_ctl PATCH "/_emu/calendars/$ME/events/$A" \
	'{"start":{"dateTime":"2026-12-05T12:00:00Z"},"end":{"dateTime":"2026-12-05T13:00:00Z"}}' >/dev/null
emu_ctl PATCH "/_emu/calendars/$ME/events/$D" '{"location":"ANBR"}' >/dev/null
emu_ctl DELETE "/_emu/calendars/$TEAM/events/$B" >/dev/null
emu_ctl PATCH "/_emu/calendars/$TEAM/events/$E" '{"attendees":[{"email":"g@echo.example"}]}' >/dev/null
run sh "$S2" office "$DIR"
is "$rc" 0 "a run after changes in Google exits 0"
is "$(notified)" "visit cancelled Visit Bolt ANBR,visit cancelled Visit Echo ANHQ,visit created Visit Crux ANHQ,visit moved Visit Acme ANHQ" \
	"fixed code: created; new time: moved; deleted or invite removed: cancelled"
is "$(jq -c 'select(.change == "moved") | [.previous.start, .start]' "$OUT")" \
	'["2026-12-05T11:00:00+01:00","2026-12-05T13:00:00+01:00"]' "... moved says from when to when"
run sh "$S2" office "$DIR"
ok "and a rerun prints nothing" test "$rc" = 0 -a ! -s "$OUT"

# A visit moved to the other linked calendar (events.move: same id, same
# time) is the same visit: no notice. Moved back at another time: one
# "moved", never "cancelled" and "created".
G=$(ev "$TEAM" "Visit Golf" "" '["visit@visitors.example","g@golf.example"]')
run sh "$S2" office "$DIR"
is "$(notified)" "visit created Visit Golf ANHQ" "a new visit in the second calendar: created"
AT=$(gcal-auth token -p office 2>"$ERR")
move() { # FROM ID TO: events.move, the status; the answer in $T/moved
	curl -sS -o "$T/moved" -w '%{http_code}' -X POST -H "Authorization: Bearer $AT" \
		"$EMU_URL/calendar/v3/calendars/$1/events/$2/move${3:+?destination=$3}"
}
is "$(move "$TEAM" "$G")" 400 "the emulator's events.move needs a destination"
is "$(jq -r '.error.errors[0].reason' "$T/moved")" required "... reason required"
is "$(move "$TEAM" "$G" "$ME") $(jq -r '"\(.id) \(.organizer.email) \(.start.dateTime)"' "$T/moved")" \
	"200 $G $ME 2026-12-05T11:00:00+01:00" "events.move answers the event in its new calendar: same id and time"
is "$(emu_ctl GET "/_emu/calendars/$TEAM/events/$G" | jq -r .status)" cancelled \
	"... and the old calendar has it as deleted"
run sh "$S2" office "$DIR"
ok "a visit moved to another linked calendar at the same time: nothing notified" test "$rc" = 0 -a ! -s "$OUT"
is "$(move "$ME" "$G" "$TEAM")" 200 "moved back"
emu_ctl PATCH "/_emu/calendars/$TEAM/events/$G" \
	'{"start":{"dateTime":"2026-12-05T14:00:00Z"},"end":{"dateTime":"2026-12-05T15:00:00Z"}}' >/dev/null
run sh "$S2" office "$DIR"
is "$(notified)" "visit moved Visit Golf ANHQ" "moved back at another time: one \"moved\", no cancel and create"
is "$(jq -c '[.previous.calendar == "primary", .calendar == $t, .previous.start, .start]' --arg t "$TEAM" "$OUT")" \
	'[true,true,"2026-12-05T11:00:00+01:00","2026-12-05T15:00:00+01:00"]' "... from which calendar and time to which"
run sh "$S2" office "$DIR"
ok "... and a rerun prints nothing" test "$rc" = 0 -a ! -s "$OUT"
emu_ctl DELETE "/_emu/calendars/$TEAM/events/$G" >/dev/null
run sh "$S2" office "$DIR"
is "$(notified)" "visit cancelled Visit Golf ANHQ" "then deleted: cancelled, once"

# a pull that fails must not read as every visit cancelled
emu_ctl DELETE "/_emu/calendars/$ME/events/$A" >/dev/null
emu_ctl POST /_emu/faults '{"path":"/calendars/c_","status":503,"times":-1}' >/dev/null
run sh "$S2" office "$DIR"
is "$rc" 75 "a run whose pull of one calendar fails exits 75"
ok "... and notifies nothing" test ! -s "$OUT"
emu_ctl DELETE /_emu/faults >/dev/null
run sh "$S2" office "$DIR"
is "$(notified)" "visit cancelled Visit Acme ANHQ" "the next run reports the cancellation, once"

# damaged inputs: one line naming the file, nothing notified
cp "$DIR/known.ndjson" "$T/known.good"
printf '{"key":""}\n' >>"$DIR/known.ndjson"
run sh "$S2" office "$DIR"
is "$rc" 65 "a known.ndjson line without a key exits 65"
ok "... naming the file and line" has "known.ndjson' line $(wc -l <"$DIR/known.ndjson" | tr -d ' '): " "$ERR"
ok "... and notifies nothing" test ! -s "$OUT"
printf 'garbage\n' >"$DIR/known.ndjson"
run sh "$S2" office "$DIR"
is "$rc" 65 "a known.ndjson that is not JSON exits 65"
ok "... in one line" test "$(wc -l <"$ERR")" -eq 1
cp "$T/known.good" "$DIR/known.ndjson"
cp "$DIR/visitors.json" "$T/visitors.good"
for bad in '{"invite":' '["x"]' '{"invite":"v@x.example","default_site":"ANHQ","sites":["ANHQ"],"calendars":[""]}' \
	'{"invite":"","default_site":"ANHQ","sites":["ANHQ"],"calendars":["primary"]}'; do
	printf '%s\n' "$bad" >"$DIR/visitors.json"
	run sh "$S2" office "$DIR"
	is "$rc" 78 "visitors.json $bad: 78 (configuration)"
	ok "... one line naming the file" test "$(wc -l <"$ERR")" -eq 1 -a -n "$(grep "visitors.json'" "$ERR")"
done
cp "$T/visitors.good" "$DIR/visitors.json"
run sh "$S2" office "$DIR"
is "$rc" 0 "repaired, the run goes on"

# an operator's own rule: the code in the description instead
sed 's/(\.location \/\/ ""/(.description \/\/ ""/' "$TOP/examples/scenario-2-visitors.jq" >"$T/rules.jq"
mkdir -p "$T/other"
cp "$DIR/visitors.json" "$T/other/"
emu_ctl POST "/_emu/calendars/$ME/events" '{"summary":"Visit Fox","description":"anbr","start":{"dateTime":"2026-12-06T10:00:00Z"},"end":{"dateTime":"2026-12-06T11:00:00Z"},"attendees":[{"email":"visit@visitors.example"}]}' >/dev/null
VISITOR_RULES=$T/rules.jq run sh "$S2" office "$T/other"
is "$rc" 0 "VISITOR_RULES replaces the rules"
is "$(jq -r 'select(.summary == "Visit Fox") | .site' "$OUT")" ANBR "... the code is read from the description"

done_testing
