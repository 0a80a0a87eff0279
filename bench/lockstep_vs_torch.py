#!/usr/bin/env python3
"""Lock-step check of gpu_train's training step against PyTorch.

Trains the same model with gpu_train and with PyTorch from the SAME initial weights (read from
gpu_train's --epochs 0 model.ckpt), on the same training subset, in the same sample order
(engine's Philox epoch permutation), with the same dropout masks (engine's Philox dropout stream),
the same per-step learning rate and torch.optim.SGD. Any remaining difference is float rounding,
so after a few steps the parameters must agree to ~1e-5 relative; a gradient or optimiser bug in
either engine shows as a large difference.

  /usr/bin/python3 bench/lockstep_vs_torch.py --arch lcnn --limit 640 --epochs 1 --seed 1
  /usr/bin/python3 bench/lockstep_vs_torch.py --arch cnn --limit 1280 --epochs 2 --seed 1 --lr 0.002

Prints the per-tensor differences and ends with PASS or FAIL (exit status 1).
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mnist as T  # noqa: E402

U64 = np.uint64
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_ckpt(path):
    data = open(path, "rb").read()
    assert data[:8] == b"GDCKPT01", path
    off = 12
    meta_len, = struct.unpack_from("<Q", data, off); off += 8
    meta = json.loads(data[off:off + meta_len]); off += meta_len
    n_arrays, = struct.unpack_from("<I", data, off); off += 4
    arrays = {}
    for _ in range(n_arrays):
        nl, = struct.unpack_from("<I", data, off); off += 4
        name = data[off:off + nl].decode(); off += nl
        rank, = struct.unpack_from("<I", data, off); off += 4
        dims = struct.unpack_from("<" + "q" * rank, data, off); off += 8 * rank
        count, = struct.unpack_from("<Q", data, off); off += 8
        arrays[name] = np.frombuffer(data, dtype="<f4", count=count, offset=off).copy()
        off += 4 * count
    return meta, arrays


def epoch_permutation(n, seed, epoch):
    """engine/ops/shuffle.h: indices sorted by the 64-bit key (philox word 2i << 32 | word 2i+1), ties by index."""
    i = np.arange(n, dtype=U64)
    hi = T.philox_u32(seed, 0x5 << 28, epoch, 2 * i).astype(U64)
    lo = T.philox_u32(seed, 0x5 << 28, epoch, 2 * i + U64(1)).astype(U64)
    keys = (hi << U64(32)) | lo
    return np.lexsort((i, keys)).astype(np.int64)  # primary key: keys; ties: index


class Step:
    value = 0


class PhiloxDropout(nn.Module):
    """engine/ref/dropout_ref.cpp: element e kept iff (philox_u32(seed, layer, step, e) >> 8) >= ceil(p 2^24)."""

    def __init__(self, p, layer, seed):
        super().__init__()
        self.p32 = float(np.float32(p))
        self.layer, self.seed = layer, seed
        self.threshold = math.ceil(self.p32 * 16777216.0)
        self.scale = float(np.float32(1.0 / (1.0 - self.p32)))

    def forward(self, x):
        if not self.training:
            return x
        words = T.philox_u32(self.seed, self.layer, Step.value, np.arange(x.numel(), dtype=U64))
        keep = torch.from_numpy(((words >> U64(8)) >= U64(self.threshold)).astype(np.float32)).view_as(x)
        return x * keep * self.scale


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=int, default=640)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--gpu-train", default=os.path.join(ROOT, "build", "gpu_train"))
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.0, help="learning rate for both engines (default: the recipe's)")
    ap.add_argument("--no-dropout", action="store_true", help="both engines with --dropout 0 (cnn keeps its 0.25)")
    ap.add_argument("--torch-init", action="store_true", help="hybrid: PyTorch's own initialisation (torch seed)")
    ap.add_argument("--torch-order", action="store_true", help="hybrid: torch.randperm sample order")
    ap.add_argument("--torch-dropout", action="store_true", help="hybrid: nn.Dropout masks")
    ap.add_argument("--track-test", action="store_true", help="test accuracy of the PyTorch model after every epoch")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    work = tempfile.mkdtemp(prefix="lockstep-")
    base = [a.gpu_train, "--arch", a.arch, "--dataset", "mnist", "--data-dir", a.data_dir, "--device", "cpu",
            "--threads", str(a.threads), "--seed", str(a.seed), "--quiet", "--limit-train", str(a.limit)]
    if a.no_dropout:
        base += ["--dropout", "0"]
    if a.lr > 0:
        base += ["--lr", repr(a.lr)]
    subprocess.run(base + ["--epochs", "0", "--out", work + "/init"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(base + ["--epochs", str(a.epochs), "--out", work + "/trained"], check=True,
                   stdout=subprocess.DEVNULL)
    meta0, init = load_ckpt(work + "/init/model.ckpt")
    meta1, trained = load_ckpt(work + "/trained/checkpoint.ckpt")
    cfg = meta1["config"]
    hist = json.load(open(work + "/trained/history.json"))
    mm = meta0["model"]
    print("spec", mm["spec"], "| mean", mm["mean"], "std", mm["std"], "| batch", cfg["batch_size"],
          "wd", cfg["optimizer"]["weight_decay"], "lr", cfg["optimizer"]["lr"])

    # data: engine split, then --limit-train's fixed subset (run_splits.cpp)
    xtr = T.read_idx(T.find(a.data_dir, "train-images-idx3-ubyte"))
    ytr = T.read_idx(T.find(a.data_dir, "train-labels-idx1-ubyte"))
    tr, _ = T.split_validation(ytr)
    if 0 < a.limit < len(tr):
        pick = np.sort(epoch_permutation(len(tr), 20261121, 0)[:a.limit])
        tr = tr[pick]
    mean32, std32 = np.float32(mm["mean"]), np.float32(mm["std"])
    sc = np.float32(1.0) / (np.float32(255.0) * std32)
    sh = -mean32 / std32
    x = torch.from_numpy((xtr[tr].astype(np.float32) * sc + sh).astype(np.float32)).unsqueeze(1)
    xte = T.read_idx(T.find(a.data_dir, "t10k-images-idx3-ubyte"))
    yte = T.read_idx(T.find(a.data_dir, "t10k-labels-idx1-ubyte"))
    xt = torch.from_numpy((xte.astype(np.float32) * sc + sh).astype(np.float32)).unsqueeze(1)
    yt = torch.from_numpy(yte.astype(np.int64))
    y = torch.from_numpy(ytr[tr].astype(np.int64))
    n = len(tr)

    dropout = 0.0 if a.no_dropout else cfg["dropout"]
    model = T.build(a.arch, 28, dropout)
    # replace dropout modules by the engine's Philox masks; Sequential index == engine layer index
    torch.manual_seed(a.seed)
    if a.torch_init:  # the mirror's own initialisation, drawn before anything else like torch_mnist.py
        model = T.build(a.arch, 28, dropout)
    for i, mod in enumerate(model):
        if isinstance(mod, nn.Dropout) and not a.torch_dropout:
            model[i] = PhiloxDropout(mod.p, i, a.seed)
    names = [p["name"] for p in mm["params"]]
    flat = init["params"]
    tparams = list(model.parameters())
    assert len(tparams) == len(mm["params"]), (len(tparams), names)
    with torch.no_grad():
        for tp, info in zip(tparams, mm["params"]):
            cnt = int(np.prod(info["shape"]))
            assert list(tp.shape) == list(info["shape"]), (info, tp.shape)
            if not a.torch_init:
                tp.copy_(torch.from_numpy(flat[info["offset"]:info["offset"] + cnt].reshape(info["shape"])))
            if "weight" in info["name"]:
                v = flat[info["offset"]:info["offset"] + cnt]
                fan = info["shape"][2] if "Locally" in info["name"] else cnt // info["shape"][0]
                print(f"  init {info['name']:20s} {str(info['shape']):18s} max|w| {np.abs(v).max():.5f} "
                      f"bound sqrt(6/fan_in) {math.sqrt(6 / fan):.5f} std {v.std():.5f} "
                      f"(uniform: {math.sqrt(6 / fan) / math.sqrt(3):.5f}) mean {v.mean():+.5f}")
            else:
                v = flat[info["offset"]:info["offset"] + cnt]
                print(f"  init {info['name']:20s} all zero: {bool((v == 0).all())}")

    o = cfg["optimizer"]
    opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"],
                          weight_decay=o["weight_decay"])
    bs = cfg["batch_size"]
    spe = (n + bs - 1) // bs
    total = spe * cfg["epochs"]
    warmup_steps = math.floor(cfg["schedule"].get("warmup_epochs", 0.0) * spe + 0.5)
    lr_factor = T.lr_factor(total, warmup_steps, cfg["schedule"].get("warmup_start_factor", 0.1))
    step = 0
    model.train()
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(n) if a.torch_order else torch.from_numpy(epoch_permutation(n, a.seed, epoch))
        loss_sum = 0.0
        correct = 0
        for s in range(0, n, bs):
            idx = order[s:s + bs]
            lr = o["lr"] * lr_factor(step)
            for g in opt.param_groups:
                g["lr"] = lr
            Step.value = step
            out = model(x[idx])
            loss = F.cross_entropy(out, y[idx])
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == y[idx]).sum().item()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        print(f"epoch {epoch}: train loss gpudigits {hist[epoch - 1]['train_loss']:.6f} torch {loss_sum / n:.6f}; "
              f"train acc gpudigits {hist[epoch - 1]['train_accuracy']:.5f} torch {correct / n:.5f}; "
              f"last lr gpudigits {hist[epoch - 1]['lr']:.6g} torch {lr:.6g}", flush=True)
        if a.track_test:
            print(f"  PyTorch test accuracy after epoch {epoch}: {T.evaluate(model, xt, yt):.4f}", flush=True)
    flat1 = trained["params"]
    vel = trained.get("optim/velocity")
    print("after", step, "steps: per-tensor relative difference ||w_gd - w_torch|| / ||w_gd||"
          " (and of the update ||(w_gd - w0) - (w_torch - w0)|| / ||w_gd - w0||):")
    worst = 0.0
    for tp, info in zip(tparams, mm["params"]):
        cnt = int(np.prod(info["shape"]))
        sl = slice(info["offset"], info["offset"] + cnt)
        wg, w0 = flat1[sl].astype(np.float64), flat[sl].astype(np.float64)
        wt = tp.detach().numpy().reshape(-1).astype(np.float64)
        rel = np.linalg.norm(wg - wt) / max(np.linalg.norm(wg), 1e-30)
        upd = np.linalg.norm((wg - w0) - (wt - w0)) / max(np.linalg.norm(wg - w0), 1e-30)
        worst = max(worst, rel)
        line = f"  {info['name']:20s} weights {rel:.2e}  update {upd:.2e}"
        if vel is not None:
            vt = opt.state[tp]["momentum_buffer"].numpy().reshape(-1).astype(np.float64)
            vg = vel[sl].astype(np.float64)
            line += f"  velocity {np.linalg.norm(vg - vt) / max(np.linalg.norm(vg), 1e-30):.2e}"
        print(line)
    # the engine's final weights evaluated by PyTorch on the test set, against the engine's own number
    metrics = json.load(open(work + "/trained/metrics.json"))
    print(f"test accuracy after training: PyTorch {T.evaluate(model, xt, yt):.4f}, gpudigits "
          f"{metrics['test_accuracy']:.4f}")
    with torch.no_grad():
        for tp, info in zip(tparams, mm["params"]):
            cnt = int(np.prod(info["shape"]))
            tp.copy_(torch.from_numpy(flat1[info["offset"]:info["offset"] + cnt].reshape(info["shape"])))
    acc = T.evaluate(model, xt, yt)
    print(f"test accuracy of gpudigits' final weights: gpudigits says {metrics['test_accuracy']:.4f}, "
          f"PyTorch computes {acc:.4f}")
    # Verdict. Both engines do the same float computation in a different order, so after tens of steps
    # the weights differ by rounding carried forward: ~4e-7 relative (lcnn, mlp) to ~1.5e-4 (cnn at
    # lr 0.002, whose CPU convolution runs Winograd). A wrong gradient, mask, order or update differs
    # by > 1e-2 within a step. At larger rates these tiny subsets train chaotically (losses 3-10 in
    # the first steps) and last-bit differences grow ~1.6x per step: at lr 0.01 the cnn passes or
    # fails depending on which bias-gradient summation order the engine uses. Check cnn at lr 0.002.
    ok = worst <= WEIGHT_TOLERANCE and abs(acc - metrics["test_accuracy"]) <= 1e-3
    print(("PASS" if ok else "FAIL") + f": worst relative weight difference {worst:.2e} (tolerance {WEIGHT_TOLERANCE:.0e})")
    sys.exit(0 if ok else 1)


WEIGHT_TOLERANCE = 1e-3


if __name__ == "__main__":
    main()
