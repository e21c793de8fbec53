#!/bin/sh
# Secrets never reach traces or fixtures; fixtures replay offline.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }

REC=$T/record.ndjson
export GCAL_RECORD=$REC
BROWSER="curl -sL" gcal-auth -v login --client-secret "$CLIENT" >"$T/o1" 2>"$T/e1" </dev/null
is "$?" 0 "login while recording"
gcal-auth -vv token --refresh >"$T/o2" 2>"$T/e2"
gcal-auth -vv calendars >"$T/o3" 2>"$T/e3"
gcal-auth -vv status --check >"$T/o4" 2>"$T/e4"
unset GCAL_RECORD
ok "the fixture has one line per exchange" test "$(wc -l <"$REC")" -ge 5
ok "every line is a request and its response" \
	jq_ok -s 'all(.[]; (.request.method | type) == "string" and (.response.status | type) == "number")' "$REC"
ok "URLs are Google's, whatever GCAL_ENDPOINT was" \
	jq_ok -s 'all(.[]; .request.url | startswith("https://"))' "$REC"
ok "tokens show as stable placeholders" has '<ACCESS_TOKEN_1>' "$REC"
ok "the -vv trace shows redacted bodies" has '<REFRESH_TOKEN_1>' "$T/e2"

# Every secret the emulator handed out or accepted, searched in every byte
# the programs wrote outside their 0600 state files.
emu_ctl GET /_emu/secrets | jq -r '.[]' >"$T/secret-list"
ok "the emulator handed out secrets to look for" test "$(wc -l <"$T/secret-list")" -ge 4
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	# o2 is the output of gcal-auth token: a token, by design
	for f in "$REC" "$T"/o1 "$T"/o3 "$T"/o4 "$T"/e[0-9]; do
		if grep -qF -- "$s" "$f"; then
			leaks=$((leaks + 1))
			echo "# secret found in $f"
		fi
	done
done <"$T/secret-list"
is "$leaks" 0 "no secret in any output, trace or fixture"
ok "the fixture is not world-readable" test "$(mode "$REC")" = 600

# Replay: the same answers with no network at all.
GCAL_RECORD=$T/cal.ndjson gcal-auth calendars >"$T/live" 2>&1
GCAL_REPLAY=$T/cal.ndjson GCAL_ENDPOINT=http://127.0.0.1:9 gcal-auth calendars >"$T/replayed" 2>"$ERR"
is "$?" 0 "a recorded run replays with Google unreachable"
ok "... to byte-identical output" cmp -s "$T/live" "$T/replayed"
run env GCAL_REPLAY="$T/cal.ndjson" GCAL_ENDPOINT=http://127.0.0.1:9 gcal-auth status --check
is "$rc" 69 "a request that was not recorded fails"
ok "... naming the request" has 'no recorded answer for POST https://oauth2.googleapis.com/token' "$ERR"
run env GCAL_REPLAY="$T/nonexistent" gcal-auth calendars
is "$rc" 66 "a missing fixture file exits 66"
echo 'not json' >"$T/broken.ndjson"
run env GCAL_REPLAY="$T/broken.ndjson" gcal-auth calendars
is "$rc" 65 "a broken fixture exits 65"
ok "... naming file and line" has "broken.ndjson' line 1" "$ERR"

# --- every byte a whole session produced ------------------------------------
# Each program, traced (-vv) and recorded, on the success and the failure
# paths; then every file under $T is searched for every secret, but for
# the 0600 state files that hold them by design and the emulator's log.
export GCAL_RECORD=$T/all.ndjson
W=$T/work
mkdir -p "$W"
BROWSER="curl -sL" gcal-auth -vv login -p all --client-secret "$CLIENT" >"$W/login.out" 2>"$W/login.err" </dev/null
CAL=$(gcal-auth -p all use --create "Secrets" 2>"$W/use.err" | jq -r .id)
gcal-auth -vv -p all calendars >"$W/cal.out" 2>"$W/cal.err"
gcal-auth -vv -p all status --check >"$W/status.out" 2>"$W/status.err"
jq -nc '{op:"insert", target:"remote", id:"secret0001", event:{summary:"0612345678",
	start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}}' >"$W/push.in"
gcal-push -vv -p all <"$W/push.in" >"$W/push.out" 2>"$W/push.err"
emu_ctl POST /_emu/tokens/expire '{}' >/dev/null
gcal-pull -vv -p all >"$W/pull.out" 2>"$W/pull.err"
gcal-pull -vv -p all --changes >"$W/pull2.out" 2>"$W/pull2.err"
gcal-diff -v "$W/pull.out" /dev/null >"$W/diff.out" 2>"$W/diff.err"
forward-apply -v -p all -e 333 --at 2026-11-23T10:30:00+01:00 -n <"$W/pull.out" >"$W/fw.out" 2>"$W/fw.err"
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/token$","status":500,"times":1}' >/dev/null
gcal-auth -vv -p all token --refresh >/dev/null 2>"$W/refresh.err"
emu_ctl POST /_emu/faults '{"method":"POST","path":"^/token$","status":400,"reason":"invalid_grant","times":1}' >/dev/null
gcal-auth -vv -p all token --refresh >/dev/null 2>"$W/dead.err"
emu_ctl DELETE /_emu/faults >/dev/null
gcal-revoke -vv -p all >"$W/revoke.out" 2>"$W/revoke.err"
gcal-pull -vv -p all >"$W/after.out" 2>"$W/after.err"
unset GCAL_RECORD
ok "the session ran: login, push, pull and revoke" eval \
	'has "\"account\":\"alice@example.com\"" "$W/login.out" && has "\"status\":\"ok\"" "$W/push.out" &&
	has secret0001 "$W/pull.out" && has "\"revoked\":true" "$W/revoke.out"'
emu_ctl GET /_emu/secrets | jq -r '.[]' >"$T/secret-list"
find "$T" -type f ! -name secret-list ! -name gemu.log ! -name gemu.port \
	! -path "$XDG_STATE_HOME/*/token.json" ! -path "$XDG_CONFIG_HOME/*/client_secret.json" \
	! -path "$T/o2" >"$T/files"
ok "... leaving files to search" test "$(wc -l <"$T/files")" -ge 20
leaks=0
while IFS= read -r s; do
	[ ${#s} -ge 8 ] || continue
	while IFS= read -r f; do
		if grep -qF -- "$s" "$f"; then
			leaks=$((leaks + 1))
			echo "# a secret in $f"
		fi
	done <"$T/files"
done <"$T/secret-list"
is "$leaks" 0 "no secret in any byte the session wrote outside the 0600 token and client files"

done_testing
