#!/bin/sh
# gcal-revoke: unlink at Google and forget locally.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }

run link_account
mkdir -p "$XDG_STATE_HOME/gcal/default/sync"
echo '{}' >"$XDG_STATE_HOME/gcal/default/sync/mirror.json"

# Google cannot be reached: nothing is forgotten, try again later.
RT=$(jq -r .refresh_token "$XDG_STATE_HOME/gcal/default/token.json")
RT_ENC=$(jq -rn --arg t "$RT" '$t | @uri')
run env GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=0 gcal-revoke
is "$rc" 75 "revoke with Google unreachable exits 75: try later"
ok "... and keeps the token" test -f "$XDG_STATE_HOME/gcal/default/token.json"
ok "... with an error line that holds no token, plain or URL-encoded" \
	eval 'test -s "$ERR" && ! grep -qF -- "$RT" "$ERR" && ! grep -qF -- "$RT_ENC" "$ERR"'
run env GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=0 gcal-revoke -vv
ok "... nor does its -vv trace" \
	eval '! grep -qF -- "$RT" "$ERR" && ! grep -qF -- "$RT_ENC" "$ERR"'
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/revoke$","status":503,"times":100}' >/dev/null
run env GCAL_RETRIES=1 gcal-revoke
is "$rc" 75 "revoke while Google answers 503 exits 75"
ok "... and keeps the token" test -f "$XDG_STATE_HOME/gcal/default/token.json"
emu_ctl DELETE /_emu/faults >/dev/null

run gcal-revoke
is "$rc" 0 "revoke exits 0"
is "$(jq -r '[.account,.revoked] | join(" ")' "$OUT")" "alice@example.com true" \
	"... and says which account was unlinked"
is "$(emu_ctl GET /_emu/grants | jq '[.[] | select(.revoked)] | length')" 1 \
	"the grant is revoked at Google"
is "$(curl -sS "$EMU_URL/_emu/log" | jq -s '[.[] | select(.path == "/revoke")] | length')" 3 \
	"the revocations reached Google"
is "$(curl -sS "$EMU_URL/_emu/log" | jq -s '[.[] | select(.path == "/revoke" and .query != {})] | length')" 0 \
	"... with the token in the form body, never in the URL (RFC 7009)"
ok "no token file remains" test ! -e "$XDG_STATE_HOME/gcal/default/token.json"
ok "the sync state is gone" test ! -e "$XDG_STATE_HOME/gcal/default/sync"
run gcal-auth token
is "$rc" 77 "gcal-auth token then exits 77"
ok "... saying the link is gone" has 'link is gone' "$ERR"
run gcal-auth status
is "$(jq -r .linked "$OUT")" false "status shows the profile unlinked"

run gcal-revoke
is "$rc" 0 "revoking again exits 0"
is "$(jq -r .already_revoked "$OUT")" true "... saying it was already revoked"

# Revoked at Google by the user first: Google says invalid_token, that is fine.
run link_account keep
mkdir -p "$XDG_STATE_HOME/gcal/keep/sync"
emu_ctl POST /_emu/grants/revoke '{"user":"alice@example.com"}' >/dev/null
run gcal-revoke -p keep --keep-state
is "$rc" 0 "revoke of a grant Google already dropped exits 0"
is "$(jq -r .already_revoked "$OUT")" true "... saying it was already revoked"
ok "--keep-state keeps the sync state" test -d "$XDG_STATE_HOME/gcal/keep/sync"
ok "... but not the token" test ! -e "$XDG_STATE_HOME/gcal/keep/token.json"

run link_account keep
is "$rc" 0 "a revoked profile can be linked again"
run gcal-auth token -p keep
is "$rc" 0 "... and gives tokens again"

# One grant, three profiles: revoking one ends them all at Google.
run link_account shop
run link_account books
run link_account other --account bob@example.com
run gcal-auth token -p books
is "$rc" 0 "a second profile of the same account and client works"
run gcal-revoke -p shop
is "$rc" 0 "revoking one of them exits 0"
ok "... saying first which profiles share the grant" has "shared by profiles 'books', 'keep'" "$ERR"
is "$(jq -c .also_revoked "$OUT")" '["books","keep"]' "... and listing them in its record"
lacks other "$OUT" && pass "... but not another account's profile" || fail "... but not another account's profile"
run gcal-auth list
is "$(jq -r 'select(.profile == "books") | [.linked, .revoked_with] | join(" ")' "$OUT")" "false shop" \
	"gcal-auth list shows the sharer revoked, with the profile it went with"
is "$(jq -r 'select(.profile == "other") | .linked' "$OUT")" true "... and the other account still linked"
ok "the sharer's dead tokens are gone" test ! -e "$XDG_STATE_HOME/gcal/books/token.json"
n0=$(emu_log_count POST '^/token$')
run gcal-auth token -p books
is "$rc" 77 "the sharer then exits 77"
ok "... naming the revocation" has "revoked with profile 'shop'" "$ERR"
is "$(emu_log_count POST '^/token$')" "$n0" "... without sending its dead token to Google"
run gcal-auth status -p books
is "$(jq -r .linked "$OUT")" false "status shows it revoked"
run gcal-auth token -p other
is "$rc" 0 "the other account's profile still works"

# a gcal-watch that holds the link's channels: revoke waits, then gives up
link_account w
( flock 9; touch "$T/held"; sleep 3 ) 9>>"$XDG_STATE_HOME/gcal/w/watch.lock" &
HOLDER=$!
i=0; while [ ! -e "$T/held" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.02; done
run env GCAL_LOCK_TIMEOUT=0 gcal-revoke -p w
is "$rc" 75 "revoke while gcal-watch changes the link's channels: try later (75)"
ok "... saying the lock is busy" has "watch.lock" "$ERR"
run gcal-auth status -p w
is "$(jq -r .linked "$OUT")" true "... and the link is still linked"
wait "$HOLDER"
run gcal-revoke -p w
is "$rc" 0 "once it is free, revoke goes on"

run gcal-revoke -p nobody
is "$rc" 78 "revoke of an unknown profile exits 78"
run gcal-revoke extra
is "$rc" 64 "an operand exits 64"
run gcal-revoke --version
ok "--version" has '^gcal-revoke ' "$OUT"

done_testing
