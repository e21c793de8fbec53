# gcal: small Unix tools that link business systems to Google Calendar.
.SUFFIXES:
.SECONDARY:

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# the example scripts and the Kamailio files (man pages name them here)
GCALDIR ?= $(PREFIX)/share/gcal
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
FISHFUNCDIR ?= $(PREFIX)/share/fish/vendor_functions.d
# systemd looks under /usr/local/lib as well as /usr/lib (Debian 12: /lib
# for units, debian/rules says so)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d

CFLAGS ?= -O2 -g
# SAN=1 builds into build-san/ with AddressSanitizer and UBSan.
ifeq ($(SAN),1)
B = build-san
override CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
else ifeq ($(TSAN),1)
# TSAN=1 builds into build-tsan/ with ThreadSanitizer (make tsan).
B = build-tsan
override CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=thread
override LDFLAGS += -fsanitize=thread
else
B = build
endif

PKGS = libcurl libbsd-overlay
# lib/banned.h comes before every file (new ones too): the compiler, not
# prose, refuses strcpy, sprintf, atol, strtok_r, localtime...
BANNED = -include lib/banned.h
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-missing-field-initializers -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(BANNED)
# Debian's libjq 1.6 ships no pkg-config file: link it by name. libcurl
# is only compiled against: lib/http.c loads it on the first request.
LDLIBS += $(shell pkg-config --libs libbsd-overlay 2>/dev/null) -ljq -lcrypto -ldl -pthread

PROGS = gcal-auth gcal-revoke gcal-pull forward-apply gcal-push gcal-diff gcal-sync
PROGS += gcal-watch gcal-notify gcal-run
LIBOBJS = util json state http curl_load endpoint transport shared retry redact cassette trace jwt oauth calendar cli zone events mirror phone forward batch lines push diff
LIBOBJS += watch provider stop readahead
LIBOBJS += state_lock child
LIBOBJS += event_time event_norm
LIBOBJS += ndjson jsonscan jsondump jqprog sort
LIBOBJS += sync sync_base sync_read sync_plan sync_child sync_apply diff_rules mirror_delta
LIBOBJS += digest form browser loopback msauth grant scopes linkcal link
LIBOBJS += pull quota quota_table run run_select run_status
LIBOBJS += graph_zone graph_rrule graph_time graph_html graph_map graph_instance graph graph_pull graph_push
LIBOBJS += graph_occurrence
MAN1 = $(PROGS:%=man/%.1)
MAN = $(MAN1) man/gcal-records.5 man/gcal.7

ifneq ($(V),1)
Q = @
E = @echo
else
Q =
E = @:
endif

BINS = $(PROGS:%=$(B)/bin/%)
OBJS = $(LIBOBJS:%=$(B)/lib/%.o)
UNITS = $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/*.c))

all: $(BINS)

$(B)/lib/%.o: lib/%.c lib/*.h
	$(E) "  CC      $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libgcal.a: $(OBJS)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $(OBJS)

$(B)/cmd/%.o: cmd/%.c lib/*.h
	$(E) "  CC      $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/bin/%: $(B)/cmd/%.o $(B)/libgcal.a
	$(E) "  LD      $@"
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(B)/libgcal.a $(LDLIBS)

$(B)/unit/%: tests/unit/%.c tests/unit/*.h $(B)/libgcal.a
	$(E) "  CC      $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libgcal.a $(LDLIBS)

# The Debian packages the build, the tests and the emulator need.
DEBS = gcc libc6-dev make pkg-config libcurl4-openssl-dev libjq-dev libbsd-dev \
	libssl-dev python3 curl jq openssl perl mandoc ca-certificates time tzdata kamailio sip-tester valgrind faketime
DEBS += lighttpd
# tests/t/packaging.t: systemd-analyze verify, and PyYAML to read the Kubernetes example
DEBS += systemd python3-yaml
deps:
	$(Q)missing=; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

units: $(UNITS)

# make print-VAR: a variable as the tests see it (tests/t/banned.t reads
# CFLAGS, tests/t/packaging.t PROGS)
print-%:
	@echo '$($*)'

# Four test files at a time on two cores: each has its own emulator on a
# port of its own and its own temporary directories, and the fault
# matrices spend most of their time waiting (Retry-After, timeouts).
# The longest files start first, so that none is left to run alone.
PROVEFLAGS ?= -j4
SLOW_TESTS = tests/t/exit-codes.t tests/t/faults.t tests/t/sync-model.t \
	tests/t/crash.t tests/t/crash-steps.t
TESTS = $(SLOW_TESTS) tests/unit.t \
	$(filter-out $(SLOW_TESTS),$(sort $(wildcard tests/t/*.t)))

check: deps
	$(Q)$(MAKE) --no-print-directory all units
	$(Q)mandoc -Tlint -W warning $(MAN)
	$(Q)GCAL_BUILD=$(B) prove $(PROVEFLAGS) $(TESTS)

# The thread rules of lib/ (the shared transport, the page read-ahead),
# enforced by ThreadSanitizer: the unit tests and the pull tests built
# into build-tsan/. Any data race fails the run: the program exits 66,
# and its report in build-tsan/tsan/ fails the target even where a test
# expected a failure.
TSAN_TESTS = tests/unit.t tests/t/transport.t tests/t/pull.t
tsan: deps
	$(Q)$(MAKE) --no-print-directory TSAN=1 all units
	$(Q)rm -rf build-tsan/tsan && mkdir -p build-tsan/tsan
	$(Q)TSAN_OPTIONS="halt_on_error=1 exitcode=66 log_path=$(CURDIR)/build-tsan/tsan/report $${TSAN_OPTIONS:-}" \
		GCAL_BUILD=build-tsan prove $(PROVEFLAGS) $(TSAN_TESTS)
	$(Q)if ls build-tsan/tsan/report* >/dev/null 2>&1; then \
		echo "make tsan: ThreadSanitizer reports in build-tsan/tsan/:" >&2; \
		head -30 build-tsan/tsan/report* >&2; exit 1; fi

# The model test of gcal-sync, long: tens of thousands of random steps
# over many seeds (minutes), with the counts summed at the end.
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)GCAL_BUILD=$(B) sh tests/soak.sh

# The main job against the local Google emulator: scenario 3 (a booking
# system synced both ways) and a forward of scenario 1, then a revoke,
# with a summary. No account and no network needed.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)GCAL_BUILD=$(B) sh examples/demo.sh

# Requests, events per second and peak memory, against the emulator.
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)GCAL_BUILD=$(B) sh tests/bench/bench.sh

# lib/event_fields.h, what gcal-push may write of an event, from Google's
# discovery document (tests/t/conformance.t fails while it is stale).
event-fields:
	$(Q)sh tests/helpers/event-fields >lib/event_fields.h.new && mv lib/event_fields.h.new lib/event_fields.h
.PHONY: event-fields

# The scripts of examples/ (but demo.sh, which drives the emulator of the
# source tree) go to $(GCALDIR), kamailio/ beside them as the scripts
# expect. The pages name them under /usr/local/share/gcal: the copies
# installed name $(GCALDIR).
EXAMPLES = $(filter-out examples/demo.sh,$(wildcard examples/*.sh examples/*.jq))
install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(FISHFUNCDIR) \
		$(DESTDIR)$(GCALDIR)/kamailio
	cp $(BINS) $(DESTDIR)$(BINDIR)/
	for m in $(MAN); do \
		s=$${m##*.}; \
		sed 's|/usr/local/share/gcal|$(GCALDIR)|g' $$m >$(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; \
	done
	# the scripts are to be run: executable, whatever the checkout made them
	install -m 755 $(filter %.sh,$(EXAMPLES)) $(DESTDIR)$(GCALDIR)/
	install -m 644 $(filter-out %.sh,$(EXAMPLES)) $(DESTDIR)$(GCALDIR)/
	cp examples/kamailio/* $(DESTDIR)$(GCALDIR)/kamailio/
	# bash-completion loads completions/<command> lazily: the one file
	# completions/gcal.bash (which registers all six) under each name
	cp completions/gcal.bash $(DESTDIR)$(BASHCOMPDIR)/gcal-auth
	for p in $(filter-out gcal-auth,$(PROGS)); do \
		ln -sf gcal-auth $(DESTDIR)$(BASHCOMPDIR)/$$p; \
	done
	cp completions/_gcal $(DESTDIR)$(ZSHCOMPDIR)/_gcal
	for p in $(PROGS); do \
		cp completions/$$p.fish $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	done
	cp completions/functions/*.fish $(DESTDIR)$(FISHFUNCDIR)/
	# systemd: the service names the programs where they are installed
	mkdir -p $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(GCALDIR)/systemd $(DESTDIR)$(GCALDIR)/kubernetes
	sed 's|@BINDIR@|$(BINDIR)|g; s|@GCALDIR@|$(GCALDIR)|g' systemd/gcal-run@.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/gcal-run@.service
	cp systemd/gcal-run@.timer $(DESTDIR)$(SYSTEMDUNITDIR)/
	cp systemd/gcal.sysusers $(DESTDIR)$(SYSUSERSDIR)/gcal.conf
	cp systemd/gcal.tmpfiles $(DESTDIR)$(TMPFILESDIR)/gcal.conf
	cp systemd/README $(DESTDIR)$(GCALDIR)/systemd/
	cp examples/kubernetes/* $(DESTDIR)$(GCALDIR)/kubernetes/

# make deb: the Debian package (debian/), built from a copy of the tree in
# $(B)/deb so that dpkg-buildpackage writes nothing outside it, then
# checked by lintian (warnings fail; each override is argued in
# debian/gcal-tools.lintian-overrides).
DEB_DEBS = dpkg-dev debhelper lintian fakeroot
deb:
	$(Q)missing=; for p in $(DEB_DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "make deb: run as root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(Q)rm -rf $(B)/deb && mkdir -p $(B)/deb/gcal
	$(Q)tar -cf - --exclude=./build --exclude=./build-san --exclude=./build-fuzz --exclude=./.git . | \
		tar -C $(B)/deb/gcal -xf -
	$(E) "  DEB     $(B)/deb"
	$(Q)cd $(B)/deb/gcal && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -30 ../build.log >&2; exit 1; }
	$(E) "  LINTIAN $(B)/deb/*.deb"
	$(Q)lintian --fail-on error,warning --info $(B)/deb/*.changes

clean:
	rm -rf build build-san build-tsan build-fuzz

.PHONY: all deps units check demo bench soak tsan install deb clean

# make fuzz: libFuzzer targets for every parser of outside input, built
# with clang into build-fuzz/ and run FUZZ_SECONDS each over the corpora
# of tests/fuzz/corpus/ (tests/fuzz/README.md). make check replays the
# corpora without clang (tests/unit/fuzz_corpus.c).
FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang
FUZZ_DEBS = clang libclang-rt-14-dev
FZ = build-fuzz
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-Wno-missing-field-initializers -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(BANNED) \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
FUZZ_OBJS = $(LIBOBJS:%=$(FZ)/lib/%.o)

$(FZ)/lib/%.o: lib/%.c lib/*.h
	$(E) "  CC      $< (fuzz)"
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FZ)/fuzz-%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	$(E) "  LD      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

# Each target runs on a scratch copy of its corpus plus what it found
# before; new crashes land in $(FZ)/crash-TARGET-*, to be added to
# tests/fuzz/corpus/TARGET/ once fixed.
fuzz:
	$(Q)missing=; for p in $(FUZZ_DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "make fuzz: run as root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(Q)$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FZ)/fuzz-%)
	$(Q)fail=; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FZ)/corpus-$$t; \
		echo "  FUZZ    $$t ($(FUZZ_SECONDS) s)"; \
		TZDIR=$${TZDIR:-/usr/share/zoneinfo} ASAN_OPTIONS=detect_leaks=1 $(FZ)/fuzz-$$t \
			-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
			-print_final_stats=1 -artifact_prefix=$(FZ)/crash-$$t- \
			$(FZ)/corpus-$$t tests/fuzz/corpus/$$t >$(FZ)/fuzz-$$t.log 2>&1 || fail="$$fail $$t"; \
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' $(FZ)/fuzz-$$t.log | sed 's/^/          /'; \
	done; \
	if [ -n "$$fail" ]; then echo "make fuzz: crashes in:$$fail (see $(FZ)/fuzz-TARGET.log)" >&2; exit 1; fi

# the corpus replay in make check includes the targets' sources
$(B)/unit/fuzz_corpus: $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

.PHONY: fuzz
