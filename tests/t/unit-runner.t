#!/bin/sh
# tests/unit.t, the runner of the C unit tests: each assertion is its own
# TAP line, and a binary that fails, crashes half way or prints no plan
# fails the run (stand-in binaries here, shell scripts that print TAP).
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/b/unit"
fake() {
	printf '#!/bin/sh\n%s\n' "$2" >"$T/b/unit/$1"
	chmod +x "$T/b/unit/$1"
}
units() {
	GCAL_BUILD=$T/b sh "$TOP/tests/unit.t" >"$OUT" 2>"$ERR"
	rc=$?
	prove_rc=0
	GCAL_BUILD=$T/b prove "$TOP/tests/unit.t" >"$T/prove.out" 2>&1 || prove_rc=$?
}

fake alpha 'echo "ok 1 - one"; echo "ok 2 - two"; echo "1..2"'
fake beta 'echo "ok 1 - three"; echo "# a note"; echo "1..1"'
units
is "$(grep -c '^ok' "$OUT")" 5 "three assertions and two ends are five TAP lines"
is "$(sed -n 1p "$OUT")" "ok 1 - alpha: one" "an assertion keeps its name, after its binary's"
is "$(grep '^ok 4 ' "$OUT")" "ok 4 - beta: three" "numbering runs on across binaries"
ok "a comment passes through" has '^# a note$' "$OUT"
is "$(tail -n 1 "$OUT")" "1..5" "the plan counts them all"
is "$prove_rc" 0 "prove passes the run"

fake beta 'echo "ok 1 - three"; echo "not ok 2 - four"; echo "#   at x.c line 3"; echo "1..2"; exit 1'
units
ok "a failed assertion is a failed line" has '^not ok 5 - beta: four$' "$OUT"
ok "... with its diagnostics" has '^#   at x.c line 3$' "$OUT"
ok "... and the binary's end is not ok" has '^not ok 6 - beta: exit 1$' "$OUT"
is "$prove_rc" 1 "prove fails the run"

fake beta 'echo "ok 1 - three"; kill -SEGV $$'
units
ok "a binary that dies before its plan fails" has '^not ok 5 - beta: no plan: it stopped after 1 assertions' "$OUT"
is "$prove_rc" 1 "prove fails the run"

fake beta 'echo "ok 1 - three"; echo "1..3"'
units
ok "a plan not met fails" has '^not ok 5 - beta: planned 3 assertions, ran 1 (exit 0)$' "$OUT"

fake beta 'echo "ok 1 - three"; echo "stray output"; echo "1..1"'
units
ok "other output becomes a comment" has '^# stray output$' "$OUT"
is "$prove_rc" 0 "... and does not break the stream"

rm -f "$T/b/unit/"*
units
ok "no unit binaries at all bails out" has '^Bail out!' "$OUT"

done_testing
