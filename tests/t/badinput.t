#!/bin/sh
# Bad input everywhere: each program that reads records, fed truncated,
# binary, huge (a 100 MB line, streamed), non-UTF-8 and wrongly typed
# records after good ones, says so in one line naming file and line,
# exits 65 and does nothing half-done: no request, no state change, no
# output.
. "$(dirname "$0")/../lib.sh"

# libjq 1.6 leaks on some bad JSON (tests/fuzz/lsan.supp); only matters
# for make check SAN=1
LSAN_OPTIONS=suppressions=$TOP/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
export LSAN_OPTIONS ASAN_OPTIONS
TZ=Europe/Amsterdam
export TZ
emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account || { echo "Bail out! cannot link"; exit 1; }
WCAL=$(gcal-auth use --create "Bad input" | jq -r .id)
gcal-pull >/dev/null 2>&1
HUGE=100000000

ins() {
	jq -nc --arg id "$1" '{op:"insert", target:"remote", id:$id,
		event:{summary:$id, start:{dateTime:"2026-12-01T10:00:00Z"}, end:{dateTime:"2026-12-01T10:30:00Z"}}}'
}
ev() {
	jq -nc --arg id "$1" --arg s "$2" '{kind:"calendar#event", id:$id, status:"confirmed", summary:$s,
		start:{dateTime:"2026-11-23T10:00:00+01:00"}, end:{dateTime:"2026-11-23T11:00:00+01:00"}}'
}
# bad KIND: one bad record (line 3 of the inputs), on stdout
bad() {
	case $1 in
	truncated) printf '{"op":"insert","target":"remote","id":"trunc0001","event":{"summ' ;;
	binary) printf '\001\002\000\377\376{\033[2J\200' ;;
	nonutf8) printf '{"op":"insert","target":"remote","id":"utf800001","event":{"summary":"caf\351"}}' ;;
	nul) printf '{"op":"insert","id":"nul\000001"}' ;;
	array) printf '[{"op":"insert"}]' ;;
	number) printf '42' ;;
	esac
	echo
}
KINDS="truncated binary nonutf8 nul array number"
# huge PREFIX: a 100 MB line after two good ones, streamed (never on disk)
huge() {
	cat "$1"
	printf '{"id":"'
	head -c $HUGE /dev/zero | tr '\0' a
	printf '"}\n'
}
# one_line FILE-NAME LINE: stderr is one line naming the input and line
one_line() {
	[ "$(wc -l <"$ERR")" = 1 ] && grep -q "'$1' line $2: " "$ERR"
}

# --- gcal-push ---------------------------------------------------------------------
{ ins good00001; ins good00002; } >"$T/push.good"
for k in $KINDS; do
	{ cat "$T/push.good"; bad $k; } >"$T/push.$k"
	emu_ctl POST /_emu/log/clear >/dev/null
	run gcal-push -c "$WCAL" "$T/push.$k"
	ok "gcal-push, a $k record: exit 65, one line naming file and line 3, no request, no output" \
		eval '[ "$rc" = 65 ] && one_line "$T/push.$k" 3 && [ "$(emu_log_count)" = 0 ] && [ ! -s "$OUT" ]'
done
# wrongly typed fields of a change record
for rec in '{"op":7,"target":"remote","id":"typed0001"}' \
	'{"op":"insert","target":"remote","id":["typed0001"],"event":{}}' \
	'{"op":"insert","target":"remote","id":"typed0001","event":"not an object"}' \
	'{"op":"update","target":"remote","id":"typed0001","etag":5,"event":{}}' \
	'{"op":"delete","target":"remote","id":"typed0001","etag":null}' \
	'{"op":"insert","target":"remote","id":"typed0001","event":{},"sendUpdates":true}'; do
	{ cat "$T/push.good"; echo "$rec"; } >"$T/push.typed"
	emu_ctl POST /_emu/log/clear >/dev/null
	run gcal-push -c "$WCAL" "$T/push.typed"
	ok "gcal-push, $rec: exit 65 naming line 3, no request" \
		eval '[ "$rc" = 65 ] && one_line "$T/push.typed" 3 && [ "$(emu_log_count)" = 0 ] && [ ! -s "$OUT" ]'
done
emu_ctl POST /_emu/log/clear >/dev/null
huge "$T/push.good" | gcal-push -c "$WCAL" >"$OUT" 2>"$ERR"
rc=$?
ok "gcal-push, a 100 MB line on stdin: exit 65 naming <stdin> line 3, no request" \
	eval '[ "$rc" = 65 ] && one_line "<stdin>" 3 && [ "$(emu_log_count)" = 0 ] && [ ! -s "$OUT" ]'
is "$(emu_ctl GET "/_emu/calendars/$WCAL/events" | wc -l | tr -d ' ')" 0 "... and Google's calendar is still empty"

# --- gcal-diff ------------------------------------------------------------------------
gcal-pull >"$T/remote" 2>/dev/null
{ ev appt00001 "Cut"; ev appt00002 "Dry"; } >"$T/diff.good"
for k in $KINDS; do
	{ cat "$T/diff.good"; bad $k; } >"$T/diff.$k"
	run gcal-diff "$T/remote" "$T/diff.$k"
	ok "gcal-diff, a $k record: exit 65, one line naming file and line 3, no output" \
		eval '[ "$rc" = 65 ] && one_line "$T/diff.$k" 3 && [ ! -s "$OUT" ]'
done
for rec in '{"id":5,"summary":"x"}' '{"id":"appt00003","status":7,"start":"x"}'; do
	{ cat "$T/diff.good"; echo "$rec"; } >"$T/diff.typed"
	run gcal-diff "$T/remote" "$T/diff.typed"
	ok "gcal-diff, $rec: exit 65 naming line 3, no output" \
		eval '[ "$rc" = 65 ] && one_line "$T/diff.typed" 3 && [ ! -s "$OUT" ]'
done
huge "$T/diff.good" | gcal-diff "$T/remote" - >"$OUT" 2>"$ERR"
rc=$?
ok "gcal-diff, a 100 MB line on stdin: exit 65 naming <stdin> line 3, no output" \
	eval '[ "$rc" = 65 ] && one_line "<stdin>" 3 && [ ! -s "$OUT" ]'

# --- forward-apply ------------------------------------------------------------------------
cat >"$T/pbx" <<EOF
#!/bin/sh
echo "\$*" >>"$T/pbx.log"
EOF
chmod +x "$T/pbx"
FSTATE=$XDG_STATE_HOME/gcal/default/forward/333.json
AT=2026-11-23T10:30:00+01:00
{ ev f1 0612345678; ev f2 Lunch; } >"$T/fw.good"
run_in "$T/fw.good" forward-apply -e 333 --at $AT --exec "$T/pbx"
cp "$FSTATE" "$T/fstate.before"
{ ev f1 0687654321; ev f2 Lunch; } >"$T/fw.good2"
for k in $KINDS; do
	{ cat "$T/fw.good2"; bad $k; } >"$T/fw.$k"
	run_in "$T/fw.$k" forward-apply -e 333 --at $AT --exec "$T/pbx"
	ok "forward-apply, a $k record: exit 65 naming <stdin> line 3, no backend call, state kept" \
		eval '[ "$rc" = 65 ] && one_line "<stdin>" 3 && [ "$(wc -l <"$T/pbx.log")" = 1 ] &&
			cmp -s "$FSTATE" "$T/fstate.before" && [ ! -s "$OUT" ]'
done
huge "$T/fw.good2" | forward-apply -e 333 --at $AT --exec "$T/pbx" >"$OUT" 2>"$ERR"
rc=$?
ok "forward-apply, a 100 MB line: exit 65, no backend call, state kept" \
	eval '[ "$rc" = 65 ] && one_line "<stdin>" 3 && [ "$(wc -l <"$T/pbx.log")" = 1 ] && cmp -s "$FSTATE" "$T/fstate.before"'

# --- gcal-auth login: the pasted redirect ------------------------------------------------------
# login_paste FILE: a login that prints the address and reads the paste
login_paste() {
	emu_ctl POST /_emu/log/clear >/dev/null
	rm -rf "$XDG_STATE_HOME/gcal/pasted"
	run_in "$1" gcal-auth login -p pasted --no-browser --timeout 20
}
no_link() {
	[ "$rc" = 65 ] && [ "$(emu_log_count POST '^/token$')" = 0 ] &&
		[ ! -e "$XDG_STATE_HOME/gcal/pasted/token.json" ] && [ "$(grep -c 'gcal-auth:' "$ERR")" = 1 ]
}
printf 'http://127.0.0.1:1/?state=forged&code=4/0AbCdEf&scope=x\n' >"$T/paste.state"
login_paste "$T/paste.state"
ok "login, a pasted redirect with the wrong state: exit 65, no token request, nothing kept" no_link
printf 'http://127.0.0.1:1/?code=4/0AbC' >"$T/paste.trunc"
login_paste "$T/paste.trunc"
ok "... a redirect cut short (no state): the same" no_link
printf 'the weather is fine\n' >"$T/paste.text"
login_paste "$T/paste.text"
ok "... text that is no redirect: the same, naming <stdin> line 1" eval 'no_link && grep -q "<stdin>. line 1" "$ERR"'
head -c 4096 /dev/urandom | tr -d '\n' >"$T/paste.bin"
echo >>"$T/paste.bin"
login_paste "$T/paste.bin"
ok "... binary bytes: the same" no_link
printf 'http://127.0.0.1:1/?state=\377\376&code=\200\n' >"$T/paste.utf8"
login_paste "$T/paste.utf8"
ok "... non-UTF-8 bytes: the same" no_link
emu_ctl POST /_emu/log/clear >/dev/null
rm -rf "$XDG_STATE_HOME/gcal/pasted"
head -c $HUGE /dev/zero | tr '\0' a | gcal-auth login -p pasted --no-browser --timeout 20 >"$OUT" 2>"$ERR"
rc=$?
ok "... a 100 MB paste: the same" no_link

# --- GCAL_REPLAY: recorded fixtures ------------------------------------------------------------
GCAL_RECORD=$T/good.cassette gcal-auth calendars >/dev/null 2>&1
head -1 "$T/good.cassette" >"$T/c.one"
cat "$T/c.one" "$T/c.one" >"$T/c.good"
replay() { # FILE
	emu_ctl POST /_emu/log/clear >/dev/null
	run env GCAL_REPLAY="$1" gcal-auth calendars
}
for k in $KINDS; do
	{ cat "$T/c.good"; bad $k; } >"$T/c.$k"
	replay "$T/c.$k"
	ok "GCAL_REPLAY, a $k line: exit 65 naming file and line 3, no request" \
		eval '[ "$rc" = 65 ] && grep -q "$T/c.$k. line 3" "$ERR" && [ "$(wc -l <"$ERR")" = 1 ] &&
			[ "$(emu_log_count)" = 0 ] && [ ! -s "$OUT" ]'
done
for rec in '{"request":{"method":"GET","url":5},"response":{}}' '{"request":"GET","response":{"status":200}}' \
	'{"request":{"method":"GET","url":"u"},"response":[]}'; do
	{ cat "$T/c.good"; echo "$rec"; } >"$T/c.typed"
	replay "$T/c.typed"
	ok "GCAL_REPLAY, $rec: exit 65 naming line 3, no request" \
		eval '[ "$rc" = 65 ] && grep -q "line 3" "$ERR" && [ "$(emu_log_count)" = 0 ]'
done
# a recorded answer of the wrong shape is not a crash: the run fails cleanly
jq -c '.response.status = 1e300 | .response.body = "{\"items\":7}"' "$T/c.good" >"$T/c.odd"
replay "$T/c.odd"
ok "GCAL_REPLAY, an answer with status 1e300 and items 7: a clean failure, no request" \
	eval '[ "$rc" != 0 ] && [ "$rc" -lt 128 ] && [ "$(emu_log_count)" = 0 ]'

# --- input files that cannot be read: 66, one line naming the file -----------
mkdir "$T/adir"
noinput() { # DESCRIPTION NAME: exit 66, one line naming NAME, no request, no output
	if [ "$rc" = 66 ] && [ "$(wc -l <"$ERR")" = 1 ] && grep -qF -- "'$2'" "$ERR" &&
		[ "$(emu_log_count)" = 0 ] && [ ! -s "$OUT" ]; then
		pass "$1: exit 66, one line naming it, no request, no output"
	else
		fail "$1: exit 66, one line naming it, no request, no output"
		echo "#   rc=$rc"
	fi
}
for f in "$T/adir" "$T/missing"; do
	what=$( [ -d "$f" ] && echo "a directory" || echo "a missing file")
	emu_ctl POST /_emu/log/clear >/dev/null
	run gcal-push -c "$WCAL" "$f"
	noinput "gcal-push, $what" "$f"
	run gcal-diff "$f" /dev/null
	noinput "gcal-diff OLD, $what" "$f"
	run gcal-diff /dev/null "$f"
	noinput "gcal-diff NEW, $what" "$f"
	run gcal-diff --base "$f" /dev/null /dev/null
	noinput "gcal-diff --base, $what" "$f"
	run forward-apply -e 333 --post "$EMU_URL/x" --body-file "$f"
	noinput "forward-apply --body-file, $what" "$f"
	run env GCAL_REPLAY="$f" gcal-auth calendars
	noinput "GCAL_REPLAY, $what" "$f"
done
forward-apply -e 333 -n <"$T/adir" >"$OUT" 2>"$ERR"
rc=$?
noinput "forward-apply, standard input a directory" "<stdin>"
gcal-push -c "$WCAL" <"$T/adir" >"$OUT" 2>"$ERR"
rc=$?
noinput "gcal-push, standard input a directory" "<stdin>"

done_testing
