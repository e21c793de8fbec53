#!/bin/sh
# The house rules a file can be checked against (HACKING "The layers of
# lib/"): each lib module's header says its one job in its first line,
# "/* NAME: ...", and HACKING names every module. Modules over ~600 lines
# and functions over ~80 without a reason above them ("Long: why") fail.
. "$(dirname "$0")/../lib.sh"

cd "$TOP" || exit 1
bad= unnamed=
for h in lib/*.h; do
	m=${h#lib/}
	m=${m%.h}
	case $m in event_fields) continue ;; esac # generated, says so
	head -n 1 "$h" | grep -q "^/\* $m: [^ ]" || bad="$bad $m"
	grep -qw -- "$m" HACKING || unnamed="$unnamed $m"
done
is "$bad" "" "every header's first line is '/* MODULE: its one job'"
is "$unnamed" "" "HACKING names every module of lib/"
for c in lib/*.c; do
	n=$(wc -l <"$c" | tr -d ' ')
	if [ "$n" -le 650 ]; then
		pass "$c: $n lines"
	else
		fail "$c: $n lines, over ~600: split it"
	fi
done
# FILE FUNCTION LINES REASONED, for every function of lib/ and cmd/ (a
# name at the start of a line, its body from a "{" to a "}" alone on
# their lines); REASONED: the comment just above says "Long:"
awk '
FNR == 1 { name = ""; comment = ""; incomment = 0 }
/^\/\*/ { comment = ""; incomment = 1 }
incomment { comment = comment $0 }
/\*\// { incomment = 0; last = FNR }
/^[a-z_][a-z_0-9]*\(/ { split($0, a, "("); name = a[1]; reasoned = (comment ~ /Long:/) }
/^\{$/ { start = FNR }
/^\}$/ {
	if (start && name != "")
		print FILENAME, name, FNR - start - 1, reasoned
	start = 0; name = ""; comment = ""
}' lib/*.c cmd/*.c >"$T/functions"
while read -r f fn n why; do
	[ "$n" -gt 80 ] || continue
	if [ "$why" -eq 1 ]; then
		pass "$f: $fn() is $n lines, and says why"
	else
		fail "$f: $fn() is $n lines, over ~80 with no reason above it"
	fi
done <"$T/functions"
ok "the function sizes were read" test "$(wc -l <"$T/functions")" -gt 300
done_testing
