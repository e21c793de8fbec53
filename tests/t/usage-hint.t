#!/bin/sh
# A usage error, wherever it is found (the option parser of lib/cli.c or a
# program's own check), is one line naming it, then the one hint
# "Try 'PROG --help'.", and exit 64.
. "$(dirname "$0")/../lib.sh"

GCAL_ENDPOINT=http://127.0.0.1:9
GCAL_RETRIES=0
export GCAL_ENDPOINT GCAL_RETRIES

# hint WHAT PROG ARGS...: exit 64, two lines, the second the hint
hint() {
	_what=$1
	shift
	run "$@"
	_p=$1
	if [ "$rc" -eq 64 ] && [ "$(wc -l <"$ERR")" -eq 2 ] &&
		[ "$(sed -n 2p "$ERR")" = "Try '$_p --help'." ] &&
		sed -n 1p "$ERR" | grep -q "^$_p: "; then
		pass "$_p: $_what: one line, the hint, exit 64"
	else
		fail "$_p: $_what: one line, the hint, exit 64 (exit $rc)"
	fi
}

for p in gcal-auth gcal-revoke gcal-pull forward-apply gcal-push gcal-diff gcal-sync gcal-watch gcal-notify; do
	hint "an unknown option" "$p" --no-such-option
done
hint "an unknown short option" gcal-pull -Z
hint "an option without its argument" gcal-pull --profile
hint "an operand too many" gcal-pull extra
hint "an unknown subcommand" gcal-auth frobnicate
hint "an option before the subcommand" gcal-auth --client-secret x login
hint "a bad --time-zone" forward-apply -e 100 --dry-run --time-zone Nowhere/Atlantis
hint "an operand too many" gcal-push a b
hint "neither --local nor --local-cmd" gcal-sync
hint "run without a command" gcal-watch run
hint "a missing input" gcal-diff

done_testing
