# fish completion for gcal-pull(1)

complete -c gcal-pull -f
complete -c gcal-pull -s p -l profile -x -a '(__gcal_profiles)' -d 'The link to pull'
complete -c gcal-pull -s c -l calendar -x -a '(__gcal_calendars)' -d 'A calendar id (repeatable)'
complete -c gcal-pull -l full -d 'Pull everything again'
complete -c gcal-pull -l changes -d 'Print only what changed since the last pull'
complete -c gcal-pull -l expand -d 'Recurring events as single instances'
complete -c gcal-pull -l from -x -d 'Print only events ending after TIME'
complete -c gcal-pull -l to -x -d 'Print only events starting before TIME'
complete -c gcal-pull -l filter -x -d 'A jq program applied to each event'
complete -c gcal-pull -s v -l verbose -d 'Trace each HTTP exchange on stderr'
complete -c gcal-pull -s q -l quiet -d 'No warnings'
complete -c gcal-pull -s h -l help -d 'Show the help'
complete -c gcal-pull -l version -d 'Show the version'
