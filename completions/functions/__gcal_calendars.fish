# the calendars pulled before: the mirrors' directory names, decoded
# (for the completions of gcal-pull and gcal-push; fish autoloads it from
# vendor_functions.d)
function __gcal_calendars
    set -l dir $XDG_STATE_HOME
    string match -q '/*' -- "$dir"; or set dir $HOME/.local/state
    for f in $dir/gcal/*/sync/*/state.json
        test -f $f; or continue
        basename (dirname $f) | string replace -r '\+expand$' '' | string unescape --style=url
    end | sort -u
end
