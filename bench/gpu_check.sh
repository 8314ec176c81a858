#!/usr/bin/env bash
# One prepared run of every GPU check, for the first machine with an H100
# (none was available where this was written, so this script has never run).
#   bench/gpu_check.sh [OUT_DIR]        (default build-gpu-check)
# Steps, each under its own time limit so the whole stays under 8 minutes:
#   1. build for sm_90 (Release; ccache if present)                    <= 240 s
#   2. the device tests: every kernel against the reference on the
#      GPU (tests/kernel_checks.cpp) and against cuDNN / cuBLAS          <= 60 s
#   3. compute-sanitizer memcheck, racecheck, synccheck, initcheck on
#      the kernel checks (the same tests)                                <= 45 s each
#   4. the kernel table against cuDNN / cuBLAS on every layer shape of
#      LeNet, ResNet-18 and MobileNet at batch 32 (cudagrad-bench)      <= 90 s
#   5. training throughput of the three models against PyTorch, if a
#      python with CUDA torch is found (PYTHON=...)                      <= 60 s
# and writes one table, OUT_DIR/gpu_check.md, with each step's outcome and
# time and the throughput rows; the logs and the benchmark's CSV lie beside it.
# A step that fails or runs out of time is recorded and the next one runs.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${1:-build-gpu-check}
build=$out/build
mkdir -p "$out"
table=$out/gpu_check.md
python=${PYTHON:-python3}
jobs=$(nproc)
rows=""
failures=0

# run NAME LIMIT_S LOG COMMAND...: runs it under `timeout`, adds a row.
run() {
  local name=$1 limit=$2 log=$3
  shift 3
  local start=$SECONDS status result
  timeout "$limit" "$@" > "$log" 2>&1
  status=$?
  case $status in
    0) result=pass ;;
    124) result="timeout after ${limit} s"; failures=$((failures + 1)) ;;
    *) result="FAIL (exit $status)"; failures=$((failures + 1)) ;;
  esac
  rows+="| $name | $result | $((SECONDS - start)) | $(basename "$log") |"$'\n'
  return $status
}

launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
run "build for sm_90" 240 "$out/build.log" bash -c "
  cmake -S . -B '$build' -DCMAKE_BUILD_TYPE=Release -DCUDAGRAD_CUDA=ON \
        -DCMAKE_CUDA_ARCHITECTURES=90 ${launcher[*]} &&
  cmake --build '$build' -j $jobs --target cudagrad_tests cudagrad-bench gpu_train_throughput" || {
  printf '| step | result | s | log |\n|---|---|---|---|\n%s' "$rows" > "$table"
  echo "gpu_check: the build failed; see $out/build.log"; exit 1; }

tests=$build/tests/cudagrad_tests
gpu=$("$build/bench/cudagrad-bench" --devices 2>&1 | head -1)

run "device tests (kernels vs reference, vs cuDNN/cuBLAS)" 60 "$out/device_tests.log" \
  "$tests" -tc='cuda device*,cuda vs*'

# compute-sanitizer on the kernel checks (the allocator's out-of-memory test
# is left out: it asks for more memory than the GPU has on purpose).
checks='cuda device: memory,cuda device: elementwise*,cuda device: log_softmax*,cuda device: pooling,cuda device: batch norm,cuda device: optimizers,cuda device: linear*,cuda device: conv2d*,cuda device: depthwise*'
for tool in memcheck racecheck synccheck initcheck; do
  run "compute-sanitizer $tool" 45 "$out/sanitizer_$tool.log" \
    compute-sanitizer --tool "$tool" --error-exitcode 1 "$tests" -tc="$checks"
done

run "kernel table vs cuDNN/cuBLAS (cudagrad-bench)" 90 "$out/kernel_bench.log" bash -c \
  "'$build/bench/cudagrad-bench' --csv --repeats 5 --warmup 2 > '$out/kernel_bench.csv'"
bench_summary=$(awk -F, 'NR > 1 { bad += ($12 != "yes") }
  NR > 1 && $10 != "" { n[$1]++; log_sum[$1] += log($10); faster[$1] += ($10 > 1) }
  END { for (m in n) printf "%s: %d cases, ours faster in %d, geometric mean speedup %.2f; ",
                            m, n[m], faster[m], exp(log_sum[m] / n[m]);
        printf "%d case(s) outside tolerance", bad }' "$out/kernel_bench.csv" 2> /dev/null)

throughput=""
have_torch=$("$python" -c 'import torch; print(torch.cuda.is_available())' 2> /dev/null)
# cudagrad's and PyTorch's training step, one model after the other.
throughput_runs() {
  local model
  for model in lenet resnet18 mobilenet; do
    "$build/bench/gpu_train_throughput" --model "$model" --batch 32 || return 1
    if [ "$have_torch" = True ]; then
      "$python" bench/gpu_compare_pytorch.py --model "$model" --batch 32 || return 1
    fi
  done
}
export build python have_torch
export -f throughput_runs
run "training throughput vs PyTorch" 60 "$out/throughput.log" bash -c throughput_runs
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
while read -r line; do
  case $line in model=*) ;; *) continue ;; esac
  model=$(field "$line" model)
  if [ -n "$(field "$line" torch)" ]; then
    throughput+="| $model | PyTorch $(field "$line" torch) | $(field "$line" train_img_s) |"$'\n'
  else
    throughput+="| $model | cudagrad | $(field "$line" train_img_s) |"$'\n'
  fi
done < "$out/throughput.log"
[ "$have_torch" = True ] || throughput+="| (all) | PyTorch | not run: no CUDA torch for $python |"$'\n'

{
  echo "### GPU check $(date -u +%Y-%m-%dT%H:%MZ), cudagrad $(git rev-parse --short HEAD)"
  echo "$gpu; nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'); driver $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2> /dev/null | head -1)"
  echo
  echo "| step | result | s | log |"
  echo "|---|---|---|---|"
  printf '%s' "$rows"
  echo
  echo "Kernel table (speedup = cuDNN/cuBLAS ms / ours, FP32, no TF32): ${bench_summary:-no CSV}"
  echo
  echo "| model (batch 32, 224x224, Adam) | engine | train img/s |"
  echo "|---|---|---|"
  printf '%s' "$throughput"
} > "$table"
cat "$table"
echo "gpu_check: $failures step(s) failed or timed out; $SECONDS s in all"
[ "$failures" -eq 0 ]
