"""Ctrl-C during fit: training stops at the next progress report (a few times a second), the model
keeps the weights it reached and stays usable, and KeyboardInterrupt reaches the caller."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import gpudigits


def test_sigint_stops_fit_and_leaves_a_usable_model(mnist10k, tmp_path):
    (x, y), (xt, yt) = mnist10k
    model = gpudigits.Model("cnn")
    timer = threading.Timer(3.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="interrupted"):
            model.fit(x, y, epochs=50, device="cpu", verbose=0, run_dir=tmp_path / "run")
    finally:
        timer.cancel()
    elapsed = time.monotonic() - t0
    assert elapsed < 60, f"the interrupt took {elapsed:.1f} s to stop training"
    proba = model.predict(xt[:200])
    assert proba.shape == (200, 10) and np.isfinite(proba).all()
    # The run directory holds only whole files: no temporary leftovers from an interrupted write.
    leftovers = [p.name for p in (tmp_path / "run").iterdir() if ".tmp" in p.name]
    assert leftovers == []
    assert (tmp_path / "run" / "model.ckpt").exists()
