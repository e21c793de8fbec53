#!/bin/sh
# Scenario 3: two-way sync of an online booking system (gcal(7)).
#
#   scenario-3-booking.sh link [-a account] [-s secret] [-c calendar | -n name] PROFILE DIR
#       link a Google account, choose its calendar (-c an existing one,
#       else a new secondary one called -n, default "Bookings"), and make
#       the first sync: every Google event is imported and every
#       appointment that existed before the link is pushed to Google
#   scenario-3-booking.sh push PROFILE DIR
#       "push now": send the booking system's changes to Google at once
#       (no pull: one batch request); run it after every booking
#   scenario-3-booking.sh sync PROFILE DIR
#       the full two-way run (gcal-sync(1)), from cron:
#         */5 * * * *  scenario-3-booking.sh sync shop /var/lib/booking/shop
#   scenario-3-booking.sh relink [-a account] [-s secret] [-c calendar | -n name] PROFILE DIR
#       link another account: gcal-revoke, then as link, afresh
#
# DIR/local.ndjson is the booking system's side, one appointment a line,
# shaped as an event, with its "appointment_id" (any JSON value: 4 and
# "4" are two appointments); DIR/state is gcal-sync's (the base: what
# both sides agreed on). The importer is this script's "import" mode,
# which gcal-sync runs with the changes for the booking system. Each
# mode prints one line:
#   {"appointments":N,"events":M,"mode":"sync","profile":"shop",
#    "to_booking":{"insert":1},"to_google":{"update":2}}
# (records in the booking system, events in Google that take part in the
# sync, and the changes made on each side, by kind); conflicts and
# failures are on standard error, and in the exit status (1). Runs of
# one DIR take turns under DIR/lock (flock(1)). A line of DIR/local.ndjson
# that is not such a record (not JSON, no key, no start or end) stops the
# run before anything is written: one line naming it, and exit status 65.
set -u
me=${0##*/}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
usage() {
	sed -n '4,19s/^#   //p' "$0" >&2
	exit 64
}
fail() { # STATUS MESSAGE
	echo "$me: $2" >&2
	[ "$1" -eq 77 ] && echo "$me: profile '$profile': the grant is gone: link again" >&2
	exit "$1"
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
login_args= cal= name=Bookings
case $mode in
link | relink)
	while getopts a:s:c:n: o; do
		case $o in
		a) login_args="$login_args --account $OPTARG" ;;
		s) login_args="$login_args --client-secret $OPTARG" ;;
		c) cal=$OPTARG ;;
		n) name=$OPTARG ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	;;
push | sync) ;;
import)
	# the booking system's importer: change records on stdin, applied
	# to DIR/local.ndjson, replaced atomically (run by gcal-sync, under
	# the lock of the run that started it)
	[ $# -eq 1 ] || usage
	local=$1/local.ndjson
	[ -f "$local" ] || : >"$local"
	jq -nc --slurpfile local "$local" '
		def same($c): (.id != null and .id == $c.id) or
			($c.key != null and .appointment_id == $c.key);
		def keep: if has("appointment_id") then {appointment_id} else {} end;
		reduce inputs as $c ($local;
			if $c.op == "insert" then map(select(same($c) | not)) +
				[$c.event + (if $c.key != null then {appointment_id: $c.key} else {} end)]
			elif $c.op == "update" then map(if same($c) then $c.event + keep else . end)
			elif $c.op == "delete" then map(select(same($c) | not))
			else . end) | .[]' >"$local.new" && mv "$local.new" "$local" || exit 70
	exit 0
	;;
*) usage ;;
esac
[ $# -eq 2 ] || usage
profile=$1 dir=$2
state=$dir/state local=$dir/local.ndjson
mkdir -p "$dir" || exit 73
[ -f "$local" ] || : >"$local"
exec 9>"$dir/lock"
flock -w 60 9 || fail 75 "'$dir' is busy (another run holds $dir/lock)"
work=$(mktemp -d "${TMPDIR:-/tmp}/booking.XXXXXX") || exit 75
trap 'rm -rf "$work"' EXIT
check "$local" "'$local'" "$appointment" \
	'an appointment needs a non-empty "appointment_id" (or Google'"'"'s "id"), a "start" and an "end"'
: >"$work/records"

# summary: what changed on each side, from gcal-sync's records
summary() {
	b=$state/base.ndjson
	[ -f "$b" ] || b=/dev/null
	jq -ncS --arg p "$profile" --arg m "$mode" --slurpfile l "$local" \
		--slurpfile b "$b" --slurpfile r "$work/records" '
		def count: group_by(.op) | map({(.[0].op): length}) | add // {};
		{profile: $p, mode: $m, appointments: ($l | length), events: ($b | length),
		 to_booking: ([$r[] | select(.target == "local" and .status == "ok")] | count),
		 to_google: ([$r[] | select(.target == "remote" and .status == "ok")] | count)}' ||
		exit 70
}

# one run of gcal-sync; ARGS: more of its options
sync() {
	status=0
	gcal-sync -q -p "$profile" --local "$local" --key .appointment_id \
		--state "$state" --apply-cmd "sh '$here/$me' import '$dir'" "$@" \
		>"$work/records" || status=$?
	case $status in
	0) ;;
	1) jq -r 'select(.op == "conflict" or .status == "failed" or .status == "conflict")
		| "\(.key // .id | tojson): \(.reason // .status)"' "$work/records" >"$work/unsynced" ||
		exit 70
		sed "s/^/$me: not synced yet, tried again next run: /" "$work/unsynced" >&2 ;;
	3) fail 3 "profile '$profile': stopped before deleting that much; nothing was written" ;;
	65) fail 65 "profile '$profile': the booking system's records need mending; nothing was written" ;;
	*) fail "$status" "profile '$profile': the sync failed ($status); nothing is lost, run again" ;;
	esac
}

link() {
	# shellcheck disable=SC2086
	gcal-auth login -q -p "$profile" $login_args >/dev/null || fail $? "login failed"
	if [ -n "$cal" ]; then
		gcal-auth use -q -p "$profile" "$cal" >/dev/null || fail $? "no calendar '$cal'"
	else
		gcal-auth use -q -p "$profile" --create "$name" >/dev/null || fail $? "cannot create '$name'"
	fi
	# A new link starts afresh: the base of another calendar means nothing
	# to this one (with it, its events would read as deleted in Google).
	# Records imported from the old calendar go with it; the booking
	# system's own appointments are pushed to the new one.
	jq -c 'select(.appointment_id != null)' "$local" >"$work/local.new" &&
		mv "$work/local.new" "$local" || exit 70
	rm -rf "$state" || exit 73
	sync
}

# push now: the booking system's changes against the base, which holds
# Google's versions (with their etags) as of the last run. A change made
# in Google since is a 412 conflict, left for the next full sync.
push() {
	sync --push-only
}

case $mode in
link) link ;;
relink)
	gcal-revoke -q -p "$profile" >/dev/null || fail $? "gcal-revoke failed"
	link
	;;
push) push ;;
sync) sync ;;
esac
summary
exit "${status:-0}"
