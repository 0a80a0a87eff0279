#pragma once
// A dataset resident in backend memory (uint8 pixels and labels, converted to float per batch by the
// backend's gather), plus the scratch every step needs. Uploaded once; nothing is allocated per step.
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/data/dataset.h"

namespace gd {

class DeviceDataset {
 public:
  DeviceDataset(Backend& be, const Dataset& ds);
  int64_t size() const { return n_; }
  int64_t row() const { return row_; }
  const uint8_t* images() const { return static_cast<const uint8_t*>(images_->data()); }
  const uint8_t* labels() const { return static_cast<const uint8_t*>(labels_->data()); }
  // Sample order for this dataset (backend memory): identity until shuffle() or set_order() is called.
  const int32_t* order() const { return static_cast<const int32_t*>(order_->data()); }
  void set_order(Backend& be, const std::vector<int32_t>& order);  // uploads a host order
  // The epoch's order (engine/ops/shuffle.h), computed by the backend in place.
  void shuffle(Backend& be, uint64_t seed, uint64_t epoch);

 private:
  int64_t n_, row_;
  std::shared_ptr<Buffer> images_, labels_, order_;
};

}  // namespace gd
