# SPDX-License-Identifier: MIT
# bash completion for kartotekad (the server): its commands and the options
# of each, read from the program's own `kartotekad --help` (once per shell),
# so a new option is offered as soon as the usage text lists it; directories
# for --data and the like, files for the FILE options, time zones.
# Installed as share/bash-completion/completions/kartotekad.

declare -gA _ktd_opts=()

# _ktd_load PROG: fills _ktd_opts["cmd [sub]"] from PROG --help: a line
# "  init --data DIR ..." starts a command, indented lines continue it.
_ktd_load() {
	local line cmd="" w1 w2 rest o
	[[ ${#_ktd_opts[@]} -gt 0 ]] && return 0
	while IFS= read -r line; do
		[[ $line == example* ]] && break   # the examples that end it
		if [[ $line =~ ^\ \ ([a-z]+)(\ ([a-z]+))?(\ |$) ]]; then
			w1=${BASH_REMATCH[1]} w2=${BASH_REMATCH[3]}
			# "backup verify FILE" and "terminal list": a subcommand
			# is a lowercase word right after the command; "run --data"
			# has none.
			cmd=$w1${w2:+ $w2}
			_ktd_opts[$cmd]=${_ktd_opts[$cmd]-}
		elif [[ -n $cmd && $line =~ ^\ \ \ \  ]]; then
			:
		else
			cmd=""
			continue
		fi
		rest=$line
		while [[ $rest =~ (^|[^-a-z])(--[a-z][-a-z]*)(.*)$ ]]; do
			o=${BASH_REMATCH[2]}
			rest=${BASH_REMATCH[3]}
			[[ " ${_ktd_opts[$cmd]} " == *" $o "* ]] ||
				_ktd_opts[$cmd]="${_ktd_opts[$cmd]} $o"
		done
	done < <("$1" --help 2>/dev/null)
}

# _ktd_value OPTION: what the value of OPTION is (every option of
# kartotekad takes one).
_ktd_value() {
	case $1 in
	--data | --backup-dir | --old) echo dir ;;
	--*-file | --out | --checkpoint | --from | --config) echo file ;;
	--time-zone) echo zone ;;
	--log-level) echo choice:error,warning,notice,info,debug ;;
	*) echo none ;;
	esac
}

_kartotekad() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" w1="" cmd="" i w k subs=""
	COMPREPLY=()
	_ktd_load "${COMP_WORDS[0]}"
	[[ $COMP_CWORD -gt 0 ]] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		[[ $w == -* ]] && { i=$((i + 1)); continue; }
		if [[ -z $w1 ]]; then
			w1=$w cmd=$w
		elif [[ $cmd == "$w1" && -n ${_ktd_opts["$w1 $w"]+set} ]]; then
			cmd="$w1 $w"
		fi
	done
	if [[ $prev == --* && $prev != --help ]]; then
		local type
		type=$(_ktd_value "$prev")
		if declare -F _kt_complete_value >/dev/null; then
			_kt_complete_value "$type" "$cur"
		else
			case $type in
			dir) compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
			file) compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
			choice:*) w=${type#choice:}
				mapfile -t COMPREPLY < <(compgen -W "${w//,/ }" -- "$cur") ;;
			esac
		fi
		return 0
	fi
	if [[ -z $w1 ]]; then
		for k in "${!_ktd_opts[@]}"; do
			[[ " $subs " == *" ${k%% *} "* ]] || subs="$subs ${k%% *}"
		done
		mapfile -t COMPREPLY < <(compgen -W "$subs help --help" -- "$cur")
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${_ktd_opts[$cmd]-} --help" -- "$cur")
		return 0
	fi
	if [[ $cmd == "$w1" ]]; then
		for k in "${!_ktd_opts[@]}"; do
			[[ $k == "$w1 "* ]] && subs="$subs ${k#"$w1 "}"
		done
		if [[ -n $subs ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
			return 0
		fi
	fi
	if [[ $cmd == "backup verify" ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
	return 0
}

complete -F _kartotekad kartotekad
