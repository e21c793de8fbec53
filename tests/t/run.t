#!/bin/sh
# gcal-run: many links, one job each; due, jitter, backoff, skip; status.
. "$(dirname "$0")/../lib.sh"

emu_start || { echo "Bail out! emulator"; exit 1; }
emu_ctl POST /_emu/users '{"email":"carol@example.com"}' >/dev/null
for u in alice bob carol; do
	emu_ctl POST /_emu/config "{\"consent_user\":\"$u@example.com\"}" >/dev/null
	run link_account "$u"
	[ "$rc" = 0 ] || echo "Bail out! link $u"
	# each its own calendar by name, so that a fault can pick one
	f=$XDG_CONFIG_HOME/gcal/$u/profile.json
	jq --arg c "$u@example.com" '.calendar = $c' "$f" >"$f.new" && mv "$f.new" "$f"
	emu_ctl POST /_emu/calendars/$u@example.com/generate \
		'{"count":3,"start":"2026-01-05T08:00:00Z","summary":"'"$u"' %d"}' >/dev/null
done
emu_ctl POST /_emu/config '{"consent_user":"alice@example.com"}' >/dev/null
RUNJSON() { echo "$XDG_STATE_HOME/gcal/$1/run.json"; }
# record PROFILE STATUS AGO_SECONDS [FAILURES]: a last run, as if it was
# AGO_SECONDS ago, with the link's fingerprint of now
record() {
	jq -n --arg w "$(date -u -d "@$(($(date +%s) - $3))" +%Y-%m-%dT%H:%M:%SZ)" \
		--argjson s "$2" --argjson f "${4:-0}" \
		'{when: $w, job: "pull", status: $s, requests: 1, changes: 0, duration_ms: 5, failures: $f, link: "x"}' \
		>"$(RUNJSON "$1")"
}
calls() { emu_log_count GET '/events$'; }

# --- a first pull of every link -------------------------------------------
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-run pull
is "$rc" 0 "gcal-run pull of three links exits 0"
is "$(jq -r .profile "$OUT" | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" \
	"3alice 3bob 3carol " "... each link's events, tagged with its profile"
ok "... as Google's event resources" jq_ok -s 'all(.[]; .kind == "calendar#event")' "$OUT"
is "$(calls)" 3 "... one list request a link"
run gcal-run pull
is "$(wc -l <"$OUT" | tr -d ' ')" 0 "a second pull prints only what changed: nothing"
is "$(calls)" 6 "... with one more request a link"

# --- status ---------------------------------------------------------------
run gcal-run status
is "$rc" 0 "status exits 0"
is "$(jq -r '[.profile, .job, .status, .health, .requests, .changes] | join(" ")' "$OUT" | tr '\n' ,)" \
	"alice pull 0 ok 1 0,bob pull 0 ok 1 0,carol pull 0 ok 1 0," \
	"... a line a link: job, exit status, health, requests, changes"
ok "... with when and how long" jq_ok -s 'all(.[]; (.when | test("^20[0-9-]+T")) and (.duration_ms | type) == "number")' "$OUT"
run gcal-run status --prometheus
is "$rc" 0 "status --prometheus exits 0"
ok "... Prometheus text: a HELP and TYPE line a metric" \
	test "$(grep -c '^# TYPE gcal_run_[a-z_]* gauge$' "$OUT")" = 7
ok "... a sample a link and metric" has '^gcal_run_last_status{profile="bob",job="pull"} 0$' "$OUT"
ok "... the requests of its last run" has '^gcal_run_last_requests{profile="carol",job="pull"} 1$' "$OUT"
ok "... nothing else" sh -c "! grep -v -e '^# HELP gcal_run_' -e '^# TYPE gcal_run_' -e '^gcal_run_[a-z_]*{profile=\"[a-z]*\",job=\"[a-z]*\"} [0-9.e+-]*\$' '$OUT'"

# --- due: --every and its jitter --------------------------------------------
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-run --every 1h pull
is "$(calls)" 0 "--every 1h: links that ran a moment ago are not due"
record alice 0 7200
record bob 0 1800
record carol 0 4800
run gcal-run --every 1h --jitter 25 pull
is "$(calls)" 2 "--every 1h --jitter 25: due after 2 h and after 80 min (at most 75), not after 30 min (at least 45)"
ok "... bob is not run" sh -c "jq -e '.when' '$(RUNJSON bob)' | grep -q 'T'"
record alice 0 3540
record bob 0 3660
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-run --profiles alice,bob --every 1h --jitter 0 pull
is "$(calls)" 1 "--jitter 0: due after 61 min, not after 59"
# the offset is the link's own, the same on every run
for i in 1 2 3; do
	record alice 0 3300
	emu_ctl POST /_emu/log/clear >/dev/null
	run gcal-run --profiles alice --every 1h --jitter 25 pull
	echo "$(calls)"
done >"$T/stable"
is "$(sort -u "$T/stable" | wc -l | tr -d ' ')" 1 "... the jitter is a stable offset a link"

# --- 75 backs off -----------------------------------------------------------
emu_ctl POST /_emu/faults '{"path":"/calendars/bob[^/]*/events$","status":503,"times":100}' >/dev/null
run env GCAL_RETRIES=0 gcal-run pull
is "$rc" 75 "a link that gets 503 makes gcal-run exit 75"
is "$(jq -r '.status, .failures' "$(RUNJSON bob)" | tr '\n' ' ')" "75 1 " "... its record says 75, once"
run gcal-run status
is "$(jq -r 'select(.profile == "bob") | .health' "$OUT")" backoff "... and its health: backoff"
emu_ctl DELETE /_emu/faults >/dev/null
record bob 75 150 3
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-run --profiles bob pull
is "$(calls)" 0 "after 3 failures in a row, 150 s is too soon (60 s, doubled twice: 240 s)"
record bob 75 250 3
run gcal-run --profiles bob pull
is "$rc $(calls)" "0 1" "... 250 s is not; it runs and exits 0"
is "$(jq -r .failures "$(RUNJSON bob)")" 0 "... and the count of failures starts again"

# --- 77 is skipped until linked again ----------------------------------------
emu_ctl POST /_emu/grants/revoke '{"user":"carol@example.com"}' >/dev/null
emu_ctl POST /_emu/tokens/expire '{"user":"carol@example.com"}' >/dev/null
run gcal-run pull
is "$rc" 77 "a link whose grant is revoked: gcal-run exits 77"
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-run pull
is "$rc" 77 "the next run still exits 77"
is "$(emu_log_count '' '')" 2 "... without trying carol again (one request for each other link)"
ok "... saying that carol must be linked again" has "profile 'carol': skipped: .*gcal-auth login -p carol" "$ERR"
run gcal-run status
is "$(jq -r 'select(.profile == "carol") | .health' "$OUT")" relink "... status: relink"
emu_ctl POST /_emu/config '{"consent_user":"carol@example.com"}' >/dev/null
run link_account carol
emu_ctl POST /_emu/config '{"consent_user":"alice@example.com"}' >/dev/null
run gcal-run pull
is "$rc" 0 "once linked again it runs, and gcal-run exits 0"

# --- which links: --profiles, --filter, --shard ------------------------------
run gcal-run --profiles alice,nobody pull
is "$rc" 78 "--profiles naming no profile exits 78"
ok "... naming it" has "no profile 'nobody'" "$ERR"
run gcal-run --filter 'select(.account == "bob@example.com")' exec sh -c 'echo "$GCAL_PROFILE"'
is "$rc $(cat "$OUT")" "0 bob" "--filter: a jq program over gcal-auth list selects the links"
: >"$T/shards"
for i in 0 1 2; do
	run gcal-run --shard "$i/3" status
	jq -r .profile "$OUT" >>"$T/shards"
done
is "$(sort "$T/shards" | tr '\n' ' ')" "alice bob carol " "--shard I/3: the three shards split the links exactly"
for i in 0 1 2 3 4 5 6 7 8 9; do mkdir -p "$XDG_CONFIG_HOME/gcal/p$i"; echo '{}' >"$XDG_CONFIG_HOME/gcal/p$i/profile.json"; done
: >"$T/shards"
for i in 0 1 2 3; do
	run gcal-run --shard "$i/4" status
	jq -r .profile "$OUT" >>"$T/shards"
done
is "$(sort "$T/shards" | uniq -d | wc -l | tr -d ' ') $(wc -l <"$T/shards" | tr -d ' ')" "0 13" \
	"--shard I/4 over 13 profiles: each in exactly one shard"
for i in 0 1 2 3 4 5 6 7 8 9; do rm -rf "$XDG_CONFIG_HOME/gcal/p$i"; done
run gcal-run --shard 3/3 pull
is "$rc" 64 "--shard 3/3 is a usage error"

# --- child jobs ------------------------------------------------------------
run gcal-run exec sh -c 'echo "$GCAL_PROFILE"'
is "$rc $(sort "$OUT" | tr '\n' ' ')" "0 alice bob carol " "exec CMD runs CMD once a link, with GCAL_PROFILE set"
run gcal-run exec sh -c '[ "$GCAL_PROFILE" = bob ] && exit 65; exit 0'
is "$rc" 65 "gcal-run exits with the worst of its links' statuses"
is "$(jq -r .status "$(RUNJSON bob)")" 65 "... and each link's record has its own"
run gcal-run -j 1 exec sh -c 'mkdir "$0" || exit 70; sleep 0.2; rmdir "$0"' "$T/one-at-a-time"
is "$rc" 0 "-j 1: one link at a time"
run gcal-run exec
is "$rc" 64 "exec without a command is a usage error"
run gcal-run -j 2 status
is "$rc" 64 "-j does not go with status"
run gcal-run frobnicate
is "$rc" 64 "an unknown job is a usage error"

# --- a damaged record ---------------------------------------------------------
echo '{"when":' >"$(RUNJSON alice)"
run gcal-run --profiles alice pull
is "$rc" 78 "a damaged run.json exits 78"
ok "... naming the profile" has "profile 'alice': its last run is damaged" "$ERR"
is "$(jq -r .status "$(RUNJSON alice)")" 0 "... and the run replaces it"

done_testing
