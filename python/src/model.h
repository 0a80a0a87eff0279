#pragma once
// A trained model held by Python: the checkpoint it came from (model.ckpt format, so save() writes
// exactly what gpu_train writes and gpu_eval reads), the network rebuilt on a backend, and its input
// description. Prediction releases the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "engine/backend/backend.h"
#include "engine/graph/network.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_io.h"

namespace gd::py_bind {

namespace py = pybind11;

class Model {
 public:
  // Loads `path` (FileNotFoundError when absent, DataError when corrupt).
  // `origin` names the model in messages (default: the path).
  Model(const std::string& path, const std::string& device, int64_t batch_size, const std::string& origin = "");
  Model(Checkpoint ck, std::string origin, const std::string& device, int64_t batch_size);

  py::array_t<float> predict_proba(const py::array& x);  // (N, classes)
  // (loss, accuracy) as gpu_eval computes them.
  py::tuple evaluate(const py::array& x, const py::array& y);
  void save(const std::string& path) const;  // atomic
  std::string summary() const;
  std::string spec() const { return info_.spec; }
  py::tuple input_shape() const;
  int num_classes() const { return info_.num_classes; }
  std::vector<std::string> class_names() const { return info_.class_names; }
  int64_t num_params() const { return net_->num_params(); }
  std::string device() const { return be_->description(); }
  std::string meta_json() const { return ck_.meta.dump(); }
  const Checkpoint& checkpoint() const { return ck_; }
  const std::string& origin() const { return origin_; }
  Backend& backend() { return *be_; }

 private:
  Checkpoint ck_;
  std::string origin_;  // where the checkpoint came from, for messages
  std::unique_ptr<Backend> be_;
  std::unique_ptr<Network> net_;
  ModelInfo info_;
};

}  // namespace gd::py_bind
