#include "engine/train/evaluate.h"

#include <algorithm>
#include <cstring>

namespace gd {

MetricAccumulator::MetricAccumulator(Backend& be, int num_classes, int64_t max_batch)
    : be_(be), classes_(num_classes) {
  stats_ = be.allocate((2 + static_cast<size_t>(num_classes) * num_classes) * sizeof(int64_t));
  labels_ = be.allocate(static_cast<size_t>(max_batch) * sizeof(int32_t));
}

void MetricAccumulator::reset() {
  const std::vector<int64_t> zeros(2 + static_cast<size_t>(classes_) * classes_, 0);
  be_.copy_from_host(stats_->data(), zeros.data(), zeros.size() * sizeof(int64_t));
}

void MetricAccumulator::read(double* loss_sum, int64_t* correct) const {
  int64_t host[2];
  be_.copy_to_host(host, stats_->data(), sizeof host);
  std::memcpy(loss_sum, &host[0], sizeof(double));
  *correct = host[1];
}

std::vector<int64_t> MetricAccumulator::read_confusion() const {
  std::vector<int64_t> c(static_cast<size_t>(classes_) * classes_);
  be_.copy_to_host(c.data(), confusion(), c.size() * sizeof(int64_t));
  return c;
}

EvalResult evaluate(Network& net, DeviceDataset& data, MetricAccumulator& acc, float mean, float std) {
  Backend& be = net.backend();
  const int64_t classes = net.output_shape()[0];
  const int64_t row = data.row();
  acc.reset();
  for (int64_t start = 0; start < data.size(); start += net.max_batch()) {
    const int64_t n = std::min(net.max_batch(), data.size() - start);
    const int32_t* idx = data.order() + start;
    be.gather_images_u8(n, row, data.images(), idx, mean, std, net.input());
    be.gather_labels_u8(n, data.labels(), idx, acc.batch_labels());
    net.forward(n, /*training=*/false, 0, 0);
    SoftmaxXentShape s;
    s.n = n;
    s.c = classes;
    be.softmax_xent(s, net.output(), acc.batch_labels(), nullptr, acc.loss_sum(), acc.correct());
    be.confusion_accumulate(n, classes, net.output(), acc.batch_labels(), acc.confusion());
  }
  EvalResult r;
  r.n = data.size();
  double loss_sum = 0.0;
  acc.read(&loss_sum, &r.correct);
  r.loss = r.n ? loss_sum / static_cast<double>(r.n) : 0.0;
  r.accuracy = r.n ? static_cast<double>(r.correct) / static_cast<double>(r.n) : 0.0;
  r.confusion = acc.read_confusion();
  return r;
}

}  // namespace gd
