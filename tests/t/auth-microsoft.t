#!/bin/sh
# gcal-auth and gcal-revoke on Microsoft profiles, against memu: sign-in
# with PKCE on the loopback and with a device code, rotating refresh
# tokens, AADSTS refusals, calendars, revoke, and secrets kept out of
# everything written.
. "$(dirname "$0")/../lib.sh"
GRAPH_LIB_SRC=$TOP/tests/lib-graph.sh
. "$TOP/tests/lib-graph.sh"

graph_start || { echo "Bail out! graph emulator"; exit 1; }

# every token, code and device code memu hands out carries the marker
MARK=MSCANARYz4
graph_ctl POST /_emu/config "{\"secret_marker\":\"$MARK\",\"device_interval\":1}" >/dev/null
CID=$GRAPH_CLIENT_ID
W=$T/w
mkdir -p "$W"
TOK=$XDG_STATE_HOME/gcal/ms/token.json
PROF=$XDG_CONFIG_HOME/gcal/ms/profile.json
export GCAL_RECORD=$W/record.ndjson

# ms_login PROFILE ARGS...: a browser that follows redirects consents
ms_login() {
	_p=$1
	shift
	BROWSER="curl -sL" gcal-auth -vv login -p "$_p" --provider microsoft \
		--client-id "$CID" "$@" >"$OUT" 2>"$ERR" </dev/null
	rc=$?
	cat "$ERR" >>"$W/stderr"
}
# save: keep what a run wrote for the secret search at the end (save_err
# after token, whose stdout is the access token)
save() { cat "$OUT" >>"$W/stdout"; cat "$ERR" >>"$W/stderr"; }
save_err() { cat "$ERR" >>"$W/stderr"; }

# --- usage ------------------------------------------------------------------
run gcal-auth login -p ms --provider microsoft
is "$rc" 64 "login --provider microsoft without --client-id exits 64"
ok "... saying what it needs" has 'needs --client-id ID' "$ERR"
run gcal-auth login -p ms --provider microsoft --client-id "$CID" --client-secret "$CLIENT"
is "$rc" 64 "--client-secret with microsoft exits 64 (a public client has none)"
run gcal-auth login -p ms --provider microsoft --client-id "$CID" --tenant 'a/b'
is "$rc" 64 "a --tenant that is no tenant name exits 64"
run gcal-auth login -p ms --provider exchange
is "$rc" 64 "an unknown --provider exits 64"
run gcal-auth login -p g --device --client-secret "$CLIENT"
is "$rc" 64 "--device for Google exits 64"
ok "nothing was made by the refused logins" test ! -e "$XDG_CONFIG_HOME/gcal/ms"

# --- login: authorization code + PKCE on the loopback -----------------------
graph_ctl POST /_emu/config '{"require_pkce":true}' >/dev/null
ms_login ms
is "$rc" 0 "login --provider microsoft through the loopback exits 0"
ok "... prints the linked account" jq_ok -e '.account == "alice@contoso.com" and .provider == "microsoft" and .tenant == "common"' "$OUT"
ok "profile.json names provider, tenant and client" jq_ok -e --arg c "$CID" '.provider == "microsoft" and .tenant == "common" and .client_id == $c and .kind == "oauth"' "$PROF"
ok "the granted Calendars.ReadWrite is recorded" jq_ok -e '.scopes | index("https://graph.microsoft.com/Calendars.ReadWrite")' "$PROF"
ok "token.json is 0600 and holds a refresh token" sh -c '[ "$(stat -c %a "$1")" = 600 ] && jq -e ".refresh_token | startswith(\"0.A\")" "$1" >/dev/null' sh "$TOK"
ok "no client secret is kept for a public client" test ! -e "$XDG_CONFIG_HOME/gcal/ms/client_secret.json"
ok "the consent asked for S256 and the three scopes" sh -c "curl -sf '$GRAPH_URL/_emu/log' | jq -se '[.[] | select(.path == \"/common/oauth2/v2.0/authorize\")][0].query | .code_challenge_method == \"S256\" and (.scope | test(\"Calendars.ReadWrite\") and test(\"offline_access\") and test(\"User.Read\"))' >/dev/null"
ok "the code was redeemed with a verifier and no secret" sh -c "curl -sf '$GRAPH_URL/_emu/log' | jq -se '[.[] | select(.path == \"/common/oauth2/v2.0/token\")] | length == 1 and .[0].status == 200' >/dev/null"

# the emulator checks the verifier: a redirect replayed into another login
# (whose verifier differs) is refused
graph_ctl POST /_emu/config '{"consent":"deny"}' >/dev/null
ms_login denied
is "$rc" 77 "a refused consent exits 77"
ok "... saying Microsoft did not grant access" has 'Microsoft did not grant access (access_denied)' "$ERR"
ok "... and nothing was linked" test ! -e "$XDG_CONFIG_HOME/gcal/denied/profile.json"
graph_ctl POST /_emu/config '{"consent":"auto"}' >/dev/null

run gcal-auth login -p ms2 --provider microsoft --client-id "$CID" --tenant contoso.com --no-browser --timeout 1
is "$rc" 75 "--no-browser with nobody pasting waits --timeout and exits 75"
ok "... having printed Microsoft's authorize address of the tenant" has "$GRAPH_URL/contoso.com/oauth2/v2.0/authorize?client_id=$CID" "$ERR"
save

# --- token, refresh, rotation -----------------------------------------------
old_rt=$(jq -r .refresh_token "$TOK")
run gcal-auth token -p ms --refresh
save_err
is "$rc" 0 "token --refresh on a Microsoft profile exits 0"
ok "... prints an access token Graph accepts" sh -c "curl -sf -o /dev/null -H @- '$GRAPH_URL/v1.0/me' <<EOF
Authorization: Bearer \$(cat '$OUT')
EOF"
new_rt=$(jq -r .refresh_token "$TOK")
ok "the refresh token rotated: token.json keeps the newest" test "$old_rt" != "$new_rt" -a -n "$new_rt"

# a stricter server refuses a refresh token once it was used: the newest
# must be the one kept, every time
graph_ctl POST /_emu/config '{"old_refresh_valid":false}' >/dev/null
run gcal-auth token -p ms --refresh
save_err
is "$rc" 0 "with used refresh tokens refused, a refresh exits 0"
run gcal-auth token -p ms --refresh
save_err
is "$rc" 0 "... and the next one too (it used the rotated token)"
printf 'grant_type=refresh_token&client_id=%s&refresh_token=%s' "$CID" "$new_rt" >"$T/form"
code=$(curl -s -o "$T/old.json" -w '%{http_code}' --data-binary @"$T/form" "$GRAPH_URL/common/oauth2/v2.0/token")
is "$code" 400 "the refresh token used before is refused by then"
ok "... with invalid_grant AADSTS70008" jq_ok -e '.error == "invalid_grant" and (.error_codes | index(70008))' "$T/old.json"
graph_ctl POST /_emu/config '{"old_refresh_valid":true}' >/dev/null

# --- status, calendars, use ---------------------------------------------------
run gcal-auth status -p ms --check
save
is "$rc" 0 "status --check on a Microsoft profile exits 0"
ok "... and says ok" jq_ok -e '.check == "ok" and .linked' "$OUT"
graph_ctl POST /_emu/config '{"page_size":1}' >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-auth calendars -p ms
save
is "$rc" 0 "calendars exits 0"
is "$(wc -l <"$OUT")" 2 "... prints alice's 2 calendars, over 2 pages of 1"
is "$(graph_log_count GET '^/v1\.0/me/calendars$')" 2 "... following @odata.nextLink to the last page"
ok "... shaped as calendarList entries, the default one primary" jq_ok -se '.[0].summary == "Calendar" and .[0].primary == true and .[1].summary == "Team" and (.[1] | has("primary") | not) and all(.accessRole == "owner")' "$OUT"
graph_ctl POST /_emu/config '{"page_size":10}' >/dev/null
GCAL_RECORD=$T/fix.ndjson gcal-auth calendars -p ms >"$T/cal1" 2>>"$W/stderr"
run env -u GCAL_GRAPH_ENDPOINT GCAL_REPLAY="$T/fix.ndjson" gcal-auth calendars -p ms
is "$rc" 0 "calendars replayed from a recorded fixture, with no network, exits 0"
ok "... printing what the recording printed" cmp -s "$T/cal1" "$OUT"
ok "... the fixture names Graph's own host" has '"url":"https://graph.microsoft.com/v1.0/me/calendars' "$T/fix.ndjson"
cat "$T/fix.ndjson" >>"$W/stdout"
team=$(jq -r 'select(.summary == "Team") | .id' "$OUT")

run gcal-auth use -p ms "$team"
save
is "$rc" 0 "use CALENDAR_ID chooses a Microsoft calendar"
ok "... stored in profile.json with its name" jq_ok -e --arg id "$team" '.calendar == $id and .calendar_summary == "Team"' "$PROF"
run gcal-auth use -p ms AAMkAGnosuchcalendar
is "$rc" 65 "use of an id the account does not have exits 65"
run gcal-auth use -p ms --create Shop
save
is "$rc" 0 "use --create makes a calendar (POST /v1.0/me/calendars)"
ok "... and chooses it" jq_ok -e '.calendar_summary == "Shop"' "$PROF"
run gcal-auth use -p ms --create Shop
is "$rc" 65 "use --create of a name the account has exits 65"
ok "... naming the calendar there" has "named 'Shop' already" "$ERR"
graph_ctl POST /_emu/faults '{"method":"POST","path":"^/v1\\.0/me/calendars$","action":"drop_after"}' >/dev/null
run gcal-auth use -p ms --create Stock
save
is "$rc" 0 "use --create whose answer is lost after Graph acted exits 0"
is "$(curl -sf "$GRAPH_URL/_emu/calendars" | jq '[.[] | select(.name == "Stock")] | length')" 1 "... and made one calendar, not two"
ok "... the one chosen" jq_ok -e '.calendar_summary == "Stock"' "$PROF"
run gcal-auth use -p ms --create Other --time-zone Europe/Amsterdam
is "$rc" 64 "--time-zone for a Microsoft calendar exits 64"

# --- refusals -----------------------------------------------------------------
graph_ctl POST /_emu/refresh/expire '{}' >/dev/null
run gcal-auth token -p ms --refresh
save_err
is "$rc" 77 "an expired refresh token (invalid_grant) exits 77"
ok "... in one line naming the profile and AADSTS70008" sh -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "profile '"'ms'"' (alice@contoso.com): Microsoft refused the grant (AADSTS70008" "$1"' sh "$ERR"
ok "... without Microsoft's trace lines" lacks 'Trace ID' "$ERR"

ms_login ms
ok "a login again renews the link" test "$rc" = 0
ok "... keeping its chosen calendar" jq_ok -e '.calendar_summary == "Stock"' "$PROF"
graph_ctl POST /_emu/refresh/revoke '{}' >/dev/null
run gcal-auth calendars -p ms
is "$rc" 77 "a revoked grant (AADSTS50173) exits 77 at the next use"
ok "... saying so" has 'AADSTS50173' "$ERR"

ms_login ms
jq --arg c 00000000-0000-0000-0000-00000000dead '.client_id = $c' "$PROF" >"$T/p" && cp "$T/p" "$PROF"
run gcal-auth token -p ms --refresh
is "$rc" 78 "a client Microsoft does not know (unauthorized_client) exits 78"
ok "... naming the client" has 'Microsoft refused the client 00000000-0000-0000-0000-00000000dead' "$ERR"

ms_login ms
graph_ctl POST /_emu/faults '{"path":"/oauth2/v2.0/token$","status":503,"times":-1}' >/dev/null
run gcal-auth token -p ms --refresh
is "$rc" 75 "a sign-in service answering 503 exits 75 after the retries"
graph_ctl DELETE /_emu/faults >/dev/null

# --- device code ----------------------------------------------------------------
# dev_start PROFILE ARGS...: login --device in the background; waits for
# the code it prints (what the user would type), which is then in $UC
dev_start() {
	_p=$1
	shift
	: >"$T/dev.err"
	gcal-auth login -p "$_p" --provider microsoft --client-id "$CID" --device "$@" \
		>"$T/dev.out" 2>"$T/dev.err" </dev/null &
	DEV=$!
	UC=
	_i=0
	while [ -z "$UC" ] && [ $_i -lt 100 ]; do
		UC=$(sed -n 's/.* enter the code \([A-Z0-9]*\)$/\1/p' "$T/dev.err")
		[ -n "$UC" ] || sleep 0.1
		_i=$((_i + 1))
	done
}
dev_wait() { wait "$DEV"; rc=$?; cat "$T/dev.out" >>"$W/stdout"; cat "$T/dev.err" >>"$W/stderr"; }

dev_start dev
ok "--device prints the verification address and the code memu gave" sh -c 'grep -q "open https://microsoft.com/devicelogin in a browser and enter the code $1\$" "$2" && curl -sf "$3/_emu/device" | jq -e --arg c "$1" "any(.user_code == \$c and .state == \"pending\")" >/dev/null' sh "$UC" "$T/dev.err" "$GRAPH_URL"
sleep 1.5
graph_ctl POST /_emu/device/approve "{\"user_code\":\"$UC\",\"user\":\"bob@contoso.com\"}" >/dev/null
dev_wait
is "$rc" 0 "a device sign-in approved while polling exits 0"
ok "... linking the account that signed in" jq_ok -e '.account == "bob@contoso.com" and .provider == "microsoft"' "$T/dev.out"
ok "... having polled while authorization_pending" test "$(graph_log_count POST '^/common/oauth2/v2\.0/token$')" -ge 2

dev_start dev-no
graph_ctl POST /_emu/device/decline "{\"user_code\":\"$UC\"}" >/dev/null
dev_wait
is "$rc" 77 "a declined device sign-in exits 77"
ok "... saying authorization_declined" has 'authorization_declined' "$T/dev.err"
ok "... and links nothing" test ! -e "$XDG_CONFIG_HOME/gcal/dev-no/profile.json"

graph_ctl POST /_emu/config '{"device_expires":2}' >/dev/null
dev_start dev-late
dev_wait
is "$rc" 75 "a device code that expires before sign-in exits 75"
ok "... saying expired_token" has 'expired_token' "$T/dev.err"
graph_ctl POST /_emu/config '{"device_expires":900}' >/dev/null

# slow_down: the server wants 3 s between polls after the code said 1; a
# client that does not add 5 s to its interval is told slow_down forever
dev_start dev-slow --timeout 20
graph_ctl POST /_emu/config '{"device_interval":3}' >/dev/null
graph_ctl POST /_emu/log/clear >/dev/null
sleep 2.5
graph_ctl POST /_emu/device/approve "{\"user_code\":\"$UC\"}" >/dev/null
dev_wait
is "$rc" 0 "a device sign-in told slow_down still succeeds"
ok "... having slowed down (few polls)" test "$(graph_log_count POST '^/common/oauth2/v2\.0/token$')" -le 4
graph_ctl POST /_emu/config '{"device_interval":1}' >/dev/null

# --- revoke: local forgetting -----------------------------------------------------
mkdir -p "$XDG_STATE_HOME/gcal/ms/sync" && echo x >"$XDG_STATE_HOME/gcal/ms/sync/keep"
graph_ctl POST /_emu/log/clear >/dev/null
run gcal-revoke -p ms
save
is "$rc" 0 "gcal-revoke on a Microsoft profile exits 0"
ok "... printing that it forgot, not revoked" jq_ok -e '.provider == "microsoft" and .forgotten and (.revoked | not)' "$OUT"
ok "... saying where the access is ended" has 'myapps.microsoft.com' "$ERR"
ok "... with the tokens and sync state gone" sh -c 'test ! -e "$1" && test ! -e "$2"' sh "$TOK" "$XDG_STATE_HOME/gcal/ms/sync"
ok "... the profile marked revoked" jq_ok -e '.revoked_at | test("^20")' "$PROF"
is "$(graph_log_count)" 0 "... and no request made (Microsoft has no revocation for it)"
run gcal-auth token -p ms
is "$rc" 77 "a forgotten Microsoft profile exits 77 on use"

# --- secrets --------------------------------------------------------------------
ok "memu handed out marked secrets" sh -c "curl -sf '$GRAPH_URL/_emu/secrets' | grep -q '$MARK'"
ok "a -vv trace shows exchanges" has 'POST' "$W/stderr"
ok "no secret in any stdout, stderr or -vv trace" lacks "$MARK" "$W/stdout"
ok "... nor stderr" lacks "$MARK" "$W/stderr"
ok "the GCAL_RECORD fixture recorded the token endpoint" has 'oauth2/v2.0/token' "$GCAL_RECORD"
ok "... with no secret in it" lacks "$MARK" "$GCAL_RECORD"
ok "... nor any state file but token.json" sh -c "! grep -rl '$MARK' '$XDG_CONFIG_HOME' '$XDG_STATE_HOME' | grep -v '/token.json\$' | grep -q ."

done_testing
