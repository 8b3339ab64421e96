#!/usr/bin/env bats
# src/lib/fsx through tests/helpers/fsx-tool: kill -9 torture of atomic replace and
# durable append, fsync fault injection with strace, locks, symlink swap, temp dirs,
# safe removal, stale-temp cleanup.
bats_require_minimum_version 1.5.0
load helpers/common

setup_file() {
	# Two versions of a state file for the torture test, of different sizes.
	head -c 1048576 /dev/urandom > "$BATS_FILE_TMPDIR/old.bin"
	head -c 786449 /dev/urandom > "$BATS_FILE_TMPDIR/new.bin"
}

# Loops here count with $round, never $i: bats 1.8.2's `run -N` (bats_version_lt)
# assigns a global i.
setup() {
	common_setup
	W="$BATS_TEST_TMPDIR/w"
	mkdir -p "$W"
	BG_PIDS=()
	# A pipe nobody writes to: `read -t` on it sleeps for milliseconds without a fork.
	exec {SLEEP_FD}<> <(:)
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	exec {SLEEP_FD}>&-
}

sleep_ms() {
	local s
	printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	read -r -t "$s" -u "$SLEEP_FD" _ || true
}

now_ms() {
	local t=${EPOCHREALTIME/./}
	printf -v "$1" '%d' $((10#$t / 1000))
}

# The kills come after a random delay in [0, $SPAN) ms.  SPAN starts at the time one
# uninterrupted run takes and adapts: shorter after a kill that came too late (the
# writer had finished), longer otherwise, so that about a quarter of the kills land
# after the end and most of the others while the writer works.  This only steers
# where the kills land; no test result depends on the timing.
adapt_span() { # <1 if the writer had finished, else 0>
	if [ "$1" = 1 ]; then
		SPAN=$((SPAN * 90 / 100))
	else
		SPAN=$((SPAN * 103 / 100 + 1))
	fi
	if [ "$SPAN" -lt 2 ]; then SPAN=2; fi
}

# strace for fault injection.  LeakSanitizer cannot work under ptrace and fails the
# process, so a sanitizer build (SAN=1) runs with leak detection off here.
strace_fsx() { # <inject expression> <fsx-tool arguments...>
	local inject=$1
	shift
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o /dev/null -e "inject=$inject" fsx-tool "$@"
}

# Which version file $1 holds: "old", "new" or "mixed" (byte for byte, into $VERSION).
which_version() {
	if cmp -s "$1" "$BATS_FILE_TMPDIR/old.bin"; then
		VERSION=old
	elif cmp -s "$1" "$BATS_FILE_TMPDIR/new.bin"; then
		VERSION=new
	else
		VERSION=mixed
	fi
}

# Number of temporary files of target $1 in $W written by pid $2, into $TEMPS.
count_temps() {
	local f
	TEMPS=0
	for f in "$W"/."$1".sretools-tmp-"$2"-*; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			TEMPS=$((TEMPS + 1))
		fi
	done
}

# Wait (at most ~10 s, without asserting on time) until file $1 contains line $2.
wait_for_line() {
	local try
	for ((try = 0; try < 1000; try++)); do
		grep -qx -- "$2" "$1" 2>/dev/null && return 0
		sleep_ms 10
	done
	fail "'$1' never got the line '$2'"
}

@test "replace and write: new content, modes kept or given, no temp left" {
	printf 'one\n' | fsx-tool replace "$W/f"
	assert_equal "$(cat "$W/f")" "one"
	chmod 640 "$W/f"
	printf 'two\n' | fsx-tool replace --stdio "$W/f"
	assert_equal "$(cat "$W/f")" "two"
	assert_equal "$(stat -c %a "$W/f")" "640"
	printf 'three\n' | fsx-tool write --mode 600 "$W/f"
	assert_equal "$(cat "$W/f")" "three"
	assert_equal "$(stat -c %a "$W/f")" "600"
	assert_equal "$(ls -A "$W")" "f"
}

@test "replace errors name the file and exit 2" {
	run -2 --separate-stderr fsx-tool replace "$W/nodir/f" < /dev/null
	assert_output ""
	assert_equal "$stderr" "fsx-tool: error: cannot create a temporary file next to '$W/nodir/f': No such file or directory"
	mkdir "$W/d"
	run -2 --separate-stderr fsx-tool write "$W/d" < /dev/null
	assert_equal "$stderr" "fsx-tool: error: '$W/d' is a directory"
}

@test "torture: kill -9 at random instants of a replace leaves the old or the new file" {
	local f="$W/data" src want t0 t1 round pid
	local before=0 during=0 after=0 live=".data.sretools-tmp-$$-AbC123"

	cp "$BATS_FILE_TMPDIR/old.bin" "$f"
	# Files the stale-temp cleanup must never remove: not our pattern, or a live writer's.
	touch "$W/.data.tmp-99999-abcdef" "$W/data.sretools-tmp-99999-abcdef" "$W/$live"
	now_ms t0
	fsx-tool replace --chunk 4096 "$f" < "$BATS_FILE_TMPDIR/new.bin"
	now_ms t1
	which_version "$f"
	assert_equal "$VERSION" new
	SPAN=$((t1 - t0 + 2))
	for ((round = 0; round < 100; round++)); do
		if [ "$VERSION" = old ]; then want=new; else want=old; fi
		src="$BATS_FILE_TMPDIR/$want.bin"
		fsx-tool replace --chunk 4096 "$f" < "$src" &
		pid=$!
		sleep_ms $((RANDOM % SPAN))
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		which_version "$f"
		if [ "$VERSION" = mixed ]; then
			fail "kill $round: '$f' is neither the old nor the new version"
		fi
		count_temps data "$pid"
		if [ "$VERSION" = "$want" ]; then
			after=$((after + 1))
			assert_equal "$TEMPS" 0
		elif [ "$TEMPS" -gt 0 ]; then
			during=$((during + 1))
		else
			before=$((before + 1))
		fi
		if [ "$VERSION" = "$want" ]; then adapt_span 1; else adapt_span 0; fi
		assert_equal "$(fsx-tool clean-stale "$f")" "$TEMPS"
		count_temps data "$pid"
		assert_equal "$TEMPS" 0
	done
	assert_file_exists "$W/.data.tmp-99999-abcdef"
	assert_file_exists "$W/data.sretools-tmp-99999-abcdef"
	assert_file_exists "$W/$live"
	assert_equal "$(ls -A "$W" | wc -l)" 4
	echo "# replace: 100 kills: $before before the temp file existed, $during while it did, $after after the rename" >&3
}

# Read file $1 (with bash only: a fork costs more than the check) and compare it to
# copies of $RECORD_LINE: COMPLETE is the number of whole records it starts with,
# TAIL the number of bytes after them (a torn record); fails if anything differs.
read_records() {
	local content=
	IFS= read -r -d '' content < "$1" || true
	[[ $content == "${ALL_RECORDS:0:${#content}}" ]] || fail "'$1' holds something else than copies of the record"
	COMPLETE=$(( ${#content} / ${#RECORD_LINE} ))
	TAIL=$(( ${#content} % ${#RECORD_LINE} ))
}

@test "torture: kill -9 at random instants of appends never shows a torn record" {
	local l="$W/ledger" pad rec round pid t0 t1 n torn=0 finished=0

	printf -v pad '%*s' 16384 ''
	rec="rec-${pad// /x}"
	RECORD_LINE="$rec"$'\n'
	ALL_RECORDS=
	for ((round = 0; round < 30; round++)); do ALL_RECORDS+=$RECORD_LINE; done
	fsx-tool append --count 2 "$l" "$rec"
	now_ms t0
	fsx-tool append --chunk 16 --count 2 "$l" "$rec"
	now_ms t1
	SPAN=$((t1 - t0 + 2))
	n=4
	for ((round = 0; round < 60; round++)); do
		fsx-tool append --chunk 16 --count 2 "$l" "$rec" &
		pid=$!
		sleep_ms $((RANDOM % SPAN))
		kill -9 "$pid" 2>/dev/null || true
		if wait "$pid"; then finished=$((finished + 1)); fi
		read_records "$l"
		if [ "$TAIL" -gt 0 ]; then torn=$((torn + 1)); fi
		[ "$COMPLETE" -ge "$n" ] || fail "kill $round: a committed record was lost"
		adapt_span "$((COMPLETE == n + 2))"
		n=$COMPLETE
		# A reader gets the complete records only.
		fsx-tool read-ledger "$l" > "$W/read"
		read_records "$W/read"
		assert_equal "$COMPLETE $TAIL" "$n 0"
		# The next append repairs a torn tail: the raw file is whole again.
		fsx-tool append "$l" "$rec"
		n=$((n + 1))
		read_records "$l"
		assert_equal "$COMPLETE $TAIL" "$n 0"
		if [ "$n" -gt 24 ]; then
			: > "$l"
			n=0
		fi
	done
	echo "# append: 60 kills, $torn left a torn last record (repaired by the next append), $finished came after the end" >&3
}

@test "append repairs a torn tail and rejects a missing directory" {
	printf 'a\nb\npartial rec' > "$W/l"
	run -0 fsx-tool valid-len "$W/l"
	assert_output 4
	run -0 fsx-tool read-ledger "$W/l"
	assert_output $'a\nb'
	fsx-tool append "$W/l" c
	assert_equal "$(cat "$W/l")" $'a\nb\nc'
	run -2 --separate-stderr fsx-tool append "$W/nodir/l" c
	assert_equal "$stderr" "fsx-tool: error: cannot open '$W/nodir/l': No such file or directory"
	run -2 --separate-stderr fsx-tool append "$W/l" $'two\nlines'
	assert_equal "$stderr" "fsx-tool: error: record for '$W/l' holds more than one line"
}

@test "fault: a failed fsync fails the replace, the old file survives, no temp is left" {
	printf 'old content\n' > "$W/f"
	cp "$W/f" "$BATS_TEST_TMPDIR/f.orig"
	run -2 --separate-stderr strace_fsx fsync,fdatasync:error=EIO \
		replace "$W/f" < "$BATS_FILE_TMPDIR/new.bin"
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$stderr" "fsx-tool: error: cannot sync '$W/f': Input/output error"
	cmp "$W/f" "$BATS_TEST_TMPDIR/f.orig"
	assert_equal "$(ls -A "$W")" "f"
	# the one-shot form too
	run -2 --separate-stderr strace_fsx fsync,fdatasync:error=EIO \
		write "$W/f" < "$BATS_FILE_TMPDIR/new.bin"
	assert_equal "$stderr" "fsx-tool: error: cannot sync '$W/f': Input/output error"
	cmp "$W/f" "$BATS_TEST_TMPDIR/f.orig"
	assert_equal "$(ls -A "$W")" "f"
	# only the first fsync fails: never retried, so still fatal
	run -2 --separate-stderr strace_fsx fsync:error=EIO:when=1 \
		replace "$W/f" < "$BATS_FILE_TMPDIR/new.bin"
	assert_equal "$stderr" "fsx-tool: error: cannot sync '$W/f': Input/output error"
	cmp "$W/f" "$BATS_TEST_TMPDIR/f.orig"
	assert_equal "$(ls -A "$W")" "f"
}

@test "fault: a failed fsync fails the append and leaves the ledger byte for byte" {
	printf '{"n":1}\n{"n":2}\n' > "$W/ledger"
	cp "$W/ledger" "$BATS_TEST_TMPDIR/ledger.orig"
	run -2 --separate-stderr strace_fsx fsync,fdatasync:error=EIO \
		append "$W/ledger" '{"n":3}'
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$stderr" "fsx-tool: error: cannot sync '$W/ledger': Input/output error"
	cmp "$W/ledger" "$BATS_TEST_TMPDIR/ledger.orig"
	assert_equal "$(ls -A "$W")" "ledger"
	# only the first fsync fails: never retried, so still fatal
	run -2 --separate-stderr strace_fsx fsync:error=EIO:when=1 \
		append "$W/ledger" '{"n":3}'
	assert_equal "$stderr" "fsx-tool: error: cannot sync '$W/ledger': Input/output error"
	cmp "$W/ledger" "$BATS_TEST_TMPDIR/ledger.orig"
	# a torn tail is cut before the append; its fsync failing is fatal too
	printf '{"n":3,"to' >> "$W/ledger"
	run -2 --separate-stderr strace_fsx fsync:error=EIO \
		append "$W/ledger" '{"n":3}'
	assert_equal "$stderr" "fsx-tool: error: cannot sync '$W/ledger': Input/output error"
	run -0 fsx-tool read-ledger "$W/ledger"
	assert_output "$(cat "$BATS_TEST_TMPDIR/ledger.orig")"
}

@test "fault: failed write and rename leave the old file; a failed directory sync is reported" {
	printf 'old\n' > "$W/f"
	run -2 --separate-stderr strace_fsx write:error=ENOSPC:when=1 \
		replace "$W/f" < "$BATS_FILE_TMPDIR/new.bin"
	assert_equal "$stderr" "fsx-tool: error: cannot write '$W/f': No space left on device"
	assert_equal "$(cat "$W/f")" "old"
	assert_equal "$(ls -A "$W")" "f"
	run -2 --separate-stderr strace_fsx write:error=ENOSPC:when=1 \
		append "$W/f" new
	assert_equal "$stderr" "fsx-tool: error: cannot write '$W/f': No space left on device"
	assert_equal "$(cat "$W/f")" "old"
	run -2 --separate-stderr strace_fsx rename:error=EIO \
		replace "$W/f" < "$BATS_FILE_TMPDIR/new.bin"
	assert_regex "$stderr" "^fsx-tool: error: cannot rename '$W/\.f\.sretools-tmp-[0-9]+-[A-Za-z0-9]{6}' to '$W/f': Input/output error\$"
	assert_equal "$(cat "$W/f")" "old"
	assert_equal "$(ls -A "$W")" "f"
	# the second fsync is the directory's: the rename is done, its durability unknown
	run -2 --separate-stderr strace_fsx fsync:error=EIO:when=2 \
		replace "$W/f" <<< "new"
	assert_equal "$stderr" "fsx-tool: error: cannot sync directory '$W': Input/output error"
	assert_equal "$(cat "$W/f")" "new"
	assert_equal "$(ls -A "$W")" "f"
}

@test "lock: contention names the holder; the lock dies with its process" {
	local holder waiter
	fsx-tool lock --hold 120 "$W/lock" > "$W/holder.out" &
	holder=$!
	BG_PIDS+=("$holder")
	wait_for_line "$W/holder.out" locked
	assert_regex "$(cat "$W/lock")" "^pid=$holder prog=fsx-tool since=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\$"
	assert_equal "$(stat -c %a "$W/lock")" 600
	run -2 --separate-stderr fsx-tool lock "$W/lock"
	assert_output ""
	assert_regex "$stderr" "^fsx-tool: error: '$W/lock' is locked by pid $holder \(fsx-tool since [0-9T:-]+Z\)\$"
	# a waiter blocks until the holder dies, then gets the lock
	fsx-tool lock --wait "$W/lock" > "$W/waiter.out" &
	waiter=$!
	BG_PIDS+=("$waiter")
	kill -9 "$holder"
	wait "$holder" || true
	wait "$waiter"
	assert_equal "$(cat "$W/waiter.out")" locked
	run -0 fsx-tool lock "$W/lock"
	assert_output locked
	assert_equal "$(cat "$W/lock")" ""
}

@test "swap: replaces a link atomically, refuses a directory" {
	mkdir -p "$W/releases/1" "$W/releases/2" "$W/current-dir"
	fsx-tool swap releases/1 "$W/current"
	assert_equal "$(readlink "$W/current")" releases/1
	fsx-tool swap releases/2 "$W/current"
	assert_equal "$(readlink "$W/current")" releases/2
	run -2 --separate-stderr fsx-tool swap releases/2 "$W/current-dir"
	assert_equal "$stderr" "fsx-tool: error: '$W/current-dir' is a directory, not a symbolic link"
	assert_dir_exists "$W/current-dir"
	assert_equal "$(ls -A "$W" | tr '\n' ' ')" "current current-dir releases "
}

@test "mktemp: private directory under TMPDIR or a parent; rmtree never follows links" {
	run -0 fsx-tool mktemp restore
	assert_regex "$output" "^$TMPDIR/sretools-restore\.[A-Za-z0-9]{6}\$"
	assert_equal "$(stat -c %a "$output")" 700
	run -0 fsx-tool mktemp --parent "$W" restore
	local t=$output
	assert_regex "$t" "^$W/sretools-restore\.[A-Za-z0-9]{6}\$"
	mkdir -p "$W/outside" "$t/a/b"
	echo keep > "$W/outside/keep"
	ln -s ../../../outside "$t/a/b/up"
	ln -s "$W/outside/keep" "$t/a/file-link"
	fsx-tool rmtree "$t"
	assert_not_exists "$t"
	assert_equal "$(cat "$W/outside/keep")" keep
	run -2 --separate-stderr fsx-tool mktemp 'bad/prefix'
	assert_equal "$stderr" "fsx-tool: error: invalid temporary directory prefix 'bad/prefix': expected letters, digits, '_' or '-'"
	run -2 --separate-stderr fsx-tool rmtree /
	assert_equal "$stderr" "fsx-tool: error: refusing to remove '/'"
}

@test "rmtree does not descend into another file system mounted inside" {
	mkdir -p "$W/t/m"
	touch "$W/t/file"
	# a private mount namespace, so that the tmpfs vanishes with the shell
	run --separate-stderr unshare -m sh -c '
		mount -t tmpfs none "$1/t/m" 2>/dev/null || exit 77
		touch "$1/t/m/keep"
		fsx-tool rmtree "$1/t"
		rc=$?
		[ -e "$1/t/m/keep" ] || rc=9
		exit $rc' sh "$W"
	if [ "$status" -eq 77 ] || [[ $stderr == unshare:* ]]; then
		skip "cannot mount a tmpfs in a private mount namespace here"
	fi
	assert_equal "$status" 2
	assert_equal "$stderr" "fsx-tool: error: refusing to remove '$W/t/m': another file system is mounted there"
}

@test "clean-stale: removes a killed writer's temps in a directory, nothing else" {
	local dead
	sleep 0 & dead=$!
	wait "$dead"
	touch "$W/.a.sretools-tmp-$dead-AbC123" "$W/.b.sretools-tmp-$dead-XyZ789" \
		"$W/.a.sretools-tmp-$$-AbC123" "$W/a" "$W/.a.sretools-tmp-$dead-AbC123~"
	run -0 fsx-tool clean-stale "$W/a"
	assert_output 1
	run -0 fsx-tool clean-stale --dir "$W"
	assert_output 1
	assert_file_exists "$W/.a.sretools-tmp-$$-AbC123"
	assert_file_exists "$W/.a.sretools-tmp-$dead-AbC123~"
	assert_file_exists "$W/a"
	assert_equal "$(ls -A "$W" | wc -l)" 3
}
