"""Hyperparameter studies in Optuna's style over the engine's samplers and persistent studies.

    study = gpudigits.tune.Study(storage="study.db", name="quadratic",
                                 space={"x": {"type": "float", "low": -5, "high": 5},
                                        "y": {"type": "float", "low": -5, "high": 5}},
                                 direction="minimize", sampler="gp")
    study.optimize(lambda t: (t["x"] - 1) ** 2 + (t["y"] + 2) ** 2, n_trials=30)
    study.best_params

or, one trial at a time, ``trial = study.ask()`` ... ``study.tell(trial, value)``. ``space`` is a
search-space TOML file (docs/search-spaces.md, e.g. spaces/mlp.toml) or a dict of the same tables.
The study lives in ``storage`` (a SQLite file): several processes may ask and tell on one study,
each seeing the others' trials. ``training_objective`` is gpu_tune's objective (train, return the
best validation accuracy) as a function of a trial.
"""
import json
import math
import os

from . import _core

__all__ = ["Study", "Trial", "training_objective", "sampler_names"]


def sampler_names():
    return list(_core.sampler_names())


def _toml_value(v, where):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"search space: {where} is {v}; bounds must be finite")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x, where) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x, where + '.' + k)}" for k, x in v.items()) + " }"
    raise ValueError(f"search space: {where} has a value of type {type(v).__name__}")


def _space_toml(space):
    """(TOML text, source name) of a TOML file path or a dict of parameter tables."""
    if isinstance(space, (str, os.PathLike)):
        path = os.fspath(space)
        with open(path) as f:  # FileNotFoundError names the path
            return f.read(), path
    if not isinstance(space, dict) or not space:
        raise ValueError("space must be a search-space TOML file or a non-empty dict {name: {type: ..., ...}}")
    params = space.get("params", space)
    lines = []
    if "description" in space and "params" in space:
        lines.append(f"description = {_toml_value(space['description'], 'description')}")
    for name, table in params.items():
        if not isinstance(table, dict):
            raise ValueError(f"search space: parameter {name!r} must be a dict like {{'type': 'float', 'low': 0, "
                             f"'high': 1}}, got {table!r}")
        lines.append(f"[params.{name}]")
        lines += [f"{k} = {_toml_value(v, name + '.' + k)}" for k, v in table.items()]
    return "\n".join(lines) + "\n", "<dict>"


class Trial:
    """One set of parameters handed out by ``Study.ask``: ``number``, ``params`` (a dict); ``trial[name]``
    reads a parameter."""

    def __init__(self, number, params):
        self.number = number
        self.params = params

    def __getitem__(self, name):
        return self.params[name]

    def __repr__(self):
        return f"Trial(number={self.number}, params={self.params})"


class Study:
    def __init__(self, storage="study.db", name="study", space=None, direction="minimize", sampler="auto",
                 seed=1, sampler_options=None):
        if space is None:
            raise ValueError("Study needs a search space (a TOML file or a dict)")
        text, source = _space_toml(space)
        self.name = name
        self.storage = os.fspath(storage)
        self._native = _core.AskTellStudy(self.storage, name, text, source, direction, sampler,
                                          json.dumps(sampler_options or {}), int(seed))

    @property
    def direction(self):
        return self._native.direction

    def ask(self):
        number, params = self._native.ask()
        return Trial(number, json.loads(params))

    def tell(self, trial, value=None, fail=None):
        """Ends ``trial`` (a Trial or its number) with ``value``, or as failed with ``fail`` (a reason).
        ValueError for a trial this study did not hand out, a second tell, or a non-finite value."""
        number = trial.number if isinstance(trial, Trial) else int(trial)
        if fail is not None:
            self._native.tell_failed(number, str(fail) or "failed")
        elif value is None:
            raise ValueError(f"tell: trial {number} needs a value (or fail='reason')")
        else:
            self._native.tell(number, float(value))

    def optimize(self, fn, n_trials, catch=()):
        """Runs ``n_trials`` trials of ``fn(trial) -> value``. An exception of a type in ``catch`` fails
        that trial and the study goes on; any other is raised after the trial is marked failed."""
        for _ in range(int(n_trials)):
            trial = self.ask()
            try:
                value = fn(trial)
            except catch as e:
                self.tell(trial, fail=f"{type(e).__name__}: {e}")
                continue
            except BaseException as e:
                self.tell(trial, fail=f"{type(e).__name__}: {e}")
                raise
            if value is None or not math.isfinite(float(value)):
                self.tell(trial, fail=f"the objective returned {value!r}")
            else:
                self.tell(trial, value)

    @property
    def trials(self):
        return [json.loads(t) for t in self._native.trials()]

    @property
    def best_trial(self):
        t = self._native.best_trial()
        if t is None:
            raise ValueError(f"study {self.name!r} has no complete trial yet")
        return json.loads(t)

    @property
    def best_params(self):
        return self.best_trial["params"]

    @property
    def best_value(self):
        return self.best_trial["value"]


def training_objective(x, y, arch="mlp", epochs=3, metric="val_accuracy", validation_split=0.1, device="auto",
                       seed=1, threads=None):
    """gpu_tune's training objective as a function of a trial: the trial's parameters (the vocabulary
    of engine/tune/trial_config.h: lr, optimizer, dropout, batch_size, layers, width<i>, ...) train
    ``arch`` on (x, y) for ``epochs`` and the best validation accuracy (or loss, with
    metric="val_loss", for direction="minimize") is returned."""
    if metric not in ("val_accuracy", "val_loss"):
        raise ValueError(f"metric must be 'val_accuracy' or 'val_loss', got {metric!r}")
    from .models import Model

    def objective(trial):
        settings = json.loads(_core.trial_fit_settings(arch, json.dumps(trial.params), int(epochs)))
        model = Model(settings.pop("arch"), device=device)
        h = model.fit(x, y, validation_split=validation_split, seed=seed, threads=threads, verbose=0, **settings)
        values = h.history[metric]
        return max(values) if metric == "val_accuracy" else min(values)

    return objective
