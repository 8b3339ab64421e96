# shellcheck shell=bash
#
# Assertions on sretools record streams (man 7 sretools; the envelope's JSON Schema is
# share/sretools/schemas/envelope.schema.json).  Load after helpers/common:
#
#   load helpers/common
#   load helpers/records
#
#   run -0 --separate-stderr probe "$FIXTURE_URL/ok"
#   assert_records                       # every line of $output is a valid record
#   assert_record_count 1
#   assert_record 1 '.kind == "probe.result" and .ok'
#   assert_each_record '.time | endswith("Z")'
#   code=$(record_field 1 .http.status)
#
# Every function reads $output (the last `run`'s stdout) unless given a FILE ("-" is
# standard input).  Note that bats strips trailing newlines from $output, so only a
# FILE can be checked for the final LF.  On failure each prints what is wrong to stderr
# and returns 1, so a test fails with that message.
#
# assert_records [--allow-empty] [FILE]
#   Every line is a record: UTF-8 text, no CR, no NUL, exactly one JSON value, and that
#   value an object with
#     "kind"   a string matching $RECORDS_KIND_RE (dotted lowercase: probe.result)
#     "time"   a string matching $RECORDS_TIME_RE (RFC 3339 UTC ms: 2026-11-28T14:02:18.123Z)
#              and a real date (no February 30: the one rule the JSON Schema cannot say)
#     "ok"     if present, a boolean
#     "error"  if present, an object with "code" (a string matching $RECORDS_CODE_RE,
#              snake_case) and "message" (a non-empty string)
#   and "ok": false only with an "error", "ok": true never with one.  Numbers must be
#   standard JSON: jq 1.6 itself would accept NaN, Infinity and leading zeros, so they
#   are looked for in the text.  No output at all fails unless --allow-empty.
#   A failure names each offending line (up to 10) by number, with its content.
# assert_record_count N [FILE]      the stream has exactly N lines
# assert_record N FILTER [FILE]     jq FILTER is truthy on record N (1-based); every
#                                   output of FILTER must be truthy, and there must be one
# assert_each_record FILTER [FILE]  the same for every record
# record_field N FILTER [FILE]      print FILTER of record N (strings raw, others compact)

# The envelope's rules; tests/records.bats checks that the JSON Schema says the same.
RECORDS_REQUIRED=(kind time)
RECORDS_KIND_RE='^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'
RECORDS_TIME_RE='^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z$'
RECORDS_CODE_RE='^[a-z][a-z0-9_]*$'
RECORDS_MAX_REPORTED=10

# One problem per bad line, as {"line": N, "why": TEXT, "text": LINE}.
# shellcheck disable=SC2016 # a jq program, not a shell string
_RECORDS_CHECK='
def json_string_re: "\"([^\"\\\\]|\\\\.)*\"";
def nonstandard_number:
	gsub(json_string_re; "\"\"") | gsub("true|false|null"; "")
	| test("[A-DF-Za-df-z]") or test("(^|[^0-9.eE+-])-?0[0-9]");
# jq (PCRE-like) lets "$" match before a final newline; ECMA 262 (the JSON Schema
# dialect) does not.
def matches($re): test($re) and (test("\n") | not);
# The pattern allows day 31 in every month; this is the calendar (time matches time_re).
def real_date:
	(.[0:4] | tonumber) as $y | (.[5:7] | tonumber) as $m | (.[8:10] | tonumber) as $d
	| ($y % 4 == 0 and ($y % 100 != 0 or $y % 400 == 0)) as $leap
	| $d <= [31, (if $leap then 29 else 28 end), 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][$m - 1];
def shape:
	if type != "object" then "not a JSON object but \(type)"
	elif ([$required | splits(" ")] - keys) != []
		then "\"\(([$required | splits(" ")] - keys)[0])\" missing"
	elif (.kind | type) != "string" or (.kind | matches($kind_re) | not)
		then "\"kind\" is not dotted lowercase (\($kind_re)): \(.kind | tojson)"
	elif (.time | type) != "string" or (.time | matches($time_re) | not)
		then "\"time\" is not RFC 3339 UTC with milliseconds: \(.time | tojson)"
	elif .time | real_date | not then "\"time\" is not a real date: \(.time | tojson)"
	elif has("ok") and (.ok | type) != "boolean"
		then "\"ok\" is not a boolean: \(.ok | tojson)"
	elif has("error") and (.error | type) != "object"
		then "\"error\" is not an object: \(.error | tojson)"
	elif has("error") and ((.error.code | type) != "string"
			or (.error.code | matches($code_re) | not))
		then "\"error\".\"code\" is not a snake_case string: \(.error.code | tojson)"
	elif has("error") and ((.error.message | type) != "string" or .error.message == "")
		then "\"error\".\"message\" is not a non-empty string: \(.error.message | tojson)"
	elif .ok == false and (has("error") | not) then "\"ok\": false without \"error\""
	elif .ok == true and has("error") then "\"ok\": true with an \"error\""
	else empty end;
def problem($n):
	if . == "" then "empty line"
	elif test("\r") then "carriage return in the line (records end with LF alone)"
	elif test("\u0000") then "NUL byte in the line"
	elif ($bad_utf8 | index([$n])) then "invalid UTF-8"
	else (try {value: fromjson} catch {error: .}) as $v
		| if $v | has("error") then
			if ($v.error | test("Unexpected extra JSON values")) then "more than one JSON value"
			else "not JSON: \($v.error | sub(" \\(while parsing .*"; ""))" end
		elif nonstandard_number then "not standard JSON (NaN, Infinity or a leading zero)"
		else $v.value | shape end
	end;
foreach inputs as $l (0; . + 1; [., $l])
| .[0] as $n | .[1] as $l
| ($l | problem($n)) as $why
| {line: $n, why: $why, text: $l}
'

# The stream comes from FILE, or from $output when there is none.  Each public
# function declares _records_in and _records_tmp local; these helpers fill them.
# _records_open [FILE]: FILE "-" (standard input) is copied to a temporary file once,
# since the stream is read more than once.
_records_open() {
	_records_in="" _records_tmp=""
	(($# == 0)) && return 0
	if [[ $1 == - ]]; then
		_records_tmp=$(mktemp "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/records.XXXXXX") || return 1
		cat >"$_records_tmp"
		_records_in=$_records_tmp
	elif [[ -f $1 && -r $1 ]]; then
		_records_in=$1
	else
		echo "records: cannot read '$1'" >&2
		return 1
	fi
}

_records_close() {
	[[ -z $_records_tmp ]] || rm -f "$_records_tmp"
}

# _records_feed CMD...: run CMD with the stream on standard input.  A here-string
# ends $output with the LF that bats took away.
_records_feed() {
	if [[ -n $_records_in ]]; then
		"$@" <"$_records_in"
	elif [[ -n ${output-} ]]; then
		"$@" <<<"$output"
	else
		"$@" </dev/null
	fi
}

_records_empty() {
	if [[ -n $_records_in ]]; then
		[[ ! -s $_records_in ]]
	else
		[[ -z ${output-} ]]
	fi
}

# _records_lines: the stream's lines into the caller's array _records_l
_records_lines() {
	_records_l=()
	if _records_empty; then
		return 0
	elif [[ -n $_records_in ]]; then
		mapfile -t _records_l <"$_records_in"
	else
		mapfile -t _records_l <<<"$output"
	fi
}

_records_report() {
	local title=$1
	{
		printf -- '-- %s --\n' "$title"
		cat
		printf -- '--\n'
	} >&2
	return 1
}

# _records_bad_utf8: the numbers of the lines that are not valid UTF-8, as a JSON array
_records_bad_utf8() {
	local hits=() nums=() h list
	mapfile -t hits < <(LC_ALL=C.UTF-8 _records_feed grep -naxv '.*')
	for h in "${hits[@]}"; do
		nums+=("${h%%:*}")
	done
	printf -v list '%s,' "${nums[@]}"
	list=${list%,}
	printf '[%s]\n' "$list"
}

assert_records() {
	local allow_empty=0 _records_in _records_tmp problems rc=0 plist=()
	if [[ ${1-} == --allow-empty ]]; then
		allow_empty=1
		shift
	fi
	_records_open "$@" || return 1
	if _records_empty; then
		_records_close
		((allow_empty)) && return 0
		echo "no records (empty output)" | _records_report "assert_records: no records"
		return
	fi
	problems=$(_records_feed jq -nRr --arg required "${RECORDS_REQUIRED[*]}" \
		--arg kind_re "$RECORDS_KIND_RE" --arg time_re "$RECORDS_TIME_RE" \
		--arg code_re "$RECORDS_CODE_RE" --argjson bad_utf8 "$(_records_bad_utf8)" \
		"$_RECORDS_CHECK"' | "line \(.line): \(.why): \(.text | if length > 200
		then .[:200] + "..." else . end | gsub("\r"; "\\r") | gsub("\u0000"; "\\0"))"') || rc=$?
	if [[ -n $_records_in && -n $(tail -c 1 "$_records_in") ]]; then
		local _records_l
		_records_lines
		problems+="${problems:+$'\n'}line ${#_records_l[@]}: the last line does not end with LF"
	fi
	_records_close
	if ((rc != 0)); then
		echo "jq failed (exit $rc)" | _records_report "assert_records: internal error"
		return
	fi
	[[ -z $problems ]] && return 0
	mapfile -t plist <<<"$problems"
	{
		printf '%s\n' "${plist[@]:0:RECORDS_MAX_REPORTED}"
		if ((${#plist[@]} > RECORDS_MAX_REPORTED)); then
			echo "... and $((${#plist[@]} - RECORDS_MAX_REPORTED)) more bad lines"
		fi
	} | _records_report "assert_records: invalid record stream"
}

assert_record_count() {
	local want=${1:?assert_record_count N [FILE]} _records_in _records_tmp _records_l
	shift
	_records_open "$@" || return 1
	_records_lines
	_records_close
	[[ ${#_records_l[@]} == "$want" ]] && return 0
	echo "expected $want records, found ${#_records_l[@]}" | _records_report "assert_record_count"
}

# _records_line N: set the caller's _records_line_text to line N, or fail naming it
_records_line() {
	local n=$1 _records_l
	if [[ ! $n =~ ^[1-9][0-9]*$ ]]; then
		echo "records: invalid record number '$n'" >&2
		return 1
	fi
	_records_lines
	if ((n > ${#_records_l[@]})); then
		echo "records: there is no record $n (the stream has ${#_records_l[@]} lines)" >&2
		return 1
	fi
	_records_line_text=${_records_l[n - 1]}
}

record_field() {
	local n=${1:?record_field N FILTER [FILE]} filter=${2:?record_field N FILTER [FILE]}
	local _records_in _records_tmp _records_line_text rc=0
	shift 2
	_records_open "$@" || return 1
	_records_line "$n" || rc=1
	_records_close
	((rc == 0)) || return 1
	jq -rc "$filter" <<<"$_records_line_text"
}

# _records_truthy FILTER: a jq program that is true when FILTER has outputs, all truthy
_records_truthy() {
	printf '[%s] | length > 0 and all' "$1"
}

assert_record() {
	local n=${1:?assert_record N FILTER [FILE]} filter=${2:?assert_record N FILTER [FILE]}
	local _records_in _records_tmp _records_line_text rc=0
	shift 2
	_records_open "$@" || return 1
	_records_line "$n" || rc=1
	_records_close
	((rc == 0)) || return 1
	jq -e "$(_records_truthy "$filter")" <<<"$_records_line_text" >/dev/null 2>&1 && return 0
	printf 'filter : %s\nrecord %s: %s\n' "$filter" "$n" "$_records_line_text" |
		_records_report "assert_record: the filter is not true"
}

assert_each_record() {
	local filter=${1:?assert_each_record FILTER [FILE]} _records_in _records_tmp bad rc=0
	shift
	_records_open "$@" || return 1
	# shellcheck disable=SC2016 # a jq program
	bad=$(_records_feed jq -nRr 'foreach inputs as $l (0; . + 1; [., $l])
		| .[0] as $n | .[1] as $l
		| select(try ($l | fromjson | '"$(_records_truthy "$filter")"' | not) catch true)
		| "record \($n): \($l)"' 2>&1) || rc=$?
	_records_close
	[[ $rc == 0 && -z $bad ]] && return 0
	printf 'filter : %s\n%s\n' "$filter" "$bad" | head -n $((RECORDS_MAX_REPORTED + 1)) |
		_records_report "assert_each_record: the filter is not true for every record"
}
