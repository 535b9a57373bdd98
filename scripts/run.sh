#!/usr/bin/env bash
# README command 1: install, build, and run the pipeline on the embedded defaults
# (SQLite + the embedded Kafka-protocol broker) until interrupted (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/services/cli/crvs dev "$@"
