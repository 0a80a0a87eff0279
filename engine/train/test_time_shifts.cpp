#include "engine/train/test_time_shifts.h"

#include <algorithm>
#include <string>

#include "engine/core/error.h"
#include "engine/train/ensemble.h"

namespace gd {

std::vector<PixelShift> test_time_shifts(int copies) {
  switch (copies) {
    case 1: return {{0, 0}};
    case 5: return {{0, 0}, {0, -1}, {0, 1}, {-1, 0}, {1, 0}};
    case 9: return {{0, 0}, {0, -1}, {0, 1}, {-1, 0}, {1, 0}, {-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
    default:
      throw ConfigError("--tta must be 1 (off), 5 (one-pixel shifts up, down, left, right) or 9 (also the "
                        "diagonals), got " + std::to_string(copies));
  }
}

Dataset shifted_copy(const Dataset& d, PixelShift s) {
  Dataset out = d;
  if (s.dx == 0 && s.dy == 0) return out;
  const int64_t H = d.height, W = d.width, plane = H * W;
  std::fill(out.images.begin(), out.images.end(), uint8_t{0});
  for (int64_t p = 0; p < d.n * d.channels; ++p) {
    const uint8_t* src = d.images.data() + p * plane;
    uint8_t* dst = out.images.data() + p * plane;
    for (int64_t y = 0; y < H; ++y) {
      const int64_t sy = y - s.dy;
      if (sy < 0 || sy >= H) continue;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t sx = x - s.dx;
        if (sx >= 0 && sx < W) dst[y * W + x] = src[sy * W + sx];
      }
    }
  }
  return out;
}

Predictions predict_with_shifts(Network& net, const Dataset& data, float mean, float std,
                                const std::vector<PixelShift>& shifts) {
  GD_CHECK_T(!shifts.empty(), ConfigError, "predict_with_shifts: no shifts");
  if (shifts.size() == 1 && shifts[0].dx == 0 && shifts[0].dy == 0) return predict(net, data, mean, std);
  std::vector<Predictions> copies;
  copies.reserve(shifts.size());
  for (const PixelShift& s : shifts) copies.push_back(predict(net, shifted_copy(data, s), mean, std));
  return average_predictions(copies);
}

}  // namespace gd
