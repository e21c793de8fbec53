#!/bin/sh
# State and config files: a damaged file is named, never taken for a
# missing one; no predictable name is followed through a planted link;
# directories others can write to are refused.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
C=$XDG_CONFIG_HOME/gcal
S=$XDG_STATE_HOME/gcal

# --- a damaged profile.json --------------------------------------------------
run link_account dmg
is "$rc" 0 "a profile is linked"
run link_account good
cp "$C/dmg/profile.json" "$T/profile.saved"
printf '{"kind":"oauth",\n"account":"alice@example.com"\n' >"$C/dmg/profile.json"
run gcal-auth status -p dmg
is "$rc" 78 "status of a profile whose profile.json is cut off exits 78"
ok "... naming the file and its line" has "'$C/dmg/profile.json' line 2: not JSON" "$ERR"
lacks "no such profile" "$ERR" && pass "... not \"no such profile\"" || fail "... not \"no such profile\""
is "$(wc -l <"$ERR" | tr -d ' ')" 1 "... in one line"
run gcal-pull -p dmg
is "$rc" 78 "gcal-pull of it exits 78 too"
ok "... naming the file" has "profile.json' line 2" "$ERR"
run gcal-auth list
is "$rc" 78 "gcal-auth list exits 78 when a profile is damaged"
is "$(jq -r 'select(.profile == "dmg") | .damaged' "$OUT" | grep -c "profile.json' line 2")" 1 \
	"... and shows the damaged profile as damaged, not left out"
is "$(jq -r 'select(.profile == "good") | .linked' "$OUT")" true "... beside the good one"
echo '[1,2]' >"$C/dmg/profile.json"
run gcal-auth status -p dmg
ok "a profile.json that is not an object is damaged too" \
	eval 'test "$rc" = 78 && has "profile.json'"'"' line 1: a JSON array, not an object" "$ERR"'
cp "$T/profile.saved" "$C/dmg/profile.json"

# --- a damaged token.json ----------------------------------------------------
cp "$S/dmg/token.json" "$T/token.saved"
head -c 40 "$T/token.saved" >"$S/dmg/token.json"
run gcal-auth token -p dmg
is "$rc" 78 "a cut-off token.json exits 78"
ok "... naming the file and its line" has "'$S/dmg/token.json' line 1: not JSON" "$ERR"
lacks "link is gone" "$ERR" && pass "... not \"the link is gone\"" || fail "... not \"the link is gone\""
ok "... never quoting it" eval '! grep -qF "$(head -c 30 "$T/token.saved" | tail -c 20)" "$ERR"'
run gcal-auth status -p dmg
is "$(jq -r .damaged "$OUT" | grep -c "token.json' line 1")" 1 "status shows the token file as damaged"
is "$(jq -r .linked "$OUT")" false "... and the link as not usable"
run gcal-revoke -p dmg
is "$rc" 78 "gcal-revoke of it exits 78 (nothing to revoke with, nothing forgotten)"
ok "... naming the file" has "token.json' line 1" "$ERR"
ok "... and keeps the profile" has '"account"' "$C/dmg/profile.json"
cp "$T/token.saved" "$S/dmg/token.json"
run gcal-auth token -p dmg
is "$rc" 0 "restored, the token works again"

# --- planted symbolic links --------------------------------------------------
# Each predictable name, planted as a link to a file of the user's: the
# target keeps its bytes and its mode.
victim=$T/victim
plant() { # plant PATH: replace PATH by a link to a fresh victim file
	printf 'precious\n' >"$victim"
	chmod 644 "$victim"
	rm -rf "$1"
	mkdir -p "$(dirname "$1")"
	ln -s "$victim" "$1"
}
intact() {
	test "$(cat "$victim")" = precious && test "$(mode "$victim")" = 644
}
cat >"$T/ev.ndjson" <<'EOD'
{"op":"insert","target":"remote","id":"planted0001","event":{"summary":"x","start":{"dateTime":"2026-11-23T10:00:00+01:00"},"end":{"dateTime":"2026-11-23T11:00:00+01:00"}}}
EOD
run gcal-auth use -p good --create Planted
run_in "$T/ev.ndjson" gcal-push -p good
is "$rc" 0 "a calendar with one event"
run gcal-pull -p good
is "$rc" 0 "... pulled once"
SYNC=$(dirname "$(ls "$S"/good/sync/*/state.json)")
ls "$SYNC" >"$T/names"
ok "... leaving a mirror file" grep -q '^mirror\.[0-9]*$' "$T/names"
gen=$(sed -n 's/^mirror\.\([0-9]*\)$/\1/p' "$T/names" | sort -n | tail -1)

plant "$SYNC/mirror.$((gen + 1)).tmp"
run gcal-pull -p good --full
is "$rc" 0 "a full pull with a link planted as the next mirror.N.tmp works"
intact && pass "... and does not write through the link" || fail "... and does not write through the link"
plant "$SYNC/mirror.$((gen + 2))"
run gcal-pull -p good --full
intact && pass "... nor through one planted as the next mirror.N" || fail "... nor through one planted as the next mirror.N"
for j in 1 2 3; do plant "$SYNC/delta.$j"; done
# a change, so the next pull writes a delta file
printf '%s\n' '{"op":"insert","target":"remote","id":"planted0002","event":{"summary":"y","start":{"dateTime":"2026-11-24T10:00:00+01:00"},"end":{"dateTime":"2026-11-24T11:00:00+01:00"}}}' >"$T/ev2.ndjson"
run_in "$T/ev2.ndjson" gcal-push -p good
run gcal-pull -p good --changes
intact && pass "... nor as delta.N" || fail "... nor as delta.N"
run gcal-pull -p good
is "$rc" 0 "pulls still work afterwards"
ok "... and see both events" eval 'has planted0001 "$OUT" && has planted0002 "$OUT"'

rm -f "$S/good/lock"
plant "$S/good/lock"
rm -f "$victim"
run gcal-pull -p good
is "$rc" 78 "a lock file planted as a link is refused with 78"
ok "... without creating its target" test ! -e "$victim"
ok "... in one line naming it" eval 'has "lock'"'"': a symbolic link" "$ERR" && test "$(wc -l <"$ERR")" -eq 1'
rm -f "$S/good/lock"

cp "$S/good/token.json" "$T/good-token"
plant "$S/good/token.json"
chmod 644 "$victim"
run gcal-auth token -p good
ok "a token.json planted as a link is not read through" test "$rc" != 0
intact && pass "... and its target is not chmodded" || fail "... and its target is not chmodded"
rm -f "$S/good/token.json"
cp "$T/good-token" "$S/good/token.json"
chmod 600 "$S/good/token.json"
plant "$S/good/token.lock"
rm -f "$victim"
run gcal-auth token -p good --refresh
is "$rc" 78 "a token.lock planted as a link is refused with 78"
ok "... without creating its target" test ! -e "$victim"
rm -f "$S/good/token.lock"
plant "$SYNC/state.json"
run gcal-pull -p good
ok "a sync state.json planted as a link is not read through" test "$rc" != 0
intact && pass "... nor chmodded" || fail "... nor chmodded"
rm -f "$SYNC/state.json"
run gcal-pull -p good --full
is "$rc" 0 "... and a full pull makes a new one"
ok "... a file, not the link" eval 'test -f "$SYNC/state.json" && test ! -L "$SYNC/state.json"'
cp "$T/good-token" "$T/good-token2"
rm -f "$S/good/token.json"
cp "$T/good-token" "$S/good/token.json"
chmod 600 "$S/good/token.json"

cp "$C/good/profile.json" "$T/good-profile"
plant "$C/good/profile.json"
run gcal-auth status -p good
is "$rc" 78 "a profile.json planted as a link is refused with 78"
intact && pass "... and its target is not chmodded" || fail "... and its target is not chmodded"
rm -f "$C/good/profile.json"
cp "$T/good-profile" "$C/good/profile.json"

plant "$S/good/token.json.new"
run gcal-auth token -p good --refresh
is "$rc" 0 "a link planted as token.json.new: the refresh still works"
intact && pass "... without writing through it" || fail "... without writing through it"

# --- directories others can write to -----------------------------------------
chmod 775 "$S/good"
run gcal-auth token -p good
is "$rc" 78 "a group-writable state directory is refused with 78"
ok "... in one line naming it" eval 'has "'"'$S/good'"': writable by others" "$ERR" && test "$(wc -l <"$ERR")" -eq 1'
chmod 700 "$S/good"
chmod 757 "$C"
run gcal-auth status -p good
is "$rc" 78 "a world-writable config directory is refused with 78"
chmod 700 "$C"
chmod 750 "$C/good"
run gcal-auth status -p good
is "$rc" 0 "a directory others can only read is tightened"
is "$(mode "$C/good")" 700 "... to 0700"

# --- format versions -----------------------------------------------------------
# newer FILE: FILE as a newer gcal would write it
newer() {
	jq -c '.version = 9' "$1" >"$T/newer" && cat "$T/newer" >"$1"
}
# unversioned FILE: FILE as gcal wrote it before versions
unversioned() {
	jq -c 'del(.version)' "$1" >"$T/unv" && cat "$T/unv" >"$1"
}
ok "profile.json carries its format version" jq_ok '.version == 1' "$C/good/profile.json"
ok "token.json too" jq_ok '.version == 1' "$S/good/token.json"
run gcal-pull -p good
is "$rc" 0 "a pull of the good profile"
MS=$(ls "$S"/good/sync/*/state.json)
ok "... writes a mirror state.json with its format version" jq_ok '.version == 1' "$MS"
cp "$C/good/profile.json" "$T/v-profile"
newer "$C/good/profile.json"
run gcal-pull -p good
is "$rc" 78 "a profile.json of a newer format version exits 78"
ok "... saying so in one line" eval 'has "'"'$C/good/profile.json'"': format version 9 is newer than this gcal knows (1); upgrade gcal" "$ERR" && test "$(wc -l <"$ERR")" -eq 1'
ok "... and the file is left as it was" jq_ok '.version == 9' "$C/good/profile.json"
cp "$T/v-profile" "$C/good/profile.json"
jq -c '.version = "2"' "$T/v-profile" >"$C/good/profile.json"
run gcal-auth status -p good
ok "a version that is not a number is damage (78, named)" \
	eval 'test "$rc" = 78 && has "\"version\" is not a format version" "$ERR"'
cp "$T/v-profile" "$C/good/profile.json"

cp "$S/good/token.json" "$T/v-token"
newer "$S/good/token.json"
run gcal-pull -p good
ok "a token.json of a newer format version exits 78, saying so" \
	eval 'test "$rc" = 78 && has "token.json'"'"': format version 9 is newer" "$ERR"'
ok "... and is not replaced" jq_ok '.version == 9' "$S/good/token.json"
cp "$T/v-token" "$S/good/token.json"

cp "$MS" "$T/v-mirror"
newer "$MS"
run gcal-pull -p good
ok "a mirror state.json of a newer format version exits 78, saying so" \
	eval 'test "$rc" = 78 && has "state.json'"'"': format version 9 is newer" "$ERR"'
lacks "remove it" "$ERR" && pass "... and does not offer to remove it" || fail "... and does not offer to remove it"
ok "... which is still there" jq_ok '.version == 9' "$MS"
cp "$T/v-mirror" "$MS"

# files written before versions: read as version 1, and given it when
# next written
unversioned "$C/good/profile.json"
unversioned "$S/good/token.json"
unversioned "$MS"
run gcal-pull -p good --changes
is "$rc" 0 "unversioned profile.json, token.json and state.json (today's main) are still read"
ok "... and the mirror state is rewritten with its version" jq_ok '.version == 1' "$MS"
run gcal-auth token -p good --refresh
ok "... the token file too, at its next refresh" jq_ok '.version == 1' "$S/good/token.json"

FS=$T/fw.json
jq -nc '{extension:"333", to:["0612345678"], from:[], events:[], at:"2026-11-23T10:00:00Z", result:"applied"}' >"$FS"
chmod 600 "$FS"
: >"$T/noev"
run_in "$T/noev" forward-apply -e 333 --state "$FS" --at 2026-11-23T10:30:00+01:00 --exec true
is "$rc" 0 "an unversioned forward-apply state is read"
ok "... and rewritten with its version" jq_ok '.version == 1 and .to == []' "$FS"
newer "$FS"
run_in "$T/noev" forward-apply -e 333 --state "$FS" --at 2026-11-23T10:30:00+01:00 --exec true
ok "a forward-apply state of a newer version exits 78, saying so" \
	eval 'test "$rc" = 78 && has "fw.json'"'"': format version 9 is newer" "$ERR"'

mkdir -p "$T/sy"
echo '{"owner":"gcal","version":9}' >"$T/sy/state.json"
chmod 600 "$T/sy/state.json"
run gcal-sync -p good --local "$T/noev" -k .id --state "$T/sy" --apply-cmd true
ok "a gcal-sync base of a newer version exits 78, saying so" \
	eval 'test "$rc" = 78 && has "state.json'"'"': format version 9 is newer" "$ERR"'

done_testing
