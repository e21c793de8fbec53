#!/bin/sh
# sync-apply.sh FILE: a local system's importer for gcal-sync --apply-cmd,
# as the tests use it: applies the change records on stdin to FILE (one
# record a line; a record is found by its "id", or by its key in
# "appointment_id"), replacing FILE atomically. A key is any JSON value:
# jq's == compares them as JSON (1 and "1" differ).
set -eu
f=$1
[ -f "$f" ] || : >"$f"
cat >"$f.changes"
jq -nc --slurpfile local "$f" --slurpfile ch "$f.changes" '
	def same($c): (.id != null and .id == $c.id) or
		($c.key != null and .appointment_id == $c.key);
	reduce $ch[] as $c ($local;
		if $c.op == "insert" then
			map(select(same($c) | not)) +
			[$c.event + (if $c.key != null then {appointment_id: $c.key} else {} end)]
		elif $c.op == "update" then
			map(if same($c) then
				$c.event + (if has("appointment_id") then {appointment_id} else {} end)
			else . end)
		elif $c.op == "delete" then
			map(select(same($c) | not))
		else . end) | .[]' >"$f.new"
rm -f "$f.changes"
mv "$f.new" "$f"
