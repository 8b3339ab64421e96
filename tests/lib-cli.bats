#!/usr/bin/env bats
# The behaviour every command shares through src/lib/cli, tested through cli-demo,
# a minimal command built from tests/helpers/cli-demo.c.
bats_require_minimum_version 1.5.0
load helpers/common

@test "cli: --help prints the usage and options on stdout, exit 0" {
	run -0 --separate-stderr cli-demo --help
	assert_line --index 0 "usage: cli-demo [-qv] [-o format] [--lines n] [--die message] [--warn message]"
	assert_output --partial "--lines N"
	[ -z "$stderr" ]
	run -0 cli-demo -h
}

@test "cli: --version names the program and the suite" {
	run -0 cli-demo --version
	assert_output --regexp '^cli-demo \(sretools\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "cli: an unknown option is a usage error, exit 2, nothing on stdout" {
	run -2 --separate-stderr cli-demo --bogus
	assert_equal "$output" ""
	[ "${stderr_lines[0]}" = "cli-demo: error: unknown option '--bogus'" ]
	[ "${stderr_lines[1]}" = "usage: cli-demo [-qv] [-o format] [--lines n] [--die message] [--warn message]" ]
	run -2 --separate-stderr cli-demo -x
	[ "${stderr_lines[0]}" = "cli-demo: error: unknown option '-x'" ]
	run -2 --separate-stderr cli-demo stray-operand
}

@test "cli: a missing option argument is named" {
	run -2 --separate-stderr cli-demo --lines
	[ "${stderr_lines[0]}" = "cli-demo: error: option '--lines' requires an argument" ]
	run -2 --separate-stderr cli-demo -o
	[ "${stderr_lines[0]}" = "cli-demo: error: option '-o' requires an argument" ]
}

@test "cli: -o chooses the format; an unsupported one is rejected with the list" {
	run -0 cli-demo -o text --lines 1
	assert_output "line 1 ok"
	run -0 cli-demo --format=json --lines 1
	assert_line --index 0 "{"
	run -0 cli-demo -o ndjson --lines 2
	assert_records
	run -2 --separate-stderr cli-demo -o prometheus
	[ "$stderr" = "cli-demo: error: invalid --format 'prometheus': expected one of ndjson, json, text" ]
}

@test "cli: the default format is ndjson off a terminal and text on one" {
	run -0 cli-demo --lines 1
	assert_output '{"kind":"demo.line","time":"1970-01-01T00:00:00.000Z","ok":true,"n":1}'
	# script(1) gives the command a pseudo-terminal as stdout
	run -0 script -qec "cli-demo --lines 1" /dev/null
	assert_output --partial "line 1 ok"
}

@test "cli: -q silences warnings, -v adds informational lines, errors always print" {
	run -0 --separate-stderr cli-demo -q --warn careful --lines 0
	[ -z "$stderr" ]
	run -0 --separate-stderr cli-demo --warn careful --lines 0
	[ "$stderr" = "cli-demo: warning: careful" ]
	run -0 --separate-stderr cli-demo -v --lines 0
	[ "$stderr" = "cli-demo: printing 0 records as ndjson" ]
	run -2 --separate-stderr cli-demo -q --die 'cannot open '\''x'\'''
	[ "$stderr" = "cli-demo: error: cannot open 'x'" ]
}

@test "cli: a full disk on stdout is an error, exit 2" {
	run -2 --separate-stderr bash -c 'cli-demo --lines 100000 > /dev/full'
	[ "$stderr" = "cli-demo: error: write error on standard output: No space left on device" ]
	# even a single short record, which sits in the stdio buffer until exit
	run -2 --separate-stderr bash -c 'cli-demo --lines 1 > /dev/full'
	[ "$stderr" = "cli-demo: error: write error on standard output: No space left on device" ]
}

@test "cli: a closed pipe downstream ends the command quietly, as yes | head does" {
	run -0 --separate-stderr bash -c 'set -o pipefail; cli-demo --lines 1000000 | head -n 1; echo "status=${PIPESTATUS[0]}"'
	assert_line --index 0 '{"kind":"demo.line","time":"1970-01-01T00:00:00.000Z","ok":true,"n":1}'
	# killed by SIGPIPE (128+13), exactly like yes(1), and nothing on stderr
	assert_line --index 1 "status=141"
	[ -z "$stderr" ]
}

@test "cli: closed standard descriptors are reopened on /dev/null" {
	# stdout closed: records go nowhere, but the command neither crashes nor fails
	run -0 bash -c 'cli-demo --lines 3 >&-'
	# all three closed, as cron can leave them; a file opened later must not become fd 1
	run -0 bash -c 'cli-demo --lines 3 <&- >&- 2>&-; echo "status=$?"'
	assert_output "status=0"
	run -0 bash -c 'cli-demo --die oops 2>&-; echo "status=$?"'
	assert_output "status=2"
}
