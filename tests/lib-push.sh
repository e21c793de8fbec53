# lib-push.sh - a real web server (lighttpd, mod_cgi) with gcal-notify as a
# CGI program, for the push tests and make bench.
#
#   push_server_start DIR BIN PUSHDIR  # exports PUSH_URL, PUSH_PID; 1: none
#   push_server_stop
#
# DIR holds the configuration and logs; BIN is where gcal-notify is; the
# web server starts on a free loopback port. Returns 2 with a reason in
# $PUSH_SKIP when lighttpd or its mod_cgi is not installed.

push_server_start() {
	_ps_dir=$1 _ps_bin=$2 _ps_push=$3
	PUSH_SKIP=
	_ps_lighttpd=$(command -v lighttpd 2>/dev/null || { [ -x /usr/sbin/lighttpd ] && echo /usr/sbin/lighttpd; })
	if [ -z "$_ps_lighttpd" ]; then
		PUSH_SKIP="lighttpd is not installed (make deps installs it)"
		return 2
	fi
	_ps_mod=
	for _d in /usr/lib/lighttpd /usr/lib/x86_64-linux-gnu/lighttpd /usr/lib64/lighttpd; do
		[ -f "$_d/mod_cgi.so" ] && _ps_mod=$_d
	done
	if [ -z "$_ps_mod" ]; then
		PUSH_SKIP="lighttpd has no mod_cgi"
		return 2
	fi
	_ps_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$_ps_dir/www"
	cat >"$_ps_dir/lighttpd.conf" <<EOC
server.document-root = "$_ps_dir/www"
server.bind = "127.0.0.1"
server.port = $_ps_port
server.modules = ("mod_alias", "mod_cgi", "mod_setenv")
server.errorlog = "$_ps_dir/lighttpd.err"
server.pid-file = "$_ps_dir/lighttpd.pid"
# KB: a bound in the server too; gcal-notify's own is 4096 bytes
server.max-request-size = 64
alias.url = ("/notify" => "$_ps_bin/gcal-notify")
\$HTTP["url"] =~ "^/notify" { cgi.assign = ("" => "") }
setenv.add-environment = ("GCAL_PUSH_DIR" => "$_ps_push")
EOC
	"$_ps_lighttpd" -D -m "$_ps_mod" -f "$_ps_dir/lighttpd.conf" >"$_ps_dir/lighttpd.out" 2>&1 &
	PUSH_PID=$!
	_ps_i=0
	until curl -s -o /dev/null "http://127.0.0.1:$_ps_port/"; do
		_ps_i=$((_ps_i + 1))
		if [ $_ps_i -gt 100 ] || ! kill -0 "$PUSH_PID" 2>/dev/null; then
			echo "push_server_start: lighttpd did not start:" >&2
			cat "$_ps_dir/lighttpd.out" "$_ps_dir/lighttpd.err" >&2 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
	PUSH_URL=http://127.0.0.1:$_ps_port/notify
	export PUSH_URL PUSH_PID
}

push_server_stop() {
	if [ -n "${PUSH_PID:-}" ]; then
		kill "$PUSH_PID" 2>/dev/null && wait "$PUSH_PID" 2>/dev/null
		PUSH_PID=
	fi
	return 0
}
