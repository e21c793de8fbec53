#!/bin/sh
# The scripts of examples/ keep the exit-status contract: a pipe hides
# the status of its left side (set -o pipefail is not POSIX), so no pipe
# has a program whose status matters on its left, and a program that
# fails makes the script exit with its status. Each scenario-N.t injects
# failures into its script's steps; this one checks every script for
# pipes and drives the demo (examples/demo.sh) with its steps failing.
. "$(dirname "$0")/../lib.sh"

for f in "$TOP"/examples/*.sh; do
	python3 "$TOP/tests/helpers/sh-pipes" "$f" >"$OUT" 2>"$ERR"
	is "$?:$(cat "$OUT")" "0:" "examples/${f##*/}: no pipe hides a program's status"
done
# the check finds what it looks for
printf '%s\n' '#!/bin/sh' "x=\$(gcal-auth list | jq -r '.[] | .id')" \
	"case \$a in '' | b) ;; esac" 'printf "%s\n" "$a" | jq .' 'gcal-pull -p x |' '  jq .' \
	'y="$(gcal-push -p x <c | jq -r ".id | ascii")"' >"$T/bad.sh"
python3 "$TOP/tests/helpers/sh-pipes" "$T/bad.sh" >"$OUT" 2>"$ERR"
is "$(cut -d: -f2- "$OUT" | tr '\n' ',')" "2: gcal-auth list,5: gcal-pull -p x,7: gcal-push -p x <c," \
	"sh-pipes finds pipes after \$( (in quotes too) and at a line's end, not in quoted text, case patterns or after printf"

# --- the demo ---------------------------------------------------------------
# shim NAME STATUS MATCH: a build directory whose NAME exits STATUS when
# its arguments contain MATCH, and runs the real one otherwise
case $GCAL_BUILD in /*) REAL=$GCAL_BUILD/bin ;; *) REAL=$TOP/$GCAL_BUILD/bin ;; esac
shim() {
	rm -rf "$T/shim"
	mkdir -p "$T/shim/bin"
	for p in "$REAL"/*; do ln -s "$p" "$T/shim/bin/"; done
	real=$(command -v "$1")
	rm -f "$T/shim/bin/$1"
	cat >"$T/shim/bin/$1" <<-EOF
		#!/bin/sh
		case " \$* " in *"$3"*) echo "$1: injected failure" >&2; exit $2 ;; esac
		exec "$real" "\$@"
	EOF
	chmod +x "$T/shim/bin/$1"
}

run sh "$TOP/examples/demo.sh"
is "$rc" 0 "the demo exits 0"
ok "... and prints its summary" has '^forwards applied: 1, links revoked: 1' "$OUT"

# each step of the demo whose output went into a pipe, failing
for step in "gcal-auth 75 list" "curl 7 /_emu/calendars " "curl 22 /_emu/log"; do
	set -- $step
	shim "$@"
	GCAL_BUILD=$T/shim run sh "$TOP/examples/demo.sh"
	is "$rc" "$2" "the demo whose $1 ($3) fails with $2 exits $2"
	ok "... and says so" has "$1: injected failure" "$ERR"
done

done_testing
