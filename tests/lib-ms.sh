# lib-ms.sh: Microsoft profiles for the tests, made by hand in the agreed
# format (until gcal-auth login --provider microsoft makes them), with a
# token from the Graph emulator. Source after lib.sh:
#
#   . "$TOP/tests/lib-ms.sh"
#   graph_start
#   ms_link PROFILE [USER] [CALENDAR-NAME]   (default alice@contoso.com, the
#                                             default calendar)
#   ms_cal USER [NAME]                       the id of a calendar of USER
#   ms_events PROFILE                        the emulator's events of the link
GRAPH_LIB_SRC=$TOP/tests/lib-graph.sh
. "$TOP/tests/lib-graph.sh"

ms_cal() {
	graph_ctl GET /_emu/calendars | jq -r --arg u "$1" --arg n "${2:-}" \
		'.[] | select(.owner == $u and (if $n == "" then .isDefaultCalendar else .name == $n end)) | .id'
}

ms_link() {
	_ms_p=$1 _ms_u=${2:-alice@contoso.com}
	_ms_cal=$(ms_cal "$_ms_u" "${3:-}")
	mkdir -p "$XDG_CONFIG_HOME/gcal/$_ms_p" "$XDG_STATE_HOME/gcal/$_ms_p"
	chmod 700 "$XDG_CONFIG_HOME/gcal" "$XDG_CONFIG_HOME/gcal/$_ms_p" \
		"$XDG_STATE_HOME/gcal" "$XDG_STATE_HOME/gcal/$_ms_p"
	(umask 077
	jq -nc --arg id "$GRAPH_CLIENT_ID" --arg u "$_ms_u" --arg c "$_ms_cal" \
		--arg n "${3:-Calendar}" \
		'{provider:"microsoft",tenant:"common",client_id:$id,account:$u,
		  calendar:$c,calendar_summary:$n,
		  scopes:"Calendars.ReadWrite offline_access User.Read"}' \
		>"$XDG_CONFIG_HOME/gcal/$_ms_p/profile.json"
	graph_token "$_ms_u" | jq -c '{access_token, refresh_token,
		expires_at: (now + .expires_in | floor)}' \
		>"$XDG_STATE_HOME/gcal/$_ms_p/token.json")
}

ms_events() {
	_ms_c=$(jq -r .calendar "$XDG_CONFIG_HOME/gcal/$1/profile.json")
	graph_ctl GET "/_emu/calendars/$_ms_c/events"
}
