#!/bin/sh
# examples/two-way-sync.sh: a two-way sync composed of the tools, killed at
# every step in turn, converges on the next run: nothing lost, nothing
# duplicated, no change read as a deletion or an edit on the other side.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account
SYNC=$TOP/examples/two-way-sync.sh

appt() {
	jq -nc --arg id "$1" --arg s "$2" --arg h "$3" '{appointment_id:$id, summary:$s,
		start:{dateTime:("2026-12-01T" + $h + ":00:00Z")}, end:{dateTime:("2026-12-01T" + $h + ":45:00Z")}}'
}
hand_event() {
	jq -nc --arg s "$1" --arg h "$2" '{summary:$s,
		start:{dateTime:("2026-12-02T" + $h + ":00:00+01:00")}, end:{dateTime:("2026-12-02T" + $h + ":30:00+01:00")}}'
}
remote_summaries() {
	emu_ctl GET "/_emu/calendars/$CAL/events" |
		jq -r 'select(.status != "cancelled") | .summary' | sort | tr '\n' ','
}
local_summaries() {
	jq -r .summary "$DIR/local.ndjson" | sort | tr '\n' ','
}
local_id() { # SUMMARY: the Google id the booking system keeps for it
	jq -r --arg s "$1" 'select(.summary == $s) | .id' "$DIR/local.ndjson"
}

# setup NAME: a fresh calendar and booking system with history: 3
# appointments from before the link, 2 events the user made in Google;
# then a first sync, then edits on both sides.
setup() {
	CAL=$(gcal-auth use --create "Bookings $1" | jq -r .id)
	DIR=$T/$1
	mkdir -p "$DIR"
	{ appt A1 "Cut A1" 09; appt A2 "Colour A2" 10; appt A3 "Trim A3" 11; } >"$DIR/local.ndjson"
	emu_ctl POST "/_emu/calendars/$CAL/events" "$(hand_event 'Dentist E1' 08)" >/dev/null
	emu_ctl POST "/_emu/calendars/$CAL/events" "$(hand_event 'Lunch E2' 12)" >/dev/null
	sh "$SYNC" default "$DIR" >/dev/null 2>"$T/first.err" || { cat "$T/first.err"; return 1; }
	# the booking system: edit A1, cancel A2, book A4
	jq -c 'if .appointment_id == "A1" then .summary = "Cut and dry A1" else . end
		| select(.appointment_id != "A2")' "$DIR/local.ndjson" >"$DIR/l" && mv "$DIR/l" "$DIR/local.ndjson"
	appt A4 "Beard A4" 14 >>"$DIR/local.ndjson"
	# the user, in Google Calendar: edit E1, delete E2, add E3
	emu_ctl PATCH "/_emu/calendars/$CAL/events/$(local_id 'Dentist E1')" '{"summary":"Dentist E1, moved"}' >/dev/null
	emu_ctl DELETE "/_emu/calendars/$CAL/events/$(local_id 'Lunch E2')" >/dev/null
	emu_ctl POST "/_emu/calendars/$CAL/events" "$(hand_event 'Gym E3' 18)" >/dev/null
}

WANT="Beard A4,Cut and dry A1,Dentist E1\\, moved,Gym E3,Trim A3,"
WANT=$(printf '%s' "$WANT" | sed 's/\\,/,/')

# --- the first link: both sides' history meets --------------------------
CAL=$(gcal-auth use --create "Bookings first" | jq -r .id)
DIR=$T/first
mkdir -p "$DIR"
{ appt A1 "Cut A1" 09; appt A2 "Colour A2" 10; } >"$DIR/local.ndjson"
emu_ctl POST "/_emu/calendars/$CAL/events" "$(hand_event 'Dentist E1' 08)" >/dev/null
run sh "$SYNC" default "$DIR"
is "$rc" 0 "the first sync exits 0"
is "$(remote_summaries)" "Colour A2,Cut A1,Dentist E1," \
	"appointments from before the link are pushed to Google"
is "$(local_summaries)" "Colour A2,Cut A1,Dentist E1," \
	"and Google's events are imported into the booking system"
emu_ctl POST /_emu/log/clear >/dev/null
run sh "$SYNC" default "$DIR"
is "$(emu_log_count POST '^/batch/calendar/v3$')" 0 "a second run on unchanged sides writes nothing"
is "$(emu_log_count)" 1 "... and costs 1 request"

# --- uninterrupted ------------------------------------------------------
setup plain
run sh "$SYNC" default "$DIR"
is "$rc" 0 "a run after edits on both sides exits 0"
is "$(remote_summaries)" "$WANT" "Google has both sides' edits"
is "$(local_summaries)" "$WANT" "the booking system too"

# --- killed at every step in turn, then run again ---------------------------
for stop in pull diff push apply base push-after-1 push-after-2; do
	setup "$stop"
	case $stop in
	push-after-*)
		run env GCAL_PUSH_STOP_AFTER="${stop#push-after-}" sh "$SYNC" default "$DIR" ;;
	*)
		run env SYNC_STOP_AT="$stop" sh "$SYNC" default "$DIR" ;;
	esac
	is "$rc" 75 "$stop: the interrupted run exits 75"
	run sh "$SYNC" default "$DIR"
	is "$rc" 0 "$stop: the next run exits 0"
	is "$(remote_summaries)" "$WANT" "$stop: Google converges, nothing lost or duplicated"
	is "$(local_summaries)" "$WANT" "$stop: the booking system converges"
	emu_ctl POST /_emu/log/clear >/dev/null
	run sh "$SYNC" default "$DIR"
	is "$(emu_log_count POST '^/batch/calendar/v3$')" 0 "$stop: and a further run writes nothing"
done

# --- a push that partly failed ------------------------------------------
setup partial
emu_ctl POST /_emu/faults '{"batch_part":true,"method":"PUT","status":400,"reason":"invalid","times":1}' >/dev/null
run sh "$SYNC" default "$DIR"
is "$rc" 1 "a run whose update Google refused exits 1"
emu_ctl DELETE /_emu/faults >/dev/null
run sh "$SYNC" default "$DIR"
is "$rc" 0 "the next run exits 0"
is "$(remote_summaries)" "$WANT" "... and the refused update went through, not read as a remote edit"
is "$(local_summaries)" "$WANT" "... the booking system kept its edit"

done_testing
