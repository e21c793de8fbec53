# fish completion for gcal-watch(1)

set -l subs start renew stop status run

complete -c gcal-watch -f
complete -c gcal-watch -n "not __fish_seen_subcommand_from $subs" -a start -d 'Make a channel for the link'
complete -c gcal-watch -n "not __fish_seen_subcommand_from $subs" -a renew -d 'Keep the channel alive (from cron)'
complete -c gcal-watch -n "not __fish_seen_subcommand_from $subs" -a stop -d 'Stop the channels of the link'
complete -c gcal-watch -n "not __fish_seen_subcommand_from $subs" -a status -d 'Print the channel as JSON'
complete -c gcal-watch -n "not __fish_seen_subcommand_from $subs" -a run -d 'Pull notified links, and all on a safety poll'

# every subcommand
complete -c gcal-watch -s p -l profile -x -a '(__gcal_profiles)' -d 'The link'
complete -c gcal-watch -s v -l verbose -d 'Trace each HTTP exchange on stderr'
complete -c gcal-watch -s q -l quiet -d 'No warnings'
complete -c gcal-watch -s h -l help -d 'Show the help'
complete -c gcal-watch -l version -d 'Show the version'

# start, renew
complete -c gcal-watch -n '__fish_seen_subcommand_from start renew' -s c -l calendar -x -a '(__gcal_calendars)' -d 'The calendar to watch'
complete -c gcal-watch -n '__fish_seen_subcommand_from start renew' -l address -x -d 'HTTPS address of the receiver'
complete -c gcal-watch -n '__fish_seen_subcommand_from start renew' -l ttl -x -d 'Seconds a new channel lives'
# renew
complete -c gcal-watch -n '__fish_seen_subcommand_from renew' -l margin -x -d 'Replace a channel expiring within this'
# run
complete -c gcal-watch -n '__fish_seen_subcommand_from run' -l safety-poll -x -d 'Pull every link at least this often'
complete -c gcal-watch -n '__fish_seen_subcommand_from run' -l min-interval -x -d 'Pull one link at most this often'
