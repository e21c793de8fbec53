# fish completion for gcal-push(1)

function __gcal_push_profiles
    set -l dir $XDG_CONFIG_HOME
    # like gcal: a relative XDG_CONFIG_HOME is ignored
    string match -q '/*' -- "$dir"; or set dir $HOME/.config
    for f in $dir/gcal/*/profile.json
        test -f $f; and basename (dirname $f)
    end
end

# the calendars pulled before: the mirrors' directory names, decoded
function __gcal_push_calendars
    set -l dir $XDG_STATE_HOME
    string match -q '/*' -- "$dir"; or set dir $HOME/.local/state
    for f in $dir/gcal/*/sync/*/state.json
        test -f $f; or continue
        basename (dirname $f) | string replace -r '\+expand$' '' | string unescape --style=url
    end | sort -u
end

# the operand is a file of change records: files stay on
complete -c gcal-push -s p -l profile -x -a '(__gcal_push_profiles)' -d 'The link to write with'
complete -c gcal-push -s c -l calendar -x -a '(__gcal_push_calendars)' -d 'The calendar of records without one'
complete -c gcal-push -l dry-run -d 'Print the requests that would be made, make none'
complete -c gcal-push -l allow-primary -d 'Allow writing to the primary calendar'
complete -c gcal-push -l send-updates -x -a 'all externalOnly none' -d 'Whom Google notifies'
complete -c gcal-push -l batch -x -d 'Calls per batch request (1 to 1000)'
complete -c gcal-push -l rate -x -d 'At most N calls a minute'
complete -c gcal-push -s v -l verbose -d 'Trace each HTTP exchange on stderr'
complete -c gcal-push -s q -l quiet -d 'No warnings'
complete -c gcal-push -s h -l help -d 'Show the help'
complete -c gcal-push -l version -d 'Show the version'
