#!/bin/sh
# Google's answers are checked for shape before they are used: a page of
# the wrong shape, an endless chain of pages, is refused with 69 and the
# state stays as it was (mirror, delta, sync token).
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account
CAL=alice@example.com
SYNC=$XDG_STATE_HOME/gcal/default/sync

emu_ctl POST /_emu/calendars/$CAL/generate \
	'{"count":30,"start":"2026-01-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
run gcal-pull
is "$rc" 0 "a first pull of 30 events"
cp "$OUT" "$T/events"
# a delta file too: one small incremental pull
set -- $(head -1 "$T/events" | jq -r .id)
emu_ctl PATCH /_emu/calendars/$CAL/events/$1 '{"summary":"moved"}' >/dev/null
run gcal-pull
ok "a delta file beside the mirror" jq_ok 'has("delta")' "$(ls "$SYNC"/*/state.json)"
cp "$OUT" "$T/events"

# snapshot: every byte of the sync state
snap() {
	(cd "$SYNC" && find . -type f | sort | xargs sha256sum) >"$1"
}
snap "$T/before"

# refused ANSWER DESCRIPTION [PULL-ARGS]: the events list answers ANSWER
# (a JSON text, as the body of a 200); the pull exits 69 with one line
# naming the calendar, prints nothing, and leaves the state as it was.
refused() {
	_body=$1 _d=$2
	shift 2
	emu_ctl DELETE /_emu/faults >/dev/null
	emu_ctl POST /_emu/faults "{\"method\":\"GET\",\"path\":\"/events\$\",\"action\":\"answer\",\"times\":-1,\"body\":$_body}" >/dev/null
	run gcal-pull "$@"
	emu_ctl DELETE /_emu/faults >/dev/null
	snap "$T/after"
	if [ "$rc" = 69 ] && [ ! -s "$OUT" ] && [ "$(wc -l <"$ERR")" -eq 1 ] &&
	    grep -q "calendar 'primary'" "$ERR" && cmp -s "$T/before" "$T/after"; then
		pass "$_d ${*:-}: 69, one line, state untouched"
	else
		fail "$_d ${*:-}: 69, one line, state untouched"
		printf '#   rc=%s stdout=%s\n' "$rc" "$(head -c 200 "$OUT")"
	fi
}

for args in "" --full; do
	refused '[]' "a page that is an array" $args
	refused '"events"' "a page that is a string" $args
	refused '42' "a page that is a number" $args
	refused 'null' "a page that is null" $args
	refused '{"items":{},"nextSyncToken":"s1"}' '"items" an object' $args
	refused '{"items":"x","nextSyncToken":"s1"}' '"items" a string' $args
	refused '{"items":[1],"nextSyncToken":"s1"}' "an item that is a number" $args
	refused '{"items":[[]],"nextSyncToken":"s1"}' "an item that is an array" $args
	refused '{"items":[{"id":7,"status":"confirmed"}],"nextSyncToken":"s1"}' "an id that is a number" $args
	refused '{"items":[{"status":"confirmed"}],"nextSyncToken":"s1"}' "an item with no id" $args
	refused '{"items":[{"id":""}],"nextSyncToken":"s1"}' "an empty id" $args
	refused '{"items":[{"id":"ab\tcd","summary":"x"}],"nextSyncToken":"s1"}' "an id with a tab" $args
	refused '{"items":[{"id":"ab\ncd","summary":"x"}],"nextSyncToken":"s1"}' "an id with a newline" $args
	refused '{"items":[{"id":"ab\u0001cd"}],"nextSyncToken":"s1"}' "an id with a control character" $args
	refused '{"items":[{"id":"abcde","start":"today"}],"nextSyncToken":"s1"}' "an event whose start is a string" $args
	refused '{"items":[],"nextSyncToken":5}' "a nextSyncToken that is a number" $args
	refused '{"items":[],"nextSyncToken":""}' "an empty nextSyncToken" $args
	refused '{"items":[],"nextPageToken":["p"]}' "a nextPageToken that is an array" $args
	refused '{"items":[],"nextSyncToken":"s1","timeZone":3}' "a timeZone that is a number" $args
	refused '{"items":[]}' "no nextSyncToken on the last page" $args
done

run gcal-pull
is "$rc" 0 "after the bad answers a pull works"
ok "... and prints the events as before" cmp -s "$OUT" "$T/events"
snap "$T/before"

# --- pages that never end ------------------------------------------------
emu_ctl POST /_emu/log/clear >/dev/null
refused '{"items":[],"nextPageToken":"again"}' "a page token that repeats" --full
n=$(emu_log_count GET '/events$')
ok "... found after a few requests ($n: 2 pages and those read ahead)" test "$n" -le 6
emu_ctl POST /_emu/log/clear >/dev/null
emu_ctl POST /_emu/faults '{"method":"GET","path":"/events$","action":"answer","times":-1,"skip":1,"body":{"items":[],"nextPageToken":"a{seq}"}}' >/dev/null
emu_ctl POST /_emu/faults '{"method":"GET","path":"/events$","action":"answer","times":1,"body":{"items":[],"nextPageToken":"a"}}' >/dev/null
# thousands of pages until GCAL_MAX_PAGES: faster than the quota
# governor lets one user go (600 a minute), so without it
run env GCAL_QUOTA=off gcal-pull --full
is "$rc" 69 "a chain that comes back to its first token exits 69"
emu_ctl DELETE /_emu/faults >/dev/null
emu_ctl POST /_emu/log/clear >/dev/null
emu_ctl POST /_emu/faults '{"method":"GET","path":"/events$","action":"answer","times":-1,"body":{"items":[],"nextPageToken":"p{seq}"}}' >/dev/null
run env GCAL_MAX_PAGES=40 gcal-pull --full
is "$rc" 69 "an endless chain of fresh page tokens stops at GCAL_MAX_PAGES and exits 69"
ok "... saying so in one line" test "$(grep -c GCAL_MAX_PAGES "$ERR")" = 1 -a "$(wc -l <"$ERR")" = 1
n=$(emu_log_count GET '/events$')
ok "... after 40 pages and at most the few read ahead ($n requests)" test "$n" -ge 40 -a "$n" -le 45
emu_ctl DELETE /_emu/faults >/dev/null
snap "$T/after"
ok "... with the state untouched" cmp -s "$T/before" "$T/after"
run env GCAL_MAX_PAGES=many gcal-pull
is "$rc" 64 "GCAL_MAX_PAGES that is not a number is a usage error"
run env GCAL_MAX_PAGES=2 gcal-pull --full
is "$rc" 0 "GCAL_MAX_PAGES above what the calendar needs is no limit"

# --- the calendar list is checked the same way ---------------------------
for body in '[]' '{"items":{}}' '{"items":[{"summary":"no id"}]}' '{"items":[],"nextPageToken":3}'; do
	emu_ctl POST /_emu/faults "{\"method\":\"GET\",\"path\":\"/calendarList\$\",\"action\":\"answer\",\"body\":$body}" >/dev/null
	run gcal-auth calendars
	emu_ctl DELETE /_emu/faults >/dev/null
	ok "gcal-auth calendars refuses a calendar list page $body with 69 and one line" \
		test "$rc" = 69 -a "$(wc -l <"$ERR")" = 1 -a ! -s "$OUT"
done

# --- an incremental page without timeZone (ASan saw a use after free) -----
emu_ctl POST /_emu/faults '{"method":"GET","path":"/events$","action":"answer","body":{"kind":"calendar#events","items":[{"kind":"calendar#event","id":"allday0001","status":"confirmed","summary":"Holiday","start":{"date":"2026-12-24"},"end":{"date":"2026-12-25"}}],"nextSyncToken":"later1"}}' >/dev/null
run gcal-pull --changes --from 2026-12-23T12:00:00+01:00 --to 2026-12-24T00:30:00+01:00
is "$rc:$(jq -r .id "$OUT")" 0:allday0001 \
	"an incremental page without timeZone: the all-day event is placed in the calendar's zone"
ok "... which the sync state keeps" jq_ok '.timeZone == "Europe/Amsterdam" and .syncToken == "later1"' "$(ls "$SYNC"/*/state.json)"

done_testing
