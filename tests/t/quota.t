#!/bin/sh
# The quota governor: one per host, shared by every process; slowed by
# rate-limit answers; Google's daily limit stops a user's writes (exit 4).
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
for u in alice bob; do
	emu_ctl POST /_emu/config "{\"consent_user\":\"$u@example.com\"}" >/dev/null
	run link_account "$u"
	[ "$rc" = 0 ] || echo "Bail out! link $u"
	gcal-auth use -p "$u" --create "Bookings" >/dev/null || echo "Bail out! use $u"
done
emu_ctl POST /_emu/config '{"consent_user":"alice@example.com"}' >/dev/null
TABLE=$XDG_STATE_HOME/gcal/quota
PEAK="python3 $(dirname "$0")/../helpers/peak-rate"
# a minute of 2 s, so that a test does not wait for Google's; the
# emulator sees a call up to a few ms after it was counted, which matters
# in so short a minute: its windows are taken 100 ms shorter
MINUTE=2000
WINDOW=1900
export GCAL_QUOTA_MINUTE_MS=$MINUTE

# ins ID SUMMARY: an insert change record
ins() {
	jq -nc --arg id "$1" --arg s "$2" '{op:"insert", target:"remote", id:$id,
		event:{summary:$s, start:{dateTime:"2026-12-01T10:00:00Z"},
		end:{dateTime:"2026-12-01T10:30:00Z"},
		extendedProperties:{private:{gcalOwner:"gcal", gcalKey:$id}}}}'
}
# inserts N PREFIX: N insert records
inserts() {
	_i=0
	while [ "$_i" -lt "$1" ]; do ins "$2$(printf %05d "$_i")" "$2 $_i"; _i=$((_i + 1)); done
}
inserts 15 qa >"$T/a15"
inserts 15 qb >"$T/b15"
inserts 15 qc >"$T/c15"
inserts 15 qd >"$T/d15"
log() { curl -sS -f "$EMU_URL/_emu/log" >"$T/log"; }

# --- two processes of one user share its minute ------------------------------
emu_ctl POST /_emu/log/clear >/dev/null
GCAL_QUOTA_USER=20 gcal-push -p alice --batch 5 "$T/a15" >"$T/o1" 2>"$T/e1" &
p1=$!
GCAL_QUOTA_USER=20 gcal-push -p alice --batch 5 "$T/b15" >"$T/o2" 2>"$T/e2" &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
is "$r1 $r2" "0 0" "two gcal-push of one user at once, 15 calls each, a minute of 20: both exit 0"
log
ok "... never more than 20 calls of the user in any minute" \
	test "$($PEAK $WINDOW alice@example.com <"$T/log")" -le 20
is "$(jq -s '[.[].status] | unique | join(",")' -r "$T/o1" "$T/o2")" ok "... every change applied"

# the same without the governor: the check above can fail
emu_ctl POST /_emu/log/clear >/dev/null
GCAL_QUOTA=off GCAL_QUOTA_USER=20 gcal-push -p alice --batch 5 "$T/c15" >"$T/o1" 2>"$T/e1" &
p1=$!
GCAL_QUOTA=off GCAL_QUOTA_USER=20 gcal-push -p alice --batch 5 "$T/d15" >"$T/o2" 2>"$T/e2" &
p2=$!
wait $p1; wait $p2
log
ok "... while without it (GCAL_QUOTA=off) the pair sends more" \
	test "$($PEAK $MINUTE alice@example.com <"$T/log")" -gt 20

# --- the project's minute is shared by its users -----------------------------
inserts 15 pa >"$T/pa"
inserts 15 pb >"$T/pb"
emu_ctl POST /_emu/log/clear >/dev/null
GCAL_QUOTA_PROJECT=20 gcal-push -p alice --batch 5 "$T/pa" >"$T/o1" 2>"$T/e1" &
p1=$!
GCAL_QUOTA_PROJECT=20 gcal-push -p bob --batch 5 "$T/pb" >"$T/o2" 2>"$T/e2" &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
is "$r1 $r2" "0 0" "two users of one project at once, a project minute of 20: both exit 0"
log
ok "... never more than 20 calls of the project in any minute" test "$($PEAK $WINDOW <"$T/log")" -le 20

# --- a rate-limit answer slows the user for every process --------------------
sleep 2.5
inserts 12 ra >"$T/ra"
inserts 12 rb >"$T/rb"
run env GCAL_QUOTA_USER=20 gcal-push -v -p alice --batch 4 "$T/ra"
ok "a push of 12 calls in a minute of 20 does not wait" lacks "quota: the minute is spent" "$ERR"
sleep 2.5
emu_ctl POST /_emu/faults '{"path":"/events$","method":"GET","status":429,"times":1}' >/dev/null
run env GCAL_QUOTA_USER=20 gcal-pull -p alice
is "$rc" 0 "a pull told 429 once retries and exits 0"
run env GCAL_QUOTA_USER=20 gcal-push -v -p alice --batch 4 "$T/rb"
is "$rc" 0 "the next process of the same user exits 0"
ok "... but waits: the 429 halved the user's minute for every process" \
	has "quota: the minute is spent" "$ERR"

# --- Google's daily limit -------------------------------------------------------
rm -f "$TABLE"
emu_ctl POST /_emu/quota/config '{"daily_writes_per_user":2}' >/dev/null
inserts 5 da >"$T/da"
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-push -p alice --batch 1 "$T/da"
is "$rc" 4 "at Google's daily limit (403 quotaExceeded) gcal-push exits 4"
is "$(jq -r .status "$OUT" | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" "3failed 2ok " \
	"... 2 changes made, 3 failed"
is "$(jq -r 'select(.status == "failed") | .reason' "$OUT" | sort -u)" quotaExceeded "... with Google's reason"
is "$(emu_log_count POST '^/batch')" 3 "... and no call after Google said so"
ok "... saying until when" has "daily Calendar usage limit for this user is reached; run again after 20" "$ERR"
inserts 1 db >"$T/db"
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-push -p alice "$T/db"
is "$rc $(emu_log_count POST '^/batch')" "4 0" "another process of the user exits 4 and sends nothing"
inserts 1 dc >"$T/dc"
run gcal-push -p bob "$T/dc"
is "$rc" 0 "another user's writes go on"
run gcal-pull -p alice
is "$rc" 0 "the user's reads go on"
emu_ctl POST /_emu/quota/config '{"daily_writes_per_user":null}' >/dev/null
rm -f "$TABLE"

# --- shards: each gets 1/K of the minutes ---------------------------------------
inserts 15 sh >"$T/sh"
run env GCAL_QUOTA_USER=20 gcal-run --shard 0/1 --profiles alice exec gcal-push -v --batch 5 "$T/sh"
ok "gcal-run --shard 0/1: a child's 15 calls fit a minute of 20" lacks "quota: the minute is spent" "$ERR"
sleep 2.5
inserts 15 si >"$T/si"
s=0
while ! gcal-run --shard "$s/2" status | grep -q '"alice"'; do s=$((s + 1)); done
run env GCAL_QUOTA_USER=20 gcal-run --shard "$s/2" --profiles alice exec gcal-push -v --batch 5 "$T/si"
is "$rc" 0 "gcal-run --shard I/2 exits 0"
ok "... its child waits: a shard of 2 has 10 of the 20" has "quota: the minute is spent" "$ERR"

# --- the table itself -----------------------------------------------------------
printf 'not a quota table at all, but long enough to read its head\n' >"$TABLE"
run gcal-pull -p alice
is "$rc" 78 "a damaged quota table exits 78"
ok "... naming it" has "state/gcal/quota': damaged" "$ERR"
printf 'gcalqta\000\143\000\000\000' >"$TABLE"
head -c 4096 /dev/zero >>"$TABLE"
run gcal-pull -p alice
is "$rc" 78 "a quota table of a version this gcal does not know exits 78"
ok "... saying so" has "version 99, this gcal knows 1" "$ERR"
rm -f "$TABLE"
run env GCAL_QUOTA_USER=0 gcal-pull -p alice
is "$rc" 64 "a bad \$GCAL_QUOTA_USER exits 64"

done_testing
