#!/usr/bin/env python3
"""End-to-end training benchmark: gpudigits against PyTorch on the same device, in one run.

Trains mlp, cnn and lcnn for a fixed number of epochs on full MNIST with `gpu_train` and with
bench/torch_mnist.py (the same architecture, batch size, optimiser, schedule and initialisation;
the locally connected layer as PyTorch users write it, unfold+einsum), one after the other on the
same machine, and prints a table: samples/s, seconds per epoch (median), time to reach the target
test accuracy (98% mlp, 99% cnn, 98.5% lcnn; training time only, test evaluated untimed after every
epoch), final test accuracy, peak memory. On a GPU, PyTorch runs in eager mode and with
torch.compile (where it works). Results are merged into docs/benchmarks.json (one section per
device) and docs/benchmarks.md is regenerated from it. Not part of ctest.

With --seeds 1,2,3 every engine trains once per seed (gpu_train --seed, torch_mnist.py --seed): the
table then gives the final test accuracy as mean ± standard deviation over the seeds, Δ as the
difference of the means (with its standard error), and speed and time to target as medians over the
seeds; the JSON keeps every seed's raw result under "runs". --json/--markdown write elsewhere than
docs/ (e.g. for accuracy-only runs on a busy machine).

  /usr/bin/python3 bench/e2e_vs_torch.py --device cpu --data-dir ../shared/data/mnist
  python bench/e2e_vs_torch.py --device cuda --data-dir shared-data/mnist --gpu-train build/gpu_train

Needs ./setup.sh --bench on a CPU machine (the distro's python3-torch).
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

TARGETS = {"mlp": 0.98, "cnn": 0.99, "lcnn": 0.985}
DEFAULT_EPOCHS = {"mlp": 10, "cnn": 6, "lcnn": 8}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_measured(cmd, env=None):
    """Runs cmd, returns (stdout, peak RSS in MB of that child alone)."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        err = p.stderr.read().decode(errors="replace")
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed with exit {p.returncode}:\n{err[-3000:]}")
        out.seek(0)
        return out.read().decode(), usage.ru_maxrss / 1024.0


def time_to_target(curve, target):
    for rec in curve:
        if rec.get("test_accuracy") is not None and rec["test_accuracy"] >= target:
            return rec["train_seconds"]
    return None


def run_ours(args, arch, epochs, workdir, seed):
    out = os.path.join(workdir, f"gd-{arch}-seed{seed}")
    cmd = [args.gpu_train, "--arch", arch, "--dataset", "mnist", "--data-dir", args.data_dir,
           "--epochs", str(epochs), "--device", args.device, "--track-test", "--quiet", "--out", out,
           "--seed", str(seed)]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    if args.device == "cpu":
        cmd += ["--threads", str(args.threads)]
    _, rss = run_measured(cmd)
    history = json.load(open(os.path.join(out, "history.json")))
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    curve = json.load(open(os.path.join(out, "test_curve.json")))
    secs = sorted(r["seconds"] for r in history)
    median = secs[len(secs) // 2]
    train_loss = [r["train_loss"] for r in history]
    return {"framework": f"gpudigits ({metrics['device']})", "seed": seed, "seconds_per_epoch": median,
            "samples_per_sec": metrics["train_samples"] / median, "test_accuracy": metrics["test_accuracy"],
            "time_to_target_s": time_to_target(curve, TARGETS[arch]), "peak_host_rss_mb": rss,
            "train_loss": train_loss, "curve": curve}


def run_torch(args, arch, epochs, compile_mode, seed):
    cmd = [args.python, os.path.join(ROOT, "bench", "torch_mnist.py"), "--arch", arch, "--epochs", str(epochs),
           "--data-dir", args.data_dir, "--device", args.device, "--track-test", "--threads", str(args.threads),
           "--seed", str(seed)]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    if compile_mode:
        cmd.append("--compile")
    try:
        text, rss = run_measured(cmd)
    except SystemExit as e:
        if compile_mode:  # torch.compile is not available everywhere (PyTorch 1.x, no Triton)
            return {"framework": "pytorch torch.compile", "seed": seed, "error": str(e).splitlines()[-1][:300]}
        raise
    r = json.loads(text.strip().splitlines()[-1])
    r["seed"] = seed
    r["time_to_target_s"] = time_to_target(r["curve"], TARGETS[arch])
    r["peak_host_rss_mb"] = rss
    return r


def median_or_none(values):
    """Median with None (target not reached) counted as worse than every number; the upper middle
    value for an even count (so half the seeds or fewer reaching the target gives None)."""
    vals = sorted(values, key=lambda v: (v is None, v if v is not None else 0.0))
    return vals[len(vals) // 2] if vals else None


def aggregate(runs):
    """One table entry from one engine's per-seed results: accuracy mean/std, speed medians."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return dict(runs[0], runs=runs)
    accs = [r["test_accuracy"] for r in ok]
    reached = [r["time_to_target_s"] for r in ok if r["time_to_target_s"] is not None]
    out = {"framework": ok[0]["framework"], "seeds": [r["seed"] for r in ok],
           "seconds_per_epoch": statistics.median(r["seconds_per_epoch"] for r in ok),
           "samples_per_sec": statistics.median(r["samples_per_sec"] for r in ok),
           "test_accuracy": statistics.fmean(accs),
           "test_accuracy_std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
           "time_to_target_s": median_or_none([r["time_to_target_s"] for r in ok]),
           "target_reached_runs": len(reached),
           "peak_host_rss_mb": max(r["peak_host_rss_mb"] for r in ok), "runs": runs}
    if any("peak_device_mb" in r for r in ok):
        out["peak_device_mb"] = max(r.get("peak_device_mb", 0.0) for r in ok)
    return out


def machine_description(device):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    desc = f"{cpu}, {os.cpu_count()} cores, {platform.platform()}"
    if device == "cuda":
        try:
            gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                                 capture_output=True, text=True).stdout.strip()
            desc = f"{gpu}; host {desc}"
        except OSError:
            pass
    return desc


def fmt(v, spec, none="not reached"):
    return none if v is None else format(v, spec)


def n_seeds(r):
    return len(r.get("seeds", [])) or 1


def acc_cell(r):
    """Final test accuracy: the value of a single run, or mean ± standard deviation over seeds."""
    if n_seeds(r) > 1:
        return f"{100 * r['test_accuracy']:.2f}% ± {100 * r['test_accuracy_std']:.2f} ({n_seeds(r)} seeds)"
    return f"{100 * r['test_accuracy']:.2f}%"


def delta_cell(ours, r):
    """Δ of the (mean) accuracies in points; with several seeds also its standard error."""
    d = 100 * (ours["test_accuracy"] - r["test_accuracy"])
    if n_seeds(ours) > 1 and n_seeds(r) > 1:
        se = 100 * math.sqrt(ours["test_accuracy_std"] ** 2 / n_seeds(ours) + r["test_accuracy_std"] ** 2 / n_seeds(r))
        return f"{d:+.2f} (SE {se:.2f})"
    return f"{d:+.2f}"


def target_cell(r):
    t = r["time_to_target_s"]
    cell = fmt(t, ".1f") + ("" if t is None else " s")
    if n_seeds(r) > 1 and r.get("target_reached_runs", n_seeds(r)) < n_seeds(r):
        cell += f" ({r['target_reached_runs']}/{n_seeds(r)} seeds)"
    return cell


def render_markdown(doc):
    lines = ["# Benchmarks: gpudigits against PyTorch", "",
             "Generated by `bench/e2e_vs_torch.py` from `docs/benchmarks.json` (raw numbers, per-epoch curves).",
             "Each section is one run on one machine: both engines trained the same models back to back, so",
             "the ratios compare like with like; absolute timings from different sections do not.", "",
             "Columns: samples/s and s/epoch from the median epoch; time to target = training seconds until the",
             "test accuracy (evaluated untimed after every epoch) first reached 98% (mlp), 99% (cnn) or 98.5%",
             "(lcnn); final test accuracy after the same epochs; peak memory = peak resident host memory of the",
             "process (and on GPUs PyTorch's peak allocated device memory). Sections run with several seeds give",
             "the accuracy as mean ± standard deviation over the seeds, Δ as the difference of the means (SE: its",
             "standard error), and speed and time to target as medians over the seeds.", ""]
    for key in sorted(doc):
        sec = doc[key]
        m = sec["meta"]
        lines += [f"## {key}", "", f"Machine: {m['machine']}. Date: {m['date']}. Command: `{m['command']}`.", "",
                  "| arch | engine | epochs | samples/s | s/epoch | speed-up | time to target | final test acc | Δ acc (points) | peak mem (MB) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for row in sec["rows"]:
            ours = row["gpudigits"]
            for r in [ours] + row["pytorch"]:
                if "error" in r:
                    lines.append(f"| {row['arch']} | {r['framework']} | | | | | | | | failed: {r['error']} |")
                    continue
                speed = ours["samples_per_sec"] / r["samples_per_sec"] if r is not ours else None
                dacc = delta_cell(ours, r) if r is not ours else ""
                mem = f"{r['peak_host_rss_mb']:.0f}" + (f" (+{r['peak_device_mb']:.0f} dev)" if "peak_device_mb" in r else "")
                lines.append(f"| {row['arch']} | {r['framework']} | {row['epochs']} | {r['samples_per_sec']:.0f} | "
                             f"{r['seconds_per_epoch']:.2f} | {'' if speed is None else f'gpudigits {speed:.2f}x'} | "
                             f"{target_cell(r)} | {acc_cell(r)} | {dacc} | {mem} |")
        lines.append("")
    return "\n".join(lines)


NOTES_MARKER = "<!-- Hand-written notes below: bench/e2e_vs_torch.py keeps everything from this line on. -->"


def kept_notes(markdown_path):
    """The hand-written part of an existing markdown file (from NOTES_MARKER on), so regenerating the
    tables never drops the reading notes written under them."""
    if not os.path.exists(markdown_path):
        return ""
    text = open(markdown_path).read()
    at = text.find(NOTES_MARKER)
    return "" if at < 0 else "\n" + text[at:].rstrip("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    ap.add_argument("--archs", default="mlp,cnn,lcnn")
    ap.add_argument("--epochs", type=int, default=0, help="epochs for every arch (default: mlp 10, cnn 6, lcnn 8)")
    ap.add_argument("--seeds", default="1", help="comma-separated seeds; every engine trains once per seed "
                    "(accuracy: mean ± std over seeds; speed: median)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--gpu-train", default=os.path.join(ROOT, "build", "gpu_train"))
    ap.add_argument("--python", default="/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable,
                    help="interpreter with torch (default: the distro's, where python3-torch installs)")
    ap.add_argument("--json", default=os.path.join(ROOT, "docs", "benchmarks.json"),
                    help="results file to merge this run into (default docs/benchmarks.json)")
    ap.add_argument("--markdown", default=os.path.join(ROOT, "docs", "benchmarks.md"),
                    help="table regenerated from --json (default docs/benchmarks.md)")
    ap.add_argument("--label", default="", help="section name (default: '<device> <date>')")
    ap.add_argument("--batch-size", type=int, default=0, help="batch size for every arch and both engines "
                    "(default: gpu_train's recipe, 128; lcnn 64)")
    ap.add_argument("--torch-modes", default="", help="PyTorch modes to run: eager, or eager,compile "
                    "(default: eager on the CPU, eager,compile on CUDA)")
    args = ap.parse_args()
    if not os.access(args.gpu_train, os.X_OK):
        raise SystemExit(f"{args.gpu_train} not found: build first (./setup.sh)")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise SystemExit(f"--seeds must be comma-separated integers, got '{args.seeds}'")
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise SystemExit(f"--seeds needs distinct non-negative seeds, got '{args.seeds}'")

    rows = []
    if args.torch_modes:
        names = args.torch_modes.split(",")
        if not names or any(m not in ("eager", "compile") for m in names) or len(set(names)) != len(names):
            raise SystemExit(f"--torch-modes takes eager and/or compile, got '{args.torch_modes}'")
        modes = [m == "compile" for m in names]
    else:
        modes = [False, True] if args.device == "cuda" else [False]
    if args.batch_size < 0:
        raise SystemExit(f"--batch-size must be positive, got {args.batch_size}")
    with tempfile.TemporaryDirectory() as work:
        for arch in args.archs.split(","):
            epochs = args.epochs or DEFAULT_EPOCHS[arch]
            ours_runs, theirs_runs = [], [[] for _ in modes]
            for seed in seeds:
                print(f"[{time.strftime('%H:%M:%S')}] {arch}: gpudigits, {epochs} epochs, seed {seed}", flush=True)
                ours_runs.append(run_ours(args, arch, epochs, work, seed))
                for k, compile_mode in enumerate(modes):
                    print(f"[{time.strftime('%H:%M:%S')}] {arch}: pytorch {'compile' if compile_mode else 'eager'}, "
                          f"seed {seed}", flush=True)
                    theirs_runs[k].append(run_torch(args, arch, epochs, compile_mode, seed))
                print(f"    test accuracy: gpudigits {100 * ours_runs[-1]['test_accuracy']:.2f}%, pytorch " +
                      ", ".join(f"{100 * t[-1]['test_accuracy']:.2f}%" if "error" not in t[-1] else "failed"
                                for t in theirs_runs), flush=True)
            if len(seeds) == 1:  # the single-seed layout of earlier sections
                ours, theirs = ours_runs[0], [t[0] for t in theirs_runs]
            else:
                ours, theirs = aggregate(ours_runs), [aggregate(t) for t in theirs_runs]
            rows.append({"arch": arch, "epochs": epochs, "target": TARGETS[arch], "seeds": seeds,
                         "gpudigits": ours, "pytorch": theirs})

    doc = json.load(open(args.json)) if os.path.exists(args.json) else {}
    label = args.label or f"{args.device} {datetime.date.today().isoformat()}"
    cmd = "python3 bench/e2e_vs_torch.py " + " ".join(a if " " not in a else repr(a) for a in sys.argv[1:])
    env = {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "GOMP_SPINCOUNT") if k in os.environ}
    if env:
        cmd += " (with " + ", ".join(f"{k}={v}" for k, v in env.items()) + " in the environment)"
    doc[label] = {"meta": {"date": datetime.date.today().isoformat(), "machine": machine_description(args.device),
                           "command": cmd.strip(), "threads": args.threads, "seeds": seeds}, "rows": rows}
    with open(args.json + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(args.json + ".tmp", args.json)
    md = render_markdown(doc) + kept_notes(args.markdown)
    with open(args.markdown + ".tmp", "w") as f:
        f.write(md + "\n")
    os.replace(args.markdown + ".tmp", args.markdown)
    print(md)


if __name__ == "__main__":
    main()
