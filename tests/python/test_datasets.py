"""gpudigits.datasets.load returns Keras-style arrays from the engine's own loaders."""
import numpy as np
import pytest

import gpudigits


def test_mnist10k_arrays_have_keras_layout(mnist10k):
    (x, y), (xt, yt) = mnist10k
    assert x.dtype == np.uint8 and xt.dtype == np.uint8
    assert y.dtype == np.int64 and yt.dtype == np.int64
    assert x.shape[1:] == (28, 28) and xt.shape[1:] == (28, 28)
    assert len(x) == len(y) and len(xt) == len(yt)
    assert len(x) + len(xt) == 10000
    assert set(np.unique(y)) == set(range(10))
    assert 20 < x.mean() < 60, "MNIST digits are mostly dark background"
    assert x.max() == 255


def test_names_lists_the_datasets():
    names = gpudigits.datasets.names()
    assert {"mnist", "mnist-10k", "usps"} <= set(names)


def test_unknown_dataset_is_a_value_error():
    with pytest.raises(ValueError, match="no-such-set"):
        gpudigits.datasets.load("no-such-set")


def test_missing_files_are_a_data_error_saying_where(tmp_path):
    with pytest.raises(gpudigits.DataError) as e:
        gpudigits.datasets.load("usps", data_dir=str(tmp_path), download=False)
    assert str(tmp_path) in str(e.value)
    assert isinstance(e.value, ValueError)
