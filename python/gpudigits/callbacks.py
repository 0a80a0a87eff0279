"""Callbacks for ``Model.fit``, in Keras' conventions.

``EarlyStopping`` runs inside the engine (its patience, monitor and best-weight restore are the
ones of ``gpu_train --early-stopping``); other callbacks are called from Python after every epoch
with Keras' ``logs`` dict and may stop training by setting ``model.stop_training = True``.
"""


class Callback:
    """Base class: override ``on_epoch_end(epoch, logs)`` (epoch counts from 0, as in Keras)."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` ("val_loss" or "val_accuracy") has not improved by more than
    ``min_delta`` for ``patience`` epochs; with ``restore_best_weights`` the model ends with the
    weights of its best epoch."""

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, restore_best_weights=True):
        if monitor not in ("val_loss", "val_accuracy"):
            raise ValueError(f"EarlyStopping monitor must be 'val_loss' or 'val_accuracy', got {monitor!r}")
        if int(patience) != patience or patience < 1:
            raise ValueError(f"EarlyStopping patience must be a positive integer, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping min_delta must be >= 0, got {min_delta!r}")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best_weights = bool(restore_best_weights)
        self.stopped_epoch = 0
