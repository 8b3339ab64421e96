#!/usr/bin/env bats
# probe's output formats (src/probe/output.c), tested through probe-format
# (tests/helpers/probe-format.c), which feeds hand-made probe.result records from
# tests/fixtures/probe/ to the output API; the record's JSON Schema; the man page;
# the shell completions.
bats_require_minimum_version 1.5.0

load helpers/common
load helpers/pushgateway

FIX="$SRETOOLS_ROOT/tests/fixtures/probe"
SCHEMA_DIR="$SRETOOLS_ROOT/share/sretools/schemas"

setup() {
	common_setup
}

teardown() {
	pushgateway_stop
}

# ---- ndjson and json --------------------------------------------------------------

@test "ndjson: the records pass through unchanged, one per line; exit 1 when one failed" {
	run -1 --separate-stderr probe-format -o ndjson <"$FIX/results.ndjson"
	assert_equal "$output" "$(jq -c . "$FIX/results.ndjson")"
	assert_records
	[ -z "$stderr" ]
	run -0 probe-format -o ndjson <"$FIX/ok.ndjson"
	assert_output "$(jq -c . "$FIX/ok.ndjson")"
}

@test "json: one indented object per record, read back as the same records" {
	run -0 probe-format -o json <"$FIX/ok.ndjson"
	assert_output "$(jq . "$FIX/ok.ndjson")"
	run -1 probe-format -o json <"$FIX/results.ndjson"
	assert_equal "$(jq -c . <<<"$output")" "$(jq -c . "$FIX/results.ndjson")"
	[ "$(grep -c '^{$' <<<"$output")" -eq 7 ]
}

# stream_first_line ARGS...: start probe-format ARGS with a pipe on each side, send it
# the first record of rounds.ndjson and read one line of output while its input stays
# open.  Without a flush per record, the line would wait in stdio's buffer until EOF.
stream_first_line() {
	local in="$BATS_TEST_TMPDIR/in" out="$BATS_TEST_TMPDIR/out" w r pid line=""
	mkfifo "$in" "$out"
	probe-format "$@" <"$in" >"$out" &
	pid=$!
	exec {w}>"$in" {r}<"$out"
	head -n 1 "$FIX/rounds.ndjson" >&"$w"
	IFS= read -r -t 20 -u "$r" line || true   # a deadline against a hang, not a timing check
	exec {w}>&-
	cat <&"$r" >/dev/null
	exec {r}<&-
	wait "$pid" || true
	printf '%s\n' "$line"
}

@test "ndjson --streaming: each record is flushed as it is written" {
	run -0 stream_first_line -o ndjson --streaming
	assert_output "$(head -n 1 "$FIX/rounds.ndjson" | jq -c .)"
}

@test "text --streaming: each line is flushed as it is written" {
	run -0 stream_first_line -o text --streaming
	assert_output "OK    a  http://127.0.0.1:8080/a  200  1.5ms"
}

# ---- text -------------------------------------------------------------------------

@test "text: one aligned line per result: state, name, target, detail, time, message" {
	run -1 --separate-stderr probe-format -o text <"$FIX/results.ndjson"
	assert_output - <<-'EOF'
	OK    api     https://127.0.0.1:8443/healthz  200            23.5ms
	WARN  web     http://[::1]:8080/              200           250.1ms  total 250.1ms over warning threshold 200ms
	FAIL  db      tcp://127.0.0.1:5432            127.0.0.1       0.2ms  connection refused (3 attempts)
	OK    cert    tls://localhost:8443            TLSv1.2 59d     3.5ms
	OK    -       dns://localhost                 127.0.0.1 +1    1.2ms
	OK    job     exec:test -e /etc/passwd        exit 0          4.5ms
	FAIL  search  http://127.0.0.1:8080/search    200             5.5ms  body does not match '"results":'
	EOF
	[ -z "$stderr" ]
}

@test "text: the columns line up, counting characters, not bytes" {
	run -1 probe-format -o text <"$FIX/tricky.ndjson"
	local line col=()
	for line in "${lines[@]}"; do
		# the target column starts where "http://" does
		local prefix=${line%%http://*}
		col+=("$(LC_ALL=C.UTF-8 wc -m <<<"$prefix")")
	done
	[ "${#lines[@]}" -eq 3 ]
	assert_equal "${col[0]}" "${col[1]}"
	assert_equal "${col[1]}" "${col[2]}"
}

@test "text: control characters from a record never reach the terminal" {
	run -1 probe-format -o text <"$FIX/tricky.ndjson"
	assert_line --index 0 --partial 'status 500 <&> "x" | y?second line??[31m'
	! grep -q $'\e' <<<"$output"
	[ "${#lines[@]}" -eq 3 ]
}

@test "text: lines of a round are printed together; --streaming widens the columns as it goes" {
	run -1 probe-format -o text --rounds <"$FIX/rounds.ndjson"
	assert_output - <<-'EOF'
	OK    a      http://127.0.0.1:8080/a      200  1.5ms
	OK    flaky  http://127.0.0.1:8080/flaky  200  2.5ms
	OK    a      http://127.0.0.1:8080/a      200  1.2ms
	FAIL  flaky  http://127.0.0.1:8080/flaky  503  2.0ms  status 503, expected 200-399
	EOF
	run -1 probe-format -o text --streaming --rounds <"$FIX/rounds.ndjson"
	assert_output - <<-'EOF'
	OK    a  http://127.0.0.1:8080/a  200  1.5ms
	OK    flaky  http://127.0.0.1:8080/flaky  200  2.5ms
	OK    a      http://127.0.0.1:8080/a      200  1.2ms
	FAIL  flaky  http://127.0.0.1:8080/flaky  503  2.0ms  status 503, expected 200-399
	EOF
}

@test "text: the state word is coloured when colour is allowed, and NO_COLOR turns it off" {
	run -1 probe-format -o text --color <"$FIX/results.ndjson"
	assert_line --index 0 $'\e[32mOK\e[0m    api     https://127.0.0.1:8443/healthz  200            23.5ms'
	assert_line --index 1 --partial $'\e[33mWARN\e[0m  web  '
	assert_line --index 2 --partial $'\e[31mFAIL\e[0m  db  '
	NO_COLOR=1 run -1 probe-format -o text --color <"$FIX/results.ndjson"
	! grep -q $'\e' <<<"$output"
	assert_line --index 0 'OK    api     https://127.0.0.1:8443/healthz  200            23.5ms'
	# an empty NO_COLOR does not count (no-color.org)
	NO_COLOR= run -1 probe-format -o text --color <"$FIX/results.ndjson"
	assert_line --index 0 --partial $'\e[32mOK\e[0m'
}

@test "text: colour on a terminal only, and never with NO_COLOR or TERM=dumb" {
	needs script util-linux
	local cmd="probe-format -o text --color-auto <'$FIX/critical.ndjson'"
	run -1 env TERM=xterm script -qec "$cmd" /dev/null
	assert_output --partial $'\e[31mFAIL\e[0m  api'
	run -1 env TERM=xterm NO_COLOR=1 script -qec "$cmd" /dev/null
	assert_output --partial 'FAIL  api'
	! grep -q $'\e\\[' <<<"$output"
	run -1 env TERM=dumb script -qec "$cmd" /dev/null
	! grep -q $'\e\\[' <<<"$output"
	# not a terminal
	run -1 env TERM=xterm probe-format -o text --color-auto <"$FIX/critical.ndjson"
	! grep -q $'\e' <<<"$output"
}

# ---- prometheus -------------------------------------------------------------------

@test "prometheus: blackbox_exporter's names, labelled by name and target" {
	run -0 --separate-stderr probe-format -o prometheus <"$FIX/ok.ndjson"
	assert_output - <<-'EOF'
	# HELP probe_success Displays whether or not the probe was a success
	# TYPE probe_success gauge
	probe_success{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 1
	# HELP probe_duration_seconds Returns how long the probe took to complete in seconds
	# TYPE probe_duration_seconds gauge
	probe_duration_seconds{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 0.023
	# HELP probe_dns_lookup_time_seconds Returns the time taken for probe dns lookup in seconds
	# TYPE probe_dns_lookup_time_seconds gauge
	probe_dns_lookup_time_seconds{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 1e-05
	# HELP probe_ip_protocol Specifies whether probe ip protocol is IP4 or IP6
	# TYPE probe_ip_protocol gauge
	probe_ip_protocol{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 4
	# HELP probe_http_status_code Response HTTP status code
	# TYPE probe_http_status_code gauge
	probe_http_status_code{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 200
	# HELP probe_http_duration_seconds Duration of http request by phase, summed over all redirects
	# TYPE probe_http_duration_seconds gauge
	probe_http_duration_seconds{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz",phase="resolve"} 1e-05
	probe_http_duration_seconds{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz",phase="connect"} 0.0001
	probe_http_duration_seconds{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz",phase="tls"} 0
	probe_http_duration_seconds{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz",phase="processing"} 0.0225
	probe_http_duration_seconds{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz",phase="transfer"} 0.00039
	# HELP probe_http_version Returns the version of HTTP of the probe response
	# TYPE probe_http_version gauge
	probe_http_version{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 1.1
	# HELP probe_http_content_length Length of http content response
	# TYPE probe_http_content_length gauge
	probe_http_content_length{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 123
	# HELP probe_http_uncompressed_body_length Length of uncompressed response body
	# TYPE probe_http_uncompressed_body_length gauge
	probe_http_uncompressed_body_length{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 123
	# HELP probe_http_redirects The number of redirects
	# TYPE probe_http_redirects gauge
	probe_http_redirects{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 0
	# HELP probe_http_ssl Indicates if SSL was used for the final redirect
	# TYPE probe_http_ssl gauge
	probe_http_ssl{name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 0
	EOF
	[ -z "$stderr" ]
}

@test "prometheus: every kind of target, and the facts only where they apply" {
	run -1 probe-format -o prometheus <"$FIX/results.ndjson"
	assert_line 'probe_success{name="db",target="tcp://127.0.0.1:5432"} 0'
	assert_line 'probe_duration_seconds{name="db",target="tcp://127.0.0.1:5432"} 0.000231'
	assert_line 'probe_ip_protocol{name="web",target="http://[::1]:8080/"} 6'
	assert_line 'probe_http_version{name="web",target="http://[::1]:8080/"} 2'
	assert_line 'probe_http_redirects{name="web",target="http://[::1]:8080/"} 1'
	assert_line 'probe_http_ssl{name="api",target="https://127.0.0.1:8443/healthz"} 1'
	assert_line 'probe_http_duration_seconds{name="api",target="https://127.0.0.1:8443/healthz",phase="processing"} 0.02005'
	assert_line 'probe_dns_lookup_time_seconds{name="dns://localhost",target="dns://localhost"} 0.00125'
	assert_line 'probe_failed_due_to_regex{name="search",target="http://127.0.0.1:8080/search"} 1'
	assert_line 'probe_failed_due_to_regex{name="api",target="https://127.0.0.1:8443/healthz"} 0'
	# chain_earliest_not_after 2027-06-01T00:00:00Z, not the leaf's not_after
	assert_line 'probe_ssl_earliest_cert_expiry{name="api",target="https://127.0.0.1:8443/healthz"} 1811808000'
	assert_line 'probe_ssl_earliest_cert_expiry{name="cert",target="tls://localhost:8443"} 1801051200'
	assert_line 'probe_tls_version_info{name="cert",target="tls://localhost:8443",version="TLS 1.2"} 1'
	# no HTTP metric for the tcp, tls, dns and exec targets; no regex metric without a regex
	refute_output --regexp 'probe_http_[a-z_]+\{name="(db|cert|dns://localhost|job)"'
	refute_line --partial 'probe_failed_due_to_regex{name="web"'
	refute_line --partial 'probe_ip_protocol{name="job"'
}

@test "prometheus: HELP and TYPE once per family, each family's samples together" {
	run -1 probe-format -o prometheus <"$FIX/results.ndjson"
	local families
	families=$(grep -v '^#' <<<"$output" | sed 's/{.*//' | uniq)
	# uniq leaves each family once only when its samples are adjacent
	assert_equal "$(sort <<<"$families" | uniq -d)" ""
	assert_equal "$(grep -c '^# HELP ' <<<"$output")" "$(wc -l <<<"$families")"
	assert_equal "$(grep -c '^# TYPE [a-z_]* gauge$' <<<"$output")" "$(wc -l <<<"$families")"
	[ "$(wc -l <<<"$families")" -eq 14 ]
}

@test "prometheus: label values escaped as the exposition format says" {
	run -1 probe-format -o prometheus <"$FIX/tricky.ndjson"
	assert_line 'probe_success{name="quote \" back\\slash <&> it'"'"'s a=b|c",target="http://127.0.0.1:8080/a?x=1&y=\"2\""} 0'
	assert_line 'probe_success{name="café 日本",target="http://127.0.0.1:8080/b"} 1'
}

@test "prometheus: promtool check metrics accepts the output" {
	needs promtool prometheus
	local f
	for f in results ok warning critical tricky rounds; do
		probe-format -o prometheus <"$FIX/$f.ndjson" >"$BATS_TEST_TMPDIR/$f.prom" || true
		run -0 promtool check metrics <"$BATS_TEST_TMPDIR/$f.prom"
		assert_output ""
	done
}

@test "prometheus: one sample set per target, the last; with --streaming one exposition per round" {
	run -1 probe-format -o prometheus <"$FIX/rounds.ndjson"
	assert_equal "$(grep -c '^probe_success' <<<"$output")" 2
	assert_line 'probe_success{name="flaky",target="http://127.0.0.1:8080/flaky"} 0'
	assert_line 'probe_duration_seconds{name="a",target="http://127.0.0.1:8080/a"} 0.00125'
	run -1 probe-format -o prometheus --streaming --rounds <"$FIX/rounds.ndjson"
	assert_equal "$(grep -c '^# TYPE probe_success gauge' <<<"$output")" 2
	assert_equal "$(grep '^probe_success{name="flaky"' <<<"$output")" \
		"$(printf '%s\n' 'probe_success{name="flaky",target="http://127.0.0.1:8080/flaky"} 1' \
			'probe_success{name="flaky",target="http://127.0.0.1:8080/flaky"} 0')"
}

# ---- --textfile -------------------------------------------------------------------

@test "--textfile: the exposition, replaced atomically, 0644 when new whatever the umask" {
	local dir="$BATS_TEST_TMPDIR/textfile" f expected
	mkdir "$dir"
	f="$dir/probe.prom"
	expected=$(probe-format -o prometheus <"$FIX/results.ndjson" || true)
	# with ndjson on standard output, as a cron job runs it
	run -1 --separate-stderr bash -c 'umask 077 && exec probe-format -o ndjson --textfile "$1" <"$2"' \
		_ "$f" "$FIX/results.ndjson"
	assert_equal "$output" "$(jq -c . "$FIX/results.ndjson")"
	[ -z "$stderr" ]
	assert_equal "$(cat "$f")" "$expected"
	[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
	assert_equal "$(stat -c %a "$f")" 644
	# nothing else in the directory: no temporary file left
	assert_equal "$(ls -A "$dir")" probe.prom
	# replaced, not rewritten in place: a reader holding the old file keeps it whole
	local inode
	inode=$(stat -c %i "$f")
	exec {old}<"$f"
	chmod 640 "$f"
	run -0 probe-format -o text --textfile "$f" <"$FIX/ok.ndjson"
	assert_equal "$(cat "$f")" "$(probe-format -o prometheus <"$FIX/ok.ndjson")"
	assert_equal "$(cat <&"$old")" "$expected"
	exec {old}<&-
	[ "$(stat -c %i "$f")" != "$inode" ]
	assert_equal "$(stat -c %a "$f")" 640
	assert_equal "$(ls -A "$dir")" probe.prom
}

@test "--textfile: replaced after each round with --streaming; what cannot be written is an error" {
	local f="$BATS_TEST_TMPDIR/probe.prom"
	run -1 probe-format -o ndjson --streaming --rounds --textfile "$f" <"$FIX/rounds.ndjson"
	grep -qx 'probe_success{name="flaky",target="http://127.0.0.1:8080/flaky"} 0' "$f"
	[ "$(grep -c '^probe_success' "$f")" -eq 2 ]
	run -2 --separate-stderr probe-format --textfile "$BATS_TEST_TMPDIR/no/such/dir/x.prom" \
		<"$FIX/ok.ndjson"
	assert_equal "$stderr" "probe-format: error: cannot create a temporary file next to '$BATS_TEST_TMPDIR/no/such/dir/x.prom': No such file or directory"
	run -2 --separate-stderr probe-format --textfile "$BATS_TEST_TMPDIR" <"$FIX/ok.ndjson"
	assert_equal "${#stderr_lines[@]}" 1
	assert_output --partial '"kind":"probe.result"'
}

# ---- --push -----------------------------------------------------------------------

@test "--push: a PUT to a real Pushgateway, read back from its /metrics" {
	pushgateway_start
	run -1 --separate-stderr probe-format -o text --push "$PG_URL" <"$FIX/results.ndjson"
	[ -z "$stderr" ]
	run -0 pushgateway_metrics
	assert_line 'probe_success{instance="",job="probe",name="db",target="tcp://127.0.0.1:5432"} 0'
	assert_line 'probe_success{instance="",job="probe",name="api",target="https://127.0.0.1:8443/healthz"} 1'
	assert_line 'probe_tls_version_info{instance="",job="probe",name="api",target="https://127.0.0.1:8443/healthz",version="TLS 1.3"} 1'
	assert_equal "$(grep -c '^probe_success' <<<"$output")" 7
	# PUT replaces the whole group: the targets of the first push are gone
	run -0 probe-format -o ndjson --push "$PG_URL/" <"$FIX/ok.ndjson"
	run -0 pushgateway_metrics
	assert_equal "$(grep -c '^probe_success' <<<"$output")" 1
	assert_line 'probe_success{instance="",job="probe",name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 1'
	# a grouping path of the user's is used as it is
	run -0 probe-format --push "$PG_URL/metrics/job/smoke/instance/web1" <"$FIX/ok.ndjson"
	run -0 pushgateway_metrics
	assert_line 'probe_http_status_code{instance="web1",job="smoke",name="http://127.0.0.1:8080/healthz",target="http://127.0.0.1:8080/healthz"} 200'
}

@test "--push: a refusal, or no Pushgateway, is an error that names it, without credentials" {
	pushgateway_start
	run -2 --separate-stderr probe-format -o nagios --push "$PG_URL/wrong/metrics/job/x" \
		<"$FIX/ok.ndjson"
	assert_equal "$stderr" "probe-format: error: push to '$PG_URL/wrong/metrics/job/x' refused: status 404: 404 page not found"
	# standard output was written all the same
	assert_output --partial "HTTP OK - 200 OK in 0.023s"
	pushgateway_stop
	run -2 --separate-stderr probe-format --push "http://probe:s3cr3t@${PG_URL#http://}" \
		<"$FIX/ok.ndjson"
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "${stderr%%: connect*}" "probe-format: error: cannot push to 'http://***@${PG_URL#http://}/metrics/job/probe'"
	refute_output --partial s3cr3t
	[[ $stderr != *s3cr3t* ]]
}

# ---- nagios -----------------------------------------------------------------------

@test "nagios: one target, with the thresholds in the perfdata; exit 0 OK" {
	run -0 --separate-stderr probe-format -o nagios --warn-latency 200 --max-latency 1000 \
		<"$FIX/ok.ndjson"
	assert_output "HTTP OK - 200 OK in 0.023s | time=0.023s;0.200;1.000;0 size=123B;;;0"
	[ -z "$stderr" ]
	run -0 probe-format -o nagios <"$FIX/ok.ndjson"
	assert_output "HTTP OK - 200 OK in 0.023s | time=0.023s;;;0 size=123B;;;0"
}

@test "nagios: exit 1 WARNING, 2 CRITICAL, 3 UNKNOWN" {
	run -1 probe-format -o nagios <"$FIX/warning.ndjson"
	assert_output "HTTP WARNING - total 250.1ms over warning threshold 200ms; 200 OK in 0.250s | time=0.2501s;;;0 size=3B;;;0"
	run -2 probe-format -o nagios <"$FIX/critical.ndjson"
	assert_output "HTTP CRITICAL - status 503, expected 200-399 (2 attempts) | time=0.0015s;;;0 size=20B;;;0"
	run -3 probe-format -o nagios <"$FIX/unknown.ndjson"
	assert_output "HTTP UNKNOWN - checks.ndjson:3: invalid duration '3x': expected a number and a unit like 30d"
	run -3 probe-format -o nagios </dev/null
	assert_output "PROBE UNKNOWN - no results"
}

@test "nagios: --strict makes a warning CRITICAL" {
	run -2 probe-format -o nagios --strict <"$FIX/warning.ndjson"
	assert_output "HTTP CRITICAL - total 250.1ms over warning threshold 200ms | time=0.2501s;;;0 size=3B;;;0"
}

@test "nagios: several targets: the worst state, perfdata per target, a line per target" {
	run -2 probe-format -o nagios <"$FIX/results.ndjson"
	assert_output - <<-'EOF'
	PROBE CRITICAL - 2 of 7 critical: db: connection refused (3 attempts); search: body does not match '"results":' | api_time=0.023456s;;;0 api_size=123B;;;0 api_cert_days=364.4;;; web_time=0.2501s;;;0 web_size=4096B;;;0 db_time=0.000231s;;;0 cert_time=0.0035s;;;0 cert_cert_days=59.9;;; dns://localhost_time=0.00125s;;;0 job_time=0.0045s;;;0 search_time=0.0055s;;;0 search_size=17B;;;0
	api: OK - 200 OK in 0.023s, certificate expires in 364 days
	web: WARNING - total 250.1ms over warning threshold 200ms; 200 OK in 0.250s
	db: CRITICAL - connection refused (3 attempts)
	cert: OK - TLSv1.2 in 0.004s, certificate expires in 59 days
	dns://localhost: OK - 2 addresses in 0.001s
	job: OK - exit 0 in 0.004s
	search: CRITICAL - body does not match '"results":'
	EOF
	# the worst is not always the last: a warning among oks, an unknown among oks
	cat "$FIX/ok.ndjson" "$FIX/warning.ndjson" >"$BATS_TEST_TMPDIR/w"
	run -1 probe-format -o nagios <"$BATS_TEST_TMPDIR/w"
	assert_line --index 0 --partial "HTTP WARNING - 1 of 2 warning: web: total 250.1ms"
	cat "$FIX/unknown.ndjson" "$FIX/ok.ndjson" >"$BATS_TEST_TMPDIR/u"
	run -3 probe-format -o nagios <"$BATS_TEST_TMPDIR/u"
	assert_line --index 0 --partial "HTTP UNKNOWN - 1 of 2 unknown: broken: checks.ndjson:3"
	# severity, not the exit code's number: CRITICAL > WARNING > UNKNOWN > OK
	cat "$FIX/unknown.ndjson" "$FIX/warning.ndjson" >"$BATS_TEST_TMPDIR/uw"
	run -1 probe-format -o nagios <"$BATS_TEST_TMPDIR/uw"
	assert_line --index 0 --partial "HTTP WARNING - 1 of 2 warning: web: "
	cat "$FIX/unknown.ndjson" "$FIX/critical.ndjson" >"$BATS_TEST_TMPDIR/uc"
	run -2 probe-format -o nagios <"$BATS_TEST_TMPDIR/uc"
	assert_line --index 0 --partial "HTTP CRITICAL - 1 of 2 critical: api: "
}

@test "nagios: the last result per target; unique perfdata labels; no '|' in the text" {
	run -2 probe-format -o nagios <"$FIX/rounds.ndjson"
	assert_line --index 0 "HTTP CRITICAL - 1 of 2 critical: flaky: status 503, expected 200-399 | a_time=0.00125s;;;0 a_size=3B;;;0 flaky_time=0.002s;;;0 flaky_size=20B;;;0"
	run -2 probe-format -o nagios <"$FIX/tricky.ndjson"
	assert_line --index 0 "HTTP CRITICAL - 1 of 3 critical: quote \" back\\slash <&> it's a=b/c: status 500 <&> \"x\" / y second line  [31m | 'quote \" back\\slash <&> it''s a_b_c_time'=0.001s;;;0 'quote \" back\\slash <&> it''s a_b_c_size'=0B;;;0 'café 日本_time'=0.002s;;;0 'café 日本_size'=1B;;;0 'café 日本#2_time'=0.003s;;;0 'café 日本#2_size'=2B;;;0"
	[ "$(head -n 1 <<<"$output" | tr -cd '|' | wc -c)" -eq 1 ]
	[ "${#lines[@]}" -eq 4 ]
}

# ---- junit ------------------------------------------------------------------------

# well_formed FILE: parsed by a real XML parser (xmllint when there, and minidom)
well_formed() {
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1" || return 1
	fi
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
}

@test "junit: one testsuite, one testcase per target, failures with message and code" {
	run -1 --separate-stderr probe-format -o junit <"$FIX/results.ndjson"
	assert_output - <<-'EOF'
	<?xml version="1.0" encoding="UTF-8"?>
	<testsuites name="probe" tests="7" failures="2" errors="0" time="0.252">
	  <testsuite name="probe" tests="7" failures="2" errors="0" time="0.252" skipped="0" timestamp="2026-11-28T14:02:18">
	    <testcase name="api" classname="probe.http" time="0.023">
	      <system-out>target: https://127.0.0.1:8443/healthz
	</system-out>
	    </testcase>
	    <testcase name="web" classname="probe.http" time="0.250">
	      <system-out>target: http://[::1]:8080/
	warning: total 250.1ms over warning threshold 200ms
	</system-out>
	    </testcase>
	    <testcase name="db" classname="probe.tcp" time="0.000">
	      <failure message="connection refused" type="connect">target: tcp://127.0.0.1:5432
	attempts: 3
	attempt 1: connect: connection refused
	attempt 2: connect: connection refused
	</failure>
	    </testcase>
	    <testcase name="cert" classname="probe.tls" time="0.004">
	      <system-out>target: tls://localhost:8443
	</system-out>
	    </testcase>
	    <testcase name="dns://localhost" classname="probe.dns" time="0.001">
	      <system-out>target: dns://localhost
	</system-out>
	    </testcase>
	    <testcase name="job" classname="probe.exec" time="0.004">
	      <system-out>target: exec:test -e /etc/passwd
	</system-out>
	    </testcase>
	    <testcase name="search" classname="probe.http" time="0.005">
	      <failure message="body does not match '&quot;results&quot;:'" type="body">target: http://127.0.0.1:8080/search
	</failure>
	    </testcase>
	  </testsuite>
	</testsuites>
	EOF
	[ -z "$stderr" ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/r.xml"
	run -0 well_formed "$BATS_TEST_TMPDIR/r.xml"
}

@test "junit: a testcase's time covers every attempt" {
	jq -c '.attempt_errors[0].duration_ms = 1000.5' "$FIX/critical.ndjson" >"$BATS_TEST_TMPDIR/a.ndjson"
	run -1 probe-format -o junit <"$BATS_TEST_TMPDIR/a.ndjson"
	assert_line --partial '<testcase name="api" classname="probe.http" time="1.002">'
	assert_line --partial '<testsuite name="probe" tests="1" failures="1" errors="0" time="1.002"'
	# without durations in attempt_errors: the last attempt's
	run -1 probe-format -o junit <"$FIX/critical.ndjson"
	assert_line --partial '<testcase name="api" classname="probe.http" time="0.002">'
}

@test "junit: well-formed whatever the names and messages hold; invalid_spec is an error" {
	local f
	for f in tricky unknown warning critical rounds; do
		probe-format -o junit <"$FIX/$f.ndjson" >"$BATS_TEST_TMPDIR/$f.xml" || true
		run -0 well_formed "$BATS_TEST_TMPDIR/$f.xml"
	done
	run -0 python3 - "$BATS_TEST_TMPDIR/tricky.xml" "$BATS_TEST_TMPDIR/unknown.xml" <<-'EOF'
		import sys, xml.dom.minidom
		t = xml.dom.minidom.parse(sys.argv[1])
		cases = t.getElementsByTagName("testcase")
		print([c.getAttribute("name") for c in cases])
		f = t.getElementsByTagName("failure")[0]
		print(repr(f.getAttribute("message")))
		u = xml.dom.minidom.parse(sys.argv[2])
		s = u.getElementsByTagName("testsuite")[0]
		print(s.getAttribute("errors"), s.getAttribute("failures"),
		      u.getElementsByTagName("error")[0].getAttribute("type"))
	EOF
	assert_output - <<-'EOF'
	['quote " back\\slash <&> it\'s a=b|c', 'café 日本', 'café 日本']
	'status 500 <&> "x" | y\nsecond line??[31m'
	1 0 invalid_spec
	EOF
}

@test "junit: --strict turns a warning into a failure; the last result per target" {
	run -1 probe-format -o junit --strict <"$FIX/warning.ndjson"
	assert_line '      <failure message="total 250.1ms over warning threshold 200ms" type="warning">target: http://127.0.0.1:8080/slow'
	run -0 probe-format -o junit <"$FIX/warning.ndjson"
	assert_line '      <system-out>target: http://127.0.0.1:8080/slow'
	run -1 probe-format -o junit <"$FIX/rounds.ndjson"
	# the suite's time spans the kept results: round 1's, 2026-11-28T14:02:19.000Z + 3 ms
	assert_line --index 1 '<testsuites name="probe" tests="2" failures="1" errors="0" time="0.003">'
}

# ---- options and exit codes -------------------------------------------------------

@test "exit status: 0 all ok, 1 any failed; --strict counts warnings" {
	run -0 probe-format -o ndjson <"$FIX/warning.ndjson"
	run -1 probe-format -o ndjson --strict <"$FIX/warning.ndjson"
	run -1 probe-format -o text <"$FIX/critical.ndjson"
	run -0 probe-format -o prometheus <"$FIX/ok.ndjson"
	run -1 probe-format -o junit <"$FIX/results.ndjson"
	run -0 probe-format -o json </dev/null
	assert_output ""
}

@test "usage errors: unsupported formats, nagios or junit with --every, bad --textfile or --push" {
	run -2 --separate-stderr probe-format -o markdown </dev/null
	assert_equal "$stderr" "probe-format: error: output format 'markdown' is not supported by probe"
	run -2 --separate-stderr probe-format -o nagios --streaming </dev/null
	assert_equal "$stderr" "probe-format: error: -o nagios prints one report: it cannot be used with --every"
	run -2 --separate-stderr probe-format -o junit --streaming </dev/null
	assert_equal "$stderr" "probe-format: error: -o junit prints one report: it cannot be used with --every"
	run -2 --separate-stderr probe-format --textfile "" </dev/null
	assert_equal "$stderr" "probe-format: error: --textfile needs a file name"
	run -2 --separate-stderr probe-format --push "file:///etc/passwd" </dev/null
	assert_equal "$stderr" "probe-format: error: invalid --push URL 'file:///etc/passwd': expected http:// or https://"
	[ -z "$output" ]
}

# ---- the record's schema ----------------------------------------------------------

@test "schema: probe.result.schema.json is draft 2020-12, builds on the envelope, and the fixtures validate" {
	if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		[[ -z ${CI:-} ]] || fail "python3-jsonschema is not installed"
		skip "python3-jsonschema is not installed"
	fi
	local bad="$BATS_TEST_TMPDIR/bad.ndjson" base
	base='"kind":"probe.result","time":"2026-11-28T14:02:18.123Z","name":"a","target":"a","round":0,"attempts":1'
	{
		echo "{$base,\"type\":\"http\",\"ok\":false,\"state\":\"critical\"}"
		echo "{$base,\"type\":\"ftp\",\"ok\":true,\"state\":\"ok\"}"
		echo "{$base,\"type\":\"http\",\"ok\":true,\"state\":\"critical\"}"
		echo "{$base,\"type\":\"http\",\"ok\":true,\"state\":\"warning\"}"
		echo "{$base,\"type\":\"tls\",\"ok\":true,\"state\":\"ok\",\"tls\":{\"verified\":false}}"
		echo "{$base,\"type\":\"tls\",\"ok\":true,\"state\":\"ok\",\"tls\":{\"verified\":true,\"verify_error\":\"x\"}}"
		echo "{$base,\"type\":\"http\",\"ok\":false,\"state\":\"critical\",\"error\":{\"code\":\"nope\",\"message\":\"m\"}}"
		echo "{$base,\"type\":\"http\",\"ok\":true,\"state\":\"ok\",\"duration_ms\":-1}"
		echo "{${base/probe.result/probe.other},\"type\":\"http\",\"ok\":true,\"state\":\"ok\"}"
		echo "{${base/.123Z/Z},\"type\":\"http\",\"ok\":true,\"state\":\"ok\"}"
		echo "{\"kind\":\"probe.result\",\"time\":\"2026-11-28T14:02:18.123Z\",\"ok\":true}"
	} >"$bad"
	run -0 /usr/bin/python3 - "$SCHEMA_DIR" "$bad" "$FIX"/*.ndjson <<-'EOF'
		import json, pathlib, sys, warnings, jsonschema
		warnings.simplefilter("ignore", DeprecationWarning)
		d = pathlib.Path(sys.argv[1]).resolve()
		s = json.loads((d / "probe.result.schema.json").read_text(encoding="utf-8"))
		assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
		assert {"$ref": "envelope.schema.json"} in s["allOf"], "builds on the envelope"
		jsonschema.Draft202012Validator.check_schema(s)
		resolver = jsonschema.RefResolver(base_uri=(d / "probe.result.schema.json").as_uri(), referrer=s)
		v = jsonschema.Draft202012Validator(s, resolver=resolver)
		for path in sys.argv[3:]:
		    for n, line in enumerate(open(path, encoding="utf-8"), 1):
		        for e in v.iter_errors(json.loads(line)):
		            print(f"{path}:{n}: {e.message}")
		print(" ".join("valid" if v.is_valid(json.loads(l)) else "invalid"
		               for l in open(sys.argv[2], encoding="utf-8")))
	EOF
	assert_output "invalid invalid invalid invalid invalid invalid invalid invalid invalid invalid invalid"
}

@test "schema: the fixtures are valid record streams" {
	local f
	for f in "$FIX"/*.ndjson; do
		assert_records "$f"
	done
}

# ---- man page and completions -----------------------------------------------------

# the long options, from the bash completion's list
bash_options() {
	# shellcheck disable=SC1091
	source "$SRETOOLS_ROOT/completions/bash/probe"
	# shellcheck disable=SC2154,SC2086
	printf '%s\n' $_probe_options | grep '^--' | sort
}

@test "man: probe.1 passes mandoc -Tlint and documents every option the completions offer" {
	needs mandoc mandoc
	run -0 mandoc -Tlint -W warning "$SRETOOLS_ROOT/man/man1/probe.1"
	assert_output ""
	local opt missing=()
	while IFS= read -r opt; do
		grep -q "^\.It Fl ${opt#-}\b\|Fl ${opt#-}\b" "$SRETOOLS_ROOT/man/man1/probe.1" || missing+=("$opt")
	done < <(bash_options)
	assert_equal "${missing[*]}" ""
	[ "$(bash_options | wc -l)" -eq 40 ]
}

@test "man: every option of probe --help is in the man page (once probe is built)" {
	command -v probe >/dev/null || skip "probe is not built"
	run -0 probe --help
	local opt missing=()
	for opt in $(grep -o -- '--[a-z][a-z0-9-]*' <<<"$output" | sort -u); do
		grep -q "Fl ${opt#-}\b" "$SRETOOLS_ROOT/man/man1/probe.1" || missing+=("$opt")
	done
	assert_equal "${missing[*]}" ""
}

# the options of the built probe's --help: every -x and --long-name, one per line
help_options() {
	probe --help | grep -o -- '\(^\|[ ,]\)--\?[a-zA-Z0-9][a-z0-9-]*' |
		sed 's/^[ ,]*//' | sort -u
}

@test "man: the SYNOPSIS is the usage of probe --help, as mandoc renders it" {
	needs mandoc mandoc
	command -v probe >/dev/null || skip "probe is not built"
	local synopsis usage
	synopsis=$(mandoc -Tascii "$SRETOOLS_ROOT/man/man1/probe.1" | sed 's/.\x08//g' |
		sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p}' | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
	usage=$(probe --help | sed -n '1,/^$/p' | sed 's/^usage://' | tr -s ' \n' ' ' |
		sed 's/^ //; s/ $//')
	[ -n "$usage" ]
	assert_equal "$synopsis" "$usage"
}

@test "every option of probe --help is in the man page and all three completions" {
	command -v probe >/dev/null || skip "probe is not built"
	local opt missing=() man=$SRETOOLS_ROOT/man/man1/probe.1
	local zsh=$SRETOOLS_ROOT/completions/zsh/_probe fish=$SRETOOLS_ROOT/completions/fish/probe.fish
	local opts
	opts=$(help_options)
	# the short and long options parse_options knows, at least
	[ "$(wc -l <<<"$opts")" -ge 45 ]
	for opt in -f --file -4 --ipv4 -6 --ipv6; do
		grep -qx -- "$opt" <<<"$opts" || missing+=("help:$opt")
	done
	while IFS= read -r opt; do
		grep -q -- "Fl ${opt#-}\( \|$\)" "$man" || missing+=("man:$opt")
		bash_options_all | grep -qx -- "$opt" || missing+=("bash:$opt")
		# a zsh spec: '(excl)--opt=[...]', '*--opt=[', {-o+,--opt=}'[...]'
		grep -q -- "[{'\",*)]${opt}[=+[},]" "$zsh" || missing+=("zsh:$opt")
		if [[ $opt == --* ]]; then
			grep -q -- "-l ${opt#--}\( \|$\)" "$fish" || missing+=("fish:$opt")
		else
			grep -q -- "-s ${opt#-}\( \|$\)" "$fish" || missing+=("fish:$opt")
		fi
	done <<<"$opts"
	assert_equal "${missing[*]}" ""
}

# every option word of the bash completion's list, short and long
bash_options_all() {
	# shellcheck disable=SC1091
	source "$SRETOOLS_ROOT/completions/bash/probe"
	# shellcheck disable=SC2154,SC2086
	printf '%s\n' $_probe_options
}

# complete_bash WORDS...: COMPREPLY for the last word, one per line
complete_bash() {
	# shellcheck disable=SC1091
	source "$SRETOOLS_ROOT/completions/bash/probe"
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	_probe
	printf '%s\n' "${COMPREPLY[@]}"
}

@test "bash completion: options, -o values, files, commands after --" {
	run -0 complete_bash probe --form
	assert_output "--format"
	run -0 complete_bash probe -o ""
	assert_output "$(printf '%s\n' ndjson json text prometheus nagios junit)"
	run -0 complete_bash probe --format=p
	assert_output "--format=prometheus"
	run -0 complete_bash probe --format = n
	assert_output "$(printf '%s\n' ndjson nagios)"
	run -0 complete_bash probe --expect-j
	assert_output "--expect-json"
	mkdir "$BATS_TEST_TMPDIR/c" && cd "$BATS_TEST_TMPDIR/c"
	touch checks.ndjson ca.pem
	run -0 complete_bash probe -f ch
	assert_output "checks.ndjson"
	run -0 complete_bash probe --cacert ca
	assert_output "ca.pem"
	run -0 complete_bash probe --data @ch
	assert_output "@checks.ndjson"
	run -0 complete_bash probe ht
	assert_output "$(printf '%s\n' http:// https://)"
	run -0 complete_bash probe --wait 5s http://x -- bat
	assert_line bats
	run -0 complete_bash probe --timeout ""
	assert_output ""
}

@test "zsh and fish completions load; fish completes options and -o values" {
	needs zsh zsh
	run -0 zsh -n "$SRETOOLS_ROOT/completions/zsh/_probe"
	run -0 zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -D; print -r -- ${_comps[probe]}' \
		_ "$SRETOOLS_ROOT/completions/zsh"
	assert_output "_probe"
	needs fish fish
	run -0 fish -n "$SRETOOLS_ROOT/completions/fish/probe.fish"
	run -0 fish -c 'source $argv[1]; complete -C "probe -o "; complete -C "probe --form"' \
		"$SRETOOLS_ROOT/completions/fish/probe.fish"
	assert_output - <<-'EOF'
	json	Output format
	junit	Output format
	nagios	Output format
	ndjson	Output format
	prometheus	Output format
	text	Output format
	--format	Output format
	EOF
}
