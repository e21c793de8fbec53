#!/bin/sh
# Scenario 4, CRM mirror: examples/scenario-4-crm.sh links two users as
# two profiles, syncs their calendars side by side, shows their sync
# state, edits one instance of a recurring meeting, and shows private
# meetings as busy only.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
S4=$TOP/examples/scenario-4-crm.sh
GCAL_RETRIES=0
export GCAL_RETRIES
DIR=$T/crm

# a login that fails: the script exits as gcal-auth login does, not 0
# (a pipe into jq used to hide its status)
emu_ctl POST /_emu/config '{"consent":"deny"}' >/dev/null
BROWSER="curl -sL" run gcal-auth login -q -p carol --client-secret "$CLIENT"
want=$rc
BROWSER="curl -sL" run sh "$S4" link -s "$CLIENT" carol
ok "a link whose login fails exits as gcal-auth login does ($want)" test "$rc" = "$want" -a "$rc" != 0
ok "... and prints no sync state" test ! -s "$OUT"
emu_ctl POST /_emu/config '{"consent":"auto"}' >/dev/null

BROWSER="curl -sL" run sh "$S4" link -s "$CLIENT" alice
is "$rc" 0 "link alice exits 0"
BROWSER="curl -sL" run sh "$S4" link -a bob@example.com bob
is "$rc" 0 "link bob exits 0"
is "$(jq -r .account "$OUT")" bob@example.com "... the consent picked bob by --account"
run sh "$S4" status alice bob carol
is "$rc" 0 "status exits 0"
is "$(jq -r '"\(.user):\(.state)"' "$OUT" | tr '\n' ' ')" "alice:linked bob:linked carol:not configured " \
	"... linked, not synced yet; a user without a profile: not configured"

M=$(emu_ctl POST /_emu/calendars/alice@example.com/events '{"summary":"Standup",
	"start":{"dateTime":"2026-12-07T09:00:00","timeZone":"Europe/Amsterdam"},
	"end":{"dateTime":"2026-12-07T09:15:00","timeZone":"Europe/Amsterdam"},
	"recurrence":["RRULE:FREQ=WEEKLY;COUNT=3"]}' | jq -r .id)
emu_ctl POST /_emu/calendars/alice@example.com/events '{"summary":"Doctor","description":"knee",
	"location":"Clinic","visibility":"private",
	"start":{"dateTime":"2026-12-08T09:00:00Z"},"end":{"dateTime":"2026-12-08T10:00:00Z"}}' >/dev/null
emu_ctl POST /_emu/calendars/bob@example.com/events '{"summary":"Lunch with client",
	"start":{"dateTime":"2026-12-07T11:30:00Z"},"end":{"dateTime":"2026-12-07T12:30:00Z"}}' >/dev/null

run sh "$S4" sync "$DIR" alice bob
is "$rc" 0 "sync now exits 0"
is "$(jq -r '"\(.crm_user):\(.summary)"' "$DIR/calendar.ndjson" | tr '\n' ' ')" \
	"alice:Standup bob:Lunch with client alice:busy alice:Standup alice:Standup " \
	"both users side by side, by start, each tagged; the recurring meeting as its instances"
is "$(jq -c 'select(.visibility == "private") | [.summary, .description, .location]' "$DIR/alice.ndjson")" \
	'["busy",null,null]' "the private meeting is shown as busy only"
is "$(jq -r .crm_user "$DIR/bob.ndjson")" bob "each user has a file of their own"
run sh "$S4" status
is "$(jq -r '"\(.user):\(.state):\(.last_sync != null)"' "$OUT" | tr '\n' ' ')" "alice:synced:true bob:synced:true " \
	"status of all profiles: synced, with the time of the last sync"

# the CRM edits one instance
I=${M}_20261214T080000Z
printf '{"id":"%s","summary":"Standup in room 2"}\n' "$I" >"$T/edit"
run_in "$T/edit" sh "$S4" edit alice
is "$rc" 0 "edit of one instance exits 0"
is "$(jq -c '{id, op, status}' "$OUT")" "{\"id\":\"$I\",\"op\":\"update\",\"status\":\"ok\"}" \
	"... one update, ok"
is "$(emu_ctl GET "/_emu/calendars/alice@example.com/events/$I" | jq -r '"\(.summary) \(.recurringEventId == $m)"' --arg m "$M")" \
	"Standup in room 2 true" "Google has the instance changed, as an exception of the meeting"
is "$(emu_ctl GET "/_emu/calendars/alice@example.com/events/$M" | jq -r .summary)" Standup "... the meeting itself is unchanged"
run sh "$S4" sync "$DIR" alice bob
is "$(jq -r 'select(.recurringEventId) | .summary' "$DIR/alice.ndjson" | tr '\n' ',')" \
	"Standup,Standup in room 2,Standup," "after a sync, only that instance is changed in the CRM"
printf '{"id":"%s_20270104T080000Z","summary":"x"}\n' "$M" >"$T/edit"
run_in "$T/edit" sh "$S4" edit alice
is "$rc" 65 "an edit of an instance that does not exist exits 65"

# edits that name no event, change nothing or are not JSON: refused, in
# one line naming the line, before any request
emu_ctl POST /_emu/log/clear >/dev/null
for bad in '{"id":""}' '{"summary":"no id"}' "{\"id\":\"$I\"}" '{"id":7,"summary":"x"}' 'not json' '["a"]'; do
	printf '{"id":"%s","summary":"fine"}\n%s\n' "$I" "$bad" >"$T/edit"
	run_in "$T/edit" sh "$S4" edit alice
	is "$rc" 65 "an edit line $bad exits 65"
	is "$(wc -l <"$ERR" | tr -d ' ')" 1 "... with one line"
	ok "... that names line 2 of standard input" has "standard input line 2: " "$ERR"
done
is "$(emu_log_count)" 0 "... and no request was made"
run sh "$S4" edit -u everyone alice
is "$rc" 64 "an unknown -u value is a usage error"

# Google unreachable: each mode exits as the program that failed
GCAL_ENDPOINT=http://127.0.0.1:9 run gcal-pull -q -p alice --expand
want=$rc
GCAL_ENDPOINT=http://127.0.0.1:9 run sh "$S4" sync "$DIR" alice
is "$rc" "$want" "a sync with Google unreachable exits as gcal-pull does ($want)"
printf '{"id":"%s","summary":"x"}\n' "$I" >"$T/edit"
GCAL_ENDPOINT=http://127.0.0.1:9 run_in "$T/edit" sh "$S4" edit alice
is "$rc" "$want" "an edit with Google unreachable exits as gcal-pull does ($want)"

# bob's grant is withdrawn at Google: alice is still synced, bob keeps his last view
emu_ctl POST /_emu/grants/revoke '{"user":"bob@example.com"}' >/dev/null
emu_ctl POST /_emu/calendars/alice@example.com/events '{"summary":"Review",
	"start":{"dateTime":"2026-12-09T09:00:00Z"},"end":{"dateTime":"2026-12-09T10:00:00Z"}}' >/dev/null
run sh "$S4" sync "$DIR" alice bob
is "$rc" 77 "a sync with bob's grant gone exits 77"
ok "... names bob" has "user 'bob'" "$ERR"
ok "... alice is synced anyway" has Review "$DIR/calendar.ndjson"
ok "... and bob's meetings of the last sync are still shown" has "Lunch with client" "$DIR/calendar.ndjson"

# --- an Exchange user beside the Google ones (Microsoft Graph) -------------
. "$TOP/tests/lib-ms.sh"
graph_start || { echo "Bail out! graph emulator"; exit 1; }
# until gcal-auth login --provider microsoft: the profile made by hand
ms_link dana bob@contoso.com
DCAL=$(ms_cal bob@contoso.com)
graph_ctl POST /_emu/calendars/$DCAL/events '{"subject":"Sales sync",
	"start":{"dateTime":"2026-12-07T10:00:00","timeZone":"W. Europe Standard Time"},
	"end":{"dateTime":"2026-12-07T10:30:00","timeZone":"W. Europe Standard Time"},
	"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday"],"firstDayOfWeek":"monday"},
	  "range":{"type":"numbered","startDate":"2026-12-07","numberOfOccurrences":3}}}' >/dev/null
graph_ctl POST /_emu/calendars/$DCAL/events '{"subject":"Dentist","sensitivity":"private",
	"body":{"contentType":"html","content":"<p>molar</p>"},"location":{"displayName":"Clinic"},
	"start":{"dateTime":"2026-12-08T08:00:00","timeZone":"UTC"},
	"end":{"dateTime":"2026-12-08T09:00:00","timeZone":"UTC"}}' >/dev/null
run sh "$S4" sync "$DIR" alice dana
is "$rc" 0 "sync of a Google and an Exchange user side by side exits 0"
is "$(jq -r 'select(.crm_user=="dana") | .summary' "$DIR/calendar.ndjson" | tr '\n' ',')" \
	"Sales sync,busy,Sales sync,Sales sync," "... dana's meetings: the series as its instances, the private one as busy"
is "$(jq -c 'select(.visibility == "private") | [.summary, .description, .location]' "$DIR/dana.ndjson")" \
	'["busy",null,null]' "... and nothing of the private one but its time"
ok "... in one calendar with alice's, by start" jq_ok -s \
	'map(.crm_user) | index("dana") != null and index("alice") != null' "$DIR/calendar.ndjson"
run sh "$S4" status dana
is "$(jq -r '"\(.user):\(.state):\(.account)"' "$OUT")" "dana:synced:bob@contoso.com" "status of the Exchange user: synced"
DI=$(jq -r 'select(.summary=="Sales sync") | .id' "$DIR/dana.ndjson" | sed -n 2p)
printf '{"id":"%s","summary":"Sales sync (room 4)"}\n' "$DI" >"$T/edit"
run_in "$T/edit" sh "$S4" edit dana
is "$rc.$(jq -r .status "$OUT")" 0.ok "an edit of one instance of dana's series exits 0, ok"
is "$(ms_events dana | jq -r .subject | sort | tr '\n' ',')" "Dentist,Sales sync," \
	"... Exchange keeps the series and the private meeting as they were"
run sh "$S4" sync "$DIR" dana
is "$(jq -r 'select(.recurringEventId) | .summary' "$DIR/dana.ndjson" | tr '\n' ',')" \
	"Sales sync,Sales sync (room 4),Sales sync," "... and after a sync only that instance is changed"
is "$(jq -r 'select(.summary=="Sales sync (room 4)") | ."x-graph".type' "$DIR/dana.ndjson")" exception \
	"... an exception of the series, as Outlook shows it"

done_testing
