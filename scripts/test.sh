#!/usr/bin/env bash
# README command 2: install, build, and run the whole test suite of the g++ build, then the
# sanitizer variants (scripts/sanitize.sh, tests/sanitizers/README.md: clang with ASan+UBSan over
# the unit, integration and e2e tests, with TSan over the integration tests).
# Pass ctest arguments through, e.g. `scripts/test.sh -L unit`: then only the g++ build's tests
# run, unless SANITIZERS names variants. SANITIZERS="address", "thread" or "" chooses them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
jobs=${JOBS:-$(nproc)}
ctest --test-dir build --output-on-failure -j "$jobs" "$@" ||
  { scripts/ctest-failures.sh build; exit 1; }
default_sanitizers="address thread"
[ $# -eq 0 ] || default_sanitizers=""
for variant in ${SANITIZERS-$default_sanitizers}; do
  scripts/sanitize.sh "$variant"
done
