# shellcheck shell=bash
# A real Pushgateway (Debian's prometheus-pushgateway) on a free 127.0.0.1 port, for
# the --push tests.  Load after helpers/common; call pushgateway_stop in teardown.

PG_PID=""
PG_URL=""

# Start it and wait until it is ready; sets PG_PID and PG_URL.
pushgateway_start() {
	needs prometheus-pushgateway prometheus-pushgateway
	local port i
	port=$(free_port)
	# Debian's build persists to /var/lib/prometheus by default: keep it in memory.
	# fd 3 is bats' own: a background child holding it would stall the suite.
	prometheus-pushgateway --web.listen-address="127.0.0.1:$port" --persistence.file= \
		>"$BATS_TEST_TMPDIR/pushgateway.log" 2>&1 3>&- &
	PG_PID=$!
	PG_URL="http://127.0.0.1:$port"
	export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
	for ((i = 0; i < 200; i++)); do
		curl -sf --noproxy '*' "$PG_URL/-/ready" >/dev/null && return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/pushgateway.log" >&2
	fail "the Pushgateway did not start on $PG_URL"
}

pushgateway_stop() {
	if [[ -n $PG_PID ]]; then
		kill "$PG_PID" 2>/dev/null || true
		wait "$PG_PID" 2>/dev/null || true
	fi
	PG_PID=""
}

# The probe_* samples it holds, sorted.
pushgateway_metrics() {
	curl -sf --noproxy '*' "$PG_URL/metrics" | grep '^probe_' | sort
}
