# bash completion for gcal-auth(1), gcal-revoke(1), gcal-pull(1),
# gcal-diff(1), gcal-push(1), forward-apply(1), gcal-watch(1),
# gcal-notify(1), gcal-sync(1) and gcal-run(1).
#
# bash-completion loads completions/<command> on first use: make install
# puts this one file there under each program's name, and loading it under
# any of them registers them all.

# the profiles: the directories of the config home with a profile.json
_gcal_profiles()
{
	local d=${XDG_CONFIG_HOME:-}
	local f
	# like gcal: a relative XDG_CONFIG_HOME is ignored
	[[ $d == /* ]] || d=$HOME/.config
	for f in "$d"/gcal/*/profile.json; do
		[[ -f $f ]] || continue
		f=${f%/profile.json}
		printf '%s\n' "${f##*/}"
	done
}

# _gcal_calendars [PROFILE]: the calendars pulled before (of PROFILE, else
# of every profile): the mirrors' directory names, decoded
_gcal_calendars()
{
	local d=${XDG_STATE_HOME:-} p=${1:-*}
	local f n
	[[ $d == /* ]] || d=$HOME/.local/state
	for f in "$d"/gcal/$p/sync/*/state.json; do
		[[ -f $f ]] || continue
		n=${f%/state.json}
		n=${n##*/}
		n=${n%+expand}
		printf '%b\n' "${n//%/\\x}"
	done | sort -u
}

# Sets the caller's cur (the word completed), prev and opt (the option whose
# argument cur is: the word before, or the word before "=").
_gcal_init()
{
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
	opt=$prev
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		opt=${COMP_WORDS[COMP_CWORD-2]}
	fi
}

# _gcal_options WORDS: offers the options WORDS for a word that starts with -
_gcal_options()
{
	[[ $cur == -* ]] || return
	COMPREPLY=($(compgen -W "$1" -- "$cur"))
}

# Completes the argument of -p, the profiles; fails for any other option.
_gcal_profile_arg()
{
	case $opt in
	-p|--profile) ;;
	*) return 1 ;;
	esac
	COMPREPLY=($(compgen -W "$(_gcal_profiles)" -- "$cur"))
	return 0
}

# Completes the argument of -c, the calendars pulled with the profile given
# so far; fails for any other option.
_gcal_calendar_arg()
{
	local i prof=
	case $opt in
	-c|--calendar) ;;
	*) return 1 ;;
	esac
	for ((i = 1; i < COMP_CWORD - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-p|--profile)
			[[ ${COMP_WORDS[i+1]-} == = ]] && ((i++))
			prof=${COMP_WORDS[i+1]-} ;;
		esac
	done
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$(_gcal_calendars "$prof")" -- "$cur"))
	return 0
}

# Sets the caller's sub: the subcommand, the first word that is neither an
# option nor -p's argument. After it, the options in WORDS take an argument.
# _gcal_subcommand WORDS [SUB]: fails at a "--" after subcommand SUB (the
# words after it are another command's).
_gcal_subcommand()
{
	local i w
	sub=
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -z $sub ]]; then
			case $w in
			-p|--profile)
				[[ ${COMP_WORDS[i+1]-} == = ]] && ((i++))
				((i++)) ;;
			-*) ;;
			*) sub=$w ;;
			esac
		elif [[ $w == -- && $sub == "${2-}" ]]; then
			return 1
		elif [[ " $1 " == *" $w "* ]]; then
			[[ ${COMP_WORDS[i+1]-} == = ]] && ((i++))
			((i++))
		fi
	done
	return 0
}

# _gcal_no_subcommand SUBS GLOBAL: before the subcommand, offers -p and the
# options GLOBAL, or the subcommands SUBS; fails once there is one.
_gcal_no_subcommand()
{
	[[ -z $sub ]] || return 1
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-p --profile $2" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$1" -- "$cur"))
	fi
	return 0
}

_gcal_auth()
{
	local cur prev opt sub opts
	local subs='login service-account token status calendars use list'
	local scopes='calendar calendar.readonly calendar.events calendar.events.readonly calendar.app.created'
	local global='-v --verbose -q --quiet -h --help --version'

	_gcal_init
	_gcal_subcommand '-p --profile -s --scope --client-secret --account --timeout --key --subject --create --time-zone'

	_gcal_profile_arg && return
	case $opt in
	-s|--scope)
		COMPREPLY=($(compgen -W "$scopes" -- "$cur"))
		return ;;
	--client-secret|--key)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--time-zone)
		if [[ -d /usr/share/zoneinfo ]]; then
			COMPREPLY=($(cd /usr/share/zoneinfo 2>/dev/null &&
			    compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
		fi
		return ;;
	--account|--timeout|--subject|--create)
		return ;;
	esac

	_gcal_no_subcommand "$subs" "$global" && return
	[[ $cur == -* ]] || return
	case $sub in
	login) opts='-s --scope --client-secret --no-browser --account --timeout' ;;
	service-account) opts='-s --scope --key --subject' ;;
	token) opts='--refresh' ;;
	status) opts='--check' ;;
	use) opts='--create --time-zone' ;;
	calendars|list) opts= ;;
	*) return ;;
	esac
	COMPREPLY=($(compgen -W "-p --profile $opts $global" -- "$cur"))
}

_gcal_revoke()
{
	local cur prev opt

	_gcal_init
	_gcal_profile_arg && return
	_gcal_options '-p --profile --keep-state -v --verbose -q --quiet -h --help --version'
}

_gcal_pull()
{
	local cur prev opt

	_gcal_init
	_gcal_profile_arg && return
	_gcal_calendar_arg && return
	case $opt in
	--from|--to|--filter)
		return ;;
	esac
	_gcal_options '-p --profile -c --calendar --full --changes --expand --from --to --filter -v --verbose -q --quiet -h --help --version'
}

_gcal_diff()
{
	local cur prev opt

	_gcal_init
	case $opt in
	--base)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--prefer)
		COMPREPLY=($(compgen -W 'local remote newest' -- "$cur"))
		return ;;
	-k|--key|--owner)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '-k --key --owner --all --base --prefer --exit-code -v --verbose -q --quiet -h --help --version' -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}

_gcal_push()
{
	local cur prev opt

	_gcal_init
	_gcal_profile_arg && return
	_gcal_calendar_arg && return
	case $opt in
	--send-updates)
		COMPREPLY=($(compgen -W 'all externalOnly none' -- "$cur"))
		return ;;
	--batch|--rate)
		return ;;
	esac
	if [[ $cur != -* ]]; then
		# the file of change records
		local IFS=$'\n'
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W '-p --profile -c --calendar --dry-run --allow-primary --send-updates --batch --rate -v --verbose -q --quiet -h --help --version' -- "$cur"))
}

_forward_apply()
{
	local cur prev opt

	_gcal_init
	_gcal_profile_arg && return
	case $opt in
	--state|--body-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--exec)
		COMPREPLY=($(compgen -c -- "$cur"))
		return ;;
	--time-zone)
		COMPREPLY=($(cd "${TZDIR:-/usr/share/zoneinfo}" 2>/dev/null &&
			compgen -f -- "$cur"))
		return ;;
	-e|--extension|--at|--post|--body|--internal-lengths|--country-code)
		return ;;
	esac
	_gcal_options '-e --extension -p --profile --at --state --exec --post --body --body-file -n --dry-run --explain --time-zone --internal-lengths --country-code -v --verbose -q --quiet -h --help --version'
}

_gcal_watch()
{
	local cur prev opt sub opts
	local subs='start renew stop status run'
	local global='-v --verbose -q --quiet -h --help --version'

	_gcal_init
	# run: the words after -- are the command's own
	_gcal_subcommand '-p --profile -c --calendar --address --ttl --margin --safety-poll --min-interval' run ||
		return
	_gcal_profile_arg && return
	_gcal_calendar_arg && return
	case $opt in
	--address|--ttl|--margin|--safety-poll|--min-interval)
		return ;;
	esac
	_gcal_no_subcommand "$subs" "$global" && return
	[[ $cur == -* ]] || return
	case $sub in
	start) opts='-c --calendar --address --ttl' ;;
	renew) opts='-c --calendar --address --ttl --margin' ;;
	run) opts='--safety-poll --min-interval' ;;
	stop|status) opts= ;;
	*) return ;;
	esac
	COMPREPLY=($(compgen -W "-p --profile $opts $global" -- "$cur"))
}

_gcal_notify()
{
	local cur prev opt

	_gcal_init
	_gcal_options '-v --verbose -q --quiet -h --help --version'
}

_gcal_sync()
{
	local cur prev opt

	_gcal_init
	_gcal_profile_arg && return
	case $opt in
	--local|--state)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--local-cmd|--apply-cmd)
		COMPREPLY=($(compgen -c -- "$cur"))
		return ;;
	--prefer)
		COMPREPLY=($(compgen -W 'local remote newest' -- "$cur"))
		return ;;
	--attendees)
		COMPREPLY=($(compgen -W 'keep omit' -- "$cur"))
		return ;;
	-k|--key|--owner|--max-delete|--batch|--rate)
		return ;;
	esac
	_gcal_options '-p --profile --local --local-cmd -k --key --state --owner --prefer --max-delete --allow-delete-all --attendees --apply-cmd --batch --rate --push-only --dry-run -v --verbose -q --quiet -h --help --version'
}

_gcal_run()
{
	local cur prev opt sub= i w
	local subs='pull sync forward-apply exec status'
	local argopts='-j --jobs --shard --profiles --filter --every --jitter'
	local global='-v --verbose -q --quiet -h --help --version'

	_gcal_init
	# the job: the first word that is neither an option nor its argument;
	# after exec's command, the words are the command's own
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ " $argopts " == *" $w "* ]]; then
			[[ ${COMP_WORDS[i+1]-} == = ]] && ((i++))
			((i++))
		elif [[ $w != -* && -z $sub ]]; then
			sub=$w
		elif [[ $w != -* && $sub == exec ]]; then
			return
		fi
	done
	case $opt in
	--profiles)
		COMPREPLY=($(compgen -W "$(_gcal_profiles)" -- "$cur"))
		return ;;
	-j|--jobs|--shard|--filter|--every|--jitter)
		return ;;
	esac
	if [[ -z $sub && $cur != -* ]]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		return
	fi
	if [[ $cur != -* ]]; then
		[[ $sub == exec ]] && COMPREPLY=($(compgen -c -- "$cur"))
		return
	fi
	case $sub in
	'') opts="$argopts --prometheus" ;;
	status) opts='--prometheus --shard' ;;
	pull|sync|forward-apply|exec) opts=$argopts ;;
	*) return ;;
	esac
	COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
}

complete -F _gcal_auth gcal-auth
complete -F _gcal_revoke gcal-revoke
complete -F _gcal_pull gcal-pull
complete -o filenames -F _gcal_diff gcal-diff
complete -F _gcal_push gcal-push
complete -F _forward_apply forward-apply
complete -F _gcal_watch gcal-watch
complete -F _gcal_notify gcal-notify
complete -F _gcal_sync gcal-sync
complete -F _gcal_run gcal-run
