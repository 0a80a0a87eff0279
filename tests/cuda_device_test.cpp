// CUDA device discovery (ctest label "cuda"). Skips, saying why, on machines without a device or
// builds without CUDA, so `ctest -L cuda` on a GPU machine is the one command that runs them.
#include <gtest/gtest.h>

#include "engine/backend/backend.h"
#ifdef GD_HAVE_CUDA
#include "kernels/cuda_device.h"
#endif

namespace gd {
namespace {

TEST(CudaDevice, DescribesTheDeviceWhenOneExists) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
#ifdef GD_HAVE_CUDA
  const std::string d = cuda::device_description();
  EXPECT_NE(d.find("sm_"), std::string::npos) << d;
  EXPECT_NE(d.find("GiB"), std::string::npos) << d;
#endif
}

TEST(CudaDevice, UnavailabilityAlwaysComesWithAReason) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present; nothing to explain";
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace gd
