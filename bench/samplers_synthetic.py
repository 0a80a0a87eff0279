#!/usr/bin/env python3
"""The samplers on synthetic problems whose optimum is known: evaluations to a fixed regret, and
where a sampler spends its trials on a mixed space, for gpudigits' TPE and GP (through the Python
module's ask/tell Study) against Optuna's TPE (the distro's python3-optuna 3.1), multivariate and
univariate, as shipped ("optuna-tpe-multivariate", "optuna-tpe") and with the upstream fix of its
truncated-normal density applied ("...-fixed", see use_fixed_truncnorm).

Problems (all minimised; regret = value - known minimum):
  branin     2 floats, the classic three-minimum function (minimum 0.397887); target regret 0.1
  hartmann6  6 floats in [0, 1] (minimum -3.32237); target regret 0.3
  mixed      a log-scaled float, a log-scaled int and a three-way categorical whose best float and
             int depend on the category. "sgd" is a broad basin with a worse floor (0.25), "adam"
             a narrow one holding the minimum (0), "rmsprop" in between (0.1); target regret 0.05,
             reachable only in "adam" within about 0.3 decades of its best lr.
  mixed4     mixed plus a uniform float that matters in every category (4 parameters).
Per sampler and problem: the median over seeds of the evaluations until the best value first came
within the target regret (a seed that never does counts as budget + 1 and as a miss), and for the
mixed problems how many seeds spent more than 90% of their last 50 trials in one wrong category.

  PYTHONPATH=build/python /usr/bin/python3 bench/samplers_synthetic.py --seeds 15 --budget 150 \\
      --json docs/sampler-synthetic.json
"""
import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "build", "python"))


def branin(p):
    x, y = p["x"], p["y"]
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (y - b * x * x + c * x - r) ** 2 + s * (1 - t) * math.cos(x) + s


HART_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HART_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
          [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
HART_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(p):
    x = [p[f"x{i}"] for i in range(6)]
    return -sum(HART_ALPHA[i] * math.exp(-sum(HART_A[i][j] * (x[j] - HART_P[i][j]) ** 2 for j in range(6)))
                for i in range(4))


# category: (floor, curvature, best log10 lr, best log2 width)
MIXED = {"sgd": (0.25, 0.05, -1.0, 6.0), "adam": (0.0, 0.6, -3.5, 8.0), "rmsprop": (0.1, 0.2, -2.5, 5.0)}


def mixed(p):
    floor, a, lr0, w0 = MIXED[p["kind"]]
    d_lr = math.log10(p["lr"]) - lr0
    d_w = math.log2(p["width"]) - w0
    value = floor + a * (d_lr ** 2 + 0.25 * d_w ** 2)
    if "mom" in p:
        value += 0.3 * (p["mom"] - 0.7) ** 2
    return value


MIXED_SPACE = {"lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True},
               "width": {"type": "int", "low": 4, "high": 1024, "log": True},
               "kind": {"type": "categorical", "choices": ["sgd", "adam", "rmsprop"]}}
PROBLEMS = {
    "branin": (branin, {"x": {"type": "float", "low": -5, "high": 10}, "y": {"type": "float", "low": 0, "high": 15}},
               0.397887, 0.1),
    "hartmann6": (hartmann6, {f"x{i}": {"type": "float", "low": 0, "high": 1} for i in range(6)}, -3.32237, 0.3),
    "mixed": (mixed, MIXED_SPACE, 0.0, 0.05),
    "mixed4": (mixed, dict(MIXED_SPACE, mom={"type": "float", "low": 0, "high": 1}), 0.0, 0.05),
}


def run_gpudigits(sampler, fn, space, seed, budget, work, options=None):
    from gpudigits import tune
    db = os.path.join(work, f"{sampler}-{seed}-{time.monotonic_ns()}.db")
    study = tune.Study(storage=db, name="s", space=space, direction="minimize", sampler=sampler, seed=seed,
                       sampler_options=options)
    history = []
    for _ in range(budget):
        t = study.ask()
        v = fn(t.params)
        study.tell(t, v)
        history.append((v, t.params))
    return history


_ORIGINAL_LOGPDF = None


def use_fixed_truncnorm(fixed):
    """Optuna before 3.5 (Debian ships 3.1) leaves -log(scale) out of its truncated normal's log
    density (optuna issue #5109, fixed by pull request #5110), which weights every Parzen kernel
    by its bandwidth and so inflates the wide prior kernel. fixed=True applies the upstream fix."""
    global _ORIGINAL_LOGPDF
    import numpy as np
    from optuna.samplers._tpe import _truncnorm
    if _ORIGINAL_LOGPDF is None:
        _ORIGINAL_LOGPDF = _truncnorm.logpdf
    if fixed:
        _truncnorm.logpdf = lambda x, a, b, loc=0, scale=1: _ORIGINAL_LOGPDF(x, a, b, loc, scale) - np.log(scale)
    else:
        _truncnorm.logpdf = _ORIGINAL_LOGPDF


def run_optuna(multivariate, fn, space, seed, budget, fixed=False):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings
    warnings.filterwarnings("ignore")
    use_fixed_truncnorm(fixed)
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=multivariate)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    history = []

    def objective(trial):
        p = {}
        for name, s in space.items():
            if s["type"] == "float":
                p[name] = trial.suggest_float(name, s["low"], s["high"], log=s.get("log", False))
            elif s["type"] == "int":
                p[name] = trial.suggest_int(name, s["low"], s["high"], log=s.get("log", False))
            else:
                p[name] = trial.suggest_categorical(name, s["choices"])
        v = fn(p)
        history.append((v, p))
        return v

    study.optimize(objective, n_trials=budget)
    return history


def summarise(history, minimum, target, budget):
    best = math.inf
    reached = budget + 1
    for i, (v, _) in enumerate(history):
        best = min(best, v)
        if best - minimum <= target and reached > budget:
            reached = i + 1
    out = {"evals_to_target": reached, "best_regret": best - minimum}
    if "kind" in history[0][1]:
        last = [p["kind"] for _, p in history[-50:]]
        shares = {k: last.count(k) / len(last) for k in MIXED}
        out["last50_share"] = shares
        out["locked_wrong"] = any(s > 0.9 for k, s in shares.items() if k != "adam")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=15)
    ap.add_argument("--budget", type=int, default=150)
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--samplers", default="tpe,gp,optuna-tpe-multivariate,optuna-tpe-multivariate-fixed,optuna-tpe")
    ap.add_argument("--options", default="{}", help="JSON sampler options for the gpudigits samplers, e.g. "
                    "'{\"tpe\": {\"prior_weight\": 2}}'")
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    results = {}
    options = json.loads(a.options)
    with tempfile.TemporaryDirectory() as work:
        for prob in a.problems.split(","):
            fn, space, minimum, target = PROBLEMS[prob]
            for sampler in a.samplers.split(","):
                rows, t0 = [], time.time()
                for seed in range(1, a.seeds + 1):
                    if sampler.startswith("optuna-tpe"):
                        h = run_optuna("multivariate" in sampler, fn, space, seed, a.budget, sampler.endswith("-fixed"))
                    else:
                        h = run_gpudigits(sampler, fn, space, seed, a.budget, work, options.get(sampler))
                    rows.append(summarise(h, minimum, target, a.budget))
                evals = [r["evals_to_target"] for r in rows]
                summary = {"median_evals": statistics.median(evals), "min": min(evals), "max": max(evals),
                           "misses": sum(e > a.budget for e in evals),
                           "seconds_per_trial": (time.time() - t0) / (a.seeds * a.budget), "seeds": rows}
                line = (f"{prob:10s} {sampler:26s} median {summary['median_evals']:6.1f}  range {min(evals)}-"
                        f"{max(evals)}  misses {summary['misses']:2d}/{a.seeds}")
                if "locked_wrong" in rows[0]:
                    summary["locked_wrong"] = sum(r["locked_wrong"] for r in rows)
                    adam = statistics.median(r["last50_share"]["adam"] for r in rows)
                    line += f"  locked on a wrong category {summary['locked_wrong']:2d}  median last-50 share of adam {adam:.2f}"
                print(line, flush=True)
                results.setdefault(prob, {})[sampler] = summary
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"seeds": a.seeds, "budget": a.budget, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
