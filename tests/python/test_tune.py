"""gpudigits.tune.Study: Optuna-style ask/tell and optimize over the engine's samplers and SQLite
studies."""
import math
import os
import statistics
import subprocess
import sys
import textwrap

import pytest

import gpudigits
from gpudigits.tune import Study

SPACE = {"x": {"type": "float", "low": -5.0, "high": 5.0}, "y": {"type": "float", "low": -5.0, "high": 5.0}}


def quadratic(t):
    return (t["x"] - 1.0) ** 2 + (t["y"] + 2.0) ** 2


def best_after(tmp_path, sampler, seed, n):
    s = Study(storage=tmp_path / f"{sampler}-{seed}.db", name="q", space=SPACE, sampler=sampler, seed=seed)
    s.optimize(quadratic, n_trials=n)
    assert len(s.trials) == n and all(t["state"] == "complete" for t in s.trials)
    return s.best_value


def test_model_based_samplers_beat_random_search_on_a_quadratic(tmp_path):
    seeds = range(1, 6)
    random = statistics.median(best_after(tmp_path, "random", s, 25) for s in seeds)
    gp = statistics.median(best_after(tmp_path, "gp", s, 25) for s in seeds)
    tpe = statistics.median(best_after(tmp_path, "tpe", s, 25) for s in seeds)
    assert gp < random / 4, (gp, random)
    assert tpe < random, (tpe, random)


def test_ask_tell_misuse_is_a_clear_error(tmp_path):
    s = Study(storage=tmp_path / "s.db", name="q", space=SPACE)
    t = s.ask()
    with pytest.raises(ValueError, match="was not handed out"):
        s.tell(t.number + 7, 1.0)
    with pytest.raises(ValueError, match="nan"):
        s.tell(t, float("nan"))
    s.tell(t, 3.0)
    with pytest.raises(ValueError, match="already told"):
        s.tell(t, 2.0)
    u = s.ask()
    s.tell(u, fail="diverged")
    states = {x["number"]: x["state"] for x in s.trials}
    assert states == {t.number: "complete", u.number: "failed"}
    assert s.best_value == 3.0 and s.best_params == t.params


def test_a_trial_never_told_is_failed_when_the_study_goes_away(tmp_path):
    s = Study(storage=tmp_path / "s.db", name="q", space=SPACE)
    s.ask()
    del s
    again = Study(storage=tmp_path / "s.db", name="q", space=SPACE)
    assert [t["state"] for t in again.trials] == ["failed"]
    assert "never told" in again.trials[0]["fail_reason"]


def test_spaces_from_toml_files_and_bad_spaces(tmp_path):
    s = Study(storage=tmp_path / "s.db", name="mlp", space=os.path.join(os.path.dirname(__file__), "..", "..",
                                                                         "spaces", "mlp.toml"), direction="maximize")
    t = s.ask()
    assert "lr" in t.params and s.direction == "maximize"
    with pytest.raises(ValueError, match="low"):
        Study(storage=tmp_path / "b.db", name="bad", space={"x": {"type": "float", "low": 2.0, "high": 1.0}})
    with pytest.raises(FileNotFoundError):
        Study(storage=tmp_path / "c.db", name="c", space=str(tmp_path / "absent.toml"))


def test_two_processes_on_one_study_lose_no_trial(tmp_path):
    db = tmp_path / "shared.db"
    worker = textwrap.dedent(f"""
        from gpudigits.tune import Study
        s = Study(storage={str(db)!r}, name="q", space={SPACE!r}, sampler="tpe")
        for _ in range(12):
            t = s.ask()
            s.tell(t, (t["x"] - 1.0) ** 2 + (t["y"] + 2.0) ** 2)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", worker], env=dict(os.environ)) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    trials = Study(storage=db, name="q", space=SPACE).trials
    assert sorted(t["number"] for t in trials) == list(range(24))
    assert all(t["state"] == "complete" for t in trials)


def test_training_objective_tunes_a_model(small, tmp_path):
    (x, y), _ = small
    s = Study(storage=tmp_path / "t.db", name="mlp", direction="maximize", sampler="random",
              space={"lr": {"type": "float", "low": 0.01, "high": 0.1, "log": True},
                     "dropout": {"type": "float", "low": 0.0, "high": 0.3}})
    s.optimize(gpudigits.tune.training_objective(x, y, arch="mlp", epochs=1, device="cpu"), n_trials=2)
    assert [t["state"] for t in s.trials] == ["complete", "complete"]
    assert 0.5 < s.best_value <= 1.0
