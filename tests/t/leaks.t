#!/bin/sh
# The main paths under valgrind: no invalid access, no use of
# uninitialised memory, no definite leak.
. "$(dirname "$0")/../lib.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind is not installed (Debian package valgrind)"
	exit 0
fi
case $GCAL_BUILD in
*san*) echo "1..0 # SKIP sanitizer builds do not run under valgrind"; exit 0 ;;
esac
emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account || { echo "Bail out! cannot link"; exit 1; }
TZ=Europe/Amsterdam
export TZ
PCAL=alice@example.com
emu_ctl POST /_emu/calendars/$PCAL/generate \
	'{"count":300,"start":"2026-11-20T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null

# vg NAME [< FILE] PROG ARGS...: run under valgrind; pass when it found nothing
vg() {
	_n=$1
	shift
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 --log-file="$T/vg.$_n" "$@" >"$OUT" 2>"$ERR" <"${VIN:-/dev/null}"
	rc=$?
	if [ "$rc" != 99 ] && [ ! -s "$T/vg.$_n" ]; then
		pass "$_n: valgrind finds nothing (exit $rc)"
	else
		fail "$_n: valgrind finds errors (exit $rc)"
		sed 's/^/#   /' "$T/vg.$_n" | head -40
	fi
}

vg "gcal-auth token --refresh" gcal-auth token --refresh
is "$rc" 0 "... exits 0"
vg "gcal-auth calendars" gcal-auth calendars
vg "gcal-pull (full)" gcal-pull --full
cp "$OUT" "$T/remote"
is "$(wc -l <"$T/remote" | tr -d ' ')" 300 "... prints the 300 events"
id=$(head -1 "$T/remote" | jq -r .id)
emu_ctl PATCH "/_emu/calendars/$PCAL/events/$id" '{"summary":"0612345678"}' >/dev/null
vg "gcal-pull --changes (incremental)" gcal-pull --changes
is "$(jq -r .id "$OUT")" "$id" "... prints the change"
vg "gcal-pull --expand --filter" gcal-pull --expand --filter '.summary'

# a local side: the remote events, one changed, one new, one gone
jq -c 'select(.summary != "Event 5") | if .summary == "Event 7" then .summary = "Seven" else . end' \
	"$T/remote" >"$T/local"
jq -nc '{summary:"New one", start:{dateTime:"2026-12-24T10:00:00Z"}, end:{dateTime:"2026-12-24T11:00:00Z"}, key:"n1"}' >>"$T/local"
vg "gcal-diff (two-way)" gcal-diff --all -k .key "$T/remote" "$T/local"
cp "$OUT" "$T/changes"
vg "gcal-diff --base (three-way)" gcal-diff --base "$T/remote" -k .key "$T/local" "$T/remote"

WCAL=$(gcal-auth use --create "Leaks" | jq -r .id)
jq -c 'select(.op == "insert")' "$T/changes" >"$T/ins"
VIN=$T/ins vg "gcal-push (inserts)" gcal-push -c "$WCAL"
is "$rc" 0 "... exits 0"
gcal-pull -c "$WCAL" >"$T/w" 2>/dev/null
jq -c '{op:"update", target:"remote", id, etag, event:(.summary = "changed")}' "$T/w" >"$T/upd"
jq -c '{op:"delete", target:"remote", id, etag}' "$T/w" | head -1 >>"$T/upd"
VIN=$T/upd vg "gcal-push (an update and a delete, one in conflict)" gcal-push -c "$WCAL"

cat >"$T/pbx" <<EOF
#!/bin/sh
echo "\$*" >>"$T/pbx.log"
EOF
chmod +x "$T/pbx"
gcal-pull -c "$PCAL" --expand >"$T/fw" 2>/dev/null
VIN=$T/fw vg "forward-apply --exec" forward-apply -e 333 --at "$(jq -r 'select(.summary == "0612345678") | .start.dateTime' "$T/fw")" --exec "$T/pbx"
is "$rc" 0 "... exits 0"
ok "... and applied the forward" has 0612345678 "$T/pbx.log"
VIN=$T/fw vg "forward-apply --explain -n" forward-apply -e 333 --explain -n

done_testing
