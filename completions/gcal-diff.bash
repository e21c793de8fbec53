# bash completion for gcal-diff(1)

_gcal_diff()
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

complete -o filenames -F _gcal_diff gcal-diff
