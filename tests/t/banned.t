#!/bin/sh
# lib/banned.h: the compiler refuses each banned call with the flags every
# file of lib/, cmd/ and tests/ is built with (make prints them), and code
# that keeps to the house habits still compiles.
. "$(dirname "$0")/../lib.sh"

CC=${CC:-cc}
# the flags of the build, banned.h included
FLAGS=$(make -s -C "$TOP" --no-print-directory print-CFLAGS)
case $FLAGS in *banned.h*) pass "the build's flags include lib/banned.h" ;;
*) fail "the build's flags include lib/banned.h: '$FLAGS'" ;; esac

# try NAME CODE: compile CODE (a function body) in a file of its own
try() {
	cat >"$T/$1.c" <<-END
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <time.h>
	int f(char *s, const char *c, time_t *t);
	int f(char *s, const char *c, time_t *t) { (void)s; (void)c; (void)t; $2 }
	END
	(cd "$TOP" && eval "$CC $FLAGS -c -o '$T/$1.o' '$T/$1.c'") >"$OUT" 2>"$ERR"
	rc=$?
}

try control 'struct tm tm; char b[32]; if (!gmtime_r(t, &tm)) return 1; snprintf(b, sizeof(b), "%s", c); return setenv("GCAL_PROFILE", b, 1);'
is "$rc" 0 "gmtime_r, snprintf and setenv of another name compile"

for call in 'strcpy(s, c)' 'strcat(s, c)' 'strncpy(s, c, 1)' 'strncat(s, c, 1)' \
	'sprintf(s, "%d", 1)' 'strtok(s, c) != 0' 'strtok_r(s, c, &s) != 0' \
	'atoi(c)' 'atol(c)' 'atoll(c) != 0' 'localtime(t) != 0' 'gmtime(t) != 0' \
	'ctime(t) != 0' 'asctime(0) != 0' 'tmpnam(s) != 0' 'mktemp(s) != 0'; do
	name=${call%%(*}
	try "$name" "return (int)($call);"
	if [ "$rc" -ne 0 ] && grep -q "poisoned \"$name\"" "$ERR"; then
		pass "$name is refused"
	else
		fail "$name is refused (exit $rc)"
	fi
done
try vsprintf 'va_list ap; return vsprintf(s, c, ap);'
if [ "$rc" -ne 0 ] && grep -q 'poisoned "vsprintf"' "$ERR"; then
	pass "vsprintf is refused"
else
	fail "vsprintf is refused (exit $rc)"
fi
try setenv_tz 'return setenv("TZ", c, 1);'
if [ "$rc" -ne 0 ] && grep -q 'setenv("TZ") is banned' "$ERR"; then
	pass 'setenv("TZ", ...) is refused'
else
	fail 'setenv("TZ", ...) is refused (exit $rc)'
fi

# every C file of the project is built with the ban: none escapes it but
# through the one marked opt-out, "(setenv)" in tests/unit/zone.c
escapes=$(cd "$TOP" && grep -ln '(setenv)(' lib/*.c cmd/*.c tests/unit/*.c tests/fuzz/*.c 2>/dev/null | tr '\n' ' ')
is "$escapes" "tests/unit/zone.c " "only tests/unit/zone.c steps past the setenv ban"

done_testing
