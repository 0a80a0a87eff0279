"""Datasets as NumPy arrays, the way ``keras.datasets.mnist.load_data()`` returns them.

    (x_train, y_train), (x_test, y_test) = gpudigits.datasets.load("mnist")

Images are uint8 arrays of shape (N, H, W) (light digit on a dark background, 0..255), labels int64
arrays of shape (N,). The files come from the same loaders, cache and checksums as the command line
(``--data-dir``, ``$GD_DATA_DIR``, ``~/.cache/gpudigits``; MNIST is downloaded and verified when
missing and ``download`` is true).
"""
from . import _core


def names():
    """The dataset names ``load`` accepts ("mnist", "mnist-10k", "usps", ...)."""
    return list(_core.dataset_names())


def load(name="mnist-10k", data_dir=None, download=True):
    """Returns ``(x_train, y_train), (x_test, y_test)``. ValueError for an unknown name,
    gpudigits.DataError when the files are missing (saying where they were looked for) or corrupt."""
    d = _core.load_dataset(name, data_dir or "", bool(download))
    return (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])
