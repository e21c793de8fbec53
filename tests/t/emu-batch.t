#!/bin/sh
# Batch requests (multipart/mixed), injected faults, quota and the request log.
. tests/lib-emu.sh

T=0 FAILED=0
ok() { T=$((T + 1)); if [ "$1" = 0 ]; then echo "ok $T - $2"; else echo "not ok $T - $2"; FAILED=$((FAILED + 1)); fi; }
is() { [ "$1" = "$2" ]; _r=$?; [ $_r = 0 ] || echo "# got '$1', want '$2'"; ok $_r "$3"; }

echo 1..32
emu_start || { echo 'Bail out! emulator did not start'; exit 1; }
W=${TMPDIR_T:-$(mktemp -d)}
[ -n "${TMPDIR_T:-}" ] || trap 'emu_stop; rm -rf "$W"' EXIT
AT=$(emu_token | jq -r .access_token)
CRLF=$(printf '\r')

part() { # content-id method path [json] [extra header line]
	printf -- '--BOUNDARY_x\r\nContent-Type: application/http\r\nContent-ID: <%s>\r\n\r\n' "$1"
	printf '%s %s HTTP/1.1\r\n' "$2" "$3"
	[ -n "${5:-}" ] && printf '%s\r\n' "$5"
	if [ -n "${4:-}" ]; then
		printf 'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s\r\n' "${#4}" "$4"
	else
		printf '\r\n'
	fi
}
EV() { printf '{"id":"%s","summary":"b","start":{"dateTime":"2026-04-01T09:00:00Z"},"end":{"dateTime":"2026-04-01T10:00:00Z"}}' "$1"; }
{
	part item1 POST /calendar/v3/calendars/primary/events "$(EV batch00001)"
	part item2 POST /calendar/v3/calendars/primary/events "$(EV batch00001)"
	part item3 GET /calendar/v3/calendars/primary/events/nosuch00001
	part item4 DELETE /calendar/v3/calendars/primary/events/batch00001 "" 'If-Match: "1"'
	part item5 POST /calendar/v3/calendars/primary/events '{"id":"bad id"}'
	printf -- '--BOUNDARY_x--\r\n'
} >"$W/batch"
batch() {
	curl -sS -o "$W/out" -D "$W/h" -w '%{http_code}' -H "Authorization: Bearer $AT" \
		-H 'Content-Type: multipart/mixed; boundary=BOUNDARY_x' --data-binary "@$1" "$EMU_URL/batch/calendar/v3"
}
emu_ctl POST /_emu/log/clear >/dev/null
S=$(batch "$W/batch")
is "$S $(grep -ci '^content-type: multipart/mixed; boundary=' "$W/h")" "200 1" "batch answers multipart/mixed"
statuses=$(tr -d "$CRLF" <"$W/out" | awk '/^Content-ID:/ {id=$2} /^HTTP\/1.1 / {print id, $2}' | sort | tr '\n' ' ')
is "$statuses" "<response-item1> 200 <response-item2> 409 <response-item3> 404 <response-item4> 412 <response-item5> 400 " \
	"each part has its own status, matched by Content-ID"
is "$(emu_log_count POST '^/batch/calendar/v3$') $(curl -sS "$EMU_URL/_emu/log" | jq -s '.[0].batch_parts')" "1 5" "the batch is logged once with batch_parts"

# faults on inner parts
emu_ctl POST /_emu/faults '{"batch_part":true,"method":"POST","path":"/events$","status":403,"reason":"rateLimitExceeded","times":1}' >/dev/null
{
	part a POST /calendar/v3/calendars/primary/events "$(EV batch00002)"
	part b POST /calendar/v3/calendars/primary/events "$(EV batch00003)"
	printf -- '--BOUNDARY_x--\r\n'
} >"$W/batch2"
batch "$W/batch2" >/dev/null
statuses=$(tr -d "$CRLF" <"$W/out" | awk '/^Content-ID:/ {id=$2} /^HTTP\/1.1 / {print id, $2}' | sort | tr '\n' ' ')
is "$statuses" "<response-a> 403 <response-b> 200 " "batch_part fault fails one inner request"
grep -q '"reason": "rateLimitExceeded"' "$W/out"; ok $? "inner error body carries the reason"

# outer faults
api() { curl -sS -o "$W/b" -D "$W/h" -w '%{http_code}' -H "Authorization: Bearer $AT" "$EMU_URL/calendar/v3/calendars/primary/events" "$@"; }
emu_ctl POST /_emu/faults '{"path":"^/calendar/v3/calendars/[^/]+/events$","status":503,"times":2,"retry_after":7}' >/dev/null
S1=$(api) S2=$(api) S3=$(api)
is "$S1 $S2 $S3" "503 503 200" "error fault applies 'times' times"
emu_ctl POST /_emu/faults '{"path":"/events$","status":429,"reason":"rateLimitExceeded","retry_after":3}' >/dev/null
S=$(api)
is "$S $(jq -r '.error.errors[0].domain + "/" + .error.errors[0].reason' "$W/b") $(grep -i '^retry-after:' "$W/h" | tr -d "$CRLF" | awk '{print $2}')" \
	"429 usageLimits/rateLimitExceeded 3" "429 with Google's body and Retry-After"
emu_ctl POST /_emu/faults '{"path":"/events$","action":"drop_before"}' >/dev/null
S=$(api 2>/dev/null); is "$S" 000 "drop_before closes the connection without answer"
emu_ctl POST /_emu/faults '{"method":"POST","path":"/events$","action":"drop_after"}' >/dev/null
S=$(api -H 'Content-Type: application/json' -d "$(EV dropped001)" 2>/dev/null)
S2=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AT" "$EMU_URL/calendar/v3/calendars/primary/events/dropped001")
is "$S $S2" "000 200" "drop_after performs the insert but never answers"
emu_ctl POST /_emu/faults '{"path":"/events$","action":"truncate"}' >/dev/null
api >/dev/null 2>&1; ok $((! $?)) "truncate gives a short body (curl fails)"
emu_ctl POST /_emu/faults '{"path":"/events$","action":"invalid_json"}' >/dev/null
S=$(api); jq . "$W/b" >/dev/null 2>&1; is "$S $([ $? -ne 0 ] && echo bad)" "200 bad" "invalid_json answers 200 with broken JSON"
emu_ctl POST /_emu/faults '{"path":"/events$","action":"delay","delay_ms":300,"skip":1}' >/dev/null
api >/dev/null
t0=$(date +%s%N); api >/dev/null; t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 300 ]; ok $? "delay fault after skip"
emu_ctl DELETE /_emu/faults >/dev/null

# quota
emu_ctl POST /_emu/config '{"quota_per_minute":3}' >/dev/null
S="$(api) $(api) $(api) $(api)"
is "$S $(jq -r '.error.errors[0].reason' "$W/b") $(grep -ci '^retry-after:' "$W/h")" "200 200 200 403 rateLimitExceeded 1" "quota per minute gives 403 rateLimitExceeded"
emu_ctl POST /_emu/config '{"quota_per_minute":null}' >/dev/null

# keep-alive: two requests over one connection
curl -sS -o /dev/null -o /dev/null -w '%{num_connects}\n' -H "Authorization: Bearer $AT" \
	"$EMU_URL/calendar/v3/calendars/primary" "$EMU_URL/calendar/v3/calendars/primary" >"$W/nc"
is "$(tr '\n' ' ' <"$W/nc")" "1 0 " "HTTP/1.1 keep-alive reuses the connection"

# gzip request body
printf '%s' "$(EV compressed1)" | gzip -c >"$W/gz"
S=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AT" -H 'Content-Type: application/json' \
	-H 'Content-Encoding: gzip' --data-binary "@$W/gz" "$EMU_URL/calendar/v3/calendars/primary/events")
is "$S" 200 "gzip-encoded request body accepted"

is "$(emu_log_count GET '/events$' | tr -d ' ')" "$(curl -sS "$EMU_URL/_emu/log" | jq -s '[.[]|select(.method=="GET" and (.path|test("/events$")))]|length')" "emu_log_count counts"

# --- Google's rules for writes (Events reference: insert/update parameters;
# the event types guide) ------------------------------------------------------
ins() { # calendar query json: prints status, body in $W/b
	curl -sS -o "$W/b" -w '%{http_code}' -H "Authorization: Bearer $AT" -H 'Content-Type: application/json' \
		--data-binary "$3" "$EMU_URL/calendar/v3/calendars/$1/events$2"
}
evj() { # id extra-json
	EV "$1" | jq -c --argjson x "$2" '. + $x'
}
CONF='{"conferenceData":{"conferenceId":"abc-defg-hij","conferenceSolution":{"key":{"type":"hangoutsMeet"}},"entryPoints":[{"entryPointType":"video","uri":"https://meet.google.com/abc-defg-hij"}]}}'
S=$(ins primary '' "$(evj rules0001 "$CONF")")
is "$S $(jq -r '.conferenceData.conferenceId // "none"' "$W/b")" "200 none" \
	"conferenceData without conferenceDataVersion is ignored (version 0)"
S=$(ins primary '?conferenceDataVersion=1' "$(evj rules0002 "$CONF")")
is "$S $(jq -r '.conferenceData.conferenceId // "none"' "$W/b")" "200 abc-defg-hij" \
	"... with conferenceDataVersion=1 a copy keeps the meeting"
S=$(ins primary '?conferenceDataVersion=1' "$(evj rules0003 '{"conferenceData":{"createRequest":{"requestId":"r1","conferenceSolutionKey":{"type":"hangoutsMeet"}}}}')")
is "$S $(jq -r '[.conferenceData.createRequest.status.statusCode, (.conferenceData.conferenceId != null)] | join(" ")' "$W/b")" \
	"200 success true" "... and a createRequest makes a meeting of its own"
S=$(ins primary '?conferenceDataVersion=2' "$(evj rules0004 "$CONF")")
is "$S" 400 "... conferenceDataVersion outside 0-1 is a 400"
curl -sS -o "$W/b" -X PUT -H "Authorization: Bearer $AT" -H 'Content-Type: application/json' \
	--data-binary "$(evj rules0002 '{"summary":"renamed"}')" "$EMU_URL/calendar/v3/calendars/primary/events/rules0002"
is "$(jq -r '[.summary, .conferenceData.conferenceId] | join(" ")' "$W/b")" "renamed abc-defg-hij" \
	"an update without conferenceDataVersion leaves the meeting as it was"
ATT='{"attachments":[{"fileUrl":"https://drive.google.com/open?id=x1","title":"Plan"}]}'
S=$(ins primary '' "$(evj rules0005 "$ATT")")
is "$S $(jq -r '.attachments | length' "$W/b")" "200 0" "attachments without supportsAttachments are not taken"
S=$(ins primary '?supportsAttachments=true' "$(evj rules0006 "$ATT")")
is "$S $(jq -r '.attachments | length' "$W/b")" "200 1" "... with supportsAttachments=true they are"
S=$(ins primary '' "$(evj '_6tln0qbdd9i2eal3etkg53hulk3' '{}')")
is "$S $(jq -r .error.message "$W/b")" "400 Invalid resource id value." "an id outside base32hex: 400 Invalid resource id value."
BDAY='{"eventType":"birthday","birthdayProperties":{"type":"birthday"},"start":{"date":"2026-05-04"},"end":{"date":"2026-05-05"},"recurrence":["RRULE:FREQ=YEARLY"],"visibility":"private","transparency":"transparent"}'
S=$(ins primary '' "$(evj rules0007 "$BDAY" | jq -c '.extendedProperties = {"private":{"gcalOwner":"gcal"}}')")
is "$S $(jq -r '.error.errors[0].reason' "$W/b")" "400 eventTypeRestriction" "a birthday event with private extended properties: 400"
S=$(ins primary '' "$(evj rules0008 "$BDAY")")
is "$S" 200 "... without them it is taken"
S=$(ins primary '' "$(evj rules0012 "$BDAY" | jq -c '.description = "cake"')")
is "$S $(jq -r .error.message "$W/b")" "400 Invalid birthday event: description not allowed." \
	"... nor any field the guide does not list for birthdays"
S=$(ins primary /import "$(evj rules0013 '{"eventType":"focusTime","iCalUID":"x1@example.com"}')")
is "$S" 400 "events.import takes only default events"
S=$(ins primary '' "$(evj rules0009 '{"eventType":"fromGmail"}')")
is "$S" 400 "an event from Gmail cannot be created"
SEC=$(emu_ctl POST /_emu/calendars '{"owner":"alice@example.com","summary":"Second"}' | jq -r .id)
S1=$(ins "$SEC" '' "$(evj rules0010 '{"eventType":"focusTime","focusTimeProperties":{}}')")
S2=$(ins primary '' "$(evj rules0010 '{"eventType":"focusTime","focusTimeProperties":{}}')")
is "$S1 $S2" "400 200" "a focusTime event only in a primary calendar"
{
	part r1 POST "/calendar/v3/calendars/$SEC/events?conferenceDataVersion=1" "$(evj rules0011 "$CONF")"
	printf -- '--BOUNDARY_x--\r\n'
} >"$W/batch3"
emu_ctl POST /_emu/log/clear >/dev/null
batch "$W/batch3" >/dev/null
is "$(curl -sS "$EMU_URL/_emu/log" | jq -c '.parts[0] | [.method, .query.conferenceDataVersion, .body.id, .status]')" \
	'["POST","1","rules0011",200]' "the log has each batch part: method, query, body and status"
emu_ctl POST "/_emu/calendars/$SEC/load" '[{"kind":"calendar#event","etag":"\"2969283003776000\"","id":"_6tln0qbdd9i2eal3etkg53h_R20160927T123000","status":"confirmed","summary":"as recorded","start":{"date":"2016-09-27"},"end":{"date":"2016-09-28"},"updated":"2016-01-01T00:00:00.000Z"}]' >/dev/null
is "$(curl -sS -H "Authorization: Bearer $AT" "$EMU_URL/calendar/v3/calendars/$SEC/events" | jq -c '.items[] | select(.summary == "as recorded") | [.id, .etag, .updated]')" \
	'["_6tln0qbdd9i2eal3etkg53h_R20160927T123000","\"2969283003776000\"","2016-01-01T00:00:00.000Z"]' \
	"/_emu/calendars/ID/load keeps recorded events as they are"

exit $((FAILED > 0))
