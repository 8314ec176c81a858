#!/usr/bin/env bash
# Prints, for every kernel of kernels/cuda/*.cu, what ptxas gives it on one
# architecture: registers per thread, static shared memory, stack frame and
# spill bytes (a spill is a register that did not fit, moved to slow local
# memory). Needs nvcc, not a GPU.
#   scripts/cuda_resources.sh [arch]     arch defaults to 80 (sm_80)
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-80}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

printf '%-22s %-60s %5s %7s %6s %6s %6s\n' file kernel regs smem stack spill_st spill_ld
for source in kernels/cuda/*.cu; do
  nvcc -std=c++17 -arch="sm_${arch}" -I. -Xptxas -v -c "$source" -o "$out/k.o" 2> "$out/ptxas.txt"
  # ptxas reports per kernel: "Compiling entry function '<mangled>'", then
  # "<n> bytes stack frame, <n> bytes spill stores, <n> bytes spill loads",
  # then "Used <n> registers, ... <n> bytes smem".
  awk -v file="$(basename "$source")" '
    /Compiling entry function/ { name = $0; sub(/.*function .\047?/, "", name); sub(/\047.*/, "", name) }
    /bytes stack frame/ { stack = $1; spill_st = $5; spill_ld = $9 }
    /Used [0-9]+ registers/ {
      regs = $0; sub(/.*Used /, "", regs); sub(/ registers.*/, "", regs)
      smem = 0; if (match($0, /[0-9]+ bytes smem/)) { smem = substr($0, RSTART, RLENGTH); sub(/ .*/, "", smem) }
      print file "\t" name "\t" regs "\t" smem "\t" stack "\t" spill_st "\t" spill_ld
    }' "$out/ptxas.txt" |
  while IFS=$'\t' read -r f mangled regs smem stack st ld; do
    # The demangled name without namespaces, return type and parameters.
    name=$(echo "$mangled" | c++filt |
      sed -E 's/\(anonymous namespace\):://g; s/cudagrad::cuda:://g; s/^void //; s/>\(.*$/>/; s/\(.*$//')
    printf '%-22s %-60.60s %5s %7s %6s %6s %6s\n' "$f" "$name" "$regs" "$smem" "$stack" "$st" "$ld"
  done
done
