#!/usr/bin/env bats
# The fixture HTTP/HTTPS server (tests/helpers/fixture-server.py, server.bash,
# mkcerts.sh), tested with the curl and openssl commands.
bats_require_minimum_version 1.5.0

load helpers/common
load helpers/server

# One plain-HTTP server for the whole file; every test uses its own paths, because the
# fail_first/flap counters are per path.  TLS tests start their own servers.
setup_file() {
	fixture_server_start
	export HTTP_URL=$FIXTURE_URL HTTP_LOG=$FIXTURE_LOG HTTP_PID=$FIXTURE_PID
}

c() {
	curl -sS --max-time 20 "$@"
}

code() {
	c -o /dev/null -w '%{http_code}' "$@"
}

# ---- responses ------------------------------------------------------------------------

@test "a path without a spec answers 200 OK" {
	run -0 c -i "$HTTP_URL/plain"
	assert_line --index 0 --regexp '^HTTP/1.1 200 OK'
	assert_line --regexp '^Content-Length: 3'
	assert_equal "$(c "$HTTP_URL/plain")" "OK"
}

@test "status sets the response status and the default body" {
	run -0 code "$HTTP_URL/status?status=404"
	assert_output 404
	run -0 c "$HTTP_URL/status?status=503"
	assert_output "Service Unavailable"
	run -0 code "$HTTP_URL/status?status=299"
	assert_output 299
	run -0 c -i "$HTTP_URL/status?status=204&body=ignored"
	assert_line --index 0 --regexp '^HTTP/1.1 204'
	refute_output --partial ignored
	run -0 code "$HTTP_URL/status?status=1000"
	assert_output 400
}

@test "delay holds the response: a client with a shorter timeout gives up" {
	run -28 curl -sS --max-time 0.5 "$HTTP_URL/delay?delay=3"
	assert_output --partial "timed out"
	run -0 c "$HTTP_URL/delay?delay=0.2&body=late"
	assert_output late
}

@test "body and size set the body" {
	run -0 c -i "$HTTP_URL/body?body=hello%20world"
	assert_line --regexp '^Content-Length: 11'
	assert_line --regexp '^Content-Type: text/plain; charset=utf-8'
	assert_line "hello world"
	run -0 c "$HTTP_URL/size?size=100000"
	assert_equal "${#output}" 100000
	run -0 c "$HTTP_URL/size?size=7&body=ab"
	assert_output abababa
}

@test "json serialises a value as application/json" {
	run -0 c -G --data-urlencode 'json={"a":[1,2],"b":"x"}' "$HTTP_URL/json" -D "$BATS_TEST_TMPDIR/h"
	assert_equal "$(jq -c . <<<"$output")" '{"a":[1,2],"b":"x"}'
	run -0 grep -i '^Content-Type: application/json' "$BATS_TEST_TMPDIR/h"
}

@test "header adds response headers, repeated when given twice" {
	run -0 c -D - -o /dev/null "$HTTP_URL/hdr?header=X-A:%201&header=X-A:%202&header=Cache-Control:%20no-store"
	assert_line --regexp '^X-A: 1'
	assert_line --regexp '^X-A: 2'
	assert_line --regexp '^Cache-Control: no-store'
	run -0 c -G --data-urlencode 'headers={"X-B":["p","q"],"Content-Type":"text/html"}' \
		-D - -o /dev/null "$HTTP_URL/hdr2"
	assert_line --regexp '^X-B: p'
	assert_line --regexp '^X-B: q'
	assert_line --regexp '^Content-Type: text/html'
	refute_line --regexp '^Content-Type: text/plain'
}

@test "an invalid query value answers 400 with the reason" {
	run -0 code "$HTTP_URL/bad?status=abc"
	assert_output 400
	run -0 c "$HTTP_URL/bad?status=abc"
	assert_output "fixture: invalid value for 'status': 'abc'"
	run -0 c "$HTTP_URL/bad?chunked=maybe"
	assert_output --partial "invalid boolean for 'chunked'"
	run -0 c "$HTTP_URL/bad?header=NoColon"
	assert_output --partial "invalid header 'NoColon'"
}

@test "chunked sends the body in chunks of chunk_size" {
	run -0 c -D - "$HTTP_URL/chunked?chunked&body=hello%20chunks"
	assert_line --regexp '^Transfer-Encoding: chunked'
	refute_line --regexp '^Content-Length'
	assert_line "hello chunks"
	run -0 c --raw "$HTTP_URL/chunked2?chunked&chunk_size=5&body=hello%20chunks"
	assert_equal "$(printf '%s' "$output" | tr -d '\r')" "$(printf '5\nhello\n5\n chun\n2\nks\n0\n')"
}

@test "endless streams until the client goes away, and the server goes on" {
	run -0 bash -c "curl -sN --max-time 20 '$HTTP_URL/endless?endless' | head -c 3000000 | wc -c"
	assert_output 3000000
	run -0 bash -c "curl -sN --max-time 20 '$HTTP_URL/endless?endless&chunk_size=16' | head -c 48"
	assert_output "0123456789abcdef0123456789abcdef0123456789abcdef"
	run -0 c -I "$HTTP_URL/endless?endless"
	assert_line --regexp '^Transfer-Encoding: chunked'
	run -0 c "$HTTP_URL/after-endless"
	assert_output OK
}

@test "endless is close-delimited under HTTP/1.0" {
	run -0 bash -c "curl -s0N --max-time 20 -D - '$HTTP_URL/endless10?endless' | head -c 100000 | tr -d '\r' | sed -n '1,/^\$/p'"
	assert_line --regexp '^HTTP/1.1 200'
	refute_line --regexp '^Transfer-Encoding'
	refute_line --regexp '^Content-Length'
}

@test "slow_body and truncate deliver or cut the body" {
	run -0 c "$HTTP_URL/slow?slow_body=0.05&chunk_size=2&body=abcdef"
	assert_output abcdef
	run -18 c "$HTTP_URL/trunc?truncate&body=0123456789"
	assert_output --partial "01234"
	refute_output --partial "56789"
}

@test "gzip compresses the body" {
	run -0 c --compressed "$HTTP_URL/gz?gzip&body=zipped%20text"
	assert_output "zipped text"
	run -0 c -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b.gz" "$HTTP_URL/gz?gzip&body=zipped%20text"
	run -0 grep -i '^Content-Encoding: gzip' "$BATS_TEST_TMPDIR/h"
	run -0 gzip -dc "$BATS_TEST_TMPDIR/b.gz"
	assert_output "zipped text"
}

@test "redirect sends Location, 302 or the given 3xx, to any scheme" {
	run -0 c -D - -o /dev/null "$HTTP_URL/r?redirect=file:///etc/passwd"
	assert_line --index 0 --regexp '^HTTP/1.1 302'
	assert_line --regexp '^Location: file:///etc/passwd'
	run -0 c -D - -o /dev/null "$HTTP_URL/r?redirect=ftp://127.0.0.1/x&status=301"
	assert_line --index 0 --regexp '^HTTP/1.1 301'
	assert_line --regexp '^Location: ftp://127.0.0.1/x'
	run -0 c -L "$HTTP_URL/r?redirect=/final%3Fbody%3Darrived"
	assert_output arrived
}

@test "flap alternates every N requests, starting ok" {
	local codes=()
	for _ in 1 2 3 4 5 6 7; do
		codes+=("$(code "$HTTP_URL/flap?flap=2")")
	done
	assert_equal "${codes[*]}" "200 200 503 503 200 200 503"
}

@test "fail_first fails the first N requests with fail_status" {
	local codes=()
	for _ in 1 2 3 4; do
		codes+=("$(code "$HTTP_URL/ff?fail_first=2&fail_status=500")")
	done
	assert_equal "${codes[*]}" "500 500 200 200"
	run -0 c "$HTTP_URL/ff2?fail_first=1"
	assert_output "fixture: failing request 1"
}

@test "retry_after on failures and on 429/503, as seconds or an HTTP date" {
	run -0 c -D - -o /dev/null "$HTTP_URL/ra?fail_first=1&retry_after=3"
	assert_line --index 0 --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: 3'
	run -0 c -D - -o /dev/null "$HTTP_URL/ra?fail_first=1&retry_after=3"
	assert_line --index 0 --regexp '^HTTP/1.1 200'
	refute_line --regexp '^Retry-After'
	run -0 c -D - -o /dev/null "$HTTP_URL/ra429?status=429&retry_after=1"
	assert_line --regexp '^Retry-After: 1'
	run -0 c -D - -o /dev/null "$HTTP_URL/radate?status=503&retry_after_date=120"
	local when
	when=$(printf '%s\n' "${lines[@]}" | sed -n 's/^Retry-After: //p' | tr -d '\r')
	[[ $when =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9:]{8}\ GMT$ ]]
	(($(date -u -d "$when" +%s) > $(date -u +%s)))
}

@test "close drops the connection without a response" {
	run -52 c "$HTTP_URL/close?close"
	assert_output --partial "Empty reply from server"
	run -0 code "$HTTP_URL/after-close"
	assert_output 200
}

@test "HEAD gets the headers without a body" {
	run -0 c -I "$HTTP_URL/head?body=12345"
	assert_line --regexp '^Content-Length: 5'
	refute_line 12345
}

@test "keep-alive: one connection serves two requests" {
	run -0 --separate-stderr curl -sv --max-time 20 "$HTTP_URL/ka1" "$HTTP_URL/ka2"
	assert_output "$(printf 'OK\nOK')"
	[[ $stderr == *"Re-using existing connection"* ]]
}

@test "a routes file programs paths and query parameters override it" {
	local routes="$BATS_TEST_TMPDIR/routes.json"
	cat >"$routes" <<-'EOF'
		{"/health": {"json": {"status": "up"}, "headers": {"X-Route": "yes"}},
		 "/flaky": {"flap": 1},
		 "/moved": {"redirect": "/health", "status": 307}}
	EOF
	fixture_server_start --routes "$routes"
	run -0 c -D - "$FIXTURE_URL/health"
	assert_line --regexp '^X-Route: yes'
	assert_line '{"status":"up"}'
	run -0 code "$FIXTURE_URL/health?status=500"
	assert_output 500
	run -0 code "$FIXTURE_URL/flaky"
	assert_output 200
	run -0 code "$FIXTURE_URL/flaky"
	assert_output 503
	run -0 code "$FIXTURE_URL/moved"
	assert_output 307
}

@test "an invalid routes file stops the server with a clear error" {
	local routes="$BATS_TEST_TMPDIR/routes.json"
	echo '{"/x": {"staus": 200}}' >"$routes"
	run -1 fixture_server_start --routes "$routes"
	assert_output --partial "fixture-server: error: route '/x': unknown spec field 'staus'"
	echo '{"x": {}}' >"$routes"
	run -1 fixture_server_start --routes "$routes"
	assert_output --partial "route 'x' must start with '/'"
	run -2 fixture_server_start --tls nosuch
	assert_output --partial "unknown --tls 'nosuch'"
}

@test "POST /_routes adds routes at run time" {
	run -0 c -X POST --data-binary '{"/added": {"status": 418, "body": "teapot"}}' "$HTTP_URL/_routes"
	run -0 code "$HTTP_URL/added"
	assert_output 418
	run -0 c "$HTTP_URL/_routes"
	assert_equal "$(jq -c '.["/added"]' <<<"$output")" '{"status":418,"body":"teapot"}'
	run -0 code -X POST --data-binary '{"/bad": {"delay": "x"}}' "$HTTP_URL/_routes"
	assert_output 400
}

# ---- request log ----------------------------------------------------------------------

@test "the request log records method, path, query, headers and body" {
	run -0 c -H 'X-Token: s3cret-value' -H 'X-Twice: a' -H 'X-Twice: b' \
		--data-binary 'payload=1&x=2' "$HTTP_URL/logme?k=v&k=w"
	local rec
	rec=$(jq -c 'select(.path == "/logme")' "$HTTP_LOG")
	assert_equal "$(jq -r .method <<<"$rec")" POST
	assert_equal "$(jq -r .query <<<"$rec")" "k=v&k=w"
	assert_equal "$(jq -c .args <<<"$rec")" '{"k":["v","w"]}'
	assert_equal "$(jq -r '.headers["x-token"]' <<<"$rec")" s3cret-value
	assert_equal "$(jq -r '.headers["x-twice"]' <<<"$rec")" "a, b"
	assert_equal "$(jq -c '[.header_list[] | select(.[0] == "X-Twice") | .[1]]' <<<"$rec")" '["a","b"]'
	assert_equal "$(jq -r .body <<<"$rec")" "payload=1&x=2"
	assert_equal "$(jq -r .body_bytes <<<"$rec")" 13
	jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$")' <<<"$rec"
	jq -e '.version == "HTTP/1.1" and .count == 1 and (.seq | type) == "number"' <<<"$rec"
	# the same through the control endpoint, which is not itself logged
	run -0 c "$HTTP_URL/_requests"
	assert_equal "$(jq -r 'select(.path == "/logme") | .headers["x-token"]' <<<"$output")" s3cret-value
	run -1 grep -c '"/_requests"' "$HTTP_LOG"
}

@test "the request log records a chunked request body and binary bytes" {
	printf 'a\001\377b' >"$BATS_TEST_TMPDIR/bin"
	run -0 c -H 'Transfer-Encoding: chunked' --data-binary @"$BATS_TEST_TMPDIR/bin" "$HTTP_URL/chunkedpost"
	run -0 jq -r 'select(.path == "/chunkedpost") | .body_base64' "$HTTP_LOG"
	assert_equal "$(base64 -d <<<"$output" | od -An -tx1 | tr -d ' ')" "6101ff62"
}

@test "echo answers with the request record, and helpers read and reset the log" {
	fixture_server_start
	run -0 c -H 'Authorization: Bearer abc' "$FIXTURE_URL/echo?echo"
	assert_equal "$(jq -r .headers.authorization <<<"$output")" "Bearer abc"
	run -0 code "$FIXTURE_URL/counted?fail_first=1"
	assert_output 503
	run -0 fixture_requests
	assert_equal "${#lines[@]}" 2
	run -0 fixture_reset
	run -0 fixture_requests
	assert_output ""
	run -0 code "$FIXTURE_URL/counted?fail_first=1"
	assert_output 503
	run -0 jq -r .seq "$FIXTURE_LOG"
	assert_output 1
}

# ---- TLS ------------------------------------------------------------------------------

@test "mkcerts.sh makes the whole set and leaves an existing set alone" {
	local dir="$BATS_TEST_TMPDIR/certs"
	run -0 "$SRETOOLS_ROOT/tests/helpers/mkcerts.sh" "$dir"
	for f in ca valid expired soon wronghost chain int client-ca client; do
		assert_file_exists "$dir/$f.crt"
		assert_file_exists "$dir/$f.key"
	done
	run -0 stat -c %a "$dir/valid.key"
	assert_output 600
	local before
	before=$(sha256sum "$dir/ca.crt")
	run -0 "$SRETOOLS_ROOT/tests/helpers/mkcerts.sh" "$dir"
	assert_equal "$(sha256sum "$dir/ca.crt")" "$before"
	run -0 openssl verify -CAfile "$dir/ca.crt" "$dir/valid.crt" "$dir/soon.crt" "$dir/wronghost.crt"
	run -0 openssl verify -CAfile "$dir/client-ca.crt" "$dir/client.crt"
	run -2 "$SRETOOLS_ROOT/tests/helpers/mkcerts.sh"
}

@test "TLS with a valid certificate: verified with --cacert, refused without" {
	fixture_server_start --tls valid
	[[ $FIXTURE_URL == "https://localhost:$FIXTURE_PORT" ]]
	run -0 c --cacert "$FIXTURE_CA" "$FIXTURE_URL/tls?body=secure"
	assert_output secure
	run -0 c --cacert "$FIXTURE_CA" "https://127.0.0.1:$FIXTURE_PORT/tls"
	assert_output OK
	run -60 c "$FIXTURE_URL/tls"
	run -0 jq -e 'select(.path == "/tls") | .tls.version | startswith("TLS")' "$FIXTURE_LOG"
}

@test "TLS with an expired certificate fails verification" {
	fixture_server_start --tls expired
	run -60 c --cacert "$FIXTURE_CA" "$FIXTURE_URL/"
	assert_output --partial "expired"
	run -0 c -k "$FIXTURE_URL/"
	assert_output OK
	run -1 bash -c "openssl s_client -connect 127.0.0.1:$FIXTURE_PORT -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -checkend 0"
	assert_output "Certificate will expire"
}

@test "TLS with a certificate for another host fails verification" {
	fixture_server_start --tls wronghost
	run -60 c --cacert "$FIXTURE_CA" "$FIXTURE_URL/"
	assert_output --partial "localhost"
	run -0 bash -c "openssl s_client -connect 127.0.0.1:$FIXTURE_PORT </dev/null 2>/dev/null | openssl x509 -noout -subject"
	assert_output --partial "wrong.example"
}

@test "TLS with a certificate that expires within 5 days" {
	fixture_server_start --tls soon
	run -0 c --cacert "$FIXTURE_CA" "$FIXTURE_URL/"
	openssl s_client -connect "127.0.0.1:$FIXTURE_PORT" -servername localhost </dev/null 2>/dev/null |
		openssl x509 >"$BATS_TEST_TMPDIR/leaf.pem"
	run -0 openssl x509 -in "$BATS_TEST_TMPDIR/leaf.pem" -noout -checkend 86400
	run -1 openssl x509 -in "$BATS_TEST_TMPDIR/leaf.pem" -noout -checkend 432000
}

@test "TLS chain: the server sends leaf and intermediate; the intermediate expires first" {
	fixture_server_start --tls chain
	run -0 c --cacert "$FIXTURE_CA" "$FIXTURE_URL/"
	run -0 bash -c "openssl s_client -showcerts -connect 127.0.0.1:$FIXTURE_PORT -servername localhost </dev/null 2>/dev/null | grep -c 'BEGIN CERTIFICATE'"
	assert_output 2
	run -1 openssl x509 -in "$FIXTURE_CERTS/int.crt" -noout -checkend $((20 * 86400))
	assert_output "Certificate will expire"
	run -0 openssl x509 -in "$FIXTURE_CERTS/chain.crt" -noout -checkend $((60 * 86400))
}

@test "mTLS: the server requires a client certificate from the client CA" {
	fixture_server_start --mtls
	[[ -n $FIXTURE_CLIENT_CERT && -n $FIXTURE_CLIENT_KEY ]]
	run ! c --cacert "$FIXTURE_CA" "$FIXTURE_URL/m"
	run -0 c --cacert "$FIXTURE_CA" --cert "$FIXTURE_CLIENT_CERT" --key "$FIXTURE_CLIENT_KEY" "$FIXTURE_URL/m"
	assert_output OK
	run -0 jq -r 'select(.path == "/m") | .tls.client_subject' "$FIXTURE_LOG"
	assert_output "commonName=sretools test client"
	run -0 fixture_reset
}

# ---- lifecycle ------------------------------------------------------------------------

@test "the port file appears only once the server listens, and SIGTERM exits 0" {
	local dir="$BATS_TEST_TMPDIR/manual"
	mkdir -p "$dir"
	"$(_fixture_python)" "$SRETOOLS_ROOT/tests/helpers/fixture-server.py" \
		--port 0 --port-file "$dir/port" --watch-pid "$BASHPID" --max-lifetime 60 3>&- &
	local pid=$! i
	for ((i = 0; i < 100; i++)); do
		[[ -s $dir/port ]] && break
		sleep 0.1
	done
	run -0 c "http://127.0.0.1:$(<"$dir/port")/"
	assert_output OK
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	run -0 ls "$dir"
	assert_output port
}

@test "fixture_server_stop stops the server by PID and reaps it" {
	fixture_server_start
	local pid=$FIXTURE_PID url=$FIXTURE_URL
	run -0 code "$url/"
	fixture_server_stop
	run ! _fixture_alive "$pid"
	run -7 c "$url/"
	run -0 fixture_server_stop "$pid"
}

@test "a server stops by itself when the shell that started it is gone" {
	(
		fixture_server_start
		echo "$FIXTURE_PID" >"$BATS_TEST_TMPDIR/pid"
	)
	local pid i
	pid=$(<"$BATS_TEST_TMPDIR/pid")
	for ((i = 0; i < 100; i++)); do
		_fixture_alive "$pid" || break
		sleep 0.1
	done
	run ! _fixture_alive "$pid"
}

@test "a server stops by itself after FIXTURE_MAX_LIFETIME" {
	FIXTURE_MAX_LIFETIME=0.5 fixture_server_start
	local i
	for ((i = 0; i < 100; i++)); do
		_fixture_alive "$FIXTURE_PID" || break
		sleep 0.1
	done
	run ! _fixture_alive "$FIXTURE_PID"
}

@test "the file's server is still the same process after the other tests" {
	_fixture_alive "$HTTP_PID"
	run -0 code "$HTTP_URL/still-here"
	assert_output 200
}
