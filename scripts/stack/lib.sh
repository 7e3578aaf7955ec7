# shellcheck shell=bash
# shellcheck disable=SC2034 # variables are used by the scripts that source this file
# lib.sh — paths, ports and process helpers shared by up.sh, down.sh and smoke.sh.
# Source it; it defines no behaviour of its own.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK="$REPO/.cache/stack"
BIN="$STACK/bin"        # go install output (install.sh) and the project's helpers
RUN="$STACK/run"        # pids, logs, configs, trust material: wiped by each up.sh
CA_DIR="$STACK/ca"      # Fulcio file CA: made once, kept
KEYS="$STACK/keys"      # long-lived keys (OIDC issuer, Rekor v2, CT log): made once, kept

HOST=127.0.0.1
OPERATOR=signet-local

# Core.
OIDC_PORT=8090
FULCIO_PORT=5555
FULCIO_GRPC_PORT=5554
FULCIO_METRICS_PORT=2113   # Fulcio binds it on all interfaces (":port" hard-coded)
REKOR2_PORT=3000
REKOR2_GRPC_PORT=3001
REKOR2_METRICS_PORT=2114
REKOR2_READ_PORT=3003      # static file server over Rekor v2's storage dir
TSA_PORT=3004
TSA_METRICS_PORT=2112      # fixed by timestamp-server, on all interfaces
# Full.
MARIADB_PORT=3316
TRILLIAN_RPC_PORT=8091
TRILLIAN_HTTP_PORT=8094
SIGNER_RPC_PORT=8092
SIGNER_HTTP_PORT=8093
REKOR1_PORT=3010
CTLOG_PORT=6962
CTLOG_METRICS_PORT=6963

OIDC_URL="http://$HOST:$OIDC_PORT"
FULCIO_URL="http://$HOST:$FULCIO_PORT"
REKOR2_URL="http://$HOST:$REKOR2_PORT"
REKOR2_READ_URL="http://$HOST:$REKOR2_READ_PORT"
REKOR2_ORIGIN="$HOST"      # rekor-server-posix --hostname: the checkpoint origin
# A Rekor v2 write returns once a checkpoint covering it is published, so the
# checkpoint interval bounds write latency (plus a hard-coded 1 s publication
# poll in rekor-tiles): sequential writes average ~0.95 s at 250ms/50ms, ~2 s
# at the 1s default of the stack README. Override for experiments.
REKOR2_CHECKPOINT_INTERVAL="${SIGNET_STACK_REKOR2_CHECKPOINT_INTERVAL:-250ms}"
REKOR2_BATCH_MAX_AGE="${SIGNET_STACK_REKOR2_BATCH_MAX_AGE:-50ms}"
TSA_URL="http://$HOST:$TSA_PORT"
REKOR1_URL="http://$HOST:$REKOR1_PORT"
CTLOG_URL="http://$HOST:$CTLOG_PORT/test"

CORE_PORTS="$OIDC_PORT $FULCIO_PORT $FULCIO_GRPC_PORT $FULCIO_METRICS_PORT $REKOR2_PORT $REKOR2_GRPC_PORT $REKOR2_METRICS_PORT $REKOR2_READ_PORT $TSA_PORT $TSA_METRICS_PORT $CTLOG_PORT"
FULL_PORTS="$MARIADB_PORT $TRILLIAN_RPC_PORT $TRILLIAN_HTTP_PORT $SIGNER_RPC_PORT $SIGNER_HTTP_PORT $REKOR1_PORT $CTLOG_METRICS_PORT"

stack_log() { printf 'stack: %s\n' "$*" >&2; }
stack_die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# now_ms prints milliseconds since the epoch.
now_ms() { date +%s%3N; }

# pid_alive PID: true when PID is a live (non-zombie) process.
pid_alive() {
	local state
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
	state="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# svc_pid NAME: the PID recorded for NAME if that process is still the one we
# started (same executable), else nothing.
svc_pid() {
	local f="$RUN/$1.pid" pid exe cur
	[ -f "$f" ] || return 1
	read -r pid exe <"$f" || true
	pid_alive "$pid" || return 1
	cur="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
	cur="${cur% (deleted)}"
	[ -z "$exe" ] || [ "$cur" = "$exe" ] || return 1
	echo "$pid"
}

# svc_started_alive NAME: the recorded PID is alive. Unlike svc_pid it does not
# check the executable, which is still bash or nohup for a moment after start.
svc_started_alive() {
	local pid _
	[ -f "$RUN/$1.pid" ] || return 1
	read -r pid _ <"$RUN/$1.pid" || true
	pid_alive "$pid"
}

# port_busy PORT: true when something listens on PORT (any address).
port_busy() {
	[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# busy_ports PORT...: print those of PORT... that something listens on, one
# "PORT (holder)" per line, with a single ss call.
busy_ports() {
	local listing port h
	listing="$(ss -Htlnp 2>/dev/null || ss -Htln)"
	for port in "$@"; do
		if printf '%s\n' "$listing" | awk -v p=":$port" '{ if (substr($4, length($4) - length(p) + 1) == p) found = 1 } END { exit !found }'; then
			h="$(printf '%s\n' "$listing" | awk -v p=":$port" 'substr($4, length($4) - length(p) + 1) == p' | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n1)"
			echo "$port${h:+ ($h)}"
		fi
	done
}

# start_svc NAME EXE ARGS...: start EXE in the background with nohup, log to
# $RUN/NAME.log, record "PID EXE" in $RUN/NAME.pid and NAME in $RUN/order.
start_svc() {
	local name="$1" exe="$2"
	shift 2
	[ -x "$exe" ] || stack_die "$name: $exe is not installed (run scripts/stack/install.sh)"
	nohup "$exe" "$@" >"$RUN/$name.log" 2>&1 </dev/null &
	local pid=$!
	echo "$pid $(readlink -f "$exe")" >"$RUN/$name.pid"
	echo "$name" >>"$RUN/order"
}

# wait_http NAME URL [TIMEOUT_S]: poll URL until it answers 2xx, failing early
# if NAME's process dies. Prints the time taken.
wait_http() {
	local name="$1" url="$2" timeout="${3:-60}" t0 deadline
	t0=$(now_ms)
	deadline=$((t0 + timeout * 1000))
	while :; do
		if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
			stack_log "$name ready in $(($(now_ms) - t0)) ms ($url)"
			return 0
		fi
		if ! svc_started_alive "$name"; then
			stack_log "$name exited during start; last lines of $RUN/$name.log:"
			tail -n 20 "$RUN/$name.log" >&2 || true
			return 1
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			stack_log "$name not ready after ${timeout}s ($url); last lines of $RUN/$name.log:"
			tail -n 20 "$RUN/$name.log" >&2 || true
			return 1
		fi
		sleep 0.1
	done
}

# wait_port NAME PORT [TIMEOUT_S]: like wait_http for a TCP (gRPC, MySQL) port.
wait_port() {
	local name="$1" port="$2" timeout="${3:-60}" t0 deadline
	t0=$(now_ms)
	deadline=$((t0 + timeout * 1000))
	until port_busy "$port"; do
		if ! svc_started_alive "$name"; then
			stack_log "$name exited during start; last lines of $RUN/$name.log:"
			tail -n 20 "$RUN/$name.log" >&2 || true
			return 1
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			stack_log "$name not listening on :$port after ${timeout}s"
			tail -n 20 "$RUN/$name.log" >&2 || true
			return 1
		fi
		sleep 0.1
	done
	stack_log "$name listening on :$port after $(($(now_ms) - t0)) ms"
}

# await_exit NAME PID GRACE_S: wait for PID to exit, SIGKILL it after GRACE_S seconds.
await_exit() {
	local name="$1" pid="$2" grace="$3" i t0
	t0=$(now_ms)
	for ((i = 0; i < grace * 10; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	if pid_alive "$pid"; then
		[ "$grace" -gt 0 ] && stack_log "$name (pid $pid) still running after ${grace}s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
	fi
	if pid_alive "$pid"; then
		stack_log "warning: $name (pid $pid) survived SIGKILL"
	else
		stack_log "stopped $name (pid $pid) in $(($(now_ms) - t0)) ms"
	fi
	rm -f "$RUN/$name.pid"
}

# stop_svc NAME [GRACE_S] [SIGNAL]: stop NAME by its recorded PID: SIGNAL
# (default TERM), then SIGKILL after GRACE_S seconds (default 10). Removes the pid file.
stop_svc() {
	local name="$1" grace="${2:-10}" sig="${3:-TERM}" pid
	if pid="$(svc_pid "$name")"; then
		kill "-$sig" "$pid" 2>/dev/null || true
		await_exit "$name" "$pid" "$grace"
	elif [ -f "$RUN/$name.pid" ]; then
		stack_log "$name: stale pid file (process gone or not ours), removed"
	fi
	rm -f "$RUN/$name.pid"
}
