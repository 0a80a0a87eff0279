"""The HTML evaluation report of ``gpu_eval --report``, for a model and labelled arrays."""
import os

from . import _core


def report(model, x, y, path, title="Evaluation report"):
    """Evaluates ``model`` on ``(x, y)`` and writes the self-contained HTML report (accuracy, per-class
    precision/recall/F1, confusion heatmap, calibration, misclassified digits, model summary) to
    ``path``. Returns the path."""
    native = getattr(model, "_native", None)
    if native is None:
        raise ValueError("report() needs a trained gpudigits.Model (fit it or load_model it first)")
    return _core.write_report(native, x, y, os.fspath(path), title)
