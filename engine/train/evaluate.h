#pragma once
// Evaluation of a network on a device-resident dataset: mean cross-entropy (no label smoothing),
// accuracy and the confusion matrix, accumulated on the backend and read back once at the end.
#include <cstdint>
#include <vector>

#include "engine/graph/network.h"
#include "engine/train/device_data.h"

namespace gd {

struct EvalResult {
  double loss = 0.0, accuracy = 0.0;
  int64_t n = 0, correct = 0;
  std::vector<int64_t> confusion;  // C*C, [true][pred]
};

// Scratch in backend memory for loss/accuracy/confusion accumulation, allocated once per run.
class MetricAccumulator {
 public:
  MetricAccumulator(Backend& be, int num_classes, int64_t max_batch);
  void reset();
  double* loss_sum() const { return reinterpret_cast<double*>(stats_->data()); }
  int64_t* correct() const { return reinterpret_cast<int64_t*>(stats_->data()) + 1; }
  int64_t* confusion() const { return reinterpret_cast<int64_t*>(stats_->data()) + 2; }
  int32_t* batch_labels() const { return static_cast<int32_t*>(labels_->data()); }
  // Reads loss_sum and correct back (one small copy: a host sync).
  void read(double* loss_sum, int64_t* correct) const;
  std::vector<int64_t> read_confusion() const;

 private:
  Backend& be_;
  int classes_;
  std::shared_ptr<Buffer> stats_, labels_;
};

// Runs the network in inference mode over all of `data` in batches of net.max_batch().
EvalResult evaluate(Network& net, DeviceDataset& data, MetricAccumulator& acc, float mean, float std);

}  // namespace gd
