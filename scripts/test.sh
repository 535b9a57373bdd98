#!/usr/bin/env bash
# README command 2: install, build, and run the whole test suite.
# Pass ctest arguments through, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
jobs=${JOBS:-$(nproc)}
ctest --test-dir build --output-on-failure -j "$jobs" "$@"
