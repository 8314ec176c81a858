#!/usr/bin/env bash
# Installs what cudagrad needs to build and test, from Debian packages.
# Idempotent: does nothing when everything is already installed. The CUDA
# toolkit is optional and not installed here (the build uses it when nvcc is
# on PATH).
set -euo pipefail

packages=(
  cmake g++ make          # the build
  libeigen3-dev           # matrix products in the CPU backend
  libstb-dev              # image decoding and writing
  nlohmann-json3-dev      # JSON (base/json.h)
  libturbojpeg0-dev       # faster JPEG decoding (optional: stb is the fallback)
  pkg-config              # finds TurboJPEG
  doctest-dev             # the test framework
  libexpat1-dev           # parses the report's SVG charts in the tests
  chromium-headless-shell # renders the report in a real browser (tests/report_in_browser.cpp)
  clang libclang-rt-dev   # the clang build, and the fuzz targets (scripts/fuzz.sh): libFuzzer and the sanitizers
  libomp-dev              # OpenMP for clang
  qemu-user               # runs the tests on an emulated CPU without AVX-512 (scripts/test.sh)
  binutils                # ld -r and objcopy isolate the CPU vector targets (kernels/cpu/CMakeLists.txt)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
