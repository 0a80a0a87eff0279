// CUDA input pipeline against the CPU backend / reference (ctest label "cuda"): gathering uint8
// images and labels by index with normalisation, in-place normalisation, and random affine
// augmentation (augment_affine_ref), on batch sizes 1, 33, 257 and odd image sizes. Skips, saying why,
// without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/ops/augment.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_ops.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

constexpr double kEpsF = std::numeric_limits<float>::epsilon();
const int64_t kBatches[] = {1, 33, 257};

std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  const auto u = test::random_vector(n, seed, 0.0, 256.0);
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(std::min(255.0, u[i]));
  return b;
}

std::vector<int32_t> random_indices(int64_t n, int64_t range, uint64_t seed) {
  const auto u = test::random_vector(static_cast<size_t>(n), seed, 0.0, static_cast<double>(range));
  std::vector<int32_t> idx;
  for (double v : u) idx.push_back(std::min<int32_t>(static_cast<int32_t>(v), static_cast<int32_t>(range - 1)));
  return idx;
}

// gather: dst = pixel * a + b with the same float a, b on both sides; the CPU and GPU compilers may or
// may not fuse that into an FMA, a difference of at most one rounding of the result or of the
// product: |d| <= 2 eps_f32 (|a| * 255 + |b|).
TEST(CudaInput, GatherImagesAndLabelsMatchCpuBackend) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  CpuBackend cpu;
  const int64_t num_images = 300;
  for (int64_t row : {784, 257}) {
    const auto images = random_bytes(static_cast<size_t>(num_images * row), 11 + row);
    const auto labels = random_bytes(static_cast<size_t>(num_images), 12);
    test::DeviceVector<uint8_t> dimages(tc.ctx.stream, images), dlabels(tc.ctx.stream, labels);
    for (int64_t n : kBatches) {
      for (const auto& ms : {std::pair<float, float>{0.1307f, 0.3081f}, std::pair<float, float>{0.0f, 1.0f}}) {
        SCOPED_TRACE("row=" + std::to_string(row) + " n=" + std::to_string(n) + " mean=" + std::to_string(ms.first));
        const auto idx = random_indices(n, num_images, 100 + n);
        std::vector<float> want(static_cast<size_t>(n * row));
        cpu.gather_images_u8(n, row, images.data(), idx.data(), ms.first, ms.second, want.data());
        test::DeviceVector<int32_t> didx(tc.ctx.stream, idx);
        test::DeviceVector<float> dst(tc.ctx.stream, test::nans<float>(want.size()));
        cuda::gather_images_u8(tc.ctx, n, row, dimages.get(), didx.get(), ms.first, ms.second, dst.get());
        const auto got = dst.host();
        const double a = 1.0 / (255.0 * ms.second), b = -ms.first / ms.second;
        const double tol = 2 * kEpsF * (std::abs(a) * 255.0 + std::abs(b));
        bool any = false;
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_LE(std::abs(static_cast<double>(got[i]) - want[i]), tol) << i;
          any |= got[i] != 0.0f;
        }
        EXPECT_TRUE(any);

        std::vector<int32_t> want_labels(static_cast<size_t>(n));
        cpu.gather_labels_u8(n, labels.data(), idx.data(), want_labels.data());
        test::DeviceVector<int32_t> dl(tc.ctx.stream, static_cast<size_t>(n), int32_t{-1});
        cuda::gather_labels_u8(tc.ctx, n, dlabels.get(), didx.get(), dl.get());
        EXPECT_EQ(dl.host(), want_labels);
      }
    }
  }
}

// (x - mean) * (1/std): a subtraction and a multiplication, no FMA possible: exact.
TEST(CudaInput, NormalizeIsExact) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  CpuBackend cpu;
  for (int64_t n : {1, 33, 257, 100003}) {
    auto x = test::to_float(test::random_vector(static_cast<size_t>(n), 30 + n, 0.0, 1.0));
    test::DeviceVector<float> d(tc.ctx.stream, x);
    cpu.normalize(n, 0.1307f, 0.3081f, x.data());
    cuda::normalize(tc.ctx, n, 0.1307f, 0.3081f, d.get());
    EXPECT_EQ(d.host(), x) << "n=" << n;
  }
}

AugmentParams augment_params(uint64_t step) {
  AugmentParams p;
  p.max_shift = 2.0f;
  p.max_rotate_deg = 15.0f;
  p.max_scale = 0.1f;
  p.max_shear = 0.2f;
  p.seed = 1234;
  p.stream = 9;
  p.step = step;
  p.fill = -0.4242f;
  return p;
}

// The transform comes from the same GD_HOST_DEVICE formulas; device sinf/cosf differ from the host's
// by up to 2 ulp each, so the source coordinate differs by ~4 ulp of its magnitude (<= h + w pixels),
// and bilinear interpolation (continuous, also across pixel and border boundaries) turns a coordinate
// error delta into a value error <= delta * (largest neighbour difference, <= 2 for values in [-1,1]):
//   |d| <= 2 * 4 eps_f32 (h + w) + 8 eps_f32 (the interpolation's own rounding).
TEST(CudaAugment, MatchesReference) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  struct Dims {
    int64_t c, h, w;
  };
  for (const Dims& dm : {Dims{1, 28, 28}, Dims{2, 13, 11}}) {
    for (int64_t n : kBatches) {
      for (bool with_ids : {false, true}) {
        SCOPED_TRACE("c=" + std::to_string(dm.c) + " h=" + std::to_string(dm.h) + " w=" + std::to_string(dm.w) +
                     " n=" + std::to_string(n) + " ids=" + std::to_string(with_ids));
        const int64_t count = n * dm.c * dm.h * dm.w;
        const auto x = test::to_float(test::random_vector(static_cast<size_t>(count), 50 + n, -1.0, 1.0));
        std::vector<int32_t> ids;
        for (int64_t i = 0; i < n; ++i) ids.push_back(static_cast<int32_t>(7919 * i + 13));
        const AugmentParams p = augment_params(5 + n);
        std::vector<float> want(x.size());
        augment_affine_ref<float>(p, n, dm.c, dm.h, dm.w, x.data(), want.data(), with_ids ? ids.data() : nullptr);
        test::DeviceVector<float> dx(tc.ctx.stream, x), dy(tc.ctx.stream, test::nans<float>(x.size()));
        test::DeviceVector<int32_t> did(tc.ctx.stream, ids);
        cuda::augment_affine(tc.ctx, p, n, dm.c, dm.h, dm.w, dx.get(), dy.get(), with_ids ? did.get() : nullptr);
        const auto got = dy.host();
        const double tol = 8 * kEpsF * static_cast<double>(dm.h + dm.w) + 8 * kEpsF;
        int64_t changed = 0;
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_LE(std::abs(static_cast<double>(got[i]) - want[i]), tol) << i;
          changed += got[i] != x[i];
        }
        EXPECT_GT(changed, count / 2) << "the augmentation should move most pixels";
      }
    }
  }
}

// All ranges zero: the identity, bit for bit (the contract's promise, on the device too).
TEST(CudaAugment, ZeroRangesAreTheIdentity) {
  GD_SKIP_WITHOUT_CUDA();
  test::CudaTestContext tc;
  AugmentParams p;
  p.max_shift = p.max_rotate_deg = p.max_scale = p.max_shear = 0.0f;
  const int64_t n = 33, c = 1, h = 28, w = 28;
  const auto x = test::to_float(test::random_vector(static_cast<size_t>(n * c * h * w), 3, -1.0, 1.0));
  test::DeviceVector<float> dx(tc.ctx.stream, x), dy(tc.ctx.stream, test::nans<float>(x.size()));
  cuda::augment_affine(tc.ctx, p, n, c, h, w, dx.get(), dy.get(), nullptr);
  EXPECT_EQ(dy.host(), x);
  EXPECT_THROW(cuda::augment_affine(tc.ctx, p, n, c, h, w, dx.get(), dx.get(), nullptr), ShapeError);
}

#else

TEST(CudaInput, BuiltWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }

#endif

}  // namespace
}  // namespace gd
