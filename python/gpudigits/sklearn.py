"""A scikit-learn classifier over the gpudigits engine.

    from sklearn.model_selection import RandomizedSearchCV
    from gpudigits.sklearn import DigitClassifier
    search = RandomizedSearchCV(DigitClassifier(arch="mlp", epochs=3),
                                {"lr": loguniform(1e-3, 1e-1), "dropout": [0.0, 0.2, 0.5]},
                                n_iter=10, cv=3)
    search.fit(x_train, y_train)

X is images: (N, H, W) or (N, 1, H, W), or flattened (N, H*W) with square images (784 -> 28x28,
256 -> 16x16), uint8 0..255 or float 0..1. y holds class labels of any type scikit-learn accepts
(they are encoded to 0..K-1 and decoded back, ``classes_`` keeps them).
"""
import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from .models import Model


def _as_images(X):
    X = np.asarray(X)
    if X.ndim == 2:
        side = math.isqrt(X.shape[1])
        if side * side != X.shape[1]:
            raise ValueError(f"flattened images must have a square number of pixels (784 for 28x28, 256 for "
                             f"16x16); X has {X.shape[1]} features")
        X = X.reshape(X.shape[0], side, side)
    if X.ndim not in (3, 4):
        raise ValueError(f"X must be images (N, H, W), (N, 1, H, W) or flattened (N, H*W); got shape {X.shape}")
    if X.dtype != np.uint8 and X.dtype.kind != "f":
        if X.dtype.kind in "iu" and X.size and (X.min() < 0 or X.max() > 255):
            raise ValueError("integer images must hold pixel values 0..255")
        X = X.astype(np.uint8) if X.dtype.kind in "iu" else X
    return X


class DigitClassifier(ClassifierMixin, BaseEstimator):
    """An image classifier trained by the gpudigits engine. Parameters mirror ``Model.fit``; None means
    the architecture's recipe value (what ``gpu_train --arch ARCH`` uses)."""

    def __init__(self, arch="mlp", epochs=None, batch_size=None, optimizer=None, lr=None, momentum=None,
                 weight_decay=None, dropout=None, schedule=None, augment=False, label_smoothing=0.0,
                 validation_split=0.1, early_stopping=0, device="auto", seed=1, threads=None, verbose=0):
        self.arch = arch
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.schedule = schedule
        self.augment = augment
        self.label_smoothing = label_smoothing
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.device = device
        self.seed = seed
        self.threads = threads
        self.verbose = verbose

    def fit(self, X, y):
        X = _as_images(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must have shape ({len(X)},), got {y.shape}")
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes to train a classifier, got {len(self.classes_)}")
        y_enc = self._encoder.transform(y).astype(np.int64)
        from .callbacks import EarlyStopping
        callbacks = [EarlyStopping(patience=self.early_stopping)] if self.early_stopping else []
        self.model_ = Model(self.arch, device=self.device)
        self.history_ = self.model_.fit(
            X, y_enc, epochs=self.epochs, batch_size=self.batch_size, optimizer=self.optimizer, lr=self.lr,
            momentum=self.momentum, weight_decay=self.weight_decay, dropout=self.dropout, schedule=self.schedule,
            augment=self.augment, label_smoothing=self.label_smoothing, validation_split=self.validation_split,
            callbacks=callbacks, seed=self.seed, threads=self.threads, verbose=self.verbose)
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict(_as_images(X))  # columns: the encoded classes 0..K-1

    def predict(self, X):
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _more_tags(self):
        return {"requires_positive_X": True, "X_types": ["2darray"], "poor_score": True}
