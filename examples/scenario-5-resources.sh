#!/bin/sh
# Scenario 5: scheduler resources synced to secondary calendars (gcal(7)).
# One profile and one DIR per resource (a person, a room).
#
#   scenario-5-resources.sh link [-a account] [-s secret] [-c calendar | -n name] PROFILE
#       link a Google account and choose the resource's calendar: an
#       existing one (-c) or a new secondary one (-n, default PROFILE)
#   scenario-5-resources.sh clear [-y] PROFILE DIR
#       "empty the calendar first": list what would be deleted (the
#       events the link owns; the user's own stay); with -y, delete them.
#       What Google had is kept in DIR/cleared.ndjson
#   scenario-5-resources.sh restore PROFILE DIR
#       undo a clear: put back the events of DIR/cleared.ndjson
#   scenario-5-resources.sh sync PROFILE DIR
#       the two-way sync (gcal-sync(1)), from cron:
#         */5 * * * *  for r in room1 anna; do scenario-5-resources.sh sync $r /var/lib/sched/$r; done
#   scenario-5-resources.sh revoke PROFILE
#       withdraw consent: revoke the grant at Google, forget the tokens
#
# DIR/local.ndjson is the scheduler's side of the resource, one shift or
# booking a line, shaped as an event, with its "appointment_id", kept by
# scenario-3-booking.sh's importer; DIR/state is gcal-sync's. A run that
# would delete more than half of the resource's events stops before any
# write (exit status 3). A primary calendar is never written: gcal-push refuses
# it (exit status 64, before any request), so a resource linked to one
# fails to sync and says so. A revoked link exits 77 and says so. A line
# of DIR/local.ndjson or DIR/cleared.ndjson that is not such a record
# stops the run before anything is written: one line naming it, and 65.
set -u
me=${0##*/}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
usage() {
	sed -n '5,20s/^#   //p' "$0" >&2
	exit 64
}
fail() { # STATUS MESSAGE
	echo "$me: $2" >&2
	exit "$1"
}
why() { # STATUS: what a human should know
	case $1 in
	64) echo "refused (a primary calendar is never written; link a secondary one)" ;;
	75) echo "temporary failure, the next run tries again" ;;
	77) echo "consent withdrawn or expired: link again" ;;
	78) echo "not configured: link first" ;;
	*) echo "exit status $1" ;;
	esac
}

show() { # RESULTS: status, id and title of each, the title from $work/remote
	jq -r --slurpfile r "$work/remote" '
		(reduce $r[] as $e ({}; .[$e.id] = ($e.summary // ""))) as $t
		| "\(.status)\t\(.id)\t\($t[.id] // "")"' "$1"
}

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
# an appointment: its key (or Google's id for one imported), a start and
# an end; a record of a deleted event needs only its id
appointment='(.appointment_id != null and .appointment_id != "")
	or ((.id | type) == "string" and .id != "")
	| . and ($r.status == "cancelled" or (($r.start | type) == "object" and ($r.end | type) == "object"))'

[ $# -ge 1 ] || usage
mode=$1
shift
login_args= cal= name= yes=
OPTIND=1
while getopts a:s:c:n:y o; do
	case $mode$o in
	linka) login_args="$login_args --account $OPTARG" ;;
	links) login_args="$login_args --client-secret $OPTARG" ;;
	linkc) cal=$OPTARG ;;
	linkn) name=$OPTARG ;;
	cleary) yes=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
work=$(mktemp -d "${TMPDIR:-/tmp}/resource.XXXXXX") || exit 75
trap 'rm -rf "$work"' EXIT

case $mode in
link)
	[ $# -eq 1 ] || usage
	profile=$1
	# shellcheck disable=SC2086
	gcal-auth login -q -p "$profile" $login_args >/dev/null || fail $? "login: $(why $?)"
	if [ -n "$cal" ]; then
		gcal-auth use -p "$profile" "$cal" >"$work/cal" || fail $? "no calendar '$cal'"
	else
		gcal-auth use -q -p "$profile" --create "${name:-$profile}" >"$work/cal" ||
			fail $? "cannot create a calendar"
	fi
	jq -r '"\(.id)\t\(.summary)"' "$work/cal"
	;;
clear)
	[ $# -eq 2 ] || usage
	profile=$1 dir=$2
	mkdir -p "$dir" || exit 73
	gcal-pull -q -p "$profile" >"$work/remote" || fail $? "profile '$profile': $(why $?)"
	gcal-diff -q "$work/remote" /dev/null >"$work/changes" || fail $? "gcal-diff failed"
	if [ -z "$yes" ]; then
		gcal-push -q -p "$profile" --dry-run <"$work/changes" >"$work/results" ||
			fail $? "profile '$profile': $(why $?)"
		show "$work/results"
		# no pipe: a failing wc would be hidden; $((...)) drops the
		# blanks some wc print before the count
		n=$(wc -l <"$work/results") || exit 74
		n=$((n + 0))
		[ "$n" = 1 ] && what=event || what=events
		echo "$me: $n $what to delete; run again with -y to delete them" >&2
		exit 0
	fi
	cp "$work/remote" "$dir/cleared.ndjson.new" && mv "$dir/cleared.ndjson.new" "$dir/cleared.ndjson" || exit 73
	status=0
	gcal-push -q -p "$profile" <"$work/changes" >"$work/results" || status=$?
	show "$work/results"
	[ "$status" -eq 0 ] || fail "$status" "profile '$profile': $(why "$status")"
	;;
restore)
	[ $# -eq 2 ] || usage
	profile=$1 dir=$2
	[ -f "$dir/cleared.ndjson" ] || fail 66 "nothing to restore in '$dir'"
	check "$dir/cleared.ndjson" "'$dir/cleared.ndjson'" '(.id | type) == "string" and .id != ""' \
		'an event needs a non-empty string "id"'
	gcal-pull -q -p "$profile" >"$work/remote" || fail $? "profile '$profile': $(why $?)"
	# only the inserts: events made since the clear stay as they are
	gcal-diff -q "$work/remote" "$dir/cleared.ndjson" >"$work/changes" || fail $? "gcal-diff failed"
	jq -c 'select(.op == "insert")' "$work/changes" >"$work/inserts"
	status=0
	gcal-push -q -p "$profile" <"$work/inserts" >"$work/results" || status=$?
	jq -r '"\(.status)\t\(.id)\t\(.event.summary // "")"' "$work/results"
	[ "$status" -eq 0 ] || fail "$status" "profile '$profile': $(why "$status")"
	;;
sync)
	[ $# -eq 2 ] || usage
	mkdir -p "$2" || exit 73
	[ -f "$2/local.ndjson" ] || : >"$2/local.ndjson"
	[ ! -f "$2/local.ndjson" ] || check "$2/local.ndjson" "'$2/local.ndjson'" "$appointment" \
		'a shift or booking needs a non-empty "appointment_id" (or Google'"'"'s "id"), a "start" and an "end"'
	status=0
	gcal-sync -q -p "$1" --local "$2/local.ndjson" --key .appointment_id \
		--state "$2/state" --apply-cmd "sh '$here/scenario-3-booking.sh' import '$2'" \
		>"$work/records" || status=$?
	case $status in
	0) ;;
	1) echo "$me: resource '$1': some changes failed or conflicted; the next run tries again" >&2 ;;
	3) echo "$me: resource '$1': stopped before deleting that much; nothing was written" >&2 ;;
	*) fail "$status" "resource '$1': $(why "$status")" ;;
	esac
	exit "$status"
	;;
revoke)
	[ $# -eq 1 ] || usage
	gcal-revoke -q -p "$1" >/dev/null || fail $? "profile '$1': $(why $?)"
	echo "$me: resource '$1': consent withdrawn" >&2
	;;
*)
	usage
	;;
esac
