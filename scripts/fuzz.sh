#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer (in build-fuzz/), then runs each one for
# SECONDS (default 60) starting from its committed seed corpus.
#
#   bash scripts/fuzz.sh [SECONDS]
#
# Runs start from a fixed random seed (FUZZ_SEED, default 1) so that CI's
# run is repeatable; set FUZZ_SEED=0 for a fresh seed each run when hunting.
#
# Prints the executions run and the outcome per target; exits non-zero when
# any target crashed, leaked, hung or failed a check. The input that did it
# is kept in build-fuzz/artifacts/ (replay: build-fuzz/fuzz/<target> FILE).
# Inputs that found new code go to build-fuzz/corpus/<target>/, not into the
# committed seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
seed=${FUZZ_SEED:-1}
jobs=${JOBS:-$(nproc)}
targets=(fuzz_csv fuzz_csv_roundtrip fuzz_safetensors fuzz_image)

echo "== fuzz build (clang, ASan + UBSan + libFuzzer, CPU only)"
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCUDAGRAD_CUDA=OFF -DCUDAGRAD_SANITIZE=ON -DCUDAGRAD_FUZZ=ON -DCUDAGRAD_BUILD_TESTS=OFF \
  > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
cmake --build build-fuzz -j"$jobs" --target "${targets[@]}" >> build-fuzz.log 2>&1 ||
  { tail -n 80 build-fuzz.log; exit 1; }

mkdir -p build-fuzz/artifacts
failed=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  log="build-fuzz/$t.log"
  # The first folder collects new inputs; the committed seeds are read only.
  # -timeout: one input may take at most 10 s; -rss_limit_mb: memory cap
  # (a 16384 x 16384 image, the largest accepted, decodes within it).
  status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/fuzz/$t" "build-fuzz/corpus/$t" "fuzz/corpus/$t" \
    -max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=3072 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" > "$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  corpus=$(find "build-fuzz/corpus/$t" "fuzz/corpus/$t" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    printf '%-18s %10s executions in %ss, %s corpus inputs, no findings\n' \
      "$t" "${execs:-?}" "$seconds" "$corpus"
  else
    failed=1
    printf '%-18s FAILED (exit %s) after %s executions; log: %s\n' "$t" "$status" "${execs:-?}" "$log"
    grep -E "ERROR: |FUZZ_CHECK|SUMMARY|Test unit written" "$log" | head -n 8 || true
  fi
done
exit "$failed"
