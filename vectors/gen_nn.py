"""PyTorch reference for the NN engine: a LeNet5-MNIST state dict and its logits on real test-half images.

Writes vectors/nn/:
- `torch_lenet5_mnist.safetensors`: `LeNet5()` after `torch.manual_seed(0)` and 200 Adam steps (lr 1e-3, batch 64)
  on the first 12,800 training images, so the weights are not just the uniform initialisation; names are the
  PyTorch state-dict names `conv1.weight`, ..., `fc3.bias` (F32, `{"format": "pt"}` metadata).
- `torch_lenet5_mnist.json`: `{"indices": official test-set indices of the first 8 test-half images,
  "logits": [8][10], "separate": {...}, "remove": {...}}`, where the masked entries use the selection
  `{"1": [0, 3], "2": [1, 5, 9]}` with PrivDNN's rules (spec §5) and hold their logits.

Needs `pip install torch` (CPU is enough). Run: python3 vectors/generate.py nn
"""
import json
import struct
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Benchmarks"))
from torch_lenet5 import LeNet5, load_idx  # noqa: E402

SELECTION = {1: [0, 3], 2: [1, 5, 9]}


def write_safetensors(path, state):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(state):
        data = state[name].detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(state[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def masked_logits(model, x, mode):
    with torch.no_grad():
        w2 = model.conv2.weight.clone()
        c1 = model.conv1(x)
        if mode == "remove":
            c1[:, SELECTION[1]] = 0
        else:
            for o in range(16):
                if o not in SELECTION[2]:
                    w2[o, SELECTION[1]] = 0
        h = torch.square(F.avg_pool2d(c1, 2))
        c2 = F.conv2d(h, w2, model.conv2.bias)
        if mode == "remove":
            c2[:, SELECTION[2]] = 0
        h = torch.square(F.avg_pool2d(c2, 2)).reshape(len(x), -1)
        return model.fc3(F.relu(model.fc2(F.relu(model.fc1(h)))))


def main(out_dir):
    torch.manual_seed(0)
    model = LeNet5()
    train_x, train_y = load_idx("train")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(200):
        batch = slice(step * 64 % 12800, step * 64 % 12800 + 64)
        optimizer.zero_grad()
        F.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
        optimizer.step()
    test_x, _ = load_idx("t10k")
    order = torch.randperm(len(test_x), generator=torch.Generator().manual_seed(0))
    indices = order[len(order) // 2 :][:8]
    x = test_x[indices]
    model.eval()
    with torch.no_grad():
        logits = model(x)
    write_safetensors(Path(out_dir) / "torch_lenet5_mnist.safetensors", model.state_dict())
    result = {
        "indices": indices.tolist(),
        "logits": logits.tolist(),
        "selection": {str(k): v for k, v in SELECTION.items()},
        "separate": masked_logits(model, x, "separate").tolist(),
        "remove": masked_logits(model, x, "remove").tolist(),
        "torch": torch.__version__,
    }
    (Path(out_dir) / "torch_lenet5_mnist.json").write_text(json.dumps(result, indent=1) + "\n")
