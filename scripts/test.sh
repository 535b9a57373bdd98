#!/usr/bin/env bash
# README command 2: install, build, and run the whole test suite of the g++ build.
# Pass ctest arguments through, e.g. `scripts/test.sh -L unit`.
# SANITIZERS="address thread" (either or both) then runs the sanitizer variants
# (scripts/sanitize.sh, tests/sanitizers/README.md: clang with ASan+UBSan over the unit,
# integration and e2e tests, with TSan over the integration tests). They are not yet part of a
# default run: see that README for why and what they found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
jobs=${JOBS:-$(nproc)}
ctest --test-dir build --output-on-failure -j "$jobs" "$@"
for variant in ${SANITIZERS-}; do
  scripts/sanitize.sh "$variant"
done
