#!/bin/sh
# gcal-auth: linking accounts, tokens, status, calendars, profiles.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }

# --- login through a browser that follows redirects ---------------------
run link_account
rc=$?
is "$rc" 0 "login with BROWSER='curl -sL' links an account"
ok "login prints the linked account" has '"account":"alice@example.com"' "$T/login.out"
ok "token file is 0600" test "$(mode "$XDG_STATE_HOME/gcal/default/token.json")" = 600
ok "its directory is 0700" test "$(mode "$XDG_STATE_HOME/gcal/default")" = 700
ok "the config directory is 0700" test "$(mode "$XDG_CONFIG_HOME/gcal")" = 700
ok "the kept client secret is 0600" test "$(mode "$XDG_CONFIG_HOME/gcal/client_secret.json")" = 600
ok "no temporary files are left" test -z "$(find "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" -name '*.new')"

# --- token ----------------------------------------------------------------
run gcal-auth token
is "$rc" 0 "token exits 0"
tok1=$(cat "$OUT")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok1" \
	"$EMU_URL/calendar/v3/users/me/calendarList")
is "$code" 200 "Google accepts the printed token"
before=$(emu_log_count POST '^/token$')
run gcal-auth token
is "$(cat "$OUT")" "$tok1" "a valid token is served from the cache"
is "$(emu_log_count POST '^/token$')" "$before" "... without asking Google"

run gcal-auth token --refresh
tok2=$(cat "$OUT")
ok "--refresh gets a new token" test "$rc" = 0 -a "$tok2" != "$tok1"

# Google expires the token early: programs refresh once and go on.
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
run gcal-auth calendars
is "$rc" 0 "calendars works after Google expired the token"
is "$(wc -l <"$OUT" | tr -d ' ')" 2 "calendars prints alice's 2 calendars as NDJSON"
ok "calendars lines are calendarList entries" has '"kind":"calendar#calendarListEntry"' "$OUT"

# Short-lived tokens are refreshed near their expiry.
emu_ctl POST /_emu/config '{"token_lifetime":2}' >/dev/null
run gcal-auth token --refresh
short=$(cat "$OUT")
sleep 2
run gcal-auth token
ok "an expired token is refreshed" test "$rc" = 0 -a "$(cat "$OUT")" != "$short"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$OUT")" \
	"$EMU_URL/calendar/v3/users/me/calendarList")
is "$code" 200 "... and Google accepts the new one"
emu_ctl POST /_emu/config '{"token_lifetime":3599}' >/dev/null

# Concurrent calls do not race: both succeed and the file stays whole.
gcal-auth token --refresh >"$T/c1" 2>&1 &
p1=$!
gcal-auth token --refresh >"$T/c2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
ok "two concurrent refreshes both succeed" test "$r1" = 0 -a "$r2" = 0
ok "token file is still valid JSON" jq_ok .access_token "$XDG_STATE_HOME/gcal/default/token.json"

# --- status, use, list --------------------------------------------------
run gcal-auth status
is "$rc" 0 "status exits 0"
is "$(jq -r '[.profile,.account,.kind,.linked] | join(" ")' "$OUT")" \
	"default alice@example.com oauth true" "status names profile, account, kind"
ok "status shows scopes and token expiry" jq_ok '(.scopes | index("https://www.googleapis.com/auth/calendar")) and (.token_expires | test("Z$"))' "$OUT"
run gcal-auth status --check
is "$(jq -r .check "$OUT")" ok "status --check proves the grant live"

team=$(emu_ctl GET /calendar/v3/users/me/calendarList 2>/dev/null | jq -r '.items[]? | select(.summary=="Team") | .id')
[ -n "$team" ] || team=$(gcal-auth calendars | jq -r 'select(.summary=="Team") | .id')
run gcal-auth use "$team"
is "$rc" 0 "use CALENDAR_ID chooses a calendar"
is "$(gcal-auth status | jq -r .calendar)" "$team" "status shows the chosen calendar"
run gcal-auth use nosuchcalendar@group.calendar.google.com
is "$rc" 65 "use of an unknown calendar exits 65"
is "$(gcal-auth status | jq -r .calendar)" "$team" "... and keeps the old choice"
run gcal-auth use --create "Shop floor" --time-zone Europe/Amsterdam
is "$rc" 0 "use --create makes a secondary calendar"
made=$(jq -r .id "$OUT")
is "$(gcal-auth status | jq -r .calendar_summary)" "Shop floor" "... and chooses it"
ok "... which Google now lists" sh -c "gcal-auth calendars | grep -q '$made'"

# The answer to the insert is lost after Google made the calendar: one
# calendar, not two (calendars.insert is not idempotent).
count_named() {
	gcal-auth calendars >"$T/cals" 2>/dev/null
	jq -r --arg s "$1" 'select(.summary == $s) | .id' "$T/cals" | wc -l | tr -d ' '
}
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/calendar/v3/calendars$","action":"drop_after","times":2}' >/dev/null
run gcal-auth use --create "Lost answer"
is "$rc" 0 "use --create whose answers are lost after Google acted exits 0"
is "$(count_named "Lost answer")" 1 "... leaving one calendar of that name, not two or three"
is "$(gcal-auth status | jq -r .calendar)" "$(jq -r 'select(.summary == "Lost answer") | .id' "$T/cals")" \
	"... and chooses the one Google made"
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/calendar/v3/calendars$","action":"drop_before","times":1}' >/dev/null
run gcal-auth use --create "Never arrived"
is "$rc" 0 "an insert lost before Google acted is tried again"
is "$(count_named "Never arrived")" 1 "... making the calendar once"
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/calendar/v3/calendars$","status":503,"times":100}' >/dev/null
run env GCAL_RETRIES=2 gcal-auth use --create "Busy"
is "$rc" 75 "an insert Google keeps answering 503 exits 75 after the retries"
is "$(count_named "Busy")" 0 "... making nothing"
emu_ctl DELETE /_emu/faults >/dev/null
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/calendar/v3/calendars$","action":"drop_after","times":100}' >/dev/null
run env GCAL_RETRIES=3 gcal-auth use --create "Always lost"
is "$rc" 0 "an insert whose every answer is lost still ends with the calendar Google made"
emu_ctl DELETE /_emu/faults >/dev/null
is "$(count_named "Always lost")" 1 "... just one"

run link_account second
run gcal-auth list
is "$(wc -l <"$OUT" | tr -d ' ')" 2 "list shows every profile"
is "$(jq -r .profile "$OUT" | tr '\n' ' ')" "default second " "... sorted by name"

# --- paste-back, as on a headless host ----------------------------------
mkfifo "$T/paste"
gcal-auth login -p pasted --no-browser --client-secret "$CLIENT" <"$T/paste" >"$OUT" 2>"$ERR" &
pid=$!
exec 3>"$T/paste"
i=0
until grep -q '/o/oauth2/v2/auth' "$ERR" || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://[^ ]*/o/oauth2/v2/auth?[^ ]*' "$ERR")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$url")
echo "$loc" >&3
exec 3>&-
wait $pid
is "$?" 0 "login --no-browser takes the redirected URL pasted on stdin"
ok "... and links the account" has '"account":"alice@example.com"' "$OUT"

printf 'this is not a URL\n' >"$T/garbage"
run_in "$T/garbage" gcal-auth login -p junk --no-browser --timeout 5 --client-secret "$CLIENT"
is "$rc" 65 "a pasted line that is no redirect exits 65"
ok "... naming stdin and the line" has "'<stdin>' line 1" "$ERR"

# --- consent failures ----------------------------------------------------
emu_ctl POST /_emu/config '{"consent":"deny"}' >/dev/null
run link_account refused
is "$rc" 77 "refused consent exits 77"
ok "... saying Google did not grant access" has 'access_denied' "$T/login.err"
ok "... and links nothing" test ! -e "$XDG_CONFIG_HOME/gcal/refused/profile.json"
emu_ctl POST /_emu/config '{"consent":"auto"}' >/dev/null

BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=state \
	gcal-auth login -p forged --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
rc=$?
is "$rc" 65 "a redirect with the wrong state exits 65"
ok "... naming the state" has 'wrong state' "$ERR"
ok "... and links nothing" test ! -e "$XDG_CONFIG_HOME/gcal/forged/profile.json"

BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=challenge \
	gcal-auth login -p badpkce --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
rc=$?
is "$rc" 77 "a code whose PKCE challenge does not match exits 77"
ok "... with Google's reason" has 'invalid_grant' "$ERR"

BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=favicon \
	gcal-auth login -p favicon --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
is "$?" 0 "a stray request to the listener does not end the login"

# --- login CSRF: the consent address is not in argv, the account is checked
BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=account \
	gcal-auth login -p csrf --account alice@example.com --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
rc=$?
is "$rc" 77 "another account consenting for login --account alice exits 77"
ok "... naming both accounts" has 'linked the account bob@example.com, not alice@example.com' "$ERR"
ok "... and links nothing" test ! -e "$XDG_CONFIG_HOME/gcal/csrf/profile.json"
is "$(emu_ctl GET /_emu/grants | jq '[.[] | select(.user == "bob@example.com" and (.revoked | not))] | length')" 0 \
	"... and revokes the grant it got for the other account"
BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=account \
	gcal-auth login -p csrf2 --account BOB@example.com --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
is "$?" 0 "the account asked for links (addresses compare without case)"
BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=race \
	gcal-auth login -p raced --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
rc=$?
is "$rc" 77 "a local start page fetched twice (a local user racing the browser) exits 77"
ok "... saying so" has 'asked for twice' "$ERR"
ok "... and links nothing" test ! -e "$XDG_CONFIG_HOME/gcal/raced/profile.json"

# --- the browser fails, or never comes back ----------------------------------
emu_ctl POST /_emu/faults '{"method":"GET","path":"^/o/oauth2/v2/auth$","action":"drop_before","times":5}' >/dev/null
t0=$(date +%s)
BROWSER="curl -sfL" gcal-auth login -p nobrowser --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
rc=$?
t1=$(date +%s)
emu_ctl DELETE /_emu/faults >/dev/null
# Google unreachable is gcal(7)'s "try later" (issue 12 item 7), also
# when it is the browser that finds out
is "$rc" 75 "a browser command that cannot load the consent page (Google unreachable) exits 75"
ok "... at once, not after the timeout" test $((t1 - t0)) -lt 10
ok "... in one line naming the browser command, its status and the consent page" eval \
	'[ "$(wc -l <"$ERR")" = 1 ] && has "browser command '"'curl'"' could not load Google'"'"'s consent page $EMU_URL/o/oauth2/v2/auth (exit status" "$ERR"'
ok "... but not the consent address's query (its state)" eval '! grep -q "auth?" "$ERR"'
printf '#!/bin/sh\nexit 3\n' >"$T/broken-browser"
chmod +x "$T/broken-browser"
BROWSER="$T/broken-browser" gcal-auth login -p nobrowser --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
is "$?" 69 "a browser command that fails before loading the start page exits 69"
ok "... blaming the browser command, with its status" has "browser command '$T/broken-browser' failed (exit status 3)" "$ERR"
BROWSER=curl gcal-auth login -p plaincurl --timeout 3 --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
rc=$?
is "$rc" 75 "a browser that does not follow redirects (curl without -L) times out"
ok "... saying at once that it did not follow the redirect" has "curl' ended after loading only the local start page" "$ERR"
ok "... and in the timeout's message" has 'the browser did not follow the redirect to Google' "$ERR"
printf '#!/bin/sh\nexit 0\n' >"$T/lazy-browser"
chmod +x "$T/lazy-browser"
BROWSER="$T/lazy-browser" gcal-auth login -p lazy --timeout 2 --client-secret "$CLIENT" >"$OUT" 2>"$ERR" </dev/null
is "$?" 75 "a browser that never comes back: login times out with 75"
ok "... saying what it waited for" has 'waited 2 s for Google to send the browser back to http://127.0.0.1:' "$ERR"
ok "... and that the consent page was never asked for" has 'never asked for the consent page' "$ERR"

jq '.installed.client_secret = "GOCSPX-wrong"' "$CLIENT" >"$T/wrong-client.json"
BROWSER="curl -sL" gcal-auth login -p wrongclient --client-secret "$T/wrong-client.json" \
	>"$OUT" 2>"$ERR" </dev/null
is "$?" 77 "a wrong client secret exits 77"

run env XDG_CONFIG_HOME="$T/empty" gcal-auth login -p x --no-browser --timeout 1
is "$rc" 78 "login without any client secret exits 78"
ok "... and says how to get one" has 'client-secret' "$ERR"
run gcal-auth login -p x --client-secret "$T/missing.json"
is "$rc" 66 "a missing client secret file exits 66"
echo '{"installed":' >"$T/bad.json"
run gcal-auth login -p x --client-secret "$T/bad.json"
is "$rc" 65 "a client secret file that is not JSON exits 65"
ok "... naming the file" has "bad.json" "$ERR"

run gcal-auth login -p slow --no-browser --timeout 1 --client-secret "$CLIENT"
is "$rc" 75 "no consent within --timeout exits 75"

# --- Google misbehaves ---------------------------------------------------
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/token$","status":503,"times":2}' >/dev/null
before=$(emu_log_count POST '^/token$')
run gcal-auth token --refresh
is "$rc" 0 "503 twice, then success: the refresh goes through"
is "$(($(emu_log_count POST '^/token$') - before))" 3 "... after exactly 3 attempts"

emu_ctl POST /_emu/faults '{"method":"GET","path":"calendarList","status":429,"retry_after":1,"times":1}' >/dev/null
start=$(date +%s)
run gcal-auth calendars
end=$(date +%s)
is "$rc" 0 "429 with Retry-After is retried"
ok "... after waiting as Google asked" test $((end - start)) -ge 1

emu_ctl POST /_emu/faults '{"method":"GET","path":"calendarList","status":500,"times":100}' >/dev/null
run env GCAL_RETRIES=2 gcal-auth calendars
is "$rc" 75 "5xx after the last retry exits 75"
emu_ctl DELETE /_emu/faults >/dev/null

emu_ctl POST /_emu/faults '{"method":"GET","path":"calendarList","status":403,"reason":"quotaExceeded","times":1}' >/dev/null
before=$(emu_log_count GET 'calendarList')
run gcal-auth calendars
is "$rc" 75 "403 quotaExceeded is not retried and exits 75"
is "$(($(emu_log_count GET 'calendarList') - before))" 1 "... after one request"
emu_ctl DELETE /_emu/faults >/dev/null

run env GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=1 gcal-auth token --refresh
is "$rc" 75 "Google unreachable (connection refused) exits 75: try later"
ok "... saying so in one line" test "$(wc -l <"$ERR")" -eq 1

# A file left 0644 by someone is made 0600 again, with a warning.
chmod 644 "$XDG_STATE_HOME/gcal/default/token.json"
run gcal-auth token --refresh
ok "a token file left 0644 still works" test "$rc" = 0
ok "... with a warning" has 'made 0600' "$ERR"
ok "... and is 0600 again" test "$(mode "$XDG_STATE_HOME/gcal/default/token.json")" = 600

# --- dead grants ----------------------------------------------------------
emu_ctl POST /_emu/grants/revoke '{"user":"alice@example.com"}' >/dev/null
run gcal-auth token --refresh
is "$rc" 77 "a grant revoked in Google's settings exits 77"
ok "... explaining revoked or expired, and the 7-day Testing limit" has '7 days' "$ERR"
ok "... and how to link again" has 'gcal-auth login -p default' "$ERR"
run gcal-auth calendars
is "$rc" 77 "API calls with a dead grant exit 77 too"
run link_account
is "$rc" 0 "login again relinks the profile"

# --- naming the account without an id_token -------------------------------
emu_ctl POST /_emu/config '{"id_tokens":false}' >/dev/null
run link_account noid
is "$(jq -r .account "$T/login.out")" alice@example.com "without an id_token, userinfo names the account"
emu_ctl POST /_emu/faults '{"method":"GET","path":"^/oauth2/v3/userinfo$","status":403,"reason":"insufficientPermissions","times":1}' >/dev/null
run link_account noid2
is "$(jq -r .account "$T/login.out")" alice@example.com "... and without userinfo, the primary calendar's id"
emu_ctl DELETE /_emu/faults >/dev/null
emu_ctl POST /_emu/config '{"id_tokens":true}' >/dev/null

# --- usage --------------------------------------------------------------
run gcal-auth --bogus
is "$rc" 64 "an unknown option exits 64"
run gcal-auth frobnicate
is "$rc" 64 "an unknown subcommand exits 64"
run gcal-auth token --key x
is "$rc" 64 "an option of another subcommand exits 64"
run gcal-auth status -p 'bad/name'
is "$rc" 64 "a bad profile name exits 64"
run gcal-auth status -p nobody
is "$rc" 78 "status of an unknown profile exits 78"
run gcal-auth token -p nobody
is "$rc" 78 "token of an unknown profile exits 78"
run gcal-auth --help
ok "--help prints the synopsis" test "$rc" = 0 -a -n "$(grep 'usage: gcal-auth login' "$OUT")"
run gcal-auth --version
ok "--version prints the version" has '^gcal-auth [0-9]' "$OUT"

done_testing
