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

S=$(token common -H 'Content-Type: application/json' -d "{\"grant_type\":\"refresh_token\",\"client_id\":\"$CID\",\"refresh_token\":\"x\"}")
is "$S $(aad)" "400 invalid_request 900144 AADSTS900144" "a JSON body is not read (form only)"
S=$(curl -sS -o "$W/tok" -w '%{http_code}' "$U/common/oauth2/v2.0/token")
is "$S $(aad)" "400 invalid_request 900561 AADSTS900561" "GET on the token endpoint: AADSTS900561"

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

# secret_marker: every secret handed out carries it (tests/t/canary.t's method)
graph_ctl POST /_emu/config '{"secret_marker":"CANARYzz"}' >/dev/null
R=$(std_authz common); CODE=$(qarg "$R" code)
redeem common "$CODE" >/dev/null
is "$(printf %s "$CODE" | grep -c CANARYzz) $(jq -r '[.access_token, .refresh_token]|map(test("CANARYzz"))|all' "$W/tok")" "1 true" "secret_marker in codes, access and refresh tokens"
graph_ctl POST /_emu/config '{"secret_marker":""}' >/dev/null

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
is "$(poll "$DC") $(aad)" "400 expired_token 70019 AADSTS70019" "a device code past expires_in: expired_token (AADSTS70019)"
graph_ctl POST /_emu/clock '{"offset_s":0}' >/dev/null

is "$(graph_login bob@contoso.com '' organizations | jq -r '(.access_token|length > 0|tostring) + " " + (.refresh_token|length > 0|tostring)')" "true true" "lib-graph.sh graph_login: the PKCE flow with curl"

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
is "$(jq -r '."@odata.context"|test("/events/\\$entity$")' "$W/body") $(hdr Location | grep -c "/Events('")" "true 1" "a created event: @odata.context and Location"
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
S=$(g GET "me/events/$E1")
is "$(jq -r '.body.contentType + " " + (.body.content|startswith("<html><head>") and contains("<p>Agenda</p>")|tostring)' "$W/body")" "html true" "an HTML body comes back wrapped as Exchange stores it"
gj PATCH "me/events/$E1" '{"body":{"contentType":"text","content":"line 1\nline <2> & 3"}}' >/dev/null
is "$(jq -r '.body.contentType + " " + (.body.content|contains("converted from text") and contains("line 1<br>\r\nline &lt;2&gt; &amp; 3")|tostring)' "$W/body")" "html true" "a text body is answered as HTML (converted from text)"
S=$(g GET "me/events/$E1" -H 'Prefer: outlook.body-content-type="text"')
is "$(jq -c .body "$W/body") $(hdr Preference-Applied)" '{"contentType":"text","content":"line 1\nline <2> & 3"} outlook.body-content-type="text"' "Prefer outlook.body-content-type=\"text\": the text back"
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

# ---- recurrence patterns (instances) ------------------------------------------------------
series() { # PATTERN RANGE START -> the dates of its instances in 2026-2029
	gj POST "me/calendars/$BOOK/events" "{\"subject\":\"S\",\"start\":{\"dateTime\":\"$3T09:00:00\",\"timeZone\":\"UTC\"},\"end\":{\"dateTime\":\"$3T10:00:00\",\"timeZone\":\"UTC\"},\"recurrence\":{\"pattern\":$1,\"range\":$2}}" >/dev/null
	_sid=$(jq -r .id "$W/body")
	[ "$_sid" != null ] || { jq -c . "$W/body" >&2; return 1; }
	g GET "me/events/$_sid/instances?startDateTime=2026-01-01T00:00:00Z&endDateTime=2030-01-01T00:00:00Z&\$top=100" >/dev/null
	jq -r '[.value[].start.dateTime[0:10]]|join(",")' "$W/body"
}
is "$(series '{"type":"daily","interval":2}' '{"type":"endDate","startDate":"2026-04-01","endDate":"2026-04-07"}' 2026-04-01)" \
	"2026-04-01,2026-04-03,2026-04-05,2026-04-07" "daily, interval 2, range endDate (inclusive)"
is "$(series '{"type":"weekly","interval":2,"daysOfWeek":["monday","friday"],"firstDayOfWeek":"sunday"}' '{"type":"numbered","startDate":"2026-04-06","numberOfOccurrences":4}' 2026-04-06)" \
	"2026-04-06,2026-04-10,2026-04-20,2026-04-24" "weekly, every 2 weeks on Monday and Friday, numbered"
is "$(series '{"type":"absoluteMonthly","interval":1,"dayOfMonth":31}' '{"type":"numbered","startDate":"2026-01-31","numberOfOccurrences":4}' 2026-01-31)" \
	"2026-01-31,2026-02-28,2026-03-31,2026-04-30" "absoluteMonthly on the 31st: the last day of shorter months (Outlook)"
is "$(series '{"type":"relativeMonthly","interval":1,"daysOfWeek":["friday"],"index":"last"}' '{"type":"numbered","startDate":"2026-01-01","numberOfOccurrences":3}' 2026-01-30)" \
	"2026-01-30,2026-02-27,2026-03-27" "relativeMonthly, the last Friday"
is "$(series '{"type":"relativeMonthly","interval":1,"daysOfWeek":["monday","tuesday","wednesday","thursday","friday"],"index":"first"}' '{"type":"numbered","startDate":"2026-08-01","numberOfOccurrences":2}' 2026-08-03)" \
	"2026-08-03,2026-09-01" "relativeMonthly, the first weekday"
is "$(series '{"type":"absoluteYearly","interval":1,"month":2,"dayOfMonth":29}' '{"type":"numbered","startDate":"2028-02-29","numberOfOccurrences":2}' 2028-02-29)" \
	"2028-02-29,2029-02-28" "absoluteYearly on 29 February"
is "$(series '{"type":"relativeYearly","interval":1,"month":9,"daysOfWeek":["monday"],"index":"first"}' '{"type":"numbered","startDate":"2026-01-01","numberOfOccurrences":2}' 2026-09-07)" \
	"2026-09-07,2027-09-06" "relativeYearly, the first Monday of September"
N=$(series '{"type":"daily","interval":1}' '{"type":"noEnd","startDate":"2029-12-30"}' 2029-12-30)
is "$N" "2029-12-30,2029-12-31" "noEnd: bounded by the window"
is "$(gj POST me/events '{"subject":"x","start":{"dateTime":"2026-04-06T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-04-06T10:00:00","timeZone":"UTC"},"recurrence":{"pattern":{"type":"weekly","interval":1},"range":{"type":"noEnd","startDate":"2026-04-06"}}}') $(code)" \
	"400 ErrorInvalidRequest" "weekly without daysOfWeek: 400"

# all-day events and the window moving out
S=$(gj POST "me/calendars/$BOOK/events" '{"subject":"Holiday","isAllDay":true,"start":{"dateTime":"2026-04-20T00:00:00","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2026-04-21T00:00:00","timeZone":"W. Europe Standard Time"}}')
HOL=$(jq -r .id "$W/body")
is "$S $(jq -r '.start.dateTime + " " + .end.dateTime + " " + .start.timeZone' "$W/body")" "201 2026-04-20T00:00:00.0000000 2026-04-21T00:00:00.0000000 UTC" "an all-day event: midnight to midnight"
S=$(g GET "me/events/$HOL" -H 'Prefer: outlook.timezone="Tokyo Standard Time"')
is "$(jq -r '.start.dateTime + " " + .start.timeZone' "$W/body")" "2026-04-20T00:00:00.0000000 Tokyo Standard Time" "... still at midnight in another zone"
is "$(gj POST me/events '{"subject":"x","isAllDay":true,"start":{"dateTime":"2026-04-20T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-04-21T00:00:00","timeZone":"UTC"}}') $(code)" \
	"400 ErrorInvalidRequest" "an all-day event not at midnight: 400"
graph_ctl POST /_emu/delta/invalidate '{"code":"syncStateNotFound"}' >/dev/null
delta_round "$U/v1.0/me/calendars/$BOOK/calendarView/delta?$WIN" >/dev/null
LINK=$(cat "$W/link")
gj PATCH "me/events/$A" '{"start":{"dateTime":"2026-07-01T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-07-01T10:00:00","timeZone":"UTC"}}' >/dev/null
g DELETE "me/events/$SM" >/dev/null
graph_ctl PATCH "/_emu/events/$HOL" '{"subject":"Holiday (Outlook edit)"}' >/dev/null
delta_round "$LINK" >/dev/null
is "$(jq -rs '[.[]|select(."@removed")|.id]|length' "$W/round") $(jq -rs --arg a "$A" '[.[]|select(.id == $a)|has("@removed")]|join(",")' "$W/round") $(jq -rs '[.[]|select(.subject)|.subject]|join(",")' "$W/round")" \
	"4 true Holiday (Outlook edit)" "delta: an event moved out of the window and a deleted series' occurrences are @removed; an Outlook edit comes"

# a recorded calendar loaded verbatim (ids, changeKeys, zones kept)
REC='[{"id":"AAMkADrecorded1AAA=","changeKey":"BfXylo4WykyAenTZICXL5AABk4B1gA==","createdDateTime":"2026-03-07T10:25:29.5732546Z","lastModifiedDateTime":"2026-03-07T10:25:29.6573241Z","originalStartTimeZone":"Tokyo Standard Time","originalEndTimeZone":"Tokyo Standard Time","iCalUId":"040000008200E00074C5B7101A82E00800000000FB7128DC464BD401","subject":"Recorded","type":"singleInstance","isAllDay":false,"body":{"contentType":"html","content":"<html><body>x</body></html>"},"start":{"dateTime":"2026-04-15T01:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-04-15T02:00:00.0000000","timeZone":"UTC"}},{"id":"AAMkADrecorded2AAA=","changeKey":"BfXylo4WykyAenTZICXL5AABk4B1gB==","originalStartTimeZone":"UTC","originalEndTimeZone":"UTC","subject":"Series","type":"seriesMaster","start":{"dateTime":"2026-04-13T08:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-04-13T08:30:00.0000000","timeZone":"UTC"},"recurrence":{"pattern":{"type":"daily","interval":1},"range":{"type":"numbered","startDate":"2026-04-13","numberOfOccurrences":3}}},{"id":"AAMkADrecorded3AAA=","type":"exception","seriesMasterId":"AAMkADrecorded2AAA=","originalStart":"2026-04-14T08:00:00Z","subject":"Series (moved)","start":{"dateTime":"2026-04-14T09:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-04-14T09:30:00.0000000","timeZone":"UTC"}}]'
is "$(graph_ctl POST "/_emu/calendars/$BOOK/load" "$REC" | jq -r .loaded)" 3 "/_emu/calendars/{id}/load takes a recording"
S=$(g GET "me/events/AAMkADrecorded1AAA=" -H 'Prefer: outlook.timezone="Tokyo Standard Time"')
is "$S $(jq -r '[."@odata.etag", .start.dateTime, .originalStartTimeZone, .iCalUId, .createdDateTime]|@tsv' "$W/body")" \
	"200 $(printf 'W/"BfXylo4WykyAenTZICXL5AABk4B1gA=="\t2026-04-15T10:00:00.0000000\tTokyo Standard Time\t040000008200E00074C5B7101A82E00800000000FB7128DC464BD401\t2026-03-07T10:25:29.5732540Z')" "a loaded event keeps its id, etag, zone, iCalUId, times"
g GET "me/events/AAMkADrecorded2AAA=/instances?startDateTime=2026-04-13T00:00:00Z&endDateTime=2026-04-20T00:00:00Z" >/dev/null
is "$(jq -r '[.value[]|.type + " " + .start.dateTime[11:16] + " " + .subject]|join(",")' "$W/body")" \
	"occurrence 08:00 Series,exception 09:00 Series (moved),occurrence 08:00 Series" "a loaded series with its recorded exception"

# ---- $batch ---------------------------------------------------------------------------
bj() { curl -sS -o "$W/body" -w '%{http_code}' -H "Authorization: Bearer $AT" -H 'Content-Type: application/json' --data-binary "$1" "$U/v1.0/\$batch"; }
reqs() { jq -nc --argjson n "$1" '{requests: [range($n) | {id: "r\(.)", method: "GET", url: "/me"}]}'; }
S=$(bj "$(reqs 3)")
is "$S $(jq -r '[.responses[]|.id + ":" + (.status|tostring)]|sort|join(",")' "$W/body")" "200 r0:200,r1:200,r2:200" "\$batch of 3: 200, a response per id"
is "$(jq -r '.responses[0].headers["Content-Type"]|test("application/json")' "$W/body") $(jq -r '[.responses[].body.userPrincipalName]|unique|join(",")' "$W/body")" "true alice@contoso.com" "inner responses carry headers and body"
is "$(jq -r '[.responses[].id]|join(",")' "$W/body")" "r2,r1,r0" "responses in another order than the requests (batch_order reverse)"
is "$(bj "$(reqs 20)") $(jq -r '.responses|length' "$W/body")" "200 20" "20 requests are allowed"
is "$(bj "$(reqs 21)") $(code)" "400 BadRequest" "21 requests: 400"
is "$(bj '{"requests":[{"id":"a","method":"GET","url":"/me"},{"id":"A","method":"GET","url":"/me"}]}') $(code)" "400 BadRequest" "ids are unique, case-insensitively"
is "$(bj '{"requests":[{"id":"a","method":"POST","url":"/me/events","body":{"subject":"x"}}]}') $(code)" "400 BadRequest" "a body without Content-Type: 400"
S=$(bj "{\"requests\":[{\"id\":\"1\",\"method\":\"POST\",\"url\":\"/me/calendars/$BOOK/events\",\"headers\":{\"Content-Type\":\"application/json\"},\"body\":{\"subject\":\"bad\",\"start\":{\"dateTime\":\"2026-04-10T09:00:00\",\"timeZone\":\"Nowhere\"},\"end\":{\"dateTime\":\"2026-04-10T10:00:00\",\"timeZone\":\"UTC\"}}},{\"id\":\"2\",\"dependsOn\":[\"1\"],\"method\":\"GET\",\"url\":\"/me\"},{\"id\":\"3\",\"method\":\"PATCH\",\"url\":\"/me/events/$B\",\"headers\":{\"Content-Type\":\"application/json\",\"If-Match\":\"W/\\\"stale\\\"\"},\"body\":{\"subject\":\"x\"}}]}")
is "$S $(jq -r '[.responses[]|.id + ":" + (.status|tostring) + ":" + (.body.error.code // "")]|sort|join(",")' "$W/body")" \
	"200 1:400:TimeZoneNotSupportedException,2:424:FailedDependency,3:412:ErrorIrresolvableConflict" "inner errors: 400, 424 for a failed dependency, 412 on a stale If-Match"
graph_ctl POST /_emu/faults '{"batch_part":true,"path":"^/v1.0/me$","status":429,"retry_after":7,"times":1}' >/dev/null
S=$(bj "$(reqs 2)")
is "$(jq -r '[.responses[]|select(.status==429)|.headers["Retry-After"] + " " + .body.error.code]|join(",")' "$W/body")" "7 TooManyRequests" "a throttled request inside a batch: 429 with Retry-After"
is "$(graph_log_count POST '^/v1\.0/\$batch$')" 7 "each \$batch is logged once, refused ones too"
is "$(curl -sS "$U/_emu/log" | jq -s '[.[]|select(.path=="/v1.0/$batch")][-1]|[.batch_parts, (.parts|length), .parts[0].path]|@tsv' -r)" "$(printf '2\t2\t/v1.0/me')" "the log shows a batch's parts"

# ---- throttling and faults ------------------------------------------------------------------
graph_ctl POST /_emu/config '{"throttle":{"limit":3,"window_s":60}}' >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
for i in 1 2 3; do g GET me >/dev/null; done
S=$(g GET me)
is "$S $(code) $(hdr Retry-After)" "429 ApplicationThrottled 60" "beyond the mailbox's window: 429 with Retry-After"
AT_BOB=$(graph_access bob@contoso.com)
is "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AT_BOB" "$U/v1.0/me")" 200 "another mailbox is not throttled"
graph_ctl POST /_emu/clock '{"advance_s":61}' >/dev/null
is "$(g GET me)" 200 "the window passes"
graph_ctl POST /_emu/clock '{"offset_s":0}' >/dev/null
graph_ctl POST /_emu/config '{"throttle":null,"latency_ms":300}' >/dev/null
PIDS=
for i in 1 2 3 4 5 6; do curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $AT" "$U/v1.0/me" >"$W/par$i" & PIDS="$PIDS $!"; done
wait $PIDS
is "$(cat "$W"/par* | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')" "200:4 429:2 " "more than 4 requests in flight for one mailbox: 429 (MailboxConcurrency)"
graph_ctl POST /_emu/config '{"latency_ms":0}' >/dev/null
graph_ctl POST /_emu/faults '{"path":"^/v1.0/me$","status":503,"retry_after":2}' >/dev/null
is "$(g GET me) $(code) $(hdr Retry-After)" "503 serviceNotAvailable 2" "a 503 fault with Retry-After"
is "$(g GET me)" 200 "a fault with times 1 fires once"
graph_ctl POST /_emu/faults '{"path":"^/v1.0/me$","action":"drop_before"}' >/dev/null
g GET me >/dev/null 2>&1; ok $([ $? != 0 ] && echo 0 || echo 1) "drop_before: the connection closes without an answer"
graph_ctl POST /_emu/faults '{"path":"^/v1.0/me$","action":"invalid_json"}' >/dev/null
S=$(g GET me)
if jq . "$W/body" >/dev/null 2>&1; then J=valid; else J=invalid; fi
is "$S $J" "200 invalid" "invalid_json: 200 with half a body"
graph_ctl POST /_emu/faults '{"path":"calendarView/delta","action":"answer","times":2,"body":{"value":[],"@odata.nextLink":"http://127.0.0.1:1/v1.0/me/calendarView/delta?$skiptoken=loop{seq}"}}' >/dev/null
A1=$(curl -sS -H "Authorization: Bearer $AT" "$U/v1.0/me/calendarView/delta?$WIN" | jq -r '."@odata.nextLink"')
A2=$(curl -sS -H "Authorization: Bearer $AT" "$U/v1.0/me/calendarView/delta?$WIN" | jq -r '."@odata.nextLink"')
[ "$A1" != "$A2" ] && case $A1 in *skiptoken=loop*) true;; *) false;; esac
ok $? "action answer: the body given, {seq} new on each answer (an endless chain of pages)"
graph_ctl POST /_emu/faults '{"path":"/token$","status":500,"times":1}' >/dev/null
S=$(token common -d grant_type=refresh_token -d client_id=$CID -d refresh_token=x)
is "$S" 500 "faults apply to the identity endpoints too"
is "$(curl -sS "$U/_emu/log" | jq -s -r '[.[]|select(.path=="/v1.0/me")][-1]|[(.service_ms|type), .user]|@tsv')" "$(printf 'number\talice@contoso.com')" "the log has service_ms and the mailbox"
graph_ctl GET /_emu/secrets | jq -e --arg t "$AT" 'index($t) != null' >/dev/null
ok $? "/_emu/secrets lists the tokens handed out"

# a batch while 3 other requests of the mailbox are in flight: one slot left
graph_ctl POST /_emu/faults '{"path":"^/v1.0/me/calendar$","action":"delay","delay_ms":1500,"times":3}' >/dev/null
PIDS=
for i in 1 2 3; do curl -sS -o /dev/null -H "Authorization: Bearer $AT" "$U/v1.0/me/calendar" & PIDS="$PIDS $!"; done
sleep 0.4
S=$(bj "$(reqs 4)")
wait $PIDS
is "$S $(jq -r '[.responses[].status]|sort|map(tostring)|join(",")' "$W/body")" "200 200,429,429,429" "a batch's requests count against the mailbox's 4 in flight"
graph_ctl DELETE /_emu/faults >/dev/null

# ---- lib-graph.sh with lib-emu.sh: both emulators stop ----------------------------------------
for order in "graph_start; emu_start" "emu_start; graph_start"; do
	PIDS=$(sh -c ". tests/lib-emu.sh; . tests/lib-graph.sh; TMPDIR_T=; $order >/dev/null 2>&1; echo \$EMU_PID \$GRAPH_PID")
	sleep 1
	ALIVE=0
	# a zombie (no init reaping it in a container) has ended too
	for p in $PIDS; do case $(ps -o stat= -p "$p" 2>/dev/null) in ""|Z*) ;; *) ALIVE=$((ALIVE + 1));; esac; done
	is "$(echo $PIDS | wc -w | tr -d ' ') $ALIVE" "2 0" "$order: both emulators stop when the test ends"
done

echo "1..$T"
[ "$FAILED" = 0 ]
