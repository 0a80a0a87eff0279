#pragma once
// NumPy arrays <-> the engine's Dataset, checked the way a Keras user's data arrives: images uint8
// 0..255 or float in [0, 1] (as after x / 255.0), shaped (N, H, W) or (N, 1, H, W); labels integer
// (N) in [0, classes). Every problem is a ValueError (gd::ConfigError) naming the argument, its
// dtype or shape, and the first offending element.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "engine/data/dataset.h"

namespace gd::py_bind {

namespace py = pybind11;

// Images only (labels left empty, num_classes as given): for predict. `what` names the argument.
Dataset images_to_dataset(const py::array& x, const char* what, int num_classes);
// Images and labels, labels checked against num_classes (<= 0: derived as max label + 1, at least 2).
Dataset labelled_dataset(const py::array& x, const py::array& y, const char* x_name, const char* y_name,
                         int num_classes);
// (N, H, W) uint8 images and (N) int64 labels of a Dataset (copies: the Dataset may go away).
py::array_t<uint8_t> dataset_images(const Dataset& d);
py::array_t<int64_t> dataset_labels(const Dataset& d);

}  // namespace gd::py_bind
