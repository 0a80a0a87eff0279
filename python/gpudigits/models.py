"""Keras-style models over the gpudigits engine.

    model = gpudigits.Model("cnn")                 # or "mlp", "lcnn", or any spec string
    history = model.fit(x_train, y_train, epochs=6, validation_split=0.1,
                        callbacks=[gpudigits.EarlyStopping(patience=3)])
    loss, accuracy = model.evaluate(x_test, y_test)
    probabilities = model.predict(x_test)          # (N, 10) float32
    model.save("cnn.ckpt")                         # the checkpoint format of gpu_train / gpu_eval
    same = gpudigits.load_model("cnn.ckpt")

Settings left out (epochs, batch size, optimiser, learning rate, schedule, dropout) come from the
architecture's recipe, exactly as ``gpu_train --arch NAME`` chooses them, so the same settings and
seed give the same model as the command line. The GIL is released while the engine trains or
predicts; Ctrl-C stops training after the step in progress, keeps the weights reached, and raises
KeyboardInterrupt.
"""
import json
import math
import os
import shutil
import sys
import tempfile
import time

from . import _core
from .callbacks import EarlyStopping


class History:
    """What ``fit`` returns: ``history`` maps "loss", "accuracy", "val_loss", "val_accuracy" and "lr"
    to per-epoch lists, as Keras' History does; ``epoch`` lists the epoch indices (from 0)."""

    def __init__(self, records, params):
        keys = ("loss", "accuracy", "val_loss", "val_accuracy", "lr")
        self.history = {k: [r[k] for r in records] for k in keys}
        self.epoch = list(range(len(records)))
        self.params = params

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class _ProgressBar:
    """verbose=1: a bar per epoch redrawn in place (a terminal or a Jupyter cell); 2: one line per
    epoch; 0: nothing."""

    def __init__(self, verbose, stream=None):
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.t0 = time.monotonic()

    def message(self, line):
        if self.verbose:
            print(line, file=self.stream, flush=True)

    def batch(self, epoch, epochs, done, total, loss, acc):
        if self.verbose != 1:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        bar = "=" * max(filled - 1, 0) + (">" if filled < width else "=") + "." * (width - filled)
        print(f"\rEpoch {epoch}/{epochs} [{bar}] {done}/{total} - loss: {loss:.4f} - accuracy: {acc:.4f}",
              end="", file=self.stream, flush=True)

    def epoch_end(self, epoch, epochs, logs):
        if not self.verbose:
            return
        val = ""
        if not math.isnan(logs.get("val_loss", float("nan"))):
            val = f" - val_loss: {logs['val_loss']:.4f} - val_accuracy: {logs['val_accuracy']:.4f}"
        line = (f"Epoch {epoch}/{epochs} - {logs['seconds']:.1f}s - loss: {logs['loss']:.4f} - "
                f"accuracy: {logs['accuracy']:.4f}{val}")
        print(("\r" if self.verbose == 1 else "") + line, file=self.stream, flush=True)


def _check_arch(arch):
    if not isinstance(arch, str) or not arch:
        raise ValueError(f"arch must be a name ('mlp', 'cnn', 'lcnn') or a spec string, got {arch!r}")
    _core.check_arch(arch)  # ValueError naming the bad token


class Model:
    """A digit classifier: a named architecture ("mlp", "cnn", "lcnn") or a spec string."""

    def __init__(self, arch="mlp", device="auto"):
        _check_arch(arch)
        self.arch = arch
        self.device = device
        self.stop_training = False
        self._native = None

    @classmethod
    def _from_native(cls, native, arch, device):
        m = cls.__new__(cls)
        m.arch, m.device, m.stop_training, m._native = arch, device, False, native
        return m

    # ---- training ----------------------------------------------------------------------------
    def fit(self, x, y, epochs=None, batch_size=None, validation_split=0.1, validation_data=None,
            optimizer=None, lr=None, momentum=None, nesterov=None, weight_decay=None, dropout=None,
            schedule=None, warmup_epochs=None, augment=False, label_smoothing=0.0, clip_grad_norm=0.0,
            callbacks=None, device=None, seed=1, verbose=1, run_dir=None, threads=None, precision=None):
        """Trains a fresh model on ``(x, y)``: images (N, H, W) uint8 0..255 or float 0..1, labels (N,)
        integers. ``validation_data=(x_val, y_val)`` replaces ``validation_split`` (a stratified split
        of the training set, the same one gpu_train holds out). ``run_dir`` keeps the run's files
        (history, checkpoints) there; by default they go to a temporary directory that is removed.
        Returns a History."""
        callbacks = list(callbacks or [])
        stoppers = [c for c in callbacks if isinstance(c, EarlyStopping)]
        if len(stoppers) > 1:
            raise ValueError("at most one EarlyStopping callback")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
        cfg = {"arch": self.arch, "epochs": epochs, "batch_size": batch_size, "optimizer": optimizer, "lr": lr,
               "momentum": momentum, "nesterov": nesterov, "weight_decay": weight_decay, "dropout": dropout,
               "schedule": schedule, "warmup_epochs": warmup_epochs, "augment": bool(augment),
               "label_smoothing": float(label_smoothing), "clip_grad_norm": float(clip_grad_norm),
               "validation_split": float(validation_split), "seed": int(seed),
               "device": device or self.device, "threads": threads, "precision": precision}
        if stoppers:
            s = stoppers[0]
            cfg.update(early_stopping=s.patience, monitor=s.monitor, min_delta=s.min_delta,
                       restore_best_weights=s.restore_best_weights)
        cfg = {k: v for k, v in cfg.items() if v is not None}
        temporary = run_dir is None
        work = tempfile.mkdtemp(prefix="gpudigits-fit-") if temporary else os.fspath(run_dir)
        cfg["out"] = os.path.join(work, "run") if temporary else work

        progress = _ProgressBar(verbose)
        self.stop_training = False
        others = [c for c in callbacks if not isinstance(c, EarlyStopping)]
        for c in callbacks:
            c.set_model(self)
        for c in others:
            c.on_train_begin({})
        state = {"epochs": epochs}

        def on_epoch(record):
            logs = {k: record[k] for k in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")}
            progress.epoch_end(record["epoch"], state["epochs"] or record["epoch"], logs)
            for c in others:
                c.on_epoch_end(record["epoch"] - 1, logs)
            return not self.stop_training

        def on_batch(epoch, total_epochs, done, total, loss, acc):
            state["epochs"] = total_epochs
            progress.batch(epoch, total_epochs, done, total, loss, acc)

        xv, yv = validation_data if validation_data is not None else (None, None)
        try:
            result = _core.train(json.dumps(cfg), x, y, xv, yv, on_batch, on_epoch, progress.message)
            self._native = _core.Model(result["model_path"], cfg["device"], 256,
                                       f"Model({self.arch!r}) fitted in Python")
        finally:
            if temporary:
                shutil.rmtree(work, ignore_errors=True)
        self.device = cfg["device"]
        if stoppers and result["stopped_early"]:
            stoppers[0].stopped_epoch = result["epochs_run"] - 1
        history = History(result["history"], {"epochs": result["epochs_run"], "spec": result["spec"],
                                              "device": result["device"], "config": json.loads(result["config"])})
        for c in others:
            c.on_train_end({})
        if result["keyboard_interrupt"]:
            raise KeyboardInterrupt(f"training interrupted after {len(history.epoch)} complete epochs; "
                                    "the model keeps the weights it had reached")
        return history

    # ---- inference -----------------------------------------------------------------------------
    def _trained(self):
        if self._native is None:
            raise ValueError("this model has not been trained: call fit() first (or gpudigits.load_model)")
        return self._native

    def predict(self, x, batch_size=None, verbose=0):
        """Class probabilities, float32 (N, classes)."""
        return self._trained().predict_proba(x)

    def predict_classes(self, x):
        return self.predict(x).argmax(axis=1)

    def evaluate(self, x, y, verbose=0):
        """[loss, accuracy] on ``(x, y)`` (the loss is the mean cross-entropy gpu_eval reports)."""
        loss, accuracy = self._trained().evaluate(x, y)
        if verbose:
            print(f"loss: {loss:.4f} - accuracy: {accuracy:.4f}")
        return [loss, accuracy]

    def summary(self, print_fn=print):
        text = self._trained().summary() if self._native is not None else (
            f"Model {self.arch!r} (not built yet: fit() builds it for the data's image size)")
        if print_fn:
            print_fn(text)
        return text

    def save(self, path):
        """Writes the model as a gpudigits checkpoint (what gpu_train's model.ckpt holds; gpu_eval,
        gpu_predict and load_model read it). The file is written atomically."""
        self._trained().save(os.fspath(path))

    @property
    def spec(self):
        return self._trained().spec

    @property
    def input_shape(self):
        return tuple(self._trained().input_shape)

    @property
    def class_names(self):
        return list(self._trained().class_names)

    def count_params(self):
        return self._trained().num_params


def load_model(path, device="auto"):
    """A Model from a checkpoint written by ``Model.save`` or ``gpu_train`` (model.ckpt or
    checkpoint.ckpt). FileNotFoundError when absent, gpudigits.DataError when corrupt."""
    native = _core.Model(os.fspath(path), device)
    return Model._from_native(native, native.spec, device)
