"""gpudigits: the C++/CUDA digit-classification engine from Python.

Keras-style models (``Model``, ``load_model``, ``EarlyStopping``), Keras-style datasets
(``datasets.load``), a scikit-learn estimator (``gpudigits.sklearn.DigitClassifier``), and the HTML
evaluation report (``report``). Checkpoints are the files ``gpu_train`` writes and ``gpu_eval``
reads, in both directions.
"""
from ._core import DataError
from . import datasets
from .callbacks import Callback, EarlyStopping
from .models import Model, load_model
from .reports import report
from . import tune

__all__ = ["Model", "load_model", "EarlyStopping", "Callback", "datasets", "report", "tune", "DataError"]
__version__ = "0.1.0"
