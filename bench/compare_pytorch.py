#!/usr/bin/env python3
"""PyTorch CPU side of bench/compare.sh: training-step and inference
throughput of LeNet (seed 003), MobileNet v1 and ResNet-18 at 224x224, with
the same shapes, thread count and optimizer as bench/train_throughput.

Run with the interpreter that has torch (Debian's: /usr/bin/python3):
    bench/compare_pytorch.py --threads 2 --model lenet --batch 32
Prints one line of key=value pairs that compare.sh reads:
    model=lenet batch=32 train_img_s=... infer_img_s=... train_peak_rss_mb=... peak_rss_mb=... \
        torch=1.13.0
A training step is: forward, weighted cross-entropy, backward, Adam step.
The median of --steps timed steps is reported, after --warmup steps.
"""
import argparse
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    """Seed 003's LeNet: conv 3->6 5x5 pad 2, pool, conv 6->16 5x5, pool, 3 linears."""

    def __init__(self, classes=7):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 54 * 54, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def conv_bn(cin, cout, stride, groups=1, kernel=3):
    return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU(inplace=False)]


class MobileNetV1(nn.Module):
    """MobileNet v1, width 1.0: 3x3 conv stride 2, then 13 depthwise-separable
    blocks; global average pool and a linear classifier."""

    def __init__(self, classes=7):
        super().__init__()
        plan = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1),
                (256, 512, 2)] + [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
        layers = conv_bn(3, 32, 2)
        for cin, cout, stride in plan:
            layers += conv_bn(cin, cin, stride, groups=cin) + conv_bn(cin, cout, 1, kernel=1)
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(1024, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def make_model(name, classes):
    if name == "lenet":
        return LeNet(classes)
    if name == "mobilenet":
        return MobileNetV1(classes)
    if name == "resnet18":
        import torchvision
        return torchvision.models.resnet18(num_classes=classes)
    if name in ("densenet121", "densenet169", "densenet201"):
        import torchvision
        return getattr(torchvision.models, name)(num_classes=classes)
    raise SystemExit(f"unknown model {name}")


def median_seconds(fn, warmup, steps, clock):
    """clock: time.perf_counter (wall) or time.process_time (CPU time of every thread)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--infer-batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--input", type=int, default=224)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: the process's CPU time, fairer on a machine shared with other work")
    args = p.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    classes = 7
    model = make_model(args.model, classes)
    weights = torch.tensor([1.5719, 1.0, 0.4677, 4.4696, 0.4618, 0.0767, 3.6197])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(args.batch, 3, args.input, args.input)
    y = torch.randint(0, classes, (args.batch,))

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y, weight=weights)
        loss.backward()
        optimizer.step()

    model.train()
    train_s = median_seconds(train_step, args.warmup, args.steps, clock)
    # The peak of the training phase alone (inference runs at another batch size).
    train_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    model.eval()
    xi = torch.randn(args.infer_batch, 3, args.input, args.input)

    def infer_step():
        with torch.no_grad():
            model(xi)

    infer_s = median_seconds(infer_step, 1, max(3, args.steps // 2), clock)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"model={args.model} batch={args.batch} train_img_s={args.batch / train_s:.2f} "
          f"infer_img_s={args.infer_batch / infer_s:.2f} train_peak_rss_mb={train_peak_mb:.0f} "
          f"peak_rss_mb={peak_mb:.0f} "
          f"torch={torch.__version__}")


if __name__ == "__main__":
    main()
