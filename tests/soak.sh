#!/bin/sh
# make soak: the model test of gcal-sync (tests/t/sync-model.t) for many
# seeds, SOAK_STEPS steps in all (default 20000) in runs of SOAK_PER_SEED
# (default 2000) on a fresh calendar each, the runs taking turns over
# SOAK_PROVIDERS (default "google microsoft": a Google profile, then a
# Microsoft one against the Graph emulator); prints each run's seed and
# result, then the counts summed (JSON). Exits 1 if any seed failed, known
# defects too (replay it with GCAL_SEED=N SYNC_MODEL_STEPS=N
# SYNC_MODEL_PROVIDER=P prove -v tests/t/sync-model.t).
set -u
top=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
total=${SOAK_STEPS:-20000}
per=${SOAK_PER_SEED:-2000}
# SOAK_DIR keeps each run's output and the counts
if [ -n "${SOAK_DIR:-}" ]; then
	out=$SOAK_DIR
	mkdir -p "$out" || exit 1
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX") || exit 1
	trap 'rm -rf "$out"' EXIT
fi
providers=${SOAK_PROVIDERS:-google microsoft}
set -- $providers
done_steps=0 failed=0 n=0
while [ "$done_steps" -lt "$total" ]; do
	n=$((n + 1))
	steps=$per
	[ $((total - done_steps)) -lt "$steps" ] && steps=$((total - done_steps))
	seed=${SOAK_SEED0:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	[ -n "${SOAK_SEED0:-}" ] && seed=$((SOAK_SEED0 + n))
	provider=$1
	shift
	set -- "$@" "$provider"
	GCAL_SEED=$seed SYNC_MODEL_STEPS=$steps SYNC_MODEL_TAIL=${SOAK_TAIL:-60} \
		SYNC_MODEL_PROVIDER=$provider \
		perl "$top/tests/t/sync-model.t" >"$out/run.$n" 2>&1
	rc=$?
	grep '^# counts' "$out/run.$n" | sed 's/^# counts //' >>"$out/counts"
	if [ "$rc" -eq 0 ]; then
		echo "seed $seed ($provider): $steps steps: ok"
	else
		failed=$((failed + 1))
		echo "seed $seed ($provider): FAILED"
		grep -v '^ok' "$out/run.$n" | tail -n 80
	fi
	done_steps=$((done_steps + steps))
done
python3 - "$out/counts" <<'PY'
import json, sys
tot = {}
def add(dst, src):
    for k, v in src.items():
        if isinstance(v, dict):
            add(dst.setdefault(k, {}), v)
        elif isinstance(v, (int, float)) and k != "seed":
            dst[k] = dst.get(k, 0) + v
for line in open(sys.argv[1]):
    add(tot, json.loads(line))
tot["invariant_checks"] = sum(tot.get("checks", {}).values())
tot["operations"] = sum(tot.get("ops", {}).values())
tot["faults_injected"] = sum(v for k, v in tot.get("faults", {}).items() if k != "none")
print(json.dumps(tot, sort_keys=True))
PY
[ "$failed" -eq 0 ]
