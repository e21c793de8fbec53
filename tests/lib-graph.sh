# lib-graph.sh - start/stop/drive the local Microsoft Graph emulator from POSIX sh tests.
#
#   . tests/lib-graph.sh
#   graph_start [memu.py args...]  # exports GRAPH_URL, GCAL_GRAPH_ENDPOINT, GRAPH_PID
#   graph_ctl POST /_emu/config '{"consent":"deny"}'
#   graph_log_count GET '^/v1\.0/me/calendarView/delta$'
#   graph_token [USER] [SCOPES]    # token JSON for USER, no browser dance
#   graph_login [USER] [SCOPES] [TENANT]  # the same through authorize + PKCE
#   graph_stop                     # also run from the EXIT trap graph_start sets
#
# With tests/lib-emu.sh (and lib.sh) loaded too, both emulators stop at the
# end whatever the order: graph_start's trap also runs emu_stop and
# cleanup_t, and memu runs with --exit-with-parent for a trap set after
# graph_start's (emu_start's).  TMPDIR_T (a per-test temporary directory)
# is used for the port file when set.  Needs python3, curl and jq.

GRAPH_LIB_DIR=$(CDPATH= cd -- "$(dirname -- "${GRAPH_LIB_SRC:-tests/lib-graph.sh}")" 2>/dev/null && pwd)
[ -f "$GRAPH_LIB_DIR/emulator/memu.py" ] || GRAPH_LIB_DIR=$(pwd)/tests
GRAPH_MEMU=${GRAPH_MEMU:-$GRAPH_LIB_DIR/emulator/memu.py}
. "$GRAPH_LIB_DIR/lib-emuproc.sh"
# the seeded public client (no secret) and confidential client
GRAPH_CLIENT_ID=5c1e9f0a-7b3d-4c2e-8f1a-6763616c0001
GRAPH_CONF_CLIENT_ID=5c1e9f0a-7b3d-4c2e-8f1a-6763616c0002

# _graph_stop_all - the trap: this library's emulator, then lib-emu.sh's
# emu_stop and lib.sh's cleanup_t when they are loaded (graph_start's trap
# replaces theirs).  A trap set later over this one (emu_start after
# graph_start) does not leak memu: it runs with --exit-with-parent.
_graph_stop_all() {
	graph_stop
	command -v emu_stop >/dev/null 2>&1 && emu_stop
	command -v cleanup_t >/dev/null 2>&1 && cleanup_t
	return 0
}

graph_start() {
	_emuproc_start GRAPH "$GRAPH_MEMU" _graph_stop_all --exit-with-parent "$@" || return
	GCAL_GRAPH_ENDPOINT=$GRAPH_URL
	export GCAL_GRAPH_ENDPOINT
}

graph_stop() {
	_emuproc_stop GRAPH
}

# graph_ctl METHOD PATH [JSON] - call the control API, print the body, fail on non-2xx
graph_ctl() {
	_emuproc_ctl "$GRAPH_URL" "$@"
}

# graph_log_count [METHOD] [PATH-REGEX] - number of logged (non-/_emu) requests
graph_log_count() {
	_emuproc_log_count "$GRAPH_URL" "$@"
}

# graph_token [USER] [SCOPES] - mint a token response (access_token, and a
# refresh_token when SCOPES has offline_access) for USER without the
# browser dance; for tests that only need Graph.  Defaults: the consent
# user (alice@contoso.com), "Calendars.ReadWrite User.Read offline_access".
graph_token() {
	_graph_body=$(jq -nc --arg u "${1:-}" --arg s "${2:-Calendars.ReadWrite User.Read offline_access}" \
		'{scope: $s} + (if $u == "" then {} else {user: $u} end)') || return
	graph_ctl POST /_emu/token "$_graph_body"
}

# graph_access [USER] [SCOPES] - just the access token
graph_access() {
	graph_token "${1:-}" "${2:-}" | jq -r .access_token
}

# graph_login [USER] [SCOPES] [TENANT] - the real authorization code + PKCE
# flow with curl (authorize's 302 read, code redeemed) for the seeded public
# client; prints the token response.  Default tenant: common.
graph_login() {
	_graph_scope=${2:-Calendars.ReadWrite User.Read offline_access}
	_emuproc_pkce
	_graph_loc=$(curl -sS -o /dev/null -w '%{redirect_url}' -G "$GRAPH_URL/${3:-common}/oauth2/v2.0/authorize" \
		--data-urlencode "client_id=$GRAPH_CLIENT_ID" \
		--data-urlencode "redirect_uri=http://127.0.0.1:1/cb" \
		--data-urlencode "response_type=code" \
		--data-urlencode "scope=$_graph_scope" \
		--data-urlencode "code_challenge=$_ep_chal" \
		--data-urlencode "code_challenge_method=S256" \
		--data-urlencode "state=s" \
		${1:+--data-urlencode "login_hint=$1"})
	_graph_code=$(_emuproc_code graph_login "$_graph_loc") || return 1
	curl -sS "$GRAPH_URL/${3:-common}/oauth2/v2.0/token" -d grant_type=authorization_code \
		--data-urlencode "code=$_graph_code" \
		--data-urlencode "client_id=$GRAPH_CLIENT_ID" \
		--data-urlencode "redirect_uri=http://127.0.0.1:1/cb" \
		--data-urlencode "code_verifier=$_ep_ver"
}
