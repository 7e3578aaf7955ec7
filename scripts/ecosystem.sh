#!/usr/bin/env bash
# Runs the package-ecosystem attestation corpus ($SHARED/corpus/ecosystem: PEP 740
# attestations and PyPI provenance, npm attestation responses and key sets, GitHub artifact
# attestations) and the npm and PyPI cases of the bundle corpus ($SHARED/corpus/cases)
# through signet verify, in-process (internal/cli/ecosystem_test.go), and compares each
# verdict with the case's. Cases whose verdict the specifications leave open (ambiguous)
# are reported, not scored. Prints one line per case and the counts; fails when the data is
# absent or any case gets the wrong verdict. SHARED is $SIGNET_SHARED_DIR (relative to the
# repository root), else the directory "shared" beside the repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SIGNET_SHARED_DIR:-$(dirname "$root")/shared}
case $shared in /*) ;; *) shared=$root/$shared ;; esac
if [ ! -d "$shared/corpus/ecosystem" ]; then
  echo "ecosystem: no ecosystem corpus at $shared/corpus/ecosystem (set SIGNET_SHARED_DIR to the shared test data directory)" >&2
  exit 2
fi
cd "$root"
# The test's own lines (PASS/FAIL/AMBIGUOUS per case, the counts) without the go test noise.
SIGNET_SHARED_DIR=$shared SIGNET_REQUIRE_SHARED=1 ${GO:-go} test -count=1 -v \
  -run '^(TestEcosystem|TestCorpusAttestations|TestNPMKeyExpiry)$' ./internal/cli/ 2>&1 |
  sed -E -n -e 's/^ +ecosystem_test\.go:[0-9]+: //p' -e '/^(--- |ok |FAIL)/p'
