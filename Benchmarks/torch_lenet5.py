#!/usr/bin/env python3
"""PyTorch CPU baseline for the NN benchmarks: PrivDNN's LeNet5-MNIST (spec §3.1) on the real MNIST in data/.

Times one training epoch (Adam 1e-3, batch 128, shuffled, as spec §4) and one evaluation forward pass over the
5,000-image test half (torch.utils.data.random_split with generator seed 0, second half), on the same cores as
the Swift harness. With --model FILE it also loads one of our safetensors model files into the PyTorch network
and prints its test-half accuracy, a cross-check that our files map 1:1 onto PyTorch state-dict names.

Prints one JSON object per line, like Benchmarks/CKKSBenchmarks.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = torch.square(F.avg_pool2d(self.conv1(x), 2))
        x = torch.square(F.avg_pool2d(self.conv2(x), 2))
        x = x.reshape(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def load_idx(prefix):
    with gzip.open(os.path.join(ROOT, "data", "mnist", f"{prefix}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(ROOT, "data", "mnist", f"{prefix}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(labels.astype(np.int64))


def read_safetensors(path):
    """Minimal reader (F32 only): 8-byte little-endian header length, JSON header, raw data."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: {info['dtype']}"
        begin, end = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype="<f4").copy()).reshape(info["shape"])
    return tensors


def record(name, seconds, units, **extra):
    """One JSON line in the Swift harness's format (median over the timed repetitions)."""
    seconds = sorted(seconds)
    median = seconds[len(seconds) // 2]
    print(json.dumps({"name": name, "median_ns": round(median * 1e9), "min_ns": round(seconds[0] * 1e9),
                      "units": units, "median_ns_per_unit": round(median * 1e9 / units),
                      "samples": len(seconds), **extra}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--model", help="our safetensors LeNet5-MNIST file to cross-check")
    parser.add_argument("--epochs", type=int, default=1, help="timed training epochs (median reported)")
    parser.add_argument("--repeat", type=int, default=5, help="forward-pass repetitions (median reported)")
    parser.add_argument("--quick", action="store_true", help="train on 1,280 images, as the Swift --quick run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    train_x, train_y = load_idx("train")
    if args.quick:
        train_x, train_y = train_x[:1280], train_y[:1280]
    test_x, test_y = load_idx("t10k")
    order = torch.randperm(len(test_y), generator=torch.Generator().manual_seed(0))
    half = order[len(order) // 2 :]
    test_x, test_y = test_x[half], test_y[half]

    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def epoch(batches=None):
        perm = torch.randperm(len(train_y))
        for count, i in enumerate(range(0, len(perm), 128)):
            if batches is not None and count >= batches:
                break
            idx = perm[i : i + 128]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()

    epoch(batches=10)  # warm-up
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    record(f"MNIST / LeNet5 / train epoch / {len(train_y)} images / batch 128", times, len(train_y),
           threads=args.threads, torch=torch.__version__)

    model.eval()
    with torch.no_grad():
        model(test_x)  # warm-up
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            model(test_x)
            times.append(time.perf_counter() - start)
        record("MNIST / LeNet5 / forward / 5000 images (test half)", times, len(test_y), threads=args.threads)

        # The selection hot path: conv1 cached once, conv2 with "separate" zeroed weights, rest of the net.
        cache = model.conv1(test_x)
        weight = model.conv2.weight.clone()
        for o in range(16):
            if o not in (1, 5, 9):
                weight[o, [0, 3]] = 0
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            x = torch.square(F.avg_pool2d(cache, 2))
            x = torch.square(F.avg_pool2d(F.conv2d(x, weight, model.conv2.bias), 2)).reshape(len(test_y), -1)
            model.fc3(F.relu(model.fc2(F.relu(model.fc1(x)))))
            times.append(time.perf_counter() - start)
        record("MNIST / LeNet5 / masked forward from cached conv1 / 5000 images", times, len(test_y),
               threads=args.threads)

    if args.model:
        model.load_state_dict(read_safetensors(args.model))
        with torch.no_grad():
            correct = (model(test_x).argmax(1) == test_y).sum().item()
        print(json.dumps({"name": "MNIST / LeNet5 / cross-check", "model": args.model,
                          "accuracy": round(100.0 * correct / len(test_y), 2), "samples": len(test_y)}))


if __name__ == "__main__":
    main()
