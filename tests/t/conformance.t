#!/bin/sh
# Google's own material (tests/fixtures/conformance): 147 event objects as
# Google's API returned them, plus 6 built from Google's docs, pulled back
# unchanged and copied into another calendar by Google's rules; every
# request checked against Google's discovery document.
. "$(dirname "$0")/../lib.sh"

C=$TOP/tests/fixtures/conformance
DOC=$C/calendar-v3.discovery.json
CHECK=$TOP/tests/helpers/check-requests

# The writable fields gcal-push sends come from the discovery document.
"$TOP/tests/helpers/event-fields" "$DOC" >"$T/fields.h"
ok "lib/event_fields.h is what the discovery document says (make event-fields)" \
	cmp -s "$T/fields.h" "$TOP/lib/event_fields.h"

emu_start || { echo "Bail out! emulator"; exit 1; }
run link_account
SRC=$(emu_ctl POST /_emu/calendars '{"owner":"alice@example.com","summary":"Recorded"}' | jq -r .id)
DST=$(emu_ctl POST /_emu/calendars '{"owner":"alice@example.com","summary":"Copy"}' | jq -r .id)
cat "$C"/real-events/*.ndjson >"$T/all"
# load CAL FILE: store FILE's events in CAL as recorded (ids, etags and all)
load() {
	jq -sc . "$2" >"$T/load.json"
	curl -sS -f -H 'Content-Type: application/json' --data-binary "@$T/load.json" \
		"$EMU_URL/_emu/calendars/$1/load" >/dev/null
}
jq -c 'select(.status != "cancelled")' "$T/all" >"$T/live"
jq -c 'select(.status == "cancelled")' "$T/all" >"$T/gone"
is "$(wc -l <"$T/all" | tr -d ' ') $(wc -l <"$T/gone" | tr -d ' ')" "153 6" \
	"the material: 147 recorded events and 6 from the docs, 6 of them deleted"

# --- (a) a pull prints every event back unchanged, as a JSON value ---------
load "$SRC" "$T/live"
run gcal-pull -c "$SRC"
is "$rc" 0 "a full pull of the recorded calendar exits 0"
jq -Sc . "$T/live" | LC_ALL=C sort >"$T/want"
jq -Sc . "$OUT" | LC_ALL=C sort >"$T/got"
cp "$OUT" "$T/src"
ok "... and prints each of the 147 live events back unchanged" cmp -s "$T/want" "$T/got"
diff -u "$T/want" "$T/got" | head -20 | sed 's/^/# /'
load "$SRC" "$T/gone"
run gcal-pull -c "$SRC" --changes
is "$rc" 0 "an incremental pull after 6 deletions exits 0"
jq -Sc . "$T/gone" | LC_ALL=C sort >"$T/want"
jq -Sc . "$OUT" | LC_ALL=C sort >"$T/got"
ok "... and prints the 6 deleted events as Google recorded them" cmp -s "$T/want" "$T/got"
diff -u "$T/want" "$T/got" | head -20 | sed 's/^/# /'

# --- (b) pull -> diff -> push into a secondary calendar ---------------------
run gcal-auth use --create "Checked too"
run gcal-auth calendars
emu_ctl GET /_emu/log >"$T/log-a"
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-pull -c "$DST"
cp "$OUT" "$T/dst"
run gcal-diff "$T/dst" "$T/src"
cp "$OUT" "$T/changes"
is "$(jq -r .op "$T/changes" | sort | uniq -c | tr -s ' ' | sed 's/^ //')" "147 insert" \
	"the copy: 147 inserts"
run_in "$T/changes" gcal-push -c "$DST"
cp "$OUT" "$T/results"
is "$rc" 0 "gcal-push of the copy exits 0"
is "$(wc -l <"$T/results" | tr -d ' ')" 147 "... one result per change"
is "$(jq -r .status "$T/results" | sort | uniq -c | tr -s ' ' | sed 's/^ //' | tr '\n' ',')" \
	"142 ok,5 skipped," "... every insert accepted but the 5 Google refuses here"
jq -r 'select(.status != "ok") | "# \(.id) \(.status) \(.code // "") \(.reason // "") \(.message // "")"' "$T/results"
ok "... skipped with the reason: the event types (gcal-records(5))" jq_ok -s \
	'[.[] | select(.status == "skipped") | .reason] | length == 5 and
	all(.[]; test("primary calendar|owner mark"))' "$T/results"
ok "... every id one Google takes (base32hex, 5-1024), or an instance of a copied series" jq_ok -s \
	'all(.[] | select(.status == "ok"); .id | test("^[a-v0-9]{5,1024}(_[0-9]{8}(T[0-9]{6}Z)?)?$"))' "$T/results"
# A modified instance of a series copied too is that instance of the copy
# (Events: update of an instance), not a second event beside it.
is "$(jq -s '[.[] | select(.status == "ok" and (.id | test("_")))] | length' "$T/results")" 7 \
	"... the 7 modified instances of copied series are instances of the copies"
n_conf=$(jq -s '[.[] | select(.status != "cancelled") | .conferenceData.conferenceId // empty] | length' "$T/all")
is "$(jq -s '[.[] | select(.status == "ok") | .event.conferenceData.conferenceId // empty] | length' "$T/results")" \
	"$n_conf" "... every recorded meeting copied ($n_conf conferenceData)"
is "$(jq -s '[.[] | select(.status == "ok") | .event.attachments // empty] | length' "$T/results")" 1 \
	"... the attachment copied"
is "$(jq -s '[.[] | select(.status == "ok") | select(.event.privateCopy == true)] | length' "$T/results")" \
	"$(jq -s '[.[] | select(.status != "cancelled" and .privateCopy == true)] | length' "$T/all")" \
	"... privateCopy kept"

# (c) every request gcal-pull and gcal-push sent, against the document
emu_ctl GET /_emu/log >"$T/log"
run python3 "$CHECK" "$DOC" "$T/log"
is "$rc" 0 "every request follows the discovery document (method, path, parameters, body fields)"
sed 's/^/# /' "$OUT" | head -20
ok "... each body with conferenceData sent with conferenceDataVersion=1, attachments with supportsAttachments=true" \
	jq_ok -s '[.[].parts[]? | select(.body != null)] | length >= 142 and all(.[];
	(.body.conferenceData == null or .query.conferenceDataVersion == "1") and
	(.body.attachments == null or .query.supportsAttachments == "true"))' "$T/log"

run python3 "$CHECK" "$DOC" "$T/log-a"
is "$rc" 0 "... and so did the pulls of (a), gcal-auth's calendar insert and list"
sed 's/^/# /' "$OUT" | head -5

# What a user sees: every occurrence, series expanded (--expand), the same
# in the copy as in the original, but for what gcal-push(1) CAVEATS says:
# an occurrence deleted from a copied series is still in the copy.
run gcal-pull -c "$SRC" --expand
cp "$OUT" "$T/src-x"
run gcal-pull -c "$DST" --expand
cp "$OUT" "$T/dst-x"
python3 - "$T/src-x" "$T/dst-x" "$T/gone" >"$T/x-diff" <<'PY'
import collections, datetime, json, sys
def occ(path, skip=lambda e: False):
    c = collections.Counter()
    for line in open(path):
        e = json.loads(line)
        if e.get('status') == 'cancelled' or skip(e):
            continue
        s = e['start'].get('dateTime') or e['start']['date']
        if 'T' in s:
            s = datetime.datetime.fromisoformat(s).timestamp()
        c[(e.get('summary'), s)] += 1
    return c
src = occ(sys.argv[1], lambda e: e['id'].startswith('docshape0') and e['id'][9:12] in ('foc', 'ooo', 'loc', 'hom', 'bd0'))
dst = occ(sys.argv[2])
for k in sorted(set(src) | set(dst), key=str):
    if src[k] != dst[k]:
        print(json.dumps([k[0], k[1], src[k], dst[k]]))
PY
gone_occ=$(jq -s '[.[] | select(.recurringEventId)] | length' "$T/gone")
is "$(wc -l <"$T/x-diff" | tr -d ' ')" "$gone_occ" \
	"the copy shows every occurrence the original shows, but the $gone_occ deleted ones"
sed 's/^/# /' "$T/x-diff" | head -10

# a second run changes nothing
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-pull -c "$DST"
cp "$OUT" "$T/dst2"
run gcal-pull -c "$SRC"
cp "$OUT" "$T/src2"
run gcal-diff "$T/dst2" "$T/src2"
cp "$OUT" "$T/changes2"
is "$(jq -r '[.op, .id] | join(" ")' "$T/changes2" | sort | tr '\n' ',')" \
	"$(jq -r 'select(.status == "skipped") | "insert " + .id' "$T/results" | sort | tr '\n' ',')" \
	"a second diff: only the 5 events Google refuses here"
run_in "$T/changes2" gcal-push -c "$DST"
is "$rc $(jq -r .status "$OUT" | sort -u)" "0 skipped" "... which a second push skips again"
emu_ctl GET /_emu/log >"$T/log2"
is "$(jq -s '[.[] | select(.method != "GET")] | length' "$T/log2")" 0 "... and writes nothing"
run python3 "$CHECK" "$DOC" "$T/log2"
is "$rc" 0 "... every request of the second run follows the document too"

# the checker can fail: a request outside the document
printf '%s\n' '{"method":"POST","path":"/calendar/v3/calendars/x/events","query":{"conferenceDataVersion":"yes","bogus":"1"},"body":{"summary":"s","htmlLink":"h","attendees":[{"email":"a","self":true}]}}' >"$T/badlog"
run python3 "$CHECK" "$DOC" "$T/badlog"
is "$rc $(grep -c '' "$OUT")" "1 5" "the checker finds a bad parameter type, an unknown parameter, read-only fields"

done_testing
