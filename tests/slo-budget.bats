#!/usr/bin/env bats
# slo-budget: the command line, events and counts, the issue's hand-computed fixtures
# through the CLI, --fail-on, --follow, the output formats, and every error path.
# The Prometheus source and `slo-budget rules` against promtool: slo-budget-prometheus.bats.
bats_require_minimum_version 1.5.0

load helpers/common

T0=1772323200   # 2026-03-01T00:00:00Z

# gen START STEP N BAD_EVERY: N events from epoch second START, STEP seconds apart;
# event i is bad when BAD_EVERY > 0 and i % BAD_EVERY == 0.
gen() {
	awk -v s="$1" -v d="$2" -v n="$3" -v b="$4" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"time\":%d,\"ok\":%s}\n", s + i * d, (b > 0 && i % b == 0) ? "false" : "true"
	}'
}

# gen_bad START STEP N: N bad events.
gen_bad() {
	awk -v s="$1" -v d="$2" -v n="$3" 'BEGIN {
		for (i = 0; i < n; i++) printf "{\"time\":%d,\"ok\":false}\n", s + i * d
	}'
}

slo() {
	slo-budget "$@"
}

# ---- the basics -----------------------------------------------------------------------

@test "-h prints the usage (the man page's SYNOPSIS) and the options; --version the version" {
	run -0 slo-budget -h
	assert_line --index 0 "usage: slo-budget [check] --objective PERCENT [options] [FILE...]"
	assert_line --partial "slo-budget rules --objective PERCENT --total-query QUERY"
	assert_line --partial "--fail-on exhausted|page|ticket|breach (repeatable)"
	run -0 slo-budget --version
	assert_output --regexp '^slo-budget \(sretools\) [0-9.]+$'
}

@test "a status record of the stream contract, as the design note lays it out" {
	run -0 --separate-stderr slo -o ndjson --objective 99.9 "$(fixture slo-budget/probes.ndjson)"
	assert_records
	assert_record_count 1
	assert_record 1 '.kind == "slo.status" and .time == "2026-03-01T00:00:30.000Z" and .slo == "slo"'
	assert_record 1 'keys_unsorted == ["kind","time","slo","objective","target","method","window",
		"data","good","bad","total","sli","budget","burn_rates","alerts","severity",
		"exhaustion","late","ok","error"]'
	assert_record 1 '.objective == 99.9 and .target == 0.999 and .method == "occurrences"'
	assert_record 1 '.window == {"kind":"rolling","duration":"30d",
		"start":"2026-01-30T00:01:00.000Z","end":"2026-03-01T00:00:30.000Z"}'
	assert_record 1 '.good == 6 and .bad == 2 and .total == 8 and .sli == 0.75 and .data == "ok"'
	assert_record 1 '.burn_rates | keys_unsorted == ["5m","30m","1h","2h","6h","1d","3d"]'
	assert_record 1 '[.alerts[] | [.severity, .long, .short, .threshold]] ==
		[["page","1h","5m",14.4],["page","6h","30m",6],["ticket","1d","2h",3],["ticket","3d","6h",1]]'
	assert_record 1 '.severity == "page" and .ok == false and .error.code == "budget_exhausted"'
	assert_record 1 '.error.message == "error budget exhausted: 25000.0% consumed"'
	[ -z "$stderr" ]
}

@test "check is the default verb and may be named" {
	run -0 slo -o ndjson --objective 99 "$(fixture slo-budget/probes.ndjson)"
	local implicit=$output
	run -0 slo check -o ndjson --objective 99 "$(fixture slo-budget/probes.ndjson)"
	assert_equal "$output" "$implicit"
}

# ---- the issue's hand-computed fixtures ---------------------------------------------------

@test "1,000,000 events with 500 bad consume exactly half of a 30d 99.9% budget" {
	gen "$T0" 2 1000000 2000 >"$BATS_TEST_TMPDIR/1m.ndjson"
	run -0 --separate-stderr slo -o ndjson --objective 99.9 --window 30d "$BATS_TEST_TMPDIR/1m.ndjson"
	assert_record 1 '.good == 999500 and .bad == 500 and .total == 1000000 and .sli == 0.9995'
	assert_record 1 '.budget == {"allowed":1000,"consumed":500,"remaining":500,
		"consumed_ratio":0.5,"remaining_ratio":0.5,"remaining_time":"21m36s",
		"remaining_ms":1296000}'
	assert_record 1 '.time == "2026-03-24T03:33:18.000Z" and .data == "ok" and .ok'
	run -0 slo -o text --objective 99.9 "$BATS_TEST_TMPDIR/1m.ndjson"
	assert_output "slo  99.9%  30d  SLI 99.950%  budget [#####-----] 50.0% left  burn 1h 0×  ok"
}

@test "the objective is the exact decimal the user wrote: never 0.9990000000000001" {
	gen "$T0" 1 1000 0 >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99.9 "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.objective == 99.9 and .target == 0.999 and .budget.allowed == 1'
	run -0 slo -o ndjson --objective 99.95 "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.objective == 99.95 and .target == 0.9995 and .budget.allowed == 0.5'
	run -0 slo -o ndjson --objective 99.999 "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.objective == 99.999 and .target == 0.99999 and .budget.allowed == 0.01'
	[[ $output == *'"objective":99.999,"target":0.99999,'* ]]
}

@test "the Workbook's thresholds: 30d gives 14.4 6 3 1, and burning 14.4x for 1h spends 2% of the budget" {
	# 30 days of per-minute counts, 10000 events each; the last hour 144 of them bad
	awk -v s="$T0" 'BEGIN { for (i = 0; i < 43200; i++)
		printf "{\"time\":%d,\"bad\":%d,\"total\":10000}\n", s + i * 60, (i >= 43140 ? 144 : 0) }' \
		>"$BATS_TEST_TMPDIR/c"
	run -0 slo -o ndjson --objective 99.9 --counts "$BATS_TEST_TMPDIR/c"
	assert_record 1 '[.alerts[].threshold] == [14.4, 6, 3, 1]'
	assert_record 1 '.total == 432000000 and .bad == 8640 and .window.start == "2026-03-01T00:00:00.000Z"'
	assert_record 1 '.burn_rates["1h"] == 14.4 and .burn_rates["5m"] == 14.4'
	assert_record 1 '.budget.consumed_ratio == 0.02 and .budget.remaining_ratio == 0.98'
	assert_record 1 '.alerts[0] == {"severity":"page","long":"1h","short":"5m","threshold":14.4,
		"burn_long":14.4,"burn_short":14.4,"firing":true} and .severity == "page"'
	assert_record 1 '.ok == false and .error == {"code":"burn_rate",
		"message":"page alert firing: burn rate 14.4 over 1h and 14.4 over 5m, threshold 14.4"}'
	run -0 slo -o ndjson --objective 99.9 --window 28d --counts "$BATS_TEST_TMPDIR/c"
	assert_record 1 '[.alerts[].threshold] == [13.44, 5.6, 2.8, 0.9333333333333333]'
	assert_record 1 '.window.duration == "28d"'
}

@test "out-of-order events count as if sorted" {
	{ gen "$T0" 7 3000 13; gen_bad "$((T0 + 5))" 600 30; } >"$BATS_TEST_TMPDIR/sorted"
	sort "$BATS_TEST_TMPDIR/sorted" >"$BATS_TEST_TMPDIR/s"
	tac "$BATS_TEST_TMPDIR/s" >"$BATS_TEST_TMPDIR/reversed"
	shuf --random-source=<(yes) "$BATS_TEST_TMPDIR/s" >"$BATS_TEST_TMPDIR/shuffled"
	run -0 slo -o ndjson --objective 99 "$BATS_TEST_TMPDIR/s"
	local want=$output
	assert_record 1 '.total == 3030 and .bad == 261'
	run -0 slo -o ndjson --objective 99 "$BATS_TEST_TMPDIR/reversed"
	assert_equal "$output" "$want"
	run -0 slo -o ndjson --objective 99 "$BATS_TEST_TMPDIR/shuffled"
	assert_equal "$output" "$want"
}

@test "no data: zero events give total 0, sli null, insufficient data, and no NaN anywhere" {
	run -0 --separate-stderr slo -o ndjson --objective 99.9 --now 2026-03-01T00:00:00Z </dev/null
	assert_records
	assert_record 1 '.data == "insufficient" and .total == 0 and .good == 0 and .bad == 0'
	assert_record 1 '.sli == null and .budget.consumed_ratio == 0 and .budget.remaining_ratio == 1'
	assert_record 1 '.budget.allowed == 0 and .budget.remaining_time == "43m12s"'
	assert_record 1 '[.burn_rates[]] == [0,0,0,0,0,0,0] and .severity == "none" and .ok'
	assert_record 1 '.exhaustion == {"burn_rate":0,"at":null,"in":null}'
	[[ $output != *NaN* && $output != *Infinity* ]]
	run -3 slo -o nagios --objective 99.9 --now 2026-03-01T00:00:00Z </dev/null
	assert_output --partial "SLO-BUDGET UNKNOWN - slo: insufficient data (0 events)"
	run -0 slo -o text --objective 99.9 --now 2026-03-01T00:00:00Z </dev/null
	assert_output "slo  99.9%  30d  SLI -  budget [##########] 100.0% left  burn 1h 0×  0 events  no data"
	run -0 slo -o json --objective 99.9 --now 2026-03-01T00:00:00Z </dev/null
	assert_line '  "sli": null,'
	[[ $output != *NaN* && $output != *Infinity* ]]
	run -0 slo -o prometheus --objective 99.9 --now 2026-03-01T00:00:00Z </dev/null
	assert_line 'slo_budget_remaining_ratio{slo="slo"} 1'
	refute_output --partial slo_budget_sli_ratio
	refute_output --partial slo_budget_exhaustion_seconds
	[[ $output != *NaN* && $output != *Inf* ]]
	if command -v promtool >/dev/null; then
		promtool check metrics <<<"$output"
	fi
	# zero traffic among pre-aggregated counts, with the data counted as enough
	run -0 bash -c 'echo "{\"time\":0,\"good\":0,\"total\":0}" | slo-budget --counts --min-events 0 -o text --objective 99.9'
	assert_output "slo  99.9%  30d  SLI -  budget [##########] 100.0% left  burn 1h 0×  ok"
}

@test "without --now and without events the status is as of the clock" {
	run -0 slo -o ndjson --objective 99.9 </dev/null
	assert_record 1 '.total == 0 and (.time | startswith("20"))'
}

@test "below --min-events the data is insufficient and nothing pages, even when all are bad" {
	gen_bad "$T0" 10 5 >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99.9 --min-events 10 --fail-on page --fail-on exhausted \
		"$BATS_TEST_TMPDIR/e"
	assert_record 1 '.data == "insufficient" and .bad == 5 and .severity == "none" and .ok'
	assert_record 1 '[.alerts[].firing] == [false, false, false, false]'
	run -1 slo -o ndjson --objective 99.9 --min-events 5 --fail-on page "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.data == "ok" and .severity == "page" and (.ok | not)'
	run -0 slo -o ndjson --objective 99.9 --min-events 0 --now 2026-03-01T00:00:00Z </dev/null
	assert_record 1 '.data == "ok" and .total == 0 and .sli == null'
}

@test "a calendar month in Europe/Berlin across the DST change is 743 hours" {
	{
		echo '{"time":"2026-02-28T22:59:59.999Z","ok":false}'   # still February in Berlin
		echo '{"time":"2026-02-28T23:00:00Z","ok":true}'        # March 1st, 00:00 CET
		echo '{"time":"2026-03-31T21:59:59.999Z","ok":true}'    # March 31st, 23:59:59.999 CEST
	} >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99.9 --calendar month --tz Europe/Berlin "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.window == {"kind":"calendar","period":"month","tz":"Europe/Berlin",
		"start":"2026-02-28T23:00:00.000Z","end":"2026-03-31T21:59:59.999Z"}'
	assert_record 1 '.total == 2 and .bad == 0'
	# the whole budget: 0.1% of 743 hours
	assert_record 1 '.budget.remaining_ms == 2674800 and .budget.remaining_time == "44m34s800ms"'
	run -0 slo -o text --objective 99.9 --calendar month --tz Europe/Berlin "$BATS_TEST_TMPDIR/e"
	assert_output --partial "99.9%  month Europe/Berlin  SLI 100.000%"
	# April is 720 hours: 43m12s
	run -0 slo -o ndjson --objective 99.9 --calendar month --tz Europe/Berlin \
		--now 2026-03-31T22:00:00Z "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.window.start == "2026-03-31T22:00:00.000Z" and .total == 0'
	assert_record 1 '.budget.remaining_ms == 2592000'
}

@test "--calendar week starts on Monday and quarter in January, April, July, October; UTC by default" {
	echo '{"time":"2026-03-04T12:00:00Z","ok":true}' >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99 --calendar week "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.window == {"kind":"calendar","period":"week","tz":"UTC",
		"start":"2026-03-02T00:00:00.000Z","end":"2026-03-04T12:00:00.000Z"}'
	assert_record 1 '.budget.remaining_time == "1h40m48s"'
	run -0 slo -o ndjson --objective 99 --calendar quarter --tz America/New_York "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.window.start == "2026-01-01T05:00:00.000Z" and .window.tz == "America/New_York"'
}

@test "late events older than the series keeps are dropped and counted" {
	{
		echo '{"time":"2026-01-01T00:00:00Z","ok":false}'
		echo '{"time":"2026-03-01T00:00:00Z","ok":true}'
		echo '{"time":"2026-01-02T00:00:00Z","ok":false}'
	} >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99.9 --window 7d "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.late == 1 and .total == 1 and .bad == 0'
}

@test "--now: the status as of that instant; later events are ignored; epoch seconds work too" {
	{ gen "$T0" 60 60 0; gen_bad "$((T0 + 3600))" 60 10; } >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99 --now 2026-03-01T00:59:59Z "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.time == "2026-03-01T00:59:59.000Z" and .total == 60 and .bad == 0'
	local want=$output
	run -0 slo -o ndjson --objective 99 --now "$((T0 + 3599))" "$BATS_TEST_TMPDIR/e"
	assert_equal "$output" "$want"
	run -0 slo -o ndjson --objective 99 --now "$((T0 + 3599)).5" "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.time == "2026-03-01T00:59:59.500Z"'
	run -0 slo -o ndjson --objective 99 --now 2026-03-01T02:59:59+02:00 "$BATS_TEST_TMPDIR/e"
	assert_equal "$output" "$want"
}

# ---- alerts and --fail-on ---------------------------------------------------------------

# Two days at 99.9 with 0.05% errors (burn 0.5).
base_days() {
	gen "$T0" 10 17280 2000
}

@test "a burst of errors pages; --fail-on page and ticket hold, and the record says why" {
	{ base_days; gen "$((T0 + 172800))" 1 3600 33; } >"$BATS_TEST_TMPDIR/e"
	run -1 --separate-stderr slo -o ndjson --objective 99.9 --fail-on page "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.severity == "page" and .alerts[0].firing and (.ok | not)'
	assert_record 1 '.burn_rates["1h"] > 14.4 and .burn_rates["5m"] > 14.4'
	assert_record 1 '.error.code == "budget_exhausted" or .error.code == "burn_rate"'
	[ -z "$stderr" ]
	run -1 slo -o ndjson --objective 99.9 --fail-on ticket "$BATS_TEST_TMPDIR/e"
	run -2 slo -o nagios --objective 99.9 "$BATS_TEST_TMPDIR/e"
	assert_output --regexp '^SLO-BUDGET CRITICAL - slo: .*page alert firing'
}

@test "a slow burn opens a ticket but does not page" {
	# 28 good days, then two days at 0.4% errors at 99.9: burn 4, above the tickets'
	# 3 (1d, 2h) and 1 (3d, 6h), below the pages' 6 and 14.4; 27% of the budget spent
	{ gen "$T0" 10 241920 0; gen "$((T0 + 2419200))" 10 17280 250; } >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99.9 --fail-on page --fail-on exhausted "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.severity == "ticket" and .ok and (has("error") | not)'
	assert_record 1 '[.alerts[].firing] == [false, false, true, true]'
	assert_record 1 '.budget.consumed_ratio > 0.25 and .budget.consumed_ratio < 0.3'
	run -1 slo -o ndjson --objective 99.9 --fail-on ticket "$BATS_TEST_TMPDIR/e"
	run -1 slo -o ndjson --objective 99.9 --fail-on page,ticket "$BATS_TEST_TMPDIR/e"
	run -1 slo -o nagios --objective 99.9 "$BATS_TEST_TMPDIR/e"
	assert_output --regexp '^SLO-BUDGET WARNING - slo: [0-9.]+% of the error budget left, ticket alert firing'
	run -0 slo -o text --objective 99.9 "$BATS_TEST_TMPDIR/e"
	assert_output --regexp 'burn 1h [0-9.]+×  exhausted in [0-9dhms]+  TICKET$'
}

@test "--fail-on exhausted holds from exactly 100% consumed; breach only below the target" {
	gen "$T0" 60 1000 1000 >"$BATS_TEST_TMPDIR/e"   # 1 bad in 1000 at 99.9: exactly the budget
	run -1 slo -o ndjson --objective 99.9 --fail-on exhausted "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.budget.consumed_ratio == 1 and .budget.remaining == 0 and .sli == 0.999'
	assert_record 1 '.error == {"code":"budget_exhausted","message":"error budget exhausted: 100.0% consumed"}'
	run -0 slo -o ndjson --objective 99.9 --fail-on breach "$BATS_TEST_TMPDIR/e"
	gen "$T0" 60 1000 500 >"$BATS_TEST_TMPDIR/e2"   # 2 bad in 1000: below the target
	run -1 slo -o ndjson --objective 99.9 --fail-on breach "$BATS_TEST_TMPDIR/e2"
	assert_record 1 '.sli == 0.998 and .budget.consumed_ratio == 2'
	gen "$T0" 60 1000 0 >"$BATS_TEST_TMPDIR/e3"
	for cond in exhausted page ticket breach; do
		run -0 slo -o ndjson --objective 99.9 --fail-on "$cond" "$BATS_TEST_TMPDIR/e3"
	done
	run -1 slo -o ndjson --objective 99.9 --fail-on page --fail-on exhausted "$BATS_TEST_TMPDIR/e"
}

@test "--fail-on with insufficient data never holds" {
	gen_bad "$T0" 10 3 >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99.9 --min-events 100 --fail-on exhausted,page,ticket,breach \
		"$BATS_TEST_TMPDIR/e"
	assert_record 1 '.data == "insufficient"'
}

# ---- input ------------------------------------------------------------------------------------

@test "malformed input stops with FILE:LINE and exit 2, printing no status" {
	local f
	f=$(fixture slo-budget/malformed.ndjson)
	run -2 --separate-stderr slo -o ndjson --objective 99 "$f"
	assert_equal "$stderr" "slo-budget: error: $f:2: invalid JSON: parse error: after key and value, inside map, I expect ',' or '}'"
	assert_output ""
	check_line() {
		printf '%s\n' '{"time":0,"ok":true}' "$1" >"$BATS_TEST_TMPDIR/one"
		run -2 --separate-stderr slo -o ndjson --objective 99 "$BATS_TEST_TMPDIR/one"
		assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/one:2: $2"
	}
	check_line '{"ok":true}' 'missing .time (see --time-field)'
	check_line '{"time":"2026-02-30T00:00:00Z","ok":true}' "invalid .time '2026-02-30T00:00:00Z': expected an RFC 3339 time or epoch seconds"
	check_line '{"time":0}' 'missing .ok (see --good)'
	check_line '{"time":0,"ok":"yes"}' ".ok is 'yes', expected true or false"
	check_line '{"time":0,"ok":NaN}' 'invalid JSON: lexical error: invalid char in json text'
	check_line '[1]' 'record is a number, expected an object'
	run -2 --separate-stderr bash -c 'printf "{\"time\":0,\"ok\":true}\n{\"time\":0,\"ok\":1}\n" | slo-budget --objective 99'
	assert_equal "$stderr" "slo-budget: error: <stdin>:2: .ok is 1, expected true or false"
}

@test "--lenient skips bad records, warns with FILE:LINE, and counts them in the status" {
	local f
	f=$(fixture slo-budget/malformed.ndjson)
	run -0 --separate-stderr slo -o ndjson --objective 99 --lenient "$f"
	assert_record 1 '.good == 1 and .bad == 1 and .skipped == 5'
	assert_equal "$stderr" "slo-budget: warning: $f:2: invalid JSON: parse error: after key and value, inside map, I expect ',' or '}' (skipped)
slo-budget: warning: $f:3: missing .time (see --time-field) (skipped)
slo-budget: warning: $f:4: .ok is 'yes', expected true or false (skipped)
slo-budget: warning: $f:5: invalid .time '2026-02-30T00:00:04Z': expected an RFC 3339 time or epoch seconds (skipped)
slo-budget: warning: $f:6: missing .ok (see --good) (skipped)
slo-budget: warning: skipped 5 bad records"
	run -0 --separate-stderr slo -q -o ndjson --objective 99 --lenient "$f"
	[ -z "$stderr" ]
	# ten warnings at most, then the count
	for i in $(seq 1 25); do echo '{"time":0,"ok":null}'; done >"$BATS_TEST_TMPDIR/many"
	run -0 --separate-stderr slo -o ndjson --objective 99 --lenient --now 0 "$BATS_TEST_TMPDIR/many"
	assert_record 1 '.skipped == 25 and .total == 0'
	[ "$(grep -c '(skipped)$' <<<"$stderr")" -eq 10 ]
	assert_equal "$(tail -n 1 <<<"$stderr")" "slo-budget: warning: skipped 25 bad records"
	# no bad record: "skipped": 0, no warning
	run -0 --separate-stderr slo -o ndjson --objective 99 --lenient "$(fixture slo-budget/probes.ndjson)"
	assert_record 1 '.skipped == 0'
	[ -z "$stderr" ]
}

@test "several files are read in order, each with its own line numbers; - is standard input" {
	gen "$T0" 1 3 0 >"$BATS_TEST_TMPDIR/a"
	printf '{"time":0,"ok":true}\n{"time":0}\n' >"$BATS_TEST_TMPDIR/b"
	run -2 --separate-stderr slo --objective 99 "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/b:2: missing .ok (see --good)"
	run -0 bash -c "gen_out() { printf '{\"time\":$T0,\"ok\":false}\n'; }; gen_out | slo-budget -o ndjson --objective 99 '$BATS_TEST_TMPDIR/a' - '$BATS_TEST_TMPDIR/a'"
	assert_record 1 '.total == 7 and .bad == 1'
	run -2 --separate-stderr slo --objective 99 "$BATS_TEST_TMPDIR/nonexistent"
	assert_equal "$stderr" "slo-budget: error: cannot open '$BATS_TEST_TMPDIR/nonexistent': No such file or directory"
}

@test "times: RFC 3339 with offsets and fractions, epoch seconds; --time-field picks the field" {
	{
		echo '{"t":{"at":"2026-03-01T01:00:00+01:00"},"ok":true}'
		echo '{"t":{"at":1772323200.5},"ok":true}'
		echo '{"t":{"at":"2026-03-01 00:00:01.123456Z"},"ok":false}'
	} >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99 --time-field .t.at "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.time == "2026-03-01T00:00:01.123Z" and .total == 3 and .bad == 1'
	run -0 slo -o ndjson --objective 99 --time-field t.at "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.total == 3'
	run -2 --separate-stderr slo -o ndjson --objective 99 "$BATS_TEST_TMPDIR/e"
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/e:1: missing .time (see --time-field)"
	run -2 --separate-stderr slo -o ndjson --objective 99 --time-field .t "$BATS_TEST_TMPDIR/e"
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/e:1: .t is an object: expected an RFC 3339 time or epoch seconds"
	run -2 --separate-stderr slo --objective 99 --time-field '.t[0]' </dev/null
	assert_equal "$stderr" "slo-budget: error: invalid --time-field '.t[0]': expected a field path like .time"
}

@test "--good takes a path or any jq expression; both read the same" {
	local f
	f=$(fixture slo-budget/probes.ndjson)
	run -0 slo -o ndjson --objective 99 --good '.ok' "$f"
	local by_path=$output
	run -0 slo -o ndjson --objective 99 --good '.ok == true' "$f"
	assert_equal "$output" "$by_path"
	run -0 slo -o ndjson --objective 99 --good '.error.code != "timeout"' "$f"
	assert_record 1 '.bad == 1 and .good == 7'
	run -0 slo -o ndjson --objective 99 --good '(.duration_ms < 1000) and .ok' "$f"
	assert_record 1 '.bad == 2'
	run -2 --separate-stderr slo -o ndjson --objective 99 --good '.duration_ms' "$f"
	assert_equal "$stderr" "slo-budget: error: $f:1: .duration_ms is 120.5, expected true or false"
	run -2 --separate-stderr slo -o ndjson --objective 99 --good '.duration_ms | floor' "$f"
	assert_equal "$stderr" "slo-budget: error: $f:1: --good '.duration_ms | floor' gave 120, expected true or false"
	run -2 --separate-stderr slo -o ndjson --objective 99 --good '.name | error' "$f"
	assert_equal "$stderr" "slo-budget: error: $f:1: error in jq expression '.name | error': api"
	run -2 --separate-stderr slo --objective 99 --good '.ok |' </dev/null
	assert_equal "$stderr" "slo-budget: error: --good: invalid jq expression '.ok |': syntax error, unexpected \$end at <top-level>, line 1"
}

@test "--latency-field and --threshold judge by latency: milliseconds or a duration, at most the threshold" {
	local f
	f=$(fixture slo-budget/probes.ndjson)
	run -0 slo -o ndjson --objective 99 --latency-field .duration_ms --threshold 300ms "$f"
	assert_record 1 '.good == 6 and .bad == 2'
	run -0 slo -o ndjson --objective 99 --latency-field duration_ms --threshold 0.3s --good .ok "$f"
	assert_record 1 '.good == 5 and .bad == 3'
	printf '{"time":0,"lat":"250ms"}\n{"time":0,"lat":"1.5s"}\n' >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99 --latency-field .lat --threshold 1s "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.good == 1 and .bad == 1'
	printf '{"time":0,"lat":"slow"}\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 --separate-stderr slo --objective 99 --latency-field .lat --threshold 1s "$BATS_TEST_TMPDIR/bad"
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/bad:1: .lat is 'slow': expected milliseconds or a duration like 250ms"
	run -2 --separate-stderr slo --objective 99 --latency-field .nope --threshold 1s "$BATS_TEST_TMPDIR/e"
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/e:1: missing .nope (see --latency-field)"
	run -2 --separate-stderr slo --objective 99 --latency-field .lat </dev/null
	assert_equal "$stderr" "slo-budget: error: --latency-field needs --threshold DURATION"
	run -2 --separate-stderr slo --objective 99 --threshold 1s </dev/null
	assert_equal "$stderr" "slo-budget: error: --threshold needs --latency-field PATH"
	run -2 --separate-stderr slo --objective 99 --latency-field '.a | .b' --threshold 1s </dev/null
	assert_equal "$stderr" "slo-budget: error: invalid --latency-field '.a | .b': expected a field path like .duration_ms"
	run -2 --separate-stderr slo --objective 99 --latency-field .a --threshold fast </dev/null
	assert_equal "$stderr" "slo-budget: error: invalid --threshold 'fast': expected a duration like 300ms"
}

@test "--counts reads pre-aggregated good (or bad) and total" {
	local f
	f=$(fixture slo-budget/counts.ndjson)
	run -0 slo -o ndjson --objective 99 --counts "$f"
	assert_record 1 '.good == 2989 and .bad == 10.5 and .total == 2999.5'
	assert_record 1 '.time == "2026-03-01T00:02:00.000Z" and .data == "ok"'
	printf '{"time":0,"good":3,"total":2}\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 --separate-stderr slo --objective 99 --counts "$BATS_TEST_TMPDIR/bad"
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/bad:1: good 3 is more than total 2"
	printf '{"time":0,"good":3}\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 --separate-stderr slo --objective 99 --counts "$BATS_TEST_TMPDIR/bad"
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/bad:1: missing .total"
	run -2 --separate-stderr slo --objective 99 --counts --good .ok "$f"
	assert_equal "$stderr" "slo-budget: error: --counts and --good do not go together"
	run -2 --separate-stderr slo --objective 99 --counts --latency-field .x --threshold 1s "$f"
	assert_equal "$stderr" "slo-budget: error: --counts and --latency-field do not go together"
	printf '{"time":0,"good":1,"total":2,"target":"a"}\n{"time":0,"bad":2,"total":2,"target":"b"}\n' >"$BATS_TEST_TMPDIR/g"
	run -0 slo -o ndjson --objective 99 --counts --group-by .target "$BATS_TEST_TMPDIR/g"
	assert_record 1 '.group == "a" and .good == 1 and .total == 2'
	assert_record 2 '.group == "b" and .good == 0 and .total == 2'
}

@test "--group-by gives one status per group, in key order, by path or jq" {
	local f
	f=$(fixture slo-budget/probes.ndjson)
	run -0 slo -o ndjson --objective 99 --group-by .target "$f"
	assert_record_count 2
	assert_record 1 '.group == "https://api.example.com/healthz" and .bad == 1 and .total == 4'
	assert_record 2 '.group == "https://www.example.com/" and .bad == 1 and .total == 4'
	local by_path=$output
	run -0 slo -o ndjson --objective 99 --group-by '.target | tostring' "$f"
	assert_equal "$output" "$by_path"
	run -0 slo -o ndjson --objective 99 --group-by '.duration_ms > 100' "$f"
	assert_record 1 '.group == "false" and .total == 3'
	assert_record 2 '.group == "true" and .total == 5'
	run -0 slo -o text --objective 99 --group-by .name "$f"
	assert_line --index 0 --regexp '^slo\[api\]  99%  30d  SLI 75.000%'
	assert_line --index 1 --regexp '^slo\[web\]  99%  30d  SLI 75.000%'
	run -2 --separate-stderr slo --objective 99 --group-by .nothing "$f"
	assert_equal "$stderr" "slo-budget: error: $f:1: .nothing is missing (see --group-by)"
	run -2 --separate-stderr slo --objective 99 --group-by '.nothing | values' "$f"
	assert_equal "$stderr" "slo-budget: error: $f:1: --group-by '.nothing | values' gave no output"
	# no events: no groups, no statuses
	run -0 slo -o ndjson --objective 99 --group-by .target </dev/null
	assert_output ""
}

@test "--spec reads several SLOs (JSON array or NDJSON); the command line gives their defaults" {
	local f
	f=$(fixture slo-budget/probes.ndjson)
	run -0 slo -o ndjson --spec "$(fixture slo-budget/slos.json)" --min-events 2 "$f"
	assert_record_count 4
	assert_record 1 '.slo == "availability" and .objective == 99.9 and .bad == 2'
	assert_record 2 '.slo == "latency" and .objective == 99 and .good == 6 and .bad == 2'
	assert_record 3 '.slo == "per-target" and .group == "https://api.example.com/healthz"'
	assert_record 3 '.window.duration == "7d" and .objective == 99.5'
	assert_record 4 '.slo == "per-target" and .group == "https://www.example.com/"'
	run -0 slo -o ndjson --spec "$(fixture slo-budget/slos.ndjson)" "$f"
	assert_record_count 2
	assert_record 2 '.slo == "monthly" and .window.period == "month" and .window.tz == "Europe/Berlin"'
	assert_record 2 '.objective == 99.95'
	run -0 slo -o ndjson --spec "$(fixture slo-budget/slos.json)" --window 14d "$f"
	assert_record 1 '.slo == "availability" and .window.duration == "14d"'
	assert_record 3 '.slo == "per-target" and .window.duration == "7d"'
	run -2 --separate-stderr slo -o ndjson --spec "$(fixture slo-budget/slos.ndjson)" --window 7d "$f"
	assert_equal "$stderr" "slo-budget: error: $(fixture slo-budget/slos.ndjson): SLO 'monthly': --window and --calendar do not go together"
}

@test "--spec errors name the file and the record" {
	local f
	f=$(fixture slo-budget/bad-field.ndjson)
	run -2 --separate-stderr slo --spec "$f" </dev/null
	assert_equal "$stderr" "slo-budget: error: $f:2: unknown field 'windw'"
	printf '{"name":"a","objective":99}\n{"name":"a","objective":99.9}\n' >"$BATS_TEST_TMPDIR/dup"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/dup" </dev/null
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/dup:2: duplicate SLO name 'a': give each SLO its own \"name\""
	printf '{"objective":99}\n{"objective":99.9}\n' >"$BATS_TEST_TMPDIR/unnamed"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/unnamed" </dev/null
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/unnamed:2: duplicate SLO name 'slo': give each SLO its own \"name\""
	printf '{"name":"a","objective":100}\n' >"$BATS_TEST_TMPDIR/range"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/range" </dev/null
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/range:1: invalid objective '100': expected a percentage above 0 and below 100"
	printf '{"name":"a","objective":99,"window":30}\n' >"$BATS_TEST_TMPDIR/type"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/type" </dev/null
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/type:1: field 'window' must be a string, not number"
	printf '{"name":"a"}\n' >"$BATS_TEST_TMPDIR/none"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/none" </dev/null
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/none: SLO 'a': no objective: give --objective PERCENT, like --objective 99.9"
	: >"$BATS_TEST_TMPDIR/empty"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/empty" </dev/null
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/empty: no SLOs in the spec file"
	printf '{"name":"a","objective":99}\n{"name":\n' >"$BATS_TEST_TMPDIR/json"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/json" </dev/null
	assert_equal "$stderr" "slo-budget: error: $BATS_TEST_TMPDIR/json:2: invalid JSON: premature EOF"
	run -2 --separate-stderr slo --spec "$BATS_TEST_TMPDIR/nonexistent" </dev/null
	assert_equal "$stderr" "slo-budget: error: cannot open '$BATS_TEST_TMPDIR/nonexistent': No such file or directory"
}

@test "--method timeslices counts good slices of --timeslice against --slice-objective" {
	# minute 0: 9 of 10 good (90%); minute 1: all good; minute 2: 5 of 10 good
	{
		gen "$T0" 6 10 10
		gen "$((T0 + 60))" 6 10 0
		gen "$((T0 + 120))" 6 10 2
	} >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 50 --method timeslices --slice-objective 90 "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.method == "timeslices" and .timeslice == "1m" and .slice_objective == 90'
	assert_record 1 '.good == 2 and .bad == 1 and .total == 3'
	run -0 slo -o ndjson --objective 50 --slice-objective 95 "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.method == "timeslices" and .good == 1 and .bad == 2'
	run -0 slo -o ndjson --objective 50 --slice-objective 90 --timeslice 3m "$BATS_TEST_TMPDIR/e"
	assert_record 1 '.timeslice == "3m" and .good == 0 and .bad == 1 and .total == 1'
	run -2 --separate-stderr slo --objective 99 --method timeslices </dev/null
	assert_equal "$stderr" "slo-budget: error: --method timeslices needs --slice-objective PERCENT"
	run -2 --separate-stderr slo --objective 99 --method occurrences --timeslice 1m </dev/null
	assert_equal "$stderr" "slo-budget: error: --timeslice needs --method timeslices"
	run -2 --separate-stderr slo --objective 99 --method occurrences --slice-objective 90 </dev/null
	assert_equal "$stderr" "slo-budget: error: --slice-objective needs --method timeslices"
	run -2 --separate-stderr slo --objective 99 --slice-objective 90 --timeslice 7m </dev/null
	assert_equal "$stderr" "slo-budget: error: invalid timeslice '7m': expected at least 1s and a divisor of 1d"
	run -2 --separate-stderr slo --objective 99 --method sometimes </dev/null
	assert_equal "$stderr" "slo-budget: error: invalid --method 'sometimes': expected occurrences or timeslices"
}

@test "--name names the SLO" {
	run -0 slo -o ndjson --objective 99 --name 'api availability' "$(fixture slo-budget/probes.ndjson)"
	assert_record 1 '.slo == "api availability"'
	run -2 --separate-stderr slo --objective 99 --name '' </dev/null
	assert_equal "$stderr" "slo-budget: error: invalid --name '': expected a name"
}

@test "the default name is slo everywhere: records, -o prometheus, -o nagios and rules" {
	run -0 slo -o ndjson --objective 99 "$(fixture slo-budget/probes.ndjson)"
	assert_record 1 '.slo == "slo"'
	run -0 slo -o prometheus --objective 99 "$(fixture slo-budget/probes.ndjson)"
	assert_line 'slo_budget_ok{slo="slo"} 0'
	run -2 slo -o nagios --objective 99 "$(fixture slo-budget/probes.ndjson)"
	assert_output --regexp "^SLO-BUDGET CRITICAL - slo: "
	run -0 slo rules --objective 99 --total-query t_total --good-query g_total
	assert_line --index 0 '# Prometheus rules for SLO "slo": 99% over 30d (slo-budget rules)'
	assert_line --partial '          slo: "slo"'
	refute_output --partial default
	# a spec entry without a name is slo too
	printf '{"objective":99.5}\n' >"$BATS_TEST_TMPDIR/spec"
	run -0 slo -o ndjson --spec "$BATS_TEST_TMPDIR/spec" "$(fixture slo-budget/probes.ndjson)"
	assert_record 1 '.slo == "slo" and .objective == 99.5'
}

# ---- option errors ---------------------------------------------------------------------------

@test "option values are checked, in git's style" {
	check() {
		local want=$1
		shift
		run -2 --separate-stderr slo-budget "$@" </dev/null
		assert_equal "$stderr" "slo-budget: error: $want"
		assert_output ""
	}
	check "invalid --window '3x': expected a duration like 30d" --objective 99.9 --window 3x
	check "invalid --window '0s': expected a duration above 0" --objective 99.9 --window 0s
	check "window '1m30s' is not a whole number of 1m buckets" --objective 99.9 --window 90s
	check "no objective: give --objective PERCENT, like --objective 99.9"
	check "invalid --objective '100': expected a percentage above 0 and below 100" --objective 100
	check "invalid --objective '0': expected a percentage above 0 and below 100" --objective 0
	check "invalid --objective '99.9%': expected a percentage like 99.9 (at most 9 decimals)" --objective 99.9%
	check "invalid --objective '99.1234567891': expected a percentage like 99.9 (at most 9 decimals)" --objective 99.1234567891
	check "invalid --calendar 'year': expected week, month or quarter" --objective 99 --calendar year
	check "invalid --tz 'Europe/Berln': expected a time zone like Europe/Berlin" --objective 99 --calendar month --tz Europe/Berln
	check "--tz needs --calendar" --objective 99 --tz Europe/Berlin
	check "--window and --calendar do not go together" --objective 99 --window 30d --calendar month
	check "invalid --min-events '-1': expected a whole number from 0 to 1000000000000000" --objective 99 --min-events -1
	check "invalid --min-events 'many': expected a whole number from 0 to 1000000000000000" --objective 99 --min-events many
	check "invalid --fail-on 'pag': expected exhausted, page, ticket or breach" --objective 99 --fail-on pag
	check "invalid --fail-on 'page,': expected exhausted, page, ticket or breach" --objective 99 --fail-on page,
	check "invalid --now 'yesterday': expected an RFC 3339 time like 2026-03-01T12:00:00Z or epoch seconds" --objective 99 --now yesterday
	check "invalid --report-every '1x': expected a duration like 1m" --objective 99 --follow --report-every 1x
	check "--report-every needs --follow" --objective 99 --report-every 1m
	check "--follow and --now do not go together" --objective 99 --follow --now 0
	check "invalid --slice-objective '101': expected a percentage above 0 and below 100" --objective 99 --slice-objective 101
	check "invalid --timeslice 'x': expected a duration like 1m" --objective 99 --timeslice x
	check "--good-query needs --prometheus URL" --objective 99 --good-query up
	check "--bearer-token-file needs --prometheus URL" --objective 99 --bearer-token-file /dev/null
	check "invalid --format 'xml': expected one of ndjson, json, text, prometheus, nagios" --objective 99 -o xml
}

@test "an unknown option prints the usage and exits 2" {
	run -2 --separate-stderr slo-budget --objective 99 --bogus
	assert_equal "${stderr_lines[0]}" "slo-budget: error: unknown option '--bogus'"
	assert_equal "${stderr_lines[1]}" "usage: slo-budget [check] --objective PERCENT [options] [FILE...]"
	run -2 --separate-stderr slo-budget --objective
	assert_equal "${stderr_lines[0]}" "slo-budget: error: option '--objective' requires an argument"
}

@test "-o nagios turns trouble into UNKNOWN (exit 3) with the reason on the plugin line" {
	run -3 --separate-stderr slo-budget -o nagios --objective 99 --window 3x
	assert_output "SLO-BUDGET UNKNOWN - invalid --window '3x': expected a duration like 30d"
	assert_equal "$stderr" "slo-budget: error: invalid --window '3x': expected a duration like 30d"
	run -3 --separate-stderr slo-budget --objective 99 -o nagios "$(fixture slo-budget/malformed.ndjson)"
	assert_output --partial "SLO-BUDGET UNKNOWN - "
	assert_output --partial "malformed.ndjson:2: invalid JSON"
}

# ---- formats ---------------------------------------------------------------------------------

@test "-o text: one aligned line per status with a budget bar" {
	local f
	f=$(fixture slo-budget/probes.ndjson)
	run -0 slo -o text --spec "$(fixture slo-budget/slos.json)" "$f"
	assert_line --index 0 "availability                                 99.9%  30d  SLI 75.000%  budget [----------] -24900.0% left  burn 1h 250×  EXHAUSTED PAGE"
	assert_line --index 1 "latency                                      99%    30d  SLI 75.000%  budget [----------] -2400.0% left   burn 1h 25×   EXHAUSTED PAGE"
	assert_line --index 3 "per-target[https://www.example.com/]         99.5%  7d   SLI 75.000%  budget [----------] -4900.0% left   burn 1h 50×   EXHAUSTED PAGE"
	gen "$T0" 1 2000 1000 >"$BATS_TEST_TMPDIR/e"     # 2 bad in 2000 at 99.8: 50% left
	run -0 slo -o text --objective 99.8 "$BATS_TEST_TMPDIR/e"
	assert_output --regexp '^slo  99.8%  30d  SLI 99.900%  budget \[#####-----\] 50.0% left  burn 1h 0.5×  exhausted in [0-9dh]+  ok$'
}

@test "-o text with too little data: the event count in its own cell, no time to exhaustion" {
	printf '{"time":"2026-11-28T10:00:00Z","ok":true}\n{"time":"2026-11-28T10:00:01Z","ok":false}\n' \
		>"$BATS_TEST_TMPDIR/two"
	run -0 --separate-stderr slo --objective 99.9 --min-events 5000 -o text "$BATS_TEST_TMPDIR/two"
	assert_output "slo  99.9%  30d  SLI 50.000%  budget [----------] -49900.0% left  burn 1h 500×  2 events  no data"
	[ -z "$stderr" ]
	# one event: singular, and a big burn rate without an exponent
	printf '{"time":"2026-11-28T10:00:01Z","ok":false}\n' >"$BATS_TEST_TMPDIR/one"
	run -0 slo --objective 99.9 --min-events 5 -o text "$BATS_TEST_TMPDIR/one"
	assert_output "slo  99.9%  30d  SLI 0.000%  budget [----------] -99900.0% left  burn 1h 1000×  1 event  no data"
	run -3 slo --objective 99.9 --min-events 5 -o nagios "$BATS_TEST_TMPDIR/one"
	assert_output --regexp "^SLO-BUDGET UNKNOWN - slo: insufficient data \(1 event\) \|"
	# an aligned table mixing an insufficient group and a sufficient one keeps the cells apart
	{ gen "$T0" 1 2000 1000 | jq -c '.g = "a"'; echo "{\"time\":$T0,\"ok\":false,\"g\":\"b\"}"; } \
		>"$BATS_TEST_TMPDIR/mixed"
	run -0 slo --objective 99.8 --min-events 5 --group-by .g -o text "$BATS_TEST_TMPDIR/mixed"
	assert_line --index 0 --regexp '^slo\[a\]  99.8%  30d  SLI 99.900%  budget \[#####-----\] 50.0% left +burn 1h 0.5×  exhausted in 30d  ok$'
	assert_line --index 1 --regexp '^slo\[b\]  99.8%  30d  SLI 0.000%   budget \[----------\] -49900.0% left  burn 1h 500×  1 event +no data$'
	# nor a time to exhaustion among the gauges
	run -0 slo --objective 99.9 --min-events 5000 -o prometheus "$BATS_TEST_TMPDIR/two"
	refute_output --partial slo_budget_exhaustion_seconds
	assert_output --partial 'slo_budget_data_sufficient{slo="slo"} 0'
}

@test "-o json pretty-prints each record as jq does" {
	run -0 slo -o json --objective 99 "$(fixture slo-budget/probes.ndjson)"
	assert_line --index 0 "{"
	assert_line --index 1 '  "kind": "slo.status",'
	run -0 jq -c -s 'length' <<<"$output"
	assert_output 1
}

@test "-o prometheus: an exposition promtool accepts, labelled slo= and group=" {
	needs promtool prometheus
	run -0 slo -o prometheus --spec "$(fixture slo-budget/slos.json)" "$(fixture slo-budget/probes.ndjson)"
	local expo=$output
	run -0 promtool check metrics <<<"$expo"
	grep -qx 'slo_budget_remaining_ratio{slo="availability"} -249' <<<"$expo"
	grep -qx 'slo_budget_burn_rate{slo="availability",window="1h"} 250' <<<"$expo"
	grep -qx 'slo_budget_alert_firing{slo="latency",severity="page",long="1h",short="5m"} 1' <<<"$expo"
	grep -qx 'slo_budget_alert_threshold{slo="latency",severity="ticket",long="3d",short="6h"} 1' <<<"$expo"
	grep -qx 'slo_budget_sli_ratio{slo="per-target",group="https://www.example.com/"} 0.75' <<<"$expo"
	grep -qx 'slo_budget_events{slo="per-target",group="https://api.example.com/healthz"} 4' <<<"$expo"
	grep -qx 'slo_budget_objective_ratio{slo="availability"} 0.999' <<<"$expo"
	grep -qx '# TYPE slo_budget_remaining_ratio gauge' <<<"$expo"
	# label values with a quote, a backslash and a newline are escaped
	printf '{"time":0,"ok":true,"g":"x\\ny"}\n' >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o prometheus --objective 99 --name 'a"b\c' --group-by .g "$BATS_TEST_TMPDIR/e"
	grep -qxF 'slo_budget_ok{slo="a\"b\\c",group="x\ny"} 1' <<<"$output"
	run -0 promtool check metrics <<<"$output"
}

@test "-o nagios: one line with perfdata; OK 0, WARNING 1, CRITICAL 2, UNKNOWN 3" {
	gen "$T0" 60 1000 0 >"$BATS_TEST_TMPDIR/ok"
	run -0 slo -o nagios --objective 99.9 --name api "$BATS_TEST_TMPDIR/ok"
	assert_output "SLO-BUDGET OK - api: 100.0% of the error budget left, burn rate 1h 0 | 'api_budget_remaining'=100%;;0 'api_sli'=100%;;;0;100 'api_burn_1h'=0;;14.4;0 'api_events'=1000;;;0"
	run -2 slo -o nagios --objective 99 "$(fixture slo-budget/probes.ndjson)"
	assert_output --regexp "^SLO-BUDGET CRITICAL - slo: error budget exhausted \(2500.0% consumed\), page alert firing"
	run -3 slo -o nagios --objective 99 --min-events 100 "$(fixture slo-budget/probes.ndjson)"
	assert_output --regexp "^SLO-BUDGET UNKNOWN - slo: insufficient data \(8 events\) \|"
	# several statuses: the worst decides and comes first; a '|' in a name cannot start perfdata
	printf '{"name":"few","objective":99,"min_events":100}\n{"name":"all","objective":99}\n' >"$BATS_TEST_TMPDIR/spec"
	run -2 slo -o nagios --spec "$BATS_TEST_TMPDIR/spec" "$(fixture slo-budget/probes.ndjson)"
	assert_output --regexp "^SLO-BUDGET CRITICAL - all: error budget exhausted .*; few: insufficient data \(8 events\) \| 'few_budget_remaining'=-2400%;;0 .* 'all_budget_remaining'=-2400%;;0"
	run -3 slo -o nagios --objective 99 --name 'a|b' --now 0 </dev/null
	assert_output --regexp "^SLO-BUDGET UNKNOWN - a/b: insufficient data \(0 events\) \| 'a/b_budget_remaining'"
	# --fail-on does not change the plugin's codes
	run -0 slo -o nagios --objective 99.9 --fail-on exhausted "$BATS_TEST_TMPDIR/ok"
}

@test "prometheus and nagios describe the end state: not with --follow" {
	run -2 --separate-stderr slo -o prometheus --objective 99 --follow </dev/null
	assert_equal "$stderr" "slo-budget: error: -o prometheus describes the state at the end: it does not go with --follow"
	run -3 --separate-stderr slo -o nagios --objective 99 --follow </dev/null
	assert_output "SLO-BUDGET UNKNOWN - -o nagios describes the state at the end: it does not go with --follow"
}

# ---- --follow ------------------------------------------------------------------------------

@test "--follow: a status at each --report-every of event time, and a final one at the end" {
	gen "$T0" 10 360 0 >"$BATS_TEST_TMPDIR/e"     # 00:00:00 .. 00:59:50
	run -0 --separate-stderr slo -o ndjson --objective 99 --follow --report-every 15m "$BATS_TEST_TMPDIR/e"
	assert_records
	assert_record_count 4
	run -0 jq -r '.time' <<<"$output"
	assert_output "2026-03-01T00:15:00.000Z
2026-03-01T00:30:00.000Z
2026-03-01T00:45:00.000Z
2026-03-01T00:59:50.000Z"
	# the default is every minute
	run -0 slo -o ndjson --objective 99 --follow "$BATS_TEST_TMPDIR/e"
	assert_record_count 60
}

@test "--follow: a status at once when the alert severity changes between reports" {
	# 2h good, 10 minutes all bad, 50 minutes good, at 99%: ticket, page, ticket again
	{ gen "$T0" 10 720 0; gen_bad "$((T0 + 7200))" 10 60; gen "$((T0 + 7800))" 10 300 0; } >"$BATS_TEST_TMPDIR/e"
	run -0 --separate-stderr slo -o ndjson --objective 99 --follow --report-every 1h "$BATS_TEST_TMPDIR/e"
	run -0 jq -r '"\(.time) \(.severity)"' <<<"$output"
	assert_output "2026-03-01T01:00:00.000Z none
2026-03-01T02:00:00.000Z none
2026-03-01T02:02:00.000Z ticket
2026-03-01T02:08:00.000Z page
2026-03-01T02:38:00.000Z ticket
2026-03-01T02:59:50.000Z ticket"
	# the severity records are the same as a batch status at their instant
	run -0 slo -o ndjson --objective 99 --follow --report-every 1h "$BATS_TEST_TMPDIR/e"
	local page
	page=$(sed -n 4p <<<"$output")
	run -0 slo -o ndjson --objective 99 --now 2026-03-01T02:08:00Z "$BATS_TEST_TMPDIR/e"
	assert_equal "$output" "$page"
}

@test "--follow: --fail-on judges the final status" {
	{ gen "$T0" 10 720 0; gen_bad "$((T0 + 7200))" 10 60; gen "$((T0 + 7800))" 10 300 0; } >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o ndjson --objective 99 --follow --report-every 1h --fail-on page "$BATS_TEST_TMPDIR/e"
	run -1 slo -o ndjson --objective 99 --follow --report-every 1h --fail-on ticket "$BATS_TEST_TMPDIR/e"
}

@test "--follow: each status is written at once, while the input is still open" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	slo-budget -o ndjson --objective 99 --follow --report-every 1m <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/out" &
	local pid=$! line=""
	exec 5>"$BATS_TEST_TMPDIR/in"
	gen "$T0" 30 3 0 >&5      # 00:00:00, 00:00:30, 00:01:00: one report
	for _ in $(seq 1 100); do
		line=$(head -n 1 "$BATS_TEST_TMPDIR/out")
		[[ -n $line ]] && break
		sleep 0.1
	done
	assert_equal "$(jq -r .time <<<"$line")" "2026-03-01T00:01:00.000Z"
	exec 5>&-
	wait "$pid"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 2
}

@test "--follow -o text: each status on its own line after its time" {
	gen "$T0" 30 5 0 >"$BATS_TEST_TMPDIR/e"
	run -0 slo -o text --objective 99 --follow "$BATS_TEST_TMPDIR/e"
	assert_line --index 0 "2026-03-01T00:01:00.000Z  slo  99%  30d  SLI 100.000%  budget [##########] 100.0% left  burn 1h 0×  ok"
	assert_line --index 2 --regexp "^2026-03-01T00:02:00.000Z  slo  99%"
}

@test "--follow with --group-by reports every group; memory stays with the groups" {
	local f
	f=$(fixture slo-budget/probes.ndjson)
	run -0 slo -o ndjson --objective 99 --follow --group-by .name "$f"
	assert_record_count 2
	assert_record 1 '.group == "api" and .time == "2026-03-01T00:00:30.000Z"'
}

# ---- standard output -------------------------------------------------------------------------

@test "a full disk on standard output exits 2" {
	run -2 --separate-stderr bash -c "slo-budget -o ndjson --objective 99 '$(fixture slo-budget/probes.ndjson)' >/dev/full"
	assert_equal "$stderr" "slo-budget: error: write error on standard output: No space left on device"
	run -2 --separate-stderr bash -c "slo-budget -o text --objective 99 '$(fixture slo-budget/probes.ndjson)' >/dev/full"
	assert_equal "$stderr" "slo-budget: error: write error on standard output: No space left on device"
}

@test "closed standard output is tolerated (it is reopened on /dev/null)" {
	run -0 bash -c "slo-budget -o ndjson --objective 99 '$(fixture slo-budget/probes.ndjson)' >&-"
}

@test "a closed pipe downstream ends --follow quietly" {
	gen "$T0" 1 200000 0 >"$BATS_TEST_TMPDIR/e"
	run -0 --separate-stderr bash -c "set -o pipefail; slo-budget -o ndjson --objective 99 --follow --report-every 1s '$BATS_TEST_TMPDIR/e' | head -n 1 >/dev/null; echo \"status=\${PIPESTATUS[0]}\""
	assert_output "status=141"
	[ -z "$stderr" ]
}

# ---- Prometheus and rules: the command line (the sources: slo-budget-prometheus.bats) ------

@test "--prometheus: what goes with it and what does not" {
	check() {
		local want=$1
		shift
		run -2 --separate-stderr slo-budget --objective 99 "$@" </dev/null
		assert_equal "$stderr" "slo-budget: error: $want"
	}
	local p=(--prometheus http://127.0.0.1:9)
	check "--prometheus needs --total-query QUERY" "${p[@]}" --good-query up
	check "--prometheus needs --good-query QUERY or --bad-query QUERY" "${p[@]}" --total-query up
	check "--good-query and --bad-query do not go together" "${p[@]}" --total-query a --good-query b --bad-query c
	check "--prometheus and --follow do not go together" "${p[@]}" --follow
	check "--prometheus and --counts do not go together" "${p[@]}" --counts
	check "--prometheus and --group-by do not go together" "${p[@]}" --group-by .x
	check "--prometheus and --lenient do not go together" "${p[@]}" --lenient
	check "--prometheus reads no files" "${p[@]}" --total-query a --good-query b somefile
	check "--bearer-token-file and --basic-auth-file do not go together" "${p[@]}" --bearer-token-file a --basic-auth-file b
	check "invalid --timeout 'soon': expected a duration like 30s" "${p[@]}" --timeout soon
}

@test "--prometheus: an unreachable server is trouble (exit 2), named without its password" {
	local port
	port=$(free_port)
	run -2 --separate-stderr slo-budget -o ndjson --objective 99 --prometheus "http://u:hunter2@127.0.0.1:$port" \
		--total-query 'requests_total' --good-query 'requests_ok_total' --timeout 2s --now "$T0"
	assert_output ""
	[[ $stderr == "slo-budget: error: "* && $stderr == *"127.0.0.1:$port"* && $stderr != *hunter2* ]]
	run -2 --separate-stderr slo-budget --objective 99 --prometheus "http://127.0.0.1:$port" \
		--total-query a --good-query b --bearer-token-file "$BATS_TEST_TMPDIR/nonexistent"
	[[ $stderr == "slo-budget: error: "*nonexistent* ]]
}

@test "rules: the options that apply, and YAML that promtool accepts" {
	run -2 --separate-stderr slo-budget rules --objective 99.9 --total-query a --good-query b --follow
	assert_equal "$stderr" "slo-budget: error: --follow does not apply to 'slo-budget rules'"
	run -2 --separate-stderr slo-budget rules --objective 99.9 --total-query a --good-query b -o json
	assert_equal "$stderr" "slo-budget: error: -o does not apply to 'slo-budget rules': it writes YAML"
	run -2 --separate-stderr slo-budget rules --objective 99.9 --good-query b
	assert_equal "$stderr" "slo-budget: error: 'slo-budget rules' needs --total-query QUERY"
	run -2 --separate-stderr slo-budget rules --objective 99.9 --total-query a --good-query b file
	assert_equal "$stderr" "slo-budget: error: 'slo-budget rules' reads no files"
	run -2 --separate-stderr slo-budget rules --spec "$(fixture slo-budget/slos.ndjson)" --total-query a --good-query b
	assert_equal "$stderr" "slo-budget: error: 'slo-budget rules' writes the rules of one SLO; the spec has 2"
	run -0 --separate-stderr slo-budget rules --objective 99.9 --name api \
		--total-query 'http_requests_total{job="api"}' --bad-query 'http_requests_total{job="api",code=~"5.."}'
	assert_output --partial 'slo:sli_error:ratio_rate5m'
	needs promtool prometheus
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/rules.yml"
	run -0 promtool check rules "$BATS_TEST_TMPDIR/rules.yml"
}

@test "-v says how the input was read" {
	run -0 --separate-stderr slo -v -o ndjson --objective 99 "$(fixture slo-budget/probes.ndjson)"
	assert_equal "$stderr" "slo-budget: read with field projection"
	run -0 --separate-stderr slo -v -o ndjson --objective 99 --good '.ok and true' "$(fixture slo-budget/probes.ndjson)"
	assert_equal "$stderr" "slo-budget: read with jq"
}
