#include "engine/core/shape.h"

#include <gtest/gtest.h>

#include "engine/core/error.h"

namespace gd {
namespace {

TEST(Shape, NumelIndexingAndString) {
  const Shape s{128, 1, 28, 28};
  EXPECT_EQ(s.numel(), 128 * 28 * 28);
  EXPECT_EQ(s[0], 128);
  EXPECT_EQ(s[-1], 28);
  EXPECT_EQ(s.str(), "(128,1,28,28)");
  EXPECT_EQ(s.with_batch(7), (Shape{7, 1, 28, 28}));
}

TEST(Shape, RejectsNegativeExtentAndBadIndex) {
  EXPECT_THROW(Shape({3, -1}), ShapeError);
  const Shape s{2, 3};
  EXPECT_THROW(s[2], ShapeError);
  EXPECT_THROW(s[-3], ShapeError);
}

TEST(Shape, NumelOverflowThrowsInsteadOfWrapping) {
  const int64_t big = int64_t{1} << 32;
  EXPECT_EQ(Shape({big, int64_t{1} << 30}).numel(), int64_t{1} << 62);
  EXPECT_THROW(Shape({big, big}).numel(), ShapeError);
  EXPECT_EQ(Shape({0, big, big}).numel(), 0);
}

}  // namespace
}  // namespace gd
