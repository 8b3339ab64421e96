#!/usr/bin/env bats
# backup-verify check and manifest (src/backup-verify: main, settings, scan, check,
# report, output, progress, listing) against archives made here by the real tools:
# GNU tar, bsdtar, cpio, zip, 7z, gzip, bzip2, xz, zstd, lz4.  The restore test has
# its own suite, tests/backup-verify-restore.bats.
bats_require_minimum_version 1.5.0

load helpers/common

# ---- fixtures ---------------------------------------------------------------------------

# mk_tree DIR: the standard tree, the same content every time (mtimes aside).
mk_tree() {
	local d=$1
	mkdir -p "$d/dir" "$d/sub/deep"
	printf 'alpha\n' >"$d/a.txt"
	python3 -c 'import sys, random; random.seed(7); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(150000)))' >"$d/dir/b.bin"
	: >"$d/empty"
	printf 'deep\n' >"$d/sub/deep/c.txt"
	ln -s a.txt "$d/link"
	chmod 0640 "$d/sub/deep/c.txt"
}

# Archives of $FX/tree in every format and filter, made once per file.
setup_file() {
	export LC_ALL=C PATH="$SRETOOLS_BINDIR:$SRETOOLS_TESTBIN:$PATH"
	FX="$BATS_FILE_TMPDIR/fx"
	export FX
	mkdir -p "$FX"
	mk_tree "$FX/tree"
	(
		cd "$FX/tree" || exit 1
		tar --sort=name --format=gnu -cf "$FX/gnu.tar" .
		tar --sort=name --format=pax -cf "$FX/pax.tar" .
		tar --sort=name --format=ustar -cf "$FX/ustar.tar" .
		bsdtar -cf "$FX/bsd.tar" .
		find . | cpio --quiet -o -H newc >"$FX/newc.cpio"
		find . | cpio --quiet -o -H odc >"$FX/odc.cpio"
		zip -q -r -y "$FX/deflate.zip" .
		zip -q -r -y -0 "$FX/stored.zip" .
		7z a -bd -snl "$FX/x.7z" . >/dev/null
	)
	gzip -c "$FX/gnu.tar" >"$FX/gnu.tar.gz"
	bzip2 -c "$FX/gnu.tar" >"$FX/gnu.tar.bz2"
	xz -c "$FX/gnu.tar" >"$FX/gnu.tar.xz"
	zstd -q -c "$FX/gnu.tar" >"$FX/gnu.tar.zst"
	lz4 -q -c "$FX/gnu.tar" >"$FX/gnu.tar.lz4"
	gzip -c "$FX/newc.cpio" >"$FX/newc.cpio.gz"
	backup-verify manifest "$FX/tree" >"$FX/tree.manifest"
}

# flip FILE OFFSET: invert the lowest bit of the byte at OFFSET.
flip() {
	python3 - "$1" "$2" <<'EOF'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, 'r+b') as f:
    f.seek(off)
    b = f.read(1)[0]
    f.seek(off)
    f.write(bytes([b ^ 1]))
EOF
}

# cut FILE BYTES OUT: the first BYTES bytes of FILE into OUT.
cut_at() {
	head -c "$2" "$1" >"$3"
}

# report: the backup.report record of the last run (the last line of $output).
report() {
	tail -n 1 <<<"$output"
}

# assert_report FILTER: FILTER is true on the last run's report
assert_report() {
	report | jq -e "$1" >/dev/null || {
		echo "filter: $1" >&2
		echo "report: $(report)" >&2
		return 1
	}
}

# assert_problem FILTER: some backup.problem record of the last run satisfies FILTER
assert_problem() {
	jq -s -e "[.[] | select(.kind == \"backup.problem\") | select($1)] | length > 0" \
		<<<"$output" >/dev/null || {
		echo "no problem record with: $1" >&2
		echo "$output" >&2
		return 1
	}
}

# problems: the problem codes of the last run, one per line, in order
problems() {
	jq -r 'select(.kind == "backup.problem") | .problem' <<<"$output"
}

# ---- every format and filter ----------------------------------------------------------------

@test "every archive format verifies OK, named, with the file's own sha256" {
	local f want
	for f in gnu.tar pax.tar ustar.tar bsd.tar newc.cpio odc.cpio deflate.zip stored.zip x.7z; do
		run -0 --separate-stderr backup-verify "$FX/$f"
		assert_records
		assert_record_count 1
		want=$(sha256sum "$FX/$f" | cut -d' ' -f1)
		assert_report ".kind == \"backup.report\" and .ok and .problems == {} and .path == \"$FX/$f\""
		assert_report ".sha256 == \"$want\" and .bytes == $(stat -c %s "$FX/$f") and .filters == []"
		assert_report '.entries >= 8 and .data_bytes == 150011'
		[ -z "$stderr" ]
	done
	run -0 backup-verify "$FX/gnu.tar"
	assert_report '.format == "tar (gnu)" and .name == "'"$FX"'/gnu.tar" and .entries == 9'
	run -0 backup-verify "$FX/pax.tar"
	assert_report '.format == "tar (pax)"'
	run -0 backup-verify "$FX/ustar.tar"
	assert_report '.format == "tar (ustar)"'
	run -0 backup-verify "$FX/newc.cpio"
	assert_report '.format == "cpio (newc)"'
	run -0 backup-verify "$FX/odc.cpio"
	assert_report '.format == "cpio (odc)"'
	run -0 backup-verify "$FX/stored.zip"
	assert_report '.format == "zip"'
	run -0 backup-verify "$FX/x.7z"
	assert_report '.format == "7zip"'
}

@test "every compression filter verifies OK and is named" {
	local f
	declare -A want=([gz]=gzip [bz2]=bzip2 [xz]=xz [zst]=zstd [lz4]=lz4)
	for f in gz bz2 xz zst lz4; do
		run -0 --separate-stderr backup-verify "$FX/gnu.tar.$f"
		assert_records
		assert_report ".ok and .format == \"tar (gnu)\" and .filters == [\"${want[$f]}\"]"
		assert_report ".entries == 9 and .data_bytes == 150011"
		assert_report ".sha256 == \"$(sha256sum "$FX/gnu.tar.$f" | cut -d' ' -f1)\""
	done
	run -0 backup-verify "$FX/newc.cpio.gz"
	assert_report '.format == "cpio (newc)" and .filters == ["gzip"]'
}

@test "a directory verifies OK: its files' bytes, no archive sha256" {
	run -0 --separate-stderr backup-verify "$FX/tree"
	assert_records
	assert_report '.ok and .format == "directory" and .filters == [] and .entries == 8'
	assert_report '.bytes == 150011 and .data_bytes == 150011 and (has("sha256") | not)'
}

@test "the check verb may be named; -- ends the options" {
	run -0 backup-verify check "$FX/gnu.tar"
	assert_report '.ok'
	cp "$FX/gnu.tar" "$BATS_TEST_TMPDIR/-q"
	run -0 backup-verify -- "$BATS_TEST_TMPDIR/-q"
	assert_report '.ok'
}

# ---- damage -------------------------------------------------------------------------------

@test "a tar.gz cut at several offsets is truncated" {
	local size off
	size=$(stat -c %s "$FX/gnu.tar.gz")
	for off in 10 1000 $((size / 2)) $((size - 4)) $((size - 1)); do
		cut_at "$FX/gnu.tar.gz" "$off" "$BATS_TEST_TMPDIR/cut.tgz"
		run -1 --separate-stderr backup-verify "$BATS_TEST_TMPDIR/cut.tgz"
		assert_records
		assert_report '.ok == false and .problems.truncated == 1 and .error.code == "truncated"'
		assert_equal "$(problems)" truncated
		# the file's digest is there even so, read separately
		assert_report ".sha256 == \"$(sha256sum "$BATS_TEST_TMPDIR/cut.tgz" | cut -d' ' -f1)\""
	done
}

@test "a tar cut inside an entry, or without its end marker, is truncated" {
	local eof
	# b.bin, 150000 bytes, is the fourth entry: its data starts at block 5
	cut_at "$FX/gnu.tar" $((512 * 5 + 70000)) "$BATS_TEST_TMPDIR/mid.tar"
	run -1 backup-verify "$BATS_TEST_TMPDIR/mid.tar"
	assert_equal "$(problems)" truncated
	assert_record 1 '.path == "dir/b.bin"'
	assert_report '.problems == {"truncated": 1}'
	# every entry, but not the two zero blocks that end a tar
	eof=$(tar -tR -f "$FX/gnu.tar" | tail -n 1 | sed 's/^block \([0-9]*\): .*/\1/')
	cut_at "$FX/gnu.tar" $((512 * eof)) "$BATS_TEST_TMPDIR/noend.tar"
	run -1 backup-verify "$BATS_TEST_TMPDIR/noend.tar"
	assert_equal "$(problems)" truncated
	assert_report '.entries == 9'
	cut_at "$FX/gnu.tar" $((512 * eof + 512)) "$BATS_TEST_TMPDIR/half.tar"
	run -1 backup-verify "$BATS_TEST_TMPDIR/half.tar"
	assert_equal "$(problems)" truncated
}

@test "a cpio, zip and 7z cut short are problems, not crashes" {
	local f size
	for f in newc.cpio deflate.zip x.7z gnu.tar.xz gnu.tar.zst gnu.tar.bz2 gnu.tar.lz4; do
		size=$(stat -c %s "$FX/$f")
		cut_at "$FX/$f" $((size * 2 / 3)) "$BATS_TEST_TMPDIR/cut.$f"
		run -1 --separate-stderr backup-verify "$BATS_TEST_TMPDIR/cut.$f"
		assert_records
		assert_report '.ok == false and (.problems | length) >= 1'
		[ "$(problems | wc -l)" -ge 1 ]
		[ -z "$stderr" ]
	done
}

@test "a flipped bit in the gzip stream is a crc or corrupt problem" {
	cp "$FX/gnu.tar.gz" "$BATS_TEST_TMPDIR/flip.tgz"
	flip "$BATS_TEST_TMPDIR/flip.tgz" $(( $(stat -c %s "$FX/gnu.tar.gz") / 2 ))
	run -1 backup-verify "$BATS_TEST_TMPDIR/flip.tgz"
	assert_records
	[[ $(problems) =~ ^(crc|corrupt)$ ]]
	assert_report '.ok == false'
	# the trailer's CRC-32 itself
	cp "$FX/gnu.tar.gz" "$BATS_TEST_TMPDIR/trailer.tgz"
	flip "$BATS_TEST_TMPDIR/trailer.tgz" $(( $(stat -c %s "$FX/gnu.tar.gz") - 6 ))
	run -1 backup-verify "$BATS_TEST_TMPDIR/trailer.tgz"
	assert_equal "$(problems)" crc
}

@test "a flipped bit in a stored zip entry is a crc problem on that entry" {
	local off
	off=$(grep -obUa 'alpha' "$FX/stored.zip" | head -n 1 | cut -d: -f1)
	cp "$FX/stored.zip" "$BATS_TEST_TMPDIR/flip.zip"
	flip "$BATS_TEST_TMPDIR/flip.zip" $((off + 2))
	run -1 backup-verify "$BATS_TEST_TMPDIR/flip.zip"
	assert_equal "$(problems)" crc
	assert_record 1 '.kind == "backup.problem" and .path == "a.txt"'
	assert_report '.problems == {"crc": 1}'
}

@test "trailing garbage after a tar, a tar.gz and a zip" {
	local f
	for f in gnu.tar gnu.tar.gz deflate.zip; do
		cp "$FX/$f" "$BATS_TEST_TMPDIR/g.$f"
		printf 'GARBAGE' >>"$BATS_TEST_TMPDIR/g.$f"
		run -1 backup-verify "$BATS_TEST_TMPDIR/g.$f"
		assert_equal "$(problems)" trailing_garbage
		assert_report '.problems == {"trailing_garbage": 1}'
	done
	# zeros after a tar are padding, not garbage
	cp "$FX/gnu.tar" "$BATS_TEST_TMPDIR/pad.tar"
	head -c 10240 /dev/zero >>"$BATS_TEST_TMPDIR/pad.tar"
	run -0 backup-verify "$BATS_TEST_TMPDIR/pad.tar"
}

@test "an empty archive, an empty file and a non-archive are problems" {
	tar -cf "$BATS_TEST_TMPDIR/empty.tar" -T /dev/null
	run -1 backup-verify "$BATS_TEST_TMPDIR/empty.tar"
	assert_equal "$(problems)" empty
	assert_report '.ok == false and .entries == 0 and .error.code == "empty"'
	: >"$BATS_TEST_TMPDIR/zero"
	run -1 backup-verify "$BATS_TEST_TMPDIR/zero"
	assert_equal "$(problems)" empty
	printf 'just some text\n' >"$BATS_TEST_TMPDIR/text"
	run -1 backup-verify "$BATS_TEST_TMPDIR/text"
	assert_equal "$(problems)" format
	assert_report ".sha256 == \"$(sha256sum "$BATS_TEST_TMPDIR/text" | cut -d' ' -f1)\""
}

@test "unsafe names: ../x, /abs, a hardlink outside, a path through a symlink" {
	local u="$BATS_TEST_TMPDIR/u"
	mkdir -p "$u/w" "$u/s1" "$u/s2/l"
	printf 'x\n' >"$u/x"
	(cd "$u/w" && tar -cPf "$u/dotdot.tar" ../x 2>/dev/null)
	run -1 backup-verify "$u/dotdot.tar"
	assert_equal "$(problems)" unsafe_path
	assert_record 1 '.path == "../x" and (.message | endswith("unsafe path: contains .."))'
	tar -cPf "$u/abs.tar" "$u/x" 2>/dev/null
	run -1 backup-verify "$u/abs.tar"
	assert_record 1 ".problem == \"unsafe_path\" and .path == \"$u/x\""
	(cd "$u/w" && ln ../x hl && tar -cPf "$u/hl.tar" ../x hl 2>/dev/null)
	run -1 backup-verify "$u/hl.tar"
	assert_equal "$(problems | tr '\n' ' ')" "unsafe_path unsafe_path "
	assert_record 2 '.path == "hl" and .actual == "../x"'
	ln -s /tmp "$u/s1/l"
	printf 'evil\n' >"$u/s2/l/evil"
	tar -cf "$u/sl.tar" -C "$u/s1" l -C "$u/s2" l/evil
	run -1 backup-verify "$u/sl.tar"
	assert_equal "$(problems)" unsafe_path
	assert_record 1 ".path == \"l/evil\" and (.message | endswith(\"path through the symlink 'l'\"))"
}

# ---- manifests ------------------------------------------------------------------------------

@test "an archive matches the manifest of the tree it was made from, in every format" {
	local f
	for f in gnu.tar pax.tar bsd.tar newc.cpio deflate.zip x.7z gnu.tar.zst; do
		run -0 --separate-stderr backup-verify --manifest "$FX/tree.manifest" "$FX/$f"
		assert_report ".ok and .manifest == \"$FX/tree.manifest\""
	done
	run -0 backup-verify --manifest "$FX/tree.manifest" "$FX/tree"
}

@test "--manifest: missing, extra and changed size, hash, mode, type and link" {
	local t="$BATS_TEST_TMPDIR/t"
	cp -a "$FX/tree" "$t"
	rm "$t/empty"
	printf 'new\n' >"$t/extra.txt"
	printf 'alpha\n' >"$t/sub/deep/c.txt"          # same size as before? no: 6 vs 5
	printf 'ALPHA\n' >"$t/a.txt"                   # same size, other bytes
	chmod 0600 "$t/sub/deep/c.txt"
	rm "$t/link" && ln -s dir "$t/link"
	rm -r "$t/sub/deep" && mkdir -p "$t/sub" && printf 'now a file\n' >"$t/sub/deep"
	(cd "$t" && tar -cf "$BATS_TEST_TMPDIR/t.tar" .)
	run -1 --separate-stderr backup-verify --manifest "$FX/tree.manifest" "$BATS_TEST_TMPDIR/t.tar"
	assert_records
	assert_report '.problems == {"changed_hash": 1, "missing": 2, "changed_link": 1, "changed_type": 1, "extra": 1}'
	assert_problem '.problem == "changed_hash" and .path == "a.txt"'
	assert_problem '.problem == "missing" and .path == "empty" and .expected == "file"'
	assert_problem '.problem == "missing" and .path == "sub/deep/c.txt"'
	assert_problem '.problem == "changed_type" and .path == "sub/deep" and .expected == "dir" and .actual == "file"'
	assert_problem '.problem == "changed_link" and .expected == "a.txt" and .actual == "dir"'
	assert_problem '.problem == "extra" and .path == "extra.txt" and .actual == "file"'
	# size and mode
	cp -a "$FX/tree" "$BATS_TEST_TMPDIR/t2"
	printf 'longer text\n' >"$BATS_TEST_TMPDIR/t2/a.txt"
	chmod 0600 "$BATS_TEST_TMPDIR/t2/sub/deep/c.txt"
	(cd "$BATS_TEST_TMPDIR/t2" && tar -cf "$BATS_TEST_TMPDIR/t2.tar" .)
	run -1 backup-verify --manifest "$FX/tree.manifest" "$BATS_TEST_TMPDIR/t2.tar"
	assert_equal "$(problems | tr '\n' ' ')" "changed_size changed_hash changed_mode "
	assert_record 1 '.path == "a.txt" and .expected == "6" and .actual == "12" and .message == "'"'a.txt'"': size 12, expected 6"'
	assert_record 3 '.expected == "0640" and .actual == "0600"'
}

@test "a sha256sum manifest with spaces, backslashes and newlines in names" {
	local o="$BATS_TEST_TMPDIR/odd"
	mkdir -p "$o"
	printf '1\n' >"$o/with space.txt"
	printf '2\n' >"$o/back\\slash.txt"
	printf '3\n' >"$o/new"$'\n'"line.txt"
	printf '4\n' >"$o/plain"
	(cd "$o" && sha256sum -- * >"$BATS_TEST_TMPDIR/SHA256SUMS")
	grep -c '^\\' "$BATS_TEST_TMPDIR/SHA256SUMS" | grep -qx 2   # coreutils escaped two
	(cd "$o" && tar -czf "$BATS_TEST_TMPDIR/odd.tgz" .)
	run -0 --separate-stderr backup-verify -o text --manifest "$BATS_TEST_TMPDIR/SHA256SUMS" "$BATS_TEST_TMPDIR/odd.tgz"
	# the same lines sha256sum -c prints, then the summary
	assert_equal "$(head -n 4 <<<"$output")" "$(cd "$o" && sha256sum -c "$BATS_TEST_TMPDIR/SHA256SUMS")"
	assert_line --index 4 --regexp "^$BATS_TEST_TMPDIR/odd.tgz: OK, 5 entries, "
	# a changed file fails as in sha256sum -c; the directory and extras are not files of
	# a sha256sum manifest, but an extra file is
	printf '5\n' >"$o/back\\slash.txt"
	printf '6\n' >"$o/more"
	(cd "$o" && tar -czf "$BATS_TEST_TMPDIR/odd2.tgz" .)
	run -1 backup-verify -o text --manifest "$BATS_TEST_TMPDIR/SHA256SUMS" "$BATS_TEST_TMPDIR/odd2.tgz"
	assert_line --index 0 'back\slash.txt: FAILED changed_hash'
	assert_line --index 4 'more: FAILED extra'
	assert_line --index 5 --regexp "odd2.tgz: FAILED, 2 problems \(changed_hash 1, extra 1\), 6 entries"
}

@test "-o text escapes a name only when it has a newline, byte for byte as sha256sum -c" {
	local o="$BATS_TEST_TMPDIR/esc"
	mkdir -p "$o"
	printf '1\n' >"$o/back\\slash"
	printf '2\n' >"$o/cr"$'\r'"x"
	printf '3\n' >"$o/mix\\a"$'\n'"b"$'\r'"c"
	(cd "$o" && sha256sum -- * >"$BATS_TEST_TMPDIR/SUMS")
	(cd "$o" && tar -cf "$BATS_TEST_TMPDIR/esc.tar" .)
	run -0 --separate-stderr backup-verify -o text --manifest "$BATS_TEST_TMPDIR/SUMS" "$BATS_TEST_TMPDIR/esc.tar"
	# a backslash or a CR alone is shown raw; with a newline, the line starts with \
	assert_equal "$(head -n 3 <<<"$output")" "$(cd "$o" && sha256sum -c "$BATS_TEST_TMPDIR/SUMS")"
	assert_line --index 0 'back\slash: OK'
	assert_line --index 1 "cr"$'\r'"x: OK"
	assert_line --index 2 '\mix\\a\nb\rc: OK'
}

@test "--ignore leaves paths out of the comparison and the OK lines" {
	local t="$BATS_TEST_TMPDIR/t"
	cp -a "$FX/tree" "$t"
	printf 'changed\n' >"$t/dir/b.bin"
	printf 'x\n' >"$t/scratch.tmp"
	(cd "$t" && tar -cf "$BATS_TEST_TMPDIR/t.tar" .)
	run -1 backup-verify --manifest "$FX/tree.manifest" "$BATS_TEST_TMPDIR/t.tar"
	assert_report '.problems == {"changed_size": 1, "changed_hash": 1, "extra": 1}'
	run -0 backup-verify --manifest "$FX/tree.manifest" --ignore '^dir/' --ignore '\.tmp$' "$BATS_TEST_TMPDIR/t.tar"
	run -0 backup-verify -o text --manifest "$FX/tree.manifest" --ignore '^dir/' --ignore '\.tmp$' "$BATS_TEST_TMPDIR/t.tar"
	refute_line --partial 'dir/b.bin'
	assert_line 'a.txt: OK'
	assert_line 'dir: OK'
	run -2 --separate-stderr backup-verify --manifest "$FX/tree.manifest" --ignore '(' "$BATS_TEST_TMPDIR/t.tar"
	assert_equal "$stderr" "backup-verify: error: --ignore: invalid regex '(': missing closing parenthesis at offset 1"
}

@test "a tar hardlink carries its target's content into the comparison" {
	local t="$BATS_TEST_TMPDIR/hl"
	mkdir -p "$t"
	printf 'shared content\n' >"$t/one"
	ln "$t/one" "$t/two"
	backup-verify manifest "$t" >"$BATS_TEST_TMPDIR/hl.manifest"
	(cd "$t" && tar -cf "$BATS_TEST_TMPDIR/hl.tar" one two)
	run -0 backup-verify --manifest "$BATS_TEST_TMPDIR/hl.manifest" "$BATS_TEST_TMPDIR/hl.tar"
	run -0 backup-verify manifest "$BATS_TEST_TMPDIR/hl.tar"
	assert_record 2 '.path == "two" and .type == "hardlink" and .link == "one" and .size == 15'
	assert_record 2 ".sha256 == \"$(sha256sum "$t/one" | cut -d' ' -f1)\""
}

@test "a malformed manifest is FILE:LINE and exit 2, before any backup is read" {
	printf '{"kind":"backup.entry","path":"a","type":"file"}\n{"kind": bad}\n' >"$BATS_TEST_TMPDIR/bad.manifest"
	run -2 --separate-stderr backup-verify --manifest "$BATS_TEST_TMPDIR/bad.manifest" "$FX/gnu.tar"
	assert_output ''
	[[ $stderr == "backup-verify: error: $BATS_TEST_TMPDIR/bad.manifest:2: "* ]]
	printf '0123  short hash\n' >"$BATS_TEST_TMPDIR/bad.sums"
	run -2 --separate-stderr backup-verify --manifest "$BATS_TEST_TMPDIR/bad.sums" "$FX/gnu.tar"
	[[ $stderr == "backup-verify: error: $BATS_TEST_TMPDIR/bad.sums:1: "* ]]
	run -2 --separate-stderr backup-verify --manifest "$BATS_TEST_TMPDIR/none" "$FX/gnu.tar"
	[[ $stderr == "backup-verify: error: cannot open '$BATS_TEST_TMPDIR/none'"* ]]
}

# ---- freshness, size, history -------------------------------------------------------------------

@test "--max-age: the newest of the archive and its entries, or --age-from one of them" {
	local t="$BATS_TEST_TMPDIR/old"
	cp -a "$FX/tree" "$t"
	find "$t" -exec touch -h -d '3 days ago' {} +
	(cd "$t" && tar -cf "$BATS_TEST_TMPDIR/old.tar" .)
	# the archive was written now: fresh by default
	run -0 backup-verify --max-age 1d "$BATS_TEST_TMPDIR/old.tar"
	assert_report '.age_seconds < 600'
	run -0 backup-verify --max-age 1d --age-from archive "$BATS_TEST_TMPDIR/old.tar"
	run -1 backup-verify --max-age 1d --age-from entries "$BATS_TEST_TMPDIR/old.tar"
	assert_equal "$(problems)" too_old
	assert_record 1 '(has("path") | not) and .expected == "at most 1d" and (.actual | test("^2d2[0-9]h|^3d"))'
	assert_report '.age_seconds >= 3 * 86400 - 60 and .problems == {"too_old": 1}'
	touch -d '2 days ago' "$BATS_TEST_TMPDIR/old.tar"
	run -1 backup-verify --max-age 26h "$BATS_TEST_TMPDIR/old.tar"
	assert_equal "$(problems)" too_old
	assert_record 1 '.message | test("^the backup is 2d[0-9hms]* old, more than --max-age 1d2h$")'
	run -0 backup-verify --max-age 4d "$BATS_TEST_TMPDIR/old.tar"
	# a directory: its own mtime and its entries'
	run -1 backup-verify --max-age 1d --age-from entries "$t"
	assert_equal "$(problems)" too_old
	run -2 --separate-stderr backup-verify --max-age 1x "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --max-age '1x': expected a duration like 30m, 26h or 7d"
	run -2 --separate-stderr backup-verify --age-from now "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --age-from 'now': expected archive or entries"
}

@test "--min-size" {
	local size
	size=$(stat -c %s "$FX/gnu.tar.gz")
	run -0 backup-verify --min-size "$size" "$FX/gnu.tar.gz"
	run -1 backup-verify --min-size $((size + 1)) "$FX/gnu.tar.gz"
	assert_equal "$(problems)" too_small
	assert_record 1 ".expected == \"at least $((size + 1)) bytes\" and .actual == \"$size bytes\""
	run -1 backup-verify --min-size 1G "$FX/tree"
	assert_equal "$(problems)" too_small
	run -2 --separate-stderr backup-verify --min-size 10q "$FX/tree"
	assert_equal "$stderr" "backup-verify: error: invalid --min-size '10q': expected a size like 1000000, 512k, 100M or 2G"
}

# history_line NAME BYTES ENTRIES [OK]: one earlier backup.report
history_line() {
	printf '{"kind":"backup.report","time":"2026-01-01T00:00:00.000Z","name":"%s","path":"x","bytes":%s,"entries":%s,"ok":%s}\n' \
		"$1" "$2" "$3" "${4:-true}"
}

@test "--history: size and entry-count anomalies against the median of ok reports" {
	local h="$BATS_TEST_TMPDIR/h.ndjson" size
	size=$(stat -c %s "$FX/gnu.tar")
	{
		history_line db "$size" 9
		history_line db "$size" 9
		history_line db 1 1 false          # not ok: never counts
		history_line other 1 1             # another backup
	} >"$h"
	run -0 backup-verify --name db --history "$h" "$FX/gnu.tar"
	assert_report '.name == "db" and .history == {"reports": 2, "median_bytes": '"$size"', "median_entries": 9}'
	# three smaller reports make a median the archive exceeds by more than 50%
	for _ in 1 2 3; do history_line db $((size / 3)) 3; done >>"$h"
	run -1 backup-verify --name db --history "$h" "$FX/gnu.tar"
	assert_equal "$(problems | tr '\n' ' ')" "size_anomaly entries_anomaly "
	assert_record 1 ".expected == \"$((size / 3)) +- 50%\" and .actual == \"$size\""
	assert_record 2 '.expected == "3 +- 50%" and .actual == "9"'
	run -0 backup-verify --name db --history "$h" --tolerance 300% "$FX/gnu.tar"
	# only the last two count: the median of size/3 and size/3
	run -0 backup-verify --name db --history "$h" --history-count 5 --tolerance 250 "$FX/gnu.tar"
	assert_report '.history.reports == 5'
	# the run's own report, appended, is history for the next run
	run -0 backup-verify --name fresh --history "$h" "$FX/gnu.tar"
	assert_report '.history == {"reports": 0}'
	report >>"$h"
	run -0 backup-verify --name fresh --history "$h" "$FX/gnu.tar"
	assert_report '.history.reports == 1'
	# a history file that does not exist yet is no history
	run -0 backup-verify --history "$BATS_TEST_TMPDIR/none.ndjson" "$FX/gnu.tar"
	run -2 --separate-stderr backup-verify --tolerance 10% "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: --tolerance needs --history"
}

@test "a malformed history line is FILE:LINE and exit 2" {
	{
		history_line db 100 9
		printf '{"kind":"backup.report", oops}\n'
	} >"$BATS_TEST_TMPDIR/h.ndjson"
	run -2 --separate-stderr backup-verify --history "$BATS_TEST_TMPDIR/h.ndjson" "$FX/gnu.tar"
	assert_output ''
	[[ $stderr == "backup-verify: error: $BATS_TEST_TMPDIR/h.ndjson:2: "* ]]
}

# ---- limits -------------------------------------------------------------------------------

@test "limits: a decompression bomb hits --max-ratio; --max-bytes and --max-entries" {
	local b="$BATS_TEST_TMPDIR/bomb"
	mkdir -p "$b"
	head -c 2M /dev/urandom >"$b/a"
	head -c 100M /dev/zero >"$b/z"
	tar -czf "$BATS_TEST_TMPDIR/bomb.tgz" -C "$b" a z
	rm -r "$b"
	run -0 backup-verify "$BATS_TEST_TMPDIR/bomb.tgz"
	run -1 --separate-stderr backup-verify --max-ratio 10 "$BATS_TEST_TMPDIR/bomb.tgz"
	assert_equal "$(problems)" limit
	assert_record 1 '.message | contains("--max-ratio")'
	assert_report '.ok == false and .problems == {"limit": 1}'
	run -1 backup-verify --max-bytes 1M "$BATS_TEST_TMPDIR/bomb.tgz"
	assert_equal "$(problems)" limit
	assert_record 1 '.message | contains("--max-bytes")'
	run -1 backup-verify --max-entries 3 "$FX/gnu.tar"
	assert_equal "$(problems)" limit
	assert_record 1 '.message | contains("--max-entries")'
	run -0 backup-verify --max-entries 9 --max-bytes 150011 --max-ratio 2 "$FX/gnu.tar"
	run -2 --separate-stderr backup-verify --max-ratio 1 "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --max-ratio '1': expected a number above 1, like 100"
	run -2 --separate-stderr backup-verify --max-entries 0 "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --max-entries '0': expected a whole number, at least 1"
}

# ---- several backups, trouble, output -----------------------------------------------------------

@test "a missing backup file is trouble: exit 2, an error and a report" {
	run -2 --separate-stderr backup-verify "$BATS_TEST_TMPDIR/nope.tar.gz"
	assert_records
	assert_report '.ok == false and .error.code == "io" and .problems == {}'
	assert_report ".error.message == \"cannot open '$BATS_TEST_TMPDIR/nope.tar.gz': No such file or directory\""
	assert_equal "$stderr" "backup-verify: error: cannot open '$BATS_TEST_TMPDIR/nope.tar.gz': No such file or directory"
}

@test "several backups: a report each, in order; the exit status is the worst" {
	tar -cf "$BATS_TEST_TMPDIR/empty.tar" -T /dev/null
	run -1 backup-verify "$FX/gnu.tar" "$BATS_TEST_TMPDIR/empty.tar" "$FX/x.7z"
	assert_records
	assert_record_count 4
	assert_record 1 '.kind == "backup.report" and .ok'
	assert_record 2 '.kind == "backup.problem" and .problem == "empty"'
	assert_record 3 '.kind == "backup.report" and .ok == false'
	assert_record 4 '.kind == "backup.report" and .ok and .format == "7zip"'
	run -2 --separate-stderr backup-verify "$BATS_TEST_TMPDIR/empty.tar" "$BATS_TEST_TMPDIR/nope" "$FX/gnu.tar"
	assert_record_count 4
}

@test "-o text: sha256sum -c lines with a manifest, problems only without, then a summary" {
	run -0 --separate-stderr backup-verify -o text --manifest "$FX/tree.manifest" "$FX/gnu.tar.gz"
	assert_equal "$(head -n 8 <<<"$output")" "a.txt: OK
dir: OK
dir/b.bin: OK
empty: OK
link: OK
sub: OK
sub/deep: OK
sub/deep/c.txt: OK"
	assert_line --index 8 --regexp "^$FX/gnu.tar.gz: OK, 9 entries, [0-9.]+ KiB, tar \(gnu\) \+ gzip, [0-9hms]+ old$"
	run -0 backup-verify -o text "$FX/gnu.tar"
	assert_output --regexp "^$FX/gnu.tar: OK, 9 entries, 160.0 KiB, tar \(gnu\), [0-9hms]+ old$"
	cut_at "$FX/gnu.tar" $((512 * 5 + 70000)) "$BATS_TEST_TMPDIR/mid.tar"
	run -1 backup-verify -o text "$BATS_TEST_TMPDIR/mid.tar"
	assert_line --index 0 --regexp '^dir/b\.bin: FAILED truncated: '
	assert_line --index 1 --regexp "mid.tar: FAILED, 1 problem \(truncated 1\), 4 entries"
	run -2 --separate-stderr backup-verify -o text "$BATS_TEST_TMPDIR/nope"
	assert_output "$BATS_TEST_TMPDIR/nope: ERROR, cannot open '$BATS_TEST_TMPDIR/nope': No such file or directory"
}

@test "-o json: indented records, the same as ndjson" {
	run -0 backup-verify -o json "$FX/gnu.tar"
	assert_line --index 0 '{'
	assert_equal "$(jq -c 'del(.time, .seconds, .age_seconds)' <<<"$output")" \
		"$(backup-verify "$FX/gnu.tar" | jq -c 'del(.time, .seconds, .age_seconds)')"
	run -2 --separate-stderr backup-verify -o nagios "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --format 'nagios': expected one of ndjson, json, text"
}

@test "--progress draws the progress line on stderr; -q silences it" {
	run -0 --separate-stderr backup-verify --progress "$FX/gnu.tar.gz"
	[[ $stderr == *"$FX/gnu.tar.gz: "*" of "*" (100%), "*"/s, ETA "* ]]
	[[ $stderr == $'\r'* ]]
	run -0 --separate-stderr backup-verify --progress -q "$FX/gnu.tar.gz"
	[ -z "$stderr" ]
	# not a terminal, not forced: none
	run -0 --separate-stderr backup-verify "$FX/gnu.tar.gz"
	[ -z "$stderr" ]
}

@test "a closed standard output is tolerated; a full one exits 2" {
	run -0 bash -c "backup-verify '$FX/gnu.tar' >&-"
	run -2 --separate-stderr bash -c "backup-verify '$FX/gnu.tar' >/dev/full"
	assert_equal "$stderr" "backup-verify: error: write error on standard output: No space left on device"
	run -2 --separate-stderr bash -c "backup-verify -o text '$FX/gnu.tar' >/dev/full"
	assert_equal "$stderr" "backup-verify: error: write error on standard output: No space left on device"
	run -2 --separate-stderr bash -c "backup-verify manifest '$FX/gnu.tar' >/dev/full"
	assert_equal "$stderr" "backup-verify: error: write error on standard output: No space left on device"
}

@test "a closed pipe downstream ends the command quietly" {
	run -0 --separate-stderr bash -c "set -o pipefail; backup-verify manifest '$FX/tree' | head -n 1 >/dev/null; echo \"status=\${PIPESTATUS[0]}\""
	[[ $output == status=0 || $output == status=141 ]]
	[ -z "$stderr" ]
}

# ---- the manifest verb -----------------------------------------------------------------------

@test "manifest: one backup.entry per entry, in order, normalised paths" {
	run -0 --separate-stderr backup-verify manifest "$FX/gnu.tar"
	assert_records
	assert_record_count 8
	assert_equal "$(jq -r .path <<<"$output" | tr '\n' ' ')" \
		"a.txt dir dir/b.bin empty link sub sub/deep sub/deep/c.txt "
	assert_record 1 '.kind == "backup.entry" and .type == "file" and .size == 6 and .sha256 == "'"$(sha256sum "$FX/tree/a.txt" | cut -d' ' -f1)"'"'
	assert_record 5 '.type == "symlink" and .link == "a.txt"'
	assert_record 8 '.mode == "0640"'
	# the archive's manifest is the tree's
	assert_equal "$(jq -c 'del(.time, .mtime)' <<<"$output")" "$(jq -c 'del(.time, .mtime)' "$FX/tree.manifest")"
}

@test "manifest --format sha256sum writes what sha256sum writes" {
	local o="$BATS_TEST_TMPDIR/odd"
	mkdir -p "$o"
	printf '1\n' >"$o/with space.txt"
	printf '2\n' >"$o/back\\slash.txt"
	printf '3\n' >"$o/new"$'\n'"line.txt"
	(cd "$o" && tar -cf "$BATS_TEST_TMPDIR/odd.tar" -- *)
	run -0 backup-verify manifest --format sha256sum "$BATS_TEST_TMPDIR/odd.tar"
	assert_output "$(cd "$o" && sha256sum -- *)"
	run -0 backup-verify manifest --format=sha256sum "$o"
	assert_output "$(cd "$o" && sha256sum -- *)"
	# and sha256sum -c reads it back
	backup-verify manifest --format sha256sum "$o" >"$BATS_TEST_TMPDIR/sums"
	(cd "$o" && sha256sum --quiet -c "$BATS_TEST_TMPDIR/sums")
}

@test "manifest -o json, --ignore, and its errors" {
	run -0 backup-verify manifest -o json "$FX/tree"
	assert_line --index 0 '{'
	assert_equal "$(jq -c 'del(.time)' <<<"$output")" "$(jq -c 'del(.time)' "$FX/tree.manifest")"
	run -0 backup-verify manifest --format json "$FX/tree"
	assert_line --index 0 '{'
	run -0 backup-verify manifest --ignore '^sub' "$FX/gnu.tar.gz"
	assert_record_count 5
	run -2 --separate-stderr backup-verify manifest --format md5 "$FX/tree"
	assert_equal "$stderr" "backup-verify: error: invalid --format 'md5': expected one of ndjson, json, sha256sum"
	run -2 --separate-stderr backup-verify manifest "$FX/tree" "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: manifest takes one BACKUP"
	run -2 --separate-stderr backup-verify manifest --manifest x "$FX/tree"
	assert_equal "$(head -n 1 <<<"$stderr")" "backup-verify: error: unknown option '--manifest'"
	cut_at "$FX/gnu.tar" $((512 * 5 + 70000)) "$BATS_TEST_TMPDIR/mid.tar"
	run -1 --separate-stderr backup-verify manifest "$BATS_TEST_TMPDIR/mid.tar"
	assert_record_count 2
	[[ $stderr == "backup-verify: error: '$BATS_TEST_TMPDIR/mid.tar': "* && ${stderr,,} == *truncated* ]]
	run -2 --separate-stderr backup-verify manifest "$BATS_TEST_TMPDIR/nope"
	assert_equal "$stderr" "backup-verify: error: cannot open '$BATS_TEST_TMPDIR/nope': No such file or directory"
}

# ---- the command line ----------------------------------------------------------------------

@test "usage errors exit 2 with the usage" {
	run -2 --separate-stderr backup-verify
	assert_equal "$(head -n 2 <<<"$stderr")" "backup-verify: error: no BACKUP given
usage: backup-verify [check] [options] BACKUP..."
	run -2 --separate-stderr backup-verify --frobnicate "$FX/gnu.tar"
	assert_equal "$(head -n 1 <<<"$stderr")" "backup-verify: error: unknown option '--frobnicate'"
	run -2 --separate-stderr backup-verify --keep "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: --keep needs --restore-test"
	run -2 --separate-stderr backup-verify --history-count 0 --history h "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --history-count '0': expected a whole number, at least 1"
	run -2 --separate-stderr backup-verify --tolerance much --history h "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --tolerance 'much': expected a percentage like 50% (0 to 1000)"
	run -2 --separate-stderr backup-verify --format sha256sum "$FX/gnu.tar"
	assert_equal "$stderr" "backup-verify: error: invalid --format 'sha256sum': expected one of ndjson, json, text"
}

@test "--restore-test: a directory is not restored; an archive that does not read is not" {
	run -0 backup-verify --restore-test "$FX/tree"
	assert_report '.ok and (has("restore") | not)'
	cut_at "$FX/gnu.tar" $((512 * 5 + 70000)) "$BATS_TEST_TMPDIR/mid.tar"
	run -1 backup-verify --restore-test "$BATS_TEST_TMPDIR/mid.tar"
	assert_report '.restore == {"ok": false, "skipped": true, "message": "not attempted: the archive could not be read to its end"}'
	assert_report '.problems == {"truncated": 1}'
	run -0 backup-verify --restore-test "$FX/gnu.tar.gz"
	assert_report '.restore.ok and .restore.entries == 9'
}

@test "-v says what is done on stderr" {
	run -0 --separate-stderr backup-verify -v "$FX/gnu.tar" "$FX/tree"
	assert_equal "$stderr" "backup-verify: checking '$FX/gnu.tar'
backup-verify: checking '$FX/tree'"
	run -0 --separate-stderr backup-verify manifest -v "$FX/tree"
	assert_equal "$stderr" "backup-verify: listing '$FX/tree'"
}

@test "-h prints the usage and the options; --version the version" {
	run -0 backup-verify -h
	assert_line --index 0 "usage: backup-verify [check] [options] BACKUP..."
	assert_line --index 1 "       backup-verify manifest [--format ndjson|json|sha256sum] [options] BACKUP"
	assert_output --partial "--restore-test"
	run -0 backup-verify manifest --help
	assert_line --index 0 "usage: backup-verify [check] [options] BACKUP..."
	run -0 backup-verify --version
	assert_output --regexp '^backup-verify \(sretools\) [0-9.]+$'
}
