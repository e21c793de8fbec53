#!/bin/sh
# The emulator's Calendar v3 events/calendars behave like Google's: CRUD, ids,
# conditional requests, errors, paging, sync tokens, recurring events.
. tests/lib-emu.sh

T=0 FAILED=0
ok() { T=$((T + 1)); if [ "$1" = 0 ]; then echo "ok $T - $2"; else echo "not ok $T - $2"; FAILED=$((FAILED + 1)); fi; }
is() { [ "$1" = "$2" ]; _r=$?; [ $_r = 0 ] || echo "# got '$1', want '$2'"; ok $_r "$3"; }

echo 1..35
emu_start || { echo 'Bail out! emulator did not start'; exit 1; }
W=${TMPDIR_T:-$(mktemp -d)}
[ -n "${TMPDIR_T:-}" ] || trap 'emu_stop; rm -rf "$W"' EXIT
AT=$(emu_token | jq -r .access_token)
B=$EMU_URL/calendar/v3/calendars
# req METHOD URL [JSON] [extra curl args] -> status; body in $W/b
req() {
	_m=$1 _u=$2; shift 2
	if [ $# -ge 1 ] && [ -n "$1" ]; then _d=$1; shift
		curl -sS -o "$W/b" -D "$W/h" -w '%{http_code}' -X "$_m" -H "Authorization: Bearer $AT" \
			-H 'Content-Type: application/json' --data-binary "$_d" "$@" "$_u"
	else [ $# -ge 1 ] && shift
		curl -sS -o "$W/b" -D "$W/h" -w '%{http_code}' -X "$_m" -H "Authorization: Bearer $AT" "$@" "$_u"
	fi
}
reason() { jq -r '.error.errors[0].reason' "$W/b"; }
EV='{"id":"gcal0001abc","summary":"Standup","start":{"dateTime":"2026-02-02T09:00:00+01:00"},"end":{"dateTime":"2026-02-02T09:15:00+01:00"},"extendedProperties":{"private":{"gcalLink":"L1"}}}'

S=$(req POST "$B/primary/events" "$EV")
is "$S $(jq -r '[.kind,.id,.status,.iCalUID,.sequence,.creator.self,.organizer.email,.reminders.useDefault,.eventType]|map(tostring)|join(" ")' "$W/b")" \
	"200 calendar#event gcal0001abc confirmed gcal0001abc@google.com 0 true alice@example.com true default" "insert returns Google's event shape"
ETAG1=$(jq -r .etag "$W/b")
case $ETAG1 in \"[0-9]*\") ok 0 "etag is a quoted number";; *) ok 1 "etag is a quoted number ($ETAG1)";; esac
jq -r .updated "$W/b" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'; ok $? "updated is RFC 3339 with milliseconds"

S=$(req POST "$B/primary/events" "$EV"); is "$S $(reason)" "409 duplicate" "same id again: 409 duplicate"
S=$(req POST "$B/primary/events" '{"id":"UPPER_case","start":{"date":"2026-01-01"},"end":{"date":"2026-01-02"}}')
is "$S $(reason) $(jq -r .error.message "$W/b")" "400 invalid Invalid resource id value." "non-base32hex id refused"
S=$(req POST "$B/primary/events" '{"id":"abcd","start":{"date":"2026-01-01"},"end":{"date":"2026-01-02"}}')
is "$S" 400 "4-character id refused"
S=$(req POST "$B/primary/events" '{"summary":"x","start":{"date":"2026-01-01"}}'); is "$S $(reason)" "400 required" "missing end: required"
S=$(req POST "$B/primary/events" '{"start":{"dateTime":"2026-01-01T10:00:00Z"},"end":{"dateTime":"2026-01-01T09:00:00Z"}}')
is "$S $(reason) $(jq -r '.error.errors[0].domain' "$W/b")" "400 timeRangeEmpty calendar" "end before start: timeRangeEmpty"

S=$(req GET "$B/primary/events/gcal0001abc"); is "$S $(jq -r .summary "$W/b")" "200 Standup" "get"
S=$(req GET "$B/primary/events/gcal0001abc" "" -H "If-None-Match: $ETAG1"); is "$S" 304 "If-None-Match with current etag: 304"
S=$(req GET "$B/primary/events/nosuchevent1"); is "$S $(reason)" "404 notFound" "unknown event: 404 notFound"

S=$(req PATCH "$B/primary/events/gcal0001abc" '{"summary":"Standup (moved)","start":{"dateTime":"2026-02-02T10:00:00+01:00"},"end":{"dateTime":"2026-02-02T10:15:00+01:00"}}' -H "If-Match: $ETAG1")
ETAG2=$(jq -r .etag "$W/b")
is "$S $(jq -r '[.summary, .sequence, .extendedProperties.private.gcalLink]|map(tostring)|join("|")' "$W/b")" "200 Standup (moved)|1|L1" "patch with If-Match merges and bumps sequence"
[ "$ETAG1" != "$ETAG2" ]; ok $? "etag changes on update"
S=$(req PUT "$B/primary/events/gcal0001abc" "$EV" -H "If-Match: $ETAG1")
is "$S $(reason) $(jq -r .error.message "$W/b")" "412 conditionNotMet Precondition Failed" "stale If-Match: 412 conditionNotMet"
S=$(req PUT "$B/primary/events/gcal0001abc" '{"summary":"Full","start":{"date":"2026-02-03"},"end":{"date":"2026-02-04"}}' -H "If-Match: $ETAG2")
is "$S $(jq -r '[.summary, .start.date, (.extendedProperties == null)]|map(tostring)|join("|")' "$W/b")" "200 Full|2026-02-03|true" "update replaces the whole resource"

S=$(req DELETE "$B/primary/events/gcal0001abc" "" -H "If-Match: $ETAG1"); is "$S" 412 "delete with stale If-Match: 412"
S=$(req DELETE "$B/primary/events/gcal0001abc"); is "$S" 204 "delete: 204"
S=$(req DELETE "$B/primary/events/gcal0001abc"); is "$S $(reason)" "410 deleted" "delete again: 410 deleted"
S=$(req GET "$B/primary/events/gcal0001abc"); is "$S $(jq -r .status "$W/b")" "200 cancelled" "get of a deleted event: status cancelled"
S=$(req POST "$B/primary/events" "$EV"); is "$S $(reason)" "409 duplicate" "re-inserting a deleted id: 409 duplicate"

# --- paging and sync tokens on the secondary calendar
TEAM=$(emu_ctl GET /_emu/calendars | jq -r '.[] | select(.summary=="Team") | .id')
TEAMQ=$(printf %s "$TEAM" | jq -sRr @uri)
emu_ctl POST "/_emu/calendars/$TEAMQ/generate" '{"count":25,"start":"2026-03-02T08:00:00Z"}' >/dev/null
pull() { # extra query -> items in $W/items, token in $W/sync, pages in $W/pages
	: >"$W/items"; _pt= _n=0
	while :; do
		_n=$((_n + 1))
		req GET "$B/$TEAMQ/events" "" -G -d maxResults=10 "$@" ${_pt:+--data-urlencode "pageToken=$_pt"} >/dev/null
		jq -c '.items[]' "$W/b" >>"$W/items"
		_pt=$(jq -r '.nextPageToken // empty' "$W/b")
		if [ -z "$_pt" ]; then jq -r '.nextSyncToken // empty' "$W/b" >"$W/sync"; break; fi
		[ -z "$(jq -r '.nextSyncToken // empty' "$W/b")" ] || { echo "# nextSyncToken before last page"; return 1; }
	done
	echo $_n >"$W/pages"
}
pull; is "$(wc -l <"$W/items" | tr -d ' ') $(cat "$W/pages") $(test -s "$W/sync" && echo tok)" "25 3 tok" "full pull pages 10 at a time, token on last page"
TOK=$(cat "$W/sync")
pull --data-urlencode "syncToken=$TOK"
is "$(wc -l <"$W/items" | tr -d ' ')" 0 "incremental pull with no change is empty"
ID1=$(emu_ctl GET "/_emu/calendars/$TEAMQ/events" | jq -rs ".[0].id")
ID2=$(emu_ctl GET "/_emu/calendars/$TEAMQ/events" | sed -n 2p | jq -r .id)
emu_ctl PATCH "/_emu/calendars/$TEAMQ/events/$ID1" '{"summary":"edited by hand"}' >/dev/null
emu_ctl DELETE "/_emu/calendars/$TEAMQ/events/$ID2" >/dev/null
pull --data-urlencode "syncToken=$TOK"
is "$(jq -sc 'map({id,status,summary})' "$W/items")" "[{\"id\":\"$ID1\",\"status\":\"confirmed\",\"summary\":\"edited by hand\"},{\"id\":\"$ID2\",\"status\":\"cancelled\",\"summary\":null}]" \
	"incremental pull returns the change and the deletion"
S=$(req GET "$B/$TEAMQ/events" "" -G --data-urlencode "syncToken=$TOK" -d timeMin=2026-01-01T00:00:00Z)
is "$S $(reason)" "400 syncTokenWithRequestRestrictions" "syncToken with timeMin refused"
emu_ctl POST /_emu/synctokens/invalidate "{\"calendar\":\"$TEAM\"}" >/dev/null
S=$(req GET "$B/$TEAMQ/events" "" -G --data-urlencode "syncToken=$TOK")
is "$S $(reason) $(jq -r .error.message "$W/b")" "410 fullSyncRequired Sync token is no longer valid, a full sync is required." "invalidated token: 410 fullSyncRequired"
pull -d showDeleted=true; is "$(wc -l <"$W/items" | tr -d ' ')" 25 "showDeleted includes the cancelled event"
S=$(req GET "$B/$TEAMQ/events" "" -G -d orderBy=startTime); is "$S" 400 "orderBy=startTime needs singleEvents"
S=$(req GET "$B/$TEAMQ/events" "" -G -d timeMin=2026-03-02T09:00:00Z -d timeMax=2026-03-02T13:00:00Z -d singleEvents=true -d orderBy=startTime)
is "$S $(jq '.items|length' "$W/b")" "200 2" "timeMin/timeMax window"
S=$(req GET "$B/$TEAMQ/events" "" -G --data-urlencode 'privateExtendedProperty=gcalLink=L1')
is "$S $(jq '.items|length' "$W/b")" "200 0" "privateExtendedProperty filter"

# --- recurring event, one moved instance, one cancelled instance
REC='{"id":"recur00001","summary":"Weekly","start":{"dateTime":"2026-03-02T10:00:00","timeZone":"Europe/Amsterdam"},"end":{"dateTime":"2026-03-02T11:00:00","timeZone":"Europe/Amsterdam"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO"]}'
S=$(req POST "$B/primary/events" "$REC"); is "$S" 200 "insert recurring event"
S=$(req PATCH "$B/primary/events/recur00001_20260309T090000Z" '{"summary":"Weekly (moved)","start":{"dateTime":"2026-03-10T10:00:00+01:00"},"end":{"dateTime":"2026-03-10T11:00:00+01:00"}}')
is "$S $(jq -r '[.recurringEventId, .originalStartTime.dateTime]|join(" ")' "$W/b")" "200 recur00001 2026-03-09T10:00:00+01:00" "patching an instance stores an exception"
S=$(req DELETE "$B/primary/events/recur00001_20260316T090000Z"); is "$S" 204 "cancel one instance"
S=$(req GET "$B/primary/events" "" -G -d singleEvents=true -d orderBy=startTime -d q=Weekly)
is "$(jq -r '[.items[] | .start.dateTime] | join(",")' "$W/b")" \
	"2026-03-02T10:00:00+01:00,2026-03-10T10:00:00+01:00,2026-03-23T10:00:00+01:00,2026-03-30T10:00:00+02:00,2026-04-06T10:00:00+02:00" \
	"singleEvents expands in local time across DST, with the exception and without the cancelled one"
S=$(req GET "$B/primary/events/recur00001/instances"); is "$S $(jq '.items|length' "$W/b")" "200 5" "instances"

curl -sS -o "$W/gz" -D "$W/h" --compressed -H "Authorization: Bearer $AT" -H 'Accept-Encoding: gzip' "$B/primary/events" >/dev/null
is "$(grep -ci '^content-encoding: gzip' "$W/h") $(jq -r .kind "$W/gz")" "1 calendar#events" "gzip response when asked"

exit $((FAILED > 0))
