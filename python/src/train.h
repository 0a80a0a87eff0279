#pragma once
// Model.fit's engine side: a TrainConfig from the keyword arguments Python passed (as JSON: only
// the keys the user set, so the named architecture's recipe fills the rest exactly as gpu_train
// does), the arrays as the training (and optional validation) set, and train() with the GIL
// released. Python callbacks are called with the GIL held: on_batch (a few times a second, for the
// progress bar), on_epoch (after each epoch; returning False stops training) and on_message. A
// Ctrl-C (SIGINT) during training is noticed at the next progress report: training stops after the
// step in progress, the model keeps its current weights, and the result says "interrupted".
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

namespace gd::py_bind {

namespace py = pybind11;

// Returns {"history": [...epoch records...], "run_dir", "model_path", "interrupted", "stopped_early",
// "best_epoch", "epochs_run", "train_seconds", "device", "spec", "config"}.
py::dict train_from_python(const std::string& config_json, const py::array& x, const py::array& y,
                           const py::object& x_val, const py::object& y_val, const py::object& on_batch,
                           const py::object& on_epoch, const py::object& on_message);

}  // namespace gd::py_bind
