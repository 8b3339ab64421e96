# shellcheck shell=bash
# A real Prometheus (Debian's prometheus package) on a free 127.0.0.1 port, loaded with
# the known counters of tests/helpers/prom-data.py, for slo-budget's --prometheus tests.
# Load after helpers/common:
#
#   setup_file()    { prometheus_start; }        # one server for the whole file
#   teardown_file() { prometheus_stop_all; }
#
# prometheus_start [--web-config FILE]
#   Makes the data once per file (prom-data.py | promtool tsdb create-blocks-from
#   openmetrics), copies it into a fresh storage directory (two servers never share
#   one), starts the server and waits (at most 20 s) until /-/ready answers.  With
#   --web-config the server asks for basic auth (see tests/fixtures/slo-budget/
#   prometheus/web.yml), and readiness is checked with those credentials.  Exports:
#     PROM_URL   http://127.0.0.1:PORT
#     PROM_PID   the server's process id
#     PROM_LOG   its output
#   The data's first minute starts at PROM_START (2026-11-01T00:00:00Z) and its last
#   instant is PROM_NOW (2026-11-02T00:00:00Z): see prom-data.py for every family.
# prometheus_stop [PID]   stop that server (default $PROM_PID) and reap it
# prometheus_stop_all     stop every server this shell started

PROM_HELPERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROM_FIXTURES="$PROM_HELPERS_DIR/../fixtures/slo-budget/prometheus"
PROM_START=2026-11-01T00:00:00Z
PROM_NOW=2026-11-02T00:00:00Z
PROM_AUTH_USER=alice
PROM_AUTH_PASSWORD=Pr0m-S3cret-pw
export PROM_START PROM_NOW PROM_AUTH_USER PROM_AUTH_PASSWORD
_prom_pids=()

# The TSDB blocks, made once per bats file.
_prom_blocks() {
	local dir="${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/prom-blocks"
	if [[ ! -d $dir/blocks ]]; then
		mkdir -p "$dir" || return 1
		python3 "$PROM_HELPERS_DIR/prom-data.py" >"$dir/data.om" || return 1
		promtool tsdb create-blocks-from openmetrics "$dir/data.om" "$dir/blocks.tmp" \
			>"$dir/promtool.log" 2>&1 || { cat "$dir/promtool.log" >&2; return 1; }
		mv "$dir/blocks.tmp" "$dir/blocks"
	fi
	printf '%s\n' "$dir/blocks"
}

prometheus_start() {
	local web=() auth=() blocks dir port i
	if [[ ${1:-} == --web-config ]]; then
		web=(--web.config.file="${2:?--web-config needs a file}")
		auth=(-u "$PROM_AUTH_USER:$PROM_AUTH_PASSWORD")
	fi
	needs prometheus prometheus
	needs promtool prometheus
	blocks=$(_prom_blocks) || return 1
	dir=$(mktemp -d "${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}/prometheus.XXXXXX")
	cp -r "$blocks" "$dir/data"
	port=$(free_port)
	# The blocks lie in the past: retention is measured from the newest block, but keep
	# a long one anyway so that nothing is ever deleted under a test.
	# fd 3 is bats' own: a background child holding it would stall the suite.
	prometheus --config.file="$PROM_FIXTURES/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
		"${web[@]}" </dev/null >"$dir/prometheus.log" 2>&1 3>&- &
	PROM_PID=$!
	_prom_pids+=("$PROM_PID")
	PROM_URL="http://127.0.0.1:$port"
	PROM_LOG="$dir/prometheus.log"
	export PROM_URL PROM_PID PROM_LOG NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
	for ((i = 0; i < 400; i++)); do
		curl -sf --noproxy '*' "${auth[@]}" "$PROM_URL/-/ready" >/dev/null && return 0
		kill -0 "$PROM_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$PROM_LOG" >&2
	prometheus_stop "$PROM_PID"
	fail "prometheus did not start on $PROM_URL"
}

prometheus_stop() {
	local pid=${1:-${PROM_PID:-}} keep=() p
	[[ -n $pid ]] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in "${_prom_pids[@]}"; do
		[[ $p == "$pid" ]] || keep+=("$p")
	done
	_prom_pids=("${keep[@]}")
}

prometheus_stop_all() {
	local p
	for p in "${_prom_pids[@]}"; do
		prometheus_stop "$p"
	done
}
