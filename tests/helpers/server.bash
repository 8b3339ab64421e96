# shellcheck shell=bash
#
# The fixture HTTP/HTTPS server (tests/helpers/fixture-server.py) for bats suites:
#
#   load helpers/common
#   load helpers/server
#
#   setup()    { common_setup; fixture_server_start; }               # one per test, or
#   setup_file() { fixture_server_start --tls valid; }               # one per file
#   (this file's teardown() stops what a test started; a suite with its own teardown
#    calls fixture_server_stop_all in it; teardown_file likewise for setup_file)
#
#   curl -s "$FIXTURE_URL/slow?delay=2&status=503&retry_after=1"
#   curl -s --cacert "$FIXTURE_CA" "$FIXTURE_URL/ok"
#   fixture_requests | jq -s 'map(.headers.authorization)'
#
# fixture_server_start [--tls valid|expired|soon|wronghost|chain] [--mtls]
#                      [--routes FILE] [-- MORE-SERVER-ARGS...]
#   Starts the server on a free 127.0.0.1 port and waits (at most 10 s) until it
#   listens.  Exports:
#     FIXTURE_PORT  the port
#     FIXTURE_URL   http://127.0.0.1:PORT, or https://localhost:PORT with --tls
#     FIXTURE_HOST  127.0.0.1 or localhost
#     FIXTURE_PID   the server's process id
#     FIXTURE_CA    the CA that signed every server certificate (curl --cacert)
#     FIXTURE_CERTS the certificate directory (see mkcerts.sh for its files)
#     FIXTURE_LOG   the request log, NDJSON (see fixture-server.py, REQUEST LOG)
#     FIXTURE_DIR   the server's private directory (port file, its stderr in server.out)
#     FIXTURE_CLIENT_CERT, FIXTURE_CLIENT_KEY  with --mtls: a client certificate the
#                   server accepts (it refuses connections without one)
#   To run two servers at once, copy the variables after the first start.
#   Do not call it in $(...) or a pipeline: the variables would be lost, and the server
#   stops when the (sub)shell that started it exits.
#
# fixture_server_stop [PID]     stop that server (default $FIXTURE_PID) and reap it
# fixture_server_stop_all       stop every server this shell started
# fixture_requests              print the request log (NDJSON, oldest first)
# fixture_reset                 clear the server's per-path counters and request log
# fixture_certs                 make the certificate set once per file; prints its dir
#
# Response specs (query parameters or a --routes file) are documented at the top of
# fixture-server.py: status delay body json size headers/header content_type chunked
# chunk_size slow_body endless gzip redirect fail_first flap fail_status retry_after
# retry_after_date close truncate echo.  With curl, pass JSON in a query with -g (no
# globbing) or --data-urlencode ... -G.
#
# A server never outlives its test: it watches the shell that started it and exits when
# that shell is gone, and it stops by itself after FIXTURE_MAX_LIFETIME seconds (3600).

FIXTURE_HELPERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_fixture_pids=()

_fixture_python() {
	if [[ -n ${FIXTURE_PYTHON:-} ]]; then
		printf '%s\n' "$FIXTURE_PYTHON"
	elif [[ -x /usr/bin/python3 ]]; then
		printf '%s\n' /usr/bin/python3
	else
		command -v python3
	fi
}

fixture_certs() {
	local dir="${FIXTURE_CERTS:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/fixture-certs}"
	"$FIXTURE_HELPERS_DIR/mkcerts.sh" "$dir" || return 1
	printf '%s\n' "$dir"
}

# A zombie still answers kill -0, so look at its state instead.
_fixture_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

_fixture_wait_port() {
	local pid=$1 file=$2 i
	for ((i = 0; i < 100; i++)); do
		[[ -s $file ]] && return 0
		_fixture_alive "$pid" || return 1
		sleep 0.1
	done
	return 1
}

fixture_server_start() {
	local tls="" mtls=0 routes="" extra=() certs="" scheme=http host=127.0.0.1
	while (($#)); do
		case $1 in
		--tls) tls=${2:?--tls needs a certificate name}; shift 2 ;;
		--tls=*) tls=${1#--tls=}; shift ;;
		--mtls) mtls=1; shift ;;
		--routes) routes=${2:?--routes needs a file}; shift 2 ;;
		--routes=*) routes=${1#--routes=}; shift ;;
		--) shift; extra=("$@"); break ;;
		*) echo "fixture_server_start: unknown option '$1'" >&2; return 2 ;;
		esac
	done
	case $tls in
	"" | valid | expired | soon | wronghost | chain) ;;
	*) echo "fixture_server_start: unknown --tls '$tls'" >&2; return 2 ;;
	esac
	if [[ $mtls == 1 && -z $tls ]]; then
		tls=valid
	fi

	local base="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}" dir
	dir=$(mktemp -d "$base/fixture-server.XXXXXX") || return 1
	certs=$(fixture_certs) || return 1
	local args=(--port 0 --port-file "$dir/port" --log "$dir/requests.ndjson"
		--watch-pid "$BASHPID" --max-lifetime "${FIXTURE_MAX_LIFETIME:-3600}")
	if [[ -n $tls ]]; then
		args+=(--tls-cert "$certs/$tls.crt" --tls-key "$certs/$tls.key")
		scheme=https host=localhost
	fi
	if [[ $mtls == 1 ]]; then
		args+=(--client-ca "$certs/client-ca.crt")
	fi
	if [[ -n $routes ]]; then
		args+=(--routes "$routes")
	fi

	# fd 3 is bats' own: a background process holding it would hang the suite.
	"$(_fixture_python)" "$FIXTURE_HELPERS_DIR/fixture-server.py" "${args[@]}" "${extra[@]}" \
		</dev/null >"$dir/server.out" 2>&1 3>&- &
	local pid=$!
	_fixture_pids+=("$pid")
	if ! _fixture_wait_port "$pid" "$dir/port"; then
		echo "fixture_server_start: the server did not start; its output:" >&2
		cat "$dir/server.out" >&2
		fixture_server_stop "$pid"
		return 1
	fi

	FIXTURE_PORT=$(<"$dir/port")
	FIXTURE_HOST=$host
	FIXTURE_URL="$scheme://$host:$FIXTURE_PORT"
	FIXTURE_PID=$pid
	FIXTURE_CERTS=$certs
	FIXTURE_CA="$certs/ca.crt"
	FIXTURE_LOG="$dir/requests.ndjson"
	FIXTURE_DIR=$dir
	export FIXTURE_PORT FIXTURE_HOST FIXTURE_URL FIXTURE_PID FIXTURE_CERTS FIXTURE_CA \
		FIXTURE_LOG FIXTURE_DIR
	if [[ $mtls == 1 ]]; then
		export FIXTURE_CLIENT_CERT="$certs/client.crt" FIXTURE_CLIENT_KEY="$certs/client.key"
	fi
}

fixture_server_stop() {
	local pid=${1:-${FIXTURE_PID:-}} i keep=() p
	[[ -n $pid ]] || return 0
	if _fixture_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			_fixture_alive "$pid" || break
			sleep 0.1
		done
		if _fixture_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	for p in "${_fixture_pids[@]}"; do
		[[ $p == "$pid" ]] || keep+=("$p")
	done
	_fixture_pids=("${keep[@]}")
	return 0
}

fixture_server_stop_all() {
	local p
	for p in "${_fixture_pids[@]}"; do
		fixture_server_stop "$p"
	done
}

fixture_requests() {
	cat "${FIXTURE_LOG:?no fixture server started}"
}

fixture_reset() {
	local tls=()
	if [[ ${FIXTURE_URL:?no fixture server started} == https:* ]]; then
		tls=(--cacert "$FIXTURE_CA")
		if [[ -n ${FIXTURE_CLIENT_CERT:-} ]]; then
			tls+=(--cert "$FIXTURE_CLIENT_CERT" --key "$FIXTURE_CLIENT_KEY")
		fi
	fi
	curl -sS --fail -o /dev/null -X POST "${tls[@]}" "$FIXTURE_URL/_reset"
}

teardown() {
	fixture_server_stop_all
}

teardown_file() {
	fixture_server_stop_all
}
