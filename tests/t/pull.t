#!/bin/sh
# gcal-pull: full and incremental pulls, the mirror, and what is printed.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account
CAL=alice@example.com
SYNC=$XDG_STATE_HOME/gcal/default/sync

# api METHOD PATH [JSON]: the Calendar API as a script would call it.
api() {
	if [ $# -ge 3 ]; then
		curl -sS -X "$1" -H "Authorization: Bearer $(gcal-auth token)" \
			-H 'Content-Type: application/json' --data-binary "$3" "$EMU_URL$2"
	else
		curl -sS -X "$1" -H "Authorization: Bearer $(gcal-auth token)" "$EMU_URL$2"
	fi
}

emu_ctl POST /_emu/calendars/$CAL/generate \
	'{"count":6000,"start":"2026-01-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
emu_ctl POST /_emu/log/clear >/dev/null

# --- first pull ---------------------------------------------------------
run gcal-pull
is "$rc" 0 "the first pull of 6,000 events exits 0"
is "$(wc -l <"$OUT" | tr -d ' ')" 6000 "... and prints 6,000 lines"
is "$(emu_log_count GET '/events$')" 3 "... with 3 list requests (2,500 a page)"
ok "each line is a Google event resource" jq_ok -s 'all(.[]; .kind == "calendar#event" and (.etag | type) == "string")' "$OUT"
ok "the mirror is 0600" test "$(mode "$(ls "$SYNC"/*/mirror.* | head -1)")" = 600
cp "$OUT" "$T/first"

# --- incremental ----------------------------------------------------------
set -- $(head -3 "$T/first" | jq -r .id)
emu_ctl PATCH /_emu/calendars/$CAL/events/$1 '{"summary":"moved"}' >/dev/null
emu_ctl PATCH /_emu/calendars/$CAL/events/$2 '{"location":"Room 1"}' >/dev/null
emu_ctl DELETE /_emu/calendars/$CAL/events/$3 >/dev/null
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
is "$rc" 0 "an incremental pull exits 0"
is "$(wc -l <"$OUT" | tr -d ' ')" 3 "--changes prints exactly the 2 edits and the deletion"
is "$(jq -r 'select(.status=="cancelled") | .id' "$OUT")" "$3" "... the deletion as a cancelled record"
is "$(jq -r 'select(.id=="'"$1"'") | .summary' "$OUT")" moved "... the edit as Google now has it"
is "$(emu_log_count)" 1 "... with exactly 1 request"
run gcal-pull
is "$(wc -l <"$OUT" | tr -d ' ')" 5999 "the mirror now holds 5,999 events"
ok "gcal-auth status shows when the link last synced" jq_ok '.last_sync | test("^20[0-9-]+T")' "$(gcal-auth status >"$T/st"; echo "$T/st")"
ok "... without the deleted one" lacks "\"id\":\"$3\"" "$OUT"
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
ok "nothing changed: --changes prints nothing" test "$rc" = 0 -a ! -s "$OUT"
is "$(emu_log_count)" 1 "... after 1 request"

# --- 410: the sync token is no longer valid ---------------------------
emu_ctl PATCH /_emu/calendars/$CAL/events/$1 '{"summary":"moved again"}' >/dev/null
emu_ctl DELETE /_emu/calendars/$CAL/events/$2 >/dev/null
emu_ctl POST /_emu/synctokens/invalidate '{}' >/dev/null
run gcal-pull --changes
is "$rc" 0 "after Google drops the sync token the pull recovers by itself"
ok "... saying so in one line on stderr" test "$(grep -c 410 "$ERR")" = 1
is "$(jq -r '[.id,.status] | join(" ")' "$OUT" | sort | tr '\n' ',')" \
	"$(printf '%s\n' "$1 confirmed" "$2 cancelled" | sort | tr '\n' ',')" \
	"... and still reports exactly what changed, deletions included"
run gcal-pull
is "$(wc -l <"$OUT" | tr -d ' ')" 5998 "the mirror matches Google again"

# --- the delta: small changes are written as such, then folded in --------
emu_ctl PATCH /_emu/calendars/$CAL/events/$1 '{"summary":"moved a third time"}' >/dev/null
run gcal-pull --changes
st=$(ls "$SYNC"/*/state.json)
ok "small incremental pulls keep a delta file beside the mirror" jq_ok 'has("delta")' "$st"
# a mirror written before the rename names its delta "journal" (journal.K)
dd=$(dirname "$st")
dn=$(jq -r .delta "$st")
mv "$dd/$dn" "$dd/journal.${dn#delta.}"
jq -c --arg j "journal.${dn#delta.}" 'del(.delta) | .journal = $j' "$st" >"$T/old-state"
cp "$T/old-state" "$st"
run gcal-pull
is "$(jq -r "select(.id == \"$1\") | .summary" "$OUT")" "moved a third time" \
	"a mirror whose state names a journal (the old name) is still read"
emu_ctl PATCH /_emu/calendars/$CAL/events/$1 '{"summary":"moved a fourth time"}' >/dev/null
run gcal-pull --changes
ok "... and its next delta replaces the journal" jq_ok 'has("delta") and (has("journal") | not)' "$st"
ok "... whose file is gone" test ! -e "$dd/journal.${dn#delta.}"
emu_ctl POST /_emu/calendars/$CAL/generate \
	'{"count":1300,"start":"2026-06-01T08:00:00Z","minutes":30,"step_minutes":60,"summary":"Late %d"}' >/dev/null
run gcal-pull --changes
is "$(wc -l <"$OUT" | tr -d ' ')" 1300 "1,300 new events come in as 1,300 changes"
ok "... and fold the delta into a new mirror file" jq_ok 'has("delta") | not' "$(ls "$SYNC"/*/state.json)"
run gcal-pull
jq -r .id "$OUT" | sort >"$T/ours"
emu_ctl GET "/_emu/calendars/$CAL/events" | jq -r 'select(.status != "cancelled") | .id' | sort >"$T/google"
ok "the mirror holds exactly Google's events" cmp -s "$T/ours" "$T/google"
is "$(wc -l <"$T/ours" | tr -d ' ')" 7298 "... all 7,298 of them"

# a run killed after its commit but before its clean-up leaves the old
# files: the next pull, even one with nothing to do, removes them
d=$(dirname "$(ls "$SYNC"/*/state.json)")
echo 'x	{}' >"$d/mirror.999"
echo 'x	{}' >"$d/delta.77"
echo 'x	{}' >"$d/journal.78"
run gcal-pull --changes
ok "files of a killed run are removed by the next pull" test ! -e "$d/mirror.999" -a ! -e "$d/delta.77" -a ! -e "$d/journal.78"

# --- a failure in the middle of paging -----------------------------------
state=$(ls "$SYNC"/*/state.json)
cp "$state" "$T/state.before"
emu_ctl POST /_emu/faults '{"method":"GET","path":"/events$","status":500,"skip":1,"times":100}' >/dev/null
run env GCAL_RETRIES=1 gcal-pull --full
is "$rc" 75 "a pull failing on page 2 exits 75"
ok "... and leaves the sync state untouched" cmp -s "$state" "$T/state.before"
is "$(ls "$(dirname "$state")" | tr '\n' ' ')" "$(jq -r .mirror "$state") state.json " \
	"... with no half-written mirror"
emu_ctl DELETE /_emu/faults >/dev/null
run gcal-pull
is "$(wc -l <"$OUT" | tr -d ' ')" 7298 "the next pull works from the old state"

# --- a page that is not JSON, read ahead ---------------------------------
# Pages are fetched ahead of the one being worked on; a 200 answer whose
# body does not parse sends the pull back to that page, alone.
run gcal-pull --full
cp "$OUT" "$T/full"
emu_ctl POST /_emu/log/clear >/dev/null
emu_ctl POST /_emu/faults '{"method":"GET","path":"/events$","action":"invalid_json","skip":1}' >/dev/null
run gcal-pull --full
is "$rc" 0 "a full pull whose page 2 comes back as half a JSON text exits 0"
ok "... and prints what a clean pull printed" cmp -s "$OUT" "$T/full"
# 3 pages, page 2 once more, and at most the page 3 read ahead of it
n=$(emu_log_count GET '/events$')
ok "... asking for page 2 once more ($n list requests for 3 pages)" test "$n" -ge 4 -a "$n" -le 5
# The pages read ahead go through the same retries and token refresh: a
# token that dies before page 2 and a 503 on page 3 cost a request each.
emu_ctl POST /_emu/log/clear >/dev/null
emu_ctl POST /_emu/faults '[{"method":"GET","path":"/events$","status":401,"reason":"authError","skip":1},
	{"method":"GET","path":"/events$","status":503,"skip":2}]' >/dev/null
run gcal-pull --full
is "$rc" 0 "a full pull with a 401 on page 2 and a 503 on page 3 exits 0"
ok "... and prints what a clean pull printed" cmp -s "$OUT" "$T/full"
is "$(emu_log_count GET '/events$') $(emu_log_count POST '^/token$')" "5 1" \
	"... with 5 list requests and 1 token refresh"

# --- a dead grant ------------------------------------------------------------
cp "$state" "$T/state.before"
emu_ctl POST /_emu/grants/revoke '{"user":"alice@example.com"}' >/dev/null
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
run gcal-pull
is "$rc" 77 "a revoked grant exits 77"
ok "... and leaves the sync state untouched" cmp -s "$state" "$T/state.before"
run link_account

# --- a smaller calendar for the event shapes ------------------------------
TEAM=$(gcal-auth calendars | jq -r 'select(.summary=="Team") | .id')
gcal-auth use "$TEAM" >/dev/null
api POST "/calendar/v3/calendars/$TEAM/events" '{"id":"standup0001","summary":"Stand-up",
	"start":{"dateTime":"2026-12-07T09:00:00","timeZone":"Europe/Amsterdam"},
	"end":{"dateTime":"2026-12-07T09:15:00","timeZone":"Europe/Amsterdam"},
	"recurrence":["RRULE:FREQ=DAILY;COUNT=5"]}' >/dev/null
api POST "/calendar/v3/calendars/$TEAM/events" '{"id":"vacation0001","summary":"Holidays",
	"start":{"date":"2026-12-24"},"end":{"date":"2026-12-27"}}' >/dev/null
api POST "/calendar/v3/calendars/$TEAM/events" '{"id":"meeting0001","summary":"Review",
	"start":{"dateTime":"2026-12-08T14:00:00+01:00"},"end":{"dateTime":"2026-12-08T15:00:00+01:00"},
	"attendees":[{"email":"visitor@example.com"},{"email":"bob@example.com"}]}' >/dev/null
run gcal-pull
is "$rc" 0 "pull of the chosen calendar"
is "$(wc -l <"$OUT" | tr -d ' ')" 3 "... prints its 3 events (the recurring one once)"

# move one instance, cancel another (as Google Calendar's UI does)
api PATCH "/calendar/v3/calendars/$TEAM/events/standup0001_20261208T080000Z" \
	'{"start":{"dateTime":"2026-12-08T10:00:00+01:00"},"end":{"dateTime":"2026-12-08T10:15:00+01:00"}}' >/dev/null
api DELETE "/calendar/v3/calendars/$TEAM/events/standup0001_20261209T080000Z" >/dev/null
run gcal-pull --expand
is "$rc" 0 "pull --expand"
is "$(jq -r 'select(.recurringEventId=="standup0001") | .id' "$OUT" | wc -l | tr -d ' ')" 4 \
	"... shows 4 instances: 5 less the cancelled one"
is "$(jq -r 'select(.id=="standup0001_20261208T080000Z") | .start.dateTime' "$OUT")" \
	"2026-12-08T10:00:00+01:00" "... with the moved one at its new time"
run gcal-pull --changes
is "$(jq -r '[.id,.status] | join(" ")' "$OUT" | sort | tr '\n' ',')" \
	"standup0001_20261208T080000Z confirmed,standup0001_20261209T080000Z cancelled," \
	"without --expand the changes are the two exceptions"
run gcal-pull
ok "... and the mirror keeps the cancelled instance, as Google lists it" \
	jq_ok -s 'map(select(.id=="standup0001_20261209T080000Z"))[0].status == "cancelled"' "$OUT"

run gcal-pull --full
ok "a full pull lists the cancelled instance too, as Google does without singleEvents" \
	jq_ok -s 'map(select(.id=="standup0001_20261209T080000Z"))[0].status == "cancelled"' "$OUT"

run gcal-pull --expand --from 2026-12-25 --to 2026-12-26
is "$(jq -r .id "$OUT")" vacation0001 "--from/--to keep the all-day event spanning the window"
run gcal-pull --expand --from 2026-12-27T00:00:00+01:00
ok "... and drop it once it has ended" test "$rc" = 0 -a ! -s "$OUT"
run gcal-pull --expand --from 2026-12-08T00:00:00Z --to 2026-12-09T00:00:00Z
is "$(jq -r .id "$OUT" | sort | tr '\n' ' ')" "meeting0001 standup0001_20261208T080000Z " \
	"--from/--to select the day's timed events"

run gcal-pull --filter 'select(any(.attendees[]?; .email == "visitor@example.com")) | .summary'
is "$(cat "$OUT")" '"Review"' "--filter applies a jq program to each event"
run gcal-pull --filter 'if .id == "meeting0001" then error("no meetings") else .id end'
is "$rc" 65 "a --filter that fails at run time exits 65"
is "$(cat "$ERR")" "gcal-pull: calendar '$TEAM': event 'meeting0001': --filter: no meetings" \
	"... naming the calendar and the event it failed on"
ok "... and prints the other events" test "$(wc -l <"$OUT")" -ge 2
run gcal-pull --filter '.['
is "$rc" 64 "a --filter that does not compile exits 64"

run gcal-pull -c "$CAL" -c "$TEAM"
is "$rc" 0 "several calendars in one run"
is "$(jq -r .gcal_calendar "$OUT" | sort -u | wc -l | tr -d ' ')" 2 \
	"... each line names its calendar in gcal_calendar"
is "$(jq -r 'select(.gcal_calendar=="'"$TEAM"'") | .id' "$OUT" | wc -l | tr -d ' ')" 5 \
	"... with the team calendar's 3 events and 2 exceptions"

# deleting a recurring event drops its instances: --changes says so
api DELETE "/calendar/v3/calendars/$TEAM/events/standup0001" >/dev/null
run gcal-pull --expand --changes
is "$(jq -r 'select(.status=="cancelled") | .id' "$OUT" | sort | tr '\n' ' ')" \
	"standup0001 standup0001_20261207T080000Z standup0001_20261208T080000Z standup0001_20261210T080000Z standup0001_20261211T080000Z " \
	"deleting a recurring event reports each instance the mirror had as cancelled"
run gcal-pull --expand
is "$(grep -c standup0001 "$OUT")" 0 "... and the mirror no longer has them"

# --- record, then replay offline to the same bytes -------------------------
cp -R "$XDG_STATE_HOME" "$T/state-copy"
GCAL_RECORD=$T/pull.ndjson gcal-pull --full >"$T/live" 2>/dev/null
rm -rf "$XDG_STATE_HOME"
cp -R "$T/state-copy" "$XDG_STATE_HOME"
GCAL_REPLAY=$T/pull.ndjson GCAL_ENDPOINT=http://127.0.0.1:9 gcal-pull --full >"$T/replayed" 2>"$ERR"
is "$?" 0 "a recorded pull replays with no network"
ok "... to byte-identical output" cmp -s "$T/live" "$T/replayed"
# A page token that JSON spells with an escape cannot be read off the
# bytes ahead of the parse: the pull goes on a page at a time, the same.
rm -rf "$T/state-copy"
cp -R "$XDG_STATE_HOME" "$T/state-copy"
GCAL_RECORD=$T/pages.ndjson gcal-pull -c "$CAL" --full >"$T/live" 2>/dev/null
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    x = json.loads(line)
    b = x["response"].get("body", "")
    k = b.find("\"nextPageToken\":\"")
    if k >= 0:
        k += len("\"nextPageToken\":\"")
        x["response"]["body"] = b[:k] + "\\u%04x" % ord(b[k]) + b[k + 1:]
    print(json.dumps(x))
' "$T/pages.ndjson" >"$T/escaped.ndjson"
is "$(grep -c 'nextPageToken[\\":]*u00' "$T/escaped.ndjson")" 2 \
	"... (a fixture of 3 pages, its 2 page tokens spelt with an escape)"
rm -rf "$XDG_STATE_HOME"
cp -R "$T/state-copy" "$XDG_STATE_HOME"
GCAL_REPLAY=$T/escaped.ndjson GCAL_ENDPOINT=http://127.0.0.1:9 timeout 60 gcal-pull -c "$CAL" --full >"$T/replayed" 2>"$ERR"
is "$?" 0 "a recorded pull with escaped page tokens replays"
ok "... to the same output" cmp -s "$T/live" "$T/replayed"

# --- an empty calendar ------------------------------------------------------
EMPTY=$(gcal-auth use --create "Empty" | jq -r .id)
run gcal-pull
ok "an empty calendar pulls to no lines" test "$rc" = 0 -a ! -s "$OUT"
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
ok "... and then incrementally, with 1 request" test "$rc" = 0 -a ! -s "$OUT" -a "$(emu_log_count)" = 1

# --- wall clock times with a zone: pushed, pulled, no change after ----------
# Google answers "2027-01-03T09:00:00" in Europe/Amsterdam as
# "2027-01-03T09:00:00+01:00": the next diff must see the same instant.
cat >"$T/local-times" <<'EOT'
{"appointment_id":"w1","summary":"Winter","start":{"dateTime":"2027-01-03T09:00:00","timeZone":"Europe/Amsterdam"},"end":{"dateTime":"2027-01-03T10:00:00","timeZone":"Europe/Amsterdam"}}
{"appointment_id":"s1","summary":"Summer","start":{"dateTime":"2027-07-03T09:00:00","timeZone":"Europe/Amsterdam"},"end":{"dateTime":"2027-07-03T10:00:00","timeZone":"Europe/Amsterdam"}}
{"appointment_id":"n1","summary":"New York","start":{"dateTime":"2027-11-07T01:30:00","timeZone":"America/New_York"},"end":{"dateTime":"2027-11-07T03:00:00","timeZone":"America/New_York"}}
{"appointment_id":"r1","summary":"Weekly","recurrence":["RRULE:FREQ=WEEKLY;COUNT=3"],"start":{"dateTime":"2027-03-22T09:00:00","timeZone":"Europe/Amsterdam"},"end":{"dateTime":"2027-03-22T10:00:00","timeZone":"Europe/Amsterdam"}}
EOT
gcal-pull >"$T/remote-times"
gcal-diff -k .appointment_id "$T/remote-times" "$T/local-times" >"$T/ch-times"
is "$(jq -r .op "$T/ch-times" | sort | uniq -c | tr -s ' ' | tr '\n' ,)" " 4 insert," "4 events in wall clock times to insert"
run gcal-push "$T/ch-times"
is "$rc" 0 "... pushed"
ok "... and Google answers each with an offset" jq_ok -s 'map(select(.summary | IN("Winter","Summer","New York","Weekly")) | .start.dateTime | test("[+-][0-9][0-9]:[0-9][0-9]$")) | length == 4 and all' "$(gcal-pull >"$T/remote-times"; echo "$T/remote-times")"
run gcal-diff -k .appointment_id --exit-code "$T/remote-times" "$T/local-times"
ok "... and the next diff finds nothing to change" test "$rc" = 0 -a ! -s "$OUT"

# --- usage ------------------------------------------------------------------
run gcal-pull --from yesterday
is "$rc" 64 "a bad --from exits 64"
run gcal-pull --from 2026-12-02 --to 2026-12-01
is "$rc" 64 "--from after --to exits 64"
run gcal-pull -p nobody
is "$rc" 78 "an unknown profile exits 78"
run gcal-pull -c nosuchcalendar
is "$rc" 65 "an unknown calendar exits 65"

done_testing
