#!/usr/bin/env bash
# Training throughput of cudagrad's CPU backend beside PyTorch's, same
# models, shapes, optimizer and thread count, in one run on one machine.
# Prints a table and appends it, with the machine and versions, to
# bench/RESULTS.md.
#   bench/compare.sh [THREADS] [wall|cpu]   (default 2 threads, wall clock)
# With `cpu` both sides time a step by the process's CPU time (all threads
# added up) instead of the wall clock: on a machine shared with other work
# that stays near what an idle machine gives, where wall time does not (use
# it with 1 thread: waiting threads that spin would count as work).
# Needs a release build in build/ (cmake -S . -B build && cmake --build build)
# and PyTorch for /usr/bin/python3 (Debian's python3-torch python3-torchvision),
# or set PYTHON to another interpreter with torch. cudagrad runs the best
# vector target of the CPU; CUDAGRAD_CPU_TARGET=avx2 times the AVX2 code on
# an AVX-512 machine (the heading then says so).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
clock=${2:-wall}
python=${PYTHON:-/usr/bin/python3}
bin=build/bench/train_throughput
[ -x "$bin" ] || { echo "compare.sh: build first: $bin is missing" >&2; exit 1; }
export OMP_NUM_THREADS=$threads OMP_PROC_BIND=close
# With cudagrad's AVX2 target forced, PyTorch is held to AVX2 too: its own
# kernels (ATen), oneDNN's convolutions and OpenBLAS's GEMM, each by its
# documented variable, so both sides run as on an AVX2-only machine.
torch_isa=""
if [ "${CUDAGRAD_CPU_TARGET:-}" = avx2 ]; then
  torch_isa="ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell"
fi

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=""
for spec in "lenet 32" "mobilenet 16" "resnet18 16"; do
  set -- $spec
  ours=$("$bin" --model "$1" --batch "$2" --steps 5 --warmup 2 --clock "$clock")
  theirs=$(env $torch_isa "$python" bench/compare_pytorch.py --model "$1" --batch "$2" --threads "$threads" --steps 5 --warmup 2 --clock "$clock")
  ratio=$(awk -v a="$(field "$ours" train_img_s)" -v b="$(field "$theirs" train_img_s)" 'BEGIN{printf "%.2f", a/b}')
  rows+="| $1 | $2 | $(field "$ours" train_img_s) | $(field "$theirs" train_img_s) | $ratio | $(field "$ours" infer_img_s) | $(field "$theirs" infer_img_s) | $(field "$ours" train_peak_rss_mb) | $(field "$theirs" train_peak_rss_mb) | $(field "$ours" peak_rss_mb) | $(field "$theirs" peak_rss_mb) |"$'\n'
  echo "$ours"; echo "$theirs"
done

torch_version=$("$python" -c 'import torch; print(torch.__version__)')
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
flags=$(grep -o -w -E 'avx512f|avx2|fma|asimd' /proc/cpuinfo | sort -u | tr '\n' ' ')
target=$(field "$ours" cpu_target)
if [ -n "${CUDAGRAD_CPU_TARGET:-}" ]; then
  target_note="the $target target forced with CUDAGRAD_CPU_TARGET on a CPU with ${flags% }${torch_isa:+; PyTorch held to AVX2 with $torch_isa}"
else
  target_note="the $target target, the best this CPU runs"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
report="### $(date -u +%Y-%m-%d) — $cpu, $(getconf _NPROCESSORS_ONLN) cores (${flags% }), $threads threads
Load average before / after: $load_before / $load_after (above the core count means other work shared the cores; both sides then run slower, and not equally).
cudagrad $(git rev-parse --short HEAD) (g++ $(g++ -dumpversion), Eigen, OpenMP; $target_note) vs PyTorch $torch_version ($python).
Training: forward + weighted cross-entropy + backward + Adam, 224x224, median of 5 steps after 2 warm-up, timed by the $clock clock$([ "$clock" = cpu ] && echo " (CPU time of all threads; img/s per CPU-second)" || true).
Inference: eval mode, batch 32. Peak RSS: after the training steps (training alone), and of the whole process (training, then inference).

| model | batch | cudagrad train img/s | PyTorch train img/s | ratio | cudagrad infer img/s | PyTorch infer img/s | cudagrad train peak RSS MB | PyTorch train peak RSS MB | cudagrad process peak RSS MB | PyTorch process peak RSS MB |
|---|---|---|---|---|---|---|---|---|---|---|
$rows"
echo
echo "$report"
printf '\n%s\n' "$report" >> bench/RESULTS.md
