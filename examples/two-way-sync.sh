#!/bin/sh
# two-way-sync.sh PROFILE DIR: keep a booking system's appointments and the
# profile's calendar in step, both ways, from cron (every 5 minutes, say).
#
# DIR/local.ndjson  the booking system's side: one appointment a line,
#                   shaped as an event, with its own "appointment_id"
#                   (records that came from Google carry Google's "id")
# DIR/base.ndjson   what both sides agreed on after the last run
#
# A run that fails or is killed at any step loses nothing and duplicates
# nothing, because the base only records what both sides now agree on:
# - a change that did not reach the other side stays a change (base
#   keeps the old version), so it goes again next time;
# - a change that did reach it but was not recorded (killed after gcal-push
#   acted) shows up as both sides equal, which is no change at all;
# - local.ndjson and base.ndjson are replaced atomically, never half
#   written. The base is written last.
# SYNC_STOP_AT=pull|diff|push|apply|base stops a run before that step (for
# tests), as a killed run would.
set -eu
[ $# -eq 2 ] || { echo "usage: two-way-sync.sh PROFILE DIR" >&2; exit 64; }
profile=$1
dir=$2
base=$dir/base.ndjson
local=$dir/local.ndjson
[ -f "$base" ] || : >"$base"
[ -f "$local" ] || : >"$local"
work=$(mktemp -d "${TMPDIR:-/tmp}/two-way.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() {
	if [ "${SYNC_STOP_AT:-}" = "$1" ]; then
		echo "two-way-sync: stopped before $1" >&2
		exit 75
	fi
}

step pull
gcal-pull -q -p "$profile" >"$work/remote"

step diff
# Appointments made on both sides since the last run would be conflicts;
# "newest" settles edits on both sides by their "updated" times.
gcal-diff --base "$base" --key .appointment_id --prefer newest \
	"$local" "$work/remote" >"$work/changes"

step push
jq -c 'select(.target == "remote")' "$work/changes" >"$work/to-google"
status=0
if [ -s "$work/to-google" ]; then
	gcal-push -q -p "$profile" <"$work/to-google" >"$work/results" || status=$?
	# 1: some changes failed or conflicted; the base keeps them as they
	# were, so they are tried again next run. Anything else: stop here.
	[ "$status" -le 1 ] || exit "$status"
else
	: >"$work/results"
fi

step apply
# The booking system's importer: here, a jq program over local.ndjson.
jq -c 'select(.target == "local")' "$work/changes" >"$work/to-local"
jq -nc --slurpfile local "$local" --slurpfile ch "$work/to-local" '
	def same($c): (.id != null and .id == $c.id) or
		($c.key != null and .appointment_id == $c.key);
	reduce $ch[] as $c ($local;
		if $c.op == "insert" then
			. + [$c.event + (if $c.key then {appointment_id: $c.key} else {} end)]
		elif $c.op == "update" then
			map(if same($c) then
				$c.event + (if .appointment_id then {appointment_id} else {} end)
			else . end)
		elif $c.op == "delete" then
			map(select(same($c) | not))
		else . end) | .[]' >"$work/local.new"
mv "$work/local.new" "$local.new"
mv "$local.new" "$local"

step base
# Agreed now: what was the same on both sides (no change), what reached
# Google (its answer), what reached the booking system (Google's
# version); for the rest (failures, conflicts), what was agreed before.
jq -nc --slurpfile base "$base" --slurpfile remote "$work/remote" \
	--slurpfile ch "$work/changes" --slurpfile res "$work/results" '
	($ch | map(.id)) as $changed
	| ($res | map(select(.status == "ok") | .id)) as $pushed
	| ($ch | map(select(.target == "local") | .id)) as $applied
	| ($changed - $pushed - $applied) as $pending
	| [$remote[] | select(.status != "cancelled")
	                | select(.id as $i | $changed | index($i) | not)]
	  + [$res[] | select(.status == "ok" and .op != "delete") | .event]
	  + [$ch[] | select(.target == "local" and .op != "delete") | .event]
	  + [$base[] | select(.id as $i | $pending | index($i))]
	| .[]' >"$work/base.new"
mv "$work/base.new" "$base.new"
mv "$base.new" "$base"
exit "$status"
