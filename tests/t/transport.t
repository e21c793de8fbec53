#!/bin/sh
# The shared transport over HTTP/2, as Google serves it: lighttpd over
# TLS with a CA of our own; tests/unit/shared.c's workers, through
# http_shared_begin, make every request a stream of one connection.
. "$(dirname "$0")/../lib.sh"

U=$TOP/$GCAL_BUILD/unit/shared
case $GCAL_BUILD in /*) U=$GCAL_BUILD/unit/shared ;; esac
[ -x "$U" ] || { echo "Bail out! no $U: run make units"; exit 1; }
L=$(command -v lighttpd 2>/dev/null || { [ -x /usr/sbin/lighttpd ] && echo /usr/sbin/lighttpd; })
MOD=
for _d in /usr/lib/lighttpd /usr/lib/x86_64-linux-gnu/lighttpd /usr/lib64/lighttpd; do
	[ -f "$_d/mod_openssl.so" ] && MOD=$_d
done
if [ -z "$L" ] || [ -z "$MOD" ]; then
	echo "1..0 # SKIP lighttpd with mod_openssl is not installed (make deps)"
	exit 0
fi

P=$T/pki
mkdir -p "$P" "$T/www"
(
	cd "$P" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gcal test CA" \
		-keyout ca.key -out ca.pem
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout s.key -out s.csr
	printf 'subjectAltName=IP:127.0.0.1\n' >s.ext
	openssl x509 -req -in s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile s.ext -out s.pem
) >"$T/openssl.log" 2>&1 || { echo "Bail out! openssl: $(tail -3 "$T/openssl.log")"; exit 1; }
echo '{"ok":true}' >"$T/www/page.json"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/lighttpd.conf" <<EOC
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $port
server.modules = ("mod_openssl", "mod_accesslog")
ssl.engine = "enable"
ssl.pemfile = "$P/s.pem"
ssl.privkey = "$P/s.key"
server.errorlog = "$T/lighttpd.err"
accesslog.filename = "$T/access.log"
mimetype.assign = (".json" => "application/json")
EOC
"$L" -D -m "$MOD" -f "$T/lighttpd.conf" >"$T/lighttpd.out" 2>&1 &
LPID=$!
trap 'kill $LPID 2>/dev/null; cleanup_t' EXIT
_i=0
until curl -s --cacert "$P/ca.pem" -o /dev/null "https://127.0.0.1:$port/page.json"; do
	_i=$((_i + 1))
	if [ $_i -gt 100 ] || ! kill -0 $LPID 2>/dev/null; then
		echo "Bail out! lighttpd did not start: $(cat "$T/lighttpd.out" "$T/lighttpd.err" 2>/dev/null)"
		exit 1
	fi
	sleep 0.05
done
: >"$T/access.log"

GCAL_TEST_H2_URL=https://127.0.0.1:$port/page.json CURL_CA_BUNDLE=$P/ca.pem \
	"$U" >"$OUT" 2>"$ERR"
rc=$?
is "$rc" 0 "the HTTP/2 tests of tests/unit/shared.c pass"
while IFS= read -r line; do
	case $line in
	"ok "*) pass "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	esac
done <"$OUT"
# lighttpd buffers its access log: stopped, it has written all of it
kill $LPID 2>/dev/null && wait $LPID 2>/dev/null
n=$(grep -c '"GET /page.json?w[0-9]*-r[0-9]* HTTP/2.0" 200' "$T/access.log")
is "$n" 400 "the server saw every request as HTTP/2"
done_testing
