#!/bin/sh
# Scenario 4: CRM meetings mirrored from Google or Exchange/Office 365
# (gcal(7)), side by side. One profile per CRM user, named as the user.
#
#   scenario-4-crm.sh link [-a account] [-s secret] [-m client-id] USER
#       link the user's Google account (its primary calendar is read),
#       or with -m their Exchange/Office 365 mailbox through Microsoft
#       Graph (its default calendar), as the public client client-id
#   scenario-4-crm.sh sync DIR USER...
#       "sync now", and the cron job:
#         */5 * * * *  scenario-4-crm.sh sync /var/lib/crm alice bob
#       DIR/USER.ndjson: the user's meetings, recurring ones as their
#       instances, each tagged "crm_user"; private ones as busy only.
#       DIR/calendar.ndjson: every user's side by side, by start time
#   scenario-4-crm.sh status [USER...]
#       the sync view of the users (all profiles without USER), one line
#       each: {"account","last_sync","state","user"}, state one of synced,
#       linked, revoked, not configured
#   scenario-4-crm.sh edit [-u all|externalOnly|none] USER
#       save edits made in the CRM: one object a line on standard input,
#       {"id": ..., "summary": ..., ...}, the id of an event or of one
#       instance of a recurring one (MASTER_20261214T080000Z); only that
#       instance changes. -u: whom Google notifies (default none; Exchange
#       tells a meeting's attendees itself)
#       A line that is not such an object (no id, an empty one, nothing
#       to change, not JSON) is refused before anything is written: one
#       line naming it, and exit status 65.
#
# A user whose pull fails keeps the meetings of the previous sync and is
# named on standard error; the others are synced anyway, and the exit
# status is the first failure's. Edits write the user's own calendar,
# which is the primary one: gcal-push is told so (--allow-primary), and
# changes only what the edit names, with If-Match (a meeting changed in
# Google meanwhile is a conflict, not overwritten).
set -u
me=${0##*/}
usage() {
	sed -n '5,30s/^#   //p' "$0" >&2
	exit 64
}
[ $# -ge 1 ] || usage
mode=$1
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/crm.XXXXXX") || exit 75
trap 'rm -rf "$work"' EXIT

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

# the CRM's view of an event: its user, and nothing of a private one
view='. + {crm_user: $u}
	| if .visibility == "private" or .visibility == "confidential"
	  then .summary = "busy" | del(.description, .location, .attendees, .conferenceData, .attachments)
	  else . end'
# the sync state of a profile, as the CRM shows it
state='{user: .profile, account, last_sync,
	state: (if .linked | not then "revoked" elif .last_sync then "synced" else "linked" end)}'

case $mode in
link)
	args=
	OPTIND=1
	while getopts a:s:m: o; do
		case $o in
		a) args="$args --account $OPTARG" ;;
		s) args="$args --client-secret $OPTARG" ;;
		m) args="$args --provider microsoft --client-id $OPTARG" ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 1 ] || usage
	# shellcheck disable=SC2086
	gcal-auth login -q -p "$1" $args >"$work/login" || exit
	jq -cS "$state" "$work/login"
	;;
sync)
	[ $# -ge 2 ] || usage
	dir=$1
	shift
	mkdir -p "$dir" || exit 73
	first=0
	for u; do
		status=0
		gcal-pull -q -p "$u" --expand >"$work/$u.raw" || status=$?
		if [ "$status" -ne 0 ]; then
			echo "$me: user '$u': sync failed ($status), showing the previous one" >&2
			[ "$first" -ne 0 ] || first=$status
			continue
		fi
		jq -c --arg u "$u" "$view" "$work/$u.raw" >"$dir/$u.ndjson.new" &&
			mv "$dir/$u.ndjson.new" "$dir/$u.ndjson" || exit 73
	done
	: >"$work/all"
	for u; do
		[ ! -f "$dir/$u.ndjson" ] || cat "$dir/$u.ndjson" >>"$work/all" || exit 74
	done
	jq -sc '
		# an RFC 3339 time as seconds, whatever its offset (jq 1.6 has no %z)
		def epoch: if length == 10 then . + "T00:00:00Z" else . end
			| if test("Z$") then .[0:19] + "Z" | fromdate
			  else (.[0:19] + "Z" | fromdate) - ((.[19:20] + "1" | tonumber)
				* ((.[20:22] | tonumber) * 3600 + (.[23:25] | tonumber) * 60)) end;
		sort_by((.start.dateTime // .start.date | epoch), .crm_user) | .[]' "$work/all" >"$dir/calendar.ndjson.new" &&
		mv "$dir/calendar.ndjson.new" "$dir/calendar.ndjson" || exit 73
	exit "$first"
	;;
status)
	if [ $# -eq 0 ]; then
		gcal-auth list -q >"$work/all" || exit
		jq -cS "$state" "$work/all"
		exit 0
	fi
	for u; do
		status=0
		gcal-auth status -q -p "$u" >"$work/one" 2>/dev/null || status=$?
		case $status in
		0) jq -cS "$state" "$work/one" ;;
		78) jq -ncS --arg u "$u" '{user: $u, account: null, last_sync: null, state: "not configured"}' ;;
		*) exit "$status" ;;
		esac
	done
	;;
edit)
	send=none
	OPTIND=1
	while getopts u: o; do
		case $o in
		u) case $OPTARG in all | externalOnly | none) send=$OPTARG ;; *) usage ;; esac ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 1 ] || usage
	u=$1
	cat >"$work/edits" || exit 74
	check "$work/edits" "standard input" \
		'(.id | type) == "string" and .id != "" and (keys - ["id"] | length) > 0' \
		'an edit needs a non-empty string "id" and a field to change'
	[ -s "$work/edits" ] || exit 0
	# the events as Google has them now, with their etags
	gcal-pull -q -p "$u" --expand >"$work/old" || exit
	jq -c --slurpfile e "$work/edits" '
		(reduce $e[] as $x ({}; .[$x.id] = $x)) as $by
		| if $by[.id] then . + $by[.id] else . end' "$work/old" >"$work/new" || exit 65
	missing=$(jq -r --slurpfile o "$work/old" '.id as $i | select([$o[].id] | index($i) | not) | .id' "$work/edits")
	[ -z "$missing" ] || { echo "$me: user '$u': no such event: $missing" >&2; exit 65; }
	# --all: the meetings are the user's own, not made by this link
	gcal-diff -q --all "$work/old" "$work/new" >"$work/changes" || exit
	# the calendar gcal-pull read: the chosen one, else the primary one
	gcal-auth status -q -p "$u" >"$work/status" || exit
	cal=$(jq -r '.calendar // "primary"' "$work/status")
	gcal-push -q -p "$u" -c "$cal" --allow-primary --send-updates "$send" <"$work/changes"
	;;
*)
	usage
	;;
esac
