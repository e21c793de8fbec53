#!/bin/sh
# The Microsoft Graph emulator (tests/emulator/memu.py) follows Microsoft's
# documented behaviour: identity platform v2.0 (auth code + PKCE, device
# code, rotating refresh tokens, AADSTS errors), /me, calendars, events with
# etags, calendarView and its delta, $batch, throttling and faults.
. tests/lib-graph.sh

T=0 FAILED=0
ok() { T=$((T + 1)); if [ "$1" = 0 ]; then echo "ok $T - $2"; else echo "not ok $T - $2"; FAILED=$((FAILED + 1)); fi; }
is() { [ "$1" = "$2" ]; _r=$?; [ $_r = 0 ] || echo "# got '$1', want '$2'"; ok $_r "$3"; }
b64url() { base64 | tr '+/' '-_' | tr -d '=\n'; }

graph_start || { echo 'Bail out! emulator did not start'; exit 1; }
W=${TMPDIR_T:-$(mktemp -d)}
[ -n "${TMPDIR_T:-}" ] || trap 'graph_stop; rm -rf "$W"' EXIT
U=$GRAPH_URL CID=$GRAPH_CLIENT_ID
RURI=http://127.0.0.1:4711/cb
SC='https://graph.microsoft.com/Calendars.ReadWrite User.Read offline_access openid'
VER=$(head -c 48 /dev/urandom | b64url)
CHAL=$(printf %s "$VER" | openssl dgst -sha256 -binary | b64url)

# ---- OAuth: authorize -------------------------------------------------------
authz() { # TENANT extra-args...
	_t=$1; shift
	curl -sS -o "$W/page" -w '%{http_code} %{redirect_url}' -G "$U/$_t/oauth2/v2.0/authorize" "$@"
}
std_authz() { # TENANT extra-args...
	_t=$1; shift
	authz "$_t" --data-urlencode "client_id=$CID" --data-urlencode "redirect_uri=$RURI" \
		-d response_type=code --data-urlencode "scope=$SC" -d state=st4te \
		-d code_challenge="$CHAL" -d code_challenge_method=S256 "$@"
}
qarg() { printf %s "$1" | sed -n "s/.*[?&]$2=\([^&]*\).*/\1/p" | sed 's/%\([0-9A-F][0-9A-F]\)/\\x\1/g' | xargs -0 printf '%b'; }
token() { # TENANT form-args...
	_t=$1; shift
	curl -sS -o "$W/tok" -w '%{http_code}' "$U/$_t/oauth2/v2.0/token" "$@"
}
aad() { jq -r '.error + " " + (.error_codes[0]|tostring) + " " + (.error_description|split(":")[0])' "$W/tok"; }
redeem() { # TENANT CODE [VERIFIER]
	token "$1" -d grant_type=authorization_code --data-urlencode "code=$2" -d client_id=$CID \
		--data-urlencode "redirect_uri=$RURI" --data-urlencode "code_verifier=${3-$VER}"
}

R=$(std_authz common)
case $R in "302 $RURI?code="*"&state=st4te") ok 0 "authorize redirects with code and state";;
	*) ok 1 "authorize redirects with code and state ($R)";; esac
CODE=$(qarg "$R" code)
S=$(redeem common "$CODE" wrong-verifier-wrong-verifier-wrong-verifier-x)
is "$S $(aad)" "400 invalid_grant 501481 AADSTS501481" "a wrong PKCE verifier: invalid_grant AADSTS501481"
is "$(jq -r '[has("timestamp"), has("trace_id"), has("correlation_id"), (.error_description|test("\r\nTrace ID: "))]|@tsv' "$W/tok")" \
	"$(printf 'true\ttrue\ttrue\ttrue')" "AADSTS error body: timestamp, trace_id, correlation_id, Trace ID line"
S=$(redeem common "$CODE")
is "$S" 200 "the code redeemed with the right verifier"
cp "$W/tok" "$W/tok1"
is "$(jq -r '[.token_type, .expires_in, .ext_expires_in, (.scope|split(" ")|index("https://graph.microsoft.com/Calendars.ReadWrite") != null), has("refresh_token"), (.id_token|split(".")|length)]|@tsv' "$W/tok1")" \
	"$(printf 'Bearer\t3599\t3599\ttrue\ttrue\t3')" "token response: Bearer, expires_in, ext_expires_in, scope, refresh_token, id_token"
S=$(redeem common "$CODE")
is "$S $(aad)" "400 invalid_grant 54005 AADSTS54005" "a code is single-use (AADSTS54005)"

R=$(std_authz common); CODE=$(qarg "$R" code)
S=$(token common -d grant_type=authorization_code --data-urlencode "code=$CODE" -d client_id=$CID \
	--data-urlencode "redirect_uri=http://127.0.0.1:4712/other" --data-urlencode "code_verifier=$VER")
is "$S $(jq -r .error "$W/tok")" "400 invalid_grant" "redeeming with another redirect_uri refused"

R=$(std_authz common); CODE=$(qarg "$R" code)
graph_ctl POST /_emu/clock '{"advance_s":601}' >/dev/null
S=$(redeem common "$CODE")
is "$S $(aad)" "400 invalid_grant 70008 AADSTS70008" "an expired code: AADSTS70008"
graph_ctl POST /_emu/clock '{"offset_s":0}' >/dev/null

R=$(authz common --data-urlencode "client_id=$CID" --data-urlencode "redirect_uri=$RURI" \
	-d response_type=code --data-urlencode "scope=$SC" -d state=s)
is "$(qarg "$R" error) $(qarg "$R" error_description | cut -d: -f1)" "invalid_request AADSTS9002325" "authorize without PKCE refused (require_pkce)"
R=$(std_authz common --data-urlencode "scope=Calendars.Frobnicate")
is "$(qarg "$R" error) $(qarg "$R" error_description | cut -d: -f1) $(qarg "$R" state)" "invalid_scope AADSTS70011 st4te" "an unknown scope: invalid_scope AADSTS70011 with state"
R=$(authz common -d client_id=00000000-1111-2222-3333-444444444444 --data-urlencode "redirect_uri=$RURI" -d response_type=code -d scope=User.Read)
case $R in "400 "*) grep -q AADSTS700016 "$W/page"; ok $? "an unknown client: an error page AADSTS700016, no redirect";;
	*) ok 1 "an unknown client: an error page, no redirect ($R)";; esac
R=$(std_authz common --data-urlencode "redirect_uri=https://evil.example/cb")
case $R in "400 "*) grep -q AADSTS50011 "$W/page"; ok $? "a redirect URI not registered: AADSTS50011 page";;
	*) ok 1 "a redirect URI not registered: AADSTS50011 page ($R)";; esac
graph_ctl POST /_emu/config '{"consent":"deny"}' >/dev/null
R=$(std_authz common)
is "$(qarg "$R" error) $(qarg "$R" error_subcode) $(qarg "$R" state)" "access_denied cancel st4te" "consent denied: error=access_denied&error_subcode=cancel"
graph_ctl POST /_emu/config '{"consent":"auto"}' >/dev/null

# tenants
R=$(std_authz organizations); CODE=$(qarg "$R" code)
is "$(redeem organizations "$CODE")" 200 "tenant organizations admits a work account"
R=$(std_authz consumers --data-urlencode login_hint=alice@contoso.com)
is "$(qarg "$R" error)" invalid_request "tenant consumers refuses a work account"
R=$(std_authz consumers --data-urlencode login_hint=carol@outlook.com); CODE=$(qarg "$R" code)
is "$(redeem consumers "$CODE")" 200 "tenant consumers admits a Microsoft account"
R=$(std_authz contoso.onmicrosoft.com); CODE=$(qarg "$R" code)
is "$(redeem 3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b "$CODE")" 200 "tenant by domain and by GUID"
S=$(token 11111111-2222-3333-4444-555555555555 -d grant_type=refresh_token -d client_id=$CID -d refresh_token=x)
is "$S $(aad)" "400 invalid_request 90002 AADSTS90002" "an unknown tenant GUID: AADSTS90002"

# client checks
S=$(token common -d grant_type=refresh_token -d client_id=$CID -d client_secret=s3cr3t -d refresh_token=x)
is "$S $(aad)" "401 invalid_client 700025 AADSTS700025" "a public client sending a secret: 401 invalid_client"
S=$(token common -d grant_type=refresh_token -d client_id=$GRAPH_CONF_CLIENT_ID -d refresh_token=x)
is "$S $(aad)" "401 invalid_client 7000218 AADSTS7000218" "a confidential client without its secret: 401"
S=$(token common -d grant_type=password -d client_id=$CID)
is "$S $(jq -r .error "$W/tok")" "400 unsupported_grant_type" "an unsupported grant_type"
S=$(token common -d grant_type=refresh_token -d refresh_token=x)
is "$S $(aad)" "400 invalid_request 900144 AADSTS900144" "no client_id: AADSTS900144"

# refresh tokens rotate
RT1=$(jq -r .refresh_token "$W/tok1")
S=$(token common -d grant_type=refresh_token -d client_id=$CID --data-urlencode "refresh_token=$RT1")
RT2=$(jq -r .refresh_token "$W/tok")
[ "$S" = 200 ] && [ -n "$RT2" ] && [ "$RT2" != null ] && [ "$RT2" != "$RT1" ]
ok $? "a refresh answers a new refresh token"
S=$(token common -d grant_type=refresh_token -d client_id=$CID --data-urlencode "refresh_token=$RT1")
is "$S" 200 "the old refresh token stays valid by default (as documented)"
graph_ctl POST /_emu/config '{"old_refresh_valid":false}' >/dev/null
S=$(token common -d grant_type=refresh_token -d client_id=$CID --data-urlencode "refresh_token=$RT2")
RT3=$(jq -r .refresh_token "$W/tok")
S=$(token common -d grant_type=refresh_token -d client_id=$CID --data-urlencode "refresh_token=$RT2")
is "$S $(aad)" "400 invalid_grant 70008 AADSTS70008" "old_refresh_valid false: a used refresh token is refused"
graph_ctl POST /_emu/refresh/revoke '{"user":"alice@contoso.com"}' >/dev/null
S=$(token common -d grant_type=refresh_token -d client_id=$CID --data-urlencode "refresh_token=$RT3")
is "$S $(aad)" "400 invalid_grant 50173 AADSTS50173" "a revoked grant: AADSTS50173"
graph_ctl POST /_emu/config '{"old_refresh_valid":true}' >/dev/null

# ---- device code --------------------------------------------------------------
graph_ctl POST /_emu/config '{"device_interval":1}' >/dev/null
dcode() { curl -sS -o "$W/dc" -w '%{http_code}' "$U/organizations/oauth2/v2.0/devicecode" -d client_id=$CID --data-urlencode "scope=$SC"; }
poll() { token organizations -d grant_type=urn:ietf:params:oauth:grant-type:device_code -d client_id=$CID --data-urlencode "device_code=$1"; }
S=$(dcode)
is "$S $(jq -r '[.verification_uri, .expires_in, .interval, (.message|test("microsoft.com/devicelogin")), (.user_code|length > 0)]|@tsv' "$W/dc")" \
	"200 $(printf 'https://microsoft.com/devicelogin\t900\t1\ttrue\ttrue')" "devicecode: user_code, verification_uri, expires_in, interval, message"
DC=$(jq -r .device_code "$W/dc") UC=$(jq -r .user_code "$W/dc")
S=$(poll "$DC")
is "$S $(aad)" "400 authorization_pending 70016 AADSTS70016" "polling before the user acts: authorization_pending"
S=$(poll "$DC")
is "$S $(jq -r .error "$W/tok")" "400 slow_down" "polling faster than the interval: slow_down"
S=$(poll not-a-device-code)
is "$S $(jq -r .error "$W/tok")" "400 bad_verification_code" "an unknown device_code: bad_verification_code"
graph_ctl POST /_emu/device/approve "{\"user_code\":\"$UC\",\"user\":\"bob@contoso.com\"}" >/dev/null
sleep 1.1
S=$(poll "$DC")
is "$S $(jq -r '.access_token|split(".")[1]|gsub("-";"+")|gsub("_";"/")|. + "==" | @base64d | fromjson | .upn' "$W/tok" 2>/dev/null)" "200 bob@contoso.com" "an approved device code answers bob's tokens"
dcode >/dev/null; DC=$(jq -r .device_code "$W/dc") UC=$(jq -r .user_code "$W/dc")
graph_ctl POST /_emu/device/decline "{\"user_code\":\"$UC\"}" >/dev/null
is "$(poll "$DC") $(jq -r .error "$W/tok")" "400 authorization_declined" "a declined device code: authorization_declined"
dcode >/dev/null; DC=$(jq -r .device_code "$W/dc")
graph_ctl POST /_emu/clock '{"advance_s":901}' >/dev/null
is "$(poll "$DC") $(jq -r .error "$W/tok")" "400 expired_token" "a device code past expires_in: expired_token"
graph_ctl POST /_emu/clock '{"offset_s":0}' >/dev/null

# ---- Graph: bearer, /me, calendars ------------------------------------------------
AT=$(graph_access)
g() { # METHOD PATH [curl args...]
	_m=$1 _p=$2; shift 2
	curl -sS -o "$W/body" -D "$W/hdr" -w '%{http_code}' -X "$_m" -H "Authorization: Bearer $AT" "$@" "$U/v1.0/$_p"
}
gj() { # METHOD PATH JSON [curl args...]
	_m=$1 _p=$2 _j=$3; shift 3
	g "$_m" "$_p" -H 'Content-Type: application/json' --data-binary "$_j" "$@"
}
code() { jq -r .error.code "$W/body"; }
hdr() { tr -d '\r' <"$W/hdr" | sed -n "s/^$1: //Ip" | tail -1; }

S=$(curl -sS -o "$W/body" -w '%{http_code}' "$U/v1.0/me")
is "$S $(code) $(jq -r .error.message "$W/body")" "401 InvalidAuthenticationToken Access token is empty." "no bearer: 401 InvalidAuthenticationToken"
is "$(jq -r '.error.innerError|[has("date"), has("request-id"), has("client-request-id")]|@tsv' "$W/body")" "$(printf 'true\ttrue\ttrue')" "error body: innerError date, request-id, client-request-id"
S=$(curl -sS -o "$W/body" -w '%{http_code}' -H "Authorization: Bearer eyJ0.eyJ1.bogus" "$U/v1.0/me")
is "$S $(code)" "401 InvalidAuthenticationToken" "an unknown token: 401"
S=$(g GET me)
is "$S $(jq -r '[.userPrincipalName, .mail, .displayName, (.id|length)]|@tsv' "$W/body")" "200 $(printf 'alice@contoso.com\talice@contoso.com\tAlice Example\t36')" "/me"
AT=$(graph_access alice@contoso.com Calendars.Read)
is "$(gj POST me/events '{"subject":"x"}') $(code)" "403 ErrorAccessDenied" "a write with Calendars.Read only: 403"
AT=$(graph_access)
graph_ctl POST /_emu/tokens/expire '{}' >/dev/null
is "$(g GET me) $(jq -r .error.message "$W/body")" "401 Lifetime validation failed, the token is expired." "an expired token: 401"
AT=$(graph_access)
S=$(g GET 'me/calendars?$top=1')
NL=$(jq -r '."@odata.nextLink"' "$W/body")
is "$S $(jq -r '.value|length' "$W/body") $(jq -r '.value[0].isDefaultCalendar' "$W/body")" "200 1 true" "calendars list, \$top=1"
S=$(curl -sS -o "$W/body" -w '%{http_code}' -H "Authorization: Bearer $AT" "$NL")
is "$S $(jq -r '[.value[0].name, has("@odata.nextLink")]|@tsv' "$W/body")" "200 $(printf 'Team\tfalse')" "calendars page 2 through @odata.nextLink"
S=$(g GET me/calendar)
DEFCAL=$(jq -r .id "$W/body")
is "$S $(jq -r '[.isDefaultCalendar, .owner.address, (.changeKey|length > 0)]|@tsv' "$W/body")" "200 $(printf 'true\talice@contoso.com\ttrue')" "/me/calendar is the default calendar"
S=$(gj POST me/calendars '{"name":"Bookings"}')
BOOK=$(jq -r .id "$W/body")
is "$S $(jq -r '[.name, .isDefaultCalendar]|@tsv' "$W/body")" "201 $(printf 'Bookings\tfalse')" "POST /me/calendars creates a calendar"
is "$(gj POST me/calendars '{"name":"bookings"}') $(code)" "409 ErrorFolderExists" "a second calendar of the same name: 409"
is "$(g GET "me/calendars/$BOOK") $(jq -r .name "$W/body")" "200 Bookings" "GET one calendar"
is "$(g GET me/calendars/AAMkAGnope) $(code)" "404 ErrorItemNotFound" "an unknown calendar: 404 ErrorItemNotFound"

# ---- events CRUD --------------------------------------------------------------------
EV='{"subject":"Kick-off","body":{"contentType":"html","content":"<p>Agenda</p>"},"start":{"dateTime":"2026-03-02T09:00:00","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2026-03-02T10:00:00","timeZone":"W. Europe Standard Time"},"location":{"displayName":"Room 1"},"attendees":[{"emailAddress":{"address":"bob@contoso.com","name":"Bob"},"type":"required"}],"transactionId":"gcal-txn-0001","singleValueExtendedProperties":[{"id":"String {66f5a359-4659-4830-9070-00047ec6ac6e} Name gcalKey","value":"k-0001"}]}'
S=$(gj POST me/events "$EV")
E1=$(jq -r .id "$W/body") ET1=$(jq -r '."@odata.etag"' "$W/body") CK1=$(jq -r .changeKey "$W/body")
is "$S $(jq -r '[.type, .start.dateTime, .start.timeZone, .originalStartTimeZone, .bodyPreview, .location.displayName, .attendees[0].status.response, (has("singleValueExtendedProperties"))]|@tsv' "$W/body")" \
	"201 $(printf 'singleInstance\t2026-03-02T08:00:00.0000000\tUTC\tW. Europe Standard Time\tAgenda\tRoom 1\tnone\tfalse')" "POST /me/events: times in UTC, original zone kept, preview, attendees"
is "$ET1" "W/\"$CK1\"" "@odata.etag is W/\"changeKey\""
S=$(gj POST me/events "$EV")
is "$S $(jq -r .id "$W/body")" "201 $E1" "a POST repeating a transactionId returns the same event"
is "$(g GET 'me/events?$top=50') $(jq -r '.value|length' "$W/body")" "200 1" "... and makes no duplicate"
P="String {66f5a359-4659-4830-9070-00047ec6ac6e} Name gcalKey"
S=$(g GET "me/events/$E1" -G --data-urlencode "\$expand=singleValueExtendedProperties(\$filter=id eq '$P')")
is "$S $(jq -r '.singleValueExtendedProperties[0].value' "$W/body")" "200 k-0001" "extended property returned with \$expand"
S=$(g GET me/events -G --data-urlencode "\$filter=singleValueExtendedProperties/Any(ep: ep/id eq '$P' and ep/value eq 'k-0001')")
is "$S $(jq -r '.value[0].id' "$W/body")" "200 $E1" "events found by extended property \$filter"
S=$(gj PATCH "me/events/$E1" '{"subject":"Kick-off (moved)"}' -H "If-Match: $ET1")
ET2=$(jq -r '."@odata.etag"' "$W/body")
[ "$S" = 200 ] && [ "$ET2" != "$ET1" ] && [ "$(jq -r .subject "$W/body")" = "Kick-off (moved)" ]
ok $? "PATCH with the current etag: 200 and a new etag"
is "$(gj PATCH "me/events/$E1" '{"subject":"lost"}' -H "If-Match: $ET1") $(code)" "412 ErrorIrresolvableConflict" "PATCH with a stale etag: 412"
is "$(g DELETE "me/events/$E1" -H "If-Match: $ET1") $(code)" "412 ErrorIrresolvableConflict" "DELETE with a stale etag: 412"
is "$(gj PATCH "me/events/$E1" '{"frobnicate":1}') $(code)" "400 RequestBodyRead" "an unknown property: 400 RequestBodyRead"
is "$(gj PATCH "me/events/$E1" '{"showAs":"sleeping"}') $(code)" "400 RequestBodyRead" "a bad enum value: 400"
is "$(gj POST me/events '{"subject":"tz","start":{"dateTime":"2026-03-02T09:00:00","timeZone":"Mars/Olympus"},"end":{"dateTime":"2026-03-02T10:00:00","timeZone":"UTC"}}') $(code)" \
	"400 TimeZoneNotSupportedException" "an unknown time zone: 400 TimeZoneNotSupportedException"
S=$(g GET "me/events/$E1" -H 'Prefer: outlook.timezone="Pacific Standard Time"')
is "$S $(jq -r '.start.dateTime + " " + .start.timeZone' "$W/body") $(hdr Preference-Applied)" \
	"200 2026-03-02T00:00:00.0000000 Pacific Standard Time outlook.timezone=\"Pacific Standard Time\"" "Prefer outlook.timezone: times in that zone, Preference-Applied"
S=$(g GET "me/events/$E1" -H 'Prefer: IdType="ImmutableId"')
IMM=$(jq -r .id "$W/body")
[ "$S" = 200 ] && [ "$IMM" != "$E1" ]
ok $? "Prefer IdType=\"ImmutableId\" answers another id"
graph_ctl POST "/_emu/events/$E1/move" "{\"calendar\":\"$BOOK\"}" >/dev/null
is "$(g GET "me/events/$E1") $(code)" "404 ErrorItemNotFound" "after a move in Outlook the REST id is gone"
is "$(g GET "me/events/$IMM" -H 'Prefer: IdType="ImmutableId"') $(jq -r .id "$W/body")" "200 $IMM" "... the immutable id still finds it"
is "$(g GET "me/calendars/$BOOK/events/$IMM") $(code)" "200 null" "... in the calendar it moved to"
E1=$(jq -r .id "$W/body") ET=$(jq -r '."@odata.etag"' "$W/body")
is "$(g DELETE "me/events/$E1" -H "If-Match: $ET")" 204 "DELETE with the current etag: 204"
is "$(g GET "me/events/$E1") $(code)" "404 ErrorItemNotFound" "a deleted event: 404 ErrorItemNotFound"

# ---- calendarView, delta, recurrence ----------------------------------------------------
WIN='startDateTime=2026-04-01T00:00:00Z&endDateTime=2026-05-01T00:00:00Z'
mk() { gj POST "me/calendars/$BOOK/events" "{\"subject\":\"$1\",\"start\":{\"dateTime\":\"$2\",\"timeZone\":\"UTC\"},\"end\":{\"dateTime\":\"$3\",\"timeZone\":\"UTC\"}}" >/dev/null; jq -r .id "$W/body"; }
A=$(mk A 2026-04-01T09:00:00 2026-04-01T10:00:00)
B=$(mk B 2026-04-02T09:00:00 2026-04-02T10:00:00)
C=$(mk C 2026-04-03T09:00:00 2026-04-03T10:00:00)
mk Outside 2026-06-01T09:00:00 2026-06-01T10:00:00 >/dev/null
is "$(g GET "me/calendars/$BOOK/calendarView") $(code)" "400 ErrorInvalidParameter" "calendarView without a window: 400"
S=$(g GET "me/calendars/$BOOK/calendarView?$WIN&\$top=2")
is "$S $(jq -r '[.value[].subject]|join(",")' "$W/body") $(jq -r 'has("@odata.nextLink")' "$W/body")" "200 A,B true" "calendarView: the window's events, paged"
S=$(gj POST "me/calendars/$BOOK/events" '{"subject":"Standup","start":{"dateTime":"2026-04-06T09:00:00","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2026-04-06T09:15:00","timeZone":"W. Europe Standard Time"},"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday","thursday"],"firstDayOfWeek":"monday"},"range":{"type":"numbered","startDate":"2026-04-06","numberOfOccurrences":4}}}')
SM=$(jq -r .id "$W/body")
is "$S $(jq -r .type "$W/body")" "201 seriesMaster" "a recurring event is a seriesMaster"
delta_round() { # URL -> all pages' values in $W/round, last link in $W/link
	: >"$W/round"; _url=$1; _n=0
	while :; do
		_n=$((_n + 1))
		curl -sS -o "$W/body" -H "Authorization: Bearer $AT" -H 'Prefer: odata.maxpagesize=3' "$_url" || return 1
		jq -c '.value[]' "$W/body" >>"$W/round"
		_nl=$(jq -r '."@odata.nextLink" // empty' "$W/body")
		[ -n "$_nl" ] || break
		_url=$_nl
	done
	jq -r '."@odata.deltaLink"' "$W/body" >"$W/link"
	echo "$_n"
}
N=$(delta_round "$U/v1.0/me/calendars/$BOOK/calendarView/delta?$WIN")
is "$N $(jq -rs '[.[]|.subject + ":" + .type]|sort|join(",")' "$W/round")" \
	"3 $(printf 'A:singleInstance,B:singleInstance,C:singleInstance,Standup:occurrence,Standup:occurrence,Standup:occurrence,Standup:occurrence')" "delta round 1: 3 pages of at most 3, occurrences not the master"
is "$(jq -rs '[.[]|select(.type=="occurrence")|(.seriesMasterId == $m) and (.originalStart|test("Z$"))]|all' --arg m "$SM" "$W/round")" true "occurrences carry seriesMasterId and originalStart"
grep -q 'deltatoken=' "$W/link"; ok $? "the last page carries @odata.deltaLink with \$deltatoken"
LINK=$(cat "$W/link")
N=$(delta_round "$LINK")
is "$N $(wc -l <"$W/round" | tr -d ' ')" "1 0" "delta round 2 with no change: nothing"
LINK=$(cat "$W/link")
gj PATCH "me/events/$B" '{"subject":"B2"}' >/dev/null
g DELETE "me/events/$C" >/dev/null
g GET "me/events/$SM/instances?$WIN" >/dev/null
OCC2=$(jq -r '.value[1].id' "$W/body") OCC3=$(jq -r '.value[2].id' "$W/body")
is "$(jq -r '[.value[].type]|join(",")' "$W/body")" "occurrence,occurrence,occurrence,occurrence" "instances of the series"
gj PATCH "me/events/$OCC2" '{"subject":"Standup (late)","start":{"dateTime":"2026-04-09T10:00:00","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2026-04-09T10:15:00","timeZone":"W. Europe Standard Time"}}' >/dev/null
is "$(jq -r '.type + " " + .subject' "$W/body")" "exception Standup (late)" "PATCH of an occurrence makes an exception"
is "$(g DELETE "me/events/$OCC3")" 204 "DELETE of an occurrence"
N=$(delta_round "$LINK")
is "$(jq -rs '[.[]|if ."@removed" then "removed:" + .id else .subject + ":" + .type end]|sort|join(",")' "$W/round")" \
	"$(printf '%s\n' "B2:singleInstance" "Standup (late):exception" "removed:$C" "removed:$OCC3" | sort | paste -sd, -)" "delta round 3: the changed, the exception, and @removed for the deleted"
is "$(jq -rs '[.[]|select(."@removed")|.["@removed"].reason + " " + .["@odata.type"]]|unique|join(",")' "$W/round")" "deleted #microsoft.graph.event" "@removed: reason deleted, @odata.type"
S=$(curl -sS -o "$W/body" -w '%{http_code}' -H "Authorization: Bearer $AT" "$U/v1.0/me/calendarView/delta?\$deltatoken=bogus")
is "$S $(code)" "410 syncStateNotFound" "an unknown delta token: 410 syncStateNotFound"
graph_ctl POST /_emu/delta/invalidate '{"code":"resyncRequired"}' >/dev/null
S=$(curl -sS -o "$W/body" -w '%{http_code}' -H "Authorization: Bearer $AT" "$(cat "$W/link")")
is "$S $(code)" "410 resyncRequired" "an invalidated delta token: 410 resyncRequired"

echo "1..$T"
[ "$FAILED" = 0 ]
