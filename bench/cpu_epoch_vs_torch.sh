#!/usr/bin/env bash
# Seconds per training epoch on full MNIST, gpu_train (CPU backend) against PyTorch on the same
# machine, same models, batch 128, in one run. Writes docs/cpu-epoch-times.md and .json.
#
#   bench/cpu_epoch_vs_torch.sh [DATA_DIR] [EPOCHS]
#
# DATA_DIR holds the MNIST IDX files (default ../shared/data/mnist); EPOCHS per measurement (default
# 1; the fastest epoch is reported for both engines). Needs ./setup.sh --bench (python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/mnist}
epochs=${2:-1}
bin=build/gpu_train
# The distro interpreter: python3-torch installs into it (a pyenv python3 on PATH would lack torch).
PY=${PYTHON:-/usr/bin/python3}
[ -x "$bin" ] || { echo "build first: ./setup.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json=docs/cpu-epoch-times.json
echo "[" > "$tmp/rows"
first=1
for arch in mlp cnn lcnn; do
  "$bin" --arch "$arch" --dataset mnist --data-dir "$data" --epochs "$epochs" --quiet --out "$tmp/$arch" > /dev/null
  ours=$(python3 - "$tmp/$arch" <<'PY'
import json, sys
h = json.load(open(sys.argv[1] + "/history.json"))
m = json.load(open(sys.argv[1] + "/metrics.json"))
recs = h["epochs"] if isinstance(h, dict) and "epochs" in h else h
sec = min(r["seconds"] for r in recs)
print(json.dumps({"seconds_per_epoch": sec, "samples_per_sec": m["train_samples"] / sec,
                  "test_accuracy": m["test_accuracy"], "device": m["device"]}))
PY
)
  theirs=$("$PY" bench/torch_mnist.py --arch "$arch" --epochs "$epochs" --data-dir "$data")
  [ $first = 1 ] || echo "," >> "$tmp/rows"
  first=0
  echo "{\"arch\": \"$arch\", \"gpudigits\": $ours, \"pytorch\": $theirs}" >> "$tmp/rows"
done
echo "]" >> "$tmp/rows"
python3 - "$tmp/rows" "$json" "$epochs" "$data" <<'PY'
import json, sys, platform, subprocess, datetime
rows = json.load(open(sys.argv[1]))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
import os
meta = {"date": datetime.date.today().isoformat(), "machine": f"{cpu}, {os.cpu_count()} cores",
        "command": f"bench/cpu_epoch_vs_torch.sh {sys.argv[4]} {sys.argv[3]}", "epochs": int(sys.argv[3])}
json.dump({"meta": meta, "rows": rows}, open(sys.argv[2], "w"), indent=2)
lines = ["# CPU seconds per epoch: gpudigits vs PyTorch", "",
         f"Machine: {meta['machine']}. Date: {meta['date']}. Command: `{meta['command']}` (one run, both",
         "engines back to back on the same machine; fastest of the measured epochs; 54,000 training images,",
         "each arch's recipe (batch 128, lcnn 64; SGD with Nesterov momentum), same architectures and",
         "He-uniform initialisation).", "",
         "| arch | gpudigits s/epoch | PyTorch s/epoch | speed-up | gpudigits samples/s | PyTorch samples/s |",
         "|---|---|---|---|---|---|"]
for r in rows:
    g, t = r["gpudigits"], r["pytorch"]
    lines.append(f"| {r['arch']} | {g['seconds_per_epoch']:.2f} | {t['seconds_per_epoch']:.2f} | "
                 f"{t['seconds_per_epoch'] / g['seconds_per_epoch']:.2f}x | {g['samples_per_sec']:.0f} | {t['samples_per_sec']:.0f} |")
lines += ["", f"gpudigits: {rows[0]['gpudigits']['device']}; PyTorch: {rows[0]['pytorch']['framework']}.",
          "Raw numbers: `docs/cpu-epoch-times.json`."]
open("docs/cpu-epoch-times.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
