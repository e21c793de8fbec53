# fish completion for gcal-notify(1)

complete -c gcal-notify -f
complete -c gcal-notify -s v -l verbose -d 'No effect'
complete -c gcal-notify -s q -l quiet -d 'No warnings'
complete -c gcal-notify -s h -l help -d 'Show the help'
complete -c gcal-notify -l version -d 'Show the version'
