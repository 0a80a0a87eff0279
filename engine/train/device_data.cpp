#include "engine/train/device_data.h"

#include <numeric>

#include "engine/core/error.h"

namespace gd {

DeviceDataset::DeviceDataset(Backend& be, const Dataset& ds) : n_(ds.n), row_(ds.row()) {
  GD_CHECK(n_ < (int64_t{1} << 31), "dataset of " << n_ << " samples exceeds int32 indexing");
  images_ = be.allocate(std::max<size_t>(ds.images.size(), 1));
  labels_ = be.allocate(std::max<size_t>(ds.labels.size(), 1));
  order_ = be.allocate(std::max<size_t>(static_cast<size_t>(n_) * sizeof(int32_t), 1));
  be.copy_from_host(images_->data(), ds.images.data(), ds.images.size());
  be.copy_from_host(labels_->data(), ds.labels.data(), ds.labels.size());
  std::vector<int32_t> identity(static_cast<size_t>(n_));
  std::iota(identity.begin(), identity.end(), 0);
  set_order(be, identity);
}

void DeviceDataset::set_order(Backend& be, const std::vector<int32_t>& order) {
  GD_CHECK(static_cast<int64_t>(order.size()) == n_, "order of " << order.size() << " for " << n_ << " samples");
  be.copy_from_host(order_->data(), order.data(), order.size() * sizeof(int32_t));
}

void DeviceDataset::shuffle(Backend& be, uint64_t seed, uint64_t epoch) {
  be.shuffle(n_, seed, epoch, static_cast<int32_t*>(order_->data()));
}

}  // namespace gd
