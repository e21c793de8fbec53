# lib-emu.sh - start/stop/drive the local Google emulator from POSIX sh tests.
#
#   . tests/lib-emu.sh
#   emu_start [gemu.py args...]   # exports EMU_URL, GCAL_ENDPOINT, EMU_PID
#   emu_ctl POST /_emu/config '{"consent":"deny"}'
#   emu_log_count GET '^/calendar/v3/calendars/[^/]+/events$'
#   emu_stop                      # also run from the EXIT trap emu_start sets
#
# TMPDIR_T (a per-test temporary directory) is used for the port file when set.
# Needs python3, curl and jq.

EMU_LIB_DIR=$(CDPATH= cd -- "$(dirname -- "${EMU_LIB_SRC:-tests/lib-emu.sh}")" 2>/dev/null && pwd)
[ -f "$EMU_LIB_DIR/emulator/gemu.py" ] || EMU_LIB_DIR=$(pwd)/tests
EMU_GEMU=${EMU_GEMU:-$EMU_LIB_DIR/emulator/gemu.py}

emu_start() {
	if [ -n "${TMPDIR_T:-}" ]; then
		_emu_dir=$TMPDIR_T
		_emu_owndir=
	else
		_emu_dir=$(mktemp -d "${TMPDIR:-/tmp}/gemu.XXXXXX") || return 1
		_emu_owndir=$_emu_dir
	fi
	_emu_portfile=$_emu_dir/gemu.port
	rm -f "$_emu_portfile"
	python3 "$EMU_GEMU" --port 0 --port-file "$_emu_portfile" "$@" \
		>"$_emu_dir/gemu.log" 2>&1 &
	EMU_PID=$!
	export EMU_PID
	trap '_emu_exit' EXIT
	trap '_emu_exit; exit 129' HUP
	trap '_emu_exit; exit 130' INT
	trap '_emu_exit; exit 143' TERM
	_emu_i=0
	while [ ! -s "$_emu_portfile" ]; do
		_emu_i=$((_emu_i + 1))
		if [ "$_emu_i" -gt 200 ] || ! kill -0 "$EMU_PID" 2>/dev/null; then
			echo "emu_start: emulator did not start" >&2
			cat "$_emu_dir/gemu.log" >&2
			return 1
		fi
		sleep 0.05
	done
	EMU_PORT=$(cat "$_emu_portfile")
	EMU_URL=http://127.0.0.1:$EMU_PORT
	GCAL_ENDPOINT=$EMU_URL
	export EMU_PORT EMU_URL GCAL_ENDPOINT
	_emu_i=0
	until curl -fsS -o /dev/null "$EMU_URL/_emu/config" 2>/dev/null; do
		_emu_i=$((_emu_i + 1))
		[ "$_emu_i" -gt 100 ] && { echo "emu_start: emulator not answering" >&2; return 1; }
		sleep 0.05
	done
}

# On exit: the emulator, and the test's own directory when tests/lib.sh
# made one (its cleanup_t would otherwise be replaced by our trap).
_emu_exit() {
	if command -v cleanup_t >/dev/null 2>&1; then cleanup_t; else emu_stop; fi
}

emu_stop() {
	if [ -n "${EMU_PID:-}" ]; then
		kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
		EMU_PID=
	fi
	if [ -n "${_emu_owndir:-}" ]; then
		rm -rf "$_emu_owndir"
		_emu_owndir=
	fi
	return 0
}

# emu_ctl METHOD PATH [JSON] - call the control API, print the body, fail on non-2xx
emu_ctl() {
	_emu_m=$1 _emu_p=$2
	case $_emu_p in /_emu*) ;; *) _emu_p=/_emu/${_emu_p#/} ;; esac
	if [ $# -ge 3 ]; then
		curl -sS -f -X "$_emu_m" -H 'Content-Type: application/json' \
			--data-binary "$3" "$EMU_URL$_emu_p"
	else
		curl -sS -f -X "$_emu_m" "$EMU_URL$_emu_p"
	fi
}

# emu_log_count [METHOD] [PATH-REGEX] - number of logged (non-/_emu) requests
# (the log goes to a variable, not a pipe: a failed curl is a failure)
emu_log_count() {
	_emu_log=$(curl -sS -f "$EMU_URL/_emu/log") || return
	printf '%s\n' "$_emu_log" | jq -s --arg m "${1:-}" --arg p "${2:-}" \
		'[.[] | select(($m == "" or .method == $m) and ($p == "" or (.path | test($p))))] | length'
}

# emu_token [SCOPES] [LOGIN_HINT] - run the loopback + PKCE flow with curl and
# print Google's token response JSON (access_type=offline, so it carries a
# refresh_token).  Uses the seeded installed client.
EMU_CLIENT_ID=1000000000001-gcaltest.apps.googleusercontent.com
EMU_CLIENT_SECRET=GOCSPX-emulatorClientSecret0001
emu_token() {
	_emu_scope=${1:-https://www.googleapis.com/auth/calendar}
	_emu_ver=$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
	_emu_chal=$(printf %s "$_emu_ver" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')
	_emu_loc=$(curl -sS -o /dev/null -w '%{redirect_url}' -G "$EMU_URL/o/oauth2/v2/auth" \
		--data-urlencode "client_id=$EMU_CLIENT_ID" \
		--data-urlencode "redirect_uri=http://127.0.0.1:1/cb" \
		--data-urlencode "response_type=code" \
		--data-urlencode "scope=$_emu_scope" \
		--data-urlencode "code_challenge=$_emu_chal" \
		--data-urlencode "code_challenge_method=S256" \
		--data-urlencode "access_type=offline" \
		--data-urlencode "state=s" \
		${2:+--data-urlencode "login_hint=$2"})
	_emu_code=$(printf %s "$_emu_loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
	[ -n "$_emu_code" ] || { echo "emu_token: no code in '$_emu_loc'" >&2; return 1; }
	curl -sS "$EMU_URL/token" -d grant_type=authorization_code \
		--data-urlencode "code=$(printf %s "$_emu_code" | sed 's/%2F/\//g')" \
		--data-urlencode "client_id=$EMU_CLIENT_ID" \
		--data-urlencode "client_secret=$EMU_CLIENT_SECRET" \
		--data-urlencode "redirect_uri=http://127.0.0.1:1/cb" \
		--data-urlencode "code_verifier=$_emu_ver"
}
