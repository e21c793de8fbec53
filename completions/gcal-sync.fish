# fish completion for gcal-sync(1)

complete -c gcal-sync -f
complete -c gcal-sync -s p -l profile -x -a '(__gcal_profiles)' -d 'The link to sync'
complete -c gcal-sync -l local -r -F -d 'The local side'\''s records'
complete -c gcal-sync -l local-cmd -x -a '(__fish_complete_command)' -d 'A command that prints the local side'\''s records'
complete -c gcal-sync -s k -l key -x -d 'A jq expression: the local key of a record'
complete -c gcal-sync -l state -x -a '(__fish_complete_directories)' -d 'Where the base and journal live'
complete -c gcal-sync -l owner -x -d 'The owner mark of this link'\''s events'
complete -c gcal-sync -l prefer -x -a 'local remote newest' -d 'Settle conflicts'
complete -c gcal-sync -l max-delete -x -d 'Stop before deleting more than N events, or N%'
complete -c gcal-sync -l allow-delete-all -d 'Allow a run to delete every event of the base'
complete -c gcal-sync -l attendees -x -a 'keep omit' -d 'Guest lists: copied or not'
complete -c gcal-sync -l apply-cmd -x -a '(__fish_complete_command)' -d 'A command that applies the local changes'
complete -c gcal-sync -l dry-run -d 'Print what would change on each side, write nothing'
complete -c gcal-sync -s v -l verbose -d 'More detail, passed on to gcal-pull and gcal-push'
complete -c gcal-sync -s q -l quiet -d 'No warnings'
complete -c gcal-sync -s h -l help -d 'Show the help'
complete -c gcal-sync -l version -d 'Show the version'
