#!/usr/bin/python3
"""The side-by-side table of bench/learn_compare.sh's runs, as Markdown.

    /usr/bin/python3 bench/learn_table.py --out runs/learn --models "lenet resnet18" \\
        --second isic2018-task3 [--seed 7 --threads 2 --cpu ... --load ... --versions ...]

For each model folder OUT/MODEL (a finished `cudagrad train` run with its
eval.json, eval-SECOND.json and PyTorch's pytorch.json) it prints one row per
engine with accuracy, balanced accuracy (mean recall over the classes present,
the ISIC 2018 ranking metric) and macro F1 on the run's test part and on the
second test set, then the per-class recall of every row, and the majority
predictor's scores on both sets. Wall seconds come from OUT/MODEL.*.seconds.
"""
import argparse
import csv
import datetime
import json
import os

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def load(path):
    with open(path) as f:
        return json.load(f)


def setting(cfg):
    """One line of the run's recipe, from config.json (either spelling of its keys)."""
    get = lambda *keys: next((cfg[k] for k in keys if k in cfg), None)
    stop = get("early-stopping", "early_stopping")
    return (f"{get('optimizer')} lr {float(get('lr')):g}, batch {get('batch')}, "
            f"{get('epochs')} epochs{', early stop ' + str(stop) if stop else ''}, "
            f"{get('input')}px, {get('augment')}, weights {get('class-weights', 'class_weights')}")


def recalls(confusion):
    """Per-class recall in %, '-' for a class with no images."""
    cells = []
    for c, row in enumerate(confusion):
        total = sum(row)
        cells.append(f"{100 * row[c] / total:.0f}" if total else "-")
    return cells


def pct(v):
    return f"{100 * v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--second", required=True, help="the second test set's folder name")
    ap.add_argument("--seed", default="?")
    ap.add_argument("--threads", default="?")
    ap.add_argument("--cpu", default="?")
    ap.add_argument("--load", default="?")
    ap.add_argument("--versions", default="?")
    a = ap.parse_args()

    rows, first = [], None
    for model in a.models.split():
        d = os.path.join(a.out, model)
        if not os.path.exists(os.path.join(d, "pytorch.json")):
            continue
        cfg = load(os.path.join(d, "config.json"))
        with open(os.path.join(d, "metrics.csv"), newline="") as f:
            epochs = list(csv.DictReader(f))
        best = min(epochs, key=lambda r: float(r["val_loss"]))["epoch"]
        test, second = load(os.path.join(d, "eval.json")), load(
            os.path.join(d, f"eval-{a.second}.json"))
        pt = load(os.path.join(d, "pytorch.json"))
        seconds = [open(os.path.join(a.out, f"{model}.{e}.seconds")).read().strip()
                   for e in ("cudagrad", "pytorch")]
        first = first or (test, second)
        rows.append((model, setting(cfg), "cudagrad", f"{best}/{len(epochs)}",
                     test, test["confusion_matrix"], second, second["confusion_matrix"],
                     seconds[0]))
        rows.append((model, setting(cfg), "PyTorch", f"{pt['best_epoch']}/{len(pt['epochs'])}",
                     pt["results"]["test"], pt["results"]["test"]["confusion"],
                     pt["results"][a.second], pt["results"][a.second]["confusion"], seconds[1]))
    if not rows:
        raise SystemExit(f"no finished run with pytorch.json under {a.out}")

    print(f"\n### {datetime.date.today()}: {a.cpu}, {a.threads} threads, seed {a.seed}\n")
    print(f"{a.versions}. Load average at the end: {a.load}.\n")
    print(f"| model | settings | engine | best epoch | test acc | bal acc | macro F1 "
          f"| {a.second} acc | bal acc | macro F1 | wall s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model, s, engine, best, t, _, o, _, secs in rows:
        cells = [pct(m[k]) for m in (t, o) for k in ("accuracy", "balanced_accuracy", "macro_f1")]
        print(f"| {model} | {s} | {engine} | {best} | {' | '.join(cells)} | {secs} |")

    print(f"\nRecall per class, %: test part | {a.second}\n")
    print("| model | engine | " + " | ".join(CLASSES) + " | " + " | ".join(CLASSES) + " |")
    print("|---|---|" + "---:|" * (2 * len(CLASSES)))
    for model, _, engine, _, _, tc, _, oc, _ in rows:
        print(f"| {model} | {engine} | {' | '.join(recalls(tc))} | {' | '.join(recalls(oc))} |")

    test, second = first
    print(f"\nImages: test part {test['samples']} (lesion-grouped split of splits.csv), "
          f"{a.second} {second['samples']}. Majority class ({test['majority_baseline'].get('class', 'nv')}) "
          f"on the test part: accuracy {pct(test['majority_baseline']['accuracy'])}%, balanced "
          f"accuracy {pct(test['majority_baseline']['balanced_accuracy'])}%; on {a.second}: "
          f"{pct(second['majority_baseline']['accuracy'])}%, "
          f"{pct(second['majority_baseline']['balanced_accuracy'])}%. "
          f"Wall s: cudagrad's train + both evaluations; PyTorch's whole script, decoding included.")


if __name__ == "__main__":
    main()
