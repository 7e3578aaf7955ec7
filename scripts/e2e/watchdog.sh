#!/usr/bin/env bash
# watchdog.sh — started by internal/e2e's TestMain with its stdin on a pipe that only the test
# process writes to. When the test process stops the stack itself it writes "done" and this
# script exits. If the test process dies first (a panic in a test, -test.timeout, SIGKILL), the
# kernel closes the pipe, read sees EOF, and this script stops the stack with down.sh, under the
# same lock (.cache/e2e/lock) that an e2e run holds, so it never stops a newer run's stack.
set -u
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if IFS= read -r line && [ "$line" = done ]; then
	exit 0
fi
echo "e2e watchdog: the test process ended without stopping the local Sigstore; running scripts/stack/down.sh" >&2
mkdir -p "$REPO/.cache/e2e"
exec flock "$REPO/.cache/e2e/lock" "$REPO/scripts/stack/down.sh"
