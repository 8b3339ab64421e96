#!/usr/bin/env bats
# slo-budget's documentation against the command: the man page (mandoc lint, the
# SYNOPSIS, every option), the bash, zsh and fish completions (every option, values,
# loading), the slo.status JSON Schema (valid itself, and valid for real output of
# every kind), and the README section.
bats_require_minimum_version 1.5.0
load helpers/common

MAN="$SRETOOLS_ROOT/man/man1/slo-budget.1"
BASH_COMPLETION="$SRETOOLS_ROOT/completions/bash/slo-budget"
ZSH_COMPLETION="$SRETOOLS_ROOT/completions/zsh/_slo-budget"
FISH_COMPLETION="$SRETOOLS_ROOT/completions/fish/slo-budget.fish"
SCHEMA_DIR="$SRETOOLS_ROOT/share/sretools/schemas"

needs_built() {
	command -v slo-budget >/dev/null || skip "slo-budget is not built"
}

needs_jsonschema() {
	if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		[[ -z ${CI:-} ]] || fail "python3-jsonschema is not installed"
		skip "python3-jsonschema is not installed"
	fi
}

# the options of slo-budget --help: every -x and --long-name, one per line
help_options() {
	slo-budget --help | grep -o -- '\(^\|[ ,[]\)--\?[a-zA-Z0-9][a-z0-9-]*' |
		sed 's/^[ ,[]*//' | sort -u
}

# every option word of the bash completion's list, short and long
bash_options_all() {
	# shellcheck disable=SC1090
	source "$BASH_COMPLETION"
	# shellcheck disable=SC2154,SC2086
	printf '%s\n' $_slo_budget_options
}

# complete_bash WORDS...: COMPREPLY for the last word, one per line
complete_bash() {
	# shellcheck disable=SC1090
	source "$BASH_COMPLETION"
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	_slo_budget
	printf '%s\n' "${COMPREPLY[@]}"
}

# events FILE START_EPOCH COUNT STEP_S BAD_EVERY [NAME...]: COUNT probe-like events from
# START_EPOCH (seconds) every STEP_S seconds, every BAD_EVERY-th one failed (0: none),
# the names taking turns
events() {
	/usr/bin/python3 - "$@" <<-'EOF'
		import json, sys, datetime
		path, start, n, step, bad_every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
		names = sys.argv[6:] or ["api"]
		with open(path, "w") as f:
		    for i in range(n):
		        t = datetime.datetime.fromtimestamp(start + i * step, datetime.timezone.utc)
		        ok = not (bad_every and (i + 1) % bad_every == 0)
		        rec = {"kind": "probe.result", "time": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000),
		               "name": names[i % len(names)], "target": "https://api.example/", "ok": ok,
		               "duration_ms": 20 + i % 400}
		        if not ok:
		            rec["error"] = {"code": "status", "message": "status 503"}
		        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
	EOF
}

# validate FILE...: every record of the files against slo.status.schema.json; prints
# "FILE:LINE: message" per error and the number of records checked
validate() {
	/usr/bin/python3 - "$SCHEMA_DIR" "$@" <<-'EOF'
		import json, pathlib, sys, warnings, jsonschema
		warnings.simplefilter("ignore", DeprecationWarning)
		d = pathlib.Path(sys.argv[1]).resolve()
		s = json.loads((d / "slo.status.schema.json").read_text(encoding="utf-8"))
		resolver = jsonschema.RefResolver(base_uri=(d / "slo.status.schema.json").as_uri(), referrer=s)
		v = jsonschema.Draft202012Validator(s, resolver=resolver)
		n = 0
		for path in sys.argv[2:]:
		    for i, line in enumerate(open(path, encoding="utf-8"), 1):
		        n += 1
		        for e in v.iter_errors(json.loads(line)):
		            print(f"{path}:{i}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
		print(f"{n} records")
	EOF
}

# the record of the man page's RECORDS example, on one line
man_example() {
	sed -n '/^\.Sh RECORDS/,/^\.Sh /p' "$MAN" | sed -n '/^\.Bd/,/^\.Ed/{/^\./d;p}' | tr -d '\n'
}

# ---- man page ------------------------------------------------------------------------

@test "man: slo-budget.1 passes mandoc -Tlint and documents every option the completions offer" {
	needs mandoc mandoc
	run -0 mandoc -Tlint -W warning "$MAN"
	assert_output ""
	local opt missing=()
	while IFS= read -r opt; do
		grep -q -- "Fl ${opt#-}\( \|$\)" "$MAN" || missing+=("$opt")
	done < <(bash_options_all)
	assert_equal "${missing[*]}" ""
	[ "$(bash_options_all | grep -c '^--')" -ge 33 ]
}

@test "man: the SYNOPSIS is the usage of slo-budget --help, as mandoc renders it" {
	needs mandoc mandoc
	needs_built
	local synopsis usage
	synopsis=$(mandoc -Tascii "$MAN" | sed 's/.\x08//g' |
		sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p}' | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
	usage=$(slo-budget --help | sed -n '1,/^$/p' | sed 's/^usage://' | tr -s ' \n' ' ' |
		sed 's/^ //; s/ $//')
	[ -n "$usage" ]
	assert_equal "$synopsis" "$usage"
}

@test "man: the thresholds, defaults and names it states are those of the command" {
	needs_built
	events "$BATS_TEST_TMPDIR/e.ndjson" 1795867200 10 60 0
	# 30d: 14.4 6 3 1; 28d: 13.44 5.6 2.8 0.9333...
	run -0 --separate-stderr slo-budget --objective 99.9 -o ndjson "$BATS_TEST_TMPDIR/e.ndjson"
	assert_equal "$(jq -c '[.alerts[].threshold]' <<<"$output")" "[14.4,6,3,1]"
	assert_equal "$(jq -r '.window.duration' <<<"$output")" "30d"
	assert_equal "$(jq -r '.slo' <<<"$output")" "slo"
	assert_equal "$(jq -c '[.objective, .target]' <<<"$output")" "[99.9,0.999]"
	assert_equal "$(jq -c '[.alerts[] | [.severity, .long, .short]]' <<<"$output")" \
		'[["page","1h","5m"],["page","6h","30m"],["ticket","1d","2h"],["ticket","3d","6h"]]'
	run -0 --separate-stderr slo-budget --objective 99.9 --window 28d -o ndjson "$BATS_TEST_TMPDIR/e.ndjson"
	assert_equal "$(jq -c '[.alerts[].threshold | . * 1000 | round / 1000]' <<<"$output")" \
		"[13.44,5.6,2.8,0.933]"
	grep -q '14.4, 6, 3 and 1' "$MAN"
	grep -q '13.44, 5.6, 2.8' "$MAN"
	grep -q '^\.It page Ta 2% Ta 1h Ta 5m Ta 14.4 Ta 13.44$' "$MAN"
	grep -q '^\.It ticket Ta 10% Ta 3d Ta 6h Ta 1 Ta 0.933$' "$MAN"
	grep -q '^\.It Ev SLO_BUDGET_BEARER_TOKEN$' "$MAN"
	# the whole budget of 30 days at 99.9%, as the man page says
	grep -q '43m12s' "$MAN"
	events "$BATS_TEST_TMPDIR/empty.ndjson" 1795867200 1 60 0
	run -0 --separate-stderr slo-budget --objective 99.9 --now 2026-01-01T00:00:00Z -o ndjson \
		"$BATS_TEST_TMPDIR/empty.ndjson"
	assert_equal "$(jq -c '[.total, .sli, .budget.remaining_time]' <<<"$output")" '[0,null,"43m12s"]'
}

@test "man: the RECORDS example and the text line are slo-budget's real output" {
	needs_built
	# 1,000,000 events 2.592 s apart over the 30 days before the report, 1 in 2,000 failed
	/usr/bin/python3 - "$BATS_TEST_TMPDIR/m.ndjson" <<-'EOF'
		import datetime, sys
		start = 1793275200000   # 2026-10-29T12:00:00Z
		with open(sys.argv[1], "w") as f:
		    for i in range(1000000):
		        t = start + i * 2592
		        d = datetime.datetime.fromtimestamp(t // 1000, datetime.timezone.utc)
		        f.write('{"time":"%s.%03dZ","name":"api","ok":%s}\n' % (d.strftime("%Y-%m-%dT%H:%M:%S"),
		                t % 1000, "false" if i % 2000 == 999 else "true"))
	EOF
	run -0 --separate-stderr slo-budget --name api --objective 99.9 --now 2026-11-28T11:59:59.999Z \
		-o ndjson "$BATS_TEST_TMPDIR/m.ndjson"
	assert_equal "$(jq -S -c . <<<"$output")" "$(man_example | jq -S -c .)"
	run -0 --separate-stderr slo-budget --name api --objective 99.9 --now 2026-11-28T11:59:59.999Z \
		-o text "$BATS_TEST_TMPDIR/m.ndjson"
	grep -qF -- "$(sed 's/×/\\(mu/' <<<"$output")" "$MAN"
}

@test "man: the sections every sretools page has, and the examples use real options" {
	local s
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS RECORDS 'OUTPUT FORMATS' ENVIRONMENT \
		'EXIT STATUS' EXAMPLES DIAGNOSTICS 'SEE ALSO'; do
		grep -qx "\.Sh $s" "$MAN" || fail "no section $s"
	done
	needs_built
	local opt missing=() opts
	opts=$(help_options)
	# every --option written in an example block of the man page and of the README,
	# but probe's
	while IFS= read -r opt; do
		grep -qx -- "$opt" <<<"$opts" || missing+=("$opt")
	done < <({
		sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$MAN" | sed -n '/^\.Bd/,/^\.Ed/p'
		sed -n '/^## slo-budget/,/^## /p' "$SRETOOLS_ROOT/README.md"
	} | sed 's/probe [^|]*|//' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
	assert_equal "${missing[*]}" ""
}

# example_block N: the Nth literal block of the man page's EXAMPLES, as shell text
example_block() {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$MAN" |
		awk -v n="$1" '/^\.Bd/ { k++; in_block = 1; next } /^\.Ed/ { in_block = 0 }
			in_block && k == n' |
		sed 's/\\e/\\/g; s/^\\&//'
}

@test "man: the deploy gate example deploys while the budget lasts, and not after" {
	needs_built
	cd "$BATS_TEST_TMPDIR"
	example_block 2 >gate.sh
	grep -q -- '--fail-on exhausted' gate.sh
	printf '#!/bin/sh\necho deployed\n' >deploy && chmod +x deploy
	events probes.ndjson 1795824000 1000 60 0
	run -0 --separate-stderr bash gate.sh
	assert_line --index 1 deployed
	assert_equal "$(jq -r .ok <<<"${lines[0]}")" true
	events probes.ndjson 1795824000 1000 60 10
	run -1 --separate-stderr bash gate.sh
	refute_line deployed
	assert_equal "$(jq -r .error.code <<<"$output")" budget_exhausted
}

@test "man: the rules example writes rules that promtool accepts" {
	needs_built
	needs promtool prometheus
	cd "$BATS_TEST_TMPDIR"
	example_block 6 >rules.sh
	grep -q '^slo-budget rules' rules.sh
	run -0 bash rules.sh
	assert_output --partial "SUCCESS: 18 rules found"
}

@test "every option of slo-budget --help is in the man page and all three completions" {
	needs_built
	local opt missing=() opts
	opts=$(help_options)
	[ "$(wc -l <<<"$opts")" -ge 37 ]
	while IFS= read -r opt; do
		grep -q -- "Fl ${opt#-}\( \|$\)" "$MAN" || missing+=("man:$opt")
		bash_options_all | grep -qx -- "$opt" || missing+=("bash:$opt")
		# a zsh spec: '(excl)--opt=[...]', '*--opt=[', {-o+,--opt=}'[...]'
		grep -q -- "[{'\",*)]${opt}[=+[},]" "$ZSH_COMPLETION" || missing+=("zsh:$opt")
		if [[ $opt == --* ]]; then
			grep -q -- "-l ${opt#--}\( \|$\)" "$FISH_COMPLETION" || missing+=("fish:$opt")
		else
			grep -q -- "-s ${opt#-}\( \|$\)" "$FISH_COMPLETION" || missing+=("fish:$opt")
		fi
	done <<<"$opts"
	assert_equal "${missing[*]}" ""
	# and nothing the command does not know
	while IFS= read -r opt; do
		grep -qx -- "$opt" <<<"$opts" || missing+=("$opt")
	done < <(bash_options_all)
	assert_equal "${missing[*]}" ""
}

# ---- completions ---------------------------------------------------------------------

@test "bash completion: options, values, verbs and files" {
	run -0 complete_bash slo-budget --fail
	assert_output "--fail-on"
	run -0 complete_bash slo-budget --fail-on ""
	assert_output "$(printf '%s\n' exhausted page ticket breach)"
	run -0 complete_bash slo-budget -o ""
	assert_output "$(printf '%s\n' ndjson json text prometheus nagios)"
	run -0 complete_bash slo-budget --format=p
	assert_output "--format=prometheus"
	run -0 complete_bash slo-budget --format = n
	assert_output "$(printf '%s\n' ndjson nagios)"
	run -0 complete_bash slo-budget --calendar ""
	assert_output "$(printf '%s\n' week month quarter)"
	run -0 complete_bash slo-budget --method t
	assert_output "timeslices"
	if [[ -f /usr/share/zoneinfo/Europe/Berlin ]]; then
		run -0 complete_bash slo-budget --tz Europe/Berl
		assert_output "Europe/Berlin"
	fi
	mkdir "$BATS_TEST_TMPDIR/c" && cd "$BATS_TEST_TMPDIR/c"
	touch probes.ndjson rules.yml token
	run -0 complete_bash slo-budget r
	assert_output "$(printf '%s\n' rules.yml rules)"
	run -0 complete_bash slo-budget --objective 99.9 ch
	assert_output "check"
	run -0 complete_bash slo-budget --objective=99.9 --window 30d pr
	assert_output "probes.ndjson"
	run -0 complete_bash slo-budget check r
	assert_output "rules.yml"
	run -0 complete_bash slo-budget --bearer-token-file t
	assert_output "token"
	run -0 complete_bash slo-budget --now ""
	assert_output ""
}

@test "zsh and fish completions load; fish completes options, values and verbs" {
	needs zsh zsh
	run -0 zsh -n "$ZSH_COMPLETION"
	run -0 zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -D; print -r -- ${_comps[slo-budget]}' \
		_ "$SRETOOLS_ROOT/completions/zsh"
	assert_output "_slo-budget"
	needs fish fish
	run -0 fish -n "$FISH_COMPLETION"
	mkdir "$BATS_TEST_TMPDIR/f" && cd "$BATS_TEST_TMPDIR/f"
	run -0 fish -c 'source $argv[1]; complete -C "slo-budget --fail-on "; complete -C "slo-budget --form"; complete -C "slo-budget --objective 99.9 ru"' \
		"$FISH_COMPLETION"
	assert_output - <<-'EOF'
	breach	Exit 1 when this condition holds
	exhausted	Exit 1 when this condition holds
	page	Exit 1 when this condition holds
	ticket	Exit 1 when this condition holds
	--format	Output format
	rules	Print Prometheus recording and alerting rules
	EOF
}

# ---- the record's schema ---------------------------------------------------------------

@test "schema: slo.status.schema.json is draft 2020-12, builds on the envelope, and rejects bad records" {
	needs_jsonschema
	local good="$BATS_TEST_TMPDIR/good.json" bad="$BATS_TEST_TMPDIR/bad.ndjson"
	# the man page's example, on one line
	man_example >"$good"
	jq -e . "$good" >/dev/null
	{
		jq -c '.ok = false' "$good"                              # no error
		jq -c '.severity = "page"' "$good"                       # no page alert firing
		jq -c '.alerts[0].firing = true' "$good"                 # severity none
		jq -c '.total = 0' "$good"                               # sli not null
		jq -c '.data = "insufficient" | .ok = false | .error = {code: "x", message: "y"}' "$good"
		jq -c '.sli = null' "$good"                              # events but no sli
		jq -c '.window = {kind: "calendar", start: .window.start, end: .window.end}' "$good"
		jq -c '.method = "timeslices"' "$good"                   # no timeslice
		jq -c 'del(.alerts[3])' "$good"
		jq -c '.alerts[0].long = "6h"' "$good"
		jq -c '.budget.remaining_time = "-5m"' "$good"
		jq -c '.burn_rates["1h"] = -1' "$good"
		jq -c '.objective = 100' "$good"
		jq -c '.kind = "slo.alert"' "$good"
		jq -c 'del(.exhaustion)' "$good"
		jq -c '.ok = false | .error = {code: "status", message: "m"}' "$good"
	} >"$bad"
	run -0 /usr/bin/python3 - "$SCHEMA_DIR" "$good" "$bad" <<-'EOF'
		import json, pathlib, sys, warnings, jsonschema
		warnings.simplefilter("ignore", DeprecationWarning)
		d = pathlib.Path(sys.argv[1]).resolve()
		s = json.loads((d / "slo.status.schema.json").read_text(encoding="utf-8"))
		assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
		assert {"$ref": "envelope.schema.json"} in s["allOf"], "builds on the envelope"
		jsonschema.Draft202012Validator.check_schema(s)
		resolver = jsonschema.RefResolver(base_uri=(d / "slo.status.schema.json").as_uri(), referrer=s)
		v = jsonschema.Draft202012Validator(s, resolver=resolver)
		for e in v.iter_errors(json.load(open(sys.argv[2]))):
		    print("example:", e.message)
		print(" ".join("valid" if v.is_valid(json.loads(l)) else "invalid"
		               for l in open(sys.argv[3], encoding="utf-8")))
	EOF
	assert_output "$(printf 'invalid%.0s ' {1..16} | sed 's/ $//')"
}

@test "schema: real slo-budget output of every kind is valid" {
	needs_jsonschema
	needs_built
	local d=$BATS_TEST_TMPDIR out=$BATS_TEST_TMPDIR/out
	mkdir "$out"
	# 2026-11-28T00:00:00Z; a day of events a minute, 1 in 500 failed
	events "$d/steady.ndjson" 1795824000 1440 60 500 api web
	# the same, and then an hour where half fail: pages
	events "$d/burst.ndjson" 1795910400 120 30 2 api
	cat "$d/steady.ndjson" "$d/burst.ndjson" >"$d/burning.ndjson"
	printf '{"time":"2026-11-28T10:00:00Z","good":990,"total":1000}\n{"time":1795860000,"bad":1,"total":5}\n' \
		>"$d/counts.ndjson"

	slo-budget --objective 99.9 -o ndjson "$d/steady.ndjson" >"$out/steady" || true
	slo-budget --objective 99.9 -o ndjson "$d/burning.ndjson" >"$out/burning" || true
	slo-budget --objective 99 --window 28d --group-by .name -o ndjson "$d/steady.ndjson" >"$out/groups" || true
	slo-budget --objective 99.9 --min-events 100000 -o ndjson "$d/burning.ndjson" >"$out/insufficient" || true
	slo-budget --objective 99.9 --now 2026-01-01T00:00:00Z -o ndjson "$d/steady.ndjson" >"$out/empty" || true
	slo-budget --objective 99.5 --calendar month --tz Europe/Berlin -o ndjson "$d/burning.ndjson" >"$out/calendar" || true
	slo-budget --objective 99.9 --calendar week -o ndjson "$d/steady.ndjson" >"$out/week" || true
	slo-budget --objective 99 --method timeslices --timeslice 5m --slice-objective 95 -o ndjson \
		"$d/burning.ndjson" >"$out/timeslices" || true
	slo-budget --objective 99.9 --latency-field .duration_ms --threshold 300ms -o ndjson \
		"$d/steady.ndjson" >"$out/latency" || true
	slo-budget --objective 99.9 --counts -o ndjson "$d/counts.ndjson" >"$out/counts" || true
	slo-budget --objective 99.9 --follow --report-every 1h -o ndjson "$d/burning.ndjson" >"$out/follow" || true
	printf '{"time":"2026-11-28T00:00:00Z","ok":true}\nnot json\n' >"$d/bad.ndjson"
	slo-budget --objective 99.9 --lenient -q -o ndjson "$d/bad.ndjson" >"$out/lenient" || true

	local f
	for f in "$out"/*; do
		[ -s "$f" ] || fail "no output for $(basename "$f")"
	done
	# the cases are what they claim to be
	assert_equal "$(jq -r .severity "$out/burning")" page
	assert_equal "$(jq -r .ok "$out/burning")" false
	assert_equal "$(jq -r .data "$out/insufficient")" insufficient
	assert_equal "$(jq -r .sli "$out/empty")" null
	assert_equal "$(jq -r .group "$out/groups" | sort | tr '\n' ' ')" "api web "
	assert_equal "$(jq -r .window.tz "$out/calendar")" Europe/Berlin
	assert_equal "$(jq -r .method "$out/timeslices")" timeslices
	[ "$(wc -l <"$out/follow")" -gt 2 ]
	assert_equal "$(jq -r .skipped "$out/lenient")" 1

	run -0 validate "$out"/*
	assert_output "$(($(cat "$out"/* | wc -l))) records"
}

# ---- README -----------------------------------------------------------------------------

@test "README: the slo-budget pipelines run as written (probe stood in for by recorded results)" {
	needs_built
	needs promtool prometheus
	cd "$BATS_TEST_TMPDIR"
	sed -n '/^## slo-budget/,/^## /p' "$SRETOOLS_ROOT/README.md" |
		awk '/^```/ { n++; next } n == 1' >readme.sh
	grep -q '^probe --every' readme.sh
	grep -q -- '--fail-on exhausted' readme.sh
	grep -q '^slo-budget rules' readme.sh
	# probe's results: two targets, web failing every tenth of its probes
	events recorded.ndjson 1795824000 600 10 20 api web
	printf '#!/bin/sh\necho deployed\n' >deploy && chmod +x deploy
	{ echo 'probe() { cat recorded.ndjson; }'; cat readme.sh; } >run.sh
	run -0 --separate-stderr bash run.sh
	# --follow: a status per target every minute of event time, then the final ones
	local status
	status=$(grep '^{' <<<"$output")
	[ "$(jq -s 'map(select(.kind == "slo.status")) | length' <<<"$status")" -ge 4 ]
	[ "$(jq -rs 'map(.group // empty) | unique | join(" ")' <<<"$status")" = "api web" ]
	jq -se 'map(select(.group == "web")) | last | .bad == 30 and .total == 300' <<<"$status"
	jq -se 'map(select(.group == "api")) | last | .bad == 0 and .total == 300' <<<"$status"
	# the gate: the probes file holds the same records (tee -a); with 10% bad at 99.9
	# the budget is spent, so no deploy
	cmp recorded.ndjson probes.ndjson
	refute_line deployed
	assert_line --partial "SUCCESS: 18 rules found"
	assert_equal "$stderr" ""
	# with a budget left, the gate deploys
	events recorded.ndjson 1795824000 600 10 0 api web
	rm probes.ndjson
	run -0 --separate-stderr bash run.sh
	assert_line deployed
}
