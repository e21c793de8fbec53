# bash completion for gcal-push(1)

_gcal_push_profiles()
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
_gcal_push_calendars()
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

_gcal_push()
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
		COMPREPLY=($(compgen -W "$(_gcal_push_profiles)" -- "$cur"))
		return ;;
	-c|--calendar)
		local IFS=$'\n'
		COMPREPLY=($(compgen -W "$(_gcal_push_calendars "$prof")" -- "$cur"))
		return ;;
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

complete -F _gcal_push gcal-push
