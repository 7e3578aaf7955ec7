#!/usr/bin/env bash
# down.sh — stop the local Sigstore started by up.sh, by recorded PID only.
# Reverse start order, SIGTERM then SIGKILL; Trillian gets SIGKILL (it does not
# stop on SIGTERM); MariaDB goes last. Removes Fulcio's leftover unix socket and
# checks that every stack port is free. Logs and trust files stay in
# .cache/stack/run for inspection (the next up.sh wipes them).
# Safe to run when nothing is running. Exits non-zero if a port stays busy.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$(now_ms)
[ -d "$RUN" ] || { stack_log "nothing to stop ($RUN does not exist)"; exit 0; }

# Names in reverse start order, then any pid file the order file missed.
names=()
if [ -f "$RUN/order" ]; then
	mapfile -t names < <(tac "$RUN/order")
fi
for f in "$RUN"/*.pid; do
	[ -e "$f" ] || continue
	n="$(basename "$f" .pid)"
	case " ${names[*]:-} " in *" $n "*) ;; *) names+=("$n");; esac
done

declare -A sent=()
for n in "${names[@]}"; do
	[ "$n" = mariadb ] && continue
	case "$n" in
	# Trillian ignores SIGTERM: kill it outright.
	trillian_log_server|trillian_log_signer) stop_svc "$n" 0 KILL ;;
	*)
		# Signal now, collect below: the servers stop in parallel.
		if pid="$(svc_pid "$n")"; then
			kill -TERM "$pid" 2>/dev/null || true
			sent[$n]=$pid
		else
			stop_svc "$n"
		fi
		;;
	esac
done
for n in "${!sent[@]}"; do
	await_exit "$n" "${sent[$n]}" 10
done
# MariaDB last, after everything that talks to it is gone.
case " ${names[*]:-} " in *" mariadb "*) stop_svc mariadb 30 TERM ;; esac

rm -f "$RUN/fulcio.sock" "$RUN/order"

# Listeners close asynchronously after exit: allow them two seconds.
busy=""
for _ in $(seq 20); do
	# shellcheck disable=SC2086
	busy="$(busy_ports $CORE_PORTS $FULL_PORTS | sed 's/^/:/' | paste -sd, - | sed 's/,/, /g')"
	[ -z "$busy" ] && break
	sleep 0.1
done
if [ -n "$busy" ]; then
	stack_log "error: ports still in use after stopping: $busy (not started by this stack, or a process escaped)"
	exit 1
fi
stack_log "stack down in $(($(now_ms) - T0)) ms; all ports free"
