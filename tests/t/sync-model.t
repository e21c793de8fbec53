#!/bin/sh
# gcal-sync proven by a model: tests/sync_model.py drives the programs
# against the emulator with seeded random operations on both sides and
# faults, and checks the invariants after every step (see its header).
# GCAL_SEED=N replays a seed, alone; SYNC_MODEL_STEPS sets the length
# (make soak runs tens of thousands). Without GCAL_SEED: the seeds that
# once failed, each as far as its failure, then one random seed, so that
# every check still explores a new path (its seed is printed to replay).
. "$(dirname "$0")/../lib.sh"

# The governor stays on, but its minute lasts a second: the model's 429
# storms slow the user down for a minute each (lib/quota.c), which here
# would be minutes of waiting and no more checks.
GCAL_QUOTA_MINUTE_MS=${GCAL_QUOTA_MINUTE_MS:-1000}
export GCAL_QUOTA_MINUTE_MS
emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account

# model SEED STEPS WHAT: one run of the model on a calendar of its own
model() {
	CAL=$(gcal-auth use --create "Model $1" | jq -r .id)
	d=$T/model.$1
	mkdir -p "$d/dir"
	GCAL_SEED=$1 python3 "$TOP/tests/sync_model.py" run --steps "$2" \
		--dir "$d/dir" --calendar "$CAL" >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || tail -n "${SYNC_MODEL_TAIL:-400}" "$d/err" | sed "s/^/# /"
	cat "$d/out"
	is "$rc" 0 "$3: the model's invariants hold for every step"
	ok "... it printed its seed" grep -q "^# seed $1 " "$d/out"
	ok "... and its counts" grep -q '^# counts {' "$d/out"
}

if [ -n "${GCAL_SEED:-}" ]; then
	model "$GCAL_SEED" "${SYNC_MODEL_STEPS:-200}" "seed $GCAL_SEED"
else
	# an edit that a run delivered but could not report (an --apply-cmd
	# that applied it and failed; a run stopped after gcal-push wrote),
	# then edited over on the side it reached, is no lost edit
	model 484447553 110 "seed 484447553 (delivered by a failed apply)"
	model 243549352 110 "seed 243549352 (delivered by a stopped run)"
	# an instance edited, then its series deleted on the same side
	model 408663073 20 "seed 408663073 (a series deleted with its instances)"
	model "$(od -An -N4 -tu4 /dev/urandom | awk '{ print $1 % 2147483647 + 1 }')" \
		"${SYNC_MODEL_STEPS:-200}" "a random seed"
fi

done_testing
