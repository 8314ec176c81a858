#!/usr/bin/env python3
"""PyTorch side of bench/gpu_check.sh's training throughput: the models,
shapes, loss and optimizer of bench/gpu_train_throughput.cpp, on the GPU,
plain FP32 (TF32 off, as cudagrad's kernels and the cuDNN / cuBLAS
baselines are), cuDNN's autotuner on (its best case).

    bench/gpu_compare_pytorch.py --model resnet18 --batch 32
prints one line: model=resnet18 batch=32 train_img_s=... torch=2.x
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from compare_pytorch import make_model  # noqa: E402  (the same model definitions)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    args = p.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("gpu_compare_pytorch: torch sees no GPU")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    dev = torch.device("cuda")
    model = make_model(args.model, 7).to(dev).train()
    weights = torch.tensor([1.5719, 1.0, 0.4677, 4.4696, 0.4618, 0.0767, 3.6197], device=dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(args.batch, 3, 224, 224, device=dev)
    y = torch.randint(0, 7, (args.batch,), device=dev)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y, weight=weights)
        loss.backward()
        optimizer.step()
        return loss.item()  # waits for the GPU, as cudagrad's side does

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(f"model={args.model} batch={args.batch} "
          f"train_img_s={args.batch / statistics.median(times):.1f} torch={torch.__version__}")


if __name__ == "__main__":
    main()
