# fish completion for gcal-pull(1)

function __gcal_pull_profiles
    set -l dir $XDG_CONFIG_HOME
    # like gcal: a relative XDG_CONFIG_HOME is ignored
    string match -q '/*' -- "$dir"; or set dir $HOME/.config
    for f in $dir/gcal/*/profile.json
        test -f $f; and basename (dirname $f)
    end
end

# the calendars pulled before: the mirrors' directory names, decoded
function __gcal_pull_calendars
    set -l dir $XDG_STATE_HOME
    string match -q '/*' -- "$dir"; or set dir $HOME/.local/state
    for f in $dir/gcal/*/sync/*/state.json
        test -f $f; or continue
        basename (dirname $f) | string replace -r '\+expand$' '' | string unescape --style=url
    end | sort -u
end

complete -c gcal-pull -f
complete -c gcal-pull -s p -l profile -x -a '(__gcal_pull_profiles)' -d 'The link to pull'
complete -c gcal-pull -s c -l calendar -x -a '(__gcal_pull_calendars)' -d 'A calendar id (repeatable)'
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
