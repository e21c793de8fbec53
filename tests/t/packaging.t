#!/bin/sh
# Shipped the way operators install things (issue 14): make install lays
# out programs, pages, completions, systemd units and examples; the units
# pass systemd-analyze verify; the Kubernetes example says what its README
# promises; and a linked, pulled profile holds no absolute path, so its
# directories can move (to another shard's volume) and go on working.
# make deb (the .deb and lintian) is its own target: a minute of build.
. "$(dirname "$0")/../lib.sh"

san=
case $GCAL_BUILD in *build-san*) san=SAN=1 ;; esac
# mk ARGS...: make in the source tree, quietly, status in $rc
mk() {
	make -s -C "$TOP" --no-print-directory $san "$@" >"$OUT" 2>"$ERR"
	rc=$?
}
mk print-PROGS
PROGS=$(cat "$OUT")
KINDS="pull sync forward-apply"

# --- make install DESTDIR=... PREFIX=/usr ----------------------------------
D=$T/dest
mk install DESTDIR="$D" PREFIX=/usr
is "$rc" 0 "make install DESTDIR=... PREFIX=/usr succeeds"
missing=
for p in $PROGS; do
	[ -x "$D/usr/bin/$p" ] || missing="$missing bin/$p"
	[ -f "$D/usr/share/man/man1/$p.1" ] || missing="$missing man1/$p.1"
	[ -e "$D/usr/share/bash-completion/completions/$p" ] || missing="$missing bash/$p"
	[ -f "$D/usr/share/fish/vendor_completions.d/$p.fish" ] || missing="$missing fish/$p"
done
for f in share/man/man5/gcal-records.5 share/man/man7/gcal.7 \
	share/zsh/site-functions/_gcal lib/systemd/system/gcal-run@.service \
	lib/systemd/system/gcal-run@.timer lib/sysusers.d/gcal.conf \
	lib/tmpfiles.d/gcal.conf share/gcal/systemd/README \
	share/gcal/kubernetes/cronjob.yaml share/gcal/kubernetes/README \
	share/gcal/kamailio/kamailio.cfg share/gcal/scenario-1-forwarding.sh; do
	[ -f "$D/usr/$f" ] || missing="$missing $f"
done
is "$missing" "" "every program, page, completion, unit and example is installed"
ok "the example scripts are executable" test -x "$D/usr/share/gcal/forward-cron.sh"
U=$D/usr/lib/systemd/system
ok "the service runs the installed gcal-run" has '^ExecStart=/usr/bin/gcal-run %i$' "$U/gcal-run@.service"
ok "no @VARIABLE@ is left in what is installed" \
	sh -c "! grep -rl '@[A-Z]*@' '$U' '$D/usr/share/gcal/systemd'"
ok "installed pages name the installed examples" \
	sh -c "! grep -l /usr/local/share/gcal '$D'/usr/share/man/man*/*"
case " $PROGS " in
*" gcal-run "*) pass "gcal-run is one of the programs installed" ;;
*) fail "gcal-run is one of the programs installed" ;;
esac

# --- debian/curl-depends: libcurl in Depends when it is dlopen'ed ---------
arch=$(dpkg --print-architecture 2>/dev/null)
if dpkg-query --control-path "libcurl4:$arch" symbols >/dev/null 2>&1; then
	mkdir -p "$T/dl" "$T/linked"
	# a program that dlopens libcurl.so.4 and asks for curl_easy_header (7.83.0)
	printf 'libcurl.so.4\0curl_easy_init\0curl_easy_header\0curl_own_helper\0' >"$T/dl/prog"
	run sh "$TOP/debian/curl-depends" "$T/dl" "libcurl4:$arch"
	is "$(cat "$OUT")" "libcurl4 (>= 7.83.0)" "a dlopen'ed libcurl is a Depends, versioned by the symbols named"
	cp "$(command -v curl)" "$T/linked/"
	run sh "$TOP/debian/curl-depends" "$T/linked" "libcurl4:$arch"
	is "$rc:$(cat "$OUT")" "0:" "... and nothing when the programs link it (dpkg-shlibdeps sees it)"
	run sh "$TOP/debian/curl-depends" "$BIN" "libcurl4:$arch"
	ok "the programs built here get one or the other: $(cat "$OUT")" test "$rc" -eq 0
else
	echo "ok $((_tap_n += 1)) # SKIP no libcurl4 symbols file (dpkg)"
fi

# --- systemd-analyze verify --------------------------------------------------
# Installed under $T (no DESTDIR), so that ExecStart names a file that
# exists; a stand-in when gcal-run is not built in this tree.
P=$T/usr
mk install PREFIX="$P"
is "$rc" 0 "make install PREFIX=... succeeds"
U=$P/lib/systemd/system
if [ ! -x "$P/bin/gcal-run" ]; then
	echo "# no gcal-run built here: a stand-in script for systemd-analyze"
	printf '#!/bin/sh\nexit 0\n' >"$P/bin/gcal-run"
	chmod +x "$P/bin/gcal-run"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	for k in $KINDS; do
		run systemd-analyze verify --man=no "$U/gcal-run@$k.service" "$U/gcal-run@$k.timer"
		if [ "$rc" -eq 0 ] && [ ! -s "$ERR" ]; then
			pass "gcal-run@$k.service and .timer: systemd-analyze verify is clean"
		else
			fail "gcal-run@$k.service and .timer: systemd-analyze verify is clean (exit $rc)"
		fi
	done
	# the check can fail: a misspelt directive is reported
	mkdir -p "$T/bad"
	sed 's/^ExecStart=/ExecStrat=/' "$U/gcal-run@.service" >"$T/bad/gcal-run@.service"
	run systemd-analyze verify --man=no "$T/bad/gcal-run@pull.service"
	ok "... and a misspelt directive would be reported" has 'ExecStrat' "$ERR"
	# Documentation= pages: installed with the programs
	MANPATH=$P/share/man run systemd-analyze verify "$U/gcal-run@pull.service" "$U/gcal-run@pull.timer"
	is "$rc" 0 "the pages the units name (Documentation=) are installed"
	run systemd-analyze security --offline=yes "$U/gcal-run@pull.service"
	exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$OUT")
	ok "the service's exposure (systemd-analyze security) is under 2.0: ${exposure:-none}" \
		awk -v e="${exposure:-99}" 'BEGIN { exit !(e < 2.0) }'
else
	echo "ok $((_tap_n += 1)) # SKIP no systemd-analyze (make deps installs systemd)"
fi
ok "the timer spreads its starts (RandomizedDelaySec)" has '^RandomizedDelaySec=[1-9]' "$U/gcal-run@.timer"
for d in User=gcal StateDirectory=gcal ConfigurationDirectory=gcal NoNewPrivileges=yes \
	ProtectSystem=strict; do
	ok "the service has $d" has "^$d\$" "$U/gcal-run@.service"
done
ok "sysusers.d makes the user the service runs as" has '^u gcal ' "$P/lib/sysusers.d/gcal.conf"
ok "tmpfiles.d gives gcal both its directories, 0700" \
	sh -c "grep -q '^d /etc/gcal 0700 gcal gcal' '$P/lib/tmpfiles.d/gcal.conf' &&
		grep -q '^d /var/lib/gcal 0700 gcal gcal' '$P/lib/tmpfiles.d/gcal.conf'"

# --- the Kubernetes example ---------------------------------------------------
# what the README promises, read by a YAML parser (no kubectl needed)
cat >"$T/cronjob.py" <<'EOF'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
cj = [d for d in docs if d["kind"] == "CronJob"][0]
pvc = [d for d in docs if d["kind"] == "PersistentVolumeClaim"][0]
job = cj["spec"]["jobTemplate"]["spec"]
pod = job["template"]["spec"]
c = pod["containers"][0]
env = {e["name"]: e.get("value") for e in c["env"]}
k = int(env["GCAL_SHARDS"])
def codes(action):
    return sorted(v for r in job["podFailurePolicy"]["rules"]
                  if r["action"] == action and "onExitCodes" in r
                  and r["onExitCodes"]["containerName"] == c["name"]
                  and r["onExitCodes"]["operator"] == "In"
                  for v in r["onExitCodes"]["values"])
mounts = [m["mountPath"] for m in c["volumeMounts"]]
vols = {v["name"]: v for v in pod["volumes"]}
state_vol = [m["name"] for m in c["volumeMounts"]
             if env["XDG_STATE_HOME"].startswith(m["mountPath"] + "/")]
checks = [
    ("the CronJob's runs never overlap (concurrencyPolicy: Forbid)",
     cj["spec"]["concurrencyPolicy"] == "Forbid"),
    ("its Job is Indexed", job["completionMode"] == "Indexed"),
    ("completions = parallelism = GCAL_SHARDS (K = %d)" % k,
     job["completions"] == job["parallelism"] == k),
    ("each pod runs gcal-run --shard $(JOB_COMPLETION_INDEX)/K pull",
     c["command"] == ["gcal-run"] and
     c["args"] == ["--shard", "$(JOB_COMPLETION_INDEX)/$(GCAL_SHARDS)", "pull"]),
    ("exit 75 is retried (Count or Ignore)", codes("Count") + codes("Ignore") == [75]),
    ("exits 4 (daily quota), 77 and 78 fail the Job", codes("FailJob") == [4, 77, 78]),
    ("restartPolicy: Never, as podFailurePolicy needs", pod["restartPolicy"] == "Never"),
    ("XDG_STATE_HOME and XDG_CONFIG_HOME are on a mounted volume",
     all(any(env[x].startswith(m + "/") for m in mounts)
         for x in ("XDG_STATE_HOME", "XDG_CONFIG_HOME"))),
    ("that volume is the ReadWriteMany claim all pods share",
     len(state_vol) == 1 and
     vols[state_vol[0]]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"] and
     pvc["spec"]["accessModes"] == ["ReadWriteMany"]),
]
for i, (what, good) in enumerate(checks, 1):
    print("%s %d - %s" % ("ok" if good else "not ok", i, what))
EOF
run python3 "$T/cronjob.py" "$TOP/examples/kubernetes/cronjob.yaml"
if [ "$rc" -ne 0 ]; then
	fail "cronjob.yaml parses (python3 with PyYAML)"
else
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "cronjob.yaml: ${line#ok * - }" ;;
		*) fail "cronjob.yaml: ${line#not ok * - }" ;;
		esac
	done <"$OUT"
	is "$(grep -c . "$OUT")" 9 "cronjob.yaml: all nine checks ran"
fi

# --- a profile's directories hold no absolute path -----------------------------
emu_start || { echo "Bail out! emulator"; exit 1; }
emu_ctl POST /_emu/calendars/alice@example.com/generate \
	'{"count":30,"start":"2026-01-05T08:00:00Z","minutes":60,"step_minutes":90,"summary":"Event %d"}' >/dev/null
run link_account shop
is "$rc" 0 "a profile is linked"
run gcal-pull -p shop
is "$rc" 0 "... pulled in full"
run gcal-pull -p shop --changes
is "$rc" 0 "... and incrementally"
run gcal-auth token -p shop
is "$rc" 0 "... and its token read"
ok "the profile has state to move" test -s "$XDG_STATE_HOME/gcal/shop/token.json"
found=$(grep -rlaF -e "$T" -e "$XDG_STATE_HOME" -e "$XDG_CONFIG_HOME" \
	"$XDG_CONFIG_HOME/gcal" "$XDG_STATE_HOME/gcal" 2>/dev/null | sed "s|^$T/||" | tr '\n' ' ')
is "$found" "" "no file of the profile names the directories it is in"
links=$(find "$XDG_CONFIG_HOME/gcal" "$XDG_STATE_HOME/gcal" -type l | tr '\n' ' ')
is "$links" "" "... nor is any of them a symbolic link"
# move both trees (another volume, another shard) and go on from there
mkdir -p "$T/moved"
mv "$XDG_CONFIG_HOME" "$T/moved/config"
mv "$XDG_STATE_HOME" "$T/moved/state"
XDG_CONFIG_HOME=$T/moved/config
XDG_STATE_HOME=$T/moved/state
export XDG_CONFIG_HOME XDG_STATE_HOME
emu_ctl POST /_emu/log/clear >/dev/null
run gcal-pull -p shop --changes
is "$rc" 0 "moved elsewhere, the profile pulls on"
is "$(wc -l <"$OUT" | tr -d ' ')" 0 "... with no change to report"
is "$(emu_log_count GET '/events$')" 1 "... in one list request"
curl -sS -f "$EMU_URL/_emu/log" >"$T/log" || : >"$T/log"
ok "... an incremental one (the sync token moved with the profile)" \
	jq_ok -s 'map(select(.method == "GET" and (.path | test("/events$")))) | .[0].query.syncToken | type == "string"' \
	"$T/log"

done_testing
