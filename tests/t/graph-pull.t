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

# --- recurring series: Google's shape -------------------------------------------
# A calendarView lists a series' occurrences, never its master: the pull
# gives what events.list gives, a master with its RRULE and its exceptions
# (instances named "MASTER_ORIGINALSTART"), or with --expand every instance.
TOK=$(graph_access alice@contoso.com)
# Graph's own API, as Outlook would change the calendar
api() { # METHOD PATH [JSON]
	curl -sS -f -X "$1" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
		${3:+-d "$3"} "$GRAPH_URL/v1.0$2"
}
standup() { jq -c 'select(.summary // "" | test("^Standup")) // select(.recurringEventId == $m) // select(.id == $m)' --arg m "${M:-none}" "$1"; }
graph_ctl POST /_emu/calendars/$CAL/events '{"subject":"Standup","start":{"dateTime":"2026-12-07T09:00:00","timeZone":"Pacific Standard Time"},"end":{"dateTime":"2026-12-07T09:15:00","timeZone":"Pacific Standard Time"},"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday"],"firstDayOfWeek":"sunday"},"range":{"type":"numbered","startDate":"2026-12-07","numberOfOccurrences":4}}}' >"$T/master"
MREST=$(jq -r .id "$T/master")
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
standup "$OUT" >"$T/s"
is "$(wc -l <"$T/s" | tr -d ' ')" 1 "a weekly series of 4 made in Outlook pulls as one record"
M=$(jq -r .id "$T/s")
ok "... its master: its RRULE, no recurringEventId, nothing of the Get event's envelope" jq_ok -s \
	'.[0] | (."x-graph"."@odata.context" == null) and .recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=SU;COUNT=4"] and .recurringEventId == null and .start.timeZone == "America/Los_Angeles"' "$T/s"
is "$(graph_log_count GET 'calendarView/delta').$(graph_log_count GET "^/v1.0/me/events/$M\$").$(graph_log_count)" 1.1.2 \
	"... in 2 requests: the delta and one Get event of the master"
ok "... which asked for gcal's extended property" jq_ok -s \
	'[.[] | select(.path | test("/me/events/"))][0] | (.query["$expand"] | test("gcal.private")) and (.prefer | join(", ") | test("ImmutableId"))' \
	"$(curl -sS "$GRAPH_URL/_emu/log" >"$T/log"; echo "$T/log")"

run gcal-pull --expand
standup "$OUT" >"$T/x"
is "$(jq -r .id "$T/x" | sort | tr '\n' ' ')" \
	"${M}_20261207T170000Z ${M}_20261214T170000Z ${M}_20261221T170000Z ${M}_20261228T170000Z " \
	"--expand gives the 4 occurrences, named as Google names instances"
ok "... each with recurringEventId, originalStartTime in the series' zone and Graph's id in x-graph" jq_ok -s \
	--arg m "$M" 'all(.[]; .recurringEventId == $m and .originalStartTime.timeZone=="America/Los_Angeles" and (.originalStartTime.dateTime|test("T09:00:00-08:00$")) and (."x-graph".id | startswith("AAkALg")) and .recurrence == null)' "$T/x"
O2=$(jq -r --arg i "${M}_20261214T170000Z" 'select(.id == $i) | ."x-graph".id' "$T/x")
O3=$(jq -r --arg i "${M}_20261221T170000Z" 'select(.id == $i) | ."x-graph".id' "$T/x")

# an exception: one occurrence edited in Outlook
api PATCH "/me/events/$O2" '{"subject":"Standup (demo)"}' >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
is "$(jq -r '.id' "$OUT" | tr '\n' ' ')" "$M ${M}_20261214T170000Z " \
	"an edited occurrence: the master and the exception, master first"
ok "... the exception with its summary, recurringEventId and originalStartTime" jq_ok -s \
	--arg m "$M" '.[1] | .summary == "Standup (demo)" and .recurringEventId == $m and .originalStartTime.dateTime == "2026-12-14T09:00:00-08:00"' "$OUT"
is "$(graph_log_count)" 2 "... in 2 requests"

# an occurrence deleted in Outlook
api DELETE "/me/events/$O3" >/dev/null
run gcal-pull --changes
is "$(jq -c --arg m "$M" 'select(.recurringEventId == $m)' "$OUT")" \
	"{\"id\":\"${M}_20261221T170000Z\",\"kind\":\"calendar#event\",\"originalStartTime\":{\"dateTime\":\"2026-12-21T17:00:00Z\",\"timeZone\":\"UTC\"},\"recurringEventId\":\"$M\",\"status\":\"cancelled\"}" \
	"a deleted occurrence: Google's cancelled instance, with the instance id"
run gcal-pull --expand --changes
is "$(jq -r '.id + " " + .status' "$OUT" | tr '\n' ',')" "${M}_20261214T170000Z confirmed,${M}_20261221T170000Z cancelled," \
	"... and the same with --expand (after the exception that mirror had not seen)"
run gcal-pull
standup "$OUT" >"$T/s"
is "$(jq -r '.id + " " + .status' "$T/s" | tr '\n' ',')" \
	"$M confirmed,${M}_20261214T170000Z confirmed,${M}_20261221T170000Z cancelled," \
	"the mirror holds the master, the exception and the cancelled instance, as Google lists them"

# the master edited in Outlook: its occurrences change, the master is printed again
graph_ctl PATCH /_emu/events/$MREST '{"subject":"Standup v2"}' >/dev/null
run gcal-pull --changes
ok "an edited master is printed again" jq_ok -s --arg m "$M" \
	'map(select(.id == $m)) | length == 1 and .[0].summary == "Standup v2" and (.[0].recurrence | length) == 1' "$OUT"
ok "... and no plain occurrence" jq_ok -s 'all(.[]; .recurringEventId == null or ."x-graph".type == "exception")' "$OUT"
run gcal-pull --expand --changes
is "$(jq -r 'select(.summary == "Standup v2") | .id' "$OUT" | sort | tr '\n' ' ')" \
	"${M}_20261207T170000Z ${M}_20261228T170000Z " "... with --expand: the occurrences it changed, no master"

# a local system keeps the series: pull -> gcal-diff -> gcal-push changes nothing
run gcal-pull
cp "$OUT" "$T/remote"
jq -c 'del(."x-graph", .etag, .updated, .created, .htmlLink)' "$T/remote" >"$T/local"
run gcal-diff --all "$T/remote" "$T/local"
ok "a series held locally (master and exception, Google's fields only): gcal-diff finds no change" test "$rc" = 0 -a ! -s "$OUT"
cp "$OUT" "$T/changes"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push <"$T/changes"
is "$rc.$(graph_log_count PATCH).$(graph_log_count POST)" 0.0.0 "... and gcal-push of it writes nothing"
run gcal-pull --changes
ok "... the series is as it was" test "$rc" = 0 -a ! -s "$OUT"

# the series deleted in Outlook: the master's cancelled stub alone
graph_ctl DELETE /_emu/events/$MREST >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-pull --changes
is "$(head -1 "$OUT")" "{\"id\":\"$M\",\"kind\":\"calendar#event\",\"status\":\"cancelled\"}" \
	"a deleted series: its master's cancelled stub, as Google gives it"
is "$(tail -n +2 "$OUT" | jq -r .id | tr '\n' ' ')" "${M}_20261214T170000Z ${M}_20261221T170000Z " \
	"... then, as for Google, the stubs of the instances the mirror held with it"
is "$(graph_log_count)" 2 "... in 2 requests (the delta, the master's 404)"
run gcal-pull
ok "... and the mirror holds nothing of the series" test -z "$(standup "$OUT")"
run gcal-pull --expand --changes
is "$(jq -r 'select(.status == "cancelled") | .id' "$OUT" | sort | tr '\n' ' ')" \
	"${M}_20261207T170000Z ${M}_20261214T170000Z ${M}_20261228T170000Z " \
	"... with --expand: its remaining instances cancelled"
run gcal-pull --expand
ok "... and that mirror holds nothing of it either" test -z "$(standup "$OUT")"
unset M

# an all-day series in Berlin: Graph's originalStart is 23:00Z the day before
graph_ctl POST /_emu/calendars/$CAL/events '{"subject":"Holiday","isAllDay":true,"start":{"dateTime":"2026-12-24T00:00:00","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2026-12-25T00:00:00","timeZone":"W. Europe Standard Time"},"recurrence":{"pattern":{"type":"daily","interval":1},"range":{"type":"numbered","startDate":"2026-12-24","numberOfOccurrences":2}}}' >"$T/hol"
run gcal-pull --expand --changes
is "$(jq -r 'select(.summary == "Holiday") | .id[-9:] + " " + .originalStartTime.date + " " + .start.date' "$OUT" | tr '\n' ',')" \
	"_20261224 2026-12-24 2026-12-24,_20261225 2026-12-25 2026-12-25," \
	"an all-day series' instances are named by their dates in the series' zone"
graph_ctl DELETE /_emu/events/$(jq -r .id "$T/hol") >/dev/null
run gcal-pull
run gcal-pull --expand

# --- a kill at each stop point of a Microsoft pull, then converge -----------------
# Each state write of a round (the map of instances rides in the token,
# committed with the events) is a point: stopped there as kill -9 would,
# the next pull must end as one never stopped.
graph_ctl POST /_emu/calendars/$CAL/events '{"subject":"Retro","start":{"dateTime":"2026-12-08T14:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-12-08T15:00:00","timeZone":"UTC"},"recurrence":{"pattern":{"type":"daily","interval":1},"range":{"type":"numbered","startDate":"2026-12-08","numberOfOccurrences":5}}}' >"$T/retro"
RREST=$(jq -r .id "$T/retro")
run gcal-pull
run gcal-pull --expand
R=$(jq -r 'select(.summary == "Retro") | .recurringEventId' "$OUT" | head -1)
jq -r 'select(.summary == "Retro") | ."x-graph".id' "$OUT" | sed -n '2p;4p' >"$T/rids"
rm -rf "$T/pull-base" && cp -a "$XDG_STATE_HOME" "$T/pull-base"
api PATCH "/me/events/$(sed -n 1p "$T/rids")" '{"subject":"Retro (moved)"}' >/dev/null
api DELETE "/me/events/$(sed -n 2p "$T/rids")" >/dev/null
strays() { find "$XDG_STATE_HOME" -name '*.new' | wc -l | tr -d ' '; }
# what a user checks: every event of the mirror, then a pull of changes finds none
pulled() { # MODE...
	rm -rf "$XDG_STATE_HOME" && cp -a "$T/pull-base" "$XDG_STATE_HOME"
	GCAL_STOP_AFTER=${stop:-} GCAL_STOP_TRACE=$T/trace gcal-pull "$@" >/dev/null 2>&1
	echo $? >"$T/src"
	run gcal-pull "$@"
	echo "rc $rc $(jq -c '{id, etag, summary, status}' "$OUT" | sort | cksum)"
	run gcal-pull --changes "$@"
	echo "then $rc $(wc -l <"$OUT" | tr -d ' ') strays $(strays)"
}
for mode in "" --expand; do
	rm -f "$T/trace"
	want=$(stop= pulled $mode)
	points=$(wc -l <"$T/trace" | tr -d ' ')
	ok "pull ${mode:-(masters)}: a round of $points points ($(cut -d' ' -f2 "$T/trace" | tr '\n' ' '))" test "$points" -ge 2
	i=1
	while [ "$i" -le "$points" ]; do
		rm -f "$T/trace"
		got=$(stop=$i pulled $mode)
		is "$(cat "$T/src").$got" "137.$want" "pull ${mode:-(masters)}: killed at point $i ($(sed -n "${i}p" "$T/trace" | cut -d' ' -f2)), the next pull completes the round"
		i=$((i + 1))
	done
done
run gcal-pull
is "$(jq -r --arg r "$R" 'select(.recurringEventId == $r) | .id[-17:] + " " + .status + " " + (.summary // "")' "$OUT" | tr '\n' ',')" \
	"_20261209T140000Z confirmed Retro (moved),_20261211T140000Z cancelled ," \
	"... and the series holds its exception and its cancelled instance"

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
run gcal-pull
is "$(jq -r --arg r "$R" 'select(.recurringEventId == $r and .status == "cancelled") | .id[-17:]' "$OUT")" "_20261211T140000Z" \
	"... and the full round kept the cancelled instance Graph lists no more, as Google's list would give it"
graph_ctl POST /_emu/delta/invalidate '{"code":"resyncRequired"}' >/dev/null
run gcal-pull --changes
ok "resyncRequired is a full round too, with nothing to report" test "$rc" = 0 -a ! -s "$OUT"
api DELETE "/me/events/$(sed -n 1p "$T/rids")" >/dev/null
graph_ctl POST /_emu/delta/invalidate '{"code":"syncStateNotFound"}' >/dev/null
run gcal-pull --changes
is "$(jq -r '.id[-17:] + " " + .status' "$OUT")" "_20261209T140000Z cancelled" \
	"an exception deleted while Graph refuses the token: its deletion, found by comparing mirrors"
run gcal-pull
is "$(jq -r --arg r "$R" 'select(.recurringEventId == $r and .status == "cancelled") | .id[-17:]' "$OUT" | sort | tr '\n' ' ')" \
	"_20261209T140000Z _20261211T140000Z " \
	"... which the mirror holds as Google's cancelled instance of its series, not as gone (sync-model seed 1619236107)"
# a plain occurrence (which no mirror without --expand holds) deleted while
# Graph refuses the token: the token's map of instances says it was there
OCC=$(api GET "/me/events/$RREST/instances?startDateTime=2026-12-12T00:00:00Z&endDateTime=2026-12-13T00:00:00Z" | jq -r '.value[0].id')
api DELETE "/me/events/$OCC" >/dev/null
graph_ctl POST /_emu/delta/invalidate '{"code":"syncStateNotFound"}' >/dev/null
run gcal-pull --changes
is "$(jq -c --arg r "$R" 'select(.recurringEventId == $r) | [.id[-17:], .status, .originalStartTime.dateTime]' "$OUT")" \
	'["_20261212T140000Z","cancelled","2026-12-12T14:00:00Z"]' \
	"a plain occurrence deleted while Graph refuses the token: Google's cancelled instance (sync-model seed 2128397881)"

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

# --- the token and its map of instances ------------------------------------------
ST=$(ls "$SYNC"/*/state.json | grep -v expand)
ok "the token maps the instances Graph lists (Retro's among them)" \
	jq_ok '.syncToken | test("^graph2 ") and test("\n=[^\n]+\n") and test("\n[0-9a-f]{16} 0 20261210T140000Z(\n|$)")' "$ST"
jq '.syncToken += "\nf00dfeedf00dfeed 7 20261211T140000Z"' "$ST" >"$T/p" && cat "$T/p" >"$ST"
before=$(state_sum)
run gcal-pull --changes
ok "a damaged map in the token: exit 78, naming the token and --full" \
	test "$rc" = 78 && has "sync token is damaged.*--full" "$ERR"
is "$(state_sum)" "$before" "... the state left as it was"
run gcal-pull --full
is "$rc" 0 "... and gcal-pull --full mends it"
jq '.syncToken |= (split("\n")[0] | sub("^graph2"; "graph1"))' "$ST" >"$T/p" && cat "$T/p" >"$ST"
run gcal-pull --changes
ok "a token of the gcal before (graph1, no map): a full round, nothing to report" test "$rc" = 0 -a ! -s "$OUT"
run gcal-pull
ok "... which kept the cancelled instance the mirror knew" has '_20261211T140000Z","kind":"calendar#event","originalStartTime"' "$OUT"

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
	# every stored event (Retro's master among them), and its three
	# cancelled instances (two deleted occurrences, a deleted exception)
	is "$(wc -l <"$OUT" | tr -d ' ')" "$(ms_events default | jq -s 'length + 3')" \
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
