#!/bin/sh
# Run the C unit tests of lib/ (built by make units) as one TAP stream each.
top=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
b=${GCAL_BUILD:-build}
case $b in /*) ;; *) b=$top/$b ;; esac
n=0
for u in "$b"/unit/*; do
	[ -x "$u" ] || continue
	n=$((n + 1))
	if out=$("$u" 2>&1); then
		echo "ok $n - $(basename "$u")"
	else
		echo "not ok $n - $(basename "$u")"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
echo "1..$n"
