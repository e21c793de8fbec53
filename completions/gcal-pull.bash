# bash completion for gcal-pull(1)

_gcal_pull_profiles()
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

# the calendars pulled before: the mirrors' directory names, decoded
_gcal_pull_calendars()
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

_gcal_pull()
{
	local cur prev opt i prof=

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
	# the profile given so far, for the calendars of -c
	for ((i = 1; i < COMP_CWORD - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-p|--profile)
			[[ ${COMP_WORDS[i+1]-} == = ]] && ((i++))
			prof=${COMP_WORDS[i+1]-} ;;
		esac
	done
	opt=
	if [[ $cur == = ]]; then
		opt=$prev
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		opt=${COMP_WORDS[COMP_CWORD-2]}
	else
		opt=$prev
	fi
	case $opt in
	-p|--profile)
		COMPREPLY=($(compgen -W "$(_gcal_pull_profiles)" -- "$cur"))
		return ;;
	-c|--calendar)
		local IFS=$'\n'
		COMPREPLY=($(compgen -W "$(_gcal_pull_calendars "$prof")" -- "$cur"))
		return ;;
	--from|--to|--filter)
		return ;;
	esac
	[[ $cur == -* ]] || return
	COMPREPLY=($(compgen -W '-p --profile -c --calendar --full --changes --expand --from --to --filter -v --verbose -q --quiet -h --help --version' -- "$cur"))
}

complete -F _gcal_pull gcal-pull
