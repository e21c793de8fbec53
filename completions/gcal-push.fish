# fish completion for gcal-push(1)

# the operand is a file of change records: files stay on
complete -c gcal-push -s p -l profile -x -a '(__gcal_profiles)' -d 'The link to write with'
complete -c gcal-push -s c -l calendar -x -a '(__gcal_calendars)' -d 'The calendar of records without one'
complete -c gcal-push -l dry-run -d 'Print the requests that would be made, make none'
complete -c gcal-push -l allow-primary -d 'Allow writing to the primary calendar'
complete -c gcal-push -l send-updates -x -a 'all externalOnly none' -d 'Whom Google notifies'
complete -c gcal-push -l batch -x -d 'Calls per batch request (1 to 1000)'
complete -c gcal-push -l rate -x -d 'At most N calls a minute'
complete -c gcal-push -s v -l verbose -d 'Trace each HTTP exchange on stderr'
complete -c gcal-push -s q -l quiet -d 'No warnings'
complete -c gcal-push -s h -l help -d 'Show the help'
complete -c gcal-push -l version -d 'Show the version'
