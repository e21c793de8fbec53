# the gcal profiles: the directories of the config home with a profile.json
# (for the completions of gcal-auth, gcal-revoke, gcal-pull, gcal-push and
# forward-apply; fish autoloads it from vendor_functions.d)
function __gcal_profiles
    set -l dir $XDG_CONFIG_HOME
    # like gcal: a relative XDG_CONFIG_HOME is ignored
    string match -q '/*' -- "$dir"; or set dir $HOME/.config
    for f in $dir/gcal/*/profile.json
        test -f $f; and basename (dirname $f)
    end
end
