#!/bin/sh
# gcal-revoke: unlink at Google and forget locally.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }

run link_account
mkdir -p "$XDG_STATE_HOME/gcal/default/sync"
echo '{}' >"$XDG_STATE_HOME/gcal/default/sync/mirror.json"

# Google cannot be reached: nothing is forgotten, try again later.
run env GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=0 gcal-revoke
is "$rc" 75 "revoke with Google unreachable exits 75: try later"
ok "... and keeps the token" test -f "$XDG_STATE_HOME/gcal/default/token.json"
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

run gcal-revoke -p nobody
is "$rc" 78 "revoke of an unknown profile exits 78"
run gcal-revoke extra
is "$rc" 64 "an operand exits 64"
run gcal-revoke --version
ok "--version" has '^gcal-revoke ' "$OUT"

done_testing
