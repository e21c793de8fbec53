#!/bin/sh
# gcal-push on a Microsoft profile: JSON $batch, If-Match (412 is a
# conflict, never an overwrite), immutable ids, no duplicate on a
# retried create, Retry-After, pacing, the default-calendar guard, what
# x-graph keeps, faults (exit 75), kill -9, fixtures.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-ms.sh"

graph_start || { echo "Bail out! graph emulator"; exit 1; }
ms_link default alice@contoso.com Team
TEAM=$(ms_cal alice@contoso.com Team)
count() { ms_events default | jq -s 'length'; }
# changes N [FIRST]: N inserts with keys FIRST.. (owner crm)
changes() {
	jq -nc --argjson n "$1" --argjson f "${2:-1}" 'range($f; $f + $n) as $i |
	  {op:"insert", id:("crm\($i)x"), key:"\($i)",
	   event:{summary:"Meeting \($i)",
	     start:{dateTime:"2026-12-\(10 + ($i % 15))T10:00:00+01:00", timeZone:"Europe/Amsterdam"},
	     end:{dateTime:"2026-12-\(10 + ($i % 15))T11:00:00+01:00", timeZone:"Europe/Amsterdam"},
	     extendedProperties:{private:{gcalOwner:"crm", gcalKey:"\($i)"}}}}'
}
batches() { graph_log_count POST '^/v1\.0/\$batch$'; }
log() { curl -sS "$GRAPH_URL/_emu/log" >"$T/log"; echo "$T/log"; }

# --- inserts ---------------------------------------------------------------
changes 10 >"$T/ins"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push "$T/ins"
is "$rc" 0 "10 inserts into a secondary Exchange calendar exit 0"
is "$(jq -s 'map(select(.status=="ok")) | length' "$OUT")" 10 "... with 10 ok results"
is "$(count)" 10 "... and 10 events in the calendar"
is "$(batches)" 3 "... in 3 \$batch requests of at most 4 (Graph's per-mailbox concurrency)"
ok "... each part a POST to the calendar's events with a transactionId" jq_ok -s \
	'[.[] | .parts // [] | .[]] | length == 10 and all(.[]; .method == "POST" and (.path | endswith("/events")) and (.body.transactionId | startswith("gcal ")))' "$(log)"
ok "the result ids are Graph's immutable ids" jq_ok -s 'all(.[]; .id | startswith("AAkALg"))' "$OUT"
ok "the key is in gcal's extended property" jq_ok -s \
	'all(.[]; .singleValueExtendedProperties | any(.id | test("Name gcal.private$")))' \
	"$(for i in $(jq -r .id "$OUT"); do graph_ctl GET /_emu/events/$i; echo; done >"$T/evs"; echo "$T/evs")"
cp "$OUT" "$T/ins.out"

# --- a retried create makes no duplicate ------------------------------------
run gcal-push "$T/ins"
is "$rc.$(count)" 0.10 "the same inserts again: ok, and still 10 events (transactionId)"
changes 6 11 >"$T/ins2"
GCAL_PUSH_STOP_AFTER=4 run gcal-push "$T/ins2"
is "$rc.$(count)" 75.14 "a run killed after Graph took the first batch of 4: exit 75, 14 events"
run gcal-push "$T/ins2"
is "$rc.$(count)" 0.16 "... run again: ok, 16 events, none twice"
is "$(ms_events default | jq -r .subject | sort | uniq -d)" "" "... no subject twice"

# a create Graph takes for a retry (its transactionId) answers with the
# event the first one made: a record edited since is written still
changes 1 16 | jq -c '.event.summary = "Meeting 16 edited"' >"$T/ins16"
run gcal-push "$T/ins16"
is "$rc.$(count)" 0.16 "the insert of key 16 again, edited since Graph took it: ok, no event twice"
is "$(ms_events default | jq -r 'select(.subject | startswith("Meeting 16")) | .subject')" "Meeting 16 edited" \
	"... and Graph has the edit, not the first create's content"
ok "... the result has Graph's id and the new content" jq_ok \
	'(.id | startswith("AAkALg")) and .event.summary == "Meeting 16 edited"' "$OUT"

changes 4 17 >"$T/ins7"
graph_ctl POST /_emu/faults '{"method":"POST","path":"batch","action":"delay","delay_ms":2000,"times":1}' >/dev/null
gcal-push "$T/ins7" >/dev/null 2>&1 &
pid=$!
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
sleep 2
is "$(count)" 20 "killed -9 while Graph was still at its batch: Graph made the 4 events"
run gcal-push "$T/ins7"
is "$rc.$(count)" 0.20 "... run again: ok, and no event twice"

# --- one key in two calendars of a mailbox: two events --------------------------
# (Graph takes a transactionId it has seen in the mailbox for a retry: a
# second booking system counting from 1 must not get the first one's events)
ms_link second alice@contoso.com Team
run gcal-auth -p second use --create "Second"
is "$rc" 0 "a second calendar of the same mailbox, made by gcal-auth use --create"
changes 2 >"$T/same-keys"
run env GCAL_PROFILE=second gcal-push "$T/same-keys"
is "$rc.$(jq -s 'map(select(.status=="ok")) | length' "$OUT")" 0.2 "the keys 1 and 2 pushed into it: ok, 2 results"
is "$(ms_events second | jq -s 'map(select(.subject | startswith("Meeting "))) | length')" 2 \
	"... 2 events in the second calendar, not the first calendar's"
is "$(count)" 20 "... and the first calendar still has its 20"
ok "... the result ids are not the first calendar's" jq_ok -s --slurpfile a "$T/ins.out" \
	'map(.id) - ($a | map(.id)) | length == 2' "$OUT"
ok "... and the marks still read back from the new events" sh -c \
	'GCAL_PROFILE=second gcal-pull | jq -s -e "map(.extendedProperties.private.gcalKey) | sort == [\"1\",\"2\"]" >/dev/null'

# --- --batch 20: one serial chain; a failed part's followers run again ---------
changes 20 21 >"$T/ins3"
graph_ctl POST /_emu/log/clear >/dev/null
graph_ctl POST /_emu/faults '{"batch_part":true,"method":"POST","status":503,"times":1,"skip":2}' >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push --batch 20 "$T/ins3"
is "$rc.$(count)" 0.40 "--batch 20 with a 503 on the 3rd part: ok, 36 events"
is "$(jq -s -r '[.[] | select(.batch_parts) | .batch_parts] | map(tostring) | join(" ")' "$(log)")" "20 18" \
	"... the 17 parts after it (424, not run) and it go again in a second batch"
graph_ctl DELETE /_emu/faults >/dev/null

# --- updates: If-Match; 412 is a conflict ------------------------------------------
run gcal-pull
cp "$OUT" "$T/pulled"
ok "a pull sees the marks the inserts gave (via the transactionId)" jq_ok -s \
	'map(select(.extendedProperties.private.gcalOwner == "crm")) | length == 40' "$T/pulled"
jq -c 'select(.summary=="Meeting 1") | {op:"update", id, etag, key:"1", event:(.summary = "Meeting 1 moved")}' "$T/pulled" >"$T/up"
E1=$(jq -r .id "$T/up")
graph_ctl PATCH /_emu/events/$E1 '{"categories":["Blue category"]}' >/dev/null
run gcal-push "$T/up"
is "$rc" 1 "an update with the etag from before an Outlook edit: exit 1"
is "$(jq -r '.status + " " + (.code|tostring)' "$OUT")" "conflict 412" "... reported as a 412 conflict"
is "$(graph_ctl GET /_emu/events/$E1 | jq -r '.subject + "/" + (.categories|join(","))')" "Meeting 1/Blue category" \
	"... and Outlook's edit is not overwritten"
run gcal-pull
jq -c 'select(.summary=="Meeting 1") | {op:"update", id, etag, key:"1", event:(.summary = "Meeting 1 moved")}' "$OUT" >"$T/up"
run gcal-push "$T/up"
is "$rc" 0 "the update with the current etag: ok"
is "$(graph_ctl GET /_emu/events/$E1 | jq -r '.subject + "/" + (.categories|join(","))')" "Meeting 1 moved/Blue category" \
	"... the subject changed, the categories x-graph kept are still there"
ok "... its result has the new etag" test "$(jq -r .etag "$OUT")" != "$(jq -r .etag "$T/up")"
run gcal-push "$T/up"
is "$rc.$(jq -r .status "$OUT")" 0.ok "the same update again (its answer lost): 412, then Graph has what we asked: ok"

# --- deletes --------------------------------------------------------------------
run gcal-pull
jq -c 'select(.summary=="Meeting 2") | {op:"delete", id, etag, key:"2"}' "$OUT" >"$T/del"
run gcal-push "$T/del"
is "$rc.$(count)" 0.39 "a delete with its etag: ok, 39 events"
run gcal-push "$T/del"
is "$rc.$(jq -r .status "$OUT")" 0.ok "deleting it again: already gone, ok"

# --- a record Graph cannot hold ----------------------------------------------------
jq -c '.event.recurrence = ["RRULE:FREQ=WEEKLY","EXDATE:20261217T090000Z"] | .id = "crm99x" | .key = "99" | .event.extendedProperties.private.gcalKey = "99"' "$T/ins" | head -1 >"$T/bad"
run gcal-push "$T/bad"
is "$rc.$(jq -r '.status + " " + .reason' "$OUT")" "1.failed gcalNoGraphForm" "an EXDATE has no Graph pattern: that change fails, naming why"

# --- Retry-After, faults: 75 and nothing half-done --------------------------------------
changes 2 41 >"$T/ins4"
graph_ctl POST /_emu/faults '{"batch_part":true,"method":"POST","status":429,"retry_after":1,"times":1}' >/dev/null
run gcal-push "$T/ins4"
is "$rc.$(count)" 0.41 "a part refused with 429 Retry-After: 1 is sent again after the wait: ok"
for f in '{"status":429,"retry_after":1}' '{"status":503}' '{"action":"delay","delay_ms":3000}'; do
	changes 1 50 >"$T/one"
	before=$(count)
	graph_ctl POST /_emu/faults "$(echo "$f" | jq -c '. + {method:"POST",path:"batch",times:20}')" >/dev/null
	GCAL_RETRIES=1 GCAL_TIMEOUT=1 run gcal-push "$T/one"
	graph_ctl DELETE /_emu/faults >/dev/null
	is "$rc" 75 "$(echo "$f" | jq -r '.status // .action') on every \$batch: exit 75"
	is "$(jq -r .status "$OUT")" failed "... with a failed result for the change"
	sleep 3
	case $f in
	*delay*) # Graph may have acted before the answer was lost
		run gcal-push "$T/one"
		is "$rc.$(count)" "0.$((before + 1))" "... run again: ok, the event once";;
	*) is "$(count)" "$before" "... and nothing written";;
	esac
done

# --- pacing under the mailbox limit ------------------------------------------------------
graph_ctl POST /_emu/config '{"throttle":{"limit":8,"window_s":2}}' >/dev/null
changes 16 60 >"$T/ins5"
graph_ctl POST /_emu/log/clear >/dev/null
# 7 writes a window: the look-up of the default calendar is the 8th
GCAL_QUOTA_MINUTE_MS=2000 run gcal-push --rate 7 "$T/ins5"
graph_ctl POST /_emu/config '{"throttle":null}' >/dev/null
is "$rc" 0 "16 writes paced at 7 per 2 s under Graph's limit of 8 per 2 s: ok"
is "$(jq -s '[.[] | (.status, (.parts // [] | .[].status))] | map(select(. == 429)) | length' "$(log)")" 0 \
	"... and Graph never had to throttle a call"
graph_ctl POST /_emu/config '{"throttle":{"limit":8,"window_s":2}}' >/dev/null
sleep 2
changes 16 90 >"$T/ins5"
graph_ctl POST /_emu/log/clear >/dev/null
GCAL_QUOTA_MINUTE_MS=2000 run gcal-push --rate 1000 "$T/ins5"
graph_ctl POST /_emu/config '{"throttle":null}' >/dev/null
ok "... while unpaced (--rate 1000) it does, and the throttled calls are sent again: ok" \
	test "$rc" = 0 -a "$(jq -s '[.[] | (.status, (.parts // [] | .[].status))] | map(select(. == 429)) | length' "$(log)")" -gt 0

# --- the default calendar is guarded as Google's primary -----------------------------
ms_link mine alice@contoso.com
changes 1 70 >"$T/def"
run gcal-push -p mine "$T/def"
is "$rc" 64 "writing to the default calendar without --allow-primary: exit 64"
ok "... naming it" has "default calendar" "$ERR"
run gcal-push -p mine --allow-primary "$T/def"
is "$rc" 0 "... with --allow-primary: ok"

# --- a series' instances, named by Google's instance ids -----------------------------
# Outlook's side, as a user's mail client makes it: Graph called with the link's token
outlook() {
	curl -sS -X "$1" -H "Authorization: Bearer $(jq -r .access_token "$XDG_STATE_HOME/gcal/default/token.json")" \
		-H 'Content-Type: application/json' -H 'Prefer: IdType="ImmutableId"' ${4:+-H "If-Match: $4"} \
		${3:+--data "$3"} "$GRAPH_URL/v1.0$2"
}
occurrences() {
	outlook GET "/me/events/$M/instances?startDateTime=2026-12-01T00:00:00Z&endDateTime=2027-01-31T00:00:00Z" |
		jq -c '.value[] | {id, subject, type, originalStart, start: .start.dateTime, etag: .["@odata.etag"]}'
}
# mondays SUBJECT DATE END-TIME COUNT: a weekly series made in Outlook in
# the team calendar, 10:00 Berlin time on Mondays from DATE
mondays() {
	graph_ctl POST /_emu/calendars/$TEAM/events "$(jq -nc --arg s "$1" --arg d "$2" --arg e "$3" --argjson n "$4" '{subject:$s,
		start:{dateTime:($d + "T10:00:00"), timeZone:"W. Europe Standard Time"},
		end:{dateTime:($d + "T" + $e), timeZone:"W. Europe Standard Time"},
		recurrence:{pattern:{type:"weekly", interval:1, daysOfWeek:["monday"], firstDayOfWeek:"monday"},
		  range:{type:"numbered", startDate:$d, numberOfOccurrences:$n}}}')"
}
mondays Standup 2026-12-07 10:15:00 4 >"$T/master"
M=$(jq -r .id "$T/master")
occurrences >"$T/occ"
E2=$(jq -r 'select(.originalStart | startswith("2026-12-14")) | .etag' "$T/occ")
E3=$(jq -r 'select(.originalStart | startswith("2026-12-21")) | .etag' "$T/occ")
jq -nc --arg id "${M}_20261214T090000Z" --arg e "$E2" --arg id3 "${M}_20261221T090000Z" --arg e3 "$E3" '
	{op:"update", id:$id, etag:$e, event:{summary:"Standup (long)",
	  start:{dateTime:"2026-12-14T09:00:00Z"}, end:{dateTime:"2026-12-14T09:45:00Z"},
	  recurringEventId:("'"$M"'"), originalStartTime:{dateTime:"2026-12-14T09:00:00Z"}}},
	{op:"update", id:$id3, etag:$e3, event:{summary:"Standup (moved)",
	  start:{dateTime:"2026-12-22T09:00:00Z"}, end:{dateTime:"2026-12-22T09:15:00Z"},
	  recurringEventId:("'"$M"'"), originalStartTime:{dateTime:"2026-12-21T09:00:00Z"}}}' >"$T/inst"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push "$T/inst"
is "$rc" 0 "updates of two instances named by their instance ids: exit 0"
is "$(graph_log_count GET '/instances')" 2 "... each found with one listing of the day around its original start"
is "$(graph_log_count PATCH)" 0 "... each PATCH in the \$batch (no request of its own)"
occurrences >"$T/occ2"
is "$(jq -r 'select(.type == "exception") | .subject + "@" + .start' "$T/occ2" | sort | tr '\n' ' ')" \
	"Standup (long)@2026-12-14T09:00:00.0000000 Standup (moved)@2026-12-22T09:00:00.0000000 " \
	"... Outlook has them as exceptions of the series, one moved a day"
is "$(jq -r 'select(.type == "occurrence") | .originalStart' "$T/occ2" | tr '\n' ' ')" \
	"2026-12-07T09:00:00Z 2026-12-28T09:00:00Z " "... and the other occurrences as they were"
is "$(jq -r .id "$OUT" | tr '\n' ' ')" "${M}_20261214T090000Z ${M}_20261221T090000Z " \
	"... the results keep the instance ids, not Graph's occurrence ids"
is "$(jq -r .event.id "$OUT" | tr '\n' ' ')" "${M}_20261214T090000Z ${M}_20261221T090000Z " "... and so do their events"

# the moved one: found again once it lies outside a day of its original start
jq -c 'select(.id | endswith("20261221T090000Z")) | {op:"update", id, etag, event:(.event | .summary = "Standup (moved on)"
	| .start.dateTime = "2026-12-25T09:00:00Z" | .end.dateTime = "2026-12-25T09:15:00Z")}' "$OUT" >"$T/moved"
run gcal-push "$T/moved"
is "$rc.$(jq -r .status "$OUT")" 0.ok "an exception moved 4 days from its original start: updated again by its instance id"
graph_ctl POST /_emu/log/clear >/dev/null
jq -c --arg e "$(jq -r .etag "$OUT")" '.event.summary = "Standup (found)" | .etag = $e' "$T/moved" >"$T/moved2"
run gcal-push "$T/moved2"
is "$rc.$(jq -r .status "$OUT").$(graph_log_count GET '/instances')" 0.ok.2 \
	"... a run that meets it 4 days away lists a day, then a month around its original start"

# a stale etag: Outlook changed the occurrence since
E4=$(jq -r 'select(.originalStart | startswith("2026-12-28")) | .etag' "$T/occ2")
O4=$(jq -r 'select(.originalStart | startswith("2026-12-28")) | .id' "$T/occ2")
outlook PATCH "/me/events/$O4" '{"subject":"Standup (Outlook)"}' >/dev/null
jq -nc --arg id "${M}_20261228T090000Z" --arg e "$E4" '{op:"update", id:$id, etag:$e,
	event:{summary:"Standup (gcal)", start:{dateTime:"2026-12-28T09:00:00Z"}, end:{dateTime:"2026-12-28T09:15:00Z"}}}' >"$T/stale"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push "$T/stale"
is "$rc.$(jq -r '.status + " " + (.code|tostring) + " " + .id' "$OUT")" "1.conflict 412 ${M}_20261228T090000Z" \
	"an instance updated with an etag from before Outlook's edit: a 412 conflict, under its instance id"
is "$(graph_log_count GET '/instances')" 1 "... the second look at it (after the 412) needs no second listing: kept for the run"
is "$(occurrences | jq -r 'select(.originalStart | startswith("2026-12-28")) | .subject')" "Standup (Outlook)" \
	"... and Outlook's edit is not overwritten"

# delete: Outlook cancels the occurrence
E1=$(jq -r 'select(.originalStart | startswith("2026-12-07")) | .etag' "$T/occ2")
jq -nc --arg id "${M}_20261207T090000Z" --arg e "$E1" '{op:"delete", id:$id, etag:$e}' >"$T/idel"
run gcal-push "$T/idel"
is "$rc.$(jq -r '.status + " " + .id' "$OUT")" "0.ok ${M}_20261207T090000Z" "a delete of an instance by its instance id: ok"
is "$(occurrences | jq -r .originalStart | tr '\n' ' ')" "2026-12-14T09:00:00Z 2026-12-21T09:00:00Z 2026-12-28T09:00:00Z " \
	"... Outlook has cancelled that occurrence, the series is still there"
run gcal-push "$T/idel"
is "$rc.$(jq -r .status "$OUT")" 0.ok "... deleting it again: already gone, ok"

# a plain occurrence's etag follows its series': after an edit of the
# series, the etag a record has of it is stale, and the listing's is used
mondays Review 2027-01-04 10:30:00 3 >"$T/master5"
M5=$(jq -r .id "$T/master5")
E5=$(outlook GET "/me/events/$M5/instances?startDateTime=2027-01-01T00:00:00Z&endDateTime=2027-01-31T00:00:00Z" |
	jq -r '.value[] | select(.originalStart | startswith("2027-01-11")) | .["@odata.etag"]')
outlook PATCH "/me/events/$M5" '{"subject":"Review (renamed)"}' >/dev/null
jq -nc --arg id "${M5}_20270111T090000Z" --arg e "$E5" '{op:"delete", id:$id, etag:$e}' >"$T/pdel"
run gcal-push "$T/pdel"
is "$rc.$(jq -r .status "$OUT")" 0.ok "a delete of a plain occurrence with its etag from before its series' edit: ok, no 412"
is "$(outlook GET "/me/events/$M5/instances?startDateTime=2027-01-01T00:00:00Z&endDateTime=2027-01-31T00:00:00Z" |
	jq -r '[.value[] | .originalStart[0:10]] | join(" ")')" "2027-01-04 2027-01-18" "... Outlook has cancelled that occurrence"

# a title edit of a series master: the PATCH has only what changed (Outlook
# drops a series' exceptions and cancelled occurrences on a PATCH that has
# its recurrence or start, even unchanged)
run gcal-pull
jq -c 'select(.summary == "Standup" and .recurrence != null) | {op:"update", id, etag, event:(.summary = "Standup (renamed)")}' "$OUT" >"$T/master-up"
is "$(jq -r '.event.recurrence | length' "$T/master-up")" 1 "a pulled series master has its recurrence"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push "$T/master-up"
is "$rc.$(jq -r .status "$OUT")" 0.ok "its title edit pushed: ok"
ok "... the PATCH carries the subject, neither recurrence nor start nor end" jq_ok -s \
	'[.[] | .parts // [] | .[] | select(.method == "PATCH")] | length == 1 and (.[0].body | has("subject") and (has("recurrence") or has("start") or has("end") | not))' "$(log)"
occurrences >"$T/occ3"
is "$(jq -r 'select(.type == "exception") | .originalStart[0:10] + " " + .subject' "$T/occ3" | sort | tr '\n' ',')" \
	"2026-12-14 Standup (long),2026-12-21 Standup (found),2026-12-28 Standup (Outlook)," "... the series keeps its exceptions"
is "$(jq -r 'select(.type == "occurrence") | .subject' "$T/occ3" | tr '\n' ',')" "" "... and its cancelled occurrence stays cancelled"
is "$(outlook GET "/me/events/$M" | jq -r .subject)" "Standup (renamed)" "... and Graph has the new title"

# insert of an instance (as gcal-sync and gcal-diff make for a local instance
# edit): Graph makes no instance, the occurrence is changed or cancelled
graph_ctl POST /_emu/calendars/$TEAM/events '{"subject":"Review",
	"start":{"dateTime":"2026-12-09T14:00:00","timeZone":"UTC"}, "end":{"dateTime":"2026-12-09T15:00:00","timeZone":"UTC"},
	"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["wednesday"],"firstDayOfWeek":"monday"},
	  "range":{"type":"numbered","startDate":"2026-12-09","numberOfOccurrences":3}}}' >"$T/master2"
M2=$(jq -r .id "$T/master2")
jq -nc --arg m "$M2" '{op:"insert", id:($m + "_20261216T140000Z"), event:{summary:"Review (room 2)",
	recurringEventId:$m, originalStartTime:{dateTime:"2026-12-16T14:00:00Z"},
	start:{dateTime:"2026-12-16T14:00:00Z"}, end:{dateTime:"2026-12-16T15:00:00Z"}}},
	{op:"insert", id:($m + "_20261223T140000Z"), event:{status:"cancelled",
	recurringEventId:$m, originalStartTime:{dateTime:"2026-12-23T14:00:00Z"}}}' >"$T/iins"
before=$(count)
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push -vv "$T/iins"
is "$rc.$(jq -r .status "$OUT" | tr '\n' ' ')" "0.ok ok " "inserts of an instance and of a cancelled instance of an Outlook series: ok"
is "$(grep -o '"If-Match":"W/[^"]*' "$ERR" | wc -l)" 2 "... each written If-Match the occurrence's etag as listed (-vv shows)"
is "$(graph_log_count POST '/events$').$(count)" "0.$before" "... no event made for either"
M=$M2 occurrences >"$T/occ3"
is "$(jq -r '.originalStart + " " + .type + " " + .subject' "$T/occ3" | tr '\n' ',')" \
	"2026-12-09T14:00:00Z occurrence Review,2026-12-16T14:00:00Z exception Review (room 2)," \
	"... the one occurrence changed, an exception now; the other cancelled"
is "$(jq -r '.id + " " + (.event.status // "-")' "$OUT" | tr '\n' ',')" \
	"${M2}_20261216T140000Z confirmed,${M2}_20261223T140000Z cancelled," "... the results name them by their instance ids"
run gcal-push "$T/iins"
is "$rc.$(jq -r .status "$OUT" | tr '\n' ' ')" "0.ok ok " "... the same inserts again: ok (the cancelled one is gone already)"

# an all-day series in Tokyo: Graph's originalStart is the day before in UTC,
# the instance id has the date in the series' zone (as gcal-pull names it)
graph_ctl POST /_emu/calendars/$TEAM/events '{"subject":"Holiday", "isAllDay":true,
	"start":{"dateTime":"2026-12-08T00:00:00","timeZone":"Tokyo Standard Time"},
	"end":{"dateTime":"2026-12-09T00:00:00","timeZone":"Tokyo Standard Time"},
	"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["tuesday"],"firstDayOfWeek":"monday"},
	  "range":{"type":"numbered","startDate":"2026-12-08","numberOfOccurrences":3}}}' >"$T/master3"
M3=$(jq -r .id "$T/master3")
jq -nc --arg m "$M3" '{op:"insert", id:($m + "_20261215"), event:{summary:"Holiday (Osaka)",
	recurringEventId:$m, originalStartTime:{date:"2026-12-15"}, start:{date:"2026-12-15"}, end:{date:"2026-12-16"}}}' >"$T/aday"
run gcal-push "$T/aday"
is "$rc.$(jq -r '.status + " " + .id' "$OUT")" "0.ok ${M3}_20261215" "an all-day instance in Tokyo, by its date: ok"
is "$(M=$M3 occurrences | jq -r 'select(.type == "exception") | .originalStart + " " + .subject')" \
	"2026-12-14T15:00:00Z Holiday (Osaka)" "... the occurrence of that date in Tokyo is the exception"

# ids that name no instance
jq -nc --arg id "${M}_20261208T090000Z" '{op:"update", id:$id, etag:"W/\"x\"",
	event:{summary:"nope", start:{dateTime:"2026-12-08T09:00:00Z"}, end:{dateTime:"2026-12-08T09:15:00Z"}}}' >"$T/none"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push "$T/none"
is "$rc.$(jq -r '.status + " " + (.code|tostring) + " " + .reason' "$OUT")" "1.conflict 404 deleted" \
	"an update of an original start the series does not have: 404, as Google answers an unknown instance"
is "$(graph_log_count GET '/instances').$(graph_log_count POST '\$batch')" 3.0 \
	"... after a day, a month and a year around it were listed; nothing sent"
jq -c '.id = "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0BBnoSuchSeries_20261208T090000Z"' "$T/none" >"$T/fake"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-push "$T/fake"
is "$rc.$(jq -r '.status + " " + (.code|tostring)' "$OUT")" "1.conflict 404" \
	"an id that only looks like an instance id, of no series Graph knows: used as is (404)"
is "$(graph_log_count GET '/instances').$(graph_log_count POST '\$batch')" 1.1 "... one listing asked, then the id sent as it is"

# --- fixtures: recorded with tokens redacted, replayed with no network ----------------------
changes 2 80 >"$T/ins6"
GCAL_RECORD=$T/fix.ndjson run gcal-push "$T/ins6"
cp "$OUT" "$T/live"
ok "a recorded push holds no access token" lacks "$(jq -r .access_token "$XDG_STATE_HOME/gcal/default/token.json")" "$T/fix.ndjson"
graph_ctl POST /_emu/log/clear >/dev/null
GCAL_REPLAY=$T/fix.ndjson run gcal-push "$T/ins6"
is "$rc.$(graph_log_count)" 0.0 "the fixture replays with no request to Graph"
ok "... to the same results" cmp -s "$OUT" "$T/live"

done_testing
