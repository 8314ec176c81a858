#!/usr/bin/env bash
# Learning, measured: cudagrad and PyTorch train the same model with the same
# recipe on the same split of the same real images, on the CPU, and are
# evaluated on the same test images.
#
#   bench/learn_compare.sh [build/cudagrad]
#
# For each model below: `cudagrad train` on TRAIN (all of HAM10000 at
# 200x150 by default; cudagrad's lesion-grouped, stratified 64/16/20 split,
# fixed seed), `cudagrad evaluate` on the test part and on every image of
# SECOND (the 1,007 ISIC 2018 Task 3 test images: other lesions, the
# challenge's own protocol), then bench/learn_pytorch.py on the same run
# folder (same config.json, same splits.csv). bench/learn_table.py appends
# the side-by-side table (every setting, per-class recall, the majority
# baseline, the wall time of each side, the machine and the versions) to
# bench/LEARNING.md.
#
# Settings, through the environment (the recipes' own values are in
# cli/recipes.cpp; the defaults shorten them to fit a 2-core machine):
#   SEED (7)  THREADS (2)  OUT (runs/learn)
#   TRAIN (../shared/data/ham10000-200x150)  SECOND (../shared/data/isic2018-task3)
#   MODELS ("lenet resnet18 mobilenet"; resnet18-lr1e-3 is a further choice)
#   LENET_EPOCHS (6)
#   RESNET_EPOCHS (5)  RESNET_INPUT (96)
#   MOBILENET_EPOCHS (3)  MOBILENET_INPUT (128)  MOBILENET_PATIENCE (5)
#   EXTRA: more flags for every cudagrad run (e.g. "--class-weights balanced")
#   TABLE_ONLY=1: train nothing, append the table of the runs already in OUT
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-build/cudagrad}
PY=/usr/bin/python3  # Debian's python3-torch and python3-torchvision
SEED=${SEED:-7}
THREADS=${THREADS:-2}
TRAIN=${TRAIN:-../shared/data/ham10000-200x150}
SECOND=${SECOND:-../shared/data/isic2018-task3}
OUT=${OUT:-runs/learn}
MODELS=${MODELS:-"lenet resnet18 mobilenet"}
LENET_EPOCHS=${LENET_EPOCHS:-6}
RESNET_EPOCHS=${RESNET_EPOCHS:-5}
RESNET_INPUT=${RESNET_INPUT:-96}
MOBILENET_EPOCHS=${MOBILENET_EPOCHS:-3}
MOBILENET_INPUT=${MOBILENET_INPUT:-128}
MOBILENET_PATIENCE=${MOBILENET_PATIENCE:-5}
EXTRA=${EXTRA:-}
REPORT=bench/LEARNING.md

[ -x "$BIN" ] || { echo "no $BIN: cmake --build build --target cudagrad_cli" >&2; exit 1; }
mkdir -p "$OUT"

# The recipe and the flags that change it, per model.
flags_for() {
  case "$1" in
    lenet) echo "--recipe lenet-tutorial --epochs $LENET_EPOCHS" ;;
    resnet18) echo "--recipe resnet18-tutorial --epochs $RESNET_EPOCHS --input $RESNET_INPUT" ;;
    resnet18-lr1e-3)
      echo "--recipe resnet18-tutorial --epochs $RESNET_EPOCHS --input $RESNET_INPUT --lr 1e-3" ;;
    mobilenet)
      echo "--recipe mobilenet-tutorial --epochs $MOBILENET_EPOCHS --input $MOBILENET_INPUT" \
           "--early-stopping $MOBILENET_PATIENCE" ;;
    *) echo "unknown model $1" >&2; exit 1 ;;
  esac
}

now() { date +%s; }
for model in $MODELS; do
  [ -n "${TABLE_ONLY:-}" ] && break  # TABLE_ONLY=1: only (re)write the table of finished runs
  dir="$OUT/$model"
  rm -rf "$dir"
  echo "=== $model: cudagrad $(flags_for "$model")"
  t0=$(now)
  # shellcheck disable=SC2046
  nice -n 5 "$BIN" train $(flags_for "$model") $EXTRA --data "$TRAIN" --seed "$SEED" \
    --threads "$THREADS" --device cpu --out "$dir" > "$dir.cudagrad.log" 2>&1 \
    || { tail -20 "$dir.cudagrad.log"; exit 1; }
  nice -n 5 "$BIN" evaluate --checkpoint "$dir" --split test --threads "$THREADS" \
    --device cpu >> "$dir.cudagrad.log" 2>&1
  nice -n 5 "$BIN" evaluate --checkpoint "$dir" --data "$SECOND" --skip-missing 1 \
    --threads "$THREADS" --device cpu >> "$dir.cudagrad.log" 2>&1
  echo $(( $(now) - t0 )) > "$dir.cudagrad.seconds"
  grep -E "^epoch|^done|early stopping" "$dir.cudagrad.log" | tail -3

  echo "=== $model: PyTorch on the same run folder"
  t0=$(now)
  nice -n 5 "$PY" bench/learn_pytorch.py "$dir" --second-test "$SECOND" \
    --threads "$THREADS" > "$dir.pytorch.log" 2>&1 || { tail -20 "$dir.pytorch.log"; exit 1; }
  echo $(( $(now) - t0 )) > "$dir.pytorch.seconds"
  tail -5 "$dir.pytorch.log"
done

# ---- the table ---------------------------------------------------------------------
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
versions="cudagrad $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/LEARNING.md' || echo '+changes'), $(g++ --version | head -1), $("$PY" -c 'import torch, torchvision, PIL; print(f"PyTorch {torch.__version__}, torchvision {torchvision.__version__}, Pillow {PIL.__version__}")')"
"$PY" bench/learn_table.py --out "$OUT" --models "$MODELS" --second "$(basename "$SECOND")" \
  --seed "$SEED" --threads "$THREADS" --cpu "$cpu, $(nproc) cores" \
  --load "$(cut -d' ' -f1-3 /proc/loadavg)" --versions "$versions" | tee -a "$REPORT"
