#!/usr/bin/env bash
# Learning, measured: cudagrad and PyTorch train the same model with the same
# recipe on the same split of the same real images, on the CPU, and are
# evaluated on the same test images.
#
#   bench/learn_compare.sh [build/cudagrad]
#
# For each model below: `cudagrad train` on ../shared/data/isic2018-task3
# (its stratified 64/16/20 split, fixed seed), `cudagrad evaluate` on the test
# part and on every present image of ../shared/data/ham10000, then
# bench/learn_pytorch.py on the same run folder (same config.json, same
# splits.csv). The side-by-side table, with every setting, the wall time of
# each side, the machine and the versions, is appended to bench/LEARNING.md.
#
# Settings, through the environment (defaults: what fits in about 70 minutes
# on a 2-core machine; the recipes' own values are in cli/recipes.cpp):
#   SEED (7)  THREADS (2)  DATA (../shared/data)  OUT (runs/learn)
#   MODELS ("lenet mobilenet resnet18"; resnet18-lr1e-3 is a further choice)
#   LENET_EPOCHS (8)
#   RESNET_EPOCHS (8)  RESNET_INPUT (96)
#   MOBILENET_EPOCHS (8)  MOBILENET_INPUT (128)  MOBILENET_PATIENCE (5)
#   TABLE_ONLY=1: train nothing, append the table of the runs already in OUT
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-build/cudagrad}
PY=/usr/bin/python3  # Debian's python3-torch and python3-torchvision
SEED=${SEED:-7}
THREADS=${THREADS:-2}
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/learn}
MODELS=${MODELS:-"lenet mobilenet resnet18"}
LENET_EPOCHS=${LENET_EPOCHS:-8}
RESNET_EPOCHS=${RESNET_EPOCHS:-8}
RESNET_INPUT=${RESNET_INPUT:-96}
MOBILENET_EPOCHS=${MOBILENET_EPOCHS:-8}
MOBILENET_INPUT=${MOBILENET_INPUT:-128}
MOBILENET_PATIENCE=${MOBILENET_PATIENCE:-5}
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
  nice -n 5 "$BIN" train $(flags_for "$model") --data "$DATA/isic2018-task3" --seed "$SEED" \
    --threads "$THREADS" --device cpu --out "$dir" > "$dir.cudagrad.log" 2>&1 \
    || { tail -20 "$dir.cudagrad.log"; exit 1; }
  nice -n 5 "$BIN" evaluate --checkpoint "$dir" --split test --threads "$THREADS" \
    --device cpu >> "$dir.cudagrad.log" 2>&1
  nice -n 5 "$BIN" evaluate --checkpoint "$dir" --data "$DATA/ham10000" --skip-missing 1 \
    --threads "$THREADS" --device cpu >> "$dir.cudagrad.log" 2>&1
  echo $(( $(now) - t0 )) > "$dir.cudagrad.seconds"
  grep -E "^epoch|^done|early stopping" "$dir.cudagrad.log" | tail -3

  echo "=== $model: PyTorch on the same run folder"
  t0=$(now)
  nice -n 5 "$PY" bench/learn_pytorch.py "$dir" --second-test "$DATA/ham10000" \
    --threads "$THREADS" > "$dir.pytorch.log" 2>&1 || { tail -20 "$dir.pytorch.log"; exit 1; }
  echo $(( $(now) - t0 )) > "$dir.pytorch.seconds"
  tail -5 "$dir.pytorch.log"
done

# ---- the table ---------------------------------------------------------------------
times=""
for model in $MODELS; do
  [ -f "$OUT/$model.pytorch.seconds" ] || continue
  times="$times $model=$(cat "$OUT/$model.cudagrad.seconds"),$(cat "$OUT/$model.pytorch.seconds")"
done
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
versions="cudagrad $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/LEARNING.md' || echo '+changes'), $(g++ --version | head -1), $("$PY" -c 'import torch, torchvision, PIL; print(f"PyTorch {torch.__version__}, torchvision {torchvision.__version__}, Pillow {PIL.__version__}")')"

"$PY" - "$OUT" "$SEED" "$THREADS" "$cpu" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$versions" "$times" <<'EOF' | tee -a "$REPORT"
import json, os, sys, datetime
out, seed, threads, cpu, cores, load, versions, times = sys.argv[1:9]
seconds = dict(t.split("=") for t in times.split())
pct = lambda v: f"{100 * v:.1f}"
print(f"\n### {datetime.date.today()}: {cpu}, {cores} cores, {threads} threads, seed {seed}\n")
print(f"{versions}. Load average at the end: {load}.\n")
print("| model | settings | engine | best epoch | isic2018 test acc | bal acc | macro F1 "
      "| ham10000 acc | bal acc | macro F1 | wall s |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for model, secs in seconds.items():
    d = os.path.join(out, model)
    cfg = json.load(open(os.path.join(d, "config.json")))
    setting = (f"{cfg['optimizer']} lr {cfg['lr']:g}, batch {cfg['batch']}, {cfg['epochs']} epochs"
               f"{', early stop ' + str(cfg['early-stopping']) if cfg['early-stopping'] else ''}, "
               f"{cfg['input']}px, {cfg['augment']}, weights {cfg['class-weights']}")
    cg_secs, pt_secs = secs.split(",")
    import csv
    rows = list(csv.DictReader(open(os.path.join(d, "metrics.csv"))))
    best = min(rows, key=lambda r: float(r["val_loss"]))["epoch"]
    test, ham = json.load(open(os.path.join(d, "eval.json"))), json.load(
        open(os.path.join(d, "eval-ham10000.json")))
    pt = json.load(open(os.path.join(d, "pytorch.json")))
    sets = [(test, pt["results"]["test"]), (ham, pt["results"]["ham10000"])]
    for engine, pick, b, s in (("cudagrad", 0, best, cg_secs),
                               ("PyTorch", 1, pt["best_epoch"], pt_secs)):
        cells = []
        for pair in sets:
            m = pair[pick]
            cells += [pct(m["accuracy"]), pct(m["balanced_accuracy"]), pct(m["macro_f1"])]
        print(f"| {model} | {setting} | {engine} | {b}/{len(rows) if pick == 0 else len(pt['epochs'])}"
              f" | {' | '.join(cells)} | {s} |")
test = json.load(open(os.path.join(out, list(seconds)[0], "eval.json")))
ham = json.load(open(os.path.join(out, list(seconds)[0], "eval-ham10000.json")))
print(f"\nImages: isic2018-task3 1,007 (train/val/test as splits.csv: test {test['samples']}), "
      f"ham10000 {ham['samples']} present. Majority class (nv) on the test part: accuracy "
      f"{pct(test['majority_baseline']['accuracy'])}%, balanced accuracy "
      f"{pct(test['majority_baseline']['balanced_accuracy'])}%; on ham10000: "
      f"{pct(ham['majority_baseline']['accuracy'])}%, "
      f"{pct(ham['majority_baseline']['balanced_accuracy'])}%. Wall s: train + both evaluations.")
EOF
