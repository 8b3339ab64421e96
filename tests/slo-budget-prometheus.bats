#!/usr/bin/env bats
# slo-budget --prometheus against a real Prometheus (Debian's package) loaded with the
# known counters of tests/helpers/prom-data.py, and `slo-budget rules` checked by
# promtool.  The expected numbers are exact: every minute of a family holds exactly the
# events prom-data.py says (see its header), and the instant that counts minute m is
# added to minute m's bucket.  Error paths use the fixture server where a real
# Prometheus cannot misbehave on demand.
bats_require_minimum_version 1.5.0

load helpers/common
load helpers/server
load helpers/prometheus

# The data: minutes 0..1439 of 2026-11-01 (UTC); now = the end of that day.
STEADY_GOOD='steady_requests_total{code="200"}'
STEADY_BAD='steady_requests_total{code="500"}'

setup_file() {
	prometheus_start
	export PROM_FILE_PID=$PROM_PID
}

teardown_file() {
	prometheus_stop_all
	fixture_server_stop_all
}

setup() {
	common_setup
}

# A test's own servers; the file's Prometheus stays up.
teardown() {
	fixture_server_stop_all
	if [[ ${PROM_PID:-} != "$PROM_FILE_PID" ]]; then
		prometheus_stop "$PROM_PID"
	fi
}

# slo ARGS...: slo-budget against the file's Prometheus, as of the data's end.
slo() {
	slo-budget --prometheus "$PROM_URL" --now "$PROM_NOW" -o ndjson "$@"
}

# fixture_routes PREFIX SPEC [PREFIX SPEC...]: one fixture server on which
# PREFIX/api/v1/query_range answers the response SPEC (JSON, see fixture-server.py);
# sets FIXTURE_URL etc.  MATRIX is the spec answering tests/fixtures/slo-budget/
# prometheus/matrix.json: two minutes of 6000 requests, the last two before $PROM_NOW.
fixture_routes() {
	local routes='{}'
	while (($# >= 2)); do
		routes=$(jq -c --arg p "$1/api/v1/query_range" --argjson s "$2" '.[$p] = $s' <<<"$routes")
		shift 2
	done
	printf '%s\n' "$routes" >"$BATS_TEST_TMPDIR/routes.json"
	fixture_server_start --routes "$BATS_TEST_TMPDIR/routes.json"
}

matrix_spec() {
	jq -c '{json: .}' "$(fixture slo-budget/prometheus/matrix.json)"
}

# ---- exact numbers ---------------------------------------------------------------

@test "steady traffic: exact good, bad, total, budget and burn rates over 30d" {
	run -0 --separate-stderr slo --objective 99.9 --window 30d \
		--good-query "$STEADY_GOOD" --total-query steady_requests_total
	assert_records
	assert_record_count 1
	assert_record 1 '.kind == "slo.status" and .data == "ok" and .ok'
	assert_record 1 '.good == 8635680 and .bad == 4320 and .total == 8640000 and .sli == 0.9995'
	assert_record 1 '.budget == {"allowed": 8640, "consumed": 4320, "remaining": 4320,
		"consumed_ratio": 0.5, "remaining_ratio": 0.5, "remaining_time": "21m36s",
		"remaining_ms": 1296000}'
	assert_record 1 '.burn_rates == {"5m": 0.5, "30m": 0.5, "1h": 0.5, "2h": 0.5, "6h": 0.5,
		"1d": 0.5, "3d": 0.5}'
	assert_record 1 '.severity == "none" and (.alerts | map(.firing) == [false, false, false, false])'
	assert_record 1 '.exhaustion == {"burn_rate": 0.5, "at": "2026-12-02T00:00:00.000Z", "in": "30d"}'
	assert_equal "$stderr" ""
}

@test "windows are whole minutes: a 1d window at a minute boundary counts the 1439 minutes before it" {
	run -0 --separate-stderr slo --objective 99.9 --window 1d \
		--good-query "$STEADY_GOOD" --total-query steady_requests_total
	assert_record 1 '.good == 1439 * 5997 and .bad == 1439 * 3 and .total == 1439 * 6000'
	# a calendar month starts with its own first minute: all 1440 of them
	run -0 --separate-stderr slo --objective 99.9 --calendar month \
		--good-query "$STEADY_GOOD" --total-query steady_requests_total
	assert_record 1 '.total == 8640000 and .window.start == "2026-11-01T00:00:00.000Z"'
}

@test "--bad-query gives the same status as the good query" {
	run -0 --separate-stderr slo --objective 99.9 --good-query "$STEADY_GOOD" \
		--total-query steady_requests_total
	local want=$output
	run -0 --separate-stderr slo --objective 99.9 --bad-query "$STEADY_BAD" \
		--total-query steady_requests_total
	assert_equal "$output" "$want"
}

@test "{{.window}} templates give the same status as counter selectors" {
	run -0 --separate-stderr slo --objective 99.9 --good-query "$STEADY_GOOD" \
		--total-query steady_requests_total
	local want=$output
	run -0 --separate-stderr slo --objective 99.9 \
		--good-query "sum(increase($STEADY_GOOD[{{.window}}]))" \
		--total-query 'sum(increase(steady_requests_total[{{ .window }}]))'
	assert_equal "$output" "$want"
}

@test "a bad counter that does not exist counts as no errors" {
	run -0 --separate-stderr slo --objective 99.9 --bad-query 'no_such_errors_total' \
		--total-query steady_requests_total
	assert_record 1 '.good == 8640000 and .bad == 0 and .total == 8640000 and .sli == 1'
}

@test "no series at all: insufficient data, never NaN, exit 0" {
	run -0 --separate-stderr slo --objective 99.9 --good-query no_such_total \
		--total-query no_such_total --fail-on page --fail-on exhausted
	assert_records
	assert_record 1 '.data == "insufficient" and .total == 0 and .sli == null and .ok'
	assert_record 1 '.budget.consumed_ratio == 0 and .budget.remaining_ratio == 1'
}

@test "counter resets: totals neither go negative nor jump" {
	# both counters restart from 0 inside minute 720 and between minutes 1080 and 1081
	run -0 --separate-stderr slo --objective 98 --good-query 'reset_requests_total{code="200"}' \
		--total-query reset_requests_total
	assert_record 1 '.good == 427680 and .bad == 4320 and .total == 432000'
	assert_record 1 '.budget.consumed_ratio == 0.5 and (.burn_rates | map(.) | unique == [0.5])'
	# just after the first reset: every 5m and 1h window is exact
	run -0 --separate-stderr slo-budget --prometheus "$PROM_URL" -o ndjson --objective 98 \
		--now 2026-11-01T12:03:00Z --good-query 'reset_requests_total{code="200"}' \
		--total-query reset_requests_total
	assert_record 1 '.total == 723 * 300 and .bad == 723 * 3'
	assert_record 1 '.burn_rates | map(.) | unique == [0.5]'
	run -0 --separate-stderr slo-budget --prometheus "$PROM_URL" -o ndjson --objective 98 \
		--now 2026-11-01T18:02:00Z --bad-query 'reset_requests_total{code="500"}' \
		--total-query reset_requests_total
	assert_record 1 '.total == 1082 * 300 and .bad == 1082 * 3'
}

@test "a scrape gap adds nothing and is no error" {
	# no samples in minutes 360..419: 1380 minutes of data
	run -0 --separate-stderr slo --objective 99.9 --good-query 'gap_requests_total{code="200"}' \
		--total-query gap_requests_total
	assert_record 1 '.good == 1380 * 2997 and .bad == 1380 * 3 and .total == 4140000'
	assert_record 1 '.data == "ok" and .burn_rates["1d"] == 1'
	# inside the gap: the short windows are empty (burn 0), the 1h window holds the 29
	# minutes 331..359
	run -0 --separate-stderr slo-budget --prometheus "$PROM_URL" -o ndjson --objective 99.9 \
		--now 2026-11-01T06:30:00Z --good-query 'gap_requests_total{code="200"}' \
		--total-query gap_requests_total
	assert_record 1 '.total == 360 * 3000 and .bad == 360 * 3'
	assert_record 1 '.burn_rates["5m"] == 0 and .burn_rates["30m"] == 0 and .burn_rates["1h"] == 1'
	assert_equal "$stderr" ""
}

@test "an error spike in the last hour pages, and --fail-on page exits 1" {
	run -1 --separate-stderr slo --objective 99.9 --bad-query 'spike_requests_total{code="500"}' \
		--total-query spike_requests_total --fail-on page
	assert_record 1 '.burn_rates["5m"] == 15 and .burn_rates["30m"] == 15 and .burn_rates["1h"] == 15'
	assert_record 1 '.burn_rates["6h"] < 6 and .burn_rates["1d"] < 3'
	assert_record 1 '.severity == "page" and (.alerts | map(.firing) == [true, false, false, false])'
	assert_record 1 '.ok == false and .bad == 5400 and .total == 8640000'
	run -0 --separate-stderr slo --objective 99.9 --bad-query 'spike_requests_total{code="500"}' \
		--total-query spike_requests_total --fail-on exhausted
}

@test "timeslices: one slice per minute, bad where the minute missed the slice objective" {
	run -0 --separate-stderr slo --objective 95 --method timeslices --timeslice 1m \
		--slice-objective 99.9 --bad-query 'spike_requests_total{code="500"}' \
		--total-query spike_requests_total
	assert_record 1 '.total == 1440 and .bad == 60 and .good == 1380'
}

# ---- errors from Prometheus ----------------------------------------------------------

@test "invalid PromQL: Prometheus' own message, code prometheus, exit 2" {
	run -2 --separate-stderr slo --objective 99.9 --good-query 'sum(increase(x[{{.window}}])' \
		--total-query steady_requests_total
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" "^slo-budget: error: prometheus at '$PROM_URL': good query 'sum\(increase\(x\[1m\]\)' failed: bad_data: .*parse error: unclosed left parenthesis"
	# a query without {{.window}} is taken as a counter selector
	run -2 --separate-stderr slo --objective 99.9 --good-query 'rate(x[5m])' \
		--total-query steady_requests_total
	assert_regex "$stderr" "good query 'sum\(increase\(rate\(x\[5m\]\)\[1m\]\)\)' failed: bad_data: .*ranges only allowed for vector selectors"
}

@test "a query returning several series must be aggregated" {
	run -2 --separate-stderr slo --objective 99.9 --good-query "$STEADY_GOOD" \
		--total-query 'increase(steady_requests_total[{{.window}}])'
	assert_output ""
	assert_regex "$stderr" "total query 'increase\(steady_requests_total\[1m\]\)' returns 2 series; aggregate it with sum\(\)$"
}

@test "an unreachable server: exit 2 and a clear message" {
	local port
	port=$(free_port)
	run -2 --separate-stderr slo-budget --prometheus "http://127.0.0.1:$port" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW"
	assert_output ""
	assert_equal "$stderr" "slo-budget: error: cannot query prometheus at 'http://127.0.0.1:$port': connect to 127.0.0.1 port $port failed: Connection refused"
}

@test "an invalid URL is a usage error" {
	run -2 --separate-stderr slo-budget --prometheus "ftp://127.0.0.1/" --objective 99.9 \
		--good-query g --total-query t
	assert_regex "$stderr" "invalid URL 'ftp://127.0.0.1': expected http:// or https://"
	run -2 --separate-stderr slo-budget --prometheus "http://127.0.0.1:9/?x=1" --objective 99.9 \
		--good-query g --total-query t
	assert_regex "$stderr" "invalid prometheus URL 'http://127.0.0.1:9/\?x=1': expected"
}

@test "HTTP errors, non-JSON bodies and timeouts from a misbehaving server" {
	fixture_routes /e502 '{"status": 502, "body": "bad gateway\nsecond line"}' \
		/html '{"body": "<html>not json</html>"}' \
		/vector '{"json": {"status": "success", "data": {"resultType": "vector", "result": []}}}' \
		/slow '{"delay": 1}'
	run -2 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/e502" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW"
	assert_equal "$stderr" "slo-budget: error: prometheus at '$FIXTURE_URL/e502': good query 'sum(increase(g[1m]))' failed: status 502: bad gateway"
	run -2 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/html" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW"
	assert_regex "$stderr" "good query 'sum\(increase\(g\[1m\]\)\)' returns a response that is not JSON: "
	run -2 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/vector" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW"
	assert_regex "$stderr" "returns a vector, expected a matrix$"
	run -2 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/slow" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW" --timeout 300ms
	assert_regex "$stderr" "cannot query prometheus at '$FIXTURE_URL/slow': timeout after 300 ms"
}

@test "long spans are fetched in chunks of at most 10,000 instants, bucket-aligned" {
	fixture_routes /prom "$(matrix_spec)"
	run -0 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/prom/" -o ndjson \
		--objective 99.9 --window 30d --good-query g --total-query t \
		--now 2026-11-02T00:00:30.5Z
	# 30d of 1m instants: 43,200, in 5 chunks per query, the last at 2026-11-02T00:00:00Z
	fixture_requests | jq -s -e '
		length == 10 and all(.[]; .path == "/prom/api/v1/query_range" and .method == "GET")
		and (map(.args.query[0]) == [range(5) | "sum(increase(g[1m]))", "sum(increase(t[1m]))"])
		and (map(.args.step[0]) | unique == ["60.000"])
		and ([.[] | .args | {start: (.start[0] | tonumber), end: (.end[0] | tonumber)}]
			| . as $c | [range(0; 10; 2) | $c[.]]
			| all(.[]; (.end - .start) / 60 + 1 <= 10000 and .start % 60 == 0)
			and .[0].start == 1793577600 - 43199 * 60 and .[-1].end == 1793577600
			and ([range(1; length) as $i | .[$i].start - .[$i - 1].end] | unique == [60]))'
	# the canned answer's two points are counted once, from the chunk that asked for them
	assert_record 1 '.total == 12000 and .good == 12000'
}

# ---- secrets -----------------------------------------------------------------------

@test "basic auth against Prometheus: from a file, never printed" {
	prometheus_start --web-config "$(fixture slo-budget/prometheus/web.yml)"
	printf '%s:%s\n' "$PROM_AUTH_USER" "$PROM_AUTH_PASSWORD" >"$BATS_TEST_TMPDIR/auth"
	run -0 --separate-stderr slo --objective 99.9 --good-query "$STEADY_GOOD" \
		--total-query steady_requests_total --basic-auth-file "$BATS_TEST_TMPDIR/auth" -v
	assert_record 1 '.good == 8635680 and .total == 8640000'
	refute_output --partial "$PROM_AUTH_PASSWORD"
	[[ $stderr != *"$PROM_AUTH_PASSWORD"* ]]
	# without credentials, and with a wrong password
	run -2 --separate-stderr slo --objective 99.9 --good-query g --total-query t
	assert_equal "$stderr" "slo-budget: error: prometheus at '$PROM_URL': good query 'sum(increase(g[1m]))' failed: status 401: Unauthorized"
	printf 'alice:Wr0ng-passw0rd\n' >"$BATS_TEST_TMPDIR/wrong"
	run -2 --separate-stderr slo --objective 99.9 --good-query g --total-query t \
		--basic-auth-file "$BATS_TEST_TMPDIR/wrong"
	assert_regex "$stderr" "status 401: Unauthorized$"
	[[ $stderr != *Wr0ng* ]]
	# credentials in the URL work, but messages show it without them
	run -2 --separate-stderr slo-budget --prometheus "http://alice:Wr0ng-passw0rd@${PROM_URL#http://}" \
		--now "$PROM_NOW" --objective 99.9 --good-query g --total-query t
	assert_equal "$stderr" "slo-budget: error: prometheus at '$PROM_URL': good query 'sum(increase(g[1m]))' failed: status 401: Unauthorized"
	prometheus_stop
}

@test "a bearer token from a file or the environment goes only into the Authorization header" {
	fixture_routes /prom "$(matrix_spec)"
	printf 'tok-Zq81-SECRET\n' >"$BATS_TEST_TMPDIR/token"
	run -0 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/prom" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW" -o json -v \
		--bearer-token-file "$BATS_TEST_TMPDIR/token"
	refute_output --partial tok-Zq81
	[[ $stderr != *tok-Zq81* ]]
	fixture_requests | jq -s -e 'length > 0 and all(.[]; .headers.authorization == "Bearer tok-Zq81-SECRET")'
	fixture_reset
	SLO_BUDGET_BEARER_TOKEN=tok-Env-SECRET run -0 --separate-stderr slo-budget \
		--prometheus "$FIXTURE_URL/prom" --objective 99.9 --good-query g --total-query t \
		--now "$PROM_NOW"
	[[ $output$stderr != *tok-Env* ]]
	fixture_requests | jq -s -e 'length > 0 and all(.[]; .headers.authorization == "Bearer tok-Env-SECRET")'
}

@test "a server echoing the token back never gets it printed" {
	printf 'tok-Zq81-SECRET\n' >"$BATS_TEST_TMPDIR/token"
	fixture_routes /text '{"status": 401, "body": "invalid token tok-Zq81-SECRET for this server"}' \
		/json '{"status": 403, "json": {"status": "error", "errorType": "auth", "error": "token tok-Zq81-SECRET expired"}}'
	run -2 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/text" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW" --bearer-token-file "$BATS_TEST_TMPDIR/token"
	assert_regex "$stderr" "failed: status 401: invalid token \*\*\* for this server$"
	run -2 --separate-stderr slo-budget --prometheus "$FIXTURE_URL/json" --objective 99.9 \
		--good-query g --total-query t --now "$PROM_NOW" --bearer-token-file "$BATS_TEST_TMPDIR/token"
	assert_regex "$stderr" "failed: auth: token \*\*\* expired$"
}

@test "secret files: missing, empty or with control characters are errors that show no content" {
	run -2 --separate-stderr slo --objective 99.9 --good-query g --total-query t \
		--bearer-token-file "$BATS_TEST_TMPDIR/none"
	assert_regex "$stderr" "cannot read the bearer token file '.*/none': No such file or directory$"
	printf '' >"$BATS_TEST_TMPDIR/empty"
	run -2 --separate-stderr slo --objective 99.9 --good-query g --total-query t \
		--bearer-token-file "$BATS_TEST_TMPDIR/empty"
	assert_regex "$stderr" "the bearer token file '.*/empty' is empty$"
	printf 'tok-A\nX-Evil: SECRET\n' >"$BATS_TEST_TMPDIR/two-lines"
	run -2 --separate-stderr slo --objective 99.9 --good-query g --total-query t \
		--bearer-token-file "$BATS_TEST_TMPDIR/two-lines"
	assert_regex "$stderr" "holds a control character$"
	[[ $stderr != *SECRET* ]]
	printf 'no-colon-SECRET\n' >"$BATS_TEST_TMPDIR/basic"
	run -2 --separate-stderr slo --objective 99.9 --good-query g --total-query t \
		--basic-auth-file "$BATS_TEST_TMPDIR/basic"
	assert_regex "$stderr" "invalid basic auth: expected user:password"
	[[ $stderr != *SECRET* ]]
}

# ---- rules -------------------------------------------------------------------------

@test "rules: promtool check rules accepts them (good and bad queries, templates, odd names)" {
	needs promtool prometheus
	slo-budget rules --name api --objective 99.9 --window 30d \
		--bad-query 'http_requests_total{job="api",code=~"5.."}' \
		--total-query 'http_requests_total{job="api"}' >"$BATS_TEST_TMPDIR/bad.yml"
	run -0 promtool check rules "$BATS_TEST_TMPDIR/bad.yml"
	assert_output --partial "SUCCESS: 18 rules found"
	slo-budget rules --name 'checkout "eu" \ p99' --objective 99.95 --window 28d \
		--good-query 'sum(rate(ok_total[{{.window}}]))' \
		--total-query 'sum(rate(all_total[{{ .window }}]))' >"$BATS_TEST_TMPDIR/good.yml"
	run -0 promtool check rules "$BATS_TEST_TMPDIR/good.yml"
	assert_output --partial "SUCCESS: 18 rules found"
	run -0 slo-budget rules --objective 99 --window 3d --good-query g --total-query t
	assert_equal "$(grep -c -- '- record: "slo:sli_error:ratio_rate' <<<"$output")" 7
}

@test "rules: the four multiwindow alerts with thresholds rescaled for the period" {
	run -0 slo-budget rules --name api --objective 99.9 --window 30d --good-query g --total-query t
	assert_output --partial 'max without (slo_window) (slo:sli_error:ratio_rate1h{slo="api"} >= (14.4 * 0.001)) and max without (slo_window) (slo:sli_error:ratio_rate5m{slo="api"} >= (14.4 * 0.001))'
	assert_output --partial 'ratio_rate6h{slo="api"} >= (6 * 0.001)) and max without (slo_window) (slo:sli_error:ratio_rate30m'
	assert_output --partial 'ratio_rate1d{slo="api"} >= (3 * 0.001)) and max without (slo_window) (slo:sli_error:ratio_rate2h'
	assert_output --partial 'ratio_rate3d{slo="api"} >= (1 * 0.001)) and max without (slo_window) (slo:sli_error:ratio_rate6h'
	assert_output --partial 'record: "slo:sli_error:ratio_rate30d"'
	run -0 slo-budget rules --name api --objective 99.9 --window 28d --good-query g --total-query t
	assert_output --partial '>= (13.44 * 0.001)'
	assert_output --partial '>= (5.6 * 0.001)'
	assert_output --partial '>= (2.8 * 0.001)'
	assert_output --partial '>= (0.9333333333333333 * 0.001)'
	assert_output --partial 'record: "slo:sli_error:ratio_rate28d"'
	assert_output --partial 'vector(0.999)'
	run -2 --separate-stderr slo-budget rules --objective 99.9 --calendar month --tz UTC \
		--good-query g --total-query t
	assert_regex "$stderr" "rules need a rolling window"
}

@test "rules: promtool test rules fires the ticket alerts on a 4x burn, and no page" {
	needs promtool prometheus
	slo-budget rules --name api --objective 99.9 --window 30d \
		--bad-query 'http_requests_total{code="500"}' --total-query http_requests_total \
		>"$BATS_TEST_TMPDIR/rules.yml"
	# 1000 requests a minute, 4 of them errors: error ratio 0.004, burn rate 4
	cat >"$BATS_TEST_TMPDIR/test.yml" <<-'EOF'
	rule_files: [rules.yml]
	evaluation_interval: 1m
	tests:
	  - interval: 1m
	    input_series:
	      - series: 'http_requests_total{code="200"}'
	        values: '0+996x400'
	      - series: 'http_requests_total{code="500"}'
	        values: '0+4x400'
	    promql_expr_test:
	      - expr: slo:sli_error:ratio_rate1h
	        eval_time: 6h
	        exp_samples:
	          - labels: 'slo:sli_error:ratio_rate1h{slo="api", slo_window="1h"}'
	            value: 0.004
	    alert_rule_test:
	      - eval_time: 6h
	        alertname: SLOErrorBudgetBurn
	        exp_alerts:
	          - exp_labels: {severity: ticket, slo: api, long_window: 1d, short_window: 2h}
	            exp_annotations:
	              summary: SLO api burns its error budget at 3 times the sustainable rate or more over 1d and 2h
	              description: At this rate 10% of the 30d error budget is spent in 1d (objective 99.9%)
	          - exp_labels: {severity: ticket, slo: api, long_window: 3d, short_window: 6h}
	            exp_annotations:
	              summary: SLO api burns its error budget at 1 times the sustainable rate or more over 3d and 6h
	              description: At this rate 10% of the 30d error budget is spent in 3d (objective 99.9%)
	EOF
	cd "$BATS_TEST_TMPDIR"
	run -0 promtool test rules test.yml
	assert_output --partial SUCCESS
}
