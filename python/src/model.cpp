#include "model.h"

#include <cstring>
#include <filesystem>

#include "arrays.h"
#include "backend_choice.h"
#include "engine/core/error.h"
#include "engine/report/model_summary.h"
#include "engine/train/detailed_evaluation.h"
#include "engine/train/predict.h"

namespace gd::py_bind {

namespace {
Checkpoint load_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    PyErr_SetString(PyExc_FileNotFoundError, ("no checkpoint at " + path).c_str());
    throw py::error_already_set();
  }
  return load_checkpoint(path);
}
}  // namespace

Model::Model(const std::string& path, const std::string& device, int64_t batch_size, const std::string& origin)
    : Model(load_existing(path), origin.empty() ? path : origin, device, batch_size) {}

Model::Model(Checkpoint ck, std::string origin, const std::string& device, int64_t batch_size)
    : ck_(std::move(ck)), origin_(std::move(origin)) {
  GD_CHECK_T(batch_size >= 1, ConfigError, "batch_size must be >= 1, got " << batch_size);
  be_ = make_backend_for(device);
  net_ = network_from_checkpoint(ck_, *be_, batch_size, &info_);
}

py::array_t<float> Model::predict_proba(const py::array& x) {
  const Dataset d = images_to_dataset(x, "x", info_.num_classes);
  GD_CHECK_T(d.channels == info_.input[0] && d.height == info_.input[1] && d.width == info_.input[2], ConfigError,
             "x holds " << d.height << "x" << d.width << " images but the model (" << origin_ << ") takes "
                        << info_.input[1] << "x" << info_.input[2]);
  Predictions p;
  {
    py::gil_scoped_release release;
    p = predict(*net_, d, info_.mean, info_.std);
  }
  py::array_t<float> out({static_cast<py::ssize_t>(p.n), static_cast<py::ssize_t>(p.num_classes)});
  std::memcpy(out.mutable_data(), p.probs.data(), p.probs.size() * sizeof(float));
  return out;
}

py::tuple Model::evaluate(const py::array& x, const py::array& y) {
  const Dataset d = labelled_dataset(x, y, "x", "y", info_.num_classes);
  GD_CHECK_T(d.height == info_.input[1] && d.width == info_.input[2], ConfigError,
             "x holds " << d.height << "x" << d.width << " images but the model (" << origin_ << ") takes "
                        << info_.input[1] << "x" << info_.input[2]);
  DetailedEvaluation e;
  {
    py::gil_scoped_release release;
    const Predictions p = predict(*net_, d, info_.mean, info_.std);
    e = evaluate_predictions(p, d.labels, info_.class_names);
  }
  return py::make_tuple(e.loss, e.accuracy);
}

void Model::save(const std::string& path) const { save_checkpoint(path, ck_); }

std::string Model::summary() const { return report::model_summary_table(report::summarize_model(*net_)); }

py::tuple Model::input_shape() const { return py::make_tuple(info_.input[0], info_.input[1], info_.input[2]); }

}  // namespace gd::py_bind
