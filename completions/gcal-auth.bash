# bash completion for gcal-auth(1)

_gcal_auth_profiles()
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

_gcal_auth()
{
	local cur prev opt sub= i w opts
	local subs='login service-account token status calendars use list'
	local scopes='calendar calendar.readonly calendar.events calendar.events.readonly calendar.app.created'
	local global='-v --verbose -q --quiet -h --help --version'

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}

	# the subcommand: the first word that is neither an option nor its argument
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
		else
			case $w in
			-p|--profile|-s|--scope|--client-secret|--account|--timeout|--key|--subject|--create|--time-zone)
				[[ ${COMP_WORDS[i+1]-} == = ]] && ((i++))
				((i++)) ;;
			esac
		fi
	done

	# the argument of an option: the next word, or the word after "="
	opt=
	if [[ $cur == = ]]; then
		opt=$prev
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		opt=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ $prev == -* ]]; then
		opt=$prev
	fi
	case $opt in
	-p|--profile)
		COMPREPLY=($(compgen -W "$(_gcal_auth_profiles)" -- "$cur"))
		return ;;
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

	if [[ -z $sub ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-p --profile $global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		fi
		return
	fi
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

complete -F _gcal_auth gcal-auth
