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

. "$EMU_LIB_DIR/lib-emuproc.sh"

emu_start() {
	_emuproc_start EMU "$EMU_GEMU" _emu_exit "$@" || return
	GCAL_ENDPOINT=$EMU_URL
	export GCAL_ENDPOINT
}

# On exit: the emulator, and the test's own directory when tests/lib.sh
# made one (its cleanup_t would otherwise be replaced by our trap).
_emu_exit() {
	if command -v cleanup_t >/dev/null 2>&1; then cleanup_t; else emu_stop; fi
}

emu_stop() {
	_emuproc_stop EMU
}

# emu_ctl METHOD PATH [JSON] - call the control API, print the body, fail on non-2xx
emu_ctl() {
	_emuproc_ctl "$EMU_URL" "$@"
}

# emu_log_count [METHOD] [PATH-REGEX] - number of logged (non-/_emu) requests
emu_log_count() {
	_emuproc_log_count "$EMU_URL" "$@"
}

# emu_token [SCOPES] [LOGIN_HINT] - run the loopback + PKCE flow with curl and
# print Google's token response JSON (access_type=offline, so it carries a
# refresh_token).  Uses the seeded installed client.
EMU_CLIENT_ID=1000000000001-gcaltest.apps.googleusercontent.com
EMU_CLIENT_SECRET=GOCSPX-emulatorClientSecret0001
emu_token() {
	_emu_scope=${1:-https://www.googleapis.com/auth/calendar}
	_emuproc_pkce
	_emu_loc=$(curl -sS -o /dev/null -w '%{redirect_url}' -G "$EMU_URL/o/oauth2/v2/auth" \
		--data-urlencode "client_id=$EMU_CLIENT_ID" \
		--data-urlencode "redirect_uri=http://127.0.0.1:1/cb" \
		--data-urlencode "response_type=code" \
		--data-urlencode "scope=$_emu_scope" \
		--data-urlencode "code_challenge=$_ep_chal" \
		--data-urlencode "code_challenge_method=S256" \
		--data-urlencode "access_type=offline" \
		--data-urlencode "state=s" \
		${2:+--data-urlencode "login_hint=$2"})
	_emu_code=$(_emuproc_code emu_token "$_emu_loc") || return 1
	curl -sS "$EMU_URL/token" -d grant_type=authorization_code \
		--data-urlencode "code=$(printf %s "$_emu_code" | sed 's/%2F/\//g')" \
		--data-urlencode "client_id=$EMU_CLIENT_ID" \
		--data-urlencode "client_secret=$EMU_CLIENT_SECRET" \
		--data-urlencode "redirect_uri=http://127.0.0.1:1/cb" \
		--data-urlencode "code_verifier=$_ep_ver"
}
