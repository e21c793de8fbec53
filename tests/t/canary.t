#!/bin/sh
# Canary secrets: planted in every input file (client secret, service
# account key, tokens) and in every Google answer (the emulator's tokens
# and codes carry a marker; error texts echo the request's secret), then
# every program is driven down its error paths (faults, bad files,
# unreachable hosts, -vv traces, GCAL_RECORD fixtures), and every byte
# written is searched for them: stdout, stderr, traces, fixtures, state
# files other than the secret files themselves, and the argv and
# environment of the children ($BROWSER, forward-apply --exec).
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }

MARK=CANARYq7
# A token of nobody's that Google's texts may echo: never registered, so
# only the look of it can redact it where Google's words are shown
# (messages, result records); traces and fixtures keep answers as they
# came, but for the registered secrets.
FAKE=FAKEfake0123456789abcdefGHIJ
IN=$T/in   # the secret inputs themselves: not searched
W=$T/w     # everything the programs write
mkdir -p "$IN" "$W"
emu_ctl POST /_emu/config "{\"secret_marker\":\"$MARK\"}" >/dev/null

CID=canary-client.apps.googleusercontent.com
CSECRET=GOCSPX-${MARK}clientSecret0001
emu_ctl POST /_emu/clients "{\"client_id\":\"$CID\",\"client_secret\":\"$CSECRET\"}" >/dev/null
jq -n --arg id "$CID" --arg s "$CSECRET" '{installed:{client_id:$id, client_secret:$s,
	auth_uri:"https://accounts.google.com/o/oauth2/auth", token_uri:"https://oauth2.googleapis.com/token",
	redirect_uris:["http://localhost"]}}' >"$IN/client.json"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$IN/key.pem" 2>/dev/null
jq -n --rawfile pk "$IN/key.pem" '{type:"service_account", project_id:"gcal-test",
	private_key_id:"kid-canary", private_key:$pk,
	client_email:"canary@gcal-test.iam.gserviceaccount.com", client_id:"99",
	token_uri:"https://oauth2.googleapis.com/token"}' >"$IN/key.json"
emu_ctl POST /_emu/service-accounts "$(cat "$IN/key.json")" >/dev/null

# n: a counter so each run writes its own files
n=0
# go EXPECT PROG ARGS...: run with stdout and stderr under $W; EXPECT is
# the exit status wanted ("nz" for any failure, "-" for any)
go() {
	_want=$1
	shift
	n=$((n + 1))
	"$@" >"$W/$n.out" 2>"$W/$n.err"
	_rc=$?
	case $_want in
	-) ;;
	nz) [ "$_rc" -ne 0 ] || { echo "# run $n ($*) exited 0, wanted a failure"; bad=$((bad + 1)); } ;;
	*) [ "$_rc" -eq "$_want" ] || { echo "# run $n ($*) exited $_rc, wanted $_want"; sed 's/^/#   /' "$W/$n.err" | head -5; bad=$((bad + 1)); } ;;
	esac
}
bad=0
exec </dev/null   # stdin only where a run gets its own
fault() { emu_ctl POST /_emu/faults "$1" >/dev/null; }
nofaults() { emu_ctl DELETE /_emu/faults >/dev/null; }

export GCAL_RECORD=$W/record.ndjson
export GCAL_RETRIES=1

# A browser that records its argv and environment, then follows the flow.
cat >"$T/browser" <<EOF
#!/bin/sh
{ printf '%s\n' "\$0" "\$@"; } >>"$W/child.argv"
env >>"$W/child.env"
exec curl -sL -o /dev/null "\$@"
EOF
cat >"$T/pbx" <<EOF
#!/bin/sh
{ printf '%s\n' "\$0" "\$@"; } >>"$W/child.argv"
env >>"$W/child.env"
cat >>"$W/child.stdin"
EOF
chmod +x "$T/browser" "$T/pbx"
export BROWSER=$T/browser

# --- bad secret files ----------------------------------------------------------
head -c "$(($(grep -bo "$MARK" "$IN/client.json" | head -1 | cut -d: -f1) + 12))" "$IN/client.json" >"$IN/client-cut.json"
go 65 gcal-auth -vv login -p cut --client-secret "$IN/client-cut.json"
go 65 gcal-auth -vv login -p pem --client-secret "$IN/key.pem"
go 65 gcal-auth service-account -p pem --key "$IN/key.pem" --subject alice@example.com
head -c 900 "$IN/key.json" >"$IN/key-cut.json"
go 65 gcal-auth service-account -p cut --key "$IN/key-cut.json" --subject alice@example.com
jq --arg m "-----BEGIN PRIVATE KEY-----\n${MARK}notakey\n-----END PRIVATE KEY-----\n" '.private_key = $m' "$IN/key.json" >"$IN/key-bad.json"
go 65 gcal-auth service-account -p badkey --key "$IN/key-bad.json" --subject alice@example.com
printf '%s' "{\"installed\":{\"client_id\":\"$CID\",\"client_secret\":\"$CSECRET\"}}}" >"$IN/client-extra.json"
go 65 gcal-auth login -p extra --client-secret "$IN/client-extra.json"
printf '%s\n' "{\"installed\":{\"client_id\":\"$CID\",\"client_secret\":\"$CSECRET\u0001\"}}" >"$IN/client-esc.json"
printf '{"installed":{"client_id":"x","client_secret":"%s\001"}}\n' "$CSECRET" >"$IN/client-ctl.json"
go 65 gcal-auth login -p ctl --client-secret "$IN/client-ctl.json"

# --- login, its failures --------------------------------------------------------
go 0 gcal-auth -vv login -p shop --client-secret "$IN/client.json"
go 0 gcal-auth -vv login -p books
emu_ctl POST /_emu/config '{"consent":"deny"}' >/dev/null
go 77 gcal-auth -vv login -p denied
emu_ctl POST /_emu/config '{"consent":"auto"}' >/dev/null
go 77 env BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=account gcal-auth -vv login -p other --account alice@example.com
go 65 env BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=state gcal-auth -vv login -p forged
go 77 env BROWSER="$TOP/tests/helpers/browser-tamper" TAMPER=challenge gcal-auth -vv login -p pkce
fault '{"method":"POST","path":"^/token$","status":400,"reason":"invalid_grant","message":"Bad code {token}","times":1}'
go 77 gcal-auth -vv login -p badcode
fault '{"method":"POST","path":"^/token$","action":"drop_after","times":2}'
go nz gcal-auth -vv login -p dropped
nofaults

# --- tokens: refresh failures that echo the refresh token ---------------------------
gcal-auth token -p shop >"$IN/token.out" 2>/dev/null
fault '{"method":"POST","path":"^/token$","status":500,"message":"Backend choked on {token}","times":2}'
go 75 gcal-auth -vv token -p shop --refresh
fault '{"method":"POST","path":"^/token$","status":400,"reason":"invalid_grant","message":"Token {token} has been expired or revoked.","times":1}'
go 77 gcal-auth -vv token -p shop --refresh
fault '{"method":"POST","path":"^/token$","status":401,"reason":"invalid_client","message":"Unauthorized client {token} ya29.'"$FAKE"'","times":1}'
go 77 gcal-auth -vv token -p shop --refresh
nofaults
go 0 gcal-auth -vv token -p shop --refresh >/dev/null
mv "$W/$n.out" "$IN/token2.out"
: >"$W/$n.out"

# --- calendar calls whose errors echo the bearer token -------------------------------
go 0 gcal-auth -vv use -p shop --create Canary
fault '{"method":"GET","path":"calendarList","status":403,"reason":"forbidden","message":"Forbidden for {token}","times":1}'
go nz gcal-auth -vv calendars -p shop
fault '{"method":"GET","path":"calendarList","status":500,"message":"Oops {token}","times":2}'
go 75 gcal-auth -vv status -p shop --check
fault '{"method":"GET","path":"calendarList","status":401,"reason":"authError","message":"Invalid Credentials {token}","times":1}'
go 0 gcal-auth -vv calendars -p shop
fault '{"method":"POST","path":"^/calendar/v3/calendars$","action":"drop_after","times":1}'
go 0 gcal-auth -vv use -p books --create "Canary two"
fault '{"method":"POST","path":"^/calendar/v3/calendars$","status":400,"reason":"invalid","message":"Bad body from {token}","times":1}'
go 65 gcal-auth -vv use -p books --create "Canary three"
nofaults

# --- push and pull ---------------------------------------------------------------
jq -nc '{op:"insert", target:"remote", id:"canar00001", event:{summary:"0612345678",
	start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}}' >"$W/push.in"
jq -nc '{op:"insert", target:"remote", id:"canar00002", event:{summary:"x",
	start:{dateTime:"2026-11-24T10:00:00+01:00"}, end:{dateTime:"2026-11-24T11:00:00+01:00"}}}' >"$W/push2.in"
fault '{"batch_part":true,"method":"POST","path":"/events$","status":400,"reason":"invalid","message":"Invalid event for ya29.'"$FAKE"' and 1//0'"$FAKE"'","times":1}'
go 1 gcal-push -vv -p shop <"$W/push2.in"
n=$((n + 1)); gcal-push -vv -p shop <"$W/push2.in" >"$W/$n.out" 2>"$W/$n.err"
fault '{"method":"POST","path":"^/batch/calendar/v3$","status":400,"reason":"badRequest","message":"Bad batch {token}","times":1}'
n=$((n + 1)); gcal-push -vv -p shop <"$W/push.in" >"$W/$n.out" 2>"$W/$n.err"
nofaults
n=$((n + 1)); gcal-push -vv -p shop <"$W/push.in" >"$W/$n.out" 2>"$W/$n.err"
has '"status":"ok"' "$W/$n.out" || { echo "# push did not insert"; sed 's/^/#   /' "$W/$n.out" "$W/$n.err" | head; bad=$((bad + 1)); }
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
go 0 gcal-pull -vv -p shop
cp "$W/$n.out" "$W/events.ndjson"
fault '{"method":"GET","path":"/events$","status":500,"message":"Try later {token}","times":2}'
go 75 gcal-pull -vv -p shop --changes
fault '{"method":"GET","path":"/events$","status":403,"reason":"insufficientPermissions","message":"Scope missing for {token}","times":1}'
go nz gcal-pull -vv -p shop --changes
nofaults
go 0 gcal-pull -vv -p shop --changes
go nz env GCAL_ENDPOINT=http://127.0.0.1:9 gcal-pull -vv -p shop --changes
go nz env GCAL_ENDPOINT=http://127.0.0.1:9 gcal-auth -vv token -p shop --refresh
go nz env GCAL_ENDPOINT=http://127.0.0.1:9 gcal-push -vv -p shop <"$W/push.in"
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
go nz env GCAL_REPLAY="$W/record.ndjson" GCAL_RECORD= gcal-pull -vv -p shop --changes

# --- gcal-diff and forward-apply ------------------------------------------------------
printf '%s\n' "{\"id\":\"a\",\"summary\":\"ya29.${MARK}notjson" >"$IN/cut.ndjson"
go 65 gcal-diff -v "$IN/cut.ndjson" "$W/events.ndjson"
go 0 gcal-diff -v "$W/events.ndjson" /dev/null
go - forward-apply -v -p shop -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx" <"$W/events.ndjson"
go - forward-apply -v -p shop -e 333 --at 2026-11-23T10:30:00+01:00 --post "$EMU_URL/nowhere" <"$W/events.ndjson"

# --- damaged token and profile files ---------------------------------------------------
S=$XDG_STATE_HOME/gcal
cp "$S/books/token.json" "$IN/books-token.json"
head -c "$(($(grep -bo "$MARK" "$S/books/token.json" | head -1 | cut -d: -f1) + 20))" "$IN/books-token.json" >"$S/books/token.json"
go 78 gcal-auth -vv token -p books
go 78 gcal-auth -vv status -p books
go 78 gcal-auth list
go 78 gcal-pull -vv -p books
go 78 gcal-push -vv -p books <"$W/push.in"
go 78 gcal-revoke -vv -p books
cp "$IN/books-token.json" "$S/books/token.json"

# --- service account ----------------------------------------------------------------
go 0 gcal-auth -vv service-account -p sa --key "$IN/key.json" --subject alice@example.com
fault '{"method":"POST","path":"^/token$","status":400,"reason":"invalid_grant","message":"Invalid JWT {token}","times":1}'
go 77 gcal-auth -vv token -p sa --refresh
nofaults
go 0 gcal-auth -vv calendars -p sa

# --- revoke: unreachable, refusing, then done -------------------------------------------
# refused: 75, the rule of gcal(7) (issue 12 item 7)
go 75 env GCAL_ENDPOINT=http://127.0.0.1:9 GCAL_RETRIES=0 gcal-revoke -vv -p shop
fault '{"method":"POST","path":"^/revoke$","status":503,"message":"Busy revoking {token}","times":2}'
go 75 gcal-revoke -vv -p shop
fault '{"method":"POST","path":"^/revoke$","status":401,"reason":"unauthorized","message":"No {token}","times":1}'
go 77 gcal-revoke -vv -p shop
nofaults
go 0 gcal-revoke -vv -p shop
go 0 gcal-revoke -vv -p sa

# --- Microsoft: memu marks its tokens, codes and device codes the same way ---
GRAPH_LIB_SRC=$TOP/tests/lib-graph.sh
. "$TOP/tests/lib-graph.sh"
graph_start >/dev/null || echo "# graph emulator did not start"
graph_ctl POST /_emu/config "{\"secret_marker\":\"$MARK\",\"device_interval\":1}" >/dev/null
go 0 gcal-auth -vv login -p ms --provider microsoft --client-id "$GRAPH_CLIENT_ID"
go 0 gcal-auth -vv status -p ms --check
go 0 gcal-auth -vv calendars -p ms
go 0 gcal-auth -vv use -p ms --create Canary
graph_ctl POST /_emu/tokens/expire '{}' >/dev/null
go 0 gcal-auth -vv calendars -p ms
# pull and push with their bodies traced, a 401 refreshing in each, and
# Graph errors that echo the request's token (a hostile or buggy answer)
jq -nc '{op:"insert", target:"remote", id:"mscanary1", key:"mscanary1",
	event:{summary:"canary", start:{dateTime:"2026-12-01T10:00:00Z"}, end:{dateTime:"2026-12-01T10:30:00Z"},
	extendedProperties:{private:{gcalOwner:"crm", gcalKey:"mscanary1"}}}}' >"$T/ms-push.in"
go 0 gcal-push -vv -p ms "$T/ms-push.in"
go 0 gcal-pull -vv -p ms
graph_ctl POST /_emu/tokens/expire '{}' >/dev/null
go 0 gcal-pull -vv -p ms --full
graph_ctl POST /_emu/faults '{"path":"calendarView/delta","status":400,"code":"ErrorInvalidRequest","message":"Bad token {token}","times":1}' >/dev/null
go 65 gcal-pull -vv -p ms
graph_ctl POST /_emu/faults '{"method":"POST","path":"/events$","batch_part":true,"status":403,"code":"ErrorAccessDenied","message":"Denied for {token}","times":1}' >/dev/null
go 77 gcal-push -vv -p ms "$T/ms-push.in"
graph_ctl POST /_emu/faults '{"path":"/oauth2/v2\\.0/token$","status":500,"message":"Down for {token}","times":-1}' >/dev/null
graph_ctl POST /_emu/tokens/expire '{}' >/dev/null
go 75 gcal-auth -vv token -p ms --refresh
graph_ctl DELETE /_emu/faults >/dev/null
gcal-auth login -p msdev --provider microsoft --client-id "$GRAPH_CLIENT_ID" --device \
	>"$W/dev.out" 2>"$W/dev.err" &
dev=$!
sleep 1.5
graph_ctl POST /_emu/device/approve "{\"user_code\":\"$(sed -n 's/.* the code \([A-Z0-9]*\)$/\1/p' "$W/dev.err")\"}" >/dev/null
wait "$dev" || { echo "# the device login failed"; bad=$((bad + 1)); }
graph_ctl POST /_emu/refresh/revoke '{}' >/dev/null
go 77 gcal-auth -vv token -p ms --refresh
go 0 gcal-revoke -vv -p ms
graph_ctl GET /_emu/secrets | jq -r '.[]' >"$T/graph-secrets"
unset GCAL_RECORD

is "$bad" 0 "every error path was driven, with the exit status it should have"
ok "the flows ran: a login, a push, a pull, a revoke" eval \
	'grep -q "\"account\":\"alice@example.com\"" "$W"/*.out && grep -q "\"status\":\"ok\"" "$W"/*.out &&
	grep -q canar00001 "$W"/*.out && grep -q "\"revoked\":true" "$W"/*.out'
ok "the children were started: the browser and the --exec backend" \
	eval 'grep -q "/browser$" "$W/child.argv" && grep -q "/pbx$" "$W/child.argv" && test -s "$W/child.env"'
ok "the fixture was written" test -s "$W/record.ndjson"

# --- the search -------------------------------------------------------------------------
emu_ctl GET /_emu/secrets | jq -r '.[]' >"$T/secret-list"
cat "$T/graph-secrets" >>"$T/secret-list"
{
	echo "$MARK"
	echo "$CSECRET"
	grep -v -- '-----' "$IN/key.pem"   # every line of the private key
	cat "$IN/token.out" "$IN/token2.out"
} >>"$T/secret-list"
# and their percent-encoded spellings
while IFS= read -r s; do
	jq -rn --arg s "$s" '$s | @uri'
done <"$T/secret-list" >"$T/secret-enc"
cat "$T/secret-enc" >>"$T/secret-list"
sort -u "$T/secret-list" | awk 'length($0) >= 8' >"$T/canaries"
ok "canaries to look for" test "$(wc -l <"$T/canaries")" -ge 40
find "$W" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$HOME" -type f \
	! -path "$XDG_STATE_HOME/*/token.json" \
	! -path "$XDG_CONFIG_HOME/*client_secret.json" \
	! -path "$XDG_CONFIG_HOME/*/service-account.json" >"$T/files"
ok "files to search: outputs, traces, the fixture, state, children's argv and environment" \
	test "$(wc -l <"$T/files")" -ge 100
leaks=0
while IFS= read -r f; do
	if grep -qF -f "$T/canaries" -- "$f"; then
		leaks=$((leaks + 1))
		echo "# a canary in $f:"
		grep -oF -f "$T/canaries" -- "$f" | head -3 | sed 's/^/#   /'
		grep -F -f "$T/canaries" -- "$f" | head -2 | cut -c1-300 | sed 's/^/#   line: /'
	fi
done <"$T/files"
is "$leaks" 0 "no canary in any byte written but the secret files themselves"
grep -lF "$FAKE" "$W"/*.out "$W"/*.err >"$T/fake-hits" 2>/dev/null
# a -vv trace shows bodies: look at the message lines only
fake=0
for f in "$W"/*.out "$W"/*.err; do
	if grep -v '^[a-z-]*: [<>] \|^  \|^{\|^}\|^ *"\|^ *[]}],\?$' "$f" | grep -qF "$FAKE"; then
		fake=$((fake + 1))
		echo "# an echoed token shown in $f"
	fi
done
is "$fake" 0 "no token-looking word of Google's in a message or result record"
ok "Google's echoed texts are shown redacted" grep -q '<REDACTED>\|<REFRESH_TOKEN_[0-9]*>\|<ACCESS_TOKEN_[0-9]*>' "$W"/*.err

done_testing
