#!/usr/bin/env bats
# make install / make uninstall into a temporary DESTDIR.
bats_require_minimum_version 1.5.0
load helpers/common

setup() {
	common_setup
	DEST="$BATS_TEST_TMPDIR/dest"
}

commands() {
	local d
	for d in "$SRETOOLS_ROOT"/src/*/; do
		d=$(basename "$d")
		[ "$d" = lib ] || printf '%s\n' "$d"
	done
}

@test "install: honours DESTDIR and PREFIX and lays out the documented tree" {
	run -0 make -s -C "$SRETOOLS_ROOT" install DESTDIR="$DEST" PREFIX=/opt/sre
	assert_file_exists "$DEST/opt/sre/share/man/man7/sretools.7"
	assert_file_exists "$DEST/opt/sre/share/sretools/schemas/envelope.schema.json"
	assert_dir_exists "$DEST/opt/sre/bin"
	assert_dir_exists "$DEST/opt/sre/share/bash-completion/completions"
	assert_dir_exists "$DEST/opt/sre/share/zsh/site-functions"
	assert_dir_exists "$DEST/opt/sre/share/fish/vendor_completions.d"
	local c
	for c in $(commands); do
		assert_file_executable "$DEST/opt/sre/bin/$c"
		assert_file_exists "$DEST/opt/sre/share/man/man1/$c.1"
		assert_file_exists "$DEST/opt/sre/share/bash-completion/completions/$c"
		assert_file_exists "$DEST/opt/sre/share/zsh/site-functions/_$c"
		assert_file_exists "$DEST/opt/sre/share/fish/vendor_completions.d/$c.fish"
	done
	# nothing escapes DESTDIR
	run -0 find "$DEST" -mindepth 1 -maxdepth 1
	assert_output "$DEST/opt"
}

@test "install: the default PREFIX is /usr/local" {
	run -0 make -s -C "$SRETOOLS_ROOT" install DESTDIR="$DEST"
	assert_file_exists "$DEST/usr/local/share/man/man7/sretools.7"
}

@test "uninstall: removes every installed file and nothing else" {
	mkdir -p "$DEST/opt/sre/bin"
	echo keep > "$DEST/opt/sre/bin/other-tool"
	run -0 make -s -C "$SRETOOLS_ROOT" install DESTDIR="$DEST" PREFIX=/opt/sre
	run -0 make -s -C "$SRETOOLS_ROOT" uninstall DESTDIR="$DEST" PREFIX=/opt/sre
	assert_file_exists "$DEST/opt/sre/bin/other-tool"
	run -0 find "$DEST" -type f
	assert_output "$DEST/opt/sre/bin/other-tool"
}
