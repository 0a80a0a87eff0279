"""Bad input from Python raises a clear exception, never a crash of the interpreter."""
import numpy as np
import pytest

import gpudigits


def images(n=64, h=28):
    return np.random.default_rng(1).integers(0, 256, size=(n, h, h), dtype=np.uint8)


def labels(n=64):
    return np.arange(n) % 10


@pytest.fixture(scope="module")
def trained():
    m = gpudigits.Model("mlp")
    m.fit(images(), labels(), epochs=1, device="cpu", verbose=0)
    return m


def test_unknown_arch():
    with pytest.raises(ValueError, match="fc-3"):
        gpudigits.Model("fc-3,relu")


@pytest.mark.parametrize("x, message", [
    (np.zeros((64, 28, 28), dtype=np.complex64), "dtype"),
    (np.array([["a"] * 28] * 28 * 64).reshape(64, 28, 28), "dtype"),
    (np.zeros((64, 784), dtype=np.uint8), "shape"),
    (np.zeros((64, 3, 28, 28), dtype=np.uint8), "shape"),
    (np.full((64, 28, 28), np.nan, dtype=np.float32), "nan"),
    (np.full((64, 28, 28), 2.0, dtype=np.float32), "[0, 1]"),
    (np.full((64, 28, 28), 300, dtype=np.int32), "0..255"),
])
def test_bad_images(x, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        gpudigits.Model("mlp").fit(x, labels(), epochs=1, device="cpu", verbose=0)


@pytest.mark.parametrize("y, message", [
    (np.arange(63) % 10, "shape"),
    (np.full(64, -1), "-1"),
    (np.full(64, 0.5), "integer"),
])
def test_bad_labels(y, message):
    with pytest.raises(ValueError, match=message):
        gpudigits.Model("mlp").fit(images(), y, epochs=1, device="cpu", verbose=0)


def test_bad_settings():
    with pytest.raises(ValueError, match="lr"):
        gpudigits.Model("mlp").fit(images(), labels(), epochs=1, lr=-1.0, device="cpu", verbose=0)
    with pytest.raises(ValueError, match="optimizer|sgd"):
        gpudigits.Model("mlp").fit(images(), labels(), epochs=1, optimizer="nope", device="cpu", verbose=0)
    with pytest.raises(ValueError, match="patience"):
        gpudigits.EarlyStopping(patience=0)


def test_predict_before_fit_and_wrong_image_size(trained):
    with pytest.raises(ValueError, match="fit"):
        gpudigits.Model("mlp").predict(images())
    with pytest.raises(ValueError, match="16x16"):
        trained.predict(images(h=16))


def test_missing_and_corrupt_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError):
        gpudigits.load_model(tmp_path / "absent.ckpt")
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"GDCKPT01" + b"\x00" * 40)
    with pytest.raises(gpudigits.DataError, match="bad.ckpt"):
        gpudigits.load_model(bad)
