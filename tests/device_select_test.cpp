// Device selection: --device parsing, auto falling back to the CPU with a notice, and a clear error
// for --device cuda where no CUDA device (or backend) exists.
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
  // Until the CUDA backend lands every build trains on the CPU, and auto says why in one line.
  EXPECT_EQ(be->device(), Device::CPU);
  EXPECT_FALSE(notice.empty());
  EXPECT_EQ(notice.find('\n'), std::string::npos);
}

TEST(DeviceSelect, CudaRequestFailsClearlyWithoutABackendOrDevice) {
  std::string why;
  const bool device = cuda_available(&why);
  try {
    make_backend(DeviceRequest::CUDA, nullptr);
    FAIL() << "expected --device cuda to fail in this build";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--device cuda"), std::string::npos) << msg;
    if (!device) {
      EXPECT_NE(msg.find(why), std::string::npos) << msg;
    }
  }
}

}  // namespace
}  // namespace gd
