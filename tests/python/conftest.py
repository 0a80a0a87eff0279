"""Shared fixtures for the Python module's tests (run by ctest with PYTHONPATH=build/python)."""
import json
import os
import subprocess

import numpy as np
import pytest

import gpudigits

BIN = os.environ.get("GD_BINARY_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))


@pytest.fixture(scope="session")
def mnist10k():
    """The embedded default dataset: (x_train, y_train), (x_test, y_test)."""
    return gpudigits.datasets.load("mnist-10k")


@pytest.fixture(scope="session")
def small(mnist10k):
    """A stratified-enough small subset for quick fits: 2,000 train and 500 test images."""
    (x, y), (xt, yt) = mnist10k
    rng = np.random.default_rng(0)
    i = rng.permutation(len(x))[:2000]
    j = rng.permutation(len(xt))[:500]
    return (x[i], y[i]), (xt[j], yt[j])


def run_binary(name, *args):
    """Runs build/<name> with args; returns stdout; fails the test with stderr on a non-zero exit."""
    p = subprocess.run([os.path.join(BIN, name), *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, f"{name} {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr[-3000:]}"
    return p.stdout


def read_json(path):
    with open(path) as f:
        return json.load(f)
