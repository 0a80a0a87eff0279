// Test-time shifts: the copies move content the stated way with a dark fill, the counts are the
// documented ones, and averaging over the identity alone is plain prediction.
#include "engine/train/test_time_shifts.h"

#include <gtest/gtest.h>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/model/spec.h"
#include "engine/optim/init.h"

namespace gd {
namespace {

Dataset ramp(int64_t n, int64_t h, int64_t w) {
  Dataset d;
  d.name = "ramp";
  d.n = n;
  d.height = h;
  d.width = w;
  for (int64_t i = 0; i < n * h * w; ++i) d.images.push_back(static_cast<uint8_t>(1 + i % 250));
  d.labels.assign(static_cast<size_t>(n), 0);
  return d;
}

TEST(TestTimeShifts, CopiesMoveContentRightAndDownWithADarkFill) {
  const Dataset d = ramp(2, 4, 5);
  for (const PixelShift s : {PixelShift{1, 0}, PixelShift{-1, 0}, PixelShift{0, 1}, PixelShift{0, -1},
                             PixelShift{1, -1}, PixelShift{-1, 1}}) {
    const Dataset c = shifted_copy(d, s);
    ASSERT_EQ(c.images.size(), d.images.size());
    EXPECT_EQ(c.labels, d.labels);
    for (int64_t i = 0; i < d.n; ++i)
      for (int64_t y = 0; y < 4; ++y)
        for (int64_t x = 0; x < 5; ++x) {
          const int64_t sy = y - s.dy, sx = x - s.dx;
          const bool inside = sy >= 0 && sy < 4 && sx >= 0 && sx < 5;
          const uint8_t want = inside ? d.images[static_cast<size_t>(i * 20 + sy * 5 + sx)] : 0;
          EXPECT_EQ(c.images[static_cast<size_t>(i * 20 + y * 5 + x)], want)
              << "shift (" << s.dx << "," << s.dy << ") sample " << i << " pixel (" << x << "," << y << ")";
        }
  }
  EXPECT_EQ(shifted_copy(d, PixelShift{}).images, d.images);
}

TEST(TestTimeShifts, CountsAreOneFiveOrNine) {
  EXPECT_EQ(test_time_shifts(1).size(), 1u);
  const auto five = test_time_shifts(5), nine = test_time_shifts(9);
  ASSERT_EQ(five.size(), 5u);
  ASSERT_EQ(nine.size(), 9u);
  for (const PixelShift& s : nine) EXPECT_LE(std::abs(s.dx) + std::abs(s.dy), 2);
  for (size_t i = 0; i < 9; ++i)
    for (size_t j = 0; j < i; ++j)
      EXPECT_FALSE(nine[i].dx == nine[j].dx && nine[i].dy == nine[j].dy) << "shift " << i << " repeated";
  for (int bad : {0, 2, 3, 4, 10, -1})
    EXPECT_THROW(test_time_shifts(bad), ConfigError) << bad;
}

TEST(TestTimeShifts, AveragesTheShiftedCopiesPredictions) {
  CpuBackend be;
  Network net(be, build_layers("fc8,relu,fc3", Shape{1, 4, 5}, 3, 0.0), Shape{1, 4, 5}, 16);
  net.initialize(InitScheme::HeUniform, 3);
  // The zero-initialised head would make every prediction uniform; give it weights.
  std::vector<float> params(static_cast<size_t>(net.num_params()));
  for (size_t i = 0; i < params.size(); ++i) params[i] = static_cast<float>((static_cast<int>(i * 37 % 23) - 11) / 20.0);
  be.copy_from_host(net.params(), params.data(), params.size() * sizeof(float));
  const Dataset d = ramp(3, 4, 5);
  const Predictions plain = predict(net, d, 0.5f, 0.25f);
  EXPECT_EQ(predict_with_shifts(net, d, 0.5f, 0.25f, test_time_shifts(1)).probs, plain.probs);
  const Predictions avg = predict_with_shifts(net, d, 0.5f, 0.25f, test_time_shifts(5));
  std::vector<double> want(plain.probs.size(), 0.0);
  for (const PixelShift& s : test_time_shifts(5)) {
    const Predictions p = predict(net, shifted_copy(d, s), 0.5f, 0.25f);
    for (size_t k = 0; k < want.size(); ++k) want[k] += p.probs[k] / 5.0;
  }
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(avg.probs[k], want[k], 1e-6) << k;
  EXPECT_NE(avg.probs, plain.probs);
}

}  // namespace
}  // namespace gd
