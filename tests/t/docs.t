#!/bin/sh
# Man pages and completions agree with each program's option table, as
# printed by --help (one table drives getopt, usage, and so these checks).
# Which subcommand an option belongs to is asked of the program itself.
. "$(dirname "$0")/../lib.sh"

MAN=$TOP/man
COMP=$TOP/completions
# Probes must never reach Google nor wait: a closed port, no retries.
GCAL_ENDPOINT=http://127.0.0.1:9
GCAL_RETRIES=0
GCAL_LOCK_TIMEOUT=0
export GCAL_ENDPOINT GCAL_RETRIES GCAL_LOCK_TIMEOUT
TO=
command -v timeout >/dev/null 2>&1 && TO="timeout 20"
mkdir -p "$T/cwd"
cd "$T/cwd" || exit 1

words() { tr '\n' ' ' | sed 's/ *$//'; }
# sorted unique lines of stdin, as one line
set_of() { sort -u | sed '/^$/d' | words; }
# minus A B: words of A not in B
minus() {
	for _w in $1; do
		case " $2 " in *" $_w "*) ;; *) printf '%s\n' "$_w" ;; esac
	done | set_of
}

# code_of FILE FN: the text of the shell function FN of FILE and of every
# _gcal_* function it reaches
code_of() {
	_file=$1 _todo=$2 _seen=
	while [ -n "$_todo" ]; do
		_next=
		for _fn in $_todo; do
			_seen="$_seen $_fn"
			_body=$(awk -v f="$_fn" 'index($0, f "()") == 1 { on = 1 } on { print } on && /^}/ { exit }' "$_file")
			printf '%s\n' "$_body"
			_next="$_next $(printf '%s\n' "$_body" | grep -o '_gcal_[a-z_]*')"
		done
		_todo=$(minus "$_next" "$_seen")
	done
}

# --- man pages -------------------------------------------------------------
for page in "$MAN"/*.[1-9]; do
	mandoc -Tlint -W warning "$page" >"$T/lint" 2>&1
	is "$(cat "$T/lint")" "" "mandoc -Tlint -W warning $(basename "$page") is clean"
done

# Long options named by Fl in the sections of a page, one "SECTION SUB OPT"
# per line, SUB being the Cm subcommand of a SYNOPSIS entry ("-" if none)
# and OPT "--long" or "-x" (short letters split). ".It" lines of DESCRIPTION
# come out as section "IT".
man_opts() {
	awk '
	/^\.Sh / { sec = $2; next }
	sec == "SYNOPSIS" && /^\.Nm/ { sub_ = "-"; seen = 0 }
	sec == "SYNOPSIS" && /^\.Cm / && !seen { sub_ = $2 }
	sec != "SYNOPSIS" && sec != "DESCRIPTION" { next }
	/^\./ {
		where = sec == "SYNOPSIS" ? "SYNOPSIS " sub_ : "DESCRIPTION -"
		it = $1 == ".It"
		fl = 0
		for (i = 1; i <= NF; i++) {
			t = i == 1 ? substr($i, 2) : $i
			if (t == "Fl") { fl = 1; seen = 1; continue }
			if (t ~ /^[A-Z][a-z][a-z]?$/) { fl = 0; continue }
			if (!fl) continue
			sub(/[,.;:]$/, "", t)
			if (t ~ /^-[a-z0-9]/) {
				print where, "-" t
				if (it) print "IT -", "-" t
			} else if (t ~ /^[a-zA-Z0-9]+$/) {
				for (j = 1; j <= length(t); j++) {
					print where, "-" substr(t, j, 1)
					if (it) print "IT -", "-" substr(t, j, 1)
				}
			}
		}
	}' "$1"
}

for page in "$MAN"/*.1; do
	prog=$(basename "$page" .1)
	if ! command -v "$prog" >/dev/null 2>&1; then
		fail "$prog: man page without a program"
		continue
	fi
	"$prog" --help >"$T/help" 2>"$ERR"
	is "$?" 0 "$prog --help exits 0"

	# the option table: "-x --long ARG" (- when no short, no ARG)
	sed -n '/^options:/,$p' "$T/help" |
		sed -n 's/^ *\(-[a-zA-Z0-9]\), \(--[a-z0-9][a-z0-9-]*\)\( [A-Z_]*\)\{0,1\}  .*/\1 \2\3/p
s/^ *\(--[a-z0-9][a-z0-9-]*\)\( [A-Z_]*\)\{0,1\}  .*/- \1\2/p' >"$T/table"
	longs=$(cut -d' ' -f2 "$T/table" | set_of)
	ok "$prog --help lists its options" test -n "$longs"
	# -x to --long
	longof() {
		case $1 in
		--*) echo "$1" ;;
		*) awk -v s="$1" '$1 == s { print $2 }' "$T/table" ;;
		esac
	}
	# usage lines: "SUB OPT..." (SUB "-" for a program without subcommands)
	sed -n '1,/^$/p' "$T/help" | sed -e '/^$/d' -e 's/^usage://' -e 's/^ *//' |
		while read -r _p first rest; do
			case $first in -* | \[*) sub=- rest="$first $rest" ;; *) sub=$first ;; esac
			printf '%s' "$sub"
			for t in $(printf '%s\n' "$rest" | tr '[]|' '   '); do
				case $t in -*) printf ' %s' "$(longof "$t")" ;; esac
			done
			echo
		done >"$T/usage"
	subs=$(cut -d' ' -f1 "$T/usage" | grep -v '^-$' | set_of)
	in_usage=$(cut -d' ' -f2- -s "$T/usage" | tr ' ' '\n' | set_of)
	globals=$(minus "$longs" "$in_usage")

	man_opts "$page" | while read -r sec sub o; do
		echo "$sec $sub $(longof "$o")"
	done >"$T/man"
	man_syn=$(awk '$1 == "SYNOPSIS" { print $3 }' "$T/man" | set_of)
	man_it=$(awk '$1 == "IT" { print $3 }' "$T/man" | set_of)
	man_all=$(awk '{ print $3 }' "$T/man" | set_of)
	is "$(minus "$longs" "$man_syn")" "" "$prog.1: SYNOPSIS names every option of --help"
	is "$(minus "$longs" "$man_it")" "" "$prog.1: DESCRIPTION describes every option in an .It"
	is "$(minus "$man_all" "$longs")" "" "$prog.1: names no option that --help lacks"
	for sub in $(cut -d' ' -f1 "$T/usage" | sort -u); do
		want=$(awk -v s="$sub" '$1 == s { for (i = 2; i <= NF; i++) print $i }' "$T/usage" | set_of)
		got=$(awk -v s="$sub" '$1 == "SYNOPSIS" && $2 == s { print $3 }' "$T/man" | set_of)
		is "$(minus "$got" "$globals")" "$(minus "$want" "$globals")" \
			"$prog.1: SYNOPSIS of '$sub' has the options of its usage line"
	done
	for sub in $subs; do
		ok "$prog.1: subcommand $sub is described" grep -q "^\.It Cm $sub\$" "$page"
	done
	extra=$(awk '$1 == "SYNOPSIS" && $2 != "-" { print $2 }' "$T/man" | set_of)
	is "$(minus "$extra" "$subs")" "" "$prog.1: SYNOPSIS has no subcommand --help lacks"

	# --- which options apply where, asked of the program ------------------
	# argument for a probe: a harmless value
	argof() { awk -v l="$1" '$2 == l && NF == 3 { print "1" }' "$T/table"; }
	: >"$T/applies"
	for sub in ${subs:--}; do
		for l in $longs; do
			if [ "$sub" = - ]; then
				$TO "$prog" "$l" $(argof "$l") >"$OUT" 2>"$ERR" </dev/null
			else
				$TO "$prog" "$sub" "$l" $(argof "$l") >"$OUT" 2>"$ERR" </dev/null
			fi
			grep -q 'does not apply' "$ERR" || echo "$sub $l" >>"$T/applies"
		done
	done
	# options taken before the subcommand
	if [ -n "$subs" ]; then
		case " $subs " in *" list "*) probe=list ;; *) probe=${subs%% *} ;; esac
		for l in $longs; do
			$TO "$prog" "$l" $(argof "$l") "$probe" >"$OUT" 2>"$ERR" </dev/null
			grep -q 'options after the subcommand' "$ERR" || echo "^ $l" >>"$T/applies"
		done
	fi
	applies() { awk -v s="$1" '$1 == s { print $2 }' "$T/applies" | set_of; }

	# --- completions: each names exactly the options of --help -------------
	# bash and zsh: one file for all programs, one function per program
	# (bash: the one registered for it; zsh: the one _gcal calls for its
	# $service); the options are those named in the code that function
	# reaches. fish: one file per program.
	bashf=$COMP/gcal.bash zshf=$COMP/_gcal fishf=$COMP/$prog.fish

	# --- bash: loads, and offers what the program accepts ------------------
	bash -c ". '$bashf'; complete -p $prog" >"$OUT" 2>"$ERR"
	ok "gcal.bash loads and registers a completion for $prog" test $? = 0 -a -s "$OUT"
	fn=$(sed -n 's/.*-F \([^ ]*\) .*/\1/p' "$OUT")
	zfn=$(sed -n "s/^$prog) \\([^ ]*\\) .*/\\1/p" "$zshf" 2>/dev/null)
	for f in "$bashf" "$zshf" "$fishf"; do
		if [ ! -f "$f" ]; then
			fail "$(basename "$f") exists"
			continue
		fi
		case $f in
		*.fish) what=$(basename "$f")
			got=$(grep '^complete ' "$f" | grep -o -E -- ' -l [a-z0-9][a-z0-9-]*' |
			sed 's/^ -l /--/' | set_of) ;;
		*.bash) what="gcal.bash ($fn)"
			got=$(code_of "$f" "$fn" | grep -o -E -- '--[a-z0-9][a-z0-9-]*' | set_of) ;;
		*) what="_gcal ($zfn)"
			got=$(code_of "$f" "$zfn" | grep -o -E -- '--[a-z0-9][a-z0-9-]*' | set_of) ;;
		esac
		is "$(minus "$longs" "$got")" "" "$what completes every option of $prog --help"
		is "$(minus "$got" "$longs")" "" "$what completes no option $prog --help lacks"
	done

	# bcomp WORD...: what bash offers for the last word
	bcomp() {
		bash -c '. "$1"; shift; fn=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			"$fn"; printf "%s\n" "${COMPREPLY[@]}"' - "$bashf" "$fn" "$@" 2>/dev/null | set_of
	}
	if [ -n "$subs" ]; then
		is "$(bcomp "$prog" '')" "$subs" "gcal.bash ($prog): offers the subcommands"
		is "$(bcomp "$prog" --)" "$(applies '^')" "gcal.bash ($prog): offers the options taken before a subcommand"
		for sub in $subs; do
			is "$(bcomp "$prog" "$sub" --)" "$(applies "$sub")" "gcal.bash ($prog): '$sub --' offers exactly the options '$sub' takes"
		done
	else
		is "$(bcomp "$prog" --)" "$(applies -)" "gcal.bash ($prog): offers exactly the options $prog takes"
	fi
	mkdir -p "$XDG_CONFIG_HOME/gcal/alpha" "$XDG_CONFIG_HOME/gcal/beta"
	: >"$XDG_CONFIG_HOME/gcal/alpha/profile.json"
	psub=${subs:+token}
	if grep -q -- " --profile " "$T/table"; then
		is "$(bcomp "$prog" $psub -p '')" alpha "gcal.bash ($prog): -p offers the profiles (directories with profile.json)"
		is "$(bcomp "$prog" $psub --profile = a)" alpha "gcal.bash ($prog): --profile=... offers the profiles"
	fi
	if grep -q -- '--scope SCOPE' "$T/table"; then
		is "$(bcomp "$prog" login --scope '')" \
			"calendar calendar.app.created calendar.events calendar.events.readonly calendar.readonly" \
			"gcal.bash ($prog): --scope offers the scope short names"
	fi
	: >"$T/cwd/somefile.json"
	for l in $(awk '$3 == "FILE" { print $2 }' "$T/table"); do
		sub=$(awk -v l="$l" '$2 == l && $1 != "^" { print $1; exit }' "$T/applies")
		[ "$sub" = - ] && sub=
		is "$(bcomp "$prog" $sub "$l" some)" somefile.json "gcal.bash ($prog): $l offers files"
	done

	# --- zsh and fish --------------------------------------------------------
	if command -v zsh >/dev/null 2>&1; then
		zsh -n "$zshf" >"$OUT" 2>"$ERR"
		ok "_gcal parses (zsh -n) ($prog)" test $? = 0
		case "$(head -1 "$zshf") " in
		"#compdef"*" $prog "*) pass "_gcal starts with a #compdef naming $prog" ;;
		*) fail "_gcal starts with a #compdef naming $prog" ;;
		esac
	else
		pass "_gcal parses ($prog) # SKIP zsh not installed"
		pass "_gcal starts with #compdef $prog # SKIP zsh not installed"
	fi
	if command -v fish >/dev/null 2>&1; then
		fish -n "$fishf" >"$OUT" 2>"$ERR"
		ok "$prog.fish parses (fish -n)" test $? = 0
		fcomp() {
			fish -c "set -p fish_function_path '$COMP/functions'; source '$fishf'; complete -C '$*'" 2>/dev/null |
				cut -f1 | set_of
		}
		if [ -n "$subs" ]; then
			is "$(fcomp "$prog ")" "$subs" "$prog.fish: offers the subcommands"
			for sub in $subs; do
				is "$(fcomp "$prog $sub --")" "$(applies "$sub")" "$prog.fish: '$sub --' offers exactly the options '$sub' takes"
			done
		else
			is "$(fcomp "$prog --")" "$(applies -)" "$prog.fish: offers exactly the options $prog takes"
		fi
		grep -q -- " --profile " "$T/table" &&
			is "$(fcomp "$prog $psub -p ")" alpha "$prog.fish: -p offers the profiles"
	else
		pass "$prog.fish parses # SKIP fish not installed"
	fi
	rm -rf "$XDG_CONFIG_HOME/gcal"
done

# --- what the pages say exists ---------------------------------------------
# Rendered, not only linted: quotes nested by a macro that runs to the end
# of its line (".Qq a , Qq b" renders "a, "b"") show as quotes in a row.
for page in "$MAN"/*.[1-9]; do
	mandoc -Tutf8 "$page" 2>/dev/null | col -b | grep -nE '[[:alnum:].,]""|"""|””|““|’’|‘‘' >"$T/quotes"
	is "$(cat "$T/quotes")" "" "$(basename "$page") renders no nested quotes (mandoc -Tutf8)"
done

# Every page a page names (.Xr, in SEE ALSO and elsewhere) exists; gcal(7)
# names every page in its SEE ALSO. Pages of other packages that need not
# be installed here, and all of them where man(1) is not:
elsewhere=" cron.8 crontab.5 xdg-open.1 "
for page in "$MAN"/*.[1-9]; do
	awk '$1 == ".Xr" { print $2 "." $3 }' "$page" | sort -u >"$T/xr"
	missing=
	for x in $(cat "$T/xr"); do
		[ -f "$MAN/$x" ] && continue
		case $x in gcal* | forward-apply*) missing="$missing $x"; continue ;; esac
		case $elsewhere in *" $x "*) continue ;; esac
		command -v man >/dev/null 2>&1 || continue
		man -w "${x##*.}" "${x%.*}" >/dev/null 2>&1 || missing="$missing $x"
	done
	is "$missing" "" "$(basename "$page"): every page it names exists"
done
sed -n '/^\.Sh SEE ALSO/,/^\.Sh /p' "$MAN/gcal.7" | awk '$1 == ".Xr" { print $2 "." $3 }' >"$T/xr"
for page in "$MAN"/*.[1-9]; do
	case ${page##*/} in gcal.7) continue ;; esac
	ok "gcal.7 SEE ALSO names ${page##*/}" grep -qx "${page##*/}" "$T/xr"
done

# Every file of the source tree a page, the README or a script's header
# names exists (scenario-N.t: each N); the installed ones: below.
srcpaths() { # FILE...: the examples/ and tests/ paths named in them
	grep -oh -E '(^|[^A-Za-z0-9_./-])(examples|tests)/[A-Za-z0-9_./-]*[A-Za-z0-9_/-]' "$@" |
		sed -E 's/^[^et]//' | sort -u
}
missing=
for p in $(srcpaths "$MAN"/*.[1-9] "$TOP/README" "$TOP"/examples/*.sh "$TOP"/examples/*.jq "$TOP"/examples/kamailio/*); do
	g=$(printf '%s' "$p" | sed 's/-N\./-*./')
	# shellcheck disable=SC2086
	set -- $(cd "$TOP" && ls -d $g 2>/dev/null)
	[ $# -gt 0 ] || missing="$missing $p"
done
is "$missing" "" "every examples/ and tests/ path a page, the README or a script names exists"
# bare file names in the scripts' header comments: beside them, or in the tree
missing=
for f in "$TOP"/examples/*.sh "$TOP"/examples/*.jq "$TOP"/examples/kamailio/*; do
	for n in $(awk 'NR > 1 && !/^#/ { exit } { print }' "$f" |
		grep -oE '(^|[ (])[A-Za-z0-9_-]+\.(sh|jq|md|cfg|t|c|h|py)\b' | tr -d ' ('); do
		[ -e "$(dirname "$f")/$n" ] || [ -e "$TOP/$n" ] || [ -e "$TOP/examples/$n" ] ||
			[ -e "$TOP/tests/t/$n" ] || missing="$missing ${f##*/}:$n"
	done
done
is "$missing" "" "every file a script's header names exists"

# make install puts every file a page names under share/gcal, and the
# installed pages name where it is
case $GCAL_BUILD in
build) san= ;;
build-san) san=SAN=1 ;;
*) san=skip ;;
esac
if [ "$san" = skip ]; then
	pass "make install # SKIP GCAL_BUILD=$GCAL_BUILD is not a make build"
else
	# shellcheck disable=SC2086
	make -s -C "$TOP" $san install DESTDIR="$T/inst" PREFIX=/usr >"$OUT" 2>"$ERR"
	is "$?" 0 "make install DESTDIR=... PREFIX=/usr exits 0"
	missing=
	for page in "$T"/inst/usr/share/man/man*/*; do
		for p in $(grep -oh -E '/usr/(local/)?share/gcal/[A-Za-z0-9_./-]*[A-Za-z0-9_/-]' "$page" | sort -u); do
			[ -e "$T/inst$p" ] || missing="$missing ${page##*/}:$p"
		done
	done
	is "$missing" "" "every share/gcal file an installed page names is installed there"
	ok "... forward-apply.1 names the installed body.jq" \
		grep -q '/usr/share/gcal/kamailio/body.jq' "$T/inst/usr/share/man/man1/forward-apply.1"
	missing=
	for f in "$TOP"/examples/*.sh "$TOP"/examples/*.jq "$TOP"/examples/kamailio/*; do
		n=${f#"$TOP"/examples/}
		[ "$n" = demo.sh ] && continue
		cmp -s "$f" "$T/inst/usr/share/gcal/$n" || missing="$missing $n"
	done
	is "$missing" "" "... with every script of examples/ and the Kamailio files"
	ls "$T"/inst/usr/share/man/man*/ | grep -v ':$' | sed '/^$/d' | sort >"$T/pages"
	ls "$MAN" | sort >"$T/srcpages"
	ok "... and every page" cmp -s "$T/pages" "$T/srcpages"
fi

# The limit of a record's length is the one gcal-records(5) documents.
max=$(sed -n 's/^#define NDJSON_MAX_LINE (\(.*\))$/\1/p' "$TOP/lib/json.h" | tr -d u)
ok "lib/json.h has NDJSON_MAX_LINE" test -n "$max"
ok "gcal-records.5 documents it: $(($max)) bytes" grep -q "($(($max)) bytes)" "$MAN/gcal-records.5"

# Every placeholder the fixtures' redaction prints (lib/http.c names the
# kinds) is listed in gcal(7).
kinds=$(cat "$TOP"/lib/*.c "$TOP"/cmd/*.c | grep -oE 'http_secret\([^;]*"[A-Z_]+"\)|\{"[a-z_]+", "[A-Z_]+"\}' |
	grep -oE '"[A-Z_]+"' | tr -d '"' | sort -u)
ok "the redaction's kinds are found in the source" test -n "$kinds"
missing=
for k in $kinds; do
	grep -q "<${k}_1>" "$MAN/gcal.7" || missing="$missing <${k}_1>"
done
is "$missing" "" "gcal.7 lists every placeholder of the redaction"

# --- every output a page shows is what the programs print -----------------
# A display that shows output is marked '.\" example NAME' in the page;
# ex_NAME below sets the stage (the emulator, links, events) and, for a
# display of records with no command, prints them; the page's own
# commands are run as shown. See tests/helpers/man-examples.
MX="python3 $TOP/tests/helpers/man-examples"
emu_start || { echo "Bail out! emulator"; exit 1; }
$MX list "$MAN"/*.[1-9] >"$T/displays"
is "$(awk '$3 == "-" { print $1 ":" $2 }' "$T/displays" | sed "s|$MAN/||" | tr '\n' ' ')" "" \
	"every display that shows output is marked as an example"

# a display marked '.\" code sh' is a script: it parses
mkdir -p "$T/code"
for page in "$MAN"/*.[1-9]; do $MX code "$page" "$T/code"; done
for f in "$T"/code/sh.*; do
	[ -f "$f" ] || continue
	sh -n "$f" >"$OUT" 2>"$ERR"
	ok "the script shown at line ${f##*.} parses (sh -n)" test $? = 0
done

# stage: a fresh emulator, links and directories for one display
stage() {
	EXD=$T/ex/$1
	rm -rf "$EXD"
	mkdir -p "$EXD/work" "$EXD/config/gcal" "$EXD/state"
	XDG_CONFIG_HOME=$EXD/config XDG_STATE_HOME=$EXD/state
	cp "$CLIENT" "$XDG_CONFIG_HOME/gcal/client_secret.json"
	for f in "$TOP"/examples/*; do ln -s "$f" "$EXD/work/"; done
	ln -s "$TOP/examples" "$TOP/tests" "$EXD/work/"
	: >"$EXD/values"
	emu_ctl POST /_emu/reset >/dev/null || return 1
	BROWSER="curl -sL" GCAL_RETRIES=0
	export BROWSER GCAL_RETRIES XDG_CONFIG_HOME XDG_STATE_HOME
	cd "$EXD/work" || return 1
}
value() { printf '%s\n' "$@" >>"$EXD/values"; }
replace() { printf '=%s\t%s\n' "$1" "$2" >>"$EXD/values"; }
evpost() { # CALENDAR JSON: an event made in Google
	emu_ctl POST "/_emu/calendars/$1/events" "$2" >"$EXD/ev" && jq -r .id "$EXD/ev"
}
team() { emu_ctl GET /_emu/calendars >"$EXD/cals" && jq -r '.[] | select(.summary == "Team") | .id' "$EXD/cals"; }
linked() { # PROFILE [ARGS]: linked quietly
	_p=$1
	shift
	gcal-auth login -q -p "$_p" "$@" >/dev/null 2>&1 </dev/null
}

ex_scenario1() {
	TEAM=$(team)
	evpost "$TEAM" '{"summary":"0612345678","start":{"dateTime":"2026-12-01T10:00:00+01:00"},"end":{"dateTime":"2026-12-01T11:00:00+01:00"}}' >/dev/null
	evpost "$TEAM" '{"summary":"0031234567890","start":{"dateTime":"2026-12-01T10:30:00+01:00"},"end":{"dateTime":"2026-12-01T11:30:00+01:00"}}' >/dev/null
	from=2026-11-30T09:45:00Z to=2026-12-02T09:45:00Z
	python3 "$TOP/tests/fixtures/forward/http-sink.py" "$EXD/port" "$EXD/bodies" 200 '{"jsonrpc":"2.0","id":1,"result":"ok"}' &
	sinkpid=$!
	i=0
	while [ ! -s "$EXD/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	replace http://127.0.0.1:5080/RPC "http://127.0.0.1:$(cat "$EXD/port")/RPC"
	replace 'forward-apply -p shop' 'forward-apply --at 2026-12-01T09:45:00Z -p shop'
}
ex_scenario1_done() { kill "$sinkpid" 2>/dev/null; wait "$sinkpid" 2>/dev/null; }

visit() { # CALENDAR SUMMARY LOCATION GUEST
	evpost "$1" "$(jq -nc --arg s "$2" --arg l "$3" --arg g "$4" '{summary: $s, location: $l,
		start: {dateTime: "2026-12-05T10:00:00Z"}, end: {dateTime: "2026-12-05T11:00:00Z"},
		attendees: [{email: "visit@visitors.example"}, {email: $g}]}')" >/dev/null
}
ex_scenario2() {
	TEAM=$(team)
	linked office
	mkdir -p office
	: >office/known.ndjson
	jq -nc --arg t "$TEAM" '{invite: "visit@visitors.example", default_site: "ANHQ",
		sites: ["ANHQ", "ANBR"], calendars: ["primary", $t]}' >office/visitors.json
	visit alice@example.com "Visit Acme" "" guest@acme.example
	visit "$TEAM" "Visit Crux" XXHQ g@crux.example
}

appt() { # KEY SUMMARY HOUR
	jq -nc --arg id "$1" --arg s "$2" --arg h "$3" '{appointment_id: $id, summary: $s,
		start: {dateTime: ("2026-12-01T" + $h + ":00:00Z")}, end: {dateTime: ("2026-12-01T" + $h + ":45:00Z")}}'
}
ex_scenario3() {
	TEAM=$(team)
	value "$TEAM"
	evpost "$TEAM" '{"summary":"Dentist","start":{"dateTime":"2026-12-02T08:00:00+01:00"},"end":{"dateTime":"2026-12-02T08:30:00+01:00"}}' >"$EXD/dentist"
	evpost "$TEAM" '{"summary":"Lunch","start":{"dateTime":"2026-12-02T12:00:00+01:00"},"end":{"dateTime":"2026-12-02T12:30:00+01:00"}}' >/dev/null
	mkdir -p shop
	{ appt A1 "Cut" 09; appt A2 "Colour" 10; } >shop/local.ndjson
}
ex_scenario3_before_2() { appt A3 "Beard" 11 >>shop/local.ndjson; }
ex_scenario3_before_3() {
	emu_ctl PATCH "/_emu/calendars/$TEAM/events/$(cat "$EXD/dentist")" \
		'{"start":{"dateTime":"2026-12-02T09:00:00+01:00"},"end":{"dateTime":"2026-12-02T09:30:00+01:00"}}'
}

ex_scenario4() {
	linked alice
	evpost alice@example.com '{"summary":"Standup","start":{"dateTime":"2026-12-07T09:00:00","timeZone":"Europe/Amsterdam"},
		"end":{"dateTime":"2026-12-07T09:15:00","timeZone":"Europe/Amsterdam"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=3"]}' >/dev/null
	evpost alice@example.com '{"summary":"Doctor","visibility":"private",
		"start":{"dateTime":"2026-12-08T09:00:00Z"},"end":{"dateTime":"2026-12-08T10:00:00Z"}}' >/dev/null
	evpost bob@example.com '{"summary":"Lunch with client",
		"start":{"dateTime":"2026-12-07T11:30:00Z"},"end":{"dateTime":"2026-12-07T12:30:00Z"}}' >/dev/null
}
ex_scenario4edit() {
	linked alice
	M=$(evpost alice@example.com '{"summary":"Standup","start":{"dateTime":"2026-12-07T09:00:00","timeZone":"Europe/Amsterdam"},
		"end":{"dateTime":"2026-12-07T09:15:00","timeZone":"Europe/Amsterdam"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=3"]}')
	value "${M}_20261214T080000Z"
}

ex_scenario5() {
	linked private
	gcal-auth use -q -p private alice@example.com >/dev/null
	appt S1 "Shift 1" 09 >shifts
}
ex_scenario5_before_2() { # an event a link made in it before
	R1=$(gcal-auth status -p room1 | jq -r .calendar)
	evpost "$R1" '{"summary":"Old shift 1","start":{"dateTime":"2026-12-03T09:00:00Z"},"end":{"dateTime":"2026-12-03T10:00:00Z"},
		"extendedProperties":{"private":{"gcalOwner":"gcal","gcalKey":"S0"}}}'
}

ex_explain() { # two events now
	linked shop
	a=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ) b=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	for s in 0612345678 "Call 0612345678"; do
		evpost alice@example.com "$(jq -nc --arg s "$s" --arg a "$a" --arg b "$b" \
			'{summary: $s, start: {dateTime: $a}, end: {dateTime: $b}}')" >/dev/null
	done
}
# the body program shown does what body.jq does
ex_body() {
	for t in '[]' '["0612345678"]' '["+31612345678","333"]'; do
		jq -nc --argjson t "$t" '{extension: "333", to: $t}' >"$EXD/in"
		jq -c -f "$TOP/examples/kamailio/body.jq" "$EXD/in" >"$EXD/b1"
		$MX split "$MAN/forward-apply.1" body "$EXD" && jq -c -f "$EXD/want.0" "$EXD/in" >"$EXD/b2" &&
			cmp -s "$EXD/b1" "$EXD/b2" || echo "differs for $t"
	done
	cat "$EXD/want.0"
}
ex_revoke() { linked shop; }
# the user of the paste-back login: the address of the consent page is
# opened elsewhere, the address it ends on pasted (and echoed by the
# terminal); the emulator stands for accounts.google.com
paste_login() {
	rm -f "$EXD/fifo"
	mkfifo "$EXD/fifo" || return 70
	gcal-auth "$@" <>"$EXD/fifo" >"$EXD/pl.out" 2>"$EXD/pl.err" &
	_pid=$! _i=0
	until grep -q '/o/oauth2/v2/auth' "$EXD/pl.err" 2>/dev/null || [ $_i -gt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	_url=$(grep -o 'http[^ ]*/o/oauth2/v2/auth[^ ]*' "$EXD/pl.err")
	_loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$_url")
	printf '%s\n' "$_loc" >"$EXD/fifo"
	wait "$_pid"
	_st=$?
	sed "s|$EMU_URL|https://accounts.google.com|" "$EXD/pl.err"
	printf '%s\n' "$_loc"
	cat "$EXD/pl.out"
	return "$_st"
}
ex_paste() {
	linked shop
	replace 'gcal-auth login -p shop --no-browser' 'paste_login login -p shop --no-browser'
}
ex_login() { replace '~/Downloads/client_secret.json' "$CLIENT"; }
ex_record() {
	GCAL_RECORD=$EXD/rec.ndjson gcal-auth login -q -p shop >/dev/null 2>&1 </dev/null
	head -n 1 "$EXD/rec.ndjson"
}

# the records of gcal-records(5), made by the programs
owned() { # KEY SUMMARY START END: a local record
	jq -nc --argjson k "$1" --arg s "$2" --arg a "$3" --arg b "$4" \
		'{appointment_id: $k, summary: $s, start: {dateTime: $a}, end: {dateTime: $b}}'
}
pushed() { # LOCAL...: pushed as owned inserts to a new calendar, results on stdout
	linked shop
	gcal-auth use -q -p shop --create Shop >/dev/null
	for l; do printf '%s\n' "$l"; done >"$EXD/local"
	gcal-diff -q --key .appointment_id /dev/null "$EXD/local" >"$EXD/changes" &&
		gcal-push -q -p shop <"$EXD/changes"
}
D=$TOP/tests/fixtures/diff
ex_records_synopsis() {
	pushed "$(owned '"1"' Cut 2026-12-01T10:00:00+01:00 2026-12-01T10:30:00+01:00)" >"$EXD/results"
	gcal-pull -q -p shop
	cat "$EXD/changes"
	gcal-diff -q --base "$D/base.ndjson" "$D/local3.ndjson" "$D/remote3.ndjson" | jq -c 'select(.id == "dellcr01")'
	cat "$EXD/results"
}
ex_records_event() {
	pushed "$(owned '"1"' Cut 2026-12-01T10:00:00+01:00 2026-12-01T10:30:00+01:00)" >/dev/null
	gcal-pull -q -p shop
}
ex_records_insert() {
	l='{"appointment_id":4,"summary":"Beard trim","start":{"dateTime":"2026-12-06T10:00:00Z"},"end":{"dateTime":"2026-12-06T10:20:00Z"}}'
	printf '%s\n' "$l"
	printf '%s\n' "$l" | gcal-diff -q --key .appointment_id /dev/null -
}
ex_records_changes() {
	gcal-diff -q --base "$D/base.ndjson" "$D/local3.ndjson" "$D/remote3.ndjson" >"$EXD/changes"
	jq -c 'select(.id == "locch001" or .id == "locdel01" or .id == "remch001")' "$EXD/changes"
}
ex_records_conflict() {
	gcal-diff -q --base "$D/base.ndjson" "$D/local3.ndjson" "$D/remote3.ndjson" >"$EXD/changes"
	jq -c 'select(.id == "dellcr01")' "$EXD/changes"
}
ex_records_results() {
	pushed "$(owned 4 'Beard trim' 2026-12-06T10:00:00Z 2026-12-06T10:20:00Z)"
	# the change as gcal-diff made it against Google's version, then the
	# event changes in Google: the etag the change expects is gone
	gcal-pull -q -p shop >"$EXD/remote"
	owned 4 'Beard trim and wash' 2026-12-06T10:00:00Z 2026-12-06T10:30:00Z >"$EXD/local"
	gcal-diff -q --key .appointment_id "$EXD/remote" "$EXD/local" >"$EXD/changes"
	cal=$(gcal-auth status -p shop | jq -r .calendar)
	emu_ctl PATCH "/_emu/calendars/$cal/events/58usgg4nbl4c71760hdf0ndit64gnkovdbk2d7pehe8gp8cuc95g" \
		'{"summary":"Beard"}' >/dev/null
	# and a focusTime event of a primary calendar (Google's own shape)
	# to be copied into this secondary one: skipped
	jq -c 'select(.id == "docshape0focus0001") | {op: "insert", target: "remote", id, event: .}' \
		"$TOP/tests/fixtures/conformance/real-events/google-doc-shapes.ndjson" >>"$EXD/changes"
	gcal-push -q -p shop <"$EXD/changes"
}

while read -r page line name; do
	[ "$name" = - ] && continue
	pname=${page##*/}
	( stage "$name" || exit 1
	if ! command -v "ex_$name" >/dev/null 2>&1; then
		echo "not ok - $pname:$line: no ex_$name in docs.t"
		exit 1
	fi
	"ex_$name" >"$EXD/want.gen" 2>"$EXD/setup.err"
	$MX split "$page" "$name" "$EXD" || exit 1
	__rc=0 i=1
	while [ -f "$EXD/cmd.$i" ]; do
		$MX resolve "$EXD/cmd.$i" "$EXD/values" "$EXD"/out.* >"$EXD/run.$i" 2>"$EXD/err.$i" || break
		__c=$(cat "$EXD/run.$i")
		! command -v "ex_${name}_before_$i" >/dev/null 2>&1 ||
			"ex_${name}_before_$i" >>"$EXD/setup.err" 2>&1
		(exit "$__rc")
		eval "$__c" >"$EXD/out.$i" 2>"$EXD/err.$i" </dev/null
		__rc=$?
		i=$((i + 1))
	done
	command -v "ex_${name}_done" >/dev/null 2>&1 && "ex_${name}_done"
	[ -s "$EXD/want.0" ] && cp "$EXD/want.gen" "$EXD/out.0"
	bad=
	for w in "$EXD"/want.*; do
		j=${w##*.}
		[ "$j" = gen ] && continue
		[ "$j" = 0 ] && [ ! -s "$w" ] && continue
		if ! $MX match "$w" "$EXD/out.$j" "$EXD/err.$j" >"$EXD/diff.$j" 2>&1; then
			bad="$bad $j"
			{ [ "$j" = 0 ] || sed 's/^/#   $ /' "$EXD/run.$j"; cat "$EXD/diff.$j"; sed 's/^/#   stderr: /' "$EXD/err.$j"; } 2>/dev/null | head -40
		fi
	done
	[ -z "$bad" ] ) >"$T/exout"
	st=$?
	grep '^#' "$T/exout"
	ok "$pname:$line: the output of example $name is what the programs print" test "$st" = 0
done <"$T/displays"
emu_stop
GCAL_ENDPOINT=http://127.0.0.1:9

# --- fish: the functions the completions share, autoloaded by name --------
for f in "$COMP"/functions/*.fish; do
	name=$(basename "$f" .fish)
	if command -v fish >/dev/null 2>&1; then
		fish -n "$f" >"$OUT" 2>"$ERR"
		ok "functions/$name.fish parses (fish -n)" test $? = 0
	else
		pass "functions/$name.fish parses # SKIP fish not installed"
	fi
	ok "functions/$name.fish defines $name" grep -q "^function $name\$" "$f"
done
for name in $(cat "$COMP"/*.fish | grep -o '__gcal_[a-z_]*' | sort -u); do
	ok "$name, used by a fish completion, is in functions/" test -f "$COMP/functions/$name.fish"
done

done_testing
