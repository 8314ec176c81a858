#!/usr/bin/env bash
# Reliability soak (not part of CI): N small training runs, each stopped at a
# random moment by SIGKILL, SIGTERM or SIGINT (caching, setup, training,
# validation, checkpoint writing: wherever the moment falls), then continued
# until done. Every run must end with
#   - the killed process's status 0 (it finished first), 130, 143 or 137;
#   - last.ckpt and best.safetensors bitwise equal (every tensor) to those of
#     an uninterrupted run, and the same metrics.csv numbers;
#   - no stray files: the run folder holds exactly the run's five files (no
#     temporary, no lock), the cache folder exactly one cache file.
# Continuing: `train --resume` when last.ckpt exists, else the same `train`
# command again (a run stopped before its first checkpoint starts over). A
# run killed after its last checkpoint is finished: `--resume` says there
# is nothing to continue, and its files are checked as they are.
#
#   bench/soak.sh [N]        (default 200; needs a release build in build/)
#
# Prints one line per iteration and a summary: iterations, failures, and
# where the signals landed. Exits non-zero when any iteration failed; the
# folders of a failed iteration are kept under $SOAK_DIR/failed-<i>.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
[ -x build/cudagrad ] || { echo "soak.sh: build first: build/cudagrad is missing" >&2; exit 1; }
work=${SOAK_DIR:-$(mktemp -d /tmp/cudagrad-soak.XXXXXX)}
mkdir -p "$work"
# A copy, so that rebuilding while the soak runs does not change the program.
bin=$work/cudagrad
cp build/cudagrad "$bin"
echo "soak: $n iterations in $work"

"$bin" sample-data --out "$work/data" --images 200 --seed 3 > /dev/null
train_flags="--data $work/data --model mobilenet --width 0.25 --input 64 --threads 1 --batch 8
             --epochs 4 --seed 5 --augment flip-rotate --optimizer adam"
train() {  # train OUT CACHE_DIR [more flags]
  local out=$1 cache=$2
  shift 2
  # exec: run in the background, the job's pid is cudagrad's own, so the
  # signal reaches it and not a shell around it.
  # shellcheck disable=SC2086  # the flags are words
  exec "$bin" train $train_flags --out "$out" --cache-dir "$cache" "$@"
}

# The uninterrupted run, and how long it takes (the kills fall in 0..1.2x that).
start=$(date +%s%N)
(train "$work/reference" "$work/reference-cache" > "$work/reference.log" 2>&1)
reference_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "reference run: ${reference_ms} ms"

# Every tensor of two safetensors files bitwise equal, under the same names.
same_tensors() {
  python3 - "$1" "$2" <<'EOF'
import json, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    return {k: data[base + v["data_offsets"][0]: base + v["data_offsets"][1]] for k, v in header.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
sys.exit(0 if a == b and len(a) > 0 else 1)
EOF
}

# metrics.csv without its timing columns (seconds, images_per_s, data_wait).
numbers() { cut -d, -f1-8 "$1"; }

# Where the signal landed, from the killed run's output: "epoch-K" is the
# training, validation or checkpoint writing of epoch K.
phase_of() {
  local log=$1
  if grep -q '^done:' "$log"; then echo finished-first
  elif grep -q '^epoch ' "$log"; then echo "epoch-$(( $(grep -c '^epoch ' "$log") + 1 ))"
  elif grep -q '^writing ' "$log"; then echo epoch-1
  elif grep -q 'images in' "$log"; then echo setup-after-cache
  elif grep -q '^caching' "$log"; then echo caching
  else echo setup-before-cache
  fi
}

failures=0
declare -A landed
signals=(KILL TERM INT)
for i in $(seq 1 "$n"); do
  run=$work/run cache=$work/cache log=$work/killed.log
  rm -rf "$run" "$cache"
  signal=${signals[RANDOM % 3]}
  delay_ms=$(( (RANDOM * 32768 + RANDOM) % (reference_ms * 12 / 10 + 1) ))
  train "$run" "$cache" > "$log" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -s "$signal" "$pid" 2> /dev/null || true
  status=0
  { wait "$pid"; } 2> /dev/null || status=$?
  phase=$(phase_of "$log")
  landed[$phase]=$(( ${landed[$phase]:-0} + 1 ))

  problem=""
  case $status in 0|130|143|137) ;; *) problem="killed run exited with $status" ;; esac
  # Continue until the run is done (a second signal is never sent). A kill
  # after the last checkpoint leaves a finished run: --resume says so.
  finished() { grep -q -e '^done:' -e 'nothing to continue: the run reached its --epochs' "$log"; }
  for attempt in 1 2 3; do
    finished && break
    if [ -f "$run/last.ckpt" ]; then
      "$bin" train --resume "$run" --cache-dir "$cache" > "$log" 2>&1 || true
    else
      (train "$run" "$cache" > "$log" 2>&1) || true
    fi
  done
  finished || problem="${problem:+$problem; }did not finish: $(tail -n 1 "$log")"
  if [ -z "$problem" ]; then
    same_tensors "$run/last.ckpt" "$work/reference/last.ckpt" || problem="last.ckpt differs"
    same_tensors "$run/best.safetensors" "$work/reference/best.safetensors" ||
      problem="${problem:+$problem; }best.safetensors differs"
    [ "$(numbers "$run/metrics.csv")" = "$(numbers "$work/reference/metrics.csv")" ] ||
      problem="${problem:+$problem; }metrics.csv differs"
    files=$(cd "$run" && ls -A | tr '\n' ' ')
    [ "$files" = "best.safetensors config.json last.ckpt metrics.csv splits.csv " ] ||
      problem="${problem:+$problem; }run folder holds: $files"
    cached=$(cd "$cache" && ls -A | tr '\n' ' ')
    [[ "$cached" =~ ^[^\ ]+\.cgcache\ $ ]] || problem="${problem:+$problem; }cache folder holds: $cached"
  fi
  if [ -n "$problem" ]; then
    failures=$((failures + 1))
    mv "$run" "$work/failed-$i-run" 2> /dev/null || true
    mv "$cache" "$work/failed-$i-cache" 2> /dev/null || true
    echo "iteration $i: SIG$signal at ${delay_ms} ms ($phase), status $status: FAILED: $problem"
  else
    echo "iteration $i: SIG$signal at ${delay_ms} ms ($phase), status $status: ok"
  fi
done

echo "soak: $n iterations, $failures failed; signals landed:"
for phase in $(printf '%s\n' "${!landed[@]}" | sort); do echo "  $phase: ${landed[$phase]}"; done
[ "$failures" -eq 0 ]
