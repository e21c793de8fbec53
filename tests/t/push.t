#!/bin/sh
# gcal-push: batched, conditional, idempotent writes, one result per change.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account
CAL=$(gcal-auth use --create "Bookings" | jq -r .id)

# ins ID SUMMARY [HOUR]: an insert change record
ins() {
	jq -nc --arg id "$1" --arg s "$2" --arg h "${3:-10}" '{op:"insert", target:"remote", id:$id,
		event:{summary:$s, start:{dateTime:("2026-12-01T" + $h + ":00:00Z")},
		end:{dateTime:("2026-12-01T" + $h + ":30:00Z")},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
# remote_count: events the emulator holds in the calendar, deleted ones apart
remote_count() {
	emu_ctl GET "/_emu/calendars/$CAL/events" | jq -s '[.[] | select(.status != "cancelled")] | length'
}
batches() {
	emu_log_count POST '^/batch/calendar/v3$'
}

{ ins appt00001 "Cut and dry"; ins appt00002 "Colour"; ins appt00003 "Beard trim"; } >"$T/three"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/three" gcal-push
is "$rc" 0 "3 inserts exit 0"
is "$(jq -r .status "$OUT" | sort -u)" ok "... with an ok result for each"
is "$(wc -l <"$OUT" | tr -d ' ')" 3 "... one result per change"
ok "results carry the new etag and the event" jq_ok -s 'all(.[]; (.etag | type) == "string" and .event.id == .id)' "$OUT"
is "$(batches)" 1 "... in 1 batch request"
is "$(remote_count)" 3 "Google has the 3 events"
cp "$OUT" "$T/inserted"

# The same inserts again (a rerun after a crash): no duplicates, all ok.
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/three" gcal-push
is "$rc" 0 "re-running the inserts exits 0"
is "$(jq -r .status "$OUT" | sort -u)" ok "... reporting them as there already"
is "$(remote_count)" 3 "... and duplicates nothing"

# An insert whose batch answer is lost after Google acted: retried, no duplicate.
ins appt00004 "Lost answer" >"$T/four"
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/batch/calendar/v3$","action":"drop_after","times":1}' >/dev/null
run_in "$T/four" gcal-push
is "$rc" 0 "an insert retried after a dropped connection exits 0"
is "$(jq -r .status "$OUT")" ok "... ok"
is "$(remote_count)" 4 "... and made exactly one event"

# --- updates: If-Match ----------------------------------------------------
etag=$(jq -r 'select(.id=="appt00001") | .etag' "$T/inserted")
jq -c 'select(.id=="appt00001") | {op:"update", target:"remote", id, etag,
	event:(.event | .summary = "Cut, dry and colour")}' "$T/inserted" >"$T/upd"
run_in "$T/upd" gcal-push
is "$rc" 0 "an update with the etag last seen exits 0"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/appt00001" | jq -r .summary)" "Cut, dry and colour" \
	"... and Google has the new summary"
newetag=$(jq -r .etag "$OUT")
ok "... with a new etag in the result" test "$newetag" != "$etag" -a -n "$newetag"

# The same record again: its etag is stale now, but Google already has what
# it asks for: ok, not a conflict (an answer lost the first time).
run_in "$T/upd" gcal-push
is "$(jq -r .status "$OUT")" ok "an update replayed after it was applied is ok"

# A hand edit in Google Calendar meanwhile: 412, reported, never overwritten.
emu_ctl PATCH "/_emu/calendars/$CAL/events/appt00002" '{"summary":"Changed by hand"}' >/dev/null
etag2=$(jq -r 'select(.id=="appt00002") | .etag' "$T/inserted")
jq -c 'select(.id=="appt00002") | {op:"update", target:"remote", id, etag,
	event:(.event | .summary = "Colour and cut")}' "$T/inserted" >"$T/upd2"
run_in "$T/upd2" gcal-push
is "$rc" 1 "an update after a hand edit in Google exits 1"
is "$(jq -r '[.status,.code] | join(" ")' "$OUT")" "conflict 412" "... with a conflict result"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/appt00002" | jq -r .summary)" "Changed by hand" \
	"... and the hand edit survives"

# --- deletes ----------------------------------------------------------------
etag3=$(emu_ctl GET "/_emu/calendars/$CAL/events/appt00003" | jq -r .etag)
jq -nc --arg e "$etag3" '{op:"delete", target:"remote", id:"appt00003", etag:$e}' >"$T/del"
run_in "$T/del" gcal-push
is "$rc" 0 "a delete with the etag exits 0"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/appt00003" | jq -r .status)" cancelled \
	"... and the event is deleted"
run_in "$T/del" gcal-push
is "$rc" 0 "deleting an already deleted event is success"
is "$(jq -r .status "$OUT")" ok "... ok"

# Re-inserting a deleted id restores it.
ins appt00003 "Beard trim, again" >"$T/again"
run_in "$T/again" gcal-push
is "$rc" 0 "inserting a deleted id exits 0"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/appt00003" | jq -r '[.status,.summary] | join(" ")')" \
	"confirmed Beard trim, again" "... and restores the event"

# --- a batch with one failing part ----------------------------------------
{ ins appt00010 "One"; ins appt00012 "Ends first" | jq -c '.event.end.dateTime = "2026-12-01T09:00:00Z"'
	ins appt00011 "Two"; } >"$T/mixed"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/mixed" gcal-push
is "$rc" 1 "a batch with one bad part exits 1"
is "$(jq -r '[.id,.status] | join(" ")' "$OUT" | sort | tr '\n' ',')" \
	"appt00010 ok,appt00011 ok,appt00012 failed," "... the others applied"
is "$(jq -r 'select(.status=="failed") | [.code,.reason] | join(" ")' "$OUT")" "400 timeRangeEmpty" \
	"... the failure with Google's code and reason"
is "$(batches)" 1 "... all in one batch request"

# --- ids Google refuses on insert: a derived one (Events resource, "id") ----
# Instances (_20200628T230000Z), Gmail's (_...), split series' (_R...) and
# any other id outside base32hex: the insert sends the id derived from it
# as a key (gcal-records(5)), the same on every run.
{ ins 'BAD_ID!' "Bad id"; ins 'abc12_20200628T230000Z' "An instance"
	ins '_6tln0qbdd9i2eal3etkg53hulk3r1n0k2oq70lj3' "From Gmail"; } >"$T/badids"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/badids" gcal-push
is "$rc" 0 "inserts with ids Google would refuse exit 0"
is "$(jq -r .status "$OUT" | sort -u)" ok "... all ok"
ok "... each under an id Google takes, in the result and at Google" jq_ok -s \
	'length == 3 and all(.[]; (.id | test("^[a-v0-9]{52}$")) and .event.id == .id)' "$OUT"
emu_ctl GET /_emu/log >"$T/badids-log"
ok "... sent with ids Google takes" jq_ok -s '[.[].parts[]? | select(.method == "POST")
	| .body.id | test("^[a-v0-9]{5,1024}$")] | length == 3 and all' "$T/badids-log"
jq -r .id "$OUT" | sort >"$T/badids-ids"
run_in "$T/badids" gcal-push
is "$(jq -r .id "$OUT" | sort | tr '\n' ' ')" "$(tr '\n' ' ' <"$T/badids-ids")" \
	"... the same ids on a second run"
is "$(jq -r .status "$OUT" | sort -u)" ok "... which finds them there (ok, no duplicate)"

# Updates and deletes keep an event's own id, whatever it is: an instance
# of a recurring event is changed under its instance id.
emu_ctl POST "/_emu/calendars/$CAL/events" '{"id":"recur00001","summary":"Daily",
	"start":{"dateTime":"2026-12-01T10:00:00Z","timeZone":"UTC"},
	"end":{"dateTime":"2026-12-01T10:30:00Z","timeZone":"UTC"},"recurrence":["RRULE:FREQ=DAILY;COUNT=5"]}' >/dev/null
inst=recur00001_20261202T100000Z
emu_ctl GET "/_emu/calendars/$CAL/events/$inst" |
	jq -c '{op:"update", target:"remote", id, etag, event:(. | .summary = "Moved one")}' >"$T/inst"
run_in "$T/inst" gcal-push
is "$rc $(jq -r '[.status, .id] | join(" ")' "$OUT")" "0 ok $inst" \
	"an update of an instance goes to its own id (only inserts derive)"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/$inst" | jq -r .summary)" "Moved one" "... and Google has it"

# A copy of a modified instance together with its series: that instance
# of the series' copy, changed (after the series' insert), not a second
# event beside the series; without the series there, a copy of its own.
jq -nc '{op:"insert", target:"remote", id:"serie0001", event:{id:"serie0001", summary:"Standup",
	start:{dateTime:"2026-12-01T10:00:00Z", timeZone:"UTC"}, end:{dateTime:"2026-12-01T10:15:00Z", timeZone:"UTC"},
	recurrence:["RRULE:FREQ=DAILY;COUNT=3"]}}' >"$T/series"
jq -nc '{op:"insert", target:"remote", id:"serie0001_20261202T100000Z", event:{id:"serie0001_20261202T100000Z",
	summary:"Standup, later", recurringEventId:"serie0001", originalStartTime:{dateTime:"2026-12-02T10:00:00Z"},
	start:{dateTime:"2026-12-02T12:00:00Z"}, end:{dateTime:"2026-12-02T12:15:00Z"}}}' >"$T/moved"
cat "$T/moved" "$T/series" >"$T/series-moved"
run_in "$T/series-moved" gcal-push -c "$CAL"
is "$rc $(jq -r '[.id, .status] | join(" ")' "$OUT" | sort | tr '\n' ',')" \
	"0 serie0001 ok,serie0001_20261202T100000Z ok," "a series and a moved instance of it: both ok"
run gcal-pull -c "$CAL" --expand
is "$(jq -r 'select(.id | startswith("serie0001")) | .start.dateTime + " " + .summary' "$OUT" | sort | tr '\n' ',')" \
	"2026-12-01T10:00:00Z Standup,2026-12-02T13:00:00+01:00 Standup, later,2026-12-03T10:00:00Z Standup," \
	"... the copy has the instance moved, once"
jq -c '.id = "orphan001_20261202T100000Z" | .event.id = .id | .event.recurringEventId = "orphan001"' "$T/moved" >"$T/orphan"
run_in "$T/orphan" gcal-push -c "$CAL"
is "$rc $(jq -r .status "$OUT")" "0 ok" "an instance whose series is not there: a copy of its own"
ok "... under a derived id" jq_ok '.id | test("^[a-v0-9]{52}$")' "$OUT"

# An insert of an instance of a series the calendar has (as gcal-diff and
# gcal-sync make for a local instance edit) changes that instance, by its
# instance id and If-Match the etag it has now: no copy beside the series
# (Calendar API "Recurring events"); a cancelled one is a delete, which
# cancels it; an etag the record carries is the one expected.
# iins ID SUMMARY|cancelled [ETAG]: such a record for recur00001's instance
iins() {
	jq -nc --arg id "recur00001_$1" --arg s "$2" --arg e "${3:-}" '{op:"insert", target:"remote", id:$id,
		event:({id:$id, recurringEventId:"recur00001",
		originalStartTime:{dateTime:($id[11:15] + "-" + $id[15:17] + "-" + $id[17:19] + "T10:00:00Z"), timeZone:"UTC"},
		start:{dateTime:($id[11:15] + "-" + $id[15:17] + "-" + $id[17:19] + "T11:00:00Z"), timeZone:"UTC"},
		end:{dateTime:($id[11:15] + "-" + $id[15:17] + "-" + $id[17:19] + "T11:30:00Z"), timeZone:"UTC"}} +
		if $s == "cancelled" then {status:"cancelled"} else {summary:$s} end)}
		+ if $e == "" then {} else {etag:$e} end'
}
n_before=$(emu_ctl GET "/_emu/calendars/$CAL/events" | jq -s length)
{ iins 20261203T100000Z "Edited here"; iins 20261204T100000Z cancelled; } >"$T/iins"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/iins" gcal-push -c "$CAL"
is "$rc $(jq -r '[.op, .id, .status, .event.status // "-"] | join(" ")' "$OUT" | tr '\n' ',')" \
	"0 insert recur00001_20261203T100000Z ok confirmed,insert recur00001_20261204T100000Z ok cancelled," \
	"inserts of an edited and a cancelled instance: ok, under their instance ids"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/recur00001_20261203T100000Z" | jq -r '.summary + " " + .start.dateTime')" \
	"Edited here 2026-12-03T11:00:00Z" "... Google's instance is changed"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/recur00001_20261204T100000Z" | jq -r .status)" cancelled \
	"... the cancelled one cancelled in the series"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events" | jq -s length)" "$((n_before + 2))" \
	"... as two exceptions of the series, no copy beside it"
is "$(emu_log_count GET '/events/recur00001_2026120[34]T100000Z$').$(batches).$(emu_log_count POST '/events$')" 2.1.0 \
	"... each looked up once, both written in one batch, nothing inserted"
inst=recur00001_20261205T100000Z
stale=$(emu_ctl GET "/_emu/calendars/$CAL/events/$inst" | jq -r .etag)
emu_ctl PATCH "/_emu/calendars/$CAL/events/$inst" '{"summary":"Changed in Google"}' >/dev/null
iins 20261205T100000Z "Edited here too" "$stale" >"$T/istale"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/istale" gcal-push -c "$CAL"
is "$rc $(jq -r '[.op, .id, .status, .code] | join(" ")' "$OUT")" "1 insert $inst conflict 412" \
	"an insert of an instance with an etag from before Google's edit: a 412 conflict"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/$inst" | jq -r .summary)" "Changed in Google" \
	"... Google's edit stays"
is "$(emu_log_count GET "/events/$inst\$").$(emu_log_count POST '/events$')" 1.0 \
	"... no lookup but the second look after the 412, nothing inserted"

# --- rate limits: 429 storms and 403 rateLimitExceeded inside a batch ------
{ ins appt00020 "A"; ins appt00021 "B"; ins appt00022 "C"; } >"$T/storm"
emu_ctl POST /_emu/faults '[{"batch_part":true,"method":"POST","status":429,"times":3},
	{"batch_part":true,"method":"POST","status":403,"reason":"rateLimitExceeded","times":2}]' >/dev/null
run_in "$T/storm" gcal-push
is "$rc" 0 "a storm of 429 and 403 rateLimitExceeded parts is ridden out"
is "$(jq -r .status "$OUT" | sort -u)" ok "... every change applied"
emu_ctl DELETE /_emu/faults >/dev/null
# the governor keeps the slowed minute for the next runs: start afresh
rm -f "$XDG_STATE_HOME/gcal/quota"
emu_ctl POST /_emu/faults '{"batch_part":true,"method":"POST","status":403,"reason":"quotaExceeded","times":1}' >/dev/null
{ ins appt00023 "D"; } >"$T/quota"
run_in "$T/quota" gcal-push --batch 1
is "$rc" 4 "403 quotaExceeded (the daily limit) is not retried: exit 4"
is "$(jq -r .reason "$OUT")" quotaExceeded "... a failed result with Google's reason"
ok "... and a message that says so" has "daily Calendar usage limit for this user is reached" "$ERR"
emu_ctl DELETE /_emu/faults >/dev/null
{ ins appt00024 "E"; } >"$T/quota2"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/quota2" gcal-push
is "$rc" 4 "the next run of the same user stops too, for the rest of Google's day"
is "$(jq -r '.status + " " + .reason' "$OUT")" "failed quotaExceeded" "... its change reported as not sent"
is "$(batches)" 0 "... and nothing sent"
rm -f "$XDG_STATE_HOME/gcal/quota"

# --- M changes cost ceil(M / batch) requests; pacing ------------------------
i=100
: >"$T/many"
while [ $i -lt 125 ]; do ins "appt00$i" "Many $i" >>"$T/many"; i=$((i + 1)); done
emu_ctl POST /_emu/log/clear >/dev/null
# GCAL_QUOTA_MINUTE_MS: a minute of 1 s, for the test
start=$(date +%s.%N)
run_in "$T/many" env GCAL_QUOTA_MINUTE_MS=1000 gcal-push --batch 10 --rate 10
end=$(date +%s.%N)
is "$rc" 0 "25 inserts exit 0"
is "$(batches)" 3 "... in ceil(25/10) = 3 batch requests"
ok "... never more than --rate in a minute (10, then 10 a minute later, then 5)" \
	awk -v a="$start" -v b="$end" 'BEGIN { exit !(b - a >= 2.0) }'
# The defaults: a burst of a whole minute's calls, no pause between batches
# (Google counts requests per minute per user; 200 are a third of it).
i=0
: >"$T/burst"
while [ $i -lt 200 ]; do ins "burst$(printf %05d $i)" "Burst $i" >>"$T/burst"; i=$((i + 1)); done
emu_ctl POST /_emu/log/clear >/dev/null
start=$(date +%s.%N)
run_in "$T/burst" gcal-push
end=$(date +%s.%N)
is "$rc" 0 "200 inserts with the defaults exit 0"
is "$(batches)" 4 "... in 4 batches of 50"
ok "... sent at once, without pacing pauses (took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s)" \
	awk -v a="$start" -v b="$end" 'BEGIN { exit !(b - a < 3.0) }'

# --- safety ------------------------------------------------------------------
PRIMARY=alice@example.com
ins appt00200 "Private" >"$T/prim"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/prim" gcal-push -c "$PRIMARY"
is "$rc" 64 "writing to the primary calendar is refused"
ok "... saying why" has 'allow-primary' "$ERR"
is "$(emu_log_count)" 0 "... before any request"
run_in "$T/prim" gcal-push -c primary
is "$rc" 64 "... also when it is called 'primary'"
run_in "$T/prim" gcal-push -c "$PRIMARY" --allow-primary
is "$rc" 0 "--allow-primary allows it"

emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/three" gcal-push --dry-run
is "$rc" 0 "--dry-run exits 0"
is "$(emu_log_count)" 0 "... and makes no request"
is "$(jq -r '[.status,.request.method] | join(" ")' "$OUT" | sort -u)" "dry-run POST" \
	"... printing the request it would make"
ok "sendUpdates defaults to none" jq_ok -s 'all(.[]; .request.path | endswith("?sendUpdates=none"))' "$OUT"
ins appt00300 "Notify" | jq -c '.sendUpdates = "all"' >"$T/notify"
run_in "$T/notify" gcal-push --dry-run
ok "... a record can ask for another value" jq_ok '.request.path | endswith("?sendUpdates=all")' "$OUT"

printf '%s\n' '{"op":"conflict","target":"both","id":"appt00001"}' \
	'{"op":"insert","target":"local","id":"x1","event":{}}' >"$T/skip"
run_in "$T/skip" gcal-push
is "$rc" 0 "conflict and local records are skipped"
is "$(jq -r .status "$OUT" | sort -u)" skipped "... each with a skipped result"

# --- bad input: nothing is written -----------------------------------------
{ ins appt00400 "Fine"; echo '{"op":"delete","id":"appt00001"}'; } >"$T/noetag"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/noetag" gcal-push
is "$rc" 65 "a delete without etag exits 65"
ok "... naming the line" has "line 2" "$ERR"
is "$(emu_log_count)" 0 "... and nothing is written"
printf '{"op":"insert"\n' >"$T/broken"
run_in "$T/broken" gcal-push
is "$rc" 65 "a line that is not JSON exits 65"
run gcal-push "$T/none"
is "$rc" 66 "a missing input file exits 66"
run gcal-push --batch 5000
is "$rc" 64 "--batch above Google's 1000 exits 64"

# --- an interrupted run converges -------------------------------------------
i=500
: >"$T/five"
while [ $i -lt 505 ]; do ins "appt00$i" "Five $i" >>"$T/five"; i=$((i + 1)); done
run_in "$T/five" env GCAL_PUSH_STOP_AFTER=2 gcal-push --batch 1
is "$rc" 75 "a run stopped after 2 writes exits 75"
before=$(remote_count)
run_in "$T/five" gcal-push --batch 1
is "$rc" 0 "the rerun exits 0"
is "$(($(remote_count) - before))" 3 "... adding only the 3 missing events"

# --- emptying what the link owns: a diff against an empty set ---------------
ROOM=$(gcal-auth use --create "Room 1" | jq -r .id)
{ ins room00001 "Owned 1"; ins room00002 "Owned 2"; } >"$T/room"
run_in "$T/room" gcal-push
emu_ctl POST "/_emu/calendars/$ROOM/events" '{"summary":"The user'"'"'s own",
	"start":{"dateTime":"2026-12-03T09:00:00Z"},"end":{"dateTime":"2026-12-03T10:00:00Z"}}' >/dev/null
gcal-pull >"$T/room-remote"
run gcal-diff "$T/room-remote" /dev/null
cp "$OUT" "$T/empty-changes"
is "$(jq -r '[.op,.id] | join(" ")' "$T/empty-changes" | sort | tr '\n' ',')" \
	"delete room00001,delete room00002," "emptying: the diff deletes only what the link owns"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/empty-changes" gcal-push --dry-run
is "$(jq -r .status "$OUT" | sort -u)" dry-run "... a dry run first shows the deletes"
is "$(emu_log_count)" 0 "... and changes nothing"
run_in "$T/empty-changes" gcal-push
is "$rc" 0 "... then for real"
is "$(emu_ctl GET "/_emu/calendars/$ROOM/events" | jq -r 'select(.status != "cancelled") | .summary')" \
	"The user's own" "... and the user's own event survives"
run gcal-diff --all "$T/room-remote" /dev/null
is "$(jq -r .op "$OUT" | sort | uniq -c | tr -s ' ' | sed 's/^ //')" "3 delete" \
	"with --all the diff would delete every event"

# --- what a body carries, Google takes (Events reference: parameters) -------
# conferenceData needs conferenceDataVersion=1 ("Version 0 ... ignores
# conference data in the event's body"), attachments supportsAttachments=true,
# eventLabelId eventLabelVersion=1; privateCopy and eventLabelId are writable.
ins rich00001 "Copied meeting" | jq -c '.event += {conferenceData:{conferenceId:"abc-defg-hij",
	conferenceSolution:{key:{type:"hangoutsMeet"}},
	entryPoints:[{entryPointType:"video",uri:"https://meet.google.com/abc-defg-hij"}]},
	attachments:[{fileUrl:"https://drive.google.com/open?id=x1",title:"Plan"}],
	privateCopy:true, eventLabelId:"label1",
	attendees:[{email:"alice@example.com", self:true, organizer:true, responseStatus:"accepted"}],
	etag:"\"1\"", iCalUID:"x@google.com", hangoutLink:"https://meet.google.com/abc-defg-hij"}' >"$T/rich"
run_in "$T/rich" gcal-push --dry-run
ok "the body keeps to what the discovery document lets a client write" jq_ok \
	'.request.body | (has("etag") or has("iCalUID") or has("hangoutLink") or
	(.attendees[0] | has("self") or has("organizer"))) | not' "$OUT"
ok "a body with conferenceData, attachments, eventLabelId asks Google to take them" jq_ok \
	'.request.path | test("conferenceDataVersion=1") and test("supportsAttachments=true") and test("eventLabelVersion=1")' "$OUT"
run_in "$T/rich" gcal-push -c "$CAL"
is "$rc" 0 "... the insert exits 0"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/rich00001" | jq -c '[.conferenceData.conferenceId, (.attachments | length), .privateCopy, .eventLabelId]')" \
	'["abc-defg-hij",1,true,"label1"]' "... and Google has the meeting, the attachment, privateCopy and the label"
etag=$(jq -r .etag "$OUT")
jq -c --arg e "$etag" '.op = "update" | .etag = $e | .event.summary = "Renamed meeting"' "$T/rich" >"$T/rich-upd"
run_in "$T/rich-upd" gcal-push -c "$CAL"
is "$(emu_ctl GET "/_emu/calendars/$CAL/events/rich00001" | jq -c '[.summary, .conferenceData.conferenceId, (.attachments | length)]')" \
	'["Renamed meeting","abc-defg-hij",1]' "an update keeps them too"

# --- event types Google restricts: skipped, with the reason ----------------
{ ins kind00001 "Birthday" | jq -c '.event += {eventType:"birthday", birthdayProperties:{type:"birthday"},
		start:{date:"2026-05-04"}, end:{date:"2026-05-05"}, recurrence:["RRULE:FREQ=YEARLY"]}'
	ins kind00002 "From Gmail" | jq -c '.event.eventType = "fromGmail"'
	ins kind00003 "Focus" | jq -c '.event += {eventType:"focusTime", focusTimeProperties:{}}'
	ins kind00004 "Away" | jq -c '.event += {eventType:"outOfOffice", outOfOfficeProperties:{}}'
	ins kind00005 "Office" | jq -c '.event += {eventType:"workingLocation",
		workingLocationProperties:{type:"officeLocation", officeLocation:{label:"HQ"}}}'
	ins kind00006 "Plain"; } >"$T/types"
emu_ctl POST /_emu/log/clear >/dev/null
run_in "$T/types" gcal-push
is "$rc" 0 "event types Google refuses here: exit 0"
is "$(jq -r '[.id, .status] | join(" ")' "$OUT" | sort | tr '\n' ',')" \
	"kind00001 skipped,kind00002 skipped,kind00003 skipped,kind00004 skipped,kind00005 skipped,kind00006 ok," \
	"... each skipped, the rest written"
ok "... each with the reason" jq_ok -s '[.[] | select(.status == "skipped") | .reason] |
	(.[0] | test("owner mark")) and (.[1] | test("Gmail")) and all(.[2:][]; test("primary calendar"))' "$OUT"
emu_ctl GET /_emu/log >"$T/types-log"
ok "... and never sent" jq_ok -s '[.[].parts[]?.body.id] == ["kind00006"]' "$T/types-log"
ins kind00007 "Focus" | jq -c '.event += {eventType:"focusTime", focusTimeProperties:{}}' >"$T/focus"
run_in "$T/focus" gcal-push -c primary --allow-primary
is "$rc $(jq -r .status "$OUT")" "0 ok" "a focusTime event goes to the primary calendar"

# --- an access token Google let die early: one refresh, not a retry -------
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
ins appt00590 "Early expiry" >"$T/early"
run_in "$T/early" env GCAL_RETRIES=0 gcal-push -c "$CAL"
is "$rc $(jq -r .status "$OUT")" "0 ok" "a token that died early is refreshed once, also with GCAL_RETRIES=0"

# --- a dead grant -----------------------------------------------------------
emu_ctl POST /_emu/grants/revoke '{"user":"alice@example.com"}' >/dev/null
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
{ ins appt00600 "Late"; ins appt00601 "Later"; echo '{"op":"conflict","target":"both","id":"appt00001"}'; } >"$T/late"
run_in "$T/late" gcal-push
is "$rc" 77 "a revoked grant exits 77"
is "$(jq -r '[.id, .status, .reason] | join(" ")' "$OUT" | sort | tr '\n' ',')" \
	"appt00001 skipped a conflict: resolve it first (gcal-diff --prefer),appt00600 failed tokenRefreshFailed,appt00601 failed tokenRefreshFailed," \
	"... with a result for every change: failed, with the reason (gcal-push(1))"
ok "... saying what to do" jq_ok -s 'all(.[] | select(.status == "failed"); .message | test("link again"))' "$OUT"

done_testing
