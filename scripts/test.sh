#!/usr/bin/env bash
# Builds cudagrad and runs every test, twice: a release build (with the CUDA
# parts when nvcc is present) and an AddressSanitizer + UndefinedBehaviorSanitizer
# build. Prints ctest's summary for each. Then runs each fuzz target for
# FUZZ_SECONDS (default 60; 0 skips fuzzing) from its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
# ctest runs test processes side by side, each with its OpenMP threads:
# waiting threads must sleep, not spin, or they starve the working ones.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

echo "== release build (CUDAGRAD_CUDA=${CUDAGRAD_CUDA:-AUTO})"
cmake -S . -B build -DCUDAGRAD_CUDA="${CUDAGRAD_CUDA:-AUTO}" > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$jobs" >> build.log 2>&1 || { tail -n 80 build.log; exit 1; }
ctest --test-dir build --output-on-failure -j"$jobs"
build/bench/cudagrad-bench --devices  # whether the GPU tests above ran on a GPU, or why not

echo "== sanitizer build (ASan + UBSan, CPU only)"
cmake -S . -B build-sanitize -DCUDAGRAD_CUDA=OFF -DCUDAGRAD_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  > build-sanitize.log 2>&1 || { cat build-sanitize.log; exit 1; }
cmake --build build-sanitize -j"$jobs" >> build-sanitize.log 2>&1 || { tail -n 80 build-sanitize.log; exit 1; }
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j"$jobs"

seconds=${FUZZ_SECONDS:-60}
if [ "$seconds" -gt 0 ]; then
  echo "== fuzz targets (clang, ASan + UBSan + libFuzzer, ${seconds} s each)"
  bash scripts/fuzz.sh "$seconds"
else
  echo "== fuzz targets skipped (FUZZ_SECONDS=0)"
fi
