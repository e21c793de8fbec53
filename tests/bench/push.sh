#!/bin/sh
# make bench, push notifications: the requests a link costs a day with
# push and a safety poll against polling every 5 minutes, and the time
# from a change at Google to the local mirror, behind a real web server.
#
# The day is simulated at 3600 times its speed (an hour a second): 20
# changes at random times (a fixed seed), gcal-watch run with its hourly
# safety poll (1 s here), and a poller every 5 minutes (1/12 s here);
# the emulator counts the requests each made.
set -eu
top=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
build=${GCAL_BUILD:-build}
case $build in /*) BIN=$build/bin ;; *) BIN=$top/$build/bin ;; esac
PATH=$BIN:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/gcal-bench-push.XXXXXX")
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state TMPDIR_T=$work HOME=$work
export GCAL_PUSH_DIR=$work/push
EMU_LIB_SRC=$top/tests/lib-emu.sh
. "$top/tests/lib-emu.sh"
. "$top/tests/lib-push.sh"
RPID=
finish() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	push_server_stop
	emu_stop
	rm -rf "$work"
}
emu_start
# after emu_start, whose own EXIT trap would replace ours
trap finish EXIT
st=0
push_server_start "$work" "$BIN" "$GCAL_PUSH_DIR" || st=$?
if [ "$st" = 2 ]; then
	echo "bench: push rows skipped: $PUSH_SKIP" >&2
	exit 0
fi
[ "$st" = 0 ] || exit 1
BROWSER="curl -sL" gcal-auth login -p pushbench --client-secret "$top/tests/fixtures/client_secret.json" >/dev/null
CAL=alice@example.com
emu_ctl POST /_emu/push/config '{"allow_http":true}' >/dev/null
emu_ctl POST "/_emu/calendars/$CAL/generate" '{"count":200}' >/dev/null
gcal-pull -p pushbench >/dev/null

# requests CALLS-REGEX: Calendar API requests in the emulator's log
calendar_requests() {
	emu_ctl GET /_emu/log | jq -s '[.[] | select(.path | startswith("/calendar/v3/"))] | length'
}
token_requests() {
	emu_ctl GET /_emu/log | jq -s '[.[] | select(.path == "/token")] | length'
}

# change_times: 20 random instants of a 24 s day, sorted (seconds)
python3 -c '
import random
r = random.Random(20)
print(" ".join("%.3f" % t for t in sorted(r.uniform(0, 24) for _ in range(20))))
' >"$work/times"

# day MODE: drive one simulated day of 20 changes; MODE poll or push
day() {
	python3 - "$EMU_URL" "$CAL" "$1" "$work/times" <<'PY'
import json, subprocess, sys, time, urllib.request
emu, cal, mode, times = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ts = [float(x) for x in open(times).read().split()]
def change(i):
    body = json.dumps({"summary": "day-%d" % i,
                       "start": {"dateTime": "2026-12-01T10:00:00Z"},
                       "end": {"dateTime": "2026-12-01T11:00:00Z"}}).encode()
    req = urllib.request.Request(emu + "/_emu/calendars/%s/events" % cal, body,
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
t0 = time.monotonic()
nxt_poll = 0.0
i = 0
while True:
    t = time.monotonic() - t0
    if t >= 24:
        break
    while i < len(ts) and ts[i] <= t:
        change(i)
        i += 1
    if mode == "poll" and t >= nxt_poll:
        subprocess.run(["gcal-pull", "-q", "-p", "pushbench", "--changes"],
                       stdout=subprocess.DEVNULL, check=True)
        nxt_poll += 300 / 3600.0
    time.sleep(0.005)
PY
}

printf '\n%-58s %10s %10s\n' "push notifications (a simulated day, 20 changes)" "calendar" "token"

# polling every 5 minutes
emu_ctl POST /_emu/log/clear >/dev/null
day poll
poll_cal=$(calendar_requests) poll_tok=$(token_requests)
printf '%-58s %10s %10s\n' "  requests a day, polling every 5 minutes" "$poll_cal" "$poll_tok"
printf '%-58s %10s\n' "    calendar requests a day for 10,000 links" "$((poll_cal * 10000))"

# push, with a safety poll every SAFETY hours; the channel renewed
# weekly: a watch and a stop a week, 2/7 a day
push_day() {
	emu_ctl POST /_emu/log/clear >/dev/null
	gcal-watch run -p pushbench --safety-poll "$1" --min-interval 0 -- gcal-pull -q --changes \
		>/dev/null 2>"$work/run.err" &
	RPID=$!
	day push
	kill "$RPID"; wait "$RPID" 2>/dev/null || true; RPID=
	push_cal=$(calendar_requests) push_tok=$(token_requests)
	push_day=$(awk -v n="$push_cal" 'BEGIN { printf "%.1f", n + 2 / 7 }')
	printf '%-58s %10s %10s\n' "  requests a day, push + safety poll every $1 h + weekly renew" "$push_day" "$push_tok"
	printf '%-58s %10s\n' "    fewer calendar requests with push (goal: 10x)" \
		"$(awk -v a="$poll_cal" -v b="$push_day" 'BEGIN { printf "%.1fx", a / b }')"
	printf '%-58s %10s\n' "    calendar requests a day for 10,000 links" \
		"$(awk -v b="$push_day" 'BEGIN { printf "%d", b * 10000 }')"
}
gcal-watch start -p pushbench --address "$PUSH_URL" >/dev/null
push_day 1
push_day 2
echo "  (token refreshes, not counted against the Calendar API quota: about 24 a day either way)"

# --- change to mirror: 100 changes, one at a time ----------------------------
: >"$work/changes"
gcal-watch run -p pushbench -- sh -c 'gcal-pull -q --changes >>"$0"' "$work/changes" \
	>/dev/null 2>"$work/run.err" &
RPID=$!
sleep 1
python3 - "$EMU_URL" "$CAL" "$work/changes" <<'PY'
import json, math, random, sys, time, urllib.request
emu, cal, path = sys.argv[1:4]
r = random.Random(100)
lat = []
for i in range(100):
    # past --min-interval (1 s, the default): what a change waits for when
    # it comes right after the link's last pull is that interval
    time.sleep(1.0 + r.uniform(0, 0.2))
    tag = '"summary":"lat-%d"' % i
    body = json.dumps({"summary": "lat-%d" % i, "start": {"dateTime": "2026-12-01T10:00:00Z"},
                       "end": {"dateTime": "2026-12-01T11:00:00Z"}}).encode()
    t0 = time.monotonic()
    urllib.request.urlopen(urllib.request.Request(
        emu + "/_emu/calendars/%s/events" % cal, body,
        {"Content-Type": "application/json"})).read()
    while True:
        with open(path) as f:
            if tag in f.read():
                break
        if time.monotonic() - t0 > 30:
            sys.exit("bench: change %d never reached the mirror" % i)
        time.sleep(0.002)
    lat.append((time.monotonic() - t0) * 1000)
lat.sort()
def pct(p):
    # nearest rank
    return lat[max(0, math.ceil(p / 100.0 * len(lat)) - 1)]
print("%-58s %10.0f" % ("  change to mirror, median of 100 (ms)", pct(50)))
print("%-58s %10.0f" % ("  change to mirror, 99th percentile (ms)", pct(99)))
print("%-58s %10.0f" % ("  change to mirror, worst (ms)", lat[-1]))
PY
