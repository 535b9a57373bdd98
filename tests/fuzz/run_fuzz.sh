#!/usr/bin/env bash
# The `fuzz` CTest test (README.md here): builds the libFuzzer targets with clang in a sub-build
# (CRVS_FUZZ=ON: ASan + UBSan + coverage instrumentation), then runs each for a bounded time on
# its committed seed corpus plus the corpus earlier runs grew in the sub-build. Fails on any
# crash, leak, sanitizer report, timeout, out-of-memory or failed invariant, printing the
# report and the reproducer's path.
#
# usage: run_fuzz.sh SOURCE_DIR FUZZ_BUILD_DIR [SECONDS_PER_TARGET]
# environment: CRVS_FUZZ_SECONDS (overrides the seconds), CRVS_FUZZ_JOBS (targets run at once,
# default 2), CRVS_FUZZ_TARGETS (space-separated names: run only these).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 SOURCE_DIR FUZZ_BUILD_DIR [SECONDS_PER_TARGET]" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
build=$2
seconds=${CRVS_FUZZ_SECONDS:-${3:-20}}
jobs=${CRVS_FUZZ_JOBS:-2}
started=$(date +%s)
mkdir -p "$build"
build=$(cd "$build" && pwd)

# --- toolchain -------------------------------------------------------------------------------
for tool in clang clang++ cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz: $tool not found; scripts/install-deps.sh installs it" >&2
    exit 1
  fi
done
runtime="$(clang++ -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
if [ ! -f "$runtime" ]; then
  echo "fuzz: libFuzzer's runtime $runtime is missing (Debian package libclang-rt-*-dev;" \
       "scripts/install-deps.sh installs it)" >&2
  exit 1
fi

# --- build -----------------------------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "fuzz: configuring the clang sub-build in $build"
  if ! cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCRVS_FUZZ=ON \
      >"$build/configure.log" 2>&1; then
    tail -n 40 "$build/configure.log" >&2
    rm -f "$build/CMakeCache.txt"  # configure again next time
    echo "fuzz: configure failed (log: $build/configure.log)" >&2
    exit 1
  fi
fi
echo "fuzz: building the fuzz targets (clang, ASan+UBSan, -j2)"
if ! cmake --build "$build" -j 2 --target crvs_fuzzers >"$build/build.log" 2>&1; then
  grep -E "error|Error" -A3 "$build/build.log" | head -n 60 >&2 || tail -n 40 "$build/build.log" >&2
  echo "fuzz: build failed (log: $build/build.log)" >&2
  exit 1
fi
built=$(date +%s)
echo "fuzz: built in $((built - started)) s"

# --- run -------------------------------------------------------------------------------------
mapfile -t targets < "$build/fuzzers.txt"
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets in $build/fuzzers.txt" >&2
  exit 1
fi
mkdir -p "$build/logs"

run_one() {
  local name=$1 bin=$2
  local seeds="$src/tests/fuzz/corpus/$name" corpus="$build/corpus/$name"
  local artifacts="$build/artifacts/$name/" log="$build/logs/$name.log"
  mkdir -p "$corpus" "$artifacts"
  local args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=8192
              -print_final_stats=1 -artifact_prefix="$artifacts")
  if [ -f "$src/tests/fuzz/$name.dict" ]; then args+=(-dict="$src/tests/fuzz/$name.dict"); fi
  # New inputs go to the first directory (the sub-build's); the committed seeds are read only.
  local dirs=("$corpus")
  if [ -d "$seeds" ]; then dirs+=("$seeds"); fi
  local rc=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1 || rc=$?
  echo "$rc" >"$build/logs/$name.rc"
}

for line in "${targets[@]}"; do
  name=${line%% *}
  bin=${line#* }
  if [ -n "${CRVS_FUZZ_TARGETS:-}" ] && [[ " $CRVS_FUZZ_TARGETS " != *" $name "* ]]; then continue; fi
  rm -f "$build/logs/$name.rc"
  echo "fuzz: running $name for ${seconds} s"
  run_one "$name" "$bin" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait

stat() {  # stat NAME FILE → the value of libFuzzer's final "stat::NAME:" line
  sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

failed=0
ran=0
printf '%-22s %8s %14s %12s %8s %8s  %s\n' target result executions "exec/s" "cov" "rss_mb" corpus
for line in "${targets[@]}"; do
  name=${line%% *}
  bin=${line#* }
  rcfile="$build/logs/$name.rc"
  [ -f "$rcfile" ] || continue
  ran=$((ran + 1))
  rc=$(cat "$rcfile")
  log="$build/logs/$name.log"
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  units=$(grep -oE 'corp: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  result=ok
  [ "$rc" = 0 ] || result="FAILED($rc)"
  printf '%-22s %8s %14s %12s %8s %8s  %s\n' "$name" "$result" \
    "$(stat number_of_executed_units "$log")" "$(stat average_exec_per_sec "$log")" \
    "${cov:-?}" "$(stat peak_rss_mb "$log")" "${units:-?} inputs"
  if [ "$rc" != 0 ]; then
    failed=1
    {
      echo "---- $name failed (exit $rc); last lines of $log:"
      tail -n 60 "$log"
      for a in "$build/artifacts/$name"/*; do
        [ -e "$a" ] || continue
        echo "reproducer: $a"
        echo "  reproduce: $bin $a"
      done
    } >&2
  fi
done
if [ "$ran" -eq 0 ]; then
  echo "fuzz: no target ran" >&2
  exit 1
fi
echo "fuzz: $ran targets, ${seconds} s each, whole test $(( $(date +%s) - started )) s"
exit "$failed"
