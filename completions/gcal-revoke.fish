# fish completion for gcal-revoke(1)

complete -c gcal-revoke -f
complete -c gcal-revoke -s p -l profile -x -a '(__gcal_profiles)' -d 'The link to revoke'
complete -c gcal-revoke -l keep-state -d 'Keep the sync state of the profile'
complete -c gcal-revoke -s v -l verbose -d 'Trace each HTTP exchange on stderr'
complete -c gcal-revoke -s q -l quiet -d 'No warnings'
complete -c gcal-revoke -s h -l help -d 'Show the help'
complete -c gcal-revoke -l version -d 'Show the version'
