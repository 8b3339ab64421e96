#!/usr/bin/env bats
# backup-verify --restore-test: safe extraction into a private directory, the restored
# tree re-hashed, --validate, --keep, --restore-dir, the caps against decompression
# bombs, and the cleanup after SIGTERM, SIGINT and SIGKILL.  Archives are made here by
# the real tools (GNU tar, zip, 7z, sqlite3; python3's tarfile where a tool will not
# write an unsafe entry).
bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC/sub/deeper"
	printf 'hello\n' >"$SRC/a.txt"
	: >"$SRC/empty"
	head -c 300000 /dev/urandom >"$SRC/sub/big.bin"
	ln -s ../a.txt "$SRC/sub/link"
	ln "$SRC/a.txt" "$SRC/hard.txt"
	printf 'x' >"$SRC/sub/deeper/x"
}

# Nothing of ours is left in $TMPDIR.
assert_tmpdir_clean() {
	local left
	left=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'sretools-backup-verify.*')
	[[ -z $left ]] || fail "left in \$TMPDIR: $left"
}

# The report (the last record) of the last run.
report() {
	printf '%s\n' "$output" | jq -c 'select(.kind == "backup.report")'
}

# The problem codes of the last run, sorted, one line.
problem_codes() {
	printf '%s\n' "$output" | jq -r 'select(.kind == "backup.problem") | .problem' | sort | paste -sd' ' -
}

# wait_for FILE: up to 10 s for FILE to exist and be non-empty.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ -s $1 ]] && return 0
		sleep 0.05
	done
	fail "$1 did not appear"
}

# gone PID: the process has ended (or is a zombie nobody reaped yet).
gone() {
	local i stat
	for ((i = 0; i < 100; i++)); do
		stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
		stat=${stat##*) }
		[[ ${stat%% *} == Z ]] && return 0
		sleep 0.05
	done
	return 1
}

# ---- restore test of each format ------------------------------------------------------

@test "a tar.gz restores, matches, and leaves nothing behind" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	run -0 --separate-stderr backup-verify --restore-test -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	report | jq -e '.ok and .restore.ok and .restore.entries == 9 and .restore.bytes == 300007'
	report | jq -e '.restore.seconds >= 0 and .restore.verify_seconds >= 0'
	report | jq -e '.restore.refused_entries == 0 and .restore.skipped_entries == 0'
	report | jq -e '(.restore | has("dir") | not) and (.restore | has("validate") | not)'
	assert_tmpdir_clean
}

@test "a zip restores and matches" {
	needs zip zip
	(cd "$SRC" && zip -qry "$BATS_TEST_TMPDIR/b.zip" .)
	run -0 --separate-stderr backup-verify --restore-test -o ndjson "$BATS_TEST_TMPDIR/b.zip"
	report | jq -e '.ok and .restore.ok and .restore.entries >= 6'
	assert_tmpdir_clean
}

@test "a 7z restores and matches" {
	needs 7z p7zip-full
	(cd "$SRC" && 7z a -snl -bd -bso0 "$BATS_TEST_TMPDIR/b.7z" .)
	run -0 --separate-stderr backup-verify --restore-test -o ndjson "$BATS_TEST_TMPDIR/b.7z"
	report | jq -e '.ok and .restore.ok and .restore.entries >= 6'
	assert_tmpdir_clean
}

@test "a tar.zst and a cpio restore in one run, each in its own directory" {
	# three names of one file: cpio's newc format stores the data with the last one
	ln "$SRC/a.txt" "$SRC/sub/third.txt"
	tar -C "$SRC" --zstd -cf "$BATS_TEST_TMPDIR/b.tar.zst" .
	(cd "$SRC" && find . | cpio -o -H newc --quiet >"$BATS_TEST_TMPDIR/b.cpio")
	run -0 --separate-stderr backup-verify --restore-test -o ndjson \
		--validate 'test -f sub/big.bin && test -L sub/link && printf "%s\n" "$RESTORE_DIR"' \
		"$BATS_TEST_TMPDIR/b.tar.zst" "$BATS_TEST_TMPDIR/b.cpio"
	[ "$(report | jq -s 'length')" -eq 2 ]
	report | jq -se 'all(.restore.ok and .restore.validate.ok)'
	# two different private directories under $TMPDIR, both gone now
	dirs=$(report | jq -r '.restore.validate.output' | sort -u)
	[ "$(printf '%s\n' "$dirs" | grep -c "^$TMPDIR/sretools-backup-verify\.[A-Za-z0-9]\{6\}/root\$")" -eq 2 ]
	assert_tmpdir_clean
}

# ---- unsafe archives: nothing is written outside ---------------------------------------

@test "../x and an absolute path are refused and nothing lands outside" {
	mkdir -p "$BATS_TEST_TMPDIR/work/in" "$BATS_TEST_TMPDIR/outside"
	printf 'pwned\n' >"$BATS_TEST_TMPDIR/work/x"
	printf 'ok\n' >"$BATS_TEST_TMPDIR/work/in/fine"
	(cd "$BATS_TEST_TMPDIR/work/in" && tar -cPf "$BATS_TEST_TMPDIR/dotdot.tar" fine ../x)
	printf 'pwned\n' >"$BATS_TEST_TMPDIR/abs-x"
	tar -cPf "$BATS_TEST_TMPDIR/abs.tar" "$BATS_TEST_TMPDIR/abs-x"
	rm "$BATS_TEST_TMPDIR/work/x" "$BATS_TEST_TMPDIR/abs-x"
	tar -tPf "$BATS_TEST_TMPDIR/dotdot.tar" | grep -qx '\.\./x'   # the fixture is what it claims
	run -1 --separate-stderr backup-verify --restore-test -o ndjson \
		"$BATS_TEST_TMPDIR/dotdot.tar" "$BATS_TEST_TMPDIR/abs.tar"
	[[ " $(problem_codes) " == *" unsafe_path "* ]]
	report | jq -se 'all(.restore.ok == false and .restore.refused_entries == 1)'
	assert_file_not_exists "$BATS_TEST_TMPDIR/work/x"
	assert_file_not_exists "$BATS_TEST_TMPDIR/abs-x"
	assert_tmpdir_clean
}

@test "a file written through a symlink made by an earlier entry is refused" {
	mkdir -p "$BATS_TEST_TMPDIR/outside" "$BATS_TEST_TMPDIR/evil"
	ln -s "$BATS_TEST_TMPDIR/outside" "$BATS_TEST_TMPDIR/evil/esc"
	tar -C "$BATS_TEST_TMPDIR/evil" -cf "$BATS_TEST_TMPDIR/evil.tar" esc
	rm "$BATS_TEST_TMPDIR/evil/esc"
	mkdir "$BATS_TEST_TMPDIR/evil/esc"
	printf 'pwned\n' >"$BATS_TEST_TMPDIR/evil/esc/x"
	tar -C "$BATS_TEST_TMPDIR/evil" -rf "$BATS_TEST_TMPDIR/evil.tar" esc/x
	run -1 --separate-stderr backup-verify --restore-test -o ndjson "$BATS_TEST_TMPDIR/evil.tar"
	printf '%s\n' "$output" | jq -se 'any(.kind == "backup.problem" and .problem == "unsafe_path" and .path == "esc/x")'
	report | jq -e '.restore.ok == false and .restore.refused_entries == 1'
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/outside")" ]
	assert_tmpdir_clean
}

@test "a hardlink to a file outside is refused and the file stays untouched" {
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	printf 'secret\n' >"$BATS_TEST_TMPDIR/outside/secret"
	python3 - "$BATS_TEST_TMPDIR/hard.tar" "$BATS_TEST_TMPDIR/outside/secret" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    link = tarfile.TarInfo("h")
    link.type = tarfile.LNKTYPE
    link.linkname = sys.argv[2]
    t.addfile(link)
    data = b"pwned\n"
    f = tarfile.TarInfo("h")
    f.size = len(data)
    t.addfile(f, io.BytesIO(data))
EOF
	run -1 --separate-stderr backup-verify --restore-test -o ndjson "$BATS_TEST_TMPDIR/hard.tar"
	[[ " $(problem_codes) " == *" unsafe_path "* ]]
	assert_equal "$(cat "$BATS_TEST_TMPDIR/outside/secret")" secret
	assert_equal "$(stat -c %h "$BATS_TEST_TMPDIR/outside/secret")" 1
	assert_tmpdir_clean
}

@test "no owners, no setuid or setgid bits, no device nodes: even when run as root" {
	python3 - "$BATS_TEST_TMPDIR/suid.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    data = b"#!/bin/sh\n"
    f = tarfile.TarInfo("bin/suid")
    f.size, f.mode, f.uid, f.gid = len(data), 0o6755, 12345, 12345
    f.uname = f.gname = "nobody-here"
    t.addfile(f, io.BytesIO(data))
    for name, kind in (("dev/mem", tarfile.CHRTYPE), ("dev/sda", tarfile.BLKTYPE)):
        d = tarfile.TarInfo(name)
        d.type, d.devmajor, d.devminor, d.mode = kind, 1, 1, 0o666
        t.addfile(d)
EOF
	run -0 --separate-stderr backup-verify --restore-test --keep -o ndjson "$BATS_TEST_TMPDIR/suid.tar"
	dir=$(report | jq -r '.restore.dir')
	[[ $dir == "$TMPDIR"/sretools-backup-verify.*/root ]]
	report | jq -e '.restore.ok and .restore.skipped_entries == 2'
	assert_file_exists "$dir/bin/suid"
	assert_equal "$(stat -c '%a %u %g' "$dir/bin/suid")" "755 $(id -u) $(id -g)"
	assert_file_not_exists "$dir/dev/mem"
	assert_file_not_exists "$dir/dev/sda"
}

# ---- decompression bombs ----------------------------------------------------------------

@test "a decompression bomb is stopped by --max-ratio and by --max-bytes" {
	head -c 64M /dev/zero >"$BATS_TEST_TMPDIR/zeros"
	tar -C "$BATS_TEST_TMPDIR" -czf "$BATS_TEST_TMPDIR/bomb.tar.gz" zeros
	rm "$BATS_TEST_TMPDIR/zeros"
	run -1 --separate-stderr backup-verify --restore-test --max-ratio 50 -o ndjson "$BATS_TEST_TMPDIR/bomb.tar.gz"
	[[ " $(problem_codes) " == *" limit "* ]]
	printf '%s\n' "$output" | jq -se 'any(.problem == "limit" and (.message | test("--max-ratio")))'
	assert_tmpdir_clean
	run -1 --separate-stderr backup-verify --restore-test --max-bytes 1M -o ndjson "$BATS_TEST_TMPDIR/bomb.tar.gz"
	printf '%s\n' "$output" | jq -se 'any(.problem == "limit" and (.message | test("--max-bytes")))'
	report | jq -e '.ok == false'
	assert_tmpdir_clean
	# the same archive passes without caps
	run -0 --separate-stderr backup-verify --restore-test -o ndjson "$BATS_TEST_TMPDIR/bomb.tar.gz"
	report | jq -e '.restore.ok and .restore.bytes == 67108864'
}

@test "--max-entries caps the restore" {
	mkdir "$BATS_TEST_TMPDIR/many"
	for i in $(seq 1 50); do : >"$BATS_TEST_TMPDIR/many/f$i"; done
	tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/many.tar" many
	run -1 --separate-stderr backup-verify --restore-test --max-entries 10 -o ndjson "$BATS_TEST_TMPDIR/many.tar"
	printf '%s\n' "$output" | jq -se 'any(.problem == "limit" and (.message | test("--max-entries")))'
	assert_tmpdir_clean
}

# ---- --keep and --restore-dir -------------------------------------------------------------

@test "--keep leaves the restored tree and says where" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	run -0 --separate-stderr backup-verify --restore-test --keep -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	dir=$(report | jq -r '.restore.dir')
	[[ $dir == "$TMPDIR"/sretools-backup-verify.*/root ]]
	cmp "$SRC/sub/big.bin" "$dir/sub/big.bin"
	assert_equal "$(readlink "$dir/sub/link")" ../a.txt
	[[ $stderr == *"$dir"* ]]
	# a later run does not take the kept directory for a leftover
	run -0 --separate-stderr backup-verify --restore-test -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	assert_file_exists "$dir/sub/big.bin"
}

@test "--restore-dir: created when absent and removed, or emptied when it was there" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	run -0 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/new" \
		--validate 'test "$RESTORE_DIR" = "$PWD" && test -f a.txt && pwd' -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	report | jq -e --arg d "$BATS_TEST_TMPDIR/new" '.restore.ok and .restore.validate.output == $d + "\n"'
	assert_file_not_exists "$BATS_TEST_TMPDIR/new"
	mkdir -m 0750 "$BATS_TEST_TMPDIR/mine"
	run -0 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/mine" -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	assert_dir_exists "$BATS_TEST_TMPDIR/mine"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/mine")" ]
	run -0 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/kept" --keep -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	cmp "$SRC/sub/big.bin" "$BATS_TEST_TMPDIR/kept/sub/big.bin"
	assert_file_not_exists "$BATS_TEST_TMPDIR/kept/.sretools-backup-verify.lock"
	report | jq -e --arg d "$BATS_TEST_TMPDIR/kept" '.restore.dir == $d'
}

@test "--restore-dir that is not empty, a file or a symlink is refused untouched" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	mkdir "$BATS_TEST_TMPDIR/full"
	printf 'precious\n' >"$BATS_TEST_TMPDIR/full/data"
	run -2 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/full" -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	[[ $stderr == *"restore directory '$BATS_TEST_TMPDIR/full' is not empty"* ]]
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR/full")" data
	assert_equal "$(cat "$BATS_TEST_TMPDIR/full/data")" precious
	ln -s "$BATS_TEST_TMPDIR/empty-target" "$BATS_TEST_TMPDIR/lnk"
	mkdir "$BATS_TEST_TMPDIR/empty-target"
	run -2 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/lnk" -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	[[ $stderr == *"symbolic link"* ]]
	run -2 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/full/data" -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	[[ $stderr == *"is not a directory"* ]]
	assert_equal "$(cat "$BATS_TEST_TMPDIR/full/data")" precious
}

# ---- --validate ---------------------------------------------------------------------------

# make_db DIR: a real SQLite database DIR/app.db; its contents are fixed (no randomblob),
# so the same bytes every run and the corruptions below hit the same pages every time
make_db() {
	mkdir -p "$1"
	sqlite3 "$1/app.db" "create table t(id integer primary key, v text); create index iv on t(v);
		with recursive c(x) as (select 1 union all select x + 1 from c where x < 2000)
		insert into t select x, printf('%08d-%d', (x * 7919) % 2003, x) from c;"
}

@test "--validate: sqlite3 integrity_check of a good database" {
	needs sqlite3 sqlite3
	make_db "$BATS_TEST_TMPDIR/db"
	tar -C "$BATS_TEST_TMPDIR/db" -czf "$BATS_TEST_TMPDIR/db.tar.gz" app.db
	run -0 --separate-stderr backup-verify -o ndjson \
		--validate 'sqlite3 "$RESTORE_DIR/app.db" "PRAGMA integrity_check"' "$BATS_TEST_TMPDIR/db.tar.gz"
	report | jq -e '.ok and .restore.ok'
	report | jq -e '.restore.validate == (.restore.validate | {ok, exit, seconds, output, output_bytes})'
	report | jq -e '.restore.validate | .ok and .exit == 0 and .output == "ok\n" and .output_bytes == 3 and .seconds >= 0'
	assert_tmpdir_clean
}

@test "--validate: a corrupted database fails the restore test" {
	needs sqlite3 sqlite3
	make_db "$BATS_TEST_TMPDIR/db"
	# page 2 is always the root page of t, the first table created; zeroed, sqlite3
	# itself fails ("database disk image is malformed", exit 11)
	cp "$BATS_TEST_TMPDIR/db/app.db" "$BATS_TEST_TMPDIR/db/good.db"
	dd if=/dev/zero of="$BATS_TEST_TMPDIR/db/app.db" bs=4096 seek=1 count=1 conv=notrunc status=none
	tar -C "$BATS_TEST_TMPDIR/db" -czf "$BATS_TEST_TMPDIR/bad.tar.gz" app.db
	run -1 --separate-stderr backup-verify -o ndjson \
		--validate 'sqlite3 "$RESTORE_DIR/app.db" "PRAGMA integrity_check"' "$BATS_TEST_TMPDIR/bad.tar.gz"
	report | jq -e '.ok == false and .restore.ok == false and .restore.validate.ok == false'
	report | jq -e '.restore.validate.exit == 11 and (.restore.validate.output | test("malformed"))'
	printf '%s\n' "$output" | jq -se 'any(.problem == "validate_failed" and .expected == "0" and .actual == "11")'
	# a milder corruption: integrity_check lists it but sqlite3 exits 0, so the command
	# must compare the answer with "ok".  Index iv is redefined over another column, so
	# every row is missing from it; unlike bytes written at an offset (which may land in
	# a page's free space and go unnoticed), this is found every time.
	cp "$BATS_TEST_TMPDIR/db/good.db" "$BATS_TEST_TMPDIR/db/app.db"
	sqlite3 "$BATS_TEST_TMPDIR/db/app.db" "PRAGMA writable_schema=ON;
		UPDATE sqlite_schema SET sql = 'CREATE INDEX iv ON t(id)' WHERE name = 'iv';"
	run -0 sqlite3 "$BATS_TEST_TMPDIR/db/app.db" "PRAGMA integrity_check"
	[[ $output == "row 1 missing from index iv"* ]]
	tar -C "$BATS_TEST_TMPDIR/db" -czf "$BATS_TEST_TMPDIR/mild.tar.gz" app.db
	run -1 --separate-stderr backup-verify -o ndjson \
		--validate 'test "$(sqlite3 "$RESTORE_DIR/app.db" "PRAGMA integrity_check")" = ok' "$BATS_TEST_TMPDIR/mild.tar.gz"
	report | jq -e '.restore.validate.exit == 1'
	assert_tmpdir_clean
}

@test "--validate false fails; its output excerpt keeps the start and the end" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	run -1 --separate-stderr backup-verify -o ndjson --validate false "$BATS_TEST_TMPDIR/b.tar.gz"
	printf '%s\n' "$output" | jq -se 'any(.kind == "backup.problem" and .problem == "validate_failed" and .actual == "1")'
	report | jq -e '.restore.validate.exit == 1 and .restore.validate.ok == false and .error.code == "validate_failed"'
	run -0 --separate-stderr backup-verify -o ndjson \
		--validate 'echo first; head -c 10000 /dev/zero | tr "\0" x; echo; echo last >&2' "$BATS_TEST_TMPDIR/b.tar.gz"
	report | jq -e '.restore.validate.output_bytes == 10012'
	report | jq -e '.restore.validate.output | startswith("first\nxxx") and endswith("xxx\nlast\n") and test("\\[\\.\\.\\. 5916 bytes left out \\.\\.\\.\\]")'
}

@test "--validate-timeout kills the command and its group" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	run -1 --separate-stderr backup-verify -o ndjson --validate-timeout 1s \
		--validate "sleep 60 & echo \$! > '$BATS_TEST_TMPDIR/bg.pid'; sleep 60" "$BATS_TEST_TMPDIR/b.tar.gz"
	printf '%s\n' "$output" | jq -se 'any(.problem == "validate_timeout" and .actual == "1s")'
	report | jq -e '.restore.validate | .timed_out and .signal == "SIGKILL" and .exit == null'
	gone "$(cat "$BATS_TEST_TMPDIR/bg.pid")"
	assert_tmpdir_clean
}

# ---- signals and leftovers ----------------------------------------------------------------

# start_slow ARGS...: backup-verify with a --validate that writes its pid to
# $BATS_TEST_TMPDIR/v.pid and sleeps; sets BV_PID once the restore is in place.
start_slow() {
	rm -f "$BATS_TEST_TMPDIR/v.pid"
	backup-verify -o ndjson --validate "echo \$\$ > '$BATS_TEST_TMPDIR/v.pid'; exec sleep 30" "$@" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	BV_PID=$!
	wait_for "$BATS_TEST_TMPDIR/v.pid"
}

@test "SIGTERM removes the restore directory and exits 143" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	start_slow "$BATS_TEST_TMPDIR/b.tar.gz"
	[ -n "$(find "$TMPDIR" -maxdepth 1 -name 'sretools-backup-verify.*')" ]
	kill -TERM "$BV_PID"
	status=0
	wait "$BV_PID" || status=$?
	assert_equal "$status" 143
	gone "$(cat "$BATS_TEST_TMPDIR/v.pid")"
	assert_tmpdir_clean
}

@test "SIGINT removes the restore directory and exits 130" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	rm -f "$BATS_TEST_TMPDIR/v.pid"
	# a background job starts with SIGINT ignored; give it the default back
	env --default-signal=INT backup-verify -o ndjson --restore-dir "$BATS_TEST_TMPDIR/r" \
		--validate "echo \$\$ > '$BATS_TEST_TMPDIR/v.pid'; exec sleep 30" "$BATS_TEST_TMPDIR/b.tar.gz" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	BV_PID=$!
	wait_for "$BATS_TEST_TMPDIR/v.pid"
	assert_file_exists "$BATS_TEST_TMPDIR/r/sub/big.bin"
	kill -INT "$BV_PID"
	status=0
	wait "$BV_PID" || status=$?
	assert_equal "$status" 130
	assert_file_not_exists "$BATS_TEST_TMPDIR/r"
}

@test "a run killed with SIGKILL leaves a directory that the next run removes" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	start_slow "$BATS_TEST_TMPDIR/b.tar.gz"
	kill -KILL "$BV_PID"
	wait "$BV_PID" || true
	kill -KILL "$(cat "$BATS_TEST_TMPDIR/v.pid")"   # the orphaned validate command
	left=$(find "$TMPDIR" -maxdepth 1 -name 'sretools-backup-verify.*')
	[ -n "$left" ]
	assert_file_exists "$left/root/sub/big.bin"
	# a directory that is not ours, and one without a lock (kept), stay
	mkdir "$TMPDIR/sretools-backup-verify.kept01" "$TMPDIR/unrelated"
	run -0 --separate-stderr backup-verify -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	assert_file_not_exists "$left"
	assert_dir_exists "$TMPDIR/sretools-backup-verify.kept01"
	assert_dir_exists "$TMPDIR/unrelated"
}

@test "a --restore-dir left by a SIGKILLed run is emptied and used by the next run" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	start_slow --restore-dir "$BATS_TEST_TMPDIR/r" "$BATS_TEST_TMPDIR/b.tar.gz"
	kill -KILL "$BV_PID"
	wait "$BV_PID" || true
	kill -KILL "$(cat "$BATS_TEST_TMPDIR/v.pid")"
	assert_file_exists "$BATS_TEST_TMPDIR/r/.sretools-backup-verify.lock"
	assert_file_exists "$BATS_TEST_TMPDIR/r/sub/big.bin"
	run -0 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/r" -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	report | jq -e '.restore.ok'
	# the dead run made the directory, but this run found it there: emptied, kept
	assert_dir_exists "$BATS_TEST_TMPDIR/r"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/r")" ]
}

@test "a --restore-dir in use by a live run is refused" {
	tar -C "$SRC" -czf "$BATS_TEST_TMPDIR/b.tar.gz" .
	start_slow --restore-dir "$BATS_TEST_TMPDIR/r" "$BATS_TEST_TMPDIR/b.tar.gz"
	run -2 --separate-stderr backup-verify --restore-dir "$BATS_TEST_TMPDIR/r" -o ndjson "$BATS_TEST_TMPDIR/b.tar.gz"
	[[ $stderr == *"locked by pid $BV_PID"* ]]
	kill -TERM "$BV_PID"
	wait "$BV_PID" || true
	assert_file_not_exists "$BATS_TEST_TMPDIR/r"
}
