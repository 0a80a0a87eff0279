"""DigitClassifier is a scikit-learn estimator: cloning, parameters, search and cross-validation."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import RandomizedSearchCV, cross_val_score
from sklearn.utils.estimator_checks import (check_dont_overwrite_parameters, check_estimators_unfitted,
                                            check_get_params_invariance, check_no_attributes_set_in_init,
                                            check_parameters_default_constructible, check_set_params)

from gpudigits.sklearn import DigitClassifier


def quick(**kw):
    return DigitClassifier(arch="mlp", epochs=1, device="cpu", **kw)


@pytest.mark.parametrize("check", [check_parameters_default_constructible, check_no_attributes_set_in_init,
                                   check_get_params_invariance, check_set_params, check_estimators_unfitted])
def test_sklearn_estimator_checks(check):
    check("DigitClassifier", quick())


def test_fit_does_not_change_parameters(small):
    (x, y), _ = small
    est = quick(lr=0.05)
    before = est.get_params()
    est.fit(x[:500], y[:500])
    assert est.get_params() == before


def test_flattened_images_string_labels_and_score(small):
    (x, y), (xt, yt) = small
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    est = quick().fit(x.reshape(len(x), -1), names[y])
    assert list(est.classes_) == sorted(names)
    pred = est.predict(xt.reshape(len(xt), -1))
    assert pred.dtype.kind == "U" and set(pred) <= set(names)
    assert est.score(xt.reshape(len(xt), -1), names[yt]) > 0.7
    assert est.predict_proba(xt[:5]).shape == (5, 10)
    with pytest.raises(ValueError, match="square"):
        est.predict(np.zeros((3, 99)))


def test_randomized_search_and_cross_val_score(small):
    (x, y), _ = small
    x, y = x[:1200], y[:1200]
    search = RandomizedSearchCV(quick(), {"lr": [0.01, 0.05, 0.1], "dropout": [0.0, 0.2]}, n_iter=3, cv=2,
                                random_state=0)
    search.fit(x, y)
    assert len(search.cv_results_["params"]) == 3
    assert search.best_score_ > 0.6
    assert isinstance(clone(search.best_estimator_), DigitClassifier)
    scores = cross_val_score(quick(), x, y, cv=2)
    assert scores.shape == (2,) and (scores > 0.6).all()


def test_unfitted_predict_raises():
    with pytest.raises(NotFittedError):
        quick().predict(np.zeros((2, 28, 28), dtype=np.uint8))
