#!/bin/sh
# make bench, Exchange: a 10,000-event calendar through Microsoft Graph
# (the Graph emulator, 20 ms a request): requests against the minimum
# (delta pages of 1000, $batch of 20), wall time and CPU per event.
set -eu
top=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
build=${GCAL_BUILD:-build}
case $build in /*) BIN=$build/bin ;; *) BIN=$top/$build/bin ;; esac
PATH=$BIN:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/gcal-bench-ms.XXXXXX")
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state TMPDIR_T=$work HOME=$work
TOP=$top
. "$top/tests/lib-ms.sh"
graph_start
trap 'graph_stop; rm -rf "$work"' EXIT
ms_link bench alice@contoso.com Team
cal=$(ms_cal alice@contoso.com Team)
graph_ctl POST /_emu/config '{"latency_ms":20}' >/dev/null

# row CASE MINIMUM EVENTS -- CMD...: run CMD once (stdout to $work/out),
# print requests, the minimum, wall and CPU seconds, CPU per event
row() {
	name=$1 min=$2 events=$3
	shift 4
	graph_ctl POST /_emu/log/clear >/dev/null
	st=0
	/usr/bin/time -o "$work/time" -f '%e %U %S' "$@" >"$work/out" <"${IN:-/dev/null}" || st=$?
	[ "$st" = 0 ] || { echo "bench: '$name' exited $st" >&2; exit 1; }
	reqs=$(graph_log_count)
	awk -v n="$name" -v r="$reqs" -v m="$min" -v e="$events" '{
		cpu = $2 + $3
		printf "%-50s %8s %8s %8s %8.2f %10.1f\n", n, r, m, $1, cpu, e ? cpu * 1e6 / e : 0 }' "$work/time"
}

printf '\n%-50s %8s %8s %8s %8s %10s\n' "Exchange (Graph emulator, 20 ms)" requests minimum wall_s cpu_s cpu_us/ev
graph_ctl POST "/_emu/calendars/$cal/generate" '{"count":10000,"start":"2026-06-01T08:00:00","minutes":60,"step_minutes":90,"subject":"Event %d","timeZone":"W. Europe Standard Time"}' >/dev/null
row "gcal-pull full, 10000 Exchange events" 10 10000 -- gcal-pull -p bench
[ "$(wc -l <"$work/out" | tr -d ' ')" = 10000 ] || { echo "bench: not 10000 events" >&2; exit 1; }
row "gcal-pull incremental, 0 changes (10000)" 1 10000 -- gcal-pull -p bench --changes
ms_events bench | jq -r .id >"$work/ids"
for id in $(head -10 "$work/ids"); do
	graph_ctl PATCH "/_emu/events/$id" '{"subject":"changed"}' >/dev/null
done
row "gcal-pull incremental, 10 changes (10000)" 1 10 -- gcal-pull -p bench --changes
[ "$(wc -l <"$work/out" | tr -d ' ')" = 10 ] || { echo "bench: not 10 changes" >&2; exit 1; }
jq -nc 'range(1; 201) as $i | {op:"insert", id:"bench\($i)x", key:"\($i)",
	event:{summary:"Booked \($i)", start:{dateTime:"2027-01-04T09:00:00Z"}, end:{dateTime:"2027-01-04T10:00:00Z"},
	  extendedProperties:{private:{gcalOwner:"bench", gcalKey:"\($i)"}}}}' >"$work/ins"
# the minimum: the $batch requests, and the one look-up of the default
# calendar for the guard
IN=$work/ins row "gcal-push 200 inserts (\$batch of 4)" 51 200 -- gcal-push -p bench
jq -c '.id = (.id + "b") | .key = (.key + "b") | .event.extendedProperties.private.gcalKey = .key' "$work/ins" >"$work/ins2"
IN=$work/ins2 row "gcal-push 200 inserts (--batch 20)" 11 200 -- gcal-push -p bench --batch 20
