#!/bin/sh
# The C unit tests of lib/ (tests/unit/MODULE.c, built by make units) as
# one TAP stream: every assertion of every binary is a line of its own,
# renumbered and named "MODULE: ...", and after each binary one line that
# says it ran to its end (its plan met, exit status 0), so a crash half
# way is a failure too. One binary alone: prove build/unit/MODULE.
top=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
b=${GCAL_BUILD:-build}
case $b in /*) ;; *) b=$top/$b ;; esac
out=$(mktemp "${TMPDIR:-/tmp}/gcal-unit.XXXXXX") || exit 1
trap 'rm -f "$out" "$out.tap"' EXIT
n=0
found=0
for u in "$b"/unit/*; do
	[ -f "$u" ] && [ -x "$u" ] || continue
	found=1
	name=${u##*/}
	"$u" >"$out" 2>&1 </dev/null
	rc=$?
	# renumber from n; the last line of awk's output is "N PLANNED SEEN"
	# (PLANNED -1 when the binary printed no plan)
	awk -v n="$n" -v name="$name" '
	/^(not )?ok [0-9]+/ {
		seen++
		not = /^not /
		sub(/^(not )?ok [0-9]+( -)? ?/, "")
		print (not ? "not ok " : "ok ") ++n " - " name ": " $0
		next
	}
	/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; next }
	/^#/ { print; next }
	{ print "# " $0 }
	END { print "@@ " n " " (plan == "" ? -1 : plan) " " seen + 0 }
	' "$out" >"$out.tap"
	sed '$d' "$out.tap"
	set -- $(tail -n 1 "$out.tap")
	rm -f "$out.tap"
	n=$(($2 + 1))
	if [ "$rc" -eq 0 ] && [ "$3" -eq "$4" ]; then
		echo "ok $n - $name: ran to its end ($4 assertions, as planned)"
	elif [ "$3" -lt 0 ]; then
		echo "not ok $n - $name: no plan: it stopped after $4 assertions (exit $rc)"
	elif [ "$3" -ne "$4" ]; then
		echo "not ok $n - $name: planned $3 assertions, ran $4 (exit $rc)"
	else
		echo "not ok $n - $name: exit $rc"
	fi
done
[ "$found" -eq 1 ] || { echo "Bail out! no unit tests in $b/unit: run make units"; exit 1; }
echo "1..$n"
