#!/bin/sh
# TLS is always verified; the loopback listener of gcal-auth login binds
# 127.0.0.1 only, answers one sign-in and closes; no secret reaches the
# argv or the environment of a child process (the browser, the backend).
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
GCAL_RETRIES=1
export GCAL_RETRIES
run link_account || { echo "Bail out! cannot link"; exit 1; }
gcal-auth calendars >"$T/cals.http" 2>/dev/null

# --- a CA of our own, a certificate for 127.0.0.1 and one for another name ---------
P=$T/pki
mkdir -p "$P"
(
	cd "$P" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gcal test CA" \
		-keyout ca.key -out ca.pem
	for n in good:IP:127.0.0.1 wrong:DNS:www.example.com; do
		name=${n%%:*}
		openssl req -newkey rsa:2048 -nodes -subj "/CN=${n#*:}" -keyout $name.key -out $name.csr
		printf 'subjectAltName=%s\n' "${n#*:}" >$name.ext
		openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile $name.ext -out $name.pem
	done
) >"$T/openssl.log" 2>&1 || { echo "Bail out! openssl: $(tail -3 "$T/openssl.log")"; exit 1; }

FRONTS=
front() { # NAME: start a TLS front with NAME's certificate; its port in $port
	rm -f "$T/$1.port"
	python3 "$TOP/tests/helpers/tls-front" "$P/$1.pem" "$P/$1.key" "$EMU_PORT" "$T/$1.port" 2>"$T/$1.log" &
	FRONTS="$FRONTS $!"
	_i=0
	while [ ! -s "$T/$1.port" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	port=$(cat "$T/$1.port")
}
cleanup_tls() {
	for _p in $FRONTS; do kill "$_p" 2>/dev/null; done
	cleanup_t
}
trap cleanup_tls EXIT

front good
GOOD=https://127.0.0.1:$port
front wrong
WRONG=https://127.0.0.1:$port

run env GCAL_ENDPOINT="$GOOD" gcal-auth calendars
is "$rc" 69 "a server whose CA is not trusted is refused: exit 69"
ok "... in one line naming the certificate problem" eval \
	'[ "$(wc -l <"$ERR")" = 1 ] && grep -qi "certificate" "$ERR"'
ok "... and nothing printed" test ! -s "$OUT"
run env GCAL_ENDPOINT="$GOOD" CURL_CA_BUNDLE="$P/ca.pem" gcal-auth calendars
is "$rc" 0 "with CURL_CA_BUNDLE naming its CA it works"
ok "... with the same answer as over plain HTTP" cmp -s "$OUT" "$T/cals.http"
run env GCAL_ENDPOINT="$GOOD" CURL_CA_BUNDLE="$P/ca.pem" gcal-pull
is "$rc" 0 "... gcal-pull too"
run env GCAL_ENDPOINT="$WRONG" CURL_CA_BUNDLE="$P/ca.pem" gcal-auth token --refresh
is "$rc" 69 "a trusted certificate for another host name is refused: exit 69"
ok "... naming the name mismatch" eval 'grep -Eqi "certificate|subject|name" "$ERR"'
ok "... printing no token" test ! -s "$OUT"
run env GCAL_ENDPOINT="$GOOD" CURL_CA_BUNDLE="$T/no-such-ca.pem" gcal-auth calendars
ok "a CA bundle that does not exist is an error, not a pass: exit 69 or 75" \
	eval '[ "$rc" = 69 ] || [ "$rc" = 75 ]'

# --- the loopback listener ---------------------------------------------------------
# A login that waits: no browser, stdin a pipe held open.
mkfifo "$T/paste"
gcal-auth login -p loop --no-browser --timeout 30 <"$T/paste" >"$T/loop.out" 2>"$T/loop.err" &
LOGIN=$!
exec 9>"$T/paste"
i=0
until grep -qs 'o/oauth2/v2/auth' "$T/loop.err" || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
URL=$(grep -o 'http://[^ ]*/o/oauth2/v2/auth[^ ]*' "$T/loop.err")
LPORT=$(printf '%s' "$URL" | sed -n 's/.*redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\([0-9]*\).*/\1/p')
ok "login prints the consent address with a 127.0.0.1 redirect" test -n "$LPORT"
hexport=$(printf '%04X' "${LPORT:-0}")
# /proc/net/tcp: local address as hex IP:port, state 0A = LISTEN
listen=$(awk -v p=":$hexport" '$4 == "0A" && substr($2, length($2) - 4) == p { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
is "$listen" "0100007F:$hexport" "the listener is bound to 127.0.0.1 only (no 0.0.0.0, no IPv6)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LPORT/favicon.ico")
is "$code" 404 "a stray request (a favicon) gets 404 and the login goes on waiting"
ok "... still waiting" kill -0 $LOGIN
curl -sL -o "$T/page" "$URL"
exec 9>&-
wait $LOGIN
is "$?" 0 "the browser's redirect with the right state links the account"
ok "... the page says so" has 'linked' "$T/page"
curl -s -o /dev/null "http://127.0.0.1:$LPORT/?code=4/0x&state=x"
is "$?" 7 "... and the listener is closed afterwards (connection refused)"

# a forged redirect (wrong state) links nothing
mkfifo "$T/paste2"
gcal-auth login -p forged --no-browser --timeout 30 <"$T/paste2" >"$T/f.out" 2>"$T/f.err" &
LOGIN=$!
exec 9>"$T/paste2"
i=0
until grep -q 'o/oauth2/v2/auth' "$T/f.err" || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
FPORT=$(grep -o 'redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A[0-9]*' "$T/f.err" | sed 's/.*%3A//')
emu_ctl POST /_emu/log/clear >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FPORT/?code=4/0forged&state=forged")
exec 9>&-
wait $LOGIN
frc=$?
is "$code" 400 "a redirect with a forged state gets 400"
is "$frc" 65 "... the login exits 65"
is "$(emu_log_count POST '^/token$')" 0 "... without offering the code to Google"
ok "... and keeps no token" test ! -e "$XDG_STATE_HOME/gcal/forged/token.json"

# --- no secret in argv or environment of a child process -------------------------------
cat >"$T/browser" <<EOF
#!/bin/sh
{ printf '%s\n' "\$0" "\$@"; } >>"$T/child.argv"
env >>"$T/child.env"
exec curl -sL "\$@" >/dev/null
EOF
cat >"$T/pbx" <<EOF
#!/bin/sh
{ printf '%s\n' "\$0" "\$@"; } >>"$T/child.argv"
env >>"$T/child.env"
EOF
chmod +x "$T/browser" "$T/pbx"
run env BROWSER="$T/browser" gcal-auth login -p kids --timeout 20
is "$rc" 0 "a login through a BROWSER script that records its argv and environment"
is "$(grep -c . "$T/child.argv")" 2 "... the browser got one argument"
ok "... the local start page, not the consent address with its state" \
	eval 'has "^http://127.0.0.1:[0-9]*/gcal-start$" "$T/child.argv" && lacks "state=" "$T/child.argv"'
gcal-auth token -p kids >/dev/null 2>&1
gcal-pull -p kids --expand >"$T/ev" 2>/dev/null
jq -nc '{kind:"calendar#event", id:"k1", status:"confirmed", summary:"0612345678",
	start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}' >>"$T/ev"
run_in "$T/ev" forward-apply -p kids -e 333 --at 2026-11-23T10:30:00+01:00 --exec "$T/pbx"
is "$rc" 0 "forward-apply through an --exec backend that records the same"
emu_ctl GET /_emu/secrets | jq -r '.[]' >"$T/secrets"
ok "the emulator handed out secrets to look for" test "$(wc -l <"$T/secrets")" -ge 4
leaks=0
while IFS= read -r s; do
	[ ${#s} -ge 8 ] || continue
	for f in "$T/child.argv" "$T/child.env"; do
		if grep -qF -- "$s" "$f"; then
			leaks=$((leaks + 1))
			echo "# a secret (${s%"${s#????}"}...) in $f"
		fi
	done
done <"$T/secrets"
is "$leaks" 0 "no secret in the argv or environment of the browser or the backend"

done_testing
