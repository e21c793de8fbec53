#!/bin/sh
# gcal-auth service-account: JWT bearer assertions (RS256) checked by the server.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }

# make_key NAME: a service account key file like Google Cloud console's.
make_key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/$1.pem" 2>/dev/null
	jq -n --rawfile pk "$T/$1.pem" --arg name "$1" '{
		type: "service_account", project_id: "gcal-test",
		private_key_id: ("kid-" + $name), private_key: $pk,
		client_email: ($name + "@gcal-test.iam.gserviceaccount.com"),
		client_id: "1234567890", token_uri: "https://oauth2.googleapis.com/token"}' >"$T/$1.json"
}

make_key robot
emu_ctl POST /_emu/service-accounts "$(cat "$T/robot.json")" >/dev/null
run gcal-auth service-account -p sa --key "$T/robot.json" --subject alice@example.com
is "$rc" 0 "a service account links with a signed assertion"
is "$(jq -r '[.kind,.account] | join(" ")' "$OUT")" "service_account alice@example.com" \
	"... acting as the subject"
ok "no refresh token is stored" sh -c "! jq -e .refresh_token '$XDG_STATE_HOME/gcal/sa/token.json' >/dev/null"
ok "the key copy is 0600" test "$(mode "$XDG_CONFIG_HOME/gcal/sa/service-account.json")" = 600

run gcal-auth token -p sa
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$OUT")" \
	"$EMU_URL/calendar/v3/users/me/calendarList")
is "$code" 200 "its token is accepted by Google"
before=$(emu_log_count POST '^/token$')
run gcal-auth token -p sa --refresh
is "$rc" 0 "a new token is minted on demand"
is "$(($(emu_log_count POST '^/token$') - before))" 1 "... with one assertion"
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
run gcal-auth calendars -p sa
is "$rc" 0 "an expired service-account token is minted again"

# A key Google does not know (signature does not verify).
make_key impostor
jq --arg e robot@gcal-test.iam.gserviceaccount.com '.client_email = $e' "$T/impostor.json" >"$T/forged.json"
run gcal-auth service-account -p forged --key "$T/forged.json" --subject alice@example.com
is "$rc" 77 "an assertion with a bad signature exits 77"
ok "... with Google's reason" has 'invalid_grant' "$ERR"
ok "... and creates no profile" test ! -e "$XDG_CONFIG_HOME/gcal/forged/profile.json"

# Delegation not granted by the admin.
make_key nodeleg
emu_ctl POST /_emu/service-accounts "$(jq '. + {delegation: false}' "$T/nodeleg.json")" >/dev/null
run gcal-auth service-account -p nodeleg --key "$T/nodeleg.json" --subject alice@example.com
is "$rc" 77 "a service account without delegation exits 77"
ok "... pointing at the admin console" has 'admin console' "$ERR"

run gcal-auth service-account -p x --key "$T/none.json" --subject alice@example.com
is "$rc" 66 "a missing key file exits 66"
echo '{"type":"authorized_user"}' >"$T/notsa.json"
run gcal-auth service-account -p x --key "$T/notsa.json" --subject alice@example.com
is "$rc" 65 "a file that is no service account key exits 65"
run gcal-auth service-account -p x --key "$T/robot.pem" --subject alice@example.com
is "$rc" 65 "a PEM given as the JSON key exits 65"
ok "... in one line naming the file, the line and what was expected" eval \
	'test "$(wc -l <"$ERR")" -eq 1 && has "robot.pem'"'"' line 1: a PEM file, not JSON; expected a service account" "$ERR"'
lacks 'BEGIN\|MII' "$ERR" && pass "... never quoting the key" || fail "... never quoting the key"
head -c 700 "$T/robot.json" >"$T/cut.json"
run gcal-auth service-account -p x --key "$T/cut.json" --subject alice@example.com
is "$rc" 65 "a cut-off key file exits 65"
ok "... naming the file and its line" has "cut.json' line [0-9]*: not JSON" "$ERR"
ok "... in one line, never quoting it" eval 'test "$(wc -l <"$ERR")" -eq 1 && ! grep -q "MII\|private_key" "$ERR"'
run gcal-auth service-account -p x --key "$T" --subject alice@example.com
is "$rc" 66 "a directory given as the key exits 66"
run gcal-auth service-account -p x --key "$T/robot.json"
is "$rc" 64 "--subject is required"

K=$XDG_CONFIG_HOME/gcal/sa/service-account.json
cp "$K" "$T/sa-key.saved"
head -c 500 "$T/sa-key.saved" >"$K"
run gcal-auth token -p sa --refresh
is "$rc" 78 "a damaged copy of the key exits 78"
ok "... naming it and its line, in one line" eval \
	'has "service-account.json'"'"' line [0-9]*: not JSON" "$ERR" && test "$(wc -l <"$ERR")" -eq 1'
lacks 'MII' "$ERR" && pass "... never quoting it" || fail "... never quoting it"
cp "$T/sa-key.saved" "$K"

run gcal-revoke -p sa
is "$rc" 0 "revoking a service-account profile exits 0"
ok "... says delegation is withdrawn in the admin console" has 'admin console' "$ERR"
ok "... and removes the profile" test ! -e "$XDG_CONFIG_HOME/gcal/sa"
run gcal-auth token -p sa
is "$rc" 78 "the removed profile is gone (78)"

done_testing
