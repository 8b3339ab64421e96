# Loaded by every tests/*.bats file:  load helpers/common
# Sets a private HOME and TMPDIR, LC_ALL=C, and PATH with the built commands first.
# SRETOOLS_BINDIR  built commands (bin/, or build/san/bin under SAN=1)
# SRETOOLS_TESTBIN test helper programs built from tests/helpers/*.c

SRETOOLS_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
export SRETOOLS_ROOT
: "${SRETOOLS_BUILDDIR:=$SRETOOLS_ROOT/build}"
: "${SRETOOLS_BINDIR:=$SRETOOLS_ROOT/bin}"
: "${SRETOOLS_TESTBIN:=$SRETOOLS_BUILDDIR/testbin}"
export SRETOOLS_BUILDDIR SRETOOLS_BINDIR SRETOOLS_TESTBIN

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash
load /usr/lib/bats/bats-file/load.bash
load "$SRETOOLS_ROOT/tests/helpers/records.bash"

common_setup() {
	export LC_ALL=C
	export HOME="$BATS_TEST_TMPDIR/home"
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$HOME" "$TMPDIR"
	export PATH="$SRETOOLS_BINDIR:$SRETOOLS_TESTBIN:$PATH"
	unset NO_COLOR
}

# Default setup for suites that need nothing more; a suite with its own setup()
# calls common_setup first.
setup() {
	common_setup
}

fixture() {
	printf '%s\n' "$SRETOOLS_ROOT/tests/fixtures/$1"
}

# needs TOOL PACKAGE: skip a test without the tool, except in CI, which installs it
# (tools/deps), so a missing install step fails there instead of hiding.
needs() {
	command -v "$1" >/dev/null && return 0
	[[ -z ${CI:-} ]] || fail "$1 is not installed (Debian package $2)"
	skip "$1 is not installed (Debian package $2)"
}

# A TCP port free on 127.0.0.1 right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
