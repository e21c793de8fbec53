#!/bin/sh
# gcal-sync proven by a model: tests/sync_model.py drives the programs
# against the emulators with seeded random operations on both sides and
# faults, and checks the invariants after every step (see its header).
# GCAL_SEED=N replays a seed, alone; SYNC_MODEL_STEPS sets the length
# (make soak runs tens of thousands); SYNC_MODEL_PROVIDER=microsoft runs
# it on a Microsoft profile against the Graph emulator. Without GCAL_SEED:
# the seeds that once failed, each as far as its failure, then one random
# seed on each provider, so that every check still explores a new path
# (its seed is printed to replay).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/lib-ms.sh"

# The governor stays on, but its minute lasts a second: the model's 429
# storms slow the user down for a minute each (lib/quota.c), which here
# would be minutes of waiting and no more checks.
GCAL_QUOTA_MINUTE_MS=${GCAL_QUOTA_MINUTE_MS:-1000}
export GCAL_QUOTA_MINUTE_MS
emu_start || { echo "Bail out! emulator"; exit 1; }
graph_start || { echo "Bail out! Graph emulator"; exit 1; }
run link_account

# (On Microsoft, an occurrence deleted before any pull saw it is a
# documented limit of Graph v1.0, not a defect: the model's Outlook user
# does not do it, see its header.)

# model SEED STEPS WHAT [PROVIDER]: one run of the model on a calendar
# of its own (on Microsoft: alice's, linked as profile ms-SEED)
model() {
	d=$T/model.$1.${4:-google}
	mkdir -p "$d/dir"
	if [ "${4:-google}" = microsoft ]; then
		graph_ctl POST /_emu/calendars "{\"owner\":\"alice@contoso.com\",\"name\":\"Model $1\"}" >/dev/null
		ms_link "ms-$1" alice@contoso.com "Model $1"
		CAL=$(ms_cal alice@contoso.com "Model $1")
	else
		CAL=$(gcal-auth use --create "Model $1" | jq -r .id)
	fi
	(if [ "${4:-google}" = microsoft ]; then GCAL_PROFILE=ms-$1; export GCAL_PROFILE; fi
	GCAL_SEED=$1 exec python3 "$TOP/tests/sync_model.py" run --steps "$2" \
		--provider "${4:-google}" --dir "$d/dir" --calendar "$CAL") >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || tail -n "${SYNC_MODEL_TAIL:-400}" "$d/err" | sed "s/^/# /"
	# prove shows a script's stderr even when not verbose: a failed
	# random seed can be replayed from any CI log
	[ "$rc" = 0 ] || { grep '^# FAILED' "$d/err" | tail -n 1
		echo "sync-model.t: $3 failed: GCAL_SEED=$1 SYNC_MODEL_STEPS=$2 SYNC_MODEL_PROVIDER=${4:-google} replays it"; } >&2
	cat "$d/out"
	is "$rc" 0 "$3: the model's invariants hold for every step"
	ok "... it printed its seed" grep -q "^# seed $1 " "$d/out"
	ok "... and its counts" grep -q '^# counts {' "$d/out"
}

random_seed() {
	od -An -N4 -tu4 /dev/urandom | awk '{ print $1 % 2147483647 + 1 }'
}

if [ -n "${GCAL_SEED:-}" ]; then
	model "$GCAL_SEED" "${SYNC_MODEL_STEPS:-200}" "seed $GCAL_SEED" \
		"${SYNC_MODEL_PROVIDER:-google}"
else
	# an edit that a run delivered but could not report (an --apply-cmd
	# that applied it and failed; a run stopped after gcal-push wrote),
	# then edited over on the side it reached, is no lost edit
	model 484447553 110 "seed 484447553 (delivered by a failed apply)"
	model 243549352 110 "seed 243549352 (delivered by a stopped run)"
	# an instance edited, then its series deleted on the same side
	model 408663073 20 "seed 408663073 (a series deleted with its instances)"
	# an instance cancelled on one side, its series deleted on the other
	model 108 40 "seed 108 (a cancelled instance of a deleted series)"
	# a series deleted here, brought back by Google's edit: its exceptions stay on both sides
	model 97303145 50 "seed 97303145 (a series brought back keeps its exceptions)"
	# an occurrence edited in Google while the series was deleted
	# locally: the edit that lost is said in a settled conflict
	model 103377195 20 "seed 103377195 (an exception lost to its series' deletion, said)"
	# an exception the booking system kept when it dropped its series,
	# edited there, the series brought back by Google's edit: the edit
	# reaches Google on the next run (gcal-sync(1) CAVEATS)
	model 1290165825 36 "seed 1290165825 (a kept exception of a series brought back)"
	# an empty export after a killed run whose create in Google was
	# edited there since: the run takes that create into the base, and
	# stops (exit 3) rather than run an empty export against it
	model 31462957 8 "seed 31462957 (an empty export after a killed run's create)"
	model "$(random_seed)" "${SYNC_MODEL_STEPS:-200}" "a random seed"
	# Microsoft: an Outlook event deleted, edited locally, restored by
	# gcal-sync under a new id that the local record never learned; then
	# (step 40) a killed run's create, edited in Outlook since, taken as
	# what it made, and (step 60) a killed run's local delete folded
	# before the record was matched by its key
	model 2 60 "Microsoft, seed 2 (an event restored in Graph; a killed run's writes)" microsoft
	# a keyless event restored under a new id: the local side is told it
	model 11 44 "Microsoft, seed 11 (a keyless event told its new id)" microsoft
	# a killed run's create found by the next one, by its key (699274163)
	# or its content (3), not taken in as an Outlook event
	model 699274163 2 "Microsoft, seed 699274163 (a killed run's create, by its key)" microsoft
	model 3 22 "Microsoft, seed 3 (a killed run's create, by its content)" microsoft
	# an exception (1619236107) or a plain occurrence (2128397881)
	# deleted in Outlook while Graph refused the delta token: the full
	# round gives it cancelled, not gone
	model 1619236107 44 "Microsoft, seed 1619236107 (an exception deleted over a 410)" microsoft
	model 2128397881 19 "Microsoft, seed 2128397881 (an occurrence deleted over a 410)" microsoft
	# a duplicate_key fault with no keyed record to duplicate
	model 249443949 6 "Microsoft, seed 249443949 (nothing to duplicate)" microsoft
	# an occurrence deleted in Outlook before any run saw its series:
	# Graph v1.0 never lists it (a documented limit), so the model's
	# Outlook user does not do that
	model 21 35 "Microsoft, seed 21 (no occurrence deleted unseen)" microsoft
	# a local record under the id Graph gave an earlier event of its key
	# (restored after an Outlook delete) is matched by its key, not made
	# again every run
	model 33 20 "Microsoft, seed 33 (a restored event made once)" microsoft
	# a plain occurrence deleted after its series changed: written
	# If-Match the listing's etag, not a stale one (412 every run)
	model 1290011314 10 "Microsoft, seed 1290011314 (an occurrence's fresh etag)" microsoft
	# an Outlook event a stopped run imported, edited locally, deleted
	# in Outlook: a conflict, not made again in Outlook unsaid (43661662);
	# an occurrence cancelled in Outlook, the run stopped before the
	# cancel reached the booking system, which then edits it: that edit
	# is no write of ours (1596900942)
	model 43661662 30 "Microsoft, seed 43661662 (a stopped run's import, edited)" microsoft
	model 1596900942 40 "Microsoft, seed 1596900942 (an occurrence edited, not imported)" microsoft
	# an occurrence edited in Outlook while its series, deleted locally,
	# is a conflict: the edit waits for the series, not written to the
	# booking system as an exception of no series (then deleted)
	model 788746593 30 "Microsoft, seed 788746593 (an instance waits for its series)" microsoft
	model "$(random_seed)" "${SYNC_MODEL_MS_STEPS:-100}" "Microsoft, a random seed" microsoft
fi

done_testing
