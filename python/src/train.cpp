#include "train.h"

#include <omp.h>

#include <atomic>
#include <set>
#include <nlohmann/json.hpp>

#include "arrays.h"
#include "backend_choice.h"
#include "engine/core/error.h"
#include "engine/data/dataset.h"
#include "engine/model/spec.h"
#include "engine/train/trainer.h"

namespace gd::py_bind {

namespace {

// The keyword arguments of Model.fit, as gpu_train's flags: the recipe of the named architecture
// supplies what the caller did not set.
TrainConfig config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  ExplicitFlags set;
  std::set<std::string> known{"restore_best_weights"};  // read by train_from_python itself
  auto take = [&](const char* key, auto& field, bool* flag = nullptr) {
    known.insert(key);
    if (!j.contains(key) || j.at(key).is_null()) return;
    try {
      field = j.at(key).get<std::decay_t<decltype(field)>>();
    } catch (const nlohmann::json::exception&) {
      throw ConfigError(std::string(key) + " has the wrong type: " + j.at(key).dump());
    }
    if (flag) *flag = true;
  };
  take("arch", c.arch);
  take("epochs", c.epochs, &set.epochs);
  take("batch_size", c.batch_size, &set.batch_size);
  take("optimizer", c.optim.name, &set.optimizer);
  take("lr", c.optim.lr, &set.lr);
  take("momentum", c.optim.momentum, &set.momentum);
  take("nesterov", c.optim.nesterov, &set.nesterov);
  take("weight_decay", c.optim.weight_decay, &set.weight_decay);
  take("dropout", c.dropout, &set.dropout);
  take("schedule", c.schedule.name, &set.schedule);
  take("warmup_epochs", c.schedule.warmup_epochs, &set.warmup);
  take("label_smoothing", c.label_smoothing);
  take("augment", c.augment);
  take("clip_grad_norm", c.clip_grad_norm);
  take("validation_split", c.val_split);
  take("early_stopping", c.early_stopping);
  take("monitor", c.monitor);
  take("min_delta", c.min_delta);
  take("seed", c.seed);
  take("device", c.device);
  take("precision", c.precision);
  take("cuda_graph", c.cuda_graph);
  take("threads", c.threads);
  take("out", c.out);
  for (const auto& item : j.items())
    GD_CHECK_T(known.count(item.key()), ConfigError, "unknown training setting '" << item.key() << "'");
  apply_recipe(c, set);
  c.data.dataset = "numpy arrays";
  return c;
}

// Progress from the trainer to Python, each call with the GIL held.
class PythonProgress final : public ProgressSink {
 public:
  PythonProgress(const py::object& on_batch, const py::object& on_message, std::atomic<bool>* stop)
      : on_batch_(on_batch), on_message_(on_message), stop_(stop) {}
  void message(const std::string& line) override {
    if (on_message_.is_none()) return;
    py::gil_scoped_acquire gil;
    on_message_(line);
  }
  void batch(int epoch, int epochs, int64_t done, int64_t total, double loss, double acc) override {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {  // a KeyboardInterrupt is pending: stop after this step
      PyErr_Clear();
      interrupted_by_signal = true;
      stop_->store(true);
      return;
    }
    if (!on_batch_.is_none()) on_batch_(epoch, epochs, done, total, loss, acc);
  }
  void epoch_end(const EpochRecord&, int, bool) override {}
  bool interrupted_by_signal = false;

 private:
  py::object on_batch_, on_message_;
  std::atomic<bool>* stop_;
};

py::dict epoch_dict(const EpochRecord& r) {
  py::dict d;
  d["epoch"] = r.epoch;
  d["loss"] = r.train_loss;
  d["accuracy"] = r.train_accuracy;
  d["val_loss"] = r.val_loss;
  d["val_accuracy"] = r.val_accuracy;
  d["lr"] = r.lr;
  d["seconds"] = r.seconds;
  return d;
}

}  // namespace

py::dict train_from_python(const std::string& config_json, const py::array& x, const py::array& y,
                           const py::object& x_val, const py::object& y_val, const py::object& on_batch,
                           const py::object& on_epoch, const py::object& on_message) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(config_json);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("training settings are not valid JSON: ") + e.what());
  }
  TrainConfig cfg = config_from_json(j);
  DatasetSplits data;
  data.train = labelled_dataset(x, y, "x", "y", 0);
  if (data.train.num_classes == 10)
    for (int c = 0; c < 10; ++c) data.train.class_names.push_back(std::to_string(c));
  const auto ms = pixel_mean_std(data.train);
  data.mean = ms.first;
  data.std = ms.second;
  data.source = "NumPy arrays from Python";
  Dataset validation;
  TrainHooks hooks;
  hooks.evaluate_test = false;
  GD_CHECK_T(x_val.is_none() == y_val.is_none(), ConfigError, "validation_data needs both images and labels");
  if (!x_val.is_none()) {
    validation = labelled_dataset(x_val.cast<py::array>(), y_val.cast<py::array>(), "validation_data[0]",
                                  "validation_data[1]", data.train.num_classes);
    validation.class_names = data.train.class_names;
    hooks.validation = &validation;
  }
  if (j.contains("restore_best_weights")) hooks.restore_best = j.at("restore_best_weights").get<bool>();
  cfg.spec = resolve_arch(cfg.arch, data.train.num_classes, cfg.dropout);
  validate(cfg);
  if (cfg.threads > 0) omp_set_num_threads(cfg.threads);
  auto backend = make_backend_for(cfg.device);

  std::atomic<bool> stop{false};
  hooks.stop = &stop;
  bool stopped_by_callback = false;
  if (!on_epoch.is_none()) {
    hooks.after_epoch = [&](const EpochRecord& r) {
      py::gil_scoped_acquire gil;
      const bool go_on = on_epoch(epoch_dict(r)).cast<bool>();
      stopped_by_callback = stopped_by_callback || !go_on;
      return go_on;
    };
  }
  PythonProgress progress(on_batch, on_message, &stop);
  TrainResult r;
  {
    py::gil_scoped_release release;
    r = train(cfg, *backend, data, progress, hooks);
  }
  py::list history;
  for (const EpochRecord& e : r.history.records()) history.append(epoch_dict(e));
  py::dict out;
  out["history"] = history;
  out["run_dir"] = r.run_dir;
  out["model_path"] = r.run_dir + "/model.ckpt";
  out["interrupted"] = r.interrupted;
  out["keyboard_interrupt"] = progress.interrupted_by_signal;
  out["stopped_early"] = r.stopped_early;
  out["stopped_by_callback"] = stopped_by_callback;
  out["best_epoch"] = r.best_epoch;
  out["epochs_run"] = r.epochs_run;
  out["train_seconds"] = r.train_seconds;
  out["device"] = backend->description();
  out["spec"] = cfg.spec;
  out["config"] = to_json(cfg).dump();
  return out;
}

}  // namespace gd::py_bind
