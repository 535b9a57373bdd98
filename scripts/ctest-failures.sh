#!/usr/bin/env bash
# Prints what each failed test of the last ctest run in BUILD_DIR said when it failed: the
# GoogleTest failures (file:line, expected/actual, our messages), the names of the failed cases,
# and sanitizer reports — the tail of a long CI log, where a reader looks first. With
# --output-on-failure ctest prints the whole output too, but in the middle of the run.
#
# usage: scripts/ctest-failures.sh BUILD_DIR
set -euo pipefail
log="${1:?usage: $0 BUILD_DIR}/Testing/Temporary/LastTest.log"
[ -f "$log" ] || { echo "ctest-failures: no $log" >&2; exit 0; }
echo "=== what the failed tests said ($log) ==="
awk '
  function flush(   i, n, printed, keep, budget) {
    if (!failed) return
    print "--- " name " ---"
    printed = 0; keep = 0; budget = 80
    for (i = 1; i <= count && printed < budget; i++) {
      line = buf[i]
      if (line ~ /: Failure$/ || line ~ /ERROR: (Address|Leak|Thread)Sanitizer/ ||
          line ~ /WARNING: ThreadSanitizer/ || line ~ /runtime error:/) keep = 12
      else if (line ~ /^\[/ && line !~ /^\[  FAILED  \]/ && line !~ /^\[ figures/) keep = 0
      if (keep > 0 || line ~ /^\[  FAILED  \]/) { print line; printed++; if (keep > 0) keep-- }
    }
    if (printed == 0) {  # no GoogleTest or sanitizer marker: the last lines say most
      for (i = (count > 20 ? count - 19 : 1); i <= count; i++) print buf[i]
    }
  }
  /^[0-9]+\/[0-9]+ Test: / { name = $3; count = 0; failed = 0; next }
  /^Output:$/ { inside = 1; next }
  /^<end of output>$/ { inside = 0; next }
  inside { buf[++count] = $0; next }
  /^Test (Failed|Passed|Not Run)/ || /^Test .*(Timeout|Exception)/ {
    failed = ($0 !~ /^Test Passed/); flush(); failed = 0
  }
' "$log"
