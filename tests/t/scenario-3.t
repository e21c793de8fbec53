#!/bin/sh
# Scenario 3, booking two-way sync: examples/scenario-3-booking.sh links
# an account (first sync both ways), pushes local changes at once, brings
# Google's in with the full run, and relinks to another account afresh.
# Interruptions at every step of the full run: sync.t (gcal-sync).
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
S3=$TOP/examples/scenario-3-booking.sh
DIR=$T/shop
mkdir -p "$DIR"

appt() {
	jq -nc --arg id "$1" --arg s "$2" --arg h "$3" '{appointment_id: $id, summary: $s,
		start: {dateTime: ("2026-12-01T" + $h + ":00:00Z")}, end: {dateTime: ("2026-12-01T" + $h + ":45:00Z")}}'
}
google_has() { # CALENDAR: the summaries of its live events
	emu_ctl GET "/_emu/calendars/$1/events" |
		jq -r 'select(.status != "cancelled") | .summary' | sort | tr '\n' ',' | sed 's/,$//'
}
local_has() {
	jq -r .summary "$DIR/local.ndjson" | sort | tr '\n' ',' | sed 's/,$//'
}
hand() { # CALENDAR SUMMARY HOUR: an event the user makes in Google
	emu_ctl POST "/_emu/calendars/$1/events" "$(jq -nc --arg s "$2" --arg h "$3" '{summary: $s,
		start: {dateTime: ("2026-12-02T" + $h + ":00:00+01:00")}, end: {dateTime: ("2026-12-02T" + $h + ":30:00+01:00")}}')" |
		jq -r .id
}

# Alice's calendar "Team" already has events; the booking system already
# has appointments.
TEAM=$(emu_ctl GET /_emu/calendars | jq -r '.[] | select(.summary == "Team") | .id')
E1=$(hand "$TEAM" "Dentist E1" 08)
hand "$TEAM" "Lunch E2" 12 >/dev/null
{ appt A1 "Cut A1" 09; appt A2 "Colour A2" 10; } >"$DIR/local.ndjson"

BROWSER="curl -sL" run sh "$S3" link -s "$CLIENT" -c "$TEAM" shop "$DIR"
is "$rc" 0 "link exits 0"
is "$(jq -c '{to_google, to_booking}' "$OUT")" '{"to_google":{"insert":2},"to_booking":{"insert":2}}' \
	"... its summary: 2 appointments pushed, 2 events imported"
is "$(google_has "$TEAM")" "Colour A2,Cut A1,Dentist E1,Lunch E2" \
	"Google has the appointments from before the link"
is "$(local_has)" "Colour A2,Cut A1,Dentist E1,Lunch E2" "the booking system has Google's events"

# push now: a new booking, an edit, a cancellation, at once
appt A3 "Beard A3" 11 >>"$DIR/local.ndjson"
jq -c 'if .appointment_id == "A1" then .summary = "Cut and dry A1" else . end
	| select(.appointment_id != "A2")' "$DIR/local.ndjson" >"$DIR/l" && mv "$DIR/l" "$DIR/local.ndjson"
emu_ctl POST /_emu/log/clear >/dev/null
run sh "$S3" push shop "$DIR"
is "$rc" 0 "push exits 0"
is "$(jq -c .to_google "$OUT")" '{"delete":1,"insert":1,"update":1}' "... its summary: 1 insert, 1 update, 1 delete"
is "$(google_has "$TEAM")" "Beard A3,Cut and dry A1,Dentist E1,Lunch E2" "Google has the booking system's changes at once"
is "$(emu_log_count)" 1 "... for one request"
is "$(emu_log_count POST '^/batch/calendar/v3$')" 1 "... a batch, no pull"
run sh "$S3" push shop "$DIR"
is "$(jq -c .to_google "$OUT")" '{}' "a second push has nothing to send"

# Google -> booking on the interval
emu_ctl PATCH "/_emu/calendars/$TEAM/events/$E1" '{"summary":"Dentist E1, moved"}' >/dev/null
hand "$TEAM" "Gym E3" 18 >/dev/null
run sh "$S3" push shop "$DIR"
is "$(local_has)" "Beard A3,Cut and dry A1,Dentist E1,Lunch E2" "push does not bring Google's changes in"
run sh "$S3" sync shop "$DIR"
is "$rc" 0 "sync exits 0"
is "$(jq -c .to_booking "$OUT")" '{"insert":1,"update":1}' "... its summary: 1 import, 1 update"
is "$(local_has)" "Beard A3,Cut and dry A1,Dentist E1, moved,Gym E3,Lunch E2" \
	"the booking system has Google's edit and new event"
emu_ctl POST /_emu/log/clear >/dev/null
run sh "$S3" sync shop "$DIR"
is "$(emu_log_count POST '^/batch/calendar/v3$')" 0 "a sync with nothing new writes nothing"

# appointments that are not JSON, lack a key or a time: refused, in one
# line naming the file and line, before any request
cp "$DIR/local.ndjson" "$T/local.good"
emu_ctl POST /_emu/log/clear >/dev/null
n=$(($(wc -l <"$T/local.good") + 1))
for bad in '{"appointment_id":"","summary":"x","start":{"dateTime":"2026-12-01T09:00:00Z"},"end":{"dateTime":"2026-12-01T10:00:00Z"}}' \
	'{"appointment_id":"A9","summary":"no time"}' '{"summary":"no key","start":{},"end":{}}' 'not json' '[1]'; do
	for mode in push sync; do
		{ cat "$T/local.good"; printf '%s\n' "$bad"; } >"$DIR/local.ndjson"
		run sh "$S3" "$mode" shop "$DIR"
		is "$rc" 65 "$mode with an appointment $bad exits 65"
		ok "... one line naming the file and line $n" \
			test "$(wc -l <"$ERR")" -eq 1 -a -n "$(grep "local.ndjson' line $n: " "$ERR")"
	done
done
is "$(emu_log_count)" 0 "... and no request was made"
cmp -s "$DIR/local.ndjson" "$T/local.good" || cp "$T/local.good" "$DIR/local.ndjson"

# Google unreachable: each mode exits as the program that failed, and
# the booking system's side is unchanged
cp "$DIR/local.ndjson" "$T/local.before"
GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=0 run gcal-pull -q -p shop
want=$rc
GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=0 run sh "$S3" sync shop "$DIR"
ok "a sync with Google unreachable exits as gcal-pull does ($want)" test "$rc" = "$want" -a "$rc" != 0
appt A4 "Trim A4" 12 >>"$DIR/local.ndjson"
cp "$DIR/local.ndjson" "$T/local.before"
# the push reaches Google first through gcal-push, which exits 75 for
# a refused connection (gcal(7))
want=75
GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=0 run sh "$S3" push shop "$DIR"
ok "a push with Google unreachable exits as gcal-push does ($want)" test "$rc" = "$want" -a "$rc" != 0
ok "... and the appointments are as they were" cmp -s "$DIR/local.ndjson" "$T/local.before"
run sh "$S3" push shop "$DIR"
is "$(jq -c .to_google "$OUT")" '{"insert":1}' "the next push sends it"
jq -c 'select(.appointment_id != "A4")' "$DIR/local.ndjson" >"$DIR/l" && mv "$DIR/l" "$DIR/local.ndjson"
run sh "$S3" push shop "$DIR"
is "$(jq -c .to_google "$OUT")" '{"delete":1}' "... and its cancellation"

# a booking system whose ids are numbers (the README's own
# {appointment_id: .id}): a move made in Google reaches it
jq -nc '{appointment_id: 4, summary: "Number 4", start: {dateTime: "2026-12-01T15:00:00Z"}, end: {dateTime: "2026-12-01T15:45:00Z"}}' >>"$DIR/local.ndjson"
run sh "$S3" sync shop "$DIR"
is "$(jq -c .to_google "$OUT")" '{"insert":1}' "a booking with a number id goes to Google"
N4=$(emu_ctl GET "/_emu/calendars/$TEAM/events" | jq -r 'select(.summary == "Number 4") | .id')
emu_ctl PATCH "/_emu/calendars/$TEAM/events/$N4" '{"start":{"dateTime":"2026-12-01T16:00:00Z"},"end":{"dateTime":"2026-12-01T16:45:00Z"}}' >/dev/null
run sh "$S3" sync shop "$DIR"
is "$rc" 0 "... and after a move in Google the sync exits 0"
is "$(jq -c '{to_google, to_booking}' "$OUT")" '{"to_google":{},"to_booking":{"update":1}}' \
	"... the move goes to the booking system, not back to Google"
ok "... which has the new time" jq_ok -s 'any(.appointment_id == 4 and (.start.dateTime | test("T16:00:00Z|T17:00:00[+]01:00")))' "$DIR/local.ndjson"
jq -c 'select(.appointment_id != 4)' "$DIR/local.ndjson" >"$DIR/l" && mv "$DIR/l" "$DIR/local.ndjson"
run sh "$S3" sync shop "$DIR"

# relink to bob: revoke, login, a new calendar, a fresh base
BROWSER="curl -sL" run sh "$S3" relink -a bob@example.com shop "$DIR"
is "$rc" 0 "relink to bob exits 0"
is "$(gcal-auth status -p shop | jq -r .account)" bob@example.com "the profile is bob's"
is "$(emu_ctl GET /_emu/grants | jq -r '.[] | select(.user == "alice@example.com") | .revoked')" true \
	"alice's grant is revoked"
BOBCAL=$(gcal-auth status -p shop | jq -r .calendar)
is "$(emu_ctl GET /_emu/calendars | jq -r --arg c "$BOBCAL" '.[] | select(.id == $c) | "\(.owner) \(.summary)"')" \
	"bob@example.com Bookings" "... synced to a new 'Bookings' calendar of bob's"
is "$(google_has "$BOBCAL")" "Beard A3,Cut and dry A1" "bob's calendar gets the appointments, not alice's events"
is "$(local_has)" "Beard A3,Cut and dry A1" "the booking system drops what it imported from alice"
is "$(jq -c '{to_google, to_booking}' "$OUT")" '{"to_google":{"insert":2},"to_booking":{}}' \
	"... its summary: 2 appointments pushed"
is "$(google_has "$TEAM")" "Beard A3,Cut and dry A1,Dentist E1, moved,Gym E3,Lunch E2" \
	"alice's calendar is left as it was"
emu_ctl POST /_emu/log/clear >/dev/null
run sh "$S3" sync shop "$DIR"
is "$rc" 0 "the next sync exits 0"
is "$(emu_log_count POST '^/batch/calendar/v3$')" 0 "... and writes nothing"

done_testing
