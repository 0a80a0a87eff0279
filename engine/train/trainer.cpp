#include "engine/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "engine/core/error.h"
#include "engine/core/math_precision.h"
#include "engine/graph/network.h"
#include "engine/model/spec.h"
#include "engine/optim/init.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/schedule.h"
#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "engine/train/device_data.h"
#include "engine/train/early_stopping.h"
#include "engine/train/model_io.h"
#include "engine/train/run_dir.h"
#include "engine/train/run_splits.h"

namespace gd {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// One message for every way a run can diverge: where it happened, what went non-finite, the advice.
[[noreturn]] void throw_diverged(int epoch, int64_t step, double lr, const std::string& what) {
  std::ostringstream os;
  os << "training diverged in epoch " << epoch << " (step " << step << ", learning rate " << lr
     << "): " << what << "; try a lower --lr or --clip-grad-norm";
  throw NumericError(os.str());
}

std::string arch_tag(const TrainConfig& cfg) { return is_named_arch(cfg.arch) ? cfg.arch : "spec"; }

// Everything a run keeps across epochs and checkpoints.
struct RunState {
  int epoch = 0;       // completed epochs
  int64_t step = 0;    // completed optimiser steps
  History history;
  EarlyStopping stopper{0};
  bool has_best = false;
};

class TrainingRun {
 public:
  TrainingRun(const TrainConfig& cfg, Backend& be, const DatasetSplits& data, ProgressSink& progress,
              const TrainHooks& hooks)
      : cfg_(cfg), be_(be), data_(data), progress_(progress), hooks_(hooks) {}

  TrainResult run();

 private:
  void setup_data();
  void setup_model();
  void restore(const Checkpoint& ck);
  double train_epoch(int epoch, double* acc_out, double* lr_out);
  void full_batch_step();
  void run_step(int64_t n);
  LiveStep* live() const;
  int32_t* batch_indices() const;
  void save_checkpoint_file(const std::string& name, bool final_weights);
  void snapshot_best();
  void restore_best();
  void write_json(const std::string& name, const nlohmann::json& j);

  const TrainConfig& cfg_;
  Backend& be_;
  const DatasetSplits& data_;
  ProgressSink& progress_;
  const TrainHooks& hooks_;
  std::string dir_;
  Dataset train_set_, val_set_;
  std::unique_ptr<DeviceDataset> train_dev_, val_dev_, test_dev_;
  std::unique_ptr<Network> net_;
  std::unique_ptr<Optimizer> opt_;
  std::unique_ptr<LrSchedule> schedule_;
  std::unique_ptr<MetricAccumulator> acc_;
  Tensor best_params_, best_state_, staging_;
  std::shared_ptr<Buffer> live_;       // one LiveStep (backend memory)
  std::shared_ptr<Buffer> batch_idx_;  // (batch_size) int32: the current batch's sample indices
  std::unique_ptr<RecordedWork> step_graph_;
  bool recording_tried_ = false;
  bool interrupted_ = false;  // TrainHooks::stop was seen inside an epoch
  // metrics.json "cuda_graph": {"recorded": bool, "reason": why not} (the reason names the layer that
  // broke a failed recording).
  nlohmann::json graph_report_;
  ModelInfo info_;
  RunState st_;
};

void TrainingRun::setup_data() {
  // The same split gpu_eval rebuilds for --split val (limit_train: a fixed random subset, since
  // files such as mnist-10k are stored sorted by class).
  if (hooks_.validation) {
    GD_CHECK_T(hooks_.validation->row() == data_.train.row() && hooks_.validation->num_classes == data_.train.num_classes,
               ConfigError, "the validation set's images (" << hooks_.validation->height << "x" << hooks_.validation->width
                                                             << ", " << hooks_.validation->num_classes
                                                             << " classes) do not match the training set's ("
                                                             << data_.train.height << "x" << data_.train.width << ", "
                                                             << data_.train.num_classes << " classes)");
    train_set_ = data_.train;
    val_set_ = *hooks_.validation;
  } else {
    auto [train, val] = run_train_val_split(data_.train, cfg_);
    train_set_ = std::move(train);
    val_set_ = std::move(val);
  }
  GD_CHECK_T(train_set_.n > 0, ConfigError, "no training samples left after the validation split");
  train_dev_ = std::make_unique<DeviceDataset>(be_, train_set_);
  val_dev_ = std::make_unique<DeviceDataset>(be_, val_set_);
  if (hooks_.evaluate_test || hooks_.track_test) test_dev_ = std::make_unique<DeviceDataset>(be_, data_.test);
}

void TrainingRun::setup_model() {
  const Dataset& d = data_.train;
  info_.spec = cfg_.spec;
  info_.input = Shape{d.channels, d.height, d.width};
  info_.num_classes = d.num_classes;
  info_.class_names = d.class_names;
  info_.mean = data_.mean;
  info_.std = data_.std;
  // The math mode must be set before the network sizes its workspaces (convolution plans depend on it).
  be_.set_math_precision(parse_math_precision(cfg_.precision));
  net_ = std::make_unique<Network>(be_, build_layers(cfg_.spec, info_.input, d.num_classes, cfg_.dropout),
                                   info_.input, cfg_.batch_size);
  net_->initialize(parse_init_scheme(cfg_.init), cfg_.seed);
  opt_ = Optimizer::create(cfg_.optim, be_, net_->num_params());
  const int64_t steps_per_epoch = (train_dev_->size() + cfg_.batch_size - 1) / cfg_.batch_size;
  schedule_ = std::make_unique<LrSchedule>(cfg_.schedule, cfg_.optim.lr, steps_per_epoch,
                                           std::max(cfg_.epochs, 1));
  acc_ = std::make_unique<MetricAccumulator>(be_, d.num_classes, cfg_.batch_size);
  best_params_ = be_.empty(Shape{std::max<int64_t>(net_->num_params(), 1)});
  best_state_ = be_.empty(Shape{std::max<int64_t>(net_->num_state(), 1)});
  if (cfg_.augment) staging_ = be_.empty(Shape{cfg_.batch_size * info_.input.numel()});
  live_ = be_.allocate(sizeof(LiveStep));
  batch_idx_ = be_.allocate(static_cast<size_t>(cfg_.batch_size) * sizeof(int32_t));
  opt_->reserve_live(steps_per_epoch);
  const std::string mode = cfg_.monitor == "val_accuracy" ? "max" : "min";
  st_.stopper = EarlyStopping(cfg_.early_stopping, cfg_.min_delta, mode);
  graph_report_ = {{"recorded", false},
                   {"reason", cfg_.cuda_graph ? "no full batch was trained" : "turned off (--no-cuda-graph)"}};
}

void TrainingRun::restore(const Checkpoint& ck) {
  const ModelInfo saved = model_info_from_meta(ck.meta);
  GD_CHECK_T(saved.spec == net_->spec(), DataError,
             "checkpoint " << cfg_.resume << " holds model '" << saved.spec << "' but this run builds '"
                           << net_->spec() << "'");
  load_weights(*net_, ck, "");
  try {
    const auto& t = ck.meta.at("training");
    st_.epoch = t.at("epoch").get<int>();
    st_.step = t.at("step").get<int64_t>();
    opt_->set_steps(t.at("optimizer_steps").get<int64_t>());
    st_.history = History::from_json(t.at("history"));
    st_.stopper.restore(t.at("early_stopping"));
    st_.has_best = t.at("has_best").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError("checkpoint " + cfg_.resume + " has no usable training state: " + e.what());
  }
  for (auto& [name, tensor] : opt_->state()) {
    const NamedArray& a = ck.get("optim/" + name);
    GD_CHECK_T(static_cast<int64_t>(a.values.size()) == tensor.numel(), DataError,
               "checkpoint optimiser state '" << name << "' has " << a.values.size() << " values, expected "
                                              << tensor.numel());
    write_floats(be_, tensor.data(), a.values, name);
  }
  if (st_.has_best) {
    write_floats(be_, best_params_.data(), ck.get("best/params").values, "best/params");
    write_floats(be_, best_state_.data(), ck.get("best/state").values, "best/state");
  }
}

LiveStep* TrainingRun::live() const { return static_cast<LiveStep*>(live_->data()); }
int32_t* TrainingRun::batch_indices() const { return static_cast<int32_t*>(batch_idx_->data()); }

// One optimiser step on the batch the live counters select; everything that changes from step to
// step is read from backend memory, so the same calls can be recorded once and replayed.
void TrainingRun::run_step(int64_t n) {
  DeviceDataset& tr = *train_dev_;
  be_.select_batch(tr.order(), cfg_.batch_size, live(), n, batch_indices());
  if (cfg_.augment) {
    // Augment in [0,1] pixel space so the zero fill outside the image is background, then normalise.
    be_.gather_images_u8(n, tr.row(), tr.images(), batch_indices(), 0.0f, 1.0f, staging_.data());
    AugmentParams a = cfg_.augment_params;
    a.seed = cfg_.seed;
    a.live = live();
    be_.augment_affine(a, n, info_.input[0], info_.input[1], info_.input[2], staging_.data(), net_->input(),
                       batch_indices());
    be_.normalize(n * tr.row(), info_.mean, info_.std, net_->input());
  } else {
    be_.gather_images_u8(n, tr.row(), tr.images(), batch_indices(), info_.mean, info_.std, net_->input());
  }
  be_.gather_labels_u8(n, tr.labels(), batch_indices(), acc_->batch_labels());
  net_->forward(n, true, 0, cfg_.seed, live());
  SoftmaxXentShape s;
  s.n = n;
  s.c = info_.num_classes;
  s.label_smoothing = cfg_.label_smoothing;
  be_.softmax_xent(s, net_->output(), acc_->batch_labels(), net_->output_grad(), acc_->loss_sum(), acc_->correct());
  net_->backward(n, 0, cfg_.seed, live());
  if (cfg_.clip_grad_norm > 0.0) be_.clip_grad_norm(net_->num_params(), cfg_.clip_grad_norm, net_->grads());
  opt_->step_live(net_->params(), net_->grads(), live());
  be_.advance_step(live());
}

// The full batches of an epoch replay one recorded step when the backend records (CUDA graphs): it
// is recorded right after the run's first eager step, so every lazily built plan (cuDNN algorithms)
// exists by then. A recording that fails leaves training on the eager path, with a notice.
void TrainingRun::full_batch_step() {
  if (step_graph_) {
    step_graph_->replay();
    return;
  }
  run_step(cfg_.batch_size);
  if (recording_tried_ || !cfg_.cuda_graph) return;
  recording_tried_ = true;
  try {
    step_graph_ = be_.record([this] { run_step(cfg_.batch_size); });
    if (step_graph_) {
      progress_.message("recorded the training step as a CUDA graph; replaying it");
      graph_report_ = {{"recorded", true}};
    } else {
      graph_report_ = {{"recorded", false}, {"reason", "the " + be_.description() + " backend does not record"}};
    }
  } catch (const Error& e) {
    progress_.message(std::string("warning: could not record the training step as a CUDA graph, so every op is "
                                  "launched each step instead: ") + e.what());
    graph_report_ = {{"recorded", false}, {"reason", std::string("recording failed: ") + e.what()}};
  }
}

double TrainingRun::train_epoch(int epoch, double* acc_out, double* lr_out) {
  DeviceDataset& tr = *train_dev_;
  const int64_t total = tr.size();
  const int64_t batches = (total + cfg_.batch_size - 1) / cfg_.batch_size;
  // Everything the epoch's steps read is put in place before the first one: the sample order, the
  // optimiser's per-step scalars and the live counters. Nothing is copied inside the loop.
  tr.shuffle(be_, cfg_.seed, static_cast<uint64_t>(epoch));
  std::vector<double> lrs(static_cast<size_t>(batches));
  for (int64_t b = 0; b < batches; ++b) lrs[static_cast<size_t>(b)] = schedule_->lr_at(st_.step + b);
  const int64_t optimizer_steps = opt_->steps();
  opt_->prepare_live(lrs);
  const LiveStep start{static_cast<uint64_t>(st_.step), 0};
  be_.copy_from_host(live(), &start, sizeof start);
  acc_->reset();

  auto last_report = Clock::now();
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t first = b * cfg_.batch_size;
    const int64_t n = std::min(cfg_.batch_size, total - first);
    const double lr = lrs[static_cast<size_t>(b)];
    try {
      if (n == cfg_.batch_size)
        full_batch_step();
      else
        run_step(n);
    } catch (const NumericError& e) {
      throw_diverged(epoch, st_.step, lr, e.what());
    }
    ++st_.step;
    if (hooks_.stop && hooks_.stop->load(std::memory_order_relaxed)) {
      interrupted_ = true;
      return 0.0;
    }
    // Progress (and the divergence check) reads two numbers back: at most a few times a second.
    const bool last = b + 1 == batches;
    if (last || seconds_since(last_report) > 0.25) {
      last_report = Clock::now();
      double loss_sum = 0.0;
      int64_t correct = 0;
      acc_->read(&loss_sum, &correct);
      const int64_t done = first + n;
      if (!std::isfinite(loss_sum))
        throw_diverged(epoch, st_.step, lr, "the loss became " + std::to_string(loss_sum));
      progress_.batch(epoch, cfg_.epochs, done, total, loss_sum / done, static_cast<double>(correct) / done);
      if (last) {
        opt_->set_steps(optimizer_steps + batches);
        *acc_out = static_cast<double>(correct) / total;
        *lr_out = lr;
        return loss_sum / total;
      }
    }
  }
  return 0.0;
}

void TrainingRun::snapshot_best() {
  be_.copy(best_params_.data(), net_->params(), static_cast<size_t>(net_->num_params()) * sizeof(float));
  be_.copy(best_state_.data(), net_->state(), static_cast<size_t>(net_->num_state()) * sizeof(float));
  st_.has_best = true;
}

void TrainingRun::restore_best() {
  be_.copy(net_->params(), best_params_.data(), static_cast<size_t>(net_->num_params()) * sizeof(float));
  be_.copy(net_->state(), best_state_.data(), static_cast<size_t>(net_->num_state()) * sizeof(float));
}

void TrainingRun::write_json(const std::string& name, const nlohmann::json& j) {
  write_file_atomic(dir_ + "/" + name, j.dump(2) + "\n");
}

void TrainingRun::save_checkpoint_file(const std::string& name, bool final_weights) {
  Checkpoint ck;
  ck.meta["format"] = "gpudigits-checkpoint";
  ck.meta["version"] = GD_VERSION;
  ck.meta["config"] = to_json(cfg_);
  ck.meta["model"] = model_meta(*net_, info_);
  ck.meta["training"] = {{"epoch", st_.epoch},
                         {"step", st_.step},
                         {"optimizer_steps", opt_->steps()},
                         {"history", st_.history.to_json()},
                         {"early_stopping", st_.stopper.to_json()},
                         {"has_best", st_.has_best && !final_weights},
                         {"final", final_weights}};
  append_weights(ck, *net_, "");
  if (!final_weights) {
    for (auto& [nm, tensor] : opt_->state())
      ck.arrays.push_back({"optim/" + nm, {tensor.numel()}, read_floats(be_, tensor.data(), tensor.numel())});
    if (st_.has_best) {
      ck.arrays.push_back({"best/params", {net_->num_params()}, read_floats(be_, best_params_.data(), net_->num_params())});
      ck.arrays.push_back({"best/state", {net_->num_state()}, read_floats(be_, best_state_.data(), net_->num_state())});
    }
  }
  save_checkpoint(dir_ + "/" + name, ck);
}

TrainResult TrainingRun::run() {
  setup_data();
  setup_model();
  if (!cfg_.resume.empty()) {
    const Checkpoint ck = load_checkpoint(cfg_.resume);
    restore(ck);
    dir_ = cfg_.out.empty() ? std::filesystem::path(cfg_.resume).parent_path().string() : make_run_dir(cfg_.out, arch_tag(cfg_));
    if (dir_.empty()) dir_ = ".";
    progress_.message("resuming from " + cfg_.resume + " after epoch " + std::to_string(st_.epoch));
  } else {
    dir_ = make_run_dir(cfg_.out, arch_tag(cfg_));
  }
  write_json("config.json", to_json(cfg_));
  write_file_atomic(dir_ + "/summary.txt", net_->summary());

  TrainResult result;
  double train_seconds = 0.0;
  nlohmann::json test_curve = nlohmann::json::array();
  while (st_.epoch < cfg_.epochs && !st_.stopper.should_stop()) {
    const int epoch = st_.epoch + 1;
    const auto t0 = Clock::now();
    double train_acc = 0.0, lr = 0.0;
    const double train_loss = train_epoch(epoch, &train_acc, &lr);
    if (interrupted_) {
      train_seconds += seconds_since(t0);
      progress_.message("training interrupted in epoch " + std::to_string(epoch) + " after step " +
                        std::to_string(st_.step) + "; the model keeps its current weights");
      break;
    }
    const double secs = seconds_since(t0);
    train_seconds += secs;
    EpochRecord r{epoch, train_loss, train_acc, NAN, NAN, lr, secs, static_cast<double>(train_dev_->size()) / secs};
    bool best = false;
    if (val_dev_->size() > 0) {
      const EvalResult v = evaluate(*net_, *val_dev_, *acc_, info_.mean, info_.std);
      r.val_loss = v.loss;
      r.val_accuracy = v.accuracy;
      best = st_.stopper.update(epoch, cfg_.monitor == "val_accuracy" ? v.accuracy : v.loss);
      if (best && cfg_.early_stopping > 0) snapshot_best();
    }
    const double param_sq = be_.sum_squares(net_->num_params(), net_->params());
    if (!std::isfinite(param_sq) || !std::isfinite(train_loss))
      throw_diverged(epoch, st_.step, lr,
                     std::string(std::isfinite(train_loss) ? "the parameters" : "the loss") + " became non-finite");
    st_.history.add(r);
    st_.epoch = epoch;
    progress_.epoch_end(r, cfg_.epochs, best);
    // Checkpoint first: a kill between the writes leaves history.json behind it, never ahead.
    save_checkpoint_file("checkpoint.ckpt", false);
    write_json("history.json", st_.history.to_json());
    write_file_atomic(dir_ + "/history.csv", st_.history.to_csv());
    if (hooks_.track_test) {
      const EvalResult t = evaluate(*net_, *test_dev_, *acc_, info_.mean, info_.std);
      test_curve.push_back({{"epoch", epoch}, {"train_seconds", train_seconds}, {"test_accuracy", t.accuracy},
                            {"test_loss", t.loss}});
      write_json("test_curve.json", test_curve);
    }
    if (hooks_.after_epoch && !hooks_.after_epoch(r)) {
      result.stopped_by_hook = true;
      break;
    }
  }
  result.interrupted = interrupted_;
  result.stopped_early = st_.stopper.should_stop() && st_.epoch < cfg_.epochs;
  result.best_epoch = st_.epoch;
  if (cfg_.early_stopping > 0 && st_.has_best && hooks_.restore_best && !interrupted_) {
    restore_best();
    result.best_epoch = st_.stopper.best_epoch();
    progress_.message((result.stopped_early ? "early stopping: " : "") + std::string("restored the weights of epoch ") +
                      std::to_string(result.best_epoch) + " (best " + cfg_.monitor + ")");
  }
  if (hooks_.save_final_model) save_checkpoint_file("model.ckpt", true);

  nlohmann::json metrics = nlohmann::json::object();
  if (hooks_.evaluate_test && !interrupted_) {
    result.test = evaluate(*net_, *test_dev_, *acc_, info_.mean, info_.std);
    result.report = classification_report(result.test.confusion, info_.num_classes, info_.class_names);
    metrics = report_to_json(result.report);
    metrics["test_accuracy"] = result.test.accuracy;
    metrics["test_loss"] = result.test.loss;
    metrics["test_samples"] = result.test.n;
  }
  if (!st_.history.records().empty()) {
    metrics["val_accuracy"] = st_.history.records().back().val_accuracy;
    metrics["val_loss"] = st_.history.records().back().val_loss;
  }
  metrics["best_epoch"] = result.best_epoch;
  metrics["epochs_run"] = st_.epoch;
  metrics["stopped_early"] = result.stopped_early;
  metrics["interrupted"] = result.interrupted;
  metrics["train_seconds"] = train_seconds;
  metrics["device"] = be_.description();
  metrics["cuda_graph"] = graph_report_;
  metrics["dataset"] = cfg_.data.dataset;
  metrics["data_source"] = data_.source;
  metrics["train_samples"] = train_dev_->size();
  metrics["val_samples"] = val_dev_->size();
  metrics["spec"] = net_->spec();
  metrics["num_params"] = net_->num_params();
  write_json("metrics.json", metrics);

  result.run_dir = dir_;
  result.history = st_.history;
  result.epochs_run = st_.epoch;
  result.train_seconds = train_seconds;
  return result;
}

}  // namespace

TrainResult train(const TrainConfig& cfg, Backend& be, const DatasetSplits& data, ProgressSink& progress,
                  const TrainHooks& hooks) {
  TrainingRun run(cfg, be, data, progress, hooks);
  return run.run();
}

CheckpointEval evaluate_checkpoint(const std::string& path, Backend& be, const Dataset& test,
                                   int64_t batch_size) {
  const Checkpoint ck = load_checkpoint(path);
  ModelInfo info;
  auto net = network_from_checkpoint(ck, be, batch_size, &info);
  GD_CHECK_T(test.channels == info.input[0] && test.height == info.input[1] && test.width == info.input[2],
             DataError,
             "checkpoint " << path << " expects " << info.input.str() << " images but the dataset has ("
                           << test.channels << "," << test.height << "," << test.width << ")");
  DeviceDataset dev(be, test);
  MetricAccumulator acc(be, info.num_classes, batch_size);
  CheckpointEval out;
  out.result = evaluate(*net, dev, acc, info.mean, info.std);
  out.report = classification_report(out.result.confusion, info.num_classes, info.class_names);
  out.spec = info.spec;
  return out;
}

}  // namespace gd
