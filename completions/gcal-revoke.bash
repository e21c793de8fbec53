# bash completion for gcal-revoke(1)

_gcal_revoke_profiles()
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

_gcal_revoke()
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
		COMPREPLY=($(compgen -W "$(_gcal_revoke_profiles)" -- "$cur"))
		return ;;
	esac
	[[ $cur == -* ]] || return
	COMPREPLY=($(compgen -W '-p --profile --keep-state -v --verbose -q --quiet -h --help --version' -- "$cur"))
}

complete -F _gcal_revoke gcal-revoke
