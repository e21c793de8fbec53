#!/bin/sh
# gcal-pull on a Microsoft profile: a calendarView delta round over a
# window, the same records and mirror as for Google, deletions, 410s,
# the window, faults (exit 75, state unchanged), kill -9, fixtures.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-ms.sh"

graph_start || { echo "Bail out! graph emulator"; exit 1; }
ms_link default
CAL=$(ms_cal alice@contoso.com)
SYNC=$XDG_STATE_HOME/gcal/default/sync
PROF=$XDG_CONFIG_HOME/gcal/default/profile.json
gen() { # COUNT START [ZONE]
	graph_ctl POST /_emu/calendars/$CAL/generate "{\"count\":$1,\"start\":\"$2\",\"minutes\":60,\"step_minutes\":90,\"subject\":\"Event %d\",\"timeZone\":\"${3:-W. Europe Standard Time}\"}" >/dev/null
}
# the bytes of every state file of the link, to compare before and after
state_sum() { find "$XDG_STATE_HOME/gcal/default" -type f ! -name '*.lock' ! -name lock | sort | xargs cat | cksum; }
# a Graph event of the emulator by subject
ev_id() { ms_events default | jq -r --arg s "$1" 'select(.subject == $s) | .id'; }
pull_delta() { graph_log_count GET 'calendarView/delta'; }

gen 2400 2026-06-01T08:00:00
graph_ctl POST /_emu/log/clear >/dev/null

# --- a full round ---------------------------------------------------------
run gcal-pull
is "$rc" 0 "the first pull of a Microsoft calendar of 2,400 events exits 0"
is "$(wc -l <"$OUT" | tr -d ' ')" 2400 "... and prints 2,400 lines"
is "$(pull_delta)" 3 "... in 3 delta requests (odata.maxpagesize=1000)"
ok "each line is shaped as a Google event (id, etag, start, end, status)" jq_ok -s \
	'all(.[]; (.id|type)=="string" and (.etag|test("^W/")) and (.start.dateTime|test("\\+0[12]:00$")) and .start.timeZone=="Europe/Berlin" and .status=="confirmed")' "$OUT"
ok "... with the summary from the subject" jq_ok -s 'map(.summary) | index("Event 1") != null' "$OUT"
ok "... and what does not map under x-graph" jq_ok -s 'all(.[]; ."x-graph".changeKey | type == "string")' "$OUT"
ok "every request asked for immutable ids and UTC times" jq_ok -s \
	'all(.[] | select(.path|test("delta")); .prefer | join(", ") | test("IdType=\"ImmutableId\"") and test("outlook.timezone=\"UTC\""))' \
	"$(curl -sS "$GRAPH_URL/_emu/log" >"$T/log"; echo "$T/log")"
ok "the first request names a window of 1 year back and 2 years ahead" jq_ok -s \
	--arg s "$(date -u -d '-365 days' +%Y-%m-%dT00:00:00Z)" --arg e "$(date -u -d '+730 days' +%Y-%m-%dT00:00:00Z)" \
	'[.[] | select(.path|test("delta"))][0].query | .startDateTime == $s and .endDateTime == $e' "$T/log"
ok "the mirror is 0600" test "$(mode "$(ls "$SYNC"/*/mirror.* | head -1)")" = 600
cp "$OUT" "$T/first"
ok "the ids are the immutable ones" jq_ok -s 'all(.[]; .id | startswith("AAkALg"))' "$OUT"

# --- incremental -----------------------------------------------------------
E1=$(ev_id "Event 1") E2=$(ev_id "Event 2") E3=$(ev_id "Event 3")
graph_ctl PATCH /_emu/events/$E1 '{"subject":"moved","body":{"contentType":"html","content":"<p>new &amp; improved</p>"}}' >/dev/null
graph_ctl PATCH /_emu/events/$E2 '{"location":{"displayName":"Room 1"}}' >/dev/null
graph_ctl DELETE /_emu/events/$E3 >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
is "$rc" 0 "an incremental pull exits 0"
is "$(wc -l <"$OUT" | tr -d ' ')" 3 "--changes prints exactly the 2 edits and the deletion"
I3=$(jq -r 'select(.summary=="Event 3") | .id' "$T/first")
is "$(jq -c 'select(.status=="cancelled")' "$OUT")" \
	"{\"id\":\"$I3\",\"kind\":\"calendar#event\",\"status\":\"cancelled\"}" \
	"... the @removed one as Google's deletion record"
is "$(jq -r 'select(.summary=="moved") | .description' "$OUT")" "new & improved" "... the edit with its HTML body as text"
is "$(jq -r 'select(.location=="Room 1") | .summary' "$OUT")" "Event 2" "... the new location"
is "$(graph_log_count)" 1 "... in exactly 1 request (the deltaLink)"
run gcal-pull
is "$(wc -l <"$OUT" | tr -d ' ')" 2399 "the mirror now holds 2,399 events"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
ok "nothing changed: --changes prints nothing" test "$rc" = 0 -a ! -s "$OUT"
is "$(graph_log_count)" 1 "... after 1 request"

# --- recurring series: occurrences and exceptions ---------------------------
graph_ctl POST /_emu/calendars/$CAL/events '{"subject":"Standup","start":{"dateTime":"2026-12-07T09:00:00","timeZone":"Pacific Standard Time"},"end":{"dateTime":"2026-12-07T09:15:00","timeZone":"Pacific Standard Time"},"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday"],"firstDayOfWeek":"sunday"},"range":{"type":"numbered","startDate":"2026-12-07","numberOfOccurrences":4}}}' >"$T/master"
run gcal-pull --changes
is "$(jq -s 'map(select(.summary=="Standup")) | length' "$OUT")" 4 "a weekly series of 4 comes as its 4 occurrences"
ok "... each with recurringEventId and originalStartTime in the series' zone" jq_ok -s \
	'map(select(.summary=="Standup")) | all(.[]; (.recurringEventId|type)=="string" and .originalStartTime.timeZone=="America/Los_Angeles" and (.originalStartTime.dateTime|test("T09:00:00-08:00$")))' "$OUT"

# --- 410: the delta token is refused ----------------------------------------
graph_ctl PATCH /_emu/events/$E1 '{"subject":"moved again"}' >/dev/null
graph_ctl DELETE /_emu/events/$E2 >/dev/null
graph_ctl POST /_emu/delta/invalidate '{"code":"syncStateNotFound"}' >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
is "$rc" 0 "after a 410 syncStateNotFound the pull recovers by itself"
ok "... saying so in one line on stderr" test "$(grep -c "410 syncStateNotFound" "$ERR")" = 1 -a "$(wc -l <"$ERR")" = 1
I2=$(jq -r 'select(.summary=="Event 2") | .id' "$T/first")
is "$(jq -r 'select(.status=="cancelled") | .id' "$OUT")" "$I2" "... the deletion found by comparing mirrors"
ok "... and the edit" jq_ok -s 'map(.summary) | index("moved again") != null' "$OUT"
is "$(wc -l <"$OUT" | tr -d ' ')" 2 "... and nothing else"
graph_ctl POST /_emu/delta/invalidate '{"code":"resyncRequired"}' >/dev/null
run gcal-pull --changes
ok "resyncRequired is a full round too, with nothing to report" test "$rc" = 0 -a ! -s "$OUT"

# --- the window ---------------------------------------------------------------
gen 3 "$(date -u -d '+800 days' +%Y-%m-%dT08:00:00)" UTC
run gcal-pull --changes
ok "events after the window (2 years ahead) are not pulled" test "$rc" = 0 -a ! -s "$OUT"
jq '.window_future_days = 900' "$PROF" >"$T/p" && cat "$T/p" >"$PROF"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
is "$rc" 0 "a wider window (window_future_days) is a new delta round"
is "$(jq -s 'map(select(.start.timeZone=="UTC")) | length' "$OUT")" 3 "... that brings the 3 events now inside it"
ok "... saying the window moved" has "window moves" "$ERR"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
ok "then incremental again" test "$rc" = 0 -a ! -s "$OUT" -a "$(graph_log_count)" = 1
jq '.window_future_days = "soon"' "$PROF" >"$T/p" && cat "$T/p" >"$PROF"
run gcal-pull
ok "a window that is no number of days exits 78" test "$rc" = 78 && has window_future_days "$ERR"
jq '.window_future_days = 900' "$PROF" >"$T/p" && cat "$T/p" >"$PROF"

# --- faults: exit 75, state unchanged -------------------------------------------
graph_ctl PATCH /_emu/events/$E1 '{"subject":"fault test"}' >/dev/null
before=$(state_sum)
for f in '{"status":429,"retry_after":1,"times":20}' '{"status":503,"times":20}' \
	'{"action":"delay","delay_ms":3000,"times":20}'; do
	graph_ctl POST /_emu/faults "$(echo "$f" | jq -c '. + {method:"GET",path:"delta"}')" >/dev/null
	GCAL_RETRIES=1 GCAL_TIMEOUT=1 run gcal-pull --changes
	graph_ctl DELETE /_emu/faults >/dev/null
	is "$rc" 75 "$(echo "$f" | jq -r '.status // .action') on the delta: exit 75"
	is "$(state_sum)" "$before" "... and the mirror and token unchanged"
done
sleep 3 # the delayed answers of the timeout case are logged late
graph_ctl POST /_emu/faults '{"method":"GET","path":"delta","status":429,"retry_after":1,"times":1}' >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
is "$rc" 0 "one 429 with Retry-After: 1 is waited out"
is "$(curl -sS "$GRAPH_URL/_emu/log" | jq -s '[.[] | select(.path | test("delta"))] | map(.status) | join(" ")')" \
	'"429 200"' "... with one retry"
before=$(state_sum)
graph_ctl POST /_emu/faults "{\"method\":\"GET\",\"path\":\"delta\",\"action\":\"answer\",\"status\":200,\"body\":{\"value\":[],\"@odata.nextLink\":\"http://evil.example/v1.0/me/calendarView/delta?\$skiptoken=x\"}}" >/dev/null
run gcal-pull --changes
graph_ctl DELETE /_emu/faults >/dev/null
ok "a nextLink off the Graph endpoint: exit 69, the token is not sent there" test "$rc" = 69 && has "outside its endpoint" "$ERR"
graph_ctl POST /_emu/faults '{"method":"GET","path":"delta","action":"answer","status":200,"body":{"value":[{"id":"x","start":{"dateTime":"soon","timeZone":"UTC"},"end":{"dateTime":"2026-01-01T00:00:00","timeZone":"UTC"}}],"@odata.deltaLink":"x"}}' >/dev/null
run gcal-pull --changes
graph_ctl DELETE /_emu/faults >/dev/null
ok "an event whose start is no time: exit 69, naming the event" test "$rc" = 69 && has "event 'x'" "$ERR"
ok "... and the state is as it was" test "$(state_sum)" = "$before"

# --- kill -9 in the middle of a round, then converge -----------------------------
for page in 1 2; do
	graph_ctl POST /_emu/delta/invalidate '{}' >/dev/null
	graph_ctl POST /_emu/faults "{\"method\":\"GET\",\"path\":\"delta\",\"skip\":$page,\"action\":\"delay\",\"delay_ms\":4000,\"times\":1}" >/dev/null
	gcal-pull >/dev/null 2>&1 &
	pid=$!
	sleep 1
	kill -9 $pid
	wait $pid 2>/dev/null
	graph_ctl DELETE /_emu/faults >/dev/null
	run gcal-pull
	is "$rc" 0 "killed -9 while waiting for delta page $((page + 1)): the next run exits 0"
	# the Standup series: 1 stored event, 4 occurrences
	is "$(wc -l <"$OUT" | tr -d ' ')" "$(ms_events default | jq -s length | awk '{print $1 + 3}')" \
		"... and holds every event of the window"
done

sleep 4 # the killed runs' delayed requests are answered (and logged) late

# --- fixtures: recorded with tokens redacted, replayed with no network ------------
rm -rf "$SYNC"
GCAL_RECORD=$T/fix.ndjson run gcal-pull
cp "$OUT" "$T/live"
ok "a recorded pull holds no access token" lacks "$(jq -r .access_token "$XDG_STATE_HOME/gcal/default/token.json")" "$T/fix.ndjson"
rm -rf "$SYNC"
graph_ctl POST /_emu/log/clear >/dev/null
GCAL_REPLAY=$T/fix.ndjson run gcal-pull
is "$rc.$(graph_log_count)" 0.0 "the fixture replays with no request to Graph"
ok "... to the same events" cmp -s "$OUT" "$T/live"

run gcal-pull -vv --full
ok "a -vv trace of a full round shows no access token" lacks "$(jq -r .access_token "$XDG_STATE_HOME/gcal/default/token.json")" "$ERR"
ok "... but the requests" has "calendarView/delta" "$ERR"

# --- the fleet runner: Microsoft links among the others ---------------------
ms_link carol carol@outlook.com
ms_link bob bob@contoso.com
graph_ctl POST "/_emu/calendars/$(ms_cal bob@contoso.com)/generate" '{"count":5,"start":"2026-12-20T08:00:00","subject":"Bob %d"}' >/dev/null
run gcal-run pull -j 3 --profiles default,carol,bob
is "$rc" 0 "gcal-run pull of three Microsoft links at once exits 0"
ok "... all three run" has "3 links run" "$ERR"
ok "... bob's new events among what it prints" jq_ok -s 'map(select(.summary | test("^Bob "))) | length == 5' "$OUT"
run gcal-pull -p bob
is "$(wc -l <"$OUT" | tr -d ' ')" 5 "... and bob's mirror holds his 5 events"

# --- unchanged downstream: gcal-diff of two pulls of the same calendar --------------
run gcal-diff "$T/live" "$T/live"
ok "gcal-diff reads Microsoft records as Google ones: no changes" test "$rc" = 0 -a ! -s "$OUT"

done_testing
