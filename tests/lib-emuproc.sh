# lib-emuproc.sh - start, stop and call one emulator process (gemu.py,
# memu.py): the part lib-emu.sh and lib-graph.sh share.  Each calls these
# with its variable prefix (EMU, GRAPH), which names PREFIX_PID,
# PREFIX_PORT, PREFIX_URL (exported) and the private _prefix_dir and
# _prefix_owndir.

# _emuproc_start PREFIX SCRIPT TRAP-COMMAND [script args...] - run SCRIPT on
# a free port (port file in TMPDIR_T, else in a directory of our own), set
# the EXIT/HUP/INT/TERM traps to TRAP-COMMAND, wait until /_emu/config
# answers.
_emuproc_start() {
	_ep_pfx=$1 _ep_script=$2 _ep_trap=$3
	shift 3
	_ep_lc=$(printf %s "$_ep_pfx" | tr 'A-Z' 'a-z')
	_ep_name=$(basename "$_ep_script" .py)
	if [ -n "${TMPDIR_T:-}" ]; then
		_ep_dir=$TMPDIR_T
		eval "_${_ep_lc}_owndir="
	else
		_ep_dir=$(mktemp -d "${TMPDIR:-/tmp}/$_ep_name.XXXXXX") || return 1
		eval "_${_ep_lc}_owndir=\$_ep_dir"
	fi
	eval "_${_ep_lc}_dir=\$_ep_dir"
	_ep_portfile=$_ep_dir/$_ep_name.port
	rm -f "$_ep_portfile"
	python3 "$_ep_script" --port 0 --port-file "$_ep_portfile" "$@" \
		>"$_ep_dir/$_ep_name.log" 2>&1 &
	_ep_pid=$!
	eval "${_ep_pfx}_PID=\$_ep_pid; export ${_ep_pfx}_PID"
	trap "$_ep_trap" EXIT
	trap "$_ep_trap; exit 129" HUP
	trap "$_ep_trap; exit 130" INT
	trap "$_ep_trap; exit 143" TERM
	_ep_i=0
	while [ ! -s "$_ep_portfile" ]; do
		_ep_i=$((_ep_i + 1))
		if [ "$_ep_i" -gt 200 ] || ! kill -0 "$_ep_pid" 2>/dev/null; then
			echo "${_ep_lc}_start: emulator did not start" >&2
			cat "$_ep_dir/$_ep_name.log" >&2
			return 1
		fi
		sleep 0.05
	done
	_ep_port=$(cat "$_ep_portfile")
	_ep_url=http://127.0.0.1:$_ep_port
	eval "${_ep_pfx}_PORT=\$_ep_port ${_ep_pfx}_URL=\$_ep_url"
	export "${_ep_pfx}_PORT" "${_ep_pfx}_URL"
	_ep_i=0
	until curl -fsS -o /dev/null "$_ep_url/_emu/config" 2>/dev/null; do
		_ep_i=$((_ep_i + 1))
		[ "$_ep_i" -gt 100 ] && { echo "${_ep_lc}_start: emulator not answering" >&2; return 1; }
		sleep 0.05
	done
}

# _emuproc_stop PREFIX - end PREFIX_PID, remove the directory we made
_emuproc_stop() {
	_ep_lc=$(printf %s "$1" | tr 'A-Z' 'a-z')
	eval "_ep_pid=\${${1}_PID:-} _ep_own=\${_${_ep_lc}_owndir:-}"
	if [ -n "$_ep_pid" ]; then
		kill "$_ep_pid" 2>/dev/null && wait "$_ep_pid" 2>/dev/null
		eval "${1}_PID="
	fi
	if [ -n "$_ep_own" ]; then
		rm -rf "$_ep_own"
		eval "_${_ep_lc}_owndir="
	fi
	return 0
}

# _emuproc_ctl URL METHOD PATH [JSON] - call the control API, print the
# body, fail on non-2xx; PATH may leave out /_emu
_emuproc_ctl() {
	_ep_u=$1 _ep_m=$2 _ep_p=$3
	case $_ep_p in /_emu*) ;; *) _ep_p=/_emu/${_ep_p#/} ;; esac
	if [ $# -ge 4 ]; then
		curl -sS -f -X "$_ep_m" -H 'Content-Type: application/json' \
			--data-binary "$4" "$_ep_u$_ep_p"
	else
		curl -sS -f -X "$_ep_m" "$_ep_u$_ep_p"
	fi
}

# _emuproc_log_count URL [METHOD] [PATH-REGEX] - number of logged (non-/_emu)
# requests (the log goes to a variable, not a pipe: a failed curl is a
# failure)
_emuproc_log_count() {
	_ep_log=$(curl -sS -f "$1/_emu/log") || return
	printf '%s\n' "$_ep_log" | jq -s --arg m "${2:-}" --arg p "${3:-}" \
		'[.[] | select(($m == "" or .method == $m) and ($p == "" or (.path | test($p))))] | length'
}

# _emuproc_pkce - a fresh PKCE pair (RFC 7636, S256) in _ep_ver (the
# verifier) and _ep_chal (its challenge)
_emuproc_pkce() {
	_ep_ver=$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
	_ep_chal=$(printf %s "$_ep_ver" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')
}

# _emuproc_code WHO LOCATION - print the code= of an authorization
# redirect; fail saying so (as WHO) when it has none
_emuproc_code() {
	_ep_code=$(printf %s "$2" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
	[ -n "$_ep_code" ] || { echo "$1: no code in '$2'" >&2; return 1; }
	printf %s "$_ep_code"
}
