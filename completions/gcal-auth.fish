# fish completion for gcal-auth(1)

set -l subs login service-account token status calendars use list

complete -c gcal-auth -f
complete -c gcal-auth -n "not __fish_seen_subcommand_from $subs" -a login -d 'Link a Google account (loopback and PKCE)'
complete -c gcal-auth -n "not __fish_seen_subcommand_from $subs" -a service-account -d 'Link a service account'
complete -c gcal-auth -n "not __fish_seen_subcommand_from $subs" -a token -d 'Print a valid access token'
complete -c gcal-auth -n "not __fish_seen_subcommand_from $subs" -a status -d 'Print the link as JSON'
complete -c gcal-auth -n "not __fish_seen_subcommand_from $subs" -a calendars -d 'Print the calendar list'
complete -c gcal-auth -n "not __fish_seen_subcommand_from $subs" -a use -d 'Choose or create the calendar'
complete -c gcal-auth -n "not __fish_seen_subcommand_from $subs" -a list -d 'Print every profile'

# every subcommand
complete -c gcal-auth -s p -l profile -x -a '(__gcal_profiles)' -d 'The link to act on'
complete -c gcal-auth -s v -l verbose -d 'Trace each HTTP exchange on stderr'
complete -c gcal-auth -s q -l quiet -d 'No warnings'
complete -c gcal-auth -s h -l help -d 'Show the help'
complete -c gcal-auth -l version -d 'Show the version'

# login, service-account
complete -c gcal-auth -n '__fish_seen_subcommand_from login service-account' -s s -l scope -x -a 'calendar calendar.readonly calendar.events calendar.events.readonly calendar.app.created' -d 'A scope to ask for'
# login
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l provider -x -a 'google microsoft' -d 'google (the default) or microsoft'
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l client-secret -r -F -d 'OAuth client JSON of a Desktop app'
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l client-id -x -d 'Microsoft: Application (client) ID'
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l tenant -x -a 'common organizations consumers' -d 'Microsoft: who may sign in'
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l device -d 'Microsoft: sign in with a code on another device'
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l no-browser -d 'Print the consent address'
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l account -x -d 'Suggest this account, link only it'
complete -c gcal-auth -n '__fish_seen_subcommand_from login' -l timeout -x -d 'Seconds to wait for consent'
# service-account
complete -c gcal-auth -n '__fish_seen_subcommand_from service-account' -l key -r -F -d 'Service account JSON key file'
complete -c gcal-auth -n '__fish_seen_subcommand_from service-account' -l subject -x -d 'Workspace user to act as'
# token
complete -c gcal-auth -n '__fish_seen_subcommand_from token' -l refresh -d 'Get a new access token'
# status
complete -c gcal-auth -n '__fish_seen_subcommand_from status' -l check -d 'Prove the link still works'
# use
complete -c gcal-auth -n '__fish_seen_subcommand_from use' -l create -x -d 'Create a secondary calendar'
complete -c gcal-auth -n '__fish_seen_subcommand_from use' -l time-zone -x -d 'Time zone of a created calendar (IANA)'
