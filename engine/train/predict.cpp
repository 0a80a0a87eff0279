#include "engine/train/predict.h"

#include <algorithm>

#include "engine/core/error.h"
#include "engine/train/device_data.h"

namespace gd {

Predictions predict(Network& net, const Dataset& data, float mean, float std) {
  const Shape& in = net.input_shape();
  if (in.rank() != 3 || in[0] != data.channels || in[1] != data.height || in[2] != data.width)
    throw ShapeError("predict: dataset '" + data.name + "' has samples of " +
                     std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" +
                     std::to_string(data.width) + " but the model expects " + in.str());
  Backend& be = net.backend();
  const int64_t classes = net.output_shape()[0];
  Predictions p;
  p.n = data.n;
  p.num_classes = static_cast<int>(classes);
  p.probs.resize(static_cast<size_t>(data.n) * classes);
  p.label.resize(static_cast<size_t>(data.n));
  if (data.n == 0) return p;
  DeviceDataset dev(be, data);
  auto probs = be.allocate(static_cast<size_t>(net.max_batch()) * classes * sizeof(float));
  float* dprobs = static_cast<float*>(probs->data());
  for (int64_t start = 0; start < data.n; start += net.max_batch()) {
    const int64_t n = std::min(net.max_batch(), data.n - start);
    be.gather_images_u8(n, dev.row(), dev.images(), dev.order() + start, mean, std, net.input());
    net.forward(n, /*training=*/false, 0, 0);
    be.softmax(n, classes, net.output(), dprobs);
    be.copy_to_host(p.probs.data() + start * classes, dprobs, static_cast<size_t>(n) * classes * sizeof(float));
  }
  for (int64_t i = 0; i < data.n; ++i) {
    const float* row = p.probs.data() + i * classes;
    p.label[static_cast<size_t>(i)] = static_cast<int32_t>(std::max_element(row, row + classes) - row);
  }
  return p;
}

}  // namespace gd
