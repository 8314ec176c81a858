#!/usr/bin/python3
"""Evaluate a cudagrad run's best.safetensors in PyTorch, on PIL-decoded pixels.

    /usr/bin/python3 bench/learn_crosscheck.py RUN_DIR [RUN_DIR ...] [--data DIR]

best.safetensors holds torchvision names, so the PyTorch model of
learn_pytorch.py loads it as it is. Evaluating it on another dataset (default
../shared/data/ham10000, every present image) with learn_pytorch.py's
decoding and metrics, beside the run's own eval-<dataset>.json from
`cudagrad evaluate`, separates two questions: do the two engines compute the
same predictions from the same weights, and do the two image pipelines
(TurboJPEG + area resize, PIL draft + BOX) feed them the same pixels? Equal
numbers answer both; a gap between learn_pytorch.py's and cudagrad's own
results then comes from training, not from inference or decoding.
"""
import argparse
import json
import os
import struct

import numpy as np
import torch

import learn_pytorch as L


def load_safetensors(path):
    """name -> float32 tensor (the format: u64 header length, JSON header, data)."""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header, data = json.loads(blob[8:8 + n]), blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        tensors[name] = torch.from_numpy(
            np.frombuffer(data[start:end], dtype=np.float32).copy()).reshape(info["shape"])
    return tensors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__),
                                                   "../../shared/data/ham10000"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    name = os.path.basename(os.path.normpath(args.data))
    listed, present = L.read_labels(args.data), L.index_images(args.data)
    found = [(present[i], label) for i, label in listed if i in present]
    print("| run | predictions from | images | accuracy | balanced accuracy | macro F1 |")
    print("|---|---|---:|---:|---:|---:|")
    for run in args.runs:
        cfg = json.load(open(os.path.join(run, "config.json")))
        model = L.build_model(cfg, len(L.CLASSES))
        model.load_state_dict(load_safetensors(os.path.join(run, "best.safetensors")))
        x = L.load_images([p for p, _ in found], int(cfg["input"]))
        y = [label for _, label in found]
        logits, _ = L.predict(model, x, y, cfg["normalization"], torch.ones(len(L.CLASSES)))
        ours = L.metrics(y, logits.argmax(1).tolist(), len(L.CLASSES))
        theirs = json.load(open(os.path.join(run, f"eval-{name}.json")))
        for label, m, n in (("PyTorch forward, PIL pixels", ours, ours["images"]),
                            ("cudagrad evaluate", theirs, theirs["samples"])):
            print(f"| {run} | {label} | {n} | {100 * m['accuracy']:.1f}% | "
                  f"{100 * m['balanced_accuracy']:.1f}% | {100 * m['macro_f1']:.1f}% |")


if __name__ == "__main__":
    main()
