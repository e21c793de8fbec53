#!/bin/sh
# The emulator's OAuth 2.0 endpoints behave like Google's (loopback + PKCE,
# refresh, revoke, service-account JWT bearer, expired/insufficient tokens).
. tests/lib-emu.sh

T=0 FAILED=0
ok() { T=$((T + 1)); if [ "$1" = 0 ]; then echo "ok $T - $2"; else echo "not ok $T - $2"; FAILED=$((FAILED + 1)); fi; }
is() { [ "$1" = "$2" ]; _r=$?; [ $_r = 0 ] || echo "# got '$1', want '$2'"; ok $_r "$3"; }
b64url() { base64 | tr '+/' '-_' | tr -d '=\n'; }

echo 1..33
emu_start || { echo 'Bail out! emulator did not start'; exit 1; }
W=${TMPDIR_T:-$(mktemp -d)}
[ -n "${TMPDIR_T:-}" ] || trap 'emu_stop; rm -rf "$W"' EXIT
CID=$EMU_CLIENT_ID CS=$EMU_CLIENT_SECRET
RURI=http://127.0.0.1:4711/callback
CAL=https://www.googleapis.com/auth/calendar

VER=$(head -c 48 /dev/urandom | b64url)
CHAL=$(printf %s "$VER" | openssl dgst -sha256 -binary | b64url)
auth() { # extra query args...
	curl -sS -o "$W/page" -w '%{http_code} %{redirect_url}' -G "$EMU_URL/o/oauth2/v2/auth" "$@"
}
std_auth() {
	auth --data-urlencode "client_id=$CID" --data-urlencode "redirect_uri=$RURI" \
		-d response_type=code --data-urlencode "scope=$CAL openid email" \
		-d state=st4te -d code_challenge="$CHAL" -d code_challenge_method=S256 \
		-d access_type=offline "$@"
}
code_of() { printf %s "$1" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' | sed 's/%2F/\//g'; }
token() { curl -sS -o "$W/tok" -w '%{http_code}' "$EMU_URL/token" "$@"; }

R=$(std_auth)
case $R in "302 $RURI?state=st4te&code=4"*) ok 0 "consent redirects to loopback with state and code";;
	*) ok 1 "consent redirects to loopback with state and code ($R)";; esac
CODE=$(code_of "$R")

S=$(token -d grant_type=authorization_code --data-urlencode "code=$CODE" -d client_id=$CID \
	-d client_secret=$CS --data-urlencode "redirect_uri=$RURI" -d code_verifier=wrong-verifier-wrong-verifier-wrong-verifier-x)
is "$S $(jq -r '.error + ": " + .error_description' "$W/tok")" "400 invalid_grant: Invalid code verifier." "wrong PKCE verifier refused"

R=$(std_auth); CODE=$(code_of "$R")
S=$(token -d grant_type=authorization_code --data-urlencode "code=$CODE" -d client_id=$CID \
	-d client_secret=$CS --data-urlencode "redirect_uri=http://127.0.0.1:4712/other" -d code_verifier="$VER")
is "$S $(jq -r .error "$W/tok")" "400 redirect_uri_mismatch" "token exchange with another redirect_uri refused"

R=$(std_auth); CODE=$(code_of "$R")
S=$(token -d grant_type=authorization_code --data-urlencode "code=$CODE" -d client_id=$CID \
	-d client_secret=$CS --data-urlencode "redirect_uri=$RURI" -d code_verifier="$VER")
is "$S" 200 "code exchanged for tokens"
cp "$W/tok" "$W/tok1"
AT=$(jq -r .access_token "$W/tok1") RT=$(jq -r .refresh_token "$W/tok1")
case $AT in ya29.????????????????????????????????????????????????????????????????????????????????????????????????????*) ok 0 "access token looks like Google's";; *) ok 1 "access token looks like Google's";; esac
case $RT in 1//0????????????????????????????????????????????????????????????*) ok 0 "refresh token looks like Google's";; *) ok 1 "refresh token looks like Google's";; esac
is "$(jq -r '[.token_type, .expires_in, (.scope|split(" ")|index("https://www.googleapis.com/auth/calendar") != null), (.id_token|split(".")|length)]|@tsv' "$W/tok1")" "$(printf 'Bearer\t3599\ttrue\t3')" "token response shape"

S=$(token -d grant_type=authorization_code --data-urlencode "code=$CODE" -d client_id=$CID \
	-d client_secret=$CS --data-urlencode "redirect_uri=$RURI" -d code_verifier="$VER")
is "$S $(jq -r .error "$W/tok")" "400 invalid_grant" "authorization code is single-use"

S=$(token -d grant_type=authorization_code -d code=garbage -d client_id=$CID -d client_secret=$CS \
	--data-urlencode "redirect_uri=$RURI")
is "$(jq -r .error_description "$W/tok")" "Malformed auth code." "malformed code"

S=$(token -d grant_type=refresh_token --data-urlencode "refresh_token=$RT" -d client_id=$CID -d client_secret=nope)
is "$S $(jq -r '.error + "/" + .error_description' "$W/tok")" "401 invalid_client/Unauthorized" "wrong client secret"

S=$(token -d grant_type=refresh_token --data-urlencode "refresh_token=$RT" -d client_id=nobody.apps.googleusercontent.com -d client_secret=x)
is "$S $(jq -r .error_description "$W/tok")" "401 The OAuth client was not found." "unknown client at /token"

S=$(token -d grant_type=password -d client_id=$CID -d client_secret=$CS)
is "$S $(jq -r .error "$W/tok")" "400 unsupported_grant_type" "unsupported grant type"

R=$(auth --data-urlencode "client_id=$CID" --data-urlencode "redirect_uri=https://evil.example/cb" -d response_type=code --data-urlencode "scope=$CAL")
is "${R%% *} $(grep -c redirect_uri_mismatch "$W/page")" "400 1" "non-loopback redirect_uri shows redirect_uri_mismatch page"

R=$(auth -d client_id=unknown.apps.googleusercontent.com --data-urlencode "redirect_uri=$RURI" -d response_type=code --data-urlencode "scope=$CAL")
is "${R%% *} $(grep -c invalid_client "$W/page")" "401 1" "unknown client shows invalid_client page"

R=$(auth --data-urlencode "client_id=$CID" --data-urlencode "redirect_uri=$RURI" -d response_type=code -d scope=https://www.googleapis.com/auth/nonsense)
is "${R%% *} $(grep -c invalid_scope "$W/page")" "400 1" "invalid scope refused"

emu_ctl POST /_emu/config '{"consent":"deny"}' >/dev/null
R=$(std_auth)
is "$R" "302 $RURI?error=access_denied&state=st4te" "denied consent redirects with access_denied"
emu_ctl POST /_emu/config '{"consent":"auto"}' >/dev/null

S=$(token -d grant_type=refresh_token --data-urlencode "refresh_token=$RT" -d client_id=$CID -d client_secret=$CS)
is "$S $(jq -r '[(.access_token|startswith("ya29.")), has("refresh_token"), .token_type]|@tsv' "$W/tok")" "200 $(printf 'true\tfalse\tBearer')" "refresh gives a new access token only"
AT2=$(jq -r .access_token "$W/tok")

api() { curl -sS -o "$W/api" -D "$W/hdr" -w '%{http_code}' -H "Authorization: Bearer $1" "$EMU_URL/calendar/v3/$2"; }
is "$(api "$AT2" users/me/calendarList) $(jq -r '.items[0].id' "$W/api")" "200 alice@example.com" "new access token works"

U=$(curl -sS -H "Authorization: Bearer $AT2" "$EMU_URL/oauth2/v3/userinfo")
is "$(printf %s "$U" | jq -r '[.email, .email_verified]|@tsv')" "$(printf 'alice@example.com\ttrue')" "userinfo with email scope"
TI=$(curl -sS "$EMU_URL/oauth2/v3/tokeninfo?access_token=$AT2")
is "$(printf %s "$TI" | jq -r '[.aud, .email, (.expires_in|tonumber > 3000)]|@tsv')" "$(printf '%s\talice@example.com\ttrue' "$CID")" "tokeninfo"

emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
S=$(api "$AT2" users/me/calendarList)
is "$S $(jq -r '.error.errors[0].reason + "/" + .error.message' "$W/api") $(grep -ci '^www-authenticate: bearer' "$W/hdr")" "401 authError/Invalid Credentials 1" "expired access token gives 401 authError"

S=$(token -d grant_type=refresh_token --data-urlencode "refresh_token=$RT" -d client_id=$CID -d client_secret=$CS)
AT3=$(jq -r .access_token "$W/tok")
S=$(curl -sS -o "$W/api" -w '%{http_code}' -X POST -H "Authorization: Bearer $AT3" -H 'Content-Type: application/json' \
	"$EMU_URL/calendar/v3/calendars" -d '{"summary":"x"}')
is "$S" 200 "calendar scope may create calendars"

RO=$(emu_token https://www.googleapis.com/auth/calendar.readonly | jq -r .access_token)
S=$(curl -sS -o "$W/api" -w '%{http_code}' -H "Authorization: Bearer $RO" -H 'Content-Type: application/json' \
	"$EMU_URL/calendar/v3/calendars/primary/events" -d '{"start":{"date":"2026-01-01"},"end":{"date":"2026-01-02"}}')
is "$S $(jq -r '[.error.errors[0].reason, .error.status, .error.message]|join("/")' "$W/api")" \
	"403 insufficientPermissions/PERMISSION_DENIED/Request had insufficient authentication scopes." "readonly token cannot write"

S=$(curl -sS -o /dev/null -w '%{http_code}' "$EMU_URL/revoke" -d "token=$RT")
is "$S" 200 "revoke refresh token"
S=$(token -d grant_type=refresh_token --data-urlencode "refresh_token=$RT" -d client_id=$CID -d client_secret=$CS)
is "$S $(jq -r .error_description "$W/tok")" "400 Token has been expired or revoked." "revoked refresh token gives invalid_grant"
is "$(api "$AT3" users/me/calendarList)" 401 "access tokens of a revoked grant die too"
S=$(curl -sS -o "$W/rv" -w '%{http_code}' "$EMU_URL/revoke" -d "token=$RT")
is "$S $(jq -r .error "$W/rv")" "400 invalid_token" "revoking twice gives invalid_token"

# --- service account, JWT bearer, RS256 signed by openssl ---
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/sa.pem" 2>/dev/null
SA=gcal-sync@gcal-emulator.iam.gserviceaccount.com
jq -n --rawfile k "$W/sa.pem" --arg e "$SA" '{type:"service_account",project_id:"gcal-emulator",private_key_id:"k1",private_key:$k,client_email:$e,client_id:"1234",token_uri:"https://oauth2.googleapis.com/token"}' >"$W/sa.json"
emu_ctl POST /_emu/service-accounts "$(cat "$W/sa.json")" >/dev/null
jwt() { # sub [aud]
	_now=$(date +%s)
	_h=$(printf '{"alg":"RS256","typ":"JWT","kid":"k1"}' | b64url)
	_p=$(jq -cn --arg iss "$SA" --arg sub "$1" --arg aud "${2:-https://oauth2.googleapis.com/token}" --argjson n "$_now" \
		'{iss:$iss,sub:$sub,scope:"https://www.googleapis.com/auth/calendar",aud:$aud,iat:$n,exp:($n+3600)}' | b64url)
	_s=$(printf %s "$_h.$_p" | openssl dgst -sha256 -sign "$W/sa.pem" -binary | b64url)
	printf %s "$_h.$_p.$_s"
}
A=$(jwt bob@example.com)
S=$(token -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer --data-urlencode "assertion=$A")
is "$S $(jq -r '[.token_type, has("refresh_token")]|@tsv' "$W/tok")" "200 $(printf 'Bearer\tfalse')" "jwt-bearer assertion accepted"
SAT=$(jq -r .access_token "$W/tok")
is "$(api "$SAT" calendars/primary) $(jq -r .id "$W/api")" "200 bob@example.com" "service account acts as the delegated user"

BAD=${A%.*}.$(printf %s "${A##*.}" | tr 'A-Za-z' 'B-ZAb-za')
S=$(token -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer --data-urlencode "assertion=$BAD")
is "$S $(jq -r .error_description "$W/tok")" "400 Invalid JWT Signature." "tampered signature refused"

S=$(token -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer --data-urlencode "assertion=$(jwt nobody@example.com)")
is "$S $(jq -r .error "$W/tok")" "400 invalid_grant" "unknown user to impersonate refused"

emu_ctl POST /_emu/service-accounts "$(jq '. + {delegation:false}' "$W/sa.json")" >/dev/null
S=$(token -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer --data-urlencode "assertion=$(jwt bob@example.com)")
is "$S $(jq -r .error "$W/tok")" "401 unauthorized_client" "no domain-wide delegation: unauthorized_client"

emu_ctl GET /_emu/secrets >"$W/secrets"
is "$(jq --arg a "$AT" --arg r "$RT" '(index($a) != null) and (index($r) != null)' "$W/secrets")" true "/_emu/secrets lists handed-out tokens"

exit $((FAILED > 0))
