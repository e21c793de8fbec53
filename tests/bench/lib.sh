# tests/bench/lib.sh - the row and measure helpers of make bench, for
# bench.sh and fleet.sh. Needs $work, $LAT_MS and emu_ctl (lib-emu.sh).

# measure OUT CMD...: CMD's stdout to OUT; prints "WALL CPU PEAK_KB STATUS"
# (GNU time: the figures of CMD alone).
measure() {
	_o=$1
	shift
	_st=0
	/usr/bin/time -o "$work/time" -f '%e %U %S %M' "$@" >"$_o" || _st=$?
	awk -v st="$_st" '{ printf "%s %.2f %s %s\n", $1, $2 + $3, $4, st }' "$work/time"
}

# row CASE MINIMUM EVENTS -- CMD...: run CMD once, print its row.
row() {
	name=$1 min=$2 events=$3
	shift 4
	emu_ctl POST /_emu/log/clear >/dev/null
	set -- $(measure "$work/out" "$@")
	wall=$1 cpu=$2 rss=$3 status=$4
	[ "$status" = 0 ] || { echo "bench: '$name' exited $status" >&2; exit 1; }
	set -- $(emu_ctl GET /_emu/log | jq -rs '"\(length) \(map(.service_ms // 0) | add // 0)"')
	reqs=$1 service_ms=$2
	eps=$(awk -v n="$events" -v w="$wall" 'BEGIN { if (w >= 0.01 && n > 0) printf "%d", n / w; else printf "-" }')
	mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
	bound=$(awk -v r="$reqs" -v l="$LAT_MS" 'BEGIN { printf "%.2f", r * l / 1000 }')
	floor=$(awk -v r="$reqs" -v l="$LAT_MS" -v s="$service_ms" 'BEGIN { printf "%.2f", (r * l + s) / 1000 }')
	printf '%-50s %8s %8s %8s %8s %8s %8s %10s %8s\n' "$name" "$reqs" "$min" "$wall" "$bound" "$floor" "$cpu" "$eps" "$mb"
}

