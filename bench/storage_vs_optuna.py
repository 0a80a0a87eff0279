#!/usr/bin/env python3
"""Coordination overhead of one shared study on PostgreSQL: gpudigits' StudyStorage against
Optuna's RDBStorage, on the same server, in the same run.

Both run W worker processes (default 32) that together run T trials (default 1000) of a no-op
objective (x^2 + y^2 on two floats, random sampler): ask, one heartbeat, tell. The wall time from
the start signal to the last tell, per trial, is the coordination cost. Both results are checked:
exactly T trials, numbers 0..T-1 each once, none left running.

By default it starts a private PostgreSQL server (tests/support/pg_server.sh, with durable
settings: fsync on) and stops it at the end; --url uses a server of yours (a superuser URL; two
databases gd_bench_<pid> and optuna_bench_<pid> are created there and dropped).
Results: docs/storage-benchmark.json (and the table in docs/storage-benchmark.md).

  ./setup.sh --bench && cmake --build build --target storage_overhead_bench
  /usr/bin/python3 bench/storage_vs_optuna.py
"""
import argparse
import datetime
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def with_db(url, name):
    head, _, rest = url.rpartition("/")
    query = ""
    if "?" in rest:
        query = "?" + rest.split("?", 1)[1]
    return head + "/" + name + query


def admin(url, *statements):
    import psycopg2
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for s in statements:
            cur.execute(s)
    conn.close()


def run_gpudigits(build_dir, url, workers, trials):
    env = dict(os.environ, GD_BENCH_STORAGE=url, GD_BENCH_WORKERS=str(workers), GD_BENCH_TRIALS=str(trials))
    p = subprocess.run([os.path.join(build_dir, "bench", "storage_overhead_bench"), "--benchmark_format=json"],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit("storage_overhead_bench failed:\n" + p.stderr[-3000:])
    b = json.loads(p.stdout)["benchmarks"][0]
    if "error_message" in b:
        sys.exit("storage_overhead_bench: " + b["error_message"])
    return {k: b[k] for k in ("wall_s", "ms_per_trial", "worker_ms_per_trial", "trials", "lost", "duplicated",
                              "stuck", "failed_workers")}


def optuna_worker(url, n, seed, gate, errors):
    import warnings
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # We record the heartbeat ourselves, as a worker of study.optimize() would once per trial.
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
    try:
        storage = optuna.storages.RDBStorage(url, heartbeat_interval=60, grace_period=120)
        study = optuna.load_study(study_name="overhead", storage=storage,
                                  sampler=optuna.samplers.RandomSampler(seed=seed))
        gate.wait()
        for _ in range(n):
            trial = study.ask()
            x = trial.suggest_float("x", -10.0, 10.0)
            y = trial.suggest_float("y", -10.0, 10.0)
            storage.record_heartbeat(trial._trial_id)
            study.tell(trial, x * x + y * y)
    except Exception as e:  # reported by the parent
        errors.put(repr(e))
        raise


def run_optuna(url, workers, trials):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(url, heartbeat_interval=60, grace_period=120)
    optuna.create_study(study_name="overhead", storage=storage, direction="minimize")
    ctx = mp.get_context("fork")
    gate = ctx.Barrier(workers + 1)
    errors = ctx.Queue()
    procs = []
    for w in range(workers):
        n = trials // workers + (1 if w < trials % workers else 0)
        p = ctx.Process(target=optuna_worker, args=(url, n, 1000 + w, gate, errors))
        p.start()
        procs.append(p)
    gate.wait()  # every worker connected and waiting
    t0 = time.perf_counter()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    failed = sum(p.exitcode != 0 for p in procs)
    study = optuna.load_study(study_name="overhead", storage=optuna.storages.RDBStorage(url))
    all_trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in all_trials]
    complete = sum(t.state == optuna.trial.TrialState.COMPLETE for t in all_trials)
    stuck = sum(t.state == optuna.trial.TrialState.RUNNING for t in all_trials)
    dense = sorted(numbers) == list(range(len(numbers)))
    return {"wall_s": wall, "ms_per_trial": 1000 * wall / trials, "worker_ms_per_trial": 1000 * wall * workers / trials,
            "trials": len(all_trials), "lost": max(0, trials - complete - stuck),
            "duplicated": (len(numbers) - len(set(numbers))) + (0 if dense else 1), "stuck": stuck,
            "failed_workers": failed, "optuna": optuna.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="superuser URL of a PostgreSQL server to use instead of a private one")
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "storage-benchmark.json"))
    args = ap.parse_args()

    state = None
    url = args.url
    if not url:
        state = tempfile.mkdtemp(prefix="gd-bench-pg-")
        env = dict(os.environ, PG_DURABLE="1")
        subprocess.run([os.path.join(ROOT, "tests", "support", "pg_server.sh"), "start", state], check=True, env=env)
        with open(os.path.join(state, "url")) as f:
            url = f.read().strip()
    ours_db, theirs_db = "gd_bench_%d" % os.getpid(), "optuna_bench_%d" % os.getpid()
    try:
        admin(url, "CREATE DATABASE " + ours_db, "CREATE DATABASE " + theirs_db)
        import psycopg2
        c = psycopg2.connect(url)
        with c.cursor() as cur:
            cur.execute("SHOW server_version")
            server_version = cur.fetchone()[0]
            cur.execute("SHOW fsync")
            fsync = cur.fetchone()[0]
        c.close()
        ours = run_gpudigits(args.build_dir, with_db(url, ours_db), args.workers, args.trials)
        theirs = run_optuna(with_db(url, theirs_db), args.workers, args.trials)
    finally:
        try:
            admin(url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % ours_db,
                  "DROP DATABASE IF EXISTS %s WITH (FORCE)" % theirs_db)
        except Exception:
            pass
        if state:
            subprocess.run([os.path.join(ROOT, "tests", "support", "pg_server.sh"), "stop", state])
    result = {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "machine": "%s, %d CPUs, %s" % (platform.node(), os.cpu_count(), platform.platform()),
        "postgresql": server_version + (" (private server, fsync %s)" % fsync),
        "command": "/usr/bin/python3 bench/storage_vs_optuna.py --workers %d --trials %d" % (args.workers, args.trials),
        "workers": args.workers, "trials": args.trials,
        "gpudigits": ours, "optuna_rdb": theirs,
        "overhead_ratio_optuna_over_gpudigits": theirs["ms_per_trial"] / ours["ms_per_trial"],
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("%-22s %10s %14s %6s %6s %6s" % ("", "wall s", "ms per trial", "lost", "dup", "stuck"))
    for name, r in (("gpudigits StudyStorage", ours), ("Optuna RDBStorage", theirs)):
        print("%-22s %10.2f %14.2f %6d %6d %6d" % (name, r["wall_s"], r["ms_per_trial"], r["lost"], r["duplicated"],
                                                    r["stuck"]))
    print("Optuna / gpudigits overhead: %.1fx  (written to %s)" % (result["overhead_ratio_optuna_over_gpudigits"],
                                                                   args.out))


if __name__ == "__main__":
    main()
