#!/usr/bin/env bash
# README command 1: install, build, and run the pipeline on the embedded defaults
# (SQLite + the embedded Kafka-protocol broker), fed by simulated sources, until interrupted
# (Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
# --simulate: live traffic from simulated facilities, courts and commune registry offices
# (`crvs simulate --help`). Its clinic that falls silent after a minute is listed as a silent
# source once quiet for 2 minutes (the production rule waits at least an hour).
exec build/services/cli/crvs --set reconcile.silent_min_quiet=2m dev --simulate "$@"
