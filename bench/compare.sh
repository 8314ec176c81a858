#!/usr/bin/env bash
# Training throughput of cudagrad's CPU backend beside PyTorch's, same
# models, shapes, optimizer and thread count, in one run on one machine.
# Prints a table and appends it, with the machine and versions, to
# bench/RESULTS.md.
#   bench/compare.sh [THREADS]        (default 2)
# Needs a release build in build/ (cmake -S . -B build && cmake --build build)
# and PyTorch for /usr/bin/python3 (Debian's python3-torch python3-torchvision),
# or set PYTHON to another interpreter with torch.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
python=${PYTHON:-/usr/bin/python3}
bin=build/bench/train_throughput
[ -x "$bin" ] || { echo "compare.sh: build first: $bin is missing" >&2; exit 1; }
export OMP_NUM_THREADS=$threads OMP_PROC_BIND=close

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=""
for spec in "lenet 32" "mobilenet 16" "resnet18 16"; do
  set -- $spec
  ours=$("$bin" --model "$1" --batch "$2" --steps 5 --warmup 2)
  theirs=$("$python" bench/compare_pytorch.py --model "$1" --batch "$2" --threads "$threads" --steps 5 --warmup 2)
  ratio=$(awk -v a="$(field "$ours" train_img_s)" -v b="$(field "$theirs" train_img_s)" 'BEGIN{printf "%.2f", a/b}')
  rows+="| $1 | $2 | $(field "$ours" train_img_s) | $(field "$theirs" train_img_s) | $ratio | $(field "$ours" infer_img_s) | $(field "$theirs" infer_img_s) | $(field "$ours" train_peak_rss_mb) | $(field "$theirs" train_peak_rss_mb) | $(field "$ours" peak_rss_mb) | $(field "$theirs" peak_rss_mb) |"$'\n'
  echo "$ours"; echo "$theirs"
done

torch_version=$("$python" -c 'import torch; print(torch.__version__)')
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
flags=$(grep -o -w -E 'avx512f|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
report="### $(date -u +%Y-%m-%d) — $cpu, $(nproc) cores (${flags% }), $threads threads
Load average before / after: $load_before / $load_after (above the core count means other work shared the cores; both sides then run slower, and not equally).
cudagrad $(git rev-parse --short HEAD) (g++ $(g++ -dumpversion), Eigen, OpenMP) vs PyTorch $torch_version ($python).
Training: forward + weighted cross-entropy + backward + Adam, 224x224, median of 5 steps after 2 warm-up.
Inference: eval mode, batch 32. Peak RSS: after the training steps (training alone), and of the whole process (training, then inference).

| model | batch | cudagrad train img/s | PyTorch train img/s | ratio | cudagrad infer img/s | PyTorch infer img/s | cudagrad train peak RSS MB | PyTorch train peak RSS MB | cudagrad process peak RSS MB | PyTorch process peak RSS MB |
|---|---|---|---|---|---|---|---|---|---|---|
$rows"
echo
echo "$report"
printf '\n%s\n' "$report" >> bench/RESULTS.md
