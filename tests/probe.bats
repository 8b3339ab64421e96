#!/usr/bin/env bats
# probe: targets, checks, retries, modes, secrets and errors, against the fixture
# server (tests/helpers/fixture-server.py).  Output formats: tests/probe-output.bats.
bats_require_minimum_version 1.5.0

load helpers/common
load helpers/server

# One plain-HTTP server for the file; each test uses its own paths, since the
# fail_first counters are per path.  TLS tests start their own servers.
setup_file() {
	fixture_server_start
	export HTTP_URL=$FIXTURE_URL HTTP_LOG=$FIXTURE_LOG HTTP_PORT=$FIXTURE_PORT
}

# The requests the file's server got for one path (NDJSON).
requests_for() {
	jq -c --arg p "$1" 'select(.path == $p)' "$HTTP_LOG"
}

# A record's time as epoch milliseconds.
time_ms() {
	jq -r '((.time[0:19] + "Z") | fromdate) * 1000 + (.time[20:23] | tonumber)'
}

# ---- HTTP targets and their facts ---------------------------------------------------

@test "an http target that answers 200 is ok, with its timing, peer and response" {
	run -0 --separate-stderr probe -o ndjson "$HTTP_URL/ok"
	assert_records
	assert_record_count 1
	assert_record 1 '.kind == "probe.result" and .type == "http" and .ok and .state == "ok"'
	assert_record 1 ".name == \"$HTTP_URL/ok\" and .target == \"$HTTP_URL/ok\" and .round == 0"
	assert_record 1 '.attempts == 1 and (has("attempt_errors") | not) and (has("error") | not)'
	assert_record 1 '.http == {"method":"GET","status":200,"version":"HTTP/1.1","bytes":3,"redirects":0}'
	assert_record 1 '.ip == "127.0.0.1" and .duration_ms > 0'
	assert_record 1 '.timing_ms | keys == ["connect","dns","tls","total","transfer","ttfb"]'
	assert_record 1 '.timing_ms | .total >= .connect and .total >= .ttfb and .tls == 0'
	assert_record 1 '.checks == [{"check":"status","ok":true,"expected":"200-399","actual":200}]'
	[ -z "$stderr" ]
}

@test "a failing status fails the record and the exit status" {
	run -1 --separate-stderr probe -o ndjson "$HTTP_URL/down?status=503"
	assert_records
	assert_record 1 '.ok == false and .state == "critical"'
	assert_record 1 '.error == {"code":"status","message":"status 503, expected 200-399"}'
	assert_record 1 '.checks[0] == {"check":"status","ok":false,"expected":"200-399","actual":503}'
}

@test "--expect-status takes statuses, classes and ranges" {
	run -0 probe -o ndjson --expect-status 503 "$HTTP_URL/s1?status=503"
	run -0 probe -o ndjson --expect-status '200, 204' "$HTTP_URL/s2?status=204"
	run -0 probe -o ndjson --expect-status 4xx "$HTTP_URL/s3?status=418"
	run -0 probe -o ndjson --expect-status 300-304,2xx "$HTTP_URL/s4?status=304"
	run -1 probe -o ndjson --expect-status 2xx "$HTTP_URL/s5?status=302"
	assert_record 1 '.error.message == "status 302, expected 2xx"'
	run -2 --separate-stderr probe --expect-status 2yy "$HTTP_URL/ok"
	assert_equal "$stderr" "probe: error: invalid status list '2yy': expected statuses, classes or ranges like 200,204 or 2xx or 200-399"
}

@test "several targets are probed in one run, one record each, failures counted" {
	run -1 probe -o ndjson "$HTTP_URL/m1" "$HTTP_URL/m2?status=500" "$HTTP_URL/m3"
	assert_records
	assert_record_count 3
	run -0 jq -s -c 'map(select(.ok)) | length' <<<"$output"
	assert_output 2
}

@test "-X, -d and -H shape the request; -d @file reads the body from a file" {
	run -0 probe -o ndjson -X PUT -d 'a=1' -H 'X-Test: yes' "$HTTP_URL/req1"
	assert_record 1 '.http.method == "PUT"'
	run -0 requests_for /req1
	assert_record 1 '.method == "PUT" and .body == "a=1" and .headers["x-test"] == "yes"'
	printf 'from a file' >"$BATS_TEST_TMPDIR/body"
	run -0 probe -o ndjson -d "@$BATS_TEST_TMPDIR/body" "$HTTP_URL/req2"
	assert_record 1 '.http.method == "POST"'
	run -0 requests_for /req2
	assert_record 1 '.method == "POST" and .body == "from a file"'
	run -2 --separate-stderr probe -d @/nonexistent "$HTTP_URL/req3"
	assert_equal "$stderr" "probe: error: --data '@/nonexistent': cannot open '/nonexistent': No such file or directory"
}

@test "--resolve pins a host name; -4 is accepted" {
	run -0 probe -o ndjson -4 --resolve "probe.test:$HTTP_PORT:127.0.0.1" "http://probe.test:$HTTP_PORT/pinned"
	assert_record 1 '.ok and .ip == "127.0.0.1"'
	run -0 requests_for /pinned
	assert_record 1 ".headers.host == \"probe.test:$HTTP_PORT\""
}

@test "--proxy sends the request through a proxy" {
	run -0 probe -o ndjson --proxy "$HTTP_URL" http://proxied.invalid/via-proxy
	assert_record 1 '.ok and .http.status == 200'
	run -0 requests_for /via-proxy
	assert_record 1 '.headers.host == "proxied.invalid"'
}

# ---- checks -------------------------------------------------------------------------

@test "--expect-body passes on a match and fails with a clean excerpt" {
	run -0 probe -o ndjson --expect-body '^hello' "$HTTP_URL/b1?body=hello%20world"
	assert_record 1 '.checks[1] == {"check":"body","ok":true,"expected":"^hello"}'
	run -1 probe -o ndjson --expect-body 'zzz' "$HTTP_URL/b2?body=ab%01%02cd%0A%0A%1B%5B31mef"
	assert_record 1 '.error.code == "body" and .checks[1].ok == false'
	# control characters never reach the record: runs of them become one space
	assert_record 1 '.checks[1].actual == "ab cd [31mef"'
	assert_record 1 '.error.message == "body does not match '"'zzz'"': \"ab cd [31mef\""'
}

@test "a body excerpt is short" {
	run -1 probe -o ndjson --expect-body 'zzz' "$HTTP_URL/b3?size=5000"
	assert_record 1 '.checks[1].actual | length <= 83 and endswith("...")'
	assert_record 1 '.error.message | length < 200'
}

@test "--expect-json is truthy, false, not JSON, or an error" {
	run -0 probe -o ndjson --expect-json '.status == "up"' "$HTTP_URL/j1?json=%7B%22status%22:%22up%22%7D"
	assert_record 1 '.checks[1] == {"check":"json","ok":true,"expected":".status == \"up\""}'
	run -1 probe -o ndjson --expect-json '.status == "up"' "$HTTP_URL/j2?json=%7B%22status%22:%22down%22%7D"
	assert_record 1 '.error.code == "json" and (.error.message | startswith("expect-json"))'
	run -1 probe -o ndjson --expect-json '.a' "$HTTP_URL/j3?body=not%20json"
	assert_record 1 '.error == {"code":"json","message":"response body is not JSON: line 1: invalid JSON: lexical error: invalid string in json text"}'
	run -1 probe -o ndjson --expect-json '.a.b' "$HTTP_URL/j4?json=%5B1%5D"
	assert_record 1 '.error.code == "json" and (.error.message | contains("Cannot index array"))'
}

@test "--expect-json runs isolated: an expression that crashes libjq fails the check only" {
	run -1 --separate-stderr probe -o ndjson --expect-json '.[2147483647] = 0' \
		"$HTTP_URL/j5?json=%5B1%5D" "$HTTP_URL/j6"
	assert_records
	assert_record_count 2
	run -0 jq -s -c 'map(select(.target | contains("/j5")))[0].error' <<<"$output"
	assert_output --regexp '^\{"code":"json","message":"jq crashed evaluating expression'
}

@test "--expect-header matches a response header, or reports it missing" {
	run -0 probe -o ndjson --expect-header 'X-Version: ^1\.' "$HTTP_URL/h1?header=X-Version:%201.2.3"
	assert_record 1 '.checks[1] == {"check":"header","ok":true,"expected":"X-Version: ^1\\.","actual":"1.2.3"}'
	run -1 probe -o ndjson --expect-header 'x-version: ^2' "$HTTP_URL/h2?header=X-Version:%201.2.3"
	assert_record 1 ".error.message == \"header 'x-version: 1.2.3' does not match '^2'\""
	run -1 probe -o ndjson --expect-header 'X-Missing: .' "$HTTP_URL/h3"
	assert_record 1 ".error == {\"code\":\"header\",\"message\":\"header 'X-Missing' missing, expected 'X-Missing: .'\"}"
	run -2 --separate-stderr probe --expect-header 'no colon' "$HTTP_URL/h4"
	assert_equal "$stderr" "probe: error: invalid header check 'no colon': expected 'Name: REGEX'"
}

@test "--max-latency fails a slow answer; --warn-latency warns; --strict fails warnings" {
	run -1 probe -o ndjson --max-latency 100ms "$HTTP_URL/l1?delay=0.3"
	assert_record 1 '.error.code == "latency" and .state == "critical"'
	assert_record 1 '.checks[1].check == "latency" and .checks[1].ok == false and .checks[1].expected == "< 100ms"'
	run -0 probe -o ndjson --warn-latency 100ms --max-latency 10s "$HTTP_URL/l2?delay=0.3"
	assert_record 1 '.ok and .state == "warning" and (has("error") | not)'
	assert_record 1 '.warnings[0].code == "latency" and (.warnings[0].message | startswith("total "))'
	assert_record 1 '.checks[1] | .ok and .state == "warning" and .expected == "< 100ms"'
	run -1 probe -o ndjson --strict --warn-latency 100ms "$HTTP_URL/l3?delay=0.3"
	assert_record 1 '.ok == false and .state == "warning" and .error.code == "latency"'
	run -0 probe -o ndjson --max-latency 10s --warn-latency 5s "$HTTP_URL/l4"
	assert_record 1 '.state == "ok" and .checks[1] == (.checks[1] | {check, ok, expected, actual}) and .checks[1].expected == "< 10s"'
	run -2 --separate-stderr probe --warn-latency 2s --max-latency 1s "$HTTP_URL/l5"
	assert_equal "$stderr" "probe: error: --warn-latency is above --max-latency"
}

# ---- TLS ------------------------------------------------------------------------------

@test "https with a self-signed CA: refused without --cacert, ok with it" {
	fixture_server_start --tls valid
	run -1 probe -o ndjson "$FIXTURE_URL/ok"
	assert_record 1 '.error.code == "tls_verify" and .tls.verified == false'
	assert_record 1 '.tls.verify_error == "unable to get local issuer certificate"'
	# nothing was sent over the unverified connection
	run -0 jq -s 'length' "$FIXTURE_LOG"
	assert_output 0
	run -0 probe -o ndjson --cacert "$FIXTURE_CA" "$FIXTURE_URL/ok"
	assert_record 1 '.ok and .tls.verified and .tls.subject == "CN=localhost" and .tls.issuer == "CN=sretools test CA"'
	assert_record 1 '.tls.version | startswith("TLSv1.")'
	assert_record 1 '.tls.days_left > 360 and .tls.days_left < 366 and (.tls.not_after | endswith("Z"))'
	assert_record 1 '.timing_ms.tls > 0 and (.tls | has("verify_error") | not)'
}

@test "--insecure is explicit: the request goes through, the record says unverified" {
	fixture_server_start --tls valid
	run -0 probe -o ndjson --insecure "$FIXTURE_URL/ok"
	assert_record 1 '.ok and .tls.verified == false and .tls.verify_error != ""'
}

@test "an expired certificate fails verification with the reason and the dates" {
	fixture_server_start --tls expired
	run -1 probe -o ndjson --cacert "$FIXTURE_CA" "$FIXTURE_URL/ok"
	assert_record 1 '.error.code == "tls_verify" and .tls.verify_error == "certificate has expired"'
	assert_record 1 '.tls.days_left < -29'
}

@test "--cert-min-days fails and --warn-cert-days warns on a certificate about to expire" {
	fixture_server_start --tls soon
	run -1 probe -o ndjson --cacert "$FIXTURE_CA" --cert-min-days 30 "$FIXTURE_URL/ok"
	assert_record 1 '.error.code == "cert_expiry" and (.error.message | test("^certificate expires in (4\\.9|5\\.0) days, expected at least 30 days$"))'
	assert_record 1 '.checks[1] | .check == "cert_expiry" and .ok == false and .expected == ">= 30 days"'
	run -0 probe -o ndjson --cacert "$FIXTURE_CA" --warn-cert-days 30 --cert-min-days 2 "$FIXTURE_URL/ok"
	assert_record 1 '.ok and .state == "warning" and .warnings[0].code == "cert_expiry"'
	run -0 probe -o ndjson --cacert "$FIXTURE_CA" --cert-min-days 2 "tls://localhost:$FIXTURE_PORT"
	assert_record 1 '.ok and .type == "tls" and .checks[0].check == "cert_expiry"'
}

@test "the chain's earliest expiry counts" {
	fixture_server_start --tls chain
	run -1 probe -o ndjson --cacert "$FIXTURE_CA" --cert-min-days 30 "$FIXTURE_URL/ok"
	assert_record 1 '.tls.chain_earliest_not_after < .tls.not_after and .tls.days_left < 11'
	assert_record 1 '.error.code == "cert_expiry"'
}

@test "--cert and --key give a client certificate" {
	fixture_server_start --mtls
	run -1 probe -o ndjson --cacert "$FIXTURE_CA" "$FIXTURE_URL/ok"
	run -0 probe -o ndjson --cacert "$FIXTURE_CA" --cert "$FIXTURE_CLIENT_CERT" \
		--key "$FIXTURE_CLIENT_KEY" "$FIXTURE_URL/ok"
	run -0 jq -r '.tls.client_subject' "$FIXTURE_LOG"
	assert_output --partial "sretools test client"
}

# ---- TCP, TLS, DNS and command targets --------------------------------------------------

@test "tcp:// connects and sends nothing; a closed port fails with connect" {
	run -0 probe -o ndjson --connect-timeout 2s "tcp://127.0.0.1:$HTTP_PORT"
	assert_record 1 '.ok and .type == "tcp" and .ip == "127.0.0.1" and (has("http") | not)'
	assert_record 1 '.timing_ms.connect >= 0 and .timing_ms.ttfb == 0'
	run -1 probe -o ndjson tcp://127.0.0.1:1
	assert_record 1 '.error.code == "connect"'
	run -2 --separate-stderr probe tcp://127.0.0.1
	assert_equal "$stderr" "probe: error: invalid target 'tcp://127.0.0.1': expected tcp://HOST:PORT with a port"
}

@test "tls:// does the handshake and reports the certificate" {
	fixture_server_start --tls valid
	run -0 probe -o ndjson --cacert "$FIXTURE_CA" "tls://localhost:$FIXTURE_PORT"
	assert_record 1 '.ok and .type == "tls" and .tls.verified and .tls.subject == "CN=localhost"'
	run -1 probe -o ndjson "tls://localhost:$FIXTURE_PORT"
	assert_record 1 '.error.code == "tls_verify"'
	run -0 jq -s 'length' "$FIXTURE_LOG"
	assert_output 0
}

@test "dns:// resolves through the system resolver" {
	run -0 probe -o ndjson -4 dns://localhost
	assert_record 1 '.ok and .type == "dns" and .dns.addresses == ["127.0.0.1"]'
	assert_record 1 '.timing_ms.dns == .timing_ms.total and .duration_ms >= 0'
	run -1 probe -o ndjson -6 dns://127.0.0.1
	assert_record 1 '.error.code == "dns" and (.error.message | startswith("cannot resolve '"'127.0.0.1'"'"))'
}

@test "--exec: exit 0 is healthy, output is captured, a failure says how" {
	run -1 probe -o ndjson --exec 'echo out; echo err >&2; exit 3' --exec 'printf fine'
	assert_records
	run -0 jq -s -c 'sort_by(.target) | map([.ok, .exec.exit, .exec.stdout, .exec.stderr, .error.code])' <<<"$output"
	assert_output '[[false,3,"out\n","err\n","exec_failed"],[true,0,"fine","",null]]'
	run -1 probe -o ndjson --exec 'kill -KILL $$'
	assert_record 1 '.exec.signal == "KILL" and .error.message == "command killed by signal KILL"'
	run -0 probe -o ndjson --exec 'test "$(cat)" = ""'
}

@test "--exec output is capped" {
	run -0 probe -o ndjson --exec "head -c 100000 /dev/zero | tr '\\\\0' a; echo done >&2"
	assert_record 1 '(.exec.stdout | length) == 4096 and .exec.stderr == "done\n"'
}

@test "--exec is killed with its process group at the timeout" {
	run -1 probe -o ndjson --timeout 1s --exec "sleep 60 & echo \$! > '$BATS_TEST_TMPDIR/child'; wait"
	assert_record 1 '.error == {"code":"exec_timeout","message":"command timed out after 1s and was killed"}'
	assert_record 1 '.exec.signal == "TERM" and (.exec | has("exit") | not)'
	child=$(<"$BATS_TEST_TMPDIR/child")
	for _ in $(seq 50); do
		kill -0 "$child" 2>/dev/null || break
		sleep 0.1
	done
	run ! kill -0 "$child"
}

# ---- retries --------------------------------------------------------------------------

@test "--retries retries a 503 honouring Retry-After, and reports every attempt" {
	run -0 --separate-stderr probe -o ndjson --retries 3 --retry-delay 10ms \
		"$HTTP_URL/r1?fail_first=2&retry_after=1"
	assert_record 1 '.ok and .attempts == 3'
	assert_record 1 '[.attempt_errors[] | del(.duration_ms)] == [
		{"attempt":1,"code":"status","message":"status 503, expected 200-399"},
		{"attempt":2,"code":"status","message":"status 503, expected 200-399"}]'
	run -0 requests_for /r1
	assert_record_count 3
	# Retry-After: 1 is a floor under the 10ms backoff
	run -0 jq -s '[.[].time | ((.[0:19] + "Z") | fromdate) * 1000 + (.[20:23] | tonumber)]
		| .[1] - .[0] >= 990 and .[2] - .[1] >= 990' <<<"$output"
	assert_output true
}

@test "retries that run out leave the failure, with every attempt listed" {
	run -1 probe -o ndjson --retries 2 --retry-delay 10ms "$HTTP_URL/r2?status=500"
	assert_record 1 '.attempts == 3 and (.attempt_errors | length) == 2 and .error.code == "status"'
	assert_record 1 '[.attempt_errors[].duration_ms | numbers | select(. > 0)] | length == 2'
	run -0 requests_for /r2
	assert_record_count 3
}

@test "timeouts and refused connections are retried; a failed check is not" {
	run -1 probe -o ndjson --retries 1 --retry-delay 10ms tcp://127.0.0.1:1
	assert_record 1 '.attempts == 2 and .attempt_errors[0].code == "connect"'
	run -1 probe -o ndjson --retries 1 --retry-delay 10ms --timeout 300ms "$HTTP_URL/r3?delay=2"
	assert_record 1 '.attempts == 2 and .attempt_errors[0].code == "timeout" and .error.code == "timeout"'
	run -1 probe -o ndjson --retries 3 --retry-delay 10ms --expect-body nomatch "$HTTP_URL/r4"
	assert_record 1 '.attempts == 1 and .error.code == "body"'
	run -1 probe -o ndjson --retries 3 --retry-delay 10ms "$HTTP_URL/r5?status=404"
	assert_record 1 '.attempts == 1'
	run -0 probe -o ndjson --retries 2 --retry-delay 10ms \
		--exec "test -e '$BATS_TEST_TMPDIR/x' || { touch '$BATS_TEST_TMPDIR/x'; exit 1; }"
	assert_record 1 '.attempts == 2 and .attempt_errors[0].code == "exec_failed"'
}

@test "a slow server times out" {
	run -1 probe -o ndjson --timeout 1s "$HTTP_URL/slow?delay=5"
	assert_record 1 '.error.code == "timeout" and .duration_ms < 4000'
}

# ---- safety ---------------------------------------------------------------------------

@test "a redirect to file:// is refused; redirects are followed only with --follow" {
	run -1 probe -o ndjson --follow "$HTTP_URL/rd1?redirect=file:///etc/passwd"
	assert_record 1 '.error.code == "redirect_refused" and .http.redirects == 0'
	run -0 probe -o ndjson "$HTTP_URL/rd2?redirect=/ok"
	assert_record 1 '.http.status == 302 and .http.redirects == 0'
	run -0 probe -o ndjson --follow "$HTTP_URL/rd3?redirect=/ok"
	assert_record 1 '.http.status == 200 and .http.redirects == 1'
}

@test "an endless body is capped by --max-body" {
	run -1 probe -o ndjson --max-body 64k "$HTTP_URL/e1?endless=1"
	assert_record 1 '.error.code == "body_too_large" and .http.bytes == 65536'
	run -1 probe -o ndjson "$HTTP_URL/e2?endless=1"
	assert_record 1 '.error.code == "body_too_large" and .http.bytes == 1048576'
	run -2 --separate-stderr probe --max-body 2x "$HTTP_URL/e3"
	assert_equal "$stderr" "probe: error: invalid --max-body '2x': expected a size like 65536, 512k or 1M (at most 1G)"
}

@test "secrets never reach stdout or stderr, in any format, but reach the server" {
	export AUTH_LINE="Authorization: Bearer envsecret123"
	url="http://user:pwsecret042@127.0.0.1:$HTTP_PORT/sec?body=tokensecret789&k={{TOKEN}}"
	for fmt in ndjson json text prometheus nagios junit; do
		run --separate-stderr probe -vv -o "$fmt" -H @env:AUTH_LINE \
			-H 'Cookie: session=cookiesecret456' --secret TOKEN=tokensecret789 \
			-H 'X-Api-Key: {{TOKEN}}' --expect-body nomatch "$url"
		[[ $stderr != *"probe: error"* ]]
		for s in envsecret123 cookiesecret456 tokensecret789 pwsecret042; do
			if [[ $output == *"$s"* || $stderr == *"$s"* ]]; then
				echo "secret $s printed with -o $fmt" >&2
				return 1
			fi
		done
	done
	run -1 probe -o ndjson -H @env:AUTH_LINE --secret TOKEN=tokensecret789 --expect-body nomatch "$url"
	assert_record 1 '.checks[1].actual == "***" and (.target | contains("user:***@"))'
	assert_record 1 '.target | contains("k={{TOKEN}}")'
	run -0 requests_for /sec
	assert_record 1 '.headers.authorization == "Bearer envsecret123" and .headers.cookie == "session=cookiesecret456"'
	assert_record 1 '.headers["x-api-key"] == "tokensecret789" and .args.k == ["tokensecret789"]'
}

@test "verbose lines show secret headers as ***" {
	run -0 --separate-stderr probe -vv -o ndjson -H 'Authorization: Basic c2VjcmV0' "$HTTP_URL/v1"
	assert_equal "$(grep -c 'Authorization: \*\*\*' <<<"$stderr")" 1
	[[ $stderr != *c2VjcmV0* ]]
}

@test "--secret NAME reads the value from the environment; bad secrets are errors" {
	export MYTOKEN=fromenv555
	run -0 --separate-stderr probe -o ndjson --secret MYTOKEN -H 'X-T: {{MYTOKEN}}' "$HTTP_URL/sec2"
	[[ $output != *fromenv555* ]]
	run -0 requests_for /sec2
	assert_record 1 '.headers["x-t"] == "fromenv555"'
	run -2 --separate-stderr probe -H 'X-T: {{NOPE}}' "$HTTP_URL/sec3"
	assert_equal "$stderr" "probe: error: unknown secret '{{NOPE}}': define it with --secret NOPE=VALUE"
	run -2 --separate-stderr probe --secret UNSET_VAR_X "$HTTP_URL/sec3"
	assert_equal "$stderr" "probe: error: invalid --secret 'UNSET_VAR_X': environment variable UNSET_VAR_X is not set"
	run -2 --separate-stderr probe -H @env:UNSET_VAR_X "$HTTP_URL/sec3"
	assert_equal "$stderr" "probe: error: invalid header '@env:UNSET_VAR_X': environment variable UNSET_VAR_X is not set"
}

# ---- modes ----------------------------------------------------------------------------

@test "--every: round k starts at start + k*D" {
	run -0 --separate-stderr probe -o ndjson --every 1s --count 3 --timeout 5s "$HTTP_URL/ev1"
	assert_records
	assert_record_count 3
	recs=$output
	run -0 jq -s -c 'map(.round)' <<<"$recs"
	assert_output '[0,1,2]'
	times=$(time_ms <<<"$recs" | paste -sd, -)
	[[ $times =~ ^[0-9]+,[0-9]+,[0-9]+$ ]]
	# a correctness check of the schedule, with a generous tolerance
	run -0 jq -n "[$times] | [range(1; length) as \$k | (.[\$k] - .[0] - 1000 * \$k) | fabs] | max < 400"
	assert_output true
}

@test "--every: a target still running at its next round is skipped and reported" {
	run -1 --separate-stderr probe -o ndjson --every 1s --count 3 --timeout 5s \
		"$HTTP_URL/ev2" "$HTTP_URL/ev3?delay=1.6"
	assert_records
	assert_record_count 6
	recs=$output
	run -0 jq -s -c 'map(select(.target | endswith("ev2")) | [.round, .ok])' <<<"$recs"
	assert_output '[[0,true],[1,true],[2,true]]'
	run -0 jq -s -c 'map(select(.target | contains("ev3")) | [.round, .ok, .error.code]) | sort' <<<"$recs"
	assert_output '[[0,true,null],[1,false,"skipped"],[2,true,null]]'
	# the fast target's schedule did not move
	times=$(jq -c 'select(.target | endswith("ev2"))' <<<"$recs" | time_ms | paste -sd, -)
	[[ $times =~ ^[0-9]+,[0-9]+,[0-9]+$ ]]
	run -0 jq -n "[$times] | [range(1; length) as \$k | (.[\$k] - .[0] - 1000 * \$k) | fabs] | max < 400"
	assert_output true
}

@test "--every: records are flushed as they are produced" {
	probe -o ndjson --every 300ms --count 1000 "$HTTP_URL/fl" >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	for _ in $(seq 100); do
		[[ $(wc -l <"$BATS_TEST_TMPDIR/out") -ge 2 ]] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || true
	assert_records "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -ge 2 ]
}

# signal_finishes_in_flight SIG: no new rounds, the probe in flight finishes and is printed
signal_finishes_in_flight() {
	probe -o ndjson --every 10s "$HTTP_URL/$1-1" "$HTTP_URL/$1-2?delay=1" >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	for _ in $(seq 100); do
		[[ -n $(requests_for "/$1-2") ]] && break
		sleep 0.1
	done
	kill -"$1" "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	assert_records "$BATS_TEST_TMPDIR/out"
	assert_record_count 2 "$BATS_TEST_TMPDIR/out"
	run -0 jq -s -c --arg t "$1-2" 'map(select(.target | contains($t)))[0] | [.ok, .round]' "$BATS_TEST_TMPDIR/out"
	assert_output '[true,0]'
}

@test "SIGTERM finishes the probes in flight, prints them and exits" {
	signal_finishes_in_flight TERM
}

@test "SIGINT finishes the probes in flight, prints them and exits" {
	signal_finishes_in_flight INT
}

@test "--wait polls until every target is ok, then exits 0" {
	run -0 --separate-stderr probe -o ndjson --wait 30s --every 200ms "$HTTP_URL/w1?fail_first=3" "$HTTP_URL/w2"
	assert_records
	assert_record_count 2
	run -0 jq -s -c 'map(select(.target | contains("w1")))[0] | [.ok, .round]' <<<"$output"
	assert_output '[true,3]'
	run -0 requests_for /w1
	assert_record_count 4
	run -0 requests_for /w2
	assert_record_count 1
}

@test "--wait ... -- CMD runs CMD once every target is ok, with its exit status" {
	run -7 --separate-stderr probe -o ndjson --wait 30s --every 200ms "$HTTP_URL/w3?fail_first=1" \
		-- sh -c 'echo "command ran"; exit 7'
	assert_line --index 1 "command ran"
	assert_record 1 '.ok'
	run -127 --separate-stderr probe --wait 5s "$HTTP_URL/w4" -- /nonexistent/cmd
	assert_equal "$stderr" "probe: error: cannot run '/nonexistent/cmd': No such file or directory"
}

@test "--wait exits 1 at the deadline with the last failures, and runs no command" {
	run -1 --separate-stderr probe -o ndjson -v --wait 1s --every 200ms "$HTTP_URL/w5?status=503" \
		"$HTTP_URL/w6" -- sh -c 'echo "command ran"'
	refute_output --partial "command ran"
	assert_records
	assert_record_count 2
	[[ $stderr == *"not ok yet (round 1): status 503, expected 200-399"* ]]
	run -0 jq -s -c 'map(select(.ok | not)) | map([.error.code, .round > 0])' <<<"$output"
	assert_output '[["status",true]]'
}

@test "--wait cuts the attempt's timeout to the deadline" {
	run -1 probe -o ndjson --wait 1s --timeout 30s "$HTTP_URL/w7?delay=10"
	assert_record 1 '.error.code == "timeout" and .duration_ms < 5000'
}

@test "--parallel limits the attempts in flight" {
	run -0 probe -o ndjson --parallel 1 "$HTTP_URL/p1?delay=0.2" "$HTTP_URL/p2?delay=0.2" "$HTTP_URL/p3"
	assert_record_count 3
	# one at a time: a request arrives only after the previous answer (0.2s) was sent
	run -0 jq -s '[.[] | select(.path | test("^/p[12]$")) | .time
		| ((.[0:19] + "Z") | fromdate) * 1000 + (.[20:23] | tonumber)] | .[1] - .[0] >= 190' "$HTTP_LOG"
	assert_output true
	run -2 --separate-stderr probe --parallel 0 "$HTTP_URL/p4"
	assert_equal "$stderr" "probe: error: invalid --parallel '0': expected a whole number from 1 to 4096"
}

# ---- target specs (-f) ----------------------------------------------------------------

@test "-f reads NDJSON specs; command-line flags are the defaults of every spec" {
	cat >"$BATS_TEST_TMPDIR/specs.ndjson" <<-EOF
	{"name":"api","url":"$HTTP_URL/f1?status=204"}
	{"name":"created","url":"$HTTP_URL/f2?status=201","expect":{"status":"201"},"method":"POST","body":{"x":1},"headers":{"X-Spec":"yes"}}
	{"name":"cmd","exec":"exit 0","timeout":2}
	EOF
	run -0 --separate-stderr probe -o ndjson --expect-status 204 -H 'X-Cli: 1' -f "$BATS_TEST_TMPDIR/specs.ndjson"
	assert_records
	assert_record_count 3
	run -0 jq -s -c 'map([.name, .ok]) | sort' <<<"$output"
	assert_output '[["api",true],["cmd",true],["created",true]]'
	run -0 requests_for /f2
	assert_record 1 '.method == "POST" and .body == "{\"x\":1}" and .headers["x-spec"] == "yes" and .headers["x-cli"] == "1"'
}

@test "-f - reads specs from standard input; a spec header replaces the flag's" {
	run -0 probe -o ndjson -H 'X-Who: cli' -f - <<<"{\"url\":\"$HTTP_URL/f3\",\"headers\":[\"X-Who: spec\"],\"retries\":1,\"expect\":{\"body\":\"^OK\",\"header\":\"Content-Type: text/plain\",\"latency\":\"10s\"},\"warn\":{\"latency\":9}}"
	assert_record 1 '.ok and (.checks | map(.check)) == ["status","header","body","latency"]'
	run -0 requests_for /f3
	assert_record 1 '.headers["x-who"] == "spec"'
}

@test "a bad spec is an error naming its file and line" {
	printf '%s\n' "{\"url\":\"$HTTP_URL/f4\"}" '{"name":"x","exec":"true"}' '{"name":"bad","urll":"http://x/"}' \
		>"$BATS_TEST_TMPDIR/bad.ndjson"
	run -2 --separate-stderr probe -f "$BATS_TEST_TMPDIR/bad.ndjson"
	assert_equal "$stderr" "probe: error: $BATS_TEST_TMPDIR/bad.ndjson:3: unknown field 'urll'"
	[ -z "$output" ]
	run -2 --separate-stderr probe -f - <<<'{"url":"ftp://x/"}'
	assert_equal "$stderr" "probe: error: <stdin>:1: invalid target 'ftp://x/': expected an http://, https://, tcp://, tls:// or dns:// URL (or --exec CMD)"
	run -2 --separate-stderr probe -f - <<<'{"name":"nothing"}'
	assert_equal "$stderr" "probe: error: <stdin>:1: a spec needs 'url' or 'exec'"
	run -2 --separate-stderr probe -f - <<<'{"url":"http://x/","expect":{"latency":"fast"}}'
	assert_equal "$stderr" "probe: error: <stdin>:1: invalid expect.latency 'fast': expected a duration like 500ms, 5s or 1m30s"
	run -2 --separate-stderr probe -f - <<<'{"url":"http://x/","retries":1.5}'
	assert_equal "$stderr" "probe: error: <stdin>:1: field 'retries' must be a whole number from 0 to 100"
	run -2 --separate-stderr probe -f - <<<'{"url":"http://x/"} nope'
	assert_output ""
	[[ $stderr == "probe: error: <stdin>:1: invalid JSON"* ]]
	run -2 --separate-stderr probe -f "$BATS_TEST_TMPDIR/none.ndjson"
	assert_equal "$stderr" "probe: error: cannot open '$BATS_TEST_TMPDIR/none.ndjson': No such file or directory"
}

# ---- usage and I/O errors -------------------------------------------------------------

@test "malformed options and operands exit 2 with probe: error:" {
	local -a bad=(
		"--timeout 3x $HTTP_URL/u"
		"--timeout 0 $HTTP_URL/u"
		"--connect-timeout 1x $HTTP_URL/u"
		"--resolve nonsense $HTTP_URL/u"
		"--every 0 $HTTP_URL/u"
		"--wait soon $HTTP_URL/u"
		"--retries -1 $HTTP_URL/u"
		"--retries many $HTTP_URL/u"
		"--every 1s --count 0 $HTTP_URL/u"
		"--count 3 $HTTP_URL/u"
		"--wait 1s --count 3 --every 1s $HTTP_URL/u"
		"--cert-min-days -3 $HTTP_URL/u"
		"--expect-body ( $HTTP_URL/u"
		"--expect-json .a| $HTTP_URL/u"
		"-H NoColon $HTTP_URL/u"
		"--secret 1BAD=x $HTTP_URL/u"
		"ftp://example.com/"
		"dns://"
		"--bogus-option $HTTP_URL/u"
		"-o xml $HTTP_URL/u"
		""
	)
	for args in "${bad[@]}"; do
		# shellcheck disable=SC2086 # word splitting intended
		run -2 --separate-stderr probe $args
		[[ $stderr == "probe: error: "* ]] || { echo "args: $args: $stderr" >&2; return 1; }
		[ -z "$output" ]
	done
}

@test "-h prints the usage; --version the version" {
	run -0 probe -h
	assert_line --index 0 --partial "usage: probe [options] URL..."
	run -0 probe --version
	assert_output --regexp '^probe \(sretools\) [0-9.]+$'
}

@test "a full disk on standard output exits 2" {
	run -2 --separate-stderr bash -c "probe -o ndjson '$HTTP_URL/full' > /dev/full"
	assert_equal "$stderr" "probe: error: write error on standard output: No space left on device"
}

@test "a closed pipe downstream ends --every quietly" {
	run -0 --separate-stderr bash -c "set -o pipefail; probe -o ndjson --every 100ms '$HTTP_URL/pipe' | head -n 1 >/dev/null; echo \"status=\${PIPESTATUS[0]}\""
	assert_output "status=141"
	[ -z "$stderr" ]
}

@test "closed standard output is tolerated (it is reopened on /dev/null)" {
	run -0 bash -c "probe -o ndjson '$HTTP_URL/closed' >&-"
}

@test "the --wait deadline record of a target never probed masks its password" {
	run -1 --separate-stderr probe -o ndjson --parallel 1 --wait 1s \
		"$HTTP_URL/slow?delay=5" "http://u:pw999wait@127.0.0.1:$HTTP_PORT/never"
	[[ $output != *pw999wait* && $stderr != *pw999wait* ]]
	assert_record 2 '.error.code == "timeout" and (.target | contains("u:***@"))'
}

@test "a message cut to size never ends in part of a secret" {
	# the URL is long enough that the timeout message is cut inside the secret's value
	pad=$(printf 'p%.0s' {1..400})
	url="$HTTP_URL/slow?delay=5&pad=$pad&t={{TOK}}"
	run -1 --separate-stderr probe -vv -o ndjson --timeout 300ms \
		--secret TOK=ZZZZSECRETVALUEABCDEFGHIJKLMNOP "$url"
	[[ $output != *ZZZZ* && $stderr != *ZZZZ* ]]
	assert_record 1 '.error.code == "timeout" and (.error.message | startswith("timeout after 300 ms"))'
}

@test "-o nagios: a usage or input error is an UNKNOWN status line, exit 3" {
	run -3 --separate-stderr probe -o nagios --max-body 2x "$HTTP_URL/n1"
	assert_output "PROBE UNKNOWN - invalid --max-body '2x': expected a size like 65536, 512k or 1M (at most 1G)"
	assert_equal "$stderr" "probe: error: invalid --max-body '2x': expected a size like 65536, 512k or 1M (at most 1G)"
	# -o after the bad option, and the other spellings of -o
	run -3 --separate-stderr probe --max-body 2x --format=nagios "$HTTP_URL/n1"
	assert_output --partial "PROBE UNKNOWN - invalid --max-body"
	run -3 --separate-stderr probe --max-body 2x -onagios "$HTTP_URL/n1"
	assert_output --partial "PROBE UNKNOWN - invalid --max-body"
	# an input error, with a secret in it masked
	run -3 --separate-stderr probe -o nagios --secret T=sekrit99 -f "$BATS_TEST_TMPDIR/sekrit99.ndjson"
	assert_output --regexp '^PROBE UNKNOWN - .*\*\*\*'
	[[ $output != *sekrit99* && $stderr != *sekrit99* ]]
	# other formats keep exit 2 and a quiet stdout
	run -2 --separate-stderr probe -o ndjson --max-body 2x "$HTTP_URL/n1"
	assert_output ""
}

@test "-o nagios: an unknown option or a missing argument is UNKNOWN too, exit 3" {
	run -3 --separate-stderr probe -o nagios --bogus "$HTTP_URL/n1"
	assert_output "PROBE UNKNOWN - unknown option '--bogus'"
	[ "${stderr_lines[0]}" = "probe: error: unknown option '--bogus'" ]
	run -3 --separate-stderr probe --bogus -o nagios "$HTTP_URL/n1"
	assert_output "PROBE UNKNOWN - unknown option '--bogus'"
	run -3 --separate-stderr probe -o nagios "$HTTP_URL/n1" --timeout
	assert_output "PROBE UNKNOWN - option '--timeout' requires an argument"
	run -2 --separate-stderr probe --bogus "$HTTP_URL/n1"
	assert_output ""
}

@test "a URL that does not parse says why, naming the URL as written" {
	run -2 --separate-stderr probe 'http://[::1'
	assert_equal "$stderr" "probe: error: invalid target 'http://[::1': invalid URL 'http://[::1': bad IPv6 address"
	run -2 --separate-stderr probe --secret TOK=sekrit4242 'http://127.0.0.1:99999/?t={{TOK}}'
	assert_equal "$stderr" "probe: error: invalid target 'http://127.0.0.1:99999/?t={{TOK}}': invalid URL 'http://127.0.0.1:99999/?t={{TOK}}': port number was not a decimal number between 0 and 65535"
}
