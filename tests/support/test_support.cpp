#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <unistd.h>

namespace gd::test {

std::vector<double> random_vector(size_t n, uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

std::vector<float> random_floats(int64_t n, uint64_t seed) {
  return to_float(random_vector(static_cast<size_t>(n), seed));
}

void expect_finite_nonzero(const std::vector<float>& v, const char* what) {
  bool any = false;
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_TRUE(std::isfinite(v[i])) << what << " at " << i << " is " << v[i];
    any |= v[i] != 0.0f;
  }
  EXPECT_TRUE(any) << what << ": output is all zeros";
}

double max_gradient_error(std::vector<double>& x, const std::function<double()>& f,
                          const std::vector<double>& analytic, double h,
                          const std::function<bool(size_t)>& skip) {
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (skip && skip(i)) continue;
    const double saved = x[i];
    x[i] = saved + h;
    const double fp = f();
    x[i] = saved - h;
    const double fm = f();
    x[i] = saved;
    const double fd = (fp - fm) / (2.0 * h);
    const double denom = std::max({1.0, std::abs(fd), std::abs(analytic[i])});
    worst = std::max(worst, std::abs(fd - analytic[i]) / denom);
  }
  return worst;
}

double float_tolerance(int64_t reduction_length) {
  const double eps = std::numeric_limits<float>::epsilon();
  return 8.0 * eps * std::sqrt(static_cast<double>(std::max<int64_t>(reduction_length, 16)));
}

double double_bound(int64_t len) {
  return 2.0 * double(len + 1) * double(len + 1) * std::numeric_limits<double>::epsilon();
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << what << " at " << i;
}

void expect_float_close(const std::vector<float>& got, const std::vector<double>& want, int64_t len,
                        const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double ss = 0;
  for (double v : want) ss += v * v;
  const double tol = float_tolerance(len) * std::max(1.0, std::sqrt(ss / std::max<size_t>(want.size(), 1)));
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << what << ": non-finite value " << got[i] << " at " << i;
    worst = std::max(worst, std::abs(got[i] - want[i]));
  }
  EXPECT_LE(worst, tol) << what << " (reduction length " << len << ")";
}

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  namespace fs = std::filesystem;
  path_ = std::string(GD_BINARY_DIR) + "/tmp/" + tag + "-" + std::to_string(::getpid()) + "-" +
          std::to_string(counter++);
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string shared_data_root() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("GD_SHARED_DATA");
  const std::string root = env ? env : GD_DATA_ROOT;
  return fs::exists(root + "/mnist/train-images-idx3-ubyte.gz") ? root : std::string();
}

}  // namespace gd::test
