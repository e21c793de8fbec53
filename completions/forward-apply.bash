# bash completion for forward-apply(1)

_forward_apply_profiles()
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

_forward_apply()
{
	local cur prev opt

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
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
		COMPREPLY=($(compgen -W "$(_forward_apply_profiles)" -- "$cur"))
		return ;;
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
	[[ $cur == -* ]] || return
	COMPREPLY=($(compgen -W '-e --extension -p --profile --at --state --exec --post --body --body-file -n --dry-run --explain --time-zone --internal-lengths --country-code -v --verbose -q --quiet -h --help --version' -- "$cur"))
}

complete -F _forward_apply forward-apply
