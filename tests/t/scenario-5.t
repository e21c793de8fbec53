#!/bin/sh
# Scenario 5, scheduler resources: examples/scenario-5-resources.sh makes
# one secondary calendar per resource, empties one (dry run first, then
# for real, then undone), syncs both ways, is refused a primary calendar
# by gcal-push, and reports a withdrawn consent.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
S5=$TOP/examples/scenario-5-resources.sh
GCAL_RETRIES=0
export GCAL_RETRIES

google_has() { # CALENDAR: the summaries of its live events
	emu_ctl GET "/_emu/calendars/$1/events" |
		jq -r 'select(.status != "cancelled") | .summary' | sort | tr '\n' ',' | sed 's/,$//'
}
ev() { # CALENDAR SUMMARY HOUR [KEY]: an event in Google, owned by the link with KEY
	emu_ctl POST "/_emu/calendars/$1/events" "$(jq -nc --arg s "$2" --arg h "$3" --arg k "${4:-}" '{summary: $s,
		start: {dateTime: ("2026-12-03T" + $h + ":00:00Z")}, end: {dateTime: ("2026-12-03T" + $h + ":30:00Z")}}
		+ if $k == "" then {} else {extendedProperties: {private: {gcalOwner: "gcal", gcalKey: $k}}} end')" >/dev/null
}

BROWSER="curl -sL" run sh "$S5" link -s "$CLIENT" -n "Room 1" room1
is "$rc" 0 "link room1 exits 0"
R1=$(cut -f 1 "$OUT")
BROWSER="curl -sL" run sh "$S5" link anna
is "$rc" 0 "link anna (the same account) exits 0"
ANNA=$(cut -f 1 "$OUT")
is "$(emu_ctl GET /_emu/calendars | jq -r --arg a "$R1" --arg b "$ANNA" \
	'[.[] | select(.id == $a or .id == $b) | "\(.summary) \(.primary)"] | join(",")')" \
	"Room 1 false,anna false" "each resource has its own new secondary calendar"

# the calendar already holds events: two of an earlier link, one of the user
ev "$R1" "Old shift 1" 08 O1
ev "$R1" "Old shift 2" 09 O2
ev "$R1" "Own note" 10
emu_ctl POST /_emu/log/clear >/dev/null
run sh "$S5" clear room1 "$T/room1"
is "$rc" 0 "clear (dry run) exits 0"
is "$(cut -f 1,3 "$OUT" | sort | tr '\t\n' ':,')" "dry-run:Old shift 1,dry-run:Old shift 2," \
	"... lists the link's two events, not the user's"
is "$(emu_log_count POST '^/batch')" 0 "... and writes nothing"
is "$(google_has "$R1")" "Old shift 1,Old shift 2,Own note" "... Google is unchanged"
run sh "$S5" clear -y room1 "$T/room1"
is "$rc" 0 "clear -y exits 0"
is "$(google_has "$R1")" "Own note" "... the link's events are deleted, the user's event stays"
run sh "$S5" restore room1 "$T/room1"
is "$rc" 0 "restore exits 0"
is "$(google_has "$R1")" "Old shift 1,Old shift 2,Own note" "... and the clear is undone"
run sh "$S5" clear -y room1 "$T/room1"

# two-way sync of the scheduler's shifts
mkdir -p "$T/room1"
jq -nc '{appointment_id: "S1", summary: "Shift S1", start: {dateTime: "2026-12-04T08:00:00Z"}, end: {dateTime: "2026-12-04T12:00:00Z"}},
	{appointment_id: "S2", summary: "Shift S2", start: {dateTime: "2026-12-04T13:00:00Z"}, end: {dateTime: "2026-12-04T17:00:00Z"}}' \
	>"$T/room1/local.ndjson"
run sh "$S5" sync room1 "$T/room1"
is "$rc" 0 "sync exits 0"
is "$(google_has "$R1")" "Own note,Shift S1,Shift S2" "Google has the scheduler's shifts"
is "$(jq -r .summary "$T/room1/local.ndjson" | sort | tr '\n' ',')" "Own note,Shift S1,Shift S2," \
	"the scheduler has the calendar's event"
ev "$R1" "Meeting" 15
run sh "$S5" sync room1 "$T/room1"
ok "a second sync brings in an event made in Google" has '"Meeting"' "$T/room1/local.ndjson"

# a resource linked to the primary calendar: gcal-push refuses it
BROWSER="curl -sL" run sh "$S5" link -c alice@example.com private
is "$rc" 0 "linking a primary calendar is allowed (gcal-auth warns)"
ok "... with a warning" has "primary" "$ERR"
mkdir -p "$T/private"
cp "$T/room1/local.ndjson" "$T/private/local.ndjson"
emu_ctl POST /_emu/log/clear >/dev/null
run sh "$S5" sync private "$T/private"
is "$rc" 64 "a sync to the primary calendar exits 64"
ok "... and says why" has "primary calendar is never written" "$ERR"
is "$(emu_log_count POST '^/batch')" 0 "... no write request was made"
is "$(google_has alice@example.com)" "" "... the primary calendar is untouched"
run_in "$T/private/local.ndjson" sh -c 'gcal-diff -q --key .appointment_id /dev/null - | gcal-push -p private'
is "$rc" 64 "gcal-push itself refuses changes for the primary calendar: 64"

# a local.ndjson or cleared.ndjson line that is not JSON, or lacks its
# key or times: refused in one line naming it, before any request
cp "$T/room1/local.ndjson" "$T/local.good"
emu_ctl POST /_emu/log/clear >/dev/null
printf '{"appointment_id":"","summary":"x","start":{},"end":{}}\n' >>"$T/room1/local.ndjson"
run sh "$S5" sync room1 "$T/room1"
is "$rc" 65 "a sync with an appointment without a key exits 65"
ok "... one line naming the file and line" test "$(wc -l <"$ERR")" -eq 1 -a -n "$(grep "local.ndjson' line $(wc -l <"$T/room1/local.ndjson" | tr -d ' '): " "$ERR")"
cp "$T/local.good" "$T/room1/local.ndjson"
mkdir -p "$T/restore"
printf '{"summary":"no id"}\n' >"$T/restore/cleared.ndjson"
run sh "$S5" restore room1 "$T/restore"
is "$rc" 65 "a restore from a cleared.ndjson line without an id exits 65"
ok "... naming the file and line" has "cleared.ndjson' line 1: " "$ERR"
printf 'oops\n' >"$T/restore/cleared.ndjson"
run sh "$S5" restore room1 "$T/restore"
is "$rc" 65 "... or not JSON: 65"
is "$(emu_log_count)" 0 "... and no request was made"

# consent withdrawn
run sh "$S5" revoke room1
is "$rc" 0 "revoke exits 0"
is "$(emu_ctl GET /_emu/grants | jq -r '[.[] | select(.user == "alice@example.com") | .revoked] | all')" true \
	"... the grant is gone at Google"
run gcal-pull -p room1
is "$rc" 77 "gcal-pull now exits 77"
run sh "$S5" sync room1 "$T/room1"
is "$rc" 77 "the sync exits 77"
ok "... and reports it" has "consent withdrawn or expired: link again" "$ERR"
is "$(google_has "$R1")" "Meeting,Own note,Shift S1,Shift S2" "Google keeps the calendar as it was"

done_testing
