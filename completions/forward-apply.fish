# fish completion for forward-apply(1)

function __forward_apply_profiles
    set -l dir $XDG_CONFIG_HOME
    # like gcal: a relative XDG_CONFIG_HOME is ignored
    string match -q '/*' -- "$dir"; or set dir $HOME/.config
    for f in $dir/gcal/*/profile.json
        test -f $f; and basename (dirname $f)
    end
end

complete -c forward-apply -f
complete -c forward-apply -s e -l extension -x -d 'The extension whose calls are forwarded'
complete -c forward-apply -s p -l profile -x -a '(__forward_apply_profiles)' -d 'The link the events come from'
complete -c forward-apply -l at -x -d 'The time to apply (RFC 3339 or a date)'
complete -c forward-apply -l state -r -F -d 'The state file'
complete -c forward-apply -l exec -x -a '(__fish_complete_command)' -d 'Apply by running a command, no shell'
complete -c forward-apply -l post -x -d 'Apply by an HTTP POST to URL'
complete -c forward-apply -l body -x -d 'jq program making the POST body'
complete -c forward-apply -l body-file -r -F -d 'File with the --body program'
complete -c forward-apply -s n -l dry-run -d 'Print the transition, apply nothing'
complete -c forward-apply -l explain -d 'Print for each event whether it is a forward'
complete -c forward-apply -l time-zone -x -d 'The calendar time zone for all-day events'
complete -c forward-apply -l internal-lengths -x -d 'Digits of an internal extension (N-M)'
complete -c forward-apply -l country-code -x -d 'Write national numbers as +CC...'
complete -c forward-apply -s v -l verbose -d 'Trace the HTTP exchange of --post'
complete -c forward-apply -s q -l quiet -d 'No warnings'
complete -c forward-apply -s h -l help -d 'Show the help'
complete -c forward-apply -l version -d 'Show the version'
