// Device selection: --device parsing, auto falling back to the CPU with a notice, and a clear error
// for --device cuda where no CUDA device exists; with a device, --device cuda gives the (not yet
// verified) CUDA backend with a warning.
#include <gtest/gtest.h>

#include "engine/backend/backend.h"
#include "engine/core/error.h"

namespace gd {
namespace {

TEST(DeviceSelect, ParsesRequests) {
  EXPECT_EQ(parse_device_request("auto"), DeviceRequest::Auto);
  EXPECT_EQ(parse_device_request("cpu"), DeviceRequest::CPU);
  EXPECT_EQ(parse_device_request("cuda"), DeviceRequest::CUDA);
  EXPECT_THROW(parse_device_request("tpu"), ConfigError);
}

TEST(DeviceSelect, CpuNeverPrintsANotice) {
  std::string notice;
  auto be = make_backend(DeviceRequest::CPU, &notice);
  EXPECT_EQ(be->device(), Device::CPU);
  EXPECT_TRUE(notice.empty());
}

TEST(DeviceSelect, AutoFallsBackToCpuWithAReason) {
  std::string notice;
  auto be = make_backend(DeviceRequest::Auto, &notice);
  // Until the CUDA backend is verified on a device every build trains on the CPU under auto, and
  // says why in one line (no device, or an unverified backend).
  EXPECT_EQ(be->device(), Device::CPU);
  EXPECT_FALSE(notice.empty());
  EXPECT_EQ(notice.find('\n'), std::string::npos);
}

TEST(DeviceSelect, CudaRequestFailsClearlyWithoutADevice) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present (CudaRequestGivesTheCudaBackendWithAWarning covers it)";
  try {
    make_backend(DeviceRequest::CUDA, nullptr);
    FAIL() << "expected --device cuda to fail without a device";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--device cuda"), std::string::npos) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
  }
}

// With a device, --device cuda builds the CUDA backend, and says in one line that it is not yet
// verified on a device (auto stays on the CPU until it is).
TEST(DeviceSelect, CudaRequestGivesTheCudaBackendWithAWarning) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  std::string notice;
  auto be = make_backend(DeviceRequest::CUDA, &notice);
  EXPECT_EQ(be->device(), Device::CUDA);
  EXPECT_EQ(be->description().rfind("cuda (", 0), 0u) << be->description();
  EXPECT_NE(notice.find("not yet verified"), std::string::npos) << notice;
  EXPECT_EQ(notice.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace gd
