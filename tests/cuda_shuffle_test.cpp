// The CUDA epoch shuffle (ctest label "cuda") gives exactly the CPU reference's permutation
// (engine/ops/shuffle.h) for awkward sizes, reusing and growing the backend's workspace. Skips,
// saying why, without a device.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/ops/shuffle.h"
#include "tests/support/cuda_test_util.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_backend.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

TEST(CudaShuffle, MatchesTheReferenceExactly) {
  GD_SKIP_WITHOUT_CUDA();
  CudaBackend be;
  // Growing and shrinking n exercises the workspace reuse; 54000 is MNIST's training split.
  for (int64_t n : {1, 2, 33, 257, 54000, 1000, 60000}) {
    for (uint64_t epoch : {1u, 2u}) {
      SCOPED_TRACE(testing::Message() << "n = " << n << ", epoch " << epoch);
      auto order = be.allocate(static_cast<size_t>(n) * sizeof(int32_t));
      be.shuffle(n, 7, epoch, static_cast<int32_t*>(order->data()));
      std::vector<int32_t> got(static_cast<size_t>(n)), want(static_cast<size_t>(n));
      be.copy_to_host(got.data(), order->data(), got.size() * sizeof(int32_t));
      shuffle_ref(n, 7, epoch, want.data());
      ASSERT_EQ(got, want);
    }
  }
}

#else

TEST(CudaShuffle, BuiltWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }

#endif

}  // namespace
}  // namespace gd
