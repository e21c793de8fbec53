#!/bin/sh
# gcal-sync proven by a model: tests/sync_model.py drives the programs
# against the emulator with seeded random operations on both sides and
# faults, and checks the invariants after every step (see its header).
# GCAL_SEED=N replays a seed; SYNC_MODEL_STEPS sets the length (make
# soak runs tens of thousands).
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account
CAL=$(gcal-auth use --create "Model" | jq -r .id)
mkdir -p "$T/model"
python3 "$TOP/tests/sync_model.py" run --steps "${SYNC_MODEL_STEPS:-200}" \
	--dir "$T/model" --calendar "$CAL" >"$T/model.out" 2>"$T/model.err"
rc=$?
tail -n "${SYNC_MODEL_TAIL:-400}" "$T/model.err" | sed "s/^/# /"
cat "$T/model.out"
is "$rc" 0 "the model's invariants hold for every step of the seed"
ok "... it printed its seed" grep -q '^# seed [0-9]' "$T/model.out"
ok "... and its counts" grep -q '^# counts {' "$T/model.out"

done_testing
