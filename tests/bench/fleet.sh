#!/bin/sh
# make bench, many links: FLEET_LINKS (10,000) linked profiles, one
# no-change pull each through one gcal-run, then the same links as 4
# shards of gcal-run at once, against one project's quota that the
# emulator enforces (600 a minute per user, 10,000 per project).
#
# The profiles are written directly (profile.json, token.json with an
# access token the emulator made for each user), with no login each. A
# first pull of every link, outside the quota (GCAL_QUOTA=off), makes the
# mirrors; before each row the governor's table and the emulator's counts
# are cleared, as after a quiet minute, so each row starts with a whole
# minute to spend.
set -eu
top=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
build=${GCAL_BUILD:-build}
case $build in /*) BIN=$build/bin ;; *) BIN=$top/$build/bin ;; esac
PATH=$BIN:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/gcal-bench-fleet.XXXXXX")
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state TMPDIR_T=$work HOME=$work
EMU_LIB_SRC=$top/tests/lib-emu.sh
. "$top/tests/lib-emu.sh"
. "$top/tests/bench/lib.sh"
emu_start
trap 'emu_stop; rm -rf "$work"' EXIT
N=${FLEET_LINKS:-10000}
JOBS=${FLEET_JOBS:-8}
LAT_MS=0

emu_ctl POST /_emu/fleet "{\"count\":$N,\"prefix\":\"fleet\"}" >"$work/fleet.ndjson"
python3 - "$work/fleet.ndjson" "$XDG_CONFIG_HOME/gcal" "$XDG_STATE_HOME/gcal" "$EMU_CLIENT_ID" <<'PY'
import json, os, sys, time
src, conf, state, client = sys.argv[1:]
os.umask(0o077)
now = int(time.time())
for i, line in enumerate(open(src)):
    u = json.loads(line)
    p = "fleet%05d" % i
    for d in (conf + "/" + p, state + "/" + p):
        os.makedirs(d, exist_ok=True)
    with open(conf + "/" + p + "/profile.json", "w") as f:
        json.dump({"account": u["email"], "client_id": client, "kind": "oauth",
                   "scopes": ["https://www.googleapis.com/auth/calendar"]}, f, sort_keys=True)
    with open(state + "/" + p + "/token.json", "w") as f:
        json.dump({"access_token": u["access_token"], "expires_at": now + u["expires_in"],
                   "lifetime": u["expires_in"],
                   "scope": "https://www.googleapis.com/auth/calendar"}, f, sort_keys=True)
PY
GCAL_QUOTA=off gcal-run -q -j "$JOBS" pull >/dev/null
# Google's quotas, enforced by the emulator from here on
emu_ctl POST /_emu/config '{"quota_per_minute":600,"quota_status":429}' >/dev/null
emu_ctl POST /_emu/quota/config '{"project_per_minute":10000}' >/dev/null

fresh_minute() {
	rm -f "$XDG_STATE_HOME/gcal/quota"
	emu_ctl POST /_emu/quota/clear >/dev/null
}
# q KEY: a figure of the emulator's counts
q() { emu_ctl GET /_emu/quota | jq -r "$1"; }

printf '\n%-50s %8s %8s %8s %8s %8s %8s %10s %8s\n' "fleet ($N links, -j $JOBS)" requests minimum wall_s bound_s floor_s cpu_s links/s peak_MB
fresh_minute
row "gcal-run pull, $N links, nothing changed" "$N" "$N" -- gcal-run -q -j "$JOBS" pull
[ ! -s "$work/out" ] || { echo "bench: a pull with nothing changed printed events" >&2; exit 1; }
bad=$(gcal-run status | jq -s '[.[] | select(.status != 0)] | length')
[ "$bad" = 0 ] || { echo "bench: $bad links did not exit 0" >&2; exit 1; }
printf '  %-48s %8s\n' "CPU per link (ms; goal < 1)" "$(awk -v c="$cpu" -v n="$N" 'BEGIN { printf "%.3f", c * 1000 / n }')"
printf '  %-48s %8s\n' "connections opened (goal: a handful)" "$(q .connections)"
printf '  %-48s %8s\n' "quota bound (s): $N calls, 10,000 a minute" \
	"$(awk -v n="$N" 'BEGIN { printf "%.2f", (n > 10000 ? (n - 10000) * 60 / 10000 : 0) }')"
printf '  %-48s %8s\n' "the emulator's own rate (calls/s, 1 / service)" \
	"$(awk -v r="$reqs" -v s="$service_ms" 'BEGIN { printf "%d", (s > 0 ? r * 1000 / s : 0) }')"
printf '  %-48s %8s\n' "the rate it saw (calls/s)" "$(q .rate_per_second)"
printf '  %-48s %8s\n' "peak a minute, per user (quota 600)" "$(q .peak_per_minute_user)"
printf '  %-48s %8s\n' "peak a minute, per project (quota 10,000)" "$(q '[.peak_per_minute_project[]] | max')"
printf '  %-48s %8s\n' "refused for rate (429)" "$(q .refused_rate)"

# 4 shards of N/4 at once, one project
fresh_minute
emu_ctl POST /_emu/log/clear >/dev/null
t0=$(date +%s%N)
pids=
for i in 0 1 2 3; do
	/usr/bin/time -o "$work/time.$i" -f '%e %U %S %M' \
		gcal-run -q -j "$((JOBS / 4 > 0 ? JOBS / 4 : 1))" --shard "$i/4" pull >"$work/out.$i" 2>"$work/err.$i" &
	pids="$pids $!"
done
st=0
for p in $pids; do wait "$p" || st=$?; done
t1=$(date +%s%N)
[ "$st" = 0 ] || { echo "bench: a shard exited $st" >&2; cat "$work"/err.* >&2; exit 1; }
reqs=$(q .requests)
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
cpu=$(cat "$work"/time.? | awk '{ c += $2 + $3 } END { printf "%.2f", c }')
mb=$(cat "$work"/time.? | awk '{ if ($4 > m) m = $4 } END { printf "%.1f", m / 1024 }')
printf '%-50s %8s %8s %8s %8s %8s %8s %10s %8s\n' "4 shards of $((N / 4)) at once, one project" "$reqs" "$N" "$wall" \
	"-" "-" "$cpu" "$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%d", n / w }')" "$mb"
printf '  %-48s %8s\n' "connections opened" "$(q .connections)"
printf '  %-48s %8s\n' "peak a minute, per user (quota 600)" "$(q .peak_per_minute_user)"
printf '  %-48s %8s\n' "peak a minute, per project (quota 10,000)" "$(q '[.peak_per_minute_project[]] | max')"
printf '  %-48s %8s\n' "refused for rate (429)" "$(q .refused_rate)"
[ "$(q .refused_rate)" = 0 ] || { echo "bench: the emulator refused calls for rate" >&2; exit 1; }
