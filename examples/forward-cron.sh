#!/bin/sh
# Scenario 1: calendar-driven call forwarding for many customers, run by
# cron every minute:
#
#   * * * * *  sh /path/to/forward-cron.sh /etc/gcal/forwards
#
# Each line of the file names a profile (a linked calendar, see
# gcal-auth(1)) and the extension it forwards:
#
#   shop    333
#   office  201
#
# Events are pulled from a day back to a day ahead (all-day events and
# long ones included); forward-apply applies only what changed since its
# last run, and a failed run is retried by the next one. The forwards go
# to Kamailio's JSON-RPC interface (examples/kamailio/kamailio.cfg);
# FORWARD_RPC overrides its URL.
set -u
list=${1:?usage: forward-cron.sh FILE}
rpc=${FORWARD_RPC:-http://127.0.0.1:5080/RPC}
body=$(dirname -- "$0")/kamailio/body.jq
from=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
status=0

while read -r profile ext rest; do
	case $profile in '' | '#'*) continue ;; esac
	# a pipe hides the status of gcal-pull: keep the events in a file
	events=$(mktemp) || exit 75
	if gcal-pull -q -p "$profile" --expand --from "$from" --to "$to" >"$events"; then
		forward-apply -p "$profile" -e "$ext" --post "$rpc" --body-file "$body" \
			<"$events" || status=$?
	else
		# no fresh events: leave the forward as it is
		status=$?
		echo "forward-cron: profile '$profile': gcal-pull failed ($status)" >&2
	fi
	rm -f "$events"
done <"$list"
exit "$status"
