#!/bin/sh
# The main job, end to end against the local Google emulator, with no
# Google account, no network and no human: scenario 3 (a booking system
# synced both ways with a calendar, examples/scenario-3-booking.sh) and a
# forward of scenario 1 (examples/scenario-1-forwarding.sh), then a
# revoked link. Run it with `make demo`; it exits non-zero when any step
# fails. No pipe has a program whose status matters on its left (set -e
# sees only a pipe's last command): outputs go to files first.
set -eu
top=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
build=${GCAL_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
PATH=$build/bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/gcal-demo.XXXXXX")
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state" TMPDIR_T="$work"
unset GCAL_PROFILE GCAL_RECORD GCAL_REPLAY
EMU_LIB_SRC=$top/tests/lib-emu.sh
. "$top/tests/lib-emu.sh"
emu_start
trap 'emu_stop; rm -rf "$work"' EXIT
export BROWSER="curl -sL" # the user who consents, on the emulator
ex=$top/examples
shop=$work/shop
mkdir -p "$shop"

say() { printf '\n== %s\n' "$*"; }
field() { jq -r "$1" "$work/out"; }
google() { # the live events of the shop's calendar
	emu_ctl GET "/_emu/calendars/$cal/events" >"$work/google"
	jq -r 'select(.status != "cancelled") | "   " + .summary' "$work/google"
}
appt() {
	jq -nc --arg id "$1" --arg s "$2" --arg h "$3" '{appointment_id: $id, summary: $s,
		start: {dateTime: ("2026-12-01T" + $h + ":00:00Z")}, end: {dateTime: ("2026-12-01T" + $h + ":45:00Z")}}'
}

say "Google has alice's calendar 'Team' with 2 events; the booking system has 2 appointments"
emu_ctl GET /_emu/calendars >"$work/cals"
cal=$(jq -r '.[] | select(.summary == "Team") | .id' "$work/cals")
for e in "Dentist:08" "Lunch:12"; do
	emu_ctl POST "/_emu/calendars/$cal/events" "$(jq -nc --arg s "${e%:*}" --arg h "${e#*:}" '{summary: $s,
		start: {dateTime: ("2026-12-02T" + $h + ":00:00+01:00")}, end: {dateTime: ("2026-12-02T" + $h + ":30:00+01:00")}}')" >/dev/null
done
{ appt A1 "Haircut Ann" 09; appt A2 "Colour Bea" 10; } >"$shop/local.ndjson"

say "scenario-3-booking.sh link: log in as alice, choose 'Team', first sync"
sh "$ex/scenario-3-booking.sh" link -s "$top/tests/fixtures/client_secret.json" -c "$cal" shop "$shop" >"$work/out"
pushed=$(field '.to_google | add // 0')
pulled=$(field '.to_booking | add // 0')
printf '   %s appointments pushed to Google, %s Google events imported; Google now has:\n' "$pushed" "$pulled"
google

say "a booking made online goes out at once: scenario-3-booking.sh push"
appt A3 "Beard Cas" 11 >>"$shop/local.ndjson"
before=$(emu_log_count)
sh "$ex/scenario-3-booking.sh" push shop "$shop" >"$work/out"
n=$(field '.to_google | add // 0')
pushed=$((pushed + n))
after=$(emu_log_count)
printf '   %s change pushed with %s request\n' "$n" "$((after - before))"

say "alice moves the dentist in Google; the 5-minute run brings it in: scenario-3-booking.sh sync"
id=$(jq -r 'select(.summary == "Dentist") | .id' "$shop/local.ndjson")
emu_ctl PATCH "/_emu/calendars/$cal/events/$id" '{"summary":"Dentist (moved)","start":{"dateTime":"2026-12-02T09:00:00+01:00"},"end":{"dateTime":"2026-12-02T09:30:00+01:00"}}' >/dev/null
sh "$ex/scenario-3-booking.sh" sync shop "$shop" >"$work/out"
n=$(field '.to_booking | add // 0')
pulled=$((pulled + n))
printf '   %s change imported; the booking system now has:\n' "$n"
jq -r '"   " + .summary' "$shop/local.ndjson"

say "scenario 1: bob's calendar forwards extension 333 (a recording PBX stands in for Kamailio)"
sh "$ex/scenario-1-forwarding.sh" link -a bob@example.com phone >/dev/null
emu_ctl POST /_emu/calendars/bob@example.com/events '{"summary":"06-1234 5678",
	"start":{"dateTime":"2026-12-01T09:00:00+01:00"},"end":{"dateTime":"2026-12-01T17:00:00+01:00"}}' >/dev/null
printf '#!/bin/sh\necho "   the PBX was told: forward $*" >>"%s"\n' "$work/pbx.log" >"$work/pbx"
chmod +x "$work/pbx"
FORWARD_EXEC=$work/pbx FORWARD_AT=2026-12-01T10:00:00+01:00 \
	sh "$ex/scenario-1-forwarding.sh" run phone 333 >"$work/out"
forwards=$(wc -l <"$work/out")
forwards=$((forwards + 0))
jq -r '"   extension \(.extension): \(.from) -> \(.to), \(.result)"' "$work/out"
cat "$work/pbx.log"

say "the profiles, as a CRM would show them (gcal-auth list)"
gcal-auth list >"$work/list"
jq -r '"   \(.profile): \(.account), last sync \(.last_sync)"' "$work/list"

say "gcal-revoke -p phone: the link is gone at Google and here"
gcal-revoke -q -p phone >/dev/null
status=0
gcal-pull -q -p phone >/dev/null 2>&1 || status=$?
printf '   gcal-pull now exits %s (77: link again)\n' "$status"
[ "$status" -eq 77 ]

say "summary"
requests=$(emu_log_count)
printf 'accounts linked: 2, events pulled into the booking system: %s, changes pushed to Google: %s,\n' \
	"$pulled" "$pushed"
printf 'forwards applied: %s, links revoked: 1, HTTP requests to "Google": %s\n' \
	"$forwards" "$requests"
