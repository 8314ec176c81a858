#!/usr/bin/python3
"""Train the model of a cudagrad run again in PyTorch, on the same split.

    /usr/bin/python3 bench/learn_pytorch.py RUN_DIR [--second-test DATA] [--out FILE]

RUN_DIR is a finished `cudagrad train` run folder. From its config.json this
script takes every setting (model, head, input size, optimizer, lr, momentum,
weight decay, batch, epochs, schedule, class weighting, augmentation,
normalization, early stopping, seed) and from its splits.csv the exact
train / val / test images. It then trains the same model from scratch the way
train/trainer.cpp does:

  * images decoded once, downscaled to input x input by area averaging
    (PIL's draft() for the same DCT-scaled JPEG decode, then Image.BOX, the
    exact area average data/image_resize.cpp computes), kept as uint8;
  * augmentation drawn per image per epoch: cudagrad's affine map about the
    centre (flip, rotation, zoom, shift, shear), sampled bilinearly with the
    nearest edge pixel outside the image (data/augment.cpp), here done with
    grid_sample(padding_mode="border"), which clamps the sample point to the
    image instead of clamping each of the four neighbours; the random numbers
    come from torch's generator, not cudagrad's SplitMix64, so the draws
    differ but their distributions do not;
  * (x / 255 - mean) / std with the run's normalization;
  * weighted cross-entropy with the class weights computed from the training
    part by the same rule (data/class_weights.cpp);
  * the last batch dropped only when it would hold one image (as cudagrad);
  * validation loss weighted the same way (sum w*l / sum w over the part),
    the best epoch by validation loss kept, early stopping on it;
  * the best model evaluated on the test part and, with --second-test, on
    every readable image of another dataset (HAM10000 layout or ISIC 2018
    Task 3 layout), with accuracy, balanced accuracy (mean per-class recall,
    the ISIC 2018 metric) and macro F1 defined as report/metrics.cpp does.

It prints one line per epoch and a table at the end, and writes a JSON file
(default RUN_DIR/pytorch.json) with every setting, the metrics of every
epoch and the final metrics.
"""
import argparse
import csv
import glob
import json
import math
import os
import platform
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]  # data/classes.cpp's order

NORMALIZATION = {  # data/augment.h
    "tutorial": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}

AUGMENT_PRESETS = {  # data/augment.cpp: augment_preset
    "none": dict(flip=False, rotation=0.0, zoom=0.0, shift=0.0, shear=0.0),
    "flip-rotate": dict(flip=True, rotation=60.0, zoom=0.0, shift=0.0, shear=0.0),
    "flip-zoom-shift-rotate": dict(flip=True, rotation=30.0, zoom=0.3, shift=0.3, shear=0.0),
    "flip-zoom-shear": dict(flip=True, rotation=0.0, zoom=0.2, shift=0.0, shear=0.2),
}


# ---- data ---------------------------------------------------------------------------


def index_images(root):
    """image id (file stem) -> path, for every .jpg/.jpeg/.png under root."""
    paths = {}
    for pattern in ("**/*.jpg", "**/*.jpeg", "**/*.png", "**/*.JPG"):
        for p in glob.glob(os.path.join(root, pattern), recursive=True):
            paths.setdefault(os.path.splitext(os.path.basename(p))[0], p)
    return paths


def read_labels(root):
    """(image_id, label index) of every listed image of a HAM10000 or an ISIC 2018
    Task 3 folder, in file order."""
    ham = os.path.join(root, "HAM10000_metadata.csv")
    if os.path.exists(ham):
        with open(ham, newline="") as f:
            return [(r["image_id"], CLASSES.index(r["dx"])) for r in csv.DictReader(f)]
    truth = glob.glob(os.path.join(root, "*GroundTruth*.csv"))
    if len(truth) != 1:
        sys.exit(f"{root}: neither HAM10000_metadata.csv nor one *GroundTruth*.csv")
    with open(truth[0], newline="") as f:
        rows = list(csv.DictReader(f))
    columns = ["AKIEC", "BCC", "BKL", "DF", "MEL", "NV", "VASC"]  # in CLASSES' order
    return [(r["image"], int(np.argmax([float(r[c]) for c in columns]))) for r in rows]


def load_image(path, size):
    """input x input RGB uint8 (3, H, W): DCT-scaled decode no smaller than the
    target (as TurboJPEG's scaled decode in data/image.cpp), then each axis
    resampled as data/image_resize.cpp does: the exact area average where it
    shrinks (PIL's BOX), bilinear between pixel centres where it grows (PIL's
    BILINEAR, whose triangle filter spans one input pixel when enlarging).
    HAM10000's 200x150 files grow to 224x224; ISIC's 300x225 shrink."""
    img = Image.open(path)
    img.draft("RGB", (size, size))
    img = img.convert("RGB")
    w, h = img.size
    if w != size:
        img = img.resize((size, h), Image.BOX if w > size else Image.BILINEAR)
    if h != size:
        img = img.resize((size, size), Image.BOX if h > size else Image.BILINEAR)
    return torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1)


def load_images(paths, size):
    return torch.stack([load_image(p, size) for p in paths]) if paths else torch.empty(0)


def augment(x, preset, gen):
    """cudagrad's affine augmentation on a uint8 batch (N, 3, H, W).

    Output pixel (x, y) samples the source at (a u + b v + cx, c u + e v + cy),
    u = x - cx - tx, v = y - cy - ty, the inverse of
    output = shift + rotate * shear * zoom * flip * (source - centre) + centre."""
    n, _, h, w = x.shape
    o = AUGMENT_PRESETS[preset]

    def sym(r):  # uniform in [-r, r]
        return (torch.rand(n, generator=gen, dtype=torch.float64) * 2 - 1) * r

    flip = (torch.rand(n, generator=gen) < 0.5) & o["flip"]
    angle = sym(o["rotation"]) * math.pi / 180
    zoom_x, zoom_y = 1 + sym(o["zoom"]), 1 + sym(o["zoom"])
    shift_x, shift_y = sym(o["shift"]), sym(o["shift"])
    shear = sym(o["shear"]) * math.pi / 180

    cs, sn, tsh = torch.cos(angle), torch.sin(angle), torch.tan(shear)
    r00, r01, r10, r11 = cs + tsh * sn, sn - tsh * cs, -sn, cs
    fx = torch.where(flip, -1.0, 1.0).double() / zoom_x
    fy = 1.0 / zoom_y
    a, b, c, e = fx * r00, fx * r01, fy * r10, fy * r11
    cx, cy = (w - 1) / 2, (h - 1) / 2
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64), indexing="ij")
    u = xs[None] - cx - (shift_x * w)[:, None, None]
    v = ys[None] - cy - (shift_y * h)[:, None, None]
    sx = a[:, None, None] * u + b[:, None, None] * v + cx
    sy = c[:, None, None] * u + e[:, None, None] * v + cy
    # pixel coordinates -> [-1, 1] with align_corners=True (pixel centres at the ends)
    grid = torch.stack((2 * sx / (w - 1) - 1, 2 * sy / (h - 1) - 1), dim=-1).float()
    out = F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="border",
                        align_corners=True)
    return (out + 0.5).clamp(0, 255).floor()  # rounded to 8 bits, as cudagrad stores them


def normalize(x, name):
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in NORMALIZATION[name])
    return (x.float() / 255 - mean) / std


def class_weights(counts, rule):
    """data/class_weights.cpp: per-class loss weights from training counts."""
    present = sorted(c for c in counts if c > 0)
    m, n = len(present), sum(counts)
    median = present[m // 2] if m % 2 else 0.5 * (present[m // 2 - 1] + present[m // 2])
    weights = []
    for c in counts:
        if c == 0:
            weights.append(0.0)
        elif rule == "ones":
            weights.append(1.0)
        elif rule == "median-frequency":
            weights.append(median / c)
        elif rule == "balanced":
            weights.append(n / (m * c))
        elif rule == "balanced-sqrt":
            weights.append(math.sqrt(n / (m * c)))
        else:
            sys.exit(f"unknown class weighting {rule}")
    return torch.tensor(weights)


# ---- models ----------------------------------------------------------------------


class LeNet(nn.Module):
    """models/lenet.h: conv1 5x5 3->6 pad 2, pool, conv2 5x5 6->16, pool,
    fc1 46,656->120, fc2 120->84, fc3 84->classes; ReLU after all but fc3."""

    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 54 * 54, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


def depthwise_separable(cin, cout, stride, eps):
    """layers/depthwise_separable.h: depthwise 3x3 -> BN -> ReLU -> 1x1 -> BN -> ReLU."""
    return nn.Sequential(OrderedDict([
        ("depthwise", nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)),
        ("depthwise_bn", nn.BatchNorm2d(cin, eps=eps, momentum=0.1)),
        ("depthwise_relu", nn.ReLU()),
        ("pointwise", nn.Conv2d(cin, cout, 1, bias=False)),
        ("pointwise_bn", nn.BatchNorm2d(cout, eps=eps, momentum=0.1)),
        ("pointwise_relu", nn.ReLU())]))


class MobileNet(nn.Module):
    """models/mobilenet.h, under its names: MobileNet v1, BN eps 1e-3 momentum
    0.1, ReLU; head "pooled" (global average, fc) or "dense" (seed 004:
    flatten, 1024 ReLU, dropout 0.5, 1024 ReLU, dropout 0.5, classes)."""

    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
              (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]

    def __init__(self, classes, width, head, size):
        super().__init__()
        ch = lambda c: int(c * width)
        eps = 1e-3
        self.conv1 = nn.Conv2d(3, ch(32), 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch(32), eps=eps, momentum=0.1)
        self.relu = nn.ReLU()
        blocks, c = [], ch(32)
        for out, stride in self.BLOCKS:
            blocks.append(depthwise_separable(c, ch(out), stride, eps))
            c = ch(out)
        self.blocks = nn.Sequential(*blocks)
        self.head = head
        if head == "pooled":
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(c, classes)
            return
        with torch.no_grad():  # flatten's length: C x (size/32)^2; eval mode
            self.eval()        # leaves the BN running statistics alone
            flat = self.body(torch.zeros(1, 3, size, size)).numel()
            self.train()
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(flat, 1024), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(1024, 1024), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(1024, classes))

    def body(self, x):
        return self.blocks(self.relu(self.bn1(self.conv1(x))))

    def forward(self, x):
        x = self.body(x)
        if self.head == "pooled":
            return self.fc(self.pool(x).flatten(1))
        return self.classifier(self.flatten(x))


def build_model(cfg, classes):
    if cfg["model"] == "lenet":
        return LeNet(classes)
    if cfg["model"] == "resnet18":
        # torchvision's initialization (Kaiming normal, fan_out) is what
        # models/resnet.h copies.
        return torchvision.models.resnet18(num_classes=classes)
    if cfg["model"] == "mobilenet":
        return MobileNet(classes, float(cfg.get("width", 1)), cfg.get("head", "pooled"),
                         int(cfg["input"]))
    sys.exit(f"this script does not build model {cfg['model']}")


# ---- metrics (report/metrics.cpp) -----------------------------------------------


def metrics(labels, predictions, k):
    confusion = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(labels, predictions):
        confusion[t, p] += 1
    recalls, f1s = [], []
    for c in range(k):
        tp = confusion[c, c]
        support, predicted = confusion[c].sum(), confusion[:, c].sum()
        if support:
            recalls.append(tp / support)
        if 2 * tp + (predicted - tp) + (support - tp):
            f1s.append(2 * tp / (2 * tp + (predicted - tp) + (support - tp)))
    n = len(labels)
    return {"images": n, "accuracy": float(np.trace(confusion) / n),
            "balanced_accuracy": float(np.mean(recalls)), "macro_f1": float(np.mean(f1s)),
            "confusion": confusion.tolist()}


@torch.no_grad()
def predict(model, images, labels, norm, weights, batch=64):
    """Logits of every image in eval mode, and the weighted loss sum w*l / sum w."""
    model.eval()
    logits = torch.cat([model(normalize(images[i:i + batch], norm))
                        for i in range(0, len(images), batch)])
    y = torch.tensor(labels)
    loss = F.cross_entropy(logits, y, weight=weights, reduction="sum") / weights[y].sum()
    return logits, float(loss)


# ---- training (train/trainer.cpp) --------------------------------------------


def scheduled_lr(cfg, epoch, plateau):
    lr, schedule = float(cfg["lr"]), cfg.get("schedule", "none")
    if schedule == "step":
        return lr * 0.1 ** (epoch // int(cfg["step-size"]))
    if schedule == "cosine":
        return lr * (1 + math.cos(math.pi * epoch / int(cfg["epochs"]))) / 2
    if schedule == "plateau":
        return plateau["lr"]
    return lr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--second-test", help="another dataset folder, evaluated on all its images")
    ap.add_argument("--out", help="JSON file (default RUN_DIR/pytorch.json)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    with open(os.path.join(args.run_dir, "config.json")) as f:
        cfg = json.load(f)
    seed, size, norm = int(cfg["seed"]), int(cfg["input"]), cfg["normalization"]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    for key in ("freeze", "pretrained"):
        if cfg.get(key) not in (None, "", "none"):
            sys.exit(f"{key} {cfg[key]} is not reproduced by this script")

    # The run's own split, image by image.
    with open(os.path.join(args.run_dir, "splits.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    paths = index_images(cfg["data"])
    parts = {}
    for name in ("train", "val", "test"):
        chosen = [r for r in rows if r["split"] == name]
        parts[name] = ([paths[r["image_id"]] for r in chosen], [int(r["label"]) for r in chosen])
    start = time.time()
    images = {name: load_images(p, size) for name, (p, _) in parts.items()}
    labels = {name: l for name, (_, l) in parts.items()}
    print(f"data: {cfg['data']}: " + ", ".join(f"{n} {len(labels[n])}" for n in labels) +
          f" images at {size}x{size} ({time.time() - start:.1f} s to decode)", flush=True)

    k = len(CLASSES)
    counts = [labels["train"].count(c) for c in range(k)]
    weights = class_weights(counts, cfg["class-weights"])
    print("class weights (%s): %s" % (cfg["class-weights"], ", ".join(
        f"{CLASSES[c]} {weights[c]:.4f}" for c in range(k))))

    model = build_model(cfg, k)
    lr, wd = float(cfg["lr"]), float(cfg.get("weight-decay", 0))
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=float(cfg["momentum"]),
                              weight_decay=wd)
    elif cfg["optimizer"] == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=wd)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8,
                               weight_decay=wd)
    epochs, batch = int(cfg["epochs"]), int(cfg["batch"])
    patience = int(cfg.get("early-stopping", 0))
    n_train = len(labels["train"])
    drop_last = n_train > 1 and n_train % batch == 1
    y_train = torch.tensor(labels["train"])
    print(f"model: {cfg['model']}, {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{cfg['optimizer']} lr {lr}, batch {batch}, {epochs} epochs, augment {cfg['augment']}, "
          f"early stopping {patience}, seed {seed}", flush=True)

    history, best = [], {"loss": math.inf, "epoch": -1, "state": None}
    plateau = {"lr": lr, "best": math.inf, "bad": 0}
    without_improvement = 0
    train_start = time.time()
    for epoch in range(epochs):
        t0 = time.time()
        lr_now = scheduled_lr(cfg, epoch, plateau)
        for g in opt.param_groups:
            g["lr"] = lr_now
        model.train()
        order = torch.randperm(n_train, generator=gen)
        stop = n_train - 1 if drop_last else n_train
        loss_sum, correct, seen = 0.0, 0, 0
        for i in range(0, stop, batch):
            idx = order[i:min(i + batch, stop)]
            x = images["train"][idx]
            if cfg["augment"] != "none":
                x = augment(x, cfg["augment"], gen)
            y = y_train[idx]
            logits = model(normalize(x, norm))
            loss = F.cross_entropy(logits, y, weight=weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(idx)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(idx)
        logits, val_loss = predict(model, images["val"], labels["val"], norm, weights)
        m = metrics(labels["val"], logits.argmax(1).tolist(), k)
        is_best = val_loss < best["loss"]
        if is_best:
            best = {"loss": val_loss, "epoch": epoch + 1,
                    "state": {n: t.detach().clone() for n, t in model.state_dict().items()}}
            without_improvement = 0
        else:
            without_improvement += 1
        if cfg.get("schedule") == "plateau" and math.isfinite(val_loss):
            if val_loss < plateau["best"] * (1 - 1e-4):
                plateau["best"], plateau["bad"] = val_loss, 0
            else:
                plateau["bad"] += 1
                if plateau["bad"] > int(cfg["step-size"]):
                    plateau["lr"] *= 0.1
                    plateau["bad"] = 0
        row = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
               "val_loss": val_loss, "val_acc": m["accuracy"],
               "val_balanced_acc": m["balanced_accuracy"], "lr": lr_now,
               "seconds": time.time() - t0}
        history.append(row)
        print(f"epoch {epoch + 1:3d}/{epochs} | train loss {row['train_loss']:.4f} acc "
              f"{100 * row['train_acc']:5.1f}% | val loss {val_loss:.4f} acc "
              f"{100 * m['accuracy']:5.1f}% bal {100 * m['balanced_accuracy']:5.1f}% | "
              f"{row['seconds']:.1f} s{' | best' if is_best else ''}", flush=True)
        if patience > 0 and without_improvement >= patience:
            print(f"early stopping: no better validation loss for {patience} epochs")
            break
    train_seconds = time.time() - train_start

    # ---- the best epoch on the test part and on the second test set ------------------
    model.load_state_dict(best["state"])
    results = {}
    logits, _ = predict(model, images["test"], labels["test"], norm, weights)
    results["test"] = metrics(labels["test"], logits.argmax(1).tolist(), k)
    if args.second_test:
        listed = read_labels(args.second_test)
        present = index_images(args.second_test)
        found = [(present[i], l) for i, l in listed if i in present]
        x = load_images([p for p, _ in found], size)
        y = [l for _, l in found]
        logits, _ = predict(model, x, y, norm, weights)
        results[os.path.basename(os.path.normpath(args.second_test))] = metrics(
            y, logits.argmax(1).tolist(), k)

    print(f"\nbest validation loss {best['loss']:.4f} at epoch {best['epoch']}; "
          f"training took {train_seconds:.0f} s")
    print("| set | images | accuracy | balanced accuracy | macro F1 |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['images']} | {100 * r['accuracy']:.1f}% | "
              f"{100 * r['balanced_accuracy']:.1f}% | {100 * r['macro_f1']:.1f}% |")

    out = args.out or os.path.join(args.run_dir, "pytorch.json")
    with open(out, "w") as f:
        json.dump({"config": cfg, "torch": torch.__version__,
                   "torchvision": torchvision.__version__, "python": platform.python_version(),
                   "threads": args.threads, "best_epoch": best["epoch"],
                   "best_val_loss": best["loss"], "train_seconds": train_seconds,
                   "epochs": history, "results": results}, f, indent=1)
    print(f"saved {out}")


if __name__ == "__main__":
    main()
