#!/usr/bin/env python3
"""PyTorch mirror of gpu_train's mlp / cnn / lcnn for speed comparisons on the same machine.

Same architecture, batch size, optimiser (SGD, Nesterov momentum 0.9, weight decay 1e-4 (lcnn 5e-4) on
every parameter, biases included, per-step cosine schedule to 0 after the recipe's linear warm-up:
cnn 0.3 epochs from 0.1x), He-uniform initialisation with zero
biases, the same 10% validation split held out (gpu_train's: stratified per class, drawn from its
Philox stream with the fixed validation seed, so both engines train on the same 54,000 images),
inputs scaled to [0,1] and normalised with the mean/std of the whole training file (as gpu_train),
the last partial batch trained, the whole dataset on the device before timing. --seed seeds
PyTorch's initialisation, shuffling and dropout.
The locally connected layer is the unfold+einsum formulation PyTorch users write. Prints one JSON
object: median seconds per epoch, samples/s, per-epoch curve (test accuracy untimed with
--track-test), final test accuracy, peak memory.

  python3 bench/torch_mnist.py --arch cnn --epochs 1 --data-dir ../shared/data/mnist
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(d, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"missing {stem}[.gz] in {d}")


# gpu_train's counter-based Philox4x32-10 (engine/core/philox.h), vectorised over elements, used only to
# draw the same validation split as gpu_train (engine/data/dataset.cpp: split_validation).
_M32 = np.uint64(0xFFFFFFFF)


def philox_u32(seed, stream, step, elements):
    e = np.asarray(elements, dtype=np.uint64)
    c0, c1 = e >> np.uint64(2), np.full_like(e, stream)
    c2, c3 = np.full_like(e, step & 0xFFFFFFFF), np.full_like(e, step >> 32)
    k0, k1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & _M32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & _M32)
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    words = np.stack([c0, c1, c2, c3])
    return words[e & np.uint64(3), np.arange(len(e))]


def deterministic_shuffle(v, seed, stream):
    """engine/data/dataset.cpp's Fisher-Yates: j uniform in [0, i] from 64 Philox bits."""
    v = list(v)
    if len(v) < 2:
        return v
    i_all = np.arange(len(v), 1, -1, dtype=np.uint64)
    e = np.uint64(2) * (i_all - np.uint64(1))
    hi, lo = philox_u32(seed, stream, 0, e), philox_u32(seed, stream, 0, e + np.uint64(1))
    js = ((hi << np.uint64(32)) | lo) % i_all
    for i, j in zip(i_all.tolist(), js.tolist()):
        v[i - 1], v[j] = v[j], v[i - 1]
    return v


def split_validation(labels, fraction=0.1, seed=20261121):
    """Train/validation indices exactly as gpu_train draws them (--val-split 0.1, fixed val_seed)."""
    is_val = np.zeros(len(labels), dtype=bool)
    for c in range(int(labels.max()) + 1):
        members = deterministic_shuffle(np.flatnonzero(labels == c).tolist(), seed, c)
        take = int(math.floor(fraction * len(members) + 0.5))  # std::llround of a positive number
        is_val[members[:take]] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


class LocallyConnected2d(nn.Module):
    def __init__(self, c, h, w, f, k, stride, pad):
        super().__init__()
        self.k, self.stride, self.pad = k, stride, pad
        self.oh = (h + 2 * pad - k) // stride + 1
        self.ow = (w + 2 * pad - k) // stride + 1
        p, r = self.oh * self.ow, c * k * k
        self.weight = nn.Parameter(torch.empty(p, f, r))
        self.bias = nn.Parameter(torch.zeros(f, self.oh, self.ow))
        bound = math.sqrt(6.0 / r)
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x):
        cols = F.unfold(x, self.k, padding=self.pad, stride=self.stride)  # (N, R, P)
        y = torch.einsum("nrp,pfr->nfp", cols, self.weight)
        return y.reshape(x.shape[0], -1, self.oh, self.ow) + self.bias


def build(arch, hw, dropout):
    if arch == "mlp":
        m = nn.Sequential(nn.Flatten(), nn.Linear(hw * hw, 512), nn.ReLU(), nn.Dropout(dropout),
                          nn.Linear(512, 256), nn.ReLU(), nn.Dropout(dropout), nn.Linear(256, 10))
    elif arch == "cnn":
        s = ((hw - 4) // 2)
        m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Dropout(0.25), nn.Flatten(), nn.Linear(64 * s * s, 128), nn.ReLU(),
                          nn.Dropout(dropout), nn.Linear(128, 10))
    elif arch == "lcnn":
        h1 = (hw + 4 - 5) // 2 + 1
        h2 = (h1 + 4 - 5) // 2 + 1
        m = nn.Sequential(LocallyConnected2d(1, hw, hw, 16, 5, 2, 2), nn.ReLU(),
                          LocallyConnected2d(16, h1, h1, 32, 5, 2, 2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(32 * h2 * h2, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 10))
    else:
        raise SystemExit("arch must be mlp, cnn or lcnn")
    for mod in m.modules():  # He-uniform weights, zero biases (gpu_train's default init)
        if isinstance(mod, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_uniform_(mod.weight, a=0.0, nonlinearity="relu")
            nn.init.zeros_(mod.bias)
    return m


def evaluate(model, xt, yt):
    model.eval()
    with torch.no_grad():
        correct = sum((model(xt[s:s + 1000]).argmax(1) == yt[s:s + 1000]).sum().item() for s in range(0, len(xt), 1000))
    model.train()
    return correct / len(xt)


def lr_factor(total_steps, warmup_steps, start_factor=0.1):
    """engine/optim/schedule.cpp's cosine schedule as a factor of the base rate: a linear warm-up from
    start_factor over warmup_steps, then cosine annealing to 0 over the remaining steps."""
    span = total_steps - warmup_steps

    def factor(step):
        if step < warmup_steps:
            return start_factor + (1.0 - start_factor) * step / warmup_steps
        t = min(step - warmup_steps, span)
        return 0.5 * (1.0 + math.cos(math.pi * t / span))
    return factor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=None, help="default: gpu_train's recipe (128; lcnn 64)")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--dropout", type=float, default=None)
    ap.add_argument("--warmup-epochs", type=float, default=None, help="default: gpu_train's recipe (cnn 0.3, else 0)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu | cuda (the whole dataset is moved to the device first)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch >= 2)")
    ap.add_argument("--track-test", action="store_true",
                    help="evaluate the test set after every epoch (untimed) for time-to-accuracy")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    dropout = a.dropout if a.dropout is not None else {"mlp": 0.2, "cnn": 0.5, "lcnn": 0.5}[a.arch]
    if a.batch_size is None:
        a.batch_size = 64 if a.arch == "lcnn" else 128
    weight_decay = 5e-4 if a.arch == "lcnn" else 1e-4

    xtr = read_idx(find(a.data_dir, "train-images-idx3-ubyte"))
    ytr = read_idx(find(a.data_dir, "train-labels-idx1-ubyte"))
    xte = read_idx(find(a.data_dir, "t10k-images-idx3-ubyte"))
    yte = read_idx(find(a.data_dir, "t10k-labels-idx1-ubyte"))
    tr, _ = split_validation(ytr)
    # gpu_train normalises with the mean and (population) std of every training image, the held-out
    # validation images included (engine/data/registry.cpp: pixel_mean_std of the whole file).
    full = xtr.astype(np.float64) / 255.0
    mean, std = float(full.mean()), float(full.std())
    x = torch.tensor(xtr[tr], dtype=torch.float32).unsqueeze(1) / 255.0
    x = ((x - mean) / std).to(dev)
    y = torch.tensor(ytr[tr], dtype=torch.long).to(dev)
    xt = ((torch.tensor(xte, dtype=torch.float32).unsqueeze(1) / 255.0 - mean) / std).to(dev)
    yt = torch.tensor(yte, dtype=torch.long).to(dev)

    model = build(a.arch, x.shape[-1], dropout).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(x) / a.batch_size)
    steps = a.epochs * steps_per_epoch
    warmup = a.warmup_epochs if a.warmup_epochs is not None else {"cnn": 0.3}.get(a.arch, 0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(steps, math.floor(warmup * steps_per_epoch + 0.5)))
    step_model = torch.compile(model) if a.compile else model
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    epochs = []
    total = 0.0
    model.train()
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(len(x), device=dev)
        sync()
        t0 = time.perf_counter()
        loss_sum = torch.zeros((), device=dev)  # summed on the device: no host sync per step
        for s in range(0, len(x), a.batch_size):
            idx = order[s:s + a.batch_size]
            loss = F.cross_entropy(step_model(x[idx]), y[idx])
            loss_sum += loss.detach() * len(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        sync()
        sec = time.perf_counter() - t0
        total += sec
        rec = {"epoch": epoch, "seconds": sec, "train_seconds": total, "train_loss": loss_sum.item() / len(x)}
        if a.track_test or epoch == a.epochs:
            rec["test_accuracy"] = evaluate(model, xt, yt)
        epochs.append(rec)
    secs = sorted(e["seconds"] for e in epochs)
    median = secs[len(secs) // 2]
    import resource
    out = {"framework": f"pytorch {torch.__version__} ({a.device}{', torch.compile' if a.compile else ', eager'}"
                        f"{', %d threads' % a.threads if a.device == 'cpu' else ''})",
           "arch": a.arch, "epochs": a.epochs, "batch_size": a.batch_size, "train_samples": len(x),
           "seconds_per_epoch": median, "samples_per_sec": len(x) / median,
           "test_accuracy": epochs[-1]["test_accuracy"], "curve": epochs,
           "peak_host_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    if dev.type == "cuda":
        out["peak_device_mb"] = torch.cuda.max_memory_allocated() / 2**20
        out["device_name"] = torch.cuda.get_device_name()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
