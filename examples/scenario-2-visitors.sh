#!/bin/sh
# Scenario 2: visitor invitations from calendar events (gcal(7)).
#
#   scenario-2-visitors.sh PROFILE DIR
#
# run from cron, every few minutes, for one link:
#   */2 * * * *  scenario-2-visitors.sh office /var/lib/visitors/office >>/var/spool/visitors/office.ndjson
#
# DIR/visitors.json holds the link's settings, for example
#   {"invite": "visit@visitors.example", "default_site": "ANHQ",
#    "sites": ["ANHQ", "ANBR"], "calendars": ["primary", "c_1f...@group.calendar.google.com"]}
# An event is a visit when the invite address is among its guests. Its
# location gives the site: a location that is one word of 2 to 10 letters
# and digits is a site code ("ANBR"); no location, or an address, is the
# default site. A code that is not in "sites" is not a visit: the
# organiser gets a notice naming the valid codes (once per code), and the
# visit counts once the code is fixed.
#
# Standard output gets one record per notification, each once:
#   {"change":"created","guests":[...],"site":"ANHQ","start":...,"type":"visit",...}
#   {"change":"moved","previous":{"calendar":...,"end":...,"site":...,"start":...},...}
#   {"change":"cancelled",...}
#   {"code":"XXHQ","message":"Unknown location code XXHQ ...","to":...,"type":"notice","valid":[...],...}
# "moved" is a new time or site; "cancelled" is a deleted or declined-by-
# the-product event (the invite address taken off). An event moved to
# another linked calendar (events.move keeps its id) is the same visit:
# "moved" if its time or site changed too, else nothing. A rerun with nothing
# changed prints nothing. DIR/known.ndjson is what was notified, replaced
# only after the records are printed: a run killed in between prints them
# again, with the same notification_id, for the product to drop.
#
# A visitors.json that is not JSON or lacks a setting exits 78 (it is
# configuration), a damaged known.ndjson 65; each names the file, in one
# line, before anything is printed.
#
# The rules (the mark, the code rule, the notice) are the jq program
# examples/scenario-2-visitors.jq; VISITOR_RULES=FILE replaces it.
set -u
me=${0##*/}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
rules=${VISITOR_RULES:-$here/scenario-2-visitors.jq}
[ $# -eq 2 ] || { echo "usage: $me PROFILE DIR" >&2; exit 64; }
profile=$1 dir=$2
known=$dir/known.ndjson
# check FILE NAME COND WHY: each line of FILE (blank ones aside) is a JSON
# object for which the jq expression COND holds; else one line naming NAME
# and the line, and exit status 65 (66 when FILE cannot be read)
check() {
	_bad=$(jq -nRr --arg why "$4" '[foreach inputs as $l (0; . + 1; . as $n
		| select($l | test("\\S"))
		| ($l | try fromjson catch null) as $r
		| if ($r | type) != "object" then "line \($n): expected a JSON object"
		  elif ($r | '"$3"') | not then "line \($n): \($why)" else empty end)][0] // empty' "$1") || exit 66
	[ -z "$_bad" ] || { echo "$me: $2 $_bad" >&2; exit 65; }
}
[ -f "$dir/visitors.json" ] || { echo "$me: no '$dir/visitors.json'" >&2; exit 78; }
# the settings are configuration (78); what the script keeps is data (65)
jq -e 'type == "object"' "$dir/visitors.json" >/dev/null 2>&1 ||
	{ echo "$me: '$dir/visitors.json': not a JSON object" >&2; exit 78; }
jq -e 'def strs: type == "array" and length > 0 and all(.[]; type == "string" and . != "");
	(.invite | type == "string" and . != "") and (.default_site | type == "string" and . != "")
	and (.sites | strs) and (.calendars | strs)' "$dir/visitors.json" >/dev/null 2>&1 ||
	{ echo "$me: '$dir/visitors.json': needs \"invite\" and \"default_site\" (strings), \"sites\" and \"calendars\" (lists of strings)" >&2; exit 78; }
[ -f "$known" ] || : >"$known"
check "$known" "'$known'" '(.key | type) == "string" and .key != ""' 'a record needs a non-empty string "key"'
work=$(mktemp -d "${TMPDIR:-/tmp}/visitors.XXXXXX") || exit 75
trap 'rm -rf "$work"' EXIT

# every calendar of the link in one pull; each line names its calendar
set --
for c in $(jq -r '.calendars[]' "$dir/visitors.json"); do
	set -- "$@" -c "$c"
done
status=0
gcal-pull -q -p "$profile" --expand "$@" >"$work/events" || status=$?
if [ "$status" -ne 0 ]; then
	# a calendar that failed would read as all its visits cancelled
	echo "$me: profile '$profile': gcal-pull failed ($status); nothing notified" >&2
	[ "$status" -eq 77 ] && echo "$me: profile '$profile': the link is gone, link again" >&2
	exit "$status"
fi

jq -nc --argjson link "$(cat "$dir/visitors.json")" --slurpfile events "$work/events" \
	--slurpfile known "$known" -f "$rules" >"$work/out" || exit 65
jq -cS '.notify[]' "$work/out" >"$work/notify" && jq -cS '.known[]' "$work/out" >"$work/known" || exit 65
cat "$work/notify" || exit 74
mv "$work/known" "$known.new" && mv "$known.new" "$known" || exit 73
