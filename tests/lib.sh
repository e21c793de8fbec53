# lib.sh: what every TAP test script sources.
#
#   . "$(dirname "$0")/../lib.sh"
#   ok CONDITION-COMMAND... -- description   (see below)
#   run PROG ARGS...        runs with stdout in $OUT, stderr in $ERR, status in $rc
#   is GOT WANT DESCRIPTION
#   done_testing
#
# Each script gets its own $T with empty XDG directories and HOME, and the
# programs of $GCAL_BUILD (default build) first on PATH.

set -u
TOP=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
GCAL_BUILD=${GCAL_BUILD:-build}
case $GCAL_BUILD in /*) BIN=$GCAL_BUILD/bin ;; *) BIN=$TOP/$GCAL_BUILD/bin ;; esac
[ -x "$BIN/gcal-auth" ] || { echo "Bail out! no programs in $BIN: run make"; exit 1; }
PATH=$BIN:$PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/gcal-t.XXXXXX")
TMPDIR_T=$T
HOME=$T/home
XDG_CONFIG_HOME=$T/config
XDG_STATE_HOME=$T/state
OUT=$T/stdout
ERR=$T/stderr
# Retries in tests wait milliseconds, not seconds.
GCAL_BACKOFF_MS=${GCAL_BACKOFF_MS:-5}
CLIENT=$TOP/tests/fixtures/client_secret.json
export HOME XDG_CONFIG_HOME XDG_STATE_HOME GCAL_BACKOFF_MS TMPDIR_T PATH
unset GCAL_PROFILE GCAL_ENDPOINT GCAL_RECORD GCAL_REPLAY BROWSER DISPLAY WAYLAND_DISPLAY
mkdir -p "$HOME"

EMU_LIB_SRC=$TOP/tests/lib-emu.sh
. "$TOP/tests/lib-emu.sh"

_tap_n=0
_tap_failed=0
cleanup_t() {
	emu_stop
	rm -rf "$T"
}
trap cleanup_t EXIT

pass() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1"
}

fail() {
	_tap_n=$((_tap_n + 1))
	# a TODO test's failure is expected (TAP): it does not fail the script
	case $1 in *'# TODO'*) ;; *) _tap_failed=$((_tap_failed + 1)) ;; esac
	echo "not ok $_tap_n - $1"
	# show what the program said, to debug from the TAP output alone
	[ -s "$ERR" ] && sed 's/^/#   stderr: /' "$ERR" | head -20
	return 0
}

# ok DESCRIPTION COMMAND...: passes when COMMAND succeeds.
ok() {
	_d=$1
	shift
	if "$@"; then pass "$_d"; else fail "$_d"; fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# run PROG ARGS...: status in $rc, output in $OUT and $ERR.
run() {
	"$@" >"$OUT" 2>"$ERR" </dev/null
	rc=$?
}

# run_in INPUT PROG ARGS...: the same with stdin from file INPUT.
run_in() {
	_in=$1
	shift
	"$@" >"$OUT" 2>"$ERR" <"$_in"
	rc=$?
}

# mode FILE: its permission bits, e.g. 600
mode() {
	stat -c %a "$1"
}

# grep_q PATTERN FILE: quiet grep that is a command for ok
has() {
	grep -q -- "$1" "$2"
}

lacks() {
	! grep -q -- "$1" "$2"
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# link_account [PROFILE] [ARGS...]: link the emulator's consenting user
# with no human, as a browser that follows redirects would.
link_account() {
	_p=${1:-default}
	[ $# -gt 0 ] && shift
	BROWSER="curl -sL" gcal-auth login -p "$_p" --client-secret "$CLIENT" \
		"$@" >"$T/login.out" 2>"$T/login.err" </dev/null
}

# The matrices of tests/t/exit-codes.t and faults.t: each cell is a TAP line
# and a line of $MATRIX, which matrix_print shows at the end.
MATRIX=$T/matrix
# cell ROW COLUMN DESCRIPTION CHECK...: passes when CHECK succeeds
cell() {
	_cp=$1 _cf=$2 _cd=$3
	shift 3
	if "$@"; then
		pass "$_cp x $_cf: $_cd"
		echo "$_cp $_cf pass" >>"$MATRIX"
	else
		fail "$_cp x $_cf: $_cd (exit $rc)"
		echo "$_cp $_cf FAIL" >>"$MATRIX"
	fi
}
# na ROW COLUMN: a cell that does not apply (left out of the count)
na() { echo "$1 $2 n/a" >>"$MATRIX"; }
# matrix_print TITLE ROWS COLUMNS: a comment line per row; a cell checked
# more than once is pass only when every check passed, FAIL when one failed,
# - when never checked (na or not tried).
matrix_print() {
	echo "# $1"
	printf '# %-10s' ""
	for _c in $3; do printf ' %s' "$_c"; done
	echo
	for _p in $2; do
		printf '# %-10s' "$_p"
		for _c in $3; do
			_r=$(awk -v p="$_p" -v c="$_c" '$1 == p && $2 == c && $3 != "n/a" { print $3 }' "$MATRIX" | sort -u | tr '\n' '/' | sed 's,/$,,')
			case $_r in pass) ;; *FAIL*) _r=FAIL ;; *) _r=- ;; esac
			printf " %-${#_c}s" "$_r"
		done
		echo
	done
	echo "# $(grep -c ' pass$' "$MATRIX") of $(grep -vc ' n/a$' "$MATRIX") cells pass"
}

# jq_ok [JQ-OPTIONS] FILTER FILE: the filter holds for FILE (quietly, for ok).
jq_ok() {
	jq -e "$@" >/dev/null 2>&1 </dev/null
}
