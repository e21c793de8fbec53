# fish completion for gcal-diff(1)

complete -c gcal-diff -s k -l key -x -d 'A jq expression: the local key of a record'
complete -c gcal-diff -l owner -x -d 'The owner mark of this link'\''s events'
complete -c gcal-diff -l all -d 'Also update and delete events the link does not own'
complete -c gcal-diff -l base -r -F -d 'Three-way: the set after the last sync'
complete -c gcal-diff -l prefer -x -a 'local remote newest' -d 'Settle conflicts'
complete -c gcal-diff -l exit-code -d 'Exit 1 when there are changes'
complete -c gcal-diff -s v -l verbose -d 'A summary and the events left alone'
complete -c gcal-diff -s q -l quiet -d 'No warnings'
complete -c gcal-diff -s h -l help -d 'Show the help'
complete -c gcal-diff -l version -d 'Show the version'
