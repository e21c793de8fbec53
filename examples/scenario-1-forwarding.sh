#!/bin/sh
# Scenario 1: calendar-driven call forwarding (gcal(7), README).
# One profile is one customer's link; it belongs to one extension.
#
#   scenario-1-forwarding.sh link [-a account] [-s client_secret.json] PROFILE
#       link a Google account (a browser opens, or the address is printed)
#       and list its calendars: id, a tab, the title
#   scenario-1-forwarding.sh use PROFILE CALENDAR_ID
#       choose the calendar whose events forward the extension
#   scenario-1-forwarding.sh relink [-a account] PROFILE
#       "wrong account linked": revoke the grant at Google, link again
#   scenario-1-forwarding.sh run PROFILE EXT
#       the cron job, every minute:
#         * * * * *  scenario-1-forwarding.sh run shop 333
#   scenario-1-forwarding.sh explain PROFILE EXT
#       why each event is or is not a forward, and what would be applied
#
# The forward goes to Kamailio's JSON-RPC interface (examples/kamailio/)
# by default; FORWARD_POST=URL sends it elsewhere, FORWARD_EXEC='cmd args'
# runs a command of one's own instead (forward-apply(1) --exec).
# FORWARD_OPTS adds options of forward-apply, such as
# '--time-zone Europe/Amsterdam --country-code 31'; FORWARD_AT=TIME applies
# the calendar as it is at another time (RFC 3339), to check by hand.
#
# A failed pull must never clear a forward: the events go to a file first,
# and forward-apply runs only when the pull succeeded. forward-apply keeps
# the applied set in the profile's state and calls the backend only when
# it changes, so running every minute applies each change once.
set -u
me=${0##*/}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
usage() {
	sed -n '5,17s/^#   //p' "$0" >&2
	exit 64
}

link_opts() { # -a account -s secret: into $login_args, $OPTIND
	login_args=
	OPTIND=1
	while getopts a:s: o; do
		case $o in
		a) login_args="$login_args --account $OPTARG" ;;
		s) login_args="$login_args --client-secret $OPTARG" ;;
		*) usage ;;
		esac
	done
}

calendars() {
	gcal-auth calendars -q -p "$1" >"$work/cals" || return
	jq -r '[.id, .summary + (if .primary then " (primary)" else "" end)] | @tsv' "$work/cals"
}

apply() { # PROFILE EXT [forward-apply options]: pull, then apply
	profile=$1 ext=$2
	shift 2
	at=${FORWARD_AT:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
	from=$(date -u -d "$at -1 day" +%Y-%m-%dT%H:%M:%SZ) &&
		to=$(date -u -d "$at +1 day" +%Y-%m-%dT%H:%M:%SZ) || exit 64
	status=0
	gcal-pull -q -p "$profile" --expand --from "$from" --to "$to" >"$work/events" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "$me: profile '$profile': gcal-pull failed ($status), forward of $ext left as it is" >&2
		[ "$status" -eq 77 ] && echo "$me: profile '$profile': the link is gone, link again" >&2
		exit "$status"
	fi
	if [ -n "${FORWARD_EXEC:-}" ]; then
		set -- "$@" --exec "$FORWARD_EXEC"
	else
		set -- "$@" --post "${FORWARD_POST:-http://127.0.0.1:5080/RPC}" \
			--body-file "$here/kamailio/body.jq"
	fi
	# FORWARD_OPTS is split into words on purpose
	# shellcheck disable=SC2086
	forward-apply -p "$profile" -e "$ext" ${FORWARD_AT:+--at "$FORWARD_AT"} \
		${FORWARD_OPTS:-} "$@" <"$work/events"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/gcal-fwd.XXXXXX") || exit 75
trap 'rm -rf "$work"' EXIT

case $cmd in
link)
	link_opts "$@"
	shift $((OPTIND - 1))
	[ $# -eq 1 ] || usage
	# shellcheck disable=SC2086
	gcal-auth login -q -p "$1" $login_args >/dev/null || exit
	calendars "$1"
	;;
use)
	[ $# -eq 2 ] && [ -n "$2" ] || usage
	# to a file, not a pipe: the status is gcal-auth's
	gcal-auth use -q -p "$1" "$2" >"$work/cal" || exit
	jq -r '"calendar: " + .summary' "$work/cal"
	;;
relink)
	link_opts "$@"
	shift $((OPTIND - 1))
	[ $# -eq 1 ] || usage
	gcal-revoke -q -p "$1" >/dev/null || exit
	# shellcheck disable=SC2086
	gcal-auth login -q -p "$1" $login_args >/dev/null || exit
	echo "$me: profile '$1' linked again; choose its calendar:" >&2
	calendars "$1"
	;;
run)
	[ $# -eq 2 ] && [ -n "$2" ] || usage
	apply "$1" "$2"
	;;
explain)
	[ $# -eq 2 ] && [ -n "$2" ] || usage
	apply "$1" "$2" --explain --dry-run
	;;
*)
	usage
	;;
esac
