#!/usr/bin/env bats
# probe against live targets, its real output piped through the real consumers:
# --expect-json over bodies jq 1.6 would wrongly accept, promtool, xmllint,
# --textfile, a real Pushgateway, the JSON Schema, signals and the proxy environment.
# Checks on hand-made records: tests/probe-output.bats; engine and checks: tests/probe.bats.
bats_require_minimum_version 1.5.0

load helpers/common
load helpers/pushgateway
load helpers/server

SCHEMA_DIR="$SRETOOLS_ROOT/share/sretools/schemas"

setup_file() {
	fixture_server_start
	export HTTP_URL=$FIXTURE_URL HTTP_LOG=$FIXTURE_LOG HTTP_PORT=$FIXTURE_PORT
}

setup() {
	common_setup
}

teardown() {
	pushgateway_stop
	fixture_server_stop_all
}

requests_for() {
	jq -c --arg p "$1" 'select(.path == $p)' "$HTTP_LOG"
}

# Starts an HTTPS fixture server next to the file's HTTP one: sets TLS_URL, TLS_PORT.
tls_server_start() {
	fixture_server_start --tls valid
	TLS_URL=$FIXTURE_URL TLS_PORT=$FIXTURE_PORT
}

# probe ARGS... over one live target of each kind (all healthy); needs tls_server_start.
probe_every_kind() {
	probe --cacert "$FIXTURE_CA" "$@" "$HTTP_URL/live-http" "$TLS_URL/live-https" \
		"tcp://127.0.0.1:$HTTP_PORT" "tls://localhost:$TLS_PORT" dns://localhost \
		--exec 'echo live'
}

# ---- --expect-json: the body is parsed strictly, and never by the parent ----------

@test "--expect-json: bodies jq 1.6 accepts but JSON forbids fail the json check" {
	run -1 --separate-stderr probe -o ndjson --expect-json '.a == 1' \
		"$HTTP_URL/j1?body=%7B%22a%22%3A01%7D"
	assert_record 1 '.ok == false and .error.code == "json"'
	assert_record 1 '.error.message | startswith("response body is not JSON: line 1: invalid JSON")'
	assert_record 1 '.checks | map(select(.check == "json"))[0] | .ok == false and .actual == "{\"a\":01}"'
	run -1 --separate-stderr probe -o ndjson --expect-json 'true' "$HTTP_URL/j2?body=nan"
	assert_record 1 '.error.code == "json" and (.error.message | startswith("response body is not JSON: line 1: invalid JSON"))'
	run -1 --separate-stderr probe -o ndjson --expect-json 'true' "$HTTP_URL/j3?body=%7B%7D%20%7B%7D"
	assert_record 1 '.error.message == "response body is not JSON: line 1: invalid JSON: more than one value"'
	run -1 --separate-stderr probe -o ndjson --expect-json 'true' "$HTTP_URL/j4?body="
	assert_record 1 '.error.message == "response body is not JSON: invalid JSON: no value"'
}

@test "--expect-json: a valid body is evaluated, whatever its type" {
	run -0 --separate-stderr probe -o ndjson --expect-json '.a == 1 and .b == [true]' \
		"$HTTP_URL/j5?body=%7B%22a%22%3A1%2C%22b%22%3A%5Btrue%5D%7D"
	assert_record 1 '.ok and (.checks | map(select(.check == "json"))[0].ok)'
	run -0 probe -o ndjson --expect-json '. == 42' "$HTTP_URL/j6?body=%2042%0A"
	run -1 probe -o ndjson --expect-json '.a == 2' "$HTTP_URL/j7?body=%7B%22a%22%3A1%7D"
	assert_record 1 '.error.message | startswith("expect-json '"'"'.a == 2'"'"' is not true: ")'
	assert_record 1 '.checks[1] == {"check":"json","ok":false,"expected":".a == 2","actual":"{\"a\":1}"}'
}

@test "--expect-json: a body that crashes libjq fails the check, not the probe" {
	# todate on 1e17 aborts libjq 1.6
	run -1 --separate-stderr probe -o ndjson --expect-json 'todate' "$HTTP_URL/j9?body=0" \
		"$HTTP_URL/j8?body=1e17"
	assert_records
	assert_record_count 2
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	run -0 jq -s -c 'sort_by(.target) | map([.ok, .error.code])' "$BATS_TEST_TMPDIR/out"
	assert_output '[[false,"json"],[true,null]]'
	run -0 jq -r 'select(.target | contains("j8")) | .error.message' "$BATS_TEST_TMPDIR/out"
	assert_output --partial "jq crashed evaluating expression 'todate'"
}

# ---- the real output, through the real consumers -----------------------------------

@test "live: every kind of target, ndjson records valid against the schema" {
	if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		[[ -z ${CI:-} ]] || fail "python3-jsonschema is not installed"
		skip "python3-jsonschema is not installed"
	fi
	tls_server_start
	run -0 --separate-stderr probe_every_kind -o ndjson
	assert_records
	assert_record_count 6
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/live.ndjson"
	run -0 jq -s -c 'map(.type) | sort' "$BATS_TEST_TMPDIR/live.ndjson"
	assert_output '["dns","exec","http","http","tcp","tls"]'
	run -0 /usr/bin/python3 - "$SCHEMA_DIR" "$BATS_TEST_TMPDIR/live.ndjson" <<-'EOF'
		import json, pathlib, sys, warnings, jsonschema
		warnings.simplefilter("ignore", DeprecationWarning)
		d = pathlib.Path(sys.argv[1]).resolve()
		s = json.loads((d / "probe.result.schema.json").read_text(encoding="utf-8"))
		resolver = jsonschema.RefResolver(base_uri=(d / "probe.result.schema.json").as_uri(), referrer=s)
		v = jsonschema.Draft202012Validator(s, resolver=resolver)
		n = 0
		for line in open(sys.argv[2], encoding="utf-8"):
		    n += 1
		    for e in v.iter_errors(json.loads(line)):
		        print(f"record {n}: {e.message}")
		print(f"{n} valid")
	EOF
	assert_output "6 valid"
}

@test "live: failing targets' records are valid against the schema too" {
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
	run -1 probe -o ndjson --timeout 2s "$HTTP_URL/f1?status=503" tcp://127.0.0.1:1 \
		--exec 'exit 3' --expect-json 'true' "$HTTP_URL/f2?body=nan"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/fail.ndjson"
	run -0 /usr/bin/python3 - "$SCHEMA_DIR" "$BATS_TEST_TMPDIR/fail.ndjson" <<-'EOF'
		import json, pathlib, sys, warnings, jsonschema
		warnings.simplefilter("ignore", DeprecationWarning)
		d = pathlib.Path(sys.argv[1]).resolve()
		s = json.loads((d / "probe.result.schema.json").read_text(encoding="utf-8"))
		resolver = jsonschema.RefResolver(base_uri=(d / "probe.result.schema.json").as_uri(), referrer=s)
		v = jsonschema.Draft202012Validator(s, resolver=resolver)
		recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
		for n, r in enumerate(recs, 1):
		    for e in v.iter_errors(r):
		        print(f"record {n}: {e.message}")
		print(len(recs), "valid", sum(not r["ok"] for r in recs), "failed")
	EOF
	assert_output "4 valid 4 failed"
}

@test "live: -o prometheus passes promtool check metrics" {
	needs promtool prometheus
	tls_server_start
	run -0 --separate-stderr probe_every_kind -o prometheus
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/live.prom"
	assert_equal "$(grep -c '^probe_success' "$BATS_TEST_TMPDIR/live.prom")" 6
	run -0 promtool check metrics <"$BATS_TEST_TMPDIR/live.prom"
	assert_output ""
	# and with failures
	run -1 probe -o prometheus "$HTTP_URL/p1?status=500" tcp://127.0.0.1:1
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/fail.prom"
	run -0 promtool check metrics <"$BATS_TEST_TMPDIR/fail.prom"
	assert_output ""
}

@test "live: -o junit is well-formed XML (xmllint)" {
	needs xmllint libxml2-utils
	tls_server_start
	probe_every_kind -o junit >"$BATS_TEST_TMPDIR/ok.xml"
	run -0 xmllint --noout "$BATS_TEST_TMPDIR/ok.xml"
	assert_equal "$(grep -c '<testcase' "$BATS_TEST_TMPDIR/ok.xml")" 6
	run -1 probe -o junit "$HTTP_URL/x1?status=500" --exec 'echo "<&>" >&2; exit 1'
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/fail.xml"
	run -0 xmllint --noout "$BATS_TEST_TMPDIR/fail.xml"
	assert_equal "$(grep -c '<failure' "$BATS_TEST_TMPDIR/fail.xml")" 2
}

@test "live: --textfile writes an exposition promtool accepts, 0644, no temporary file left" {
	needs promtool prometheus
	local dir="$BATS_TEST_TMPDIR/textfile" f
	mkdir "$dir"
	f="$dir/probe.prom"
	tls_server_start
	# with ndjson on standard output and a strict umask, as a cron job may run it
	(umask 077 && probe_every_kind -o ndjson --textfile "$f") >"$BATS_TEST_TMPDIR/out"
	assert_records "$BATS_TEST_TMPDIR/out"
	assert_record_count 6 "$BATS_TEST_TMPDIR/out"
	assert_equal "$(grep -c '^probe_success' "$f")" 6
	run -0 promtool check metrics <"$f"
	assert_output ""
	assert_equal "$(stat -c %a "$f")" 644
	assert_equal "$(ls -A "$dir")" probe.prom
}

@test "live: --push to a real Pushgateway" {
	pushgateway_start
	tls_server_start
	run -0 --separate-stderr probe_every_kind -o text --push "$PG_URL"
	[ -z "$stderr" ]
	run -0 bash -c "curl -sf --noproxy '*' $PG_URL/metrics | grep '^probe_success' | sort"
	assert_equal "$(wc -l <<<"$output")" 6
	assert_line "probe_success{instance=\"\",job=\"probe\",name=\"tcp://127.0.0.1:$HTTP_PORT\",target=\"tcp://127.0.0.1:$HTTP_PORT\"} 1"
	assert_line 'probe_success{instance="",job="probe",name="dns://localhost",target="dns://localhost"} 1'
}

# ---- signals and the proxy environment -------------------------------------------

@test "http_proxy is honoured for http targets, and no_proxy bypasses it" {
	local closed
	closed=$(free_port)
	run -1 --separate-stderr env -u NO_PROXY -u no_proxy http_proxy="http://127.0.0.1:$closed" \
		probe -o ndjson --timeout 5s "$HTTP_URL/px1"
	assert_record 1 '.ok == false and .error.code == "connect"'
	run -0 requests_for /px1
	assert_output ""
	run -0 --separate-stderr env http_proxy="http://127.0.0.1:$closed" no_proxy=127.0.0.1 \
		probe -o ndjson --timeout 5s "$HTTP_URL/px2"
	assert_record 1 '.ok'
	run -0 --separate-stderr env -u no_proxy http_proxy="http://127.0.0.1:$closed" NO_PROXY=127.0.0.1 \
		probe -o ndjson --timeout 5s "$HTTP_URL/px3"
	assert_record 1 '.ok'
	# tcp:// means that very address: the proxy variables do not apply
	run -0 --separate-stderr env http_proxy="http://127.0.0.1:$closed" \
		all_proxy="http://127.0.0.1:$closed" probe -o ndjson "tcp://127.0.0.1:$HTTP_PORT"
	assert_record 1 '.ok'
}
