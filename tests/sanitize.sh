#!/usr/bin/env bash
# The hardening step of CI (.ci/run; docs/fuzzing.md): in one clang build with AddressSanitizer
# and UndefinedBehaviorSanitizer (undefined behaviour stops the program, -fno-sanitize-recover),
# runs the whole unit test binary, then every fuzz target of tests/fuzz/ over its seeds (from the
# fixtures) and its committed regression corpus, fuzzing each for a bounded time.
#
#   tests/sanitize.sh [SECONDS_PER_TARGET]     default 5; 0 replays the corpora only
#
# Build directory: $WGTUNE_SANITIZE_BUILD, default build-sanitize (the gcc build in build/ is not
# touched). Inputs that fail a target land in <build>/fuzz-findings/<target>/ and the step fails;
# new inputs that reach new code are kept in <build>/fuzz-corpus/<target>/ for the next run.
# Python script tests do not run here: they test the programs through their real peers.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}"
build="${WGTUNE_SANITIZE_BUILD:-build-sanitize}"
compiler="$(command -v clang++-14 || command -v clang++ || true)"
if [[ -z "$compiler" ]]; then
  echo "sanitize: clang++ not found; run deploy/bootstrap.sh --test" >&2
  exit 2
fi

# -O1 and line tables only: sanitizer reports keep file:line, the build stays small and fast.
# The compiler only at the first configure: naming another one later makes CMake drop the cache,
# and with it the options given on the same command line.
first=()
[[ -f "$build/CMakeCache.txt" ]] || first=(-DCMAKE_CXX_COMPILER="$compiler")
cmake -S . -B "$build" "${first[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWGTUNE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" >/dev/null
cmake --build "$build" -j "$(nproc)" --target wgtune_tests fuzzers fuzz_seeds

export ASAN_OPTIONS="abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
echo "sanitize: unit tests under ASan+UBSan"
"$build/tests/wgtune_tests" --gtest_brief=1

# One fuzz target over its corpora: the status file says whether it found something.
fuzz_target() {
  local target="$1" corpus="$build/fuzz-corpus/$1" findings="$build/fuzz-findings/$1" log="$build/fuzz-$1.log"
  mkdir -p "$corpus" "$findings"
  local inputs=("$corpus" "$build/tests/fuzz/seeds/$target")
  [[ -d "tests/fuzz/regressions/$target" ]] && inputs+=("tests/fuzz/regressions/$target")
  # The first directory takes what libFuzzer finds; the seeds and the regressions are only read.
  # -timeout: one input running 10 s is a finding (a hang); -rss_limit_mb: so is 2 GB of memory.
  local budget=(-max_total_time="$seconds")
  ((seconds > 0)) || budget=(-runs=0)  # libFuzzer's -max_total_time=0 would mean no limit
  if "$build/tests/fuzz/${target}_fuzzer" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$findings/" "${inputs[@]}" >"$log" 2>&1; then
    echo "sanitize: $target: $(awk '/^stat::number_of_executed_units/ {print $2}' "$log") executions, no finding"
    echo ok >"$build/fuzz-$target.status"
  else
    echo "sanitize: $target FAILED (log: $log, input: $findings/)" >&2
    tail -n 40 "$log" >&2
    echo failed >"$build/fuzz-$target.status"
  fi
}

# libFuzzer runs one input at a time: one target per CPU.
IFS=";" read -r -a targets < "$build/tests/fuzz/targets.txt" || true  # no newline at its end
rm -f "$build"/fuzz-*.status
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= $(nproc))); do wait -n || true; done
  fuzz_target "$target" &
done
wait
failed=()
for target in "${targets[@]}"; do
  [[ "$(cat "$build/fuzz-$target.status" 2>/dev/null)" == ok ]] || failed+=("$target")
done
if ((${#failed[@]})); then
  echo "sanitize: fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "sanitize: ${#targets[@]} fuzz targets clean, ${seconds} s each"
