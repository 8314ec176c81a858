#!/usr/bin/env bash
# Builds cudagrad and runs every test: a release build with g++ (with the
# CUDA parts when nvcc is present), the same with clang++, and an
# AddressSanitizer + UndefinedBehaviorSanitizer build. Prints ctest's summary
# for each. On x86-64 it also runs the CPU backend's tests and a short
# training on an emulated CPU without AVX-512 (qemu's Haswell model: AVX2 and
# FMA), so the AVX2 and SSE2 code paths run as on such a machine, and no
# AVX-512 instruction may leak into them. Then runs each fuzz target for
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
build/cudagrad --version             # which CPU vector target the tests above ran by default

if [ "$(uname -m)" = x86_64 ]; then
  echo "== the release build on an emulated AVX2 CPU without AVX-512 (qemu-x86_64 -cpu Haswell)"
  emulate=(qemu-x86_64 -cpu Haswell)
  "${emulate[@]}" build/cudagrad --version 2>/dev/null | grep -q "^cpu: avx2+fma" ||
    { echo "the AVX2 target was not chosen on the emulated AVX2 CPU"; exit 1; }
  "${emulate[@]}" build/tests/cudagrad_tests -tc="cpu backend*" 2>/dev/null
  "${emulate[@]}" build/cudagrad toy --steps 10 2>/dev/null | tail -n 1
fi

echo "== clang++ release build (CPU only)"
cmake -S . -B build-clang -DCMAKE_CXX_COMPILER=clang++ -DCUDAGRAD_CUDA=OFF > build-clang.log 2>&1 ||
  { cat build-clang.log; exit 1; }
cmake --build build-clang -j"$jobs" >> build-clang.log 2>&1 || { tail -n 80 build-clang.log; exit 1; }
ctest --test-dir build-clang --output-on-failure -j"$jobs"

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
