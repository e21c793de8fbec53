# fish completion for gcal-run(1)

set -l jobs pull sync forward-apply exec status

complete -c gcal-run -f
complete -c gcal-run -n "not __fish_seen_subcommand_from $jobs" -a pull -d 'Pull every link, in this process'
complete -c gcal-run -n "not __fish_seen_subcommand_from $jobs" -a sync -d 'Run gcal-sync for every link'
complete -c gcal-run -n "not __fish_seen_subcommand_from $jobs" -a forward-apply -d 'Run forward-apply for every link'
complete -c gcal-run -n "not __fish_seen_subcommand_from $jobs" -a exec -d 'Run a command for every link'
complete -c gcal-run -n "not __fish_seen_subcommand_from $jobs" -a status -d 'Print the last run of every link'

# every job
complete -c gcal-run -l shard -x -d 'Only the links of shard I of K'
complete -c gcal-run -s v -l verbose -d 'Say which links are skipped and why'
complete -c gcal-run -s q -l quiet -d 'No warnings'
complete -c gcal-run -s h -l help -d 'Show the help'
complete -c gcal-run -l version -d 'Show the version'

# the jobs that run links
complete -c gcal-run -n "not __fish_seen_subcommand_from status" -s j -l jobs -x -d 'Links at a time'
complete -c gcal-run -n "not __fish_seen_subcommand_from status" -l profiles -x -a '(__gcal_profiles)' -d 'Only these profiles (A,B,...)'
complete -c gcal-run -n "not __fish_seen_subcommand_from status" -l filter -x -d 'A jq program over gcal-auth list'
complete -c gcal-run -n "not __fish_seen_subcommand_from status" -l every -x -d 'Only links whose last run is older'
complete -c gcal-run -n "not __fish_seen_subcommand_from status" -l jitter -x -d 'Spread --every by up to PCT% a link'
# status
complete -c gcal-run -n "not __fish_seen_subcommand_from pull sync forward-apply exec" -l prometheus -d 'Prometheus text format'
