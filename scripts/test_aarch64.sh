#!/usr/bin/env bash
# Cross-builds cudagrad for 64-bit ARM (aarch64, NEON) with Debian's cross
# compiler and runs the whole CPU test suite under qemu-aarch64, the
# user-mode emulator (build-aarch64/). Takes long under emulation (see the
# README's "Portability" section for the last run's time and result); not
# part of scripts/test.sh for that reason.
#   bash scripts/test_aarch64.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

packages=(g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "== aarch64 cross build (CPU only, no TurboJPEG)"
cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DCUDAGRAD_CUDA=OFF \
  > build-aarch64.log 2>&1 || { cat build-aarch64.log; exit 1; }
cmake --build build-aarch64 -j"$jobs" >> build-aarch64.log 2>&1 || { tail -n 80 build-aarch64.log; exit 1; }
qemu-aarch64 -L /usr/aarch64-linux-gnu build-aarch64/cudagrad --version

echo "== the test suite under qemu-aarch64"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
ctest --test-dir build-aarch64 --output-on-failure -j"$jobs" --timeout 3000
