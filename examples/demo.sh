#!/bin/sh
# The main job, end to end against the local Google emulator: link an
# account with no human (a browser that follows redirects), list its
# calendars, choose one, print a token, check the link, revoke it.
# No Google account and no network needed. Run it with `make demo`.
set -eu
top=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
build=${GCAL_BUILD:-build}
PATH=$top/$build/bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/gcal-demo.XXXXXX")
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state TMPDIR_T=$work
EMU_LIB_SRC=$top/tests/lib-emu.sh
. "$top/tests/lib-emu.sh"
emu_start
trap 'emu_stop; rm -rf "$work"' EXIT

say() { printf '\n== %s\n' "$*"; }

say "gcal-auth login (the emulator plays Google at $GCAL_ENDPOINT)"
BROWSER="curl -sL" gcal-auth login -p demo --client-secret "$top/tests/fixtures/client_secret.json"

say "gcal-auth calendars"
gcal-auth calendars -p demo >"$work/calendars"
jq -c '{id, summary, primary}' "$work/calendars"

say "gcal-auth use --create 'Shop floor'  (a secondary calendar for this link)"
gcal-auth use -p demo --create "Shop floor" | jq -c '{id, summary}'

say "gcal-auth token  (what a script would put in an Authorization header)"
token=$(gcal-auth token -p demo)
printf '%.12s... (%d characters)\n' "$token" "${#token}"
printf 'Google answers %s to a request with it\n' "$(curl -s -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $token" "$GCAL_ENDPOINT/calendar/v3/users/me/calendarList")"

say "gcal-auth status --check"
gcal-auth status -p demo --check

say "gcal-revoke"
gcal-revoke -p demo
status=0
gcal-auth token -p demo >/dev/null 2>&1 || status=$?
printf 'gcal-auth token now exits %s (77: the link is gone)\n' "$status"

say "summary"
printf 'accounts linked: 1, calendars listed: %s, HTTP requests to "Google": %s\n' \
	"$(wc -l <"$work/calendars" | tr -d ' ')" \
	"$(emu_log_count)"
