"""The Deep Learning with Python workflow in a few lines of gpudigits (docs/python.md).

    PYTHONPATH=build/python /usr/bin/python3 docs/examples/python_workflow.py [--quick] [--out DIR]

1. load the data, 2. fit a model with early stopping on a validation split, 3. tune two
hyperparameters with scikit-learn's RandomizedSearchCV, 4. evaluate the best model once on the test
set and write its HTML report. --quick uses 2,000 images and one epoch (the test suite runs it so).
"""
import argparse
import os

import numpy as np
from sklearn.model_selection import RandomizedSearchCV

import gpudigits
from gpudigits.sklearn import DigitClassifier

ap = argparse.ArgumentParser()
ap.add_argument("--dataset", default="mnist-10k")
ap.add_argument("--quick", action="store_true")
ap.add_argument("--out", default="python-workflow")
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)
epochs = 1 if args.quick else 10

# 1. Data, as keras.datasets returns it.
(x_train, y_train), (x_test, y_test) = gpudigits.datasets.load(args.dataset)
if args.quick:  # a random 2,000 (mnist-10k is stored sorted by class)
    keep = np.random.default_rng(0).permutation(len(x_train))[:2000]
    x_train, y_train = x_train[keep], y_train[keep]
print(f"{len(x_train)} training and {len(x_test)} test images of {x_train.shape[1:]}")

# 2. A first model, stopped when the validation loss stops improving.
model = gpudigits.Model("mlp")
history = model.fit(x_train, y_train, epochs=epochs, validation_split=0.1, verbose=2,
                    callbacks=[gpudigits.EarlyStopping(patience=3, restore_best_weights=True)])
print(f"baseline: best val_accuracy {max(history.history['val_accuracy']):.4f}")

# 3. Tuning on the training set only (cross-validation inside it).
search = RandomizedSearchCV(DigitClassifier(arch="mlp", epochs=epochs),
                            {"lr": [0.01, 0.03, 0.1], "dropout": [0.0, 0.2, 0.5]},
                            n_iter=2 if args.quick else 8, cv=2, random_state=0)
search.fit(x_train, y_train)
print(f"best settings {search.best_params_}, cross-validated accuracy {search.best_score_:.4f}")

# 4. The test set, read once, and the report.
best = search.best_estimator_.model_
loss, accuracy = best.evaluate(x_test, y_test)
best.save(os.path.join(args.out, "best.ckpt"))
report = gpudigits.report(best, x_test, y_test, os.path.join(args.out, "report.html"))
print(f"test accuracy {accuracy:.4f}, loss {loss:.4f}; report: {report}")
assert np.isfinite(loss)
