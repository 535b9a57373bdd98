#!/usr/bin/env bash
# Builds crvs-sync with clang and a sanitizer in its own build directory and runs tests there
# (tests/sanitizers/README.md). scripts/test.sh runs both variants after the plain suite.
#
# usage: scripts/sanitize.sh address|thread [ctest arguments]
#   address  AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer, in build/asan;
#            default tests: -L 'unit|integration|e2e' but the three volume tests (below)
#   thread   ThreadSanitizer, in build/tsan; default tests: -L integration
# The volume tests (exactly_once_test, backfill_e2e_test, reconcile_population_test) push tens
# of thousands of records through code the other tests already cover; under ASan they take
# 15 minutes of CI's 60. Run them with explicit arguments:
#   scripts/sanitize.sh address -L e2e
# Any sanitizer report fails the test that produced it (halt_on_error / exitcode 66) and is
# printed with ctest's output. JOBS=N overrides the parallelism (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
variant=${1:-}
shift || true
case "$variant" in
  address) dir=build/asan
    defaults=(-L 'unit|integration|e2e' -E '^(exactly_once_test|backfill_e2e_test|reconcile_population_test)$') ;;
  thread) dir=build/tsan; defaults=(-L integration) ;;
  *) echo "usage: $0 address|thread [ctest arguments]" >&2; exit 2 ;;
esac
jobs=${JOBS:-$(nproc)}
started=$(date +%s)

if [ ! -f "$dir/CMakeCache.txt" ]; then
  # -O1 and line tables only: a third of the compile time of RelWithDebInfo, reports still name
  # file and line.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCRVS_SANITIZE="$variant" >/dev/null
fi
if [ $# -eq 0 ]; then
  set -- "${defaults[@]}"
fi
# Build only what the chosen tests run: their executables, and crvs, which many of them start.
# A whole-tree build would add the benchmarks and the fuzzer to CI's clock for nothing.
# A test made by crvs_test (cmake/CrvsTargets.cmake) is named after its executable's target; a
# fuzzer's corpus test NAME_corpus runs NAME_replay.
targets=$(ctest --test-dir "$dir" -N "$@" | sed -n 's/^ *Test *#[0-9]*: //p' |
  while read -r name; do
    for target in "$name" "${name%_corpus}_replay"; do
      ninja -C "$dir" -t query "$target" >/dev/null 2>&1 && echo "$target" && break
    done
  done)
echo "sanitize($variant): building $(echo $targets | wc -w) test executables and crvs in $dir (-j$jobs)"
cmake --build "$dir" -j "$jobs" --target crvs $targets
echo "sanitize($variant): built in $(( $(date +%s) - started )) s"

supp="$src/tests/sanitizers"
common="halt_on_error=1:exitcode=66:print_stacktrace=1"
export UBSAN_OPTIONS="$common:suppressions=$supp/ubsan.supp"
export ASAN_OPTIONS="$common:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
# ignore_noninstrumented_modules: memcpy, malloc... called from uninstrumented libraries (gRPC,
# abseil, librdkafka) are not accesses TSan can order; tsan.supp says more.
export TSAN_OPTIONS="$common:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$supp/tsan.supp"
# Processes the tests start (crvs, postgres) inherit these. PostgreSQL is Debian's
# uninstrumented binary: the options do nothing there.
ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@" ||
  { scripts/ctest-failures.sh "$dir"; exit 1; }
echo "sanitize($variant): done in $(( $(date +%s) - started )) s"
