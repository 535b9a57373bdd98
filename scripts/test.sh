#!/usr/bin/env bash
# README command 2: install, build, and run the whole test suite: the g++ build's tests, then
# the sanitizer variants (scripts/sanitize.sh: clang with ASan+UBSan over the unit, integration
# and e2e tests, and with TSan over the integration tests).
# Pass ctest arguments through, e.g. `scripts/test.sh -L unit`: then only the g++ build's tests
# run. SANITIZERS="address" (or "none") limits the variants of a full run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
jobs=${JOBS:-$(nproc)}
ctest --test-dir build --output-on-failure -j "$jobs" "$@"
if [ $# -eq 0 ]; then
  for variant in ${SANITIZERS-address thread}; do
    [ "$variant" = none ] && continue
    scripts/sanitize.sh "$variant"
  done
fi
