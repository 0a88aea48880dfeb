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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--model", help="our safetensors LeNet5-MNIST file to cross-check")
    parser.add_argument("--repeat", type=int, default=3, help="forward-pass repetitions (median reported)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    train_x, train_y = load_idx("train")
    test_x, test_y = load_idx("t10k")
    order = torch.randperm(len(test_y), generator=torch.Generator().manual_seed(0))
    half = order[len(order) // 2 :]
    test_x, test_y = test_x[half], test_y[half]

    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    start = time.perf_counter()
    perm = torch.randperm(len(train_y))
    for i in range(0, len(perm), 128):
        idx = perm[i : i + 128]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
        loss.backward()
        optimizer.step()
    epoch = time.perf_counter() - start
    print(json.dumps({"name": "PyTorch/LeNet5-MNIST/train epoch/60000 images/batch 128", "seconds": epoch,
                      "threads": args.threads, "torch": torch.__version__}))

    model.eval()
    times = []
    with torch.no_grad():
        for _ in range(args.repeat):
            start = time.perf_counter()
            logits = model(test_x)
            times.append(time.perf_counter() - start)
    print(json.dumps({"name": "PyTorch/LeNet5-MNIST/forward/5000 images (test half)",
                      "seconds": sorted(times)[len(times) // 2], "threads": args.threads}))

    if args.model:
        model.load_state_dict(read_safetensors(args.model))
        with torch.no_grad():
            correct = (model(test_x).argmax(1) == test_y).sum().item()
        print(json.dumps({"name": "PyTorch/LeNet5-MNIST/cross-check", "model": args.model,
                          "accuracy": round(100.0 * correct / len(test_y), 2), "samples": len(test_y)}))


if __name__ == "__main__":
    main()
